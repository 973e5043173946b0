//! SPARQL 1.1 Update through the commit path.
//!
//! oxigraph can run an update directly, but then nobody knows which triples it changed. Here
//! the update is *evaluated* instead: its operations run in order on a scratch transaction
//! (each `WHERE` sees the effect of the operations before it), the net quads added and removed
//! are collected, the scratch transaction is dropped, and the net change goes through
//! [`GraphStore::commit`](crate::GraphStore::commit) like any other change set: validated,
//! atomic, versioned, heard by listeners.
//!
//! Supported: `INSERT DATA`, `DELETE DATA`, `DELETE/INSERT ... WHERE` (with `USING`; without
//! it the `WHERE` clause sees the union of all graphs, like queries), `CLEAR`, `DROP`,
//! `CREATE`. `LOAD` is refused: files come in through the importers.

use std::collections::HashMap;

use oxigraph::model::{BlankNode, GraphName, GraphNameRef, Literal, NamedNode, NamedOrBlankNode, Quad, Term};
use oxigraph::sparql::{QueryResults, QuerySolution, SparqlEvaluator};
use oxigraph::store::Transaction;
use spargebra::algebra::GraphTarget;
use spargebra::term::{
    GraphNamePattern, GroundQuadPattern, GroundTerm, GroundTermPattern, NamedNodePattern, QuadPattern, TermPattern,
};
use spargebra::{GraphUpdateOperation, Query, Update};

use crate::compile::QuadSource;
use crate::error::GraphError;
use crate::store::ChangeSet;

/// Net effect of the operations so far, relative to the committed state.
#[derive(Default)]
struct Net {
    /// `true`: added; `false`: removed.
    changes: HashMap<Quad, bool>,
}

impl Net {
    fn record(&mut self, quad: Quad, added: bool) {
        match self.changes.get(&quad) {
            // Undoing an earlier change of this update returns the quad to its committed state.
            Some(&before) if before != added => {
                self.changes.remove(&quad);
            }
            _ => {
                self.changes.insert(quad, added);
            }
        }
    }

    fn into_change_set(self) -> ChangeSet {
        let mut change = ChangeSet::new();
        for (quad, added) in self.changes {
            if added {
                change.added.push(quad);
            } else {
                change.removed.push(quad);
            }
        }
        change
    }
}

/// Parses an update, rejecting what the commit path does not take.
pub(crate) fn parse(sparql: &str) -> Result<Update, GraphError> {
    let update = spargebra::SparqlParser::new()
        .parse_update(&crate::sparql_text::escape_local_dots(sparql))
        .map_err(|e| GraphError::QuerySyntax(e.to_string()))?;
    if update.operations.iter().any(|op| matches!(op, GraphUpdateOperation::Load { .. })) {
        return Err(GraphError::Unsupported(
            "LOAD is not supported: import files with `tupu import` so that they are validated".to_owned(),
        ));
    }
    Ok(update)
}

/// Refuses the operations only an administrator may run: `CLEAR` and `DROP` of whole graphs.
pub(crate) fn check_rights(update: &Update) -> Result<(), GraphError> {
    for op in &update.operations {
        if let GraphUpdateOperation::Clear { graph, .. } | GraphUpdateOperation::Drop { graph, .. } = op {
            return Err(GraphError::Forbidden(format!(
                "CLEAR and DROP ({graph}) empty whole graphs: only an administrator may run them; delete the triples you mean with DELETE WHERE"
            )));
        }
    }
    Ok(())
}

/// Evaluates every operation on `tx` and returns the net change. `WHERE` clauses run under
/// `budget` (its row count and its cancellation token); the net change may hold `max_quads`.
pub(crate) fn evaluate(
    tx: &mut Transaction<'_>,
    update: &Update,
    budget: &crate::limits::RowBudget,
    max_quads: usize,
) -> Result<ChangeSet, GraphError> {
    let mut net = Net::default();
    let guard = NamedNode::new_unchecked(crate::limits::GUARD_FUNCTION);
    for op in &update.operations {
        let (delete, insert) = match op {
            GraphUpdateOperation::InsertData { data } => (
                Vec::new(),
                data.iter()
                    .map(|q| {
                        Quad::new(q.subject.clone(), q.predicate.clone(), q.object.clone(), data_graph(&q.graph_name))
                    })
                    .collect(),
            ),
            GraphUpdateOperation::DeleteData { data } => (
                data.iter()
                    .map(|q| {
                        Quad::new(
                            q.subject.clone(),
                            q.predicate.clone(),
                            ground_term(&q.object),
                            data_graph(&q.graph_name),
                        )
                    })
                    .collect(),
                Vec::new(),
            ),
            GraphUpdateOperation::DeleteInsert { delete, insert, using, pattern } => {
                let pattern = crate::limits::guard_pattern((**pattern).clone(), &guard);
                let query = Query::Select { dataset: using.clone(), pattern, base_iri: None };
                let mut prepared = SparqlEvaluator::new()
                    .with_cancellation_token(budget.token())
                    .with_custom_function(guard.clone(), budget.function())
                    .for_query(query);
                if using.is_none() {
                    prepared.dataset_mut().set_default_graph_as_union();
                }
                let QueryResults::Solutions(solutions) = prepared.on_transaction(tx).execute()? else {
                    return Err(GraphError::Query("the WHERE clause did not give solutions".to_owned()));
                };
                let solutions: Vec<QuerySolution> = solutions.collect::<Result<_, _>>()?;
                let mut deleted = Vec::new();
                let mut inserted = Vec::new();
                for solution in &solutions {
                    deleted.extend(delete.iter().filter_map(|p| ground_pattern(p, solution)));
                    let mut fresh: HashMap<BlankNode, BlankNode> = HashMap::new();
                    inserted.extend(insert.iter().filter_map(|p| instantiate(p, solution, &mut fresh)));
                    if deleted.len() + inserted.len() > max_quads.saturating_mul(2) {
                        return Err(GraphError::UpdateTooLarge { max: max_quads });
                    }
                }
                (deleted, inserted)
            }
            GraphUpdateOperation::Clear { graph, .. } | GraphUpdateOperation::Drop { graph, .. } => {
                (target_quads(tx, graph)?, Vec::new())
            }
            GraphUpdateOperation::Create { .. } => (Vec::new(), Vec::new()),
            GraphUpdateOperation::Load { .. } => {
                return Err(GraphError::Unsupported("LOAD is not supported".to_owned()));
            }
        };
        for quad in delete {
            if tx.contains(&quad)? {
                tx.remove(&quad);
                net.record(quad, false);
            }
        }
        for quad in insert {
            if !tx.contains(&quad)? {
                tx.insert(&quad);
                net.record(quad, true);
            }
        }
        if net.changes.len() > max_quads {
            return Err(GraphError::UpdateTooLarge { max: max_quads });
        }
    }
    Ok(net.into_change_set())
}

