//! [`SearchIndex`]: one tantivy index over every node of the graph (knowledge points,
//! competencies, courses, majors, occupations, posts, resources), kept in step with the store.
//!
//! Each node is one document: its labels and aliases in every language (`name`, analysed by
//! jieba + lower-casing + English stemming, and again as CJK character unigrams and bigrams in
//! `grams`), its definitions, descriptions and texts (`body`), its surroundings (`context`:
//! topic, thread, broader and parent labels, the labels of the nodes a resource is aligned
//! to), its codes (`code`, exact), its facets (kind, level, language, subject, resource type)
//! and, for a resource, its alignments.
//!
//! [`SearchIndex::follow`] keeps the index in step with a [`GraphStore`]: the commit listener
//! only sends the changed subjects to a channel, and one background thread re-reads those
//! nodes, replaces their documents and commits the index with the graph version it now
//! reflects as the commit payload, then reloads the reader. Commits and searches never wait
//! for indexing. At start, an index whose recorded version differs from the store's (a crash
//! between the two commits, an index from another store) is rebuilt from the store.

mod align;
mod analysis;
mod document;
mod link;
mod matches;
mod query;
mod snippet;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use oxigraph::model::{NamedOrBlankNode, Quad, Term};
use oxigraph::store::Store;
use tantivy::directory::MmapDirectory;
use tantivy::schema::{
    FAST, Facet, FacetOptions, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term as IndexTerm};

use crate::snapshot::{NodeKind, Relation, Snapshot};
use crate::store::{CommitEvent, GraphStore};
use crate::vocab::{rdfs, skos};

pub use align::{AutoAlignReport, AutoAlignment, alignment_quads};
pub use analysis::is_cjk;
pub use document::{Alignment, IndexDocument};
pub use link::{CleanText, LinkCandidate, LinkRequest, clean_text};
pub use query::{
    AlignedNode, AlignedResource, Facets, SearchHit, SearchRequest, SearchResults, Suggestion, query_grams,
};

/// Why the index failed.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// tantivy failed.
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    /// The index directory could not be opened.
    #[error("search index directory: {0}")]
    Directory(String),
    /// The store could not be read.
    #[error("search index: reading the store: {0}")]
    Storage(#[from] oxigraph::store::StorageError),
}

/// The fields of the index.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fields {
    pub iri: Field,
    pub kind: Field,
    pub facets: Field,
    pub name: Field,
    pub grams: Field,
    pub body: Field,
    pub context: Field,
    pub code: Field,
    pub aligned: Field,
    pub alignments: Field,
    pub level: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = |tokenizer: &str, stored: bool| {
        let indexing =
            TextFieldIndexing::default().set_tokenizer(tokenizer).set_index_option(IndexRecordOption::WithFreqs);
        let options = TextOptions::default().set_indexing_options(indexing);
        if stored { options.set_stored() } else { options }
    };
    let fields = Fields {
        iri: b.add_text_field("iri", STRING | STORED),
        kind: b.add_text_field("kind", STRING | STORED),
        facets: b.add_facet_field("facets", FacetOptions::default()),
        name: b.add_text_field("name", text(analysis::WORDS, true)),
        grams: b.add_text_field("grams", text(analysis::GRAMS, false)),
        body: b.add_text_field("body", text(analysis::WORDS, true)),
        context: b.add_text_field("context", text(analysis::WORDS, false)),
        code: b.add_text_field("code", STRING | STORED),
        aligned: b.add_text_field("aligned", STRING),
        alignments: b.add_text_field("alignments", STORED),
        level: b.add_u64_field("level", INDEXED | FAST | STORED),
    };
    (b.build(), fields)
}

#[derive(Debug, Default)]
struct Progress {
    /// Graph version the searchable index reflects.
    version: u64,
    /// Whether the last batch failed (the next one rebuilds).
    failed: bool,
}

/// A change for the indexing thread.
enum Job {
    /// Re-read these subjects.
    Commit { subjects: Vec<String>, relabelled: Vec<String>, snapshot: Arc<Snapshot> },
    /// Re-read everything.
    Rebuild { snapshot: Arc<Snapshot> },
}

struct Inner {
    /// The index.
    index: Index,
    reader: IndexReader,
    fields: Fields,
    writer: Mutex<IndexWriter<TantivyDocument>>,
    progress: Mutex<Progress>,
    advanced: Condvar,
    /// Bitsets of dense terms and facet values, for exact totals and facet counts.
    matches: matches::MatchCache,
}

