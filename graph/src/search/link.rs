//! Text → node linking: which nodes a free text (an exercise, a course description, a job
//! posting) is about.
//!
//! 1. **Cleaning** ([`clean_text`]): full-width forms become half-width; bracketed parts
//!    (`（五险一金+双休）`, `[急]`) are set apart as secondary text; the rest is split at
//!    separators (`- | / , + ·` and spaces) and the parts that are noise are dropped: pay
//!    (`8-12K`, `6000元`), benefits (五险一金, 双休, 包吃住), shifts (长白班, 两班倒), hiring
//!    words (急招, 诚聘), requirements (`18-45岁`, `3年以上经验`, 学历不限, also as the numeric
//!    tail of a part: `服装设计师5年以上经验`), city and province names, bare numbers. Job-post words get the words
//!    of the classification beside them (工程师 → 工程技术人员, 司机 → 驾驶员, ...).
//! 2. **Candidates:** a BM25 query of the cleaned text over labels and aliases (×3), their
//!    CJK bigrams (×1.5), definitions (×0.3) and context (×0.5: topic, thread, broader labels,
//!    the competencies an occupation or post requires),
//!    the secondary text at a third of that, restricted to the wanted kinds: the top 50.
//! 3. **Evidence from the graph:** resources matching the text vote for the nodes they are
//!    aligned to (the best resource score of each node, times its alignment confidence);
//!    a node with narrower nodes of its own kind (an occupation group) is discounted, since a
//!    text names a concrete occupation.
//! 4. **Re-ranking:** for each candidate, the best agreement between the cleaned text and one
//!    of its labels or aliases (equal 1; one inside the other by the share of characters; else
//!    the Dice coefficient of character bigrams weighted by their rarity among the index's labels,
//!    or at half weight the share of characters in common; and, at 0.9, the same comparison
//!    without role suffixes such as 师, 员, 人员, so 服装设计师 meets 服装设计人员), mixed with the normalised BM25 score; for long
//!    texts (exercises) a label's presence in the text replaces the bigram agreement.
//!
//! Cost: two index searches and, for each of the 50 candidates, a comparison with each of its
//! labels (linear in their lengths).

use std::collections::{BTreeMap, HashMap, HashSet};

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query};
use tantivy::schema::Value;
use tantivy::{DocAddress, TantivyDocument};

use super::analysis::{self, is_cjk};
use super::document::Alignment;
use super::query::{FieldWeights, term_query, text_query};
use super::{SearchError, SearchIndex};
use crate::snapshot::{NodeId, NodeKind, Relation, Snapshot};

/// What to link.
#[derive(Clone, Debug, Default)]
pub struct LinkRequest {
    /// The free text.
    pub text: String,
    /// Wanted kinds (all but resources when empty).
    pub kinds: Vec<NodeKind>,
    /// How many nodes to return.
    pub limit: usize,
    /// A resource's own IRI, left out of the evidence (when the text is that resource's).
    pub exclude: Option<String>,
    /// Whether resources aligned to nodes count as evidence for them.
    pub resource_evidence: bool,
}

/// A node a text is about.
#[derive(Clone, Debug, serde::Serialize)]
pub struct LinkCandidate {
    /// IRI.
    pub iri: String,
    /// Local name.
    pub id: String,
    /// Kind.
    pub kind: NodeKind,
    /// Label.
    pub label: String,
    /// Codes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub codes: Vec<String>,
    /// Score in [0, 1.5]: higher is surer.
    pub score: f32,
    /// Words of the text found in the node's labels, aliases or definitions.
    pub matched: Vec<String>,
}

/// A text made ready for linking.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CleanText {
    /// The main text without noise.
    pub core: String,
    /// Bracketed parts without noise.
    pub aux: String,
    /// Words of the classification for the job-post words of the text.
    pub expansions: String,
}

