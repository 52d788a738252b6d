//! `POST /v1/sync` (bearer `SYNC_TOKEN`) and the cron trigger: sync the bundle, flush the event
//! outbox. Also `GET /v1/bucket`, the experiment bucket of a unit as the browser computes it.

use serde_json::{Value, json};
use worker::{Env, Request, Response, Result};

use crate::bundle::{self, Synced};
use crate::config::Config;

/// Syncs and flushes; reports each outcome.
pub async fn run(env: &Env, config: &Config) -> Value {
    let bundle = match bundle::sync(env, config).await {
        Ok(Synced::Unchanged) => json!({ "status": "unchanged" }),
        Ok(Synced::Updated(revision)) => json!({ "status": "updated", "revision": revision }),
        Err(error) => {
            worker::console_error!("bundle sync: {error}");
            json!({ "status": "failed", "error": error })
        }
    };
    let events = match crate::events::flush_outbox(env, config).await {
        Ok(sent) => json!({ "status": "ok", "batchesSent": sent }),
        Err(error) => json!({ "status": "failed", "error": error }),
    };
    json!({ "bundle": bundle, "outbox": events })
}

pub async fn handle(req: &Request, env: &Env, config: &Config) -> Result<Response> {
    let Some(token) = &config.sync_token else {
        return Response::error("not found", 404);
    };
    let auth = req.headers().get("authorization")?.unwrap_or_default();
    if auth.strip_prefix("Bearer ") != Some(token.as_str()) {
        return Response::error("a bearer SYNC_TOKEN is required", 401);
    }
    let report = run(env, config).await;
    let failed = report["bundle"]["status"] == "failed";
    Ok(Response::from_json(&report)?.with_status(if failed { 502 } else { 200 }))
}

/// `GET /v1/bucket?seed=S&unit=U`.
pub fn bucket(req: &Request) -> Result<Response> {
    let url = req.url()?;
    let param = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    match (param("seed"), param("unit")) {
        (Some(seed), Some(unit)) => Response::from_json(&json!({
            "seed": seed,
            "unit": unit,
            "bucket": waymark_core::hash::bucket(&seed, &unit),
        })),
        _ => Response::error("query parameters `seed` and `unit` are required", 400),
    }
}
