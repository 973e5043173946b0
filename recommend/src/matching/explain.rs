//! Explained matches: every score comes with the requirements met, partly met and missing, each
//! with its weight, and a one-line summary in English and Chinese.

use tupu_graph::{NodeId, Snapshot};

use super::index::{Ability, Held, MatchIndex, Source, Via};
use super::sparse::{Matcher, Profile, Rule, credit};

/// One requirement of a match and how far it is met.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Item {
    /// The required competency.
    pub competency: NodeId,
    /// Essential (true) or optional.
    pub essential: bool,
    /// Its share of the holder's requirements (importances sum to 1).
    pub weight: f32,
    /// Credit earned, in [0, 1].
    pub credit: f32,
    /// Level required, 0 when not given.
    pub required_level: u8,
    /// Level reached, 0 when unknown.
    pub level: u8,
    /// How the credit was earned.
    pub via: Option<Via>,
    /// The held competency the credit comes from.
    pub through: Option<NodeId>,
    /// Where the evidence of that held competency comes from.
    pub source: Option<Source>,
}

/// Why a score is what it is.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Breakdown {
    /// The final score in [0, 1].
    pub score: f32,
    /// Weighted share of the requirements met, before the penalty.
    pub coverage: f32,
    /// Essential requirements.
    pub essential_total: usize,
    /// Essential requirements with some credit.
    pub essential_met: usize,
    /// Requirements met in full, heaviest first.
    pub matched: Vec<Item>,
    /// Requirements met in part (a lower level, a related competency), heaviest first.
    pub partial: Vec<Item>,
    /// Requirements not met at all, essential and heaviest first.
    pub missing: Vec<Item>,
    /// One line in English.
    pub summary_en: String,
    /// One line in Chinese.
    pub summary_zh: String,
}

/// The breakdown of `abilities` against the requirements of `holder`. The score equals the
/// batch matcher's for the same pair.
pub fn explain(index: &MatchIndex, snapshot: &Snapshot, abilities: &[Ability], holder: NodeId) -> Option<Breakdown> {
    Some(explain_profile(index, snapshot, abilities, index.requirements(holder)?))
}

/// The breakdown of `abilities` against a requirement profile (see
/// [`MatchIndex::requirement_profile`]).
pub fn explain_profile(
    index: &MatchIndex,
    snapshot: &Snapshot,
    abilities: &[Ability],
    requirements: &Profile,
) -> Breakdown {
    let sources = index.sources(abilities);
    let query = index.expand(abilities);
    breakdown(index, snapshot, &query, requirements, |comp| sources.get(&comp).copied())
}

/// The breakdown of an expanded ability profile against a requirement profile.
pub(crate) fn breakdown(
    index: &MatchIndex,
    snapshot: &Snapshot,
    query: &Profile,
    requirements: &Profile,
    source: impl Fn(u32) -> Option<Held>,
) -> Breakdown {
    let rule = Rule::Requirements { penalty: super::index::ESSENTIAL_PENALTY };
    let score = Matcher::score_pair(rule, query, requirements);
    let (mut matched, mut partial, mut missing) = (Vec::new(), Vec::new(), Vec::new());
    let mut coverage = 0.0;
    for r in requirements.cells() {
        let held = query.get(r.comp);
        let c = held.map_or(0.0, |h| credit(h, r));
        coverage += r.value * c;
        let (via, through, source) = match source(r.comp) {
            Some(held) if c > 0.0 => (Some(held.via), Some(held.from), Some(held.source)),
            _ => (None, None, None),
        };
        let item = Item {
            competency: index.competency(r.comp),
            essential: r.essential,
            weight: r.value,
            credit: c,
            required_level: r.level,
            level: held.map_or(0, |h| h.level),
            via,
            through,
            source,
        };
        if c >= 0.999 {
            matched.push(item);
        } else if c > 0.0 {
            partial.push(item);
        } else {
            missing.push(item);
        }
    }
    let heavier = |a: &Item, b: &Item| b.weight.total_cmp(&a.weight);
    matched.sort_by(heavier);
    partial.sort_by(heavier);
    missing.sort_by(|a, b| b.essential.cmp(&a.essential).then(heavier(a, b)));
    let essential_total = requirements.essentials();
    let essential_met = essential_total - missing.iter().filter(|i| i.essential).count();
    let names = |items: &[Item], lang: &str| -> String {
        let shown: Vec<&str> =
            items.iter().filter(|i| i.essential).take(3).map(|i| snapshot.label(i.competency, Some(lang))).collect();
        shown.join(if lang == "zh" { "、" } else { ", " })
    };
    let mut summary_en = format!(
        "meets {} of {} essential requirements; {} met in full, {} in part, {} missing; score {:.2}",
        essential_met,
        essential_total,
        matched.len(),
        partial.len(),
        missing.len(),
        score
    );
    let mut summary_zh = format!(
        "满足 {} 项必备要求中的 {} 项；完全满足 {} 项，部分满足 {} 项，缺少 {} 项；得分 {:.2}",
        essential_total,
        essential_met,
        matched.len(),
        partial.len(),
        missing.len(),
        score
    );
    if essential_met < essential_total {
        summary_en.push_str(&format!("; missing essentials: {}", names(&missing, "en")));
        summary_zh.push_str(&format!("；缺少的必备能力：{}", names(&missing, "zh")));
    }
    let from_mastery = matched.iter().chain(&partial).filter(|i| i.source.is_some_and(Source::is_mastery)).count();
    if from_mastery > 0 {
        summary_en.push_str(&format!("; {from_mastery} credited from the learner's mastery"));
        summary_zh.push_str(&format!("；其中 {from_mastery} 项依据学习者的掌握度"));
    }
    Breakdown { score, coverage, essential_total, essential_met, matched, partial, missing, summary_en, summary_zh }
}
