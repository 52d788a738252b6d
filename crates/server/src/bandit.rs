//! Thompson-sampling weights for experiments: the probability that each variant has the highest
//! success rate under Beta(1 + successes, 1 + trials − successes), estimated by Monte Carlo with
//! a fixed-seed generator, so the same counts always give the same weights.
//!
//! Trials and successes follow the experiment's reward (see [`crate::experiments`]): displays
//! and clicks for a click (the default), or units shown the variant and those of them who sent
//! the conversion event within the reward's window for a conversion. A control variant renders
//! nothing and is never clicked, so only a conversion reward lets it win.
//!
//! The loop is closed by [`publish_weights`]: after each recomputation the live bundle is
//! republished with the new weights when they move some experiment's new assignments
//! materially ([`is_material`]).

use std::collections::BTreeMap;

use rusqlite::{Connection, params};
use serde::Serialize;
use serde_json::{Value, json};
use waymark_core::bundle::{Bundle, Experiment, Ranking};

use crate::audit::{Action, Actor};
use crate::bundles::{self, Published};
use crate::error::AppError;
use crate::state::AppState;

/// Weights change materially when they move at least this share of an experiment's new
/// assignments: the total variation distance between the split runtimes use now and the new
/// one, ½ Σ |new − live| over the variants, is 0.05 or more (5 % of new visitors would get
/// another variant). Or see [`MATERIAL_FACTOR`].
pub const MATERIAL_SHIFT: f64 = 0.05;

/// Also material: some variant's share is multiplied or divided by 2 or more and moves by at
/// least [`MATERIAL_POINT`] (0.031 → 0.005 is; 0.005 → 0.001 is not), so a split close to one
/// arm keeps following the evidence (the total shift left there is under 0.05), while the
/// Monte Carlo noise of the estimate (under 0.004 with [`DRAWS`]) never makes a revision.
pub const MATERIAL_FACTOR: f64 = 2.0;

/// See [`MATERIAL_FACTOR`].
pub const MATERIAL_POINT: f64 = 0.01;

/// Whether going from split `live` to split `next` is a material change (see
/// [`MATERIAL_SHIFT`] and [`MATERIAL_FACTOR`]).
pub fn is_material(live: &[f64], next: &[f64]) -> bool {
    shift(live, next) >= MATERIAL_SHIFT
        || live.iter().zip(next).any(|(&a, &b)| {
            (a - b).abs() >= MATERIAL_POINT
                && (b >= a * MATERIAL_FACTOR || a >= b * MATERIAL_FACTOR)
        })
}

/// The split of new assignments an experiment gives: its bandit weights when it has them, else
/// its authored weights, normalised to sum to 1 (equal shares if they sum to 0).
pub fn split(experiment: &Experiment) -> Vec<f64> {
    let weights: Vec<f64> = match &experiment.bandit {
        Some(bandit) if bandit.len() == experiment.variants.len() => bandit.clone(),
        _ => experiment
            .variants
            .iter()
            .map(|v| f64::from(v.weight))
            .collect(),
    };
    let total: f64 = weights.iter().sum();
    if !total.is_finite() || total <= 0.0 {
        let n = weights.len().max(1) as f64;
        return weights.iter().map(|_| 1.0 / n).collect();
    }
    weights.iter().map(|w| w / total).collect()
}

/// The total variation distance between two splits: the share of assignments that differ.
pub fn shift(a: &[f64], b: &[f64]) -> f64 {
    if a.len() != b.len() {
        return 1.0;
    }
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f64>() / 2.0
}

/// The experiments whose split moves materially from `live` to `next`, with the shift and the
/// new split.
fn material(live: &Bundle, next: &Bundle) -> Vec<(String, String, f64, Vec<f64>)> {
    let mut out = Vec::new();
    for (before, after) in live.activities.iter().zip(&next.activities) {
        let (Some(a), Some(b)) = (&before.experiment, &after.experiment) else {
            continue;
        };
        let (from, to) = (split(a), split(b));
        if is_material(&from, &to) {
            out.push((after.id.clone(), b.id.clone(), shift(&from, &to), to));
        }
    }
    out
}

/// The policies ranked by bandit whose order of offers changes from `live` to `next`, with the
/// new order. The ranking is by weight, highest first, so only a new order changes what
/// runtimes show.
fn reordered(live: &Bundle, next: &Bundle) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for (before, after) in live.policies.iter().zip(&next.policies) {
        let (Ranking::Bandit { weights: a }, Ranking::Bandit { weights: b }) =
            (&before.ranking, &after.ranking)
        else {
            continue;
        };
        let (from, to) = (order(a), order(b));
        if from != to {
            out.push((after.id.clone(), to));
        }
    }
    out
}

