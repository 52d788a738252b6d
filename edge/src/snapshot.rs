//! Profile snapshots: fetched from the central API on a miss, verified, cached in KV
//! (`SNAPSHOTS`) and served stale while they are revalidated. With the central API down, a
//! cached snapshot keeps serving until `SNAPSHOT_MAX_STALE` or its own `expiresAt`, whichever
//! comes first; a visitor never seen gets the empty snapshot (anonymous, consent pending), so
//! offers fall back rather than fail. Fresh snapshots are also kept in the isolate's memory, so a
//! warm isolate reads KV only once they go stale.
//!
//! A snapshot is used only when it is for the profile asked for and its `expiresAt` is still
//! ahead, checked each time it is used, fetched or cached: a signed snapshot of another visitor,
//! or an old one replayed, decides nothing.

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::Duration;

use futures_util::future::{Either, select};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use waymark_core::engine::{ConsentState, Snapshot};
use worker::{Context, Date, Delay, Env, KvStore};

use crate::config::Config;
use crate::identity::Visitor;

/// What binds a signed snapshot to its request: the profile it is for and until when.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Binding {
    profile_id: String,
    expires_at: u64,
}

/// `body` as a snapshot for `profile` that is still valid at `now` (unix ms), with its expiry.
fn usable(body: &str, profile: &str, now: u64) -> Result<(u64, Snapshot), String> {
    let binding: Binding = serde_json::from_str(body)
        .map_err(|e| format!("snapshot refused: no profileId and expiresAt ({e})"))?;
    if binding.profile_id != profile {
        return Err(format!(
            "snapshot refused: it is for another profile than the one asked for ({profile})"
        ));
    }
    if binding.expires_at <= now {
        return Err(format!(
            "snapshot refused: it expired at {} (now {now})",
            binding.expires_at
        ));
    }
    let snapshot = serde_json::from_str(body).map_err(|e| format!("snapshot refused: {e}"))?;
    Ok((binding.expires_at, snapshot))
}

/// The profile a visitor's snapshot is asked for: the token's, else the visitor id.
fn requested(visitor: &Visitor) -> &str {
    match &visitor.token {
        Some((profile, _)) => profile,
        None => &visitor.id,
    }
}

/// A cached snapshot: the exact signed body and when it was fetched.
#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    fetched: u64,
    etag: Option<String>,
    body: String,
}

/// The snapshot to decide with for `visitor` at `now` (unix ms). A consent cookie saying `out`
/// always wins (the profile is not even looked up); `in` applies while the central profile's
/// consent is pending.
pub async fn load(
    env: &Env,
    ctx: &Context,
    config: &Config,
    visitor: &Visitor,
    now: u64,
) -> Snapshot {
    if visitor.consent == Some(ConsentState::Out) {
        let mut snapshot = Snapshot::default();
        snapshot.consent.personalize = ConsentState::Out;
        return snapshot;
    }
    // A visitor id minted for this request is unknown to the central API: no need to ask.
    let known = visitor.token.is_some() || !visitor.new;
    let fetched = if known {
        cached_or_fetched(env, ctx, config, visitor, now).await
    } else {
        None
    };
    let mut snapshot = fetched.unwrap_or_default();
    if snapshot.consent.personalize == ConsentState::Pending
        && let Some(consent) = visitor.consent
    {
        snapshot.consent.personalize = consent;
    }
    snapshot
}

async fn cached_or_fetched(
    env: &Env,
    ctx: &Context,
    config: &Config,
    visitor: &Visitor,
    now: u64,
) -> Option<Snapshot> {
    let key = cache_key(visitor);
    let profile = requested(visitor);
    // A token's snapshot is not served past the token's own expiry.
    if visitor
        .token_expiry()
        .is_some_and(|exp| exp.saturating_mul(1000) <= now)
    {
        return None;
    }
    let fresh = |fetched: u64| now.saturating_sub(fetched) < config.snapshot_ttl_ms;
    if let Some((fetched, expires, snapshot)) = MEMO.with(|m| m.borrow().get(&key).cloned())
        && fresh(fetched)
        && now < expires
    {
        return Some(snapshot);
    }
    let checked = |body: &str| {
        usable(body, profile, now)
            .map_err(|e| worker::console_warn!("{e}"))
            .ok()
    };
    let kv = env.kv("SNAPSHOTS").ok()?;
    let entry: Option<Entry> = kv.get(&key).json().await.ok().flatten();
    if let Some(entry) = entry {
        match checked(&entry.body) {
            Some((expires, snapshot)) if fresh(entry.fetched) => {
                remember(&key, entry.fetched, expires, &snapshot);
                return Some(snapshot);
            }
            Some((_, snapshot)) => {
                let (config, visitor) = (config.clone(), visitor.clone());
                ctx.wait_until(async move {
                    if let Err(e) = refresh(&kv, &key, &config, &visitor, Some(entry)).await {
                        worker::console_warn!("snapshot revalidation failed: {e}");
                    }
                });
                return Some(snapshot);
            }
            // Expired (or not this profile's): fetched again, as if it had never been cached.
            None => {}
        }
    }
    // The central API gets `API_TIMEOUT_MS`; past that the visitor decides with the empty
    // snapshot and the fetch carries on in `waitUntil`, filling the cache.
    let fetch = {
        let (config, visitor, key) = (config.clone(), visitor.clone(), key.clone());
        Box::pin(async move { refresh(&kv, &key, &config, &visitor, None).await })
    };
    let timeout = Delay::from(Duration::from_millis(config.api_timeout_ms));
    match select(fetch, timeout).await {
        Either::Left((Ok(body), _)) => {
            let (expires, snapshot) = checked(&body)?;
            remember(&key, now, expires, &snapshot);
            Some(snapshot)
        }
        Either::Left((Err(e), _)) => {
            worker::console_warn!("snapshot fetch failed: {e}");
            None
        }
        Either::Right(((), fetch)) => {
            worker::console_warn!("snapshot fetch timed out; deciding without it");
            ctx.wait_until(async move {
                if let Err(e) = fetch.await {
                    worker::console_warn!("snapshot fetch failed: {e}");
                }
            });
            None
        }
    }
}

