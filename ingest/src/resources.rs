//! Importers of learning resources: JSON Lines, CSV, and the ChalkBase exercises.
//!
//! A resource becomes a `tupu:Resource` with schema.org / LRMI words: `skos:prefLabel` (title),
//! `schema:description`, `schema:text`, `tupu:resourceType`, `schema:inLanguage`,
//! `tupu:gradeLevel`, `tupu:learningMinutes` and `schema:timeRequired`, `schema:url`,
//! `schema:license`, and for each alignment the plain `tupu:teaches` / `tupu:assesses` edge
//! plus a `schema:AlignmentObject` carrying the confidence as `tupu:weight`.
//!
//! The formats are documented in `ingest/templates/README.md`, with a template of each. Every
//! row is checked; every bad row is reported by line and field; nothing is imported unless
//! every row is good.

use std::collections::HashSet;
use std::path::Path;

use oxigraph::model::vocab::{rdf, xsd};
use oxigraph::model::{GraphName, Literal, NamedNode, NamedNodeRef, Quad, Term};
use serde::Deserialize;
use tupu_graph::search::alignment_quads;
use tupu_graph::vocab::{schema, skos, tupu};
use tupu_graph::{Diagnostic, DiagnosticCode, GraphStore, Location, NodeKind, Relation, Snapshot};

use crate::chalkbase::CHALKBASE_NS;
use crate::error::ImportError;
use crate::rdf::{ImportReport, commit_quads};

/// Prefix of the IRIs minted for resource ids given without one.
pub const RESOURCE_NS: &str = "https://w3id.org/tupu/resource/";

/// The resource types the vocabulary allows.
pub const RESOURCE_TYPES: &[&str] = &["lesson", "exercise", "video", "text", "course", "assessment"];

/// The formats of resource files.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ResourceFormat {
    /// One JSON object a line.
    JsonLines,
    /// Comma-separated values with a header row.
    Csv,
    /// A ChalkBase folder's `exercises.json`.
    ChalkbaseExercises,
}

impl ResourceFormat {
    /// Parses `jsonl`, `resources-csv` or `chalkbase-exercises` (plain `csv` is the designers' node template).
    pub fn parse(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "jsonl" | "jsonlines" | "json-lines" | "ndjson" => Some(Self::JsonLines),
            "resources-csv" => Some(Self::Csv),
            "chalkbase-exercises" => Some(Self::ChalkbaseExercises),
            _ => None,
        }
    }
}

/// One resource as read from a file, before it is checked.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResourceRow {
    id: Option<String>,
    title: Option<String>,
    description: Option<String>,
    text: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    language: Option<String>,
    level: Option<serde_json::Value>,
    minutes: Option<serde_json::Value>,
    url: Option<String>,
    license: Option<String>,
    #[serde(default)]
    teaches: Vec<AlignmentRow>,
    #[serde(default)]
    assesses: Vec<AlignmentRow>,
    part_of: Option<String>,
}

/// An alignment as written: `"node"`, `"node@0.8"` or `{"node": ..., "confidence": ...}`.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
enum AlignmentRow {
    Text(String),
    Object { node: String, confidence: Option<f64> },
}

impl AlignmentRow {
    fn split(&self) -> (String, Option<String>) {
        match self {
            AlignmentRow::Text(t) => match t.rsplit_once('@') {
                Some((node, confidence)) => (node.trim().to_owned(), Some(confidence.trim().to_owned())),
                None => (t.trim().to_owned(), None),
            },
            AlignmentRow::Object { node, confidence } => (node.clone(), confidence.map(|c| c.to_string())),
        }
    }
}

/// Checks rows and turns them into quads, collecting every problem.
struct Builder<'a> {
    file: String,
    graph: GraphName,
    snapshot: &'a Snapshot,
    quads: Vec<Quad>,
    problems: Vec<Diagnostic>,
    seen: HashSet<String>,
}

