//! The Mustache spec's core (comments, delimiters, interpolation, inverted, partials,
//! sections: 136 cases; lambdas are an optional module and not included).

// The same tests run under wasm-bindgen-test (in node) when built for wasm32.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use serde_json::Value;
use waymark_core::template::{Partials, RenderOptions, Template};

const SUITES: [(&str, &str); 6] = [
    (
        "comments",
        include_str!("../../../tests/suites/mustache/comments.json"),
    ),
    (
        "delimiters",
        include_str!("../../../tests/suites/mustache/delimiters.json"),
    ),
    (
        "interpolation",
        include_str!("../../../tests/suites/mustache/interpolation.json"),
    ),
    (
        "inverted",
        include_str!("../../../tests/suites/mustache/inverted.json"),
    ),
    (
        "partials",
        include_str!("../../../tests/suites/mustache/partials.json"),
    ),
    (
        "sections",
        include_str!("../../../tests/suites/mustache/sections.json"),
    ),
];

fn run_case(case: &Value) -> Result<String, String> {
    let template = case["template"].as_str().ok_or("no template")?;
    let mut partials = Partials::new();
    if let Some(map) = case["partials"].as_object() {
        for (name, src) in map {
            partials
                .compile(name, src.as_str().ok_or("bad partial")?)
                .map_err(|e| e.to_string())?;
        }
    }
    let compiled = Template::compile("spec", template).map_err(|e| e.to_string())?;
    let out = compiled
        .render(&case["data"], &partials, &RenderOptions::default())
        .map_err(|e| e.to_string())?;
    Ok(out.text)
}

#[test]
fn mustache_spec_core_passes() {
    let mut total = 0;
    let mut failures = Vec::new();
    for (suite, json) in SUITES {
        let parsed: Value = serde_json::from_str(json).unwrap();
        for case in parsed["tests"].as_array().unwrap() {
            total += 1;
            let expected = case["expected"].as_str().unwrap();
            match run_case(case) {
                Ok(got) if got == expected => {}
                got => failures.push(format!(
                    "{suite} / {}: expected {expected:?}, got {got:?}\n  template {:?}",
                    case["name"], case["template"]
                )),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {total} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(total, 136);
}
