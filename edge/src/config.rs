//! The Worker's configuration: `[vars]` and secrets from `wrangler.toml` (see edge/README.md).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::VerifyingKey;
use serde::Deserialize;
use worker::Env;

/// One proxied site: requests for `host` are fetched from `origin` and decided as `web://site`.
#[derive(Debug, Clone, Deserialize)]
pub struct ProxyOrigin {
    /// The request host this entry serves (`*` for any).
    pub host: String,
    /// Where pages are fetched from, as `https://origin.example`.
    pub origin: String,
    /// The surface host pages are decided as; the request host when absent.
    pub site: Option<String>,
}

/// Everything the Worker reads from its environment, read once per request.
#[derive(Debug, Clone)]
pub struct Config {
    /// `WAYMARK_API_URL`: the central API, without a trailing slash.
    pub api_url: Option<String>,
    /// Secret `WAYMARK_CLIENT_KEY`: a client key for bundles, snapshots and events.
    pub client_key: Option<String>,
    /// `WAYMARK_PUBLIC_KEY`: the central API's Ed25519 key (base64), pinned here rather than
    /// fetched, so a compromised network path cannot substitute it.
    pub public_key: Option<VerifyingKey>,
    /// `PROXY_ORIGINS`: a JSON array of [`ProxyOrigin`].
    pub proxy: Vec<ProxyOrigin>,
    /// `BUNDLE_CHECK_MS`: how long an isolate keeps deciding with its engine before looking at
    /// KV's current revision again (default 1000; 0 looks on every request).
    pub bundle_check_ms: u64,
    /// `SNAPSHOT_TTL`: seconds a cached snapshot is fresh (then served stale while refreshed).
    pub snapshot_ttl_ms: u64,
    /// `SNAPSHOT_MAX_STALE`: seconds a cached snapshot may still be served while the API is down.
    pub snapshot_max_stale_s: u64,
    /// `API_TIMEOUT_MS`: how long a request waits for the central API (a snapshot fetch, the
    /// first bundle sync) before deciding without it (default 300); the fetch carries on in
    /// `waitUntil`.
    pub api_timeout_ms: u64,
    /// `VISITOR_COOKIE`, `CONSENT_COOKIE`: cookie names.
    pub visitor_cookie: String,
    pub consent_cookie: String,
    /// `COOKIE_CONSENT = "required"` (default): the visitor-id cookie is only set once the
    /// consent cookie says `in`.
    pub cookie_needs_consent: bool,
    /// `DECIDE_INLINE_INPUT = "trusted"`: `POST /v1/decide` accepts `snapshot` and `now` in the
    /// body (tests, server-to-server callers); otherwise they are refused.
    pub inline_input: bool,
    /// `EVENT_RETRY_MS`: delays before each retry of an event batch, e.g. `"1000,5000"`.
    pub retry_ms: Vec<u64>,
    /// Secret `SYNC_TOKEN`: bearer token for `POST /v1/sync`; the route is off without it.
    pub sync_token: Option<String>,
}

impl Config {
    pub fn from_env(env: &Env) -> Config {
        let text = |name: &str| {
            env.var(name)
                .map(|v| v.to_string())
                .or_else(|_| env.secret(name).map(|v| v.to_string()))
                .ok()
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let number =
            |name: &str, default: u64| text(name).and_then(|v| v.parse().ok()).unwrap_or(default);
        Config {
            api_url: text("WAYMARK_API_URL").map(|u| u.trim_end_matches('/').to_owned()),
            client_key: text("WAYMARK_CLIENT_KEY"),
            public_key: text("WAYMARK_PUBLIC_KEY").and_then(|k| public_key(&k)),
            proxy: text("PROXY_ORIGINS")
                .and_then(|p| {
                    serde_json::from_str(&p)
                        .map_err(|e| worker::console_error!("PROXY_ORIGINS ignored: {e}"))
                        .ok()
                })
                .unwrap_or_default(),
            bundle_check_ms: number("BUNDLE_CHECK_MS", 1000),
            snapshot_ttl_ms: number("SNAPSHOT_TTL", 60).saturating_mul(1000),
            snapshot_max_stale_s: number("SNAPSHOT_MAX_STALE", 86_400).max(60),
            api_timeout_ms: number("API_TIMEOUT_MS", 300),
            visitor_cookie: text("VISITOR_COOKIE").unwrap_or_else(|| "wm_vid".into()),
            consent_cookie: text("CONSENT_COOKIE").unwrap_or_else(|| "wm_consent".into()),
            cookie_needs_consent: text("COOKIE_CONSENT").as_deref() != Some("not-required"),
            inline_input: text("DECIDE_INLINE_INPUT").as_deref() == Some("trusted"),
            retry_ms: text("EVENT_RETRY_MS")
                .map(|v| v.split(',').filter_map(|d| d.trim().parse().ok()).collect())
                .unwrap_or_else(|| vec![1000, 5000]),
            sync_token: text("SYNC_TOKEN"),
        }
    }

    /// The central API's URL and client key, when both are configured.
    pub fn api(&self) -> Option<(&str, &str)> {
        Some((self.api_url.as_deref()?, self.client_key.as_deref()?))
    }
}

fn public_key(base64: &str) -> Option<VerifyingKey> {
    let bytes: [u8; 32] = B64.decode(base64).ok()?.try_into().ok()?;
    VerifyingKey::from_bytes(&bytes).ok()
}
