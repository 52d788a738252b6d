//! Parses the inside of a tag into an [`Expr`]: a path (`a.b`, `.`, `this`, `../x`, `@index`,
//! `@root.x`), a literal (`"text"`, `'text'`, `3`, `-1.5`, `true`, `false`, `null`), or a helper
//! call `name arg "lit" 3 key=value` whose arguments may be sub-expressions `(name ...)`.
//! A value may be piped through helpers, Liquid-style: `a.b | default: "x" | truncate: 20, "…"`
//! is `truncate (default a.b "x") 20 "…"` (commas between arguments are optional; pipes
//! are allowed at the top level of a tag only, not inside `( )`).

use serde_json::{Number, Value};

use super::ast::{Call, Expr, Path, PathBase};
use super::helpers;

/// A parse failure: byte offset (absolute) and message.
pub(crate) type ArgError = (usize, String);

/// Sub-expressions nest at most this deep.
const MAX_PARENS: usize = 32;

#[derive(Debug)]
enum Tok<'s> {
    Word(&'s str),
    Str(String),
    Open,
    Close,
    Key(&'s str),
    Pipe,
}

fn tokenize(body: &str, base: usize) -> Result<Vec<(Tok<'_>, usize)>, ArgError> {
    let mut out = Vec::new();
    let mut chars = body.char_indices().peekable();
    while let Some(&(i, c)) = chars.peek() {
        if c.is_whitespace() || c == ',' {
            chars.next();
        } else if c == '|' {
            chars.next();
            out.push((Tok::Pipe, base + i));
        } else if c == '(' || c == ')' {
            chars.next();
            out.push((if c == '(' { Tok::Open } else { Tok::Close }, base + i));
        } else if c == '"' || c == '\'' {
            chars.next();
            let mut s = String::new();
            let mut closed = false;
            while let Some((_, d)) = chars.next() {
                if d == '\\' {
                    if let Some((_, e)) = chars.next() {
                        s.push(e);
                    }
                } else if d == c {
                    closed = true;
                    break;
                } else {
                    s.push(d);
                }
            }
            if !closed {
                return Err((base + i, "unterminated string literal".into()));
            }
            out.push((Tok::Str(s), base + i));
        } else {
            let mut end = body.len();
            let mut key = false;
            while let Some(&(j, d)) = chars.peek() {
                if d == '[' {
                    // A `[literal segment]` may hold spaces, quotes and parentheses.
                    for (_, e) in chars.by_ref() {
                        if e == ']' {
                            break;
                        }
                    }
                    continue;
                }
                if d.is_whitespace() || matches!(d, '(' | ')' | '"' | '\'' | '|' | ',') {
                    end = j;
                    break;
                }
                chars.next();
                if d == '=' {
                    end = j;
                    key = true;
                    break;
                }
            }
            let word = body.get(i..end).unwrap_or("");
            if key {
                if word.is_empty() {
                    return Err((base + i, "`=` without a key".into()));
                }
                out.push((Tok::Key(word), base + i));
            } else {
                out.push((Tok::Word(word), base + i));
            }
        }
    }
    Ok(out)
}

/// Parses a whole tag body: a single value, or a helper call with its arguments.
pub(crate) fn parse_expr(body: &str, base: usize) -> Result<Expr, ArgError> {
    let mut depth = 0usize;
    for (i, c) in body.char_indices() {
        depth = match c {
            '(' => depth + 1,
            ')' => depth.saturating_sub(1),
            _ => depth,
        };
        if depth > MAX_PARENS {
            return Err((
                base + i,
                format!("sub-expressions nested deeper than {MAX_PARENS}"),
            ));
        }
    }
    let toks = tokenize(body, base)?;
    let mut segments = toks.split(|(t, _)| matches!(t, Tok::Pipe));
    let first = segments.next().unwrap_or(&[]);
    let mut i = 0;
    let mut expr = match first.first() {
        None => return Err((base, "empty tag".into())),
        Some((Tok::Word(w), at)) if first.len() > 1 && !is_literal(w) => {
            i = 1;
            parse_call(w, *at, first, &mut i, false, None)?
        }
        _ => parse_value(first, &mut i)?,
    };
    if let Some((_, at)) = first.get(i) {
        return Err((
            *at,
            "unexpected token after the value (is it a helper call?)".into(),
        ));
    }
    for seg in segments {
        let Some((Tok::Word(w), at)) = seg.first() else {
            let at = seg.first().map_or(base + body.len(), |(_, at)| *at);
            return Err((at, "expected a helper name after `|`".into()));
        };
        let mut i = 1;
        expr = parse_call(w.trim_end_matches(':'), *at, seg, &mut i, false, Some(expr))?;
    }
    Ok(expr)
}

/// A tag body that is a single literal (`"foo bar"`, `'x'`, `12`, `true`, `null`): the key
/// Handlebars looks up for it when it stands alone in a `{{tag}}` (`{{"foo bar"}}` is
/// `{{[foo bar]}}`).
pub(crate) fn literal_key(body: &str, base: usize) -> Result<Option<String>, ArgError> {
    let toks = tokenize(body, base)?;
    Ok(match toks.as_slice() {
        [(Tok::Str(s), _)] => Some(s.clone()),
        [(Tok::Word(w), _)] if is_literal(w) => Some((*w).to_string()),
        _ => None,
    })
}

/// Parses the arguments of a partial tag after its name: at most one context value, then
/// `key=value` pairs.
pub(crate) fn parse_partial_args(body: &str, base: usize) -> Result<PartialArgs, ArgError> {
    let toks = tokenize(body, base)?;
    let mut i = 0;
    let mut context = None;
    let mut hash = Vec::new();
    while let Some((tok, at)) = toks.get(i) {
        if let Tok::Key(k) = tok {
            i += 1;
            hash.push((Box::from(*k), parse_value(&toks, &mut i)?));
        } else if context.is_none() && hash.is_empty() {
            context = Some(parse_value(&toks, &mut i)?);
        } else {
            return Err((
                *at,
                "a partial takes one context value, then `key=value` pairs".into(),
            ));
        }
    }
    Ok((context, hash))
}

/// A partial tag's context value and `key=value` arguments.
pub(crate) type PartialArgs = (Option<Expr>, Vec<(Box<str>, Expr)>);

fn is_literal(w: &str) -> bool {
    matches!(w, "true" | "false" | "null") || number(w).is_some()
}

fn parse_call(
    name: &str,
    at: usize,
    toks: &[(Tok<'_>, usize)],
    i: &mut usize,
    nested: bool,
    piped: Option<Expr>,
) -> Result<Expr, ArgError> {
    let func = helpers::lookup(name).ok_or_else(|| (at, format!("unknown helper `{name}`")))?;
    let mut args: Vec<Expr> = piped.into_iter().collect();
    let mut hash = Vec::new();
    loop {
        match toks.get(*i) {
            None if nested => return Err((at, "unclosed `(`".into())),
            None => break,
            Some((Tok::Close, _)) if nested => {
                *i += 1;
                break;
            }
            Some((Tok::Key(k), _)) => {
                *i += 1;
                let value = parse_value(toks, i)?;
                hash.push((Box::from(*k), value));
            }
            Some(_) => args.push(parse_value(toks, i)?),
        }
    }
    let at = u32::try_from(at).unwrap_or(u32::MAX);
    Ok(Expr::Call(Box::new(Call {
        name: name.into(),
        func,
        args,
        hash,
        at,
    })))
}

fn parse_value(toks: &[(Tok<'_>, usize)], i: &mut usize) -> Result<Expr, ArgError> {
    let Some((tok, at)) = toks.get(*i) else {
        let end = toks.last().map_or(0, |(_, at)| *at);
        return Err((end, "expected a value".into()));
    };
    *i += 1;
    match tok {
        Tok::Str(s) => Ok(Expr::Literal(Value::String(s.clone()))),
        Tok::Open => match toks.get(*i) {
            Some((Tok::Word(name), name_at)) => {
                *i += 1;
                parse_call(name, *name_at, toks, i, true, None)
            }
            _ => Err((*at, "expected a helper name after `(`".into())),
        },
        Tok::Close => Err((*at, "unexpected `)`".into())),
        Tok::Key(_) => Err((*at, "unexpected `key=` here".into())),
        Tok::Pipe => Err((*at, "unexpected `|`".into())),
        Tok::Word(w) => match *w {
            "true" => Ok(Expr::Literal(Value::Bool(true))),
            "false" => Ok(Expr::Literal(Value::Bool(false))),
            "null" => Ok(Expr::Literal(Value::Null)),
            _ => match number(w) {
                Some(n) => Ok(Expr::Literal(Value::Number(n))),
                None => parse_path(w, *at).map(Expr::Path),
            },
        },
    }
}

fn number(w: &str) -> Option<Number> {
    let digits = w.strip_prefix('-').unwrap_or(w);
    if !digits.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    if let Ok(n) = w.parse::<i64>() {
        return Some(n.into());
    }
    crate::num::parse_f64(w).and_then(Number::from_f64)
}

/// One segment of a path as written: a name, a `[literal]` name, or `.`, `..`, `this`.
enum Seg<'w> {
    Name(&'w str),
    Literal(&'w str),
    This,
    Up,
}

/// Splits a path at its separators (`.` or the legacy `/`), keeping `[literal segments]`
/// whole (they may hold any character but `]`).
fn segments(w: &str) -> Result<Vec<Seg<'_>>, &'static str> {
    let mut out = Vec::new();
    let mut rest = w;
    loop {
        let (seg, after) = if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']').ok_or("unclosed `[`")?;
            (
                Seg::Literal(r.get(..end).unwrap_or("")),
                r.get(end + 1..).unwrap_or(""),
            )
        } else {
            let end = rest.find(['.', '/']).unwrap_or(rest.len());
            let (head, tail) = rest.split_at(end);
            let leading = out.iter().all(|s| matches!(s, Seg::Up | Seg::This));
            if head.is_empty() && leading && tail.starts_with("..") {
                (Seg::Up, tail.get(2..).unwrap_or(""))
            } else if head.is_empty() && leading && tail.starts_with('.') {
                (Seg::This, tail.get(1..).unwrap_or(""))
            } else if head.is_empty() {
                return Err("empty segment");
            } else if head.contains(['[', ']', '{', '}', '=', '@', '~', '"', '\'']) {
                return Err("unexpected character");
            } else if head == "this" {
                (Seg::This, tail)
            } else {
                (Seg::Name(head), tail)
            }
        };
        out.push(seg);
        if after.is_empty() {
            return Ok(out);
        }
        rest = after
            .strip_prefix(['.', '/'])
            .ok_or("expected `.` or `/` after `]`")?;
        if rest.is_empty() {
            return Err("a separator ends the path");
        }
    }
}

/// Parses a path such as `a.b`, `a/b`, `[a b].c`, `arr.[0]`, `.`, `this.x`, `this/x`,
/// `../x`, `@index`, `@../index`, `@root.x`. `.`, `..` and `this` may only start a path.
pub(crate) fn parse_path(w: &str, at: usize) -> Result<Path, ArgError> {
    let text: Box<str> = w.into();
    let bad = |msg: &str| Err((at, format!("{msg} in path `{w}`")));
    let (data, body) = match w.strip_prefix('@') {
        Some(rest) => (true, rest),
        None => (false, w),
    };
    let segs = match segments(body) {
        Ok(segs) => segs,
        Err(msg) => return bad(msg),
    };
    let mut up = 0;
    let mut scoped = false;
    let mut names: Vec<Box<str>> = Vec::new();
    for seg in segs {
        match seg {
            Seg::Up | Seg::This if !names.is_empty() => {
                return bad("`.`, `..` and `this` may only start a path");
            }
            Seg::Up => {
                up += 1;
                scoped = true;
            }
            Seg::This => scoped = true,
            Seg::Name(n) | Seg::Literal(n) => names.push(n.into()),
        }
    }
    if data {
        let mut names = names.into_iter();
        let first = names.next();
        if first.as_deref() == Some("root") && up == 0 {
            return Ok(Path {
                base: PathBase::Root,
                up: 0,
                segs: names.collect(),
                text,
            });
        }
        return match first.as_deref() {
            Some("index" | "first" | "last" | "key") if names.len() == 0 => Ok(Path {
                base: PathBase::Data,
                up,
                segs: first.into_iter().collect(),
                text,
            }),
            Some("partial-block") if names.len() == 0 && up == 0 => Err((
                at,
                "`@partial-block` is a partial (`{{> @partial-block}}`) or the whole argument of \
                 `#if` / `#unless` (`{{#if @partial-block}}`), not a value"
                    .into(),
            )),
            _ => bad("unknown data variable (expected @index, @first, @last, @key or @root)"),
        };
    }
    Ok(Path {
        base: if scoped {
            PathBase::This
        } else {
            PathBase::Stack
        },
        up,
        segs: names,
        text,
    })
}
