//! JsonLogic front end: compiles a rule to the same IR as the text language.

use serde_json::Value;

use super::error::{JsonLogicError, JsonLogicErrorKind};
use super::functions::{self, Func};
use super::ir::{ArithOp, Base, CmpOp, EqMode, IterKind, MAX_DEPTH, Mode, Node, Scope, Seg};

type R<T> = Result<T, JsonLogicError>;

pub(crate) fn compile(rule: &Value) -> R<Node> {
    Compiler {
        frames: Vec::new(),
        slots: 0,
        ptr: Vec::new(),
    }
    .node(rule)
}

enum Frame {
    Elem(u32),
    Reduce(u32),
}

struct Compiler {
    frames: Vec<Frame>,
    slots: u32,
    /// Path to the node being compiled, for error pointers.
    ptr: Vec<String>,
}

/// JsonLogic operators that accept any number of arguments, as jsonlogic.js does.
const LAX: &[&str] = &["cat", "substr", "merge", "log", "in"];

impl Compiler {
    fn error(&self, kind: JsonLogicErrorKind) -> JsonLogicError {
        let pointer = self
            .ptr
            .iter()
            .map(|p| format!("/{}", p.replace('~', "~0").replace('/', "~1")))
            .collect();
        JsonLogicError { kind, pointer }
    }

    fn scope(&self) -> Scope {
        match self.frames.last() {
            None => Scope::Root,
            Some(Frame::Elem(slot)) => Scope::Local(*slot),
            Some(Frame::Reduce(slot)) => Scope::Reduce {
                current: *slot,
                accumulator: *slot + 1,
            },
        }
    }

