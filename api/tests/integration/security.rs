//! Safe to expose: no request crashes, stalls or wipes the server; keys, roles and tenants;
//! every rejection is the JSON error body.

use std::collections::HashMap;
use std::time::Duration;

use axum::body::Body;
use axum::http::StatusCode;
use tupu_api::ServerConfig;
use tupu_api::auth::{KeyStore, Role};

use crate::fixtures::{Fixture, Reply, demo, enc, get, post_json, put_json, send};

async fn query(state: &tupu_api::AppState, q: &str) -> Reply {
    send(state, "POST", "/sparql", &[("content-type", "application/sparql-query")], q.to_owned()).await
}

async fn update(state: &tupu_api::AppState, u: &str, headers: &[(&str, &str)]) -> Reply {
    let mut all = vec![("content-type", "application/sparql-update")];
    all.extend_from_slice(headers);
    send(state, "POST", "/sparql", &all, u.to_owned()).await
}

async fn alive(state: &tupu_api::AppState) {
    get(state, "/health").await.expect(StatusCode::OK);
}

#[tokio::test]
async fn queries_that_used_to_overflow_the_stack_are_refused_by_limit() {
    let state = &demo().state;
    let nest = |open: &str, close: &str, n: usize| format!("SELECT * WHERE {}{}", open.repeat(n), close.repeat(n));
    let union = vec!["{ ?s ?p ?o }"; 1000].join(" UNION ");
    let nested_optional =
        format!("SELECT * WHERE {{ ?s ?p ?o {} }}", "OPTIONAL { ?s ?p ?o ".repeat(1000) + &"}".repeat(1000));
    let flat_optional = format!("SELECT * WHERE {{ ?s ?p ?o {} }}", " OPTIONAL { ?s ?p ?o }".repeat(1000));
    let path = vec!["<http://e/p>"; 10_000].join("/");
    let nested_path = format!("{}<http://e/p>{}", "(".repeat(10_000), ")".repeat(10_000));
    let not = "!".repeat(10_000);
    for (q, limit) in [
        (nest("{", "}", 1000), "max_depth"),
        (nest("(", ")", 1000), "max_depth"),
        (format!("SELECT * WHERE {{ {union} }}"), "max_branches"),
        (nested_optional, "max_depth"),
        (flat_optional, "max_branches"),
        (format!("SELECT * WHERE {{ ?s {path} ?o }}"), "max_operators"),
        (format!("SELECT * WHERE {{ ?s {nested_path} ?o }}"), "max_depth"),
        (format!("SELECT * WHERE {{ ?s ?p ?o FILTER({not}true) }}"), "max_operators"),
    ] {
        let body = query(state, &q).await.expect_error(StatusCode::BAD_REQUEST, "query_too_complex");
        assert_eq!(body["error"]["details"]["limit"], limit, "{}", &q[..60]);
        assert!(body["error"]["message"].as_str().unwrap().contains(limit));
        alive(state).await;
    }
    let groups = format!("DELETE {{ ?s ?p ?o }} WHERE {}?s ?p ?o{}", "{".repeat(10_000), "}".repeat(10_000));
    update(state, &groups, &[]).await.expect_error(StatusCode::BAD_REQUEST, "query_too_complex");
    alive(state).await;
    // Just inside the limits: parsed and evaluated on the large stack, answered.
    let deep = format!("SELECT * WHERE {}?s ?p ?o{} LIMIT 1", "{".repeat(60), "}".repeat(60));
    query(state, &deep).await.expect(StatusCode::OK);
    let wide = vec!["{ ?s a ?o }"; 250].join(" UNION ");
    query(state, &format!("SELECT * WHERE {{ {wide} }} LIMIT 1")).await.expect(StatusCode::OK);
}

const RUNAWAYS: [&str; 4] = [
    "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f",
    "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
    "SELECT (GROUP_CONCAT(STR(?c)) AS ?all) WHERE { ?a ?b ?c . ?d ?e ?f } GROUP BY ?a",
];

