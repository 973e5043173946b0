//! # tupu-benches: fixtures for benchmarks, load tests and evaluations
//!
//! [`SyntheticSpec`] generates curriculum-shaped graphs of any size with the degree profile of
//! the ChalkBase primary-mathematics graph (433 knowledge points, 3,751 prerequisite edges:
//! about a fifth of the points are roots, the median point has 3 prerequisites, the mean 8.7,
//! the largest 88, most of them shortcuts to earlier ancestors; longest chain 19). A national
//! graph is many such curricula side by side, so nodes come in clusters ("subjects") of
//! [`SyntheticSpec::cluster`] points with a few prerequisites across clusters.
//!
//! The same graph can be had as a [`Snapshot`] (for algorithm benchmarks) or as quads (for the
//! store and the compiler). Generation is deterministic for a seed.

mod learners;

pub use learners::{goal, progressed_learner};

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

fn lognormal_degree(rng: &mut ChaCha8Rng) -> usize {
    // exp(N(1.1, 1.3)): median 3, mean ≈ 7, heavy tail; capped like ChalkBase's maximum.
    let (u1, u2): (f64, f64) = (rng.random::<f64>().max(1e-12), rng.random());
    let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
    ((1.1 + 1.3 * z).exp().floor() as usize).min(88)
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
        // About a fifth of the points are roots, the first ones of a cluster always.
        if pos < 5 || rng.random::<f64>() < 0.15 {
            continue;
        }
        let degree = lognormal_degree(&mut rng).max(1).min(pos);
        chosen.clear();
        let mut tries = 0;
        while chosen.len() < degree && tries < degree * 8 {
            tries += 1;
            // Mostly near predecessors (same thread, same unit), sometimes far back.
            let back = if rng.random::<f64>() < 0.7 {
                1 + (rng.random::<f64>() * 12.0) as usize
            } else {
                1 + (-(rng.random::<f64>().max(1e-12)).ln() * cluster as f64 / 6.0) as usize
            };
            if back > pos {
                continue;
            }
            let target = (i - back) as u32;
            if !chosen.contains(&target) {
                chosen.push(target);
            }
        }
        for &t in &chosen {
            requires.push((i as u32, t));
        }
        // Half as many builds-on edges, to recent points.
        if rng.random::<f64>() < 0.5 {
            let back = 1 + rng.random_range(0..pos.min(20));
            builds_on.push((i as u32, (i - back) as u32));
        }
        // One prerequisite in ten clusters' worth reaches into the previous cluster.
        if c > 0 && rng.random::<f64>() < 0.01 {
            let target = start - 1 - rng.random_range(0..cluster.min(start));
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
