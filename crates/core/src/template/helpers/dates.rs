//! Date helpers, on the engine's own calendar and time zone rules (`crate::time`, `crate::zones`). A timestamp argument is an
//! RFC 3339 string (`2026-03-05T14:30:00Z`), a date `2026-03-05` (midnight in the time zone),
//! or a number of Unix milliseconds. "Now" is always the render's injected
//! [`RenderOptions::now_ms`](crate::template::RenderOptions::now_ms), never the system clock.
//!
//! | helper | arguments |
//! | --- | --- |
//! | `now` | none: now as RFC 3339 (`(now)` in an argument) |
//! | `formatDate` | `ts [format="medium"] [locale] [timeZone]` (or `format=` `locale=` `timeZone=`) |
//! | `addDays` `addHours` `addMinutes` | `[ts] n`: `ts` (default now) plus `n` × 24 h / 1 h / 1 min, as RFC 3339 |
//! | `daysUntil` | `ts`: whole days from now until `ts` in the time zone's calendar (negative if past) |
//!
//! `format` is a style — `short`, `medium`, `long`, `full` (dates), `time`, `shortDateTime`,
//! `mediumDateTime`, `longDateTime`, `iso` — or an LDML-style pattern: `yyyy` `yy` `MMMM`
//! `MMM` `MM` `M` `dd` `d` `EEEE` `EEE` `HH` `H` `hh` `h` `mm` `ss` `SSS` `a` `XXX` (offset),
//! `'quoted text'`, `''` for a quote. Other letters are an error; other characters are copied.

use std::fmt::Write as _;

use serde_json::Value;

use super::{Args, Env, HelperFn};
use crate::template::locale::{self, Locale, no_locale};
use crate::time::{self, Date, Zone, Zoned};

pub(crate) fn lookup(name: &str) -> Option<HelperFn> {
    let f: HelperFn = match name {
        "now" => |env, _| rfc3339(env.now_ms),
        "formatDate" => format_date,
        "addDays" => |env, a| add(env, a, 86_400_000),
        "addHours" => |env, a| add(env, a, 3_600_000),
        "addMinutes" => |env, a| add(env, a, 60_000),
        "daysUntil" => days_until,
        _ => return None,
    };
    Some(f)
}

fn rfc3339(ms: i64) -> Result<Value, String> {
    time::format_utc(ms)
        .map(Value::String)
        .ok_or_else(|| "timestamp out of range".to_owned())
}

/// The IANA zone `name`, from the render's zone rules (see `crate::tables`).
fn zone(env: &Env<'_>, name: &str) -> Result<Zone, String> {
    env.tables
        .zone(name)
        .ok_or_else(|| format!("unknown time zone `{name}`"))
}

/// Unix milliseconds of a timestamp argument.
fn instant(v: &Value, tz: &Zone) -> Result<i64, String> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f as i64))
            .ok_or_else(|| "bad timestamp".to_string()),
        Value::String(s) => {
            if let Some(ms) = time::parse_rfc3339(s) {
                return Ok(ms);
            }
            Date::parse(s)
                .map(|d| time::midnight(d, tz))
                .ok_or_else(|| format!("`{s}` is not an RFC 3339 timestamp or a date"))
        }
        Value::Null => Err("missing timestamp".into()),
        _ => Err("a timestamp must be an RFC 3339 string or Unix milliseconds".into()),
    }
}

fn add(env: &mut Env<'_>, a: &Args<'_>, unit: i64) -> Result<Value, String> {
    let (base, n) = if a.pos.len() >= 2 {
        (instant(a.get(0), &Zone::UTC)?, a.num(1)?)
    } else {
        (env.now_ms, a.num(0)?)
    };
    let delta = n * unit as f64;
    if !delta.is_finite() || delta.abs() > 1.0e16 {
        return Err("offset out of range".into());
    }
    rfc3339(base.saturating_add(delta as i64))
}

fn zoned(ms: i64, tz: &Zone) -> Result<Zoned, String> {
    Zoned::new(ms, tz).ok_or_else(|| "timestamp out of range".to_owned())
}

fn days_until(env: &mut Env<'_>, a: &Args<'_>) -> Result<Value, String> {
    let tz_name = a.opt_str("timeZone", 1);
    let tz = zone(env, tz_name.as_deref().unwrap_or(env.time_zone))?;
    let target = zoned(instant(a.get(0), &tz)?, &tz)?;
    let now = zoned(env.now_ms, &tz)?;
    Ok(Value::from(target.date.days() - now.date.days()))
}

