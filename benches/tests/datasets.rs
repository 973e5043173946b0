//! Tests over the full public datasets. Run with `TUPU_DATASETS` set to the datasets folder
//! (`../shared/datasets` beside the repository in CI); they fail, not skip, when it is missing.

use std::collections::HashSet;
use std::path::PathBuf;

use tupu_graph::oxigraph::model::Quad;
use tupu_graph::{GraphStore, NodeKind, Relation, graph_iri, prerequisite_cycles};
use tupu_ingest::{ImportError, convert_chalkbase, import_chalkbase, load_bundled};

fn datasets() -> PathBuf {
    let dir = std::env::var_os("TUPU_DATASETS")
        .map(PathBuf::from)
        .expect("set TUPU_DATASETS to the folder that holds the datasets (chalkbase/, csco2022/, ...)");
    assert!(
        dir.join("chalkbase/knowledge_points.json").is_file(),
        "{} does not hold chalkbase/knowledge_points.json",
        dir.display()
    );
    dir
}

#[test]
fn chalkbase_imports_whole_and_valid() {
    let store = GraphStore::in_memory().unwrap();
    load_bundled(&store, false).unwrap();
    let graph = graph_iri("chalkbase").unwrap();
    let report = import_chalkbase(&store, &datasets().join("chalkbase"), &graph, false).unwrap();
    assert!(report.commit.warnings.is_empty(), "{:?}", report.commit.warnings);
    let s = store.snapshot();
    assert_eq!(s.nodes_of_kind(NodeKind::KnowledgePoint).count(), 433);
    assert_eq!(s.edge_count(Relation::Requires), 3751);
    assert_eq!(s.edge_count(Relation::BuildsOn), 1851);
    assert_eq!(s.edge_count(Relation::Extends), 282);
    assert_eq!(s.nodes_of_kind(NodeKind::Resource).count(), 567);
    assert_eq!(s.nodes_of_kind(NodeKind::Competency).count(), 133);
    assert!(prerequisite_cycles(&s).is_empty());
    // The longest prerequisite chain of the dataset has 19 edges.
    let deepest = s.nodes().map(|n| s.depth(n)).max().unwrap();
    assert_eq!(deepest, 19);
    assert!(store.validate().unwrap().is_empty());
}

#[test]
fn bundled_demo_is_the_importers_output() {
    let graph = graph_iri("chalkbase").unwrap();
    let converted: HashSet<Quad> =
        convert_chalkbase(&datasets().join("chalkbase"), &graph).unwrap().into_iter().collect();
    let store = GraphStore::in_memory().unwrap();
    load_bundled(&store, true).unwrap();
    let bundled: HashSet<Quad> = store.graph_quads(&graph).unwrap().into_iter().collect();
    assert_eq!(converted.len(), bundled.len());
    assert!(converted == bundled, "ontologies/demo/chalkbase.ttl is out of date: re-export it with the importer");
}

#[test]
fn a_broken_record_is_named_and_nothing_is_imported() {
    let source = datasets().join("chalkbase");
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(&source).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    // Point one edge at a knowledge point that does not exist.
    let edges = dir.path().join("edges_relations.json");
    let text = std::fs::read_to_string(&edges).unwrap();
    let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
    json[7]["to_knowledge_point_id"] = "kp.nowhere".into();
    std::fs::write(&edges, json.to_string()).unwrap();

    let store = GraphStore::in_memory().unwrap();
    load_bundled(&store, false).unwrap();
    let before = store.len().unwrap();
    let err = import_chalkbase(&store, dir.path(), &graph_iri("chalkbase").unwrap(), false).unwrap_err();
    let ImportError::Invalid { diagnostics, .. } = &err else { panic!("unexpected error {err}") };
    assert_eq!(diagnostics.len(), 1);
    let location = diagnostics[0].location.as_ref().unwrap();
    assert!(location.file.ends_with("edges_relations.json"));
    assert_eq!(location.record, Some(7));
    assert_eq!(location.field.as_deref(), Some("to_knowledge_point_id"));
    assert!(diagnostics[0].message.contains("kp.nowhere"));
    assert_eq!(store.len().unwrap(), before);
}

