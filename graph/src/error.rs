//! The error type of the graph crate.

use oxigraph::sparql::QueryEvaluationError;
use oxigraph::store::StorageError;

use crate::diagnostic::Diagnostic;
use crate::snapshot::ResolveError;

/// Why a graph operation failed.
///
/// User mistakes ([`GraphError::is_user_error`]) carry what the caller needs to fix the input;
/// the others are faults of the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    /// The change was not committed because validation found violations (all are listed).
    #[error("the change was rejected: {} problem(s), first: {}", .0.len(), .0.first().map(ToString::to_string).unwrap_or_default())]
    Rejected(Vec<Diagnostic>),
    /// A node id does not name a node.
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    /// A framework name is not a valid graph name.
    #[error("'{name}' is not a valid graph name: {reason}")]
    InvalidGraphName {
        /// The name given.
        name: String,
        /// Why it is invalid.
        reason: String,
    },
    /// The SPARQL text does not parse.
    #[error("SPARQL syntax error: {0}")]
    QuerySyntax(String),
    /// A valid request for an operation Tupu does not perform (e.g. SPARQL `LOAD`).
    #[error("{0}")]
    Unsupported(String),
    /// The query was cancelled (timeout or client gone).
    #[error("the query was cancelled before it finished")]
    QueryCancelled,
    /// The SPARQL text nests or branches beyond a documented limit (refused before parsing).
    #[error("{message}")]
    TooComplex {
        /// The limit's name, e.g. `max_depth`.
        limit: &'static str,
        /// Its value.
        max: usize,
        /// What was found and how to fix it.
        message: String,
    },
    /// The evaluation produced more intermediate rows than its budget allows.
    #[error("the request produced more than {0} intermediate rows; make its patterns more specific or add a LIMIT")]
    RowBudgetExceeded(u64),
    /// An update would change more quads than allowed.
    #[error("the update changes more than {max} quads; split it or import the data with `tupu import`")]
    UpdateTooLarge {
        /// The limit.
        max: usize,
    },
    /// The operation needs more rights than the caller has (whole-graph operations, system graphs).
    #[error("{0}")]
    Forbidden(String),
    /// The query failed while it was evaluated.
    #[error("query evaluation failed: {0}")]
    Query(String),
    /// Serialising a graph failed.
    #[error("export failed: {0}")]
    Export(String),
    /// The storage layer failed.
    #[error("storage error: {0}")]
    Storage(#[from] StorageError),
}

impl GraphError {
    /// Whether the caller's input caused the error (as opposed to a fault of the store).
    pub fn is_user_error(&self) -> bool {
        match self {
            GraphError::Rejected(_)
            | GraphError::Resolve(_)
            | GraphError::InvalidGraphName { .. }
            | GraphError::QuerySyntax(_)
            | GraphError::Unsupported(_)
            | GraphError::QueryCancelled
            | GraphError::TooComplex { .. }
            | GraphError::RowBudgetExceeded(_)
            | GraphError::UpdateTooLarge { .. }
            | GraphError::Forbidden(_)
            | GraphError::Query(_) => true,
            GraphError::Export(_) | GraphError::Storage(_) => false,
        }
    }
}

impl From<QueryEvaluationError> for GraphError {
    fn from(e: QueryEvaluationError) -> Self {
        match e {
            QueryEvaluationError::Cancelled => GraphError::QueryCancelled,
            QueryEvaluationError::Dataset(inner) => GraphError::Query(inner.to_string()),
            other => GraphError::Query(other.to_string()),
        }
    }
}
