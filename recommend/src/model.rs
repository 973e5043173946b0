//! The learner model: a sparse mastery vector, updated from evidence by BKT and propagated
//! through the prerequisite graph.
//!
//! ## Propagation rule
//! An observation on node `n` moves the belief `p(n)` by [`bkt_update`]. Then:
//! - **success** (score ≥ 0.5): each direct prerequisite `q` of `n` is raised towards the new
//!   `p(n)`: `p(q) += 0.5 · score · max(0, p(n) − p(q))`. Doing `n` well is evidence that its
//!   prerequisites are known; a prerequisite is never raised above `p(n)` by this rule.
//! - **failure** (score < 0.5): each node `d` that directly requires `n` is lowered towards
//!   the new `p(n)`: `p(d) −= 0.5 · (1 − score) · max(0, p(d) − p(n))`. One cannot know `d`
//!   much better than a prerequisite one fails; `d` is never lowered below `p(n)`.
//!
//! Each touched node costs O(1); an event touches `n` and its direct neighbours only.
//!
//! ## Forgetting
//! Stored beliefs do not decay; [`NodeMastery::recall`] estimates what is left at a given time
//! with a half-life that doubles with each correct practice (14 days after the first), and the
//! `next` ranking schedules reviews from it.

use rustc_hash::FxHashMap as HashMap;
use std::sync::Arc;

use tupu_graph::{NodeId, Snapshot};

use crate::bkt::{bkt_update, default_params};

/// Seconds in a day.
pub const DAY: i64 = 86_400;

/// What is known about one node for one learner.
#[derive(Copy, Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NodeMastery {
    /// Probability of mastery.
    pub p: f32,
    /// Unix time (seconds) of the last practice, if the node was practised.
    pub last_practised: Option<i64>,
    /// Practice opportunities observed.
    pub attempts: u32,
    /// Of which correct (score ≥ 0.5).
    pub correct: u32,
}

impl NodeMastery {
    /// A belief with no practice behind it.
    pub fn belief(p: f32) -> Self {
        Self { p, last_practised: None, attempts: 0, correct: 0 }
    }

    /// Half-life of recall in seconds: 14 days, doubled by each correct practice (up to 6).
    pub fn half_life(&self) -> i64 {
        14 * DAY << self.correct.saturating_sub(1).min(6)
    }

    /// Estimated probability of mastery still held at `now`: `p · 2^(−Δt / half-life)`.
    pub fn recall(&self, now: i64) -> f32 {
        match self.last_practised {
            Some(t) if now > t => self.p * (-((now - t) as f32) / self.half_life() as f32).exp2(),
            _ => self.p,
        }
    }
}

/// One observation, resolved against a snapshot.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Observation {
    /// The node observed.
    pub node: NodeId,
    /// Score in [0, 1] (1 = correct).
    pub score: f32,
    /// Unix time in seconds.
    pub time: i64,
}

/// A learner's sparse mastery vector, keyed by node IRI so that it outlives snapshots. Keys
/// share the snapshot's IRI strings, so an update allocates nothing for known nodes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LearnerState {
    /// Nodes with evidence or derived belief.
    pub nodes: HashMap<Arc<str>, NodeMastery>,
}

impl LearnerState {
    /// The belief for `node`, or its prior when nothing is known.
    pub fn get(&self, snapshot: &Snapshot, node: NodeId) -> NodeMastery {
        self.nodes
            .get(snapshot.iri(node))
            .copied()
            .unwrap_or_else(|| NodeMastery::belief(default_params(snapshot.attrs(node)).prior))
    }

    /// The vector resolved against a snapshot (nodes no longer in the graph are left out).
    pub fn resolve(&self, snapshot: &Snapshot) -> Mastery {
        let mut map = HashMap::with_capacity_and_hasher(self.nodes.len(), Default::default());
        for (iri, m) in &self.nodes {
            if let Some(node) = snapshot.node_by_iri(iri.as_ref()) {
                map.insert(node, *m);
            }
        }
        Mastery { map }
    }

