//! The learner journey on the demo graph: evidence, mastery, next steps, paths.

use std::collections::{HashMap, HashSet};

use axum::body::Body;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::fixtures::{demo, enc, get, post_json, put_json, send};

async fn grade(id: &str) -> u64 {
    let node = get(&demo().state, &format!("/api/v1/nodes/{}", enc(id))).await.expect(StatusCode::OK);
    node["attributes"]["grade"].as_u64().unwrap()
}

async fn next(learner: &str, query: &str) -> Value {
    get(&demo().state, &format!("/api/v1/learners/{learner}/next?{query}")).await.expect(StatusCode::OK)
}

fn item_ids(next: &Value) -> Vec<String> {
    next["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_owned()).collect()
}

async fn mastery(learner: &str) -> HashMap<String, f64> {
    let m = get(&demo().state, &format!("/api/v1/learners/{learner}/mastery")).await.expect(StatusCode::OK);
    m["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["id"].as_str().unwrap().to_owned(), n["mastery"].as_f64().unwrap()))
        .collect()
}

#[tokio::test]
async fn a_repeated_next_is_the_same_until_new_evidence() {
    let first = next("repeater", "n=4").await;
    assert_eq!(next("repeater", "n=4").await, first);
    // Evidence on the first item changes what comes next at once.
    let top = first["items"][0]["id"].as_str().unwrap().to_owned();
    let events =
        json!([{"node": top, "correct": true}, {"node": top, "correct": true}, {"node": top, "correct": true}]);
    post_json(&demo().state, "/api/v1/learners/repeater/events", &events).await.expect(StatusCode::OK);
    let after = next("repeater", "n=4").await;
    assert_ne!(after, first);
    assert!(!item_ids(&after).contains(&top), "{after}");
}

#[tokio::test]
async fn a_new_learner_starts_at_grade_one_and_moves_on() {
    let first = next("newcomer", "n=5").await;
    let items = item_ids(&first);
    assert_eq!(items.len(), 5);
    for item in first["items"].as_array().unwrap() {
        assert!(!item["explanation"]["text"].as_str().unwrap().is_empty());
        assert_eq!(item["action"], "learn");
        assert_eq!(item["kind"], "knowledge_point");
        assert!(item["explanation"]["mastered_prerequisites"].as_array().unwrap().is_empty());
    }
    for id in &items {
        assert_eq!(grade(id).await, 1, "{id} is not a grade-1 foundation");
    }
    // Several threads, not one.
    let threads: HashSet<String> = {
        let mut t = HashSet::new();
        for id in &items {
            let node = get(&demo().state, &format!("/api/v1/nodes/{}", enc(id))).await.expect(StatusCode::OK);
            t.insert(node["attributes"]["thread"].as_str().unwrap().to_owned());
        }
        t
    };
    assert!(threads.len() >= 3, "{threads:?}");

    // Correct answers on the first two items.
    let events: Vec<Value> =
        items[..2].iter().flat_map(|id| (0..4).map(move |_| json!({"node": id, "correct": true}))).collect();
    let posted = post_json(&demo().state, "/api/v1/learners/newcomer/events", &json!({ "events": events }))
        .await
        .expect(StatusCode::OK);
    assert_eq!(posted["accepted"], 8);
    let m = mastery("newcomer").await;
    assert!(items[..2].iter().all(|id| m[id] >= 0.85), "{m:?}");

    let second = next("newcomer", "n=10").await;
    let now = item_ids(&second);
    assert!(!now.contains(&items[0]) && !now.contains(&items[1]));
    let unlocked: Vec<&Value> = second["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| !i["explanation"]["mastered_prerequisites"].as_array().unwrap().is_empty())
        .collect();
    assert!(!unlocked.is_empty(), "nothing unlocked by the mastered points: {now:?}");
    for item in unlocked {
        for p in item["explanation"]["mastered_prerequisites"].as_array().unwrap() {
            assert!(m.get(p["id"].as_str().unwrap()).is_some_and(|&x| x >= 0.85));
        }
        assert!(item["explanation"]["text"].as_str().unwrap().contains("prerequisites are mastered"));
    }
}

#[tokio::test]
async fn a_path_to_a_grade_five_point_is_in_a_valid_order() {
    let goal = "kp.na.小数除法.quotient_terminating_decimal";
    assert_eq!(grade(goal).await, 5);
    put_json(
        &demo().state,
        "/api/v1/learners/planner/mastery",
        &json!({"mastery": {"kp.na.10以内数的认识.count": 0.95}}),
    )
    .await
    .expect(StatusCode::OK);
    let plan =
        post_json(&demo().state, "/api/v1/learners/planner/path", &json!({"goals": [goal], "budget_minutes": 120}))
            .await
            .expect(StatusCode::OK);
    let steps = plan["steps"].as_array().unwrap();
    assert!(steps.len() > 40, "{} steps", steps.len());
    assert_eq!(steps.last().unwrap()["id"], goal);
    let mastered: HashSet<String> =
        mastery("planner").await.into_iter().filter(|(_, p)| *p >= 0.85).map(|(k, _)| k).collect();
    let mut done: HashSet<String> = HashSet::new();
    for step in steps {
        let id = step["id"].as_str().unwrap();
        assert!(!mastered.contains(id), "{id} is already mastered");
        let pre = get(&demo().state, &format!("/api/v1/nodes/{}/prerequisites", enc(id))).await.expect(StatusCode::OK);
        for p in pre["prerequisites"].as_array().unwrap() {
            let p = p["id"].as_str().unwrap();
            assert!(done.contains(p) || mastered.contains(p), "{id} comes before its prerequisite {p}");
        }
        done.insert(id.to_owned());
    }
    assert_eq!(plan["fits_budget"], false);
    assert!(plan["stages"].as_array().unwrap().len() < steps.len(), "steps are grouped into stages");
    assert!(steps.iter().any(|s| !s["resources"].as_array().unwrap().is_empty()));
}

#[tokio::test]
async fn path_errors_are_clear() {
    post_json(&demo().state, "/api/v1/learners/p2/path", &json!({"goals": ["nope"]}))
        .await
        .expect_error(StatusCode::NOT_FOUND, "node_not_found");
    post_json(&demo().state, "/api/v1/learners/p2/path", &json!({"goals": []}))
        .await
        .expect_error(StatusCode::BAD_REQUEST, "missing_goal");
    let q = "PREFIX tupu: <https://w3id.org/tupu/ns#> SELECT ?c WHERE { ?c a tupu:Competency FILTER NOT EXISTS { ?k tupu:supports ?c } } LIMIT 1";
    let r = send(&demo().state, "GET", &format!("/sparql?query={}", enc(q)), &[], Body::empty())
        .await
        .expect(StatusCode::OK);
    let lonely = r["results"]["bindings"][0]["c"]["value"].as_str().unwrap().to_owned();
    post_json(&demo().state, "/api/v1/learners/p2/path", &json!({"goals": [lonely]}))
        .await
        .expect_error(StatusCode::BAD_REQUEST, "goal_unreachable");
}

#[tokio::test]
async fn malformed_events_are_rejected_whole() {
    let learner = "careful";
    post_json(
        &demo().state,
        &format!("/api/v1/learners/{learner}/events"),
        &json!([{"node": "kp.na.10以内数的认识.count", "correct": true}]),
    )
    .await
    .expect(StatusCode::OK);
    let before = mastery(learner).await;
    let bad = json!([
        {"node": "kp.na.10以内数的认识.count", "correct": true},
        {"node": "no-such-node", "correct": true},
        {"node": "kp.na.10以内数的认识.count", "score": 1.7},
        {"node": "kp.na.10以内数的认识.count", "correct": false, "timestamp": "last tuesday"},
        {"verb": {"id": "http://adlnet.gov/expapi/verbs/answered"}, "object": {"id": "kp.na.10以内数的认识.count"}, "result": {"score": {"scaled": "high"}}},
    ]);
    let reply = post_json(&demo().state, &format!("/api/v1/learners/{learner}/events"), &bad).await;
    let body = reply.expect_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_events");
    let at: Vec<(u64, String)> = body["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["index"].as_u64().unwrap(), d["field"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(
        at,
        vec![(1, "node".into()), (2, "score".into()), (3, "timestamp".into()), (4, "result.score.scaled".into())]
    );
    assert_eq!(mastery(learner).await, before, "nothing of the batch was applied");
    post_json(&demo().state, &format!("/api/v1/learners/{learner}/events"), &json!({"not": "events"}))
        .await
        .expect_error(StatusCode::BAD_REQUEST, "invalid_body");
}

#[tokio::test]
async fn xapi_statements_and_resources_count_as_evidence() {
    let learner = "xapi-user";
    let statements = json!([
        {"actor": {"mbox": "mailto:someone@example.org"}, "verb": {"id": "http://adlnet.gov/expapi/verbs/answered"},
         "object": {"id": "https://w3id.org/tupu/chalkbase/kp.na.10以内数的认识.count"}, "result": {"success": true},
         "timestamp": "2026-09-01T08:30:00+08:00"},
        {"verb": {"id": "http://adlnet.gov/expapi/verbs/completed"}, "object": {"id": "g1a.u1.l01"}},
    ]);
    let reply = post_json(&demo().state, &format!("/api/v1/learners/{learner}/events"), &statements)
        .await
        .expect(StatusCode::OK);
    assert_eq!(reply["accepted"], 2);
    let m = mastery(learner).await;
    assert!(m.contains_key("kp.na.10以内数的认识.count"));
    assert!(m.len() >= 2, "the lesson's points were updated too: {m:?}");
}

#[tokio::test]
async fn mastery_can_be_set_read_and_erased() {
    let learner = "placement";
    let set = put_json(
        &demo().state,
        &format!("/api/v1/learners/{learner}/mastery"),
        &json!([{"node": "kp.na.10以内数的认识.count", "mastery": 0.9}]),
    )
    .await
    .expect(StatusCode::OK);
    assert_eq!(set["nodes"][0]["mastered"], true);
    put_json(
        &demo().state,
        &format!("/api/v1/learners/{learner}/mastery"),
        &json!({"mastery": {"kp.na.10以内数的认识.count": 1.5}}),
    )
    .await
    .expect_error(StatusCode::BAD_REQUEST, "invalid_mastery");
    assert_eq!(mastery(learner).await.len(), 1);
    let gone = send(&demo().state, "DELETE", &format!("/api/v1/learners/{learner}"), &[], Body::empty()).await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    assert!(mastery(learner).await.is_empty());
}

#[tokio::test]
async fn next_with_a_goal_stays_on_the_way() {
    let goal = "kp.gg.多边形面积.trapezoid_area";
    let r = next("goal-seeker", &format!("n=5&goal={}&lang=zh", enc(goal))).await;
    assert_eq!(r["goal"]["id"], goal);
    let closure = get(&demo().state, &format!("/api/v1/nodes/{}/prerequisites?transitive=true", enc(goal)))
        .await
        .expect(StatusCode::OK);
    let closure: HashSet<String> =
        closure["prerequisites"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap().to_owned()).collect();
    for item in r["items"].as_array().unwrap() {
        assert!(closure.contains(item["id"].as_str().unwrap()));
        assert!(item["explanation"]["steps_to_goal"].as_u64().unwrap() >= 1);
        assert!(item["explanation"]["text"].as_str().unwrap().contains("目标"));
    }
    get(&demo().state, "/api/v1/learners/x/next?n=0").await.expect_error(StatusCode::BAD_REQUEST, "invalid_parameter");
    get(&demo().state, "/api/v1/learners/x/next?subject=chemistry")
        .await
        .expect_error(StatusCode::BAD_REQUEST, "unknown_subject");
}
