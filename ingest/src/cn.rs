//! Importers for China's 2022 occupational classification (CSCO, 职业分类大典) and the catalogue
//! of higher-education majors (普通高等学校本科/高职专业目录).
//!
//! | source | Tupu |
//! |---|---|
//! | CSCO row (`level,code,name,definition,tasks,alias`) | `tupu:Occupation` at `https://w3id.org/tupu/csco/{code}`: `skos:prefLabel` the name without its `S`/`L` marks, `skos:notation` the code, `skos:altLabel` each alias, `skos:definition`, one `skos:scopeNote` per numbered task, `skos:broader` the row of the level above; the marks become `tupu:digital` / `tupu:green`. From the bundled table `ontologies/crosswalks/csco2022-en-isco.tsv` (see [`csco_english`]): an English `skos:prefLabel`, and for a small class or occupation `skos:broadMatch` the ISCO-08 unit groups of the same work, as ESCO names them (`http://data.europa.eu/esco/isco/C2512`) |
//! | major (`spcode, name, level1_name, level2_name, level3_name`) | `tupu:Major` at `https://w3id.org/tupu/cn-major/{spcode}`: `skos:prefLabel`, `skos:notation` the code, `tupu:subject` the discipline (门类), `tupu:topic` the major class (专业类), `tupu:domain` the level of study (本科/专科) |
//!
//! The majors' published gender ratios and salaries are never read: they must not reach a
//! recommendation.

use std::collections::HashSet;
use std::path::Path;

use oxigraph::model::NamedNode;
use oxigraph::model::vocab::rdf;
use serde::Deserialize;
use tupu_graph::GraphStore;
use tupu_graph::vocab::{skos, tupu};

use crate::error::ImportError;
use crate::esco::isco_group_iri;
use crate::rdf::{ImportReport, commit_quads};
use crate::table::{Delimited, Sink, Table};

const SCOPE_NOTE: oxigraph::model::NamedNodeRef<'static> =
    oxigraph::model::NamedNodeRef::new_unchecked("http://www.w3.org/2004/02/skos/core#scopeNote");

/// Namespace of CSCO occupations.
pub const CSCO_NS: &str = "https://w3id.org/tupu/csco/";
/// Namespace of Chinese majors.
pub const CN_MAJOR_NS: &str = "https://w3id.org/tupu/cn-major/";

/// The bundled English titles and ISCO-08 unit groups of CSCO 2022's rows
/// (`code, name, en, isco, confidence`; `name` is the row's name without its marks, `isco`
/// lists up to three unit groups, best first, separated by `|`). Written for Tupu from each
/// row's name and definition and ISCO-08's group descriptions: a reading for linking and
/// display, not an official translation or correspondence.
pub const CSCO_ENGLISH: &str = include_str!("../../ontologies/crosswalks/csco2022-en-isco.tsv");

/// One row of [`CSCO_ENGLISH`].
#[derive(Clone, Debug, PartialEq)]
pub struct CscoEnglish<'a> {
    /// English title.
    pub title: &'a str,
    /// ISCO-08 unit group codes, best first (none for major groups and middle classes).
    pub isco: Vec<&'a str>,
    /// `high`, `medium` or `low`.
    pub confidence: &'a str,
}

/// [`CSCO_ENGLISH`] by CSCO code and name (a row of another edition, or renamed, has none).
pub fn csco_english() -> std::collections::HashMap<(&'static str, &'static str), CscoEnglish<'static>> {
    CSCO_ENGLISH
        .lines()
        .skip(1)
        .filter_map(|line| {
            let mut fields = line.split('\t');
            let (code, name, title) = (fields.next()?, fields.next()?, fields.next()?);
            let (isco, confidence) = (fields.next()?, fields.next()?);
            let isco = isco.split('|').filter(|c| !c.is_empty()).collect();
            Some(((code, name), CscoEnglish { title, isco, confidence }))
        })
        .collect()
}

/// A CSCO name split from its marks: `地理信息系统工程技术人员L/S` → (name, digital, green).
pub fn csco_marks(name: &str) -> (&str, bool, bool) {
    let mut rest = name.trim_end();
    let (mut digital, mut green) = (false, false);
    loop {
        if let Some(r) = rest.strip_suffix('S') {
            digital = true;
            rest = r;
        } else if let Some(r) = rest.strip_suffix('L') {
            green = true;
            rest = r;
        } else if let Some(r) = rest.strip_suffix('/').filter(|_| digital || green) {
            rest = r;
        } else {
            break;
        }
    }
    (rest, digital, green)
}

