//! Writes the fuzz targets' seed corpora (tests/fuzz/corpus/<target>/) from the project's
//! vectors, fixtures and vendored suites. Run by `bash scripts/fuzz.sh seed`; its output is
//! committed, and libFuzzer adds what it finds to the same folders during a run.

use std::collections::hash_map::DefaultHasher;
use std::fs;
use std::hash::{Hash, Hasher};
use std::path::Path;

use serde_json::Value;
use waymark_core::engine::Engine;
use waymark_fuzz::vector_files;

fn main() -> std::io::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let corpus = root.join("tests/fuzz/corpus");
    let read = |path: &str| fs::read_to_string(root.join(path));

    let mut bundles: Vec<Value> = vector_files().map(|file| file["bundle"].clone()).collect();
    for path in [
        "tests/fixtures/shop/bundle.json",
        "tests/fixtures/edge/bundle.json",
    ] {
        if let Ok(text) = read(path) {
            bundles.extend(serde_json::from_str::<Value>(&text).ok());
        }
    }
    let mut strings = Vec::new();
    for bundle in &bundles {
        collect_strings(bundle, &mut strings);
        let text = serde_json::to_string_pretty(bundle)?;
        put(&corpus, "bundle", text.as_bytes())?;
        if let Ok(engine) = Engine::from_json(&text) {
            if let Ok((_, bytes)) = Engine::compile_encoded(engine.into_bundle()) {
                put(&corpus, "compiled", &bytes)?;
            }
        }
    }
    for file in vector_files() {
        for case in file["cases"].as_array().into_iter().flatten() {
            let input = &case["input"];
            put(&corpus, "inputs", input.to_string().as_bytes())?;
            if !input["state"].is_null() {
                put(&corpus, "inputs", input["state"].to_string().as_bytes())?;
            }
        }
    }
    // Audiences and templates: every string of the bundles, each where it can parse.
    for text in &strings {
        if text.contains("{{") {
            put(&corpus, "template", text.as_bytes())?;
        } else if waymark_core::expr::Expr::parse(text).is_ok() {
            put(&corpus, "expr", text.as_bytes())?;
        }
    }
    if let Ok(text) = read("tests/suites/jsonlogic/tests.json") {
        let cases: Vec<Value> = serde_json::from_str(&text).unwrap_or_default();
        for case in cases.iter().filter_map(Value::as_array) {
            if let Some(rule) = case.first() {
                put(&corpus, "jsonlogic", rule.to_string().as_bytes())?;
            }
        }
    }
    for entry in fs::read_dir(root.join("tests/suites/mustache"))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "json") {
            let spec: Value = serde_json::from_str(&fs::read_to_string(&path)?).unwrap_or_default();
            for test in spec["tests"].as_array().into_iter().flatten() {
                if let Some(template) = test["template"].as_str() {
                    put(&corpus, "template", template.as_bytes())?;
                }
            }
        }
    }
    Ok(())
}

/// Every string in `value` that is not a plain identifier-like key value.
fn collect_strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) if s.len() > 2 => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| collect_strings(v, out)),
        Value::Object(map) => map.values().for_each(|v| collect_strings(v, out)),
        _ => {}
    }
}

/// Writes `bytes` into the target's corpus, named by their hash (so seeding twice adds nothing).
fn put(corpus: &Path, target: &str, bytes: &[u8]) -> std::io::Result<()> {
    let dir = corpus.join(target);
    fs::create_dir_all(&dir)?;
    let mut hasher = DefaultHasher::new();
    bytes.hash(&mut hasher);
    fs::write(dir.join(format!("seed-{:016x}", hasher.finish())), bytes)
}
