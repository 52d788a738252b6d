//! What a decision returns: the chosen content per surface and placement, tracking metadata, the
//! reasons for every candidate, and the state changes for the host to persist.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::bundle::{Channel, Layout, Position, WebActionKind};

/// The result of [`Engine::decide`](super::Engine::decide).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    /// Identifies this decision; events echo it. A hash of the inputs, so deterministic.
    pub decision_id: String,
    /// The bundle revision decided with.
    pub bundle_revision: u64,
    /// Chosen activities, in surface order then priority order.
    pub propositions: Vec<Proposition>,
    /// Chosen offers per placement.
    pub offers: Vec<PlacementDecision>,
    /// Why each candidate was chosen, skipped or suppressed.
    pub reasons: super::Reasons,
    /// What the host should persist (new sticky assignments).
    pub state_changes: StateChanges,
    /// Problems met while rendering or evaluating (type mismatches, missing values...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub diagnostics: Vec<String>,
}

/// One activity chosen for one surface.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Proposition {
    /// The requested surface it was chosen for.
    pub surface: String,
    pub activity_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub experiment_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant_id: Option<String>,
    pub channel: Channel,
    pub priority: u8,
    /// The rendered content; `None` for an experiment's control variant, which shows the page as
    /// it is but is still tracked.
    pub content: Option<Rendered>,
    /// Echoed in display, click and dismiss events: `decisionId:activityId:variantId`.
    pub token: String,
}

/// Content with every template rendered for the visitor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "channel", rename_all = "camelCase")]
pub enum Rendered {
    Web { actions: Vec<RenderedAction> },
    Card(Box<RenderedCard>),
    InApp(Box<RenderedInApp>),
    Code { format: String, content: Value },
}

/// A DOM action with rendered content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct RenderedAction {
    pub selector: String,
    #[serde(flatten)]
    pub kind: WebActionKind,
    #[serde(default)]
    pub track_clicks: bool,
}

/// A rendered content card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct RenderedCard {
    pub id: String,
    pub title: String,
    pub body: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<RenderedImage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_url: Option<String>,
    pub buttons: Vec<RenderedButton>,
    pub dismissible: bool,
    pub template: crate::bundle::CardTemplate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub meta: BTreeMap<String, Value>,
}

/// A rendered image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct RenderedImage {
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dark_url: Option<String>,
    pub alt: String,
}

/// A rendered button.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct RenderedButton {
    pub id: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_url: Option<String>,
    pub dismiss: bool,
}

/// A rendered in-app message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct RenderedInApp {
    pub layout: Layout,
    pub position: Position,
    /// An HTML document for a sandboxed iframe, when authored as HTML.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<RenderedImage>,
    pub buttons: Vec<RenderedButton>,
}

/// The offers chosen for one placement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct PlacementDecision {
    pub placement_id: String,
    pub surface: String,
    pub policy_id: String,
    pub items: Vec<OfferItem>,
}

/// One offer chosen for a placement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct OfferItem {
    pub offer_id: String,
    /// `text`, `html`, `image` or `json`.
    pub format: String,
    /// The rendered representation (a string, or JSON for the json format; `{url, alt}` for
    /// images).
    pub content: Value,
    /// Whether this is the policy's fallback.
    pub fallback: bool,
    /// The ranking score (priority, formula value or bandit weight).
    pub score: f64,
    /// Echoed in events: `decisionId:offerId:placementId`.
    pub token: String,
}

/// The closed set of outcomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    /// Chosen and shown.
    Chosen,
    /// Chosen as an experiment's control: tracked, nothing changes.
    Control,
    /// Chosen as a placement's fallback.
    Fallback,
    /// Consent does not allow personalisation.
    Consent,
    /// Outside its schedule (or a card past its expiry).
    Schedule,
    /// Its audience or eligibility condition is false.
    Audience,
    /// Filtered out by the policy's collection.
    Collection,
    /// A frequency cap is reached.
    Cap,
    /// Paused by the central API (the bundle's paused list).
    Paused,
    /// A global cap is reached (the bundle's exhausted list).
    Exhausted,
    /// In the profile's quiet hours.
    QuietHours,
    /// In the experiment's holdout.
    Holdout,
    /// An in-app message whose trigger did not fire.
    Trigger,
    /// An in-app message already shown as often as its frequency allows.
    Frequency,
    /// A card the visitor dismissed.
    Dismissed,
    /// Lost to a higher-priority candidate for the same surface or selector.
    Conflict,
    /// Another in-app message is shown in this decision (one at a time).
    Suppressed,
    /// Already chosen for another placement in this request.
    Duplicate,
    /// Ranked below the policy's top N.
    Ranked,
    /// Its content failed to render (the detail says why).
    Error,
}

/// What the host persists after a decision.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct StateChanges {
    /// New sticky assignments: experiment id → variant id (or `"holdout"`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub assignments: BTreeMap<String, String>,
}
