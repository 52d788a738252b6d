//! The book in `docs/` is tested: every condition, template, bundle and decision example in it
//! runs, and what the page shows as its result is what the engine gives. The bundle reference
//! (`docs/src/reference/bundle.md`) is generated from the bundle's JSON Schema, itself derived
//! from the Rust types and their doc comments, so it cannot drift from them.
//!
//! An example is a run of fenced blocks, tagged after the language:
//! - ```` ```condition ```` or ```` ```json jsonlogic ```` (the expression), then optionally
//!   ```` ```json data ````, then ```` ```json result ```` (the value, as `waymark eval` prints
//!   it) or ```` ```text error ```` (what `waymark eval` says);
//! - ```` ```handlebars ```` with options after it (`escape=none`, `locale=de-DE`,
//!   `timeZone=Europe/Paris`), then optionally ```` ```json data ```` and
//!   ```` ```json partials ````, then ```` ```text output ```` (the rendered text, exactly;
//!   the block's last newline is not part of it) or ```` ```text error ````;
//! - ```` ```json bundle ````: a whole bundle, which must be valid, unless a ```` ```text
//!   problems ```` block follows with exactly the lines `waymark validate` prints for it; it
//!   may be followed by pairs of ```` ```json input ```` and ```` ```json decision ```` (the
//!   decision must contain what the block shows: objects may have more keys, lists must be
//!   as long).
//!
//! Every example runs at 2026-11-28T12:00:00Z unless its expression block says `now=<ms>`.
//!
//! Rewrite the bundle reference with `WAYMARK_BLESS=1 cargo test -p waymark-cli --test docs`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use waymark_core::bundle::Bundle;
use waymark_core::engine::{DecideInput, Engine};

use common::{text, waymark};

/// 2026-11-28T12:00:00Z.
const NOW: u64 = 1_795_867_200_000;

fn docs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/src")
}

/// A fenced block: its info words, its text and where it starts.
struct Block {
    info: Vec<String>,
    text: String,
    line: usize,
}

impl Block {
    fn is(&self, lang: &str, tag: &str) -> bool {
        self.info.first().is_some_and(|l| l == lang) && self.info.get(1).is_some_and(|t| t == tag)
    }

    /// The value of option `key=value` in the info string.
    fn option(&self, key: &str) -> Option<&str> {
        self.info
            .iter()
            .find_map(|word| word.strip_prefix(key)?.strip_prefix('='))
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .map_err(|e| format!("line {}: {e}", self.line))
            .unwrap()
    }

    /// The text without the newline that ends the block.
    fn exact(&self) -> &str {
        self.text.strip_suffix('\n').unwrap_or(&self.text)
    }
}

/// The fenced blocks of a markdown file (``` fences; longer fences and tildes are not used).
fn blocks(markdown: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut open: Option<Block> = None;
    for (n, line) in markdown.lines().enumerate() {
        match (&mut open, line.strip_prefix("```")) {
            (None, Some(info)) => {
                open = Some(Block {
                    info: info.split_whitespace().map(str::to_owned).collect(),
                    text: String::new(),
                    line: n + 1,
                })
            }
            (Some(_), Some("")) => out.extend(open.take()),
            (Some(block), _) => {
                block.text.push_str(line);
                block.text.push('\n');
            }
            (None, None) => {}
        }
    }
    out
}

/// Whether `actual` contains `expected`: objects may have more keys, lists are as long.
fn contains(actual: &Value, expected: &Value, at: &str) -> Result<(), String> {
    match (expected, actual) {
        (Value::Object(want), Value::Object(got)) => want.iter().try_for_each(|(k, v)| {
            let below = format!("{at}/{k}");
            match got.get(k) {
                Some(g) => contains(g, v, &below),
                None => Err(format!("{below}: missing")),
            }
        }),
        (Value::Array(want), Value::Array(got)) if want.len() == got.len() => want
            .iter()
            .zip(got)
            .enumerate()
            .try_for_each(|(i, (w, g))| contains(g, w, &format!("{at}/{i}"))),
        (Value::Number(want), Value::Number(got)) if want.as_f64() == got.as_f64() => Ok(()),
        _ if expected == actual => Ok(()),
        _ => Err(format!("{at}: expected {expected}, found {actual}")),
    }
}

