//! The learner model: a sparse mastery vector, updated from evidence by BKT and propagated
//! through the prerequisite graph.
//!
//! ## Propagation rule
//! Knowledge is taken to be closed under prerequisites, as in knowledge-space theory (the
//! model behind ALEKS): who knows a node knows what it requires. An observation on node `n`
//! moves the belief `p(n)` by [`bkt_update`]; the same observation is then evidence about the
//! nodes linked to `n` by `requires` paths, and each of them gets its exact Bayesian posterior
//! under a two-node model of the link:
//!
//! - **success** (score ≥ 0.5) is evidence for every *transitive prerequisite* `q` of `n`;
//! - **failure** (score < 0.5) is evidence against every *transitive dependent* `d` of `n`
//!   that holds a belief, reached through nodes that hold one (nodes at their prior keep it, so
//!   that a failure on a foundation neither writes a belief for everything built on it nor
//!   walks all of it; successes write beliefs for whole closures, so what a learner showed
//!   knowledge of is connected).
//!
//! (The two other directions, success for dependents and failure for prerequisites, are weak
//! under the closure and are left out.)
//!
//! **The link.** Along a path of `h` edges of weights `w₁ … w_h` the *strength* is
//! `r = Π CLOSURE · wᵢ` ([`CLOSURE`] = 0.95 per edge of weight 1; the strongest path counts):
//! with probability `r` the closure holds, otherwise the two nodes are independent. For a
//! prerequisite with belief `l` of a node with belief `u`, that is
//! `P(prerequisite | dependent known) = r + (1 − r) · l`, and the joint belief that both are
//! known is `j = u · (r + (1 − r) · l)`. A prerequisite believed less known than that allows
//! (`j > l`) is read at the least consistent value, `l = u·r / (1 − u + u·r)`: the closure
//! trusts the dependent. With `a = p(n)` before the observation, `x` the other node's belief
//! and `n`'s slip `S` and guess `G`, the other node's belief becomes
//!
//! ```text
//! correct:   P(x | right) = (j (1 − S) + (x − j) G)   / (a (1 − S) + (1 − a) G)
//! incorrect: P(x | wrong) = (j S + (x − j) (1 − G))   / (a S + (1 − a) (1 − G))
//! ```
//! mixed by the score as [`posterior`](crate::posterior) does. There is no learning
//! transition for linked nodes: they were not practised. With `r = 1` and equal beliefs a
//! prerequisite moves exactly as `n`'s own posterior; it moves less the weaker the link.
//!
//! **Cost.** The walk visits linked nodes strongest link first (a best-first search on `r`),
//! writes only the nodes whose belief moves by more than 10⁻⁴, goes on only through those
//! (a belief that already accounts for the evidence passed it on when it was formed), and
//! stops after [`MAX_PROPAGATION`] nodes: one event costs O(K · degree · log(K · degree)) with
//! K = 256, whatever the graph.
//!
//! ## The observed node
//! The observed node's belief moves by one step of BKT with forgetting
//! ([`bkt_step_logit`], equations in the `bkt` module), from the log-odds stored in
//! [`NodeMastery::logit`], with the node's fitted parameters (or its defaults): the same model
//! and arithmetic as the fit, so what is served for a sequence is the fitted model's forward
//! pass. No clamp acts on the belief.
//!
//! ## Forgetting
//! Per practice opportunity, forgetting is the fitted `F` of the node's BKT parameters. In
//! time, [`NodeMastery::recall`] estimates what is left of a belief at a given time with a
//! half-life that doubles with each correct practice (14 days after the first); the `next`
//! ranking schedules reviews from it. Stored beliefs do not decay with time.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rustc_hash::FxHashMap as HashMap;
use std::sync::Arc;

use tupu_graph::{BktParams, NodeId, Relation, Snapshot};

use crate::bkt::{Belief, bkt_step_logit, default_params, logit, sigmoid};

/// Seconds in a day.
pub const DAY: i64 = 86_400;