#[tokio::test]
async fn runaway_queries_stop_at_the_deadline() {
    let fixture = Fixture::new(
        true,
        ServerConfig { query_timeout: Duration::from_millis(300), max_query_rows: u64::MAX, ..ServerConfig::default() },
    );
    for q in RUNAWAYS {
        query(&fixture.state, q).await.expect_error(StatusCode::SERVICE_UNAVAILABLE, "query_timeout");
    }
    alive(&fixture.state).await;
}

#[tokio::test]
async fn runaway_queries_stop_at_the_row_budget() {
    let fixture = Fixture::new(
        true,
        ServerConfig { query_timeout: Duration::from_secs(60), max_query_rows: 10_000, ..ServerConfig::default() },
    );
    // Two-way products: the guard sits above the join that makes them. (A three-way product's
    // inner join is built before any row reaches a guard: the deadline stops it.)
    for q in [RUNAWAYS[0], RUNAWAYS[3]] {
        let body = query(&fixture.state, q).await.expect_error(StatusCode::BAD_REQUEST, "row_budget_exceeded");
        assert!(body["error"]["message"].as_str().unwrap().contains("10000"));
    }
    // An ordinary query is untouched by the guard.
    let count = "PREFIX tupu: <https://w3id.org/tupu/ns#> SELECT (COUNT(*) AS ?n) WHERE { ?a tupu:requires ?b }";
    let body = query(&fixture.state, count).await.expect(StatusCode::OK);
    assert_eq!(body["results"]["bindings"][0]["n"]["value"], "3751");
    // A runaway update stops the same way and changes nothing.
    let u =
        "INSERT { GRAPH <https://w3id.org/tupu/graph/x> { ?a <https://e.org/p> ?d } } WHERE { ?a ?b ?c . ?d ?e ?f }";
    update(&fixture.state, u, &[]).await.expect_error(StatusCode::BAD_REQUEST, "row_budget_exceeded");
    let body = query(&fixture.state, count).await.expect(StatusCode::OK);
    assert_eq!(body["results"]["bindings"][0]["n"]["value"], "3751");
}

