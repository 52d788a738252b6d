//! The rewriter on its own (native): what the edge applies, where the script goes, and that the
//! output does not depend on how the page is split into chunks.

use futures_util::{FutureExt, StreamExt, stream};
use serde_json::{Value, json};
use waymark_core::engine::Decision;

use super::{Plan, head_script, stream as rewrite};

fn decision(actions: Value) -> Decision {
    let value = json!({
        "decisionId": "d1",
        "bundleRevision": 3,
        "propositions": [
            {
                "surface": "web://shop.example/p#hero", "activityId": "hero", "channel": "web",
                "priority": 50, "token": "d1:hero:", "variantId": "b",
                "content": { "channel": "web", "actions": actions }
            },
            {
                "surface": "web://shop.example/p#promo", "activityId": "promo", "channel": "web",
                "priority": 40, "token": "d1:promo:",
                "content": { "channel": "web", "actions": [
                    { "selector": "#promo", "type": "setText", "content": "x" },
                    { "selector": "#promo", "type": "rearrange", "from": 0, "to": 1 }
                ] }
            },
            {
                "surface": "web://shop.example/p#shadow", "activityId": "shadow", "channel": "web",
                "priority": 30, "token": "d1:shadow:",
                "content": { "channel": "web", "actions": [
                    { "selector": "shop-header >>> .banner", "type": "remove" }
                ] }
            }
        ],
        "offers": [], "reasons": [], "stateChanges": {}
    });
    match serde_json::from_value(value) {
        Ok(decision) => decision,
        Err(e) => unreachable!("test decision: {e}"),
    }
}

fn hero() -> Decision {
    decision(json!([
        { "selector": "#hero h1", "type": "setHtml", "content": "Hi <em>Ada</em>" },
        { "selector": "#hero", "type": "setAttribute", "attributes": { "data-x": "a & \"b\"" } },
        { "selector": "#hero p", "type": "setText", "content": "1 < 2 & 3" },
        { "selector": "img", "type": "setImageSource", "src": "/new.png" },
        { "selector": "#hero", "type": "setStyle", "properties": { "color": "red" }, "important": true },
        { "selector": ".gone", "type": "remove" },
        { "selector": "#hero", "type": "insertAfter", "content": "<hr>" }
    ]))
}

