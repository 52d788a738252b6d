//! Bulk profile import from NDJSON: one `{"id": "…", "attributes": {…}, …}` per line. Bad lines
//! are reported with their line number and kept out; good lines are written in batched
//! transactions. Test profiles (for previews) are lines with `"test": true` (and optionally a
//! sample `"context"`), or every line with [`import_as`]`(…, true, …)` (`waymark import --test`).
//!
//! CSV ([`import_csv_as`], read by the `csv` crate) has a header row naming each column's path
//! in the profile, dotted: `id`, `timeZone`, `test`, `consent.track`, `context.cart.total`,
//! `attributes.loyalty.tier`; a column whose first segment is none of the profile's fields
//! (`id`, `timeZone`, `test`, `consent`, `context`, `audiences`, `identities`, `attributes`) is
//! an attribute (`loyalty.tier` is `attributes.loyalty.tier`). A cell that is a JSON literal
//! (`42`, `true`, `null`, `["a","b"]`, `"007"`) is that value, anything else is text (`007`,
//! `gold`); an empty cell sets nothing. Each row then goes through the NDJSON line's checks.

use std::io::BufRead;

use serde_json::Value;

use crate::db::Db;
use crate::error::AppError;
use crate::profiles::{self, ProfileDoc};

/// Profiles written per transaction.
pub const BATCH: usize = 20_000;
/// Bad lines described in the summary (the rest are only counted).
pub const MAX_REPORTED: usize = 1000;

/// What an import did.
#[derive(Debug, Default)]
pub struct Summary {
    pub lines: u64,
    pub imported: u64,
    pub bad: u64,
    /// (line number, why), the first [`MAX_REPORTED`] bad lines.
    pub problems: Vec<(u64, String)>,
}

/// Parses one line into a profile id and document.
pub fn parse_line(line: &str) -> Result<(String, ProfileDoc), String> {
    parse_line_as(line, false)
}

/// [`parse_line`], marking the profile as a test profile when `test`.
pub fn parse_line_as(line: &str, test: bool) -> Result<(String, ProfileDoc), String> {
    let mut value: Value = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    let object = value
        .as_object_mut()
        .ok_or("a line is a JSON object with an `id`")?;
    if test {
        object.insert("test".into(), Value::Bool(true));
    }
    let id = match object.shift_remove("id") {
        Some(Value::String(id)) => id,
        Some(_) => return Err("`id` must be a string".into()),
        None => return Err("`id` is missing".into()),
    };
    profiles::check_id(&id).map_err(|e| format!("`id`: {e}"))?;
    let doc = ProfileDoc::from_value(value)?;
    Ok((id, doc))
}

/// Imports every line of `input`; `progress` gets the bytes read so far after each batch.
pub fn import(
    db: &Db,
    input: impl BufRead,
    progress: impl FnMut(u64),
) -> Result<Summary, AppError> {
    import_as(db, input, false, progress)
}

/// [`import`], every profile a test profile when `test`.
pub fn import_as(
    db: &Db,
    input: impl BufRead,
    test: bool,
    mut progress: impl FnMut(u64),
) -> Result<Summary, AppError> {
    let mut summary = Summary::default();
    let mut batch: Vec<(String, ProfileDoc)> = Vec::with_capacity(BATCH);
    let mut bytes = 0u64;
    for line in input.lines() {
        let line = line.map_err(|e| AppError::internal(format!("reading the input: {e}")))?;
        summary.lines += 1;
        bytes += line.len() as u64 + 1;
        if line.trim().is_empty() {
            continue;
        }
        match parse_line_as(&line, test) {
            Ok(profile) => batch.push(profile),
            Err(why) => {
                summary.bad += 1;
                if summary.problems.len() < MAX_REPORTED {
                    summary.problems.push((summary.lines, why));
                }
            }
        }
        if batch.len() >= BATCH {
            summary.imported += write(db, &mut batch)?;
            progress(bytes);
        }
    }
    summary.imported += write(db, &mut batch)?;
    progress(bytes);
    Ok(summary)
}

/// The profile's own fields; other CSV columns are attributes.
const FIELDS: &[&str] = &[
    "id",
    "timeZone",
    "test",
    "consent",
    "context",
    "audiences",
    "identities",
    "attributes",
];

