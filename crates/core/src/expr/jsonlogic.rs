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

    fn op(&mut self, op: &str, raw: &Value) -> R<Node> {
        let raw_args: Vec<&Value> = match raw {
            Value::Array(items) => items.iter().collect(),
            single => vec![single],
        };
        let null = || Node::Lit(Value::Null);
        let arith = |op, args| Node::Arith {
            op,
            mode: Mode::Js,
            args,
        };
        Ok(match op {
            "var" => return self.var(raw_args.first().copied(), raw_args.get(1).copied()),
            "missing" => Node::Missing {
                scope: self.scope(),
                args: self.args(raw)?,
            },
            "missing_some" => {
                let mut args = self.args(raw)?.into_iter();
                let need = Box::new(args.next().unwrap_or_else(null));
                let keys = Box::new(args.next().unwrap_or_else(null));
                Node::MissingSome {
                    scope: self.scope(),
                    need,
                    keys,
                }
            }
            "if" | "?:" => Node::If(self.args(raw)?),
            "==" | "!=" | "===" | "!==" => {
                let mut args = self.args(raw)?.into_iter();
                let lhs = Box::new(args.next().unwrap_or_else(null));
                let rhs = Box::new(args.next().unwrap_or_else(null));
                let mode = if op.len() == 3 {
                    EqMode::Strict
                } else {
                    EqMode::Loose
                };
                Node::Eq {
                    mode,
                    negate: op.starts_with('!'),
                    lhs,
                    rhs,
                }
            }
            "!" | "!!" => {
                let x = Box::new(self.args(raw)?.into_iter().next().unwrap_or_else(null));
                if op == "!" {
                    Node::Not(x)
                } else {
                    Node::Truthy(x)
                }
            }
            "and" => Node::And(self.args(raw)?),
            "or" => Node::Or(self.args(raw)?),
            "<" | "<=" | ">" | ">=" => {
                let cmp = match op {
                    "<" => CmpOp::Lt,
                    "<=" => CmpOp::Le,
                    ">" => CmpOp::Gt,
                    _ => CmpOp::Ge,
                };
                let mut args = self.args(raw)?;
                args.truncate(3);
                if args.len() < 2 {
                    // `a < undefined` is false in JavaScript.
                    Node::Lit(Value::Bool(false))
                } else {
                    Node::Cmp {
                        op: cmp,
                        mode: Mode::Js,
                        args,
                    }
                }
            }
            "+" => arith(ArithOp::Add, self.args(raw)?),
            "-" => arith(ArithOp::Sub, self.args(raw)?),
            "*" => arith(ArithOp::Mul, self.args(raw)?),
            "/" => arith(ArithOp::Div, self.args(raw)?),
            "%" => arith(ArithOp::Mod, self.args(raw)?),
            "min" => arith(ArithOp::Min, self.args(raw)?),
            "max" => arith(ArithOp::Max, self.args(raw)?),
            "map" | "filter" | "all" | "none" | "some" | "count" => {
                let kind = match op {
                    "map" => IterKind::Map,
                    "filter" => IterKind::Filter,
                    "all" => IterKind::All,
                    "none" => IterKind::None,
                    "count" => IterKind::Count,
                    _ => IterKind::Any,
                };
                let list = Box::new(self.arg(&raw_args, 0)?.unwrap_or_else(null));
                let slot = self.slots;
                let body = self.scoped(Frame::Elem(slot), 1, |c| c.arg(&raw_args, 1))?;
                let body =
                    Box::new(body.unwrap_or(Node::Lit(Value::Bool(kind == IterKind::Count))));
                Node::Iter {
                    kind,
                    list,
                    body,
                    slot,
                }
            }
            "reduce" => {
                let list = Box::new(self.arg(&raw_args, 0)?.unwrap_or_else(null));
                let slot = self.slots;
                let body = self.scoped(Frame::Reduce(slot), 2, |c| c.arg(&raw_args, 1))?;
                let body = Box::new(body.unwrap_or_else(null));
                let init = Box::new(self.arg(&raw_args, 2)?.unwrap_or_else(null));
                Node::Reduce {
                    list,
                    body,
                    init,
                    slot,
                }
            }
            "matches" => {
                let mut args = self.args(raw)?;
                let pattern = if args.len() == 2 { args.pop() } else { None };
                match (args.pop(), pattern) {
                    (Some(subject), Some(Node::Lit(Value::String(p)))) => {
                        let re = regex_lite::Regex::new(&p).map_err(|e| {
                            self.error(JsonLogicErrorKind::InvalidRegex(e.to_string()))
                        })?;
                        Node::Matches {
                            subject: Box::new(subject),
                            re: Box::new(re),
                        }
                    }
                    (Some(subject), Some(pattern)) => Node::Call {
                        func: Func::Matches,
                        args: vec![subject, pattern],
                    },
                    _ => return Err(self.arity(op, "2", raw_args.len())),
                }
            }
            _ => {
                let Some((func, lo, hi)) = functions::lookup(op) else {
                    return Err(self.error(JsonLogicErrorKind::UnknownOperator(op.to_owned())));
                };
                let args = self.args(raw)?;
                if !LAX.contains(&op) && (args.len() < lo || args.len() > hi) {
                    return Err(self.arity(op, functions::arity_text(lo, hi), args.len()));
                }
                Node::Call { func, args }
            }
        })
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

    /// `{"var": key}` / `{"var": [key, default]}`.
    fn var(&mut self, key: Option<&Value>, default: Option<&Value>) -> R<Node> {
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
                let key = key.map_or(Ok(Node::Lit(Value::Null)), |k| {
                    self.at("0".into(), |c| c.node(k))
                })?;
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
