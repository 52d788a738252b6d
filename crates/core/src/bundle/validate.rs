//! Turning JSON into a [`Bundle`] and checking what types alone cannot: unique ids, references,
//! ranges. Every problem is collected with its JSON pointer rather than stopping at the first.

use std::collections::{BTreeMap, BTreeSet};

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::error::push_pointer;
use super::{
    Activity, Bundle, BundleErrors, Cap, CapScope, Condition, Content, DecisionPolicy, FORMAT,
    Offer, Period, Placement, Problem, TimeWindow,
};

type ElementCheck = fn(&Value) -> Result<(), Problem>;

/// Deserializes and checks a bundle, collecting every problem. Elements of the lists that fail
/// to deserialize are reported and left out, so the rest is still checked.
pub(super) fn load(value: Value) -> Result<Bundle, BundleErrors> {
    let Value::Object(mut map) = value else {
        return Err(BundleErrors::one("", "a bundle is a JSON object"));
    };
    check_format(map.get("format"))?;

    let mut problems = Vec::new();
    // For each list, the original index of every element kept.
    let mut kept: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let lists: [(&str, ElementCheck); 4] = [
        ("activities", try_element::<Activity>),
        ("offers", try_element::<Offer>),
        ("placements", try_element::<Placement>),
        ("policies", try_element::<DecisionPolicy>),
    ];
    for (key, try_one) in lists {
        let Some(Value::Array(items)) = map.get_mut(key) else {
            continue;
        };
        let mut indexes = Vec::with_capacity(items.len());
        let mut index = 0;
        items.retain(|item| {
            let ok = match try_one(item) {
                Ok(()) => {
                    indexes.push(index);
                    true
                }
                Err(mut problem) => {
                    problem.pointer = format!("/{key}/{index}{}", problem.pointer);
                    problems.push(problem);
                    false
                }
            };
            index += 1;
            ok
        });
        kept.insert(key, indexes);
    }

    let bundle = match from_value::<Bundle>(&Value::Object(map)) {
        Ok(bundle) => bundle,
        Err(problem) => {
            problems.push(problem);
            return Err(BundleErrors(problems));
        }
    };
    for mut problem in check(&bundle) {
        problem.pointer = original_pointer(&problem.pointer, &kept);
        problems.push(problem);
    }
    if problems.is_empty() {
        Ok(bundle)
    } else {
        Err(BundleErrors(problems))
    }
}

/// Maps `/list/i/...` in the bundle with bad elements left out back to the document's index.
fn original_pointer(pointer: &str, kept: &BTreeMap<&str, Vec<usize>>) -> String {
    let mut parts = pointer.splitn(4, '/').skip(1);
    let (Some(list), Some(index)) = (parts.next(), parts.next()) else {
        return pointer.to_owned();
    };
    let original = kept
        .get(list)
        .zip(index.parse::<usize>().ok())
        .and_then(|(indexes, i)| indexes.get(i));
    match (original, parts.next()) {
        (Some(original), Some(rest)) => format!("/{list}/{original}/{rest}"),
        (Some(original), None) => format!("/{list}/{original}"),
        (None, _) => pointer.to_owned(),
    }
}

fn check_format(format: Option<&Value>) -> Result<(), BundleErrors> {
    let problem = match format {
        None => format!("missing; this engine reads bundles of format {FORMAT}"),
        Some(value) => match value.as_u64() {
            Some(FORMAT) => return Ok(()),
            Some(newer) if newer > FORMAT => format!(
                "format {newer} is newer than this engine reads ({FORMAT}); upgrade the runtime"
            ),
            _ => format!("must be the number {FORMAT}, found {value}"),
        },
    };
    Err(BundleErrors::one("/format", problem))
}

fn try_element<T: DeserializeOwned>(value: &Value) -> Result<(), Problem> {
    from_value::<T>(value).map(drop)
}

