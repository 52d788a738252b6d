//! Profile snapshots: fetched from the central API on a miss, verified, cached in KV
//! (`SNAPSHOTS`) and served stale while they are revalidated. With the central API down, a
//! cached snapshot keeps serving until `SNAPSHOT_MAX_STALE`; a visitor never seen gets the empty
//! snapshot (anonymous, consent pending), so offers fall back rather than fail. Fresh snapshots
//! are also kept in the isolate's memory, so a warm isolate reads KV only once they go stale.

use std::cell::RefCell;
use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use waymark_core::engine::{ConsentState, Snapshot};
use worker::{Context, Date, Env, KvStore};

use crate::config::Config;
use crate::identity::Visitor;

/// A cached snapshot: the exact signed body and when it was fetched.
#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    fetched: u64,
    etag: Option<String>,
    body: String,
}

/// The snapshot to decide with for `visitor`, with the consent cookie applied while the central
/// profile's consent is still pending.
pub async fn load(env: &Env, ctx: &Context, config: &Config, visitor: &Visitor) -> Snapshot {
    // A visitor id minted for this request is unknown to the central API: no need to ask.
    let known = visitor.token.is_some() || !visitor.new;
    let fetched = if known {
        cached_or_fetched(env, ctx, config, visitor).await
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
) -> Option<Snapshot> {
    let key = cache_key(visitor);
    let now = Date::now().as_millis();
    let fresh = |fetched: u64| now.saturating_sub(fetched) < config.snapshot_ttl_ms;
    if let Some((fetched, snapshot)) = MEMO.with(|m| m.borrow().get(&key).cloned())
        && fresh(fetched)
    {
        return Some(snapshot);
    }
    let kv = env.kv("SNAPSHOTS").ok()?;
    let entry: Option<Entry> = kv.get(&key).json().await.ok().flatten();
    match entry {
        Some(entry) if fresh(entry.fetched) => {
            let snapshot: Snapshot = serde_json::from_str(&entry.body).ok()?;
            remember(&key, entry.fetched, &snapshot);
            Some(snapshot)
        }
        Some(entry) => {
            let snapshot = serde_json::from_str(&entry.body).ok();
            let (config, visitor) = (config.clone(), visitor.clone());
            ctx.wait_until(async move {
                if let Err(e) = refresh(&kv, &key, &config, &visitor, Some(entry)).await {
                    worker::console_warn!("snapshot revalidation failed: {e}");
                }
            });
            snapshot
        }
        None => match refresh(&kv, &key, config, visitor, None).await {
            Ok(body) => {
                let snapshot: Snapshot = serde_json::from_str(&body).ok()?;
                remember(&key, now, &snapshot);
                Some(snapshot)
            }
            Err(e) => {
                worker::console_warn!("snapshot fetch failed: {e}");
                None
            }
        },
    }
}

/// Fresh snapshots this isolate has read, so a fresh one costs no KV read: (fetched, snapshot)
/// by cache key, at most [`MEMO_SIZE`], then it starts over.
const MEMO_SIZE: usize = 10_000;

thread_local! {
    static MEMO: RefCell<HashMap<String, (u64, Snapshot)>> = RefCell::new(HashMap::new());
}

fn remember(key: &str, fetched: u64, snapshot: &Snapshot) {
    MEMO.with(|m| {
        let mut memo = m.borrow_mut();
        if memo.len() >= MEMO_SIZE {
            memo.clear();
        }
        memo.insert(key.to_owned(), (fetched, snapshot.clone()));
    });
}

/// Fetches (or revalidates) the snapshot and caches it; returns the body.
async fn refresh(
    kv: &KvStore,
    key: &str,
    config: &Config,
    visitor: &Visitor,
    stale: Option<Entry>,
) -> Result<String, String> {
    let (api, client_key) = config.api().ok_or("the central API is not configured")?;
    let (profile, bearer) = match &visitor.token {
        Some((profile, token)) => (profile.as_str(), Some(format!("Bearer {token}"))),
        None => (visitor.id.as_str(), None),
    };
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
            crate::verify::signature(config.public_key.as_ref(), &body, signature.as_deref())
                .map_err(|e| format!("snapshot refused: {e}"))?;
            Entry {
                fetched,
                etag: response.headers().get("etag").ok().flatten(),
                body: String::from_utf8(body).map_err(|e| e.to_string())?,
            }
        }
        (status, _) => return Err(format!("the central API answered {status} for {path}")),
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

/// Percent-encodes a profile id for a path segment.
fn encode(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
