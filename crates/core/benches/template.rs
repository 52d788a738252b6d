//! Compile and render a realistic hero + content-card template over a realistic profile.
#![allow(clippy::unwrap_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;
use waymark_core::template::{Partials, RenderOptions, Template};

const HERO: &str = r#"<section class="hero hero--{{default profile.tier "standard"}}">
  {{#if profile.firstName}}
  <h1>Welcome back, {{capitalize profile.firstName}}!</h1>
  {{else}}
  <h1>Welcome, {{default profile.nickname "there"}}!</h1>
  {{/if}}
  {{#if (gt cart.total 100)}}
  <p class="banner">You qualify for free shipping on {{formatCurrency cart.total cart.currency profile.locale}}.</p>
  {{else}}
  <p class="banner">Spend {{formatCurrency (subtract 100 cart.total) cart.currency profile.locale}} more for free shipping.</p>
  {{/if}}
  <p>Offer ends {{formatDate (addDays 7) "long" profile.locale profile.timeZone}}.</p>
  <ul class="cards">
    {{#each offers}}
    {{> card}}
    {{else}}
    <li>No offers today.</li>
    {{/each}}
  </ul>
  {{! footer }}
  <a href="/account?u={{profile.id}}">{{#with profile}}{{titleCase firstName}} {{upper lastName}}{{/with}}</a>
</section>
"#;

const CARD: &str = r#"<li class="card{{#if @first}} card--first{{/if}}" data-rank="{{@index}}">
  <img src="{{image}}" alt="{{title}}">
  <h2>{{truncate title 40}}</h2>
  <p>{{formatCurrency price ../cart.currency ../profile.locale}}{{#if discount}} <s>{{formatCurrency (add price discount) ../cart.currency ../profile.locale}}</s>{{/if}}</p>
  {{#each tags}}<span class="tag">{{.}}</span>{{/each}}
</li>
"#;

fn bench(c: &mut Criterion) {
    let data = json!({
        "profile": {
            "id": "u-81723", "firstName": "ana", "lastName": "lima", "tier": "gold",
            "locale": "pt-BR", "timeZone": "America/Sao_Paulo",
            "segments": ["frequent", "mobile", "newsletter"]
        },
        "cart": { "total": 87.5, "currency": "BRL", "items": 3 },
        "offers": (0..6).map(|i| json!({
            "title": format!("Offer number {i}: a long product title that needs truncating"),
            "image": format!("https://cdn.example.com/img/{i}.webp"),
            "price": 19.9 + f64::from(i) * 10.0,
            "discount": if i % 2 == 0 { json!(5) } else { json!(null) },
            "tags": ["new", "sale"]
        })).collect::<Vec<_>>()
    });
    let mut partials = Partials::new();
    partials.compile("card", CARD).unwrap();
    let hero = Template::compile("hero", HERO).unwrap();
    let opts = RenderOptions {
        now_ms: 1_772_721_000_000,
        ..RenderOptions::default()
    };
    let out = hero.render(&data, &partials, &opts).unwrap();
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);

    c.bench_function("template/compile hero+card", |b| {
        b.iter(|| {
            let t = Template::compile("hero", black_box(HERO)).unwrap();
            let p = Template::compile("card", black_box(CARD)).unwrap();
            (t, p)
        })
    });
    c.bench_function("template/render hero (6 cards)", |b| {
        b.iter(|| hero.render(black_box(&data), &partials, &opts).unwrap())
    });
    let simple = Template::compile(
        "subject",
        "Hi {{default profile.firstName \"there\"}}, your {{profile.tier}} perks",
    )
    .unwrap();
    c.bench_function("template/render subject line", |b| {
        b.iter(|| simple.render(black_box(&data), &partials, &opts).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
