//! Importer for ESCO (European Skills, Competences, Qualifications and Occupations): the
//! official CSV downloads (read inside their ZIP archives or unpacked) and ESCO's own SKOS RDF
//! model.
//!
//! Node IRIs are ESCO's own concept URIs, so data from the CSV files and from ESCO's RDF meet.
//!
//! | ESCO (CSV file) | Tupu |
//! |---|---|
//! | occupation (`occupations_en.csv`) | `tupu:Occupation` and `esco:Occupation`: `skos:prefLabel`, `skos:altLabel` (one per line of `altLabels`), `skos:notation` (the ESCO code), `skos:definition` (the description), `skos:broader` its ISCO-08 unit group |
//! | ISCO-08 group (`ISCOGroups_en.csv`) | `tupu:Occupation` and `esco:ISCOGroup`, with its code as `skos:notation` |
//! | skill or knowledge (`skills_en.csv`) | `tupu:Competency` and `esco:Skill`: labels, description, `esco:skillType` and `esco:skillReuseLevel` as ESCO's IRIs |
//! | skill group (`skillGroups_en.csv`, `skillsHierarchy_en.csv`) | `tupu:Competency` and `esco:SkillGroup`, with its code |
//! | broader relations (`broaderRelations*Pillar.csv`, the hierarchy) | `skos:broader` |
//! | occupation → skill, essential or optional (`occupationSkillRelations.csv`) | `occ tupu:requiresCompetency skill`, and a `tupu:CompetencyRequirement` node with `tupu:essential` |
//! | skill → skill (`skillSkillRelations.csv`) | `tupu:relatedTo` |
//!
//! Every row that names an unknown concept, has an unknown relation type or repeats a link is
//! reported with its file, line and field, and nothing is imported. ESCO v1.1.1 links 67 skills
//! to one occupation that its occupation file does not describe: such an occupation is created
//! under its IRI with a warning, so that every published link is kept.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use oxigraph::model::vocab::rdf;
use oxigraph::model::{GraphName, Literal, NamedNode, NamedNodeRef, NamedOrBlankNode, Quad, Term};
use tupu_graph::vocab::{skos, tupu};
use tupu_graph::{ChangeSet, CommitReport, Diagnostic, DiagnosticCode, GraphStore, NodeKind};

use crate::error::ImportError;
use crate::table::{Delimited, Files, Sink, Table};

/// Namespace of the qualification nodes the importer mints.
pub const ESCO_REQUIREMENT_NS: &str = "https://w3id.org/tupu/esco/requirement/";

mod esco_model {
    use oxigraph::model::NamedNodeRef;
    macro_rules! t {
        ($($name:ident = $local:literal),*) => {
            $(pub const $name: NamedNodeRef<'static> =
                NamedNodeRef::new_unchecked(concat!("http://data.europa.eu/esco/model#", $local));)*
        };
    }
    t! {
        OCCUPATION = "Occupation", ISCO_GROUP = "ISCOGroup", SKILL = "Skill", SKILL_GROUP = "SkillGroup",
        SKILL_TYPE = "skillType", SKILL_REUSE_LEVEL = "skillReuseLevel",
        IS_ESSENTIAL_FOR = "isEssentialSkillFor", IS_OPTIONAL_FOR = "isOptionalSkillFor",
        HAS_ESSENTIAL = "hasEssentialSkill", HAS_OPTIONAL = "hasOptionalSkill",
        NODE_LITERAL = "nodeLiteral", LANGUAGE = "language"
    }
}

const DCTERMS_DESCRIPTION: NamedNodeRef<'static> = NamedNodeRef::new_unchecked("http://purl.org/dc/terms/description");

/// What an ESCO import did.
#[derive(Clone, Debug, serde::Serialize)]
pub struct EscoReport {
    /// Occupations (ESCO occupations, not ISCO groups).
    pub occupations: usize,
    /// Skills and knowledge concepts (not skill groups).
    pub skills: usize,
    /// ISCO-08 groups.
    pub isco_groups: usize,
    /// Skill groups.
    pub skill_groups: usize,
    /// Occupation → skill links.
    pub links: usize,
    /// Of which essential.
    pub essential: usize,
    /// `skos:broader` edges.
    pub broader: usize,
    /// Skill → skill relations.
    pub skill_relations: usize,
    /// Quads committed.
    pub quads: usize,
    /// Notes that did not stop the import.
    pub warnings: Vec<Diagnostic>,
    /// The commit.
    pub commit: CommitReport,
}

/// The quads converted from ESCO's CSV files, and the counts.
pub struct EscoData {
    /// The quads, all in the target graph.
    pub quads: Vec<Quad>,
    /// The counts (commit fields left empty).
    pub report: EscoReport,
}

#[derive(Clone, Copy, PartialEq)]
enum Concept {
    Occupation,
    Isco,
    Skill,
    SkillGroup,
}

struct Esco {
    sink: Sink,
    concepts: HashMap<String, Concept>,
    broader: HashSet<(String, String)>,
    report: EscoReport,
}

