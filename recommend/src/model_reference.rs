//! The learner model's update written plainly, as a reference for the fast
//! [`LearnerState::observe`]: a map keyed by IRI strings, a lookup per read and per write,
//! a binary heap of `(strength, node)` pairs, fresh for each walk (the belief formulas are the
//! model's own: `practised`, `linked_belief`, `count_answer`). A property test checks on random graphs (weights,
//! replacements, exact matches, fitted and default parameters, stored entries, graded scores)
//! that both give bit for bit the same beliefs and the same touched nodes in the same order.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;

use proptest::prelude::*;
use rustc_hash::FxHashMap as HashMap;
use tupu_graph::{BktParams, MasteryLevel, NodeId, NodeKind, Relation, Snapshot, SnapshotBuilder};

use crate::bkt::{default_params, half_life_days};
use crate::model::{
    ABILITY_KEY, CLOSURE, LearnerState, MAX_PROPAGATION, NodeMastery, Observation, count_answer, linked_belief,
    practised,
};

const EPSILON: f32 = 1e-4;

type Nodes = HashMap<Arc<str>, NodeMastery>;

fn counted(nodes: &Nodes, snapshot: &Snapshot, node: NodeId) -> Option<NodeMastery> {
    let own = nodes.get(snapshot.iri(node)).map(|m| (*m, None));
    let rank =
        |(m, from): &(NodeMastery, Option<NodeId>)| (m.last_practised, from.is_none(), m.attempts, m.p.to_bits());
    own.into_iter()
        .chain(snapshot.equivalents(node).filter_map(|r| nodes.get(snapshot.iri(r)).map(|m| (*m, Some(r)))))
        .max_by_key(rank)
        .map(|(m, _)| m)
}

fn get(nodes: &Nodes, snapshot: &Snapshot, node: NodeId) -> NodeMastery {
    counted(nodes, snapshot, node).unwrap_or_else(|| NodeMastery::belief(default_params(snapshot.attrs(node)).prior))
}

/// The update as first written: BKT on the observed node, then a best-first walk.
fn observe(nodes: &mut Nodes, snapshot: &Snapshot, obs: Observation) -> Vec<NodeId> {
    let params = default_params(snapshot.attrs(obs.node));
    let m = get(nodes, snapshot, obs.node).decayed(obs.time, half_life_days(snapshot.attrs(obs.node)));
    let mut ability = nodes.get(ABILITY_KEY).copied();
    count_answer(&mut ability, &m, &obs, &params);
    nodes.insert(Arc::from(ABILITY_KEY), ability.expect("counted"));
    let a = m.p;
    nodes.insert(snapshot.iri_arc(obs.node).clone(), practised(m, &obs, &params));
    let mut touched = vec![obs.node];
    let success = obs.score >= 0.5;
    let edges =
        |x: NodeId| if success { snapshot.out(x, Relation::Requires) } else { snapshot.inc(x, Relation::Requires) };
    let mut heap: BinaryHeap<(u32, Reverse<NodeId>)> = BinaryHeap::new();
    let mut done: rustc_hash::FxHashSet<NodeId> = rustc_hash::FxHashSet::default();
    done.insert(obs.node);
    let push = |heap: &mut BinaryHeap<_>, from: NodeId, r: f32| {
        for e in edges(from) {
            let s = r * CLOSURE * e.weight.clamp(0.0, 1.0);
            if s > 0.0 {
                heap.push((s.to_bits(), Reverse(e.node)));
            }
        }
    };
    push(&mut heap, obs.node, 1.0);
    let mut visits = 0;
    while let Some((bits, Reverse(x))) = heap.pop() {
        if visits >= MAX_PROPAGATION {
            break;
        }
        if !done.insert(x) {
            continue;
        }
        visits += 1;
        let r = f32::from_bits(bits);
        let stored = counted(nodes, snapshot, x);
        if !success && stored.is_none() {
            continue;
        }
        let mut mx = stored.unwrap_or_else(|| NodeMastery::belief(default_params(snapshot.attrs(x)).prior));
        let after = linked_belief(mx.p, a, r, obs.score, &params);
        if (after - mx.p).abs() <= EPSILON {
            continue;
        }
        mx.set_p(after);
        nodes.insert(snapshot.iri_arc(x).clone(), mx);
        touched.push(x);
        push(&mut heap, x, r);
    }
    touched
}

/// Every entry with its floats as bits, sorted by IRI: what "the same state" means here.
fn bits(entries: impl Iterator<Item = (String, NodeMastery)>) -> Vec<(String, u32, u32, Option<i64>, u32, u32)> {
    let mut out: Vec<_> =
        entries.map(|(k, m)| (k, m.p.to_bits(), m.logit.to_bits(), m.last_practised, m.attempts, m.correct)).collect();
    out.sort();
    out
}

