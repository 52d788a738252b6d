//! `waymark`: the central API server, the demo, and tools for bundle authors.

mod decide;
mod demo;
mod import;
mod keys;
mod remote;
mod report;
mod serve;
mod tools;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use waymark_core::bundle::Bundle;

#[derive(Debug, Parser)]
#[command(
    name = "waymark",
    version,
    about = "Waymark delivery and decisioning runtime"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The demo: the API with the sample shop bundle and profiles, the SDK and a demo page.
    Demo(demo::DemoArgs),
    /// Check a bundle: exit 0 if valid, else print each problem as `pointer: message`.
    Validate {
        /// The bundle's JSON file.
        bundle: PathBuf,
    },
    /// Print the JSON Schema of bundles.
    Schema,
    /// Run the central API (bundles, profiles, snapshots, events, reports) on SQLite.
    Serve(serve::ServeArgs),
    /// Import profiles from an NDJSON file (one profile per line).
    Import(import::ImportArgs),
    /// Create and list API keys.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Mint a visitor token that lets its holder read one profile's snapshot.
    Token(keys::TokenArgs),
    /// Print the report (per day, activity, variant, offer, placement) as a table.
    Report(report::ReportArgs),
    /// Store, compare, preview and publish draft bundles on a running API.
    #[command(subcommand)]
    Drafts(remote::DraftsCommand),
    /// Pause an activity or offer on a running API (it republishes the live bundle).
    Pause(remote::PauseArgs),
    /// Resume a paused activity or offer on a running API.
    Resume(remote::PauseArgs),
    /// Decide what surfaces show for a profile, as the runtimes would.
    Decide(decide::DecideArgs),
    /// Print every decisioning vector with its native decision (for cross-runtime tests).
    #[command(hide = true)]
    Vectors {
        /// The folder of vector files.
        #[arg(default_value = "tests/vectors")]
        dir: PathBuf,
    },
    /// Evaluate a condition: reads {"expr" | "jsonlogic", "data", "now"?} on stdin, prints JSON.
    Eval,
    /// Render a template: reads {"template", "data", "partials"?, "escape"?, "now"?, "locale"?,
    /// "timeZone"?} on stdin, prints the text.
    Render,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("waymark: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Demo(args) => demo::demo(args),
        Command::Validate { bundle } => validate(&bundle),
        Command::Schema => schema(),
        Command::Serve(args) => serve::serve(args),
        Command::Import(args) => import::import(args),
        Command::Keys(command) => keys::keys(command),
        Command::Token(args) => keys::token(args),
        Command::Report(args) => report::report(args),
        Command::Drafts(command) => remote::drafts(command),
        Command::Pause(args) => remote::pause(args, false),
        Command::Resume(args) => remote::pause(args, true),
        Command::Decide(args) => decide::run(args),
        Command::Vectors { dir } => decide::vectors(&dir),
        Command::Eval => tools::eval(),
        Command::Render => tools::render(),
    }
}

fn validate(path: &Path) -> Result<(), String> {
    let text = read(path)?;
    match Bundle::from_json(&text) {
        Ok(bundle) => print(&format!(
            "{}: bundle `{}` is valid ({} activities, {} offers)",
            path.display(),
            bundle.id,
            bundle.activities.len(),
            bundle.offers.len()
        )),
        Err(errors) => Err(format!(
            "{} is not a valid bundle:\n{errors}",
            path.display()
        )),
    }
}

fn schema() -> Result<(), String> {
    let schema = schemars::schema_for!(Bundle);
    let text = serde_json::to_string_pretty(&schema).map_err(|e| e.to_string())?;
    print(&text)
}

/// Writes `text` and a newline to stdout; a closed pipe (`waymark schema | head`) is not an error.
fn print(text: &str) -> Result<(), String> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(format!("writing output: {e}")),
        _ => Ok(()),
    }
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}