impl Esco {
    fn table<'a>(&mut self, files: &'a Files, name: &str, required: &[&str]) -> Result<Option<Table<'a>>, ImportError> {
        let (shown, text) = files.require(name)?;
        Ok(Table::open(shown, Delimited::csv(text), required, &mut self.sink))
    }

    fn labels(&mut self, node: &NamedNode, pref: &str, alts: &str, description: &str) {
        self.sink.text(node, skos::PREF_LABEL, pref, "en");
        // `altLabels` holds one label a line (the collection files use ` | `).
        for alt in alts.split(['\n', '|']).map(str::trim).filter(|a| !a.is_empty() && *a != pref) {
            self.sink.text(node, skos::ALT_LABEL, alt, "en");
        }
        self.sink.text(node, skos::DEFINITION, description, "en");
    }

    fn declare(&mut self, iri: &str, concept: Concept, file: &str, line: u64) -> Option<NamedNode> {
        let node = self.sink.iri(iri, file, line, "conceptUri")?;
        if self.concepts.insert(iri.to_owned(), concept).is_some() {
            self.sink.problem(
                file,
                line,
                "conceptUri",
                format!("{iri} is described twice"),
                "keep one row per concept",
            );
            return None;
        }
        let (tupu_class, esco_class) = match concept {
            Concept::Occupation => (tupu::OCCUPATION, esco_model::OCCUPATION),
            Concept::Isco => (tupu::OCCUPATION, esco_model::ISCO_GROUP),
            Concept::Skill => (tupu::COMPETENCY, esco_model::SKILL),
            Concept::SkillGroup => (tupu::COMPETENCY, esco_model::SKILL_GROUP),
        };
        self.sink.add(&node, rdf::TYPE, tupu_class);
        self.sink.add(&node, rdf::TYPE, esco_class);
        Some(node)
    }

    /// A reference to a concept declared earlier, or a located problem.
    fn known(&mut self, iri: &str, allowed: &[Concept], file: &str, line: u64, field: &str) -> Option<NamedNode> {
        match self.concepts.get(iri) {
            Some(c) if allowed.contains(c) => self.sink.iri(iri, file, line, field),
            Some(_) => {
                self.sink.problem(
                    file,
                    line,
                    field,
                    format!("{iri} is not of the kind this column takes"),
                    "check that the column holds the right concept",
                );
                None
            }
            None => {
                self.sink.problem(
                    file,
                    line,
                    field,
                    format!("unknown concept {iri}"),
                    "the concept must be described in the occupation, skill, ISCO or skill group files",
                );
                None
            }
        }
    }

    fn add_broader(&mut self, narrower: &NamedNode, broader: &NamedNode) {
        if narrower != broader && self.broader.insert((narrower.as_str().to_owned(), broader.as_str().to_owned())) {
            self.sink.add(narrower, skos::BROADER, broader.clone());
            self.report.broader += 1;
        }
    }
}

fn empty_report() -> EscoReport {
    EscoReport {
        occupations: 0,
        skills: 0,
        isco_groups: 0,
        skill_groups: 0,
        links: 0,
        essential: 0,
        broader: 0,
        skill_relations: 0,
        quads: 0,
        warnings: Vec::new(),
        commit: CommitReport { version: 0, added: 0, removed: 0, warnings: Vec::new() },
    }
}

/// The IRI of the qualification node of `occupation requiresCompetency skill`.
pub fn requirement_iri(occupation: &str, skill: &str) -> String {
    let tail = |iri: &str| tupu_graph::local_name(iri).to_owned();
    format!("{ESCO_REQUIREMENT_NS}{}/{}", tail(occupation), tail(skill))
}

