//! Errors for compiling and rendering templates, and the non-fatal diagnostics of a render.
//!
//! Every error names its template and carries a 1-based line and column; its `Display` draws
//! the offending source line with a caret under the column, in the style of `regex-syntax`:
//!
//! ```text
//! template 'card', line 2, column 5: unclosed section `items`
//!   |
//! 2 | <ul>{{#items}}
//!   |     ^
//! ```

use std::fmt;

use thiserror::Error;

/// What went wrong, without the location (see [`TemplateError`]).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A tag was opened but its closing delimiter never appears.
    #[error("unclosed tag: expected `{0}`")]
    UnclosedTag(String),
    /// A section or block was opened and never closed.
    #[error("unclosed section `{0}`")]
    UnclosedSection(String),
    /// A closing tag that does not match the innermost open section.
    #[error("closing tag `{found}` does not match the open section `{expected}`")]
    MismatchedClose {
        /// The section that is open.
        expected: String,
        /// The name in the closing tag.
        found: String,
    },
    /// A closing tag with no section open.
    #[error("closing tag `{0}` without an open section")]
    UnexpectedClose(String),
    /// `{{else}}` outside of a section or block, or after the final `{{else}}`.
    #[error("`{{{{else}}}}` outside of a block, or after the block's final `{{{{else}}}}`")]
    UnexpectedElse,
    /// A malformed tag body: bad path, bad literal, unbalanced parentheses...
    #[error("invalid tag: {0}")]
    InvalidTag(String),
    /// A `{{=<% %>=}}` tag that does not give two delimiters.
    #[error("invalid set-delimiter tag: {0}")]
    InvalidDelimiters(String),
    /// An `{{#if}}` argument in the condition language (see [`crate::expr`]) that does not
    /// parse; the error is located at the offending token of the argument.
    #[error("invalid condition: {0}")]
    InvalidCondition(crate::expr::ParseErrorKind),
    /// A helper name that the helper library does not have.
    #[error("unknown helper `{0}`")]
    UnknownHelper(String),
    /// In a template compiled as HTML, a value (`{{x}}`), raw output or partial where data
    /// could run script or change the markup: an unquoted attribute value, an event handler, a
    /// `style` attribute, a `<script>` or `<style>` body, a comment, a tag or attribute name...
    /// (see [`Template::compile_html`](super::Template::compile_html)).
    #[error("unsafe place for a value in HTML: {0}")]
    UnsafeHtmlContext(String),
    /// In a bundle, `{{> name}}` names a partial that the bundle's `partials` do not have
    /// (and the template does not define inline). Outside bundles a missing partial renders
    /// as empty, with [`DiagnosticKind::MissingPartial`], as the Mustache spec requires.
    #[error("unknown partial `{0}` (not in the bundle's partials)")]
    MissingPartial(String),
    /// The template is larger than the compiler accepts (4 GiB).
    #[error("template too large")]
    TooLarge,
    /// A helper failed (bad argument types, division by zero, bad time zone...).
    #[error("helper `{helper}`: {message}")]
    Helper {
        /// The helper's name.
        helper: String,
        /// Why it failed.
        message: String,
    },
    /// The render used more work units than [`RenderOptions::fuel`](super::RenderOptions::fuel).
    #[error("out of fuel: the render needed more than {0} work units")]
    OutOfFuel(u64),
    /// Sections, blocks and partials nested deeper than the limit (often a recursive partial).
    #[error("nesting deeper than {limit} levels{}", partial_note(.partial))]
    TooDeep {
        /// The depth limit.
        limit: usize,
        /// The partial being entered when the limit was hit, if it was a partial.
        partial: Option<String>,
    },
    /// The output grew past [`RenderOptions::max_output`](super::RenderOptions::max_output).
    #[error("output larger than {0} bytes")]
    OutputTooLarge(usize),
}

fn partial_note(partial: &Option<String>) -> String {
    match partial {
        Some(name) => format!(" while entering partial `{name}` (recursive partial?)"),
        None => String::new(),
    }
}

/// A compile or render error, located in a named template. (Boxed, so results stay small.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    inner: Box<Located>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Located {
    template: String,
    line: u32,
    column: u32,
    kind: ErrorKind,
    source_line: String,
}

