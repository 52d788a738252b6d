//! Decision cost against growing catalogues: 10 requested surfaces (5 activity locations and 5
//! offer placements) over bundles of 100 / 1,000 / 10,000 activities and 1,000 / 10,000 offers.
//! The cost should follow what the requested surfaces can show, not the catalogue's size.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use waymark_core::engine::Engine;

#[path = "support/catalogue.rs"]
mod catalogue;
use catalogue::{bundle, input};

fn decide(c: &mut Criterion) {
    let mut group = c.benchmark_group("decide 10 surfaces");
    let input = input();
    for (activities, offers) in [(100, 1_000), (1_000, 10_000), (10_000, 10_000)] {
        let Ok(engine) = Engine::from_json(&bundle(activities, offers).to_string()) else {
            return;
        };
        let decision = engine.decide(&input);
        assert!(
            !decision.propositions.is_empty() && !decision.offers.is_empty(),
            "{decision:?}"
        );
        let id = BenchmarkId::from_parameter(format!("{activities} activities, {offers} offers"));
        group.bench_with_input(id, &input, |b, input| b.iter(|| engine.decide(input)));
    }
    group.finish();

    let text = bundle(1_000, 10_000).to_string();
    c.bench_function("compile 1,000 activities + 10,000 offers", |b| {
        b.iter(|| Engine::from_json(&text).map(|e| e.bundle().revision))
    });
}

criterion_group!(benches, decide);
criterion_main!(benches);
