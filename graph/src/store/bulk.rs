//! Large commits at the speed of the store's bulk loader, still all or nothing.
//!
//! A change of at least [`BULK_MIN`] quads to an on-disk store does not go through an oxigraph
//! transaction (which buffers every quad, writes it to RocksDB's write-ahead log and leaves a
//! log the next process replays). Instead:
//!
//! 1. The would-be state is compiled and validated through an [`Overlay`]: the committed store
//!    with the net removals hidden and the net additions indexed in memory. Nothing is written
//!    when validation finds a violation. The shapes are checked on one thread while the state
//!    compiles on another, and the commit's history record is made pending meanwhile (it is
//!    dropped if the change is refused).
//! 2. When the change removes quads, a **journal** is written first: the directory
//!    `graph.journal` beside the store, holding the added and removed quads as N-Quads and the
//!    previous commit count. It is written as `graph.journal.tmp`, synced, then renamed (one
//!    atomic step) and the parent directory synced.
//! 3. The added quads and the new commit count go through oxigraph's `BulkLoader`, cut into
//!    one batch per core that it encodes and sorts in parallel; it writes sorted SST files and
//!    ingests them into every column family in one atomic RocksDB ingestion: either all of
//!    them are visible or none.
//! 4. One small transaction removes the removed quads and the old commit count.
//! 5. The memtables are flushed, so no write-ahead log is left to replay on the next open.
//! 6. The journal is renamed to `graph.journal.done` (the commit point) and deleted.
//!
//! [`recover`], run by [`GraphStore::open`] before the snapshot is compiled, rolls back a
//! commit whose journal is still there: it removes the added quads, puts the removed ones back
//! and restores the commit count, in one transaction (repeatable if interrupted). A commit
//! without removals needs no journal: step 3 is atomic and the commit count read is the largest
//! one recorded, so a process killed between steps 3 and 4 leaves the whole commit visible
//! (recovery then drops the old count beside the new one).

use std::fs::{self, File};
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use rustc_hash::{FxHashMap, FxHashSet};

use oxigraph::io::{RdfFormat, RdfParser, RdfSerializer};
use oxigraph::model::vocab::xsd;
use oxigraph::model::{
    GraphName, GraphNameRef, Literal, NamedNodeRef, NamedOrBlankNode, NamedOrBlankNodeRef, Quad, Term, TermRef,
};
use oxigraph::store::{StorageError, Store};

use super::{GraphStore, meta_graph, meta_subject, touched, write_version};
use crate::CommitReport;
use crate::compile::{QuadSource, compile};
use crate::diagnostic::Diagnostic;
use crate::error::GraphError;
use crate::validate::{Scope, check_with_shape_findings, shape_findings};
use crate::vocab::{SHAPES_GRAPH, tupu};

/// Changes of at least this many net quads are written by the bulk loader.
pub(super) const BULK_MIN: usize = 20_000;

/// Stack of the thread that validates a large change.
const VALIDATION_STACK: usize = 1 << 30;

/// Where the journal of the store in `path` lives: beside it, `graph` → `graph.journal`.
pub(super) fn journal_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_else(|| "graph".into());
    name.push(".journal");
    path.with_file_name(name)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

fn io(e: std::io::Error) -> StorageError {
    StorageError::Io(e)
}

fn sync_parent(path: &Path) -> Result<(), StorageError> {
    if let Some(parent) = path.parent() {
        File::open(parent).and_then(|d| d.sync_all()).map_err(io)?;
    }
    Ok(())
}

fn write_quads(path: &Path, quads: &[Quad]) -> Result<(), StorageError> {
    let file = File::create(path).map_err(io)?;
    let mut writer = RdfSerializer::from_format(RdfFormat::NQuads).for_writer(BufWriter::new(file));
    for quad in quads {
        writer.serialize_quad(quad).map_err(io)?;
    }
    let file = writer.finish().map_err(io)?.into_inner().map_err(|e| io(e.into_error()))?;
    file.sync_all().map_err(io)
}

fn read_quads(path: &Path) -> Result<Vec<Quad>, StorageError> {
    let file = File::open(path).map_err(io)?;
    RdfParser::from_format(RdfFormat::NQuads)
        .for_reader(BufReader::new(file))
        .collect::<Result<_, _>>()
        .map_err(|e| StorageError::Other(format!("the import journal {} is unreadable: {e}", path.display()).into()))
}

