//! Commits that change nothing, net counts, and large commits written by the bulk loader.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tupu_graph::{ChangeSet, GraphError, GraphStore, NodeKind, graph_iri};

use crate::fixtures::{chain, kp, requires};

/// More quads than the bulk threshold: 10,500 points, two quads each.
const LARGE: usize = 10_500;

#[test]
fn a_commit_that_changes_nothing_makes_no_version() {
    let store = GraphStore::in_memory().unwrap();
    let heard = Arc::new(AtomicUsize::new(0));
    let sink = heard.clone();
    store.subscribe(move |_| {
        sink.fetch_add(1, Ordering::SeqCst);
    });
    let first = store.commit(chain(3)).unwrap();
    assert_eq!((first.version, first.added, first.removed), (1, 8, 0));

    // The same quads again, and a replacement of the graph by itself: no change, no version.
    let again = store.commit(chain(3)).unwrap();
    assert_eq!((again.version, again.added, again.removed), (1, 0, 0));
    let graph = graph_iri("test").unwrap();
    let mut replace = chain(3);
    replace.removed = store.graph_quads(&graph).unwrap();
    let same = store.commit(replace).unwrap();
    assert_eq!((same.version, same.added, same.removed), (1, 0, 0));
    assert_eq!(heard.load(Ordering::SeqCst), 1);

    // A replacement that changes one edge counts only that edge; a quad listed twice counts once.
    let mut replace = ChangeSet::new();
    replace.removed = store.graph_quads(&graph).unwrap();
    replace.added.extend(kp("n0"));
    replace.added.extend(kp("n1"));
    replace.added.extend(kp("n2"));
    replace.added.push(requires("n1", "n0"));
    replace.added.push(requires("n2", "n0"));
    replace.added.push(requires("n2", "n0"));
    let report = store.commit(replace).unwrap();
    assert_eq!((report.version, report.added, report.removed), (2, 1, 1));
    assert_eq!(heard.load(Ordering::SeqCst), 2);
}

/// `len` labelled points named `{prefix}0`, `{prefix}1`, ..., each of the first ten required
/// by the next.
fn points(prefix: &str, len: usize) -> ChangeSet {
    let mut c = ChangeSet::new();
    for i in 0..len {
        c.added.extend(kp(&format!("{prefix}{i}")));
    }
    for i in 1..10 {
        c.added.push(requires(&format!("{prefix}{i}"), &format!("{prefix}{}", i - 1)));
    }
    c
}

#[test]
fn a_large_commit_is_bulk_loaded_whole_and_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("graph");
    let graph = graph_iri("test").unwrap();
    let quads = {
        let store = GraphStore::open(&path).unwrap();
        let report = store.commit(points("n", LARGE)).unwrap();
        assert_eq!((report.version, report.added, report.removed), (1, 2 * LARGE + 9, 0));
        assert_eq!(store.snapshot().nodes_of_kind(NodeKind::KnowledgePoint).count(), LARGE);

        // A large replacement (removals: the journaled path) by half as many new points.
        let mut replace = points("m", LARGE / 2);
        replace.removed = store.graph_quads(&graph).unwrap();
        let report = store.commit(replace).unwrap();
        assert_eq!((report.version, report.added, report.removed), (2, 2 * (LARGE / 2) + 9, 2 * LARGE + 9));
        assert!(!dir.path().join("graph.journal").exists());
        store.len().unwrap()
    };
    let store = GraphStore::open(&path).unwrap();
    assert_eq!(store.version(), 2);
    assert_eq!(store.len().unwrap(), quads);
    assert_eq!(store.snapshot().nodes_of_kind(NodeKind::KnowledgePoint).count(), LARGE / 2);
    assert!(store.validate().unwrap().iter().all(|d| !d.is_violation()));
}

#[test]
fn a_large_commit_with_a_violation_writes_nothing() {
    // The rejection of a large change needs more than a test thread's 2 MiB of stack in a
    // debug build (not yet found where): run it on a thread with more.
    std::thread::Builder::new().stack_size(64 << 20).spawn(large_violation).unwrap().join().unwrap();
}

fn large_violation() {
    let dir = tempfile::tempdir().unwrap();
    let store = GraphStore::open(dir.path().join("graph")).unwrap();
    let mut change = points("n", LARGE);
    change.added.push(requires("n0", "ghost"));
    match store.commit(change) {
        Err(GraphError::Rejected(d)) => {
            assert!(d.iter().any(|d| d.to_string().contains("ghost")), "{d:?}")
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
    assert_eq!(store.version(), 0);
    assert!(store.is_empty().unwrap());
}

#[test]
fn labels_are_chosen_by_language_with_a_fallback() {
    use oxigraph::model::{Literal, Quad};
    use tupu_graph::vocab::skos;
    let store = GraphStore::in_memory().unwrap();
    let mut change = ChangeSet::new();
    change.added.extend(kp("tri"));
    let node = crate::fixtures::node("tri");
    for (text, lang) in [("三角形", "zh"), ("triângulo", "pt-BR")] {
        change.added.push(Quad::new(
            node.clone(),
            skos::PREF_LABEL,
            Literal::new_language_tagged_literal_unchecked(text, lang),
            crate::fixtures::graph(),
        ));
    }
    store.commit(change).unwrap();
    let s = store.snapshot();
    let n = s.resolve("tri").unwrap();
    // kp() labels the point "tri"@en.
    for (lang, expected) in [
        (None, "tri"),
        (Some("en"), "tri"),
        (Some("zh"), "三角形"),
        (Some("zh-Hans"), "三角形"),
        (Some("pt"), "triângulo"),
        (Some("PT"), "triângulo"),
        (Some("fr"), "tri"),
    ] {
        assert_eq!(s.label(n, lang), expected, "{lang:?}");
    }
}
