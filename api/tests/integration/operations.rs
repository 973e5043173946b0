//! The OpenAPI document covers every route; `/metrics` counts requests and commits.

use std::collections::BTreeSet;

use axum::http::StatusCode;

use crate::fixtures::{Fixture, demo, get};

/// Every `(method, path)` that the router's sources declare with `.route("PATH", get(..)...)`.
fn routes_in_source() -> BTreeSet<(String, String)> {
    // Every source file of the crate, wherever a router is built.
    let mut files = Vec::new();
    let mut dirs = vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() { dirs.push(path) } else { files.push(path) }
        }
    }
    let mut out = BTreeSet::new();
    for file in files.iter().filter(|f| f.extension().is_some_and(|e| e == "rs")) {
        let text = std::fs::read_to_string(file).unwrap();
        for part in text.split(".route(\"").skip(1) {
            let (path, rest) = part.split_once('"').unwrap();
            // The method routers of this route: up to the parenthesis that closes `.route(`.
            let mut depth = 1;
            let end = rest
                .char_indices()
                .find(|&(_, c)| {
                    depth += match c {
                        '(' => 1,
                        ')' => -1,
                        _ => 0,
                    };
                    depth == 0
                })
                .map_or(rest.len(), |(i, _)| i);
            let handlers = &rest[..end];
            let mut found = false;
            for method in ["get", "post", "put", "delete", "patch"] {
                let bytes = handlers.as_bytes();
                let called = handlers
                    .match_indices(&format!("{method}("))
                    .any(|(i, _)| i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_'));
                if called {
                    out.insert((method.to_owned(), path.to_owned()));
                    found = true;
                }
            }
            assert!(found, "no method found for the route {path} in {}", file.display());
        }
    }
    out
}

