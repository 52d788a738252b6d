//! Offer decisioning: a catalogue of offer items, placements they render into, and decision
//! policies that pick the best eligible items for a placement.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::activity::{Cap, Schedule};
use super::surface::Surface;
use super::{Condition, Expression};

/// An offer item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Offer {
    /// Unique among the offers.
    pub id: String,
    /// For people (Studio, reports); conditions see it as `offer.name`.
    #[serde(default)]
    pub name: String,
    /// Who may receive it; everyone when absent.
    pub eligibility: Option<Condition>,
    /// Higher ranks first under priority ranking.
    #[serde(default)]
    pub priority: i32,
    /// When it may be chosen.
    #[serde(default)]
    pub schedule: Schedule,
    /// Free labels, visible as `offer.tags` (e.g. to filter in a collection).
    #[serde(default)]
    pub tags: Vec<String>,
    /// Catalogue attributes, usable in eligibility conditions, collection filters, ranking
    /// formulas and representation templates as `offer.attributes.<key>` (in the bundle's key
    /// order, like all JSON data). Those see an offer as `{id, name, priority, tags,
    /// attributes}`; a condition reading any other `offer.<field>` is refused.
    #[serde(default)]
    pub attributes: Map<String, Value>,
    /// Per-visitor (or global) limits on its displays, clicks or other events.
    #[serde(default)]
    pub caps: Vec<Cap>,
    /// How the offer looks in each placement, keyed by placement id.
    pub representations: BTreeMap<String, Representation>,
}

/// An offer's content for one placement: a template of the placement's format.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "format", rename_all = "camelCase", deny_unknown_fields)]
pub enum Representation {
    /// Plain text.
    Text {
        /// A template, not escaped (the SDK sets it as text).
        content: String,
    },
    /// HTML.
    Html {
        /// A template whose values are HTML-escaped.
        content: String,
    },
    /// An image URL (a template, checked like any URL) and its alt text.
    Image {
        /// URL-checked.
        url: String,
        /// Text (a template).
        #[serde(default)]
        alt: String,
    },
    /// JSON.
    Json {
        /// Any JSON; its string values are templates, not escaped.
        content: Value,
    },
}

/// Where offers go: a surface and the format it takes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Placement {
    /// Unique among the placements; offers' representations and policies refer to it.
    pub id: String,
    /// Where its offers show, usually a fragment (`web://shop.example/#offer`).
    pub surface: Surface,
}

/// How a placement's offers are chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DecisionPolicy {
    /// Unique among the policies.
    pub id: String,
    /// The placement it decides for (one policy per placement; the first one counts).
    pub placement: String,
    /// Which items are candidates, over `{offer, profile, context}`; all items when absent.
    pub collection: Option<Condition>,
    /// How candidates are ordered (by priority when absent).
    #[serde(default)]
    pub ranking: Ranking,
    /// How many items to return.
    #[serde(default = "one")]
    #[cfg_attr(feature = "schema", schemars(range(min = 1)))]
    pub top: u32,
    /// Shown when nothing else is eligible; never capped, scheduled or filtered.
    pub fallback: Option<String>,
}

fn one() -> u32 {
    1
}

/// How candidates are ordered.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "by", rename_all = "camelCase", deny_unknown_fields)]
pub enum Ranking {
    /// By the offers' priority.
    #[default]
    Priority,
    /// By a numeric expression over `{offer, profile, context}`, highest first; ties go to
    /// priority, then id. An offer whose score is not a number (null, a missing attribute, a
    /// string) ranks after every scored one, with a diagnostic, and shows score 0.
    Formula {
        /// The score: a number over `{offer, profile, context}`.
        formula: Expression,
    },
    /// By bandit weights the central API publishes per offer id (unknown offers weigh 0).
    Bandit {
        /// Offer id → weight, highest first.
        weights: BTreeMap<String, f64>,
    },
}
