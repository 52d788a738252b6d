//! The bundle's JSON Schema (`waymark schema`) and the validator agree: every bound and pattern
//! the schema states is the one the engine enforces, so an editor driven by the schema neither
//! flags a bundle the engine takes nor passes one it refuses.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use proptest::prelude::*;
use serde_json::{Value, json};
use waymark_core::bundle::{Bundle, Surface};
use waymark_core::engine::Engine;

fn schema() -> Value {
    serde_json::to_value(schemars::schema_for!(Bundle)).unwrap()
}

/// The schema of property `field` of definition `def`.
fn property(schema: &Value, def: &str, field: &str) -> Value {
    schema["$defs"][def]["properties"][field].clone()
}

/// Whether `value` meets the integer bounds and the pattern of `schema` (the keywords the
/// bundle's schema uses for scalars).
fn allows(schema: &Value, value: &Value) -> bool {
    if let Some(n) = value.as_f64() {
        let min = schema["minimum"].as_f64().unwrap_or(f64::MIN);
        let max = schema["maximum"].as_f64().unwrap_or(f64::MAX);
        return min <= n && n <= max;
    }
    match (schema["pattern"].as_str(), value.as_str()) {
        (Some(pattern), Some(text)) => regress::Regex::new(pattern).unwrap().find(text).is_some(),
        _ => true,
    }
}

/// A bundle the engine takes, with one activity, one offer and its policy.
fn base() -> Value {
    json!({
        "format": 1,
        "id": "schema",
        "activities": [{
            "id": "a",
            "surfaces": ["web://shop.example/"],
            "content": {"channel": "card", "title": "Hi", "body": "there"},
            "quietHours": [{"from": "22:00", "to": "06:00", "days": [1]}]
        }, {
            "id": "b",
            "surfaces": ["web://shop.example/"],
            "experiment": {"id": "e", "variants": [
                {"id": "v", "weight": 1, "content": {"channel": "card", "title": "B", "body": "b"}}
            ]}
        }],
        "offers": [{"id": "o", "representations": {"p": {"format": "text", "content": "o"}}}],
        "placements": [{"id": "p", "surface": "web://shop.example/#offer"}],
        "policies": [{"id": "pp", "placement": "p"}]
    })
}

/// Whether the engine takes `bundle` (parsed, checked and compiled).
fn takes(bundle: &Value) -> bool {
    Engine::from_json(&bundle.to_string()).is_ok()
}

#[test]
fn the_base_bundle_is_valid() {
    let bundle = base();
    let engine = Engine::from_json(&bundle.to_string());
    assert!(engine.is_ok(), "{:?}", engine.err());
}

#[test]
fn bounds_and_patterns_agree_with_the_validator() {
    let schema = schema();
    // (definition, property, where the base bundle holds it, values either side of the bounds)
    let cases = [
        (
            "Activity",
            "priority",
            "/activities/0/priority",
            json!([0, 1, 100, 101, 255]),
        ),
        (
            "Experiment",
            "holdout",
            "/activities/1/experiment/holdout",
            json!([0, 9999, 10000, 10001]),
        ),
        (
            "TimeWindow",
            "from",
            "/activities/0/quietHours/0/from",
            json!([
                "00:00", "09:30", "23:59", "24:00", "7:00", "07:60", "+1:00", "07:+5", "0700",
                " 07:00"
            ]),
        ),
        (
            "TimeWindow",
            "to",
            "/activities/0/quietHours/0/to",
            json!(["06:00", "19:05", "24:01", "06:0"]),
        ),
        (
            "DecisionPolicy",
            "top",
            "/policies/0/top",
            json!([0, 1, 2, 50]),
        ),
    ];
    let mut checked = 0;
    for (def, field, at, values) in cases {
        let declared = property(&schema, def, field);
        assert!(declared.is_object(), "{def}.{field} is not in the schema");
        for value in values.as_array().unwrap() {
            let mut bundle = base();
            let parent = bundle.pointer_mut(at.rsplit_once('/').unwrap().0).unwrap();
            parent[field] = value.clone();
            assert_eq!(
                allows(&declared, value),
                takes(&bundle),
                "{def}.{field} = {value}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 27);
}

#[test]
fn quiet_hour_days_agree_with_the_validator() {
    let schema = schema();
    let items = property(&schema, "TimeWindow", "days")["items"].clone();
    for day in [0, 1, 4, 7, 8, 255] {
        let mut bundle = base();
        bundle["activities"][0]["quietHours"][0]["days"] = json!([2, day]);
        assert_eq!(allows(&items, &json!(day)), takes(&bundle), "day {day}");
    }
}

/// Surface URIs that probe the pattern's edges.
const SURFACES: &[&str] = &[
    "web://shop.example/",
    "WEB://shop.example/",
    "Web://Shop.Example/Product#Hero",
    "webapp://app.example/home",
    "WebApp://app.example",
    "MOBILEAPP://com.example.app/screen",
    "service://api.example",
    "SERVICE://api.example/x/*",
    "web://shop.example/product/*",
    "web://shop.example/pro*duct",
    "web://shop.example/*/x",
    "web://*.example/",
    "web://",
    "web:///path",
    "web://#frag",
    "http://shop.example/",
    "web:/shop.example",
    "shop.example",
    "webx://shop.example",
    "web://shop.example:8080/a#b*c",
    "web://shop.example/a#",
    "",
];

fn surface_pattern() -> regress::Regex {
    let schema = schema();
    let pattern = schema["$defs"]["Surface"]["pattern"]
        .as_str()
        .unwrap()
        .to_owned();
    regress::Regex::new(&pattern).unwrap()
}

#[test]
fn the_surface_pattern_is_the_parser() {
    let pattern = surface_pattern();
    for uri in SURFACES {
        assert_eq!(
            pattern.find(uri).is_some(),
            Surface::parse(uri).is_ok(),
            "{uri:?}"
        );
    }
}

proptest! {
    #[test]
    fn generated_surfaces_agree(
        uri in "(web|WEB|wEb|webapp|WebApp|mobileapp|MobileApp|service|Service|http|webs)?(://|:/|//)?[a-zA-Z.:*#/ -]{0,14}"
    ) {
        let pattern = surface_pattern();
        prop_assert_eq!(pattern.find(&uri).is_some(), Surface::parse(&uri).is_ok(), "{:?}", uri);
    }
}
