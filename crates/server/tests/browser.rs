//! What browsers need from the real API on 127.0.0.1: events sent with `navigator.sendBeacon`
//! (client key in the query, `text/plain` body) and CORS on the runtime routes only.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{SHOP, Server};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
const SITE: &str = "https://shop.example";

async fn start(cors_origins: &[&str]) -> Server {
    let s = common::start_with("browser", |config| {
        config.cors_origins = cors_origins.iter().map(|o| o.to_string()).collect();
    })
    .await;
    let published = s
        .http
        .post(format!("{}/v1/bundles", s.url))
        .header("x-waymark-key", &s.admin)
        .body(SHOP)
        .send()
        .await
        .unwrap();
    assert!(published.status().is_success());
    s
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Posts `body` as `text/plain` to `/v1/events{query}`, as `navigator.sendBeacon` does.
async fn beacon(s: &Server, query: &str, body: &Value) -> (StatusCode, Value) {
    let r = s
        .http
        .post(format!("{}/v1/events{query}", s.url))
        .header("content-type", "text/plain;charset=UTF-8")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn beacons_carry_a_client_key_in_the_query_and_stay_idempotent() {
    let s = start(&[]).await;
    let t = now_ms();
    let batch = json!({"events": [
        {"id": "b1", "type": "display", "profileId": "anon-abcdefghijklmnopqrstuv", "timestamp": t, "activityId": "hero-gold"},
        {"id": "b2", "type": "custom", "name": "wishlist", "profileId": "anon-abcdefghijklmnopqrstuv", "timestamp": t},
    ]});

    for (query, status) in [
        ("", StatusCode::UNAUTHORIZED),
        ("?key=", StatusCode::UNAUTHORIZED),
        ("?key=wmc_not-a-key", StatusCode::UNAUTHORIZED),
        (&*format!("?key={}", s.admin), StatusCode::FORBIDDEN),
    ] {
        let (got, body) = beacon(&s, query, &batch).await;
        assert_eq!(got, status, "{query}: {body}");
        assert_eq!(body["status"], status.as_u16());
    }

    let with_key = format!("?key={}", s.client);
    let (status, body) = beacon(&s, &with_key, &batch).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["accepted"].as_i64(), body["duplicates"].as_i64()),
        (Some(2), Some(0))
    );

    // The same events again, by beacon then by a normal fetch: counted once.
    let (_, body) = beacon(&s, &with_key, &batch).await;
    assert_eq!(
        (body["accepted"].as_i64(), body["duplicates"].as_i64()),
        (Some(0), Some(2))
    );
    let fetched: Value = s
        .http
        .post(format!("{}/v1/events", s.url))
        .header("x-waymark-key", &s.client)
        .json(&batch)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (fetched["accepted"].as_i64(), fetched["duplicates"].as_i64()),
        (Some(0), Some(2))
    );

    // A header key wins over the query: a bad header key is not rescued by a good query key.
    let r = s
        .http
        .post(format!("{}/v1/events{with_key}", s.url))
        .header("x-waymark-key", "wmc_not-a-key")
        .body(batch.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // The query key is only for events: other routes ignore it.
    let r = s
        .http
        .get(format!("{}/v1/bundle{with_key}", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

/// An `OPTIONS` preflight from `origin` for `method` on `path`.
async fn preflight(s: &Server, path: &str, method: &str, origin: &str) -> reqwest::Response {
    s.http
        .request(Method::OPTIONS, format!("{}{path}", s.url))
        .header("origin", origin)
        .header("access-control-request-method", method)
        .header(
            "access-control-request-headers",
            "x-waymark-key,authorization,if-none-match,content-type",
        )
        .send()
        .await
        .unwrap()
}

fn header<'a>(r: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    r.headers().get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn runtime_routes_answer_cors_from_the_allowed_origins_only() {
    let s = start(&[SITE]).await;
    for (path, method) in [
        ("/v1/bundle", "GET"),
        ("/v1/bundle/compiled", "GET"),
        ("/v1/profiles/anon-abcdefghijklmnopqrstuv/snapshot", "GET"),
        ("/v1/events", "POST"),
        ("/v1/keys/signing", "GET"),
    ] {
        let r = preflight(&s, path, method, SITE).await;
        assert!(r.status().is_success(), "{path}: {}", r.status());
        assert_eq!(
            header(&r, "access-control-allow-origin"),
            Some(SITE),
            "{path}"
        );
        let allowed = header(&r, "access-control-allow-headers")
            .unwrap()
            .to_lowercase();
        for name in [
            "x-waymark-key",
            "authorization",
            "if-none-match",
            "content-type",
        ] {
            assert!(allowed.contains(name), "{path}: {allowed}");
        }
        assert!(
            header(&r, "access-control-allow-methods")
                .unwrap()
                .contains(method)
        );
        assert!(header(&r, "access-control-allow-credentials").is_none());
        // Browsers keep the preflight for 600 s (the README's figure), not one per request.
        assert_eq!(header(&r, "access-control-max-age"), Some("600"), "{path}");

        let other = preflight(&s, path, method, "https://evil.example").await;
        assert!(
            header(&other, "access-control-allow-origin").is_none(),
            "{path}"
        );
    }

    // The bundle's ETag and signature are readable by the site's scripts; 304s keep them.
    let r = s
        .http
        .get(format!("{}/v1/bundle", s.url))
        .header("origin", SITE)
        .header("x-waymark-key", &s.client)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(header(&r, "access-control-allow-origin"), Some(SITE));
    let exposed = header(&r, "access-control-expose-headers")
        .unwrap()
        .to_lowercase();
    assert!(
        exposed.contains("etag") && exposed.contains("waymark-signature"),
        "{exposed}"
    );
    assert!(
        header(&r, "vary")
            .unwrap()
            .to_lowercase()
            .contains("origin")
    );
    let etag = header(&r, "etag").unwrap().to_owned();
    let again = s
        .http
        .get(format!("{}/v1/bundle", s.url))
        .header("origin", SITE)
        .header("x-waymark-key", &s.client)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(header(&again, "access-control-allow-origin"), Some(SITE));

    // Admin routes never answer CORS: no preflight, no allow-origin on the real request.
    for (path, method) in [
        ("/v1/bundles", "POST"),
        ("/v1/profiles/ann", "PUT"),
        ("/v1/reports", "GET"),
        ("/v1/decide", "POST"),
    ] {
        let r = preflight(&s, path, method, SITE).await;
        assert!(
            header(&r, "access-control-allow-origin").is_none(),
            "{path}"
        );
        assert!(
            header(&r, "access-control-allow-methods").is_none(),
            "{path}"
        );
    }
    let r = s
        .http
        .get(format!("{}/v1/reports", s.url))
        .header("origin", SITE)
        .header("x-waymark-key", &s.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(header(&r, "access-control-allow-origin").is_none());
}

#[tokio::test]
async fn cors_is_off_by_default_and_star_allows_any_origin() {
    let off = start(&[]).await;
    let r = preflight(&off, "/v1/bundle", "GET", SITE).await;
    assert!(header(&r, "access-control-allow-origin").is_none());

    let any = start(&["*"]).await;
    let r = preflight(&any, "/v1/events", "POST", "https://anywhere.example").await;
    assert_eq!(header(&r, "access-control-allow-origin"), Some("*"));
}
