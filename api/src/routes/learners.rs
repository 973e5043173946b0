//! Learner endpoints: evidence in, mastery, next steps, learning paths, erasure.
//!
//! - `POST /api/v1/learners/{id}/events`: a batch of events (native or xAPI), all or nothing;
//! - `PUT|GET /api/v1/learners/{id}/mastery`: set or read the mastery vector;
//! - `GET /api/v1/learners/{id}/next?n=5[&goal=NODE]...[&subject=S][&lang=TAG]`, with a
//!   `status` that says what the list is (and why an empty one is empty); labels in `TAG`,
//!   explanations in Chinese or English (see `lang`);
//! - `POST /api/v1/learners/{id}/path` with `{"goals": [...], "budget_minutes": 120}`;
//! - `DELETE /api/v1/learners/{id}`: erase everything stored about the learner.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tupu_graph::search::SearchIndex;
use tupu_graph::{NodeId, Snapshot};
use tupu_recommend::{
    ItemKind, LearnerError, LearnerStoreError, LearningPath, NextRequest, PathError, Recommendation, ScoreParts,
};

use super::nodes::NodeRef;
use crate::error::{ApiError, Code};
use crate::state::{AppState, blocking};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/learners/{id}", axum::routing::delete(erase))
        .route("/api/v1/learners/{id}/events", post(events))
        .route("/api/v1/learners/{id}/mastery", get(get_mastery).put(put_mastery))
        .route("/api/v1/learners/{id}/next", get(next))
        .route("/api/v1/learners/{id}/path", post(path))
}

impl From<LearnerError> for ApiError {
    fn from(e: LearnerError) -> Self {
        match e {
            LearnerError::InvalidEvents(problems) => ApiError::InvalidEvents(problems),
            LearnerError::InvalidMastery { .. } => ApiError::new(Code::InvalidMastery, e.to_string()),
            LearnerError::Resolve(r) => r.into(),
            LearnerError::Path(PathError::NoGoal) => ApiError::new(Code::MissingGoal, e.to_string()),
            LearnerError::Path(PathError::Unreachable { .. }) => ApiError::new(Code::GoalUnreachable, e.to_string()),
            LearnerError::Store(LearnerStoreError::InvalidId(_)) => {
                ApiError::new(Code::InvalidLearnerId, e.to_string())
            }
            LearnerError::Store(LearnerStoreError::Storage(_)) => ApiError::internal(e),
        }
    }
}

/// The JSON body of a request, or a 400 `invalid_body` that says what to send (`expected`).
fn json_body<T>(body: Result<Json<T>, JsonRejection>, expected: &str) -> Result<T, ApiError> {
    body.map(|Json(value)| value).map_err(|e| ApiError::new(Code::InvalidBody, format!("{e}; {expected}")))
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

#[derive(Deserialize)]
#[serde(untagged)]
enum EventBatch {
    Wrapped { events: Vec<Value> },
    Bare(Vec<Value>),
}

#[derive(Serialize)]
struct Updated {
    node: String,
    mastery: f32,
}

/// The model's prediction just before one observation of the batch.
#[derive(Serialize)]
struct Predicted {
    event: usize,
    node: String,
    p_correct: f32,
    mastery: f32,
}

#[derive(Serialize)]
struct EventsResponse {
    learner: String,
    accepted: usize,
    updated: Vec<Updated>,
    predictions: Vec<Predicted>,
}

async fn events(
    State(state): State<AppState>,
    Path(learner): Path<String>,
    body: Result<Json<EventBatch>, JsonRejection>,
) -> Result<Json<EventsResponse>, ApiError> {
    let batch = json_body(body, "send a JSON array of events or {\"events\": [...]}")?;
    let events = match batch {
        EventBatch::Wrapped { events } | EventBatch::Bare(events) => events,
    };
    let snapshot = state.graph.snapshot();
    let learners = state.learners.clone();
    let id = learner.clone();
    let batch_snapshot = snapshot.clone();
    let report = blocking(move || Ok(learners.record(&batch_snapshot, &id, &events, now())?)).await?;
    let predictions = report
        .predictions
        .iter()
        .map(|p| Predicted {
            event: p.event,
            node: snapshot.iri(p.node).to_owned(),
            p_correct: p.p_correct,
            mastery: p.mastery,
        })
        .collect();
    Ok(Json(EventsResponse {
        learner,
        accepted: report.accepted,
        updated: report.updated.into_iter().map(|(node, mastery)| Updated { node, mastery }).collect(),
        predictions,
    }))
}

#[derive(Deserialize)]
#[serde(untagged)]
enum MasteryBody {
    Map {
        mastery: std::collections::BTreeMap<String, f32>,
        /// Must be `true` to replace the vector with an empty one (erase every belief).
        #[serde(default)]
        clear: bool,
    },
    List(Vec<MasteryEntry>),
}

#[derive(Deserialize)]
struct MasteryEntry {
    node: String,
    mastery: f32,
}

#[derive(Serialize)]
struct MasteryRow<'a> {
    #[serde(flatten)]
    node: NodeRef<'a>,
    mastery: f32,
    mastered: bool,
    attempts: u32,
    correct: u32,
    last_practised: Option<String>,
    /// The replaced or exactly matching node whose evidence counts for this one (absent: the
    /// node's own).
    #[serde(skip_serializing_if = "Option::is_none")]
    carried_from: Option<&'a str>,
}

