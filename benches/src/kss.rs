//! The knowledge-structure simulator (KSS) of EduSim, the learner simulator of Liu et al.,
//! "Exploiting Cognitive Structure for Adaptive Learning" (KDD 2019), rewritten here so that
//! Tupu's next steps can be measured on it against uniformly random items.
//!
//! ## The environment
//! Ten knowledge points with the prerequisite edges of [`KSS_EDGES`] (`(a, b)`: `a` comes
//! before `b`). A learner holds a level `θ[n]`, starting at `θ[n] = u − 0.1·n` with `u` a
//! uniform integer in −3…0. Exercise `n` has a difficulty `b[n]`: ten uniform integers in 0…5,
//! sorted, given to the points in the order 5, 0, 1, 2, 3, 4, 6, 7, 8, 9. An answer is right
//! exactly when `0.25 + 0.75 / (1 + e^(−1.7·5·(θ[n] − b[n]))) ≥ 0.5` (IRT, no noise).
//!
//! **Learning** an item `n` (every step practises one):
//! - it is *refused*, and nothing changes, unless `n` lies near the item last learnt `m`: `m`
//!   itself, a successor of `m`, a predecessor `p` of `m`, a predecessor of such a `p`, or a
//!   successor of such a `p`. The first item is never refused.
//! - otherwise `θ[n]` grows by `0.5 · (5 − θ[n]) · e^(−Σ_p (5 − θ[p]))` over the direct
//!   predecessors `p` (capped at 5), and every successor of a point that grows by `i` grows by
//!   `i / 2`, recursively.
//!
//! **An episode.** A learner gets a target: a uniform sample of 3 to 10 points. Before the
//! episode they warm up for 20 answers by EduSim's rule (after a right answer on a new item,
//! the same item once more; after a wrong one, the same item with probability 0.7; else, with
//! probability 0.9, the first point in topological order answered right with probability
//! under 0.6, and otherwise a uniform item); learners who already answer every target right are
//! drawn again. The policy then picks 20 items; the warm-up answers and each answer are all
//! the policy sees. The measure is EduSim's: `(final − initial) / (|target| − initial)` with
//! `initial` and `final` the number of target points answered right before and after.
//!
//! Tupu sees the ten points as a graph with `requires` edges, the target as its goals, and the
//! answers as events; it knows nothing of the refusal rule, the levels or the difficulties.

use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tupu_graph::{NodeId, NodeKind, Relation, Snapshot, SnapshotBuilder};
use tupu_recommend::{LearnerState, NextRequest, Observation, RecommendConfig, RecommendIndex, next_steps};

/// Points of the KSS graph.
pub const KSS_POINTS: usize = 10;

/// Prerequisite edges of the KSS graph: `(a, b)`, `a` comes before `b`.
pub const KSS_EDGES: [(usize, usize); 12] =
    [(0, 1), (0, 2), (1, 3), (2, 4), (2, 8), (3, 4), (4, 8), (5, 4), (5, 9), (6, 7), (7, 8), (8, 9)];

/// Order in which the sorted difficulties go to the points.
const DIFFICULTY_ORDER: [usize; KSS_POINTS] = [5, 0, 1, 2, 3, 4, 6, 7, 8, 9];

/// The KSS graph's topological order, generation by generation (what the warm-up reads).
const TOPOLOGICAL: [usize; KSS_POINTS] = [0, 5, 6, 1, 2, 7, 3, 4, 8, 9];

/// Answers of the warm-up and steps of an episode.
const WARM_UP: usize = 20;

fn predecessors(n: usize) -> impl Iterator<Item = usize> {
    KSS_EDGES.iter().filter(move |e| e.1 == n).map(|e| e.0)
}

fn successors(n: usize) -> impl Iterator<Item = usize> {
    KSS_EDGES.iter().filter(move |e| e.0 == n).map(|e| e.1)
}

/// One simulated learner (see the module documentation).
#[derive(Clone, Debug)]
pub struct KssLearner {
    /// Levels `θ`.
    pub level: [f64; KSS_POINTS],
    /// The item last learnt (not refused).
    pub last: Option<usize>,
    /// The target points.
    pub target: Vec<usize>,
}

