//! Parsing postfix accessors (`.name`, `[index]`), function calls and quantifiers
//! (`any(list as x, cond)`).

use serde_json::Value;

use super::error::ParseErrorKind;
use super::functions;
use super::functions::Func;
use super::ir::{ArithOp, Base, IterKind, Mode, Node, Seg};
use super::lexer::Tok;
use super::parser::{P, Parser, R, height};

impl Parser<'_> {
    /// A primary expression followed by `.name`, `[index]` accessors.
    pub(super) fn postfix(&mut self) -> R<P> {
        let at = self.span();
        let mut cur = self.primary()?;
        while let Some(seg) = self.accessor()? {
            cur = self.attach(cur, seg, at)?;
        }
        Ok(cur)
    }

    fn accessor(&mut self) -> R<Option<(Seg, usize)>> {
        match self.peek() {
            Tok::Dot => {
                self.pos += 1;
                match self.next() {
                    Tok::Ident(name) => Ok(Some((Seg::Key(name.into()), 0))),
                    _ => {
                        self.pos -= 1;
                        Err(self.expected("a field name after `.`"))
                    }
                }
            }
            Tok::LBracket => {
                self.pos += 1;
                let (idx, h) = self.expr(0)?;
                self.expect(&Tok::RBracket, "`]`")?;
                Ok(Some(match idx {
                    Node::Lit(Value::String(s)) => (Seg::Key(s.into()), 0),
                    Node::Lit(Value::Number(n)) if n.as_i64().is_some() => {
                        (Seg::Index(n.as_i64().unwrap_or(0)), 0)
                    }
                    other => (Seg::Dyn(other), h),
                }))
            }
            _ => Ok(None),
        }
    }

    fn attach(&self, cur: P, seg: (Seg, usize), at: (usize, usize)) -> R<P> {
        let h = cur.1.max(seg.1 + 1);
        let cur = match cur.0 {
            Node::Path { base, mut segs } => {
                segs.push(seg.0);
                (Node::Path { base, segs }, h)
            }
            other => (
                Node::Path {
                    base: Base::Expr(Box::new(other)),
                    segs: vec![seg.0],
                },
                h + 1,
            ),
        };
        self.check(cur, at)
    }

    pub(super) fn matches(&self, subject: Node, pattern: Node, at: (usize, usize)) -> R<Node> {
        match pattern.as_lit() {
            Some(Value::String(p)) => match super::regex::compile(p) {
                Ok(re) => Ok(Node::Matches {
                    subject: Box::new(subject),
                    re: Box::new(re),
                }),
                Err(e) => Err(self.err(ParseErrorKind::InvalidRegex(e.to_string()), at)),
            },
            _ => Ok(Node::Call {
                func: Func::Matches,
                args: vec![subject, pattern],
            }),
        }
    }

    /// Comma-separated expressions up to `close` (consumed).
    pub(super) fn list(&mut self, close: &Tok, what: &'static str) -> R<Vec<P>> {
        let mut items = Vec::new();
        if self.peek() == close {
            self.pos += 1;
            return Ok(items);
        }
        loop {
            items.push(self.expr(0)?);
            match self.next() {
                Tok::Comma => {}
                t if &t == close => return Ok(items),
                _ => {
                    self.pos -= 1;
                    return Err(self.expected(what));
                }
            }
        }
    }

    pub(super) fn call(&mut self, name: &str, at: (usize, usize)) -> R<P> {
        let iter = match name {
            "any" => Some(IterKind::Any),
            "all" => Some(IterKind::All),
            "none" => Some(IterKind::None),
            "count" => Some(IterKind::Count),
            "filter" => Some(IterKind::Filter),
            "map" => Some(IterKind::Map),
            _ => None,
        };
        if let Some(kind) = iter {
            return self.quantifier(kind, name, at);
        }
        let args = self.list(&Tok::RParen, "`,` or `)`")?;
        let h = args.iter().map(|a| a.1).max().unwrap_or(0) + 1;
        let got = args.len();
        let mut args: Vec<Node> = args.into_iter().map(|a| a.0).collect();
        let arity = |lo: usize, hi: usize| {
            if got < lo || got > hi {
                let expected = functions::arity_text(lo, hi);
                Err(self.err(
                    ParseErrorKind::Arity {
                        name: name.to_owned(),
                        expected,
                        got,
                    },
                    at,
                ))
            } else {
                Ok(())
            }
        };
        let node = match name {
            "min" | "max" => {
                arity(1, usize::MAX)?;
                let op = if name == "min" {
                    ArithOp::Min
                } else {
                    ArithOp::Max
                };
                Node::Arith {
                    op,
                    mode: Mode::Typed,
                    args,
                }
            }
            "if" => {
                arity(1, usize::MAX)?;
                Node::If(args)
            }
            "matches" => {
                arity(2, 2)?;
                let pattern = args.pop().unwrap_or(Node::Lit(Value::Null));
                let subject = args.pop().unwrap_or(Node::Lit(Value::Null));
                self.matches(subject, pattern, at)?
            }
            _ => {
                let Some((func, lo, hi)) = functions::lookup(name) else {
                    let kind = ParseErrorKind::UnknownFunction(name.to_owned());
                    return Err(self.err(kind, at));
                };
                arity(lo, hi)?;
                Node::Call { func, args }
            }
        };
        self.check((node, h), at)
    }

    /// `any(list as x, body)`; without `as x` the element is bound to `it`.
    fn quantifier(&mut self, kind: IterKind, name: &str, at: (usize, usize)) -> R<P> {
        let list = self.expr(0)?;
        let bound = if self.is_word("as") {
            self.pos += 1;
            match self.next() {
                Tok::Ident(n) => n,
                _ => {
                    self.pos -= 1;
                    return Err(self.expected("a name after `as`"));
                }
            }
        } else {
            "it".to_owned()
        };
        let slot = self.scopes.len() as u32;
        let body = if self.peek() == &Tok::Comma {
            self.pos += 1;
            self.scopes.push(bound);
            let body = self.expr(0);
            self.scopes.truncate(slot as usize);
            body?
        } else if matches!(kind, IterKind::Map | IterKind::Filter) {
            let kind = ParseErrorKind::Arity {
                name: name.to_owned(),
                expected: "2",
                got: 1,
            };
            return Err(self.err(kind, at));
        } else if kind == IterKind::Count {
            // `count(list)`: the number of elements.
            (Node::Lit(Value::Bool(true)), 1)
        } else {
            // `any(list)`, `all(list)`: the element itself is the condition.
            (
                Node::Path {
                    base: Base::Local(slot),
                    segs: vec![],
                },
                1,
            )
        };
        self.expect(&Tok::RParen, "`)`")?;
        let h = height(&[&list, &body]);
        let node = Node::Iter {
            kind,
            list: Box::new(list.0),
            body: Box::new(body.0),
            slot,
        };
        self.check((node, h), at)
    }
}
