//! `matches`: ECMAScript regular expressions over a subset whose cost is bounded.
//!
//! A pattern means what `new RegExp(pattern, "u")` means in JavaScript (ECMA-262 §22.2, with
//! the `u` flag always on, so both sides see code points and refuse the same loose syntax),
//! searched unanchored like `RegExp.prototype.test`. Natively (and in the full engine and the
//! Worker) the `regress` crate runs it; in the page runtime (feature `host`, wasm32) the
//! browser's own `RegExp` does, and the page carries no regex engine (regex-lite was 33.9 KB of
//! its code before wasm-opt; this module's check is 11.6 KB). `tests/host.rs` runs both on a corpus of patterns and subjects in node.
//!
//! Both are backtracking engines, so the subset is what keeps the cost bounded. [`compile`]
//! refuses, with the character where the problem starts:
//!
//! * what does not mean the same everywhere or is not needed: backreferences (`\1`, `\k<n>`),
//!   lookahead and lookbehind (`(?=` `(?!` `(?<=` `(?<!`), named groups, Unicode property
//!   escapes (`\p{L}`: they follow the engine's Unicode version), `\c`, lone surrogate escapes
//!   and whatever `u` mode refuses (a stray `]`, `{` or `}`, an unknown escape such as `\q`);
//! * a repeated group (`*`, `+`, `{n,m}` with m > 1) that contains a quantifier or `|`:
//!   `(a+)+` and `(a|aa)*` take exponential time;
//! * a variable repetition (`*`, `+`, `{n,m}` with m > 1) of something that can also match the
//!   character right after it: `.*/`, `\d+\d`, `a*a*`. Each such repetition is then decided by
//!   the next character, so backtracking never retries it. Write the boundary explicitly
//!   (`[^/]*/`);
//! * more than [`MAX_CHOICES`] combinations of ambiguous choices: alternatives that can start
//!   with the same character (`(ab|ac)`), and optional parts (`x?`, `{0,1}`) that can be
//!   skipped onto the same character;
//! * a count above [`MAX_REPEAT`], a pattern longer than [`MAX_PATTERN_LEN`] bytes, groups
//!   nested deeper than [`MAX_PATTERN_NESTING`].
//!
//! A literal pattern that breaks these is a compile error; a computed one is `false` with
//! [`Diagnostic::InvalidRegex`](super::Diagnostic::InvalidRegex). A subject longer than
//! [`MAX_SUBJECT`] bytes is not searched (`false` with
//! [`Diagnostic::SubjectTooLong`](super::Diagnostic::SubjectTooLong)), and searching costs
//! fuel: one unit per 8 bytes of subject, on top of the node's unit.

use std::fmt;

/// The longest pattern `matches` compiles, in bytes.
pub const MAX_PATTERN_LEN: usize = 1024;

/// How deeply groups may nest in a pattern.
pub const MAX_PATTERN_NESTING: u32 = 32;

/// The largest count in `{n}`, `{n,}` and `{n,m}`.
pub const MAX_REPEAT: u32 = 1000;

/// The most combinations of ambiguous choices a pattern may make (see the module doc).
pub const MAX_CHOICES: u64 = 256;

/// The longest subject `matches` searches, in bytes.
pub const MAX_SUBJECT: usize = 4 * 1024;

/// The flags every pattern is compiled with, natively and by the host.
pub const FLAGS: &str = "u";

/// A compiled `matches` pattern.
#[derive(Clone, Debug)]
pub(crate) struct Regex {
    pattern: Box<str>,
    #[cfg(not(all(feature = "host", target_arch = "wasm32")))]
    inner: regress::Regex,
    #[cfg(all(feature = "host", target_arch = "wasm32"))]
    inner: waymark_host::RegExp,
}

impl Regex {
    /// The pattern's source text.
    pub(crate) fn as_str(&self) -> &str {
        &self.pattern
    }

