//! Surfaces: where content goes, named by URI.
//!
//! `web://shop.example/product#hero` is the `hero` location on the page `shop.example/product`;
//! `web://shop.example/product` is the whole page; `mobileapp://com.example.app/home#banner` is a
//! location in an app. A trailing `*` in the path matches any path with that prefix:
//! `web://shop.example/*` covers every page of the site. Scheme and host are case-insensitive and
//! trailing slashes are ignored, so surfaces compare in a normal form.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A parsed surface URI in normal form, kept as one string with the offsets of its parts, so
/// that its page and site are slices of it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Surface {
    /// `scheme://host/path`, then `/*` for a wildcard, then `#fragment`: how it displays.
    text: String,
    /// Where `://` starts.
    scheme_end: usize,
    /// Where the host ends (and the path starts).
    host_end: usize,
    /// Where the path ends: the path has no trailing slash (`""` for the root) and no star.
    path_end: usize,
    wildcard: bool,
    /// Where the fragment starts, after `#`, when there is one.
    fragment_start: Option<usize>,
}

/// Why a string is not a surface URI.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SurfaceError {
    #[error("a surface needs a scheme, as in web://host/path")]
    MissingScheme,
    #[error("the scheme `{0}` is not one of web, webapp, mobileapp, service")]
    UnknownScheme(String),
    #[error("a surface needs a host after `://`")]
    MissingHost,
    #[error("`*` may only end the path, as in web://host/shop/*")]
    MisplacedWildcard,
}

const SCHEMES: [&str; 4] = ["web", "webapp", "mobileapp", "service"];

impl Surface {
    /// Parses and normalises a surface URI.
    pub fn parse(uri: &str) -> Result<Surface, SurfaceError> {
        // The first `:` usually starts `://`; searching for one byte is cheaper.
        let (scheme, rest) = match uri.find(':') {
            Some(colon) if uri[colon..].starts_with("://") => (&uri[..colon], &uri[colon + 3..]),
            _ => uri.split_once("://").ok_or(SurfaceError::MissingScheme)?,
        };
        if !SCHEMES
            .iter()
            .any(|known| known.eq_ignore_ascii_case(scheme))
        {
            return Err(SurfaceError::UnknownScheme(scheme.to_ascii_lowercase()));
        }
        let (rest, fragment) = match rest.split_once('#') {
            Some((rest, fragment)) => (rest, Some(fragment)),
            None => (rest, None),
        };
        let (host, path) = match rest.find('/') {
            Some(slash) => rest.split_at(slash),
            None => (rest, ""),
        };
        if host.is_empty() {
            return Err(SurfaceError::MissingHost);
        }
        let (path, wildcard) = match path.strip_suffix('*') {
            Some(prefix) => (prefix, true),
            None => (path, false),
        };
        if path.contains('*') || host.contains('*') {
            return Err(SurfaceError::MisplacedWildcard);
        }
        let path = path.trim_end_matches('/');
        let fragment = fragment.filter(|f| !f.is_empty());
        let mut text = String::with_capacity(uri.len() + 2);
        text.push_str(scheme);
        let scheme_end = text.len();
        text.push_str("://");
        text.push_str(host);
        text.make_ascii_lowercase();
        let host_end = text.len();
        text.push_str(path);
        let path_end = text.len();
        if wildcard {
            text.push_str("/*");
        }
        let fragment_start = fragment.map(|fragment| {
            text.push('#');
            text.push_str(fragment);
            text.len() - fragment.len()
        });
        Ok(Surface {
            text,
            scheme_end,
            host_end,
            path_end,
            wildcard,
            fragment_start,
        })
    }

    #[inline]
    fn scheme(&self) -> &str {
        &self.text[..self.scheme_end]
    }

    #[inline]
    fn host(&self) -> &str {
        &self.text[self.scheme_end + 3..self.host_end]
    }

    #[inline]
    fn path(&self) -> &str {
        &self.text[self.host_end..self.path_end]
    }

    /// The page this surface is on: the same URI without its `#fragment`.
    pub fn page(&self) -> Surface {
        let mut page = self.clone();
        if let Some(start) = page.fragment_start.take() {
            page.text.truncate(start - 1);
        }
        page
    }

