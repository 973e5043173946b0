//! Matching people, programmes and jobs by competencies.
//!
//! - [`sparse`]: sparse competency vectors ([`Profile`]) and the inverted-index top-k
//!   [`Matcher`], single and batch (rayon), with the exposure report of a batch;
//! - [`index`]: [`MatchIndex`], the requirement and development profiles of one snapshot, with
//!   idf weights and the neighbours that give partial credit;
//! - [`explain`]: the breakdown of one match (met, partly met, missing) in English and Chinese;
//! - [`names`]: the words of occupations' names, for related occupations;
//! - this module: the questions the API asks — graduate → posts and occupations,
//!   occupation → related occupations, programme → occupations, occupation → programmes, and
//!   the gap between a graduate and a target with the programmes that close it;
//! - [`supply`]: the supply–demand report of competencies, posts' openings against graduates;
//! - [`mastery_abilities`]: a learner's mastery vector as abilities, so that a learner can be
//!   matched like a graduate.
//!
//! Only competencies enter a score: a graduate's major, institution, region or any personal
//! attribute is never an input of these functions (a major counts only through the
//! competencies it develops).

mod explain;
mod index;
mod mastery;
mod names;
mod sparse;
mod supply;

use tupu_graph::{NodeId, NodeKind, Relation, Snapshot};

pub use explain::{Breakdown, Item, explain, explain_profile};
pub use index::{
    Ability, ESSENTIAL_PENALTY, GRADED_MIN_COMPETENCIES, GRADED_MIN_HOLDERS, GRADED_SHARE, GROUP_FACTOR, Held,
    IndexCache, MatchIndex, OPTIONAL_FACTOR, Requirement, Source, TextSource, Via,
};
pub use mastery::mastery_abilities;
pub use names::Names;
pub use sparse::{Cell, Exposure, ExposureReport, Matcher, Profile, Rule, Scored, credit};
pub use supply::{Balance, Closer, Demand, Supply, SupplyDemand, supply_demand};

/// One ranked, explained match.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Match {
    /// The post, occupation or programme matched.
    pub target: NodeId,
    /// Its score in [0, 1].
    pub score: f32,
    /// Why.
    pub breakdown: Breakdown,
}

/// The best `k` occupations or posts (`kinds`) for `abilities`, best first, each explained.
/// Cost: one sparse pass over the index plus a breakdown per result.
pub fn match_holders(
    index: &MatchIndex,
    snapshot: &Snapshot,
    abilities: &[Ability],
    kinds: &[NodeKind],
    k: usize,
) -> Vec<Match> {
    let query = index.expand(abilities);
    let matcher = index.by_requirements();
    let all = matcher.top_k(&query, matcher.len(), &mut matcher.scratch());
    let sources = index.sources(abilities);
    all.into_iter()
        .map(|s| index.holder(s.target))
        .filter(|&h| kinds.contains(&snapshot.kind(h)))
        .take(k)
        .filter_map(|h| {
            let requirements = index.requirements(h)?;
            let breakdown = explain::breakdown(index, snapshot, &query, requirements, |c| sources.get(&c).copied());
            Some(Match { target: h, score: breakdown.score, breakdown })
        })
        .collect()
}

/// The abilities a programme (major, micro-major, course) develops.
pub fn programme_abilities(index: &MatchIndex, programme: NodeId) -> Vec<Ability> {
    index.developments(programme).map(<[Ability]>::to_vec).unwrap_or_default()
}

/// The best `k` programmes (`kinds`) for the requirements of an occupation or post, each
/// explained as the match of the programme's graduates to it.
pub fn match_programmes(
    index: &MatchIndex,
    snapshot: &Snapshot,
    holder: NodeId,
    kinds: &[NodeKind],
    k: usize,
) -> Vec<Match> {
    let Some(requirements) = index.requirements(holder) else { return Vec::new() };
    let matcher = index.by_programme();
    let all = matcher.top_k(requirements, matcher.len(), &mut matcher.scratch());
    all.into_iter()
        .map(|s| index.programme(s.target))
        .filter(|&p| kinds.contains(&snapshot.kind(p)))
        .take(k)
        .filter_map(|p| {
            let abilities = programme_abilities(index, p);
            let breakdown = explain(index, snapshot, &abilities, holder)?;
            Some(Match { target: p, score: breakdown.score, breakdown })
        })
        .collect()
}

