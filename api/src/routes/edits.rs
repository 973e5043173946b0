//! `POST /api/v1/edits` (node-level edits, validated and committed, or only checked) and
//! `POST /api/v1/impact` (what a change would touch: learners, resources, dependent nodes,
//! and the findings it would raise).

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::routing::post;
use axum::{Json, Router};
use oxigraph::model::{NamedOrBlankNode, Quad, Term};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tupu_graph::{ChangeSet, Diagnostic, DiagnosticCode, Edit, Location, NodeId, Relation, Snapshot, plan_edits};

use crate::error::{ApiError, Code};
use crate::routes::history::quad_views;
use crate::routes::nodes::NodeRef;
use crate::state::{AppState, blocking};

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/api/v1/edits", post(edit)).route("/api/v1/impact", post(impact_route))
}

/// The body of an edit, a draft or an impact request.
#[derive(Deserialize)]
pub(crate) struct EditRequest {
    pub(crate) author: Option<String>,
    pub(crate) message: Option<String>,
    pub(crate) edits: Vec<Value>,
    /// Only check: plan and validate, commit nothing.
    #[serde(default)]
    pub(crate) check: bool,
}

const EXPECTED: &str = "send {\"author\": \"...\", \"message\": \"...\", \"edits\": [{\"op\": \"add_relation\", \"node\": ID, \"relation\": \"requires\", \"target\": ID}]}";

/// The request body and its typed edits, or a 400 saying what to send, or a 422 naming
/// each malformed edit.
pub(crate) fn request(body: Result<Json<EditRequest>, JsonRejection>) -> Result<(EditRequest, Vec<Edit>), ApiError> {
    let request = body.map(|Json(v)| v).map_err(|e| ApiError::new(Code::InvalidBody, format!("{e}; {EXPECTED}")))?;
    let edits = typed(&request.edits)?;
    Ok((request, edits))
}

/// The typed edits, or a 422 naming each malformed one by index.
pub(crate) fn typed(edits: &[Value]) -> Result<Vec<Edit>, ApiError> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (i, value) in edits.iter().enumerate() {
        match serde_json::from_value::<Edit>(value.clone()) {
            Ok(e) => out.push(e),
            Err(e) => problems.push(
                Diagnostic::violation(DiagnosticCode::InvalidInput, format!("edit {i} is malformed: {e}"))
                    .with_hint(
                        "ops: create, set_label, set_attribute, add_relation, remove_relation, deprecate, merge, split",
                    )
                    .with_location(Location {
                        file: "edits".into(),
                        line: None,
                        column: None,
                        record: Some(i as u64),
                        field: None,
                    }),
            ),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(ApiError::Unprocessable {
            code: Code::InvalidEdits,
            message: format!("{} malformed edit(s); nothing was applied", problems.len()),
            details: problems,
        })
    }
}

/// The change a list of edits makes against the committed state.
pub(crate) fn plan(state: &AppState, edits: &[Edit]) -> Result<ChangeSet, ApiError> {
    let snapshot = state.graph.snapshot();
    Ok(plan_edits(&snapshot, state.graph.store(), edits)?)
}

/// The readable diff of a change.
pub(crate) fn diff(snapshot: &Snapshot, change: &ChangeSet) -> Value {
    let context: Vec<&Quad> = change.added.iter().chain(&change.removed).collect();
    json!({ "added": quad_views(snapshot, &context, &change.added), "removed": quad_views(snapshot, &context, &change.removed) })
}

async fn edit(
    State(state): State<AppState>,
    body: Result<Json<EditRequest>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let (request, edits) = request(body)?;
    blocking(move || {
        let mut change = plan(&state, &edits)?;
        let snapshot = state.graph.snapshot();
        let diff = diff(&snapshot, &change);
        if request.check {
            let findings = state.graph.check_change(change)?;
            let valid = !findings.iter().any(Diagnostic::is_violation);
            return Ok(Json(json!({ "valid": valid, "findings": findings, "diff": diff })));
        }
        change.author = request.author;
        change.message = request.message.or_else(|| Some(format!("{} edit(s)", edits.len())));
        let report = state.graph.commit(change)?;
        Ok(Json(json!({ "version": report.version, "added": report.added, "removed": report.removed, "warnings": report.warnings, "diff": diff })))
    })
    .await
}

