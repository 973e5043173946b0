//! # tupu-benches: fixtures for benchmarks, load tests and evaluations
//!
//! [`SyntheticSpec`] generates curriculum-shaped graphs of any size with the profile of the
//! ChalkBase primary-mathematics graph (433 knowledge points, 3,751 prerequisite edges: the
//! mean point has 8.7 prerequisites, at most 88, most of them shortcuts to ancestors further up
//! (about 45% of a point's ancestors are linked directly); closures have a median of 11 nodes,
//! a 90th percentile of 54). Points come in threads of 5 inside topics of 100; a point requires
//! the one before it in its thread, a thread's first point the ends of earlier threads. A national
//! graph is many such curricula side by side, so nodes come in clusters ("subjects") of
//! [`SyntheticSpec::cluster`] points; one point in a hundred also requires a foundation at the
//! start of the first cluster.
//!
//! The same graph can be had as a [`Snapshot`] (for algorithm benchmarks) or as quads (for the
//! store and the compiler). Generation is deterministic for a seed.

mod kss;
mod learners;
mod matching;
pub mod search;

pub use kss::{KSS_EDGES, KSS_POINTS, KssEnv, KssLearner, KssPolicy, KssResult, kss_evaluate};
pub use learners::{goal, progressed_learner};
pub use matching::zipf_profiles;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tupu_graph::oxigraph::model::vocab::{rdf, xsd};
use tupu_graph::oxigraph::model::{GraphName, Literal, NamedNode, Quad};
use tupu_graph::vocab::{skos, tupu};
use tupu_graph::{MasteryLevel, NodeKind, Relation, Snapshot, SnapshotBuilder};

/// Namespace of synthetic node IRIs.
pub const SYNTHETIC_NS: &str = "https://w3id.org/tupu/synthetic/";

/// Shape of a synthetic graph.
#[derive(Clone, Debug)]
pub struct SyntheticSpec {
    /// Knowledge points.
    pub nodes: usize,
    /// Knowledge points per cluster (one subject's curriculum).
    pub cluster: usize,
    /// Knowledge points per learning thread.
    pub thread_len: usize,
    /// Resources teaching each knowledge point.
    pub resources_per_node: usize,
    /// Random seed.
    pub seed: u64,
}

impl SyntheticSpec {
    /// A ChalkBase-like graph of `nodes` knowledge points.
    pub fn chalkbase_like(nodes: usize, seed: u64) -> Self {
        Self { nodes, cluster: 1_000.min(nodes.max(1)), thread_len: 5, resources_per_node: 1, seed }
    }
}

/// One synthetic knowledge point.
#[derive(Clone, Debug)]
pub struct SyntheticNode {
    /// Local name.
    pub id: String,
    /// Thread name.
    pub thread: String,
    /// Grade 1–12.
    pub grade: u8,
    /// Difficulty in [0, 1].
    pub difficulty: f32,
    /// Target level.
    pub mastery_level: MasteryLevel,
}

/// A generated graph.
#[derive(Clone, Debug)]
pub struct SyntheticGraph {
    /// Knowledge points in teaching order (every prerequisite has a smaller index).
    pub nodes: Vec<SyntheticNode>,
    /// `(a, b)`: node a requires node b (b < a).
    pub requires: Vec<(u32, u32)>,
    /// `(a, b)`: node a builds on node b.
    pub builds_on: Vec<(u32, u32)>,
    /// Resources per node.
    pub resources_per_node: usize,
}

