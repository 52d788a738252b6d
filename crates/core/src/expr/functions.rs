//! Built-in functions shared by both front ends: strings, numbers, dates, semver, membership.

use std::borrow::Cow;
use std::cmp::Ordering;

use serde_json::Value;

use super::error::Diagnostic;
use super::eval::Ctx;
use super::value::{as_f64, number, strict_eq, to_js_string, type_name, write_js_string};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Func {
    Lower,
    Upper,
    Trim,
    Length,
    Substr,
    Cat,
    Merge,
    Log,
    In,
    Contains,
    StartsWith,
    EndsWith,
    Matches,
    Exists,
    Abs,
    Floor,
    Ceil,
    Round,
    Now,
    Date,
    DaysSince,
    HoursSince,
    MinutesSince,
    AddDays,
    AddHours,
    SemverCompare,
}

const ANY: usize = usize::MAX;

/// `(name, function, min args, max args)`. The same names are accepted as JsonLogic operators.
const TABLE: &[(&str, Func, usize, usize)] = &[
    ("lower", Func::Lower, 1, 1),
    ("upper", Func::Upper, 1, 1),
    ("trim", Func::Trim, 1, 1),
    ("length", Func::Length, 1, 1),
    ("substring", Func::Substr, 2, 3),
    ("substr", Func::Substr, 2, 3),
    ("concat", Func::Cat, 0, ANY),
    ("cat", Func::Cat, 0, ANY),
    ("merge", Func::Merge, 0, ANY),
    ("log", Func::Log, 1, 1),
    ("in", Func::In, 2, 2),
    ("contains", Func::Contains, 2, 2),
    ("startsWith", Func::StartsWith, 2, 2),
    ("endsWith", Func::EndsWith, 2, 2),
    ("matches", Func::Matches, 2, 2),
    ("exists", Func::Exists, 1, 1),
    ("abs", Func::Abs, 1, 1),
    ("floor", Func::Floor, 1, 1),
    ("ceil", Func::Ceil, 1, 1),
    ("round", Func::Round, 1, 1),
    ("now", Func::Now, 0, 0),
    ("date", Func::Date, 1, 1),
    ("daysSince", Func::DaysSince, 1, 1),
    ("hoursSince", Func::HoursSince, 1, 1),
    ("minutesSince", Func::MinutesSince, 1, 1),
    ("addDays", Func::AddDays, 2, 2),
    ("addHours", Func::AddHours, 2, 2),
    ("semverCompare", Func::SemverCompare, 2, 2),
];

/// Looks a function up by name: `(func, min, max)`.
pub(crate) fn lookup(name: &str) -> Option<(Func, usize, usize)> {
    TABLE
        .iter()
        .find(|(n, ..)| *n == name)
        .map(|&(_, f, lo, hi)| (f, lo, hi))
}

pub(crate) fn arity_text(lo: usize, hi: usize) -> &'static str {
    match (lo, hi) {
        (0, 0) => "no",
        (1, 1) => "1",
        (2, 2) => "2",
        (2, 3) => "2 or 3",
        (0, ANY) => "any number of",
        (1, ANY) => "at least 1",
        _ => "a different number of",
    }
}

impl Func {
    fn name(self) -> &'static str {
        TABLE
            .iter()
            .find(|(_, f, ..)| *f == self)
            .map_or("?", |(n, ..)| n)
    }
}

const DAY_MS: i64 = 86_400_000;
const HOUR_MS: i64 = 3_600_000;
const MINUTE_MS: i64 = 60_000;

