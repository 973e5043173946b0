//! Shared server state and how a data directory is opened.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tupu_graph::GraphStore;
use tupu_graph::search::SearchIndex;
use tupu_recommend::{Learners, RecommendConfig, RedbLearnerStore};

/// Settings of the HTTP server, validated before the server starts.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Longest a SPARQL query may run, results included.
    pub query_timeout: Duration,
    /// Largest request body accepted.
    pub max_body_bytes: usize,
    /// Whether SPARQL updates are accepted at `/sparql`.
    pub allow_updates: bool,
    /// How long a rendered next-step list may be served again while the learner's vector and
    /// the snapshot stay the same (zero: never).
    pub next_cache: Duration,
    /// Most intermediate rows a SPARQL query or update may produce.
    pub max_query_rows: u64,
    /// Largest SPARQL result body.
    pub max_result_bytes: usize,
    /// Most quads a SPARQL update may add and remove together.
    pub max_update_quads: usize,
    /// The key file; `None` or a file without keys: local mode (see [`crate::auth`]).
    pub keys_file: Option<std::path::PathBuf>,
    /// The names the `Host` header may carry (without port).
    pub allowed_hosts: Vec<String>,
    /// Pseudonymises learner ids before handlers, storage and logs see them (see
    /// [`crate::privacy`]); `None`: ids are stored as sent.
    pub learner_secret: Option<crate::privacy::LearnerSecret>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            query_timeout: Duration::from_secs(10),
            max_body_bytes: 16 * 1024 * 1024,
            allow_updates: true,
            next_cache: Duration::from_secs(5),
            max_query_rows: tupu_graph::DEFAULT_ROW_BUDGET,
            max_result_bytes: 64 * 1024 * 1024,
            max_update_quads: 1_000_000,
            keys_file: None,
            allowed_hosts: crate::auth::loopback_hosts(),
            learner_secret: None,
        }
    }
}

/// What every handler can reach. Cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The graph.
    pub graph: Arc<GraphStore>,
    /// Learner state and recommendations.
    pub learners: Arc<Learners>,
    /// The settings.
    pub config: Arc<ServerConfig>,
    /// Rendered next-step lists, unless the configuration turns the cache off.
    pub(crate) next_cache: Option<Arc<crate::next_cache::NextCache>>,
    /// The search index: the one given to [`AppState::with_search`], else an index in memory
    /// made on first use and kept in step with the graph.
    search: Arc<std::sync::Mutex<Option<SearchIndex>>>,
    /// The API keys, when a key file is configured.
    pub keys: Option<crate::auth::Keys>,
    /// The matching index of the latest snapshot.
    pub(crate) matching: Arc<tupu_recommend::matching::IndexCache>,
    /// Posts' facts and graduate cohorts, read from the store once per graph version.
    pub(crate) market: Arc<std::sync::Mutex<Option<(u64, Arc<tupu_graph::Market>)>>>,
    /// Request counters and graph gauges for `/metrics`.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// The audit trail, when the server keeps one (see `AppState::with_audit`).
    pub audit: Option<Arc<crate::audit::AuditLog>>,
    /// The data directory, for backups (see `AppState::with_data_dir`).
    pub data_dir: Option<std::path::PathBuf>,
}

impl AppState {
    /// State over an open graph and learner store.
    pub fn new(graph: Arc<GraphStore>, learners: Arc<Learners>, config: ServerConfig) -> Self {
        let next_cache =
            (!config.next_cache.is_zero()).then(|| Arc::new(crate::next_cache::NextCache::new(config.next_cache)));
        let keys = config.keys_file.as_ref().map(|path| Arc::new(crate::auth::KeyStore::new(path.clone())));
        let metrics = crate::metrics::Metrics::new(&graph);
        // Related occupations weigh the words of occupations' alternative labels and
        // definitions, which only the store holds.
        let store = graph.clone();
        let matching = tupu_recommend::matching::IndexCache::with_texts(move |snapshot, node| {
            store.descriptions(snapshot.iri(node)).unwrap_or_default()
        });
        Self {
            graph,
            learners,
            config: Arc::new(config),
            next_cache,
            search: Arc::default(),
            keys,
            matching: Arc::new(matching),
            market: Arc::default(),
            metrics,
            audit: None,
            data_dir: None,
        }
    }

    /// Lets `POST /api/v1/admin/backup` write backups of `data` (into `data/backups/`).
    pub fn with_data_dir(mut self, data: &Path) -> Self {
        self.data_dir = Some(data.to_owned());
        self
    }

    /// Records graph updates and learner-data access in `log`.
    pub fn with_audit(mut self, log: Arc<crate::audit::AuditLog>) -> Self {
        self.audit = Some(log);
        self
    }

    /// The same state searching `index` (which should follow `graph`, see [`open_search`]).
    pub fn with_search(self, index: SearchIndex) -> Self {
        *self.search.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(index);
        self
    }

    /// The search index given to [`AppState::with_search`], if any (never builds one).
    /// The posts' facts and cohorts of the graph's current version (read once per version).
    pub(crate) fn market(&self) -> Result<Arc<tupu_graph::Market>, tupu_graph::GraphError> {
        let version = self.graph.version();
        let mut cached = self.market.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((v, market)) = cached.as_ref() {
            if *v == version {
                return Ok(market.clone());
            }
        }
        let market = Arc::new(self.graph.market()?);
        *cached = Some((version, market.clone()));
        Ok(market)
    }

