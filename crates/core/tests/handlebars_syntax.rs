//! Handlebars syntax beyond Mustache: whitespace control, block parameters, path forms,
//! built-in options, partials with arguments, partial blocks and inline partials, and the
//! errors that replace what used to be silent misreadings.

// The helpers below are test code too (clippy.toml only exempts `#[test]` functions).
#![allow(clippy::unwrap_used, clippy::panic)]

// The same tests run under wasm-bindgen-test (in node) when built for wasm32.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use serde_json::{Value, json};
use waymark_core::bundle::Bundle;
use waymark_core::template::{
    DiagnosticKind, ErrorKind, Partials, RenderOptions, Rendered, Template,
};

fn full(src: &str, data: &Value, partials: &Partials) -> Rendered {
    Template::compile("t", src)
        .unwrap_or_else(|e| panic!("{src}: {e}"))
        .render(data, partials, &RenderOptions::default())
        .unwrap_or_else(|e| panic!("{src}: {e}"))
}

fn render(src: &str, data: Value) -> String {
    full(src, &data, &Partials::new()).text
}

/// The compile error of `src`: (line, column, kind).
fn compile_err(src: &str) -> (u32, u32, ErrorKind) {
    let e = Template::compile("t", src).unwrap_err();
    (e.line(), e.column(), e.kind().clone())
}

#[test]
fn tilde_strips_all_whitespace_on_its_side_and_is_never_part_of_a_name() {
    // A key literally named `~foo~` must not be what `{{~foo~}}` reads.
    let d = json!({"foo": "bar<", "~foo~": "wrong", "~foo": "wrong", "xs": [1, 2]});
    assert_eq!(render(" \n {{~foo~}} \n ", d.clone()), "bar&lt;");
    assert_eq!(render(" {{~foo}} ", d.clone()), "bar&lt; ");
    assert_eq!(render(" {{foo~}} ", d.clone()), " bar&lt;");
    assert_eq!(render(" {{~{foo}~}} ", d.clone()), "bar<");
    assert_eq!(render(" {{~& foo ~}} ", d.clone()), "bar<");
    // Blocks, else, comments and partials; the whitespace inside the tag does not matter.
    assert_eq!(
        render("a \n{{~#each xs~}}\n  {{.}}  \n{{~/each~}}\n b", d.clone()),
        "a12b"
    );
    assert_eq!(
        render("{{#if nope}}x{{~else~}}\n  y  {{~/if}}", d.clone()),
        "y"
    );
    assert_eq!(render("{{#if foo}} x {{~^~}} y {{/if}}", d.clone()), " x");
    assert_eq!(render("a  {{!-- c }} --~}}  \n b", d.clone()), "a  b");
    assert_eq!(render("a  {{~! c ~}}  b", d.clone()), "ab");
    let mut partials = Partials::new();
    partials.compile("p", "P").unwrap();
    assert_eq!(full("a \n {{~> p ~}} \n b", &d, &partials).text, "aPb");
    // Standalone lines still apply, and a `~` on the left drops a partial's indentation.
    assert_eq!(full("x\n  {{~> p}}\ny", &d, &partials).text, "xPy");
    assert_eq!(full("x\n  {{> p}}\ny", &d, &partials).text, "x\n  Py");
}

#[test]
fn backslash_escapes_a_tag() {
    let d = json!({"foo": "food"});
    assert_eq!(render("\\{{foo}} {{foo}}", d.clone()), "{{foo}} food");
    assert_eq!(render("\\\\{{foo}}", d.clone()), "\\food");
    assert_eq!(render("a \\{{foo}}", d), "a {{foo}}");
}

