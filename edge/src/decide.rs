//! `POST /v1/decide`: decide with the current bundle from KV.
//!
//! KV namespace `BUNDLES` holds the bundle's revision under `revision` and its JSON under
//! `bundle:<revision>`. Each isolate compiles a revision once and keeps it; a revision that does
//! not compile is refused and the last good engine keeps serving.

use std::cell::RefCell;
use std::rc::Rc;

use waymark_core::engine::{DecideInput, Engine};
use worker::{Env, Headers, Request, Response, Result};

thread_local! {
    /// The compiled engine of this isolate and the revision it was compiled from.
    static CURRENT: RefCell<Option<(String, Rc<Engine>)>> = const { RefCell::new(None) };
}

pub async fn handle(mut req: Request, env: Env) -> Result<Response> {
    let engine = match current(&env).await {
        Ok(engine) => engine,
        Err(message) => return Response::error(message, 503),
    };
    let body = req.text().await?;
    let input: DecideInput = match serde_json::from_str(&body) {
        Ok(input) => input,
        Err(e) => return Response::error(format!("bad decide request: {e}"), 400),
    };
    let decision = serde_json::to_string(&engine.decide(&input))
        .map_err(|e| worker::Error::RustError(e.to_string()))?;
    let headers = Headers::new();
    headers.set("content-type", "application/json")?;
    Ok(Response::ok(decision)?.with_headers(headers))
}

/// The engine for the current revision, compiling it on first use.
async fn current(env: &Env) -> std::result::Result<Rc<Engine>, String> {
    let kv = env
        .kv("BUNDLES")
        .map_err(|e| format!("no BUNDLES namespace: {e}"))?;
    let cached = CURRENT.with(|c| c.borrow().clone());
    let revision = kv.get("revision").text().await.map_err(|e| e.to_string())?;
    let Some(revision) = revision else {
        return cached
            .map(|(_, e)| e)
            .ok_or_else(|| "no bundle has been published".to_owned());
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
        (Ok(engine), _) => {
            let engine = Rc::new(engine);
            CURRENT.with(|c| *c.borrow_mut() = Some((revision, Rc::clone(&engine))));
            Ok(engine)
        }
        // Keep serving the last good bundle.
        (Err(_), Some((_, engine))) => Ok(engine),
        (Err(message), None) => Err(format!("bundle revision {revision} is unusable: {message}")),
    }
}
