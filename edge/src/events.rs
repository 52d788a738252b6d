//! `POST /v1/events`: validated here, answered at once, forwarded to the central API in the
//! background (`waitUntil`) and retried; batches still failing go to KV (`OUTBOX`) for the cron
//! trigger. Every event keeps its id and the central API ingests idempotently by id, so a batch
//! forwarded twice (a retry after a lost answer) is still counted once.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};
use worker::{Context, Date, Delay, Env, Request, Response, Result};

use crate::config::Config;
use crate::identity::Visitor;

/// The most events one request may carry (the central API's limit).
const MAX_BATCH: usize = 1000;
const TYPES: [&str; 4] = ["display", "click", "dismiss", "custom"];

#[derive(Debug, Deserialize)]
struct Batch {
    events: Vec<Value>,
}

pub async fn handle(
    mut req: Request,
    env: &Env,
    ctx: &Context,
    config: &Config,
) -> Result<Response> {
    let visitor = Visitor::from_headers(req.headers(), config);
    let batch: Batch = match serde_json::from_str(&req.text().await?) {
        Ok(batch) => batch,
        Err(e) => return Response::error(format!("bad events request: {e}"), 400),
    };
    if batch.events.len() > MAX_BATCH {
        return Response::error(format!("at most {MAX_BATCH} events per request"), 413);
    }
    let profile = match &visitor.token {
        Some((profile, _)) => profile.clone(),
        None => visitor.id.clone(),
    };
    let mut accepted = Vec::new();
    let mut rejected = Vec::new();
    for (index, event) in batch.events.into_iter().enumerate() {
        match check(event, &profile) {
            Ok(event) => accepted.push(event),
            Err(reason) => rejected.push(json!({ "index": index, "reason": reason })),
        }
    }
    let count = accepted.len();
    if count > 0 {
        let body = json!({ "events": accepted }).to_string();
        let (env, config) = (env.clone(), config.clone());
        ctx.wait_until(async move { forward_or_keep(&env, &config, body).await });
    }
    let status = if count == 0 && !rejected.is_empty() {
        422
    } else {
        202
    };
    Ok(
        Response::from_json(&json!({ "accepted": count, "rejected": rejected }))?
            .with_status(status),
    )
}

/// The checks that need no database; the central API checks the rest.
fn check(mut event: Value, profile: &str) -> std::result::Result<Value, String> {
    let object = event.as_object_mut().ok_or("an event is a JSON object")?;
    match object.get("id") {
        Some(Value::String(id)) if !id.is_empty() && id.len() <= 200 => {}
        _ => {
            return Err(
                "`id` (a string of 1 to 200 bytes) is required: it makes forwarding idempotent"
                    .into(),
            );
        }
    }
    match object.get("type").and_then(Value::as_str) {
        Some(t) if TYPES.contains(&t) => {}
        _ => return Err("`type` must be display, click, dismiss or custom".into()),
    }
    if !object.get("timestamp").is_some_and(Value::is_i64) {
        return Err("`timestamp` (milliseconds since 1970) is required".into());
    }
    object
        .entry("profileId")
        .or_insert_with(|| Value::String(profile.to_owned()));
    Ok(event)
}

/// Forwards one batch, retrying after each of `EVENT_RETRY_MS`; keeps it in the outbox if every
/// attempt fails.
async fn forward_or_keep(env: &Env, config: &Config, body: String) {
    let mut delays = config.retry_ms.iter();
    loop {
        match forward(config, &body).await {
            Ok(()) => return,
            Err(e) => worker::console_warn!("event forward failed: {e}"),
        }
        match delays.next() {
            Some(ms) => Delay::from(Duration::from_millis(*ms)).await,
            None => break,
        }
    }
    let key = format!(
        "batch:{}:{}",
        Date::now().as_millis(),
        crate::identity::random_id()
    );
    let kept = match env.kv("OUTBOX") {
        Ok(kv) => crate::api::put(&kv, &key, &body, None).await,
        Err(e) => Err(e.to_string()),
    };
    if let Err(e) = kept {
        worker::console_error!("{} events lost: the outbox failed: {e}", body.len());
    }
}

/// One attempt. Answers that a retry cannot change (bad request, every event rejected) end the
/// batch; network errors, 5xx and 429 are retried.
async fn forward(config: &Config, body: &str) -> std::result::Result<(), String> {
    let (api, key) = config.api().ok_or("the central API is not configured")?;
    let response = crate::api::post_json(api, key, "/v1/events", body.to_owned()).await?;
    match response.status_code() {
        200..=299 => Ok(()),
        status @ (400 | 413 | 422) => {
            worker::console_warn!("the central API refused an event batch ({status}); dropped");
            Ok(())
        }
        status => Err(format!("the central API answered {status}")),
    }
}

/// Sends the batches kept in the outbox (the cron trigger and `POST /v1/sync`); returns how many
/// went out.
pub async fn flush_outbox(env: &Env, config: &Config) -> std::result::Result<usize, String> {
    let kv = env.kv("OUTBOX").map_err(|e| e.to_string())?;
    let list = kv
        .list()
        .prefix("batch:".into())
        .execute()
        .await
        .map_err(|e| e.to_string())?;
    let mut sent = 0;
    for key in list.keys {
        let Some(body) = kv.get(&key.name).text().await.map_err(|e| e.to_string())? else {
            continue;
        };
        forward(config, &body).await?;
        kv.delete(&key.name).await.map_err(|e| e.to_string())?;
        sent += 1;
    }
    Ok(sent)
}
