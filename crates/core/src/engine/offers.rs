//! Offer decisioning: for each requested placement, filter the placement's offers, rank them,
//! keep the top N without repeating an offer across the placements of one request, and fall
//! back when nothing is eligible.

use std::cmp::Ordering;
use std::collections::HashSet;

use serde_json::Value;

use crate::bundle::{Offer, Ranking, Surface};

use super::Run;
use super::counters::event_name;
use super::output::{OfferItem, Outcome, PlacementDecision};

struct Ranked {
    index: usize,
    score: f64,
}

pub(super) fn decide(run: &mut Run<'_>) -> Vec<PlacementDecision> {
    let engine = run.engine;
    let requested: Vec<Surface> = run
        .input
        .request
        .surfaces
        .iter()
        .filter_map(|s| Surface::parse(s).ok())
        .collect();
    let mut used: HashSet<usize> = HashSet::new();
    let mut out = Vec::new();
    for placement in &engine.bundle.placements {
        let hit = requested.iter().any(|r| match r.fragment() {
            Some(_) => placement.surface.covers(r),
            None => placement.surface.page().covers(r),
        });
        if !hit {
            continue;
        }
        let Some(policy) = engine.policies.get(&placement.id) else {
            run.diagnostic(format!("placement {}: no decision policy", placement.id));
            continue;
        };
        let definition = &engine.bundle.policies[policy.index];
        let scope = placement.id.as_str();
        let mut ranked = Vec::new();
        for &index in engine
            .offers_by_placement
            .get(&placement.id)
            .into_iter()
            .flatten()
        {
            let offer = &engine.bundle.offers[index];
            if definition.fallback.as_deref() == Some(offer.id.as_str()) {
                continue;
            }
            if let Err((outcome, detail)) = check(run, index, policy.collection.as_deref()) {
                run.reason(&offer.id, scope, outcome, detail);
                continue;
            }
            if used.contains(&index) {
                run.reason(&offer.id, scope, Outcome::Duplicate, None);
                continue;
            }
            let score = score(run, index, &definition.ranking, policy.formula.as_deref());
            ranked.push(Ranked { index, score });
        }
        ranked.sort_by(|a, b| {
            let (oa, ob) = (
                &engine.bundle.offers[a.index],
                &engine.bundle.offers[b.index],
            );
            b.score
                .partial_cmp(&a.score)
                .unwrap_or(Ordering::Equal)
                .then_with(|| ob.priority.cmp(&oa.priority))
                .then_with(|| oa.id.cmp(&ob.id))
        });
        let top = definition.top as usize;
        let mut items = Vec::new();
        for (rank, candidate) in ranked.iter().enumerate() {
            let offer = &engine.bundle.offers[candidate.index];
            if rank >= top {
                run.reason(
                    &offer.id,
                    scope,
                    Outcome::Ranked,
                    Some(format!("rank {}", rank + 1)),
                );
                continue;
            }
            match item(run, offer, &placement.id, candidate.score, false) {
                Ok(item) => {
                    used.insert(candidate.index);
                    run.reason(&offer.id, scope, Outcome::Chosen, None);
                    items.push(item);
                }
                Err(message) => run.reason(&offer.id, scope, Outcome::Error, Some(message)),
            }
        }
        if items.is_empty()
            && let Some(fallback) = &definition.fallback
            && let Some(offer) = engine.bundle.offers.iter().find(|o| &o.id == fallback)
        {
            match item(run, offer, &placement.id, 0.0, true) {
                Ok(item) => {
                    run.reason(&offer.id, scope, Outcome::Fallback, None);
                    items.push(item);
                }
                Err(message) => run.reason(&offer.id, scope, Outcome::Error, Some(message)),
            }
        }
        out.push(PlacementDecision {
            placement_id: placement.id.clone(),
            surface: placement.surface.to_string(),
            policy_id: definition.id.clone(),
            items,
        });
    }
    out
}

type Skip = (Outcome, Option<String>);

