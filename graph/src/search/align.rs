//! Automatic alignment of resources that are aligned to nothing, and the quads of an
//! alignment.

use oxigraph::model::vocab::{rdf, xsd};
use oxigraph::model::{GraphName, Literal, NamedNode, Quad};

use super::document::read_document;
use super::link::LinkRequest;
use super::{SearchError, SearchIndex};
use crate::snapshot::{NodeKind, Relation};
use crate::store::{ChangeSet, GraphStore};
use crate::vocab::{schema, tupu};

/// The quads of one alignment of `resource` to `target`: the plain `tupu:teaches` or
/// `tupu:assesses` edge and a `schema:AlignmentObject` with the confidence as `tupu:weight`.
pub fn alignment_quads(
    resource: &NamedNode,
    relation: Relation,
    target: &NamedNode,
    confidence: f64,
    graph: &GraphName,
) -> Vec<Quad> {
    let (predicate, name) = match relation {
        Relation::Assesses => (tupu::ASSESSES, "assesses"),
        _ => (tupu::TEACHES, "teaches"),
    };
    let q = NamedNode::new_unchecked(format!(
        "{}/alignment/{name}/{}",
        resource.as_str(),
        crate::snapshot::local_name(target.as_str())
    ));
    let weight = Literal::new_typed_literal(format!("{:.3}", confidence.clamp(0.0, 1.0)), xsd::DECIMAL);
    vec![
        Quad::new(resource.clone(), predicate, target.clone(), graph.clone()),
        Quad::new(resource.clone(), schema::EDUCATIONAL_ALIGNMENT, q.clone(), graph.clone()),
        Quad::new(q.clone(), rdf::TYPE, schema::ALIGNMENT_OBJECT, graph.clone()),
        Quad::new(q.clone(), schema::ALIGNMENT_TYPE, Literal::new_simple_literal(name), graph.clone()),
        Quad::new(q.clone(), schema::TARGET_URL, target.clone(), graph.clone()),
        Quad::new(q, tupu::WEIGHT, weight, graph.clone()),
    ]
}

/// One alignment made by [`SearchIndex::auto_align`].
#[derive(Clone, Debug, serde::Serialize)]
pub struct AutoAlignment {
    /// The resource.
    pub resource: String,
    /// The node it was aligned to.
    pub node: String,
    /// The node's label.
    pub label: String,
    /// `teaches` or `assesses`.
    pub relation: &'static str,
    /// The link score, kept as the confidence (capped at 1).
    pub score: f32,
}

/// What [`SearchIndex::auto_align`] found.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct AutoAlignReport {
    /// Resources aligned to nothing that were examined.
    pub examined: usize,
    /// The alignments made.
    pub aligned: Vec<AutoAlignment>,
    /// Resources whose best node scored under the threshold (left alone).
    pub below_threshold: usize,
}

impl SearchIndex {
    /// Links every resource that teaches and assesses nothing to its best node of `kinds`
    /// (knowledge points when empty), and returns the change that aligns those scoring at
    /// least `threshold` (exercises and assessments `assesses` it, others `teaches` it), in
    /// the named graph `graph`, with the report. The caller commits the change.
    pub fn auto_align(
        &self,
        store: &GraphStore,
        threshold: f32,
        kinds: &[NodeKind],
        graph: &NamedNode,
    ) -> Result<(ChangeSet, AutoAlignReport), SearchError> {
        let snapshot = store.snapshot();
        let kinds = if kinds.is_empty() { vec![NodeKind::KnowledgePoint] } else { kinds.to_vec() };
        let target_graph = GraphName::NamedNode(graph.clone());
        let mut report = AutoAlignReport::default();
        let mut change = ChangeSet::new();
        for node in snapshot.nodes_of_kind(NodeKind::Resource) {
            if !snapshot.out(node, Relation::Teaches).is_empty() || !snapshot.out(node, Relation::Assesses).is_empty() {
                continue;
            }
            report.examined += 1;
            let doc = read_document(store.store(), &snapshot, node)?;
            let text = doc.names.iter().chain(&doc.body).cloned().collect::<Vec<_>>().join("\n");
            let request = LinkRequest {
                text,
                kinds: kinds.clone(),
                limit: 1,
                exclude: Some(doc.iri.clone()),
                resource_evidence: true,
            };
            let Some(best) = self.link(&snapshot, &request)?.into_iter().next() else {
                report.below_threshold += 1;
                continue;
            };
            if best.score < threshold {
                report.below_threshold += 1;
                continue;
            }
            let relation = match doc.resource_type.as_deref() {
                Some("exercise" | "assessment") => Relation::Assesses,
                _ => Relation::Teaches,
            };
            let resource = NamedNode::new_unchecked(doc.iri.clone());
            let target = NamedNode::new_unchecked(best.iri.clone());
            change.added.extend(alignment_quads(
                &resource,
                relation,
                &target,
                f64::from(best.score.min(1.0)),
                &target_graph,
            ));
            report.aligned.push(AutoAlignment {
                resource: doc.iri,
                node: best.iri,
                label: best.label,
                relation: if relation == Relation::Assesses { "assesses" } else { "teaches" },
                score: best.score,
            });
        }
        Ok((
            change.with_message(format!("align {} resource(s) by text at threshold {threshold}", report.aligned.len())),
            report,
        ))
    }
}