#[derive(Serialize)]
struct MasteryView<'a> {
    learner: String,
    threshold: f32,
    nodes: Vec<MasteryRow<'a>>,
}

fn mastery_view<'a>(
    state: &AppState,
    snapshot: &'a Snapshot,
    learner: String,
    s: &tupu_recommend::LearnerState,
) -> MasteryView<'a> {
    let threshold = state.learners.config().mastery_threshold;
    // The resolved vector: a replacement or an exact match shows the evidence of its equivalent.
    let mut nodes: Vec<MasteryRow<'_>> = s
        .resolve(snapshot)
        .entries()
        .map(|(node, m)| {
            let from = s.entry(snapshot, node).and_then(|(_, from)| from);
            MasteryRow {
                node: NodeRef::new(snapshot, node),
                mastery: m.p,
                mastered: m.p >= threshold,
                attempts: m.attempts,
                correct: m.correct,
                last_practised: m
                    .last_practised
                    .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
                    .map(|t| t.to_rfc3339()),
                carried_from: from.map(|f| snapshot.iri(f)),
            }
        })
        .collect();
    nodes.sort_by(|a, b| a.node.iri.cmp(b.node.iri));
    MasteryView { learner, threshold, nodes }
}

async fn get_mastery(State(state): State<AppState>, Path(learner): Path<String>) -> Result<Response, ApiError> {
    let learners = state.learners.clone();
    let id = learner.clone();
    let s = blocking(move || Ok(learners.mastery(&id)?)).await?;
    let snapshot = state.graph.snapshot();
    Ok(Json(mastery_view(&state, &snapshot, learner, &s)).into_response())
}

async fn put_mastery(
    State(state): State<AppState>,
    Path(learner): Path<String>,
    body: Result<Json<MasteryBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let body = json_body(body, "send {\"mastery\": {\"NODE\": 0.9, ...}} or [{\"node\": ..., \"mastery\": ...}]")?;
    let (entries, clear): (Vec<(String, f32)>, bool) = match body {
        MasteryBody::Map { mastery, clear } => (mastery.into_iter().collect(), clear),
        MasteryBody::List(list) => (list.into_iter().map(|e| (e.node, e.mastery)).collect(), false),
    };
    if entries.is_empty() && !clear {
        return Err(ApiError::new(
            Code::EmptyMastery,
            "an empty mastery replaces every belief held about the learner: send {\"mastery\": {}, \"clear\": true} to mean it",
        ));
    }
    let snapshot = state.graph.snapshot();
    let learners = state.learners.clone();
    let id = learner.clone();
    let snap = snapshot.clone();
    let s = blocking(move || Ok(learners.set_mastery(&snap, &id, &entries, now())?)).await?;
    Ok(Json(mastery_view(&state, &snapshot, learner, &s)).into_response())
}

#[derive(Deserialize)]
struct NextParams {
    n: Option<usize>,
    subject: Option<String>,
    lang: Option<String>,
}

/// A node named inside an explanation: its id (usable as `{id}`) and label.
#[derive(Serialize)]
struct NodeBrief<'a> {
    id: &'a str,
    label: &'a str,
}

fn briefs<'a>(snapshot: &'a Snapshot, nodes: &[NodeId], labels: &str) -> Vec<NodeBrief<'a>> {
    nodes
        .iter()
        .take(LISTED)
        .map(|&x| NodeBrief { id: snapshot.local_name(x), label: snapshot.label(x, Some(labels)) })
        .collect()
}

