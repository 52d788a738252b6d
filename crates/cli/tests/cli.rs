//! The `waymark` binary, run as users run it.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use common::{text, waymark};

#[test]
fn validate_accepts_the_sample_shop() {
    let out = waymark(&["validate", "tests/fixtures/shop/bundle.json"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("bundle `demo-shop` is valid"));
}

#[test]
fn validate_lists_each_problem_with_its_pointer() {
    let dir = std::env::temp_dir().join(format!("waymark-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.json");
    std::fs::write(
        &bad,
        r#"{"format": 1, "id": "x", "activities": [{"id": "a", "surfaces": []}, {"id": "b"}]}"#,
    )
    .unwrap();
    let out = waymark(&["validate", bad.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("/activities/0/surfaces: needs at least one surface"),
        "{stderr}"
    );
    assert!(
        stderr.contains("/activities/1: missing field `surfaces`"),
        "{stderr}"
    );

    std::fs::write(&bad, "not json").unwrap();
    let out = waymark(&["validate", bad.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("(root): not JSON: expected ident at line 1 column 2"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn validate_compiles_conditions_and_templates() {
    let mut bundle: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string("../../tests/fixtures/shop/bundle.json").unwrap(),
    )
    .unwrap();
    bundle["activities"][0]["audience"] = "profile.tier == ".into();
    bundle["activities"][2]["content"]["title"] = "{{#if x}}oops".into();
    bundle["offers"][0]["eligibility"] = serde_json::json!({"jsonlogic": {"frob": [1]}});
    let path = std::env::temp_dir().join(format!("waymark-compile-{}.json", std::process::id()));
    std::fs::write(&path, bundle.to_string()).unwrap();
    let out = waymark(&["validate", path.to_str().unwrap()], "");
    std::fs::remove_file(&path).unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    // One line per problem: `pointer: line L, column C: what`.
    assert!(
        stderr.contains(
            "\n/activities/0/audience: line 1, column 17: expected an expression, found end of input\n"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("\n/activities/2/content/title: line 1, column 1: unclosed section `if`"),
        "{stderr}"
    );
    assert!(stderr.contains("unclosed section `if`"), "{stderr}");
    assert!(
        stderr.contains("/offers/0/eligibility/jsonlogic/frob: unknown operator `frob`"),
        "{stderr}"
    );
}

#[test]
fn decide_explains_the_sample_shop() {
    let dir = std::env::temp_dir().join(format!("waymark-decide-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let profile = dir.join("ada.json");
    std::fs::write(
        &profile,
        r#"{"profileId": "p1", "attributes": {"firstName": "Ada", "loyalty": {"tier": "gold"}}, "consent": {"personalize": "in"}}"#,
    )
    .unwrap();
    let args = [
        "decide",
        "--bundle",
        "tests/fixtures/shop/bundle.json",
        "--profile",
        profile.to_str().unwrap(),
        "--now",
        "2026-11-28T12:00:00Z",
        "--surface",
        "web://shop.example/product/42",
    ];
    let out = waymark(&args, "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let decision: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(decision["propositions"][0]["activityId"], "hero-gold");
    let mut explain = args.to_vec();
    explain.push("--explain");
    let out = waymark(&explain, "");
    let trace = text(&out.stdout);
    assert!(
        trace.contains("show hero-gold on web://shop.example/product/42#hero"),
        "{trace}"
    );
    assert!(
        trace.contains("hero-test") && trace.contains("Conflict: lost to hero-gold"),
        "{trace}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn validate_says_when_the_file_is_missing() {
    let out = waymark(&["validate", "no/such/bundle.json"], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("cannot read no/such/bundle.json"));
}

#[test]
fn schema_describes_bundles() {
    let out = waymark(&["schema"], "");
    assert!(out.status.success());
    let schema: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(schema["title"], "Bundle");
    assert!(
        schema["required"]
            .as_array()
            .unwrap()
            .contains(&"format".into())
    );
    assert!(schema["$defs"]["Activity"].is_object());
}

#[test]
fn cors_origins_are_checked_before_serving() {
    for command in ["serve", "demo"] {
        let out = waymark(&[command, "--cors-origin", "https://shop.example/page"], "");
        assert_eq!(out.status.code(), Some(2), "{command}");
        let err = text(&out.stderr);
        assert!(err.contains("is not an origin"), "{command}: {err}");
    }
}
