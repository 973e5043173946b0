//! Validation of a would-be state of the graph: prerequisite cycles, dangling references,
//! unlabelled nodes and SHACL shapes.

use std::collections::{HashMap, HashSet};

use oxigraph::model::NamedOrBlankNode;
use oxigraph::store::StorageError;

use crate::algo::prerequisite_cycles;
use crate::compile::{Compiled, DanglingReference, QuadSource};
use crate::diagnostic::{Diagnostic, DiagnosticCode};
use crate::shacl::Shapes;
use crate::snapshot::{NodeId, Snapshot};
use crate::vocab::skos;

/// Which nodes the SHACL shapes are checked on.
pub(crate) enum Scope {
    /// Every instance of a targeted class.
    All,
    /// The subjects and objects the change touched.
    Nodes(Vec<NamedOrBlankNode>),
}

/// Runs every check and returns the findings, violations first.
pub(crate) fn check<S: QuadSource>(
    source: &S,
    compiled: &Compiled,
    scope: Scope,
    new_requires: Option<&[(String, String)]>,
) -> Result<Vec<Diagnostic>, StorageError> {
    check_compiled(source, &compiled.snapshot, &compiled.dangling, &compiled.unlabelled, scope, new_requires)
}

/// Runs every check on a state compiled into `snapshot` with the references it found
/// dangling and the nodes it found unlabelled.
pub(crate) fn check_compiled<S: QuadSource>(
    source: &S,
    snapshot: &Snapshot,
    dangling: &[DanglingReference],
    unlabelled: &[NodeId],
    scope: Scope,
    new_requires: Option<&[(String, String)]>,
) -> Result<Vec<Diagnostic>, StorageError> {
    let out = structural(snapshot, dangling, unlabelled, new_requires);
    let shapes = shape_findings(source, scope)?;
    Ok(with_shape_findings(out, snapshot, unlabelled, shapes))
}

/// The findings on the compiled state alone: cycles, dangling references, missing labels.
fn structural(
    snapshot: &Snapshot,
    dangling: &[DanglingReference],
    unlabelled: &[NodeId],
    new_requires: Option<&[(String, String)]>,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let cycles = match new_requires {
        // The state before was acyclic: only a new edge can close a cycle.
        Some(edges) => cycles_through(snapshot, edges),
        None => prerequisite_cycles(snapshot),
    };
    for cycle in cycles {
        let names: Vec<String> = cycle.iter().map(|&n| snapshot.iri(n).to_owned()).collect();
        let shown: Vec<String> =
            cycle.iter().map(|&n| format!("{} ({})", snapshot.local_name(n), snapshot.label(n, None))).collect();
        let mut d = Diagnostic::violation(
            DiagnosticCode::PrerequisiteCycle,
            format!("prerequisite cycle: {}", shown.join(" requires ")),
        )
        .with_focus(names[0].clone())
        .with_path(crate::vocab::tupu::REQUIRES.as_str())
        .with_hint("remove one tupu:requires edge of the cycle; prerequisites must form a directed acyclic graph");
        d.cycle = names;
        out.push(d);
    }
    for r in dangling {
        let (missing, role) = if r.subject_missing { (&r.subject, "subject") } else { (&r.object, "object") };
        out.push(
            Diagnostic::violation(
                DiagnosticCode::DanglingReference,
                format!("the {role} {missing} of <{}> is not a node of the graph", r.predicate),
            )
            .with_focus(r.subject.clone())
            .with_path(r.predicate.clone())
            .with_value(r.object.clone())
            .with_hint(format!(
                "type {missing} with a Tupu class (e.g. tupu:KnowledgePoint) and give it a skos:prefLabel, or fix the IRI"
            )),
        );
    }
    for &node in unlabelled {
        out.push(
            Diagnostic::violation(
                DiagnosticCode::MissingLabel,
                format!("the {} {} has no label", snapshot.kind(node), snapshot.iri(node)),
            )
            .with_focus(snapshot.iri(node))
            .with_path(skos::PREF_LABEL.as_str())
            .with_hint("add a skos:prefLabel with a language tag, e.g. \"加法\"@zh"),
        );
    }
    out
}

/// The findings of the shapes graph's shapes in `scope` (the part of [`check`] that needs no
/// compiled state, so it can run while the state compiles).
pub(crate) fn shape_findings<S: QuadSource>(source: &S, scope: Scope) -> Result<Vec<Diagnostic>, StorageError> {
    let shapes = Shapes::load(source)?;
    if shapes.is_empty() {
        return Ok(Vec::new());
    }
    match scope {
        Scope::All => shapes.validate_all(source),
        Scope::Nodes(nodes) => shapes.validate(source, nodes),
    }
}

