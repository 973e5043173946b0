//! The history: every commit recorded with its exact quads, kept across reopening, and a
//! revert built from a record restores exactly the prior state.

use std::collections::BTreeSet;

use oxigraph::model::Quad;
use tupu_graph::{ChangeSet, GraphStore, HistoryFilter};

use crate::fixtures::{chain, difficulty, kp, node, requires};

fn all_quads(store: &GraphStore) -> BTreeSet<String> {
    // The meta graph holds the commit count, which a revert moves on.
    store
        .store()
        .iter()
        .map(|q| q.unwrap())
        .filter(|q| !q.graph_name.to_string().contains("/graph/meta"))
        .map(|q: Quad| q.to_string())
        .collect()
}

#[test]
fn every_commit_is_recorded_and_a_revert_restores_exactly_the_prior_quads() {
    let dir = tempfile::tempdir().unwrap();
    let store = GraphStore::open(dir.path()).unwrap();
    store.commit(chain(4).with_author("ana").with_message("a chain")).unwrap();
    let before = all_quads(&store);

    let mut edit = ChangeSet::new().with_author("bo").with_message("harder n2, a new point");
    edit.added.extend(kp("n9"));
    edit.added.push(requires("n9", "n3"));
    edit.added.push(difficulty("n2", "0.9"));
    edit.removed.push(requires("n2", "n1"));
    // A quad that is not in the store is not removed, so it is not recorded either.
    edit.removed.push(requires("n3", "n0"));
    let report = store.commit(edit).unwrap();

    let record = store.history().get(report.version).unwrap().unwrap();
    assert_eq!(record.summary.author.as_deref(), Some("bo"));
    assert_eq!(record.summary.message.as_deref(), Some("harder n2, a new point"));
    assert_eq!((record.summary.added, record.summary.removed), (4, 1));
    assert_eq!(record.removed, vec![requires("n2", "n1")]);
    assert!(record.added.contains(&difficulty("n2", "0.9")));

    let undo = ChangeSet { added: record.removed.clone(), removed: record.added.clone(), ..ChangeSet::default() };
    store.commit(undo.with_message("revert")).unwrap();
    assert_eq!(all_quads(&store), before);
    assert!(store.snapshot().resolve("n9").is_err());

    // Filters: by node (as subject or object), by author, newest first, paged.
    let by_node = |iri: &str| {
        let filter = HistoryFilter { node: Some(iri.to_owned()), ..HistoryFilter::default() };
        store.history().list(&filter).unwrap().iter().map(|c| c.version).collect::<Vec<_>>()
    };
    assert_eq!(by_node(node("n9").as_str()), vec![3, 2]);
    assert_eq!(by_node(node("n1").as_str()), vec![3, 2, 1]);
    assert_eq!(by_node(node("n0").as_str()), vec![1]);
    let by_bo = HistoryFilter { author: Some("bo".into()), ..HistoryFilter::default() };
    assert_eq!(store.history().list(&by_bo).unwrap().len(), 1);
    let page = HistoryFilter { limit: 2, ..HistoryFilter::default() };
    let first: Vec<u64> = store.history().list(&page).unwrap().iter().map(|c| c.version).collect();
    assert_eq!(first, vec![3, 2]);
    let next = HistoryFilter { limit: 2, before: Some(2), ..HistoryFilter::default() };
    assert_eq!(store.history().list(&next).unwrap()[0].version, 1);

    // A rejected change leaves no record.
    let mut cycle = ChangeSet::new();
    cycle.added.push(requires("n0", "n3"));
    assert!(store.commit(cycle).is_err());
    assert!(store.history().get(4).unwrap().is_none());

    // Reopened, the history is the same.
    drop(store);
    let store = GraphStore::open(dir.path()).unwrap();
    assert_eq!(store.history().get(2).unwrap().unwrap(), record);
    assert_eq!(store.history().list(&HistoryFilter::default()).unwrap().len(), 3);
}
