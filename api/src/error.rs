//! The one HTTP error boundary: every failure becomes a JSON body with a stable `code`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tupu_graph::{Diagnostic, GraphError, ResolveError};

pub use crate::code::Code;

/// An error returned by a handler. Its `code` and status come from the one table, [`Code`].
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A refusal with its code; the status is the code's.
    #[error("{message}")]
    Refused {
        /// The code, e.g. [`Code::InvalidParameter`].
        code: Code,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// The request's input was rejected; every finding is listed.
    #[error("{message}")]
    Unprocessable {
        /// The code, e.g. [`Code::ValidationFailed`].
        code: Code,
        /// Summary.
        message: String,
        /// Every finding.
        details: Vec<Diagnostic>,
    },
    /// Events of a batch are invalid; each is named by index and field. None was applied.
    #[error("{} invalid event(s) in the batch; nothing was applied", .0.len())]
    InvalidEvents(Vec<tupu_recommend::EventProblem>),
    /// The query ran past the server's query timeout.
    #[error("the query did not finish within {0} ms; narrow it or add a LIMIT")]
    QueryTimeout(u128),
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
    /// A rejection made before or instead of a handler (no route, wrong method, too large,
    /// timeouts): it keeps the status the inner layer gave, which for the rarer statuses is
    /// not its code's (see [`Code`]).
    #[error("{message}")]
    Http {
        /// The status.
        status: StatusCode,
        /// The code, e.g. [`Code::RouteNotFound`].
        code: Code,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// A fault of the server; the body does not say more.
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    /// A refusal with its code (and so its status) and a message.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        ApiError::Refused { code, message: message.into() }
    }

    /// An internal error; the cause is logged, not sent.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        ApiError::Internal(cause.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, details) = match &self {
            ApiError::Refused { code, .. } => (code.status(), *code, None),
            ApiError::Unprocessable { code, details, .. } => (code.status(), *code, Some(json!(details))),
            ApiError::InvalidEvents(problems) => {
                (Code::InvalidEvents.status(), Code::InvalidEvents, Some(json!(problems)))
            }
            ApiError::QueryTimeout(_) => (Code::QueryTimeout.status(), Code::QueryTimeout, None),
            ApiError::TooComplex { limit, max, .. } => {
                (Code::QueryTooComplex.status(), Code::QueryTooComplex, Some(json!({ "limit": limit, "max": max })))
            }
            ApiError::Http { status, code, .. } => (*status, *code, None),
            ApiError::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                (Code::Internal.status(), Code::Internal, None)
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
            ResolveError::Unknown(_) => ApiError::new(Code::NodeNotFound, e.to_string()),
            ResolveError::Ambiguous(_) => ApiError::new(Code::AmbiguousId, e.to_string()),
        }
    }
}

impl From<GraphError> for ApiError {
    fn from(e: GraphError) -> Self {
        match e {
            GraphError::Rejected(details) => ApiError::Unprocessable {
                code: Code::ValidationFailed,
                message: format!("the change was rejected: {} problem(s)", details.len()),
                details,
            },
            GraphError::Resolve(r) => r.into(),
            GraphError::InvalidGraphName { .. } => ApiError::new(Code::InvalidGraphName, e.to_string()),
            GraphError::QuerySyntax(m) => ApiError::new(Code::QuerySyntax, m),
            GraphError::Unsupported(m) => ApiError::new(Code::UnsupportedOperation, m),
            GraphError::QueryCancelled => ApiError::QueryTimeout(0),
            GraphError::Query(m) => ApiError::new(Code::QueryFailed, m),
            GraphError::TooComplex { limit, max, message } => ApiError::TooComplex { limit, max, message },
            GraphError::RowBudgetExceeded(_) => ApiError::new(Code::RowBudgetExceeded, e.to_string()),
            GraphError::UpdateTooLarge { .. } => ApiError::new(Code::UpdateTooLarge, e.to_string()),
            GraphError::Forbidden(message) => ApiError::new(Code::AdminRequired, message),
            GraphError::Export(_) | GraphError::Storage(_) => ApiError::internal(e),
        }
    }
}
