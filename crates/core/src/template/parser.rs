//! Builds the node tree from the lexer's tokens: matches sections and blocks with their closing
//! tags, and folds `{{else}}` / `{{else if ...}}` chains into nested nodes.

use std::mem;

use super::args::{parse_expr, parse_path};
use super::ast::{Expr, IfCondition, Node, Path};
use super::error::{ErrorKind, TemplateError};
use super::lexer::{TagKind, Token, lex};

enum Open {
    Section { path: Path, inverted: bool },
    If { cond: IfCondition, negate: bool },
    Each(Expr),
    With(Expr),
}

/// An else branch: `None` for a plain `{{else}}`, or an `{{else if}}` / `{{else unless}}`.
type Branch = (Option<(IfCondition, bool)>, Vec<Node>, u32);

struct Frame {
    open: Open,
    name: String,
    at: usize,
    body: Vec<Node>,
    branches: Vec<Branch>,
}

impl Frame {
    fn current(&mut self) -> &mut Vec<Node> {
        match self.branches.last_mut() {
            Some((_, nodes, _)) => nodes,
            None => &mut self.body,
        }
    }
}

/// Sections and blocks nest at most this deep in one template.
const MAX_NESTING: usize = 256;

fn off(at: usize) -> u32 {
    u32::try_from(at).unwrap_or(u32::MAX)
}

/// Operator words of the condition language (see [`crate::expr`]).
const OPERATOR_WORDS: [&str; 9] = [
    "and",
    "or",
    "not",
    "in",
    "contains",
    "startsWith",
    "endsWith",
    "matches",
    "exists",
];

/// Whether an `{{#if}}` / `{{#unless}}` / `{{else if}}` argument is written in the condition
/// language rather than as a Handlebars path, literal or helper call. Outside string literals,
/// it must hold an operator symbol (`==`, `!=`, `<`, `<=`, `>`, `>=`, `&&`, `||`, `!`), or an
/// operator word (`and`, `or`, `not`, `in`, `contains`, `startsWith`, `endsWith`, `matches`,
/// `exists`) that is not a helper's name (first in the tag or right after `(`). So
/// `not optedOut`, `and a b` and `(and (eq t "x") (not o))` stay helper calls, while
/// `tier == "gold"`, `!optedOut`, `a and b` and `profile.email exists` are expressions.
pub(crate) fn is_condition(arg: &str) -> bool {
    let mut quote = None;
    let mut escaped = false;
    let mut word = String::new();
    // Whether the word being read is a helper's name: first in the tag or after `(`.
    let mut head = true;
    let mut prev = '\0';
    let end_word = |word: &mut String, head: &mut bool| -> bool {
        let found = !*head && OPERATOR_WORDS.contains(&word.as_str());
        if !word.is_empty() {
            *head = false;
            word.clear();
        }
        found
    };
    for c in arg.chars() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '=' if prev == '=' => return true,
            '<' | '>' | '!' => return true,
            '&' if prev == '&' => return true,
            '|' if prev == '|' => return true,
            c if c.is_alphanumeric() || matches!(c, '_' | '.' | '@' | '/' | '-' | '$') => {
                word.push(c);
            }
            _ => {
                if end_word(&mut word, &mut head) {
                    return true;
                }
                match c {
                    '(' => head = true,
                    '"' | '\'' => {
                        quote = Some(c);
                        head = false;
                    }
                    _ => {}
                }
            }
        }
        prev = c;
    }
    end_word(&mut word, &mut head)
}

/// Parses `{{#if}}`'s argument: a condition-language expression when [`is_condition`] says so,
/// else a path, literal or helper call. `base` is the argument's offset in the template.
fn parse_condition(arg: &str, base: usize) -> Result<IfCondition, (usize, ErrorKind)> {
    if is_condition(arg) {
        return match crate::expr::Expr::parse(arg) {
            Ok(expr) => Ok(IfCondition::Cond {
                expr: Box::new(expr),
                at: off(base),
            }),
            Err(e) => Err((base + e.span.offset, ErrorKind::InvalidCondition(e.kind))),
        };
    }
    parse_expr(arg, base)
        .map(IfCondition::Expr)
        .map_err(|(at, msg)| (at, arg_error(msg)))
}

/// The error kind of an argument parse failure.
fn arg_error(msg: String) -> ErrorKind {
    if let Some(h) = msg.strip_prefix("unknown helper `") {
        ErrorKind::UnknownHelper(h.trim_end_matches('`').to_string())
    } else {
        ErrorKind::InvalidTag(msg)
    }
}

