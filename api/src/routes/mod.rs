//! The HTTP routes, one small router per area, each handler beside its route.

mod graph;
mod health;
mod learners;
pub(crate) mod nodes;
mod sparql;

use axum::Router;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

use crate::state::AppState;

/// The whole HTTP API over `state`.
pub fn app(state: AppState) -> Router {
    let limit = state.config.max_body_bytes;
    Router::new()
        .merge(health::router())
        .merge(sparql::router())
        .merge(nodes::router())
        .merge(graph::router())
        .merge(learners::router())
        .layer(RequestBodyLimitLayer::new(limit))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
