//! The decisioning vectors (tests/vectors/*.json): every case's decision must match its
//! expectation, and deciding twice must give byte-identical output. The browser and edge
//! runtimes run the same files.
//!
//! A vector file is `{"description", "bundle": <bundle> | "<fixture name>", "cases": [...]}`;
//! a case is `{"name", "input": <DecideInput, "now" may be RFC 3339>, "expect": <partial
//! decision>}`. Expectations are partial: a non-empty object matches when each of its keys
//! matches, an empty object `{}` only an empty object, an array when it has the same length and
//! each element matches, and `{"$contains": [...]}` when each listed element matches some
//! element of the array; `{"$absent": true}` matches a missing key. Numbers match by value.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use serde_json::{Value, json};
use waymark_core::engine::{DecideInput, Engine};

const SHOP: &str = include_str!("../../../tests/fixtures/shop/bundle.json");

macro_rules! vector_files {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../../tests/vectors/", $name, ".json")))),*]
    };
}

const FILES: &[(&str, &str)] = vector_files![
    "activities",
    "experiments",
    "frequency",
    "offers",
    "rendering",
    "shop",
];

/// Why `actual` does not match `expected`, if it does not.
fn mismatch(expected: &Value, actual: Option<&Value>, at: &str) -> Option<String> {
    match (expected, actual) {
        (Value::Object(e), _) if e.get("$absent") == Some(&Value::Bool(true)) => {
            actual.map(|a| format!("{at}: expected nothing, found {a}"))
        }
        (Value::Object(e), Some(Value::Array(items))) if e.contains_key("$contains") => {
            let wanted = e["$contains"].as_array().unwrap();
            wanted.iter().enumerate().find_map(|(i, w)| {
                let found = items
                    .iter()
                    .any(|item| mismatch(w, Some(item), at).is_none());
                (!found).then(|| format!("{at}: no element matches $contains[{i}] = {w}"))
            })
        }
        (Value::Object(e), Some(Value::Object(a))) if e.is_empty() => (!a.is_empty())
            .then(|| format!("{at}: expected {{}}, found {}", Value::Object(a.clone()))),
        (Value::Object(e), Some(Value::Object(a))) => e
            .iter()
            .find_map(|(k, v)| mismatch(v, a.get(k), &format!("{at}/{k}"))),
        (Value::Array(e), Some(Value::Array(a))) => {
            if e.len() != a.len() {
                return Some(format!(
                    "{at}: expected {} elements, found {}: {}",
                    e.len(),
                    a.len(),
                    Value::Array(a.clone())
                ));
            }
            e.iter()
                .zip(a)
                .enumerate()
                .find_map(|(i, (e, a))| mismatch(e, Some(a), &format!("{at}/{i}")))
        }
        (Value::Number(e), Some(Value::Number(a))) if e.as_f64() == a.as_f64() => None,
        (e, Some(a)) if e == a => None,
        (e, a) => Some(format!(
            "{at}: expected {e}, found {}",
            a.map_or("nothing".to_owned(), Value::to_string)
        )),
    }
}

/// The matcher itself: each form of expectation can fail.
#[test]
fn expectations_can_fail() {
    let fails = |e: Value, a: Value| mismatch(&e, Some(&a), "").is_some();
    assert!(
        fails(json!({}), json!({"assignments": {"x": "A"}})),
        "{{}} is an empty object"
    );
    assert!(!fails(json!({}), json!({})));
    assert!(fails(json!({"a": 1}), json!({"a": 2})));
    assert!(
        !fails(json!({"a": 1}), json!({"a": 1.0, "b": 2})),
        "partial, numbers by value"
    );
    assert!(fails(json!([1]), json!([1, 2])));
    assert!(fails(json!({"a": {"$absent": true}}), json!({"a": null})));
    assert!(fails(json!({"$contains": [3]}), json!([1, 2])));
    assert!(!fails(json!({"$contains": [2]}), json!([1, 2])));
    assert!(mismatch(&json!(1), None, "").is_some());
}

