//! The audit trail: an append-only, hash-chained log of who changed the graph and who read or
//! changed learner data, in `DATA/audit.log`.
//!
//! One JSON object a line: `seq` (from 1, no gaps), `time`, `actor`, `action`
//! (`graph.update`, `graph.import`, `learner.read`, `learner.write`, `learner.erase`),
//! `target`, `status`, `prev` (the previous entry's hash; 64 zeros for the first) and `hash`:
//! the SHA-256 of the entry's JSON without `hash`. [`verify`] recomputes the chain and
//! names the first line that was modified, removed or inserted. The last entries can be cut
//! off without breaking the chain: compare the count [`verify`] returns with one kept
//! elsewhere (e.g. in the monitoring system) to detect that.
//!
//! The actor comes from an [`Actor`] request extension (set by an authentication layer) or
//! is `anonymous`; the CLI writes `cli:$USER`. Each entry is written with one `write` call;
//! the file is synced every 64 entries and when the log is dropped.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::state::AppState;

/// Who is making a request; an authentication layer inserts it as a request extension.
#[derive(Clone, Debug)]
pub struct Actor(pub String);

/// One entry of the log.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// Position in the log, from 1.
    pub seq: u64,
    /// RFC 3339 time.
    pub time: String,
    /// Who.
    pub actor: String,
    /// What kind of access.
    pub action: String,
    /// What was accessed: a learner id, a graph, a file.
    pub target: String,
    /// The HTTP status or the command's outcome.
    pub status: u16,
    /// Hash of the previous entry.
    pub prev: String,
    /// Hash of this entry (of its JSON without this field).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub hash: String,
}

impl AuditEntry {
    fn digest(&self) -> String {
        let unsigned = AuditEntry { hash: String::new(), ..self.clone() };
        let json = serde_json::to_vec(&unsigned).unwrap_or_default();
        Sha256::digest(&json).iter().map(|b| format!("{b:02x}")).collect()
    }
}

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

struct Tail {
    file: File,
    seq: u64,
    hash: String,
}

/// The open log.
pub struct AuditLog {
    path: PathBuf,
    tail: Mutex<Tail>,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditLog").field("path", &self.path).finish_non_exhaustive()
    }
}

/// Why a log does not verify.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The file cannot be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The log.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// An entry was modified, removed or inserted.
    #[error("{path}:{line}: {reason}; the log was altered at or before this entry")]
    Broken {
        /// The log.
        path: PathBuf,
        /// The line, from 1.
        line: usize,
        /// What does not match.
        reason: String,
    },
}

impl AuditLog {
    /// Opens (or creates) the log at `path` and finds its last entry.
    pub fn open(path: &Path) -> Result<Self, AuditError> {
        let io = |source| AuditError::Io { path: path.to_owned(), source };
        let (mut seq, mut hash) = (0, GENESIS.to_owned());
        if path.exists() {
            let reader = BufReader::new(File::open(path).map_err(io)?);
            if let Some(last) = reader.lines().map_while(Result::ok).filter(|l| !l.trim().is_empty()).last() {
                let entry: AuditEntry = serde_json::from_str(&last).map_err(|e| AuditError::Broken {
                    path: path.to_owned(),
                    line: 0,
                    reason: format!("the last entry is not readable: {e}"),
                })?;
                (seq, hash) = (entry.seq, entry.hash);
            }
        }
        let file = OpenOptions::new().create(true).append(true).open(path).map_err(io)?;
        Ok(Self { path: path.to_owned(), tail: Mutex::new(Tail { file, seq, hash }) })
    }

    /// Appends one entry.
    pub fn record(&self, actor: &str, action: &str, target: &str, status: u16) -> Result<(), AuditError> {
        let mut tail = self.tail.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut entry = AuditEntry {
            seq: tail.seq + 1,
            time: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            actor: actor.to_owned(),
            action: action.to_owned(),
            target: target.to_owned(),
            status,
            prev: tail.hash.clone(),
            hash: String::new(),
        };
        entry.hash = entry.digest();
        let mut line = serde_json::to_vec(&entry).unwrap_or_default();
        line.push(b'\n');
        let io = |source| AuditError::Io { path: self.path.clone(), source };
        tail.file.write_all(&line).map_err(io)?;
        if entry.seq % 64 == 0 {
            tail.file.sync_data().map_err(io)?;
        }
        tail.seq = entry.seq;
        tail.hash = entry.hash;
        Ok(())
    }

