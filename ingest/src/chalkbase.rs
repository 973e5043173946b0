//! Importer for the ChalkBase primary-mathematics knowledge graph (JSON files in one folder).
//!
//! Mapping (node IRIs are `https://w3id.org/tupu/chalkbase/` + the ChalkBase id):
//!
//! | ChalkBase | Tupu |
//! |---|---|
//! | knowledge point (`knowledge_points.json`) | `tupu:KnowledgePoint`: `skos:prefLabel` name, `skos:altLabel` aliases, `skos:notation` id, domain, topic, thread, mastery level, grade and teaching sequence of the lesson that introduces it |
//! | `prerequisite` edge A → B | `B tupu:requires A` |
//! | `builds_on` edge A → B | `B tupu:buildsOn A` |
//! | `related`, `confusable` | `tupu:relatedTo`, `tupu:confusableWith` |
//! | `extends` edge A → B (`edges_extends.json`) | `B tupu:extends A` |
//! | book, unit (`books.json`) | `tupu:Course`, units `schema:isPartOf` their book |
//! | lesson (`lessons.json`) | `tupu:Resource` of type `lesson`, `schema:isPartOf` its unit, `tupu:teaches` the points it introduces, `tupu:assesses` the points it practises |
//! | curriculum-standard item (`standard_coverage.json`) | `tupu:Competency`; each covered point `tupu:supports` it |
//!
//! Only names, codes and relations are imported; descriptions and texts stay out.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use oxigraph::model::vocab::{rdf, xsd};
use oxigraph::model::{GraphName, Literal, NamedNode, NamedNodeRef, Quad, Term};
use serde::Deserialize;
use tupu_graph::vocab::{schema, skos, tupu};
use tupu_graph::{Diagnostic, DiagnosticCode, GraphStore, Location};

use crate::error::ImportError;
use crate::rdf::{ImportReport, commit_quads};

/// Namespace of ChalkBase node IRIs.
pub const CHALKBASE_NS: &str = "https://w3id.org/tupu/chalkbase/";

#[derive(Deserialize)]
struct KnowledgePoint {
    id: String,
    name: String,
    #[serde(default)]
    aliases: Vec<String>,
    domain: Option<String>,
    topic: Option<String>,
    thread: Option<String>,
    mastery_level: Option<String>,
    first_introduced_lesson_id: Option<String>,
}

#[derive(Deserialize)]
struct EdgeRecord {
    #[serde(rename = "type")]
    kind: String,
    from_knowledge_point_id: String,
    to_knowledge_point_id: String,
}

#[derive(Deserialize)]
struct BookRecord {
    book: Book,
    #[serde(default)]
    units: Vec<Unit>,
}

#[derive(Deserialize)]
struct Book {
    id: String,
    grade: u8,
    title: String,
}

#[derive(Deserialize)]
struct Unit {
    id: String,
    index: i64,
    title: String,
    #[serde(default)]
    lesson_ids: Vec<String>,
}

#[derive(Deserialize)]
struct Lesson {
    id: String,
    unit_id: String,
    index: i64,
    title: String,
    #[serde(default)]
    intro_knowledge_point_ids: Vec<String>,
    #[serde(default)]
    practice_knowledge_point_ids: Vec<String>,
}

#[derive(Deserialize)]
struct StandardCoverage {
    items: Vec<StandardItem>,
}

#[derive(Deserialize)]
struct StandardItem {
    item_id: String,
    domain: Option<String>,
    text: String,
    #[serde(default)]
    kp_ids: Vec<String>,
}

#[derive(Deserialize)]
struct Manifest {
    data_version: Option<String>,
}

/// Collects quads and problems while the files are converted.
struct Converter {
    graph: GraphName,
    quads: Vec<Quad>,
    problems: Vec<Diagnostic>,
    folder: PathBuf,
}