/// Offer ids by weight, highest first, then by id.
fn order(weights: &BTreeMap<String, f64>) -> Vec<String> {
    let mut ids: Vec<(&String, f64)> = weights.iter().map(|(id, w)| (id, *w)).collect();
    ids.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    ids.into_iter().map(|(id, _)| id.clone()).collect()
}

/// Republishes the live bundle as a new signed revision with the stored weights when they move
/// some experiment's split materially, or reorder some bandit policy's offers ([`is_material`]; audit `bandit`, by `system`); `None`
/// when none does, or nothing is published.
pub async fn publish_weights(state: &AppState) -> Result<Option<Published>, AppError> {
    let now = state.config.clock.now_ms();
    let stored = state
        .db
        .write(move |conn| {
            let tx = conn.transaction()?;
            let Some((_, body)) = bundles::load_current(&tx)? else {
                return Ok(None);
            };
            let live: Value = serde_json::from_slice(&body)?;
            let mut next = live.clone();
            apply_weights(&tx, &mut next)?;
            let (before, after): (Bundle, Bundle) = (
                serde_json::from_value(live.clone())?,
                serde_json::from_value(next)?,
            );
            let moved = material(&before, &after);
            let policies = reordered(&before, &after);
            if moved.is_empty() && policies.is_empty() {
                return Ok(None);
            }
            let target = moved
                .iter()
                .map(|(activity, ..)| format!("activity/{activity}"))
                .chain(
                    policies
                        .iter()
                        .map(|(policy, _)| format!("policy/{policy}")),
                )
                .collect::<Vec<_>>()
                .join(", ");
            let orders: Vec<Value> = policies
                .iter()
                .map(|(policy, order)| json!({"policy": policy, "order": order}))
                .collect();
            let experiments: Vec<Value> = moved
                .iter()
                .map(|(activity, experiment, shift, weights)| {
                    json!({"activity": activity, "experiment": experiment, "shift": shift,
                           "weights": weights})
                })
                .collect();
            let action = Action::new(Actor::system(), now, "bandit", target.clone())
                .with(json!({ "experiments": experiments, "policies": orders }));
            let stored =
                bundles::publish_tx(&tx, live, &format!("bandit weights: {target}"), action)?;
            tx.commit()?;
            Ok(Some(stored))
        })
        .await?;
    let Some((revision, body)) = stored else {
        return Ok(None);
    };
    let published = bundles::serve_revision(state, revision, body)?;
    tracing::info!(revision, "bandit weights moved materially: republished");
    Ok(Some(published))
}

/// Monte Carlo draws per estimate.
pub const DRAWS: u32 = 20_000;
const SEED: u64 = 0x5741_594d_4152_4b21;

/// SplitMix64: small, fast, and good enough for Monte Carlo estimates.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in (0, 1).
    fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    /// Gamma(shape, 1) for shape ≥ 1 (Marsaglia and Tsang).
    fn gamma(&mut self, shape: f64) -> f64 {
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let x = self.normal();
            let v = (1.0 + c * x).powi(3);
            if v <= 0.0 {
                continue;
            }
            let u = self.uniform();
            if u.ln() < 0.5 * x * x + d - d * v.ln() {
                return d * v;
            }
        }
    }

    fn beta(&mut self, a: f64, b: f64) -> f64 {
        let x = self.gamma(a);
        let y = self.gamma(b);
        x / (x + y)
    }
}

/// The Thompson weights of arms given `(displays, clicks)`; they sum to 1.
pub fn thompson_weights(arms: &[(u64, u64)]) -> Vec<f64> {
    if arms.is_empty() {
        return Vec::new();
    }
    let mut rng = Rng(SEED);
    let mut wins = vec![0u32; arms.len()];
    let params: Vec<(f64, f64)> = arms
        .iter()
        .map(|&(displays, clicks)| {
            let clicks = clicks.min(displays);
            (1.0 + clicks as f64, 1.0 + (displays - clicks) as f64)
        })
        .collect();
    for _ in 0..DRAWS {
        let mut best = 0;
        let mut best_value = f64::MIN;
        for (i, &(a, b)) in params.iter().enumerate() {
            let value = rng.beta(a, b);
            if value > best_value {
                best = i;
                best_value = value;
            }
        }
        wins[best] += 1;
    }
    wins.iter()
        .map(|&w| f64::from(w) / f64::from(DRAWS))
        .collect()
}

