//! Comparison, arithmetic and iteration operators.

use std::borrow::Cow;

use serde_json::Value;

use super::error::Diagnostic;
use super::eval::{Ctx, V, owned};
use super::ir::{ArithOp, CmpOp, IterKind, Mode, Node};
use super::value::{as_f64, js_cmp, number, parse_float, to_number, truthy, type_name, typed_cmp};

impl<'a> Ctx<'a> {
    pub(super) fn compare(&mut self, op: CmpOp, mode: Mode, args: &'a [Node]) -> bool {
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
        ArithOp::Min => a.min(b),
        ArithOp::Max => a.max(b),
    }
}
