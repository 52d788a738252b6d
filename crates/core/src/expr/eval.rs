//! The evaluator: walks the IR against borrowed data, never panics, and stops when fuel runs out.

use std::borrow::Cow;

use serde_json::Value;

use super::error::{Diagnostic, MAX_DIAGNOSTICS};
use super::functions::{self, Func};
use super::ir::{EqMode, Node, Scope};
use super::value::{loose_eq, strict_eq, to_number, truthy, type_name};

pub(crate) type V<'a> = Cow<'a, Value>;

const NULL: Value = Value::Null;

pub(crate) fn owned<'a>(v: Value) -> V<'a> {
    Cow::Owned(v)
}

/// Per-evaluation state.
pub(crate) struct Ctx<'a> {
    pub(crate) root: &'a Value,
    pub(crate) locals: Vec<V<'a>>,
    fuel: u64,
    pub(crate) out_of_fuel: bool,
    pub(crate) now_ms: i64,
    pub(crate) diags: Vec<Diagnostic>,
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(root: &'a Value, now_ms: i64, fuel: u64) -> Self {
        Ctx {
            root,
            locals: Vec::new(),
            fuel,
            out_of_fuel: false,
            now_ms,
            diags: Vec::new(),
        }
    }

    pub(crate) fn fuel_left(&self) -> u64 {
        self.fuel
    }

    pub(crate) fn diag(&mut self, d: Diagnostic) {
        // After the fuel ran out, values are placeholders: their mismatches are noise.
        if self.out_of_fuel && d != Diagnostic::OutOfFuel {
            return;
        }
        if self.diags.len() < MAX_DIAGNOSTICS && !self.diags.contains(&d) {
            self.diags.push(d);
        }
    }

    /// Charges fuel for building a value of `size` (bytes or elements): one unit per 8.
    /// Searches `s` with `re` within the limits of `super::regex`: a subject that is too
    /// long does not match; searching charges fuel per 8 bytes.
    pub(crate) fn is_match(&mut self, re: &super::regex::Regex, s: &str) -> bool {
        if s.len() > super::regex::MAX_SUBJECT {
            self.diag(Diagnostic::SubjectTooLong(s.len()));
            return false;
        }
        self.charge(s.len());
        !self.out_of_fuel && re.is_match(s)
    }

    pub(crate) fn charge(&mut self, size: usize) {
        let cost = (size / 8) as u64;
        if cost > self.fuel {
            self.exhaust();
        } else {
            self.fuel -= cost;
        }
    }

    fn exhaust(&mut self) {
        self.fuel = 0;
        if !self.out_of_fuel {
            self.out_of_fuel = true;
            self.diag(Diagnostic::OutOfFuel);
        }
    }

    pub(crate) fn set_local(&mut self, slot: u32, v: V<'a>) {
        let slot = slot as usize;
        self.locals.truncate(slot);
        // Slots are lexical nesting levels, so every outer slot is already filled.
        while self.locals.len() < slot {
            self.locals.push(owned(Value::Null));
        }
        self.locals.push(v);
    }

    pub(crate) fn eval(&mut self, node: &'a Node) -> V<'a> {
        if self.fuel == 0 {
            self.exhaust();
            return owned(Value::Null);
        }
        self.fuel -= 1;
        match node {
            Node::Lit(v) => Cow::Borrowed(v),
            Node::List(items) => {
                let out: Vec<Value> = items.iter().map(|n| self.eval(n).into_owned()).collect();
                self.charge(out.len());
                owned(Value::Array(out))
            }
            Node::Path { .. } | Node::DynVar { .. } => {
                self.lookup(node).unwrap_or(Cow::Borrowed(&NULL))
            }
            Node::Default { value, default } => match self.lookup(value) {
                Some(v) => v,
                None => self.eval(default),
            },
            Node::Not(x) => {
                let v = self.eval(x);
                owned(Value::Bool(!truthy(&v)))
            }
            Node::Truthy(x) => {
                let v = self.eval(x);
                owned(Value::Bool(truthy(&v)))
            }
            Node::And(items) | Node::Or(items) => {
                let want = matches!(node, Node::Or(_));
                let mut last = owned(Value::Null);
                for item in items {
                    last = self.eval(item);
                    if truthy(&last) == want || self.out_of_fuel {
                        break;
                    }
                }
                last
            }
            Node::If(items) => {
                let mut i = 0;
                while let (Some(cond), Some(then)) = (items.get(i), items.get(i + 1)) {
                    let c = self.eval(cond);
                    if truthy(&c) {
                        return self.eval(then);
                    }
                    i += 2;
                }
                match items.get(i) {
                    Some(otherwise) => self.eval(otherwise),
                    None => owned(Value::Null),
                }
            }
            Node::Eq {
                mode,
                negate,
                lhs,
                rhs,
            } => {
                let (l, r) = (self.eval(lhs), self.eval(rhs));
                let eq = match mode {
                    EqMode::Strict => strict_eq(&l, &r),
                    EqMode::Loose => loose_eq(&l, &r),
                };
                owned(Value::Bool(eq != *negate))
            }
            Node::Cmp { op, mode, args } => owned(Value::Bool(self.compare(*op, *mode, args))),
            Node::Arith { op, mode, args } => self.arith(*op, *mode, args),
            Node::Iter {
                kind,
                list,
                body,
                slot,
            } => self.iter(*kind, list, body, *slot),
            Node::Reduce {
                list,
                body,
                init,
                slot,
            } => self.reduce(list, body, init, *slot),
            Node::Missing { scope, args } => self.missing_op(*scope, args),
            Node::MissingSome { scope, need, keys } => self.missing_some(*scope, need, keys),
            Node::Matches { subject, re } => self.regex(subject, re),
            Node::Call { func, args } => self.call(*func, args),
        }
    }

    // The less common operators live in their own functions so that `eval`, which recurses,
    // keeps a small stack frame.

    fn reduce(&mut self, list: &'a Node, body: &'a Node, init: &'a Node, slot: u32) -> V<'a> {
        let mut acc = self.eval(init);
        let items = self.eval(list);
        let step = |ctx: &mut Self, item: V<'a>, acc: V<'a>| {
            ctx.set_local(slot, item);
            ctx.set_local(slot + 1, acc);
            let out = ctx.eval(body);
            ctx.locals.truncate(slot as usize);
            out
        };
        match items {
            Cow::Borrowed(Value::Array(v)) => {
                for item in v {
                    acc = step(self, Cow::Borrowed(item), acc);
                }
            }
            Cow::Owned(Value::Array(v)) => {
                for item in v {
                    acc = step(self, owned(item), acc);
                }
            }
            _ => {}
        }
        acc
    }

    fn missing_op(&mut self, scope: Scope, args: &'a [Node]) -> V<'a> {
        let keys: Vec<V<'a>> = args.iter().map(|a| self.eval(a)).collect();
        let keys = match keys.first().map(|k| k.as_ref()) {
            Some(Value::Array(first)) => first.clone(),
            _ => keys.into_iter().map(Cow::into_owned).collect(),
        };
        owned(Value::Array(self.missing(scope, keys)))
    }

    fn missing_some(&mut self, scope: Scope, need: &'a Node, keys: &'a Node) -> V<'a> {
        let need = to_number(&self.eval(need));
        let keys = match self.eval(keys).into_owned() {
            Value::Array(k) => k,
            _ => Vec::new(),
        };
        let total = keys.len() as f64;
        let missing = self.missing(scope, keys);
        let found = total - missing.len() as f64;
        owned(Value::Array(if found >= need {
            Vec::new()
        } else {
            missing
        }))
    }

    fn call(&mut self, func: Func, args: &'a [Node]) -> V<'a> {
        // Small argument lists stay on the stack.
        owned(match args {
            [] => functions::call(func, &[], self),
            [a] => {
                let v = [self.eval(a)];
                functions::call(func, &v, self)
            }
            [a, b] => {
                let v = [self.eval(a), self.eval(b)];
                functions::call(func, &v, self)
            }
            _ => {
                let v: Vec<V<'a>> = args.iter().map(|a| self.eval(a)).collect();
                functions::call(func, &v, self)
            }
        })
    }

    fn regex(&mut self, subject: &'a Node, re: &super::regex::Regex) -> V<'a> {
        let s = self.eval(subject);
        match s.as_ref() {
            Value::String(s) => {
                let matched = self.is_match(re, s);
                owned(Value::Bool(matched))
            }
            other => {
                let left = type_name(other);
                self.diag(Diagnostic::TypeMismatch {
                    op: "matches",
                    left,
                    right: "regex",
                });
                owned(Value::Bool(false))
            }
        }
    }
}
