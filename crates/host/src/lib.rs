//! The JavaScript host's ECMAScript primitives, for the page runtime (`waymark-core`'s `host`
//! feature): `String(number)`, `Number(text)` and `RegExp`. Their results are fixed by
//! ECMA-262, so the core gets the same answers from them as from its native implementations
//! of the same specification (`ryu-js`, its decimal parser, `regress`); the core's
//! differential tests hold them to it. Only bindings here: what to call and when is the core's.
//!
//! Empty outside wasm32.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// `String(n)`: ECMAScript's Number::toString (shortest round trip).
    #[wasm_bindgen(js_name = String)]
    pub fn number_to_string(n: f64) -> String;

    /// `Number(text)`: ECMAScript's StringToNumber.
    #[wasm_bindgen(js_name = Number)]
    pub fn string_to_number(text: &str) -> f64;

    /// A compiled ECMAScript regular expression.
    #[wasm_bindgen(js_name = RegExp)]
    #[derive(Debug, Clone)]
    pub type RegExp;

    /// `new RegExp(pattern, flags)`; `Err` with the host's `SyntaxError` when it refuses.
    #[wasm_bindgen(constructor, js_class = "RegExp", catch)]
    pub fn new(pattern: &str, flags: &str) -> Result<RegExp, JsValue>;

    /// `RegExp.prototype.test` (without the `g` and `y` flags it starts at 0 every time).
    #[wasm_bindgen(method, js_class = "RegExp")]
    pub fn test(this: &RegExp, text: &str) -> bool;
}
