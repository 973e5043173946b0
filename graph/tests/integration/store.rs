use std::sync::Arc;

use tupu_graph::{ChangeSet, DiagnosticCode, GraphError, GraphStore, NodeKind, Relation, prerequisite_closure};

use crate::fixtures::{chain, difficulty, kp, node, requires};

fn rejected(result: Result<tupu_graph::CommitReport, GraphError>) -> Vec<tupu_graph::Diagnostic> {
    match result {
        Err(GraphError::Rejected(d)) => d,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[test]
fn a_store_closed_and_reopened_answers_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let (version, closure, quads) = {
        let store = GraphStore::open(dir.path()).unwrap();
        store.commit(chain(30)).unwrap();
        let mut more = ChangeSet::new();
        more.added.extend(kp("extra"));
        more.added.push(requires("extra", "n29"));
        store.commit(more).unwrap();
        let s = store.snapshot();
        let closure: Vec<String> =
            prerequisite_closure(&s, s.resolve("extra").unwrap()).iter().map(|&n| s.iri(n).to_owned()).collect();
        (store.version(), closure, store.len().unwrap())
    };
    assert_eq!(version, 2);
    let store = GraphStore::open(dir.path()).unwrap();
    let s = store.snapshot();
    assert_eq!(s.version(), 2);
    assert_eq!(store.len().unwrap(), quads);
    let again: Vec<String> =
        prerequisite_closure(&s, s.resolve("extra").unwrap()).iter().map(|&n| s.iri(n).to_owned()).collect();
    assert_eq!(again, closure);
    assert_eq!(again.len(), 30);
    assert_eq!(s.nodes_of_kind(NodeKind::KnowledgePoint).count(), 31);
}

#[test]
fn a_cycle_is_named_and_nothing_is_applied() {
    let dir = tempfile::tempdir().unwrap();
    let store = GraphStore::open(dir.path()).unwrap();
    store.commit(chain(5)).unwrap();
    let before = (store.len().unwrap(), store.version());
    let mut change = ChangeSet::new();
    change.added.extend(kp("innocent"));
    change.added.push(requires("n0", "n4"));
    let findings = rejected(store.commit(change));
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].code, DiagnosticCode::PrerequisiteCycle);
    let cycle: Vec<&str> = findings[0].cycle.iter().map(|i| i.rsplit('/').next().unwrap()).collect();
    assert_eq!(cycle, vec!["n0", "n4", "n3", "n2", "n1", "n0"]);
    assert_eq!((store.len().unwrap(), store.version()), before);
    assert!(store.snapshot().resolve("innocent").is_err());
}

#[test]
fn every_problem_of_a_change_is_reported() {
    let store = GraphStore::in_memory().unwrap();
    tupu_ingest_free_shapes(&store);
    store.commit(chain(3)).unwrap();
    let mut change = ChangeSet::new();
    // Dangling reference, missing label and a shape violation at once.
    change.added.push(requires("n2", "ghost"));
    change.added.push(oxigraph::model::Quad::new(
        node("bare"),
        oxigraph::model::vocab::rdf::TYPE,
        tupu_graph::vocab::tupu::KNOWLEDGE_POINT,
        crate::fixtures::graph(),
    ));
    change.added.push(difficulty("n1", "1.5"));
    let findings = rejected(store.commit(change));
    let codes: Vec<DiagnosticCode> = findings.iter().map(|d| d.code).collect();
    assert!(codes.contains(&DiagnosticCode::DanglingReference), "{findings:#?}");
    assert!(codes.contains(&DiagnosticCode::MissingLabel), "{findings:#?}");
    let shape = findings.iter().find(|d| d.code == DiagnosticCode::ShapeViolation).expect("a shape violation");
    assert!(shape.path.as_deref().unwrap().ends_with("difficulty"));
    assert!(shape.hint.is_some());
    assert_eq!(store.version(), 2);
}

/// Loads only the bundled shapes file, so this test does not depend on the ingest crate.
fn tupu_ingest_free_shapes(store: &GraphStore) {
    use oxigraph::io::{RdfFormat, RdfParser};
    let graph = tupu_graph::graph_iri(tupu_graph::vocab::SHAPES_GRAPH).unwrap();
    let quads: Vec<_> = RdfParser::from_format(RdfFormat::Turtle)
        .with_default_graph(graph)
        .for_slice(include_str!("../../../ontologies/shapes.ttl"))
        .collect::<Result<_, _>>()
        .unwrap();
    store.commit(ChangeSet::adding(quads)).unwrap();
}