/// Nodes listed by name in an explanation; the rest are counted.
const LISTED: usize = 8;

#[derive(Serialize)]
struct ExplanationView<'a> {
    text: String,
    /// The first few mastered prerequisites (all are counted in `prerequisite_count`).
    mastered_prerequisites: Vec<NodeBrief<'a>>,
    prerequisite_count: usize,
    /// The first few nodes it unlocks (all are counted in `unlock_count`).
    unlocks: Vec<NodeBrief<'a>>,
    unlock_count: usize,
    steps_to_goal: Option<u32>,
    mastery: f32,
    expected_success: f32,
    days_since_practice: Option<f32>,
    recall: Option<f32>,
    attempts: u32,
    /// Wrong answers on the node.
    wrong: u32,
    /// The learner is stuck on the node (many wrong answers, few right): a flag for a teacher.
    stuck: bool,
    /// For a review offered because the learner is stuck on a node that requires it.
    instead_of: Option<NodeBrief<'a>>,
}

#[derive(Serialize)]
struct ItemView<'a> {
    rank: usize,
    #[serde(flatten)]
    node: NodeRef<'a>,
    /// Learn, review or check (`probe`); the node's own kind is `kind`.
    action: ItemKind,
    score: f32,
    score_parts: ScoreParts,
    explanation: ExplanationView<'a>,
    resources: Vec<NodeRef<'a>>,
    /// Lessons and exercises for the step from the search index, at its level.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    materials: Vec<NodeRef<'a>>,
}

#[derive(Serialize)]
struct NextView<'a> {
    learner: String,
    snapshot_version: u64,
    /// The first goal (kept for clients that send one).
    goal: Option<NodeRef<'a>>,
    goals: Vec<NodeRef<'a>>,
    /// What the list is: learning, consolidating, or why it is empty.
    status: tupu_recommend::ListStatus,
    items: Vec<ItemView<'a>>,
}

fn names(snapshot: &Snapshot, nodes: &[NodeId], lang: Lang, labels: &str) -> String {
    let shown: Vec<&str> = nodes.iter().take(3).map(|&n| snapshot.label(n, Some(labels))).collect();
    let more = nodes.len().saturating_sub(3);
    match (more, lang) {
        (0, _) => shown.join(lang.separator()),
        (_, Lang::En) => format!("{} and {more} more", shown.join(", ")),
        (_, Lang::Zh) => format!("{}等{}个", shown.join("、"), nodes.len()),
    }
}

#[derive(Copy, Clone)]
enum Lang {
    En,
    Zh,
}

impl Lang {
    fn separator(self) -> &'static str {
        match self {
            Lang::En => ", ",
            Lang::Zh => "、",
        }
    }
}

