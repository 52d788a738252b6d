//! Drafts: named bundles that are not live. They are validated exactly as a publication is,
//! previewed with `POST /v1/decide` (`"draft": name`), compared with the live bundle, and
//! published at once or at a time (a scheduled publication, fired by [`publish_due`]).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::access::{Admin, Editor, Viewer};
use crate::audit::{Action, Actor};
use crate::bundles::{self, Published};
use crate::error::{AppError, raw_body};
use crate::state::AppState;

/// Checks a draft name: 1 to 100 characters among letters, digits, `.`, `_` and `-`.
pub fn check_name(name: &str) -> Result<(), AppError> {
    let ok = !name.is_empty()
        && name.len() <= 100
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(AppError::BadRequest(format!(
            "`{name}` is not a draft name: 1 to 100 letters, digits, `.`, `_` or `-`"
        )))
    }
}

/// One stored draft, without its body.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DraftInfo {
    pub name: String,
    /// The bundle's `id`.
    pub id: String,
    /// SHA-256 of the stored bytes, hex.
    pub hash: String,
    pub updated_at: i64,
    /// The name of the key that wrote it last.
    pub updated_by: String,
}

/// A draft's stored bytes.
pub fn load(conn: &Connection, name: &str) -> Result<Option<Vec<u8>>, AppError> {
    Ok(conn
        .query_row("SELECT body FROM drafts WHERE name = ?1", [name], |row| {
            row.get(0)
        })
        .optional()?)
}

fn load_or_404(conn: &Connection, name: &str) -> Result<Vec<u8>, AppError> {
    load(conn, name)?.ok_or_else(|| AppError::NotFound(format!("no draft `{name}`")))
}

/// `PUT /v1/drafts/{name}` (editor): validate and store; 201 when new, 200 when replaced. An
/// invalid bundle is refused (400 / 422 with pointers) and the stored draft stays.
pub async fn put(
    State(state): State<AppState>,
    Editor(who): Editor,
    Path(name): Path<String>,
    request: axum::extract::Request,
) -> Result<Response, AppError> {
    check_name(&name)?;
    let body = raw_body(request, &state).await?;
    let (_, bundle) = bundles::validate(&body, &format!("the draft `{name}`"))?;
    let hash = bundles::content_hash(&body);
    let now = state.config.clock.now_ms();
    let action = Action::new(&who, now, "draft.put", &name).with(json!({ "hash": hash }));
    let key = name.clone();
    let created = state
        .db
        .write(move |conn| {
            let tx = conn.transaction()?;
            let existed = load(&tx, &key)?.is_some();
            tx.execute(
                "INSERT INTO drafts (name, body, hash, updated_at, updated_by)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (name) DO UPDATE SET body = excluded.body, hash = excluded.hash,
                   updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                params![key, body.to_vec(), hash, now, action.actor.name],
            )?;
            crate::audit::record(&tx, &action)?;
            tx.commit()?;
            Ok(!existed)
        })
        .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        [(header::LOCATION, format!("/v1/drafts/{name}"))],
        Json(json!({ "name": name, "id": bundle.id })),
    )
        .into_response())
}