/// Runs the examples that start at `blocks[i]`; how many blocks they used and what failed.
fn run(blocks: &[Block], i: usize, ran: &mut usize) -> (usize, Vec<String>) {
    let block = &blocks[i];
    let next = |k: usize, lang: &str, tag: &str| blocks.get(i + k).filter(|b| b.is(lang, tag));
    let mut failures = Vec::new();
    let mut fail = |message: String| failures.push(format!("line {}: {message}", block.line));
    let lang = block.info.first().map_or("", String::as_str);
    let tag = block.info.get(1).map_or("", String::as_str);
    match (lang, tag) {
        ("condition", _) | ("json", "jsonlogic") => {
            let data = next(1, "json", "data");
            let used = 1 + usize::from(data.is_some());
            let now: u64 = block.option("now").map_or(NOW, |n| n.parse().unwrap());
            let mut input = json!({"data": data.map_or(Value::Null, Block::json), "now": now});
            if lang == "condition" {
                input["expr"] = Value::String(block.exact().to_owned());
            } else {
                input["jsonlogic"] = block.json();
            }
            let out = waymark(&["eval"], &input.to_string());
            *ran += 1;
            if let Some(result) = next(used, "json", "result") {
                let got: Option<Value> = serde_json::from_slice(&out.stdout).ok();
                if !out.status.success() || got.as_ref() != Some(&result.json()) {
                    fail(format!(
                        "expected {}, `waymark eval` gave {} {}",
                        result.json(),
                        text(&out.stdout).trim(),
                        text(&out.stderr).trim()
                    ));
                }
                (used + 1, failures)
            } else if let Some(error) = next(used, "text", "error") {
                let said = text(&out.stderr);
                if out.status.success() || !said.contains(error.exact()) {
                    fail(format!(
                        "expected the error\n{}\n`waymark eval` said\n{said}",
                        error.text
                    ));
                }
                (used + 1, failures)
            } else {
                fail("a condition needs a `json result` or a `text error` block".into());
                (used, failures)
            }
        }
        ("handlebars", _) => {
            let mut used = 1;
            let mut input = json!({"template": block.exact(), "now": NOW});
            for key in ["escape", "locale", "timeZone"] {
                if let Some(value) = block.option(key) {
                    input[key] = Value::String(value.to_owned());
                }
            }
            for part in ["data", "partials"] {
                if let Some(b) = next(used, "json", part) {
                    input[part] = b.json();
                    used += 1;
                }
            }
            let out = waymark(&["render"], &input.to_string());
            *ran += 1;
            let expected = next(used, "text", "output").or_else(|| next(used, "html", "output"));
            if let Some(expected) = expected {
                if !out.status.success() || text(&out.stdout) != expected.exact() {
                    fail(format!(
                        "expected the output\n{}\n`waymark render` gave\n{}{}",
                        expected.exact(),
                        text(&out.stdout),
                        text(&out.stderr)
                    ));
                }
                (used + 1, failures)
            } else if let Some(error) = next(used, "text", "error") {
                let said = text(&out.stderr);
                if out.status.success() || !said.contains(error.exact()) {
                    fail(format!(
                        "expected the error\n{}\n`waymark render` said\n{said}",
                        error.text
                    ));
                }
                (used + 1, failures)
            } else {
                fail("a template needs a `text output` or a `text error` block".into());
                (used, failures)
            }
        }
        ("json", "bundle") => {
            *ran += 1;
            let source = block.exact();
            if let Some(problems) = next(1, "text", "problems") {
                match Engine::from_json(source) {
                    Ok(_) => fail("the bundle is valid, but the page lists problems".into()),
                    Err(errors) => {
                        let said = errors.to_string();
                        if said != problems.exact() {
                            fail(format!(
                                "expected the problems\n{}\nfound\n{said}",
                                problems.text
                            ));
                        }
                    }
                }
                return (2, failures);
            }
            let engine = match Engine::from_json(source) {
                Ok(engine) => engine,
                Err(errors) => {
                    fail(format!("the bundle is not valid:\n{errors}"));
                    return (1, failures);
                }
            };
            let mut used = 1;
            while let (Some(input), Some(decision)) = (
                next(used, "json", "input"),
                next(used + 1, "json", "decision"),
            ) {
                *ran += 1;
                let mut raw = input.json();
                if raw.get("now").is_none() {
                    raw["now"] = json!(NOW);
                }
                match DecideInput::from_json(&raw.to_string()) {
                    Ok(input) => {
                        let got = serde_json::to_value(engine.decide(&input)).unwrap();
                        if let Err(why) = contains(&got, &decision.json(), "") {
                            fail(format!(
                                "decision (line {}): {why}\nthe whole decision: {got:#}",
                                decision.line
                            ));
                        }
                    }
                    Err(e) => fail(format!("input (line {}): {e}", input.line)),
                }
                used += 2;
            }
            (used, failures)
        }
        _ => (1, failures),
    }
}

