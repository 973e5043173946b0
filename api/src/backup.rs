//! Backups of a data directory while it is in use, and restores.
//!
//! A backup is a directory laid out like a data directory: `graph/` (`GraphStore::backup`: a
//! RocksDB checkpoint made by oxigraph's `Store::backup`, the memtables flushed and the SST
//! files hard-linked where the file system allows, and beside it a consistent copy of the
//! history, drafts and releases, both under the commit lock), `learners.redb` (a consistent copy from one read
//! transaction, `LearnerStore::backup`) and a copy of every other file of the data directory
//! (the audit trail, ...), line logs (`*.log`, `*.jsonl`) cut after their last complete line
//! if they end in the middle of one (an append in progress). `backups/`, the import
//! journal and the search index are not copied: the index is rebuilt from the store when the
//! restored directory is first served (it records the version it reflects).
//!
//! A running server makes backups at `POST /api/v1/admin/backup` into `DATA/backups/NAME`;
//! `tupu backup DIR --server URL` asks for one and moves it to `DIR`. Without a server,
//! `tupu backup DIR` opens the data directory itself. `tupu restore DIR` copies a backup into
//! a data directory that holds no store yet.

use std::fs;
use std::path::{Path, PathBuf};

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::routing::post;
use serde::Serialize;
use tupu_graph::GraphStore;
use tupu_recommend::Learners;

use crate::error::{ApiError, Code};
use crate::state::{AppState, blocking};

/// Names in a data directory that a backup does not copy as plain files.
const SKIPPED: [&str; 6] = ["graph", "learners.redb", "learners.redb.wal", "backups", "graph.journal", "search"];

/// Writes a backup of the open stores of `data` into `target`, which must not exist.
pub fn backup(graph: &GraphStore, learners: &Learners, data: &Path, target: &Path) -> anyhow::Result<()> {
    use anyhow::Context;
    if let Some(parent) = target.parent() {
        fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    }
    fs::create_dir(target)
        .with_context(|| format!("cannot create {} (name a new directory for the backup)", target.display()))?;
    backup_into(graph, learners, data, target)
}

/// [`backup`] into the empty directory `target`.
fn backup_into(graph: &GraphStore, learners: &Learners, data: &Path, target: &Path) -> anyhow::Result<()> {
    use anyhow::Context;
    graph.backup(&target.join("graph")).context("cannot back up the graph store")?;
    learners.store().backup(&target.join("learners.redb")).context("cannot back up the learner store")?;
    for entry in fs::read_dir(data).with_context(|| format!("cannot list {}", data.display()))? {
        let entry = entry?;
        let name = entry.file_name();
        let skipped = name.to_str().is_some_and(|n| SKIPPED.iter().any(|s| n == *s || n.starts_with("graph.journal")));
        if !skipped {
            copy_tree(&entry.path(), &target.join(&name), true)?;
        }
    }
    Ok(())
}

/// Copies a file or a directory, recursively. With `cut`, a line log (`*.log`, `*.jsonl`)
/// is cut after its last newline, leaving out an append in progress.
fn copy_tree(from: &Path, to: &Path, cut: bool) -> anyhow::Result<()> {
    use anyhow::Context;
    if from.is_dir() {
        fs::create_dir_all(to)?;
        for entry in fs::read_dir(from)? {
            let entry = entry?;
            copy_tree(&entry.path(), &to.join(entry.file_name()), cut)?;
        }
    } else if from.is_file() {
        let mut bytes = fs::read(from).with_context(|| format!("cannot read {}", from.display()))?;
        let line_log = from.extension().is_some_and(|e| e == "log" || e == "jsonl");
        if cut && line_log {
            if let Some(last) = bytes.iter().rposition(|&b| b == b'\n') {
                bytes.truncate(last + 1);
            }
        }
        fs::write(to, bytes).with_context(|| format!("cannot write {}", to.display()))?;
    }
    Ok(())
}

/// Copies the backup `from` into the data directory `data`, which must hold no store.
pub fn restore(from: &Path, data: &Path) -> anyhow::Result<()> {
    use anyhow::Context;
    if !from.join("graph").is_dir() || !from.join("learners.redb").is_file() {
        anyhow::bail!("{} is not a Tupu backup: it has no graph/ and learners.redb", from.display());
    }
    if data.join("graph").exists() || data.join("learners.redb").exists() {
        anyhow::bail!(
            "{} holds a store already: stop its server and move it aside (or name a new --data directory) before restoring",
            data.display()
        );
    }
    fs::create_dir_all(data).with_context(|| format!("cannot create {}", data.display()))?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        copy_tree(&entry.path(), &data.join(entry.file_name()), false)?;
    }
    Ok(())
}

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/api/v1/admin/backup", post(backup_now))
}

/// Where the backup was written.
#[derive(Serialize)]
struct BackupDone {
    name: String,
    path: String,
}

async fn backup_now(State(state): State<AppState>) -> Result<Json<BackupDone>, ApiError> {
    let Some(data) = state.data_dir.clone() else {
        return Err(ApiError::new(Code::NoDataDirectory, "this server has no data directory to back up"));
    };
    let (graph, learners) = (state.graph.clone(), state.learners.clone());
    blocking(move || {
        let failed = |e: &dyn std::fmt::Display| ApiError::internal(format!("backup failed: {e}"));
        let backups = data.join("backups");
        fs::create_dir_all(&backups).map_err(|e| failed(&e))?;
        // A new directory per backup: the first free name of `TIME`, `TIME-1`, ...
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ").to_string();
        let (name, target) = (0..100)
            .map(|i| if i == 0 { stamp.clone() } else { format!("{stamp}-{i}") })
            .map(|name| {
                let target: PathBuf = backups.join(&name);
                (name, target)
            })
            .find(|(_, target)| fs::create_dir(target).is_ok())
            .ok_or_else(|| failed(&"no free name"))?;
        backup_into(&graph, &learners, &data, &target).map_err(|e| failed(&format!("{e:#}")))?;
        Ok(Json(BackupDone { name, path: target.display().to_string() }))
    })
    .await
}
