//! Search figures over two synthetic corpora of mixed Chinese and English documents (10^6
//! each by default, `TUPU_SEARCH_DOCS` to change): one drawn from a vocabulary of 20,000
//! words per language with Zipf frequencies, as natural text is, and one drawn uniformly from
//! 94 curriculum and job words, where every query word is in a third of the documents (the
//! worst case for a text index). For each: indexing throughput, index size on disk, query
//! latency p50/p99, linking throughput; then the delay from a commit to its being searchable.
//! Run: `cargo bench --workspace --bench search` (`TUPU_SEARCH_CORPUS=zipf` or `uniform` for
//! one corpus).

use tupu_benches::search::{
    QUERY_CLASSES, commit_to_searchable, corpus, measure, quantile, queries, zipf_corpus, zipf_queries,
};

fn main() {
    let n: usize = std::env::var("TUPU_SEARCH_DOCS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let only = std::env::var("TUPU_SEARCH_CORPUS").unwrap_or_default();
    if only != "uniform" {
        println!("== Zipf corpus: 20,000 words per language");
        run(zipf_corpus(n, 1), &zipf_queries(5_000, 2));
    }
    if only != "zipf" {
        println!("== uniform corpus: 94 words");
        run(corpus(n, 1), &queries(5_000, 2));
    }
    let mut delays: Vec<f64> = commit_to_searchable(200).iter().map(|d| d.as_secs_f64() * 1e3).collect();
    delays.sort_by(f64::total_cmp);
    println!(
        "commit -> searchable     p50 {:>8.2} ms   p99 {:>8.2} ms   max {:>8.2} ms",
        quantile(&delays, 0.5),
        quantile(&delays, 0.99),
        quantile(&delays, 1.0)
    );
}

fn run(docs: Vec<tupu_graph::search::IndexDocument>, queries: &[String]) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let figures = measure(dir.path(), docs, queries);
    println!("documents                {:>12}", figures.docs);
    println!("indexing                 {:>12.0} docs/s", figures.docs_per_second);
    println!("merge into one segment   {:>12.1} s (from {} segments)", figures.merge_seconds, figures.segments);
    println!("index size               {:>12.1} MiB", figures.index_bytes as f64 / 1_048_576.0);
    let q = &figures.query_micros;
    println!(
        "query latency            p50 {:>8.1} µs   p99 {:>8.1} µs   max {:>8.1} µs",
        quantile(q, 0.5),
        quantile(q, 0.99),
        quantile(q, 1.0)
    );
    for (class, q) in QUERY_CLASSES.iter().zip(&figures.query_micros_by_class) {
        println!("  {class:<22} p50 {:>8.1} µs   p99 {:>8.1} µs", quantile(q, 0.5), quantile(q, 0.99));
    }
    let l = &figures.link_micros;
    let total: f64 = l.iter().sum();
    println!(
        "linking                  {:>12.0} texts/s   p50 {:>8.1} µs   p99 {:>8.1} µs",
        l.len() as f64 / (total / 1e6),
        quantile(l, 0.5),
        quantile(l, 0.99)
    );
}
