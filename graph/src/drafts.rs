//! Drafts: a designer's edits kept aside, as a pending change, until a reviewer approves them
//! (then they go through the commit path like any edit) or rejects them (then nothing changes).
//!
//! A draft stores the *edits*, not quads: the reviewer sees them planned against the graph as
//! it is when they look, and approval plans them again against the graph as it is then. Drafts
//! live in the history file (table `drafts`: id → JSON).

use redb::{ReadableDatabase, ReadableTable, TableDefinition};

use crate::edit::Edit;
use crate::history::{History, redb_fault};
use oxigraph::store::StorageError;

pub(crate) const DRAFTS: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("drafts");

/// Where a draft stands.
#[derive(Copy, Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DraftStatus {
    /// Waiting for review.
    Open,
    /// Approved and committed.
    Approved,
    /// Rejected; nothing was applied.
    Rejected,
}

/// A proposed change and its review.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Draft {
    /// Its id.
    pub id: u64,
    /// Who proposed it.
    pub author: Option<String>,
    /// What it does and why.
    pub message: Option<String>,
    /// The edits, in order.
    pub edits: Vec<serde_json::Value>,
    /// Unix ms of the proposal.
    pub created_ms: i64,
    /// The graph version it was proposed against.
    pub base_version: u64,
    /// Open, approved or rejected.
    pub status: DraftStatus,
    /// Who decided.
    pub reviewer: Option<String>,
    /// The reviewer's comment.
    pub comment: Option<String>,
    /// The commit that applied it, once approved.
    pub commit: Option<u64>,
}

impl Draft {
    /// The edits, typed.
    pub fn typed_edits(&self) -> Result<Vec<Edit>, serde_json::Error> {
        self.edits.iter().cloned().map(serde_json::from_value).collect()
    }
}

impl History {
    /// Stores a new open draft and returns it with its id.
    pub fn propose(
        &self,
        author: Option<String>,
        message: Option<String>,
        edits: &[Edit],
        base_version: u64,
    ) -> Result<Draft, StorageError> {
        let tx = self.db.begin_write().map_err(redb_fault)?;
        let draft = {
            let mut table = tx.open_table(DRAFTS).map_err(redb_fault)?;
            let id = table.last().map_err(redb_fault)?.map_or(1, |(k, _)| k.value() + 1);
            let draft = Draft {
                id,
                author,
                message,
                edits: edits
                    .iter()
                    .map(serde_json::to_value)
                    .collect::<Result<_, _>>()
                    .map_err(|e| StorageError::Other(e.into()))?,
                created_ms: crate::history::now_ms(),
                base_version,
                status: DraftStatus::Open,
                reviewer: None,
                comment: None,
                commit: None,
            };
            let bytes = serde_json::to_vec(&draft).map_err(|e| StorageError::Other(e.into()))?;
            table.insert(id, bytes.as_slice()).map_err(redb_fault)?;
            draft
        };
        tx.commit().map_err(redb_fault)?;
        Ok(draft)
    }

    /// A draft by id.
    pub fn draft(&self, id: u64) -> Result<Option<Draft>, StorageError> {
        let tx = self.db.begin_read().map_err(redb_fault)?;
        let table = tx.open_table(DRAFTS).map_err(redb_fault)?;
        let Some(bytes) = table.get(id).map_err(redb_fault)? else { return Ok(None) };
        serde_json::from_slice(bytes.value()).map(Some).map_err(|e| StorageError::Other(e.into()))
    }

    /// Drafts, newest first, optionally only those with one status.
    pub fn drafts(&self, status: Option<DraftStatus>) -> Result<Vec<Draft>, StorageError> {
        let tx = self.db.begin_read().map_err(redb_fault)?;
        let table = tx.open_table(DRAFTS).map_err(redb_fault)?;
        let mut out = Vec::new();
        for entry in table.iter().map_err(redb_fault)?.rev() {
            let (_, bytes) = entry.map_err(redb_fault)?;
            let draft: Draft = serde_json::from_slice(bytes.value()).map_err(|e| StorageError::Other(e.into()))?;
            if status.is_none_or(|s| s == draft.status) {
                out.push(draft);
            }
        }
        Ok(out)
    }

    /// Records a decision on a draft (durably).
    pub fn decide(&self, draft: &Draft) -> Result<(), StorageError> {
        let bytes = serde_json::to_vec(draft).map_err(|e| StorageError::Other(e.into()))?;
        let tx = self.db.begin_write().map_err(redb_fault)?;
        tx.open_table(DRAFTS).map_err(redb_fault)?.insert(draft.id, bytes.as_slice()).map_err(redb_fault)?;
        tx.commit().map_err(redb_fault)
    }

    /// Serialises decisions on drafts (an approval plans, commits and records; two at once
    /// must not apply one draft twice).
    pub fn review_lock(&self) -> std::sync::MutexGuard<'_, ()> {
        self.review.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