impl KssLearner {
    /// Whether learning `item` is refused: it does not lie near the item last learnt.
    pub fn refuses(&self, item: usize) -> bool {
        let Some(m) = self.last else { return false };
        let near = |n: usize| {
            n == m
                || successors(m).any(|s| s == n)
                || predecessors(m).any(|p| p == n || predecessors(p).any(|q| q == n) || successors(p).any(|s| s == n))
        };
        // A point with no neighbour at all accepts anything.
        let isolated = successors(m).next().is_none() && predecessors(m).next().is_none();
        !(isolated || near(item))
    }

    /// Learns `item` unless refused; returns whether it was learnt.
    pub fn learn(&mut self, item: usize) -> bool {
        if self.refuses(item) {
            return false;
        }
        self.last = Some(item);
        let discount: f64 = predecessors(item).map(|p| 5.0 - self.level[p]).sum();
        let increase = (5.0 - self.level[item]) * (-discount).exp() * 0.5;
        self.promote(item, increase);
        true
    }

    fn promote(&mut self, n: usize, increase: f64) {
        self.level[n] = (self.level[n] + increase).min(5.0);
        for s in successors(n).collect::<Vec<_>>() {
            self.promote(s, increase * 0.5);
        }
    }

    /// The probability of a right answer on `item` by the IRT curve.
    fn p_right(&self, item: usize, difficulty: &[f64; KSS_POINTS]) -> f64 {
        0.25 + 0.75 / (1.0 + (-1.7 * 5.0 * (self.level[item] - difficulty[item])).exp())
    }

    /// Whether the learner answers `item` right (deterministic).
    pub fn answers(&self, item: usize, difficulty: &[f64; KSS_POINTS]) -> bool {
        self.p_right(item, difficulty) >= 0.5
    }

    /// Target points answered right.
    pub fn exam(&self, difficulty: &[f64; KSS_POINTS]) -> usize {
        self.target.iter().filter(|&&n| self.answers(n, difficulty)).count()
    }
}

/// A policy on the KSS environment.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum KssPolicy {
    /// The first item of Tupu's next steps toward the target (every target point a goal),
    /// from the answers alone; with an empty list, the target point of lowest belief.
    Tupu,
    /// A uniformly random item.
    Random,
}

/// One policy's results over the episodes.
#[derive(Clone, Debug, PartialEq)]
pub struct KssResult {
    /// The policy.
    pub policy: KssPolicy,
    /// Mean normalised learning gain (EduSim's episode reward).
    pub gain: f64,
    /// Standard error of that mean.
    pub std_error: f64,
    /// Mean number of distinct items practised in an episode.
    pub distinct_items: f64,
    /// Share of steps whose item the learner refused.
    pub refused: f64,
}

/// The environment: its graph as a snapshot and the exercises' difficulties.
pub struct KssEnv {
    snapshot: Snapshot,
    nodes: Vec<NodeId>,
    difficulty: [f64; KSS_POINTS],
}

impl KssEnv {
    /// The environment, its difficulties drawn from `seed`.
    pub fn new(seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut b = SnapshotBuilder::new();
        let nodes: Vec<NodeId> = (0..KSS_POINTS)
            .map(|i| b.node(&format!("https://w3id.org/tupu/kss/k{i}"), NodeKind::KnowledgePoint))
            .collect();
        for &(a, c) in &KSS_EDGES {
            b.edge(Relation::Requires, nodes[c], nodes[a], 1.0);
        }
        let mut sorted: Vec<f64> = (0..KSS_POINTS).map(|_| f64::from(rng.random_range(0..=5u8))).collect();
        sorted.sort_by(f64::total_cmp);
        let mut difficulty = [0.0; KSS_POINTS];
        for (i, &n) in DIFFICULTY_ORDER.iter().enumerate() {
            difficulty[n] = sorted[i];
        }
        Self { snapshot: b.build(1), nodes, difficulty }
    }

