//! Next steps: the ready-to-learn fringe, ranked, diversified and explained.

use rustc_hash::FxHashMap as HashMap;

use tupu_graph::{NodeId, Snapshot, Sym, prerequisite_closure};

use crate::bkt::{default_params, half_life_days, p_correct};
use crate::index::RecommendIndex;
use crate::model::{DAY, MAX_PROPAGATION, Mastery, NodeMastery};

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
    /// Rank progress toward these nodes first (steps are counted to the nearest); empty for
    /// no goal.
    pub goals: Vec<NodeId>,
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
    /// these are the points of the goal's closure not yet confirmed ([`is_confirmed`]), the
    /// least practised first, to confirm the goal rather than leave the learner with an empty
    /// list. Once every point is confirmed, consolidation ends (see [`next_steps`]).
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
    /// the easiest candidate); for a review, centred on the level itself.
    pub fit: f32,
    /// For a review only, 0 otherwise: `0.5 + 0.5 · (1 − recall / belief)`, half for being due
    /// and half for how far recall has decayed; 1 for a prerequisite offered in place of a
    /// point the learner is stuck on.
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

/// Wrong answers on one knowledge point from which a learner who rarely gets it right is taken
/// to be stuck on it (wheel-spinning: more practice of the same point is unlikely to help).
pub const STUCK_WRONG: u32 = 4;

/// A learner with [`STUCK_WRONG`] wrong answers on a point is stuck on it while fewer than
/// this share of their answers on it are right.
pub const STUCK_RIGHT_SHARE: f32 = 0.25;

/// What the score of a point the learner is stuck on loses: more than all the parts of a
/// point to learn can add (their weights sum to under 2.5 with the defaults, see
/// [`ScoreWeights`]), so every other ready point ranks first.
pub const STUCK_PENALTY: f32 = 3.0;

/// Whether a learner with this record on a point is stuck on it: at least [`STUCK_WRONG`]
/// wrong answers and fewer than [`STUCK_RIGHT_SHARE`] of them right.
///
/// ```
/// use tupu_recommend::{NodeMastery, is_stuck};
///
/// let record = |attempts, correct| NodeMastery { attempts, correct, ..NodeMastery::belief(0.2) };
/// assert!(is_stuck(&record(20, 0)) && is_stuck(&record(5, 1)));
/// assert!(!is_stuck(&record(3, 0)) && !is_stuck(&record(12, 8)));
/// ```
pub fn is_stuck(m: &NodeMastery) -> bool {
    let wrong = m.attempts.saturating_sub(m.correct);
    wrong >= STUCK_WRONG && (m.correct as f32) < STUCK_RIGHT_SHARE * m.attempts as f32
}

/// Whether `q` was practised at or after `since` (never, for `None`): a prerequisite reviewed
/// since the learner last tried the point they are stuck on needs no second review for it.
fn reviewed_since(mastery: &Mastery, q: NodeId, since: Option<i64>) -> bool {
    let last = mastery.entry(q).and_then(|m| m.last_practised);
    matches!((last, since), (Some(t), Some(s)) if t >= s)
}

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
    /// Wrong answers on the node.
    pub wrong: u32,
    /// The learner is stuck on this node ([`is_stuck`]): it ranks below every other ready
    /// point, and a teacher may want to know.
    pub stuck: bool,
    /// For a review of a prerequisite: the node the learner is stuck on that requires it.
    pub instead_of: Option<NodeId>,
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
    /// For a review offered because the learner is stuck on a node that requires it: that node.
    instead_of: Option<NodeId>,
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
            instead_of: self.instead_of,
        }
    }
}

