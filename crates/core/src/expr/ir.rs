//! The single internal representation that both front ends (text and JsonLogic) compile to.

use regex_lite::Regex;
use serde_json::Value;

use super::functions::Func;

/// Maximum height of an expression tree, checked at compile time by both front ends.
///
/// The evaluator recurses once per level, so this bounds its stack use; the parsers also bound
/// their own recursion with it.
pub const MAX_DEPTH: usize = 64;

/// Where a path starts.
#[derive(Clone, Debug)]
pub(crate) enum Base {
    /// The document passed to `eval`.
    Root,
    /// A bound element (quantifier variable, JsonLogic's `map`/`filter` element, `reduce`'s
    /// `current`/`accumulator`), by slot in the evaluator's local stack.
    Local(u32),
    /// The value of an arbitrary sub-expression, e.g. `lower(x)[0]`.
    Expr(Box<Node>),
}

/// One step of a path.
#[derive(Clone, Debug)]
pub(crate) enum Seg {
    /// An object key; on an array a key that parses as an unsigned integer is an index.
    Key(Box<str>),
    /// An array index (negative counts from the end); on an object, the key with that spelling.
    Index(i64),
    /// A computed key or index (string or integer).
    Dyn(Node),
}

/// The scope that JsonLogic's `var` / `missing` resolve against when their key is computed.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Scope {
    Root,
    Local(u32),
    /// Inside `reduce`: an object `{"current": .., "accumulator": ..}` held in two slots.
    Reduce {
        current: u32,
        accumulator: u32,
    },
}

/// Equality flavours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EqMode {
    /// Structural equality, numbers by value (`1 == 1.0`): the text language's `==` and
    /// JsonLogic's `===`.
    Strict,
    /// JavaScript's abstract equality (JsonLogic `==`): `1 == "1"`, `0 == false`, `[1] == 1`.
    Loose,
}

/// How operands of ordering and arithmetic operators are treated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Text language: numbers with numbers, strings with strings; anything else is a type
    /// mismatch (comparison false, arithmetic null) with a diagnostic.
    Typed,
    /// JsonLogic: JavaScript coercions (`"2" > 1`, `"1" + 1 == 2`).
    Js,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Min,
    Max,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IterKind {
    Any,
    All,
    None,
    Count,
    Filter,
    Map,
}

/// Compiled expression node.
#[derive(Clone, Debug)]
pub(crate) enum Node {
    Lit(Value),
    /// An array literal with at least one non-constant element.
    List(Vec<Node>),
    Path {
        base: Base,
        segs: Vec<Seg>,
    },
    /// JsonLogic `var` whose key is computed at run time (split on `.`).
    DynVar {
        scope: Scope,
        key: Box<Node>,
    },
    /// `value` unless it resolves to nothing (missing key), then `default` (JsonLogic `var`'s
    /// second argument).
    Default {
        value: Box<Node>,
        default: Box<Node>,
    },
    Not(Box<Node>),
    /// Truthiness as a boolean (JsonLogic `!!`).
    Truthy(Box<Node>),
    /// Short-circuit; returns the deciding operand (like JavaScript and JsonLogic).
    And(Vec<Node>),
    Or(Vec<Node>),
    /// `[c1, v1, c2, v2, ..., else?]`, JsonLogic's `if` chain.
    If(Vec<Node>),
    Eq {
        mode: EqMode,
        negate: bool,
        lhs: Box<Node>,
        rhs: Box<Node>,
    },
    /// Two operands, or three for the "between" form (`a < b < c`).
    Cmp {
        op: CmpOp,
        mode: Mode,
        args: Vec<Node>,
    },
    /// n-ary left fold; `Sub` with one operand negates.
    Arith {
        op: ArithOp,
        mode: Mode,
        args: Vec<Node>,
    },
    /// `kind(list, body)` with the element bound to local `slot` while `body` runs.
    Iter {
        kind: IterKind,
        list: Box<Node>,
        body: Box<Node>,
        slot: u32,
    },
    /// JsonLogic `reduce`: `current` in `slot`, `accumulator` in `slot + 1`.
    Reduce {
        list: Box<Node>,
        body: Box<Node>,
        init: Box<Node>,
        slot: u32,
    },
    Missing {
        scope: Scope,
        args: Vec<Node>,
    },
    MissingSome {
        scope: Scope,
        need: Box<Node>,
        keys: Box<Node>,
    },
    /// `subject matches "literal"`, regex compiled once.
    Matches {
        subject: Box<Node>,
        re: Box<Regex>,
    },
    Call {
        func: Func,
        args: Vec<Node>,
    },
}

impl Node {
    pub(crate) fn as_lit(&self) -> Option<&Value> {
        match self {
            Node::Lit(v) => Some(v),
            _ => None,
        }
    }

    /// Builds an array node, folding it to a literal when every element is constant.
    pub(crate) fn list(items: Vec<Node>) -> Node {
        if items.iter().all(|n| matches!(n, Node::Lit(_))) {
            let values = items
                .into_iter()
                .filter_map(|n| match n {
                    Node::Lit(v) => Some(v),
                    _ => None,
                })
                .collect();
            Node::Lit(Value::Array(values))
        } else {
            Node::List(items)
        }
    }
}
