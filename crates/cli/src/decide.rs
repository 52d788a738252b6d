//! `waymark decide`: run the engine on files, as the runtimes would.

use std::path::{Path, PathBuf};

use serde_json::Value;
use waymark_core::engine::{DecideInput, Decision, Engine, LocalEvent, Request, Snapshot, State};

/// The command's arguments.
#[derive(Debug, clap::Args)]
pub struct DecideArgs {
    /// The bundle's JSON file.
    #[arg(long)]
    bundle: PathBuf,
    /// A profile snapshot (`{"profileId", "attributes", "consent", ...}`) as JSON.
    #[arg(long)]
    profile: Option<PathBuf>,
    /// The request context (page, cart...) as JSON.
    #[arg(long)]
    context: Option<PathBuf>,
    /// The visitor's local state as JSON.
    #[arg(long)]
    state: Option<PathBuf>,
    /// "Now", RFC 3339 or unix milliseconds (default: the current time).
    #[arg(long)]
    now: Option<String>,
    /// A surface to resolve (repeatable).
    #[arg(long = "surface", required = true)]
    surfaces: Vec<String>,
    /// The event that triggered the decision (for in-app triggers), e.g. `addToCart`.
    #[arg(long)]
    event: Option<String>,
    /// Print a readable trace instead of JSON.
    #[arg(long)]
    explain: bool,
}

pub fn run(args: DecideArgs) -> Result<(), String> {
    let text = super::read(&args.bundle)?;
    let engine = Engine::from_json(&text)
        .map_err(|errors| format!("{} is not a valid bundle:\n{errors}", args.bundle.display()))?;
    let now = match &args.now {
        Some(now) => parse_now(now)?,
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .map_err(|e| e.to_string())?,
    };
    let input = DecideInput {
        snapshot: load::<Snapshot>(args.profile.as_deref())?.unwrap_or_default(),
        context: load::<Value>(args.context.as_deref())?.unwrap_or(Value::Null),
        state: load::<State>(args.state.as_deref())?.unwrap_or_default(),
        now,
        request: Request {
            surfaces: args.surfaces,
            event: args.event.map(|event_type| LocalEvent {
                event_type,
                timestamp: now,
                ..LocalEvent::default()
            }),
        },
    };
    let decision = engine.decide(&input);
    if args.explain {
        super::print(&explain(&decision))
    } else {
        super::print(&serde_json::to_string_pretty(&decision).map_err(|e| e.to_string())?)
    }
}

fn parse_now(text: &str) -> Result<i64, String> {
    if let Ok(ms) = text.parse::<i64>() {
        return Ok(ms);
    }
    text.parse::<jiff::Timestamp>()
        .map(|t| t.as_millisecond())
        .map_err(|e| format!("--now `{text}` is neither RFC 3339 nor unix milliseconds: {e}"))
}

fn load<T: serde::de::DeserializeOwned>(path: Option<&Path>) -> Result<Option<T>, String> {
    let Some(path) = path else { return Ok(None) };
    let text = super::read(path)?;
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// A readable trace: what was chosen, and why every other candidate was not.
fn explain(decision: &Decision) -> String {
    let mut out = format!(
        "decision {} (bundle revision {})\n",
        decision.decision_id, decision.bundle_revision
    );
    for p in &decision.propositions {
        let variant = p
            .variant_id
            .as_deref()
            .map(|v| format!(" variant {v}"))
            .unwrap_or_default();
        let control = if p.content.is_none() {
            " (control: page unchanged)"
        } else {
            ""
        };
        out += &format!(
            "  show {} on {}{variant}{control}\n",
            p.activity_id, p.surface
        );
    }
    for placement in &decision.offers {
        for item in &placement.items {
            let fallback = if item.fallback { " (fallback)" } else { "" };
            out += &format!(
                "  offer {} in {}{fallback}\n",
                item.offer_id, placement.placement_id
            );
        }
    }
    out += "why:\n";
    for r in &decision.reasons {
        let detail = r.detail.map(|d| format!(": {d}")).unwrap_or_default();
        out += &format!("  {:<24} {:<40} {:?}{detail}\n", r.id, r.scope, r.outcome);
    }
    for d in &decision.diagnostics {
        out += &format!("note: {d}\n");
    }
    out.trim_end().to_owned()
}

/// `waymark vectors DIR`: every case of the decisioning vectors with the native decision, as
/// JSON, for the other runtimes to compare against byte for byte; each case carries its bundle
/// as JSON and compiled (base64), for the runtimes that load one or the other.
pub fn vectors(dir: &Path) -> Result<(), String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for path in files {
        let suite: Value = serde_json::from_str(&super::read(&path)?)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let bundle = match &suite["bundle"] {
            Value::String(name) => {
                super::read(&dir.join(format!("../fixtures/{name}/bundle.json")))?
            }
            inline => inline.to_string(),
        };
        let parsed = waymark_core::bundle::Bundle::from_json(&bundle)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let (engine, compiled) =
            Engine::compile_encoded(parsed).map_err(|e| format!("{}: {e}", path.display()))?;
        let compiled = {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD.encode(compiled)
        };
        let file = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        for case in suite["cases"].as_array().into_iter().flatten() {
            let mut input = case["input"].clone();
            if let Some(now) = input.get("now").and_then(Value::as_str) {
                input["now"] = Value::from(parse_now(now)?);
            }
            let parsed: DecideInput =
                serde_json::from_value(input.clone()).map_err(|e| format!("{file}: {e}"))?;
            let decision =
                serde_json::to_string(&engine.decide(&parsed)).map_err(|e| e.to_string())?;
            out.push(serde_json::json!({
                "file": file,
                "name": case["name"],
                "bundle": bundle,
                "compiled": compiled,
                "input": input.to_string(),
                "decision": decision,
            }));
        }
    }
    super::print(&Value::Array(out).to_string())
}