pub(crate) fn call(func: Func, args: &[Cow<'_, Value>], ctx: &mut Ctx<'_>) -> Value {
    let arg = |i: usize| args.get(i).map_or(&Value::Null, |c| c.as_ref());
    let (a, b) = (arg(0), arg(1));
    let bad = |ctx: &mut Ctx<'_>, v: &Value| {
        ctx.diag(Diagnostic::BadArgument {
            func: func.name(),
            got: type_name(v),
        });
        Value::Null
    };
    match func {
        Func::Lower | Func::Upper | Func::Trim => match a {
            Value::String(s) => Value::String(match func {
                Func::Lower => crate::case::lower(s),
                Func::Upper => crate::case::upper(s),
                _ => s.trim().to_owned(),
            }),
            other => bad(ctx, other),
        },
        Func::Length => match a {
            Value::String(s) => Value::from(s.chars().count()),
            Value::Array(v) => Value::from(v.len()),
            Value::Object(m) => Value::from(m.len()),
            other => bad(ctx, other),
        },
        Func::Substr => substr(a, b, args.get(2).map(|c| c.as_ref())),
        Func::Cat => {
            let mut out = String::new();
            for v in args {
                write_js_string(&mut out, v);
            }
            ctx.charge(out.len());
            Value::String(out)
        }
        Func::Merge => {
            let mut out = Vec::new();
            for v in args {
                match v.as_ref() {
                    Value::Array(items) => out.extend(items.iter().cloned()),
                    other => out.push(other.clone()),
                }
            }
            ctx.charge(out.len());
            Value::Array(out)
        }
        Func::Log => a.clone(),
        Func::In => Value::Bool(contains(ctx, b, a)),
        Func::Contains => Value::Bool(contains(ctx, a, b)),
        Func::StartsWith | Func::EndsWith => match (a, b) {
            (Value::String(s), Value::String(p)) => Value::Bool(if func == Func::StartsWith {
                s.starts_with(p.as_str())
            } else {
                s.ends_with(p.as_str())
            }),
            _ => mismatch(ctx, func.name(), a, b, Value::Bool(false)),
        },
        Func::Matches => match (a, b) {
            (Value::String(s), Value::String(p)) => {
                ctx.charge(100 + p.len());
                match super::regex::compile(p) {
                    Ok(re) => Value::Bool(ctx.is_match(&re, s)),
                    Err(e) => {
                        ctx.diag(Diagnostic::InvalidRegex(e.to_string()));
                        Value::Bool(false)
                    }
                }
            }
            _ => mismatch(ctx, "matches", a, b, Value::Bool(false)),
        },
        Func::Exists => Value::Bool(!a.is_null()),
        Func::Abs | Func::Floor | Func::Ceil | Func::Round => match as_f64(a) {
            Some(f) => {
                let r = match func {
                    Func::Abs => f.abs(),
                    Func::Floor => f.floor(),
                    Func::Ceil => f.ceil(),
                    _ => f.round(),
                };
                number(r).unwrap_or(Value::Null)
            }
            None => bad(ctx, a),
        },
        Func::Now => Value::from(ctx.now_ms),
        Func::Date => timestamp_ms(ctx, a).map_or(Value::Null, Value::from),
        Func::DaysSince | Func::HoursSince | Func::MinutesSince => {
            let unit = match func {
                Func::DaysSince => DAY_MS,
                Func::HoursSince => HOUR_MS,
                _ => MINUTE_MS,
            };
            timestamp_ms(ctx, a).map_or(Value::Null, |ms| {
                Value::from(ctx.now_ms.saturating_sub(ms).div_euclid(unit))
            })
        }
        Func::AddDays | Func::AddHours => {
            let unit = if func == Func::AddDays {
                DAY_MS
            } else {
                HOUR_MS
            };
            let Some(n) = as_f64(b) else {
                return bad(ctx, b);
            };
            match timestamp_ms(ctx, a) {
                // Saturating float-to-int cast: absurd offsets clamp instead of overflowing.
                #[allow(clippy::cast_possible_truncation)]
                Some(ms) => Value::from(ms.saturating_add((n * unit as f64) as i64)),
                None => Value::Null,
            }
        }
        Func::SemverCompare => match (semver(a), semver(b)) {
            (Some(x), Some(y)) => Value::from(match cmp_semver(&x, &y) {
                Ordering::Less => -1,
                Ordering::Equal => 0,
                Ordering::Greater => 1,
            }),
            (None, _) => bad(ctx, a),
            (_, None) => bad(ctx, b),
        },
    }
}

fn mismatch(ctx: &mut Ctx<'_>, op: &'static str, a: &Value, b: &Value, fallback: Value) -> Value {
    ctx.diag(Diagnostic::TypeMismatch {
        op,
        left: type_name(a),
        right: type_name(b),
    });
    fallback
}

/// Membership: an element of an array (strict equality) or a substring of a string (the needle
/// converted to a string as JavaScript would). Anything else is `false`.
fn contains(ctx: &mut Ctx<'_>, haystack: &Value, needle: &Value) -> bool {
    match haystack {
        Value::Array(items) => {
            ctx.charge(items.len() / 8);
            items.iter().any(|i| strict_eq(i, needle))
        }
        Value::String(s) => match needle {
            Value::String(n) => s.contains(n.as_str()),
            Value::Array(_) | Value::Object(_) => {
                mismatch(ctx, "in", needle, haystack, Value::Null);
                false
            }
            other => s.contains(to_js_string(other).as_str()),
        },
        _ => {
            mismatch(ctx, "in", needle, haystack, Value::Null);
            false
        }
    }
}

