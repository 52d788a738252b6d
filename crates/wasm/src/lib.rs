//! JavaScript bindings of the Waymark engine, for browsers and webviews.
//!
//! This crate only translates: every function forwards to `waymark-core` and maps its types to
//! JavaScript ones (camelCase names through `js_name`). No logic lives here. Data crosses the
//! boundary as JSON text (one `JSON.stringify` on the JS side, one parse here), which is
//! cheaper than walking JS objects field by field; errors cross as `JsError` carrying the
//! engine's `Display` text.

mod condition;
mod data;
mod template;

pub use condition::{Condition, ConditionSet};
pub use data::Data;
pub use template::TemplateSet;

mod engine;

pub use engine::{Engine, apply_state_changes, compile_bundle, record_event};
pub use waymark_web::Runtime;

use wasm_bindgen::prelude::*;

/// MurmurHash3_x86_32 of the UTF-8 bytes of `input` with `seed`.
#[wasm_bindgen]
pub fn murmur3(input: &str, seed: u32) -> u32 {
    waymark_core::hash::murmur3_x86_32(input.as_bytes(), seed)
}

/// The experiment bucket (0..10000) of `unitId` in the experiment seeded with `seed`.
#[wasm_bindgen(js_name = bucket)]
pub fn bucket(seed: &str, unit_id: &str) -> u32 {
    waymark_core::hash::bucket(seed, unit_id)
}

/// The one error mapping: the engine's message, as a JavaScript `Error`.
pub(crate) fn js_error(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

/// Parses a JSON argument (data, a rule, options).
pub(crate) fn parse_json(what: &str, json: &str) -> Result<serde_json::Value, JsError> {
    serde_json::from_str(json).map_err(|e| js_error(format_args!("invalid {what} JSON: {e}")))
}

/// A JavaScript time (milliseconds since the epoch, a float) as the engine's whole milliseconds.
#[allow(clippy::cast_possible_truncation)]
pub(crate) fn millis(now_ms: f64) -> i64 {
    now_ms as i64
}
