//! Handlebars blocks, the helper library, escaping contexts, errors and limits.

// The helpers below are test code too (clippy.toml only exempts `#[test]` functions).
#![allow(clippy::unwrap_used, clippy::panic)]

// The same tests run under wasm-bindgen-test (in node) when built for wasm32.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use serde_json::{Value, json};
use waymark_core::template::{
    DiagnosticKind, ErrorKind, Escape, Partials, RenderOptions, Rendered, Template, UNSAFE_URL,
};

/// 2026-03-05T14:30:00Z, a Thursday.
const NOW: i64 = 1_772_721_000_000;

fn opts() -> RenderOptions {
    RenderOptions {
        now_ms: NOW,
        ..RenderOptions::default()
    }
}

fn full(src: &str, data: &Value, o: &RenderOptions) -> Rendered {
    Template::compile("t", src)
        .unwrap()
        .render(data, &Partials::new(), o)
        .unwrap()
}

fn render(src: &str, data: Value) -> String {
    full(src, &data, &opts()).text
}

fn render_in(src: &str, data: Value, escape: Escape) -> String {
    full(src, &data, &RenderOptions { escape, ..opts() }).text
}

fn err(src: &str, data: Value) -> String {
    match Template::compile("card", src) {
        Err(e) => e.to_string(),
        Ok(t) => t
            .render(&data, &Partials::new(), &opts())
            .unwrap_err()
            .to_string(),
    }
}

#[test]
fn if_else_chains() {
    let t = "{{#if gold}}G{{else if silver}}S{{else}}B{{/if}}";
    assert_eq!(render(t, json!({"gold": true})), "G");
    assert_eq!(render(t, json!({"silver": 1})), "S");
    assert_eq!(render(t, json!({"gold": 0, "silver": ""})), "B");
    assert_eq!(
        render("{{#unless x}}no{{else}}yes{{/unless}}", json!({})),
        "no"
    );
    assert_eq!(
        render("{{#unless x}}no{{else}}yes{{/unless}}", json!({"x": [1]})),
        "yes"
    );
    assert_eq!(
        render(
            "{{#if (gt cart.total 100)}}free shipping{{/if}}",
            json!({"cart": {"total": 120}})
        ),
        "free shipping"
    );
    assert_eq!(
        render(
            "{{#if (gt cart.total 100)}}free shipping{{/if}}",
            json!({"cart": {"total": "80"}})
        ),
        ""
    );
    let t = "{{#if (and (eq tier \"gold\") (not optedOut))}}VIP{{/if}}";
    assert_eq!(render(t, json!({"tier": "gold"})), "VIP");
    assert_eq!(render(t, json!({"tier": "gold", "optedOut": true})), "");
}

#[test]
fn each_with_data_variables() {
    let t = "{{#each items}}{{@index}}:{{this}}{{#if @first}}(first){{/if}}{{#if @last}}(last){{/if}} {{/each}}";
    assert_eq!(
        render(t, json!({"items": ["a", "b", "c"]})),
        "0:a(first) 1:b 2:c(last) "
    );
    let t = "{{#each prices}}{{@key}}={{.}};{{/each}}";
    // An object's keys in the data's order, not sorted.
    assert_eq!(render(t, json!({"prices": {"b": 2, "a": 1}})), "b=2;a=1;");
    assert_eq!(
        render(
            "{{#each items}}x{{else}}empty{{/each}}",
            json!({"items": []})
        ),
        "empty"
    );
    let t = "{{#each offers}}{{title}} for {{../name}} @ {{@root.shop}}|{{/each}}";
    let data = json!({"name": "Ana", "shop": "W", "offers": [{"title": "A"}, {"title": "B"}]});
    assert_eq!(render(t, data), "A for Ana @ W|B for Ana @ W|");
    let t = "{{#with profile}}{{firstName}} {{lastName}}{{else}}guest{{/with}}";
    assert_eq!(
        render(
            t,
            json!({"profile": {"firstName": "Ana", "lastName": "Li"}})
        ),
        "Ana Li"
    );
    assert_eq!(render(t, json!({})), "guest");
    let t = "{{#each rows}}{{#each this}}{{@../index}}.{{@index}} {{/each}}{{/each}}";
    assert_eq!(render(t, json!({"rows": [[1, 2], [3]]})), "0.0 0.1 1.0 ");
}

#[test]
fn standalone_blocks_leave_no_blank_lines() {
    let t = "<ul>\n  {{#each items}}\n  <li>{{.}}</li>\n  {{else}}\n  <li>none</li>\n  {{/each}}\n</ul>\n";
    assert_eq!(
        render(t, json!({"items": [1, 2]})),
        "<ul>\n  <li>1</li>\n  <li>2</li>\n</ul>\n"
    );
    assert_eq!(render(t, json!({})), "<ul>\n  <li>none</li>\n</ul>\n");
}

#[test]
fn default_and_missing_values() {
    assert_eq!(
        render("Hi {{default profile.firstName \"there\"}}!", json!({})),
        "Hi there!"
    );
    assert_eq!(
        render(
            "Hi {{default profile.firstName \"there\"}}!",
            json!({"profile": {"firstName": "Ana"}})
        ),
        "Hi Ana!"
    );
    assert_eq!(render("{{default n 5}}", json!({"n": 0})), "0");
    let r = full("Hi {{profile.firstName}}", &json!({}), &opts());
    assert_eq!(r.text, "Hi ");
    assert_eq!(r.diagnostics.len(), 1);
    let looped = full(
        "{{#each items}}{{missing}}{{/each}}",
        &json!({"items": [1, 2, 3]}),
        &opts(),
    );
    assert_eq!(looped.diagnostics.len(), 1, "reported once per place");
    assert_eq!(
        r.diagnostics[0].kind,
        DiagnosticKind::MissingValue("profile.firstName".into())
    );
    assert_eq!(
        r.diagnostics[0].to_string(),
        "template 't', line 1, column 4: missing value `profile.firstName`"
    );
}