/// Ranks what a learner should do next, in four named stages: **fringe** (what is ready),
/// **score**, **probe** (at most one check), **pick** (diversity rule or consolidation).
///
/// Candidates are the **ready-to-learn fringe** (knowledge points not mastered whose direct
/// prerequisites are all mastered, found from the roots, from what the learner started, and
/// from the knowledge points whose first prerequisite the learner mastered) and **reviews**
/// (mastered points whose recall has decayed below the threshold). Every candidate gets one
/// formula, `score = Σ w_part · part` over the parts of [`ScoreParts`] (goal, unlock, fit,
/// review, order, gain, probe), each part 0 where it does not apply; with goals, only fringe
/// nodes among the goals' prerequisites (or the goals themselves) are ranked, steps counted to
/// the nearest goal.
///
/// **Repeated failure changes course.** A ready point the learner is stuck on ([`is_stuck`]:
/// at least [`STUCK_WRONG`] wrong answers and under [`STUCK_RIGHT_SHARE`] right) loses
/// [`STUCK_PENALTY`], so every other ready point ranks first, and is flagged
/// ([`Explanation::stuck`]); its prerequisites are offered for review in its place
/// ([`Explanation::instead_of`]), each until it is practised again: a prerequisite practised
/// since the learner last tried the stuck point is not offered for it again (offered on and
/// on, such reviews of points the learner knows took 12–29% of the steps of 80-step simulated
/// episodes and left Tupu at 0.91× and 0.77× of a random ready point; without them, 1.00× and
/// 0.99× on ChalkBase and the synthetic graph). A wrong answer alone cannot do this: under
/// BKT's learning transition it may even raise the belief.
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
/// answered wrong, reached by the learner's own evidence (a point they answered lies at most
/// three `requires` steps below, and the candidate is in a framework and a subject they
/// answered in), at most 64 (highest `π` first). Each is scored like a node to learn, with
/// no unlock part and with `w_probe·probe`: `gain` is the expected learning from practising
/// it and `probe` the expected number of prerequisites a correct answer would confirm (see
/// [`ScoreParts`]). The best one joins the candidates, so a list holds at most one check, and
/// a learner with no practice at all gets none.
///
/// With goals whose every knowledge point is believed mastered (the goals and their whole
/// closures), nothing is left to learn or check: the list then holds **consolidation** items
/// ([`ItemKind::Consolidate`]), the points of the closures not yet confirmed by the learner's
/// own answers ([`is_confirmed`]: [`CONFIRM_RIGHT`] right answers and recall at the mastery
/// threshold now), fewest practice attempts first, lowest belief first among equals, and
/// [`list_status`] says so. Points mastered by inference alone come first: practising them
/// confirms what the goals rest on. **Consolidation ends** once every point is confirmed: the
/// list is empty and its status is [`ListStatus::GoalConfirmed`], until recall fades below the
/// threshold and the faded points come back. (A belief is no confirmation: ending at a belief
/// of 0.95 drops the points mastered by inference alone, whose practice teaches most, and
/// lowers the simulated learning gain on ChalkBase from 1.21× to 1.19× of the best baseline,
/// under the promised 1.2×; see [`CONFIRM_RIGHT`].)
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
/// let request = NextRequest { n: 5, goals: Vec::new(), subject: None, now: 0 };
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
    let mut scratch = SCRATCH.with(std::cell::Cell::take).unwrap_or_default();
    // Stage 0: what the learner masters, and what the goals rest on.
    let (mastered, level) = mastered_nodes(snapshot, index, mastery, config.mastery_threshold, &mut scratch);
    let goal_steps =
        (!request.goals.is_empty()).then(|| goal_closure(snapshot, &request.goals, &mastered, &mut scratch));
    let ctx = Ctx { snapshot, index, mastery, request, config, mastered: &mastered, goal_steps: goal_steps.as_ref() };
    // Stage 1, fringe: the points ready to learn.
    let (mut fringe, mut waits_for, seen) = ctx.fringe(&mut scratch);
    // Stage 2, score: each ready point, each stuck point's prerequisites, each review.
    let scorer = Scorer::new(index, &config.weights, &fringe, level);
    let mut candidates: Vec<Candidate> = std::mem::take(&mut scratch.candidates);
    let mut unlock_pool: Vec<NodeId> = std::mem::take(&mut scratch.unlock_pool);
    waits_for.sort_unstable();
    ctx.score_fringe(&scorer, &fringe, &waits_for, &mut unlock_pool, &mut candidates);
    ctx.score_reviews(&scorer, &mut candidates);
    // Stage 3, probe: at most one check beyond the fringe.
    candidates.extend(ctx.probe(&scorer, &fringe));
    // Stage 4, pick: consolidation once the goals are believed mastered, else the diversity rule.
    let mut picked = ctx.pick(&mut candidates, &mut scratch.picking);
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

/// The bit set of mastered nodes and the learner's level: the mean difficulty of the learnable
/// nodes they master (`None` when they master none). O(n/64 + m).
fn mastered_nodes(
    snapshot: &Snapshot,
    index: &RecommendIndex,
    mastery: &Mastery,
    threshold: f32,
    scratch: &mut Scratch,
) -> (BitSet, Option<f32>) {
    let mut mastered = BitSet::reuse(std::mem::take(&mut scratch.mastered), snapshot.node_count());
    let (mut sum, mut count) = (0.0f32, 0usize);
    for (node, p) in mastery.beliefs() {
        if p >= threshold {
            mastered.set(node.index());
            if index.learnable(node) {
                sum += index.difficulty(node);
                count += 1;
            }
        }
    }
    (mastered, (count > 0).then(|| sum / count as f32))
}

/// Steps from the nearest goal down to each node of the goals' closures that is not mastered
/// (and to the goals themselves): breadth-first from all goals at once. O(C + edges in C).
fn goal_closure(snapshot: &Snapshot, goals: &[NodeId], mastered: &BitSet, scratch: &mut Scratch) -> GoalSteps {
    let mut marks = BitSet::reuse(std::mem::take(&mut scratch.goal_marks), snapshot.node_count());
    let mut steps = std::mem::take(&mut scratch.goal_steps);
    steps.clear();
    for &goal in goals {
        if !marks.get(goal.index()) {
            steps.push((goal, 0u32));
            marks.set(goal.index());
        }
    }
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
}

/// Where [`ScoreParts::fit`] peaks, above the learner's level.
const FIT_AHEAD: f32 = 0.05;
/// Width of [`ScoreParts::fit`] in difficulty.
const FIT_WIDTH: f32 = 0.12;
/// Decay length of [`ScoreParts::order`] in teaching-order position.
const ORDER_SCALE: f32 = 0.1;
/// Unlocks at which [`ScoreParts::unlock`] is full.
const UNLOCK_SCALE: f32 = 8.0;
/// The part of [`ScoreParts::review`] a review gets for being due at all.
const REVIEW_BASE: f32 = 0.5;

