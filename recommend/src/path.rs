//! Learning paths: every not-yet-mastered prerequisite of the goals, in a valid order that
//! follows one thread as long as it can, grouped into stages, with times and resources.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rustc_hash::FxHashMap as HashMap;

use tupu_graph::{MasteryLevel, NodeId, NodeKind, Relation, Snapshot, Sym};

use crate::index::RecommendIndex;
use crate::model::Mastery;
use crate::next::RecommendConfig;

/// Why no path can be planned.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// No goal was given.
    #[error("give at least one goal")]
    NoGoal,
    /// The goal leads to no knowledge point (e.g. a competency nothing supports).
    #[error("goal {goal} cannot be reached: {reason}")]
    Unreachable {
        /// The goal's IRI.
        goal: String,
        /// Why.
        reason: String,
    },
}

/// One step of a path.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct PathStep {
    /// The knowledge point to learn.
    pub node: NodeId,
    /// Stage number, from 0.
    pub stage: usize,
    /// Estimated minutes to master it from the current belief.
    pub minutes: f32,
    /// Current probability of mastery.
    pub mastery: f32,
    /// Its direct prerequisites that are earlier steps of this path (the others are mastered):
    /// read them with [`LearningPath::after`].
    pub after: Span,
    /// Resources that teach or assess it: read them with [`LearningPath::resources`].
    pub resources: Span,
    /// Whether it fits in the time budget, counting from the first step.
    pub within_budget: bool,
}

/// A run of [`LearningPath::links`]: the lists of every step live in one vector, so that a
/// path of any length costs a handful of allocations.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Span {
    /// First position.
    pub start: u32,
    /// Length.
    pub len: u32,
}

impl Span {
    fn of(links: &[NodeId], start: usize) -> Self {
        Self { start: start as u32, len: (links.len() - start) as u32 }
    }

    fn range(self) -> std::ops::Range<usize> {
        self.start as usize..(self.start + self.len) as usize
    }
}

/// A stage: consecutive steps in one learning thread.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Stage {
    /// Stage number, from 0.
    pub index: usize,
    /// The thread (or topic) the stage follows, if the nodes have one.
    pub thread: Option<Sym>,
    /// Steps of the stage (indices into [`LearningPath::steps`]).
    pub steps: std::ops::Range<usize>,
    /// Minutes for the stage.
    pub minutes: f32,
}

/// A planned path.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct LearningPath {
    /// The knowledge points the goals expanded to.
    pub targets: Vec<NodeId>,
    /// Targets already mastered.
    pub already_mastered: Vec<NodeId>,
    /// Steps in order.
    pub steps: Vec<PathStep>,
    /// Stages in order.
    pub stages: Vec<Stage>,
    /// Total estimated minutes.
    pub total_minutes: f32,
    /// Changes of thread between consecutive steps.
    pub thread_switches: usize,
    /// Whether the whole path fits the budget, when one was given.
    pub fits_budget: Option<bool>,
    /// The nodes the steps' [`Span`]s point into.
    pub links: Vec<NodeId>,
}

impl LearningPath {
    /// A step's direct prerequisites that are earlier steps.
    pub fn after(&self, step: &PathStep) -> &[NodeId] {
        &self.links[step.after.range()]
    }

    /// A step's resources, best first.
    pub fn resources(&self, step: &PathStep) -> &[NodeId] {
        &self.links[step.resources.range()]
    }
}

/// Buffers a thread keeps from one [`plan_path`] to the next.
#[derive(Default)]
struct PathScratch {
    /// Each node's slot in the plan being built, `u32::MAX` for none (reset after each plan).
    slot_of: Vec<u32>,
}

thread_local! {
    static PATH_SCRATCH: std::cell::Cell<Option<Box<PathScratch>>> = const { std::cell::Cell::new(None) };
}

