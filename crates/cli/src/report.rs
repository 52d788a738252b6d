//! `waymark report`: the report of the API as an aligned text table.

use std::path::PathBuf;

use waymark_server::reports::{self, Range};

/// Options of `waymark report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    #[arg(long, default_value = "waymark.db")]
    pub db: PathBuf,
    /// First day, YYYY-MM-DD (default: 29 days before `--to`).
    #[arg(long)]
    pub from: Option<String>,
    /// Last day, YYYY-MM-DD (default: today in `--time-zone`).
    #[arg(long)]
    pub to: Option<String>,
    /// The IANA time zone days are counted in (default: UTC).
    #[arg(long)]
    pub time_zone: Option<String>,
    /// The custom event counted as a conversion.
    #[arg(long, default_value = "purchase")]
    pub conversion: String,
}

pub fn report(args: ReportArgs) -> Result<(), String> {
    let range = Range {
        from: args.from,
        to: args.to,
        conversion: Some(args.conversion),
        time_zone: args.time_zone,
    }
    .check()?;
    let db = crate::keys::open(&args.db)?;
    let (rows, experiments, bandits, policies) = db
        .read_blocking(|conn| {
            Ok((
                reports::rows(conn, &range)?,
                reports::experiments(conn, &range)?,
                waymark_server::bandit::load(conn)?,
                waymark_server::bandit::load_policies(conn)?,
            ))
        })
        .map_err(|e| e.to_string())?;
    let mut table = vec![
        [
            "day",
            "activity",
            "variant",
            "offer",
            "placement",
            "displays",
            "clicks",
            "dismissals",
            "ctr",
            "conversions",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for r in &rows {
        table.push(vec![
            r.day.clone(),
            dash(&r.activity_id),
            dash(&r.variant_id),
            dash(&r.offer_id),
            dash(&r.placement_id),
            r.displays.to_string(),
            r.clicks.to_string(),
            r.dismissals.to_string(),
            format!("{:.2}%", r.ctr * 100.0),
            r.conversions.to_string(),
        ]);
    }
    let mut out = format!(
        "Report {} to {}, {} days (conversion: {})\n",
        range.from, range.to, range.zone_name, range.conversion
    );
    out.push_str(&align(&table, 5));
    if rows.is_empty() {
        out.push_str("(no events in this range)\n");
    }
    for experiment in &experiments {
        out.push_str(&experiment_table(experiment));
    }
    if !bandits.is_empty() {
        let mut table = vec![
            [
                "activity",
                "experiment",
                "reward",
                "variant",
                "trials",
                "successes",
                "weight",
            ]
            .map(String::from)
            .to_vec(),
        ];
        for experiment in &bandits {
            for arm in &experiment.variants {
                table.push(vec![
                    experiment.activity_id.clone(),
                    experiment.experiment_id.clone(),
                    experiment.reward.clone(),
                    arm.variant_id.clone(),
                    arm.trials.to_string(),
                    arm.successes.to_string(),
                    format!("{:.4}", arm.weight),
                ]);
            }
        }
        out.push_str("\nBandits (Thompson sampling)\n");
        out.push_str(&align(&table, 4));
    }
    if !policies.is_empty() {
        let mut table = vec![
            [
                "policy",
                "placement",
                "offer",
                "displays",
                "clicks",
                "weight",
            ]
            .map(String::from)
            .to_vec(),
        ];
        for policy in &policies {
            for arm in &policy.offers {
                table.push(vec![
                    policy.policy_id.clone(),
                    policy.placement_id.clone(),
                    arm.offer_id.clone(),
                    arm.displays.to_string(),
                    arm.clicks.to_string(),
                    format!("{:.4}", arm.weight),
                ]);
            }
        }
        out.push_str("\nPolicies ranked by bandit\n");
        out.push_str(&align(&table, 3));
    }
    crate::print(out.trim_end())
}

/// An experiment's results: a line per variant, lift against the baseline with its 95 %
/// interval, then the sample-ratio check.
fn experiment_table(e: &waymark_server::experiments::ExperimentResult) -> String {
    let mut table = vec![
        [
            "variant",
            "units",
            "displays",
            "clicks",
            "conversions",
            "rate",
            "lift",
            "95% interval",
        ]
        .map(String::from)
        .to_vec(),
    ];
    let percent = |x: f64| format!("{:+.1}%", x * 100.0);
    for v in &e.variants {
        table.push(vec![
            v.variant_id.clone(),
            v.units.to_string(),
            v.displays.to_string(),
            v.clicks.to_string(),
            v.conversions.to_string(),
            format!("{:.2}%", v.rate * 100.0),
            v.lift.map_or_else(|| "-".into(), percent),
            v.lift_interval.map_or_else(
                || "-".into(),
                |[low, high]| format!("{} to {}", percent(low), percent(high)),
            ),
        ]);
    }
    let mut out = format!(
        "\nExperiment {} on {} (reward: {} within {} h; baseline {}; {} held out)\n",
        e.experiment_id, e.activity_id, e.reward, e.window_hours, e.baseline, e.holdout_units
    );
    out.push_str(&align(&table, 1));
    if let Some(srm) = &e.sample_ratio {
        out.push_str(&format!(
            "sample ratio: χ² {:.2}, p {:.4}{}\n",
            srm.chi_squared,
            srm.p_value,
            if srm.mismatch {
                " MISMATCH: assignment or tracking is broken; do not trust these results"
            } else {
                ""
            }
        ));
    }
    out
}

fn dash(s: &str) -> String {
    if s.is_empty() { "-".into() } else { s.into() }
}

/// Pads columns to their widest cell; columns from `numeric` on are right-aligned.
fn align(table: &[Vec<String>], numeric: usize) -> String {
    let columns = table.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            table
                .iter()
                .map(|row| row[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in table {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (cell, &w))| {
                if i >= numeric {
                    format!("{cell:>w$}")
                } else {
                    format!("{cell:<w$}")
                }
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}
