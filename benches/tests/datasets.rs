//! Tests over the full public datasets. Run with `TUPU_DATASETS` set to the datasets folder
//! (`../shared/datasets` beside the repository in CI); they fail, not skip, when it is missing.

use std::collections::HashSet;
use std::path::PathBuf;

use tupu_graph::oxigraph::model::Quad;
use tupu_graph::{GraphStore, NodeKind, Relation, graph_iri, prerequisite_cycles};
use tupu_ingest::{ImportError, convert_chalkbase, employment_demo, import_chalkbase, load_bundled};

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

/// The bundled employment demo equals a fresh generation; with `TUPU_WRITE_DEMO=1` the test
/// first rewrites `ontologies/demo/employment.ttl` from the datasets.
#[test]
fn bundled_employment_demo_is_the_generators_output() {
    let demo = employment_demo(&datasets()).unwrap();
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ontologies/demo/employment.ttl");
    if std::env::var_os("TUPU_WRITE_DEMO").is_some() {
        std::fs::write(&path, &demo.turtle).unwrap();
    }
    assert!(demo.turtle.len() < 1_000_000, "the demo has grown to {} bytes", demo.turtle.len());
    let generated: HashSet<Quad> = demo.quads.into_iter().collect();
    let store = GraphStore::in_memory().unwrap();
    load_bundled(&store, true).unwrap();
    let bundled: HashSet<Quad> =
        store.graph_quads(&graph_iri("employment-demo").unwrap()).unwrap().into_iter().collect();
    assert_eq!(generated.len(), bundled.len());
    let stale: Vec<String> = generated.difference(&bundled).take(3).map(|q| q.to_string()).collect();
    assert!(
        stale.is_empty(),
        "ontologies/demo/employment.ttl is out of date (rerun with TUPU_WRITE_DEMO=1): {stale:?}"
    );
    // What the bundled file was compiled from must be what is on disk.
    assert_eq!(std::fs::read_to_string(&path).unwrap(), demo.turtle);
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

#[test]
fn esco_imports_every_occupation_skill_and_link_from_the_official_zips() {
    use tupu_graph::QueryOptions;
    use tupu_graph::oxigraph::sparql::QueryResults;

    let store = GraphStore::in_memory().unwrap();
    load_bundled(&store, false).unwrap();
    let started = std::time::Instant::now();
    let report =
        tupu_ingest::import_esco(&store, &datasets().join("esco-v1.1.1"), &graph_iri("esco").unwrap(), false, false)
            .unwrap();
    eprintln!("ESCO v1.1.1 import: {:.2} s, {} quads", started.elapsed().as_secs_f64(), report.quads);
    // 3,007 described occupations, and the one that only the relation file names.
    assert_eq!(report.occupations, 3_008);
    assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
    assert_eq!(report.skills, 13_896);
    assert_eq!(report.links, 123_855);
    assert_eq!(report.essential, 64_946);
    assert_eq!(report.isco_groups, 619);
    let s = store.snapshot();
    assert_eq!(s.edge_count(Relation::RequiresCompetency), 123_855);
    assert_eq!(s.nodes_of_kind(NodeKind::Occupation).count(), 3_008 + 619);
    // Every occupation of the described file has an ISCO-08 group above it.
    let dev = s.node_by_iri("http://data.europa.eu/esco/occupation/f2b15a0e-e65a-438a-affb-29b9d50b77d1").unwrap();
    assert_eq!(s.label(dev, Some("en")), "software developer");
    assert!(s.out(dev, Relation::Broader).iter().any(|e| s.iri(e.node) == "http://data.europa.eu/esco/isco/C2512"));
    // Its essential skills through SPARQL.
    let q = "PREFIX tupu: <https://w3id.org/tupu/ns#> SELECT (COUNT(?s) AS ?n) WHERE { \
             <http://data.europa.eu/esco/occupation/f2b15a0e-e65a-438a-affb-29b9d50b77d1> tupu:qualifiedRequirement ?q . \
             ?q tupu:competency ?s ; tupu:essential true }";
    let QueryResults::Solutions(mut rows) = store.query(q, &QueryOptions::default()).unwrap() else { panic!() };
    let n = rows.next().unwrap().unwrap().get("n").unwrap().to_string();
    let essential = s.out(dev, Relation::RequiresCompetency).iter().filter(|e| e.essential).count();
    assert!(essential > 5);
    assert_eq!(n, format!("\"{essential}\"^^<http://www.w3.org/2001/XMLSchema#integer>"));
    assert!(store.validate().unwrap().iter().all(|d| !d.is_violation()));
}

#[test]
fn escos_rdf_sample_is_read_in_its_own_model() {
    let store = GraphStore::in_memory().unwrap();
    load_bundled(&store, false).unwrap();
    let path = datasets().join("esco-ict-sample/esco-padding.ttl");
    let report = tupu_ingest::import_esco(&store, &path, &graph_iri("esco-sample").unwrap(), false, false).unwrap();
    assert_eq!(report.skills, 1);
    let s = store.snapshot();
    let mongo = s.node_by_iri("http://par-tec.it/esco/skill/8534efcf-7e31-4e56-bcfc-4f380cec7ab0").unwrap();
    assert_eq!(s.kind(mongo), NodeKind::Competency);
    assert_eq!(s.label(mongo, Some("en")), "MongoDB");
    // Its occupations and broader groups are not in the sample: reported, not invented.
    assert_eq!(report.links, 0);
    assert_eq!(report.warnings.len(), 2);
}

#[test]
fn onet_rated_occupations_load_with_levels_and_weights() {
    let store = GraphStore::in_memory().unwrap();
    load_bundled(&store, false).unwrap();
    let (_, counts) =
        tupu_ingest::import_onet(&store, &datasets().join("onet-29.3"), &graph_iri("onet").unwrap(), false).unwrap();
    assert_eq!(counts.occupations, 1_016);
    assert_eq!(counts.rated_occupations, 879);
    assert_eq!(counts.elements, 35 + 33);
    assert!(counts.dwas >= 2_082);
    assert!(counts.flagged > 0);
    let s = store.snapshot();
    let dev = s.node_by_iri(&format!("{}occupation/15-1252.00", tupu_ingest::ONET_NS)).unwrap();
    let rated: Vec<_> = s.out(dev, Relation::RequiresCompetency).iter().filter(|e| e.level > 0).collect();
    assert!(!rated.is_empty());
    assert!(rated.iter().all(|e| (0.0..=1.0).contains(&e.weight) && (1..=8).contains(&e.level)));
    assert!(store.validate().unwrap().iter().all(|d| !d.is_violation()));
}

#[test]
fn csco_rows_form_four_levels() {
    let store = GraphStore::in_memory().unwrap();
    load_bundled(&store, false).unwrap();
    let path = datasets().join("csco2022/csco22.csv");
    let (quads, rows) = tupu_ingest::convert_csco(&path, &graph_iri("csco").unwrap()).unwrap();
    // 2,051 rows, three of which repeat an earlier row word for word.
    assert_eq!(rows, 2_048);
    tupu_ingest::import_csco(&store, &path, &graph_iri("csco").unwrap(), false).unwrap();
    let s = store.snapshot();
    let occupations: Vec<_> = s.nodes_of_kind(NodeKind::Occupation).collect();
    assert_eq!(occupations.len(), 2_048);
    // Depth in the hierarchy: 8 major groups and their 2,040 rows below them.
    let depth = |mut n| {
        let mut d = 1;
        while let Some(e) = s.out(n, Relation::Broader).first() {
            n = e.node;
            d += 1;
        }
        d
    };
    let mut by_level = [0usize; 5];
    for &o in &occupations {
        by_level[depth(o)] += 1;
    }
    // Level-4 rows directly under a level-2 row (major group 1 has no small classes) sit at depth 3.
    assert_eq!(by_level[1], 8);
    assert_eq!(by_level.iter().sum::<usize>(), 2_048);
    let digital = quads.iter().filter(|q| q.predicate == tupu_graph::vocab::tupu::DIGITAL).count();
    let green = quads.iter().filter(|q| q.predicate == tupu_graph::vocab::tupu::GREEN).count();
    assert!(digital > 90 && green > 100, "{digital} digital, {green} green");
    assert!(s.labels(occupations[0]).iter().all(|l| !l.text.ends_with('S') && !l.text.ends_with('L')));
}

#[test]
fn every_chinese_major_loads_with_its_code() {
    let store = GraphStore::in_memory().unwrap();
    load_bundled(&store, false).unwrap();
    tupu_ingest::import_cn_majors(
        &store,
        &datasets().join("cn-majors/majors.json"),
        &graph_iri("cn-majors").unwrap(),
        false,
    )
    .unwrap();
    let s = store.snapshot();
    assert_eq!(s.nodes_of_kind(NodeKind::Major).count(), 1_914);
    let se = s.resolve("080902").unwrap();
    assert_eq!(s.label(se, Some("zh")), "软件工程");
}
