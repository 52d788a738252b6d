//! The SDK's TypeScript types for bundles, decide inputs and decisions (`www/src/types.d.ts`)
//! are generated from the engine's Rust types, through their JSON Schema, so they cannot drift:
//! this test fails when the committed file is not what the types give. The test command then
//! checks the SDK's declarations and a typed use of them with `tsc --strict`
//! (`tests/js/types/`).
//!
//! Rewrite the file with `WAYMARK_BLESS=1 cargo test -p waymark-cli --test types`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use std::fmt::Write as _;
use std::path::Path;

use serde_json::{Map, Value};
use waymark_core::bundle::Bundle;
use waymark_core::engine::{DecideInput, Decision};

/// Every type the three roots reach, by name.
fn definitions() -> Map<String, Value> {
    let mut generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
    generator.subschema_for::<Bundle>();
    generator.subschema_for::<DecideInput>();
    generator.subschema_for::<Decision>();
    generator.take_definitions(true)
}

/// A JSON Schema as a TypeScript type.
fn ts(schema: &Value) -> String {
    if schema == &Value::Bool(true) || schema.as_object().is_some_and(Map::is_empty) {
        return "unknown".into();
    }
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.rsplit('/').next().unwrap_or(r).to_owned();
        // A `$ref` beside properties: the referenced type and those fields (serde's flatten).
        return match object(schema) {
            Some(fields) => format!("{name} & {fields}"),
            None => name,
        };
    }
    if let Some(c) = schema.get("const") {
        return c.to_string();
    }
    if let Some(values) = schema["enum"].as_array() {
        return values
            .iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join(" | ");
    }
    if let Some(variants) = schema["oneOf"].as_array().or(schema["anyOf"].as_array()) {
        let union = variants
            .iter()
            .map(|v| {
                let t = ts(v);
                if t.contains(" & ") {
                    format!("({t})")
                } else {
                    t
                }
            })
            .collect::<Vec<_>>()
            .join(" | ");
        // Fields every variant shares (a struct with a flattened enum).
        return match object(schema) {
            Some(fields) => format!("{fields} & ({union})"),
            None => union,
        };
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    if types.is_empty() {
        return "unknown".into();
    }
    types
        .iter()
        .map(|t| match *t {
            "string" => "string".to_owned(),
            "integer" | "number" => "number".to_owned(),
            "boolean" => "boolean".to_owned(),
            "null" => "null".to_owned(),
            "array" => {
                let item = ts(&schema["items"]);
                if item.contains(' ') {
                    format!("({item})[]")
                } else {
                    format!("{item}[]")
                }
            }
            "object" => object(schema).unwrap_or_else(|| match &schema["additionalProperties"] {
                Value::Bool(false) => "Record<string, never>".to_owned(),
                Value::Object(_) => {
                    format!("Record<string, {}>", ts(&schema["additionalProperties"]))
                }
                _ => "Record<string, unknown>".to_owned(),
            }),
            _ => "unknown".to_owned(),
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

/// The fields of an object schema, `{ a: T; b?: U }`, or `None` without properties.
fn object(schema: &Value) -> Option<String> {
    let properties = schema["properties"].as_object()?;
    let required: Vec<&str> = schema["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut out = String::from("{\n");
    for (name, field) in properties {
        if let Some(description) = field["description"].as_str() {
            let _ = writeln!(
                out,
                "  /** {} */",
                description.replace("*/", "* /").replace('\n', "\n   * ")
            );
        }
        // A field with a default may be left out of what the engine reads.
        let optional = !required.contains(&name.as_str());
        let _ = writeln!(
            out,
            "  {name}{}: {};",
            if optional { "?" } else { "" },
            indent(&ts(field))
        );
    }
    out.push('}');
    Some(out)
}

fn indent(text: &str) -> String {
    text.replace('\n', "\n  ")
}

fn declarations() -> String {
    let mut out = String::from(
        "// Generated from the engine's Rust types (their JSON Schema) by crates/cli/tests/types.rs:\n\
         // do not edit; run WAYMARK_BLESS=1 cargo test -p waymark-cli --test types.\n\
         // Bundle: what a bundle holds. DecideInput: what a decision is made from. Decision: what\n\
         // it gives. Fields marked `?` may be left out (they have defaults) or be absent.\n",
    );
    for (name, schema) in definitions() {
        out.push('\n');
        if let Some(description) = schema["description"].as_str() {
            let _ = writeln!(
                out,
                "/** {} */",
                description.replace("*/", "* /").replace('\n', "\n * ")
            );
        }
        let body = ts(&schema);
        if body.starts_with('{') && !body.contains("} & ") && !body.contains("} |") {
            let _ = writeln!(out, "export interface {name} {body}");
        } else {
            let _ = writeln!(out, "export type {name} = {body};");
        }
    }
    out
}

#[test]
fn the_sdk_types_are_generated_from_the_engine_types() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../www/src/types.d.ts");
    let generated = declarations();
    for name in [
        "Bundle",
        "DecideInput",
        "Decision",
        "Proposition",
        "OfferItem",
        "Reason",
        "Outcome",
    ] {
        assert!(
            generated.contains(&format!(" {name} ")),
            "{name} is not declared"
        );
    }
    if std::env::var_os("WAYMARK_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "www/src/types.d.ts is not what the engine's types give: run WAYMARK_BLESS=1 cargo test -p waymark-cli --test types"
    );
}
