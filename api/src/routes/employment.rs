//! Employment services: graduates matched to posts and posts to graduates, related
//! occupations, majors ↔ occupations, and the gap to a target with the programmes that close it.
//!
//! `POST /api/v1/match/graduate-posts`, `POST /api/v1/match/post-graduates`,
//! `GET /api/v1/occupations/{id}/related`, `GET /api/v1/occupations/{id}/competencies`,
//! `GET /api/v1/occupations/{id}/majors`, `GET /api/v1/majors/{id}/occupations`,
//! `POST /api/v1/gap`, `GET|POST /api/v1/reports/supply-demand`.
//!
//! A graduate may be given by the id of a learner: the learner's mastery vector counts as
//! competency evidence (see [`matching::mastery_abilities`]). The id is resolved as the
//! learner routes resolve it (in the caller's tenant, pseudonymised), and the answer names
//! only the competencies credited and where their evidence came from: neither the stored id
//! nor the mastery vector.

use std::collections::HashSet;
use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::{Deserialize, Serialize};
use tupu_graph::{Diagnostic, DiagnosticCode, Location, NodeId, NodeKind, Snapshot};
use tupu_recommend::Mastery;
use tupu_recommend::matching::{
    self, Ability, Breakdown, Item, MatchIndex, Matcher, Profile, Requirement, Rule, Source, Via,
};

use crate::auth::Principal;
use crate::error::{ApiError, Code};
use crate::routes::nodes::NodeRef;
use crate::state::{AppState, blocking};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/match/graduate-posts", post(graduate_posts))
        .route("/api/v1/match/post-graduates", post(post_graduates))
        .route("/api/v1/occupations/{id}/related", get(related))
        .route("/api/v1/occupations/{id}/competencies", get(competencies))
        .route("/api/v1/occupations/{id}/majors", get(occupation_majors))
        .route("/api/v1/majors/{id}/occupations", get(major_occupations))
        .route("/api/v1/gap", post(gap))
        .route("/api/v1/reports/supply-demand", get(supply_demand_report).post(supply_demand_posted))
}

/// Most results one request may ask for.
const MAX_K: usize = 200;

/// One competency a graduate holds.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct HeldCompetency {
    id: String,
    /// Level reached, 1–8.
    #[serde(default)]
    level: Option<u8>,
    /// Strength in [0, 1]; 1 by default.
    #[serde(default)]
    strength: Option<f32>,
}

/// A graduate as sent to the API. Only competencies (held, developed by the programmes taken,
/// or shown by a learner's mastery vector) enter a score; other fields (institution, region,
/// gender, age...) are accepted and never read.
#[derive(Deserialize, Debug, Default)]
pub(crate) struct Graduate {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    competencies: Vec<HeldCompetency>,
    /// A major, micro-major or course id: what it develops counts as held.
    #[serde(default)]
    major: Option<String>,
    /// More programmes taken.
    #[serde(default)]
    programmes: Vec<String>,
    /// A learner id, as sent to the learner routes: the learner's mastery vector counts as
    /// evidence (a competency also listed in `competencies` counts as listed there).
    #[serde(default)]
    learner: Option<String>,
}

/// A graduate's learner, looked up before the abilities are built.
enum Learner {
    /// The graduate names no learner.
    Absent,
    /// The id is not acceptable or names no stored learner: why.
    Unknown(String),
    /// The learner's mastery vector, resolved against the snapshot.
    Known(Mastery),
}

/// Looks up the learner of each graduate that names one: the id resolved as the learner
/// routes resolve it, the stored vector loaded and resolved against `s`. Reads the store:
/// call it off the async runtime.
fn load_learners(
    state: &AppState,
    principal: &Principal,
    s: &Snapshot,
    graduates: &[Graduate],
) -> Result<Vec<Learner>, ApiError> {
    if graduates.iter().any(|g| g.learner.is_some()) && !principal.may_name_learners() {
        return Err(ApiError::new(
            Code::Forbidden,
            "a graduate given by a learner id needs a key with the learner's tenant, or an admin key",
        ));
    }
    let secret = state.config.learner_secret.as_ref();
    graduates
        .iter()
        .map(|g| {
            let Some(sent) = &g.learner else { return Ok(Learner::Absent) };
            if let Err(e) = tupu_recommend::check_learner_id(sent) {
                return Ok(Learner::Unknown(e.to_string()));
            }
            let stored = crate::auth::stored_learner_id(sent, principal.tenant.as_deref(), secret);
            let learner = state.learners.mastery(&stored)?;
            Ok(if learner.is_empty() {
                Learner::Unknown(format!("no evidence or mastery is stored for the learner '{sent}'"))
            } else {
                Learner::Known(learner.resolve(s))
            })
        })
        .collect()
}

