//! What the learner model predicts, for apps and for evaluation:
//!
//! - `GET /api/v1/learners/{id}/predict?node=A&node=B`: for each node, the probability of a
//!   correct answer now, the probability of mastery, the recall after the time since the last
//!   practice (what the prediction is made from), the node's effective BKT parameters and
//!   half-life, and whether they were fitted or are defaults;
//! - `POST /api/v1/admin/fit-bkt`: refits the BKT parameters from the events the learner store
//!   holds and stores them in the graph as one commit, while the server keeps serving (the
//!   next request reads the new snapshot).

use axum::extract::{Path, RawQuery, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tupu_graph::BktParams;
use tupu_recommend::FitConfig;

use super::nodes::NodeRef;
use crate::error::{ApiError, Code};
use crate::fitting::{FitError, FitOutcome, fit_into_graph, stored_answers};
use crate::state::{AppState, blocking};

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/api/v1/learners/{id}/predict", get(predict)).route("/api/v1/admin/fit-bkt", post(fit_bkt))
}

/// Most nodes one prediction request may name.
const MAX_NODES: usize = 1_000;

#[derive(Serialize)]
struct PredictionView<'a> {
    #[serde(flatten)]
    node: NodeRef<'a>,
    p_correct: f32,
    mastery: f32,
    /// Mastery still held now, after the time since the last practice: what `p_correct` is
    /// predicted from, and what reviews use.
    recall: f32,
    attempts: u32,
    params: BktParams,
    params_source: &'static str,
    /// The node's base half-life of mastery in days (`tupu:bktHalfLife`, or the default).
    half_life_days: f64,
    /// `fitted` or `default`.
    half_life_source: &'static str,
    /// The node's weight of the learner's ability (`tupu:bktAbility`; 0 when none is stored).
    ability_weight: f32,
    /// The learner's ability: right answers beyond the model's expectation, per answer, shrunk.
    ability: f32,
}

#[derive(Serialize)]
struct PredictResponse<'a> {
    learner: String,
    predictions: Vec<PredictionView<'a>>,
}

async fn predict(
    State(state): State<AppState>,
    Path(learner): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<axum::response::Response, ApiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.as_deref().unwrap_or(""))
        .map_err(|e| ApiError::new(Code::InvalidParameter, format!("cannot read the query string: {e}")))?;
    let mut ids = Vec::new();
    for (key, value) in pairs {
        match key.as_str() {
            "node" => ids.push(value),
            other => {
                return Err(ApiError::new(
                    Code::InvalidParameter,
                    format!("unknown parameter '{other}': give one node=ID per node"),
                ));
            }
        }
    }
    if ids.is_empty() || ids.len() > MAX_NODES {
        return Err(ApiError::new(
            Code::InvalidParameter,
            format!("give 1 to {MAX_NODES} nodes as node=ID&node=ID (got {})", ids.len()),
        ));
    }
    let snapshot = state.graph.snapshot();
    let nodes = ids.iter().map(|id| snapshot.resolve(id)).collect::<Result<Vec<_>, _>>()?;
    let learners = state.learners.clone();
    let (id, s) = (learner.clone(), snapshot.clone());
    let now = chrono::Utc::now().timestamp();
    let predictions = blocking(move || Ok(learners.predict(&s, &id, &nodes, now)?)).await?;
    let body = PredictResponse {
        learner,
        predictions: predictions
            .iter()
            .map(|p| PredictionView {
                node: NodeRef::new(&snapshot, p.node),
                p_correct: p.p_correct,
                mastery: p.mastery,
                recall: p.recall,
                attempts: p.attempts,
                params: p.params,
                params_source: if p.fitted { "fitted" } else { "default" },
                half_life_days: p.half_life_days,
                half_life_source: if p.half_life_fitted { "fitted" } else { "default" },
                ability_weight: p.ability_weight,
                ability: p.ability,
            })
            .collect(),
    };
    Ok(super::json_response(super::json_body(&body, 256 * body.predictions.len() + 64)?))
}

/// Settings of a refit; every field is optional.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FitRequest {
    min_observations: Option<usize>,
    tolerance: Option<f64>,
    max_iterations: Option<usize>,
    prior_strength: Option<f64>,
    forget: Option<bool>,
    ability: Option<bool>,
    decay: Option<bool>,
    graph: Option<String>,
    dry_run: Option<bool>,
}

impl From<FitError> for ApiError {
    fn from(e: FitError) -> Self {
        match e {
            FitError::UnknownNodes(_) | FitError::Empty => ApiError::new(Code::NothingToFit, e.to_string()),
            FitError::Graph(g) => g.into(),
            FitError::Iri(_) => ApiError::internal(e),
        }
    }
}

async fn fit_bkt(State(state): State<AppState>, body: axum::body::Bytes) -> Result<Json<FitOutcome>, ApiError> {
    let request: FitRequest = if body.iter().all(u8::is_ascii_whitespace) {
        FitRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            ApiError::new(Code::InvalidBody, format!(
                    "{e}; send {{}} or any of min_observations, tolerance, max_iterations, prior_strength, forget, ability, decay, graph, dry_run"
                ),
            )
        })?
    };
    let defaults = FitConfig::default();
    let config = FitConfig {
        min_observations: request.min_observations.unwrap_or(defaults.min_observations),
        tol: request.tolerance.unwrap_or(defaults.tol),
        max_iter: request.max_iterations.unwrap_or(defaults.max_iter),
        prior_strength: request.prior_strength.unwrap_or(defaults.prior_strength),
        forget: request.forget.unwrap_or(defaults.forget),
        ability: request.ability.unwrap_or(defaults.ability),
        decay: request.decay.unwrap_or(defaults.decay),
        ..defaults
    };
    if !(config.tol > 0.0) || config.max_iter == 0 || !(config.prior_strength >= 0.0) {
        return Err(ApiError::new(
            Code::InvalidParameter,
            "tolerance must be above 0, max_iterations at least 1 and prior_strength 0 or more",
        ));
    }
    let graph = request.graph.unwrap_or_else(|| "bkt".to_owned());
    let dry_run = request.dry_run.unwrap_or(false);
    let (store, learners) = (state.graph.clone(), state.learners.clone());
    let outcome = blocking(move || {
        let snapshot = store.snapshot();
        let (log, _, _) = stored_answers(learners.store().as_ref(), &snapshot)
            .map_err(|e| ApiError::from(tupu_recommend::LearnerError::Store(e)))?;
        Ok(fit_into_graph(&store, log, &config, &graph, dry_run)?)
    })
    .await?;
    Ok(Json(outcome))
}
