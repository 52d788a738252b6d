//! Bundles: publication (validated, revisioned, with the latest bandit weights), listing,
//! rollback, and the signed current bundle with ETags.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use waymark_core::bundle::Bundle;

use crate::access::{Admin, Caller, Viewer};
use crate::auth::hex;
use crate::error::{AppError, raw_body};
use crate::state::{AppState, CurrentBundle};

/// SHA-256 of the bytes, hex.
pub fn content_hash(body: &[u8]) -> String {
    hex(&Sha256::digest(body))
}

/// The newest revision and its bytes.
pub fn load_current(conn: &Connection) -> Result<Option<(i64, Vec<u8>)>, AppError> {
    Ok(conn
        .query_row(
            "SELECT revision, body FROM bundles ORDER BY revision DESC LIMIT 1",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?)
}

/// Checks a bundle as `POST /v1/bundles` does: 400 when the bytes are not UTF-8 or JSON (with
/// line and column), 422 with `problems: [{pointer, message}]` when it is not a valid bundle.
/// `unchanged` names what stays as it was (e.g. "the current bundle").
pub fn validate(body: &[u8], unchanged: &str) -> Result<(Value, Bundle), AppError> {
    let text = std::str::from_utf8(body)
        .map_err(|e| AppError::BadRequest(format!("the bundle is not UTF-8: {e}")))?;
    // Unreadable JSON is a 400 (with line and column); readable but invalid, a 422.
    let value: Value = crate::error::parse_json(body, "the bundle")?;
    let bundle = Bundle::from_json(text).map_err(|problems| AppError::Invalid {
        detail: format!(
            "the bundle is not valid ({} problem(s)); {unchanged} is unchanged",
            problems.0.len()
        ),
        problems: serde_json::to_value(&problems).ok(),
    })?;
    Ok((value, bundle))
}

/// Writes the ids of the paused activities and offers the bundle has into its `paused` list
/// (removed when none is paused).
fn apply_paused(conn: &Connection, bundle: &mut Value) -> Result<(), AppError> {
    let mut stmt = conn.prepare("SELECT item_id FROM paused ORDER BY item_id")?;
    let stored = stmt
        .query_map([], |row| row.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    let has = |list: &str, id: &str| {
        bundle[list]
            .as_array()
            .is_some_and(|items| items.iter().any(|item| item["id"] == id))
    };
    let paused: Vec<String> = stored
        .into_iter()
        .filter(|id| has("activities", id) || has("offers", id))
        .collect();
    let object = bundle
        .as_object_mut()
        .ok_or_else(|| AppError::internal("a validated bundle is a JSON object"))?;
    if paused.is_empty() {
        object.shift_remove("paused");
    } else {
        object.insert("paused".into(), json!(paused));
    }
    Ok(())
}

/// Stores `bundle` (already validated) as the next revision, with the stored bandit weights
/// written into its experiments, the paused items into `paused` and the items whose global caps
/// are reached into `exhausted`; returns the revision and the stored bytes.
pub fn store(
    conn: &mut Connection,
    bundle: Value,
    source: &str,
) -> Result<(i64, Vec<u8>), AppError> {
    let tx = conn.transaction()?;
    let stored = store_in(&tx, bundle, source)?;
    tx.commit()?;
    Ok(stored)
}

/// [`store`] inside the caller's transaction.
pub fn store_in(
    tx: &Connection,
    mut bundle: Value,
    source: &str,
) -> Result<(i64, Vec<u8>), AppError> {
    let revision: i64 = tx.query_row(
        "SELECT COALESCE(MAX(revision), 0) + 1 FROM bundles",
        [],
        |row| row.get(0),
    )?;
    bundle
        .as_object_mut()
        .ok_or_else(|| AppError::internal("a validated bundle is a JSON object"))?
        .insert("revision".into(), json!(revision));
    crate::bandit::apply_weights(tx, &mut bundle)?;
    apply_paused(tx, &mut bundle)?;
    crate::caps::apply_exhausted(tx, &mut bundle)?;
    let body = serde_json::to_vec(&bundle)?;
    // What is stored must load: check again after the server's own edits.
    let text = std::str::from_utf8(&body).map_err(|e| AppError::internal(e.to_string()))?;
    if let Err(problems) = Bundle::from_json(text) {
        return Err(AppError::internal(format!(
            "bundle invalid after adding revision and bandit weights: {problems}"
        )));
    }
    let id = bundle["id"].as_str().unwrap_or_default().to_owned();
    tx.execute(
        "INSERT INTO bundles (revision, bundle_id, body, hash, source, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            revision,
            id,
            body,
            content_hash(&body),
            source,
            crate::db::now_ms()
        ],
    )?;
    Ok((revision, body))
}

/// A new revision, served.
#[derive(Debug, Clone)]
pub struct Published {
    pub revision: i64,
    pub id: String,
    pub etag: String,
}

/// Stores `value` (validated) as the next revision and records `action` (its detail gains the
/// `revision`) in the same transaction, then serves it: the one path every publication takes
/// (publish, rollback, a draft's publication, scheduled or not, pause and resume).
pub async fn publish_value(
    state: &AppState,
    value: Value,
    source: String,
    action: crate::audit::Action,
) -> Result<Published, AppError> {
    let (revision, body) = state
        .db
        .write(move |conn| publish_in(conn, value, &source, action))
        .await?;
    serve_revision(state, revision, body)
}

/// The database half of [`publish_value`], in one transaction.
pub fn publish_in(
    conn: &mut Connection,
    value: Value,
    source: &str,
    action: crate::audit::Action,
) -> Result<(i64, Vec<u8>), AppError> {
    let tx = conn.transaction()?;
    let stored = publish_tx(&tx, value, source, action)?;
    tx.commit()?;
    Ok(stored)
}

/// [`publish_in`] inside the caller's transaction: the next revision and its audit entry.
pub fn publish_tx(
    tx: &Connection,
    value: Value,
    source: &str,
    mut action: crate::audit::Action,
) -> Result<(i64, Vec<u8>), AppError> {
    let (revision, body) = store_in(tx, value, source)?;
    let mut detail = action.detail.take().unwrap_or_else(|| json!({}));
    if let Some(map) = detail.as_object_mut() {
        map.insert("revision".into(), json!(revision));
    }
    action.detail = Some(detail);
    crate::audit::record(tx, &action)?;
    Ok((revision, body))
}

/// Makes stored `body` the served bundle.
pub fn serve_revision(
    state: &AppState,
    revision: i64,
    body: Vec<u8>,
) -> Result<Published, AppError> {
    let current = state.prepare_bundle(revision, body)?;
    let published = Published {
        revision,
        id: current.bundle().id.clone(),
        etag: current.etag.clone(),
    };
    state.set_bundle(current);
    Ok(published)
}

/// `POST /v1/bundles` (admin): validate and publish.
pub async fn publish(
    State(state): State<AppState>,
    Admin(who): Admin,
    request: axum::extract::Request,
) -> Result<Response, AppError> {
    let body = raw_body(request, &state).await?;
    let (value, bundle) = validate(&body, "the current bundle")?;
    let action =
        crate::audit::Action::new(&who, state.config.clock.now_ms(), "publish", &bundle.id);
    let published = publish_value(&state, value, "publish".into(), action).await?;
    tracing::info!(revision = published.revision, id = %bundle.id, "bundle published");
    Ok(created(&published))
}

/// 201 with the new revision.
pub fn created(published: &Published) -> Response {
    created_parts(published.revision, &published.id, &published.etag)
}

fn created_parts(revision: i64, id: &str, etag: &str) -> Response {
    (
        StatusCode::CREATED,
        [
            (header::LOCATION, "/v1/bundle".to_owned()),
            (header::ETAG, etag.to_owned()),
        ],
        Json(json!({ "revision": revision, "id": id, "etag": etag })),
    )
        .into_response()
}

/// One stored revision.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RevisionInfo {
    pub revision: i64,
    pub id: String,
    pub hash: String,
    pub source: String,
    pub created_at: i64,
    pub current: bool,
}

