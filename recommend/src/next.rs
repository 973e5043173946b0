//! Next steps: the ready-to-learn fringe, ranked, diversified and explained.

use rustc_hash::FxHashMap as HashMap;

use tupu_graph::{NodeId, Snapshot, Sym, prerequisite_closure};

use crate::bkt::{default_params, p_correct};
use crate::index::RecommendIndex;
use crate::model::{DAY, MAX_PROPAGATION, Mastery};

/// Weights of the ranking score (see [`next_steps`]).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ScoreWeights {
    /// Progress toward the goal.
    pub goal: f32,
    /// How much mastering the node unlocks.
    pub unlock: f32,
    /// Fit of the node's difficulty to the learner.
    pub fit: f32,
    /// Review of decayed mastery.
    pub review: f32,
    /// Earlier in the teaching order.
    pub order: f32,
    /// Expected learning from one practice (absent from older settings: the default). The
    /// default, 1.2, makes it the largest part of a node to learn: what a practice teaches
    /// matters more than where the node sits.
    #[serde(default = "default_gain_weight")]
    pub gain: f32,
    /// Expected prerequisites a check would confirm (absent from older settings: the default).
    /// The default, 4.0, lets a check with the full part (two expected confirmations) outrank
    /// the fringe, as two settled points are worth more than one practice; a check with half
    /// of it competes with the best node to learn.
    #[serde(default = "default_probe_weight")]
    pub probe: f32,
}

fn default_gain_weight() -> f32 {
    ScoreWeights::default().gain
}

fn default_probe_weight() -> f32 {
    ScoreWeights::default().probe
}

impl Default for ScoreWeights {
    fn default() -> Self {
        Self { goal: 0.40, unlock: 0.20, fit: 0.25, review: 0.30, order: 0.25, gain: 1.20, probe: 4.00 }
    }
}

/// Settings of the recommender.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RecommendConfig {
    /// A node is mastered when its probability of mastery reaches this.
    pub mastery_threshold: f32,
    /// Most items from one learning thread in one list (relaxed when nothing else is ready).
    pub per_thread: usize,
    /// Score weights.
    pub weights: ScoreWeights,
    /// Resources attached to each item.
    pub resources_per_item: usize,
}

impl Default for RecommendConfig {
    fn default() -> Self {
        Self { mastery_threshold: 0.85, per_thread: 2, weights: ScoreWeights::default(), resources_per_item: 3 }
    }
}

/// What a `next` request asks for.
#[derive(Clone, Debug)]
pub struct NextRequest {
    /// How many items.
    pub n: usize,
    /// Rank progress toward this node first.
    pub goal: Option<NodeId>,
    /// Only nodes of this subject.
    pub subject: Option<Sym>,
    /// Unix time (seconds) for review scheduling.
    pub now: i64,
}

/// Why an item is recommended: learn something new, review something fading, or check
/// whether something beyond the fringe is known already.
#[derive(Copy, Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    /// Not yet mastered; every prerequisite is.
    Learn,
    /// Mastered once; recall has decayed below the threshold.
    Review,
    /// A check: a knowledge point beyond the ready-to-learn fringe, offered to a learner with
    /// at least one point answered right every time. A correct answer is evidence for every prerequisite it
    /// rests on ([`Explanation::confirms`]), so one check can settle several of them at once;
    /// a wrong one is still a practice of a point whose prerequisites the learner probably
    /// knows. At most one per list (see [`next_steps`]).
    Probe,
    /// With a goal whose every knowledge point is believed mastered, nothing is left to learn;
    /// these are the points of the goal's closure with the least evidence, to confirm the goal
    /// rather than leave the learner with an empty list (see [`next_steps`]).
    Consolidate,
}

/// The parts of an item's score, each in [0, 1] before weighting.
#[derive(Copy, Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct ScoreParts {
    /// Progress toward the goal: 1 / (1 + steps to the goal).
    pub goal: f32,
    /// Share of the unlock scale: ln(1 + k) / ln(9) for k newly ready nodes, capped at 1.
    pub unlock: f32,
    /// exp(−((difficulty − learner level − 0.05) / 0.12)²): highest just above the learner's
    /// level (the mean difficulty of what they mastered, or for a learner with nothing mastered,
    /// the easiest candidate).
    pub fit: f32,
    /// Decay of recall: 1 − recall / belief.
    pub review: f32,
    /// exp(−(position − earliest candidate position) / 0.1), positions in [0, 1] along the
    /// curriculum's teaching order: the designers' sequence, relative to the learner's frontier.
    pub order: f32,
    /// Expected learning from one practice: `(1 − p) · T / 0.3`, capped at 1, where `p` is the
    /// belief and `T` the node's BKT learning rate ([`default_params`]; 0.3 is the largest
    /// default rate). Under BKT, `(1 − p) · T` is the probability that this practice is the
    /// one that moves the learner into mastery: it prefers nodes the learner is not likely to
    /// know yet, and among them the ones learnt fastest. For a review, `p` is the recall now:
    /// relearning what was forgotten is learning too. For a check, whose prerequisites are
    /// not mastered, `(1 − π(x)) · min_q π(q) · T / 0.3`: learning needs the node not to be
    /// known yet and its prerequisites to be known (`π` as in [`next_steps`], `q` over the
    /// direct prerequisites).
    pub gain: f32,
    /// For a check ([`ItemKind::Probe`]) only, 0 otherwise: the expected number of
    /// prerequisites a correct answer would rightly confirm, `π(x) · (1 − S) · |confirms|`
    /// (known and not slipped, so not a guess), divided by [`PROBE_SCALE`] and capped at 1.
    /// `π(x)` is the estimate that the learner knows `x` already (see [`next_steps`]), `S` its
    /// slip, and `confirms` its transitive prerequisites not yet mastered
    /// ([`Explanation::confirms`]): under the closure, knowing `x` means knowing them all.
    pub probe: f32,
}

/// Expected confirmations at which a check's [`ScoreParts::probe`] is full: two, since a check
/// is worth offering over a practice of the fringe (which settles at most the one point
/// practised) when a correct answer is expected to settle more than one.
pub const PROBE_SCALE: f32 = 2.0;

/// Most candidates for a check: nearest the fringe first without a goal, then highest `π`.
const PROBE_CANDIDATES: usize = 64;

/// The largest learning rate [`default_params`] gives, which scales [`ScoreParts::gain`].
const LEARN_SCALE: f32 = 0.30;

/// The graph facts behind an item.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Explanation {
    /// Direct prerequisites, all mastered (empty for a check, whose prerequisites are not).
    pub mastered_prerequisites: Vec<NodeId>,
    /// For a check: the prerequisites not yet mastered that a correct answer is evidence for,
    /// nearest first (at most [`MAX_PROPAGATION`]); empty otherwise.
    pub confirms: Vec<NodeId>,
    /// Nodes that become ready once this one is mastered.
    pub unlocks: Vec<NodeId>,
    /// Steps from this node up to the goal, when a goal was given and leads here.
    pub steps_to_goal: Option<u32>,
    /// Current probability of mastery.
    pub mastery: f32,
    /// Probability of answering correctly now (for a check, at the estimate `π` of
    /// [`next_steps`]).
    pub expected_success: f32,
    /// Days since last practice, for reviews.
    pub days_since_practice: Option<f32>,
    /// Estimated recall now, for reviews.
    pub recall: Option<f32>,
    /// Practice opportunities observed for the node.
    pub attempts: u32,
}

/// One recommended node.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Recommendation {
    /// The node.
    pub node: NodeId,
    /// Learn, review or check.
    pub kind: ItemKind,
    /// Weighted score.
    pub score: f32,
    /// Its parts.
    pub parts: ScoreParts,
    /// The graph facts behind it.
    pub explanation: Explanation,
    /// Resources that teach or assess it, best first.
    pub resources: Vec<NodeId>,
}