/// One or two sentences from the graph facts of an item.
fn explanation_text(
    snapshot: &Snapshot,
    item: &Recommendation,
    goal: Option<NodeId>,
    several_goals: bool,
    threshold: f32,
    lang: Lang,
    labels: &str,
) -> String {
    let e = &item.explanation;
    let pct = |x: f32| (x * 100.0).round() as i32;
    let mut parts: Vec<String> = Vec::new();
    match (item.kind, lang, e.instead_of) {
        (ItemKind::Review, Lang::En, Some(x)) => parts.push(format!(
            "Change of course: you answered {} wrong many times; it rests on this point, so review it first.",
            snapshot.label(x, Some(labels))
        )),
        (ItemKind::Review, Lang::Zh, Some(x)) => {
            parts.push(format!("换个方向：“{}”已多次答错；它建立在这个知识点之上，先复习这里。", snapshot.label(x, Some(labels))))
        }
        (ItemKind::Review, Lang::En, None) => parts.push(format!(
            "Review: mastered before, last practised {:.0} days ago; estimated recall {}% is below the {}% mastery threshold.",
            e.days_since_practice.unwrap_or(0.0),
            pct(e.recall.unwrap_or(0.0)),
            pct(threshold)
        )),
        (ItemKind::Review, Lang::Zh, None) => parts.push(format!(
            "复习：曾经掌握，上次练习在{:.0}天前；估计保持率{}%，已低于掌握阈值{}%。",
            e.days_since_practice.unwrap_or(0.0),
            pct(e.recall.unwrap_or(0.0)),
            pct(threshold)
        )),
        (ItemKind::Learn, Lang::En, _) if e.mastered_prerequisites.is_empty() => {
            parts.push("A starting point: it has no prerequisites.".to_owned())
        }
        (ItemKind::Learn, Lang::Zh, _) if e.mastered_prerequisites.is_empty() => parts.push("起点：没有先修知识点。".to_owned()),
        (ItemKind::Learn, Lang::En, _) => parts.push(format!(
            "Ready: all {} prerequisites are mastered ({}).",
            e.mastered_prerequisites.len(),
            names(snapshot, &e.mastered_prerequisites, lang, labels)
        )),
        (ItemKind::Learn, Lang::Zh, _) => parts.push(format!(
            "可以学了：{}个先修知识点都已掌握（{}）。",
            e.mastered_prerequisites.len(),
            names(snapshot, &e.mastered_prerequisites, lang, labels)
        )),
        (ItemKind::Probe, Lang::En, _) => parts.push(format!(
            "Check: your answers suggest you may know this already; a correct answer confirms {} prerequisite(s) at once ({}).",
            e.confirms.len(),
            names(snapshot, &e.confirms, lang, labels)
        )),
        (ItemKind::Probe, Lang::Zh, _) => parts.push(format!(
            "检测：你的作答表明你可能已经会了；答对即可一次确认{}个先修知识点（{}）。",
            e.confirms.len(),
            names(snapshot, &e.confirms, lang, labels)
        )),
        (ItemKind::Consolidate, Lang::En, _) => parts.push(match (goal, e.attempts) {
            (Some(g), 0) => format!(
                "Goal {} reached on the evidence so far; this point was never practised, only inferred (mastery {}%): practise it to confirm.",
                snapshot.label(g, Some(labels)),
                pct(e.mastery)
            ),
            (_, a) => format!(
                "Goal reached on the evidence so far; this point has the least practice behind it ({a} attempt(s), mastery {}%): practise it to confirm.",
                pct(e.mastery)
            ),
        }),
        (ItemKind::Consolidate, Lang::Zh, _) => parts.push(match (goal, e.attempts) {
            (Some(g), 0) => format!(
                "按目前的证据，目标“{}”已达成；这个知识点从未练习，只是推断为掌握（掌握度{}%）：练一练以确认。",
                snapshot.label(g, Some(labels)),
                pct(e.mastery)
            ),
            (_, a) => format!(
                "按目前的证据，目标已达成；这个知识点的练习最少（{a}次，掌握度{}%）：练一练以确认。",
                pct(e.mastery)
            ),
        }),
    }
    if e.stuck {
        parts.push(match lang {
            Lang::En => format!(
                "Flagged: {} wrong answer(s) out of {}; practising it again alone is unlikely to help: review what it rests on, or ask a teacher.",
                e.wrong, e.attempts
            ),
            Lang::Zh => format!("提示：{}次作答中{}次答错；单靠重复练习可能无济于事：先复习它的基础，或请老师帮助。", e.attempts, e.wrong),
        });
    }
    if !e.unlocks.is_empty() {
        parts.push(match lang {
            Lang::En => format!(
                "Mastering it unlocks {} knowledge point(s): {}.",
                e.unlocks.len(),
                names(snapshot, &e.unlocks, lang, labels)
            ),
            Lang::Zh => {
                format!("掌握后可解锁{}个知识点（{}）。", e.unlocks.len(), names(snapshot, &e.unlocks, lang, labels))
            }
        });
    }
    if let (Some(steps), true) = (e.steps_to_goal, several_goals) {
        parts.push(match (steps, lang) {
            (0, Lang::En) => "It is one of your goals.".to_owned(),
            (0, Lang::Zh) => "这是你的目标之一。".to_owned(),
            (n, Lang::En) => format!("It is {n} step(s) below the nearest of your goals."),
            (n, Lang::Zh) => format!("距离最近的目标还有{n}步。"),
        });
    } else if let (Some(steps), Some(goal)) = (e.steps_to_goal, goal) {
        let label = snapshot.label(goal, Some(labels));
        parts.push(match (steps, lang) {
            (0, Lang::En) => format!("It is your goal, {label}."),
            (0, Lang::Zh) => format!("这就是你的目标：{label}。"),
            (n, Lang::En) => format!("It is {n} step(s) below your goal, {label}."),
            (n, Lang::Zh) => format!("距离目标“{label}”还有{n}步。"),
        });
    }
    if matches!(item.kind, ItemKind::Learn | ItemKind::Probe) {
        parts.push(match lang {
            Lang::En => format!("Expected success now: {}%.", pct(e.expected_success)),
            Lang::Zh => format!("当前预计答对率{}%。", pct(e.expected_success)),
        });
    }
    parts.join(" ")
}