/// Typical minutes to master a node from scratch: its own `learningMinutes`, else by target
/// level (know 15, understand 25, master 35, apply 45).
pub fn typical_minutes(snapshot: &Snapshot, node: NodeId) -> f32 {
    let a = snapshot.attrs(node);
    a.learning_minutes.unwrap_or(match a.mastery_level {
        Some(MasteryLevel::Know) => 15.0,
        Some(MasteryLevel::Understand) | None => 25.0,
        Some(MasteryLevel::Master) => 35.0,
        Some(MasteryLevel::Apply) => 45.0,
    })
}

/// The knowledge points a goal stands for: itself; for a competency, the points that support
/// it; for an occupation or post, the points behind its essential competencies; for a course,
/// major or micro-major, the points behind what it develops; for a resource, what it teaches.
pub fn expand_goal(snapshot: &Snapshot, goal: NodeId) -> Result<Vec<NodeId>, PathError> {
    let unreachable =
        |reason: &str| PathError::Unreachable { goal: snapshot.iri(goal).to_owned(), reason: reason.to_owned() };
    let supporting = |competency: NodeId, out: &mut Vec<NodeId>| {
        out.extend(snapshot.inc(competency, Relation::Supports).iter().map(|e| e.node));
    };
    let mut out = Vec::new();
    match snapshot.kind(goal) {
        NodeKind::KnowledgePoint => out.push(goal),
        NodeKind::Competency => supporting(goal, &mut out),
        NodeKind::Occupation | NodeKind::Post => {
            for e in snapshot.out(goal, Relation::RequiresCompetency).iter().filter(|e| e.essential) {
                supporting(e.node, &mut out);
            }
        }
        NodeKind::Course | NodeKind::Major | NodeKind::MicroMajor => {
            for e in snapshot.out(goal, Relation::Develops) {
                supporting(e.node, &mut out);
            }
        }
        NodeKind::Resource => {
            out.extend(snapshot.out(goal, Relation::Teaches).iter().map(|e| e.node));
        }
        NodeKind::Framework => {
            return Err(unreachable("a framework is not something to learn; pick a node in it"));
        }
    }
    out.retain(|&x| snapshot.kind(x) == NodeKind::KnowledgePoint);
    out.sort();
    out.dedup();
    if out.is_empty() {
        return Err(unreachable("no knowledge point leads to it (nothing supports, teaches or develops it)"));
    }
    Ok(out)
}