/// JsonLogic's `substr`: a negative start counts from the end; a negative length stops that
/// many characters before the end. Counts characters (code points).
fn substr(s: &Value, start: &Value, len: Option<&Value>) -> Value {
    let text = to_js_string(s);
    let chars: Vec<char> = text.chars().collect();
    let n = chars.len() as f64;
    let start = super::value::to_number(start);
    let start = if start.is_nan() { 0.0 } else { start.trunc() };
    let from = if start < 0.0 {
        (n + start).max(0.0)
    } else {
        start.min(n)
    };
    let to = match len.map(super::value::to_number) {
        None => n,
        Some(l) if l.is_nan() => from,
        Some(l) if l < 0.0 => (n + l.trunc()).max(from),
        Some(l) => (from + l.trunc()).min(n),
    };
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let (from, to) = (from as usize, to as usize);
    Value::String(
        chars
            .get(from..to.max(from))
            .unwrap_or(&[])
            .iter()
            .collect(),
    )
}

/// A timestamp as unix milliseconds: numbers are taken as unix ms, strings parsed as RFC 3339
/// (`2024-05-01T12:00:00Z`, offsets allowed) or as a plain date (`2024-05-01`, midnight UTC).
pub(crate) fn timestamp_ms(ctx: &mut Ctx<'_>, v: &Value) -> Option<i64> {
    match v {
        #[allow(clippy::cast_possible_truncation)]
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => match parse_timestamp_ms(s) {
            Some(ms) => Some(ms),
            None => {
                ctx.diag(Diagnostic::InvalidTimestamp(s.chars().take(64).collect()));
                None
            }
        },
        Value::Null => None,
        other => {
            ctx.diag(Diagnostic::BadArgument {
                func: "date",
                got: type_name(other),
            });
            None
        }
    }
}

/// An RFC 3339 timestamp (`2024-05-01T12:00:00Z`, offsets allowed) or a plain date
/// (`2024-05-01`, midnight UTC) as unix milliseconds.
pub(crate) fn parse_timestamp_ms(s: &str) -> Option<i64> {
    crate::time::parse_rfc3339(s).or_else(|| Some(crate::time::Date::parse(s)?.days() * 86_400_000))
}

struct Semver<'s> {
    core: [u64; 3],
    pre: Vec<&'s str>,
}

/// `MAJOR[.MINOR[.PATCH]][-PRERELEASE][+BUILD]`, with an optional leading `v`.
fn semver(v: &Value) -> Option<Semver<'_>> {
    let s = v.as_str()?;
    let s = s.strip_prefix('v').unwrap_or(s);
    let s = s.split('+').next()?;
    let (core, pre) = match s.split_once('-') {
        Some((c, p)) => (c, p.split('.').collect::<Vec<_>>()),
        None => (s, Vec::new()),
    };
    if pre.iter().any(|p| p.is_empty()) {
        return None;
    }
    let mut parts = [0u64; 3];
    let mut count = 0;
    for (slot, piece) in parts.iter_mut().zip(core.split('.')) {
        if piece.is_empty() || !piece.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *slot = piece.parse().ok()?;
        count += 1;
    }
    (count >= 1 && core.split('.').count() == count).then_some(Semver { core: parts, pre })
}

fn cmp_semver(a: &Semver<'_>, b: &Semver<'_>) -> Ordering {
    a.core
        .cmp(&b.core)
        .then_with(|| match (a.pre.is_empty(), b.pre.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => {
                for (x, y) in a.pre.iter().zip(&b.pre) {
                    let o = match (x.parse::<u64>(), y.parse::<u64>()) {
                        (Ok(p), Ok(q)) => p.cmp(&q),
                        (Ok(_), Err(_)) => Ordering::Less,
                        (Err(_), Ok(_)) => Ordering::Greater,
                        (Err(_), Err(_)) => x.cmp(y),
                    };
                    if o != Ordering::Equal {
                        return o;
                    }
                }
                a.pre.len().cmp(&b.pre.len())
            }
        })
}

/// Functions travel by name in compiled bundles.
impl crate::wire::Wire for Func {
    fn put(&self, w: &mut crate::wire::Writer) {
        self.name().to_owned().put(w);
    }
    fn get(r: &mut crate::wire::Reader<'_>) -> Result<Self, crate::wire::WireError> {
        let name = String::get(r)?;
        lookup(&name)
            .map(|(f, ..)| f)
            .ok_or_else(|| r.error("unknown function"))
    }
}