/// Joins the compiled state's findings `out` with the shapes' findings, violations first.
fn with_shape_findings(
    mut out: Vec<Diagnostic>,
    snapshot: &Snapshot,
    unlabelled: &[NodeId],
    shapes: Vec<Diagnostic>,
) -> Vec<Diagnostic> {
    let unlabelled_iris: HashSet<&str> = unlabelled.iter().map(|&n| snapshot.iri(n)).collect();
    for d in shapes {
        // A node without any label is already reported once, with a clearer message.
        let duplicate = d.path.as_deref() == Some(skos::PREF_LABEL.as_str())
            && d.focus.as_deref().is_some_and(|f| unlabelled_iris.contains(f));
        if !duplicate {
            out.push(d);
        }
    }
    out.sort_by_key(|d| d.severity);
    out
}

/// [`check`] with the shapes' findings already made by [`shape_findings`] (over all nodes:
/// `new_requires` is `None`).
pub(crate) fn check_with_shape_findings(compiled: &Compiled, shapes: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let out = structural(&compiled.snapshot, &compiled.dangling, &compiled.unlabelled, None);
    with_shape_findings(out, &compiled.snapshot, &compiled.unlabelled, shapes)
}

/// The cycles closed by new `requires` edges `(a, b)`: a path from `b` back to `a` through
/// prerequisites. Each is rotated to start at its smallest IRI, like [`prerequisite_cycles`].
/// O(closure of b) per edge.
fn cycles_through(snapshot: &Snapshot, edges: &[(String, String)]) -> Vec<Vec<NodeId>> {
    let mut cycles: Vec<Vec<NodeId>> = Vec::new();
    for (a, b) in edges {
        let (Some(a), Some(b)) = (snapshot.node_by_iri(a), snapshot.node_by_iri(b)) else { continue };
        // Breadth-first from b; parents give the path b → … → a.
        let mut parent: HashMap<NodeId, NodeId> = HashMap::new();
        let mut queue = std::collections::VecDeque::from([b]);
        let mut found = a == b;
        while let Some(x) = queue.pop_front() {
            if found {
                break;
            }
            for q in snapshot.prerequisites(x) {
                if q == b || parent.contains_key(&q) {
                    continue;
                }
                parent.insert(q, x);
                if q == a {
                    found = true;
                    break;
                }
                queue.push_back(q);
            }
        }
        if !found {
            continue;
        }
        // a requires b requires … requires a.
        let mut path = vec![a];
        if a != b {
            let mut back = vec![];
            let mut cursor = a;
            while cursor != b {
                cursor = parent[&cursor];
                back.push(cursor);
            }
            back.reverse();
            path.extend(back);
        }
        let start = (0..path.len()).min_by_key(|&i| snapshot.iri(path[i])).unwrap_or(0);
        path.rotate_left(start);
        path.push(path[0]);
        if !cycles.contains(&path) {
            cycles.push(path);
        }
    }
    cycles.sort();
    cycles
}