/// Hiring noise: pay, benefits, shifts, urgency, contract kinds.
const NOISE: &[&str] = &[
    "五险一金",
    "六险一金",
    "五险",
    "一金",
    "双休",
    "单休",
    "大小周",
    "周末双休",
    "包吃包住",
    "包吃住",
    "包食宿",
    "包住",
    "包吃",
    "急招",
    "急聘",
    "诚聘",
    "高薪",
    "直招",
    "招聘",
    "底薪",
    "提成",
    "绩效",
    "奖金",
    "年终奖",
    "长白班",
    "白班",
    "夜班",
    "两班倒",
    "倒班",
    "做六休一",
    "月休",
    "日结",
    "周结",
    "月结",
    "兼职",
    "全职",
    "实习生",
    "实习",
    "校招",
    "社招",
    "应届生",
    "应届",
    "不限经验",
    "经验不限",
    "无经验",
    "无需经验",
    "可培训",
    "带薪培训",
    "年薪",
    "月薪",
    "薪资",
    "面议",
    "待遇优厚",
    "福利好",
    "加班费",
    "补贴",
    "社保",
    "入职即缴",
    "热招",
    "名额",
    "若干",
    "高提成",
    "高级",
    "资深",
    "初级",
    "中级",
    "senior",
    "junior",
    "转正",
    "可转正",
    "老板直招",
    "公司直招",
    "包培训",
    "包住宿",
    "朝九晚五",
    "弹性工作",
    "远程",
    "居家",
    "在家",
    "线上",
    "urgent",
    "hiring",
    "remote",
    "男女不限",
    "不限学历",
    "学历不限",
    "长期稳定",
    "多劳多得",
    "不押工资",
    "计件工资",
    "有证优先",
    "经验优先",
];

/// City and province names (a job post's location).
const PLACES: &[&str] = &[
    "北京",
    "上海",
    "天津",
    "重庆",
    "广州",
    "深圳",
    "杭州",
    "南京",
    "苏州",
    "无锡",
    "宁波",
    "温州",
    "成都",
    "武汉",
    "西安",
    "长沙",
    "郑州",
    "济南",
    "青岛",
    "沈阳",
    "大连",
    "长春",
    "哈尔滨",
    "石家庄",
    "太原",
    "合肥",
    "福州",
    "厦门",
    "南昌",
    "南宁",
    "昆明",
    "贵阳",
    "海口",
    "三亚",
    "兰州",
    "西宁",
    "银川",
    "乌鲁木齐",
    "拉萨",
    "呼和浩特",
    "东莞",
    "佛山",
    "珠海",
    "中山",
    "惠州",
    "常州",
    "南通",
    "徐州",
    "嘉兴",
    "绍兴",
    "金华",
    "台州",
    "烟台",
    "潍坊",
    "临沂",
    "洛阳",
    "泉州",
    "保定",
    "廊坊",
    "唐山",
    "香港",
    "澳门",
    "台北",
    "广东",
    "江苏",
    "浙江",
    "山东",
    "河南",
    "河北",
    "湖北",
    "湖南",
    "四川",
    "福建",
    "安徽",
    "江西",
    "广西",
    "云南",
    "贵州",
    "山西",
    "陕西",
    "辽宁",
    "吉林",
    "黑龙江",
    "甘肃",
    "青海",
    "宁夏",
    "新疆",
    "西藏",
    "内蒙古",
    "海南",
    "全国",
    "异地",
    "本地",
    "市区",
    "郊区",
    "浦东",
    "朝阳",
    "海淀",
    "南山",
    "福田",
    "宝安",
    "龙岗",
    "滨江",
    "余杭",
    "萧山",
];

