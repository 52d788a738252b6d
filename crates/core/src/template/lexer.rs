//! Splits a template into text and tags, following the current delimiters and applying the
//! Mustache standalone-line rule: a section, inverted, closing, `else`, comment, partial or
//! set-delimiter tag alone on its line (only spaces or tabs around it) takes the whole line with
//! it, newline included; a standalone partial keeps the line's indentation to indent its lines.

use super::error::{ErrorKind, TemplateError};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TagKind {
    /// `{{x}}`, also `{{else}}` and helper calls.
    Interp,
    /// `{{{x}}}` or `{{& x}}`.
    Raw,
    /// `{{#x}}`.
    Section,
    /// `{{^x}}` (`{{^}}` alone is Handlebars' `else`).
    Inverted,
    /// `{{/x}}`.
    Close,
    /// `{{> x}}`.
    Partial,
    /// `{{! x}}`.
    Comment,
    /// `{{=<% %>=}}`.
    Delimiters,
}

#[derive(Clone, Debug)]
pub(crate) enum Token<'s> {
    /// Literal text and its byte offset.
    Text(&'s str, usize),
    Tag {
        kind: TagKind,
        /// The tag's content, without delimiters, sigil or surrounding whitespace.
        body: &'s str,
        /// Byte offset of the tag's opening delimiter.
        at: usize,
        /// Byte offset of `body`.
        body_at: usize,
        /// For a standalone partial, the whitespace that preceded it on its line.
        indent: &'s str,
    },
}

pub(crate) fn lex<'s>(name: &str, src: &'s str) -> Result<Vec<Token<'s>>, TemplateError> {
    let mut open = String::from("{{");
    let mut close = String::from("}}");
    let mut tokens = Vec::new();
    let mut pos = 0;
    let tail = |from: usize| src.get(from..).unwrap_or("");
    while pos < src.len() {
        let Some(rel) = tail(pos).find(open.as_str()) else {
            tokens.push(Token::Text(tail(pos), pos));
            break;
        };
        let start = pos + rel;
        let mut cur = start + open.len();
        let (kind, close_pat) = match tail(cur).chars().next() {
            Some('{') => (TagKind::Raw, format!("}}{close}")),
            Some('&') => (TagKind::Raw, close.clone()),
            Some('#') => (TagKind::Section, close.clone()),
            Some('^') => (TagKind::Inverted, close.clone()),
            Some('/') => (TagKind::Close, close.clone()),
            Some('>') => (TagKind::Partial, close.clone()),
            Some('!') => (TagKind::Comment, close.clone()),
            Some('=') => (TagKind::Delimiters, format!("={close}")),
            _ => (TagKind::Interp, close.clone()),
        };
        if kind != TagKind::Interp {
            cur += 1;
        }
        // Handlebars' `{{!-- ... --}}` comments may contain `}}`.
        let close_pat = if kind == TagKind::Comment && tail(cur).starts_with("--") {
            format!("--{close}")
        } else {
            close_pat
        };
        let Some(end_rel) = tail(cur).find(close_pat.as_str()) else {
            return Err(TemplateError::new(
                name,
                src,
                start,
                ErrorKind::UnclosedTag(close_pat),
            ));
        };
        let raw_body = src.get(cur..cur + end_rel).unwrap_or("");
        let body = raw_body.trim();
        let body_at = cur + (raw_body.len() - raw_body.trim_start().len());
        let end = cur + end_rel + close_pat.len();

        let standalone_kind = match kind {
            TagKind::Interp => body == "else" || body.starts_with("else "),
            TagKind::Raw => false,
            _ => true,
        };
        let standalone = if standalone_kind {
            line_start(src, start)
                .filter(|&ls| ls >= pos)
                .zip(line_end(src, end))
        } else {
            None
        };
        let (text_end, next, indent) = match standalone {
            Some((ls, le)) => (ls, le, src.get(ls..start).unwrap_or("")),
            None => (start, end, ""),
        };
        if text_end > pos {
            tokens.push(Token::Text(src.get(pos..text_end).unwrap_or(""), pos));
        }
        if kind == TagKind::Delimiters {
            let mut parts = body.split_whitespace();
            match (parts.next(), parts.next(), parts.next()) {
                (Some(o), Some(c), None) if !o.contains('=') && !c.contains('=') => {
                    open = o.to_string();
                    close = c.to_string();
                }
                _ => {
                    let msg = format!("expected `{{{{=open close=}}}}`, found `{body}`");
                    return Err(TemplateError::new(
                        name,
                        src,
                        start,
                        ErrorKind::InvalidDelimiters(msg),
                    ));
                }
            }
        } else if kind != TagKind::Comment {
            tokens.push(Token::Tag {
                kind,
                body,
                at: start,
                body_at,
                indent,
            });
        }
        pos = next;
    }
    Ok(tokens)
}

/// If only spaces and tabs precede `at` on its line, the offset where the line starts.
fn line_start(src: &str, at: usize) -> Option<usize> {
    let before = src.get(..at)?;
    let trimmed = before.trim_end_matches([' ', '\t']);
    (trimmed.is_empty() || trimmed.ends_with('\n')).then_some(trimmed.len())
}

/// If only spaces and tabs follow `at` up to the end of its line, the offset just past the
/// line's newline (or the end of the source).
fn line_end(src: &str, at: usize) -> Option<usize> {
    let after = src.get(at..)?;
    let trimmed = after.trim_start_matches([' ', '\t']);
    let skipped = at + (after.len() - trimmed.len());
    if trimmed.is_empty() {
        Some(src.len())
    } else if trimmed.starts_with("\r\n") {
        Some(skipped + 2)
    } else if trimmed.starts_with('\n') {
        Some(skipped + 1)
    } else {
        None
    }
}
