//! Profiles: create/replace, merge-patch, read and delete (admin), plus the storage used by the
//! bulk importer.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::access::Admin;
use crate::error::{AppError, JsonBody};
use crate::state::AppState;

/// A consent state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Consent {
    In,
    Out,
    Pending,
}

/// What a profile holds (its id is the key it is stored under).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProfileDoc {
    #[serde(default)]
    pub attributes: Map<String, Value>,
    /// Other ids of the same person (`{"email": "…", "crm": "…"}`).
    #[serde(default)]
    pub identities: Map<String, Value>,
    /// Audiences computed elsewhere (segment ids).
    #[serde(default)]
    pub audiences: Vec<String>,
    /// Purposes (`personalize`, `track`, …) and their state.
    #[serde(default)]
    pub consent: BTreeMap<String, Consent>,
    /// IANA time zone; UTC when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// A test profile, for previews: its events are stored and counted in its own counters,
    /// never in reports or bandit statistics.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub test: bool,
    /// A test profile's sample request context: what `POST /v1/decide` uses for it when the
    /// request has no `context`. Only test profiles have one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<Map<String, Value>>,
}

impl ProfileDoc {
    /// Parses and checks a profile document; the error says what is wrong.
    pub fn from_value(value: Value) -> Result<ProfileDoc, String> {
        let doc: ProfileDoc = serde_json::from_value(value).map_err(|e| e.to_string())?;
        if let Some(tz) = &doc.time_zone {
            jiff::tz::TimeZone::get(tz).map_err(|_| format!("unknown time zone `{tz}`"))?;
        }
        if let Some((name, _)) = doc.identities.iter().find(|(_, v)| !v.is_string()) {
            return Err(format!("identity `{name}` must be a string"));
        }
        if doc.context.is_some() && !doc.test {
            return Err(
                "`context` (a sample context) is only for test profiles (`\"test\": true`)".into(),
            );
        }
        Ok(doc)
    }

    /// The profile's time zone (UTC when absent or unknown).
    pub fn tz(&self) -> jiff::tz::TimeZone {
        time_zone(self.time_zone.as_deref())
    }
}

/// The named time zone, or UTC. Zones are parsed once and kept (there are a few hundred).
pub fn time_zone(name: Option<&str>) -> jiff::tz::TimeZone {
    use std::collections::HashMap;
    use std::sync::{OnceLock, PoisonError, RwLock};
    static ZONES: OnceLock<RwLock<HashMap<String, jiff::tz::TimeZone>>> = OnceLock::new();
    let Some(name) = name else {
        return jiff::tz::TimeZone::UTC;
    };
    let zones = ZONES.get_or_init(Default::default);
    if let Some(tz) = zones
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(name)
    {
        return tz.clone();
    }
    match jiff::tz::TimeZone::get(name) {
        Ok(tz) => {
            zones
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(name.to_owned(), tz.clone());
            tz
        }
        Err(_) => jiff::tz::TimeZone::UTC,
    }
}

/// Checks a profile id: 1 to 200 bytes, printable, no `/`.
pub fn check_id(id: &str) -> Result<(), String> {
    if id.is_empty() || id.len() > 200 {
        return Err("a profile id has 1 to 200 bytes".into());
    }
    if id
        .chars()
        .any(|c| c.is_control() || c == '/' || c.is_whitespace())
    {
        return Err("a profile id has no spaces, control characters or `/`".into());
    }
    Ok(())
}

/// Reads a profile and its version.
pub fn load(conn: &Connection, id: &str) -> Result<Option<(ProfileDoc, i64, i64)>, AppError> {
    let row: Option<(String, i64, i64)> = conn
        .query_row(
            "SELECT doc, version, updated_at FROM profiles WHERE id = ?1",
            [id],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .optional()?;
    row.map(|(doc, version, updated)| Ok((serde_json::from_str(&doc)?, version, updated)))
        .transpose()
}

/// Writes a profile with a prepared statement (the importer reuses one per batch).
pub fn upsert(
    stmt: &mut rusqlite::CachedStatement<'_>,
    id: &str,
    doc: &ProfileDoc,
    version: i64,
    now: i64,
) -> Result<(), AppError> {
    let text = serde_json::to_string(doc)?;
    stmt.execute(params![id, text, doc.time_zone, version, now])?;
    Ok(())
}

/// The SQL of [`upsert`].
pub const UPSERT: &str = "INSERT INTO profiles (id, doc, time_zone, version, updated_at)
     VALUES (?1, ?2, ?3, ?4, ?5)
     ON CONFLICT (id) DO UPDATE SET doc = excluded.doc, time_zone = excluded.time_zone,
       version = excluded.version, updated_at = excluded.updated_at";

fn save(conn: &mut Connection, id: &str, doc: &ProfileDoc) -> Result<i64, AppError> {
    let tx = conn.transaction()?;
    let version = crate::db::next_seq(&tx)?;
    {
        let mut stmt = tx.prepare_cached(UPSERT)?;
        upsert(&mut stmt, id, doc, version, crate::db::now_ms())?;
    }
    tx.commit()?;
    Ok(version)
}

fn checked_id(id: &str) -> Result<(), AppError> {
    check_id(id).map_err(|e| AppError::BadRequest(format!("profile id in the path: {e}")))
}

fn view(id: &str, doc: &ProfileDoc, version: i64, updated_at: i64) -> Value {
    let mut value = serde_json::to_value(doc).unwrap_or_default();
    if let Some(map) = value.as_object_mut() {
        map.insert("id".into(), Value::from(id));
        map.insert("version".into(), Value::from(version));
        map.insert("updatedAt".into(), Value::from(updated_at));
    }
    value
}

/// `PUT /v1/profiles/{id}` (admin): create or replace.
pub async fn put(
    State(state): State<AppState>,
    _: Admin,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<Value>,
) -> Result<Response, AppError> {
    checked_id(&id)?;
    let doc = ProfileDoc::from_value(body)
        .map_err(|e| AppError::invalid(format!("the profile is not valid: {e}")))?;
    let key = id.clone();
    let (created, version) = state
        .db
        .write(move |conn| {
            let existed = load(conn, &key)?.is_some();
            Ok((!existed, save(conn, &key, &doc)?))
        })
        .await?;
    state.snapshots.invalidate(&id);
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(serde_json::json!({ "id": id, "version": version })),
    )
        .into_response())
}