/// The one score formula and its parts' shapes (see [`ScoreParts`]).
struct Scorer<'a> {
    index: &'a RecommendIndex,
    weights: &'a ScoreWeights,
    /// The learner's level: mean difficulty of what they master, else the easiest candidate.
    level: f32,
    /// Earliest teaching-order position among the fringe.
    earliest: f32,
}

impl<'a> Scorer<'a> {
    fn new(index: &'a RecommendIndex, weights: &'a ScoreWeights, fringe: &[NodeId], level: Option<f32>) -> Self {
        let level =
            level.unwrap_or_else(|| fringe.iter().map(|&x| index.difficulty(x)).fold(f32::INFINITY, f32::min).min(1.0));
        let earliest = fringe.iter().map(|&x| index.position(x)).fold(1.0f32, f32::min);
        Self { index, weights, level, earliest }
    }

    /// `score = Σ w_part · part` over every part of [`ScoreParts`].
    fn total(&self, p: &ScoreParts) -> f32 {
        let w = self.weights;
        w.goal * p.goal
            + w.unlock * p.unlock
            + w.fit * p.fit
            + w.review * p.review
            + w.order * p.order
            + w.gain * p.gain
            + w.probe * p.probe
    }

    /// Fit of `x`'s difficulty to the learner's level, `ahead` above it.
    fn fit(&self, x: NodeId, ahead: f32) -> f32 {
        (-((self.index.difficulty(x) - self.level - ahead) / FIT_WIDTH).powi(2)).exp()
    }

    fn order(&self, x: NodeId) -> f32 {
        (-(self.index.position(x) - self.earliest).max(0.0) / ORDER_SCALE).exp()
    }

    fn unlock(unlocks: usize) -> f32 {
        ((1.0 + unlocks as f32).ln() / (1.0 + UNLOCK_SCALE).ln()).min(1.0)
    }

    /// Expected learning from one practice with belief (or recall) `p` and learning rate `t`.
    fn gain(p: f32, t: f32) -> f32 {
        ((1.0 - p) * t / LEARN_SCALE).clamp(0.0, 1.0)
    }
}

/// What every stage of one [`next_steps`] call reads.
struct Ctx<'a> {
    snapshot: &'a Snapshot,
    index: &'a RecommendIndex,
    mastery: &'a Mastery,
    request: &'a NextRequest,
    config: &'a RecommendConfig,
    mastered: &'a BitSet,
    goal_steps: Option<&'a GoalSteps>,
}