/// Converts ESCO's CSV files (a folder holding the official ZIP archives or the unpacked CSV
/// files, or one archive) into quads of `graph`. Every problem is reported together.
pub fn convert_esco_csv(path: &Path, graph: &NamedNode) -> Result<EscoData, ImportError> {
    let files = Files::open(path)?;
    let mut e =
        Esco { sink: Sink::new(graph), concepts: HashMap::new(), broader: HashSet::new(), report: empty_report() };

    // The framework node.
    let version = files
        .names()
        .find_map(|n| n.strip_prefix("esco-v").and_then(|v| v.split('-').next()).map(str::to_owned))
        .or_else(|| {
            path.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_prefix("esco-v")).map(str::to_owned)
        });
    if let Ok(framework) = NamedNode::new("https://w3id.org/tupu/esco/framework") {
        e.sink.add(&framework, rdf::TYPE, tupu::FRAMEWORK);
        e.sink.text(
            &framework,
            skos::PREF_LABEL,
            "ESCO: European Skills, Competences, Qualifications and Occupations",
            "en",
        );
        e.sink.text(&framework, skos::PREF_LABEL, "欧洲技能、能力、资格和职业分类（ESCO）", "zh");
        e.sink.plain(&framework, tupu::SOURCE, "https://esco.ec.europa.eu/");
        if let Some(v) = version {
            e.sink.plain(&framework, tupu::VERSION, &v);
        }
    }

    // ISCO-08 groups.
    if let Some(t) = e.table(&files, "ISCOGroups_en.csv", &["conceptUri", "code", "preferredLabel"])? {
        let file = t.file.clone();
        for row in t.rows(&mut e.sink) {
            let Some(node) = e.declare(row.get("conceptUri"), Concept::Isco, &file, row.line) else { continue };
            e.labels(&node, row.get("preferredLabel"), row.get("altLabels"), "");
            e.sink.plain(&node, skos::NOTATION, row.get("code"));
            e.report.isco_groups += 1;
        }
    }
    // Occupations.
    let mut isco_of: Vec<(NamedNode, String, String, u64)> = Vec::new();
    if let Some(t) = e.table(
        &files,
        "occupations_en.csv",
        &["conceptUri", "iscoGroup", "preferredLabel", "altLabels", "description", "code"],
    )? {
        let file = t.file.clone();
        for row in t.rows(&mut e.sink) {
            let Some(node) = e.declare(row.get("conceptUri"), Concept::Occupation, &file, row.line) else { continue };
            if row.get("preferredLabel").is_empty() {
                e.sink.problem(
                    &file,
                    row.line,
                    "preferredLabel",
                    "the occupation has no preferred label".into(),
                    "give its name",
                );
            }
            e.labels(&node, row.get("preferredLabel"), row.get("altLabels"), row.get("description"));
            e.sink.plain(&node, skos::NOTATION, row.get("code"));
            isco_of.push((node, row.get("iscoGroup").to_owned(), file.clone(), row.line));
            e.report.occupations += 1;
        }
    }
    // Skills and knowledge.
    if let Some(t) = e.table(
        &files,
        "skills_en.csv",
        &["conceptUri", "skillType", "reuseLevel", "preferredLabel", "altLabels", "description"],
    )? {
        let file = t.file.clone();
        for row in t.rows(&mut e.sink) {
            let Some(node) = e.declare(row.get("conceptUri"), Concept::Skill, &file, row.line) else { continue };
            if row.get("preferredLabel").is_empty() {
                e.sink.problem(
                    &file,
                    row.line,
                    "preferredLabel",
                    "the skill has no preferred label".into(),
                    "give its name",
                );
            }
            e.labels(&node, row.get("preferredLabel"), row.get("altLabels"), row.get("description"));
            match row.get("skillType") {
                "" => {}
                "skill/competence" => e.sink.add(&node, esco_model::SKILL_TYPE, esco_iri("skill-type/skill")),
                "knowledge" => e.sink.add(&node, esco_model::SKILL_TYPE, esco_iri("skill-type/knowledge")),
                other => e.sink.problem(
                    &file,
                    row.line,
                    "skillType",
                    format!("unknown skill type '{other}'"),
                    "use skill/competence or knowledge",
                ),
            }
            match row.get("reuseLevel") {
                "" => {}
                level @ ("transversal" | "cross-sector" | "sector-specific" | "occupation-specific") => {
                    e.sink.add(&node, esco_model::SKILL_REUSE_LEVEL, esco_iri(&format!("skill-reuse-level/{level}")))
                }
                other => e.sink.problem(
                    &file,
                    row.line,
                    "reuseLevel",
                    format!("unknown reuse level '{other}'"),
                    "use transversal, cross-sector, sector-specific or occupation-specific",
                ),
            }
            e.report.skills += 1;
        }
    }
    // Skill groups, then any group that only the hierarchy names.
    if let Some(t) = e.table(&files, "skillGroups_en.csv", &["conceptUri", "preferredLabel", "code"])? {
        let file = t.file.clone();
        for row in t.rows(&mut e.sink) {
            let Some(node) = e.declare(row.get("conceptUri"), Concept::SkillGroup, &file, row.line) else { continue };
            e.labels(&node, row.get("preferredLabel"), row.get("altLabels"), "");
            e.sink.plain(&node, skos::NOTATION, row.get("code"));
            e.report.skill_groups += 1;
        }
    }
    if let Some(t) = e.table(&files, "skillsHierarchy_en.csv", &["Level 0 URI", "Level 0 preferred term"])? {
        let file = t.file.clone();
        for row in t.rows(&mut e.sink) {
            let mut parent: Option<NamedNode> = None;
            for level in 0..4 {
                let iri = row.get(&format!("Level {level} URI")).to_owned();
                if iri.is_empty() {
                    break;
                }
                if !e.concepts.contains_key(&iri) {
                    let Some(node) = e.declare(&iri, Concept::SkillGroup, &file, row.line) else { break };
                    e.sink.text(&node, skos::PREF_LABEL, row.get(&format!("Level {level} preferred term")), "en");
                    e.sink.plain(&node, skos::NOTATION, row.get(&format!("Level {level} code")));
                    e.report.skill_groups += 1;
                }
                let Some(node) = e.sink.iri(&iri, &file, row.line, "URI") else { break };
                if let Some(p) = &parent {
                    e.add_broader(&node, p);
                }
                parent = Some(node);
            }
        }
    }
    // Occupations that only the relation files name.
    if let Some((shown, text)) = files.text("occupationSkillRelations.csv")? {
        let mut seen = HashSet::new();
        for record in Delimited::csv(text).skip(1).flatten() {
            let Some(occ) = record.fields.first() else { continue };
            if !e.concepts.contains_key(occ.as_ref()) && seen.insert(occ.to_string()) {
                let Ok(node) = NamedNode::new(occ.as_ref()) else { continue };
                e.concepts.insert(occ.to_string(), Concept::Occupation);
                e.sink.add(&node, rdf::TYPE, tupu::OCCUPATION);
                e.sink.add(&node, rdf::TYPE, esco_model::OCCUPATION);
                e.sink.text(&node, skos::PREF_LABEL, &format!("ESCO occupation {}", tupu_graph::local_name(occ)), "en");
                e.sink.warn(
                    &shown,
                    record.line,
                    "occupationUri",
                    format!(
                        "{occ} has skill links but is not described in occupations_en.csv; it is created under its IRI"
                    ),
                    "take its labels from a later ESCO release",
                );
                e.report.occupations += 1;
            }
        }
    }
    // ISCO group of each occupation.
    for (node, code, file, line) in isco_of {
        if code.is_empty() {
            continue;
        }
        let group = isco_group_iri(&code);
        if let Some(g) = e.known(&group, &[Concept::Isco], &file, line, "iscoGroup") {
            e.add_broader(&node, &g);
        }
    }
    // Broader relations of both pillars.
    for (name, kinds) in [
        ("broaderRelationsOccPillar.csv", &[Concept::Occupation, Concept::Isco][..]),
        ("broaderRelationsSkillPillar.csv", &[Concept::Skill, Concept::SkillGroup][..]),
    ] {
        if let Some(t) = e.table(&files, name, &["conceptUri", "broaderUri"])? {
            let file = t.file.clone();
            for row in t.rows(&mut e.sink) {
                let narrower = e.known(row.get("conceptUri"), kinds, &file, row.line, "conceptUri");
                let broader = e.known(row.get("broaderUri"), kinds, &file, row.line, "broaderUri");
                if let (Some(n), Some(b)) = (narrower, broader) {
                    e.add_broader(&n, &b);
                }
            }
        }
    }
    // Occupation → skill links.
    if let Some(t) = e.table(&files, "occupationSkillRelations.csv", &["occupationUri", "relationType", "skillUri"])? {
        let file = t.file.clone();
        let mut pairs: HashMap<(String, String), u64> = HashMap::new();
        for row in t.rows(&mut e.sink) {
            let essential = match row.get("relationType") {
                "essential" => true,
                "optional" => false,
                other => {
                    e.sink.problem(
                        &file,
                        row.line,
                        "relationType",
                        format!("unknown relation type '{other}'"),
                        "use essential or optional",
                    );
                    continue;
                }
            };
            let occ = e.known(row.get("occupationUri"), &[Concept::Occupation], &file, row.line, "occupationUri");
            let skill =
                e.known(row.get("skillUri"), &[Concept::Skill, Concept::SkillGroup], &file, row.line, "skillUri");
            let (Some(occ), Some(skill)) = (occ, skill) else { continue };
            if let Some(first) = pairs.insert((occ.as_str().to_owned(), skill.as_str().to_owned()), row.line) {
                e.sink.problem(
                    &file,
                    row.line,
                    "skillUri",
                    format!("the link {} → {} repeats line {first}", occ.as_str(), skill.as_str()),
                    "keep one row per occupation and skill",
                );
                continue;
            }
            let Ok(q) = NamedNode::new(requirement_iri(occ.as_str(), skill.as_str())) else { continue };
            e.sink.add(&occ, tupu::REQUIRES_COMPETENCY, skill.clone());
            e.sink.add(&occ, tupu::QUALIFIED_REQUIREMENT, q.clone());
            e.sink.add(&q, rdf::TYPE, tupu::COMPETENCY_REQUIREMENT);
            e.sink.add(&q, tupu::COMPETENCY_PROP, skill);
            e.sink.boolean(&q, tupu::ESSENTIAL, essential);
            e.report.links += 1;
            e.report.essential += usize::from(essential);
        }
    }
    // Skill → skill relations.
    if let Some(t) =
        e.table(&files, "skillSkillRelations.csv", &["originalSkillUri", "relationType", "relatedSkillUri"])?
    {
        let file = t.file.clone();
        for row in t.rows(&mut e.sink) {
            let a = e.known(row.get("originalSkillUri"), &[Concept::Skill], &file, row.line, "originalSkillUri");
            let b = e.known(row.get("relatedSkillUri"), &[Concept::Skill], &file, row.line, "relatedSkillUri");
            if let (Some(a), Some(b)) = (a, b) {
                if a != b {
                    e.sink.add(&a, tupu::RELATED_TO, b);
                    e.report.skill_relations += 1;
                }
            }
        }
    }
    let mut report = e.report;
    let (quads, warnings) = e.sink.finish(path)?;
    report.quads = quads.len();
    report.warnings = warnings;
    Ok(EscoData { quads, report })
}

