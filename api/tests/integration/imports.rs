//! CASE and CSV imports over HTTP: all or nothing, faults named by JSON path or line.

use axum::http::StatusCode;
use serde_json::json;
use tupu_api::ServerConfig;

use crate::fixtures::{Fixture, get, send};

async fn import(f: &Fixture, query: &str, body: &str) -> crate::fixtures::Reply {
    send(&f.state, "POST", &format!("/api/v1/import?{query}"), &[("content-type", "application/json")], body.to_owned())
        .await
}

fn package(statement: serde_json::Value) -> String {
    json!({ "CFPackage": {
        "CFDocument": { "identifier": "doc-1", "uri": "https://example.org/case/doc-1", "title": "Number sense" },
        "CFItems": [
            { "identifier": "count", "uri": "https://example.org/case/count", "fullStatement": "Counts to 100" },
            { "identifier": "add", "uri": "https://example.org/case/add", "fullStatement": statement }],
        "CFAssociations": [
            { "identifier": "p1", "associationType": "precedes",
              "originNodeURI": { "identifier": "count", "uri": "https://example.org/case/count" },
              "destinationNodeURI": { "identifier": "add", "uri": "https://example.org/case/add" } }] } })
    .to_string()
}

#[tokio::test]
async fn case_and_csv_import_over_http_all_or_nothing() {
    let f = Fixture::new(false, ServerConfig::default());
    let version = f.state.graph.version();

    // A malformed CASE item: refused with its JSON path, nothing applied.
    let bad = import(&f, "format=case&graph=case-demo", &package(json!(7))).await;
    let body = bad.expect_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_import");
    assert_eq!(body["error"]["details"][0]["location"]["field"], "$.CFPackage.CFItems[1].fullStatement", "{body}");
    assert_eq!(f.state.graph.version(), version);

    // A whole package: one commit, recorded under its author.
    let done = import(&f, "format=case&graph=case-demo&author=ana", &package(json!("Adds within 20"))).await;
    let done = done.expect(StatusCode::OK);
    assert_eq!(done["version"], version + 1);
    assert!(done["added"].as_u64().unwrap() > 5, "{done}");
    let node = get(&f.state, "/api/v1/nodes/add").await.expect(StatusCode::OK);
    assert!(node.to_string().contains("Adds within 20"), "{node}");
    let history = get(&f.state, "/api/v1/history?author=ana").await.expect(StatusCode::OK);
    assert_eq!(history["commits"][0]["version"], version + 1);

    // A CSV row with a grade that is not a number fails with its line; the good rows are not
    // applied.
    let csv = "code,label_zh,label_en,prerequisites,grade\nN.1,数数,Counting,,1\nN.2,加法,Addition,N.1,two\n";
    let bad = import(&f, "format=csv&graph=csv-demo", csv).await;
    let body = bad.expect_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_import");
    assert_eq!(body["error"]["details"][0]["location"]["line"], 3, "{body}");
    assert_eq!(f.state.graph.version(), version + 1);
    let good = import(&f, "format=csv&graph=csv-demo", &csv.replace("two", "2")).await.expect(StatusCode::OK);
    assert_eq!(good["version"], version + 2);
    get(&f.state, "/api/v1/nodes/N.2").await.expect(StatusCode::OK);

    // Parameters: the format and the graph are required, and only CASE and CSV are read here.
    import(&f, "graph=x", csv).await.expect_error(StatusCode::BAD_REQUEST, "missing_parameter");
    import(&f, "format=csv", csv).await.expect_error(StatusCode::BAD_REQUEST, "missing_parameter");
    import(&f, "format=turtle&graph=x", csv).await.expect_error(StatusCode::BAD_REQUEST, "invalid_parameter");
    import(&f, "format=csv&graph=x", " ").await.expect_error(StatusCode::BAD_REQUEST, "invalid_body");
    assert_eq!(f.state.graph.version(), version + 2);
}
