//! `waymark eval` and `waymark render`, run as users run them: JSON on stdin.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

/// Runs `waymark <verb>` with `stdin`; returns (exit code, stdout, stderr).
fn run(verb: &str, stdin: &str) -> (i32, String, String) {
    let out = common::waymark(&[verb], stdin);
    (
        out.status.code().unwrap(),
        common::text(&out.stdout),
        common::text(&out.stderr),
    )
}

#[test]
fn eval_prints_the_value_of_a_text_expression() {
    let input = r#"{"expr": "profile.tier == \"gold\" and cart.total > 100",
        "data": {"profile": {"tier": "gold"}, "cart": {"total": 120}}}"#;
    assert_eq!(run("eval", input), (0, "true\n".into(), String::new()));
    let input = r#"{"expr": "map(xs, it * 2)", "data": {"xs": [1, 2]}}"#;
    assert_eq!(run("eval", input), (0, "[2,4]\n".into(), String::new()));
}

#[test]
fn eval_takes_now_as_milliseconds_or_rfc3339() {
    let input =
        r#"{"expr": "daysSince(\"2024-01-01\")", "data": {}, "now": "2024-01-11T12:00:00+02:00"}"#;
    assert_eq!(run("eval", input).1, "10\n");
    let input = r#"{"expr": "now()", "data": {}, "now": 1700000000000}"#;
    assert_eq!(run("eval", input).1, "1700000000000\n");
    let (code, _, err) = run("eval", r#"{"expr": "now()", "now": "yesterday"}"#);
    assert_eq!(code, 1);
    assert_eq!(
        err,
        "waymark: `now` is not an RFC 3339 timestamp or a date: \"yesterday\"\n"
    );
}

#[test]
fn eval_runs_jsonlogic() {
    let input = r#"{"jsonlogic": {"in": [{"var": "tag"}, ["a", "b"]]}, "data": {"tag": "b"}}"#;
    assert_eq!(run("eval", input), (0, "true\n".into(), String::new()));
    let input = r#"{"jsonlogic": {"cat": ["Hi ", {"var": "name"}]}, "data": {"name": "Ana"}}"#;
    assert_eq!(run("eval", input).1, "\"Hi Ana\"\n");
}

#[test]
fn eval_reports_diagnostics_as_warnings() {
    let input = r#"{"expr": "age > 18", "data": {"age": "x"}}"#;
    assert_eq!(
        run("eval", input),
        (
            0,
            "false\n".into(),
            "warning: `>` is not defined on string and number\n".into()
        )
    );
}

#[test]
fn eval_parse_errors_are_drawn_with_a_caret() {
    let (code, out, err) = run("eval", r#"{"expr": "a == ()", "data": {}}"#);
    assert_eq!((code, out.as_str()), (1, ""));
    assert_eq!(
        err,
        "waymark: error: expected an expression, found `)`\n --> 1:7\n  |\n1 | a == ()\n  |       ^\n"
    );
}

#[test]
fn eval_jsonlogic_errors_name_the_json_pointer() {
    let input = r#"{"jsonlogic": {"and": [true, {"nope": [1]}]}, "data": {}}"#;
    let (code, out, err) = run("eval", input);
    assert_eq!((code, out.as_str()), (1, ""));
    assert_eq!(
        err,
        "waymark: invalid JsonLogic at `/and/1/nope`: unknown operator `nope`\n"
    );
}

#[test]
fn eval_input_errors() {
    let (code, _, err) = run("eval", "{\"expr\": \"1\",\n  \"data\": {,}}");
    assert_eq!(code, 1);
    assert_eq!(
        err,
        "waymark: invalid input JSON at line 2, column 12: key must be a string\n"
    );
    let cases = [
        ("[1]", "the input must be a JSON object"),
        ("{}", "the input needs an `expr` or a `jsonlogic` rule"),
        (
            r#"{"expr": "1", "jsonlogic": true}"#,
            "give either `expr` or `jsonlogic`, not both",
        ),
        (r#"{"expr": 1}"#, "`expr` must be a string"),
        (
            r#"{"expr": "1", "dat": {}}"#,
            "unknown input key `dat` (expected expr, jsonlogic, data, now)",
        ),
    ];
    for (input, message) in cases {
        assert_eq!(
            run("eval", input),
            (1, String::new(), format!("waymark: {message}\n")),
            "{input}"
        );
    }
}

#[test]
fn render_prints_exactly_the_text() {
    let input = r#"{"template": "Hi {{name}}{{#if cart.total > 100}}, free shipping{{/if}}!",
        "data": {"name": "<Ana>", "cart": {"total": 120}}}"#;
    assert_eq!(
        run("render", input),
        (0, "Hi &lt;Ana&gt;, free shipping!".into(), String::new())
    );
}

#[test]
fn render_options_partials_escape_locale_zone_and_now() {
    let input = r#"{
        "template": "{{> greet}} {{formatDate (now) \"short\"}} {{formatNumber n}}",
        "partials": {"greet": "Hallo {{name}}"},
        "data": {"name": "<Jo>", "n": 1234.5},
        "escape": "none", "locale": "de-DE", "timeZone": "Europe/Berlin",
        "now": "2026-03-05T23:30:00Z"}"#;
    let (code, out, err) = run("render", input);
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(out, "Hallo <Jo> 06.03.26 1.234,5");
    let input = r#"{"template": "{{u}}", "data": {"u": "javascript:alert(1)"}, "escape": "url"}"#;
    let (code, out, err) = run("render", input);
    assert_eq!((code, out.as_str()), (0, "about:invalid#waymark"));
    assert!(err.starts_with("warning: "), "{err}");
}

#[test]
fn render_reports_missing_values_as_warnings() {
    let (code, out, err) = run("render", r#"{"template": "[{{who}}]", "data": {}}"#);
    assert_eq!((code, out.as_str()), (0, "[]"));
    assert_eq!(
        err,
        "warning: template 'template', line 1, column 2: missing value `who`\n"
    );
}

#[test]
fn render_compile_and_render_errors() {
    let (code, out, err) = run("render", r#"{"template": "a\n{{#if x ==}}{{/if}}"}"#);
    assert_eq!((code, out.as_str()), (1, ""));
    assert_eq!(
        err,
        "waymark: template 'template', line 2, column 11: invalid condition: expected an expression, found end of input\n  |\n2 | {{#if x ==}}{{/if}}\n  |           ^\n"
    );
    let (code, _, err) = run(
        "render",
        r#"{"template": "{{> p}}", "partials": {"p": "{{#a}}"}}"#,
    );
    assert_eq!(code, 1);
    assert!(
        err.starts_with("waymark: template 'p', line 1, column 1: unclosed section `a`"),
        "{err}"
    );
    let (code, _, err) = run("render", r#"{"template": "{{divide 1 0}}", "data": {}}"#);
    assert_eq!(code, 1);
    assert!(
        err.starts_with("waymark: template 'template', line 1, column 3: helper `divide`"),
        "{err}"
    );
}

#[test]
fn render_input_errors() {
    let cases = [
        (
            "nope",
            "invalid input JSON at line 1, column 2: expected ident",
        ),
        ("{}", "the input needs a `template`"),
        (r#"{"template": 3}"#, "`template` must be a string"),
        (
            r#"{"template": "", "escape": "xml"}"#,
            "unknown escape context `xml` (expected html, attribute, url, json or none)",
        ),
        (
            r#"{"template": "", "partials": ["a"]}"#,
            "`partials` must be an object of name: source",
        ),
        (
            r#"{"template": "", "partials": {"a": 1}}"#,
            "partial `a` must be a string",
        ),
        (
            r#"{"template": "", "time_zone": "UTC"}"#,
            "unknown input key `time_zone` (expected template, data, partials, escape, now, locale, timeZone)",
        ),
    ];
    for (input, message) in cases {
        assert_eq!(
            run("render", input),
            (1, String::new(), format!("waymark: {message}\n")),
            "{input}"
        );
    }
}
