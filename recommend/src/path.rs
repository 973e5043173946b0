//! Learning paths: every not-yet-mastered prerequisite of the goals, in a valid order that
//! follows one thread as long as it can, grouped into stages, with times and resources.

use std::collections::BTreeSet;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

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
    /// Its direct prerequisites that are earlier steps of this path (the others are mastered).
    pub after: Vec<NodeId>,
    /// Resources that teach or assess it.
    pub resources: Vec<NodeId>,
    /// Whether it fits in the time budget, counting from the first step.
    pub within_budget: bool,
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

/// Plans a path to `goals` (see [`expand_goal`]).
///
/// The steps are every knowledge point not yet mastered among the targets and their
/// transitive prerequisites, stopping at mastered ones (what a mastered point requires is taken
/// as known). They are ordered by Kahn's algorithm with a preference: continue the current
/// thread while one of its nodes is available, else take the available node earliest in the
/// teaching order. Every step's prerequisites are therefore earlier steps or mastered. A stage
/// is a maximal run of steps in one thread (or topic).
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
    let mastered = |x: NodeId| belief(x) >= threshold;
    let mut targets = Vec::new();
    for &g in goals {
        targets.extend(expand_goal(snapshot, g)?);
    }
    targets.sort();
    targets.dedup();
    let already_mastered: Vec<NodeId> = targets.iter().copied().filter(|&x| mastered(x)).collect();

    // The plan: unmastered targets and their unmastered prerequisites, transitively.
    let mut in_plan: HashSet<NodeId> = HashSet::default();
    let mut stack: Vec<NodeId> = targets.iter().copied().filter(|&x| !mastered(x)).collect();
    while let Some(x) = stack.pop() {
        if !in_plan.insert(x) {
            continue;
        }
        for q in snapshot.prerequisites(x) {
            if !mastered(q) && !in_plan.contains(&q) {
                stack.push(q);
            }
        }
    }

    // Kahn's algorithm with the thread preference.
    let group = |x: NodeId| {
        let a = snapshot.attrs(x);
        a.thread.or(a.topic)
    };
    let key = |x: NodeId| ((index.position(x) * 1e6) as u64, x);
    let mut waiting: HashMap<NodeId, usize> = HashMap::with_capacity_and_hasher(in_plan.len(), Default::default());
    let mut available: BTreeSet<(u64, NodeId)> = BTreeSet::new();
    let mut by_thread: HashMap<Sym, BTreeSet<(u64, NodeId)>> = HashMap::default();
    for &x in &in_plan {
        let pending = snapshot.prerequisites(x).filter(|q| in_plan.contains(q)).count();
        if pending == 0 {
            available.insert(key(x));
            if let Some(t) = group(x) {
                by_thread.entry(t).or_default().insert(key(x));
            }
        } else {
            waiting.insert(x, pending);
        }
    }
    let mut order: Vec<NodeId> = Vec::with_capacity(in_plan.len());
    let mut current: Option<Sym> = None;
    while let Some(&first) = available.iter().next() {
        let pick = current.and_then(|t| by_thread.get(&t)).and_then(|set| set.iter().next().copied()).unwrap_or(first);
        available.remove(&pick);
        let x = pick.1;
        current = group(x);
        if let Some(t) = current {
            if let Some(set) = by_thread.get_mut(&t) {
                set.remove(&pick);
            }
        }
        order.push(x);
        for d in snapshot.dependents(x) {
            if let Some(p) = waiting.get_mut(&d) {
                *p -= 1;
                if *p == 0 {
                    waiting.remove(&d);
                    available.insert(key(d));
                    if let Some(t) = group(d) {
                        by_thread.entry(t).or_default().insert(key(d));
                    }
                }
            }
        }
    }
    debug_assert!(waiting.is_empty(), "prerequisites are acyclic in every committed snapshot");

    // Steps, stages, times.
    let mut steps = Vec::with_capacity(order.len());
    let mut stages: Vec<Stage> = Vec::new();
    let mut total = 0.0f32;
    let mut switches = 0;
    for (i, &x) in order.iter().enumerate() {
        let p = belief(x);
        let minutes = (typical_minutes(snapshot, x) * (1.0 - p)).max(5.0);
        let g = group(x);
        let new_stage = match stages.last() {
            None => true,
            Some(s) => s.thread != g || g.is_none(),
        };
        if new_stage {
            if !stages.is_empty() {
                switches += 1;
            }
            stages.push(Stage { index: stages.len(), thread: g, steps: i..i, minutes: 0.0 });
        }
        let stage = stages.last_mut().expect("a stage was just pushed");
        stage.steps.end = i + 1;
        stage.minutes += minutes;
        total += minutes;
        steps.push(PathStep {
            node: x,
            stage: stage.index,
            minutes,
            mastery: p,
            after: snapshot.prerequisites(x).filter(|q| in_plan.contains(q)).collect(),
            resources: index.resources(x).iter().take(config.resources_per_item).copied().collect(),
            within_budget: budget_minutes.is_none_or(|b| total <= b),
        });
    }
    Ok(LearningPath {
        targets,
        already_mastered,
        steps,
        stages,
        total_minutes: total,
        thread_switches: switches,
        fits_budget: budget_minutes.map(|b| total <= b),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::NodeMastery;
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
