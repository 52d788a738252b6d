//! `GET /v1/cards?surface=web://site/page#cards`: a surface's card feed for the visitor, as
//! `{"decisionId", "bundleRevision", "cards": [the card propositions of the decision]}`.

use serde_json::{Value, json};
use waymark_core::bundle::Channel;
use waymark_core::engine::Request as DecideRequest;
use worker::{Context, Env, Headers, Request, Response, Result};

use crate::config::Config;
use crate::decide::{Body, decide};
use crate::identity::Visitor;

pub async fn handle(req: Request, env: &Env, ctx: &Context, config: &Config) -> Result<Response> {
    let url = req.url()?;
    let Some(surface) = url
        .query_pairs()
        .find(|(k, _)| k == "surface")
        .map(|(_, v)| v.into_owned())
    else {
        return Response::error("query parameter `surface` is required", 400);
    };
    let visitor = Visitor::from_headers(req.headers(), config);
    let body = Body {
        request: DecideRequest {
            surfaces: vec![surface],
            event: None,
        },
        context: json!({ "page": { "url": url.as_str() } }),
        state: Default::default(),
        snapshot: None,
        now: None,
    };
    let decision = match decide(env, ctx, config, &visitor, body).await {
        Ok(decision) => decision,
        Err(refused) => return refused.into_response(),
    };
    let cards: Vec<Value> = decision
        .propositions
        .iter()
        .filter(|p| p.channel == Channel::Card)
        .filter_map(|p| serde_json::to_value(p).ok())
        .collect();
    let headers = Headers::new();
    headers.set("cache-control", "private, no-store")?;
    if let Some(cookie) = visitor.set_cookie(config, &url) {
        headers.set("set-cookie", &cookie)?;
    }
    Ok(Response::from_json(&json!({
        "decisionId": decision.decision_id,
        "bundleRevision": decision.bundle_revision,
        "cards": cards,
    }))?
    .with_headers(headers))
}
