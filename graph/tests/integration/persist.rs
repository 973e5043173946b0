//! The snapshot persisted beside an on-disk store (`snapshot.bin`): loaded at open when it is
//! of the store's version, ignored (and the snapshot compiled) otherwise.

use std::fs;
use std::path::Path;

use oxigraph::model::vocab::{rdf, xsd};
use oxigraph::model::{Literal, NamedNode, Quad};
use tupu_graph::vocab::{skos, tupu};
use tupu_graph::{ChangeSet, GraphStore, Relation};

use crate::fixtures::{chain, difficulty, graph, kp, node, requires};
use crate::store::canon;

const FILE: &str = "snapshot.bin";

/// A chain of points with every kind of compiled part: labels in two languages, an interned
/// attribute, a number, a symmetric relation, and a qualified edge to a competency.
fn rich() -> ChangeSet {
    let mut c = chain(30);
    let lit = |v: &str, dt| Literal::new_typed_literal(v, dt);
    let q = NamedNode::new("https://example.org/k/q1").unwrap();
    c.added.extend([
        Quad::new(node("n3"), skos::PREF_LABEL, Literal::new_language_tagged_literal_unchecked("三", "zh"), graph()),
        Quad::new(node("n3"), tupu::THREAD, Literal::new_simple_literal("numbers"), graph()),
        Quad::new(node("n3"), tupu::GRADE_LEVEL, lit("2", xsd::INTEGER), graph()),
        difficulty("n4", "0.4"),
        Quad::new(node("n5"), tupu::RELATED_TO, node("n9"), graph()),
        Quad::new(node("skill"), rdf::TYPE, tupu::COMPETENCY, graph()),
        Quad::new(node("skill"), skos::PREF_LABEL, Literal::new_simple_literal("skill"), graph()),
        Quad::new(node("n7"), tupu::QUALIFIED_SUPPORT, q.clone(), graph()),
        Quad::new(q.clone(), tupu::COMPETENCY_PROP, node("skill"), graph()),
        Quad::new(q.clone(), tupu::WEIGHT, lit("0.5", xsd::DECIMAL), graph()),
        Quad::new(q, tupu::LEVEL, lit("3", xsd::INTEGER), graph()),
    ]);
    c
}

/// Opens the store in `dir`, commits `changes`, closes it, and returns the snapshot it
/// served last.
fn commit_and_close(dir: &Path, changes: Vec<ChangeSet>) -> std::sync::Arc<tupu_graph::Snapshot> {
    let store = GraphStore::open(dir).unwrap();
    for change in changes {
        store.commit(change).unwrap();
    }
    store.snapshot()
}

/// The store reopened serves a snapshot equal to a compilation of its quads, at its version.
fn assert_compiles_the_same(store: &GraphStore) {
    let fresh = store.compile_snapshot().unwrap();
    assert_eq!(store.snapshot().version(), fresh.version());
    assert_eq!(canon(&store.snapshot()), canon(&fresh));
}

#[test]
fn a_reopened_store_loads_the_snapshot_it_persisted() {
    let dir = tempfile::tempdir().unwrap();
    let mut more = ChangeSet::new();
    more.added.extend(kp("extra"));
    more.added.push(requires("extra", "n29"));
    let published = commit_and_close(dir.path(), vec![rich(), more]);
    assert!(dir.path().join(FILE).is_file());

    let store = GraphStore::open(dir.path()).unwrap();
    assert!(store.snapshot_loaded());
    let loaded = store.snapshot();
    // The very snapshot served before closing, part for part, derived parts included.
    assert_eq!(*loaded, *published);
    assert_eq!(loaded.version(), 2);
    assert_compiles_the_same(&store);
    let (n3, n7) = (loaded.resolve("n3").unwrap(), loaded.resolve("n7").unwrap());
    assert_eq!(loaded.label(n3, Some("zh")), "三");
    assert_eq!(loaded.attrs(n3).thread.map(|t| loaded.symbol(t)), Some("numbers"));
    let support = loaded.out(n7, Relation::Supports);
    assert_eq!((support.len(), support[0].weight, support[0].level), (1, 0.5, 3));
    assert_eq!(loaded.depth(loaded.resolve("extra").unwrap()), 30);

    // Commits go on from the loaded snapshot.
    let mut next = ChangeSet::new();
    next.added.extend(kp("later"));
    next.added.push(requires("later", "extra"));
    assert_eq!(store.commit(next).unwrap().version, 3);
    assert_compiles_the_same(&store);
}

