//! Value helpers: truthiness, equality, ordering and JavaScript-style coercions on JSON values.

use std::cmp::Ordering;
use std::fmt::Write as _;

use serde_json::{Number, Value};

/// JsonLogic's truthiness, used everywhere a condition is tested.
///
/// Falsy: `null`, `false`, `0` (and `-0`), `""` and `[]`. Everything else is truthy, including
/// `"0"`, `"false"` and `{}` (objects are truthy, as in JavaScript).
pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(_) => true,
    }
}

pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A number as a JSON value: integral values within the exactly representable range become
/// integers (`3`, not `3.0`); NaN and infinities have no JSON form and become `None`.
pub(crate) fn number(f: f64) -> Option<Value> {
    if !f.is_finite() {
        return None;
    }
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    if f.fract() == 0.0 && f.abs() <= EXACT {
        // Exact: integral and within i64 range.
        #[allow(clippy::cast_possible_truncation)]
        let i = f as i64;
        return Some(Value::Number(Number::from(i)));
    }
    Number::from_f64(f).map(Value::Number)
}

pub(crate) fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        _ => None,
    }
}

fn num_eq(a: &Number, b: &Number) -> bool {
    match (a.as_i64(), b.as_i64()) {
        (Some(x), Some(y)) => x == y,
        _ => match (a.as_u64(), b.as_u64()) {
            (Some(x), Some(y)) => x == y,
            _ => a.as_f64() == b.as_f64(),
        },
    }
}

/// Structural equality with numbers compared by value (`1 == 1.0`).
pub(crate) fn strict_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => num_eq(x, y),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| strict_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, p)| y.get(k).is_some_and(|q| strict_eq(p, q)))
        }
        _ => a == b,
    }
}

/// JavaScript's `==` on JSON values. Arrays and objects compare structurally with each other
/// (JavaScript compares their identity, which JSON values do not have).
pub(crate) fn loose_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Null, _) | (_, Value::Null) => false,
        (Value::Number(_), Value::Number(_))
        | (Value::String(_), Value::String(_))
        | (Value::Bool(_), Value::Bool(_))
        | (Value::Array(_), Value::Array(_))
        | (Value::Object(_), Value::Object(_))
        | (Value::Array(_), Value::Object(_))
        | (Value::Object(_), Value::Array(_)) => strict_eq(a, b),
        // Booleans and numbers/strings: compare numerically.
        (Value::Bool(_), _) | (_, Value::Bool(_)) => to_number(a) == to_number(b),
        (Value::Number(_), Value::String(_)) | (Value::String(_), Value::Number(_)) => {
            to_number(a) == to_number(b)
        }
        // Arrays and objects against a primitive: convert them to a primitive (a string).
        (Value::Array(_) | Value::Object(_), _) => loose_eq(&Value::String(to_js_string(a)), b),
        (_, Value::Array(_) | Value::Object(_)) => loose_eq(a, &Value::String(to_js_string(b))),
    }
}

/// JavaScript's `ToNumber`.
pub(crate) fn to_number(v: &Value) -> f64 {
    match v {
        Value::Null => 0.0,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
        Value::String(s) => str_to_number(s),
        Value::Array(_) => str_to_number(&to_js_string(v)),
        Value::Object(_) => f64::NAN,
    }
}

/// ECMAScript's white space and line terminators (`StrWhiteSpaceChar`): Unicode's White_Space
/// as Rust's `trim` has it, but with U+FEFF and without U+0085.
fn js_space(c: char) -> bool {
    (c.is_whitespace() && c != '\u{85}') || c == '\u{feff}'
}

/// The value of `digits` in `radix` (`0x`, `0o`, `0b` literals), NaN unless every one is a
/// digit of it. Exact up to 2^64, then accumulated in floating point.
fn radix_to_number(digits: &str, radix: u32) -> f64 {
    if digits.is_empty() {
        return f64::NAN;
    }
    let mut exact: Option<u64> = Some(0);
    let mut approx = 0.0f64;
    for c in digits.chars() {
        let Some(d) = c.to_digit(radix) else {
            return f64::NAN;
        };
        exact = exact
            .and_then(|n| n.checked_mul(u64::from(radix)))
            .and_then(|n| n.checked_add(u64::from(d)));
        approx = approx * f64::from(radix) + f64::from(d);
    }
    exact.map_or(approx, |n| n as f64)
}

