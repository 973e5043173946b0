//! The recommender on a synthetic ChalkBase-like graph of 10^5 knowledge points: next steps,
//! learning paths, the BKT update and prediction, fitting BKT with forgetting, and durable
//! event ingestion.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use tupu_benches::{SyntheticSpec, generate, goal, progressed_learner};
use tupu_graph::{BktParams, NodeKind};
use tupu_recommend::{
    LearnerState, LearnerStore, LearnerWrite, Mastery, NextRequest, NodeMastery, Observation, RecommendConfig,
    RecommendIndex, RedbLearnerStore, StoredEvent, bkt_step_logit, bkt_update, next_steps, plan_path,
};

const N: usize = 100_000;
const CLUSTER: usize = 1_000;

fn next_and_path(c: &mut Criterion) {
    let s = generate(&SyntheticSpec::chalkbase_like(N, 42)).to_snapshot();
    let index = RecommendIndex::new(&s);
    let config = RecommendConfig::default();
    let mut group = c.benchmark_group("next_100k");
    let request = NextRequest { n: 5, goals: Vec::new(), subject: None, now: 1_700_000_000 };
    let new = Mastery::default();
    group.bench_function("new_learner", |b| b.iter(|| black_box(next_steps(&s, &index, &new, &request, &config))));
    for mastered in [50, 200, 800] {
        let learner = progressed_learner(&s, CLUSTER, mastered, 7);
        group.bench_with_input(BenchmarkId::new("progressed", mastered), &learner, |b, m| {
            b.iter(|| black_box(next_steps(&s, &index, m, &request, &config)))
        });
    }
    let learner = progressed_learner(&s, CLUSTER, 200, 7);
    let with_goal = NextRequest { goals: vec![goal(&s, CLUSTER, 3, 600)], ..request.clone() };
    group.bench_function("progressed_200_with_goal", |b| {
        b.iter(|| black_box(next_steps(&s, &index, &learner, &with_goal, &config)))
    });
    group.finish();

    let mut group = c.benchmark_group("path_100k");
    for offset in [300, 600, 950] {
        let g = goal(&s, CLUSTER, 5, offset);
        let steps = plan_path(&s, &index, &new, &[g], None, &config).unwrap().steps.len();
        group.bench_with_input(BenchmarkId::new("new_learner", format!("{steps} steps")), &g, |b, &g| {
            b.iter(|| black_box(plan_path(&s, &index, &new, &[g], None, &config).unwrap()))
        });
    }
    group.finish();
}

