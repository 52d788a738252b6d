//! Who the visitor is: the visitor-id cookie (an anonymous profile id, `anon-…`), a visitor token
//! (`Authorization: Bearer wmt.…`, minted by the site's backend), and the consent cookie.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use waymark_core::engine::ConsentState;
use worker::js_sys::{self, Function, Reflect};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::{Headers, Url};

use crate::config::Config;

/// The visitor of one request.
#[derive(Debug, Clone)]
pub struct Visitor {
    /// The visitor id: the cookie's, or a new one.
    pub id: String,
    /// Whether the id is new (no valid cookie came with the request).
    pub new: bool,
    /// A visitor token and the profile id it names, unchecked here: the Worker does not hold the
    /// token secret, so the token goes with every request made for this profile (its snapshot,
    /// its events), and the central API checks it there.
    pub token: Option<(String, String)>,
    /// What the consent cookie says, if anything.
    pub consent: Option<ConsentState>,
}

impl Visitor {
    pub fn from_headers(headers: &Headers, config: &Config) -> Visitor {
        let cookies = headers.get("cookie").ok().flatten().unwrap_or_default();
        let existing = cookie(&cookies, &config.visitor_cookie).filter(|id| is_anonymous(id));
        let consent = match cookie(&cookies, &config.consent_cookie).as_deref() {
            Some("in") => Some(ConsentState::In),
            Some("out") => Some(ConsentState::Out),
            _ => None,
        };
        let token = headers
            .get("authorization")
            .ok()
            .flatten()
            .and_then(|v| v.strip_prefix("Bearer ").map(str::to_owned))
            .and_then(|token| Some((token_profile(&token)?, token)));
        let new = existing.is_none();
        Visitor {
            id: existing.unwrap_or_else(random_id),
            new,
            token,
            consent,
        }
    }

    /// The `Set-Cookie` value for this response, if any: a new visitor id when consent allows
    /// storing it; with the consent cookie saying `out`, never an id, and an existing one expired.
    /// `HttpOnly`: the SDK reads the visitor id from the decision script, not from the cookie.
    pub fn set_cookie(&self, config: &Config, url: &Url) -> Option<String> {
        let secure = if url.scheme() == "https" {
            "; Secure"
        } else {
            ""
        };
        let name = &config.visitor_cookie;
        if self.consent == Some(ConsentState::Out) {
            return (!self.new)
                .then(|| format!("{name}=; Path=/; Max-Age=0; SameSite=Lax; HttpOnly{secure}"));
        }
        let allowed = !config.cookie_needs_consent || self.consent == Some(ConsentState::In);
        (self.new && allowed).then(|| {
            format!(
                "{name}={}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly{secure}",
                self.id
            )
        })
    }

    /// The token's `exp` (unix seconds), if it carries one (unchecked, like [`Visitor::token`]).
    pub fn token_expiry(&self) -> Option<u64> {
        let (_, token) = self.token.as_ref()?;
        token_payload(token)?.get("exp")?.as_u64()
    }
}

/// The value of cookie `name` in a `Cookie` header.
fn cookie(header: &str, name: &str) -> Option<String> {
    header.split(';').find_map(|pair| {
        let (key, value) = pair.trim().split_once('=')?;
        (key == name).then(|| value.trim_matches('"').to_owned())
    })
}

/// The central API's anonymous-id rule: `anon-` and at least 22 URL-safe characters.
pub fn is_anonymous(id: &str) -> bool {
    id.strip_prefix("anon-").is_some_and(|rest| {
        (22..=120).contains(&rest.len())
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

/// The profile id a visitor token names (`wmt.<base64url {"p": id, "exp": s}>.<mac>`), unchecked.
fn token_profile(token: &str) -> Option<String> {
    token_claims(token).map(|(profile, _)| profile)
}

/// The profile id and `exp` (unix seconds) a visitor token names, unchecked.
pub fn token_claims(token: &str) -> Option<(String, Option<u64>)> {
    let payload = token_payload(token)?;
    let profile = payload.get("p")?.as_str()?.to_owned();
    Some((
        profile,
        payload.get("exp").and_then(serde_json::Value::as_u64),
    ))
}

fn token_payload(token: &str) -> Option<serde_json::Value> {
    let payload = token.strip_prefix("wmt.")?.split('.').next()?;
    serde_json::from_slice(&B64URL.decode(payload).ok()?).ok()
}

/// A fresh anonymous id from the runtime's CSPRNG.
pub fn random_id() -> String {
    format!("anon-{}", random_hex())
}

/// 128 random bits in hex, from the runtime's CSPRNG (`crypto.randomUUID()`, dashes removed).
pub fn random_hex() -> String {
    let uuid = Reflect::get(&js_sys::global(), &JsValue::from_str("crypto"))
        .and_then(|crypto| {
            let f: Function =
                Reflect::get(&crypto, &JsValue::from_str("randomUUID"))?.dyn_into()?;
            f.call0(&crypto)
        })
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default();
    uuid.replace('-', "")
}
