//! A SHACL Core validator for the subset of SHACL the Tupu shapes use.
//!
//! No maintained Rust SHACL crate builds against this workspace's oxigraph without pulling a
//! second copy of it, so the subset is implemented here: node shapes with `sh:targetClass`,
//! property shapes with a predicate `sh:path`, and the constraints `sh:minCount`, `sh:maxCount`,
//! `sh:datatype`, `sh:class`, `sh:nodeKind`, `sh:minInclusive`, `sh:maxInclusive` and `sh:in`,
//! with `sh:severity` and `sh:message`. Shapes are read from the shapes named graph of the same
//! store, so a commit that edits the shapes is validated against the edited shapes.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use rustc_hash::{FxHashMap, FxHashSet};

use oxigraph::model::vocab::{rdf, xsd};
use oxigraph::model::{GraphNameRef, NamedNode, NamedNodeRef, NamedOrBlankNode, Term};
use oxigraph::store::{StorageError, Store};

use crate::compile::QuadSource;
use crate::diagnostic::{Diagnostic, DiagnosticCode, Severity};
use crate::vocab::{SHAPES_GRAPH, sh};

#[derive(Debug)]
pub(crate) struct Shapes {
    node_shapes: Vec<NodeShape>,
}

#[derive(Debug)]
struct NodeShape {
    targets: Vec<NamedNode>,
    properties: Vec<PropertyShape>,
}

#[derive(Debug, Default)]
struct PropertyShape {
    path: Option<NamedNode>,
    min_count: Option<usize>,
    max_count: Option<usize>,
    datatype: Option<NamedNode>,
    class: Option<NamedNode>,
    node_kind: Option<NamedNode>,
    min_inclusive: Option<f64>,
    max_inclusive: Option<f64>,
    allowed: Option<Vec<Term>>,
    severity: Option<Severity>,
    message: Option<String>,
}

fn shapes_graph() -> GraphNameRef<'static> {
    GraphNameRef::NamedNode(NamedNodeRef::new_unchecked(SHAPES_GRAPH))
}

fn objects<S: QuadSource>(
    source: &S,
    subject: &NamedOrBlankNode,
    predicate: NamedNodeRef<'_>,
) -> Result<Vec<Term>, StorageError> {
    source
        .quads(Some(subject.as_ref()), Some(predicate), None, Some(shapes_graph()))
        .map(|q| q.map(|q| q.object))
        .collect()
}

fn first_object<S: QuadSource>(
    source: &S,
    subject: &NamedOrBlankNode,
    predicate: NamedNodeRef<'_>,
) -> Result<Option<Term>, StorageError> {
    Ok(objects(source, subject, predicate)?.into_iter().next())
}

fn as_named(term: Option<Term>) -> Option<NamedNode> {
    match term {
        Some(Term::NamedNode(n)) => Some(n),
        _ => None,
    }
}

fn as_number(term: &Term) -> Option<f64> {
    match term {
        Term::Literal(l) => l.value().trim().parse().ok(),
        _ => None,
    }
}

fn as_subject(term: &Term) -> Option<NamedOrBlankNode> {
    match term {
        Term::NamedNode(n) => Some(n.clone().into()),
        Term::BlankNode(b) => Some(b.clone().into()),
        _ => None,
    }
}

/// Reads an RDF list of the shapes graph.
fn list<S: QuadSource>(source: &S, head: &Term) -> Result<Vec<Term>, StorageError> {
    let mut out = Vec::new();
    let mut cursor = head.clone();
    let mut seen = HashSet::new();
    while let Some(node) = as_subject(&cursor) {
        if cursor == Term::NamedNode(rdf::NIL.into_owned()) || !seen.insert(cursor.clone()) {
            break;
        }
        if let Some(first) = first_object(source, &node, rdf::FIRST)? {
            out.push(first);
        }
        match first_object(source, &node, rdf::REST)? {
            Some(rest) => cursor = rest,
            None => break,
        }
    }
    Ok(out)
}