/// The search index. Cheap to clone (shared).
#[derive(Clone)]
pub struct SearchIndex {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex").field("version", &self.version()).finish_non_exhaustive()
    }
}

/// Memory for the index writer's buffers.
const WRITER_MEMORY: usize = 64 * 1024 * 1024;

/// Bytes of documents compressed together in a new index's document store (tantivy's default
/// is 16 KiB). An index made with another size keeps it.
const DOCSTORE_BLOCK: usize = 4 * 1024;

impl SearchIndex {
    /// Opens (or creates) the index in directory `dir`. An index written with another schema
    /// is derived data: it is removed and created again empty (then rebuilt by
    /// [`SearchIndex::follow`]).
    pub fn open(dir: &Path) -> Result<Self, SearchError> {
        let (schema, fields) = schema();
        std::fs::create_dir_all(dir).map_err(|e| SearchError::Directory(format!("{}: {e}", dir.display())))?;
        let open = |schema: Schema| -> Result<Index, SearchError> {
            let directory = MmapDirectory::open(dir).map_err(|e| SearchError::Directory(e.to_string()))?;
            // Small blocks in the document store: a hit's document is read by decompressing
            // its block, so a search's ten hits decompress 4 KiB each instead of 16 KiB.
            let settings = tantivy::IndexSettings { docstore_blocksize: DOCSTORE_BLOCK, ..Default::default() };
            Ok(tantivy::IndexBuilder::new().schema(schema).settings(settings).open_or_create(directory)?)
        };
        let index = match open(schema.clone()) {
            Ok(index) => index,
            Err(SearchError::Index(tantivy::TantivyError::SchemaError(_))) => {
                tracing::warn!(dir = %dir.display(), "the search index has another schema: rebuilding it");
                std::fs::remove_dir_all(dir).map_err(|e| SearchError::Directory(e.to_string()))?;
                std::fs::create_dir_all(dir).map_err(|e| SearchError::Directory(e.to_string()))?;
                open(schema)?
            }
            Err(e) => return Err(e),
        };
        Self::from_index(index, fields)
    }

    /// An index in memory (tests, tools).
    pub fn in_memory() -> Result<Self, SearchError> {
        let (schema, fields) = schema();
        Self::from_index(Index::create_in_ram(schema), fields)
    }

    fn from_index(index: Index, fields: Fields) -> Result<Self, SearchError> {
        index.tokenizers().register(analysis::WORDS, analysis::words_analyzer());
        index.tokenizers().register(analysis::GRAMS, analysis::grams_analyzer());
        let version = index.load_metas()?.payload.and_then(|p| p.parse().ok()).unwrap_or(0);
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        let writer = index.writer(WRITER_MEMORY)?;
        Ok(Self {
            inner: Arc::new(Inner {
                index,
                reader,
                fields,
                writer: Mutex::new(writer),
                progress: Mutex::new(Progress { version, failed: false }),
                advanced: Condvar::new(),
                matches: matches::MatchCache::default(),
            }),
        })
    }

    /// The graph version the searchable index reflects.
    pub fn version(&self) -> u64 {
        self.lock_progress().version
    }

    fn lock_progress(&self) -> std::sync::MutexGuard<'_, Progress> {
        self.inner.progress.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Waits until the index reflects `version` or later; false when `timeout` passed first.
    pub fn wait_for(&self, version: u64, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut progress = self.lock_progress();
        while progress.version < version {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            progress = self.inner.advanced.wait_timeout(progress, left).unwrap_or_else(|e| e.into_inner()).0;
        }
        true
    }

    /// Number of documents searchable now.
    pub fn len(&self) -> u64 {
        self.inner.reader.searcher().num_docs()
    }

    /// Whether no document is searchable.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Keeps the index in step with `graph` from now on: subscribes to its commits and starts
    /// the indexing thread, which first rebuilds the index if it does not reflect the graph's
    /// current version. Returns at once.
    pub fn follow(&self, graph: &GraphStore) -> Result<(), SearchError> {
        let (sender, receiver) = std::sync::mpsc::channel::<Job>();
        let listener_sender = Mutex::new(sender.clone());
        graph.subscribe(move |event| {
            let job = commit_job(event);
            // A closed channel means the indexing thread is gone; the commit goes on.
            let _ = listener_sender.lock().unwrap_or_else(std::sync::PoisonError::into_inner).send(job);
        });
        let snapshot = graph.snapshot();
        if self.version() != snapshot.version() || (self.is_empty() && snapshot.node_count() > 0) {
            let _ = sender.send(Job::Rebuild { snapshot });
        }
        drop(sender);
        let this = self.clone();
        let store = graph.store().clone();
        std::thread::Builder::new()
            .name("tupu-search-index".into())
            .spawn(move || this.run(&store, &receiver))
            .map_err(|e| SearchError::Directory(format!("cannot start the indexing thread: {e}")))?;
        Ok(())
    }

