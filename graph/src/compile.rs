//! Compiles a [`Snapshot`] from the quads of the store (or of an open transaction).

use std::collections::HashMap;

use oxigraph::model::vocab::rdf;
use oxigraph::model::{GraphNameRef, NamedNodeRef, NamedOrBlankNode, NamedOrBlankNodeRef, Quad, Term, TermRef};
use oxigraph::store::{QuadIter, StorageError, Store, Transaction};

use crate::snapshot::{
    BktParams, Edge, MasteryLevel, NodeAttrs, NodeId, NodeKind, Relation, Snapshot, SnapshotBuilder,
};
use crate::vocab::{rdfs, schema, skos, tupu};

/// Anything quads can be read from: the store itself, or a transaction that has not committed.
pub(crate) trait QuadSource {
    /// The iterator of quads matching a pattern.
    type Quads<'a>: Iterator<Item = Result<Quad, StorageError>> + 'a
    where
        Self: 'a;

    fn quads<'a>(
        &'a self,
        subject: Option<NamedOrBlankNodeRef<'_>>,
        predicate: Option<NamedNodeRef<'_>>,
        object: Option<TermRef<'_>>,
        graph: Option<GraphNameRef<'_>>,
    ) -> Self::Quads<'a>;

    /// The store itself, when the source is one: whole-store checks can then ask it SPARQL
    /// queries that decode only their answers (see [`crate::suspects`]).
    fn as_store(&self) -> Option<&Store> {
        None
    }
}

impl QuadSource for Store {
    type Quads<'a> = QuadIter<'a>;

    fn quads<'a>(
        &'a self,
        subject: Option<NamedOrBlankNodeRef<'_>>,
        predicate: Option<NamedNodeRef<'_>>,
        object: Option<TermRef<'_>>,
        graph: Option<GraphNameRef<'_>>,
    ) -> QuadIter<'a> {
        self.quads_for_pattern(subject, predicate, object, graph)
    }

    fn as_store(&self) -> Option<&Store> {
        Some(self)
    }
}

impl QuadSource for Transaction<'_> {
    type Quads<'a>
        = QuadIter<'a>
    where
        Self: 'a;

    fn quads<'a>(
        &'a self,
        subject: Option<NamedOrBlankNodeRef<'_>>,
        predicate: Option<NamedNodeRef<'_>>,
        object: Option<TermRef<'_>>,
        graph: Option<GraphNameRef<'_>>,
    ) -> QuadIter<'a> {
        self.quads_for_pattern(subject, predicate, object, graph)
    }
}

/// The class IRI of each node kind.
pub(crate) fn class_of(kind: NodeKind) -> NamedNodeRef<'static> {
    match kind {
        NodeKind::KnowledgePoint => tupu::KNOWLEDGE_POINT,
        NodeKind::Competency => tupu::COMPETENCY,
        NodeKind::Course => tupu::COURSE,
        NodeKind::Major => tupu::MAJOR,
        NodeKind::MicroMajor => tupu::MICRO_MAJOR,
        NodeKind::Occupation => tupu::OCCUPATION,
        NodeKind::Post => tupu::POST,
        NodeKind::Resource => tupu::RESOURCE,
        NodeKind::Framework => tupu::FRAMEWORK,
    }
}