/// Writes the journal of a commit that removes quads (step 2 of the module docs).
fn write_journal(journal: &Path, added: &[Quad], removed: &[Quad], previous: u64) -> Result<(), StorageError> {
    let tmp = with_suffix(journal, ".tmp");
    if tmp.exists() {
        fs::remove_dir_all(&tmp).map_err(io)?;
    }
    fs::create_dir_all(&tmp).map_err(io)?;
    write_quads(&tmp.join("added.nq"), added)?;
    write_quads(&tmp.join("removed.nq"), removed)?;
    let mut version = File::create(tmp.join("version")).map_err(io)?;
    version.write_all(previous.to_string().as_bytes()).map_err(io)?;
    version.sync_all().map_err(io)?;
    File::open(&tmp).and_then(|d| d.sync_all()).map_err(io)?;
    fs::rename(&tmp, journal).map_err(io)?;
    sync_parent(journal)
}

/// Marks the commit done (the rename is the commit point) and deletes the journal.
fn close_journal(journal: &Path) -> Result<(), StorageError> {
    let done = with_suffix(journal, ".done");
    fs::rename(journal, &done).map_err(io)?;
    sync_parent(journal)?;
    fs::remove_dir_all(&done).map_err(io)
}

/// A commit without removals killed between steps 3 and 4 leaves its commit count beside the
/// old one: the whole commit is visible and the largest count is the version, but the old
/// count would stay in the meta graph. Keeps the largest count only.
fn keep_largest_version(store: &Store) -> Result<(), StorageError> {
    let counts = store
        .quads_for_pattern(Some(meta_subject().into()), Some(tupu::COMMIT_COUNT), None, Some(meta_graph()))
        .count();
    if counts > 1 {
        let version = super::read_version(store)?;
        let mut tx = store.start_transaction()?;
        write_version(&mut tx, version)?;
        tx.commit()?;
        store.flush()?;
    }
    Ok(())
}

/// Rolls back a bulk commit interrupted before its commit point (see the module docs),
/// removes journals left behind, and keeps only the largest commit count. Returns whether a
/// commit was rolled back.
pub(super) fn recover(store: &Store, journal: &Path) -> Result<bool, StorageError> {
    for leftover in [with_suffix(journal, ".tmp"), with_suffix(journal, ".done")] {
        if leftover.exists() {
            fs::remove_dir_all(&leftover).map_err(io)?;
        }
    }
    if !journal.exists() {
        keep_largest_version(store)?;
        return Ok(false);
    }
    let added = read_quads(&journal.join("added.nq"))?;
    let removed = read_quads(&journal.join("removed.nq"))?;
    let previous: u64 =
        fs::read_to_string(journal.join("version")).map_err(io)?.trim().parse().map_err(|_| {
            StorageError::Other(format!("the import journal {} has no version", journal.display()).into())
        })?;
    let mut tx = store.start_transaction()?;
    for quad in &added {
        tx.remove(quad);
    }
    for quad in &removed {
        tx.insert(quad);
    }
    write_version(&mut tx, previous)?;
    tx.commit()?;
    store.flush()?;
    close_journal(journal)?;
    tracing::warn!(
        journal = %journal.display(),
        added = added.len(),
        removed = removed.len(),
        "rolled back an interrupted import: the store is as it was before it"
    );
    Ok(true)
}

