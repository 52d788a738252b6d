//! The single internal representation that both front ends (text and JsonLogic) compile to.

use super::regex::Regex;
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

/// Local slots a tree may use: binders nest at most [`MAX_DEPTH`] deep and `reduce` takes two.
pub(crate) const MAX_SLOTS: u32 = 2 * MAX_DEPTH as u32 + 2;

impl Node {
    /// Whether every local slot the tree uses is below [`MAX_SLOTS`]: the parsers guarantee it,
    /// a tree decoded from a compiled bundle is checked for it before it runs.
    pub(crate) fn slots_in_range(&self) -> bool {
        let ok = |slot: u32| slot < MAX_SLOTS;
        let scope = |s: &Scope| match *s {
            Scope::Root => true,
            Scope::Local(slot) => ok(slot),
            Scope::Reduce {
                current,
                accumulator,
            } => ok(current) && ok(accumulator),
        };
        let all = |nodes: &[Node]| nodes.iter().all(Node::slots_in_range);
        match self {
            Node::Lit(_) => true,
            Node::List(nodes) | Node::And(nodes) | Node::Or(nodes) | Node::If(nodes) => all(nodes),
            Node::Cmp { args, .. } | Node::Arith { args, .. } | Node::Call { args, .. } => {
                all(args)
            }
            Node::Path { base, segs } => {
                let base = match base {
                    Base::Root => true,
                    Base::Local(slot) => ok(*slot),
                    Base::Expr(node) => node.slots_in_range(),
                };
                base && segs.iter().all(|seg| match seg {
                    Seg::Dyn(node) => node.slots_in_range(),
                    Seg::Key(_) | Seg::Index(_) => true,
                })
            }
            Node::DynVar { scope: s, key } => scope(s) && key.slots_in_range(),
            Node::Default { value, default } => value.slots_in_range() && default.slots_in_range(),
            Node::Not(node) | Node::Truthy(node) => node.slots_in_range(),
            Node::Eq { lhs, rhs, .. } => lhs.slots_in_range() && rhs.slots_in_range(),
            Node::Iter {
                list, body, slot, ..
            } => ok(*slot) && list.slots_in_range() && body.slots_in_range(),
            Node::Reduce {
                list,
                body,
                init,
                slot,
            } => {
                ok(slot.saturating_add(1))
                    && list.slots_in_range()
                    && body.slots_in_range()
                    && init.slots_in_range()
            }
            Node::Missing { scope: s, args } => scope(s) && all(args),
            Node::MissingSome {
                scope: s,
                need,
                keys,
            } => scope(s) && need.slots_in_range() && keys.slots_in_range(),
            Node::Matches { subject, .. } => subject.slots_in_range(),
        }
    }

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

mod wire {
    //! The IR in compiled bundles (see `crate::wire`).

    use crate::expr::regex::Regex;

    use super::{ArithOp, Base, CmpOp, EqMode, IterKind, Mode, Node, Scope, Seg};
    use crate::wire::{Reader, Wire, WireError, Writer, wire_enum};

    wire_enum!(Base {
        0 => Root,
        1 => Local(slot),
        2 => Expr(node),
    });
    wire_enum!(Seg {
        0 => Key(key),
        1 => Index(index),
        2 => Dyn(node),
    });
    wire_enum!(Scope {
        0 => Root,
        1 => Local(slot),
        2 => Reduce { current, accumulator },
    });
    wire_enum!(EqMode {
        0 => Strict,
        1 => Loose,
    });
    wire_enum!(Mode {
        0 => Typed,
        1 => Js,
    });
    wire_enum!(CmpOp {
        0 => Lt,
        1 => Le,
        2 => Gt,
        3 => Ge,
    });
    wire_enum!(ArithOp {
        0 => Add,
        1 => Sub,
        2 => Mul,
        3 => Div,
        4 => Mod,
        5 => Min,
        6 => Max,
    });
    wire_enum!(IterKind {
        0 => Any,
        1 => All,
        2 => None,
        3 => Count,
        4 => Filter,
        5 => Map,
    });
    wire_enum!(Node {
        0 => Lit(value),
        1 => List(items),
        2 => Path { base, segs },
        3 => DynVar { scope, key },
        4 => Default { value, default },
        5 => Not(node),
        6 => Truthy(node),
        7 => And(nodes),
        8 => Or(nodes),
        9 => If(nodes),
        10 => Eq { mode, negate, lhs, rhs },
        11 => Cmp { op, mode, args },
        12 => Arith { op, mode, args },
        13 => Iter { kind, list, body, slot },
        14 => Reduce { list, body, init, slot },
        15 => Missing { scope, args },
        16 => MissingSome { scope, need, keys },
        17 => Matches { subject, re },
        18 => Call { func, args },
    });

    /// A regex travels as its pattern and is compiled again.
    impl Wire for Regex {
        fn put(&self, w: &mut Writer) {
            self.as_str().to_owned().put(w);
        }
        fn get(r: &mut Reader<'_>) -> Result<Self, WireError> {
            let pattern = String::get(r)?;
            crate::expr::regex::compile(&pattern).map_err(|_| r.error("invalid regex"))
        }
    }
}