    /// Whether the pattern matches anywhere in `subject`.
    pub(crate) fn is_match(&self, subject: &str) -> bool {
        #[cfg(not(all(feature = "host", target_arch = "wasm32")))]
        {
            self.inner.find(subject).is_some()
        }
        #[cfg(all(feature = "host", target_arch = "wasm32"))]
        {
            self.inner.test(subject)
        }
    }
}

/// Why a pattern was refused: what, and where (a character offset in the pattern).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegexError {
    /// Characters before the one where the problem starts.
    pub offset: usize,
    pub message: String,
}

impl fmt::Display for RegexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at character {})", self.message, self.offset + 1)
    }
}

impl std::error::Error for RegexError {}

/// Checks `pattern` against the subset, then compiles it.
pub(crate) fn compile(pattern: &str) -> Result<Regex, RegexError> {
    check(pattern)?;
    #[cfg(not(all(feature = "host", target_arch = "wasm32")))]
    let inner = regress::Regex::with_flags(pattern, FLAGS).map_err(|e| RegexError {
        offset: 0,
        message: e.to_string(),
    })?;
    #[cfg(all(feature = "host", target_arch = "wasm32"))]
    let inner = waymark_host::RegExp::new(pattern, FLAGS).map_err(|_| RegexError {
        offset: 0,
        message: "the JavaScript host refused the pattern".into(),
    })?;
    Ok(Regex {
        pattern: pattern.into(),
        inner,
    })
}

/// Both engines, for the differential tests (`tests/host.rs`).
#[cfg(all(feature = "host", target_arch = "wasm32"))]
pub mod parity {
    /// The subset check alone.
    pub fn check(pattern: &str) -> Result<(), super::RegexError> {
        super::check(pattern)
    }

    /// `regress` with [`FLAGS`](super::FLAGS): whether `pattern` matches `subject`.
    pub fn native_is_match(pattern: &str, subject: &str) -> Option<bool> {
        let re = regress::Regex::with_flags(pattern, super::FLAGS).ok()?;
        Some(re.find(subject).is_some())
    }

    /// The host's `new RegExp(pattern, FLAGS).test(subject)`.
    pub fn host_is_match(pattern: &str, subject: &str) -> Option<bool> {
        let re = waymark_host::RegExp::new(pattern, super::FLAGS).ok()?;
        Some(re.test(subject))
    }
}

/// Checks `pattern` against the subset (module doc).
pub(crate) fn check(pattern: &str) -> Result<(), RegexError> {
    if pattern.len() > MAX_PATTERN_LEN {
        return Err(RegexError {
            offset: 0,
            message: format!("the pattern is longer than {MAX_PATTERN_LEN} bytes"),
        });
    }
    let mut p = Parser {
        chars: pattern.chars().collect(),
        pos: 0,
    };
    let alt = p.alt(0)?;
    if p.pos < p.chars.len() {
        return Err(p.error(p.pos, "unmatched `)`"));
    }
    let mut choices = 1;
    p.check_alt(&alt, &Set::default(), &mut choices)
}

/// Sorted, disjoint, non-adjacent ranges of code points.
#[derive(Clone, Debug, Default, PartialEq)]
struct Set(Vec<(u32, u32)>);

const MAX_CHAR: u32 = 0x10_FFFF;

impl Set {
    fn of(ranges: &[(u32, u32)]) -> Set {
        let mut set = Set::default();
        for &r in ranges {
            set.add(r);
        }
        set
    }

    fn add(&mut self, (lo, hi): (u32, u32)) {
        self.0.push((lo, hi));
        self.0.sort_unstable();
        let mut merged: Vec<(u32, u32)> = Vec::with_capacity(self.0.len());
        for &(lo, hi) in &self.0 {
            match merged.last_mut() {
                Some(last) if lo <= last.1.saturating_add(1) => last.1 = last.1.max(hi),
                _ => merged.push((lo, hi)),
            }
        }
        self.0 = merged;
    }

    fn union(&mut self, other: &Set) {
        for &r in &other.0 {
            self.add(r);
        }
    }

