//! Reverting a recorded commit: the exact inverse of its change (its removed quads added back,
//! its added quads removed), committed through the one commit path, so it is validated and
//! recorded like any other change.
//!
//! A revert restores exactly the quads before the commit or does nothing: when a later commit
//! removed one of the commit's added quads or added back one it removed, the inverse would not
//! restore that state, and the revert is refused naming those quads ([`RevertError::Conflict`]).

use crate::error::GraphError;
use crate::history::CommitRecord;
use crate::store::{ChangeSet, CommitReport, GraphStore};

/// Why a commit was not reverted.
#[derive(Debug, thiserror::Error)]
pub enum RevertError {
    /// No commit has this version.
    #[error("no commit has version {0}; `tupu history` or GET /api/v1/history lists them")]
    NotFound(u64),
    /// Later commits changed quads of the commit.
    #[error(
        "commit {version} cannot be reverted exactly: {count} of its quads were changed by later commits ({examples}); revert those first"
    )]
    Conflict {
        /// The commit.
        version: u64,
        /// How many of its quads changed since.
        count: usize,
        /// The first few of them, each with what happened to it.
        examples: String,
    },
    /// The store refused or failed the inverse change.
    #[error(transparent)]
    Graph(#[from] GraphError),
}

/// The change that undoes `record` against the committed state (see the module documentation).
/// O(quads of the commit) store lookups.
pub fn undo(record: &CommitRecord, store: &GraphStore) -> Result<ChangeSet, RevertError> {
    let mut conflicts = Vec::new();
    for q in &record.added {
        if !store.store().contains(q).map_err(GraphError::from)? {
            conflicts.push(format!("{q} was removed since"));
        }
    }
    for q in &record.removed {
        if store.store().contains(q).map_err(GraphError::from)? {
            conflicts.push(format!("{q} was added again since"));
        }
    }
    if !conflicts.is_empty() {
        let count = conflicts.len();
        conflicts.truncate(5);
        return Err(RevertError::Conflict { version: record.summary.version, count, examples: conflicts.join("; ") });
    }
    let mut change = ChangeSet::new();
    change.added = record.removed.clone();
    change.removed = record.added.clone();
    Ok(change)
}

/// Reverts commit `version` as a new commit by `author` (the message defaults to
/// `Revert commit N: MESSAGE`).
pub fn revert(
    store: &GraphStore,
    version: u64,
    author: Option<String>,
    message: Option<String>,
) -> Result<CommitReport, RevertError> {
    let record = store.history().get(version).map_err(GraphError::from)?.ok_or(RevertError::NotFound(version))?;
    let mut change = undo(&record, store)?;
    change.author = author;
    change.message = Some(message.unwrap_or_else(|| {
        format!("Revert commit {}: {}", record.summary.version, record.summary.message.as_deref().unwrap_or(""))
    }));
    Ok(store.commit(change)?)
}