/// Plans a path to `goals` (see [`expand_goal`]), in three named stages: **plan** (what must
/// be learnt), **order** (in which order) and **stage** (grouped, timed, with resources).
///
/// - **Plan.** The steps are every knowledge point not yet mastered among the targets and
///   their transitive prerequisites, stopping at mastered ones (what a mastered point requires
///   is taken as known).
/// - **Order.** Kahn's algorithm with a preference: continue the current thread while one of
///   its nodes is available, else take the available node earliest in the teaching order.
///   Every step's prerequisites are therefore earlier steps or mastered.
/// - **Stage.** A stage is a maximal run of steps in one thread (or topic); steps with
///   neither form one stage, so a graph without threads is one stage. Each step gets its
///   minutes from its belief, its prerequisites among the steps and its resources.
///
/// ```text
///   a0 ◀── a1 ◀── a2        thread a       (x ◀── y: y requires x)
///   b0 ◀── b1 ◀──┘          thread b       a2 requires a1 and b1
/// ```
/// Path to `a2` for a new learner: `a0 a1 b0 b1 a2`, or `b0 b1 a0 a1 a2` depending on teaching
/// order: two thread switches at most, never `a0 b0 a1 b1 a2` (three).
///
/// # Complexity
/// O(P log P + E_P) for P steps and E_P prerequisite edges among them.
///
/// ```
/// use tupu_graph::{NodeKind, Relation, SnapshotBuilder};
/// use tupu_recommend::{plan_path, Mastery, RecommendConfig, RecommendIndex};
///
/// let mut b = SnapshotBuilder::new();
/// let a0 = b.node("https://e.org/a0", NodeKind::KnowledgePoint);
/// let a1 = b.node("https://e.org/a1", NodeKind::KnowledgePoint);
/// b.edge(Relation::Requires, a1, a0, 1.0);
/// let s = b.build(1);
/// let path = plan_path(&s, &RecommendIndex::new(&s), &Mastery::default(), &[a1], None, &RecommendConfig::default())?;
/// assert_eq!(path.steps.iter().map(|x| x.node).collect::<Vec<_>>(), vec![a0, a1]);
/// # Ok::<_, tupu_recommend::PathError>(())
/// ```
pub fn plan_path(
    snapshot: &Snapshot,
    index: &RecommendIndex,
    mastery: &Mastery,
    goals: &[NodeId],
    budget_minutes: Option<f32>,
    config: &RecommendConfig,
) -> Result<LearningPath, PathError> {
    if goals.is_empty() {
        return Err(PathError::NoGoal);
    }
    let threshold = config.mastery_threshold;
    let belief = |x: NodeId| mastery.entry(x).map_or_else(|| index.prior(x), |m| m.p);
    let mut targets = Vec::new();
    for &g in goals {
        targets.extend(expand_goal(snapshot, g)?);
    }
    targets.sort();
    targets.dedup();
    let already_mastered: Vec<NodeId> = targets.iter().copied().filter(|&x| belief(x) >= threshold).collect();
    // Stage 1, plan: what must be learnt, and what each step requires among the steps.
    let plan = Plan::gather(snapshot, &targets, belief, threshold);
    // Stage 2, order: prerequisites first, one thread as long as it can.
    let order = plan.order(snapshot, index);
    // Stage 3, stage: thread runs, minutes, budget, each step's lists.
    let staged = plan.stage(snapshot, index, &order, budget_minutes, config.resources_per_item);
    Ok(LearningPath {
        targets,
        already_mastered,
        steps: staged.steps,
        stages: staged.stages,
        total_minutes: staged.total_minutes,
        thread_switches: staged.thread_switches,
        fits_budget: budget_minutes.map(|b| staged.total_minutes <= b),
        links: staged.links,
    })
}

/// What a path must teach: the plan's nodes in local slots (in the order they were found),
/// their beliefs, and for each slot its prerequisites among the slots.
struct Plan {
    nodes: Vec<NodeId>,
    beliefs: Vec<f32>,
    /// `before[before_at[i]]` lists slot i's prerequisites in the plan, in prerequisite order.
    before: Vec<u32>,
    before_at: Vec<Span>,
}

/// The thread (or else the topic) a node's stage follows.
fn group(snapshot: &Snapshot, x: NodeId) -> Option<Sym> {
    let a = snapshot.attrs(x);
    a.thread.or(a.topic)
}

impl Plan {
    /// The unmastered targets and their unmastered prerequisites, transitively (depth first),
    /// each with a local slot from the moment it is found. O(P + E_P).
    fn gather(snapshot: &Snapshot, targets: &[NodeId], belief: impl Fn(NodeId) -> f32, threshold: f32) -> Self {
        // Each plan node's slot, in a dense array of the thread's kept between requests (and
        // reset before it is kept): the walk looks up the slot of every prerequisite edge.
        let mut scratch = PATH_SCRATCH.with(std::cell::Cell::take).unwrap_or_default();
        let count = snapshot.node_count();
        let mut slot_of = std::mem::take(&mut scratch.slot_of);
        if slot_of.len() != count {
            slot_of.clear();
            slot_of.resize(count, u32::MAX);
        }
        let mut plan = Plan { nodes: Vec::new(), beliefs: Vec::new(), before: Vec::new(), before_at: Vec::new() };
        let mut stack: Vec<u32> = Vec::new();
        for &x in targets {
            let p = belief(x);
            if p < threshold && slot_of[x.index()] == u32::MAX {
                plan.found(&mut slot_of, &mut stack, x, p);
            }
        }
        while let Some(i) = stack.pop() {
            let start = plan.before.len();
            for q in snapshot.prerequisites(plan.nodes[i as usize]) {
                let j = match slot_of[q.index()] {
                    u32::MAX => {
                        let p = belief(q);
                        if p >= threshold {
                            continue;
                        }
                        plan.found(&mut slot_of, &mut stack, q, p)
                    }
                    j => j,
                };
                plan.before.push(j);
            }
            if plan.before_at.len() < plan.nodes.len() {
                plan.before_at.resize(plan.nodes.len(), Span::default());
            }
            plan.before_at[i as usize] = Span { start: start as u32, len: (plan.before.len() - start) as u32 };
        }
        for &x in &plan.nodes {
            slot_of[x.index()] = u32::MAX;
        }
        scratch.slot_of = slot_of;
        PATH_SCRATCH.with(|s| s.set(Some(scratch)));
        plan
    }

