//! The search benchmark's corpus and harness: a synthetic corpus of mixed Chinese and English
//! documents of every kind, and the measurements `benches/benches/search.rs` reports
//! (indexing throughput, index size, query latency percentiles, commit → searchable delay,
//! linking throughput).

use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tupu_graph::search::{IndexDocument, LinkRequest, SearchIndex, SearchRequest};
use tupu_graph::{NodeKind, Snapshot, SnapshotBuilder};

use crate::SYNTHETIC_NS;

const ZH: &[&str] = &[
    "分数",
    "加法",
    "减法",
    "乘法",
    "除法",
    "口诀",
    "三角形",
    "面积",
    "周长",
    "体积",
    "小数",
    "方程",
    "比例",
    "统计",
    "图形",
    "长方形",
    "正方形",
    "圆",
    "角",
    "时间",
    "人民币",
    "计算",
    "应用题",
    "估算",
    "位置",
    "方向",
    "工程师",
    "开发",
    "软件",
    "测试",
    "销售",
    "司机",
    "厨师",
    "服务员",
    "会计",
    "护士",
    "教师",
    "设计",
    "运营",
    "管理",
    "数据",
    "分析",
    "网络",
    "安全",
    "机械",
    "电气",
    "维修",
    "物流",
    "仓储",
    "快递",
    "营销",
    "客服",
    "编辑",
    "翻译",
];
const EN: &[&str] = &[
    "fraction",
    "addition",
    "subtraction",
    "multiplication",
    "division",
    "table",
    "triangle",
    "area",
    "perimeter",
    "volume",
    "decimal",
    "equation",
    "ratio",
    "statistics",
    "shape",
    "rectangle",
    "square",
    "circle",
    "angle",
    "time",
    "money",
    "estimate",
    "position",
    "engineer",
    "developer",
    "software",
    "testing",
    "sales",
    "driver",
    "cook",
    "nurse",
    "teacher",
    "design",
    "operations",
    "management",
    "data",
    "analysis",
    "network",
    "security",
    "logistics",
];
const KINDS: &[NodeKind] = &[
    NodeKind::KnowledgePoint,
    NodeKind::Resource,
    NodeKind::Resource,
    NodeKind::Resource,
    NodeKind::Competency,
    NodeKind::Occupation,
    NodeKind::Course,
];

fn words(rng: &mut ChaCha8Rng, n: usize, english: bool) -> String {
    let pick = |rng: &mut ChaCha8Rng| {
        if english { EN[rng.random_range(0..EN.len())] } else { ZH[rng.random_range(0..ZH.len())] }
    };
    let parts: Vec<&str> = (0..n).map(|_| pick(rng)).collect();
    parts.join(if english { " " } else { "" })
}

/// `n` documents: two in three Chinese, one in three English; names of 2–4 words, bodies of
/// 10–30, a grade, and kinds in the proportions of a graph with resources (3 in 7).
pub fn corpus(n: usize, seed: u64) -> Vec<IndexDocument> {
    documents(n, seed, words)
}

/// `n` documents whose texts `text(rng, words, english)` makes, in the proportions of [`corpus`].
fn documents(n: usize, seed: u64, text: impl Fn(&mut ChaCha8Rng, usize, bool) -> String) -> Vec<IndexDocument> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|i| {
            let english = rng.random_range(0..3) == 0;
            let name_len = rng.random_range(2..5);
            let body_len = rng.random_range(10..31);
            let kind = KINDS[rng.random_range(0..KINDS.len())];
            IndexDocument {
                iri: format!("{SYNTHETIC_NS}doc{i}"),
                kind: Some(kind),
                names: vec![text(&mut rng, name_len, english)],
                body: vec![text(&mut rng, body_len, english)],
                context: vec![text(&mut rng, 2, english)],
                codes: vec![format!("S{i:07}")],
                langs: [if english { "en" } else { "zh" }.to_owned()].into(),
                level: Some(rng.random_range(1..13)),
                subject: Some("mathematics".into()),
                resource_type: (kind == NodeKind::Resource).then(|| "exercise".to_owned()),
                alignments: Vec::new(),
            }
        })
        .collect()
}

/// A snapshot naming the corpus's documents (so hits resolve to nodes, as in the server).
pub fn corpus_snapshot(docs: &[IndexDocument]) -> Snapshot {
    let mut b = SnapshotBuilder::new();
    for d in docs {
        let node = b.node(&d.iri, d.kind.unwrap_or(NodeKind::KnowledgePoint));
        let lang = d.langs.first().map_or("zh", String::as_str);
        b.label(node, lang, &d.names[0]);
    }
    b.build(1)
}

