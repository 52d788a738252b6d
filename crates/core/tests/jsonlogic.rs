//! The official JsonLogic test suite (jsonlogic.com/tests.json), run natively. The wasm builds
//! run the same file in node.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

// The same tests run under wasm-bindgen-test (in node) when built for wasm32.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use serde_json::Value;
use waymark_core::expr::{Env, Expr};

const SUITE: &str = include_str!("../../../tests/suites/jsonlogic/tests.json");

/// JSON equality with numbers compared by value (`1 == 1.0`).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

#[test]
fn official_suite_passes() {
    let suite: Value = serde_json::from_str(SUITE).unwrap();
    let env = Env::new(0);
    let mut total = 0;
    let mut failures = Vec::new();
    for case in suite.as_array().unwrap() {
        let Some([rule, data, expected]) = case.as_array().map(Vec::as_slice) else {
            assert!(case.is_string(), "unexpected entry {case}");
            continue;
        };
        total += 1;
        match Expr::from_jsonlogic(rule) {
            Ok(expr) => {
                let got = expr.eval(data, &env).value;
                if !same(&got, expected) {
                    failures.push(format!(
                        "{rule} with {data}: expected {expected}, got {got}"
                    ));
                }
            }
            Err(e) => failures.push(format!("{rule}: compile error {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {total} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(total, 277);
}

/// The value of a JsonLogic rule (JSON text) over no data.
fn eval(rule: &str) -> Value {
    let rule: Value = serde_json::from_str(rule).unwrap();
    Expr::from_jsonlogic(&rule)
        .unwrap()
        .eval(&Value::Null, &Env::new(0))
        .value
}

/// As in json-logic-js, only `<` and `<=` read a third operand (a between test); `>` and `>=`
/// compare the first two and ignore the rest.
#[test]
fn only_less_than_takes_a_third_operand() {
    assert_eq!(eval(r#"{">": [3, 2, 5]}"#), Value::Bool(true));
    assert_eq!(eval(r#"{">=": [3, 3, 9]}"#), Value::Bool(true));
    assert_eq!(eval(r#"{"<": [1, 5, 3]}"#), Value::Bool(false));
    assert_eq!(eval(r#"{"<=": [1, 3, 3]}"#), Value::Bool(true));
}

/// `min` and `max` over something that is not a number give what JavaScript's `Math.min` and
/// `Math.max` give, NaN, which is `null` here.
#[test]
fn min_and_max_propagate_not_a_number() {
    assert_eq!(eval(r#"{"max": [1, "a"]}"#), Value::Null);
    assert_eq!(eval(r#"{"min": ["a", 1]}"#), Value::Null);
    assert_eq!(eval(r#"{"max": [1, "3", 2]}"#), serde_json::json!(3));
}

/// Text becomes a number as JavaScript's `Number()` makes it: its white space (U+FEFF, not
/// U+0085), and `0x`, `0o` and `0b` literals of digits only.
#[test]
fn text_to_number_follows_javascript() {
    let env = Env::new(0);
    let eval = |rule: Value| {
        Expr::from_jsonlogic(&rule)
            .unwrap()
            .eval(&Value::Null, &env)
            .value
    };
    let minus = |text: &str| eval(serde_json::json!({"-": [text, 0]}));
    assert_eq!(minus("0b11"), serde_json::json!(3));
    assert_eq!(minus("0o17"), serde_json::json!(15));
    assert_eq!(minus("0X1f"), serde_json::json!(31));
    assert_eq!(minus("\u{feff} 5\u{2028}"), serde_json::json!(5));
    for nan in ["\u{85}5", "0x+1", "0b", "0b12", "-0x10", "0o8"] {
        assert_eq!(minus(nan), Value::Null, "{nan:?}");
    }
    assert_eq!(
        minus("0x10000000000000000"),
        serde_json::json!(18446744073709551616.0)
    );
}
