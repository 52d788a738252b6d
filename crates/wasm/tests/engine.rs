//! `Condition`, `ConditionSet` and `TemplateSet`, called the way JavaScript calls them (run in
//! node by wasm-bindgen-test-runner; natively as plain tests, except the error paths, which
//! need a JavaScript `Error`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use waymark_wasm::{Condition, ConditionSet, Data, TemplateSet};

/// 2026-03-05T14:30:00Z.
const NOW: f64 = 1_772_721_000_000.0;

const DATA: &str = r#"{"profile": {"tier": "gold", "name": "Ana <3", "lastSeen": "2026-03-01"},
    "cart": {"total": 120, "items": [{"sku": "a", "price": 20}, {"sku": "b", "price": 100}]}}"#;

#[test]
fn condition_from_text_evaluates_and_matches() {
    let c = Condition::from_text(r#"profile.tier == "gold" and cart.total > 100"#)
        .ok()
        .unwrap();
    assert!(c.matches(DATA, NOW).ok().unwrap());
    assert_eq!(c.evaluate(DATA, NOW).ok().unwrap(), "true");
    let c = Condition::from_text("daysSince(profile.lastSeen)")
        .ok()
        .unwrap();
    assert_eq!(c.evaluate(DATA, NOW).ok().unwrap(), "4");
    let c = Condition::from_text("map(cart.items, it.sku)")
        .ok()
        .unwrap();
    assert_eq!(c.evaluate(DATA, NOW).ok().unwrap(), r#"["a","b"]"#);
}

#[test]
fn condition_from_jsonlogic() {
    let rule = r#"{"some": [{"var": "cart.items"}, {">=": [{"var": "price"}, 100]}]}"#;
    let c = Condition::from_json_logic(rule).ok().unwrap();
    assert!(c.matches(DATA, NOW).ok().unwrap());
    assert!(!c.matches(r#"{"cart": {"items": []}}"#, NOW).ok().unwrap());
}

#[test]
fn condition_set_evaluates_all_in_order() {
    let mut set = ConditionSet::new();
    assert_eq!(set.add_text("cart.total > 100").ok().unwrap(), 0);
    assert_eq!(
        set.add_json_logic(r#"{"==": [{"var": "profile.tier"}, "silver"]}"#)
            .ok()
            .unwrap(),
        1
    );
    let c = Condition::from_text("profile.name contains \"Ana\"")
        .ok()
        .unwrap();
    assert_eq!(set.add_condition(&c).ok().unwrap(), 2);
    assert_eq!(set.length(), 3);
    assert_eq!(set.evaluate_all(DATA, NOW).ok().unwrap(), vec![1, 0, 1]);
    assert_eq!(set.values_all(DATA, NOW).ok().unwrap(), "[true,false,true]");
    assert!(
        ConditionSet::new()
            .evaluate_all("{}", NOW)
            .ok()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn template_set_renders_by_name_and_all() {
    let mut set = TemplateSet::new();
    set.add_partial("price", "{{formatCurrency price \"EUR\"}}")
        .ok()
        .unwrap();
    set.add("subject", "Hi {{profile.name}}").ok().unwrap();
    set.add(
        "hero",
        r#"{{#if profile.tier == "gold" and cart.total > 100}}Free shipping{{else}}Welcome{{/if}}"#,
    )
    .ok()
    .unwrap();
    set.add("feed", "{{#each cart.items}}{{sku}}={{> price}};{{/each}}")
        .ok()
        .unwrap();
    assert_eq!(set.names(), vec!["subject", "hero", "feed"]);
    assert_eq!(
        set.render_all(DATA, NOW).ok().unwrap(),
        vec!["Hi Ana &lt;3", "Free shipping", "a=€20.00;b=€100.00;"]
    );
    let opts = r#"{"escape": "none", "locale": "de-DE", "now": "2026-03-05T14:30:00Z"}"#;
    assert_eq!(
        set.render("subject", DATA, Some(opts.into())).ok().unwrap(),
        "Hi Ana <3"
    );
    assert_eq!(
        set.render("feed", DATA, Some(opts.into())).ok().unwrap(),
        "a=20,00\u{a0}€;b=100,00\u{a0}€;"
    );
    // Re-adding a name replaces the template in place.
    set.add("subject", "Bye").ok().unwrap();
    set.set_options(r#"{"escape": "none"}"#).ok().unwrap();
    assert_eq!(set.render_all(DATA, NOW).ok().unwrap()[0], "Bye");
    assert_eq!(set.render("subject", "{}", None).ok().unwrap(), "Bye");
}

/// The message of a thrown `JsError`.
#[cfg(target_arch = "wasm32")]
fn message(e: wasm_bindgen::JsError) -> String {
    let value = wasm_bindgen::JsValue::from(e);
    String::from(js_sys::Error::from(value).message())
}

#[cfg(target_arch = "wasm32")]
#[test]
fn errors_carry_the_engine_text() {
    assert_eq!(
        message(Condition::from_text("a == ()").unwrap_err()),
        "error: expected an expression, found `)`\n --> 1:7\n  |\n1 | a == ()\n  |       ^"
    );
    assert_eq!(
        message(Condition::from_json_logic(r#"{"and": [{"nope": 1}]}"#).unwrap_err()),
        "invalid JsonLogic at `/and/0/nope`: unknown operator `nope`"
    );
    assert!(
        message(Condition::from_json_logic("{").unwrap_err()).starts_with("invalid rule JSON: ")
    );
    let c = Condition::from_text("a").unwrap();
    assert!(message(c.matches("nope", NOW).unwrap_err()).starts_with("invalid data JSON: "));
    assert_eq!(
        message(Data::new("{\"a\": }").unwrap_err()),
        "invalid data JSON: expected value at line 1 column 7"
    );
    let mut set = ConditionSet::new();
    assert!(message(set.add_text("a <").unwrap_err()).starts_with("error: "));
    assert_eq!(set.length(), 0);
    let mut t = TemplateSet::new();
    assert_eq!(
        message(t.add("card", "{{#if a ==}}{{/if}}").unwrap_err()),
        "template 'card', line 1, column 11: invalid condition: expected an expression, found end of input\n  |\n1 | {{#if a ==}}{{/if}}\n  |           ^"
    );
    t.add("x", "{{divide 1 0}}").unwrap();
    assert!(message(t.render_all("{}", NOW).unwrap_err()).starts_with("template 'x', line 1"));
    assert_eq!(
        message(t.render("y", "{}", None).unwrap_err()),
        "no template named `y`"
    );
    assert_eq!(
        message(
            t.render("x", "{}", Some(r#"{"escape": "xml"}"#.into()))
                .unwrap_err()
        ),
        "unknown escape context `xml` (expected html, attribute, url, json or none)"
    );
    assert_eq!(
        message(t.set_options(r#"{"zone": "UTC"}"#).unwrap_err()),
        "unknown render option `zone` (expected escape, now, locale, timeZone)"
    );
}

#[test]
fn parsed_data_serves_conditions_and_templates() {
    let data = Data::new(DATA).ok().unwrap();
    let mut set = ConditionSet::new();
    set.add_text("cart.total > 100").ok().unwrap();
    set.add_text("profile.tier == \"silver\"").ok().unwrap();
    assert_eq!(set.evaluate_all_data(&data, NOW), vec![1, 0]);
    let mut t = TemplateSet::new();
    t.add("a", "{{#if cart.total > 100}}{{profile.tier}}{{/if}}")
        .ok()
        .unwrap();
    assert_eq!(t.render_all_data(&data, NOW).ok().unwrap(), vec!["gold"]);
}
