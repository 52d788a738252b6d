//! Choosing activities for the requested surfaces.

use crate::bundle::{Activity, Channel, Content, DisplayFrequency, Experiment, Trigger};
use crate::hash;

use super::Run;
use super::fasthash::HashMap;
use super::output::{Outcome, Proposition};
use super::reasons::Name;

/// The assignment kept for units in an experiment's holdout.
pub const HOLDOUT: &str = "holdout";

/// How many cards a feed surface shows unless the bundle says otherwise.
const DEFAULT_FEED_SIZE: u32 = 10;

/// An activity that passed every check but conflicts.
struct Selected<'b> {
    experiment: Option<(&'b Experiment, usize)>,
    content: Option<&'b Content>,
}

/// What has been given away on a surface for a channel.
#[derive(Default)]
struct Claim<'b> {
    /// The surface is taken whole (non-web content, or an experiment's control), with the detail
    /// of those that lose to its taker (`lost to {id}`).
    whole: Option<Name>,
    /// Web selectors taken, with the detail of those that lose to their taker: a handful, so
    /// a list.
    selectors: Vec<(&'b str, Name)>,
    cards: u32,
}

/// A reason's detail: one of the engine's names, or text of this decision.
enum Detail {
    Name(Name),
    Text(String),
}

impl From<&str> for Detail {
    fn from(text: &str) -> Detail {
        Detail::Text(text.to_owned())
    }
}

impl From<String> for Detail {
    fn from(text: String) -> Detail {
        Detail::Text(text)
    }
}

type Skip = (Outcome, Option<Detail>);

/// Scope names, each once, by number.
#[derive(Default)]
struct Scopes {
    names: Vec<String>,
    numbers: HashMap<String, usize>,
}

impl Scopes {
    fn intern(&mut self, name: String) -> usize {
        if let Some(&number) = self.numbers.get(name.as_str()) {
            return number;
        }
        let number = self.names.len();
        self.names.push(name.clone());
        self.numbers.insert(name, number);
        number
    }
}

impl Run<'_> {
    /// Records why activity `index` is skipped on `scope`.
    fn skip(&mut self, index: usize, scope: Name, (outcome, detail): Skip) {
        let detail = detail.map(|detail| match detail {
            Detail::Name(name) => name,
            Detail::Text(text) => self.name(text),
        });
        self.reason(self.engine.activity_name(index), scope, outcome, detail);
    }
}

