//! The exported functions, called the way JavaScript calls them (run in node by
//! wasm-bindgen-test-runner; natively as plain tests).
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

#[test]
fn murmur3_matches_the_reference() {
    assert_eq!(waymark_wasm::murmur3("exp-42:user-1", 0), 428_924_505);
    assert_eq!(waymark_wasm::murmur3("hello", 42), 3_806_057_185);
}

#[test]
fn bucket_is_in_range_and_stable() {
    assert_eq!(waymark_wasm::bucket("exp-42", "user-1"), 4505);
}