/// The kinds of query [`queries`] and [`zipf_queries`] make, in turn.
pub const QUERY_CLASSES: [&str; 5] =
    ["one Chinese word", "two Chinese words", "one English word", "two English words", "one character"];

/// Queries like users type, in turn ([`QUERY_CLASSES`]): one or two Chinese words, one or two
/// English words, one character.
pub fn queries(n: usize, seed: u64) -> Vec<String> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|i| match i % 5 {
            0 => words(&mut rng, 1, false),
            1 => words(&mut rng, 2, false),
            2 => words(&mut rng, 1, true),
            3 => words(&mut rng, 2, true),
            _ => ZH[rng.random_range(0..ZH.len())].chars().next().map(String::from).unwrap_or_default(),
        })
        .collect()
}

/// Function words at the head of each language's distribution (indexed like any word: the
/// index keeps no stop list).
const ZH_FUNCTION: &[&str] =
    &["的", "了", "是", "在", "和", "有", "我们", "这个", "一个", "可以", "就", "也", "都", "要", "把", "被"];
const EN_FUNCTION: &[&str] =
    &["the", "of", "and", "to", "in", "is", "a", "for", "with", "that", "by", "as", "on", "are", "this", "from"];
/// Characters the synthetic Chinese words are made of.
const HANZI: &str = "学生教师课程知识能力分析计算几何代数函数图像方程实验观察物理化学生物历史地理语言文字阅读写作表达理解应用问题解决方法步骤规律性质定理证明推理判断比较分类归纳概括设计制作测量估计数据统计概率模型建立变化关系结构功能系统信息技术网络安全工程管理服务销售运营市场财务会计审计法律医疗护理健康营养环境能源材料机械电气电子通信软件硬件算法程序开发测试维护质量标准生产加工制造建筑交通运输物流";
/// Syllables the synthetic English words are made of.
const SYLLABLES: &[&str] = &[
    "ka", "ro", "mi", "ten", "sa", "lo", "ver", "an", "tion", "pre", "con", "dis", "ma", "ly", "ter", "ing", "pro",
    "ex", "com", "ple", "ment", "al", "ri", "de", "na", "bi", "lu", "gra", "phy", "sto", "cu", "ble",
];

/// A vocabulary of `n` words per language in rank order: function words first, then the
/// curriculum and job words of the uniform corpus, then synthetic words (two or three
/// characters; two to four syllables).
fn vocabulary(n: usize, rng: &mut ChaCha8Rng) -> (Vec<String>, Vec<String>) {
    let hanzi: Vec<char> = HANZI.chars().collect();
    let mut zh: Vec<String> = ZH_FUNCTION.iter().chain(ZH).map(|w| (*w).to_owned()).collect();
    let mut en: Vec<String> = EN_FUNCTION.iter().chain(EN).map(|w| (*w).to_owned()).collect();
    let mut seen: std::collections::HashSet<String> = zh.iter().chain(&en).cloned().collect();
    while zh.len() < n {
        let len = if rng.random_range(0..4) == 0 { 3 } else { 2 };
        let w: String = (0..len).map(|_| hanzi[rng.random_range(0..hanzi.len())]).collect();
        if seen.insert(w.clone()) {
            zh.push(w);
        }
    }
    while en.len() < n {
        let len = rng.random_range(2..5);
        let w: String = (0..len).map(|_| SYLLABLES[rng.random_range(0..SYLLABLES.len())]).collect();
        if seen.insert(w.clone()) {
            en.push(w);
        }
    }
    (zh, en)
}

/// Samples ranks `0..n` with probability proportional to `1 / (rank + 1)` (Zipf, s = 1).
struct Zipf {
    cumulative: Vec<f64>,
}

impl Zipf {
    fn new(n: usize) -> Self {
        let mut total = 0.0;
        let cumulative = (0..n)
            .map(|r| {
                total += 1.0 / (r as f64 + 1.0);
                total
            })
            .collect();
        Zipf { cumulative }
    }

    fn sample(&self, rng: &mut ChaCha8Rng) -> usize {
        let total = *self.cumulative.last().unwrap_or(&1.0);
        let x = rng.random_range(0.0..total);
        self.cumulative.partition_point(|&c| c <= x).min(self.cumulative.len() - 1)
    }
}

