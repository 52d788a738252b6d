//! Numbers to text and back, as ECMAScript defines them.
//!
//! * [`write_js`] is `Number::toString` (ECMA-262 §6.1.6.1.20): the shortest decimal that
//!   reads back as the same double, `1e+21` and `1e-7` in exponent form, `-0` as `0`.
//! * [`parse_f64`] reads the decimal syntax `[+-]digits[.digits][(e|E)[+-]digits]` (also `.5`
//!   and `5.`) and converts it as `StringToNumber` does: correctly rounded, half to even.
//!
//! Where the answers come from. Natively, and in the wasm builds other than the page runtime:
//! `ryu-js` (an implementation of `Number::toString`) and the decimal parser in `parse.rs`. In
//! the page runtime (feature `host`, wasm32): the JavaScript host's `String(n)` and
//! `Number(text)`, which ECMA-262 fixes to the same results, so parity holds by specification,
//! and `tests/host.rs` holds it by test (host = native on 200,000 generated doubles and texts,
//! run in node). The page then carries no float printing or parsing code of its own. Measured
//! on the page runtime (twiggy on the module before wasm-opt): `core::fmt`'s float printing
//! (flt2dec, 8.0 KB) and the big-integer parser (2.4 KB) left it; with `matches` on the host's
//! `RegExp` (regex-lite's 33.9 KB became the 11.6 KB subset check), `runtime_bg.wasm` went from
//! 184,701 to 167,003 B gzip -9 (as tests/js/size.test.mjs measures it). serde_json's own float printer (zmij) still serves the JSON
//! output.
//!
//! The syntax check stays in Rust either way: `Number()` takes more than the engine does (hex,
//! surrounding white space, `Infinity`, and `""` is 0), so only text that passed
//! [`is_decimal`] reaches the host.

mod parse;

/// Parses decimal text (see the module doc); `None` for anything else, including `inf`,
/// `NaN`, `0x10` and surrounding white space.
pub(crate) fn parse_f64(text: &str) -> Option<f64> {
    #[cfg(all(feature = "host", target_arch = "wasm32"))]
    {
        is_decimal(text).then(|| waymark_host::string_to_number(text))
    }
    #[cfg(not(all(feature = "host", target_arch = "wasm32")))]
    {
        parse::parse_f64(text)
    }
}

/// Appends ECMAScript's `String(f)`: `NaN`, `Infinity`, `-Infinity`, `0` for both zeros,
/// otherwise the shortest round-trip digits (`0.1`, `1e+21`, `1.5e-7`, `123456789`).
pub(crate) fn write_js(out: &mut String, f: f64) {
    #[cfg(all(feature = "host", target_arch = "wasm32"))]
    {
        out.push_str(&waymark_host::number_to_string(f));
    }
    #[cfg(not(all(feature = "host", target_arch = "wasm32")))]
    {
        out.push_str(ryu_js::Buffer::new().format(f));
    }
}

/// `write_js` into a new string.
pub(crate) fn to_js_string(f: f64) -> String {
    let mut out = String::new();
    write_js(&mut out, f);
    out
}

/// Whether `text` is in the decimal syntax [`parse_f64`] reads.
pub(crate) fn is_decimal(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    let mut mantissa = digits(&mut i);
    if b.get(i) == Some(&b'.') {
        i += 1;
        mantissa += digits(&mut i);
    }
    if mantissa == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        i += usize::from(matches!(b.get(i), Some(b'+' | b'-')));
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// A finite double's shortest round-trip digits, as [`write_js`] prints them: the value is
/// `0.DIGITS × 10^point` (`digits` without leading or trailing zeros, empty for zero).
#[derive(Debug, PartialEq)]
pub(crate) struct Shortest {
    pub negative: bool,
    pub digits: Vec<u8>,
    pub point: i32,
}

impl Shortest {
    /// The digits of `f` (finite), read back from its ECMAScript string.
    pub(crate) fn of(f: f64) -> Shortest {
        let text = to_js_string(f);
        let (negative, text) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.as_str()),
        };
        let (mantissa, exponent) = match text.split_once('e') {
            Some((m, e)) => (m, e.trim_start_matches('+').parse::<i32>().unwrap_or(0)),
            None => (text, 0),
        };
        let mut digits = Vec::with_capacity(mantissa.len());
        let mut point = None;
        for b in mantissa.bytes() {
            match b {
                b'.' => point = Some(digits.len()),
                d => digits.push(d.wrapping_sub(b'0')),
            }
        }
        let mut point = point.unwrap_or(digits.len()) as i32 + exponent;
        let leading = digits.iter().take_while(|&&d| d == 0).count();
        digits.drain(..leading);
        point -= leading as i32;
        while digits.last() == Some(&0) {
            digits.pop();
        }
        if digits.is_empty() {
            point = 0;
        }
        Shortest {
            negative,
            digits,
            point,
        }
    }
}

/// `f` (finite) in plain decimal notation from its shortest digits, never in exponent form:
/// `1000000000000000000000`, `0.0000001` (what Rust's `{}` prints).
pub(crate) fn write_plain(out: &mut String, f: f64) {
    if !f.is_finite() {
        return write_js(out, f);
    }
    let s = Shortest::of(f);
    if s.digits.is_empty() {
        out.push('0');
        return;
    }
    if s.negative {
        out.push('-');
    }
    let digit = |d: u8| char::from(b'0' + d);
    if s.point <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', s.point.unsigned_abs() as usize));
        out.extend(s.digits.iter().map(|&d| digit(d)));
        return;
    }
    let point = s.point as usize;
    for i in 0..point.max(s.digits.len()) {
        if i == point {
            out.push('.');
        }
        out.push(s.digits.get(i).map_or('0', |&d| digit(d)));
    }
}

