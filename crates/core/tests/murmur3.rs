//! The shared murmur3 vectors, run natively. The wasm builds run the same file in node,
//! Chromium and workerd.

// The same tests run under wasm-bindgen-test (in node) when built for wasm32.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use serde_json::Value;
use waymark_core::hash::murmur3_x86_32;

const VECTORS: &str = include_str!("../../../tests/suites/murmur3.json");

#[test]
fn every_vector_matches() {
    let suite: Value = serde_json::from_str(VECTORS).unwrap();
    let cases = suite["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 14);
    for case in cases {
        let input = case["input"].as_str().unwrap();
        let seed = case["seed"].as_u64().unwrap() as u32;
        let expected = case["murmur3_x86_32"].as_u64().unwrap() as u32;
        assert_eq!(
            murmur3_x86_32(input.as_bytes(), seed),
            expected,
            "input {input:?} seed {seed}"
        );
    }
}
