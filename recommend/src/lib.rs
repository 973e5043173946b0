//! # tupu-recommend: learner model, next steps, learning paths
//!
//! Turns a learner's evidence into a mastery vector and the vector into recommendations, over
//! a [`tupu_graph::Snapshot`]:
//!
//! - [`bkt_update`]: Bayesian Knowledge Tracing per node, with defaults derived from a node's
//!   target level and difficulty ([`default_params`]);
//! - [`LearnerState::observe`]: one observation, propagated through the prerequisite graph
//!   (knowledge is closed under prerequisites, as in knowledge-space theory) by the rule
//!   documented in the `model` module;
//! - [`check_events`]: native events and xAPI statements, checked as a batch;
//! - [`fit_bkt`] and [`fit_events`]: BKT parameters fitted to logged answers by
//!   expectation–maximisation, from a JSON Lines log read by [`read_events`];
//! - [`next_steps`]: the ready-to-learn fringe, ranked, diversified and explained, with at most
//!   one check beyond it for a learner who is ahead;
//! - [`plan_path`]: an ordered, staged plan to goals;
//! - [`LearnerStore`] with the embedded [`RedbLearnerStore`], and [`Learners`], the operations
//!   the API calls;
//! - [`matching`]: graduates, posts, occupations and programmes matched by competencies on
//!   sparse vectors (inverted index, rayon batches), every match explained;
//! - [`evaluate`]: simulated learners (after EduSim's knowledge-structure environment) taught by
//!   [`next_steps`] and by baseline policies, compared by normalised learning gain.
//!
//! Depends on `tupu-graph` only; never on `tupu-ingest`.

mod bkt;
mod evidence;
mod fit;
mod index;
pub mod matching;
mod model;
mod next;
mod path;
mod service;
mod sim;
mod store;

pub use bkt::{bkt_update, default_params, p_correct, posterior};
pub use evidence::{CheckedEvent, EventProblem, StoredEvent, check_events, parse_timestamp};
pub use fit::{
    BktFit, EventsFileError, FitConfig, FitEvent, GUESS_SLIP_BOUNDS, LineProblem, PRIOR_LEARN_BOUNDS,
    bkt_log_likelihood, fit_bkt, fit_events, read_events, sample_sequences,
};
pub use index::{RecommendIndex, resources_for};
pub use model::{CLOSURE, DAY, LearnerState, MAX_PROPAGATION, Mastery, NodeMastery, Observation};
pub use next::{
    Explanation, ItemKind, NextRequest, PROBE_SCALE, RecommendConfig, Recommendation, ScoreParts, ScoreWeights,
    is_ready, next_steps, ready_fringe, remaining_for_goal,
};
pub use path::{LearningPath, PathError, PathStep, Stage, expand_goal, plan_path, typical_minutes};
pub use service::{LearnerError, Learners, RecordReport};
pub use sim::{EvalConfig, EvalReport, LearnerModel, Policy, PolicyResult, SimError, evaluate};
pub use store::{LearnerStore, LearnerStoreError, LearnerWrite, RedbLearnerStore, check_learner_id};
