//! Employment data in JSON Lines (`tupu import --format employment FILE`): programmes (majors,
//! micro-majors, courses) with the competencies they develop, posts with the competencies they
//! require, and graduate cohorts, one JSON object a line, told apart by `type`. The format is
//! documented in `ingest/templates/README.md` with a template (`employment.jsonl`).
//!
//! Competencies, occupations and programmes are named by IRI or local name and must be in the
//! graph (or, for programmes, earlier in the file). A programme or post whose id names a node
//! already in the graph gets the new statements added to it (e.g. the competency profile of a
//! catalogue major); other ids are minted under [`EMPLOYMENT_NS`]. Every row is checked; every
//! problem is reported by line and field; nothing is imported unless every row is good.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use oxigraph::model::vocab::{rdf, xsd};
use oxigraph::model::{Literal, NamedNode, NamedNodeRef, Quad, Term};
use serde::Deserialize;
use tupu_graph::vocab::{schema, skos, tupu};
use tupu_graph::{GraphStore, NodeKind, Snapshot};

use crate::error::ImportError;
use crate::rdf::{ImportReport, commit_quads};
use crate::table::{Sink, qualified_quads};

/// Prefix of the IRIs minted for programmes, posts and cohorts given without one.
pub const EMPLOYMENT_NS: &str = "https://w3id.org/tupu/employment/";

/// One record as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Record {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    label_zh: Option<String>,
    #[serde(default)]
    label_en: Option<String>,
    /// Official code (`skos:notation`).
    #[serde(default)]
    code: Option<String>,
    /// Hours of study of a programme.
    #[serde(default)]
    hours: Option<f64>,
    /// Programme → competencies developed.
    #[serde(default)]
    develops: Vec<Competence>,
    /// Post → competencies required.
    #[serde(default)]
    requires: Vec<Competence>,
    /// Post: its occupation.
    #[serde(default)]
    occupation: Option<String>,
    /// Post: openings.
    #[serde(default)]
    openings: Option<i64>,
    /// Post or cohort: region.
    #[serde(default)]
    region: Option<String>,
    /// Post: date posted, `YYYY-MM-DD`.
    #[serde(default)]
    date: Option<String>,
    /// Post: its text.
    #[serde(default)]
    text: Option<String>,
    /// Cohort: the programme completed.
    #[serde(default)]
    programme: Option<String>,
    /// Cohort: number of graduates.
    #[serde(default)]
    graduates: Option<i64>,
    /// Cohort: institution.
    #[serde(default)]
    institution: Option<String>,
    /// Cohort: year of graduation.
    #[serde(default)]
    year: Option<i64>,
}

/// A competency developed or required, with its qualification.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Competence {
    competency: String,
    #[serde(default)]
    level: Option<i64>,
    #[serde(default)]
    weight: Option<f64>,
    #[serde(default)]
    essential: Option<bool>,
}

struct Builder<'a> {
    file: String,
    snapshot: &'a Snapshot,
    sink: Sink,
    /// Ids defined in the file, with their kind.
    defined: HashMap<String, NodeKind>,
    seen: HashSet<String>,
    /// The target graph is replaced: what it holds now does not count as already there.
    replacing: bool,
    store: &'a GraphStore,
}

fn kind_of(name: &str) -> Option<NodeKind> {
    match name {
        "major" => Some(NodeKind::Major),
        "micro_major" => Some(NodeKind::MicroMajor),
        "course" => Some(NodeKind::Course),
        "post" => Some(NodeKind::Post),
        _ => None,
    }
}

fn class_of(kind: NodeKind) -> NamedNodeRef<'static> {
    match kind {
        NodeKind::Major => tupu::MAJOR,
        NodeKind::MicroMajor => tupu::MICRO_MAJOR,
        NodeKind::Course => tupu::COURSE,
        _ => tupu::POST,
    }
}

