//! `POST /v1/decide` (admin): the engine run server-side with the current bundle, for a stored
//! profile or an inline test profile — the preview marketers use — with the reasons.

use axum::Json;
use axum::extract::State;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::Value;
use waymark_core::engine::{
    DecideInput, Decision, LocalEvent, Request, Snapshot, State as VisitorState,
};

use crate::access::Admin;
use crate::error::{AppError, parse_json};
use crate::state::AppState;

/// What to decide for whom.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DecideRequest {
    /// A stored profile: its snapshot (projection, consent, counters) is what the engine sees.
    profile_id: Option<String>,
    /// An inline test profile, in snapshot form (`attributes`, `consent`, `timeZone`,
    /// `counters`), used instead of a stored one.
    profile: Option<Snapshot>,
    #[serde(default)]
    context: Value,
    /// The visitor's local state (assignments, recent events).
    #[serde(default)]
    state: VisitorState,
    /// Unix ms; the server's clock when absent.
    now: Option<i64>,
    surfaces: Vec<String>,
    /// The event that triggers the decision (in-app triggers).
    event: Option<LocalEvent>,
}

pub async fn decide(
    State(state): State<AppState>,
    _: Admin,
    body: Bytes,
) -> Result<Json<Decision>, AppError> {
    let request: DecideRequest = parse_json(&body, "decide request")?;
    let Some(current) = state.bundle() else {
        return Err(AppError::Conflict("no bundle has been published".into()));
    };
    let now = request.now.unwrap_or_else(crate::db::now_ms);
    let snapshot = match (request.profile, request.profile_id) {
        (Some(profile), _) => profile,
        (None, Some(id)) => {
            crate::profiles::check_id(&id)
                .map_err(|e| AppError::BadRequest(format!("profileId: {e}")))?;
            let key = id.clone();
            let parts = state
                .db
                .read(move |conn| crate::snapshot::load_parts(conn, &key))
                .await?;
            if parts.profile.is_none() {
                return Err(AppError::NotFound(format!("no profile `{id}`")));
            }
            let ttl = i64::try_from(state.config.snapshot_ttl.as_millis()).unwrap_or(i64::MAX);
            let document = crate::snapshot::render(&id, &parts, Some(&current.engine), now, ttl);
            serde_json::from_value(document)
                .map_err(|e| AppError::internal(format!("snapshot: {e}")))?
        }
        (None, None) => Snapshot::default(),
    };
    let input = DecideInput {
        snapshot,
        context: request.context,
        state: request.state,
        now,
        request: Request {
            surfaces: request.surfaces,
            event: request.event,
        },
    };
    Ok(Json(current.engine.decide(&input)))
}