#[test]
fn block_parameters_bind_items_indexes_keys_and_shadow_outer_names() {
    let d = json!({
        "item": "outer",
        "rows": [{"cells": ["a", "b"]}, {"cells": ["c"]}],
        "map": {"x": 1, "y": 2},
        "user": {"name": "Ann", "item": "own"},
    });
    assert_eq!(
        render(
            "{{#each rows as |row r|}}{{#each row.cells as |cell c|}}{{r}}.{{c}}={{cell}} {{/each}}{{/each}}",
            d.clone()
        ),
        "0.0=a 0.1=b 1.0=c "
    );
    assert_eq!(
        render("{{#each map as |v k|}}{{k}}:{{v}} {{/each}}", d.clone()),
        "x:1 y:2 "
    );
    // `item` is the block parameter inside, the context's key outside and via `this.`.
    assert_eq!(
        render(
            "{{#with user as |item|}}{{item.name}} {{this.item}} {{../item}}{{/with}} {{item}}",
            d.clone()
        ),
        "Ann own outer outer"
    );
    // Inner parameters shadow outer ones of the same name.
    assert_eq!(
        render(
            "{{#each rows as |x|}}{{#each x.cells as |x|}}{{x}}{{/each}}{{/each}}",
            d.clone()
        ),
        "abc"
    );
    // Helpers, sections and `{{else}}` see them as Handlebars does (not bound in `else`).
    assert_eq!(
        render(
            "{{#each rows as |row|}}{{upper (lookup row.cells 0)}}{{/each}}|{{#with none as |item|}}x{{else}}{{item}}{{/with}}",
            d.clone()
        ),
        "AC|outer"
    );
    // A condition-language expression reads the root data, so a parameter there is refused.
    let (line, column, kind) =
        compile_err("{{#each rows as |row|}}{{#if row.n > 1}}x{{/if}}{{/each}}");
    assert_eq!((line, column), (1, 30));
    assert!(matches!(&kind, ErrorKind::InvalidTag(m) if m.contains("block parameter `row`")));
    // Only #each (two) and #with (one) take them.
    assert!(matches!(
        compile_err("{{#if a as |b|}}{{/if}}").2,
        ErrorKind::InvalidTag(_)
    ));
    assert!(matches!(
        compile_err("{{#with a as |b c|}}{{/with}}").2,
        ErrorKind::InvalidTag(m) if m.contains("at most 1")
    ));
    assert!(matches!(
        compile_err("{{#each a as |b.c|}}{{/each}}").2,
        ErrorKind::InvalidTag(m) if m.contains("not a block parameter name")
    ));
}

#[test]
fn literal_segments_separators_and_length() {
    let d = json!({
        "foo bar": {"x": "fb"},
        "arr": [{"name": "first"}],
        "cart": {"items": [1, 2, 3], "empty": []},
        "word": "héllo😀",
        "this": "literal this",
        "12": "twelve",
    });
    assert_eq!(
        render("{{[foo bar]}}", d.clone()),
        "{&quot;x&quot;:&quot;fb&quot;}"
    );
    assert_eq!(
        render("{{[foo bar].x}} {{[foo bar]/x}}", d.clone()),
        "fb fb"
    );
    assert_eq!(
        render("{{arr.[0].name}} {{arr/0/name}}", d.clone()),
        "first first"
    );
    assert_eq!(render("{{'12'}} {{12}}", d.clone()), "twelve twelve");
    assert_eq!(
        render(
            "{{[this]}} {{#with arr.[0]}}{{this/name}}{{/with}}",
            d.clone()
        ),
        "literal this first"
    );
    // A literal segment is not read as the condition language (`and` is inside it).
    assert_eq!(
        render("{{#if [a and b]}}y{{/if}}", json!({"a and b": true})),
        "y"
    );
    // `.length` of arrays and strings (UTF-16 code units, as JavaScript counts).
    assert_eq!(
        render(
            "{{cart.items.length}} {{cart.empty.length}} {{word.length}}",
            d.clone()
        ),
        "3 0 7"
    );
    assert_eq!(
        render(
            "{{#if cart.items.length}}some{{/if}}{{#if cart.empty.length}}none{{/if}}",
            d
        ),
        "some"
    );
    // `this` and `..` only start a path; errors say where.
    let (line, column, kind) = compile_err("ab\n  {{text/this/foo}}");
    assert_eq!((line, column), (2, 5));
    assert!(matches!(kind, ErrorKind::InvalidTag(m) if m.contains("may only start a path")));
    assert!(
        matches!(compile_err("{{a.[b}}").2, ErrorKind::InvalidTag(m) if m.contains("unclosed `[`"))
    );
}

