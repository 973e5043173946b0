//! `GET /api/v1/graph/stats`: counts of nodes by class and edges by relation.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use tupu_graph::{NodeKind, Relation};

use crate::error::ApiError;
use crate::state::{AppState, blocking};

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/api/v1/graph/stats", get(stats))
}

/// Counts over the current snapshot.
#[derive(Serialize)]
pub(crate) struct Stats {
    /// Snapshot version.
    version: u64,
    /// Nodes in all.
    node_count: usize,
    /// Nodes by class (`knowledge_point`, ...); every class is listed.
    nodes: BTreeMap<&'static str, usize>,
    /// Edges by relation; symmetric relations count each unordered pair once.
    edges: BTreeMap<&'static str, usize>,
    /// Quads in the store, across every named graph.
    quads: usize,
    /// The named graphs.
    graphs: Vec<String>,
}

async fn stats(State(state): State<AppState>) -> Result<Json<Stats>, ApiError> {
    let snapshot = state.graph.snapshot();
    let mut nodes: BTreeMap<&'static str, usize> = NodeKind::ALL.iter().map(|k| (k.as_str(), 0)).collect();
    for node in snapshot.nodes() {
        *nodes.entry(snapshot.kind(node).as_str()).or_default() += 1;
    }
    let edges = Relation::ALL
        .iter()
        .map(|&r| {
            let n = snapshot.edge_count(r);
            (r.as_str(), if r.is_symmetric() { n / 2 } else { n })
        })
        .collect();
    let graph = state.graph.clone();
    let (quads, graphs) = blocking(move || {
        let graphs = graph.named_graphs()?.into_iter().map(|g| g.into_string()).collect();
        Ok((graph.len()?, graphs))
    })
    .await?;
    Ok(Json(Stats { version: snapshot.version(), node_count: snapshot.node_count(), nodes, edges, quads, graphs }))
}