/// [`load_learners`] on a blocking thread, skipped when no graduate names a learner.
async fn look_up_learners(
    state: &AppState,
    principal: Principal,
    s: &Arc<Snapshot>,
    graduates: Vec<Graduate>,
) -> Result<(Vec<Graduate>, Vec<Learner>), ApiError> {
    if graduates.iter().all(|g| g.learner.is_none()) {
        let absent = graduates.iter().map(|_| Learner::Absent).collect();
        return Ok((graduates, absent));
    }
    let (state, s) = (state.clone(), s.clone());
    blocking(move || {
        let found = load_learners(&state, &principal, &s, &graduates)?;
        Ok((graduates, found))
    })
    .await
}

/// [`look_up_learners`] for one graduate.
async fn one_learner(
    state: &AppState,
    principal: Principal,
    s: &Arc<Snapshot>,
    graduate: Graduate,
) -> Result<(Graduate, Learner), ApiError> {
    let (mut graduates, mut found) = look_up_learners(state, principal, s, vec![graduate]).await?;
    match (graduates.pop(), found.pop()) {
        (Some(g), Some(l)) => Ok((g, l)),
        _ => Err(ApiError::internal("a graduate was lost")),
    }
}

/// One requirement given inline.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RequiredCompetency {
    id: String,
    #[serde(default = "yes")]
    essential: bool,
    #[serde(default)]
    level: Option<u8>,
    #[serde(default)]
    weight: Option<f32>,
}

fn yes() -> bool {
    true
}

/// Collects every problem of a request body, each named by its JSON path.
struct Problems(Vec<Diagnostic>);

impl Problems {
    fn add(&mut self, field: String, message: String, hint: &str) {
        self.0.push(Diagnostic::violation(DiagnosticCode::InvalidInput, message).with_hint(hint).with_location(
            Location { file: "request body".into(), line: None, column: None, record: None, field: Some(field) },
        ));
    }

    fn node(&mut self, s: &Snapshot, id: &str, field: String, kinds: &[NodeKind]) -> Option<NodeId> {
        match s.resolve(id) {
            Ok(n) if kinds.contains(&s.kind(n)) => Some(n),
            Ok(n) => {
                let wanted: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
                self.add(
                    field,
                    format!("'{id}' is a {}, not a {}", s.kind(n).as_str(), wanted.join(" or ")),
                    "give the id of a node of the kind asked for",
                );
                None
            }
            Err(e) => {
                self.add(field, e.to_string(), "give the IRI or local name of a node of the graph");
                None
            }
        }
    }

    fn level(&mut self, level: Option<u8>, field: String) -> u8 {
        match level {
            None => 0,
            Some(l @ 1..=8) => l,
            Some(l) => {
                self.add(field, format!("level {l} is out of range"), "give a level from 1 to 8");
                0
            }
        }
    }

    fn unit(&mut self, value: Option<f32>, field: String) -> f32 {
        match value {
            None => 1.0,
            Some(v) if (0.0..=1.0).contains(&v) => v,
            Some(v) => {
                self.add(field, format!("{v} is outside [0, 1]"), "give a number from 0 to 1");
                1.0
            }
        }
    }

    fn finish(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Unprocessable {
                code: Code::InvalidInput,
                message: format!("{} problem(s) in the request; nothing was computed", self.0.len()),
                details: self.0,
            })
        }
    }
}

const PROGRAMMES: [NodeKind; 3] = [NodeKind::Major, NodeKind::MicroMajor, NodeKind::Course];

/// A graduate's abilities: held competencies, what the programmes taken develop, and what the
/// learner's mastery vector shows of competencies not held explicitly.
fn abilities(
    s: &Snapshot,
    index: &MatchIndex,
    g: &Graduate,
    learner: &Learner,
    path: &str,
    problems: &mut Problems,
) -> Vec<Ability> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for (i, c) in g.competencies.iter().enumerate() {
        let field = format!("{path}.competencies[{i}]");
        let level = problems.level(c.level, format!("{field}.level"));
        let strength = problems.unit(c.strength, format!("{field}.strength"));
        if let Some(n) = problems.node(s, &c.id, format!("{field}.id"), &[NodeKind::Competency]) {
            if !seen.insert(n) {
                problems.add(format!("{field}.id"), format!("'{}' is listed twice", c.id), "list each competency once");
            }
            out.push(Ability { competency: n, strength, level, source: Source::Stated });
        }
    }
    let programmes = g
        .major
        .iter()
        .map(|m| (format!("{path}.major"), m))
        .chain(g.programmes.iter().enumerate().map(|(i, p)| (format!("{path}.programmes[{i}]"), p)));
    for (field, id) in programmes {
        if let Some(p) = problems.node(s, id, field, &PROGRAMMES) {
            out.extend(matching::programme_abilities(index, p));
        }
    }
    match learner {
        Learner::Absent => {}
        Learner::Unknown(why) => problems.add(
            format!("{path}.learner"),
            why.clone(),
            "give the learner id the learner's evidence was sent under (POST /api/v1/learners/{id}/events)",
        ),
        Learner::Known(mastery) => out.extend(
            matching::mastery_abilities(index, s, mastery).into_iter().filter(|a| !seen.contains(&a.competency)),
        ),
    }
    out
}

