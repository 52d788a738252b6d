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
    /// Last day, YYYY-MM-DD (default: today, UTC).
    #[arg(long)]
    pub to: Option<String>,
    /// The custom event counted as a conversion.
    #[arg(long, default_value = "purchase")]
    pub conversion: String,
}

pub fn report(args: ReportArgs) -> Result<(), String> {
    let range = Range {
        from: args.from,
        to: args.to,
        conversion: Some(args.conversion),
    }
    .check()?;
    let db = crate::keys::open(&args.db)?;
    let (rows, bandits) = db
        .read_blocking(|conn| {
            Ok((
                reports::rows(conn, &range)?,
                waymark_server::bandit::load(conn)?,
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
        "Report {} to {} (conversion: {})\n",
        range.from, range.to, range.conversion
    );
    out.push_str(&align(&table, 5));
    if rows.is_empty() {
        out.push_str("(no events in this range)\n");
    }
    if !bandits.is_empty() {
        let mut table = vec![
            [
                "activity",
                "experiment",
                "variant",
                "displays",
                "clicks",
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
                    arm.variant_id.clone(),
                    arm.displays.to_string(),
                    arm.clicks.to_string(),
                    format!("{:.4}", arm.weight),
                ]);
            }
        }
        out.push_str("\nBandits (Thompson sampling)\n");
        out.push_str(&align(&table, 3));
    }
    crate::print(out.trim_end())
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
