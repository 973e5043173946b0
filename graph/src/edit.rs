//! Node-level edits: what a curriculum designer does to a node (create it, relabel it, set an
//! attribute, add or remove a relation, deprecate, merge, split), turned into the exact
//! [`ChangeSet`] that does it against the committed state.
//!
//! [`plan_edits`] only reads: it resolves every node, checks every edit (unknown node,
//! unknown relation or attribute, a value of the wrong type, an edit to a deprecated node) and
//! reports *all* problems at once as [`GraphError::Rejected`]; the change it returns then goes
//! through [`GraphStore::commit`](crate::GraphStore::commit), which validates the would-be
//! graph (cycles, shapes) like any other change.
//!
//! Deprecation follows OWL and Dublin Core: `owl:deprecated true` and `dcterms:isReplacedBy`.

use std::collections::BTreeMap;

use oxigraph::model::vocab::{rdf, xsd};
use oxigraph::model::{GraphName, Literal, NamedNode, NamedNodeRef, NamedOrBlankNode, Quad, Term};
use oxigraph::store::Store;

use crate::diagnostic::{Diagnostic, DiagnosticCode};
use crate::error::GraphError;
use crate::snapshot::{NodeId, Relation, Snapshot};
use crate::store::{ChangeSet, graph_iri};
use crate::vocab::{schema, skos, tupu};

/// `owl:deprecated`.
pub const OWL_DEPRECATED: NamedNodeRef<'static> =
    NamedNodeRef::new_unchecked("http://www.w3.org/2002/07/owl#deprecated");
/// `dcterms:isReplacedBy`.
pub const IS_REPLACED_BY: NamedNodeRef<'static> = NamedNodeRef::new_unchecked("http://purl.org/dc/terms/isReplacedBy");

/// A new node: its id (an IRI, or a local name placed beside the nodes of its graph) and labels.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct NewNode {
    /// Full IRI, or a local name.
    pub id: String,
    /// Preferred labels by language (`zh`, `en`).
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

/// One node-level edit. Node ids are full IRIs or local names.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Edit {
    /// A new node of a class (`knowledge_point` by default) in a graph (by default the graph
    /// most nodes live in).
    Create {
        /// The node.
        #[serde(flatten)]
        node: NewNode,
        /// Class: knowledge_point, competency, course, major, micro_major, occupation, post, resource.
        #[serde(default)]
        kind: Option<String>,
        /// Named graph (a name or an IRI).
        #[serde(default)]
        graph: Option<String>,
    },
    /// Sets (replaces) the preferred label in one language; an empty text removes it.
    SetLabel {
        /// The node.
        node: String,
        /// Language tag.
        lang: String,
        /// The label.
        text: String,
    },
    /// Sets an attribute (difficulty, grade, sequence, learning_minutes, mastery_level, topic,
    /// thread, subject, domain, notation, definition); `null` removes it.
    SetAttribute {
        /// The node.
        node: String,
        /// Attribute name.
        attribute: String,
        /// New value, or null.
        value: serde_json::Value,
    },
    /// Adds `node relation target` (e.g. `requires`: target becomes a prerequisite of node).
    AddRelation {
        /// The subject.
        node: String,
        /// Relation name as in the node view (requires, builds_on, related_to, broader, ...).
        relation: String,
        /// The object.
        target: String,
    },
    /// Removes `node relation target`.
    RemoveRelation {
        /// The subject.
        node: String,
        /// Relation name.
        relation: String,
        /// The object.
        target: String,
    },
    /// Marks the node deprecated, optionally replaced by another node.
    Deprecate {
        /// The node.
        node: String,
        /// Its replacement.
        #[serde(default)]
        replaced_by: Option<String>,
    },
    /// Merges `node` into `into`: its relations move to `into`, its labels become alternative
    /// labels of `into`, and it is deprecated, replaced by `into`.
    Merge {
        /// The node that goes.
        node: String,
        /// The node that stays.
        into: String,
    },
    /// Splits a node into new parts: each part gets its class and outgoing relations, nodes
    /// that pointed to it point to every part, and it is deprecated, replaced by the parts.
    Split {
        /// The node.
        node: String,
        /// The parts.
        into: Vec<NewNode>,
    },
}

