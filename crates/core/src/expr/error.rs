//! Compile errors (text and JsonLogic) and evaluation diagnostics.

use std::fmt;

/// A position in the source text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    /// Byte offset of the start.
    pub offset: usize,
    /// Byte length (at least 1 when pointing at a token, 0 at the end of input).
    pub len: usize,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
}

impl Span {
    pub(crate) fn at(src: &str, offset: usize, len: usize) -> Span {
        let offset = offset.min(src.len());
        let before = src.get(..offset).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
        Span {
            offset,
            len,
            line,
            column,
        }
    }
}

/// What went wrong while parsing the text language.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseErrorKind {
    #[error("unexpected character {0:?}")]
    UnexpectedChar(char),
    #[error("unterminated string")]
    UnterminatedString,
    #[error("invalid escape sequence")]
    InvalidEscape,
    #[error("invalid number")]
    InvalidNumber,
    #[error("expected {expected}, found {found}")]
    Expected {
        expected: &'static str,
        found: String,
    },
    #[error("unknown function `{0}`")]
    UnknownFunction(String),
    #[error("`{name}` takes {expected} argument(s), got {got}")]
    Arity {
        name: String,
        expected: &'static str,
        got: usize,
    },
    #[error("invalid regular expression: {0}")]
    InvalidRegex(String),
    #[error("comparison operators do not chain; use parentheses or `and`")]
    ChainedComparison,
    #[error("expression nested too deeply (limit {0})")]
    TooDeep(usize),
}

/// A text-language parse error: kind, position and the source, rendered with a caret.
///
/// ```text
/// error: expected expression, found `)`
///  --> 1:7
///   |
/// 1 | a == ()
///   |       ^
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub kind: ParseErrorKind,
    pub span: Span,
    pub source: String,
}

impl std::error::Error for ParseError {}

impl ParseError {
    /// The error on one line, `line L, column C: what`, as a bundle problem shows it after its
    /// pointer (the `Display` form draws the source line and a caret below).
    pub fn brief(&self) -> String {
        format!(
            "line {}, column {}: {}",
            self.span.line, self.span.column, self.kind
        )
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let line_no = self.span.line.to_string();
        let pad = " ".repeat(line_no.len());
        let line = self
            .source
            .lines()
            .nth(self.span.line.saturating_sub(1))
            .unwrap_or("");
        // Keep tabs so the caret lines up under them.
        let lead: String = line
            .chars()
            .take(self.span.column.saturating_sub(1))
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        let width = self
            .source
            .get(self.span.offset..self.span.offset.saturating_add(self.span.len))
            .map_or(1, |s| {
                s.lines().next().map_or(1, |l| l.chars().count().max(1))
            });
        writeln!(f, "error: {}", self.kind)?;
        writeln!(f, "{pad}--> {}:{}", self.span.line, self.span.column)?;
        writeln!(f, "{pad} |")?;
        writeln!(f, "{line_no} | {line}")?;
        write!(f, "{pad} | {lead}{}", "^".repeat(width))
    }
}

/// What is wrong with a JsonLogic rule.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JsonLogicErrorKind {
    #[error("unknown operator `{0}`")]
    UnknownOperator(String),
    #[error("`{op}` takes {expected} argument(s), got {got}")]
    Arity {
        op: String,
        expected: &'static str,
        got: usize,
    },
    #[error("invalid regular expression: {0}")]
    InvalidRegex(String),
    #[error("rule nested too deeply (limit {0})")]
    TooDeep(usize),
}

/// A JsonLogic compile error with a JSON pointer (RFC 6901) to the offending node, e.g.
/// `/and/1/==`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid JsonLogic at `{pointer}`: {kind}")]
pub struct JsonLogicError {
    pub kind: JsonLogicErrorKind,
    pub pointer: String,
}

/// Something noteworthy that happened during evaluation. Evaluation never fails; it falls back
/// to the documented value and records one of these (up to [`MAX_DIAGNOSTICS`]).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Diagnostic {
    /// An operator got operands it is not defined on (the result is `false` for comparisons and
    /// `null` for arithmetic and functions).
    #[error("`{op}` is not defined on {left} and {right}")]
    TypeMismatch {
        op: &'static str,
        left: &'static str,
        right: &'static str,
    },
    /// A function got an argument of the wrong type; it returned `null`.
    #[error("`{func}` got an invalid argument ({got})")]
    BadArgument {
        func: &'static str,
        got: &'static str,
    },
    /// Division or remainder by zero, or a result with no JSON form (NaN, infinity): `null`.
    #[error("`{0}` produced a non-finite number")]
    NonFinite(&'static str),
    /// A computed regular expression did not compile; the match is `false`.
    #[error("invalid regular expression: {0}")]
    InvalidRegex(String),
    /// `matches` got a subject longer than [`MAX_SUBJECT`](super::regex::MAX_SUBJECT) bytes
    /// (its length is given); the match is `false`.
    #[error("`matches` searches at most {max} bytes; the subject has {0}", max = super::regex::MAX_SUBJECT)]
    SubjectTooLong(usize),
    /// A string that should be an RFC 3339 timestamp was not; the function returned `null`.
    #[error("invalid timestamp {0:?}")]
    InvalidTimestamp(String),
    /// The fuel ran out: evaluation stopped and the result is `null`.
    #[error("evaluation ran out of fuel")]
    OutOfFuel,
}

/// At most this many diagnostics are kept per evaluation.
pub const MAX_DIAGNOSTICS: usize = 16;