    /// Gives `x` the next slot and queues it.
    fn found(&mut self, slot_of: &mut [u32], stack: &mut Vec<u32>, x: NodeId, p: f32) -> u32 {
        let i = self.nodes.len() as u32;
        slot_of[x.index()] = i;
        self.nodes.push(x);
        self.beliefs.push(p);
        stack.push(i);
        i
    }

    /// The same edges the other way, `(offsets, after)`: slot i's dependents in the plan are
    /// `after[offsets[i]..offsets[i + 1]]`. A counting sort of `before` by prerequisite, O(P + E_P).
    fn dependents(&self) -> (Vec<u32>, Vec<u32>) {
        let n = self.nodes.len();
        let mut offsets = vec![0u32; n + 1];
        for &j in &self.before {
            offsets[j as usize + 1] += 1;
        }
        for i in 0..n {
            offsets[i + 1] += offsets[i];
        }
        let mut fill = offsets.clone();
        let mut after = vec![0u32; self.before.len()];
        for (i, span) in self.before_at.iter().enumerate() {
            for &j in &self.before[span.range()] {
                after[fill[j as usize] as usize] = i as u32;
                fill[j as usize] += 1;
            }
        }
        (offsets, after)
    }

    /// The slots in path order: Kahn's algorithm, earliest in teaching order first, staying
    /// on the current thread while it has a node ready. Heaps with lazy deletion: a node taken
    /// from one heap is skipped when it reaches the top of the other. O(P log P + E_P).
    fn order(&self, snapshot: &Snapshot, index: &RecommendIndex) -> Vec<u32> {
        let (nodes, n) = (&self.nodes, self.nodes.len());
        let (offsets, after) = self.dependents();
        type Heap = BinaryHeap<Reverse<(u64, NodeId, u32)>>;
        let key = |i: u32| Reverse(((index.position(nodes[i as usize]) * 1e6) as u64, nodes[i as usize], i));
        let mut waiting: Vec<u32> = self.before_at.iter().map(|s| s.len).collect();
        let mut available: Heap = BinaryHeap::with_capacity(n);
        let mut by_thread: HashMap<Sym, Heap> = HashMap::default();
        let ready = |i: u32, available: &mut Heap, by_thread: &mut HashMap<Sym, Heap>| {
            available.push(key(i));
            if let Some(t) = group(snapshot, nodes[i as usize]) {
                by_thread.entry(t).or_default().push(key(i));
            }
        };
        for i in 0..n as u32 {
            if waiting[i as usize] == 0 {
                ready(i, &mut available, &mut by_thread);
            }
        }
        let mut taken = vec![false; n];
        let top = |heap: &mut Heap, taken: &[bool]| {
            while let Some(&Reverse(k)) = heap.peek() {
                if !taken[k.2 as usize] {
                    return Some(k.2);
                }
                heap.pop();
            }
            None
        };
        let mut order: Vec<u32> = Vec::with_capacity(n);
        let mut current: Option<Sym> = None;
        loop {
            let on_thread = current.and_then(|t| by_thread.get_mut(&t)).and_then(|h| top(h, &taken));
            let Some(i) = on_thread.or_else(|| top(&mut available, &taken)) else { break };
            taken[i as usize] = true;
            current = group(snapshot, nodes[i as usize]);
            order.push(i);
            for &d in &after[offsets[i as usize] as usize..offsets[i as usize + 1] as usize] {
                waiting[d as usize] -= 1;
                if waiting[d as usize] == 0 {
                    ready(d, &mut available, &mut by_thread);
                }
            }
        }
        debug_assert_eq!(order.len(), n, "prerequisites are acyclic in every committed snapshot");
        order
    }