fn bkt(c: &mut Criterion) {
    let s = generate(&SyntheticSpec::chalkbase_like(N, 42)).to_snapshot();
    let kps: Vec<_> = s.nodes_of_kind(NodeKind::KnowledgePoint).collect();
    let events: Vec<(usize, f32)> =
        (0..100_000).map(|i| ((i * 7919) % kps.len(), if i % 3 == 0 { 0.0 } else { 1.0 })).collect();
    let params = BktParams { prior: 0.1, learn: 0.2, slip: 0.1, guess: 0.2, forget: 0.0 };
    let mut group = c.benchmark_group("bkt");
    group.throughput(Throughput::Elements(events.len() as u64));
    group.bench_function("update_dense_vector", |b| {
        let mut mastery = vec![0.1f32; kps.len()];
        b.iter(|| {
            for &(node, score) in &events {
                mastery[node] = bkt_update(mastery[node], score, &params);
            }
            black_box(&mastery);
        })
    });
    // The served step: log-odds, log space, with forgetting.
    let forgetting = BktParams { forget: 0.05, ..params };
    group.bench_function("step_logit_dense_vector", |b| {
        let mut logits = vec![tupu_recommend::logit(0.1); kps.len()];
        b.iter(|| {
            for &(node, score) in &events {
                logits[node] = bkt_step_logit(logits[node], score, &forgetting);
            }
            black_box(&logits);
        })
    });
    let mut learner = LearnerState::default();
    for &(node, score) in events.iter().take(5_000) {
        learner.observe(&s, Observation { node: kps[node % CLUSTER], score, time: 0 });
    }
    group.bench_function("predict_one_subject", |b| {
        b.iter(|| {
            for &(node, _) in &events {
                black_box(learner.predict(&s, kps[node % CLUSTER], 0));
            }
        })
    });
    // One learner's realistic reach (the 1,000 points of one subject), and the whole graph,
    // all answers at one time; and one subject's answers a minute apart, so that every step
    // decays the belief it steps from (beliefs then stay below 1, where each answer still moves
    // the linked nodes, and most observations propagate).
    let local: Vec<(usize, f32)> = events.iter().map(|&(node, score)| (node % CLUSTER, score)).collect();
    for (name, stream, gap) in [
        ("observe_with_propagation_one_subject", &local, 0),
        ("observe_with_propagation_one_subject_a_minute_apart", &local, 60),
        ("observe_with_propagation_whole_graph", &events, 0),
    ] {
        group.bench_function(name, |b| {
            b.iter_batched(
                LearnerState::default,
                |mut state| {
                    for (i, &(node, score)) in stream.iter().enumerate() {
                        let time = gap * i as i64;
                        black_box(state.observe(&s, Observation { node: kps[node], score, time }));
                    }
                    state
                },
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

/// Fitting the learner model (BKT with forgetting, then the ability weight; and textbook BKT):
/// on the ASSISTments 2009 training answers when `TUPU_DATASETS`
/// names the datasets folder, else on 407,967 sampled answers over 123 nodes.
fn fit(c: &mut Criterion) {
    use tupu_recommend::{FitConfig, FitEvent, fit_model, read_events, sample_sequences};
    let events: Vec<FitEvent> = match std::env::var_os("TUPU_DATASETS") {
        Some(dir) => {
            let path = std::path::Path::new(&dir).join("assistments-2009-train/train.jsonl.gz");
            let file = std::fs::File::open(&path).expect("the ASSISTments training file");
            read_events(std::io::BufReader::new(flate2::read::MultiGzDecoder::new(file))).expect("a valid log")
        }
        None => (0..123u64)
            .flat_map(|node| {
                let truth = BktParams { prior: 0.3, learn: 0.15, slip: 0.1, guess: 0.2, forget: 0.05 };
                sample_sequences(&truth, 270, 12, node).into_iter().enumerate().flat_map(move |(l, answers)| {
                    answers.into_iter().map(move |correct| FitEvent {
                        learner: format!("l{l}"),
                        node: format!("n{node}"),
                        correct,
                        time: 0,
                    })
                })
            })
            .collect(),
    };
    let mut group = c.benchmark_group("fit_bkt");
    group.sample_size(10);
    group.throughput(Throughput::Elements(events.len() as u64));
    let forgetting_only = FitConfig { ability: false, ..FitConfig::default() };
    for (name, config) in [
        ("with_forgetting_and_ability", FitConfig::default()),
        ("with_forgetting", forgetting_only),
        ("textbook", FitConfig::textbook()),
    ] {
        group.bench_function(name, |b| b.iter(|| black_box(fit_model(events.clone(), &config))));
    }
    // The same answers a minute apart in the log's order: EM runs with the decay in time and
    // fits every node's half-life.
    let timed: Vec<FitEvent> =
        events.iter().enumerate().map(|(i, e)| FitEvent { time: 60 * i as i64, ..e.clone() }).collect();
    group.bench_function("with_forgetting_ability_and_half_lives_timed", |b| {
        b.iter(|| black_box(fit_model(timed.clone(), &FitConfig::default())))
    });
    group.finish();
}

fn event(i: u64) -> StoredEvent {
    StoredEvent {
        object: format!("https://w3id.org/tupu/synthetic/kp{:06}", i % 1000),
        score: 1.0,
        time: i as i64,
        verb: "event".into(),
    }
}

fn write(i: u64, events: usize) -> LearnerWrite {
    LearnerWrite {
        events: (0..events as u64).map(|k| event(i * 1000 + k)).collect(),
        mastery: vec![(format!("https://w3id.org/tupu/synthetic/kp{:06}", i % 1000), NodeMastery::belief(0.5))],
        replace_mastery: false,
    }
}

fn ingestion(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(RedbLearnerStore::open(dir.path().join("learners.redb")).unwrap());
    let mut group = c.benchmark_group("durable_ingestion");
    group.sample_size(10);
    group.throughput(Throughput::Elements(1));
    let mut i = 0u64;
    group.bench_function("one_event_acknowledged", |b| {
        b.iter(|| {
            i += 1;
            store.write(&format!("learner{}", i % 1000), write(i, 1)).unwrap()
        })
    });
    for threads in [16usize, 64] {
        let per_thread = 50u64;
        group.throughput(Throughput::Elements(threads as u64 * per_thread));
        group.bench_function(BenchmarkId::new("one_event_acknowledged_concurrent", threads), |b| {
            b.iter(|| {
                std::thread::scope(|scope| {
                    for t in 0..threads as u64 {
                        let store = store.clone();
                        scope.spawn(move || {
                            for k in 0..per_thread {
                                store.write(&format!("learner{t}"), write(t * 100_000 + k, 1)).unwrap();
                            }
                        });
                    }
                })
            })
        });
    }
    group.throughput(Throughput::Elements(100));
    group.bench_function("batch_of_100", |b| {
        b.iter(|| {
            i += 1;
            store.write(&format!("learner{}", i % 1000), write(i, 100)).unwrap()
        })
    });
    group.finish();
}

/// An erasure as the API answers it: the learner's rows deleted durably and the store file
/// rewritten without them, on a store of 10^5 learners and 10^6 events.
fn erasure(c: &mut Criterion) {
    const LEARNERS: u64 = 100_000;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(RedbLearnerStore::open(dir.path().join("learners.redb")).unwrap());
    std::thread::scope(|scope| {
        for t in 0..16u64 {
            let store = store.clone();
            scope.spawn(move || {
                for l in (t..LEARNERS).step_by(16) {
                    store.write(&format!("learner{l}"), write(l, 10)).unwrap();
                }
            });
        }
    });
    let mut group = c.benchmark_group("erasure");
    group.sample_size(10);
    let mut next = 0u64;
    group.bench_function("erase_and_rewrite_100k_learners_1m_events", |b| {
        b.iter(|| {
            next += 1;
            assert!(store.erase(&format!("learner{next}")).unwrap());
        })
    });
    group.finish();
}

criterion_group!(benches, next_and_path, bkt, fit, ingestion, erasure);
criterion_main!(benches);
