//! Property tests: random templates and data never panic, and data never produces markup.
#![cfg(not(target_arch = "wasm32"))]
// Helpers below are test code too (clippy.toml only exempts `#[test]` functions).
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use serde_json::{Map, Value};
use waymark_core::template::{Escape, Partials, RenderOptions, Template, UNSAFE_URL};

fn data() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1.0e12..1.0e12f64).prop_map(Value::from),
        "[a-z<>&\"' :/]{0,12}".prop_map(Value::String),
        Just(Value::String("2026-03-05T14:30:00Z".into())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop::sample::select(vec!["a", "b", "c", "items", "x"]),
                    inner
                ),
                0..5
            )
            .prop_map(|kv| Value::Object(
                kv.into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect::<Map<_, _>>()
            )),
        ]
    })
}

/// Well-formed-ish templates: balanced blocks around leaves, without literal `<`.
/// With `strict`, also helpers that fail on data of the wrong type (a render error, which hides
/// the output from the markup property).
fn template(strict: bool) -> impl Strategy<Value = String> {
    let strict_leaf = prop::sample::select(vec![
        "{{formatNumber a 2 \"fr-FR\"}}",
        "{{formatCurrency a \"EUR\" \"de-DE\"}}",
        "{{formatDate a \"long\"}}",
        "{{add a 1}}{{length items}}",
    ])
    .prop_map(str::to_string);
    let leaf = prop_oneof![
        Just("{{a}}".to_string()),
        Just("{{b.c}}".to_string()),
        Just("{{.}}".to_string()),
        Just("{{{a}}}".to_string()),
        Just("{{& x}}".to_string()),
        Just("{{@index}}{{@key}}".to_string()),
        Just("{{upper a}}{{truncate b 3}}".to_string()),
        Just("{{json .}}".to_string()),
        Just("{{default x \"y\"}}".to_string()),
        Just("{{join items \", \"}}".to_string()),
        Just("{{> p}}".to_string()),
        Just("{{! note }}".to_string()),
        Just("text ".to_string()),
        Just("\n".to_string()),
        Just("  ".to_string()),
        "[a-z {}#/^&!>=.]{0,6}",
    ];
    let leaf =
        (leaf, strict_leaf, 0..4u8).prop_map(move |(l, s, k)| if strict && k == 0 { s } else { l });
    leaf.prop_recursive(4, 32, 4, |inner| {
        let body = prop::collection::vec(inner, 0..4).prop_map(|v| v.concat());
        let open = prop::sample::select(vec![
            "#a",
            "^b",
            "#items",
            "#each items",
            "#with x",
            "#if (gt a 1)",
            "#unless c",
        ]);
        (open, body.clone(), body).prop_map(|(open, body, alt)| {
            let name = open
                .trim_start_matches(['#', '^'])
                .split(' ')
                .next()
                .unwrap_or("")
                .to_string();
            format!("{{{{{open}}}}}{body}{{{{else}}}}{alt}{{{{/{name}}}}}")
        })
    })
}

fn partials() -> Partials {
    let mut p = Partials::new();
    p.compile("p", "[{{a}}{{#items}}{{> p}}{{/items}}]")
        .unwrap();
    p
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(src in "[a-z{}#/^&!>=.@()\" \n]{0,40}", d in data()) {
        if let Ok(t) = Template::compile("p", &src) {
            let _ = t.render(&d, &partials(), &RenderOptions::default());
        }
    }

    #[test]
    fn random_templates_never_panic(src in template(true), d in data()) {
        if let Ok(t) = Template::compile("p", &src) {
            let _ = t.render(&d, &partials(), &RenderOptions { fuel: 20_000, ..RenderOptions::default() });
        }
    }

    #[test]
    fn data_never_produces_markup(src in template(false), d in data()) {
        let opts = RenderOptions { allow_raw: false, fuel: 20_000, max_output: 1 << 16, ..RenderOptions::default() };
        if let Ok(t) = Template::compile("p", &src) {
            // Only the limits can fail a render of these templates.
            let out = t.render(&d, &partials(), &opts);
            prop_assert!(out.is_ok() || out.as_ref().is_err_and(|e| e.to_string().contains("fuel") || e.to_string().contains("nesting") || e.to_string().contains("output")), "{src:?}: {out:?}");
            if let Ok(out) = out {
                prop_assert!(!out.text.contains('<'), "{src:?} gave {:?}", out.text);
                prop_assert!(!out.text.contains('"'), "{src:?} gave {:?}", out.text);
                prop_assert!(!out.text.contains('\''), "{src:?} gave {:?}", out.text);
            }
        }
    }

    #[test]
    fn url_context_never_yields_a_script_url(
        pre in "[ \t\n\u{1}]{0,2}",
        scheme in "(?i)(javascript|vbscript|data|java\tscript|https)",
        rest in "[:a-z(),<> ]{0,10}",
    ) {
        let u = format!("{pre}{scheme}{rest}");
        let t = Template::compile("u", "{{u}}").unwrap();
        let opts = RenderOptions { escape: Escape::Url, ..RenderOptions::default() };
        let out = t.render(&serde_json::json!({ "u": u }), &Partials::new(), &opts).unwrap().text;
        let seen: String = out.chars().filter(|c| !c.is_ascii_whitespace() && !c.is_ascii_control()).collect::<String>().to_ascii_lowercase();
        prop_assert!(out == UNSAFE_URL || !(seen.starts_with("javascript:") || seen.starts_with("vbscript:") || seen.starts_with("data:")), "{u:?} gave {out:?}");
    }
}

/// RFC 3986's unreserved characters, which `urlEncode` keeps.
const UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

proptest! {
    /// `urlEncode` is the `percent-encoding` crate's UTF-8 encoding with every character but the
    /// unreserved ones encoded.
    #[test]
    fn url_encode_is_percent_encoding(s in any::<String>()) {
        let t = Template::compile("t", "{{urlEncode s}}").unwrap();
        let data = serde_json::json!({ "s": s });
        let opts = RenderOptions { escape: Escape::None, ..RenderOptions::default() };
        let out = t.render(&data, &Partials::new(), &opts).unwrap().text;
        prop_assert_eq!(out, percent_encoding::utf8_percent_encode(&s, UNRESERVED).to_string());
    }
}
