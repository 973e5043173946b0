//! Tests over the full public datasets. Run with `TUPU_DATASETS` set to the datasets folder
//! (`../shared/datasets` beside the repository in CI); they fail, not skip, when it is missing.

use std::collections::HashSet;
use std::path::PathBuf;

use tupu_graph::oxigraph::model::Quad;
use tupu_graph::{GraphStore, NodeKind, Relation, graph_iri, prerequisite_cycles};
use tupu_ingest::{ImportError, convert_chalkbase, employment_demo, import_chalkbase, load_bundled};

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

/// The bundled employment demo equals a fresh generation; with `TUPU_WRITE_DEMO=1` the test
/// first rewrites `ontologies/demo/employment.ttl` from the datasets.
#[test]
fn bundled_employment_demo_is_the_generators_output() {
    let demo = employment_demo(&datasets()).unwrap();
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ontologies/demo/employment.ttl");
    let graduates = path.with_file_name("graduates.jsonl");
    if std::env::var_os("TUPU_WRITE_DEMO").is_some() {
        std::fs::write(&path, &demo.turtle).unwrap();
        std::fs::write(&graduates, &demo.graduates).unwrap();
    }
    assert_eq!(
        std::fs::read_to_string(&graduates).unwrap(),
        demo.graduates,
        "ontologies/demo/graduates.jsonl is out of date (rerun with TUPU_WRITE_DEMO=1)"
    );
    assert!(demo.turtle.len() < 1_000_000, "the demo has grown to {} bytes", demo.turtle.len());
    let generated: HashSet<Quad> = demo.quads.into_iter().collect();
    let store = GraphStore::in_memory().unwrap();
    load_bundled(&store, true).unwrap();
    let bundled: HashSet<Quad> =
        store.graph_quads(&graph_iri("employment-demo").unwrap()).unwrap().into_iter().collect();
    assert_eq!(generated.len(), bundled.len());
    let stale: Vec<String> = generated.difference(&bundled).take(3).map(|q| q.to_string()).collect();
    assert!(
        stale.is_empty(),
        "ontologies/demo/employment.ttl is out of date (rerun with TUPU_WRITE_DEMO=1): {stale:?}"
    );
    // What the bundled file was compiled from must be what is on disk.
    assert_eq!(std::fs::read_to_string(&path).unwrap(), demo.turtle);
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
    let records = tupu_ingest::parse_csv(&text).unwrap();
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

// ---------------------------------------------------------------------------------------
// The learner model on real learners: ASSISTments 2009–2010 skill builder, training split.
// ---------------------------------------------------------------------------------------

mod learner_model {
    use std::collections::BTreeMap;
    use std::io::BufReader;
    use std::time::Instant;

    use tupu_graph::{NodeId, NodeKind, Snapshot, SnapshotBuilder};
    use tupu_recommend::{
        BktFit, FitConfig, FitEvent, FitStatus, LearnerState, ModelFit, Observation, fit_model, read_events,
    };

    /// Folds of the cross-validation, split by learner.
    const FOLDS: usize = 5;

    fn answers() -> Vec<FitEvent> {
        let path = super::datasets().join("assistments-2009-train/train.jsonl.gz");
        let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let events = read_events(BufReader::new(flate2::read::MultiGzDecoder::new(file))).unwrap();
        assert_eq!(events.len(), 407_967, "METADATA.txt gives 407,967 responses");
        events
    }

    /// Learner `train-<i>` is in fold `i mod FOLDS`.
    fn fold(learner: &str) -> usize {
        learner.trim_start_matches("train-").parse::<usize>().expect("learners are train-<i>") % FOLDS
    }

    /// Next-response metrics over (prediction, answer) pairs.
    #[derive(Clone, Copy, Debug)]
    struct Metrics {
        auc: f64,
        rmse: f64,
        log_loss: f64,
    }

    /// AUC as the Mann–Whitney statistic (ties count half), RMSE and log-loss. O(n log n).
    fn metrics(mut predictions: Vec<(f32, bool)>) -> Metrics {
        let n = predictions.len() as f64;
        let (mut se, mut ll) = (0.0, 0.0);
        for &(p, y) in &predictions {
            let p = f64::from(p).clamp(1e-9, 1.0 - 1e-9);
            let y = if y { 1.0 } else { 0.0 };
            se += (p - y) * (p - y);
            ll -= y * p.ln() + (1.0 - y) * (1.0 - p).ln();
        }
        predictions.sort_by(|a, b| a.0.total_cmp(&b.0));
        let positives = predictions.iter().filter(|x| x.1).count() as f64;
        let negatives = n - positives;
        // Sum of the ranks of the positives, tied predictions sharing their mean rank.
        let (mut rank_sum, mut i) = (0.0, 0);
        while i < predictions.len() {
            let mut j = i;
            while j < predictions.len() && predictions[j].0 == predictions[i].0 {
                j += 1;
            }
            let mean_rank = (i + 1 + j) as f64 / 2.0;
            rank_sum += mean_rank * predictions[i..j].iter().filter(|x| x.1).count() as f64;
            i = j;
        }
        let auc = (rank_sum - positives * (positives + 1.0) / 2.0) / (positives * negatives);
        Metrics { auc, rmse: (se / n).sqrt(), log_loss: ll / n }
    }

    #[test]
    fn metrics_match_hand_computed_values() {
        let m = metrics(vec![(0.9, true), (0.8, false), (0.7, true), (0.2, false), (0.7, false)]);
        // Positives 0.9 and 0.7 against negatives 0.8, 0.2, 0.7: 5 of 6 pairs, one tie.
        assert!((m.auc - 4.5 / 6.0).abs() < 1e-12, "{}", m.auc);
        let rmse = ((0.01 + 0.64 + 0.09 + 0.04 + 0.49) / 5.0f64).sqrt();
        assert!((m.rmse - rmse).abs() < 1e-6);
    }

    /// A graph with one knowledge point per skill, carrying the fitted parameters (and the
    /// ability weight, if one is given) of the skills that had enough answers (the others keep
    /// the defaults, as served).
    fn graph(
        fits: &BTreeMap<String, BktFit>,
        ability: Option<f32>,
        skills: &[String],
    ) -> (Snapshot, BTreeMap<String, NodeId>) {
        let mut b = SnapshotBuilder::new();
        let mut ids = BTreeMap::new();
        for skill in skills {
            let node = b.node(&format!("https://example.org/assistments/skill/{skill}"), NodeKind::KnowledgePoint);
            if let Some(fit) = fits.get(skill).filter(|f| f.status != FitStatus::TooLittleData) {
                b.attrs_mut(node).bkt = Some(fit.params);
                b.attrs_mut(node).bkt_ability = ability;
            }
            ids.insert(skill.clone(), node);
        }
        (b.build(1), ids)
    }

    /// Replays each held-out learner's answers in order through the served model: the
    /// prediction for each answer is made from the learner's earlier answers only.
    fn replay(
        snapshot: &Snapshot,
        ids: &BTreeMap<String, NodeId>,
        learners: &BTreeMap<&str, Vec<&FitEvent>>,
    ) -> Vec<(f32, bool)> {
        let mut out = Vec::new();
        for answers in learners.values() {
            let mut state = LearnerState::default();
            // The log has no timestamps: every answer at one time, in the log's order, as the fit
            // reads it (no decay in time between answers).
            for e in answers {
                let node = ids[&e.node];
                out.push((state.predict(snapshot, node, e.time), e.correct));
                let score = if e.correct { 1.0 } else { 0.0 };
                state.observe(snapshot, Observation { node, score, time: e.time });
            }
        }
        out
    }

    #[test]
    fn the_served_model_beats_textbook_bkt_on_held_out_learners() {
        let events = answers();
        let mut skills: Vec<String> = events.iter().map(|e| e.node.clone()).collect();
        skills.sort();
        skills.dedup();
        let ml_forget = FitConfig { forget: true, ..FitConfig::textbook() };
        let names = [
            "textbook BKT (ML, no forgetting)",
            "+ forgetting (ML)",
            "+ priors pooled toward the global fit",
            "+ learner ability (served)",
        ];
        // Predictions of each model, per fold.
        let mut results: Vec<Vec<Vec<(f32, bool)>>> = vec![Vec::new(); names.len()];
        let mut weights = Vec::new();
        let started = Instant::now();
        for k in 0..FOLDS {
            let train: Vec<FitEvent> = events.iter().filter(|e| fold(&e.learner) != k).cloned().collect();
            let mut held_out: BTreeMap<&str, Vec<&FitEvent>> = BTreeMap::new();
            for e in events.iter().filter(|e| fold(&e.learner) == k) {
                held_out.entry(e.learner.as_str()).or_default().push(e);
            }
            let textbook = fit_model(train.clone(), &FitConfig::textbook());
            let forget = fit_model(train.clone(), &ml_forget);
            let served: ModelFit = fit_model(train, &FitConfig::default());
            let ability = served.ability.expect("the served fit has an ability weight");
            assert!(ability.log_likelihood > ability.log_likelihood_without, "{ability:?}");
            weights.push(ability.weight);
            let graphs = [
                graph(&textbook.nodes, None, &skills),
                graph(&forget.nodes, None, &skills),
                graph(&served.nodes, None, &skills),
                graph(&served.nodes, Some(ability.weight), &skills),
            ];
            for (i, (snapshot, ids)) in graphs.iter().enumerate() {
                results[i].push(replay(snapshot, ids, &held_out));
            }
        }
        println!("\n== ASSISTments 2009 skill builder, training learners: {FOLDS}-fold cross-validation by learner");
        println!(
            "   next-response prediction through LearnerState::predict/observe ({:.0} s); ability weights {weights:?}",
            started.elapsed().as_secs_f64()
        );
        println!("{:<40} {:>7} {:>7} {:>8}   AUC of folds 0..{FOLDS}", "model", "AUC", "RMSE", "log-loss");
        let mut table = Vec::new();
        for (name, folds) in names.iter().zip(&results) {
            let per_fold: Vec<String> = folds.iter().map(|f| format!("{:.4}", metrics(f.clone()).auc)).collect();
            let m = metrics(folds.concat());
            println!("{name:<40} {:>7.4} {:>7.4} {:>8.4}   {}", m.auc, m.rmse, m.log_loss, per_fold.join(" "));
            table.push(m);
        }
        let (textbook, served) = (table[0], table[table.len() - 1]);
        assert!(served.auc > textbook.auc + 0.03, "served {served:?} against textbook {textbook:?}");
        assert!(served.log_loss < textbook.log_loss && served.rmse < textbook.rmse);
        // Each addition is kept only if it does not lose on held-out learners.
        for pair in table.windows(2) {
            assert!(pair[1].auc >= pair[0].auc - 1e-3, "{table:?}");
        }
        // The learner's ability is kept because it wins, on every fold.
        for (with, without) in results[3].iter().zip(&results[2]) {
            let (with, without) = (metrics(with.clone()), metrics(without.clone()));
            assert!(with.auc > without.auc && with.log_loss < without.log_loss, "{with:?} against {without:?}");
        }
    }

    #[test]
    fn every_skill_is_reported_and_a_bad_line_stops_the_fit() {
        let events = answers();
        let started = Instant::now();
        let model = fit_model(events, &FitConfig::default());
        println!(
            "\nfit with forgetting and ability, 407,967 answers: {:.2} s (debug build)",
            started.elapsed().as_secs_f64()
        );
        let ability = model.ability.expect("an ability weight is fitted");
        println!("learner ability: {ability:?}");
        assert!(ability.weight > 0.0 && ability.answers > 400_000, "{ability:?}");
        let fits = model.nodes;
        assert_eq!(fits.len(), 123, "METADATA.txt gives 123 skills");
        let mut by_status: BTreeMap<String, usize> = BTreeMap::new();
        for fit in fits.values() {
            *by_status.entry(format!("{:?}", fit.status)).or_default() += 1;
            assert!(fit.log_likelihood <= 0.0 && fit.observations >= fit.sequences);
            let p = fit.params;
            assert!(p.slip <= 0.5 && p.guess <= 0.5 && p.forget <= 0.5, "{fit:?}");
            if fit.status != FitStatus::TooLittleData {
                assert!(fit.iterations >= 1);
            }
        }
        println!("skills by how the fit ended: {by_status:?}");
        // A corrupted line in the middle of the file is named, and nothing is returned.
        let path = super::datasets().join("assistments-2009-train/train.jsonl.gz");
        let text =
            std::io::read_to_string(flate2::read::MultiGzDecoder::new(std::fs::File::open(path).unwrap())).unwrap();
        let mut lines: Vec<&str> = text.lines().collect();
        lines[200_000] = r#"{"learner": "train-1", "skill": "7", "correct": "maybe"}"#;
        let error = read_events(lines.join("\n").as_bytes()).unwrap_err();
        assert_eq!(error.to_string(), "1 invalid line(s):\n  line 200001, correct: must be true or false (or 1 or 0)");
    }
}

#[test]
fn esco_imports_every_occupation_skill_and_link_from_the_official_zips() {
    use tupu_graph::QueryOptions;
    use tupu_graph::oxigraph::sparql::QueryResults;

    let store = GraphStore::in_memory().unwrap();
    load_bundled(&store, false).unwrap();
    let started = std::time::Instant::now();
    let report =
        tupu_ingest::import_esco(&store, &datasets().join("esco-v1.1.1"), &graph_iri("esco").unwrap(), false, false)
            .unwrap();
    eprintln!("ESCO v1.1.1 import: {:.2} s, {} quads", started.elapsed().as_secs_f64(), report.quads);
    // 3,007 described occupations, and the one that only the relation file names.
    assert_eq!(report.occupations, 3_008);
    assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
    assert_eq!(report.skills, 13_896);
    assert_eq!(report.links, 123_855);
    assert_eq!(report.essential, 64_946);
    assert_eq!(report.isco_groups, 619);
    let s = store.snapshot();
    assert_eq!(s.edge_count(Relation::RequiresCompetency), 123_855);
    assert_eq!(s.nodes_of_kind(NodeKind::Occupation).count(), 3_008 + 619);
    // Every occupation of the described file has an ISCO-08 group above it.
    let dev = s.node_by_iri("http://data.europa.eu/esco/occupation/f2b15a0e-e65a-438a-affb-29b9d50b77d1").unwrap();
    assert_eq!(s.label(dev, Some("en")), "software developer");
    assert!(s.out(dev, Relation::Broader).iter().any(|e| s.iri(e.node) == "http://data.europa.eu/esco/isco/C2512"));
    // Its essential skills through SPARQL.
    let q = "PREFIX tupu: <https://w3id.org/tupu/ns#> SELECT (COUNT(?s) AS ?n) WHERE { \
             <http://data.europa.eu/esco/occupation/f2b15a0e-e65a-438a-affb-29b9d50b77d1> tupu:qualifiedRequirement ?q . \
             ?q tupu:competency ?s ; tupu:essential true }";
    let QueryResults::Solutions(mut rows) = store.query(q, &QueryOptions::default()).unwrap() else { panic!() };
    let n = rows.next().unwrap().unwrap().get("n").unwrap().to_string();
    let essential = s.out(dev, Relation::RequiresCompetency).iter().filter(|e| e.essential).count();
    assert!(essential > 5);
    assert_eq!(n, format!("\"{essential}\"^^<http://www.w3.org/2001/XMLSchema#integer>"));
    assert!(store.validate().unwrap().iter().all(|d| !d.is_violation()));
}

#[test]
fn escos_rdf_sample_is_read_in_its_own_model() {
    let store = GraphStore::in_memory().unwrap();
    load_bundled(&store, false).unwrap();
    let path = datasets().join("esco-ict-sample/esco-padding.ttl");
    let report = tupu_ingest::import_esco(&store, &path, &graph_iri("esco-sample").unwrap(), false, false).unwrap();
    assert_eq!(report.skills, 1);
    let s = store.snapshot();
    let mongo = s.node_by_iri("http://par-tec.it/esco/skill/8534efcf-7e31-4e56-bcfc-4f380cec7ab0").unwrap();
    assert_eq!(s.kind(mongo), NodeKind::Competency);
    assert_eq!(s.label(mongo, Some("en")), "MongoDB");
    // Its occupations and broader groups are not in the sample: reported, not invented.
    assert_eq!(report.links, 0);
    assert_eq!(report.warnings.len(), 2);
}

#[test]
fn onet_rated_occupations_load_with_levels_and_weights() {
    let store = GraphStore::in_memory().unwrap();
    load_bundled(&store, false).unwrap();
    let (_, counts) =
        tupu_ingest::import_onet(&store, &datasets().join("onet-29.3"), &graph_iri("onet").unwrap(), false).unwrap();
    assert_eq!(counts.occupations, 1_016);
    assert_eq!(counts.rated_occupations, 879);
    assert_eq!(counts.elements, 35 + 33);
    assert!(counts.dwas >= 2_082);
    assert!(counts.flagged > 0);
    let s = store.snapshot();
    // Software developers (15-1252.00) carry no ratings in this release; systems analysts do.
    let dev = s.node_by_iri(&format!("{}occupation/15-1211.00", tupu_ingest::ONET_NS)).unwrap();
    let rated: Vec<_> = s.out(dev, Relation::RequiresCompetency).iter().filter(|e| e.level > 0).collect();
    assert!(!rated.is_empty());
    assert!(rated.iter().all(|e| (0.0..=1.0).contains(&e.weight) && (1..=8).contains(&e.level)));
    assert!(store.validate().unwrap().iter().all(|d| !d.is_violation()));
}

#[test]
fn csco_rows_form_four_levels() {
    let store = GraphStore::in_memory().unwrap();
    load_bundled(&store, false).unwrap();
    let path = datasets().join("csco2022/csco22.csv");
    let (quads, rows) = tupu_ingest::convert_csco(&path, &graph_iri("csco").unwrap()).unwrap();
    // 2,051 rows, three of which (lines 1053, 1152, 1761) repeat an earlier row word for
    // word: merged into it, each with a warning naming both lines.
    assert_eq!(rows, 2_048);
    let report = tupu_ingest::import_csco(&store, &path, &graph_iri("csco").unwrap(), false).unwrap();
    let repeats: Vec<_> = report.commit.warnings.iter().filter(|w| w.message.contains("word for word")).collect();
    assert_eq!(repeats.len(), 3, "{repeats:?}");
    let s = store.snapshot();
    let occupations: Vec<_> = s.nodes_of_kind(NodeKind::Occupation).collect();
    assert_eq!(occupations.len(), 2_048);
    // Depth in the hierarchy: 8 major groups and their 2,040 rows below them.
    let depth = |mut n| {
        let mut d = 1;
        while let Some(e) = s.out(n, Relation::Broader).first() {
            n = e.node;
            d += 1;
        }
        d
    };
    let mut by_level = [0usize; 5];
    for &o in &occupations {
        by_level[depth(o)] += 1;
    }
    // Level-4 rows directly under a level-2 row (major group 1 has no small classes) sit at depth 3.
    assert_eq!(by_level[1], 8);
    assert_eq!(by_level.iter().sum::<usize>(), 2_048);
    let digital = quads.iter().filter(|q| q.predicate == tupu_graph::vocab::tupu::DIGITAL).count();
    let green = quads.iter().filter(|q| q.predicate == tupu_graph::vocab::tupu::GREEN).count();
    assert!(digital > 90 && green > 100, "{digital} digital, {green} green");
    assert!(s.labels(occupations[0]).iter().all(|l| !l.text.ends_with('S') && !l.text.ends_with('L')));
}

/// CSCO's occupations linked to ESCO's through ISCO-08 and their English titles: most of the
/// leaves get a candidate, and known pairs come out as the best. Prints the counts.
#[test]
fn csco_occupations_link_to_esco_through_isco_and_english_titles() {
    let store = GraphStore::in_memory().unwrap();
    load_bundled(&store, false).unwrap();
    tupu_ingest::import_esco(&store, &datasets().join("esco-v1.1.1"), &graph_iri("esco").unwrap(), false, false)
        .unwrap();
    let csco = datasets().join("csco2022/csco22.csv");
    tupu_ingest::import_csco(&store, &csco, &graph_iri("csco").unwrap(), false).unwrap();
    // Every CSCO row has an English title from the bundled table.
    let s = store.snapshot();
    let csco_nodes: Vec<_> =
        s.nodes_of_kind(NodeKind::Occupation).filter(|&n| s.iri(n).contains("/tupu/csco/")).collect();
    assert_eq!(csco_nodes.len(), 2_048);
    assert!(csco_nodes.iter().all(|&n| s.labels(n).iter().any(|l| &*l.lang == "en")));
    let proposals = tupu_ingest::crosswalk::propose(&store).unwrap();
    let accepted = proposals.accepted(0.6).count();
    eprintln!(
        "| CSCO → ESCO | {} considered | {} with a candidate | {} at or above 0.6 |",
        proposals.considered,
        proposals.best.len(),
        accepted
    );
    assert!(proposals.considered > 1_600, "{}", proposals.considered);
    assert!(proposals.best.len() > 1_600 && accepted > 600, "{} {accepted}", proposals.best.len());
    let best =
        |code: &str| proposals.best.iter().find(|p| p.code == code).map(|p| p.esco_label.as_str()).unwrap_or_default();
    assert_eq!(best("2-02-10-03"), "software developer");
    assert_eq!(best("4-04-05-04"), "database administrator");
    assert_eq!(best("2-08-02-04"), "primary school teacher");
    assert_eq!(best("2-05-01-19"), "general practitioner");
    // Committed as one commit into their own graph, replaced on a second run.
    let graph = graph_iri("crosswalk-csco-esco").unwrap();
    for _ in 0..2 {
        tupu_ingest::commit_quads(&store, proposals.quads(0.6, &graph), &graph, true, "crosswalk".into()).unwrap();
        assert_eq!(store.graph_quads(&graph).unwrap().len(), accepted);
    }
    // Matching reads ESCO's requirements for CSCO's occupations: a linked occupation's, or
    // what most of its ISCO-08 unit group's occupations share.
    let s = store.snapshot();
    let index = tupu_recommend::matching::MatchIndex::new(&s);
    let leaves: Vec<_> = s
        .nodes_of_kind(NodeKind::Occupation)
        .filter(|&n| s.iri(n).contains("/tupu/csco/") && s.inc(n, Relation::Broader).is_empty())
        .collect();
    let linked = leaves.iter().filter(|&&n| !s.out(n, Relation::CloseMatch).is_empty()).count();
    let matchable = leaves.iter().filter(|&&n| !index.inherited_from(n).is_empty()).count();
    eprintln!("| CSCO leaves | {} | linked {linked} | with requirements from ESCO {matchable} |", leaves.len());
    assert_eq!(linked, accepted);
    assert!(matchable > 1_600, "{matchable} of {}", leaves.len());
}

#[test]
fn every_chinese_major_loads_with_its_code() {
    let store = GraphStore::in_memory().unwrap();
    load_bundled(&store, false).unwrap();
    tupu_ingest::import_cn_majors(
        &store,
        &datasets().join("cn-majors/majors.json"),
        &graph_iri("cn-majors").unwrap(),
        false,
    )
    .unwrap();
    let s = store.snapshot();
    assert_eq!(s.nodes_of_kind(NodeKind::Major).count(), 1_914);
    let se = s.resolve("080902").unwrap();
    assert_eq!(s.label(se, Some("zh")), "软件工程");
}

/// Related occupations against the classifications' own grouping, a proxy for expert
/// judgement: the share of each occupation's 10 most related that sit in its own group, beside
/// the share a random pick would give (measured on the requirement similarity alone, without
/// the same-group bonus).
fn related_in_group(
    s: &tupu_graph::Snapshot,
    group: &dyn Fn(tupu_graph::NodeId) -> Option<String>,
) -> (f64, f64, usize) {
    use tupu_recommend::matching::{MatchIndex, related_occupations};
    let index = MatchIndex::new(s);
    let occupations: Vec<_> = s
        .nodes_of_kind(NodeKind::Occupation)
        .filter(|&o| group(o).is_some() && index.requirements(o).is_some())
        .collect();
    let mut sizes: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for &o in &occupations {
        *sizes.entry(group(o).unwrap()).or_default() += 1;
    }
    let (mut hits, mut shown, mut chance) = (0usize, 0usize, 0.0f64);
    for &o in &occupations {
        let g = group(o).unwrap();
        let related = related_occupations(&index, s, o, 40);
        let mut by_similarity: Vec<_> = related.iter().filter(|r| group(r.occupation).is_some()).collect();
        by_similarity.sort_by(|a, b| b.similarity.total_cmp(&a.similarity));
        for r in by_similarity.iter().take(10) {
            shown += 1;
            hits += usize::from(group(r.occupation).as_deref() == Some(g.as_str()));
        }
        chance += (sizes[&g] - 1) as f64 / (occupations.len() - 1) as f64;
    }
    (hits as f64 / shown as f64, chance / occupations.len() as f64, occupations.len())
}

/// O*NET: the SOC minor group (15-12, computer occupations). Prints the figure; asserts a large
/// margin over chance.
#[test]
fn onet_related_occupations_share_their_soc_minor_group() {
    let store = GraphStore::in_memory().unwrap();
    load_bundled(&store, false).unwrap();
    tupu_ingest::import_onet(&store, &datasets().join("onet-29.3"), &graph_iri("onet").unwrap(), false).unwrap();
    let s = store.snapshot();
    let minor = |o: tupu_graph::NodeId| -> Option<String> {
        let code = s.iri(o).rsplit('/').next()?;
        (code.len() == 10 && code.as_bytes()[2] == b'-').then(|| code[..5].to_owned())
    };
    let (share, chance, n) = related_in_group(&s, &minor);
    eprintln!("| O*NET 29.3, SOC minor group | {n} occupations | top 10 in group {share:.3} | chance {chance:.3} |");
    assert!(share > 5.0 * chance, "{share:.3} against chance {chance:.3}");
}

/// ESCO: the ISCO-08 unit group. Prints the figure; asserts a large margin over chance.
#[test]
fn esco_related_occupations_share_their_isco_unit_group() {
    let store = GraphStore::in_memory().unwrap();
    load_bundled(&store, false).unwrap();
    tupu_ingest::import_esco(&store, &datasets().join("esco-v1.1.1"), &graph_iri("esco").unwrap(), false, false)
        .unwrap();
    let s = store.snapshot();
    let unit = |o: tupu_graph::NodeId| -> Option<String> {
        if s.iri(o).contains("/isco/") {
            return None;
        }
        s.out(o, Relation::Broader).iter().map(|e| s.iri(e.node)).find(|g| g.contains("/isco/C")).map(str::to_owned)
    };
    let (share, chance, n) = related_in_group(&s, &unit);
    eprintln!(
        "| ESCO v1.1.1, ISCO-08 unit group | {n} occupations | top 10 in group {share:.3} | chance {chance:.3} |"
    );
    assert!(share > 5.0 * chance, "{share:.3} against chance {chance:.3}");
}
