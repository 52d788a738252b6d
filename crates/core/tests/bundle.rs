//! Loading and validating bundles: the sample shop loads; bad bundles report every problem with
//! its JSON pointer.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use serde_json::{Value, json};
use waymark_core::bundle::{Bundle, Content, Surface};

const SHOP: &str = include_str!("../../../tests/fixtures/shop/bundle.json");

fn shop() -> Value {
    serde_json::from_str(SHOP).unwrap()
}

fn problems(value: Value) -> Vec<(String, String)> {
    Bundle::from_value(value)
        .unwrap_err()
        .0
        .into_iter()
        .map(|p| (p.pointer, p.message))
        .collect()
}

#[test]
fn the_sample_shop_loads() {
    let bundle = Bundle::from_json(SHOP).unwrap();
    assert_eq!(bundle.id, "demo-shop");
    assert_eq!(bundle.activities.len(), 5);
    assert_eq!(bundle.offers.len(), 3);
    let hero = &bundle.activities[0];
    assert!(hero.surfaces[0].covers(&Surface::parse("web://shop.example/product/7#hero").unwrap()));
    assert!(matches!(hero.content, Some(Content::Web { ref actions }) if actions.len() == 3));
}

#[test]
fn not_json_is_reported_at_the_root() {
    let errors = Bundle::from_json("{\"format\": 1,").unwrap_err();
    assert_eq!(errors.0.len(), 1);
    assert_eq!(errors.0[0].pointer, "");
    assert!(
        errors.0[0].message.starts_with("not JSON: EOF"),
        "{}",
        errors
    );
    assert!(errors.to_string().starts_with("(root): not JSON"));
}

#[test]
fn format_versions_are_checked_first() {
    let mut bundle = shop();
    bundle["format"] = json!(2);
    assert_eq!(
        problems(bundle),
        [(
            "/format".to_owned(),
            "format 2 is newer than this engine reads (1); upgrade the runtime".to_owned()
        )]
    );
    let mut bundle = shop();
    bundle.as_object_mut().unwrap().remove("format");
    assert_eq!(problems(bundle)[0].0, "/format");
}

#[test]
fn every_bad_element_is_reported_with_its_pointer() {
    let mut bundle = shop();
    bundle["activities"][1]["priority"] = json!("high");
    bundle["activities"][3]["surfaces"][0] = json!("ftp://nope");
    bundle["offers"][1]["representations"]["home-offer"]["format"] = json!("video");
    let found = problems(bundle);
    let pointers: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        pointers,
        [
            "/activities/1/priority",
            "/activities/3/surfaces/0",
            "/offers/1/representations/home-offer/format"
        ]
    );
    assert!(
        found[0].1.contains("invalid type: string \"high\""),
        "{found:?}"
    );
    assert!(found[1].1.contains("scheme `ftp`"), "{found:?}");
    assert!(found[2].1.contains("unknown variant `video`"), "{found:?}");
}

#[test]
fn elements_after_a_bad_one_are_still_checked_at_their_own_index() {
    let mut bundle = shop();
    bundle["activities"][0]["priority"] = json!("high");
    bundle["activities"][2]["priority"] = json!(200);
    let found = problems(bundle);
    assert_eq!(found[0].0, "/activities/0/priority");
    assert_eq!(
        found[1],
        (
            "/activities/2/priority".into(),
            "must be between 0 and 100".into()
        )
    );
}

#[test]
fn unknown_fields_are_errors() {
    let mut bundle = shop();
    bundle["activities"][0]["prority"] = json!(3);
    let found = problems(bundle);
    assert_eq!(found[0].0, "/activities/0/prority");
    assert!(found[0].1.contains("unknown field `prority`"), "{found:?}");
}

