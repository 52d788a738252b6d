//! Experiment results: per variant, who was shown it and what they did, the lift of each
//! variant over the baseline with a 95 % confidence interval, and a sample-ratio-mismatch check.
//!
//! Everything is counted from the `events` table (test profiles left out), between two instants:
//! - `units`: distinct profiles with a display of the variant (an experiment's control reports a
//!   display though it renders nothing, and the holdout reports one under the variant id
//!   `holdout`, so both are counted like the arms);
//! - `displays`, `clicks`: the events of the variant;
//! - `conversions`: units that sent the experiment's reward event (or, for a click reward, the
//!   report's conversion event) within the reward's window after one of their displays of the
//!   variant.
//!
//! The rate compared is the reward's: clicks per display for a click reward, conversions per
//! unit for a conversion reward. The baseline is the experiment's first variant without content
//! (its control), else its first variant. Lift is `rate / baseline rate − 1`, with the
//! log-ratio (Katz) interval `exp(ln(r) ± 1.96·√((1−p₁)/(n₁p₁) + (1−p₀)/(n₀p₀))) − 1`; the absolute
//! difference has the Wald interval `Δ ± 1.96·√(p₁(1−p₁)/n₁ + p₀(1−p₀)/n₀)`. Both are `null`
//! where a rate is 0 or a variant has no trials.
//!
//! The sample-ratio-mismatch check compares the units per variant with the split the authored
//! weights ask for, by Pearson's χ² with `variants − 1` degrees of freedom; a p-value under
//! 0.001 is a mismatch (assignment or tracking is broken, and the results are not to be
//! trusted). It is `null` for an experiment with bandit weights (its split moves by design) and
//! when fewer than two variants have weight.

use rusqlite::{Connection, params};
use serde::Serialize;
use statrs::distribution::{ChiSquared, ContinuousCDF};
use waymark_core::bundle::{Activity, Experiment, Reward};

use crate::error::AppError;

/// The two-sided 95 % normal quantile.
const Z95: f64 = 1.959_963_984_540_054;

/// The p-value under which units per variant are a sample ratio mismatch.
pub const SRM_ALPHA: f64 = 0.001;

/// The raw counts of one variant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub units: u64,
    pub displays: u64,
    pub clicks: u64,
    pub conversions: u64,
}

impl Counts {
    /// Trials and successes under `reward`.
    pub fn trials(&self, reward: &Reward) -> (u64, u64) {
        if reward.is_click() {
            (self.displays, self.clicks.min(self.displays))
        } else {
            (self.units, self.conversions.min(self.units))
        }
    }
}

/// The reward an experiment counts: its own, or clicks.
pub fn reward(experiment: &Experiment) -> Reward {
    experiment.reward.clone().unwrap_or(Reward {
        event: "click".into(),
        window_hours: None,
    })
}

/// The counts of each of `ids` (variant ids) for `activity`, from events in `[start, end)`;
/// conversions are `conversion` events within `window_ms` after a display.
pub fn counts(
    conn: &Connection,
    activity: &str,
    ids: &[&str],
    (start, end): (i64, i64),
    conversion: &str,
    window_ms: i64,
) -> Result<Vec<Counts>, AppError> {
    let mut out = vec![Counts::default(); ids.len()];
    let at = |variant: &str| ids.iter().position(|id| *id == variant);
    let mut stmt = conn.prepare_cached(
        "SELECT variant_id, COUNT(DISTINCT CASE WHEN type = 'display' THEN profile_id END),
                SUM(type = 'display'), SUM(type = 'click')
         FROM events
         WHERE activity_id = ?1 AND variant_id IS NOT NULL AND type IN ('display', 'click')
               AND test = 0 AND ts >= ?2 AND ts < ?3
         GROUP BY variant_id",
    )?;
    let rows = stmt.query_map(params![activity, start, end], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, i64>(1)?,
            row.get::<_, i64>(2)?,
            row.get::<_, i64>(3)?,
        ))
    })?;
    for row in rows {
        let (variant, units, displays, clicks) = row?;
        if let Some(counts) = at(&variant).and_then(|i| out.get_mut(i)) {
            counts.units = u64::try_from(units).unwrap_or(0);
            counts.displays = u64::try_from(displays).unwrap_or(0);
            counts.clicks = u64::try_from(clicks).unwrap_or(0);
        }
    }
    let mut stmt = conn.prepare_cached(
        "SELECT d.variant_id, COUNT(DISTINCT d.profile_id)
         FROM events d
         WHERE d.type = 'display' AND d.activity_id = ?1 AND d.variant_id IS NOT NULL
               AND d.test = 0 AND d.ts >= ?2 AND d.ts < ?3
               AND EXISTS (SELECT 1 FROM events c
                           WHERE c.profile_id = d.profile_id AND c.type = 'custom'
                                 AND c.name = ?4 AND c.test = 0
                                 AND c.ts >= d.ts AND c.ts <= d.ts + ?5)
         GROUP BY d.variant_id",
    )?;
    let rows = stmt.query_map(
        params![activity, start, end, conversion, window_ms],
        |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?)),
    )?;
    for row in rows {
        let (variant, n) = row?;
        if let Some(counts) = at(&variant).and_then(|i| out.get_mut(i)) {
            counts.conversions = u64::try_from(n).unwrap_or(0);
        }
    }
    Ok(out)
}

