//! Importer for O*NET's tab-separated database tables (the files keep O*NET's own names).
//!
//! | O*NET | Tupu |
//! |---|---|
//! | `Occupation Data.txt` | `tupu:Occupation` at `https://w3id.org/tupu/onet/occupation/{O*NET-SOC code}`: title, code, description |
//! | skill or knowledge element (`Skills.txt`, `Knowledge.txt`) | `tupu:Competency` at `…/onet/element/{Element ID}` |
//! | importance (IM, 1–5) and level (LV, 0–7) of an element for an occupation | `tupu:requiresCompetency` with a qualification: `tupu:weight` = (IM − 1) / 4, `tupu:level` = LV scaled to 1–8, `tupu:essential` when IM ≥ 3 ("important") |
//! | detailed work activity (`Tasks to DWAs.txt`, `DWA Reference.txt`) | `tupu:Competency` at `…/onet/dwa/{DWA ID}`, `skos:broader` its intermediate and then its generalised work activity; required by the occupations whose tasks it describes, essential when one of those tasks is a Core task (`Task Statements.txt`) |
//!
//! O*NET's flags are honoured: an importance marked *Recommend Suppress* is not used (the
//! requirement is left out), a level marked *Not Relevant* leaves the requirement out, and a
//! suppressed level leaves the requirement without a level.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use oxigraph::model::NamedNode;
use oxigraph::model::vocab::rdf;
use tupu_graph::GraphStore;
use tupu_graph::vocab::{skos, tupu};

use crate::error::ImportError;
use crate::rdf::{ImportReport, commit_quads};
use crate::table::{Delimited, Files, Sink, Table};

/// Namespace of O*NET nodes.
pub const ONET_NS: &str = "https://w3id.org/tupu/onet/";

/// Counts of an O*NET conversion.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct OnetCounts {
    /// Occupations.
    pub occupations: usize,
    /// Occupations with at least one rated skill or knowledge requirement.
    pub rated_occupations: usize,
    /// Skill and knowledge elements.
    pub elements: usize,
    /// Rated requirements kept.
    pub rated_requirements: usize,
    /// Ratings left out by the suppress or not-relevant flags.
    pub flagged: usize,
    /// Detailed work activities.
    pub dwas: usize,
    /// Occupation → DWA requirements.
    pub dwa_requirements: usize,
}

#[derive(Default)]
struct Rating {
    importance: Option<f64>,
    level: Option<f64>,
    suppressed_importance: bool,
    not_relevant: bool,
    line: u64,
}

fn node(kind: &str, id: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{ONET_NS}{kind}/{}", id.replace(' ', "_")))
}

/// The rows of one tab-separated table of `files`, or `None` when its header lacks a column.
/// Whether `code` is an occupation of `Occupation Data.txt`; if not, the row's problem is noted.
fn known_occupation(occupations: &HashSet<String>, code: &str, sink: &mut Sink, file: &str, line: u64) -> bool {
    let known = occupations.contains(code);
    if !known {
        sink.problem(
            file,
            line,
            "O*NET-SOC Code",
            format!("unknown occupation '{code}'"),
            "the occupation must be in Occupation Data.txt",
        );
    }
    known
}

fn tsv<'a>(
    files: &'a Files,
    sink: &mut Sink,
    name: &str,
    required: &[&str],
) -> Result<Option<(String, Vec<crate::table::Row<'a>>)>, ImportError> {
    let (shown, text) = files.require(name)?;
    Ok(Table::open(shown.clone(), Delimited::tsv(text), required, sink).map(|t| (shown, t.rows(sink))))
}

