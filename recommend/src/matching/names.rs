//! [`Names`]: the words of occupations' and posts' labels, for the part names play in related
//! occupations.
//!
//! Each occupation's labels (every language), with its alternative labels and definitions
//! where the index is given them ([`MatchIndex::with_texts`]), and each post's labels become a
//! unit tf-idf vector of words, split as the
//! search index splits a query ([`query_grams`]: lowercase words for alphabetic scripts, pairs
//! of adjacent characters for Chinese, a lone character standing for itself), so that
//! 软件工程技术人员 and 软件测试员 share 软件. Idf over the holders makes "worker", "of" or 人员
//! count for little next to "software". Built once per index: O(total label length).

use std::collections::HashMap;

use tupu_graph::search::{is_cjk, query_grams};
use tupu_graph::{NodeId, NodeKind, Snapshot};

#[cfg(doc)]
use super::MatchIndex;

/// The name vectors of a list of holders.
#[derive(Debug, Default)]
pub struct Names {
    words: Vec<String>,
    /// Per holder: (word, weight), sorted by word, unit length.
    vectors: Vec<Vec<(u32, f32)>>,
}

impl Names {
    /// The name vectors of `holders`, in their order: their labels, and for occupations also
    /// `texts`.
    pub fn new(snapshot: &Snapshot, holders: &[NodeId], texts: &dyn Fn(NodeId) -> Vec<String>) -> Self {
        let mut ids: HashMap<String, u32> = HashMap::new();
        let mut words_of = Vec::with_capacity(holders.len());
        for &h in holders {
            let mut counts: HashMap<u32, u32> = HashMap::new();
            let more = if snapshot.kind(h) == NodeKind::Occupation { texts(h) } else { Vec::new() };
            for text in snapshot.labels(h).iter().map(|l| &*l.text).chain(more.iter().map(String::as_str)) {
                for w in query_grams(text) {
                    let next = ids.len() as u32;
                    *counts.entry(*ids.entry(w).or_insert(next)).or_default() += 1;
                }
            }
            words_of.push(counts);
        }
        let mut df = vec![0u32; ids.len()];
        for counts in &words_of {
            for &w in counts.keys() {
                df[w as usize] += 1;
            }
        }
        let n = holders.len() as f32;
        let vectors = words_of
            .into_iter()
            .map(|counts| {
                let mut v: Vec<(u32, f32)> = counts
                    .into_iter()
                    .map(|(w, c)| (w, (1.0 + (c as f32).ln()) * ((1.0 + n) / (1.0 + df[w as usize] as f32)).ln()))
                    .collect();
                let norm = v.iter().map(|x| x.1 * x.1).sum::<f32>().sqrt();
                if norm > 0.0 {
                    v.iter_mut().for_each(|x| x.1 /= norm);
                }
                v.sort_unstable_by_key(|x| x.0);
                v
            })
            .collect();
        let mut words = vec![String::new(); ids.len()];
        for (w, i) in ids {
            words[i as usize] = w;
        }
        Self { words, vectors }
    }

    /// The cosine of two holders' name vectors (by their positions), with the words they share,
    /// most telling first.
    pub fn similarity(&self, a: u32, b: u32) -> (f32, Vec<&str>) {
        let (Some(x), Some(y)) = (self.vectors.get(a as usize), self.vectors.get(b as usize)) else {
            return (0.0, Vec::new());
        };
        let mut shared: Vec<(f32, u32)> = Vec::new();
        let (mut i, mut j) = (0, 0);
        while i < x.len() && j < y.len() {
            match x[i].0.cmp(&y[j].0) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    shared.push((x[i].1 * y[j].1, x[i].0));
                    i += 1;
                    j += 1;
                }
            }
        }
        // A fold from +0: the sum of no terms is 0, not −0.
        let cosine = shared.iter().fold(0.0, |sum, s| sum + s.0);
        shared.sort_by(|p, q| q.0.total_cmp(&p.0));
        (cosine, shared.into_iter().map(|(_, w)| self.words[w as usize].as_str()).collect())
    }
}

