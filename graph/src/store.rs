//! [`GraphStore`]: the oxigraph store, its single commit path and the current snapshot.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use oxigraph::io::{RdfFormat, RdfSerializer};
use oxigraph::model::vocab::xsd;
use oxigraph::model::{
    GraphName, GraphNameRef, Literal, NamedNode, NamedNodeRef, NamedOrBlankNode, Quad, QuadRef, Term,
};
use oxigraph::sparql::{CancellationToken, QueryResults, SparqlEvaluator};
use oxigraph::store::{StorageError, Store};

use crate::compile::{QuadSource, compile};
use crate::diagnostic::Diagnostic;
use crate::error::GraphError;
use crate::snapshot::Snapshot;
use crate::validate::{Scope, check};
use crate::vocab::{GRAPH_NS, META_GRAPH, SHAPES_GRAPH, tupu};

mod bulk;
mod snapshot_file;

/// A set of quads to add and remove, applied together or not at all.
///
/// Every write to a [`GraphStore`] is a change set: imports, edits and SPARQL updates all
/// become one, so the store always knows exactly which triples a commit added and removed.
#[derive(Clone, Debug, Default)]
pub struct ChangeSet {
    /// Quads to add.
    pub added: Vec<Quad>,
    /// Quads to remove (applied before the additions).
    pub removed: Vec<Quad>,
    /// Who made the change.
    pub author: Option<String>,
    /// Why.
    pub message: Option<String>,
}

impl ChangeSet {
    /// An empty change set.
    pub fn new() -> Self {
        Self::default()
    }

    /// A change set that adds `quads`.
    pub fn adding(quads: Vec<Quad>) -> Self {
        Self { added: quads, ..Self::default() }
    }

    /// Sets the message.
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }

    /// Sets the author.
    pub fn with_author(mut self, author: impl Into<String>) -> Self {
        self.author = Some(author.into());
        self
    }

    /// Whether the change set adds and removes nothing.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty()
    }
}

/// What a commit did.
#[derive(Clone, Debug, serde::Serialize)]
pub struct CommitReport {
    /// Version of the snapshot the commit produced.
    pub version: u64,
    /// Quads that were not in the store and now are.
    pub added: usize,
    /// Quads that were in the store and now are not.
    pub removed: usize,
    /// Findings that did not block the commit.
    pub warnings: Vec<Diagnostic>,
}

/// The change a commit applied, as told to listeners.
#[derive(Debug)]
pub struct CommitEvent<'a> {
    /// Version of the new snapshot.
    pub version: u64,
    /// Quads the commit added.
    pub added: &'a [Quad],
    /// Quads the commit removed.
    pub removed: &'a [Quad],
    /// The new snapshot.
    pub snapshot: &'a Arc<Snapshot>,
}

type Listener = Box<dyn Fn(&CommitEvent<'_>) + Send + Sync>;

/// How a SPARQL query sees the store.
#[derive(Clone, Default)]
pub struct QueryOptions {
    /// Graphs whose union is the default graph. Empty: the union of every graph (each
    /// framework lives in its own named graph, so this is what most queries want).
    pub default_graphs: Vec<NamedNode>,
    /// Named graphs visible to `GRAPH` clauses. Empty: all.
    pub named_graphs: Vec<NamedNode>,
    /// Cancels evaluation (and the iteration of results) when triggered.
    pub cancel: Option<CancellationToken>,
}

impl std::fmt::Debug for QueryOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueryOptions")
            .field("default_graphs", &self.default_graphs)
            .field("named_graphs", &self.named_graphs)
            .field("cancellable", &self.cancel.is_some())
            .finish()
    }
}

/// How a SPARQL update is run by [`GraphStore::update_with`]. The default is what the local
/// command line may do: no deadline, no size cap, every graph writable.
#[derive(Clone)]
pub struct UpdateOptions {
    /// The commit message (default: the update text).
    pub message: Option<String>,
    /// Cancels the evaluation of `WHERE` clauses when triggered.
    pub cancel: Option<CancellationToken>,
    /// Waiting for the writer lock gives up at this instant.
    pub deadline: Option<std::time::Instant>,
    /// Most intermediate rows of the `WHERE` clauses together.
    pub row_budget: u64,
    /// Most quads the update may add and remove together.
    pub max_quads: usize,
    /// Whether `CLEAR`/`DROP` and writes to the vocabulary, shapes and meta graphs are allowed.
    pub admin: bool,
}