    /// Whether content authored for `self` applies somewhere on the page `page` (any fragment).
    #[inline]
    pub fn covers_page(&self, page: &Surface) -> bool {
        if !self.wildcard {
            return self.page_key() == page.page_key();
        }
        self.text[..self.host_end] == page.text[..page.host_end]
            && match page.path().strip_prefix(self.path()) {
                Some(rest) => self.path().is_empty() || rest.is_empty() || rest.starts_with('/'),
                None => false,
            }
    }

    /// The page's key, `scheme://host/path`, as the engine indexes surfaces.
    #[inline]
    pub fn page_key(&self) -> &str {
        &self.text[..self.path_end]
    }

    /// The location within the page, if any.
    #[inline]
    pub fn fragment(&self) -> Option<&str> {
        self.fragment_start.map(|start| &self.text[start..])
    }

    /// The scheme and host, which index surfaces by site.
    pub fn site(&self) -> (&str, &str) {
        (self.scheme(), self.host())
    }

    /// `scheme://host`, which indexes wildcard surfaces.
    #[inline]
    pub fn site_key(&self) -> &str {
        &self.text[..self.host_end]
    }

    /// The concrete surface for content authored for `self` when `page` is requested: `page`
    /// with this surface's fragment.
    pub fn on_page(&self, page: &Surface) -> Surface {
        let mut out = page.page();
        if let Some(fragment) = self.fragment() {
            out.text.push('#');
            out.text.push_str(fragment);
            out.fragment_start = Some(out.text.len() - fragment.len());
        }
        out
    }

    /// Whether this surface ends in a wildcard.
    pub fn is_wildcard(&self) -> bool {
        self.wildcard
    }

    /// Whether content authored for `self` (which may be a wildcard) applies to the concrete
    /// surface `requested`. Fragments must be equal; a wildcard matches any path below its prefix.
    #[inline]
    pub fn covers(&self, requested: &Surface) -> bool {
        self.fragment() == requested.fragment() && self.covers_page(requested)
    }
}

impl fmt::Display for Surface {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl AsRef<str> for Surface {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

impl Serialize for Surface {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Surface {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let uri = String::deserialize(deserializer)?;
        Surface::parse(&uri).map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for Surface {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Surface".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            // The scheme in any case, as `parse` reads it (JSON Schema patterns have no flags).
            "pattern": "^([wW][eE][bB]([aA][pP][pP])?|[mM][oO][bB][iI][lL][eE][aA][pP][pP]|[sS][eE][rR][vV][iI][cC][eE])://[^/#*]+(/[^#*]*\\*?)?(#.*)?$",
            "description": "A surface URI such as web://shop.example/product#hero (scheme and host in any case); a trailing * matches every path below."
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn s(uri: &str) -> Surface {
        Surface::parse(uri).unwrap()
    }

    #[test]
    fn normalises_case_and_trailing_slashes() {
        assert_eq!(
            s("WEB://Shop.Example/product/#hero"),
            s("web://shop.example/product#hero")
        );
        assert_eq!(s("web://shop.example/").to_string(), "web://shop.example");
        assert_eq!(
            s("web://shop.example/a#x").page().to_string(),
            "web://shop.example/a"
        );
    }

    #[test]
    fn wildcards_cover_paths_below_their_prefix() {
        let all = s("web://shop.example/*");
        assert!(all.covers(&s("web://shop.example/")));
        assert!(all.covers(&s("web://shop.example/product/42")));
        assert!(!all.covers(&s("web://other.example/product")));
        let shop = s("web://shop.example/shop/*#hero");
        assert!(shop.covers(&s("web://shop.example/shop/shoes#hero")));
        assert!(shop.covers(&s("web://shop.example/shop#hero")));
        assert!(!shop.covers(&s("web://shop.example/shopping#hero")));
        assert!(!shop.covers(&s("web://shop.example/shop/shoes#banner")));
        assert_eq!(shop.to_string(), "web://shop.example/shop/*#hero");
    }

    #[test]
    fn bad_uris_say_what_is_wrong() {
        assert_eq!(
            Surface::parse("shop.example"),
            Err(SurfaceError::MissingScheme)
        );
        assert_eq!(
            Surface::parse("ftp://x"),
            Err(SurfaceError::UnknownScheme("ftp".into()))
        );
        assert_eq!(
            Surface::parse("web:///path"),
            Err(SurfaceError::MissingHost)
        );
        assert_eq!(
            Surface::parse("web://x/*/y"),
            Err(SurfaceError::MisplacedWildcard)
        );
    }
}
