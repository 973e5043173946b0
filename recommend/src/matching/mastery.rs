//! A learner's mastery vector as abilities, so that a learner can be matched like a graduate.

use tupu_graph::{NodeId, Relation, Snapshot};

use super::index::{Ability, MatchIndex, Source};
use crate::model::Mastery;

/// The abilities a learner's mastery vector shows, one per competency it says something about,
/// ascending by competency.
///
/// - A competency with an entry of its own in `mastery` (the learner was assessed on it, or a
///   belief about it was derived) counts at that entry's probability of mastery
///   ([`Source::Mastery`]).
/// - Otherwise a competency counts when at least one of the nodes that `tupu:supports` it
///   (knowledge points) has an entry: its strength is the mean of **every** supporting node's
///   probability of mastery, weighted by the support's weight, where a node without an entry
///   counts at its prior ([`Mastery::p`]) ([`Source::KnowledgePoints`]). One mastered point of
///   four adds about a quarter: it does not make the whole competency held.
/// - A competency neither assessed nor supported by anything assessed is left out: nothing is
///   known about it, and priors alone credit no one.
///
/// The level is 0 (unknown): a mastery vector says how likely a competency is held, not at
/// which level, so a required level neither adds nor takes credit.
///
/// # Arguments
/// - `index`: the match index of `snapshot` (it says which nodes are competencies);
/// - `mastery`: the learner's vector resolved against `snapshot`
///   ([`LearnerState::resolve`](crate::LearnerState::resolve)).
///
/// # Complexity
/// O(M · s + C · k + C log C) for M entries, s supported competencies per entry, and C
/// competencies credited with k supporting nodes each.
///
/// # Example
/// ```text
///   add ──supports (1.0)──▶ arithmetic ◀──supports (0.5)── carry
///   0.9                                                    0.3
/// ```
/// ```
/// use tupu_graph::{NodeKind, Relation, SnapshotBuilder};
/// use tupu_recommend::matching::{MatchIndex, Source, mastery_abilities};
/// use tupu_recommend::{Mastery, NodeMastery};
///
/// let mut b = SnapshotBuilder::new();
/// let add = b.node("https://example.org/add", NodeKind::KnowledgePoint);
/// let carry = b.node("https://example.org/carry", NodeKind::KnowledgePoint);
/// let arithmetic = b.node("https://example.org/arithmetic", NodeKind::Competency);
/// b.edge(Relation::Supports, add, arithmetic, 1.0);
/// b.edge(Relation::Supports, carry, arithmetic, 0.5);
/// let snapshot = b.build(1);
/// let index = MatchIndex::new(&snapshot);
/// let mastery = Mastery::from_entries([(add, NodeMastery::belief(0.9)), (carry, NodeMastery::belief(0.3))]);
///
/// let abilities = mastery_abilities(&index, &snapshot, &mastery);
/// assert_eq!(abilities.len(), 1);
/// assert_eq!(abilities[0].competency, arithmetic);
/// assert_eq!(abilities[0].source, Source::KnowledgePoints);
/// // (1.0 × 0.9 + 0.5 × 0.3) / 1.5
/// assert!((abilities[0].strength - 0.7).abs() < 1e-6);
/// ```
pub fn mastery_abilities(index: &MatchIndex, snapshot: &Snapshot, mastery: &Mastery) -> Vec<Ability> {
    let competency = |n: NodeId| index.dense(n).is_some();
    let mut touched: Vec<NodeId> = Vec::new();
    for (node, _) in mastery.beliefs() {
        if competency(node) {
            touched.push(node);
        }
        touched.extend(snapshot.out(node, Relation::Supports).iter().map(|e| e.node).filter(|&c| competency(c)));
    }
    touched.sort_unstable();
    touched.dedup();
    touched
        .into_iter()
        .filter_map(|c| {
            let ability = |strength: f32, source| Ability { competency: c, strength, level: 0, source };
            if let Some(own) = mastery.entry(c) {
                return Some(ability(own.p, Source::Mastery));
            }
            let (mut sum, mut total) = (0.0f32, 0.0f32);
            for e in snapshot.inc(c, Relation::Supports) {
                let w = e.weight.max(0.0);
                sum += w * mastery.p(snapshot, e.node);
                total += w;
            }
            (total > 0.0).then(|| ability((sum / total).clamp(0.0, 1.0), Source::KnowledgePoints))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use tupu_graph::{NodeKind, SnapshotBuilder};

    use super::*;
    use crate::model::NodeMastery;

    /// Four knowledge points support `whole`; `a` also supports `shared`, which `b` supports
    /// too; `direct` is a competency the learner may be assessed on itself, supported by `d`.
    struct Graph {
        snapshot: Snapshot,
        index: MatchIndex,
        kps: [NodeId; 4],
        whole: NodeId,
        shared: NodeId,
        direct: NodeId,
        d: NodeId,
        lone: NodeId,
    }

    fn graph() -> Graph {
        let mut b = SnapshotBuilder::new();
        let kps = ["a", "b", "c", "e"].map(|n| b.node(&format!("https://e.org/kp/{n}"), NodeKind::KnowledgePoint));
        let d = b.node("https://e.org/kp/d", NodeKind::KnowledgePoint);
        let lone = b.node("https://e.org/kp/lone", NodeKind::KnowledgePoint);
        let whole = b.node("https://e.org/c/whole", NodeKind::Competency);
        let shared = b.node("https://e.org/c/shared", NodeKind::Competency);
        let direct = b.node("https://e.org/c/direct", NodeKind::Competency);
        for &kp in &kps {
            b.edge(Relation::Supports, kp, whole, 1.0);
        }
        b.edge(Relation::Supports, kps[0], shared, 1.0);
        b.edge(Relation::Supports, kps[1], shared, 1.0);
        b.edge(Relation::Supports, d, direct, 1.0);
        let snapshot = b.build(1);
        let index = MatchIndex::new(&snapshot);
        Graph { snapshot, index, kps, whole, shared, direct, d, lone }
    }

    /// The abilities of `entries`, as (competency, strength, source), ascending.
    fn check(g: &Graph, entries: &[(NodeId, f32)], expected: &[(NodeId, f32, Source)]) {
        let mastery = Mastery::from_entries(entries.iter().map(|&(n, p)| (n, NodeMastery::belief(p))));
        let got = mastery_abilities(&g.index, &g.snapshot, &mastery);
        let got: Vec<(NodeId, f32, Source)> = got.iter().map(|a| (a.competency, a.strength, a.source)).collect();
        assert_eq!(got.len(), expected.len(), "{got:?}");
        for (x, y) in got.iter().zip(expected) {
            assert_eq!((x.0, x.2), (y.0, y.2), "{got:?}");
            assert!((x.1 - y.1).abs() < 1e-5, "{got:?} against {expected:?}");
        }
        assert!(mastery_abilities(&g.index, &g.snapshot, &mastery).iter().all(|a| a.level == 0));
    }

    #[test]
    fn one_mastered_point_of_four_is_a_quarter_of_a_competency_not_all_of_it() {
        let g = graph();
        let prior = Mastery::default().p(&g.snapshot, g.kps[1]);
        assert!(prior < 0.5, "{prior}");
        check(&g, &[(g.kps[2], 1.0)], &[(g.whole, (1.0 + 3.0 * prior) / 4.0, Source::KnowledgePoints)]);
        // Every point mastered: the competency is held.
        let all: Vec<(NodeId, f32)> = g.kps.iter().map(|&k| (k, 1.0)).collect();
        check(&g, &all, &[(g.whole, 1.0, Source::KnowledgePoints), (g.shared, 1.0, Source::KnowledgePoints)]);
    }

    #[test]
    fn a_point_counts_toward_every_competency_it_supports_and_weak_evidence_stays_weak() {
        let g = graph();
        let prior = Mastery::default().p(&g.snapshot, g.kps[1]);
        check(
            &g,
            &[(g.kps[0], 0.1)],
            &[
                (g.whole, (0.1 + 3.0 * prior) / 4.0, Source::KnowledgePoints),
                (g.shared, (0.1 + prior) / 2.0, Source::KnowledgePoints),
            ],
        );
    }

    #[test]
    fn a_competency_assessed_itself_counts_at_its_own_mastery() {
        let g = graph();
        // The learner's own entry on the competency wins over its supporting point.
        check(&g, &[(g.direct, 0.4), (g.d, 1.0)], &[(g.direct, 0.4, Source::Mastery)]);
        check(&g, &[(g.d, 0.8)], &[(g.direct, 0.8, Source::KnowledgePoints)]);
    }

    #[test]
    fn evidence_on_nothing_that_supports_a_competency_credits_none() {
        let g = graph();
        check(&g, &[], &[]);
        check(&g, &[(g.lone, 1.0)], &[]);
    }

    #[test]
    fn support_weights_weigh_the_mean_and_zero_weights_credit_nothing() {
        let mut b = SnapshotBuilder::new();
        let strong = b.node("https://e.org/kp/strong", NodeKind::KnowledgePoint);
        let weak = b.node("https://e.org/kp/weak", NodeKind::KnowledgePoint);
        let zero = b.node("https://e.org/kp/zero", NodeKind::KnowledgePoint);
        let c = b.node("https://e.org/c", NodeKind::Competency);
        let nothing = b.node("https://e.org/c/nothing", NodeKind::Competency);
        b.edge(Relation::Supports, strong, c, 1.0);
        b.edge(Relation::Supports, weak, c, 0.25);
        b.edge(Relation::Supports, zero, nothing, 0.0);
        let snapshot = b.build(1);
        let index = MatchIndex::new(&snapshot);
        let mastery = Mastery::from_entries([
            (strong, NodeMastery::belief(1.0)),
            (weak, NodeMastery::belief(0.0)),
            (zero, NodeMastery::belief(1.0)),
        ]);
        let got = mastery_abilities(&index, &snapshot, &mastery);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].competency, c);
        assert!((got[0].strength - 0.8).abs() < 1e-6, "{got:?}");
    }
}
