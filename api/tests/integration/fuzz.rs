//! Fuzzing every parser and endpoint body through the router: random SPARQL made of the
//! tokens that nest and branch, random JSON bodies for events, mastery and paths, random
//! keys and learner ids. Whatever comes in, the answer is a JSON error or a success, never a
//! 5xx, and the process lives (a stack overflow or an abort would end this test binary).
//!
//! `TUPU_FUZZ_CASES` sets the number of cases per target (256 by default);
//! `benches/fuzz.sh` runs many and prints the figure.

use axum::http::StatusCode;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::Value;

use crate::fixtures::{Reply, demo, enc, send};

fn cases() -> u32 {
    std::env::var("TUPU_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256)
}

fn sparql() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("{"),
        Just("}"),
        Just("("),
        Just(")"),
        Just("["),
        Just("]"),
        Just(" UNION "),
        Just(" OPTIONAL "),
        Just(" MINUS "),
        Just("/"),
        Just("|"),
        Just("^"),
        Just("!"),
        Just("?x"),
        Just("?"),
        Just("*"),
        Just("+"),
        Just("<http://e/p>"),
        Just("\"s\""),
        Just("'''"),
        Just("#c\n"),
        Just(" . "),
        Just(" ; "),
        Just(" , "),
        Just("SELECT * WHERE "),
        Just("ASK "),
        Just("FILTER("),
        Just("a"),
        Just("1"),
        Just("<"),
        Just(">"),
        Just("&&"),
        Just("||"),
        Just("="),
        Just("\\"),
        Just("\u{00e9}"),
        Just("INSERT DATA "),
        Just("DELETE WHERE "),
        Just("DROP ALL"),
    ];
    // Runs of one token make deep or wide texts; mixes make the rest.
    let run = (token.clone(), 1usize..3000).prop_map(|(t, n)| t.repeat(n));
    proptest::collection::vec(prop_oneof![3 => token.prop_map(str::to_owned), 1 => run], 0..40)
        .prop_map(|parts| parts.concat())
}

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<f64>().prop_filter("JSON numbers are finite", |x| x.is_finite()).prop_map(|x| serde_json::json!(x)),
        any::<i64>().prop_map(|x| serde_json::json!(x)),
        "[a-z.:/ 0-9\u{4e00}-\u{4e09}]{0,12}".prop_map(Value::String),
        prop_oneof![
            Just("node"),
            Just("kp.gg.三角形.angle_sum"),
            Just("correct"),
            Just("score"),
            Just("timestamp"),
            Just("2026-09-01T08:30:00Z"),
            Just("2999-01-01T00:00:00Z"),
            Just("mastery"),
            Just("goals"),
            Just("verb"),
        ]
        .prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        let key = prop_oneof![
            Just("node"),
            Just("correct"),
            Just("score"),
            Just("timestamp"),
            Just("mastery"),
            Just("events"),
            Just("goals"),
            Just("budget_minutes"),
            Just("resource"),
            Just("verb"),
            Just("object"),
            Just("result"),
            Just("id"),
            Just("clear"),
        ];
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map(key.prop_map(str::to_owned), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn sane(reply: &Reply, what: &str) {
    assert!(!reply.status.is_server_error(), "{what}: {} {}", reply.status, reply.body);
    if reply.status != StatusCode::OK {
        let body: Value =
            serde_json::from_str(&reply.body).unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {}", reply.body));
        assert!(body["error"]["code"].is_string(), "{what}: {}", reply.body);
    }
}

fn runner() -> TestRunner {
    TestRunner::new(Config { cases: cases(), failure_persistence: None, ..Config::default() })
}

#[test]
fn fuzz_sparql_queries_and_updates() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let state = &demo().state;
    // Updates go to a graph of their own, so that the shared demo graph stays as it is.
    let scratch = crate::fixtures::Fixture::new(false, tupu_api::ServerConfig::default());
    let n = std::sync::atomic::AtomicU64::new(0);
    runner()
        .run(&sparql(), |text| {
            rt.block_on(async {
                // By POST: a long text would not fit in a request target.
                let sparql_query = [("content-type", "application/sparql-query")];
                let q = send(state, "POST", "/sparql", &sparql_query, text.clone()).await;
                sane(&q, &text);
                let u = send(
                    &scratch.state,
                    "POST",
                    "/sparql",
                    &[("content-type", "application/sparql-update")],
                    text.clone(),
                )
                .await;
                sane(&u, &text);
            });
            n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Ok(())
        })
        .unwrap();
    eprintln!("fuzz sparql: {} cases (a query and an update each), 0 failures", n.into_inner());
}

#[test]
fn fuzz_learner_bodies_ids_and_keys() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let state = &demo().state;
    let id = "[a-zA-Z0-9%:/._~ \u{4e00}-\u{4e09}-]{0,20}";
    let n = std::sync::atomic::AtomicU64::new(0);
    runner()
        .run(&(json(), id, "[ -~]{0,40}"), |(body, id, key)| {
            rt.block_on(async {
                let learner = format!("fuzz-{}", enc(&id));
                let json = [("content-type", "application/json")];
                for (method, path) in [
                    ("POST", format!("/api/v1/learners/{learner}/events")),
                    ("PUT", format!("/api/v1/learners/{learner}/mastery")),
                    ("POST", format!("/api/v1/learners/{learner}/path")),
                ] {
                    let reply = send(state, method, &path, &json, body.to_string()).await;
                    sane(&reply, &format!("{method} {path} {body}"));
                }
                let next = send(
                    state,
                    "GET",
                    &format!("/api/v1/learners/{learner}/next?n={}", enc(&key)),
                    &[],
                    axum::body::Body::empty(),
                )
                .await;
                sane(&next, &key);
                if let Ok(value) = axum::http::HeaderValue::from_str(&key) {
                    let keyed = send(
                        state,
                        "GET",
                        "/api/v1/graph/stats",
                        &[("authorization", value.to_str().unwrap_or(""))],
                        axum::body::Body::empty(),
                    )
                    .await;
                    sane(&keyed, &key);
                }
            });
            n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Ok(())
        })
        .unwrap();
    eprintln!("fuzz learner bodies: {} cases (4 requests each), 0 failures", n.into_inner());
}
