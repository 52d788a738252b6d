//! Activities: content for surfaces, shown to an audience on a schedule, optionally as an
//! experiment, subject to caps and quiet hours.

use serde::{Deserialize, Serialize};

use super::Condition;
use super::content::{Channel, Content};
use super::surface::Surface;

/// One piece of personalisation: what to show where, to whom, and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Activity {
    /// Unique among the activities; reasons, tokens and reports use it.
    pub id: String,
    /// For people (Studio, reports).
    #[serde(default)]
    pub name: String,
    /// The surfaces it applies to; wildcards allowed.
    pub surfaces: Vec<Surface>,
    /// Who qualifies; everyone when absent.
    pub audience: Option<Condition>,
    /// When it is live.
    #[serde(default)]
    pub schedule: Schedule,
    /// 0–100; higher wins conflicts on the same surface.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(range(max = 100)))]
    pub priority: u8,
    /// The content everyone in the audience sees, unless an experiment splits them.
    pub content: Option<Content>,
    /// Splits the audience between variants; give either this or `content`.
    pub experiment: Option<Experiment>,
    /// Per-visitor (or global) limits on its displays, clicks or other events.
    #[serde(default)]
    pub caps: Vec<Cap>,
    /// Periods in the profile's time zone when the activity does not show.
    #[serde(default)]
    pub quiet_hours: Vec<TimeWindow>,
}

impl Activity {
    /// The channel of its content (the variants of an experiment share one channel).
    pub fn channel(&self) -> Option<Channel> {
        match (&self.content, &self.experiment) {
            (Some(content), _) => Some(content.channel()),
            (None, Some(experiment)) => experiment
                .variants
                .iter()
                .find_map(|v| v.content.as_ref().map(Content::channel)),
            (None, None) => None,
        }
    }
}

/// When something is live: from `start` (inclusive) to `end` (exclusive), RFC 3339.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Schedule {
    /// RFC 3339 (`2026-12-01T00:00:00Z`, `2026-12-01T09:00:00+01:00`); live from then on.
    pub start: Option<String>,
    /// RFC 3339; not live from then on. Must be after `start`.
    pub end: Option<String>,
}

/// An experiment over an activity's audience.
///
/// Each unit (the visitor id) falls in a bucket `hash::bucket(seed, unit)` in `0..10000`. Buckets
/// below `holdout` are held out and see nothing from the activity; the rest are split between the
/// variants in proportion to their weights (or the bandit weights, when the bundle carries them).
/// Assignments are sticky: once made they are kept in the visitor's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Experiment {
    /// Unique among the experiments; assignments are kept under it.
    pub id: String,
    /// Defaults to the experiment id; change it to reshuffle everyone.
    pub seed: Option<String>,
    /// Buckets (out of 10000) held out of the activity.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(range(max = 10000)))]
    pub holdout: u32,
    /// The arms, in the order buckets are given out.
    pub variants: Vec<Variant>,
    /// Per-variant weights recomputed by the central API (Thompson sampling); used for new
    /// assignments instead of the authored weights when present.
    pub bandit: Option<Vec<f64>>,
    /// What the central API's bandit and report count as a success; clicks when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reward: Option<Reward>,
}

/// An experiment's success: `"click"` (a click per display, the default), or the name of a
/// custom event (a conversion) a visitor sends within `windowHours` after a display of the
/// variant (a conversion per visitor shown the variant).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Reward {
    /// `click`, or a custom event's name (not `display` or `dismiss`).
    #[cfg_attr(feature = "schema", schemars(length(min = 1)))]
    pub event: String,
    /// The attribution window of a conversion, in hours after the display (1 to 720; 168, a
    /// week, when absent). Clicks ignore it.
    #[cfg_attr(feature = "schema", schemars(range(min = 1, max = 720)))]
    pub window_hours: Option<u32>,
}

impl Reward {
    /// The attribution window when none is given: 168 hours (a week).
    pub const DEFAULT_WINDOW_HOURS: u32 = 168;

    /// Whether the reward is a click (else a conversion).
    pub fn is_click(&self) -> bool {
        self.event == "click"
    }

    /// The attribution window in milliseconds.
    pub fn window_ms(&self) -> i64 {
        i64::from(self.window_hours.unwrap_or(Self::DEFAULT_WINDOW_HOURS)) * 3_600_000
    }
}

impl Experiment {
    /// The seed buckets are computed with.
    pub fn seed(&self) -> &str {
        self.seed.as_deref().unwrap_or(&self.id)
    }
}

