//! Graph algorithms over a [`Snapshot`]: prerequisite closure and prerequisite cycles.

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};

use crate::snapshot::{NodeId, Relation, Snapshot};

/// Every transitive prerequisite of `node` (not `node` itself), in breadth-first order:
/// direct prerequisites first, then theirs, and so on.
///
/// ```text
///   add_within_20 ──requires──▶ add_within_10 ──requires──▶ count_to_10
///         │                                                    ▲
///         └──────────────requires──────────────────────────────┘
/// ```
/// `prerequisite_closure(add_within_20)` is `[add_within_10, count_to_10]` (each node once,
/// direct prerequisites first, deepest first among them).
///
/// # Arguments
/// * `snapshot`: the compiled graph.
/// * `node`: the node whose prerequisites are wanted.
///
/// # Returns
/// The prerequisites, each once, nearest first.
///
/// # Complexity
/// O(|V'| + |E'|) time for the reachable sub-graph, O(|V|) bits of scratch space.
///
/// ```
/// use tupu_graph::{prerequisite_closure, NodeKind, Relation, SnapshotBuilder};
///
/// let mut b = SnapshotBuilder::new();
/// let count = b.node("https://example.org/count_to_10", NodeKind::KnowledgePoint);
/// let add10 = b.node("https://example.org/add_within_10", NodeKind::KnowledgePoint);
/// let add20 = b.node("https://example.org/add_within_20", NodeKind::KnowledgePoint);
/// b.edge(Relation::Requires, add20, add10, 1.0);
/// b.edge(Relation::Requires, add10, count, 1.0);
/// b.edge(Relation::Requires, add20, count, 1.0);
/// let s = b.build(1);
/// assert_eq!(prerequisite_closure(&s, add20), vec![add10, count]);
/// assert!(prerequisite_closure(&s, count).is_empty());
/// ```
pub fn prerequisite_closure(snapshot: &Snapshot, node: NodeId) -> Vec<NodeId> {
    let mut seen = vec![false; snapshot.node_count()];
    seen[node.index()] = true;
    let mut out = Vec::new();
    let mut head = 0;
    let mut frontier = vec![node];
    while head < frontier.len() {
        let current = frontier[head];
        head += 1;
        for e in snapshot.out(current, Relation::Requires) {
            if !seen[e.node.index()] {
                seen[e.node.index()] = true;
                out.push(e.node);
                frontier.push(e.node);
            }
        }
    }
    out
}

/// Every cycle of prerequisites in the snapshot, each named node by node.
///
/// Each strongly connected component of the `requires` graph with more than one node (or a
/// node that requires itself) holds at least one cycle; one shortest-found cycle is returned
/// per component, starting at its node with the smallest IRI, with the first node repeated at the end:
/// `[a, b, c, a]` reads "a requires b requires c requires a".
///
/// # Complexity
/// O(|V| + |E|): a check of the snapshot's topological order first (when every prerequisite
/// comes before the nodes that require it there is no cycle, and nothing else is built);
/// otherwise Tarjan's algorithm via petgraph, then one breadth-first search per component.
pub fn prerequisite_cycles(snapshot: &Snapshot) -> Vec<Vec<NodeId>> {
    let n = snapshot.node_count();
    let mut position = vec![0usize; n];
    for (i, node) in snapshot.topological_order().iter().enumerate() {
        position[node.index()] = i;
    }
    let ordered =
        snapshot.nodes().all(|node| snapshot.prerequisites(node).all(|p| position[p.index()] < position[node.index()]));
    if ordered {
        return Vec::new();
    }
    let mut graph: DiGraph<(), ()> = DiGraph::with_capacity(n, snapshot.edge_count(Relation::Requires));
    for _ in 0..n {
        graph.add_node(());
    }
    for from in snapshot.nodes() {
        for e in snapshot.out(from, Relation::Requires) {
            graph.add_edge(NodeIndex::new(from.index()), NodeIndex::new(e.node.index()), ());
        }
    }
    let mut cycles = Vec::new();
    for component in tarjan_scc(&graph) {
        let members: Vec<NodeId> = component.iter().map(|i| NodeId::new(i.index())).collect();
        let self_loop = members.len() == 1 && snapshot.prerequisites(members[0]).any(|p| p == members[0]);
        if members.len() > 1 || self_loop {
            cycles.push(cycle_within(snapshot, &members));
        }
    }
    cycles.sort();
    cycles
}

/// A cycle through the smallest member of a strongly connected component: breadth-first search
/// from it, restricted to the component, back to itself.
fn cycle_within(snapshot: &Snapshot, members: &[NodeId]) -> Vec<NodeId> {
    // Start at the smallest IRI: the same cycle reads the same however nodes are numbered.
    let start = *members.iter().min_by_key(|&&n| snapshot.iri(n)).expect("components are not empty");
    let mut in_component = std::collections::HashSet::with_capacity(members.len());
    in_component.extend(members.iter().copied());
    let mut parent: std::collections::HashMap<NodeId, NodeId> = std::collections::HashMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        for next in snapshot.prerequisites(node) {
            if !in_component.contains(&next) {
                continue;
            }
            if next == start {
                let mut path = vec![node];
                let mut cursor = node;
                while cursor != start {
                    cursor = parent[&cursor];
                    path.push(cursor);
                }
                path.reverse();
                path.push(start);
                return path;
            }
            if let std::collections::hash_map::Entry::Vacant(v) = parent.entry(next) {
                v.insert(node);
                queue.push_back(next);
            }
        }
    }
    unreachable!("a strongly connected component always closes a cycle")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{NodeKind, SnapshotBuilder};

    fn graph(edges: &[(usize, usize)], n: usize) -> (Snapshot, Vec<NodeId>) {
        let mut b = SnapshotBuilder::new();
        let ids: Vec<NodeId> =
            (0..n).map(|i| b.node(&format!("https://example.org/n{i}"), NodeKind::KnowledgePoint)).collect();
        for &(a, c) in edges {
            b.edge(Relation::Requires, ids[a], ids[c], 1.0);
        }
        (b.build(1), ids)
    }

    #[test]
    fn closure_follows_every_path_once() {
        let (s, ids) = graph(&[(0, 1), (1, 2), (0, 2), (2, 3), (4, 0)], 5);
        let mut got = prerequisite_closure(&s, ids[0]);
        got.sort();
        assert_eq!(got, vec![ids[1], ids[2], ids[3]]);
    }

    #[test]
    fn acyclic_graph_has_no_cycles() {
        let (s, _) = graph(&[(0, 1), (1, 2), (0, 2)], 3);
        assert!(prerequisite_cycles(&s).is_empty());
    }

    #[test]
    fn cycles_are_named_node_by_node() {
        let (s, ids) = graph(&[(0, 1), (1, 2), (2, 0), (3, 3), (4, 0)], 5);
        let cycles = prerequisite_cycles(&s);
        assert_eq!(cycles.len(), 2);
        assert!(cycles.contains(&vec![ids[0], ids[1], ids[2], ids[0]]));
        assert!(cycles.contains(&vec![ids[3], ids[3]]));
    }
}
