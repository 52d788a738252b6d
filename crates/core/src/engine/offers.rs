//! Offer decisioning: for each requested placement, filter the placement's offers, rank them,
//! keep the top N without repeating an offer across the placements of one request, and fall
//! back when nothing is eligible.

use serde_json::Value;

use crate::bundle::Ranking;

use super::Run;
use super::compile::CompiledPolicy;
use super::output::{OfferItem, Outcome, PlacementDecision};
use super::reasons::Name;

struct Ranked {
    /// Score descending, then the precomputed (priority, id) order: one number, so that
    /// sorting compares integers without looking anything up.
    key: u128,
    index: usize,
    score: f64,
}

/// The sort key of an offer with `score` at `place` in the (priority, id) order.
fn rank_key(score: f64, place: u32) -> u128 {
    // Equal scores must tie (and -0 equals 0); NaN cannot come from JSON.
    let score = if score == 0.0 { 0.0 } else { score };
    let bits = score.to_bits();
    // Ascending bits for ascending scores, then flipped for descending.
    let ascending = if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    };
    (u128::from(!ascending) << 32) | u128::from(place)
}

/// The placements on the requested surfaces, in bundle order, and how many reasons they can
/// give at most (one per offer of each placement, plus its fallback).
pub(super) fn placements(
    engine: &super::Engine,
    surfaces: &[Result<crate::bundle::Surface, String>],
) -> (Vec<usize>, usize) {
    let mut placements: Vec<usize> = Vec::new();
    for surface in surfaces.iter().filter_map(|s| s.as_ref().ok()) {
        for &index in engine
            .placements_by_page
            .get(surface.page_key())
            .into_iter()
            .flatten()
        {
            let placement = &engine.bundle.placements[index];
            if surface
                .fragment()
                .is_none_or(|_| placement.surface.covers(surface))
            {
                placements.push(index);
            }
        }
    }
    super::sort::sort_by_key(&mut placements, |&p| p as u128);
    placements.dedup();
    let most_reasons: usize = placements
        .iter()
        .filter_map(|&p| {
            engine
                .offers_by_placement
                .get(&engine.bundle.placements[p].id)
        })
        .map(|offers| offers.len() + 1)
        .sum();
    (placements, most_reasons)
}

pub(super) fn decide(run: &mut Run<'_>) -> Vec<PlacementDecision> {
    let engine = run.engine;
    // Found by `Run::new`, so that the activities reserve every reason in one go.
    let placements = std::mem::take(&mut run.placements);
    // Offers chosen so far: a handful, so a list.
    let mut used: Vec<usize> = Vec::new();
    let mut out = Vec::with_capacity(placements.len());
    for placement_index in placements {
        let placement = &engine.bundle.placements[placement_index];
        let Some(policy) = engine.policies.get(&placement.id) else {
            run.diagnostic(format!("placement {}: no decision policy", placement.id));
            continue;
        };
        let definition = &engine.bundle.policies[policy.index];
        let scope = engine.placement_name(placement_index);
        let offers = engine
            .offers_by_placement
            .get(&placement.id)
            .map_or(&[][..], Vec::as_slice);
        let mut ranked = Vec::with_capacity(offers.len());
        for &index in offers {
            if policy.fallback == Some(index) {
                continue;
            }
            if let Err((outcome, detail)) = check(run, index, policy) {
                run.reason(engine.offer_name(index), scope, outcome, detail);
                continue;
            }
            if used.contains(&index) {
                run.reason(engine.offer_name(index), scope, Outcome::Duplicate, None);
                continue;
            }
            let score = score(run, index, &definition.ranking, policy);
            ranked.push(Ranked {
                key: rank_key(score, engine.offer_order[index]),
                index,
                score,
            });
        }
        // Score descending, then priority descending and id ascending (keys are unique).
        super::sort::sort_by_key(&mut ranked, |r| r.key);
        let top = definition.top as usize;
        let mut items = Vec::new();
        for (rank, candidate) in ranked.iter().enumerate() {
            if rank >= top {
                let detail = match engine.rank_name(rank + 1) {
                    Some(name) => name,
                    None => run.name(format!("rank {}", rank + 1)),
                };
                run.reason(
                    engine.offer_name(candidate.index),
                    scope,
                    Outcome::Ranked,
                    Some(detail),
                );
                continue;
            }
            match item(run, candidate.index, &placement.id, candidate.score, false) {
                Ok(item) => {
                    used.push(candidate.index);
                    run.reason(
                        engine.offer_name(candidate.index),
                        scope,
                        Outcome::Chosen,
                        None,
                    );
                    items.push(item);
                }
                Err(message) => {
                    let detail = run.name(message);
                    run.reason(
                        engine.offer_name(candidate.index),
                        scope,
                        Outcome::Error,
                        Some(detail),
                    );
                }
            }
        }
        if items.is_empty()
            && let Some(index) = policy.fallback
        {
            match item(run, index, &placement.id, 0.0, true) {
                Ok(item) => {
                    run.reason(engine.offer_name(index), scope, Outcome::Fallback, None);
                    items.push(item);
                }
                Err(message) => {
                    let detail = run.name(message);
                    run.reason(
                        engine.offer_name(index),
                        scope,
                        Outcome::Error,
                        Some(detail),
                    );
                }
            }
        }
        out.push(PlacementDecision {
            placement_id: placement.id.clone(),
            surface: engine
                .placement_surfaces
                .get(placement_index)
                .cloned()
                .unwrap_or_else(|| placement.surface.to_string()),
            policy_id: definition.id.clone(),
            items,
        });
    }
    out
}

