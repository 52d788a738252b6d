//! JavaScript bindings of the Waymark engine, for browsers and webviews.
//!
//! This crate only translates: every function forwards to `waymark-core` and maps its types to
//! JavaScript ones (camelCase names through `js_name`). No logic lives here.

mod engine;

pub use engine::{Engine, apply_state_changes, record_event};

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
