//! [`History`]: every commit recorded durably, with its author, time, message and the exact
//! quads it added and removed.
//!
//! The record lives in a redb file in the oxigraph store's directory (`history.redb`, a name
//! RocksDB leaves alone; in memory for a store in memory). Tables:
//! - `pending`: the versions whose records are written and whose commits may not be (an
//!   empty value; records of older releases held the whole record here);
//! - `summaries`: version → [`CommitSummary`] (JSON), what listings read;
//! - `records`: version → the added and removed quads (N-Quads, LZ4-compressed behind a
//!   one-byte format tag and the summary; older releases wrote one JSON object), what diffs
//!   and reverts read;
//! - `nodes`, `graphs`: `(IRI, version)` for every subject and IRI object of a commit's quads,
//!   and for every graph it wrote, so that a filtered listing is a range scan.
//!
//! **Protocol (atomic with the commit).** The commit path calls [`History::prepare`] (a synced
//! redb transaction writing the record and marking its version pending), then commits the
//! oxigraph transaction, whose commit count becomes the record's version, then
//! [`History::finish`] (clears the mark and indexes the record in an unsynced transaction: the
//! next synced one makes it durable). A record is written once, however large. When a store is
//! opened, [`History::reconcile`] compares each pending version with the store's commit count
//! `C`: a record `v ≤ C` belongs to a commit that happened and is finished, a record `v > C` to
//! one that did not and is dropped, and any finished record `v > C` (its commit was lost in a
//! crash after the record was synced) is removed. So after
//! opening, the history holds exactly the commits the store holds.

use std::path::Path;

use oxigraph::io::{RdfFormat, RdfParser, RdfSerializer};
use oxigraph::model::{GraphName, NamedOrBlankNode, Quad, Term};
use oxigraph::store::StorageError;
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};

const PENDING: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("pending");
const SUMMARIES: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("summaries");
const RECORDS: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("records");
const NODES: TableDefinition<'_, (&str, u64), ()> = TableDefinition::new("nodes");
const GRAPHS: TableDefinition<'_, (&str, u64), ()> = TableDefinition::new("graphs");

/// Who made a commit, when, why, and its size.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CommitSummary {
    /// The snapshot version the commit produced (its id in the history).
    pub version: u64,
    /// Unix time in milliseconds.
    pub time_ms: i64,
    /// Who made the change.
    pub author: Option<String>,
    /// Why.
    pub message: Option<String>,
    /// Number of quads added.
    pub added: usize,
    /// Number of quads removed.
    pub removed: usize,
    /// The named graphs the commit wrote.
    pub graphs: Vec<String>,
}

/// A commit as recorded: its summary and the exact quads it added and removed.
#[derive(Clone, Debug, PartialEq)]
pub struct CommitRecord {
    /// Who, when, why.
    pub summary: CommitSummary,
    /// Quads that were not in the store and were added.
    pub added: Vec<Quad>,
    /// Quads that were in the store and were removed.
    pub removed: Vec<Quad>,
}

/// The JSON form of a record, as older releases stored it (still read).
#[derive(serde::Deserialize)]
struct Stored {
    summary: CommitSummary,
    added: String,
    removed: String,
}

/// The tag of the current stored form: the tag byte, the summary's JSON length (u32, little
/// endian) and JSON, the length of the body (u64, little endian), then the body as one LZ4
/// block: the added quads' N-Quads length (u64, little endian), their N-Quads and the removed
/// quads' N-Quads. A JSON record starts with `{`.
const PACKED: u8 = 1;

impl CommitRecord {
    /// A record of a commit made now.
    pub fn new(
        version: u64,
        author: Option<String>,
        message: Option<String>,
        added: Vec<Quad>,
        removed: Vec<Quad>,
    ) -> Self {
        let time_ms = now_ms();
        let mut graphs: Vec<String> = added
            .iter()
            .chain(&removed)
            .filter_map(|q| match &q.graph_name {
                GraphName::NamedNode(g) => Some(g.as_str().to_owned()),
                _ => None,
            })
            .collect();
        graphs.sort();
        graphs.dedup();
        let summary =
            CommitSummary { version, time_ms, author, message, added: added.len(), removed: removed.len(), graphs };
        Self { summary, added, removed }
    }