/// One variant's statistics and weight.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArmStats {
    pub variant_id: String,
    pub displays: u64,
    pub clicks: u64,
    /// What the weight was computed from: displays, or units shown the variant.
    pub trials: u64,
    /// Clicks, or units who converted.
    pub successes: u64,
    pub weight: f64,
}

/// An experiment's bandit.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExperimentStats {
    pub activity_id: String,
    pub experiment_id: String,
    /// `click`, or the conversion event's name.
    pub reward: String,
    pub variants: Vec<ArmStats>,
    pub computed_at: i64,
}

/// Recomputes the weights of every experiment of `bundle` with trials, and stores them.
pub fn recompute(conn: &mut Connection, bundle: &Bundle) -> Result<Vec<ExperimentStats>, AppError> {
    let now = crate::db::now_ms();
    let mut out = Vec::new();
    for activity in &bundle.activities {
        let Some(experiment) = &activity.experiment else {
            continue;
        };
        let reward = crate::experiments::reward(experiment);
        let ids: Vec<&str> = experiment.variants.iter().map(|v| v.id.as_str()).collect();
        let counts = if reward.is_click() {
            clicks(conn, &activity.id, &ids)?
        } else {
            crate::experiments::counts(
                conn,
                &activity.id,
                &ids,
                (i64::MIN, i64::MAX),
                &reward.event,
                reward.window_ms(),
            )?
        };
        let arms: Vec<(u64, u64)> = counts.iter().map(|c| c.trials(&reward)).collect();
        if arms.iter().all(|&(trials, _)| trials == 0) {
            continue;
        }
        let weights = thompson_weights(&arms);
        out.push(ExperimentStats {
            activity_id: activity.id.clone(),
            experiment_id: experiment.id.clone(),
            reward: reward.event.clone(),
            variants: experiment
                .variants
                .iter()
                .zip(counts.iter().zip(arms.iter().zip(weights)))
                .map(|(v, (c, (&(trials, successes), weight)))| ArmStats {
                    variant_id: v.id.clone(),
                    displays: c.displays,
                    clicks: c.clicks,
                    trials,
                    successes,
                    weight,
                })
                .collect(),
            computed_at: now,
        });
    }
    let policies = recompute_policies(conn, bundle, now)?;
    let tx = conn.transaction()?;
    tx.execute("DELETE FROM policy_weights", [])?;
    {
        let mut insert = tx.prepare(
            "INSERT INTO policy_weights
             (policy_id, offer_id, placement_id, displays, clicks, weight, computed_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for policy in &policies {
            for arm in &policy.offers {
                insert.execute(params![
                    policy.policy_id,
                    arm.offer_id,
                    policy.placement_id,
                    i64::try_from(arm.displays).unwrap_or(i64::MAX),
                    i64::try_from(arm.clicks).unwrap_or(i64::MAX),
                    arm.weight,
                    policy.computed_at,
                ])?;
            }
        }
    }
    tx.execute("DELETE FROM bandit_weights", [])?;
    {
        let mut insert = tx.prepare(
            "INSERT INTO bandit_weights
             (activity_id, variant_id, experiment_id, displays, clicks, weight, computed_at,
              reward, trials, successes)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?;
        for experiment in &out {
            for arm in &experiment.variants {
                insert.execute(params![
                    experiment.activity_id,
                    arm.variant_id,
                    experiment.experiment_id,
                    i64::try_from(arm.displays).unwrap_or(i64::MAX),
                    i64::try_from(arm.clicks).unwrap_or(i64::MAX),
                    arm.weight,
                    experiment.computed_at,
                    experiment.reward,
                    i64::try_from(arm.trials).unwrap_or(i64::MAX),
                    i64::try_from(arm.successes).unwrap_or(i64::MAX),
                ])?;
            }
        }
    }
    tx.commit()?;
    Ok(out)
}

/// Displays and clicks of `ids` (variant ids) of `activity`, from the `daily` aggregates.
fn clicks(
    conn: &Connection,
    activity: &str,
    ids: &[&str],
) -> Result<Vec<crate::experiments::Counts>, AppError> {
    let mut stmt = conn.prepare_cached(
        "SELECT SUM(displays), SUM(clicks) FROM daily WHERE activity_id = ?1 AND variant_id = ?2",
    )?;
    ids.iter()
        .map(|id| {
            let (displays, clicks) = stmt.query_row(params![activity, id], |row| {
                Ok((
                    row.get::<_, Option<i64>>(0)?.unwrap_or(0),
                    row.get::<_, Option<i64>>(1)?.unwrap_or(0),
                ))
            })?;
            Ok(crate::experiments::Counts {
                displays: u64::try_from(displays).unwrap_or(0),
                clicks: u64::try_from(clicks).unwrap_or(0),
                ..Default::default()
            })
        })
        .collect()
}

/// One offer's statistics and weight in a policy ranked by bandit.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OfferArm {
    pub offer_id: String,
    pub displays: u64,
    pub clicks: u64,
    pub weight: f64,
}

/// A policy ranked by bandit: its offers' click statistics at its placement and their
/// Thompson weights (the probability that each has the highest click rate).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyStats {
    pub policy_id: String,
    pub placement_id: String,
    pub offers: Vec<OfferArm>,
    pub computed_at: i64,
}

/// The weights of every policy of `bundle` ranked by bandit with displays at its placement. Its
/// offers are those with a representation for the placement, the fallback left out (it is
/// never ranked); clicks over displays come from the `daily` aggregates.
fn recompute_policies(
    conn: &Connection,
    bundle: &Bundle,
    now: i64,
) -> Result<Vec<PolicyStats>, AppError> {
    let mut stmt = conn.prepare_cached(
        "SELECT SUM(displays), SUM(clicks) FROM daily WHERE offer_id = ?1 AND placement_id = ?2",
    )?;
    let mut out = Vec::new();
    for policy in &bundle.policies {
        if !matches!(policy.ranking, Ranking::Bandit { .. }) {
            continue;
        }
        let offers: Vec<&str> = bundle
            .offers
            .iter()
            .filter(|o| o.representations.contains_key(&policy.placement))
            .filter(|o| policy.fallback.as_deref() != Some(o.id.as_str()))
            .map(|o| o.id.as_str())
            .collect();
        let mut arms = Vec::with_capacity(offers.len());
        for offer in &offers {
            let (displays, clicks) = stmt.query_row(params![offer, policy.placement], |row| {
                Ok((
                    row.get::<_, Option<i64>>(0)?.unwrap_or(0),
                    row.get::<_, Option<i64>>(1)?.unwrap_or(0),
                ))
            })?;
            arms.push((
                u64::try_from(displays).unwrap_or(0),
                u64::try_from(clicks).unwrap_or(0),
            ));
        }
        if arms.iter().all(|&(displays, _)| displays == 0) {
            continue;
        }
        let weights = thompson_weights(&arms);
        out.push(PolicyStats {
            policy_id: policy.id.clone(),
            placement_id: policy.placement.clone(),
            offers: offers
                .iter()
                .zip(arms.iter().zip(weights))
                .map(|(id, (&(displays, clicks), weight))| OfferArm {
                    offer_id: (*id).to_owned(),
                    displays,
                    clicks,
                    weight,
                })
                .collect(),
            computed_at: now,
        });
    }
    Ok(out)
}

/// The stored weights of policies ranked by bandit, by policy.
pub fn load_policies(conn: &Connection) -> Result<Vec<PolicyStats>, AppError> {
    let mut stmt = conn.prepare(
        "SELECT policy_id, placement_id, offer_id, displays, clicks, weight, computed_at
         FROM policy_weights ORDER BY policy_id, offer_id",
    )?;
    let rows = stmt.query_map([], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, String>(1)?,
            OfferArm {
                offer_id: row.get(2)?,
                displays: u64::try_from(row.get::<_, i64>(3)?).unwrap_or(0),
                clicks: u64::try_from(row.get::<_, i64>(4)?).unwrap_or(0),
                weight: row.get(5)?,
            },
            row.get::<_, i64>(6)?,
        ))
    })?;
    let mut out: Vec<PolicyStats> = Vec::new();
    for row in rows {
        let (policy_id, placement_id, arm, computed_at) = row?;
        match out.last_mut() {
            Some(last) if last.policy_id == policy_id => last.offers.push(arm),
            _ => out.push(PolicyStats {
                policy_id,
                placement_id,
                offers: vec![arm],
                computed_at,
            }),
        }
    }
    Ok(out)
}

