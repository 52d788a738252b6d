//! Number, currency and math helpers. Numeric arguments may be numbers or numeric strings.
//!
//! | helper | arguments |
//! | --- | --- |
//! | `formatNumber` | `n [decimals] [locale]` (or `decimals=` `locale=`); without `decimals`, integers show none and other numbers up to 3 |
//! | `formatPercent` | `ratio [decimals=0] [locale]`: `0.125` is `13%` (`13 %` in fr-FR, de-DE and es-ES) |
//! | `formatCurrency` | `amount [currency="USD"] [locale]` (or `currency=` `locale=` `decimals=`) |
//! | `add` `subtract` `multiply` `divide` `mod` | `a b` (division or mod by zero is an error) |
//! | `round` | `n [decimals=0]`; `floor` `ceil` `abs` | `n` |
//! | `min` `max` | `a b ...` |
//!
//! The locale defaults to [`RenderOptions::locale`](crate::template::RenderOptions::locale).

use serde_json::Value;

use super::{Args, Env, HelperFn, num_value, to_num};
use crate::template::locale::{self, Locale};

pub(crate) fn lookup(name: &str) -> Option<HelperFn> {
    let f: HelperFn = match name {
        "formatNumber" => format_number,
        "formatCurrency" => format_currency,
        "formatPercent" => format_percent,
        "add" => |_, a| Ok(num_value(a.num(0)? + a.num(1)?)),
        "subtract" => |_, a| Ok(num_value(a.num(0)? - a.num(1)?)),
        "multiply" => |_, a| Ok(num_value(a.num(0)? * a.num(1)?)),
        "divide" => |_, a| match a.num(1)? {
            0.0 => Err("division by zero".into()),
            d => Ok(num_value(a.num(0)? / d)),
        },
        "mod" => |_, a| match a.num(1)? {
            0.0 => Err("modulo by zero".into()),
            d => Ok(num_value(a.num(0)? % d)),
        },
        "round" => |_, a| {
            let d = decimals(a.opt("decimals", 1))?.unwrap_or(0);
            let p = 10f64.powi(i32::from(d));
            Ok(num_value((a.num(0)? * p).round() / p))
        },
        "floor" => |_, a| Ok(num_value(a.num(0)?.floor())),
        "ceil" => |_, a| Ok(num_value(a.num(0)?.ceil())),
        "abs" => |_, a| Ok(num_value(a.num(0)?.abs())),
        "min" => |_, a| fold(a, f64::min),
        "max" => |_, a| fold(a, f64::max),
        _ => return None,
    };
    Some(f)
}

fn fold(a: &Args<'_>, f: fn(f64, f64) -> f64) -> Result<Value, String> {
    let mut acc: Option<f64> = None;
    for (i, v) in a.pos.iter().enumerate() {
        let n = to_num(v).ok_or_else(|| format!("argument {} must be a number", i + 1))?;
        acc = Some(acc.map_or(n, |x| f(x, n)));
    }
    Ok(acc.map_or(Value::Null, num_value))
}

fn decimals(v: Option<&Value>) -> Result<Option<u8>, String> {
    match v {
        None => Ok(None),
        Some(v) => match to_num(v) {
            Some(d) if (0.0..=20.0).contains(&d) && d.fract() == 0.0 => Ok(Some(d as u8)),
            _ => Err("decimals must be an integer from 0 to 20".into()),
        },
    }
}

fn locale_of<'e>(env: &mut Env<'e>, a: &Args<'_>, i: usize) -> Result<Locale<'e>, String> {
    let tag = a.opt_str("locale", i).map(|s| s.into_owned());
    let tag = tag.as_deref().unwrap_or(env.locale);
    let tables = env.tables;
    locale::resolve(tables, tag, &mut env.warnings).ok_or_else(|| locale::no_locale(tag))
}

/// `n` with `decimals` fraction digits (or up to 3, trailing zeros dropped, when `None`),
/// grouped and punctuated for `loc`.
pub(crate) fn format(n: f64, decimals: Option<u8>, loc: &Locale<'_>) -> String {
    let fixed = match decimals {
        Some(d) => round_half_up(n.abs(), usize::from(d)),
        None => {
            let s = round_half_up(n.abs(), 3);
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        }
    };
    let (int, frac) = fixed.split_once('.').unwrap_or((&fixed, ""));
    let negative = n < 0.0 && fixed.chars().any(|c| c.is_ascii_digit() && c != '0');
    let mut out = String::with_capacity(fixed.len() + 8);
    if negative {
        out.push('-');
    }
    let digits = int.len();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (digits - i) % 3 == 0 {
            out.push_str(loc.group);
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push_str(loc.decimal);
        out.push_str(frac);
    }
    out
}

