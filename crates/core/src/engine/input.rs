//! What a decision is made from besides the bundle: the profile snapshot from the central API,
//! the visitor's local state, and the request.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Everything one decision depends on. Time and identity are explicit: the same input always
/// gives the same decision.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DecideInput {
    /// The profile as the central API last served it; an empty profile when absent.
    #[serde(default)]
    pub snapshot: Snapshot,
    /// Request data visible to conditions and templates as `context` (page, cart, device...).
    #[serde(default)]
    pub context: Value,
    /// The visitor's local state as persisted by the host.
    #[serde(default)]
    pub state: State,
    /// "Now", unix milliseconds.
    pub now: i64,
    pub request: Request,
}

/// A profile snapshot: the attributes the bundle uses, consent, and counters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    /// The profile id; also the unit experiments bucket on (else `state.visitorId`).
    #[serde(default)]
    pub profile_id: String,
    /// Visible to conditions and templates as `profile`.
    #[serde(default)]
    pub attributes: Value,
    /// Audience memberships computed centrally; visible as `profile.audiences`.
    #[serde(default)]
    pub audiences: Vec<String>,
    #[serde(default)]
    pub consent: Consent,
    /// IANA time zone for calendar caps, quiet hours and the date helpers; UTC when absent or
    /// unknown.
    pub time_zone: Option<String>,
    /// The POSIX TZ rule of `time_zone` (`CET-1CEST,M3.5.0,M10.5.0/3`), as the central API
    /// serves it. When present it is the zone's rule; when absent, an engine loaded from a
    /// compiled bundle knows only the zones the bundle carries (an engine compiled from JSON
    /// also knows its built-in table), and treats any other zone as unknown.
    pub time_zone_rule: Option<String>,
    #[serde(default)]
    pub counters: Counters,
}

/// The visitor's consent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Consent {
    #[serde(default)]
    pub personalize: ConsentState,
}

/// A consent answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub enum ConsentState {
    In,
    Out,
    #[default]
    Pending,
}

/// Central event counts per target, up to `watermark`; local events after it add to them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Counters {
    /// Unix ms of the newest event the central API counted.
    #[serde(default)]
    pub watermark: i64,
    #[serde(default)]
    pub items: Vec<Counter>,
}

/// Counts of one event kind for one activity or offer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Counter {
    /// An activity or offer id.
    pub target: String,
    /// `display`, `click`, `dismiss` or a custom event name.
    pub event: String,
    #[serde(default)]
    pub total: u64,
    /// Counts per calendar day (`YYYY-MM-DD`, in the profile's time zone).
    #[serde(default)]
    pub days: BTreeMap<String, u64>,
}

/// What the host keeps for the visitor between decisions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct State {
    /// The visitor's own id (anonymous), used for bucketing when the snapshot has no profile id.
    #[serde(default)]
    pub visitor_id: String,
    /// When the current session started (unix ms); session caps count events since then.
    #[serde(default)]
    pub session_start: i64,
    /// Sticky experiment assignments: experiment id → variant id (or `"holdout"`).
    #[serde(default)]
    pub assignments: BTreeMap<String, String>,
    /// Recent events, oldest first (see [`State::record`](crate::engine::State::record)).
    #[serde(default)]
    pub events: Vec<LocalEvent>,
}

/// An event the visitor caused, as kept in local state and visible to conditions as `events`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct LocalEvent {
    /// `display`, `click`, `dismiss`, or a custom event name such as `addToCart`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// Unix ms.
    pub timestamp: i64,
    /// The activity or offer it concerns, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// Free data (e.g. the product viewed), visible to conditions.
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub data: Value,
}

/// What to decide.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Request {
    /// Surfaces to resolve. A page surface (no `#fragment`) resolves every activity on the page
    /// and every placement on it.
    pub surfaces: Vec<String>,
    /// The event that triggered this decision (for in-app triggers), if any.
    pub event: Option<LocalEvent>,
}
