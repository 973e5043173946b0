//! Predictions for apps, effective BKT parameters, and refitting a running server.

use std::time::Duration;

use axum::http::StatusCode;
use serde_json::{Value, json};
use tupu_api::ServerConfig;

use crate::fixtures::{Fixture, demo, enc, get, post_json};

/// The first item recommended to a new learner: a knowledge point of the demo graph.
async fn a_knowledge_point(state: &tupu_api::AppState) -> String {
    let next = get(state, "/api/v1/learners/nobody-yet/next?n=1").await.expect(StatusCode::OK);
    next["items"][0]["id"].as_str().unwrap().to_owned()
}

async fn predict(state: &tupu_api::AppState, learner: &str, node: &str) -> Value {
    let body = get(state, &format!("/api/v1/learners/{learner}/predict?node={}", enc(node))).await;
    body.expect(StatusCode::OK)["predictions"][0].clone()
}

#[tokio::test]
async fn a_batch_returns_the_prediction_made_before_each_event() {
    let state = &demo().state;
    let node = a_knowledge_point(state).await;
    let answers = [true, true, false, true, false, false, true];
    // One learner sends the batch; another sends the same answers one at a time and asks for
    // a prediction before each: the two agree.
    let batch: Vec<Value> = answers.iter().map(|&c| json!({"node": node, "correct": c})).collect();
    let reply = post_json(state, "/api/v1/learners/batcher/events", &json!(batch)).await.expect(StatusCode::OK);
    let predictions = reply["predictions"].as_array().unwrap();
    assert_eq!(predictions.len(), answers.len());
    for (i, &correct) in answers.iter().enumerate() {
        let before = predict(state, "stepper", &node).await;
        let p = before["p_correct"].as_f64().unwrap();
        assert_eq!(predictions[i]["event"], i);
        assert!((predictions[i]["p_correct"].as_f64().unwrap() - p).abs() < 1e-6, "{i}: {reply} vs {before}");
        assert!((predictions[i]["mastery"].as_f64().unwrap() - before["mastery"].as_f64().unwrap()).abs() < 1e-6);
        let one = json!([{"node": node, "correct": correct}]);
        post_json(state, "/api/v1/learners/stepper/events", &one).await.expect(StatusCode::OK);
    }
    // Right answers raise the prediction, wrong ones lower it.
    let first = predictions[0]["p_correct"].as_f64().unwrap();
    let second = predictions[1]["p_correct"].as_f64().unwrap();
    assert!(second > first);
    let after = predict(state, "stepper", &node).await;
    assert_eq!(after["attempts"], answers.len());
    assert_eq!(after["params_source"], "default");
    for key in ["prior", "learn", "slip", "guess", "forget"] {
        assert!(after["params"][key].as_f64().is_some(), "{after}");
    }
}

#[tokio::test]
async fn predict_names_several_nodes_and_refuses_bad_requests() {
    let state = &demo().state;
    let node = a_knowledge_point(state).await;
    let next = get(state, "/api/v1/learners/nobody-yet/next?n=2").await.expect(StatusCode::OK);
    let other = next["items"][1]["id"].as_str().unwrap().to_owned();
    let uri = format!("/api/v1/learners/fresh-predict/predict?node={}&node={}", enc(&node), enc(&other));
    let body = get(state, &uri).await.expect(StatusCode::OK);
    let list = body["predictions"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["id"], node);
    assert_eq!(list[1]["id"], other);
    for p in list {
        // No evidence: the prediction is the prior's, P(L0)(1 − S) + (1 − P(L0)) G.
        let (l0, s, g) = (
            p["params"]["prior"].as_f64().unwrap(),
            p["params"]["slip"].as_f64().unwrap(),
            p["params"]["guess"].as_f64().unwrap(),
        );
        assert!((p["p_correct"].as_f64().unwrap() - (l0 * (1.0 - s) + (1.0 - l0) * g)).abs() < 1e-5, "{p}");
    }
    get(state, "/api/v1/learners/x/predict").await.expect_error(StatusCode::BAD_REQUEST, "invalid_parameter");
    get(state, "/api/v1/learners/x/predict?nodes=a").await.expect_error(StatusCode::BAD_REQUEST, "invalid_parameter");
    get(state, "/api/v1/learners/x/predict?node=no-such-node")
        .await
        .expect_error(StatusCode::NOT_FOUND, "node_not_found");
    // A node shows the parameters the model uses for it, and where they come from.
    let shown = get(state, &format!("/api/v1/nodes/{}", enc(&node))).await.expect(StatusCode::OK);
    assert_eq!(shown["attributes"]["bkt"]["source"], "default");
    assert_eq!(shown["attributes"]["bkt"]["forget"], 0.0);
}