impl Ctx<'_> {
    fn subject_ok(&self, x: NodeId) -> bool {
        self.request.subject.is_none() || self.snapshot.attrs(x).subject == self.request.subject
    }

    fn goal_part(&self, x: NodeId) -> f32 {
        self.goal_steps.and_then(|s| s.get(x)).map_or(0.0, |d| 1.0 / (1.0 + d as f32))
    }

    fn candidate(&self, node: NodeId, kind: ItemKind, parts: ScoreParts, score: f32) -> Candidate {
        let a = self.snapshot.attrs(node);
        Candidate {
            node,
            kind,
            score,
            parts,
            unlocks: Vec::new(),
            unlock_span: (0, 0),
            thread: a.thread,
            topic: a.topic,
            confirms: Vec::new(),
            expected: None,
            instead_of: None,
        }
    }

    /// The fringe: with goals, the ready points of their closures; without, the points reached
    /// from what the learner started or mastered (through `first_dependents`) and roots in
    /// teaching order. Also `(u, d)` pairs: `d` waits only for `u`, not its first
    /// prerequisite (what the unlock counts read), and the visited set.
    fn fringe(&self, scratch: &mut Scratch) -> (Vec<NodeId>, Vec<(NodeId, NodeId)>, BitSet) {
        let (snapshot, index, mastered) = (self.snapshot, self.index, self.mastered);
        let mut seen = BitSet::reuse(std::mem::take(&mut scratch.seen), snapshot.node_count());
        let mut fringe: Vec<NodeId> = std::mem::take(&mut scratch.fringe);
        let mut waits_for: Vec<(NodeId, NodeId)> = std::mem::take(&mut scratch.waits_for);
        // Most dependents of mastered nodes are mastered themselves: that test comes first, on
        // the small bit set, before anything that touches per-node arrays.
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
                (None, _) if self.subject_ok(x) => fringe.push(x),
                // Only the search without a goal reads them (see `unlocks_of`).
                (Some((k, u)), None) if k > 0 && self.goal_steps.is_none() => waits_for.push((u, x)),
                _ => {}
            }
        };
        match self.goal_steps {
            Some(steps) => {
                for x in steps.nodes() {
                    consider(x, &mut fringe, &mut waits_for);
                }
            }
            None => {
                let threshold = self.config.mastery_threshold;
                for (node, p) in self.mastery.beliefs() {
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
                let wanted = fringe.len() + 4 * self.request.n + 8;
                for &root in index.roots() {
                    if fringe.len() >= wanted {
                        break;
                    }
                    consider(root, &mut fringe, &mut waits_for);
                }
            }
        }
        (fringe, waits_for, seen)
    }

    /// The nodes that wait for `x` alone, in no particular order, appended to `out`.
    fn unlocks_of(&self, x: NodeId, waits_for: &[(NodeId, NodeId)], out: &mut Vec<NodeId>) {
        let (snapshot, index, mastered) = (self.snapshot, self.index, self.mastered);
        match self.goal_steps {
            // Without a goal, the fringe search met every node waiting only for `x` whose
            // first prerequisite is mastered; the others wait for `x` as their first.
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
        }
    }

    /// Scores every fringe point (its unlocks appended to `pool`), and for each point the
    /// learner is stuck on ([`is_stuck`]), lowers it by [`STUCK_PENALTY`] and offers its
    /// prerequisites not practised since the learner last tried it for review in its place:
    /// with its goal, unlock and gain parts and a full review part.
    fn score_fringe(
        &self,
        scorer: &Scorer<'_>,
        fringe: &[NodeId],
        waits_for: &[(NodeId, NodeId)],
        pool: &mut Vec<NodeId>,
        candidates: &mut Vec<Candidate>,
    ) {
        let (snapshot, mastery) = (self.snapshot, self.mastery);
        let mut stuck_on: Vec<(NodeId, ScoreParts)> = Vec::new();
        for &x in fringe {
            let start = pool.len();
            self.unlocks_of(x, waits_for, pool);
            let unlock_count = pool.len() - start;
            let parts = ScoreParts {
                goal: self.goal_part(x),
                unlock: Scorer::unlock(unlock_count),
                fit: scorer.fit(x, FIT_AHEAD),
                order: scorer.order(x),
                gain: Scorer::gain(mastery.p(snapshot, x), default_params(snapshot.attrs(x)).learn),
                ..ScoreParts::default()
            };
            let mut score = scorer.total(&parts);
            if mastery.entry(x).is_some_and(is_stuck) {
                stuck_on.push((x, parts));
                score -= STUCK_PENALTY;
            }
            let mut c = self.candidate(x, ItemKind::Learn, parts, score);
            c.unlock_span = (start as u32, unlock_count as u32);
            candidates.push(c);
        }
        for (x, stuck) in stuck_on {
            let last_try = mastery.entry(x).and_then(|m| m.last_practised);
            for q in snapshot.prerequisites(x) {
                if !self.index.learnable(q)
                    || candidates.iter().any(|c| c.node == q)
                    || reviewed_since(mastery, q, last_try)
                {
                    continue;
                }
                let parts = ScoreParts {
                    goal: stuck.goal,
                    unlock: stuck.unlock,
                    fit: scorer.fit(q, 0.0),
                    review: 1.0,
                    order: scorer.order(q),
                    gain: stuck.gain,
                    probe: 0.0,
                };
                let mut c = self.candidate(q, ItemKind::Review, parts, scorer.total(&parts));
                c.instead_of = Some(x);
                candidates.push(c);
            }
        }
    }

    /// Without goals, every mastered point whose recall has decayed below the threshold.
    fn score_reviews(&self, scorer: &Scorer<'_>, candidates: &mut Vec<Candidate>) {
        if !self.request.goals.is_empty() {
            return;
        }
        let (threshold, now) = (self.config.mastery_threshold, self.request.now);
        for (x, m) in self.mastery.entries() {
            if m.p < threshold || !self.index.learnable(x) || !self.subject_ok(x) {
                continue;
            }
            let half_life = half_life_days(self.snapshot.attrs(x));
            if m.recalls_at_least(now, threshold, half_life) {
                continue;
            }
            let recall = m.recall(now, half_life);
            let decay = (1.0 - recall / m.p.max(1e-6)).clamp(0.0, 1.0);
            let parts = ScoreParts {
                review: REVIEW_BASE + (1.0 - REVIEW_BASE) * decay,
                fit: scorer.fit(x, 0.0),
                order: scorer.order(x),
                gain: Scorer::gain(recall, default_params(self.snapshot.attrs(x)).learn),
                ..ScoreParts::default()
            };
            candidates.push(self.candidate(x, ItemKind::Review, parts, scorer.total(&parts)));
        }
    }

    /// The best check, for a learner with an ahead rate (see [`next_steps`]).
    fn probe(&self, scorer: &Scorer<'_>, fringe: &[NodeId]) -> Option<Candidate> {
        let alpha = ahead_rate(self.index, self.mastery)?;
        let region: Vec<NodeId> = match self.goal_steps {
            Some(steps) => steps.nodes().collect(),
            None => beyond_fringe(self.snapshot, self.index, fringe, self.mastered),
        };
        let probe = Probe::new(self.snapshot, self.mastery, self.mastered, alpha, self.config.mastery_threshold);
        let score = |x: NodeId, gain: f32, value: f32| {
            let parts = ScoreParts {
                goal: self.goal_part(x),
                fit: scorer.fit(x, FIT_AHEAD),
                order: scorer.order(x),
                gain,
                probe: (value / PROBE_SCALE).min(1.0),
                ..ScoreParts::default()
            };
            (scorer.total(&parts), parts)
        };
        probe.best(self.index, &region, fringe, &|x| self.subject_ok(x), &score)
    }

    /// Consolidation when nothing is left to learn for goals believed mastered, otherwise
    /// the diversity rule over the candidates.
    fn pick(&self, candidates: &mut [Candidate], picking: &mut Picking) -> Vec<Candidate> {
        match self.goal_steps {
            Some(steps) if candidates.is_empty() && steps.nodes().all(|x| self.mastered.get(x.index())) => {
                let unconfirmed = |x: NodeId| {
                    self.subject_ok(x)
                        && !is_confirmed(
                            self.mastery.entry(x),
                            self.request.now,
                            self.config.mastery_threshold,
                            half_life_days(self.snapshot.attrs(x)),
                        )
                };
                consolidation(
                    self.snapshot,
                    self.index,
                    self.mastery,
                    &self.request.goals,
                    self.request.n,
                    &unconfirmed,
                )
            }
            _ => diversify(candidates, self.request.n, self.config.per_thread, picking),
        }
    }
}

