//! Small graphs written as change sets.

use oxigraph::model::vocab::{rdf, xsd};
use oxigraph::model::{GraphName, Literal, NamedNode, Quad};
use tupu_graph::vocab::{skos, tupu};
use tupu_graph::{ChangeSet, graph_iri};

pub fn node(local: &str) -> NamedNode {
    NamedNode::new(format!("https://example.org/k/{local}")).unwrap()
}

pub fn graph() -> GraphName {
    GraphName::NamedNode(graph_iri("test").unwrap())
}

/// A labelled knowledge point.
pub fn kp(local: &str) -> Vec<Quad> {
    vec![
        Quad::new(node(local), rdf::TYPE, tupu::KNOWLEDGE_POINT, graph()),
        Quad::new(node(local), skos::PREF_LABEL, Literal::new_language_tagged_literal_unchecked(local, "en"), graph()),
    ]
}

/// `a tupu:requires b`.
pub fn requires(a: &str, b: &str) -> Quad {
    Quad::new(node(a), tupu::REQUIRES, node(b), graph())
}

pub fn difficulty(a: &str, value: &str) -> Quad {
    Quad::new(node(a), tupu::DIFFICULTY, Literal::new_typed_literal(value, xsd::DECIMAL), graph())
}

/// A chain n0 ◀ n1 ◀ ... ◀ n(len-1) (each requires the previous one).
pub fn chain(len: usize) -> ChangeSet {
    let mut c = ChangeSet::new();
    for i in 0..len {
        c.added.extend(kp(&format!("n{i}")));
        if i > 0 {
            c.added.push(requires(&format!("n{i}"), &format!("n{}", i - 1)));
        }
    }
    c
}