impl Builder<'_> {
    /// Whether the store states `s p o` (any object when `o` is `None`) in a graph that stays:
    /// any graph, or when the target graph is replaced, another one.
    fn stated(&self, s: &str, p: NamedNodeRef<'_>, o: Option<&str>) -> bool {
        let subject = NamedNode::new_unchecked(s);
        let object = o.map(|o| Term::from(NamedNode::new_unchecked(o)));
        self.store
            .store()
            .quads_for_pattern(Some(subject.as_ref().into()), Some(p), object.as_ref().map(|o| o.as_ref()), None)
            .filter_map(Result::ok)
            .any(|q| !self.replacing || q.graph_name != self.sink.graph)
    }

    fn problem(&mut self, line: u64, field: &str, message: String, hint: &str) {
        self.sink.problem(&self.file, line, field, message, hint);
    }

    fn add(&mut self, s: &NamedNode, p: NamedNodeRef<'_>, o: impl Into<Term>) {
        self.sink.add(s, p, o);
    }

    /// A node of the graph (or defined earlier in the file) of one of `kinds`.
    fn node(&mut self, line: u64, field: &str, id: &str, kinds: &[NodeKind]) -> Option<NamedNode> {
        let id = id.trim();
        let earlier = self.defined.get(&self.mint(id)).map(|&k| (self.mint(id), k)).or_else(|| {
            self.defined.iter().find(|(iri, _)| tupu_graph::local_name(iri) == id).map(|(iri, &k)| (iri.clone(), k))
        });
        if let Some((iri, kind)) = earlier {
            if kinds.contains(&kind) {
                return Some(NamedNode::new_unchecked(iri));
            }
        }
        let wanted: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
        match self.snapshot.resolve(id) {
            Ok(n) if kinds.contains(&self.snapshot.kind(n)) => Some(NamedNode::new_unchecked(self.snapshot.iri(n))),
            Ok(n) => {
                let message = format!("'{id}' is a {}, not a {}", self.snapshot.kind(n).as_str(), wanted.join(" or "));
                self.problem(line, field, message, "name a node of the kind asked for");
                None
            }
            Err(e) => {
                let hint = format!("name a {} of the graph by IRI or local name", wanted.join(" or "));
                self.problem(line, field, e.to_string(), &hint);
                None
            }
        }
    }

    /// The IRI of a new node: the id itself when it is an IRI, else minted.
    fn mint(&self, id: &str) -> String {
        if id.contains(':') { id.to_owned() } else { format!("{EMPLOYMENT_NS}{id}") }
    }

    /// The subject of a programme or post: an existing node of that kind, or a new one.
    fn subject(&mut self, line: u64, id: Option<&str>, kind: NodeKind) -> Option<(NamedNode, bool)> {
        let id = id.map(str::trim).unwrap_or_default();
        if id.is_empty() {
            self.problem(line, "id", format!("the {} has no id", kind.as_str()), "give each record a unique id");
            return None;
        }
        let elsewhere = |b: &Self, n| b.stated(b.snapshot.iri(n), rdf::TYPE, None);
        if let Some(n) = self.snapshot.resolve(id).ok().filter(|&n| elsewhere(self, n)) {
            let iri = self.snapshot.iri(n).to_owned();
            if self.snapshot.kind(n) != kind {
                let message = format!("'{id}' is already a {} in the graph", self.snapshot.kind(n).as_str());
                self.problem(line, "id", message, "use another id, or the type of the existing node");
                return None;
            }
            if !self.seen.insert(iri.clone()) {
                self.problem(line, "id", format!("'{id}' appears twice"), "give each record once");
                return None;
            }
            return Some((NamedNode::new_unchecked(iri), true));
        }
        let iri = self.mint(id);
        match NamedNode::new(&iri) {
            Ok(n) if self.seen.insert(iri.clone()) => {
                self.defined.insert(iri, kind);
                Some((n, false))
            }
            Ok(_) => {
                self.problem(line, "id", format!("'{id}' appears twice"), "give each record once");
                None
            }
            Err(e) => {
                self.problem(line, "id", format!("'{id}' is not a valid id: {e}"), "no spaces or <>\"{}|^` in ids");
                None
            }
        }
    }

    /// Checks and adds the qualified `develops` or `requires` list of `holder`.
    fn competences(&mut self, line: u64, holder: &NamedNode, list: &[Competence], develops: bool) {
        let field = if develops { "develops" } else { "requires" };
        let mut seen = HashSet::new();
        for (i, c) in list.iter().enumerate() {
            let at = format!("{field}[{i}]");
            let comp = self.node(line, &format!("{at}.competency"), &c.competency, &[NodeKind::Competency]);
            let level = match c.level {
                None => None,
                Some(l @ 1..=8) => Some(l),
                Some(l) => {
                    self.problem(line, &format!("{at}.level"), format!("level {l} is out of range"), "give 1 to 8");
                    None
                }
            };
            let weight = match c.weight {
                None => None,
                Some(w) if (0.0..=1.0).contains(&w) => Some(w),
                Some(w) => {
                    self.problem(line, &format!("{at}.weight"), format!("weight {w} is outside [0, 1]"), "give 0 to 1");
                    None
                }
            };
            if develops && c.essential.is_some() {
                self.problem(
                    line,
                    &format!("{at}.essential"),
                    "a programme's competencies are not essential or optional".into(),
                    "give essential only on a post's requires",
                );
            }
            let Some(comp) = comp else { continue };
            let predicate = if develops { tupu::DEVELOPS } else { tupu::REQUIRES_COMPETENCY };
            let already = self.stated(holder.as_str(), predicate, Some(comp.as_str()));
            if already {
                self.problem(
                    line,
                    &format!("{at}.competency"),
                    format!(
                        "'{}' already {field} '{}' in the graph",
                        tupu_graph::local_name(holder.as_str()),
                        c.competency
                    ),
                    "leave it out, or change the existing one with an edit (or re-import its graph with --replace)",
                );
                continue;
            }
            if !seen.insert(comp.clone()) {
                self.problem(
                    line,
                    &format!("{at}.competency"),
                    format!("'{}' is listed twice", c.competency),
                    "list each competency once",
                );
                continue;
            }
            let essential = (!develops).then(|| c.essential.unwrap_or(true));
            let quads = qualified_quads(
                holder,
                &comp,
                essential,
                weight.map(|w| w as f32),
                level.unwrap_or(0) as u8,
                &self.sink.graph,
            );
            self.sink.quads.extend(quads);
        }
    }

    fn labels(&mut self, line: u64, s: &NamedNode, r: &Record, existing: bool) {
        let zh = r.label_zh.as_deref().map(str::trim).filter(|l| !l.is_empty());
        let en = r.label_en.as_deref().map(str::trim).filter(|l| !l.is_empty());
        if zh.is_none() && en.is_none() && !existing {
            self.problem(line, "label_zh", "a new node needs a name".into(), "give label_zh, label_en or both");
        }
        for (text, lang) in [(zh, "zh"), (en, "en")] {
            if let Some(t) = text {
                self.add(s, skos::PREF_LABEL, Literal::new_language_tagged_literal_unchecked(t, lang));
            }
        }
        if let Some(code) = r.code.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            self.add(s, skos::NOTATION, Literal::new_simple_literal(code));
        }
    }

    fn record(&mut self, line: u64, r: Record) {
        let unused = |present: bool, field: &str, b: &mut Self| {
            if present {
                b.problem(
                    line,
                    field,
                    format!("'{field}' does not apply to a {}", r.kind),
                    "see the format's table of fields",
                );
            }
        };
        if r.kind == "cohort" {
            for (present, field) in [
                (r.id.is_some(), "id"),
                (!r.develops.is_empty(), "develops"),
                (!r.requires.is_empty(), "requires"),
                (r.occupation.is_some(), "occupation"),
                (r.openings.is_some(), "openings"),
                (r.date.is_some(), "date"),
                (r.hours.is_some(), "hours"),
            ] {
                unused(present, field, self);
            }
            return self.cohort(line, &r);
        }
        let Some(kind) = kind_of(r.kind.trim()) else {
            let message = format!("unknown type '{}'", r.kind);
            return self.problem(line, "type", message, "use major, micro_major, course, post or cohort");
        };
        let Some((s, existing)) = self.subject(line, r.id.as_deref(), kind) else { return };
        if !existing {
            self.add(&s, rdf::TYPE, class_of(kind));
        }
        self.labels(line, &s, &r, existing);
        if kind == NodeKind::Post {
            for (present, field) in [
                (!r.develops.is_empty(), "develops"),
                (r.hours.is_some(), "hours"),
                (r.programme.is_some(), "programme"),
                (r.graduates.is_some(), "graduates"),
                (r.institution.is_some(), "institution"),
                (r.year.is_some(), "year"),
            ] {
                unused(present, field, self);
            }
            self.post(line, &s, &r);
        } else {
            for (present, field) in [
                (!r.requires.is_empty(), "requires"),
                (r.occupation.is_some(), "occupation"),
                (r.openings.is_some(), "openings"),
                (r.region.is_some(), "region"),
                (r.date.is_some(), "date"),
                (r.text.is_some(), "text"),
                (r.programme.is_some(), "programme"),
                (r.graduates.is_some(), "graduates"),
                (r.institution.is_some(), "institution"),
                (r.year.is_some(), "year"),
            ] {
                unused(present, field, self);
            }
            match r.hours {
                None => {}
                Some(h) if h > 0.0 && h.is_finite() => self.add(
                    &s,
                    tupu::LEARNING_MINUTES,
                    Literal::new_typed_literal(format!("{}", h * 60.0), xsd::DECIMAL),
                ),
                Some(h) => self.problem(
                    line,
                    "hours",
                    format!("{h} hours is not a positive number"),
                    "give the hours of study, e.g. 160",
                ),
            }
            self.competences(line, &s, &r.develops, true);
        }
    }

    fn post(&mut self, line: u64, s: &NamedNode, r: &Record) {
        if let Some(o) = r.occupation.as_deref() {
            if let Some(o) = self.node(line, "occupation", o, &[NodeKind::Occupation]) {
                self.add(s, tupu::OCCUPATION_PROP, o);
            }
        }
        match r.openings {
            None => {}
            Some(n) if n >= 0 => {
                self.add(s, schema::TOTAL_JOB_PLACES, Literal::new_typed_literal(n.to_string(), xsd::INTEGER))
            }
            Some(n) => {
                self.problem(line, "openings", format!("{n} openings"), "give a whole number of openings, 0 or more")
            }
        }
        if let Some(region) = r.region.as_deref().map(str::trim).filter(|x| !x.is_empty()) {
            self.add(s, schema::ADDRESS_REGION, Literal::new_simple_literal(region));
        }
        if let Some(date) = r.date.as_deref().map(str::trim) {
            if tupu_graph::is_iso_date(date) {
                self.add(s, schema::DATE_POSTED, Literal::new_typed_literal(date, xsd::DATE));
            } else {
                self.problem(
                    line,
                    "date",
                    format!("'{date}' is not a date"),
                    "write it as YYYY-MM-DD, e.g. 2026-07-18",
                );
            }
        }
        if let Some(text) = r.text.as_deref().map(str::trim).filter(|x| !x.is_empty()) {
            self.add(s, schema::DESCRIPTION, Literal::new_simple_literal(text));
        }
        if r.requires.is_empty() && r.occupation.is_none() {
            self.problem(
                line,
                "requires",
                "the post requires no competency and names no occupation".into(),
                "list its required competencies, or name its occupation",
            );
        }
        self.competences(line, s, &r.requires, false);
    }

    fn cohort(&mut self, line: u64, r: &Record) {
        let programme = match r.programme.as_deref() {
            Some(p) => self.node(line, "programme", p, &[NodeKind::Major, NodeKind::MicroMajor, NodeKind::Course]),
            None => {
                self.problem(
                    line,
                    "programme",
                    "the cohort names no programme".into(),
                    "give the major, micro-major or course",
                );
                None
            }
        };
        let graduates = match r.graduates {
            Some(n) if n >= 0 => Some(n),
            Some(n) => {
                self.problem(line, "graduates", format!("{n} graduates"), "give a whole number, 0 or more");
                None
            }
            None => {
                self.problem(line, "graduates", "the cohort gives no number of graduates".into(), "give graduates: N");
                None
            }
        };
        let year = match r.year {
            None => None,
            Some(y @ 1900..=2200) => Some(y),
            Some(y) => {
                self.problem(line, "year", format!("{y} is not a year"), "give the year of graduation, e.g. 2026");
                None
            }
        };
        let (Some(p), Some(n)) = (programme, graduates) else { return };
        let institution = r.institution.as_deref().map(str::trim).filter(|x| !x.is_empty());
        let region = r.region.as_deref().map(str::trim).filter(|x| !x.is_empty());
        // One cohort per programme, institution, region and year.
        let key =
            format!("{}|{}|{}|{}", p.as_str(), institution.unwrap_or(""), region.unwrap_or(""), year.unwrap_or(0));
        // FNV-1a: the same cohort gets the same IRI on every import.
        let digest =
            key.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
        let c = NamedNode::new_unchecked(format!(
            "{EMPLOYMENT_NS}cohort/{}-{digest:016x}",
            tupu_graph::local_name(p.as_str())
        ));
        if !self.seen.insert(c.as_str().to_owned()) {
            return self.problem(
                line,
                "programme",
                "a cohort of the same programme, institution, region and year appears earlier".into(),
                "give each cohort once, with its total",
            );
        }
        self.add(&c, rdf::TYPE, tupu::GRADUATE_COHORT);
        self.add(&c, tupu::PROGRAMME, p);
        self.add(&c, tupu::GRADUATE_COUNT, Literal::new_typed_literal(n.to_string(), xsd::INTEGER));
        if let Some(i) = institution {
            self.add(&c, tupu::INSTITUTION, Literal::new_simple_literal(i));
        }
        if let Some(r) = region {
            self.add(&c, schema::ADDRESS_REGION, Literal::new_simple_literal(r));
        }
        if let Some(y) = year {
            self.add(&c, tupu::GRADUATION_YEAR, Literal::new_typed_literal(y.to_string(), xsd::INTEGER));
        }
    }
}

