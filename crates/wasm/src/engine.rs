//! The decisioning engine for JavaScript. Inputs and outputs cross as JSON text: one parse on
//! each side, and byte-identical output in every runtime.

use wasm_bindgen::prelude::*;
use waymark_core::engine;

use crate::js_error;

/// A compiled bundle.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Engine {
    inner: engine::Engine,
}

#[wasm_bindgen]
impl Engine {
    /// Compiles a bundle (JSON text). A bad bundle throws, listing each problem as
    /// `pointer: message` on its own line.
    #[wasm_bindgen(constructor)]
    pub fn new(bundle: &str) -> Result<Engine, JsError> {
        engine::Engine::from_json(bundle)
            .map(|inner| Engine { inner })
            .map_err(js_error)
    }

    /// Decides: `input` is the JSON of `{snapshot, context, state, now, request}`; returns the
    /// decision's JSON.
    pub fn decide(&self, input: &str) -> Result<String, JsError> {
        waymark_web::decide_json(&self.inner, input)
    }

    /// The bundle's revision.
    #[wasm_bindgen(getter)]
    pub fn revision(&self) -> f64 {
        self.inner.bundle().revision as f64
    }
}

/// Compiles a bundle (JSON text) into a compiled bundle, what `Runtime` (the browser SDK's lean
/// module) loads; the central API serves the same bytes at `GET /v1/bundle/compiled`.
#[wasm_bindgen(js_name = compileBundle)]
pub fn compile_bundle(bundle: &str) -> Result<Vec<u8>, JsError> {
    let bundle = waymark_core::bundle::Bundle::from_json(bundle).map_err(js_error)?;
    engine::Engine::compile_encoded(bundle)
        .map(|(_, bytes)| bytes)
        .map_err(js_error)
}

/// The state functions are the browser runtime's own.
pub use waymark_web::{apply_state_changes, record_event};
