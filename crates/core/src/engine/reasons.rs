//! A decision's reasons, kept compact: each is four small numbers over a table of names, most of
//! them the engine's (activity, offer and placement ids, conflict and rank details) and shared by
//! every decision, the rest made by the decision (surfaces, formatted details). Deciding pushes
//! and drops hundreds of reasons; this way that costs no allocation and no reference counting.

use std::fmt;
use std::sync::Arc;

use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::output::Outcome;

/// A string in a [`Reasons`] table: the engine's when below [`MADE`], the decision's above.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Name(u32);

/// Names at or above this are the decision's own.
const MADE: u32 = 1 << 31;

/// "No detail".
const NONE: Name = Name(u32::MAX);

impl Name {
    pub(crate) fn shared(index: usize) -> Name {
        Name(u32::try_from(index).map_or(NONE.0, |i| i.min(MADE - 1)))
    }
}

#[derive(Debug, Clone, Copy)]
struct Record {
    id: Name,
    scope: Name,
    detail: Name,
    outcome: Outcome,
}

/// Why each candidate was chosen, skipped or suppressed, in the order they were considered.
/// Serialises as a list of `{id, scope, outcome, detail?}`.
#[derive(Clone, Default)]
pub struct Reasons {
    shared: Arc<[Box<str>]>,
    made: Vec<Box<str>>,
    records: Vec<Record>,
}

/// One reason, borrowed from [`Reasons`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReasonRef<'r> {
    /// The activity or offer.
    pub id: &'r str,
    /// The surface (activities) or placement (offers) it was considered for.
    pub scope: &'r str,
    pub outcome: Outcome,
    /// Details for people: which cap, which window, who won the conflict.
    pub detail: Option<&'r str>,
}

/// One reason, owned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Reason {
    pub id: String,
    pub scope: String,
    pub outcome: Outcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Reasons {
    /// An empty list over the engine's `shared` names.
    pub(crate) fn new(shared: Arc<[Box<str>]>) -> Reasons {
        Reasons {
            shared,
            made: Vec::new(),
            records: Vec::new(),
        }
    }

    pub(crate) fn reserve(&mut self, additional: usize) {
        self.records.reserve(additional);
    }

    /// Adds a name of this decision's own.
    pub(crate) fn make(&mut self, text: String) -> Name {
        let index = u32::try_from(self.made.len()).unwrap_or(u32::MAX - 1);
        self.made.push(text.into_boxed_str());
        Name(MADE.saturating_add(index).min(u32::MAX - 1))
    }

    pub(crate) fn push(&mut self, id: Name, scope: Name, outcome: Outcome, detail: Option<Name>) {
        self.records.push(Record {
            id,
            scope,
            detail: detail.unwrap_or(NONE),
            outcome,
        });
    }

    /// The text of a name.
    pub(crate) fn text(&self, name: Name) -> &str {
        let found = if name.0 >= MADE {
            self.made.get((name.0 - MADE) as usize)
        } else {
            self.shared.get(name.0 as usize)
        };
        found.map_or("", |text| text)
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    pub fn get(&self, index: usize) -> Option<ReasonRef<'_>> {
        self.records.get(index).map(|r| self.resolve(r))
    }

    pub fn iter(&self) -> Iter<'_> {
        Iter {
            reasons: self,
            records: self.records.iter(),
        }
    }

    /// The reasons as owned values.
    pub fn to_vec(&self) -> Vec<Reason> {
        self.iter().map(ReasonRef::to_owned).collect()
    }

    fn resolve(&self, record: &Record) -> ReasonRef<'_> {
        ReasonRef {
            id: self.text(record.id),
            scope: self.text(record.scope),
            outcome: record.outcome,
            detail: (record.detail != NONE).then(|| self.text(record.detail)),
        }
    }
}

impl ReasonRef<'_> {
    pub fn to_owned(self) -> Reason {
        Reason {
            id: self.id.to_owned(),
            scope: self.scope.to_owned(),
            outcome: self.outcome,
            detail: self.detail.map(str::to_owned),
        }
    }
}

/// The reasons of a [`Reasons`], in order.
#[derive(Debug)]
pub struct Iter<'r> {
    reasons: &'r Reasons,
    records: std::slice::Iter<'r, Record>,
}

impl<'r> Iterator for Iter<'r> {
    type Item = ReasonRef<'r>;

    fn next(&mut self) -> Option<ReasonRef<'r>> {
        self.records.next().map(|r| self.reasons.resolve(r))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.records.size_hint()
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl<'r> IntoIterator for &'r Reasons {
    type Item = ReasonRef<'r>;
    type IntoIter = Iter<'r>;

    fn into_iter(self) -> Iter<'r> {
        self.iter()
    }
}

impl FromIterator<Reason> for Reasons {
    fn from_iter<I: IntoIterator<Item = Reason>>(iter: I) -> Reasons {
        let mut reasons = Reasons::default();
        for reason in iter {
            let id = reasons.make(reason.id);
            let scope = reasons.make(reason.scope);
            let detail = reason.detail.map(|d| reasons.make(d));
            reasons.push(id, scope, reason.outcome, detail);
        }
        reasons
    }
}

impl PartialEq for Reasons {
    fn eq(&self, other: &Reasons) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl fmt::Debug for Reasons {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Serialize for ReasonRef<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let fields = if self.detail.is_some() { 4 } else { 3 };
        let mut out = serializer.serialize_struct("Reason", fields)?;
        out.serialize_field("id", self.id)?;
        out.serialize_field("scope", self.scope)?;
        out.serialize_field("outcome", &self.outcome)?;
        if let Some(detail) = self.detail {
            out.serialize_field("detail", detail)?;
        }
        out.end()
    }
}

impl Serialize for Reasons {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut out = serializer.serialize_seq(Some(self.len()))?;
        for reason in self {
            out.serialize_element(&reason)?;
        }
        out.end()
    }
}

/// In JSON Schema, what it serialises as: a list of [`Reason`]s.
#[cfg(feature = "schema")]
impl schemars::JsonSchema for Reasons {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Reasons".into()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        <Vec<Reason>>::json_schema(generator)
    }
}

impl<'de> Deserialize<'de> for Reasons {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Reasons, D::Error> {
        Ok(Vec::<Reason>::deserialize(deserializer)?
            .into_iter()
            .collect())
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn shared_and_made_names_resolve_and_round_trip() {
        let shared: Arc<[Box<str>]> = vec!["a1".into(), "web://x/#s".into()].into();
        let mut reasons = Reasons::new(shared);
        let detail = reasons.make("lost to a0".into());
        reasons.push(
            Name::shared(0),
            Name::shared(1),
            Outcome::Conflict,
            Some(detail),
        );
        reasons.push(Name::shared(0), Name::shared(1), Outcome::Chosen, None);
        let json = serde_json::to_string(&reasons).unwrap();
        assert_eq!(
            json,
            r#"[{"id":"a1","scope":"web://x/#s","outcome":"conflict","detail":"lost to a0"},{"id":"a1","scope":"web://x/#s","outcome":"chosen"}]"#
        );
        let back: Reasons = serde_json::from_str(&json).unwrap();
        assert_eq!(back, reasons);
        assert_eq!(back.get(1).map(|r| r.outcome), Some(Outcome::Chosen));
        assert_eq!(reasons.to_vec()[0].detail.as_deref(), Some("lost to a0"));
    }

    #[test]
    fn a_name_out_of_range_reads_empty() {
        let reasons = Reasons::default();
        assert_eq!(reasons.text(Name::shared(7)), "");
        assert_eq!(reasons.text(Name(MADE + 3)), "");
    }
}