async fn next(
    State(state): State<AppState>,
    Path(learner): Path<String>,
    Query(params): Query<NextParams>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let n = params.n.unwrap_or(5);
    if !(1..=100).contains(&n) {
        return Err(ApiError::new(Code::InvalidParameter, format!("n = {n}: ask for 1 to 100 items")));
    }
    // Explanations are written in Chinese or English (any other language falls back to the
    // English templates); labels are chosen in the requested language (see `Snapshot::label`).
    let labels = super::lang::language(params.lang.as_deref())?;
    let lang = if super::lang::primary(labels) == "zh" { Lang::Zh } else { Lang::En };
    let snapshot = state.graph.snapshot();
    // Goals may repeat: `goal=A&goal=B`.
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.as_deref().unwrap_or(""))
        .map_err(|e| ApiError::new(Code::InvalidParameter, format!("cannot read the query string: {e}")))?;
    let goals = pairs
        .iter()
        .filter(|(k, _)| k == "goal")
        .map(|(_, g)| snapshot.resolve(g))
        .collect::<Result<Vec<NodeId>, _>>()?;
    let goals = tupu_recommend::current_nodes(&snapshot, &goals);
    let goal = goals.first().copied();
    let subject = match params.subject.as_deref() {
        Some(s) => Some(
            snapshot
                .find_symbol(s)
                .ok_or_else(|| ApiError::new(Code::UnknownSubject, format!("no node has the subject '{s}'")))?,
        ),
        None => None,
    };
    let request = NextRequest { n, goals, subject, now: now() };
    // In memory once the learner's vector is cached, and fast either way: no blocking pool.
    let mastery = state.learners.resolved(&snapshot, &learner)?;
    let key = state.next_cache.as_ref().map(|cache| {
        let key = format!("{learner}\u{0}{}", query.as_deref().unwrap_or(""));
        (cache, key)
    });
    if let Some((cache, key)) = &key {
        if let Some(body) = cache.get(key, snapshot.version(), &mastery) {
            return Ok(super::json_response(body));
        }
    }
    let items = state.learners.next(&snapshot, &mastery, &request);
    let threshold = state.learners.config().mastery_threshold;
    let index = state.learners.index(&snapshot);
    let status = tupu_recommend::list_status(&snapshot, &index, &mastery, &request, &items, threshold);
    let refs = |nodes: &[NodeId]| nodes.iter().map(|&x| NodeRef::in_lang(&snapshot, x, labels)).collect::<Vec<_>>();
    let items = items
        .iter()
        .enumerate()
        .map(|(i, item)| ItemView {
            rank: i + 1,
            node: NodeRef::in_lang(&snapshot, item.node, labels),
            action: item.kind,
            score: item.score,
            score_parts: item.parts,
            explanation: ExplanationView {
                text: explanation_text(&snapshot, item, goal, request.goals.len() > 1, threshold, lang, labels),
                mastered_prerequisites: briefs(&snapshot, &item.explanation.mastered_prerequisites, labels),
                prerequisite_count: item.explanation.mastered_prerequisites.len(),
                unlocks: briefs(&snapshot, &item.explanation.unlocks, labels),
                unlock_count: item.explanation.unlocks.len(),
                steps_to_goal: item.explanation.steps_to_goal,
                mastery: item.explanation.mastery,
                expected_success: item.explanation.expected_success,
                days_since_practice: item.explanation.days_since_practice,
                recall: item.explanation.recall,
                attempts: item.explanation.attempts,
                wrong: item.explanation.wrong,
                stuck: item.explanation.stuck,
                instead_of: item.explanation.instead_of.and_then(|x| briefs(&snapshot, &[x], labels).pop()),
            },
            resources: refs(&item.resources),
            materials: super::search::materials(state.search_index().as_ref(), &snapshot, item.node),
        })
        .collect();
    let view = NextView {
        learner,
        snapshot_version: snapshot.version(),
        goal: goal.map(|g| NodeRef::in_lang(&snapshot, g, labels)),
        goals: refs(&request.goals),
        status,
        items,
    };
    // About 1.5 KB an item.
    let body = super::json_body(&view, 512 + 1_600 * view.items.len())?;
    if let Some((cache, key)) = key {
        cache.put(key, snapshot.version(), mastery, body.clone());
    }
    Ok(super::json_response(body))
}