/// The demo graph with the 4,319 ChalkBase exercises imported as resources, and its index.
fn graph_with_exercises() -> (GraphStore, tupu_graph::search::SearchIndex) {
    let store = GraphStore::in_memory().unwrap();
    load_bundled(&store, true).unwrap();
    let graph = graph_iri("chalkbase-exercises").unwrap();
    let report = tupu_ingest::import_resources(
        &store,
        &datasets().join("chalkbase"),
        tupu_ingest::ResourceFormat::ChalkbaseExercises,
        &graph,
        false,
    )
    .unwrap();
    assert!(report.commit.warnings.is_empty(), "{:?}", report.commit.warnings.first());
    let index = tupu_graph::search::SearchIndex::in_memory().unwrap();
    index.reindex(&store).unwrap();
    (store, index)
}

struct Exercise {
    id: String,
    text: String,
    primary_knowledge_point_id: String,
}

/// Top-1 and top-5 accuracy of a ranking of knowledge points against each exercise's primary
/// knowledge point.
fn accuracy(exercises: &[Exercise], rank: impl Fn(&Exercise) -> Vec<String>) -> (f64, f64) {
    let (mut top1, mut top5) = (0usize, 0usize);
    for e in exercises {
        let wanted = format!("{}{}", tupu_ingest::CHALKBASE_NS, e.primary_knowledge_point_id);
        let ranked = rank(e);
        top1 += usize::from(ranked.first() == Some(&wanted));
        top5 += usize::from(ranked.iter().take(5).any(|r| r == &wanted));
    }
    let n = exercises.len() as f64;
    (top1 as f64 / n, top5 as f64 / n)
}

#[test]
fn exercise_texts_link_to_their_knowledge_points_better_than_bm25() {
    use tupu_graph::search::{LinkRequest, SearchRequest};
    let (store, index) = graph_with_exercises();
    let snapshot = store.snapshot();
    let text = std::fs::read_to_string(datasets().join("chalkbase/exercises.json")).unwrap();
    let json: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    let field = |e: &serde_json::Value, name: &str| e[name].as_str().unwrap().to_owned();
    let exercises: Vec<Exercise> = json
        .iter()
        .map(|e| Exercise {
            id: field(e, "id"),
            text: field(e, "text"),
            primary_knowledge_point_id: field(e, "primary_knowledge_point_id"),
        })
        .collect();
    assert_eq!(exercises.len(), 4319);
    let iri = |e: &Exercise| format!("{}{}", tupu_ingest::CHALKBASE_NS, e.id);

    let bm25 = accuracy(&exercises, |e| {
        let request = SearchRequest {
            text: e.text.clone(),
            kinds: vec![NodeKind::KnowledgePoint],
            limit: 5,
            ..SearchRequest::default()
        };
        index.search(&snapshot, &request).unwrap().hits.into_iter().map(|h| h.iri).collect()
    });
    let link = |evidence: bool| {
        accuracy(&exercises, |e| {
            let request = LinkRequest {
                text: e.text.clone(),
                kinds: vec![NodeKind::KnowledgePoint],
                limit: 5,
                exclude: Some(iri(e)),
                resource_evidence: evidence,
            };
            index.link(&snapshot, &request).unwrap().into_iter().map(|c| c.iri).collect()
        })
    };
    let graph_only = link(false);
    let with_resources = link(true);
    eprintln!("exercise text -> primary knowledge point, {} exercises", exercises.len());
    eprintln!("| method | top-1 | top-5 |\n|---|---|---|");
    for (name, (t1, t5)) in [
        ("BM25 over knowledge points (search)", bm25),
        ("link: labels, aliases, definitions, hierarchy", graph_only),
        ("link + aligned resources (leave-one-out)", with_resources),
    ] {
        eprintln!("| {name} | {:.1}% | {:.1}% |", t1 * 100.0, t5 * 100.0);
    }
    assert!(with_resources.0 > bm25.0 && with_resources.1 > bm25.1, "{with_resources:?} vs {bm25:?}");
    assert!(with_resources.1 >= 0.5, "top-5 {with_resources:?}");
}