/// A random DAG of `n` points with edge weights (some 0, many 1, so that strengths tie), a
/// few replacements and exact matches, some fitted parameters (with forgetting), stored
/// entries (some under IRIs the graph no longer has, some from before log-odds were kept),
/// an ability weight on the fitted nodes (0 or 10), a half-life of half a day on some nodes,
/// and a stream of observations with graded scores.
#[allow(clippy::type_complexity)]
fn case() -> impl Strategy<Value = (Snapshot, Vec<(String, NodeMastery)>, Vec<(usize, f32, i64)>, f32)> {
    (2usize..120).prop_flat_map(|n| {
        let edges = proptest::collection::vec((1..n, 0usize..n, 0usize..6), 0..n * 4);
        let links = proptest::collection::vec((0..n, 0..n, any::<bool>()), 0..4);
        let attrs = proptest::collection::vec((0usize..6, 0.0f32..1.0), n);
        let stored = proptest::collection::vec((0..n + 3, 0.0f32..1.0, 0u32..4, any::<bool>()), 0..n);
        let stream = proptest::collection::vec((0..n, 0usize..5, 0i64..5), 1..60);
        let ability = prop_oneof![Just(0.0f32), Just(10.0f32)];
        (Just(n), edges, links, attrs, stored, stream, ability).prop_map(
            |(n, edges, links, attrs, stored, stream, ability)| {
                let mut b = SnapshotBuilder::new();
                let ids: Vec<NodeId> =
                    (0..n).map(|i| b.node(&format!("https://e.org/n{i}"), NodeKind::KnowledgePoint)).collect();
                let weights = [1.0f32, 1.0, 1.0, 0.5, 0.8, 0.0];
                for (a, c, w) in edges {
                    b.edge(Relation::Requires, ids[a], ids[c % a], weights[w]);
                }
                for (x, y, replaced) in links {
                    if x != y {
                        let relation = if replaced { Relation::ReplacedBy } else { Relation::ExactMatch };
                        b.edge(relation, ids[x], ids[y], 1.0);
                    }
                }
                for (i, (kind, difficulty)) in attrs.into_iter().enumerate() {
                    let a = b.attrs_mut(ids[i]);
                    match kind {
                        0 => a.mastery_level = Some(MasteryLevel::Know),
                        1 => a.mastery_level = Some(MasteryLevel::Apply),
                        2 => a.difficulty = Some(difficulty),
                        3 => {
                            a.bkt = Some(BktParams { prior: 0.3, learn: 0.15, slip: 0.1, guess: 0.2, forget: 0.05 });
                            a.bkt_ability = (ability != 0.0).then_some(ability);
                        }
                        4 => a.bkt_half_life = Some(0.5),
                        _ => {}
                    }
                }
                let s = b.build(1);
                let stored = stored
                    .into_iter()
                    .map(|(i, p, attempts, old)| {
                        let iri = format!("https://e.org/n{i}");
                        let logit = if old { f32::NAN } else { crate::bkt::logit(p) };
                        let last = (attempts > 0).then_some(i64::from(attempts));
                        (iri, NodeMastery { p, logit, last_practised: last, attempts, correct: attempts / 2 })
                    })
                    .collect();
                let scores = [0.0f32, 1.0, 1.0, 0.5, 0.3];
                // Up to about two days apart: mastery decays between answers.
                let stream = stream.into_iter().map(|(i, k, t)| (i, scores[k], t * 40_000)).collect();
                (s, stored, stream, ability)
            },
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn observe_equals_the_plain_update((s, stored, stream, _ability) in case()) {
        let mut plain: Nodes = stored.iter().map(|(k, m)| (Arc::from(k.as_str()), *m)).collect();
        let mut state = LearnerState::from_entries(stored.iter().map(|(k, m)| (k.as_str(), *m)));
        for (i, score, time) in stream {
            let obs = Observation { node: NodeId::new(i), score, time };
            let want = observe(&mut plain, &s, obs);
            let got = state.observe(&s, obs);
            prop_assert_eq!(got, want);
            prop_assert_eq!(
                bits(state.iter().map(|(k, m)| (k.to_owned(), m))),
                bits(plain.iter().map(|(k, m)| (k.to_string(), *m)))
            );
        }
        // Reads of the bound vector agree with those of the same entries unbound.
        let unbound = LearnerState::from_entries(plain.iter().map(|(k, m)| (k.as_ref(), *m)));
        for node in s.nodes() {
            let (a, b) = (state.get(&s, node), unbound.get(&s, node));
            prop_assert_eq!(bits(std::iter::once((String::new(), a))), bits(std::iter::once((String::new(), b))));
            for now in [0, 200_000] {
                prop_assert_eq!(state.predict(&s, node, now).to_bits(), unbound.predict(&s, node, now).to_bits());
            }
            prop_assert_eq!(state.entry(&s, node).map(|e| e.1), unbound.entry(&s, node).map(|e| e.1));
        }
        let resolved = |m: crate::model::Mastery| bits(m.entries().map(|(n, m)| (s.iri(n).to_owned(), *m)));
        prop_assert_eq!(resolved(state.resolve(&s)), resolved(unbound.resolve(&s)));
    }

    #[test]
    fn a_large_fan_stops_at_the_cap(width in 200usize..400, stream in proptest::collection::vec((0usize..3, any::<bool>()), 1..20)) {
        // Two layers of `width` prerequisites under three tops: the cap binds.
        let mut b = SnapshotBuilder::new();
        let tops: Vec<NodeId> = (0..3).map(|i| b.node(&format!("https://e.org/top{i}"), NodeKind::KnowledgePoint)).collect();
        for i in 0..width {
            let mid = b.node(&format!("https://e.org/m{i}"), NodeKind::KnowledgePoint);
            let low = b.node(&format!("https://e.org/l{i}"), NodeKind::KnowledgePoint);
            b.edge(Relation::Requires, tops[i % 3], mid, 1.0);
            b.edge(Relation::Requires, tops[(i + 1) % 3], mid, 0.9);
            b.edge(Relation::Requires, mid, low, 1.0);
        }
        let s = b.build(1);
        let mut plain = Nodes::default();
        let mut state = LearnerState::default();
        for (t, right) in stream {
            let obs = Observation { node: tops[t], score: if right { 1.0 } else { 0.0 }, time: 0 };
            prop_assert_eq!(state.observe(&s, obs), observe(&mut plain, &s, obs));
        }
        prop_assert_eq!(
            bits(state.iter().map(|(k, m)| (k.to_owned(), m))),
            bits(plain.iter().map(|(k, m)| (k.to_string(), *m)))
        );
    }
}