/// Converts an O*NET folder into quads of `graph`, every problem located by file, line and field.
pub fn convert_onet(path: &Path, graph: &NamedNode) -> Result<(Vec<oxigraph::model::Quad>, OnetCounts), ImportError> {
    let files = Files::open(path)?;
    let mut sink = Sink::new(graph);
    let mut counts = OnetCounts::default();
    let mut occupations: HashSet<String> = HashSet::new();

    if let Some((file, rows)) =
        tsv(&files, &mut sink, "Occupation Data.txt", &["O*NET-SOC Code", "Title", "Description"])?
    {
        for row in rows {
            let code = row.get("O*NET-SOC Code");
            if code.is_empty() || !occupations.insert(code.to_owned()) {
                sink.problem(
                    &file,
                    row.line,
                    "O*NET-SOC Code",
                    format!("the code '{code}' is empty or repeated"),
                    "keep one row per occupation",
                );
                continue;
            }
            let n = node("occupation", code);
            sink.add(&n, rdf::TYPE, tupu::OCCUPATION);
            sink.text(&n, skos::PREF_LABEL, row.get("Title"), "en");
            sink.plain(&n, skos::NOTATION, code);
            sink.text(&n, skos::DEFINITION, row.get("Description"), "en");
            counts.occupations += 1;
        }
    }

    // Ratings: (occupation, element) → importance and level.
    let mut elements: BTreeMap<String, String> = BTreeMap::new();
    let mut ratings: BTreeMap<(String, String), Rating> = BTreeMap::new();
    let rating_columns = [
        "O*NET-SOC Code",
        "Element ID",
        "Element Name",
        "Scale ID",
        "Data Value",
        "Recommend Suppress",
        "Not Relevant",
    ];
    for name in ["Skills.txt", "Knowledge.txt"] {
        let Some((file, rows)) = tsv(&files, &mut sink, name, &rating_columns)? else { continue };
        for row in rows {
            let code = row.get("O*NET-SOC Code");
            if !known_occupation(&occupations, code, &mut sink, &file, row.line) {
                continue;
            }
            let id = row.get("Element ID").to_owned();
            elements.entry(id.clone()).or_insert_with(|| row.get("Element Name").to_owned());
            let value: f64 = match row.get("Data Value").parse() {
                Ok(v) => v,
                Err(_) => {
                    sink.problem(
                        &file,
                        row.line,
                        "Data Value",
                        format!("'{}' is not a number", row.get("Data Value")),
                        "give the rating as a decimal number",
                    );
                    continue;
                }
            };
            let r = ratings.entry((code.to_owned(), id)).or_default();
            r.line = row.line;
            let suppressed = row.get("Recommend Suppress") == "Y";
            match row.get("Scale ID") {
                "IM" if (1.0..=5.0).contains(&value) => {
                    r.importance = Some(value);
                    r.suppressed_importance = suppressed;
                }
                "LV" if (0.0..=7.0).contains(&value) => {
                    r.not_relevant = row.get("Not Relevant") == "Y";
                    if !suppressed {
                        r.level = Some(value);
                    }
                }
                "IM" | "LV" => sink.problem(
                    &file,
                    row.line,
                    "Data Value",
                    format!("{value} is out of the scale's range"),
                    "importance is 1–5, level 0–7",
                ),
                other => sink.problem(&file, row.line, "Scale ID", format!("unknown scale '{other}'"), "use IM or LV"),
            }
        }
    }
    for (id, name) in &elements {
        let n = node("element", id);
        sink.add(&n, rdf::TYPE, tupu::COMPETENCY);
        sink.text(&n, skos::PREF_LABEL, name, "en");
        sink.plain(&n, skos::NOTATION, id);
    }
    counts.elements = elements.len();
    let mut rated: HashSet<&str> = HashSet::new();
    for ((code, id), r) in &ratings {
        let Some(importance) = r.importance.filter(|_| !r.suppressed_importance && !r.not_relevant) else {
            counts.flagged += 1;
            continue;
        };
        let (occ, comp) = (node("occupation", code), node("element", id));
        let q = node("requirement", &format!("{code}/{id}"));
        sink.add(&occ, tupu::REQUIRES_COMPETENCY, comp.clone());
        sink.add(&occ, tupu::QUALIFIED_REQUIREMENT, q.clone());
        sink.add(&q, rdf::TYPE, tupu::COMPETENCY_REQUIREMENT);
        sink.add(&q, tupu::COMPETENCY_PROP, comp);
        sink.boolean(&q, tupu::ESSENTIAL, importance >= 3.0);
        sink.decimal(&q, tupu::WEIGHT, ((importance - 1.0) / 4.0).clamp(0.0, 1.0));
        if let Some(level) = r.level {
            sink.integer(&q, tupu::LEVEL, ((level / 7.0 * 8.0).round() as i64).clamp(1, 8));
        }
        rated.insert(code.as_str());
        counts.rated_requirements += 1;
    }
    counts.rated_occupations = rated.len();

    // Detailed work activities, through tasks.
    let mut core: HashMap<String, bool> = HashMap::new();
    if let Some((_, rows)) = tsv(&files, &mut sink, "Task Statements.txt", &["Task ID", "Task Type"])? {
        for row in rows {
            core.insert(row.get("Task ID").to_owned(), row.get("Task Type") == "Core");
        }
    }
    if let Some((file, rows)) = tsv(
        &files,
        &mut sink,
        "DWA Reference.txt",
        &["Element ID", "Element Name", "IWA ID", "IWA Title", "DWA ID", "DWA Title"],
    )? {
        let mut seen = HashSet::new();
        let mut iwas = HashSet::new();
        for row in rows {
            let (gwa, iwa, dwa) = (
                node("element", row.get("Element ID")),
                node("iwa", row.get("IWA ID")),
                node("dwa", row.get("DWA ID")),
            );
            if row.get("DWA ID").is_empty() {
                sink.problem(&file, row.line, "DWA ID", "the DWA ID is empty".into(), "give the DWA's id");
                continue;
            }
            for (n, id, label) in
                [(&gwa, "Element ID", "Element Name"), (&iwa, "IWA ID", "IWA Title"), (&dwa, "DWA ID", "DWA Title")]
            {
                if seen.insert(n.clone()) && !elements.contains_key(row.get(id)) {
                    sink.add(n, rdf::TYPE, tupu::COMPETENCY);
                    sink.text(n, skos::PREF_LABEL, row.get(label), "en");
                    sink.plain(n, skos::NOTATION, row.get(id));
                }
            }
            sink.add(&dwa, skos::BROADER, iwa.clone());
            if iwas.insert(iwa.clone()) {
                sink.add(&iwa, skos::BROADER, gwa);
            }
            counts.dwas += 1;
        }
    }
    if let Some((file, rows)) = tsv(&files, &mut sink, "Tasks to DWAs.txt", &["O*NET-SOC Code", "Task ID", "DWA ID"])? {
        let mut links: BTreeMap<(String, String), bool> = BTreeMap::new();
        for row in rows {
            let code = row.get("O*NET-SOC Code");
            if !known_occupation(&occupations, code, &mut sink, &file, row.line) {
                continue;
            }
            let Some(&is_core) = core.get(row.get("Task ID")) else {
                sink.problem(
                    &file,
                    row.line,
                    "Task ID",
                    format!("unknown task '{}'", row.get("Task ID")),
                    "the task must be in Task Statements.txt",
                );
                continue;
            };
            *links.entry((code.to_owned(), row.get("DWA ID").to_owned())).or_default() |= is_core;
        }
        for ((code, dwa), essential) in links {
            let (occ, comp) = (node("occupation", &code), node("dwa", &dwa));
            let q = node("requirement", &format!("{code}/{dwa}"));
            sink.add(&occ, tupu::REQUIRES_COMPETENCY, comp.clone());
            sink.add(&occ, tupu::QUALIFIED_REQUIREMENT, q.clone());
            sink.add(&q, rdf::TYPE, tupu::COMPETENCY_REQUIREMENT);
            sink.add(&q, tupu::COMPETENCY_PROP, comp);
            sink.boolean(&q, tupu::ESSENTIAL, essential);
            counts.dwa_requirements += 1;
        }
    }
    if let Ok(framework) = NamedNode::new(format!("{ONET_NS}framework")) {
        sink.add(&framework, rdf::TYPE, tupu::FRAMEWORK);
        sink.text(&framework, skos::PREF_LABEL, "O*NET database", "en");
        sink.text(&framework, skos::PREF_LABEL, "美国职业信息网络数据库（O*NET）", "zh");
        sink.plain(&framework, tupu::SOURCE, "https://www.onetcenter.org/database.html");
    }
    let (quads, _) = sink.finish(path)?;
    Ok((quads, counts))
}