/// CSCO 2022 occupations (all four levels, with aliases, definitions and tasks) as quads.
fn csco_occupations() -> Vec<Quad> {
    use tupu_graph::oxigraph::model::vocab::rdf;
    use tupu_graph::oxigraph::model::{GraphName, Literal, NamedNode};
    use tupu_graph::vocab::{skos, tupu};
    let text = std::fs::read_to_string(datasets().join("csco2022/csco22.csv")).unwrap();
    let records = tupu_ingest::parse_csv(&text);
    let header = &records[0].1;
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (level, code, name, definition, tasks, alias) =
        (col("level"), col("code"), col("name"), col("definition"), col("tasks"), col("alias"));
    let g = GraphName::NamedNode(graph_iri("csco").unwrap());
    let iri = |level: &str, code: &str| NamedNode::new(format!("https://example.org/csco/L{level}-{code}")).unwrap();
    let codes: HashSet<(String, String)> =
        records[1..].iter().map(|(_, r)| (r[level].clone(), r[code].clone())).collect();
    let zh = |t: &str| Literal::new_language_tagged_literal_unchecked(t, "zh");
    let mut quads = Vec::new();
    for (_, r) in &records[1..] {
        let n = iri(&r[level], &r[code]);
        quads.push(Quad::new(n.clone(), rdf::TYPE, tupu::OCCUPATION, g.clone()));
        quads.push(Quad::new(n.clone(), skos::PREF_LABEL, zh(&r[name]), g.clone()));
        quads.push(Quad::new(n.clone(), skos::NOTATION, Literal::new_simple_literal(&r[code]), g.clone()));
        for a in r[alias].split(',').map(str::trim).filter(|a| !a.is_empty() && *a != r[name]) {
            quads.push(Quad::new(n.clone(), skos::ALT_LABEL, zh(a), g.clone()));
        }
        for (p, v) in [(skos::DEFINITION, &r[definition]), (skos::SCOPE_NOTE, &r[tasks])] {
            if !v.trim().is_empty() {
                quads.push(Quad::new(n.clone(), p, zh(v), g.clone()));
            }
        }
        // The parent: the first shorter code of the row above this level that exists.
        let parts: Vec<&str> = r[code].split('-').collect();
        let lvl: usize = r[level].parse().unwrap();
        if lvl > 1 && parts.len() == 4 {
            let parent_level = (lvl - 1).to_string();
            let keep = lvl - 1;
            let parent: Vec<&str> = (0..4).map(|i| if i < keep { parts[i] } else { "00" }).collect();
            let parent = parent.join("-");
            if codes.contains(&(parent_level.clone(), parent.clone())) {
                quads.push(Quad::new(n.clone(), skos::BROADER, iri(&parent_level, &parent), g.clone()));
            }
        }
    }
    quads
}