#[derive(Deserialize)]
struct PathBody {
    goals: Vec<String>,
    budget_minutes: Option<f32>,
}

#[derive(Serialize)]
struct StepView<'a> {
    step: usize,
    stage: usize,
    #[serde(flatten)]
    node: NodeRef<'a>,
    minutes: f32,
    mastery: f32,
    after: Vec<NodeRef<'a>>,
    resources: Vec<NodeRef<'a>>,
    /// Lessons and exercises for the step from the search index, at its level.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    materials: Vec<NodeRef<'a>>,
    within_budget: bool,
}

#[derive(Serialize)]
struct StageView {
    stage: usize,
    thread: Option<String>,
    steps: usize,
    minutes: f32,
}

#[derive(Serialize)]
struct PathView<'a> {
    learner: String,
    snapshot_version: u64,
    targets: Vec<NodeRef<'a>>,
    already_mastered: Vec<NodeRef<'a>>,
    total_minutes: f32,
    budget_minutes: Option<f32>,
    fits_budget: Option<bool>,
    thread_switches: usize,
    stages: Vec<StageView>,
    steps: Vec<StepView<'a>>,
}

fn path_view<'a>(
    snapshot: &'a Snapshot,
    learner: String,
    p: LearningPath,
    budget: Option<f32>,
    search: Option<&SearchIndex>,
) -> PathView<'a> {
    let refs = |nodes: &[NodeId]| nodes.iter().map(|&x| NodeRef::new(snapshot, x)).collect::<Vec<_>>();
    PathView {
        learner,
        snapshot_version: snapshot.version(),
        targets: refs(&p.targets),
        already_mastered: refs(&p.already_mastered),
        total_minutes: p.total_minutes,
        budget_minutes: budget,
        fits_budget: p.fits_budget,
        thread_switches: p.thread_switches,
        stages: p
            .stages
            .iter()
            .map(|s| StageView {
                stage: s.index,
                thread: s.thread.map(|t| snapshot.symbol(t).to_owned()),
                steps: s.steps.len(),
                minutes: s.minutes,
            })
            .collect(),
        steps: p
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| StepView {
                step: i + 1,
                stage: s.stage,
                node: NodeRef::new(snapshot, s.node),
                minutes: s.minutes,
                mastery: s.mastery,
                after: refs(p.after(s)),
                resources: refs(p.resources(s)),
                materials: super::search::materials(search, snapshot, s.node),
                within_budget: s.within_budget,
            })
            .collect(),
    }
}

async fn path(
    State(state): State<AppState>,
    Path(learner): Path<String>,
    body: Result<Json<PathBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let body = json_body(body, "send {\"goals\": [\"NODE\", ...], \"budget_minutes\": 120}")?;
    if let Some(b) = body.budget_minutes {
        if !(b.is_finite() && b > 0.0) {
            return Err(ApiError::new(
                Code::InvalidParameter,
                format!("budget_minutes = {b}: give a positive number of minutes"),
            ));
        }
    }
    let snapshot = state.graph.snapshot();
    let goals = body.goals.iter().map(|g| snapshot.resolve(g)).collect::<Result<Vec<_>, _>>()?;
    let goals = tupu_recommend::current_nodes(&snapshot, &goals);
    let learners = state.learners.clone();
    let snap = snapshot.clone();
    let id = learner.clone();
    let budget = body.budget_minutes;
    let p = blocking(move || Ok(learners.path(&snap, &id, &goals, budget)?)).await?;
    let view = path_view(&snapshot, learner, p, budget, state.search_index().as_ref());
    // About 0.5 KB a step.
    Ok(super::json_response(super::json_body(&view, 1_024 + 512 * view.steps.len())?))
}

async fn erase(State(state): State<AppState>, Path(learner): Path<String>) -> Result<StatusCode, ApiError> {
    let learners = state.learners.clone();
    let found = blocking(move || Ok(learners.erase(&learner)?)).await?;
    // No learner id in logs, not even a pseudonym.
    tracing::info!(found, "erased a learner");
    Ok(StatusCode::NO_CONTENT)
}
