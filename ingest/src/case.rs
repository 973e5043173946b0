//! 1EdTech CASE 1.1 JSON in and out.
//!
//! Accepted input: a package (`{"CFDocument", "CFItems", "CFAssociations", "CFDefinitions"}`),
//! the same wrapped as `{"CFPackage": {...}}`, or an array of either (items in several
//! documents). Optional fields may be missing; unknown fields are ignored. A malformed
//! document is refused with the JSON path of every fault (`$.CFPackage.CFItems[3].fullStatement`).
//!
//! Mapping (`case:` is `https://w3id.org/tupu/case#`):
//!
//! | CASE | Tupu |
//! |---|---|
//! | `CFDocument` | `tupu:Framework`: `skos:prefLabel` title, `dcterms:identifier`, `dcterms:creator` |
//! | `CFItem` | `tupu:Competency`: `skos:prefLabel` fullStatement, `skos:altLabel` abbreviatedStatement, `skos:notation` humanCodingScheme, `dcterms:identifier`, `case:itemType` CFItemType, `skos:inScheme` its document |
//! | `isChildOf` | `origin skos:broader destination` |
//! | `precedes` | `destination tupu:requires origin` |
//! | `isPartOf` | `schema:isPartOf` |
//! | `exactMatchOf` | `skos:exactMatch` |
//! | `isRelatedTo` | `tupu:relatedTo` |
//! | `replacedBy` | `dcterms:isReplacedBy` |
//! | `isPeerOf`, `exemplar`, `hasSkillLevel` | `case:isPeerOf`, `case:exemplar`, `case:hasSkillLevel` |
//!
//! Node IRIs: the `uri` when it is an absolute IRI, else `urn:uuid:` + identifier. The export
//! writes what the import reads, so import → export → import gives the same graph.
//! Association identifiers and sequence numbers are not kept; the export derives stable
//! identifiers from the association itself.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use oxigraph::model::vocab::rdf;
use oxigraph::model::{GraphName, Literal, NamedNode, NamedNodeRef, NamedOrBlankNode, Quad, Term};
use serde_json::{Value, json};
use tupu_graph::vocab::{schema, skos, tupu};
use tupu_graph::{Diagnostic, DiagnosticCode, GraphStore, IS_REPLACED_BY, Location};

use crate::error::ImportError;
use crate::rdf::{ImportReport, commit_quads};

/// Namespace of the CASE terms Tupu has no own term for.
pub const CASE_NS: &str = "https://w3id.org/tupu/case#";
const DCTERMS_IDENTIFIER: NamedNodeRef<'static> = NamedNodeRef::new_unchecked("http://purl.org/dc/terms/identifier");
const DCTERMS_CREATOR: NamedNodeRef<'static> = NamedNodeRef::new_unchecked("http://purl.org/dc/terms/creator");
const SKOS_IN_SCHEME: NamedNodeRef<'static> =
    NamedNodeRef::new_unchecked("http://www.w3.org/2004/02/skos/core#inScheme");
const CASE_ITEM_TYPE: NamedNodeRef<'static> = NamedNodeRef::new_unchecked("https://w3id.org/tupu/case#itemType");

/// Every CASE association type, its predicate, and whether origin and destination swap.
fn associations() -> [(&'static str, NamedNodeRef<'static>, bool); 9] {
    [
        ("isChildOf", skos::BROADER, false),
        ("precedes", tupu::REQUIRES, true),
        ("isPartOf", schema::IS_PART_OF, false),
        ("exactMatchOf", skos::EXACT_MATCH, false),
        ("isRelatedTo", tupu::RELATED_TO, false),
        ("replacedBy", IS_REPLACED_BY, false),
        ("isPeerOf", NamedNodeRef::new_unchecked("https://w3id.org/tupu/case#isPeerOf"), false),
        ("exemplar", NamedNodeRef::new_unchecked("https://w3id.org/tupu/case#exemplar"), false),
        ("hasSkillLevel", NamedNodeRef::new_unchecked("https://w3id.org/tupu/case#hasSkillLevel"), false),
    ]
}

/// Collects faults by JSON path.
struct Reader<'a> {
    file: &'a str,
    problems: Vec<Diagnostic>,
}