/// An occupation related to another, and why.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Related {
    /// The related occupation.
    pub occupation: NodeId,
    /// The similarity, plus [`NAME_SHARE`] × the name similarity, plus [`SAME_GROUP_BONUS`]
    /// when both sit under the same broader group.
    pub score: f32,
    /// The dot product of the two similarity vectors: the cosine of the specific requirements,
    /// or, when both have graded requirements, the cosines of both parts weighed by
    /// [`GRADED_SHARE`] (see [`MatchIndex::similarity_vector`]).
    pub similarity: f32,
    /// The cosine of the specific requirements alone (idf-weighted, with their broader
    /// concepts).
    pub specific: f32,
    /// When both have graded requirements: the correlation of their grades, each competency's
    /// weight less its mean over the occupations.
    pub graded: Option<f32>,
    /// The cosine of the words of their names, and of their alternative names and definitions
    /// where the index has them (see [`Names`]).
    pub name_similarity: f32,
    /// The words those share, most telling first (at most 5); Chinese character pairs joined
    /// into the runs of the names they come from (see [`names::readable`]).
    pub shared_words: Vec<String>,
    /// Whether both have the same broader occupation group.
    pub same_group: bool,
    /// Competencies both require (a graded one only when both ask for more of it than the mean),
    /// with their share of the similarity, largest first (at most 10).
    pub shared: Vec<(NodeId, f32)>,
    /// Competencies both require.
    pub shared_count: usize,
    /// One line in English.
    pub summary_en: String,
    /// One line in Chinese.
    pub summary_zh: String,
}

/// Weight of the similarity of two occupations' names beside that of their requirements.
///
/// Names say what requirements miss: "software tester" is nearer "software developer" than
/// the two lists of skills alone tell. Against O*NET's own list of related occupations
/// (`benches/examples/related_eval.rs`), the share of each occupation's 10 most related among
/// O*NET's 10 primary ones went from 0.444 (requirements alone) to 0.475 with the titles at
/// 0.5, and to 0.487 with the titles, alternative titles and definitions at 0.7 (about 0.005
/// more at 1.0 and less at 1.5; the titles alone did worse at 1.0, and the requirements stay
/// the larger part).
pub const NAME_SHARE: f32 = 0.7;

/// Added to the similarity of two occupations under the same broader group (ISCO unit group,
/// CSCO small class): a tie-breaker, smaller than most differences in what they require.
pub const SAME_GROUP_BONUS: f32 = 0.05;

/// Fewest candidates, by the similarity of requirements, that the names and the group may
/// reorder.
const CANDIDATES: usize = 100;

/// The cosines of the specific and of the graded parts of two similarity vectors.
fn part_cosines(index: &MatchIndex, a: &Profile, b: &Profile) -> (f32, Option<f32>) {
    // [dot, |a|², |b|²] of each part: 0 specific, 1 graded.
    let mut sums = [[0.0f32; 3]; 2];
    for c in a.cells() {
        let part = &mut sums[usize::from(index.is_graded(c.comp))];
        part[1] += c.value * c.value;
        part[0] += c.value * b.get(c.comp).map_or(0.0, |y| y.value);
    }
    for c in b.cells() {
        sums[usize::from(index.is_graded(c.comp))][2] += c.value * c.value;
    }
    let cosine = |[dot, x, y]: [f32; 3]| if x > 0.0 && y > 0.0 { Some(dot / (x * y).sqrt()) } else { None };
    (cosine(sums[0]).unwrap_or(0.0), cosine(sums[1]))
}

