//! Who is calling, checked from the request head before any handler reads the body: a handler
//! names what it needs as an argument ([`Admin`], [`Editor`], [`Viewer`], [`Caller`],
//! [`Keyed`], [`EventsCaller`]) and axum runs
//! these extractors before the body extractor, which comes last. So a request without valid
//! credentials is a 401 (or 403) whatever its body holds.
//!
//! Each check also charges the key one request against its rate (`ServerConfig::key_rate`).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::Deserialize;

use crate::auth::{self, Identity, KeyKind, Role};
use crate::error::AppError;
use crate::state::AppState;

/// The request's key if it has at least `role`: 401 without a valid key, 403 otherwise.
async fn with_role(parts: &Parts, state: &AppState, role: Role) -> Result<Identity, AppError> {
    let who = state.identity(&parts.headers).await?;
    if who.has(role) {
        return Ok(who);
    }
    let given = match (who.kind, who.role) {
        (KeyKind::Client, _) => "a client key",
        (KeyKind::Admin, Some(Role::Editor)) => "an editor key",
        (KeyKind::Admin, Some(Role::Viewer)) => "a viewer key",
        (KeyKind::Admin, _) => "a key without a role",
    };
    let needed = match role {
        Role::Admin => "an admin key",
        Role::Editor => "an editor or admin key",
        Role::Viewer => "a viewer, editor or admin key",
    };
    Err(AppError::Forbidden(format!(
        "this route needs {needed}; {given} was given"
    )))
}

/// An admin key (role `admin`): 401 without a valid key, 403 with any other key.
#[derive(Debug, Clone)]
pub struct Admin(pub Identity);

impl FromRequestParts<AppState> for Admin {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        with_role(parts, state, Role::Admin).await.map(Admin)
    }
}

/// An editor or admin key: drafts and previews.
#[derive(Debug, Clone)]
pub struct Editor(pub Identity);

impl FromRequestParts<AppState> for Editor {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        with_role(parts, state, Role::Editor).await.map(Editor)
    }
}

/// Any management key (viewer, editor or admin): read-only routes.
#[derive(Debug, Clone)]
pub struct Viewer(pub Identity);

impl FromRequestParts<AppState> for Viewer {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        with_role(parts, state, Role::Viewer).await.map(Viewer)
    }
}

/// The kind a key acts with on the runtime routes: an admin key as admin; a client key, an
/// editor key and a viewer key as a client (they read the bundle; snapshots of known profiles
/// need a visitor token).
fn runtime_kind(who: &Identity) -> KeyKind {
    if who.has(Role::Admin) {
        KeyKind::Admin
    } else {
        KeyKind::Client
    }
}

/// Any valid key (401 otherwise), and the kind it acts with (see [`runtime_kind`]).
#[derive(Debug, Clone, Copy)]
pub struct Caller(pub KeyKind);

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let who = state.identity(&parts.headers).await?;
        Ok(Caller(runtime_kind(&who)))
    }
}

/// Any valid key (401 otherwise), as itself: for routes whose rules depend on the key's kind
/// and role together (merging profiles).
#[derive(Debug, Clone)]
pub struct Keyed(pub Identity);

impl FromRequestParts<AppState> for Keyed {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        state.identity(&parts.headers).await.map(Keyed)
    }
}

#[derive(Debug, Deserialize)]
struct KeyQuery {
    key: Option<String>,
}

/// The events route's caller: a key in the headers as on every route, or else a client key in
/// the `key` query parameter, which is what `navigator.sendBeacon` can send (it cannot set
/// headers). Admin keys are refused there (403): they belong in headers, never in URLs that end
/// up in logs and browser histories.
#[derive(Debug, Clone, Copy)]
pub struct EventsCaller(pub KeyKind);

impl FromRequestParts<AppState> for EventsCaller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let query = axum::extract::Query::<KeyQuery>::try_from_uri(&parts.uri)
            .map_err(|e| AppError::BadRequest(format!("bad query: {e}")))?;
        let in_query = query
            .0
            .key
            .filter(|_| auth::credentials(&parts.headers).key.is_none());
        let Some(key) = in_query else {
            let who = state.identity(&parts.headers).await?;
            if who.kind == KeyKind::Admin && !who.has(Role::Admin) {
                return Err(AppError::Forbidden(
                    "editor and viewer keys do not post events; use a client or admin key".into(),
                ));
            }
            return Ok(EventsCaller(who.kind));
        };
        match state.kind_of(&key).await? {
            KeyKind::Client => Ok(EventsCaller(KeyKind::Client)),
            KeyKind::Admin => Err(AppError::Forbidden(
                "an admin key is accepted only in a header (`X-Waymark-Key`), never in the URL"
                    .into(),
            )),
        }
    }
}
