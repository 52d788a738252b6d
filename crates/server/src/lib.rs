//! Waymark's central API as a library: `app` builds the router, `serve` runs it on a listener.
//!
//! The `waymark` binary (crates/cli) wires it to the command line; tests drive `app` without a
//! socket or `serve` on 127.0.0.1.

use std::path::PathBuf;

use axum::{Json, Router, routing::get};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tower_http::services::ServeDir;

/// What the server serves besides its API.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// A folder served as static files at `/` (the browser SDK and the demo shop).
    pub static_dir: Option<PathBuf>,
}

/// The HTTP application.
pub fn app(config: &Config) -> Router {
    let router = Router::new().route("/healthz", get(healthz));
    match &config.static_dir {
        Some(dir) => router.fallback_service(ServeDir::new(dir)),
        None => router,
    }
}

async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }))
}

/// Serves `app` on `listener` until Ctrl-C.
pub async fn serve(listener: TcpListener, app: Router) -> std::io::Result<()> {
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            // An error here means no signal handler could be installed: then run until killed.
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    #[tokio::test]
    async fn healthz_reports_ok() {
        let response = app(&Config::default())
            .oneshot(Request::get("/healthz").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["status"], "ok");
    }

    #[tokio::test]
    async fn unknown_paths_are_404_without_a_static_dir() {
        let response = app(&Config::default())
            .oneshot(Request::get("/nope").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }
}
