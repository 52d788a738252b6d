//! Comparison, arithmetic and iteration operators.

use std::borrow::Cow;

use serde_json::Value;

use super::error::Diagnostic;
use super::eval::{Ctx, V, owned};
use super::ir::{ArithOp, CmpOp, IterKind, Mode, Node};
use super::value::{as_f64, js_cmp, number, parse_float, to_number, truthy, type_name, typed_cmp};

impl<'a> Ctx<'a> {
    pub(super) fn compare(&mut self, op: CmpOp, mode: Mode, args: &'a [Node]) -> bool {
        match args {
            [a, b] => {
                let (l, r) = (self.eval(a), self.eval(b));
                self.compare_pair(op, mode, &l, &r)
            }
            // The "between" form; like JavaScript, all three operands are evaluated.
            [a, b, c] => {
                let (l, m, r) = (self.eval(a), self.eval(b), self.eval(c));
                self.compare_pair(op, mode, &l, &m) && self.compare_pair(op, mode, &m, &r)
            }
            _ => false,
        }
    }

    fn compare_pair(&mut self, op: CmpOp, mode: Mode, l: &Value, r: &Value) -> bool {
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
    }

    pub(super) fn arith(&mut self, op: ArithOp, mode: Mode, args: &'a [Node]) -> V<'a> {
        let sym = match op {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
            ArithOp::Div => "/",
            ArithOp::Mod => "%",
            ArithOp::Min => "min",
            ArithOp::Max => "max",
        };
        // `min([1, 2])`, `max(list)`: a single array argument supplies the operands.
        if let (ArithOp::Min | ArithOp::Max, [one], Mode::Typed) = (op, args, mode) {
            let v = self.eval(one);
            if let Value::Array(items) = v.as_ref() {
                let mut acc: Option<f64> = None;
                for item in items {
                    let Some(n) = as_f64(item) else {
                        let right = type_name(item);
                        self.diag(Diagnostic::TypeMismatch {
                            op: sym,
                            left: "number",
                            right,
                        });
                        return owned(Value::Null);
                    };
                    acc = Some(acc.map_or(n, |a| fold(op, a, n)));
                }
                return self.finish(sym, acc);
            }
        }
        // JavaScript's binary operators ignore extra operands.
        let binary = mode == Mode::Js && matches!(op, ArithOp::Sub | ArithOp::Div | ArithOp::Mod);
        let limit = if binary { 2 } else { usize::MAX };
        let mut acc: Option<f64> = None;
        let mut count = 0;
        for (i, a) in args.iter().take(limit).enumerate() {
            let v = self.eval(a);
            let n = match mode {
                Mode::Js if matches!(op, ArithOp::Add | ArithOp::Mul) => parse_float(&v),
                Mode::Js => to_number(&v),
                Mode::Typed => match as_f64(&v) {
                    Some(n) => n,
                    None => {
                        // Operands before this one were numbers.
                        let (left, right) = if i == 0 {
                            let next = args.get(1).map(|b| self.eval(b));
                            (type_name(&v), next.map_or("nothing", |n| type_name(&n)))
                        } else {
                            ("number", type_name(&v))
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
            acc = Some(acc.map_or(n, |x| fold(op, x, n)));
            count += 1;
        }
        let result = match (op, count) {
            (ArithOp::Add, 0) => Some(0.0),
            (ArithOp::Sub, 1) => acc.map(|x| -x),
            (ArithOp::Div | ArithOp::Mod, 1) => None,
            _ => acc,
        };
        self.finish(sym, result)
    }

    fn finish(&mut self, sym: &'static str, result: Option<f64>) -> V<'a> {
        match result.and_then(number) {
            Some(v) => owned(v),
            None => {
                self.diag(Diagnostic::NonFinite(sym));
                owned(Value::Null)
            }
        }
    }

    pub(super) fn iter(
        &mut self,
        kind: IterKind,
        list: &'a Node,
        body: &'a Node,
        slot: u32,
    ) -> V<'a> {
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
        // JavaScript's Math.min and Math.max propagate NaN; Rust's ignore it.
        ArithOp::Min | ArithOp::Max if a.is_nan() || b.is_nan() => f64::NAN,
        ArithOp::Min => a.min(b),
        ArithOp::Max => a.max(b),
    }
}
