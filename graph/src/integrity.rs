//! SKOS integrity checks in the spirit of qSKOS and VocBench, each finding with a concrete fix
//! (a list of [`Edit`]s that the edit API applies as it is).
//!
//! Rules (all warnings: they report, they do not block commits):
//! - `orphan`: a knowledge point or competency with no relation at all;
//! - `missing_language`: a node without a preferred label in a language that at least half of
//!   its framework's nodes are labelled in;
//! - `duplicate_pref_label`: two preferred labels in one language;
//! - `broader_related_clash`: a node both broader than (or narrower than) and related to another;
//! - `mapping_clash`: two nodes both `exactMatch` and `closeMatch`, or both `exactMatch` and
//!   hierarchically related;
//! - `deprecated_referenced`: a deprecated node that relations still point to;
//! - `redundant_prerequisite`: `A requires C` while C is reachable from another prerequisite of A.
//!
//! Cost: one pass over the snapshot's nodes and edges, one scan of the store's preferred labels
//! and deprecation marks, and for the redundancy rule one pruned depth-first search per node
//! with two or more prerequisites (see `RedundancySearch`).

use std::collections::{BTreeMap, BTreeSet};

use oxigraph::model::{NamedNode, NamedOrBlankNode, Term};
use oxigraph::store::Store;

use crate::edit::{Edit, IS_REPLACED_BY, OWL_DEPRECATED};
use crate::snapshot::{NodeId, NodeKind, Relation, Snapshot};
use crate::vocab::skos;

/// One integrity finding.
#[derive(Clone, Debug, serde::Serialize)]
pub struct IntegrityFinding {
    /// The rule (see the module documentation).
    pub rule: &'static str,
    /// The node concerned (IRI).
    pub focus: String,
    /// What is wrong.
    pub message: String,
    /// What the fix does.
    pub hint: String,
    /// The edits that fix it.
    pub fix: Vec<Edit>,
}

fn relation(node: &str, name: &str, target: &str, add: bool) -> Edit {
    let (node, relation, target) = (node.to_owned(), name.to_owned(), target.to_owned());
    if add { Edit::AddRelation { node, relation, target } } else { Edit::RemoveRelation { node, relation, target } }
}

/// Removes a relation between `a` and `b` in every direction it is asserted in (symmetric
/// relations are compiled both ways whichever way they were written).
fn unrelate(store: &Store, a: &str, name: &str, b: &str) -> Vec<Edit> {
    let Some(predicate) = crate::edit::relation_predicate(name) else { return Vec::new() };
    let asserted = |s: &str, o: &str| {
        let (Ok(s), Ok(o)) = (NamedNode::new(s), NamedNode::new(o)) else { return false };
        store
            .quads_for_pattern(Some(s.as_ref().into()), Some(predicate), Some(o.as_ref().into()), None)
            .next()
            .is_some()
    };
    let mut out = Vec::new();
    if asserted(a, b) {
        out.push(relation(a, name, b, false));
    }
    if asserted(b, a) {
        out.push(relation(b, name, a, false));
    }
    out
}

