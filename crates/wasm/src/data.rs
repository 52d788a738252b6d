//! `Data`: decision data parsed once, for many evaluations and renders.

use wasm_bindgen::prelude::*;

use crate::parse_json;

/// A parsed JSON document (a profile snapshot with its context) held by the engine, so that
/// conditions and templates over the same data skip the JSON crossing and parse.
#[wasm_bindgen]
#[derive(Debug, Clone)]
pub struct Data(pub(crate) serde_json::Value);

#[wasm_bindgen]
impl Data {
    /// Parses `json`; throws with serde_json's message and position.
    #[wasm_bindgen(constructor)]
    pub fn new(json: &str) -> Result<Data, JsError> {
        parse_json("data", json).map(Data)
    }
}