#[test]
fn include_zero_inverted_helper_blocks_and_log() {
    let d = json!({"n": 0, "s": "", "xs": []});
    assert_eq!(render("{{#if n}}a{{else}}b{{/if}}", d.clone()), "b");
    assert_eq!(
        render("{{#if n includeZero=true}}a{{else}}b{{/if}}", d.clone()),
        "a"
    );
    assert_eq!(
        render("{{#if s includeZero=true}}a{{else}}b{{/if}}", d.clone()),
        "b"
    );
    assert_eq!(
        render(
            "{{#unless n includeZero=true}}a{{else}}b{{/unless}}",
            d.clone()
        ),
        "b"
    );
    assert_eq!(
        render("{{#if s}}{{else if n includeZero=true}}c{{/if}}", d.clone()),
        "c"
    );
    assert_eq!(
        render("{{^if n}}none{{else}}some{{/if}}", d.clone()),
        "none"
    );
    assert_eq!(render("{{^each xs}}empty{{/each}}", d.clone()), "empty");
    assert_eq!(render("{{^with s}}no s{{/with}}", d.clone()), "no s");
    assert!(matches!(
        compile_err("{{#if n includeZero=yes}}{{/if}}").2,
        ErrorKind::InvalidTag(_)
    ));
    // `log` renders nothing and reports its arguments.
    let out = full("a{{log \"seen\" n level=\"warn\"}}b", &d, &Partials::new());
    assert_eq!(out.text, "ab");
    assert!(matches!(
        &out.diagnostics[..],
        [d] if d.kind == DiagnosticKind::Helper { helper: "log".into(), message: "[warn] seen 0".into() }
    ));
}

#[test]
fn unknown_helpers_are_compile_errors_with_a_position() {
    let (line, column, kind) = compile_err("x\n{{#frobnicate items}}{{/frobnicate}}");
    assert_eq!(
        (line, column, kind),
        (2, 4, ErrorKind::UnknownHelper("frobnicate".into()))
    );
    let (line, column, kind) = compile_err("{{upper (nope x)}}");
    assert_eq!(
        (line, column, kind),
        (1, 10, ErrorKind::UnknownHelper("nope".into()))
    );
    assert!(matches!(
        compile_err("{{#*decorator}}{{/decorator}}").2,
        ErrorKind::InvalidTag(_)
    ));
    assert!(matches!(
        compile_err("{{> (whichPartial)}}").2,
        ErrorKind::InvalidTag(_)
    ));
}

#[test]
fn escaping_is_handlebars_set() {
    assert_eq!(
        render("{{v}}", json!({"v": "&<>\"'`= ok"})),
        "&amp;&lt;&gt;&quot;&#x27;&#x60;&#x3D; ok"
    );
}

