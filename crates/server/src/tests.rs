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
            .uri(path.replace("{id}", "u1").replace("{revision}", "1"))
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
