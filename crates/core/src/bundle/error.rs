//! Bundle problems, each located by a JSON pointer.

use std::fmt;

/// One problem in a bundle: where (a JSON pointer, RFC 6901) and what.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    pub pointer: String,
    pub message: String,
}

/// Every problem found in a bundle that failed to load (never empty).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct BundleErrors(pub Vec<Problem>);

impl BundleErrors {
    pub(crate) fn one(pointer: impl Into<String>, message: impl Into<String>) -> BundleErrors {
        BundleErrors(vec![Problem {
            pointer: pointer.into(),
            message: message.into(),
        }])
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pointer = if self.pointer.is_empty() {
            "(root)"
        } else {
            &self.pointer
        };
        write!(f, "{pointer}: {}", self.message)
    }
}

impl fmt::Display for BundleErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for BundleErrors {}

/// Appends `segment` to a JSON pointer, escaping `~` and `/`.
pub(crate) fn push_pointer(pointer: &mut String, segment: &str) {
    pointer.push('/');
    for c in segment.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
}