#[test]
fn a_snapshot_file_of_another_version_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    commit_and_close(dir.path(), vec![chain(3)]);
    let old = fs::read(dir.path().join(FILE)).unwrap();
    commit_and_close(dir.path(), vec![ChangeSet::adding(kp("x"))]);
    // The file of version 1 beside the store of version 2, as after a crash before the writer
    // caught up.
    fs::write(dir.path().join(FILE), &old).unwrap();

    let store = GraphStore::open(dir.path()).unwrap();
    assert!(!store.snapshot_loaded());
    assert_eq!(store.version(), 2);
    assert!(store.snapshot().resolve("x").is_ok());
    assert_compiles_the_same(&store);
    drop(store);
    // The snapshot compiled at that open was persisted in its place.
    let store = GraphStore::open(dir.path()).unwrap();
    assert!(store.snapshot_loaded());
    assert!(store.snapshot().resolve("x").is_ok());
}

#[test]
fn a_torn_or_corrupt_snapshot_file_is_ignored() {
    type Damage = fn(&mut Vec<u8>);
    let damages: [(&str, Damage); 5] = [
        ("truncated", |b| b.truncate(b.len() / 2)),
        ("one byte short", |b| {
            b.pop();
        }),
        ("a flipped byte", |b| {
            let mid = b.len() / 2;
            b[mid] ^= 0x40;
        }),
        ("empty", Vec::clear),
        ("not a snapshot", |b| b.iter_mut().for_each(|x| *x = b'x')),
    ];
    for (what, damage) in damages {
        let dir = tempfile::tempdir().unwrap();
        let published = commit_and_close(dir.path(), vec![rich()]);
        let path = dir.path().join(FILE);
        let mut bytes = fs::read(&path).unwrap();
        damage(&mut bytes);
        fs::write(&path, &bytes).unwrap();

        let store = GraphStore::open(dir.path()).unwrap();
        assert!(!store.snapshot_loaded(), "{what}");
        assert_eq!(store.version(), 1, "{what}");
        assert_eq!(canon(&store.snapshot()), canon(&published), "{what}");
        drop(store);
        assert!(GraphStore::open(dir.path()).unwrap().snapshot_loaded(), "{what}: not written again");
    }
}

#[test]
fn a_large_import_then_reopen_loads_its_snapshot() {
    // More quads than the bulk threshold, written by the bulk loader: short chains of points.
    let mut import = ChangeSet::new();
    for i in 0..10_500 {
        import.added.extend(kp(&format!("p{i}")));
        if i % 50 != 0 {
            import.added.push(requires(&format!("p{i}"), &format!("p{}", i - 1)));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let published = commit_and_close(dir.path(), vec![import]);
    assert_eq!(published.node_count(), 10_500);

    let store = GraphStore::open(dir.path()).unwrap();
    assert!(store.snapshot_loaded());
    assert_eq!(*store.snapshot(), *published);
    assert_eq!(store.snapshot().depth(store.snapshot().resolve("p49").unwrap()), 49);
    assert_compiles_the_same(&store);
}

#[test]
fn a_backup_holds_no_snapshot_file_and_its_store_compiles_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let store = GraphStore::open(dir.path().join("graph")).unwrap();
    store.commit(rich()).unwrap();
    let target = dir.path().join("backup");
    store.backup(&target).unwrap();
    // The live store goes on after the backup, and persists its newer snapshot.
    store.commit(ChangeSet::adding(kp("after"))).unwrap();
    drop(store);
    assert!(dir.path().join("graph").join(FILE).is_file());
    assert!(!target.join(FILE).exists());

    let restored = GraphStore::open(&target).unwrap();
    assert!(!restored.snapshot_loaded());
    assert_eq!(restored.version(), 1);
    assert!(restored.snapshot().resolve("after").is_err());
    assert_compiles_the_same(&restored);
}
