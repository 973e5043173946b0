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
//! K = 256, whatever the graph. Beliefs are read and written by dense node id (see
//! [`LearnerState`]); the walk queues a node again only through a stronger link, and its
//! buffers are kept from one observation to the next, so that a warm update allocates only
//! the list of nodes it returns.
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
//! time, mastery decays between practices with the node's half-life, doubled by each right
//! answer (equations in the `bkt` module): an answer steps from the belief decayed to its
//! time ([`NodeMastery::decayed`]), [`LearnerState::predict`] predicts from the belief decayed
//! to the time asked, and [`NodeMastery::recall`], the same belief now, is what the `next`
//! ranking schedules reviews from. The stored belief is the one just after the last practice;
//! beliefs written by propagation are not practice, and do not move the time it decays from.

use std::collections::BinaryHeap;

use rustc_hash::FxHashMap as HashMap;
use std::sync::Arc;

use tupu_graph::{BktParams, NodeId, Relation, Snapshot};

use crate::bkt::{Belief, bkt_step_logit, default_params, half_life_days, logit, sigmoid};

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
    /// The model's state: log-odds of mastery (NaN where the belief was set as a probability,
    /// by propagation or before log-odds were kept: then `p` counts, see
    /// [`NodeMastery::log_odds`]). JSON has no infinity or NaN: they are
    /// written as `null` and read back as NaN, which loses nothing, since `p` is then exactly
    /// 0 or 1 and gives the same log-odds.
    #[serde(default = "nan", deserialize_with = "nullable")]
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