/// Dense bit set of mastered nodes: O(1) readiness checks without hashing.
struct BitSet(Vec<u64>);

impl BitSet {
    /// An empty set of `n` bits in `words`, a buffer used before.
    fn reuse(mut words: Vec<u64>, n: usize) -> Self {
        words.clear();
        words.resize(n.div_ceil(64), 0);
        Self(words)
    }
    #[inline]
    fn set(&mut self, i: usize) {
        self.0[i >> 6] |= 1 << (i & 63);
    }
    #[inline]
    fn get(&self, i: usize) -> bool {
        self.0[i >> 6] & (1 << (i & 63)) != 0
    }
}

/// Buffers a thread keeps from one request to the next, so that a request allocates little
/// beyond its answer (an allocation is the costliest step of a small request).
#[derive(Default)]
struct Scratch {
    mastered: Vec<u64>,
    seen: Vec<u64>,
    fringe: Vec<NodeId>,
    waits_for: Vec<(NodeId, NodeId)>,
    unlock_pool: Vec<NodeId>,
    candidates: Vec<Candidate>,
    picking: Picking,
    goal_marks: Vec<u64>,
    goal_steps: Vec<(NodeId, u32)>,
}

/// Steps from the goal down to each node of its closure that is not mastered (and to the
/// goal itself), sorted by node.
struct GoalSteps(Vec<(NodeId, u32)>);

impl GoalSteps {
    fn get(&self, x: NodeId) -> Option<u32> {
        self.0.binary_search_by_key(&x, |e| e.0).ok().map(|i| self.0[i].1)
    }

    fn nodes(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.0.iter().map(|e| e.0)
    }
}

/// The buffers of [`diversify`].
#[derive(Default)]
struct Picking {
    heap: Vec<Ranked>,
    ranked: Vec<u32>,
    taken: Vec<bool>,
    chosen: Vec<u32>,
    thread_count: Vec<(Sym, usize)>,
    topic_count: Vec<(Sym, usize)>,
}

thread_local! {
    static SCRATCH: std::cell::Cell<Option<Box<Scratch>>> = const { std::cell::Cell::new(None) };
}

/// Entries a kept candidate buffer may hold; a larger one is shrunk before it is kept.
const KEPT_CANDIDATES: usize = 4_096;

struct Candidate {
    node: NodeId,
    kind: ItemKind,
    score: f32,
    parts: ScoreParts,
    unlocks: Vec<NodeId>,
    /// Where its unlocks are in the request's pool of them (start, length).
    unlock_span: (u32, u32),
    thread: Option<Sym>,
    topic: Option<Sym>,
    /// For a check: what it would confirm, and the probability of a correct answer.
    confirms: Vec<NodeId>,
    expected: Option<f32>,
}

impl Candidate {
    /// Moves the candidate out, leaving its lists empty.
    fn take(&mut self) -> Candidate {
        Candidate {
            node: self.node,
            kind: self.kind,
            score: self.score,
            parts: self.parts,
            unlocks: std::mem::take(&mut self.unlocks),
            unlock_span: self.unlock_span,
            thread: self.thread,
            topic: self.topic,
            confirms: std::mem::take(&mut self.confirms),
            expected: self.expected,
        }
    }
}

