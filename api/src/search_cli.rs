//! `tupu search`, `tupu suggest`, `tupu link` and `tupu reindex`, and the in-process API call
//! the CLI's JSON commands share.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use tupu_api::{AppState, ServerConfig, open_graph, open_learners};
use tupu_graph::GraphStore;
use tupu_graph::search::SearchIndex;
use tupu_recommend::RecommendConfig;

/// Percent-encodes a query-string value.
pub(crate) fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Sends one request to the router over `state` in process and prints the JSON answer
/// (standard output on success, standard error otherwise), so the CLI prints exactly what
/// the API returns.
pub(crate) fn call_api(state: AppState, method: &str, uri: String, body: axum::body::Body) -> anyhow::Result<ExitCode> {
    use axum::http::Request;
    use tower::ServiceExt;
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().context("cannot start the runtime")?;
    let (status, bytes) = runtime.block_on(async move {
        let request =
            Request::builder().method(method).uri(uri).header("content-type", "application/json").body(body)?;
        let response = tupu_api::app(state).oneshot(request).await?;
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await?;
        anyhow::Ok((status, bytes))
    })?;
    let json: serde_json::Value =
        serde_json::from_slice(&bytes).context("the API answered with something other than JSON")?;
    let pretty = serde_json::to_string_pretty(&json)?;
    if status.is_success() {
        writeln!(std::io::stdout().lock(), "{pretty}")?;
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("{pretty}");
        Ok(ExitCode::FAILURE)
    }
}

/// The data directory's search index, brought up to the graph's version now.
fn search_index(data: &Path, graph: &GraphStore) -> anyhow::Result<SearchIndex> {
    let path = data.join("search");
    let index =
        SearchIndex::open(&path).with_context(|| format!("cannot open the search index in {}", path.display()))?;
    if index.version() != graph.version() || (index.is_empty() && graph.snapshot().node_count() > 0) {
        eprintln!("tupu: the search index is behind the graph; rebuilding it");
        index.reindex(graph).context("cannot rebuild the search index")?;
    }
    Ok(index)
}

/// A state over the data directory with its search index.
pub(crate) fn state(data: &Path) -> anyhow::Result<AppState> {
    let graph = open_graph(data, false)?;
    let index = search_index(data, &graph)?;
    let learners = open_learners(data, RecommendConfig::default())?;
    Ok(AppState::new(std::sync::Arc::new(graph), std::sync::Arc::new(learners), ServerConfig::default())
        .with_search(index))
}

/// `tupu search QUERY [filters]`: `GET /api/v1/search`.
pub(crate) fn search(data: &Path, query: &str, filters: &[(&str, Option<String>)]) -> anyhow::Result<ExitCode> {
    let mut uri = format!("/api/v1/search?q={}", enc(query));
    for (name, value) in filters {
        if let Some(v) = value {
            uri.push_str(&format!("&{name}={}", enc(v)));
        }
    }
    call_api(state(data)?, "GET", uri, axum::body::Body::empty())
}

/// `tupu suggest PREFIX`: `GET /api/v1/suggest`.
pub(crate) fn suggest(data: &Path, prefix: &str, kind: Option<&str>) -> anyhow::Result<ExitCode> {
    let kind = kind.map(|k| format!("&kind={}", enc(k))).unwrap_or_default();
    call_api(state(data)?, "GET", format!("/api/v1/suggest?q={}{kind}", enc(prefix)), axum::body::Body::empty())
}

/// `tupu link TEXT...`: `POST /api/v1/link` (a batch when several texts are given).
pub(crate) fn link(data: &Path, texts: Vec<String>, kind: Option<String>, limit: usize) -> anyhow::Result<ExitCode> {
    let kinds: Vec<String> = kind.map(|k| k.split(',').map(str::to_owned).collect()).unwrap_or_default();
    let body = if texts.len() == 1 {
        serde_json::json!({ "text": texts[0], "kinds": kinds, "limit": limit })
    } else {
        serde_json::json!({ "texts": texts, "kinds": kinds, "limit": limit })
    };
    call_api(state(data)?, "POST", "/api/v1/link".into(), axum::body::Body::from(body.to_string()))
}

/// `tupu link --auto`: aligns every resource aligned to nothing whose best node scores at
/// least `threshold`, as one commit, and reports each alignment.
pub(crate) fn auto_link(data: &Path, threshold: f32, kind: Option<String>, graph: &str) -> anyhow::Result<ExitCode> {
    let kinds = match kind {
        None => Vec::new(),
        Some(k) => k
            .split(',')
            .map(|k| {
                tupu_graph::NodeKind::ALL
                    .into_iter()
                    .find(|x| x.as_str() == k.trim())
                    .with_context(|| format!("unknown kind '{k}'"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?,
    };
    let store = open_graph(data, false)?;
    let index = search_index(data, &store)?;
    index.follow(&store).context("cannot start indexing")?;
    let target = tupu_graph::graph_iri(graph)?;
    let (change, report) = index.auto_align(&store, threshold, &kinds, &target)?;
    let mut out = std::io::stdout().lock();
    for a in &report.aligned {
        writeln!(out, "{}\t{}\t{}\t{}\t{:.3}", a.resource, a.relation, a.node, a.label, a.score)?;
    }
    let version = if change.is_empty() {
        store.version()
    } else {
        let commit = store.commit(change)?;
        // The indexing thread catches up with the commit before the process ends.
        index.wait_for(commit.version, Duration::from_secs(60));
        commit.version
    };
    eprintln!(
        "examined {} unaligned resource(s): aligned {}, {} below the threshold {threshold}; graph {target}, snapshot version {version}",
        report.examined,
        report.aligned.len(),
        report.below_threshold
    );
    Ok(ExitCode::SUCCESS)
}

/// `tupu reindex`: rebuilds the search index from the store.
pub(crate) fn reindex(data: &Path) -> anyhow::Result<ExitCode> {
    let graph = open_graph(data, false)?;
    let path = data.join("search");
    let index =
        SearchIndex::open(&path).with_context(|| format!("cannot open the search index in {}", path.display()))?;
    let started = std::time::Instant::now();
    let docs = index.reindex(&graph).context("cannot rebuild the search index")?;
    eprintln!(
        "indexed {docs} node(s) at graph version {} in {:.2} s",
        graph.version(),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}
