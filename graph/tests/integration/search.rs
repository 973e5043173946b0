//! The search index over a real on-disk store and a real on-disk index: it follows commits
//! (new, relabelled, deleted), finds Chinese, English and one-character queries, catches up
//! after missing commits, and links texts to nodes.

use std::time::Duration;

use oxigraph::model::vocab::rdf;
use oxigraph::model::{Literal, Quad};
use tupu_graph::search::{LinkRequest, SearchIndex, SearchRequest};
use tupu_graph::vocab::{skos, tupu};
use tupu_graph::{ChangeSet, GraphStore, NodeKind};

use crate::fixtures::{graph, node};

const WAIT: Duration = Duration::from_secs(30);

fn label(local: &str, text: &str, lang: &str) -> Quad {
    Quad::new(node(local), skos::PREF_LABEL, Literal::new_language_tagged_literal_unchecked(text, lang), graph())
}

fn typed(local: &str, class: oxigraph::model::NamedNodeRef<'_>) -> Quad {
    Quad::new(node(local), rdf::TYPE, class, graph())
}

fn literal(local: &str, p: oxigraph::model::NamedNodeRef<'_>, text: &str, lang: &str) -> Quad {
    Quad::new(node(local), p, Literal::new_language_tagged_literal_unchecked(text, lang), graph())
}

/// Knowledge points in Chinese and English, with an alias, a definition and a code.
fn curriculum() -> ChangeSet {
    let mut c = ChangeSet::new();
    for (local, zh, en) in [
        ("frac_add", "同分母分数加减法", "Adding fractions with like denominators"),
        ("triangle_area", "三角形的面积", "Area of a triangle"),
        ("times_table", "乘法口诀", "Multiplication table"),
    ] {
        c.added.push(typed(local, tupu::KNOWLEDGE_POINT));
        c.added.push(label(local, zh, "zh"));
        c.added.push(label(local, en, "en"));
    }
    c.added.push(literal("times_table", skos::ALT_LABEL, "九九歌", "zh"));
    c.added.push(literal("triangle_area", skos::DEFINITION, "底乘高除以二", "zh"));
    c.added.push(Quad::new(node("triangle_area"), skos::NOTATION, Literal::new_simple_literal("MA-G5-07"), graph()));
    c.added.push(Quad::new(node("frac_add"), tupu::REQUIRES, node("times_table"), graph()));
    c
}

fn ids(index: &SearchIndex, store: &GraphStore, text: &str) -> Vec<String> {
    let snapshot = store.snapshot();
    let request = SearchRequest { text: text.into(), limit: 10, ..SearchRequest::default() };
    index.search(&snapshot, &request).unwrap().hits.into_iter().map(|h| h.id).collect()
}

fn check(index: &SearchIndex, store: &GraphStore, text: &str, first: &str) {
    let found = ids(index, store, text);
    assert_eq!(found.first().map(String::as_str), Some(first), "query {text:?} found {found:?}");
}

/// An on-disk store and an on-disk index that follows it, in a temporary folder.
fn indexed_store() -> (tempfile::TempDir, GraphStore, SearchIndex) {
    let dir = tempfile::tempdir().unwrap();
    let store = GraphStore::open(dir.path().join("graph")).unwrap();
    let index = SearchIndex::open(&dir.path().join("search")).unwrap();
    index.follow(&store).unwrap();
    (dir, store, index)
}

