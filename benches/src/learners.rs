//! Learners for benchmarks: mastery vectors consistent with a synthetic graph.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tupu_graph::{NodeId, NodeKind, Snapshot};
use tupu_recommend::{Mastery, NodeMastery};

/// A learner who mastered the first `mastered` knowledge points of one cluster (in teaching
/// order, so every mastered point's prerequisites are mastered too), with some beliefs in
/// progress beyond them. `seed` picks the cluster.
pub fn progressed_learner(snapshot: &Snapshot, cluster: usize, mastered: usize, seed: u64) -> Mastery {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let kps: Vec<NodeId> = snapshot.nodes_of_kind(NodeKind::KnowledgePoint).collect();
    let clusters = (kps.len() / cluster).max(1);
    let start = rng.random_range(0..clusters) * cluster;
    let mut entries = Vec::new();
    for (i, &node) in kps.iter().skip(start).take(mastered + 20).enumerate() {
        let p = if i < mastered { 0.9 + 0.09 * rng.random::<f32>() } else { 0.3 + 0.4 * rng.random::<f32>() };
        entries.push((
            node,
            NodeMastery { last_practised: Some(1_700_000_000), attempts: 3, correct: 2, ..NodeMastery::belief(p) },
        ));
    }
    Mastery::from_entries(entries)
}

/// A goal deep in a cluster: the knowledge point at `offset` in teaching order of cluster `c`.
pub fn goal(snapshot: &Snapshot, cluster: usize, c: usize, offset: usize) -> NodeId {
    snapshot.nodes_of_kind(NodeKind::KnowledgePoint).nth(c * cluster + offset).expect("the graph is large enough")
}
