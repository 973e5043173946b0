//! Mastery across versions, over a real server on a socket: a learner's evidence on a node
//! counts for its replacement as soon as the node is deprecated in favour of it, and goes back
//! to the node when the deprecation is reverted.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use serde_json::{Value, json};
use tupu_api::{ServeOptions, ServerConfig, serve_on};
use tupu_graph::{NodeKind, Relation};

use crate::fixtures::{Fixture, enc};

/// One HTTP/1.1 request on a fresh connection: the status and the JSON body.
fn http(addr: SocketAddr, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let body = body.map(Value::to_string).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).unwrap();
    let reply = String::from_utf8(reply).unwrap();
    let status = reply[9..12].parse().unwrap();
    let (head, rest) = reply.split_once("\r\n\r\n").unwrap();
    // Bodies may come chunked: join the chunks.
    let text = if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        let mut out = String::new();
        let mut rest = rest;
        while let Some((size, tail)) = rest.split_once("\r\n") {
            let size = usize::from_str_radix(size.trim(), 16).unwrap();
            if size == 0 {
                break;
            }
            out.push_str(&tail[..size]);
            rest = &tail[size + 2..];
        }
        out
    } else {
        rest.to_owned()
    };
    (status, serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}")))
}

/// Requests on a blocking thread, so the server task keeps running.
async fn call(addr: SocketAddr, method: &'static str, path: String, body: Option<Value>) -> Value {
    let shown = path.clone();
    let (status, json) = tokio::task::spawn_blocking(move || http(addr, method, &path, body.as_ref())).await.unwrap();
    assert_eq!(status, 200, "{method} {shown}: {json}");
    json
}

/// The learner's mastery rows by node IRI.
async fn mastery(addr: SocketAddr, learner: &str) -> Vec<Value> {
    call(addr, "GET", format!("/api/v1/learners/{learner}/mastery"), None).await["nodes"].as_array().unwrap().clone()
}

fn row<'a>(rows: &'a [Value], iri: &str) -> Option<&'a Value> {
    rows.iter().find(|r| r["iri"] == iri)
}

#[tokio::test(flavor = "multi_thread")]
async fn mastery_of_a_replaced_node_carries_to_its_replacement_until_reverted() {
    let fixture = Fixture::new(true, ServerConfig::default());
    let s = fixture.state.graph.snapshot();
    // A knowledge point that a lesson teaches.
    let old =
        s.nodes().find(|&n| s.kind(n) == NodeKind::KnowledgePoint && !s.inc(n, Relation::Teaches).is_empty()).unwrap();
    let (old, lesson) = (s.iri(old).to_owned(), s.iri(s.inc(old, Relation::Teaches)[0].node).to_owned());
    drop(s);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve_on(listener, fixture.state.clone(), ServeOptions::default(), async move {
        let _ = stopped.await;
    }));

    // A new point, then evidence on the old one.
    call(
        addr,
        "POST",
        "/api/v1/edits".to_owned(),
        Some(json!({"author": "ana", "edits": [{"op": "create", "id": "kp.replacement", "labels": {"en": "Replacement", "zh": "替代"}}]})),
    )
    .await;
    let new = {
        let s = fixture.state.graph.snapshot();
        s.iri(s.resolve("kp.replacement").unwrap()).to_owned()
    };
    let events =
        json!([{"node": old, "correct": true}, {"node": old, "correct": true}, {"node": old, "correct": true}]);
    call(addr, "POST", "/api/v1/learners/lin/events".to_owned(), Some(events)).await;
    let before = mastery(addr, "lin").await;
    let own = row(&before, &old).unwrap().clone();
    assert!(own["mastery"].as_f64().unwrap() > 0.5, "{own}");
    assert!(row(&before, &new).is_none());

    // Deprecated in favour of the new point: the new point shows the evidence at once.
    let deprecated = call(
        addr,
        "POST",
        "/api/v1/edits".to_owned(),
        Some(json!({"author": "ana", "message": "superseded", "edits": [{"op": "deprecate", "node": old, "replaced_by": new}]})),
    )
    .await;
    let version = deprecated["version"].as_u64().unwrap();
    let after = mastery(addr, "lin").await;
    let carried = row(&after, &new).unwrap_or_else(|| panic!("no row for the replacement: {after:?}"));
    assert_eq!(carried["mastery"], own["mastery"]);
    assert_eq!(carried["attempts"], 3);
    assert_eq!(carried["carried_from"], old.as_str());
    let predicted =
        call(addr, "GET", format!("/api/v1/learners/lin/predict?node={}&node={}", enc(&new), enc(&old)), None).await;
    assert_eq!(predicted["predictions"][0]["mastery"], own["mastery"]);
    assert_eq!(predicted["predictions"][0]["attempts"], 3);
    // The replaced point is not recommended any more; its lesson teaches the replacement.
    let next = call(addr, "GET", "/api/v1/learners/lin/next?n=50".to_owned(), None).await;
    assert!(next["items"].as_array().unwrap().iter().all(|i| i["iri"] != old.as_str()), "{next}");
    let aimed = call(addr, "GET", format!("/api/v1/learners/lin/next?n=3&goal={}", enc(&old)), None).await;
    assert_eq!(aimed["goals"][0]["iri"], new.as_str(), "a goal on the replaced point leads to its replacement");
    let s = fixture.state.graph.snapshot();
    let taught = tupu_recommend::resources_for(&s, s.node_by_iri(&new).unwrap(), usize::MAX);
    assert!(taught.iter().any(|&r| s.iri(r) == lesson), "{taught:?}");
    drop(s);

    // Reverted: the evidence is the old point's alone again.
    call(addr, "POST", format!("/api/v1/history/{version}/revert"), Some(json!({"author": "bo"}))).await;
    let reverted = mastery(addr, "lin").await;
    assert!(row(&reverted, &new).is_none(), "{reverted:?}");
    assert_eq!(row(&reverted, &old).unwrap()["mastery"], own["mastery"]);
    let predicted = call(addr, "GET", format!("/api/v1/learners/lin/predict?node={}", enc(&new)), None).await;
    assert_eq!(predicted["predictions"][0]["attempts"], 0);

    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}
