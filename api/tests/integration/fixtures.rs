//! Shared fixtures: a data directory with the bundled demo graph, a router over it, and
//! request helpers that go through the router with `oneshot` (no socket).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::Value;
use tower::ServiceExt;
use tupu_api::{AppState, ServerConfig, app, open_graph, open_learners};
use tupu_recommend::RecommendConfig;

/// A data directory that lives as long as the fixture.
pub struct Fixture {
    pub state: AppState,
    pub _dir: tempfile::TempDir,
}

impl Fixture {
    /// A fresh on-disk data directory with the vocabulary and (when `demo`) the demo graph.
    pub fn new(demo: bool, config: ServerConfig) -> Self {
        Self::in_dir(tempfile::tempdir().unwrap(), demo, config)
    }

    /// The same in a data directory made beforehand (e.g. holding keys).
    pub fn in_dir(dir: tempfile::TempDir, demo: bool, config: ServerConfig) -> Self {
        let graph = open_graph(dir.path(), demo).unwrap();
        let learners = open_learners(dir.path(), RecommendConfig::default()).unwrap();
        Self { state: AppState::new(Arc::new(graph), Arc::new(learners), config), _dir: dir }
    }
}

/// The demo graph on disk, shared by every read-only test of this binary.
pub fn demo() -> &'static Fixture {
    static DEMO: OnceLock<Fixture> = OnceLock::new();
    DEMO.get_or_init(|| {
        Fixture::new(true, ServerConfig { query_timeout: Duration::from_secs(30), ..ServerConfig::default() })
    })
}

/// A response: status, content type and body text.
pub struct Reply {
    pub status: StatusCode,
    pub content_type: String,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// Asserts the status and returns the JSON body.
    pub fn expect(&self, status: StatusCode) -> Value {
        assert_eq!(self.status, status, "body: {}", self.body);
        self.json()
    }

    /// Asserts an error status and its stable code.
    pub fn expect_error(&self, status: StatusCode, code: &str) -> Value {
        let body = self.expect(status);
        assert_eq!(body["error"]["code"], code, "body: {}", self.body);
        assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
        body
    }
}

/// Sends one request through the router.
pub async fn send(state: &AppState, method: &str, uri: &str, headers: &[(&str, &str)], body: impl Into<Body>) -> Reply {
    let mut request = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = app(state.clone()).oneshot(request.body(body.into()).unwrap()).await.unwrap();
    let status = response.status();
    let content_type =
        response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    Reply { status, content_type, body: String::from_utf8(bytes.to_vec()).unwrap() }
}

pub async fn get(state: &AppState, uri: &str) -> Reply {
    send(state, "GET", uri, &[], Body::empty()).await
}

pub async fn post_json(state: &AppState, uri: &str, body: &Value) -> Reply {
    send(state, "POST", uri, &[("content-type", "application/json")], body.to_string()).await
}

pub async fn put_json(state: &AppState, uri: &str, body: &Value) -> Reply {
    send(state, "PUT", uri, &[("content-type", "application/json")], body.to_string()).await
}

/// Percent-encodes a path segment or query value.
pub fn enc(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The `id`s of a list of node references.
pub fn ids(list: &Value) -> Vec<String> {
    let mut out: Vec<String> = list.as_array().unwrap().iter().map(|x| x["id"].as_str().unwrap().to_owned()).collect();
    out.sort();
    out
}
