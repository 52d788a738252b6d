//! `POST /v1/decide`: the same decision JSON as native, for the visitor of the request.
//!
//! Body: `{"request": {"surfaces": [...], "event"?}, "context"?, "state"?}`. The snapshot comes
//! from the visitor's identity (cookie or token, see `identity`); `now` is the Worker's clock.
//! With `DECIDE_INLINE_INPUT = "trusted"` the body may also carry `snapshot` and `now`: the full
//! engine input, as the decisioning vectors give it.

use serde::Deserialize;
use serde_json::Value;
use waymark_core::engine::{DecideInput, Decision, Request as DecideRequest, Snapshot, State};
use worker::{Context, Date, Env, Headers, Request, Response, Result};

use crate::config::Config;
use crate::identity::Visitor;

/// What a caller sends.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Body {
    pub request: DecideRequest,
    #[serde(default)]
    pub context: Value,
    #[serde(default)]
    pub state: State,
    pub snapshot: Option<Snapshot>,
    pub now: Option<i64>,
}

/// Why no decision could be made.
#[derive(Debug)]
pub enum Refused {
    /// The caller's fault (400).
    BadRequest(String),
    /// No usable bundle (503).
    Unavailable(String),
}

impl Refused {
    pub fn into_response(self) -> Result<Response> {
        match self {
            Refused::BadRequest(message) => Response::error(message, 400),
            Refused::Unavailable(message) => Response::error(message, 503),
        }
    }
}

pub async fn handle(
    mut req: Request,
    env: &Env,
    ctx: &Context,
    config: &Config,
) -> Result<Response> {
    let visitor = Visitor::from_headers(req.headers(), config);
    let text = req.text().await?;
    let body = match serde_json::from_str::<Body>(&text) {
        Ok(body) => body,
        Err(e) => return Response::error(format!("bad decide request: {e}"), 400),
    };
    let decision = match decide(env, ctx, config, &visitor, body).await {
        Ok(decision) => decision,
        Err(refused) => return refused.into_response(),
    };
    let json =
        serde_json::to_string(&decision).map_err(|e| worker::Error::RustError(e.to_string()))?;
    let headers = Headers::new();
    headers.set("content-type", "application/json")?;
    if let Some(cookie) = visitor.set_cookie(config, &req.url()?) {
        headers.set("set-cookie", &cookie)?;
    }
    Ok(Response::ok(json)?.with_headers(headers))
}

/// Decides for `visitor`: the current engine, their snapshot, the Worker's clock.
pub async fn decide(
    env: &Env,
    ctx: &Context,
    config: &Config,
    visitor: &Visitor,
    body: Body,
) -> std::result::Result<Decision, Refused> {
    if !config.inline_input && (body.snapshot.is_some() || body.now.is_some()) {
        return Err(Refused::BadRequest(
            "`snapshot` and `now` are only accepted with DECIDE_INLINE_INPUT = \"trusted\"".into(),
        ));
    }
    let engine = async {
        crate::bundle::current(env, ctx, config)
            .await
            .map_err(Refused::Unavailable)
    };
    let inline = body.snapshot.is_some();
    // The Worker's clock, unless a trusted caller gave `now`: snapshots are checked against it.
    let now = body
        .now
        .unwrap_or_else(|| i64::try_from(Date::now().as_millis()).unwrap_or(i64::MAX));
    let snapshot = async {
        match body.snapshot {
            Some(snapshot) => snapshot,
            None => {
                let at = u64::try_from(now).unwrap_or_default();
                crate::snapshot::load(env, ctx, config, visitor, at).await
            }
        }
    };
    let (engine, snapshot) = futures_util::join!(engine, snapshot);
    let engine = engine?;
    let mut state = body.state;
    // An inline input is decided exactly as given; otherwise the visitor id buckets.
    if !inline && state.visitor_id.is_empty() {
        state.visitor_id.clone_from(&visitor.id);
    }
    let input = DecideInput {
        snapshot,
        context: body.context,
        state,
        now,
        request: body.request,
    };
    Ok(engine.decide(&input))
}
