//! Conditions and expressions over decision data.
//!
//! Audiences, eligibility rules, triggers and ranking formulas are expressions over one JSON
//! document with top-level keys such as `profile`, `context`, `cart` and `events`. An expression
//! is compiled once ([`Expr::parse`] for the text language, [`Expr::from_jsonlogic`] for the
//! JsonLogic interchange form; both produce the same internal representation) and evaluated
//! many times ([`Expr::eval`], [`Expr::matches`]) against borrowed data.
//!
//! ```
//! use serde_json::json;
//! use waymark_core::expr::{Env, Expr};
//!
//! let audience = Expr::parse(
//!     r#"profile.loyalty.tier == "gold" and context.page.url contains "/shoes" and cart.total > 100"#,
//! ).unwrap();
//! let data = json!({
//!     "profile": {"loyalty": {"tier": "gold"}},
//!     "context": {"page": {"url": "https://shop.example/shoes/running"}},
//!     "cart": {"total": 120},
//! });
//! assert!(audience.matches(&data, &Env::new(0)));
//! ```
//!
//! # The text language
//!
//! * Literals: `null`, `true`, `false`, numbers (`42`, `-1.5`, `1e3`), strings in double or
//!   single quotes with escapes `\n \t \r \0 \\ \" \' \/ \uXXXX` (surrogate pairs joined),
//!   arrays `[1, "a", x.y]`.
//! * Paths: `profile.loyalty.tier`, `cart.items[0].sku`, `profile["first name"]`,
//!   `events[-1]` (negative indexes count from the end), computed `a[b.key]`. The first name is
//!   a top-level key of the data unless a quantifier bound it. A missing step yields `null`.
//!   Accessors also apply to any sub-expression: `lower(x)[0]`. After a `.` any word is a
//!   field name (`a.in` is fine); a top-level key that is a keyword cannot be written.
//! * Function calls `name(args)`; see below.
//!
//! ## Precedence and associativity (lowest first)
//!
//! | level | operators                                                         | associativity |
//! |-------|-------------------------------------------------------------------|---------------|
//! | 1     | `or`, `\|\|`                                                      | left          |
//! | 2     | `and`, `&&`                                                       | left          |
//! | 3     | `not`, `!` (prefix)                                               | right (prefix)|
//! | 4     | `==` `!=` `<` `<=` `>` `>=` `in` `not in` `contains` `startsWith` `endsWith` `matches`, postfix `exists` | none: `a < b < c` is an error |
//! | 5     | `+`, `-`                                                          | left          |
//! | 6     | `*`, `/`, `%`                                                     | left          |
//! | 7     | unary `-` (prefix)                                                | right (prefix)|
//! | 8     | `.name`, `[index]`, calls, parentheses                            | left          |
//!
//! `!` is the same operator as `not` and binds as loosely: `!a == b` is `!(a == b)`.
//!
//! ## Semantics
//!
//! * **Truthiness** (conditions, `and`/`or`/`not`, `if`, quantifier bodies) is JsonLogic's,
//!   see [`truthy`]: `null`, `false`, `0`, `""` and `[]` are false; everything else, including
//!   `"0"` and `{}`, is true. [`Expr::matches`] is the truthiness of the result.
//! * `and` / `or` short-circuit and return the deciding operand, like JavaScript and
//!   JsonLogic: `profile.nickname or profile.name` is a fallback.
//! * `==` / `!=` are strict: same type and value, numbers by value (`1 == 1.0`), arrays and
//!   objects structurally. No coercion: `1 == "1"` is false. (JsonLogic's `==` is JavaScript's
//!   loose equality and compiles to a different IR operator; its `===` is the text `==`.)
//! * `<` `<=` `>` `>=` compare numbers with numbers and strings with strings (by code point, so
//!   RFC 3339 UTC timestamps compare chronologically). Any other pair, including a missing
//!   value, is **false** and records a [`Diagnostic::TypeMismatch`]. (JsonLogic's comparisons
//!   use JavaScript's coercions instead: `"2" > 1`.)
//! * `+ - * / %` and unary `-` take numbers only; anything else gives **null** and a
//!   diagnostic. Division or remainder by zero gives null ([`Diagnostic::NonFinite`]). Use
//!   `concat` to join strings. (JsonLogic's arithmetic coerces like JavaScript.)
//! * `x in list` — an element equal (`==`) to `x`; `x in "string"` — substring; `not in` negates.
//!   `a contains b` is `b in a`. `startsWith`, `endsWith` take strings (otherwise false).
//! * `s matches "regex"` — an ECMAScript regular expression, as `new RegExp(regex, "u")`
//!   would test it (unanchored: use `^…$`; no flags, so match case with classes such as
//!   `[Gg]` or lower the subject first). A subset keeps its cost bounded (see [`regex`] for
//!   the exact rules): no backreferences, lookaround, named groups or `\p{…}`; a repeated
//!   group may not contain a quantifier or `|` (`(a+)+`, `(a|aa)*`); what a variable
//!   repetition repeats may not also match the character right after it (`.*/` is refused,
//!   `[^/]*/` is not); counts up to [`regex::MAX_REPEAT`], patterns up to
//!   [`regex::MAX_PATTERN_LEN`] bytes and 32 nested groups. A literal pattern is checked and
//!   compiled once at parse time (refused: a parse error naming the character), a computed one
//!   at each evaluation (refused: false plus a diagnostic). A subject longer than 4 KiB
//!   ([`regex::MAX_SUBJECT`]) does not match (false plus [`Diagnostic::SubjectTooLong`]), and
//!   searching costs one unit of fuel per 8 bytes of subject.
//! * `exists` — **postfix** `profile.email exists`, or the call `exists(profile.email)`: true
//!   when the value is present and not `null`. Negate with `not profile.email exists`.
//!
//! ## Functions
//!
//! | function | meaning |
//! |----------|---------|
//! | `lower(s)`, `upper(s)`, `trim(s)` | strings; non-strings give null |
//! | `length(x)` | characters of a string, elements of an array, keys of an object |
//! | `substring(s, start[, len])` | characters; negative `start` counts from the end, negative `len` stops that many before the end (JsonLogic `substr`) |
//! | `concat(a, ...)` | joins values as JavaScript's `String()` would (`null` is `"null"`, `1e21` is `"1e+21"`; JSON integers print exactly; JsonLogic `cat`) |
//! | `abs`, `floor`, `ceil`, `round` | numbers (`round` rounds half away from zero) |
//! | `min(a, ...)`, `max(a, ...)` | numbers; a single array argument supplies the operands |
//! | `if(c1, v1, [c2, v2, ...], [else])` | first value whose condition is truthy, else `else` or null |
//! | `now()` | [`Env::now_ms`], the injected "now" in unix milliseconds, never the system clock |
//! | `date(ts)` | a timestamp in unix ms: numbers are unix ms, strings RFC 3339 (`2024-05-01T10:00:00+02:00`) or a plain date (`2024-05-01`, midnight UTC) |
//! | `daysSince(ts)`, `hoursSince(ts)`, `minutesSince(ts)` | whole units from `ts` to now, floored (negative for the future) |
//! | `addDays(ts, n)`, `addHours(ts, n)` | a timestamp in unix ms; compare dates as `date(a) < addDays(now(), -30)` |
//! | `semverCompare(a, b)` | -1, 0 or 1 by Semantic Versioning 2.0 precedence (`v` prefix and missing minor/patch allowed, build metadata ignored); null if either is not a version. Write `semverCompare(context.app.version, "2.4.0") >= 0` |
//! | `any(list as x, cond)`, `all(...)`, `none(...)` | quantifiers; see below |
//! | `count(list)`, `count(list as x, cond)` | number of elements, or of those matching |
//! | `filter(list as x, cond)`, `map(list as x, expr)` | new arrays |
//!
//! **Quantifier binding.** `any(cart.items as item, item.price > 10)` binds each element to
//! `item` inside the second argument (shadowing a top-level key of that name). Without
//! `as name` the element is bound to `it`: `any(cart.items, it.price > 10)`. `any(list)` and
//! `all(list)` test the elements themselves. Like JsonLogic, `all` over an empty or missing list
//! is **false**; `none` is then true and `any` false. A non-list gives a diagnostic.
//!
//! # JsonLogic
//!
//! [`Expr::from_jsonlogic`] accepts every operator of jsonlogic.com with its JavaScript
//! semantics (passing the official test suite), plus the function names above as extension
//! operators (`{"daysSince": [{"var": "profile.last_seen"}]}`) and `contains`, `startsWith`,
//! `endsWith`, `matches`, `exists`, `count`. `log` returns its argument (the engine does no
//! I/O). Differences that cannot be expressed in JSON values: arrays and objects compare
//! structurally (JavaScript compares identity), strings compare by code point rather than
//! UTF-16 unit, and numbers with no JSON form (NaN, infinities) become `null`.
//!
//! # Limits
//!
//! Compilation rejects trees deeper than [`MAX_DEPTH`] (the parsers never recurse deeper
//! either, so hostile input cannot overflow the stack). Evaluation costs fuel ([`Env::fuel`]):
//! one unit per node evaluated plus one per 8 bytes or elements of each string or array built.
//! When it runs out, evaluation stops, the result is `null` (not matched) and
//! [`Diagnostic::OutOfFuel`] is recorded. Evaluation never panics; every type mismatch has
//! the documented fallback and records a [`Diagnostic`]. Path walking is iterative; equality
//! and string conversion recurse into the data, which is assumed to come from a JSON parser
//! with its usual nesting limit (serde_json's is 128).
//!
//! # Performance
//!
//! Compile once, evaluate many: paths resolve by reference into the borrowed data (a result is
//! copied only by [`Expr::eval`], never by [`Expr::matches`]), literal regexes are compiled at
//! parse time, constant arrays are folded, and `and`/`or`/`+` chains are flat n-ary nodes.

