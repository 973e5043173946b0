//! `GET /metrics`: counters and gauges in the Prometheus text exposition format (0.0.4).
//!
//! - `tupu_http_requests_total{method, route, status}` and
//!   `tupu_http_request_duration_seconds{method, route}` (a histogram), recorded by the
//!   [`track`] middleware under the route's pattern (`/api/v1/nodes/{id}`, not the id), so the
//!   number of series stays bounded; requests that match no route count under `unmatched`.
//! - `tupu_snapshot_version`, `tupu_graph_nodes`, `tupu_graph_edges`, `tupu_graph_quads`.
//! - `tupu_commits_total` and `tupu_quads_committed_total` (added plus removed): the
//!   ingestion rate is `rate(tupu_quads_committed_total[1m])`.
//!
//! Recording a request takes one short mutex section over a map of a few dozen entries.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tupu_graph::{GraphStore, Relation};

use crate::state::AppState;

/// Upper bounds of the latency histogram's buckets, in seconds.
const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

#[derive(Default)]
struct RouteStats {
    by_status: BTreeMap<u16, u64>,
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// The server's counters.
#[derive(Default)]
pub struct Metrics {
    routes: Mutex<BTreeMap<(String, String), RouteStats>>,
    commits: AtomicU64,
    quads_committed: AtomicU64,
    quads: AtomicI64,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    /// Counters over `graph`, which they follow from now on (its quads counted once here).
    pub fn new(graph: &GraphStore) -> std::sync::Arc<Self> {
        let metrics = std::sync::Arc::new(Self::default());
        metrics.quads.store(graph.len().map_or(0, |n| n as i64), Ordering::Relaxed);
        let sink = std::sync::Arc::downgrade(&metrics);
        graph.subscribe(move |event| {
            if let Some(m) = sink.upgrade() {
                m.commits.fetch_add(1, Ordering::Relaxed);
                m.quads_committed.fetch_add((event.added.len() + event.removed.len()) as u64, Ordering::Relaxed);
                m.quads.fetch_add(event.added.len() as i64 - event.removed.len() as i64, Ordering::Relaxed);
            }
        });
        metrics
    }

    fn record(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let mut routes = self.routes.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let stats = routes.entry((method.to_owned(), route.to_owned())).or_default();
        *stats.by_status.entry(status).or_default() += 1;
        stats.count += 1;
        stats.sum += seconds;
        if let Some(i) = BUCKETS.iter().position(|&b| seconds <= b) {
            stats.buckets[i] += 1;
        }
    }

    /// The text exposition of every metric.
    pub fn render(&self, state: &AppState) -> String {
        let mut out = String::new();
        out.push_str("# HELP tupu_http_requests_total HTTP requests by route pattern and status.\n");
        out.push_str("# TYPE tupu_http_requests_total counter\n");
        let routes = self.routes.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for ((method, route), stats) in routes.iter() {
            for (status, n) in &stats.by_status {
                let _ = writeln!(
                    out,
                    "tupu_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {n}",
                    escape(route)
                );
            }
        }
        out.push_str("# HELP tupu_http_request_duration_seconds Time to answer, by route pattern.\n");
        out.push_str("# TYPE tupu_http_request_duration_seconds histogram\n");
        for ((method, route), stats) in routes.iter() {
            let labels = format!("method=\"{method}\",route=\"{}\"", escape(route));
            let mut cumulative = 0;
            for (bound, n) in BUCKETS.iter().zip(stats.buckets) {
                cumulative += n;
                let _ =
                    writeln!(out, "tupu_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}");
            }
            let _ = writeln!(out, "tupu_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}", stats.count);
            let _ = writeln!(out, "tupu_http_request_duration_seconds_sum{{{labels}}} {}", stats.sum);
            let _ = writeln!(out, "tupu_http_request_duration_seconds_count{{{labels}}} {}", stats.count);
        }
        drop(routes);
        let snapshot = state.graph.snapshot();
        let edges: usize = Relation::ALL.iter().map(|&r| snapshot.edge_count(r)).sum();
        for (name, kind, help, value) in [
            ("tupu_snapshot_version", "gauge", "Version of the current snapshot (commits so far).", snapshot.version()),
            ("tupu_graph_nodes", "gauge", "Nodes of the current snapshot.", snapshot.node_count() as u64),
            (
                "tupu_graph_edges",
                "gauge",
                "Edge entries of the current snapshot (symmetric relations twice).",
                edges as u64,
            ),
            ("tupu_graph_quads", "gauge", "Quads in the store.", self.quads.load(Ordering::Relaxed).max(0) as u64),
            (
                "tupu_commits_total",
                "counter",
                "Commits since the server started.",
                self.commits.load(Ordering::Relaxed),
            ),
            (
                "tupu_quads_committed_total",
                "counter",
                "Quads added plus removed by commits since the server started.",
                self.quads_committed.load(Ordering::Relaxed),
            ),
        ] {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}");
        }
        out
    }
}

fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// Middleware: times each request and records it under its route pattern.
pub(crate) async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", |m| m.as_str()).to_owned();
    let response = next.run(request).await;
    state.metrics.record(&method, &route, response.status().as_u16(), started.elapsed().as_secs_f64());
    response
}

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/metrics", get(metrics))
}

async fn metrics(State(state): State<AppState>) -> Response {
    let body = state.metrics.render(&state);
    ([(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4"))], body).into_response()
}