/// `GET /v1/bundles` (admin): every revision, newest first.
pub async fn list(State(state): State<AppState>, _: Viewer) -> Result<Json<Value>, AppError> {
    let current = state.bundle_revision();
    let revisions = state
        .db
        .read(move |conn| {
            let mut stmt = conn.prepare(
                "SELECT revision, bundle_id, hash, source, created_at FROM bundles
                 ORDER BY revision DESC",
            )?;
            let rows = stmt.query_map([], |row| {
                let revision: i64 = row.get(0)?;
                Ok(RevisionInfo {
                    revision,
                    id: row.get(1)?,
                    hash: row.get(2)?,
                    source: row.get(3)?,
                    created_at: row.get(4)?,
                    current: revision == current,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await?;
    Ok(Json(json!({ "current": current, "revisions": revisions })))
}

/// `POST /v1/bundles/{revision}/rollback` (admin): republish an old revision as a new one.
pub async fn rollback(
    State(state): State<AppState>,
    Admin(who): Admin,
    Path(revision): Path<String>,
) -> Result<Response, AppError> {
    let old: i64 = revision.parse().map_err(|_| {
        AppError::BadRequest(format!("`{revision}` in the path is not a revision number"))
    })?;
    if old == state.bundle_revision() {
        return Err(AppError::Conflict(format!(
            "revision {old} is already the current bundle"
        )));
    }
    let action = crate::audit::Action::new(
        &who,
        state.config.clock.now_ms(),
        "rollback",
        old.to_string(),
    );
    let (revision, body) = state
        .db
        .write(move |conn| {
            let body: Option<Vec<u8>> = conn
                .query_row(
                    "SELECT body FROM bundles WHERE revision = ?1",
                    [old],
                    |row| row.get(0),
                )
                .optional()?;
            let body =
                body.ok_or_else(|| AppError::NotFound(format!("no bundle revision {old}")))?;
            let value: Value = serde_json::from_slice(&body)?;
            publish_in(conn, value, &format!("rollback to {old}"), action)
        })
        .await?;
    let published = serve_revision(&state, revision, body)?;
    tracing::info!(revision, from = old, "bundle rolled back");
    Ok(created(&published))
}

/// Whether `If-None-Match` matches `etag` (a list, weak tags, or `*`).
pub fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == etag || tag == "*")
}

/// What a signature vouches for. The server signs `label`, a newline, then the exact body bytes,
/// so a signature made for one kind of body never verifies as another (a snapshot passed off as
/// a bundle, a bundle as a compiled bundle). The `Waymark-Signature` header keeps its format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignedKind {
    /// `GET /v1/bundle`: `waymark-bundle-v1`.
    Bundle,
    /// `GET /v1/bundle/compiled`: `waymark-compiled-v1`.
    Compiled,
    /// `GET /v1/profiles/{id}/snapshot`: `waymark-snapshot-v1`.
    Snapshot,
    /// `GET /v1/zones/{name}`: `waymark-zone-v1`.
    Zone,
}

impl SignedKind {
    pub const fn label(self) -> &'static str {
        match self {
            SignedKind::Bundle => "waymark-bundle-v1",
            SignedKind::Compiled => "waymark-compiled-v1",
            SignedKind::Snapshot => "waymark-snapshot-v1",
            SignedKind::Zone => "waymark-zone-v1",
        }
    }

    /// The signed message: the label, `\n`, the body.
    pub fn message(self, body: &[u8]) -> Vec<u8> {
        let label = self.label().as_bytes();
        let mut message = Vec::with_capacity(label.len() + 1 + body.len());
        message.extend_from_slice(label);
        message.push(b'\n');
        message.extend_from_slice(body);
        message
    }
}

/// A signed body with its ETag, or 304.
pub fn signed(
    headers: &HeaderMap,
    etag: &str,
    signature: &str,
    body: bytes::Bytes,
    cache_control: &'static str,
) -> Response {
    signed_as(
        headers,
        etag,
        signature,
        body,
        cache_control,
        "application/json",
    )
}

/// [`signed`] with another content type.
pub fn signed_as(
    headers: &HeaderMap,
    etag: &str,
    signature: &str,
    body: bytes::Bytes,
    cache_control: &'static str,
    content_type: &'static str,
) -> Response {
    let common = [
        (header::ETAG, etag.to_owned()),
        (header::CACHE_CONTROL, cache_control.to_owned()),
    ];
    if not_modified(headers, etag) {
        return (StatusCode::NOT_MODIFIED, common).into_response();
    }
    (
        common,
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::HeaderName::from_static("waymark-signature"),
                signature.to_owned(),
            ),
        ],
        body,
    )
        .into_response()
}