#[test]
fn pipe_form() {
    let d = json!({"p": {"firstName": "ana"}, "title": "A very long product title"});
    assert_eq!(
        render("Hi {{p.lastName | default: \"there\"}}!", d.clone()),
        "Hi there!"
    );
    assert_eq!(
        render(
            "Hi {{ p.firstName | default: \"there\" | capitalize }}!",
            d.clone()
        ),
        "Hi Ana!"
    );
    assert_eq!(
        render("{{title | truncate: 10, \"...\" | upper}}", d.clone()),
        "A VERY..."
    );
    assert!(err("{{title | }}", d.clone()).contains("expected a helper name after `|`"));
    assert!(err("{{title | nope: 1}}", d).contains("unknown helper `nope`"));
}

#[test]
fn only_own_keys_are_reachable() {
    assert_eq!(
        render(
            "[{{constructor}}{{__proto__}}{{name.trim}}{{toString}}]",
            json!({"name": "x"})
        ),
        "[]"
    );
    assert_eq!(
        render("{{__proto__.x}}", json!({"__proto__": {"x": 1}})),
        "1"
    );
    assert_eq!(render("{{items.1}}", json!({"items": ["a", "b"]})), "b");
}

#[test]
fn string_helpers() {
    let d = json!({"s": "  hello wonderful world  ", "name": "ana-maria li", "tags": ["a", "b", "c"], "csv": "x,y"});
    assert_eq!(
        render("{{upper (trim s)}}", d.clone()),
        "HELLO WONDERFUL WORLD"
    );
    assert_eq!(render("{{lower \"ÀB\"}}", d.clone()), "àb");
    assert_eq!(
        render("{{capitalize \"élan\"}}|{{titleCase name}}", d.clone()),
        "Élan|Ana-Maria Li"
    );
    assert_eq!(render("{{truncate (trim s) 10}}", d.clone()), "hello won…");
    assert_eq!(
        render("{{truncate (trim s) 12 \"...\"}}", d.clone()),
        "hello won..."
    );
    assert_eq!(render("{{truncate \"short\" 10}}", d.clone()), "short");
    assert_eq!(
        render("{{replace \"a-b-c\" \"-\" \"+\"}}", d.clone()),
        "a+b+c"
    );
    assert_eq!(
        render(
            "{{join tags \" / \"}}|{{join tags}}|{{length tags}}|{{first tags}}{{last tags}}",
            d.clone()
        ),
        "a / b / c|a, b, c|3|ac"
    );
    assert_eq!(
        render("{{#each (split csv \",\")}}[{{.}}]{{/each}}", d.clone()),
        "[x][y]"
    );
    assert_eq!(render("{{concat \"a\" 1 true}}", d.clone()), "a1true");
    let t = "{{#if (contains tags \"b\")}}B{{/if}}{{#if (contains name \"maria\")}}M{{/if}}{{#unless (contains tags \"z\")}}!Z{{/unless}}";
    assert_eq!(render(t, d.clone()), "BM!Z");
    let t = "{{lookup greetings lang}} {{lookup tags 1}} [{{lookup greetings \"constructor\"}}]";
    let g =
        json!({"greetings": {"fr": "Bonjour", "en": "Hello"}, "lang": "fr", "tags": ["a", "b"]});
    assert_eq!(render(t, g), "Bonjour b []");
}

#[test]
fn math_helpers() {
    let d = json!({"a": 7, "b": "2", "price": 19.999});
    assert_eq!(
        render(
            "{{add a b}} {{subtract a b}} {{multiply a b}} {{divide a b}} {{mod a b}}",
            d.clone()
        ),
        "9 5 14 3.5 1"
    );
    assert_eq!(
        render(
            "{{round price}} {{round price 2}} {{floor price}} {{ceil 1.2}} {{abs -3}}",
            d.clone()
        ),
        "20 20 19 2 3"
    );
    assert_eq!(
        render(
            "{{round 3.14159 decimals=3}} {{min a b 4}} {{max a b 4}}",
            d.clone()
        ),
        "3.142 2 7"
    );
    assert_eq!(
        render("{{add 0.1 0.2}} {{multiply 1.1 3}}", d.clone()),
        "0.3 3.3"
    );
    assert!(err("{{divide a 0}}", d).contains("helper `divide`: division by zero"));
}

#[test]
fn numbers_and_currency_in_locales() {
    let n = json!({"n": 1234567.891, "amt": 1234.5, "neg": -0.5, "i": 1000});
    let cases = [
        ("en-US", "1,234,567.89", "$1,234.50"),
        ("en-GB", "1,234,567.89", "£1,234.50"),
        (
            "fr-FR",
            "1\u{202f}234\u{202f}567,89",
            "1\u{202f}234,50\u{a0}€",
        ),
        ("de-DE", "1.234.567,89", "1.234,50\u{a0}€"),
        ("es-ES", "1.234.567,89", "1.234,50\u{a0}€"),
        ("it-IT", "1.234.567,89", "1.234,50\u{a0}€"),
        ("nl-NL", "1.234.567,89", "€\u{a0}1.234,50"),
        ("pt-BR", "1.234.567,89", "R$\u{a0}1.234,50"),
        ("ja-JP", "1,234,567.89", "￥1,235"),
    ];
    for (loc, number, money) in cases {
        let cur = match loc {
            "en-US" => "USD",
            "en-GB" => "GBP",
            "pt-BR" => "BRL",
            "ja-JP" => "JPY",
            _ => "EUR",
        };
        let t = format!(
            "{{{{formatNumber n 2 \"{loc}\"}}}}|{{{{formatCurrency amt \"{cur}\" \"{loc}\"}}}}"
        );
        assert_eq!(
            render_in(&t, n.clone(), Escape::None),
            format!("{number}|{money}"),
            "{loc}"
        );
    }
    assert_eq!(
        render(
            "{{formatNumber i}} {{formatNumber n}} {{formatNumber neg decimals=0}}",
            n.clone()
        ),
        "1,000 1,234,567.891 -1"
    );
    assert_eq!(
        render(
            "{{formatCurrency neg}} {{formatCurrency amt currency=\"CHF\" locale=\"de-DE\"}}",
            n.clone()
        ),
        "-$0.50 1.234,50\u{a0}CHF"
    );
    assert_eq!(
        render_in(
            "{{formatPercent 0.125}} {{formatPercent 0.125 1 \"fr-FR\"}}",
            n.clone(),
            Escape::None
        ),
        "13% 12,5\u{a0}%"
    );
    let o = RenderOptions {
        locale: "de-DE".into(),
        ..opts()
    };
    assert_eq!(full("{{formatNumber amt 1}}", &n, &o).text, "1.234,5");
    // Unknown locales fall back to en-US with a diagnostic; a bare language finds its locale.
    let r = full(
        "{{formatNumber amt 2 \"xx-YY\"}} {{formatNumber amt 2 \"fr\"}}",
        &n,
        &opts(),
    );
    assert_eq!(r.text, "1,234.50 1\u{202f}234,50");
    assert!(
        matches!(&r.diagnostics[0].kind, DiagnosticKind::Helper { helper, message } if helper == "formatNumber" && message.contains("xx-YY"))
    );
}