/// One variant's line of an experiment's results.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VariantResult {
    pub variant_id: String,
    pub units: u64,
    pub displays: u64,
    pub clicks: u64,
    pub conversions: u64,
    /// The reward's rate: clicks per display, or conversions per unit.
    pub rate: f64,
    /// `rate / baseline rate − 1`; `null` for the baseline and where it cannot be computed.
    pub lift: Option<f64>,
    /// The 95 % interval of `lift`.
    pub lift_interval: Option<[f64; 2]>,
    /// `rate − baseline rate`.
    pub difference: Option<f64>,
    /// The 95 % interval of `difference`.
    pub difference_interval: Option<[f64; 2]>,
    /// Whether the difference's interval leaves out 0.
    pub significant: bool,
}

/// The sample-ratio-mismatch check.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SampleRatio {
    /// The shares of units the authored weights ask for, per variant.
    pub expected: Vec<f64>,
    pub chi_squared: f64,
    pub p_value: f64,
    /// `p_value < 0.001`.
    pub mismatch: bool,
}

/// One experiment's results.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExperimentResult {
    pub activity_id: String,
    pub experiment_id: String,
    /// The reward event (`click`, or the conversion's name) and its window in hours.
    pub reward: String,
    pub window_hours: u32,
    pub baseline: String,
    pub variants: Vec<VariantResult>,
    /// Units shown nothing because they are held out (their exposure events).
    pub holdout_units: u64,
    pub sample_ratio: Option<SampleRatio>,
}

/// The results of `activity`'s experiment (`None` without one) over `[start, end)`;
/// `conversion` is what conversions count for a click reward.
pub fn result(
    conn: &Connection,
    activity: &Activity,
    range: (i64, i64),
    conversion: &str,
) -> Result<Option<ExperimentResult>, AppError> {
    let Some(experiment) = &activity.experiment else {
        return Ok(None);
    };
    let reward = reward(experiment);
    let event = if reward.is_click() {
        conversion
    } else {
        &reward.event
    };
    let mut ids: Vec<&str> = experiment.variants.iter().map(|v| v.id.as_str()).collect();
    ids.push(waymark_core::engine::HOLDOUT);
    let mut counts = counts(conn, &activity.id, &ids, range, event, reward.window_ms())?;
    let holdout = counts.pop().unwrap_or_default();
    let base = experiment
        .variants
        .iter()
        .position(|v| v.content.is_none())
        .unwrap_or(0);
    let base_trials = counts
        .get(base)
        .map(|c| c.trials(&reward))
        .unwrap_or((0, 0));
    let variants = experiment
        .variants
        .iter()
        .zip(&counts)
        .enumerate()
        .map(|(index, (variant, c))| {
            let (n, k) = c.trials(&reward);
            let compared = (index != base).then(|| compare((n, k), base_trials));
            let compared = compared.unwrap_or_default();
            VariantResult {
                variant_id: variant.id.clone(),
                units: c.units,
                displays: c.displays,
                clicks: c.clicks,
                conversions: c.conversions,
                rate: rate(n, k).unwrap_or(0.0),
                lift: compared.lift,
                lift_interval: compared.lift_interval,
                difference: compared.difference,
                difference_interval: compared.difference_interval,
                significant: compared
                    .difference_interval
                    .is_some_and(|[low, high]| low > 0.0 || high < 0.0),
            }
        })
        .collect();
    let sample_ratio = if experiment.bandit.is_some() {
        None
    } else {
        let weights: Vec<f64> = experiment
            .variants
            .iter()
            .map(|v| f64::from(v.weight))
            .collect();
        let units: Vec<u64> = counts.iter().map(|c| c.units).collect();
        sample_ratio(&units, &weights)
    };
    Ok(Some(ExperimentResult {
        activity_id: activity.id.clone(),
        experiment_id: experiment.id.clone(),
        window_hours: reward.window_hours.unwrap_or(Reward::DEFAULT_WINDOW_HOURS),
        reward: reward.event,
        baseline: experiment
            .variants
            .get(base)
            .map(|v| v.id.clone())
            .unwrap_or_default(),
        variants,
        holdout_units: holdout.units,
        sample_ratio,
    }))
}

fn rate(n: u64, k: u64) -> Option<f64> {
    (n > 0).then(|| k as f64 / n as f64)
}