fn requirements(s: &Snapshot, list: &[RequiredCompetency], path: &str, problems: &mut Problems) -> Vec<Requirement> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for (i, r) in list.iter().enumerate() {
        let field = format!("{path}[{i}]");
        let level = problems.level(r.level, format!("{field}.level"));
        let weight = problems.unit(r.weight, format!("{field}.weight"));
        if let Some(n) = problems.node(s, &r.id, format!("{field}.id"), &[NodeKind::Competency]) {
            if !seen.insert(n) {
                problems.add(format!("{field}.id"), format!("'{}' is listed twice", r.id), "list each competency once");
            }
            out.push(Requirement { competency: n, essential: r.essential, level, weight });
        }
    }
    out
}

fn check_k(k: Option<usize>) -> Result<usize, ApiError> {
    match k.unwrap_or(10) {
        0 => Err(ApiError::new(Code::InvalidParameter, "k must be at least 1")),
        k if k > MAX_K => Err(ApiError::new(Code::InvalidParameter, format!("k must be at most {MAX_K}"))),
        k => Ok(k),
    }
}

fn json_body<T>(body: Result<Json<T>, JsonRejection>, expected: &str) -> Result<T, ApiError> {
    body.map(|Json(value)| value).map_err(|e| ApiError::new(Code::InvalidBody, format!("{e}; {expected}")))
}

/// A node with both labels.
#[derive(Serialize)]
struct Named<'a> {
    #[serde(flatten)]
    node: NodeRef<'a>,
    label_en: &'a str,
    label_zh: &'a str,
}

fn named(s: &Snapshot, n: NodeId) -> Named<'_> {
    Named { node: NodeRef::new(s, n), label_en: s.label(n, Some("en")), label_zh: s.label(n, Some("zh")) }
}

#[derive(Serialize)]
struct ItemView<'a> {
    competency: Named<'a>,
    essential: bool,
    weight: f32,
    credit: f32,
    #[serde(skip_serializing_if = "is_zero")]
    required_level: u8,
    #[serde(skip_serializing_if = "is_zero")]
    level: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    via: Option<ViaView<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<SourceView>,
}

fn is_zero(x: &u8) -> bool {
    *x == 0
}

#[derive(Serialize)]
struct ViaView<'a> {
    relation: Via,
    en: &'static str,
    zh: &'static str,
    through: Named<'a>,
}

/// Where the evidence of a credited competency came from.
#[derive(Serialize)]
struct SourceView {
    kind: Source,
    en: &'static str,
    zh: &'static str,
}

#[derive(Serialize)]
struct BreakdownView<'a> {
    score: f32,
    coverage: f32,
    essential_total: usize,
    essential_met: usize,
    matched: Vec<ItemView<'a>>,
    partial: Vec<ItemView<'a>>,
    missing: Vec<ItemView<'a>>,
    summary: Summary,
}

#[derive(Serialize)]
struct Summary {
    en: String,
    zh: String,
}

fn items<'a>(s: &'a Snapshot, items: &[Item]) -> Vec<ItemView<'a>> {
    items
        .iter()
        .map(|i| ItemView {
            competency: named(s, i.competency),
            essential: i.essential,
            weight: i.weight,
            credit: i.credit,
            required_level: i.required_level,
            level: i.level,
            via: match (i.via, i.through) {
                (Some(via), Some(through)) if via != Via::Direct => {
                    let (en, zh) = via.names();
                    Some(ViaView { relation: via, en, zh, through: named(s, through) })
                }
                _ => None,
            },
            source: i.source.map(|kind| {
                let (en, zh) = kind.names();
                SourceView { kind, en, zh }
            }),
        })
        .collect()
}