    /// The graph Tupu sees.
    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    /// A new learner and their warm-up answers; drawn again while every target point is
    /// answered right already.
    pub fn learner(&self, rng: &mut ChaCha8Rng) -> (KssLearner, Vec<(usize, bool)>) {
        loop {
            let mut level = [0.0; KSS_POINTS];
            for (i, l) in level.iter_mut().enumerate() {
                *l = f64::from(rng.random_range(-3..=0i8)) - 0.1 * i as f64;
            }
            let size = rng.random_range(3..=KSS_POINTS);
            let all: Vec<usize> = (0..KSS_POINTS).collect();
            let target: Vec<usize> = all.choose_multiple(rng, size).copied().collect();
            let mut learner = KssLearner { level, last: None, target };
            let history = self.warm_up(&mut learner, rng);
            if learner.exam(&self.difficulty) < learner.target.len() {
                return (learner, history);
            }
        }
    }

    /// EduSim's warm-up rule (see the module documentation).
    fn warm_up(&self, learner: &mut KssLearner, rng: &mut ChaCha8Rng) -> Vec<(usize, bool)> {
        let d = &self.difficulty;
        let mut history: Vec<(usize, bool)> = Vec::new();
        let practise = |learner: &mut KssLearner, history: &mut Vec<(usize, bool)>, item: usize| {
            learner.learn(item);
            history.push((item, learner.answers(item, d)));
        };
        while history.len() < WARM_UP {
            let last = history.last().copied();
            let recent: std::collections::BTreeSet<usize> = history.iter().rev().take(3).map(|h| h.0).collect();
            let item = match last {
                Some((item, true)) if recent.len() > 1 => {
                    if history.len() < WARM_UP - 1 {
                        practise(learner, &mut history, item);
                    }
                    history.last().map_or(item, |h| h.0)
                }
                Some((item, false)) if rng.random::<f64>() < 0.7 => item,
                _ if rng.random::<f64>() < 0.9 => {
                    match TOPOLOGICAL.iter().copied().find(|&n| learner.p_right(n, d) < 0.6) {
                        Some(n) => n,
                        None => break,
                    }
                }
                _ => rng.random_range(0..KSS_POINTS),
            };
            practise(learner, &mut history, item);
        }
        history
    }

    /// Runs one episode of `steps` under `policy` from a learner and their warm-up; returns
    /// the normalised gain, the distinct items practised and the steps refused.
    pub fn episode(
        &self,
        policy: KssPolicy,
        mut learner: KssLearner,
        history: &[(usize, bool)],
        steps: usize,
        rng: &mut ChaCha8Rng,
    ) -> (f64, usize, usize) {
        let d = &self.difficulty;
        let initial = learner.exam(d);
        let config = RecommendConfig::default();
        let index = RecommendIndex::new(&self.snapshot);
        let mut belief = LearnerState::default();
        let mut time = 0i64;
        let observe = |belief: &mut LearnerState, item: usize, right: bool, time: &mut i64| {
            let score = if right { 1.0 } else { 0.0 };
            belief.observe(&self.snapshot, Observation { node: self.nodes[item], score, time: *time });
            *time += 60;
        };
        if policy == KssPolicy::Tupu {
            for &(item, right) in history {
                observe(&mut belief, item, right, &mut time);
            }
        }
        let goals: Vec<NodeId> = learner.target.iter().map(|&n| self.nodes[n]).collect();
        let (mut distinct, mut refused) = ([false; KSS_POINTS], 0);
        for _ in 0..steps {
            let item = match policy {
                KssPolicy::Random => rng.random_range(0..KSS_POINTS),
                KssPolicy::Tupu => {
                    let mastery = belief.resolve(&self.snapshot);
                    let request = NextRequest { n: 1, goals: goals.clone(), subject: None, now: time };
                    let first = next_steps(&self.snapshot, &index, &mastery, &request, &config).first().map(|r| r.node);
                    let lowest = || {
                        let p = |n: usize| mastery.p(&self.snapshot, self.nodes[n]);
                        learner.target.iter().copied().min_by(|&a, &b| p(a).total_cmp(&p(b)).then(a.cmp(&b)))
                    };
                    first
                        .and_then(|x| self.nodes.iter().position(|&y| y == x))
                        .or_else(lowest)
                        .expect("a target is never empty")
                }
            };
            distinct[item] = true;
            refused += usize::from(!learner.learn(item));
            let right = learner.answers(item, d);
            observe(&mut belief, item, right, &mut time);
        }
        let full = learner.target.len();
        let gain = (learner.exam(d) as f64 - initial as f64) / (full - initial) as f64;
        (gain, distinct.iter().filter(|&&x| x).count(), refused)
    }
}