mod calls;
mod error;
mod eval;
mod functions;
mod ir;
mod jsonlogic;
mod lexer;
mod ops;
mod parser;
mod path;
mod refs;
pub mod regex;
mod simple;
pub(crate) use simple::PathCache;
mod value;

use serde_json::Value;

pub use error::{
    Diagnostic, JsonLogicError, JsonLogicErrorKind, MAX_DIAGNOSTICS, ParseError, ParseErrorKind,
    Span,
};
pub use ir::MAX_DEPTH;
pub use refs::Reads;
pub use value::truthy;

/// Parses a timestamp the way `date(ts)` does: RFC 3339 (`2024-05-01T10:00:00+02:00`) or a
/// plain date (`2024-05-01`, midnight UTC), as unix milliseconds. `None` if it is neither.
pub fn parse_timestamp_ms(s: &str) -> Option<i64> {
    functions::parse_timestamp_ms(s)
}

/// A compiled expression: cheap to clone and to evaluate repeatedly.
#[derive(Clone, Debug)]
pub struct Expr {
    root: ir::Node,
    /// The shortcut for `path op literal` conditions.
    simple: Option<simple::Simple>,
}

/// The evaluation environment: everything that varies between evaluations besides the data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Env {
    /// "Now" in unix milliseconds, as returned by `now()` and used by `daysSince` & co.
    pub now_ms: i64,
    /// Evaluation budget (see the module documentation).
    pub fuel: u64,
}