/// Imports an O*NET folder as one commit into `graph`.
pub fn import_onet(
    store: &GraphStore,
    path: &Path,
    graph: &NamedNode,
    replace: bool,
) -> Result<(ImportReport, OnetCounts), ImportError> {
    let (quads, counts) = convert_onet(path, graph)?;
    let report = commit_quads(store, quads, graph, replace, format!("import O*NET from {}", path.display()))?;
    Ok((report, counts))
}

#[cfg(test)]
mod tests {
    use tupu_graph::{NodeKind, Relation, graph_iri};

    use super::*;

    const HEAD: &str = "O*NET-SOC Code\tTitle\tElement ID\tElement Name\tScale ID\tScale Name\tData Value\tN\tStandard Error\tLower CI Bound\tUpper CI Bound\tRecommend Suppress\tNot Relevant\tDate\tDomain Source\n";

    fn folder(skills: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let w = |name: &str, text: String| std::fs::write(dir.path().join(name), text).unwrap();
        w("Occupation Data.txt", "O*NET-SOC Code\tTitle\tDescription\n15-1252.00\tSoftware Developers\tBuild \"software\".\n15-1253.00\tSoftware QA Analysts\tTest it.\n".into());
        w("Skills.txt", format!("{HEAD}{skills}"));
        w("Knowledge.txt", HEAD.into());
        w("Task Statements.txt", "O*NET-SOC Code\tTitle\tTask ID\tTask\tTask Type\n15-1252.00\tx\t1\tWrite code.\tCore\n15-1252.00\tx\t2\tTest code.\tSupplemental\n".into());
        w("DWA Reference.txt", "Element ID\tElement Name\tIWA ID\tIWA Title\tDWA ID\tDWA Title\n4.A.3.b.1\tWorking with Computers\t4.A.3.b.1.I01\tProgram computers.\t4.A.3.b.1.I01.D01\tWrite computer programs.\n4.A.3.b.1\tWorking with Computers\t4.A.3.b.1.I01\tProgram computers.\t4.A.3.b.1.I01.D02\tTest software.\n".into());
        w("Tasks to DWAs.txt", "O*NET-SOC Code\tTitle\tTask ID\tTask\tDWA ID\tDWA Title\tDate\tDomain Source\n15-1252.00\tx\t1\tx\t4.A.3.b.1.I01.D01\tx\tx\tx\n15-1252.00\tx\t2\tx\t4.A.3.b.1.I01.D02\tx\tx\tx\n".into());
        dir
    }

