//! Bulk profile import from NDJSON: one `{"id": "…", "attributes": {…}, …}` per line. Bad lines
//! are reported with their line number and kept out; good lines are written in batched
//! transactions. Test profiles (for previews) are lines with `"test": true` (and optionally a
//! sample `"context"`), or every line with [`import_as`]`(…, true, …)` (`waymark import --test`).

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