    fn node(&mut self, v: &Value) -> R<Node> {
        if self.ptr.len() > MAX_DEPTH {
            return Err(self.error(JsonLogicErrorKind::TooDeep(MAX_DEPTH)));
        }
        match v {
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    out.push(self.at(i.to_string(), |c| c.node(item))?);
                }
                Ok(Node::list(out))
            }
            Value::Object(map) if map.len() == 1 => match map.iter().next() {
                Some((op, args)) => self.at(op.clone(), |c| c.op(op, args)),
                None => Ok(Node::Lit(v.clone())),
            },
            other => Ok(Node::Lit(other.clone())),
        }
    }

    /// Runs `f` with `seg` appended to the error pointer.
    fn at<T>(&mut self, seg: String, f: impl FnOnce(&mut Self) -> R<T>) -> R<T> {
        self.ptr.push(seg);
        let out = f(self);
        self.ptr.pop();
        out
    }

    /// Compiles the operator's arguments (a non-array argument is a single argument).
    fn args(&mut self, args: &Value) -> R<Vec<Node>> {
        match args {
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    out.push(self.at(i.to_string(), |c| c.node(item))?);
                }
                Ok(out)
            }
            single => Ok(vec![self.node(single)?]),
        }
    }

    // Compilation recurses node -> op -> (one family) -> args -> node; each step is its own
    // small function because debug builds give every temporary a stack slot.
    fn op(&mut self, op: &str, raw: &Value) -> R<Node> {
        match op {
            "var" => {
                let (key, default, listed) = match raw {
                    Value::Array(items) => (items.first(), items.get(1), true),
                    single => (Some(single), None, false),
                };
                self.var(key, default, listed)
            }
            "missing" | "missing_some" => self.missing(op, raw),
            "if" | "?:" | "and" | "or" | "!" | "!!" => self.logic(op, raw),
            "==" | "!=" | "===" | "!==" => self.equality(op, raw),
            "<" | "<=" | ">" | ">=" => self.compare(op, raw),
            "+" | "-" | "*" | "/" | "%" | "min" | "max" => self.arith(op, raw),
            "map" | "filter" | "all" | "none" | "some" | "count" | "reduce" => self.iter(op, raw),
            "matches" => self.regex(raw),
            _ => self.func(op, raw),
        }
    }

    fn two(&mut self, raw: &Value) -> R<(Box<Node>, Box<Node>)> {
        let mut args = self.args(raw)?.into_iter();
        let a = Box::new(args.next().unwrap_or(Node::Lit(Value::Null)));
        let b = Box::new(args.next().unwrap_or(Node::Lit(Value::Null)));
        Ok((a, b))
    }

    fn missing(&mut self, op: &str, raw: &Value) -> R<Node> {
        let scope = self.scope();
        if op == "missing" {
            return Ok(Node::Missing {
                scope,
                args: self.args(raw)?,
            });
        }
        let (need, keys) = self.two(raw)?;
        Ok(Node::MissingSome { scope, need, keys })
    }

    fn logic(&mut self, op: &str, raw: &Value) -> R<Node> {
        let args = self.args(raw)?;
        Ok(match op {
            "and" => Node::And(args),
            "or" => Node::Or(args),
            "!" | "!!" => {
                let x = Box::new(args.into_iter().next().unwrap_or(Node::Lit(Value::Null)));
                if op == "!" {
                    Node::Not(x)
                } else {
                    Node::Truthy(x)
                }
            }
            _ => Node::If(args),
        })
    }

    fn equality(&mut self, op: &str, raw: &Value) -> R<Node> {
        let (lhs, rhs) = self.two(raw)?;
        let mode = if op.len() == 3 {
            EqMode::Strict
        } else {
            EqMode::Loose
        };
        Ok(Node::Eq {
            mode,
            negate: op.starts_with('!'),
            lhs,
            rhs,
        })
    }

    fn compare(&mut self, op: &str, raw: &Value) -> R<Node> {
        let cmp = match op {
            "<" => CmpOp::Lt,
            "<=" => CmpOp::Le,
            ">" => CmpOp::Gt,
            _ => CmpOp::Ge,
        };
        let mut args = self.args(raw)?;
        // json-logic-js: `<` and `<=` take a third operand (between); `>` and `>=` ignore it.
        args.truncate(if matches!(cmp, CmpOp::Lt | CmpOp::Le) {
            3
        } else {
            2
        });
        Ok(if args.len() < 2 {
            // `a < undefined` is false in JavaScript.
            Node::Lit(Value::Bool(false))
        } else {
            Node::Cmp {
                op: cmp,
                mode: Mode::Js,
                args,
            }
        })
    }

    fn arith(&mut self, op: &str, raw: &Value) -> R<Node> {
        let op = match op {
            "+" => ArithOp::Add,
            "-" => ArithOp::Sub,
            "*" => ArithOp::Mul,
            "/" => ArithOp::Div,
            "%" => ArithOp::Mod,
            "min" => ArithOp::Min,
            _ => ArithOp::Max,
        };
        Ok(Node::Arith {
            op,
            mode: Mode::Js,
            args: self.args(raw)?,
        })
    }

    fn iter(&mut self, op: &str, raw: &Value) -> R<Node> {
        let raw: Vec<&Value> = match raw {
            Value::Array(items) => items.iter().collect(),
            single => vec![single],
        };
        let null = || Node::Lit(Value::Null);
        let list = Box::new(self.arg(&raw, 0)?.unwrap_or_else(null));
        let slot = self.slots;
        if op == "reduce" {
            let body = self.scoped(Frame::Reduce(slot), 2, |c| c.arg(&raw, 1))?;
            let body = Box::new(body.unwrap_or_else(null));
            let init = Box::new(self.arg(&raw, 2)?.unwrap_or_else(null));
            return Ok(Node::Reduce {
                list,
                body,
                init,
                slot,
            });
        }
        let kind = match op {
            "map" => IterKind::Map,
            "filter" => IterKind::Filter,
            "all" => IterKind::All,
            "none" => IterKind::None,
            "count" => IterKind::Count,
            _ => IterKind::Any,
        };
        let body = self.scoped(Frame::Elem(slot), 1, |c| c.arg(&raw, 1))?;
        let body = Box::new(body.unwrap_or(Node::Lit(Value::Bool(kind == IterKind::Count))));
        Ok(Node::Iter {
            kind,
            list,
            body,
            slot,
        })
    }

    fn regex(&mut self, raw: &Value) -> R<Node> {
        let mut args = self.args(raw)?;
        let got = args.len();
        let pattern = if got == 2 { args.pop() } else { None };
        match (args.pop(), pattern) {
            (Some(subject), Some(Node::Lit(Value::String(p)))) => {
                let re = super::regex::compile(&p)
                    .map_err(|e| self.error(JsonLogicErrorKind::InvalidRegex(e.to_string())))?;
                Ok(Node::Matches {
                    subject: Box::new(subject),
                    re: Box::new(re),
                })
            }
            (Some(subject), Some(pattern)) => Ok(Node::Call {
                func: Func::Matches,
                args: vec![subject, pattern],
            }),
            _ => Err(self.arity("matches", "2", got)),
        }
    }

    fn func(&mut self, op: &str, raw: &Value) -> R<Node> {
        let Some((func, lo, hi)) = functions::lookup(op) else {
            return Err(self.error(JsonLogicErrorKind::UnknownOperator(op.to_owned())));
        };
        let args = self.args(raw)?;
        if !LAX.contains(&op) && (args.len() < lo || args.len() > hi) {
            return Err(self.arity(op, functions::arity_text(lo, hi), args.len()));
        }
        Ok(Node::Call { func, args })
    }

    fn arity(&self, op: &str, expected: &'static str, got: usize) -> JsonLogicError {
        self.error(JsonLogicErrorKind::Arity {
            op: op.to_owned(),
            expected,
            got,
        })
    }

    fn arg(&mut self, raw: &[&Value], i: usize) -> R<Option<Node>> {
        match raw.get(i) {
            Some(v) => self.at(i.to_string(), |c| c.node(v)).map(Some),
            None => Ok(None),
        }
    }

    fn scoped<T>(&mut self, frame: Frame, slots: u32, f: impl FnOnce(&mut Self) -> R<T>) -> R<T> {
        self.frames.push(frame);
        self.slots += slots;
        let out = f(self);
        self.slots -= slots;
        self.frames.pop();
        out
    }

    /// `{"var": key}` / `{"var": [key, default]}` (`listed`: the array form, whose key is at `/0`).
    fn var(&mut self, key: Option<&Value>, default: Option<&Value>, listed: bool) -> R<Node> {
        let scope = self.scope();
        let static_key = match key {
            None | Some(Value::Null) => Some(String::new()),
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(Value::Bool(b)) => Some(b.to_string()),
            Some(_) => None,
        };
        let value = match (static_key, scope) {
            (Some(k), Scope::Root | Scope::Local(_)) => {
                let base = match scope {
                    Scope::Local(slot) => Base::Local(slot),
                    _ => Base::Root,
                };
                let segs = if k.is_empty() {
                    Vec::new()
                } else {
                    k.split('.').map(|s| Seg::Key(s.into())).collect()
                };
                Node::Path { base, segs }
            }
            (Some(k), Scope::Reduce { .. }) => Node::DynVar {
                scope,
                key: Box::new(Node::Lit(Value::String(k))),
            },
            (None, _) => {
                let key = match key {
                    None => Node::Lit(Value::Null),
                    Some(k) if listed => self.at("0".into(), |c| c.node(k))?,
                    Some(k) => self.node(k)?,
                };
                Node::DynVar {
                    scope,
                    key: Box::new(key),
                }
            }
        };
        match default {
            Some(d) => {
                let default = self.at("1".into(), |c| c.node(d))?;
                Ok(Node::Default {
                    value: Box::new(value),
                    default: Box::new(default),
                })
            }
            None => Ok(value),
        }
    }
}