/// Job-post words and the words the occupation classification uses for them.
const EXPANSIONS: &[(&str, &str)] = &[
    ("工程师", "工程技术人员"),
    ("开发", "软件 工程技术人员"),
    ("程序员", "计算机程序设计员 软件"),
    ("码农", "计算机程序设计员 软件"),
    ("前端", "前端开发 计算机程序设计员"),
    ("后端", "后端开发 软件"),
    ("测试", "测试员"),
    ("运维", "运行维护"),
    ("司机", "驾驶员"),
    ("货车", "道路货运汽车驾驶员"),
    ("网约车", "客运车辆驾驶员"),
    ("厨师", "烹调师"),
    ("帮厨", "烹调"),
    ("服务员", "餐厅服务员"),
    ("保安", "保安员"),
    ("保洁", "保洁员"),
    ("骑手", "网约配送员"),
    ("外卖", "网约配送员"),
    ("配送", "网约配送员"),
    ("快递", "快递员"),
    ("会计", "会计专业人员"),
    ("出纳", "会计专业人员"),
    ("行政", "行政办事员"),
    ("文员", "办事员 秘书"),
    ("前台", "前厅服务员 秘书"),
    ("人事", "人力资源管理"),
    ("hr", "人力资源管理"),
    ("招聘专员", "人力资源服务"),
    ("销售", "营销员 销售"),
    ("客服", "客户服务管理员 呼叫中心服务员"),
    ("电话销售", "呼叫中心服务员 营销员"),
    ("护士", "护士"),
    ("医生", "医师"),
    ("老师", "教师"),
    ("美工", "美术 设计"),
    ("ui", "用户界面 设计"),
    ("收银", "收银员"),
    ("导购", "商品营业员"),
    ("店员", "商品营业员"),
    ("仓管", "仓储管理员"),
    ("仓库", "仓储管理员"),
    ("叉车", "起重装卸机械操作工"),
    ("普工", "操作工"),
    ("主播", "互联网营销师"),
    ("直播", "互联网营销师"),
    ("电商", "电子商务师"),
    ("新媒体", "全媒体运营师"),
    ("月嫂", "家政服务员"),
    ("保姆", "家政服务员"),
    ("育儿嫂", "家政服务员 保育师"),
    ("搬运", "装卸搬运工"),
    ("质检", "质检员"),
    ("机修", "机修钳工 机电设备维修工"),
    ("数据分析", "数据分析处理工程技术人员"),
    ("算法", "人工智能 算法"),
    ("架构师", "计算机软件工程技术人员"),
    ("产品经理", "产品 经理"),
    ("设计师", "设计人员 设计师"),
    ("健身教练", "社会体育指导员"),
    ("理发", "美发师"),
    ("发型师", "美发师"),
    ("美甲", "美甲师"),
    ("按摩", "保健按摩师"),
    ("房产", "房地产经纪人"),
    ("中介", "经纪人"),
    ("保险", "保险代理人"),
    ("理财", "理财"),
    ("翻译", "翻译"),
    ("幼师", "幼儿园教师 保育师"),
    ("cnc", "数控机床操作调整工"),
    ("数控", "数控机床操作调整工"),
    ("注塑", "注塑工 模具工"),
    ("送货", "道路货运汽车驾驶员 配送员"),
    ("货运", "道路货运汽车驾驶员"),
    ("招聘", "人力资源服务"),
    ("面包", "糕点面包烘焙师"),
    // Common English role words, for titles written in English.
    ("software", "软件工程技术人员"),
    ("engineer", "工程师"),
    ("developer", "软件开发 软件工程技术人员"),
    ("programmer", "计算机程序设计员"),
    ("driver", "驾驶员 司机"),
    ("nurse", "护士"),
    ("accountant", "会计"),
    ("barista", "咖啡师"),
    ("security", "保安员"),
    ("guard", "保安员"),
    ("cashier", "收银员"),
    ("chef", "烹调师 厨师"),
    ("waiter", "餐厅服务员"),
    ("waitress", "餐厅服务员"),
    ("cleaner", "保洁员"),
    ("teacher", "教师"),
    ("salesperson", "营销员"),
    ("designer", "设计人员 设计师"),
    ("courier", "快递员"),
    ("warehouse", "仓库管理员"),
    ("electrician", "电工"),
    ("welder", "焊工"),
    ("mechanic", "维修工"),
    ("receptionist", "前厅服务员 接待"),
    ("translator", "翻译"),
    ("hairdresser", "美发师"),
    ("pharmacist", "药师"),
];

fn half_width(c: char) -> char {
    match c {
        '\u{3000}' => ' ',
        '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
        _ => c,
    }
}

/// Whether a part of a job title is pay: digits with a pay unit (`8-12K`, `6000元`, `1.5万`).
fn is_pay(part: &str) -> bool {
    let has_digit = part.chars().any(|c| c.is_ascii_digit());
    let lower = part.to_lowercase();
    has_digit && ["k", "w", "元", "万", "千", "薪", "/月", "/天", "/时", "/小时"].iter().any(|u| lower.contains(u))
}