impl Shapes {
    /// Reads every node shape of the shapes graph.
    pub(crate) fn load<S: QuadSource>(source: &S) -> Result<Self, StorageError> {
        let mut node_shapes = Vec::new();
        let heads: Vec<NamedOrBlankNode> = source
            .quads(None, Some(rdf::TYPE), Some(sh::NODE_SHAPE.into()), Some(shapes_graph()))
            .map(|q| q.map(|q| q.subject))
            .collect::<Result<_, _>>()?;
        for shape in heads {
            let targets =
                objects(source, &shape, sh::TARGET_CLASS)?.into_iter().filter_map(|t| as_named(Some(t))).collect();
            let mut properties = Vec::new();
            for p in objects(source, &shape, sh::PROPERTY)? {
                let Some(p) = as_subject(&p) else { continue };
                properties.push(PropertyShape::load(source, &p)?);
            }
            node_shapes.push(NodeShape { targets, properties });
        }
        Ok(Self { node_shapes })
    }

    /// Whether no shape is defined.
    pub(crate) fn is_empty(&self) -> bool {
        self.node_shapes.is_empty()
    }

    /// Every class some shape targets.
    pub(crate) fn target_classes(&self) -> BTreeSet<NamedNode> {
        self.node_shapes.iter().flat_map(|s| s.targets.iter().cloned()).collect()
    }

    /// Validates the given focus nodes against every shape that targets one of their classes,
    /// looking each node's types and values up in `source` (a few index lookups per node and
    /// property: for the nodes a commit touched).
    pub(crate) fn validate<S: QuadSource>(
        &self,
        source: &S,
        focus: impl IntoIterator<Item = NamedOrBlankNode>,
    ) -> Result<Vec<Diagnostic>, StorageError> {
        self.validate_with(&Live(source), focus)
    }

    /// Validates every instance of every targeted class, in the order of their IRIs (as
    /// text). Reads each class's instances and each path's values in one scan of the store
    /// instead of one lookup per node and property: O(Q) in the quads of those classes and
    /// predicates, plus O(F · P) in-memory checks for F focus nodes and P property shapes.
    ///
    /// On a [`Store`] the nodes that might break a shape are found first by the queries of
    /// [`Shapes::suspects`], which decode only the nodes they return, and only those are
    /// checked (by lookups): a graph without findings is validated by index scans alone.
    pub(crate) fn validate_all<S: QuadSource>(&self, source: &S) -> Result<Vec<Diagnostic>, StorageError> {
        if let Some(suspects) = source.as_store().and_then(|store| self.suspects(store)) {
            return self.validate(source, suspects);
        }
        self.validate_prefetched(source)
    }

    /// [`Shapes::validate_all`] by reading every class and path in full.
    pub(crate) fn validate_prefetched<S: QuadSource>(&self, source: &S) -> Result<Vec<Diagnostic>, StorageError> {
        let facts = Prefetched::read(source, self)?;
        let mut focus: Vec<NamedOrBlankNode> =
            self.target_classes().iter().filter_map(|c| facts.typed.get(c)).flatten().cloned().collect();
        focus.sort_by_cached_key(ToString::to_string);
        focus.dedup();
        // The facts are in memory: the nodes are checked in chunks on every core, and the
        // findings joined in the nodes' order.
        use rayon::prelude::*;
        let chunks: Vec<Vec<Diagnostic>> = focus
            .par_chunks(4_096)
            .map(|chunk| self.validate_with(&facts, chunk.iter().cloned()))
            .collect::<Result<_, _>>()?;
        Ok(chunks.concat())
    }

