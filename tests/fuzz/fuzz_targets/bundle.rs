//! Bundle JSON → validate → compile; a bundle that compiles is also encoded, loaded back as the
//! page runtime loads it, and must decide exactly as the engine it was compiled into.
#![no_main]

use libfuzzer_sys::fuzz_target;
use waymark_core::engine::Engine;
use waymark_fuzz::decide_all;

fuzz_target!(|text: &str| {
    let Ok(engine) = Engine::from_json(text) else {
        return;
    };
    let full = decide_all(&engine);
    let (_, bytes) =
        Engine::compile_encoded(engine.into_bundle()).expect("a compiled bundle compiles again");
    let loaded = Engine::from_compiled(&bytes).expect("a compiled bundle loads");
    assert_eq!(
        full,
        decide_all(&loaded),
        "the page runtime decides as the full engine"
    );
});
