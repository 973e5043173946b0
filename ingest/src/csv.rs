//! CSV in and out, from a designer's spreadsheet template: one row per node.
//!
//! ```text
//! code,label_zh,label_en,kind,parent,prerequisites,grade,difficulty,learning_minutes
//! N.1,数数,Counting,knowledge_point,,,1,0.1,30
//! N.2,加法,Addition,knowledge_point,N,N.1,1,0.3,40
//! N,数与运算,Numbers,competency,,,,,
//! ```
//!
//! - `code` (required): the node's code (`skos:notation`); its IRI is the graph IRI, `/`, and
//!   the code. Codes are unique in a file.
//! - `label_LANG` (at least one): the preferred label in that language (`label_zh`, `label_en`).
//! - `kind`: knowledge_point (default), competency, course, major, micro_major, occupation,
//!   post, resource.
//! - `parent`: the code of the broader node (`skos:broader`), or a full IRI.
//! - `prerequisites`: codes (or IRIs) separated by `;` (`tupu:requires`).
//! - `grade`, `difficulty`, `learning_minutes`: as in the vocabulary.
//!
//! Quoting follows RFC 4180 (`"a, b"`, `""` for a quote). Every malformed row is reported with
//! its line and column, and nothing is imported. The export writes the same template.

use std::collections::{BTreeMap, BTreeSet};

use oxigraph::model::vocab::{rdf, xsd};
use oxigraph::model::{GraphName, Literal, NamedNode, NamedNodeRef, NamedOrBlankNode, Quad, Term};
use tupu_graph::vocab::{skos, tupu};
use tupu_graph::{Diagnostic, DiagnosticCode, GraphStore, Location};

use crate::error::ImportError;

/// The CSV records of `text` that hold a value, each with the line it starts on (from 1).
fn records(text: &str) -> Result<Vec<(u64, Vec<String>)>, (u64, String)> {
    let rows = crate::table::csv_records(text).map_err(|(line, m)| (line, m.to_owned()))?;
    Ok(rows.into_iter().filter(|(_, fields)| fields.iter().any(|f| !f.trim().is_empty())).collect())
}

fn class(kind: &str) -> Option<NamedNodeRef<'static>> {
    Some(match kind {
        "" | "knowledge_point" => tupu::KNOWLEDGE_POINT,
        "competency" => tupu::COMPETENCY,
        "course" => tupu::COURSE,
        "major" => tupu::MAJOR,
        "micro_major" => tupu::MICRO_MAJOR,
        "occupation" => tupu::OCCUPATION,
        "post" => tupu::POST,
        "resource" => tupu::RESOURCE,
        _ => return None,
    })
}