#[test]
fn dates_in_locales_and_time_zones() {
    let d = json!({"ts": "2026-03-05T14:30:00Z", "ms": 1_772_721_000_000_i64, "day": "2026-12-25"});
    let t = "{{formatDate ts \"long\" \"en-US\" \"America/New_York\"}}";
    assert_eq!(render(t, d.clone()), "March 5, 2026");
    assert_eq!(
        render(
            "{{formatDate ms \"full\" \"fr-FR\" \"Europe/Paris\"}}",
            d.clone()
        ),
        "jeudi 5 mars 2026"
    );
    assert_eq!(
        render(
            "{{formatDate ts \"full\" \"de-DE\" \"Europe/Berlin\"}}",
            d.clone()
        ),
        "Donnerstag, 5. März 2026"
    );
    assert_eq!(
        render("{{formatDate ts \"long\" \"es-ES\"}}", d.clone()),
        "5 de marzo de 2026"
    );
    assert_eq!(
        render(
            "{{formatDate ts \"long\" \"ja-JP\" \"Asia/Tokyo\"}}",
            d.clone()
        ),
        "2026年3月5日"
    );
    assert_eq!(
        render("{{formatDate ts \"long\" \"pt-BR\"}}", d.clone()),
        "5 de março de 2026"
    );
    assert_eq!(
        render(
            "{{formatDate ts \"EEE d MMM HH:mm XXX\" \"en-GB\" \"Asia/Tokyo\"}}",
            d.clone()
        ),
        "Thu 5 Mar 23:30 +09:00"
    );
    assert_eq!(
        render(
            "{{formatDate ts \"shortDateTime\" timeZone=\"America/Los_Angeles\"}}",
            d.clone()
        ),
        "3/5/26 6:30 AM"
    );
    assert_eq!(
        render(
            "{{formatDate ts \"yyyy-MM-dd'T'HH 'o''clock'\"}}",
            d.clone()
        ),
        "2026-03-05T14 o&#x27;clock"
    );
    assert_eq!(
        render(
            "{{formatDate ts \"iso\" timeZone=\"Europe/Paris\"}}",
            d.clone()
        ),
        "2026-03-05T15:30:00+01:00"
    );
    // Date arithmetic is relative to the injected now, or to a given timestamp.
    assert_eq!(render("{{addDays 3}}", d.clone()), "2026-03-08T14:30:00Z");
    assert_eq!(
        render("{{addHours ts -2}}", d.clone()),
        "2026-03-05T12:30:00Z"
    );
    assert_eq!(
        render("{{formatDate (addDays (now) 30) \"medium\"}}", d.clone()),
        "Apr 4, 2026"
    );
    assert_eq!(render("{{daysUntil day}}", d.clone()), "295");
    // Kiritimati (UTC+14) is already on the 6th.
    let o = RenderOptions {
        time_zone: "Pacific/Kiritimati".into(),
        locale: "nl-NL".into(),
        ..opts()
    };
    assert_eq!(
        full("{{formatDate ts \"full\"}}", &d, &o).text,
        "vrijdag 6 maart 2026"
    );
    assert!(
        err(
            "{{formatDate ts \"long\" \"en-US\" \"Mars/Olympus\"}}",
            d.clone()
        )
        .contains("unknown time zone `Mars/Olympus`")
    );
    assert!(err("{{formatDate ts \"yyyy-QQ\"}}", d).contains("unknown pattern letter `Q`"));
}

#[test]
fn escaping_per_context() {
    let d = json!({"v": "<a href=\"x\">'&'</a>", "q": "a\"b\\c\n</script>"});
    assert_eq!(
        render_in("{{v}}", d.clone(), Escape::Html),
        "&lt;a href&#x3D;&quot;x&quot;&gt;&#x27;&amp;&#x27;&lt;/a&gt;"
    );
    assert_eq!(
        render_in("{{v}}", d.clone(), Escape::Attribute),
        "&lt;a href&#x3D;&quot;x&quot;&gt;&#x27;&amp;&#x27;&lt;/a&gt;"
    );
    assert_eq!(
        render_in("{{{v}}}", d.clone(), Escape::Attribute),
        "&lt;a href&#x3D;&quot;x&quot;&gt;&#x27;&amp;&#x27;&lt;/a&gt;"
    );
    assert_eq!(
        render_in("{\"q\": \"{{q}}\"}", d.clone(), Escape::Json),
        "{\"q\": \"a\\\"b\\\\c\\n\\u003c/script\\u003e\"}"
    );
    assert_eq!(
        render_in("{{v}}", d.clone(), Escape::None),
        "<a href=\"x\">'&'</a>"
    );
    assert_eq!(
        render_in("{{{v}}}", d.clone(), Escape::Html),
        "<a href=\"x\">'&'</a>"
    );
    let no_raw = RenderOptions {
        allow_raw: false,
        ..opts()
    };
    assert_eq!(
        full("{{{v}}}", &d, &no_raw).text,
        "&lt;a href&#x3D;&quot;x&quot;&gt;&#x27;&amp;&#x27;&lt;/a&gt;"
    );
    // json helper: JSON text, then escaped for the context.
    assert_eq!(
        render_in("{{json o}}", json!({"o": {"a": "<b>"}}), Escape::Html),
        "{&quot;a&quot;:&quot;&lt;b&gt;&quot;}"
    );
}