impl Builder<'_> {
    fn problem(&mut self, line: u64, field: &str, message: String, hint: &str) {
        self.problems.push(Diagnostic::violation(DiagnosticCode::InvalidInput, message).with_hint(hint).with_location(
            Location {
                file: self.file.clone(),
                line: Some(line),
                column: None,
                record: None,
                field: Some(field.to_owned()),
            },
        ));
    }

    fn add(&mut self, s: &NamedNode, p: NamedNodeRef<'_>, o: impl Into<Term>) {
        self.quads.push(Quad::new(s.clone(), p, o, self.graph.clone()));
    }

    /// Checks one row (at `line`) and adds its quads when it is good.
    fn row(&mut self, line: u64, row: ResourceRow) {
        let before = self.problems.len();
        let id = row.id.as_deref().map(str::trim).unwrap_or_default();
        let iri = if id.is_empty() {
            self.problem(line, "id", "the resource has no id".into(), "give each resource a unique id or IRI");
            None
        } else {
            let text = if id.contains(':') { id.to_owned() } else { format!("{RESOURCE_NS}{id}") };
            match NamedNode::new(&text) {
                Ok(n) if !self.seen.insert(text.clone()) => {
                    self.problem(line, "id", format!("the id '{id}' appears twice"), "ids must be unique in a file");
                    Some(n)
                }
                Ok(n) => Some(n),
                Err(e) => {
                    self.problem(line, "id", format!("'{id}' is not a valid id: {e}"), "no spaces or <>\"{}|^` in ids");
                    None
                }
            }
        };
        let title = row.title.as_deref().map(str::trim).unwrap_or_default().to_owned();
        if title.is_empty() {
            self.problem(line, "title", "the resource has no title".into(), "every resource needs a title");
        }
        let kind = row.kind.as_deref().map(str::trim).unwrap_or_default().to_owned();
        if !kind.is_empty() && !RESOURCE_TYPES.contains(&kind.as_str()) {
            self.problem(
                line,
                "type",
                format!("unknown resource type '{kind}'"),
                "use lesson, exercise, video, text, course or assessment",
            );
        }
        let language = row.language.as_deref().map(str::trim).unwrap_or_default().to_owned();
        let valid_language = language.split('-').enumerate().all(|(i, part)| {
            let len_ok = if i == 0 { (2..=3).contains(&part.len()) } else { (1..=8).contains(&part.len()) };
            len_ok && part.chars().all(|c| c.is_ascii_alphanumeric())
        });
        if !language.is_empty() && !valid_language {
            self.problem(
                line,
                "language",
                format!("'{language}' is not a language tag"),
                "use a BCP 47 tag: zh, en, zh-Hans",
            );
        }
        let level = match &row.level {
            None | Some(serde_json::Value::Null) => None,
            Some(v) => match number(v).filter(|x| x.fract() == 0.0 && (1.0..=12.0).contains(x)) {
                Some(x) => Some(x as i64),
                None => {
                    self.problem(
                        line,
                        "level",
                        format!("level {v} is not a school grade"),
                        "give a whole number from 1 to 12",
                    );
                    None
                }
            },
        };
        let minutes = match &row.minutes {
            None | Some(serde_json::Value::Null) => None,
            Some(v) => match number(v).filter(|x| *x > 0.0 && x.is_finite()) {
                Some(x) => Some(x),
                None => {
                    self.problem(
                        line,
                        "minutes",
                        format!("minutes {v} is not a positive number"),
                        "give the typical time in minutes, e.g. 15",
                    );
                    None
                }
            },
        };
        let url = match row.url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
            None => None,
            Some(u) => match NamedNode::new(u) {
                Ok(n) if u.starts_with("http://") || u.starts_with("https://") => Some(n),
                _ => {
                    self.problem(line, "url", format!("'{u}' is not a web address"), "give an absolute http(s) URL");
                    None
                }
            },
        };
        let part_of = match row.part_of.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
            None => None,
            Some(p) => match self.snapshot.resolve(p) {
                Ok(n) => Some(NamedNode::new_unchecked(self.snapshot.iri(n))),
                Err(e) => {
                    self.problem(line, "part_of", e.to_string(), "name a course or unit of the graph");
                    None
                }
            },
        };
        let mut alignments = Vec::new();
        for (field, relation, rows) in [("teaches", "teaches", &row.teaches), ("assesses", "assesses", &row.assesses)] {
            for a in rows {
                let (node, confidence) = a.split();
                let target = match self.snapshot.resolve(&node) {
                    Ok(n) if self.snapshot.kind(n) == NodeKind::Resource => {
                        self.problem(
                            line,
                            field,
                            format!("'{node}' is a resource"),
                            "align resources to knowledge points or competencies",
                        );
                        None
                    }
                    Ok(n) => Some(NamedNode::new_unchecked(self.snapshot.iri(n))),
                    Err(e) => {
                        self.problem(line, field, e.to_string(), "name a node of the graph by IRI or local name");
                        None
                    }
                };
                let confidence = match confidence {
                    None => Some(1.0),
                    Some(c) => match c.parse::<f64>().ok().filter(|x| (0.0..=1.0).contains(x)) {
                        Some(x) => Some(x),
                        None => {
                            self.problem(
                                line,
                                field,
                                format!("confidence '{c}' of '{node}' is not in [0, 1]"),
                                "write node@0.8 with a confidence from 0 to 1",
                            );
                            None
                        }
                    },
                };
                if let (Some(t), Some(c)) = (target, confidence) {
                    alignments.push((relation, t, c));
                }
            }
        }
        let Some(r) = iri else { return };
        if self.problems.len() > before {
            return;
        }
        let lang = if language.is_empty() {
            if title.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) {
                "zh".to_owned()
            } else {
                "en".to_owned()
            }
        } else {
            language.clone()
        };
        self.add(&r, rdf::TYPE, tupu::RESOURCE);
        self.add(
            &r,
            skos::PREF_LABEL,
            Literal::new_language_tagged_literal_unchecked(&title, lang.to_ascii_lowercase()),
        );
        for (p, value) in [(schema::DESCRIPTION, &row.description), (schema::TEXT, &row.text)] {
            if let Some(v) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                self.add(&r, p, Literal::new_language_tagged_literal_unchecked(v, lang.to_ascii_lowercase()));
            }
        }
        if !kind.is_empty() {
            self.add(&r, tupu::RESOURCE_TYPE, Literal::new_simple_literal(&kind));
        }
        if !language.is_empty() {
            self.add(&r, schema::IN_LANGUAGE, Literal::new_simple_literal(&language));
        }
        if let Some(level) = level {
            self.add(&r, tupu::GRADE_LEVEL, Literal::new_typed_literal(level.to_string(), xsd::INTEGER));
        }
        if let Some(m) = minutes {
            self.add(&r, tupu::LEARNING_MINUTES, Literal::new_typed_literal(format!("{m:.1}"), xsd::DECIMAL));
            self.add(
                &r,
                schema::TIME_REQUIRED,
                Literal::new_typed_literal(format!("PT{}M", m.round() as u64), xsd::DURATION),
            );
        }
        if let Some(u) = url {
            self.add(&r, schema::URL, u);
        }
        if let Some(l) = row.license.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
            match NamedNode::new(l) {
                Ok(n) if l.starts_with("http") => self.add(&r, schema::LICENSE, n),
                _ => self.add(&r, schema::LICENSE, Literal::new_simple_literal(l)),
            }
        }
        if let Some(p) = part_of {
            self.add(&r, schema::IS_PART_OF, p);
        }
        for (relation, target, confidence) in alignments {
            let relation = if relation == "teaches" { Relation::Teaches } else { Relation::Assesses };
            self.quads.extend(alignment_quads(&r, relation, &target, confidence, &self.graph));
        }
    }
}