#[tokio::test]
async fn a_running_server_refits_from_its_own_learners() {
    let fixture = Fixture::new(true, ServerConfig { next_cache: Duration::ZERO, ..ServerConfig::default() });
    let state = &fixture.state;
    let node = a_knowledge_point(state).await;
    // Nothing recorded yet: nothing to fit, and the answer says so.
    post_json(state, "/api/v1/admin/fit-bkt", &json!({})).await.expect_error(StatusCode::BAD_REQUEST, "nothing_to_fit");
    let truth = tupu_graph::BktParams { prior: 0.3, learn: 0.2, slip: 0.1, guess: 0.2, forget: 0.0 };
    for (l, answers) in tupu_recommend::sample_sequences(&truth, 60, 8, 11).iter().enumerate() {
        let batch: Vec<Value> = answers.iter().map(|&c| json!({"node": node, "correct": c})).collect();
        post_json(state, &format!("/api/v1/learners/fit-{l}/events"), &json!(batch)).await.expect(StatusCode::OK);
    }
    // A dry run reports and stores nothing.
    let dry = post_json(state, "/api/v1/admin/fit-bkt", &json!({"dry_run": true})).await.expect(StatusCode::OK);
    assert_eq!(dry["fitted"], 1);
    assert!(dry["version"].is_null());
    let line = &dry["nodes"][0];
    assert_eq!((line["answers"].as_u64(), line["learners"].as_u64()), (Some(480), Some(60)));
    assert!(line["iterations"].as_u64().unwrap() >= 1);
    assert!(line["status"] == "converged" || line["status"] == "capped");
    assert_eq!(predict(state, "fit-0", &node).await["params_source"], "default");
    post_json(state, "/api/v1/admin/fit-bkt", &json!({"tolerance": -1}))
        .await
        .expect_error(StatusCode::BAD_REQUEST, "invalid_parameter");
    post_json(state, "/api/v1/admin/fit-bkt", &json!({"tolerence": 1}))
        .await
        .expect_error(StatusCode::BAD_REQUEST, "invalid_body");
    // The fit is stored in one commit and served from the next request on.
    let done = post_json(state, "/api/v1/admin/fit-bkt", &json!({})).await.expect(StatusCode::OK);
    assert!(done["version"].as_u64().is_some(), "{done}");
    let after = predict(state, "fit-0", &node).await;
    assert_eq!(after["params_source"], "fitted");
    assert!((after["params"]["prior"].as_f64().unwrap() - 0.3).abs() < 0.15, "{after}");
    let shown = get(state, &format!("/api/v1/nodes/{}", enc(&node))).await.expect(StatusCode::OK);
    assert_eq!(shown["attributes"]["bkt"]["source"], "fitted");
    // Each learner's answers came in one batch, at one time of the server's clock: no time
    // passed between them, so no half-life is fitted and the default is served.
    assert!(done["nodes"][0]["half_life"].is_null(), "{done}");
    assert_eq!(after["half_life_source"], "default", "{after}");
}

#[tokio::test]
async fn mastery_decays_between_practices_in_what_is_served() {
    let state = &demo().state;
    let node = a_knowledge_point(state).await;
    // Three right answers four weeks ago.
    let then = (chrono::Utc::now() - chrono::Duration::days(28)).to_rfc3339();
    let batch: Vec<Value> = (0..3).map(|_| json!({"node": node, "correct": true, "timestamp": then})).collect();
    post_json(state, "/api/v1/learners/decayer/events", &json!(batch)).await.expect(StatusCode::OK);
    let p = predict(state, "decayer", &node).await;
    assert_eq!((p["half_life_days"].as_f64(), p["half_life_source"].as_str()), (Some(14.0), Some("default")), "{p}");
    // Three right answers double the half-life twice, to 56 days: after 28 days, 2^(−1/2) of
    // the mastery is left.
    let (mastery, recall) = (p["mastery"].as_f64().unwrap(), p["recall"].as_f64().unwrap());
    assert!((recall - mastery * 0.5f64.sqrt()).abs() < 1e-3, "{p}");
    // The probability of a right answer now is predicted from what is left.
    let (s, g) = (p["params"]["slip"].as_f64().unwrap(), p["params"]["guess"].as_f64().unwrap());
    let p_correct = p["p_correct"].as_f64().unwrap();
    assert!((p_correct - (recall * (1.0 - s) + (1.0 - recall) * g)).abs() < 1e-4, "{p}");
    // And the next answer steps from it: the prediction made before it is the same.
    let one = json!([{"node": node, "correct": true}]);
    let reply = post_json(state, "/api/v1/learners/decayer/events", &one).await.expect(StatusCode::OK);
    let before = &reply["predictions"][0];
    assert!((before["p_correct"].as_f64().unwrap() - p_correct).abs() < 1e-4, "{reply} vs {p}");
    assert!((before["mastery"].as_f64().unwrap() - recall).abs() < 1e-4, "{reply} vs {p}");
    // The node shows its half-life and where it comes from.
    let shown = get(state, &format!("/api/v1/nodes/{}", enc(&node))).await.expect(StatusCode::OK);
    assert_eq!(shown["attributes"]["bkt"]["half_life_days"], 14.0);
    assert_eq!(shown["attributes"]["bkt"]["half_life_source"], "default");
}