/// `n` (non-negative) with exactly `d` fraction digits, rounding half away from zero on the
/// shortest decimal form of `n` (so `1.005` rounds to `1.01`, as people expect).
fn round_half_up(n: f64, d: usize) -> String {
    let mut shortest = String::new();
    crate::num::write_plain(&mut shortest, n);
    let (int, frac) = shortest.split_once('.').unwrap_or((&shortest, ""));
    let mut digits: Vec<u8> = int
        .bytes()
        .chain(frac.bytes().chain(std::iter::repeat(b'0')).take(d))
        .collect();
    if frac.as_bytes().get(d).is_some_and(|&c| c >= b'5') {
        let mut i = digits.len();
        loop {
            if i == 0 {
                digits.insert(0, b'1');
                break;
            }
            i -= 1;
            match digits.get_mut(i) {
                Some(c) if *c == b'9' => *c = b'0',
                Some(c) => {
                    *c += 1;
                    break;
                }
                None => break,
            }
        }
    }
    let split = digits.len() - d;
    let (i, f) = digits.split_at(split);
    let mut out = String::from_utf8_lossy(i).into_owned();
    if d > 0 {
        out.push('.');
        out.push_str(&String::from_utf8_lossy(f));
    }
    out
}

fn format_number(env: &mut Env<'_>, a: &Args<'_>) -> Result<Value, String> {
    let n = a.num(0)?;
    let d = decimals(a.opt("decimals", 1))?;
    let d = d.or(if n.fract() == 0.0 { Some(0) } else { None });
    let loc = locale_of(env, a, 2)?;
    Ok(Value::String(format(n, d, &loc)))
}

fn format_percent(env: &mut Env<'_>, a: &Args<'_>) -> Result<Value, String> {
    let n = a.num(0)? * 100.0;
    let d = decimals(a.opt("decimals", 1))?.unwrap_or(0);
    let loc = locale_of(env, a, 2)?;
    // CLDR puts a no-break space before `%` in these languages.
    let space = match loc.tag {
        "fr-FR" | "de-DE" | "es-ES" => "\u{a0}",
        _ => "",
    };
    Ok(Value::String(format!(
        "{}{space}%",
        format(n, Some(d), &loc)
    )))
}

/// Symbol and minor-unit digits of common ISO 4217 codes; others print their code.
fn currency(code: &str) -> (&str, u8) {
    match code {
        "USD" => ("$", 2),
        "EUR" => ("€", 2),
        "GBP" => ("£", 2),
        "JPY" => ("¥", 0),
        "BRL" => ("R$", 2),
        "CAD" => ("CA$", 2),
        "AUD" => ("A$", 2),
        "MXN" => ("MX$", 2),
        "CHF" => ("CHF", 2),
        "INR" => ("₹", 2),
        "CNY" => ("CN¥", 2),
        "KRW" => ("₩", 0),
        _ => (code, 2),
    }
}

fn format_currency(env: &mut Env<'_>, a: &Args<'_>) -> Result<Value, String> {
    let n = a.num(0)?;
    let code = a
        .opt_str("currency", 1)
        .map_or_else(|| "USD".to_string(), |c| crate::case::upper(&c));
    if code.len() != 3 || !code.chars().all(|c| c.is_ascii_alphabetic()) {
        return Err(format!("`{code}` is not an ISO 4217 currency code"));
    }
    let loc = locale_of(env, a, 2)?;
    let (symbol, minor) = currency(&code);
    let symbol = if code == "JPY" && loc.tag == "ja-JP" {
        "￥"
    } else {
        symbol
    };
    let d = decimals(
        a.hash
            .iter()
            .find(|(k, _)| *k == "decimals")
            .map(|(_, v)| v.as_ref()),
    )?;
    let body = format(n.abs(), Some(d.unwrap_or(minor)), &loc);
    let sign = if n < 0.0 && body.chars().any(|c| c.is_ascii_digit() && c != '0') {
        "-"
    } else {
        ""
    };
    let space = if symbol.chars().all(char::is_alphabetic) {
        "\u{a0}"
    } else {
        loc.currency_space
    };
    Ok(Value::String(if loc.currency_first {
        format!("{sign}{symbol}{space}{body}")
    } else {
        format!("{sign}{body}{space}{symbol}")
    }))
}
