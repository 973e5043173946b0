//! [`Learners`]: the learner-facing operations over a store and a snapshot.

use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwapOption;
use serde_json::Value;
use tupu_graph::{NodeId, Snapshot};

use crate::evidence::{EventProblem, check_events};
use crate::index::RecommendIndex;
use crate::model::{LearnerState, Mastery, NodeMastery};
use crate::next::{NextRequest, RecommendConfig, Recommendation, next_steps};
use crate::path::{LearningPath, PathError, plan_path};
use crate::store::{LearnerStore, LearnerStoreError, LearnerWrite};

/// Why a learner operation failed.
#[derive(Debug, thiserror::Error)]
pub enum LearnerError {
    /// Some events of the batch are invalid; none was applied.
    #[error("{} invalid event(s); nothing was applied", .0.len())]
    InvalidEvents(Vec<EventProblem>),
    /// A mastery entry is invalid; nothing was applied.
    #[error("invalid mastery entry '{node}': {message}")]
    InvalidMastery {
        /// The entry's node id.
        node: String,
        /// What is wrong.
        message: String,
    },
    /// A node id does not name a node.
    #[error(transparent)]
    Resolve(#[from] tupu_graph::ResolveError),
    /// No path can be planned.
    #[error(transparent)]
    Path(#[from] PathError),
    /// The store failed or refused the learner id.
    #[error(transparent)]
    Store(#[from] LearnerStoreError),
}

/// What recording a batch did.
#[derive(Clone, Debug, serde::Serialize)]
pub struct RecordReport {
    /// Events accepted.
    pub accepted: usize,
    /// Nodes whose belief changed (IRIs), with the new belief.
    pub updated: Vec<(String, f32)>,
    /// For each observation of each event, in order, what the model predicted just before it.
    pub predictions: Vec<EventPrediction>,
}

/// What the model predicted for one observation just before applying it.
#[derive(Copy, Clone, Debug, PartialEq, serde::Serialize)]
pub struct EventPrediction {
    /// Index of the event in the batch.
    pub event: usize,
    /// The node observed.
    pub node: NodeId,
    /// Probability of a correct answer, from the evidence before this event.
    pub p_correct: f32,
    /// Probability of mastery just before this event (decayed to its time, see the `bkt`
    /// module).
    pub mastery: f32,
}

/// The model's prediction for one node of a learner, now.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Prediction {
    /// The node.
    pub node: NodeId,
    /// Probability of a correct answer now.
    pub p_correct: f32,
    /// Probability of mastery after the last evidence.
    pub mastery: f32,
    /// Mastery still held now, after the time since the last practice
    /// ([`NodeMastery::recall`]): what `p_correct` is predicted from, and what next steps
    /// schedule reviews from.
    pub recall: f32,
    /// The node's effective BKT parameters.
    pub params: tupu_graph::BktParams,
    /// The node's base half-life of mastery in days (see the `bkt` module).
    pub half_life_days: f64,
    /// Whether the half-life was fitted (stored in the graph) rather than the default.
    pub half_life_fitted: bool,
    /// Whether they were fitted (stored in the graph) rather than defaults.
    pub fitted: bool,
    /// The node's weight of the learner's ability (0 when none is stored; see the `bkt` module).
    pub ability_weight: f32,
    /// The learner's ability `z` (see the `bkt` module).
    pub ability: f32,
    /// Answers the learner gave on the node.
    pub attempts: u32,
}

/// Learner operations: evidence in, mastery, next steps, paths. Writes for one learner are
/// serialised (a batch is read, updated and written under the learner's lock); reads are not.
pub struct Learners {
    store: Arc<dyn LearnerStore>,
    locks: Vec<Mutex<()>>,
    config: RecommendConfig,
    index: ArcSwapOption<RecommendIndex>,
    cache: Vec<Mutex<CacheShard>>,
}

/// Learners' mastery vectors resolved against a snapshot, so that repeated reads (`next`,
/// `path`) skip the store and the resolution. A write bumps its shard's generation and drops
/// the learner's entry; a read that loaded from the store inserts only if no write to the
/// shard happened meanwhile, so a stale vector is never cached.
#[derive(Default)]
struct CacheShard {
    generation: u64,
    entries: rustc_hash::FxHashMap<String, (u64, Arc<Mastery>)>,
}

/// Learners kept per cache shard before the shard is emptied (64 shards).
const CACHE_PER_SHARD: usize = 4_096;

impl std::fmt::Debug for Learners {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Learners").field("config", &self.config).finish_non_exhaustive()
    }
}

impl Learners {
    /// Learner operations over a store.
    pub fn new(store: Arc<dyn LearnerStore>, config: RecommendConfig) -> Self {
        Self {
            store,
            locks: (0..64).map(|_| Mutex::new(())).collect(),
            config,
            index: ArcSwapOption::empty(),
            cache: (0..64).map(|_| Mutex::new(CacheShard::default())).collect(),
        }
    }