/// The predicate a relation name stands for.
pub fn relation_predicate(name: &str) -> Option<NamedNodeRef<'static>> {
    let relation = Relation::ALL.into_iter().find(|r| r.as_str() == name)?;
    Some(match relation {
        Relation::Requires => tupu::REQUIRES,
        Relation::BuildsOn => tupu::BUILDS_ON,
        Relation::RelatedTo => tupu::RELATED_TO,
        Relation::ConfusableWith => tupu::CONFUSABLE_WITH,
        Relation::Extends => tupu::EXTENDS,
        Relation::Supports => tupu::SUPPORTS,
        Relation::Develops => tupu::DEVELOPS,
        Relation::RequiresCompetency => tupu::REQUIRES_COMPETENCY,
        Relation::Teaches => tupu::TEACHES,
        Relation::Assesses => tupu::ASSESSES,
        Relation::Broader => skos::BROADER,
        Relation::PartOf => schema::IS_PART_OF,
        Relation::ExactMatch => skos::EXACT_MATCH,
        Relation::CloseMatch => skos::CLOSE_MATCH,
        Relation::BroadMatch => skos::BROAD_MATCH,
        Relation::OccupationOf => tupu::OCCUPATION_PROP,
        Relation::ReplacedBy => IS_REPLACED_BY,
    })
}

/// Whether a predicate is one of the relations of [`relation_predicate`].
fn is_relation(predicate: &NamedNode) -> bool {
    Relation::ALL.iter().any(|r| relation_predicate(r.as_str()) == Some(predicate.as_ref()))
}

fn class_iri(kind: &str) -> Option<NamedNodeRef<'static>> {
    Some(match kind {
        "knowledge_point" | "KnowledgePoint" => tupu::KNOWLEDGE_POINT,
        "competency" | "Competency" => tupu::COMPETENCY,
        "course" | "Course" => tupu::COURSE,
        "major" | "Major" => tupu::MAJOR,
        "micro_major" | "MicroMajor" => tupu::MICRO_MAJOR,
        "occupation" | "Occupation" => tupu::OCCUPATION,
        "post" | "Post" => tupu::POST,
        "resource" | "Resource" => tupu::RESOURCE,
        _ => return None,
    })
}

/// Attribute name → (predicate, datatype; `None`: plain string).
fn attribute(name: &str) -> Option<(NamedNodeRef<'static>, Option<NamedNodeRef<'static>>)> {
    Some(match name {
        "difficulty" => (tupu::DIFFICULTY, Some(xsd::DECIMAL)),
        "grade" => (tupu::GRADE_LEVEL, Some(xsd::INTEGER)),
        "sequence" => (tupu::SEQUENCE, Some(xsd::INTEGER)),
        "learning_minutes" => (tupu::LEARNING_MINUTES, Some(xsd::DECIMAL)),
        "mastery_level" => (tupu::MASTERY_LEVEL, None),
        "topic" => (tupu::TOPIC, None),
        "thread" => (tupu::THREAD, None),
        "subject" => (tupu::SUBJECT, None),
        "domain" => (tupu::DOMAIN, None),
        "notation" => (skos::NOTATION, None),
        "definition" => (skos::DEFINITION, None),
        _ => return None,
    })
}

const ATTRIBUTES: &str = "difficulty, grade, sequence, learning_minutes, mastery_level, topic, thread, subject, domain, notation, definition";

/// Collects problems; every edit is checked even after a first failure.
struct Planner<'a> {
    snapshot: &'a Snapshot,
    store: &'a Store,
    change: ChangeSet,
    problems: Vec<Diagnostic>,
    /// Nodes created by earlier edits of the same list: IRI → graph.
    created: BTreeMap<String, GraphName>,
    index: usize,
}

