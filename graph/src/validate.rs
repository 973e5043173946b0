//! Validation of a would-be state of the graph: prerequisite cycles, dangling references,
//! unlabelled nodes and SHACL shapes.

use std::collections::{HashMap, HashSet};

use oxigraph::model::NamedOrBlankNode;
use oxigraph::model::vocab::rdf;
use oxigraph::store::StorageError;

use crate::algo::prerequisite_cycles;
use crate::compile::{Compiled, QuadSource};
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
    let snapshot = &compiled.snapshot;
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
    for r in &compiled.dangling {
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
    let unlabelled: HashSet<&str> = compiled.unlabelled.iter().map(|&n| snapshot.iri(n)).collect();
    for &node in &compiled.unlabelled {
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
    let shapes = Shapes::load(source)?;
    if !shapes.is_empty() {
        let focus = match scope {
            Scope::All => all_targets(source, &shapes)?,
            Scope::Nodes(nodes) => nodes,
        };
        for d in shapes.validate(source, focus)? {
            // A node without any label is already reported once, with a clearer message.
            let duplicate = d.path.as_deref() == Some(skos::PREF_LABEL.as_str())
                && d.focus.as_deref().is_some_and(|f| unlabelled.contains(f));
            if !duplicate {
                out.push(d);
            }
        }
    }
    out.sort_by_key(|d| d.severity);
    Ok(out)
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

fn all_targets<S: QuadSource>(source: &S, shapes: &Shapes) -> Result<Vec<NamedOrBlankNode>, StorageError> {
    let mut seen = HashSet::new();
    for class in shapes.target_classes() {
        for quad in source.quads(None, Some(rdf::TYPE), Some(class.as_ref().into()), None) {
            seen.insert(quad?.subject);
        }
    }
    let mut nodes: Vec<NamedOrBlankNode> = seen.into_iter().collect();
    nodes.sort_by_key(ToString::to_string);
    Ok(nodes)
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
