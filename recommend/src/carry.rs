//! Mastery across versions of a curriculum: what a learner showed on a node that has since
//! been replaced (`dcterms:isReplacedBy`: a deprecation with a replacement, a merge, a split)
//! counts for its replacement, and what they showed on a node counts for its exact matches
//! (`skos:exactMatch`, both ways: the same concept in another framework or release).
//!
//! The carry happens where beliefs are read, never by rewriting what is stored: the learner's
//! entries stay under the IRIs they were written for, and each read asks the snapshot which
//! nodes are equivalent to the node read ([`Snapshot::equivalents`]: the replaced nodes whose
//! chains end there, chains and loops resolved once per snapshot, and its direct exact
//! matches). So a replacement shows at once, and a revert of it takes the belief back to the
//! old node just as fast.
//!
//! **Which entry counts.** For a node `n`, the candidates are its own entry and the entries of
//! its equivalents; the one practised most recently counts (a practised entry beats a belief
//! that was only inferred through prerequisites); among equally recent ones, `n`'s own entry,
//! then the one with more attempts, then the higher belief. Evidence on `n` after the
//! replacement is therefore always what counts from then on.
//!
//! Cost: one hash lookup for a node with no equivalent (almost every node), plus one per
//! equivalent otherwise.

use tupu_graph::{NodeId, Snapshot};

use crate::model::NodeMastery;

/// The entry that counts for `node` (see the module documentation) and, when it was carried,
/// the node it comes from; `None` when neither `node` nor its equivalents have one. `stored`
/// reads a node's own entry.
#[inline]
pub(crate) fn counted(
    stored: impl Fn(NodeId) -> Option<NodeMastery>,
    snapshot: &Snapshot,
    node: NodeId,
) -> Option<(NodeMastery, Option<NodeId>)> {
    let own = stored(node).map(|m| (m, None));
    let mut equivalents = snapshot.equivalents(node).peekable();
    if equivalents.peek().is_none() {
        return own;
    }
    let rank =
        |(m, from): &(NodeMastery, Option<NodeId>)| (m.last_practised, from.is_none(), m.attempts, m.p.to_bits());
    own.into_iter().chain(equivalents.filter_map(|r| stored(r).map(|m| (m, Some(r))))).max_by_key(rank)
}

/// The nodes that may take an entry from `node`: its replacements and its exact matches.
pub(crate) fn heirs(snapshot: &Snapshot, node: NodeId) -> impl Iterator<Item = NodeId> + '_ {
    snapshot
        .replacements(node)
        .iter()
        .copied()
        .chain(snapshot.out(node, tupu_graph::Relation::ExactMatch).iter().map(|e| e.node))
}

/// `nodes` with each replaced node swapped for its replacements (first occurrence kept): a
/// goal set on a node that has since been replaced leads to what replaced it.
pub fn current_nodes(snapshot: &Snapshot, nodes: &[NodeId]) -> Vec<NodeId> {
    let mut out: Vec<NodeId> = Vec::with_capacity(nodes.len());
    for &n in nodes {
        let now = snapshot.replacements(n);
        for &x in if now.is_empty() { std::slice::from_ref(&n) } else { now } {
            if !out.contains(&x) {
                out.push(x);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use tupu_graph::{NodeId, NodeKind, Relation, SnapshotBuilder};

    use crate::model::{LearnerState, NodeMastery, Observation};

    fn entry(p: f32, last_practised: Option<i64>, attempts: u32) -> NodeMastery {
        NodeMastery { last_practised, attempts, correct: attempts, ..NodeMastery::belief(p) }
    }

    /// Two versions of a point linked by `relation` (first → second) and a lesson that teaches
    /// the first.
    fn two_versions(relation: Relation) -> (tupu_graph::Snapshot, NodeId, NodeId, NodeId) {
        let mut b = SnapshotBuilder::new();
        let first = b.node("https://e.org/v1/add", NodeKind::KnowledgePoint);
        let second = b.node("https://e.org/v2/add", NodeKind::KnowledgePoint);
        let lesson = b.node("https://e.org/lesson", NodeKind::Resource);
        b.edge(relation, first, second, 1.0);
        b.edge(Relation::Teaches, lesson, first, 1.0);
        (b.build(1), first, second, lesson)
    }

    #[test]
    fn the_freshest_entry_of_a_node_and_what_it_replaces_counts() {
        // old → new (replaced), and a lesson that teaches old.
        let (s, old, new, lesson) = two_versions(Relation::ReplacedBy);
        let mut state = LearnerState::default();
        state.insert(s.iri(old), entry(0.9, Some(100), 3));
        // Evidence on the replaced node counts for its replacement, whose own belief was only
        // inferred.
        state.insert(s.iri(new), entry(0.3, None, 0));
        assert_eq!(state.entry(&s, new), Some((entry(0.9, Some(100), 3), Some(old))));
        assert_eq!(state.get(&s, new).p, 0.9);
        let resolved = state.resolve(&s);
        assert_eq!(resolved.entry(new).map(|m| m.p), Some(0.9));
        assert_eq!(resolved.entry(old).map(|m| m.p), Some(0.9));
        // Newer practice of the replacement counts from then on.
        state.observe(&s, Observation { node: new, score: 0.0, time: 200 });
        let (m, from) = state.entry(&s, new).unwrap();
        assert_eq!((m.attempts, m.last_practised, from), (4, Some(200), None));
        assert!(m.p < 0.9);
        // The old node's lesson teaches the replacement.
        assert_eq!(crate::resources_for(&s, new, 10), [lesson]);
        assert_eq!(crate::resources_for(&s, old, 10), [lesson]);
        // The replaced node is not learnt any more; a goal set on it leads to its replacement.
        let index = crate::RecommendIndex::new(&s);
        assert!(index.learnable(new) && !index.learnable(old));
        assert_eq!(super::current_nodes(&s, &[old, new, lesson]), [new, lesson]);
    }

    #[test]
    fn exact_matches_share_evidence_and_resources_both_ways() {
        // Two releases of one point, matched exactly; a lesson aligned to the first.
        let (s, v1, v2, lesson) = two_versions(Relation::ExactMatch);
        let mut state = LearnerState::default();
        state.observe(&s, Observation { node: v1, score: 1.0, time: 10 });
        let first = state.entry(&s, v1).unwrap().0;
        assert_eq!(state.entry(&s, v2), Some((first, Some(v1))));
        assert_eq!(state.resolve(&s).entry(v2), Some(&first));
        state.observe(&s, Observation { node: v2, score: 1.0, time: 20 });
        let second = state.entry(&s, v2).unwrap().0;
        assert_eq!(second.attempts, 2);
        assert_eq!(state.entry(&s, v1), Some((second, Some(v2))));
        assert_eq!(crate::resources_for(&s, v2, 10), [lesson]);
        // Both stay learnable: neither is replaced.
        let index = crate::RecommendIndex::new(&s);
        assert!(index.learnable(v1) && index.learnable(v2));
    }
}