/// Strength of the prerequisite closure along one `requires` edge of weight 1: the probability
/// that the closure holds for that link rather than the two nodes being independent. Below 1
/// because curricula are not perfect knowledge spaces; a path of `h` such edges has `0.95^h`.
pub const CLOSURE: f32 = 0.95;

/// Most linked nodes one observation updates (see the module documentation).
pub const MAX_PROPAGATION: usize = 256;

/// Smallest change of belief that is written.
const EPSILON: f32 = 1e-4;
/// What is known about one node for one learner.
#[derive(Copy, Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NodeMastery {
    /// Probability of mastery: `σ(logit)`.
    pub p: f32,
    /// The model's state: log-odds of mastery (NaN in entries written before it was kept:
    /// then `p` counts, see [`NodeMastery::log_odds`]).
    #[serde(default = "nan")]
    pub logit: f32,
    /// Unix time (seconds) of the last practice, if the node was practised.
    pub last_practised: Option<i64>,
    /// Practice opportunities observed.
    pub attempts: u32,
    /// Of which correct (score ≥ 0.5).
    pub correct: u32,
}

fn nan() -> f32 {
    f32::NAN
}

impl NodeMastery {
    /// A belief with no practice behind it.
    pub fn belief(p: f32) -> Self {
        Self { p, logit: logit(p), last_practised: None, attempts: 0, correct: 0 }
    }

    /// The log-odds of mastery the model steps from.
    #[inline]
    pub fn log_odds(&self) -> f32 {
        if self.logit.is_nan() { logit(self.p) } else { self.logit }
    }

    /// Sets the belief from log-odds (and `p` from them).
    #[inline]
    pub fn set_logit(&mut self, logit: f32) {
        self.logit = logit;
        self.p = sigmoid(logit);
    }

    /// Sets the belief from a probability.
    #[inline]
    pub fn set_p(&mut self, p: f32) {
        self.p = p;
        self.logit = logit(p);
    }

    /// Half-life of recall in seconds: 14 days, doubled by each correct practice (up to 6).
    pub fn half_life(&self) -> i64 {
        14 * DAY << self.correct.saturating_sub(1).min(6)
    }

    /// Whether [`NodeMastery::recall`] at `now` is at least `threshold`, without computing it
    /// when a bound settles it: `2^(−x) ≥ 1 − x · ln 2`, so a short time since practice keeps
    /// the recall above the threshold.
    #[inline]
    pub fn recalls_at_least(&self, now: i64, threshold: f32) -> bool {
        if self.p < threshold {
            return false;
        }
        match self.last_practised {
            Some(t) if now > t => {
                let x = (now - t) as f32 / self.half_life() as f32;
                x * std::f32::consts::LN_2 <= 1.0 - threshold / self.p || self.recall(now) >= threshold
            }
            _ => true,
        }
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

/// Key of the learner-level entry of [`LearnerState::nodes`] that holds the learner's ability
/// (see [`ModelOptions::ability_weight`]); it names no node, so resolving a vector drops it.
pub const ABILITY_KEY: &str = "urn:tupu:learner:ability";

/// Pseudo-answers, at the model's own expectation, of the ability estimate.
pub const ABILITY_PSEUDO_ANSWERS: f32 = 5.0;

/// Settings of the learner model beyond each node's BKT parameters.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct ModelOptions {
    /// Weight, in log-odds, of the learner's ability on the prior of a node they hold no
    /// belief for. The ability is `z = (c − e) / (n + k)` over the learner's first answers on
    /// nodes: `n` of them, `c` right, `e` the right answers the model expected (the sum of its
    /// predictions), `k` = [`ABILITY_PSEUDO_ANSWERS`]; the prior's log-odds move by `w · z`.
    /// 0 turns it off.
    pub ability_weight: f32,
}

impl Default for ModelOptions {
    /// The served settings: no ability weight (see [`ABILITY_WEIGHT`]).
    fn default() -> Self {
        Self { ability_weight: ABILITY_WEIGHT }
    }
}

/// The default [`ModelOptions::ability_weight`]: 0, off. Cross-validated on the ASSISTments
/// 2009 training learners (`benches/tests/datasets.rs`), a weight of 10 raises next-response
/// AUC from 0.815 to 0.819, but on the policy simulator (`benches/tests/evaluation.rs`) it
/// lowers what next steps teach below the promised 1.2× of the best baseline, so it stays off
/// until next steps are tuned with it.
pub const ABILITY_WEIGHT: f32 = 0.0;

impl LearnerState {
    /// The belief for `node`, or its prior when nothing is known.
    pub fn get(&self, snapshot: &Snapshot, node: NodeId) -> NodeMastery {
        self.get_with(snapshot, node, &ModelOptions::default())
    }

