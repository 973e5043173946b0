//! `tupu import` killed with SIGKILL at several moments: after a restart the store holds
//! the graph as it was before the import or as the import made it, never a mix, and it
//! validates.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::cli::{count, quad_count, stderr, tupu};

/// A chain of `len` knowledge points named `{prefix}{i}`, as N-Triples: 3·len − 1 triples.
fn chain_ntriples(prefix: &str, len: usize) -> String {
    let mut out = String::new();
    for i in 0..len {
        let node = format!("<https://example.org/k/{prefix}{i}>");
        let _ = writeln!(
            out,
            "{node} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/tupu/ns#KnowledgePoint> ."
        );
        let _ = writeln!(out, "{node} <http://www.w3.org/2004/02/skos/core#prefLabel> \"{prefix} {i}\"@en .");
        if i > 0 {
            let _ =
                writeln!(out, "{node} <https://w3id.org/tupu/ns#requires> <https://example.org/k/{prefix}{}> .", i - 1);
        }
    }
    out
}

fn graph_count(data: &Path) -> u64 {
    count(data, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <https://w3id.org/tupu/graph/big> { ?s ?p ?o } }")
}

#[test]
fn an_import_killed_at_any_moment_leaves_nothing_or_everything() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // Both past the bulk threshold (20,000 quads).
    let (a_len, b_len) = (8_000, 7_000);
    let a = dir.path().join("a.nt");
    let b = dir.path().join("b.nt");
    std::fs::write(&a, chain_ntriples("a", a_len)).unwrap();
    std::fs::write(&b, chain_ntriples("b", b_len)).unwrap();
    let sizes = [0, 3 * a_len as u64 - 1, 3 * b_len as u64 - 1];
    let o = tupu(&data, &["validate"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let others = quad_count(&data);

    let mut current = 0;
    // Alternating files, each replacing the graph: the second and later imports remove quads
    // (the journaled path) as well as add them.
    for (round, delay_ms) in [30u64, 150, 400, 800, 1_500, 2_500, 4_000, 6_000].into_iter().enumerate() {
        let next = 1 + round % 2;
        let file = if next == 1 { &a } else { &b };
        let mut child = Command::new(env!("CARGO_BIN_EXE_tupu"))
            .arg("--data")
            .arg(&data)
            .args(["import", file.to_str().unwrap(), "--graph", "big", "--replace"])
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let started = std::time::Instant::now();
        while started.elapsed() < Duration::from_millis(delay_ms) && child.try_wait().unwrap().is_none() {
            std::thread::sleep(Duration::from_millis(5));
        }
        let finished = child.try_wait().unwrap().is_some_and(|s| s.success());
        let _ = child.kill();
        let _ = child.wait();

        let count = graph_count(&data);
        assert!(
            count == sizes[current] || count == sizes[next],
            "round {round} (killed after {delay_ms} ms): {count} quads, expected {} or {}",
            sizes[current],
            sizes[next]
        );
        if finished {
            assert_eq!(count, sizes[next], "round {round}: the import reported success");
        }
        if count == sizes[next] {
            current = next;
        }
        assert_eq!(quad_count(&data) - count, others, "round {round}: other graphs changed");
        let o = tupu(&data, &["validate"]);
        assert!(o.status.success(), "round {round}: {}", stderr(&o));
        assert!(!dir.path().join("data/graph.journal").exists(), "round {round}: the journal was left behind");
    }
    // Left to finish, an import replaces the graph whole.
    let next = if current == 1 { 2 } else { 1 };
    let file = if next == 1 { &a } else { &b };
    let o = tupu(&data, &["import", file.to_str().unwrap(), "--graph", "big", "--replace"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(graph_count(&data), sizes[next]);
}