/// Whether a part of a job title is a requirement with a number: age (`18-45岁`), years of
/// experience (`3年以上经验`), education (`大专以上`).
fn is_requirement(part: &str) -> bool {
    let has_digit = part.chars().next().is_some_and(|c| c.is_ascii_digit());
    (has_digit && ["岁", "年以上", "年经验", "经验"].iter().any(|u| part.contains(u)))
        || ["学历", "大专以上", "本科以上"].iter().any(|u| part.contains(u))
}

/// A part without a pay or requirement tail that starts at its first digit
/// (`服装设计师5年以上经验`, `普工6000元`).
fn without_number_tail(part: &str) -> &str {
    match part.find(|c: char| c.is_ascii_digit()) {
        Some(at) if at > 0 && (is_pay(&part[at..]) || is_requirement(&part[at..])) => &part[..at],
        _ => part,
    }
}

/// Removes noise words and places from a part; what is left when something of topic remains.
fn strip_noise(part: &str) -> String {
    let mut text = part.to_lowercase();
    for word in NOISE.iter().chain(PLACES) {
        if text.contains(word) {
            text = text.replace(word, " ");
        }
    }
    // "市" or "区" left alone after a place name was removed.
    let kept: String =
        text.split_whitespace().filter(|w| !matches!(*w, "市" | "区" | "省" | "县")).collect::<Vec<_>>().join(" ");
    // Bare numbers and codes of digits are noise.
    let words: Vec<&str> =
        kept.split_whitespace().filter(|w| w.chars().any(|c| !c.is_ascii_digit() && c != '.')).collect();
    words.join(" ")
}

/// Cleans a text for linking. See the module documentation.
pub fn clean_text(text: &str) -> CleanText {
    let text: String = text.chars().map(half_width).collect();
    let (mut main, mut aux) = (String::new(), String::new());
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '(' | '[' | '【' | '〔' | '{' | '<' | '「' => {
                depth += 1;
                aux.push(' ');
            }
            ')' | ']' | '】' | '〕' | '}' | '>' | '」' => {
                depth = depth.saturating_sub(1);
                aux.push(' ');
            }
            '《' | '》' | '“' | '”' | '"' | '\'' => main.push(' '),
            _ if depth > 0 => aux.push(c),
            _ => main.push(c),
        }
    }
    let split = |s: &str| -> Vec<String> {
        s.split(|c: char| c.is_whitespace() || "-–—_|/\\·•,，、;；:：+~～!！?？。.*#@&=".contains(c))
            .map(without_number_tail)
            .filter(|p| !p.is_empty() && !is_pay(p) && !is_requirement(p))
            .map(strip_noise)
            .filter(|p| !p.is_empty())
            .collect()
    };
    let core_parts = split(&main);
    let aux_parts = split(&aux);
    let core = core_parts.join(" ");
    let aux = aux_parts.join(" ");
    let mut expansions = Vec::new();
    let lower = core.to_lowercase();
    for (word, expansion) in EXPANSIONS {
        if lower.contains(word) {
            expansions.push(*expansion);
        }
    }
    CleanText { core, aux, expansions: expansions.join(" ") }
}

/// A label or text reduced to what is compared: lower-case letters, digits and CJK
/// characters, without the trailing classification markers (`L`, `S`, `L/S`) of a CJK name.
fn comparable(text: &str) -> Vec<char> {
    let mut chars: Vec<char> = text.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect();
    while chars.len() > 1 && matches!(chars.last(), Some('l' | 's')) && is_cjk(chars[chars.len() - 2]) {
        chars.pop();
    }
    chars
}

fn contains(haystack: &[char], needle: &[char]) -> bool {
    !needle.is_empty() && needle.len() <= haystack.len() && haystack.windows(needle.len()).any(|w| w == needle)
}

fn bigrams(chars: &[char]) -> HashSet<(char, char)> {
    chars.windows(2).map(|w| (w[0], w[1])).collect()
}

/// Role suffixes of occupation names, longest first: `服装设计师` and `服装设计人员` name one role.
const ROLE_SUFFIXES: &[&str] = &["工程技术人员", "专业人员", "人员", "师", "员", "工"];

/// A name without its role suffix, when at least two characters remain.
fn role_stem(name: &[char]) -> &[char] {
    for suffix in ROLE_SUFFIXES {
        let s: Vec<char> = suffix.chars().collect();
        if name.len() >= s.len() + 2 && name.ends_with(&s) {
            return &name[..name.len() - s.len()];
        }
    }
    name
}