/// Occupations ranked by how alike their requirements are to those of `occupation`.
///
/// Each occupation is a unit vector of its requirements ([`MatchIndex::similarity_vector`]):
/// specific requirements weighted by essential (1) or optional (0.5) times idf, with a quarter
/// of each weight also on the requirement's broader concept; graded requirements (those most
/// occupations carry, such as O*NET's rated skills) by their weight less its mean. The
/// similarity is the dot product of two such vectors. Among the best [`CANDIDATES`] (at least)
/// by that similarity, the score adds [`NAME_SHARE`] × the cosine of their names' words and
/// [`SAME_GROUP_BONUS`] for a shared broader group. Cost: one sparse pass over the
/// occupations' vectors, O(Σ df), plus a breakdown per candidate.
pub fn related_occupations(index: &MatchIndex, snapshot: &Snapshot, occupation: NodeId, k: usize) -> Vec<Related> {
    let Some(query) = index.similarity_vector(occupation) else { return Vec::new() };
    let matcher = index.by_similarity();
    let groups = |o: NodeId| -> Vec<NodeId> { snapshot.out(o, Relation::Broader).iter().map(|e| e.node).collect() };
    let mine = groups(occupation);
    let mut candidates: Vec<Related> = matcher
        // Enough for the names and the same-group bonus to reorder, and the occupation itself.
        .top_k(query, (4 * k + 8).max(CANDIDATES) + 1, &mut matcher.scratch())
        .into_iter()
        .map(|s| (index.similar_occupation(s.target), s.score))
        .filter(|&(o, _)| o != occupation)
        .filter_map(|(o, similarity)| {
            let other = index.similarity_vector(o)?;
            let same_group = groups(o).iter().any(|g| mine.contains(g));
            let (specific, graded) = part_cosines(index, query, other);
            let mut shared: Vec<(NodeId, f32)> = Vec::new();
            let mut shared_count = 0;
            if let (Some(a), Some(b)) = (index.requirements(occupation), index.requirements(o)) {
                for c in a.cells().iter().filter(|c| b.get(c.comp).is_some()) {
                    shared_count += 1;
                    let (x, y) = (query.get(c.comp).map_or(0.0, |x| x.value), other.get(c.comp).map_or(0.0, |y| y.value));
                    if x > 0.0 && y > 0.0 {
                        shared.push((index.competency(c.comp), x * y));
                    }
                }
            }
            shared.sort_by(|a, b| b.1.total_cmp(&a.1));
            shared.truncate(10);
            let (name_similarity, words) = index.name_similarity(snapshot, occupation, o);
            let labels: Vec<&str> =
                snapshot.labels(occupation).iter().chain(snapshot.labels(o)).map(|l| &*l.text).collect();
            let shared_words: Vec<String> = names::readable(&words, &labels).into_iter().take(5).collect();
            let score =
                similarity + NAME_SHARE * name_similarity + if same_group { SAME_GROUP_BONUS } else { 0.0 };
            let top = |lang: &str| -> String {
                shared
                    .iter()
                    .take(3)
                    .map(|&(c, _)| snapshot.label(c, Some(lang)))
                    .collect::<Vec<_>>()
                    .join(if lang == "zh" { "、" } else { ", " })
            };
            let (graded_en, graded_zh) = match graded {
                Some(g) => (
                    format!(", correlation of rated importance {g:.2}"),
                    format!("，能力重要程度评分的相关系数 {g:.2}"),
                ),
                None => (String::new(), String::new()),
            };
            let (words_en, words_zh) = if shared_words.is_empty() {
                (String::new(), String::new())
            } else {
                (
                    format!("; names and descriptions share \"{}\"", shared_words.join("\", \"")),
                    format!("；名称与描述共有“{}”", shared_words.join("”“")),
                )
            };
            let summary_en = format!(
                "{shared_count} shared requirements (cosine of specific requirements {specific:.2}{graded_en}{}); most telling: {}{words_en}",
                if same_group { ", same group" } else { "" },
                top("en")
            );
            let summary_zh = format!(
                "共同要求 {shared_count} 项（专门要求的余弦相似度 {specific:.2}{graded_zh}{}）；最具区分度的：{}{words_zh}",
                if same_group { "，同属一个职业小类" } else { "" },
                top("zh")
            );
            Some(Related {
                occupation: o,
                score,
                similarity,
                specific,
                graded,
                name_similarity,
                shared_words,
                same_group,
                shared,
                shared_count,
                summary_en,
                summary_zh,
            })
        })
        .collect();
    candidates.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.occupation.cmp(&b.occupation)));
    candidates.truncate(k);
    candidates
}

