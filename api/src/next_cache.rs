//! A cache of rendered next-step lists.
//!
//! A list depends on the graph snapshot, the learner's mastery vector, the request's
//! parameters and the time (reviews come due as recall decays). An entry is keyed by learner
//! and query string and holds the snapshot version and the resolved vector it was computed
//! from; it is served only while both are still current and it is younger than the cache's
//! lifetime. A write to the learner replaces their resolved vector
//! ([`Learners::resolved`](tupu_recommend::Learners::resolved)), so the next request after an
//! event is always computed afresh. Apps that ask again without new evidence (a page reload,
//! two widgets) get the same list without recomputing it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use tupu_recommend::Mastery;

/// Entries per shard before the shard is emptied: 64 shards hold at most 8,192 lists, about
/// 60 MB at 7 KB a list (the vectors they hold are mostly shared with the learner cache).
const SHARD_CAPACITY: usize = 128;

struct Entry {
    version: u64,
    mastery: Arc<Mastery>,
    at: Instant,
    body: Bytes,
}

/// Rendered next-step lists (see the module documentation).
pub struct NextCache {
    lifetime: Duration,
    shards: Vec<Mutex<HashMap<String, Entry>>>,
}

impl std::fmt::Debug for NextCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NextCache").field("lifetime", &self.lifetime).finish_non_exhaustive()
    }
}

impl NextCache {
    /// A cache whose entries live at most `lifetime`.
    pub fn new(lifetime: Duration) -> Self {
        Self { lifetime, shards: (0..64).map(|_| Mutex::new(HashMap::new())).collect() }
    }

    fn shard(&self, key: &str) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
        self.shards[(hash % self.shards.len() as u64) as usize]
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The rendered list for `key`, if it was computed from this snapshot version and this
    /// very vector, and is young enough.
    pub fn get(&self, key: &str, version: u64, mastery: &Arc<Mastery>) -> Option<Bytes> {
        let shard = self.shard(key);
        let e = shard.get(key)?;
        (e.version == version && Arc::ptr_eq(&e.mastery, mastery) && e.at.elapsed() < self.lifetime)
            .then(|| e.body.clone())
    }

    /// Keeps a rendered list.
    pub fn put(&self, key: String, version: u64, mastery: Arc<Mastery>, body: Bytes) {
        let mut shard = self.shard(&key);
        if shard.len() >= SHARD_CAPACITY {
            shard.clear();
        }
        shard.insert(key, Entry { version, mastery, at: Instant::now(), body });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_served_only_for_its_version_vector_and_lifetime() {
        let cache = NextCache::new(Duration::from_secs(60));
        let v1 = Arc::new(Mastery::default());
        let v2 = Arc::new(Mastery::default());
        cache.put("ana\0n=5".into(), 7, v1.clone(), Bytes::from_static(b"[1]"));
        assert_eq!(cache.get("ana\0n=5", 7, &v1).as_deref(), Some(&b"[1]"[..]));
        // Another query, a later snapshot, or a vector replaced by a write: not served.
        assert!(cache.get("ana\0n=3", 7, &v1).is_none());
        assert!(cache.get("ana\0n=5", 8, &v1).is_none());
        assert!(cache.get("ana\0n=5", 7, &v2).is_none());
        // Past its lifetime: not served.
        let short = NextCache::new(Duration::from_millis(1));
        short.put("bo".into(), 1, v1.clone(), Bytes::from_static(b"[]"));
        std::thread::sleep(Duration::from_millis(5));
        assert!(short.get("bo", 1, &v1).is_none());
    }
}