#[test]
fn references_ranges_and_duplicates_are_checked() {
    let mut bundle = shop();
    bundle["activities"][1]["id"] = json!("hero-gold");
    bundle["activities"][0]["priority"] = json!(101);
    bundle["activities"][0]["audience"] = json!({"audience": "platinum"});
    bundle["policies"][0]["fallback"] = json!("offer-missing");
    bundle["activities"][4]["quietHours"][0]["to"] = json!("25:00");
    bundle["activities"][1]["experiment"]["bandit"] = json!([1.0]);
    let found = problems(bundle);
    let expect = [
        (
            "/activities/1/id",
            "duplicate id `hero-gold` (also at /activities/0)",
        ),
        ("/activities/0/priority", "must be between 0 and 100"),
        (
            "/activities/0/audience/audience",
            "no audience is named `platinum`",
        ),
        (
            "/activities/1/experiment/bandit",
            "needs one weight per variant",
        ),
        (
            "/activities/4/quietHours/0/to",
            "`25:00` is not a time as HH:MM",
        ),
        (
            "/policies/0/fallback",
            "no offer has the id `offer-missing`",
        ),
    ];
    let expect: Vec<(String, String)> = expect
        .iter()
        .map(|(p, m)| (p.to_string(), m.to_string()))
        .collect();
    assert_eq!(found, expect);
}

#[test]
fn pointers_escape_slashes_and_tildes() {
    let mut bundle = shop();
    bundle["offers"][0]["representations"] = json!({"a/b~c": {"format": "text", "content": "x"}});
    let found = problems(bundle);
    assert_eq!(found[0].0, "/offers/0/representations/a~1b~0c");
}

#[test]
fn app_schemes_that_could_run_script_are_refused() {
    let mut bundle = shop();
    bundle["settings"] = json!({"appSchemes": ["shopapp", "JavaScript", "data", "2fa", "my app"]});
    let found = problems(bundle);
    let pointers: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        pointers,
        [
            "/settings/appSchemes/1",
            "/settings/appSchemes/2",
            "/settings/appSchemes/3",
            "/settings/appSchemes/4"
        ]
    );
    assert!(
        found[0].1.contains("`JavaScript` cannot be allowed"),
        "{found:?}"
    );
}

#[test]
fn event_handler_attributes_are_refused() {
    let mut bundle = shop();
    bundle["activities"][0]["content"] = json!({"channel": "web", "actions": [
        {"selector": "#a", "type": "setAttribute", "attributes": {"title": "ok", "onClick": "go()", "on": "x"}}
    ]});
    let found = problems(bundle);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        found[0].0,
        "/activities/0/content/actions/0/attributes/onClick"
    );
    assert!(found[0].1.contains("event handler"), "{found:?}");
}

/// Attribute names are checked byte-wise: a name whose first character takes several bytes
/// used to panic the validator (it cut the name through that character).
#[test]
fn non_ascii_attribute_names_are_checked_without_panicking() {
    let mut bundle = shop();
    bundle["activities"][0]["content"] = json!({"channel": "web", "actions": [
        {"selector": "#a", "type": "setAttribute", "attributes": {"é": "1", "ñame": "2", "oñ": "3", "ONé": "4"}}
    ]});
    let found = problems(bundle);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "/activities/0/content/actions/0/attributes/ONé");
    assert!(found[0].1.contains("event handler"), "{found:?}");
}

#[test]
fn html_fields_refuse_values_in_unsafe_places_with_a_pointer_and_a_position() {
    let mut bundle = shop();
    bundle["partials"]["badge"] = json!("<b class={{profile.tier}}>");
    bundle["activities"][0]["content"] = json!({"channel": "web", "actions": [
        // The same source as text is fine (it is not markup there)...
        {"selector": "#a", "type": "setText", "content": "<a href={{profile.url}}>"},
        // ...and refused where it is HTML.
        {"selector": "#b", "type": "setHtml", "content": "<a href={{profile.url}}>"},
        {"selector": "#c", "type": "appendHtml", "content": "<p>\n<script>var t = \"{{profile.tier}}\"</script>"},
        {"selector": "#d", "type": "insertAfter", "content": "<p>{{> badge}}</p>"},
        {"selector": "#e", "type": "setText", "content": "{{> greeting}}"}
    ]});
    bundle["offers"][0]["representations"]["home-offer"] =
        json!({"format": "html", "content": "<img src=\"x\" onerror=\"{{offer.name}}\">"});
    let found = problems(bundle);
    let pointers: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        pointers,
        [
            "/activities/0/content/actions/1/content",
            "/activities/0/content/actions/2/content",
            "/offers/0/representations/home-offer/content",
            "/partials/badge",
        ],
        "{found:?}"
    );
    assert!(found[0].1.contains("line 1, column 9"), "{found:?}");
    assert!(
        found[0].1.contains("unquoted attribute values"),
        "{found:?}"
    );
    assert!(found[1].1.contains("line 2, column 18"), "{found:?}");
    assert!(found[1].1.contains("inside <script>"), "{found:?}");
    assert!(
        found[2].1.contains("event handler attribute `onerror`"),
        "{found:?}"
    );
    assert!(found[3].1.starts_with("line 1, column 10: "), "{found:?}");
}

