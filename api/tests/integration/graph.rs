//! `/health`, `/api/v1/graph/stats` and `/api/v1/nodes/...` on the demo graph.

use axum::http::StatusCode;
use serde_json::Value;

use crate::fixtures::{demo, enc, get, ids, send};

#[tokio::test]
async fn stats_count_the_whole_demo_curriculum() {
    let s = get(&demo().state, "/api/v1/graph/stats").await.expect(StatusCode::OK);
    assert_eq!(s["nodes"]["knowledge_point"], 433);
    assert_eq!(s["edges"]["requires"], 3751);
    assert_eq!(s["nodes"]["resource"], 567);
    // ChalkBase's 133 competencies and the employment demo's 142.
    assert_eq!(s["nodes"]["competency"], 133 + 142);
    assert_eq!(s["nodes"]["post"], 120);
    assert_eq!(s["edges"]["builds_on"], 1851);
    assert_eq!(s["edges"]["extends"], 282);
    assert!(s["version"].as_u64().unwrap() >= 1);
    assert!(s["graphs"].as_array().unwrap().iter().any(|g| g == "https://w3id.org/tupu/graph/chalkbase"));
    assert!(s["graphs"].as_array().unwrap().iter().any(|g| g == "https://w3id.org/tupu/graph/employment-demo"));
}

#[tokio::test]
async fn health_answers() {
    let h = get(&demo().state, "/health").await.expect(StatusCode::OK);
    assert_eq!(h["status"], "ok");
}

#[tokio::test]
async fn a_node_has_labels_kind_attributes_and_typed_neighbours() {
    let id = "kp.gg.三角形.angle_sum";
    let by_local = get(&demo().state, &format!("/api/v1/nodes/{}", enc(id))).await.expect(StatusCode::OK);
    let iri = format!("https://w3id.org/tupu/chalkbase/{id}");
    let by_iri = get(&demo().state, &format!("/api/v1/nodes/{}", enc(&iri))).await.expect(StatusCode::OK);
    assert_eq!(by_local, by_iri);
    assert_eq!(by_local["iri"], iri.as_str());
    assert_eq!(by_local["kind"], "knowledge_point");
    assert_eq!(by_local["label"], "三角形内角和");
    assert_eq!(by_local["attributes"]["grade"], 4);
    // The quadrilateral angle sum requires this point.
    let dependents = ids(&by_local["incoming"]["requires"]);
    assert!(dependents.contains(&"kp.gg.四边形.angle_sum".to_owned()), "{dependents:?}");
    assert!(by_local["incoming"]["teaches"].as_array().is_some_and(|l| !l.is_empty()));
}

#[tokio::test]
async fn unknown_and_ambiguous_ids_are_json_errors() {
    get(&demo().state, "/api/v1/nodes/no-such-node").await.expect_error(StatusCode::NOT_FOUND, "node_not_found");
    get(&demo().state, "/api/v1/nodes/no-such-node/prerequisites")
        .await
        .expect_error(StatusCode::NOT_FOUND, "node_not_found");
}

async fn sparql_closure(id: &str) -> Vec<String> {
    let query = format!(
        "PREFIX tupu: <https://w3id.org/tupu/ns#> SELECT DISTINCT ?p WHERE {{ <https://w3id.org/tupu/chalkbase/{id}> tupu:requires+ ?p }}"
    );
    let reply = send(
        &demo().state,
        "GET",
        &format!("/sparql?query={}", enc(&query)),
        &[("accept", "application/sparql-results+json")],
        axum::body::Body::empty(),
    )
    .await;
    let json = reply.expect(StatusCode::OK);
    let mut out: Vec<String> = json["results"]["bindings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["p"]["value"].as_str().unwrap().rsplit('/').next().unwrap().to_owned())
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn transitive_prerequisites_match_sparql_for_every_knowledge_point() {
    let all = send(
        &demo().state,
        "POST",
        "/sparql",
        &[("content-type", "application/sparql-query")],
        "PREFIX tupu: <https://w3id.org/tupu/ns#> SELECT ?k WHERE { ?k a tupu:KnowledgePoint } ORDER BY ?k",
    )
    .await
    .expect(StatusCode::OK);
    let kps: Vec<String> = all["results"]["bindings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["k"]["value"].as_str().unwrap().rsplit('/').next().unwrap().to_owned())
        .collect();
    assert_eq!(kps.len(), 433);
    let mut deepest = 0;
    for id in &kps {
        let api = get(&demo().state, &format!("/api/v1/nodes/{}/prerequisites?transitive=true", enc(id)))
            .await
            .expect(StatusCode::OK);
        let from_api = ids(&api["prerequisites"]);
        assert_eq!(api["count"].as_u64().unwrap() as usize, from_api.len());
        assert_eq!(from_api, sparql_closure(id).await, "closure of {id}");
        deepest = deepest.max(from_api.len());
    }
    assert!(deepest > 50, "the demo has deep closures; deepest seen {deepest}");
}

#[tokio::test]
async fn direct_prerequisites_are_a_subset_of_the_closure() {
    let id = enc("kp.gg.四边形.angle_sum");
    let direct: Value = get(&demo().state, &format!("/api/v1/nodes/{id}/prerequisites")).await.expect(StatusCode::OK);
    let all: Value =
        get(&demo().state, &format!("/api/v1/nodes/{id}/prerequisites?transitive=true")).await.expect(StatusCode::OK);
    let (d, a) = (ids(&direct["prerequisites"]), ids(&all["prerequisites"]));
    assert!(!d.is_empty() && d.len() < a.len());
    assert!(d.iter().all(|x| a.contains(x)));
    assert_eq!(direct["transitive"], false);
}