/// Deserializes `value`; a problem points inside it (feature `pointers`), or at it.
#[cfg(feature = "pointers")]
fn from_value<T: DeserializeOwned>(value: &Value) -> Result<T, Problem> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let mut pointer = String::new();
        for segment in error.path().iter() {
            match segment {
                serde_path_to_error::Segment::Seq { index } => {
                    push_pointer(&mut pointer, &index.to_string())
                }
                serde_path_to_error::Segment::Map { key } => push_pointer(&mut pointer, key),
                serde_path_to_error::Segment::Enum { .. }
                | serde_path_to_error::Segment::Unknown => {}
            }
        }
        Problem {
            pointer,
            message: error.into_inner().to_string(),
        }
    })
}

/// Without the `pointers` feature (the browser build, which receives bundles the central API
/// has validated), a problem points at the list element or at the bundle, not inside it: the
/// code that tracks the way down costs about a third of the deserializers' size.
#[cfg(not(feature = "pointers"))]
fn from_value<T: DeserializeOwned>(value: &Value) -> Result<T, Problem> {
    T::deserialize(value).map_err(|error| Problem {
        pointer: String::new(),
        message: error.to_string(),
    })
}

/// Checks what the types cannot express, collecting every problem.
fn check(bundle: &Bundle) -> Vec<Problem> {
    let mut checker = Checker {
        bundle,
        problems: Vec::new(),
    };
    checker.ids();
    for (index, activity) in bundle.activities.iter().enumerate() {
        checker.activity(&format!("/activities/{index}"), activity);
    }
    for (index, offer) in bundle.offers.iter().enumerate() {
        checker.offer(&format!("/offers/{index}"), offer);
    }
    for (index, policy) in bundle.policies.iter().enumerate() {
        checker.policy(&format!("/policies/{index}"), policy);
    }
    // Placements are found by their page: one that covered every page below a path would
    // never be found, so it is refused rather than silently never decided.
    for (index, placement) in bundle.placements.iter().enumerate() {
        if placement.surface.is_wildcard() {
            checker.problem(
                format!("/placements/{index}/surface"),
                "a placement is on one page: its surface cannot end in `*`",
            );
        }
    }
    for (name, condition) in &bundle.audiences {
        let mut at = String::from("/audiences");
        push_pointer(&mut at, name);
        checker.condition(&at, condition);
    }
    for (index, scheme) in bundle.settings.app_schemes.iter().enumerate() {
        if !super::allowable_scheme(scheme) {
            checker.problem(
                format!("/settings/appSchemes/{index}"),
                format!("`{scheme}` cannot be allowed: a scheme is a letter then letters, digits, + - or ., and not one that runs script or reads files"),
            );
        }
    }
    checker.problems
}

struct Checker<'b> {
    bundle: &'b Bundle,
    problems: Vec<Problem>,
}