fn format_date(env: &mut Env<'_>, a: &Args<'_>) -> Result<Value, String> {
    let tz_name = a.opt_str("timeZone", 3).map(|s| s.into_owned());
    let tz = zone(env, tz_name.as_deref().unwrap_or(env.time_zone))?;
    if a.get(0).is_null() {
        return Ok(Value::Null); // a missing date renders empty, like any missing value
    }
    let zdt = zoned(instant(a.get(0), &tz)?, &tz)?;
    let tag = a.opt_str("locale", 2).map(|s| s.into_owned());
    let tag = tag.as_deref().unwrap_or(env.locale);
    let tables = env.tables;
    let loc = locale::resolve(tables, tag, &mut env.warnings).ok_or_else(|| no_locale(tag))?;
    let format = a
        .opt_str("format", 1)
        .map_or_else(|| "medium".to_string(), |s| s.into_owned());
    let [short, medium, long, full] = loc.date_styles;
    let pattern = match format.as_str() {
        "iso" => {
            return Ok(Value::String(zdt.rfc3339_with_offset()));
        }
        "short" => short.to_string(),
        "medium" => medium.to_string(),
        "long" => long.to_string(),
        "full" => full.to_string(),
        "time" => loc.time.to_string(),
        "shortDateTime" => format!("{short} {}", loc.time),
        "mediumDateTime" => format!("{medium} {}", loc.time),
        "longDateTime" => format!("{long} {}", loc.time),
        other => other.to_string(),
    };
    render_pattern(&zdt, &pattern, &loc).map(Value::String)
}

fn render_pattern(z: &Zoned, pattern: &str, loc: &Locale<'_>) -> Result<String, String> {
    let mut out = String::with_capacity(pattern.len() + 16);
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    let month = usize::from(z.date.month.saturating_sub(1));
    let weekday = usize::from(z.date.weekday() - 1);
    let hour12 = match z.hour % 12 {
        0 => 12,
        h => h,
    };
    while let Some(&c) = chars.get(i) {
        let run = chars
            .get(i..)
            .map_or(0, |s| s.iter().take_while(|&&d| d == c).count());
        i += run;
        match (c, run) {
            ('\'', _) => {
                // `''` is a literal quote; otherwise text up to the next quote.
                if run >= 2 {
                    out.extend(std::iter::repeat_n('\'', run / 2));
                }
                if run % 2 == 1 {
                    while let Some(&d) = chars.get(i) {
                        i += 1;
                        if d == '\'' {
                            if chars.get(i) == Some(&'\'') {
                                out.push('\'');
                                i += 1;
                                continue;
                            }
                            break;
                        }
                        out.push(d);
                    }
                }
            }
            ('y', 2) => {
                let _ = write!(out, "{:02}", z.date.year.rem_euclid(100));
            }
            ('y', _) => {
                let _ = write!(out, "{}", z.date.year);
            }
            ('M', 1) => {
                let _ = write!(out, "{}", z.date.month);
            }
            ('M', 2) => {
                let _ = write!(out, "{:02}", z.date.month);
            }
            ('M', 3) => out.push_str(loc.months_short.get(month).copied().unwrap_or("")),
            ('M', _) => out.push_str(loc.months.get(month).copied().unwrap_or("")),
            ('d', 1) => {
                let _ = write!(out, "{}", z.date.day);
            }
            ('d', _) => {
                let _ = write!(out, "{:02}", z.date.day);
            }
            ('E', 1..=3) => out.push_str(loc.days_short.get(weekday).copied().unwrap_or("")),
            ('E', _) => out.push_str(loc.days.get(weekday).copied().unwrap_or("")),
            ('H', 1) => {
                let _ = write!(out, "{}", z.hour);
            }
            ('H', _) => {
                let _ = write!(out, "{:02}", z.hour);
            }
            ('h', 1) => {
                let _ = write!(out, "{hour12}");
            }
            ('h', _) => {
                let _ = write!(out, "{hour12:02}");
            }
            ('m', 1) => {
                let _ = write!(out, "{}", z.minute);
            }
            ('m', _) => {
                let _ = write!(out, "{:02}", z.minute);
            }
            ('s', 1) => {
                let _ = write!(out, "{}", z.second);
            }
            ('s', _) => {
                let _ = write!(out, "{:02}", z.second);
            }
            ('S', _) => {
                let _ = write!(out, "{:03}", z.millisecond);
            }
            ('a', _) => out.push_str(if z.hour >= 12 {
                loc.am_pm[1]
            } else {
                loc.am_pm[0]
            }),
            ('X', _) => {
                let secs = z.offset;
                let sign = if secs < 0 { '-' } else { '+' };
                let secs = secs.unsigned_abs();
                let _ = write!(out, "{sign}{:02}:{:02}", secs / 3600, secs / 60 % 60);
            }
            (c, _) if c.is_ascii_alphabetic() => {
                return Err(format!(
                    "unknown pattern letter `{c}` (quote literal text with '...')"
                ));
            }
            (c, n) => out.extend(std::iter::repeat_n(c, n)),
        }
    }
    Ok(out)
}
