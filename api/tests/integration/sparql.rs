//! The SPARQL 1.1 Protocol endpoint.

use std::time::Duration;

use axum::body::Body;
use axum::http::StatusCode;
use tupu_api::ServerConfig;

use crate::fixtures::{Fixture, demo, enc, send};

const COUNT: &str = "PREFIX tupu: <https://w3id.org/tupu/ns#> SELECT (COUNT(*) AS ?n) WHERE { ?a tupu:requires ?b }";

#[tokio::test]
async fn query_by_get_and_both_posts() {
    let state = &demo().state;
    let get = send(state, "GET", &format!("/sparql?query={}", enc(COUNT)), &[], Body::empty()).await;
    let form = send(
        state,
        "POST",
        "/sparql",
        &[("content-type", "application/x-www-form-urlencoded")],
        format!("query={}", enc(COUNT)),
    )
    .await;
    let direct = send(state, "POST", "/sparql", &[("content-type", "application/sparql-query")], COUNT).await;
    for reply in [get, form, direct] {
        let json = reply.expect(StatusCode::OK);
        assert_eq!(reply.content_type, "application/sparql-results+json");
        assert_eq!(json["results"]["bindings"][0]["n"]["value"], "3751");
    }
}

#[tokio::test]
async fn results_are_negotiated_by_accept() {
    let state = &demo().state;
    let uri = format!("/sparql?query={}", enc(COUNT));
    for (accept, media, needle) in [
        (
            "application/sparql-results+xml",
            "application/sparql-results+xml",
            "<literal datatype=\"http://www.w3.org/2001/XMLSchema#integer\">3751</literal>",
        ),
        ("text/csv", "text/csv", "n\r\n3751"),
        ("text/tab-separated-values", "text/tab-separated-values", "?n\n3751"),
        ("text/html;q=0.9, application/sparql-results+json", "application/sparql-results+json", "\"3751\""),
    ] {
        let reply = send(state, "GET", &uri, &[("accept", accept)], Body::empty()).await;
        assert_eq!(reply.status, StatusCode::OK, "{accept}: {}", reply.body);
        assert!(reply.content_type.starts_with(media), "{accept} gave {}", reply.content_type);
        assert!(reply.body.contains(needle), "{accept}: {}", reply.body);
    }
    let construct = "PREFIX tupu: <https://w3id.org/tupu/ns#> CONSTRUCT { ?a tupu:requires ?b } WHERE { ?a tupu:requires ?b } LIMIT 3";
    let turtle =
        send(state, "GET", &format!("/sparql?query={}", enc(construct)), &[("accept", "text/turtle")], Body::empty())
            .await;
    assert_eq!(turtle.status, StatusCode::OK);
    assert!(turtle.content_type.starts_with("text/turtle"));
    assert_eq!(turtle.body.matches("<https://w3id.org/tupu/ns#requires>").count(), 3, "{}", turtle.body);
    send(state, "GET", &uri, &[("accept", "image/png")], Body::empty())
        .await
        .expect_error(StatusCode::NOT_ACCEPTABLE, "not_acceptable");
}

#[tokio::test]
async fn default_graph_uri_narrows_the_dataset() {
    let state = &demo().state;
    let q = "SELECT (COUNT(*) AS ?n) WHERE { ?s a <https://w3id.org/tupu/ns#KnowledgePoint> }";
    let vocab = send(
        state,
        "GET",
        &format!("/sparql?query={}&default-graph-uri={}", enc(q), enc("https://w3id.org/tupu/graph/tupu")),
        &[],
        Body::empty(),
    )
    .await;
    assert_eq!(vocab.expect(StatusCode::OK)["results"]["bindings"][0]["n"]["value"], "0");
    let demo_graph = send(
        state,
        "GET",
        &format!("/sparql?query={}&default-graph-uri={}", enc(q), enc("https://w3id.org/tupu/graph/chalkbase")),
        &[],
        Body::empty(),
    )
    .await;
    assert_eq!(demo_graph.expect(StatusCode::OK)["results"]["bindings"][0]["n"]["value"], "433");
}