/// A problem is one line, `pointer: message`: condition and template errors give their line
/// and column after the pointer instead of drawing the source.
#[test]
fn condition_and_template_problems_are_one_line_each() {
    let mut bundle = shop();
    bundle["activities"][0]["audience"] = json!("profile.age >");
    bundle["activities"][2]["content"]["title"] = json!("Hi\n{{#if x}}");
    bundle["partials"]["badge"] = json!("{{/if}}");
    let errors = Bundle::from_value(bundle).unwrap_err();
    let text = errors.to_string();
    assert_eq!(text.lines().count(), errors.0.len(), "{text}");
    let found: Vec<(String, String)> = errors
        .0
        .into_iter()
        .map(|p| (p.pointer, p.message))
        .collect();
    assert!(
        found.contains(&(
            "/activities/0/audience".to_owned(),
            "line 1, column 14: expected an expression, found end of input".to_owned()
        )),
        "{found:?}"
    );
    assert!(found.iter().any(|(p, m)| p == "/activities/2/content/title" && m.starts_with("line 2, column 1: ")), "{found:?}");
    assert!(
        found
            .iter()
            .any(|(p, m)| p == "/partials/badge" && m.starts_with("line 1, column 1: ")),
        "{found:?}"
    );
}

/// A schedule (or a card's publication) that ends at or before it starts would never be live: a
/// slip, refused at its end.
#[test]
fn schedules_must_end_after_they_start() {
    for (start, end, refused) in [
        ("2026-06-02T00:00:00Z", "2026-06-01T00:00:00Z", true),
        ("2026-06-01T00:00:00Z", "2026-06-01T00:00:00Z", true),
        // The same instant written in another offset.
        ("2026-06-01T02:00:00+02:00", "2026-06-01T00:00:00Z", true),
        ("2026-06-01T00:00:00Z", "2026-06-01T00:00:00.001Z", false),
    ] {
        let mut bundle = shop();
        bundle["activities"][3]["schedule"] = json!({"start": start, "end": end});
        bundle["offers"][1]["schedule"] = json!({"start": start, "end": end});
        bundle["activities"][2]["content"]["publishedAt"] = json!(start);
        bundle["activities"][2]["content"]["expiresAt"] = json!(end);
        let found = Bundle::from_value(bundle)
            .err()
            .map(|e| e.0)
            .unwrap_or_default();
        let pointers: Vec<&str> = found.iter().map(|p| p.pointer.as_str()).collect();
        if refused {
            assert_eq!(
                pointers,
                [
                    "/activities/2/content/expiresAt",
                    "/activities/3/schedule/end",
                    "/offers/1/schedule/end"
                ],
                "{start} {end}"
            );
            assert_eq!(
                found[1].message,
                format!("is not after the start ({start}): the schedule would never be live")
            );
        } else {
            assert!(found.is_empty(), "{found:?}");
        }
    }
}

/// A bad value inside a list is reported at its element, not at the list.
#[test]
fn bad_list_values_are_reported_at_their_element() {
    let mut bundle = shop();
    bundle["activities"][4]["quietHours"][0]["days"] = json!([1, 9, 3, 0]);
    bundle["activities"][1]["experiment"]["bandit"] = json!([0.5, -1.0]);
    bundle["activities"][0]["surfaces"] = json!(["web://shop.example/", "ftp://shop.example/"]);
    let found = problems(bundle);
    let pointers: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        pointers,
        [
            "/activities/0/surfaces/1",
            "/activities/1/experiment/bandit/1",
            "/activities/4/quietHours/0/days/1",
            "/activities/4/quietHours/0/days/3",
        ],
        "{found:?}"
    );
    assert_eq!(
        found[2].1,
        "9 is not a day: days run from 1 (Monday) to 7 (Sunday)"
    );
}