/// A float, or NaN for `null` (see [`NodeMastery::logit`]).
fn nullable<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f32, D::Error> {
    Ok(<Option<f32> as serde::Deserialize>::deserialize(d)?.unwrap_or(f32::NAN))
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

    /// Sets the belief from a probability. Its log-odds are derived from `p` when they are
    /// needed ([`NodeMastery::log_odds`]), so that a write costs no logarithm: propagation
    /// writes many beliefs that are never stepped from.
    #[inline]
    pub fn set_p(&mut self, p: f32) {
        self.p = p;
        self.logit = f32::NAN;
    }

    /// Half-life in seconds of this mastery for a node of base half-life `base_days` (see
    /// [`crate::bkt::half_life_seconds`]): the base until the second right answer, doubled by
    /// each right answer after it (up to 6 times).
    pub fn half_life(&self, base_days: f64) -> f64 {
        crate::bkt::half_life_seconds(base_days, self.correct)
    }

    /// Whether [`NodeMastery::recall`] at `now` is at least `threshold`, without computing it
    /// when a bound settles it: `2^(−x) ≥ 1 − x · ln 2`, so a short time since practice keeps
    /// the recall above the threshold.
    #[inline]
    pub fn recalls_at_least(&self, now: i64, threshold: f32, base_days: f64) -> bool {
        if self.p < threshold {
            return false;
        }
        match self.last_practised {
            Some(t) if now > t => {
                let x = (now - t) as f64 / self.half_life(base_days);
                x * std::f64::consts::LN_2 <= 1.0 - f64::from(threshold / self.p)
                    || self.recall(now, base_days) >= threshold
            }
            _ => true,
        }
    }

    /// The probability of mastery now: the belief after the last practice, decayed through
    /// the time since (`r · P(L)`, see the `bkt` module), with the node's base half-life
    /// `base_days` ([`crate::bkt::half_life_days`]). The belief itself when the node was not
    /// practised or no time has passed.
    pub fn recall(&self, now: i64, base_days: f64) -> f32 {
        self.decayed(now, base_days).p
    }

    /// This entry with its belief decayed to `now` (see [`NodeMastery::recall`]): what the
    /// model steps from at an answer at `now`, and predicts from.
    #[inline]
    pub fn decayed(&self, now: i64, base_days: f64) -> Self {
        match self.last_practised {
            Some(t) if now > t => {
                let r = crate::bkt::retention(now - t, base_days, self.correct);
                let mut m = *self;
                m.set_logit(Belief::from_logit(self.log_odds()).decay(r).logit());
                m
            }
            _ => *self,
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

/// A learner's sparse mastery vector. Entries are stored by node IRI, so that the vector
/// outlives snapshots; while it is used with one snapshot it is *bound* to it and keeps the
/// entries of that snapshot's nodes under their dense [`NodeId`]s (each with its IRI for the
/// store), so that an update reads and writes beliefs without hashing or comparing IRIs.
///
/// **Binding.** [`LearnerState::observe`] binds the vector to its snapshot: O(entries) IRI
/// lookups when the snapshot differs from the last one, nothing otherwise. Reads
/// ([`LearnerState::get`], [`LearnerState::entry`], [`LearnerState::resolve`],
/// [`LearnerState::predict`]) on the bound snapshot cost one integer-keyed lookup per node;
/// on another snapshot they look entries up by IRI (a vector loaded from the store and not
/// yet updated costs one IRI lookup per read, as before; one bound to another snapshot also
/// scans its bound entries). A bound snapshot is recognised by its version, node count and
/// the shared strings of its first and last IRIs, which the vector holds so that they cannot
/// be freed and reused by another snapshot: snapshots that agree on all of them number their
/// nodes alike.
#[derive(Clone, Debug, Default)]
pub struct LearnerState {
    /// The snapshot `dense` is keyed for; `None` while every entry is in `loose`.
    bound: Option<Binding>,
    /// Entries of the bound snapshot's nodes.
    dense: HashMap<NodeId, Slot>,
    /// Entries under IRIs the bound snapshot does not name (every entry while unbound).
    loose: HashMap<Arc<str>, NodeMastery>,
    /// The learner-level entry stored under [`ABILITY_KEY`].
    ability: Option<NodeMastery>,
    /// The propagation walk's buffers, kept from one observation to the next.
    walk: Walk,
}

/// An entry of a bound node, with its IRI.
#[derive(Clone, Debug)]
struct Slot {
    iri: Arc<str>,
    m: NodeMastery,
}

/// What identifies the snapshot a [`LearnerState`] is bound to (see its documentation).
#[derive(Clone, Debug)]
struct Binding {
    version: u64,
    count: usize,
    first: Arc<str>,
    last: Arc<str>,
}

impl Binding {
    fn of(snapshot: &Snapshot) -> Option<Self> {
        let count = snapshot.node_count();
        let last = count.checked_sub(1)?;
        Some(Self {
            version: snapshot.version(),
            count,
            first: snapshot.iri_arc(NodeId::new(0)).clone(),
            last: snapshot.iri_arc(NodeId::new(last)).clone(),
        })
    }

    #[inline]
    fn is(&self, snapshot: &Snapshot) -> bool {
        self.version == snapshot.version()
            && self.count == snapshot.node_count()
            && Arc::ptr_eq(&self.first, snapshot.iri_arc(NodeId::new(0)))
            && Arc::ptr_eq(&self.last, snapshot.iri_arc(NodeId::new(self.count - 1)))
    }
}

/// Two vectors are equal when they hold the same entries under the same IRIs, bound or not.
impl PartialEq for LearnerState {
    fn eq(&self, other: &Self) -> bool {
        let mine: HashMap<&str, NodeMastery> = self.iter().collect();
        let len = mine.len();
        let mut theirs = 0;
        other.iter().all(|(iri, m)| {
            theirs += 1;
            mine.get(iri) == Some(&m)
        }) && theirs == len
    }
}

/// IRI under which a learner's stored entries hold the learner-level entry of the learner's
/// ability (see the `bkt` module): the mean of BKT's probability of a right answer over the
/// learner's answers (`p`), the answers (`attempts`) and the right ones (`correct`). It names
/// no node, so resolving a vector drops it.
pub const ABILITY_KEY: &str = "urn:tupu:learner:ability";

impl LearnerState {
    /// A vector from stored entries keyed by IRI (for an IRI given twice, the last counts).
    pub fn from_entries<'a>(entries: impl IntoIterator<Item = (&'a str, NodeMastery)>) -> Self {
        let mut state = Self::default();
        for (iri, m) in entries {
            state.insert(iri, m);
        }
        state
    }

    /// Stores an entry under an IRI (a node's, or [`ABILITY_KEY`]), replacing any there.
    /// O(1) on an unbound vector; a bound one is unbound first, O(entries).
    pub fn insert(&mut self, iri: &str, m: NodeMastery) {
        if iri == ABILITY_KEY {
            self.ability = Some(m);
            return;
        }
        if self.bound.take().is_some() {
            let dense = std::mem::take(&mut self.dense);
            self.loose.extend(dense.into_values().map(|s| (s.iri, s.m)));
        }
        self.loose.insert(Arc::from(iri), m);
    }

    /// The entry stored under an IRI (a node's, or [`ABILITY_KEY`]), without carrying.
    pub fn stored(&self, iri: &str) -> Option<NodeMastery> {
        if iri == ABILITY_KEY {
            return self.ability;
        }
        self.loose.get(iri).copied().or_else(|| self.dense.values().find(|s| &*s.iri == iri).map(|s| s.m))
    }

    /// Every stored entry with its IRI (the learner-level [`ABILITY_KEY`] entry included), in
    /// no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, NodeMastery)> + '_ {
        self.dense
            .values()
            .map(|s| (s.iri.as_ref(), s.m))
            .chain(self.loose.iter().map(|(iri, m)| (iri.as_ref(), *m)))
            .chain(self.ability.map(|m| (ABILITY_KEY, m)))
    }

    /// Number of stored entries, the learner-level one included.
    pub fn len(&self) -> usize {
        self.dense.len() + self.loose.len() + usize::from(self.ability.is_some())
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the dense entries are keyed for `snapshot`.
    #[inline]
    fn is_bound_to(&self, snapshot: &Snapshot) -> bool {
        self.bound.as_ref().is_some_and(|b| b.is(snapshot))
    }

    /// Keys the entries of `snapshot`'s nodes by their dense ids (see the type's
    /// documentation). O(1) when already bound to it, else O(entries).
    fn bind(&mut self, snapshot: &Snapshot) {
        if self.is_bound_to(snapshot) {
            return;
        }
        let Some(binding) = Binding::of(snapshot) else { return };
        let mut all = std::mem::take(&mut self.loose);
        all.extend(std::mem::take(&mut self.dense).into_values().map(|s| (s.iri, s.m)));
        // One observation adds at most 1 + MAX_PROPAGATION entries.
        self.dense.reserve(all.len() + MAX_PROPAGATION + 1);
        for (iri, m) in all {
            match snapshot.node_by_iri(&iri) {
                Some(node) => {
                    self.dense.insert(node, Slot { iri: snapshot.iri_arc(node).clone(), m });
                }
                None => {
                    self.loose.insert(iri, m);
                }
            }
        }
        self.bound = Some(binding);
    }

    /// The entry that counts for `node` (see the `carry` module).
    #[inline]
    fn counted(&self, snapshot: &Snapshot, node: NodeId) -> Option<(NodeMastery, Option<NodeId>)> {
        if self.is_bound_to(snapshot) {
            crate::carry::counted(|n| self.dense.get(&n).map(|s| s.m), snapshot, node)
        } else {
            crate::carry::counted(|n| self.stored(snapshot.iri(n)), snapshot, node)
        }
    }

    /// The belief for `node`, or its prior when nothing is known.
    /// The entry of a node it replaces or matches exactly may count (see the `carry` module).
    pub fn get(&self, snapshot: &Snapshot, node: NodeId) -> NodeMastery {
        match self.counted(snapshot, node) {
            Some((m, _)) => m,
            None => NodeMastery::belief(default_params(snapshot.attrs(node)).prior),
        }
    }

    /// The learner's ability `z` (see the `bkt` module): 0 without answers, positive when they
    /// answer better than the model of each node expects.
    pub fn ability(&self) -> f64 {
        entry_ability(self.ability)
    }

    /// Probability that the learner answers `node` correctly at `now`: BKT's
    /// `P(L)(1 − S) + (1 − P(L)) G` with the node's effective parameters, from the stored
    /// log-odds decayed to `now` ([`NodeMastery::decayed`]), moved by the learner's ability
    /// with the node's weight (the fitted model's forward prediction, see the `bkt` module).
    /// O(1).
    pub fn predict(&self, snapshot: &Snapshot, node: NodeId, now: i64) -> f32 {
        let attrs = snapshot.attrs(node);
        let params = default_params(attrs);
        let logit = self.get(snapshot, node).decayed(now, half_life_days(attrs)).log_odds();
        let p = Belief::from_logit(logit).p_correct(&(&params).into());
        crate::bkt::ability_logit(p, crate::bkt::ability_weight(attrs), self.ability()) as f32
    }

    /// The stored entry that counts for `node`, and the equivalent node it was carried from
    /// (`None`: the node's own); `None` when there is none (see the `carry` module).
    pub fn entry(&self, snapshot: &Snapshot, node: NodeId) -> Option<(NodeMastery, Option<NodeId>)> {
        self.counted(snapshot, node)
    }

    /// The vector resolved against a snapshot (nodes no longer in the graph are left out); the
    /// replacements and the exact matches of a node with an entry get the entry that counts for
    /// them (see the `carry` module).
    pub fn resolve(&self, snapshot: &Snapshot) -> Mastery {
        let mut entries: Vec<(NodeId, NodeMastery)> = if self.is_bound_to(snapshot) {
            self.dense.iter().map(|(&node, s)| (node, s.m)).collect()
        } else {
            self.iter().filter_map(|(iri, m)| snapshot.node_by_iri(iri).map(|node| (node, m))).collect()
        };
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
    /// O(K · degree · log(K · degree)) with K = [`MAX_PROPAGATION`], plus O(entries) when the
    /// vector is not bound to `snapshot` yet (see [`LearnerState`]).
    pub fn observe(&mut self, snapshot: &Snapshot, obs: Observation) -> Vec<NodeId> {
        self.bind(snapshot);
        let attrs = snapshot.attrs(obs.node);
        let params = default_params(attrs);
        // Mastery decays from the last practice to this one (see the `bkt` module).
        let m = self.get(snapshot, obs.node).decayed(obs.time, half_life_days(attrs));
        count_answer(&mut self.ability, &m, &obs, &params);
        let a = m.p;
        let Self { dense, walk, .. } = self;
        put(dense, snapshot, obs.node, practised(m, &obs, &params));
        let mut touched = Vec::with_capacity(16);
        touched.push(obs.node);
        let success = obs.score >= 0.5;
        // Success walks down to the prerequisites (`requires` edges out), failure up to the
        // dependents (edges in).
        let edges = |x: NodeId| {
            if success { snapshot.out(x, Relation::Requires) } else { snapshot.inc(x, Relation::Requires) }
        };
        walk.run(obs.node, edges, |x, r| {
            let stored = crate::carry::counted(|n| dense.get(&n).map(|s| s.m), snapshot, x).map(|(m, _)| m);
            // A failure only reaches nodes that hold a belief (see the module documentation).
            if !success && stored.is_none() {
                return false;
            }
            // A node without an entry starts from its prior (its log-odds are set with the
            // new belief below, if it is written at all).
            let mut mx = stored.unwrap_or(NodeMastery {
                p: default_params(snapshot.attrs(x)).prior,
                logit: f32::NAN,
                last_practised: None,
                attempts: 0,
                correct: 0,
            });
            let after = linked_belief(mx.p, a, r, obs.score, &params);
            if (after - mx.p).abs() <= EPSILON {
                return false;
            }
            mx.set_p(after);
            put(dense, snapshot, x, mx);
            touched.push(x);
            true
        });
        touched
    }
}

/// Counts an answer on a node, whose belief before it is `m`, toward the learner's ability
/// entry (see [`ABILITY_KEY`]): the mean probability of a right answer BKT gave, the answers
/// and the right ones. The fit runs the same function ([`crate::fit_model`]).
pub(crate) fn count_answer(ability: &mut Option<NodeMastery>, m: &NodeMastery, obs: &Observation, params: &BktParams) {
    let p = Belief::from_logit(m.log_odds()).p_correct(&params.into()) as f32;
    count_expected(ability, p, obs.score >= 0.5);
}

/// The ability `z` an ability entry (see [`ABILITY_KEY`]) gives: 0 without one.
pub(crate) fn entry_ability(entry: Option<NodeMastery>) -> f64 {
    entry.map_or(0.0, |a| crate::bkt::ability(a.attempts, a.correct, f64::from(a.p) * f64::from(a.attempts)))
}

/// Adds one answer, right or not, that BKT expected right with probability `p`, to an ability
/// entry.
pub(crate) fn count_expected(ability: &mut Option<NodeMastery>, p: f32, right: bool) {
    let entry =
        ability.get_or_insert(NodeMastery { p: 0.0, logit: 0.0, last_practised: None, attempts: 0, correct: 0 });
    // `p` holds the mean expectation, so that the entry stays a probability.
    let n = entry.attempts as f32;
    entry.p = (entry.p * n + p) / (n + 1.0);
    entry.attempts += 1;
    entry.correct += u32::from(right);
}

/// The observed node's entry after the observation: one step of BKT from its log-odds, one
/// more attempt, and its last practice.
pub(crate) fn practised(mut m: NodeMastery, obs: &Observation, params: &BktParams) -> NodeMastery {
    m.set_logit(bkt_step_logit(m.log_odds(), obs.score, params));
    m.attempts += 1;
    if obs.score >= 0.5 {
        m.correct += 1;
    }
    m.last_practised = Some(m.last_practised.map_or(obs.time, |t| t.max(obs.time)));
    m
}

/// The belief `x` of a node linked to the observed node by a link of strength `r` after the
/// observation, `a` the observed node's belief before it and `params` its parameters (see the
/// module documentation): a success speaks of its prerequisites, a failure of its dependents.
pub(crate) fn linked_belief(x: f32, a: f32, r: f32, score: f32, params: &BktParams) -> f32 {
    if score >= 0.5 {
        // `x` is a prerequisite of the observed node.
        let b = consistent(x, a, r);
        linked_posterior(a, b, a * (r + (1.0 - r) * b), score, params)
    } else {
        // `x` requires the observed node.
        let a = consistent(a, x, r);
        linked_posterior(a, x, x * (r + (1.0 - r) * a), score, params)
    }
}

/// Writes the entry of a node of the bound snapshot.
#[inline]
fn put(dense: &mut HashMap<NodeId, Slot>, snapshot: &Snapshot, node: NodeId, m: NodeMastery) {
    match dense.entry(node) {
        std::collections::hash_map::Entry::Occupied(mut slot) => slot.get_mut().m = m,
        std::collections::hash_map::Entry::Vacant(slot) => {
            slot.insert(Slot { iri: snapshot.iri_arc(node).clone(), m });
        }
    }
}

/// The buffers of the propagation walk: a priority queue of `(strength, node)` packed in one
/// `u64` (strength bits high, `u32::MAX − node` low, so that the largest key is the strongest
/// link, ties to the smaller node id), and for each node reached the strongest strength queued
/// for it ([`VISITED`] once visited). Kept between walks so that a walk allocates nothing once
/// they have grown.
#[derive(Debug, Default)]
struct Walk {
    heap: BinaryHeap<u64>,
    best: HashMap<NodeId, u32>,
}

/// The mark of a visited node in [`Walk`]: above the bits of any strength in (0, 1].
const VISITED: u32 = u32::MAX;

/// A copy starts with fresh buffers: they hold nothing between walks.
impl Clone for Walk {
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl Walk {
    /// Visits the nodes reachable from `start` by `edges`, strongest path first, each once with
    /// the strength of its strongest path (`Π CLOSURE · weight`); the walk goes on through a
    /// node only when `visit` returns true, and stops after [`MAX_PROPAGATION`] visits.
    ///
    /// A link no stronger than one already queued for its node is not queued: it would be
    /// popped after that one, when the node is visited already.
    fn run<'s>(
        &mut self,
        start: NodeId,
        edges: impl Fn(NodeId) -> &'s [tupu_graph::Edge],
        mut visit: impl FnMut(NodeId, f32) -> bool,
    ) {
        // Strengths are positive, so the order of their bit patterns is their numeric order.
        let Self { heap, best } = self;
        heap.clear();
        best.clear();
        best.insert(start, VISITED);
        let push = |heap: &mut BinaryHeap<u64>, best: &mut HashMap<NodeId, u32>, from: NodeId, r: f32| {
            for e in edges(from) {
                let s = r * CLOSURE * e.weight.clamp(0.0, 1.0);
                if s > 0.0 {
                    let bits = s.to_bits();
                    let queued = best.entry(e.node).or_insert(0);
                    if bits > *queued {
                        *queued = bits;
                        heap.push(u64::from(bits) << 32 | u64::from(u32::MAX - e.node.index() as u32));
                    }
                }
            }
        };
        push(heap, best, start, 1.0);
        let mut visits = 0;
        while let Some(key) = heap.pop() {
            if visits >= MAX_PROPAGATION {
                break;
            }
            let x = NodeId::new((u32::MAX - key as u32) as usize);
            let mark = best.get_mut(&x).expect("a queued node has a strength");
            if *mark == VISITED {
                continue;
            }
            *mark = VISITED;
            visits += 1;
            let r = f32::from_bits((key >> 32) as u32);
            if visit(x, r) {
                push(heap, best, x, r);
            }
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
    fn an_entry_with_infinite_log_odds_survives_json() {
        // Propagation can write a belief of exactly 1 (log-odds +∞); the learner store's log
        // keeps entries as JSON, which has no infinity.
        for logit in [f32::INFINITY, f32::NEG_INFINITY, f32::NAN, 2.5] {
            let p = if logit.is_nan() { 0.4 } else { sigmoid(logit) };
            let m = NodeMastery { p, logit, last_practised: Some(7), attempts: 2, correct: 1 };
            let back: NodeMastery = serde_json::from_slice(&serde_json::to_vec(&m).unwrap()).unwrap();
            assert_eq!(back.log_odds(), m.log_odds(), "{m:?} came back as {back:?}");
            assert_eq!((back.p, back.last_practised, back.attempts, back.correct), (p, Some(7), 2, 1));
        }
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
        let mut keys: Vec<&str> = other.iter().map(|(k, _)| k).collect();
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
            state.insert(s.iri(ids[i]), NodeMastery::belief(p));
        }
        let touched = state.observe(&s, Observation { node: ids[1], score: 0.0, time: 0 });
        assert_eq!(touched, vec![ids[1], ids[2], ids[3]], "n4 keeps its prior, n0 is a prerequisite");
        assert!(state.stored(s.iri(ids[4])).is_none());
        let p3 = state.get(&s, ids[3]).p;
        assert!(p3 < 0.7, "{p3}");
        assert!(p3 > 0.3, "one wrong answer is not proof: {p3}");
        // A second failure lowers it further.
        state.observe(&s, Observation { node: ids[1], score: 0.0, time: 3_600 });
        assert!(state.get(&s, ids[3]).p < p3);
        // The walk goes through believed nodes only: n3 is out of reach behind n2's prior.
        let mut gap = LearnerState::default();
        gap.insert(s.iri(ids[3]), NodeMastery::belief(0.9));
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
        let r = m.recall(m.half_life(14.0) as i64, 14.0);
        assert!((r - 0.45).abs() < 1e-3);
        assert_eq!(m.half_life(14.0), 14.0 * DAY as f64);
        assert_eq!(m.recall(-5, 14.0), 0.9);
        // A fitted half-life of 3 days, and a second right answer that doubles it.
        let twice = NodeMastery { correct: 2, ..m };
        assert!((twice.recall(6 * DAY, 3.0) - 0.45).abs() < 1e-3);
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
                            m.recalls_at_least(now, threshold, 14.0),
                            m.recall(now, 14.0) >= threshold,
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
