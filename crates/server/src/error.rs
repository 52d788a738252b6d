//! The one error type of the API: client errors keep their status and explain themselves in a
//! JSON problem body (RFC 9457); internal errors are logged and answered with an opaque 500.

use std::fmt;

use axum::extract::FromRequest;
use axum::extract::rejection::BytesRejection;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// Why a request failed.
#[derive(Debug, Clone)]
pub enum AppError {
    /// 400: the request cannot be read (bad JSON, bad query).
    BadRequest(String),
    /// 401: no credentials, or credentials that are not valid.
    Unauthorized(String),
    /// 403: valid credentials that do not allow this.
    Forbidden(String),
    /// 404: no such resource.
    NotFound(String),
    /// 409: conflicts with the current state.
    Conflict(String),
    /// 413: the body is too large.
    TooLarge(String),
    /// 429: over a rate limit; `retry_after` (whole seconds, at least 1) goes in `Retry-After`.
    TooManyRequests { detail: String, retry_after: u64 },
    /// 422: well-formed but invalid; `problems` lists each problem when there are several.
    Invalid {
        detail: String,
        problems: Option<Value>,
    },
    /// 503: the server cannot store anything now (its disk is full, its database read-only);
    /// nothing of the request was stored, and reads still work. `retry_after` as for 429.
    Unavailable { detail: String, retry_after: u64 },
    /// 500: a bug or an I/O failure; the detail is logged, never sent.
    Internal(String),
}

impl AppError {
    pub fn internal(detail: impl Into<String>) -> AppError {
        AppError::Internal(detail.into())
    }

    pub fn invalid(detail: impl Into<String>) -> AppError {
        AppError::Invalid {
            detail: detail.into(),
            problems: None,
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn slug_and_title(&self) -> (&'static str, &'static str) {
        match self {
            AppError::BadRequest(_) => ("bad-request", "Bad request"),
            AppError::Unauthorized(_) => ("unauthorized", "Unauthorized"),
            AppError::Forbidden(_) => ("forbidden", "Forbidden"),
            AppError::NotFound(_) => ("not-found", "Not found"),
            AppError::Conflict(_) => ("conflict", "Conflict"),
            AppError::TooLarge(_) => ("too-large", "Payload too large"),
            AppError::Invalid { .. } => ("invalid", "Unprocessable content"),
            AppError::TooManyRequests { .. } => ("rate-limited", "Too many requests"),
            AppError::Unavailable { .. } => ("storage-unavailable", "Storage unavailable"),
            AppError::Internal(_) => ("internal", "Internal server error"),
        }
    }

    fn detail(&self) -> &str {
        match self {
            AppError::BadRequest(d)
            | AppError::Unauthorized(d)
            | AppError::Forbidden(d)
            | AppError::NotFound(d)
            | AppError::Conflict(d)
            | AppError::TooLarge(d)
            | AppError::Internal(d) => d,
            AppError::Invalid { detail, .. }
            | AppError::TooManyRequests { detail, .. }
            | AppError::Unavailable { detail, .. } => detail,
        }
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.detail())
    }
}

impl std::error::Error for AppError {}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let (slug, title) = self.slug_and_title();
        let detail = match &self {
            AppError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                "the server failed; the error was logged"
            }
            AppError::Unavailable { detail, .. } => {
                tracing::warn!(%detail, "a write was refused");
                detail
            }
            other => other.detail(),
        };
        let mut body = json!({
            "type": format!("https://waymark.example.invalid/problems/{slug}"),
            "title": title,
            "status": status.as_u16(),
            "detail": detail,
        });
        if let AppError::Invalid {
            problems: Some(problems),
            ..
        } = &self
        {
            body["problems"] = problems.clone();
        }
        let retry_after = match &self {
            AppError::TooManyRequests { retry_after, .. }
            | AppError::Unavailable { retry_after, .. } => Some(retry_after),
            _ => None,
        };
        if let Some(retry_after) = retry_after {
            body["retryAfter"] = json!(retry_after);
        }
        let mut response = (status, body.to_string()).into_response();
        if let Some(retry_after) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(*retry_after));
        }
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/problem+json"),
        );
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

/// How long a client should wait before retrying a write the full or read-only database
/// refused.
const STORAGE_RETRY_AFTER: u64 = 30;

impl From<rusqlite::Error> for AppError {
    /// A full disk or a read-only database is the operator's to fix, not a bug: 503, saying
    /// so. Anything else is internal.
    fn from(e: rusqlite::Error) -> AppError {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DiskFull) => AppError::Unavailable {
                detail: "the server's disk is full: nothing of this request was stored; retry later".into(),
                retry_after: STORAGE_RETRY_AFTER,
            },
            Some(rusqlite::ErrorCode::ReadOnly) => AppError::Unavailable {
                detail: "the server's database is read-only: nothing of this request was stored; retry later".into(),
                retry_after: STORAGE_RETRY_AFTER,
            },
            _ => AppError::Internal(format!("database: {e}")),
        }
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(e: tokio::task::JoinError) -> AppError {
        AppError::Internal(format!("blocking task: {e}"))
    }
}

impl From<serde_json::Error> for AppError {
    fn from(e: serde_json::Error) -> AppError {
        AppError::Internal(format!("JSON: {e}"))
    }
}

/// Parses JSON, reporting syntax errors (and type errors) as 400; serde's message ends with
/// "at line L column C".
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, AppError> {
    serde_json::from_slice(bytes)
        .map_err(|e| AppError::BadRequest(format!("{what} is not valid JSON: {e}")))
}

/// A JSON body: 400 with line and column when it does not parse, 413 when over the route's
/// body limit (`DefaultBodyLimit`).
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = AppError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, AppError> {
        let bytes = raw_body(req, state).await?;
        parse_json(&bytes, "the body").map(JsonBody)
    }
}

/// The body's bytes, with the body limit turned into a 413 problem.
pub async fn raw_body<S: Send + Sync>(
    req: axum::extract::Request,
    state: &S,
) -> Result<Bytes, AppError> {
    Bytes::from_request(req, state)
        .await
        .map_err(|e: BytesRejection| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                AppError::TooLarge(format!("the body is over this route's limit: {e}"))
            } else {
                AppError::BadRequest(format!("cannot read the body: {e}"))
            }
        })
}