/// The stored weights, by experiment.
pub fn load(conn: &Connection) -> Result<Vec<ExperimentStats>, AppError> {
    let mut stmt = conn.prepare(
        "SELECT activity_id, experiment_id, variant_id, displays, clicks, weight, computed_at,
                reward, trials, successes
         FROM bandit_weights ORDER BY activity_id, variant_id",
    )?;
    let rows = stmt.query_map([], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, String>(1)?,
            ArmStats {
                variant_id: row.get(2)?,
                displays: u64::try_from(row.get::<_, i64>(3)?).unwrap_or(0),
                clicks: u64::try_from(row.get::<_, i64>(4)?).unwrap_or(0),
                trials: u64::try_from(row.get::<_, i64>(8)?).unwrap_or(0),
                successes: u64::try_from(row.get::<_, i64>(9)?).unwrap_or(0),
                weight: row.get(5)?,
            },
            row.get::<_, i64>(6)?,
            row.get::<_, String>(7)?,
        ))
    })?;
    let mut out: Vec<ExperimentStats> = Vec::new();
    for row in rows {
        let (activity_id, experiment_id, arm, computed_at, reward) = row?;
        match out.last_mut() {
            Some(last) if last.activity_id == activity_id => last.variants.push(arm),
            _ => out.push(ExperimentStats {
                activity_id,
                experiment_id,
                reward,
                variants: vec![arm],
                computed_at,
            }),
        }
    }
    Ok(out)
}