/// Conditions that see `offer` read its fields; a catalogue attribute read as `offer.<key>`
/// would always be missing, so it is refused with the path that works.
#[test]
fn offer_conditions_must_read_fields_offers_have() {
    let mut bundle = shop();
    bundle["policies"][0]["ranking"] = json!({"by": "formula", "formula": "offer.margin * 2"});
    bundle["policies"][0]["collection"] =
        json!({"jsonlogic": {"==": [{"var": "offer.category"}, "shoes"]}});
    bundle["offers"][0]["eligibility"] = json!("offer.attributes.stock > 0 and offer.tags != null");
    let found = problems(bundle);
    let pointers: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        pointers,
        ["/policies/0/collection", "/policies/0/ranking/formula"],
        "{found:?}"
    );
    assert_eq!(
        found[1].1,
        "`offer.margin` is not a field of an offer, which has `id`, `name`, `priority`, `tags`, `attributes`; a catalogue attribute is `offer.attributes.margin`"
    );
    assert!(
        found[0].1.starts_with("`offer.category` is not a field"),
        "{found:?}"
    );
}

/// Items on the bundle's `paused` list (written by the central API) are skipped with the
/// reason `paused`, the same after a round trip through the compiled encoding.
#[test]
fn paused_activities_and_offers_are_skipped() {
    use waymark_core::engine::{DecideInput, Engine};
    let mut bundle = shop();
    bundle["paused"] = json!(["hero-gold", "offer-shipping"]);
    let bundle = Bundle::from_value(bundle).unwrap();
    assert_eq!(bundle.paused, ["hero-gold", "offer-shipping"]);
    let (engine, bytes) = Engine::compile_encoded(bundle).unwrap();
    let decoded = Engine::from_compiled(&bytes).unwrap();
    let input: DecideInput = serde_json::from_value(json!({
        "snapshot": {"profileId": "p", "attributes": {"loyalty": {"tier": "gold"}}, "consent": {"personalize": "in"}},
        "now": 1_795_867_200_000_i64,
        "request": {"surfaces": ["web://shop.example/product/1#hero", "web://shop.example/#offer"]}
    }))
    .unwrap();
    for engine in [&engine, &decoded] {
        let decision = serde_json::to_value(engine.decide(&input)).unwrap();
        let outcome = |id: &str| {
            decision["reasons"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["id"] == id)
                .map(|r| r["outcome"].clone())
        };
        assert_eq!(outcome("hero-gold"), Some(json!("paused")), "{decision}");
        assert_eq!(
            outcome("offer-shipping"),
            Some(json!("paused")),
            "{decision}"
        );
        assert_ne!(
            outcome("offer-gold-15"),
            Some(json!("paused")),
            "{decision}"
        );
    }
    // Without pauses the list is not written out.
    let plain = Bundle::from_json(SHOP).unwrap();
    assert!(
        serde_json::to_value(&plain)
            .unwrap()
            .get("paused")
            .is_none()
    );
}

/// A global cap must count over the item's lifetime, reported at the cap's `period`.
#[test]
fn a_global_cap_must_be_a_lifetime_cap() {
    let mut bundle = shop();
    bundle["offers"][0]["caps"] =
        json!([{"event": "display", "period": "week", "max": 5, "scope": "global"}]);
    bundle["activities"][1]["caps"] = json!([{"period": "lifetime", "max": 5, "scope": "all"}]);
    let found = problems(bundle);
    let pointers: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        pointers,
        ["/activities/1/caps/0/scope", "/offers/0/caps/0/period"],
        "{found:?}"
    );
    assert!(found[1].1.contains("lifetime"), "{found:?}");
}

