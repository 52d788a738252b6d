//! Pratt parser for the text language, producing the IR directly.

use serde_json::Value;

use super::error::{ParseError, ParseErrorKind};
use super::functions::Func;
use super::ir::{ArithOp, Base, CmpOp, EqMode, MAX_DEPTH, Mode, Node, Seg};
use super::lexer::{Tok, Token, error, tokenize};

/// A node and the height of its tree.
pub(super) type P = (Node, usize);
pub(super) type R<T> = Result<T, ParseError>;

const OR: u8 = 1;
const AND: u8 = 2;
const NOT: u8 = 3;
const CMP: u8 = 4;
const ADD: u8 = 5;
const MUL: u8 = 6;
const UNARY: u8 = 7;

pub(crate) fn parse(src: &str) -> R<Node> {
    let mut p = Parser {
        src,
        toks: tokenize(src)?,
        pos: 0,
        depth: 0,
        scopes: Vec::new(),
    };
    let (node, _) = p.expr(0)?;
    match p.peek() {
        Tok::Eof => Ok(node),
        _ => Err(p.expected("an operator or end of input")),
    }
}

pub(super) struct Parser<'s> {
    src: &'s str,
    toks: Vec<Token>,
    pub(super) pos: usize,
    depth: usize,
    /// Names bound by enclosing quantifiers; the index is the local slot.
    pub(super) scopes: Vec<String>,
}

#[derive(Clone, Copy)]
enum Infix {
    Or,
    And,
    Eq(bool),
    Cmp(CmpOp),
    In(bool),
    Func(Func),
    Matches,
    Exists,
    Arith(ArithOp),
}

pub(super) fn height(children: &[&P]) -> usize {
    1 + children.iter().map(|c| c.1).max().unwrap_or(0)
}

impl<'s> Parser<'s> {
    fn tok(&self) -> Option<&Token> {
        self.toks.get(self.pos).or(self.toks.last())
    }

    pub(super) fn peek(&self) -> &Tok {
        self.tok().map_or(&Tok::Eof, |t| &t.tok)
    }

    fn peek_at(&self, n: usize) -> &Tok {
        self.toks.get(self.pos + n).map_or(&Tok::Eof, |t| &t.tok)
    }

    pub(super) fn span(&self) -> (usize, usize) {
        self.tok()
            .map_or((self.src.len(), self.src.len()), |t| (t.start, t.end))
    }

    pub(super) fn next(&mut self) -> Tok {
        let t = self.peek().clone();
        self.pos += 1;
        t
    }

    pub(super) fn err(&self, kind: ParseErrorKind, (start, end): (usize, usize)) -> ParseError {
        error(self.src, kind, start, end)
    }

    pub(super) fn expected(&self, what: &'static str) -> ParseError {
        let found = self.peek().describe();
        self.err(
            ParseErrorKind::Expected {
                expected: what,
                found,
            },
            self.span(),
        )
    }