    /// A superset of the focus nodes with findings, in the order [`Shapes::validate_all`]
    /// checks them (by their text); `None` if a query could not be evaluated. Counts and
    /// classes are checked by the queries of [`PropertyShape::suspect_queries`], which decode
    /// only the nodes they return; the other constraints on each distinct value of each path,
    /// read once (`SELECT DISTINCT`: each value decoded once, however many nodes share it),
    /// then the subjects of the values that break one are looked up. O(Q) in the quads of the
    /// classes and paths the shapes name, plus O(V) decodings for V distinct values.
    pub(crate) fn suspects(&self, store: &Store) -> Option<Vec<NamedOrBlankNode>> {
        // Each query with the classes of the shapes that ask it: the nodes it returns are
        // suspects only if they are instances of one of them.
        let mut queries: BTreeMap<String, BTreeSet<&NamedNode>> = BTreeMap::new();
        let mut by_path: BTreeMap<&NamedNode, Vec<(&NodeShape, &PropertyShape)>> = BTreeMap::new();
        for shape in self.node_shapes.iter().filter(|s| !s.targets.is_empty()) {
            for property in &shape.properties {
                for query in property.suspect_queries(&shape.targets) {
                    queries.entry(query).or_default().extend(&shape.targets);
                }
                if let Some(path) = property.path.as_ref().filter(|_| property.checks_values()) {
                    by_path.entry(path).or_default().push((shape, property));
                }
            }
        }
        let live = Live(store);
        let instance = |node: &NamedOrBlankNode, classes: &mut dyn Iterator<Item = &&NamedNode>| {
            let mut typed = false;
            for class in classes {
                typed = typed || live.has_type(node, class).ok()?;
            }
            Some(typed)
        };
        let mut out = Vec::new();
        for (query, classes) in &queries {
            for node in crate::suspects::select(store, query)?.into_iter().filter_map(crate::suspects::as_subject) {
                if instance(&node, &mut classes.iter())? {
                    out.push(node);
                }
            }
        }
        for (path, properties) in by_path {
            for value in crate::suspects::select(store, &format!("SELECT DISTINCT ?v WHERE {{ ?s {path} ?v }}"))? {
                // The classes of the shapes the value breaks: its subjects in them are suspects.
                let classes: BTreeSet<&NamedNode> = properties
                    .iter()
                    .filter(|(_, p)| matches!(p.value_problem(&AnyClass, &value), Ok(Some(_))))
                    .flat_map(|(shape, _)| &shape.targets)
                    .collect();
                if classes.is_empty() {
                    continue;
                }
                for quad in store.quads_for_pattern(None, Some(path.as_ref()), Some(value.as_ref()), None) {
                    let subject = quad.ok()?.subject;
                    if instance(&subject, &mut classes.iter())? {
                        out.push(subject);
                    }
                }
            }
        }
        out.sort_by_cached_key(ToString::to_string);
        out.dedup();
        Some(out)
    }

    fn validate_with(
        &self,
        facts: &impl Facts,
        focus: impl IntoIterator<Item = NamedOrBlankNode>,
    ) -> Result<Vec<Diagnostic>, StorageError> {
        let mut out = Vec::new();
        for node in focus {
            let types = facts.types(&node)?;
            for shape in &self.node_shapes {
                if !shape.targets.iter().any(|t| types.iter().any(|ty| matches!(ty, Term::NamedNode(n) if n == t))) {
                    continue;
                }
                for property in &shape.properties {
                    property.check(facts, &node, &mut out)?;
                }
            }
        }
        Ok(out)
    }
}

/// What the checks read about nodes: their types and their values of a property.
trait Facts {
    /// The node's `rdf:type`s (the prefetched facts hold only the classes the shapes name).
    fn types(&self, node: &NamedOrBlankNode) -> Result<HashSet<Term>, StorageError>;
    /// The node's values of `path`, in any order, possibly repeated.
    fn values(&self, node: &NamedOrBlankNode, path: &NamedNode) -> Result<Vec<Term>, StorageError>;
    /// Whether the node is typed with `class`.
    fn has_type(&self, node: &NamedOrBlankNode, class: &NamedNode) -> Result<bool, StorageError>;
}

/// Facts under which every value has every class: to check a value's other constraints
/// alone.
struct AnyClass;

impl Facts for AnyClass {
    fn types(&self, _: &NamedOrBlankNode) -> Result<HashSet<Term>, StorageError> {
        Ok(HashSet::new())
    }

