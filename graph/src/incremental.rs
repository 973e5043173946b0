//! Compiling the snapshot of a commit from the previous snapshot and the change, instead of
//! from every quad of the store.
//!
//! A full compilation reads (and decodes) every quad that feeds the snapshot; on a graph of
//! 10^5 knowledge points that is millions of quads. A commit changes a few, and knows which:
//! the nodes it touches are the subjects and IRI objects of its quads, plus the owners and
//! targets of the qualification nodes it touches. Everything about the other nodes is copied
//! from the previous snapshot (no decoding); everything about the touched ones is read again
//! from the transaction, as the full compiler would read it. The result equals a full
//! compilation up to the numbering of nodes (checked by the property test in
//! `tests/integration/store.rs`).

use std::collections::{BTreeSet, HashMap, HashSet};

use oxigraph::model::vocab::rdf;
use oxigraph::model::{NamedNodeRef, NamedOrBlankNode, NamedOrBlankNodeRef, Quad, Term};
use oxigraph::store::StorageError;

use crate::compile::{
    ATTR_PREDICATES, Compiled, EDGE_PREDICATES, QUALIFIED_PREDICATES, QuadSource, Qualification, add_plain_edge,
    add_qualified_edge, apply_attr, class_of, drop_partial_bkt, graph_text, literal_value, qualified_order,
};
use crate::snapshot::{Edge, NodeAttrs, NodeId, NodeKind, Relation, Snapshot, SnapshotBuilder};
use crate::vocab::{rdfs, skos, tupu};

fn is_qualification_detail(p: NamedNodeRef<'_>) -> bool {
    p == tupu::COMPETENCY_PROP || p == tupu::WEIGHT || p == tupu::LEVEL || p == tupu::ESSENTIAL
}

fn is_qualified_link(p: NamedNodeRef<'_>) -> bool {
    QUALIFIED_PREDICATES.iter().any(|(q, _)| *q == p)
}

fn subject_of(term: &Term) -> Option<NamedOrBlankNode> {
    match term {
        Term::NamedNode(n) => Some(n.clone().into()),
        Term::BlankNode(b) => Some(b.clone().into()),
        Term::Literal(_) => None,
    }
}

/// The terms a change touches (see the module documentation).
fn touched<S: QuadSource>(source: &S, added: &[Quad], removed: &[Quad]) -> Result<Vec<NamedOrBlankNode>, StorageError> {
    let mut out: HashSet<NamedOrBlankNode> = HashSet::new();
    let mut qualifications: HashSet<NamedOrBlankNode> = HashSet::new();
    for q in added.iter().chain(removed) {
        out.insert(q.subject.clone());
        // Objects matter only where the predicate links two nodes (not, say, `rdf:type`,
        // whose objects are classes that every node shares).
        let p = q.predicate.as_ref();
        let links = EDGE_PREDICATES.iter().any(|(e, _, _)| *e == p) || p == tupu::COMPETENCY_PROP;
        if let Some(o) = subject_of(&q.object) {
            if links {
                out.insert(o.clone());
            }
            if is_qualified_link(p) {
                out.insert(o.clone());
                qualifications.insert(o);
            }
        }
        if is_qualification_detail(q.predicate.as_ref()) {
            qualifications.insert(q.subject.clone());
        }
    }
    // A qualification's owners and target, before and after the change.
    for qn in &qualifications {
        for (p, _) in QUALIFIED_PREDICATES {
            for quad in source.quads(None, Some(*p), Some(qn.as_ref().into()), None) {
                out.insert(quad?.subject);
            }
        }
        for quad in source.quads(Some(qn.as_ref()), Some(tupu::COMPETENCY_PROP), None, None) {
            if let Some(o) = subject_of(&quad?.object) {
                out.insert(o);
            }
        }
        for q in removed.iter().filter(|q| q.object == Term::from(qn.clone()) || &q.subject == qn) {
            out.insert(q.subject.clone());
            if let Some(o) = subject_of(&q.object) {
                out.insert(o);
            }
        }
    }
    let mut out: Vec<NamedOrBlankNode> = out.into_iter().collect();
    out.sort_by_cached_key(ToString::to_string);
    Ok(out)
}