/// A programme that would close part of a gap.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct GapOption {
    /// The course, micro-major or major.
    pub programme: NodeId,
    /// Hours of study (its `tupu:learningMinutes`, else 48 for a course, 160 for a
    /// micro-major, 2,400 for a major).
    pub hours: f32,
    /// Score gained if the graduate added what it develops.
    pub gain: f32,
    /// Gain per hour of study (the ranking key).
    pub gain_per_hour: f32,
    /// Required competencies it develops that are now missing or partly met.
    pub closes: Vec<NodeId>,
}

/// The gap between a graduate and an occupation or post, and the programmes that close it.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Gap {
    /// The current match.
    pub breakdown: Breakdown,
    /// Programmes that raise the score, by gain per hour, best first.
    pub options: Vec<GapOption>,
    /// Knowledge points that support the missing or partly met competencies (goals for a
    /// learning path).
    pub knowledge_points: Vec<NodeId>,
}

/// Hours of study of a programme.
pub fn programme_hours(snapshot: &Snapshot, programme: NodeId) -> f32 {
    match snapshot.attrs(programme).learning_minutes {
        Some(m) if m > 0.0 => m / 60.0,
        _ => match snapshot.kind(programme) {
            NodeKind::Major => 2_400.0,
            NodeKind::MicroMajor => 160.0,
            _ => 48.0,
        },
    }
}

/// The gap of `abilities` to `holder`. Each programme is tried by adding what it develops to
/// the abilities and rescoring: O(programmes × requirements).
pub fn gap(index: &MatchIndex, snapshot: &Snapshot, abilities: &[Ability], holder: NodeId, k: usize) -> Option<Gap> {
    let breakdown = explain(index, snapshot, abilities, holder)?;
    let requirements = index.requirements(holder)?;
    let rule = Rule::Requirements { penalty: ESSENTIAL_PENALTY };
    let open: Vec<NodeId> = breakdown.missing.iter().chain(&breakdown.partial).map(|i| i.competency).collect();
    let mut options = Vec::new();
    for &p in index.programmes() {
        let develops = programme_abilities(index, p);
        let mut combined = abilities.to_vec();
        combined.extend_from_slice(&develops);
        let after = Matcher::score_pair(rule, &index.expand(&combined), requirements);
        let gain = after - breakdown.score;
        if gain <= 1e-6 {
            continue;
        }
        let expanded = index.expand(&develops);
        let closes: Vec<NodeId> =
            open.iter().copied().filter(|&c| index.dense(c).is_some_and(|d| expanded.get(d).is_some())).collect();
        let hours = programme_hours(snapshot, p);
        options.push(GapOption { programme: p, hours, gain, gain_per_hour: gain / hours, closes });
    }
    options.sort_by(|a, b| b.gain_per_hour.total_cmp(&a.gain_per_hour).then(a.programme.cmp(&b.programme)));
    options.truncate(k);
    let mut knowledge_points: Vec<NodeId> =
        open.iter().flat_map(|&c| snapshot.inc(c, Relation::Supports).iter().map(|e| e.node)).collect();
    knowledge_points.sort();
    knowledge_points.dedup();
    Some(Gap { breakdown, options, knowledge_points })
}

#[cfg(test)]
mod tests {
    use tupu_graph::{Edge, SnapshotBuilder};

    use super::*;

    /// `n` occupations that all require the same `m` competencies, at weights that follow a
    /// pattern of their own, and each two specific competencies no other requires. The first
    /// two follow one pattern, the third its reverse.
    fn rated(n: usize, m: usize) -> (Snapshot, Vec<NodeId>, Vec<NodeId>) {
        let mut b = SnapshotBuilder::new();
        let rated: Vec<NodeId> =
            (0..m).map(|i| b.node(&format!("https://e.org/rated/{i}"), NodeKind::Competency)).collect();
        let mut occupations = Vec::new();
        for o in 0..n {
            let occupation = b.node(&format!("https://e.org/occupation/{o}"), NodeKind::Occupation);
            for (i, &c) in rated.iter().enumerate() {
                let weight = match o {
                    0 => 0.1 + 0.08 * i as f32,
                    1 => 0.12 + 0.08 * i as f32,
                    2 => 0.82 - 0.08 * i as f32,
                    _ => 0.2 + 0.6 * (((o * 7 + i * 13) % 11) as f32 / 10.0),
                };
                b.qualified_edge(
                    Relation::RequiresCompetency,
                    occupation,
                    Edge { node: c, weight, level: 3, essential: true },
                );
            }
            for s in 0..2 {
                let specific = b.node(&format!("https://e.org/specific/{o}/{s}"), NodeKind::Competency);
                b.edge(Relation::RequiresCompetency, occupation, specific, 1.0);
            }
            occupations.push(occupation);
        }
        (b.build(1), occupations, rated)
    }

