//! Errors that say where and what to do, and the `lang` fallback.

use axum::body::Body;
use axum::http::StatusCode;
use serde_json::Value;

use crate::cli::{stderr, tupu};
use crate::fixtures::{Fixture, demo, enc, get, send};

async fn select(state: &tupu_api::AppState, query: &str) -> Value {
    send(
        state,
        "GET",
        &format!("/sparql?query={}", enc(query)),
        &[("accept", "application/sparql-results+json")],
        Body::empty(),
    )
    .await
    .expect(StatusCode::OK)
}

fn first(results: &Value, var: &str) -> String {
    results["results"]["bindings"][0][var]["value"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn prefixed_names_with_dots_and_cjk_parse() {
    let state = &demo().state;
    let q = "PREFIX cb: <https://w3id.org/tupu/chalkbase/>\nPREFIX skos: <http://www.w3.org/2004/02/skos/core#>\nSELECT ?l WHERE { cb:kp.gg.三角形.angle_sum skos:prefLabel ?l }";
    assert_eq!(first(&select(state, q).await, "l"), "三角形内角和");
}

#[tokio::test]
async fn from_and_from_named_are_honoured() {
    let state = &demo().state;
    let count = |from: &str| {
        format!("SELECT (COUNT(*) AS ?n) {from} WHERE {{ ?s a <https://w3id.org/tupu/ns#KnowledgePoint> }}")
    };
    assert_eq!(first(&select(state, &count("")).await, "n"), "433");
    assert_eq!(first(&select(state, &count("FROM <https://w3id.org/tupu/graph/chalkbase>")).await, "n"), "433");
    assert_eq!(first(&select(state, &count("FROM <https://w3id.org/tupu/graph/shapes>")).await, "n"), "0");
    // FROM NAMED alone: the default graph is empty, the named graph is reachable by GRAPH.
    let named = "SELECT (COUNT(*) AS ?n) FROM NAMED <https://w3id.org/tupu/graph/chalkbase> WHERE { { ?s a <https://w3id.org/tupu/ns#KnowledgePoint> } UNION { GRAPH ?g { ?t a <https://w3id.org/tupu/ns#KnowledgePoint> } } }";
    assert_eq!(first(&select(state, named).await, "n"), "433");
}

#[tokio::test]
async fn load_is_refused_as_unsupported() {
    let fixture = Fixture::new(false, tupu_api::ServerConfig::default());
    let body = send(
        &fixture.state,
        "POST",
        "/sparql",
        &[("content-type", "application/sparql-update")],
        "LOAD <https://example.org/data.ttl>",
    )
    .await
    .expect_error(StatusCode::BAD_REQUEST, "unsupported_operation");
    assert!(body["error"]["message"].as_str().unwrap().contains("tupu import"));
}

#[tokio::test]
async fn labels_follow_lang_and_fall_back() {
    let state = &demo().state;
    let id = enc("kp.gg.三角形.angle_sum");
    for lang in ["en", "zh", "pt", "zh-Hans"] {
        let node = get(state, &format!("/api/v1/nodes/{id}?lang={lang}")).await.expect(StatusCode::OK);
        assert_eq!(node["label"], "三角形内角和", "lang={lang}");
    }
    get(state, &format!("/api/v1/nodes/{id}?lang=e_x"))
        .await
        .expect_error(StatusCode::BAD_REQUEST, "invalid_parameter");
    // Explanations: Chinese for zh, the English templates for any other language (the demo's
    // labels are Chinese, so both lists read the same).
    let text = |v: &Value| v["items"][0]["explanation"]["text"].as_str().unwrap().to_owned();
    let en = get(state, "/api/v1/learners/lang-a/next?n=2&lang=en").await.expect(StatusCode::OK);
    let pt = get(state, "/api/v1/learners/lang-b/next?n=2&lang=pt").await.expect(StatusCode::OK);
    assert_eq!(text(&pt), text(&en));
    assert!(text(&en).starts_with(|c: char| c.is_ascii_uppercase()), "{}", text(&en));
    let zh = get(state, "/api/v1/learners/lang-c/next?n=2&lang=zh").await.expect(StatusCode::OK);
    assert_ne!(text(&zh), text(&en));
}

#[test]
fn a_second_process_is_told_once_to_stop_the_server_or_use_http() {
    let dir = tempfile::tempdir().unwrap();
    let held = tupu_api::open_graph(dir.path(), false).unwrap();
    let o = tupu(dir.path(), &["query", "ASK {}"]);
    drop(held);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert_eq!(err.matches("in use by another tupu process").count(), 1, "{err}");
    assert!(err.contains("stop it first") && err.contains("HTTP API"), "{err}");
    assert_eq!(err.lines().filter(|l| !l.trim().is_empty()).count(), 1, "{err}");
}

#[test]
fn help_says_what_tupu_is() {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_tupu")).arg("--help").output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("knowledge and competency graphs for education"), "{out}");
    assert!(out.contains("tupu serve"), "{out}");
}