/// Writes the stored weights into `experiment.bandit` of each activity of the bundle JSON whose
/// experiment and variants match what was computed, and into `ranking.weights` of each policy
/// ranked by bandit whose placement matches; other experiments and policies are left alone.
pub fn apply_weights(conn: &Connection, bundle: &mut Value) -> Result<(), AppError> {
    let policies = load_policies(conn)?;
    if let Some(list) = bundle.get_mut("policies").and_then(Value::as_array_mut) {
        for policy in list {
            let Some(id) = policy.get("id").and_then(Value::as_str) else {
                continue;
            };
            let Some(stats) = policies.iter().find(|p| p.policy_id == id) else {
                continue;
            };
            if policy.get("placement").and_then(Value::as_str) != Some(&stats.placement_id) {
                continue;
            }
            let Some(ranking) = policy.get_mut("ranking").and_then(Value::as_object_mut) else {
                continue;
            };
            if ranking.get("by").and_then(Value::as_str) != Some("bandit") {
                continue;
            }
            let weights: serde_json::Map<String, Value> = stats
                .offers
                .iter()
                .map(|arm| (arm.offer_id.clone(), json!(arm.weight)))
                .collect();
            ranking.insert("weights".into(), Value::Object(weights));
        }
    }
    let stored = load(conn)?;
    let Some(activities) = bundle.get_mut("activities").and_then(Value::as_array_mut) else {
        return Ok(());
    };
    for activity in activities {
        let Some(id) = activity.get("id").and_then(Value::as_str) else {
            continue;
        };
        let Some(stats) = stored.iter().find(|s| s.activity_id == id) else {
            continue;
        };
        let Some(experiment) = activity
            .get_mut("experiment")
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        if experiment.get("id").and_then(Value::as_str) != Some(stats.experiment_id.as_str()) {
            continue;
        }
        let variant_ids: Vec<&str> = experiment
            .get("variants")
            .and_then(Value::as_array)
            .map(|vs| {
                vs.iter()
                    .filter_map(|v| v.get("id").and_then(Value::as_str))
                    .collect()
            })
            .unwrap_or_default();
        let weights: Option<Vec<f64>> = variant_ids
            .iter()
            .map(|vid| {
                stats
                    .variants
                    .iter()
                    .find(|a| a.variant_id == *vid)
                    .map(|a| a.weight)
            })
            .collect();
        if let Some(weights) = weights {
            experiment.insert("bandit".into(), json!(weights));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_are_deterministic_and_favour_the_better_arm() {
        let arms = [(1000, 10), (1000, 50)];
        let a = thompson_weights(&arms);
        assert_eq!(a, thompson_weights(&arms));
        assert!((a.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        assert!(a[1] > 0.99, "{a:?}");
    }

    #[test]
    fn material_changes_move_traffic_or_halve_a_share() {
        assert!(!is_material(&[0.5, 0.5], &[0.5, 0.5]));
        assert!(!is_material(&[0.5, 0.5], &[0.47, 0.53]));
        assert!(is_material(&[0.5, 0.5], &[0.45, 0.55]));
        assert!(is_material(&[0.031, 0.969], &[0.005, 0.995]));
        assert!(!is_material(&[0.005, 0.995], &[0.001, 0.999]));
        assert!(!is_material(&[0.02, 0.98], &[0.012, 0.988]));
        assert!(is_material(&[0.5, 0.5], &[0.3, 0.3, 0.4]));
    }

    #[test]
    fn equal_arms_split_about_evenly() {
        let w = thompson_weights(&[(100, 10), (100, 10)]);
        assert!((w[0] - 0.5).abs() < 0.03, "{w:?}");
        assert!(thompson_weights(&[]).is_empty());
    }
}
