//! Compile and evaluate a realistic set of audience conditions over a realistic profile.
//! Run with `cargo bench -p waymark-core --bench expr` (`-- --quick` for a short run).
#![allow(clippy::unwrap_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};
use waymark_core::expr::{Env, Expr};

const NOW: i64 = 1_714_564_800_000; // 2024-05-01T12:00:00Z

const CONDITIONS: [&str; 20] = [
    r#"profile.loyalty.tier == "gold" and context.page.url contains "/shoes" and cart.total > 100"#,
    r#"profile.loyalty.tier in ["gold", "platinum"]"#,
    r#"profile.email exists and profile.consent.marketing == true"#,
    r#"daysSince(profile.signup) <= 30"#,
    r#"daysSince(profile.last_purchase) > 90 and profile.orders >= 3"#,
    r#"any(cart.items as i, i.category == "running" and i.price > 80)"#,
    r#"count(events as e, e.type == "view" and minutesSince(e.ts) < 60) >= 3"#,
    r#"context.device.os == "ios" and semverCompare(context.app.version, "5.2.0") >= 0"#,
    r#"context.geo.country in ["FR", "BE", "CH"] and context.locale startsWith "fr""#,
    r#"lower(context.utm.source) == "newsletter" or context.referrer contains "mail""#,
    r#"cart.total - cart.discount >= 50 and cart.total < 500"#,
    r#"all(cart.items as i, i.in_stock)"#,
    r#"not profile.flags.suppressed and profile.age >= 18"#,
    r#"profile.email matches "@(gmail|yahoo)\\.com$""#,
    r#"length(profile.wishlist) > 0 and any(profile.wishlist as w, w.on_sale)"#,
    r#"round(profile.ltv / max(profile.orders, 1)) > 40"#,
    r#"hoursSince(profile.last_seen) < 24 and context.page.type == "product""#,
    r#"none(events as e, e.type == "purchase" and daysSince(e.ts) < 7)"#,
    r#"profile["segment ids"] contains 1042 or profile.segments contains "vip""#,
    r#"context.page.url matches "^https://shop\\.example/(shoes|boots)/" and cart.items[0].qty >= 1"#,
];

fn profile() -> Value {
    let events: Vec<Value> = (0..50)
        .map(|i| {
            let kind = ["view", "add_to_cart", "view", "search", "purchase"][i % 5];
            json!({"type": kind, "ts": NOW - (i as i64) * 600_000, "sku": format!("SKU-{i}")})
        })
        .collect();
    json!({
        "profile": {
            "id": "u-123", "email": "ada@gmail.com", "age": 36, "orders": 7, "ltv": 612.4,
            "loyalty": {"tier": "gold", "points": 1250},
            "consent": {"marketing": true},
            "signup": "2024-04-12T08:30:00Z", "last_purchase": "2023-12-01T10:00:00Z",
            "last_seen": "2024-05-01T09:15:00+02:00",
            "flags": {"suppressed": false},
            "segments": ["vip", "runners", "newsletter"],
            "segment ids": [17, 1042, 2001],
            "wishlist": [{"sku": "W1", "on_sale": false}, {"sku": "W2", "on_sale": true}],
        },
        "context": {
            "page": {"url": "https://shop.example/shoes/trail-42", "type": "product"},
            "device": {"os": "ios"}, "app": {"version": "5.10.3"},
            "geo": {"country": "FR"}, "locale": "fr-FR",
            "utm": {"source": "Newsletter"}, "referrer": "https://mail.example.com/",
        },
        "cart": {
            "total": 189.9, "discount": 10,
            "items": [
                {"sku": "A1", "category": "running", "price": 129.9, "qty": 1, "in_stock": true},
                {"sku": "B2", "category": "socks", "price": 12.0, "qty": 5, "in_stock": true},
            ],
        },
        "events": events,
    })
}

fn bench(c: &mut Criterion) {
    let data = profile();
    let env = Env::new(NOW);
    let compiled: Vec<Expr> = CONDITIONS.iter().map(|s| Expr::parse(s).unwrap()).collect();
    let matched = compiled.iter().filter(|e| e.matches(&data, &env)).count();
    eprintln!(
        "{matched} of {} conditions match the profile",
        compiled.len()
    );

    c.bench_function("parse 20 conditions", |b| {
        b.iter(|| {
            for src in CONDITIONS {
                black_box(Expr::parse(black_box(src)).unwrap());
            }
        })
    });
    c.bench_function("match 20 conditions", |b| {
        b.iter(|| {
            compiled
                .iter()
                .filter(|e| e.matches(black_box(&data), &env))
                .count()
        })
    });
    let headline = &compiled[0];
    c.bench_function("match headline condition", |b| {
        b.iter(|| headline.matches(black_box(&data), &env))
    });
    let rule = json!({"and": [
        {"==": [{"var": "profile.loyalty.tier"}, "gold"]},
        {"in": ["/shoes", {"var": "context.page.url"}]},
        {">": [{"var": "cart.total"}, 100]},
    ]});
    c.bench_function("compile headline JsonLogic", |b| {
        b.iter(|| Expr::from_jsonlogic(black_box(&rule)).unwrap())
    });
    let jl = Expr::from_jsonlogic(&rule).unwrap();
    c.bench_function("match headline JsonLogic", |b| {
        b.iter(|| jl.matches(black_box(&data), &env))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
