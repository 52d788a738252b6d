//! String helpers. All take the value first; non-strings are converted with the interpolation
//! rules (numbers as JavaScript's `String()` writes them, null as empty).
//!
//! | helper | arguments |
//! | --- | --- |
//! | `upper`, `lower`, `trim` | `s` |
//! | `capitalize` | `s`: first letter upper-cased |
//! | `titleCase` | `s`: first letter of every word upper-cased |
//! | `truncate` | `s length [suffix="…"]`: at most `length` characters, suffix included |
//! | `replace` | `s from to`: every occurrence |
//! | `concat` | `a b ...` |
//! | `urlEncode` | `s`: percent-encoded (UTF-8) except the RFC 3986 unreserved characters `A-Z a-z 0-9 - . _ ~`, for a query parameter or path segment: `/gold?ref={{urlEncode profile.id}}` |

use serde_json::Value;

use super::{Args, Env, HelperFn, display};

pub(crate) fn lookup(name: &str) -> Option<HelperFn> {
    let f: HelperFn = match name {
        "upper" => |_, a| Ok(text(crate::case::upper(&display(a.get(0))))),
        "lower" => |_, a| Ok(text(crate::case::lower(&display(a.get(0))))),
        "trim" => |_, a| Ok(text(display(a.get(0)).trim().to_string())),
        "capitalize" => |_, a| Ok(text(capitalize(&display(a.get(0))))),
        "titleCase" => |_, a| Ok(text(title_case(&display(a.get(0))))),
        "truncate" => truncate,
        "replace" => |_, a| {
            let s = display(a.get(0));
            let from = display(a.get(1));
            if from.is_empty() {
                return Ok(text(s.into_owned()));
            }
            Ok(text(s.replace(from.as_ref(), &display(a.get(2)))))
        },
        "concat" => |_, a| Ok(text(a.pos.iter().map(|v| display(v)).collect())),
        "urlEncode" => |_, a| Ok(text(url_encode(&display(a.get(0))))),
        _ => return None,
    };
    Some(f)
}

/// Percent-encodes the UTF-8 bytes of `s`, except RFC 3986's unreserved characters (upper-case
/// hex digits). Written out rather than taken from the `percent-encoding` crate: the crate cost
/// the page runtime 0.8 KB gzip (181.2 against 180.4 KB); a property test in
/// `tests/template_props.rs` pins this to the crate.
fn url_encode(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
    out
}

fn text(s: String) -> Value {
    Value::String(s)
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    let mut out = String::with_capacity(s.len());
    if let Some(c) = chars.next() {
        crate::case::push_upper(c, &mut out);
    }
    out.extend(chars);
    out
}

fn title_case(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut start = true;
    for c in s.chars() {
        if start && c.is_alphabetic() {
            crate::case::push_upper(c, &mut out);
        } else {
            out.push(c);
        }
        start = c.is_whitespace() || c == '-';
    }
    out
}

fn truncate(_: &mut Env<'_>, a: &Args<'_>) -> Result<Value, String> {
    let s = display(a.get(0));
    let max = a.num(1)?;
    if max < 0.0 {
        return Err("length must not be negative".into());
    }
    let max = max as usize;
    let suffix = a
        .opt_str("suffix", 2)
        .map_or_else(|| "…".to_string(), |s| s.into_owned());
    if s.chars().count() <= max {
        return Ok(text(s.into_owned()));
    }
    let keep = max.saturating_sub(suffix.chars().count());
    let mut out: String = s.chars().take(keep).collect();
    out.truncate(out.trim_end().len());
    out.push_str(&suffix);
    Ok(text(out))
}