fn markdown_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            markdown_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "md") {
            out.push(path);
        }
    }
}

#[test]
fn every_example_in_the_book_runs_as_shown() {
    let mut files = Vec::new();
    markdown_files(&docs(), &mut files);
    files.sort();
    let mut ran = 0;
    let mut failures = Vec::new();
    for file in &files {
        let markdown = std::fs::read_to_string(file).unwrap();
        let blocks = blocks(&markdown);
        let mut i = 0;
        while i < blocks.len() {
            let (used, failed) = run(&blocks, i, &mut ran);
            let name = file.strip_prefix(docs()).unwrap().display().to_string();
            failures.extend(failed.into_iter().map(|f| format!("{name} {f}")));
            i += used.max(1);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {ran} examples failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    assert!(ran >= 40, "only {ran} examples ran");
}

#[test]
fn examples_can_fail() {
    let markdown = "```condition\n1 + 1\n```\n\n```json result\n3\n```\n\n```handlebars\n{{x}}\n```\n```json data\n{\"x\": \"<\"}\n```\n```text output\n<\n```\n";
    let blocks = blocks(markdown);
    let mut ran = 0;
    assert_eq!(run(&blocks, 0, &mut ran).1.len(), 1);
    assert_eq!(
        run(&blocks, 2, &mut ran).1.len(),
        1,
        "output is escaped: &lt;"
    );
    assert!(
        contains(
            &json!({"a": [1, {"b": 2, "c": 3}]}),
            &json!({"a": [1, {"b": 2}]}),
            ""
        )
        .is_ok()
    );
    assert!(contains(&json!({"a": [1, 2]}), &json!({"a": [1]}), "").is_err());
}

/// The bundle reference: one section per type of the schema, in the order a reader meets them
/// from the bundle down.
fn bundle_reference() -> String {
    let schema = serde_json::to_value(schemars::schema_for!(Bundle)).unwrap();
    let defs = schema["$defs"].as_object().unwrap();
    let mut order = vec!["Bundle".to_owned()];
    let mut i = 0;
    while i < order.len() {
        let node = if order[i] == "Bundle" {
            &schema
        } else {
            &defs[&order[i]]
        };
        let mut refs = Vec::new();
        collect_refs(node, &mut refs);
        for r in refs {
            if !order.contains(&r) {
                order.push(r);
            }
        }
        i += 1;
    }
    let mut out = String::from(
        "# Bundle reference\n\n<!-- Generated from the bundle's JSON Schema (`waymark schema`) by crates/cli/tests/docs.rs: edit the doc comments in crates/core/src/bundle/, then run WAYMARK_BLESS=1 cargo test -p waymark-cli --test docs. -->\n\nEvery type a bundle is made of, from the bundle down. Fields without a default are required. `waymark schema` prints the same as JSON Schema, for editors.\n",
    );
    for name in &order {
        let node = if name == "Bundle" {
            &schema
        } else {
            &defs[name]
        };
        let _ = write!(out, "\n## {name}\n\n");
        if let Some(description) = node["description"].as_str() {
            let _ = write!(out, "{}\n\n", one_paragraph(description));
        }
        let variants = node["oneOf"].as_array().or(node["anyOf"].as_array());
        match variants {
            Some(variants) => {
                if node["properties"].is_object() {
                    out.push_str("Fields of every form:\n\n");
                    fields(&mut out, node);
                    out.push('\n');
                }
                out.push_str("One of:\n\n");
                for variant in variants {
                    let _ = writeln!(out, "- {}", variant_line(variant));
                }
                for variant in variants.iter().filter(|v| v["properties"].is_object()) {
                    if variant["properties"].as_object().unwrap().len() > 1 {
                        let _ = write!(out, "\n### {name}: {}\n\n", variant_name(variant));
                        fields(&mut out, variant);
                    }
                }
            }
            None if node["properties"].is_object() => fields(&mut out, node),
            None => {
                let _ = writeln!(out, "{}", type_of(node));
            }
        }
    }
    out
}

fn collect_refs(node: &Value, out: &mut Vec<String>) {
    match node {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                out.push(r.trim_start_matches("#/$defs/").to_owned());
            }
            map.values().for_each(|v| collect_refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

/// A description on one line (the doc comments wrap at 100 columns).
fn one_paragraph(text: &str) -> String {
    text.split("\n\n")
        .map(|p| p.split('\n').collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("<br><br>")
}

/// `channel: "web"` for a tagged variant, `an object with html` for an untagged one.
fn variant_name(variant: &Value) -> String {
    let tag = variant["properties"].as_object().and_then(|p| {
        p.iter()
            .find_map(|(k, v)| Some(format!("`{k}: {}`", v.get("const")?)))
    });
    let required: Vec<String> = variant["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter(|r| variant["properties"][*r].get("const").is_none())
        .map(|r| format!("`{r}`"))
        .collect();
    match (tag, variant["type"].as_str()) {
        (Some(tag), _) => tag,
        (None, Some("object")) if !required.is_empty() => {
            format!("an object with {}", required.join(" and "))
        }
        _ => type_of(variant),
    }
}

fn variant_line(variant: &Value) -> String {
    let mut name = if variant.get("const").is_some() || variant.get("enum").is_some() {
        type_of(variant)
    } else {
        variant_name(variant)
    };
    if let (Some(r), true) = (variant["$ref"].as_str(), variant["properties"].is_object()) {
        let r = r.trim_start_matches("#/$defs/");
        name = format!("{name} with the fields of [{r}](#{})", r.to_lowercase());
    }
    match variant["description"].as_str() {
        Some(d) => format!("{name}: {}", one_paragraph(d)),
        None => name,
    }
}

fn fields(out: &mut String, node: &Value) {
    let required: Vec<&str> = node["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    out.push_str("| field | type | default | description |\n|---|---|---|---|\n");
    for (field, schema) in node["properties"].as_object().unwrap() {
        let default = match schema.get("default") {
            Some(d) => format!("`{d}`"),
            None if required.contains(&field.as_str()) => "required".to_owned(),
            None => "none".to_owned(),
        };
        let description = match (schema["description"].as_str(), schema.get("const")) {
            (Some(d), _) => one_paragraph(d),
            (None, Some(_)) => "Which form this is.".to_owned(),
            (None, None) => String::new(),
        };
        let _ = writeln!(
            out,
            "| `{field}` | {} | {} | {} |",
            type_of(schema).replace('|', "\\|"),
            default.replace('|', "\\|"),
            description.replace('|', "\\|")
        );
    }
}

/// A type in words, with its bounds and pattern.
fn type_of(node: &Value) -> String {
    if let Some(r) = node["$ref"].as_str() {
        let name = r.trim_start_matches("#/$defs/");
        return format!("[{name}](#{})", name.to_lowercase());
    }
    if let Some(c) = node.get("const") {
        return format!("`{c}`");
    }
    if let Some(values) = node["enum"].as_array() {
        return values
            .iter()
            .map(|v| format!("`{v}`"))
            .collect::<Vec<_>>()
            .join(", ");
    }
    if let Some(any) = node["anyOf"].as_array().or(node["oneOf"].as_array()) {
        let parts: Vec<String> = any
            .iter()
            .filter(|v| v["type"] != "null")
            .map(type_of)
            .collect();
        return parts.join(" or ");
    }
    let mut text = match &node["type"] {
        Value::String(t) => t.clone(),
        Value::Array(ts) => ts
            .iter()
            .filter_map(Value::as_str)
            .filter(|t| *t != "null")
            .collect::<Vec<_>>()
            .join(" or "),
        _ if node == &Value::Bool(true) || node.as_object().is_some_and(|m| m.is_empty()) => {
            "any JSON".to_owned()
        }
        _ => "any JSON".to_owned(),
    };
    match text.as_str() {
        "array" => text = format!("list of {}", type_of(&node["items"])),
        "object" => match &node["additionalProperties"] {
            Value::Object(_) => {
                text = format!(
                    "map of string to {}",
                    type_of(&node["additionalProperties"])
                )
            }
            Value::Bool(true) => text = "object (any keys)".to_owned(),
            _ => {}
        },
        _ => {}
    }
    let (min, max) = (node["minimum"].as_u64(), node["maximum"].as_u64());
    match (min, max) {
        (Some(min), Some(max)) if min > 0 || max < u64::MAX => {
            text = format!("{text}, {min}–{max}")
        }
        (Some(min), None) if min > 0 => text = format!("{text}, ≥ {min}"),
        _ => {}
    }
    if let Some(pattern) = node["pattern"].as_str() {
        text = format!("{text} matching `{pattern}`");
    }
    text
}

#[test]
fn the_bundle_reference_is_generated_from_the_schema() {
    let path = docs().join("reference/bundle.md");
    let generated = bundle_reference();
    if std::env::var_os("WAYMARK_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/src/reference/bundle.md is not what the schema gives: run WAYMARK_BLESS=1 cargo test -p waymark-cli --test docs"
    );
}

/// The API reference: every route of the OpenAPI document (`GET /openapi.json`), who may call
/// it and what it does.
fn api_reference() -> String {
    let mut out = String::from(
        "# API reference\n\n<!-- Generated from the OpenAPI document (`GET /openapi.json`, crates/server/src/openapi.rs) by crates/cli/tests/docs.rs: run WAYMARK_BLESS=1 cargo test -p waymark-cli --test docs after changing it. -->\n\nEvery route of the central API. Keys go in the `X-Waymark-Key` header. *client* is a client key (`wmc_…`); *viewer*, *editor* and *admin* are management keys of at least that role (admin can do everything); *snapshot* is an admin key, or a client key with the visitor's token (`wmt.…`) in `Authorization: Bearer`; *merge* is an admin key, or a client key with the token of the profile merged into; *none* needs no key. Errors are `application/problem+json` with a `title`, a `status` and, for bundles, `problems: [{pointer, message}]`.\n\n| method | path | who | success | what |\n|---|---|---|---|---|\n",
    );
    for &(method, path, summary, auth, status) in waymark_server::openapi::ROUTES {
        let _ = writeln!(
            out,
            "| {} | `{path}` | {auth} | {status} | {} |",
            method.to_uppercase(),
            summary.replace('|', "\\|")
        );
    }
    out
}

#[test]
fn the_api_reference_is_generated_from_the_openapi_document() {
    let path = docs().join("reference/api.md");
    let generated = api_reference();
    // Every route of the document is in the table.
    let document = waymark_server::openapi::document();
    let routes: usize = document["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|p| p.as_object().unwrap().len())
        .sum();
    assert_eq!(
        generated
            .lines()
            .filter(|l| l.starts_with("| ") && !l.starts_with("| method"))
            .count(),
        routes
    );
    if std::env::var_os("WAYMARK_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/src/reference/api.md is not what the OpenAPI document gives: run WAYMARK_BLESS=1 cargo test -p waymark-cli --test docs"
    );
}