/// Agreement in [0, 1] of a short text with a label. See the module documentation.
/// `weight` gives a character bigram's weight (rare bigrams, like 注塑, weigh more than
/// common ones, like 操作).
fn label_agreement(text: &[char], label: &[char], weight: &mut dyn FnMut(&(char, char)) -> f32) -> f32 {
    if text.is_empty() || label.is_empty() {
        return 0.0;
    }
    if text == label {
        return 1.0;
    }
    let (t, l) = (text.len() as f32, label.len() as f32);
    if label.len() >= 2 && contains(text, label) {
        return 0.6 + 0.35 * l / t;
    }
    if text.len() >= 2 && contains(label, text) {
        return 0.5 + 0.4 * t / l;
    }
    let (a, b) = (bigrams(text), bigrams(label));
    let mut total = |set: &HashSet<(char, char)>| set.iter().map(|g| weight(g)).sum::<f32>();
    let (wa, wb) = (total(&a), total(&b));
    let common: f32 = a.intersection(&b).map(|g| weight(g)).sum();
    if common > 0.0 && wa + wb > 0.0 {
        return 0.9 * 2.0 * common / (wa + wb);
    }
    // No bigram in common: the share of characters in common, at half weight (幼师, 幼儿园教师).
    let (ca, cb): (HashSet<char>, HashSet<char>) = (text.iter().copied().collect(), label.iter().copied().collect());
    0.45 * 2.0 * ca.intersection(&cb).count() as f32 / (ca.len() + cb.len()) as f32
}

/// Texts longer than this (in characters) are matched by label presence, not agreement.
const SHORT_TEXT: usize = 24;

struct Candidate {
    node: NodeId,
    bm25: f32,
    address: Option<DocAddress>,
    evidence: f32,
}