impl std::fmt::Debug for UpdateOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpdateOptions")
            .field("cancellable", &self.cancel.is_some())
            .field("deadline", &self.deadline)
            .field("row_budget", &self.row_budget)
            .field("max_quads", &self.max_quads)
            .field("admin", &self.admin)
            .finish_non_exhaustive()
    }
}

impl Default for UpdateOptions {
    fn default() -> Self {
        Self { message: None, cancel: None, deadline: None, row_budget: u64::MAX, max_quads: usize::MAX, admin: true }
    }
}

/// The graphs only an administrator may write: the vocabulary, the shapes that validation
/// checks against, and the meta graph holding the commit count.
pub const SYSTEM_GRAPHS: [&str; 3] = [crate::vocab::VOCABULARY_GRAPH, SHAPES_GRAPH, META_GRAPH];

/// The graph: an oxigraph store holding one named graph per framework, written only through
/// [`GraphStore::commit`], and the compiled [`Snapshot`] of its current state.
///
/// Invariants:
/// - every committed state passes validation (no prerequisite cycle, no dangling reference,
///   every node labelled, SHACL shapes satisfied);
/// - [`GraphStore::snapshot`] is the compilation of the last committed state; it is swapped
///   atomically after the store commit, so readers never wait for writers and never see half a
///   change; its version is the number of commits, persisted with them.
pub struct GraphStore {
    store: Store,
    current: ArcSwap<Snapshot>,
    writer: Mutex<()>,
    listeners: Mutex<Vec<Listener>>,
    history: crate::history::History,
    /// Where large commits keep their journal (on-disk stores only; see the `bulk` module).
    journal: Option<PathBuf>,
    /// Whether the snapshot at open was read from the persisted file.
    snapshot_loaded: bool,
    /// The writer of the persisted snapshot (on-disk stores only; see `snapshot_file`).
    persister: Option<snapshot_file::Persister>,
}

impl std::fmt::Debug for GraphStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GraphStore").field("version", &self.current.load().version()).finish_non_exhaustive()
    }
}

fn meta_graph() -> GraphNameRef<'static> {
    GraphNameRef::NamedNode(NamedNodeRef::new_unchecked(META_GRAPH))
}

fn meta_subject() -> NamedNodeRef<'static> {
    NamedNodeRef::new_unchecked(META_GRAPH)
}

/// The named graph for a framework name: an IRI as given, or a bare name under Tupu's
/// graph namespace (`chalkbase` → `https://w3id.org/tupu/graph/chalkbase`).
pub fn graph_iri(name: &str) -> Result<NamedNode, GraphError> {
    let iri = if name.contains(':') { name.to_owned() } else { format!("{GRAPH_NS}{name}") };
    NamedNode::new(iri).map_err(|e| GraphError::InvalidGraphName { name: name.to_owned(), reason: e.to_string() })
}