impl TemplateError {
    pub(crate) fn new(template: &str, src: &str, offset: usize, kind: ErrorKind) -> Self {
        let (line, column, source_line) = locate(src, offset);
        let inner = Located {
            template: template.to_string(),
            line,
            column,
            kind,
            source_line,
        };
        TemplateError {
            inner: Box::new(inner),
        }
    }

    /// The name of the template (or partial) in which the error occurred.
    pub fn template(&self) -> &str {
        &self.inner.template
    }

    /// 1-based line.
    pub fn line(&self) -> u32 {
        self.inner.line
    }

    /// 1-based column, counted in characters.
    pub fn column(&self) -> u32 {
        self.inner.column
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.inner.kind
    }

    /// The error on one line, `line L, column C: what`, as a bundle problem shows it after its
    /// pointer (the `Display` form also names the template and draws the line with a caret).
    pub fn brief(&self) -> String {
        let e = &self.inner;
        format!("line {}, column {}: {}", e.line, e.column, e.kind)
    }
}

/// Line, column (both 1-based) and the text of the line that holds byte `offset` of `src`.
pub(crate) fn locate(src: &str, offset: usize) -> (u32, u32, String) {
    let mut offset = offset.min(src.len());
    while !src.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = src.get(..offset).unwrap_or("");
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line_end = src
        .get(offset..)
        .and_then(|s| s.find('\n'))
        .map_or(src.len(), |i| offset + i);
    let line = before.matches('\n').count() + 1;
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    let text = src
        .get(line_start..line_end)
        .unwrap_or("")
        .trim_end_matches('\r')
        .to_string();
    (
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(column).unwrap_or(u32::MAX),
        text,
    )
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = &self.inner;
        writeln!(
            f,
            "template '{}', line {}, column {}: {}",
            e.template, e.line, e.column, e.kind
        )?;
        let number = e.line.to_string();
        let gutter = " ".repeat(number.len());
        // Tabs would misplace the caret; draw them as single spaces.
        let text: String = e
            .source_line
            .chars()
            .map(|c| if c == '\t' { ' ' } else { c })
            .collect();
        let pad = " ".repeat(e.column.saturating_sub(1) as usize);
        writeln!(f, "{gutter} |")?;
        writeln!(f, "{number} | {text}")?;
        write!(f, "{gutter} | {pad}^")
    }
}

impl std::error::Error for TemplateError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.inner.kind)
    }
}

/// A non-fatal finding of a render, for previews: a missing value, a missing partial, an unknown
/// locale that fell back to `en-US`, a URL replaced by the safe placeholder...
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The template (or partial) in which it happened.
    pub template: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// What happened.
    pub kind: DiagnosticKind,
}

/// The kinds of [`Diagnostic`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DiagnosticKind {
    /// A path that resolved to nothing; it rendered as empty (the Mustache rule).
    MissingValue(String),
    /// A partial that the [`Partials`](super::Partials) do not have; it rendered as empty.
    MissingPartial(String),
    /// A helper's warning, e.g. an unknown locale that fell back to `en-US`.
    Helper {
        /// The helper's name.
        helper: String,
        /// The warning.
        message: String,
    },
    /// An `{{#if}}` condition-language expression noted something while evaluating (a type
    /// mismatch, an invalid timestamp...); it took the documented fallback.
    Condition(crate::expr::Diagnostic),
    /// In the `Url` context, or for a value at the start of a URL attribute of a template
    /// compiled as HTML, the URL had a scheme that is not allowed; it was replaced by
    /// [`UNSAFE_URL`](super::UNSAFE_URL).
    UnsafeUrl,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "template '{}', line {}, column {}: ",
            self.template, self.line, self.column
        )?;
        match &self.kind {
            DiagnosticKind::MissingValue(p) => write!(f, "missing value `{p}`"),
            DiagnosticKind::MissingPartial(p) => write!(f, "missing partial `{p}`"),
            DiagnosticKind::Helper { helper, message } => write!(f, "helper `{helper}`: {message}"),
            DiagnosticKind::Condition(d) => write!(f, "condition: {d}"),
            DiagnosticKind::UnsafeUrl => write!(f, "unsafe URL replaced by a placeholder"),
        }
    }
}