#[test]
fn removals_and_replacements_recompile_the_snapshot() {
    let store = GraphStore::in_memory().unwrap();
    store.commit(chain(4)).unwrap();
    let mut change = ChangeSet::new();
    change.removed.push(requires("n3", "n2"));
    change.added.push(requires("n3", "n0"));
    let report = store.commit(change).unwrap();
    assert_eq!((report.added, report.removed), (1, 1));
    let s = store.snapshot();
    let n3 = s.resolve("n3").unwrap();
    assert_eq!(s.prerequisites(n3).map(|p| s.local_name(p).to_owned()).collect::<Vec<_>>(), vec!["n0"]);
    // Removing what is not there, adding what is: an empty effective change.
    let mut noop = ChangeSet::new();
    noop.removed.push(requires("n3", "n2"));
    noop.added.push(requires("n3", "n0"));
    let report = store.commit(noop).unwrap();
    assert_eq!((report.added, report.removed), (0, 0));
}

#[test]
fn readers_never_see_half_a_change() {
    let store = Arc::new(GraphStore::in_memory().unwrap());
    store.commit(chain(2)).unwrap();
    let writer = {
        let store = store.clone();
        std::thread::spawn(move || {
            // Each commit adds a node and its edge together.
            for i in 0..40 {
                let mut c = ChangeSet::new();
                c.added.extend(kp(&format!("w{i}")));
                c.added.push(requires(&format!("w{i}"), "n1"));
                store.commit(c).unwrap();
            }
        })
    };
    let mut last = 0;
    let mut seen_versions = 0;
    while !writer.is_finished() || seen_versions == 0 {
        let s = store.snapshot();
        assert!(s.version() >= last);
        if s.version() != last {
            seen_versions += 1;
        }
        last = s.version();
        // Every node of a snapshot has its edge: the node and the edge came in one commit.
        let n1 = s.resolve("n1").unwrap();
        let dependents = s.inc(n1, Relation::Requires).len();
        assert_eq!(dependents as u64, s.version() - 1);
        assert_eq!(s.node_count() as u64, 2 + s.version() - 1);
    }
    writer.join().unwrap();
    assert_eq!(store.version(), 41);
}

#[test]
fn listeners_hear_what_changed() {
    let store = GraphStore::in_memory().unwrap();
    let heard = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = heard.clone();
    store.subscribe(move |e| sink.lock().unwrap().push((e.version, e.added.len(), e.removed.len())));
    store.commit(chain(2)).unwrap();
    let mut c = ChangeSet::new();
    c.removed.push(requires("n1", "n0"));
    store.commit(c).unwrap();
    assert_eq!(*heard.lock().unwrap(), vec![(1, 5, 0), (2, 0, 1)]);
}

#[test]
fn sparql_updates_go_through_the_commit_path() {
    let store = GraphStore::in_memory().unwrap();
    store.commit(chain(3)).unwrap();
    let heard = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = heard.clone();
    store.subscribe(move |e| sink.lock().unwrap().push((e.added.len(), e.removed.len())));
    let prefixes = "PREFIX tupu: <https://w3id.org/tupu/ns#> PREFIX skos: <http://www.w3.org/2004/02/skos/core#> PREFIX k: <https://example.org/k/> ";

    // INSERT DATA into a named graph.
    let report = store
        .update(&format!("{prefixes} INSERT DATA {{ GRAPH <https://w3id.org/tupu/graph/test> {{ k:n3 a tupu:KnowledgePoint ; skos:prefLabel \"n3\"@en ; tupu:requires k:n2 }} }}"), None)
        .unwrap();
    assert_eq!((report.added, report.removed), (3, 0));
    let s = store.snapshot();
    assert_eq!(s.prerequisites(s.resolve("n3").unwrap()).count(), 1);

    // DELETE/INSERT WHERE: every edge into n0 now points to n1 instead... except that would
    // make n1 require itself: the whole update is rejected and nothing changes.
    let before = store.len().unwrap();
    let err = store
        .update(&format!("{prefixes} DELETE {{ GRAPH ?g {{ ?a tupu:requires k:n0 }} }} INSERT {{ GRAPH ?g {{ ?a tupu:requires k:n1 }} }} WHERE {{ GRAPH ?g {{ ?a tupu:requires k:n0 }} }}"), None)
        .unwrap_err();
    assert!(matches!(err, GraphError::Rejected(ref d) if d[0].code == DiagnosticCode::PrerequisiteCycle), "{err}");
    assert_eq!(store.len().unwrap(), before);

    // A valid DELETE/INSERT WHERE: n3 requires n0 instead of n2.
    let report = store
        .update(&format!("{prefixes} DELETE {{ GRAPH ?g {{ k:n3 tupu:requires ?x }} }} INSERT {{ GRAPH ?g {{ k:n3 tupu:requires k:n0 }} }} WHERE {{ GRAPH ?g {{ k:n3 tupu:requires ?x }} }}"), None)
        .unwrap();
    assert_eq!((report.added, report.removed), (1, 1));

    // Operations that cancel out commit nothing: no new version, no listener called.
    let report = store
        .update(&format!("{prefixes} INSERT DATA {{ GRAPH <https://w3id.org/tupu/graph/test> {{ k:n0 skos:altLabel \"x\" }} }} ; DELETE DATA {{ GRAPH <https://w3id.org/tupu/graph/test> {{ k:n0 skos:altLabel \"x\" }} }}"), None)
        .unwrap();
    assert_eq!((report.added, report.removed), (0, 0));

    // LOAD is refused; syntax errors are user errors.
    assert!(matches!(store.update("LOAD <http://example.org/x>", None), Err(GraphError::Unsupported(_))));
    assert!(store.update("INSERT DATTA {}", None).unwrap_err().is_user_error());

    // CLEAR GRAPH removes a framework whole.
    let report = store.update("CLEAR GRAPH <https://w3id.org/tupu/graph/test>", None).unwrap();
    assert!(report.removed > 0);
    assert_eq!(store.snapshot().node_count(), 0);
    assert_eq!(heard.lock().unwrap().len(), 3);
}