fn input(mut raw: Value) -> DecideInput {
    if let Some(Value::String(now)) = raw.get("now") {
        let ms = waymark_core::expr::parse_timestamp_ms(now).unwrap();
        raw["now"] = Value::from(ms);
    }
    serde_json::from_value(raw).unwrap()
}

#[test]
fn every_vector_passes_and_is_deterministic() {
    let mut cases = 0;
    let mut failures = Vec::new();
    for (file, text) in FILES {
        let suite: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{file}: {e}"));
        let bundle = match &suite["bundle"] {
            Value::String(name) if name == "shop" => SHOP.to_owned(),
            Value::String(name) => panic!("{file}: unknown fixture {name}"),
            inline => inline.to_string(),
        };
        let engine = Engine::from_json(&bundle).unwrap_or_else(|e| panic!("{file}: bundle: {e}"));
        for case in suite["cases"].as_array().unwrap() {
            cases += 1;
            let name = format!("{file}: {}", case["name"].as_str().unwrap());
            let input = input(case["input"].clone());
            let decision = serde_json::to_value(engine.decide(&input)).unwrap();
            let again = serde_json::to_value(engine.decide(&input)).unwrap();
            assert_eq!(decision, again, "{name}: not deterministic");
            if let Some(why) = mismatch(&case["expect"], Some(&decision), "") {
                failures.push(format!("{name}\n    {why}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {cases} vectors failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(cases >= 102, "only {cases} vectors ran");
}

/// Decision ids (and the tokens built on them) tell apart bundles that share an id and a
/// revision, and inputs whose parts would join into the same text.
#[test]
fn decision_ids_tell_bundles_and_inputs_apart() {
    let id = |bundle: &str, profile: &str, visitor: &str| {
        let engine = Engine::from_json(bundle).unwrap();
        let raw = json!({
            "snapshot": {"profileId": profile},
            "state": {"visitorId": visitor},
            "now": "2026-11-28T12:00:00Z",
            "request": {"surfaces": ["web://shop.example/"]}
        });
        engine.decide(&input(raw)).decision_id
    };
    let mut edited: Value = serde_json::from_str(SHOP).unwrap();
    edited["activities"][0]["priority"] = json!(1);
    let edited = edited.to_string();
    assert_eq!(id(SHOP, "p", "v"), id(SHOP, "p", "v"));
    assert_ne!(
        id(SHOP, "p", "v"),
        id(&edited, "p", "v"),
        "same id and revision, other bundle"
    );
    assert_ne!(id(SHOP, "a|b", "c"), id(SHOP, "a", "b|c"));
    assert_eq!(id(SHOP, "p", "v").len(), 16);
}

/// Every text and URL field of an image is a template: a card's dark-mode URL and a structured
/// in-app message's alt text too.
#[test]
fn image_fields_are_templates() {
    let bundle = json!({
        "format": 1, "id": "images",
        "activities": [
            {"id": "card", "surfaces": ["web://shop.example/#cards"], "content": {
                "channel": "card", "title": "T",
                "image": {"url": "https://cdn.example/{{profile.tier}}.png",
                          "darkUrl": "https://cdn.example/{{profile.tier}}-dark.png",
                          "alt": "{{profile.tier}} badge"}}},
            {"id": "message", "surfaces": ["web://shop.example/#cards"], "content": {
                "channel": "inApp", "layout": "modal", "title": "T",
                "image": {"url": "javascript:{{profile.tier}}", "darkUrl": "https://cdn.example/{{profile.tier}}-dark.png",
                          "alt": "{{profile.tier}} picture"}}}
        ]
    });
    let engine = Engine::from_json(&bundle.to_string()).unwrap();
    let raw = json!({
        "snapshot": {"attributes": {"tier": "gold"}, "consent": {"personalize": "in"}},
        "now": "2026-11-28T12:00:00Z",
        "request": {"surfaces": ["web://shop.example/#cards"]}
    });
    let decision = serde_json::to_value(engine.decide(&input(raw))).unwrap();
    let card = &decision["propositions"][0]["content"]["image"];
    assert_eq!(card["url"], "https://cdn.example/gold.png");
    assert_eq!(card["darkUrl"], "https://cdn.example/gold-dark.png");
    assert_eq!(card["alt"], "gold badge");
    let message = &decision["propositions"][1]["content"]["image"];
    assert_eq!(message["url"], "about:invalid#waymark");
    assert_eq!(message["darkUrl"], "https://cdn.example/gold-dark.png");
    assert_eq!(message["alt"], "gold picture");
}

/// A profile whose time zone the engine does not know is placed in UTC everywhere: quiet
/// hours, caps and the date helpers, with a diagnostic.
#[test]
fn an_unknown_profile_zone_is_utc_with_a_diagnostic() {
    let bundle = json!({
        "format": 1, "id": "zones",
        "activities": [{"id": "date", "surfaces": ["web://shop.example/#d"], "content": {
            "channel": "code", "format": "json", "content": {"day": "{{formatDate (now) \"yyyy-MM-dd HH:mm\"}}"}}}]
    });
    let engine = Engine::from_json(&bundle.to_string()).unwrap();
    let decide = |zone: &str| {
        let raw = json!({
            "snapshot": {"consent": {"personalize": "in"}, "timeZone": zone},
            "now": "2026-11-28T23:30:00Z",
            "request": {"surfaces": ["web://shop.example/#d"]}
        });
        serde_json::to_value(engine.decide(&input(raw))).unwrap()
    };
    let known = decide("Europe/Paris");
    assert_eq!(
        known["propositions"][0]["content"]["content"]["day"],
        "2026-11-29 00:30"
    );
    assert!(known.get("diagnostics").is_none(), "{known}");
    let unknown = decide("Mars/Olympus");
    assert_eq!(
        unknown["propositions"][0]["content"]["content"]["day"],
        "2026-11-28 23:30"
    );
    assert_eq!(
        unknown["diagnostics"],
        json!(["snapshot: unknown time zone `Mars/Olympus`; UTC is used"])
    );
}

/// The compiled bundle (what the browser SDK loads) decides every vector byte for byte as the
/// JSON bundle does.
#[test]
fn compiled_bundles_decide_as_json_bundles_do() {
    let mut cases = 0;
    for (file, text) in FILES {
        let suite: Value = serde_json::from_str(text).unwrap();
        let bundle = match &suite["bundle"] {
            Value::String(_) => SHOP.to_owned(),
            inline => inline.to_string(),
        };
        let bundle = waymark_core::bundle::Bundle::from_json(&bundle).unwrap();
        let (engine, bytes) = Engine::compile_encoded(bundle).unwrap();
        let compiled = Engine::from_compiled(&bytes).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(compiled.bundle(), engine.bundle(), "{file}");
        for case in suite["cases"].as_array().unwrap() {
            cases += 1;
            let input = input(case["input"].clone());
            let want = serde_json::to_string(&engine.decide(&input)).unwrap();
            let got = serde_json::to_string(&compiled.decide(&input)).unwrap();
            assert_eq!(got, want, "{file}: {}", case["name"]);
        }
    }
    assert!(cases >= 102, "only {cases} vectors ran");
}

/// Every truncation of a compiled bundle, and any corruption of its bytes, is an error (or,
/// for a corruption that still decodes, a bundle), never a panic.
#[test]
fn damaged_compiled_bundles_are_errors() {
    let bundle = waymark_core::bundle::Bundle::from_json(SHOP).unwrap();
    let (_, bytes) = Engine::compile_encoded(bundle).unwrap();
    for len in 0..bytes.len() {
        let err = Engine::from_compiled(&bytes[..len]).unwrap_err();
        assert!(err.to_string().contains("compiled bundle"), "{err}");
    }
    let mut extra = bytes.clone();
    extra.push(0);
    assert!(
        Engine::from_compiled(&extra)
            .unwrap_err()
            .to_string()
            .contains("trailing")
    );
    // Inputs to decide with whatever still decodes: that must not panic either.
    let inputs: Vec<DecideInput> = FILES
        .iter()
        .flat_map(|(_, text)| {
            let suite: Value = serde_json::from_str(text).unwrap();
            let cases = suite["cases"].as_array().unwrap().clone();
            cases.into_iter().map(|case| input(case["input"].clone()))
        })
        .step_by(7)
        .collect();
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut decoded = 0;
    for round in 0..3000 {
        let mut damaged = bytes.clone();
        // Half the rounds damage only the last quarter, where the engine's indexes are.
        let from = if round % 2 == 0 {
            0
        } else {
            damaged.len() * 3 / 4
        };
        for _ in 0..1 + seed % 4 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let at = from + (seed % (damaged.len() - from) as u64) as usize;
            damaged[at] = (seed >> 32) as u8;
        }
        if let Ok(engine) = Engine::from_compiled(&damaged) {
            decoded += 1;
            for input in &inputs {
                let _ = engine.decide(input);
            }
        }
    }
    assert!(decoded > 50, "only {decoded} damaged bundles decoded");
}

/// The wasm modules read inputs with `DecideInput::from_json`, everything else with the serde
/// derives: both accept the same inputs and read them the same, for every vector's input and
/// for each way of breaking one field of it (removed, null, another type).
#[test]
fn inputs_read_from_json_as_serde_reads_them() {
    let mut checked = 0;
    for (file, text) in FILES {
        let suite: Value = serde_json::from_str(text).unwrap();
        for case in suite["cases"].as_array().unwrap() {
            let whole = serde_json::to_value(input(case["input"].clone())).unwrap();
            for variant in variants(&whole) {
                let text = variant.to_string();
                let serde = serde_json::from_str::<DecideInput>(&text);
                let ours = DecideInput::from_json(&text);
                match (&serde, &ours) {
                    (Ok(a), Ok(b)) => assert_eq!(a, b, "{file}: {text}"),
                    (Err(_), Err(_)) => {}
                    _ => panic!("{file}: {text}\n  serde: {serde:?}\n  ours: {ours:?}"),
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 10_000, "only {checked} inputs checked");
}

/// `value` itself, then `value` with each object member in turn removed, made null, or
/// replaced by a value of each other JSON type.
fn variants(value: &Value) -> Vec<Value> {
    let replacements = [
        None,
        Some(Value::Null),
        Some(json!(true)),
        Some(json!(-3)),
        Some(json!(1.5)),
        Some(json!("in")),
        // Not `["x"]`: serde also reads a struct from an array of its fields, `from_json`
        // does not (no host writes one).
        Some(json!([1, "x"])),
        Some(json!({"type": "t", "timestamp": 1})),
    ];
    let mut out = vec![value.clone()];
    let mut pointers = Vec::new();
    collect_pointers(value, String::new(), &mut pointers);
    for pointer in pointers {
        for replacement in &replacements {
            let mut changed = value.clone();
            let (parent, key) = pointer.rsplit_once('/').unwrap();
            let key = key.replace("~1", "/").replace("~0", "~");
            match changed.pointer_mut(parent).unwrap() {
                Value::Object(map) => match replacement {
                    None => drop(map.remove(&key)),
                    Some(r) => drop(map.insert(key, r.clone())),
                },
                Value::Array(items) => {
                    let i: usize = key.parse().unwrap();
                    match replacement {
                        None => drop(items.remove(i)),
                        Some(r) => items[i] = r.clone(),
                    }
                }
                _ => unreachable!(),
            }
            out.push(changed);
        }
    }
    out
}

fn collect_pointers(value: &Value, at: String, out: &mut Vec<String>) {
    let children: Vec<(String, &Value)> = match value {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| (k.replace('~', "~0").replace('/', "~1"), v))
            .collect(),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), v))
            .collect(),
        _ => return,
    };
    for (key, child) in children {
        let at = format!("{at}/{key}");
        out.push(at.clone());
        // Free-form data (profile attributes, context, event data) is taken as it is.
        if !matches!(key.as_str(), "attributes" | "context" | "data") {
            collect_pointers(child, at, out);
        }
    }
}