/// Consent, exhausted, schedule, collection, eligibility, caps.
fn check(
    run: &mut Run<'_>,
    index: usize,
    collection: Option<&crate::expr::Expr>,
) -> Result<(), Skip> {
    let engine = run.engine;
    let offer = &engine.bundle.offers[index];
    let compiled = &engine.offers[index];
    let now = run.input.now;
    if !run.consent {
        return Err((Outcome::Consent, None));
    }
    if engine.exhausted.contains(&offer.id) {
        return Err((Outcome::Exhausted, None));
    }
    if compiled.start.is_some_and(|start| now < start) || compiled.end.is_some_and(|end| now >= end)
    {
        return Err((Outcome::Schedule, None));
    }
    let with_offer = run.with_offer(&compiled.value, |run| {
        let in_collection = collection.is_none_or(|c| run.holds(c, &offer.id));
        let eligible = compiled
            .eligibility
            .as_deref()
            .is_none_or(|e| run.holds(e, &offer.id));
        (in_collection, eligible)
    });
    match with_offer {
        (false, _) => return Err((Outcome::Collection, None)),
        (true, false) => return Err((Outcome::Audience, None)),
        (true, true) => {}
    }
    let tally = run.tally();
    for cap in &offer.caps {
        let event = event_name(&cap.event);
        let count = tally.of(&offer.id, event, cap.period);
        if count >= u64::from(cap.max) {
            return Err((
                Outcome::Cap,
                Some(format!("{count}/{} {event} per {:?}", cap.max, cap.period).to_lowercase()),
            ));
        }
    }
    Ok(())
}

fn score(
    run: &mut Run<'_>,
    index: usize,
    ranking: &Ranking,
    formula: Option<&crate::expr::Expr>,
) -> f64 {
    let engine = run.engine;
    let offer = &engine.bundle.offers[index];
    match (ranking, formula) {
        (Ranking::Formula { .. }, Some(formula)) => {
            let value = run.with_offer(&engine.offers[index].value, |run| {
                let evaluation = formula.eval(&run.data, &run.env);
                for diagnostic in &evaluation.diagnostics {
                    run.diagnostic(format!("{}: ranking: {diagnostic}", offer.id));
                }
                evaluation.value
            });
            value.as_f64().unwrap_or_else(|| {
                run.diagnostic(format!(
                    "{}: ranking formula gave {value}, not a number",
                    offer.id
                ));
                f64::NEG_INFINITY
            })
        }
        (Ranking::Bandit { weights }, _) => weights.get(&offer.id).copied().unwrap_or(0.0),
        _ => f64::from(offer.priority),
    }
}

fn item(
    run: &mut Run<'_>,
    offer: &Offer,
    placement: &str,
    score: f64,
    fallback: bool,
) -> Result<OfferItem, String> {
    let Some(representation) = offer.representations.get(placement) else {
        return Err(format!("no representation for {placement}"));
    };
    let index = run
        .engine
        .bundle
        .offers
        .iter()
        .position(|o| o.id == offer.id);
    let value = index
        .map(|i| run.engine.offers[i].value.clone())
        .unwrap_or(Value::Null);
    let (format, content) = run.with_offer(&value, |run| {
        run.render_representation(&offer.id, representation)
    })?;
    Ok(OfferItem {
        token: format!("{}:{}:{}", run.decision_id, offer.id, placement),
        offer_id: offer.id.clone(),
        format,
        content,
        fallback,
        score: if score.is_finite() { score } else { 0.0 },
    })
}

impl Run<'_> {
    /// Runs `f` with `offer` visible to conditions and templates as `offer`.
    fn with_offer<T>(&mut self, offer: &Value, f: impl FnOnce(&mut Self) -> T) -> T {
        if let Value::Object(map) = &mut self.data {
            map.insert("offer".into(), offer.clone());
        }
        let out = f(self);
        if let Value::Object(map) = &mut self.data {
            map.remove("offer");
        }
        out
    }
}