/// Converts the CSCO CSV into quads of `graph`: every row checked (level 1–4, code shape, a
/// parent one level up whose code begins the same way), every problem located by line and field.
pub fn convert_csco(path: &Path, graph: &NamedNode) -> Result<(Vec<oxigraph::model::Quad>, usize), ImportError> {
    csco(path, graph).map(|(quads, rows, _)| (quads, rows))
}

/// [`convert_csco`] with the warnings (rows merged into an identical earlier row).
fn csco(
    path: &Path,
    graph: &NamedNode,
) -> Result<(Vec<oxigraph::model::Quad>, usize, Vec<tupu_graph::Diagnostic>), ImportError> {
    let text = std::fs::read_to_string(path).map_err(|source| ImportError::Io { path: path.to_owned(), source })?;
    let mut sink = Sink::new(graph);
    let file = path.display().to_string();
    let mut rows = 0;
    let english = csco_english();
    if let Some(t) = Table::open(file.clone(), Delimited::csv(&text), &["level", "code", "name"], &mut sink) {
        // The rows are in hierarchical order: each row's parent is the last row of the level above.
        let mut last: [Option<(String, NamedNode)>; 4] = Default::default();
        let mut codes = HashSet::new();
        // The first row of each (code, level) with its values: an identical repeat is merged.
        let mut first_rows: std::collections::HashMap<(String, usize), (u64, Vec<String>)> =
            std::collections::HashMap::new();
        for row in t.rows(&mut sink) {
            let line = row.line;
            let level: usize = match row.get("level").parse() {
                Ok(l @ 1..=4) => l,
                _ => {
                    sink.problem(
                        &file,
                        line,
                        "level",
                        format!("level '{}' is not 1, 2, 3 or 4", row.get("level")),
                        "give the level of the row: 1 大类, 2 中类, 3 小类, 4 细类",
                    );
                    continue;
                }
            };
            let code = row.get("code");
            let parts: Vec<&str> = code.split('-').collect();
            if parts.len() != 4 || parts.iter().any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit())) {
                sink.problem(&file, line, "code", format!("'{code}' is not a CSCO code"), "write codes as 2-02-01-02");
                continue;
            }
            // The official file repeats three rows word for word: a repeat is merged into
            // the first row, with a warning; a row that differs is a conflict.
            match first_rows.entry((code.to_owned(), level)) {
                std::collections::hash_map::Entry::Occupied(first) if first.get().1 == row.values() => {
                    let first_line = first.get().0;
                    sink.warn(
                        &file,
                        line,
                        "code",
                        format!("the row repeats line {first_line} word for word (code {code}, level {level}); it is merged into that row"),
                        "remove the repeated row",
                    );
                    continue;
                }
                std::collections::hash_map::Entry::Occupied(_) => {}
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert((line, row.values()));
                }
            }
            // A class that is also its only occupation repeats its code one level down: the
            // deeper row gets its level after the code.
            let iri = if codes.insert((code.to_owned(), level)) {
                if codes.iter().filter(|(c, _)| c == code).count() > 1 {
                    format!("{CSCO_NS}{code}/{level}")
                } else {
                    format!("{CSCO_NS}{code}")
                }
            } else {
                sink.problem(
                    &file,
                    line,
                    "code",
                    format!("the code {code} appears twice at level {level} with different values"),
                    "keep one row per code and level",
                );
                continue;
            };
            let (name, digital, green) = csco_marks(row.get("name"));
            if name.is_empty() {
                sink.problem(&file, line, "name", "the name is empty".into(), "give the occupation's name");
                continue;
            }
            let Some(node) = sink.iri(&iri, &file, line, "code") else { continue };
            sink.add(&node, rdf::TYPE, tupu::OCCUPATION);
            sink.text(&node, skos::PREF_LABEL, name, "zh");
            if let Some(en) = english.get(&(code, name)) {
                sink.text(&node, skos::PREF_LABEL, en.title, "en");
                if level >= 3 {
                    for group in &en.isco {
                        if let Some(group) = sink.iri(&isco_group_iri(group), &file, line, "code") {
                            sink.add(&node, skos::BROAD_MATCH, group);
                        }
                    }
                }
            }
            sink.plain(&node, skos::NOTATION, code);
            if digital {
                sink.boolean(&node, tupu::DIGITAL, true);
            }
            if green {
                sink.boolean(&node, tupu::GREEN, true);
            }
            for alias in row.get("alias").split([',', '，']).map(str::trim) {
                if !alias.is_empty() && alias != name && alias != row.get("name") {
                    sink.text(&node, skos::ALT_LABEL, alias, "zh");
                }
            }
            sink.text(&node, skos::DEFINITION, row.get("definition"), "zh");
            for task in split_tasks(row.get("tasks")) {
                sink.text(&node, SCOPE_NOTE, task, "zh");
            }
            if level > 1 {
                match last[..level - 1].iter().rev().flatten().next() {
                    Some((parent_code, parent)) if parent_code.split('-').next() == parts.first().copied() => {
                        sink.add(&node, skos::BROADER, parent.clone());
                    }
                    _ => sink.problem(
                        &file,
                        line,
                        "code",
                        format!(
                            "{code} (level {level}) has no row of a level above it in the same major group before it"
                        ),
                        "keep the rows in the classification's order, each group before its members",
                    ),
                }
            }
            last[level - 1] = Some((code.to_owned(), node));
            for slot in last.iter_mut().skip(level) {
                *slot = None;
            }
            rows += 1;
        }
    }
    let (quads, warnings) = sink.finish(path)?;
    Ok((quads, rows, warnings))
}