    /// Rebuilds the whole index from the store and its current snapshot, now, on this thread.
    /// Returns the number of documents.
    pub fn reindex(&self, graph: &GraphStore) -> Result<u64, SearchError> {
        let snapshot = graph.snapshot();
        self.apply(graph.store(), &snapshot, None)?;
        self.merge_segments()?;
        Ok(self.len())
    }

    /// Adds documents as they are, replacing those with the same IRIs, and records `version`
    /// (for benchmarks and tools that index without a store).
    pub fn add_documents(
        &self,
        docs: impl IntoIterator<Item = IndexDocument>,
        version: u64,
    ) -> Result<(), SearchError> {
        let mut writer = self.lock_writer();
        for doc in docs {
            writer.delete_term(IndexTerm::from_field_text(self.inner.fields.iri, &doc.iri));
            writer.add_document(self.to_tantivy(&doc))?;
        }
        self.commit(&mut writer, version)
    }

    fn lock_writer(&self) -> std::sync::MutexGuard<'_, IndexWriter<TantivyDocument>> {
        self.inner.writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The indexing thread: takes every job waiting, merges them into one batch, applies it.
    fn run(&self, store: &Store, receiver: &Receiver<Job>) {
        while let Ok(first) = receiver.recv() {
            let mut jobs = vec![first];
            jobs.extend(receiver.try_iter());
            let mut rebuild = self.lock_progress().failed;
            let mut subjects = BTreeSet::new();
            let mut relabelled = BTreeSet::new();
            let mut latest: Option<Arc<Snapshot>> = None;
            for job in jobs {
                let snapshot = match job {
                    Job::Commit { subjects: s, relabelled: r, snapshot } => {
                        subjects.extend(s);
                        relabelled.extend(r);
                        snapshot
                    }
                    Job::Rebuild { snapshot } => {
                        rebuild = true;
                        snapshot
                    }
                };
                if latest.as_ref().is_none_or(|l| l.version() < snapshot.version()) {
                    latest = Some(snapshot);
                }
            }
            let Some(snapshot) = latest else { continue };
            // A changed label shows in the context of the nodes below it and aligned to it.
            for iri in &relabelled {
                if let Some(node) = snapshot.node_by_iri(iri) {
                    for relation in [
                        Relation::Broader,
                        Relation::PartOf,
                        Relation::Teaches,
                        Relation::Assesses,
                        Relation::RequiresCompetency,
                    ] {
                        subjects.extend(snapshot.inc(node, relation).iter().map(|e| snapshot.iri(e.node).to_owned()));
                    }
                }
            }
            let scope = (!rebuild).then_some(&subjects);
            match self.apply(store, &snapshot, scope) {
                Err(e) => {
                    tracing::error!(error = %e, version = snapshot.version(), "indexing failed; the next change rebuilds");
                    self.lock_progress().failed = true;
                }
                Ok(()) if rebuild => {
                    if let Err(e) = self.merge_segments() {
                        tracing::warn!(error = %e, "merging the rebuilt index's segments failed; it stays as it is");
                    }
                }
                Ok(()) => {}
            }
        }
    }

    /// Replaces the documents of `subjects` (all documents when `None`) with what the store
    /// holds now, commits with the snapshot's version and makes it searchable.
    fn apply(
        &self,
        store: &Store,
        snapshot: &Snapshot,
        subjects: Option<&BTreeSet<String>>,
    ) -> Result<(), SearchError> {
        let mut writer = self.lock_writer();
        let result = (|| {
            match subjects {
                None => {
                    writer.delete_all_documents()?;
                    for node in snapshot.nodes() {
                        writer.add_document(self.to_tantivy(&document::read_document(store, snapshot, node)?))?;
                    }
                }
                Some(subjects) => {
                    for iri in subjects {
                        writer.delete_term(IndexTerm::from_field_text(self.inner.fields.iri, iri));
                        if let Some(node) = snapshot.node_by_iri(iri) {
                            writer.add_document(self.to_tantivy(&document::read_document(store, snapshot, node)?))?;
                        }
                    }
                }
            }
            self.commit(&mut writer, snapshot.version())
        })();
        if result.is_err() {
            let _ = writer.rollback();
        }
        result
    }