fn breakdown_view<'a>(s: &'a Snapshot, b: &Breakdown) -> BreakdownView<'a> {
    BreakdownView {
        score: b.score,
        coverage: b.coverage,
        essential_total: b.essential_total,
        essential_met: b.essential_met,
        matched: items(s, &b.matched),
        partial: items(s, &b.partial),
        missing: items(s, &b.missing),
        summary: Summary { en: b.summary_en.clone(), zh: b.summary_zh.clone() },
    }
}

#[derive(Serialize)]
struct MatchView<'a> {
    target: Named<'a>,
    score: f32,
    breakdown: BreakdownView<'a>,
}

#[derive(Serialize)]
struct MatchList<'a> {
    snapshot_version: u64,
    count: usize,
    matches: Vec<MatchView<'a>>,
}

fn match_list<'a>(s: &'a Snapshot, matches: &[matching::Match]) -> MatchList<'a> {
    MatchList {
        snapshot_version: s.version(),
        count: matches.len(),
        matches: matches
            .iter()
            .map(|m| MatchView {
                target: named(s, m.target),
                score: m.score,
                breakdown: breakdown_view(s, &m.breakdown),
            })
            .collect(),
    }
}

fn kinds(names: &[String], default: &[NodeKind]) -> Result<Vec<NodeKind>, ApiError> {
    if names.is_empty() {
        return Ok(default.to_vec());
    }
    names
        .iter()
        .map(|n| {
            NodeKind::ALL.into_iter().find(|k| k.as_str() == n.as_str()).ok_or_else(|| {
                ApiError::new(
                    Code::InvalidParameter,
                    format!("unknown kind '{n}'; use post, occupation, major, micro_major or course"),
                )
            })
        })
        .collect()
}

#[derive(Deserialize)]
struct GraduatePostsBody {
    graduate: Graduate,
    #[serde(default)]
    k: Option<usize>,
    /// `post` (default) and/or `occupation`.
    #[serde(default)]
    kinds: Vec<String>,
}

async fn graduate_posts(
    State(state): State<AppState>,
    principal: Option<Extension<Principal>>,
    body: Result<Json<GraduatePostsBody>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let body = json_body(
        body,
        "expected {\"graduate\": {\"competencies\": [{\"id\": ...}], \"major\": ..., \"learner\": ...}, \"k\": 10}",
    )?;
    let k = check_k(body.k)?;
    let kinds = kinds(&body.kinds, &[NodeKind::Post])?;
    let s = state.graph.snapshot();
    let (graduate, learner) = one_learner(&state, Principal::of_request(principal), &s, body.graduate).await?;
    let index = state.matching.get(&s);
    let mut problems = Problems(Vec::new());
    let abilities = abilities(&s, &index, &graduate, &learner, "graduate", &mut problems);
    problems.finish()?;
    let matches = matching::match_holders(&index, &s, &abilities, &kinds, k);
    serde_json::to_value(match_list(&s, &matches)).map(Json).map_err(ApiError::internal)
}

#[derive(Deserialize)]
#[serde(untagged)]
enum PostSpec {
    Id(String),
    Inline { competencies: Vec<RequiredCompetency> },
}

#[derive(Deserialize)]
struct PostGraduatesBody {
    post: PostSpec,
    graduates: Vec<Graduate>,
    #[serde(default)]
    k: Option<usize>,
}

#[derive(Serialize)]
struct GraduateMatch<'a> {
    graduate: String,
    index: usize,
    score: f32,
    breakdown: BreakdownView<'a>,
}

async fn post_graduates(
    State(state): State<AppState>,
    principal: Option<Extension<Principal>>,
    body: Result<Json<PostGraduatesBody>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let body =
        json_body(body, "expected {\"post\": ID or {\"competencies\": [...]}, \"graduates\": [...], \"k\": 10}")?;
    let k = check_k(body.k)?;
    let s = state.graph.snapshot();
    let (graduates, learners) = look_up_learners(&state, Principal::of_request(principal), &s, body.graduates).await?;
    let index = state.matching.get(&s);
    let mut problems = Problems(Vec::new());
    let profile: Option<Profile> = match &body.post {
        PostSpec::Id(id) => problems
            .node(&s, id, "post".into(), &[NodeKind::Post, NodeKind::Occupation])
            .and_then(|p| index.requirements(p).cloned()),
        PostSpec::Inline { competencies } => {
            let list = requirements(&s, competencies, "post.competencies", &mut problems);
            Some(index.requirement_profile(&list))
        }
    };
    let abilities: Vec<Vec<Ability>> = graduates
        .iter()
        .zip(&learners)
        .enumerate()
        .map(|(i, (g, learner))| abilities(&s, &index, g, learner, &format!("graduates[{i}]"), &mut problems))
        .collect();
    problems.finish()?;
    let profile = profile.unwrap_or_default();
    let expanded: Vec<Profile> = abilities.iter().map(|a| index.expand(a)).collect();
    let matcher =
        Matcher::new(Rule::Abilities { penalty: matching::ESSENTIAL_PENALTY }, index.competency_count(), &expanded);
    let top = matcher.top_k(&profile, k, &mut matcher.scratch());
    let matches: Vec<GraduateMatch<'_>> = top
        .iter()
        .map(|t| {
            let i = t.target as usize;
            let b = matching::explain_profile(&index, &s, &abilities[i], &profile);
            GraduateMatch {
                graduate: graduates[i].id.clone().unwrap_or_else(|| i.to_string()),
                index: i,
                score: t.score,
                breakdown: breakdown_view(&s, &b),
            }
        })
        .collect();
    Ok(Json(serde_json::json!({
        "snapshot_version": s.version(),
        "count": matches.len(),
        "matches": matches,
    })))
}

