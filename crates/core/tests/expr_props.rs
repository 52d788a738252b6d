//! Property tests for the expression language: nothing panics on arbitrary input, and the
//! documented precedence table holds (minimal and fully parenthesised prints agree).
// proptest is a native-only dev-dependency.
#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use waymark_core::expr::{Env, Expr};

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-1000i64..1000).prop_map(|n| json!(n)),
        (-1e6f64..1e6).prop_map(|f| json!(f)),
        "[a-z0-9 .\"-]{0,8}".prop_map(Value::String),
        prop_oneof![
            Just("var"),
            Just("if"),
            Just("=="),
            Just("<"),
            Just("+"),
            Just("cat"),
            Just("map"),
            Just("reduce"),
            Just("missing"),
            Just("substr"),
            Just("in"),
            Just("all"),
            Just("merge"),
            Just("accumulator"),
            Just("current"),
            Just("a.b"),
        ]
        .prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map("[a-z]{1,3}", inner.clone(), 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            // Operator-shaped objects, so that JsonLogic compilation gets deep.
            (arb_op(), prop::collection::vec(inner, 0..4)).prop_map(|(op, args)| {
                let mut m = Map::new();
                m.insert(op.to_owned(), Value::Array(args));
                Value::Object(m)
            }),
        ]
    })
}

fn arb_op() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "var",
        "missing",
        "missing_some",
        "if",
        "?:",
        "==",
        "===",
        "!=",
        "!==",
        "!",
        "!!",
        "or",
        "and",
        "<",
        "<=",
        ">",
        ">=",
        "max",
        "min",
        "+",
        "-",
        "*",
        "/",
        "%",
        "map",
        "filter",
        "reduce",
        "all",
        "none",
        "some",
        "merge",
        "in",
        "cat",
        "substr",
        "log",
        "lower",
        "length",
        "daysSince",
        "addDays",
        "semverCompare",
        "contains",
        "matches",
        "exists",
        "count",
        "date",
        "round",
    ])
}

/// Token soup from the text language's vocabulary: much more likely to parse than raw strings.
fn arb_text() -> impl Strategy<Value = String> {
    let token = prop::sample::select(vec![
        "a",
        "b.c",
        "xs",
        "x",
        "it",
        "[",
        "]",
        "(",
        ")",
        ",",
        ".",
        "0",
        "1",
        "-2.5",
        "\"s\"",
        "'t'",
        "null",
        "true",
        "false",
        "==",
        "!=",
        "<",
        "<=",
        ">",
        ">=",
        "and",
        "or",
        "not",
        "!",
        "&&",
        "||",
        "in",
        "not in",
        "contains",
        "startsWith",
        "endsWith",
        "matches",
        "exists",
        "+",
        "-",
        "*",
        "/",
        "%",
        "any(",
        "all(",
        "count(",
        "map(",
        "filter(",
        "as",
        "lower(",
        "length(",
        "substring(",
        "concat(",
        "min(",
        "max(",
        "if(",
        "now()",
        "daysSince(",
        "addDays(",
        "semverCompare(",
        "\"1.2.3\"",
        "\"^a\"",
        "exists(",
    ]);
    prop::collection::vec(token, 0..24).prop_map(|t| t.join(" "))
}

