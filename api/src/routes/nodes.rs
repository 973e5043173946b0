//! `GET /api/v1/nodes/{id}` and `GET /api/v1/nodes/{id}/prerequisites`.
//!
//! `{id}` is a node's full IRI (percent-encoded) or its local name.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tupu_graph::{Label, NodeId, Relation, Snapshot, prerequisite_closure};

use crate::error::ApiError;
use crate::state::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/api/v1/nodes/{id}", get(node)).route("/api/v1/nodes/{id}/prerequisites", get(prerequisites))
}

/// A node in a list: enough to show and to follow.
#[derive(Serialize, Debug, Clone, PartialEq)]
/// It borrows from the snapshot, so a response is built and serialised while the snapshot is
/// held, with no string copied.
pub struct NodeRef<'a> {
    /// Full IRI.
    pub iri: &'a str,
    /// Local name, usable as `{id}`.
    pub id: &'a str,
    /// Label in the requested language, else English, else Chinese, else any.
    pub label: &'a str,
    /// Class.
    pub kind: &'static str,
}

impl<'a> NodeRef<'a> {
    /// The reference to `node` in `snapshot`.
    pub fn new(snapshot: &'a Snapshot, node: NodeId) -> Self {
        Self {
            iri: snapshot.iri(node),
            id: snapshot.local_name(node),
            label: snapshot.label(node, None),
            kind: snapshot.kind(node).as_str(),
        }
    }

    /// The reference with its label in `lang` where the node has one (see [`Snapshot::label`]).
    pub fn in_lang(snapshot: &'a Snapshot, node: NodeId, lang: &str) -> Self {
        Self { label: snapshot.label(node, Some(lang)), ..Self::new(snapshot, node) }
    }
}

/// A neighbour and the qualification of the edge that leads to it.
#[derive(Serialize)]
struct Neighbour<'a> {
    #[serde(flatten)]
    node: NodeRef<'a>,
    #[serde(skip_serializing_if = "is_one")]
    weight: f32,
    #[serde(skip_serializing_if = "is_zero")]
    level: u8,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    optional: bool,
}

fn is_one(x: &f32) -> bool {
    (*x - 1.0).abs() < f32::EPSILON
}

fn is_zero(x: &u8) -> bool {
    *x == 0
}

#[derive(Serialize)]
struct NodeView<'a> {
    #[serde(flatten)]
    node: NodeRef<'a>,
    labels: Vec<Label>,
    framework: Option<String>,
    snapshot_version: u64,
    attributes: BTreeMap<&'static str, serde_json::Value>,
    /// Edges from this node, by relation (e.g. `requires`: its direct prerequisites).
    outgoing: BTreeMap<&'static str, Vec<Neighbour<'a>>>,
    /// Edges into this node, by relation (e.g. `requires`: the nodes that require it).
    incoming: BTreeMap<&'static str, Vec<Neighbour<'a>>>,
}

fn attributes(s: &Snapshot, n: NodeId) -> BTreeMap<&'static str, serde_json::Value> {
    use serde_json::json;
    let a = s.attrs(n);
    let mut out = BTreeMap::new();
    let mut put = |k: &'static str, v: Option<serde_json::Value>| {
        if let Some(v) = v {
            out.insert(k, v);
        }
    };
    put("grade", a.grade.map(|x| json!(x)));
    put("sequence", a.sequence.map(|x| json!(x)));
    put("difficulty", a.difficulty.map(|x| json!(x)));
    put("learning_minutes", a.learning_minutes.map(|x| json!(x)));
    put("mastery_level", a.mastery_level.map(|x| json!(x.as_str())));
    put("thread", a.thread.map(|x| json!(s.symbol(x))));
    put("topic", a.topic.map(|x| json!(s.symbol(x))));
    put("domain", a.domain.map(|x| json!(s.symbol(x))));
    put("subject", a.subject.map(|x| json!(s.symbol(x))));
    put("resource_type", a.resource_type.map(|x| json!(s.symbol(x))));
    // The BKT parameters the learner model uses for a knowledge point: fitted, or its defaults.
    if s.kind(n) == tupu_graph::NodeKind::KnowledgePoint || a.bkt.is_some() {
        let mut bkt = json!(tupu_recommend::default_params(a));
        bkt["source"] = json!(if a.bkt.is_some() { "fitted" } else { "default" });
        bkt["ability"] = json!(tupu_recommend::ability_weight(a));
        bkt["half_life_days"] = json!(tupu_recommend::half_life_days(a));
        bkt["half_life_source"] = json!(if a.bkt_half_life.is_some() { "fitted" } else { "default" });
        put("bkt", Some(bkt));
    }
    out
}

fn neighbours<'a>(
    s: &'a Snapshot,
    n: NodeId,
    outgoing: bool,
    lang: &str,
) -> BTreeMap<&'static str, Vec<Neighbour<'a>>> {
    let mut out = BTreeMap::new();
    for r in Relation::ALL {
        // Symmetric relations are listed once, under `outgoing`.
        if !outgoing && r.is_symmetric() {
            continue;
        }
        let edges = if outgoing { s.out(n, r) } else { s.inc(n, r) };
        if edges.is_empty() {
            continue;
        }
        let list = edges
            .iter()
            .map(|e| Neighbour {
                node: NodeRef::in_lang(s, e.node, lang),
                weight: e.weight,
                level: e.level,
                optional: !e.essential,
            })
            .collect();
        out.insert(r.as_str(), list);
    }
    out
}

/// `?lang=TAG`: the language of the labels (see the `lang` module for the fallback order).
#[derive(Deserialize)]
struct LangParams {
    lang: Option<String>,
}

async fn node(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(params): Query<LangParams>,
) -> Result<Response, ApiError> {
    let lang = super::lang::language(params.lang.as_deref())?;
    let s = state.graph.snapshot();
    let n = s.resolve(&id)?;
    Ok(Json(NodeView {
        node: NodeRef::in_lang(&s, n, lang),
        labels: s.labels(n).to_vec(),
        framework: s.framework(n).map(str::to_owned),
        snapshot_version: s.version(),
        attributes: attributes(&s, n),
        outgoing: neighbours(&s, n, true, lang),
        incoming: neighbours(&s, n, false, lang),
    })
    .into_response())
}

#[derive(Deserialize)]
struct PrerequisiteParams {
    #[serde(default)]
    transitive: bool,
    lang: Option<String>,
}

#[derive(Serialize)]
struct PrerequisiteList<'a> {
    node: NodeRef<'a>,
    transitive: bool,
    snapshot_version: u64,
    count: usize,
    prerequisites: Vec<NodeRef<'a>>,
}

async fn prerequisites(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(params): Query<PrerequisiteParams>,
) -> Result<Response, ApiError> {
    let lang = super::lang::language(params.lang.as_deref())?;
    let s = state.graph.snapshot();
    let n = s.resolve(&id)?;
    let nodes: Vec<NodeId> = if params.transitive { prerequisite_closure(&s, n) } else { s.prerequisites(n).collect() };
    let prerequisites: Vec<NodeRef<'_>> = nodes.iter().map(|&p| NodeRef::in_lang(&s, p, lang)).collect();
    Ok(Json(PrerequisiteList {
        node: NodeRef::in_lang(&s, n, lang),
        transitive: params.transitive,
        snapshot_version: s.version(),
        count: prerequisites.len(),
        prerequisites,
    })
    .into_response())
}