fn number(v: &serde_json::Value) -> Option<f64> {
    match v {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Reads resources from `path` in `format`, checks every row against the graph's current
/// snapshot and returns the quads for `graph`, or every problem found.
pub fn convert_resources(
    store: &GraphStore,
    path: &Path,
    format: ResourceFormat,
    graph: &NamedNode,
) -> Result<Vec<Quad>, ImportError> {
    let snapshot = store.snapshot();
    let mut b = Builder {
        file: path.display().to_string(),
        graph: GraphName::NamedNode(graph.clone()),
        snapshot: &snapshot,
        quads: Vec::new(),
        problems: Vec::new(),
        seen: HashSet::new(),
    };
    let read = |p: &Path| std::fs::read_to_string(p).map_err(|source| ImportError::Io { path: p.to_owned(), source });
    match format {
        ResourceFormat::JsonLines => {
            let text = read(path)?;
            for (i, line) in text.lines().enumerate() {
                let n = i as u64 + 1;
                if line.trim().is_empty() {
                    continue;
                }
                match serde_json::from_str::<ResourceRow>(line) {
                    Ok(row) => b.row(n, row),
                    Err(e) => b.problem(
                        n,
                        "(line)",
                        format!("not a resource object: {e}"),
                        "each line must be one JSON object with the documented fields",
                    ),
                }
            }
        }
        ResourceFormat::Csv => {
            let text = read(path)?;
            csv_rows(&text, &mut b);
        }
        ResourceFormat::ChalkbaseExercises => {
            let file = if path.is_dir() { path.join("exercises.json") } else { path.to_owned() };
            b.file = file.display().to_string();
            let bytes = read(&file)?;
            chalkbase_exercises(&bytes, &mut b);
        }
    }
    if b.problems.is_empty() {
        Ok(b.quads)
    } else {
        Err(ImportError::Invalid { path: path.display().to_string(), diagnostics: b.problems })
    }
}

/// Imports resources as one commit into `graph` (replacing its content when `replace`).
pub fn import_resources(
    store: &GraphStore,
    path: &Path,
    format: ResourceFormat,
    graph: &NamedNode,
    replace: bool,
) -> Result<ImportReport, ImportError> {
    let quads = convert_resources(store, path, format, graph)?;
    commit_quads(store, quads, graph, replace, format!("import resources from {}", path.display()))
}

/// The CSV columns, in the order of the template.
const CSV_COLUMNS: &[&str] = &[
    "id",
    "title",
    "description",
    "text",
    "type",
    "language",
    "level",
    "minutes",
    "url",
    "license",
    "teaches",
    "assesses",
    "part_of",
];

fn csv_rows(text: &str, b: &mut Builder<'_>) {
    let records = match parse_csv(text) {
        Ok(records) => records,
        Err((line, what)) => {
            b.problem(line, "(row)", what.to_owned(), "close the quote with \"");
            return;
        }
    };
    let Some((_, header)) = records.first() else {
        b.problem(1, "(header)", "the file is empty".into(), "start with the header row of the template");
        return;
    };
    let header: Vec<String> = header.iter().map(|h| h.trim().to_ascii_lowercase()).collect();
    for h in &header {
        if !CSV_COLUMNS.contains(&h.as_str()) {
            b.problem(1, h, format!("unknown column '{h}'"), "use the columns of the template: id,title,description,text,type,language,level,minutes,url,license,teaches,assesses,part_of");
        }
    }
    if !b.problems.is_empty() {
        return;
    }
    for (line, fields) in &records[1..] {
        if fields.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if fields.len() != header.len() {
            b.problem(
                *line,
                "(row)",
                format!("{} fields where the header has {}", fields.len(), header.len()),
                "quote fields that contain commas",
            );
            continue;
        }
        let get = |name: &str| -> Option<String> {
            header.iter().position(|h| h == name).map(|i| fields[i].clone()).filter(|v| !v.trim().is_empty())
        };
        let list = |name: &str| -> Vec<AlignmentRow> {
            get(name)
                .map(|v| {
                    v.split('|').filter(|s| !s.trim().is_empty()).map(|s| AlignmentRow::Text(s.to_owned())).collect()
                })
                .unwrap_or_default()
        };
        let row = ResourceRow {
            id: get("id"),
            title: get("title"),
            description: get("description"),
            text: get("text"),
            kind: get("type"),
            language: get("language"),
            level: get("level").map(serde_json::Value::String),
            minutes: get("minutes").map(serde_json::Value::String),
            url: get("url"),
            license: get("license"),
            teaches: list("teaches"),
            assesses: list("assesses"),
            part_of: get("part_of"),
        };
        b.row(*line, row);
    }
}

/// RFC 4180 records with the line each starts on: quoted fields may hold commas, doubled
/// quotes and line breaks; an unclosed quote is an error with its line. Linear in the text.
pub fn parse_csv(text: &str) -> Result<Vec<(u64, Vec<String>)>, (u64, &'static str)> {
    crate::table::csv_records(text)
}

#[derive(Deserialize)]
struct Exercise {
    id: String,
    lesson_id: Option<String>,
    primary_knowledge_point_id: Option<String>,
    #[serde(default)]
    secondary_knowledge_point_ids: Vec<String>,
    summary: Option<String>,
    text: Option<String>,
}

/// ChalkBase exercises: each assesses its primary knowledge point (confidence 1) and its
/// secondary ones (0.5), is part of its lesson, at the grade of its book.
fn chalkbase_exercises(bytes: &str, b: &mut Builder<'_>) {
    let exercises: Vec<Exercise> = match serde_json::from_str(bytes) {
        Ok(e) => e,
        Err(e) => {
            b.problem(
                e.line() as u64,
                "(file)",
                format!("not a ChalkBase exercise list: {e}"),
                "give the exercises.json of a ChalkBase folder",
            );
            return;
        }
    };
    for (i, e) in exercises.into_iter().enumerate() {
        let grade = e.lesson_id.as_deref().and_then(|l| l.get(1..2)).and_then(|g| g.parse::<u8>().ok());
        let mut assesses = Vec::new();
        if let Some(p) = &e.primary_knowledge_point_id {
            assesses.push(AlignmentRow::Object { node: format!("{CHALKBASE_NS}{p}"), confidence: Some(1.0) });
        }
        for s in &e.secondary_knowledge_point_ids {
            assesses.push(AlignmentRow::Object { node: format!("{CHALKBASE_NS}{s}"), confidence: Some(0.5) });
        }
        let part_of =
            e.lesson_id.as_ref().map(|l| format!("{CHALKBASE_NS}{l}")).filter(|l| b.snapshot.node_by_iri(l).is_some());
        let row = ResourceRow {
            id: Some(format!("{CHALKBASE_NS}{}", e.id)),
            title: e.summary.clone().or_else(|| e.text.clone()),
            text: e.text,
            kind: Some("exercise".into()),
            language: Some("zh".into()),
            level: grade.map(|g| serde_json::Value::from(g)),
            assesses,
            part_of,
            ..ResourceRow::default()
        };
        // Records of a JSON array are named by index; the line is the record's index + 1.
        b.row(i as u64 + 1, row);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_may_be_quoted_across_lines() {
        let rows = parse_csv("id,title\r\na,\"x, \"\"y\"\"\nz\"\nb,w\n").unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[1], (2, vec!["a".to_owned(), "x, \"y\"\nz".to_owned()]));
        assert_eq!(rows[2], (4, vec!["b".to_owned(), "w".to_owned()]));
    }
}