/// Generates a graph. O(n · d) time.
pub fn generate(spec: &SyntheticSpec) -> SyntheticGraph {
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let cluster = spec.cluster.max(1);
    let levels = [MasteryLevel::Know, MasteryLevel::Understand, MasteryLevel::Master, MasteryLevel::Apply];
    let mut nodes = Vec::with_capacity(spec.nodes);
    let mut requires = Vec::new();
    let mut builds_on = Vec::new();
    let mut chosen = Vec::new();
    let mut direct: Vec<Vec<u32>> = Vec::with_capacity(spec.nodes);
    for i in 0..spec.nodes {
        let c = i / cluster;
        let start = c * cluster;
        let pos = i - start;
        let grade = (1 + pos * 12 / cluster).min(12) as u8;
        nodes.push(SyntheticNode {
            id: format!("kp{i:06}"),
            thread: format!("c{c}.t{}", pos / spec.thread_len.max(1)),
            grade,
            difficulty: ((pos as f32 / cluster as f32) * 0.8 + rng.random::<f32>() * 0.2).clamp(0.0, 1.0),
            mastery_level: levels[rng.random_range(0..levels.len())],
        });
        // Direct prerequisites follow the curriculum's structure: a point requires the one
        // before it in its thread; a thread's first point requires the last points of one or
        // two earlier threads of its topic (100 points), sometimes of an earlier topic. About
        // a fifth of the points (the first of a cluster always) are roots.
        let thread_len = spec.thread_len.max(1);
        let topic_start = start + pos / 100 * 100;
        let mut parents: Vec<u32> = Vec::new();
        if pos % thread_len != 0 {
            if rng.random::<f64>() < 0.95 {
                parents.push(i as u32 - 1);
            }
            // Sometimes also an earlier point of the topic outside the thread.
            let back = rng.random_range(thread_len..3 * thread_len.max(10));
            if rng.random::<f64>() < 0.3 && i >= topic_start + back {
                parents.push((i - back) as u32);
            }
        } else if pos >= thread_len && rng.random::<f64>() < 0.55 {
            let threads_before = (i - topic_start) / thread_len;
            for _ in 0..rng.random_range(1..=2) {
                let end = if threads_before > 0 && rng.random::<f64>() < 0.85 {
                    topic_start + thread_len * (threads_before - rng.random_range(0..threads_before.min(6))) - 1
                } else {
                    start + rng.random_range(0..(topic_start - start).max(1)).min(pos - 1)
                };
                if end < i && !parents.contains(&(end as u32)) {
                    parents.push(end as u32);
                }
            }
        }
        // The rest of a point's prerequisites are shortcuts to its ancestors, as most of
        // ChalkBase's are (2,899 of its 3,751 edges are not direct).
        // ChalkBase links a point directly to about 45% of its ancestors (3,751 edges over
        // closures that sum to about 8,300).
        let mut ancestors: Vec<u32> = Vec::new();
        let mut stack: Vec<u32> = parents.clone();
        while let Some(a) = stack.pop() {
            for &q in &direct[a as usize] {
                if !ancestors.contains(&q) {
                    ancestors.push(q);
                    stack.push(q);
                }
            }
        }
        ancestors.retain(|a| !parents.contains(a));
        let share = rng.random_range(0.2..0.7);
        let degree = ((parents.len() + ancestors.len()) as f64 * share).round() as usize;
        let degree = degree.clamp(parents.len(), 88);
        chosen.clear();
        chosen.extend(parents.iter().copied());
        while chosen.len() < degree && !ancestors.is_empty() {
            chosen.push(ancestors.swap_remove(rng.random_range(0..ancestors.len())));
        }
        for &t in &chosen {
            requires.push((i as u32, t));
        }
        direct.push(parents);
        // Half as many builds-on edges, to recent points.
        if pos > 0 && rng.random::<f64>() < 0.5 {
            let back = 1 + rng.random_range(0..pos.min(20));
            builds_on.push((i as u32, (i - back) as u32));
        }
        // Rarely, a prerequisite in another subject: the foundations at the start of the first
        // cluster (as basic arithmetic underlies physics), so closures stay within a subject
        // plus a few shared foundations, as in a real national graph.
        if c > 0 && rng.random::<f64>() < 0.01 {
            let target = rng.random_range(0..cluster.min(100));
            requires.push((i as u32, target as u32));
        }
    }
    SyntheticGraph { nodes, requires, builds_on, resources_per_node: spec.resources_per_node }
}

impl SyntheticGraph {
    fn iri(id: &str) -> String {
        format!("{SYNTHETIC_NS}{id}")
    }

    /// The graph as a snapshot (knowledge points, then resources).
    pub fn to_snapshot(&self) -> Snapshot {
        let mut b = SnapshotBuilder::new();
        let ids: Vec<_> = self
            .nodes
            .iter()
            .map(|n| {
                let id = b.node(&Self::iri(&n.id), NodeKind::KnowledgePoint);
                b.label(id, "en", &n.id);
                let thread = b.symbol(&n.thread);
                let subject = b.symbol("synthetic");
                let a = b.attrs_mut(id);
                a.grade = Some(n.grade);
                a.difficulty = Some(n.difficulty);
                a.mastery_level = Some(n.mastery_level);
                a.thread = Some(thread);
                a.subject = Some(subject);
                id
            })
            .collect();
        for (i, n) in self.nodes.iter().enumerate() {
            b.attrs_mut(ids[i]).sequence = Some(i as u32);
            for r in 0..self.resources_per_node {
                let res = b.node(&Self::iri(&format!("res.{}.{r}", n.id)), NodeKind::Resource);
                b.label(res, "en", &format!("lesson on {}", n.id));
                b.edge(Relation::Teaches, res, ids[i], 1.0);
            }
        }
        for &(a, c) in &self.requires {
            b.edge(Relation::Requires, ids[a as usize], ids[c as usize], 1.0);
        }
        for &(a, c) in &self.builds_on {
            b.edge(Relation::BuildsOn, ids[a as usize], ids[c as usize], 1.0);
        }
        b.build(1)
    }

