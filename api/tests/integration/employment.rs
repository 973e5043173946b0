//! Employment matching over HTTP on the bundled employment demo: graduates to posts,
//! occupations to majors, and the programmes that close a gap.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::fixtures::{demo, enc, get, post_json};

const SOFTWARE_ENGINEERING: &str = "https://w3id.org/tupu/cn-major/080902";
const SOFTWARE_DEVELOPER: &str = "https://w3id.org/tupu/csco/2-02-10-03";
const DATA_SCIENTIST: &str = "https://w3id.org/tupu/csco/2-02-38-03";

fn labels(matches: &Value) -> Vec<String> {
    matches.as_array().unwrap().iter().map(|m| m["target"]["label_en"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn a_software_engineering_graduate_gets_software_posts_first_with_a_breakdown() {
    let body = json!({"graduate": {"major": SOFTWARE_ENGINEERING}, "k": 10});
    let r = post_json(&demo().state, "/api/v1/match/graduate-posts", &body).await.expect(StatusCode::OK);
    let matches = &r["matches"];
    let names = labels(matches);
    assert_eq!(names.len(), 10, "{names:?}");
    // Software developers, testers and analysts, ICT application and blockchain developers.
    let software = |name: &str| name.contains("software") || name.contains("developer");
    assert!(names[..5].iter().all(|n| software(n)), "{names:?}");
    let first = &matches[0];
    assert_eq!(first["target"]["kind"], "post");
    let breakdown = &first["breakdown"];
    assert!(first["score"].as_f64().unwrap() > 0.5, "{first}");
    assert!(!breakdown["matched"].as_array().unwrap().is_empty());
    // The major develops programming at level 5; what is matched meets its required level.
    let matched = breakdown["matched"].as_array().unwrap();
    assert!(matched.iter().all(|i| i["level"].as_u64() >= i["required_level"].as_u64()), "{breakdown}");
    assert!(matched.iter().all(|i| i["competency"]["label_zh"].as_str().is_some_and(|l| !l.is_empty())));
    assert_eq!(breakdown["essential_met"], breakdown["essential_total"], "{breakdown}");
    assert!(breakdown["summary"]["zh"].as_str().is_some_and(|s| !s.is_empty()));
    // Scores are sorted.
    let scores: Vec<f64> = matches.as_array().unwrap().iter().map(|m| m["score"].as_f64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
}

#[tokio::test]
async fn a_software_occupation_lists_computing_majors_first() {
    let uri = format!("/api/v1/occupations/{}/majors?k=5", enc(SOFTWARE_DEVELOPER));
    let r = get(&demo().state, &uri).await.expect(StatusCode::OK);
    let codes: Vec<&str> =
        r["matches"].as_array().unwrap().iter().map(|m| m["target"]["id"].as_str().unwrap()).collect();
    assert_eq!(codes.len(), 5, "{r}");
    // 0809 is the computer class (计算机类) of the undergraduate catalogue; 5102 its vocational peer.
    assert!(codes[..3].iter().all(|c| c.starts_with("0809") || c.starts_with("5102")), "{codes:?}");
    assert!(codes.contains(&"080902"), "{codes:?}");
}

#[tokio::test]
async fn the_gap_to_an_occupation_names_the_micro_majors_that_close_it() {
    let body = json!({"graduate": {"major": SOFTWARE_ENGINEERING}, "target": DATA_SCIENTIST, "k": 5});
    let r = post_json(&demo().state, "/api/v1/gap", &body).await.expect(StatusCode::OK);
    assert!(!r["current"]["missing"].as_array().unwrap().is_empty(), "{r}");
    let options = r["options"].as_array().unwrap();
    assert!(!options.is_empty(), "{r}");
    let first = &options[0];
    assert_eq!(first["programme"]["kind"], "micro_major", "{r}");
    assert!(first["gain"].as_f64().unwrap() > 0.0);
    // What an option closes is among the missing or partly met requirements.
    let current = &r["current"];
    let open: Vec<&str> = ["missing", "partial"]
        .iter()
        .flat_map(|part| current[part].as_array().unwrap())
        .map(|i| i["competency"]["iri"].as_str().unwrap())
        .collect();
    let closes = first["closes"].as_array().unwrap();
    assert!(!closes.is_empty());
    assert!(closes.iter().all(|c| open.contains(&c["iri"].as_str().unwrap())), "{r}");
    // Data analysis, which a software engineering major lacks, is closed by the first option.
    assert!(closes.iter().any(|c| c["id"] == "data-analysis"), "{r}");
}

#[tokio::test]
async fn a_gap_to_an_unknown_occupation_is_a_located_error() {
    let body = json!({"graduate": {"major": SOFTWARE_ENGINEERING}, "target": "csco/9-99-99-99"});
    let r = post_json(&demo().state, "/api/v1/gap", &body).await;
    let e = r.expect_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    assert_eq!(e["error"]["details"][0]["location"]["field"], "target");
    assert!(e["error"]["details"][0]["message"].as_str().unwrap().contains("9-99-99-99"));
}
