//! Property tests for bundles and decisions: no input makes loading or deciding panic, a bad
//! bundle always comes back as located problems, and decisions are deterministic.
// proptest is a native-only dev-dependency.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use serde_json::{Value, json};
use waymark_core::bundle::Bundle;
use waymark_core::engine::{DecideInput, Engine};

const SHOP: &str = include_str!("../../../tests/fixtures/shop/bundle.json");

fn arb_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-1000i64..1000).prop_map(|n| json!(n)),
        "[a-zA-Z0-9 {}#/:.*\"<>-]{0,12}".prop_map(Value::String),
        Just(json!([])),
        Just(json!({})),
    ]
}

fn arb_json() -> impl Strategy<Value = Value> {
    arb_leaf().prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z]{1,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Every (pointer, value) place in a JSON document.
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    out.push(at.clone());
    match value {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                pointers(item, format!("{at}/{i}"), out);
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                pointers(
                    item,
                    format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        _ => {}
    }
}

/// Whether `pointer` names a value of `bundle`, or a missing member of an object in it (where
/// a required field is absent).
fn located(bundle: &Value, pointer: &str) -> bool {
    if !pointer.is_empty() && !pointer.starts_with('/') {
        return false;
    }
    if bundle.pointer(pointer).is_some() {
        return true;
    }
    pointer
        .rsplit_once('/')
        .is_some_and(|(parent, _)| matches!(bundle.pointer(parent), Some(Value::Object(_))))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Replacing any value of the sample bundle with random JSON never panics; failures name
    /// at least one located problem.
    #[test]
    fn mutated_bundles_load_or_report(pick in any::<prop::sample::Index>(), replacement in arb_json()) {
        let mut bundle: Value = serde_json::from_str(SHOP).unwrap();
        let mut places = Vec::new();
        pointers(&bundle, String::new(), &mut places);
        let place = pick.get(&places).clone();
        if let Some(target) = bundle.pointer_mut(&place) {
            *target = replacement;
        }
        if let Err(errors) = Bundle::from_value(bundle.clone()) {
            prop_assert!(!errors.0.is_empty());
            for problem in &errors.0 {
                prop_assert!(!problem.message.is_empty(), "{problem:?}");
                prop_assert!(located(&bundle, &problem.pointer), "{problem} (mutated {place})");
            }
        }
    }

    /// Random text is never a panic, and never a bundle: the error says where the text broke.
    #[test]
    fn arbitrary_text_never_panics(text in ".{0,200}") {
        let errors = Bundle::from_json(&text).unwrap_err();
        prop_assert!(!errors.0.is_empty());
        for problem in &errors.0 {
            prop_assert!(problem.message.contains("line") || problem.message.contains("column")
                || problem.pointer.is_empty(), "{problem}");
        }
    }

    /// Random profiles, contexts and states never make a decision panic, and deciding twice
    /// gives the same result.
    #[test]
    fn random_inputs_decide_deterministically(
        attributes in arb_json(),
        context in arb_json(),
        now in 0i64..4_000_000_000_000,
        visitor in "[a-z0-9-]{0,12}",
        consent in prop_oneof![Just("in"), Just("out"), Just("pending")],
    ) {
        let engine = Engine::from_json(SHOP).unwrap();
        let input: DecideInput = serde_json::from_value(json!({
            "snapshot": {"profileId": visitor, "attributes": attributes, "consent": {"personalize": consent}},
            "context": context,
            "state": {"visitorId": visitor},
            "now": now,
            "request": {"surfaces": ["web://shop.example/product/1", "web://shop.example/"], "event": {"type": "addToCart", "timestamp": now}},
        })).unwrap();
        let first = serde_json::to_string(&engine.decide(&input)).unwrap();
        let second = serde_json::to_string(&engine.decide(&input)).unwrap();
        prop_assert_eq!(first, second);
    }
}