    pub(crate) fn search_index(&self) -> Option<SearchIndex> {
        self.search.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// The search index; without one given, an index in memory is built from the graph on
    /// first use (waiting for it) and follows it from then on.
    pub(crate) fn search(&self) -> Result<SearchIndex, crate::error::ApiError> {
        let mut slot = self.search.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(index) = &*slot {
            return Ok(index.clone());
        }
        let index = SearchIndex::in_memory()?;
        index.follow(&self.graph)?;
        index.wait_for(self.graph.version(), Duration::from_secs(120));
        *slot = Some(index.clone());
        Ok(index)
    }
}

/// Opens the search index of a data directory (`DIR/search`) and keeps it in step with
/// `graph`; an index behind the graph (after a crash) is rebuilt in the background.
pub fn open_search(data: &Path, graph: &GraphStore) -> anyhow::Result<SearchIndex> {
    use anyhow::Context;
    let path = data.join("search");
    let index =
        SearchIndex::open(&path).with_context(|| format!("cannot open the search index in {}", path.display()))?;
    index.follow(graph).context("cannot start indexing")?;
    Ok(index)
}

/// Opens the learner store of a data directory (`DIR/learners.redb`).
pub fn open_learners(data: &Path, config: RecommendConfig) -> anyhow::Result<Learners> {
    use anyhow::Context;
    std::fs::create_dir_all(data).with_context(|| format!("cannot create the data directory {}", data.display()))?;
    let path = data.join("learners.redb");
    let store = match RedbLearnerStore::open(&path) {
        Ok(store) => store,
        Err(e) if e.to_string().contains("already open") => return Err(in_use(data)),
        Err(e) => return Err(e).with_context(|| format!("cannot open the learner store {}", path.display())),
    };
    Ok(Learners::new(Arc::new(store), config))
}

/// Opens the learner store of a data directory as a server with a pseudonymisation secret
/// does: learners stored under their raw ids (by a version that did not pseudonymise, or a
/// server run without the secret) are first moved to their pseudonyms, and the file is
/// rewritten so the raw ids are gone from it. Says on standard error how many moved. Once a
/// pass has left only pseudonyms, `DATA/learners.pseudonymised` records it and later opens
/// skip the pass (it walks every learner id).
pub fn open_private_learners(
    data: &Path,
    config: RecommendConfig,
    secret: &crate::privacy::LearnerSecret,
) -> anyhow::Result<Learners> {
    use anyhow::Context;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let learners = open_learners(data, config)?;
    let done = data.join("learners.pseudonymised");
    if done.exists() {
        return Ok(learners);
    }
    let moved = Arc::new(AtomicUsize::new(0));
    let counter = moved.clone();
    let secret = secret.clone();
    learners
        .rename_stored(Box::new(move |id| {
            (!crate::privacy::is_pseudonym(id)).then(|| {
                counter.fetch_add(1, Ordering::Relaxed);
                secret.pseudonym(id)
            })
        }))
        .with_context(|| format!("cannot pseudonymise the learners stored in {}", data.display()))?;
    let moved = moved.load(Ordering::Relaxed);
    if moved > 0 {
        eprintln!("tupu: {moved} learners stored under raw ids now use their pseudonyms");
    }
    std::fs::write(&done, b"").with_context(|| format!("cannot write {}", done.display()))?;
    Ok(learners)
}

/// The error for a data directory that another process (a running server) holds: one
/// sentence, with what to do instead.
fn in_use(data: &Path) -> anyhow::Error {
    anyhow::anyhow!(
        "the data directory {} is in use by another tupu process (a running `tupu serve`?): stop it first, \
         or make the change through that server's HTTP API (SPARQL updates: POST /sparql; learners: /api/v1/learners/...)",
        data.display()
    )
}

/// Opens the graph of a data directory (`DIR/graph`). A store that is empty gets the bundled
/// vocabulary and shapes, and the demo curriculum when `demo` is set.
pub fn open_graph(data: &Path, demo: bool) -> anyhow::Result<GraphStore> {
    use anyhow::Context;
    std::fs::create_dir_all(data).with_context(|| format!("cannot create the data directory {}", data.display()))?;
    let path = data.join("graph");
    let graph = match GraphStore::open(&path) {
        Ok(graph) => graph,
        Err(e) if e.to_string().contains("lock file") => return Err(in_use(data)),
        Err(e) => return Err(e).with_context(|| format!("cannot open the graph store in {}", path.display())),
    };
    initialise(&graph, demo)?;
    Ok(graph)
}

/// Loads the bundled files into an empty graph.
pub fn initialise(graph: &GraphStore, demo: bool) -> anyhow::Result<()> {
    use anyhow::Context;
    if graph.is_empty()? {
        let report =
            tupu_ingest::load_bundled(graph, demo).context("cannot load the bundled vocabulary and demo data")?;
        tracing::info!(quads = report.added, demo, "initialised an empty store");
    }
    Ok(())
}

/// Runs a blocking closure off the async runtime.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, crate::error::ApiError> + Send + 'static,
) -> Result<T, crate::error::ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(crate::error::ApiError::internal)?
}
