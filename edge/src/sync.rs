//! `POST /v1/sync` (bearer `SYNC_TOKEN`) and the cron trigger: sync the bundle, flush the event
//! outbox. Also `GET /v1/bucket`, the experiment bucket of a unit as the browser computes it.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
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
    if !bearer_matches(&auth, token) {
        return Response::error("a bearer SYNC_TOKEN is required", 401);
    }
    let report = run(env, config).await;
    let failed = report["bundle"]["status"] == "failed";
    Ok(Response::from_json(&report)?.with_status(if failed { 502 } else { 200 }))
}

/// Whether `header` is `Bearer <token>`, compared in constant time: both sides are hashed
/// (SHA-256) and the digests compared with `subtle`, so neither the position of the first
/// difference nor the token's length shows in the time taken.
fn bearer_matches(header: &str, token: &str) -> bool {
    let given = header.strip_prefix("Bearer ").unwrap_or_default();
    let (given, token) = (Sha256::digest(given), Sha256::digest(token));
    bool::from(given.as_slice().ct_eq(token.as_slice()))
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

#[cfg(test)]
mod tests {
    use super::bearer_matches;

    #[test]
    fn only_the_exact_bearer_token_matches() {
        assert!(bearer_matches("Bearer sync-secret", "sync-secret"));
        for header in [
            "",
            "sync-secret",
            "Bearer ",
            "Bearer sync-secre",
            "Bearer sync-secret2",
            "Bearer sync-secreT",
            "bearer sync-secret",
            "Bearer  sync-secret",
        ] {
            assert!(!bearer_matches(header, "sync-secret"), "{header:?}");
        }
    }
}
