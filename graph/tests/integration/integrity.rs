//! SKOS integrity rules: each finding names its node and rule, and applying its fix through
//! the edit planner and the commit path makes the finding go away.

use oxigraph::model::{Literal, Quad};
use tupu_graph::vocab::{skos, tupu};
use tupu_graph::{ChangeSet, Edit, GraphStore, integrity, plan_edits};

use crate::fixtures::{graph, kp, node, requires};

fn quad(s: &str, p: oxigraph::model::NamedNodeRef<'_>, o: &str) -> Quad {
    Quad::new(node(s), p, node(o), graph())
}

fn rules(store: &GraphStore) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = integrity(&store.snapshot(), store.store())
        .into_iter()
        .map(|f| (f.rule.to_owned(), f.focus.rsplit('/').next().unwrap().to_owned()))
        .collect();
    out.sort();
    out
}

#[test]
fn each_rule_names_its_node_and_its_fix_clears_it() {
    let store = GraphStore::in_memory().unwrap();
    let mut c = ChangeSet::new();
    for n in ["a", "b", "c", "d", "e", "lonely", "old", "new"] {
        c.added.extend(kp(n));
    }
    // a → b → c and a → c directly: the direct edge is redundant.
    c.added.extend([requires("a", "b"), requires("b", "c"), requires("a", "c")]);
    // d is broader than e and related to it.
    c.added.extend([quad("e", skos::BROADER, "d"), quad("e", tupu::RELATED_TO, "d"), quad("d", tupu::RELATED_TO, "e")]);
    // b is both an exact and a close match of d.
    c.added.extend([quad("b", skos::EXACT_MATCH, "d"), quad("b", skos::CLOSE_MATCH, "d")]);
    // Two English preferred labels on c.
    c.added.push(Quad::new(
        node("c"),
        skos::PREF_LABEL,
        Literal::new_language_tagged_literal_unchecked("C again", "en"),
        graph(),
    ));
    // old is deprecated, replaced by new, and still required by e.
    c.added.push(Quad::new(node("old"), tupu_graph::OWL_DEPRECATED, Literal::from(true), graph()));
    c.added.push(quad("old", tupu_graph::IS_REPLACED_BY, "new"));
    c.added.push(requires("e", "old"));
    c.added.push(requires("new", "c"));
    store.commit(c).unwrap();

    let expected: Vec<(String, String)> = [
        ("broader_related_clash", "d"),
        ("deprecated_referenced", "e"),
        ("duplicate_pref_label", "c"),
        ("mapping_clash", "b"),
        ("orphan", "lonely"),
        ("redundant_prerequisite", "a"),
    ]
    .iter()
    .map(|(r, n)| ((*r).to_owned(), (*n).to_owned()))
    .collect();
    assert_eq!(rules(&store), expected);

    // Apply every fix, one finding at a time, through the edit planner.
    let findings = integrity(&store.snapshot(), store.store());
    for f in findings {
        let edits: Vec<Edit> = f.fix.clone();
        let change = plan_edits(&store.snapshot(), store.store(), &edits).unwrap_or_else(|e| panic!("{}: {e}", f.rule));
        store.commit(change).unwrap_or_else(|e| panic!("{}: {e}", f.rule));
    }
    assert_eq!(rules(&store), Vec::<(String, String)>::new());
    // The deprecated node's dependent now requires its replacement.
    let s = store.snapshot();
    let e = s.resolve("e").unwrap();
    let prerequisites: Vec<&str> = s.prerequisites(e).map(|n| s.local_name(n)).collect();
    assert_eq!(prerequisites, vec!["new"]);
}