#[derive(Deserialize)]
struct KParams {
    #[serde(default)]
    k: Option<usize>,
    /// Comma-separated node kinds.
    #[serde(default)]
    kinds: Option<String>,
}

impl KParams {
    fn kinds(&self, default: &[NodeKind]) -> Result<Vec<NodeKind>, ApiError> {
        comma_kinds(self.kinds.as_deref(), default)
    }
}

/// Node kinds from a comma-separated query parameter, `default` when absent or empty.
fn comma_kinds(value: Option<&str>, default: &[NodeKind]) -> Result<Vec<NodeKind>, ApiError> {
    let names: Vec<String> = value.unwrap_or("").split(',').filter(|x| !x.is_empty()).map(str::to_owned).collect();
    kinds(&names, default)
}

fn resolve_kind(s: &Snapshot, id: &str, wanted: &[NodeKind]) -> Result<NodeId, ApiError> {
    let n = s.resolve(id)?;
    if wanted.contains(&s.kind(n)) {
        Ok(n)
    } else {
        Err(ApiError::new(Code::WrongKind, format!("'{id}' is a {}, not a {}", s.kind(n).as_str(), wanted[0].as_str())))
    }
}

#[derive(Serialize)]
struct RelatedView<'a> {
    occupation: Named<'a>,
    score: f32,
    similarity: f32,
    specific: f32,
    graded: Option<f32>,
    name_similarity: f32,
    shared_words: &'a [String],
    same_group: bool,
    shared_count: usize,
    shared: Vec<SharedView<'a>>,
    summary: Summary,
}

#[derive(Serialize)]
struct SharedView<'a> {
    competency: Named<'a>,
    contribution: f32,
}

async fn related(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(params): Query<KParams>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let k = check_k(params.k)?;
    let s = state.graph.snapshot();
    let occupation = resolve_kind(&s, &id, &[NodeKind::Occupation])?;
    let index = state.matching.get(&s);
    let related = matching::related_occupations(&index, &s, occupation, k);
    let list: Vec<RelatedView<'_>> = related
        .iter()
        .map(|r| RelatedView {
            occupation: named(&s, r.occupation),
            score: r.score,
            similarity: r.similarity,
            specific: r.specific,
            graded: r.graded,
            name_similarity: r.name_similarity,
            shared_words: &r.shared_words,
            same_group: r.same_group,
            shared_count: r.shared_count,
            shared: r.shared.iter().map(|&(c, x)| SharedView { competency: named(&s, c), contribution: x }).collect(),
            summary: Summary { en: r.summary_en.clone(), zh: r.summary_zh.clone() },
        })
        .collect();
    Ok(Json(serde_json::json!({
        "snapshot_version": s.version(),
        "occupation": named(&s, occupation),
        "method": {
            "en": "similarity of the occupations' requirements, plus 0.05 for the same broader group. Specific requirements: cosine of vectors weighted essential 1, optional 0.5, times idf so that skills many occupations ask for count little, a quarter of each weight also on the skill's broader concept. Graded requirements (competencies that at least half of the occupations drawing on their framework require, such as O*NET's rated skills and knowledge, when 50 or more occupations draw on it and 10 or more of its competencies are so common): the correlation of their weights, each less its mean, so that two occupations are alike when they ask for more of the same things than most do. When both have graded requirements the similarity is half of each; `specific` and `graded` give the two parts. Among the 100 (at least) most similar by requirements, the score adds 0.7 × the cosine of the words of their names, alternative names and definitions (tf-idf of the words the search index splits them into; pairs of characters in Chinese), `name_similarity`, with the `shared_words`",
            "zh": "按职业能力要求的相似度排序，同一上位职业组另加0.05。专门要求：向量余弦相似度，必备权重1、可选0.5，乘以逆文档频率以降低许多职业都要求的能力的权重，每项能力四分之一的权重计入其上位概念。分级要求（在采用同一能力框架的职业中至少一半都要求的能力，如O*NET评定的技能与知识；仅当采用该框架的职业不少于50个、这样的能力不少于10项时）：各项权重减去其平均值后的相关系数，即两个职业都比多数职业更看重同样的能力时相似。两个职业都有分级要求时各占一半；`specific`与`graded`分别给出两部分。在按能力要求最相似的至少100个职业中，得分再加上名称、别名与定义中词语（TF-IDF，中文按相邻两字）余弦相似度的0.7倍，即`name_similarity`，共有词语见`shared_words`",
        },
        "count": list.len(),
        "related": list,
    })))
}

