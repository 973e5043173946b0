//! `GET /api/v1/search`, `GET /api/v1/suggest` and `POST /api/v1/link`: full-text search over
//! every node, type-ahead on labels, and text → node linking, over the search index.

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use tupu_graph::search::{LinkCandidate, LinkRequest, SearchError, SearchIndex, SearchRequest};
use tupu_graph::{NodeKind, Snapshot};

use crate::error::{ApiError, Code};
use crate::routes::{json_body, json_response};
use crate::state::{AppState, blocking};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/search", get(search))
        .route("/api/v1/suggest", get(suggest))
        .route("/api/v1/link", post(link))
}

impl From<SearchError> for ApiError {
    fn from(e: SearchError) -> Self {
        ApiError::internal(e)
    }
}

/// Longest query text accepted by search and suggest, in characters.
const MAX_QUERY_CHARS: usize = 256;
/// Longest text accepted by link, in characters.
const MAX_LINK_CHARS: usize = 20_000;
/// Most texts in one link batch.
const MAX_BATCH: usize = 1_000;
/// Largest page.
const MAX_LIMIT: usize = 100;
/// Deepest page start.
const MAX_OFFSET: usize = 10_000;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct SearchParams {
    q: Option<String>,
    kind: Option<String>,
    node: Option<String>,
    level: Option<String>,
    lang: Option<String>,
    subject: Option<String>,
    #[serde(rename = "type")]
    resource_type: Option<String>,
    learner: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
}

fn params<T: for<'de> Deserialize<'de> + Default>(raw: Option<String>) -> Result<T, ApiError> {
    serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).map_err(|e| {
        ApiError::new(Code::InvalidParameter, format!("{e}; see the parameters of this route in the README"))
    })
}

fn query_text(q: Option<String>) -> Result<String, ApiError> {
    let q = q.unwrap_or_default();
    let text = q.trim();
    if text.is_empty() {
        return Err(ApiError::new(Code::EmptyQuery, "the query `q` is empty; give some words, e.g. q=分数加减法"));
    }
    let n = text.chars().count();
    if n > MAX_QUERY_CHARS {
        return Err(ApiError::new(
            Code::QueryTooLong,
            format!("the query has {n} characters; the most is {MAX_QUERY_CHARS}"),
        ));
    }
    Ok(text.to_owned())
}

fn list(value: Option<&str>) -> Vec<&str> {
    value.map(|v| v.split(',').map(str::trim).filter(|s| !s.is_empty()).collect()).unwrap_or_default()
}

fn kinds(value: Option<&str>) -> Result<Vec<NodeKind>, ApiError> {
    list(value)
        .into_iter()
        .map(|k| {
            NodeKind::ALL.into_iter().find(|x| x.as_str() == k).ok_or_else(|| {
                let known: Vec<&str> = NodeKind::ALL.iter().map(|k| k.as_str()).collect();
                ApiError::new(Code::UnknownFilterValue, format!("unknown kind '{k}'; use one of {}", known.join(", ")))
            })
        })
        .collect()
}

fn number(name: &str, value: Option<&str>, default: usize, max: usize) -> Result<usize, ApiError> {
    match value {
        None => Ok(default),
        Some(v) => v.trim().parse::<usize>().ok().filter(|n| *n <= max).ok_or_else(|| {
            ApiError::new(Code::InvalidParameter, format!("`{name}` must be a whole number from 0 to {max}, not '{v}'"))
        }),
    }
}

/// Values of a snapshot symbol attribute that some node uses (the subjects), for checking a
/// filter value.
fn known_subjects(snapshot: &Snapshot) -> Vec<String> {
    let mut out: Vec<String> =
        snapshot.nodes().filter_map(|n| snapshot.attrs(n).subject).map(|s| snapshot.symbol(s).to_owned()).collect();
    out.sort();
    out.dedup();
    out
}

