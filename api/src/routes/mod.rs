//! The HTTP routes, one small router per area, each handler beside its route.

mod docs;
mod drafts;
mod edits;
mod employment;
mod graph;
mod health;
mod history;
mod import;
mod lang;
mod learner_export;
mod learners;
pub(crate) mod nodes;
mod predict;
mod releases;
mod search;
mod sparql;
mod validate;
mod web;

use axum::Router;
use axum::middleware::from_fn_with_state;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

use crate::state::AppState;

/// The whole HTTP API over `state`.
pub fn app(state: AppState) -> Router {
    let limit = state.config.max_body_bytes;
    let edge = state.clone();
    let routes = Router::new()
        .merge(health::router())
        .merge(docs::router())
        .merge(sparql::router().route_layer(from_fn_with_state(state.clone(), crate::audit::graph_updates)))
        .merge(nodes::router())
        .merge(graph::router())
        .merge(learners::router().route_layer(from_fn_with_state(state.clone(), crate::audit::learners)))
        .merge(search::router())
        .merge(history::router())
        .merge(edits::router())
        .merge(import::router())
        .merge(drafts::router())
        .merge(web::router())
        .merge(validate::router())
        .merge(releases::router())
        .merge(learner_export::router())
        .merge(predict::router())
        .merge(employment::router())
        .merge(crate::metrics::router())
        .merge(crate::backup::router())
        .layer(from_fn_with_state(state.clone(), crate::metrics::track))
        .layer(RequestBodyLimitLayer::new(limit))
        .layer(TraceLayer::new_for_http())
        .with_state(state);
    crate::edge::around(routes, edge)
}

/// A value as a JSON body, serialised into a buffer of `capacity` bytes up front: a large
/// body (a next-step list is several kilobytes) is then not copied again each time its buffer
/// grows.
pub(crate) fn json_body<T: serde::Serialize>(
    value: &T,
    capacity: usize,
) -> Result<axum::body::Bytes, crate::error::ApiError> {
    let mut body = Vec::with_capacity(capacity);
    serde_json::to_writer(&mut body, value).map_err(crate::error::ApiError::internal)?;
    Ok(body.into())
}

/// A response with a JSON body made by [`json_body`].
pub(crate) fn json_response(body: axum::body::Bytes) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    use axum::response::IntoResponse;
    ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response()
}