impl GraphStore {
    /// Opens (or creates) an on-disk store in `path` and compiles its snapshot.
    /// Its [`History`](crate::History) is kept in the same directory, in `history.redb`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, GraphError> {
        let path = path.as_ref();
        let store = Store::open(path)?;
        let journal = bulk::journal_path(path);
        bulk::recover(&store, &journal)?;
        let history = crate::history::History::open(&path.join("history.redb"))?;
        let mut graph = Self::from_store(store, history, Some(snapshot_file::path_in(path)))?;
        graph.journal = Some(journal);
        Ok(graph)
    }

    /// Writes a consistent backup into the new directory `target`: a RocksDB checkpoint of
    /// the store (memtables flushed, files hard-linked where the file system allows) and a copy
    /// of the history, drafts and releases (`history.redb`), both taken under the commit lock so
    /// that no commit falls between them. Readers are not blocked.
    pub fn backup(&self, target: &Path) -> Result<(), GraphError> {
        let _writing = self.writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        self.store.backup(target)?;
        self.history.backup(&target.join("history.redb"))?;
        Ok(())
    }

    /// A store in memory, for tests and tools.
    pub fn in_memory() -> Result<Self, GraphError> {
        Self::from_store(Store::new()?, crate::history::History::in_memory()?, None)
    }

    /// The store with its snapshot: loaded from `snapshot_file` when it holds the store's
    /// version, else compiled (and then persisted there, if given).
    fn from_store(
        store: Store,
        history: crate::history::History,
        snapshot_file: Option<PathBuf>,
    ) -> Result<Self, GraphError> {
        let version = read_version(&store)?;
        history.reconcile(version)?;
        let (snapshot, snapshot_loaded) = snapshot_file::open_snapshot(&store, version, snapshot_file.as_deref())?;
        let snapshot = Arc::new(snapshot);
        let persister = snapshot_file.map(snapshot_file::Persister::start).transpose().map_err(StorageError::Io)?;
        if let Some(persister) = persister.as_ref().filter(|_| !snapshot_loaded) {
            persister.offer(&snapshot);
        }
        Ok(Self {
            store,
            current: ArcSwap::new(snapshot),
            writer: Mutex::new(()),
            listeners: Mutex::new(Vec::new()),
            history,
            journal: None,
            snapshot_loaded,
            persister,
        })
    }

    /// Whether the snapshot was read from the file persisted by an earlier process
    /// (`snapshot.bin` in the store's directory, of the store's version) rather than compiled
    /// from the quads when the store was opened.
    pub fn snapshot_loaded(&self) -> bool {
        self.snapshot_loaded
    }

    /// The record of every commit: who, when, why, and the quads added and removed.
    pub fn history(&self) -> &crate::history::History {
        &self.history
    }

    /// The current snapshot. Cheap (an atomic load); hold it as long as needed.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// The version of the current snapshot.
    pub fn version(&self) -> u64 {
        self.current.load().version()
    }

    /// Read access to the underlying store (for export and custom reads).
    /// Writes must go through [`GraphStore::commit`].
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The alternative labels and definitions of the node `iri`, in every language: the texts
    /// that describe it beyond its labels, which the snapshot does not hold. Cost: two prefix
    /// scans of the subject's quads.
    pub fn descriptions(&self, iri: &str) -> Result<Vec<String>, GraphError> {
        let Ok(subject) = NamedNodeRef::new(iri) else { return Ok(Vec::new()) };
        let mut out = Vec::new();
        for predicate in [crate::vocab::skos::ALT_LABEL, crate::vocab::skos::DEFINITION] {
            for quad in self.store.quads_for_pattern(Some(subject.into()), Some(predicate), None, None) {
                if let Term::Literal(text) = quad?.object {
                    out.push(text.value().to_owned());
                }
            }
        }
        Ok(out)
    }

    /// Number of quads in the store.
    pub fn len(&self) -> Result<usize, GraphError> {
        Ok(self.store.len()?)
    }

    /// Whether the store holds no quad.
    pub fn is_empty(&self) -> Result<bool, GraphError> {
        Ok(self.store.is_empty()?)
    }

    /// Calls `listener` after every commit, on the committing thread, with what changed.
    pub fn subscribe(&self, listener: impl Fn(&CommitEvent<'_>) + Send + Sync + 'static) {
        self.lock_listeners().push(Box::new(listener));
    }

    fn lock_listeners(&self) -> std::sync::MutexGuard<'_, Vec<Listener>> {
        self.listeners.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Applies a change set atomically: the removals, then the additions, then validation of
    /// the resulting state. If validation finds a violation nothing is written and
    /// [`GraphError::Rejected`] carries every finding. Otherwise the store commits, the
    /// snapshot is recompiled and swapped in, and listeners are told.
    ///
    /// Commits are serialised; readers are never blocked.
    pub fn commit(&self, change: ChangeSet) -> Result<CommitReport, GraphError> {
        let writer = self.writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        self.commit_locked(&writer, change, false)
    }

    /// Runs the commit path on a change without committing it: the findings it would
    /// raise, violations included (the change is never written).
    pub fn check_change(&self, change: ChangeSet) -> Result<Vec<Diagnostic>, GraphError> {
        let writer = self.writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match self.commit_locked(&writer, change, true) {
            Ok(report) => Ok(report.warnings),
            Err(GraphError::Rejected(findings)) => Ok(findings),
            Err(e) => Err(e),
        }
    }

    /// Runs a SPARQL 1.1 Update through the commit path (see the `update` module): the net
    /// quads it adds and removes are validated and committed as one change set.
    pub fn update(&self, sparql: &str, message: Option<String>) -> Result<CommitReport, GraphError> {
        self.update_with(sparql, &UpdateOptions { message, ..UpdateOptions::default() })
    }

    /// [`GraphStore::update`] within bounds: the text's shape is checked against
    /// [`SPARQL_LIMITS`](crate::SPARQL_LIMITS) before parsing; the `WHERE` clauses stop at the
    /// cancellation token or the row budget; the writer lock is waited for only until the
    /// deadline; the net change is capped; without `admin`, `CLEAR`/`DROP` and any change to
    /// the [`SYSTEM_GRAPHS`] are refused with [`GraphError::Forbidden`].
    pub fn update_with(&self, sparql: &str, options: &UpdateOptions) -> Result<CommitReport, GraphError> {
        crate::limits::check_shape(sparql, &crate::limits::SPARQL_LIMITS)?;
        let update = crate::update::parse(sparql)?;
        if !options.admin {
            crate::update::check_rights(&update)?;
        }
        let token = options.cancel.clone().unwrap_or_default();
        let budget = crate::limits::RowBudget::new(options.row_budget, token.clone());
        let writer = self.lock_writer(options.deadline)?;
        let mut change = {
            // A scratch transaction: dropped at the end of this block, never committed.
            let mut scratch = self.store.start_transaction()?;
            crate::limits::catch_cancelled(|| {
                crate::update::evaluate(&mut scratch, &update, &budget, options.max_quads)
            })
            .unwrap_or(Err(GraphError::QueryCancelled))
            .map_err(|e| match e {
                GraphError::QueryCancelled if budget.exceeded() => GraphError::RowBudgetExceeded(budget.budget()),
                other => other,
            })?
        };
        if !options.admin {
            if let Some(q) = change.added.iter().chain(&change.removed).find(|q| is_system_graph(&q.graph_name)) {
                return Err(GraphError::Forbidden(format!(
                    "the update writes to the system graph {}; only an administrator may change the vocabulary, shapes and meta graphs",
                    q.graph_name
                )));
            }
        }
        change.message = options.message.clone().or_else(|| Some(format!("SPARQL update: {}", sparql.trim())));
        self.commit_locked(&writer, change, false)
    }

    /// The writer lock, waited for until `deadline` at most.
    fn lock_writer(&self, deadline: Option<std::time::Instant>) -> Result<std::sync::MutexGuard<'_, ()>, GraphError> {
        let Some(deadline) = deadline else {
            return Ok(self.writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        };
        loop {
            match self.writer.try_lock() {
                Ok(guard) => return Ok(guard),
                Err(std::sync::TryLockError::Poisoned(p)) => return Ok(p.into_inner()),
                Err(std::sync::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(2));
                }
                Err(std::sync::TryLockError::WouldBlock) => return Err(GraphError::QueryCancelled),
            }
        }
    }

    fn commit_locked(
        &self,
        _writer: &std::sync::MutexGuard<'_, ()>,
        change: ChangeSet,
        dry_run: bool,
    ) -> Result<CommitReport, GraphError> {
        let (author, message) = (change.author, change.message);
        let (added, removed) = net_change(&self.store, change.added, change.removed)?;
        if added.is_empty() && removed.is_empty() {
            // Nothing would change: no new version, no history record, no listener called.
            return Ok(CommitReport { version: self.version(), added: 0, removed: 0, warnings: Vec::new() });
        }
        let version = self.version() + 1;
        if let Some(journal) =
            self.journal.as_deref().filter(|_| !dry_run && added.len() + removed.len() >= bulk::BULK_MIN)
        {
            return self.commit_bulk(journal, added, removed, version, author, message);
        }
        let mut tx = self.store.start_transaction()?;
        for quad in &removed {
            tx.remove(quad);
        }
        for quad in &added {
            tx.insert(quad);
        }
        let previous = self.current.load_full();
        let incremental = added.len() + removed.len() <= crate::incremental::INCREMENTAL_LIMIT;
        let compiled = if incremental {
            crate::incremental::compile_incremental(&previous, &tx, &added, &removed, version)?
        } else {
            compile(&tx, version)?
        };
        // After a small change to an acyclic graph only the new prerequisite edges can close
        // a cycle; otherwise every cycle is searched.
        let new_requires: Vec<(String, String)> = added
            .iter()
            .filter(|q| q.predicate.as_ref() == tupu::REQUIRES)
            .filter_map(|q| match (&q.subject, &q.object) {
                (NamedOrBlankNode::NamedNode(a), Term::NamedNode(b)) => {
                    Some((a.as_str().to_owned(), b.as_str().to_owned()))
                }
                _ => None,
            })
            .collect();
        let shapes_changed = added
            .iter()
            .chain(&removed)
            .any(|q| matches!(&q.graph_name, GraphName::NamedNode(g) if g.as_str() == SHAPES_GRAPH));
        let scope = if shapes_changed { Scope::All } else { Scope::Nodes(touched(&added, &removed)) };
        let mut findings = check(&tx, &compiled, scope, incremental.then_some(new_requires.as_slice()))?;
        findings.extend(crate::validate::non_finite_numbers(&added));
        if findings.iter().any(Diagnostic::is_violation) {
            // Dropping the transaction discards it: the store is exactly as it was.
            return Err(GraphError::Rejected(findings));
        }
        if dry_run {
            return Ok(CommitReport {
                version: self.version(),
                added: added.len(),
                removed: removed.len(),
                warnings: findings,
            });
        }
        write_version(&mut tx, version)?;
        let record = crate::history::CommitRecord::new(version, author, message, added, removed);
        self.history.prepare(&record)?;
        if let Err(e) = tx.commit() {
            self.history.abandon(version);
            return Err(e.into());
        }
        self.finish_record(&record);
        Ok(self.publish(compiled.snapshot, &record.added, &record.removed, findings))
    }

    /// Marks the history record of a written commit done; if that fails, the record stays
    /// pending and is finished when the store is next opened (see `History::reconcile`).
    fn finish_record(&self, record: &crate::history::CommitRecord) {
        if let Err(e) = self.history.finish(record) {
            let version = record.summary.version;
            tracing::warn!(version, "history: the record stays pending until the store is reopened: {e}");
        }
    }

    /// Swaps in the snapshot of a commit that is written, and tells the listeners.
    fn publish(&self, snapshot: Snapshot, added: &[Quad], removed: &[Quad], warnings: Vec<Diagnostic>) -> CommitReport {
        let version = snapshot.version();
        let snapshot = Arc::new(snapshot);
        self.current.store(snapshot.clone());
        if let Some(persister) = &self.persister {
            persister.offer(&snapshot);
        }
        tracing::info!(version, added = added.len(), removed = removed.len(), "committed");
        let event = CommitEvent { version, added, removed, snapshot: &snapshot };
        for listener in self.lock_listeners().iter() {
            listener(&event);
        }
        CommitReport { version, added: added.len(), removed: removed.len(), warnings }
    }

    /// Compiles a snapshot of the committed state without swapping it in (for tools and
    /// benchmarks; commits compile their own).
    pub fn compile_snapshot(&self) -> Result<Snapshot, GraphError> {
        Ok(compile(&self.store, self.version())?.snapshot)
    }

    /// Validates the whole committed state (every check, every shape target). The current
    /// snapshot is that state compiled: only the edges are read again, for the references
    /// that dangle; unlabelled nodes are reported in IRI order, as a compilation lists them.
    pub fn validate(&self) -> Result<Vec<Diagnostic>, GraphError> {
        let snapshot = self.snapshot();
        let dangling = crate::compile::dangling_references_of_store(&self.store, &snapshot)?;
        let mut unlabelled: Vec<_> = snapshot.nodes().filter(|&n| snapshot.labels(n).is_empty()).collect();
        unlabelled.sort_by_key(|&n| snapshot.iri(n));
        Ok(crate::validate::check_compiled(&self.store, &snapshot, &dangling, &unlabelled, Scope::All, None)?)
    }

    /// Every quad of a named graph, e.g. to replace it.
    pub fn graph_quads(&self, graph: &NamedNode) -> Result<Vec<Quad>, GraphError> {
        Ok(self.store.quads(None, None, None, Some(graph.as_ref().into())).collect::<Result<_, _>>()?)
    }

    /// The named graphs of the store.
    pub fn named_graphs(&self) -> Result<Vec<NamedNode>, GraphError> {
        let mut out = Vec::new();
        for g in self.store.named_graphs() {
            if let NamedOrBlankNode::NamedNode(n) = g? {
                out.push(n);
            }
        }
        out.sort();
        Ok(out)
    }

    /// Evaluates a SPARQL 1.1 query. Results are lazy: evaluation continues while they are
    /// iterated, and `options.cancel` stops both.
    pub fn query(&self, sparql: &str, options: &QueryOptions) -> Result<QueryResults<'static>, GraphError> {
        let token = options.cancel.clone().unwrap_or_default();
        self.query_bounded(sparql, options, &crate::limits::RowBudget::new(u64::MAX, token))
    }

    /// [`GraphStore::query`] within bounds: the text's shape is checked against
    /// [`SPARQL_LIMITS`](crate::SPARQL_LIMITS) before parsing, and evaluation stops once
    /// `budget` is spent or its token cancelled (`budget.exceeded()` then tells which);
    /// `options.cancel` is not used: the budget's token is.
    pub fn query_bounded(
        &self,
        sparql: &str,
        options: &QueryOptions,
        budget: &crate::limits::RowBudget,
    ) -> Result<QueryResults<'static>, GraphError> {
        crate::limits::check_shape(sparql, &crate::limits::SPARQL_LIMITS)?;
        let sparql = crate::sparql_text::escape_local_dots(sparql);
        let query =
            spargebra::SparqlParser::new().parse_query(&sparql).map_err(|e| GraphError::QuerySyntax(e.to_string()))?;
        let evaluator = SparqlEvaluator::new()
            .with_cancellation_token(budget.token())
            .with_custom_function(NamedNode::new_unchecked(crate::limits::GUARD_FUNCTION), budget.function());
        let mut prepared = evaluator.for_query(crate::limits::guard_query(query));
        let dataset = prepared.dataset_mut();
        if options.default_graphs.is_empty() {
            // A query's own `FROM` / `FROM NAMED` are honoured; without them the default graph
            // is the union of every graph.
            if dataset.is_default_dataset() {
                dataset.set_default_graph_as_union();
            }
        } else {
            dataset.set_default_graph(options.default_graphs.iter().cloned().map(Into::into).collect());
        }
        if !options.named_graphs.is_empty() {
            dataset.set_available_named_graphs(options.named_graphs.iter().cloned().map(Into::into).collect());
        }
        prepared.on_store(&self.store).execute().map_err(GraphError::from)
    }

    /// Writes a named graph in an RDF format, with the usual prefixes where the format has them.
    /// `extra_prefixes` are added to [`PREFIXES`].
    pub fn export(
        &self,
        graph: &NamedNode,
        format: RdfFormat,
        extra_prefixes: &[(&str, &str)],
        writer: impl std::io::Write,
    ) -> Result<(), GraphError> {
        let mut serializer = RdfSerializer::from_format(format);
        for (prefix, iri) in PREFIXES.iter().chain(extra_prefixes) {
            serializer = serializer.with_prefix(*prefix, *iri).map_err(|e| GraphError::Export(e.to_string()))?;
        }
        self.store
            .dump_graph_to_writer(graph, serializer, writer)
            .map(|_| ())
            .map_err(|e| GraphError::Export(e.to_string()))
    }
}

