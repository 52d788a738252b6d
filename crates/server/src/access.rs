//! Who is calling, checked from the request head before any handler reads the body: a handler
//! names what it needs as an argument ([`Admin`], [`Caller`], [`EventsCaller`]) and axum runs
//! these extractors before the body extractor, which comes last. So a request without valid
//! credentials is a 401 (or 403) whatever its body holds.
//!
//! Each check also charges the key one request against its rate (`ServerConfig::key_rate`).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::Deserialize;

use crate::auth::{self, KeyKind};
use crate::error::AppError;
use crate::state::AppState;

/// An admin key: 401 without a valid key, 403 with a client key.
#[derive(Debug, Clone, Copy)]
pub struct Admin;

impl FromRequestParts<AppState> for Admin {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        match state.key_kind(&parts.headers).await? {
            KeyKind::Admin => Ok(Admin),
            KeyKind::Client => Err(AppError::Forbidden(
                "this route needs an admin key; a client key was given".into(),
            )),
        }
    }
}

/// Any valid key, client or admin (401 otherwise), and its kind.
#[derive(Debug, Clone, Copy)]
pub struct Caller(pub KeyKind);

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        state.key_kind(&parts.headers).await.map(Caller)
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
            return state.key_kind(&parts.headers).await.map(EventsCaller);
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
