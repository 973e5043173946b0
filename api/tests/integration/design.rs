//! Curriculum design over HTTP: node edits validated before they commit, history with diffs
//! and revert, drafts approved or rejected, impact on learners.

use axum::http::StatusCode;
use serde_json::{Value, json};
use tupu_api::ServerConfig;
use tupu_graph::Relation;

use crate::fixtures::{Fixture, enc, get, post_json};

/// A knowledge point of the demo graph that another one requires: (it, a dependent).
fn point_with_dependent(f: &Fixture) -> (String, String) {
    let s = f.state.graph.snapshot();
    let n = s.nodes().find(|&n| !s.inc(n, Relation::Requires).is_empty()).unwrap();
    (s.iri(n).to_owned(), s.iri(s.inc(n, Relation::Requires)[0].node).to_owned())
}

async fn node(f: &Fixture, iri: &str) -> Value {
    get(&f.state, &format!("/api/v1/nodes/{}", enc(iri))).await.expect(StatusCode::OK)
}

fn codes(error: &Value) -> Vec<String> {
    error["error"]["details"].as_array().unwrap().iter().map(|d| d["code"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn edits_are_validated_recorded_and_reverted() {
    let f = Fixture::new(true, ServerConfig::default());
    let (point, dependent) = point_with_dependent(&f);
    let version = f.state.graph.version();

    // A prerequisite that closes a cycle is refused with the finding; nothing is applied.
    let cycle = json!({"author": "ana", "edits": [{"op": "add_relation", "node": point, "relation": "requires", "target": dependent}]});
    let checked = post_json(&f.state, "/api/v1/edits", &json!({"edits": cycle["edits"], "check": true}))
        .await
        .expect(StatusCode::OK);
    assert_eq!(checked["valid"], false);
    assert_eq!(checked["findings"][0]["code"], "prerequisite_cycle");
    let refused = post_json(&f.state, "/api/v1/edits", &cycle)
        .await
        .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert!(codes(&refused).contains(&"prerequisite_cycle".to_owned()));
    assert_eq!(f.state.graph.version(), version);

    // An unknown relation and an unknown node are named, each by its edit's index.
    let bad = json!({"edits": [
        {"op": "add_relation", "node": point, "relation": "precedes-ish", "target": dependent},
        {"op": "set_label", "node": "no-such-node", "lang": "en", "text": "x"}]});
    let refused = post_json(&f.state, "/api/v1/edits", &bad)
        .await
        .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let details = refused["error"]["details"].as_array().unwrap();
    assert_eq!(details.len(), 2);
    assert_eq!(details[0]["location"]["record"], 0);
    assert_eq!(details[1]["location"]["record"], 1);
    let malformed = post_json(&f.state, "/api/v1/edits", &json!({"edits": [{"op": "paint"}]})).await;
    malformed.expect_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_edits");
    assert_eq!(f.state.graph.version(), version);

    // A valid edit commits and is recorded with its author, message and diff.
    let before = node(&f, &point).await;
    let relabel = json!({"author": "ana", "message": "English name", "edits": [
        {"op": "set_label", "node": point, "lang": "en", "text": "A renamed point"},
        {"op": "set_attribute", "node": point, "attribute": "difficulty", "value": 0.35}]});
    let done = post_json(&f.state, "/api/v1/edits", &relabel).await.expect(StatusCode::OK);
    let v = done["version"].as_u64().unwrap();
    assert_eq!(v, version + 1);
    assert!(node(&f, &point).await["labels"].to_string().contains("A renamed point"));

    let listed =
        get(&f.state, &format!("/api/v1/history?node={}&author=ana", enc(&point))).await.expect(StatusCode::OK);
    assert_eq!(listed["commits"][0]["version"], v);
    assert_eq!(listed["commits"][0]["message"], "English name");
    let shown = get(&f.state, &format!("/api/v1/history/{v}")).await.expect(StatusCode::OK);
    let added = shown["added"].to_string();
    assert!(added.contains("A renamed point"), "{added}");
    assert!(shown["added"][0]["subject"]["label"].is_string(), "labels beside IRIs: {shown}");
    get(&f.state, "/api/v1/history/999999").await.expect_error(StatusCode::NOT_FOUND, "commit_not_found");

    // Reverting is a new commit that restores the node exactly.
    let reverted = post_json(&f.state, &format!("/api/v1/history/{v}/revert"), &json!({"author": "bo"}))
        .await
        .expect(StatusCode::OK);
    assert_eq!(reverted["version"], v + 1);
    let after = node(&f, &point).await;
    assert_eq!(after["labels"], before["labels"]);
    assert_eq!(after["attributes"], before["attributes"]);
    // Reverting it twice would undo quads that are no longer there.
    post_json(&f.state, &format!("/api/v1/history/{v}/revert"), &json!({}))
        .await
        .expect_error(StatusCode::CONFLICT, "revert_conflict");

    // Deprecated: edits to it are refused; its replacement is recorded.
    let deprecate = json!({"edits": [{"op": "deprecate", "node": point, "replaced_by": dependent}]});
    post_json(&f.state, "/api/v1/edits", &deprecate).await.expect(StatusCode::OK);
    let edit_deprecated = json!({"edits": [{"op": "set_label", "node": point, "lang": "en", "text": "again"}]});
    let refused = post_json(&f.state, "/api/v1/edits", &edit_deprecated)
        .await
        .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert!(refused["error"]["details"][0]["message"].as_str().unwrap().contains("deprecated"));
}

#[tokio::test]
async fn nodes_are_created_merged_and_split() {
    let f = Fixture::new(true, ServerConfig::default());
    let (point, dependent) = point_with_dependent(&f);
    let create = json!({"edits": [
        {"op": "create", "id": "new-point", "labels": {"zh": "新知识点", "en": "A new point"}},
        {"op": "add_relation", "node": "new-point", "relation": "requires", "target": point}]});
    post_json(&f.state, "/api/v1/edits", &create).await.expect(StatusCode::OK);
    let created = get(&f.state, "/api/v1/nodes/new-point").await.expect(StatusCode::OK);
    assert_eq!(created["kind"], "knowledge_point");
    assert_eq!(created["outgoing"]["requires"][0]["iri"], point.as_str());

    // Merging the new point into the dependent moves its prerequisite there.
    let merge = json!({"edits": [{"op": "merge", "node": "new-point", "into": dependent}]});
    post_json(&f.state, "/api/v1/edits", &merge).await.expect(StatusCode::OK);
    let merged = get(&f.state, "/api/v1/nodes/new-point").await.expect(StatusCode::OK);
    assert!(merged["outgoing"].get("requires").is_none());
    let edit_merged = json!({"edits": [{"op": "set_label", "node": "new-point", "lang": "en", "text": "again"}]});
    post_json(&f.state, "/api/v1/edits", &edit_merged)
        .await
        .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");

    // Splitting the point: both parts take its prerequisites and its dependents.
    let split = json!({"edits": [{"op": "split", "node": point, "into": [
        {"id": "part-a", "labels": {"zh": "甲"}}, {"id": "part-b", "labels": {"zh": "乙"}}]}]});
    post_json(&f.state, "/api/v1/edits", &split).await.expect(StatusCode::OK);
    for part in ["part-a", "part-b"] {
        let p = get(&f.state, &format!("/api/v1/nodes/{part}")).await.expect(StatusCode::OK);
        let dependents: Vec<&str> =
            p["incoming"]["requires"].as_array().unwrap().iter().map(|n| n["iri"].as_str().unwrap()).collect();
        assert!(dependents.contains(&dependent.as_str()), "{p}");
    }
    assert!(node(&f, &point).await["incoming"].get("requires").is_none());
}

#[tokio::test]
async fn drafts_are_reviewed_and_impact_names_the_learners() {
    let f = Fixture::new(true, ServerConfig::default());
    let (point, dependent) = point_with_dependent(&f);
    let version = f.state.graph.version();
    let events = json!([{"node": point, "correct": true, "timestamp": "2026-01-01T00:00:00Z"}]);
    post_json(&f.state, "/api/v1/learners/lin/events", &events).await.expect(StatusCode::OK);

    let edit = json!([{"op": "set_label", "node": point, "lang": "en", "text": "Reviewed name"}]);
    let impact = post_json(&f.state, "/api/v1/impact", &json!({"edits": edit})).await.expect(StatusCode::OK);
    assert_eq!(impact["learners"][0]["learner"], "lin");
    assert_eq!(impact["learners"][0]["nodes"][0], point.as_str());
    assert!(impact["dependents"]["count"].as_u64().unwrap() >= 1);
    assert_eq!(impact["valid"], true);

    // A rejected draft changes nothing.
    let draft = post_json(&f.state, "/api/v1/drafts", &json!({"author": "ana", "message": "rename", "edits": edit}))
        .await
        .expect(StatusCode::OK);
    let id = draft["id"].as_u64().unwrap();
    assert_eq!(draft["status"], "open");
    assert_eq!(draft["valid"], true);
    assert!(draft["diff"]["added"].to_string().contains("Reviewed name"));
    assert_eq!(draft["impact"]["learners"][0]["learner"], "lin");
    let quads = f.state.graph.len().unwrap();
    let rejected =
        post_json(&f.state, &format!("/api/v1/drafts/{id}/reject"), &json!({"reviewer": "bo", "comment": "no"}))
            .await
            .expect(StatusCode::OK);
    assert_eq!(rejected["draft"]["status"], "rejected");
    assert_eq!((f.state.graph.version(), f.state.graph.len().unwrap()), (version, quads));
    post_json(&f.state, &format!("/api/v1/drafts/{id}/approve"), &json!({}))
        .await
        .expect_error(StatusCode::CONFLICT, "draft_decided");

    // A draft that would close a cycle is kept with its finding; approval is refused.
    let cycle = json!([{"op": "add_relation", "node": point, "relation": "requires", "target": dependent}]);
    let bad = post_json(&f.state, "/api/v1/drafts", &json!({"edits": cycle})).await.expect(StatusCode::OK);
    assert_eq!(bad["valid"], false);
    let bad_id = bad["id"].as_u64().unwrap();
    post_json(&f.state, &format!("/api/v1/drafts/{bad_id}/approve"), &json!({}))
        .await
        .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(f.state.graph.version(), version);

    // An approved draft is committed and shows in the history.
    let good = post_json(&f.state, "/api/v1/drafts", &json!({"author": "ana", "message": "rename", "edits": edit}))
        .await
        .expect(StatusCode::OK);
    let good_id = good["id"].as_u64().unwrap();
    let approved = post_json(&f.state, &format!("/api/v1/drafts/{good_id}/approve"), &json!({"reviewer": "bo"}))
        .await
        .expect(StatusCode::OK);
    assert_eq!(approved["draft"]["status"], "approved");
    assert_eq!(f.state.graph.version(), version + 1);
    let history = get(&f.state, "/api/v1/history?limit=1").await.expect(StatusCode::OK);
    assert_eq!(history["commits"][0]["author"], "ana");
    assert!(history["commits"][0]["message"].as_str().unwrap().contains(&format!("draft {good_id}")));
    let open = get(&f.state, "/api/v1/drafts?status=open").await.expect(StatusCode::OK);
    assert_eq!(open["drafts"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_page_is_served_and_finds_nodes_by_chinese_name() {
    let f = Fixture::new(true, ServerConfig::default());
    let page = get(&f.state, "/").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("/assets/app.js"));
    assert_eq!(get(&f.state, "/assets/app.js").await.status, StatusCode::OK);
    let s = f.state.graph.snapshot();
    let n = s.nodes().find(|&n| s.labels(n).iter().any(|l| &*l.lang == "zh")).unwrap();
    let name = s.label(n, Some("zh")).to_owned();
    let found = get(&f.state, &format!("/api/v1/lookup?q={}", enc(&name))).await.expect(StatusCode::OK);
    let iris: Vec<&str> = found["nodes"].as_array().unwrap().iter().map(|x| x["iri"].as_str().unwrap()).collect();
    assert!(iris.contains(&s.iri(n)), "{found}");

    // Validation: no violation on the demo graph; integrity warnings each carry a fix that the
    // edit route applies.
    let report = get(&f.state, "/api/v1/validate?rule=redundant_prerequisite&limit=1").await.expect(StatusCode::OK);
    assert_eq!(report["violations"], 0);
    let before = report["warnings"].as_u64().unwrap();
    assert!(before > 0, "{report}");
    let fix = report["findings"][0]["fix"].clone();
    post_json(&f.state, "/api/v1/edits", &json!({"message": "apply a fix", "edits": fix})).await.expect(StatusCode::OK);
    let after = get(&f.state, "/api/v1/validate?rule=redundant_prerequisite").await.expect(StatusCode::OK);
    assert_eq!(after["warnings"].as_u64().unwrap(), before - 1);
}

#[tokio::test]
async fn releases_are_frozen_served_and_compared() {
    let f = Fixture::new(true, ServerConfig::default());
    let (point, _) = point_with_dependent(&f);
    let v1 = post_json(&f.state, "/api/v1/releases", &json!({"name": "v1", "graph": "chalkbase", "message": "first"}))
        .await
        .expect(StatusCode::OK);
    assert!(v1["quads"].as_u64().unwrap() > 1000);
    post_json(&f.state, "/api/v1/releases", &json!({"name": "v1", "graph": "chalkbase"}))
        .await
        .expect_error(StatusCode::CONFLICT, "release_exists");
    let edit = json!({"edits": [{"op": "set_label", "node": point, "lang": "en", "text": "Second edition"}]});
    post_json(&f.state, "/api/v1/edits", &edit).await.expect(StatusCode::OK);
    post_json(&f.state, "/api/v1/releases", &json!({"name": "v2", "graph": "chalkbase"})).await.expect(StatusCode::OK);

    let diff = get(&f.state, "/api/v1/releases/v1/diff/v2").await.expect(StatusCode::OK);
    assert_eq!(diff["added"].as_array().unwrap().len(), 1, "{diff}");
    assert!(diff["added"][0]["object"]["value"].as_str().unwrap().contains("Second edition"));
    assert!(diff["removed"].as_array().unwrap().len() <= 1, "at most the English label it replaced: {diff}");
    let live = get(&f.state, "/api/v1/releases/v2/diff/current").await.expect(StatusCode::OK);
    assert_eq!(live["added"].as_array().unwrap().len() + live["removed"].as_array().unwrap().len(), 0);

    let first = get(&f.state, "/api/v1/releases/v1?format=ntriples").await;
    assert_eq!(first.status, StatusCode::OK);
    assert!(first.body.contains(point.as_str()) && !first.body.contains("Second edition"));
    get(&f.state, "/api/v1/releases/v9").await.expect_error(StatusCode::NOT_FOUND, "release_not_found");
    let listed = get(&f.state, "/api/v1/releases").await.expect(StatusCode::OK);
    assert_eq!(listed["releases"].as_array().unwrap().len(), 2);
}
