//! The audit log: who (a key's name) did what and when. Every write that changes what runtimes
//! get or who may call the API records one entry, in the transaction that makes the change.

use axum::Json;
use axum::extract::{Query, State};
use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::access::Admin;
use crate::auth::Identity;
use crate::error::AppError;
use crate::state::AppState;

/// Who an entry is by: a key, or a command on the server's machine (`waymark keys …`).
#[derive(Debug, Clone)]
pub struct Actor {
    pub key_id: Option<i64>,
    pub name: String,
}

impl From<&Identity> for Actor {
    fn from(who: &Identity) -> Actor {
        Actor {
            key_id: Some(who.id),
            name: who.label(),
        }
    }
}

impl Actor {
    /// A command run with direct access to the database (the `waymark` CLI).
    pub fn cli() -> Actor {
        Actor {
            key_id: None,
            name: "cli".into(),
        }
    }

    /// The server itself (a global cap reached).
    pub fn system() -> Actor {
        Actor {
            key_id: None,
            name: "system".into(),
        }
    }
}

/// What happened: `action` on `target` by `actor` at `at` (Unix ms), with optional details.
#[derive(Debug, Clone)]
pub struct Action {
    pub actor: Actor,
    pub at: i64,
    pub action: &'static str,
    pub target: String,
    pub detail: Option<Value>,
}

impl Action {
    pub fn new(
        actor: impl Into<Actor>,
        at: i64,
        action: &'static str,
        target: impl Into<String>,
    ) -> Action {
        Action {
            actor: actor.into(),
            at,
            action,
            target: target.into(),
            detail: None,
        }
    }

    pub fn with(mut self, detail: Value) -> Action {
        self.detail = Some(detail);
        self
    }
}

/// Records one entry.
pub fn record(conn: &Connection, action: &Action) -> Result<(), AppError> {
    conn.execute(
        "INSERT INTO audit (at, key_id, key_name, action, target, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            action.at,
            action.actor.key_id,
            action.actor.name,
            action.action,
            action.target,
            action.detail.as_ref().map(Value::to_string)
        ],
    )?;
    Ok(())
}

/// One entry as `GET /v1/audit` shows it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    pub id: i64,
    /// Unix ms.
    pub at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<i64>,
    pub key_name: String,
    pub action: String,
    pub target: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<Value>,
}

/// The newest `limit` entries, newest first.
pub fn list(conn: &Connection, limit: i64) -> Result<Vec<Entry>, AppError> {
    let mut stmt = conn.prepare(
        "SELECT id, at, key_id, key_name, action, target, detail FROM audit
         ORDER BY id DESC LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit], |row| {
        let detail: Option<String> = row.get(6)?;
        Ok(Entry {
            id: row.get(0)?,
            at: row.get(1)?,
            key_id: row.get(2)?,
            key_name: row.get(3)?,
            action: row.get(4)?,
            target: row.get(5)?,
            detail: detail.and_then(|d| serde_json::from_str(&d).ok()),
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    limit: Option<i64>,
}

/// `GET /v1/audit?limit=` (admin): the newest entries first (default 100, at most 1000).
pub async fn get(
    State(state): State<AppState>,
    _: Admin,
    Query(query): Query<AuditQuery>,
) -> Result<Json<Value>, AppError> {
    let limit = query.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(AppError::BadRequest(format!(
            "`limit` is 1 to 1000, not {limit}"
        )));
    }
    let entries = state.db.read(move |conn| list(conn, limit)).await?;
    Ok(Json(json!({ "entries": entries })))
}