/// Ranks what a learner should do next.
///
/// Candidates are the **ready-to-learn fringe** (knowledge points not mastered whose direct
/// prerequisites are all mastered, found from the roots, from what the learner started, and
/// from the knowledge points whose first prerequisite the learner mastered) and **reviews** (mastered points whose recall has decayed
/// below the threshold). Each gets
/// `score = w_goal·goal + w_unlock·unlock + w_fit·fit + w_order·order + w_gain·gain` for a
/// node to learn and `w_review·(0.5 + 0.5·review) + w_fit·fit + w_order·order + w_gain·gain`
/// for a review
/// (see [`ScoreParts`]); with a goal, only fringe nodes among the goal's prerequisites (or the
/// goal itself) are ranked.
///
/// **Checks** ([`ItemKind::Probe`]) skip ahead, as knowledge-space assessment does. They are
/// offered to a learner with at least one knowledge point answered right every time (*clean*).
/// Their ahead rate `α = (clean + 1) / (practised + 2)` estimates how often they already know
/// a point whose prerequisites they know, and since knowledge is closed under prerequisites
/// the estimate that they know `x` is (a learner who gets most things wrong has a small `α`,
/// so their checks are worth little and rank low)
///
/// ```text
/// π(x) = p(x)                                      if x is mastered or was answered wrong
///      = max(p(x), α · min over direct prerequisites q of π(q))     if x holds a belief
///      = α · min over direct prerequisites q of π(q)                 otherwise (1 for none)
/// ```
/// The candidates are the knowledge points beyond the fringe (in the goal's closure with a
/// goal; one or two `requires` steps beyond the fringe without), neither mastered nor ever
/// answered wrong, at most 64 (highest `π` first). Each is scored like a node to learn, with
/// no unlock part and with `w_probe·probe`: `gain` is the expected learning from practising
/// it and `probe` the expected number of prerequisites a correct answer would confirm (see
/// [`ScoreParts`]). The best one joins the candidates, so a list holds at most one check, and
/// a learner with no practice at all gets none.
///
/// With a goal whose every knowledge point is believed mastered (the goal and its whole
/// closure), nothing is left to learn or check: the list then holds **consolidation** items
/// ([`ItemKind::Consolidate`]), the points of the closure with the fewest practice attempts,
/// lowest belief first among equals. Points mastered by inference alone come first: practising
/// them confirms what the goal rests on.
///
/// Otherwise the list is picked greedily with a diversity rule: at most `per_thread` items per
/// learning thread and a penalty of 0.1 per item already taken from the same topic, so one
/// strand cannot fill the list; the rule relaxes only when nothing else is ready.
///
/// ```text
///   count ◀── add ◀── add_carry        (a ◀── b: b requires a)
///     ▲
///     └──── compare
/// ```
/// A learner who mastered `count` gets `add` and `compare` (both ready); `add_carry` is not
/// ready until `add` is mastered.
///
/// # Complexity
/// O(n/64 + m + Σ deg) for a learner with m entries: the bit set, then for each mastered entry
/// the knowledge points whose first prerequisite it is
/// ([`RecommendIndex::first_dependents`]) and their prerequisites; roots are read in teaching order until enough are found. For a learner
/// who is ahead, checks add O(R · deg) for the `R` nodes of the region (at most 512 estimates
/// `π` are computed) and O(64 · K · deg) for what each candidate confirms (K = 256, see
/// [`Explanation::confirms`]).
///
/// ```
/// use tupu_graph::{NodeKind, Relation, SnapshotBuilder};
/// use tupu_recommend::{next_steps, Mastery, NextRequest, NodeMastery, RecommendConfig, RecommendIndex};
///
/// let mut b = SnapshotBuilder::new();
/// let count = b.node("https://e.org/count", NodeKind::KnowledgePoint);
/// let add = b.node("https://e.org/add", NodeKind::KnowledgePoint);
/// let carry = b.node("https://e.org/add_carry", NodeKind::KnowledgePoint);
/// let compare = b.node("https://e.org/compare", NodeKind::KnowledgePoint);
/// b.edge(Relation::Requires, add, count, 1.0);
/// b.edge(Relation::Requires, carry, add, 1.0);
/// b.edge(Relation::Requires, compare, count, 1.0);
/// let s = b.build(1);
/// let index = RecommendIndex::new(&s);
/// let mastery = Mastery::from_entries([(count, NodeMastery::belief(0.95))]);
/// let request = NextRequest { n: 5, goal: None, subject: None, now: 0 };
/// let items = next_steps(&s, &index, &mastery, &request, &RecommendConfig::default());
/// let mut nodes: Vec<_> = items.iter().map(|i| i.node).collect();
/// nodes.sort();
/// assert_eq!(nodes, vec![add, compare]);
/// ```
pub fn next_steps(
    snapshot: &Snapshot,
    index: &RecommendIndex,
    mastery: &Mastery,
    request: &NextRequest,
    config: &RecommendConfig,
) -> Vec<Recommendation> {
    if request.n == 0 {
        return Vec::new();
    }
    let threshold = config.mastery_threshold;
    let mut scratch = SCRATCH.with(std::cell::Cell::take).unwrap_or_default();
    let mut mastered = BitSet::reuse(std::mem::take(&mut scratch.mastered), snapshot.node_count());
    let mut level_sum = 0.0f32;
    let mut level_count = 0usize;
    for (node, p) in mastery.beliefs() {
        if p >= threshold {
            mastered.set(node.index());
            if index.learnable(node) {
                level_sum += index.difficulty(node);
                level_count += 1;
            }
        }
    }
    let subject_ok = |x: NodeId| request.subject.is_none() || snapshot.attrs(x).subject == request.subject;

    // Goal: steps from the goal down to each node of its closure (breadth-first).
    let goal_steps: Option<GoalSteps> = request.goal.map(|goal| {
        let mut marks = BitSet::reuse(std::mem::take(&mut scratch.goal_marks), snapshot.node_count());
        let mut steps = std::mem::take(&mut scratch.goal_steps);
        steps.clear();
        steps.push((goal, 0u32));
        marks.set(goal.index());
        let mut head = 0;
        while let Some(&(x, depth)) = steps.get(head) {
            head += 1;
            for q in snapshot.prerequisites(x) {
                if !mastered.get(q.index()) && !marks.get(q.index()) {
                    marks.set(q.index());
                    steps.push((q, depth + 1));
                }
            }
        }
        steps.sort_unstable();
        scratch.goal_marks = marks.0;
        GoalSteps(steps)
    });

    let mut seen = BitSet::reuse(std::mem::take(&mut scratch.seen), snapshot.node_count());
    let mut fringe: Vec<NodeId> = std::mem::take(&mut scratch.fringe);
    // `(u, d)`: knowledge point `d` waits only for `u`, which is not its first prerequisite
    // (the nodes waiting for their first prerequisite are in its `first_dependents` row).
    let mut waits_for: Vec<(NodeId, NodeId)> = std::mem::take(&mut scratch.waits_for);
    // Most dependents of mastered nodes are mastered themselves: that test comes first, on the
    // small bit set, before anything that touches per-node arrays.
    let mut consider = |x: NodeId, fringe: &mut Vec<NodeId>, waits_for: &mut Vec<(NodeId, NodeId)>| {
        let i = x.index();
        if mastered.get(i) || seen.get(i) {
            return;
        }
        seen.set(i);
        if !index.learnable(x) {
            return;
        }
        let mut missing = snapshot.prerequisites(x).enumerate().filter(|(_, q)| !mastered.get(q.index()));
        match (missing.next(), missing.next()) {
            (None, _) if subject_ok(x) => fringe.push(x),
            // Only the search without a goal reads them (see `unlocks_of`).
            (Some((k, u)), None) if k > 0 && goal_steps.is_none() => waits_for.push((u, x)),
            _ => {}
        }
    };
    match &goal_steps {
        Some(steps) => {
            for x in steps.nodes() {
                consider(x, &mut fringe, &mut waits_for);
            }
        }
        None => {
            for (node, p) in mastery.beliefs() {
                if p >= threshold {
                    // A node is reached from its first prerequisite, which must be mastered.
                    for &d in index.first_dependents(node) {
                        consider(d, &mut fringe, &mut waits_for);
                    }
                } else {
                    consider(node, &mut fringe, &mut waits_for);
                }
            }
            // Roots in teaching order: enough to fill the list several times over.
            let wanted = fringe.len() + 4 * request.n + 8;
            for &root in index.roots() {
                if fringe.len() >= wanted {
                    break;
                }
                consider(root, &mut fringe, &mut waits_for);
            }
        }
    }

    let w = &config.weights;
    let learner_level = if level_count == 0 {
        fringe.iter().map(|&x| index.difficulty(x)).fold(f32::INFINITY, f32::min).min(1.0)
    } else {
        level_sum / level_count as f32
    };
    let earliest = fringe.iter().map(|&x| index.position(x)).fold(1.0f32, f32::min);
    let fit = |x: NodeId, target: f32| (-((index.difficulty(x) - target) / 0.12).powi(2)).exp();
    let order = |x: NodeId| (-(index.position(x) - earliest).max(0.0) / 0.1).exp();
    let mut candidates: Vec<Candidate> = std::mem::take(&mut scratch.candidates);
    waits_for.sort_unstable();
    // The nodes that wait for `x` alone, in no particular order.
    let unlocks_of = |x: NodeId, out: &mut Vec<NodeId>| match goal_steps {
        // Without a goal, the search above met every node waiting only for `x` whose first
        // prerequisite is mastered; the others wait for `x` as their first.
        None => {
            out.extend(index.first_dependents(x).iter().copied().filter(|&d| {
                !mastered.get(d.index()) && snapshot.prerequisites(d).skip(1).all(|q| mastered.get(q.index()))
            }));
            let from = waits_for.partition_point(|&(u, _)| u < x);
            out.extend(waits_for[from..].iter().take_while(|&&(u, _)| u == x).map(|&(_, d)| d));
        }
        // With one, the search stayed in the goal's closure: read the dependents.
        Some(_) => out.extend(snapshot.dependents(x).filter(|&d| {
            index.learnable(d)
                && !mastered.get(d.index())
                && snapshot.prerequisites(d).all(|q| q == x || mastered.get(q.index()))
        })),
    };
    // Every fringe node's unlocks, one after the other: counted for the score, listed for the
    // items picked.
    let mut unlock_pool: Vec<NodeId> = std::mem::take(&mut scratch.unlock_pool);
    for &x in &fringe {
        let start = unlock_pool.len();
        unlocks_of(x, &mut unlock_pool);
        let unlock_count = unlock_pool.len() - start;
        let goal = goal_steps.as_ref().and_then(|s| s.get(x)).map_or(0.0, |d| 1.0 / (1.0 + d as f32));
        let parts = ScoreParts {
            goal,
            unlock: ((1.0 + unlock_count as f32).ln() / 9f32.ln()).min(1.0),
            fit: fit(x, learner_level + 0.05),
            review: 0.0,
            order: order(x),
            gain: ((1.0 - mastery.p(snapshot, x)) * default_params(snapshot.attrs(x)).learn / LEARN_SCALE)
                .clamp(0.0, 1.0),
            probe: 0.0,
        };
        let score = w.goal * parts.goal
            + w.unlock * parts.unlock
            + w.fit * parts.fit
            + w.order * parts.order
            + w.gain * parts.gain;
        let a = snapshot.attrs(x);
        candidates.push(Candidate {
            node: x,
            kind: ItemKind::Learn,
            score,
            parts,
            unlocks: Vec::new(),
            unlock_span: (start as u32, unlock_count as u32),
            thread: a.thread,
            topic: a.topic,
            confirms: Vec::new(),
            expected: None,
        });
    }
    if request.goal.is_none() {
        for (x, m) in mastery.entries() {
            if m.p < threshold || !index.learnable(x) || !subject_ok(x) {
                continue;
            }
            if m.recalls_at_least(request.now, threshold) {
                continue;
            }
            let recall = m.recall(request.now);
            let parts = ScoreParts {
                review: (1.0 - recall / m.p.max(1e-6)).clamp(0.0, 1.0),
                fit: fit(x, learner_level),
                order: order(x),
                gain: ((1.0 - recall) * default_params(snapshot.attrs(x)).learn / LEARN_SCALE).clamp(0.0, 1.0),
                ..ScoreParts::default()
            };
            let score =
                w.review * (0.5 + 0.5 * parts.review) + w.fit * parts.fit + w.order * parts.order + w.gain * parts.gain;
            let a = snapshot.attrs(x);
            candidates.push(Candidate {
                node: x,
                kind: ItemKind::Review,
                score,
                parts,
                unlocks: Vec::new(),
                unlock_span: (0, 0),
                thread: a.thread,
                topic: a.topic,
                confirms: Vec::new(),
                expected: None,
            });
        }
    }
    if let Some(alpha) = ahead_rate(index, mastery) {
        let region: Vec<NodeId> = match &goal_steps {
            Some(steps) => steps.nodes().collect(),
            None => beyond_fringe(snapshot, index, &fringe, &mastered),
        };
        let probe = Probe { snapshot, mastery, mastered: &mastered, alpha, threshold };
        let score = |x: NodeId, gain: f32, value: f32| {
            let parts = ScoreParts {
                goal: goal_steps.as_ref().and_then(|s| s.get(x)).map_or(0.0, |d| 1.0 / (1.0 + d as f32)),
                fit: fit(x, learner_level + 0.05),
                order: order(x),
                gain,
                probe: (value / PROBE_SCALE).min(1.0),
                ..ScoreParts::default()
            };
            let score = w.goal * parts.goal
                + w.fit * parts.fit
                + w.order * parts.order
                + w.gain * parts.gain
                + w.probe * parts.probe;
            (score, parts)
        };
        candidates.extend(probe.best(index, &region, &fringe, &subject_ok, &score));
    }
    let mut picked = match (request.goal, &goal_steps) {
        (Some(goal), Some(steps)) if candidates.is_empty() && steps.nodes().all(|x| mastered.get(x.index())) => {
            consolidation(snapshot, index, mastery, goal, request.n, &subject_ok)
        }
        _ => diversify(&mut candidates, request.n, config.per_thread, &mut scratch.picking),
    };
    for c in picked.iter_mut() {
        let (start, len) = (c.unlock_span.0 as usize, c.unlock_span.1 as usize);
        c.unlocks.extend_from_slice(&unlock_pool[start..start + len]);
        c.unlocks.sort_unstable();
    }
    let items = picked
        .into_iter()
        .map(|c| explain(snapshot, index, mastery, c, goal_steps.as_ref(), request.now, config))
        .collect();
    fringe.clear();
    waits_for.clear();
    unlock_pool.clear();
    candidates.clear();
    candidates.shrink_to(KEPT_CANDIDATES);
    scratch.mastered = mastered.0;
    scratch.seen = seen.0;
    scratch.fringe = fringe;
    scratch.waits_for = waits_for;
    scratch.unlock_pool = unlock_pool;
    scratch.candidates = candidates;
    if let Some(steps) = goal_steps {
        scratch.goal_steps = steps.0;
    }
    SCRATCH.with(|s| s.set(Some(scratch)));
    items
}