#[test]
fn url_context_blocks_script_schemes() {
    let attacks = [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "java\nscript:alert(1)",
        "\u{1}javascript:alert(1)",
        "vbscript:msgbox(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "data:image/svg+xml,<svg onload=alert(1)>",
        "livescript:x",
    ];
    for a in attacks {
        let r = full(
            "{{{u}}}",
            &json!({ "u": a }),
            &RenderOptions {
                escape: Escape::Url,
                ..opts()
            },
        );
        assert_eq!(r.text, UNSAFE_URL, "{a:?}");
        assert_eq!(
            r.diagnostics.last().map(|d| &d.kind),
            Some(&DiagnosticKind::UnsafeUrl)
        );
        assert_eq!(
            render_in("{{u}}", json!({ "u": a }), Escape::Url),
            UNSAFE_URL,
            "{a:?}"
        );
    }
    // Entities in the template's own text are decoded as a browser would.
    for t in [
        "&#106;avascript:{{x}}",
        "&#x6A;avascript:{{x}}",
        "&#0000106avascript:{{x}}",
        "javascript&colon;{{x}}",
        "jav&#x09;ascript:{{x}}",
    ] {
        assert_eq!(
            render_in(t, json!({"x": "alert(1)"}), Escape::Url),
            UNSAFE_URL,
            "{t:?}"
        );
    }
    // Entities in data are escaped, so the browser sees them literally (a harmless relative URL).
    assert_eq!(
        render_in(
            "{{u}}",
            json!({"u": "&#106;avascript:alert(1)"}),
            Escape::Url
        ),
        "&amp;#106;avascript:alert(1)"
    );
    // Split across values, the scheme is still seen: the whole output is checked.
    assert_eq!(
        render_in(
            "{{a}}{{b}}",
            json!({"a": "java", "b": "script:x"}),
            Escape::Url
        ),
        UNSAFE_URL
    );
    let fine = [
        (
            "https://example.com/?q={{q}}",
            "https://example.com/?q=a&amp;b&#x3D;javascript:1",
        ),
        ("{{u}}", "/offers/42"),
        ("{{u}}", "mailto:a@example.com"),
        ("{{u}}", "data:image/png;base64,AAAA"),
    ];
    for (t, want) in fine {
        let u = if want.starts_with("https") { "" } else { want };
        assert_eq!(
            render_in(t, json!({"q": "a&b=javascript:1", "u": u}), Escape::Url),
            want
        );
    }
}

#[test]
fn errors_name_template_and_point_at_the_column() {
    assert_eq!(
        err("<h1>Hi</h1>\n<ul>{{#items}}<li>{{.}}</li>", json!({})),
        "template 'card', line 2, column 5: unclosed section `items`\n  |\n2 | <ul>{{#items}}<li>{{.}}</li>\n  |     ^"
    );
    assert_eq!(
        err("{{#if a}}x{{/each}}", json!({})),
        "template 'card', line 1, column 11: closing tag `each` does not match the open section `if`\n  |\n1 | {{#if a}}x{{/each}}\n  |           ^"
    );
    assert_eq!(
        err("Hello {{frobnicate name}}", json!({})),
        "template 'card', line 1, column 9: unknown helper `frobnicate`\n  |\n1 | Hello {{frobnicate name}}\n  |         ^"
    );
    assert!(
        err("{{name", json!({}))
            .starts_with("template 'card', line 1, column 1: unclosed tag: expected `}}`")
    );
    assert!(err("{{else}}", json!({})).contains("outside of a block"));
    assert!(err("{{upper \"x}}", json!({})).contains("unterminated string literal"));
    assert!(err("{{a..b}}", json!({})).contains("empty segment"));
    assert!(err("{{#if items as |item|}}{{/if}}", json!({})).contains("block parameters"));
    // Errors in literal text (here: the output limit) point at the text.
    let t = Template::compile("card", "{{a}}\n  long text").unwrap();
    let tight = RenderOptions {
        max_output: 5,
        ..opts()
    };
    let e = t
        .render(&json!({"a": "x"}), &Partials::new(), &tight)
        .unwrap_err();
    assert_eq!((e.line(), e.column()), (1, 6));
    let e = Template::compile("card", "x\n  {{divide 1 0}}")
        .unwrap()
        .render(&json!({}), &Partials::new(), &opts())
        .unwrap_err();
    assert_eq!((e.line(), e.column()), (2, 5));
    assert_eq!(
        *e.kind(),
        ErrorKind::Helper {
            helper: "divide".into(),
            message: "division by zero".into()
        }
    );
    assert_eq!(
        e.to_string(),
        "template 'card', line 2, column 5: helper `divide`: division by zero\n  |\n2 |   {{divide 1 0}}\n  |     ^"
    );
}

