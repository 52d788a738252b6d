//! Expression text → parse → evaluate over the vectors' data.
#![no_main]

use libfuzzer_sys::fuzz_target;
use waymark_core::expr::{Env, Expr};
use waymark_fuzz::{DATA, NOW_MS};

fuzz_target!(|text: &str| {
    if let Ok(expr) = Expr::parse(text) {
        let evaluation = expr.eval(&DATA, &Env::new(NOW_MS));
        assert_eq!(evaluation.truthy(), expr.matches(&DATA, &Env::new(NOW_MS)));
    }
});