/// Rewrites `page` fed in chunks of `size` bytes.
fn run(page: &str, decision: &Decision, size: usize) -> String {
    let plan = Plan::new(decision);
    let chunks: Vec<worker::Result<Vec<u8>>> = page
        .as_bytes()
        .chunks(size)
        .map(|c| Ok(c.to_vec()))
        .collect();
    let out = rewrite(
        stream::iter(chunks),
        plan,
        "<script>S</script>".into(),
        "a1".into(),
    )
    .collect::<Vec<_>>()
    .now_or_never();
    let Some(out) = out else {
        unreachable!("an always-ready input finishes at once")
    };
    let bytes: Vec<u8> = out
        .into_iter()
        .flat_map(|c| c.unwrap_or_default())
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

const PAGE: &str = "<!doctype html><html><head><title>T</title></head><body>\
<div id=\"hero\" style=\"margin: 0\"><h1>Old</h1><p>old</p><img src=\"/old.png\"></div>\
<p class=\"gone\">bye</p><p id=\"promo\">promo</p></body></html>";

#[test]
fn only_whole_propositions_the_edge_can_apply_are_listed() {
    let plan = Plan::new(&hero());
    assert_eq!(
        plan.applied,
        vec![
            json!({ "surface": "web://shop.example/p#hero", "activityId": "hero", "variantId": "b", "token": "d1:hero:" })
        ]
    );
}

#[test]
fn actions_are_applied_and_the_script_ends_the_head() {
    let out = run(PAGE, &hero(), PAGE.len());
    assert_eq!(
        out,
        "<!doctype html><html><head><title>T</title><script>S</script></head><body>\
<div id=\"hero\" style=\"margin: 0;color: red !important;\" data-x=\"a &amp; &quot;b&quot;\"><h1>Hi <em>Ada</em></h1>\
<p>1 &lt; 2 &amp; 3</p><img src=\"/new.png\"></div><hr>\
<p id=\"promo\">promo</p></body></html>\
<script type=\"application/json\" id=\"waymark-edge-matched\" data-nonce=\"a1\">[[0,0],[0,1],[0,2],[0,3],[0,4],[0,5],[0,6]]</script>"
    );
}

#[test]
fn actions_whose_selector_is_absent_are_not_listed_as_matched() {
    let page = "<html><head></head><body><div id=\"hero\"><h1>Old</h1></div></body></html>";
    let out = run(page, &hero(), 3);
    assert!(
        out.ends_with(
            "</html><script type=\"application/json\" id=\"waymark-edge-matched\" data-nonce=\"a1\">\
[[0,0],[0,1],[0,4],[0,6]]</script>"
        ),
        "{out}"
    );
}

#[test]
fn the_output_does_not_depend_on_chunk_boundaries() {
    let whole = run(PAGE, &hero(), PAGE.len());
    for size in [1, 2, 3, 7, 16, 64] {
        assert_eq!(run(PAGE, &hero(), size), whole, "chunks of {size} bytes");
    }
}

#[test]
fn a_page_without_a_head_is_left_as_it_is() {
    let d = hero();
    for page in [
        "<body><div id=\"hero\"><h1>x</h1></div></body>",
        "<div id=\"hero\"><h1>x</h1></div>",
    ] {
        assert_eq!(run(page, &d, 4), page);
    }
}

#[test]
fn set_style_keeps_the_existing_value_as_written() {
    let page = "<html><head></head><body>\
<div id=\"hero\" style=\"font-family: &quot;A B&quot;, serif\"></div></body></html>";
    let d = decision(json!([
        { "selector": "#hero", "type": "setStyle", "properties": { "color": "red" } }
    ]));
    assert_eq!(
        run(page, &d, page.len()),
        "<html><head><script>S</script></head><body>\
<div id=\"hero\" style=\"font-family: &quot;A B&quot;, serif;color: red;\"></div></body></html>\
<script type=\"application/json\" id=\"waymark-edge-matched\" data-nonce=\"a1\">[[0,0]]</script>"
    );
}

#[test]
fn the_head_script_escapes_every_angle_bracket() {
    let script = head_script(
        r#"{"c":"</script><b>"}"#,
        &[json!({"activityId": "a<"})],
        "anon-1",
        "a1",
    );
    let inner = script
        .strip_prefix(r#"<script type="application/json" id="waymark-edge-decision">"#)
        .and_then(|s| s.strip_suffix("</script>"));
    let Some(inner) = inner else {
        unreachable!("{script}")
    };
    assert!(!inner.contains('<'), "{inner}");
    let parsed: Value = serde_json::from_str(inner).unwrap_or_default();
    assert_eq!(
        parsed,
        json!({ "decision": { "c": "</script><b>" }, "applied": [{ "activityId": "a<" }], "visitorId": "anon-1", "nonce": "a1" })
    );
}

#[test]
fn a_head_without_an_end_tag_gets_the_script_before_the_body() {
    let page = "<html><head><title>T</title><body><div id=\"hero\"><h1>x</h1></div></body></html>";
    let out = run(page, &hero(), 5);
    assert!(
        out.starts_with("<html><head><title>T</title><script>S</script><body><div id=\"hero\""),
        "{out}"
    );
    assert!(out.contains("<h1>Hi <em>Ada</em></h1>"), "{out}");
    // Neither `</head>` nor `<body>`: no safe place for the script, so nothing is applied.
    let bare = "<html><head><title>T</title><div id=\"hero\"><h1>x</h1></div>";
    assert_eq!(run(bare, &hero(), 5), bare);
}

#[test]
fn elements_of_the_origin_with_the_workers_ids_are_removed() {
    // Page content posing as the edge: a decision script in the head (which the SDK used to take,
    // being the first), one in the body, and a list of matched actions claiming everything.
    let page = "<html><head><script type=\"application/json\" id=\"waymark-edge-decision\">\
{\"decision\":{\"fake\":1},\"nonce\":\"a1\"}</script><title>T</title></head><body>\
<div id=\"waymark-edge-decision\">x</div><div id=\"hero\"><h1>Old</h1></div>\
<script type=\"application/json\" id=\"waymark-edge-matched\" data-nonce=\"a1\">[[0,0],[0,1]]</script>\
<p ID=\"waymark-edge-matched\">y</p></body></html>";
    for size in [1, 5, page.len()] {
        let out = run(page, &hero(), size);
        assert_eq!(
            out,
            "<html><head><title>T</title><script>S</script></head><body>\
<div id=\"hero\" data-x=\"a &amp; &quot;b&quot;\" style=\"color: red !important;\"><h1>Hi <em>Ada</em></h1></div><hr>\
</body></html>\
<script type=\"application/json\" id=\"waymark-edge-matched\" data-nonce=\"a1\">[[0,0],[0,1],[0,4],[0,6]]</script>",
            "chunks of {size} bytes"
        );
    }
    // Also on a page that gets no script (no `<head>`): nothing there poses as the edge either.
    let fragment = "<div id=\"waymark-edge-decision\">x</div><p>kept</p>";
    assert_eq!(run(fragment, &hero(), 4), "<p>kept</p>");
}
