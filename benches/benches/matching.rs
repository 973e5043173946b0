//! Competency matching on data shaped like the peers' generator: 10^4 posts (about 30
//! competencies each) over 5,000 competencies, graduates with about 50. One graduate against
//! every post (top 10), and a batch of graduates (throughput), by cosine and by the employment
//! rule. The 10^6-graduate batch runs through `tupu match` on the peers' own files (see
//! ARCHITECTURE.md, Benchmarks).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tupu_benches::zipf_profiles;
use tupu_recommend::matching::{Matcher, Profile, Rule};

const POSTS: usize = 10_000;
const COMPETENCIES: usize = 5_000;

/// Profiles of the peers' `posts.jsonl` or `graduates.jsonl` (`{"id", "comp", "w"}` a line),
/// the first `limit` lines.
fn peers_profiles(path: &std::path::Path, limit: usize) -> Vec<Profile> {
    let text = std::fs::read_to_string(path).expect("the peers' data file");
    text.lines()
        .take(limit)
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
            let comp = v["comp"].as_array().expect("comp");
            let w = v["w"].as_array().expect("w");
            Profile::new(
                comp.iter()
                    .zip(w)
                    .map(|(c, w)| tupu_recommend::matching::Cell {
                        comp: c.as_u64().expect("a competency index") as u32,
                        value: w.as_f64().expect("a weight") as f32,
                        level: 0,
                        essential: true,
                    })
                    .collect(),
            )
        })
        .collect()
}

fn matching(c: &mut Criterion) {
    // `PEERS_DATA=DIR`: the peers' generated posts and first 10^4 graduates instead of the
    // built-in Zipf profiles, for a ratio against `peers.py match_one` on the same data.
    let (posts, graduates) = match std::env::var_os("PEERS_DATA").map(std::path::PathBuf::from) {
        Some(dir) => {
            (peers_profiles(&dir.join("posts.jsonl"), usize::MAX), peers_profiles(&dir.join("graduates.jsonl"), 10_000))
        }
        None => (zipf_profiles(POSTS, COMPETENCIES, 30, 4), zipf_profiles(10_000, COMPETENCIES, 50, 5)),
    };
    for (name, rule) in [("cosine", Rule::Dot), ("employment", Rule::Requirements { penalty: 0.5 })] {
        let targets: Vec<Profile> = match rule {
            Rule::Dot => posts.iter().cloned().map(Profile::unit).collect(),
            _ => posts.iter().cloned().map(Profile::normalised).collect(),
        };
        let queries: Vec<Profile> = match rule {
            Rule::Dot => graduates.iter().cloned().map(Profile::unit).collect(),
            _ => graduates.clone(),
        };
        let matcher = Matcher::new(rule, COMPETENCIES, &targets);
        let mut group = c.benchmark_group(format!("match_{name}"));
        let mut scratch = matcher.scratch();
        let mut i = 0;
        group.bench_function("one_graduate_10k_posts_top10", |b| {
            b.iter(|| {
                i = (i + 1) % queries.len();
                black_box(matcher.top_k(&queries[i], 10, &mut scratch))
            })
        });
        group.throughput(Throughput::Elements(queries.len() as u64));
        group.sample_size(10);
        group.bench_function("batch_10k_graduates_top10", |b| {
            b.iter(|| {
                let mut best = 0.0f32;
                matcher.top_k_batch(&queries, 10, |_, top| best += top.first().map_or(0.0, |s| s.score));
                black_box(best)
            })
        });
        group.finish();
    }
}

criterion_group!(benches, matching);
criterion_main!(benches);