/// Numeric values that are not finite (`NaN`, `INF`, `-INF`): refused wherever they enter,
/// in any numeric literal and in the value of every numeric Tupu attribute whatever its
/// datatype. One pass over the added quads.
pub(crate) fn non_finite_numbers(added: &[oxigraph::model::Quad]) -> Vec<Diagnostic> {
    use crate::vocab::tupu;
    use oxigraph::model::Term;
    use oxigraph::model::vocab::xsd;
    let numeric_types = [xsd::DECIMAL, xsd::DOUBLE, xsd::FLOAT, xsd::INTEGER];
    let numeric_attrs = [
        tupu::DIFFICULTY,
        tupu::LEARNING_MINUTES,
        tupu::WEIGHT,
        tupu::LEVEL,
        tupu::GRADE_LEVEL,
        tupu::SEQUENCE,
        tupu::POSITION,
        tupu::BKT_PRIOR,
        tupu::BKT_LEARN,
        tupu::BKT_SLIP,
        tupu::BKT_GUESS,
    ];
    let mut out = Vec::new();
    for q in added {
        let Term::Literal(l) = &q.object else { continue };
        let numeric = numeric_types.contains(&l.datatype()) || numeric_attrs.contains(&q.predicate.as_ref());
        if numeric && l.value().trim().parse::<f64>().is_ok_and(|x| !x.is_finite()) {
            out.push(
                Diagnostic::violation(DiagnosticCode::InvalidInput, format!("{} is not a finite number", l.value()))
                    .with_focus(q.subject.to_string())
                    .with_path(q.predicate.as_str())
                    .with_value(l.value())
                    .with_hint("give a finite number: NaN and infinities are refused"),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use oxigraph::io::{RdfFormat, RdfParser};
    use oxigraph::model::vocab::{rdf, xsd};
    use oxigraph::model::{BlankNode, GraphName, Literal, NamedNode, Quad};
    use oxigraph::store::Store;

    use super::*;
    use crate::compile::{compile, dangling_references};
    use crate::vocab::{SHAPES_GRAPH, skos, tupu};

    /// The bundled shapes and a graph breaking every kind of rule, written straight into a
    /// store (as no commit would allow): a dangling prerequisite, an unlabelled point, a
    /// prerequisite of the wrong class, a bad difficulty, two grades, a supported node that is
    /// no competency, a qualification whose target is no competency.
    fn broken_store() -> Store {
        let store = Store::new().unwrap();
        let shapes = NamedNode::new(SHAPES_GRAPH).unwrap();
        let parser = RdfParser::from_format(RdfFormat::Turtle).with_default_graph(shapes);
        store.load_from_slice(parser, include_str!("../../ontologies/shapes.ttl")).unwrap();
        let g = GraphName::NamedNode(NamedNode::new("https://w3id.org/tupu/graph/t").unwrap());
        let n = |l: &str| NamedNode::new(format!("https://example.org/t/{l}")).unwrap();
        let text = |v: &str| Literal::new_simple_literal(v);
        let mut quads = Vec::new();
        for l in ["a", "b", "c", "d", "unlabelled"] {
            quads.push(Quad::new(n(l), rdf::TYPE, tupu::KNOWLEDGE_POINT, g.clone()));
            if l != "unlabelled" {
                quads.push(Quad::new(n(l), skos::PREF_LABEL, text(l), g.clone()));
            }
        }
        quads.push(Quad::new(n("skill"), rdf::TYPE, tupu::COMPETENCY, g.clone()));
        quads.push(Quad::new(n("skill"), skos::PREF_LABEL, text("skill"), g.clone()));
        quads.extend([
            Quad::new(n("a"), tupu::REQUIRES, n("nowhere"), g.clone()),
            Quad::new(n("b"), tupu::REQUIRES, n("skill"), g.clone()),
            Quad::new(n("b"), tupu::REQUIRES, n("a"), g.clone()),
            Quad::new(n("c"), tupu::DIFFICULTY, Literal::new_typed_literal("1.5", xsd::DECIMAL), g.clone()),
            Quad::new(n("c"), tupu::GRADE_LEVEL, Literal::new_typed_literal("2", xsd::INTEGER), g.clone()),
            Quad::new(n("c"), tupu::GRADE_LEVEL, Literal::new_typed_literal("3", xsd::INTEGER), g.clone()),
            Quad::new(n("d"), tupu::SUPPORTS, n("b"), g.clone()),
            Quad::new(n("d"), tupu::QUALIFIED_SUPPORT, n("q"), g.clone()),
            Quad::new(n("q"), rdf::TYPE, tupu::SUPPORT, g.clone()),
            Quad::new(n("q"), tupu::COMPETENCY_PROP, n("c"), g.clone()),
            Quad::new(n("q"), tupu::WEIGHT, Literal::new_typed_literal("2.0", xsd::DECIMAL), g.clone()),
            // Every other kind of constraint, and values the exact checks accept although a
            // filter on encoded terms cannot tell.
            Quad::new(n("c"), tupu::SEQUENCE, Literal::new_typed_literal("x", xsd::INTEGER), g.clone()),
            Quad::new(n("d"), tupu::DIFFICULTY, text("0.5"), g.clone()),
            Quad::new(n("d"), tupu::GRADE_LEVEL, Literal::new_typed_literal(" 5 ", xsd::INTEGER), g.clone()),
            Quad::new(n("a"), tupu::MASTERY_LEVEL, text("expert"), g.clone()),
            Quad::new(
                n("b"),
                tupu::MASTERY_LEVEL,
                Literal::new_language_tagged_literal_unchecked("know", "en"),
                g.clone(),
            ),
            Quad::new(n("a"), tupu::BKT_PRIOR, Literal::new_typed_literal("INF", xsd::DOUBLE), g.clone()),
            Quad::new(n("b"), tupu::BKT_PRIOR, Literal::new_typed_literal("2e-1", xsd::DOUBLE), g.clone()),
            Quad::new(n("c"), tupu::BKT_LEARN, Literal::new_typed_literal("1.0000001", xsd::DOUBLE), g.clone()),
            Quad::new(n("skill"), tupu::REQUIRES, n("a"), g.clone()),
            Quad::new(n("skill2"), rdf::TYPE, tupu::COMPETENCY, g.clone()),
            Quad::new(n("skill2"), skos::PREF_LABEL, n("a"), g.clone()),
            Quad::new(BlankNode::new_unchecked("blank"), rdf::TYPE, tupu::KNOWLEDGE_POINT, g.clone()),
            Quad::new(n("b"), tupu::REQUIRES, text("a"), g.clone()),
            Quad::new(n("b"), skos::EXACT_MATCH, n("elsewhere"), g.clone()),
            Quad::new(n("d"), tupu::QUALIFIED_SUPPORT, n("q2"), g.clone()),
            Quad::new(n("q2"), tupu::COMPETENCY_PROP, n("nothing"), g.clone()),
        ]);
        // A second value of a single-valued property, in another graph.
        let other = GraphName::NamedNode(NamedNode::new("https://w3id.org/tupu/graph/u").unwrap());
        quads.push(Quad::new(n("b"), tupu::DIFFICULTY, Literal::new_typed_literal("0.2", xsd::DECIMAL), other.clone()));
        quads.push(Quad::new(n("b"), tupu::DIFFICULTY, Literal::new_typed_literal("0.3", xsd::DECIMAL), g.clone()));
        for q in &quads {
            store.insert(q).unwrap();
        }
        store
    }

    #[test]
    fn whole_store_validation_finds_what_a_compilation_and_lookups_find() {
        let store = broken_store();
        let compiled = compile(&store, 1).unwrap();
        // As the store validated the whole state before: every shape checked by lookups node
        // by node, over the dangling references and unlabelled nodes of a compilation.
        let shapes = Shapes::load(&store).unwrap();
        let mut focus: Vec<NamedOrBlankNode> = Vec::new();
        for class in shapes.target_classes() {
            for quad in store.quads_for_pattern(None, Some(rdf::TYPE), Some(class.as_ref().into()), None) {
                focus.push(quad.unwrap().subject);
            }
        }
        focus.sort_by_key(ToString::to_string);
        focus.dedup();
        let by_lookups = shapes.validate(&store, focus).unwrap();
        assert_eq!(shapes.validate_prefetched(&store).unwrap(), by_lookups);
        // On a store, only the nodes its queries flag are checked: the same findings.
        assert!(shapes.suspects(&store).is_some(), "the suspect queries evaluate");
        assert_eq!(shapes.validate_all(&store).unwrap(), by_lookups);

        let dangling = dangling_references(&store, &compiled.snapshot).unwrap();
        assert_eq!(dangling, compiled.dangling);
        // Only the relations with a dangling end are read again, and give the same findings.
        let flagged = crate::compile::dangling_suspects(&store, &compiled.snapshot).unwrap();
        assert!(flagged.len() < crate::compile::EDGE_PREDICATES.len(), "only some predicates are read: {flagged:?}");
        assert_eq!(crate::compile::dangling_references_of_store(&store, &compiled.snapshot).unwrap(), dangling);
        let full = check(&store, &compiled, Scope::All, None).unwrap();
        let unlabelled: Vec<NodeId> =
            compiled.snapshot.nodes().filter(|&n| compiled.snapshot.labels(n).is_empty()).collect();
        let again = check_compiled(&store, &compiled.snapshot, &dangling, &unlabelled, Scope::All, None).unwrap();
        assert_eq!(again, full);

        // Every kind of problem is there to be found.
        let codes: HashSet<DiagnosticCode> = full.iter().map(|d| d.code).collect();
        for code in [DiagnosticCode::DanglingReference, DiagnosticCode::MissingLabel, DiagnosticCode::ShapeViolation] {
            assert!(codes.contains(&code), "{code:?} missing from {full:#?}");
        }
        let shape_paths: HashSet<&str> = by_lookups.iter().filter_map(|d| d.path.as_deref()).collect();
        for path in [
            tupu::REQUIRES,
            tupu::DIFFICULTY,
            tupu::GRADE_LEVEL,
            tupu::SUPPORTS,
            tupu::COMPETENCY_PROP,
            tupu::SEQUENCE,
            tupu::MASTERY_LEVEL,
            tupu::BKT_PRIOR,
            tupu::BKT_LEARN,
            skos::PREF_LABEL,
        ] {
            assert!(shape_paths.contains(path.as_str()), "{path} missing from {by_lookups:#?}");
        }
    }
}
