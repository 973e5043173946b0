//! `POST /api/v1/import?format=case|csv&graph=NAME[&replace=true][&author=A][&message=M]`: a
//! 1EdTech CASE 1.1 JSON package or a designers' CSV template (`ingest/src/csv.rs`) sent as the
//! request body, imported into one named graph as one validated commit, all or nothing.
//! Faults come back as the JSON error body, each with the JSON path (CASE) or the line and
//! column (CSV) in its `location`; nothing is applied.

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::routing::post;
use axum::{Extension, Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use tupu_ingest::ImportError;

use crate::error::{ApiError, Code};
use crate::state::{AppState, blocking};

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/api/v1/import", post(import))
}

#[derive(Deserialize)]
struct ImportParams {
    format: Option<String>,
    graph: Option<String>,
    #[serde(default)]
    replace: bool,
    author: Option<String>,
    message: Option<String>,
}

impl From<ImportError> for ApiError {
    fn from(e: ImportError) -> Self {
        match e {
            ImportError::Invalid { diagnostics, .. } => ApiError::Unprocessable {
                code: Code::InvalidImport,
                message: format!(
                    "{} problem(s) in the input, nothing was imported; each is named by its place in `details`",
                    diagnostics.len()
                ),
                details: diagnostics,
            },
            ImportError::UnknownFormat(_) => ApiError::new(Code::InvalidParameter, e.to_string()),
            ImportError::Io { .. } => ApiError::internal(e),
            ImportError::Graph(e) => e.into(),
        }
    }
}

const USAGE: &str = "send the file as the body of POST /api/v1/import?format=case|csv&graph=NAME";

async fn import(
    State(state): State<AppState>,
    actor: Option<Extension<crate::Actor>>,
    params: Result<Query<ImportParams>, QueryRejection>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let Query(p) = params.map_err(|e| ApiError::new(Code::InvalidParameter, format!("{e}; {USAGE}")))?;
    let format = match p.format.as_deref() {
        Some(f @ ("case" | "csv")) => f,
        Some(other) => {
            return Err(ApiError::new(
                Code::InvalidParameter,
                format!(
                    "format '{other}' cannot be imported over HTTP; use case (1EdTech CASE 1.1 JSON) or csv (the designers' template)"
                ),
            ));
        }
        None => return Err(ApiError::new(Code::MissingParameter, format!("give the format; {USAGE}"))),
    };
    let Some(graph) = p.graph.as_deref() else {
        return Err(ApiError::new(Code::MissingParameter, format!("name the target graph; {USAGE}")));
    };
    let graph = tupu_graph::graph_iri(graph)?;
    let text = String::from_utf8(body.to_vec()).map_err(|e| {
        ApiError::new(
            Code::InvalidBody,
            format!("the body is not UTF-8 (byte {}); {USAGE}", e.utf8_error().valid_up_to()),
        )
    })?;
    if text.trim().is_empty() {
        return Err(ApiError::new(Code::InvalidBody, format!("the body is empty; {USAGE}")));
    }
    let author = p.author.or_else(|| actor.map(|Extension(a)| a.0));
    let (format, store) = (format.to_owned(), state.graph.clone());
    let report = blocking(move || {
        let (quads, what) = if format == "case" {
            (tupu_ingest::convert_case(&text, "body", &graph)?, "CASE")
        } else {
            (tupu_ingest::convert_csv(&text, "body", &graph)?, "CSV")
        };
        let message = p.message.unwrap_or_else(|| format!("import {what} into {graph}"));
        Ok(tupu_ingest::commit_quads_by(&store, quads, &graph, p.replace, message, author)?)
    })
    .await?;
    Ok(Json(json!({
        "version": report.commit.version,
        "read": report.read,
        "graphs": report.graphs,
        "added": report.commit.added,
        "removed": report.commit.removed,
        "warnings": report.commit.warnings,
    })))
}