/// Everything a snapshot says, independent of node numbering.
pub(crate) fn canon(s: &tupu_graph::Snapshot) -> (Vec<String>, Vec<String>) {
    let mut nodes: Vec<String> = s
        .nodes()
        .map(|n| {
            let a = s.attrs(n);
            let sym = |x: Option<tupu_graph::Sym>| x.map(|x| s.symbol(x).to_owned());
            let mut labels: Vec<String> = s.labels(n).iter().map(|l| format!("{}@{}", l.text, l.lang)).collect();
            labels.sort();
            format!(
                "{} {:?} {:?} {labels:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?}",
                s.iri(n),
                s.kind(n),
                s.framework(n),
                a.grade,
                a.sequence,
                a.difficulty,
                a.learning_minutes,
                a.mastery_level,
                sym(a.thread),
                sym(a.topic),
                sym(a.domain),
                sym(a.subject),
                sym(a.resource_type),
                a.bkt
            )
        })
        .collect();
    nodes.sort();
    let mut edges = Vec::new();
    for r in Relation::ALL {
        for n in s.nodes() {
            for e in s.out(n, r) {
                edges.push(format!("{r} {} {} {} {} {}", s.iri(n), s.iri(e.node), e.weight, e.level, e.essential));
            }
        }
    }
    edges.sort();
    (nodes, edges)
}

mod incremental {
    use super::*;
    use oxigraph::model::vocab::{rdf, xsd};
    use oxigraph::model::{GraphName, Literal, NamedNode, Quad};
    use proptest::prelude::*;
    use tupu_graph::vocab::{skos, tupu};

