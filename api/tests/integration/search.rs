//! Search, type-ahead and linking over the demo graph, resources imported from the templates,
//! a commit seen by search, and bad input.

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use serde_json::{Value, json};
use tupu_api::{AppState, ServerConfig, open_graph, open_learners};
use tupu_graph::search::SearchIndex;
use tupu_recommend::RecommendConfig;

use crate::fixtures::{demo, enc, get, post_json};

fn labels(hits: &Value) -> Vec<String> {
    hits.as_array().unwrap().iter().map(|h| h["label"].as_str().unwrap().to_owned()).collect()
}

async fn search(state: &AppState, query: &str) -> Value {
    get(state, &format!("/api/v1/search?{query}")).await.expect(StatusCode::OK)
}

#[tokio::test(flavor = "multi_thread")]
async fn chinese_queries_find_lessons_with_their_knowledge_points() {
    let state = &demo().state;
    for (q, wanted) in [("分数加减法", "分数加减法"), ("三角形面积", "三角形的面积"), ("乘法口诀", "乘法口诀")]
    {
        let body = search(state, &format!("q={}&limit=20", enc(q))).await;
        let found = labels(&body["hits"]);
        assert!(found.iter().take(5).any(|l| l.contains(wanted)), "{q}: {found:?}");
        assert!(body["total"].as_u64().unwrap() >= found.len() as u64);
        assert!(body["facets"]["kind"]["resource"].as_u64().unwrap_or(0) > 0, "{q}: {body}");
        assert!(body["hits"][0]["snippet"].as_str().unwrap().contains("<b>"), "{body}");
        // Material on it: lessons, each with the knowledge points it is aligned to, one of
        // them the one asked for.
        let lessons = search(state, &format!("q={}&kind=resource&limit=5", enc(q))).await;
        let hits = lessons["hits"].as_array().unwrap();
        assert!(!hits.is_empty(), "{q}: {lessons}");
        assert!(hits.iter().all(|h| h["kind"] == "resource" && !h["aligned"].as_array().unwrap().is_empty()));
        let aligned_labels = |h: &Value| labels(&h["aligned"]).join(" ");
        assert!(aligned_labels(&hits[0]).contains(&wanted[..wanted.len().min(6)]), "{q}: {lessons}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn filters_narrow_and_facets_count() {
    let state = &demo().state;
    let all = search(state, &format!("q={}", enc("面积"))).await;
    let resources = search(state, &format!("q={}&kind=resource&level=5", enc("面积"))).await;
    assert!(resources["total"].as_u64().unwrap() < all["total"].as_u64().unwrap());
    for hit in resources["hits"].as_array().unwrap() {
        assert_eq!(hit["kind"], "resource");
        assert_eq!(hit["level"], 5);
    }
    assert_eq!(resources["facets"]["kind"].as_object().unwrap().len(), 1);

    // A node's neighbourhood: the resources aligned to the node come first.
    let node = all["hits"].as_array().unwrap().iter().find(|h| h["label"] == "三角形的面积").unwrap();
    let id = node["id"].as_str().unwrap();
    let near = search(state, &format!("q={}&node={}", enc("面积"), enc(id))).await;
    assert!(near["total"].as_u64().unwrap() < all["total"].as_u64().unwrap());
    let first_resource = near["hits"].as_array().unwrap().iter().find(|h| h["kind"] == "resource").unwrap();
    assert!(first_resource["aligned"].as_array().unwrap().iter().any(|a| a["id"] == id), "{first_resource}");

    // A learner's ready points boost; a fresh learner is valid.
    search(state, &format!("q={}&learner=alice", enc("加法"))).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn suggest_completes_labels() {
    let state = &demo().state;
    let body = get(state, &format!("/api/v1/suggest?q={}", enc("三角"))).await.expect(StatusCode::OK);
    let found = labels(&body["suggestions"]);
    assert!(!found.is_empty() && found.iter().all(|l| l.contains("三角")), "{found:?}");
    assert!(body["suggestions"].as_array().unwrap().iter().all(|s| s["kind"] != "resource"));
}

#[tokio::test(flavor = "multi_thread")]
async fn texts_link_to_knowledge_points_one_or_many() {
    let state = &demo().state;
    let text = "一个三角形的底是6厘米，高是4厘米，它的面积是多少平方厘米？";
    let body = post_json(state, "/api/v1/link", &json!({ "text": text, "kinds": ["knowledge_point"] }))
        .await
        .expect(StatusCode::OK);
    let nodes = body["nodes"].as_array().unwrap();
    assert!(nodes.iter().take(3).any(|n| n["label"].as_str().unwrap().contains("三角形")), "{body}");
    assert!(nodes.iter().all(|n| n["kind"] == "knowledge_point"));
    assert!(!nodes[0]["matched"].as_array().unwrap().is_empty());
    let batch = post_json(
        state,
        "/api/v1/link",
        &json!({ "texts": [text, "背诵乘法口诀"], "kind": "knowledge_point", "limit": 2 }),
    )
    .await
    .expect(StatusCode::OK);
    assert_eq!(batch["results"].as_array().unwrap().len(), 2);
    assert!(batch["results"][1]["nodes"].as_array().unwrap().len() <= 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_is_a_clear_4xx() {
    let state = &demo().state;
    let long = "数".repeat(300);
    for (uri, status, code) in [
        ("/api/v1/search?q=".to_owned(), StatusCode::BAD_REQUEST, "empty_query"),
        ("/api/v1/search".to_owned(), StatusCode::BAD_REQUEST, "empty_query"),
        (format!("/api/v1/search?q={}", enc(&long)), StatusCode::BAD_REQUEST, "query_too_long"),
        ("/api/v1/search?q=a&kind=planet".to_owned(), StatusCode::BAD_REQUEST, "unknown_filter_value"),
        ("/api/v1/search?q=a&level=13".to_owned(), StatusCode::BAD_REQUEST, "unknown_filter_value"),
        ("/api/v1/search?q=a&subject=astrology".to_owned(), StatusCode::BAD_REQUEST, "unknown_filter_value"),
        ("/api/v1/search?q=a&type=podcast".to_owned(), StatusCode::BAD_REQUEST, "unknown_filter_value"),
        ("/api/v1/search?q=a&lang=chinese".to_owned(), StatusCode::BAD_REQUEST, "unknown_filter_value"),
        ("/api/v1/search?q=a&limit=1000".to_owned(), StatusCode::BAD_REQUEST, "invalid_parameter"),
        ("/api/v1/search?q=a&colour=red".to_owned(), StatusCode::BAD_REQUEST, "invalid_parameter"),
        ("/api/v1/search?q=a&node=no_such_node".to_owned(), StatusCode::NOT_FOUND, "node_not_found"),
        ("/api/v1/suggest?q=".to_owned(), StatusCode::BAD_REQUEST, "empty_query"),
    ] {
        get(state, &uri).await.expect_error(status, code);
    }
    for (body, code) in [
        (json!({ "text": "" }), "empty_text"),
        (json!({ "text": "a", "texts": ["b"] }), "invalid_body"),
        (json!({ "text": "a", "kinds": ["planet"] }), "unknown_filter_value"),
        (json!({ "text": "a", "limit": 0 }), "invalid_parameter"),
        (json!({ "words": "a" }), "invalid_body"),
    ] {
        post_json(state, "/api/v1/link", &body).await.expect_error(StatusCode::BAD_REQUEST, code);
    }
}

/// A data directory with the demo graph and an index the test can wait on.
fn fresh() -> (AppState, SearchIndex, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let graph = Arc::new(open_graph(dir.path(), true).unwrap());
    let learners = open_learners(dir.path(), RecommendConfig::default()).unwrap();
    let index = tupu_api::open_search(dir.path(), &graph).unwrap();
    assert!(index.wait_for(graph.version(), Duration::from_secs(120)));
    let state = AppState::new(graph, Arc::new(learners), ServerConfig::default()).with_search(index.clone());
    (state, index, dir)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_search_says_when_the_index_is_still_catching_up() {
    // An index that has not read the graph yet, as after an import made while the server was
    // stopped: the search answers from what is indexed, and says so.
    let dir = tempfile::tempdir().unwrap();
    let graph = Arc::new(open_graph(dir.path(), true).unwrap());
    let learners = open_learners(dir.path(), RecommendConfig::default()).unwrap();
    let index = SearchIndex::in_memory().unwrap();
    let state = AppState::new(graph.clone(), Arc::new(learners), ServerConfig::default()).with_search(index.clone());
    let query = format!("q={}", enc("三角形的面积"));
    let behind = search(&state, &query).await;
    assert_eq!(behind["indexing"], true, "{behind}");
    assert_eq!(behind["graph_version"], graph.version());
    assert!(behind["version"].as_u64().unwrap() < graph.version(), "{behind}");
    assert_eq!(behind["total"], 0);
    // Once it follows the graph and has caught up, the same search finds it all.
    index.follow(&graph).unwrap();
    assert!(index.wait_for(graph.version(), Duration::from_secs(120)));
    let caught_up = search(&state, &query).await;
    assert_eq!(caught_up["indexing"], false, "{caught_up}");
    assert_eq!(caught_up["version"], caught_up["graph_version"]);
    assert!(caught_up["total"].as_u64().unwrap() > 0, "{caught_up}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_renamed_node_is_found_under_its_new_name_only() {
    let (state, index, _dir) = fresh();
    let before = search(&state, &format!("q={}&kind=knowledge_point", enc("三角形的面积"))).await;
    let hit = before["hits"].as_array().unwrap().iter().find(|h| h["label"] == "三角形的面积").unwrap().clone();
    let iri = hit["iri"].as_str().unwrap();
    let update = format!(
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\nDELETE {{ GRAPH ?g {{ <{iri}> skos:prefLabel ?l }} }} INSERT {{ GRAPH ?g {{ <{iri}> skos:prefLabel \"三角形面积公式探究\"@zh }} }} WHERE {{ GRAPH ?g {{ <{iri}> skos:prefLabel ?l }} }}"
    );
    let version = state.graph.update(&update, None).unwrap().version;
    assert!(index.wait_for(version, Duration::from_secs(10)));
    let after = search(&state, &format!("q={}&kind=knowledge_point", enc("面积公式探究"))).await;
    assert_eq!(after["hits"][0]["iri"], iri, "{after}");
    let old = search(&state, &format!("q={}&kind=knowledge_point&limit=100", enc("三角形的面积"))).await;
    assert!(old["hits"].as_array().unwrap().iter().all(|h| h["label"] != "三角形的面积"), "{old}");
}

fn template(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ingest/templates").join(name)
}

#[tokio::test(flavor = "multi_thread")]
async fn imported_resources_are_searchable_in_english_with_their_alignments() {
    use tupu_ingest::{ResourceFormat, import_resources};
    let (state, index, dir) = fresh();
    let graph = tupu_graph::graph_iri("resources").unwrap();
    let report =
        import_resources(&state.graph, &template("resources.jsonl"), ResourceFormat::JsonLines, &graph, false).unwrap();
    assert!(index.wait_for(report.commit.version, Duration::from_secs(10)));
    let body = search(&state, "q=adding%20fractions&lang=en").await;
    let hit = &body["hits"][0];
    assert_eq!(hit["id"], "fraction-add-quiz-1", "{body}");
    assert_eq!(hit["resource_type"], "exercise");
    assert_eq!(hit["aligned"][0]["relation"], "assesses");
    assert!((hit["aligned"][0]["confidence"].as_f64().unwrap() - 0.8).abs() < 1e-6);
    let video = search(&state, &format!("q={}&type=video", enc("分数墙"))).await;
    assert_eq!(video["hits"][0]["id"], "fraction-add-video-1", "{video}");

    // A path's step carries them as its materials: lessons (and videos) first, then exercises.
    let goal = "kp.na.分数加减法.addition_and_subtraction_of_fractions_with_like_denominators";
    let path = post_json(&state, "/api/v1/learners/bo/path", &json!({ "goals": [goal] })).await.expect(StatusCode::OK);
    let step = path["steps"].as_array().unwrap().iter().find(|s| s["id"] == goal).unwrap();
    let materials: Vec<&str> =
        step["materials"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
    let quiz = materials.iter().position(|m| *m == "fraction-add-quiz-1").unwrap_or_else(|| panic!("{step}"));
    assert!(quiz >= 1, "{step}");

    // The CSV template says the same; a file with bad rows is refused whole, each row named.
    let quads = state.graph.len().unwrap();
    let csv =
        tupu_ingest::convert_resources(&state.graph, &template("resources.csv"), ResourceFormat::Csv, &graph).unwrap();
    assert!(csv.len() > 10);
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(
        &bad,
        "{\"id\": \"ok-1\", \"title\": \"好\", \"type\": \"video\"}\n{\"id\": \"bad-1\", \"title\": \"坏\", \"level\": 15}\n\n{\"id\": \"bad-2\", \"title\": \"x\", \"teaches\": [\"no_such_point\"]}\n{\"id\": \"bad-3\", \"type\": \"podcast\", \"title\": \"y\"}\n",
    )
    .unwrap();
    let err = import_resources(&state.graph, &bad, ResourceFormat::JsonLines, &graph, false).unwrap_err();
    let places: Vec<(Option<u64>, Option<String>)> = err
        .diagnostics()
        .iter()
        .map(|d| (d.location.as_ref().unwrap().line, d.location.as_ref().unwrap().field.clone()))
        .collect();
    assert_eq!(
        places,
        [
            (Some(2), Some("level".to_owned())),
            (Some(4), Some("teaches".to_owned())),
            (Some(5), Some("type".to_owned()))
        ]
    );
    assert_eq!(state.graph.len().unwrap(), quads);
}