#[derive(Deserialize)]
struct CompetencyParams {
    #[serde(default)]
    essential: Option<bool>,
}

async fn competencies(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(params): Query<CompetencyParams>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let s = state.graph.snapshot();
    let holder = resolve_kind(&s, &id, &[NodeKind::Occupation, NodeKind::Post])?;
    // An occupation without requirements of its own has those of the occupations it maps to
    // (skos:exactMatch, skos:closeMatch), as matching reads them.
    let index = state.matching.get(&s);
    let inherited = index.inherited_from(holder);
    let edges = index.requirement_edges(&s, holder);
    let list: Vec<serde_json::Value> = edges
        .iter()
        .filter(|(e, _)| params.essential.is_none_or(|want| e.essential == want))
        .map(|(e, through)| {
            let mut item = serde_json::json!({
                "competency": named(&s, e.node),
                "essential": e.essential,
                "level": e.level,
                "weight": e.weight,
            });
            if let Some(source) = through {
                item["through"] = serde_json::json!(named(&s, *source));
            }
            item
        })
        .collect();
    let from: Vec<serde_json::Value> = inherited
        .iter()
        .map(|&(source, factor)| serde_json::json!({"occupation": named(&s, source), "factor": factor}))
        .collect();
    Ok(Json(serde_json::json!({
        "snapshot_version": s.version(),
        "occupation": named(&s, holder),
        "inherited_from": from,
        "count": list.len(),
        "competencies": list,
    })))
}

async fn occupation_majors(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(params): Query<KParams>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let k = check_k(params.k)?;
    let kinds = params.kinds(&[NodeKind::Major])?;
    let s = state.graph.snapshot();
    let holder = resolve_kind(&s, &id, &[NodeKind::Occupation, NodeKind::Post])?;
    let index = state.matching.get(&s);
    let matches = matching::match_programmes(&index, &s, holder, &kinds, k);
    serde_json::to_value(match_list(&s, &matches)).map(Json).map_err(ApiError::internal)
}

async fn major_occupations(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(params): Query<KParams>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let k = check_k(params.k)?;
    let kinds = params.kinds(&[NodeKind::Occupation])?;
    let s = state.graph.snapshot();
    let programme = resolve_kind(&s, &id, &PROGRAMMES)?;
    let index = state.matching.get(&s);
    let abilities = matching::programme_abilities(&index, programme);
    let matches = matching::match_holders(&index, &s, &abilities, &kinds, k);
    serde_json::to_value(match_list(&s, &matches)).map(Json).map_err(ApiError::internal)
}

#[derive(Deserialize)]
struct GapBody {
    graduate: Graduate,
    target: String,
    #[serde(default)]
    k: Option<usize>,
}

