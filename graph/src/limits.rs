//! Bounds on SPARQL work: what a query or update may look like before it is parsed, and how
//! many intermediate rows its evaluation may produce.
//!
//! **Shape limits** ([`SPARQL_LIMITS`]). SPARQL parsers and evaluators recurse over the
//! syntax tree: a query of a few kilobytes nesting `{` a thousand deep, or a flat `UNION` of a
//! thousand branches (a left-deep tree of the same depth), overflows a thread's stack and
//! aborts the process. [`check_shape`] reads the text once, in *O(n)* time and *O(1)* space,
//! without recursing: it skips strings, IRIs, comments and variables, and counts
//! - the nesting depth of `{`, `(` and `[`;
//! - the `UNION`, `OPTIONAL` and `MINUS` keywords (each one deepens the algebra by one);
//! - the operators that nest without brackets: property-path and expression operators
//!   (`/ | ^ ! ? * + - = < > && ||`).
//!
//! Text beyond a limit is refused with [`GraphError::TooComplex`], which names the limit,
//! before any parser sees it.
//!
//! **Row budget.** The evaluator checks its cancellation token only when it reads quads, so a
//! sort, a grouping or a cartesian product over rows already read keeps working and
//! allocating after the deadline. [`guard_query`] therefore puts a cheap filter, a call of
//! [`GUARD_FUNCTION`], above every basic graph pattern and join, over variables those patterns
//! always bind (so the optimiser cannot push it below the join). [`RowBudget`] evaluates the
//! call: it counts the rows, and once the budget is spent or the token cancelled it cancels
//! the token and unwinds the evaluation (a panic with the [`Cancelled`] payload, raised with
//! `resume_unwind`, so no panic message is printed) — dropping rows instead would leave a
//! product of rows already read running to its end. [`catch_cancelled`] turns that unwinding
//! back into a value wherever results are evaluated. A basic graph pattern whose triple
//! patterns fall into several groups sharing no variable (a cartesian product) is split into a
//! join of one pattern per group, so that the product itself passes a guard, whichever side
//! the evaluator builds first. Memory is then bounded by the budget, and work after a deadline
//! by the rows one guard sees.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use oxigraph::model::{Literal, NamedNode, Term};
use oxigraph::sparql::CancellationToken;
use spargebra::Query;
use spargebra::algebra::{Expression, Function, GraphPattern};
use spargebra::term::{NamedNodePattern, TermPattern, Variable};

use crate::error::GraphError;

/// How far a SPARQL text may nest and branch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SparqlLimits {
    /// Deepest nesting of `{`, `(` and `[`.
    pub max_depth: usize,
    /// Most `UNION`, `OPTIONAL` and `MINUS` keywords.
    pub max_branches: usize,
    /// Most path and expression operators.
    pub max_operators: usize,
}

/// The limits every query and update is checked against: far beyond hand-written queries,
/// far below what a parser thread's stack holds.
pub const SPARQL_LIMITS: SparqlLimits = SparqlLimits { max_depth: 64, max_branches: 256, max_operators: 1024 };

/// The function the row guard calls; not meant to be called by queries.
pub const GUARD_FUNCTION: &str = "https://w3id.org/tupu/ns#rowGuard";

/// The default number of intermediate rows a query may produce.
pub const DEFAULT_ROW_BUDGET: u64 = 2_000_000;