impl Converter {
    fn iri(&mut self, id: &str, file: &str, record: usize, field: &str) -> Option<NamedNode> {
        match NamedNode::new(format!("{CHALKBASE_NS}{id}")) {
            Ok(n) => Some(n),
            Err(e) => {
                self.problem(
                    file,
                    record,
                    field,
                    format!("'{id}' cannot be part of an IRI: {e}"),
                    "remove spaces and <>\"{}|^` from ids",
                );
                None
            }
        }
    }

    fn problem(&mut self, file: &str, record: usize, field: &str, message: String, hint: &str) {
        self.problems.push(Diagnostic::violation(DiagnosticCode::InvalidInput, message).with_hint(hint).with_location(
            Location {
                file: self.folder.join(file).display().to_string(),
                line: None,
                column: None,
                record: Some(record as u64),
                field: Some(field.to_owned()),
            },
        ));
    }

    fn add(&mut self, s: &NamedNode, p: NamedNodeRef<'_>, o: impl Into<Term>) {
        self.quads.push(Quad::new(s.clone(), p, o, self.graph.clone()));
    }

    fn text(&mut self, s: &NamedNode, p: NamedNodeRef<'_>, value: &str) {
        self.add(s, p, Literal::new_simple_literal(value));
    }

    fn zh(&mut self, s: &NamedNode, p: NamedNodeRef<'_>, value: &str) {
        let literal = Literal::new_language_tagged_literal_unchecked(value, "zh");
        self.add(s, p, literal);
    }

    fn integer(&mut self, s: &NamedNode, p: NamedNodeRef<'_>, value: i64) {
        self.add(s, p, Literal::new_typed_literal(value.to_string(), xsd::INTEGER));
    }

    fn read<T: for<'de> Deserialize<'de>>(&mut self, file: &str) -> Result<Option<T>, ImportError> {
        let path = self.folder.join(file);
        let bytes = std::fs::read(&path).map_err(|source| ImportError::Io { path: path.clone(), source })?;
        match serde_json::from_slice(&bytes) {
            Ok(v) => Ok(Some(v)),
            Err(e) => {
                self.problems.push(
                    Diagnostic::violation(DiagnosticCode::SyntaxError, e.to_string())
                        .with_hint("the file must be the ChalkBase JSON layout; fix the record at this position")
                        .with_location(Location {
                            file: path.display().to_string(),
                            line: Some(e.line() as u64),
                            column: Some(e.column() as u64),
                            record: None,
                            field: None,
                        }),
                );
                Ok(None)
            }
        }
    }
}