async fn gap(
    State(state): State<AppState>,
    principal: Option<Extension<Principal>>,
    body: Result<Json<GapBody>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let body = json_body(body, "expected {\"graduate\": {...}, \"target\": OCCUPATION_OR_POST_ID, \"k\": 5}")?;
    let k = check_k(body.k)?;
    let s = state.graph.snapshot();
    let (graduate, learner) = one_learner(&state, Principal::of_request(principal), &s, body.graduate).await?;
    let index = state.matching.get(&s);
    let mut problems = Problems(Vec::new());
    let abilities = abilities(&s, &index, &graduate, &learner, "graduate", &mut problems);
    let target = problems.node(&s, &body.target, "target".into(), &[NodeKind::Occupation, NodeKind::Post]);
    problems.finish()?;
    let Some(target) = target else { return Err(ApiError::internal("unresolved target")) };
    let Some(gap) = matching::gap(&index, &s, &abilities, target, k) else {
        return Err(ApiError::new(Code::NoRequirements, format!("'{}' requires no competency", body.target)));
    };
    let options: Vec<serde_json::Value> = gap
        .options
        .iter()
        .map(|o| {
            serde_json::json!({
                "programme": named(&s, o.programme),
                "hours": o.hours,
                "gain": o.gain,
                "gain_per_hour": o.gain_per_hour,
                "closes": o.closes.iter().map(|&c| named(&s, c)).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(Json(serde_json::json!({
        "snapshot_version": s.version(),
        "target": named(&s, target),
        "current": breakdown_view(&s, &gap.breakdown),
        "options": options,
        "knowledge_points": gap.knowledge_points.iter().map(|&n| named(&s, n)).collect::<Vec<_>>(),
    })))
}

/// Filters of a supply–demand report.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct MarketFilter {
    /// Posts and cohorts of this region (`schema:addressRegion`) only.
    #[serde(default)]
    region: Option<String>,
    /// Posts published on or after this date (`YYYY-MM-DD`).
    #[serde(default)]
    from: Option<String>,
    /// Posts published on or before this date (`YYYY-MM-DD`).
    #[serde(default)]
    to: Option<String>,
    /// Cohorts of this institution only.
    #[serde(default)]
    institution: Option<String>,
    /// Cohorts graduating in this year only.
    #[serde(default)]
    year: Option<i32>,
    /// Programmes to list per kind (default 10).
    #[serde(default)]
    k: Option<usize>,
    /// Competencies to list (default 20).
    #[serde(default)]
    limit: Option<usize>,
    /// Comma-separated programme kinds to propose (default `major,micro_major`).
    #[serde(default)]
    kinds: Option<String>,
}

fn iso_date(value: &Option<String>, name: &str) -> Result<(), ApiError> {
    match value {
        Some(d) if !tupu_graph::is_iso_date(d) => Err(ApiError::new(
            Code::InvalidParameter,
            format!("{name}='{d}' is not a date; give it as YYYY-MM-DD, such as 2026-07-01"),
        )),
        _ => Ok(()),
    }
}

async fn supply_demand_report(
    State(state): State<AppState>,
    Query(filter): Query<MarketFilter>,
) -> Result<Json<serde_json::Value>, ApiError> {
    supply_demand(&state, filter, None, Principal::of_request(None)).await
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct SupplyDemandBody {
    /// The graduates whose competencies are the supply, instead of the cohorts in the graph.
    graduates: Vec<Graduate>,
    #[serde(flatten)]
    filter: MarketFilter,
}

async fn supply_demand_posted(
    State(state): State<AppState>,
    principal: Option<Extension<Principal>>,
    body: Result<Json<SupplyDemandBody>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let body = json_body(
        body,
        "expected {\"graduates\": [{\"major\": ..., \"competencies\": [...], \"learner\": ...}], \"region\": ...}",
    )?;
    supply_demand(&state, body.filter, Some(body.graduates), Principal::of_request(principal)).await
}

/// The report over the posts in the graph (filtered by region and date) against the cohorts in
/// the graph (filtered by region, institution and year), or against `graduates` when given
/// (sent by `principal`).
async fn supply_demand(
    state: &AppState,
    filter: MarketFilter,
    graduates: Option<Vec<Graduate>>,
    principal: Principal,
) -> Result<Json<serde_json::Value>, ApiError> {
    let k = check_k(filter.k)?;
    let limit = match filter.limit.unwrap_or(20) {
        0 => return Err(ApiError::new(Code::InvalidParameter, "limit must be at least 1")),
        l => l.min(1_000),
    };
    iso_date(&filter.from, "from")?;
    iso_date(&filter.to, "to")?;
    let kinds = comma_kinds(filter.kinds.as_deref(), &[NodeKind::Major, NodeKind::MicroMajor])?;
    if let Some(k) = kinds.iter().find(|k| !PROGRAMMES.contains(k)) {
        return Err(ApiError::new(
            Code::InvalidParameter,
            format!("kind '{}' is not a programme; use major, micro_major or course", k.as_str()),
        ));
    }
    let state = state.clone();
    let result = tokio::task::spawn_blocking(move || -> Result<serde_json::Value, ApiError> {
        let s = state.graph.snapshot();
        let index = state.matching.get(&s);
        let market = state.market()?;
        let region_ok = |r: &Option<String>| filter.region.as_ref().is_none_or(|want| r.as_ref() == Some(want));
        let demand: Vec<matching::Demand> = market
            .posts
            .iter()
            .filter(|p| region_ok(&p.region))
            .filter(|p| filter.from.as_ref().is_none_or(|from| p.date.as_ref().is_some_and(|d| d >= from)))
            .filter(|p| filter.to.as_ref().is_none_or(|to| p.date.as_ref().is_some_and(|d| d <= to)))
            .filter_map(|p| {
                let holder = s.resolve(&p.iri).ok().filter(|&n| s.kind(n) == NodeKind::Post)?;
                Some(matching::Demand { holder, openings: p.openings as f32 })
            })
            .collect();
        let mut skipped = Vec::new();
        let supply_from = if graduates.is_some() { "request" } else { "cohorts" };
        let supply: Vec<matching::Supply> = match graduates {
            Some(list) => {
                let learners = load_learners(&state, &principal, &s, &list)?;
                let mut problems = Problems(Vec::new());
                let supply = list
                    .iter()
                    .zip(&learners)
                    .enumerate()
                    .map(|(i, (g, learner))| matching::Supply {
                        abilities: abilities(&s, &index, g, learner, &format!("graduates[{i}]"), &mut problems),
                        graduates: 1.0,
                    })
                    .collect();
                problems.finish()?;
                supply
            }
            None => market
                .cohorts
                .iter()
                .filter(|c| region_ok(&c.region))
                .filter(|c| filter.institution.as_ref().is_none_or(|want| c.institution.as_ref() == Some(want)))
                .filter(|c| filter.year.is_none_or(|want| c.year == Some(want)))
                .filter_map(|c| match s.resolve(&c.programme) {
                    Ok(p) if PROGRAMMES.contains(&s.kind(p)) => Some(matching::Supply {
                        abilities: matching::programme_abilities(&index, p),
                        graduates: c.graduates as f32,
                    }),
                    _ => {
                        skipped.push(c.iri.clone());
                        None
                    }
                })
                .collect(),
        };
        let report = matching::supply_demand(&index, &s, &demand, &supply, &kinds, k);
        let balance: Vec<serde_json::Value> = report
            .balance
            .iter()
            .take(limit)
            .map(|b| {
                serde_json::json!({
                    "competency": named(&s, b.competency),
                    "demand": b.demand,
                    "supply": b.supply,
                    "demand_share": b.demand_share,
                    "supply_share": b.supply_share,
                    "gap": b.gap,
                    "posts": b.posts,
                })
            })
            .collect();
        let closers: Vec<serde_json::Value> = report
            .closers
            .iter()
            .map(|c| {
                serde_json::json!({
                    "programme": named(&s, c.programme),
                    "kind": s.kind(c.programme).as_str(),
                    "cover": c.cover,
                    "hours": c.hours,
                    "cover_per_hour": c.cover_per_hour,
                    "closes": c.closes.iter().map(|&n| named(&s, n)).collect::<Vec<_>>(),
                })
            })
            .collect();
        let short: Vec<&str> =
            report.balance.iter().filter(|b| b.gap > 0.0).take(3).map(|b| s.label(b.competency, Some("zh"))).collect();
        let short_en: Vec<&str> =
            report.balance.iter().filter(|b| b.gap > 0.0).take(3).map(|b| s.label(b.competency, Some("en"))).collect();
        Ok(serde_json::json!({
            "snapshot_version": s.version(),
            "supply_from": supply_from,
            "posts": report.posts,
            "openings": report.openings,
            "graduates": report.graduates,
            "competencies": report.balance.len(),
            "balance": balance,
            "programmes": closers,
            "skipped_cohorts": skipped,
            "summary": {
                "en": format!("{} openings in {} posts against {} graduates; most under-supplied: {}", report.openings, report.posts, report.graduates, short_en.join(", ")),
                "zh": format!("{} 个岗位共 {} 个招聘名额，对应 {} 名毕业生；最紧缺的能力：{}", report.posts, report.openings, report.graduates, short.join("、")),
            },
            "method": {
                "en": "demand: openings asking for a competency (optional requirements count half); supply: graduates holding it, directly or in part through a related competency; gap = share of openings asking for it − share of graduates holding it; a programme's cover is the share of the total gap one of its graduates fills",
                "zh": "需求：要求该能力的招聘名额数（可选要求计一半）；供给：具备该能力的毕业生数（通过相关能力部分具备的按比例计）；缺口 = 要求该能力的名额占比 − 具备该能力的毕业生占比；专业的覆盖度为其一名毕业生可填补的总缺口比例",
            },
        }))
    })
    .await
    .map_err(ApiError::internal)??;
    Ok(Json(result))
}