pub(super) fn decide(run: &mut Run<'_>) -> Vec<Proposition> {
    let engine = run.engine;
    // Candidates across every requested surface, then one global order: priority, id. Scopes
    // are interned: candidates and claims refer to them by number.
    let mut scopes = Scopes::default();
    let mut candidates: Vec<(usize, usize)> = Vec::new();
    let surfaces = std::mem::take(&mut run.surfaces);
    for parsed in &surfaces {
        let surface = match parsed {
            Ok(surface) => surface,
            Err(message) => {
                run.diagnostic(message.clone());
                continue;
            }
        };
        // For a fragment request every candidate's scope is the requested surface itself.
        let requested_scope: Option<usize> = surface
            .fragment()
            .map(|_| scopes.intern(surface.to_string()));
        let exact = engine.by_page.get(surface.page_key());
        let wild = engine.wildcards.get(surface.site_key());
        for &index in exact.into_iter().chain(wild).flatten() {
            let activity = &engine.bundle.activities[index];
            let concrete = match surface.fragment() {
                Some(_) => activity
                    .surfaces
                    .iter()
                    .any(|s| s.covers(surface))
                    .then_some(requested_scope)
                    .flatten(),
                None => activity
                    .surfaces
                    .iter()
                    .find(|s| s.covers_page(surface))
                    .map(|s| scopes.intern(s.on_page(surface).to_string())),
            };
            if let Some(scope) = concrete {
                candidates.push((index, scope));
            }
        }
    }
    run.surfaces = surfaces;
    // Priority descending, then id ascending: the precomputed order (stable, so candidates of
    // the same place keep their request order).
    super::sort::sort_by_key(&mut candidates, |&(index, _)| {
        u128::from(engine.activity_order[index])
    });
    // Each (activity, scope) once, where it first appeared: repeats share a place, so they are
    // in the same run of equal places.
    let mut unique: Vec<(usize, usize)> = Vec::with_capacity(candidates.len());
    let mut start = 0;
    for candidate in candidates {
        let place = engine.activity_order[candidate.0];
        if unique
            .get(start)
            .is_some_and(|&(first, _)| engine.activity_order[first] != place)
        {
            start = unique.len();
        }
        if !unique[start..].contains(&candidate) {
            unique.push(candidate);
        }
    }
    let candidates = unique;
    let scope_names: Vec<Name> = scopes.names.iter().map(|s| run.name(s.clone())).collect();
    let scopes = scopes.names;
    // At most one reason per candidate, and the offers' at most: one allocation for both.
    run.reasons.reserve(candidates.len() + run.offer_reasons);

    let feed_size = engine
        .bundle
        .settings
        .card_feed_size
        .unwrap_or(DEFAULT_FEED_SIZE);
    // Claims per scope number, then per channel.
    let mut claims: Vec<Vec<(Channel, Claim)>> = Vec::new();
    claims.resize_with(scopes.len(), Vec::new);
    let mut in_app: Option<String> = None;
    // At most one per candidate, reserved once: growing it repeatedly costs more.
    let mut propositions = Vec::with_capacity(candidates.len());
    for (index, scope_number) in candidates {
        let scope = &scopes[scope_number];
        let scope_name = scope_names[scope_number];
        let activity = &engine.bundle.activities[index];
        let selected = match check(run, index) {
            Ok(selected) => selected,
            Err(skip) => {
                run.skip(index, scope_name, skip);
                continue;
            }
        };
        let Some(channel) = activity.channel() else {
            continue;
        };
        let slot = &mut claims[scope_number];
        let at = match slot.iter().position(|(c, _)| *c == channel) {
            Some(at) => at,
            None => {
                slot.push((channel, Claim::default()));
                slot.len() - 1
            }
        };
        let claim = &mut slot[at].1;
        if let Some(skip) = conflict(claim, channel, &selected, feed_size, in_app.as_deref()) {
            run.skip(index, scope_name, skip);
            continue;
        }
        let rendered = match selected.content {
            Some(content) => match run.render_content(&activity.id, content) {
                Ok(rendered) => Some(rendered),
                Err(message) => {
                    run.skip(index, scope_name, (Outcome::Error, Some(message.into())));
                    continue;
                }
            },
            None => None,
        };
        take(claim, channel, &selected, engine.lost_to(index));
        if channel == Channel::InApp {
            in_app = Some(activity.id.clone());
        }
        let (experiment_id, variant_id) = match selected.experiment {
            Some((experiment, v)) => (
                Some(experiment.id.clone()),
                experiment.variants.get(v).map(|v| v.id.clone()),
            ),
            None => (None, None),
        };
        let outcome = if rendered.is_some() {
            Outcome::Chosen
        } else {
            Outcome::Control
        };
        let detail = variant_id
            .as_ref()
            .map(|v| Detail::Text(format!("variant {v}")));
        run.skip(index, scope_name, (outcome, detail));
        propositions.push(Proposition {
            token: super::token(
                &run.decision_id,
                &activity.id,
                variant_id.as_deref().unwrap_or(""),
            ),
            surface: scope.to_string(),
            activity_id: activity.id.clone(),
            experiment_id,
            variant_id,
            channel,
            priority: activity.priority,
            content: rendered,
        });
    }
    propositions
}

