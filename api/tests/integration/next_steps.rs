//! Next steps that listen to the learner, through the HTTP API on the demo graph.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::fixtures::{demo, enc, get, post_json};

async fn next(learner: &str, query: &str) -> Value {
    get(&demo().state, &format!("/api/v1/learners/{learner}/next?{query}")).await.expect(StatusCode::OK)
}

#[tokio::test]
async fn twenty_wrong_answers_change_course() {
    let first = next("spinner", "n=5").await;
    assert_eq!(first["status"], "learning");
    let top = first["items"][0]["id"].as_str().unwrap().to_owned();
    let wrong: Vec<Value> = (0..20).map(|_| json!({"node": top, "correct": false})).collect();
    post_json(&demo().state, "/api/v1/learners/spinner/events", &json!(wrong)).await.expect(StatusCode::OK);
    let after = next("spinner", "n=5").await;
    let items = after["items"].as_array().unwrap();
    assert_ne!(items[0]["id"], top, "{after}");
    // If the stuck point is still listed, it is flagged and says why.
    if let Some(item) = items.iter().find(|i| i["id"] == top) {
        assert_eq!(item["explanation"]["stuck"], true);
        assert_eq!(item["explanation"]["wrong"], 20);
        assert!(item["explanation"]["text"].as_str().unwrap().contains("Flagged"), "{item}");
    }
}

#[tokio::test]
async fn several_goals_in_one_call() {
    // Two goals: the points listed lead to one of them.
    let goals = ["kp.na.20以内数的认识.place_value", "kp.na.10以内数的认识.count"];
    let query = format!("n=10&goal={}&goal={}", enc(goals[0]), enc(goals[1]));
    let body = next("multi", &query).await;
    assert_eq!(body["goals"].as_array().unwrap().len(), 2, "{body}");
    assert_eq!(body["goal"]["id"], goals[0]);
    for item in body["items"].as_array().unwrap() {
        assert!(item["explanation"]["steps_to_goal"].as_u64().is_some(), "{item}");
    }
    get(&demo().state, "/api/v1/learners/multi/next?goal=no-such-node")
        .await
        .expect_error(StatusCode::NOT_FOUND, "node_not_found");
}

#[tokio::test]
async fn consolidation_ends() {
    // The learner answers right whatever is offered toward one goal: learning, then
    // consolidation, then an empty list whose status says the goal is confirmed.
    let goal = format!("n=1&goal={}", enc("kp.na.20以内数的认识.place_value"));
    let mut seen = Vec::new();
    for _ in 0..60 {
        let body = next("confirmer", &goal).await;
        let status = body["status"].as_str().unwrap().to_owned();
        if seen.last() != Some(&status) {
            seen.push(status.clone());
        }
        let Some(item) = body["items"].as_array().unwrap().first() else { break };
        if status == "consolidating" {
            assert_eq!(item["action"], "consolidate", "{body}");
        }
        let event = json!([{"node": item["id"], "correct": true}]);
        post_json(&demo().state, "/api/v1/learners/confirmer/events", &event).await.expect(StatusCode::OK);
    }
    assert_eq!(seen.last().map(String::as_str), Some("goal_confirmed"), "{seen:?}");
    assert!(seen.iter().any(|s| s == "consolidating"), "{seen:?}");
    let done = next("confirmer", &goal).await;
    assert!(done["items"].as_array().unwrap().is_empty(), "{done}");
}