#[test]
fn recursive_partials_are_bounded() {
    let mut partials = Partials::new();
    partials.compile("loop", "x{{> loop}}").unwrap();
    let t = Template::compile("page", "{{> loop}}").unwrap();
    let e = t.render(&json!({}), &partials, &opts()).unwrap_err();
    assert_eq!(e.template(), "loop");
    assert!(
        matches!(*e.kind(), ErrorKind::TooDeep { limit: 64, partial: Some(ref p) } if p == "loop"),
        "{e}"
    );
    assert!(e.to_string().contains("recursive partial?"));
    // Data-bounded recursion (a tree) is fine.
    partials
        .compile("node", "{{name}}({{#kids}}{{> node}}{{/kids}})")
        .unwrap();
    let t = Template::compile("tree", "{{> node}}").unwrap();
    // (Every node needs its own `kids`: Mustache lookups fall back to outer contexts.)
    let data = json!({"name": "a", "kids": [{"name": "b", "kids": []}, {"name": "c", "kids": []}]});
    assert_eq!(
        t.render(&data, &partials, &opts()).unwrap().text,
        "a(b()c())"
    );
    let r = Template::compile("p", "[{{> nope}}]")
        .unwrap()
        .render(&data, &partials, &opts())
        .unwrap();
    assert_eq!(r.text, "[]");
    assert_eq!(
        r.diagnostics[0].kind,
        DiagnosticKind::MissingPartial("nope".into())
    );
}

#[test]
fn fuel_and_output_limits() {
    let data = json!({"items": (0..1000).collect::<Vec<_>>()});
    let t = Template::compile("t", "{{#each items}}{{#each ../items}}.{{/each}}{{/each}}").unwrap();
    let small = RenderOptions {
        fuel: 10_000,
        max_output: usize::MAX,
        ..opts()
    };
    let e = t.render(&data, &Partials::new(), &small).unwrap_err();
    assert_eq!(*e.kind(), ErrorKind::OutOfFuel(10_000));
    let tight = RenderOptions {
        fuel: u64::MAX,
        max_output: 5_000,
        ..opts()
    };
    let e = t.render(&data, &Partials::new(), &tight).unwrap_err();
    assert_eq!(*e.kind(), ErrorKind::OutputTooLarge(5_000));
    let deep = format!("{}{}", "{{#a}}".repeat(300), "{{/a}}".repeat(300));
    assert!(matches!(
        Template::compile("t", &deep).unwrap_err().kind(),
        ErrorKind::TooDeep { .. }
    ));
    let nested = format!(
        "{{{{#if {}1{}}}}}{{{{/if}}}}",
        "(not ".repeat(40),
        ")".repeat(40)
    );
    assert!(
        Template::compile("t", &nested)
            .unwrap_err()
            .to_string()
            .contains("nested deeper")
    );
}

#[test]
fn nesting_up_to_the_cap_renders_without_overflowing_the_stack() {
    // 250 nested sections over 250 nested objects, with the depth limit at its cap (256).
    let src = format!(
        "{}x{}",
        "{{#a}}{{#if .}}".repeat(125),
        "{{/if}}{{/a}}".repeat(125)
    );
    let mut data = json!({"a": true});
    for _ in 0..124 {
        data = json!({ "a": data });
    }
    let o = RenderOptions {
        max_depth: usize::MAX,
        ..opts()
    };
    assert_eq!(full(&src, &data, &o).text, "x");
    // Recursive partials stop at the cap too.
    let mut partials = Partials::new();
    partials
        .compile("loop", "{{#if a}}{{> loop}}{{/if}}")
        .unwrap();
    let t = Template::compile("page", "{{> loop}}").unwrap();
    let e = t.render(&json!({"a": 1}), &partials, &o).unwrap_err();
    assert!(
        matches!(*e.kind(), ErrorKind::TooDeep { limit: 256, .. }),
        "{e}"
    );
}

#[test]
fn handlebars_comments_may_contain_mustaches() {
    assert_eq!(render("a{{!-- {{#if x}} }} --}}b", json!({})), "ab");
    assert_eq!(render("a\n  {{!-- note --}}\nb", json!({})), "a\nb");
}

#[test]
fn template_is_reusable_and_cheap_to_clone() {
    let t = Template::compile("hero", "Hi {{name}}").unwrap();
    let u = t.clone();
    assert_eq!(u.name(), "hero");
    assert_eq!(u.source(), "Hi {{name}}");
    let r = full(
        "{{#each items}}{{.}}{{/each}}",
        &json!({"items": [1, 2, 3]}),
        &opts(),
    );
    assert_eq!((r.text.as_str(), r.fuel_used), ("123", 7)); // each + 3 × (iteration + tag)
    for name in ["a", "b"] {
        assert_eq!(
            t.render(&json!({ "name": name }), &Partials::new(), &opts())
                .unwrap()
                .text,
            format!("Hi {name}")
        );
    }
}

#[test]
fn if_accepts_condition_language_expressions() {
    let t = r#"{{#if profile.tier == "gold" and cart.total > 100}}free{{else if cart.total > 50}}half{{else}}full{{/if}}"#;
    let data =
        |tier: &str, total: i64| json!({"profile": {"tier": tier}, "cart": {"total": total}});
    assert_eq!(render(t, data("gold", 120)), "free");
    assert_eq!(render(t, data("gold", 80)), "half");
    assert_eq!(render(t, data("silver", 120)), "half");
    assert_eq!(render(t, data("silver", 10)), "full");
    let u = "{{#unless profile.email exists}}ask{{else}}{{profile.email}}{{/unless}}";
    assert_eq!(render(u, json!({"profile": {}})), "ask");
    assert_eq!(render(u, json!({"profile": {"email": "a@b.c"}})), "a@b.c");
    let chain = "{{#if a}}A{{else unless !b}}B{{else}}C{{/if}}";
    assert_eq!(render(chain, json!({"a": 0, "b": 1})), "B");
    assert_eq!(render(chain, json!({"a": 0, "b": 0})), "C");
    assert_eq!(
        render(
            r#"{{#if tags contains "vip" || 'x' in tags}}yes{{/if}}"#,
            json!({"tags": ["x"]})
        ),
        "yes"
    );
    // JsonLogic truthiness, like every other condition.
    let t = "{{#if n or s or l}}t{{else}}f{{/if}}";
    assert_eq!(render(t, json!({"n": 0, "s": "", "l": []})), "f");
    assert_eq!(render(t, json!({"n": 0, "s": "0", "l": []})), "t");
}