impl GraphStore {
    /// Validates and writes a large net change as the module docs describe.
    pub(super) fn commit_bulk(
        &self,
        journal: &Path,
        added: Vec<Quad>,
        removed: Vec<Quad>,
        version: u64,
        author: Option<String>,
        message: Option<String>,
    ) -> Result<CommitReport, GraphError> {
        // Validation searches prerequisite cycles with petgraph's recursive Tarjan, whose depth
        // grows with the longest chain of a large import: it runs on a thread with room for it.
        // The history record is made pending meanwhile, on this thread; it is dropped if the
        // change is refused.
        let started = std::time::Instant::now();
        let ms = |since: std::time::Instant| since.elapsed().as_secs_f64() * 1e3;
        let record = crate::history::CommitRecord::new(version, author, message, added, removed);
        let (validated, prepared, history_ms) = std::thread::scope(|scope| {
            let validation = std::thread::Builder::new()
                .stack_size(VALIDATION_STACK)
                .spawn_scoped(scope, || self.validate_bulk(&record.added, &record.removed, version));
            let prepared = self.history.prepare(&record);
            let history_ms = ms(started);
            let validated = match validation {
                Ok(handle) => handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                Err(e) => Err(StorageError::Io(e).into()),
            };
            (validated, prepared, history_ms)
        });
        let validation_ms = ms(started);
        let verdict = match validated {
            Ok((snapshot, findings)) if !findings.iter().any(Diagnostic::is_violation) => Ok((snapshot, findings)),
            Ok((_, findings)) => Err(GraphError::Rejected(findings)),
            Err(e) => Err(e),
        };
        let (snapshot, findings) = match (verdict, prepared) {
            (Ok(valid), Ok(())) => valid,
            (Err(e), Ok(())) => {
                self.history.abandon(version);
                return Err(e);
            }
            (Err(e), Err(_)) => return Err(e),
            (Ok(_), Err(e)) => return Err(e.into()),
        };
        let at = std::time::Instant::now();
        if let Err(e) = self.write_bulk(journal, &record.added, &record.removed, version) {
            self.history.abandon(version);
            return Err(e.into());
        }
        let write_ms = ms(at);
        let at = std::time::Instant::now();
        self.finish_record(&record);
        let report = self.publish(snapshot, &record.added, &record.removed, findings);
        tracing::debug!(
            version,
            added = record.added.len(),
            removed = record.removed.len(),
            validation_ms,
            history_ms,
            write_ms,
            publish_ms = ms(at),
            "bulk commit"
        );
        Ok(report)
    }

    /// Compiles and checks the would-be state of a large change (step 1 of the module docs).
    fn validate_bulk(
        &self,
        added: &[Quad],
        removed: &[Quad],
        version: u64,
    ) -> Result<(crate::snapshot::Snapshot, Vec<Diagnostic>), GraphError> {
        let overlay = Overlay::new(&self.store, added, removed);
        let shapes_changed = added
            .iter()
            .chain(removed)
            .any(|q| matches!(&q.graph_name, GraphName::NamedNode(g) if g.as_str() == SHAPES_GRAPH));
        // Past a quarter of a million touched nodes, checking everything costs less than
        // collecting and sorting them.
        let scope = if shapes_changed || added.len() + removed.len() > 250_000 {
            Scope::All
        } else {
            Scope::Nodes(touched(added, removed))
        };
        // The shapes need no compiled state: they are checked while the state compiles.
        let (compiled, shapes) = std::thread::scope(|scope_| {
            let shapes = scope_.spawn(|| shape_findings(&overlay, scope));
            let compiled = compile(&overlay, version);
            (compiled, shapes.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
        });
        let compiled = compiled?;
        let mut findings = check_with_shape_findings(&compiled, shapes?);
        findings.extend(crate::validate::non_finite_numbers(added));
        Ok((compiled.snapshot, findings))
    }

    fn write_bulk(&self, journal: &Path, added: &[Quad], removed: &[Quad], version: u64) -> Result<(), StorageError> {
        let journaled = !removed.is_empty();
        if journaled {
            write_journal(journal, added, removed, version - 1)?;
        }
        let count = Quad::new(
            meta_subject(),
            tupu::COMMIT_COUNT,
            Literal::new_typed_literal(version.to_string(), xsd::INTEGER),
            meta_graph(),
        );
        // The loader encodes and sorts each batch on a thread of its own: the change is cut
        // into one batch per core (at most a million quads each, the loader's default).
        let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let batch = (added.len() + 1).div_ceil(threads).clamp(1_000, 1_000_000);
        let mut loader = self
            .store
            .bulk_loader()
            .with_num_threads(threads)
            .with_max_memory_size_in_megabytes((batch * threads).div_ceil(1_000));
        loader.load_quads(added.iter().cloned().chain(std::iter::once(count)))?;
        loader.commit()?;
        let mut tx = self.store.start_transaction()?;
        for quad in removed {
            tx.remove(quad);
        }
        write_version(&mut tx, version)?;
        tx.commit()?;
        self.store.flush()?;
        if journaled {
            close_journal(journal)?;
        }
        Ok(())
    }
}

/// The would-be state of a large change: the store with `removed` hidden and `added` (absent
/// from the store) indexed by subject and predicate. A pattern with a subject or a predicate
/// reads one index row; any other pattern scans the added quads.
pub(crate) struct Overlay<'s> {
    base: &'s Store,
    added: &'s [Quad],
    removed: FxHashSet<&'s Quad>,
    by_subject: FxHashMap<&'s str, Vec<usize>>,
    by_predicate: FxHashMap<&'s str, Vec<usize>>,
    /// Whether the base store holds any quad of a subject the change adds to, found on the
    /// first lookup of that subject. Validating a large import asks for every property of every
    /// new node; for a subject the store does not hold, those lookups skip the store (one seek
    /// per subject instead of one per subject and property).
    in_base: std::sync::RwLock<FxHashMap<&'s str, bool>>,
}

