//! Splits a template into text and tags, following the current delimiters and applying the
//! Mustache standalone-line rule: a section, inverted, closing, `else`, comment, partial or
//! set-delimiter tag alone on its line (only spaces or tabs around it) takes the whole line with
//! it, newline included; a standalone partial keeps the line's indentation to indent its lines.
//!
//! Handlebars' whitespace control: a `~` just inside a tag's delimiters (`{{~x}}`, `{{x~}}`,
//! `{{~#if}}`, `{{/if~}}`, `{{~else~}}`, `{{~^~}}`, `{{~> p~}}`, `{{~{x}~}}`, `{{!-- --~}}`)
//! removes all whitespace, newlines included, from that side of the adjacent text (the text
//! between this tag and the previous or next one). It applies after the standalone rule.
//! With the default delimiters, `\{{` is literal text (up to the next tag) and `\\{{` is one
//! backslash followed by a tag, as in Handlebars.

use std::mem;

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
    // Where to look for the next tag: past `pos` after an escaped `\{{`, whose text runs on.
    let mut search = 0;
    // Whether the previous tag ended in `~`: the next text loses its leading whitespace.
    let mut strip_next = false;
    let tail = |from: usize| src.get(from..).unwrap_or("");
    while pos < src.len() {
        let Some(rel) = tail(search).find(open.as_str()) else {
            push_text(
                &mut tokens,
                src,
                pos,
                src.len(),
                mem::take(&mut strip_next),
                false,
            );
            break;
        };
        let start = search + rel;
        // Handlebars' escapes (with the default delimiters): `\{{` is literal text up to the
        // next tag, `\\{{` is one backslash and a tag.
        if open == "{{" && start > pos && src.as_bytes().get(start - 1) == Some(&b'\\') {
            let doubled = start > pos + 1 && src.as_bytes().get(start - 2) == Some(&b'\\');
            let strip = mem::take(&mut strip_next);
            push_text(&mut tokens, src, pos, start - 1, strip, false);
            pos = start;
            if !doubled {
                search = start + open.len();
                continue;
            }
        }
        let mut cur = start + open.len();
        // Whitespace control: `{{~` strips the whitespace before the tag.
        let strip_before = tail(cur).starts_with('~');
        if strip_before {
            cur += 1;
        }
        let (kind, close_pats) = match tail(cur).chars().next() {
            Some('{') => (
                TagKind::Raw,
                vec![format!("}}{close}"), format!("}}~{close}")],
            ),
            Some('&') => (TagKind::Raw, vec![close.clone()]),
            Some('#') => (TagKind::Section, vec![close.clone()]),
            Some('^') => (TagKind::Inverted, vec![close.clone()]),
            Some('/') => (TagKind::Close, vec![close.clone()]),
            Some('>') => (TagKind::Partial, vec![close.clone()]),
            Some('!') => (TagKind::Comment, vec![close.clone()]),
            Some('=') if !strip_before => (TagKind::Delimiters, vec![format!("={close}")]),
            _ => (TagKind::Interp, vec![close.clone()]),
        };
        if kind != TagKind::Interp {
            cur += 1;
        }
        // Handlebars' `{{!-- ... --}}` comments may contain `}}`.
        let close_pats = if kind == TagKind::Comment && tail(cur).starts_with("--") {
            vec![format!("--{close}"), format!("--~{close}")]
        } else {
            close_pats
        };
        let Some((end_rel, close_pat)) = close_pats
            .iter()
            .filter_map(|p| tail(cur).find(p.as_str()).map(|at| (at, p)))
            .min_by_key(|(at, _)| *at)
        else {
            let expected = close_pats.first().cloned().unwrap_or_default();
            return Err(TemplateError::new(
                name,
                src,
                start,
                ErrorKind::UnclosedTag(expected),
            ));
        };
        let mut raw_body = src.get(cur..cur + end_rel).unwrap_or("");
        let end = cur + end_rel + close_pat.len();
        // `~}}` (and `}~}}`, `--~}}`) strips the whitespace after the tag.
        let strip_after = if kind == TagKind::Delimiters {
            false
        } else if close_pat.contains('~') {
            true
        } else if let Some(b) = raw_body.strip_suffix('~') {
            raw_body = b;
            true
        } else {
            false
        };
        let body = raw_body.trim();
        let body_at = cur + (raw_body.len() - raw_body.trim_start().len());

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
            // A `~` before a standalone partial strips its indentation too (Handlebars).
            Some((ls, le)) if strip_before => (ls, le, ""),
            Some((ls, le)) => (ls, le, src.get(ls..start).unwrap_or("")),
            None => (start, end, ""),
        };
        let strip = mem::take(&mut strip_next);
        push_text(&mut tokens, src, pos, text_end, strip, strip_before);
        strip_next = strip_after;
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
        search = next;
    }
    Ok(tokens)
}

/// Pushes the text `src[from..to]`, without its leading whitespace (newlines included) if
/// `strip_start` and its trailing whitespace if `strip_end` (Handlebars' `~`).
fn push_text<'s>(
    tokens: &mut Vec<Token<'s>>,
    src: &'s str,
    from: usize,
    to: usize,
    strip_start: bool,
    strip_end: bool,
) {
    let mut text = src.get(from..to).unwrap_or("");
    let mut at = from;
    if strip_start {
        let trimmed = text.trim_start();
        at += text.len() - trimmed.len();
        text = trimmed;
    }
    if strip_end {
        text = text.trim_end();
    }
    if !text.is_empty() {
        tokens.push(Token::Text(text, at));
    }
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
