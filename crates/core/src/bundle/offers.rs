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
    pub id: String,
    #[serde(default)]
    pub name: String,
    /// Who may receive it; everyone when absent.
    pub eligibility: Option<Condition>,
    /// Higher ranks first under priority ranking.
    #[serde(default)]
    pub priority: i32,
    #[serde(default)]
    pub schedule: Schedule,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Catalogue attributes, usable in eligibility conditions, collection filters, ranking
    /// formulas and representation templates as `offer.attributes.<key>` (in the bundle's key
    /// order, like all JSON data). Those see an offer as `{id, name, priority, tags,
    /// attributes}`; a condition reading any other `offer.<field>` is refused.
    #[serde(default)]
    pub attributes: Map<String, Value>,
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
    Text {
        content: String,
    },
    Html {
        content: String,
    },
    /// An image URL (a template, checked like any URL) and its alt text.
    Image {
        url: String,
        #[serde(default)]
        alt: String,
    },
    /// JSON whose string values are templates.
    Json {
        content: Value,
    },
}

/// Where offers go: a surface and the format it takes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Placement {
    pub id: String,
    pub surface: Surface,
}

/// How a placement's offers are chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DecisionPolicy {
    pub id: String,
    pub placement: String,
    /// Which items are candidates, over `{offer, profile, context}`; all items when absent.
    pub collection: Option<Condition>,
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
    Formula { formula: Expression },
    /// By bandit weights the central API publishes per offer id (unknown offers weigh 0).
    Bandit { weights: BTreeMap<String, f64> },
}
