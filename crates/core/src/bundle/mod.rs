//! The delivery bundle: everything the engine decides with, published by the central API and
//! synced by every runtime.
//!
//! A bundle is JSON with `"format": 1`. [`Bundle::from_json`] parses and validates it and
//! reports every problem it finds with the JSON pointer of the offending value; a bundle that
//! fails never replaces a good one, because callers only swap in a bundle that loaded.

mod activity;
mod content;
mod error;
mod offers;
mod surface;
mod validate;
mod wire;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use activity::{
    Activity, Cap, CapEvent, CapScope, ChannelCap, Experiment, Period, Reward, Schedule,
    TimeWindow, Variant,
};
pub use content::{
    Button, Card, CardTemplate, Channel, CodeBased, Content, DisplayFrequency, Image, InApp,
    InAppBody, Layout, Position, Trigger, WebAction, WebActionKind,
};
pub(crate) use error::push_pointer;
pub use error::{BundleErrors, Problem};
pub use offers::{DecisionPolicy, Offer, Placement, Ranking, Representation};
pub use surface::{Surface, SurfaceError};
pub(crate) use validate::parse_hhmm;

/// The bundle format this engine reads.
pub const FORMAT: u64 = 1;

/// A delivery bundle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Bundle {
    /// Always 1 for this engine; a newer format is refused with a clear error.
    pub format: u64,
    /// Names the bundle in reports and logs.
    pub id: String,
    /// Set by the central API on publication; increases with every publication.
    #[serde(default)]
    pub revision: u64,
    /// Bundle-wide settings.
    #[serde(default)]
    pub settings: Settings,
    /// Named conditions that activities and offers refer to with `{"audience": "name"}`.
    #[serde(default)]
    pub audiences: BTreeMap<String, Condition>,
    /// Named template fragments usable as `{{> name}}` in every template.
    #[serde(default)]
    pub partials: BTreeMap<String, String>,
    /// Web changes, cards, in-app messages and code-based experiences.
    #[serde(default)]
    pub activities: Vec<Activity>,
    /// The offer catalogue.
    #[serde(default)]
    pub offers: Vec<Offer>,
    /// Where offers show.
    #[serde(default)]
    pub placements: Vec<Placement>,
    /// How each placement's offers are chosen.
    #[serde(default)]
    pub policies: Vec<DecisionPolicy>,
    /// Activities and offers the engine skips with the reason `exhausted`. The central API
    /// writes here the items whose `"scope": "global"` caps its event counts have reached,
    /// besides any id the author lists.
    #[serde(default)]
    pub exhausted: Vec<String>,
    /// Activities and offers paused by the central API (`POST /v1/activities/{id}/pause`): they
    /// are skipped with the reason `paused` until resumed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paused: Vec<String>,
}

/// Bundle-wide settings.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Settings {
    /// Whether to personalise while the visitor's consent is still pending (default: no).
    #[serde(default)]
    pub personalize_when_consent_pending: bool,
    /// Caps across every activity of a channel.
    #[serde(default)]
    pub channel_caps: Vec<ChannelCap>,
    /// How many cards a feed surface returns at most (default 10).
    pub card_feed_size: Option<u32>,
    /// URL schemes of the brand's own apps (`shopapp` for `shopapp://product/42`) allowed in
    /// rendered URLs besides http, https, mailto, tel and sms: deep links in cards, in-app
    /// buttons and webviews. Any other scheme renders as `about:invalid#waymark`.
    #[serde(default)]
    pub app_schemes: Vec<String>,
}

/// Schemes a bundle may never allow: they run script, read files or embed documents.
pub(crate) const FORBIDDEN_SCHEMES: [&str; 7] = [
    "javascript",
    "vbscript",
    "data",
    "file",
    "blob",
    "filesystem",
    "about",
];

/// Whether `scheme` is a URL scheme a bundle may allow: RFC 3986 syntax, not forbidden.
pub(crate) fn allowable_scheme(scheme: &str) -> bool {
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !FORBIDDEN_SCHEMES
            .iter()
            .any(|f| f.eq_ignore_ascii_case(scheme))
}

/// A condition (or, for ranking formulas, any expression): the text language, JsonLogic, or a
/// reference to a named audience.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum Condition {
    /// `profile.loyalty.tier == "gold" and cart.total > 100`
    Text(String),
    /// `{"jsonlogic": {"==": [{"var": "profile.loyalty.tier"}, "gold"]}}`
    JsonLogic { jsonlogic: Value },
    /// `{"audience": "gold-members"}`
    Audience { audience: String },
}

pub(crate) fn parse_json(text: &str) -> Result<Value, BundleErrors> {
    serde_json::from_str(text).map_err(|e| BundleErrors::one("", format!("not JSON: {e}")))
}

/// Parses and checks a bundle's structure and references, without compiling it.
pub(crate) fn load_unchecked(text: &str) -> Result<Bundle, BundleErrors> {
    validate::load(parse_json(text)?)
}

/// A numeric expression, written like a condition.
pub type Expression = Condition;

impl Bundle {
    /// Parses and validates a bundle. On failure, every problem found, each with its pointer.
    pub fn from_json(text: &str) -> Result<Bundle, BundleErrors> {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| BundleErrors::one("", format!("not JSON: {e}")))?;
        Bundle::from_value(value)
    }

    /// Validates an already parsed JSON document as a bundle: its structure, its references, and
    /// that every condition and template compiles.
    pub fn from_value(value: Value) -> Result<Bundle, BundleErrors> {
        crate::engine::Engine::new(validate::load(value)?).map(crate::engine::Engine::into_bundle)
    }

    /// Which of `attributes` (a profile's) the bundle's conditions and templates may read: the
    /// snapshot projection. This compiles the bundle; to project many profiles, compile once
    /// with [`Engine`](crate::engine::Engine) and use [`Engine::projection`](crate::engine::Engine::projection).
    pub fn profile_projection(&self, attributes: &Value) -> Value {
        match crate::engine::Engine::new(self.clone()) {
            Ok(engine) => engine.projection().apply(attributes),
            // A bundle that does not compile reads nothing.
            Err(_) => Value::Object(serde_json::Map::new()),
        }
    }
}