fn str_to_number(s: &str) -> f64 {
    let t = s.trim_matches(js_space);
    if t.is_empty() {
        return 0.0;
    }
    match t {
        "Infinity" | "+Infinity" => return f64::INFINITY,
        "-Infinity" => return f64::NEG_INFINITY,
        _ => {}
    }
    // Unsigned only, as in JavaScript: `-0x10` is NaN.
    let radix = match t.get(..2) {
        Some("0x" | "0X") => Some(16),
        Some("0o" | "0O") => Some(8),
        Some("0b" | "0B") => Some(2),
        _ => None,
    };
    if let (Some(radix), Some(digits)) = (radix, t.get(2..)) {
        return radix_to_number(digits, radix);
    }
    // JavaScript takes no letters but the exponent's (`parse_f64` refuses them too).
    if t.bytes()
        .any(|b| b.is_ascii_alphabetic() && b != b'e' && b != b'E')
    {
        return f64::NAN;
    }
    crate::num::parse_f64(t).unwrap_or(f64::NAN)
}

/// JavaScript's `parseFloat(String(v))`: the longest numeric prefix, NaN if there is none.
pub(crate) fn parse_float(v: &Value) -> f64 {
    let s = match v {
        Value::Number(n) => return n.as_f64().unwrap_or(f64::NAN),
        Value::String(s) => s.trim_start_matches(js_space).to_owned(),
        other => to_js_string(other),
    };
    if s.starts_with("Infinity") || s.starts_with("+Infinity") {
        return f64::INFINITY;
    }
    if s.starts_with("-Infinity") {
        return f64::NEG_INFINITY;
    }
    let b = s.as_bytes();
    // The longest prefix made only of number characters that is a decimal number.
    let mut end = 0;
    let mut longest = None;
    while end < b.len()
        && matches!(
            b.get(end),
            Some(b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-')
        )
    {
        end += 1;
        if s.get(..end).is_some_and(crate::num::is_decimal) {
            longest = Some(end);
        }
    }
    longest
        .and_then(|end| s.get(..end))
        .and_then(crate::num::parse_f64)
        .unwrap_or(f64::NAN)
}

/// JavaScript's `String(v)` for JSON values.
pub(crate) fn to_js_string(v: &Value) -> String {
    let mut out = String::new();
    write_js_string(&mut out, v);
    out
}

pub(crate) fn write_js_string(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => out.push_str(s),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                // Array.prototype.join writes null and undefined as "".
                if !item.is_null() {
                    write_js_string(out, item);
                }
            }
        }
        Value::Object(_) => out.push_str("[object Object]"),
    }
}

/// Integers (JSON integers within `i64`/`u64`) print exactly; other numbers as ECMAScript's
/// `Number::toString` does (`0.1`, `1e+21`, `1e-7`).
fn write_number(out: &mut String, n: &Number) {
    match n.as_f64() {
        Some(f) if n.is_f64() => crate::num::write_js(out, f),
        _ => {
            let _ = write!(out, "{n}");
        }
    }
}

/// Ordering in the text language: numbers with numbers, strings with strings (by code point).
/// `None` for any other pair.
pub(crate) fn typed_cmp(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64()?.partial_cmp(&y.as_f64()?),
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// JavaScript's abstract relational comparison: two strings (or values that convert to
/// strings, like arrays) compare as strings, anything else numerically. `None` when NaN is
/// involved (every comparison is then false).
pub(crate) fn js_cmp(a: &Value, b: &Value) -> Option<Ordering> {
    let prim = |v: &Value| match v {
        Value::Array(_) | Value::Object(_) => Value::String(to_js_string(v)),
        other => other.clone(),
    };
    match (a, b) {
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        (Value::Array(_) | Value::Object(_), _) | (_, Value::Array(_) | Value::Object(_)) => {
            js_cmp(&prim(a), &prim(b))
        }
        _ => to_number(a).partial_cmp(&to_number(b)),
    }
}