/// Consolidation items (see [`next_steps`]): the points of the goals and their transitive
/// prerequisites that pass `keep` (not yet confirmed, in the subject asked for), fewest
/// practice attempts first and lowest belief among equals, scored
/// `(1 + (1 − p) / (a + 3)) / (a + 2)` for `a` attempts and belief `p`, which keeps that
/// order. O(C log C) for a closure of C nodes.
fn consolidation(
    snapshot: &Snapshot,
    index: &RecommendIndex,
    mastery: &Mastery,
    goals: &[NodeId],
    n: usize,
    keep: &dyn Fn(NodeId) -> bool,
) -> Vec<Candidate> {
    let mut nodes: Vec<NodeId> = goals.iter().flat_map(|&g| prerequisite_closure(snapshot, g)).collect();
    nodes.extend_from_slice(goals);
    nodes.sort_unstable();
    nodes.dedup();
    let mut ranked: Vec<(u32, f32, NodeId)> = nodes
        .into_iter()
        .filter(|&x| index.learnable(x) && keep(x))
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
                instead_of: None,
            }
        })
        .collect()
}

/// Right answers of its own that confirm a point of a goal (see [`is_confirmed`]). One right
/// answer can be a guess (the default guess rates reach 0.25); two rarely are (0.06). A
/// belief alone confirms nothing: inference through the closure can raise a point no one
/// practised above any threshold, and those are the points consolidation is for. Two also
/// teaches more in the simulator (`benches/tests/evaluation.rs`): with one, consolidation ends
/// within its 20 steps for more learners, and the paired margin over the best baseline falls
/// from 0.0386 to 0.0375 on ChalkBase (1.21× to 1.20×) and from 0.0494 to 0.0475 on the
/// synthetic graph.
pub const CONFIRM_RIGHT: u32 = 2;

/// Whether the learner's own answers confirm a point of a goal, from its entry: answered right
/// at least [`CONFIRM_RIGHT`] times, and its recall at `now` ([`NodeMastery::recall`], with the
/// node's base half-life in days) at `threshold` or above, so that a point practised long ago
/// needs consolidation again.
///
/// ```
/// use tupu_recommend::{NodeMastery, is_confirmed};
///
/// let entry = |p, attempts, correct| NodeMastery { attempts, correct, last_practised: Some(0), ..NodeMastery::belief(p) };
/// assert!(is_confirmed(Some(&entry(0.97, 3, 2)), 0, 0.85, 14.0));
/// // Inferred, or right once: not confirmed, however high the belief.
/// assert!(!is_confirmed(Some(&NodeMastery::belief(0.99)), 0, 0.85, 14.0) && !is_confirmed(None, 0, 0.85, 14.0));
/// assert!(!is_confirmed(Some(&entry(0.97, 1, 1)), 0, 0.85, 14.0));
/// // Months later, recall has faded; on a node that is forgotten more slowly, it has not.
/// assert!(!is_confirmed(Some(&entry(0.97, 3, 2)), 90 * 86_400, 0.85, 14.0));
/// assert!(is_confirmed(Some(&entry(0.97, 3, 2)), 90 * 86_400, 0.85, 2_000.0));
/// ```
pub fn is_confirmed(entry: Option<&NodeMastery>, now: i64, threshold: f32, half_life_days: f64) -> bool {
    entry.is_some_and(|m| m.correct >= CONFIRM_RIGHT && m.recalls_at_least(now, threshold, half_life_days))
}

/// What a next-step list is, and for an empty one, why it is empty.
#[derive(Copy, Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ListStatus {
    /// Points to learn, review or check.
    Learning,
    /// Every goal is believed mastered; the list confirms it ([`ItemKind::Consolidate`]).
    Consolidating,
    /// Every point of every goal is confirmed ([`is_confirmed`]): consolidation has ended and
    /// nothing is left to do for them (an empty list).
    GoalConfirmed,
    /// Without a goal, every learnable point (of the subject asked for) is mastered.
    AllMastered,
    /// Nothing is ready: every remaining point waits for prerequisites outside the request
    /// (another subject), or the graph has no knowledge points.
    NothingReady,
}