fn too_complex(limit: &'static str, max: usize, what: &str) -> GraphError {
    GraphError::TooComplex {
        limit,
        max,
        message: format!(
            "{what} beyond the limit of {max} ({limit}); split the request into smaller ones or use a VALUES block"
        ),
    }
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// Checks a SPARQL query or update against `limits` without parsing it (see the module
/// documentation). *O(n)* in the length of the text.
pub fn check_shape(text: &str, limits: &SparqlLimits) -> Result<(), GraphError> {
    let bytes = text.as_bytes();
    let (mut depth, mut branches, mut operators) = (0usize, 0usize, 0usize);
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' | b'\'' => {
                let long = bytes.get(i + 1) == Some(&b) && bytes.get(i + 2) == Some(&b);
                i += if long { 3 } else { 1 };
                while i < bytes.len() {
                    if bytes[i] == b'\\' {
                        i += 2;
                        continue;
                    }
                    if bytes[i] == b {
                        if !long {
                            break;
                        }
                        if bytes.get(i + 1) == Some(&b) && bytes.get(i + 2) == Some(&b) {
                            i += 2;
                            break;
                        }
                    }
                    i += 1;
                }
            }
            b'<' => {
                // An IRI reference, or a comparison operator.
                let mut j = i + 1;
                while j < bytes.len() && !b"<>\"{}|^`\\".contains(&bytes[j]) && bytes[j] > b' ' {
                    j += 1;
                }
                if bytes.get(j) == Some(&b'>') {
                    i = j;
                } else {
                    operators += 1;
                }
            }
            b'?' | b'$' if bytes.get(i + 1).is_some_and(|&n| is_name_byte(n)) => {
                while i + 1 < bytes.len() && is_name_byte(bytes[i + 1]) {
                    i += 1;
                }
            }
            b'{' | b'(' | b'[' => {
                depth += 1;
                if depth > limits.max_depth {
                    return Err(too_complex("max_depth", limits.max_depth, "brackets nest"));
                }
            }
            b'}' | b')' | b']' => depth = depth.saturating_sub(1),
            b'^' if bytes.get(i + 1) == Some(&b'^') => i += 1,
            b'&' | b'|' if bytes.get(i + 1) == Some(&b) => {
                i += 1;
                operators += 1;
            }
            b'!' | b'>' if bytes.get(i + 1) == Some(&b'=') => {
                i += 1;
                operators += 1;
            }
            b'/' | b'|' | b'^' | b'!' | b'?' | b'*' | b'+' | b'-' | b'=' | b'>' => operators += 1,
            _ if is_name_byte(b) => {
                let start = i;
                while i + 1 < bytes.len() && (is_name_byte(bytes[i + 1]) || bytes[i + 1] == b'-') {
                    i += 1;
                }
                let word = &bytes[start..=i];
                if [&b"UNION"[..], b"OPTIONAL", b"MINUS"].iter().any(|k| word.eq_ignore_ascii_case(k)) {
                    branches += 1;
                    if branches > limits.max_branches {
                        return Err(too_complex(
                            "max_branches",
                            limits.max_branches,
                            "UNION, OPTIONAL and MINUS are used",
                        ));
                    }
                }
            }
            _ => {}
        }
        if operators > limits.max_operators {
            return Err(too_complex("max_operators", limits.max_operators, "path and expression operators are used"));
        }
        i += 1;
    }
    Ok(())
}

/// The payload with which a guard unwinds an evaluation that is cancelled or over budget.
#[derive(Debug)]
pub struct Cancelled;

/// Runs `f`, which evaluates or iterates guarded SPARQL results; `None` if a guard stopped it
/// (see the module documentation). Other panics continue to unwind.
pub fn catch_cancelled<R>(f: impl FnOnce() -> R) -> Option<R> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => Some(r),
        Err(payload) if payload.is::<Cancelled>() => None,
        Err(payload) => std::panic::resume_unwind(payload),
    }
}

/// Counts the intermediate rows of one evaluation (see the module documentation).
#[derive(Clone)]
pub struct RowBudget {
    rows: Arc<AtomicU64>,
    budget: u64,
    exceeded: Arc<AtomicBool>,
    token: CancellationToken,
}

impl std::fmt::Debug for RowBudget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowBudget")
            .field("rows", &self.rows.load(Ordering::Relaxed))
            .field("budget", &self.budget)
            .finish_non_exhaustive()
    }
}

impl RowBudget {
    /// A budget of `budget` rows that cancels `token` once spent.
    pub fn new(budget: u64, token: CancellationToken) -> Self {
        Self { rows: Arc::default(), budget, exceeded: Arc::default(), token }
    }

    /// Whether the budget was spent.
    pub fn exceeded(&self) -> bool {
        self.exceeded.load(Ordering::Relaxed)
    }

    /// The token the budget cancels (and watches).
    pub fn token(&self) -> CancellationToken {
        self.token.clone()
    }

    /// The budget in rows.
    pub fn budget(&self) -> u64 {
        self.budget
    }

    /// The guard function: `true` while rows may flow; once the budget is spent or the token
    /// cancelled, it unwinds the evaluation with [`Cancelled`] (see [`catch_cancelled`]).
    pub(crate) fn function(&self) -> impl Fn(&[Term]) -> Option<Term> + Send + Sync + 'static {
        let this = self.clone();
        let yes: Term = Literal::from(true).into();
        move |_| {
            if this.token.is_cancelled() {
                std::panic::resume_unwind(Box::new(Cancelled));
            }
            if this.rows.fetch_add(1, Ordering::Relaxed) >= this.budget {
                this.exceeded.store(true, Ordering::Relaxed);
                this.token.cancel();
                std::panic::resume_unwind(Box::new(Cancelled));
            }
            Some(yes.clone())
        }
    }
}