/// One CSV row as the JSON object of an NDJSON line (see the module docs).
pub fn csv_row(headers: &csv::StringRecord, row: &csv::StringRecord) -> Result<Value, String> {
    let mut out = Value::Object(serde_json::Map::new());
    for (header, cell) in headers.iter().zip(row.iter()) {
        if cell.is_empty() {
            continue;
        }
        let header = header.trim();
        let mut path: Vec<&str> = header.split('.').collect();
        if path.iter().any(|s| s.is_empty()) {
            return Err(format!("the column `{header}` is not a dotted path"));
        }
        if !FIELDS.contains(&path[0]) {
            path.insert(0, "attributes");
        }
        let value =
            serde_json::from_str::<Value>(cell).unwrap_or_else(|_| Value::String(cell.to_owned()));
        let mut at = &mut out;
        for (i, segment) in path.iter().enumerate() {
            let Value::Object(map) = at else {
                return Err(format!(
                    "the column `{header}` is inside another column's value"
                ));
            };
            if i + 1 == path.len() {
                map.insert((*segment).to_owned(), value);
                break;
            }
            at = map
                .entry((*segment).to_owned())
                .or_insert_with(|| Value::Object(serde_json::Map::new()));
        }
    }
    Ok(out)
}

/// [`import_as`] from CSV with a header row (see the module docs); a bad row is reported with
/// its line number, as a bad NDJSON line is.
pub fn import_csv_as(
    db: &Db,
    input: impl std::io::Read,
    test: bool,
    mut progress: impl FnMut(u64),
) -> Result<Summary, AppError> {
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(input);
    let headers = reader
        .headers()
        .map_err(|e| AppError::BadRequest(format!("the header row: {e}")))?
        .clone();
    let mut summary = Summary {
        lines: 1,
        ..Summary::default()
    };
    let mut batch: Vec<(String, ProfileDoc)> = Vec::with_capacity(BATCH);
    let mut record = csv::StringRecord::new();
    loop {
        let (line, parsed) = match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record.position().map_or(0, csv::Position::line);
                let parsed = csv_row(&headers, &record)
                    .and_then(|value| parse_line_as(&value.to_string(), test));
                (line, parsed)
            }
            Err(e) => {
                let line = e.position().map_or(summary.lines + 1, csv::Position::line);
                if let csv::ErrorKind::Io(io) = e.kind() {
                    return Err(AppError::internal(format!("reading the input: {io}")));
                }
                (line, Err(format!("not CSV: {e}")))
            }
        };
        summary.lines = summary.lines.max(line);
        match parsed {
            Ok(profile) => batch.push(profile),
            Err(why) => {
                summary.bad += 1;
                if summary.problems.len() < MAX_REPORTED {
                    summary.problems.push((line, why));
                }
            }
        }
        if batch.len() >= BATCH {
            summary.imported += write(db, &mut batch)?;
            progress(reader.position().byte());
        }
    }
    summary.imported += write(db, &mut batch)?;
    progress(reader.position().byte());
    Ok(summary)
}

fn write(db: &Db, batch: &mut Vec<(String, ProfileDoc)>) -> Result<u64, AppError> {
    if batch.is_empty() {
        return Ok(0);
    }
    let n = db.write_blocking(|conn| {
        let tx = conn.transaction()?;
        let version = crate::db::next_seq(&tx)?;
        let now = crate::db::now_ms();
        {
            let mut stmt = tx.prepare_cached(profiles::UPSERT)?;
            for (id, doc) in batch.iter() {
                profiles::upsert(&mut stmt, id, doc, version, now)?;
            }
        }
        tx.commit()?;
        Ok(batch.len() as u64)
    })?;
    batch.clear();
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(headers: &[&str], cells: &[&str]) -> Result<Value, String> {
        csv_row(
            &csv::StringRecord::from(headers.to_vec()),
            &csv::StringRecord::from(cells.to_vec()),
        )
    }

    #[test]
    fn csv_columns_are_dotted_paths_and_cells_json_literals_or_text() {
        let value = row(
            &[
                "id",
                "test",
                "loyalty.tier",
                "zip",
                "context.cart.total",
                "consent.track",
                "tags",
                "note",
            ],
            &[
                "tess",
                "true",
                "gold",
                "007",
                "60",
                "in",
                r#"["a","b"]"#,
                "",
            ],
        )
        .unwrap();
        assert_eq!(
            value,
            serde_json::json!({"id": "tess", "test": true,
                "attributes": {"loyalty": {"tier": "gold"}, "zip": "007", "tags": ["a", "b"]},
                "context": {"cart": {"total": 60}}, "consent": {"track": "in"}})
        );
        assert!(
            row(&["id", "a..b"], &["x", "1"])
                .unwrap_err()
                .contains("`a..b`")
        );
        let clash = row(&["id", "tier", "tier.name"], &["x", "gold", "g"]).unwrap_err();
        assert!(clash.contains("inside another column"), "{clash}");
    }
}