    pub(super) fn expect(&mut self, tok: &Tok, what: &'static str) -> R<()> {
        if self.peek() == tok {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.expected(what))
        }
    }

    pub(super) fn is_word(&self, word: &str) -> bool {
        matches!(self.peek(), Tok::Ident(w) if w == word)
    }

    pub(super) fn check(&self, n: P, at: (usize, usize)) -> R<P> {
        if n.1 > MAX_DEPTH {
            return Err(self.err(ParseErrorKind::TooDeep(MAX_DEPTH), at));
        }
        Ok(n)
    }

    pub(super) fn expr(&mut self, min_bp: u8) -> R<P> {
        self.depth += 1;
        let at = self.span();
        let result = if self.depth > MAX_DEPTH {
            Err(self.err(ParseErrorKind::TooDeep(MAX_DEPTH), at))
        } else {
            self.expr_inner(min_bp)
        };
        self.depth -= 1;
        result
    }

    // The recursive-descent chain (expr -> expr_inner -> prefix/postfix -> primary -> expr) is
    // kept to small functions: debug builds give every temporary its own stack slot, so large
    // frames here would multiply by the nesting depth.
    fn expr_inner(&mut self, min_bp: u8) -> R<P> {
        let mut lhs = self.prefix()?;
        let mut prev_cmp = false;
        while let Some((op, bp, len)) = self.infix() {
            if bp < min_bp {
                break;
            }
            let at = self.span();
            if bp == CMP {
                if prev_cmp {
                    return Err(self.err(ParseErrorKind::ChainedComparison, at));
                }
                prev_cmp = true;
            }
            self.pos += len;
            if let Infix::Exists = op {
                lhs = self.exists(lhs, at)?;
                continue;
            }
            let rhs_at = self.span();
            let rhs = self.expr(bp + 1)?;
            lhs = self.apply(op, lhs, rhs, at, rhs_at)?;
        }
        Ok(lhs)
    }

    fn prefix(&mut self) -> R<P> {
        match self.peek() {
            Tok::Bang => self.not(),
            Tok::Ident(w) if w == "not" => self.not(),
            Tok::Minus => self.neg(),
            _ => self.postfix(),
        }
    }

    fn neg(&mut self) -> R<P> {
        let start = self.span();
        self.pos += 1;
        let x = self.expr(UNARY)?;
        let folded = match x.0.as_lit().and_then(Value::as_number) {
            Some(n) => match n.as_i64() {
                Some(i) => i.checked_neg().map(serde_json::Number::from),
                None => n.as_f64().and_then(|f| serde_json::Number::from_f64(-f)),
            },
            None => None,
        };
        match folded {
            Some(n) => Ok((Node::Lit(Value::Number(n)), 1)),
            None => {
                let h = height(&[&x]);
                let node = Node::Arith {
                    op: ArithOp::Sub,
                    mode: Mode::Typed,
                    args: vec![x.0],
                };
                self.check((node, h), start)
            }
        }
    }

    fn exists(&self, lhs: P, at: (usize, usize)) -> R<P> {
        let h = height(&[&lhs]);
        self.check(
            (
                Node::Call {
                    func: Func::Exists,
                    args: vec![lhs.0],
                },
                h,
            ),
            at,
        )
    }

    fn apply(&self, op: Infix, lhs: P, rhs: P, at: (usize, usize), rhs_at: (usize, usize)) -> R<P> {
        let h = height(&[&lhs, &rhs]);
        // Appending to a flattened n-ary node does not make it taller.
        let flat_h = lhs.1.max(rhs.1 + 1);
        let flattens = match (&lhs.0, op) {
            (Node::Or(_), Infix::Or) | (Node::And(_), Infix::And) => true,
            (
                Node::Arith {
                    op: lop,
                    mode: Mode::Typed,
                    args,
                },
                Infix::Arith(op),
            ) => *lop == op && args.len() >= 2,
            _ => false,
        };
        let h = if flattens { flat_h } else { h };
        let (l, r) = (lhs.0, rhs.0);
        let node = match op {
            Infix::Or | Infix::And => {
                let is_or = matches!(op, Infix::Or);
                match l {
                    Node::Or(mut v) if is_or => {
                        v.push(r);
                        Node::Or(v)
                    }
                    Node::And(mut v) if !is_or => {
                        v.push(r);
                        Node::And(v)
                    }
                    l if is_or => Node::Or(vec![l, r]),
                    l => Node::And(vec![l, r]),
                }
            }
            Infix::Eq(negate) => Node::Eq {
                mode: EqMode::Strict,
                negate,
                lhs: Box::new(l),
                rhs: Box::new(r),
            },
            Infix::Cmp(op) => Node::Cmp {
                op,
                mode: Mode::Typed,
                args: vec![l, r],
            },
            Infix::In(negate) => {
                let call = Node::Call {
                    func: Func::In,
                    args: vec![l, r],
                };
                if negate {
                    Node::Not(Box::new(call))
                } else {
                    call
                }
            }
            Infix::Func(func) => Node::Call {
                func,
                args: vec![l, r],
            },
            Infix::Matches => self.matches(l, r, rhs_at)?,
            Infix::Arith(op) => match l {
                Node::Arith {
                    op: lop,
                    mode: Mode::Typed,
                    mut args,
                } if lop == op && args.len() >= 2 => {
                    args.push(r);
                    Node::Arith {
                        op,
                        mode: Mode::Typed,
                        args,
                    }
                }
                l => Node::Arith {
                    op,
                    mode: Mode::Typed,
                    args: vec![l, r],
                },
            },
            Infix::Exists => Node::Call {
                func: Func::Exists,
                args: vec![l],
            },
        };
        self.check((node, h), at)
    }

    fn not(&mut self) -> R<P> {
        let at = self.span();
        self.pos += 1;
        let x = self.expr(NOT)?;
        let h = height(&[&x]);
        self.check((Node::Not(Box::new(x.0)), h), at)
    }

    /// The infix operator at the cursor: `(op, binding power, tokens)`.
    fn infix(&self) -> Option<(Infix, u8, usize)> {
        Some(match self.peek() {
            Tok::OrOr => (Infix::Or, OR, 1),
            Tok::AndAnd => (Infix::And, AND, 1),
            Tok::EqEq => (Infix::Eq(false), CMP, 1),
            Tok::NotEq => (Infix::Eq(true), CMP, 1),
            Tok::Lt => (Infix::Cmp(CmpOp::Lt), CMP, 1),
            Tok::Le => (Infix::Cmp(CmpOp::Le), CMP, 1),
            Tok::Gt => (Infix::Cmp(CmpOp::Gt), CMP, 1),
            Tok::Ge => (Infix::Cmp(CmpOp::Ge), CMP, 1),
            Tok::Plus => (Infix::Arith(ArithOp::Add), ADD, 1),
            Tok::Minus => (Infix::Arith(ArithOp::Sub), ADD, 1),
            Tok::Star => (Infix::Arith(ArithOp::Mul), MUL, 1),
            Tok::Slash => (Infix::Arith(ArithOp::Div), MUL, 1),
            Tok::Percent => (Infix::Arith(ArithOp::Mod), MUL, 1),
            Tok::Ident(w) => match w.as_str() {
                "or" => (Infix::Or, OR, 1),
                "and" => (Infix::And, AND, 1),
                "in" => (Infix::In(false), CMP, 1),
                "not" if matches!(self.peek_at(1), Tok::Ident(n) if n == "in") => {
                    (Infix::In(true), CMP, 2)
                }
                "contains" => (Infix::Func(Func::Contains), CMP, 1),
                "startsWith" => (Infix::Func(Func::StartsWith), CMP, 1),
                "endsWith" => (Infix::Func(Func::EndsWith), CMP, 1),
                "matches" => (Infix::Matches, CMP, 1),
                "exists" => (Infix::Exists, CMP, 1),
                _ => return None,
            },
            _ => return None,
        })
    }

    pub(super) fn primary(&mut self) -> R<P> {
        let at = self.span();
        match self.next() {
            Tok::Num(n) => Ok((Node::Lit(n), 1)),
            Tok::Str(s) => Ok((Node::Lit(Value::String(s)), 1)),
            Tok::LParen => self.paren(),
            Tok::LBracket => self.array(at),
            Tok::Ident(w) => self.ident(w, at),
            _ => {
                self.pos -= 1;
                Err(self.expected("an expression"))
            }
        }
    }

    fn paren(&mut self) -> R<P> {
        let x = self.expr(0)?;
        self.expect(&Tok::RParen, "`)`")?;
        Ok(x)
    }

    fn array(&mut self, at: (usize, usize)) -> R<P> {
        let items = self.list(&Tok::RBracket, "`,` or `]`")?;
        let h = items.iter().map(|i| i.1).max().unwrap_or(0) + 1;
        let node = Node::list(items.into_iter().map(|i| i.0).collect());
        self.check((node, h), at)
    }

    fn ident(&mut self, w: String, at: (usize, usize)) -> R<P> {
        match w.as_str() {
            "true" => Ok((Node::Lit(Value::Bool(true)), 1)),
            "false" => Ok((Node::Lit(Value::Bool(false)), 1)),
            "null" => Ok((Node::Lit(Value::Null), 1)),
            _ if self.peek() == &Tok::LParen => {
                self.pos += 1;
                self.call(&w, at)
            }
            _ => {
                let (base, segs) = match self.scopes.iter().rposition(|s| *s == w) {
                    Some(slot) => (Base::Local(slot as u32), vec![]),
                    None => (Base::Root, vec![Seg::Key(w.into())]),
                };
                Ok((Node::Path { base, segs }, 1))
            }
        }
    }
}
