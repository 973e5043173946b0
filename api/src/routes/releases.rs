//! Releases: `POST /api/v1/releases` (freeze a framework under a name), `GET /api/v1/releases`,
//! `GET /api/v1/releases/{name}` (the released graph in any RDF format, by `Accept` or
//! `?format=`), `GET /api/v1/releases/{name}/diff/{other}` (what changed from one release to
//! another, or to the live graph with `other` = `current`).

use std::collections::HashSet;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use oxigraph::io::{RdfFormat, RdfSerializer};
use oxigraph::model::Quad;
use serde::Deserialize;
use serde_json::{Value, json};
use tupu_graph::{PREFIXES, graph_iri};

use crate::error::{ApiError, Code};
use crate::routes::history::quad_views;
use crate::state::{AppState, blocking};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/releases", post(create).get(list))
        .route("/api/v1/releases/{name}", get(show))
        .route("/api/v1/releases/{name}/diff/{other}", get(diff))
}

#[derive(Deserialize)]
struct ReleaseRequest {
    name: String,
    graph: String,
    author: Option<String>,
    message: Option<String>,
}

fn not_found(name: &str) -> ApiError {
    ApiError::new(Code::ReleaseNotFound, format!("no release is named '{name}'; list them with GET /api/v1/releases"))
}

async fn create(
    State(state): State<AppState>,
    body: Result<Json<ReleaseRequest>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(r) = body.map_err(|e| {
        ApiError::new(Code::InvalidBody, format!("{e}; send {{\"name\": \"v1\", \"graph\": \"chalkbase\"}}"))
    })?;
    let name = r.name.trim().to_owned();
    if name.is_empty() || name == "current" || name.contains('/') {
        return Err(ApiError::new(
            Code::InvalidReleaseName,
            format!("'{name}' cannot name a release; use letters, digits, '.', '-' (not 'current')"),
        ));
    }
    let graph = graph_iri(&r.graph)?;
    blocking(move || {
        // The version and the quads are read under no lock: a commit in between shows as a
        // release whose version is one older than its content; take the version first so it
        // never claims more than it holds.
        let version = state.graph.version();
        let quads = state.graph.graph_quads(&graph)?;
        if quads.is_empty() {
            return Err(ApiError::new(Code::EmptyGraph, format!("the graph {graph} holds nothing to release")));
        }
        let release = state
            .graph
            .history()
            .release(&name, graph.as_str(), version, &quads, r.author, r.message)
            .map_err(ApiError::internal)?
            .ok_or_else(|| {
                ApiError::new(
                    Code::ReleaseExists,
                    format!("a release is already named '{name}'; names are never reused"),
                )
            })?;
        Ok(Json(json!(release)))
    })
    .await
}

async fn list(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    blocking(move || Ok(Json(json!({ "releases": state.graph.history().releases().map_err(ApiError::internal)? }))))
        .await
}

#[derive(Deserialize)]
struct FormatParams {
    format: Option<String>,
}

async fn show(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(p): Query<FormatParams>,
) -> Result<Response, ApiError> {
    let format = match p.format.as_deref() {
        None => RdfFormat::Turtle,
        Some(f) => tupu_ingest::parse_format(f).ok_or_else(|| {
            ApiError::new(
                Code::InvalidParameter,
                format!("unknown RDF format '{f}'; use turtle, ntriples, nquads, trig, rdfxml or jsonld"),
            )
        })?,
    };
    blocking(move || {
        let (_, quads) =
            state.graph.history().released(&name).map_err(ApiError::internal)?.ok_or_else(|| not_found(&name))?;
        let mut serializer = RdfSerializer::from_format(format);
        for (prefix, iri) in PREFIXES {
            serializer = serializer.with_prefix(*prefix, *iri).map_err(ApiError::internal)?;
        }
        let mut writer = serializer.for_writer(Vec::new());
        for q in &quads {
            if format.supports_datasets() {
                writer.serialize_quad(q).map_err(ApiError::internal)?;
            } else {
                writer.serialize_triple(q.as_ref()).map_err(ApiError::internal)?;
            }
        }
        let body = writer.finish().map_err(ApiError::internal)?;
        Ok(([(header::CONTENT_TYPE, format.media_type())], body).into_response())
    })
    .await
}

async fn diff(
    State(state): State<AppState>,
    Path((name, other)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    blocking(move || {
        let history = state.graph.history();
        let (from, before) = history.released(&name).map_err(ApiError::internal)?.ok_or_else(|| not_found(&name))?;
        let after: Vec<Quad> = if other == "current" {
            state.graph.graph_quads(&graph_iri(&from.graph)?)?
        } else {
            history.released(&other).map_err(ApiError::internal)?.ok_or_else(|| not_found(&other))?.1
        };
        let (a, b): (HashSet<&Quad>, HashSet<&Quad>) = (before.iter().collect(), after.iter().collect());
        let mut added: Vec<Quad> = b.difference(&a).map(|q| (*q).clone()).collect();
        let mut removed: Vec<Quad> = a.difference(&b).map(|q| (*q).clone()).collect();
        added.sort_by_cached_key(ToString::to_string);
        removed.sort_by_cached_key(ToString::to_string);
        let snapshot = state.graph.snapshot();
        let context: Vec<&Quad> = before.iter().chain(&after).collect();
        Ok(Json(json!({
            "from": name,
            "to": other,
            "added": quad_views(&snapshot, &context, &added),
            "removed": quad_views(&snapshot, &context, &removed),
        })))
    })
    .await
}