/// The numbered tasks of a CSCO row (`1.… 2.…`).
fn split_tasks(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = None;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let at_number = bytes[i].is_ascii_digit()
            && (i == 0 || bytes[i - 1] == b' ')
            && bytes[i..].iter().skip_while(|b| b.is_ascii_digit()).next() == Some(&b'.');
        if at_number {
            if let Some(s) = start {
                out.push(text[s..i].trim());
            }
            let digits = bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count();
            start = Some(i + digits + 1);
            i += digits + 1;
        } else {
            i += 1;
        }
    }
    match start {
        Some(s) => out.push(text[s..].trim()),
        None if !text.trim().is_empty() => out.push(text.trim()),
        None => {}
    }
    out.retain(|t| !t.is_empty());
    out
}

/// Imports the CSCO CSV as one commit into `graph`.
pub fn import_csco(
    store: &GraphStore,
    path: &Path,
    graph: &NamedNode,
    replace: bool,
) -> Result<ImportReport, ImportError> {
    let (quads, _, warnings) = csco(path, graph)?;
    let mut report = commit_quads(store, quads, graph, replace, format!("import CSCO 2022 from {}", path.display()))?;
    report.commit.warnings.extend(warnings);
    Ok(report)
}

#[derive(Deserialize)]
struct MajorRecord {
    spcode: String,
    name: String,
    #[serde(default)]
    level1_name: Option<String>,
    #[serde(default)]
    level2_name: Option<String>,
    #[serde(default)]
    level3_name: Option<String>,
}

/// Converts the catalogue of majors (a JSON array) into quads of `graph`.
pub fn convert_cn_majors(path: &Path, graph: &NamedNode) -> Result<(Vec<oxigraph::model::Quad>, usize), ImportError> {
    let bytes = std::fs::read(path).map_err(|source| ImportError::Io { path: path.to_owned(), source })?;
    let file = path.display().to_string();
    let mut sink = Sink::new(graph);
    let records: Vec<serde_json::Value> = match serde_json::from_slice(&bytes) {
        Ok(r) => r,
        Err(e) => {
            sink.syntax(&file, e.line() as u64, &e.to_string());
            return sink.finish(path).map(|(q, _)| (q, 0));
        }
    };
    let mut codes = HashSet::new();
    for (i, value) in records.into_iter().enumerate() {
        let place = |sink: &mut Sink, field: &str, message: String, hint: &str| {
            sink.record_problem(&file, i, field, format!("record {i}: {message}"), hint);
        };
        let record: MajorRecord = match serde_json::from_value(value) {
            Ok(r) => r,
            Err(e) => {
                place(&mut sink, "spcode", e.to_string(), "each record needs spcode and name");
                continue;
            }
        };
        let code = record.spcode.trim();
        if code.len() < 6
            || !code.bytes().take(4).all(|b| b.is_ascii_digit())
            || !code.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            place(
                &mut sink,
                "spcode",
                format!("'{code}' is not a major code"),
                "give the six-character catalogue code, e.g. 080902",
            );
            continue;
        }
        if !codes.insert(code.to_owned()) {
            place(&mut sink, "spcode", format!("the code {code} appears twice"), "keep one record per code");
            continue;
        }
        let Ok(node) = NamedNode::new(format!("{CN_MAJOR_NS}{code}")) else { continue };
        sink.add(&node, rdf::TYPE, tupu::MAJOR);
        sink.text(&node, skos::PREF_LABEL, &record.name, "zh");
        sink.plain(&node, skos::NOTATION, code);
        for (p, v) in [
            (tupu::SUBJECT, &record.level2_name),
            (tupu::TOPIC, &record.level3_name),
            (tupu::DOMAIN, &record.level1_name),
        ] {
            if let Some(v) = v {
                sink.plain(&node, p, v);
            }
        }
    }
    let count = codes.len();
    let (quads, _) = sink.finish(path)?;
    Ok((quads, count))
}

