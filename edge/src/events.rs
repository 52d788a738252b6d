//! `POST /v1/events`: validated here, answered at once, forwarded to the central API in the
//! background (`waitUntil`) and retried; batches still failing go to KV (`OUTBOX`) for the cron
//! trigger. Every event keeps its id and the central API ingests idempotently by id, so a batch
//! forwarded twice (a retry after a lost answer) is still counted once.
//!
//! Whose events they are: the Worker holds no token secret, so it never vouches for a profile
//! itself. An event for a known profile (not `anon-…`) is forwarded only with a visitor token
//! naming that profile (`Authorization: Bearer wmt.…`, or one of the body's `tokens`), and the
//! token goes with the batch (`"tokens"`), where the central API checks it; an anonymous id is
//! its own credential, as at the central API. An event without `profileId` is the request's
//! visitor's: the bearer token's profile, else the visitor-id cookie's.

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
    /// Visitor tokens for the events' profiles (as the central API takes them).
    #[serde(default)]
    tokens: Vec<Value>,
}

/// The visitor tokens a request carries, by the profile each names (unchecked here: the central
/// API checks them when the batch arrives); expired ones are left out.
struct Tokens(Vec<(String, String)>);

impl Tokens {
    fn new(visitor: &Visitor, body: &[Value], now_s: u64) -> Tokens {
        let bearer = visitor.token.as_ref().map(|(_, t)| t.as_str());
        let given = body.iter().filter_map(Value::as_str).take(MAX_TOKENS);
        let tokens = bearer
            .into_iter()
            .chain(given)
            .filter_map(|token| {
                let (profile, exp) = crate::identity::token_claims(token)?;
                (exp.is_none_or(|exp| exp > now_s)).then(|| (profile, token.to_owned()))
            })
            .collect();
        Tokens(tokens)
    }

    /// A token for `profile`, if one came with the request.
    fn for_profile(&self, profile: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(p, _)| p == profile)
            .map(|(_, t)| t.as_str())
    }
}

/// The most tokens one request may carry.
const MAX_TOKENS: usize = 100;

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
    let tokens = Tokens::new(&visitor, &batch.tokens, Date::now().as_millis() / 1000);
    let mut accepted = Vec::new();
    let mut rejected = Vec::new();
    let mut used: Vec<&str> = Vec::new();
    for (index, event) in batch.events.into_iter().enumerate() {
        match check(event, &profile, &tokens) {
            Ok((event, token)) => {
                accepted.push(event);
                if let Some(token) = token
                    && !used.contains(&token)
                {
                    used.push(token);
                }
            }
            Err(reason) => rejected.push(json!({ "index": index, "reason": reason })),
        }
    }
    let count = accepted.len();
    if count > 0 {
        let body = json!({ "events": accepted, "tokens": used }).to_string();
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

/// The checks that need no database, and the token that vouches for the event's profile (none
/// for an anonymous id); the central API checks the rest, the token included.
fn check<'t>(
    mut event: Value,
    profile: &str,
    tokens: &'t Tokens,
) -> std::result::Result<(Value, Option<&'t str>), String> {
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
    let profile = match object.get("profileId") {
        None => profile.to_owned(),
        Some(Value::String(id)) => id.clone(),
        Some(_) => return Err("`profileId` must be a string".into()),
    };
    let token = if crate::identity::is_anonymous(&profile) {
        None
    } else {
        Some(tokens.for_profile(&profile).ok_or_else(|| {
            format!(
                "profile `{profile}` needs its visitor token (`Authorization: Bearer wmt.…` or \
                 `tokens`): only anonymous ids are their own credential"
            )
        })?)
    };
    object.insert("profileId".into(), Value::String(profile));
    Ok((event, token))
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

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
    use serde_json::{Value, json};

    use super::{Tokens, check};
    use crate::identity::Visitor;

    const ANON: &str = "anon-0123456789abcdef0123456789";

    fn token(profile: &str, exp: u64) -> String {
        let payload = B64URL.encode(json!({ "p": profile, "exp": exp }).to_string());
        format!("wmt.{payload}.mac")
    }

    fn visitor(token: Option<String>) -> Visitor {
        Visitor {
            id: ANON.into(),
            new: false,
            token: token.map(|t| ("ann".into(), t)),
            consent: None,
        }
    }

    fn event(profile: Option<&str>) -> Value {
        let mut event = json!({ "id": "e1", "type": "display", "timestamp": 1, "activityId": "a" });
        if let Some(profile) = profile {
            event["profileId"] = json!(profile);
        }
        event
    }

    #[test]
    fn a_known_profile_needs_its_token_and_the_token_goes_along() {
        let ann = token("ann", 2_000);
        let none = Tokens::new(&visitor(None), &[], 1_000);
        // Someone else's profile id in the body, no token: refused, not forwarded as theirs.
        let refused = check(event(Some("ann")), ANON, &none);
        assert!(refused.is_err_and(|e| e.contains("visitor token")));
        // An anonymous id is its own credential; no id at all is the cookie's visitor.
        let (kept, with) = check(event(Some(ANON)), ANON, &none).unwrap_or_default();
        assert_eq!((kept["profileId"].as_str(), with), (Some(ANON), None));
        let (filled, _) = check(event(None), ANON, &none).unwrap_or_default();
        assert_eq!(filled["profileId"], ANON);
        // The bearer token's profile, or a token in the body: accepted, with that token.
        let bearer = Tokens::new(&visitor(Some(ann.clone())), &[], 1_000);
        let (mine, with) = check(event(None), "ann", &bearer).unwrap_or_default();
        assert_eq!(
            (mine["profileId"].as_str(), with),
            (Some("ann"), Some(ann.as_str()))
        );
        let given = Tokens::new(&visitor(None), &[json!(ann), json!(7)], 1_000);
        let (theirs, with) = check(event(Some("ann")), ANON, &given).unwrap_or_default();
        assert_eq!(
            (theirs["profileId"].as_str(), with),
            (Some("ann"), Some(ann.as_str()))
        );
        // A token for another profile, or an expired one, vouches for nothing.
        let bob = Tokens::new(&visitor(None), &[json!(token("bob", 2_000))], 1_000);
        assert!(check(event(Some("ann")), ANON, &bob).is_err());
        let expired = Tokens::new(&visitor(Some(ann.clone())), &[], 2_000);
        assert!(check(event(Some("ann")), "ann", &expired).is_err());
        assert!(check(event(Some("ann")), ANON, &given).is_ok());
        let bad = json!({ "id": "e1", "type": "display", "timestamp": 1, "profileId": 5 });
        assert!(check(bad, ANON, &given).is_err());
    }
}