/// One arm of an experiment. A variant without content is a control that shows the page as is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Variant {
    /// Unique within the experiment; the proposition's `variantId`.
    pub id: String,
    /// Relative traffic weight.
    pub weight: u32,
    /// What this arm shows; none for a control.
    pub content: Option<Content>,
}

/// A cap: at most `max` events of a kind per period, counted per visitor (the default) or, with
/// `"scope": "global"`, across all visitors together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Cap {
    /// What is counted: displays, clicks, or a named custom event.
    #[serde(default)]
    pub event: CapEvent,
    /// Over which period events count, in the profile's time zone.
    pub period: Period,
    /// The item is skipped once this many events are counted.
    pub max: u32,
    /// Whose events count: the visitor's own (`"profile"`, the default), or everyone's
    /// (`"global"`, period `"lifetime"` only).
    #[serde(default, skip_serializing_if = "CapScope::is_profile")]
    pub scope: CapScope,
}

/// Whose events a cap counts.
///
/// A runtime sees one visitor, so it enforces only `profile` caps. A `global` cap (e.g. the
/// first 1,000 redemptions of an offer) is counted by the central API over every ingested
/// event; when the count reaches `max` the API republishes the bundle with the item in
/// `exhausted`, and runtimes skip it from their next sync with the reason `exhausted`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub enum CapScope {
    /// Each visitor's own events, counted by the engine.
    #[default]
    Profile,
    /// Everyone's events together, counted by the central API.
    Global,
}

impl CapScope {
    /// Whether this is the default, per-visitor scope.
    pub fn is_profile(&self) -> bool {
        *self == CapScope::Profile
    }
}

/// The events a cap counts: `"display"`, `"click"`, `"dismiss"`, or any other name for a custom
/// event type.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(with = "String"))]
#[serde(from = "String", into = "String")]
pub enum CapEvent {
    #[default]
    Display,
    Click,
    Dismiss,
    /// A custom event type.
    Custom(String),
}

impl CapEvent {
    /// The event type counted.
    pub fn name(&self) -> &str {
        match self {
            CapEvent::Display => "display",
            CapEvent::Click => "click",
            CapEvent::Dismiss => "dismiss",
            CapEvent::Custom(name) => name,
        }
    }
}

impl From<String> for CapEvent {
    fn from(name: String) -> CapEvent {
        match name.as_str() {
            "display" => CapEvent::Display,
            "click" => CapEvent::Click,
            "dismiss" => CapEvent::Dismiss,
            _ => CapEvent::Custom(name),
        }
    }
}

impl From<CapEvent> for String {
    fn from(event: CapEvent) -> String {
        event.name().to_owned()
    }
}

/// Cap periods. Days, weeks (starting Monday) and months are calendar periods in the profile's
/// time zone; a session is the host's session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub enum Period {
    Session,
    Day,
    Week,
    Month,
    Lifetime,
}

impl Period {
    /// The period's name as written in bundles.
    pub fn name(self) -> &'static str {
        match self {
            Period::Session => "session",
            Period::Day => "day",
            Period::Week => "week",
            Period::Month => "month",
            Period::Lifetime => "lifetime",
        }
    }
}

/// What the schema says of a time of day; `validate::parse_hhmm` decides.
#[cfg(feature = "schema")]
const HHMM: &str = "^([01][0-9]|2[0-3]):[0-5][0-9]$";

/// A daily window `from`–`to` ("HH:MM", 24 h; may cross midnight) on the given weekdays
/// (1 = Monday … 7 = Sunday; every day when empty).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TimeWindow {
    /// The window's start, inclusive.
    #[cfg_attr(feature = "schema", schemars(regex(pattern = HHMM)))]
    pub from: String,
    /// The window's end, exclusive; at or before `from`, the window crosses midnight.
    #[cfg_attr(feature = "schema", schemars(regex(pattern = HHMM)))]
    pub to: String,
    /// The weekdays it starts on; every day when empty.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(inner(range(min = 1, max = 7))))]
    pub days: Vec<u8>,
}

/// A cap across everything on a channel (e.g. at most 2 in-app messages a day).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChannelCap {
    /// The channel whose activities it counts together.
    pub channel: Channel,
    /// What is counted (displays by default).
    #[serde(default)]
    pub event: CapEvent,
    /// Over which period, in the profile's time zone.
    pub period: Period,
    /// Activities of the channel are skipped once this many events are counted.
    pub max: u32,
}