/// Converts a ChalkBase folder into quads of `graph`. Every problem found is reported together.
pub fn convert_chalkbase(folder: &Path, graph: &NamedNode) -> Result<Vec<Quad>, ImportError> {
    let mut c = Converter {
        graph: GraphName::NamedNode(graph.clone()),
        quads: Vec::new(),
        problems: Vec::new(),
        folder: folder.to_owned(),
    };
    let manifest: Option<Manifest> = c.read("manifest.json")?;
    let kps: Vec<KnowledgePoint> = c.read("knowledge_points.json")?.unwrap_or_default();
    let relations: Vec<EdgeRecord> = c.read("edges_relations.json")?.unwrap_or_default();
    let extends: Vec<EdgeRecord> = c.read("edges_extends.json")?.unwrap_or_default();
    let books: Vec<BookRecord> = c.read("books.json")?.unwrap_or_default();
    let lessons: Vec<Lesson> = c.read("lessons.json")?.unwrap_or_default();
    let standard: Option<StandardCoverage> = c.read("standard_coverage.json")?;

    // The framework node.
    if let Ok(framework) = NamedNode::new(format!("{CHALKBASE_NS}chalkbase")) {
        c.add(&framework, rdf::TYPE, tupu::FRAMEWORK);
        c.zh(&framework, skos::PREF_LABEL, "北师大版小学数学知识图谱");
        c.add(
            &framework,
            skos::PREF_LABEL,
            Literal::new_language_tagged_literal_unchecked("ChalkBase primary mathematics (BNU edition)", "en"),
        );
        c.text(&framework, tupu::SOURCE, "https://github.com/Scorpioyyy/chalkbase");
        if let Some(version) = manifest.and_then(|m| m.data_version) {
            c.text(&framework, tupu::VERSION, &version);
        }
    }

    // Books and units, and the teaching order of lessons.
    let mut lesson_order: HashMap<String, (i64, u8)> = HashMap::new();
    let mut unit_ids = HashSet::new();
    for (i, record) in books.iter().enumerate() {
        let Some(book) = c.iri(&record.book.id, "books.json", i, "book.id") else {
            continue;
        };
        c.add(&book, rdf::TYPE, tupu::COURSE);
        c.zh(&book, skos::PREF_LABEL, &record.book.title);
        c.text(&book, skos::NOTATION, &record.book.id);
        c.text(&book, tupu::SUBJECT, "mathematics");
        c.integer(&book, tupu::GRADE_LEVEL, i64::from(record.book.grade));
        c.integer(&book, tupu::POSITION, i as i64 + 1);
        for unit in &record.units {
            let Some(u) = c.iri(&unit.id, "books.json", i, "units.id") else {
                continue;
            };
            unit_ids.insert(unit.id.clone());
            c.add(&u, rdf::TYPE, tupu::COURSE);
            c.zh(&u, skos::PREF_LABEL, &unit.title);
            c.text(&u, skos::NOTATION, &unit.id);
            c.add(&u, schema::IS_PART_OF, book.clone());
            c.integer(&u, tupu::POSITION, unit.index);
            for lesson in &unit.lesson_ids {
                let next = lesson_order.len() as i64 + 1;
                lesson_order.entry(lesson.clone()).or_insert((next, record.book.grade));
            }
        }
    }

    let kp_ids: HashSet<&str> = kps.iter().map(|k| k.id.as_str()).collect();
    let check_kp = |c: &mut Converter, id: &str, file: &str, record: usize, field: &str| -> Option<NamedNode> {
        if kp_ids.contains(id) {
            c.iri(id, file, record, field)
        } else {
            c.problem(
                file,
                record,
                field,
                format!("unknown knowledge point '{id}'"),
                "use an id from knowledge_points.json",
            );
            None
        }
    };

    for (i, kp) in kps.iter().enumerate() {
        let Some(node) = c.iri(&kp.id, "knowledge_points.json", i, "id") else {
            continue;
        };
        c.add(&node, rdf::TYPE, tupu::KNOWLEDGE_POINT);
        c.zh(&node, skos::PREF_LABEL, &kp.name);
        for alias in &kp.aliases {
            c.zh(&node, skos::ALT_LABEL, alias);
        }
        c.text(&node, skos::NOTATION, &kp.id);
        c.text(&node, tupu::SUBJECT, "mathematics");
        for (p, v) in [(tupu::DOMAIN, &kp.domain), (tupu::TOPIC, &kp.topic), (tupu::THREAD, &kp.thread)] {
            if let Some(v) = v {
                c.text(&node, p, v);
            }
        }
        if let Some(level) = &kp.mastery_level {
            if tupu_graph::MasteryLevel::parse(level).is_some() {
                c.text(&node, tupu::MASTERY_LEVEL, level);
            } else {
                c.problem(
                    "knowledge_points.json",
                    i,
                    "mastery_level",
                    format!("unknown mastery level '{level}'"),
                    "use know, understand, master or apply",
                );
            }
        }
        if let Some(lesson) = &kp.first_introduced_lesson_id {
            match lesson_order.get(lesson) {
                Some(&(sequence, grade)) => {
                    c.integer(&node, tupu::SEQUENCE, sequence);
                    c.integer(&node, tupu::GRADE_LEVEL, i64::from(grade));
                }
                None => c.problem(
                    "knowledge_points.json",
                    i,
                    "first_introduced_lesson_id",
                    format!("unknown lesson '{lesson}'"),
                    "use a lesson id listed in books.json",
                ),
            }
        }
    }

    for (file, records) in [("edges_relations.json", &relations), ("edges_extends.json", &extends)] {
        for (i, e) in records.iter().enumerate() {
            let predicate = match e.kind.as_str() {
                "prerequisite" => tupu::REQUIRES,
                "builds_on" => tupu::BUILDS_ON,
                "related" => tupu::RELATED_TO,
                "confusable" => tupu::CONFUSABLE_WITH,
                "extends" => tupu::EXTENDS,
                other => {
                    c.problem(
                        file,
                        i,
                        "type",
                        format!("unknown edge type '{other}'"),
                        "use prerequisite, builds_on, related, confusable or extends",
                    );
                    continue;
                }
            };
            let from = check_kp(&mut c, &e.from_knowledge_point_id, file, i, "from_knowledge_point_id");
            let to = check_kp(&mut c, &e.to_knowledge_point_id, file, i, "to_knowledge_point_id");
            if let (Some(from), Some(to)) = (from, to) {
                // ChalkBase edges point from the earlier idea to the later one.
                c.add(&to, predicate, from);
            }
        }
    }

    for (i, lesson) in lessons.iter().enumerate() {
        let Some(node) = c.iri(&lesson.id, "lessons.json", i, "id") else {
            continue;
        };
        c.add(&node, rdf::TYPE, tupu::RESOURCE);
        c.text(&node, tupu::RESOURCE_TYPE, "lesson");
        c.zh(&node, skos::PREF_LABEL, &lesson.title);
        c.text(&node, skos::NOTATION, &lesson.id);
        c.integer(&node, tupu::POSITION, lesson.index);
        if let Some(&(sequence, grade)) = lesson_order.get(&lesson.id) {
            c.integer(&node, tupu::SEQUENCE, sequence);
            c.integer(&node, tupu::GRADE_LEVEL, i64::from(grade));
        }
        if unit_ids.contains(&lesson.unit_id) {
            if let Some(unit) = c.iri(&lesson.unit_id, "lessons.json", i, "unit_id") {
                c.add(&node, schema::IS_PART_OF, unit);
            }
        } else {
            c.problem(
                "lessons.json",
                i,
                "unit_id",
                format!("unknown unit '{}'", lesson.unit_id),
                "use a unit id listed in books.json",
            );
        }
        for kp in &lesson.intro_knowledge_point_ids {
            if let Some(kp) = check_kp(&mut c, kp, "lessons.json", i, "intro_knowledge_point_ids") {
                c.add(&node, tupu::TEACHES, kp);
            }
        }
        for kp in &lesson.practice_knowledge_point_ids {
            if let Some(kp) = check_kp(&mut c, kp, "lessons.json", i, "practice_knowledge_point_ids") {
                c.add(&node, tupu::ASSESSES, kp);
            }
        }
    }

    for (i, item) in standard.map(|s| s.items).unwrap_or_default().iter().enumerate() {
        let Some(node) = c.iri(&item.item_id, "standard_coverage.json", i, "item_id") else {
            continue;
        };
        c.add(&node, rdf::TYPE, tupu::COMPETENCY);
        c.zh(&node, skos::PREF_LABEL, &item.text);
        c.text(&node, skos::NOTATION, &item.item_id);
        c.text(&node, tupu::SUBJECT, "mathematics");
        if let Some(domain) = &item.domain {
            c.text(&node, tupu::DOMAIN, domain);
        }
        for kp in &item.kp_ids {
            if let Some(kp) = check_kp(&mut c, kp, "standard_coverage.json", i, "kp_ids") {
                c.add(&kp, tupu::SUPPORTS, node.clone());
            }
        }
    }

    if c.problems.is_empty() {
        Ok(c.quads)
    } else {
        Err(ImportError::Invalid { path: folder.display().to_string(), diagnostics: c.problems })
    }
}

/// Imports a ChalkBase folder as one commit into `graph`.
pub fn import_chalkbase(
    store: &GraphStore,
    folder: &Path,
    graph: &NamedNode,
    replace: bool,
) -> Result<ImportReport, ImportError> {
    let quads = convert_chalkbase(folder, graph)?;
    commit_quads(store, quads, graph, replace, format!("import ChalkBase from {}", folder.display()))
}