impl Reader<'_> {
    fn fault(&mut self, path: &str, message: String, hint: &str) {
        let location = Location {
            file: self.file.to_owned(),
            line: None,
            column: None,
            record: None,
            field: Some(path.to_owned()),
        };
        self.problems.push(
            Diagnostic::violation(DiagnosticCode::InvalidInput, format!("{path}: {message}"))
                .with_hint(hint)
                .with_location(location),
        );
    }

    /// A required string field.
    fn string<'v>(&mut self, object: &'v Value, path: &str, field: &str) -> Option<&'v str> {
        match object.get(field) {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s),
            Some(other) if !other.is_null() => {
                self.fault(
                    &format!("{path}.{field}"),
                    format!("expected a string, found {other}"),
                    "write it as a JSON string",
                );
                None
            }
            _ => {
                self.fault(&format!("{path}.{field}"), "is missing".to_owned(), "CASE 1.1 requires this field");
                None
            }
        }
    }
}

fn optional<'v>(object: &'v Value, field: &str) -> Option<&'v str> {
    object.get(field).and_then(Value::as_str).filter(|s| !s.trim().is_empty())
}

/// The IRI of a CASE node: its `uri` when absolute, else `urn:uuid:IDENTIFIER`.
fn node_iri(identifier: &str, uri: Option<&str>) -> Option<NamedNode> {
    uri.filter(|u| u.contains(':'))
        .and_then(|u| NamedNode::new(u).ok())
        .or_else(|| NamedNode::new(format!("urn:uuid:{}", identifier.trim())).ok())
}

fn label(text: &str, lang: &str) -> Literal {
    Literal::new_language_tagged_literal(text.trim(), lang).unwrap_or_else(|_| Literal::new_simple_literal(text.trim()))
}

/// The packages of a CASE JSON value, each with its JSON path.
fn packages(value: &Value) -> Vec<(String, &Value)> {
    fn one(v: &Value, path: String) -> (String, &Value) {
        match v.get("CFPackage") {
            Some(inner) => (format!("{path}.CFPackage"), inner),
            None => (path, v),
        }
    }
    match value {
        Value::Array(list) => list.iter().enumerate().map(|(i, v)| one(v, format!("$[{i}]"))).collect(),
        other => vec![one(other, "$".to_owned())],
    }
}

