//! Cheap pre-checks for validating a whole store: which nodes might break a shape and which
//! relation predicates might have a dangling end.
//!
//! Reading quads out of the store decodes every term, and for IRIs and long literals that is
//! one key-value lookup per term: most of what a full scan costs. The SPARQL evaluator joins,
//! anti-joins (`MINUS`, hashed), groups and counts the store's encoded terms and decodes only
//! what it returns, so queries made only of those operations (no `FILTER`: evaluating an
//! expression decodes its terms) are answered by index scans. Each query asks for a superset
//! of what the exact checks would report; the exact checks then run on that superset only,
//! so the findings are those of a full scan, in the same order.

use oxigraph::model::{NamedNodeRef, NamedOrBlankNode, Term};
use oxigraph::sparql::{QueryResults, SparqlEvaluator};
use oxigraph::store::Store;

/// The values of the first variable of a `SELECT` query over the union of all graphs, or
/// `None` if the query could not be evaluated (the caller then checks everything).
pub(crate) fn select(store: &Store, query: &str) -> Option<Vec<Term>> {
    let mut prepared = SparqlEvaluator::new().parse_query(query).ok()?;
    prepared.dataset_mut().set_default_graph_as_union();
    let QueryResults::Solutions(solutions) = prepared.on_store(store).execute().ok()? else {
        return None;
    };
    let mut out = Vec::new();
    for solution in solutions {
        if let Some(term) = solution.ok()?.values().first().cloned().flatten() {
            out.push(term);
        }
    }
    Some(out)
}

/// The subject a term stands for, if it can be one.
pub(crate) fn as_subject(term: Term) -> Option<NamedOrBlankNode> {
    match term {
        Term::NamedNode(n) => Some(n.into()),
        Term::BlankNode(b) => Some(b.into()),
        Term::Literal(_) => None,
    }
}

/// A `VALUES` block binding `var` to each IRI.
pub(crate) fn values<'a>(var: &str, iris: impl IntoIterator<Item = NamedNodeRef<'a>>) -> String {
    let list: Vec<String> = iris.into_iter().map(|i| i.to_string()).collect();
    format!("VALUES ?{var} {{ {} }}", list.join(" "))
}
