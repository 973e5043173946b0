//! Links the occupations of China's classification (CSCO 2022) to ESCO's, for matching across
//! the two frameworks.
//!
//! ESCO is English and CSCO Chinese, so no label is shared. The bridge is ISCO-08 and English:
//! the CSCO importer gives every row an English title and, for a small class or occupation,
//! the ISCO-08 unit groups of the same work (`skos:broadMatch`, from the bundled table of
//! [`crate::csco_english`]); ESCO places each of its occupations in one unit group
//! (`skos:broader`). For each CSCO occupation with no CSCO occupation below it (and not a
//! residual class, 其他…: "other … workers" is no one occupation), the candidates
//! are the ESCO occupations of the ISCO sub-major groups of its unit groups, and the best is
//! the one whose preferred or alternative label is closest to the CSCO title:
//!
//! - the cosine of their words weighted by rarity among ESCO's labels (idf);
//! - times 0.95 for an alternative label, so that an occupation named so is preferred to one
//!   that also goes by that name;
//! - times the closeness of the groups: 1, 0.9 or 0.8 for the first, second or third unit group
//!   the table gives, and of that 0.85 in the same minor group (three digits) or 0.7 in the
//!   same sub-major group (two digits) only.
//!
//! A best candidate at or above the threshold becomes a proposed `skos:closeMatch`; matching
//! then reads the ESCO occupation's requirements for the CSCO one.
//!
//! The proposals are a reading of titles, not a curated correspondence: `tupu crosswalk`
//! writes them with their scores and shared words for review, into a named graph of their own.

use std::collections::{HashMap, HashSet};

use oxigraph::model::{GraphName, NamedNode, NamedNodeRef, Quad, Term};
use tupu_graph::GraphStore;
use tupu_graph::vocab::skos;

use crate::cn::{CSCO_NS, csco_english};
use crate::error::ImportError;
use crate::esco::{ESCO_OCCUPATION_NS, ISCO_GROUP_NS};

/// Factor of a candidate by the rank of its unit group among the CSCO occupation's.
const GROUP_FACTOR: [f32; 3] = [1.0, 0.9, 0.8];
/// Factor of a candidate in the same ISCO-08 minor group (three digits), or only the same
/// sub-major group (two digits), as one of the CSCO occupation's unit groups.
const SAME_MINOR: f32 = 0.85;
const SAME_SUB_MAJOR: f32 = 0.7;
/// Factor of a match on an alternative label.
const ALTERNATIVE: f32 = 0.95;
/// Words that say nothing about the work.
const STOP_WORDS: &[&str] = &["and", "of", "the", "in", "for", "a", "an", "to", "or", "other", "with", "on"];

/// A proposed link from a CSCO occupation to an ESCO occupation.
#[derive(Clone, Debug, PartialEq)]
pub struct Proposal {
    /// The CSCO occupation.
    pub csco: NamedNode,
    /// Its code.
    pub code: String,
    /// Its Chinese name.
    pub name: String,
    /// Its English title.
    pub title: String,
    /// The ESCO occupation.
    pub esco: NamedNode,
    /// Its preferred label.
    pub esco_label: String,
    /// Its label (preferred or alternative) closest to the title.
    pub matched_label: String,
    /// The ISCO-08 unit group they share.
    pub isco: String,
    /// Cosine of the title and the label's words, times the group's factor.
    pub score: f32,
    /// The words the title and the label share.
    pub shared: Vec<String>,
}

/// What [`propose`] found.
#[derive(Clone, Debug, Default)]
pub struct Proposals {
    /// The best candidate of each CSCO occupation that has one, best scores first.
    pub best: Vec<Proposal>,
    /// CSCO occupations considered (no CSCO occupation below them, not a residual class, an
    /// English title and a unit group).
    pub considered: usize,
    /// ESCO occupations with a unit group, the candidates.
    pub esco_occupations: usize,
    /// Of those considered, how many had no ESCO occupation in their own unit groups (their candidates,
    /// if any, come from neighbouring groups).
    pub without_candidates: usize,
}

impl Proposals {
    /// The proposals at or above `min_score`.
    pub fn accepted(&self, min_score: f32) -> impl Iterator<Item = &Proposal> {
        self.best.iter().filter(move |p| p.score >= min_score)
    }

    /// The `skos:closeMatch` quads of the proposals at or above `min_score`, in `graph`.
    pub fn quads(&self, min_score: f32, graph: &NamedNode) -> Vec<Quad> {
        self.accepted(min_score)
            .map(|p| Quad::new(p.csco.clone(), skos::CLOSE_MATCH, p.esco.clone(), GraphName::NamedNode(graph.clone())))
            .collect()
    }
}