    /// The graph as quads of `graph` in the Tupu vocabulary.
    pub fn to_quads(&self, graph: &NamedNode) -> Vec<Quad> {
        let g = GraphName::NamedNode(graph.clone());
        let node = |id: &str| NamedNode::new_unchecked(Self::iri(id));
        let mut quads = Vec::with_capacity(self.nodes.len() * (9 + 4 * self.resources_per_node) + self.requires.len());
        for (i, n) in self.nodes.iter().enumerate() {
            let s = node(&n.id);
            quads.push(Quad::new(s.clone(), rdf::TYPE, tupu::KNOWLEDGE_POINT, g.clone()));
            quads.push(Quad::new(
                s.clone(),
                skos::PREF_LABEL,
                Literal::new_language_tagged_literal_unchecked(&n.id, "en"),
                g.clone(),
            ));
            quads.push(Quad::new(s.clone(), tupu::THREAD, Literal::new_simple_literal(&n.thread), g.clone()));
            quads.push(Quad::new(s.clone(), tupu::SUBJECT, Literal::new_simple_literal("synthetic"), g.clone()));
            quads.push(Quad::new(
                s.clone(),
                tupu::GRADE_LEVEL,
                Literal::new_typed_literal(n.grade.to_string(), xsd::INTEGER),
                g.clone(),
            ));
            quads.push(Quad::new(
                s.clone(),
                tupu::SEQUENCE,
                Literal::new_typed_literal(i.to_string(), xsd::INTEGER),
                g.clone(),
            ));
            quads.push(Quad::new(
                s.clone(),
                tupu::DIFFICULTY,
                Literal::new_typed_literal(format!("{:.3}", n.difficulty), xsd::DECIMAL),
                g.clone(),
            ));
            quads.push(Quad::new(
                s.clone(),
                tupu::MASTERY_LEVEL,
                Literal::new_simple_literal(n.mastery_level.as_str()),
                g.clone(),
            ));
            for r in 0..self.resources_per_node {
                let res = node(&format!("res.{}.{r}", n.id));
                quads.push(Quad::new(res.clone(), rdf::TYPE, tupu::RESOURCE, g.clone()));
                quads.push(Quad::new(
                    res.clone(),
                    skos::PREF_LABEL,
                    Literal::new_language_tagged_literal_unchecked(format!("lesson on {}", n.id), "en"),
                    g.clone(),
                ));
                quads.push(Quad::new(
                    res.clone(),
                    tupu::RESOURCE_TYPE,
                    Literal::new_simple_literal("lesson"),
                    g.clone(),
                ));
                quads.push(Quad::new(res, tupu::TEACHES, s.clone(), g.clone()));
            }
        }
        for (edges, p) in [(&self.requires, tupu::REQUIRES), (&self.builds_on, tupu::BUILDS_ON)] {
            for &(a, c) in edges {
                quads.push(Quad::new(node(&self.nodes[a as usize].id), p, node(&self.nodes[c as usize].id), g.clone()));
            }
        }
        quads
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tupu_graph::prerequisite_cycles;

    #[test]
    fn degrees_look_like_chalkbase() {
        let g = generate(&SyntheticSpec::chalkbase_like(2_000, 7));
        let mean = g.requires.len() as f64 / g.nodes.len() as f64;
        assert!((4.0..12.0).contains(&mean), "mean prerequisites {mean}");
        let mut degree = vec![0usize; g.nodes.len()];
        for &(a, _) in &g.requires {
            degree[a as usize] += 1;
        }
        let roots = degree.iter().filter(|&&d| d == 0).count() as f64 / g.nodes.len() as f64;
        assert!((0.1..0.3).contains(&roots), "root share {roots}");
        // Closures stay curriculum-sized (ChalkBase: median 11, 90th percentile 54, largest 108).
        let s = g.to_snapshot();
        let mut sizes: Vec<usize> =
            s.nodes_of_kind(NodeKind::KnowledgePoint).map(|n| tupu_graph::prerequisite_closure(&s, n).len()).collect();
        sizes.sort_unstable();
        let (median, p90, max) = (sizes[sizes.len() / 2], sizes[sizes.len() * 9 / 10], sizes[sizes.len() - 1]);
        assert!((5..60).contains(&median) && p90 < 250 && max < 600, "closures: median {median}, p90 {p90}, max {max}");
    }

    #[test]
    fn graph_is_acyclic_and_deterministic() {
        let spec = SyntheticSpec::chalkbase_like(3_000, 11);
        let a = generate(&spec);
        let b = generate(&spec);
        assert_eq!(a.requires, b.requires);
        assert!(a.requires.iter().all(|&(x, y)| y < x));
        let s = a.to_snapshot();
        assert!(prerequisite_cycles(&s).is_empty());
        assert_eq!(s.edge_count(Relation::Requires), a.requires.len());
    }
}