    #[test]
    fn competencies_every_occupation_requires_count_by_their_weights() {
        let (s, occupations, rated) = rated(60, 10);
        let index = MatchIndex::new(&s);
        assert!(rated.iter().all(|&c| index.is_graded(index.dense(c).unwrap())));
        let related = related_occupations(&index, &s, occupations[0], 59);
        // Nothing specific is shared: the weights alone rank, the same pattern first and its
        // reverse below every other.
        assert_eq!(related[0].occupation, occupations[1]);
        let first = &related[0];
        assert!(first.graded.unwrap() > 0.99 && first.specific == 0.0, "{first:?}");
        assert!((first.similarity - GRADED_SHARE * first.graded.unwrap()).abs() < 1e-4, "{first:?}");
        assert!(related.iter().all(|r| r.occupation != occupations[2]), "a negative similarity is no relation");
        // The shared competencies are those both ask for more of than the mean: the top of the
        // pattern, not its bottom.
        let top = index.dense(rated[9]).unwrap();
        assert_eq!(first.shared[0].0, index.competency(top));
        assert!(first.shared.iter().all(|&(c, x)| x > 0.0 && c != rated[0]), "{first:?}");
        assert!(first.summary_en.contains("correlation of rated importance"), "{}", first.summary_en);
    }

    #[test]
    fn of_two_occupations_that_require_alike_the_one_named_alike_comes_first() {
        let mut b = SnapshotBuilder::new();
        let skills: Vec<NodeId> =
            (0..3).map(|i| b.node(&format!("https://e.org/skill/{i}"), NodeKind::Competency)).collect();
        let mut occupation = |name: &str, skills: &[NodeId]| {
            let o = b.node(&format!("https://e.org/occupation/{name}"), NodeKind::Occupation);
            b.label(o, "en", name);
            for &c in skills {
                b.edge(Relation::RequiresCompetency, o, c, 1.0);
            }
            o
        };
        let developer = occupation("software developer", &skills);
        let tester = occupation("software tester", &skills[..2]);
        let analyst = occupation("systems analyst", &skills[..2]);
        let s = b.build(1);
        let index = MatchIndex::new(&s);
        let related = related_occupations(&index, &s, developer, 5);
        assert_eq!(related.iter().map(|r| r.occupation).collect::<Vec<_>>(), [tester, analyst]);
        assert!((related[0].similarity - related[1].similarity).abs() < 1e-6, "{related:?}");
        assert_eq!(related[0].shared_words, ["software"]);
        assert!(related[0].name_similarity > 0.0 && related[1].name_similarity == 0.0);
        assert!((related[0].score - related[0].similarity - NAME_SHARE * related[0].name_similarity).abs() < 1e-6);
        assert!(
            related[0].summary_en.contains("names and descriptions share \"software\""),
            "{}",
            related[0].summary_en
        );
    }

