//! Tokenizer for the text language.

use serde_json::{Number, Value};

use super::error::{ParseError, ParseErrorKind, Span};

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tok {
    Num(Value),
    Str(String),
    Ident(String),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Dot,
    EqEq,
    NotEq,
    Lt,
    Le,
    Gt,
    Ge,
    AndAnd,
    OrOr,
    Bang,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Eof,
}

impl Tok {
    pub(crate) fn describe(&self) -> String {
        match self {
            Tok::Num(n) => format!("number `{n}`"),
            Tok::Str(_) => "string".to_owned(),
            Tok::Ident(s) => format!("`{s}`"),
            Tok::Eof => "end of input".to_owned(),
            other => format!("`{}`", other.symbol()),
        }
    }

    fn symbol(&self) -> &'static str {
        match self {
            Tok::LParen => "(",
            Tok::RParen => ")",
            Tok::LBracket => "[",
            Tok::RBracket => "]",
            Tok::Comma => ",",
            Tok::Dot => ".",
            Tok::EqEq => "==",
            Tok::NotEq => "!=",
            Tok::Lt => "<",
            Tok::Le => "<=",
            Tok::Gt => ">",
            Tok::Ge => ">=",
            Tok::AndAnd => "&&",
            Tok::OrOr => "||",
            Tok::Bang => "!",
            Tok::Plus => "+",
            Tok::Minus => "-",
            Tok::Star => "*",
            Tok::Slash => "/",
            Tok::Percent => "%",
            _ => "?",
        }
    }
}

/// A token with its byte range.
#[derive(Clone, Debug)]
pub(crate) struct Token {
    pub tok: Tok,
    pub start: usize,
    pub end: usize,
}

pub(crate) fn error(src: &str, kind: ParseErrorKind, start: usize, end: usize) -> ParseError {
    ParseError {
        kind,
        span: Span::at(src, start, end.saturating_sub(start)),
        source: src.to_owned(),
    }
}

/// Splits `src` into tokens, ending with `Eof`.
pub(crate) fn tokenize(src: &str) -> Result<Vec<Token>, ParseError> {
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let start = i;
        let two = |second: u8| bytes.get(i + 1) == Some(&second);
        let (tok, len) = match b {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            b'(' => (Tok::LParen, 1),
            b')' => (Tok::RParen, 1),
            b'[' => (Tok::LBracket, 1),
            b']' => (Tok::RBracket, 1),
            b',' => (Tok::Comma, 1),
            b'.' => (Tok::Dot, 1),
            b'+' => (Tok::Plus, 1),
            b'-' => (Tok::Minus, 1),
            b'*' => (Tok::Star, 1),
            b'/' => (Tok::Slash, 1),
            b'%' => (Tok::Percent, 1),
            b'=' if two(b'=') => (Tok::EqEq, 2),
            b'!' if two(b'=') => (Tok::NotEq, 2),
            b'!' => (Tok::Bang, 1),
            b'<' if two(b'=') => (Tok::Le, 2),
            b'<' => (Tok::Lt, 1),
            b'>' if two(b'=') => (Tok::Ge, 2),
            b'>' => (Tok::Gt, 1),
            b'&' if two(b'&') => (Tok::AndAnd, 2),
            b'|' if two(b'|') => (Tok::OrOr, 2),
            b'"' | b'\'' => {
                let (s, end) = string(src, i, b)?;
                i = end;
                out.push(Token {
                    tok: Tok::Str(s),
                    start,
                    end,
                });
                continue;
            }
            b'0'..=b'9' => {
                let (v, end) = number(src, i)?;
                i = end;
                out.push(Token {
                    tok: Tok::Num(v),
                    start,
                    end,
                });
                continue;
            }
            b if b.is_ascii_alphabetic() || b == b'_' || b == b'$' => {
                let mut end = i;
                while bytes
                    .get(end)
                    .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'$')
                {
                    end += 1;
                }
                let name = src.get(i..end).unwrap_or("").to_owned();
                i = end;
                out.push(Token {
                    tok: Tok::Ident(name),
                    start,
                    end,
                });
                continue;
            }
            _ => {
                let c = src.get(i..).and_then(|s| s.chars().next()).unwrap_or('?');
                return Err(error(
                    src,
                    ParseErrorKind::UnexpectedChar(c),
                    i,
                    i + c.len_utf8(),
                ));
            }
        };
        i += len;
        out.push(Token { tok, start, end: i });
    }
    out.push(Token {
        tok: Tok::Eof,
        start: src.len(),
        end: src.len(),
    });
    Ok(out)
}

fn number(src: &str, start: usize) -> Result<(Value, usize), ParseError> {
    let bytes = src.as_bytes();
    let digits = |mut i: usize| {
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        i
    };
    let mut end = digits(start);
    let mut integral = true;
    if bytes.get(end) == Some(&b'.') && bytes.get(end + 1).is_some_and(u8::is_ascii_digit) {
        end = digits(end + 1);
        integral = false;
    }
    if matches!(bytes.get(end), Some(b'e' | b'E')) {
        let mut j = end + 1;
        if matches!(bytes.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        if bytes.get(j).is_some_and(u8::is_ascii_digit) {
            end = digits(j);
            integral = false;
        }
    }
    let text = src.get(start..end).unwrap_or("");
    let bad = || error(src, ParseErrorKind::InvalidNumber, start, end);
    if integral && let Ok(i) = text.parse::<i64>() {
        return Ok((Value::Number(Number::from(i)), end));
    }
    let f = crate::num::parse_f64(text).ok_or_else(bad)?;
    let n = Number::from_f64(f).ok_or_else(bad)?;
    Ok((Value::Number(n), end))
}

fn string(src: &str, start: usize, quote: u8) -> Result<(String, usize), ParseError> {
    let mut out = String::new();
    let mut chars = src.get(start + 1..).unwrap_or("").char_indices().peekable();
    let abs = |rel: usize| start + 1 + rel;
    while let Some((rel, c)) = chars.next() {
        match c {
            c if c as u32 == u32::from(quote) => return Ok((out, abs(rel) + 1)),
            '\\' => {
                let bad = |len| error(src, ParseErrorKind::InvalidEscape, abs(rel), abs(rel) + len);
                let Some((_, e)) = chars.next() else {
                    return Err(error(
                        src,
                        ParseErrorKind::UnterminatedString,
                        start,
                        start + 1,
                    ));
                };
                match e {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    '0' => out.push('\0'),
                    '\\' | '"' | '\'' | '/' => out.push(e),
                    'u' => {
                        let hex = |chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>| {
                            let mut v = 0u32;
                            for _ in 0..4 {
                                let d = chars.next().and_then(|(_, c)| c.to_digit(16))?;
                                v = v * 16 + d;
                            }
                            Some(v)
                        };
                        let hi = hex(&mut chars).ok_or_else(|| bad(2))?;
                        let code = if (0xD800..0xDC00).contains(&hi) {
                            // A high surrogate must be followed by `\uDC00`..`\uDFFF`.
                            let lo = match (chars.next(), chars.next()) {
                                (Some((_, '\\')), Some((_, 'u'))) => hex(&mut chars),
                                _ => None,
                            }
                            .filter(|lo| (0xDC00..0xE000).contains(lo))
                            .ok_or_else(|| bad(6))?;
                            0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                        } else {
                            hi
                        };
                        out.push(char::from_u32(code).ok_or_else(|| bad(6))?);
                    }
                    _ => return Err(bad(1 + e.len_utf8())),
                }
            }
            c => out.push(c),
        }
    }
    Err(error(
        src,
        ParseErrorKind::UnterminatedString,
        start,
        start + 1,
    ))
}