fn data() -> Value {
    json!({
        "a": 1, "b": {"c": "str"}, "x": [1, 2, 3],
        "xs": [{"a": 1, "b": {"c": "x"}}, {"a": "2"}, null, [1]],
        "events": [{"t": "view"}],
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_strings_never_panic(src in "\\PC{0,64}") {
        if let Ok(e) = Expr::parse(&src) {
            let _ = e.eval(&data(), &Env::new(0).with_fuel(10_000));
        }
    }

    #[test]
    fn token_soup_never_panics(src in arb_text(), d in arb_json()) {
        match Expr::parse(&src) {
            Ok(e) => {
                let _ = e.eval(&d, &Env::new(1_700_000_000_000).with_fuel(10_000));
                let _ = e.matches(&data(), &Env::new(0).with_fuel(10_000));
            }
            // Errors render without panicking, too.
            Err(err) => prop_assert!(!err.to_string().is_empty()),
        }
    }

    #[test]
    fn arbitrary_jsonlogic_never_panics(rule in arb_json(), d in arb_json()) {
        match Expr::from_jsonlogic(&rule) {
            Ok(e) => {
                let out = e.eval(&d, &Env::new(0).with_fuel(10_000));
                prop_assert!(out.fuel_used <= 10_000);
                let _ = e.eval(&data(), &Env::new(0).with_fuel(10_000));
            }
            Err(err) => prop_assert!(err.pointer.is_empty() || err.pointer.starts_with('/')),
        }
    }

    #[test]
    fn minimal_and_full_parenthesisation_agree(t in arb_ast()) {
        let minimal = print(&t, 0);
        let full = print_full(&t);
        let a = Expr::parse(&minimal);
        let b = Expr::parse(&full);
        prop_assert!(a.is_ok(), "{minimal}: {:?}", a.err().map(|e| e.to_string()));
        prop_assert!(b.is_ok(), "{full}");
        if let (Ok(a), Ok(b)) = (a, b) {
            let env = Env::new(0);
            prop_assert_eq!(a.eval(&data(), &env), b.eval(&data(), &env), "{} vs {}", minimal, full);
        }
    }
}

/// A small expression AST for the precedence property.
#[derive(Clone, Debug)]
enum Ast {
    Leaf(&'static str),
    Not(Box<Ast>),
    Neg(Box<Ast>),
    Bin(&'static str, Box<Ast>, Box<Ast>),
}

/// Binding power of each binary operator, from the documented table.
fn bp(op: &str) -> u8 {
    match op {
        "or" | "||" => 1,
        "and" | "&&" => 2,
        "*" | "/" | "%" => 6,
        "+" | "-" => 5,
        _ => 4,
    }
}

fn arb_ast() -> impl Strategy<Value = Ast> {
    let leaf = prop::sample::select(vec![
        "a",
        "1",
        "2.5",
        "0",
        "b.c",
        "\"s\"",
        "true",
        "false",
        "null",
        "x[1]",
        "length(x)",
    ])
    .prop_map(Ast::Leaf);
    leaf.prop_recursive(5, 32, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(|a| Ast::Not(Box::new(a))),
            inner.clone().prop_map(|a| Ast::Neg(Box::new(a))),
            (
                prop::sample::select(vec![
                    "or", "and", "||", "&&", "==", "!=", "<", ">=", "in", "contains", "+", "-",
                    "*", "/", "%",
                ]),
                inner.clone(),
                inner
            )
                .prop_map(|(op, l, r)| Ast::Bin(op, Box::new(l), Box::new(r))),
        ]
    })
}

fn print_full(t: &Ast) -> String {
    match t {
        Ast::Leaf(s) => (*s).to_owned(),
        Ast::Not(a) => format!("(not {})", print_full(a)),
        Ast::Neg(a) => format!("(-{})", print_full(a)),
        Ast::Bin(op, l, r) => format!("({} {op} {})", print_full(l), print_full(r)),
    }
}

/// Prints with as few parentheses as the precedence table allows, given the context's minimum
/// binding power.
fn print(t: &Ast, min: u8) -> String {
    let (s, own) = match t {
        Ast::Leaf(s) => return (*s).to_owned(),
        // `not` takes an operand at level 3; it is itself a level-3 prefix.
        Ast::Not(a) => (format!("not {}", print(a, 3)), 3),
        // Unary minus binds tightest; its operand must be a primary or another unary minus.
        Ast::Neg(a) => (format!("-{}", print(a, 7)), 7),
        Ast::Bin(op, l, r) => {
            let p = bp(op);
            // Left-associative (comparisons are non-associative: parenthesise both sides).
            let lmin = if p == 4 { p + 1 } else { p };
            (format!("{} {op} {}", print(l, lmin), print(r, p + 1)), p)
        }
    };
    if own < min { format!("({s})") } else { s }
}
