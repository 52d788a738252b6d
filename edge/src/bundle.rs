//! The bundle: synced from the central API into KV, compiled once per isolate.
//!
//! KV namespace `BUNDLES` holds the current revision under `revision`, its JSON under
//! `bundle:<revision>` and the central API's ETag under `etag`. A synced bundle is stored only
//! after its signature verifies and it compiles, so KV never holds an unverified bundle from the
//! network. Each isolate compiles a revision once and keeps it; a revision that does not compile
//! is refused and the last good engine keeps serving.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use futures_util::future::{Either, select};

use waymark_core::engine::Engine;
use worker::{Context, Date, Delay, Env};

use crate::config::Config;

thread_local! {
    /// The compiled engine of this isolate and the revision it was compiled from.
    static CURRENT: RefCell<Option<(String, Rc<Engine>)>> = const { RefCell::new(None) };
    /// When this isolate last read the current revision from KV (unix ms).
    static CHECKED: Cell<u64> = const { Cell::new(0) };
}

/// What a sync did.
#[derive(Debug, PartialEq, Eq)]
pub enum Synced {
    /// The central API answered 304: KV already holds its current bundle.
    Unchanged,
    /// A new revision was verified, compiled and stored.
    Updated(String),
}

/// The engine for the current revision, compiling it on first use; with no bundle in KV yet,
/// syncs once from the central API, waiting at most `API_TIMEOUT_MS` (the sync then carries on in
/// `waitUntil`, and this request has no bundle).
pub async fn current(env: &Env, ctx: &Context, config: &Config) -> Result<Rc<Engine>, String> {
    match current_in_kv(env, config).await {
        Err(message) if message == NONE_PUBLISHED && config.api().is_some() => {
            let syncing = {
                let (env, config) = (env.clone(), config.clone());
                Box::pin(async move { sync(&env, &config).await })
            };
            let timeout = Delay::from(Duration::from_millis(config.api_timeout_ms));
            match select(syncing, timeout).await {
                Either::Left((synced, _)) => {
                    synced?;
                }
                Either::Right(((), syncing)) => {
                    ctx.wait_until(async move {
                        if let Err(e) = syncing.await {
                            worker::console_warn!("bundle sync failed: {e}");
                        }
                    });
                    return Err(format!(
                        "{NONE_PUBLISHED} (the central API is slow to answer)"
                    ));
                }
            }
            current_in_kv(env, config).await
        }
        other => other,
    }
}

const NONE_PUBLISHED: &str = "no bundle has been published";

async fn current_in_kv(env: &Env, config: &Config) -> Result<Rc<Engine>, String> {
    let cached = CURRENT.with(|c| c.borrow().clone());
    // KV is eventually consistent anyway: within `BUNDLE_CHECK_MS` of the last look, the
    // isolate's engine is current enough (a sync in this isolate installs its bundle at once).
    let now = Date::now().as_millis();
    if let Some((_, engine)) = &cached
        && now.saturating_sub(CHECKED.get()) < config.bundle_check_ms
    {
        return Ok(Rc::clone(engine));
    }
    let kv = env
        .kv("BUNDLES")
        .map_err(|e| format!("no BUNDLES namespace: {e}"))?;
    let revision = kv.get("revision").text().await.map_err(|e| e.to_string())?;
    CHECKED.set(now);
    let Some(revision) = revision else {
        return cached
            .map(|(_, e)| e)
            .ok_or_else(|| NONE_PUBLISHED.to_owned());
    };
    if let Some((cached_revision, engine)) = &cached
        && *cached_revision == revision
    {
        return Ok(Rc::clone(engine));
    }
    let text = kv
        .get(&format!("bundle:{revision}"))
        .text()
        .await
        .map_err(|e| e.to_string())?;
    let compiled = text
        .ok_or_else(|| format!("bundle revision {revision} is missing"))
        .and_then(|text| Engine::from_json(&text).map_err(|e| e.to_string()));
    match (compiled, cached) {
        (Ok(engine), _) => Ok(install(revision, engine)),
        // Keep serving the last good bundle.
        (Err(_), Some((_, engine))) => Ok(engine),
        (Err(message), None) => Err(format!("bundle revision {revision} is unusable: {message}")),
    }
}

fn install(revision: String, engine: Engine) -> Rc<Engine> {
    let engine = Rc::new(engine);
    CURRENT.with(|c| *c.borrow_mut() = Some((revision, Rc::clone(&engine))));
    engine
}

/// Fetches the central API's current bundle; stores it when its signature verifies and it
/// compiles. On any failure KV and this isolate keep the bundle they had.
pub async fn sync(env: &Env, config: &Config) -> Result<Synced, String> {
    let (api, key) = config
        .api()
        .ok_or("WAYMARK_API_URL and WAYMARK_CLIENT_KEY are not both configured")?;
    let kv = env
        .kv("BUNDLES")
        .map_err(|e| format!("no BUNDLES namespace: {e}"))?;
    let etag = kv.get("etag").text().await.map_err(|e| e.to_string())?;
    let mut response = crate::api::get(
        api,
        key,
        "/v1/bundle",
        &[("if-none-match", etag.as_deref())],
    )
    .await?;
    match response.status_code() {
        304 => return Ok(Synced::Unchanged),
        200 => {}
        status => return Err(format!("the central API answered {status} for /v1/bundle")),
    }
    let body = response.bytes().await.map_err(|e| e.to_string())?;
    let signature = response.headers().get("waymark-signature").ok().flatten();
    crate::verify::signature(
        config.public_key.as_ref(),
        crate::verify::BUNDLE,
        &body,
        signature.as_deref(),
    )
    .map_err(|e| format!("bundle refused: {e}"))?;
    let text = String::from_utf8(body).map_err(|_| "bundle refused: not UTF-8".to_owned())?;
    let engine = Engine::from_json(&text).map_err(|e| format!("bundle refused: {e}"))?;
    let revision = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|b| b.get("revision").map(ToString::to_string))
        .ok_or("bundle refused: it has no revision")?;
    crate::api::put(&kv, &format!("bundle:{revision}"), &text, None).await?;
    crate::api::put(&kv, "revision", &revision, None).await?;
    if let Some(etag) = response.headers().get("etag").ok().flatten() {
        crate::api::put(&kv, "etag", &etag, None).await?;
    }
    install(revision.clone(), engine);
    Ok(Synced::Updated(revision))
}
