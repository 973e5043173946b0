//! The `tupu` command line: import (all or nothing), query, validate, export.

use std::path::Path;
use std::process::{Command, Output};

pub fn tupu(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tupu")).arg("--data").arg(data).args(args).output().unwrap()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn quad_count(data: &Path) -> u64 {
    count(data, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
}

/// The number a `SELECT (COUNT(*) AS ?n)` query run by `tupu query` answers.
pub fn count(data: &Path, query: &str) -> u64 {
    let o = tupu(data, &["query", query, "--format", "csv"]);
    assert!(o.status.success(), "{}", stderr(&o));
    String::from_utf8(o.stdout).unwrap().lines().nth(1).unwrap().trim().parse().unwrap()
}

const TINY: &str = r#"@prefix tupu: <https://w3id.org/tupu/ns#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix ex: <https://example.org/k/> .
ex:count a tupu:KnowledgePoint ; skos:prefLabel "数数"@zh .
ex:add a tupu:KnowledgePoint ; skos:prefLabel "加法"@zh ; tupu:requires ex:count .
ex:carry a tupu:KnowledgePoint ; skos:prefLabel "进位加法"@zh ; tupu:requires ex:add .
"#;

#[test]
fn import_is_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let good = dir.path().join("tiny.ttl");
    std::fs::write(&good, TINY).unwrap();
    let o = tupu(&data, &["import", good.to_str().unwrap(), "--graph", "tiny"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let before = quad_count(&data);

    // A syntax error on line 3 (two objects without a comma): reported with its place.
    let broken = dir.path().join("broken.ttl");
    std::fs::write(&broken, "@prefix ex: <https://example.org/k/> .\nex:a <https://w3id.org/tupu/ns#requires> ex:b .\nex:b <https://w3id.org/tupu/ns#requires> ex:c ex:d .\n").unwrap();
    let o = tupu(&data, &["import", broken.to_str().unwrap(), "--graph", "tiny"]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("broken.ttl:3:"), "{err}");
    assert!(err.contains("syntax_error"), "{err}");
    assert_eq!(quad_count(&data), before);

    // A prerequisite cycle: rejected with the cycle named; nothing of the file is applied.
    let cycle = dir.path().join("cycle.ttl");
    std::fs::write(
        &cycle,
        "@prefix tupu: <https://w3id.org/tupu/ns#> .\n@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n@prefix ex: <https://example.org/k/> .\nex:new a tupu:KnowledgePoint ; skos:prefLabel \"新\"@zh .\nex:count tupu:requires ex:carry .\n",
    )
    .unwrap();
    let o = tupu(&data, &["import", cycle.to_str().unwrap(), "--graph", "tiny"]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("prerequisite cycle"), "{err}");
    for name in ["count", "carry", "add"] {
        assert!(err.contains(&format!("{name} (")), "{name} missing from: {err}");
    }
    assert_eq!(quad_count(&data), before);
    let o = tupu(&data, &["query", "ASK { <https://example.org/k/new> ?p ?o }", "--format", "csv"]);
    assert!(String::from_utf8(o.stdout).unwrap().contains("false"));

    // A dangling reference and a shape violation are rejected too.
    let bad = dir.path().join("bad.ttl");
    std::fs::write(
        &bad,
        "@prefix tupu: <https://w3id.org/tupu/ns#> .\n@prefix ex: <https://example.org/k/> .\nex:add tupu:requires ex:ghost .\nex:add tupu:difficulty 2.5 .\n",
    )
    .unwrap();
    let o = tupu(&data, &["import", bad.to_str().unwrap(), "--graph", "tiny"]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("dangling_reference") && err.contains("ghost"), "{err}");
    assert!(err.contains("shape_violation") && err.contains("difficulty"), "{err}");
    assert_eq!(quad_count(&data), before);

    let o = tupu(&data, &["validate"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// A temporary folder with a data directory (`data`) holding the tiny graph as graph `tiny`.
fn tiny_data() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let good = dir.path().join("tiny.ttl");
    std::fs::write(&good, TINY).unwrap();
    let o = tupu(&data, &["import", good.to_str().unwrap(), "--graph", "tiny"]);
    assert!(o.status.success(), "{}", stderr(&o));
    (dir, data)
}

#[test]
fn export_round_trips_and_formats_are_read() {
    let (dir, data) = tiny_data();
    for format in ["ntriples", "nquads", "trig", "rdfxml", "jsonld", "turtle"] {
        let out = dir.path().join(format!("tiny.{format}"));
        let o = tupu(&data, &["export", "--graph", "tiny", "--format", format, "-o", out.to_str().unwrap()]);
        assert!(o.status.success(), "{format}: {}", stderr(&o));
        let other = dir.path().join(format!("other-{format}"));
        let o = tupu(&other, &["import", out.to_str().unwrap(), "--graph", "tiny", "--format", format]);
        assert!(o.status.success(), "{format}: {}", stderr(&o));
        let o = tupu(
            &other,
            &[
                "query",
                "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <https://w3id.org/tupu/graph/tiny> { ?s ?p ?o } }",
                "--format",
                "csv",
            ],
        );
        assert!(String::from_utf8(o.stdout).unwrap().contains("\n8"), "{format}");
    }
    let o = tupu(&data, &["export", "--graph", "nothing-here"]);
    assert!(!o.status.success());
}

#[test]
fn learner_commands_print_the_api_json() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/../ontologies/demo/chalkbase.ttl");
    assert!(tupu(&data, &["import", demo, "--graph", "chalkbase"]).status.success());
    let events = dir.path().join("events.json");
    std::fs::write(&events, r#"[{"node": "kp.na.10以内数的认识.count", "correct": true}, {"node": "kp.na.10以内数的认识.count", "correct": true}]"#).unwrap();
    let o = tupu(&data, &["learner", "events", "li lei", events.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = tupu(&data, &["learner", "mastery", "li lei"]);
    let m: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(m["learner"], "li lei");
    assert!(m["nodes"].as_array().unwrap().iter().any(|n| n["id"] == "kp.na.10以内数的认识.count"));
    let o = tupu(&data, &["learner", "next", "li lei", "-n", "3"]);
    let next: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(next["items"].as_array().unwrap().len(), 3);
    let o = tupu(&data, &["learner", "path", "li lei", "--goal", "kp.na.20以内数的认识.place_value"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let path: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(!path["steps"].as_array().unwrap().is_empty());
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"[{"node": "nope", "correct": true}]"#).unwrap();
    let o = tupu(&data, &["learner", "events", "li lei", bad.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("invalid_events"));
}

#[test]
fn learners_stored_under_raw_ids_move_to_their_pseudonyms() {
    use tupu_recommend::{LearnerStore, LearnerWrite, NodeMastery, RedbLearnerStore, StoredEvent};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/../ontologies/demo/chalkbase.ttl");
    assert!(tupu(&data, &["import", demo, "--graph", "chalkbase"]).status.success());
    let node = "https://w3id.org/tupu/chalkbase/kp.na.10以内数的认识.count";
    // As a version that stored raw ids left it.
    {
        let store = RedbLearnerStore::open(data.join("learners.redb")).unwrap();
        let event = StoredEvent { object: node.to_owned(), score: 1.0, time: 1_700_000_000, verb: "answered".into() };
        let row =
            NodeMastery { attempts: 1, correct: 1, last_practised: Some(1_700_000_000), ..NodeMastery::belief(0.8) };
        let write = LearnerWrite { events: vec![event], mastery: vec![(node.to_owned(), row)], replace_mastery: false };
        store.write("wang-fang-2013", write).unwrap();
    }
    let file = data.join("learners.redb");
    let holds = |needle: &str| std::fs::read(&file).unwrap().windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(holds("wang-fang-2013"));
    let o = tupu(&data, &["learner", "mastery", "wang-fang-2013"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("1 learners stored under raw ids now use their pseudonyms"), "{}", stderr(&o));
    let m: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(m["learner"], "wang-fang-2013");
    let count = m["nodes"].as_array().unwrap().iter().find(|n| n["id"] == "kp.na.10以内数的认识.count").unwrap();
    assert_eq!(count["attempts"], 1, "{count}");
    assert!(!holds("wang-fang-2013"), "the raw id is still in the store file");
    // Once moved, nothing moves again, and later opens skip the pass.
    assert!(data.join("learners.pseudonymised").exists());
    let o = tupu(&data, &["learner", "mastery", "wang-fang-2013"]);
    assert!(!stderr(&o).contains("raw ids"), "{}", stderr(&o));
}

/// The BKT prior `fit-bkt` stored for `add`.
fn fitted_prior(data: &Path) -> f64 {
    let o = tupu(
        data,
        &[
            "query",
            "PREFIX tupu: <https://w3id.org/tupu/ns#> SELECT ?p WHERE { GRAPH <https://w3id.org/tupu/graph/bkt> { <https://example.org/k/add> tupu:bktPrior ?p } }",
            "--format",
            "csv",
        ],
    );
    String::from_utf8(o.stdout).unwrap().lines().nth(1).unwrap().trim().parse().unwrap()
}

#[test]
fn fit_bkt_reads_the_learner_store_without_a_file() {
    use tupu_recommend::{LearnerStore, LearnerWrite, RedbLearnerStore, StoredEvent};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // Without a store there is nothing to fit, and the message says what to do.
    let o = tupu(&data, &["fit-bkt"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("holds no learner store"), "{}", stderr(&o));
    let good = dir.path().join("tiny.ttl");
    std::fs::write(&good, TINY).unwrap();
    assert!(tupu(&data, &["import", good.to_str().unwrap(), "--graph", "tiny"]).status.success());
    let truth = tupu_graph::BktParams { prior: 0.3, learn: 0.2, slip: 0.1, guess: 0.2, forget: 0.0 };
    {
        let store = RedbLearnerStore::open(data.join("learners.redb")).unwrap();
        let event = |object: &str, correct: bool, time: i64| StoredEvent {
            object: object.to_owned(),
            score: if correct { 1.0 } else { 0.0 },
            time,
            verb: "answered".into(),
        };
        for (l, answers) in tupu_recommend::sample_sequences(&truth, 400, 8, 5).iter().enumerate() {
            let mut events: Vec<StoredEvent> =
                answers.iter().enumerate().map(|(t, &c)| event("https://example.org/k/add", c, t as i64)).collect();
            // Answers on a node that has since left the graph are left out, not fatal.
            events.push(event("https://example.org/k/gone", true, 99));
            store.write(&format!("s{l}"), LearnerWrite { events, ..LearnerWrite::default() }).unwrap();
        }
    }
    let o = tupu(&data, &["fit-bkt"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("3200 answers on knowledge points"), "{}", stderr(&o));
    assert!(stderr(&o).contains("400 on nodes no longer in the graph"), "{}", stderr(&o));
    let prior = fitted_prior(&data);
    assert!((prior - 0.3).abs() < 0.08, "fitted prior {prior}");
}

#[test]
fn fit_bkt_stores_parameters_in_the_graph() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let good = dir.path().join("tiny.ttl");
    std::fs::write(&good, TINY).unwrap();
    assert!(tupu(&data, &["import", good.to_str().unwrap(), "--graph", "tiny"]).status.success());
    // 200 learners answering `add` 8 times each, from true parameters the fit should find.
    let truth = tupu_graph::BktParams { prior: 0.3, learn: 0.2, slip: 0.1, guess: 0.2, forget: 0.0 };
    let mut log = String::new();
    for (l, answers) in tupu_recommend::sample_sequences(&truth, 400, 8, 5).iter().enumerate() {
        for (t, correct) in answers.iter().enumerate() {
            log.push_str(&format!(
                "{{\"learner\": \"s{l}\", \"node\": \"add\", \"correct\": {correct}, \"timestamp\": \"2026-09-01T08:{t:02}:00Z\"}}\n"
            ));
        }
    }
    let events = dir.path().join("answers.jsonl");
    std::fs::write(&events, &log).unwrap();
    let o = tupu(&data, &["fit-bkt", events.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let prior = fitted_prior(&data);
    assert!((prior - 0.3).abs() < 0.08, "fitted prior {prior}");
    // The learner's ability weight is fitted beside the parameters and reported.
    assert!(stderr(&o).contains("learner ability weight"), "{}", stderr(&o));
    // The answers have timestamps, a minute apart: the node's half-life is fitted too.
    assert!(stderr(&o).contains("half-life of mastery fitted on 1 node(s) from 2800 answer(s)"), "{}", stderr(&o));
    // A second fit replaces the first: still one value of each of the seven.
    assert!(tupu(&data, &["fit-bkt", events.to_str().unwrap()]).status.success());
    let o = tupu(
        &data,
        &[
            "query",
            "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <https://w3id.org/tupu/graph/bkt> { ?s ?p ?o } }",
            "--format",
            "csv",
        ],
    );
    assert!(String::from_utf8(o.stdout).unwrap().contains("\n7"));
    // The report has a line per node: answers, learners, iterations, status, parameters.
    let o = tupu(&data, &["fit-bkt", events.to_str().unwrap(), "--dry-run"]);
    let report = String::from_utf8(o.stdout.clone()).unwrap();
    let line: Vec<&str> = report.lines().nth(1).unwrap().split('\t').collect();
    assert_eq!(&line[..3], ["add", "3200", "400"], "{report}");
    assert!(line[5] == "converged" || line[5] == "capped", "{report}");
    assert!(report.starts_with("node\tanswers") && report.lines().next().unwrap().contains("\thalf_life_days\t"));
    assert!(line[11].parse::<f64>().is_ok_and(|days| (0.01..=3650.0).contains(&days)), "{report}");
    assert!(stderr(&o).contains("dry run: nothing stored"), "{}", stderr(&o));
    // A bad line stops everything before any fitting, named by its number.
    let mut broken = log.clone();
    broken.push_str(
        "{\"learner\": \"s1\", \"node\": \"add\", \"correct\": \"yes\", \"timestamp\": \"2026-09-01T09:00:00Z\"}\n",
    );
    std::fs::write(&events, &broken).unwrap();
    let o = tupu(&data, &["fit-bkt", events.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("line 3201, correct"), "{}", stderr(&o));
    assert!(o.stdout.is_empty(), "nothing was fitted");
    // Two answers do not give an extreme fit, even when allowed to fit at all.
    std::fs::write(
        &events,
        "{\"learner\": \"a\", \"node\": \"add\", \"correct\": 1}\n{\"learner\": \"a\", \"node\": \"add\", \"correct\": 1}\n",
    )
    .unwrap();
    let o = tupu(&data, &["fit-bkt", events.to_str().unwrap(), "--min-observations", "1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let prior = fitted_prior(&data);
    assert!((0.05..=0.95).contains(&prior), "fitted prior {prior} from two answers");
    // With the default minimum, the node keeps its defaults and the report says why.
    let o = tupu(&data, &["fit-bkt", events.to_str().unwrap(), "--dry-run"]);
    assert!(String::from_utf8(o.stdout).unwrap().contains("kept defaults: 2 answer(s), fewer than the 10 required"));
    // A log naming an unknown node stores nothing.
    std::fs::write(
        &events,
        "{\"learner\": \"a\", \"node\": \"ghost\", \"correct\": true, \"timestamp\": \"2026-09-01T08:00:00Z\"}\n",
    )
    .unwrap();
    let o = tupu(&data, &["fit-bkt", events.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("ghost"));
}

/// The first column of each line `tupu history` prints: the versions, newest first.
fn history_versions(data: &Path, args: &[&str]) -> (Vec<u64>, String) {
    let o = tupu(data, &[&["history"], args].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    (text.lines().map(|l| l.split('\t').next().unwrap().parse().unwrap()).collect(), text)
}

#[test]
fn history_lists_commits_and_revert_restores_the_quads() {
    let (dir, data) = tiny_data();
    let before = quad_count(&data);
    let more = dir.path().join("more.ttl");
    std::fs::write(
        &more,
        "@prefix tupu: <https://w3id.org/tupu/ns#> .\n@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n@prefix ex: <https://example.org/k/> .\nex:sub a tupu:KnowledgePoint ; skos:prefLabel \"减法\"@zh ; tupu:requires ex:count .\n",
    )
    .unwrap();
    assert!(tupu(&data, &["import", more.to_str().unwrap(), "--graph", "tiny"]).status.success());
    assert_eq!(quad_count(&data), before + 3);

    let (versions, text) = history_versions(&data, &["--limit", "1"]);
    assert_eq!(versions.len(), 1, "{text}");
    let last = versions[0];
    assert!(text.contains("+3 -0"), "{text}");
    let (touched, _) = history_versions(&data, &["--node", "https://example.org/k/sub"]);
    assert_eq!(touched, [last]);

    let o = tupu(&data, &["revert", &last.to_string(), "--author", "bo"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(quad_count(&data), before);
    let (versions, text) = history_versions(&data, &["--limit", "5"]);
    assert_eq!(versions[0], last + 1);
    assert!(text.lines().next().unwrap().contains(&format!("Revert commit {last}")), "{text}");
    assert!(text.lines().next().unwrap().contains("\tbo\t"), "{text}");

    // Reverting it again would not restore what was before it; an unknown version is named.
    let o = tupu(&data, &["revert", &last.to_string()]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("cannot be reverted exactly"), "{}", stderr(&o));
    let o = tupu(&data, &["revert", "9999"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("no commit has version 9999"), "{}", stderr(&o));
    assert_eq!(quad_count(&data), before);
}

/// `tupu match` over more graduates than one chunk: every graduate gets its best posts in
/// order (checked against a direct cosine), and a malformed line is named by file and line.
#[test]
fn match_streams_every_graduate_and_names_a_bad_line() {
    let dir = tempfile::tempdir().unwrap();
    let posts = dir.path().join("posts.jsonl");
    let graduates = dir.path().join("graduates.jsonl");
    let out = dir.path().join("out.jsonl");
    // Post p holds competencies p and p+1 (of 0..=20).
    let post_lines: Vec<String> =
        (0..20).map(|p| format!(r#"{{"id": "p{p}", "comp": [{p}, {}], "w": [1.0, 0.5]}}"#, p + 1)).collect();
    std::fs::write(&posts, post_lines.join("\n")).unwrap();
    // Graduate g holds competency g % 20 fully and (g + 1) % 20 at a tenth.
    let n = 5_000;
    let grad_lines: Vec<String> =
        (0..n).map(|g| format!(r#"{{"id": {g}, "comp": [{}, {}], "w": [1.0, 0.1]}}"#, g % 20, (g + 1) % 20)).collect();
    std::fs::write(&graduates, grad_lines.join("\n")).unwrap();
    let data = dir.path().join("data");
    let args = ["match", "--graduates", graduates.to_str().unwrap(), "--posts", posts.to_str().unwrap()];
    let o = tupu(&data, &[&args[..], &["--top", "2", "--rule", "cosine", "-o", out.to_str().unwrap()]].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&out).unwrap();
    let rows: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows.len(), n);
    for (g, row) in rows.iter().enumerate() {
        assert_eq!(row["graduate"], g);
        let top = row["top"].as_array().unwrap();
        assert_eq!(top.len(), 2, "{row}");
        // The post starting at the graduate's main competency fits best: cosine (1 + 0.1 × 0.5)
        // / (√1.01 √1.25), or 1 / (√1.01 √1.25) for the last, whose second competency wraps.
        assert_eq!(top[0]["post"], format!("p{}", g % 20), "{row}");
        let best = top[0]["score"].as_f64().unwrap();
        let dot = if g % 20 == 19 { 1.0 } else { 1.05 };
        assert!((best - dot / (1.01f64.sqrt() * 1.25f64.sqrt())).abs() < 1e-5, "{row}");
        assert!(best >= top[1]["score"].as_f64().unwrap());
    }
    assert!(stderr(&o).contains(&format!("matched {n} graduates")), "{}", stderr(&o));

    // A bad line in the second chunk: named, and the run fails.
    let mut bad = grad_lines.clone();
    bad[4_500] = r#"{"id": 4500, "comp": [1, 2], "w": [1.0]}"#.into();
    std::fs::write(&graduates, bad.join("\n")).unwrap();
    let o = tupu(&data, &[&args[..], &["-o", out.to_str().unwrap()]].concat());
    assert!(!o.status.success());
    assert!(stderr(&o).contains("graduates.jsonl:4501: w: 1 weights for 2 competencies"), "{}", stderr(&o));

    // A graduate given by a learner id: refused, pointing to the HTTP routes.
    bad[4_500] = r#"{"id": 4500, "learner": "ana"}"#.into();
    std::fs::write(&graduates, bad.join("\n")).unwrap();
    let o = tupu(&data, &[&args[..], &["-o", out.to_str().unwrap()]].concat());
    assert!(!o.status.success());
    assert!(stderr(&o).contains("graduates.jsonl:4501: learner: tupu match reads no learner store"), "{}", stderr(&o));
    assert!(stderr(&o).contains("POST /api/v1/match/graduate-posts"), "{}", stderr(&o));

    // Two posts with one id: both lines named, and nothing matched.
    std::fs::write(&graduates, grad_lines.join("\n")).unwrap();
    let mut twice = post_lines.clone();
    twice[7] = r#"{"id": "p3", "comp": [7, 8], "w": [1.0, 0.5]}"#.into();
    std::fs::write(&posts, twice.join("\n")).unwrap();
    std::fs::remove_file(&out).unwrap();
    let o = tupu(&data, &[&args[..], &["-o", out.to_str().unwrap()]].concat());
    assert!(!o.status.success());
    assert!(stderr(&o).contains("posts.jsonl:8: id: the id \"p3\" is also on line 4"), "{}", stderr(&o));
    assert!(!out.exists());
}
