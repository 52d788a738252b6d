//! `matches`: regex-lite with bounded cost.
//!
//! regex-lite matches with a PikeVM, whose work is (states of the compiled pattern) × (length
//! of the subject). Unbounded, `(a|aa){1,500}(a|aa){1,500}b` over 100 KB of `a` took 5.8 s:
//! counted repetition copies its group, so a short pattern can compile to thousands of states.
//! Both factors are bounded here:
//!
//! * a pattern's compiled program may take at most [`MAX_PATTERN_SIZE`] bytes (regex-lite's
//!   `size_limit`) and nest at most [`MAX_PATTERN_NESTING`] groups deep; a larger literal
//!   pattern is a compile error, a larger computed one is `false` with
//!   [`Diagnostic::InvalidRegex`](super::Diagnostic::InvalidRegex);
//! * a subject longer than [`MAX_SUBJECT`] bytes is not searched: the match is `false` with
//!   [`Diagnostic::SubjectTooLong`](super::Diagnostic::SubjectTooLong);
//! * searching costs fuel: one unit per 8 bytes of subject, on top of the node's unit.
//!
//! A compiled state takes about 80 bytes, so a pattern has at most about 200 states. Patterns
//! such as `^[\w.+-]+@[\w-]+(\.[\w-]+)+$` (0.7 KB), `^/(shoes|boots)/[a-z]{2,20}/[a-z0-9-]{1,64}$`
//! (8.4 KB) and `\w{1,100}` (10.5 KB) compile; `[a-z]{1,255}` (20 KB) and
//! `(a|aa){1,500}(a|aa){1,500}b` (272 KB) do not. The slowest search found within both limits
//! (`(.*a){1,40}b` or `(a|aa){1,29}(a|aa){1,29}b` over 4 KiB of `a`) took about 0.15 s in a
//! release build, against 5.8 s before.

use regex_lite::{Regex, RegexBuilder};

/// The most heap a pattern's compiled program may use, in bytes (regex-lite's default is
/// 10 MiB).
pub const MAX_PATTERN_SIZE: usize = 16 * 1024;

/// How deeply groups, repetitions and alternations may nest in a pattern (regex-lite's
/// default is 50).
pub const MAX_PATTERN_NESTING: u32 = 32;

/// The longest subject `matches` searches, in bytes.
pub const MAX_SUBJECT: usize = 4 * 1024;

/// Compiles a `matches` pattern within the limits.
pub(crate) fn compile(pattern: &str) -> Result<Regex, regex_lite::Error> {
    RegexBuilder::new(pattern)
        .size_limit(MAX_PATTERN_SIZE)
        .nest_limit(MAX_PATTERN_NESTING)
        .build()
}