/// Every check but conflicts, in the documented order.
fn check<'b>(run: &mut Run<'b>, index: usize) -> Result<Selected<'b>, Skip> {
    let engine = run.engine;
    let activity: &'b Activity = &engine.bundle.activities[index];
    let compiled = &engine.activities[index];
    let now = run.input.now;
    if !run.consent {
        return Err((Outcome::Consent, None));
    }
    if compiled.paused {
        return Err((Outcome::Paused, None));
    }
    if compiled.exhausted {
        return Err((Outcome::Exhausted, None));
    }
    if compiled.start.is_some_and(|start| now < start) {
        return Err((Outcome::Schedule, Some("not started".into())));
    }
    if compiled.end.is_some_and(|end| now >= end) {
        return Err((Outcome::Schedule, Some("ended".into())));
    }
    if let Some(audience) = &compiled.audience
        && !run.holds(audience, &activity.id)
    {
        return Err((Outcome::Audience, None));
    }
    if let Some(window) = activity.quiet_hours.iter().find(|w| run.clock.in_window(w)) {
        return Err((
            Outcome::QuietHours,
            Some(format!("{}–{}", window.from, window.to).into()),
        ));
    }
    let content = primary_content(activity);
    let tally = run.tally();
    match content {
        Some(Content::InApp(message)) => {
            let event = run.input.request.event.as_ref();
            let fired = match &message.trigger {
                Trigger::PageView => event.is_none_or(|e| e.event_type == "pageView"),
                Trigger::Event { event_type, .. } => {
                    event.is_some_and(|e| &e.event_type == event_type)
                }
            };
            if !fired {
                return Err((Outcome::Trigger, None));
            }
            let seen = |event| tally.of(&activity.id, event, crate::bundle::Period::Lifetime);
            let exhausted = match message.frequency {
                DisplayFrequency::EveryTime => None,
                DisplayFrequency::Once => {
                    (seen("display") >= 1).then(|| Detail::from("shown once"))
                }
                DisplayFrequency::UntilClicked => {
                    (seen("click") >= 1).then(|| Detail::from("clicked"))
                }
                DisplayFrequency::Times { times } => (seen("display") >= u64::from(times))
                    .then(|| Detail::from(format!("shown {times} times"))),
            };
            if let Some(detail) = exhausted {
                return Err((Outcome::Frequency, Some(detail)));
            }
        }
        Some(Content::Card(card)) => {
            if compiled.published.is_some_and(|at| now < at) {
                return Err((Outcome::Schedule, Some("not published yet".into())));
            }
            if compiled.expires.is_some_and(|at| now >= at) {
                return Err((Outcome::Schedule, Some("expired".into())));
            }
            if card.dismissible
                && tally.of(&activity.id, "dismiss", crate::bundle::Period::Lifetime) > 0
            {
                return Err((Outcome::Dismissed, None));
            }
        }
        _ => {}
    }
    if let Some(condition) = &compiled.trigger
        && !run.holds(condition, &activity.id)
    {
        return Err((Outcome::Trigger, Some("condition is false".into())));
    }
    let tally = run.tally();
    // Global caps are the central API's to count: it lists the item in `exhausted`.
    for cap in activity.caps.iter().filter(|c| c.scope.is_profile()) {
        let event = cap.event.name();
        let count = tally.of(&activity.id, event, cap.period);
        if count >= u64::from(cap.max) {
            return Err((
                Outcome::Cap,
                Some(format!("{count}/{} {event} per {}", cap.max, cap.period.name()).into()),
            ));
        }
    }
    if let Some(channel) = activity.channel() {
        for cap in engine
            .bundle
            .settings
            .channel_caps
            .iter()
            .filter(|c| c.channel == channel)
        {
            let event = cap.event.name();
            let count = tally.count(
                |t| engine.channels.get(t) == Some(&channel),
                event,
                cap.period,
            );
            if count >= u64::from(cap.max) {
                let detail = format!(
                    "channel {}: {count}/{} {event} per {}",
                    channel.name(),
                    cap.max,
                    cap.period.name()
                );
                return Err((Outcome::Cap, Some(detail.into())));
            }
        }
    }
    match &activity.experiment {
        None => Ok(Selected {
            experiment: None,
            content: activity.content.as_ref(),
        }),
        Some(experiment) => match assign(run, experiment) {
            Some(v) => Ok(Selected {
                experiment: Some((experiment, v)),
                content: experiment.variants.get(v).and_then(|v| v.content.as_ref()),
            }),
            None => Err((Outcome::Holdout, None)),
        },
    }
}