/// Consolidation items (see [`next_steps`]): the goal and its transitive prerequisites, fewest
/// practice attempts first and lowest belief among equals, scored
/// `(1 + (1 − p) / (a + 3)) / (a + 2)` for `a` attempts and belief `p`, which keeps that
/// order. O(C log C) for a closure of C nodes.
fn consolidation(
    snapshot: &Snapshot,
    index: &RecommendIndex,
    mastery: &Mastery,
    goal: NodeId,
    n: usize,
    subject_ok: &dyn Fn(NodeId) -> bool,
) -> Vec<Candidate> {
    let mut nodes = prerequisite_closure(snapshot, goal);
    nodes.push(goal);
    let mut ranked: Vec<(u32, f32, NodeId)> = nodes
        .into_iter()
        .filter(|&x| index.learnable(x) && subject_ok(x))
        .map(|x| (mastery.entry(x).map_or(0, |m| m.attempts), mastery.p(snapshot, x), x))
        .collect();
    ranked.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)).then(a.2.cmp(&b.2)));
    ranked
        .into_iter()
        .take(n)
        .map(|(attempts, p, x)| {
            let a = attempts as f32;
            let attrs = snapshot.attrs(x);
            Candidate {
                node: x,
                kind: ItemKind::Consolidate,
                score: (1.0 + (1.0 - p) / (a + 3.0)) / (a + 2.0),
                parts: ScoreParts::default(),
                unlocks: Vec::new(),
                unlock_span: (0, 0),
                thread: attrs.thread,
                topic: attrs.topic,
                confirms: Vec::new(),
                expected: None,
            }
        })
        .collect()
}

/// A candidate's place in the ranking: higher score first, then the smaller node.
#[derive(PartialEq)]
struct Ranked(f32, NodeId, u32);

impl Eq for Ranked {}

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0).then(other.1.cmp(&self.1))
    }
}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Greedy selection under the diversity rule (see [`next_steps`]).
///
/// Each pick is the candidate with the best effective score, its score less the penalties
/// for its thread and topic. Penalties only lower a score, so candidates are read best score
/// first (from a heap, drawn only as far as needed) and the search stops at the first whose
/// score cannot beat the best effective score found: O(c + n · k · log c) for c candidates
/// when k are read per pick, and k stays small unless one thread holds the best ones.
fn diversify(candidates: &mut [Candidate], n: usize, per_thread: usize, bufs: &mut Picking) -> Vec<Candidate> {
    let mut heap_buffer = std::mem::take(&mut bufs.heap);
    heap_buffer.clear();
    heap_buffer.extend(candidates.iter().enumerate().map(|(i, c)| Ranked(c.score, c.node, i as u32)));
    let mut heap = std::collections::BinaryHeap::from(heap_buffer);
    // Candidates in ranking order, drawn from the heap as needed.
    let ranked = &mut bufs.ranked;
    ranked.clear();
    let taken = &mut bufs.taken;
    taken.clear();
    taken.resize(candidates.len(), false);
    let chosen = &mut bufs.chosen;
    chosen.clear();
    // Items taken per thread and per topic: a handful, so a list is faster than a map.
    let (thread_count, topic_count) = (&mut bufs.thread_count, &mut bufs.topic_count);
    thread_count.clear();
    topic_count.clear();
    let count = |counts: &[(Sym, usize)], key: Option<Sym>| {
        key.and_then(|k| counts.iter().find(|(s, _)| *s == k)).map_or(0, |&(_, c)| c)
    };
    let bump = |counts: &mut Vec<(Sym, usize)>, key: Option<Sym>| {
        if let Some(k) = key {
            match counts.iter_mut().find(|(s, _)| *s == k) {
                Some((_, c)) => *c += 1,
                None => counts.push((k, 1)),
            }
        }
    };
    for relax in [false, true] {
        while chosen.len() < n {
            let mut best: Option<(u32, f32)> = None;
            let mut k = 0;
            loop {
                if k == ranked.len() {
                    match heap.pop() {
                        Some(r) => ranked.push(r.2),
                        None => break,
                    }
                }
                let i = ranked[k];
                k += 1;
                let c = &candidates[i as usize];
                if best.is_some_and(|(_, s)| c.score <= s) {
                    break;
                }
                if taken[i as usize] {
                    continue;
                }
                let in_thread = count(thread_count, c.thread);
                if !relax && in_thread >= per_thread {
                    continue;
                }
                let in_topic = count(topic_count, c.topic);
                let effective = c.score - 0.1 * in_topic as f32 - 0.2 * in_thread as f32;
                if best.is_none_or(|(_, s)| effective > s) {
                    best = Some((i, effective));
                }
            }
            let Some((i, _)) = best else { break };
            taken[i as usize] = true;
            let c = &candidates[i as usize];
            bump(thread_count, c.thread);
            bump(topic_count, c.topic);
            chosen.push(i);
        }
    }
    bufs.heap = heap.into_vec();
    chosen.iter().map(|&i| candidates[i as usize].take()).collect()
}