/// Converts CASE JSON into quads in `graph`; every fault is reported with its JSON path.
pub fn convert_case(text: &str, file: &str, graph: &NamedNode) -> Result<Vec<Quad>, ImportError> {
    let value: Value = serde_json::from_str(text).map_err(|e| ImportError::Invalid {
        path: file.to_owned(),
        diagnostics: vec![Diagnostic::violation(DiagnosticCode::SyntaxError, format!("not JSON: {e}")).with_location(
            Location {
                file: file.to_owned(),
                line: Some(e.line() as u64),
                column: Some(e.column() as u64),
                record: None,
                field: None,
            },
        )],
    })?;
    let g = GraphName::NamedNode(graph.clone());
    let mut r = Reader { file, problems: Vec::new() };
    let mut quads = Vec::new();
    // identifier → IRI of every document and item, for associations that name only one.
    let mut known: BTreeMap<String, NamedNode> = BTreeMap::new();
    let packages = packages(&value);
    let mut pending_associations = Vec::new();
    for (path, package) in &packages {
        if !package.is_object() {
            r.fault(
                path,
                "expected a CASE package object".to_owned(),
                "send {\"CFDocument\": {...}, \"CFItems\": [...], \"CFAssociations\": [...]}",
            );
            continue;
        }
        let doc_path = format!("{path}.CFDocument");
        let mut doc_iri = None;
        let mut doc_lang = "en".to_owned();
        match package.get("CFDocument") {
            Some(doc) if doc.is_object() => {
                let identifier = r.string(doc, &doc_path, "identifier");
                let title = r.string(doc, &doc_path, "title");
                doc_lang = optional(doc, "language").unwrap_or("en").to_owned();
                if let (Some(identifier), Some(title)) = (identifier, title) {
                    if let Some(iri) = node_iri(identifier, optional(doc, "uri")) {
                        quads.push(Quad::new(iri.clone(), rdf::TYPE, tupu::FRAMEWORK, g.clone()));
                        quads.push(Quad::new(iri.clone(), skos::PREF_LABEL, label(title, &doc_lang), g.clone()));
                        quads.push(Quad::new(
                            iri.clone(),
                            DCTERMS_IDENTIFIER,
                            Literal::new_simple_literal(identifier),
                            g.clone(),
                        ));
                        if let Some(creator) = optional(doc, "creator") {
                            quads.push(Quad::new(
                                iri.clone(),
                                DCTERMS_CREATOR,
                                Literal::new_simple_literal(creator),
                                g.clone(),
                            ));
                        }
                        known.insert(identifier.to_owned(), iri.clone());
                        doc_iri = Some(iri);
                    }
                }
            }
            Some(other) if !other.is_null() => {
                r.fault(&doc_path, "expected an object".to_owned(), "a CFDocument is a JSON object")
            }
            _ => {}
        }
        match package.get("CFItems") {
            Some(Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    let item_path = format!("{path}.CFItems[{i}]");
                    if !item.is_object() {
                        r.fault(&item_path, "expected an object".to_owned(), "a CFItem is a JSON object");
                        continue;
                    }
                    let identifier = r.string(item, &item_path, "identifier");
                    let statement = r.string(item, &item_path, "fullStatement");
                    let (Some(identifier), Some(statement)) = (identifier, statement) else { continue };
                    let Some(iri) = node_iri(identifier, optional(item, "uri")) else {
                        r.fault(
                            &format!("{item_path}.identifier"),
                            format!("'{identifier}' cannot make an IRI"),
                            "use a UUID",
                        );
                        continue;
                    };
                    let lang = optional(item, "language").unwrap_or(&doc_lang);
                    quads.push(Quad::new(iri.clone(), rdf::TYPE, tupu::COMPETENCY, g.clone()));
                    quads.push(Quad::new(iri.clone(), skos::PREF_LABEL, label(statement, lang), g.clone()));
                    quads.push(Quad::new(
                        iri.clone(),
                        DCTERMS_IDENTIFIER,
                        Literal::new_simple_literal(identifier),
                        g.clone(),
                    ));
                    if let Some(a) = optional(item, "abbreviatedStatement") {
                        quads.push(Quad::new(iri.clone(), skos::ALT_LABEL, label(a, lang), g.clone()));
                    }
                    if let Some(code) = optional(item, "humanCodingScheme") {
                        quads.push(Quad::new(
                            iri.clone(),
                            skos::NOTATION,
                            Literal::new_simple_literal(code),
                            g.clone(),
                        ));
                    }
                    if let Some(kind) = optional(item, "CFItemType") {
                        quads.push(Quad::new(
                            iri.clone(),
                            CASE_ITEM_TYPE,
                            Literal::new_simple_literal(kind),
                            g.clone(),
                        ));
                    }
                    let scheme = item
                        .get("CFDocumentURI")
                        .and_then(|d| node_iri(optional(d, "identifier").unwrap_or(""), optional(d, "uri")))
                        .filter(|d| !d.as_str().ends_with("urn:uuid:"))
                        .or_else(|| doc_iri.clone());
                    if let Some(scheme) = scheme {
                        quads.push(Quad::new(iri.clone(), SKOS_IN_SCHEME, scheme, g.clone()));
                    }
                    known.insert(identifier.to_owned(), iri);
                }
            }
            Some(other) if !other.is_null() => {
                r.fault(&format!("{path}.CFItems"), "expected an array".to_owned(), "CFItems is a JSON array of items")
            }
            _ => {}
        }
        match package.get("CFAssociations") {
            Some(Value::Array(list)) => {
                pending_associations
                    .extend(list.iter().enumerate().map(|(i, a)| (format!("{path}.CFAssociations[{i}]"), a)));
            }
            Some(other) if !other.is_null() => r.fault(
                &format!("{path}.CFAssociations"),
                "expected an array".to_owned(),
                "CFAssociations is a JSON array",
            ),
            _ => {}
        }
    }
    let table = associations();
    for (path, a) in pending_associations {
        if !a.is_object() {
            r.fault(&path, "expected an object".to_owned(), "a CFAssociation is a JSON object");
            continue;
        }
        let Some(kind) = r.string(a, &path, "associationType") else { continue };
        let Some(&(_, predicate, swap)) = table.iter().find(|(name, _, _)| *name == kind) else {
            let names: Vec<&str> = table.iter().map(|t| t.0).collect();
            r.fault(
                &format!("{path}.associationType"),
                format!("'{kind}' is not a CASE association type"),
                &format!("use one of {}", names.join(", ")),
            );
            continue;
        };
        let mut end = |field: &str| -> Option<NamedNode> {
            let end_path = format!("{path}.{field}");
            let Some(node) = a.get(field).filter(|v| v.is_object()) else {
                r.fault(&end_path, "is missing".to_owned(), "give {\"identifier\", \"uri\", \"title\"} of the node");
                return None;
            };
            let identifier = optional(node, "identifier");
            if let Some(iri) = identifier.and_then(|i| known.get(i)) {
                return Some(iri.clone());
            }
            let iri = node_iri(identifier.unwrap_or(""), optional(node, "uri"))
                .filter(|_| identifier.is_some() || optional(node, "uri").is_some());
            if iri.is_none() {
                r.fault(&end_path, "names no node".to_owned(), "give the node's identifier or an absolute uri");
            }
            iri
        };
        let (Some(origin), Some(destination)) = (end("originNodeURI"), end("destinationNodeURI")) else { continue };
        let (s, o) = if swap { (destination, origin) } else { (origin, destination) };
        quads.push(Quad::new(s, predicate, o, g.clone()));
    }
    if r.problems.is_empty() {
        Ok(quads)
    } else {
        Err(ImportError::Invalid { path: file.to_owned(), diagnostics: r.problems })
    }
}

