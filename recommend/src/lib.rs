//! # tupu-recommend: learner model, next steps, learning paths
//!
//! Turns a learner's evidence into a mastery vector and the vector into recommendations, over
//! a [`tupu_graph::Snapshot`]:
//!
//! - [`bkt_step_logit`]: Bayesian Knowledge Tracing with forgetting per node, in log space,
//!   with defaults derived from a node's target level and difficulty ([`default_params`]);
//! - [`LearnerState::observe`]: one observation, propagated through the prerequisite graph
//!   (knowledge is closed under prerequisites, as in knowledge-space theory) by the rule
//!   documented in the `model` module;
//! - [`check_events`]: native events and xAPI statements, checked as a batch;
//! - [`fit_bkt`] and [`fit_events`]: the same model's parameters fitted to logged answers by
//!   expectation–maximisation with priors and pooling, from a JSON Lines log read by
//!   [`read_events`]; [`forward_predictions`] is the fitted model's forward pass, which
//!   [`LearnerState::predict`] serves;
//! - [`next_steps`]: the ready-to-learn fringe, ranked, diversified and explained, with at most
//!   one check beyond it for a learner who is ahead;
//! - [`plan_path`]: an ordered, staged plan to goals;
//! - [`step_materials`]: the lessons and exercises a step carries, from the search index, at the
//!   learner's level;
//! - [`LearnerStore`] with the embedded [`RedbLearnerStore`], and [`Learners`], the operations
//!   the API calls;
//! - [`matching`]: graduates, posts, occupations and programmes matched by competencies on
//!   sparse vectors (inverted index, rayon batches), every match explained;
//! - [`evaluate`]: simulated learners (after EduSim's knowledge-structure environment) taught by
//!   [`next_steps`] and by baseline policies, compared by normalised learning gain.
//!
//! Depends on `tupu-graph` only; never on `tupu-ingest`.

mod bkt;
mod carry;
mod evidence;
mod fit;
mod index;
pub mod matching;
mod material;
mod model;
#[cfg(test)]
mod model_reference;
mod next;
mod path;
mod service;
mod sim;
mod store;

pub use bkt::{
    ABILITY_PSEUDO_ANSWERS, Belief, DEFAULT_HALF_LIFE_DAYS, HALF_LIFE_DOUBLINGS, Params, ability, ability_logit,
    ability_weight, bkt_step_logit, bkt_update, default_params, half_life_days, half_life_seconds, logit, p_correct,
    posterior, retention, sigmoid,
};
pub use carry::current_nodes;
pub use evidence::{CheckedEvent, EventProblem, StoredEvent, check_events, parse_timestamp};
pub use fit::{
    ABILITY_PRIOR_SD, AbilityFit, BktFit, EventsFileError, FORGET_BOUNDS, FitConfig, FitEvent, FitStatus,
    GUESS_SLIP_BOUNDS, HALF_LIFE_BOUNDS, HALF_LIFE_PRIOR_SD, HalfLifeFit, LineProblem, MIN_TIMED_ANSWERS, ModelFit,
    PRIOR_LEARN_BOUNDS, bkt_log_likelihood, fit_bkt, fit_events, fit_model, fit_sequences, forward_learner_predictions,
    forward_predictions, read_events, sample_sequences, sequences_by_node,
};
pub use index::{RecommendIndex, resources_for};
pub use material::{MaterialCounts, step_materials};
pub use model::{ABILITY_KEY, CLOSURE, DAY, LearnerState, MAX_PROPAGATION, Mastery, NodeMastery, Observation};
pub use next::{
    CONFIRM_RIGHT, Explanation, ItemKind, ListStatus, NextRequest, PROBE_SCALE, RecommendConfig, Recommendation,
    STUCK_PENALTY, STUCK_RIGHT_SHARE, STUCK_WRONG, ScoreParts, ScoreWeights, is_confirmed, is_ready, is_stuck,
    list_status, next_steps, ready_fringe, remaining_for_goal,
};
pub use path::{LearningPath, PathError, PathStep, Stage, expand_goal, plan_path, typical_minutes};
pub use service::{EventPrediction, LearnerError, Learners, Prediction, RecordReport};
pub use sim::{EvalConfig, EvalReport, LearnerModel, Policy, PolicyResult, SimError, evaluate};
pub use store::{LearnerStore, LearnerStoreError, LearnerWrite, RedbLearnerStore, RenameMap, check_learner_id};