/// `GET /v1/drafts` (viewer): every draft, by name.
pub async fn list(State(state): State<AppState>, _: Viewer) -> Result<Json<Value>, AppError> {
    let drafts = state
        .db
        .read(|conn| {
            let mut stmt = conn.prepare(
                "SELECT name, json_extract(CAST(body AS TEXT), '$.id'), hash, updated_at,
                        updated_by FROM drafts ORDER BY name",
            )?;
            let rows = stmt.query_map([], |row| {
                Ok(DraftInfo {
                    name: row.get(0)?,
                    id: row.get::<_, Option<String>>(1)?.unwrap_or_default(),
                    hash: row.get(2)?,
                    updated_at: row.get(3)?,
                    updated_by: row.get(4)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await?;
    Ok(Json(json!({ "drafts": drafts })))
}

/// `GET /v1/drafts/{name}` (viewer): the draft's bytes as stored.
pub async fn get(
    State(state): State<AppState>,
    _: Viewer,
    Path(name): Path<String>,
) -> Result<Response, AppError> {
    check_name(&name)?;
    let body = state.db.read(move |conn| load_or_404(conn, &name)).await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// `DELETE /v1/drafts/{name}` (editor): 204; 404 when there is no such draft. Publications
/// already scheduled from it keep the bytes they were scheduled with.
pub async fn delete(
    State(state): State<AppState>,
    Editor(who): Editor,
    Path(name): Path<String>,
) -> Result<StatusCode, AppError> {
    check_name(&name)?;
    let action = Action::new(&who, state.config.clock.now_ms(), "draft.delete", &name);
    state
        .db
        .write(move |conn| {
            let tx = conn.transaction()?;
            if tx.execute("DELETE FROM drafts WHERE name = ?1", [&action.target])? == 0 {
                return Err(AppError::NotFound(format!("no draft `{}`", action.target)));
            }
            crate::audit::record(&tx, &action)?;
            tx.commit()?;
            Ok(())
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v1/drafts/{name}/diff` (viewer): the draft against the live bundle.
pub async fn diff(
    State(state): State<AppState>,
    _: Viewer,
    Path(name): Path<String>,
) -> Result<Json<Value>, AppError> {
    check_name(&name)?;
    let key = name.clone();
    let body = state.db.read(move |conn| load_or_404(conn, &key)).await?;
    let draft: Value = serde_json::from_slice(&body)?;
    let current = state.bundle();
    let live: Value = match &current {
        Some(current) => serde_json::from_slice(&current.body)?,
        None => json!({}),
    };
    let mut out = crate::diff::bundles(&live, &draft);
    if let Some(map) = out.as_object_mut() {
        map.insert("draft".into(), json!(name));
        map.insert(
            "liveRevision".into(),
            json!(current.as_ref().map(|c| c.revision)),
        );
    }
    Ok(Json(out))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PublishRequest {
    /// RFC 3339: publish then rather than now.
    at: Option<String>,
}

/// `POST /v1/drafts/{name}/publish` (admin): publish the draft now as a new signed revision
/// (201, as `POST /v1/bundles`), or with `{"at": RFC 3339}` schedule it (202); the draft stays.
pub async fn publish(
    State(state): State<AppState>,
    Admin(who): Admin,
    Path(name): Path<String>,
    request: axum::extract::Request,
) -> Result<Response, AppError> {
    check_name(&name)?;
    let raw = raw_body(request, &state).await?;
    let request: PublishRequest = if raw.iter().all(u8::is_ascii_whitespace) {
        PublishRequest::default()
    } else {
        crate::error::parse_json(&raw, "the publish request")?
    };
    let key = name.clone();
    let body = state.db.read(move |conn| load_or_404(conn, &key)).await?;
    // Stored drafts were valid; check again (the engine may have changed since).
    let (value, bundle) = bundles::validate(&body, "the live bundle")?;
    let now = state.config.clock.now_ms();
    let Some(at) = request.at else {
        let action = Action::new(&who, now, "draft.publish", &name);
        let published =
            bundles::publish_value(&state, value, format!("draft {name}"), action).await?;
        tracing::info!(revision = published.revision, draft = %name, "draft published");
        return Ok(bundles::created(&published));
    };
    let at_ms = at
        .parse::<jiff::Timestamp>()
        .map_err(|e| AppError::invalid(format!("`at` is not an RFC 3339 time (`{at}`): {e}")))?
        .as_millisecond();
    if at_ms <= now {
        return Err(AppError::invalid(format!(
            "`at` ({at}) is not in the future; publish without `at` to publish now"
        )));
    }
    let action = Action::new(&who, now, "draft.schedule", &name)
        .with(json!({ "at": at_ms, "id": bundle.id }));
    let scheduled = state
        .db
        .write(move |conn| {
            let tx = conn.transaction()?;
            tx.execute(
                "INSERT INTO schedules (draft, body, at, created_at, created_by)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![action.target, body, at_ms, now, action.actor.name],
            )?;
            let id = tx.last_insert_rowid();
            let mut action = action;
            if let Some(map) = action.detail.as_mut().and_then(Value::as_object_mut) {
                map.insert("schedule".into(), json!(id));
            }
            crate::audit::record(&tx, &action)?;
            let scheduled = load_schedule(&tx, id)?;
            tx.commit()?;
            Ok(scheduled)
        })
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "scheduled": scheduled })),
    )
        .into_response())
}

/// A scheduled publication.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Scheduled {
    pub id: i64,
    pub draft: String,
    /// When it is due (Unix ms).
    pub at: i64,
    pub created_at: i64,
    pub created_by: String,
    /// `pending`, `published`, `failed` or `cancelled`.
    pub state: String,
    /// The revision it became, once published.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

const SCHEDULE_COLUMNS: &str = "id, draft, at, created_at, created_by, state, revision, error";

fn scheduled(row: &rusqlite::Row<'_>) -> rusqlite::Result<Scheduled> {
    Ok(Scheduled {
        id: row.get(0)?,
        draft: row.get(1)?,
        at: row.get(2)?,
        created_at: row.get(3)?,
        created_by: row.get(4)?,
        state: row.get(5)?,
        revision: row.get(6)?,
        error: row.get(7)?,
    })
}

fn load_schedule(conn: &Connection, id: i64) -> Result<Scheduled, AppError> {
    conn.query_row(
        &format!("SELECT {SCHEDULE_COLUMNS} FROM schedules WHERE id = ?1"),
        [id],
        scheduled,
    )
    .optional()?
    .ok_or_else(|| AppError::NotFound(format!("no scheduled publication {id}")))
}

/// `GET /v1/schedules` (viewer): every scheduled publication, newest first.
pub async fn schedules(State(state): State<AppState>, _: Viewer) -> Result<Json<Value>, AppError> {
    let list = state
        .db
        .read(|conn| {
            let mut stmt = conn.prepare(&format!(
                "SELECT {SCHEDULE_COLUMNS} FROM schedules ORDER BY id DESC"
            ))?;
            let rows = stmt.query_map([], scheduled)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await?;
    Ok(Json(json!({ "schedules": list })))
}

/// `DELETE /v1/schedules/{id}` (admin): cancel a pending publication; 409 once it has fired.
pub async fn cancel(
    State(state): State<AppState>,
    Admin(who): Admin,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    let id: i64 = id
        .parse()
        .map_err(|_| AppError::BadRequest(format!("`{id}` in the path is not a schedule id")))?;
    let action = Action::new(
        &who,
        state.config.clock.now_ms(),
        "schedule.cancel",
        id.to_string(),
    );
    let cancelled = state
        .db
        .write(move |conn| {
            let tx = conn.transaction()?;
            let current = load_schedule(&tx, id)?;
            if current.state != "pending" {
                return Err(AppError::Conflict(format!(
                    "scheduled publication {id} is {}, not pending",
                    current.state
                )));
            }
            tx.execute(
                "UPDATE schedules SET state = 'cancelled' WHERE id = ?1",
                [id],
            )?;
            crate::audit::record(&tx, &action.with(json!({ "draft": current.draft })))?;
            let cancelled = load_schedule(&tx, id)?;
            tx.commit()?;
            Ok(cancelled)
        })
        .await?;
    Ok(Json(json!({ "scheduled": cancelled })))
}

/// Publishes every pending publication due at `now` (Unix ms), oldest due first, each as a new
/// revision through the same path as `POST /v1/bundles`; the audit log records them under the
/// name of the key that scheduled them. A publication whose bundle no longer validates is
/// marked `failed` with the reason. Returns what it published.
pub async fn publish_due(state: &AppState, now: i64) -> Result<Vec<Published>, AppError> {
    let due: Vec<(i64, String, Vec<u8>, String)> = state
        .db
        .read(move |conn| {
            let mut stmt = conn.prepare(
                "SELECT id, draft, body, created_by FROM schedules
                 WHERE state = 'pending' AND at <= ?1 ORDER BY at, id",
            )?;
            let rows = stmt.query_map([now], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await?;
    let mut published = Vec::new();
    for (id, draft, body, by) in due {
        let actor = Actor {
            key_id: None,
            name: by,
        };
        let action =
            Action::new(actor, now, "draft.publish", &draft).with(json!({ "schedule": id }));
        let value = match bundles::validate(&body, "the live bundle") {
            Ok((value, _)) => value,
            Err(e) => {
                let why = e.to_string();
                tracing::error!(schedule = id, error = %why, "scheduled publication failed");
                state
                    .db
                    .write(move |conn| {
                        conn.execute(
                            "UPDATE schedules SET state = 'failed', error = ?2 WHERE id = ?1",
                            params![id, why],
                        )?;
                        Ok(())
                    })
                    .await?;
                continue;
            }
        };
        let source = format!("draft {draft} (scheduled {id})");
        let stored = state
            .db
            .write(move |conn| {
                // Claimed in the transaction that stores it: two servers never both publish it.
                let tx = conn.transaction()?;
                let claimed = tx.execute(
                    "UPDATE schedules SET state = 'published' WHERE id = ?1 AND state = 'pending'",
                    [id],
                )?;
                if claimed == 0 {
                    return Ok(None);
                }
                let (revision, body) = bundles::publish_tx(&tx, value, &source, action)?;
                tx.execute(
                    "UPDATE schedules SET revision = ?2 WHERE id = ?1",
                    params![id, revision],
                )?;
                tx.commit()?;
                Ok(Some((revision, body)))
            })
            .await?;
        if let Some((revision, body)) = stored {
            tracing::info!(revision, schedule = id, "scheduled publication published");
            published.push(bundles::serve_revision(state, revision, body)?);
        }
    }
    Ok(published)
}

/// Publishes due publications every `config.schedule_interval`, by `config.clock`, until the
/// process ends.
pub fn spawn_publication_schedule(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(state.config.schedule_interval);
        loop {
            ticker.tick().await;
            let now = state.config.clock.now_ms();
            if let Err(e) = publish_due(&state, now).await {
                tracing::error!(error = %e, "publishing scheduled publications failed");
            }
            if let Err(e) = crate::caps::check(&state).await {
                tracing::error!(error = %e, "republishing for reached global caps failed");
            }
        }
    })
}
