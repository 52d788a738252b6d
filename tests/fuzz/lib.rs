//! What the fuzz targets share: fixed decide inputs and data, taken from the project's
//! cross-runtime vectors (tests/vectors), so that every target runs the engine on realistic
//! inputs besides the fuzzed one.

use std::sync::LazyLock;

use serde_json::Value;
use waymark_core::engine::{DecideInput, Engine};

/// The vector files, compiled in: a fuzz run reads no file but its corpus.
pub const VECTORS: [&str; 6] = [
    include_str!("../vectors/activities.json"),
    include_str!("../vectors/experiments.json"),
    include_str!("../vectors/frequency.json"),
    include_str!("../vectors/offers.json"),
    include_str!("../vectors/rendering.json"),
    include_str!("../vectors/shop.json"),
];

/// "Now" for expressions and templates: 2026-11-28T12:00:00Z.
pub const NOW_MS: i64 = 1_795_867_200_000;

/// Every vector case's input.
pub static INPUTS: LazyLock<Vec<DecideInput>> = LazyLock::new(|| {
    vector_files()
        .flat_map(|file| file["cases"].as_array().cloned().unwrap_or_default())
        .filter_map(|case| DecideInput::from_json(&case["input"].to_string()).ok())
        .collect()
});

/// The data expressions and templates are evaluated over: every vector case's input side by
/// side (profiles, contexts, states), under `cases`, and the first one's at the root.
pub static DATA: LazyLock<Value> = LazyLock::new(|| {
    let inputs: Vec<Value> = vector_files()
        .flat_map(|file| file["cases"].as_array().cloned().unwrap_or_default())
        .map(|case| case["input"].clone())
        .collect();
    let mut data = inputs.first().cloned().unwrap_or(Value::Null);
    if let Value::Object(map) = &mut data {
        map.insert("cases".into(), Value::Array(inputs));
    }
    data
});

/// The vector files as JSON.
pub fn vector_files() -> impl Iterator<Item = Value> {
    VECTORS
        .iter()
        .filter_map(|text| serde_json::from_str(text).ok())
}

/// `engine`'s decision for each fixed input, as JSON text.
pub fn decide_all(engine: &Engine) -> Vec<String> {
    INPUTS
        .iter()
        .map(|input| serde_json::to_string(&engine.decide(input)).unwrap_or_default())
        .collect()
}
