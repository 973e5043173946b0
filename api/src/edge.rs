//! The server's edge: what runs before routing and after every handler.
//!
//! [`around`] wraps the routes so that, from the outside in:
//! 1. every error response is the JSON error body with a stable code, including those made
//!    before a handler runs (no route, wrong method, a query string or path that does not
//!    parse, a body over the limit): a plain-text or empty error body is replaced by
//!    `{"error": {"code", "message"}}` keeping its status and its text as the message;
//! 2. [`auth::authorize`](crate::auth::authorize) checks the host, the key and the route's
//!    role, and may move a learner id into its tenant's namespace, *before* routing;
//! 3. request targets over [`MAX_URI_BYTES`] and headers over [`MAX_HEADER_BYTES`] are
//!    refused (414, 431) with the JSON body;
//! 4. the body limit is the configured one for every extractor (axum's own default would
//!    otherwise cut bodies at 2 MiB).

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};

use crate::error::{ApiError, Code};
use crate::state::AppState;

/// The routes wrapped in the edge layers (see the module documentation).
pub(crate) fn around(routes: Router, state: AppState) -> Router {
    let limit = state.config.max_body_bytes;
    Router::new()
        .fallback_service(routes)
        .layer(DefaultBodyLimit::max(limit))
        .layer(from_fn_with_state(state.clone(), crate::auth::authorize))
        .layer(from_fn_with_state(state, json_errors))
}

/// Longest request target (path and query) served.
pub const MAX_URI_BYTES: usize = 32 * 1024;

/// Largest total of header names and values served.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;

/// Refuses a request whose target or headers are over the limits (the connection layer
/// refuses larger ones still, without a body).
fn check_head(request: &Request) -> Option<ApiError> {
    let target = request.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if target > MAX_URI_BYTES {
        return Some(ApiError::new(
            Code::UriTooLong,
            format!("the request target has {target} bytes, over {MAX_URI_BYTES}; send long SPARQL by POST"),
        ));
    }
    let headers: usize = request.headers().iter().map(|(k, v)| k.as_str().len() + v.len()).sum();
    if headers > MAX_HEADER_BYTES {
        return Some(ApiError::new(
            Code::HeadersTooLarge,
            format!("the headers hold {headers} bytes, over {MAX_HEADER_BYTES}"),
        ));
    }
    None
}

/// Replaces a non-JSON error body by the JSON error body (see the module documentation).
async fn json_errors(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if let Some(refused) = check_head(&request) {
        return refused.into_response();
    }
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let allow = response.headers().get(header::ALLOW).cloned();
    let text = match axum::body::to_bytes(response.into_body(), 64 * 1024).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).trim().to_owned(),
        Err(_) => String::new(),
    };
    let message = match status {
        StatusCode::NOT_FOUND => format!("no route matches {path}; see the route list in the README"),
        StatusCode::METHOD_NOT_ALLOWED => format!("{path} does not take {method}"),
        StatusCode::PAYLOAD_TOO_LARGE => format!(
            "the request body is larger than {} bytes (--max-body-bytes); split it",
            state.config.max_body_bytes
        ),
        _ if status.is_server_error() => "internal error".to_owned(),
        _ if text.is_empty() => status.canonical_reason().unwrap_or("rejected").to_owned(),
        _ => text,
    };
    let mut out = ApiError::Http { status, code: Code::of_status(status), message }.into_response();
    if let Some(allow) = allow {
        out.headers_mut().insert(header::ALLOW, allow);
    }
    out
}