impl Planner<'_> {
    fn problem(&mut self, field: &str, message: String, hint: &str) {
        let location = crate::diagnostic::Location {
            file: "edits".to_owned(),
            line: None,
            column: None,
            record: Some(self.index as u64),
            field: Some(field.to_owned()),
        };
        self.problems
            .push(Diagnostic::violation(DiagnosticCode::InvalidInput, message).with_hint(hint).with_location(location));
    }

    /// A node of the snapshot, or one created earlier in this list: its IRI and graph.
    fn node(&mut self, field: &str, id: &str) -> Option<(NamedNode, GraphName)> {
        if let Some((iri, graph)) = self.created.iter().find(|(iri, _)| iri.as_str() == id || local(iri) == id) {
            return Some((NamedNode::new_unchecked(iri.clone()), graph.clone()));
        }
        match self.snapshot.resolve(id) {
            Ok(n) => Some((NamedNode::new_unchecked(self.snapshot.iri(n)), self.graph_of(n))),
            Err(e) => {
                self.problem(
                    field,
                    e.to_string(),
                    "give the node's full IRI or its local name, as GET /api/v1/nodes/{id} shows it",
                );
                None
            }
        }
    }

    /// A node that may be edited: known and not deprecated.
    fn live(&mut self, field: &str, id: &str) -> Option<(NamedNode, GraphName)> {
        let (iri, graph) = self.node(field, id)?;
        if is_deprecated(self.store, iri.as_ref()) {
            self.problem(
                field,
                format!("{iri} is deprecated and cannot be edited"),
                "edit its replacement (dcterms:isReplacedBy) instead, or remove owl:deprecated from it first",
            );
            return None;
        }
        Some((iri, graph))
    }

    fn graph_of(&self, n: NodeId) -> GraphName {
        self.snapshot
            .framework(n)
            .and_then(|g| NamedNode::new(g).ok())
            .map(GraphName::NamedNode)
            .unwrap_or(GraphName::DefaultGraph)
    }

    fn predicate(&mut self, relation: &str) -> Option<NamedNodeRef<'static>> {
        let p = relation_predicate(relation);
        if p.is_none() {
            let known: Vec<&str> = Relation::ALL.iter().map(|r| r.as_str()).collect();
            self.problem(
                "relation",
                format!("'{relation}' is not a relation"),
                &format!("use one of {}", known.join(", ")),
            );
        }
        p
    }

    /// Every quad of `subject` with `predicate` (any graph).
    fn quads(&self, subject: NamedNodeRef<'_>, predicate: Option<NamedNodeRef<'_>>) -> Vec<Quad> {
        self.store.quads_for_pattern(Some(subject.into()), predicate, None, None).filter_map(Result::ok).collect()
    }

    fn incoming(&self, object: NamedNodeRef<'_>) -> Vec<Quad> {
        self.store.quads_for_pattern(None, None, Some(object.into()), None).filter_map(Result::ok).collect()
    }

    fn labels(&mut self, iri: &NamedNode, labels: &BTreeMap<String, String>, graph: &GraphName) {
        for (lang, text) in labels {
            match Literal::new_language_tagged_literal(text.as_str(), lang.as_str()) {
                Ok(l) => self.change.added.push(Quad::new(iri.clone(), skos::PREF_LABEL, l, graph.clone())),
                Err(e) => self.problem(
                    "labels",
                    format!("'{lang}' is not a language tag: {e}"),
                    "use a BCP 47 tag such as zh or en",
                ),
            }
        }
    }

    fn new_node(&mut self, node: &NewNode, class: NamedNodeRef<'_>, graph: GraphName) -> Option<NamedNode> {
        let iri = if node.id.contains(':') {
            node.id.clone()
        } else {
            let base = self.base_for(&graph);
            format!("{base}{}", node.id)
        };
        let Ok(iri) = NamedNode::new(iri.clone()) else {
            self.problem(
                "id",
                format!("'{iri}' is not an IRI"),
                "use letters, digits, '.', '-' and '_' in a local name",
            );
            return None;
        };
        if self.snapshot.resolve(iri.as_str()).is_ok_and(|n| self.snapshot.iri(n) == iri.as_str())
            || self.created.contains_key(iri.as_str())
        {
            self.problem("id", format!("{iri} already exists"), "choose another id");
            return None;
        }
        if node.labels.is_empty() {
            self.problem(
                "labels",
                format!("{iri} has no label"),
                "give it at least one label, e.g. {\"zh\": \"分数\"}",
            );
        }
        self.change.added.push(Quad::new(iri.clone(), rdf::TYPE, class, graph.clone()));
        self.labels(&iri, &node.labels, &graph);
        self.created.insert(iri.as_str().to_owned(), graph);
        Some(iri)
    }

    /// Where local names of new nodes in `graph` go: beside an existing node of that graph.
    fn base_for(&self, graph: &GraphName) -> String {
        let g = graph.to_string();
        let g = g.trim_start_matches('<').trim_end_matches('>');
        self.snapshot
            .nodes()
            .find(|&n| self.snapshot.framework(n) == Some(g))
            .map(|n| {
                let iri = self.snapshot.iri(n);
                iri[..iri.len() - local(iri).len()].to_owned()
            })
            .unwrap_or_else(|| format!("{g}/"))
    }

    fn default_graph(&self) -> GraphName {
        // The graph holding the most nodes.
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for n in self.snapshot.nodes() {
            if let Some(g) = self.snapshot.framework(n) {
                *counts.entry(g).or_default() += 1;
            }
        }
        counts
            .into_iter()
            .max_by_key(|(_, c)| *c)
            .and_then(|(g, _)| NamedNode::new(g).ok())
            .map(GraphName::NamedNode)
            .unwrap_or(GraphName::DefaultGraph)
    }

    fn deprecate(&mut self, iri: &NamedNode, graph: &GraphName, replacements: &[NamedNode]) {
        self.change.added.push(Quad::new(iri.clone(), OWL_DEPRECATED, Literal::from(true), graph.clone()));
        for r in replacements {
            self.change.added.push(Quad::new(iri.clone(), IS_REPLACED_BY, r.clone(), graph.clone()));
        }
    }

    fn plan(&mut self, edit: &Edit) {
        match edit {
            Edit::Create { node, kind, graph } => {
                let kind = kind.as_deref().unwrap_or("knowledge_point");
                let Some(class) = class_iri(kind) else {
                    self.problem(
                        "kind",
                        format!("'{kind}' is not a class"),
                        "use knowledge_point, competency, course, major, micro_major, occupation, post or resource",
                    );
                    return;
                };
                let graph = match graph {
                    Some(g) => match graph_iri(g) {
                        Ok(g) => GraphName::NamedNode(g),
                        Err(e) => return self.problem("graph", e.to_string(), "name a graph such as chalkbase"),
                    },
                    None => self.default_graph(),
                };
                self.new_node(node, class, graph);
            }
            Edit::SetLabel { node, lang, text } => {
                let Some((iri, graph)) = self.live("node", node) else { return };
                for q in self.quads(iri.as_ref(), Some(skos::PREF_LABEL)) {
                    if matches!(&q.object, Term::Literal(l) if l.language() == Some(lang.as_str())) {
                        self.change.removed.push(q);
                    }
                }
                if !text.trim().is_empty() {
                    self.labels(&iri, &BTreeMap::from([(lang.clone(), text.trim().to_owned())]), &graph);
                }
            }
            Edit::SetAttribute { node, attribute: name, value } => {
                let Some((iri, graph)) = self.live("node", node) else { return };
                let Some((predicate, datatype)) = attribute(name) else {
                    return self.problem(
                        "attribute",
                        format!("'{name}' is not an attribute"),
                        &format!("use one of {ATTRIBUTES}"),
                    );
                };
                self.change.removed.extend(self.quads(iri.as_ref(), Some(predicate)));
                let text = match value {
                    serde_json::Value::Null => return,
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Number(n) => n.to_string(),
                    other => {
                        return self.problem(
                            "value",
                            format!("{other} is not a value for '{name}'"),
                            "give a number or a string",
                        );
                    }
                };
                let literal = match datatype {
                    Some(dt) if dt == xsd::INTEGER => match text.parse::<i64>() {
                        Ok(v) => Literal::new_typed_literal(v.to_string(), dt),
                        Err(_) => {
                            return self.problem(
                                "value",
                                format!("'{text}' is not an integer"),
                                "give a whole number such as 3",
                            );
                        }
                    },
                    Some(dt) => match text.parse::<f64>() {
                        Ok(v) if v.is_finite() => Literal::new_typed_literal(decimal(v), dt),
                        _ => {
                            return self.problem(
                                "value",
                                format!("'{text}' is not a number"),
                                "give a number such as 0.4",
                            );
                        }
                    },
                    None => Literal::new_simple_literal(text),
                };
                self.change.added.push(Quad::new(iri, predicate, literal, graph));
            }
            Edit::AddRelation { node, relation, target } | Edit::RemoveRelation { node, relation, target } => {
                let adding = matches!(edit, Edit::AddRelation { .. });
                let subject = self.live("node", node);
                let object = if adding { self.live("target", target) } else { self.node("target", target) };
                let predicate = self.predicate(relation);
                let (Some((s, graph)), Some((o, _)), Some(p)) = (subject, object, predicate) else { return };
                if adding {
                    self.change.added.push(Quad::new(s, p, o, graph));
                } else {
                    let existing: Vec<Quad> = self
                        .quads(s.as_ref(), Some(p))
                        .into_iter()
                        .filter(|q| q.object == Term::from(o.clone()))
                        .collect();
                    if existing.is_empty() {
                        self.problem(
                            "target",
                            format!("{s} has no '{relation}' relation to {o}"),
                            "list the node's relations with GET /api/v1/nodes/{id}",
                        );
                    }
                    self.change.removed.extend(existing);
                }
            }
            Edit::Deprecate { node, replaced_by } => {
                let Some((iri, graph)) = self.live("node", node) else { return };
                let replacement = match replaced_by {
                    Some(r) => match self.live("replaced_by", r) {
                        Some((r, _)) => vec![r],
                        None => return,
                    },
                    None => Vec::new(),
                };
                self.deprecate(&iri, &graph, &replacement);
            }
            Edit::Merge { node, into } => {
                let (Some((from, graph)), Some((to, _))) = (self.live("node", node), self.live("into", into)) else {
                    return;
                };
                if from == to {
                    return self.problem(
                        "into",
                        "a node cannot be merged into itself".to_owned(),
                        "name two different nodes",
                    );
                }
                for q in self.quads(from.as_ref(), None) {
                    if is_relation(&q.predicate) {
                        if q.object != Term::from(to.clone()) {
                            self.change.added.push(Quad::new(
                                to.clone(),
                                q.predicate.clone(),
                                q.object.clone(),
                                q.graph_name.clone(),
                            ));
                        }
                        self.change.removed.push(q);
                    } else if q.predicate.as_ref() == skos::PREF_LABEL {
                        self.change.added.push(Quad::new(
                            to.clone(),
                            skos::ALT_LABEL,
                            q.object.clone(),
                            q.graph_name.clone(),
                        ));
                    }
                }
                for q in self.incoming(from.as_ref()) {
                    if is_relation(&q.predicate) {
                        if q.subject != NamedOrBlankNode::from(to.clone()) {
                            self.change.added.push(Quad::new(
                                q.subject.clone(),
                                q.predicate.clone(),
                                to.clone(),
                                q.graph_name.clone(),
                            ));
                        }
                        self.change.removed.push(q);
                    }
                }
                self.deprecate(&from, &graph, &[to]);
            }
            Edit::Split { node, into } => {
                let Some((from, graph)) = self.live("node", node) else { return };
                if into.len() < 2 {
                    return self.problem(
                        "into",
                        "a split needs at least two parts".to_owned(),
                        "list the parts with their ids and labels",
                    );
                }
                let class = self
                    .quads(from.as_ref(), Some(rdf::TYPE))
                    .into_iter()
                    .find_map(|q| match q.object {
                        Term::NamedNode(c) => Some(c),
                        _ => None,
                    })
                    .unwrap_or_else(|| tupu::KNOWLEDGE_POINT.into_owned());
                let outgoing: Vec<Quad> =
                    self.quads(from.as_ref(), None).into_iter().filter(|q| is_relation(&q.predicate)).collect();
                let incoming: Vec<Quad> =
                    self.incoming(from.as_ref()).into_iter().filter(|q| is_relation(&q.predicate)).collect();
                let mut parts = Vec::new();
                for part in into {
                    let Some(p) = self.new_node(part, class.as_ref(), graph.clone()) else { continue };
                    for q in &outgoing {
                        self.change.added.push(Quad::new(
                            p.clone(),
                            q.predicate.clone(),
                            q.object.clone(),
                            q.graph_name.clone(),
                        ));
                    }
                    for q in &incoming {
                        self.change.added.push(Quad::new(
                            q.subject.clone(),
                            q.predicate.clone(),
                            p.clone(),
                            q.graph_name.clone(),
                        ));
                    }
                    parts.push(p);
                }
                self.change.removed.extend(outgoing);
                self.change.removed.extend(incoming);
                self.deprecate(&from, &graph, &parts);
            }
        }
    }
}