#[test]
fn partials_take_a_context_hash_arguments_blocks_and_inline_definitions() {
    let mut partials = Partials::new();
    partials.compile("card", "[{{title}}|{{tier}}]").unwrap();
    partials
        .compile("layout", "<main>{{> @partial-block}}</main>")
        .unwrap();
    partials.compile("uses-inline", "({{> row}})").unwrap();
    partials
        .compile(
            "each-block",
            "{{#each list as |p|}}<{{> @partial-block}}>{{/each}}",
        )
        .unwrap();
    let d = json!({"offer": {"title": "Boots", "tier": "silver"}, "title": "Top", "tier": "gold"});
    let r = |src: &str| full(src, &d, &partials).text;
    assert_eq!(r("{{> card offer}}"), "[Boots|silver]");
    assert_eq!(r("{{> card tier=\"bronze\"}}"), "[Top|bronze]");
    assert_eq!(r("{{> card offer title=title}}"), "[Top|silver]");
    assert_eq!(
        r("{{> [card] offer}}{{> \"card\" offer}}"),
        "[Boots|silver][Boots|silver]"
    );
    assert_eq!(r("{{#> layout}}{{title}}{{/layout}}"), "<main>Top</main>");
    assert_eq!(
        r("{{#> absent offer}}fallback {{title}}{{/absent}}"),
        "fallback Boots"
    );
    // A block's parameters are those where it is written, even inside a partial that binds
    // its own.
    let d2 = json!({"list": [1, 2], "who": {"n": "Ann"}});
    assert_eq!(
        full(
            "{{#with who as |p|}}{{#> each-block list=../list}}{{p.n}}{{/each-block}}{{/with}}",
            &d2,
            &partials
        )
        .text,
        "<Ann><Ann>"
    );
    assert_eq!(
        r(
            "{{#*inline \"row\"}}<{{title}}>{{/inline}}{{> row}}{{#with offer}}{{> uses-inline}}{{/with}}"
        ),
        "<Top>(<Boots>)"
    );
    // An inline partial is visible in its block only.
    let out = full(
        "{{#with offer}}{{#*inline \"row\"}}x{{/inline}}{{/with}}{{> row}}",
        &d,
        &partials,
    );
    assert_eq!(out.text, "");
    assert!(
        matches!(&out.diagnostics[..], [d] if d.kind == DiagnosticKind::MissingPartial("row".into()))
    );
    assert!(matches!(
        compile_err("{{> card a b}}").2,
        ErrorKind::InvalidTag(m) if m.contains("one context value")
    ));
}

#[test]
fn a_bundle_refuses_a_missing_partial_with_its_position() {
    let bundle = |content: &str| {
        json!({"format": 1, "id": "b", "partials": {"p": "{{> q}}", "q": "Q"}, "activities": [{
            "id": "a", "surfaces": ["web://s.example/*#x"],
            "content": {"channel": "web", "actions": [
                {"selector": "#x", "type": "setText", "content": content}]}}]})
    };
    assert!(
        Bundle::from_value(bundle(
            "{{> p}} {{#*inline \"i\"}}I{{/inline}}{{> i}} {{#> none}}fallback{{/none}}"
        ))
        .is_ok()
    );
    let problems = Bundle::from_value(bundle("a\n  {{> nope}}")).unwrap_err().0;
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(
        problems[0].pointer,
        "/activities/0/content/actions/0/content"
    );
    assert!(
        problems[0].message.contains("line 2, column 3"),
        "{}",
        problems[0].message
    );
    assert!(
        problems[0].message.contains("unknown partial `nope`"),
        "{}",
        problems[0].message
    );
}

#[test]
fn compiled_bundles_of_the_previous_encoding_are_refused() {
    // Version 5 added block parameters, partial arguments, partial blocks and inline
    // partials to the template trees: a version-4 bundle must not be read as one.
    let bundle = Bundle::from_value(json!({"format": 1, "id": "b", "activities": []})).unwrap();
    let (_, mut bytes) = waymark_core::engine::Engine::compile_encoded(bundle).unwrap();
    assert_eq!(&bytes[..4], b"WMB\x08");
    assert!(waymark_core::engine::Engine::from_compiled(&bytes).is_ok());
    bytes[3] = 4;
    let problems = waymark_core::engine::Engine::from_compiled(&bytes)
        .unwrap_err()
        .0;
    assert!(
        problems[0].message.contains("wrong magic or version"),
        "{problems:?}"
    );
}

