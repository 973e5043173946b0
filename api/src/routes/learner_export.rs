//! `GET /api/v1/learners/{id}/export`: everything stored about a learner (the right of
//! access): every mastery row as stored and every logged event, in order.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};
use tupu_recommend::LearnerError;

use crate::error::ApiError;
use crate::state::{AppState, blocking};

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/api/v1/learners/{id}/export", get(export))
}

async fn export(State(state): State<AppState>, Path(learner): Path<String>) -> Result<Json<Value>, ApiError> {
    let learners = state.learners.clone();
    let id = learner.clone();
    let (mastery, events) = blocking(move || {
        let store = learners.store();
        let mastery = store.load(&id).map_err(LearnerError::from)?;
        let events = store.events(&id).map_err(LearnerError::from)?;
        Ok((mastery, events))
    })
    .await?;
    let mut rows: Vec<(&str, tupu_recommend::NodeMastery)> = mastery.iter().collect();
    rows.sort_by(|a, b| a.0.cmp(b.0));
    let mastery: Vec<Value> = rows
        .into_iter()
        .map(|(node, m)| {
            json!({
                "node": node,
                "mastery": m.p,
                "attempts": m.attempts,
                "correct": m.correct,
                "last_practised": m.last_practised.and_then(|t| chrono::DateTime::from_timestamp(t, 0)).map(|t| t.to_rfc3339()),
            })
        })
        .collect();
    let events: Vec<Value> = events
        .into_iter()
        .map(|e| {
            json!({
                "object": e.object,
                "score": e.score,
                "verb": e.verb,
                "timestamp": chrono::DateTime::from_timestamp(e.time, 0).map(|t| t.to_rfc3339()),
            })
        })
        .collect();
    Ok(Json(json!({ "learner": learner, "mastery": mastery, "events": events })))
}
