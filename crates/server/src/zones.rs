//! `GET /v1/zones/{name}`: the rule the engine uses for an IANA time zone, for runtimes that
//! carry no zone table (the browser SDK's, for an anonymous visitor whose zone the browser
//! names). Public and cacheable: the rules only change with the server's build. Signed like
//! bundles and snapshots, since decisions depend on it.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::bundles::SignedKind;
use crate::{AppError, AppState};

/// A day in shared caches and browsers; revalidated by ETag after that.
const CACHE_CONTROL: &str = "public, max-age=86400";

/// `{"timeZone": name, "rule": POSIX TZ rule}`, 404 for a zone the engine does not know.
/// `name` is one path segment: `Europe%2FParis`.
pub async fn get(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let rule = waymark_core::zone_rule(&name)
        .ok_or_else(|| AppError::NotFound(format!("unknown time zone `{name}`")))?;
    let body = json!({ "timeZone": name, "rule": rule }).to_string();
    let hash = Sha256::digest(body.as_bytes());
    let hex: String = hash.iter().take(8).map(|b| format!("{b:02x}")).collect();
    let etag = format!("\"z-{hex}\"");
    let signature = state.sign(SignedKind::Zone, body.as_bytes());
    Ok(crate::bundles::signed(
        &headers,
        &etag,
        &signature,
        body.into(),
        CACHE_CONTROL,
    ))
}
