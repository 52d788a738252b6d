//! Compiled bytes → load → decide on the fixed inputs: forged or corrupted bytes are refused or
//! decide, never panic, loop or index out of bounds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use waymark_core::engine::Engine;
use waymark_fuzz::decide_all;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(engine) = Engine::from_compiled(bytes) {
        decide_all(&engine);
    }
});