/// Predicates compiled into edges, with the relation they become and whether they are read
/// backwards (`B skos:narrower A` is `A broader B`).
pub(crate) const EDGE_PREDICATES: &[(NamedNodeRef<'static>, Relation, bool)] = &[
    (tupu::REQUIRES, Relation::Requires, false),
    (tupu::BUILDS_ON, Relation::BuildsOn, false),
    (tupu::RELATED_TO, Relation::RelatedTo, false),
    (tupu::CONFUSABLE_WITH, Relation::ConfusableWith, false),
    (tupu::EXTENDS, Relation::Extends, false),
    (tupu::SUPPORTS, Relation::Supports, false),
    (tupu::DEVELOPS, Relation::Develops, false),
    (tupu::REQUIRES_COMPETENCY, Relation::RequiresCompetency, false),
    (tupu::TEACHES, Relation::Teaches, false),
    (schema::TEACHES, Relation::Teaches, false),
    (tupu::ASSESSES, Relation::Assesses, false),
    (schema::ASSESSES, Relation::Assesses, false),
    (skos::BROADER, Relation::Broader, false),
    (skos::NARROWER, Relation::Broader, true),
    (schema::IS_PART_OF, Relation::PartOf, false),
    (skos::EXACT_MATCH, Relation::ExactMatch, false),
    (skos::CLOSE_MATCH, Relation::CloseMatch, false),
    (skos::BROAD_MATCH, Relation::BroadMatch, false),
    (tupu::OCCUPATION_PROP, Relation::OccupationOf, false),
    (crate::edit::IS_REPLACED_BY, Relation::ReplacedBy, false),
];

/// Qualification links and the relation they qualify.
pub(crate) const QUALIFIED_PREDICATES: &[(NamedNodeRef<'static>, Relation)] = &[
    (tupu::QUALIFIED_SUPPORT, Relation::Supports),
    (tupu::QUALIFIED_DEVELOPMENT, Relation::Develops),
    (tupu::QUALIFIED_REQUIREMENT, Relation::RequiresCompetency),
];

/// An edge whose subject or object is not a node of the graph.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DanglingReference {
    /// The predicate of the edge.
    pub predicate: String,
    /// The subject, as written.
    pub subject: String,
    /// The object, as written.
    pub object: String,
    /// Which end is missing: the subject (`true`) or the object.
    pub subject_missing: bool,
    /// The named graph the triple is in.
    pub graph: String,
}

/// A compiled snapshot together with what the compiler could not place.
pub(crate) struct Compiled {
    pub snapshot: Snapshot,
    pub dangling: Vec<DanglingReference>,
    /// Nodes with neither `skos:prefLabel` nor `rdfs:label`.
    pub unlabelled: Vec<NodeId>,
}

fn scan<'a, S: QuadSource>(
    source: &'a S,
    predicate: NamedNodeRef<'_>,
) -> impl Iterator<Item = Result<Quad, StorageError>> + 'a {
    source.quads(None, Some(predicate), None, None)
}

pub(crate) fn named_subject(quad: &Quad) -> Option<&str> {
    match &quad.subject {
        NamedOrBlankNode::NamedNode(n) => Some(n.as_str()),
        NamedOrBlankNode::BlankNode(_) => None,
    }
}

pub(crate) fn literal_value(term: &Term) -> Option<&str> {
    match term {
        Term::Literal(l) => Some(l.value()),
        _ => None,
    }
}

pub(crate) fn term_text(term: &Term) -> String {
    match term {
        Term::NamedNode(n) => n.as_str().to_owned(),
        other => other.to_string(),
    }
}

/// Compiles the whole graph. O(Q) in the number of quads read.
pub(crate) fn compile<S: QuadSource>(source: &S, version: u64) -> Result<Compiled, StorageError> {
    let mut b = SnapshotBuilder::new();

    // 1. Nodes: every IRI typed with a Tupu class, in a deterministic order.
    let mut typed: Vec<(String, NodeKind, String)> = Vec::new();
    for kind in NodeKind::ALL {
        for quad in source.quads(None, Some(rdf::TYPE), Some(class_of(kind).into()), None) {
            let quad = quad?;
            if let Some(iri) = named_subject(&quad) {
                typed.push((iri.to_owned(), kind, graph_text(&quad)));
            }
        }
    }
    typed.sort();
    for (iri, kind, graph) in &typed {
        let node = b.node(iri, *kind);
        b.framework(node, graph);
    }

    // 2. Labels: skos:prefLabel, else rdfs:label.
    let mut has_pref = vec![false; b.node_count()];
    for (predicate, preferred) in [(skos::PREF_LABEL, true), (rdfs::LABEL, false)] {
        for quad in scan(source, predicate) {
            let quad = quad?;
            let (Some(iri), Term::Literal(lit)) = (named_subject(&quad), &quad.object) else {
                continue;
            };
            let Some(node) = b.get(iri) else { continue };
            if preferred {
                has_pref[node.index()] = true;
            } else if has_pref[node.index()] {
                continue;
            }
            b.label(node, lit.language().unwrap_or(""), lit.value());
        }
    }
    let unlabelled: Vec<NodeId> = (0..b.node_count()).map(NodeId::new).filter(|&n| b.has_no_label(n)).collect();

    // 3. Attributes.
    compile_attrs(source, &mut b)?;

    // 4. Edges.
    let dangling = compile_edges(source, &mut b, &|_| true)?;

    Ok(Compiled { snapshot: b.build(version), dangling, unlabelled })
}