    /// The IRIs the commit touched: subjects and IRI objects of its quads, sorted, once each.
    pub fn nodes(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for q in self.added.iter().chain(&self.removed) {
            if let NamedOrBlankNode::NamedNode(s) = &q.subject {
                out.push(s.as_str());
            }
            if let Term::NamedNode(o) = &q.object {
                out.push(o.as_str());
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    fn encode(&self) -> Result<Vec<u8>, StorageError> {
        let summary = serde_json::to_vec(&self.summary).map_err(fault)?;
        let added = to_nquads(&self.added)?;
        let removed = to_nquads(&self.removed)?;
        let mut body = Vec::with_capacity(8 + added.len() + removed.len());
        body.extend_from_slice(&(added.len() as u64).to_le_bytes());
        body.extend_from_slice(added.as_bytes());
        body.extend_from_slice(removed.as_bytes());
        drop((added, removed));
        let mut out = Vec::with_capacity(13 + summary.len() + lz4_flex::block::get_maximum_output_size(body.len()));
        out.push(PACKED);
        out.extend_from_slice(&u32::try_from(summary.len()).map_err(fault)?.to_le_bytes());
        out.extend_from_slice(&summary);
        out.extend_from_slice(&(body.len() as u64).to_le_bytes());
        let start = out.len();
        out.resize(start + lz4_flex::block::get_maximum_output_size(body.len()), 0);
        let packed = lz4_flex::block::compress_into(&body, &mut out[start..]).map_err(fault)?;
        out.truncate(start + packed);
        Ok(out)
    }

    fn decode(bytes: &[u8]) -> Result<Self, StorageError> {
        let corrupt = || fault("a history record is truncated or corrupt");
        match bytes.first() {
            Some(b'{') => {
                let stored: Stored = serde_json::from_slice(bytes).map_err(fault)?;
                Ok(Self {
                    summary: stored.summary,
                    added: from_nquads(&stored.added)?,
                    removed: from_nquads(&stored.removed)?,
                })
            }
            Some(&PACKED) => {
                let len = bytes.get(1..5).ok_or_else(corrupt)?;
                let len = u32::from_le_bytes(len.try_into().map_err(|_| corrupt())?) as usize;
                let summary = bytes.get(5..5 + len).ok_or_else(corrupt)?;
                let summary: CommitSummary = serde_json::from_slice(summary).map_err(fault)?;
                let rest = &bytes[5 + len..];
                let size = rest.get(..8).ok_or_else(corrupt)?;
                let size = usize::try_from(u64::from_le_bytes(size.try_into().map_err(|_| corrupt())?))
                    .map_err(|_| corrupt())?;
                // LZ4 expands at most 255-fold: a larger size is corrupt, not to be allocated.
                if size > rest.len().saturating_mul(256) {
                    return Err(corrupt());
                }
                let mut body = vec![0; size];
                if lz4_flex::block::decompress_into(&rest[8..], &mut body).map_err(fault)? != size {
                    return Err(corrupt());
                }
                let split = body.get(..8).ok_or_else(corrupt)?;
                let split = usize::try_from(u64::from_le_bytes(split.try_into().map_err(|_| corrupt())?))
                    .map_err(|_| corrupt())?;
                let added = body.get(8..8usize.saturating_add(split)).ok_or_else(corrupt)?;
                let removed = &body[8 + split..];
                let text = |b: &[u8]| std::str::from_utf8(b).map_err(fault).and_then(from_nquads);
                Ok(Self { summary, added: text(added)?, removed: text(removed)? })
            }
            _ => Err(corrupt()),
        }
    }
}

pub(crate) fn to_nquads(quads: &[Quad]) -> Result<String, StorageError> {
    let mut serializer = RdfSerializer::from_format(RdfFormat::NQuads).for_writer(Vec::new());
    for q in quads {
        serializer.serialize_quad(q).map_err(fault)?;
    }
    String::from_utf8(serializer.finish().map_err(fault)?).map_err(fault)
}

pub(crate) fn from_nquads(text: &str) -> Result<Vec<Quad>, StorageError> {
    RdfParser::from_format(RdfFormat::NQuads).for_slice(text).collect::<Result<_, _>>().map_err(fault)
}

/// Unix time in milliseconds.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn fault(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> StorageError {
    StorageError::Other(e.into())
}

/// Copies every entry of `table` from `source` into `target`; a table the source never made
/// is skipped.
fn copy_table<K: redb::Key + 'static, V: redb::Value + 'static>(
    source: &redb::ReadTransaction,
    target: &redb::WriteTransaction,
    table: TableDefinition<'_, K, V>,
) -> Result<(), StorageError> {
    let from = match source.open_table(table) {
        Ok(t) => t,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(()),
        Err(e) => return Err(redb_fault(e)),
    };
    let mut to = target.open_table(table).map_err(redb_fault)?;
    for entry in from.iter().map_err(redb_fault)? {
        let (key, value) = entry.map_err(redb_fault)?;
        to.insert(key.value(), value.value()).map_err(redb_fault)?;
    }
    Ok(())
}

impl History {
    /// A consistent copy of the history (with drafts and releases) in a new file `target`:
    /// one read transaction copied table by table, committed durably. O(entries).
    pub(crate) fn backup(&self, target: &Path) -> Result<(), StorageError> {
        let source = self.db.begin_read().map_err(redb_fault)?;
        let copy = Database::create(target).map_err(redb_fault)?;
        let tx = copy.begin_write().map_err(redb_fault)?;
        copy_table(&source, &tx, PENDING)?;
        copy_table(&source, &tx, SUMMARIES)?;
        copy_table(&source, &tx, RECORDS)?;
        copy_table(&source, &tx, NODES)?;
        copy_table(&source, &tx, GRAPHS)?;
        copy_table(&source, &tx, crate::drafts::DRAFTS)?;
        copy_table(&source, &tx, crate::releases::RELEASES)?;
        tx.commit().map_err(redb_fault)
    }
}

pub(crate) fn redb_fault(e: impl Into<redb::Error>) -> StorageError {
    StorageError::Other(Box::new(e.into()))
}

/// Which commits a listing returns, newest first.
#[derive(Clone, Debug, Default)]
pub struct HistoryFilter {
    /// Only commits whose quads name this IRI (as subject or object).
    pub node: Option<String>,
    /// Only commits that wrote this named graph.
    pub graph: Option<String>,
    /// Only commits by this author.
    pub author: Option<String>,
    /// Only commits at or after this time (Unix ms).
    pub since_ms: Option<i64>,
    /// Only commits before this time (Unix ms).
    pub until_ms: Option<i64>,
    /// Only versions below this one (the cursor of the next page).
    pub before: Option<u64>,
    /// At most this many (0: 50).
    pub limit: usize,
}

impl HistoryFilter {
    fn keeps(&self, s: &CommitSummary) -> bool {
        self.author.as_ref().is_none_or(|a| s.author.as_ref() == Some(a))
            && self.since_ms.is_none_or(|t| s.time_ms >= t)
            && self.until_ms.is_none_or(|t| s.time_ms < t)
    }
}

/// The durable record of every commit of a store (see the module documentation for the
/// protocol that keeps it atomic with the commits).
pub struct History {
    pub(crate) db: Database,
    pub(crate) review: std::sync::Mutex<()>,
}

impl std::fmt::Debug for History {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("History").finish_non_exhaustive()
    }
}

impl History {
    /// Opens (or creates) the history file at `path`.
    pub(crate) fn open(path: &Path) -> Result<Self, StorageError> {
        Self::with_db(Database::create(path).map_err(redb_fault)?)
    }

