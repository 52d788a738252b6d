//! Waymark's central API as a library: [`app`] builds the router over an [`AppState`] (testable
//! without a socket), [`serve`] runs a router on a listener.
//!
//! Storage is SQLite ([`db`]); the `waymark` binary (crates/cli) wires everything to the command
//! line (`waymark serve`, `import`, `keys`, `token`, `report`).

pub mod access;
pub mod audit;
pub mod auth;
pub mod bandit;
pub mod bundles;
pub mod caps;
pub mod cors;
pub mod db;
pub mod decide;
pub mod diff;
pub mod drafts;
pub mod error;
pub mod events;
pub mod experiments;
pub mod import;
pub mod ingest;
pub mod keys;
pub mod limits;
pub mod merge;
pub mod metrics;
pub mod openapi;
pub mod pause;
pub mod profiles;
pub mod reports;
pub mod snapshot;
pub mod state;
pub mod zones;

use std::path::PathBuf;

use axum::extract::DefaultBodyLimit;
use axum::routing::{MethodRouter, delete, get, post, put};
use axum::{Json, Router};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeader;
use tower_http::timeout::TimeoutLayer;

pub use drafts::spawn_publication_schedule;
pub use error::AppError;
pub use state::{AppState, Clock, ConnectionLimits, ServerConfig};

const MB: usize = 1024 * 1024;

/// The API router. The runtime routes (bundle, snapshot, merge, events, signing key, zones) answer CORS
/// requests from `config.cors_origins`; no other route does. API responses are gzipped for
/// clients that accept it (bundles shrink about 7x; signatures are over the uncompressed
/// bytes); static files are served as built, with the `.gz` twin `scripts/build.sh` writes
/// (compressing half a megabyte of wasm per request would cost more than it saves).
///
/// A request that takes longer than `config.request_timeout` is answered 408. `/metrics`
/// needs an admin key unless `config.public_metrics`.
pub fn app(state: AppState) -> Router {
    let cors = cors::layer(&state.config.cors_origins);
    let runtime = |route: MethodRouter<AppState>| match &cors {
        Some(layer) => route.layer(layer.clone()),
        None => route,
    };
    let api = Router::new()
        .route("/healthz", get(healthz))
        .route(
            "/metrics",
            if state.config.public_metrics {
                get(metrics::metrics)
            } else {
                get(metrics::private)
            },
        )
        .route("/openapi.json", get(openapi::openapi))
        .route("/v1/keys/signing", runtime(get(bundles::signing_key)))
        .route("/v1/keys", get(keys::list))
        .route("/v1/keys/{id}", delete(keys::revoke))
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
            "/v1/profiles/{id}/merge",
            runtime(post(merge::post).layer(DefaultBodyLimit::max(64 * 1024))),
        )
        .route(
            "/v1/events",
            runtime(post(events::post).layer(DefaultBodyLimit::max(4 * MB))),
        )
        .route("/v1/reports", get(reports::get))
        .route("/v1/bandits/recompute", post(reports::recompute))
        .route("/v1/decide", post(decide::decide))
        .route("/v1/zones/{name}", runtime(get(zones::get)))
        .merge(safe_publishing())
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ));
    let api = api.layer(CompressionLayer::new());
    let api = match &state.config.static_dir {
        Some(dir) => api.fallback_service(static_files(dir)),
        None => api.fallback(not_found),
    };
    let timeout = TimeoutLayer::with_status_code(
        axum::http::StatusCode::REQUEST_TIMEOUT,
        state.config.request_timeout,
    );
    api.layer(timeout).with_state(state)
}

/// Drafts, scheduled publications, pause and resume, and the audit log.
fn safe_publishing() -> Router<AppState> {
    Router::new()
        .route("/v1/drafts", get(drafts::list))
        .route(
            "/v1/drafts/{name}",
            put(drafts::put)
                .get(drafts::get)
                .delete(drafts::delete)
                .layer(DefaultBodyLimit::max(16 * MB)),
        )
        .route("/v1/drafts/{name}/diff", get(drafts::diff))
        .route("/v1/drafts/{name}/publish", post(drafts::publish))
        .route("/v1/schedules", get(drafts::schedules))
        .route("/v1/schedules/{id}", delete(drafts::cancel))
        .route("/v1/activities/{id}/pause", post(pause::pause_activity))
        .route("/v1/activities/{id}/resume", post(pause::resume_activity))
        .route("/v1/offers/{id}/pause", post(pause::pause_offer))
        .route("/v1/offers/{id}/resume", post(pause::resume_offer))
        .route("/v1/audit", get(audit::get))
        .route("/v1/caps", get(caps::get))
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

/// Recomputes the bandit weights every `config.bandit_interval` until the process ends, and
/// republishes the live bundle with them when they changed materially
/// ([`bandit::MATERIAL_SHIFT`]).
pub fn spawn_bandit_schedule(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(state.config.bandit_interval);
        ticker.tick().await;
        loop {
            ticker.tick().await;
            match reports::recompute_and_publish(&state).await {
                Ok((stats, published)) => tracing::info!(
                    experiments = stats.len(),
                    revision = published.map(|p| p.revision),
                    "bandit weights recomputed"
                ),
                Err(e) => tracing::error!(error = %e, "bandit recompute failed"),
            }
        }
    })
}

/// Serves `app` on `listener` until Ctrl-C: HTTP/1.1 connections whose request head must
/// arrive within `limits.header_read_timeout` (else the connection is closed), at most
/// `limits.max_concurrency` requests handled at once (tower's concurrency limit; more wait).
/// On Ctrl-C it stops accepting, lets requests in flight finish, then returns.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
) -> std::io::Result<()> {
    serve_until(listener, app, limits, async {
        // An error here means no signal handler could be installed: then run until killed.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    })
    .await
}

/// [`serve`] until `shutdown` completes.
pub async fn serve_until(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    use hyper_util::server::conn::auto::Builder;
    use hyper_util::service::TowerToHyperService;

    let service = tower::ServiceBuilder::new()
        .layer(tower::limit::ConcurrencyLimitLayer::new(
            limits.max_concurrency.max(1),
        ))
        .service(app);
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let builder = std::sync::Arc::new(builder);
    // Each connection holds a receiver; after the signal, `closed` resolves once all are gone.
    let (stop, stopped) = tokio::sync::watch::channel(());
    tokio::pin!(shutdown);
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little rather than spin.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = TowerToHyperService::new(service.clone());
        let builder = std::sync::Arc::clone(&builder);
        let mut stopped = stopped.clone();
        tokio::spawn(async move {
            let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
            tokio::pin!(connection);
            tokio::select! {
                result = connection.as_mut() => {
                    if let Err(e) = result {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                }
                _ = stopped.changed() => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
        });
    }
    drop(stopped);
    let _ = stop.send(());
    stop.closed().await;
    Ok(())
}

#[cfg(test)]
mod tests;
