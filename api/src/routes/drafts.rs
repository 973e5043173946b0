//! Drafts and review: `POST /api/v1/drafts` (propose edits), `GET /api/v1/drafts`,
//! `GET /api/v1/drafts/{id}` (the diff, its validation and impact against the graph as it is
//! now), `POST /api/v1/drafts/{id}/approve` (planned again, validated, committed atomically)
//! and `POST /api/v1/drafts/{id}/reject` (with a comment; nothing changes).

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use tupu_graph::{Draft, DraftStatus};

use crate::error::{ApiError, Code};
use crate::routes::edits::{EditRequest, diff, impact, plan, request, typed};
use crate::state::{AppState, blocking};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/drafts", post(propose).get(list))
        .route("/api/v1/drafts/{id}", get(show))
        .route("/api/v1/drafts/{id}/approve", post(approve))
        .route("/api/v1/drafts/{id}/reject", post(reject))
}

fn load(state: &AppState, id: u64) -> Result<Draft, ApiError> {
    state.graph.history().draft(id).map_err(ApiError::internal)?.ok_or_else(|| {
        ApiError::new(Code::DraftNotFound, format!("no draft has id {id}; list them with GET /api/v1/drafts"))
    })
}

/// The draft with its diff, validation and impact against the current graph (for an open
/// draft; a decided one is shown as it was decided).
fn view(state: &AppState, draft: &Draft) -> Result<Value, ApiError> {
    let mut out = serde_json::to_value(draft).map_err(ApiError::internal)?;
    if draft.status == DraftStatus::Open {
        let edits = typed(&draft.edits)?;
        match plan(state, &edits) {
            Ok(change) => {
                let report = impact(state, &change)?;
                out["diff"] = diff(&state.graph.snapshot(), &change);
                out["valid"] = report["valid"].clone();
                out["findings"] = report["findings"].clone();
                out["impact"] = report;
            }
            Err(ApiError::Unprocessable { details, .. }) => {
                out["valid"] = json!(false);
                out["findings"] = json!(details);
            }
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

async fn propose(
    State(state): State<AppState>,
    body: Result<Json<EditRequest>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let (request, edits) = request(body)?;
    blocking(move || {
        // Edits that cannot even be planned (unknown node, deprecated node, unknown relation)
        // are refused now; a change that plans but breaks a rule is kept, with its findings,
        // for the reviewer to see.
        plan(&state, &edits)?;
        let draft = state
            .graph
            .history()
            .propose(request.author, request.message, &edits, state.graph.version())
            .map_err(ApiError::internal)?;
        Ok(Json(view(&state, &draft)?))
    })
    .await
}

#[derive(Deserialize)]
struct ListParams {
    status: Option<DraftStatus>,
}

async fn list(State(state): State<AppState>, Query(p): Query<ListParams>) -> Result<Json<Value>, ApiError> {
    blocking(move || {
        let drafts = state.graph.history().drafts(p.status).map_err(ApiError::internal)?;
        Ok(Json(json!({ "drafts": drafts })))
    })
    .await
}

async fn show(State(state): State<AppState>, Path(id): Path<u64>) -> Result<Json<Value>, ApiError> {
    blocking(move || Ok(Json(view(&state, &load(&state, id)?)?))).await
}

/// A reviewer's decision.
#[derive(Deserialize, Default)]
struct Decision {
    reviewer: Option<String>,
    comment: Option<String>,
}

fn open_draft(state: &AppState, id: u64) -> Result<Draft, ApiError> {
    let draft = load(state, id)?;
    if draft.status != DraftStatus::Open {
        return Err(ApiError::new(
            Code::DraftDecided,
            format!(
                "draft {id} was already {}; propose a new draft",
                if draft.status == DraftStatus::Approved { "approved" } else { "rejected" }
            ),
        ));
    }
    Ok(draft)
}

/// Records a reviewer's decision on an open draft; an approval first commits its edits,
/// planned against the graph as it is now and validated (a refused commit leaves the draft
/// open).
fn decide(state: &AppState, id: u64, decision: Decision, approve: bool) -> Result<Value, ApiError> {
    let history = state.graph.history();
    let _review = history.review_lock();
    let mut draft = open_draft(state, id)?;
    let commit = if approve {
        let mut change = plan(state, &typed(&draft.edits)?)?;
        change.author = draft.author.clone();
        let what = draft.message.clone().unwrap_or_else(|| format!("{} edit(s)", draft.edits.len()));
        let by = decision.reviewer.as_deref().map(|r| format!(", approved by {r}")).unwrap_or_default();
        change.message = Some(format!("{what} (draft {id}{by})"));
        Some(state.graph.commit(change)?)
    } else {
        None
    };
    draft.status = if approve { DraftStatus::Approved } else { DraftStatus::Rejected };
    draft.reviewer = decision.reviewer;
    draft.comment = decision.comment;
    draft.commit = commit.as_ref().map(|c| c.version);
    history.decide(&draft).map_err(ApiError::internal)?;
    Ok(json!({ "draft": draft, "commit": commit }))
}

async fn approve(
    State(state): State<AppState>,
    Path(id): Path<u64>,
    body: Option<Json<Decision>>,
) -> Result<Json<Value>, ApiError> {
    let Json(decision) = body.unwrap_or_default();
    blocking(move || decide(&state, id, decision, true).map(Json)).await
}

async fn reject(
    State(state): State<AppState>,
    Path(id): Path<u64>,
    body: Option<Json<Decision>>,
) -> Result<Json<Value>, ApiError> {
    let Json(decision) = body.unwrap_or_default();
    blocking(move || decide(&state, id, decision, false).map(Json)).await
}