    /// [`LearnerState::get`] with explicit model settings.
    /// The entry of a node it replaces or matches exactly may count (see the `carry` module).
    pub fn get_with(&self, snapshot: &Snapshot, node: NodeId, options: &ModelOptions) -> NodeMastery {
        match crate::carry::counted(&self.nodes, snapshot, node) {
            Some((m, _)) => m,
            None => {
                let prior = default_params(snapshot.attrs(node)).prior;
                let mut m = NodeMastery::belief(prior);
                let shift = options.ability_weight * self.ability();
                if shift != 0.0 {
                    m.set_logit(m.logit + shift);
                }
                m
            }
        }
    }

    /// The learner's ability `z` (see [`ModelOptions::ability_weight`]): 0 without first
    /// answers, positive when they answer better than the model expects.
    pub fn ability(&self) -> f32 {
        self.nodes.get(ABILITY_KEY).map_or(0.0, |a| {
            let n = a.attempts as f32;
            (a.correct as f32 - a.p * n) / (n + ABILITY_PSEUDO_ANSWERS)
        })
    }

    /// Probability that the learner answers `node` correctly now: `P(L)(1 − S) + (1 − P(L)) G`
    /// with the node's effective parameters, from the stored log-odds (the fitted model's
    /// forward prediction, see the `bkt` module). O(1).
    pub fn predict(&self, snapshot: &Snapshot, node: NodeId) -> f32 {
        self.predict_with(snapshot, node, &ModelOptions::default())
    }

    /// [`LearnerState::predict`] with explicit model settings.
    pub fn predict_with(&self, snapshot: &Snapshot, node: NodeId, options: &ModelOptions) -> f32 {
        let params = default_params(snapshot.attrs(node));
        let logit = self.get_with(snapshot, node, options).log_odds();
        Belief::from_logit(logit).p_correct(&(&params).into()) as f32
    }

    /// Counts a first answer on a node toward the ability estimate: `p` is the probability
    /// of a right answer the model gave it.
    fn count_first_answer(&mut self, p: f32, right: bool) {
        let entry = self.nodes.entry(Arc::from(ABILITY_KEY)).or_insert(NodeMastery {
            p: 0.0,
            logit: 0.0,
            last_practised: None,
            attempts: 0,
            correct: 0,
        });
        // `p` holds the mean expectation, so that the entry stays a probability.
        let n = entry.attempts as f32;
        entry.p = (entry.p * n + p) / (n + 1.0);
        entry.attempts += 1;
        entry.correct += u32::from(right);
    }

    /// The stored entry that counts for `node`, and the equivalent node it was carried from
    /// (`None`: the node's own); `None` when there is none (see the `carry` module).
    pub fn entry(&self, snapshot: &Snapshot, node: NodeId) -> Option<(NodeMastery, Option<NodeId>)> {
        crate::carry::counted(&self.nodes, snapshot, node)
    }

    /// The vector resolved against a snapshot (nodes no longer in the graph are left out); the
    /// replacements and the exact matches of a node with an entry get the entry that counts for
    /// them (see the `carry` module).
    pub fn resolve(&self, snapshot: &Snapshot) -> Mastery {
        let mut entries: Vec<(NodeId, NodeMastery)> = self
            .nodes
            .iter()
            .filter_map(|(iri, m)| snapshot.node_by_iri(iri.as_ref()).map(|node| (node, *m)))
            .collect();
        let mut heirs: Vec<NodeId> = entries.iter().flat_map(|&(n, _)| crate::carry::heirs(snapshot, n)).collect();
        if !heirs.is_empty() {
            heirs.sort_unstable();
            heirs.dedup();
            // Later entries win in `from_entries`.
            entries.extend(heirs.into_iter().filter_map(|h| self.entry(snapshot, h).map(|(m, _)| (h, m))));
        }
        Mastery::from_entries(entries)
    }

