//! The compiled snapshot persisted beside an on-disk store (`snapshot.bin` in the store's
//! directory), so that opening a large store reads it instead of compiling the snapshot from
//! the quads (which decodes every term through RocksDB).
//!
//! - **Keyed by the graph version.** The file holds the version (the commit count) it was
//!   compiled at. [`open_snapshot`] loads it only when that version equals the store's; any
//!   other file is deleted and the snapshot compiled as before. Versions only grow while a
//!   store is in use, and a store that went back (a commit lost with the machine's power, a
//!   store copied over) is seen at its next open, which deletes the file: a snapshot of another
//!   state is never served.
//! - **Checked.** A header (magic `TUPUSNAP`, [`FORMAT`], the CRC-32 of the payload, the
//!   version, the payload's length) precedes the payload ([`Snapshot::encode_into`], postcard).
//!   A torn, truncated or corrupt file fails the checks or the decoding: it is ignored with a
//!   warning, deleted, and the snapshot compiled. [`FORMAT`] changes whenever the snapshot's
//!   parts or what the compiler puts in them change.
//! - **Atomic.** Written as `snapshot.bin.tmp`, synced, renamed over `snapshot.bin`, and the
//!   directory synced.
//! - **Off the commit path.** A commit hands its new snapshot to [`Persister::offer`] (a
//!   pointer swap under a mutex); one writer thread writes the newest snapshot once no newer
//!   one came for [`QUIET`] (at most [`MAX_DELAY`] after the first waiting one), so a burst
//!   of edits is written once. Dropping the store writes what is still waiting before it
//!   returns (the end of an import, a server's shutdown). A snapshot compiled at open is
//!   written the same way. A missing or stale file only costs a compilation at the next open.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use oxigraph::store::{StorageError, Store};

use crate::compile::compile;
use crate::snapshot::Snapshot;

/// Name of the file in the store's directory.
pub(crate) const FILE_NAME: &str = "snapshot.bin";

const MAGIC: &[u8; 8] = b"TUPUSNAP";

/// Version of the file's layout and of the snapshot's contents.
const FORMAT: u32 = 4;

/// Bytes before the payload: magic, format, CRC-32, graph version, payload length.
const HEADER: usize = 8 + 4 + 4 + 8 + 8;

/// How long the writer waits for a newer snapshot before writing the one it has.
const QUIET: Duration = Duration::from_millis(500);

/// The longest a snapshot waits to be written while newer ones keep coming.
const MAX_DELAY: Duration = Duration::from_secs(5);

/// Why a snapshot file was not loaded.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SnapshotFileError {
    /// There is no file.
    #[error("there is no persisted snapshot")]
    Missing,
    /// The file holds another version of the graph.
    #[error("the persisted snapshot is of version {found}, the store of version {expected}")]
    OtherVersion { found: u64, expected: u64 },
    /// The file is not a whole snapshot of this format.
    #[error("the persisted snapshot is unusable: {0}")]
    Corrupt(String),
    /// It could not be read.
    #[error("the persisted snapshot cannot be read: {0}")]
    Io(#[from] std::io::Error),
}

/// The path of the snapshot file of the store in `dir`.
pub(crate) fn path_in(dir: &Path) -> PathBuf {
    dir.join(FILE_NAME)
}

fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".tmp");
    PathBuf::from(name)
}

/// Serialises `snapshot` with its header. O(n + m).
fn encode(snapshot: &Snapshot) -> Result<Vec<u8>, postcard::Error> {
    let mut bytes = Vec::with_capacity(HEADER + 64 * snapshot.node_count());
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&FORMAT.to_le_bytes());
    bytes.extend_from_slice(&[0; 4]);
    bytes.extend_from_slice(&snapshot.version().to_le_bytes());
    bytes.extend_from_slice(&[0; 8]);
    let mut bytes = snapshot.encode_into(bytes)?;
    let payload = &bytes[HEADER..];
    let (crc, len) = (crc32fast::hash(payload), payload.len() as u64);
    bytes[12..16].copy_from_slice(&crc.to_le_bytes());
    bytes[24..32].copy_from_slice(&len.to_le_bytes());
    Ok(bytes)
}

/// The snapshot in `bytes` if it is whole, of this format, and of `version`.
fn decode(bytes: &[u8], version: u64) -> Result<Snapshot, SnapshotFileError> {
    let corrupt = |what: &str| SnapshotFileError::Corrupt(what.to_owned());
    if bytes.len() < HEADER || &bytes[..8] != MAGIC {
        return Err(corrupt("it does not start with a snapshot header"));
    }
    let word = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap_or_default());
    let long = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap_or_default());
    let format = word(8);
    if format != FORMAT {
        return Err(SnapshotFileError::Corrupt(format!("it has format {format}, this build reads {FORMAT}")));
    }
    let found = long(16);
    if found != version {
        return Err(SnapshotFileError::OtherVersion { found, expected: version });
    }
    let payload = &bytes[HEADER..];
    if payload.len() as u64 != long(24) {
        return Err(SnapshotFileError::Corrupt(format!(
            "{} bytes of payload instead of {} (a torn write?)",
            payload.len(),
            long(24)
        )));
    }
    if crc32fast::hash(payload) != word(12) {
        return Err(corrupt("its checksum does not match"));
    }
    Snapshot::decode(version, payload).map_err(SnapshotFileError::Corrupt)
}