/// A learner with evidence on affected nodes.
#[derive(Serialize)]
struct LearnerImpact {
    learner: String,
    events: usize,
    nodes: Vec<String>,
}

/// Nodes of the snapshot that a change touches: subjects and IRI objects of its quads.
fn affected(snapshot: &Snapshot, change: &ChangeSet) -> Vec<NodeId> {
    let mut out = BTreeSet::new();
    for q in change.added.iter().chain(&change.removed) {
        let subject = match &q.subject {
            NamedOrBlankNode::NamedNode(s) => Some(s.as_str()),
            NamedOrBlankNode::BlankNode(_) => None,
        };
        let object = match &q.object {
            Term::NamedNode(o) => Some(o.as_str()),
            _ => None,
        };
        for iri in subject.into_iter().chain(object) {
            if let Ok(n) = snapshot.resolve(iri) {
                if snapshot.iri(n) == iri {
                    out.insert(n);
                }
            }
        }
    }
    out.into_iter().collect()
}

/// What a change touches. Cost: one pass over the learner event log (through the
/// `LearnerStore` trait), plus a breadth-first walk of the nodes that depend on the affected
/// ones (bounded at 10,000 nodes).
pub(crate) fn impact(state: &AppState, change: &ChangeSet) -> Result<Value, ApiError> {
    let snapshot = state.graph.snapshot();
    let nodes = affected(&snapshot, change);
    let iris: BTreeSet<&str> = nodes.iter().map(|&n| snapshot.iri(n)).collect();
    let mut learners: BTreeMap<String, (usize, BTreeSet<String>)> = BTreeMap::new();
    state
        .learners
        .store()
        .each_event(&mut |learner, event| {
            if iris.contains(event.object.as_str()) {
                let entry = learners.entry(learner.to_owned()).or_default();
                entry.0 += 1;
                entry.1.insert(event.object);
            }
        })
        .map_err(ApiError::internal)?;
    let learners: Vec<LearnerImpact> = learners
        .into_iter()
        .map(|(learner, (events, nodes))| LearnerImpact { learner, events, nodes: nodes.into_iter().collect() })
        .collect();
    let mut resources = BTreeSet::new();
    for &n in &nodes {
        for r in [Relation::Teaches, Relation::Assesses] {
            resources.extend(snapshot.inc(n, r).iter().map(|e| e.node));
        }
    }
    // Nodes whose prerequisite closure passes through an affected node: goals and paths to
    // them change.
    let mut seen: BTreeSet<NodeId> = nodes.iter().copied().collect();
    let mut queue: Vec<NodeId> = nodes.clone();
    let mut dependents = Vec::new();
    while let Some(n) = queue.pop() {
        for e in snapshot.inc(n, Relation::Requires) {
            if seen.len() < 10_000 && seen.insert(e.node) {
                dependents.push(e.node);
                queue.push(e.node);
            }
        }
    }
    let findings = state.graph.check_change(change.clone())?;
    let refs = |list: &[NodeId]| list.iter().map(|&n| NodeRef::new(&snapshot, n)).collect::<Vec<_>>();
    let resources: Vec<NodeId> = resources.into_iter().collect();
    Ok(json!({
        "nodes": refs(&nodes),
        "learners": learners,
        "resources": refs(&resources),
        "dependents": { "count": dependents.len(), "nodes": refs(&dependents[..dependents.len().min(50)]) },
        "findings": findings,
        "valid": !findings.iter().any(Diagnostic::is_violation),
    }))
}

async fn impact_route(
    State(state): State<AppState>,
    body: Result<Json<EditRequest>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let (_, edits) = request(body)?;
    blocking(move || {
        let change = plan(&state, &edits)?;
        let mut report = impact(&state, &change)?;
        report["diff"] = diff(&state.graph.snapshot(), &change);
        Ok(Json(report))
    })
    .await
}