/// `f` rounded to `significant` digits of its shortest form, half away from zero (`0.1 + 0.2`,
/// `0.30000000000000004`, to 15 digits is `0.3`). Non-finite values are returned as they are.
pub(crate) fn round_significant(f: f64, significant: usize) -> f64 {
    if !f.is_finite() {
        return f;
    }
    let mut s = Shortest::of(f);
    if s.digits.len() <= significant {
        return f;
    }
    let up = s.digits.get(significant).is_some_and(|&d| d >= 5);
    s.digits.truncate(significant);
    if up {
        let mut i = significant;
        loop {
            if i == 0 {
                s.digits.insert(0, 1);
                s.digits.truncate(significant);
                s.point += 1;
                break;
            }
            i -= 1;
            if let Some(d) = s.digits.get_mut(i) {
                if *d == 9 {
                    *d = 0;
                } else {
                    *d += 1;
                    break;
                }
            }
        }
    }
    let mut text = String::with_capacity(significant + 8);
    if s.negative {
        text.push('-');
    }
    text.push_str("0.");
    text.extend(s.digits.iter().map(|&d| char::from(b'0' + d)));
    text.push('e');
    text.push_str(&s.point.to_string());
    parse_f64(&text).unwrap_or(f)
}

/// Both implementations side by side, for the differential tests (`tests/host.rs`).
#[cfg(all(feature = "host", target_arch = "wasm32"))]
pub mod parity {
    /// The native `Number::toString` (`ryu-js`).
    pub fn native_to_string(f: f64) -> String {
        ryu_js::Buffer::new().format(f).to_owned()
    }

    /// The host's `String(f)`.
    pub fn host_to_string(f: f64) -> String {
        waymark_host::number_to_string(f)
    }

    /// The native decimal parser.
    pub fn native_parse(text: &str) -> Option<f64> {
        super::parse::parse_f64(text)
    }

    /// The syntax check, then the host's `Number(text)`: what the page runtime runs.
    pub fn host_parse(text: &str) -> Option<f64> {
        super::parse_f64(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn prints_as_ecmascript_does() {
        for (f, want) in [
            (0.0, "0"),
            (-0.0, "0"),
            (1.0, "1"),
            (-1.5, "-1.5"),
            (0.1, "0.1"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1e21, "1e+21"),
            (999999999999999900000.0, "999999999999999900000"),
            (1e-6, "0.000001"),
            (1e-7, "1e-7"),
            (1.5e-7, "1.5e-7"),
            (2f64.powi(60), "1152921504606847000"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
        ] {
            assert_eq!(to_js_string(f), want, "{f:e}");
        }
    }

    #[test]
    fn shortest_digits_and_plain_form() {
        let s = Shortest::of(-0.00123);
        assert_eq!((s.negative, s.digits, s.point), (true, vec![1, 2, 3], -2));
        let s = Shortest::of(1.5e21);
        assert_eq!((s.digits, s.point), (vec![1, 5], 22));
        let s = Shortest::of(1200.0);
        assert_eq!((s.digits, s.point), (vec![1, 2], 4));
        assert!(Shortest::of(0.0).digits.is_empty());
        for (f, want) in [
            (0.0, "0"),
            (1e21, "1000000000000000000000"),
            (1e-7, "0.0000001"),
            (-12.5, "-12.5"),
            (1.005, "1.005"),
            (120.0, "120"),
        ] {
            let mut out = String::new();
            write_plain(&mut out, f);
            assert_eq!(out, want);
        }
    }

    #[test]
    fn rounds_to_significant_digits() {
        assert_eq!(round_significant(0.1 + 0.2, 15), 0.3);
        assert_eq!(round_significant(1.0 / 3.0, 15), 0.333333333333333);
        assert_eq!(round_significant(-0.7 - 0.2, 15), -0.9);
        assert_eq!(round_significant(9.9999999999999995, 3), 10.0);
        assert_eq!(round_significant(123.0, 15), 123.0);
    }

    #[test]
    fn decimal_syntax() {
        for ok in ["0", "-0", "+1", ".5", "5.", "1e5", "1E-5", "-1.5e+3", "007"] {
            assert!(is_decimal(ok), "{ok}");
        }
        for bad in [
            "", "-", ".", "e5", "1e", "1e+", "inf", "NaN", "1.2.3", "--1", "1 ", " 1", "0x10",
            "Infinity", "1_000",
        ] {
            assert!(!is_decimal(bad), "{bad}");
        }
    }

    // The syntax check accepts exactly what the native parser does.
    #[cfg(not(target_arch = "wasm32"))]
    proptest::proptest! {
        #[test]
        fn syntax_check_agrees_with_the_parser(text in "[-+]?[0-9.]{0,4}([eE][-+]?[0-9]{0,2})?[ x]?") {
            proptest::prop_assert_eq!(is_decimal(&text), parse::parse_f64(&text).is_some());
        }
    }
}
