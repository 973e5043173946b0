//! Releases: a framework (a named graph) frozen under a name, with the commit it was taken
//! at. A release keeps the graph's quads, so it can be served and compared with another
//! release (or with the live graph) after the live graph has moved on. Stored in the history
//! file (table `releases`: name → JSON with the quads as N-Quads).

use oxigraph::model::Quad;
use oxigraph::store::StorageError;
use redb::{ReadableDatabase, ReadableTable, TableDefinition};

use crate::history::{History, from_nquads, now_ms, redb_fault, to_nquads};

pub(crate) const RELEASES: TableDefinition<'_, &str, &[u8]> = TableDefinition::new("releases");

/// A named, frozen version of one framework.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Release {
    /// Its name, e.g. `2026-autumn` or `v2`.
    pub name: String,
    /// The framework's named graph.
    pub graph: String,
    /// The commit the release was taken at.
    pub version: u64,
    /// Unix ms.
    pub time_ms: i64,
    /// Who released it.
    pub author: Option<String>,
    /// Release notes.
    pub message: Option<String>,
    /// Number of quads.
    pub quads: usize,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct StoredRelease {
    release: Release,
    nquads: String,
}

impl History {
    /// Freezes `quads` (a graph's content at commit `version`) as the release `name`.
    /// Returns `Ok(None)` when a release of that name exists already (names are never reused).
    pub fn release(
        &self,
        name: &str,
        graph: &str,
        version: u64,
        quads: &[Quad],
        author: Option<String>,
        message: Option<String>,
    ) -> Result<Option<Release>, StorageError> {
        let release = Release {
            name: name.to_owned(),
            graph: graph.to_owned(),
            version,
            time_ms: now_ms(),
            author,
            message,
            quads: quads.len(),
        };
        let bytes = serde_json::to_vec(&StoredRelease { release: release.clone(), nquads: to_nquads(quads)? })
            .map_err(|e| StorageError::Other(e.into()))?;
        let tx = self.db.begin_write().map_err(redb_fault)?;
        {
            let mut table = tx.open_table(RELEASES).map_err(redb_fault)?;
            if table.get(name).map_err(redb_fault)?.is_some() {
                return Ok(None);
            }
            table.insert(name, bytes.as_slice()).map_err(redb_fault)?;
        }
        tx.commit().map_err(redb_fault)?;
        Ok(Some(release))
    }

    /// Every release, oldest first.
    pub fn releases(&self) -> Result<Vec<Release>, StorageError> {
        let tx = self.db.begin_read().map_err(redb_fault)?;
        let table = tx.open_table(RELEASES).map_err(redb_fault)?;
        let mut out = Vec::new();
        for entry in table.iter().map_err(redb_fault)? {
            let (_, bytes) = entry.map_err(redb_fault)?;
            let stored: StoredRelease =
                serde_json::from_slice(bytes.value()).map_err(|e| StorageError::Other(e.into()))?;
            out.push(stored.release);
        }
        out.sort_by_key(|r| (r.version, r.time_ms));
        Ok(out)
    }

    /// A release and its quads.
    pub fn released(&self, name: &str) -> Result<Option<(Release, Vec<Quad>)>, StorageError> {
        let tx = self.db.begin_read().map_err(redb_fault)?;
        let table = tx.open_table(RELEASES).map_err(redb_fault)?;
        let Some(bytes) = table.get(name).map_err(redb_fault)? else { return Ok(None) };
        let stored: StoredRelease = serde_json::from_slice(bytes.value()).map_err(|e| StorageError::Other(e.into()))?;
        Ok(Some((stored.release, from_nquads(&stored.nquads)?)))
    }
}
