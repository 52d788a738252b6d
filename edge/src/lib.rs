//! The Waymark Worker: routes requests to the engine.

mod decide;

use serde_json::json;
use worker::{Context, Env, Request, Response, Result, Router, event};

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    Router::new()
        .get("/healthz", |_, _| {
            Response::from_json(&json!({ "status": "ok" }))
        })
        .get("/v1/bucket", |req, _| bucket(&req))
        .post_async("/v1/decide", |req, ctx| decide::handle(req, ctx.env))
        .run(req, env)
        .await
}

/// `GET /v1/bucket?seed=S&unit=U`: the experiment bucket of a unit, as the browser computes it.
fn bucket(req: &Request) -> Result<Response> {
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