/// Prefixes written by [`GraphStore::export`].
pub const PREFIXES: &[(&str, &str)] = &[
    ("tupu", crate::vocab::TUPU_NS),
    ("skos", "http://www.w3.org/2004/02/skos/core#"),
    ("schema", "https://schema.org/"),
    ("rdfs", "http://www.w3.org/2000/01/rdf-schema#"),
    ("xsd", "http://www.w3.org/2001/XMLSchema#"),
];

fn is_system_graph(graph: &GraphName) -> bool {
    matches!(graph, GraphName::NamedNode(g) if SYSTEM_GRAPHS.contains(&g.as_str()))
}

/// The net effect of a change on `store`: the quads to remove that are present and not added
/// back, and the quads to add (each once) that are absent. A quad both removed and added stays
/// as it is. Quads of a graph that holds nothing yet are absent without a lookup, so a first
/// import reads nothing from the store. O((a + r) · lookup).
fn net_change(store: &Store, added: Vec<Quad>, removed: Vec<Quad>) -> Result<(Vec<Quad>, Vec<Quad>), StorageError> {
    let mut net_removed = Vec::new();
    let mut keep = vec![false; added.len()];
    {
        if !removed.is_empty() {
            let in_added: rustc_hash::FxHashSet<&Quad> = added.iter().collect();
            let mut seen = rustc_hash::FxHashSet::default();
            for quad in &removed {
                if !in_added.contains(quad) && seen.insert(quad) && store.contains(quad)? {
                    net_removed.push(quad.clone());
                }
            }
        }
        let mut graph_empty: HashMap<&GraphName, bool> = HashMap::new();
        let mut seen = rustc_hash::FxHashSet::with_capacity_and_hasher(added.len(), Default::default());
        for (i, quad) in added.iter().enumerate() {
            if !seen.insert(quad) {
                continue;
            }
            let empty = match graph_empty.get(&quad.graph_name) {
                Some(empty) => *empty,
                None => {
                    let empty =
                        store.quads_for_pattern(None, None, None, Some(quad.graph_name.as_ref())).next().is_none();
                    graph_empty.insert(&quad.graph_name, empty);
                    empty
                }
            };
            keep[i] = empty || !store.contains(quad)?;
        }
    }
    let net_added = added.into_iter().zip(keep).filter_map(|(q, k)| k.then_some(q)).collect();
    Ok((net_added, net_removed))
}