/// Imports the catalogue of majors as one commit into `graph`.
pub fn import_cn_majors(
    store: &GraphStore,
    path: &Path,
    graph: &NamedNode,
    replace: bool,
) -> Result<ImportReport, ImportError> {
    let (quads, _) = convert_cn_majors(path, graph)?;
    commit_quads(store, quads, graph, replace, format!("import the catalogue of majors from {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_leave_the_name_and_become_attributes() {
        assert_eq!(csco_marks("地理信息系统工程技术人员L/S"), ("地理信息系统工程技术人员", true, true));
        assert_eq!(csco_marks("工程测量工程技术人员S"), ("工程测量工程技术人员", true, false));
        assert_eq!(csco_marks("水工环地质工程技术人员L"), ("水工环地质工程技术人员", false, true));
        assert_eq!(csco_marks("软件工程技术人员"), ("软件工程技术人员", false, false));
    }

    #[test]
    fn tasks_are_split_at_their_numbers() {
        assert_eq!(
            split_tasks("1.领导工作 2.签署文件，共3.5项 3.处理其他。"),
            ["领导工作", "签署文件，共3.5项", "处理其他。"]
        );
        assert_eq!(split_tasks(""), Vec::<&str>::new());
    }

    #[test]
    fn rows_form_four_levels_and_bad_rows_are_located() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("csco.csv");
        std::fs::write(
            &path,
            "level,code,code_num,name,definition,tasks,csco_code_num,alias\n\
             1,2-00-00-00,,专业技术人员,,,,\n\
             2,2-02-00-00,,工程技术人员,,,,\n\
             3,2-02-10-00,,信息和通信工程技术人员,,,,\n\
             4,2-02-10-03,,软件工程技术人员S,从事软件开发的人员。,1.分析需求 2.编写代码,,软件工程师,程序员\n",
        )
        .unwrap();
        let graph = tupu_graph::graph_iri("csco").unwrap();
        let (quads, rows) = convert_csco(&path, &graph).unwrap();
        assert_eq!(rows, 4);
        let store = GraphStore::in_memory().unwrap();
        crate::load_bundled(&store, false).unwrap();
        commit_quads(&store, quads, &graph, false, "csco".into()).unwrap();
        let s = store.snapshot();
        let leaf = s.node_by_iri(&format!("{CSCO_NS}2-02-10-03")).unwrap();
        assert_eq!(s.label(leaf, Some("zh")), "软件工程技术人员");
        let mut up = leaf;
        for _ in 0..3 {
            up = s.out(up, tupu_graph::Relation::Broader)[0].node;
        }
        assert_eq!(s.iri(up), format!("{CSCO_NS}2-00-00-00"));

        std::fs::write(
            &path,
            "level,code,name\n1,2-00-00-00,专业技术人员\n5,2-01-00-00,x\n4,3-01-00-01,孤儿\n1,2-00-00-00,重复\n",
        )
        .unwrap();
        let err = convert_csco(&path, &graph).unwrap_err();
        let found: Vec<(u64, &str)> = err
            .diagnostics()
            .iter()
            .map(|d| {
                let l = d.location.as_ref().unwrap();
                (l.line.unwrap(), l.field.as_deref().unwrap())
            })
            .collect();
        assert_eq!(found, [(3, "level"), (4, "code"), (5, "code")]);
    }

    #[test]
    fn majors_keep_codes_and_classes_and_never_gender_ratios() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("majors.json");
        std::fs::write(
            &path,
            r#"[{"spcode": "080902", "name": "软件工程", "level1_name": "本科(普通)", "level2_name": "工学", "level3_name": "计算机类", "boy_rate": "73", "girl_rate": "27"}]"#,
        )
        .unwrap();
        let graph = tupu_graph::graph_iri("cn-majors").unwrap();
        let (quads, count) = convert_cn_majors(&path, &graph).unwrap();
        assert_eq!(count, 1);
        assert!(quads.iter().all(|q| !q.object.to_string().contains("73")));
        assert!(quads.iter().any(|q| q.object.to_string() == "\"计算机类\""));
        std::fs::write(&path, r#"[{"spcode": "0809", "name": "x"}, {"name": "y"}]"#).unwrap();
        let err = convert_cn_majors(&path, &graph).unwrap_err();
        assert_eq!(err.diagnostics().len(), 2);
        assert!(err.diagnostics()[0].message.starts_with("record 0"));
    }
}