    /// A history in memory.
    pub(crate) fn in_memory() -> Result<Self, StorageError> {
        let db = Database::builder().create_with_backend(redb::backends::InMemoryBackend::new()).map_err(redb_fault)?;
        Self::with_db(db)
    }

    fn with_db(db: Database) -> Result<Self, StorageError> {
        let tx = db.begin_write().map_err(redb_fault)?;
        tx.open_table(PENDING).map_err(redb_fault)?;
        tx.open_table(SUMMARIES).map_err(redb_fault)?;
        tx.open_table(RECORDS).map_err(redb_fault)?;
        tx.open_table(NODES).map_err(redb_fault)?;
        tx.open_table(GRAPHS).map_err(redb_fault)?;
        tx.open_table(crate::drafts::DRAFTS).map_err(redb_fault)?;
        tx.open_table(crate::releases::RELEASES).map_err(redb_fault)?;
        tx.commit().map_err(redb_fault)?;
        Ok(Self { db, review: std::sync::Mutex::new(()) })
    }

    /// Brings the history in line with a store whose commit count is `committed`.
    pub(crate) fn reconcile(&self, committed: u64) -> Result<(), StorageError> {
        let pending: Vec<(u64, Vec<u8>)> = {
            let tx = self.db.begin_read().map_err(redb_fault)?;
            let table = tx.open_table(PENDING).map_err(redb_fault)?;
            table
                .iter()
                .map_err(redb_fault)?
                .map(|e| e.map(|(k, v)| (k.value(), v.value().to_vec())).map_err(redb_fault))
                .collect::<Result<_, _>>()?
        };
        let lost: Vec<u64> = {
            let tx = self.db.begin_read().map_err(redb_fault)?;
            let table = tx.open_table(SUMMARIES).map_err(redb_fault)?;
            table
                .range(committed + 1..)
                .map_err(redb_fault)?
                .map(|e| e.map(|(k, _)| k.value()).map_err(redb_fault))
                .collect::<Result<_, _>>()?
        };
        if pending.is_empty() && lost.is_empty() {
            return Ok(());
        }
        let tx = self.db.begin_write().map_err(redb_fault)?;
        for version in lost {
            let record = {
                let table = tx.open_table(RECORDS).map_err(redb_fault)?;
                let bytes = table.get(version).map_err(redb_fault)?;
                bytes.map(|b| CommitRecord::decode(b.value())).transpose()?
            };
            if let Some(record) = record {
                unindex(&tx, &record)?;
            }
            tx.open_table(SUMMARIES).map_err(redb_fault)?.remove(version).map_err(redb_fault)?;
            tx.open_table(RECORDS).map_err(redb_fault)?.remove(version).map_err(redb_fault)?;
        }
        for (version, bytes) in pending {
            tx.open_table(PENDING).map_err(redb_fault)?.remove(version).map_err(redb_fault)?;
            // An empty mark: the record is in `records` already. A whole record: the form of
            // older releases, moved there when finished.
            let written = bytes.is_empty();
            if version <= committed {
                tracing::info!(version, "history: finishing a commit recorded before a restart");
                let bytes = if written {
                    let table = tx.open_table(RECORDS).map_err(redb_fault)?;
                    let stored = table.get(version).map_err(redb_fault)?;
                    stored.map(|b| b.value().to_vec()).ok_or_else(|| fault("a pending commit has no record"))?
                } else {
                    bytes
                };
                index(&tx, &CommitRecord::decode(&bytes)?, (!written).then_some(bytes.as_slice()))?;
            } else {
                tracing::info!(version, "history: dropping the record of a commit that did not happen");
                tx.open_table(RECORDS).map_err(redb_fault)?.remove(version).map_err(redb_fault)?;
            }
        }
        tx.commit().map_err(redb_fault)
    }