fn subject_key<'a>(s: NamedOrBlankNodeRef<'a>) -> &'a str {
    match s {
        NamedOrBlankNodeRef::NamedNode(n) => n.as_str(),
        NamedOrBlankNodeRef::BlankNode(b) => b.as_str(),
    }
}

impl<'s> Overlay<'s> {
    /// Whether the base store may hold quads of `subject`: false only for a subject the change
    /// adds to and the store has none of.
    fn base_may_hold(&self, subject: NamedOrBlankNodeRef<'_>) -> bool {
        let Some((&key, _)) = self.by_subject.get_key_value(subject_key(subject)) else { return true };
        if let Some(&known) = self.in_base.read().unwrap_or_else(std::sync::PoisonError::into_inner).get(key) {
            return known;
        }
        let held = self.base.quads_for_pattern(Some(subject), None, None, None).next().is_some();
        self.in_base.write().unwrap_or_else(std::sync::PoisonError::into_inner).insert(key, held);
        held
    }

    pub(crate) fn new(base: &'s Store, added: &'s [Quad], removed: &'s [Quad]) -> Self {
        let mut by_subject: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
        let mut by_predicate: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
        for (i, q) in added.iter().enumerate() {
            by_subject.entry(subject_key(q.subject.as_ref())).or_default().push(i);
            by_predicate.entry(q.predicate.as_str()).or_default().push(i);
        }
        Self {
            base,
            added,
            removed: removed.iter().collect(),
            by_subject,
            by_predicate,
            in_base: std::sync::RwLock::new(FxHashMap::default()),
        }
    }
}

/// An owned quad pattern.
struct Pattern {
    subject: Option<NamedOrBlankNode>,
    predicate: Option<String>,
    object: Option<Term>,
    graph: Option<GraphName>,
}

impl Pattern {
    fn matches(&self, q: &Quad) -> bool {
        self.subject.as_ref().is_none_or(|s| *s == q.subject)
            && self.predicate.as_deref().is_none_or(|p| p == q.predicate.as_str())
            && self.object.as_ref().is_none_or(|o| *o == q.object)
            && self.graph.as_ref().is_none_or(|g| *g == q.graph_name)
    }
}

