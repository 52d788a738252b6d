//! The browser SDK's runtime: the engine loaded from compiled bundles.
//!
//! A compiled bundle (served by the central API at `GET /v1/bundle/compiled`) is the engine as
//! the API compiled it (conditions, templates, indexes), so this module links none of the
//! bundle's JSON deserializers, validation, parsers or compiler: it is what a page downloads. Decisions are the same
//! as the full engine's, byte for byte. Inputs and outputs cross as JSON text (inputs read by
//! the core's `from_json` readers, not serde's derived deserializers, which would be a sixth of
//! the module); errors cross as `JsError` carrying the engine's message. It links no locale or
//! time zone table either: the compiled bundle carries the locale rows and zone rules its
//! templates reach, and the visitor's zone rule comes in the input (`snapshot.timeZoneRule`).

use wasm_bindgen::prelude::*;
use waymark_core::engine;

/// An engine loaded from a compiled bundle.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Runtime {
    inner: engine::Engine,
}

#[wasm_bindgen]
impl Runtime {
    /// Loads a compiled bundle; throws when the bytes are not one (or were made by another
    /// version of the encoding).
    #[wasm_bindgen(constructor)]
    pub fn new(compiled: &[u8]) -> Result<Runtime, JsError> {
        engine::Engine::from_compiled(compiled)
            .map(|inner| Runtime { inner })
            .map_err(js_error)
    }

    /// Decides: `input` is the JSON of `{snapshot, context, state, now, request}`; returns the
    /// decision's JSON.
    pub fn decide(&self, input: &str) -> Result<String, JsError> {
        decide_json(&self.inner, input)
    }

    /// The bundle's revision.
    #[wasm_bindgen(getter)]
    pub fn revision(&self) -> f64 {
        self.inner.bundle().revision as f64
    }
}

/// Decides with `engine`: the input's JSON in, the decision's JSON out (the one crossing both
/// wasm modules use).
pub fn decide_json(engine: &engine::Engine, input: &str) -> Result<String, JsError> {
    let input = engine::DecideInput::from_json(input).map_err(js_error)?;
    serde_json::to_string(&engine.decide(&input)).map_err(js_error)
}

/// Applies a decision's `stateChanges` to a state; both JSON, returns the new state's JSON.
#[wasm_bindgen(js_name = applyStateChanges)]
pub fn apply_state_changes(state: &str, changes: &str) -> Result<String, JsError> {
    let mut state: engine::State = parse_state(state)?;
    let changes = engine::StateChanges::from_json(changes).map_err(js_error)?;
    state.apply(&changes);
    serde_json::to_string(&state).map_err(js_error)
}

/// Records an event (`{type, timestamp, target?, variant?, data?}`) in a state; returns the new
/// state's JSON.
#[wasm_bindgen(js_name = recordEvent)]
pub fn record_event(state: &str, event: &str) -> Result<String, JsError> {
    let mut state: engine::State = parse_state(state)?;
    let event = engine::LocalEvent::from_json(event).map_err(js_error)?;
    state.record(event);
    serde_json::to_string(&state).map_err(js_error)
}

fn parse_state(state: &str) -> Result<engine::State, JsError> {
    if state.trim().is_empty() {
        return Ok(engine::State::default());
    }
    engine::State::from_json(state).map_err(js_error)
}

/// The one place engine errors become JavaScript errors.
fn js_error(error: impl std::fmt::Display) -> JsError {
    JsError::new(&error.to_string())
}
