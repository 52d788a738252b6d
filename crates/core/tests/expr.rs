//! The text expression language: syntax, semantics, errors, limits, and agreement with the
//! JsonLogic form.
// Helpers outside #[test] functions unwrap too.
#![allow(clippy::unwrap_used, clippy::panic)]

// The same tests run under wasm-bindgen-test (in node) when built for wasm32.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use serde_json::{Value, json};
use waymark_core::expr::{Diagnostic, Env, Expr, JsonLogicErrorKind, ParseErrorKind, truthy};

/// 2024-05-01T12:00:00Z
const NOW: i64 = 1_714_564_800_000;

fn data() -> Value {
    json!({
        "profile": {
            "name": "Ada",
            "email": "ada@example.com",
            "age": 36,
            "loyalty": {"tier": "gold", "points": 1250},
            "tags": ["vip", "newsletter"],
            "first name": "Ada",
            "signup": "2024-04-01T12:00:00Z",
            "last_seen": "2024-04-30T18:00:00+02:00",
            "phone": null,
        },
        "context": {"page": {"url": "https://shop.example/shoes/running"}, "app": {"version": "2.10.1"}},
        "cart": {"total": 120.5, "items": [
            {"sku": "A1", "price": 80, "qty": 1},
            {"sku": "B2", "price": 40.5, "qty": 2},
        ]},
        "events": [{"type": "view"}, {"type": "add_to_cart"}, {"type": "view"}],
    })
}

fn ev(src: &str) -> Value {
    let expr = Expr::parse(src).unwrap_or_else(|e| panic!("{src}:\n{e}"));
    expr.eval(&data(), &Env::new(NOW)).value
}

fn yes(src: &str) -> bool {
    let expr = Expr::parse(src).unwrap_or_else(|e| panic!("{src}:\n{e}"));
    expr.matches(&data(), &Env::new(NOW))
}

fn diags(src: &str) -> Vec<Diagnostic> {
    Expr::parse(src)
        .unwrap()
        .eval(&data(), &Env::new(NOW))
        .diagnostics
}

fn err(src: &str) -> String {
    Expr::parse(src).unwrap_err().to_string()
}

#[test]
fn the_headline_condition() {
    assert!(yes(
        r#"profile.loyalty.tier == "gold" and context.page.url contains "/shoes" and cart.total > 100"#
    ));
    assert!(!yes(
        r#"profile.loyalty.tier == "gold" and cart.total > 200"#
    ));
}