    /// The settings.
    pub fn config(&self) -> &RecommendConfig {
        &self.config
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn LearnerStore> {
        &self.store
    }

    /// The recommender index of `snapshot`, built once per snapshot version.
    pub fn index(&self, snapshot: &Snapshot) -> Arc<RecommendIndex> {
        if let Some(index) = self.index.load_full() {
            if index.version() == snapshot.version() {
                return index;
            }
        }
        let index = Arc::new(RecommendIndex::new(snapshot));
        self.index.store(Some(index.clone()));
        index
    }

    fn shard(learner: &str) -> usize {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        learner.hash(&mut h);
        (h.finish() % 64) as usize
    }

    fn lock(&self, learner: &str) -> std::sync::MutexGuard<'_, ()> {
        self.locks[Self::shard(learner)].lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn cache_shard(&self, learner: &str) -> std::sync::MutexGuard<'_, CacheShard> {
        self.cache[Self::shard(learner)].lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Drops a learner's cached vector after a write.
    fn invalidate(&self, learner: &str) {
        let mut shard = self.cache_shard(learner);
        shard.generation += 1;
        shard.entries.remove(learner);
    }

    /// The learner's mastery vector resolved against `snapshot`, from the cache when fresh.
    pub fn resolved(&self, snapshot: &Snapshot, learner: &str) -> Result<Arc<Mastery>, LearnerError> {
        let generation = {
            let shard = self.cache_shard(learner);
            if let Some((version, mastery)) = shard.entries.get(learner) {
                if *version == snapshot.version() {
                    return Ok(mastery.clone());
                }
            }
            shard.generation
        };
        let mastery = Arc::new(self.store.load(learner)?.resolve(snapshot));
        let mut shard = self.cache_shard(learner);
        if shard.generation == generation {
            if shard.entries.len() >= CACHE_PER_SHARD {
                shard.entries.clear();
            }
            shard.entries.insert(learner.to_owned(), (snapshot.version(), mastery.clone()));
        }
        Ok(mastery)
    }

    /// Checks a batch of events (see [`check_events`]) and, if every one is valid, applies them
    /// in order with BKT and propagation and stores the log and the new beliefs atomically.
    pub fn record(
        &self,
        snapshot: &Snapshot,
        learner: &str,
        events: &[Value],
        now: i64,
    ) -> Result<RecordReport, LearnerError> {
        crate::store::check_learner_id(learner)?;
        let checked = check_events(snapshot, events, now).map_err(LearnerError::InvalidEvents)?;
        let _guard = self.lock(learner);
        let mut state = self.store.load(learner)?;
        let mut touched: Vec<NodeId> = Vec::new();
        let mut predictions = Vec::new();
        for (i, event) in checked.iter().enumerate() {
            for obs in &event.observations {
                predictions.push(EventPrediction {
                    event: i,
                    node: obs.node,
                    p_correct: state.predict(snapshot, obs.node, obs.time),
                    mastery: state
                        .get(snapshot, obs.node)
                        .recall(obs.time, crate::bkt::half_life_days(snapshot.attrs(obs.node))),
                });
                touched.extend(state.observe(snapshot, *obs));
            }
        }
        touched.sort();
        touched.dedup();
        let mut mastery: Vec<(String, NodeMastery)> =
            touched.iter().map(|&n| (snapshot.iri(n).to_owned(), state.get(snapshot, n))).collect();
        let updated = mastery.iter().map(|(iri, m)| (iri.clone(), m.p)).collect();
        // The learner-level ability entry is stored beside the beliefs.
        if let Some(ability) = state.stored(crate::model::ABILITY_KEY) {
            mastery.push((crate::model::ABILITY_KEY.to_owned(), ability));
        }
        let write =
            LearnerWrite { events: checked.into_iter().map(|e| e.stored).collect(), mastery, replace_mastery: false };
        let accepted = write.events.len();
        self.store.write(learner, write)?;
        self.invalidate(learner);
        Ok(RecordReport { accepted, updated, predictions })
    }

    /// Replaces the learner's mastery vector (placement tests, imports). Every node id must
    /// resolve and every probability lie in [0, 1]; otherwise nothing changes.
    pub fn set_mastery(
        &self,
        snapshot: &Snapshot,
        learner: &str,
        entries: &[(String, f32)],
        now: i64,
    ) -> Result<LearnerState, LearnerError> {
        crate::store::check_learner_id(learner)?;
        let mut rows = Vec::with_capacity(entries.len());
        for (id, p) in entries {
            let node = snapshot
                .resolve(id)
                .map_err(|e| LearnerError::InvalidMastery { node: id.clone(), message: e.to_string() })?;
            if !(0.0..=1.0).contains(p) {
                return Err(LearnerError::InvalidMastery {
                    node: id.clone(),
                    message: format!("{p} is not a probability in [0, 1]"),
                });
            }
            let m = NodeMastery { last_practised: Some(now), ..NodeMastery::belief(*p) };
            rows.push((snapshot.iri(node).to_owned(), m));
        }
        let _guard = self.lock(learner);
        let state = LearnerState::from_entries(rows.iter().map(|(iri, m)| (iri.as_str(), *m)));
        self.store.write(learner, LearnerWrite { events: Vec::new(), mastery: rows, replace_mastery: true })?;
        self.invalidate(learner);
        Ok(state)
    }

    /// The learner's mastery vector.
    pub fn mastery(&self, learner: &str) -> Result<LearnerState, LearnerError> {
        Ok(self.store.load(learner)?)
    }

    /// What the model predicts now for the learner on each node: the probability of a correct
    /// answer (BKT's forward prediction moved by the learner's ability), of mastery, the recall at `now`, and the parameters
    /// behind them. O(nodes) after loading the learner.
    pub fn predict(
        &self,
        snapshot: &Snapshot,
        learner: &str,
        nodes: &[NodeId],
        now: i64,
    ) -> Result<Vec<Prediction>, LearnerError> {
        crate::store::check_learner_id(learner)?;
        let state = self.store.load(learner)?;
        Ok(nodes
            .iter()
            .map(|&node| {
                let m = state.get(snapshot, node);
                let half_life_days = crate::bkt::half_life_days(snapshot.attrs(node));
                Prediction {
                    node,
                    p_correct: state.predict(snapshot, node, now),
                    mastery: m.p,
                    recall: m.recall(now, half_life_days),
                    params: crate::bkt::default_params(snapshot.attrs(node)),
                    half_life_days,
                    half_life_fitted: snapshot.attrs(node).bkt_half_life.is_some(),
                    fitted: snapshot.attrs(node).bkt.is_some(),
                    ability_weight: crate::bkt::ability_weight(snapshot.attrs(node)) as f32,
                    ability: state.ability() as f32,
                    attempts: m.attempts,
                }
            })
            .collect())
    }

    /// Next steps for a learner whose vector was resolved with [`Learners::resolved`] (see
    /// [`next_steps`]): a caller that keys a cache on that vector computes from the same one.
    pub fn next(&self, snapshot: &Snapshot, mastery: &Mastery, request: &NextRequest) -> Vec<Recommendation> {
        next_steps(snapshot, &self.index(snapshot), mastery, request, &self.config)
    }

    /// A learning path for the learner (see [`plan_path`]).
    pub fn path(
        &self,
        snapshot: &Snapshot,
        learner: &str,
        goals: &[NodeId],
        budget_minutes: Option<f32>,
    ) -> Result<LearningPath, LearnerError> {
        let mastery = self.resolved(snapshot, learner)?;
        let index = self.index(snapshot);
        Ok(plan_path(snapshot, &index, &mastery, goals, budget_minutes, &self.config)?)
    }

    /// Erases everything stored about the learner.
    pub fn erase(&self, learner: &str) -> Result<bool, LearnerError> {
        let _guard = self.lock(learner);
        let found = self.store.erase(learner)?;
        self.invalidate(learner);
        Ok(found)
    }

    /// Moves stored learners to new ids ([`LearnerStore::rename`]); meant for the moment a
    /// store opens, before it serves (the cache is emptied, but writes racing it are not held).
    pub fn rename_stored(&self, map: crate::store::RenameMap) -> Result<bool, LearnerError> {
        let moved = self.store.rename(map)?;
        for shard in &self.cache {
            let mut shard = shard.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            shard.generation += 1;
            shard.entries.clear();
        }
        Ok(moved)
    }
}