/// Every integrity finding of the committed state (`snapshot` is its compilation).
pub fn integrity(snapshot: &Snapshot, store: &Store) -> Vec<IntegrityFinding> {
    let mut out = Vec::new();
    let iri = |n: NodeId| snapshot.iri(n).to_owned();
    let deprecated: BTreeMap<String, Vec<String>> = {
        let mut map = BTreeMap::new();
        for q in store.quads_for_pattern(None, Some(OWL_DEPRECATED), None, None).filter_map(Result::ok) {
            if let (NamedOrBlankNode::NamedNode(s), Term::Literal(l)) = (&q.subject, &q.object) {
                if l.value() == "true" || l.value() == "1" {
                    map.insert(s.as_str().to_owned(), Vec::new());
                }
            }
        }
        for q in store.quads_for_pattern(None, Some(IS_REPLACED_BY), None, None).filter_map(Result::ok) {
            if let (NamedOrBlankNode::NamedNode(s), Term::NamedNode(o)) = (&q.subject, &q.object) {
                if let Some(list) = map.get_mut(s.as_str()) {
                    list.push(o.as_str().to_owned());
                }
            }
        }
        map
    };

    // Orphans.
    for n in snapshot.nodes() {
        if !matches!(snapshot.kind(n), NodeKind::KnowledgePoint | NodeKind::Competency)
            || deprecated.contains_key(snapshot.iri(n))
        {
            continue;
        }
        if Relation::ALL.iter().all(|&r| snapshot.out(n, r).is_empty() && snapshot.inc(n, r).is_empty()) {
            out.push(IntegrityFinding {
                rule: "orphan",
                focus: iri(n),
                message: format!(
                    "{} ({}) has no relation to any other node",
                    snapshot.label(n, None),
                    snapshot.local_name(n)
                ),
                hint: "deprecate it, or relate it (a prerequisite, a broader node) by hand".to_owned(),
                fix: vec![Edit::Deprecate { node: iri(n), replaced_by: None }],
            });
        }
    }

    // Preferred labels by node and language, from the store (the snapshot keeps one list).
    let mut pref: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for q in store.quads_for_pattern(None, Some(skos::PREF_LABEL), None, None).filter_map(Result::ok) {
        if let (NamedOrBlankNode::NamedNode(s), Term::Literal(l)) = (&q.subject, &q.object) {
            let lang = l.language().unwrap_or("").to_owned();
            pref.entry(s.as_str().to_owned()).or_default().entry(lang).or_default().push(l.value().to_owned());
        }
    }
    for (node, langs) in &pref {
        for (lang, texts) in langs {
            if texts.len() > 1 && !lang.is_empty() {
                let mut texts = texts.clone();
                texts.sort();
                out.push(IntegrityFinding {
                    rule: "duplicate_pref_label",
                    focus: node.clone(),
                    message: format!("{node} has {} preferred labels in '{lang}': {}", texts.len(), texts.join(" / ")),
                    hint: format!("keep one preferred label in '{lang}' (the fix keeps “{}”)", texts[0]),
                    fix: vec![Edit::SetLabel { node: node.clone(), lang: lang.clone(), text: texts[0].clone() }],
                });
            }
        }
    }

    // Languages of each framework: those at least half of its labelled nodes use.
    let mut by_framework: BTreeMap<&str, (usize, BTreeMap<&str, usize>)> = BTreeMap::new();
    for n in snapshot.nodes() {
        let (Some(f), Some(langs)) = (snapshot.framework(n), pref.get(snapshot.iri(n))) else { continue };
        let entry = by_framework.entry(f).or_default();
        entry.0 += 1;
        for lang in langs.keys().filter(|l| !l.is_empty()) {
            *entry.1.entry(lang.as_str()).or_default() += 1;
        }
    }
    for n in snapshot.nodes() {
        let (Some(f), Some(langs)) = (snapshot.framework(n), pref.get(snapshot.iri(n))) else { continue };
        if deprecated.contains_key(snapshot.iri(n)) {
            continue;
        }
        let (total, counts) = &by_framework[f];
        for (&lang, &count) in counts {
            if count * 2 >= *total && !langs.contains_key(lang) {
                let text = snapshot.label(n, None).to_owned();
                out.push(IntegrityFinding {
                    rule: "missing_language",
                    focus: iri(n),
                    message: format!("{} has no preferred label in '{lang}', which {count} of the {total} nodes of its framework have", snapshot.local_name(n)),
                    hint: format!("add a '{lang}' label (the fix copies “{text}”; translate it afterwards)"),
                    fix: vec![Edit::SetLabel { node: iri(n), lang: lang.to_owned(), text }],
                });
            }
        }
    }

    // Broader and related at once; mapping clashes.
    for n in snapshot.nodes() {
        let related: BTreeSet<NodeId> = snapshot.out(n, Relation::RelatedTo).iter().map(|e| e.node).collect();
        let broader: BTreeSet<NodeId> = snapshot
            .out(n, Relation::Broader)
            .iter()
            .chain(snapshot.inc(n, Relation::Broader))
            .map(|e| e.node)
            .collect();
        for &m in broader.intersection(&related) {
            if n < m || !snapshot.out(m, Relation::RelatedTo).iter().any(|e| e.node == n) {
                out.push(IntegrityFinding {
                    rule: "broader_related_clash",
                    focus: iri(n),
                    message: format!(
                        "{} is both hierarchically related and related to {}",
                        snapshot.local_name(n),
                        snapshot.local_name(m)
                    ),
                    hint: "remove the related_to relation: the hierarchy already relates them".to_owned(),
                    fix: unrelate(store, &iri(n), "related_to", &iri(m)),
                });
            }
        }
        let exact: BTreeSet<NodeId> = snapshot.out(n, Relation::ExactMatch).iter().map(|e| e.node).collect();
        for e in snapshot.out(n, Relation::CloseMatch) {
            if exact.contains(&e.node) && n < e.node {
                out.push(IntegrityFinding {
                    rule: "mapping_clash",
                    focus: iri(n),
                    message: format!(
                        "{} is both an exact and a close match of {}",
                        snapshot.local_name(n),
                        snapshot.local_name(e.node)
                    ),
                    hint: "keep the exact match and remove the close match".to_owned(),
                    fix: unrelate(store, &iri(n), "close_match", &iri(e.node)),
                });
            }
        }
        for &m in exact.intersection(&broader).filter(|&&m| n < m) {
            out.push(IntegrityFinding {
                rule: "mapping_clash",
                focus: iri(n),
                message: format!(
                    "{} is an exact match of {} and also above or below it",
                    snapshot.local_name(n),
                    snapshot.local_name(m)
                ),
                hint: "an exact match cannot be broader or narrower: remove the exact match".to_owned(),
                fix: unrelate(store, &iri(n), "exact_match", &iri(m)),
            });
        }
    }

    // Deprecated nodes still referenced.
    for (node, replacements) in &deprecated {
        let Some(n) = snapshot.node_by_iri(node) else { continue };
        // A replacement chain through deprecated nodes is resolved where it is read.
        for r in Relation::ALL.into_iter().filter(|&r| r != Relation::ReplacedBy) {
            for e in snapshot.inc(n, r) {
                let source = iri(e.node);
                if deprecated.contains_key(&source) {
                    continue;
                }
                let mut fix = vec![relation(&source, r.as_str(), node, false)];
                fix.extend(replacements.iter().map(|to| relation(&source, r.as_str(), to, true)));
                let hint = match replacements.first() {
                    Some(to) => format!("point the {} relation at its replacement {to}", r.as_str()),
                    None => format!("remove the {} relation", r.as_str()),
                };
                out.push(IntegrityFinding {
                    rule: "deprecated_referenced",
                    focus: source.clone(),
                    message: format!(
                        "{} still has a {} relation to the deprecated {}",
                        snapshot.local_name(e.node),
                        r.as_str(),
                        snapshot.local_name(n)
                    ),
                    hint,
                    fix,
                });
            }
        }
    }

    out.extend(redundant_prerequisites(snapshot));
    out
}