/// Namespace of ESCO's occupations.
pub const ESCO_OCCUPATION_NS: &str = "http://data.europa.eu/esco/occupation/";
/// Namespace of the ISCO-08 groups as ESCO names them, followed by the group's code.
pub const ISCO_GROUP_NS: &str = "http://data.europa.eu/esco/isco/C";

/// Where ESCO puts ISCO-08 group `code` (`2512` → `http://data.europa.eu/esco/isco/C2512`).
pub fn isco_group_iri(code: &str) -> String {
    format!("{ISCO_GROUP_NS}{code}")
}

fn esco_iri(path: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("http://data.europa.eu/esco/{path}"))
}

/// Imports ESCO as one commit into `graph`: the CSV downloads (a folder or an archive) or an RDF
/// file in ESCO's model (see [`convert_esco_rdf`]). With `replace`, the graph's content is
/// replaced in the same commit.
pub fn import_esco(
    store: &GraphStore,
    path: &Path,
    graph: &NamedNode,
    replace: bool,
    progress: bool,
) -> Result<EscoReport, ImportError> {
    let bar = crate::rdf::spinner(progress, "reading ESCO");
    let data = match crate::rdf::format_of(path) {
        Some(format) if path.is_file() => {
            let file = std::fs::File::open(path).map_err(|source| ImportError::Io { path: path.to_owned(), source })?;
            let quads =
                crate::rdf::read_rdf(std::io::BufReader::new(file), &path.display().to_string(), format, graph, true)?;
            convert_esco_rdf(store, quads, graph)?
        }
        _ => convert_esco_csv(path, graph)?,
    };
    bar.set_message(format!("committing {} quads", data.quads.len()));
    let mut report = data.report;
    let mut change = ChangeSet::adding(data.quads).with_message(format!("import ESCO from {}", path.display()));
    if replace {
        change.removed = store.graph_quads(graph)?;
    }
    report.commit = store.commit(change)?;
    bar.finish_and_clear();
    Ok(report)
}