/// Puts the row guard into every pattern of a query (see the module documentation).
pub(crate) fn guard_query(query: Query) -> Query {
    let guard = NamedNode::new_unchecked(GUARD_FUNCTION);
    match query {
        Query::Select { dataset, pattern, base_iri } => {
            Query::Select { dataset, pattern: guard_pattern(pattern, &guard), base_iri }
        }
        Query::Construct { template, dataset, pattern, base_iri } => {
            Query::Construct { template, dataset, pattern: guard_pattern(pattern, &guard), base_iri }
        }
        Query::Describe { dataset, pattern, base_iri } => {
            Query::Describe { dataset, pattern: guard_pattern(pattern, &guard), base_iri }
        }
        Query::Ask { dataset, pattern, base_iri } => {
            Query::Ask { dataset, pattern: guard_pattern(pattern, &guard), base_iri }
        }
    }
}

/// The pattern with the guard above it and above each basic graph pattern and join inside.
/// Recursion depth is bounded by [`SPARQL_LIMITS`], checked before parsing.
pub(crate) fn guard_pattern(pattern: GraphPattern, guard: &NamedNode) -> GraphPattern {
    let g = |p: Box<GraphPattern>| Box::new(guard_pattern(*p, guard));
    let pattern = match pattern {
        GraphPattern::Bgp { patterns } => {
            let mut groups = connected_groups(patterns).into_iter();
            let first = GraphPattern::Bgp { patterns: groups.next().unwrap_or_default() };
            let first = if groups.len() > 0 { guard_pattern(first, guard) } else { first };
            groups.fold(first, |left, group| GraphPattern::Join {
                left: Box::new(left),
                right: Box::new(guard_pattern(GraphPattern::Bgp { patterns: group }, guard)),
            })
        }
        GraphPattern::Join { left, right } => GraphPattern::Join { left: g(left), right: g(right) },
        GraphPattern::LeftJoin { left, right, expression } => {
            GraphPattern::LeftJoin { left: g(left), right: g(right), expression }
        }
        GraphPattern::Filter { expr, inner } => GraphPattern::Filter { expr, inner: g(inner) },
        GraphPattern::Union { left, right } => GraphPattern::Union { left: g(left), right: g(right) },
        GraphPattern::Graph { name, inner } => GraphPattern::Graph { name, inner: g(inner) },
        GraphPattern::Extend { inner, variable, expression } => {
            GraphPattern::Extend { inner: g(inner), variable, expression }
        }
        GraphPattern::Minus { left, right } => GraphPattern::Minus { left: g(left), right: g(right) },
        GraphPattern::OrderBy { inner, expression } => GraphPattern::OrderBy { inner: g(inner), expression },
        GraphPattern::Project { inner, variables } => GraphPattern::Project { inner: g(inner), variables },
        GraphPattern::Distinct { inner } => GraphPattern::Distinct { inner: g(inner) },
        GraphPattern::Reduced { inner } => GraphPattern::Reduced { inner: g(inner) },
        GraphPattern::Slice { inner, start, length } => GraphPattern::Slice { inner: g(inner), start, length },
        GraphPattern::Group { inner, variables, aggregates } => {
            GraphPattern::Group { inner: g(inner), variables, aggregates }
        }
        other => other,
    };
    if !matches!(pattern, GraphPattern::Bgp { .. } | GraphPattern::Join { .. }) {
        return pattern;
    }
    let mut bound = BTreeSet::new();
    certainly_bound(&pattern, &mut bound);
    GraphPattern::Filter {
        expr: Expression::FunctionCall(
            Function::Custom(guard.clone()),
            bound.into_iter().map(Expression::Variable).collect(),
        ),
        inner: Box::new(pattern),
    }
}

/// The triple patterns in groups that share no variable or blank node with each other (the
/// factors of a cartesian product), each group in the patterns' order. Union-find over the
/// patterns: *O(n² α)* for *n* patterns, which the shape limits keep small.
fn connected_groups(patterns: Vec<spargebra::term::TriplePattern>) -> Vec<Vec<spargebra::term::TriplePattern>> {
    fn names(t: &spargebra::term::TriplePattern) -> Vec<String> {
        let mut out = Vec::new();
        for term in [&t.subject, &t.object] {
            match term {
                TermPattern::Variable(v) => out.push(format!("?{}", v.as_str())),
                TermPattern::BlankNode(b) => out.push(format!("_:{}", b.as_str())),
                _ => {}
            }
        }
        if let NamedNodePattern::Variable(v) = &t.predicate {
            out.push(format!("?{}", v.as_str()));
        }
        out
    }
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let named: Vec<Vec<String>> = patterns.iter().map(names).collect();
    let mut parent: Vec<usize> = (0..patterns.len()).collect();
    for i in 0..patterns.len() {
        for j in 0..i {
            if named[i].iter().any(|n| named[j].contains(n)) {
                let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                parent[a] = b;
            }
        }
    }
    let mut groups: Vec<(usize, Vec<spargebra::term::TriplePattern>)> = Vec::new();
    for (i, t) in patterns.into_iter().enumerate() {
        let r = root(&mut parent, i);
        match groups.iter_mut().find(|(g, _)| *g == r) {
            Some((_, group)) => group.push(t),
            None => groups.push((r, vec![t])),
        }
    }
    groups.into_iter().map(|(_, g)| g).collect()
}