type Skip = (Outcome, Option<Name>);

/// Consent, paused, exhausted, schedule, collection, eligibility, caps.
fn check(run: &mut Run<'_>, index: usize, policy: &CompiledPolicy) -> Result<(), Skip> {
    let engine = run.engine;
    let offer = &engine.bundle.offers[index];
    let compiled = &engine.offers[index];
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
    if compiled.start.is_some_and(|start| now < start) || compiled.end.is_some_and(|end| now >= end)
    {
        return Err((Outcome::Schedule, None));
    }
    if let Some(collection) = &policy.collection {
        let held = run.with_offer(index, policy.reads_offer, |run| {
            run.holds(collection, &offer.id)
        });
        if !held {
            return Err((Outcome::Collection, None));
        }
    }
    if let Some(eligibility) = &compiled.eligibility {
        let held = run.with_offer(index, compiled.eligibility_reads_offer, |run| {
            run.holds(eligibility, &offer.id)
        });
        if !held {
            return Err((Outcome::Audience, None));
        }
    }
    let tally = run.tally();
    // Global caps are the central API's to count: it lists the item in `exhausted`.
    for cap in offer.caps.iter().filter(|c| c.scope.is_profile()) {
        let event = cap.event.name();
        let count = tally.of(&offer.id, event, cap.period);
        if count >= u64::from(cap.max) {
            let detail = format!("{count}/{} {event} per {}", cap.max, cap.period.name());
            return Err((Outcome::Cap, Some(run.name(detail))));
        }
    }
    Ok(())
}

fn score(run: &mut Run<'_>, index: usize, ranking: &Ranking, policy: &CompiledPolicy) -> f64 {
    let engine = run.engine;
    let offer = &engine.bundle.offers[index];
    match (ranking, &policy.formula) {
        (Ranking::Formula { .. }, Some(formula)) => {
            let value = run.with_offer(index, policy.reads_offer, |run| {
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
    index: usize,
    placement: &str,
    score: f64,
    fallback: bool,
) -> Result<OfferItem, String> {
    let engine = run.engine;
    let offer = &engine.bundle.offers[index];
    let Some(representation) = offer.representations.get(placement) else {
        return Err(format!("no representation for {placement}"));
    };
    let reads_offer = engine.offers[index].templates_read_offer;
    let (format, content) = run.with_offer(index, reads_offer, |run| {
        run.render_representation(&offer.id, representation)
    })?;
    Ok(OfferItem {
        token: super::token(&run.decision_id, &offer.id, placement),
        offer_id: offer.id.clone(),
        format,
        content,
        fallback,
        score: if score.is_finite() { score } else { 0.0 },
    })
}

impl Run<'_> {
    /// Runs `f` with offer `index` visible to conditions and templates as `offer`, when `needed`.
    fn with_offer<T>(&mut self, index: usize, needed: bool, f: impl FnOnce(&mut Self) -> T) -> T {
        if !needed {
            return f(self);
        }
        if let Value::Object(map) = &mut self.data {
            map.insert("offer".into(), self.engine.offers[index].value.clone());
        }
        let out = f(self);
        if let Value::Object(map) = &mut self.data {
            map.shift_remove("offer");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::rank_key;

    #[test]
    fn rank_keys_order_by_score_descending_then_place() {
        let scores = [
            f64::NEG_INFINITY,
            -2.5,
            -0.0,
            0.0,
            1e-300,
            0.5,
            3.0,
            1e300,
            f64::INFINITY,
        ];
        for pair in scores.windows(2) {
            assert!(rank_key(pair[0], 0) >= rank_key(pair[1], 0), "{pair:?}");
        }
        assert!(rank_key(3.0, 0) < rank_key(0.5, 0));
        assert_eq!(rank_key(-0.0, 4), rank_key(0.0, 4));
        assert!(rank_key(1.0, 1) < rank_key(1.0, 2));
        assert!(rank_key(2.0, 9) < rank_key(1.0, 0));
    }
}