/// The words of an English title: lowercase, split at anything but letters and digits, a
/// plural `s` dropped, stop words left out; sorted.
fn words(text: &str) -> Vec<String> {
    let mut out: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let w = w.to_lowercase();
            if let Some(stem) = w.strip_suffix("ies").filter(|s| s.len() > 2) {
                format!("{stem}y")
            } else if w.len() > 3 && w.ends_with('s') && !w.ends_with("ss") && !w.ends_with("us") {
                w[..w.len() - 1].to_owned()
            } else {
                w
            }
        })
        .filter(|w| !STOP_WORDS.contains(&w.as_str()))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The literals of `predicate` on `subject` in `language`.
fn literals(store: &GraphStore, subject: NamedNodeRef<'_>, predicate: NamedNodeRef<'_>, language: &str) -> Vec<String> {
    store
        .store()
        .quads_for_pattern(Some(subject.into()), Some(predicate), None, None)
        .filter_map(Result::ok)
        .filter_map(|q| match q.object {
            Term::Literal(l) if l.language() == Some(language) => Some(l.value().to_owned()),
            _ => None,
        })
        .collect()
}

/// A label and its words.
struct Label {
    text: String,
    words: Vec<String>,
    preferred: bool,
    /// Length of its idf-weighted vector of words.
    norm: f32,
}

/// One ESCO occupation: its unit group, preferred label and every label's words.
struct Candidate {
    node: NamedNode,
    group: String,
    label: String,
    labels: Vec<Label>,
}