/// Where compiled edges go: a [`SnapshotBuilder`], or nowhere ([`NodesOf`]) when only the
/// dangling references are wanted.
pub(crate) trait EdgeSink {
    /// Whether the sink keeps edges, and so needs the qualifications' weights and levels.
    const KEEPS_EDGES: bool;
    /// The node with this IRI.
    fn find(&self, iri: &str) -> Option<NodeId>;
    /// Adds an edge.
    fn add(&mut self, relation: Relation, from: NodeId, edge: Edge);
}

impl EdgeSink for SnapshotBuilder {
    const KEEPS_EDGES: bool = true;
    fn find(&self, iri: &str) -> Option<NodeId> {
        self.get(iri)
    }
    fn add(&mut self, relation: Relation, from: NodeId, edge: Edge) {
        self.qualified_edge(relation, from, edge);
    }
}

/// The nodes of a compiled snapshot, as the ends edges must have; the edges are dropped.
pub(crate) struct NodesOf<'a>(pub(crate) &'a Snapshot);

impl EdgeSink for NodesOf<'_> {
    const KEEPS_EDGES: bool = false;
    fn find(&self, iri: &str) -> Option<NodeId> {
        self.0.node_by_iri(iri)
    }
    fn add(&mut self, _: Relation, _: NodeId, _: Edge) {}
}