pub(crate) fn parse(name: &str, src: &str) -> Result<Vec<Node>, TemplateError> {
    if u32::try_from(src.len()).is_err() {
        return Err(TemplateError::new(name, src, 0, ErrorKind::TooLarge));
    }
    let err = |at: usize, kind: ErrorKind| TemplateError::new(name, src, at, kind);
    let bad = |(at, msg): (usize, String)| TemplateError::new(name, src, at, arg_error(msg));
    let bad_cond = |(at, kind): (usize, ErrorKind)| TemplateError::new(name, src, at, kind);
    let mut root: Vec<Node> = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    for token in lex(name, src)? {
        let (kind, body, at, body_at, indent) = match token {
            Token::Text(t, at) => {
                let out = stack.last_mut().map_or(&mut root, Frame::current);
                out.push(Node::Text {
                    text: t.into(),
                    at: off(at),
                });
                continue;
            }
            Token::Tag {
                kind,
                body,
                at,
                body_at,
                indent,
            } => (kind, body, at, body_at, indent),
        };
        let else_body = match kind {
            TagKind::Interp if body == "else" => Some(""),
            TagKind::Interp => body.strip_prefix("else ").map(str::trim),
            TagKind::Inverted if body.is_empty() => Some(""),
            _ => None,
        };
        if let Some(rest) = else_body {
            let frame = stack
                .last_mut()
                .ok_or_else(|| err(at, ErrorKind::UnexpectedElse))?;
            if matches!(frame.branches.last(), Some((None, _, _))) {
                return Err(err(at, ErrorKind::UnexpectedElse));
            }
            let cond = if rest.is_empty() {
                None
            } else {
                let (negate, arg) = if let Some(a) = rest.strip_prefix("if ") {
                    (false, a)
                } else if let Some(a) = rest.strip_prefix("unless ") {
                    (true, a)
                } else {
                    let msg = "expected `{{else}}`, `{{else if ...}}` or `{{else unless ...}}`";
                    return Err(err(at, ErrorKind::InvalidTag(msg.into())));
                };
                let arg_at = body_at + (body.len() - arg.len());
                Some((parse_condition(arg, arg_at).map_err(bad_cond)?, negate))
            };
            frame.branches.push((cond, Vec::new(), off(at)));
            continue;
        }
        let node = match kind {
            TagKind::Interp | TagKind::Raw => {
                let expr = parse_expr(body, body_at).map_err(bad)?;
                Node::Interp {
                    expr,
                    raw: kind == TagKind::Raw,
                    ctx: super::html::Ctx::Text,
                    at: off(at),
                }
            }
            TagKind::Partial => {
                if body.is_empty() || body.contains(char::is_whitespace) {
                    let msg = "a partial tag takes exactly one name".to_string();
                    return Err(err(body_at, ErrorKind::InvalidTag(msg)));
                }
                Node::Partial {
                    name: body.into(),
                    indent: indent.into(),
                    at: off(at),
                }
            }
            TagKind::Section | TagKind::Inverted => {
                let (word, rest) = body.split_once(char::is_whitespace).unwrap_or((body, ""));
                let rest = rest.trim_start();
                let rest_at = body_at + (body.len() - rest.len());
                if rest.contains(" as |") || rest.starts_with("as |") {
                    let msg = "block parameters (`as |x|`) are not supported; use `this` or `@key`";
                    return Err(err(body_at, ErrorKind::InvalidTag(msg.into())));
                }
                let block =
                    kind == TagKind::Section && matches!(word, "if" | "unless" | "each" | "with");
                let open = if block {
                    if rest.is_empty() {
                        let msg = format!("`{{{{#{word}}}}}` needs an argument");
                        return Err(err(body_at, ErrorKind::InvalidTag(msg)));
                    }
                    match word {
                        "if" | "unless" => Open::If {
                            cond: parse_condition(rest, rest_at).map_err(bad_cond)?,
                            negate: word == "unless",
                        },
                        "each" => Open::Each(parse_expr(rest, rest_at).map_err(bad)?),
                        _ => Open::With(parse_expr(rest, rest_at).map_err(bad)?),
                    }
                } else if !rest.is_empty() {
                    let msg = format!("unknown block helper `{word}`");
                    return Err(err(body_at, ErrorKind::InvalidTag(msg)));
                } else {
                    let path = parse_path(body, body_at).map_err(bad)?;
                    Open::Section {
                        path,
                        inverted: kind == TagKind::Inverted,
                    }
                };
                let name = if block { word } else { body };
                if stack.len() >= MAX_NESTING {
                    return Err(err(
                        at,
                        ErrorKind::TooDeep {
                            limit: MAX_NESTING,
                            partial: None,
                        },
                    ));
                }
                stack.push(Frame {
                    open,
                    name: name.to_string(),
                    at,
                    body: Vec::new(),
                    branches: Vec::new(),
                });
                continue;
            }
            TagKind::Close => {
                let Some(frame) = stack.pop() else {
                    return Err(err(at, ErrorKind::UnexpectedClose(body.to_string())));
                };
                if frame.name != body {
                    let kind = ErrorKind::MismatchedClose {
                        expected: frame.name,
                        found: body.into(),
                    };
                    return Err(err(at, kind));
                }
                close(frame)
            }
            TagKind::Comment | TagKind::Delimiters => continue,
        };
        stack
            .last_mut()
            .map_or(&mut root, Frame::current)
            .push(node);
    }
    if let Some(frame) = stack.pop() {
        return Err(err(frame.at, ErrorKind::UnclosedSection(frame.name)));
    }
    Ok(root)
}

fn close(frame: Frame) -> Node {
    let mut else_body = Vec::new();
    for (cond, nodes, at) in frame.branches.into_iter().rev() {
        else_body = match cond {
            None => nodes,
            Some((cond, negate)) => {
                vec![Node::If {
                    cond,
                    negate,
                    body: nodes,
                    else_body: mem::take(&mut else_body),
                    at,
                }]
            }
        };
    }
    let (body, at) = (frame.body, off(frame.at));
    match frame.open {
        Open::Section { path, inverted } => Node::Section {
            path,
            inverted,
            body,
            else_body,
            at,
        },
        Open::If { cond, negate } => Node::If {
            cond,
            negate,
            body,
            else_body,
            at,
        },
        Open::Each(expr) => Node::Each {
            expr,
            body,
            else_body,
            at,
        },
        Open::With(expr) => Node::With {
            expr,
            body,
            else_body,
            at,
        },
    }
}
