//! The error type of the importers.

use std::path::PathBuf;

use tupu_graph::{Diagnostic, GraphError};

/// Why an import failed. In every case nothing was written to the store.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The input has problems; every one found is listed with its location and a hint.
    #[error("{path}: {} problem(s) in the input, nothing was imported; first: {}", .diagnostics.len(), .diagnostics.first().map(ToString::to_string).unwrap_or_default())]
    Invalid {
        /// The input file or folder.
        path: String,
        /// Every problem found.
        diagnostics: Vec<Diagnostic>,
    },
    /// The format could not be told from the file name.
    #[error("cannot tell the RDF format of {0}: give --format (turtle, ntriples, nquads, trig, rdfxml, jsonld)")]
    UnknownFormat(PathBuf),
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The store rejected the change (validation) or failed.
    #[error(transparent)]
    Graph(#[from] GraphError),
}

impl ImportError {
    /// Every diagnostic the error carries (input problems or validation findings).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            ImportError::Invalid { diagnostics, .. } => diagnostics,
            ImportError::Graph(GraphError::Rejected(diagnostics)) => diagnostics,
            _ => &[],
        }
    }

    /// Whether the input (not the system) is at fault.
    pub fn is_user_error(&self) -> bool {
        match self {
            ImportError::Invalid { .. } | ImportError::UnknownFormat(_) | ImportError::Io { .. } => true,
            ImportError::Graph(e) => e.is_user_error(),
        }
    }
}