    /// Applies one observation with BKT and the propagation rule (see the module
    /// documentation); returns the nodes whose belief changed, the observed node first.
    ///
    /// # Complexity
    /// O(K · degree · log(K · degree)) with K = [`MAX_PROPAGATION`].
    pub fn observe(&mut self, snapshot: &Snapshot, obs: Observation) -> Vec<NodeId> {
        self.observe_with(snapshot, obs, &ModelOptions::default())
    }

    /// [`LearnerState::observe`] with explicit model settings.
    pub fn observe_with(&mut self, snapshot: &Snapshot, obs: Observation, options: &ModelOptions) -> Vec<NodeId> {
        let params = default_params(snapshot.attrs(obs.node));
        let mut m = self.get_with(snapshot, obs.node, options);
        if m.attempts == 0 {
            let expected = Belief::from_logit(m.log_odds()).p_correct(&(&params).into()) as f32;
            self.count_first_answer(expected, obs.score >= 0.5);
        }
        let a = m.p;
        m.set_logit(bkt_step_logit(m.log_odds(), obs.score, &params));
        m.attempts += 1;
        if obs.score >= 0.5 {
            m.correct += 1;
        }
        m.last_practised = Some(m.last_practised.map_or(obs.time, |t| t.max(obs.time)));
        self.nodes.insert(snapshot.iri_arc(obs.node).clone(), m);
        let mut touched = vec![obs.node];
        let success = obs.score >= 0.5;
        // Success walks down to the prerequisites (`requires` edges out), failure up to the
        // dependents (edges in).
        let edges = |x: NodeId| {
            if success { snapshot.out(x, Relation::Requires) } else { snapshot.inc(x, Relation::Requires) }
        };
        let nodes = &mut self.nodes;
        walk_linked(obs.node, edges, |x, r| {
            let stored = crate::carry::counted(nodes, snapshot, x).map(|(m, _)| m);
            // A failure only reaches nodes that hold a belief (see the module documentation).
            if !success && stored.is_none() {
                return false;
            }
            let mut mx = stored.unwrap_or_else(|| NodeMastery::belief(default_params(snapshot.attrs(x)).prior));
            let after = if success {
                // `x` is a prerequisite of the observed node.
                let b = consistent(mx.p, a, r);
                linked_posterior(a, b, a * (r + (1.0 - r) * b), obs.score, &params)
            } else {
                // `x` requires the observed node.
                let c = mx.p;
                let a = consistent(a, c, r);
                linked_posterior(a, c, c * (r + (1.0 - r) * a), obs.score, &params)
            };
            if (after - mx.p).abs() <= EPSILON {
                return false;
            }
            mx.set_p(after);
            nodes.insert(snapshot.iri_arc(x).clone(), mx);
            touched.push(x);
            true
        });
        touched
    }
}

/// Visits the nodes reachable from `start` by `edges`, strongest path first, each once with the
/// strength of its strongest path (`Π CLOSURE · weight`); the walk goes on through a node only
/// when `visit` returns true, and stops after [`MAX_PROPAGATION`] visits.
fn walk_linked<'s>(
    start: NodeId,
    edges: impl Fn(NodeId) -> &'s [tupu_graph::Edge],
    mut visit: impl FnMut(NodeId, f32) -> bool,
) {
    // Strengths are positive, so the order of their bit patterns is their numeric order; ties
    // go to the smaller node id, so the walk is deterministic.
    let mut heap: BinaryHeap<(u32, Reverse<NodeId>)> = BinaryHeap::new();
    let mut done: rustc_hash::FxHashSet<NodeId> = rustc_hash::FxHashSet::default();
    done.insert(start);
    let push = |heap: &mut BinaryHeap<_>, from: NodeId, r: f32| {
        for e in edges(from) {
            let s = r * CLOSURE * e.weight.clamp(0.0, 1.0);
            if s > 0.0 {
                heap.push((s.to_bits(), Reverse(e.node)));
            }
        }
    };
    push(&mut heap, start, 1.0);
    let mut visits = 0;
    while let Some((bits, Reverse(x))) = heap.pop() {
        if visits >= MAX_PROPAGATION {
            break;
        }
        if !done.insert(x) {
            continue;
        }
        visits += 1;
        let r = f32::from_bits(bits);
        if visit(x, r) {
            push(&mut heap, x, r);
        }
    }
}

