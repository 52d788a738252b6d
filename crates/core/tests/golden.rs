//! The compiled encoding, byte for byte: the sample shop compiles to the bytes kept in
//! `tests/fixtures/shop/bundle.compiled`. Runtimes keep compiled bundles (the SDK caches one in
//! the page's storage) and refuse those of another encoding version only by its number, so a
//! change to the bytes must come with a new number in `crates/core/src/wire.rs`. When this test
//! fails, decide which it is:
//! - the format changed (a field added, removed, reordered or re-typed): raise the version, then
//!   rewrite the file with `WAYMARK_BLESS=1 cargo test -p waymark-core --test golden`;
//! - only the content changed (the shop bundle was edited, the compiler orders something
//!   differently) under an unchanged format: rewrite the file the same way.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use waymark_core::bundle::Bundle;
use waymark_core::engine::Engine;

const SHOP: &str = include_str!("../../../tests/fixtures/shop/bundle.json");
const GOLDEN: &[u8] = include_bytes!("../../../tests/fixtures/shop/bundle.compiled");

fn compiled() -> Vec<u8> {
    Engine::compile_encoded(Bundle::from_json(SHOP).unwrap())
        .unwrap()
        .1
}

#[test]
fn the_shop_compiles_to_the_golden_bytes() {
    let bytes = compiled();
    #[cfg(not(target_arch = "wasm32"))]
    if std::env::var_os("WAYMARK_BLESS").is_some() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/fixtures/shop/bundle.compiled"
        );
        std::fs::write(path, &bytes).unwrap();
        return;
    }
    if bytes == GOLDEN {
        return;
    }
    let at = bytes
        .iter()
        .zip(GOLDEN)
        .position(|(a, b)| a != b)
        .unwrap_or(bytes.len().min(GOLDEN.len()));
    let (now, then) = (&bytes[..4], &GOLDEN[..4.min(GOLDEN.len())]);
    panic!(
        "the shop's compiled bytes changed at byte {at} of {} (the golden file has {}), {}; see this file's doc",
        bytes.len(),
        GOLDEN.len(),
        if now == then {
            "under the same encoding version"
        } else {
            "and the encoding version with them: rewrite the golden file"
        }
    );
}

#[test]
fn the_golden_bytes_load_and_decide_as_the_bundle_does() {
    let from_bytes = Engine::from_compiled(GOLDEN).unwrap();
    let from_json = Engine::from_json(SHOP).unwrap();
    let input = waymark_core::engine::DecideInput::from_json(
        r#"{"snapshot": {"profileId": "p1", "attributes": {"tier": "gold", "name": "Ada"},
                         "consent": {"personalize": "in"}},
            "now": 1795867200000,
            "request": {"surfaces": ["web://shop.example/product/1#hero", "web://shop.example/#offer"]}}"#,
    )
    .unwrap();
    let (a, b) = (from_bytes.decide(&input), from_json.decide(&input));
    assert_eq!(
        serde_json::to_value(&a).unwrap(),
        serde_json::to_value(&b).unwrap()
    );
    assert!(!a.propositions.is_empty());
}