/// The engine never counts a global cap itself (the central API does, through `exhausted`):
/// a visitor whose own displays are over a global cap's `max` still gets the offer, and an
/// exhausted one is skipped, the same after a round trip through the compiled encoding. A
/// per-profile cap is written without `scope`.
#[test]
fn global_caps_are_left_to_the_exhausted_list() {
    use waymark_core::bundle::CapScope;
    use waymark_core::engine::{DecideInput, Engine};
    let mut bundle = shop();
    bundle["offers"][0]["caps"] =
        json!([{"event": "display", "period": "lifetime", "max": 1, "scope": "global"}]);
    let parsed = Bundle::from_value(bundle.clone()).unwrap();
    assert_eq!(parsed.offers[0].caps[0].scope, CapScope::Global);
    let plain = Bundle::from_json(SHOP).unwrap();
    assert!(
        serde_json::to_value(&plain.offers[0].caps).unwrap()[0]
            .get("scope")
            .is_none()
    );
    let input: DecideInput = serde_json::from_value(json!({
        "snapshot": {
            "profileId": "p", "attributes": {"loyalty": {"tier": "gold"}}, "consent": {"personalize": "in"},
            "counters": {"watermark": 1_795_867_200_000_i64, "items": [
                {"target": "offer-gold-15", "event": "display", "total": 3, "days": {"2026-11-28": 3}}
            ]}
        },
        "now": 1_795_867_200_000_i64,
        "request": {"surfaces": ["web://shop.example/#offer"]}
    }))
    .unwrap();
    for exhausted in [false, true] {
        let mut bundle = bundle.clone();
        if exhausted {
            bundle["exhausted"] = json!(["offer-gold-15"]);
        }
        let (engine, bytes) = Engine::compile_encoded(Bundle::from_value(bundle).unwrap()).unwrap();
        let decoded = Engine::from_compiled(&bytes).unwrap();
        assert_eq!(decoded.bundle().offers[0].caps[0].scope, CapScope::Global);
        for engine in [&engine, &decoded] {
            let decision = serde_json::to_value(engine.decide(&input)).unwrap();
            let reason = decision["reasons"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["id"] == "offer-gold-15")
                .cloned()
                .unwrap_or_default();
            let want = if exhausted { "exhausted" } else { "chosen" };
            assert_eq!(reason["outcome"], want, "{decision}");
        }
    }
}

/// An audience may name another audience, in any order; a cycle is refused. An activity is
/// never left without the condition it names: that would let everyone in.
#[test]
fn audiences_may_name_audiences_but_not_in_a_cycle() {
    use waymark_core::engine::{DecideInput, Engine};
    let mut bundle = shop();
    bundle["audiences"]["a-gold"] = json!({"audience": "gold"});
    bundle["audiences"]["aa-gold"] = json!({"audience": "a-gold"});
    bundle["activities"][0]["audience"] = json!({"audience": "aa-gold"});
    let engine = Engine::from_json(&bundle.to_string()).unwrap();
    let decide = |tier: &str| {
        let input = DecideInput::from_json(&format!(
            r#"{{"snapshot": {{"attributes": {{"loyalty": {{"tier": "{tier}"}}}}, "consent": {{"personalize": "in"}}}},
                "now": 1795867200000, "request": {{"surfaces": ["web://shop.example/product/1#hero"]}}}}"#
        ))
        .unwrap();
        engine
            .decide(&input)
            .propositions
            .iter()
            .any(|p| p.activity_id == "hero-gold")
    };
    assert!(decide("gold"));
    assert!(
        !decide("silver"),
        "a silver visitor must not pass a gold audience"
    );

    let mut bundle = shop();
    bundle["audiences"]["a"] = json!({"audience": "b"});
    bundle["audiences"]["b"] = json!({"audience": "a"});
    bundle["audiences"]["self"] = json!({"audience": "self"});
    bundle["activities"][0]["audience"] = json!({"audience": "a"});
    let found = problems(bundle);
    assert_eq!(
        found,
        [
            (
                "/audiences/a/audience".to_owned(),
                "audience `a` refers to itself (directly or through other audiences)".to_owned()
            ),
            (
                "/audiences/b/audience".to_owned(),
                "audience `b` refers to itself (directly or through other audiences)".to_owned()
            ),
            (
                "/audiences/self/audience".to_owned(),
                "audience `self` refers to itself (directly or through other audiences)".to_owned()
            ),
            (
                "/activities/0/audience/audience".to_owned(),
                "audience `a` is not usable (see /audiences/a)".to_owned()
            ),
        ]
    );
}
