//! Property tests: the fast paths against naive definitions, on small random DAGs.

use std::collections::HashSet;

use proptest::prelude::*;
use tupu_graph::{NodeId, NodeKind, Relation, Snapshot, SnapshotBuilder};
use tupu_recommend::matching::{Cell, Matcher, Profile, Rule, Scored};
use tupu_recommend::{
    ItemKind, Mastery, NextRequest, NodeMastery, RecommendConfig, RecommendIndex, next_steps, plan_path, ready_fringe,
};

/// A random DAG: node i may require any j < i; a random mastery vector over it, sparse (a
/// node below 0.3 has no entry and stays at its prior, as in a real learner's vector).
fn case() -> impl Strategy<Value = (Snapshot, Mastery)> {
    (2usize..40).prop_flat_map(|n| {
        let edges = proptest::collection::vec((1..n, 0usize..n, 0usize..4), 0..n * 3);
        let beliefs = proptest::collection::vec(0.0f32..1.0, n);
        (Just(n), edges, beliefs).prop_map(|(n, edges, beliefs)| {
            let mut b = SnapshotBuilder::new();
            let ids: Vec<NodeId> =
                (0..n).map(|i| b.node(&format!("https://e.org/n{i}"), NodeKind::KnowledgePoint)).collect();
            for (i, (a, c, thread)) in edges.iter().enumerate() {
                let (a, c) = (*a, c % a);
                b.edge(Relation::Requires, ids[a], ids[c], 1.0);
                let t = b.symbol(&format!("t{thread}"));
                b.attrs_mut(ids[i % n]).thread = Some(t);
            }
            let s = b.build(1);
            let mastery = Mastery::from_entries(
                ids.iter().zip(&beliefs).filter(|(_, p)| **p >= 0.3).map(|(&id, &p)| (id, NodeMastery::belief(p))),
            );
            (s, mastery)
        })
    })
}

proptest! {
    #[test]
    fn next_learns_exactly_the_ready_fringe((s, mastery) in case()) {
        let index = RecommendIndex::new(&s);
        let config = RecommendConfig { per_thread: 1_000, ..RecommendConfig::default() };
        let request = NextRequest { n: 100, goals: Vec::new(), subject: None, now: 0 };
        let items = next_steps(&s, &index, &mastery, &request, &config);
        let learn: HashSet<NodeId> = items.iter().filter(|i| i.kind == ItemKind::Learn).map(|i| i.node).collect();
        let naive: HashSet<NodeId> = ready_fringe(&s, &index, &mastery, config.mastery_threshold).into_iter().collect();
        prop_assert_eq!(learn, naive);
        // What each item unlocks: the dependents that wait for it alone.
        let mastered = |x: NodeId| mastery.p(&s, x) >= config.mastery_threshold;
        for item in items.iter().filter(|i| i.kind == ItemKind::Learn) {
            let x = item.node;
            let mut naive: Vec<NodeId> = s
                .dependents(x)
                .filter(|&d| !mastered(d) && s.prerequisites(d).all(|q| q == x || mastered(q)))
                .collect();
            naive.sort();
            prop_assert_eq!(&item.explanation.unlocks, &naive);
        }
    }

    #[test]
    fn paths_are_valid_and_complete((s, mastery) in case(), goal in 0usize..40) {
        let index = RecommendIndex::new(&s);
        let config = RecommendConfig::default();
        let goal = NodeId::new(goal % s.node_count());
        let path = plan_path(&s, &index, &mastery, &[goal], None, &config).unwrap();
        let mastered = |x: NodeId| mastery.p(&s, x) >= config.mastery_threshold;
        // Naive: everything not mastered reachable from the goal through unmastered nodes.
        let mut expected = HashSet::new();
        let mut stack = if mastered(goal) { vec![] } else { vec![goal] };
        while let Some(x) = stack.pop() {
            if expected.insert(x) {
                stack.extend(s.prerequisites(x).filter(|&q| !mastered(q)));
            }
        }
        let steps: Vec<NodeId> = path.steps.iter().map(|st| st.node).collect();
        prop_assert_eq!(steps.iter().copied().collect::<HashSet<_>>(), expected);
        prop_assert_eq!(steps.len(), path.steps.len());
        let mut done = HashSet::new();
        for (&x, step) in steps.iter().zip(&path.steps) {
            prop_assert!(s.prerequisites(x).all(|q| done.contains(&q) || mastered(q)));
            // `after` names exactly the prerequisites that are steps, all of them earlier.
            let earlier: Vec<NodeId> = s.prerequisites(x).filter(|&q| !mastered(q)).collect();
            prop_assert_eq!(path.after(step), earlier.as_slice());
            prop_assert!(path.resources(step).len() <= config.resources_per_item);
            done.insert(x);
        }
    }
}

/// Random sparse profiles over `comps` competencies: values in (0, 1], levels 0–8, some
/// essential.
fn profiles(comps: u32, count: std::ops::Range<usize>) -> impl Strategy<Value = Vec<Profile>> {
    let cell = (0..comps, 0.001f32..1.0, 0u8..9, any::<bool>()).prop_map(|(comp, value, level, essential)| Cell {
        comp,
        value,
        level,
        essential,
    });
    proptest::collection::vec(proptest::collection::vec(cell, 0..12).prop_map(Profile::new), count)
}

fn rules() -> impl Strategy<Value = Rule> {
    prop_oneof![
        Just(Rule::Dot),
        (0.0f32..1.0).prop_map(|penalty| Rule::Requirements { penalty }),
        (0.0f32..1.0).prop_map(|penalty| Rule::Abilities { penalty }),
    ]
}

proptest! {
    #[test]
    fn batch_top_k_equals_a_naive_loop(
        queries in profiles(30, 1..40),
        targets in profiles(30, 0..60),
        rule in rules(),
        k in 0usize..8,
    ) {
        let matcher = Matcher::new(rule, 30, &targets);
        let mut batch: Vec<Vec<Scored>> = vec![Vec::new(); queries.len()];
        let exposure = matcher.top_k_batch(&queries, k, |i, top| batch[i] = top);
        for (i, q) in queries.iter().enumerate() {
            // Naive: every pair scored by the definition, sorted best first, ties by index.
            let mut naive: Vec<Scored> = targets
                .iter()
                .enumerate()
                .map(|(t, p)| Scored { target: t as u32, score: Matcher::score_pair(rule, q, p) })
                .filter(|s| s.score > 0.0)
                .collect();
            naive.sort();
            naive.truncate(k);
            prop_assert_eq!(&batch[i], &naive);
        }
        let total: usize = batch.iter().map(Vec::len).sum();
        prop_assert_eq!(exposure.report().recommendations, total as u64);
    }
}