/// The content whose channel rules apply: the activity's, or its first variant with content.
fn primary_content(activity: &Activity) -> Option<&Content> {
    activity.content.as_ref().or_else(|| {
        activity
            .experiment
            .as_ref()?
            .variants
            .iter()
            .find_map(|v| v.content.as_ref())
    })
}

/// The variant index for the unit, or `None` in the holdout. Sticky assignments win; new ones
/// are recorded in the run.
fn assign(run: &mut Run<'_>, experiment: &Experiment) -> Option<usize> {
    let kept = run
        .input
        .state
        .assignments
        .get(&experiment.id)
        .or_else(|| run.assignments.get(&experiment.id));
    if let Some(kept) = kept {
        if kept == HOLDOUT {
            return None;
        }
        if let Some(index) = experiment.variants.iter().position(|v| &v.id == kept) {
            return Some(index);
        }
    }
    let bucket = hash::bucket(experiment.seed(), run.unit());
    if bucket < experiment.holdout {
        run.assignments
            .insert(experiment.id.clone(), HOLDOUT.to_owned());
        return None;
    }
    let authored: Vec<f64> = experiment
        .variants
        .iter()
        .map(|v| f64::from(v.weight))
        .collect();
    let weights = match &experiment.bandit {
        Some(bandit) if bandit.len() == authored.len() && bandit.iter().sum::<f64>() > 0.0 => {
            bandit
        }
        _ => &authored,
    };
    let total: f64 = weights.iter().sum();
    let span = hash::BUCKETS.saturating_sub(experiment.holdout).max(1);
    let position = f64::from(bucket - experiment.holdout) / f64::from(span) * total;
    let mut upto = 0.0;
    let mut chosen = None;
    for (index, weight) in weights.iter().enumerate() {
        upto += weight;
        if *weight > 0.0 {
            chosen = Some(index);
            if position < upto {
                break;
            }
        }
    }
    let index = chosen?;
    let id = experiment.variants.get(index)?.id.clone();
    run.assignments.insert(experiment.id.clone(), id);
    Some(index)
}

/// Why `selected` cannot have its surface, if it cannot.
fn conflict(
    claim: &Claim,
    channel: Channel,
    selected: &Selected<'_>,
    feed_size: u32,
    in_app: Option<&str>,
) -> Option<Skip> {
    let lost_to = |detail: &Name| Some((Outcome::Conflict, Some(Detail::Name(*detail))));
    match channel {
        Channel::InApp => in_app.map(|shown| {
            (
                Outcome::Suppressed,
                Some(format!("{shown} is shown").into()),
            )
        }),
        Channel::Card => (claim.cards >= feed_size).then(|| {
            (
                Outcome::Conflict,
                Some(format!("the feed holds {feed_size}").into()),
            )
        }),
        Channel::Code => claim.whole.as_ref().and_then(lost_to),
        Channel::Web => {
            if let Some(winner) = &claim.whole {
                return lost_to(winner);
            }
            match selected.content {
                Some(Content::Web { actions }) => actions
                    .iter()
                    .find_map(|a| {
                        claim
                            .selectors
                            .iter()
                            .find(|(selector, _)| *selector == a.selector)
                            .map(|(_, winner)| winner)
                    })
                    .and_then(&lost_to),
                // A control keeps the whole surface as it is.
                _ => claim
                    .selectors
                    .first()
                    .map(|(_, winner)| winner)
                    .and_then(lost_to),
            }
        }
    }
}

/// Gives the surface (or its selectors) to the activity whose losers read `lost_to`.
fn take<'b>(claim: &mut Claim<'b>, channel: Channel, selected: &Selected<'b>, lost_to: Name) {
    match (channel, selected.content) {
        (Channel::Card, _) => claim.cards += 1,
        (Channel::Web, Some(Content::Web { actions })) => {
            for action in actions {
                if !claim.selectors.iter().any(|(s, _)| *s == action.selector) {
                    claim.selectors.push((&action.selector, lost_to));
                }
            }
        }
        _ => claim.whole = Some(lost_to),
    }
}
