//! The runtimes' readers of JSON input: decide input, state, state changes and local events.
//! A state that reads also takes the event and the changes that read.
#![no_main]

use libfuzzer_sys::fuzz_target;
use waymark_core::engine::{DecideInput, LocalEvent, State, StateChanges};

fuzz_target!(|text: &str| {
    let _ = DecideInput::from_json(text);
    let event = LocalEvent::from_json(text);
    let changes = StateChanges::from_json(text);
    if let Ok(mut state) = State::from_json(text) {
        if let Ok(changes) = changes {
            state.apply(&changes);
        }
        if let Ok(event) = event {
            state.record(event);
        }
        let _ = serde_json::to_string(&state);
    }
});
