//! `GET /api/v1/openapi.json` (the OpenAPI 3 document of `crate::openapi`) and
//! `GET /api/v1/docs` (a page that renders it, with no outside assets).

use std::sync::OnceLock;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use crate::state::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/api/v1/openapi.json", get(openapi_json)).route("/api/v1/docs", get(docs))
}

async fn openapi_json() -> Response {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    let body = DOCUMENT.get_or_init(|| crate::openapi::document().to_pretty_json().unwrap_or_default());
    ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body.as_str()).into_response()
}

async fn docs() -> Html<&'static str> {
    Html(include_str!("docs.html"))
}