#[test]
fn each_over_an_object_follows_the_data_key_order() {
    // Parsed from text, as every runtime reads data: the keys stay in the text's order.
    let d: Value = serde_json::from_str(
        r#"{"prefs": {"zeta": "Z", "alpha": "A", "mid": "M"},
            "mixed": {"b": 1, "10": 2, "a": 3, "2": 4, "02": 5, "": 6}}"#,
    )
    .unwrap();
    let r = |src: &str| full(src, &d, &Partials::new()).text;
    assert_eq!(
        r(
            "{{#each prefs}}{{@index}}{{@key}}={{.}}{{#if @first}}(first){{/if}}{{#if @last}}(last){{/if}} {{/each}}"
        ),
        "0zeta=Z(first) 1alpha=A 2mid=M(last) "
    );
    assert_eq!(
        r("{{#each prefs as |v k|}}{{k}}{{v}}{{/each}}"),
        "zetaZalphaAmidM"
    );
    // As JavaScript (and so handlebars.js) orders an object's keys: array indices first, in
    // ascending order, then the other keys in the data's order (`02` is not an index).
    assert_eq!(
        r("{{#each mixed}}[{{@key}}]{{/each}}"),
        "[2][10][b][a][02][]"
    );
    assert_eq!(r("{{#each mixed}}{{#if @last}}{{.}}{{/if}}{{/each}}"), "6");
    // A repeated key keeps its first place and its last value, as `JSON.parse` does.
    let twice: Value = serde_json::from_str(r#"{"m": {"a": 1, "b": 2, "a": 3}}"#).unwrap();
    assert_eq!(
        full(
            "{{#each m}}{{@key}}={{.}} {{/each}}",
            &twice,
            &Partials::new()
        )
        .text,
        "a=3 b=2 "
    );
    // The JSON text of an object follows the same order (what `JSON.stringify` writes).
    assert_eq!(
        r("{{{json mixed}}}|{{{prefs}}}"),
        r#"{"2":4,"10":2,"b":1,"a":3,"02":5,"":6}|{"zeta":"Z","alpha":"A","mid":"M"}"#
    );
    // Keys added by a partial's hash arguments go after the context's own.
    let mut partials = Partials::new();
    partials
        .compile("keys", "{{#each this}}{{@key}} {{/each}}")
        .unwrap();
    assert_eq!(
        full("{{> keys prefs alpha=1 extra=2}}", &d, &partials).text,
        "zeta alpha mid extra "
    );
}

#[test]
fn partial_block_is_a_condition_and_nothing_else() {
    let mut partials = Partials::new();
    partials
        .compile(
            "frame",
            "{{#if @partial-block}}[{{> @partial-block}}]{{else}}(none){{/if}}\
             {{#unless @partial-block}}!{{/unless}}",
        )
        .unwrap();
    let d = json!({"x": "X"});
    let r = |src: &str| full(src, &d, &partials).text;
    assert_eq!(r("{{#> frame}}{{x}}{{/frame}}"), "[X]");
    assert_eq!(r("{{> frame}}"), "(none)!");
    // Inside the block's own content, the partial block in scope is the outer one.
    partials
        .compile(
            "inner",
            "{{#> frame}}{{#if @partial-block}}outer{{else}}no outer{{/if}}{{/frame}}",
        )
        .unwrap();
    assert_eq!(full("{{> inner}}", &d, &partials).text, "[no outer]");
    assert_eq!(
        full("{{#> inner}}B{{/inner}}", &d, &partials).text,
        "[outer]"
    );
    // Anywhere else it is a compile error at its position, never a silent value.
    for (src, column) in [
        ("ab{{@partial-block}}", 5),
        ("{{#with @partial-block}}{{/with}}", 9),
        ("{{#if (not @partial-block)}}{{/if}}", 12),
        ("{{> card x=@partial-block}}", 12),
        ("{{#each @partial-block}}{{/each}}", 9),
    ] {
        let (line, col, kind) = compile_err(src);
        assert_eq!((line, col), (1, column), "{src}");
        assert!(
            matches!(&kind, ErrorKind::InvalidTag(m) if m.contains("`@partial-block`")),
            "{src}: {kind:?}"
        );
    }
}

