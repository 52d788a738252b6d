//! The helper library. Helpers are resolved by name when a template compiles (an unknown name
//! is a compile error) and take positional arguments plus optional `key=value` ones.
//!
//! | helper | arguments |
//! | --- | --- |
//! | `default` | `value fallback`: `value` unless it is missing, null or `""` |
//! | `eq` `ne` `gt` `gte` `lt` `lte` | `a b` |
//! | `and` `or` | `a b ...` (truthiness); `not` `a` |
//! | `length` `first` `last` | `array` (length also of strings and objects) |
//! | `contains` | `haystack needle`: array element, substring, or object key |
//! | `lookup` | `object key` (or `array index`): a member by computed name |
//! | `join` | `array [separator=", "]`; `split` `string separator` |
//! | `json` | `value`: JSON text, object keys in JavaScript's order (see the module docs' "Key order"), then escaped for the output context like any value |
//! | `log` | `value ... [level=]`: renders nothing; the values, space-separated (after `[level]`), become a [`DiagnosticKind::Helper`](super::DiagnosticKind::Helper) of the render |
//! | strings | see [`strings`] |
//! | numbers, currency, math | see [`numbers`] |
//! | dates | see [`dates`] |
//!
//! Truthiness (for `#if`, `and`, sections...): `false`, `null`, `0`, `""` and `[]` are false.

pub mod dates;
pub mod numbers;
pub mod strings;

use std::borrow::Cow;

use serde_json::Value;

/// The render-wide inputs a helper may use, and the warnings it raises.
pub(crate) struct Env<'r> {
    pub now_ms: i64,
    pub locale: &'r str,
    pub time_zone: &'r str,
    /// Where locales and zone rules come from (see `crate::tables`).
    pub tables: &'r dyn crate::tables::Tables,
    pub warnings: Vec<String>,
}

impl std::fmt::Debug for Env<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Env")
            .field("now_ms", &self.now_ms)
            .field("locale", &self.locale)
            .field("time_zone", &self.time_zone)
            .finish_non_exhaustive()
    }
}

/// A helper's evaluated arguments.
#[derive(Debug)]
pub(crate) struct Args<'v> {
    pub pos: Vec<Cow<'v, Value>>,
    pub hash: Vec<(&'v str, Cow<'v, Value>)>,
}

static NULL: Value = Value::Null;

impl Args<'_> {
    /// Positional argument `i`, or null.
    pub fn get(&self, i: usize) -> &Value {
        self.pos.get(i).map_or(&NULL, |v| v.as_ref())
    }
    /// The `key=` argument, else positional argument `i`.
    pub fn opt(&self, key: &str, i: usize) -> Option<&Value> {
        self.hash
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_ref())
            .or_else(|| self.pos.get(i).map(|v| v.as_ref()))
            .filter(|v| !v.is_null())
    }
    pub fn num(&self, i: usize) -> Result<f64, String> {
        to_num(self.get(i)).ok_or_else(|| format!("argument {} must be a number", i + 1))
    }
    pub fn opt_str(&self, key: &str, i: usize) -> Option<Cow<'_, str>> {
        self.opt(key, i).map(display)
    }
}

/// A helper: `Ok` value, or an error message (the renderer adds the location).
pub(crate) type HelperFn = fn(&mut Env<'_>, &Args<'_>) -> Result<Value, String>;

