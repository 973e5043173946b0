//! Search figures over a synthetic corpus of mixed Chinese and English documents (10^6 by
//! default, `TUPU_SEARCH_DOCS` to change): indexing throughput, index size on disk, query
//! latency p50/p99, linking throughput, and the delay from a commit to its being searchable.
//! Run: `cargo bench --workspace --bench search`.

use tupu_benches::search::{commit_to_searchable, corpus, measure, quantile, queries};

fn main() {
    let n: usize = std::env::var("TUPU_SEARCH_DOCS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let figures = measure(dir.path(), corpus(n, 1), &queries(5_000, 2));
    println!("documents                {:>12}", figures.docs);
    println!("indexing                 {:>12.0} docs/s", figures.docs_per_second);
    println!("index size               {:>12.1} MiB", figures.index_bytes as f64 / 1_048_576.0);
    let q = &figures.query_micros;
    println!(
        "query latency            p50 {:>8.1} µs   p99 {:>8.1} µs   max {:>8.1} µs",
        quantile(q, 0.5),
        quantile(q, 0.99),
        quantile(q, 1.0)
    );
    let l = &figures.link_micros;
    let total: f64 = l.iter().sum();
    println!(
        "linking                  {:>12.0} texts/s   p50 {:>8.1} µs   p99 {:>8.1} µs",
        l.len() as f64 / (total / 1e6),
        quantile(l, 0.5),
        quantile(l, 0.99)
    );
    let mut delays: Vec<f64> = commit_to_searchable(200).iter().map(|d| d.as_secs_f64() * 1e3).collect();
    delays.sort_by(f64::total_cmp);
    println!(
        "commit -> searchable     p50 {:>8.2} ms   p99 {:>8.2} ms   max {:>8.2} ms",
        quantile(&delays, 0.5),
        quantile(&delays, 0.99),
        quantile(&delays, 1.0)
    );
}
