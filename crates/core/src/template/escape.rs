//! Output contexts and their escaping.
//!
//! The caller picks the context of the whole render with [`RenderOptions::escape`]
//! (see [`super::RenderOptions`]); every value a tag produces is escaped for it, so data never
//! produces markup. The template's own text is written as is. In a template compiled with
//! [`Template::compile_html`](super::Template::compile_html) and rendered with
//! [`Escape::Html`], each value is escaped for the place it lands in instead: text, an
//! attribute value, or the start of a URL attribute (see [`super::html`]).

use std::fmt::Write as _;

/// The context the rendered text is placed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Escape {
    /// HTML text content: exactly Handlebars' escape set, `&` `<` `>` `"` `'` `` ` `` `=` as
    /// `&amp;` `&lt;` `&gt;` `&quot;` `&#x27;` `&#x60;` `&#x3D;` (the Mustache spec requires
    /// the first four and says nothing of the others; the rest keep a value inside a quoted or
    /// back-quoted attribute too).
    #[default]
    Html,
    /// A quoted HTML attribute value: the same set as `Html`.
    Attribute,
    /// A URL attribute (`href`, `src`): values are escaped as for `Attribute`, and if the whole
    /// output has a scheme other than `http`, `https`, `mailto`, `tel` or `sms` (or a `data:`
    /// URL other than a raster image), or one of [`RenderOptions::app_schemes`](super::RenderOptions::app_schemes),
    /// it is replaced by [`UNSAFE_URL`]. The check decodes
    /// entities and drops whitespace and control characters first, as browsers do, so
    /// `JaVaScRiPt:`, ` javascript:`, `java\tscript:` and `&#106;avascript:` are all caught.
    Url,
    /// The inside of a JSON string literal: quotes, backslashes and control characters are
    /// escaped, and so are `<`, `>`, `&`, U+2028 and U+2029 so it is also safe in a `<script>`.
    Json,
    /// Plain text (an email subject, a push notification): no escaping.
    None,
}

/// What an unsafe URL renders as in the [`Escape::Url`] context.
pub const UNSAFE_URL: &str = "about:invalid#waymark";

impl std::str::FromStr for Escape {
    type Err = String;

    /// `html`, `attribute`, `url`, `json` or `none`.
    fn from_str(s: &str) -> Result<Escape, String> {
        match s {
            "html" => Ok(Escape::Html),
            "attribute" => Ok(Escape::Attribute),
            "url" => Ok(Escape::Url),
            "json" => Ok(Escape::Json),
            "none" => Ok(Escape::None),
            other => Err(format!(
                "unknown escape context `{other}` (expected html, attribute, url, json or none)"
            )),
        }
    }
}

impl Escape {
    /// Appends `s` to `out`, escaped for this context. `raw` (`{{{x}}}`, `{{& x}}`) disables
    /// escaping in the `Html` and `None` contexts only: the attribute, URL and JSON contexts are
    /// always escaped.
    pub(crate) fn write(self, out: &mut String, s: &str, raw: bool) {
        match self {
            Escape::None => out.push_str(s),
            Escape::Html if raw => out.push_str(s),
            Escape::Html | Escape::Attribute | Escape::Url => html(out, s),
            Escape::Json => json(out, s),
        }
    }
}

/// Handlebars' `escapeExpression`: the same characters, the same entities.
fn html(out: &mut String, s: &str) {
    // Copies runs of safe text in one go; every character escaped is ASCII.
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let entity = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#x27;",
            b'`' => "&#x60;",
            b'=' => "&#x3D;",
            _ => continue,
        };
        out.push_str(s.get(start..i).unwrap_or(""));
        out.push_str(entity);
        start = i + 1;
    }
    out.push_str(s.get(start..).unwrap_or(""));
}

fn json(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\'' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
}

/// Whether a URL may be rendered: [`url_is_safe`], or it starts with one of `app_schemes` and a
/// colon, literally (no entities, spaces or controls before it, which a scheme's syntax
/// excludes), the scheme being one a bundle may allow.
pub(crate) fn url_allowed(url: &str, app_schemes: &[String]) -> bool {
    url_is_safe(url)
        || url.split_once(':').is_some_and(|(scheme, _)| {
            crate::bundle::allowable_scheme(scheme)
                && app_schemes
                    .iter()
                    .any(|allowed| allowed.eq_ignore_ascii_case(scheme))
        })
}

/// Whether a rendered URL attribute value is safe: relative, or with an allowed scheme.
pub(crate) fn url_is_safe(url: &str) -> bool {
    // What a browser sees: entities decoded, then ASCII whitespace and controls stripped.
    let decoded = decode_entities(url);
    let mut scheme = String::new();
    for c in decoded.chars() {
        if c.is_ascii_control() || c == ' ' || c == '\u{a0}' {
            continue;
        }
        match c {
            ':' => break,
            // A path, query or fragment before any colon: a relative URL.
            '/' | '?' | '#' => return true,
            c => scheme.push(c.to_ascii_lowercase()),
        }
        if scheme.len() > 32 {
            return true; // no scheme is that long; the colon, if any, is later in the path
        }
    }
    if !decoded.contains(':') {
        return true;
    }
    match scheme.as_str() {
        "http" | "https" | "mailto" | "tel" | "sms" => true,
        "data" => {
            let rest: String = decoded
                .split_once(':')
                .map_or("", |(_, r)| r)
                .chars()
                .filter(|c| !c.is_ascii_whitespace())
                .take(11)
                .collect::<String>()
                .to_ascii_lowercase();
            ["image/png", "image/gif", "image/jpeg", "image/webp"]
                .iter()
                .any(|m| rest.starts_with(m) && !rest.starts_with("image/svg"))
        }
        // Anything else, including a scheme still holding an undecoded `&`, is refused.
        _ => false,
    }
}

/// Decodes numeric character references (with or without `;`) and the few named ones that
/// matter for scheme detection.
fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(rest.get(..i).unwrap_or(""));
        rest = rest.get(i + 1..).unwrap_or("");
        if let Some(num) = rest.strip_prefix('#') {
            let (hex, digits) = match num.strip_prefix(['x', 'X']) {
                Some(h) => (true, h),
                None => (false, num),
            };
            let len = digits
                .find(|c: char| {
                    if hex {
                        !c.is_ascii_hexdigit()
                    } else {
                        !c.is_ascii_digit()
                    }
                })
                .unwrap_or(digits.len());
            let value = digits.get(..len).and_then(|d| {
                let d = d.trim_start_matches('0');
                let d = if d.is_empty() && len > 0 { "0" } else { d };
                if d.len() > 8 {
                    None
                } else {
                    u32::from_str_radix(d, if hex { 16 } else { 10 }).ok()
                }
            });
            if let Some(c) = value.and_then(char::from_u32) {
                out.push(c);
                let consumed = num.len() - digits.len() + len;
                rest = num.get(consumed..).unwrap_or("");
                rest = rest.strip_prefix(';').unwrap_or(rest);
                continue;
            }
        } else {
            const NAMED: [(&str, char); 7] = [
                ("colon;", ':'),
                ("Tab;", '\t'),
                ("tab;", '\t'),
                ("NewLine;", '\n'),
                ("newline;", '\n'),
                ("amp;", '&'),
                ("nbsp;", '\u{a0}'),
            ];
            if let Some((name, c)) = NAMED.iter().find(|(n, _)| rest.starts_with(n)) {
                out.push(*c);
                rest = rest.get(name.len()..).unwrap_or("");
                continue;
            }
        }
        out.push('&');
    }
    out.push_str(rest);
    out
}