/// The status of a list [`next_steps`] returned for `request` (see [`ListStatus`]).
/// O(items) for a non-empty list; O(C) for the goals' closures, or O(n) without goals, for an
/// empty one.
pub fn list_status(
    snapshot: &Snapshot,
    index: &RecommendIndex,
    mastery: &Mastery,
    request: &NextRequest,
    items: &[Recommendation],
    threshold: f32,
) -> ListStatus {
    if !items.is_empty() {
        return if items.iter().all(|i| i.kind == ItemKind::Consolidate) {
            ListStatus::Consolidating
        } else {
            ListStatus::Learning
        };
    }
    let subject_ok = |x: NodeId| request.subject.is_none() || snapshot.attrs(x).subject == request.subject;
    if !request.goals.is_empty() {
        let goals = &request.goals;
        let mut nodes: Vec<NodeId> = goals.iter().flat_map(|&g| prerequisite_closure(snapshot, g)).collect();
        nodes.extend_from_slice(goals);
        let done = nodes
            .into_iter()
            .filter(|&x| index.learnable(x) && subject_ok(x))
            .all(|x| is_confirmed(mastery.entry(x), request.now, threshold, half_life_days(snapshot.attrs(x))));
        return if done { ListStatus::GoalConfirmed } else { ListStatus::NothingReady };
    }
    let all =
        snapshot.nodes().filter(|&x| index.learnable(x) && subject_ok(x)).all(|x| mastery.p(snapshot, x) >= threshold);
    if all { ListStatus::AllMastered } else { ListStatus::NothingReady }
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

/// What an item loses per item already picked from its topic.
const TOPIC_PENALTY: f32 = 0.1;
/// What an item loses per item already picked from its thread.
const THREAD_PENALTY: f32 = 0.2;

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
                let effective = c.score - TOPIC_PENALTY * in_topic as f32 - THREAD_PENALTY * in_thread as f32;
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

/// `requires` steps below a check within which the learner must have answered a point.
const EVIDENCE_REACH: usize = 3;

/// Most prerequisites read to decide whether evidence reaches a check.
const EVIDENCE_VISITS: usize = 256;

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
    /// Frameworks and subjects of the points the learner answered.
    frameworks: Vec<&'a str>,
    subjects: Vec<Sym>,
}

impl<'a> Probe<'a> {
    fn new(snapshot: &'a Snapshot, mastery: &'a Mastery, mastered: &'a BitSet, alpha: f32, threshold: f32) -> Self {
        let mut frameworks: Vec<&'a str> = Vec::new();
        let mut subjects: Vec<Sym> = Vec::new();
        for (x, m) in mastery.entries() {
            if m.attempts == 0 {
                continue;
            }
            if let Some(f) = snapshot.framework(x) {
                if !frameworks.contains(&f) {
                    frameworks.push(f);
                }
            }
            if let Some(subject) = snapshot.attrs(x).subject {
                if !subjects.contains(&subject) {
                    subjects.push(subject);
                }
            }
        }
        Self { snapshot, mastery, mastered, alpha, threshold, frameworks, subjects }
    }