/// `A requires C` where C is also reachable from another direct prerequisite of A.
fn redundant_prerequisites(snapshot: &Snapshot) -> Vec<IntegrityFinding> {
    let mut out = Vec::new();
    let mut search = RedundancySearch::new(snapshot.node_count());
    for a in snapshot.nodes() {
        let direct = snapshot.out(a, Relation::Requires);
        if direct.len() < 2 {
            continue;
        }
        search.run(snapshot, direct);
        for e in direct.iter().filter(|e| search.reached(e.node)) {
            out.push(IntegrityFinding {
                rule: "redundant_prerequisite",
                focus: snapshot.iri(a).to_owned(),
                message: format!(
                    "{} requires {} directly and through another of its prerequisites",
                    snapshot.local_name(a),
                    snapshot.local_name(e.node)
                ),
                hint: "remove the direct edge: the longer path already implies it".to_owned(),
                fix: vec![relation(snapshot.iri(a), "requires", snapshot.iri(e.node), false)],
            });
        }
    }
    out
}

/// Which direct prerequisites of a node are reachable, in one or more steps, from its other
/// direct prerequisites: the edges the transitive reduction of the prerequisite DAG drops.
///
/// ```text
///   a ──requires──▶ b ──requires──▶ c
///   └──────────requires───────────▶┘      a → c is redundant: b reaches c
/// ```
///
/// One depth-first search per node from its direct prerequisites, with two cut-offs that keep
/// the answer exact: a node reaches only nodes of smaller prerequisite depth
/// ([`Snapshot::depth`]: the longest chain below it), so the search never enters a node whose
/// depth is below the shallowest direct prerequisite; and it stops as soon as every direct
/// prerequisite that some other one could reach (one of greater depth exists) is found.
/// Visits are stamped per search, so nothing is cleared between nodes.
///
/// Cost: per node, at most its prerequisite closure above the shallowest direct prerequisite,
/// usually much less; O(V) memory for the whole run.
struct RedundancySearch {
    /// The search (round) that last visited each node.
    visited: Vec<u32>,
    /// The search in which each node is a direct prerequisite of the searched node.
    target: Vec<u32>,
    /// The search in which each target was reached.
    found: Vec<u32>,
    round: u32,
    stack: Vec<NodeId>,
}

impl RedundancySearch {
    fn new(n: usize) -> Self {
        Self { visited: vec![0; n], target: vec![0; n], found: vec![0; n], round: 0, stack: Vec::new() }
    }