/// Imports a CASE JSON file into `graph` as one validated commit.
pub fn import_case(
    store: &GraphStore,
    path: &Path,
    graph: &NamedNode,
    replace: bool,
) -> Result<ImportReport, ImportError> {
    let text = std::fs::read_to_string(path).map_err(|source| ImportError::Io { path: path.to_owned(), source })?;
    let quads = convert_case(&text, &path.display().to_string(), graph)?;
    commit_quads(store, quads, graph, replace, format!("import CASE {}", path.display()))
}

fn literal_of(quads: &[Quad], s: &NamedNode, p: NamedNodeRef<'_>) -> Option<Literal> {
    quads.iter().find_map(|q| match (&q.subject, &q.object) {
        (NamedOrBlankNode::NamedNode(x), Term::Literal(l)) if x == s && q.predicate.as_ref() == p => Some(l.clone()),
        _ => None,
    })
}

fn identifier_of(quads: &[Quad], node: &NamedNode) -> String {
    literal_of(quads, node, DCTERMS_IDENTIFIER).map(|l| l.value().to_owned()).unwrap_or_else(|| {
        node.as_str().strip_prefix("urn:uuid:").map(str::to_owned).unwrap_or_else(|| stable_id(&[node.as_str()]))
    })
}

/// A UUID-shaped identifier derived from text (FNV-1a, two seeds): stable across exports.
fn stable_id(parts: &[&str]) -> String {
    let hash = |seed: u64| {
        let mut h = seed;
        for part in parts {
            for b in part.bytes().chain([0]) {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        }
        h
    };
    let (a, b) = (hash(0xcbf2_9ce4_8422_2325), hash(0x8422_2325_cbf2_9ce4));
    let hex = format!("{a:016x}{b:016x}");
    format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}

fn node_ref(quads: &[Quad], node: &NamedNode) -> Value {
    let title = literal_of(quads, node, skos::PREF_LABEL).map(|l| l.value().to_owned()).unwrap_or_default();
    json!({ "identifier": identifier_of(quads, node), "uri": node.as_str(), "title": title })
}

/// A named graph as CASE JSON: one `CFPackage` per `tupu:Framework` of the graph (an array
/// when there are several), items placed by their `skos:inScheme`.
pub fn export_case(store: &GraphStore, graph: &NamedNode) -> Result<Value, ImportError> {
    let quads = store.graph_quads(graph)?;
    let typed = |class: NamedNodeRef<'_>| -> BTreeSet<NamedNode> {
        quads
            .iter()
            .filter(|q| q.predicate == rdf::TYPE && q.object == Term::from(class.into_owned()))
            .filter_map(|q| match &q.subject {
                NamedOrBlankNode::NamedNode(n) => Some(n.clone()),
                NamedOrBlankNode::BlankNode(_) => None,
            })
            .collect()
    };
    let documents = typed(tupu::FRAMEWORK);
    let items = typed(tupu::COMPETENCY);
    let mut packages: BTreeMap<Option<NamedNode>, (Vec<Value>, Vec<Value>)> = BTreeMap::new();
    let scheme_of = |node: &NamedNode| -> Option<NamedNode> {
        quads.iter().find_map(|q| match (&q.subject, &q.object) {
            (NamedOrBlankNode::NamedNode(s), Term::NamedNode(o))
                if s == node && q.predicate.as_ref() == SKOS_IN_SCHEME =>
            {
                Some(o.clone())
            }
            _ => None,
        })
    };
    for doc in &documents {
        packages.entry(Some(doc.clone())).or_default();
    }
    for item in &items {
        let statement = literal_of(&quads, item, skos::PREF_LABEL);
        let mut v = json!({
            "identifier": identifier_of(&quads, item),
            "uri": item.as_str(),
            "fullStatement": statement.as_ref().map(|l| l.value().to_owned()).unwrap_or_default(),
        });
        if let Some(lang) = statement.as_ref().and_then(|l| l.language()) {
            v["language"] = json!(lang);
        }
        if let Some(a) = literal_of(&quads, item, skos::ALT_LABEL) {
            v["abbreviatedStatement"] = json!(a.value());
        }
        if let Some(code) = literal_of(&quads, item, skos::NOTATION) {
            v["humanCodingScheme"] = json!(code.value());
        }
        if let Some(kind) = literal_of(&quads, item, CASE_ITEM_TYPE) {
            v["CFItemType"] = json!(kind.value());
        }
        let scheme = scheme_of(item);
        if let Some(doc) = &scheme {
            v["CFDocumentURI"] = node_ref(&quads, doc);
        }
        packages.entry(scheme.filter(|d| documents.contains(d))).or_default().0.push(v);
    }
    let table = associations();
    for q in &quads {
        let Some(&(kind, _, swap)) = table.iter().find(|(_, p, _)| q.predicate.as_ref() == *p) else { continue };
        let (NamedOrBlankNode::NamedNode(s), Term::NamedNode(o)) = (&q.subject, &q.object) else { continue };
        let (origin, destination) = if swap { (o, s) } else { (s, o) };
        let home = scheme_of(origin)
            .filter(|d| documents.contains(d))
            .or_else(|| documents.contains(origin).then(|| origin.clone()));
        packages.entry(home).or_default().1.push(json!({
            "identifier": stable_id(&[origin.as_str(), kind, destination.as_str()]),
            "associationType": kind,
            "originNodeURI": node_ref(&quads, origin),
            "destinationNodeURI": node_ref(&quads, destination),
        }));
    }
    let mut out = Vec::new();
    for (doc, (items, associations)) in packages {
        let mut package = json!({ "CFItems": items, "CFAssociations": associations, "CFDefinitions": {} });
        if let Some(doc) = doc {
            let title = literal_of(&quads, &doc, skos::PREF_LABEL);
            let mut d = json!({
                "identifier": identifier_of(&quads, &doc),
                "uri": doc.as_str(),
                "title": title.as_ref().map(|l| l.value().to_owned()).unwrap_or_default(),
            });
            if let Some(lang) = title.as_ref().and_then(|l| l.language()) {
                d["language"] = json!(lang);
            }
            if let Some(creator) = literal_of(&quads, &doc, DCTERMS_CREATOR) {
                d["creator"] = json!(creator.value());
            }
            package["CFDocument"] = d;
        }
        out.push(json!({ "CFPackage": package }));
    }
    Ok(if out.len() == 1 { out.remove(0) } else { Value::Array(out) })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::json;
    use tupu_graph::{GraphStore, graph_iri};

    use super::*;

    fn store() -> GraphStore {
        let store = GraphStore::in_memory().unwrap();
        crate::load_bundled(&store, false).unwrap();
        store
    }

    fn item(id: &str, statement: &str) -> Value {
        json!({ "identifier": id, "fullStatement": statement, "humanCodingScheme": id.to_uppercase(), "CFItemType": "Standard" })
    }

    fn association(kind: &str, origin: &str, destination: &str) -> Value {
        json!({ "identifier": format!("{kind}-{origin}-{destination}"), "associationType": kind,
                "originNodeURI": { "identifier": origin, "title": origin }, "destinationNodeURI": { "identifier": destination, "uri": if destination.starts_with("http") { destination } else { "" } } })
    }

    /// A package with every association type.
    fn package() -> Value {
        json!({ "CFPackage": {
            "CFDocument": { "identifier": "doc-1", "uri": "https://example.org/case/doc-1", "title": "Number sense", "creator": "A state", "language": "en" },
            "CFItems": [item("a", "Counts to 100"), item("b", "Adds within 20"),
                        { "identifier": "c", "fullStatement": "数数", "language": "zh", "abbreviatedStatement": "数" },
                        item("d", "Adds within 100"), item("lvl", "Proficient")],
            "CFAssociations": [
                association("isChildOf", "a", "doc-1"), association("isChildOf", "b", "doc-1"),
                association("precedes", "a", "b"), association("isPartOf", "d", "b"),
                association("exactMatchOf", "c", "a"), association("isRelatedTo", "b", "d"),
                association("replacedBy", "c", "a"), association("isPeerOf", "a", "d"),
                association("exemplar", "b", "https://example.org/video/7"), association("hasSkillLevel", "d", "lvl")],
            "CFDefinitions": { "CFItemTypes": [] } } })
    }

    fn quads_of(store: &GraphStore, graph: &NamedNode) -> BTreeSet<String> {
        store.graph_quads(graph).unwrap().iter().map(|q| q.to_string()).collect()
    }

    #[test]
    fn every_association_type_survives_the_round_trip() {
        let (first, second) = (graph_iri("case-a").unwrap(), graph_iri("case-b").unwrap());
        let store = store();
        store
            .commit(tupu_graph::ChangeSet::adding(convert_case(&package().to_string(), "in.json", &first).unwrap()))
            .unwrap();
        let exported = export_case(&store, &first).unwrap();
        let kinds: BTreeSet<&str> = exported["CFPackage"]["CFAssociations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["associationType"].as_str().unwrap())
            .collect();
        assert_eq!(kinds.len(), 9, "{kinds:?}");
        store
            .commit(tupu_graph::ChangeSet::adding(convert_case(&exported.to_string(), "out.json", &second).unwrap()))
            .unwrap();
        let strip = |set: BTreeSet<String>, g: &NamedNode| -> BTreeSet<String> {
            set.into_iter().map(|q| q.replace(g.as_str(), "G")).collect()
        };
        let a = strip(quads_of(&store, &first), &first);
        assert_eq!(a.len(), 43, "{a:#?}");
        assert_eq!(a, strip(quads_of(&store, &second), &second));
        // `precedes` is a prerequisite the other way round.
        let snapshot = store.snapshot();
        let b = snapshot.resolve("urn:uuid:b").unwrap();
        assert_eq!(snapshot.iri(snapshot.prerequisites(b).next().unwrap()), "urn:uuid:a");
    }

    #[test]
    fn packages_without_wrapping_in_several_documents_import() {
        let g = graph_iri("case").unwrap();
        let text = json!([
            { "CFDocument": { "identifier": "d1", "title": "One" }, "CFItems": [item("x", "X")],
              "CFAssociations": [association("isChildOf", "x", "d1")] },
            { "CFDocument": { "identifier": "d2", "title": "Two" },
              "CFItems": [{ "identifier": "y", "fullStatement": "Y", "CFDocumentURI": { "identifier": "d2", "uri": "urn:uuid:d2" } }],
              "CFAssociations": [association("exactMatchOf", "y", "x")] }])
        .to_string();
        let store = store();
        store.commit(tupu_graph::ChangeSet::adding(convert_case(&text, "two.json", &g).unwrap())).unwrap();
        let exported = export_case(&store, &g).unwrap();
        assert_eq!(exported.as_array().unwrap().len(), 2);
        let snapshot = store.snapshot();
        assert!(snapshot.resolve("urn:uuid:y").is_ok());
    }

    #[test]
    fn a_malformed_document_is_refused_with_the_json_path_of_each_fault() {
        let mut bad = package();
        bad["CFPackage"]["CFItems"][1].as_object_mut().unwrap().remove("fullStatement");
        bad["CFPackage"]["CFAssociations"][2]["associationType"] = json!("isCousinOf");
        bad["CFPackage"]["CFDocument"]["title"] = json!(7);
        let Err(ImportError::Invalid { diagnostics, .. }) =
            convert_case(&bad.to_string(), "bad.json", &graph_iri("x").unwrap())
        else {
            panic!("a malformed package was accepted");
        };
        let paths: Vec<&str> = diagnostics.iter().filter_map(|d| d.location.as_ref()?.field.as_deref()).collect();
        assert_eq!(
            paths,
            vec![
                "$.CFPackage.CFDocument.title",
                "$.CFPackage.CFItems[1].fullStatement",
                "$.CFPackage.CFAssociations[2].associationType"
            ]
        );
        let Err(ImportError::Invalid { diagnostics, .. }) =
            convert_case("{\"CFItems\": [", "cut.json", &graph_iri("x").unwrap())
        else {
            panic!("broken JSON was accepted");
        };
        assert_eq!(diagnostics[0].location.as_ref().unwrap().line, Some(1));
    }
}