/// The helper with this name, if any.
pub(crate) fn lookup(name: &str) -> Option<HelperFn> {
    if let Some(f) = strings::lookup(name).or_else(|| numbers::lookup(name)) {
        return Some(f);
    }
    if let Some(f) = dates::lookup(name) {
        return Some(f);
    }
    let f: HelperFn = match name {
        "default" => |_, a| {
            let v = a.get(0);
            Ok(if truthy_or_zero(v) {
                v.clone()
            } else {
                a.get(1).clone()
            })
        },
        "eq" => |_, a| Ok(Value::Bool(equal(a.get(0), a.get(1)))),
        "ne" => |_, a| Ok(Value::Bool(!equal(a.get(0), a.get(1)))),
        "gt" => |_, a| compare(a, |o| o.is_gt()),
        "gte" => |_, a| compare(a, |o| o.is_ge()),
        "lt" => |_, a| compare(a, |o| o.is_lt()),
        "lte" => |_, a| compare(a, |o| o.is_le()),
        "and" => |_, a| {
            Ok(Value::Bool(
                !a.pos.is_empty() && a.pos.iter().all(|v| truthy(v)),
            ))
        },
        "or" => |_, a| Ok(Value::Bool(a.pos.iter().any(|v| truthy(v)))),
        "not" => |_, a| Ok(Value::Bool(!truthy(a.get(0)))),
        "length" => |_, a| {
            Ok(match a.get(0) {
                Value::Array(v) => v.len().into(),
                Value::Object(m) => m.len().into(),
                Value::String(s) => s.chars().count().into(),
                _ => 0.into(),
            })
        },
        "first" => |_, a| {
            Ok(a.get(0)
                .as_array()
                .and_then(|v| v.first())
                .cloned()
                .unwrap_or_default())
        },
        "last" => |_, a| {
            Ok(a.get(0)
                .as_array()
                .and_then(|v| v.last())
                .cloned()
                .unwrap_or_default())
        },
        "join" => |_, a| {
            let sep = a.opt_str("separator", 1).unwrap_or(Cow::Borrowed(", "));
            Ok(match a.get(0) {
                Value::Array(items) => {
                    let parts: Vec<Cow<'_, str>> = items.iter().map(display).collect();
                    Value::String(parts.join(&sep))
                }
                other => Value::String(display(other).into_owned()),
            })
        },
        "split" => |_, a| {
            let s = display(a.get(0));
            let sep = a.opt_str("separator", 1).unwrap_or(Cow::Borrowed(","));
            if s.is_empty() {
                return Ok(Value::Array(Vec::new()));
            }
            if sep.is_empty() {
                return Ok(Value::Array(
                    s.chars().map(|c| Value::String(c.into())).collect(),
                ));
            }
            Ok(Value::Array(
                s.split(sep.as_ref())
                    .map(|p| Value::String(p.into()))
                    .collect(),
            ))
        },
        "contains" => |_, a| {
            let needle = a.get(1);
            Ok(Value::Bool(match a.get(0) {
                Value::Array(items) => items.iter().any(|v| equal(v, needle)),
                Value::String(s) => !needle.is_null() && s.contains(display(needle).as_ref()),
                Value::Object(m) => m.contains_key(display(needle).as_ref()),
                _ => false,
            }))
        },
        "lookup" => |_, a| {
            let key = display(a.get(1));
            Ok(match a.get(0) {
                Value::Object(m) => m.get(key.as_ref()).cloned().unwrap_or_default(),
                Value::Array(items) => key
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| items.get(i))
                    .cloned()
                    .unwrap_or_default(),
                _ => Value::Null,
            })
        },
        // Handlebars' `log`: renders nothing; its arguments (space-separated, after
        // `level=`, if given) become a diagnostic of the render.
        "log" => |env, a| {
            let mut parts: Vec<Cow<'_, str>> = a.pos.iter().map(|v| display(v)).collect();
            if let Some(level) = a.hash.iter().find(|(k, _)| *k == "level") {
                parts.insert(0, Cow::Owned(format!("[{}]", display(&level.1))));
            }
            env.warnings.push(parts.join(" "));
            Ok(Value::Null)
        },
        "json" => |_, a| Ok(Value::String(super::order::to_json(a.get(0)))),
        _ => return None,
    };
    Some(f)
}

/// Handlebars truthiness: `false`, `null`, `0`, `""` and `[]` are false; objects are true.
pub(crate) fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(_) => true,
    }
}

/// For `default`: a present `0` or `false` is kept; only missing, null and `""` fall back.
fn truthy_or_zero(v: &Value) -> bool {
    !matches!(v, Value::Null) && v.as_str() != Some("")
}

/// The text a value interpolates as: strings as is, numbers as JavaScript's `String()` writes
/// them (`1.5`, `1e+21`; JSON integers exactly), null as empty, arrays comma-joined, objects as
/// JSON (keys in JavaScript's order, see `super::order`).
pub(crate) fn display(v: &Value) -> Cow<'_, str> {
    match v {
        Value::Null => Cow::Borrowed(""),
        Value::String(s) => Cow::Borrowed(s),
        Value::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
        Value::Number(n) => Cow::Owned(match n.as_f64() {
            Some(f) if n.is_f64() => crate::num::to_js_string(f),
            _ => n.to_string(),
        }),
        Value::Array(items) => {
            let parts: Vec<Cow<'_, str>> = items.iter().map(display).collect();
            Cow::Owned(parts.join(","))
        }
        Value::Object(_) => Cow::Owned(super::order::to_json(v)),
    }
}

/// A number, or a string holding one (profile data is often stringly typed).
pub(crate) fn to_num(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => crate::num::parse_f64(s.trim()).filter(|f| f.is_finite()),
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        _ => None,
    }
}

/// A JSON number from an `f64`, its shortest form rounded to 15 significant digits (half away
/// from zero) so binary artefacts do not show (`add 0.1 0.2` is `0.3`); integral values become
/// integers (`add 1 2` prints `3`).
pub(crate) fn num_value(f: f64) -> Value {
    let f = crate::num::round_significant(f, 15);
    if f.fract() == 0.0 && f.abs() < 9.0e15 {
        Value::from(f as i64)
    } else {
        serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
    }
}

fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

fn compare(a: &Args<'_>, test: fn(std::cmp::Ordering) -> bool) -> Result<Value, String> {
    let (x, y) = (a.get(0), a.get(1));
    let ord = match (x, y) {
        (Value::String(s), Value::String(t)) => Some(s.cmp(t)),
        _ => match (to_num(x), to_num(y)) {
            (Some(p), Some(q)) => p.partial_cmp(&q),
            _ => None,
        },
    };
    // Comparing with a missing value is false rather than an error, for previews with gaps.
    Ok(Value::Bool(ord.is_some_and(test)))
}