/// A runaway update holds the write lock only until its deadline: a small write sent while it
/// runs is applied once the runaway is cancelled, and the runaway changes nothing.
#[tokio::test(flavor = "multi_thread")]
async fn a_runaway_update_holds_other_writers_only_until_its_deadline() {
    let fixture = Fixture::new(
        true,
        ServerConfig { query_timeout: Duration::from_millis(400), max_query_rows: u64::MAX, ..ServerConfig::default() },
    );
    let runaway = {
        let state = fixture.state.clone();
        tokio::spawn(async move {
            let u = "INSERT { GRAPH <https://w3id.org/tupu/graph/x> { ?a <https://e.org/p> ?g } } \
                     WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }";
            update(&state, u, &[]).await
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let small = "INSERT DATA { GRAPH <https://w3id.org/tupu/graph/y> { <https://e.org/a> <https://e.org/b> 1 } }";
    // The small write comes from a client with a deadline of its own long enough to wait for
    // the lock and then commit on a loaded machine; the runaway's deadline is what bounds the wait.
    let mut patient = fixture.state.clone();
    patient.config =
        std::sync::Arc::new(ServerConfig { query_timeout: Duration::from_secs(30), ..(*patient.config).clone() });
    // A liveness guard, not a speed test: without the deadline the small write would wait for
    // the runaway's whole evaluation (minutes).
    let written = tokio::time::timeout(Duration::from_secs(60), update(&patient, small, &[]))
        .await
        .expect("the small write waited past the runaway update's deadline");
    written.expect(StatusCode::OK);
    runaway.await.unwrap().expect_error(StatusCode::SERVICE_UNAVAILABLE, "query_timeout");
    let ask = |g: &str| format!("ASK {{ GRAPH <https://w3id.org/tupu/graph/{g}> {{ ?s ?p ?o }} }}");
    assert_eq!(query(&fixture.state, &ask("y")).await.expect(StatusCode::OK)["boolean"], true);
    assert_eq!(query(&fixture.state, &ask("x")).await.expect(StatusCode::OK)["boolean"], false);
}

#[tokio::test]
async fn results_and_updates_are_capped() {
    let fixture =
        Fixture::new(true, ServerConfig { max_result_bytes: 10_000, max_update_quads: 10, ..ServerConfig::default() });
    query(&fixture.state, "SELECT * WHERE { ?s ?p ?o }")
        .await
        .expect_error(StatusCode::PAYLOAD_TOO_LARGE, "result_too_large");
    let u = "INSERT { GRAPH <https://w3id.org/tupu/graph/x> { ?s <https://e.org/p> 1 } } WHERE { ?s a <https://w3id.org/tupu/ns#KnowledgePoint> }";
    update(&fixture.state, u, &[]).await.expect_error(StatusCode::PAYLOAD_TOO_LARGE, "update_too_large");
}

#[tokio::test]
async fn system_graphs_and_whole_graph_operations_need_an_admin() {
    let fixture = Fixture::new(true, ServerConfig::default());
    let state = &fixture.state;
    for u in [
        "DROP ALL",
        "CLEAR ALL",
        "DROP GRAPH <https://w3id.org/tupu/graph/shapes>",
        "DROP GRAPH <https://w3id.org/tupu/graph/chalkbase>",
    ] {
        update(state, u, &[]).await.expect_error(StatusCode::FORBIDDEN, "admin_required");
    }
    for g in ["tupu", "shapes", "meta"] {
        let u = format!(
            "INSERT DATA {{ GRAPH <https://w3id.org/tupu/graph/{g}> {{ <https://e.org/a> <https://e.org/b> 1 }} }}"
        );
        update(state, &u, &[]).await.expect_error(StatusCode::FORBIDDEN, "admin_required");
    }
    let u = "DELETE WHERE { GRAPH <https://w3id.org/tupu/graph/shapes> { ?s ?p ?o } }";
    update(state, u, &[]).await.expect_error(StatusCode::FORBIDDEN, "admin_required");
    // Nothing was dropped: shapes still reject invalid data.
    let shapes = "ASK { GRAPH <https://w3id.org/tupu/graph/shapes> { ?s ?p ?o } }";
    assert_eq!(query(state, shapes).await.expect(StatusCode::OK)["boolean"], true);
}

#[tokio::test]
async fn browsers_cannot_write_for_another_site() {
    let fixture = Fixture::new(false, ServerConfig::default());
    let state = &fixture.state;
    let form = [("content-type", "application/x-www-form-urlencoded")];
    send(state, "POST", "/sparql", &form, "update=DROP%20ALL")
        .await
        .expect_error(StatusCode::FORBIDDEN, "cross_site_request");
    let cross = [("content-type", "application/sparql-update"), ("sec-fetch-site", "cross-site")];
    send(state, "POST", "/sparql", &cross, "INSERT DATA {}")
        .await
        .expect_error(StatusCode::FORBIDDEN, "cross_site_request");
    let origin = [("content-type", "application/json"), ("origin", "https://evil.example")];
    send(state, "POST", "/api/v1/learners/ana/events", &origin, "[]")
        .await
        .expect_error(StatusCode::FORBIDDEN, "cross_site_request");
    let plain = [("content-type", "text/plain")];
    send(state, "POST", "/api/v1/learners/ana/events", &plain, "[]")
        .await
        .expect_error(StatusCode::FORBIDDEN, "cross_site_request");
    // DNS rebinding: a foreign Host is refused; the loopback names are served.
    send(state, "GET", "/health", &[("host", "evil.example:7878")], Body::empty())
        .await
        .expect_error(StatusCode::FORBIDDEN, "host_not_allowed");
    for host in ["localhost:7878", "127.0.0.1", "[::1]:80"] {
        send(state, "GET", "/health", &[("host", host)], Body::empty()).await.expect(StatusCode::OK);
    }
    // The form query of the SPARQL protocol still works.
    let q = format!("query={}", enc("ASK {}"));
    send(state, "POST", "/sparql", &form, q).await.expect(StatusCode::OK);
}

#[tokio::test]
async fn non_finite_numbers_and_future_times_are_refused() {
    let fixture = Fixture::new(true, ServerConfig::default());
    let state = &fixture.state;
    let kp = "<https://w3id.org/tupu/chalkbase/kp.gg.三角形.angle_sum>";
    for (p, v) in [
        ("difficulty", "\"NaN\"^^<http://www.w3.org/2001/XMLSchema#decimal>"),
        ("learningMinutes", "\"INF\"^^<http://www.w3.org/2001/XMLSchema#double>"),
        ("bktPrior", "\"NaN\"^^<http://www.w3.org/2001/XMLSchema#double>"),
        ("bktSlip", "\"-INF\""),
    ] {
        let u = format!(
            "INSERT DATA {{ GRAPH <https://w3id.org/tupu/graph/chalkbase> {{ {kp} <https://w3id.org/tupu/ns#{p}> {v} }} }}"
        );
        let body = update(state, &u, &[]).await.expect_error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        let codes: Vec<&str> =
            body["error"]["details"].as_array().unwrap().iter().filter_map(|d| d["code"].as_str()).collect();
        assert!(codes.contains(&"invalid_input"), "{p}: {codes:?}");
    }
    let events =
        serde_json::json!([{"node": "kp.gg.三角形.angle_sum", "correct": true, "timestamp": "2099-01-01T00:00:00Z"}]);
    let body = post_json(state, "/api/v1/learners/ana/events", &events)
        .await
        .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_events");
    assert_eq!(body["error"]["details"][0]["field"], "timestamp");
    put_json(state, "/api/v1/learners/ana/mastery", &serde_json::json!({"mastery": {"kp.gg.三角形.angle_sum": 1e39}}))
        .await
        .expect_error(StatusCode::BAD_REQUEST, "invalid_mastery");
    // Emptying a learner needs saying so.
    put_json(state, "/api/v1/learners/ana/mastery", &serde_json::json!({"mastery": {}}))
        .await
        .expect_error(StatusCode::BAD_REQUEST, "empty_mastery");
    put_json(state, "/api/v1/learners/ana/mastery", &serde_json::json!({"mastery": {}, "clear": true}))
        .await
        .expect(StatusCode::OK);
}

#[tokio::test]
async fn every_rejection_before_a_handler_is_json() {
    let fixture = Fixture::new(false, ServerConfig { max_body_bytes: 4 * 1024 * 1024, ..ServerConfig::default() });
    let state = &fixture.state;
    get(state, "/no/such/route").await.expect_error(StatusCode::NOT_FOUND, "route_not_found");
    let wrong = send(state, "DELETE", "/health", &[], Body::empty()).await;
    wrong.expect_error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    get(state, "/api/v1/learners/ana/next?n=abc").await.expect_error(StatusCode::BAD_REQUEST, "invalid_request");
    get(state, "/api/v1/nodes/%FF%FE").await.expect_error(StatusCode::BAD_REQUEST, "invalid_request");
    let json = [("content-type", "application/json")];
    send(state, "POST", "/api/v1/learners/ana/events", &json, "{not json")
        .await
        .expect_error(StatusCode::BAD_REQUEST, "invalid_body");
    let long = format!("/sparql?query={}", "x".repeat(40 * 1024));
    get(state, &long).await.expect_error(StatusCode::URI_TOO_LONG, "uri_too_long");
    let big = "y".repeat(70 * 1024);
    send(state, "GET", "/health", &[("x-big", &big)], Body::empty())
        .await
        .expect_error(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "headers_too_large");
    // The configured limit is the limit: 3 MiB passes (axum's own default is 2 MiB)...
    let padded = format!("ASK {{}} #{}", "x".repeat(3 * 1024 * 1024));
    send(state, "POST", "/sparql", &[("content-type", "application/sparql-query")], padded)
        .await
        .expect(StatusCode::OK);
    // ... and 5 MiB does not.
    let big = format!("ASK {{}} #{}", "x".repeat(5 * 1024 * 1024));
    let body = send(state, "POST", "/sparql", &[("content-type", "application/sparql-query")], big)
        .await
        .expect_error(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large");
    assert!(body["error"]["message"].as_str().unwrap().contains("4194304"));
}

/// A keyed server: one key per role (the app key of tenant `school-a`), a second app key of
/// tenant `school-b`, and an employment key of tenant `school-a`.
struct Keyed {
    fixture: Fixture,
    keys: HashMap<Role, String>,
    other_tenant: String,
    tenant_employment: String,
}

fn keyed(demo: bool) -> Keyed {
    let dir = tempfile::tempdir().unwrap();
    let store = KeyStore::in_dir(dir.path()).unwrap();
    let mut keys = HashMap::new();
    for role in Role::ALL {
        let tenant = (role == Role::App).then_some("school-a");
        keys.insert(role, store.create(role, tenant).unwrap().0);
    }
    let other_tenant = store.create(Role::App, Some("school-b")).unwrap().0;
    let tenant_employment = store.create(Role::Employment, Some("school-a")).unwrap().0;
    let config = ServerConfig { keys_file: Some(dir.path().join("keys.json")), ..ServerConfig::default() };
    Keyed { fixture: Fixture::in_dir(dir, demo, config), keys, other_tenant, tenant_employment }
}

#[tokio::test]
async fn the_role_matrix() {
    use Role::*;
    const ANY: &[Role] = &Role::ALL;
    let k = keyed(false);
    let state = &k.fixture.state;
    let routes: &[(&str, &str, &[Role])] = &[
        ("GET", "/sparql?query=ASK%7B%7D", ANY),
        ("POST", "/sparql", &[Admin, Designer]),
        ("GET", "/api/v1/graph/stats", ANY),
        ("GET", "/api/v1/nodes/x", ANY),
        ("GET", "/api/v1/nodes/x/prerequisites", ANY),
        ("POST", "/api/v1/nodes", &[Admin, Designer]),
        ("PUT", "/api/v1/nodes/x", &[Admin, Designer]),
        ("GET", "/api/v1/search?q=a", ANY),
        ("GET", "/api/v1/suggest?q=a", ANY),
        ("POST", "/api/v1/link", ANY),
        ("GET", "/api/v1/occupations/x", ANY),
        ("GET", "/api/v1/majors/x", ANY),
        ("GET", "/api/v1/openapi.json", ANY),
        ("GET", "/api/v1/history", ANY),
        ("POST", "/api/v1/history/revert", &[Admin, Designer]),
        ("GET", "/api/v1/validate", ANY),
        ("GET", "/api/v1/drafts", &[Admin, Designer, Reviewer]),
        ("POST", "/api/v1/drafts", &[Admin, Designer]),
        ("POST", "/api/v1/drafts/1/approve", &[Admin, Reviewer]),
        ("POST", "/api/v1/drafts/1/reject", &[Admin, Reviewer]),
        ("GET", "/api/v1/releases", ANY),
        ("POST", "/api/v1/releases", &[Admin, Designer]),
        ("POST", "/api/v1/impact", &[Admin, Designer]),
        ("POST", "/api/v1/import", &[Admin, Designer]),
        ("POST", "/api/v1/import?format=csv&graph=matrix", &[Admin, Designer]),
        ("GET", "/api/v1/learners/ana/mastery", &[Admin, App]),
        ("GET", "/api/v1/learners/ana/next", &[Admin, App]),
        ("POST", "/api/v1/learners/ana/events", &[Admin, App]),
        ("DELETE", "/api/v1/learners/ana", &[Admin, App]),
        ("POST", "/api/v1/match/occupations", &[Admin, Employment]),
        ("GET", "/api/v1/gap", &[Admin, Employment]),
        ("GET", "/api/v1/reports/skills", &[Admin, Employment]),
        ("GET", "/metrics", &[Admin]),
        ("GET", "/api/v1/admin/backup", &[Admin]),
        ("GET", "/api/v1/not-yet-written", &[Admin]),
    ];
    get(state, "/health").await.expect(StatusCode::OK);
    for &(method, uri, allowed) in routes {
        let body = if uri == "/sparql" { "INSERT DATA {}" } else { "[]" };
        let ct = if uri == "/sparql" { "application/sparql-update" } else { "application/json" };
        let none = send(state, method, uri, &[("content-type", ct)], body.to_owned()).await;
        none.expect_error(StatusCode::UNAUTHORIZED, "unauthorized");
        for role in Role::ALL {
            let auth = format!("Bearer {}", k.keys[&role]);
            let reply =
                send(state, method, uri, &[("content-type", ct), ("authorization", &auth)], body.to_owned()).await;
            if allowed.contains(&role) {
                assert!(
                    reply.status != StatusCode::UNAUTHORIZED && reply.status != StatusCode::FORBIDDEN,
                    "{method} {uri} as {}: {} {}",
                    role.name(),
                    reply.status,
                    reply.body
                );
            } else {
                assert_eq!(reply.status, StatusCode::FORBIDDEN, "{method} {uri} as {}: {}", role.name(), reply.body);
                assert_eq!(reply.json()["error"]["code"], "forbidden");
            }
        }
    }
    let bad = send(state, "GET", "/api/v1/graph/stats", &[("authorization", "Bearer tupu_0000")], Body::empty()).await;
    bad.expect_error(StatusCode::UNAUTHORIZED, "unauthorized");
    let by_header = send(state, "GET", "/api/v1/graph/stats", &[("x-api-key", &k.keys[&Reader])], Body::empty()).await;
    by_header.expect(StatusCode::OK);
}

#[tokio::test]
async fn learners_of_one_tenant_are_invisible_to_another() {
    let k = keyed(true);
    let state = &k.fixture.state;
    let a = format!("Bearer {}", k.keys[&Role::App]);
    let b = format!("Bearer {}", k.other_tenant);
    let json = ("content-type", "application/json");
    let events = serde_json::json!([{"node": "kp.gg.三角形.angle_sum", "correct": true}]).to_string();
    send(state, "POST", "/api/v1/learners/ana/events", &[json, ("authorization", &a)], events)
        .await
        .expect(StatusCode::OK);
    let mine = send(state, "GET", "/api/v1/learners/ana/mastery", &[("authorization", &a)], Body::empty()).await;
    let theirs = send(state, "GET", "/api/v1/learners/ana/mastery", &[("authorization", &b)], Body::empty()).await;
    let count = |r: &Reply| r.expect(StatusCode::OK)["nodes"].as_array().map_or(0, Vec::len);
    assert!(count(&mine) > 0, "{}", mine.body);
    assert_eq!(count(&theirs), 0, "{}", theirs.body);
    // Tenant B cannot reach A's learner by writing A's namespace into the id either.
    let forged =
        send(state, "GET", "/api/v1/learners/school-a%3Aana/mastery", &[("authorization", &b)], Body::empty()).await;
    assert_eq!(count(&forged), 0, "{}", forged.body);
}

#[tokio::test]
async fn a_graduate_given_by_a_learner_id_is_looked_up_in_the_callers_tenant() {
    let k = keyed(true);
    let state = &k.fixture.state;
    let json = ("content-type", "application/json");
    let app = format!("Bearer {}", k.keys[&Role::App]);
    let events = serde_json::json!([{"node": "kp.sp.分类与整理.single_standard", "correct": true}]).to_string();
    send(state, "POST", "/api/v1/learners/ana/events", &[json, ("authorization", &app)], events)
        .await
        .expect(StatusCode::OK);
    let matching = |key: &str, learner: &str| {
        let auth = format!("Bearer {key}");
        let body =
            serde_json::json!({"post": {"competencies": [{"id": "cs.sp.s1.02"}]}, "graduates": [{"learner": learner}]});
        async move {
            send(state, "POST", "/api/v1/match/post-graduates", &[json, ("authorization", &auth)], body.to_string())
                .await
        }
    };
    // An employment key of the learner's tenant names the learner as the app does.
    let r = matching(&k.tenant_employment, "ana").await.expect(StatusCode::OK);
    assert!(r["matches"][0]["score"].as_f64().unwrap() > 0.0, "{r}");
    // An employment key without a tenant could name any tenant's learner, so it names none.
    matching(&k.keys[&Role::Employment], "ana").await.expect_error(StatusCode::FORBIDDEN, "forbidden");
    // An admin key without a tenant resolves ids as the learner routes do for it.
    let admin = &k.keys[&Role::Admin];
    matching(admin, "ana").await.expect_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    matching(admin, "school-a:ana").await.expect(StatusCode::OK);
}

#[tokio::test]
async fn an_admin_key_may_drop_graphs_and_a_designer_may_not() {
    let k = keyed(false);
    let state = &k.fixture.state;
    let designer = format!("Bearer {}", k.keys[&Role::Designer]);
    let tiny = "INSERT DATA { GRAPH <https://w3id.org/tupu/graph/tiny> { <https://example.org/k/count> a <https://w3id.org/tupu/ns#KnowledgePoint> ; <http://www.w3.org/2004/02/skos/core#prefLabel> \"数数\"@zh } }";
    update(state, tiny, &[("authorization", &designer)]).await.expect(StatusCode::OK);
    let drop = "DROP GRAPH <https://w3id.org/tupu/graph/tiny>";
    update(state, drop, &[("authorization", &designer)]).await.expect_error(StatusCode::FORBIDDEN, "admin_required");
    let admin = format!("Bearer {}", k.keys[&Role::Admin]);
    let report = update(state, drop, &[("authorization", &admin)]).await.expect(StatusCode::OK);
    assert_eq!(report["removed"], 2);
    // A keyed form update is accepted (a web page cannot add the key).
    let form = [("content-type", "application/x-www-form-urlencoded"), ("authorization", &admin)];
    send(state, "POST", "/sparql", &form, format!("update={}", enc("INSERT DATA {}"))).await.expect(StatusCode::OK);
}

/// Collects what is logged, at every level, while it lives.
#[derive(Clone, Default)]
struct LogSink(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn learner_ids_are_pseudonymised_exported_and_erased() {
    let secret = tupu_api::privacy::LearnerSecret::new([7; 32]);
    let fixture = Fixture::new(true, ServerConfig { learner_secret: Some(secret.clone()), ..ServerConfig::default() });
    let state = &fixture.state;
    let sink = LogSink::default();
    let writer = sink.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _logging = tracing::subscriber::set_default(subscriber);
    let learner = "li-lei-2014";
    let events = serde_json::json!([{"node": "kp.gg.三角形.angle_sum", "correct": true}]);
    let reply = post_json(state, &format!("/api/v1/learners/{learner}/events"), &events).await.expect(StatusCode::OK);
    assert_eq!(reply["learner"], learner, "the answer names the learner as sent");
    let mastery = get(state, &format!("/api/v1/learners/{learner}/mastery")).await.expect(StatusCode::OK);
    assert_eq!(mastery["learner"], learner);
    // The store knows only the pseudonym.
    let mut stored = Vec::new();
    state.learners.store().each_event(&mut |id, _| stored.push(id.to_owned())).unwrap();
    assert_eq!(stored, vec![secret.pseudonym(learner)]);
    // Export: everything held.
    let export = get(state, &format!("/api/v1/learners/{learner}/export")).await.expect(StatusCode::OK);
    assert_eq!(export["learner"], learner);
    assert_eq!(export["events"].as_array().unwrap().len(), 1);
    assert!(!export["mastery"].as_array().unwrap().is_empty());
    let pseudonym = secret.pseudonym(learner);
    let files = [fixture._dir.path().join("learners.redb"), fixture._dir.path().join("learners.redb.wal")];
    let held =
        || files.iter().any(|f| std::fs::read(f).unwrap().windows(pseudonym.len()).any(|w| w == pseudonym.as_bytes()));
    assert!(held(), "the learner's rows are stored under the pseudonym");
    send(state, "DELETE", &format!("/api/v1/learners/{learner}"), &[], Body::empty()).await;
    let export = get(state, &format!("/api/v1/learners/{learner}/export")).await.expect(StatusCode::OK);
    assert!(export["events"].as_array().unwrap().is_empty() && export["mastery"].as_array().unwrap().is_empty());
    // Nothing of the learner is left in the store file or its log, free pages included.
    assert!(!held(), "the erased learner's pseudonym is still in the learner store's files");
    let logs = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("/api/v1/learners/p_"), "request spans are logged, with the pseudonym: {logs}");
    assert!(!logs.contains(learner), "a learner id reached the log: {logs}");
}