#[test]
fn index_follows_commits_and_finds_chinese_english_and_short_queries() {
    let (_dir, store, index) = indexed_store();
    let v = store.commit(curriculum()).unwrap().version;
    assert!(index.wait_for(v, WAIT));
    assert_eq!(index.version(), v);

    check(&index, &store, "分数加减法", "frac_add");
    check(&index, &store, "三角形面积", "triangle_area");
    check(&index, &store, "乘法口诀", "times_table");
    check(&index, &store, "九九歌", "times_table");
    check(&index, &store, "fraction", "frac_add");
    check(&index, &store, "TRIANGLES", "triangle_area");
    check(&index, &store, "角", "triangle_area");
    check(&index, &store, "底乘高", "triangle_area");
    check(&index, &store, "ma-g5-07", "triangle_area");
    assert!(ids(&index, &store, "光合作用").is_empty());

    // Relabelled: found under the new name, not under the old one.
    let mut rename = ChangeSet::new();
    rename.removed.push(label("times_table", "乘法口诀", "zh"));
    rename.added.push(label("times_table", "九九乘法表", "zh"));
    let v = store.commit(rename).unwrap().version;
    assert!(index.wait_for(v, WAIT));
    check(&index, &store, "乘法表", "times_table");
    assert!(!ids(&index, &store, "口诀").contains(&"times_table".to_owned()));

    // Deleted: found no more.
    let mut delete = ChangeSet::new();
    delete.removed = store.graph_quads(&tupu_graph::graph_iri("test").unwrap()).unwrap();
    delete.removed.retain(|q| q.subject.to_string().contains("triangle_area"));
    let v = store.commit(delete).unwrap().version;
    assert!(index.wait_for(v, WAIT));
    assert!(ids(&index, &store, "三角形").is_empty());

    // Suggestions on labels, one character or a prefix.
    let snapshot = store.snapshot();
    let suggested: Vec<String> = index.suggest(&snapshot, "分数", &[], 5).unwrap().into_iter().map(|s| s.id).collect();
    assert_eq!(suggested, ["frac_add"]);
    let suggested: Vec<String> =
        index.suggest(&snapshot, "multipl", &[], 5).unwrap().into_iter().map(|s| s.id).collect();
    assert_eq!(suggested, ["times_table"]);
}

#[test]
fn a_replacement_finds_the_resources_of_the_node_it_replaces() {
    let (_dir, store, index) = indexed_store();
    let mut c = curriculum();
    c.added.push(typed("frac_add_2025", tupu::KNOWLEDGE_POINT));
    c.added.push(label("frac_add_2025", "分数加减法（2025版）", "zh"));
    c.added.push(typed("frac_lesson", tupu::RESOURCE));
    c.added.push(label("frac_lesson", "分数墙讲分数加减", "zh"));
    c.added.push(Quad::new(node("frac_lesson"), tupu::TEACHES, node("frac_add"), graph()));
    store.commit(c).unwrap();
    let near = |store: &GraphStore| {
        let s = store.snapshot();
        let new = s.resolve("frac_add_2025").unwrap();
        let request =
            SearchRequest { text: "分数墙".into(), node: Some(new), limit: 10, ..SearchRequest::default() };
        let hits = index.search(&s, &request).unwrap().hits.into_iter().filter(|h| h.id == "frac_lesson").count();
        let aligned: Vec<String> = index
            .aligned_resources(&s, new, 10)
            .unwrap()
            .into_iter()
            .map(|r| s.local_name(r.node).to_owned())
            .collect();
        (hits, aligned)
    };
    assert!(index.wait_for(store.version(), WAIT));
    assert_eq!(near(&store), (0, Vec::new()));

    // Deprecated in favour of the 2025 point: its lesson is found from the new one.
    let mut replace = ChangeSet::new();
    replace.added.push(Quad::new(node("frac_add"), tupu_graph::IS_REPLACED_BY, node("frac_add_2025"), graph()));
    let v = store.commit(replace).unwrap().version;
    assert!(index.wait_for(v, WAIT));
    assert_eq!(near(&store), (1, vec!["frac_lesson".to_owned()]));
}