/// The belief in a prerequisite, raised if needed to the least value consistent with the
/// belief `upper` in a node that requires it through a link of strength `r`:
/// `upper · (r + (1 − r) · lower) ≤ lower`.
fn consistent(lower: f32, upper: f32, r: f32) -> f32 {
    lower.max(upper * r / (1.0 - upper + upper * r).max(1e-9))
}

/// Belief in a linked node `x` after a score on the observed node `n` (see the module
/// documentation): `a = P(n)`, `x = P(x)`, `j = P(n ∧ x)`, with `n`'s slip and guess.
fn linked_posterior(a: f32, x: f32, j: f32, score: f32, params: &BktParams) -> f32 {
    let (s, g) = (params.slip, params.guess);
    let right = (j * (1.0 - s) + (x - j) * g) / (a * (1.0 - s) + (1.0 - a) * g).max(1e-9);
    let wrong = (j * s + (x - j) * (1.0 - g)) / (a * s + (1.0 - a) * (1.0 - g)).max(1e-9);
    (score * right + (1.0 - score) * wrong).clamp(0.0, 1.0)
}

/// A mastery vector resolved against one snapshot: what the algorithms read.
///
/// Entries are kept sorted by node, with the beliefs in a vector of their own: the scans of
/// [`next_steps`](crate::next_steps) read a learner's whole vector on every request, and a
/// few contiguous kilobytes read in order cost far less than a hash table's scattered slots
/// when the learner's data is not in cache (the usual case on a server with many learners).
/// A lookup is a binary search.
#[derive(Clone, Debug, Default)]
pub struct Mastery {
    /// Nodes with an entry, ascending.
    nodes: Vec<NodeId>,
    /// Their beliefs, in the same order.
    ps: Vec<f32>,
    /// Their entries, in the same order.
    entries: Vec<NodeMastery>,
}

impl Mastery {
    /// From explicit entries (for a node given twice, the last entry counts).
    pub fn from_entries(entries: impl IntoIterator<Item = (NodeId, NodeMastery)>) -> Self {
        let mut all: Vec<(NodeId, NodeMastery)> = entries.into_iter().collect();
        all.sort_by_key(|e| e.0);
        let mut out = Self {
            nodes: Vec::with_capacity(all.len()),
            ps: Vec::with_capacity(all.len()),
            entries: Vec::with_capacity(all.len()),
        };
        for (node, m) in all {
            if out.nodes.last() == Some(&node) {
                *out.ps.last_mut().expect("same length") = m.p;
                *out.entries.last_mut().expect("same length") = m;
            } else {
                out.nodes.push(node);
                out.ps.push(m.p);
                out.entries.push(m);
            }
        }
        out
    }

    #[inline]
    fn find(&self, node: NodeId) -> Option<usize> {
        self.nodes.binary_search(&node).ok()
    }

    /// The stored belief for `node`, if any.
    #[inline]
    pub fn entry(&self, node: NodeId) -> Option<&NodeMastery> {
        self.find(node).map(|i| &self.entries[i])
    }

    /// The probability of mastery of `node` (its prior when nothing is known).
    #[inline]
    pub fn p(&self, snapshot: &Snapshot, node: NodeId) -> f32 {
        match self.find(node) {
            Some(i) => self.ps[i],
            None => default_params(snapshot.attrs(node)).prior,
        }
    }

