//! The decisioning engine for JavaScript. Inputs and outputs cross as JSON text: one parse on
//! each side, and byte-identical output in every runtime.

use wasm_bindgen::prelude::*;
use waymark_core::engine;

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
        let input: engine::DecideInput = serde_json::from_str(input).map_err(js_error)?;
        serde_json::to_string(&self.inner.decide(&input)).map_err(js_error)
    }

    /// The bundle's revision.
    #[wasm_bindgen(getter)]
    pub fn revision(&self) -> f64 {
        self.inner.bundle().revision as f64
    }
}

/// Applies a decision's `stateChanges` to a state; both JSON, returns the new state's JSON.
#[wasm_bindgen(js_name = applyStateChanges)]
pub fn apply_state_changes(state: &str, changes: &str) -> Result<String, JsError> {
    let mut state: engine::State = parse_state(state)?;
    let changes: engine::StateChanges = serde_json::from_str(changes).map_err(js_error)?;
    state.apply(&changes);
    serde_json::to_string(&state).map_err(js_error)
}

/// Records an event (`{type, timestamp, target?, variant?, data?}`) in a state; returns the new
/// state's JSON.
#[wasm_bindgen(js_name = recordEvent)]
pub fn record_event(state: &str, event: &str) -> Result<String, JsError> {
    let mut state: engine::State = parse_state(state)?;
    let event: engine::LocalEvent = serde_json::from_str(event).map_err(js_error)?;
    state.record(event);
    serde_json::to_string(&state).map_err(js_error)
}

fn parse_state(state: &str) -> Result<engine::State, JsError> {
    if state.trim().is_empty() {
        return Ok(engine::State::default());
    }
    serde_json::from_str(state).map_err(js_error)
}

/// The one place engine errors become JavaScript errors.
fn js_error(error: impl std::fmt::Display) -> JsError {
    JsError::new(&error.to_string())
}