#[test]
fn literals() {
    assert_eq!(ev("null"), json!(null));
    assert_eq!(ev("true"), json!(true));
    assert_eq!(ev("false"), json!(false));
    assert_eq!(ev("42"), json!(42));
    assert_eq!(ev("-1.5"), json!(-1.5));
    assert_eq!(ev("1e3"), json!(1000.0));
    assert_eq!(
        ev(r#""a\"b\n\t\\\u00e9\ud83d\ude00""#),
        json!("a\"b\n\t\\é😀")
    );
    assert_eq!(ev(r"'it\'s'"), json!("it's"));
    assert_eq!(
        ev("[1, \"a\", [true], profile.age]"),
        json!([1, "a", [true], 36])
    );
    assert_eq!(ev("[]"), json!([]));
}

#[test]
fn paths() {
    assert_eq!(ev("profile.loyalty.points"), json!(1250));
    assert_eq!(ev(r#"profile["first name"]"#), json!("Ada"));
    assert_eq!(ev(r#"profile["loyalty"]["tier"]"#), json!("gold"));
    assert_eq!(ev("cart.items[1].sku"), json!("B2"));
    assert_eq!(ev("cart.items[-1].sku"), json!("B2"));
    assert_eq!(ev("events[0].type"), json!("view"));
    assert_eq!(ev("cart.items[5]"), json!(null));
    assert_eq!(ev("profile.nope.deeper"), json!(null));
    assert_eq!(
        ev("profile.tags[profile.loyalty.points - 1250]"),
        json!("vip")
    );
    assert_eq!(ev(r#"cart.items[0][ "s" + "ku" ]"#), json!(null)); // + is numeric only
    assert_eq!(ev("upper(profile.name)[0]"), json!(null)); // strings are not indexable
    assert_eq!(ev("[10, 20, 30][1]"), json!(20));
    assert_eq!(ev("(cart.items)[0].price"), json!(80));
}

#[test]
fn precedence_and_associativity() {
    assert_eq!(ev("1 + 2 * 3"), json!(7));
    assert_eq!(ev("(1 + 2) * 3"), json!(9));
    assert_eq!(ev("10 - 4 - 3"), json!(3));
    assert_eq!(ev("10 - (4 - 3)"), json!(9));
    assert_eq!(ev("2 * 3 % 4"), json!(2));
    assert_eq!(ev("-2 * 3"), json!(-6));
    assert_eq!(ev("- - 2"), json!(2));
    assert_eq!(ev("-(1 + 2)"), json!(-3));
    assert_eq!(ev("8 / 2 / 2"), json!(2));
    // and binds tighter than or
    assert!(yes("true or false and false"));
    assert!(!yes("(true or false) and false"));
    // not binds looser than comparisons, tighter than and
    assert!(yes("not 1 == 2"));
    assert!(yes("! 1 == 2"));
    assert!(!yes("not true and false or false"));
    assert!(yes("not false and true"));
    assert_eq!(ev("not not 5"), json!(true));
    // arithmetic binds tighter than comparison
    assert!(yes("1 + 1 == 2"));
    assert!(yes("profile.age * 2 > 70 && profile.age < 40"));
    assert!(yes("false || 1 < 2"));
}

#[test]
fn comparison_operators() {
    assert!(yes("1 == 1.0"));
    assert!(yes("1 != 2"));
    assert!(!yes(r#"1 == "1""#));
    assert!(yes(r#"[1, "a"] == [1.0, "a"]"#));
    assert!(yes("null == profile.missing"));
    assert!(yes("profile.phone == null"));
    assert!(yes("2 < 3 and 3 <= 3 and 4 > 3 and 3 >= 3"));
    assert!(yes(r#""apple" < "banana""#));
    assert!(yes(r#"profile.signup < "2024-05-01T00:00:00Z""#));
}

#[test]
fn membership_and_string_operators() {
    assert!(yes(r#""vip" in profile.tags"#));
    assert!(yes(r#""gold" in ["gold", "platinum"]"#));
    assert!(yes(r#""spam" not in profile.tags"#));
    assert!(yes(r#""shop" in context.page.url"#));
    assert!(yes(r#"profile.tags contains "newsletter""#));
    assert!(yes(r#"context.page.url startsWith "https://""#));
    assert!(yes(r#"profile.email endsWith "@example.com""#));
    assert!(yes(r#"profile.email matches "^[a-z]+@example\\.com$""#));
    assert!(!yes(r#"profile.email matches "^bob""#));
    assert!(yes(r#"matches(profile.email, "EXAMPLE" ) == false"#));
    assert!(yes(r#"profile.name matches concat("^", "A")"#));
}

#[test]
fn exists_both_forms() {
    assert!(yes("profile.email exists"));
    assert!(yes("exists(profile.email)"));
    assert!(!yes("profile.phone exists")); // present but null
    assert!(!yes("profile.fax exists"));
    assert!(yes("not profile.fax exists"));
    assert!(yes("profile.email exists and profile.age > 18"));
}

#[test]
fn logic_returns_deciding_operand() {
    assert_eq!(ev(r#"profile.nickname or profile.name"#), json!("Ada"));
    assert_eq!(ev("profile.age and profile.name"), json!("Ada"));
    assert_eq!(ev("0 and profile.name"), json!(0));
    assert_eq!(ev("[] || \"fallback\""), json!("fallback"));
}

#[test]
fn string_functions() {
    assert_eq!(ev("lower(\"HeLLo\")"), json!("hello"));
    assert_eq!(ev("upper(profile.name)"), json!("ADA"));
    assert_eq!(ev("trim(\"  x \")"), json!("x"));
    assert_eq!(ev("length(\"héllo\")"), json!(5));
    assert_eq!(ev("length(profile.tags)"), json!(2));
    assert_eq!(ev("length(profile.loyalty)"), json!(2));
    assert_eq!(ev("substring(\"jsonlogic\", 4)"), json!("logic"));
    assert_eq!(ev("substring(\"jsonlogic\", -5, 3)"), json!("log"));
    assert_eq!(ev("substring(\"jsonlogic\", 1, -5)"), json!("son"));
    assert_eq!(ev("concat(\"a\", 1, true, null)"), json!("a1truenull"));
    assert_eq!(ev("concat()"), json!(""));
}

#[test]
fn number_functions() {
    assert_eq!(ev("abs(-3)"), json!(3));
    assert_eq!(ev("floor(2.7)"), json!(2));
    assert_eq!(ev("ceil(2.1)"), json!(3));
    assert_eq!(ev("round(2.5)"), json!(3));
    assert_eq!(ev("round(-2.5)"), json!(-3));
    assert_eq!(ev("min(3, 1, 2)"), json!(1));
    assert_eq!(ev("max(3, 1, 2)"), json!(3));
    assert_eq!(ev("max([4, 9, 2])"), json!(9));
    assert_eq!(ev("7 % 3"), json!(1));
    assert_eq!(ev("1 / 4"), json!(0.25));
    assert_eq!(
        ev("if(profile.age > 30, \"adult\", \"young\")"),
        json!("adult")
    );
    assert_eq!(ev("if(false, 1, false, 2, 3)"), json!(3));
    assert_eq!(ev("if(false, 1)"), json!(null));
}

#[test]
fn dates_use_the_injected_now() {
    assert_eq!(ev("now()"), json!(NOW));
    assert_eq!(ev("date(\"2024-05-01T12:00:00Z\")"), json!(NOW));
    assert_eq!(ev("date(\"2024-05-01\")"), json!(NOW - 12 * 3_600_000));
    assert_eq!(ev("daysSince(profile.signup)"), json!(30));
    assert_eq!(ev("hoursSince(profile.last_seen)"), json!(20));
    assert_eq!(ev("minutesSince(now())"), json!(0));
    assert_eq!(ev("daysSince(addDays(now(), 2))"), json!(-2));
    assert_eq!(
        ev("addDays(\"2024-05-01T12:00:00Z\", 1)"),
        json!(NOW + 86_400_000)
    );
    assert_eq!(ev("addHours(now(), -1)"), json!(NOW - 3_600_000));
    assert!(yes("date(profile.signup) < addDays(now(), -7)"));
    assert!(yes(
        "daysSince(profile.signup) >= 30 and daysSince(profile.signup) < 31"
    ));
    // the same expression at another "now"
    let later = Expr::parse("daysSince(profile.signup)").unwrap();
    assert_eq!(
        later.eval(&data(), &Env::new(NOW + 86_400_000)).value,
        json!(31)
    );
    // invalid timestamps give null plus a diagnostic
    assert_eq!(ev("daysSince(\"yesterday\")"), json!(null));
    assert_eq!(
        diags("daysSince(\"yesterday\")"),
        vec![Diagnostic::InvalidTimestamp("yesterday".into())]
    );
    assert_eq!(ev("daysSince(profile.missing)"), json!(null));
}

#[test]
fn semver() {
    assert_eq!(ev(r#"semverCompare("1.2.3", "1.2.4")"#), json!(-1));
    assert_eq!(ev(r#"semverCompare("2.10.0", "2.9.9")"#), json!(1));
    assert_eq!(ev(r#"semverCompare("v1.2", "1.2.0")"#), json!(0));
    assert_eq!(ev(r#"semverCompare("1.0.0-alpha", "1.0.0")"#), json!(-1));
    assert_eq!(
        ev(r#"semverCompare("1.0.0-alpha.1", "1.0.0-alpha.beta")"#),
        json!(-1)
    );
    assert_eq!(
        ev(r#"semverCompare("1.0.0-rc.10", "1.0.0-rc.2")"#),
        json!(1)
    );
    assert_eq!(ev(r#"semverCompare("1.0.0+build.5", "1.0.0")"#), json!(0));
    assert_eq!(ev(r#"semverCompare("one", "1.0.0")"#), json!(null));
    assert!(yes(r#"semverCompare(context.app.version, "2.4.0") >= 0"#));
}

#[test]
fn quantifiers() {
    assert!(yes("any(cart.items as i, i.price > 50)"));
    assert!(!yes("all(cart.items as i, i.price > 50)"));
    assert!(yes("all(cart.items as i, i.price > 10)"));
    assert!(yes("none(cart.items as i, i.price > 100)"));
    assert!(yes("any(cart.items, it.sku == \"B2\")"));
    assert_eq!(ev("count(events)"), json!(3));
    assert_eq!(ev("count(events as e, e.type == \"view\")"), json!(2));
    assert_eq!(ev("map(cart.items as i, i.price * i.qty)"), json!([80, 81]));
    assert_eq!(
        ev("filter(cart.items as i, i.qty > 1)"),
        json!([{"sku": "B2", "price": 40.5, "qty": 2}])
    );
    assert_eq!(ev("filter([1, 0, 2], it)"), json!([1, 2]));
    assert!(yes("any([0, 0, 3])"));
    // nested, with outer bindings visible inside
    assert!(yes(
        "any(cart.items as i, any(profile.tags as t, t == \"vip\" and i.qty == 2))"
    ));
    // JsonLogic semantics: all() over an empty or missing list is false
    assert!(!yes("all([] as x, x > 0)"));
    assert!(!yes("all(profile.missing as x, x > 0)"));
    assert!(yes("none(profile.missing as x, x > 0)"));
    assert_eq!(ev("count(profile.missing)"), json!(0));
    // a bound name shadows a top-level key
    assert!(yes("any([1] as profile, profile == 1)"));
    assert!(yes(
        "profile.name == \"Ada\" and any([1] as profile, profile == 1)"
    ));
}

#[test]
fn type_mismatches_have_documented_results_and_diagnostics() {
    // comparisons of incompatible types are false
    assert!(!yes(r#"profile.name > 3"#));
    assert!(!yes(r#"profile.name <= 3"#));
    assert_eq!(
        diags("profile.name > 3"),
        vec![Diagnostic::TypeMismatch {
            op: ">",
            left: "string",
            right: "number"
        }]
    );
    assert!(!yes("profile.missing > 3"));
    // arithmetic on non-numbers is null
    assert_eq!(ev(r#""a" + 1"#), json!(null));
    assert_eq!(
        diags(r#"1 + "a""#),
        vec![Diagnostic::TypeMismatch {
            op: "+",
            left: "number",
            right: "string"
        }]
    );
    assert_eq!(ev("-profile.name"), json!(null));
    assert_eq!(ev("1 / 0"), json!(null));
    assert_eq!(diags("1 % 0"), vec![Diagnostic::NonFinite("%")]);
    // functions on the wrong type are null
    assert_eq!(ev("lower(5)"), json!(null));
    assert_eq!(
        diags("abs(\"x\")"),
        vec![Diagnostic::BadArgument {
            func: "abs",
            got: "string"
        }]
    );
    assert!(!yes("5 startsWith \"5\""));
    assert!(!yes("1 in 5"));
    assert!(!yes("any(5, it)"));
    // a clean evaluation has no diagnostics
    assert_eq!(diags("profile.age + 1 > 3"), vec![]);
}

#[test]
fn truthiness() {
    for falsy in [
        json!(null),
        json!(false),
        json!(0),
        json!(0.0),
        json!(""),
        json!([]),
    ] {
        assert!(!truthy(&falsy), "{falsy}");
    }
    for t in [
        json!(true),
        json!(1),
        json!(-0.5),
        json!("0"),
        json!("false"),
        json!([0]),
        json!({}),
    ] {
        assert!(truthy(&t), "{t}");
    }
}

#[test]
fn parse_errors_render_with_caret() {
    assert_eq!(
        err("a == ()"),
        "error: expected an expression, found `)`\n --> 1:7\n  |\n1 | a == ()\n  |       ^"
    );
    assert_eq!(
        err("profile.age > 3 and\n  cart.total >"),
        "error: expected an expression, found end of input\n --> 2:15\n  |\n2 |   cart.total >\n  |               ^"
    );
    assert_eq!(
        err("x == \"abc"),
        "error: unterminated string\n --> 1:6\n  |\n1 | x == \"abc\n  |      ^"
    );
    assert_eq!(
        err("frobnicate(1)"),
        "error: unknown function `frobnicate`\n --> 1:1\n  |\n1 | frobnicate(1)\n  | ^^^^^^^^^^"
    );
    assert_eq!(
        err("a # b").lines().next().unwrap(),
        "error: unexpected character '#'"
    );
    let e = Expr::parse("a < b < c").unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::ChainedComparison);
    assert_eq!((e.span.offset, e.span.line, e.span.column), (6, 1, 7));
    assert_eq!(
        Expr::parse("lower(1, 2)").unwrap_err().kind,
        ParseErrorKind::Arity {
            name: "lower".into(),
            expected: "1",
            got: 2
        }
    );
    assert!(matches!(
        Expr::parse("x matches \"(\"").unwrap_err().kind,
        ParseErrorKind::InvalidRegex(_)
    ));
    assert!(matches!(
        Expr::parse("\"\\q\"").unwrap_err().kind,
        ParseErrorKind::InvalidEscape
    ));
    assert!(matches!(
        Expr::parse("a.").unwrap_err().kind,
        ParseErrorKind::Expected { .. }
    ));
    assert!(matches!(
        Expr::parse("a b").unwrap_err().kind,
        ParseErrorKind::Expected { .. }
    ));
    assert!(matches!(
        Expr::parse("").unwrap_err().kind,
        ParseErrorKind::Expected { .. }
    ));
    // columns count characters, not bytes
    assert_eq!(Expr::parse("\"é\" ==").unwrap_err().span.column, 7);
}

#[test]
fn depth_is_bounded_at_compile_time() {
    let deep = "(".repeat(10_000) + "1" + &")".repeat(10_000);
    assert!(matches!(
        Expr::parse(&deep).unwrap_err().kind,
        ParseErrorKind::TooDeep(_)
    ));
    let nots = "not ".repeat(10_000) + "true";
    assert!(matches!(
        Expr::parse(&nots).unwrap_err().kind,
        ParseErrorKind::TooDeep(_)
    ));
    let minus = "-".repeat(10_000) + "1";
    assert!(matches!(
        Expr::parse(&minus).unwrap_err().kind,
        ParseErrorKind::TooDeep(_)
    ));
    let arrays = "[".repeat(10_000) + &"]".repeat(10_000);
    assert!(matches!(
        Expr::parse(&arrays).unwrap_err().kind,
        ParseErrorKind::TooDeep(_)
    ));
    // long flat chains are fine (they compile to n-ary nodes)...
    let chain = vec!["1"; 10_000].join(" + ");
    let chain = Expr::parse(&chain).ok().unwrap();
    assert_eq!(chain.eval(&json!({}), &Env::new(0)).value, json!(10_000));
    let ors = vec!["false"; 10_000].join(" or ");
    assert!(Expr::parse(&ors).is_ok());
    // ...but alternating operators nest, and are bounded
    let alternating = vec!["1"; 10_000].join(" + 1 - ");
    assert!(matches!(
        Expr::parse(&alternating).unwrap_err().kind,
        ParseErrorKind::TooDeep(_)
    ));
    // modest nesting is accepted
    let ok = "(".repeat(60) + "1" + &")".repeat(60);
    assert!(Expr::parse(&ok).is_ok());
    // and a JsonLogic rule of realistic depth compiles
    let mut rule = json!(true);
    for _ in 0..20 {
        rule = json!({"and": [rule, {"!": false}]});
    }
    assert!(Expr::from_jsonlogic(&rule).is_ok());

    // 10k nested JsonLogic arrays and operators
    let mut rule = json!(1);
    for _ in 0..10_000 {
        rule = Value::Array(vec![rule]);
    }
    assert!(matches!(
        Expr::from_jsonlogic(&rule).unwrap_err().kind,
        JsonLogicErrorKind::TooDeep(_)
    ));
    drop_iteratively(rule);
    let mut rule = json!(true);
    for _ in 0..10_000 {
        // Not `json!`: it would serialize (recursively) the nested value.
        let mut op = serde_json::Map::new();
        op.insert("!".into(), Value::Array(vec![rule]));
        rule = Value::Object(op);
    }
    assert!(matches!(
        Expr::from_jsonlogic(&rule).unwrap_err().kind,
        JsonLogicErrorKind::TooDeep(_)
    ));
    drop_iteratively(rule);
}

/// serde_json drops recursively; take deep test values apart in a loop instead.
fn drop_iteratively(mut v: Value) {
    loop {
        v = match v {
            Value::Array(mut a) => a.pop().unwrap_or(Value::Null),
            Value::Object(m) => m.into_iter().next().map_or(Value::Null, |(_, x)| x),
            _ => return,
        };
    }
}

#[test]
fn fuel_is_bounded_at_eval_time() {
    let items: Vec<Value> = (0..1000).map(|i| json!({"n": i})).collect();
    let data = json!({ "xs": items });
    let expr = Expr::parse("count(xs as a, any(xs as b, a.n + b.n < 0))").unwrap();
    let out = expr.eval(&data, &Env::new(0).with_fuel(50_000));
    assert_eq!(out.value, json!(null));
    assert_eq!(out.diagnostics, vec![Diagnostic::OutOfFuel]);
    assert!(!expr.matches(&data, &Env::new(0).with_fuel(50_000)));
    // with enough fuel it completes
    let small = json!({ "xs": [{"n": 1}, {"n": 2}] });
    let out = expr.eval(&small, &Env::new(0));
    assert_eq!(out.value, json!(0));
    assert!(out.fuel_used > 0 && out.fuel_used < 100);
    // building big strings costs fuel too
    let doubling = json!({"reduce": [{"var": "xs"}, {"cat": [{"var": "accumulator"}, {"var": "accumulator"}]}, "ab"]});
    let out = Expr::from_jsonlogic(&doubling)
        .unwrap()
        .eval(&data, &Env::new(0));
    assert_eq!(out.diagnostics, vec![Diagnostic::OutOfFuel]);
}

#[test]
fn jsonlogic_errors_carry_a_pointer() {
    let e = Expr::from_jsonlogic(&json!({"and": [true, {"==": [1, {"frob": []}]}]})).unwrap_err();
    assert_eq!(e.pointer, "/and/1/==/1/frob");
    assert_eq!(e.kind, JsonLogicErrorKind::UnknownOperator("frob".into()));
    assert_eq!(
        e.to_string(),
        "invalid JsonLogic at `/and/1/==/1/frob`: unknown operator `frob`"
    );
    let e = Expr::from_jsonlogic(&json!({"and": [true, {"matches": [{"var": "a"}, "("]}]}))
        .unwrap_err();
    assert_eq!(e.pointer, "/and/1/matches");
    let e = Expr::from_jsonlogic(&json!({"or": [{"daysSince": [1, 2]}]})).unwrap_err();
    assert_eq!(e.pointer, "/or/0/daysSince");
    assert!(matches!(e.kind, JsonLogicErrorKind::Arity { .. }));
    // A computed `var` key: at `/0` in the array form, the operand itself otherwise.
    let e = Expr::from_jsonlogic(&json!({"var": [{"a": null}]})).unwrap_err();
    assert_eq!(e.pointer, "/var/0/a");
    let e = Expr::from_jsonlogic(&json!({"var": {"a": null}})).unwrap_err();
    assert_eq!(e.pointer, "/var/a");
    let e = Expr::from_jsonlogic(&json!({"a/b~": 1})).unwrap_err();
    assert_eq!(e.pointer, "/a~1b~0");
}

#[test]
fn text_and_jsonlogic_forms_agree() {
    let pairs = [
        (
            r#"profile.loyalty.tier == "gold" and context.page.url contains "/shoes" and cart.total > 100"#,
            json!({"and": [
                {"===": [{"var": "profile.loyalty.tier"}, "gold"]},
                {"contains": [{"var": "context.page.url"}, "/shoes"]},
                {">": [{"var": "cart.total"}, 100]},
            ]}),
        ),
        (
            r#""vip" in profile.tags or profile.age >= 65"#,
            json!({"or": [{"in": ["vip", {"var": "profile.tags"}]}, {">=": [{"var": "profile.age"}, 65]}]}),
        ),
        (
            "any(cart.items as i, i.price > 50)",
            json!({"some": [{"var": "cart.items"}, {">": [{"var": "price"}, 50]}]}),
        ),
        (
            "all(cart.items as i, i.qty >= 2)",
            json!({"all": [{"var": "cart.items"}, {">=": [{"var": "qty"}, 2]}]}),
        ),
        (
            "daysSince(profile.signup) > 7 and not profile.fax exists",
            json!({"and": [{">": [{"daysSince": [{"var": "profile.signup"}]}, 7]}, {"!": {"exists": {"var": "profile.fax"}}}]}),
        ),
        (
            "map(cart.items as i, i.price * i.qty)",
            json!({"map": [{"var": "cart.items"}, {"*": [{"var": "price"}, {"var": "qty"}]}]}),
        ),
        (
            r#"profile.email matches "@example\\.com$" and semverCompare(context.app.version, "2.4.0") >= 0"#,
            json!({"and": [{"matches": [{"var": "profile.email"}, "@example\\.com$"]}, {">=": [{"semverCompare": [{"var": "context.app.version"}, "2.4.0"]}, 0]}]}),
        ),
        (
            "if(cart.total > 100, \"big\", \"small\")",
            json!({"if": [{">": [{"var": "cart.total"}, 100]}, "big", "small"]}),
        ),
    ];
    let env = Env::new(NOW);
    let variants = [
        data(),
        json!({}),
        json!({"profile": {"age": 12, "tags": [], "signup": "2024-04-30T00:00:00Z"}, "cart": {"total": 99, "items": []}}),
    ];
    for (text, logic) in pairs {
        let a = Expr::parse(text).unwrap();
        let b = Expr::from_jsonlogic(&logic).unwrap();
        for d in &variants {
            assert_eq!(
                a.eval(d, &env).value,
                b.eval(d, &env).value,
                "{text} on {d}"
            );
        }
    }
}

#[test]
fn compiled_expressions_are_reusable_and_clonable() {
    let e = Expr::parse("cart.total > limit").unwrap();
    let e2 = e.clone();
    assert!(e.matches(&json!({"cart": {"total": 5}, "limit": 1}), &Env::new(0)));
    assert!(!e2.matches(&json!({"cart": {"total": 0}, "limit": 1}), &Env::new(0)));
    assert!(format!("{e:?}").contains("Cmp"));
}

#[test]
fn compiled_expressions_can_be_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync + Clone + std::fmt::Debug>() {}
    assert_send_sync::<Expr>();
    assert_send_sync::<Env>();
}

#[test]
fn env_defaults() {
    let env = Env::new(42);
    assert_eq!(env.now_ms, 42);
    assert_eq!(env.fuel, Env::DEFAULT_FUEL);
    assert_eq!(env.with_fuel(7).fuel, 7);
    let out = Expr::parse("now() + 1").unwrap().eval(&json!(null), &env);
    assert_eq!(out.value, json!(43));
    assert!(out.diagnostics.is_empty());
    assert!(out.truthy());
}

/// `(a|aa){1,500}(a|aa){1,500}b` takes exponential time in a backtracking engine (and took
/// seconds in the automaton regex-lite compiled it to): patterns outside the subset are refused.
#[test]
fn matches_refuses_patterns_outside_the_subset() {
    let pathological = r#"(a|aa){1,500}(a|aa){1,500}b"#;
    let e = Expr::parse(&format!("s matches \"{pathological}\"")).unwrap_err();
    let ParseErrorKind::InvalidRegex(message) = &e.kind else {
        panic!("{e}");
    };
    assert!(
        message.contains("exponential") && message.contains("character 1)"),
        "{message}"
    );
    assert_eq!(e.span.offset, 10, "{e}");
    let rule = json!({"matches": [{"var": "s"}, pathological]});
    assert!(matches!(
        Expr::from_jsonlogic(&rule).unwrap_err().kind,
        JsonLogicErrorKind::InvalidRegex(_)
    ));
    // Computed at evaluation: false, with the reason.
    let expr = Expr::parse("s matches p").unwrap();
    let out = expr.eval(&json!({"s": "aaab", "p": pathological}), &Env::new(NOW));
    assert_eq!(out.value, json!(false));
    assert!(
        matches!(&out.diagnostics[..], [Diagnostic::InvalidRegex(m)] if m.contains("exponential")),
        "{:?}",
        out.diagnostics
    );
    // Nesting deeper than the limit is refused too.
    let deep = format!("{}a{}", "(".repeat(40), ")".repeat(40));
    assert!(Expr::parse(&format!("s matches \"{deep}\"")).is_err());
}

#[test]
fn matches_keeps_ordinary_patterns() {
    let d = json!({"email": "ada.l+news@mail.example.com", "sku": "SKU-1234", "tier": "Gold",
                   "path": "/shoes/running/trail-42"});
    let expr = |src: &str| Expr::parse(src).unwrap_or_else(|e| panic!("{src}:\n{e}"));
    for src in [
        r#"email matches "^[\\w.+-]+@[\\w-]+\\.[\\w.-]+$""#,
        r#"sku matches "^SKU-\\d{4}$""#,
        r#"tier matches "^[Gg]old$""#,
        r#"path matches "^/(shoes|boots)/[a-z]{2,20}/[a-z0-9-]{1,64}$""#,
        r#"path matches "\\w{1,100}""#,
    ] {
        assert!(expr(src).matches(&d, &Env::new(NOW)), "{src}");
    }
    assert!(!expr(r#"sku matches "^SKU-\\d{5}$""#).matches(&d, &Env::new(NOW)));
}

#[test]
fn matches_does_not_search_subjects_over_the_limit() {
    use waymark_core::expr::regex::MAX_SUBJECT;
    let expr = Expr::parse(r#"s matches "b$""#).unwrap();
    let at_limit = format!("{}b", "a".repeat(MAX_SUBJECT - 1));
    let out = expr.eval(&json!({ "s": at_limit }), &Env::new(NOW));
    assert_eq!((out.value, out.diagnostics), (json!(true), vec![]));
    let over = format!("{}b", "a".repeat(MAX_SUBJECT));
    let out = expr.eval(&json!({ "s": over }), &Env::new(NOW));
    assert_eq!(out.value, json!(false));
    assert_eq!(
        out.diagnostics,
        [Diagnostic::SubjectTooLong(MAX_SUBJECT + 1)]
    );
    // Searching costs fuel by the subject's length.
    let short = expr.eval(&json!({"s": "ab"}), &Env::new(NOW));
    let long = expr.eval(&json!({"s": "a".repeat(4000)}), &Env::new(NOW));
    assert_eq!(long.fuel_used - short.fuel_used, 500);
}