/// Reads ESCO's SKOS RDF model as published (`esco:Skill`, `esco:Occupation`,
/// `esco:isEssentialSkillFor` / `esco:isOptionalSkillFor`, `esco:hasEssentialSkill` /
/// `esco:hasOptionalSkill`, descriptions as `esco:NodeLiteral`s) and adds the Tupu statements
/// that make it part of the competency graph: the Tupu classes, requirement edges with their
/// qualification nodes, and descriptions as `skos:definition`. ESCO's own statements are kept,
/// except `skos:broader` / `skos:narrower` to concepts that neither the input nor the store
/// holds (they are counted in a warning). Links to occupations that neither holds are skipped
/// with a warning.
pub fn convert_esco_rdf(store: &GraphStore, quads: Vec<Quad>, graph: &NamedNode) -> Result<EscoData, ImportError> {
    let snapshot = store.snapshot();
    let g = GraphName::NamedNode(graph.clone());
    let mut report = empty_report();
    let mut kinds: HashMap<NamedOrBlankNode, Concept> = HashMap::new();
    let mut literals: HashMap<Term, (String, String)> = HashMap::new();
    for q in &quads {
        if q.predicate == rdf::TYPE {
            let concept = match &q.object {
                Term::NamedNode(c) if c.as_ref() == esco_model::SKILL => Some(Concept::Skill),
                Term::NamedNode(c) if c.as_ref() == esco_model::OCCUPATION => Some(Concept::Occupation),
                Term::NamedNode(c) if c.as_ref() == esco_model::ISCO_GROUP => Some(Concept::Isco),
                Term::NamedNode(c) if c.as_ref() == esco_model::SKILL_GROUP => Some(Concept::SkillGroup),
                _ => None,
            };
            if let Some(c) = concept {
                kinds.insert(q.subject.clone(), c);
            }
        } else if q.predicate == esco_model::NODE_LITERAL {
            if let Term::Literal(l) = &q.object {
                literals.entry(q.subject.clone().into()).or_default().0 = l.value().to_owned();
            }
        } else if q.predicate == esco_model::LANGUAGE {
            if let Term::Literal(l) = &q.object {
                literals.entry(q.subject.clone().into()).or_default().1 = l.value().to_owned();
            }
        }
    }
    let in_store = |iri: &str, want: NodeKind| snapshot.node_by_iri(iri).is_some_and(|n| snapshot.kind(n) == want);
    let is_node = |t: &Term| match t {
        Term::NamedNode(n) => {
            kinds.contains_key(&NamedOrBlankNode::NamedNode(n.clone())) || snapshot.node_by_iri(n.as_str()).is_some()
        }
        _ => false,
    };
    let mut out: Vec<Quad> = Vec::with_capacity(quads.len() * 2);
    let mut dropped_broader = 0usize;
    let mut skipped_links = 0usize;
    for (node, concept) in &kinds {
        let class = match concept {
            Concept::Occupation | Concept::Isco => tupu::OCCUPATION,
            Concept::Skill | Concept::SkillGroup => tupu::COMPETENCY,
        };
        out.push(Quad::new(node.clone(), rdf::TYPE, class, g.clone()));
        match concept {
            Concept::Occupation => report.occupations += 1,
            Concept::Isco => report.isco_groups += 1,
            Concept::Skill => report.skills += 1,
            Concept::SkillGroup => report.skill_groups += 1,
        }
    }
    let mut links = HashSet::new();
    for q in quads {
        let p = q.predicate.as_ref();
        if p == skos::BROADER || p == skos::NARROWER {
            if !is_node(&q.object) || !is_node(&Term::from(q.subject.clone())) {
                dropped_broader += 1;
                continue;
            }
            report.broader += 1;
        } else if p == DCTERMS_DESCRIPTION {
            if let Some((text, lang)) = literals.get(&q.object) {
                let lang = if lang.is_empty() { "en" } else { lang };
                out.push(Quad::new(
                    q.subject.clone(),
                    skos::DEFINITION,
                    Literal::new_language_tagged_literal_unchecked(text, lang),
                    g.clone(),
                ));
            }
        } else if [
            esco_model::IS_ESSENTIAL_FOR,
            esco_model::IS_OPTIONAL_FOR,
            esco_model::HAS_ESSENTIAL,
            esco_model::HAS_OPTIONAL,
        ]
        .contains(&p)
        {
            let forward = p == esco_model::HAS_ESSENTIAL || p == esco_model::HAS_OPTIONAL;
            let essential = p == esco_model::IS_ESSENTIAL_FOR || p == esco_model::HAS_ESSENTIAL;
            let (occ, skill) = match (&q.subject, &q.object, forward) {
                (NamedOrBlankNode::NamedNode(s), Term::NamedNode(o), false) => (o.clone(), s.clone()),
                (NamedOrBlankNode::NamedNode(s), Term::NamedNode(o), true) => (s.clone(), o.clone()),
                _ => {
                    skipped_links += 1;
                    out.push(q);
                    continue;
                }
            };
            let occ_known = matches!(kinds.get(&NamedOrBlankNode::NamedNode(occ.clone())), Some(Concept::Occupation))
                || in_store(occ.as_str(), NodeKind::Occupation);
            let skill_known = matches!(
                kinds.get(&NamedOrBlankNode::NamedNode(skill.clone())),
                Some(Concept::Skill | Concept::SkillGroup)
            ) || in_store(skill.as_str(), NodeKind::Competency);
            if occ_known && skill_known && links.insert((occ.clone(), skill.clone())) {
                let qn = NamedNode::new_unchecked(requirement_iri(occ.as_str(), skill.as_str()));
                out.push(Quad::new(occ.clone(), tupu::REQUIRES_COMPETENCY, skill.clone(), g.clone()));
                out.push(Quad::new(occ.clone(), tupu::QUALIFIED_REQUIREMENT, qn.clone(), g.clone()));
                out.push(Quad::new(qn.clone(), rdf::TYPE, tupu::COMPETENCY_REQUIREMENT, g.clone()));
                out.push(Quad::new(qn.clone(), tupu::COMPETENCY_PROP, skill, g.clone()));
                out.push(Quad::new(
                    qn,
                    tupu::ESSENTIAL,
                    Literal::new_typed_literal(
                        if essential { "true" } else { "false" },
                        oxigraph::model::vocab::xsd::BOOLEAN,
                    ),
                    g.clone(),
                ));
                report.links += 1;
                report.essential += usize::from(essential);
            } else if !(occ_known && skill_known) {
                skipped_links += 1;
            }
        }
        out.push(q);
    }
    if dropped_broader > 0 {
        report.warnings.push(
            Diagnostic::warning(
                DiagnosticCode::DanglingReference,
                format!("{dropped_broader} skos:broader/narrower statement(s) name concepts that are not in the input or the store and were left out"),
            )
            .with_hint("import the skill groups and ISCO groups first, or with this file"),
        );
    }
    if skipped_links > 0 {
        report.warnings.push(
            Diagnostic::warning(
                DiagnosticCode::DanglingReference,
                format!("{skipped_links} essential/optional skill link(s) name an occupation or skill that is not in the input or the store; they were kept as ESCO statements only"),
            )
            .with_hint("import the occupations first to turn them into requirements"),
        );
    }
    report.quads = out.len();
    Ok(EscoData { quads: out, report })
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use oxigraph::model::NamedNode;
    use tupu_graph::{GraphStore, NodeKind, QueryOptions, Relation, graph_iri};

    use super::*;
    use crate::load_bundled;

    const SKILL: &str = "http://data.europa.eu/esco/skill/";
    const OCC: &str = "http://data.europa.eu/esco/occupation/";

    /// A miniature of ESCO's CSV download: two ISCO groups, two occupations, three skills, one
    /// skill group, and the relation files.
    fn files(links: &str) -> Vec<(&'static str, String)> {
        vec![
            (
                "ISCOGroups_en.csv",
                "conceptType,conceptUri,code,preferredLabel,status,altLabels,inScheme,description\n\
                 ISCOGroup,http://data.europa.eu/esco/isco/C25,25,ICT professionals,released,,,\n\
                 ISCOGroup,http://data.europa.eu/esco/isco/C2512,2512,Software developers,released,,,\"Software\n developers\"\n"
                    .into(),
            ),
            (
                "occupations_en.csv",
                format!(
                    "conceptType,conceptUri,iscoGroup,preferredLabel,altLabels,hiddenLabels,status,modifiedDate,regulatedProfessionNote,scopeNote,definition,inScheme,description,code\n\
                     Occupation,{OCC}dev,2512,software developer,\"programmer\ncoder\",,released,,,,,,\"Writes, tests \"\"and\"\" ships software.\",2512.1\n\
                     Occupation,{OCC}tester,2512,software tester,,,released,,,,,,Tests software.,2512.2\n"
                ),
            ),
            (
                "skills_en.csv",
                format!(
                    "conceptType,conceptUri,skillType,reuseLevel,preferredLabel,altLabels,hiddenLabels,status,modifiedDate,scopeNote,definition,inScheme,description\n\
                     KnowledgeSkillCompetence,{SKILL}java,knowledge,sector-specific,Java,,,released,,,,,The language.\n\
                     KnowledgeSkillCompetence,{SKILL}test,skill/competence,cross-sector,test software,,,released,,,,,Run tests.\n\
                     KnowledgeSkillCompetence,{SKILL}team,skill/competence,transversal,work in teams,,,released,,,,,Cooperate.\n"
                ),
            ),
            (
                "skillGroups_en.csv",
                format!(
                    "conceptType,conceptUri,preferredLabel,altLabels,hiddenLabels,status,modifiedDate,scopeNote,inScheme,description,code\n\
                     SkillGroup,{SKILL}programming,computer programming,,,released,,,,,S1\n"
                ),
            ),
            (
                "skillsHierarchy_en.csv",
                format!(
                    "Level 0 URI,Level 0 preferred term,Level 1 URI,Level 1 preferred term,Level 2 URI,Level 2 preferred term,Level 3 URI,Level 3 preferred term,Description,Scope note,Level 0 code,Level 1 code,Level 2 code,Level 3 code\n\
                     {SKILL}programming,computer programming,{SKILL}languages,programming languages,,,,,,,S1,S1.1,,\n"
                ),
            ),
            (
                "broaderRelationsOccPillar.csv",
                "conceptType,conceptUri,broaderType,broaderUri\n\
                 ISCOGroup,http://data.europa.eu/esco/isco/C2512,ISCOGroup,http://data.europa.eu/esco/isco/C25\n"
                    .into(),
            ),
            (
                "broaderRelationsSkillPillar.csv",
                format!("conceptType,conceptUri,broaderType,broaderUri\nKnowledgeSkillCompetence,{SKILL}java,SkillGroup,{SKILL}languages\n"),
            ),
            ("occupationSkillRelations.csv", format!("occupationUri,relationType,skillType,skillUri\n{links}")),
            (
                "skillSkillRelations.csv",
                format!(
                    "originalSkillUri,originalSkillType,relationType,relatedSkillType,relatedSkillUri\n{SKILL}java,knowledge,optional,skill/competence,{SKILL}test\n"
                ),
            ),
        ]
    }

    fn good_links() -> String {
        format!(
            "{OCC}dev,essential,knowledge,{SKILL}java\n{OCC}dev,optional,skill/competence,{SKILL}test\n{OCC}dev,essential,skill/competence,{SKILL}team\n\
             {OCC}tester,essential,skill/competence,{SKILL}test\n{OCC}tester,optional,skill/competence,{SKILL}team\n"
        )
    }

    fn folder(files: &[(&str, String)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        dir
    }

    /// A ZIP archive of `files`, the first stored and the others deflated.
    fn zip(files: &[(&str, String)]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut directory = Vec::new();
        for (i, (name, text)) in files.iter().enumerate() {
            let data = text.as_bytes();
            let (method, packed) = if i == 0 {
                (0u16, data.to_vec())
            } else {
                let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
                e.write_all(data).unwrap();
                (8u16, e.finish().unwrap())
            };
            let crc = crc32fast::hash(data);
            let offset = out.len() as u32;
            let header = |sig: u32, central: bool| {
                let mut h = Vec::new();
                h.extend_from_slice(&sig.to_le_bytes());
                if central {
                    h.extend_from_slice(&20u16.to_le_bytes());
                }
                for v in [20u16, 0, method, 0, 0] {
                    h.extend_from_slice(&v.to_le_bytes());
                }
                for v in [crc, packed.len() as u32, data.len() as u32] {
                    h.extend_from_slice(&v.to_le_bytes());
                }
                h.extend_from_slice(&(name.len() as u16).to_le_bytes());
                h.extend_from_slice(&0u16.to_le_bytes());
                if central {
                    for v in [0u16, 0, 0] {
                        h.extend_from_slice(&v.to_le_bytes());
                    }
                    h.extend_from_slice(&0u32.to_le_bytes());
                    h.extend_from_slice(&offset.to_le_bytes());
                }
                h.extend_from_slice(name.as_bytes());
                h
            };
            out.extend(header(0x0403_4b50, false));
            out.extend(&packed);
            directory.extend(header(0x0201_4b50, true));
        }
        let start = out.len() as u32;
        out.extend(&directory);
        out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        for v in [0u16, 0, files.len() as u16, files.len() as u16] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&(directory.len() as u32).to_le_bytes());
        out.extend_from_slice(&start.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out
    }

    fn store() -> GraphStore {
        let store = GraphStore::in_memory().unwrap();
        load_bundled(&store, false).unwrap();
        store
    }

    fn essential_skills(store: &GraphStore, occupation: &str) -> Vec<String> {
        let q = format!(
            "PREFIX tupu: <https://w3id.org/tupu/ns#> PREFIX skos: <http://www.w3.org/2004/02/skos/core#> \
             SELECT ?label WHERE {{ <{occupation}> tupu:qualifiedRequirement ?q . ?q tupu:competency ?s ; tupu:essential true . \
             ?s skos:prefLabel ?label }} ORDER BY ?label"
        );
        let mut out = Vec::new();
        if let oxigraph::sparql::QueryResults::Solutions(rows) = store.query(&q, &QueryOptions::default()).unwrap() {
            for row in rows {
                if let Some(Term::Literal(l)) = row.unwrap().get("label") {
                    out.push(l.value().to_owned());
                }
            }
        }
        out
    }

    #[test]
    fn the_csv_folder_imports_with_qualified_requirements_and_hierarchy() {
        let store = store();
        let dir = folder(&files(&good_links()));
        let report = import_esco(&store, dir.path(), &graph_iri("esco").unwrap(), false, false).unwrap();
        assert_eq!((report.occupations, report.isco_groups, report.skills, report.skill_groups), (2, 2, 3, 2));
        assert_eq!((report.links, report.essential, report.skill_relations), (5, 3, 1));
        assert!(report.warnings.is_empty());
        let s = store.snapshot();
        let dev = s.node_by_iri(&format!("{OCC}dev")).unwrap();
        assert_eq!(s.out(dev, Relation::RequiresCompetency).len(), 3);
        assert_eq!(s.out(dev, Relation::RequiresCompetency).iter().filter(|e| e.essential).count(), 2);
        // Occupation → ISCO unit group → major group; skill → group → group.
        let unit = s.out(dev, Relation::Broader)[0].node;
        assert_eq!(s.iri(unit), "http://data.europa.eu/esco/isco/C2512");
        assert_eq!(s.iri(s.out(unit, Relation::Broader)[0].node), "http://data.europa.eu/esco/isco/C25");
        let java = s.node_by_iri(&format!("{SKILL}java")).unwrap();
        let languages = s.out(java, Relation::Broader)[0].node;
        assert_eq!(s.label(languages, Some("en")), "programming languages");
        assert_eq!(s.kind(languages), NodeKind::Competency);
        assert_eq!(essential_skills(&store, &format!("{OCC}dev")), ["Java", "work in teams"]);
        // Quoted descriptions with commas and doubled quotes come through.
        let q = format!("SELECT ?d WHERE {{ <{OCC}dev> <http://www.w3.org/2004/02/skos/core#definition> ?d }}");
        let oxigraph::sparql::QueryResults::Solutions(mut rows) = store.query(&q, &QueryOptions::default()).unwrap()
        else {
            panic!()
        };
        let row = rows.next().unwrap().unwrap();
        assert_eq!(row.get("d").unwrap().to_string(), "\"Writes, tests \\\"and\\\" ships software.\"@en");
    }

    #[test]
    fn the_zipped_download_imports_like_the_folder() {
        let store = store();
        let dir = tempfile::tempdir().unwrap();
        let all = files(&good_links());
        std::fs::write(dir.path().join("esco-v1.1.1-classification-en-csv.zip"), zip(&all[..5])).unwrap();
        std::fs::write(dir.path().join("esco-v1.1.1-relations-csv.zip"), zip(&all[5..])).unwrap();
        let report = import_esco(&store, dir.path(), &graph_iri("esco").unwrap(), false, false).unwrap();
        assert_eq!((report.occupations, report.skills, report.links), (2, 3, 5));
        let framework = NamedNode::new("https://w3id.org/tupu/esco/framework").unwrap();
        let version: Vec<Quad> = store
            .graph_quads(&graph_iri("esco").unwrap())
            .unwrap()
            .into_iter()
            .filter(|q| q.subject == NamedOrBlankNode::from(framework.clone()) && q.predicate == tupu::VERSION)
            .collect();
        assert_eq!(version.len(), 1);
        assert_eq!(version[0].object.to_string(), "\"1.1.1\"");
    }

    #[test]
    fn bad_rows_are_located_and_nothing_is_imported() {
        let store = store();
        let before = store.len().unwrap();
        let links = format!(
            "{OCC}dev,essential,knowledge,{SKILL}java\n{OCC}dev,required,knowledge,{SKILL}test\n{OCC}dev,essential,knowledge,{SKILL}nowhere\n{OCC}dev,optional,knowledge,{SKILL}java\n"
        );
        let dir = folder(&files(&links));
        let err = import_esco(&store, dir.path(), &graph_iri("esco").unwrap(), false, false).unwrap_err();
        let found: Vec<(u64, String)> = err
            .diagnostics()
            .iter()
            .map(|d| {
                let l = d.location.as_ref().unwrap();
                assert!(l.file.ends_with("occupationSkillRelations.csv"), "{}", l.file);
                (l.line.unwrap(), l.field.clone().unwrap())
            })
            .collect();
        assert_eq!(found, [(3, "relationType".to_owned()), (4, "skillUri".to_owned()), (5, "skillUri".to_owned())]);
        assert!(err.diagnostics()[2].message.contains("repeats line 2"));
        assert_eq!(store.len().unwrap(), before);
    }

    #[test]
    fn a_broken_archive_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = zip(&files(&good_links()));
        let mid = bytes.len() / 3;
        bytes[mid] ^= 0xff;
        std::fs::write(dir.path().join("esco.zip"), bytes).unwrap();
        let err = import_esco(&store(), dir.path(), &graph_iri("esco").unwrap(), false, false).unwrap_err();
        assert!(err.is_user_error());
    }

    #[test]
    fn escos_rdf_model_becomes_competencies_and_requirements() {
        let store = store();
        let dir = folder(&files(&good_links()));
        import_esco(&store, dir.path(), &graph_iri("esco").unwrap(), false, false).unwrap();
        let ttl = format!(
            "@prefix esco: <http://data.europa.eu/esco/model#> . @prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n\
             @prefix dcterms: <http://purl.org/dc/terms/> .\n\
             <https://e.org/nl1> a esco:NodeLiteral ; esco:language \"en\" ; esco:nodeLiteral \"A document database.\" .\n\
             <https://e.org/mongo> a esco:Skill, skos:Concept ; skos:prefLabel \"MongoDB\"@en ; dcterms:description <https://e.org/nl1> ;\n\
               skos:broader <{SKILL}languages>, <http://data.europa.eu/esco/isced-f/0612> ;\n\
               esco:isOptionalSkillFor <{OCC}dev>, <{OCC}unknown> ; esco:isEssentialSkillFor <{OCC}tester> .\n"
        );
        let file = dir.path().join("sample.ttl");
        std::fs::write(&file, ttl).unwrap();
        let report = import_esco(&store, &file, &graph_iri("esco-rdf").unwrap(), false, false).unwrap();
        assert_eq!((report.skills, report.links, report.essential, report.broader), (1, 2, 1, 1));
        assert_eq!(report.warnings.len(), 2, "{:?}", report.warnings);
        let s = store.snapshot();
        let mongo = s.node_by_iri("https://e.org/mongo").unwrap();
        assert_eq!(s.kind(mongo), NodeKind::Competency);
        assert_eq!(essential_skills(&store, &format!("{OCC}tester")), ["MongoDB", "test software"]);
        let dev = s.node_by_iri(&format!("{OCC}dev")).unwrap();
        assert!(s.out(dev, Relation::RequiresCompetency).iter().any(|e| e.node == mongo && !e.essential));
    }
}