/// The seed of the Zipf corpus's vocabulary (its queries use the same words).
const VOCABULARY_SEED: u64 = 20;

/// Words of the Zipf corpus, per language.
pub const ZIPF_VOCABULARY: usize = 20_000;

/// `n` documents as in [`corpus`], but their words drawn from a vocabulary of
/// [`ZIPF_VOCABULARY`] words per language with Zipf frequencies, function words at the head,
/// as in natural text: a word's share of the documents falls with its rank.
pub fn zipf_corpus(n: usize, seed: u64) -> Vec<IndexDocument> {
    let (zh, en) = vocabulary(ZIPF_VOCABULARY, &mut ChaCha8Rng::seed_from_u64(VOCABULARY_SEED));
    let zipf = Zipf::new(ZIPF_VOCABULARY);
    documents(n, seed, |rng, len, english| {
        let parts: Vec<&str> =
            (0..len).map(|_| if english { &en[zipf.sample(rng)] } else { &zh[zipf.sample(rng)] }.as_str()).collect();
        parts.join(if english { " " } else { "" })
    })
}

/// Queries over the Zipf corpus's content words (function words left out, as users leave
/// them out), their ranks spread evenly on a log scale from the most frequent content word to
/// the rarest, so that frequent, middling and rare words weigh alike: one or two Chinese
/// words, one or two English words, one character.
pub fn zipf_queries(n: usize, seed: u64) -> Vec<String> {
    let (zh, en) = vocabulary(ZIPF_VOCABULARY, &mut ChaCha8Rng::seed_from_u64(VOCABULARY_SEED));
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let low = ZH_FUNCTION.len() as f64;
    let high = ZIPF_VOCABULARY as f64;
    let rank = |rng: &mut ChaCha8Rng| (low * (high / low).powf(rng.random_range(0.0..1.0))) as usize;
    (0..n)
        .map(|i| match i % 5 {
            0 => zh[rank(&mut rng)].clone(),
            1 => format!("{}{}", zh[rank(&mut rng)], zh[rank(&mut rng)]),
            2 => en[rank(&mut rng)].clone(),
            3 => format!("{} {}", en[rank(&mut rng)], en[rank(&mut rng)]),
            _ => zh[rank(&mut rng)].chars().next().map(String::from).unwrap_or_default(),
        })
        .collect()
}

/// Sorted samples' value at quantile `q`.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

/// What one run measured.
#[derive(Debug)]
pub struct SearchFigures {
    /// Documents indexed.
    pub docs: usize,
    /// Documents per second, commits included.
    pub docs_per_second: f64,
    /// Segments after indexing, before they were merged into one.
    pub segments: usize,
    /// Seconds the merge took.
    pub merge_seconds: f64,
    /// Bytes of the index on disk.
    pub index_bytes: u64,
    /// Query latency samples in microseconds, sorted.
    pub query_micros: Vec<f64>,
    /// Query latency samples by kind of query ([`QUERY_CLASSES`]), sorted.
    pub query_micros_by_class: Vec<Vec<f64>>,
    /// Link latency samples in microseconds, sorted.
    pub link_micros: Vec<f64>,
}

fn dir_size(path: &std::path::Path) -> u64 {
    std::fs::read_dir(path)
        .map(|entries| entries.flatten().filter_map(|e| e.metadata().ok()).map(|m| m.len()).sum())
        .unwrap_or(0)
}