/// The learner's ahead rate `α = (clean + 1) / (practised + 2)`: of the knowledge points they
/// practised, the share answered right every time (Laplace-smoothed), an estimate of how often
/// they already know the next point when they know what it requires. `None` unless at least
/// one point was clean: only then are checks offered.
fn ahead_rate(index: &RecommendIndex, mastery: &Mastery) -> Option<f32> {
    let (mut practised, mut clean) = (0u32, 0u32);
    for (node, m) in mastery.entries() {
        if m.attempts > 0 && index.learnable(node) {
            practised += 1;
            clean += u32::from(m.correct == m.attempts);
        }
    }
    (clean > 0).then(|| (clean as f32 + 1.0) / (practised as f32 + 2.0))
}

/// Knowledge points one or two `requires` steps beyond the fringe, not mastered, the nearest
/// first and in node order among equals; at most [`PROBE_CANDIDATES`].
fn beyond_fringe(snapshot: &Snapshot, index: &RecommendIndex, fringe: &[NodeId], mastered: &BitSet) -> Vec<NodeId> {
    let mut seen: rustc_hash::FxHashSet<NodeId> = fringe.iter().copied().collect();
    let mut layer: Vec<NodeId> = fringe.to_vec();
    layer.sort();
    let mut out = Vec::new();
    for _ in 0..2 {
        let mut next: Vec<NodeId> = Vec::new();
        for &x in &layer {
            for d in snapshot.dependents(x) {
                if index.learnable(d) && !mastered.get(d.index()) && seen.insert(d) {
                    next.push(d);
                }
            }
        }
        next.sort();
        out.extend_from_slice(&next);
        if out.len() >= PROBE_CANDIDATES {
            break;
        }
        layer = next;
    }
    out.truncate(PROBE_CANDIDATES);
    out
}

/// Most nodes whose estimate `π` one request computes; a node beyond is no candidate, and a
/// prerequisite beyond counts as unknown.
const KNOWN_BUDGET: usize = 512;

/// The choice of a check (see [`next_steps`]).
struct Probe<'a> {
    snapshot: &'a Snapshot,
    mastery: &'a Mastery,
    mastered: &'a BitSet,
    alpha: f32,
    threshold: f32,
}

impl Probe<'_> {
    /// `π(x)`, the estimate that the learner knows `x` (see [`next_steps`]), memoised and
    /// recursive over the prerequisites; `None` past the budget. A node enters the memo before
    /// its prerequisites are visited, so at most [`KNOWN_BUDGET`] nodes are estimated and the
    /// recursion is no deeper.
    fn known(&self, x: NodeId, memo: &mut HashMap<NodeId, Option<f32>>) -> Option<f32> {
        if let Some(&v) = memo.get(&x) {
            return v;
        }
        let entry = self.mastery.entry(x);
        let p = self.mastery.p(self.snapshot, x);
        if self.mastered.get(x.index()) || entry.is_some_and(|m| m.correct < m.attempts) {
            memo.insert(x, Some(p));
            return Some(p);
        }
        if memo.len() >= KNOWN_BUDGET {
            memo.insert(x, None);
            return None;
        }
        memo.insert(x, None);
        let least = self.least(x, memo);
        let ahead = self.alpha * least;
        let v = if entry.is_some() { p.max(ahead) } else { ahead };
        memo.insert(x, Some(v));
        Some(v)
    }

    /// `min over the direct prerequisites q of π(q)` (1 for none), an unestimated `π` as 0.
    fn least(&self, x: NodeId, memo: &mut HashMap<NodeId, Option<f32>>) -> f32 {
        self.snapshot.prerequisites(x).map(|q| self.known(q, memo).unwrap_or(0.0)).fold(1.0f32, f32::min)
    }

    /// The transitive prerequisites of `x` not mastered, reached through nodes not mastered,
    /// nearest first; at most `limit`.
    fn confirms(&self, index: &RecommendIndex, x: NodeId, limit: usize) -> Vec<NodeId> {
        let mut seen: rustc_hash::FxHashSet<NodeId> = rustc_hash::FxHashSet::default();
        let mut out = Vec::new();
        let mut queue = std::collections::VecDeque::from([x]);
        while let Some(y) = queue.pop_front() {
            for q in self.snapshot.prerequisites(y) {
                if self.mastered.get(q.index()) || !seen.insert(q) {
                    continue;
                }
                if index.learnable(q) && self.mastery.p(self.snapshot, q) < self.threshold {
                    out.push(q);
                    if out.len() >= limit {
                        return out;
                    }
                }
                queue.push_back(q);
            }
        }
        out
    }

    /// The best check among `region`, by `score(node, gain, expected confirmations)`; `None`
    /// when no node qualifies (see [`next_steps`]).
    fn best(
        &self,
        index: &RecommendIndex,
        region: &[NodeId],
        fringe: &[NodeId],
        subject_ok: &dyn Fn(NodeId) -> bool,
        score: &dyn Fn(NodeId, f32, f32) -> (f32, ScoreParts),
    ) -> Option<Candidate> {
        let fringe: rustc_hash::FxHashSet<NodeId> = fringe.iter().copied().collect();
        let mut memo = HashMap::default();
        let mut candidates: Vec<(NodeId, f32)> = region
            .iter()
            .copied()
            .filter(|&x| {
                index.learnable(x)
                    && !self.mastered.get(x.index())
                    && !fringe.contains(&x)
                    && subject_ok(x)
                    && self.mastery.entry(x).is_none_or(|m| m.correct == m.attempts)
            })
            .filter_map(|x| Some((x, self.known(x, &mut memo)?)))
            .collect();
        candidates.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        candidates.truncate(PROBE_CANDIDATES);
        let mut best: Option<Candidate> = None;
        for (x, known) in candidates {
            let params = default_params(self.snapshot.attrs(x));
            // The probe part saturates: count only as far as it can grow.
            let per_confirmation = known * (1.0 - params.slip);
            let enough = (PROBE_SCALE / per_confirmation.max(1e-3)).ceil() as usize;
            let confirms = self.confirms(index, x, enough.min(MAX_PROPAGATION));
            if confirms.is_empty() {
                continue;
            }
            let least = self.least(x, &mut memo);
            let gain = ((1.0 - known) * least * params.learn / LEARN_SCALE).clamp(0.0, 1.0);
            let value = per_confirmation * confirms.len() as f32;
            let (score, parts) = score(x, gain, value);
            if best.as_ref().is_none_or(|b| score > b.score) {
                let a = self.snapshot.attrs(x);
                best = Some(Candidate {
                    node: x,
                    kind: ItemKind::Probe,
                    score,
                    parts,
                    unlocks: Vec::new(),
                    unlock_span: (0, 0),
                    thread: a.thread,
                    topic: a.topic,
                    confirms,
                    expected: Some(p_correct(known, &params)),
                });
            }
        }
        let mut best = best?;
        best.confirms = self.confirms(index, best.node, MAX_PROPAGATION);
        Some(best)
    }
}