impl Env {
    /// Default fuel: ample for realistic conditions over thousands of events.
    pub const DEFAULT_FUEL: u64 = 1_000_000;

    /// An environment at `now_ms` (unix milliseconds) with [`Env::DEFAULT_FUEL`].
    pub fn new(now_ms: i64) -> Env {
        Env {
            now_ms,
            fuel: Env::DEFAULT_FUEL,
        }
    }

    /// The same environment with another fuel budget.
    #[must_use]
    pub fn with_fuel(self, fuel: u64) -> Env {
        Env { fuel, ..self }
    }
}

/// The outcome of [`Expr::eval`].
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    /// The result (`null` if the fuel ran out).
    pub value: Value,
    /// What went wrong on the way (at most [`MAX_DIAGNOSTICS`], deduplicated).
    pub diagnostics: Vec<Diagnostic>,
    /// Fuel consumed.
    pub fuel_used: u64,
}

impl Evaluation {
    /// Truthiness of the value.
    pub fn truthy(&self) -> bool {
        truthy(&self.value)
    }
}

impl Expr {
    fn new(root: ir::Node) -> Expr {
        Expr {
            simple: simple::Simple::of(&root),
            root,
        }
    }

    /// The shortcut's answer, when it has one: never with a budget the general evaluator
    /// could exhaust on the same condition (three nodes).
    fn shortcut(&self, data: &Value, env: &Env) -> Option<bool> {
        if env.fuel < 3 {
            return None;
        }
        self.simple.as_ref()?.test(data)
    }