    fn values(&self, _: &NamedOrBlankNode, _: &NamedNode) -> Result<Vec<Term>, StorageError> {
        Ok(Vec::new())
    }

    fn has_type(&self, _: &NamedOrBlankNode, _: &NamedNode) -> Result<bool, StorageError> {
        Ok(true)
    }
}

/// Facts looked up in the store node by node.
struct Live<'a, S>(&'a S);

impl<S: QuadSource> Facts for Live<'_, S> {
    fn types(&self, node: &NamedOrBlankNode) -> Result<HashSet<Term>, StorageError> {
        self.0.quads(Some(node.as_ref()), Some(rdf::TYPE), None, None).map(|q| q.map(|q| q.object)).collect()
    }

    fn values(&self, node: &NamedOrBlankNode, path: &NamedNode) -> Result<Vec<Term>, StorageError> {
        self.0.quads(Some(node.as_ref()), Some(path.as_ref()), None, None).map(|q| q.map(|q| q.object)).collect()
    }

    fn has_type(&self, node: &NamedOrBlankNode, class: &NamedNode) -> Result<bool, StorageError> {
        Ok(self
            .0
            .quads(Some(node.as_ref()), Some(rdf::TYPE), Some(class.as_ref().into()), None)
            .next()
            .transpose()?
            .is_some())
    }
}

/// Facts read up front: the instances of every class the shapes name (as targets or in
/// `sh:class`) and every value of every path, each by one scan of a predicate.
struct Prefetched {
    typed: FxHashMap<NamedNode, FxHashSet<NamedOrBlankNode>>,
    types: FxHashMap<NamedOrBlankNode, HashSet<Term>>,
    values: FxHashMap<NamedNode, FxHashMap<NamedOrBlankNode, Vec<Term>>>,
}

impl Prefetched {
    fn read<S: QuadSource>(source: &S, shapes: &Shapes) -> Result<Self, StorageError> {
        let properties = || shapes.node_shapes.iter().flat_map(|s| &s.properties);
        let mut classes = shapes.target_classes();
        classes.extend(properties().filter_map(|p| p.class.clone()));
        let mut out = Self { typed: FxHashMap::default(), types: FxHashMap::default(), values: FxHashMap::default() };
        for class in classes {
            let mut instances = FxHashSet::default();
            for quad in source.quads(None, Some(rdf::TYPE), Some(class.as_ref().into()), None) {
                let subject = quad?.subject;
                out.types.entry(subject.clone()).or_default().insert(Term::NamedNode(class.clone()));
                instances.insert(subject);
            }
            out.typed.insert(class, instances);
        }
        let paths: BTreeSet<&NamedNode> = properties().filter_map(|p| p.path.as_ref()).collect();
        for path in paths {
            let mut values: FxHashMap<NamedOrBlankNode, Vec<Term>> = FxHashMap::default();
            for quad in source.quads(None, Some(path.as_ref()), None, None) {
                let quad = quad?;
                values.entry(quad.subject).or_default().push(quad.object);
            }
            out.values.insert(path.clone(), values);
        }
        Ok(out)
    }
}

impl Facts for Prefetched {
    fn types(&self, node: &NamedOrBlankNode) -> Result<HashSet<Term>, StorageError> {
        Ok(self.types.get(node).cloned().unwrap_or_default())
    }

    fn values(&self, node: &NamedOrBlankNode, path: &NamedNode) -> Result<Vec<Term>, StorageError> {
        Ok(self.values.get(path).and_then(|v| v.get(node)).cloned().unwrap_or_default())
    }

    fn has_type(&self, node: &NamedOrBlankNode, class: &NamedNode) -> Result<bool, StorageError> {
        Ok(self.typed.get(class).is_some_and(|instances| instances.contains(node)))
    }
}

