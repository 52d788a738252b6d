//! The evaluator: walks the IR against borrowed data, never panics, and stops when fuel runs out.

use std::borrow::Cow;

use serde_json::Value;

use super::error::{Diagnostic, MAX_DIAGNOSTICS};
use super::functions;
use super::ir::{ArithOp, Base, CmpOp, EqMode, IterKind, Mode, Node, Scope, Seg};
use super::value::{
    as_f64, js_cmp, loose_eq, number, parse_float, strict_eq, to_number, truthy, type_name,
    typed_cmp,
};

type V<'a> = Cow<'a, Value>;

const NULL: Value = Value::Null;

fn owned<'a>(v: Value) -> V<'a> {
    Cow::Owned(v)
}

/// Per-evaluation state.
pub(crate) struct Ctx<'a> {
    root: &'a Value,
    locals: Vec<V<'a>>,
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

    fn set_local(&mut self, slot: u32, v: V<'a>) {
        let slot = slot as usize;
        self.locals.truncate(slot);
        // Slots are lexical nesting levels, so every outer slot is already filled.
        while self.locals.len() < slot {
            self.locals.push(owned(Value::Null));
        }
        self.locals.push(v);
    }

    fn local(&self, slot: u32) -> V<'a> {
        match self.locals.get(slot as usize) {
            Some(Cow::Borrowed(r)) => Cow::Borrowed(*r),
            Some(Cow::Owned(v)) => owned(v.clone()),
            None => owned(Value::Null),
        }
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
            } => {
                let init = self.eval(init);
                let items = self.eval(list);
                let mut acc = init;
                let step = |ctx: &mut Self, item: V<'a>, acc: V<'a>| {
                    ctx.set_local(*slot, item);
                    ctx.set_local(*slot + 1, acc);
                    let out = ctx.eval(body);
                    ctx.locals.truncate(*slot as usize);
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
            Node::Missing { scope, args } => {
                let mut keys = Vec::new();
                for a in args {
                    keys.push(self.eval(a));
                }
                let keys = match keys.first().map(|k| k.as_ref()) {
                    Some(Value::Array(first)) => first.clone(),
                    _ => keys.into_iter().map(Cow::into_owned).collect(),
                };
                owned(Value::Array(self.missing(*scope, keys)))
            }
            Node::MissingSome { scope, need, keys } => {
                let need = to_number(&self.eval(need));
                let keys = match self.eval(keys).into_owned() {
                    Value::Array(k) => k,
                    _ => Vec::new(),
                };
                let total = keys.len() as f64;
                let missing = self.missing(*scope, keys);
                let found = total - missing.len() as f64;
                owned(Value::Array(if found >= need {
                    Vec::new()
                } else {
                    missing
                }))
            }
            Node::Matches { subject, re } => {
                let s = self.eval(subject);
                match s.as_ref() {
                    Value::String(s) => owned(Value::Bool(re.is_match(s))),
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
            Node::Call { func, args } => {
                let vals: Vec<V<'a>> = args.iter().map(|a| self.eval(a)).collect();
                owned(functions::call(*func, &vals, self))
            }
        }
    }

    /// Resolves a path; `None` when a step is missing (as opposed to present and `null`).
    fn lookup(&mut self, node: &'a Node) -> Option<V<'a>> {
        match node {
            Node::Path { base, segs } => {
                let start = match base {
                    Base::Root => Cow::Borrowed(self.root),
                    Base::Local(slot) => self.local(*slot),
                    Base::Expr(e) => self.eval(e),
                };
                let mut keys: Vec<V<'a>> = Vec::new();
                for seg in segs {
                    if let Seg::Dyn(n) = seg {
                        keys.push(self.eval(n));
                    }
                }
                match start {
                    Cow::Borrowed(r) => walk(r, segs, &keys).map(Cow::Borrowed),
                    Cow::Owned(v) => walk(&v, segs, &keys).map(|x| owned(x.clone())),
                }
            }
            Node::DynVar { scope, key } => {
                let key = self.eval(key);
                let key = match key.as_ref() {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    _ => String::new(),
                };
                self.var(*scope, &key)
            }
            other => Some(self.eval(other)),
        }
    }

    /// JsonLogic `var` with a computed dotted key, relative to `scope`.
    fn var(&self, scope: Scope, key: &str) -> Option<V<'a>> {
        let mut parts = key.split('.').filter(|_| !key.is_empty());
        let start = match scope {
            Scope::Root => Cow::Borrowed(self.root),
            Scope::Local(slot) => self.local(slot),
            Scope::Reduce {
                current,
                accumulator,
            } => match parts.next() {
                None => return None,
                Some("current") => self.local(current),
                Some("accumulator") => self.local(accumulator),
                Some(_) => return None,
            },
        };
        match start {
            Cow::Borrowed(r) => parts_walk(r, parts).map(Cow::Borrowed),
            Cow::Owned(v) => parts_walk(&v, parts).map(|x| owned(x.clone())),
        }
    }

    fn missing(&mut self, scope: Scope, keys: Vec<Value>) -> Vec<Value> {
        self.charge(keys.len());
        keys.into_iter()
            .filter(|k| {
                let key = match k {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                match self.var(scope, &key) {
                    None => true,
                    Some(v) => matches!(v.as_ref(), Value::Null) || v.as_ref() == "",
                }
            })
            .collect()
    }

    fn compare(&mut self, op: CmpOp, mode: Mode, args: &'a [Node]) -> bool {
        let vals: Vec<V<'a>> = args.iter().map(|a| self.eval(a)).collect();
        vals.windows(2).all(|w| {
            let (Some(l), Some(r)) = (w.first(), w.get(1)) else {
                return false;
            };
            let ord = match mode {
                Mode::Typed => typed_cmp(l, r),
                Mode::Js => js_cmp(l, r),
            };
            match ord {
                Some(o) => match op {
                    CmpOp::Lt => o.is_lt(),
                    CmpOp::Le => o.is_le(),
                    CmpOp::Gt => o.is_gt(),
                    CmpOp::Ge => o.is_ge(),
                },
                None => {
                    if mode == Mode::Typed {
                        let sym = match op {
                            CmpOp::Lt => "<",
                            CmpOp::Le => "<=",
                            CmpOp::Gt => ">",
                            CmpOp::Ge => ">=",
                        };
                        let (left, right) = (type_name(l), type_name(r));
                        self.diag(Diagnostic::TypeMismatch {
                            op: sym,
                            left,
                            right,
                        });
                    }
                    false
                }
            }
        })
    }

    fn arith(&mut self, op: ArithOp, mode: Mode, args: &'a [Node]) -> V<'a> {
        let sym = match op {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
            ArithOp::Div => "/",
            ArithOp::Mod => "%",
            ArithOp::Min => "min",
            ArithOp::Max => "max",
        };
        let vals: Vec<V<'a>> = args.iter().map(|a| self.eval(a)).collect();
        let mut nums: Vec<f64> = Vec::with_capacity(vals.len());
        // `min([1, 2])`, `max(list)`: a single array argument supplies the operands.
        let operands: Vec<&Value> = match (op, vals.as_slice()) {
            (ArithOp::Min | ArithOp::Max, [one]) if mode == Mode::Typed => match one.as_ref() {
                Value::Array(items) => items.iter().collect(),
                other => vec![other],
            },
            _ => vals.iter().map(|v| v.as_ref()).collect(),
        };
        for (i, v) in operands.iter().enumerate() {
            let n = match mode {
                Mode::Js if matches!(op, ArithOp::Add | ArithOp::Mul) => parse_float(v),
                Mode::Js => to_number(v),
                Mode::Typed => match as_f64(v) {
                    Some(n) => n,
                    None => {
                        let other = operands.get(if i == 0 { 1 } else { 0 }).copied();
                        let (left, right) = if i == 0 {
                            (type_name(v), other.map_or("nothing", type_name))
                        } else {
                            (other.map_or("nothing", type_name), type_name(v))
                        };
                        self.diag(Diagnostic::TypeMismatch {
                            op: sym,
                            left,
                            right,
                        });
                        return owned(Value::Null);
                    }
                },
            };
            nums.push(n);
        }
        let result = match (op, nums.as_slice()) {
            (ArithOp::Sub, [x]) => Some(-x),
            (ArithOp::Add, []) => Some(0.0),
            (_, []) => None,
            (ArithOp::Sub | ArithOp::Div | ArithOp::Mod, [first, rest @ ..])
                if mode == Mode::Js =>
            {
                // JavaScript's binary operators: extra operands are ignored.
                rest.first().map(|r| fold(op, *first, *r))
            }
            (_, [first, rest @ ..]) => Some(rest.iter().fold(*first, |a, b| fold(op, a, *b))),
        };
        match result.and_then(number) {
            Some(v) => owned(v),
            None => {
                self.diag(Diagnostic::NonFinite(sym));
                owned(Value::Null)
            }
        }
    }

    fn iter(&mut self, kind: IterKind, list: &'a Node, body: &'a Node, slot: u32) -> V<'a> {
        let items = self.eval(list);
        let mut hits = 0usize;
        let mut out: Vec<Value> = Vec::new();
        let mut total = 0usize;
        let mut run = |ctx: &mut Self, item: V<'a>| -> bool {
            total += 1;
            ctx.set_local(slot, item);
            let v = ctx.eval(body);
            ctx.locals.truncate(slot as usize + 1);
            let item = ctx.locals.pop();
            let ok = truthy(&v);
            match kind {
                IterKind::Map => out.push(v.into_owned()),
                IterKind::Filter if ok => out.extend(item.map(Cow::into_owned)),
                _ => {}
            }
            hits += usize::from(ok);
            // Short-circuit where the answer is known.
            let done = match kind {
                IterKind::Any => ok,
                IterKind::All | IterKind::None => ok != (kind == IterKind::All),
                _ => false,
            };
            !(done || ctx.out_of_fuel)
        };
        match items {
            Cow::Borrowed(Value::Array(v)) => {
                for item in v {
                    if !run(self, Cow::Borrowed(item)) {
                        break;
                    }
                }
            }
            Cow::Owned(Value::Array(v)) => {
                for item in v {
                    if !run(self, owned(item)) {
                        break;
                    }
                }
            }
            Cow::Borrowed(Value::Null) | Cow::Owned(Value::Null) => {}
            other => {
                let got = type_name(&other);
                self.diag(Diagnostic::BadArgument {
                    func: "iteration",
                    got,
                });
            }
        }
        self.charge(out.len());
        owned(match kind {
            IterKind::Any => Value::Bool(hits > 0),
            // Like JsonLogic, `all` over an empty (or missing) list is false.
            IterKind::All => Value::Bool(total > 0 && hits == total),
            IterKind::None => Value::Bool(hits == 0),
            IterKind::Count => Value::from(hits),
            IterKind::Filter | IterKind::Map => Value::Array(out),
        })
    }
}

fn fold(op: ArithOp, a: f64, b: f64) -> f64 {
    match op {
        ArithOp::Add => a + b,
        ArithOp::Sub => a - b,
        ArithOp::Mul => a * b,
        ArithOp::Div => a / b,
        ArithOp::Mod => a % b,
        ArithOp::Min => a.min(b),
        ArithOp::Max => a.max(b),
    }
}

fn step_key<'v>(v: &'v Value, key: &str) -> Option<&'v Value> {
    match v {
        Value::Object(m) => m.get(key),
        Value::Array(a) => a.get(key.parse::<usize>().ok()?),
        _ => None,
    }
}