/// `PATCH /v1/profiles/{id}` (admin): a JSON merge patch (RFC 7396) of the profile document.
pub async fn patch(
    State(state): State<AppState>,
    _: Admin,
    Path(id): Path<String>,
    JsonBody(patch): JsonBody<Value>,
) -> Result<Json<Value>, AppError> {
    checked_id(&id)?;
    if !patch.is_object() {
        return Err(AppError::invalid(
            "a merge patch of a profile is a JSON object",
        ));
    }
    let key = id.clone();
    let (doc, version, updated) = state
        .db
        .write(move |conn| {
            let (doc, _, _) = load(conn, &key)?
                .ok_or_else(|| AppError::NotFound(format!("no profile `{key}`")))?;
            let mut value = serde_json::to_value(&doc)?;
            merge_patch(&mut value, &patch);
            let doc = ProfileDoc::from_value(value)
                .map_err(|e| AppError::invalid(format!("the patched profile is not valid: {e}")))?;
            let version = save(conn, &key, &doc)?;
            Ok((doc, version, crate::db::now_ms()))
        })
        .await?;
    state.snapshots.invalidate(&id);
    Ok(Json(view(&id, &doc, version, updated)))
}

/// RFC 7396: objects merge recursively, `null` removes, anything else replaces.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(map) = target {
        for (key, value) in patch {
            if value.is_null() {
                // The other attributes keep their order.
                map.shift_remove(key);
            } else {
                merge_patch(map.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
    }
}

/// `GET /v1/profiles/{id}` (admin)
pub async fn get(
    State(state): State<AppState>,
    _: Admin,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    checked_id(&id)?;
    let key = id.clone();
    let (doc, version, updated) = state
        .db
        .read(move |conn| load(conn, &key))
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no profile `{id}`")))?;
    Ok(Json(view(&id, &doc, version, updated)))
}

/// Removes a profile, its counters, its events and its merge records; how many rows went.
pub fn delete_all(conn: &mut Connection, id: &str) -> Result<usize, AppError> {
    let tx = conn.transaction()?;
    let mut removed = 0;
    for sql in [
        "DELETE FROM profiles WHERE id = ?1",
        "DELETE FROM counters WHERE profile_id = ?1",
        "DELETE FROM events WHERE profile_id = ?1",
        // Its merge records: later events of ids merged into it no longer land here.
        "DELETE FROM merges WHERE from_id = ?1 OR into_id = ?1",
    ] {
        removed += tx.execute(sql, [id])?;
    }
    tx.commit()?;
    Ok(removed)
}

/// `DELETE /v1/profiles/{id}` (admin): erase the profile, its counters and its events (the
/// anonymous per-day report aggregates stay). Idempotent: 204 whether or not anything existed.
pub async fn delete(
    State(state): State<AppState>,
    _: Admin,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    checked_id(&id)?;
    let key = id.clone();
    let removed = state.db.write(move |conn| delete_all(conn, &key)).await?;
    state.snapshots.invalidate(&id);
    tracing::info!(
        profile = %crate::auth::log_label(&id),
        rows = removed,
        "profile erased"
    );
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let mut doc = json!({"attributes": {"a": 1, "b": {"c": 2}}, "audiences": ["x"]});
        merge_patch(
            &mut doc,
            &json!({"attributes": {"a": null, "b": {"d": 3}}, "audiences": ["y"]}),
        );
        assert_eq!(
            doc,
            json!({"attributes": {"b": {"c": 2, "d": 3}}, "audiences": ["y"]})
        );
    }

    #[test]
    fn documents_are_checked() {
        assert!(ProfileDoc::from_value(json!({"timeZone": "Europe/Paris"})).is_ok());
        let e = ProfileDoc::from_value(json!({"timeZone": "Mars/Olympus"})).unwrap_err();
        assert!(e.contains("unknown time zone"), "{e}");
        let e = ProfileDoc::from_value(json!({"consent": {"track": "maybe"}})).unwrap_err();
        assert!(e.contains("unknown variant"), "{e}");
        let e = ProfileDoc::from_value(json!({"atributes": {}})).unwrap_err();
        assert!(e.contains("unknown field `atributes`"), "{e}");
        assert!(check_id("a b").is_err());
        assert!(check_id("u-1@x").is_ok());
    }
}
