//! The one HTTP error boundary: every failure becomes a JSON body with a stable `code`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tupu_graph::{Diagnostic, GraphError, ResolveError};

/// An error returned by a handler.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No node has this id.
    #[error("{0}")]
    NodeNotFound(String),
    /// Several nodes share this local name.
    #[error("{0}")]
    AmbiguousId(String),
    /// The request is malformed.
    #[error("{message}")]
    BadRequest {
        /// Stable code, e.g. `invalid_parameter`.
        code: &'static str,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// The request's input was rejected; every finding is listed.
    #[error("{message}")]
    Unprocessable {
        /// Stable code, e.g. `validation_failed`.
        code: &'static str,
        /// Summary.
        message: String,
        /// Every finding.
        details: Vec<Diagnostic>,
    },
    /// Events of a batch are invalid; each is named by index and field. None was applied.
    #[error("{} invalid event(s) in the batch; nothing was applied", .0.len())]
    InvalidEvents(Vec<tupu_recommend::EventProblem>),
    /// The SPARQL text does not parse.
    #[error("{0}")]
    QuerySyntax(String),
    /// The query ran past the server's query timeout.
    #[error("the query did not finish within {0} ms; narrow it or add a LIMIT")]
    QueryTimeout(u128),
    /// No representation the client accepts.
    #[error("{0}")]
    NotAcceptable(String),
    /// The request body's media type is not supported.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// Something named in the path does not exist.
    #[error("{message}")]
    NotFound {
        /// Stable code, e.g. `commit_not_found`.
        code: &'static str,
        /// What is missing and where to look.
        message: String,
    },
    /// The request conflicts with the current state (e.g. a later commit changed the same quads).
    #[error("{message}")]
    Conflict {
        /// Stable code, e.g. `revert_conflict`.
        code: &'static str,
        /// What conflicts and how to resolve it.
        message: String,
    },
    /// The SPARQL text nests or branches beyond a documented limit.
    #[error("{message}")]
    TooComplex {
        /// The limit's name.
        limit: &'static str,
        /// Its value.
        max: usize,
        /// What was found and how to fix it.
        message: String,
    },
    /// No valid API key was given.
    #[error("{0}")]
    Unauthorized(String),
    /// The key's role or tenant may not do this.
    #[error("{message}")]
    Forbidden {
        /// Stable code, e.g. `forbidden` or `admin_required`.
        code: &'static str,
        /// What is needed.
        message: String,
    },
    /// A rejection made before or instead of a handler (no route, wrong method, too large,
    /// timeouts), with its status.
    #[error("{message}")]
    Http {
        /// The status.
        status: StatusCode,
        /// Stable code, e.g. `route_not_found`.
        code: &'static str,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// A fault of the server; the body does not say more.
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    /// A 400 with a code and a message.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::BadRequest { code, message: message.into() }
    }

    /// A rejection with its status and code.
    pub fn http(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError::Http { status, code, message: message.into() }
    }

    /// An internal error; the cause is logged, not sent.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        ApiError::Internal(cause.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, details) = match &self {
            ApiError::NodeNotFound(_) => (StatusCode::NOT_FOUND, "node_not_found", None),
            ApiError::AmbiguousId(_) => (StatusCode::BAD_REQUEST, "ambiguous_id", None),
            ApiError::BadRequest { code, .. } => (StatusCode::BAD_REQUEST, *code, None),
            ApiError::Unprocessable { code, details, .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, *code, Some(json!(details)))
            }
            ApiError::InvalidEvents(problems) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "invalid_events", Some(json!(problems)))
            }
            ApiError::QuerySyntax(_) => (StatusCode::BAD_REQUEST, "query_syntax", None),
            ApiError::QueryTimeout(_) => (StatusCode::SERVICE_UNAVAILABLE, "query_timeout", None),
            ApiError::NotAcceptable(_) => (StatusCode::NOT_ACCEPTABLE, "not_acceptable", None),
            ApiError::UnsupportedMediaType(_) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", None),
            ApiError::NotFound { code, .. } => (StatusCode::NOT_FOUND, *code, None),
            ApiError::Conflict { code, .. } => (StatusCode::CONFLICT, *code, None),
            ApiError::TooComplex { limit, max, .. } => {
                (StatusCode::BAD_REQUEST, "query_too_complex", Some(json!({ "limit": limit, "max": max })))
            }
            ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized", None),
            ApiError::Forbidden { code, .. } => (StatusCode::FORBIDDEN, *code, None),
            ApiError::Http { status, code, .. } => (*status, *code, None),
            ApiError::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal", None)
            }
        };
        let mut body = json!({ "error": { "code": code, "message": self.to_string() } });
        if let Some(details) = details {
            body["error"]["details"] = details;
        }
        (status, Json(body)).into_response()
    }
}

impl From<ResolveError> for ApiError {
    fn from(e: ResolveError) -> Self {
        match e {
            ResolveError::Unknown(_) => ApiError::NodeNotFound(e.to_string()),
            ResolveError::Ambiguous(_) => ApiError::AmbiguousId(e.to_string()),
        }
    }
}

impl From<GraphError> for ApiError {
    fn from(e: GraphError) -> Self {
        match e {
            GraphError::Rejected(details) => ApiError::Unprocessable {
                code: "validation_failed",
                message: format!("the change was rejected: {} problem(s)", details.len()),
                details,
            },
            GraphError::Resolve(r) => r.into(),
            GraphError::InvalidGraphName { .. } => ApiError::bad_request("invalid_graph_name", e.to_string()),
            GraphError::QuerySyntax(m) => ApiError::QuerySyntax(m),
            GraphError::Unsupported(m) => ApiError::bad_request("unsupported_operation", m),
            GraphError::QueryCancelled => ApiError::QueryTimeout(0),
            GraphError::Query(m) => ApiError::bad_request("query_failed", m),
            GraphError::TooComplex { limit, max, message } => ApiError::TooComplex { limit, max, message },
            GraphError::RowBudgetExceeded(_) => ApiError::bad_request("row_budget_exceeded", e.to_string()),
            GraphError::UpdateTooLarge { .. } => ApiError::Http {
                status: StatusCode::PAYLOAD_TOO_LARGE,
                code: "update_too_large",
                message: e.to_string(),
            },
            GraphError::Forbidden(message) => ApiError::Forbidden { code: "admin_required", message },
            GraphError::Export(_) | GraphError::Storage(_) => ApiError::internal(e),
        }
    }
}
