//! The synthetic catalogues the decide benchmarks run against: activities spread over 100 pages
//! (a tenth of them wildcards below 1,000), offers over 200 placements, a visitor who matches
//! some of each; 10 requested surfaces (5 activity locations, 5 offer placements).

use serde_json::{Value, json};
use waymark_core::engine::{DecideInput, Request};

const PAGES: usize = 100;
const PLACEMENTS: usize = 200;

pub fn bundle(activities: usize, offers: usize) -> Value {
    let activities: Vec<Value> = (0..activities)
        .map(|i| {
            let surface = if i % 100 == 99 && i < 1_000 {
                format!("web://shop.example/*#w{i}")
            } else {
                format!("web://shop.example/p{}#f{}", i % PAGES, (i / PAGES) % 3)
            };
            let audience = match i % 3 {
                0 => "profile.tier == \"gold\"".to_owned(),
                1 => format!("context.cart.total > {}", i % 200),
                _ => "\"sale\" in profile.tags".to_owned(),
            };
            json!({
                "id": format!("a{i}"),
                "surfaces": [surface],
                "audience": audience,
                "priority": i % 101,
                "content": {"channel": "web", "actions": [
                    {"selector": format!("#s{}", i % 7), "type": "setText", "content": format!("Hi {{{{profile.firstName}}}} #{i}")}
                ]}
            })
        })
        .collect();
    let placements: Vec<Value> = (0..PLACEMENTS)
        .map(|j| json!({"id": format!("pl{j}"), "surface": format!("web://shop.example/p{}#o{}", j % PAGES, j / PAGES)}))
        .collect();
    let policies: Vec<Value> = (0..PLACEMENTS)
        .map(|j| json!({"id": format!("po{j}"), "placement": format!("pl{j}"), "top": 2}))
        .collect();
    let offers: Vec<Value> = (0..offers)
        .map(|i| {
            let mut offer = json!({
                "id": format!("o{i}"),
                "priority": i % 100,
                "representations": {format!("pl{}", i % PLACEMENTS): {"format": "text", "content": format!("Offer {i} for {{{{profile.firstName}}}}")}}
            });
            if i % 2 == 0 {
                offer["eligibility"] = json!(format!("profile.points > {}", i % 1000));
            }
            offer
        })
        .collect();
    json!({"format": 1, "id": "bench", "activities": activities, "offers": offers, "placements": placements, "policies": policies})
}

pub fn input() -> DecideInput {
    let mut surfaces: Vec<String> = (0..5)
        .map(|k| format!("web://shop.example/p{k}#f0"))
        .collect();
    surfaces.extend((0..5).map(|k| format!("web://shop.example/p{k}#o0")));
    serde_json::from_value(json!({
        "snapshot": {
            "profileId": "visitor-42",
            "attributes": {"firstName": "Ada", "tier": "gold", "tags": ["sale", "new"], "points": 420},
            "consent": {"personalize": "in"}
        },
        "context": {"cart": {"total": 120}, "page": {"url": "https://shop.example/p1"}},
        "now": 1_795_867_200_000_i64,
        "request": Request { surfaces, event: None },
    }))
    .unwrap_or_default()
}
