//! The lessons and exercises a recommended step carries, chosen from the search index.
//!
//! For a knowledge point, every resource aligned to it is scored
//! `confidence − 0.15 · |grade − level|` (a resource's grade against the level the learner works
//! at, the step's own grade; no penalty when either is unknown), plus 0.1 for a lesson that teaches the point; the best
//! `lessons` lessons (or videos and texts) and the best `exercises` exercises (or
//! assessments) are returned, lessons first. Cost: one term lookup in the index and a sort of
//! the node's resources.

use tupu_graph::search::{AlignedResource, SearchError, SearchIndex};
use tupu_graph::{NodeId, Snapshot};

/// How many resources of each sort a step carries.
#[derive(Copy, Clone, Debug)]
pub struct MaterialCounts {
    /// Lessons, videos and texts.
    pub lessons: usize,
    /// Exercises and assessments.
    pub exercises: usize,
}

impl Default for MaterialCounts {
    fn default() -> Self {
        Self { lessons: 2, exercises: 2 }
    }
}

fn score(r: &AlignedResource, level: Option<u8>) -> f32 {
    let distance = match (r.level, level) {
        (Some(a), Some(b)) => f32::from(a.abs_diff(b)),
        _ => 0.0,
    };
    let teaching = if r.relation == "teaches" { 0.1 } else { 0.0 };
    r.confidence - 0.15 * distance + teaching
}

fn is_exercise(r: &AlignedResource) -> bool {
    matches!(r.resource_type.as_deref(), Some("exercise" | "assessment"))
}

/// The best lessons and exercises for `node` at the learner's `level` (a school grade). See
/// the module documentation.
pub fn step_materials(
    search: &SearchIndex,
    snapshot: &Snapshot,
    node: NodeId,
    level: Option<u8>,
    counts: MaterialCounts,
) -> Result<Vec<NodeId>, SearchError> {
    let mut all = search.aligned_resources(snapshot, node, 1_000)?;
    all.sort_by(|a, b| score(b, level).total_cmp(&score(a, level)).then(a.node.cmp(&b.node)));
    let lessons = all.iter().filter(|r| !is_exercise(r)).take(counts.lessons);
    let exercises = all.iter().filter(|r| is_exercise(r)).take(counts.exercises);
    Ok(lessons.chain(exercises).map(|r| r.node).collect())
}
