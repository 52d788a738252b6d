//! Template text → compile (plain, and in HTML contexts) → render over the vectors' data.
#![no_main]

use libfuzzer_sys::fuzz_target;
use waymark_core::template::{Partials, RenderOptions, Template};
use waymark_fuzz::{DATA, NOW_MS};

fuzz_target!(|text: &str| {
    let opts = RenderOptions {
        now_ms: NOW_MS,
        ..RenderOptions::default()
    };
    for compiled in [
        Template::compile("t", text),
        Template::compile_html("t", text),
    ] {
        if let Ok(template) = compiled {
            let _ = template.render(&DATA, &Partials::new(), &opts);
        }
    }
});
