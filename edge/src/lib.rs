//! The Waymark Worker: decisions, card feeds, event forwarding and streaming HTML
//! personalisation at the edge, with the bundle synced from the central API (edge/README.md).

mod api;
mod bundle;
mod cards;
mod config;
mod decide;
mod events;
mod identity;
mod proxy;
mod rewrite;
mod snapshot;
mod stitch;
mod sync;
mod verify;

use config::Config;
use worker::{
    Context, Env, Method, Request, Response, Result, ScheduleContext, ScheduledEvent, event,
};

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    let config = Config::from_env(&env);
    if !matches!(req.path().as_str(), "/healthz" | "/v1/bucket" | "/v1/sync") {
        let visitor = identity::Visitor::from_headers(req.headers(), &config);
        stitch::after_sign_in(&env, &ctx, &config, &visitor);
    }
    match (req.method(), req.path().as_str()) {
        (Method::Get, "/healthz") => Response::from_json(&serde_json::json!({ "status": "ok" })),
        (Method::Get, "/v1/bucket") => sync::bucket(&req),
        (Method::Post, "/v1/decide") => decide::handle(req, &env, &ctx, &config).await,
        (Method::Get, "/v1/cards") => cards::handle(req, &env, &ctx, &config).await,
        (Method::Post, "/v1/events") => events::handle(req, &env, &ctx, &config).await,
        (Method::Post, "/v1/sync") => sync::handle(&req, &env, &config).await,
        _ => match proxy::entry(&config, &req.url()?) {
            Some(entry) => {
                let entry = entry.clone();
                proxy::handle(req, &entry, &env, &ctx, &config).await
            }
            None => Response::error("not found", 404),
        },
    }
}

/// The cron trigger: sync the bundle and send the events kept in the outbox.
#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    let config = Config::from_env(&env);
    sync::run(&env, &config).await;
}