    /// Writes a commit's record and marks it pending, durably, before the store commits it.
    pub(crate) fn prepare(&self, record: &CommitRecord) -> Result<(), StorageError> {
        let bytes = record.encode()?;
        let version = record.summary.version;
        let tx = self.db.begin_write().map_err(redb_fault)?;
        tx.open_table(RECORDS).map_err(redb_fault)?.insert(version, bytes.as_slice()).map_err(redb_fault)?;
        tx.open_table(PENDING).map_err(redb_fault)?.insert(version, [].as_slice()).map_err(redb_fault)?;
        tx.commit().map_err(redb_fault)
    }

    /// Finishes a pending record once its commit is in the store: clears its mark and indexes
    /// it. The record is the one given to [`History::prepare`]: nothing is read back.
    pub(crate) fn finish(&self, record: &CommitRecord) -> Result<(), StorageError> {
        let mut tx = self.db.begin_write().map_err(redb_fault)?;
        tx.set_durability(redb::Durability::None).map_err(redb_fault)?;
        tx.open_table(PENDING).map_err(redb_fault)?.remove(record.summary.version).map_err(redb_fault)?;
        index(&tx, record, None)?;
        tx.commit().map_err(redb_fault)
    }

    /// Drops a pending record whose commit failed.
    pub(crate) fn abandon(&self, version: u64) {
        let result = (|| -> Result<(), StorageError> {
            let tx = self.db.begin_write().map_err(redb_fault)?;
            tx.open_table(PENDING).map_err(redb_fault)?.remove(version).map_err(redb_fault)?;
            tx.open_table(RECORDS).map_err(redb_fault)?.remove(version).map_err(redb_fault)?;
            tx.commit().map_err(redb_fault)
        })();
        if let Err(e) = result {
            tracing::warn!(version, "history: a failed commit's record stays pending until the store is reopened: {e}");
        }
    }