    fn complement(&self) -> Set {
        let mut out = Set::default();
        let mut next = 0;
        for &(lo, hi) in &self.0 {
            if lo > next {
                out.0.push((next, lo - 1));
            }
            next = hi + 1;
        }
        if next <= MAX_CHAR {
            out.0.push((next, MAX_CHAR));
        }
        out
    }

    fn overlaps(&self, other: &Set) -> bool {
        self.0
            .iter()
            .any(|&(a, b)| other.0.iter().any(|&(c, d)| a <= d && c <= b))
    }
}

fn digit() -> Set {
    Set::of(&[(0x30, 0x39)])
}

fn word() -> Set {
    Set::of(&[(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)])
}

/// ECMAScript's WhiteSpace and LineTerminator.
fn space() -> Set {
    Set::of(&[
        (0x09, 0x0D),
        (0x20, 0x20),
        (0xA0, 0xA0),
        (0x1680, 0x1680),
        (0x2000, 0x200A),
        (0x2028, 0x2029),
        (0x202F, 0x202F),
        (0x205F, 0x205F),
        (0x3000, 0x3000),
        (0xFEFF, 0xFEFF),
    ])
}

fn dot() -> Set {
    Set::of(&[(0x0A, 0x0A), (0x0D, 0x0D), (0x2028, 0x2029)]).complement()
}

enum Atom {
    Set(Set),
    Group(Alt),
    /// `^`, `$`, `\b`, `\B`: match no character.
    Assert,
}

struct Term {
    atom: Atom,
    min: u32,
    /// `None`: unbounded.
    max: Option<u32>,
    /// Character offsets of the term's text (quantifier included).
    at: usize,
    end: usize,
}

struct Alt {
    seqs: Vec<Vec<Term>>,
    at: usize,
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
}