/// Variables bound in every solution of `pattern` (a subset is enough: the guard's arguments
/// must never be unbound, or it would drop the row).
fn certainly_bound(pattern: &GraphPattern, out: &mut BTreeSet<Variable>) {
    match pattern {
        GraphPattern::Bgp { patterns } => {
            for t in patterns {
                for term in [&t.subject, &t.object] {
                    if let TermPattern::Variable(v) = term {
                        out.insert(v.clone());
                    }
                }
                if let NamedNodePattern::Variable(v) = &t.predicate {
                    out.insert(v.clone());
                }
            }
        }
        GraphPattern::Path { subject, object, .. } => {
            for term in [subject, object] {
                if let TermPattern::Variable(v) = term {
                    out.insert(v.clone());
                }
            }
        }
        GraphPattern::Join { left, right } => {
            certainly_bound(left, out);
            certainly_bound(right, out);
        }
        GraphPattern::LeftJoin { left, .. } | GraphPattern::Minus { left, .. } => certainly_bound(left, out),
        GraphPattern::Filter { inner, .. }
        | GraphPattern::Extend { inner, .. }
        | GraphPattern::OrderBy { inner, .. }
        | GraphPattern::Distinct { inner }
        | GraphPattern::Reduced { inner }
        | GraphPattern::Slice { inner, .. } => certainly_bound(inner, out),
        GraphPattern::Graph { inner, name } => {
            certainly_bound(inner, out);
            if let NamedNodePattern::Variable(v) = name {
                out.insert(v.clone());
            }
        }
        GraphPattern::Project { inner, variables } => {
            let mut all = BTreeSet::new();
            certainly_bound(inner, &mut all);
            out.extend(all.into_iter().filter(|v| variables.contains(v)));
        }
        GraphPattern::Union { left, right } => {
            let (mut l, mut r) = (BTreeSet::new(), BTreeSet::new());
            certainly_bound(left, &mut l);
            certainly_bound(right, &mut r);
            out.extend(l.intersection(&r).cloned());
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) -> Result<(), &'static str> {
        check_shape(text, &SPARQL_LIMITS).map_err(|e| match e {
            GraphError::TooComplex { limit, .. } => limit,
            other => panic!("{other}"),
        })
    }

    #[test]
    fn ordinary_queries_pass() {
        for q in [
            "PREFIX tupu: <https://w3id.org/tupu/ns#> SELECT (COUNT(*) AS ?n) WHERE { ?a tupu:requires+ ?b }",
            "SELECT * WHERE { ?s ?p \"{{{{{{{{{{((((((((\" . FILTER(?s != <http://x/a>) } # {{{{{{{{{{",
            "SELECT ?x WHERE { ?x <http://e/p> ?y FILTER(?y < 3 && ?y >= 1 || !BOUND(?x)) }",
            "INSERT DATA { <http://a> <http://b> \"\"\"a \" (((( \\\"\"\" }",
        ] {
            assert_eq!(check(q), Ok(()), "{q}");
        }
    }

    #[test]
    fn deep_and_wide_texts_are_refused_by_name() {
        let nest = |open: &str, close: &str, n: usize| format!("SELECT * WHERE {}{}", open.repeat(n), close.repeat(n));
        assert_eq!(check(&nest("{", "}", 1000)), Err("max_depth"));
        assert_eq!(check(&nest("(", ")", 1000)), Err("max_depth"));
        let union = vec!["{ ?s ?p ?o }"; 1000].join(" UNION ");
        assert_eq!(check(&format!("SELECT * WHERE {{ {union} }}")), Err("max_branches"));
        let optional = " OPTIONAL { ?s ?p ?o }".repeat(1000);
        assert_eq!(check(&format!("SELECT * WHERE {{ ?s ?p ?o {optional} }}")), Err("max_branches"));
        let path = vec!["<http://e/p>"; 10_000].join("/");
        assert_eq!(check(&format!("SELECT * WHERE {{ ?s {path} ?o }}")), Err("max_operators"));
        let not = "!".repeat(10_000);
        assert_eq!(check(&format!("SELECT * WHERE {{ ?s ?p ?o FILTER({not}true) }}")), Err("max_operators"));
        let groups = format!("DELETE {{ ?s ?p ?o }} WHERE {}?s ?p ?o{}", "{".repeat(10_000), "}".repeat(10_000));
        assert_eq!(check(&groups), Err("max_depth"));
    }
}
