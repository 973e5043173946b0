//! Employment matching over HTTP on the bundled employment demo: graduates to posts,
//! occupations to majors, and the programmes that close a gap.

use std::collections::HashMap;

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::fixtures::{demo, enc, get, post_json};

const SOFTWARE_ENGINEERING: &str = "https://w3id.org/tupu/cn-major/080902";
const SOFTWARE_DEVELOPER: &str = "https://w3id.org/tupu/csco/2-02-10-03";
const DATA_SCIENTIST: &str = "https://w3id.org/tupu/csco/2-02-38-03";

fn labels(matches: &Value) -> Vec<String> {
    matches.as_array().unwrap().iter().map(|m| m["target"]["label_en"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn a_software_engineering_graduate_gets_software_posts_first_with_a_breakdown() {
    let body = json!({"graduate": {"major": SOFTWARE_ENGINEERING}, "k": 10});
    let r = post_json(&demo().state, "/api/v1/match/graduate-posts", &body).await.expect(StatusCode::OK);
    let matches = &r["matches"];
    let names = labels(matches);
    assert_eq!(names.len(), 10, "{names:?}");
    // Software developers, testers and analysts, ICT application and blockchain developers.
    let software = |name: &str| name.contains("software") || name.contains("developer");
    assert!(names[..5].iter().all(|n| software(n)), "{names:?}");
    let first = &matches[0];
    assert_eq!(first["target"]["kind"], "post");
    let breakdown = &first["breakdown"];
    assert!(first["score"].as_f64().unwrap() > 0.5, "{first}");
    assert!(!breakdown["matched"].as_array().unwrap().is_empty());
    // The major develops programming at level 5; what is matched meets its required level.
    let matched = breakdown["matched"].as_array().unwrap();
    assert!(matched.iter().all(|i| i["level"].as_u64() >= i["required_level"].as_u64()), "{breakdown}");
    assert!(matched.iter().all(|i| i["competency"]["label_zh"].as_str().is_some_and(|l| !l.is_empty())));
    assert_eq!(breakdown["essential_met"], breakdown["essential_total"], "{breakdown}");
    assert!(breakdown["summary"]["zh"].as_str().is_some_and(|s| !s.is_empty()));
    // Scores are sorted.
    let scores: Vec<f64> = matches.as_array().unwrap().iter().map(|m| m["score"].as_f64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
}

#[tokio::test]
async fn a_software_occupation_lists_computing_majors_first() {
    let uri = format!("/api/v1/occupations/{}/majors?k=5", enc(SOFTWARE_DEVELOPER));
    let r = get(&demo().state, &uri).await.expect(StatusCode::OK);
    let codes: Vec<&str> =
        r["matches"].as_array().unwrap().iter().map(|m| m["target"]["id"].as_str().unwrap()).collect();
    assert_eq!(codes.len(), 5, "{r}");
    // 0809 is the computer class (计算机类) of the undergraduate catalogue; 5102 its vocational peer.
    assert!(codes[..3].iter().all(|c| c.starts_with("0809") || c.starts_with("5102")), "{codes:?}");
    assert!(codes.contains(&"080902"), "{codes:?}");
}

#[tokio::test]
async fn related_occupations_are_ranked_by_what_they_require_and_explained() {
    let uri = format!("/api/v1/occupations/{}/related?k=5", enc(SOFTWARE_DEVELOPER));
    let r = get(&demo().state, &uri).await.expect(StatusCode::OK);
    let related = r["related"].as_array().unwrap();
    assert_eq!(related.len(), 5, "{r}");
    let first = &related[0];
    assert_ne!(first["occupation"]["id"], r["occupation"]["id"]);
    assert!(first["shared_count"].as_u64() > Some(0), "{first}");
    assert!(first["shared"][0]["contribution"].as_f64() > Some(0.0), "{first}");
    assert!(first["summary"]["en"].as_str().unwrap().contains("shared requirements"), "{first}");
    assert!(first["summary"]["zh"].as_str().unwrap().contains("共同要求"), "{first}");
    assert!(r["method"]["zh"].as_str().is_some_and(|m| !m.is_empty()));
    let scores: Vec<f64> = related.iter().map(|m| m["score"].as_f64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    // Not an occupation: a located error.
    let uri = format!("/api/v1/occupations/{}/related", enc(SOFTWARE_ENGINEERING));
    let e = get(&demo().state, &uri).await.expect(StatusCode::BAD_REQUEST);
    assert!(e["error"]["message"].as_str().unwrap().contains("not a"), "{e}");
}

#[tokio::test]
async fn the_gap_to_an_occupation_names_the_micro_majors_that_close_it() {
    let body = json!({"graduate": {"major": SOFTWARE_ENGINEERING}, "target": DATA_SCIENTIST, "k": 5});
    let r = post_json(&demo().state, "/api/v1/gap", &body).await.expect(StatusCode::OK);
    assert!(!r["current"]["missing"].as_array().unwrap().is_empty(), "{r}");
    let options = r["options"].as_array().unwrap();
    assert!(!options.is_empty(), "{r}");
    let first = &options[0];
    assert_eq!(first["programme"]["kind"], "micro_major", "{r}");
    assert!(first["gain"].as_f64().unwrap() > 0.0);
    // What an option closes is among the missing or partly met requirements.
    let current = &r["current"];
    let open: Vec<&str> = ["missing", "partial"]
        .iter()
        .flat_map(|part| current[part].as_array().unwrap())
        .map(|i| i["competency"]["iri"].as_str().unwrap())
        .collect();
    let closes = first["closes"].as_array().unwrap();
    assert!(!closes.is_empty());
    assert!(closes.iter().all(|c| open.contains(&c["iri"].as_str().unwrap())), "{r}");
    // Data analysis, which a software engineering major lacks, is closed by the first option.
    assert!(closes.iter().any(|c| c["id"] == "data-analysis"), "{r}");
}

#[tokio::test]
async fn a_gap_to_an_unknown_occupation_is_a_located_error() {
    let body = json!({"graduate": {"major": SOFTWARE_ENGINEERING}, "target": "csco/9-99-99-99"});
    let r = post_json(&demo().state, "/api/v1/gap", &body).await;
    let e = r.expect_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    assert_eq!(e["error"]["details"][0]["location"]["field"], "target");
    assert!(e["error"]["details"][0]["message"].as_str().unwrap().contains("9-99-99-99"));
}

async fn sparql_number(query: &str) -> f64 {
    let r = crate::fixtures::send(
        &demo().state,
        "GET",
        &format!("/sparql?query={}", enc(query)),
        &[("accept", "application/sparql-results+json")],
        axum::body::Body::empty(),
    )
    .await
    .expect(StatusCode::OK);
    r["results"]["bindings"][0]["n"]["value"].as_str().unwrap().parse().unwrap()
}

const PREFIXES: &str = "PREFIX tupu: <https://w3id.org/tupu/ns#> PREFIX schema: <https://schema.org/>";

#[tokio::test]
async fn the_supply_demand_report_ranks_under_supplied_competencies_and_the_programmes_that_close_them() {
    let r = get(&demo().state, "/api/v1/reports/supply-demand?limit=1000&k=5").await.expect(StatusCode::OK);
    // Demand: every post of the demo with its openings, counted independently through SPARQL.
    let openings = sparql_number(&format!(
        "{PREFIXES} SELECT (SUM(?o) AS ?n) WHERE {{ ?p a tupu:Post ; schema:totalJobPlaces ?o }}"
    ))
    .await;
    assert_eq!(r["posts"], 120, "{r}");
    assert_eq!(r["openings"].as_f64().unwrap(), openings);
    // Supply: the graduate cohorts of the demo.
    let graduates = sparql_number(&format!(
        "{PREFIXES} SELECT (SUM(?g) AS ?n) WHERE {{ ?c a tupu:GraduateCohort ; tupu:graduateCount ?g }}"
    ))
    .await;
    assert!(graduates > 0.0);
    assert_eq!(r["graduates"].as_f64().unwrap(), graduates);
    assert_eq!(r["supply_from"], "cohorts");
    // Shares and gaps are consistent, and the list is sorted by gap.
    let balance = r["balance"].as_array().unwrap();
    assert_eq!(balance.len() as u64, r["competencies"].as_u64().unwrap());
    for b in balance {
        let (d, s) = (b["demand"].as_f64().unwrap(), b["supply"].as_f64().unwrap());
        assert!((b["demand_share"].as_f64().unwrap() - d / openings).abs() < 1e-4, "{b}");
        assert!((b["supply_share"].as_f64().unwrap() - s / graduates).abs() < 1e-4, "{b}");
        let gap = b["demand_share"].as_f64().unwrap() - b["supply_share"].as_f64().unwrap();
        assert!((b["gap"].as_f64().unwrap() - gap).abs() < 1e-4, "{b}");
    }
    let gaps: Vec<f64> = balance.iter().map(|b| b["gap"].as_f64().unwrap()).collect();
    assert!(gaps.windows(2).all(|w| w[0] >= w[1]), "{gaps:?}");
    assert!(gaps[0] > 0.0, "nothing is under-supplied: {r}");
    // The demand of the most under-supplied competency, recounted: openings of the posts that
    // require it, optional requirements at half weight.
    let top = balance[0]["competency"]["iri"].as_str().unwrap();
    let essential = sparql_number(&format!(
        "{PREFIXES} SELECT (SUM(?o) AS ?n) WHERE {{ ?p a tupu:Post ; schema:totalJobPlaces ?o ; tupu:qualifiedRequirement ?q . ?q tupu:competency <{top}> ; tupu:essential true }}"
    ))
    .await;
    let optional = sparql_number(&format!(
        "{PREFIXES} SELECT (COALESCE(SUM(?o), 0) AS ?n) WHERE {{ ?p a tupu:Post ; schema:totalJobPlaces ?o ; tupu:qualifiedRequirement ?q . ?q tupu:competency <{top}> ; tupu:essential false }}"
    ))
    .await;
    assert!((balance[0]["demand"].as_f64().unwrap() - (essential + 0.5 * optional)).abs() < 1e-3, "{}", balance[0]);
    // Majors and micro-majors that close the gap, each naming under-supplied competencies.
    let programmes = r["programmes"].as_array().unwrap();
    let short: Vec<&str> = balance
        .iter()
        .filter(|b| b["gap"].as_f64().unwrap() > 0.0)
        .map(|b| b["competency"]["iri"].as_str().unwrap())
        .collect();
    for kind in ["major", "micro_major"] {
        let of_kind: Vec<&Value> = programmes.iter().filter(|p| p["kind"] == kind).collect();
        assert!(!of_kind.is_empty() && of_kind.len() <= 5, "{kind}: {r}");
        let covers: Vec<f64> = of_kind.iter().map(|p| p["cover"].as_f64().unwrap()).collect();
        assert!(covers.windows(2).all(|w| w[0] >= w[1]) && covers[0] > 0.0 && covers[0] <= 1.0, "{covers:?}");
        for p in of_kind {
            let closes = p["closes"].as_array().unwrap();
            assert!(!closes.is_empty());
            assert!(closes.iter().all(|c| short.contains(&c["iri"].as_str().unwrap())), "{p}");
        }
    }
    assert!(r["summary"]["zh"].as_str().unwrap().contains("最紧缺"));
}

#[tokio::test]
async fn the_supply_demand_report_filters_by_region_and_period() {
    let all = get(&demo().state, "/api/v1/reports/supply-demand").await.expect(StatusCode::OK);
    let uri = format!("/api/v1/reports/supply-demand?region={}", enc("上海"));
    let shanghai = get(&demo().state, &uri).await.expect(StatusCode::OK);
    let openings = sparql_number(&format!(
        "{PREFIXES} SELECT (SUM(?o) AS ?n) WHERE {{ ?p a tupu:Post ; schema:totalJobPlaces ?o ; schema:addressRegion \"上海\" }}"
    ))
    .await;
    assert_eq!(shanghai["openings"].as_f64().unwrap(), openings);
    let graduates = sparql_number(&format!(
        "{PREFIXES} SELECT (SUM(?g) AS ?n) WHERE {{ ?c a tupu:GraduateCohort ; tupu:graduateCount ?g ; schema:addressRegion \"上海\" }}"
    ))
    .await;
    assert_eq!(shanghai["graduates"].as_f64().unwrap(), graduates);
    assert!(shanghai["posts"].as_u64().unwrap() < all["posts"].as_u64().unwrap());
    // The first quarter's posts only.
    let q1 =
        get(&demo().state, "/api/v1/reports/supply-demand?from=2026-01-01&to=2026-03-31").await.expect(StatusCode::OK);
    let posts = sparql_number(&format!(
        "{PREFIXES} SELECT (COUNT(?p) AS ?n) WHERE {{ ?p a tupu:Post ; schema:datePosted ?d FILTER(STR(?d) >= \"2026-01-01\" && STR(?d) <= \"2026-03-31\") }}"
    ))
    .await;
    assert_eq!(q1["posts"].as_f64().unwrap(), posts);
    assert!(posts > 0.0 && posts < 120.0);
}

#[tokio::test]
async fn the_supply_demand_report_takes_graduates_from_the_request() {
    let body = json!({"graduates": [{"major": SOFTWARE_ENGINEERING}, {"major": SOFTWARE_ENGINEERING}], "limit": 1000});
    let r = post_json(&demo().state, "/api/v1/reports/supply-demand", &body).await.expect(StatusCode::OK);
    assert_eq!(r["supply_from"], "request");
    assert_eq!(r["graduates"], 2.0);
    // Programming, which the major develops, is held by both.
    let programming = r["balance"].as_array().unwrap().iter().find(|b| b["competency"]["id"] == "programming").unwrap();
    assert_eq!(programming["supply_share"], 1.0, "{programming}");
}

#[tokio::test]
async fn a_bad_supply_demand_request_is_a_located_error() {
    let s = &demo().state;
    get(s, "/api/v1/reports/supply-demand?from=2026-13-01")
        .await
        .expect_error(StatusCode::BAD_REQUEST, "invalid_parameter");
    get(s, "/api/v1/reports/supply-demand?kinds=post").await.expect_error(StatusCode::BAD_REQUEST, "invalid_parameter");
    get(s, "/api/v1/reports/supply-demand?k=0").await.expect_error(StatusCode::BAD_REQUEST, "invalid_parameter");
    get(s, "/api/v1/reports/supply-demand?colour=red").await.expect(StatusCode::BAD_REQUEST);
    let body = json!({"graduates": [{"competencies": [{"id": "no-such-competency"}]}]});
    let r = post_json(s, "/api/v1/reports/supply-demand", &body)
        .await
        .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    assert!(r.to_string().contains("graduates[0].competencies[0].id"), "{r}");
}

#[tokio::test]
async fn the_employment_template_imports_and_its_posts_and_cohorts_count_in_the_report() {
    let fixture = crate::fixtures::Fixture::new(true, tupu_api::ServerConfig::default());
    let s = &fixture.state;
    let before = get(s, "/api/v1/reports/supply-demand").await.expect(StatusCode::OK);
    let template = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ingest/templates/employment.jsonl");
    let graph = tupu_graph::graph_iri("employment").unwrap();
    let report = tupu_ingest::import_employment(&s.graph, &template, &graph, false).unwrap();
    assert!(report.commit.added > 20, "{report:?}");
    let after = get(s, "/api/v1/reports/supply-demand").await.expect(StatusCode::OK);
    // The template's post (3 openings) and cohort (320 graduates) are counted.
    assert_eq!(after["posts"].as_u64().unwrap(), before["posts"].as_u64().unwrap() + 1);
    assert_eq!(after["openings"].as_f64().unwrap(), before["openings"].as_f64().unwrap() + 3.0);
    assert_eq!(after["graduates"].as_f64().unwrap(), before["graduates"].as_f64().unwrap() + 320.0);
    // The new micro-major is a programme the matcher knows, with its hours of study.
    let r = get(s, &format!("/api/v1/nodes/{}", enc("https://w3id.org/tupu/employment/cloud-native")))
        .await
        .expect(StatusCode::OK);
    assert_eq!(r["kind"], "micro_major", "{r}");
    let body = json!({"graduate": {"major": SOFTWARE_ENGINEERING}, "target": "https://w3id.org/tupu/employment/post-2026-0001", "k": 20});
    let gap = post_json(s, "/api/v1/gap", &body).await.expect(StatusCode::OK);
    let options: Vec<&str> =
        gap["options"].as_array().unwrap().iter().map(|o| o["programme"]["id"].as_str().unwrap()).collect();
    assert!(options.contains(&"cloud-native"), "{gap}");
}

#[tokio::test]
async fn a_bad_employment_file_names_every_fault_and_imports_nothing() {
    let fixture = crate::fixtures::Fixture::new(true, tupu_api::ServerConfig::default());
    let s = &fixture.state;
    let version = s.graph.version();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.jsonl");
    let lines = [
        r#"{"type": "major", "id": "080902", "develops": [{"competency": "programming", "level": 9}]}"#,
        r#"{"type": "post", "id": "p1", "label_zh": "岗位", "requires": [{"competency": "no-such-skill"}], "date": "2026-13-01"}"#,
        r#"{"type": "post", "id": "p1", "label_zh": "重复", "occupation": "2-02-10-03"}"#,
        r#"{"type": "cohort", "programme": "programming", "graduates": -5}"#,
        r#"{"type": "robot", "id": "r"}"#,
        r#"{"type": "course", "id": "c", "label_en": "C", "openings": 3, "develops": [{"competency": "sql", "weight": 1.5}]}"#,
        r#"not json"#,
    ];
    std::fs::write(&file, lines.join("\n")).unwrap();
    let graph = tupu_graph::graph_iri("employment").unwrap();
    let error = tupu_ingest::import_employment(&s.graph, &file, &graph, false).unwrap_err();
    let found: Vec<(u64, String)> = error
        .diagnostics()
        .iter()
        .map(|d| {
            let at = d.location.as_ref().unwrap();
            (at.line.unwrap(), at.field.clone().unwrap())
        })
        .collect();
    for expected in [
        (1, "develops[0].level"),
        (2, "requires[0].competency"),
        (2, "date"),
        (3, "id"),
        (4, "programme"),
        (4, "graduates"),
        (5, "type"),
        (6, "openings"),
        (6, "develops[0].weight"),
        (7, "(line)"),
    ] {
        assert!(found.iter().any(|(l, f)| *l == expected.0 && f == expected.1), "{expected:?} not in {found:?}");
    }
    assert_eq!(s.graph.version(), version, "nothing is committed");
}

#[tokio::test]
async fn an_employment_file_may_not_restate_what_a_node_already_has() {
    let fixture = crate::fixtures::Fixture::new(true, tupu_api::ServerConfig::default());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("again.jsonl");
    std::fs::write(
        &file,
        r#"{"type": "major", "id": "080902", "develops": [{"competency": "programming", "level": 3}]}"#,
    )
    .unwrap();
    let graph = tupu_graph::graph_iri("employment").unwrap();
    let error = tupu_ingest::import_employment(&fixture.state.graph, &file, &graph, false).unwrap_err();
    let d = &error.diagnostics()[0];
    assert_eq!(d.location.as_ref().unwrap().field.as_deref(), Some("develops[0].competency"), "{d:?}");
    assert!(d.message.contains("already develops"), "{d:?}");
}

/// A post asking for two competencies of the demo's mathematics curriculum, which knowledge
/// points support: sorting by one or more criteria (two points, neither with prerequisites)
/// and recognising plane shapes (four points).
const SORTING: &str = "cs.sp.s1.02";
const SHAPES: &str = "cs.gg.s1.01";
const SORTING_POINTS: [&str; 2] = ["kp.sp.分类与整理.single_standard", "kp.sp.分类与整理.multi_standard"];
const A_SHAPES_POINT: &str = "kp.gg.平面图形的初步认识.from_solid_face";
const TUTOR: &str = "https://example.org/post/maths-tutor";

/// Four answers on each node, all right or all wrong.
async fn answers(s: &tupu_api::AppState, learner: &str, nodes: &[&str], correct: bool) {
    let events: Vec<Value> =
        nodes.iter().flat_map(|n| (0..4).map(move |_| json!({"node": n, "correct": correct}))).collect();
    post_json(s, &format!("/api/v1/learners/{learner}/events"), &json!(events)).await.expect(StatusCode::OK);
}

/// The breakdown of `post` among a graduate's matches (`None`: not among them).
fn breakdown_of<'a>(r: &'a Value, post: &str) -> Option<&'a Value> {
    r["matches"].as_array().unwrap().iter().find(|m| m["target"]["iri"] == post).map(|m| &m["breakdown"])
}

/// The credited requirements of a breakdown: competency id → (credit, evidence source).
fn credited(breakdown: &Value) -> HashMap<String, (f64, String)> {
    ["matched", "partial"]
        .iter()
        .flat_map(|part| breakdown[part].as_array().unwrap())
        .map(|i| {
            let source = i["source"]["kind"].as_str().unwrap_or("").to_owned();
            (i["competency"]["id"].as_str().unwrap().to_owned(), (i["credit"].as_f64().unwrap(), source))
        })
        .collect()
}

#[tokio::test]
async fn a_learner_is_matched_by_the_mastery_of_the_points_that_support_each_competency() {
    let secret = tupu_api::privacy::LearnerSecret::new([3; 32]);
    let config = tupu_api::ServerConfig { learner_secret: Some(secret.clone()), ..tupu_api::ServerConfig::default() };
    let fixture = crate::fixtures::Fixture::new(true, config);
    let s = &fixture.state;
    let update = format!(
        "PREFIX tupu: <https://w3id.org/tupu/ns#> PREFIX cb: <https://w3id.org/tupu/chalkbase/> \
         INSERT DATA {{ GRAPH <https://w3id.org/tupu/graph/tutors> {{ <{TUTOR}> a tupu:Post ; \
         <http://www.w3.org/2004/02/skos/core#prefLabel> \"maths tutor\"@en ; \
         tupu:requiresCompetency cb:{SORTING} , cb:{SHAPES} }} }}"
    );
    crate::fixtures::send(s, "POST", "/sparql", &[("content-type", "application/sparql-update")], update)
        .await
        .expect(StatusCode::OK);
    // Ana masters both sorting points and one of the four shapes points; Bo gets them all
    // wrong; Carol practised only something that supports neither competency.
    answers(s, "ana", &[SORTING_POINTS[0], SORTING_POINTS[1], A_SHAPES_POINT], true).await;
    answers(s, "bo", &[SORTING_POINTS[0], SORTING_POINTS[1], A_SHAPES_POINT], false).await;
    answers(s, "carol", &["kp.na.5以内数的加减法.add"], true).await;
    let matches = |learner: &str| {
        let body = json!({"graduate": {"learner": learner}, "k": 10});
        async move { post_json(s, "/api/v1/match/graduate-posts", &body).await }
    };

    let reply = matches("ana").await;
    let ana = reply.expect(StatusCode::OK);
    assert_eq!(ana["matches"][0]["target"]["iri"], TUTOR, "{ana}");
    let breakdown = breakdown_of(&ana, TUTOR).unwrap();
    let held = credited(breakdown);
    assert_eq!(held.len(), 2, "{breakdown}");
    // Both come from the learner's knowledge points, as the breakdown says in both languages.
    assert!(held.values().all(|(_, source)| source == "knowledge_points"), "{breakdown}");
    let parts = ["partial", "matched"].map(|part| breakdown[part].as_array().unwrap());
    let first = parts.iter().flat_map(|items| items.iter()).next().unwrap();
    assert!(first["source"]["zh"].as_str().is_some_and(|z| z.contains("知识点")), "{breakdown}");
    assert!(breakdown["summary"]["en"].as_str().unwrap().contains("2 credited from the learner's mastery"));
    // Both sorting points mastered: sorting is nearly held; one shapes point of four is not
    // the whole competency.
    let (sorting, shapes) = (held[SORTING].0, held[SHAPES].0);
    assert!(sorting > 0.8, "{breakdown}");
    assert!(shapes > 0.1 && shapes < 0.5 && shapes < sorting, "{breakdown}");
    // Neither the stored pseudonym nor any node of the mastery vector is in the answer.
    assert!(!reply.body.contains(&secret.pseudonym("ana")) && !reply.body.contains("kp."), "{}", reply.body);

    let score = |r: &Value| breakdown_of(r, TUTOR).map_or(0.0, |b| b["score"].as_f64().unwrap());
    let bo = matches("bo").await.expect(StatusCode::OK);
    let carol = matches("carol").await.expect(StatusCode::OK);
    assert!(score(&bo) < score(&ana) / 2.0, "{bo}");
    assert_eq!(score(&carol), 0.0, "{carol}");
    assert!(breakdown_of(&carol, TUTOR).is_none_or(|b| credited(b).is_empty()), "{carol}");

    // Stated evidence and the learner's mastery combine; the stated strength wins for the
    // competency it names.
    let body = json!({"graduate": {"learner": "bo", "competencies": [{"id": SORTING, "strength": 1.0}]}, "k": 10});
    let both = post_json(s, "/api/v1/match/graduate-posts", &body).await.expect(StatusCode::OK);
    let held = credited(breakdown_of(&both, TUTOR).unwrap());
    assert_eq!(held[SORTING], (1.0, "stated".to_owned()), "{both}");
    assert_eq!(held[SHAPES].1, "knowledge_points", "{both}");

    // Posts to graduates ranks the learners by the same evidence.
    let body = json!({"post": TUTOR, "graduates": [{"id": "b", "learner": "bo"}, {"id": "a", "learner": "ana"}]});
    let ranked = post_json(s, "/api/v1/match/post-graduates", &body).await.expect(StatusCode::OK);
    assert_eq!(ranked["matches"][0]["graduate"], "a", "{ranked}");

    // An unknown learner is a located error, which names the id as sent and nothing stored.
    let body = json!({"post": TUTOR, "graduates": [{"learner": "ana"}, {"learner": "nobody"}]});
    let reply = post_json(s, "/api/v1/match/post-graduates", &body).await;
    let e = reply.expect_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    assert_eq!(e["error"]["details"].as_array().unwrap().len(), 1, "{e}");
    assert_eq!(e["error"]["details"][0]["location"]["field"], "graduates[1].learner", "{e}");
    assert!(e["error"]["details"][0]["message"].as_str().unwrap().contains("'nobody'"), "{e}");
    assert!(!reply.body.contains(&secret.pseudonym("nobody")), "{}", reply.body);
    let e = matches("").await.expect_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    assert_eq!(e["error"]["details"][0]["location"]["field"], "graduate.learner", "{e}");
}
