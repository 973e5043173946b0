//! Latency percentiles (p50, p99, max) of `next`, `path` and `predict` on a 10^5-node synthetic graph,
//! over many different learners and goals: what a tail-latency target is about, which
//! criterion's means do not show. Run: `cargo bench --workspace --bench latency`.

use std::hint::black_box;
use std::time::Instant;

use tupu_benches::{SyntheticSpec, generate, goal, progressed_learner};
use tupu_recommend::{Mastery, NextRequest, RecommendConfig, RecommendIndex, next_steps, plan_path};

const N: usize = 100_000;
const CLUSTER: usize = 1_000;

fn percentiles(name: &str, mut samples: Vec<f64>) {
    samples.sort_by(f64::total_cmp);
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    println!(
        "{name:<40} n={:<6} p50 {:>8.1} µs   p90 {:>8.1} µs   p99 {:>8.1} µs   max {:>8.1} µs",
        samples.len(),
        at(0.5),
        at(0.9),
        at(0.99),
        samples[samples.len() - 1]
    );
}

fn time(mut f: impl FnMut()) -> f64 {
    let t = Instant::now();
    f();
    t.elapsed().as_secs_f64() * 1e6
}

/// `next` on the ChalkBase demo graph for learners like those of the HTTP load test
/// (`benches/load/next.sh`): learner i mastered the first i mod 400 knowledge points in
/// teaching order. What the server computes per request, without HTTP and JSON.
fn demo_next() {
    let store = tupu_graph::GraphStore::in_memory().expect("in-memory store");
    tupu_ingest::load_bundled(&store, true).expect("the bundled data loads");
    let s = store.snapshot();
    let index = RecommendIndex::new(&s);
    let config = RecommendConfig::default();
    let mut kps: Vec<_> =
        s.nodes_of_kind(tupu_graph::NodeKind::KnowledgePoint).filter(|&x| s.attrs(x).sequence.is_some()).collect();
    kps.sort_by_key(|&x| (s.attrs(x).sequence, s.iri(x).to_owned()));
    let learners: Vec<Mastery> = (1..=1000)
        .map(|i| {
            Mastery::from_entries(kps.iter().take(i % 400).map(|&x| (x, tupu_recommend::NodeMastery::belief(0.95))))
        })
        .collect();
    let request = NextRequest { n: 5, goals: Vec::new(), subject: None, now: 1_700_000_000 };
    for m in &learners {
        black_box(next_steps(&s, &index, m, &request, &config));
    }
    let mut samples = Vec::new();
    for _ in 0..10 {
        for m in &learners {
            samples.push(time(|| {
                black_box(next_steps(&s, &index, m, &request, &config));
            }));
        }
    }
    percentiles("next, demo graph (1,000 learners, 0-399)", samples);
}

/// `Learners::predict` (what `GET /learners/{id}/predict` computes, without HTTP and JSON):
/// 200 learners with 50 answers each in the embedded store, three nodes a request.
fn predict(s: &tupu_graph::Snapshot) {
    use tupu_recommend::{Learners, RedbLearnerStore};
    let dir = tempfile::tempdir().expect("a temporary folder");
    let store = RedbLearnerStore::open(dir.path().join("learners.redb")).expect("a learner store");
    let learners = Learners::new(std::sync::Arc::new(store), RecommendConfig::default());
    let kps: Vec<_> = s.nodes_of_kind(tupu_graph::NodeKind::KnowledgePoint).take(CLUSTER).collect();
    for l in 0..200usize {
        let events: Vec<serde_json::Value> = (0..50)
            .map(|k| serde_json::json!({"node": s.iri(kps[(l * 7 + k * 13) % kps.len()]), "correct": (l + k) % 3 != 0}))
            .collect();
        learners.record(s, &format!("l{l}"), &events, 1_700_000_000).expect("valid events");
    }
    let mut samples = Vec::new();
    for round in 0..25 {
        for l in 0..200usize {
            let nodes = [kps[(l + round) % kps.len()], kps[(l * 3 + 1) % kps.len()], kps[(l * 5 + 2) % kps.len()]];
            samples.push(time(|| {
                black_box(learners.predict(s, &format!("l{l}"), &nodes, 1_700_000_000).expect("a prediction"));
            }));
        }
    }
    percentiles("predict, 3 nodes (200 learners, 50 answers)", samples);
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    // Under `cargo test` (no `--bench`), a small graph checks that the harness runs.
    let n = if std::env::args().any(|a| a == "--bench") { N } else { 5 * CLUSTER };
    // `cargo bench --bench latency -- path` runs only the sections whose name contains `path`.
    let only = std::env::args().skip(1).find(|a| !a.starts_with("--")).unwrap_or_default();
    let run = |name: &str| name.contains(only.as_str());
    let s = generate(&SyntheticSpec::chalkbase_like(n, 42)).to_snapshot();
    let index = RecommendIndex::new(&s);
    let config = RecommendConfig::default();
    let learners: Vec<Mastery> =
        (0..200).map(|i| progressed_learner(&s, CLUSTER, 20 + (i * 37) % 600, i as u64)).collect();
    let request = NextRequest { n: 5, goals: Vec::new(), subject: None, now: 1_700_000_000 };

    if run("next") {
        // Warm up caches and the allocator.
        for m in &learners {
            black_box(next_steps(&s, &index, m, &request, &config));
        }
        let mut samples = Vec::new();
        for round in 0..50 {
            for m in &learners {
                let _ = round;
                samples.push(time(|| {
                    black_box(next_steps(&s, &index, m, &request, &config));
                }));
            }
        }
        percentiles("next (200 learners, 20-620 mastered)", samples);

        let new = Mastery::default();
        let samples = (0..5_000)
            .map(|_| {
                time(|| {
                    black_box(next_steps(&s, &index, &new, &request, &config));
                })
            })
            .collect();
        percentiles("next (new learner)", samples);

        let mut samples = Vec::new();
        for round in 0..20 {
            for (i, m) in learners.iter().enumerate() {
                let g = goal(&s, CLUSTER, (i + round) % (n / CLUSTER), 300 + (i * 13) % 650);
                let req = NextRequest { goals: vec![g], ..request.clone() };
                samples.push(time(|| {
                    black_box(next_steps(&s, &index, m, &req, &config));
                }));
            }
        }
        percentiles("next with a goal", samples);
    }
    if run("demo") {
        demo_next();
    }
    if run("predict") {
        predict(&s);
    }
    if !run("path") {
        return;
    }

    let mut samples = Vec::new();
    let mut steps = Vec::new();
    for i in 0..4_000 {
        let g = goal(&s, CLUSTER, i % (n / CLUSTER), 100 + (i * 31) % 880);
        let m = &learners[i % learners.len()];
        samples.push(time(|| {
            let p = plan_path(&s, &index, m, &[g], None, &config).unwrap();
            steps.push(p.steps.len());
            black_box(p);
        }));
    }
    steps.sort_unstable();
    println!("path lengths: median {} steps, p99 {} steps", steps[steps.len() / 2], steps[steps.len() * 99 / 100]);
    percentiles("path (4,000 goals)", samples);
}