fn request(state: &AppState, snapshot: &Snapshot, p: SearchParams) -> Result<SearchRequest, ApiError> {
    let text = query_text(p.q)?;
    let kinds = kinds(p.kind.as_deref())?;
    let node = p.node.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(|n| snapshot.resolve(n)).transpose()?;
    let levels = list(p.level.as_deref())
        .into_iter()
        .map(|l| {
            l.parse::<u8>().ok().filter(|x| (1..=12).contains(x)).ok_or_else(|| {
                ApiError::new(
                    Code::UnknownFilterValue,
                    format!("unknown level '{l}'; levels are school grades 1 to 12"),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let langs = list(p.lang.as_deref())
        .into_iter()
        .map(|l| {
            let ok = (2..=3).contains(&l.len()) && l.chars().all(|c| c.is_ascii_alphabetic());
            if ok {
                Ok(l.to_ascii_lowercase())
            } else {
                Err(ApiError::new(
                    Code::UnknownFilterValue,
                    format!("unknown language '{l}'; use a language code such as zh or en"),
                ))
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    let subjects: Vec<String> = list(p.subject.as_deref()).into_iter().map(str::to_owned).collect();
    if !subjects.is_empty() {
        let known = known_subjects(snapshot);
        if let Some(s) = subjects.iter().find(|s| !known.contains(s)) {
            return Err(ApiError::new(
                Code::UnknownFilterValue,
                format!("unknown subject '{s}'; the graph has {}", known.join(", ")),
            ));
        }
    }
    let resource_types: Vec<String> = list(p.resource_type.as_deref()).into_iter().map(str::to_owned).collect();
    if let Some(t) = resource_types.iter().find(|t| !tupu_ingest::RESOURCE_TYPES.contains(&t.as_str())) {
        return Err(ApiError::new(
            Code::UnknownFilterValue,
            format!("unknown resource type '{t}'; use {}", tupu_ingest::RESOURCE_TYPES.join(", ")),
        ));
    }
    let ready = match p.learner.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
        None => Vec::new(),
        Some(learner) => {
            tupu_recommend::check_learner_id(learner)
                .map_err(|e| ApiError::new(Code::InvalidLearnerId, e.to_string()))?;
            let mastery = state.learners.resolved(snapshot, learner)?;
            let index = state.learners.index(snapshot);
            tupu_recommend::ready_fringe(snapshot, &index, &mastery, state.learners.config().mastery_threshold)
        }
    };
    Ok(SearchRequest {
        text,
        kinds,
        node,
        levels,
        langs,
        subjects,
        resource_types,
        ready,
        exclude: None,
        limit: number("limit", p.limit.as_deref(), 10, MAX_LIMIT)?.max(1),
        offset: number("offset", p.offset.as_deref(), 0, MAX_OFFSET)?,
    })
}

/// A search's answer: the results, and whether the index had caught up with the graph. A
/// search never waits for the index: one that is behind (catching up after an import made
/// while the server was stopped, or for a moment after each commit) answers from what it
/// holds, and says so.
#[derive(serde::Serialize)]
struct SearchResponse {
    #[serde(flatten)]
    results: tupu_graph::search::SearchResults,
    /// The graph's version when the search ran (the results' `version` is the index's).
    graph_version: u64,
    /// The index is still catching up with the graph: what later versions added or changed
    /// is not in these results yet. Ask again shortly.
    indexing: bool,
}

/// `GET /api/v1/search?q=&kind=&node=&level=&lang=&subject=&type=&learner=&limit=&offset=`
async fn search(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Result<Response, ApiError> {
    let p: SearchParams = params(raw)?;
    blocking(move || {
        let index = state.search()?;
        let snapshot = state.graph.snapshot();
        let request = request(&state, &snapshot, p)?;
        let graph_version = snapshot.version();
        let results = index.search(&snapshot, &request)?;
        let indexing = results.version < graph_version;
        let body = SearchResponse { results, graph_version, indexing };
        Ok(json_response(json_body(&body, 4096)?))
    })
    .await
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct SuggestParams {
    q: Option<String>,
    kind: Option<String>,
    limit: Option<String>,
}

/// `GET /api/v1/suggest?q=&kind=&limit=`: type-ahead on node labels.
async fn suggest(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Result<Response, ApiError> {
    let p: SuggestParams = params(raw)?;
    blocking(move || {
        let text = query_text(p.q)?;
        let kinds = kinds(p.kind.as_deref())?;
        let limit = number("limit", p.limit.as_deref(), 10, MAX_LIMIT)?.max(1);
        let index = state.search()?;
        let snapshot = state.graph.snapshot();
        let suggestions = index.suggest(&snapshot, &text, &kinds, limit)?;
        Ok(json_response(json_body(&serde_json::json!({ "suggestions": suggestions }), 1024)?))
    })
    .await
}

/// Kinds as a list or as one comma-separated string.
#[derive(Deserialize)]
#[serde(untagged)]
enum KindList {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkBody {
    text: Option<String>,
    texts: Option<Vec<String>>,
    #[serde(alias = "kind")]
    kinds: Option<KindList>,
    limit: Option<usize>,
    /// Whether resources aligned to nodes count as evidence (default true).
    resource_evidence: Option<bool>,
}

#[derive(serde::Serialize)]
struct LinkResult {
    text: String,
    nodes: Vec<LinkCandidate>,
}

/// `POST /api/v1/link`: `{"text": ..., "kinds": [...], "limit": 5}` → `{"text", "nodes"}`;
/// `{"texts": [...], ...}` → `{"results": [{"text", "nodes"}, ...]}`.
async fn link(State(state): State<AppState>, body: axum::body::Bytes) -> Result<Response, ApiError> {
    let body: LinkBody = serde_json::from_slice(&body).map_err(|e| {
        ApiError::new(
            Code::InvalidBody,
            format!(
                "{e}; send {{\"text\": \"...\", \"kinds\": [\"occupation\"], \"limit\": 5}} or {{\"texts\": [...]}}"
            ),
        )
    })?;
    let kind_text = match &body.kinds {
        None => None,
        Some(KindList::One(s)) => Some(s.clone()),
        Some(KindList::Many(v)) => Some(v.join(",")),
    };
    let kinds = kinds(kind_text.as_deref())?;
    let limit = body.limit.unwrap_or(5);
    if limit == 0 || limit > 50 {
        return Err(ApiError::new(Code::InvalidParameter, format!("`limit` must be from 1 to 50, not {limit}")));
    }
    let (texts, batch) = match (body.text, body.texts) {
        (Some(t), None) => (vec![t], false),
        (None, Some(ts)) => (ts, true),
        _ => {
            return Err(ApiError::new(
                Code::InvalidBody,
                "give either `text` (one text) or `texts` (a batch), not both",
            ));
        }
    };
    if texts.len() > MAX_BATCH {
        return Err(ApiError::new(
            Code::BatchTooLarge,
            format!("{} texts; the most in one batch is {MAX_BATCH}", texts.len()),
        ));
    }
    for (i, t) in texts.iter().enumerate() {
        let n = t.chars().count();
        if t.trim().is_empty() {
            return Err(ApiError::new(Code::EmptyText, format!("text {i} is empty")));
        }
        if n > MAX_LINK_CHARS {
            return Err(ApiError::new(
                Code::TextTooLong,
                format!("text {i} has {n} characters; the most is {MAX_LINK_CHARS}"),
            ));
        }
    }
    let evidence = body.resource_evidence.unwrap_or(true);
    blocking(move || {
        let index: SearchIndex = state.search()?;
        let snapshot = state.graph.snapshot();
        let mut results = Vec::with_capacity(texts.len());
        for text in texts {
            let request = LinkRequest { text, kinds: kinds.clone(), limit, exclude: None, resource_evidence: evidence };
            let nodes = index.link(&snapshot, &request)?;
            results.push(LinkResult { text: request.text, nodes });
        }
        if batch {
            Ok(json_response(json_body(&serde_json::json!({ "results": results }), 4096)?))
        } else {
            Ok(json_response(json_body(&results[0], 1024)?))
        }
    })
    .await
}

/// The lessons and exercises a recommended step carries (see `tupu_recommend::step_materials`),
/// when the state has a search index; none otherwise or on an index fault (logged).
pub(crate) fn materials<'a>(
    search: Option<&SearchIndex>,
    snapshot: &'a Snapshot,
    node: tupu_graph::NodeId,
) -> Vec<super::nodes::NodeRef<'a>> {
    let Some(search) = search else { return Vec::new() };
    let level = snapshot.attrs(node).grade;
    match tupu_recommend::step_materials(search, snapshot, node, level, tupu_recommend::MaterialCounts::default()) {
        Ok(nodes) => nodes.into_iter().map(|n| super::nodes::NodeRef::new(snapshot, n)).collect(),
        Err(e) => {
            tracing::error!(error = %e, "cannot read a step's materials from the search index");
            Vec::new()
        }
    }
}