    /// Records, logging (not failing the caller) when the log cannot be written.
    pub fn record_or_warn(&self, actor: &str, action: &str, target: &str, status: u16) {
        if let Err(e) = self.record(actor, action, target, status) {
            tracing::error!(error = %e, "cannot write the audit log");
        }
    }
}

impl Drop for AuditLog {
    fn drop(&mut self) {
        let tail = self.tail.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let _ = tail.file.sync_data();
    }
}

/// Checks the whole chain of the log at `path`: returns the number of entries, or the first
/// entry that does not follow from the one before it. O(entries).
pub fn verify(path: &Path) -> Result<u64, AuditError> {
    let io = |source| AuditError::Io { path: path.to_owned(), source };
    let reader = BufReader::new(File::open(path).map_err(io)?);
    let (mut seq, mut prev) = (0u64, GENESIS.to_owned());
    for (i, line) in reader.lines().enumerate() {
        let line = line.map_err(io)?;
        let broken = |reason: String| AuditError::Broken { path: path.to_owned(), line: i + 1, reason };
        let entry: AuditEntry = serde_json::from_str(&line).map_err(|e| broken(format!("not an audit entry ({e})")))?;
        if entry.seq != seq + 1 {
            return Err(broken(format!("entry {} follows entry {seq}: entries are missing or inserted", entry.seq)));
        }
        if entry.prev != prev {
            return Err(broken("its `prev` is not the hash of the entry before it".to_owned()));
        }
        if entry.hash != entry.digest() {
            return Err(broken("its content does not match its hash: it was modified".to_owned()));
        }
        (seq, prev) = (entry.seq, entry.hash);
    }
    Ok(seq)
}

/// Middleware over the learner routes: one entry per request, after it is answered.
pub(crate) async fn learners(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(log) = state.audit.clone() else { return next.run(request).await };
    let actor = request.extensions().get::<Actor>().map_or_else(|| "anonymous".to_owned(), |a| a.0.clone());
    let route = request.extensions().get::<MatchedPath>().map(|m| m.as_str().to_owned()).unwrap_or_default();
    let action = match (request.method().as_str(), route.ends_with("/path")) {
        ("GET", _) | ("POST", true) => "learner.read",
        ("DELETE", _) => "learner.erase",
        _ => "learner.write",
    };
    // The learner id: the segment after `/learners/`.
    let target = request.uri().path().split('/').skip_while(|s| *s != "learners").nth(1).unwrap_or("").to_owned();
    let response = next.run(request).await;
    log.record_or_warn(&actor, action, &target, response.status().as_u16());
    response
}

/// Middleware over `/sparql`: an entry for each request during which the graph's version
/// changed (an update that committed). Commits are serialised and only updates commit, so
/// the entry names the update's actor unless a second update ran at the same moment.
pub(crate) async fn graph_updates(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(log) = state.audit.clone() else { return next.run(request).await };
    if request.method() != axum::http::Method::POST {
        return next.run(request).await;
    }
    let actor = request.extensions().get::<Actor>().map_or_else(|| "anonymous".to_owned(), |a| a.0.clone());
    let before = state.graph.version();
    let response = next.run(request).await;
    let after = state.graph.version();
    if after != before {
        log.record_or_warn(&actor, "graph.update", &format!("version {before} -> {after}"), response.status().as_u16());
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_modified_or_removed_entry_is_detected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.log");
        {
            let log = AuditLog::open(&path).unwrap();
            for i in 0..5 {
                log.record("ana", "learner.read", &format!("l{i}"), 200).unwrap();
            }
        }
        // Reopened, the chain goes on.
        AuditLog::open(&path).unwrap().record("bo", "graph.update", "g", 200).unwrap();
        assert_eq!(verify(&path).unwrap(), 6);
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();

        let modified = text.replacen("\"target\":\"l2\"", "\"target\":\"l9\"", 1);
        std::fs::write(&path, modified).unwrap();
        assert!(matches!(verify(&path), Err(AuditError::Broken { line: 3, .. })), "{:?}", verify(&path));

        let removed: String =
            lines.iter().enumerate().filter(|(i, _)| *i != 1).map(|(_, l)| format!("{l}\n")).collect();
        std::fs::write(&path, removed).unwrap();
        assert!(matches!(verify(&path), Err(AuditError::Broken { line: 2, .. })), "{:?}", verify(&path));
    }
}