#[test]
fn helper_missing_is_never_silent() {
    // A mustache with parameters whose name is no helper: a compile error at the name.
    for (src, line, column, name) in [
        ("Hi {{foo bar}}", 1, 6, "foo"),
        ("x\n  {{{shout name}}}", 2, 6, "shout"),
        ("{{#if (foo bar)}}{{/if}}", 1, 8, "foo"),
        ("{{name | shout}}", 1, 10, "shout"),
        ("{{#foo bar}}{{/foo}}", 1, 4, "foo"),
        ("{{^foo bar}}{{/foo}}", 1, 4, "foo"),
        ("{{> card (foo x)}}", 1, 11, "foo"),
        ("{{helperMissing x}}", 1, 3, "helperMissing"),
    ] {
        assert_eq!(
            compile_err(src),
            (line, column, ErrorKind::UnknownHelper(name.into())),
            "{src}"
        );
    }
    // Handlebars' hooks cannot be called (handlebars.js throws), with or without arguments;
    // `this.helperMissing` reads a key of that name.
    for src in [
        "{{helperMissing}}",
        "{{{blockHelperMissing}}}",
        "{{#helperMissing}}{{/helperMissing}}",
        "{{^blockHelperMissing}}{{/blockHelperMissing}}",
    ] {
        let (line, column, kind) = compile_err(src);
        assert!(
            (line, column) == (1, 3) || (line, column) == (1, 4),
            "{src}: {line}:{column}"
        );
        assert!(
            matches!(&kind, ErrorKind::InvalidTag(m) if m.contains("hook for unknown helpers")),
            "{src}: {kind:?}"
        );
    }
    assert_eq!(
        render("{{this.helperMissing}}", json!({"helperMissing": "k"})),
        "k"
    );
}

#[test]
fn key_order_survives_bundles_compiled_bundles_and_projections() {
    use waymark_core::engine::{DecideInput, Engine};
    // Offer attributes and profile data, in an order that is not sorted.
    let bundle = r#"{"format": 1, "id": "b",
        "placements": [{"id": "slot", "surface": "web://k.example/#slot"}],
        "offers": [{"id": "o", "attributes": {"size": "M", "colour": "red", "5": "five", "brand": "W"},
            "representations": {"slot": {"format": "text",
                "content": "{{#each offer.attributes}}{{@key}}={{.}} {{/each}}| {{#each profile.prefs}}{{@key}} {{/each}}"}}}],
        "policies": [{"id": "p", "placement": "slot"}]}"#;
    let input = DecideInput::from_json(
        r#"{"snapshot": {"profileId": "u", "consent": {"personalize": "in"},
            "attributes": {"zip": "1", "prefs": {"tea": 1, "coffee": 2, "milk": 3}}},
            "now": 0, "request": {"surfaces": ["web://k.example/"]}}"#,
    )
    .unwrap();
    let expected = "5=five size=M colour=red brand=W | tea coffee milk ";
    let engine = Engine::from_json(bundle).unwrap();
    let content = |engine: &Engine, input: &DecideInput| {
        let decision = serde_json::to_value(engine.decide(input)).unwrap();
        decision["offers"][0]["items"][0]["content"].clone()
    };
    assert_eq!(content(&engine, &input), expected);
    // The compiled bundle (what the browser loads) keeps the order.
    let (_, bytes) = Engine::compile_encoded(Bundle::from_json(bundle).unwrap()).unwrap();
    let loaded = Engine::from_compiled(&bytes).unwrap();
    assert_eq!(content(&loaded, &input), expected);
    // The snapshot projection (what the central API serves) keeps the profile's order.
    let profile: Value =
        serde_json::from_str(r#"{"zip": "1", "prefs": {"tea": 1, "coffee": 2}, "email": "x"}"#)
            .unwrap();
    let projected = engine.projection().apply(&profile);
    assert_eq!(
        serde_json::to_string(&projected).unwrap(),
        r#"{"prefs":{"tea":1,"coffee":2}}"#
    );
}