fn explain(
    snapshot: &Snapshot,
    index: &RecommendIndex,
    mastery: &Mastery,
    c: Candidate,
    goal_steps: Option<&GoalSteps>,
    now: i64,
    config: &RecommendConfig,
) -> Recommendation {
    let entry = mastery.entry(c.node).copied();
    let p = mastery.p(snapshot, c.node);
    let params = default_params(snapshot.attrs(c.node));
    let review = c.kind == ItemKind::Review;
    let probe = c.kind == ItemKind::Probe;
    let last = entry.and_then(|m| m.last_practised);
    Recommendation {
        node: c.node,
        kind: c.kind,
        score: c.score,
        parts: c.parts,
        explanation: Explanation {
            mastered_prerequisites: if probe { Vec::new() } else { snapshot.prerequisites(c.node).collect() },
            confirms: c.confirms,
            unlocks: c.unlocks,
            steps_to_goal: goal_steps.and_then(|s| s.get(c.node)),
            mastery: p,
            expected_success: c.expected.unwrap_or_else(|| p_correct(p, &params)),
            days_since_practice: if review { last.map(|t| (now - t) as f32 / DAY as f32) } else { None },
            recall: if review { entry.map(|m| m.recall(now)) } else { None },
            attempts: entry.map_or(0, |m| m.attempts),
        },
        resources: index.resources(c.node).iter().take(config.resources_per_item).copied().collect(),
    }
}

/// Whether every direct prerequisite of `node` is mastered at `threshold`.
pub fn is_ready(snapshot: &Snapshot, mastery: &Mastery, node: NodeId, threshold: f32) -> bool {
    mastery.p(snapshot, node) < threshold && snapshot.prerequisites(node).all(|q| mastery.p(snapshot, q) >= threshold)
}

/// The learner's whole ready-to-learn fringe (the naive definition, for tests and reports):
/// every knowledge point not mastered whose prerequisites are all mastered. O(n + m).
pub fn ready_fringe(snapshot: &Snapshot, index: &RecommendIndex, mastery: &Mastery, threshold: f32) -> Vec<NodeId> {
    snapshot.nodes().filter(|&x| index.learnable(x) && is_ready(snapshot, mastery, x, threshold)).collect()
}