/// A variant against the baseline.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Comparison {
    pub lift: Option<f64>,
    pub lift_interval: Option<[f64; 2]>,
    pub difference: Option<f64>,
    pub difference_interval: Option<[f64; 2]>,
}

/// Compares `(trials, successes)` of a variant with the baseline's.
pub fn compare((n1, k1): (u64, u64), (n0, k0): (u64, u64)) -> Comparison {
    let (Some(p1), Some(p0)) = (rate(n1, k1), rate(n0, k0)) else {
        return Comparison::default();
    };
    let (n1, n0) = (n1 as f64, n0 as f64);
    let se = (p1 * (1.0 - p1) / n1 + p0 * (1.0 - p0) / n0).sqrt();
    let difference = p1 - p0;
    let mut out = Comparison {
        difference: Some(difference),
        difference_interval: Some([difference - Z95 * se, difference + Z95 * se]),
        ..Comparison::default()
    };
    if p1 > 0.0 && p0 > 0.0 {
        let ratio = p1 / p0;
        let se = ((1.0 - p1) / (n1 * p1) + (1.0 - p0) / (n0 * p0)).sqrt();
        out.lift = Some(ratio - 1.0);
        out.lift_interval = Some([
            (ratio.ln() - Z95 * se).exp() - 1.0,
            (ratio.ln() + Z95 * se).exp() - 1.0,
        ]);
    }
    out
}

/// Pearson's χ² test of `units` against the shares `weights` ask for; `None` when fewer than
/// two variants have weight or no unit was counted.
pub fn sample_ratio(units: &[u64], weights: &[f64]) -> Option<SampleRatio> {
    let total_weight: f64 = weights.iter().filter(|w| **w > 0.0).sum();
    let armed = weights.iter().filter(|w| **w > 0.0).count();
    let total: u64 = units
        .iter()
        .zip(weights)
        .filter(|(_, w)| **w > 0.0)
        .map(|(u, _)| u)
        .sum();
    if armed < 2 || total == 0 || total_weight <= 0.0 {
        return None;
    }
    let expected: Vec<f64> = weights.iter().map(|w| w.max(0.0) / total_weight).collect();
    let chi_squared: f64 = units
        .iter()
        .zip(&expected)
        .filter(|(_, share)| **share > 0.0)
        .map(|(&u, share)| {
            let e = share * total as f64;
            (u as f64 - e).powi(2) / e
        })
        .sum();
    let p_value = ChiSquared::new((armed - 1) as f64)
        .map(|d| d.sf(chi_squared))
        .unwrap_or(1.0);
    Some(SampleRatio {
        expected,
        chi_squared,
        p_value,
        mismatch: p_value < SRM_ALPHA,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_even_split_is_no_mismatch_and_a_lopsided_one_is() {
        let even = sample_ratio(&[5012, 4988], &[1.0, 1.0]).expect("two arms");
        assert!(!even.mismatch, "{even:?}");
        assert!((even.chi_squared - 0.0576).abs() < 1e-9, "{even:?}");
        // 5200 / 4800 of 10 000 at 50/50: χ² = 16, p ≈ 6.3e-5.
        let skewed = sample_ratio(&[5200, 4800], &[1.0, 1.0]).expect("two arms");
        assert!((skewed.chi_squared - 16.0).abs() < 1e-9);
        assert!(
            skewed.mismatch && (skewed.p_value - 6.334e-5).abs() < 1e-7,
            "{skewed:?}"
        );
        // The weights set what is expected: 1/3 and 2/3.
        assert!(
            !sample_ratio(&[3300, 6700], &[1.0, 2.0])
                .expect("armed")
                .mismatch
        );
        assert!(sample_ratio(&[10, 0], &[1.0, 0.0]).is_none());
    }

    #[test]
    fn lift_has_the_katz_interval_and_the_difference_the_wald_one() {
        // 5 % against 4 % over 10 000 trials each.
        let c = compare((10_000, 500), (10_000, 400));
        let lift = c.lift.expect("both rates > 0");
        assert!((lift - 0.25).abs() < 1e-12);
        let [low, high] = c.lift_interval.expect("interval");
        let se = ((0.95 / 500.0) + (0.96 / 400.0_f64)).sqrt();
        assert!((low - ((1.25_f64).ln() - Z95 * se).exp() + 1.0).abs() < 1e-12);
        assert!(
            low > 0.09 && low < 0.1 && high > 0.42 && high < 0.43,
            "{low} {high}"
        );
        let [dl, dh] = c.difference_interval.expect("interval");
        assert!(
            (dl - 0.0042).abs() < 1e-4 && (dh - 0.0158).abs() < 1e-4,
            "{dl} {dh}"
        );
        // No trials, or a zero rate: what cannot be computed is absent.
        assert_eq!(compare((0, 0), (100, 5)), Comparison::default());
        let zero = compare((100, 5), (100, 0));
        assert!(zero.lift.is_none() && zero.difference == Some(0.05));
    }
}