/// `shared` (words as [`Names::similarity`] gives them) for reading: each pair of Chinese
/// characters becomes the longest run of `texts` whose every pair is shared (计算 and 算机
/// become 计算机), each run once, in the order of its first pair; a pair in no text stays as
/// it is, and other words are unchanged.
pub fn readable(shared: &[&str], texts: &[&str]) -> Vec<String> {
    let pair = |w: &str| {
        let mut chars = w.chars();
        matches!((chars.next(), chars.next(), chars.next()), (Some(a), Some(b), None) if is_cjk(a) && is_cjk(b))
    };
    let pairs: std::collections::HashSet<&str> = shared.iter().copied().filter(|w| pair(w)).collect();
    // Every maximal run of shared pairs in the texts, with the pairs it holds.
    let mut runs: Vec<(String, Vec<String>)> = Vec::new();
    for text in texts {
        let chars: Vec<char> = text.chars().collect();
        let mut i = 0;
        while i + 1 < chars.len() {
            let mut j = i;
            while j + 1 < chars.len() && pairs.contains(chars[j..j + 2].iter().collect::<String>().as_str()) {
                j += 1;
            }
            if j > i {
                let held = (i..j).map(|k| chars[k..k + 2].iter().collect()).collect();
                runs.push((chars[i..=j].iter().collect(), held));
                i = j;
            } else {
                i += 1;
            }
        }
    }
    let mut out: Vec<String> = Vec::new();
    for &w in shared {
        let word = if pair(w) {
            runs.iter().find(|(_, held)| held.iter().any(|h| h == w)).map_or_else(|| w.to_owned(), |r| r.0.clone())
        } else {
            w.to_owned()
        };
        if !out.contains(&word) {
            out.push(word);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use tupu_graph::SnapshotBuilder;

    use super::*;

    #[test]
    fn shared_pairs_of_characters_read_as_the_runs_they_come_from() {
        let shared = ["算机", "developer", "计算", "程技", "工程", "技术", "测试"];
        let texts = ["计算机软件工程技术人员", "computer"];
        assert_eq!(readable(&shared, &texts), ["计算机", "developer", "工程技术", "测试"]);
        assert!(readable(&[], &texts).is_empty());
    }

    #[test]
    fn shared_rare_words_make_names_alike() {
        let mut b = SnapshotBuilder::new();
        let names = ["software developer", "software tester", "bakery worker", "dairy worker", "软件测试员"];
        let holders: Vec<NodeId> = names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let n = b.node(&format!("https://e.org/o/{i}"), NodeKind::Occupation);
                b.label(n, if name.is_ascii() { "en" } else { "zh" }, name);
                n
            })
            .collect();
        let s = b.build(1);
        let names = Names::new(&s, &holders, &|_| Vec::new());
        let (software, words) = names.similarity(0, 1);
        assert_eq!(words, ["software"]);
        let (worker, _) = names.similarity(2, 3);
        assert!(software > 0.2 && worker > 0.2, "{software} {worker}");
        assert_eq!(names.similarity(0, 2), (0.0, Vec::new()));
        assert!(names.similarity(0, 2).0.is_sign_positive());
        assert_eq!(names.similarity(0, 4).0, 0.0);
        assert!((names.similarity(1, 1).0 - 1.0).abs() < 1e-6);
        // An occupation's texts beyond its labels count: a definition shared with the baker.
        let texts = |n: NodeId| if n == holders[3] { vec!["bakes bread".to_owned()] } else { Vec::new() };
        let names =
            Names::new(&s, &holders, &|n| if n == holders[2] { vec!["bakes cakes".to_owned()] } else { texts(n) });
        let (bread, words) = names.similarity(2, 3);
        assert!(bread > 0.0 && words.contains(&"bakes") && words.contains(&"worker"), "{bread} {words:?}");
    }
}