    /// Every node with an entry, ascending.
    pub fn entries(&self) -> impl Iterator<Item = (NodeId, &NodeMastery)> {
        self.nodes.iter().copied().zip(&self.entries)
    }

    /// Every node with an entry and its belief, ascending: the cheapest scan.
    pub fn beliefs(&self) -> impl Iterator<Item = (NodeId, f32)> + '_ {
        self.nodes.iter().copied().zip(self.ps.iter().copied())
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether there is no entry.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tupu_graph::{NodeKind, Relation, SnapshotBuilder};

    fn chain_of(len: usize, weight: f32) -> (Snapshot, Vec<NodeId>) {
        let mut b = SnapshotBuilder::new();
        let ids: Vec<NodeId> =
            (0..len).map(|i| b.node(&format!("https://e.org/n{i}"), NodeKind::KnowledgePoint)).collect();
        for w in ids.windows(2) {
            b.edge(Relation::Requires, w[1], w[0], weight);
        }
        (b.build(1), ids)
    }

    fn right(node: NodeId) -> Observation {
        Observation { node, score: 1.0, time: 0 }
    }

    #[test]
    fn success_raises_every_prerequisite_less_with_each_hop() {
        let (s, ids) = chain_of(4, 1.0);
        let mut state = LearnerState::default();
        let prior = state.get(&s, ids[0]).p;
        let touched = state.observe(&s, right(ids[3]));
        assert_eq!(touched, vec![ids[3], ids[2], ids[1], ids[0]]);
        let p: Vec<f32> = ids.iter().map(|&x| state.get(&s, x).p).collect();
        assert!(prior < p[0] && p[0] < p[1] && p[1] < p[2] && p[2] < p[3], "{p:?}");
        assert_eq!(state.get(&s, ids[3]).attempts, 1);
        assert_eq!(state.get(&s, ids[2]).attempts, 0, "a prerequisite was not practised");
    }

    #[test]
    fn a_full_closure_moves_a_prerequisite_like_the_node_itself() {
        let params = default_params(&tupu_graph::NodeAttrs::default());
        for a in [0.1f32, 0.5, 0.9] {
            for score in [0.0f32, 0.5, 1.0] {
                let linked = linked_posterior(a, a, a, score, &params);
                assert!((linked - crate::bkt::posterior(a, score, &params)).abs() < 1e-5, "{a} {score}");
            }
        }
        // Independence (r = 0): the answer says nothing about the other node.
        let b = 0.3;
        assert!((linked_posterior(0.6, b, 0.6 * b, 1.0, &params) - b).abs() < 1e-6);
    }

    #[test]
    fn correct_answers_on_a_node_confirm_its_prerequisites() {
        let (s, ids) = chain_of(6, 1.0);
        let mut state = LearnerState::default();
        for _ in 0..3 {
            state.observe(&s, right(ids[5]));
        }
        for &x in &ids[2..] {
            assert!(state.get(&s, x).p >= 0.85, "{x:?}: {}", state.get(&s, x).p);
        }
        // The same answers on the first node say nothing about the rest.
        let mut other = LearnerState::default();
        for _ in 0..3 {
            other.observe(&s, right(ids[0]));
        }
        let mut keys: Vec<&str> = other.nodes.keys().map(|k| k.as_ref()).collect();
        keys.sort();
        assert_eq!(keys, [s.iri(ids[0]), ABILITY_KEY]);
    }

    #[test]
    fn a_weightless_edge_carries_no_evidence() {
        let (s, ids) = chain_of(3, 0.0);
        let mut state = LearnerState::default();
        assert_eq!(state.observe(&s, right(ids[2])), vec![ids[2]]);
    }

