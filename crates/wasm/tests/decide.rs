//! The engine through its JavaScript API (in node under wasm-bindgen-test-runner).
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};
use wasm_bindgen_test::wasm_bindgen_test as test;
use waymark_wasm::{Engine, Runtime, record_event};

const SHOP: &str = include_str!("../../../tests/fixtures/shop/bundle.json");

#[test]
fn decides_from_json_to_json() {
    let engine = Engine::new(SHOP).unwrap();
    assert_eq!(engine.revision(), 1.0);
    let input = json!({
        "snapshot": {"profileId": "p", "attributes": {"firstName": "Ada", "loyalty": {"tier": "gold"}}, "consent": {"personalize": "in"}},
        "now": 1_795_867_200_000_i64,
        "request": {"surfaces": ["web://shop.example/product/1#hero"]}
    });
    let decision: Value =
        serde_json::from_str(&engine.decide(&input.to_string()).unwrap()).unwrap();
    assert_eq!(decision["propositions"][0]["activityId"], "hero-gold");
    assert_eq!(
        decision["propositions"][0]["content"]["actions"][0]["content"],
        "Hi Ada, your gold perks are waiting"
    );
}

#[test]
fn the_runtime_decides_compiled_bundles_as_the_engine_decides_json_ones() {
    let bundle = waymark_core::bundle::Bundle::from_json(SHOP).unwrap();
    let (_, compiled) = waymark_core::engine::Engine::compile_encoded(bundle).unwrap();
    let runtime = Runtime::new(&compiled).unwrap();
    assert_eq!(runtime.revision(), 1.0);
    let input = json!({
        "snapshot": {"profileId": "p", "attributes": {"firstName": "Ada", "loyalty": {"tier": "gold"}}, "consent": {"personalize": "in"}},
        "now": 1_795_867_200_000_i64,
        "request": {"surfaces": ["web://shop.example/product/1#hero", "web://shop.example/#offer"]}
    })
    .to_string();
    let engine = Engine::new(SHOP).unwrap();
    assert_eq!(
        runtime.decide(&input).unwrap(),
        engine.decide(&input).unwrap()
    );
    // A JSON bundle, or a damaged compiled one, is refused.
    assert!(Runtime::new(SHOP.as_bytes()).is_err());
    assert!(Runtime::new(&compiled[..compiled.len() / 2]).is_err());
}

#[test]
fn events_are_recorded_in_order() {
    let state = record_event("", r#"{"type": "display", "timestamp": 20, "target": "a"}"#).unwrap();
    let state = record_event(
        &state,
        r#"{"type": "click", "timestamp": 10, "target": "a"}"#,
    )
    .unwrap();
    let state: Value = serde_json::from_str(&state).unwrap();
    assert_eq!(state["events"][0]["type"], "click");
    assert_eq!(state["events"][1]["type"], "display");
}
