//! Profile snapshots: what runtimes need to decide for one visitor, signed, cached in memory and
//! served with ETags.
//!
//! Access: an admin key reads any snapshot. Otherwise a client key is required, plus either a
//! visitor token for this very profile, or an anonymous profile id (`anon-` and 22+ URL-safe
//! characters), which is its own credential.

use std::collections::HashMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use bytes::Bytes;
use rusqlite::Connection;
use serde_json::{Map, Value, json};

use crate::access::Caller;
use crate::auth::{self, KeyKind};
use crate::error::AppError;
use crate::profiles::{self, Consent, ProfileDoc};
use crate::state::AppState;

/// Days of counters a snapshot carries, today included.
pub const DAYS: i64 = 35;
/// Cached bodies are rebuilt after this long, which also bounds how stale a snapshot can be
/// after a write made by another process (`waymark import` while serving).
const MAX_AGE: Duration = Duration::from_secs(60);
/// At most this many snapshots are cached; past it the cache starts over.
const CAPACITY: usize = 200_000;

/// A signed snapshot ready to serve.
#[derive(Debug)]
pub struct Cached {
    pub etag: String,
    pub signature: String,
    pub body: Bytes,
    built: Instant,
}

/// Signed snapshot bodies by profile id.
///
/// Writers bump `epoch` after invalidating; a reader that built a body from the database only
/// caches it if no invalidation happened since it started reading, so a stale body is never
/// cached after a write.
#[derive(Debug, Default)]
pub struct SnapshotCache {
    map: RwLock<HashMap<String, std::sync::Arc<Cached>>>,
    epoch: AtomicU64,
}

impl SnapshotCache {
    fn get(&self, id: &str) -> Option<std::sync::Arc<Cached>> {
        let map = self
            .map
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.get(id).filter(|c| c.built.elapsed() < MAX_AGE).cloned()
    }

    fn insert(&self, id: String, epoch: u64, cached: std::sync::Arc<Cached>) {
        let mut map = self
            .map
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if self.epoch.load(Ordering::SeqCst) != epoch {
            return;
        }
        if map.len() >= CAPACITY {
            map.clear();
        }
        map.insert(id, cached);
    }

    /// Drops the snapshot of one profile.
    pub fn invalidate(&self, id: &str) {
        let mut map = self
            .map
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.epoch.fetch_add(1, Ordering::SeqCst);
        map.remove(id);
    }

    /// Drops the snapshots of several profiles at once.
    pub fn invalidate_many<'a>(&self, ids: impl IntoIterator<Item = &'a str>) {
        let mut map = self
            .map
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.epoch.fetch_add(1, Ordering::SeqCst);
        for id in ids {
            map.remove(id);
        }
    }

    /// Drops every snapshot (a new bundle changes the projection and the revision).
    pub fn clear(&self) {
        let mut map = self
            .map
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.epoch.fetch_add(1, Ordering::SeqCst);
        map.clear();
    }
}

/// Who may read `id`'s snapshot; 401 without valid credentials, 403 when they are for someone
/// else.
fn authorize(
    state: &AppState,
    kind: KeyKind,
    headers: &HeaderMap,
    id: &str,
) -> Result<(), AppError> {
    if kind == KeyKind::Admin {
        return Ok(());
    }
    match auth::credentials(headers).token {
        Some(token) => {
            let now = jiff::Timestamp::now().as_second();
            let subject = auth::verify_token(state.token_secret(), token, now)?;
            if subject == id {
                Ok(())
            } else {
                Err(AppError::Forbidden(
                    "the visitor token is for another profile".into(),
                ))
            }
        }
        None if auth::is_anonymous(id) => Ok(()),
        None => Err(AppError::Forbidden(
            "a client key reads only anonymous profiles (`anon-…`) without a visitor token for the profile".into(),
        )),
    }
}

/// `GET /v1/profiles/{id}/snapshot`
pub async fn snapshot(
    State(state): State<AppState>,
    Caller(kind): Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    authorize(&state, kind, &headers, &id)?;
    let cached = match state.snapshots.get(&id) {
        Some(cached) => cached,
        None => build_and_cache(&state, id).await?,
    };
    Ok(crate::bundles::signed(
        &headers,
        &cached.etag,
        &cached.signature,
        cached.body.clone(),
        "private, no-cache",
    ))
}

