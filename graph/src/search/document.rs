//! What the index holds of a node: its texts read from the store, its facets and alignments
//! from the snapshot.

use std::collections::BTreeSet;

use oxigraph::model::{NamedNodeRef, NamedOrBlankNode, Term};
use oxigraph::store::{StorageError, Store};

use crate::snapshot::{NodeId, NodeKind, Relation, Snapshot};
use crate::vocab::{rdfs, schema, skos, tupu};

/// An alignment of a resource to a node: `teaches` or `assesses`, with a confidence.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Alignment {
    /// IRI of the node.
    pub node: String,
    /// `teaches` or `assesses`.
    pub relation: String,
    /// Confidence in [0, 1]; 1 when none was recorded.
    pub confidence: f32,
}

/// One document of the index: a node with its texts. Built from the store by
/// [`read_document`], or directly (benchmarks, tools).
#[derive(Clone, Debug, Default)]
pub struct IndexDocument {
    /// The node's IRI.
    pub iri: String,
    /// The node's kind.
    pub kind: Option<NodeKind>,
    /// Preferred labels first, then alternative and hidden labels.
    pub names: Vec<String>,
    /// Definitions, descriptions, full texts, notes.
    pub body: Vec<String>,
    /// Texts around the node: its topic, thread, broader and parent labels, and for a
    /// resource the labels of the nodes it is aligned to.
    pub context: Vec<String>,
    /// Codes (`skos:notation`).
    pub codes: Vec<String>,
    /// Languages of the node's labels and texts.
    pub langs: BTreeSet<String>,
    /// School grade.
    pub level: Option<u8>,
    /// Subject, e.g. mathematics.
    pub subject: Option<String>,
    /// Resource type (lesson, exercise, ...).
    pub resource_type: Option<String>,
    /// For a resource: the nodes it teaches or assesses.
    pub alignments: Vec<Alignment>,
}

fn literal(term: &Term) -> Option<(&str, &str)> {
    match term {
        Term::Literal(l) => Some((l.value(), l.language().unwrap_or(""))),
        _ => None,
    }
}

fn lang_family(tag: &str) -> Option<String> {
    let primary = tag.split('-').next().unwrap_or("").to_ascii_lowercase();
    (!primary.is_empty()).then_some(primary)
}

/// Reads the document of `node` from the store (its literals) and the snapshot (its kind,
/// attributes and neighbours). Cost: one scan of the node's quads, and one of each of its
/// alignment objects.
pub(crate) fn read_document(store: &Store, snapshot: &Snapshot, node: NodeId) -> Result<IndexDocument, StorageError> {
    let iri = snapshot.iri(node);
    let kind = snapshot.kind(node);
    let mut doc = IndexDocument { iri: iri.to_owned(), kind: Some(kind), ..IndexDocument::default() };
    let subject = NamedNodeRef::new_unchecked(iri);
    let mut alt = Vec::new();
    let mut confidences: Vec<(String, String, f32)> = Vec::new();
    for quad in store.quads_for_pattern(Some(subject.into()), None, None, None) {
        let quad = quad?;
        let p = quad.predicate.as_ref();
        if p == schema::EDUCATIONAL_ALIGNMENT {
            if let Some(found) = read_alignment(store, &quad.object)? {
                confidences.push(found);
            }
            continue;
        }
        let Some((value, lang)) = literal(&quad.object) else { continue };
        if p == skos::PREF_LABEL || p == rdfs::LABEL {
            doc.names.push(value.to_owned());
        } else if p == skos::ALT_LABEL || p == skos::HIDDEN_LABEL {
            alt.push(value.to_owned());
        } else if p == skos::DEFINITION
            || p == schema::DESCRIPTION
            || p == schema::TEXT
            || p == rdfs::COMMENT
            || p == skos::SCOPE_NOTE
        {
            doc.body.push(value.to_owned());
        } else if p == skos::NOTATION {
            doc.codes.push(value.to_owned());
            continue;
        } else if p == schema::IN_LANGUAGE {
            doc.langs.extend(lang_family(value));
            continue;
        } else {
            continue;
        }
        doc.langs.extend(lang_family(lang));
    }
    doc.names.sort();
    doc.names.dedup();
    alt.sort();
    alt.dedup();
    alt.retain(|a| !doc.names.contains(a));
    doc.names.extend(alt);

    let attrs = snapshot.attrs(node);
    doc.level = attrs.grade;
    doc.subject = attrs.subject.map(|s| snapshot.symbol(s).to_owned());
    doc.resource_type = attrs.resource_type.map(|s| snapshot.symbol(s).to_owned());
    for sym in [attrs.topic, attrs.thread].into_iter().flatten() {
        doc.context.push(snapshot.symbol(sym).to_owned());
    }
    for relation in [Relation::Broader, Relation::PartOf] {
        for edge in snapshot.out(node, relation) {
            doc.context.push(snapshot.label(edge.node, None).to_owned());
        }
    }
    // An occupation or a post is also known by what it requires (a title naming "Java" finds
    // the occupation that requires Java), in every language of those competencies.
    if matches!(kind, NodeKind::Occupation | NodeKind::Post) {
        for edge in snapshot.out(node, Relation::RequiresCompetency) {
            doc.context.extend(snapshot.labels(edge.node).iter().map(|l| l.text.to_string()));
        }
    }
    for (relation, name) in [(Relation::Teaches, "teaches"), (Relation::Assesses, "assesses")] {
        for edge in snapshot.out(node, relation) {
            let target = snapshot.iri(edge.node);
            let confidence = confidences.iter().find(|(t, r, _)| t == target && r == name).map_or(1.0, |(_, _, c)| *c);
            doc.alignments.push(Alignment { node: target.to_owned(), relation: name.to_owned(), confidence });
            doc.context.push(snapshot.label(edge.node, None).to_owned());
            let aligned = snapshot.attrs(edge.node);
            if doc.level.is_none() {
                doc.level = aligned.grade;
            }
            if doc.subject.is_none() {
                doc.subject = aligned.subject.map(|s| snapshot.symbol(s).to_owned());
            }
        }
    }
    if kind == NodeKind::Resource && doc.langs.is_empty() {
        doc.langs.extend(snapshot.labels(node).iter().filter_map(|l| lang_family(&l.lang)));
    }
    Ok(doc)
}

/// `(target, type, confidence)` of an `AlignmentObject`.
fn read_alignment(store: &Store, object: &Term) -> Result<Option<(String, String, f32)>, StorageError> {
    let subject: NamedOrBlankNode = match object {
        Term::NamedNode(n) => n.clone().into(),
        Term::BlankNode(b) => b.clone().into(),
        Term::Literal(_) => return Ok(None),
    };
    let (mut target, mut kind, mut weight) = (None, None, 1.0f32);
    for quad in store.quads_for_pattern(Some(subject.as_ref()), None, None, None) {
        let quad = quad?;
        let p = quad.predicate.as_ref();
        match (&quad.object, p) {
            (Term::NamedNode(n), p) if p == schema::TARGET_URL => target = Some(n.as_str().to_owned()),
            (Term::Literal(l), p) if p == schema::ALIGNMENT_TYPE => kind = Some(l.value().to_owned()),
            (Term::Literal(l), p) if p == tupu::WEIGHT => weight = l.value().parse().unwrap_or(1.0),
            _ => {}
        }
    }
    Ok(target.zip(kind).map(|(t, k)| (t, k, weight.clamp(0.0, 1.0))))
}
