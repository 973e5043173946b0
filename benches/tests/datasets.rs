//! Tests over the full public datasets. Run with `TUPU_DATASETS` set to the datasets folder
//! (`../shared/datasets` beside the repository in CI); they fail, not skip, when it is missing.

use std::collections::HashSet;
use std::path::PathBuf;

use tupu_graph::oxigraph::model::Quad;
use tupu_graph::{GraphStore, NodeKind, Relation, graph_iri, prerequisite_cycles};
use tupu_ingest::{ImportError, convert_chalkbase, import_chalkbase, load_bundled};

fn datasets() -> PathBuf {
    let dir = std::env::var_os("TUPU_DATASETS")
        .map(PathBuf::from)
        .expect("set TUPU_DATASETS to the folder that holds the datasets (chalkbase/, csco2022/, ...)");
    assert!(
        dir.join("chalkbase/knowledge_points.json").is_file(),
        "{} does not hold chalkbase/knowledge_points.json",
        dir.display()
    );
    dir
}

#[test]
fn chalkbase_imports_whole_and_valid() {
    let store = GraphStore::in_memory().unwrap();
    load_bundled(&store, false).unwrap();
    let graph = graph_iri("chalkbase").unwrap();
    let report = import_chalkbase(&store, &datasets().join("chalkbase"), &graph, false).unwrap();
    assert!(report.commit.warnings.is_empty(), "{:?}", report.commit.warnings);
    let s = store.snapshot();
    assert_eq!(s.nodes_of_kind(NodeKind::KnowledgePoint).count(), 433);
    assert_eq!(s.edge_count(Relation::Requires), 3751);
    assert_eq!(s.edge_count(Relation::BuildsOn), 1851);
    assert_eq!(s.edge_count(Relation::Extends), 282);
    assert_eq!(s.nodes_of_kind(NodeKind::Resource).count(), 567);
    assert_eq!(s.nodes_of_kind(NodeKind::Competency).count(), 133);
    assert!(prerequisite_cycles(&s).is_empty());
    // The longest prerequisite chain of the dataset has 19 edges.
    let deepest = s.nodes().map(|n| s.depth(n)).max().unwrap();
    assert_eq!(deepest, 19);
    assert!(store.validate().unwrap().is_empty());
}

#[test]
fn bundled_demo_is_the_importers_output() {
    let graph = graph_iri("chalkbase").unwrap();
    let converted: HashSet<Quad> =
        convert_chalkbase(&datasets().join("chalkbase"), &graph).unwrap().into_iter().collect();
    let store = GraphStore::in_memory().unwrap();
    load_bundled(&store, true).unwrap();
    let bundled: HashSet<Quad> = store.graph_quads(&graph).unwrap().into_iter().collect();
    assert_eq!(converted.len(), bundled.len());
    assert!(converted == bundled, "ontologies/demo/chalkbase.ttl is out of date: re-export it with the importer");
}

#[test]
fn a_broken_record_is_named_and_nothing_is_imported() {
    let source = datasets().join("chalkbase");
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(&source).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    // Point one edge at a knowledge point that does not exist.
    let edges = dir.path().join("edges_relations.json");
    let text = std::fs::read_to_string(&edges).unwrap();
    let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
    json[7]["to_knowledge_point_id"] = "kp.nowhere".into();
    std::fs::write(&edges, json.to_string()).unwrap();

    let store = GraphStore::in_memory().unwrap();
    load_bundled(&store, false).unwrap();
    let before = store.len().unwrap();
    let err = import_chalkbase(&store, dir.path(), &graph_iri("chalkbase").unwrap(), false).unwrap_err();
    let ImportError::Invalid { diagnostics, .. } = &err else { panic!("unexpected error {err}") };
    assert_eq!(diagnostics.len(), 1);
    let location = diagnostics[0].location.as_ref().unwrap();
    assert!(location.file.ends_with("edges_relations.json"));
    assert_eq!(location.record, Some(7));
    assert_eq!(location.field.as_deref(), Some("to_knowledge_point_id"));
    assert!(diagnostics[0].message.contains("kp.nowhere"));
    assert_eq!(store.len().unwrap(), before);
}