    #[test]
    fn failure_lowers_dependents_with_beliefs_only() {
        let (s, ids) = chain_of(5, 1.0);
        let mut state = LearnerState::default();
        for (i, p) in [(2, 0.8), (3, 0.9)] {
            state.nodes.insert(s.iri_arc(ids[i]).clone(), NodeMastery::belief(p));
        }
        let touched = state.observe(&s, Observation { node: ids[1], score: 0.0, time: 0 });
        assert_eq!(touched, vec![ids[1], ids[2], ids[3]], "n4 keeps its prior, n0 is a prerequisite");
        assert!(!state.nodes.contains_key(s.iri(ids[4])));
        let p3 = state.get(&s, ids[3]).p;
        assert!(p3 < 0.7, "{p3}");
        assert!(p3 > 0.3, "one wrong answer is not proof: {p3}");
        // A second failure lowers it further.
        state.observe(&s, Observation { node: ids[1], score: 0.0, time: 3_600 });
        assert!(state.get(&s, ids[3]).p < p3);
        // The walk goes through believed nodes only: n3 is out of reach behind n2's prior.
        let mut gap = LearnerState::default();
        gap.nodes.insert(s.iri_arc(ids[3]).clone(), NodeMastery::belief(0.9));
        assert_eq!(gap.observe(&s, Observation { node: ids[1], score: 0.0, time: 0 }), vec![ids[1]]);
    }

    #[test]
    fn one_event_touches_a_bounded_number_of_nodes() {
        // A node with 400 prerequisites, each with one of its own.
        let mut b = SnapshotBuilder::new();
        let top = b.node("https://e.org/top", NodeKind::KnowledgePoint);
        for i in 0..400 {
            let mid = b.node(&format!("https://e.org/m{i}"), NodeKind::KnowledgePoint);
            let low = b.node(&format!("https://e.org/l{i}"), NodeKind::KnowledgePoint);
            b.edge(Relation::Requires, top, mid, 1.0);
            b.edge(Relation::Requires, mid, low, 1.0);
        }
        let s = b.build(1);
        let mut state = LearnerState::default();
        let touched = state.observe(&s, right(top));
        assert_eq!(touched.len(), 1 + MAX_PROPAGATION);
        // Strongest links first: every direct prerequisite before any at two hops.
        assert!(touched[1..].iter().all(|&x| s.iri(x).contains("/m")));
    }

    #[test]
    fn recall_halves_after_a_half_life() {
        let m = NodeMastery { last_practised: Some(0), attempts: 1, correct: 1, ..NodeMastery::belief(0.9) };
        let r = m.recall(m.half_life());
        assert!((r - 0.45).abs() < 1e-3);
        assert_eq!(m.recall(-5), 0.9);
    }

    #[test]
    fn the_recall_bound_agrees_with_the_recall() {
        for p in [0.5f32, 0.86, 0.9, 0.99, 1.0] {
            for correct in [0, 1, 3, 9] {
                let m = NodeMastery {
                    last_practised: Some(1_000),
                    attempts: correct.max(1),
                    correct,
                    ..NodeMastery::belief(p)
                };
                for dt in [0i64, 1, 60, 3_600, DAY, 3 * DAY, 14 * DAY, 60 * DAY, 900 * DAY] {
                    for threshold in [0.5f32, 0.85, 0.95] {
                        let now = 1_000 + dt;
                        assert_eq!(
                            m.recalls_at_least(now, threshold),
                            m.recall(now) >= threshold,
                            "{m:?} {dt} {threshold}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn a_resolved_vector_is_sorted_and_the_last_entry_counts() {
        let (s, ids) = chain_of(4, 1.0);
        let m = Mastery::from_entries([
            (ids[2], NodeMastery::belief(0.2)),
            (ids[0], NodeMastery::belief(0.9)),
            (ids[2], NodeMastery::belief(0.7)),
        ]);
        assert_eq!(m.len(), 2);
        assert_eq!(m.beliefs().collect::<Vec<_>>(), vec![(ids[0], 0.9), (ids[2], 0.7)]);
        assert_eq!(m.entry(ids[2]).map(|e| e.p), Some(0.7));
        assert!(m.entry(ids[1]).is_none());
        assert_eq!(m.p(&s, ids[1]), default_params(s.attrs(ids[1])).prior);
    }
}