/// Indexes `docs` into an on-disk index in `dir` (commits of 100,000), then runs `queries`
/// and links each query as a job title to occupations.
pub fn measure(dir: &std::path::Path, docs: Vec<IndexDocument>, queries: &[String]) -> SearchFigures {
    let index = SearchIndex::open(dir).expect("the index opens");
    let snapshot = corpus_snapshot(&docs);
    let n = docs.len();
    let started = Instant::now();
    let mut docs = docs.into_iter().peekable();
    while docs.peek().is_some() {
        let chunk: Vec<IndexDocument> = docs.by_ref().take(100_000).collect();
        index.add_documents(chunk, 1).expect("indexing works");
    }
    let docs_per_second = n as f64 / started.elapsed().as_secs_f64();
    // As after `tupu reindex`: one segment.
    let merging = Instant::now();
    let segments = index.merge_segments().expect("the segments merge");
    let merge_seconds = merging.elapsed().as_secs_f64();
    let index_bytes = dir_size(dir);
    let time = |f: &mut dyn FnMut()| {
        let t = Instant::now();
        f();
        t.elapsed().as_secs_f64() * 1e6
    };
    let mut query_micros: Vec<f64> = queries
        .iter()
        .map(|q| {
            let request = SearchRequest { text: q.clone(), limit: 10, ..SearchRequest::default() };
            time(&mut || {
                std::hint::black_box(index.search(&snapshot, &request).expect("search works"));
            })
        })
        .collect();
    let mut query_micros_by_class: Vec<Vec<f64>> = (0..QUERY_CLASSES.len())
        .map(|class| query_micros.iter().skip(class).step_by(QUERY_CLASSES.len()).copied().collect())
        .collect();
    for v in &mut query_micros_by_class {
        v.sort_by(f64::total_cmp);
    }
    let mut link_micros: Vec<f64> = queries
        .iter()
        .map(|q| {
            let request = LinkRequest {
                text: format!("{q}（五险一金）-杭州"),
                kinds: vec![NodeKind::Occupation],
                limit: 5,
                ..LinkRequest::default()
            };
            time(&mut || {
                std::hint::black_box(index.link(&snapshot, &request).expect("link works"));
            })
        })
        .collect();
    query_micros.sort_by(f64::total_cmp);
    link_micros.sort_by(f64::total_cmp);
    SearchFigures {
        docs: n,
        docs_per_second,
        segments,
        merge_seconds,
        index_bytes,
        query_micros,
        query_micros_by_class,
        link_micros,
    }
}

/// Delays from a commit's return to its node being searchable, over `commits` commits of one
/// new knowledge point each, through the store's commit listener and the indexing thread.
pub fn commit_to_searchable(commits: usize) -> Vec<Duration> {
    use tupu_graph::oxigraph::model::vocab::rdf;
    use tupu_graph::oxigraph::model::{GraphName, Literal, NamedNode, Quad};
    use tupu_graph::vocab::{skos, tupu};
    let store = tupu_graph::GraphStore::in_memory().expect("a store");
    let index = SearchIndex::in_memory().expect("an index");
    index.follow(&store).expect("indexing starts");
    let g = GraphName::NamedNode(tupu_graph::graph_iri("bench").expect("a graph name"));
    (0..commits)
        .map(|i| {
            let n = NamedNode::new_unchecked(format!("{SYNTHETIC_NS}new{i}"));
            let label = Literal::new_language_tagged_literal_unchecked(format!("新知识点{i}"), "zh");
            let change = tupu_graph::ChangeSet::adding(vec![
                Quad::new(n.clone(), rdf::TYPE, tupu::KNOWLEDGE_POINT, g.clone()),
                Quad::new(n, skos::PREF_LABEL, label, g.clone()),
            ]);
            let version = store.commit(change).expect("the commit works").version;
            let t = Instant::now();
            index.wait_for(version, Duration::from_secs(60));
            t.elapsed()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_harness_indexes_searches_and_links_a_small_corpus() {
        let dir = tempfile::tempdir().unwrap();
        let figures = measure(dir.path(), corpus(2_000, 7), &queries(50, 8));
        assert_eq!(figures.docs, 2_000);
        assert!(figures.index_bytes > 0);
        assert_eq!(figures.query_micros.len(), 50);
        assert_eq!(commit_to_searchable(3).len(), 3);
    }

    #[test]
    fn the_zipf_corpus_falls_off_with_rank_and_its_queries_find_documents() {
        let docs = zipf_corpus(3_000, 5);
        let (zh, _) = vocabulary(ZIPF_VOCABULARY, &mut ChaCha8Rng::seed_from_u64(VOCABULARY_SEED));
        let share = |w: &str| docs.iter().filter(|d| d.body[0].contains(w)).count();
        // The most frequent function word is in most Chinese bodies; a word of rank 2,000 in
        // almost none.
        assert!(share(&zh[0]) > 1_000, "{}", share(&zh[0]));
        assert!(share(&zh[2_000]) < 100, "{}", share(&zh[2_000]));
        let dir = tempfile::tempdir().unwrap();
        let queries = zipf_queries(50, 6);
        assert!(queries.iter().all(|q| !q.is_empty() && !ZH_FUNCTION.contains(&q.as_str())));
        let figures = measure(dir.path(), docs, &queries);
        assert_eq!(figures.query_micros.len(), 50);
    }
}