    /// One commit: its summary and quads, or `None` if no commit has this version.
    pub fn get(&self, version: u64) -> Result<Option<CommitRecord>, StorageError> {
        let tx = self.db.begin_read().map_err(redb_fault)?;
        // A record still pending is not yet a commit.
        if tx.open_table(SUMMARIES).map_err(redb_fault)?.get(version).map_err(redb_fault)?.is_none() {
            return Ok(None);
        }
        let table = tx.open_table(RECORDS).map_err(redb_fault)?;
        let Some(bytes) = table.get(version).map_err(redb_fault)? else { return Ok(None) };
        CommitRecord::decode(bytes.value()).map(Some)
    }

    /// Commits matching `filter`, newest first.
    ///
    /// With a node or graph filter the index is range-scanned (cost: the commits naming that
    /// node or graph); otherwise the summaries are read newest first until the page is full.
    pub fn list(&self, filter: &HistoryFilter) -> Result<Vec<CommitSummary>, StorageError> {
        let limit = if filter.limit == 0 { 50 } else { filter.limit };
        let before = filter.before.unwrap_or(u64::MAX);
        let tx = self.db.begin_read().map_err(redb_fault)?;
        let summaries = tx.open_table(SUMMARIES).map_err(redb_fault)?;
        let mut out = Vec::new();
        let mut consider = |version: u64| -> Result<bool, StorageError> {
            if let Some(bytes) = summaries.get(version).map_err(redb_fault)? {
                let summary: CommitSummary = serde_json::from_slice(bytes.value()).map_err(fault)?;
                if filter.keeps(&summary) {
                    out.push(summary);
                }
            }
            Ok(out.len() < limit)
        };
        let keyed = match (&filter.node, &filter.graph) {
            (Some(node), _) => Some((NODES, node.as_str())),
            (None, Some(graph)) => Some((GRAPHS, graph.as_str())),
            (None, None) => None,
        };
        if let Some((table, key)) = keyed {
            let table = tx.open_table(table).map_err(redb_fault)?;
            let graphs = tx.open_table(GRAPHS).map_err(redb_fault)?;
            for entry in table.range((key, 0)..(key, before)).map_err(redb_fault)?.rev() {
                let version = entry.map_err(redb_fault)?.0.value().1;
                if let (Some(graph), Some(_)) = (&filter.graph, &filter.node) {
                    if graphs.get((graph.as_str(), version)).map_err(redb_fault)?.is_none() {
                        continue;
                    }
                }
                if !consider(version)? {
                    break;
                }
            }
        } else {
            let versions: Vec<u64> = summaries
                .range(..before)
                .map_err(redb_fault)?
                .rev()
                .map(|e| e.map(|(k, _)| k.value()).map_err(redb_fault))
                .collect::<Result<_, _>>()?;
            for version in versions {
                if !consider(version)? {
                    break;
                }
            }
        }
        Ok(out)
    }
}

/// Indexes a finished record: its summary, nodes and graphs, and its stored form `bytes` when
/// it is not in `records` yet.
fn index(tx: &redb::WriteTransaction, record: &CommitRecord, bytes: Option<&[u8]>) -> Result<(), StorageError> {
    let version = record.summary.version;
    let summary = serde_json::to_vec(&record.summary).map_err(fault)?;
    tx.open_table(SUMMARIES).map_err(redb_fault)?.insert(version, summary.as_slice()).map_err(redb_fault)?;
    if let Some(bytes) = bytes {
        tx.open_table(RECORDS).map_err(redb_fault)?.insert(version, bytes).map_err(redb_fault)?;
    }
    let mut nodes = tx.open_table(NODES).map_err(redb_fault)?;
    for node in record.nodes() {
        nodes.insert((node, version), ()).map_err(redb_fault)?;
    }
    let mut graphs = tx.open_table(GRAPHS).map_err(redb_fault)?;
    for graph in &record.summary.graphs {
        graphs.insert((graph.as_str(), version), ()).map_err(redb_fault)?;
    }
    Ok(())
}

fn unindex(tx: &redb::WriteTransaction, record: &CommitRecord) -> Result<(), StorageError> {
    let version = record.summary.version;
    let mut nodes = tx.open_table(NODES).map_err(redb_fault)?;
    for node in record.nodes() {
        nodes.remove((node, version)).map_err(redb_fault)?;
    }
    let mut graphs = tx.open_table(GRAPHS).map_err(redb_fault)?;
    for graph in &record.summary.graphs {
        graphs.remove((graph.as_str(), version)).map_err(redb_fault)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxigraph::model::{Literal, NamedNode};

    fn record(version: u64) -> CommitRecord {
        let g = GraphName::NamedNode(NamedNode::new_unchecked("https://example.org/g"));
        let s = NamedNode::new_unchecked("https://example.org/三角形");
        let p = NamedNode::new_unchecked("http://www.w3.org/2004/02/skos/core#prefLabel");
        let quad = |text: &str| {
            Quad::new(s.clone(), p.clone(), Literal::new_language_tagged_literal_unchecked(text, "zh"), g.clone())
        };
        CommitRecord::new(
            version,
            Some("designer".into()),
            Some("a \"quoted\"\nmessage".into()),
            vec![quad("三角形 \"内角和\"\n第二行"), quad("角")],
            vec![quad("旧")],
        )
    }

    fn finished(history: &History, version: u64) -> bool {
        history.list(&HistoryFilter::default()).is_ok_and(|l| l.iter().any(|s| s.version == version))
    }

    /// The packed form reads back exactly; the JSON form of older releases is still read.
    #[test]
    fn records_read_back_in_both_stored_forms() -> Result<(), StorageError> {
        let r = record(3);
        assert_eq!(r.encode()?.first(), Some(&PACKED));
        assert_eq!(CommitRecord::decode(&r.encode()?)?, r);
        let json = serde_json::json!({
            "summary": r.summary, "added": to_nquads(&r.added)?, "removed": to_nquads(&r.removed)?,
        });
        assert_eq!(CommitRecord::decode(&serde_json::to_vec(&json).map_err(fault)?)?, r);
        let packed = r.encode()?;
        assert!(CommitRecord::decode(&packed[..packed.len() - 3]).is_err());
        assert!(CommitRecord::decode(b"").is_err());
        Ok(())
    }

    /// A prepared record whose commit happened is finished at the next open; one whose commit
    /// did not is dropped with its stored quads; an abandoned one leaves nothing.
    #[test]
    fn pending_records_follow_the_store_at_reconcile() -> Result<(), StorageError> {
        let history = History::in_memory()?;
        history.prepare(&record(2))?;
        assert_eq!(history.get(2)?, None, "a pending record is not yet a commit");
        history.reconcile(2)?;
        assert!(finished(&history, 2));
        let got = history.get(2)?.map(|r| (r.summary.version, r.added, r.removed));
        let want = record(2);
        assert_eq!(got, Some((2, want.added, want.removed)));
        history.prepare(&record(3))?;
        history.reconcile(2)?;
        assert!(!finished(&history, 3));
        let tx = history.db.begin_read().map_err(redb_fault)?;
        assert!(tx.open_table(RECORDS).map_err(redb_fault)?.get(3).map_err(redb_fault)?.is_none());
        drop(tx);
        history.prepare(&record(3))?;
        history.abandon(3);
        history.reconcile(3)?;
        assert!(!finished(&history, 3));
        // A whole record left pending by an older release is finished too.
        let old = serde_json::to_vec(&serde_json::json!({
            "summary": record(3).summary, "added": to_nquads(&record(3).added)?, "removed": "",
        }))
        .map_err(fault)?;
        let tx = history.db.begin_write().map_err(redb_fault)?;
        tx.open_table(PENDING).map_err(redb_fault)?.insert(3, old.as_slice()).map_err(redb_fault)?;
        tx.commit().map_err(redb_fault)?;
        history.reconcile(3)?;
        assert!(finished(&history, 3));
        assert_eq!(history.get(3)?.map(|r| r.added), Some(record(3).added));
        Ok(())
    }
}
