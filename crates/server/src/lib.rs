//! Waymark's central API as a library: [`app`] builds the router over an [`AppState`] (testable
//! without a socket), [`serve`] runs a router on a listener.
//!
//! Storage is SQLite ([`db`]); the `waymark` binary (crates/cli) wires everything to the command
//! line (`waymark serve`, `import`, `keys`, `token`, `report`).

pub mod auth;
pub mod bandit;
pub mod bundles;
pub mod cors;
pub mod db;
pub mod decide;
pub mod error;
pub mod events;
pub mod import;
pub mod ingest;
pub mod metrics;
pub mod openapi;
pub mod profiles;
pub mod reports;
pub mod snapshot;
pub mod state;

use std::path::PathBuf;

use axum::extract::DefaultBodyLimit;
use axum::routing::{MethodRouter, get, post, put};
use axum::{Json, Router};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeader;

pub use error::AppError;
pub use state::{AppState, ServerConfig};

const MB: usize = 1024 * 1024;

/// The API router. The runtime routes (bundle, snapshot, events, signing key) answer CORS
/// requests from `config.cors_origins`; no other route does. API responses are gzipped for
/// clients that accept it (bundles shrink about 7x; signatures are over the uncompressed
/// bytes); static files are served as built, with the `.gz` twin `scripts/build.sh` writes
/// (compressing half a megabyte of wasm per request would cost more than it saves).
pub fn app(state: AppState) -> Router {
    let cors = cors::layer(&state.config.cors_origins);
    let runtime = |route: MethodRouter<AppState>| match &cors {
        Some(layer) => route.layer(layer.clone()),
        None => route,
    };
    let api = Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics::metrics))
        .route("/openapi.json", get(openapi::openapi))
        .route("/v1/keys/signing", runtime(get(bundles::signing_key)))
        .route(
            "/v1/bundles",
            post(bundles::publish)
                .get(bundles::list)
                .layer(DefaultBodyLimit::max(16 * MB)),
        )
        .route("/v1/bundles/{revision}/rollback", post(bundles::rollback))
        .route("/v1/bundle", runtime(get(bundles::current)))
        .route("/v1/bundle/compiled", runtime(get(bundles::compiled)))
        .route(
            "/v1/profiles/{id}",
            put(profiles::put)
                .patch(profiles::patch)
                .get(profiles::get)
                .delete(profiles::delete)
                .layer(DefaultBodyLimit::max(MB)),
        )
        .route(
            "/v1/profiles/{id}/snapshot",
            runtime(get(snapshot::snapshot)),
        )
        .route(
            "/v1/events",
            runtime(post(events::post).layer(DefaultBodyLimit::max(4 * MB))),
        )
        .route("/v1/reports", get(reports::get))
        .route("/v1/bandits/recompute", post(reports::recompute))
        .route("/v1/decide", post(decide::decide))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ));
    let api = api.layer(CompressionLayer::new());
    let api = match &state.config.static_dir {
        Some(dir) => api.fallback_service(static_files(dir)),
        None => api.fallback(not_found),
    };
    api.with_state(state)
}

/// The files in `dir`, or their gzipped twins for clients that accept gzip (both vary by it).
fn static_files(dir: &std::path::Path) -> SetResponseHeader<ServeDir, axum::http::HeaderValue> {
    SetResponseHeader::appending(
        ServeDir::new(dir).precompressed_gzip(),
        axum::http::header::VARY,
        axum::http::HeaderValue::from_static("accept-encoding"),
    )
}

async fn not_found(uri: axum::http::Uri) -> AppError {
    AppError::NotFound(format!("no route for {}", uri.path()))
}

async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }))
}

/// What `waymark demo` serves: the static site and `/healthz`, no API.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// A folder served as static files at `/` (the browser SDK and the demo shop).
    pub static_dir: Option<PathBuf>,
}

/// The demo's router: static files and `/healthz`.
pub fn static_site(config: &Config) -> Router {
    let router = Router::new().route("/healthz", get(healthz));
    match &config.static_dir {
        Some(dir) => router.fallback_service(static_files(dir)),
        None => router,
    }
}

/// Recomputes the bandit weights every `config.bandit_interval` until the process ends.
pub fn spawn_bandit_schedule(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(state.config.bandit_interval);
        ticker.tick().await;
        loop {
            ticker.tick().await;
            match reports::recompute_now(&state).await {
                Ok(stats) => tracing::info!(experiments = stats.len(), "bandit weights recomputed"),
                Err(e) => tracing::error!(error = %e, "bandit recompute failed"),
            }
        }
    })
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
mod tests;
