//! CORS for the runtime routes a browser SDK calls when the API is on another origin than the
//! site: the bundle, snapshots, events and the signing key. Admin routes never get CORS
//! headers, so a browser on another origin can neither read nor preflight its way into them.
//!
//! The allowed origins come from `--cors-origin` (repeatable; `*` allows any origin, which is
//! safe here because these routes take no cookies: the SDK sends its client key and visitor
//! token in headers, with `credentials: "omit"`).

use std::time::Duration;

use axum::http::{HeaderName, HeaderValue, Method, header};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// Headers a browser may send to the runtime routes.
const ALLOW_HEADERS: [HeaderName; 4] = [
    HeaderName::from_static("x-waymark-key"),
    header::AUTHORIZATION,
    header::CONTENT_TYPE,
    header::IF_NONE_MATCH,
];

/// Headers a browser script may read: what revalidation and signature checks need.
const EXPOSE_HEADERS: [HeaderName; 2] =
    [header::ETAG, HeaderName::from_static("waymark-signature")];

/// Checks one `--cors-origin` value: `*`, or `scheme://host[:port]` with no path, as browsers
/// send it in `Origin` (a trailing slash is dropped).
pub fn parse_origin(text: &str) -> Result<String, String> {
    let origin = text.trim().trim_end_matches('/');
    if origin == "*" {
        return Ok(origin.to_owned());
    }
    let (scheme, rest) = origin
        .split_once("://")
        .ok_or_else(|| format!("`{text}` is not an origin: expected scheme://host[:port] or *"))?;
    let valid = matches!(scheme, "http" | "https")
        && !rest.is_empty()
        && !rest.contains(['/', '?', '#', '@'])
        && HeaderValue::from_str(origin).is_ok();
    if valid {
        Ok(origin.to_owned())
    } else {
        Err(format!(
            "`{text}` is not an origin: expected http(s)://host[:port] with no path, or *"
        ))
    }
}

/// The CORS layer for `origins` (values of [`parse_origin`]); `None` when there are none.
pub fn layer(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([Method::GET, Method::POST])
            .allow_headers(ALLOW_HEADERS)
            .expose_headers(EXPOSE_HEADERS)
            .max_age(Duration::from_secs(600)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_scheme_host_and_port() {
        assert_eq!(parse_origin("*").unwrap(), "*");
        assert_eq!(
            parse_origin("https://shop.example/").unwrap(),
            "https://shop.example"
        );
        assert_eq!(
            parse_origin("http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080"
        );
        for bad in [
            "shop.example",
            "ftp://shop.example",
            "https://shop.example/path",
            "https://",
            "https://a@b",
        ] {
            assert!(parse_origin(bad).is_err(), "{bad}");
        }
    }
}