#[tokio::test]
async fn every_route_is_in_the_openapi_document() {
    let doc = get(&demo().state, "/api/v1/openapi.json").await.expect(StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let routes = routes_in_source();
    assert!(routes.len() >= 15, "{routes:?}");
    for (method, path) in &routes {
        let op = &doc["paths"][path][method];
        assert!(op.is_object(), "{} {path} is served but not in the OpenAPI document", method.to_uppercase());
        assert!(op["responses"].as_object().is_some_and(|r| !r.is_empty()), "{method} {path} has no responses");
    }
    // And nothing is documented that is not served.
    let documented: usize =
        doc["paths"].as_object().unwrap().values().map(|item| item.as_object().unwrap().len()).sum();
    assert_eq!(documented, routes.len());
    let page = get(&demo().state, "/api/v1/docs").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.content_type.starts_with("text/html") && page.body.contains("/api/v1/openapi.json"));
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_commits() {
    let fixture = Fixture::new(false, tupu_api::ServerConfig::default());
    let state = &fixture.state;
    get(state, "/health").await;
    get(state, "/api/v1/nodes/nothing-here").await;
    get(state, "/api/v1/nodes/nothing-either").await;
    get(state, "/no/such/route").await;
    let update = "INSERT DATA { GRAPH <https://w3id.org/tupu/graph/m> { <https://example.org/k/a> a <https://w3id.org/tupu/ns#KnowledgePoint> ; <http://www.w3.org/2004/02/skos/core#prefLabel> \"a\"@en } }";
    crate::fixtures::send(state, "POST", "/sparql", &[("content-type", "application/sparql-update")], update)
        .await
        .expect(StatusCode::OK);
    let reply = get(state, "/metrics").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.content_type.starts_with("text/plain"));
    let text = reply.body;
    let value = |line_start: &str| -> f64 {
        let line =
            text.lines().find(|l| l.starts_with(line_start)).unwrap_or_else(|| panic!("{line_start} in\n{text}"));
        line.rsplit(' ').next().unwrap().parse().unwrap()
    };
    assert_eq!(value("tupu_http_requests_total{method=\"GET\",route=\"/health\",status=\"200\"}"), 1.0);
    assert_eq!(value("tupu_http_requests_total{method=\"GET\",route=\"/api/v1/nodes/{id}\",status=\"404\"}"), 2.0);
    assert_eq!(value("tupu_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"}"), 1.0);
    assert_eq!(value("tupu_http_request_duration_seconds_count{method=\"GET\",route=\"/api/v1/nodes/{id}\"}"), 2.0);
    assert_eq!(value("tupu_commits_total"), 1.0);
    assert_eq!(value("tupu_quads_committed_total"), 2.0);
    assert_eq!(value("tupu_snapshot_version "), fixture.state.graph.version() as f64);
    assert_eq!(value("tupu_graph_quads "), fixture.state.graph.len().unwrap() as f64);
}

/// The README's "bring your own curriculum" example imports as it is written.
#[test]
fn the_readme_curriculum_example_imports() {
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md")).unwrap();
    let turtle = readme.split("```turtle\n").nth(1).and_then(|rest| rest.split("```").next()).expect("a turtle block");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("geometry.ttl");
    std::fs::write(&file, turtle).unwrap();
    let data = dir.path().join("data");
    let o = crate::cli::tupu(&data, &["import", file.to_str().unwrap(), "--graph", "geometry"]);
    assert!(o.status.success(), "{}", crate::cli::stderr(&o));
    let o = crate::cli::tupu(
        &data,
        &[
            "query",
            "ASK { <https://example.org/geometry/angle-sum> <https://w3id.org/tupu/ns#requires> <https://example.org/geometry/triangle> }",
            "--format",
            "csv",
        ],
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("true"));
}

/// Learner reads and writes and graph updates are recorded with their actor; `tupu audit
/// verify` accepts the log and names a modified entry.
#[tokio::test]
async fn the_audit_trail_records_access_and_detects_a_modified_entry() {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    let fixture = Fixture::new(true, tupu_api::ServerConfig::default());
    let data = fixture._dir.path();
    let log = std::sync::Arc::new(tupu_api::AuditLog::open(&data.join("audit.log")).unwrap());
    let state = fixture.state.clone().with_audit(log);
    // An authentication layer sets the actor; without one requests are anonymous.
    let mut request = Request::builder().uri("/api/v1/learners/ana/next?n=1").body(Body::empty()).unwrap();
    request.extensions_mut().insert(tupu_api::Actor("teacher-7".to_owned()));
    assert_eq!(tupu_api::app(state.clone()).oneshot(request).await.unwrap().status(), StatusCode::OK);
    crate::fixtures::put_json(&state, "/api/v1/learners/ana/mastery", &serde_json::json!({"mastery": {}})).await;
    get(&state, "/api/v1/graph/stats").await;
    let update = "INSERT DATA { GRAPH <https://w3id.org/tupu/graph/a> { <https://example.org/k/a> a <https://w3id.org/tupu/ns#KnowledgePoint> ; <http://www.w3.org/2004/02/skos/core#prefLabel> \"a\"@en } }";
    crate::fixtures::send(&state, "POST", "/sparql", &[("content-type", "application/sparql-update")], update)
        .await
        .expect(StatusCode::OK);
    crate::fixtures::send(&state, "DELETE", "/api/v1/learners/ana", &[], Body::empty()).await;

    let text = std::fs::read_to_string(data.join("audit.log")).unwrap();
    let entries: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let summary: Vec<(&str, &str, &str)> = entries
        .iter()
        .map(|e| (e["actor"].as_str().unwrap(), e["action"].as_str().unwrap(), e["target"].as_str().unwrap()))
        .collect();
    assert_eq!(summary[0], ("teacher-7", "learner.read", "ana"));
    assert_eq!(summary[1], ("anonymous", "learner.write", "ana"));
    assert_eq!(summary[2].1, "graph.update");
    assert_eq!(summary[3], ("anonymous", "learner.erase", "ana"));
    assert_eq!(summary.len(), 4);

    let o = crate::cli::tupu(data, &["audit", "verify"]);
    assert!(o.status.success(), "{}", crate::cli::stderr(&o));
    assert!(crate::cli::stderr(&o).contains("4 entries"));
    std::fs::write(data.join("audit.log"), text.replacen("teacher-7", "teacher-8", 1)).unwrap();
    let o = crate::cli::tupu(data, &["audit", "verify"]);
    assert!(!o.status.success());
    let err = crate::cli::stderr(&o);
    assert!(err.contains("audit.log:1:") && err.contains("modified"), "{err}");
}

/// A backup made by a serving server, restored with `tupu restore` into a new data directory,
/// answers the same: graph statistics, a learner's mastery and next steps, the history of
/// commits, the audit trail.
#[tokio::test]
async fn a_backup_made_while_serving_restores_to_the_same_answers() {
    let fixture = Fixture::new(true, tupu_api::ServerConfig::default());
    let data = fixture._dir.path();
    let log = std::sync::Arc::new(tupu_api::AuditLog::open(&data.join("audit.log")).unwrap());
    let state = fixture.state.clone().with_data_dir(data).with_audit(log);
    let events = serde_json::json!([
        {"node": "kp.na.10以内数的认识.count", "correct": true, "timestamp": "2026-09-01T08:30:00Z"},
        {"node": "kp.na.10以内数的认识.count", "correct": true, "timestamp": "2026-09-01T08:31:00Z"},
    ]);
    crate::fixtures::post_json(&state, "/api/v1/learners/ana/events", &events).await.expect(StatusCode::OK);
    let answers = |state: tupu_api::AppState| async move {
        let mut out = Vec::new();
        for uri in ["/api/v1/graph/stats", "/api/v1/learners/ana/mastery", "/api/v1/history"] {
            out.push(get(&state, uri).await.expect(StatusCode::OK));
        }
        // Next steps: the same items (their explanations count days up to now).
        let next = get(&state, "/api/v1/learners/ana/next?n=3").await.expect(StatusCode::OK);
        out.push(serde_json::json!(
            next["items"].as_array().unwrap().iter().map(|i| i["id"].clone()).collect::<Vec<_>>()
        ));
        out
    };
    let before = answers(state.clone()).await;
    let made = crate::fixtures::send(&state, "POST", "/api/v1/admin/backup", &[], axum::body::Body::empty())
        .await
        .expect(StatusCode::OK);
    let backup = std::path::PathBuf::from(made["path"].as_str().unwrap());
    assert!(
        backup.join("graph").is_dir() && backup.join("learners.redb").is_file() && backup.join("audit.log").is_file()
    );

    let elsewhere = tempfile::tempdir().unwrap();
    let restored = elsewhere.path().join("data");
    let o = crate::cli::tupu(&restored, &["restore", backup.to_str().unwrap()]);
    assert!(o.status.success(), "{}", crate::cli::stderr(&o));
    // Restoring over a directory that holds a store is refused.
    let o = crate::cli::tupu(&restored, &["restore", backup.to_str().unwrap()]);
    assert!(!o.status.success() && crate::cli::stderr(&o).contains("holds a store already"));
    let o = crate::cli::tupu(&restored, &["audit", "verify"]);
    assert!(o.status.success(), "{}", crate::cli::stderr(&o));

    let graph = tupu_api::open_graph(&restored, false).unwrap();
    let learners = tupu_api::open_learners(&restored, tupu_recommend::RecommendConfig::default()).unwrap();
    let again = tupu_api::AppState::new(
        std::sync::Arc::new(graph),
        std::sync::Arc::new(learners),
        tupu_api::ServerConfig::default(),
    );
    assert_eq!(answers(again).await, before);
}