impl SearchIndex {
    /// Links a free text to the nodes it is about, best first. See the module documentation.
    pub fn link(&self, snapshot: &Snapshot, request: &LinkRequest) -> Result<Vec<LinkCandidate>, SearchError> {
        let f = *self.fields();
        let clean = clean_text(&request.text);
        let main = if clean.core.is_empty() { clean.aux.clone() } else { clean.core.clone() };
        if main.is_empty() {
            return Ok(Vec::new());
        }
        let weights = FieldWeights { name: 3.0, grams: 1.5, body: 0.3, context: 0.5, code: 5.0 };
        let mut parts: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if let Some(q) = text_query(&f, &main, weights) {
            parts.push((Occur::Should, q));
        }
        // A short text's single CJK characters too, weakly: a title none of whose words is in
        // any label (幼师) still finds candidates.
        if main.chars().filter(|c| !c.is_whitespace()).count() <= SHORT_TEXT {
            let singles: Vec<(Occur, Box<dyn Query>)> = main
                .chars()
                .filter(|c| is_cjk(*c))
                .map(|c| (Occur::Should, term_query(f.grams, &c.to_string())))
                .collect();
            if !singles.is_empty() {
                parts.push((Occur::Should, Box::new(BoostQuery::new(Box::new(BooleanQuery::new(singles)), 0.2))));
            }
        }
        for (text, boost) in [(&clean.aux, 0.3f32), (&clean.expansions, 0.6)] {
            if text != &main {
                if let Some(q) = text_query(&f, text, weights) {
                    parts.push((Occur::Should, Box::new(BoostQuery::new(q, boost))));
                }
            }
        }
        if parts.is_empty() {
            return Ok(Vec::new());
        }
        let text: Box<dyn Query> = Box::new(BooleanQuery::new(parts));
        let kinds: Vec<NodeKind> = if request.kinds.is_empty() {
            NodeKind::ALL.into_iter().filter(|k| !matches!(k, NodeKind::Resource | NodeKind::Framework)).collect()
        } else {
            request.kinds.clone()
        };
        let kind_filter = |kinds: &[NodeKind]| -> Box<dyn Query> {
            Box::new(BooleanQuery::new(kinds.iter().map(|k| (Occur::Should, term_query(f.kind, k.as_str()))).collect()))
        };
        let searcher = self.searcher();
        let nodes_query = BooleanQuery::new(vec![(Occur::Must, text.box_clone()), (Occur::Must, kind_filter(&kinds))]);
        let top = searcher.search(&nodes_query, &TopDocs::with_limit(50).order_by_score())?;
        let best = top.first().map_or(1.0, |(s, _)| *s).max(f32::EPSILON);
        let mut candidates: BTreeMap<NodeId, Candidate> = BTreeMap::new();
        for (score, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            if let Some(node) = doc.get_first(f.iri).and_then(|v| v.as_str()).and_then(|i| snapshot.node_by_iri(i)) {
                candidates.insert(node, Candidate { node, bm25: score / best, address: Some(address), evidence: 0.0 });
            }
        }

        if request.resource_evidence
            && kinds.iter().any(|k| matches!(k, NodeKind::KnowledgePoint | NodeKind::Competency))
        {
            let mut clauses: Vec<(Occur, Box<dyn Query>)> =
                vec![(Occur::Must, text.box_clone()), (Occur::Must, kind_filter(&[NodeKind::Resource]))];
            if let Some(iri) = &request.exclude {
                clauses.push((Occur::MustNot, term_query(f.iri, iri)));
            }
            let resources = searcher.search(&BooleanQuery::new(clauses), &TopDocs::with_limit(20).order_by_score())?;
            let best_resource = resources.first().map_or(1.0, |(s, _)| *s).max(f32::EPSILON);
            for (score, address) in resources {
                let doc: TantivyDocument = searcher.doc(address)?;
                let alignments: Vec<Alignment> = doc
                    .get_first(f.alignments)
                    .and_then(|v| v.as_str())
                    .and_then(|s| serde_json::from_str(s).ok())
                    .unwrap_or_default();
                for a in alignments {
                    let Some(node) = snapshot.node_by_iri(&a.node) else { continue };
                    if !kinds.contains(&snapshot.kind(node)) {
                        continue;
                    }
                    let vote = score / best_resource * a.confidence;
                    let c =
                        candidates.entry(node).or_insert(Candidate { node, bm25: 0.0, address: None, evidence: 0.0 });
                    c.evidence = c.evidence.max(vote);
                }
            }
        }

        let text_chars = comparable(&main);
        let expanded: Vec<Vec<char>> = clean.expansions.split_whitespace().map(comparable).collect();
        // Each part of a title on its own (a company or team name may stand beside the role).
        let parts: Vec<Vec<char>> = if main.split_whitespace().nth(1).is_some() {
            main.split_whitespace().map(comparable).filter(|p| p.len() >= 2).collect()
        } else {
            Vec::new()
        };
        let short = text_chars.len() <= SHORT_TEXT;
        // A bigram's weight: its inverse document frequency among the labels of the index.
        let docs = searcher.num_docs().max(1) as f32;
        let mut weights: HashMap<(char, char), f32> = HashMap::new();
        let mut weight = |g: &(char, char)| -> f32 {
            *weights.entry(*g).or_insert_with(|| {
                let text: String = [g.0, g.1].iter().collect();
                let df = searcher.doc_freq(&tantivy::Term::from_field_text(f.grams, &text)).unwrap_or(0) as f32;
                (1.0 + docs / (1.0 + df)).ln()
            })
        };
        let mut scored: Vec<(f32, &Candidate, Vec<String>)> = Vec::with_capacity(candidates.len());
        for c in candidates.values() {
            let names = self.names_of(snapshot, c.node, c.address, &searcher)?;
            let mut agreement = 0.0f32;
            for name in &names {
                let label = comparable(name);
                let a = if short {
                    let direct = label_agreement(&text_chars, &label, &mut weight);
                    let part = parts.iter().map(|p| 0.95 * label_agreement(p, &label, &mut weight)).fold(0.0, f32::max);
                    // The same role under another suffix (设计师, 设计人员), a little below.
                    let stem = std::iter::once(&text_chars)
                        .chain(&parts)
                        .map(|p| 0.9 * label_agreement(role_stem(p), role_stem(&label), &mut weight))
                        .fold(0.0, f32::max);
                    let via =
                        expanded.iter().map(|e| 0.8 * label_agreement(e, &label, &mut weight)).fold(0.0, f32::max);
                    direct.max(part).max(via).max(stem)
                } else if label.len() >= 2 && contains(&text_chars, &label) {
                    (label.len() as f32 / 4.0).min(1.0)
                } else {
                    0.0
                };
                agreement = agreement.max(a);
            }
            let mut score = if short { 0.4 * c.bm25 + 0.6 * agreement } else { 0.6 * c.bm25 + 0.4 * agreement };
            score += 0.5 * c.evidence;
            let kind = snapshot.kind(c.node);
            if snapshot.inc(c.node, Relation::Broader).iter().any(|e| snapshot.kind(e.node) == kind) {
                score *= 0.75;
            }
            scored.push((score, c, names));
        }
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.node.cmp(&b.1.node)));
        scored.truncate(request.limit.max(1));

        let mut words = analysis::words_analyzer();
        let query_words = analysis::unique_terms(&mut words, &format!("{main} {}", clean.aux));
        let mut out = Vec::with_capacity(scored.len());
        for (score, c, names) in scored {
            let mut known: HashSet<String> = HashSet::new();
            for name in &names {
                known.extend(analysis::terms(&mut words, name));
            }
            let matched = query_words.iter().filter(|w| known.contains(*w)).cloned().collect();
            let codes = match c.address {
                Some(address) => {
                    let doc: TantivyDocument = searcher.doc(address)?;
                    doc.get_all(f.code).filter_map(|v| v.as_str().map(str::to_owned)).collect()
                }
                None => Vec::new(),
            };
            out.push(LinkCandidate {
                iri: snapshot.iri(c.node).to_owned(),
                id: snapshot.local_name(c.node).to_owned(),
                kind: snapshot.kind(c.node),
                label: snapshot.label(c.node, None).to_owned(),
                codes,
                score,
                matched,
            });
        }
        Ok(out)
    }

    /// A candidate's labels and aliases: from its document when it was found, else from the
    /// snapshot.
    fn names_of(
        &self,
        snapshot: &Snapshot,
        node: NodeId,
        address: Option<DocAddress>,
        searcher: &tantivy::Searcher,
    ) -> Result<Vec<String>, SearchError> {
        match address {
            Some(address) => {
                let doc: TantivyDocument = searcher.doc(address)?;
                Ok(doc.get_all(self.fields().name).filter_map(|v| v.as_str().map(str::to_owned)).collect())
            }
            None => Ok(snapshot.labels(node).iter().map(|l| l.text.to_string()).collect()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, core: &str, aux: &str) {
        let clean = clean_text(text);
        assert_eq!((clean.core.as_str(), clean.aux.as_str()), (core, aux), "cleaning {text:?}");
    }

    #[test]
    fn job_titles_lose_pay_benefits_places_and_shifts() {
        check("Java开发工程师（五险一金+双休）-杭州", "java开发工程师", "");
        check("【急招】普工 8-12K 包吃住 长白班", "普工", "");
        check("销售代表(底薪+提成)/深圳南山", "销售代表", "");
        check("高级前端开发工程师 (React) 15-25K·13薪", "前端开发工程师", "react");
        assert!(clean_text("货车司机").expansions.contains("驾驶员"));
        check("服装设计师（女装方向）5年以上经验", "服装设计师", "女装方向");
        check("养老护理员 45-55岁 学历不限", "养老护理员", "");
    }

    #[test]
    fn role_stem_drops_one_role_suffix() {
        let stem = |t: &str| role_stem(&comparable(t)).iter().collect::<String>();
        assert_eq!(stem("服装设计人员"), "服装设计");
        assert_eq!(stem("服装设计师"), "服装设计");
        assert_eq!(stem("电工电器工程技术人员"), "电工电器");
        assert_eq!(stem("技师"), "技师");
    }

    #[test]
    fn label_agreement_prefers_equal_then_contained_labels() {
        let a = |t: &str, l: &str| label_agreement(&comparable(t), &comparable(l), &mut |_| 1.0);
        assert_eq!(a("快递员", "快递员"), 1.0);
        assert!(a("java开发工程师", "Java开发") > a("java开发工程师", "计算机程序设计员S"));
        assert_eq!(a("电子商务师", "电子商务师S"), 1.0);
        assert!(a("幼师", "幼儿园教师") > 0.0);
    }
}
