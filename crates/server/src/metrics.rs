//! Prometheus metrics: requests by route and status, events ingested, bundle revision.
//!
//! Every label comes from a closed set, so the series are bounded whatever clients send: the
//! method is one of [`METHODS`] or `other`, the route is a route template of the router or
//! `unmatched`, the status is one the server answered. [`MAX_SERIES`] bounds them anyway.
//! `GET /metrics` needs an admin key unless the server runs with `public_metrics`.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::access::Admin;
use crate::state::AppState;

/// The methods counted by name; any other is counted as `other`.
pub const METHODS: &[&str] = &["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
/// Request series at most; past it, new (method, route, status) triples are counted as
/// (`other`, `other`, 0).
pub const MAX_SERIES: usize = 1000;

/// Counters, updated without a write lock once a (route, status) pair has been seen.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: RwLock<BTreeMap<(&'static str, String, u16), AtomicU64>>,
    pub events_accepted: AtomicU64,
    pub events_duplicate: AtomicU64,
    pub events_rejected: AtomicU64,
}

impl Metrics {
    /// Counts one request; `route` is a route template (or `unmatched`), never a raw path.
    pub fn count_request(&self, method: &str, route: &str, status: u16) {
        let method = METHODS
            .iter()
            .find(|m| **m == method)
            .copied()
            .unwrap_or("other");
        let mut series = (method, route.to_owned(), status);
        {
            let map = self
                .requests
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(n) = map.get(&series) {
                n.fetch_add(1, Ordering::Relaxed);
                return;
            }
        }
        let mut map = self
            .requests
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() >= MAX_SERIES && !map.contains_key(&series) {
            series = ("other", "other".to_owned(), 0);
        }
        map.entry(series)
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

/// `GET /metrics` with an admin key (the default).
pub async fn private(State(state): State<AppState>, _: Admin) -> impl IntoResponse {
    metrics(State(state)).await
}

/// `GET /metrics` for anyone (`public_metrics`).
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(state.bundle_revision()),
    )
}