    /// Gives the shortcut's path a number in a [`PathCache`](simple::PathCache), from `number`
    /// (called with the path's key; equal paths must get equal numbers).
    pub(crate) fn number_path(&mut self, number: impl FnOnce(String) -> usize) {
        if let Some(simple) = &mut self.simple
            && let Some(key) = simple.path_key()
        {
            simple.set_slot(number(key));
        }
    }

    /// [`matches_diagnosed`](Self::matches_diagnosed) with numbered paths looked up in `cache`,
    /// which must have been filled from this same `data` only.
    pub(crate) fn matches_cached(
        &self,
        data: &Value,
        env: &Env,
        cache: &mut simple::PathCache,
    ) -> (bool, Vec<Diagnostic>) {
        if env.fuel >= 3
            && let Some(matched) = self
                .simple
                .as_ref()
                .and_then(|s| s.test_cached(data, cache))
        {
            return (matched, Vec::new());
        }
        self.matches_diagnosed(data, env)
    }

    /// Compiles the text language.
    pub fn parse(src: &str) -> Result<Expr, ParseError> {
        parser::parse(src).map(Expr::new)
    }

    /// Compiles a JsonLogic rule.
    pub fn from_jsonlogic(rule: &Value) -> Result<Expr, JsonLogicError> {
        jsonlogic::compile(rule).map(Expr::new)
    }

    /// Evaluates against `data`, returning the value and any diagnostics.
    pub fn eval(&self, data: &Value, env: &Env) -> Evaluation {
        let mut ctx = eval::Ctx::new(data, env.now_ms, env.fuel);
        let value = ctx.eval(&self.root);
        let value = if ctx.out_of_fuel {
            Value::Null
        } else {
            value.into_owned()
        };
        let fuel_used = env.fuel - ctx.fuel_left();
        Evaluation {
            value,
            diagnostics: ctx.diags,
            fuel_used,
        }
    }

    /// [`Expr::matches`] with the diagnostics [`Expr::eval`] would record (an empty `Vec`, which
    /// does not allocate, when there are none). Does not copy the result.
    pub(crate) fn matches_diagnosed(&self, data: &Value, env: &Env) -> (bool, Vec<Diagnostic>) {
        if let Some(matched) = self.shortcut(data, env) {
            return (matched, Vec::new());
        }
        let mut ctx = eval::Ctx::new(data, env.now_ms, env.fuel);
        let value = ctx.eval(&self.root);
        let matched = !ctx.out_of_fuel && truthy(&value);
        (matched, ctx.diags)
    }

    /// Whether the expression's value is truthy for `data` (false if the fuel ran out). Does not
    /// copy the result.
    pub fn matches(&self, data: &Value, env: &Env) -> bool {
        if let Some(matched) = self.shortcut(data, env) {
            return matched;
        }
        let mut ctx = eval::Ctx::new(data, env.now_ms, env.fuel);
        let value = ctx.eval(&self.root);
        !ctx.out_of_fuel && truthy(&value)
    }
}

/// An expression travels as its IR; the shortcut is derived again.
impl crate::wire::Wire for Expr {
    /// The tree alone: path numbers (see [`Expr::number_path`]) are given again on loading.
    fn put(&self, w: &mut crate::wire::Writer) {
        self.root.put(w);
    }
    fn get(r: &mut crate::wire::Reader<'_>) -> Result<Self, crate::wire::WireError> {
        let root = ir::Node::get(r)?;
        if !root.slots_in_range() {
            return Err(r.error("expression local out of range"));
        }
        Ok(Expr::new(root))
    }
}