/// `GET /v1/bundle` (client or admin key): the current bundle, exactly as stored.
pub async fn current(
    State(state): State<AppState>,
    _: Caller,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    serve_current(&state, &headers, |b| {
        (&b.etag, &b.signature, &b.body, "application/json")
    })
    .await
}

/// `GET /v1/bundle/compiled` (client or admin key): the current bundle compiled (conditions
/// and templates already parsed), signed like the bundle; what the browser SDK loads.
pub async fn compiled(
    State(state): State<AppState>,
    _: Caller,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    serve_current(&state, &headers, |b| {
        let kind = "application/vnd.waymark.compiled-bundle";
        (&b.compiled_etag, &b.compiled_signature, &b.compiled, kind)
    })
    .await
}

/// One form of the current bundle (ETag, signature, bytes, content type).
async fn serve_current(
    state: &AppState,
    headers: &HeaderMap,
    form: impl Fn(&CurrentBundle) -> (&String, &String, &bytes::Bytes, &'static str),
) -> Result<Response, AppError> {
    let current = state
        .bundle()
        .ok_or_else(|| AppError::NotFound("no bundle has been published yet".into()))?;
    let (etag, signature, body, content_type) = form(&current);
    Ok(signed_as(
        headers,
        etag,
        signature,
        body.clone(),
        "no-cache",
        content_type,
    ))
}

/// `GET /v1/keys/signing` (public): the Ed25519 key bundles and snapshots are signed with.
pub async fn signing_key(State(state): State<AppState>) -> Json<Value> {
    let key = state.verifying_key();
    Json(json!({
        "algorithm": "ed25519",
        "base64": base64::engine::general_purpose::STANDARD.encode(key),
        "hex": hex(&key),
        "header": "Waymark-Signature: ed25519=<base64 signature over the label, a newline and the exact body bytes>",
        "labels": {
            "/v1/bundle": SignedKind::Bundle.label(),
            "/v1/bundle/compiled": SignedKind::Compiled.label(),
            "/v1/profiles/{id}/snapshot": SignedKind::Snapshot.label(),
            "/v1/zones/{name}": SignedKind::Zone.label(),
        },
    }))
}
