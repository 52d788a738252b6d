//! `waymark import FILE.ndjson`: bulk profile import with a progress bar and a summary.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};

/// Options of `waymark import`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// NDJSON: one `{"id": "…", "attributes": {…}, …}` per line; or, for a `.csv` file, CSV
    /// with a header row of dotted paths (`id,loyalty.tier,context.cart.total`).
    pub file: PathBuf,
    #[arg(long, default_value = "waymark.db")]
    pub db: PathBuf,
    /// Import every line as a test profile (for previews: its events never reach reports or
    /// bandit statistics); a line may also carry a sample `context` for `POST /v1/decide`.
    #[arg(long)]
    pub test: bool,
    /// First write N generated profiles to FILE (for benchmarks), then import it.
    #[arg(long, value_name = "N")]
    pub generate: Option<u64>,
}

pub fn import(args: ImportArgs) -> Result<(), String> {
    if let Some(n) = args.generate {
        let started = Instant::now();
        generate(&args.file, n)?;
        eprintln!(
            "generated {n} profiles in {} in {:.1}s",
            args.file.display(),
            started.elapsed().as_secs_f64()
        );
    }
    let file =
        File::open(&args.file).map_err(|e| format!("cannot read {}: {e}", args.file.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let db = crate::keys::open(&args.db)?;
    let bar = ProgressBar::new(size);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({eta})",
        )
        .map_err(|e| e.to_string())?,
    );
    let started = Instant::now();
    let input = BufReader::with_capacity(1 << 20, file);
    let progress = |bytes| bar.set_position(bytes);
    let csv = args
        .file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let summary = if csv {
        waymark_server::import::import_csv_as(&db, input, args.test, progress)
    } else {
        waymark_server::import::import_as(&db, input, args.test, progress)
    }
    .map_err(|e| e.to_string())?;
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    for (line, why) in &summary.problems {
        eprintln!("{}:{line}: {why}", args.file.display());
    }
    if summary.bad > summary.problems.len() as u64 {
        eprintln!(
            "… and {} more bad lines",
            summary.bad - summary.problems.len() as u64
        );
    }
    crate::print(&format!(
        "imported {} profiles from {} lines in {seconds:.1}s ({:.0}/s); {} bad lines skipped",
        summary.imported,
        summary.lines,
        summary.imported as f64 / seconds.max(1e-9),
        summary.bad
    ))
}

/// Writes `n` synthetic profiles, deterministic for a given `n`.
pub fn generate(path: &Path, n: u64) -> Result<(), String> {
    const TIERS: [&str; 4] = ["gold", "silver", "bronze", "none"];
    const CITIES: [&str; 6] = ["Paris", "Lyon", "Berlin", "Madrid", "Lisbon", "Milan"];
    const ZONES: [&str; 4] = ["Europe/Paris", "Europe/Berlin", "Europe/Madrid", "UTC"];
    let file = File::create(path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    for i in 0..n {
        let k = (i.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32) as usize;
        let line = serde_json::json!({
            "id": format!("u{i:08}"),
            "attributes": {
                "firstName": format!("Name{}", k % 5000),
                "email": format!("user{i}@example.com"),
                "city": CITIES[k % CITIES.len()],
                "loyalty": {"tier": TIERS[k % TIERS.len()], "points": k % 10_000},
                "age": 18 + k % 60
            },
            "identities": {"email": format!("user{i}@example.com")},
            "audiences": if k.is_multiple_of(3) { vec!["newsletter"] } else { vec![] },
            "consent": {"personalize": if k.is_multiple_of(10) { "out" } else { "in" }, "track": "in"},
            "timeZone": ZONES[k % ZONES.len()]
        });
        writeln!(out, "{line}").map_err(|e| format!("writing {}: {e}", path.display()))?;
    }
    out.flush()
        .map_err(|e| format!("writing {}: {e}", path.display()))
}