/// Fresh snapshots this isolate has read, so a fresh one costs no KV read: (fetched, expires,
/// snapshot) by cache key, at most [`MEMO_SIZE`], then it starts over.
const MEMO_SIZE: usize = 10_000;

thread_local! {
    static MEMO: RefCell<HashMap<String, (u64, u64, Snapshot)>> = RefCell::new(HashMap::new());
}

fn forget(key: &str) {
    MEMO.with(|m| m.borrow_mut().remove(key));
}

fn remember(key: &str, fetched: u64, expires: u64, snapshot: &Snapshot) {
    MEMO.with(|m| {
        let mut memo = m.borrow_mut();
        if memo.len() >= MEMO_SIZE {
            memo.clear();
        }
        memo.insert(key.to_owned(), (fetched, expires, snapshot.clone()));
    });
}

/// Fetches (or revalidates) the snapshot and caches it when it is for the profile asked for and
/// not expired; returns the body.
async fn refresh(
    kv: &KvStore,
    key: &str,
    config: &Config,
    visitor: &Visitor,
    stale: Option<Entry>,
) -> Result<String, String> {
    let (api, client_key) = config.api().ok_or("the central API is not configured")?;
    let profile = requested(visitor);
    let bearer = visitor
        .token
        .as_ref()
        .map(|(_, token)| format!("Bearer {token}"));
    let etag = stale.as_ref().and_then(|s| s.etag.as_deref());
    let path = format!("/v1/profiles/{}/snapshot", encode(profile));
    let headers = [
        ("authorization", bearer.as_deref()),
        ("if-none-match", etag),
    ];
    let mut response = crate::api::get(api, client_key, &path, &headers).await?;
    let fetched = Date::now().as_millis();
    let entry = match (response.status_code(), stale) {
        (304, Some(stale)) => Entry { fetched, ..stale },
        (200, _) => {
            let body = response.bytes().await.map_err(|e| e.to_string())?;
            let signature = response.headers().get("waymark-signature").ok().flatten();
            crate::verify::signature(
                config.public_key.as_ref(),
                crate::verify::SNAPSHOT,
                &body,
                signature.as_deref(),
            )
            .map_err(|e| format!("snapshot refused: {e}"))?;
            let body = String::from_utf8(body).map_err(|e| e.to_string())?;
            usable(&body, profile, fetched)?;
            Entry {
                fetched,
                etag: response.headers().get("etag").ok().flatten(),
                body,
            }
        }
        // The credential is refused: what was cached under it is not served any more.
        (status @ (401 | 403), _) => {
            forget(key);
            kv.delete(key).await.map_err(|e| e.to_string())?;
            return Err(format!(
                "the central API refused the snapshot request ({status})"
            ));
        }
        (status, _) => return Err(format!("the central API answered {status} for a snapshot")),
    };
    let text = serde_json::to_string(&entry).map_err(|e| e.to_string())?;
    crate::api::put(kv, key, &text, Some(config.snapshot_max_stale_s)).await?;
    Ok(entry.body)
}

/// Anonymous ids are their own credential; token holders are cached per token, so a cached
/// snapshot is never served to a request without the credential it was fetched with.
fn cache_key(visitor: &Visitor) -> String {
    match &visitor.token {
        Some((_, token)) => format!("t:{:x}", Sha256::digest(token.as_bytes())),
        None => format!("a:{}", visitor.id),
    }
}

/// Drops the cached snapshot of `visitor` (KV and this isolate's memory): after a merge changed
/// the profile.
pub async fn drop_cached(kv: &KvStore, visitor: &Visitor) -> Result<(), String> {
    let key = cache_key(visitor);
    forget(&key);
    kv.delete(&key).await.map_err(|e| e.to_string())
}

/// Percent-encodes a profile id for a path segment.
pub fn encode(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