const KINDS: &[(&str, NamedNodeRef<'static>)] = &[
    ("knowledge_point", tupu::KNOWLEDGE_POINT),
    ("competency", tupu::COMPETENCY),
    ("course", tupu::COURSE),
    ("major", tupu::MAJOR),
    ("micro_major", tupu::MICRO_MAJOR),
    ("occupation", tupu::OCCUPATION),
    ("post", tupu::POST),
    ("resource", tupu::RESOURCE),
];

const NUMBERS: &[(&str, NamedNodeRef<'static>, bool)] = &[
    ("grade", tupu::GRADE_LEVEL, true),
    ("difficulty", tupu::DIFFICULTY, false),
    ("learning_minutes", tupu::LEARNING_MINUTES, false),
];

fn node_of(graph: &NamedNode, code: &str) -> Option<NamedNode> {
    NamedNode::new(format!("{}/{}", graph.as_str(), code.trim())).ok()
}

/// Converts template CSV into quads in `graph`; every malformed row is reported.
pub fn convert_csv(text: &str, file: &str, graph: &NamedNode) -> Result<Vec<Quad>, ImportError> {
    let fault = |line: u64, column: Option<&str>, message: String, hint: &str| {
        Diagnostic::violation(DiagnosticCode::InvalidInput, message).with_hint(hint).with_location(Location {
            file: file.to_owned(),
            line: Some(line),
            column: None,
            record: None,
            field: column.map(str::to_owned),
        })
    };
    let invalid = |diagnostics| ImportError::Invalid { path: file.to_owned(), diagnostics };
    let rows = records(text).map_err(|(line, m)| invalid(vec![fault(line, None, m, "close the quote with \"")]))?;
    let Some(((_, header), rows)) = rows.split_first() else {
        return Err(invalid(vec![fault(
            1,
            None,
            "the file is empty".to_owned(),
            "start with the header line: code,label_zh,label_en,parent,prerequisites",
        )]));
    };
    let header: Vec<String> = header.iter().map(|h| h.trim().to_lowercase()).collect();
    let mut problems = Vec::new();
    let known = |h: &str| {
        h == "code"
            || h == "kind"
            || h == "parent"
            || h == "prerequisites"
            || h.starts_with("label_")
            || NUMBERS.iter().any(|n| n.0 == h)
    };
    for h in &header {
        if !known(h) {
            problems.push(fault(
                1,
                Some(h),
                format!("unknown column '{h}'"),
                "columns: code, label_LANG, kind, parent, prerequisites, grade, difficulty, learning_minutes",
            ));
        }
    }
    let col = |name: &str| header.iter().position(|h| h == name);
    let Some(code_col) = col("code") else {
        problems.push(fault(1, None, "there is no 'code' column".to_owned(), "add a 'code' column: each node's code"));
        return Err(invalid(problems));
    };
    if !header.iter().any(|h| h.starts_with("label_")) {
        problems.push(fault(1, None, "there is no label column".to_owned(), "add label_zh and/or label_en"));
    }
    let g = GraphName::NamedNode(graph.clone());
    let mut codes: BTreeMap<String, u64> = BTreeMap::new();
    for (line, fields) in rows {
        let code = fields.get(code_col).map(|c| c.trim()).unwrap_or("");
        if code.is_empty() {
            problems.push(fault(*line, Some("code"), "the code is empty".to_owned(), "give every row a code"));
        } else if node_of(graph, code).is_none() {
            problems.push(fault(
                *line,
                Some("code"),
                format!("'{code}' cannot be part of an IRI"),
                "use letters, digits, '.', '-' and '_'",
            ));
        } else if let Some(first) = codes.insert(code.to_owned(), *line) {
            problems.push(fault(
                *line,
                Some("code"),
                format!("the code '{code}' is also on line {first}"),
                "codes are unique in a file",
            ));
        }
    }
    let reference = |text: &str| -> Option<NamedNode> {
        let text = text.trim();
        if codes.contains_key(text) {
            node_of(graph, text)
        } else if text.contains(':') {
            NamedNode::new(text).ok()
        } else {
            None
        }
    };
    let mut quads = Vec::new();
    for (line, fields) in rows {
        if fields.len() > header.len() {
            problems.push(fault(
                *line,
                None,
                format!("{} fields, but the header has {}", fields.len(), header.len()),
                "quote fields that contain commas",
            ));
            continue;
        }
        let cell = |name: &str| col(name).and_then(|i| fields.get(i)).map(|s| s.trim()).unwrap_or("");
        let Some(node) = node_of(graph, cell("code")).filter(|_| !cell("code").is_empty()) else { continue };
        let Some(class) = class(cell("kind")) else {
            problems.push(fault(
                *line,
                Some("kind"),
                format!("'{}' is not a kind", cell("kind")),
                "knowledge_point, competency, course, major, micro_major, occupation, post or resource",
            ));
            continue;
        };
        quads.push(Quad::new(node.clone(), rdf::TYPE, class, g.clone()));
        quads.push(Quad::new(node.clone(), skos::NOTATION, Literal::new_simple_literal(cell("code")), g.clone()));
        let mut labelled = false;
        for (i, h) in header.iter().enumerate() {
            let Some(lang) = h.strip_prefix("label_") else { continue };
            let text = fields.get(i).map(|s| s.trim()).unwrap_or("");
            if text.is_empty() {
                continue;
            }
            match Literal::new_language_tagged_literal(text, lang) {
                Ok(l) => {
                    quads.push(Quad::new(node.clone(), skos::PREF_LABEL, l, g.clone()));
                    labelled = true;
                }
                Err(_) => problems.push(fault(
                    1,
                    Some(h),
                    format!("'{lang}' is not a language tag"),
                    "name label columns label_zh, label_en, ...",
                )),
            }
        }
        if !labelled {
            problems.push(fault(
                *line,
                Some("label"),
                format!("'{}' has no label", cell("code")),
                "fill label_zh or label_en",
            ));
        }
        let parent = cell("parent");
        if !parent.is_empty() {
            match reference(parent) {
                Some(p) => quads.push(Quad::new(node.clone(), skos::BROADER, p, g.clone())),
                None => problems.push(fault(
                    *line,
                    Some("parent"),
                    format!("'{parent}' is not a code of this file nor an IRI"),
                    "give the parent's code as it appears in the code column",
                )),
            }
        }
        for pre in cell("prerequisites").split(';').map(str::trim).filter(|p| !p.is_empty()) {
            match reference(pre) {
                Some(p) => quads.push(Quad::new(node.clone(), tupu::REQUIRES, p, g.clone())),
                None => problems.push(fault(
                    *line,
                    Some("prerequisites"),
                    format!("'{pre}' is not a code of this file nor an IRI"),
                    "separate prerequisite codes with ';'",
                )),
            }
        }
        for &(name, predicate, integer) in NUMBERS {
            let text = cell(name);
            if text.is_empty() {
                continue;
            }
            let literal = if integer {
                text.parse::<i64>().ok().map(|v| Literal::new_typed_literal(v.to_string(), xsd::INTEGER))
            } else {
                text.parse::<f64>().ok().filter(|v| v.is_finite()).map(|_| {
                    let t = if text.contains('.') { text.to_owned() } else { format!("{text}.0") };
                    Literal::new_typed_literal(t, xsd::DECIMAL)
                })
            };
            match literal {
                Some(l) => quads.push(Quad::new(node.clone(), predicate, l, g.clone())),
                None => problems.push(fault(
                    *line,
                    Some(name),
                    format!("'{text}' is not a number"),
                    if integer { "write a whole number such as 3" } else { "write a number such as 0.4" },
                )),
            }
        }
    }
    if problems.is_empty() { Ok(quads) } else { Err(invalid(problems)) }
}

fn quote(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

/// A named graph written in the template: one row per typed node.
pub fn export_csv(store: &GraphStore, graph: &NamedNode) -> Result<String, ImportError> {
    let quads = store.graph_quads(graph)?;
    let mut nodes: BTreeMap<NamedNode, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    let mut langs = BTreeSet::new();
    for q in &quads {
        if let (NamedOrBlankNode::NamedNode(s), Term::NamedNode(o)) = (&q.subject, &q.object) {
            if q.predicate == rdf::TYPE {
                if let Some((kind, _)) = KINDS.iter().find(|(_, c)| *c == o.as_ref()) {
                    nodes.entry(s.clone()).or_default().insert("kind".to_owned(), vec![(*kind).to_owned()]);
                }
            }
        }
    }
    let code_of = |n: &NamedNode| -> String {
        quads
            .iter()
            .find_map(|q| match (&q.subject, &q.object) {
                (NamedOrBlankNode::NamedNode(s), Term::Literal(l))
                    if s == n && q.predicate.as_ref() == skos::NOTATION =>
                {
                    Some(l.value().to_owned())
                }
                _ => None,
            })
            .unwrap_or_else(|| n.as_str().to_owned())
    };
    let codes: BTreeMap<NamedNode, String> = nodes.keys().map(|n| (n.clone(), code_of(n))).collect();
    let reference = |n: &NamedNode| codes.get(n).cloned().unwrap_or_else(|| n.as_str().to_owned());
    for q in &quads {
        let NamedOrBlankNode::NamedNode(s) = &q.subject else { continue };
        let Some(row) = nodes.get_mut(s) else { continue };
        match &q.object {
            Term::Literal(l) if q.predicate.as_ref() == skos::PREF_LABEL => {
                if let Some(lang) = l.language() {
                    langs.insert(lang.to_owned());
                    row.entry(format!("label_{lang}")).or_default().push(l.value().to_owned());
                }
            }
            Term::NamedNode(o) if q.predicate.as_ref() == skos::BROADER => {
                row.entry("parent".to_owned()).or_default().push(reference(o))
            }
            Term::NamedNode(o) if q.predicate.as_ref() == tupu::REQUIRES => {
                row.entry("prerequisites".to_owned()).or_default().push(reference(o))
            }
            Term::Literal(l) => {
                if let Some((name, _, _)) = NUMBERS.iter().find(|(_, p, _)| q.predicate.as_ref() == *p) {
                    row.entry((*name).to_owned()).or_default().push(l.value().to_owned());
                }
            }
            _ => {}
        }
    }
    let mut columns: Vec<String> = vec!["code".to_owned()];
    columns.extend(langs.iter().map(|l| format!("label_{l}")));
    columns.extend(["kind", "parent", "prerequisites", "grade", "difficulty", "learning_minutes"].map(str::to_owned));
    let mut out = columns.join(",");
    out.push('\n');
    for (node, row) in &nodes {
        let cells: Vec<String> = columns
            .iter()
            .map(|c| match c.as_str() {
                "code" => quote(&codes[node]),
                other => {
                    let mut values = row.get(other).cloned().unwrap_or_default();
                    values.sort();
                    quote(&values.join(";"))
                }
            })
            .collect();
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use tupu_graph::{ChangeSet, GraphStore, graph_iri};

    use super::*;

    const TEMPLATE: &str = "code,label_zh,label_en,kind,parent,prerequisites,grade,difficulty,learning_minutes\n\
        N.1,数数,Counting,knowledge_point,N,,1,0.1,30\n\
        N.2,加法,\"Addition, within 20\",knowledge_point,N,N.1,1,0.3,40\n\
        N.3,减法,Subtraction,,N,N.1;N.2,2,0.4,\n\
        N,数与运算,Numbers,competency,,,,,\n";

    fn store() -> GraphStore {
        let store = GraphStore::in_memory().unwrap();
        crate::load_bundled(&store, false).unwrap();
        store
    }

    #[test]
    fn the_template_imports_and_exports_the_same_graph() {
        let (a, b) = (graph_iri("csv-a").unwrap(), graph_iri("csv-b").unwrap());
        let store = store();
        store.commit(ChangeSet::adding(convert_csv(TEMPLATE, "t.csv", &a).unwrap())).unwrap();
        let snapshot = store.snapshot();
        let subtraction = snapshot.resolve(&format!("{}/N.3", a.as_str())).unwrap();
        assert_eq!(snapshot.prerequisites(subtraction).count(), 2);
        assert_eq!(snapshot.label(subtraction, Some("zh")), "减法");
        let exported = export_csv(&store, &a).unwrap();
        assert!(exported.contains("\"Addition, within 20\""), "{exported}");
        store.commit(ChangeSet::adding(convert_csv(&exported, "e.csv", &b).unwrap())).unwrap();
        let of = |g: &NamedNode| -> BTreeSet<String> {
            store.graph_quads(g).unwrap().iter().map(|q| q.to_string().replace(g.as_str(), "G")).collect()
        };
        assert_eq!(of(&a), of(&b));
    }

    #[test]
    fn malformed_rows_are_named_by_line_and_nothing_is_imported() {
        let bad = "code,label_zh,prerequisites,grade\nA,甲,,1\nB,乙,Z,two\nA,丙,,\n\"C,丁,,\n";
        let Err(ImportError::Invalid { diagnostics, .. }) = convert_csv(bad, "bad.csv", &graph_iri("x").unwrap())
        else {
            panic!("a malformed file was accepted");
        };
        assert_eq!(diagnostics[0].location.as_ref().unwrap().line, Some(5), "{diagnostics:#?}");
        let bad = "code,label_zh,prerequisites,grade\nA,甲,,1\nB,乙,Z,two\nA,丙,,\n";
        let Err(ImportError::Invalid { diagnostics, .. }) = convert_csv(bad, "bad.csv", &graph_iri("x").unwrap())
        else {
            panic!("a malformed file was accepted");
        };
        let found: Vec<(u64, String)> = diagnostics
            .iter()
            .map(|d| {
                (
                    d.location.as_ref().unwrap().line.unwrap(),
                    d.location.as_ref().unwrap().field.clone().unwrap_or_default(),
                )
            })
            .collect();
        assert_eq!(
            found,
            vec![(4, "code".to_owned()), (3, "prerequisites".to_owned()), (3, "grade".to_owned())],
            "{diagnostics:#?}"
        );
    }
}
