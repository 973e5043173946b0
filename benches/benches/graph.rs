//! Snapshot compilation and transitive-prerequisite lookup, on the demo graph and on a
//! synthetic ChalkBase-like graph of 10^5 knowledge points.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use tupu_benches::{SyntheticSpec, generate};
use tupu_graph::{ChangeSet, GraphStore, NodeId, Snapshot, graph_iri, prerequisite_closure};

fn demo_store() -> GraphStore {
    let store = GraphStore::in_memory().unwrap();
    tupu_ingest::load_bundled(&store, true).unwrap();
    store
}

fn synthetic_store(n: usize) -> GraphStore {
    let graph = generate(&SyntheticSpec::chalkbase_like(n, 42));
    let store = GraphStore::in_memory().unwrap();
    store.commit(ChangeSet::adding(graph.to_quads(&graph_iri("synthetic").unwrap()))).unwrap();
    store
}

/// The nodes with the deepest closures, for a lookup that does real work.
fn deep_nodes(s: &Snapshot, count: usize) -> Vec<NodeId> {
    let mut nodes: Vec<NodeId> = s.nodes().collect();
    nodes.sort_by_key(|&n| std::cmp::Reverse(s.depth(n)));
    nodes.truncate(count);
    nodes
}

fn compile(c: &mut Criterion) {
    let mut group = c.benchmark_group("snapshot_compile");
    group.sample_size(10);
    let demo = demo_store();
    group.throughput(Throughput::Elements(demo.len().unwrap() as u64));
    group.bench_function("demo_from_store", |b| b.iter(|| black_box(demo.compile_snapshot().unwrap())));
    let synthetic = synthetic_store(100_000);
    group.throughput(Throughput::Elements(synthetic.len().unwrap() as u64));
    group.bench_function("synthetic_100k_from_store", |b| b.iter(|| black_box(synthetic.compile_snapshot().unwrap())));
    // What a curriculum edit costs at this scale: a commit of one new knowledge point with
    // its label and two prerequisites, validated, compiled from the previous snapshot.
    let mut i = 0u64;
    group.throughput(Throughput::Elements(1));
    group.bench_function("synthetic_100k_commit_one_node", |b| {
        b.iter(|| {
            i += 1;
            let g = oxigraph::model::GraphName::NamedNode(graph_iri("synthetic").unwrap());
            let node = oxigraph::model::NamedNode::new(format!("https://w3id.org/tupu/synthetic/edit{i}")).unwrap();
            let pre =
                |id: &str| oxigraph::model::NamedNode::new(format!("https://w3id.org/tupu/synthetic/{id}")).unwrap();
            let mut change = ChangeSet::new();
            use oxigraph::model::{Literal, Quad};
            use tupu_graph::vocab::{skos, tupu};
            change.added.push(Quad::new(
                node.clone(),
                oxigraph::model::vocab::rdf::TYPE,
                tupu::KNOWLEDGE_POINT,
                g.clone(),
            ));
            change.added.push(Quad::new(
                node.clone(),
                skos::PREF_LABEL,
                Literal::new_language_tagged_literal_unchecked(format!("edit {i}"), "en"),
                g.clone(),
            ));
            change.added.push(Quad::new(node.clone(), tupu::REQUIRES, pre("kp000500"), g.clone()));
            change.added.push(Quad::new(node, tupu::REQUIRES, pre("kp050500"), g));
            black_box(synthetic.commit(change).unwrap())
        })
    });
    let graph = generate(&SyntheticSpec::chalkbase_like(100_000, 42));
    group.throughput(Throughput::Elements(graph.requires.len() as u64));
    group.bench_function("synthetic_100k_from_edges", |b| b.iter(|| black_box(graph.to_snapshot())));
    group.finish();
}

fn closure(c: &mut Criterion) {
    let mut group = c.benchmark_group("prerequisite_closure");
    let demo = demo_store().snapshot();
    let synthetic = generate(&SyntheticSpec::chalkbase_like(100_000, 42)).to_snapshot();
    for (name, s) in [("demo", &*demo), ("synthetic_100k", &synthetic)] {
        let nodes = deep_nodes(s, 64);
        let size: usize = nodes.iter().map(|&n| prerequisite_closure(s, n).len()).sum();
        group.throughput(Throughput::Elements(nodes.len() as u64));
        group.bench_with_input(
            BenchmarkId::new(name, format!("64 deepest, {} nodes found", size)),
            &nodes,
            |b, nodes| {
                b.iter(|| {
                    for &n in nodes {
                        black_box(prerequisite_closure(s, n));
                    }
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, compile, closure);
criterion_main!(benches);