/// Proposes, for every CSCO occupation with no CSCO occupation below it, the ESCO occupation
/// of its ISCO-08 unit groups whose labels are closest to its English title (see the module
/// documentation). Reads the store; changes nothing.
pub fn propose(store: &GraphStore) -> Result<Proposals, ImportError> {
    let quads = |predicate: NamedNodeRef<'_>| {
        store.store().quads_for_pattern(None, Some(predicate), None, None).filter_map(Result::ok).filter_map(
            |q| match (q.subject, q.object) {
                (oxigraph::model::NamedOrBlankNode::NamedNode(s), Term::NamedNode(o)) => Some((s, o)),
                _ => None,
            },
        )
    };
    // ESCO occupations by ISCO-08 sub-major group (two digits), with the words of each of
    // their labels.
    let mut by_sub_major: HashMap<String, Vec<Candidate>> = HashMap::new();
    let mut df: HashMap<String, u32> = HashMap::new();
    let mut documents = 0u32;
    // CSCO occupations with another below them, and each CSCO occupation's unit groups.
    let mut parents: HashSet<NamedNode> = HashSet::new();
    for (s, o) in quads(skos::BROADER) {
        if s.as_str().starts_with(ESCO_OCCUPATION_NS)
            && let Some(code) = o.as_str().strip_prefix(ISCO_GROUP_NS).filter(|c| c.len() == 4)
        {
            let mut labels = Vec::new();
            let preferred = literals(store, s.as_ref(), skos::PREF_LABEL, "en");
            let alternative = literals(store, s.as_ref(), skos::ALT_LABEL, "en");
            for (text, is_preferred) in
                preferred.iter().map(|t| (t, true)).chain(alternative.iter().map(|t| (t, false)))
            {
                let words = words(text);
                if !words.is_empty() {
                    labels.push(Label { text: text.clone(), words, preferred: is_preferred, norm: 0.0 });
                }
            }
            let mut seen: HashSet<&str> = HashSet::new();
            for label in &labels {
                seen.extend(label.words.iter().map(String::as_str));
            }
            for w in seen {
                *df.entry(w.to_owned()).or_default() += 1;
            }
            documents += 1;
            let label = preferred.into_iter().next().unwrap_or_default();
            by_sub_major.entry(code[..2].to_owned()).or_default().push(Candidate {
                node: s,
                group: code.to_owned(),
                label,
                labels,
            });
        } else if s.as_str().starts_with(CSCO_NS) && o.as_str().starts_with(CSCO_NS) {
            parents.insert(o);
        }
    }
    let mut groups_of: HashMap<NamedNode, Vec<String>> = HashMap::new();
    for (s, o) in quads(skos::BROAD_MATCH) {
        if s.as_str().starts_with(CSCO_NS)
            && let Some(code) = o.as_str().strip_prefix(ISCO_GROUP_NS).filter(|c| c.len() == 4)
        {
            groups_of.entry(s).or_default().push(code.to_owned());
        }
    }
    let idf = |w: &str| ((1.0 + documents as f32) / (1.0 + df.get(w).copied().unwrap_or(0) as f32)).ln() + 1.0;
    let norm = |words: &[String]| words.iter().map(|w| idf(w).powi(2)).sum::<f32>().sqrt();
    for label in by_sub_major.values_mut().flatten().flat_map(|c| c.labels.iter_mut()) {
        label.norm = norm(&label.words);
    }
    let table = csco_english();
    let mut out = Proposals { esco_occupations: documents as usize, ..Proposals::default() };
    let mut nodes: Vec<_> = groups_of.into_iter().filter(|(n, _)| !parents.contains(n)).collect();
    nodes.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
    for (node, mut groups) in nodes {
        let code = store
            .store()
            .quads_for_pattern(Some(node.as_ref().into()), Some(skos::NOTATION), None, None)
            .filter_map(Result::ok)
            .find_map(|q| match q.object {
                Term::Literal(l) => Some(l.value().to_owned()),
                _ => None,
            })
            .unwrap_or_default();
        let name = literals(store, node.as_ref(), skos::PREF_LABEL, "zh").into_iter().next().unwrap_or_default();
        if name.starts_with("其他") {
            continue;
        }
        let Some(title) = literals(store, node.as_ref(), skos::PREF_LABEL, "en").into_iter().next() else { continue };
        // The table's order of unit groups, best first, where it has the row.
        groups.sort();
        if let Some(row) = table.get(&(code.as_str(), name.as_str())) {
            groups.sort_by_key(|g| row.isco.iter().position(|r| r == g).unwrap_or(usize::MAX));
        }
        out.considered += 1;
        let title_words = words(&title);
        let title_norm = norm(&title_words);
        // How close a unit group is to the CSCO occupation's, by rank and shared digits.
        let closeness = |group: &str| {
            groups
                .iter()
                .enumerate()
                .map(|(rank, g)| {
                    let by_rank = GROUP_FACTOR.get(rank).copied().unwrap_or(0.7);
                    by_rank
                        * if g == group {
                            1.0
                        } else if g[..3] == group[..3] {
                            SAME_MINOR
                        } else if g[..2] == group[..2] {
                            SAME_SUB_MAJOR
                        } else {
                            0.0
                        }
                })
                .fold(0.0f32, f32::max)
        };
        let mut sub_majors: Vec<&str> = groups.iter().map(|g| &g[..2]).collect();
        sub_majors.sort_unstable();
        sub_majors.dedup();
        let mut best: Option<Proposal> = None;
        let mut any = false;
        for candidate in sub_majors.iter().flat_map(|m| by_sub_major.get(*m).map_or(&[][..], Vec::as_slice)) {
            let factor = closeness(&candidate.group);
            any |= groups.contains(&candidate.group);
            for label in &candidate.labels {
                let shared: Vec<&String> = title_words.iter().filter(|w| label.words.contains(w)).collect();
                if shared.is_empty() || title_norm == 0.0 {
                    continue;
                }
                let dot: f32 = shared.iter().map(|w| idf(w).powi(2)).sum();
                let cosine = dot / (title_norm * label.norm);
                let score = factor * cosine * if label.preferred { 1.0 } else { ALTERNATIVE };
                let better = best
                    .as_ref()
                    .is_none_or(|b| score > b.score || (score == b.score && candidate.node.as_str() < b.esco.as_str()));
                if better {
                    best = Some(Proposal {
                        csco: node.clone(),
                        code: code.clone(),
                        name: name.clone(),
                        title: title.clone(),
                        esco: candidate.node.clone(),
                        esco_label: candidate.label.clone(),
                        matched_label: label.text.clone(),
                        isco: candidate.group.clone(),
                        score,
                        shared: shared.into_iter().cloned().collect(),
                    });
                }
            }
        }
        out.without_candidates += usize::from(!any);
        out.best.extend(best);
    }
    out.best.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.code.cmp(&b.code)));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use oxigraph::model::vocab::rdf;
    use oxigraph::model::{Literal, Quad};
    use tupu_graph::ChangeSet;
    use tupu_graph::vocab::tupu;

    use super::*;
    use crate::esco::isco_group_iri;

    #[test]
    fn words_drop_plurals_and_stop_words() {
        assert_eq!(words("Managers of Software Companies"), ["company", "manager", "software"]);
        assert_eq!(words("glass and ceramics process engineer"), ["ceramic", "engineer", "glass", "process"]);
        assert_eq!(words("bus driver"), ["bus", "driver"]);
    }

    /// An occupation with English labels and `skos:broader` or `skos:broadMatch` groups.
    fn occupation(iri: &str, labels: &[(&str, &str)], link: NamedNodeRef<'_>, groups: &[&str]) -> Vec<Quad> {
        let node = NamedNode::new(iri).unwrap();
        let graph = GraphName::NamedNode(tupu_graph::graph_iri("test").unwrap());
        let mut quads = vec![Quad::new(node.clone(), rdf::TYPE, tupu::OCCUPATION, graph.clone())];
        for (i, (text, lang)) in labels.iter().enumerate() {
            let p = if i == 0 || *lang == "zh" { skos::PREF_LABEL } else { skos::ALT_LABEL };
            quads.push(Quad::new(
                node.clone(),
                p,
                Literal::new_language_tagged_literal(*text, *lang).unwrap(),
                graph.clone(),
            ));
        }
        for g in groups {
            let group = NamedNode::new(isco_group_iri(g)).unwrap();
            quads.push(Quad::new(group.clone(), rdf::TYPE, tupu::OCCUPATION, graph.clone()));
            quads.push(Quad::new(
                group.clone(),
                skos::PREF_LABEL,
                Literal::new_language_tagged_literal(format!("group {g}"), "en").unwrap(),
                graph.clone(),
            ));
            quads.push(Quad::new(node.clone(), link, group, graph.clone()));
        }
        quads
    }

    #[test]
    fn a_csco_occupation_links_to_the_esco_occupation_of_its_group_named_like_it() {
        let store = GraphStore::in_memory().unwrap();
        let esco = |id: &str| format!("{ESCO_OCCUPATION_NS}{id}");
        let mut quads = Vec::new();
        quads.extend(occupation(
            &esco("dev"),
            &[("software developer", "en"), ("software engineer", "en")],
            skos::BROADER,
            &["2512"],
        ));
        quads.extend(occupation(&esco("web"), &[("web developer", "en")], skos::BROADER, &["2513"]));
        // The same words in another sub-major group: never a candidate.
        quads.extend(occupation(&esco("far"), &[("software engineer", "en")], skos::BROADER, &["3512"]));
        let csco = |code: &str| format!("{CSCO_NS}{code}");
        quads.extend(occupation(
            &csco("2-02-10-03"),
            &[("computer software engineer", "en"), ("计算机软件工程技术人员", "zh")],
            skos::BROAD_MATCH,
            &["2512"],
        ));
        // Its group has no one named like it, a neighbouring unit group of the same minor group does.
        quads.extend(occupation(
            &csco("2-02-10-09"),
            &[("web developer", "en"), ("网站开发工程技术人员", "zh")],
            skos::BROAD_MATCH,
            &["2512"],
        ));
        // A residual class is left alone.
        quads.extend(occupation(
            &csco("2-02-10-99"),
            &[("other software engineer", "en"), ("其他计算机工程技术人员", "zh")],
            skos::BROAD_MATCH,
            &["2512"],
        ));
        store.commit(ChangeSet::adding(quads)).unwrap();
        let proposals = propose(&store).unwrap();
        assert_eq!((proposals.considered, proposals.esco_occupations), (2, 3));
        let by_code = |code: &str| proposals.best.iter().find(|p| p.csco.as_str() == csco(code));
        let software = by_code("2-02-10-03").expect("a proposal for the software engineer");
        assert_eq!(software.esco.as_str(), esco("dev"));
        assert_eq!(software.matched_label, "software engineer");
        assert_eq!(software.shared, ["engineer", "software"]);
        // An alternative label counts 0.95 of a preferred one.
        assert!(software.score < 0.95 && software.score > 0.5, "{}", software.score);
        let web = by_code("2-02-10-09").expect("a proposal for the web developer");
        assert_eq!(web.esco.as_str(), esco("web"));
        assert!((web.score - SAME_MINOR).abs() < 1e-6, "{}", web.score);
        // Committed above a threshold only.
        let graph = tupu_graph::graph_iri("crosswalk").unwrap();
        assert_eq!(proposals.quads(0.9, &graph).len(), 0);
        let quads = proposals.quads(0.5, &graph);
        assert_eq!(quads.len(), 2);
        assert!(quads.iter().all(|q| q.predicate == skos::CLOSE_MATCH));
    }
}