impl PropertyShape {
    fn load<S: QuadSource>(source: &S, p: &NamedOrBlankNode) -> Result<Self, StorageError> {
        let count = |t: Option<Term>| t.as_ref().and_then(as_number).map(|x| x as usize);
        Ok(Self {
            path: as_named(first_object(source, p, sh::PATH)?),
            min_count: count(first_object(source, p, sh::MIN_COUNT)?),
            max_count: count(first_object(source, p, sh::MAX_COUNT)?),
            datatype: as_named(first_object(source, p, sh::DATATYPE)?),
            class: as_named(first_object(source, p, sh::CLASS)?),
            node_kind: as_named(first_object(source, p, sh::NODE_KIND)?),
            min_inclusive: first_object(source, p, sh::MIN_INCLUSIVE)?.as_ref().and_then(as_number),
            max_inclusive: first_object(source, p, sh::MAX_INCLUSIVE)?.as_ref().and_then(as_number),
            allowed: match first_object(source, p, sh::IN)? {
                Some(head) => Some(list(source, &head)?),
                None => None,
            },
            severity: match as_named(first_object(source, p, sh::SEVERITY)?) {
                Some(s) if s.as_ref() == sh::WARNING => Some(Severity::Warning),
                Some(_) | None => None,
            },
            message: match first_object(source, p, sh::MESSAGE)? {
                Some(Term::Literal(l)) => Some(l.value().to_owned()),
                _ => None,
            },
        })
    }

    /// SPARQL queries whose first variable is bound to every instance of `targets` that
    /// [`PropertyShape::check`] might report for its counts or class, and possibly to other
    /// nodes: the nodes with too few values (a hash anti-join of the targets' instances with
    /// the path), with too many (the path grouped by subject) and with a value of the wrong
    /// class (a hash anti-join of the path with the class). The other constraints are checked
    /// on the path's distinct values ([`Shapes::suspects`]). Queries that do not depend on
    /// `targets` come out the same for every shape, so equal ones can be run once.
    fn suspect_queries(&self, targets: &[NamedNode]) -> Vec<String> {
        let Some(path) = &self.path else { return Vec::new() };
        let instances: Vec<String> = targets.iter().map(|c| format!("{{ ?s {} {c} }}", rdf::TYPE)).collect();
        let instances = instances.join(" UNION ");
        let mut out = Vec::new();
        match self.min_count {
            Some(1) => out.push(format!("SELECT DISTINCT ?s WHERE {{ {{ {instances} }} MINUS {{ ?s {path} ?v }} }}")),
            Some(min) if min > 1 => out.push(format!(
                "SELECT ?s WHERE {{ {{ {instances} }} OPTIONAL {{ ?s {path} ?v }} }} \
                 GROUP BY ?s HAVING (COUNT(DISTINCT ?v) < {min})"
            )),
            Some(_) | None => {}
        }
        if let Some(max) = self.max_count {
            out.push(format!("SELECT ?s WHERE {{ ?s {path} ?v }} GROUP BY ?s HAVING (COUNT(DISTINCT ?v) > {max})"));
        }
        if let Some(class) = &self.class {
            out.push(format!("SELECT DISTINCT ?s WHERE {{ ?s {path} ?v MINUS {{ ?v {} {class} }} }}", rdf::TYPE));
        }
        out
    }

    /// Whether the shape constrains each value by itself (its datatype, node kind, range or
    /// allowed values), not only through the value's class.
    fn checks_values(&self) -> bool {
        self.datatype.is_some()
            || self.node_kind.is_some()
            || self.min_inclusive.is_some()
            || self.max_inclusive.is_some()
            || self.allowed.is_some()
    }

