//! JsonLogic JSON → compile → evaluate over the vectors' data.
#![no_main]

use libfuzzer_sys::fuzz_target;
use waymark_core::expr::{Env, Expr};
use waymark_fuzz::{DATA, NOW_MS};

fuzz_target!(|bytes: &[u8]| {
    let Ok(rule) = serde_json::from_slice(bytes) else {
        return;
    };
    if let Ok(expr) = Expr::from_jsonlogic(&rule) {
        expr.eval(&DATA, &Env::new(NOW_MS));
    }
});