/// Reads the snapshot persisted at `path` if it is of `version`.
pub(crate) fn load(path: &Path, version: u64) -> Result<Snapshot, SnapshotFileError> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(SnapshotFileError::Missing),
        Err(e) => return Err(e.into()),
    };
    decode(&bytes, version)
}

/// Writes `snapshot` to `path` atomically (temporary file, sync, rename, sync of the
/// directory). Returns the file's size.
pub(crate) fn save(path: &Path, snapshot: &Snapshot) -> std::io::Result<usize> {
    let bytes = encode(snapshot).map_err(std::io::Error::other)?;
    let tmp = tmp_path(path);
    let mut file = fs::File::create(&tmp)?;
    file.write_all(&bytes)?;
    file.sync_all()?;
    drop(file);
    fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        fs::File::open(dir)?.sync_all()?;
    }
    Ok(bytes.len())
}

/// The snapshot of the store at `version`: loaded from `file` when it holds that version,
/// else compiled (and then the file, if any, deleted: it is of no use). Returns whether it
/// was loaded.
pub(crate) fn open_snapshot(
    store: &Store,
    version: u64,
    file: Option<&Path>,
) -> Result<(Snapshot, bool), StorageError> {
    let started = Instant::now();
    if let Some(path) = file {
        // A temporary file left by a writer that was stopped mid-way.
        let _ = fs::remove_file(tmp_path(path));
        match load(path, version) {
            Ok(snapshot) => {
                let ms = started.elapsed().as_secs_f64() * 1e3;
                tracing::info!(version, nodes = snapshot.node_count(), ms, "loaded the persisted snapshot");
                return Ok((snapshot, true));
            }
            Err(SnapshotFileError::Missing) => {}
            Err(e) => {
                match e {
                    SnapshotFileError::OtherVersion { .. } => tracing::info!("{e}: compiling it"),
                    _ => tracing::warn!(path = %path.display(), "{e}: compiling it"),
                }
                if let Err(e) = fs::remove_file(path) {
                    tracing::warn!(path = %path.display(), "cannot delete the unusable snapshot file: {e}");
                }
            }
        }
    }
    let snapshot = compile(store, version)?.snapshot;
    let ms = started.elapsed().as_secs_f64() * 1e3;
    tracing::info!(version, nodes = snapshot.node_count(), ms, "compiled the snapshot");
    Ok((snapshot, false))
}

/// The writer of a store's snapshot file: see the module documentation.
pub(crate) struct Persister {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

struct Shared {
    state: Mutex<Waiting>,
    wake: Condvar,
}

#[derive(Default)]
struct Waiting {
    /// The newest snapshot not written yet.
    snapshot: Option<Arc<Snapshot>>,
    /// When the oldest snapshot that waits was offered, and when the newest was.
    first: Option<Instant>,
    last: Option<Instant>,
    /// Write what waits and stop.
    stop: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Waiting> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Blocks until a snapshot is due, and takes it; `None` once stopped with nothing left.
    fn next(&self) -> Option<Arc<Snapshot>> {
        let mut waiting = self.lock();
        loop {
            match (waiting.first, waiting.last) {
                (Some(first), Some(last)) => {
                    let due = (last + QUIET).min(first + MAX_DELAY);
                    let now = Instant::now();
                    if waiting.stop || now >= due {
                        waiting.first = None;
                        waiting.last = None;
                        return waiting.snapshot.take();
                    }
                    waiting = self.wake.wait_timeout(waiting, due - now).unwrap_or_else(PoisonError::into_inner).0;
                }
                _ if waiting.stop => return None,
                _ => waiting = self.wake.wait(waiting).unwrap_or_else(PoisonError::into_inner),
            }
        }
    }
}

impl Persister {
    /// Starts the writer of the snapshot file at `path`.
    pub(crate) fn start(path: PathBuf) -> std::io::Result<Self> {
        let shared = Arc::new(Shared { state: Mutex::new(Waiting::default()), wake: Condvar::new() });
        let writer = shared.clone();
        let thread = std::thread::Builder::new().name("tupu-snapshot-file".into()).spawn(move || {
            while let Some(snapshot) = writer.next() {
                let started = Instant::now();
                match save(&path, &snapshot) {
                    Ok(bytes) => tracing::debug!(
                        version = snapshot.version(),
                        bytes,
                        ms = started.elapsed().as_secs_f64() * 1e3,
                        "persisted the snapshot"
                    ),
                    Err(e) => tracing::warn!(
                        path = %path.display(),
                        "cannot persist the snapshot (the next open compiles it): {e}"
                    ),
                }
            }
        })?;
        Ok(Self { shared, thread: Some(thread) })
    }

    /// Hands the writer a new snapshot; a snapshot still waiting is replaced. O(1).
    pub(crate) fn offer(&self, snapshot: &Arc<Snapshot>) {
        let mut waiting = self.shared.lock();
        let now = Instant::now();
        waiting.snapshot = Some(snapshot.clone());
        waiting.first.get_or_insert(now);
        waiting.last = Some(now);
        drop(waiting);
        self.shared.wake.notify_one();
    }
}

impl Drop for Persister {
    /// Writes the snapshot still waiting, then stops the writer.
    fn drop(&mut self) {
        self.shared.lock().stop = true;
        self.shared.wake.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