    #[test]
    fn an_occupation_without_requirements_takes_those_it_maps_to() {
        let mut b = SnapshotBuilder::new();
        let skills: Vec<NodeId> =
            (0..3).map(|i| b.node(&format!("https://e.org/skill/{i}"), NodeKind::Competency)).collect();
        let esco = b.node("https://e.org/esco/developer", NodeKind::Occupation);
        for &c in &skills {
            b.edge(Relation::RequiresCompetency, esco, c, 1.0);
        }
        let other = b.node("https://e.org/esco/tester", NodeKind::Occupation);
        b.edge(Relation::RequiresCompetency, other, skills[0], 1.0);
        let csco = b.node("https://e.org/csco/developer", NodeKind::Occupation);
        b.edge(Relation::CloseMatch, csco, esco, 1.0);
        // Mapped to an occupation without requirements either: nothing to take.
        let lone = b.node("https://e.org/csco/lone", NodeKind::Occupation);
        b.edge(Relation::ExactMatch, lone, csco, 1.0);
        let s = b.build(1);
        let index = MatchIndex::new(&s);
        assert_eq!(index.inherited_from(csco), [(esco, Via::CloseMatch.factor())]);
        assert!(index.inherited_from(esco).is_empty() && index.requirements(lone).is_none());
        // Its requirements are the ESCO occupation's, so the two are as alike as can be.
        let related = related_occupations(&index, &s, esco, 5);
        assert_eq!(related[0].occupation, csco);
        assert!((related[0].similarity - 1.0).abs() < 1e-5, "{related:?}");
        // And a graduate holding the skills is matched to it.
        let abilities: Vec<Ability> = skills
            .iter()
            .map(|&c| Ability { competency: c, strength: 1.0, level: 0, source: Source::Stated })
            .collect();
        let matches = match_holders(&index, &s, &abilities, &[NodeKind::Occupation], 5);
        assert!(matches.iter().any(|m| m.target == csco && m.score > 0.99), "{matches:?}");
    }

    #[test]
    fn an_occupation_mapped_only_to_a_group_takes_what_most_of_the_group_requires() {
        let mut b = SnapshotBuilder::new();
        let skills: Vec<NodeId> =
            (0..3).map(|i| b.node(&format!("https://e.org/skill/{i}"), NodeKind::Competency)).collect();
        let group = b.node("https://e.org/isco/C2512", NodeKind::Occupation);
        // Three occupations of the group: all require skill 0, one also skills 1 and 2.
        let members: Vec<NodeId> =
            (0..3).map(|i| b.node(&format!("https://e.org/esco/{i}"), NodeKind::Occupation)).collect();
        for (i, &m) in members.iter().enumerate() {
            b.edge(Relation::Broader, m, group, 1.0);
            b.edge(Relation::RequiresCompetency, m, skills[0], 0.5 + 0.25 * i as f32);
            if i == 0 {
                b.edge(Relation::RequiresCompetency, m, skills[1], 1.0);
                b.edge(Relation::RequiresCompetency, m, skills[2], 1.0);
            }
        }
        let grouped = b.node("https://e.org/csco/grouped", NodeKind::Occupation);
        b.edge(Relation::BroadMatch, grouped, group, 1.0);
        // A close match comes before a group.
        let matched = b.node("https://e.org/csco/matched", NodeKind::Occupation);
        b.edge(Relation::BroadMatch, matched, group, 1.0);
        b.edge(Relation::CloseMatch, matched, members[0], 1.0);
        let s = b.build(1);
        let index = MatchIndex::new(&s);
        assert_eq!(index.inherited_from(grouped), [(group, GROUP_FACTOR)]);
        let edges = index.requirement_edges(&s, grouped);
        assert_eq!(edges.len(), 1, "{edges:?}");
        let (edge, source) = edges[0];
        assert_eq!((edge.node, source), (skills[0], Some(group)));
        // The mean weight of the three, at the group's share.
        assert!((edge.weight - 0.75 * GROUP_FACTOR).abs() < 1e-6, "{edge:?}");
        assert_eq!(index.inherited_from(matched), [(members[0], Via::CloseMatch.factor())]);
    }

    #[test]
    fn few_occupations_or_few_common_competencies_grade_nothing() {
        let (s, _, few) = rated(60, GRADED_MIN_COMPETENCIES - 1);
        let index = MatchIndex::new(&s);
        assert!(few.iter().all(|&c| !index.is_graded(index.dense(c).unwrap())));
        let (s, occupations, rated) = rated(GRADED_MIN_HOLDERS - 1, 10);
        let index = MatchIndex::new(&s);
        assert!(rated.iter().all(|&c| !index.is_graded(index.dense(c).unwrap())));
        let related = related_occupations(&index, &s, occupations[0], 5);
        assert_eq!(related.len(), 5);
        assert!(related.iter().all(|r| r.graded.is_none() && (r.similarity - r.specific).abs() < 1e-5), "{related:?}");
    }
}