fn qualification<S: QuadSource>(source: &S, q: NamedOrBlankNodeRef<'_>) -> Result<Qualification, StorageError> {
    let mut out = Qualification::default();
    for quad in source.quads(Some(q), None, None, None) {
        let quad = quad?;
        let p = quad.predicate.as_ref();
        if p == tupu::COMPETENCY_PROP {
            if let Term::NamedNode(c) = &quad.object {
                out.target = Some(c.as_str().to_owned());
            }
        } else if let Some(v) = literal_value(&quad.object) {
            if p == tupu::WEIGHT {
                out.set_weight(v);
            } else if p == tupu::LEVEL {
                out.set_level(v);
            } else if p == tupu::ESSENTIAL {
                out.set_essential(v);
            }
        }
    }
    Ok(out)
}

/// Compiles the snapshot after a change from the snapshot before it. See the module docs.
/// Changes larger than this many quads are compiled in full: reading every quad incident to
/// the touched nodes would cost more than reading the store.
pub(crate) const INCREMENTAL_LIMIT: usize = 20_000;

pub(crate) fn compile_incremental<S: QuadSource>(
    prev: &Snapshot,
    source: &S,
    added: &[Quad],
    removed: &[Quad],
    version: u64,
) -> Result<Compiled, StorageError> {
    let touched = touched(source, added, removed)?;
    let touched_iris: HashSet<&str> = touched
        .iter()
        .filter_map(|t| match t {
            NamedOrBlankNode::NamedNode(n) => Some(n.as_str()),
            NamedOrBlankNode::BlankNode(_) => None,
        })
        .collect();
    let is_touched = |prev_node: NodeId| touched_iris.contains(prev.iri(prev_node));

    let mut b = SnapshotBuilder::new();
    // 1. Nodes: the untouched ones of the previous snapshot, then the touched ones still typed.
    let mut map: Vec<Option<NodeId>> = vec![None; prev.node_count()];
    for n in prev.nodes() {
        if !is_touched(n) {
            let id = b.node_shared(prev.iri_arc(n), prev.kind(n));
            if let Some(g) = prev.framework(n) {
                b.framework(id, g);
            }
            b.set_labels(id, prev.labels_shared(n));
            let a = prev.attrs(n);
            let mut sym = |s: Option<crate::snapshot::Sym>| s.map(|s| b.symbol(prev.symbol(s)));
            let attrs = NodeAttrs {
                thread: sym(a.thread),
                topic: sym(a.topic),
                domain: sym(a.domain),
                subject: sym(a.subject),
                resource_type: sym(a.resource_type),
                ..a.clone()
            };
            *b.attrs_mut(id) = attrs;
            map[n.index()] = Some(id);
        }
    }
    let mut typed: Vec<(String, NodeKind, String)> = Vec::new();
    for t in &touched {
        let NamedOrBlankNode::NamedNode(iri) = t else { continue };
        for quad in source.quads(Some(iri.as_ref().into()), Some(rdf::TYPE), None, None) {
            let quad = quad?;
            if let Some(kind) = NodeKind::ALL.into_iter().find(|k| Term::from(class_of(*k)) == quad.object) {
                typed.push((iri.as_str().to_owned(), kind, graph_text(&quad)));
            }
        }
    }
    typed.sort();
    for (iri, kind, graph) in &typed {
        let id = b.node(iri, *kind);
        b.framework(id, graph);
    }
    let new_nodes: Vec<(NodeId, String)> = typed
        .iter()
        .map(|(iri, _, _)| iri.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .filter_map(|iri| b.get(&iri).map(|id| (id, iri)))
        .collect();

    // 2. Labels and attributes of the touched nodes.
    for (id, iri) in &new_nodes {
        let subject = oxigraph::model::NamedNode::new_unchecked(iri.clone());
        let mut pref = Vec::new();
        let mut plain = Vec::new();
        for quad in source.quads(Some(subject.as_ref().into()), None, None, None) {
            let quad = quad?;
            let p = quad.predicate.as_ref();
            if let Term::Literal(lit) = &quad.object {
                if p == skos::PREF_LABEL {
                    pref.push((lit.language().unwrap_or("").to_owned(), lit.value().to_owned()));
                } else if p == rdfs::LABEL {
                    plain.push((lit.language().unwrap_or("").to_owned(), lit.value().to_owned()));
                } else if ATTR_PREDICATES.contains(&p) {
                    apply_attr(&mut b, *id, p, lit.value());
                }
            }
        }
        for (lang, text) in if pref.is_empty() { plain } else { pref } {
            b.label(*id, &lang, &text);
        }
        drop_partial_bkt(&mut b, *id);
    }

    // 3. Edges between untouched nodes, copied.
    for relation in Relation::ALL {
        for n in prev.nodes() {
            let Some(from) = map[n.index()] else { continue };
            for e in prev.out(n, relation) {
                if let Some(to) = map[e.node.index()] {
                    b.raw_edge(relation, from, Edge { node: to, ..*e });
                }
            }
        }
    }

    // 4. Edges incident to touched terms, read again: qualified ones first, as the full
    //    compiler does, so that their qualification wins over the plain edge.
    let mut dangling = Vec::new();
    let mut seen: HashSet<Quad> = HashSet::new();
    let mut incident: Vec<Quad> = Vec::new();
    for t in &touched {
        let out = source.quads(Some(t.as_ref()), None, None, None);
        let into = source.quads(None, None, Some(t.as_ref().into()), None);
        for quad in out.chain(into) {
            let quad = quad?;
            if seen.insert(quad.clone()) {
                incident.push(quad);
            }
        }
    }
    // A touched competency is the target of qualifications whose owners may be untouched:
    // their qualified links are incident to it through the qualification node.
    let targets_of: Vec<NamedOrBlankNode> =
        incident.iter().filter(|q| q.predicate.as_ref() == tupu::COMPETENCY_PROP).map(|q| q.subject.clone()).collect();
    for qn in targets_of {
        for (p, _) in QUALIFIED_PREDICATES {
            for quad in source.quads(None, Some(*p), Some(qn.as_ref().into()), None) {
                let quad = quad?;
                if seen.insert(quad.clone()) {
                    incident.push(quad);
                }
            }
        }
    }
    let mut qualifications: HashMap<NamedOrBlankNode, Qualification> = HashMap::new();
    let mut qualified: Vec<(&Quad, Relation)> = incident
        .iter()
        .filter_map(|quad| {
            let (_, relation) = QUALIFIED_PREDICATES.iter().find(|(p, _)| *p == quad.predicate.as_ref())?;
            Some((quad, *relation))
        })
        .collect();
    qualified.sort_by_cached_key(|(quad, _)| qualified_order(quad));
    for (quad, relation) in qualified {
        let Some(qn) = subject_of(&quad.object) else { continue };
        if !qualifications.contains_key(&qn) {
            let q = qualification(source, qn.as_ref())?;
            qualifications.insert(qn.clone(), q);
        }
        add_qualified_edge(&mut b, quad, relation, &qualifications[&qn], &mut dangling);
    }
    for quad in &incident {
        if let Some(&(_, relation, backwards)) = EDGE_PREDICATES.iter().find(|(p, _, _)| *p == quad.predicate.as_ref())
        {
            add_plain_edge(&mut b, quad, relation, backwards, &mut dangling);
        }
    }
    dangling.sort_by(|a, b| (&a.subject, &a.predicate, &a.object).cmp(&(&b.subject, &b.predicate, &b.object)));
    dangling.dedup();
    let unlabelled: Vec<NodeId> = (0..b.node_count()).map(NodeId::new).filter(|&n| b.has_no_label(n)).collect();
    Ok(Compiled { snapshot: b.build(version), dangling, unlabelled })
}
