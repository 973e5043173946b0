//! `GET /api/v1/history`, `GET /api/v1/history/{version}` and
//! `POST /api/v1/history/{version}/revert`: the record of every commit, its readable diff,
//! and its undoing as a new, validated commit.

use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use oxigraph::model::{NamedOrBlankNode, Quad, Term};
use serde::{Deserialize, Serialize};
use tupu_graph::{CommitRecord, CommitReport, CommitSummary, HistoryFilter, Snapshot, local_name, vocab};

use crate::error::{ApiError, Code};
use crate::state::{AppState, blocking};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/history", get(list))
        .route("/api/v1/history/{version}", get(show))
        .route("/api/v1/history/{version}/revert", post(revert))
}

#[derive(Deserialize)]
struct ListParams {
    node: Option<String>,
    graph: Option<String>,
    author: Option<String>,
    since: Option<String>,
    until: Option<String>,
    before: Option<u64>,
    limit: Option<usize>,
}

/// A commit in a listing, with its time written out.
#[derive(Serialize)]
pub(crate) struct CommitView {
    #[serde(flatten)]
    summary: CommitSummary,
    time: String,
}

impl From<CommitSummary> for CommitView {
    fn from(summary: CommitSummary) -> Self {
        let time = chrono::DateTime::from_timestamp_millis(summary.time_ms)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
            .unwrap_or_default();
        Self { summary, time }
    }
}

/// A time bound: RFC 3339 (`2026-11-26T10:00:00Z`) or a date (`2026-11-26`, midnight UTC).
fn parse_time(field: &str, text: &str) -> Result<i64, ApiError> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Ok(t.timestamp_millis());
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(d.and_time(chrono::NaiveTime::MIN).and_utc().timestamp_millis());
    }
    Err(ApiError::new(
        Code::InvalidParameter,
        format!("'{field}' is '{text}'; write a time as 2026-11-26T10:00:00Z or a date as 2026-11-26"),
    ))
}

/// A node id as the history indexes it: the IRI of a node of the snapshot, or the text as
/// given (a node that no longer exists is found by its full IRI).
fn node_iri(snapshot: &Snapshot, id: &str) -> String {
    snapshot.resolve(id).map(|n| snapshot.iri(n).to_owned()).unwrap_or_else(|_| id.to_owned())
}

async fn list(State(state): State<AppState>, Query(p): Query<ListParams>) -> Result<Json<serde_json::Value>, ApiError> {
    let snapshot = state.graph.snapshot();
    let limit = p.limit.unwrap_or(50).clamp(1, 1000);
    let filter = HistoryFilter {
        node: p.node.as_deref().map(|id| node_iri(&snapshot, id)),
        graph: p.graph.as_deref().map(tupu_graph::graph_iri).transpose()?.map(|g| g.as_str().to_owned()),
        author: p.author,
        since_ms: p.since.as_deref().map(|t| parse_time("since", t)).transpose()?,
        until_ms: p.until.as_deref().map(|t| parse_time("until", t)).transpose()?,
        before: p.before,
        limit,
    };
    let graph = state.graph.clone();
    let commits = blocking(move || graph.history().list(&filter).map_err(ApiError::internal)).await?;
    let next_before = (commits.len() == limit).then(|| commits.last().map(|c| c.version)).flatten();
    let commits: Vec<CommitView> = commits.into_iter().map(CommitView::from).collect();
    Ok(Json(serde_json::json!({ "commits": commits, "next_before": next_before })))
}

/// A term with a label beside it where one is known.
#[derive(Serialize)]
pub(crate) struct TermView {
    value: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    label: Option<String>,
}

/// A quad of a diff, readable.
#[derive(Serialize)]
pub(crate) struct QuadView {
    subject: TermView,
    predicate: TermView,
    object: TermView,
    graph: String,
}

/// Labels: the snapshot's for nodes it knows, else the `prefLabel`s among `quads`.
pub(crate) fn label_of(snapshot: &Snapshot, quads: &[&Quad], iri: &str) -> Option<String> {
    if let Ok(n) = snapshot.resolve(iri) {
        if snapshot.iri(n) == iri {
            return Some(snapshot.label(n, None).to_owned());
        }
    }
    quads.iter().find_map(|q| match (&q.subject, &q.object) {
        (NamedOrBlankNode::NamedNode(s), Term::Literal(l))
            if s.as_str() == iri && q.predicate.as_ref() == vocab::skos::PREF_LABEL =>
        {
            Some(l.value().to_owned())
        }
        _ => None,
    })
}

/// The readable form of a list of quads.
pub(crate) fn quad_views(snapshot: &Snapshot, context: &[&Quad], quads: &[Quad]) -> Vec<QuadView> {
    let term = |t: &Term| match t {
        Term::NamedNode(n) => TermView { value: n.as_str().to_owned(), label: label_of(snapshot, context, n.as_str()) },
        Term::Literal(l) => TermView { value: l.to_string(), label: None },
        other => TermView { value: other.to_string(), label: None },
    };
    quads
        .iter()
        .map(|q| QuadView {
            subject: term(&q.subject.clone().into()),
            predicate: TermView {
                value: q.predicate.as_str().to_owned(),
                label: Some(local_name(q.predicate.as_str()).to_owned()),
            },
            object: term(&q.object),
            graph: q.graph_name.to_string(),
        })
        .collect()
}

/// A recorded commit with its readable diff.
#[derive(Serialize)]
struct RecordView {
    #[serde(flatten)]
    commit: CommitView,
    added: Vec<QuadView>,
    removed: Vec<QuadView>,
}

async fn load(state: &AppState, version: u64) -> Result<CommitRecord, ApiError> {
    let graph = state.graph.clone();
    blocking(move || graph.history().get(version).map_err(ApiError::internal)).await?.ok_or_else(|| {
        ApiError::new(
            Code::CommitNotFound,
            format!("no commit has version {version}; list them with GET /api/v1/history"),
        )
    })
}

async fn show(State(state): State<AppState>, Path(version): Path<u64>) -> Result<Json<serde_json::Value>, ApiError> {
    let record = load(&state, version).await?;
    let snapshot = state.graph.snapshot();
    let context: Vec<&Quad> = record.added.iter().chain(&record.removed).collect();
    let view = RecordView {
        added: quad_views(&snapshot, &context, &record.added),
        removed: quad_views(&snapshot, &context, &record.removed),
        commit: record.summary.clone().into(),
    };
    Ok(Json(serde_json::to_value(view).map_err(ApiError::internal)?))
}

/// Who asks for a change, and why.
#[derive(Deserialize, Default)]
pub(crate) struct Signature {
    pub(crate) author: Option<String>,
    pub(crate) message: Option<String>,
}

impl From<tupu_graph::RevertError> for ApiError {
    fn from(e: tupu_graph::RevertError) -> Self {
        match e {
            tupu_graph::RevertError::NotFound(_) => ApiError::new(Code::CommitNotFound, e.to_string()),
            tupu_graph::RevertError::Conflict { .. } => ApiError::new(Code::RevertConflict, e.to_string()),
            tupu_graph::RevertError::Graph(e) => e.into(),
        }
    }
}

async fn revert(
    State(state): State<AppState>,
    Path(version): Path<u64>,
    body: Option<Json<Signature>>,
) -> Result<Json<CommitReport>, ApiError> {
    let Json(signature) = body.unwrap_or_default();
    let graph = state.graph.clone();
    let report =
        blocking(move || Ok(tupu_graph::revert(&graph, version, signature.author, signature.message)?)).await?;
    Ok(Json(report))
}