    /// The steps in `order`, grouped into stages (thread runs), timed
    /// (`max(5, typical minutes · (1 − belief))`) against the budget, each with its
    /// prerequisites among the steps and its first `resources` resources. O(P + E_P).
    fn stage(
        &self,
        snapshot: &Snapshot,
        index: &RecommendIndex,
        order: &[u32],
        budget_minutes: Option<f32>,
        resources: usize,
    ) -> Staged {
        let mut out = Staged {
            steps: Vec::with_capacity(order.len()),
            stages: Vec::new(),
            total_minutes: 0.0,
            thread_switches: 0,
            links: Vec::with_capacity(self.before.len() + order.len() * resources.min(4)),
        };
        let links = &mut out.links;
        for (i, &local) in order.iter().enumerate() {
            let x = self.nodes[local as usize];
            let p = self.beliefs[local as usize];
            let minutes = (typical_minutes(snapshot, x) * (1.0 - p)).max(5.0);
            let g = group(snapshot, x);
            let new_stage = match out.stages.last() {
                None => true,
                // Steps without a thread (or topic) share their stage: a graph without threads
                // is one stage, not one stage a step.
                Some(s) => s.thread != g,
            };
            if new_stage {
                if !out.stages.is_empty() {
                    out.thread_switches += 1;
                }
                out.stages.push(Stage { index: out.stages.len(), thread: g, steps: i..i, minutes: 0.0 });
            }
            let stage = out.stages.last_mut().expect("a stage was just pushed");
            stage.steps.end = i + 1;
            stage.minutes += minutes;
            out.total_minutes += minutes;
            let start = links.len();
            links.extend(self.before[self.before_at[local as usize].range()].iter().map(|&j| self.nodes[j as usize]));
            let after = Span::of(links, start);
            let start = links.len();
            links.extend(index.resources(x).iter().take(resources));
            out.steps.push(PathStep {
                node: x,
                stage: stage.index,
                minutes,
                mastery: p,
                after,
                resources: Span::of(links, start),
                within_budget: budget_minutes.is_none_or(|b| out.total_minutes <= b),
            });
        }
        out
    }
}

/// What [`Plan::stage`] makes of an order.
struct Staged {
    steps: Vec<PathStep>,
    stages: Vec<Stage>,
    total_minutes: f32,
    /// Changes of thread between consecutive steps.
    thread_switches: usize,
    links: Vec<NodeId>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::NodeMastery;
    use rustc_hash::FxHashSet as HashSet;
    use tupu_graph::SnapshotBuilder;

    fn graph() -> (Snapshot, HashMap<&'static str, NodeId>) {
        let mut b = SnapshotBuilder::new();
        let mut ids = HashMap::default();
        for (i, name) in ["a0", "b0", "a1", "b1", "a2"].iter().enumerate() {
            let id = b.node(&format!("https://e.org/{name}"), NodeKind::KnowledgePoint);
            let thread = b.symbol(&name[..1]);
            b.attrs_mut(id).thread = Some(thread);
            b.attrs_mut(id).sequence = Some(i as u32);
            ids.insert(*name, id);
        }
        for (x, y) in [("a1", "a0"), ("a2", "a1"), ("b1", "b0"), ("a2", "b1")] {
            b.edge(Relation::Requires, ids[x], ids[y], 1.0);
        }
        let c = b.node("https://e.org/comp", NodeKind::Competency);
        b.edge(Relation::Supports, ids["a1"], c, 1.0);
        b.node("https://e.org/lonely", NodeKind::Competency);
        (b.build(1), ids)
    }