    /// Searches from `direct`, the direct prerequisites of one node.
    fn run(&mut self, snapshot: &Snapshot, direct: &[crate::snapshot::Edge]) {
        self.round += 1;
        let round = self.round;
        let floor = direct.iter().map(|e| snapshot.depth(e.node)).min().unwrap_or(0);
        let top = direct.iter().map(|e| snapshot.depth(e.node)).max().unwrap_or(0);
        // Only a target below the deepest one can be reached from another target.
        let mut open = 0usize;
        for e in direct {
            self.target[e.node.index()] = round;
            open += usize::from(snapshot.depth(e.node) < top);
        }
        self.stack.clear();
        for e in direct {
            self.push_below(snapshot, e.node, floor);
        }
        while open > 0 {
            let Some(x) = self.stack.pop() else { break };
            if self.target[x.index()] == round && self.found[x.index()] != round {
                self.found[x.index()] = round;
                open -= 1;
            }
            self.push_below(snapshot, x, floor);
        }
    }

    /// Pushes the prerequisites of `x` that are targets or may still lead to one: not visited
    /// in this search, and deeper than the shallowest target (a node at that depth reaches only
    /// shallower ones).
    fn push_below(&mut self, snapshot: &Snapshot, x: NodeId, floor: u32) {
        for e in snapshot.out(x, Relation::Requires) {
            let y = e.node;
            let useful = snapshot.depth(y) > floor || self.target[y.index()] == self.round;
            if useful && self.visited[y.index()] != self.round {
                self.visited[y.index()] = self.round;
                self.stack.push(y);
            }
        }
    }

    /// Whether the last search reached `node` from another direct prerequisite.
    fn reached(&self, node: NodeId) -> bool {
        self.found[node.index()] == self.round
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::snapshot::SnapshotBuilder;

    /// The definition, one search per node: the prerequisites reachable in one or more steps
    /// from a node's direct prerequisites.
    fn naive(snapshot: &Snapshot) -> rustc_hash::FxHashSet<(NodeId, NodeId)> {
        let mut out = rustc_hash::FxHashSet::default();
        for a in snapshot.nodes() {
            let direct = snapshot.out(a, Relation::Requires);
            let mut seen = vec![false; snapshot.node_count()];
            let mut stack: Vec<NodeId> =
                direct.iter().flat_map(|e| snapshot.out(e.node, Relation::Requires)).map(|e| e.node).collect();
            while let Some(x) = stack.pop() {
                if !std::mem::replace(&mut seen[x.index()], true) {
                    stack.extend(snapshot.out(x, Relation::Requires).iter().map(|e| e.node));
                }
            }
            out.extend(direct.iter().filter(|e| seen[e.node.index()]).map(|e| (a, e.node)));
        }
        out
    }

    /// What [`redundant_prerequisites`] finds, as pairs.
    fn redundant_edges(snapshot: &Snapshot) -> rustc_hash::FxHashSet<(NodeId, NodeId)> {
        let mut search = RedundancySearch::new(snapshot.node_count());
        let mut out = rustc_hash::FxHashSet::default();
        for a in snapshot.nodes() {
            let direct = snapshot.out(a, Relation::Requires);
            search.run(snapshot, direct);
            out.extend(direct.iter().filter(|e| search.reached(e.node)).map(|e| (a, e.node)));
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn the_pruned_search_finds_what_a_full_search_finds(
            n in 2usize..300,
            edges in proptest::collection::vec((0usize..10_000, 0usize..10_000), 0..1_500),
        ) {
            // A random DAG: an edge always goes from a higher index to a lower one.
            let mut b = SnapshotBuilder::new();
            let ids: Vec<NodeId> =
                (0..n).map(|i| b.node(&format!("https://e.org/k/{i}"), NodeKind::KnowledgePoint)).collect();
            for (x, y) in edges {
                let (x, y) = (x % n, y % n);
                if x != y {
                    b.edge(Relation::Requires, ids[x.max(y)], ids[x.min(y)], 1.0);
                }
            }
            let s = b.build(1);
            prop_assert_eq!(redundant_edges(&s), naive(&s));
        }
    }

    #[test]
    fn a_shortcut_is_redundant_and_a_diamond_is_not() {
        let mut b = SnapshotBuilder::new();
        let [a, x, y, c] =
            ["a", "x", "y", "c"].map(|l| b.node(&format!("https://e.org/k/{l}"), NodeKind::KnowledgePoint));
        // a → x → c, a → y → c, and the shortcut a → c.
        for (from, to) in [(a, x), (a, y), (x, c), (y, c), (a, c)] {
            b.edge(Relation::Requires, from, to, 1.0);
        }
        let s = b.build(1);
        let found: Vec<(NodeId, NodeId)> = redundant_edges(&s).into_iter().collect();
        assert_eq!(found, [(a, c)]);
        let findings = redundant_prerequisites(&s);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].focus, "https://e.org/k/a");
    }
}
