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

/// A JSON response serialised into a buffer of `capacity` bytes up front: a large body (a
/// next-step list is several kilobytes) is then not copied again each time its buffer grows.
pub(crate) fn json_response<T: serde::Serialize>(value: &T, capacity: usize) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    use axum::response::IntoResponse;
    let mut body = Vec::with_capacity(capacity);
    match serde_json::to_writer(&mut body, value) {
        Ok(()) => ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response(),
        Err(e) => crate::error::ApiError::internal(e).into_response(),
    }
}