fn step_index(v: &Value, i: i64) -> Option<&Value> {
    match v {
        Value::Array(a) => {
            let idx = if i < 0 {
                a.len()
                    .checked_sub(usize::try_from(i.unsigned_abs()).ok()?)?
            } else {
                usize::try_from(i).ok()?
            };
            a.get(idx)
        }
        Value::Object(m) => m.get(&i.to_string()),
        _ => None,
    }
}

fn walk<'v>(mut cur: &'v Value, segs: &[Seg], dyns: &[V<'_>]) -> Option<&'v Value> {
    let mut dyns = dyns.iter();
    for seg in segs {
        cur = match seg {
            Seg::Key(k) => step_key(cur, k)?,
            Seg::Index(i) => step_index(cur, *i)?,
            Seg::Dyn(_) => match dyns.next()?.as_ref() {
                Value::String(k) => step_key(cur, k)?,
                Value::Number(n) => step_index(cur, n.as_i64()?)?,
                _ => return None,
            },
        };
    }
    Some(cur)
}

fn parts_walk<'v, 'k>(
    mut cur: &'v Value,
    parts: impl Iterator<Item = &'k str>,
) -> Option<&'v Value> {
    for p in parts {
        cur = step_key(cur, p)?;
    }
    Some(cur)
}