    /// One random quad over a small vocabulary of nodes, predicates and values.
    fn quad() -> impl Strategy<Value = Quad> {
        (0usize..8, 0usize..16, 0usize..8, 0usize..2).prop_map(|(s, p, o, g)| {
            let node = |i: usize| NamedNode::new(format!("https://example.org/k/n{i}")).unwrap();
            let qual = |i: usize| NamedNode::new(format!("https://example.org/k/q{i}")).unwrap();
            let graph = GraphName::NamedNode(NamedNode::new(format!("https://w3id.org/tupu/graph/g{g}")).unwrap());
            let (subject, predicate, object): (NamedNode, NamedNode, oxigraph::model::Term) = match p {
                0 => (node(s), rdf::TYPE.into_owned(), tupu::KNOWLEDGE_POINT.into()),
                1 => (node(s), rdf::TYPE.into_owned(), tupu::COMPETENCY.into()),
                2 => (
                    node(s),
                    skos::PREF_LABEL.into_owned(),
                    Literal::new_language_tagged_literal_unchecked(format!("l{o}"), "en").into(),
                ),
                3 => (
                    node(s),
                    tupu_graph::vocab::rdfs::LABEL.into_owned(),
                    Literal::new_simple_literal(format!("r{o}")).into(),
                ),
                4 | 5 => (node(s), tupu::BUILDS_ON.into_owned(), node(o).into()),
                6 => (node(s), tupu::RELATED_TO.into_owned(), node(o).into()),
                7 => (node(s), skos::NARROWER.into_owned(), node(o).into()),
                8 => (node(s), tupu::THREAD.into_owned(), Literal::new_simple_literal(format!("t{o}")).into()),
                9 => (
                    node(s),
                    tupu::GRADE_LEVEL.into_owned(),
                    Literal::new_typed_literal(o.to_string(), xsd::INTEGER).into(),
                ),
                10 => (node(s), tupu::SUPPORTS.into_owned(), node(o).into()),
                11 => (node(s), tupu::QUALIFIED_SUPPORT.into_owned(), qual(o % 3).into()),
                12 => (qual(s % 3), tupu::COMPETENCY_PROP.into_owned(), node(o).into()),
                13 => (
                    qual(s % 3),
                    tupu::WEIGHT.into_owned(),
                    Literal::new_typed_literal(format!("0.{o}"), xsd::DECIMAL).into(),
                ),
                14 => (
                    node(s),
                    tupu::BKT_PRIOR.into_owned(),
                    Literal::new_typed_literal(format!("0.{o}"), xsd::DOUBLE).into(),
                ),
                _ => (node(s), skos::EXACT_MATCH.into_owned(), node(o).into()),
            };
            Quad::new(subject, predicate, object, graph)
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        /// After every commit of a random sequence, the snapshot compiled from the previous
        /// one and the change equals a compilation of the whole store.
        #[test]
        fn incremental_compilation_equals_a_full_one(
            changes in proptest::collection::vec(
                (proptest::collection::vec(quad(), 0..12), proptest::collection::vec(quad(), 0..6)),
                1..8,
            )
        ) {
            let store = GraphStore::in_memory().unwrap();
            // A base of eight labelled knowledge points; the random changes edit around it.
            let g = GraphName::NamedNode(NamedNode::new("https://w3id.org/tupu/graph/g0").unwrap());
            let mut base = ChangeSet::new();
            for i in 0..8 {
                let n = NamedNode::new(format!("https://example.org/k/n{i}")).unwrap();
                base.added.push(Quad::new(n.clone(), rdf::TYPE, tupu::KNOWLEDGE_POINT, g.clone()));
                base.added.push(Quad::new(n, skos::PREF_LABEL, Literal::new_simple_literal(format!("n{i}")), g.clone()));
            }
            store.commit(base).unwrap();
            let mut accepted = 0;
            for (added, removed) in changes {
                let change = ChangeSet { added, removed, ..ChangeSet::new() };
                // Rejected changes (dangling references, unlabelled nodes) leave both as they were.
                // A commit that changes nothing makes no version.
                accepted += usize::from(matches!(store.commit(change), Ok(r) if r.added + r.removed > 0));
                let full = store.compile_snapshot().unwrap();
                prop_assert_eq!(canon(&store.snapshot()), canon(&full));
                // What the incremental checks accepted, the full validation accepts too.
                let violations: Vec<_> = store.validate().unwrap().into_iter().filter(|d| d.is_violation()).collect();
                prop_assert!(violations.is_empty(), "{:?}", violations);
            }
            prop_assert_eq!(store.version() as usize, 1 + accepted);
        }
    }
}

#[test]
fn a_nodes_descriptions_are_its_alternative_labels_and_definitions() {
    use oxigraph::model::{Literal, Quad};
    use tupu_graph::vocab::skos;

    let store = GraphStore::in_memory().unwrap();
    let mut change = ChangeSet::new();
    change.added.extend(kp("a"));
    let text = |p, t: &str, lang: &str| {
        Quad::new(node("a"), p, Literal::new_language_tagged_literal_unchecked(t, lang), crate::fixtures::graph())
    };
    change.added.push(text(skos::ALT_LABEL, "first point", "en"));
    change.added.push(text(skos::DEFINITION, "开始的知识点", "zh"));
    store.commit(change).unwrap();
    let mut texts = store.descriptions(node("a").as_str()).unwrap();
    texts.sort();
    // The preferred label is the snapshot's, not a description.
    assert_eq!(texts, ["first point", "开始的知识点"]);
    assert!(store.descriptions("https://example.org/none").unwrap().is_empty());
    assert!(store.descriptions("not an iri").unwrap().is_empty());
}
