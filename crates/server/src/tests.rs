//! Router-level tests, without a socket.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use super::*;

fn temp_state() -> (AppState, PathBuf) {
    let dir = std::env::temp_dir().join(format!(
        "waymark-router-{}-{}",
        std::process::id(),
        auth::hex(&auth::random_bytes::<6>().unwrap())
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let state = AppState::open(ServerConfig::new(dir.join("test.db"))).unwrap();
    (state, dir)
}

async fn call(state: &AppState, request: Request<Body>) -> (StatusCode, Value) {
    let response = app(state.clone()).oneshot(request).await.unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

#[tokio::test]
async fn healthz_reports_ok() {
    let (state, dir) = temp_state();
    let (status, body) = call(
        &state,
        Request::get("/healthz").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn unknown_routes_are_problems() {
    let (state, dir) = temp_state();
    let (status, body) = call(&state, Request::get("/nope").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["status"], 404);
    assert!(body["detail"].as_str().unwrap().contains("/nope"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn admin_routes_need_a_key() {
    let (state, dir) = temp_state();
    let (status, body) = call(
        &state,
        Request::get("/v1/bundles").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["title"], "Unauthorized");
    let (client, _) = state
        .db
        .write_blocking(|c| auth::create_key(c, auth::KeyKind::Client, "t"))
        .unwrap();
    let (status, _) = call(
        &state,
        Request::get("/v1/bundles")
            .header("x-waymark-key", &client)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn openapi_documents_every_route() {
    let (state, dir) = temp_state();
    let (status, doc) = call(
        &state,
        Request::get("/openapi.json").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["openapi"], "3.1.0");
    for (method, path, ..) in openapi::ROUTES {
        assert!(doc["paths"][path][method].is_object(), "{method} {path}");
        // The route exists: without credentials it is never a routing 404 or 405.
        let request = Request::builder()
            .method(method.to_uppercase().as_str())
            .uri(
                path.replace("{id}", "u1")
                    .replace("{revision}", "1")
                    // A zone the engine knows, and a valid draft name.
                    .replace("{name}", "UTC"),
            )
            .body(Body::empty())
            .unwrap();
        let response = app(state.clone()).oneshot(request).await.unwrap();
        assert_ne!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        if response.status() == StatusCode::NOT_FOUND {
            panic!("{method} {path} is not routed");
        }
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn bad_json_names_line_and_column() {
    let (state, dir) = temp_state();
    let admin = admin_key(&state);
    let (status, body) = call(
        &state,
        Request::put("/v1/profiles/u1")
            .header("x-waymark-key", &admin)
            .body(Body::from("{\n  \"attributes\": {,}\n}"))
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let detail = body["detail"].as_str().unwrap();
    assert!(detail.contains("line 2 column 18"), "{detail}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn bodies_over_the_limit_are_413() {
    let (state, dir) = temp_state();
    let admin = admin_key(&state);
    let (status, body) = call(
        &state,
        Request::put("/v1/profiles/u1")
            .header("x-waymark-key", &admin)
            .body(Body::from(vec![b' '; 2 * 1024 * 1024]))
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["status"], 413);
    std::fs::remove_dir_all(dir).unwrap();
}

/// A new admin key for `state`.
fn admin_key(state: &AppState) -> String {
    state
        .db
        .write_blocking(|c| auth::create_key(c, auth::KeyKind::Admin, "t"))
        .unwrap()
        .0
}

#[tokio::test]
async fn credentials_are_checked_before_the_body_is_read() {
    let (state, dir) = temp_state();
    let (client, _) = state
        .db
        .write_blocking(|c| auth::create_key(c, auth::KeyKind::Client, "t"))
        .unwrap();
    let bad = "{\"attributes\": {,}}";
    for (method, path) in [
        ("PUT", "/v1/profiles/u1"),
        ("PATCH", "/v1/profiles/u1"),
        ("POST", "/v1/events"),
        ("POST", "/v1/events?key=wmc_not-a-key"),
        ("POST", "/v1/bundles"),
        ("POST", "/v1/decide"),
    ] {
        let request = Request::builder().method(method).uri(path);
        let (status, body) = call(&state, request.body(Body::from(bad)).unwrap()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}: {body}");
    }
    for (method, path) in [("PUT", "/v1/profiles/u1"), ("PATCH", "/v1/profiles/u1")] {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header("x-waymark-key", &client);
        let (status, _) = call(&state, request.body(Body::from(bad)).unwrap()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn metrics_need_an_admin_key_and_count_unknown_methods_as_other() {
    let (state, dir) = temp_state();
    let admin = admin_key(&state);
    for i in 0..300 {
        let method = format!("M{i}{}", "X".repeat(1000));
        let request = Request::builder()
            .method(axum::http::Method::from_bytes(method.as_bytes()).unwrap())
            .uri(format!("/v1/profiles/p{i}"))
            .body(Body::empty())
            .unwrap();
        app(state.clone()).oneshot(request).await.unwrap();
    }
    let scrape = |key: Option<&str>| {
        let mut request = Request::get("/metrics");
        if let Some(key) = key {
            request = request.header("x-waymark-key", key);
        }
        app(state.clone()).oneshot(request.body(Body::empty()).unwrap())
    };
    assert_eq!(
        scrape(None).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    let response = scrape(Some(&admin)).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8(text.to_vec()).unwrap();
    assert!(!text.contains("XXX"), "no method name is kept");
    let other: u64 = text
        .lines()
        .filter(|l| l.contains("method=\"other\""))
        .map(|l| l.rsplit(' ').next().unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(other, 300, "{text}");
    let series = text
        .lines()
        .filter(|l| l.starts_with("waymark_http_requests_total"))
        .count();
    assert!(series <= 3, "{text}");
    std::fs::remove_dir_all(dir).unwrap();

    // `public_metrics` opens it.
    let dir = std::env::temp_dir().join(format!(
        "waymark-router-public-{}-{}",
        std::process::id(),
        auth::hex(&auth::random_bytes::<6>().unwrap())
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let mut config = ServerConfig::new(dir.join("test.db"));
    config.public_metrics = true;
    let state = AppState::open(config).unwrap();
    let (status, _) = call(
        &state,
        Request::get("/metrics").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn every_routed_path_is_in_the_openapi_document() {
    // The routes `app` declares, read from its source: a route added without a line in
    // `openapi::ROUTES` fails here (the other direction is `openapi_documents_every_route`).
    let source = include_str!("lib.rs");
    let body =
        &source[source.find("pub fn app(").unwrap()..source.find("fn static_files").unwrap()];
    let mut routed = Vec::new();
    let mut rest = body;
    while let Some(at) = rest.find(".route(") {
        rest = &rest[at + ".route(".len()..];
        let open = rest.find('"').unwrap();
        let close = open + 1 + rest[open + 1..].find('"').unwrap();
        routed.push(&rest[open + 1..close]);
    }
    let doc = openapi::document();
    for path in &routed {
        assert!(
            doc["paths"][path].is_object(),
            "{path} is not in /openapi.json"
        );
    }
    let documented: std::collections::BTreeSet<&str> =
        openapi::ROUTES.iter().map(|r| r.1).collect();
    assert_eq!(routed.len(), documented.len(), "{routed:?}");
}

#[test]
fn secrets_from_the_configuration_are_used_and_never_stored() {
    use base64::Engine as _;
    let dir = std::env::temp_dir().join(format!(
        "waymark-router-secrets-{}-{}",
        std::process::id(),
        auth::hex(&auth::random_bytes::<6>().unwrap())
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let seed = [7u8; 32];
    let mut config = ServerConfig::new(dir.join("test.db"));
    config.signing_key = Some(base64::engine::general_purpose::STANDARD.encode(seed));
    config.token_secret = Some("from-the-environment".into());
    let state = AppState::open(config).unwrap();
    let expected = ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key();
    assert_eq!(state.verifying_key(), expected.to_bytes());
    assert_eq!(state.token_secret(), b"from-the-environment");
    for name in ["signing_key", "token_secret"] {
        let stored = state.db.read_blocking(|c| db::meta_get(c, name)).unwrap();
        assert_eq!(stored, None, "{name}");
    }
    let mut config = ServerConfig::new(dir.join("bad.db"));
    config.signing_key = Some("c2hvcnQ=".into());
    let e = AppState::open(config).unwrap_err().to_string();
    assert!(e.contains("not the base64 of 32 bytes"), "{e}");
    std::fs::remove_dir_all(dir).unwrap();
}
