//! Prometheus metrics: requests by route and status, events ingested, bundle revision.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

/// Counters, updated without a write lock once a (route, status) pair has been seen.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: RwLock<BTreeMap<(String, String, u16), AtomicU64>>,
    pub events_accepted: AtomicU64,
    pub events_duplicate: AtomicU64,
    pub events_rejected: AtomicU64,
}

impl Metrics {
    pub fn count_request(&self, method: &str, route: &str, status: u16) {
        {
            let map = self
                .requests
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(n) = map.get(&(method.to_owned(), route.to_owned(), status)) {
                n.fetch_add(1, Ordering::Relaxed);
                return;
            }
        }
        self.requests
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry((method.to_owned(), route.to_owned(), status))
            .or_default()
            .fetch_add(1, Ordering::Relaxed);
    }

    /// The Prometheus text exposition.
    pub fn render(&self, bundle_revision: i64) -> String {
        let mut out = String::new();
        out.push_str("# HELP waymark_http_requests_total HTTP requests by route and status.\n");
        out.push_str("# TYPE waymark_http_requests_total counter\n");
        let map = self
            .requests
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for ((method, route, status), n) in map.iter() {
            let _ = writeln!(
                out,
                "waymark_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {}",
                n.load(Ordering::Relaxed)
            );
        }
        drop(map);
        out.push_str("# HELP waymark_events_total Events received, by outcome.\n");
        out.push_str("# TYPE waymark_events_total counter\n");
        for (outcome, n) in [
            ("accepted", &self.events_accepted),
            ("duplicate", &self.events_duplicate),
            ("rejected", &self.events_rejected),
        ] {
            let _ = writeln!(
                out,
                "waymark_events_total{{outcome=\"{outcome}\"}} {}",
                n.load(Ordering::Relaxed)
            );
        }
        out.push_str("# HELP waymark_bundle_revision The current bundle revision (0: none).\n");
        out.push_str("# TYPE waymark_bundle_revision gauge\n");
        let _ = writeln!(out, "waymark_bundle_revision {bundle_revision}");
        out
    }
}

/// Middleware counting each routed request by its route template and status.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let response = next.run(request).await;
    state
        .metrics
        .count_request(&method, &route, response.status().as_u16());
    response
}

/// `GET /metrics`
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(state.bundle_revision()),
    )
}