/// Nodes of the goal's closure still to master (used by callers that report progress).
pub fn remaining_for_goal(snapshot: &Snapshot, mastery: &Mastery, goal: NodeId, threshold: f32) -> usize {
    prerequisite_closure(snapshot, goal)
        .into_iter()
        .chain(std::iter::once(goal))
        .filter(|&x| mastery.p(snapshot, x) < threshold)
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{LearnerState, NodeMastery, Observation};
    use tupu_graph::{NodeKind, Relation, SnapshotBuilder};

    /// Three threads: a (a0 ◀ a1 ◀ a2), b (b0 ◀ b1), c (c0); a1 also requires b0.
    fn graph() -> (Snapshot, HashMap<&'static str, NodeId>) {
        let mut b = SnapshotBuilder::new();
        let mut ids = HashMap::default();
        for (i, name) in ["a0", "a1", "a2", "b0", "b1", "c0"].iter().enumerate() {
            let id = b.node(&format!("https://e.org/{name}"), NodeKind::KnowledgePoint);
            let thread = b.symbol(&name[..1]);
            b.attrs_mut(id).thread = Some(thread);
            b.attrs_mut(id).sequence = Some(i as u32);
            ids.insert(*name, id);
        }
        for (x, y) in [("a1", "a0"), ("a2", "a1"), ("b1", "b0"), ("a1", "b0")] {
            b.edge(Relation::Requires, ids[x], ids[y], 1.0);
        }
        let lesson = b.node("https://e.org/lesson", NodeKind::Resource);
        b.edge(Relation::Teaches, lesson, ids["a1"], 1.0);
        (b.build(1), ids)
    }

    fn request(n: usize) -> NextRequest {
        NextRequest { n, goal: None, subject: None, now: 0 }
    }

    #[test]
    fn new_learner_gets_the_roots() {
        let (s, ids) = graph();
        let index = RecommendIndex::new(&s);
        let items = next_steps(&s, &index, &Mastery::default(), &request(5), &RecommendConfig::default());
        let mut got: Vec<NodeId> = items.iter().map(|i| i.node).collect();
        got.sort();
        let mut want = vec![ids["a0"], ids["b0"], ids["c0"]];
        want.sort();
        assert_eq!(got, want);
    }

    #[test]
    fn fast_path_matches_naive_fringe() {
        let (s, ids) = graph();
        let index = RecommendIndex::new(&s);
        let mastery =
            Mastery::from_entries([(ids["a0"], NodeMastery::belief(0.9)), (ids["b0"], NodeMastery::belief(0.9))]);
        let items = next_steps(&s, &index, &mastery, &request(10), &RecommendConfig::default());
        let mut got: Vec<NodeId> = items.iter().filter(|i| i.kind == ItemKind::Learn).map(|i| i.node).collect();
        got.sort();
        assert_eq!(got, ready_fringe(&s, &index, &mastery, 0.85));
        let a1 = items.iter().find(|i| i.node == ids["a1"]).unwrap();
        assert_eq!(a1.explanation.mastered_prerequisites.len(), 2);
        assert_eq!(a1.explanation.unlocks, vec![ids["a2"]]);
        assert_eq!(a1.resources.len(), 1);
        for x in s.nodes() {
            let want = if index.learnable(x) { crate::resources_for(&s, x, usize::MAX) } else { Vec::new() };
            assert_eq!(index.resources(x), want.as_slice());
        }
    }

    #[test]
    fn goal_restricts_to_its_prerequisites() {
        let (s, ids) = graph();
        let index = RecommendIndex::new(&s);
        let req = NextRequest { goal: Some(ids["a2"]), ..request(5) };
        let items = next_steps(&s, &index, &Mastery::default(), &req, &RecommendConfig::default());
        let mut got: Vec<NodeId> = items.iter().map(|i| i.node).collect();
        got.sort();
        let mut want = vec![ids["a0"], ids["b0"]];
        want.sort();
        assert_eq!(got, want);
        assert!(items.iter().all(|i| i.explanation.steps_to_goal == Some(2)));
    }

    #[test]
    fn faded_mastery_comes_back_for_review() {
        let (s, ids) = graph();
        let index = RecommendIndex::new(&s);
        let m = NodeMastery { p: 0.95, last_practised: Some(0), attempts: 1, correct: 1 };
        let mastery = Mastery::from_entries([(ids["c0"], m)]);
        let req = NextRequest { now: 60 * DAY, ..request(10) };
        let items = next_steps(&s, &index, &mastery, &req, &RecommendConfig::default());
        let review = items.iter().find(|i| i.node == ids["c0"]).unwrap();
        assert_eq!(review.kind, ItemKind::Review);
        assert!(review.explanation.recall.unwrap() < 0.85);
        // Nearly forgotten, it is worth relearning before anything new.
        assert!(items.iter().filter(|i| i.kind == ItemKind::Learn).all(|i| i.score < review.score), "{items:#?}");
        assert!(review.parts.gain > 0.0);
    }

    #[test]
    fn one_thread_cannot_fill_the_list() {
        let mut b = SnapshotBuilder::new();
        let mut nodes = Vec::new();
        for t in 0..2 {
            for i in 0..5 {
                let id = b.node(&format!("https://e.org/t{t}n{i}"), NodeKind::KnowledgePoint);
                let thread = b.symbol(&format!("t{t}"));
                b.attrs_mut(id).thread = Some(thread);
                // Thread 0 comes first in the teaching order and would win every slot.
                b.attrs_mut(id).sequence = Some((t * 10 + i) as u32);
                nodes.push(id);
            }
        }
        let s = b.build(1);
        let index = RecommendIndex::new(&s);
        let items = next_steps(&s, &index, &Mastery::default(), &request(4), &RecommendConfig::default());
        let from_first = items.iter().filter(|i| s.attrs(i.node).thread == s.attrs(nodes[0]).thread).count();
        assert_eq!(items.len(), 4);
        assert_eq!(from_first, 2);
    }

    #[test]
    fn expected_gain_prefers_what_is_not_yet_learnt() {
        // Two roots alike but for the belief: the one the learner is more likely to know
        // already teaches less per practice, so its gain part is smaller, by (1 − p).
        let (s, ids) = graph();
        let index = RecommendIndex::new(&s);
        let half = NodeMastery { p: 0.6, last_practised: Some(0), attempts: 2, correct: 1 };
        let mastery = Mastery::from_entries([(ids["b0"], half)]);
        let items = next_steps(&s, &index, &mastery, &request(3), &RecommendConfig::default());
        let gain = |name: &str| items.iter().find(|i| i.node == ids[name]).unwrap().parts.gain;
        let learn = default_params(s.attrs(ids["b0"])).learn;
        assert!((gain("b0") - 0.4 * learn / LEARN_SCALE).abs() < 1e-6);
        assert!(gain("c0") > gain("b0"));
        let no_gain = RecommendConfig {
            weights: ScoreWeights { gain: 0.0, ..ScoreWeights::default() },
            ..RecommendConfig::default()
        };
        let without = next_steps(&s, &index, &mastery, &request(3), &no_gain);
        let score = |items: &[Recommendation], name: &str| items.iter().find(|i| i.node == ids[name]).unwrap().score;
        let w = ScoreWeights::default().gain;
        assert!((score(&items, "c0") - score(&without, "c0") - w * gain("c0")).abs() < 1e-6);
    }

    /// A chain a0 ◀ a1 ◀ … ◀ a5 in thread a, and two lone roots b0, c0.
    fn chain() -> (Snapshot, Vec<NodeId>) {
        let mut b = SnapshotBuilder::new();
        let mut ids = Vec::new();
        for (i, name) in ["a0", "a1", "a2", "a3", "a4", "a5", "b0", "c0"].iter().enumerate() {
            let id = b.node(&format!("https://e.org/{name}"), NodeKind::KnowledgePoint);
            let thread = b.symbol(&name[..1]);
            b.attrs_mut(id).thread = Some(thread);
            b.attrs_mut(id).sequence = Some(i as u32);
            ids.push(id);
        }
        for i in 1..6 {
            b.edge(Relation::Requires, ids[i], ids[i - 1], 1.0);
        }
        (b.build(1), ids)
    }

    fn answer(state: &mut LearnerState, s: &Snapshot, node: NodeId, right: bool, times: usize) {
        for t in 0..times {
            let score = if right { 1.0 } else { 0.0 };
            state.observe(s, Observation { node, score, time: t as i64 });
        }
    }

    fn checks(items: &[Recommendation]) -> Vec<&Recommendation> {
        items.iter().filter(|i| i.kind == ItemKind::Probe).collect()
    }

    #[test]
    fn no_check_without_practice() {
        let (s, ids) = chain();
        let index = RecommendIndex::new(&s);
        let config = RecommendConfig::default();
        let none = next_steps(&s, &index, &Mastery::default(), &request(8), &config);
        assert!(checks(&none).is_empty());
        // Placement beliefs are no practice.
        let placed = Mastery::from_entries([(ids[0], NodeMastery::belief(0.95)), (ids[1], NodeMastery::belief(0.6))]);
        assert!(checks(&next_steps(&s, &index, &placed, &request(8), &config)).is_empty());
        // Nor is practice without one point answered right every time.
        let mut state = LearnerState::default();
        answer(&mut state, &s, ids[0], false, 2);
        answer(&mut state, &s, ids[1], true, 1);
        answer(&mut state, &s, ids[1], false, 1);
        assert!(checks(&next_steps(&s, &index, &state.resolve(&s), &request(8), &config)).is_empty());
    }

    #[test]
    fn a_learner_who_gets_things_wrong_values_checks_less() {
        let (s, ids) = chain();
        let index = RecommendIndex::new(&s);
        let config = RecommendConfig::default();
        let probe_part = |wrong: usize| {
            let mut state = LearnerState::default();
            answer(&mut state, &s, ids[0], true, 3);
            // Wrong answers on the lone roots lower the ahead rate and leave the chain alone.
            for &node in &ids[6..6 + wrong] {
                answer(&mut state, &s, node, false, 1);
            }
            let items = next_steps(&s, &index, &state.resolve(&s), &request(8), &config);
            checks(&items).first().map_or(0.0, |c| c.parts.probe)
        };
        let (ahead, struggling) = (probe_part(0), probe_part(2));
        assert!(ahead > struggling, "ahead {ahead}, struggling {struggling}");
    }

    #[test]
    fn an_ahead_learner_gets_one_check_beyond_the_fringe() {
        let (s, ids) = chain();
        let index = RecommendIndex::new(&s);
        let mut state = LearnerState::default();
        answer(&mut state, &s, ids[0], true, 3);
        answer(&mut state, &s, ids[6], true, 1);
        let mastery = state.resolve(&s);
        let threshold = RecommendConfig::default().mastery_threshold;
        let items = next_steps(&s, &index, &mastery, &request(8), &RecommendConfig::default());
        let found = checks(&items);
        assert_eq!(found.len(), 1, "{items:#?}");
        let check = found[0];
        let fringe = ready_fringe(&s, &index, &mastery, threshold);
        assert!(!fringe.contains(&check.node) && mastery.p(&s, check.node) < threshold);
        // It confirms exactly its prerequisites not yet mastered, nearest first.
        let mut want: Vec<NodeId> =
            ids[1..5].iter().copied().filter(|&q| prerequisite_closure(&s, check.node).contains(&q)).collect();
        want.reverse();
        assert_eq!(check.explanation.confirms, want);
        assert!(check.explanation.mastered_prerequisites.is_empty());
        assert!(check.parts.probe > 0.0 && check.parts.unlock == 0.0);
        let w = ScoreWeights::default();
        let p = &check.parts;
        let sum = w.goal * p.goal + w.fit * p.fit + w.order * p.order + w.gain * p.gain + w.probe * p.probe;
        assert!((check.score - sum).abs() < 1e-5);
        // The items to learn keep their meaning: every one is ready.
        for item in items.iter().filter(|i| i.kind == ItemKind::Learn) {
            assert!(fringe.contains(&item.node), "{:?}", item.node);
        }
    }

    #[test]
    fn a_goal_believed_mastered_is_consolidated_from_the_least_evidence() {
        let (s, ids) = chain();
        let index = RecommendIndex::new(&s);
        let config = RecommendConfig::default();
        let m = |p: f32, attempts: u32| NodeMastery { p, last_practised: Some(0), attempts, correct: attempts };
        // a0 … a3 believed mastered: a3 practised twice, a1 once, a0 and a2 only inferred.
        let mastery = Mastery::from_entries([
            (ids[0], m(0.97, 0)),
            (ids[1], m(0.9, 1)),
            (ids[2], m(0.92, 0)),
            (ids[3], m(0.95, 2)),
        ]);
        let goal = NextRequest { goal: Some(ids[3]), ..request(3) };
        let items = next_steps(&s, &index, &mastery, &goal, &config);
        assert!(items.iter().all(|i| i.kind == ItemKind::Consolidate), "{items:#?}");
        let nodes: Vec<NodeId> = items.iter().map(|i| i.node).collect();
        assert_eq!(nodes, vec![ids[2], ids[0], ids[1]]);
        assert!(items.windows(2).all(|w| w[0].score > w[1].score));
        assert_eq!(items[2].explanation.attempts, 1);
        // While something of the closure is left to learn, there is none.
        let further = NextRequest { goal: Some(ids[4]), ..request(3) };
        let items = next_steps(&s, &index, &mastery, &further, &config);
        assert!(items.iter().all(|i| i.kind != ItemKind::Consolidate) && !items.is_empty());
    }

    #[test]
    fn a_list_holds_at_most_one_check() {
        // Ten chains of four; the learner mastered the root of each.
        let mut b = SnapshotBuilder::new();
        let mut roots = Vec::new();
        for c in 0..10 {
            let ids: Vec<NodeId> =
                (0..4).map(|i| b.node(&format!("https://e.org/c{c}n{i}"), NodeKind::KnowledgePoint)).collect();
            for w in ids.windows(2) {
                b.edge(Relation::Requires, w[1], w[0], 1.0);
            }
            roots.push(ids[0]);
        }
        let s = b.build(1);
        let index = RecommendIndex::new(&s);
        let mut state = LearnerState::default();
        for &r in &roots {
            answer(&mut state, &s, r, true, 3);
        }
        let items = next_steps(&s, &index, &state.resolve(&s), &request(20), &RecommendConfig::default());
        assert_eq!(checks(&items).len(), 1);
        assert!(items.len() > 10);
    }

    #[test]
    fn a_right_check_moves_the_fringe_past_what_it_confirms() {
        let (s, ids) = chain();
        let index = RecommendIndex::new(&s);
        let config = RecommendConfig::default();
        let mut state = LearnerState::default();
        answer(&mut state, &s, ids[0], true, 3);
        answer(&mut state, &s, ids[6], true, 1);
        let req = NextRequest { goal: Some(ids[5]), ..request(3) };
        let items = next_steps(&s, &index, &state.resolve(&s), &req, &config);
        let check = checks(&items)[0].clone();
        assert!(prerequisite_closure(&s, ids[5]).contains(&check.node) || check.node == ids[5]);
        assert!(check.explanation.steps_to_goal.is_some());
        answer(&mut state, &s, check.node, true, 3);
        let mastery = state.resolve(&s);
        for &q in &check.explanation.confirms {
            assert!(mastery.p(&s, q) >= config.mastery_threshold, "{q:?} {}", mastery.p(&s, q));
        }
        // Nothing confirmed is offered to learn again (with the goal's whole closure believed
        // mastered, what comes is consolidation).
        let after = next_steps(&s, &index, &mastery, &req, &config);
        assert!(
            after
                .iter()
                .filter(|i| i.kind != ItemKind::Consolidate)
                .all(|i| !check.explanation.confirms.contains(&i.node))
        );
    }

    #[test]
    fn a_point_answered_wrong_is_not_checked_again() {
        let (s, ids) = chain();
        let index = RecommendIndex::new(&s);
        let mut state = LearnerState::default();
        answer(&mut state, &s, ids[0], true, 3);
        answer(&mut state, &s, ids[6], true, 1);
        answer(&mut state, &s, ids[7], true, 1);
        let first = next_steps(&s, &index, &state.resolve(&s), &request(8), &RecommendConfig::default());
        let checked = checks(&first)[0].node;
        answer(&mut state, &s, checked, false, 1);
        let again = next_steps(&s, &index, &state.resolve(&s), &request(8), &RecommendConfig::default());
        assert!(checks(&again).iter().all(|c| c.node != checked));
    }

    #[test]
    fn a_deep_goal_is_estimated_within_bounds() {
        // A chain of 3,000 points: the estimates and the confirmations stay bounded, and the
        // recursion does not follow the whole chain.
        let (s, ids) = {
            let mut b = SnapshotBuilder::new();
            let ids: Vec<NodeId> =
                (0..3_000).map(|i| b.node(&format!("https://e.org/n{i}"), NodeKind::KnowledgePoint)).collect();
            for w in ids.windows(2) {
                b.edge(Relation::Requires, w[1], w[0], 1.0);
            }
            (b.build(1), ids)
        };
        let index = RecommendIndex::new(&s);
        let mut state = LearnerState::default();
        answer(&mut state, &s, ids[0], true, 3);
        let req = NextRequest { goal: Some(ids[2_999]), ..request(3) };
        let items = next_steps(&s, &index, &state.resolve(&s), &req, &RecommendConfig::default());
        assert!(items.iter().any(|i| i.node == ids[1] && i.kind == ItemKind::Learn));
        // A check goes only a few steps past what the learner showed: π falls by α per step.
        for check in checks(&items) {
            assert!(ids[2..8].contains(&check.node), "{:?}", check.node);
            assert!(!check.explanation.confirms.is_empty());
        }
    }

    /// The selection as first written: a full scan of the candidates for every pick.
    fn diversify_by_scanning(mut candidates: Vec<Candidate>, n: usize, per_thread: usize) -> Vec<NodeId> {
        candidates.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.node.cmp(&b.node)));
        let mut picked = Vec::new();
        let mut thread_count: HashMap<Sym, usize> = HashMap::default();
        let mut topic_count: HashMap<Sym, usize> = HashMap::default();
        for relax in [false, true] {
            while picked.len() < n {
                let mut best: Option<(usize, f32)> = None;
                for (i, c) in candidates.iter().enumerate() {
                    let in_thread = c.thread.map_or(0, |t| thread_count.get(&t).copied().unwrap_or(0));
                    if !relax && in_thread >= per_thread {
                        continue;
                    }
                    let in_topic = c.topic.map_or(0, |t| topic_count.get(&t).copied().unwrap_or(0));
                    let effective = c.score - 0.1 * in_topic as f32 - 0.2 * in_thread as f32;
                    if best.is_none_or(|(_, s)| effective > s) {
                        best = Some((i, effective));
                    }
                }
                let Some((i, _)) = best else { break };
                let c = candidates.remove(i);
                if let Some(t) = c.thread {
                    *thread_count.entry(t).or_default() += 1;
                }
                if let Some(t) = c.topic {
                    *topic_count.entry(t).or_default() += 1;
                }
                picked.push(c.node);
            }
        }
        picked
    }

    proptest::proptest! {
        #[test]
        fn diversify_picks_what_a_full_scan_picks(
            raw in proptest::collection::vec((0u8..20, 0u8..4, 0u8..5, 0u8..3), 0..60),
            n in 0usize..12,
            per_thread in 1usize..4,
        ) {
            let mut b = SnapshotBuilder::new();
            let syms: Vec<Sym> = (0..5).map(|i| b.symbol(&format!("s{i}"))).collect();
            let candidates = || -> Vec<Candidate> {
                raw.iter()
                    .enumerate()
                    .map(|(i, &(score, thread, topic, _))| Candidate {
                        node: NodeId::new(i),
                        kind: ItemKind::Learn,
                        // Coarse scores, so that ties happen.
                        score: f32::from(score) / 10.0,
                        parts: ScoreParts::default(),
                        unlocks: Vec::new(),
                        unlock_span: (0, 0),
                        thread: (thread > 0).then(|| syms[usize::from(thread)]),
                        topic: (topic > 0).then(|| syms[usize::from(topic)]),
                        confirms: Vec::new(),
                        expected: None,
                    })
                    .collect()
            };
            let fast: Vec<NodeId> = diversify(&mut candidates(), n, per_thread, &mut Picking::default())
                .into_iter()
                .map(|c| c.node)
                .collect();
            proptest::prop_assert_eq!(fast, diversify_by_scanning(candidates(), n, per_thread));
        }
    }
}