    fn rating(code: &str, id: &str, scale: &str, value: f64, suppress: &str, not_relevant: &str) -> String {
        format!(
            "{code}\tx\t{id}\tProgramming\t{scale}\tx\t{value}\t8\t0.1\t0\t0\t{suppress}\t{not_relevant}\t08/2023\tAnalyst\n"
        )
    }

    #[test]
    fn ratings_become_weighted_levelled_requirements_and_flags_are_honoured() {
        let skills = [
            rating("15-1252.00", "2.B.3.e", "IM", 4.5, "N", ""),
            rating("15-1252.00", "2.B.3.e", "LV", 5.25, "N", "N"),
            rating("15-1253.00", "2.B.3.e", "IM", 1.2, "N", ""),
            rating("15-1253.00", "2.B.3.e", "LV", 0.1, "N", "Y"),
            rating("15-1253.00", "2.A.1.a", "IM", 3.0, "Y", ""),
            rating("15-1253.00", "2.A.1.a", "LV", 3.0, "N", "N"),
        ]
        .concat();
        let dir = folder(&skills);
        let store = GraphStore::in_memory().unwrap();
        crate::load_bundled(&store, false).unwrap();
        let (_, counts) = import_onet(&store, dir.path(), &graph_iri("onet").unwrap(), false).unwrap();
        assert_eq!(
            (counts.occupations, counts.rated_occupations, counts.rated_requirements, counts.flagged),
            (2, 1, 1, 2)
        );
        assert_eq!((counts.dwas, counts.dwa_requirements), (2, 2));
        let s = store.snapshot();
        let dev = s.node_by_iri(&format!("{ONET_NS}occupation/15-1252.00")).unwrap();
        let programming = s.node_by_iri(&format!("{ONET_NS}element/2.B.3.e")).unwrap();
        let e = s.out(dev, Relation::RequiresCompetency).iter().find(|e| e.node == programming).copied().unwrap();
        assert_eq!((e.weight, e.level, e.essential), (0.875, 6, true));
        // The DWA of a Core task is essential, of a Supplemental one optional.
        let dwas: Vec<bool> = s
            .out(dev, Relation::RequiresCompetency)
            .iter()
            .filter(|e| e.node != programming)
            .map(|e| e.essential)
            .collect();
        assert_eq!(dwas, [true, false]);
        let dwa = s.node_by_iri(&format!("{ONET_NS}dwa/4.A.3.b.1.I01.D01")).unwrap();
        let iwa = s.out(dwa, Relation::Broader)[0].node;
        assert_eq!(s.kind(s.out(iwa, Relation::Broader)[0].node), NodeKind::Competency);
    }

    #[test]
    fn a_bad_rating_is_located_and_nothing_is_imported() {
        let dir = folder(
            &[rating("15-1252.00", "2.B.3.e", "IM", 9.0, "N", ""), rating("99-0000.00", "2.B.3.e", "IM", 3.0, "N", "")]
                .concat(),
        );
        let err = convert_onet(dir.path(), &graph_iri("onet").unwrap()).unwrap_err();
        let found: Vec<(u64, String)> = err
            .diagnostics()
            .iter()
            .map(|d| (d.location.as_ref().unwrap().line.unwrap(), d.location.as_ref().unwrap().field.clone().unwrap()))
            .collect();
        assert_eq!(found, [(2, "Data Value".to_owned()), (3, "O*NET-SOC Code".to_owned())]);
    }
}
