//! The handlebars.js spec cases that use only built-in helpers and default options
//! (tests/suites/handlebars/, extracted by its `extract.mjs`). Every case passes, except those
//! in `skip.json`, each with the reason; a skipped case that passes fails the test, so the
//! list stays exact.

// The same tests run under wasm-bindgen-test (in node) when built for wasm32.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use serde_json::Value;
use waymark_core::template::{Partials, RenderOptions, Template};

macro_rules! suites {
    ($($name:literal),*) => {
        [$(($name, include_str!(concat!("../../../tests/suites/handlebars/", $name, ".json")))),*]
    };
}

const SUITES: [(&str, &str); 9] = suites!(
    "basic",
    "blocks",
    "builtins",
    "data",
    "helpers",
    "partials",
    "regressions",
    "security",
    "whitespace-control"
);

const SKIP: &str = include_str!("../../../tests/suites/handlebars/skip.json");

fn run_case(case: &Value) -> Result<String, String> {
    let mut partials = Partials::new();
    if let Some(map) = case["partials"].as_object() {
        for (name, src) in map {
            partials
                .compile(name, src.as_str().unwrap_or_default())
                .map_err(|e| e.to_string())?;
        }
    }
    let template = case["template"].as_str().unwrap_or_default();
    let compiled = Template::compile("spec", template).map_err(|e| e.to_string())?;
    let out = compiled
        .render(&case["data"], &partials, &RenderOptions::default())
        .map_err(|e| e.to_string())?;
    Ok(out.text)
}

/// Whether the engine does what the case expects: the output, or an error.
fn passes(case: &Value) -> (bool, String) {
    let got = run_case(case);
    let ok = match (&case["expected"], &got) {
        (Value::String(expected), Ok(text)) => text == expected,
        (Value::Null, Err(_)) => !case["error"].is_null(),
        _ => false,
    };
    let detail = format!(
        "template {:?}, data {}, expected {}, got {got:?}",
        case["template"],
        case["data"],
        if case["expected"].is_null() {
            format!("an error ({})", case["error"])
        } else {
            format!("{:?}", case["expected"])
        }
    );
    (ok, detail)
}

#[test]
fn handlebars_spec_passes_except_the_listed_cases() {
    let skip: Value = serde_json::from_str(SKIP).unwrap();
    let skip = skip.as_object().unwrap();
    let mut failures = Vec::new();
    let mut seen = 0;
    let mut report = Vec::new();
    for (suite, json) in SUITES {
        let parsed: Value = serde_json::from_str(json).unwrap();
        let cases = parsed["cases"].as_array().unwrap();
        let mut passed = 0;
        for case in cases {
            let name = format!("{suite}: {}", case["name"].as_str().unwrap());
            let (ok, detail) = passes(case);
            match (ok, skip.get(&name)) {
                (true, None) => passed += 1,
                (false, Some(_)) => seen += 1,
                (true, Some(_)) => {
                    failures.push(format!("{name} passes: remove it from skip.json"));
                }
                (false, None) => failures.push(format!("{name}: {detail}")),
            }
        }
        report.push(format!("{suite} {passed}/{}", cases.len()));
    }
    eprintln!("handlebars spec: {}", report.join(", "));
    assert!(
        failures.is_empty(),
        "{} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(seen, skip.len(), "skip.json names cases that do not exist");
}