#[test]
fn noisy_job_titles_link_to_csco_occupations() {
    use tupu_graph::search::SearchIndex;
    let store = GraphStore::in_memory().unwrap();
    load_bundled(&store, false).unwrap();
    store.commit(tupu_graph::ChangeSet::adding(csco_occupations())).unwrap();
    // 2,051 rows; three repeat the level and code of another row.
    assert_eq!(store.snapshot().nodes_of_kind(NodeKind::Occupation).count(), 2048);
    let index = SearchIndex::in_memory().unwrap();
    index.reindex(&store).unwrap();
    let snapshot = store.snapshot();
    let titles = [
        ("Java开发工程师（五险一金+双休）-杭州", "2-02-10-03"),
        ("高级前端开发工程师 15-25K·13薪", "4-04-05-01"),
        ("软件测试工程师/深圳南山 双休", "4-04-05-02"),
        ("外卖骑手 日结 多劳多得", "4-10-08-01"),
        ("快递员（包住）-广州白云", "4-02-07-08"),
        ("中餐厨师 包吃住 月休4天", "4-03-02-01"),
        ("餐厅服务员【急招】", "4-03-02-05"),
        ("保安 长白班 8小时 五险", "4-07-05-01"),
        ("商场保洁员（早班）", "4-09-08-01"),
        ("超市收银员 急招 可兼职", "4-01-02-04"),
        ("仓库管理员 五险一金 双休", "4-02-06-01"),
        ("出纳/会计 8000-10000元", "2-06-03-00"),
        ("网约车司机 自带车辆 高收入", "4-02-02-01"),
        ("货运司机 C1驾照 跑长途", "4-02-02-02"),
        ("发型师 底薪+提成 包住", "4-10-03-02"),
        ("淘宝客服 在家办公 无经验可做", "4-04-05-03"),
        ("月嫂/育儿嫂 高薪直招", "4-10-01-06"),
        ("叉车司机（持证上岗）", "6-30-05-01"),
        ("电焊工 氩弧焊 日结", "6-18-02-04"),
        ("水电工 物业 五险", "6-31-01-03"),
        ("汽车维修工 学徒可带", "4-12-01-01"),
        ("置业顾问 底薪4000+高提成", "4-06-02-01"),
        ("直播带货主播 抖音 20-30K", "4-01-06-02"),
        ("健身教练 私教 提成高", "4-14-05-01"),
        ("药店店员/执业药师 包吃住", "2-05-06-01"),
        ("幼儿园教师（持证）", "2-08-03-00"),
        ("机器学习工程师 (NLP方向) 30-50K", "2-02-38-01"),
        ("咖啡师 星巴克 兼职", "4-03-02-08"),
        ("英语翻译 外企 双休", "2-10-05-00"),
        ("装卸工 搬运工 日结200", "4-02-05-01"),
        ("幼师 寒暑假带薪", "2-08-03-00"),
        ("注塑机操作工 两班倒", "6-18-04-01"),
        ("CNC操作工（学徒可带）", "6-18-01-07"),
        ("送货司机 C照", "4-02-02-02"),
        ("小学数学老师", "2-08-02-04"),
        ("新媒体运营专员", "4-13-01-05"),
        ("酒店前台接待 包住", "4-03-01-01"),
        ("护工 医院 包吃住", "4-14-01-02"),
        ("面包师 西点", "6-02-01-01"),
        ("网络工程师 弱电", "2-02-10-04"),
        ("诚聘 司机 A2驾照 跑长途 月入过万", "4-02-02-02"),
        ("急招！！！电话客服 普通话标准 底薪+绩效", "4-04-05-03"),
        ("JD-2024-0315 后端开发工程师(Go/Java) 应届生可投", "2-02-10-03"),
        ("【高薪诚聘】川菜厨师 不限学历 包食宿", "4-03-02-01"),
        ("夜班保安 45岁以下 退伍军人优先", "4-07-05-01"),
        ("顺丰快递派送员 多劳多得 不押工资", "4-02-07-08"),
        ("收银 超市 18-40岁 长期稳定", "4-01-02-04"),
        ("Tony老师 美发 高提成", "4-10-03-02"),
        ("游泳教练 暑期兼职 日薪300", "4-14-05-01"),
        ("资深Java工程师-上海-25k-40k", "2-02-10-03"),
        ("焊工师傅（上海/苏州/无锡）", "6-18-02-04"),
        ("客服专员（线上）/ 居家办公 / 双休", "4-04-05-03"),
        ("Software Engineer (Backend) - Beijing", "2-02-10-03"),
        ("Truck Driver 货车司机", "4-02-02-02"),
        ("Registered Nurse 外科", "2-05-08-04"),
        ("Accountant 会计", "2-06-03-00"),
        ("Barista", "4-03-02-08"),
        ("Security Guard", "4-07-05-01"),
        ("美团外卖骑手-北京海淀 周结 18-50岁", "4-10-08-01"),
        ("岗位：养老护理员（有证优先）", "4-10-01-05"),
        ("服装店导购/营业员 底薪3k+提成", "4-01-02-03"),
        ("某科技有限公司 诚聘 会计助理 学历大专以上", "2-06-03-00"),
        ("包装工 计件工资 男女不限", "6-31-05-00"),
        ("服装设计师（女装方向）5年以上经验", "2-09-06-02"),
        ("初中英语教师 民办学校 编制", "2-08-02-03"),
        ("收银员兼理货员", "4-01-02-04"),
        ("KTV服务员 晚班 小费高", "4-03-02-05"),
        ("Java Developer (Spring Boot) 上海", "2-02-10-03"),
        ("养老院护工 包吃住 45-55岁", "4-10-01-05"),
        ("火锅店服务员 兼职 时薪20", "4-03-02-05"),
    ];
    // Held out: titles the linker was never tuned on, reported separately.
    let held_out = [
        ("美甲师 学徒包教 底薪3500", "4-10-03-03"),
        ("房产经纪人 高提成 急招-成都", "4-06-02-01"),
        ("保育员 民办幼儿园 五险", "4-10-01-03"),
        ("客房服务员（五星酒店）包吃住", "4-03-01-02"),
        ("超市理货员 早晚班 可兼职", "4-02-06-02"),
        ("机修钳工 夜班补贴", "6-31-01-02"),
        ("数据分析师 Python/SQL 20-35K·14薪", "4-07-02-05"),
        ("保险代理人 时间自由 周结", "4-05-03-01"),
        ("地陪导游 持导游证 北京", "4-07-04-01"),
        ("验光师 眼镜店 五险一金", "4-14-03-03"),
        ("外科护士 三甲医院", "2-05-08-04"),
        ("物业管理员 小区 包住", "4-06-01-01"),
        ("【北京·朝阳】美容师 包住 月休6天", "4-10-03-01"),
        ("家政保洁阿姨 钟点工 住家", "4-10-01-06"),
        ("二保焊焊工 包吃住 计件", "6-18-02-04"),
        ("平面设计师 PS/AI 13薪", "4-08-08-06"),
        ("足疗按摩技师 提成高 包住", "4-10-04-02"),
        ("面点师傅 早餐店 凌晨班", "4-03-02-02"),
        ("视觉设计师 电商 双休", "2-09-06-01"),
        ("茶艺师 茶馆 包住 做六休一", "4-03-02-07"),
        ("酒吧调酒师（晚班）8-12K", "4-03-02-09"),
        ("钢筋工 工地 日结400", "6-29-01-04"),
        ("电梯安装维修工 持特种作业证", "6-29-03-03"),
        ("总经理秘书 英语流利 双休", "3-01-02-02"),
        ("锅炉工 供暖季 包吃住", "6-28-01-11"),
        ("木工师傅 装修 大工小工都要", "6-06-03-01"),
        ("物流专员 第三方物流 五险一金", "4-02-06-03"),
    ];
    let tuned = top1_job_titles(&index, &snapshot, &titles);
    let held = top1_job_titles(&index, &snapshot, &held_out);
    eprintln!(
        "job titles -> CSCO occupation: top-1 {tuned}/{} (tuned on), {held}/{} (held out)",
        titles.len(),
        held_out.len()
    );
    assert!(tuned * 10 >= titles.len() * 8, "{tuned}/{}", titles.len());
    assert!(held * 10 >= held_out.len() * 6, "{held}/{}", held_out.len());
}

/// How many of `titles` link first to the occupation with the given code.
fn top1_job_titles(
    index: &tupu_graph::search::SearchIndex,
    snapshot: &tupu_graph::Snapshot,
    titles: &[(&str, &str)],
) -> usize {
    use tupu_graph::search::LinkRequest;
    let mut right = 0;
    for &(title, code) in titles {
        let request =
            LinkRequest { text: title.into(), kinds: vec![NodeKind::Occupation], limit: 3, ..LinkRequest::default() };
        let found = index.link(&snapshot, &request).unwrap();
        let got = found.first().and_then(|c| c.codes.first().cloned()).unwrap_or_default();
        if got == code {
            right += 1;
        } else {
            eprintln!("{title}: wanted {code}, got {got} {}", found.first().map(|c| c.label.as_str()).unwrap_or(""));
            for c in &found {
                eprintln!("   {} {:?} {} {:?}", c.label, c.codes, c.score, c.matched);
            }
        }
    }
    right
}