    /// Merges every segment of the index into one and makes the result searchable; returns
    /// the number of segments before. A full rebuild or a bulk load leaves many segments,
    /// and each costs every query a term lookup per query word: one segment answers fastest.
    /// Commits may go on meanwhile (the writer is only held to schedule the merge); their
    /// new segments stay beside the merged one.
    ///
    /// The writer's own merge policy may be merging some of the same segments in the
    /// background; tantivy then refuses this merge, and it is tried again over the segments of
    /// the moment (for up to a minute) until one merge of them all succeeds.
    pub fn merge_segments(&self) -> Result<usize, SearchError> {
        let before = self.inner.index.searchable_segment_ids()?.len();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let ids = self.inner.index.searchable_segment_ids()?;
            if ids.len() <= 1 {
                break;
            }
            let merge = self.lock_writer().merge(&ids);
            match merge.wait() {
                Ok(_) => break,
                Err(tantivy::TantivyError::InvalidArgument(_)) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(e) => return Err(e.into()),
            }
        }
        self.inner.reader.reload()?;
        Ok(before)
    }

    /// The number of segments searched now.
    pub fn segments(&self) -> usize {
        self.searcher().segment_readers().len()
    }

    fn commit(&self, writer: &mut IndexWriter<TantivyDocument>, version: u64) -> Result<(), SearchError> {
        let mut prepared = writer.prepare_commit()?;
        prepared.set_payload(&version.to_string());
        prepared.commit()?;
        self.inner.reader.reload()?;
        let mut progress = self.lock_progress();
        progress.version = progress.version.max(version);
        progress.failed = false;
        drop(progress);
        self.inner.advanced.notify_all();
        Ok(())
    }

    fn to_tantivy(&self, doc: &IndexDocument) -> TantivyDocument {
        let f = &self.inner.fields;
        let mut out = TantivyDocument::default();
        out.add_text(f.iri, &doc.iri);
        let kind = doc.kind.map_or("node", NodeKind::as_str);
        out.add_text(f.kind, kind);
        out.add_facet(f.facets, Facet::from_path(["kind", kind]));
        for name in &doc.names {
            out.add_text(f.name, name);
            out.add_text(f.grams, name);
        }
        for text in &doc.body {
            out.add_text(f.body, text);
        }
        for text in &doc.context {
            out.add_text(f.context, text);
        }
        for code in &doc.codes {
            out.add_text(f.code, code.to_lowercase());
        }
        for lang in &doc.langs {
            out.add_facet(f.facets, Facet::from_path(["lang", lang.as_str()]));
        }
        if let Some(level) = doc.level {
            out.add_u64(f.level, u64::from(level));
            out.add_facet(f.facets, Facet::from_path(["level", level.to_string().as_str()]));
        }
        if let Some(subject) = &doc.subject {
            out.add_facet(f.facets, Facet::from_path(["subject", subject.as_str()]));
        }
        if let Some(t) = &doc.resource_type {
            out.add_facet(f.facets, Facet::from_path(["type", t.as_str()]));
        }
        for a in &doc.alignments {
            out.add_text(f.aligned, &a.node);
        }
        if !doc.alignments.is_empty() {
            out.add_text(f.alignments, serde_json::to_string(&doc.alignments).unwrap_or_default());
        }
        out
    }
}

/// The subjects a commit changed (and the IRI objects of its changed quads, whose incoming
/// links changed), and those whose labels changed.
fn commit_job(event: &CommitEvent<'_>) -> Job {
    let mut subjects = BTreeSet::new();
    let mut relabelled = BTreeSet::new();
    for quad in event.added.iter().chain(event.removed) {
        let Quad { subject, predicate, object, .. } = quad;
        if let NamedOrBlankNode::NamedNode(s) = subject {
            subjects.insert(s.as_str().to_owned());
            let p = predicate.as_ref();
            if p == skos::PREF_LABEL || p == rdfs::LABEL {
                relabelled.insert(s.as_str().to_owned());
            }
        }
        if let Term::NamedNode(o) = object {
            subjects.insert(o.as_str().to_owned());
        }
    }
    Job::Commit {
        subjects: subjects.into_iter().collect(),
        relabelled: relabelled.into_iter().collect(),
        snapshot: event.snapshot.clone(),
    }
}
