//! Related occupations against O*NET's expert-reviewed list.
//!
//! ```text
//! cargo run --release --example related_eval -- DATASETS/onet-29.3 "Related Occupations.txt"
//! ```
//!
//! The list is O*NET's `Related Occupations.txt` (tab-separated: O*NET-SOC Code, Related
//! O*NET-SOC Code, Relatedness Tier, Index; a Title and a Related Title column may sit between
//! them). It is not among the datasets Tupu ships with; download it from O*NET's database
//! page. Each occupation there has 20 related ones: 5 "Primary-Short", 5 "Primary-Long" and 10
//! "Supplemental".
//!
//! For every listed occupation with requirements, Tupu's 20 most related are compared with the
//! list: precision at 10 against the 10 primary ones and against all 20, recall at 20 of all
//! 20, and nDCG at 20 with gains 3, 2 and 1 for the three tiers. Chance is 20 / (occupations).

use std::collections::HashMap;
use std::path::PathBuf;

use tupu_graph::{GraphStore, NodeKind, graph_iri};
use tupu_recommend::matching::{MatchIndex, related_occupations};

fn main() {
    let mut args = std::env::args_os().skip(1);
    let (Some(onet), Some(list)) = (args.next().map(PathBuf::from), args.next().map(PathBuf::from)) else {
        eprintln!("usage: related_eval ONET_DIR RELATED_OCCUPATIONS_TXT");
        std::process::exit(2);
    };
    let text = std::fs::read_to_string(&list).expect("read the list");
    let mut expert: HashMap<String, Vec<(String, u8)>> = HashMap::new();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("a header").split('\t').collect();
    let col = |name: &str| header.iter().position(|h| h.trim() == name).unwrap_or_else(|| panic!("no column {name}"));
    let (from, to, tier) = (col("O*NET-SOC Code"), col("Related O*NET-SOC Code"), col("Relatedness Tier"));
    for line in lines {
        let f: Vec<&str> = line.split('\t').collect();
        let gain = match f[tier].trim() {
            "Primary-Short" => 3,
            "Primary-Long" => 2,
            _ => 1,
        };
        expert.entry(f[from].trim().to_owned()).or_default().push((f[to].trim().to_owned(), gain));
    }

    let store = GraphStore::in_memory().unwrap();
    tupu_ingest::load_bundled(&store, false).unwrap();
    tupu_ingest::import_onet(&store, &onet, &graph_iri("onet").unwrap(), false).unwrap();
    let s = store.snapshot();
    // As the server builds it: occupations' alternative labels and definitions beside their labels.
    let store = std::sync::Arc::new(store);
    let texts = store.clone();
    let index = MatchIndex::with_texts(
        &s,
        Some(std::sync::Arc::new(move |s: &tupu_graph::Snapshot, n| texts.descriptions(s.iri(n)).unwrap_or_default())),
    );
    let code = |o: tupu_graph::NodeId| s.iri(o).rsplit('/').next().unwrap_or_default().to_owned();
    let occupations: Vec<_> = s
        .nodes_of_kind(NodeKind::Occupation)
        .filter(|&o| index.requirements(o).is_some() && expert.contains_key(&code(o)))
        .collect();
    let candidates = s.nodes_of_kind(NodeKind::Occupation).filter(|&o| index.requirements(o).is_some()).count();

    let (mut p10_primary, mut p10_any, mut r20, mut ndcg) = (0.0, 0.0, 0.0, 0.0);
    for &o in &occupations {
        let list = &expert[&code(o)];
        let gains: HashMap<&str, u8> = list.iter().map(|(c, g)| (c.as_str(), *g)).collect();
        let ours: Vec<String> = related_occupations(&index, &s, o, 20).iter().map(|r| code(r.occupation)).collect();
        let gain = |c: &String| gains.get(c.as_str()).copied().unwrap_or(0);
        p10_primary += ours.iter().take(10).filter(|c| gain(c) >= 2).count() as f64 / 10.0;
        p10_any += ours.iter().take(10).filter(|c| gain(c) >= 1).count() as f64 / 10.0;
        r20 += ours.iter().filter(|c| gain(c) >= 1).count() as f64 / list.len() as f64;
        let dcg: f64 = ours.iter().enumerate().map(|(i, c)| f64::from(gain(c)) / (i as f64 + 2.0).log2()).sum();
        let mut ideal: Vec<u8> = list.iter().map(|x| x.1).collect();
        ideal.sort_unstable_by(|a, b| b.cmp(a));
        let idcg: f64 = ideal.iter().take(20).enumerate().map(|(i, &g)| f64::from(g) / (i as f64 + 2.0).log2()).sum();
        ndcg += dcg / idcg;
    }
    let n = occupations.len() as f64;
    println!(
        "| {} occupations | P@10 primary {:.3} | P@10 any {:.3} | R@20 {:.3} | nDCG@20 {:.3} | chance {:.3} |",
        occupations.len(),
        p10_primary / n,
        p10_any / n,
        r20 / n,
        ndcg / n,
        20.0 / candidates as f64
    );
}