/// Runs `episodes` episodes of `steps` steps for each policy on the same learners (same
/// environment, warm-ups and targets) and reports each policy's mean normalised gain.
/// O(episodes · steps) calls of [`next_steps`] on ten points.
///
/// ```
/// use tupu_benches::{KssPolicy, kss_evaluate};
///
/// let results = kss_evaluate(20, 20, 7);
/// assert_eq!(results.len(), 2);
/// assert!(results.iter().all(|r| (0.0..=1.0).contains(&r.gain)));
/// ```
pub fn kss_evaluate(episodes: usize, steps: usize, seed: u64) -> Vec<KssResult> {
    let env = KssEnv::new(seed);
    let mut rng = ChaCha8Rng::seed_from_u64(seed.wrapping_add(1));
    let learners: Vec<_> = (0..episodes).map(|_| env.learner(&mut rng)).collect();
    [KssPolicy::Tupu, KssPolicy::Random]
        .into_iter()
        .map(|policy| {
            let mut choices = ChaCha8Rng::seed_from_u64(seed.wrapping_add(2));
            let runs: Vec<(f64, usize, usize)> = learners
                .iter()
                .map(|(learner, history)| env.episode(policy, learner.clone(), history, steps, &mut choices))
                .collect();
            let n = runs.len().max(1) as f64;
            let gain = runs.iter().map(|r| r.0).sum::<f64>() / n;
            let var = runs.iter().map(|r| (r.0 - gain).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
            KssResult {
                policy,
                gain,
                std_error: (var / n).sqrt(),
                distinct_items: runs.iter().map(|r| r.1 as f64).sum::<f64>() / n,
                refused: runs.iter().map(|r| r.2 as f64).sum::<f64>() / (n * steps.max(1) as f64),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn learner(last: Option<usize>) -> KssLearner {
        KssLearner { level: [0.0; KSS_POINTS], last, target: vec![9] }
    }

    #[test]
    fn learning_is_refused_far_from_the_last_item() {
        // Near 4: itself, its successor 8, its predecessors 2, 3, 5, theirs (0, 1) and their
        // successors (8, 9); not 6 or 7.
        let near: Vec<usize> = (0..KSS_POINTS).filter(|&n| !learner(Some(4)).refuses(n)).collect();
        assert_eq!(near, vec![0, 1, 2, 3, 4, 5, 8, 9]);
        assert!((0..KSS_POINTS).all(|n| !learner(None).refuses(n)));
        let mut l = learner(Some(4));
        let before = l.level;
        assert!(!l.learn(6));
        assert_eq!((l.level, l.last), (before, Some(4)));
    }

    #[test]
    fn learning_a_root_spreads_half_to_each_successor() {
        let mut l = learner(None);
        assert!(l.learn(6));
        assert_eq!(l.last, Some(6));
        assert!((l.level[6] - 2.5).abs() < 1e-12 && (l.level[7] - 1.25).abs() < 1e-12);
        // 8 grows through 7 only; 9 through 8.
        assert!((l.level[8] - 0.625).abs() < 1e-12 && (l.level[9] - 0.3125).abs() < 1e-12);
        // A point whose prerequisites are unknown barely grows.
        let mut m = learner(None);
        m.learn(1);
        assert!(m.level[1] < 0.05, "{}", m.level[1]);
    }
}