fn target_quads(tx: &Transaction<'_>, target: &GraphTarget) -> Result<Vec<Quad>, GraphError> {
    let quads: Vec<Quad> = match target {
        GraphTarget::NamedNode(g) => tx.quads(None, None, None, Some(g.as_ref().into())).collect::<Result<_, _>>()?,
        GraphTarget::DefaultGraph => {
            tx.quads(None, None, None, Some(GraphNameRef::DefaultGraph)).collect::<Result<_, _>>()?
        }
        GraphTarget::NamedGraphs => tx
            .quads(None, None, None, None)
            .filter(|q| q.as_ref().map_or(true, |q| !q.graph_name.is_default_graph()))
            .collect::<Result<_, _>>()?,
        GraphTarget::AllGraphs => tx.quads(None, None, None, None).collect::<Result<_, _>>()?,
    };
    Ok(quads)
}

fn data_graph(g: &spargebra::term::GraphName) -> GraphName {
    match g {
        spargebra::term::GraphName::NamedNode(n) => GraphName::NamedNode(n.clone()),
        spargebra::term::GraphName::DefaultGraph => GraphName::DefaultGraph,
    }
}

fn ground_term(t: &GroundTerm) -> Term {
    match t {
        GroundTerm::NamedNode(n) => n.clone().into(),
        GroundTerm::Literal(l) => l.clone().into(),
    }
}

fn bound(solution: &QuerySolution, v: &spargebra::term::Variable) -> Option<Term> {
    solution.get(v.as_str()).cloned()
}

fn named(p: &NamedNodePattern, s: &QuerySolution) -> Option<NamedNode> {
    match p {
        NamedNodePattern::NamedNode(n) => Some(n.clone()),
        NamedNodePattern::Variable(v) => match bound(s, v)? {
            Term::NamedNode(n) => Some(n),
            _ => None,
        },
    }
}

fn graph_name(p: &GraphNamePattern, s: &QuerySolution) -> Option<GraphName> {
    match p {
        GraphNamePattern::NamedNode(n) => Some(GraphName::NamedNode(n.clone())),
        GraphNamePattern::DefaultGraph => Some(GraphName::DefaultGraph),
        GraphNamePattern::Variable(v) => match bound(s, v)? {
            Term::NamedNode(n) => Some(GraphName::NamedNode(n)),
            Term::BlankNode(b) => Some(GraphName::BlankNode(b)),
            Term::Literal(_) => None,
        },
    }
}

fn subject_of(t: Term) -> Option<NamedOrBlankNode> {
    match t {
        Term::NamedNode(n) => Some(n.into()),
        Term::BlankNode(b) => Some(b.into()),
        Term::Literal(_) => None,
    }
}

/// A `DELETE` template instantiated with one solution; `None` when a variable is unbound or
/// the result is not a valid quad (such quads are skipped, as the standard says).
fn ground_pattern(p: &GroundQuadPattern, s: &QuerySolution) -> Option<Quad> {
    let term = |t: &GroundTermPattern| -> Option<Term> {
        match t {
            GroundTermPattern::NamedNode(n) => Some(n.clone().into()),
            GroundTermPattern::Literal(l) => Some(Literal::clone(l).into()),
            GroundTermPattern::Variable(v) => bound(s, v),
        }
    };
    Some(Quad::new(
        subject_of(term(&p.subject)?)?,
        named(&p.predicate, s)?,
        term(&p.object)?,
        graph_name(&p.graph_name, s)?,
    ))
}

/// An `INSERT` template instantiated with one solution; template blank nodes become fresh
/// blank nodes per solution.
fn instantiate(p: &QuadPattern, s: &QuerySolution, fresh: &mut HashMap<BlankNode, BlankNode>) -> Option<Quad> {
    let mut term = |t: &TermPattern| -> Option<Term> {
        match t {
            TermPattern::NamedNode(n) => Some(n.clone().into()),
            TermPattern::BlankNode(b) => Some(fresh.entry(b.clone()).or_default().clone().into()),
            TermPattern::Literal(l) => Some(l.clone().into()),
            TermPattern::Variable(v) => bound(s, v),
        }
    };
    let subject = subject_of(term(&p.subject)?)?;
    let object = term(&p.object)?;
    Some(Quad::new(subject, named(&p.predicate, s)?, object, graph_name(&p.graph_name, s)?))
}