    /// Whether the learner's own evidence reaches `x`: a point they answered lies within
    /// [`EVIDENCE_REACH`] `requires` steps below it, and `x` is in a framework and a subject
    /// they answered in. A check never lands on an untouched branch or in another curriculum.
    /// O(d^EVIDENCE_REACH) for in-degree d, at most [`EVIDENCE_VISITS`] nodes.
    fn reached(&self, x: NodeId) -> bool {
        let framework_ok = self.snapshot.framework(x).is_none_or(|f| self.frameworks.contains(&f));
        let subject_ok = self.snapshot.attrs(x).subject.is_none_or(|s| self.subjects.contains(&s));
        if !(framework_ok && subject_ok) {
            return false;
        }
        let mut layer = vec![x];
        let mut visits = 0;
        for _ in 0..EVIDENCE_REACH {
            let mut next = Vec::new();
            for &y in &layer {
                for q in self.snapshot.prerequisites(y) {
                    if self.mastery.entry(q).is_some_and(|m| m.attempts > 0) {
                        return true;
                    }
                    visits += 1;
                    if visits >= EVIDENCE_VISITS {
                        return false;
                    }
                    next.push(q);
                }
            }
            layer = next;
        }
        false
    }

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
                    && self.reached(x)
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
                    instead_of: None,
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
            recall: if review { entry.map(|m| m.recall(now, half_life_days(snapshot.attrs(c.node)))) } else { None },
            attempts: entry.map_or(0, |m| m.attempts),
            wrong: entry.map_or(0, |m| m.attempts.saturating_sub(m.correct)),
            stuck: entry.is_some_and(|m| is_stuck(&m)),
            instead_of: c.instead_of,
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
        NextRequest { n, goals: Vec::new(), subject: None, now: 0 }
    }

    /// A learner who answered a0 and b0 right six times each: a1 and b1 are ready.
    fn roots_mastered(s: &Snapshot, ids: &HashMap<&'static str, NodeId>) -> LearnerState {
        let mut state = LearnerState::default();
        for x in ["a0", "b0"] {
            for t in 0..6 {
                state.observe(s, Observation { node: ids[x], score: 1.0, time: t });
            }
        }
        state
    }

    #[test]
    fn twenty_wrong_answers_change_course() {
        let (s, ids) = graph();
        let index = RecommendIndex::new(&s);
        let config = RecommendConfig::default();
        // a0 and b0 mastered: a1 and b1 are ready.
        let mut state = roots_mastered(&s, &ids);
        let before = next_steps(&s, &index, &state.resolve(&s), &request(3), &config);
        let top = before.iter().find(|i| i.kind == ItemKind::Learn).expect("a point to learn").node;
        for t in 0..20 {
            state.observe(&s, Observation { node: top, score: 0.0, time: 100 + t });
        }
        let after = next_steps(&s, &index, &state.resolve(&s), &request(6), &config);
        assert_ne!(after[0].node, top, "{after:#?}");
        // The stuck point is flagged wherever it is listed, below everything else.
        let stuck = after.iter().position(|i| i.node == top).expect("still listed, last");
        assert!(after[stuck].explanation.stuck && after[stuck].explanation.wrong == 20);
        assert!(after[..stuck].iter().all(|i| !i.explanation.stuck));
        // Its prerequisites come back for review in its place.
        let reviews: Vec<&Recommendation> = after.iter().filter(|i| i.explanation.instead_of == Some(top)).collect();
        assert!(!reviews.is_empty(), "{after:#?}");
        for r in reviews {
            assert_eq!(r.kind, ItemKind::Review);
            assert!(s.prerequisites(top).any(|q| q == r.node));
        }
        // A few wrong answers among right ones are not being stuck.
        let record = NodeMastery { attempts: 12, correct: 8, ..NodeMastery::belief(0.6) };
        assert!(!is_stuck(&record));
    }

    #[test]
    fn a_prerequisite_reviewed_for_a_stuck_point_is_not_offered_again() {
        let (s, ids) = graph();
        let index = RecommendIndex::new(&s);
        let config = RecommendConfig::default();
        // a0 and b0 mastered; twenty wrong answers on a1, which requires both.
        let mut state = roots_mastered(&s, &ids);
        for t in 0..20 {
            state.observe(&s, Observation { node: ids["a1"], score: 0.0, time: 100 + t });
        }
        let instead = |state: &LearnerState| -> Vec<NodeId> {
            let items = next_steps(&s, &index, &state.resolve(&s), &request(6), &config);
            let mut nodes: Vec<NodeId> =
                items.iter().filter(|i| i.explanation.instead_of == Some(ids["a1"])).map(|i| i.node).collect();
            nodes.sort();
            nodes
        };
        let mut both = vec![ids["a0"], ids["b0"]];
        both.sort();
        assert_eq!(instead(&state), both);
        // Reviewed once each, right: neither comes back for a1 until a1 is tried again.
        state.observe(&s, Observation { node: ids["a0"], score: 1.0, time: 200 });
        assert_eq!(instead(&state), vec![ids["b0"]]);
        state.observe(&s, Observation { node: ids["b0"], score: 1.0, time: 201 });
        assert!(instead(&state).is_empty());
        let items = next_steps(&s, &index, &state.resolve(&s), &request(6), &config);
        let stuck = items.iter().position(|i| i.node == ids["a1"]).expect("a1 still listed");
        assert!(items[stuck].explanation.stuck && items[..stuck].iter().all(|i| !i.explanation.stuck), "{items:#?}");
        // Another wrong answer on a1: its prerequisites are worth a review again.
        state.observe(&s, Observation { node: ids["a1"], score: 0.0, time: 300 });
        assert_eq!(instead(&state), both);
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
        let req = NextRequest { goals: vec![ids["a2"]], ..request(5) };
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
        let m = NodeMastery { last_practised: Some(0), attempts: 1, correct: 1, ..NodeMastery::belief(0.95) };
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
        let half = NodeMastery { last_practised: Some(0), attempts: 2, correct: 1, ..NodeMastery::belief(0.6) };
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
        let m = |p: f32, attempts: u32| NodeMastery {
            last_practised: Some(0),
            attempts,
            correct: attempts,
            ..NodeMastery::belief(p)
        };
        // a0 … a3 believed mastered: a3 practised twice, a1 once, a0 and a2 only inferred.
        let mastery = Mastery::from_entries([
            (ids[0], m(0.97, 0)),
            (ids[1], m(0.9, 1)),
            (ids[2], m(0.92, 0)),
            (ids[3], m(0.95, 2)),
        ]);
        let goal = NextRequest { goals: vec![ids[3]], ..request(3) };
        let items = next_steps(&s, &index, &mastery, &goal, &config);
        assert!(items.iter().all(|i| i.kind == ItemKind::Consolidate), "{items:#?}");
        let nodes: Vec<NodeId> = items.iter().map(|i| i.node).collect();
        assert_eq!(nodes, vec![ids[2], ids[0], ids[1]]);
        assert!(items.windows(2).all(|w| w[0].score > w[1].score));
        assert_eq!(items[2].explanation.attempts, 1);
        let status = |m: &Mastery, req: &NextRequest, items: &[Recommendation]| {
            list_status(&s, &index, m, req, items, config.mastery_threshold)
        };
        assert_eq!(status(&mastery, &goal, &items), ListStatus::Consolidating);
        // An empty list says why: with everything confirmed, the goal is.
        let mut state = LearnerState::default();
        for &x in &ids[..4] {
            answer(&mut state, &s, x, true, 8);
        }
        assert_eq!(status(&state.resolve(&s), &goal, &[]), ListStatus::GoalConfirmed);
        // While something of the closure is left to learn, there is none.
        let further = NextRequest { goals: vec![ids[4]], ..request(3) };
        let items = next_steps(&s, &index, &mastery, &further, &config);
        assert!(items.iter().all(|i| i.kind != ItemKind::Consolidate) && !items.is_empty());
    }

    #[test]
    fn consolidation_ends() {
        let (s, ids) = chain();
        let index = RecommendIndex::new(&s);
        let config = RecommendConfig::default();
        let threshold = config.mastery_threshold;
        let status = |m: &Mastery, req: &NextRequest, items: &[Recommendation]| {
            list_status(&s, &index, m, req, items, threshold)
        };
        // Three right answers on the goal a3: its whole closure is believed mastered, a0 … a2
        // by inference alone.
        let mut state = LearnerState::default();
        answer(&mut state, &s, ids[3], true, 3);
        let mut practised = Vec::new();
        let mut now = 10;
        let ended = loop {
            let goal = NextRequest { goals: vec![ids[3]], now, ..request(1) };
            let mastery = state.resolve(&s);
            let items = next_steps(&s, &index, &mastery, &goal, &config);
            if items.is_empty() || practised.len() == 20 {
                break (mastery, goal, items);
            }
            assert_eq!(status(&mastery, &goal, &items), ListStatus::Consolidating, "{items:#?}");
            let item = &items[0];
            assert_eq!(item.kind, ItemKind::Consolidate);
            assert!(!is_confirmed(mastery.entry(item.node), now, threshold, 14.0), "{item:#?}");
            assert!(item.explanation.mastery >= threshold);
            practised.push(item.node);
            state.observe(&s, Observation { node: item.node, score: 1.0, time: now });
            now += 60;
        };
        // The points inferred come first, and each needs its own two right answers: six in all.
        let (mastery, goal, items) = ended;
        assert!(items.is_empty(), "consolidation goes on after {practised:?}: {items:#?}");
        assert_eq!(practised.len(), 3 * CONFIRM_RIGHT as usize, "{practised:?}");
        let mut first: Vec<NodeId> = practised[..3].to_vec();
        first.sort();
        assert_eq!(first, ids[..3]);
        assert_eq!(status(&mastery, &goal, &items), ListStatus::GoalConfirmed);
        for &x in &ids[..4] {
            assert!(is_confirmed(mastery.entry(x), now, threshold, 14.0), "{x:?}");
        }
        // Months later recall has faded: the goal is consolidated again.
        let later = NextRequest { now: now + 120 * DAY, ..goal };
        let again = next_steps(&s, &index, &mastery, &later, &config);
        assert!(!again.is_empty() && again.iter().all(|i| i.kind == ItemKind::Consolidate), "{again:#?}");
        assert_eq!(status(&mastery, &later, &again), ListStatus::Consolidating);
    }

    #[test]
    fn a_check_stays_where_the_evidence_is() {
        // Two chains in two frameworks: p0 ◀ p1 ◀ p2 ◀ p3 and q0 ◀ q1 ◀ q2 ◀ q3; and a third
        // chain r0 ◀ r1 ◀ r2 ◀ r3 in the first framework that the learner never touches.
        let mut b = SnapshotBuilder::new();
        let mut chains = Vec::new();
        for (name, graph) in [("p", "https://e.org/g/one"), ("q", "https://e.org/g/two"), ("r", "https://e.org/g/one")]
        {
            let ids: Vec<NodeId> = (0..4)
                .map(|i| {
                    let id = b.node(&format!("https://e.org/{name}{i}"), NodeKind::KnowledgePoint);
                    b.framework(id, graph);
                    id
                })
                .collect();
            for w in ids.windows(2) {
                b.edge(Relation::Requires, w[1], w[0], 1.0);
            }
            chains.push(ids);
        }
        let s = b.build(1);
        let index = RecommendIndex::new(&s);
        let mut state = LearnerState::default();
        answer(&mut state, &s, chains[0][0], true, 3);
        let items = next_steps(&s, &index, &state.resolve(&s), &request(8), &RecommendConfig::default());
        for check in checks(&items) {
            assert!(chains[0].contains(&check.node), "a check off the answered branch: {check:#?}");
        }
        assert!(!checks(&items).is_empty(), "{items:#?}");
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
        let req = NextRequest { goals: vec![ids[5]], ..request(3) };
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
        let req = NextRequest { goals: vec![ids[2_999]], ..request(3) };
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
                        instead_of: None,
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
