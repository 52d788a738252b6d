//! API keys over the API (admin): list them, revoke one. Keys are created with
//! `waymark keys create`, the only place a key is shown.

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Value, json};

use crate::access::Admin;
use crate::audit::Action;
use crate::error::AppError;
use crate::state::AppState;

/// `GET /v1/keys` (admin): every key without its secret, revoked ones included.
pub async fn list(State(state): State<AppState>, _: Admin) -> Result<Json<Value>, AppError> {
    let keys = state.db.read(crate::auth::list_keys).await?;
    Ok(Json(json!({ "keys": keys })))
}

/// `DELETE /v1/keys/{id}` (admin): revokes the key with this id (or value, or prefix of 5+
/// characters). It stops working at once on this server, and within `key_cache_ttl` on others
/// sharing the database. Revoking a revoked key answers the same record.
pub async fn revoke(
    State(state): State<AppState>,
    Admin(who): Admin,
    Path(which): Path<String>,
) -> Result<Json<Value>, AppError> {
    let info = state.revoke_key(which).await?;
    let action = Action::new(
        &who,
        state.config.clock.now_ms(),
        "key.revoke",
        info.id.to_string(),
    )
    .with(json!({ "name": info.name, "prefix": info.prefix }));
    state
        .db
        .write(move |conn| crate::audit::record(conn, &action))
        .await?;
    tracing::info!(key = info.id, kind = info.kind.as_str(), "API key revoked");
    Ok(Json(json!(info)))
}
