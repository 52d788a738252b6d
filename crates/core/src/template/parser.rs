//! Builds the node tree from the lexer's tokens: matches sections and blocks with their closing
//! tags, and folds `{{else}}` / `{{else if ...}}` chains into nested nodes.

use std::mem;

use super::args::{ArgError, PartialArgs, literal_key, parse_expr, parse_partial_args, parse_path};
use super::ast::{Expr, IfCondition, Node, PartialKind, PartialTag, Path, PathBase};
use super::error::{ErrorKind, TemplateError};
use super::lexer::{TagKind, Token, lex};

enum Open {
    Section {
        path: Path,
        inverted: bool,
    },
    If {
        cond: IfCondition,
        negate: bool,
        zero: bool,
    },
    Each(Expr),
    With(Expr),
    /// `{{#> name context key=value}}`.
    PartialBlock {
        name: String,
        context: Option<Expr>,
        hash: Vec<(Box<str>, Expr)>,
    },
    /// `{{#*inline "name"}}`.
    Inline(String),
}

/// An else branch: `None` for a plain `{{else}}`, or an `{{else if}}` / `{{else unless}}`
/// (condition, negate, includeZero).
type Branch = (Option<(IfCondition, bool, bool)>, Vec<Node>, u32);

struct Frame {
    open: Open,
    name: String,
    at: usize,
    body: Vec<Node>,
    branches: Vec<Branch>,
    /// `{{^if}}`, `{{^each}}`...: Handlebars' inverted helper block (body and else swapped).
    inverted: bool,
    /// The block parameters it binds (`as |item index|`), visible in its body only.
    params: Vec<String>,
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
                    // A `[literal segment]` is read like a string.
                    '[' => {
                        quote = Some(']');
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
    if arg == PARTIAL_BLOCK {
        // Whether a partial block's content is there to render (`{{> @partial-block}}`).
        return Ok(IfCondition::Expr(Expr::Path(Path {
            base: PathBase::Data,
            up: 0,
            segs: vec!["partial-block".into()],
            text: arg.into(),
        })));
    }
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

/// The partial a partial block's content is (`{{> @partial-block}}`), also a condition.
pub(crate) const PARTIAL_BLOCK: &str = "@partial-block";

/// Handlebars' hooks for unknown helpers: helpers there, which a template may not call
/// (handlebars.js throws). Here an unknown helper is a compile error, and a lone
/// `{{helperMissing}}` is one too rather than a lookup of a key of that name.
const HELPER_HOOKS: [&str; 2] = ["helperMissing", "blockHelperMissing"];

/// The error for a tag that is just `helperMissing` or `blockHelperMissing`, if it is one.
fn helper_hook(path: &Path, at: usize) -> Result<(), (usize, String)> {
    match path.segs.as_slice() {
        [name]
            if path.base == PathBase::Stack && path.up == 0 && HELPER_HOOKS.contains(&&**name) =>
        {
            Err((
                at,
                format!(
                    "`{name}` is Handlebars' hook for unknown helpers and cannot be called (an \
                     unknown helper is a compile error here); to read a key of that name write \
                     `this.{name}`"
                ),
            ))
        }
        _ => Ok(()),
    }
}

/// Splits a trailing `includeZero=true` (or `=false`) off `{{#if}}`'s argument.
fn include_zero(arg: &str) -> Result<(&str, bool), String> {
    let Some((head, last)) = arg.rsplit_once(char::is_whitespace) else {
        return Ok((arg, false));
    };
    match last.strip_prefix("includeZero=") {
        None => Ok((arg, false)),
        Some("true") => Ok((head.trim_end(), true)),
        Some("false") => Ok((head.trim_end(), false)),
        Some(_) => Err("`includeZero=` takes `true` or `false`".into()),
    }
}

/// Splits `expr as |a b|` into `expr` and the block parameter names.
fn block_params(rest: &str) -> Result<(&str, Vec<String>), String> {
    let Some(i) = rest
        .match_indices("as |")
        .map(|(i, _)| i)
        .find(|&i| i == 0 || rest[..i].ends_with(char::is_whitespace))
    else {
        return Ok((rest, Vec::new()));
    };
    let names = rest.get(i + 4..).unwrap_or("").trim_end();
    let Some(names) = names.strip_suffix('|') else {
        return Err("block parameters are written `as |name|` at the end of the tag".into());
    };
    let names: Vec<String> = names.split_whitespace().map(str::to_string).collect();
    if names.is_empty() {
        return Err("`as ||` names no block parameter".into());
    }
    if let Some(bad) = names.iter().find(|n| {
        n.contains(['.', '/', '[', ']', '@', '|', '=', '(', ')', '"', '\'', '~'])
            || matches!(n.as_str(), "this" | "true" | "false" | "null")
            || n.starts_with(|c: char| c.is_ascii_digit() || c == '-')
    }) {
        return Err(format!("`{bad}` is not a block parameter name"));
    }
    Ok((rest.get(..i).unwrap_or("").trim_end(), names))
}

/// The block parameter a bare name means here: (how many blocks with parameters out, index).
fn param_of(stack: &[Frame], name: &str) -> Option<(u32, u8)> {
    stack
        .iter()
        .rev()
        .filter(|f| !f.params.is_empty())
        .enumerate()
        .find_map(|(up, f)| {
            let i = f.params.iter().position(|p| p == name)?;
            // In an `{{else}}` branch the block's parameters are not bound (but still count).
            f.branches.is_empty().then(|| {
                (
                    u32::try_from(up).unwrap_or(u32::MAX),
                    u8::try_from(i).unwrap_or(0),
                )
            })
        })
}

/// Resolves bare names that are block parameters in `path`.
fn bind_path(stack: &[Frame], path: &mut Path) {
    if path.base != PathBase::Stack || path.up != 0 {
        return;
    }
    let Some((up, n)) = path.segs.first().and_then(|first| param_of(stack, first)) else {
        return;
    };
    path.base = PathBase::Param(n);
    path.up = up;
    path.segs.remove(0);
}

/// Resolves block parameters throughout `expr`.
fn bind(stack: &[Frame], expr: &mut Expr) {
    match expr {
        Expr::Path(p) => bind_path(stack, p),
        Expr::Literal(_) => {}
        Expr::Call(call) => {
            for arg in call.args.iter_mut() {
                bind(stack, arg);
            }
            for (_, arg) in call.hash.iter_mut() {
                bind(stack, arg);
            }
        }
    }
}

/// Resolves block parameters in a condition; a condition-language expression reads the root
/// data, so a block parameter there is an error rather than a silent miss.
fn bind_condition(
    stack: &[Frame],
    cond: &mut IfCondition,
    at: usize,
) -> Result<(), (usize, ErrorKind)> {
    match cond {
        IfCondition::Expr(e) => bind(stack, e),
        IfCondition::Cond { expr, .. } => {
            for path in expr.reads().paths {
                if let Some(name) = path.first().filter(|n| param_of(stack, n).is_some()) {
                    let msg = format!(
                        "block parameter `{name}` in a condition expression, which reads the \
                         root data: use a helper, e.g. `(gt {name}.price 10)`"
                    );
                    return Err((at, ErrorKind::InvalidTag(msg)));
                }
            }
        }
    }
    Ok(())
}

/// A partial tag's name, context value and `key=value` arguments, block parameters resolved.
fn partial_tag<'b>(
    stack: &[Frame],
    body: &'b str,
    body_at: usize,
) -> Result<(&'b str, PartialArgs), ArgError> {
    let (name, rest) = partial_name(body).ok_or_else(|| {
        let msg = "a partial tag starts with the partial's name, a `[literal]` or a quoted \
                   string (dynamic names `(...)` are not supported)";
        (body_at, msg.to_string())
    })?;
    if name.starts_with('@') && name != PARTIAL_BLOCK {
        return Err((body_at, format!("unknown partial `{name}`")));
    }
    let rest_at = body_at + (body.len() - rest.len());
    let (mut context, mut hash) = parse_partial_args(rest, rest_at)?;
    if let Some(c) = context.as_mut() {
        bind(stack, c);
    }
    for (_, e) in hash.iter_mut() {
        bind(stack, e);
    }
    Ok((name, (context, hash)))
}

/// Splits a partial tag's body into the partial's name (`name`, `[any name]`, `"any name"`
/// or `'any name'`) and the rest.
fn partial_name(body: &str) -> Option<(&str, &str)> {
    let (name, rest) = match body.chars().next()? {
        q @ ('[' | '"' | '\'') => {
            let end = if q == '[' { ']' } else { q };
            let (name, rest) = body.get(1..)?.split_once(end)?;
            (name, rest)
        }
        '(' => return None,
        _ => body.split_at(body.find(char::is_whitespace).unwrap_or(body.len())),
    };
    if name.is_empty() || !(rest.is_empty() || rest.starts_with(char::is_whitespace)) {
        return None;
    }
    Some((name, rest))
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
            if matches!(frame.branches.last(), Some((None, _, _)))
                || matches!(frame.open, Open::PartialBlock { .. } | Open::Inline(_))
            {
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
                let (arg, zero) =
                    include_zero(arg).map_err(|m| err(arg_at, ErrorKind::InvalidTag(m)))?;
                let mut cond = parse_condition(arg, arg_at).map_err(bad_cond)?;
                frame.branches.push((None, Vec::new(), off(at)));
                let bound = bind_condition(&stack, &mut cond, arg_at).map_err(bad_cond);
                if let Some(frame) = stack.last_mut() {
                    frame.branches.pop();
                }
                bound?;
                Some((cond, negate, zero))
            };
            let frame = stack
                .last_mut()
                .ok_or_else(|| err(at, ErrorKind::UnexpectedElse))?;
            frame.branches.push((cond, Vec::new(), off(at)));
            continue;
        }
        let node = match kind {
            TagKind::Interp | TagKind::Raw => {
                // Handlebars: a tag that is one literal looks up the key it names.
                let mut expr = match literal_key(body, body_at).map_err(bad)? {
                    Some(key) => Expr::Path(Path {
                        base: PathBase::Stack,
                        up: 0,
                        segs: vec![key.into()],
                        text: body.into(),
                    }),
                    None => parse_expr(body, body_at).map_err(bad)?,
                };
                if let Expr::Path(p) = &expr {
                    helper_hook(p, body_at).map_err(bad)?;
                }
                bind(&stack, &mut expr);
                Node::Interp {
                    expr,
                    raw: kind == TagKind::Raw,
                    ctx: super::html::Ctx::Text,
                    at: off(at),
                }
            }
            TagKind::Partial => {
                let (name, (context, hash)) = partial_tag(&stack, body, body_at).map_err(bad)?;
                Node::Partial(Box::new(PartialTag {
                    kind: PartialKind::Include,
                    name: name.into(),
                    indent: indent.into(),
                    context,
                    hash,
                    body: Vec::new(),
                    at: off(at),
                }))
            }
            TagKind::Section if body.starts_with(['>', '*']) => {
                let open = if let Some(rest) = body.strip_prefix('>') {
                    let rest_at = body_at + 1 + (rest.len() - rest.trim_start().len());
                    let (name, (context, hash)) =
                        partial_tag(&stack, rest.trim_start(), rest_at).map_err(bad)?;
                    Open::PartialBlock {
                        name: name.to_string(),
                        context,
                        hash,
                    }
                } else {
                    let rest = body.strip_prefix("*inline").unwrap_or("");
                    match partial_name(rest.trim_start()) {
                        Some((name, tail))
                            if rest.starts_with(char::is_whitespace) && tail.trim().is_empty() =>
                        {
                            Open::Inline(name.to_string())
                        }
                        _ => {
                            let msg = "decorators other than `{{#*inline \"name\"}}` are not \
                                       supported"
                                .to_string();
                            return Err(err(body_at, ErrorKind::InvalidTag(msg)));
                        }
                    }
                };
                let name = match &open {
                    Open::PartialBlock { name, .. } => name.clone(),
                    _ => "inline".to_string(),
                };
                if stack.len() >= MAX_NESTING {
                    let kind = ErrorKind::TooDeep {
                        limit: MAX_NESTING,
                        partial: None,
                    };
                    return Err(err(at, kind));
                }
                stack.push(Frame {
                    open,
                    name,
                    at,
                    body: Vec::new(),
                    branches: Vec::new(),
                    inverted: false,
                    params: Vec::new(),
                });
                continue;
            }
            TagKind::Section | TagKind::Inverted => {
                let (word, rest) = body.split_once(char::is_whitespace).unwrap_or((body, ""));
                let rest = rest.trim_start();
                let rest_at = body_at + (body.len() - rest.len());
                let (rest, params) =
                    block_params(rest).map_err(|m| err(rest_at, ErrorKind::InvalidTag(m)))?;
                let builtin = matches!(word, "if" | "unless" | "each" | "with");
                // `{{^if x}}` is an inverted block; `{{^if}}` alone, a Mustache inverted section.
                let block = builtin && (kind == TagKind::Section || !rest.is_empty());
                let max_params = match word {
                    "each" if block && kind == TagKind::Section => 2,
                    "with" if block && kind == TagKind::Section => 1,
                    _ => 0,
                };
                if params.len() > max_params {
                    let msg = match max_params {
                        0 => "only `#each` and `#with` (not inverted) take block parameters"
                            .to_string(),
                        n => format!("`#{word}` binds at most {n} block parameter(s)"),
                    };
                    return Err(err(rest_at, ErrorKind::InvalidTag(msg)));
                }
                let mut open = if block {
                    if rest.is_empty() {
                        let msg = format!("`{{{{#{word}}}}}` needs an argument");
                        return Err(err(body_at, ErrorKind::InvalidTag(msg)));
                    }
                    match word {
                        "if" | "unless" => {
                            let (rest, zero) = include_zero(rest)
                                .map_err(|m| err(rest_at, ErrorKind::InvalidTag(m)))?;
                            Open::If {
                                cond: parse_condition(rest, rest_at).map_err(bad_cond)?,
                                negate: word == "unless",
                                zero,
                            }
                        }
                        "each" => Open::Each(parse_expr(rest, rest_at).map_err(bad)?),
                        _ => Open::With(parse_expr(rest, rest_at).map_err(bad)?),
                    }
                } else if !rest.is_empty() {
                    return Err(err(body_at, ErrorKind::UnknownHelper(word.to_string())));
                } else {
                    let path = match literal_key(body, body_at).map_err(bad)? {
                        Some(key) => Path {
                            base: PathBase::Stack,
                            up: 0,
                            segs: vec![key.into()],
                            text: body.into(),
                        },
                        None => parse_path(body, body_at).map_err(bad)?,
                    };
                    helper_hook(&path, body_at).map_err(bad)?;
                    Open::Section {
                        path,
                        inverted: kind == TagKind::Inverted,
                    }
                };
                match &mut open {
                    Open::Section { path, .. } => bind_path(&stack, path),
                    Open::If { cond, .. } => {
                        bind_condition(&stack, cond, rest_at).map_err(bad_cond)?;
                    }
                    Open::Each(e) | Open::With(e) => bind(&stack, e),
                    Open::PartialBlock { .. } | Open::Inline(_) => {}
                }
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
                    inverted: block && kind == TagKind::Inverted,
                    params,
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
            Some((cond, negate, zero)) => {
                vec![Node::If {
                    cond,
                    negate,
                    zero,
                    body: nodes,
                    else_body: mem::take(&mut else_body),
                    at,
                }]
            }
        };
    }
    let (mut body, at) = (frame.body, off(frame.at));
    if frame.inverted {
        mem::swap(&mut body, &mut else_body);
    }
    let params = u8::try_from(frame.params.len()).unwrap_or(0);
    match frame.open {
        Open::Section { path, inverted } => Node::Section {
            path,
            inverted,
            body,
            else_body,
            at,
        },
        Open::If { cond, negate, zero } => Node::If {
            cond,
            negate,
            zero,
            body,
            else_body,
            at,
        },
        Open::Each(expr) => Node::Each {
            expr,
            params,
            body,
            else_body,
            at,
        },
        Open::PartialBlock {
            name,
            context,
            hash,
        } => Node::Partial(Box::new(PartialTag {
            kind: PartialKind::Block,
            name: name.into(),
            indent: "".into(),
            context,
            hash,
            body,
            at,
        })),
        Open::Inline(name) => Node::Partial(Box::new(PartialTag {
            kind: PartialKind::Inline,
            name: name.into(),
            indent: "".into(),
            context: None,
            hash: Vec::new(),
            body,
            at,
        })),
        Open::With(expr) => Node::With {
            expr,
            params,
            body,
            else_body,
            at,
        },
    }
}