async fn build_and_cache(state: &AppState, id: String) -> Result<std::sync::Arc<Cached>, AppError> {
    profiles::check_id(&id).map_err(|e| AppError::BadRequest(format!("profile id: {e}")))?;
    let epoch = state.snapshots.epoch.load(Ordering::SeqCst);
    let key = id.clone();
    let parts = state.db.read(move |conn| load_parts(conn, &key)).await?;
    if parts.profile.is_none() && parts.version == 0 && !auth::is_anonymous(&id) {
        return Err(AppError::NotFound(format!("no profile `{id}`")));
    }
    let bundle = state.bundle();
    let now = jiff::Timestamp::now().as_millisecond();
    let ttl = i64::try_from(state.config.snapshot_ttl.as_millis()).unwrap_or(i64::MAX);
    let body = render(&id, &parts, bundle.as_deref().map(|b| &b.engine), now, ttl);
    let body = serde_json::to_vec(&body)?;
    let revision = bundle.as_ref().map_or(0, |b| b.revision);
    let cached = std::sync::Arc::new(Cached {
        etag: format!("\"s{}-r{revision}-{now}\"", parts.version),
        signature: state.sign(crate::bundles::SignedKind::Snapshot, &body),
        body: Bytes::from(body),
        built: Instant::now(),
    });
    state
        .snapshots
        .insert(id, epoch, std::sync::Arc::clone(&cached));
    Ok(cached)
}

/// What the database knows about one visitor.
#[derive(Debug, Default)]
pub struct Parts {
    pub profile: Option<ProfileDoc>,
    /// The newest of the profile's and the counters' versions (0: neither exists).
    pub version: i64,
    pub watermark: i64,
    /// (target, event, day, n)
    pub counters: Vec<(String, String, String, i64)>,
}

/// Reads a profile, its counter state and its counters.
pub fn load_parts(conn: &Connection, id: &str) -> Result<Parts, AppError> {
    let profile = profiles::load(conn, id)?;
    let mut stmt = conn.prepare_cached(
        "SELECT target, event, day, n, version, last_ts FROM counters WHERE profile_id = ?1
         ORDER BY target, event, day",
    )?;
    let rows = stmt.query_map([id], |row| {
        Ok((
            (row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?),
            row.get::<_, i64>(4)?,
            row.get::<_, i64>(5)?,
        ))
    })?;
    let (mut counter_version, mut watermark) = (0, 0);
    let mut counters = Vec::new();
    for row in rows {
        let (counter, version, last) = row?;
        counter_version = counter_version.max(version);
        watermark = watermark.max(last);
        counters.push(counter);
    }
    let profile_version = profile.as_ref().map_or(0, |(_, v, _)| *v);
    Ok(Parts {
        profile: profile.map(|(doc, _, _)| doc),
        version: profile_version.max(counter_version),
        watermark,
        counters,
    })
}

/// The snapshot document.
pub fn render(
    id: &str,
    parts: &Parts,
    engine: Option<&waymark_core::engine::Engine>,
    now_ms: i64,
    ttl_ms: i64,
) -> Value {
    let empty = ProfileDoc::default();
    let doc = parts.profile.as_ref().unwrap_or(&empty);
    let tz = doc.tz();
    let personalize_out = doc.consent.get("personalize") == Some(&Consent::Out);
    // Without consent to personalise, runtimes get no attributes or audiences at all.
    let attributes = match engine {
        Some(engine) if !personalize_out => engine
            .projection()
            .apply(&Value::Object(doc.attributes.clone())),
        _ => Value::Object(Map::new()),
    };
    let audiences = if personalize_out {
        Vec::new()
    } else {
        doc.audiences.clone()
    };
    let today = tz
        .to_datetime(
            jiff::Timestamp::from_millisecond(now_ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH),
        )
        .date();
    let first = today
        .checked_sub(jiff::Span::new().days(DAYS - 1))
        .unwrap_or(today)
        .to_string();
    let mut items: Vec<Value> = Vec::new();
    let mut current: Option<(&str, &str, i64, Map<String, Value>)> = None;
    for (target, event, day, n) in &parts.counters {
        let same = matches!(&current, Some((t, e, _, _)) if *t == target && *e == event);
        if !same {
            if let Some((t, e, total, days)) = current.take() {
                items.push(json!({"target": t, "event": e, "total": total, "days": days}));
            }
            current = Some((target, event, 0, Map::new()));
        }
        if let Some((_, _, total, days)) = current.as_mut() {
            *total += n;
            if day.as_str() >= first.as_str() {
                days.insert(day.clone(), Value::from(*n));
            }
        }
    }
    if let Some((t, e, total, days)) = current {
        items.push(json!({"target": t, "event": e, "total": total, "days": days}));
    }
    let time_zone = doc.time_zone.as_deref().unwrap_or("UTC");
    json!({
        "profileId": id,
        "version": parts.version,
        "bundleRevision": engine.map_or(0, |e| e.bundle().revision),
        "issuedAt": now_ms,
        "expiresAt": now_ms.saturating_add(ttl_ms),
        "attributes": attributes,
        "audiences": audiences,
        "consent": doc.consent,
        "timeZone": time_zone,
        "timeZoneRule": waymark_core::zone_rule(time_zone),
        "counters": { "watermark": parts.watermark, "items": items },
    })
}