#[tokio::test]
async fn bad_requests_have_stable_codes() {
    let state = &demo().state;
    send(state, "GET", "/sparql?query=SELEKT", &[], Body::empty())
        .await
        .expect_error(StatusCode::BAD_REQUEST, "query_syntax");
    send(state, "GET", "/sparql", &[], Body::empty()).await.expect_error(StatusCode::BAD_REQUEST, "missing_query");
    send(state, "POST", "/sparql", &[("content-type", "text/plain")], COUNT)
        .await
        .expect_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    send(state, "GET", "/sparql?update=CLEAR%20ALL", &[], Body::empty())
        .await
        .expect_error(StatusCode::BAD_REQUEST, "update_needs_post");
}

#[tokio::test]
async fn a_slow_query_is_cancelled_at_the_timeout() {
    let fixture =
        Fixture::new(true, ServerConfig { query_timeout: Duration::from_millis(50), ..ServerConfig::default() });
    // A cross product of the demo graph with itself, three times: far longer than 50 ms.
    let q = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?b . ?c ?q ?d . ?e ?r ?f }";
    let reply = send(&fixture.state, "GET", &format!("/sparql?query={}", enc(q)), &[], Body::empty()).await;
    let body = reply.expect_error(StatusCode::SERVICE_UNAVAILABLE, "query_timeout");
    assert!(body["error"]["message"].as_str().unwrap().contains("50 ms"));
}

#[tokio::test]
async fn updates_are_validated_commits() {
    let fixture = Fixture::new(true, ServerConfig::default());
    let state = &fixture.state;
    let count = || async {
        let r = send(state, "GET", &format!("/sparql?query={}", enc(COUNT)), &[], Body::empty()).await;
        r.expect(StatusCode::OK)["results"]["bindings"][0]["n"]["value"].as_str().unwrap().to_owned()
    };
    // A prerequisite that closes a cycle is refused with the cycle named.
    let cycle = "PREFIX tupu: <https://w3id.org/tupu/ns#> PREFIX cb: <https://w3id.org/tupu/chalkbase/> \
        INSERT DATA { GRAPH <https://w3id.org/tupu/graph/chalkbase> { <https://w3id.org/tupu/chalkbase/kp.gg.三角形.angle_sum> tupu:requires <https://w3id.org/tupu/chalkbase/kp.gg.四边形.angle_sum> } }";
    let body = send(state, "POST", "/sparql", &[("content-type", "application/sparql-update")], cycle)
        .await
        .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(body["error"]["details"][0]["code"], "prerequisite_cycle");
    assert!(body["error"]["details"][0]["cycle"].as_array().unwrap().len() >= 3);
    assert_eq!(count().await, "3751");
    // A valid edit.
    let edit = "PREFIX tupu: <https://w3id.org/tupu/ns#> PREFIX cb: <https://w3id.org/tupu/chalkbase/> \
        DELETE DATA { GRAPH <https://w3id.org/tupu/graph/chalkbase> { <https://w3id.org/tupu/chalkbase/kp.gg.四边形.angle_sum> tupu:requires <https://w3id.org/tupu/chalkbase/kp.gg.三角形.angle_sum> } }";
    let report = send(state, "POST", "/sparql", &[("content-type", "application/sparql-update")], edit)
        .await
        .expect(StatusCode::OK);
    assert_eq!(report["removed"], 1);
    assert_eq!(count().await, "3750");
    let stats = crate::fixtures::get(state, "/api/v1/graph/stats").await.expect(StatusCode::OK);
    assert_eq!(stats["edges"]["requires"], 3750);
    assert_eq!(stats["version"], report["version"]);

    let read_only = Fixture::new(false, ServerConfig { allow_updates: false, ..ServerConfig::default() });
    send(&read_only.state, "POST", "/sparql", &[("content-type", "application/sparql-update")], "CLEAR ALL")
        .await
        .expect_error(StatusCode::BAD_REQUEST, "read_only");
}