impl Parser {
    fn error(&self, at: usize, message: impl Into<String>) -> RegexError {
        RegexError {
            offset: at,
            message: message.into(),
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek();
        self.pos += usize::from(c.is_some());
        c
    }

    fn eat(&mut self, c: char) -> bool {
        let yes = self.peek() == Some(c);
        self.pos += usize::from(yes);
        yes
    }

    fn alt(&mut self, depth: u32) -> Result<Alt, RegexError> {
        let at = self.pos;
        let mut seqs = vec![self.seq(depth)?];
        while self.eat('|') {
            seqs.push(self.seq(depth)?);
        }
        Ok(Alt { seqs, at })
    }

    fn seq(&mut self, depth: u32) -> Result<Vec<Term>, RegexError> {
        let mut terms = Vec::new();
        while !matches!(self.peek(), None | Some('|' | ')')) {
            terms.push(self.term(depth)?);
        }
        Ok(terms)
    }

    fn term(&mut self, depth: u32) -> Result<Term, RegexError> {
        let at = self.pos;
        let atom = match self.bump() {
            Some('^' | '$') => Atom::Assert,
            Some('(') => {
                if depth >= MAX_PATTERN_NESTING {
                    return Err(self.error(
                        at,
                        format!("groups nest more than {MAX_PATTERN_NESTING} deep"),
                    ));
                }
                if self.eat('?') && !self.eat(':') {
                    return Err(self.error(
                        at,
                        "only `(…)` and `(?:…)` groups are supported (no lookahead, lookbehind, \
                         named groups or modifiers)",
                    ));
                }
                let alt = self.alt(depth + 1)?;
                if !self.eat(')') {
                    return Err(self.error(at, "unclosed group"));
                }
                Atom::Group(alt)
            }
            Some('[') => Atom::Set(self.class(at)?),
            Some('.') => Atom::Set(dot()),
            Some('\\') => self.escape(at, false)?,
            Some('*' | '+' | '?') => return Err(self.error(at, "nothing to repeat")),
            Some('{') => return Err(self.error(at, "nothing to repeat (escape a literal `{`)")),
            Some(c @ (']' | '}')) => {
                return Err(self.error(at, format!("a lone `{c}` (escape it: `\\{c}`)")));
            }
            Some(c) => Atom::Set(Set::of(&[(c as u32, c as u32)])),
            None => return Err(self.error(at, "unexpected end of pattern")),
        };
        let (min, max) = match self.quantifier()? {
            Some(_) if matches!(atom, Atom::Assert) => {
                return Err(self.error(at, "an assertion cannot be repeated"));
            }
            Some(q) => q,
            None => (1, Some(1)),
        };
        Ok(Term {
            atom,
            min,
            max,
            at,
            end: self.pos,
        })
    }

    /// `*` `+` `?` `{n}` `{n,}` `{n,m}`, each optionally lazy (`?`).
    fn quantifier(&mut self) -> Result<Option<(u32, Option<u32>)>, RegexError> {
        let at = self.pos;
        let q = match self.peek() {
            Some('*') => (0, None),
            Some('+') => (1, None),
            Some('?') => (0, Some(1)),
            Some('{') => {
                self.pos += 1;
                let min = self.number(at)?;
                let max = if self.eat(',') {
                    if self.peek() == Some('}') {
                        None
                    } else {
                        Some(self.number(at)?)
                    }
                } else {
                    Some(min)
                };
                if !self.eat('}') {
                    return Err(self.error(at, "a `{` that does not start a `{n,m}` count"));
                }
                if max.is_some_and(|max| max < min) {
                    return Err(self.error(at, "a count whose maximum is below its minimum"));
                }
                self.pos -= 1;
                (min, max)
            }
            _ => return Ok(None),
        };
        self.pos += 1;
        self.eat('?');
        Ok(Some(q))
    }

    fn number(&mut self, at: usize) -> Result<u32, RegexError> {
        let start = self.pos;
        let mut n: u32 = 0;
        while let Some(d) = self.peek().and_then(|c| c.to_digit(10)) {
            n = n.saturating_mul(10).saturating_add(d);
            self.pos += 1;
        }
        if self.pos == start {
            return Err(self.error(at, "a `{` that does not start a `{n,m}` count"));
        }
        if n > MAX_REPEAT {
            return Err(self.error(at, format!("a count above {MAX_REPEAT}")));
        }
        Ok(n)
    }

    /// After `\`. In a class, `\b` is a backspace and `\-` a hyphen.
    fn escape(&mut self, at: usize, in_class: bool) -> Result<Atom, RegexError> {
        let c = self
            .bump()
            .ok_or_else(|| self.error(at, "a `\\` at the end of the pattern"))?;
        let set = match c {
            'd' => digit(),
            'D' => digit().complement(),
            'w' => word(),
            'W' => word().complement(),
            's' => space(),
            'S' => space().complement(),
            'b' if in_class => Set::of(&[(8, 8)]),
            'b' | 'B' => return Ok(Atom::Assert),
            '-' if in_class => Set::of(&[(0x2D, 0x2D)]),
            't' => Set::of(&[(9, 9)]),
            'n' => Set::of(&[(10, 10)]),
            'v' => Set::of(&[(11, 11)]),
            'f' => Set::of(&[(12, 12)]),
            'r' => Set::of(&[(13, 13)]),
            '0' if !self.peek().is_some_and(|c| c.is_ascii_digit()) => Set::of(&[(0, 0)]),
            '0'..='9' | 'k' => {
                return Err(self.error(at, "backreferences are not supported"));
            }
            'p' | 'P' => {
                return Err(self.error(
                    at,
                    "Unicode property escapes are not supported (they follow each engine's \
                     Unicode version)",
                ));
            }
            'x' => {
                let n = self.hex(at, 2)?;
                Set::of(&[(n, n)])
            }
            'u' => {
                let n = if self.eat('{') {
                    let start = self.pos;
                    while self.peek().is_some_and(|c| c.is_ascii_hexdigit()) {
                        self.pos += 1;
                    }
                    let digits: String = self.chars[start..self.pos].iter().collect();
                    let n = u32::from_str_radix(&digits, 16)
                        .ok()
                        .filter(|&n| n <= MAX_CHAR);
                    match (n, self.eat('}')) {
                        (Some(n), true) => n,
                        _ => return Err(self.error(at, "a malformed `\\u{…}` escape")),
                    }
                } else {
                    self.hex(at, 4)?
                };
                if (0xD800..=0xDFFF).contains(&n) {
                    return Err(self.error(
                        at,
                        "surrogate escapes are not supported (write the character or `\\u{…}`)",
                    ));
                }
                Set::of(&[(n, n)])
            }
            '^' | '$' | '\\' | '.' | '*' | '+' | '?' | '(' | ')' | '[' | ']' | '{' | '}' | '|'
            | '/' => Set::of(&[(c as u32, c as u32)]),
            other => {
                return Err(self.error(at, format!("unknown escape `\\{other}`")));
            }
        };
        Ok(Atom::Set(set))
    }

    fn hex(&mut self, at: usize, digits: usize) -> Result<u32, RegexError> {
        let text: String = self.chars.iter().skip(self.pos).take(digits).collect();
        match u32::from_str_radix(&text, 16) {
            Ok(n) if text.len() == digits && text.bytes().all(|b| b.is_ascii_hexdigit()) => {
                self.pos += digits;
                Ok(n)
            }
            _ => Err(self.error(at, format!("an escape needs {digits} hex digits"))),
        }
    }

    /// After `[`.
    fn class(&mut self, at: usize) -> Result<Set, RegexError> {
        let negate = self.eat('^');
        let mut set = Set::default();
        let mut empty = true;
        loop {
            let item_at = self.pos;
            let item = match self.bump() {
                None => return Err(self.error(at, "unclosed `[`")),
                Some(']') => break,
                Some('[') => {
                    return Err(self.error(item_at, "escape a `[` inside a class: `\\[`"));
                }
                Some('\\') => match self.escape(item_at, true)? {
                    Atom::Set(s) => s,
                    _ => return Err(self.error(item_at, "an assertion inside a class")),
                },
                Some(c) => Set::of(&[(c as u32, c as u32)]),
            };
            empty = false;
            if self.peek() == Some('-') && self.chars.get(self.pos + 1) != Some(&']') {
                self.pos += 1;
                let to_at = self.pos;
                let to = match self.bump() {
                    Some('\\') => match self.escape(to_at, true)? {
                        Atom::Set(s) => s,
                        _ => return Err(self.error(to_at, "an assertion inside a class")),
                    },
                    Some(c) => Set::of(&[(c as u32, c as u32)]),
                    None => return Err(self.error(at, "unclosed `[`")),
                };
                match (&item.0[..], &to.0[..]) {
                    ([(lo, lo2)], [(hi, hi2)]) if lo == lo2 && hi == hi2 && lo <= hi => {
                        set.add((*lo, *hi));
                    }
                    ([(a, a2)], [(b, b2)]) if a == a2 && b == b2 => {
                        return Err(self.error(item_at, "a range out of order"));
                    }
                    _ => {
                        return Err(self.error(item_at, "a range between classes such as `\\w`"));
                    }
                }
            } else {
                set.union(&item);
            }
        }
        if empty {
            return Err(self.error(at, "an empty class"));
        }
        Ok(if negate { set.complement() } else { set })
    }

    /// What a term's first character can be, and whether it can match no character.
    fn first(term: &Term) -> (Set, bool) {
        let (set, nullable) = match &term.atom {
            Atom::Set(s) => (s.clone(), false),
            Atom::Group(alt) => Parser::first_alt(alt),
            Atom::Assert => (Set::default(), true),
        };
        (set, nullable || term.min == 0)
    }

    fn first_seq(terms: &[Term]) -> (Set, bool) {
        let mut set = Set::default();
        for term in terms {
            let (s, nullable) = Parser::first(term);
            set.union(&s);
            if !nullable {
                return (set, false);
            }
        }
        (set, true)
    }

    fn first_alt(alt: &Alt) -> (Set, bool) {
        let mut set = Set::default();
        let mut nullable = false;
        for seq in &alt.seqs {
            let (s, n) = Parser::first_seq(seq);
            set.union(&s);
            nullable |= n;
        }
        (set, nullable)
    }

    fn choice(&self, at: usize, factor: u64, choices: &mut u64) -> Result<(), RegexError> {
        *choices = choices.saturating_mul(factor);
        if *choices > MAX_CHOICES {
            return Err(self.error(
                at,
                format!(
                    "more than {MAX_CHOICES} combinations of ambiguous choices (alternatives or \
                     optional parts that can start with the same character)"
                ),
            ));
        }
        Ok(())
    }

    /// Checks the cost rules, `follow` being what can come right after `alt`.
    fn check_alt(&self, alt: &Alt, follow: &Set, choices: &mut u64) -> Result<(), RegexError> {
        if alt.seqs.len() > 1 {
            let firsts: Vec<Set> = alt
                .seqs
                .iter()
                .map(|seq| {
                    let (mut s, nullable) = Parser::first_seq(seq);
                    if nullable {
                        s.union(follow);
                    }
                    s
                })
                .collect();
            let ambiguous = firsts
                .iter()
                .enumerate()
                .any(|(i, a)| firsts.iter().skip(i + 1).any(|b| a.overlaps(b)));
            if ambiguous {
                self.choice(alt.at, alt.seqs.len() as u64, choices)?;
            }
        }
        for seq in &alt.seqs {
            // What can follow each term, worked out from the end; then checked from the start,
            // so the first problem is the one reported.
            let mut follows = Vec::with_capacity(seq.len());
            let mut after = follow.clone();
            for term in seq.iter().rev() {
                follows.push(after.clone());
                let (s, nullable) = Parser::first(term);
                if nullable {
                    after.union(&s);
                } else {
                    after = s;
                }
            }
            for (term, after) in seq.iter().zip(follows.iter().rev()) {
                self.check_term(term, after, choices)?;
            }
        }
        Ok(())
    }

    fn check_term(&self, term: &Term, follow: &Set, choices: &mut u64) -> Result<(), RegexError> {
        let text: String = self.chars[term.at..term.end].iter().collect();
        let repeats = term.max.is_none_or(|max| max > 1);
        if let Atom::Group(alt) = &term.atom {
            if repeats {
                if alt.seqs.len() > 1 || alt.seqs.iter().any(|s| s.iter().any(Parser::nests)) {
                    return Err(self.error(
                        term.at,
                        format!(
                            "`{text}` repeats a group that contains a quantifier or `|`, which \
                             can take exponential time"
                        ),
                    ));
                }
                if Parser::first_alt(alt).1 {
                    return Err(self.error(
                        term.at,
                        format!("`{text}` repeats a group that can match no character"),
                    ));
                }
            }
            let mut inner = follow.clone();
            if repeats {
                inner.union(&Parser::first_alt(alt).0);
            }
            self.check_alt(alt, &inner, choices)?;
        }
        if term.max == Some(term.min) {
            return Ok(());
        }
        let (first, _) = Parser::first(term);
        if !first.overlaps(follow) {
            return Ok(());
        }
        if repeats {
            return Err(self.error(
                term.at,
                format!(
                    "what `{text}` repeats can also come right after it, so a failing search \
                     retries every split (make the boundary explicit, e.g. `[^/]*/` rather than \
                     `.*/`)"
                ),
            ));
        }
        self.choice(term.at, 2, choices)
    }

    /// Whether a term inside a repeated group makes the repetition ambiguous: a quantifier, or
    /// a group holding one or a `|`.
    fn nests(term: &Term) -> bool {
        term.max != Some(term.min)
            || term.min != 1
            || match &term.atom {
                Atom::Group(alt) => {
                    alt.seqs.len() > 1 || alt.seqs.iter().any(|s| s.iter().any(Parser::nests))
                }
                _ => false,
            }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn refused(pattern: &str) -> RegexError {
        match check(pattern) {
            Err(e) => e,
            Ok(()) => panic!("{pattern} was accepted"),
        }
    }

    #[test]
    fn accepts_ordinary_patterns() {
        for p in [
            "",
            "^SKU-\\d{4}$",
            "@(gmail|yahoo)\\.com$",
            "^https://shop\\.example/(shoes|boots)/",
            "^/(shoes|boots)/[a-z]{2,20}/[a-z0-9-]{1,64}$",
            "^[\\w.+-]+@[\\w-]+\\.[\\w.-]+$",
            "\\w{1,100}",
            "^(www\\.)?example\\.com",
            "^[^/]*/checkout$",
            "(ab)+c",
            "^\\u{1F600}|caf\u{e9}|\\x41\\u0042",
            "[\\d\\s\\-]+$",
            "\\bgold\\b",
            "a.*",
            "^(?:gold|platinum|premium)$",
            "x{2}y{0,}?z*?",
        ] {
            assert_eq!(check(p), Ok(()), "{p}");
            assert!(compile(p).is_ok(), "{p}");
        }
    }

    #[test]
    fn refuses_what_is_outside_the_subset_with_its_position() {
        for (p, offset, says) in [
            ("(a+)+", 0, "exponential"),
            ("x(a|aa)*", 1, "exponential"),
            ("(a{2})*", 0, "exponential"),
            ("^.*/checkout", 1, "boundary"),
            ("\\d+\\d", 0, "boundary"),
            ("a*a*", 0, "boundary"),
            ("(a)\\1", 3, "backreference"),
            ("(?=a)", 0, "lookahead"),
            ("(?<n>a)", 0, "named"),
            ("\\p{L}", 0, "Unicode"),
            ("a{1001}", 1, "1000"),
            ("a{3,2}", 1, "below"),
            ("a]", 1, "lone"),
            ("a{", 1, "count"),
            ("\\q", 0, "unknown escape"),
            ("[z-a]", 1, "order"),
            ("[\\w-z]", 1, "between classes"),
            ("[]", 0, "empty"),
            ("(a", 0, "unclosed"),
            ("a)", 1, "unmatched"),
            ("^*", 0, "assertion"),
            ("**", 0, "nothing to repeat"),
            ("\\uD83D", 0, "surrogate"),
            ("()+", 0, "no character"),
        ] {
            let e = refused(p);
            assert_eq!(e.offset, offset, "{p}: {e}");
            assert!(e.to_string().contains(says), "{p}: {e}");
        }
        assert!(
            refused(&"a".repeat(MAX_PATTERN_LEN + 1))
                .message
                .contains("longer")
        );
        let deep = format!("{}a{}", "(".repeat(40), ")".repeat(40));
        assert!(refused(&deep).message.contains("nest"));
        // Ambiguous choices multiply: eight two-way choices are 256, nine are too many.
        assert_eq!(check(&"(ab|ac)".repeat(8)), Ok(()));
        assert!(
            refused(&"(ab|ac)".repeat(9))
                .message
                .contains("combinations")
        );
        assert!(refused(&"a?".repeat(10)).message.contains("combinations"));
    }

    #[test]
    fn matches_as_ecmascript_does() {
        let yes = |p: &str, s: &str| compile(p).map(|re| re.is_match(s));
        assert_eq!(yes("^\\w+$", "caf\u{e9}"), Ok(false));
        assert_eq!(yes("^.$", "\u{1F600}"), Ok(true));
        assert_eq!(yes("^\\s$", "\u{a0}"), Ok(true));
        assert_eq!(yes("^.$", "\n"), Ok(false));
        assert_eq!(yes("b$", "ab\n"), Ok(false));
        assert_eq!(yes("\\bgold\\b", "a gold card"), Ok(true));
    }
}
