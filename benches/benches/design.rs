//! Curriculum-design costs: validation of the demo graph (commit validator and SKOS integrity
//! rules) and of a 10^5-node synthetic graph, one edit's commit latency on the demo graph on
//! disk (planning, validation, history record, snapshot swap), and the history listing and
//! diff of a 10^4-quad import. Reports medians and percentiles; asserts nothing.
//! Run: `cargo bench --workspace --bench design` (or, with the test profile's build,
//! `cargo test --workspace --bench design`).

use std::hint::black_box;
use std::time::Instant;

use tupu_benches::{SyntheticSpec, generate};
use tupu_graph::{ChangeSet, Edit, GraphStore, HistoryFilter, graph_iri, integrity, plan_edits};

fn report(name: &str, mut samples: Vec<f64>) {
    samples.sort_by(f64::total_cmp);
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    println!(
        "{name:<48} n={:<5} p50 {:>10.2} ms   p90 {:>10.2} ms   max {:>10.2} ms",
        samples.len(),
        at(0.5),
        at(0.9),
        samples[samples.len() - 1]
    );
}

fn ms(mut f: impl FnMut()) -> f64 {
    let t = Instant::now();
    f();
    t.elapsed().as_secs_f64() * 1e3
}

fn main() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = GraphStore::open(dir.path().join("graph")).expect("an on-disk store");
    tupu_ingest::load_bundled(&store, true).expect("the bundled data loads");

    report("validate demo (validator)", (0..10).map(|_| ms(|| drop(black_box(store.validate().unwrap())))).collect());
    report(
        "validate demo (integrity rules)",
        (0..10).map(|_| ms(|| drop(black_box(integrity(&store.snapshot(), store.store()))))).collect(),
    );

    // One edit, committed: plan, validate, record in the history (synced), swap the snapshot.
    let s = store.snapshot();
    let node = s.nodes().find(|&n| s.kind(n) == tupu_graph::NodeKind::KnowledgePoint).unwrap();
    let iri = s.iri(node).to_owned();
    drop(s);
    let samples = (0..50)
        .map(|i| {
            ms(|| {
                let edit = Edit::SetLabel { node: iri.clone(), lang: "en".into(), text: format!("Edited {i}") };
                let change = plan_edits(&store.snapshot(), store.store(), &[edit]).unwrap();
                black_box(store.commit(change.with_author("bench")).unwrap());
            })
        })
        .collect();
    report("commit one edit (demo, on disk)", samples);

    // A 10^4-quad import, then its listing and its diff.
    let graph = generate(&SyntheticSpec::chalkbase_like(1_500, 7));
    let mut quads = graph.to_quads(&graph_iri("synthetic").unwrap());
    quads.truncate(10_000);
    let count = quads.len();
    let mut version = 0;
    report(
        &format!("commit an import of {count} quads"),
        vec![ms(|| version = store.commit(ChangeSet::adding(quads.clone())).unwrap().version)],
    );
    report(
        "history list (50 newest)",
        (0..20).map(|_| ms(|| drop(black_box(store.history().list(&HistoryFilter::default()).unwrap())))).collect(),
    );
    report(
        "history get (the import's quads)",
        (0..20).map(|_| ms(|| drop(black_box(store.history().get(version).unwrap())))).collect(),
    );

    // Validation at 10^5 nodes.
    let big = GraphStore::in_memory().unwrap();
    let synthetic = generate(&SyntheticSpec::chalkbase_like(100_000, 42));
    big.commit(ChangeSet::adding(synthetic.to_quads(&graph_iri("synthetic").unwrap()))).unwrap();
    report("validate 10^5 synthetic (validator)", vec![ms(|| drop(black_box(big.validate().unwrap())))]);
    report(
        "validate 10^5 synthetic (integrity rules)",
        vec![ms(|| drop(black_box(integrity(&big.snapshot(), big.store()))))],
    );
}