impl QuadSource for Overlay<'_> {
    type Quads<'a>
        = Box<dyn Iterator<Item = Result<Quad, StorageError>> + 'a>
    where
        Self: 'a;

    fn quads<'a>(
        &'a self,
        subject: Option<NamedOrBlankNodeRef<'_>>,
        predicate: Option<NamedNodeRef<'_>>,
        object: Option<TermRef<'_>>,
        graph: Option<GraphNameRef<'_>>,
    ) -> Self::Quads<'a> {
        let base: Box<dyn Iterator<Item = Result<Quad, StorageError>> + 'a> =
            if subject.is_some_and(|s| !self.base_may_hold(s)) {
                Box::new(std::iter::empty())
            } else {
                Box::new(
                    self.base
                        .quads_for_pattern(subject, predicate, object, graph)
                        .filter(move |q| !matches!(q, Ok(q) if self.removed.contains(q))),
                )
            };
        let rows: Option<&'a [usize]> = match (subject, predicate) {
            (Some(s), _) => Some(self.by_subject.get(subject_key(s)).map_or(&[], Vec::as_slice)),
            (None, Some(p)) => Some(self.by_predicate.get(p.as_str()).map_or(&[], Vec::as_slice)),
            (None, None) => None,
        };
        let candidates: Box<dyn Iterator<Item = &'a Quad> + 'a> = match rows {
            Some(rows) => Box::new(rows.iter().map(move |&i| &self.added[i])),
            None => Box::new(self.added.iter()),
        };
        let pattern = Pattern {
            subject: subject.map(NamedOrBlankNodeRef::into_owned),
            predicate: predicate.map(|p| p.as_str().to_owned()),
            object: object.map(TermRef::into_owned),
            graph: graph.map(GraphNameRef::into_owned),
        };
        Box::new(base.chain(candidates.filter(move |q| pattern.matches(q)).map(|q| Ok(q.clone()))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::skos;
    use oxigraph::model::NamedNode;

    fn quad(s: &str, label: &str) -> Quad {
        Quad::new(
            NamedNode::new_unchecked(format!("https://example.org/{s}")),
            skos::PREF_LABEL,
            Literal::new_simple_literal(label),
            GraphName::NamedNode(NamedNode::new_unchecked("https://example.org/g")),
        )
    }

    /// The overlay answers every pattern as the store holding the would-be state would.
    #[test]
    fn overlay_matches_the_applied_change() -> Result<(), Box<dyn std::error::Error>> {
        let base = Store::new()?;
        let (a, b, c) = (quad("a", "A"), quad("b", "B"), quad("c", "C"));
        base.insert(&a)?;
        base.insert(&b)?;
        let added = vec![c.clone()];
        let removed = vec![b.clone()];
        let overlay = Overlay::new(&base, &added, &removed);
        let applied = Store::new()?;
        applied.insert(&a)?;
        applied.insert(&c)?;
        let sorted = |it: &mut dyn Iterator<Item = Result<Quad, StorageError>>| -> Result<Vec<String>, StorageError> {
            let mut v = it.map(|q| q.map(|q| q.to_string())).collect::<Result<Vec<_>, _>>()?;
            v.sort();
            Ok(v)
        };
        let c_subject = c.subject.as_ref();
        let patterns: [(Option<NamedOrBlankNodeRef<'_>>, Option<NamedNodeRef<'_>>); 4] =
            [(None, None), (None, Some(skos::PREF_LABEL)), (Some(c_subject), None), (Some(a.subject.as_ref()), None)];
        for (s, p) in patterns {
            assert_eq!(
                sorted(&mut overlay.quads(s, p, None, None))?,
                sorted(&mut applied.quads_for_pattern(s, p, None, None))?
            );
        }
        Ok(())
    }

    #[test]
    fn journal_sits_beside_the_store() {
        assert_eq!(journal_path(Path::new("data/graph")), PathBuf::from("data/graph.journal"));
    }

    /// A journal left by an interrupted commit is rolled back on recovery.
    #[test]
    fn recovery_rolls_back_a_journaled_commit() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let store = Store::open(dir.path().join("graph"))?;
        let journal = journal_path(&dir.path().join("graph"));
        let (a, b) = (quad("a", "A"), quad("b", "B"));
        store.insert(&a)?;
        let mut tx = store.start_transaction()?;
        write_version(&mut tx, 4)?;
        tx.commit()?;
        // The commit of version 5 removes `a` and adds `b`; it is killed after its writes.
        write_journal(&journal, std::slice::from_ref(&b), std::slice::from_ref(&a), 4)?;
        store.remove(&a)?;
        store.insert(&b)?;
        assert!(recover(&store, &journal)?);
        assert!(store.contains(&a)? && !store.contains(&b)?);
        assert_eq!(super::super::read_version(&store)?, 4);
        assert!(!journal.exists());
        assert!(!recover(&store, &journal)?);
        Ok(())
    }

    /// A commit without removals killed between its bulk load and its transaction leaves two
    /// commit counts; recovery keeps the largest only.
    #[test]
    fn recovery_keeps_only_the_largest_commit_count() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let store = Store::open(dir.path().join("graph"))?;
        let journal = journal_path(&dir.path().join("graph"));
        let mut tx = store.start_transaction()?;
        write_version(&mut tx, 4)?;
        tx.commit()?;
        let count = |v: u64| {
            Quad::new(
                meta_subject(),
                tupu::COMMIT_COUNT,
                Literal::new_typed_literal(v.to_string(), xsd::INTEGER),
                meta_graph(),
            )
        };
        store.insert(&count(5))?;
        assert_eq!(store.len()?, 2);
        assert!(!recover(&store, &journal)?);
        assert_eq!(store.len()?, 1);
        assert!(store.contains(&count(5))?);
        assert_eq!(super::super::read_version(&store)?, 5);
        Ok(())
    }
}
