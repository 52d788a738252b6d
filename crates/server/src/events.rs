//! Event ingestion: validated one by one, idempotent by (profile, event id), counted into the
//! per-profile counters (snapshots) and the per-day aggregates (reports) in one transaction.

use std::collections::{BTreeMap, BTreeSet};

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::access::EventsCaller;
use crate::auth::{self, KeyKind};
use crate::error::{AppError, JsonBody};
use crate::ingest::Ingested;
use crate::limits::Refused;
use crate::state::AppState;

/// The most events one request may carry.
pub const MAX_BATCH: usize = 1000;
const MAX_ID: usize = 200;
const MAX_DATA: usize = 8 * 1024;
/// Events more than this far in the future (clock skew) are refused.
const MAX_SKEW_MS: i64 = 24 * 3600 * 1000;
/// Timestamps before 2000-01-01 are refused.
const MIN_TS: i64 = 946_684_800_000;

/// The body of `POST /v1/events`.
#[derive(Debug, Deserialize)]
pub struct Batch {
    events: Vec<Value>,
    /// Visitor tokens (`wmt.…`): a client key posts events for their profiles. In the body
    /// because `navigator.sendBeacon` cannot set headers.
    #[serde(default)]
    tokens: Vec<String>,
}

/// A valid event.
#[derive(Debug, Clone)]
pub struct Event {
    /// Its position in the request.
    pub index: usize,
    pub id: String,
    pub kind: &'static str,
    /// The counted event: the kind, or the custom event's name.
    pub event: String,
    pub name: Option<String>,
    pub profile_id: String,
    pub ts: i64,
    pub activity_id: Option<String>,
    pub variant_id: Option<String>,
    pub offer_id: Option<String>,
    pub placement_id: Option<String>,
    pub decision_id: Option<String>,
    pub data: Option<String>,
}

fn text(value: &Value, field: &str, required: bool) -> Result<Option<String>, String> {
    match value.get(field) {
        None | Some(Value::Null) if required => Err(format!("`{field}` is required")),
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Err(format!("`{field}` is empty")),
        Some(Value::String(s)) if s.len() > MAX_ID => {
            Err(format!("`{field}` is longer than {MAX_ID} bytes"))
        }
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(format!("`{field}` must be a string")),
    }
}

const FIELDS: &[&str] = &[
    "id",
    "type",
    "name",
    "profileId",
    "timestamp",
    "activityId",
    "variantId",
    "offerId",
    "placementId",
    "decisionId",
    "data",
];

/// Checks one event; the error says why it was rejected.
pub fn validate(index: usize, value: &Value, now_ms: i64) -> Result<Event, String> {
    let object = value.as_object().ok_or("an event is a JSON object")?;
    if let Some(unknown) = object.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(format!("unknown field `{unknown}`"));
    }
    let id = text(value, "id", true)?.unwrap_or_default();
    let kind = match text(value, "type", true)?.as_deref() {
        Some("display") => "display",
        Some("click") => "click",
        Some("dismiss") => "dismiss",
        Some("custom") => "custom",
        Some(other) => {
            return Err(format!(
                "`type` is `{other}`; expected display, click, dismiss or custom"
            ));
        }
        None => return Err("`type` is required".into()),
    };
    let name = text(value, "name", kind == "custom")?;
    if kind != "custom" && name.is_some() {
        return Err("`name` is only for custom events".into());
    }
    let profile_id = text(value, "profileId", true)?.unwrap_or_default();
    crate::profiles::check_id(&profile_id).map_err(|e| format!("`profileId`: {e}"))?;
    let ts = value
        .get("timestamp")
        .and_then(Value::as_i64)
        .ok_or("`timestamp` (milliseconds since 1970) is required")?;
    if ts < MIN_TS {
        return Err("`timestamp` is before 2000: it must be in milliseconds".into());
    }
    if ts > now_ms + MAX_SKEW_MS {
        return Err("`timestamp` is more than a day in the future".into());
    }
    let activity_id = text(value, "activityId", false)?;
    let offer_id = text(value, "offerId", false)?;
    if kind != "custom" && activity_id.is_none() && offer_id.is_none() {
        return Err(format!("a {kind} event needs `activityId` or `offerId`"));
    }
    let data = match value.get("data") {
        None | Some(Value::Null) => None,
        Some(data @ Value::Object(_)) => {
            let text = data.to_string();
            if text.len() > MAX_DATA {
                return Err(format!("`data` is over {MAX_DATA} bytes"));
            }
            Some(text)
        }
        Some(_) => return Err("`data` must be an object".into()),
    };
    Ok(Event {
        index,
        id,
        kind,
        event: name.clone().unwrap_or_else(|| kind.to_owned()),
        name,
        profile_id,
        ts,
        activity_id,
        variant_id: text(value, "variantId", false)?,
        offer_id,
        placement_id: text(value, "placementId", false)?,
        decision_id: text(value, "decisionId", false)?,
        data,
    })
}

/// Visitor tokens one request may carry.
pub const MAX_TOKENS: usize = 16;

/// The profiles a client key may post events for: those of the valid, unexpired visitor tokens
/// in the body's `tokens` and in `Authorization: Bearer wmt.…`. The second value says why the
/// other tokens were refused, to explain the events refused for want of one.
fn token_subjects(
    state: &AppState,
    headers: &HeaderMap,
    tokens: &[String],
) -> Result<(BTreeSet<String>, Vec<String>), AppError> {
    if tokens.len() > MAX_TOKENS {
        return Err(AppError::BadRequest(format!(
            "{} visitor tokens in `tokens`; at most {MAX_TOKENS}",
            tokens.len()
        )));
    }
    let now = jiff::Timestamp::now().as_second();
    let header = auth::credentials(headers).token;
    let (mut subjects, mut refused) = (BTreeSet::new(), Vec::new());
    for token in tokens.iter().map(String::as_str).chain(header) {
        match auth::verify_token(state.token_secret(), token, now) {
            Ok(subject) => {
                subjects.insert(subject);
            }
            Err(e) => refused.push(e.to_string()),
        }
    }
    Ok((subjects, refused))
}