/// Opens something, retrying while the indexing thread of an earlier opening (which holds the
/// store and the index writer) is still ending.
fn reopen<T, E: std::fmt::Debug>(open: impl Fn() -> Result<T, E>) -> T {
    let mut last = None;
    for _ in 0..300 {
        match open() {
            Ok(x) => return x,
            Err(e) => last = Some(e),
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("still locked: {last:?}");
}

#[test]
fn an_index_behind_the_store_catches_up_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let (graph_dir, search_dir) = (dir.path().join("graph"), dir.path().join("search"));
    {
        let store = GraphStore::open(&graph_dir).unwrap();
        let index = SearchIndex::open(&search_dir).unwrap();
        index.follow(&store).unwrap();
        let v = store.commit(curriculum()).unwrap().version;
        assert!(index.wait_for(v, WAIT));
    }
    // Commits the index never saw, as after a crash between the two commits.
    let missed = {
        let store = reopen(|| GraphStore::open(&graph_dir));
        let mut c = ChangeSet::new();
        c.added.push(typed("volume", tupu::KNOWLEDGE_POINT));
        c.added.push(label("volume", "长方体的体积", "zh"));
        store.commit(c).unwrap().version
    };
    let store = reopen(|| GraphStore::open(&graph_dir));
    let index = reopen(|| SearchIndex::open(&search_dir));
    assert_eq!(index.version(), missed - 1);
    index.follow(&store).unwrap();
    assert!(index.wait_for(missed, WAIT));
    check(&index, &store, "体积", "volume");
    check(&index, &store, "分数", "frac_add");
    assert_eq!(index.reindex(&store).unwrap(), 4);
}

/// A few occupations with the aliases job posts use, under a group.
fn occupations() -> ChangeSet {
    let mut c = ChangeSet::new();
    for (local, name, aliases, broader) in [
        ("g_it", "软件和信息技术服务人员", "", None),
        ("programmer", "计算机程序设计员S", "前端开发,前端开发工程师,Android", Some("g_it")),
        ("software_engineer", "计算机软件工程技术人员S", "Java开发,Java,软件工程师,架构师", Some("g_it")),
        ("tester", "计算机软件测试员S", "软件测试,测试开发", Some("g_it")),
        ("courier", "快递员", "", None),
        ("delivery", "网约配送员", "外卖骑手", None),
        ("cook", "中式烹调师", "厨师", None),
        ("truck_driver", "道路货运汽车驾驶员L", "货车司机", None),
    ] {
        c.added.push(typed(local, tupu::OCCUPATION));
        c.added.push(label(local, name, "zh"));
        for alias in aliases.split(',').filter(|a| !a.is_empty()) {
            c.added.push(literal(local, skos::ALT_LABEL, alias, "zh"));
        }
        if let Some(b) = broader {
            c.added.push(Quad::new(node(local), skos::BROADER, node(b), graph()));
        }
    }
    c
}

#[test]
fn noisy_job_titles_link_to_their_occupations() {
    let store = GraphStore::in_memory().unwrap();
    let index = SearchIndex::in_memory().unwrap();
    index.follow(&store).unwrap();
    let v = store.commit(occupations()).unwrap().version;
    assert!(index.wait_for(v, WAIT));
    let snapshot = store.snapshot();
    for (title, expected) in [
        ("Java开发工程师（五险一金+双休）-杭州", "software_engineer"),
        ("【急招】外卖骑手 日结 8-12K", "delivery"),
        ("高级前端开发工程师 (React) 15-25K·13薪", "programmer"),
        ("软件测试工程师/深圳南山", "tester"),
        ("货车司机 包吃住", "truck_driver"),
        ("快递员 双休", "courier"),
    ] {
        let request =
            LinkRequest { text: title.into(), kinds: vec![NodeKind::Occupation], limit: 3, ..LinkRequest::default() };
        let found = index.link(&snapshot, &request).unwrap();
        assert_eq!(found.first().map(|c| c.id.as_str()), Some(expected), "{title}: {found:?}");
        assert!(!found[0].matched.is_empty() || expected == "truck_driver", "{title}: no matched terms in {found:?}");
    }
}
