//! `GET /api/v1/validate`: every finding on the committed graph — the commit validator's
//! (cycles, dangling references, labels, SHACL shapes) and the SKOS integrity rules, each of
//! the latter with a `fix` (edits that `POST /api/v1/edits` applies as they are).

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use tupu_graph::integrity;

use crate::error::ApiError;
use crate::state::{AppState, blocking};

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/api/v1/validate", get(validate))
}

#[derive(Deserialize)]
struct Params {
    /// Only findings of this rule or code.
    rule: Option<String>,
    /// At most this many findings (default 1,000).
    limit: Option<usize>,
}

async fn validate(State(state): State<AppState>, Query(p): Query<Params>) -> Result<Json<Value>, ApiError> {
    blocking(move || {
        let mut findings: Vec<Value> = state.graph.validate()?.into_iter().map(|d| json!(d)).collect();
        let snapshot = state.graph.snapshot();
        for f in integrity(&snapshot, state.graph.store()) {
            let mut v = json!(f);
            v["severity"] = json!("warning");
            v["code"] = json!(f.rule);
            findings.push(v);
        }
        if let Some(rule) = &p.rule {
            findings.retain(|f| f["code"] == rule.as_str());
        }
        let violations = findings.iter().filter(|f| f["severity"] == "violation").count();
        let total = findings.len();
        let mut by_code = std::collections::BTreeMap::<String, usize>::new();
        for f in &findings {
            *by_code.entry(f["code"].as_str().unwrap_or("").to_owned()).or_default() += 1;
        }
        findings.truncate(p.limit.unwrap_or(1000));
        Ok(Json(json!({
            "version": snapshot.version(),
            "violations": violations,
            "warnings": total - violations,
            "by_code": by_code,
            "findings": findings,
        })))
    })
    .await
}