/// Reads every edge into `b`, qualified ones first so that their qualification wins over
/// the plain edge, and returns the edges whose ends are not nodes. O(E) in the quads of the
/// relation and qualification predicates. Only the predicates `read` accepts are read.
fn compile_edges<S: QuadSource, B: EdgeSink>(
    source: &S,
    b: &mut B,
    read: &dyn Fn(NamedNodeRef<'_>) -> bool,
) -> Result<Vec<DanglingReference>, StorageError> {
    let mut qualifications: HashMap<Term, Qualification> = HashMap::new();
    let qualified = QUALIFIED_PREDICATES.iter().any(|&(p, _)| read(p));
    for quad in qualified.then(|| scan(source, tupu::COMPETENCY_PROP)).into_iter().flatten() {
        let quad = quad?;
        if let Term::NamedNode(c) = &quad.object {
            qualifications.entry(quad.subject.clone().into()).or_default().target = Some(c.as_str().to_owned());
        }
    }
    let values: &[(NamedNodeRef<'_>, fn(&mut Qualification, &str))] = if B::KEEPS_EDGES {
        &[
            (tupu::WEIGHT, Qualification::set_weight),
            (tupu::LEVEL, Qualification::set_level),
            (tupu::ESSENTIAL, Qualification::set_essential),
        ]
    } else {
        &[]
    };
    for &(predicate, apply) in values {
        for quad in scan(source, predicate) {
            let quad = quad?;
            if let Some(value) = literal_value(&quad.object) {
                if let Some(q) = qualifications.get_mut(&Term::from(quad.subject.clone())) {
                    apply(q, value);
                }
            }
        }
    }
    let mut dangling = Vec::new();
    for &(predicate, relation) in QUALIFIED_PREDICATES.iter().filter(|&&(p, _)| read(p)) {
        let mut quads: Vec<Quad> = scan(source, predicate).collect::<Result<_, _>>()?;
        quads.sort_by_cached_key(qualified_order);
        for quad in quads {
            if let Some(q) = qualifications.get(&quad.object) {
                add_qualified_edge(b, &quad, relation, q, &mut dangling);
            }
        }
    }
    for &(predicate, relation, backwards) in EDGE_PREDICATES.iter().filter(|&&(p, ..)| read(p)) {
        for quad in scan(source, predicate) {
            add_plain_edge(b, &quad?, relation, backwards, &mut dangling);
        }
    }
    Ok(dangling)
}

/// The edges of the state in `source` whose ends are not nodes of `snapshot` (its
/// compilation), as [`compile`] finds them, without compiling anything else.
pub(crate) fn dangling_references<S: QuadSource>(
    source: &S,
    snapshot: &Snapshot,
) -> Result<Vec<DanglingReference>, StorageError> {
    compile_edges(source, &mut NodesOf(snapshot), &|_| true)
}

/// [`dangling_references`] of a whole store, reading only the relation predicates that
/// [`dangling_suspects`] flags: a graph without dangling references is checked by index
/// scans and hash anti-joins of encoded terms alone, decoding nothing.
pub(crate) fn dangling_references_of_store(
    store: &Store,
    snapshot: &Snapshot,
) -> Result<Vec<DanglingReference>, StorageError> {
    match dangling_suspects(store, snapshot) {
        Some(flagged) => compile_edges(store, &mut NodesOf(snapshot), &|p| flagged.iter().any(|f| f.as_ref() == p)),
        None => dangling_references(store, snapshot),
    }
}

/// The relation and qualification predicates of which some quad might be a dangling
/// reference: one whose subject or object (for a qualification, its owner or any target
/// competency) is not a node of `snapshot`. A superset of the predicates of
/// [`dangling_references`]' findings; `None` if the queries could not be evaluated. The
/// distinct ends of the relations are read with `SELECT DISTINCT`, which scans encoded terms
/// and decodes each end once however many edges it has, and looked up in the snapshot; the
/// predicates of the few ends that are no nodes are then found by lookups. O(E) scanned for
/// E relation quads, O(N) decoded for N distinct ends.
pub(crate) fn dangling_suspects(store: &Store, snapshot: &Snapshot) -> Option<Vec<oxigraph::model::NamedNode>> {
    use crate::suspects::{select, values};
    let is_node = |t: &Term| matches!(t, Term::NamedNode(n) if snapshot.node_by_iri(n.as_str()).is_some());
    let plain: Vec<NamedNodeRef<'static>> = EDGE_PREDICATES
        .iter()
        .filter(|(_, r, _)| {
            !matches!(r, Relation::ExactMatch | Relation::CloseMatch | Relation::BroadMatch | Relation::ReplacedBy)
        })
        .map(|&(p, ..)| p)
        .collect();
    let qualified: Vec<NamedNodeRef<'static>> = QUALIFIED_PREDICATES.iter().map(|&(p, _)| p).collect();
    let ends = format!(
        "SELECT DISTINCT ?x WHERE {{ {{ {} ?x ?p ?o }} UNION {{ {} ?s ?p ?x }} UNION {{ {} ?x ?p ?o }} }}",
        values("p", plain.iter().copied()),
        values("p", plain.iter().copied()),
        values("p", qualified.iter().copied()),
    );
    let mut out: Vec<NamedNodeRef<'static>> = Vec::new();
    for end in select(store, &ends)?.iter().filter(|t| !is_node(t)) {
        if let Some(subject) = crate::suspects::as_subject(end.clone()) {
            for quad in store.quads_for_pattern(Some(subject.as_ref()), None, None, None) {
                let predicate = quad.ok()?.predicate;
                out.extend(plain.iter().chain(&qualified).filter(|&&p| p == predicate.as_ref()));
            }
        }
        for quad in store.quads_for_pattern(None, None, Some(end.as_ref()), None) {
            let predicate = quad.ok()?.predicate;
            out.extend(plain.iter().filter(|&&p| p == predicate.as_ref()));
        }
    }
    let targets = format!("SELECT DISTINCT ?o WHERE {{ ?q {} ?o }}", tupu::COMPETENCY_PROP);
    if !select(store, &targets)?.iter().all(is_node) {
        out.extend(&qualified);
    }
    out.sort();
    out.dedup();
    Some(out.into_iter().map(NamedNodeRef::into_owned).collect())
}

/// The order in which both compilers add qualified edges: by owner, then qualification node.
/// Of two qualifications of one edge (one owner, one target) the edge keeps the first one's
/// weight, level and essential flag, so the order must not depend on how quads were read.
pub(crate) fn qualified_order(quad: &Quad) -> (String, String) {
    (quad.subject.to_string(), term_text(&quad.object))
}

/// Adds the qualified edge a `qualifiedX` quad stands for, or records it as dangling.
pub(crate) fn add_qualified_edge<B: EdgeSink>(
    b: &mut B,
    quad: &Quad,
    relation: Relation,
    q: &Qualification,
    dangling: &mut Vec<DanglingReference>,
) {
    let Some(target) = &q.target else { return };
    let from = named_subject(quad).and_then(|s| b.find(s));
    let to = b.find(target);
    match (from, to) {
        (Some(from), Some(to)) => b.add(
            relation,
            from,
            Edge {
                node: to,
                weight: q.weight.unwrap_or(1.0),
                level: q.level.unwrap_or(0),
                essential: q.essential.unwrap_or(true),
            },
        ),
        _ => dangling.push(DanglingReference {
            predicate: quad.predicate.as_str().to_owned(),
            subject: quad.subject.to_string(),
            object: target.clone(),
            subject_missing: from.is_none(),
            graph: graph_text(quad),
        }),
    }
}

/// Adds the edge a plain relation quad stands for, or records it as dangling. Mappings and
/// replacements may point into frameworks that are not loaded, so a missing end of one is not
/// dangling.
pub(crate) fn add_plain_edge<B: EdgeSink>(
    b: &mut B,
    quad: &Quad,
    relation: Relation,
    backwards: bool,
    dangling: &mut Vec<DanglingReference>,
) {
    let subject = named_subject(quad).and_then(|s| b.find(s));
    let object = match &quad.object {
        Term::NamedNode(o) => b.find(o.as_str()),
        _ => None,
    };
    match (subject, object) {
        (Some(s), Some(o)) => {
            let (from, to) = if backwards { (o, s) } else { (s, o) };
            b.add(relation, from, Edge { node: to, weight: 1.0, level: 0, essential: true });
        }
        _ if matches!(
            relation,
            Relation::ExactMatch | Relation::CloseMatch | Relation::BroadMatch | Relation::ReplacedBy
        ) => {}
        _ => dangling.push(DanglingReference {
            predicate: quad.predicate.as_str().to_owned(),
            subject: quad.subject.to_string(),
            object: term_text(&quad.object),
            subject_missing: subject.is_none(),
            graph: graph_text(quad),
        }),
    }
}

pub(crate) fn graph_text(quad: &Quad) -> String {
    match &quad.graph_name {
        oxigraph::model::GraphName::NamedNode(n) => n.as_str().to_owned(),
        oxigraph::model::GraphName::BlankNode(n) => n.to_string(),
        oxigraph::model::GraphName::DefaultGraph => String::new(),
    }
}

#[derive(Default)]
pub(crate) struct Qualification {
    pub(crate) target: Option<String>,
    pub(crate) weight: Option<f32>,
    pub(crate) level: Option<u8>,
    pub(crate) essential: Option<bool>,
}

impl Qualification {
    pub(crate) fn set_weight(&mut self, v: &str) {
        self.weight = v.trim().parse().ok();
    }
    pub(crate) fn set_level(&mut self, v: &str) {
        self.level = v.trim().parse().ok();
    }
    pub(crate) fn set_essential(&mut self, v: &str) {
        self.essential = match v.trim() {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => None,
        };
    }
}

/// Predicates compiled into [`NodeAttrs`].
pub(crate) const ATTR_PREDICATES: [NamedNodeRef<'static>; 17] = [
    tupu::GRADE_LEVEL,
    tupu::SEQUENCE,
    tupu::DIFFICULTY,
    tupu::LEARNING_MINUTES,
    tupu::MASTERY_LEVEL,
    tupu::THREAD,
    tupu::TOPIC,
    tupu::DOMAIN,
    tupu::SUBJECT,
    tupu::RESOURCE_TYPE,
    tupu::BKT_PRIOR,
    tupu::BKT_LEARN,
    tupu::BKT_SLIP,
    tupu::BKT_GUESS,
    tupu::BKT_FORGET,
    tupu::BKT_ABILITY,
    tupu::BKT_HALF_LIFE,
];

/// Sets one attribute of `node` from a literal value. Text attributes are interned: many
/// nodes share a thread, topic, domain or subject.
pub(crate) fn apply_attr(b: &mut SnapshotBuilder, node: NodeId, predicate: NamedNodeRef<'_>, value: &str) {
    fn num<T: std::str::FromStr>(v: &str) -> Option<T> {
        v.trim().parse().ok()
    }
    let symbol = |b: &mut SnapshotBuilder| Some(b.symbol(value));
    if predicate == tupu::GRADE_LEVEL {
        b.attrs_mut(node).grade = num(value);
    } else if predicate == tupu::SEQUENCE {
        b.attrs_mut(node).sequence = num(value);
    } else if predicate == tupu::DIFFICULTY {
        b.attrs_mut(node).difficulty = num(value);
    } else if predicate == tupu::LEARNING_MINUTES {
        b.attrs_mut(node).learning_minutes = num(value);
    } else if predicate == tupu::MASTERY_LEVEL {
        b.attrs_mut(node).mastery_level = MasteryLevel::parse(value.trim());
    } else if predicate == tupu::THREAD {
        b.attrs_mut(node).thread = symbol(b);
    } else if predicate == tupu::TOPIC {
        b.attrs_mut(node).topic = symbol(b);
    } else if predicate == tupu::DOMAIN {
        b.attrs_mut(node).domain = symbol(b);
    } else if predicate == tupu::SUBJECT {
        b.attrs_mut(node).subject = symbol(b);
    } else if predicate == tupu::RESOURCE_TYPE {
        b.attrs_mut(node).resource_type = symbol(b);
    } else if predicate == tupu::BKT_PRIOR {
        bkt(b.attrs_mut(node)).prior = num(value).unwrap_or(f32::NAN);
    } else if predicate == tupu::BKT_LEARN {
        bkt(b.attrs_mut(node)).learn = num(value).unwrap_or(f32::NAN);
    } else if predicate == tupu::BKT_SLIP {
        bkt(b.attrs_mut(node)).slip = num(value).unwrap_or(f32::NAN);
    } else if predicate == tupu::BKT_GUESS {
        bkt(b.attrs_mut(node)).guess = num(value).unwrap_or(f32::NAN);
    } else if predicate == tupu::BKT_FORGET {
        bkt(b.attrs_mut(node)).forget = num(value).unwrap_or(f32::NAN);
    } else if predicate == tupu::BKT_ABILITY {
        b.attrs_mut(node).bkt_ability = num(value).filter(|w: &f32| w.is_finite());
    } else if predicate == tupu::BKT_HALF_LIFE {
        b.attrs_mut(node).bkt_half_life = num(value).filter(|h: &f32| h.is_finite() && *h > 0.0);
    }
}

/// Drops a partial BKT parameter set: the recommender falls back to its defaults. The forget
/// rate is optional (0 when absent); the other four must all be given.
pub(crate) fn drop_partial_bkt(b: &mut SnapshotBuilder, node: NodeId) {
    let attrs = b.attrs_mut(node);
    if let Some(p) = attrs.bkt {
        if ![p.prior, p.learn, p.slip, p.guess, p.forget].iter().all(|x| (0.0..=1.0).contains(x)) {
            attrs.bkt = None;
        }
    }
}

fn compile_attrs<S: QuadSource>(source: &S, b: &mut SnapshotBuilder) -> Result<(), StorageError> {
    for predicate in ATTR_PREDICATES {
        for quad in scan(source, predicate) {
            let quad = quad?;
            let (Some(iri), Some(value)) = (named_subject(&quad), literal_value(&quad.object)) else {
                continue;
            };
            if let Some(node) = b.get(iri) {
                apply_attr(b, node, predicate, value);
            }
        }
    }
    for i in 0..b.node_count() {
        drop_partial_bkt(b, NodeId::new(i));
    }
    Ok(())
}

fn bkt(attrs: &mut NodeAttrs) -> &mut BktParams {
    attrs.bkt.get_or_insert(BktParams {
        prior: f32::NAN,
        learn: f32::NAN,
        slip: f32::NAN,
        guess: f32::NAN,
        forget: 0.0,
    })
}
