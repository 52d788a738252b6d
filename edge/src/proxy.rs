//! Proxy mode: for a configured host, fetch the origin's page and personalise it while it
//! streams. The page is decided as `web://<site><path>`; when the decision has neither
//! propositions nor offers the origin's response is returned untouched (the rewriter never
//! runs). Otherwise the decision goes into `<head>` for the SDK and the edge-applicable web
//! actions are applied (see `rewrite`).

use serde_json::json;
use waymark_core::engine::{ConsentState, Request as DecideRequest};
use worker::{
    Context, Env, Headers, Method, Request, RequestInit, RequestRedirect, Response, Result, Url,
};

use crate::config::{Config, ProxyOrigin};
use crate::decide::{Body, decide};
use crate::identity::Visitor;
use crate::rewrite::{Plan, head_script, stream};

/// The proxy entry for this request's host, if any.
pub fn entry<'c>(config: &'c Config, url: &Url) -> Option<&'c ProxyOrigin> {
    let host = url.host_str()?;
    let with_port = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    };
    config
        .proxy
        .iter()
        .find(|p| p.host == host || p.host == with_port)
        .or_else(|| config.proxy.iter().find(|p| p.host == "*"))
}

pub async fn handle(
    req: Request,
    entry: &ProxyOrigin,
    env: &Env,
    ctx: &Context,
    config: &Config,
) -> Result<Response> {
    let url = req.url()?;
    let visitor = Visitor::from_headers(req.headers(), config);
    let origin = fetch_origin(&req, entry, &url);
    if req.method() != Method::Get {
        return origin.await;
    }
    let site = entry.site.as_deref().unwrap_or(&entry.host);
    let body = Body {
        request: DecideRequest {
            surfaces: vec![format!("web://{site}{}", url.path())],
            event: None,
        },
        context: json!({ "page": {
            "url": url.as_str(),
            "path": url.path(),
            "query": url.query().unwrap_or_default(),
            "referrer": req.headers().get("referer").ok().flatten(),
        } }),
        state: Default::default(),
        snapshot: None,
        now: None,
    };
    let is_page = |response: &Response| {
        response.status_code() == 200
            && response
                .headers()
                .get("content-type")
                .ok()
                .flatten()
                .is_some_and(|t| t.starts_with("text/html"))
    };
    // Only navigations are personalised (decided while the origin answers): fetches, htmx or
    // Turbo partials, iframes and assets pass through untouched and cost no decision.
    if !is_navigation(req.headers()) {
        return origin.await;
    }
    let (origin, decision) = futures_util::join!(origin, decide(env, ctx, config, &visitor, body));
    let mut origin = origin?;
    let decision = match decision {
        Ok(d) if is_page(&origin) => d,
        // Not a page, or no bundle: the origin's response as it is.
        _ => return untouched(origin, &visitor, config, &url),
    };
    if decision.propositions.is_empty() && decision.offers.is_empty() {
        return untouched(origin, &visitor, config, &url);
    }
    let plan = Plan::new(&decision);
    let decision_json =
        serde_json::to_string(&decision).map_err(|e| worker::Error::RustError(e.to_string()))?;
    // Ties the head script and the list of matched actions at the end of the page to this
    // response: the nonce is also in the `Server-Timing` header, which the SDK reads from the
    // navigation's timing entry and page content cannot set (see edge/README.md).
    let nonce = crate::identity::random_hex();
    let script = head_script(&decision_json, &plan.applied, &visitor.id, &nonce);
    let headers = Headers::new();
    for (name, value) in origin.headers().entries() {
        if name != "content-length" && name != "etag" {
            headers.append(&name, &value)?;
        }
    }
    headers.set("cache-control", "private, no-store")?;
    headers.append("server-timing", &server_timing(&nonce))?;
    if let Some(cookie) = visitor.set_cookie(config, &url) {
        headers.append("set-cookie", &cookie)?;
    }
    let status = origin.status_code();
    let body = stream(origin.stream()?, plan, script, nonce);
    Ok(Response::from_stream(body)?
        .with_status(status)
        .with_headers(headers))
}

/// The `Server-Timing` entry that hands the SDK this response's nonce (hex, so no quoting
/// issue): `waymark-edge;desc="<nonce>"`.
fn server_timing(nonce: &str) -> String {
    format!("{SERVER_TIMING};desc=\"{nonce}\"")
}

/// The name of the `Server-Timing` entry carrying the nonce.
const SERVER_TIMING: &str = "waymark-edge";

/// The origin's response as it is, except that a visitor who opted out has their id cookie
/// expired.
fn untouched(origin: Response, visitor: &Visitor, config: &Config, url: &Url) -> Result<Response> {
    let expire = visitor
        .set_cookie(config, url)
        .filter(|_| visitor.consent == Some(ConsentState::Out));
    let Some(cookie) = expire else {
        return Ok(origin);
    };
    let headers = Headers::new();
    for (name, value) in origin.headers().entries() {
        headers.append(&name, &value)?;
    }
    headers.append("set-cookie", &cookie)?;
    Ok(origin.with_headers(headers))
}

/// A top-level navigation: `Sec-Fetch-Dest: document`, or, from a browser that does not send it,
/// `Accept` naming `text/html`.
fn is_navigation(headers: &Headers) -> bool {
    match headers.get("sec-fetch-dest").ok().flatten() {
        Some(dest) => dest == "document",
        None => headers
            .get("accept")
            .ok()
            .flatten()
            .is_some_and(|a| a.contains("text/html")),
    }
}

/// The same request, sent to the origin; redirects are passed on, not followed.
async fn fetch_origin(req: &Request, entry: &ProxyOrigin, url: &Url) -> Result<Response> {
    let mut target = format!("{}{}", entry.origin.trim_end_matches('/'), url.path());
    if let Some(query) = url.query() {
        target.push('?');
        target.push_str(query);
    }
    let headers = Headers::new();
    for (name, value) in req.headers().entries() {
        if name != "host" {
            headers.append(&name, &value)?;
        }
    }
    let mut init = RequestInit::new();
    init.with_method(req.method())
        .with_headers(headers)
        .with_redirect(RequestRedirect::Manual);
    if !matches!(req.method(), Method::Get | Method::Head) {
        init.with_body(req.inner().body().map(Into::into));
    }
    worker::Fetch::Request(Request::new_with_init(&target, &init)?)
        .send()
        .await
}