impl Checker<'_> {
    fn problem(&mut self, pointer: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            pointer: pointer.into(),
            message: message.into(),
        });
    }

    fn ids(&mut self) {
        let b = self.bundle;
        let experiments = b.activities.iter().filter_map(|a| a.experiment.as_ref());
        let lists: [(&str, &str, Vec<&str>); 5] = [
            (
                "activities",
                "id",
                b.activities.iter().map(|a| a.id.as_str()).collect(),
            ),
            (
                "offers",
                "id",
                b.offers.iter().map(|o| o.id.as_str()).collect(),
            ),
            (
                "placements",
                "id",
                b.placements.iter().map(|p| p.id.as_str()).collect(),
            ),
            (
                "policies",
                "id",
                b.policies.iter().map(|p| p.id.as_str()).collect(),
            ),
            (
                "experiment",
                "id",
                experiments.map(|e| e.id.as_str()).collect(),
            ),
        ];
        for (list, field, ids) in lists {
            let mut seen = BTreeMap::new();
            for (index, id) in ids.into_iter().enumerate() {
                if id.is_empty() {
                    self.problem(format!("/{list}/{index}/{field}"), "must not be empty");
                } else if let Some(first) = seen.insert(id, index) {
                    self.problem(
                        format!("/{list}/{index}/{field}"),
                        format!("duplicate id `{id}` (also at /{list}/{first})"),
                    );
                }
            }
        }
    }

    fn activity(&mut self, at: &str, activity: &Activity) {
        if activity.surfaces.is_empty() {
            self.problem(format!("{at}/surfaces"), "needs at least one surface");
        }
        if activity.priority > 100 {
            self.problem(format!("{at}/priority"), "must be between 0 and 100");
        }
        if let Some(audience) = &activity.audience {
            self.condition(&format!("{at}/audience"), audience);
        }
        match (&activity.content, &activity.experiment) {
            (Some(_), Some(_)) => self.problem(
                format!("{at}/content"),
                "give either `content` or an `experiment` with variants, not both",
            ),
            (None, None) => self.problem(at, "needs `content` or an `experiment`"),
            (Some(content), None) => self.content(&format!("{at}/content"), content),
            (None, Some(experiment)) => {
                let at = format!("{at}/experiment");
                if experiment.variants.is_empty() {
                    self.problem(format!("{at}/variants"), "needs at least one variant");
                }
                if experiment.holdout > crate::hash::BUCKETS {
                    self.problem(format!("{at}/holdout"), "is out of 10000 buckets");
                }
                if experiment.variants.iter().all(|v| v.weight == 0) {
                    self.problem(format!("{at}/variants"), "weights must not all be 0");
                }
                let mut ids = BTreeSet::new();
                let mut channels = BTreeSet::new();
                for (index, variant) in experiment.variants.iter().enumerate() {
                    if !ids.insert(variant.id.as_str()) {
                        self.problem(format!("{at}/variants/{index}/id"), "duplicate variant id");
                    }
                    if let Some(content) = &variant.content {
                        channels.insert(content.channel());
                        self.content(&format!("{at}/variants/{index}/content"), content);
                    }
                }
                if channels.len() > 1 {
                    self.problem(format!("{at}/variants"), "variants must share one channel");
                }
                if let Some(reward) = &experiment.reward {
                    if matches!(reward.event.as_str(), "" | "display" | "dismiss") {
                        self.problem(
                            format!("{at}/reward/event"),
                            "must be `click` or a custom event's name",
                        );
                    }
                    if reward.window_hours.is_some_and(|h| !(1..=720).contains(&h)) {
                        self.problem(
                            format!("{at}/reward/windowHours"),
                            "must be from 1 to 720 hours",
                        );
                    }
                }
                if let Some(weights) = &experiment.bandit {
                    if weights.len() != experiment.variants.len() {
                        self.problem(format!("{at}/bandit"), "needs one weight per variant");
                    }
                    for (index, weight) in weights.iter().enumerate() {
                        if !weight.is_finite() || *weight < 0.0 {
                            self.problem(
                                format!("{at}/bandit/{index}"),
                                "a weight must be finite and ≥ 0",
                            );
                        }
                    }
                }
            }
        }
        for (index, window) in activity.quiet_hours.iter().enumerate() {
            self.window(&format!("{at}/quietHours/{index}"), window);
        }
        self.caps(at, &activity.caps);
    }

    /// A global cap counts over the item's lifetime: the central API never resets its count.
    fn caps(&mut self, at: &str, caps: &[Cap]) {
        for (index, cap) in caps.iter().enumerate() {
            if cap.scope == CapScope::Global && cap.period != Period::Lifetime {
                self.problem(
                    format!("{at}/caps/{index}/period"),
                    format!(
                        "a global cap counts everyone's events since the first one: its period must be `lifetime`, not `{}`",
                        cap.period.name()
                    ),
                );
            }
        }
    }

    fn content(&mut self, at: &str, content: &Content) {
        if let Content::Web { actions } = content {
            for (index, action) in actions.iter().enumerate() {
                if action.selector.trim().is_empty() {
                    self.problem(
                        format!("{at}/actions/{index}/selector"),
                        "must not be empty",
                    );
                }
                if let super::WebActionKind::SetAttribute { attributes } = &action.kind {
                    for name in attributes.keys() {
                        if is_event_handler(name) {
                            let mut pointer = format!("{at}/actions/{index}/attributes");
                            push_pointer(&mut pointer, name);
                            self.problem(
                                pointer,
                                format!("`{name}` is an event handler: attributes cannot carry script (use trackClicks for clicks)"),
                            );
                        }
                    }
                }
            }
        }
    }

    fn offer(&mut self, at: &str, offer: &Offer) {
        if let Some(eligibility) = &offer.eligibility {
            self.condition(&format!("{at}/eligibility"), eligibility);
        }
        self.caps(at, &offer.caps);
        for placement in offer.representations.keys() {
            if !self.bundle.placements.iter().any(|p| &p.id == placement) {
                let mut pointer = format!("{at}/representations");
                push_pointer(&mut pointer, placement);
                self.problem(pointer, format!("no placement has the id `{placement}`"));
            }
        }
    }

    fn policy(&mut self, at: &str, policy: &DecisionPolicy) {
        if !self
            .bundle
            .placements
            .iter()
            .any(|p| p.id == policy.placement)
        {
            self.problem(
                format!("{at}/placement"),
                format!("no placement has the id `{}`", policy.placement),
            );
        }
        if policy.top == 0 {
            self.problem(format!("{at}/top"), "must be at least 1");
        }
        if let Some(collection) = &policy.collection {
            self.condition(&format!("{at}/collection"), collection);
        }
        if let Some(fallback) = &policy.fallback {
            match self.bundle.offers.iter().find(|o| &o.id == fallback) {
                None => self.problem(
                    format!("{at}/fallback"),
                    format!("no offer has the id `{fallback}`"),
                ),
                Some(offer) if !offer.representations.contains_key(&policy.placement) => self
                    .problem(
                        format!("{at}/fallback"),
                        format!(
                            "offer `{fallback}` has no representation for placement `{}`",
                            policy.placement
                        ),
                    ),
                Some(_) => {}
            }
        }
    }

    fn condition(&mut self, at: &str, condition: &Condition) {
        if let Condition::Audience { audience } = condition
            && !self.bundle.audiences.contains_key(audience)
        {
            self.problem(
                format!("{at}/audience"),
                format!("no audience is named `{audience}`"),
            );
        }
    }

    fn window(&mut self, at: &str, window: &TimeWindow) {
        for (field, value) in [("from", &window.from), ("to", &window.to)] {
            if parse_hhmm(value).is_none() {
                self.problem(
                    format!("{at}/{field}"),
                    format!("`{value}` is not a time as HH:MM"),
                );
            }
        }
        for (index, day) in window.days.iter().enumerate() {
            if !(1..=7).contains(day) {
                self.problem(
                    format!("{at}/days/{index}"),
                    format!("{day} is not a day: days run from 1 (Monday) to 7 (Sunday)"),
                );
            }
        }
    }
}

/// Minutes after midnight of a `HH:MM` time.
pub(crate) fn parse_hhmm(text: &str) -> Option<u16> {
    let (hours, minutes) = text.split_once(':')?;
    let two_digits = |s: &str| s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit());
    if !two_digits(hours) || !two_digits(minutes) {
        return None;
    }
    let hours: u16 = hours.parse().ok()?;
    let minutes: u16 = minutes.parse().ok()?;
    (hours < 24 && minutes < 60).then_some(hours * 60 + minutes)
}

/// Whether an attribute name is an event handler (`on…`, any case). Byte-wise: a name may start
/// with a character of several bytes.
fn is_event_handler(name: &str) -> bool {
    name.len() > 2 && name.as_bytes()[..2].eq_ignore_ascii_case(b"on")
}
