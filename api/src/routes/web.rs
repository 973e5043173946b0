//! The designers' web page at `/` (HTML, CSS and JavaScript compiled into the binary) and
//! `GET /api/v1/lookup?q=TEXT`, the label lookup it finds nodes with.

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use tupu_graph::NodeId;

use crate::routes::nodes::NodeRef;
use crate::state::AppState;

const INDEX: &str = include_str!("../../web/index.html");
const SCRIPT: &str = include_str!("../../web/app.js");
const STYLE: &str = include_str!("../../web/app.css");

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Html(INDEX) }))
        .route(
            "/assets/app.js",
            get(|| async { ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], SCRIPT).into_response() }),
        )
        .route(
            "/assets/app.css",
            get(|| async { ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLE).into_response() }),
        )
        .route("/api/v1/lookup", get(lookup))
}

#[derive(Deserialize)]
struct LookupParams {
    q: String,
    limit: Option<usize>,
}

/// Nodes whose label (any language), local name or IRI contains the text, case-insensitively:
/// exact label matches first, then labels that start with the text, then the rest, shorter
/// labels first. Cost: one pass over the snapshot's labels.
async fn lookup(State(state): State<AppState>, Query(p): Query<LookupParams>) -> Json<Value> {
    let snapshot = state.graph.snapshot();
    let q = p.q.trim().to_lowercase();
    let limit = p.limit.unwrap_or(20).clamp(1, 200);
    let mut hits: Vec<(u8, usize, NodeId)> = Vec::new();
    if !q.is_empty() {
        for n in snapshot.nodes() {
            let mut best: Option<(u8, usize)> = None;
            let names =
                snapshot.labels(n).iter().map(|l| l.text.to_lowercase()).chain([snapshot.local_name(n).to_lowercase()]);
            for name in names {
                let rank = if name == q {
                    0
                } else if name.starts_with(&q) {
                    1
                } else if name.contains(&q) {
                    2
                } else {
                    continue;
                };
                let key = (rank, name.chars().count());
                if best.is_none_or(|b| key < b) {
                    best = Some(key);
                }
            }
            if let Some((rank, len)) = best {
                hits.push((rank, len, n));
            }
        }
    }
    hits.sort();
    let nodes: Vec<NodeRef<'_>> = hits.iter().take(limit).map(|&(_, _, n)| NodeRef::new(&snapshot, n)).collect();
    Json(json!({ "query": p.q, "nodes": nodes }))
}