/// The subjects and IRI objects of the changed quads: the nodes whose shapes may have changed.
fn touched(added: &[Quad], removed: &[Quad]) -> Vec<NamedOrBlankNode> {
    let mut nodes: Vec<NamedOrBlankNode> = Vec::new();
    for q in added.iter().chain(removed) {
        nodes.push(q.subject.clone());
        match &q.object {
            Term::NamedNode(n) => nodes.push(n.clone().into()),
            Term::BlankNode(b) => nodes.push(b.clone().into()),
            Term::Literal(_) => {}
        }
    }
    nodes.sort_by_cached_key(ToString::to_string);
    nodes.dedup();
    nodes
}

/// The commit count: the largest one recorded (a bulk commit writes its count beside the old
/// one before a transaction removes the old one).
fn read_version(store: &Store) -> Result<u64, StorageError> {
    let mut version = 0;
    for quad in store.quads_for_pattern(Some(meta_subject().into()), Some(tupu::COMMIT_COUNT), None, Some(meta_graph()))
    {
        if let Term::Literal(l) = quad?.object {
            if let Ok(v) = l.value().parse::<u64>() {
                version = version.max(v);
            }
        }
    }
    Ok(version)
}

fn write_version(tx: &mut oxigraph::store::Transaction<'_>, version: u64) -> Result<(), StorageError> {
    let old: Vec<Quad> = tx
        .quads(Some(meta_subject().into()), Some(tupu::COMMIT_COUNT), None, Some(meta_graph()))
        .collect::<Result<_, _>>()?;
    for q in &old {
        tx.remove(q);
    }
    let value = Literal::new_typed_literal(version.to_string(), xsd::INTEGER);
    tx.insert(QuadRef::new(meta_subject(), tupu::COMMIT_COUNT, &value, meta_graph()));
    Ok(())
}