    /// Applies one observation with BKT and the propagation rule; returns the IRIs of the
    /// nodes whose belief changed.
    pub fn observe(&mut self, snapshot: &Snapshot, obs: Observation) -> Vec<NodeId> {
        let params = default_params(snapshot.attrs(obs.node));
        let mut m = self.get(snapshot, obs.node);
        m.p = bkt_update(m.p, obs.score, &params);
        m.attempts += 1;
        if obs.score >= 0.5 {
            m.correct += 1;
        }
        m.last_practised = Some(m.last_practised.map_or(obs.time, |t| t.max(obs.time)));
        let p = m.p;
        self.nodes.insert(snapshot.iri_arc(obs.node).clone(), m);
        let mut touched = vec![obs.node];
        if obs.score >= 0.5 {
            for q in snapshot.prerequisites(obs.node) {
                let mut mq = self.get(snapshot, q);
                let raise = 0.5 * obs.score * (p - mq.p).max(0.0);
                if raise > 1e-4 {
                    mq.p += raise;
                    self.nodes.insert(snapshot.iri_arc(q).clone(), mq);
                    touched.push(q);
                }
            }
        } else {
            for d in snapshot.dependents(obs.node) {
                let Some(md) = self.nodes.get_mut(snapshot.iri(d)) else {
                    continue;
                };
                let lower = 0.5 * (1.0 - obs.score) * (md.p - p).max(0.0);
                if lower > 1e-4 {
                    md.p -= lower;
                    touched.push(d);
                }
            }
        }
        touched
    }
}

/// A mastery vector resolved against one snapshot: what the algorithms read.
#[derive(Clone, Debug, Default)]
pub struct Mastery {
    map: HashMap<NodeId, NodeMastery>,
}

impl Mastery {
    /// From explicit entries.
    pub fn from_entries(entries: impl IntoIterator<Item = (NodeId, NodeMastery)>) -> Self {
        Self { map: entries.into_iter().collect() }
    }

    /// The stored belief for `node`, if any.
    #[inline]
    pub fn entry(&self, node: NodeId) -> Option<&NodeMastery> {
        self.map.get(&node)
    }

    /// The probability of mastery of `node` (its prior when nothing is known).
    #[inline]
    pub fn p(&self, snapshot: &Snapshot, node: NodeId) -> f32 {
        match self.map.get(&node) {
            Some(m) => m.p,
            None => default_params(snapshot.attrs(node)).prior,
        }
    }

    /// Every node with an entry.
    pub fn entries(&self) -> impl Iterator<Item = (NodeId, &NodeMastery)> {
        self.map.iter().map(|(n, m)| (*n, m))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether there is no entry.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tupu_graph::{NodeKind, Relation, SnapshotBuilder};

    fn chain() -> (Snapshot, Vec<NodeId>) {
        let mut b = SnapshotBuilder::new();
        let ids: Vec<NodeId> =
            (0..3).map(|i| b.node(&format!("https://e.org/n{i}"), NodeKind::KnowledgePoint)).collect();
        b.edge(Relation::Requires, ids[1], ids[0], 1.0);
        b.edge(Relation::Requires, ids[2], ids[1], 1.0);
        (b.build(1), ids)
    }

    #[test]
    fn success_raises_the_node_and_its_prerequisites() {
        let (s, ids) = chain();
        let mut state = LearnerState::default();
        let before = state.get(&s, ids[0]).p;
        let touched = state.observe(&s, Observation { node: ids[1], score: 1.0, time: 0 });
        assert_eq!(touched, vec![ids[1], ids[0]]);
        let p1 = state.get(&s, ids[1]).p;
        let p0 = state.get(&s, ids[0]).p;
        assert!(p0 > before && p0 <= p1);
        assert_eq!(state.get(&s, ids[1]).attempts, 1);
    }

    #[test]
    fn failure_lowers_dependents_with_belief() {
        let (s, ids) = chain();
        let mut state = LearnerState::default();
        state.nodes.insert(s.iri_arc(ids[2]).clone(), NodeMastery::belief(0.9));
        let touched = state.observe(&s, Observation { node: ids[1], score: 0.0, time: 0 });
        assert!(touched.contains(&ids[2]));
        let p2 = state.get(&s, ids[2]).p;
        assert!(p2 < 0.9 && p2 >= state.get(&s, ids[1]).p);
    }

    #[test]
    fn recall_halves_after_a_half_life() {
        let m = NodeMastery { p: 0.9, last_practised: Some(0), attempts: 1, correct: 1 };
        let r = m.recall(m.half_life());
        assert!((r - 0.45).abs() < 1e-3);
        assert_eq!(m.recall(-5), 0.9);
    }
}
