//! `POST /v1/decide` (editor): the engine run server-side with the current bundle or a named
//! draft, for a stored profile (a test profile brings its sample context) or an inline test
//! profile — the preview marketers use — with the reasons.

use axum::Json;
use axum::extract::State;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::Value;
use waymark_core::engine::{
    DecideInput, Decision, LocalEvent, Request, Snapshot, State as VisitorState,
};

use waymark_core::engine::Engine;

use crate::access::Editor;
use crate::error::{AppError, parse_json};
use crate::state::AppState;

/// What to decide for whom.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DecideRequest {
    /// A stored profile: its snapshot (projection, consent, counters) is what the engine sees.
    profile_id: Option<String>,
    /// A draft (`PUT /v1/drafts/{name}`) to decide with instead of the live bundle.
    draft: Option<String>,
    /// An inline test profile, in snapshot form (`attributes`, `consent`, `timeZone`,
    /// `counters`), used instead of a stored one.
    profile: Option<Snapshot>,
    /// The request context; for a stored test profile with a sample context, that context
    /// when absent.
    context: Option<Value>,
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
    _: Editor,
    body: Bytes,
) -> Result<Json<Decision>, AppError> {
    let request: DecideRequest = parse_json(&body, "decide request")?;
    let (draft, current);
    let engine: &Engine = match &request.draft {
        Some(name) => {
            draft = draft_engine(&state, name).await?;
            &draft
        }
        None => {
            current = state
                .bundle()
                .ok_or_else(|| AppError::Conflict("no bundle has been published".into()))?;
            &current.engine
        }
    };
    let now = request.now.unwrap_or_else(crate::db::now_ms);
    let mut context = request.context;
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
            let Some(profile) = &parts.profile else {
                return Err(AppError::NotFound(format!("no profile `{id}`")));
            };
            if context.is_none() {
                context = profile.context.clone().map(Value::Object);
            }
            let ttl = i64::try_from(state.config.snapshot_ttl.as_millis()).unwrap_or(i64::MAX);
            let document = crate::snapshot::render(&id, &parts, Some(engine), now, ttl);
            serde_json::from_value(document)
                .map_err(|e| AppError::internal(format!("snapshot: {e}")))?
        }
        (None, None) => Snapshot::default(),
    };
    let input = DecideInput {
        snapshot,
        context: context.unwrap_or_default(),
        state: request.state,
        now,
        request: Request {
            surfaces: request.surfaces,
            event: request.event,
        },
    };
    Ok(Json(engine.decide(&input)))
}

/// The engine of a stored draft (404 when there is none).
async fn draft_engine(state: &AppState, name: &str) -> Result<Engine, AppError> {
    crate::drafts::check_name(name)?;
    let key = name.to_owned();
    let body = state
        .db
        .read(move |conn| crate::drafts::load(conn, &key))
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no draft `{name}`")))?;
    let (_, bundle) = crate::bundles::validate(&body, &format!("the draft `{name}`"))?;
    Engine::new(bundle).map_err(|problems| AppError::Invalid {
        detail: format!("the draft `{name}` does not compile"),
        problems: serde_json::to_value(&problems).ok(),
    })
}