/// Reads employment records from `path`, checks every one against the graph's current
/// snapshot, and returns the quads for `graph`, or every problem found.
/// With `replacing`, what the graph already has is not checked against (the target graph's
/// content is about to go).
pub fn convert_employment(
    store: &GraphStore,
    path: &Path,
    graph: &NamedNode,
    replacing: bool,
) -> Result<Vec<Quad>, ImportError> {
    let text = std::fs::read_to_string(path).map_err(|source| ImportError::Io { path: path.to_owned(), source })?;
    let snapshot = store.snapshot();
    let mut b = Builder {
        file: path.display().to_string(),
        snapshot: &snapshot,
        sink: Sink::new(graph),
        defined: HashMap::new(),
        seen: HashSet::new(),
        replacing,
        store,
    };
    for (i, line) in text.lines().enumerate() {
        let n = i as u64 + 1;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Record>(line) {
            Ok(record) => b.record(n, record),
            Err(e) => b.problem(
                n,
                "(line)",
                format!("not an employment record: {e}"),
                "each line must be one JSON object with a type and the documented fields",
            ),
        }
    }
    Ok(b.sink.finish(path)?.0)
}

/// Imports employment records as one commit into `graph` (replacing its content when `replace`).
pub fn import_employment(
    store: &GraphStore,
    path: &Path,
    graph: &NamedNode,
    replace: bool,
) -> Result<ImportReport, ImportError> {
    let quads = convert_employment(store, path, graph, replace)?;
    commit_quads(store, quads, graph, replace, format!("import employment records from {}", path.display()))
}