#[test]
fn if_expressions_read_the_root_data_and_now() {
    // Inside a loop, a bare name in an expression is a top-level key of the data.
    let t = "{{#each items}}{{name}}{{#if limit >= 2}}+{{/if}} {{/each}}";
    assert_eq!(
        render(t, json!({"limit": 2, "items": [{"name": "a", "limit": 0}]})),
        "a+ "
    );
    // `now()` and the date functions use the render's now_ms (2026-03-05T14:30:00Z).
    let t = r#"{{#if daysSince("2026-03-01") == 4 and now() > 0}}recent{{/if}}"#;
    assert_eq!(render(t, json!({})), "recent");
}

#[test]
fn handlebars_arguments_stay_helper_calls() {
    // An operator word in first place is the helper of that name.
    assert_eq!(render("{{#if not optedOut}}ok{{/if}}", json!({})), "ok");
    assert_eq!(
        render("{{#if and a b}}both{{/if}}", json!({"a": 1, "b": 1})),
        "both"
    );
    // Operators inside string literals do not count.
    assert_eq!(
        render(r#"{{#if (eq sign "<=")}}le{{/if}}"#, json!({"sign": "<="})),
        "le"
    );
    assert_eq!(render("{{#if ../x}}{{else}}none{{/if}}", json!({})), "none");
}

#[test]
fn if_expression_diagnostics_and_fuel() {
    let r = full(
        "{{#if age > 18}}adult{{/if}}",
        &json!({"age": "x"}),
        &opts(),
    );
    assert_eq!(r.text, "");
    assert_eq!(r.diagnostics.len(), 1);
    assert!(matches!(
        r.diagnostics[0].kind,
        DiagnosticKind::Condition(_)
    ));
    assert_eq!(
        r.diagnostics[0].to_string(),
        "template 't', line 1, column 7: condition: `>` is not defined on string and number"
    );
    let e = Template::compile("t", "{{#if count(xs as x, x > 0) > 0}}y{{/if}}")
        .unwrap()
        .render(
            &json!({"xs": vec![1; 1000]}),
            &Partials::new(),
            &RenderOptions { fuel: 50, ..opts() },
        )
        .unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::OutOfFuel(50)));
}

#[test]
fn if_expression_parse_errors_are_located_in_the_template() {
    assert_eq!(
        err("<p>\n  {{#if tier == }}x{{/if}}", json!({})),
        "template 'card', line 2, column 16: invalid condition: expected an expression, found end of input\n  |\n2 |   {{#if tier == }}x{{/if}}\n  |                ^"
    );
    let e = Template::compile("t", "{{#if a}}{{else if b < c < d}}{{/if}}").unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::InvalidCondition(_)));
    assert_eq!((e.line(), e.column()), (1, 26));
    let e = Template::compile("t", "{{#if nope(1) > 0}}{{/if}}").unwrap_err();
    assert_eq!(
        e.kind().to_string(),
        "invalid condition: unknown function `nope`"
    );
    assert_eq!(e.column(), 7);
}

// HTML contexts (`Template::compile_html`).

fn html_full(src: &str, data: &Value, o: &RenderOptions) -> Rendered {
    Template::compile_html("t", src)
        .unwrap_or_else(|e| panic!("{src}:\n{e}"))
        .render(data, &Partials::new(), o)
        .unwrap()
}

fn html(src: &str, data: Value) -> String {
    html_full(src, &data, &opts()).text
}

/// The message of the compile error `src` must give, checking that it is located at `column`.
fn refused(src: &str, column: u32) -> String {
    let e = Template::compile_html("t", src)
        .err()
        .unwrap_or_else(|| panic!("{src} compiled"));
    let ErrorKind::UnsafeHtmlContext(message) = e.kind() else {
        panic!("{src}: {e}");
    };
    assert_eq!(
        (e.template(), e.line(), e.column()),
        ("t", 1, column),
        "{src}: {e}"
    );
    message.clone()
}

