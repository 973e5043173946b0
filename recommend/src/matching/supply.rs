//! Supply and demand of competencies (人才供需): what posts ask for, weighted by their
//! openings, against what graduates bring, and the programmes that would close the gap.
//!
//! - **Demand** of competency c: `Σ openings(p) × (1 if essential else 0.5) × weight(p, c)`
//!   over the posts p in the report, i.e. openings that ask for c.
//! - **Supply** of c: `Σ graduates(g) × credit(g, c)` over the cohorts or graduates g, where
//!   `credit` is the strength with which g holds c directly or through a neighbour (the same
//!   partial credit as matching: exact/close matches, broader, narrower, related competencies).
//! - Both are turned into shares — of all openings and of all graduates — so that a market of
//!   500 openings and 20,000 graduates compares like with like; the **gap** of c is
//!   `demand share − supply share`: the part of the openings asking for c that the graduates'
//!   share holding it does not cover. Most under-supplied first.
//! - A programme's **cover** is the share of the total positive gap that one of its graduates
//!   would fill: `Σ_c gap⁺(c) × credit(p, c) / Σ_c gap⁺(c)`; ranked by cover, and by cover per
//!   hour of study for the programmes that add to a degree (micro-majors, courses).
//!
//! Dense vectors over the index's competencies (ndarray), programmes scored in parallel
//! (rayon): O(Σ requirements + Σ expanded abilities + programmes × profile).

use ndarray::Array1;
use rayon::prelude::*;
use tupu_graph::{NodeId, NodeKind, Relation, Snapshot};

use super::index::{Ability, MatchIndex, OPTIONAL_FACTOR};
use super::programme_hours;

/// A post in a report and its openings.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Demand {
    /// The post (or occupation).
    pub holder: NodeId,
    /// Openings.
    pub openings: f32,
}

/// Graduates with the same abilities: a cohort of a programme, or one graduate.
#[derive(Clone, Debug, PartialEq)]
pub struct Supply {
    /// What each of them holds.
    pub abilities: Vec<Ability>,
    /// How many.
    pub graduates: f32,
}

/// One competency's demand against its supply.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Balance {
    /// The competency.
    pub competency: NodeId,
    /// Openings asking for it (optional requirements count half).
    pub demand: f32,
    /// Graduates holding it (partial holders count in part).
    pub supply: f32,
    /// `demand / openings`.
    pub demand_share: f32,
    /// `supply / graduates`.
    pub supply_share: f32,
    /// `demand_share − supply_share`: positive when under-supplied.
    pub gap: f32,
    /// Posts asking for it.
    pub posts: usize,
}

/// A programme that would close part of the gap.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Closer {
    /// The major, micro-major or course.
    pub programme: NodeId,
    /// Share of the total positive gap one graduate of it fills, in [0, 1].
    pub cover: f32,
    /// Hours of study.
    pub hours: f32,
    /// `cover / hours`.
    pub cover_per_hour: f32,
    /// Under-supplied competencies it develops, largest gap first (at most 10).
    pub closes: Vec<NodeId>,
}

/// The report.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SupplyDemand {
    /// Posts counted.
    pub posts: usize,
    /// Their openings.
    pub openings: f32,
    /// Graduates counted.
    pub graduates: f32,
    /// Every competency asked for or held, most under-supplied first.
    pub balance: Vec<Balance>,
    /// Programmes by cover, best first, for each kind asked for.
    pub closers: Vec<Closer>,
}

/// The supply–demand report of `demand` against `supply`, with the best `k` programmes of
/// each of `kinds` to close the gap.
pub fn supply_demand(
    index: &MatchIndex,
    snapshot: &Snapshot,
    demand: &[Demand],
    supply: &[Supply],
    kinds: &[NodeKind],
    k: usize,
) -> SupplyDemand {
    let n = index.competency_count();
    let mut asked = Array1::<f32>::zeros(n);
    let mut asking_posts = vec![0usize; n];
    let mut openings = 0.0f32;
    for d in demand {
        openings += d.openings;
        for e in snapshot.out(d.holder, Relation::RequiresCompetency) {
            if let Some(c) = index.dense(e.node) {
                let importance = if e.essential { 1.0 } else { OPTIONAL_FACTOR };
                asked[c as usize] += d.openings * importance * e.weight;
                asking_posts[c as usize] += 1;
            }
        }
    }
    let mut held = Array1::<f32>::zeros(n);
    let mut graduates = 0.0f32;
    for s in supply {
        graduates += s.graduates;
        for cell in index.expand(&s.abilities).cells() {
            held[cell.comp as usize] += s.graduates * cell.value.min(1.0);
        }
    }
    let demand_share = if openings > 0.0 { &asked / openings } else { Array1::zeros(n) };
    let supply_share = if graduates > 0.0 { &held / graduates } else { Array1::zeros(n) };
    let gap = &demand_share - &supply_share;
    let mut balance: Vec<Balance> = (0..n)
        .filter(|&c| asked[c] > 0.0 || held[c] > 0.0)
        .map(|c| Balance {
            competency: index.competency(c as u32),
            demand: asked[c],
            supply: held[c],
            demand_share: demand_share[c],
            supply_share: supply_share[c],
            gap: gap[c],
            posts: asking_posts[c],
        })
        .collect();
    balance.sort_by(|a, b| {
        b.gap.total_cmp(&a.gap).then(b.demand.total_cmp(&a.demand)).then(a.competency.cmp(&b.competency))
    });

    let positive = gap.mapv(|g| g.max(0.0));
    let total: f32 = positive.sum();
    let mut closers: Vec<Closer> = if total > 0.0 {
        index
            .programmes()
            .par_iter()
            .filter(|&&p| kinds.contains(&snapshot.kind(p)))
            .filter_map(|&p| {
                let profile = index.expand(index.developments(p)?);
                let mut filled: Vec<(u32, f32)> = profile
                    .cells()
                    .iter()
                    .filter(|cell| positive[cell.comp as usize] > 0.0)
                    .map(|cell| (cell.comp, positive[cell.comp as usize] * cell.value.min(1.0)))
                    .collect();
                let cover = filled.iter().map(|x| x.1).sum::<f32>() / total;
                if cover <= 0.0 {
                    return None;
                }
                filled.sort_by(|a, b| positive[b.0 as usize].total_cmp(&positive[a.0 as usize]).then(a.0.cmp(&b.0)));
                let hours = programme_hours(snapshot, p);
                Some(Closer {
                    programme: p,
                    cover,
                    hours,
                    cover_per_hour: cover / hours,
                    closes: filled.iter().take(10).map(|&(c, _)| index.competency(c)).collect(),
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    closers.sort_by(|a, b| b.cover.total_cmp(&a.cover).then(a.programme.cmp(&b.programme)));
    let mut kept = Vec::new();
    for kind in kinds {
        kept.extend(closers.iter().filter(|c| snapshot.kind(c.programme) == *kind).take(k).cloned());
    }
    SupplyDemand { posts: demand.len(), openings, graduates, balance, closers: kept }
}