    fn valid(snapshot: &Snapshot, mastery: &Mastery, path: &LearningPath) -> bool {
        let mut done: HashSet<NodeId> = HashSet::default();
        path.steps.iter().all(|step| {
            let ok = snapshot.prerequisites(step.node).all(|q| done.contains(&q) || mastery.p(snapshot, q) >= 0.85);
            done.insert(step.node);
            ok
        })
    }

    #[test]
    fn a_graph_without_threads_is_one_stage() {
        let mut b = SnapshotBuilder::new();
        let ids: Vec<NodeId> =
            (0..8).map(|i| b.node(&format!("https://e.org/n{i}"), NodeKind::KnowledgePoint)).collect();
        for w in ids.windows(2) {
            b.edge(Relation::Requires, w[1], w[0], 1.0);
        }
        let s = b.build(1);
        let index = RecommendIndex::new(&s);
        let path = plan_path(&s, &index, &Mastery::default(), &[ids[7]], None, &RecommendConfig::default()).unwrap();
        assert_eq!(path.steps.len(), 8);
        assert_eq!((path.stages.len(), path.thread_switches), (1, 0));
    }

    #[test]
    fn path_follows_threads_and_is_valid() {
        let (s, ids) = graph();
        let index = RecommendIndex::new(&s);
        let m = Mastery::default();
        let path = plan_path(&s, &index, &m, &[ids["a2"]], None, &RecommendConfig::default()).unwrap();
        let order: Vec<NodeId> = path.steps.iter().map(|x| x.node).collect();
        assert_eq!(order, vec![ids["a0"], ids["a1"], ids["b0"], ids["b1"], ids["a2"]]);
        assert!(valid(&s, &m, &path));
        assert_eq!(path.thread_switches, 2);
        assert_eq!(path.stages.len(), 3);
    }

    #[test]
    fn mastered_prerequisites_are_skipped_with_their_own() {
        let (s, ids) = graph();
        let index = RecommendIndex::new(&s);
        let m = Mastery::from_entries([(ids["a1"], NodeMastery::belief(0.95))]);
        let path = plan_path(&s, &index, &m, &[ids["a2"]], Some(60.0), &RecommendConfig::default()).unwrap();
        let order: Vec<NodeId> = path.steps.iter().map(|x| x.node).collect();
        assert_eq!(order, vec![ids["b0"], ids["b1"], ids["a2"]]);
        assert!(valid(&s, &m, &path));
        assert_eq!(path.fits_budget, Some(false));
        assert!(path.steps[0].within_budget && !path.steps[2].within_budget);
    }

    #[test]
    fn competency_goals_expand_and_unreachable_goals_fail() {
        let (s, ids) = graph();
        let index = RecommendIndex::new(&s);
        let comp = s.resolve("comp").unwrap();
        let path = plan_path(&s, &index, &Mastery::default(), &[comp], None, &RecommendConfig::default()).unwrap();
        assert_eq!(path.targets, vec![ids["a1"]]);
        let lonely = s.resolve("lonely").unwrap();
        let err = plan_path(&s, &index, &Mastery::default(), &[lonely], None, &RecommendConfig::default()).unwrap_err();
        assert!(matches!(err, PathError::Unreachable { .. }));
        assert_eq!(
            plan_path(&s, &index, &Mastery::default(), &[], None, &RecommendConfig::default()),
            Err(PathError::NoGoal)
        );
    }
}