/// Why a client key may not post `event`, if it may not: a profile that is not anonymous needs
/// its visitor token (the rule of snapshots).
fn unauthorized(event: &Event, subjects: &BTreeSet<String>, refused: &[String]) -> Option<String> {
    if auth::is_anonymous(&event.profile_id) || subjects.contains(&event.profile_id) {
        return None;
    }
    let mut reason = format!(
        "profile `{}` is not anonymous (`anon-` and 22+ URL-safe characters): a client key posts its events only with a valid visitor token for it (`tokens` in the body, or `Authorization: Bearer wmt.…`)",
        event.profile_id
    );
    if !refused.is_empty() {
        reason.push_str(&format!("; tokens refused: {}", refused.join("; ")));
    }
    Some(reason)
}

/// Charges each profile of `events` one token per event; 429 when one is over its rate (no
/// event is stored then), 413 when a request carries more events for one profile than its
/// bucket holds.
fn charge_profiles(state: &AppState, events: &[Event]) -> Result<(), AppError> {
    let mut per_profile: BTreeMap<&str, u32> = BTreeMap::new();
    for e in events {
        *per_profile.entry(e.profile_id.as_str()).or_default() += 1;
    }
    for (profile, n) in per_profile {
        match state.profile_limit.take(profile, n) {
            Ok(()) => {}
            Err(Refused::RetryAfter(seconds)) => {
                return Err(AppError::TooManyRequests {
                    detail: format!(
                        "profile `{profile}` is over its rate of events; nothing was stored, retry in {seconds} s"
                    ),
                    retry_after: seconds,
                });
            }
            Err(Refused::OverBurst(n)) => {
                return Err(AppError::TooLarge(format!(
                    "{n} events for profile `{profile}` in one request, more than its rate allows at once"
                )));
            }
        }
    }
    Ok(())
}

/// `POST /v1/events` (client or admin key in a header, or a client key in `?key=`).
///
/// The body is read as JSON whatever its `Content-Type`: `navigator.sendBeacon` sends
/// `text/plain`, which needs no CORS preflight. With a client key, an event for a profile that
/// is not anonymous is refused unless a visitor token for that profile comes with it
/// ([`token_subjects`]); admin keys post for any profile.
pub async fn post(
    State(state): State<AppState>,
    EventsCaller(kind): EventsCaller,
    headers: HeaderMap,
    JsonBody(batch): JsonBody<Batch>,
) -> Result<Json<Value>, AppError> {
    if batch.events.len() > MAX_BATCH {
        return Err(AppError::TooLarge(format!(
            "{} events in one batch; at most {MAX_BATCH}",
            batch.events.len()
        )));
    }
    let client = kind == KeyKind::Client;
    let (subjects, refused) = if client {
        token_subjects(&state, &headers, &batch.tokens)?
    } else {
        Default::default()
    };
    let now = crate::db::now_ms();
    let mut valid = Vec::with_capacity(batch.events.len());
    let mut rejected = Vec::new();
    for (index, value) in batch.events.iter().enumerate() {
        let checked = validate(index, value, now).and_then(|event| {
            match unauthorized(&event, &subjects, &refused).filter(|_| client) {
                Some(reason) => Err(reason),
                None => Ok(event),
            }
        });
        match checked {
            Ok(event) => valid.push(event),
            Err(reason) => rejected.push(json!({ "index": index, "reason": reason })),
        }
    }
    if valid.is_empty() && !rejected.is_empty() {
        state
            .metrics
            .events_rejected
            .fetch_add(rejected.len() as u64, std::sync::atomic::Ordering::Relaxed);
        return Err(AppError::Invalid {
            detail: format!("all {} events were rejected", rejected.len()),
            problems: Some(Value::Array(rejected)),
        });
    }
    if client {
        charge_profiles(&state, &valid)?;
    }
    let ingested = if valid.is_empty() {
        Ingested::default()
    } else {
        state.ingest.ingest(valid).await?
    };
    for &index in &ingested.opted_out {
        rejected.push(json!({ "index": index, "reason": "the profile has opted out of tracking" }));
    }
    if let Some(cap) = state.config.max_events_per_profile {
        for &index in &ingested.over_cap {
            rejected.push(json!({ "index": index, "reason": format!("the profile has {cap} events stored, the most this server keeps per profile") }));
        }
    }
    rejected.sort_by_key(|r| r["index"].as_u64());
    state
        .snapshots
        .invalidate_many(ingested.profiles.iter().map(String::as_str));
    crate::caps::after_ingest(&state, &ingested.global).await;
    let m = &state.metrics;
    use std::sync::atomic::Ordering::Relaxed;
    m.events_accepted
        .fetch_add(ingested.accepted as u64, Relaxed);
    m.events_duplicate
        .fetch_add(ingested.duplicates as u64, Relaxed);
    m.events_rejected.fetch_add(rejected.len() as u64, Relaxed);
    Ok(Json(json!({
        "accepted": ingested.accepted,
        "duplicates": ingested.duplicates,
        "rejected": rejected,
    })))
}