    fn check(
        &self,
        facts: &impl Facts,
        node: &NamedOrBlankNode,
        out: &mut Vec<Diagnostic>,
    ) -> Result<(), StorageError> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let mut values = facts.values(node, path)?;
        if values.len() > 1 {
            values.sort_by_cached_key(ToString::to_string);
            values.dedup();
        }
        let focus = match node {
            NamedOrBlankNode::NamedNode(n) => n.as_str().to_owned(),
            NamedOrBlankNode::BlankNode(b) => b.to_string(),
        };
        let short = crate::snapshot::local_name(path.as_str());
        let report = |message: String, value: Option<&Term>| {
            let mut d = Diagnostic::violation(DiagnosticCode::ShapeViolation, message)
                .with_focus(focus.clone())
                .with_path(path.as_str());
            d.severity = self.severity.unwrap_or(Severity::Violation);
            if let Some(hint) = &self.message {
                d = d.with_hint(hint.clone());
            }
            if let Some(v) = value {
                d = d.with_value(v.to_string());
            }
            d
        };
        if let Some(min) = self.min_count {
            if values.len() < min {
                out.push(report(
                    format!("{focus} has {} value(s) of {short}; at least {min} required", values.len()),
                    None,
                ));
            }
        }
        if let Some(max) = self.max_count {
            if values.len() > max {
                out.push(report(
                    format!("{focus} has {} values of {short}; at most {max} allowed", values.len()),
                    None,
                ));
            }
        }
        for value in &values {
            if let Some(problem) = self.value_problem(facts, value)? {
                out.push(report(format!("{focus}: value {value} of {short} {problem}"), Some(value)));
            }
        }
        Ok(())
    }

    /// What is wrong with one value, if anything.
    fn value_problem(&self, facts: &impl Facts, value: &Term) -> Result<Option<String>, StorageError> {
        if let Some(dt) = &self.datatype {
            let ok = match value {
                Term::Literal(l) => l.datatype() == dt.as_ref() && lexical_ok(dt.as_ref(), l.value()),
                _ => false,
            };
            if !ok {
                return Ok(Some(format!("is not a valid {}", crate::snapshot::local_name(dt.as_str()))));
            }
        }
        if let Some(kind) = &self.node_kind {
            let ok = match value {
                Term::NamedNode(_) => kind.as_ref() == sh::IRI || kind.as_ref() == sh::BLANK_NODE_OR_IRI,
                Term::BlankNode(_) => kind.as_ref() == sh::BLANK_NODE_OR_IRI,
                Term::Literal(_) => kind.as_ref() == sh::LITERAL,
            };
            if !ok {
                return Ok(Some(format!("is not of node kind {}", crate::snapshot::local_name(kind.as_str()))));
            }
        }
        if let Some(class) = &self.class {
            let typed = match as_subject(value) {
                Some(s) => facts.has_type(&s, class)?,
                None => false,
            };
            if !typed {
                return Ok(Some(format!("is not a {}", crate::snapshot::local_name(class.as_str()))));
            }
        }
        if self.min_inclusive.is_some() || self.max_inclusive.is_some() {
            match as_number(value) {
                Some(x) => {
                    if let Some(min) = self.min_inclusive.filter(|&m| x < m) {
                        return Ok(Some(format!("is below the minimum {min}")));
                    }
                    if let Some(max) = self.max_inclusive.filter(|&m| x > m) {
                        return Ok(Some(format!("is above the maximum {max}")));
                    }
                }
                None => return Ok(Some("is not a number".to_owned())),
            }
        }
        if let Some(allowed) = &self.allowed {
            let matches = allowed.iter().any(|a| match (a, value) {
                (Term::Literal(a), Term::Literal(v)) => a.value() == v.value(),
                (a, v) => a == v,
            });
            if !matches {
                let list: Vec<String> = allowed.iter().map(ToString::to_string).collect();
                return Ok(Some(format!("is not one of {}", list.join(", "))));
            }
        }
        Ok(None)
    }
}

/// Whether a lexical form is valid for the common XSD datatypes.
fn lexical_ok(datatype: NamedNodeRef<'_>, value: &str) -> bool {
    if datatype == xsd::INTEGER {
        value.trim().parse::<i64>().is_ok()
    } else if datatype == xsd::DECIMAL {
        !value.contains(['e', 'E']) && value.trim().parse::<f64>().is_ok()
    } else if datatype == xsd::DOUBLE || datatype == xsd::FLOAT {
        value.trim().parse::<f64>().is_ok() || matches!(value, "INF" | "-INF" | "NaN")
    } else if datatype == xsd::BOOLEAN {
        matches!(value, "true" | "false" | "1" | "0")
    } else {
        true
    }
}