fn local(iri: &str) -> &str {
    crate::snapshot::local_name(iri)
}

/// A decimal literal's lexical form (`0.4`, `40.0`).
fn decimal(v: f64) -> String {
    let s = v.to_string();
    if s.contains('.') { s } else { format!("{s}.0") }
}

/// Whether the store marks `node` `owl:deprecated true`.
pub fn is_deprecated(store: &Store, node: NamedNodeRef<'_>) -> bool {
    store
        .quads_for_pattern(Some(node.into()), Some(OWL_DEPRECATED), None, None)
        .filter_map(Result::ok)
        .any(|q| matches!(&q.object, Term::Literal(l) if l.value() == "true" || l.value() == "1"))
}

/// The change that applies `edits` in order to the committed state, or every problem found.
///
/// Cost: one snapshot lookup per node named, and one store scan per node whose quads are
/// rewritten (merge, split, relabel).
pub fn plan_edits(snapshot: &Snapshot, store: &Store, edits: &[Edit]) -> Result<ChangeSet, GraphError> {
    let mut planner =
        Planner { snapshot, store, change: ChangeSet::new(), problems: Vec::new(), created: BTreeMap::new(), index: 0 };
    if edits.is_empty() {
        planner.problem("edits", "the list of edits is empty".to_owned(), "send at least one edit");
    }
    for (index, edit) in edits.iter().enumerate() {
        planner.index = index;
        planner.plan(edit);
    }
    if planner.problems.is_empty() { Ok(planner.change) } else { Err(GraphError::Rejected(planner.problems)) }
}