#[test]
fn html_values_are_escaped_for_where_they_land() {
    let d =
        json!({"u": "javascript:alert(1)", "x": "a\"b'c<d>&=`", "p": "a.png\" onerror=\"alert(1)"});
    let t = r#"<a href="{{u}}" title="{{x}}">{{x}}</a><img src="/i/{{p}}" alt='{{x}}'>"#;
    assert_eq!(
        html(t, d.clone()),
        "<a href=\"about:invalid#waymark\" title=\"a&quot;b&#x27;c&lt;d&gt;&amp;&#x3D;&#x60;\">\
         a&quot;b&#x27;c&lt;d&gt;&amp;&#x3D;&#x60;</a>\
         <img src=\"/i/a.png&quot; onerror&#x3D;&quot;alert(1)\" alt='a&quot;b&#x27;c&lt;d&gt;&amp;&#x3D;&#x60;'>"
    );
    // The replaced URL is reported where its value is.
    let r = html_full("<p>\n<a href=\"{{u}}\">", &d, &opts());
    assert_eq!(r.diagnostics.len(), 1);
    assert_eq!(r.diagnostics[0].kind, DiagnosticKind::UnsafeUrl);
    assert_eq!((r.diagnostics[0].line, r.diagnostics[0].column), (2, 10));
    // Compiled as plain text (`Template::compile`), the same template escapes for text only.
    assert_eq!(
        render(r#"<a href="{{u}}">"#, d.clone()),
        r#"<a href="javascript:alert(1)">"#
    );
    // The contexts apply to `Escape::Html` only: another escape renders as before.
    let none = RenderOptions {
        escape: Escape::None,
        ..opts()
    };
    assert_eq!(
        html_full(r#"<a href="{{u}}">{{x}}"#, &d, &none).text,
        "<a href=\"javascript:alert(1)\">a\"b'c<d>&=`"
    );
}

#[test]
fn html_url_attributes_check_a_value_that_starts_the_url() {
    let attacks = [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "&#106;avascript:alert(1)",
        "vbscript:msgbox(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        ":alert(1)",
        "shopapp://x",
    ];
    for attr in [
        "href",
        "src",
        "action",
        "formaction",
        "xlink:href",
        "srcset",
        "poster",
        "ping",
        "data",
    ] {
        for a in attacks {
            for t in [
                format!("<x {attr}=\"{{{{u}}}}\">"),
                format!("<x {attr}=' {{{{u}}}}'>"),
                format!("<x {attr}=\"{{{{#if u}}}}{{{{u}}}}{{{{else}}}}/none{{{{/if}}}}\">"),
            ] {
                assert_eq!(
                    html(&t, json!({ "u": a })),
                    t.replace("{{u}}", UNSAFE_URL)
                        .replace("{{#if u}}", "")
                        .replace("{{else}}/none{{/if}}", ""),
                    "{t} {a:?}"
                );
            }
        }
    }
    // Safe URLs keep their text, escaped for the attribute.
    for (u, out) in [
        (
            "https://shop.example/a?b=c&d=e",
            "https://shop.example/a?b&#x3D;c&amp;d&#x3D;e",
        ),
        ("/gold", "/gold"),
        ("?q=1", "?q&#x3D;1"),
        ("#top", "#top"),
        ("mailto:a@b.example", "mailto:a@b.example"),
        ("p/q:r", "p/q:r"),
        ("data:image/png;base64,iVBO", "data:image/png;base64,iVBO"),
    ] {
        assert_eq!(
            html(r#"<a href="{{u}}">"#, json!({ "u": u })),
            format!(r#"<a href="{out}">"#)
        );
    }
    // The bundle's app schemes, when the render allows them.
    let apps = RenderOptions {
        app_schemes: vec!["shopapp".into()],
        ..opts()
    };
    assert_eq!(
        html_full(r#"<a href="{{u}}">"#, &json!({"u": "shopapp://x"}), &apps).text,
        r#"<a href="shopapp://x">"#
    );
    // After a literal scheme, path, `?` or `#`, a value cannot choose the scheme: it is an
    // attribute value (use `urlEncode` for a query parameter).
    let d = json!({"u": "javascript:alert(1)"});
    for t in [
        r#"<a href="https://x.example/{{u}}">"#,
        r#"<a href="/p?u={{u}}">"#,
        "<a href=\"#{{u}}\">",
        r#"<a href="mailto:{{u}}">"#,
    ] {
        assert_eq!(
            html(t, d.clone()),
            t.replace("{{u}}", "javascript:alert(1)"),
            "{t}"
        );
    }
    // Each value at the start is checked on its own: two cannot make a scheme together.
    assert_eq!(
        html(
            r#"<a href="{{#each parts}}{{this}}{{/each}}">"#,
            json!({"parts": ["java", "script:alert(1)"]})
        ),
        format!(r#"<a href="java{UNSAFE_URL}">"#)
    );
    assert_eq!(
        html(
            r#"<a href="{{a}}{{b}}">"#,
            json!({"a": "javascript", "b": ":alert(1)"})
        ),
        format!(r#"<a href="javascript{UNSAFE_URL}">"#)
    );
}

#[test]
fn html_text_resumes_after_raw_text_elements_comments_and_tags() {
    let d = json!({"x": "<b>", "u": "javascript:x"});
    for (t, out) in [
        (
            "<script>var a = '<p>';</script><p>{{x}}</p>",
            "<script>var a = '<p>';</script><p>&lt;b&gt;</p>",
        ),
        (
            "<style>a > b {}</STYLE ><p>{{x}}",
            "<style>a > b {}</STYLE ><p>&lt;b&gt;",
        ),
        (
            "<title>{{x}}</title><textarea>{{x}}</textarea>",
            "<title>&lt;b&gt;</title><textarea>&lt;b&gt;</textarea>",
        ),
        (
            "<!-- <a href=\"x\"> --><p>{{x}}",
            "<!-- <a href=\"x\"> --><p>&lt;b&gt;",
        ),
        ("<!--><p>{{x}}", "<!--><p>&lt;b&gt;"),
        ("<!-- a --!><p>{{x}}", "<!-- a --!><p>&lt;b&gt;"),
        ("<!DOCTYPE html><p>{{x}}", "<!DOCTYPE html><p>&lt;b&gt;"),
        (
            "<svg><path d=\"M0\"/></svg><p>{{x}}",
            "<svg><path d=\"M0\"/></svg><p>&lt;b&gt;",
        ),
        ("<svg/><p>{{x}}", "<svg/><p>&lt;b&gt;"),
        (
            "<a href=\"/a?b=1&amp;c={{x}}\">",
            "<a href=\"/a?b=1&amp;c=&lt;b&gt;\">",
        ),
        (
            "<p title='a\"b>' data-x=y>{{x}}",
            "<p title='a\"b>' data-x=y>&lt;b&gt;",
        ),
        ("a < b {{x}}", "a < b &lt;b&gt;"),
        (
            "<textarea></textarea ><a href=\"{{u}}\">",
            "<textarea></textarea ><a href=\"about:invalid#waymark\">",
        ),
    ] {
        assert_eq!(html(t, d.clone()), out, "{t}");
    }
    // Attribute values in blocks, and branches that end in different attributes of one tag.
    assert_eq!(
        html(
            r#"<input {{#if on}}checked{{/if}} value="{{x}}"><li {{#each xs}} data-i="{{@index}}" title="{{this}}"{{/each}}>"#,
            json!({"on": true, "x": "\"", "xs": ["a'"]})
        ),
        r#"<input checked value="&quot;"><li  data-i="0" title="a&#x27;">"#
    );
    // Raw output is allowed in text: the bundle's own markup (the engine renders it escaped).
    assert_eq!(html("<div>{{{x}}}</div>", d.clone()), "<div><b></div>");
}

#[test]
fn html_refuses_values_where_escaping_cannot_make_data_safe() {
    for (t, column, why) in [
        ("<img alt={{x}}>", 10, "unquoted"),
        ("<img alt= {{x}}>", 11, "unquoted"),
        ("<img alt=a{{x}}>", 11, "unquoted"),
        ("<img alt=\"a\" {{x}}>", 14, "attribute names"),
        ("<img {{x}}=\"a\">", 6, "attribute names"),
        ("<{{x}}>", 2, "tag name"),
        ("<a{{x}}>", 3, "tag name"),
        ("</{{x}}>", 3, "tag name"),
        ("</p title=\"{{x}}\">", 12, "end tag"),
        ("<a onclick=\"go('{{x}}')\">", 17, "event handler"),
        ("<a ONMOUSEOVER='{{x}}'>", 17, "event handler"),
        ("<p style=\"color: {{x}}\">", 18, "`style`"),
        ("<iframe srcdoc=\"{{x}}\">", 17, "`srcdoc`"),
        (
            "<meta http-equiv=\"refresh\" content=\"0;url={{x}}\">",
            43,
            "`content`",
        ),
        ("<script>var a = \"{{x}}\";</script>", 18, "<script>"),
        ("<SCRIPT type=module>{{x}}", 21, "<script>"),
        ("<style>p { color: {{x}} }</style>", 19, "<style>"),
        ("<noscript>{{x}}</noscript>", 11, "<noscript>"),
        ("<script></scrip>{{x}}", 17, "<script>"),
        ("<title></tit{{x}}", 13, "end tag of <title>"),
        ("<!-- {{x}} -->", 6, "comment"),
        ("<!--{{x}}-->", 5, "comment"),
        ("<!{{x}}>", 3, "comment"),
        ("<?{{x}}>", 3, "comment"),
        ("<svg><text>{{x}}</text></svg>", 12, "<svg>"),
        ("<math><mi>{{x}}</mi></math>", 11, "<svg>"),
        ("<a href=\"{{{x}}}\">", 10, "raw output"),
        ("<p title=\"{{& x}}\">", 11, "raw output"),
        ("<a href=\"{{x}}:alert(1)\">", 15, "scheme"),
        ("<a href=\"{{x}}&#58;alert(1)\">", 15, "scheme"),
        ("<a href=\"&{{x}}\">", 11, "character reference"),
        ("<a href=\"&#106;{{x}}\">", 16, "character reference"),
        // `<svg/ >` is not self-closing: what follows is SVG.
        ("<svg/ ><title>{{x}}", 15, "<svg>"),
        ("<p title=\"{{> sig}}\">", 11, "partial"),
        ("<p {{> sig}}>", 4, "partial"),
        ("<a {{#if c}}href{{/if}}=\"{{x}}\">", 26, "unknown"),
        (
            "{{#if c}}<b title=\"{{/if}}\">",
            1,
            "different HTML contexts",
        ),
        (
            "{{#if c}}<!--{{else}}<b>{{/if}}",
            1,
            "different HTML contexts",
        ),
        (
            "{{#each xs}}<b title=\"{{/each}}\"",
            1,
            "different HTML contexts",
        ),
        ("{{#x}}<a {{/x}}", 1, "different HTML contexts"),
        // Without `c`, `"` would open the value of `onclick`: branches before a value differ.
        (
            "<a onclick={{#if c}}\"x\"{{/if}}\" 1>{{y}}\">",
            12,
            "different HTML contexts",
        ),
        // With no items this would be `<script>`: a tag name is never merged.
        (
            "<scr{{#each xs}} a{{/each}}ipt>{{x}}",
            5,
            "different HTML contexts",
        ),
    ] {
        let message = refused(t, column);
        assert!(message.contains(why), "{t}: {message}");
    }
    // The error draws the line with a caret, like every template error.
    assert_eq!(
        Template::compile_html("card", "<p>\n<img alt={{x}}>")
            .unwrap_err()
            .to_string(),
        "template 'card', line 2, column 10: unsafe place for a value in HTML: values cannot go in \
         unquoted attribute values: quote it (`alt=\"{{x}}\"`)\n  |\n2 | <img alt={{x}}>\n  |          ^"
    );
}

#[test]
fn html_partials_are_included_in_text_and_end_in_text() {
    let mut partials = Partials::new();
    partials
        .compile_html("link", r#"<a href="{{u}}">{{name}}</a>"#)
        .unwrap();
    let t = Template::compile_html("t", "<p>{{> link}}</p>").unwrap();
    let out = t
        .render(
            &json!({"u": "javascript:x", "name": "<b>"}),
            &partials,
            &opts(),
        )
        .unwrap();
    assert_eq!(
        out.text,
        format!(r#"<p><a href="{UNSAFE_URL}">&lt;b&gt;</a></p>"#)
    );
    let e = Partials::new()
        .compile_html("open", "<a title=\"")
        .unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::UnsafeHtmlContext(m) if m.contains("must end in text")),
        "{e}"
    );
    assert_eq!((e.template(), e.column()), ("open", 11));
}

#[test]
fn url_encode_keeps_only_unreserved_characters() {
    assert_eq!(
        render(
            "/gold?ref={{urlEncode id}}&n={{urlEncode n}}&z={{urlEncode missing}}",
            json!({"id": "a b&c=d/é~._-#?+%", "n": 12})
        ),
        "/gold?ref=a%20b%26c%3Dd%2F%C3%A9~._-%23%3F%2B%25&n=12&z="
    );
    assert_eq!(render("{{urlEncode \"AZaz09\"}}", json!({})), "AZaz09");
}
