//! The employment demo (`ontologies/demo/employment.ttl`, `ontologies/demo/graduates.jsonl`),
//! generated from the public datasets by the importers of this crate:
//!
//! - an ICT competency map in Chinese and English, each competency tied to ESCO skills by
//!   `skos:exactMatch` or `skos:closeMatch` (the ESCO skills are included with their labels);
//! - the ESCO occupations behind the CSCO digital occupations of the demo, with their real
//!   essential/optional links to those skills;
//! - CSCO 2022 digital occupations (and the groups above them) mapped to those ESCO
//!   occupations by `skos:closeMatch`; each requires the map's competencies that its ESCO
//!   occupation's skills map to, essential when one of those links is essential;
//! - majors of the national catalogue (codes and names from the catalogue) and micro-majors, each
//!   developing map competencies at a weight and level;
//! - synthetic posts of those occupations (openings, region, date), synthetic graduates, and
//!   graduate cohorts of the majors (institution, region, year, count) for the supply side.
//!
//! The hand-written parts are the tables below: the competency map (names and which ESCO skills
//! they match), the CSCO → ESCO occupation pairs (chosen by ISCO group and title), and the
//! programmes' profiles. Everything else is read from the datasets. Deterministic.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use oxigraph::io::{RdfFormat, RdfSerializer};
use oxigraph::model::vocab::{rdf, xsd};
use oxigraph::model::{GraphName, Literal, NamedNode, NamedNodeRef, NamedOrBlankNode, Quad, Term, Triple};
use tupu_graph::vocab::{skos, tupu};

use crate::error::ImportError;

/// Namespace of the demo's own nodes.
pub const DEMO_NS: &str = "https://w3id.org/tupu/demo/";

/// (id, Chinese, English, ESCO skills: the first an exact match, the others close matches).
const COMPETENCIES: &[(&str, &str, &str, &[&str])] = &[
    ("programming", "程序设计", "computer programming", &["computer programming", "use automatic programming"]),
    ("python", "Python 编程", "Python programming", &["Python (computer programming)"]),
    ("java", "Java 编程", "Java programming", &["Java (computer programming)"]),
    ("cpp", "C/C++ 编程", "C/C++ programming", &["C++"]),
    ("javascript", "JavaScript/TypeScript 编程", "JavaScript and TypeScript", &["JavaScript", "TypeScript"]),
    ("sql", "SQL 与查询语言", "SQL and query languages", &["SQL", "query languages"]),
    ("debugging", "软件调试", "software debugging", &["debug software", "ICT debugging tools"]),
    (
        "tech-docs",
        "技术文档编写",
        "technical documentation",
        &["provide technical documentation", "interpret technical texts"],
    ),
    ("software-design", "软件设计", "software design", &["create software design", "use software design patterns"]),
    (
        "requirements",
        "需求分析",
        "requirements analysis",
        &["analyse software specifications", "define technical requirements"],
    ),
    ("prototyping", "软件原型开发", "software prototyping", &["develop software prototype"]),
    (
        "testing",
        "软件测试",
        "software testing",
        &["execute software tests", "quality assurance methodologies", "software anomalies"],
    ),
    (
        "oop",
        "面向对象程序设计",
        "object-oriented programming",
        &["use object-oriented programming", "object-oriented modelling"],
    ),
    (
        "dev-tools",
        "软件库与开发环境",
        "software libraries and IDEs",
        &["use software libraries", "integrated development environment software"],
    ),
    (
        "case-tools",
        "计算机辅助软件工程",
        "computer-aided software engineering",
        &["utilise computer-aided software engineering tools"],
    ),
    (
        "config-management",
        "软件配置管理",
        "software configuration management",
        &["tools for software configuration management"],
    ),
    ("api", "应用程序接口", "application interfaces", &["use an application-specific interface"]),
    ("operating-systems", "操作系统", "operating systems", &["operating systems"]),
    (
        "networking",
        "计算机网络",
        "computer networks",
        &[
            "design computer network",
            "ICT network routing",
            "implement a virtual private network",
            "network management system tools",
        ],
    ),
    (
        "cyber-security",
        "网络与信息安全",
        "cyber security",
        &[
            "cyber security",
            "information security strategy",
            "cyber attack counter-measures",
            "identify ICT system weaknesses",
        ],
    ),
    (
        "security-operations",
        "安全防护实施",
        "security operations",
        &["implement a firewall", "implement anti-virus software", "implement ICT safety policies"],
    ),
    (
        "security-law",
        "信息安全法规",
        "ICT security legislation",
        &["ICT security legislation", "ICT security standards"],
    ),
    ("encryption", "密码与加密", "encryption", &["ICT encryption", "manage keys for data protection"]),
    (
        "cloud",
        "云计算技术",
        "cloud computing",
        &["cloud technologies", "manage cloud data and storage", "cloud security and compliance"],
    ),
    ("data-models", "数据建模", "data modelling", &["data models", "create data models"]),
    ("database", "数据库", "databases", &["database", "database development tools"]),
    (
        "data-migration",
        "数据迁移与备份",
        "data migration and backup",
        &["migrate existing data", "perform backups", "develop automated migration methods"],
    ),
    ("statistics", "统计学", "statistics", &["statistics"]),
    ("machine-learning", "机器学习", "machine learning", &["machine learning"]),
    ("deep-learning", "深度学习", "deep learning", &["deep learning"]),
    ("computer-vision", "计算机视觉", "computer vision", &["computer vision"]),
    ("nlp", "自然语言处理", "natural language processing", &["natural language processing"]),
    ("data-analysis", "数据分析", "data analysis", &["perform data analysis", "data mining", "unstructured data"]),
    ("data-quality", "数据质量管理", "data quality", &["define data quality criteria"]),
    ("business-intelligence", "商业智能", "business intelligence", &["business intelligence"]),
    ("iot", "物联网", "Internet of Things", &["Internet of Things"]),
    ("embedded", "嵌入式系统", "embedded systems", &["embedded systems"]),
    ("electronics", "电子技术", "electronics", &["electronics", "signal processing"]),
    (
        "system-support",
        "信息系统运维",
        "ICT system support",
        &["solve ICT system problems", "integrate system components", "ICT system integration"],
    ),
    ("algorithms", "算法", "algorithms", &["algorithms"]),
    ("mathematics", "数学", "mathematics", &["mathematics"]),
    (
        "ui-design",
        "用户界面设计",
        "user interface design",
        &["design user interface", "visual presentation techniques"],
    ),
    ("web", "Web 开发", "web development", &["web programming"]),
    ("multimedia", "多媒体技术", "multimedia", &["multimedia systems"]),
    ("project-management", "项目管理", "project management", &["ICT project management", "perform project management"]),
    ("communication", "沟通表达", "communication", &["communication"]),
    ("teamwork", "团队协作", "teamwork", &["teamwork principles"]),
    ("english", "英语", "English", &["English"]),
    ("analytical-thinking", "分析思维", "analytical thinking", &["think analytically"]),
    ("accounting", "会计", "accounting", &["accounting", "prepare financial statements"]),
    ("financial-analysis", "财务分析", "financial analysis", &["financial analysis"]),
    ("marketing", "市场营销", "marketing", &["marketing principles", "market research"]),
    ("spreadsheets", "电子表格", "spreadsheets", &["use spreadsheets software"]),
];

/// CSCO digital occupations and the ESCO occupation each is mapped to (`skos:closeMatch`),
/// chosen by ISCO-08 unit group and title; and the share of posts of the demo for each.
const OCCUPATIONS: &[(&str, &str, u32)] = &[
    ("2-02-10-03", "software developer", 30),
    ("4-04-05-01", "ICT application developer", 20),
    ("4-04-05-02", "software tester", 12),
    ("2-02-10-04", "ICT network engineer", 10),
    ("2-02-10-05", "software analyst", 8),
    ("2-02-10-06", "embedded systems software developer", 8),
    ("2-02-10-07", "ICT security engineer", 10),
    ("2-02-10-08", "ICT system administrator", 8),
    ("4-04-04-02", "ICT security administrator", 6),
    ("2-02-38-01", "computer vision engineer", 10),
    ("2-02-38-03", "data scientist", 12),
    ("2-02-38-04", "cloud engineer", 10),
    ("2-02-30-09", "data analyst", 10),
    ("4-04-05-04", "database administrator", 8),
    ("2-02-38-08", "blockchain developer", 4),
    ("2-06-03-00", "accountant", 8),
];

/// Majors by catalogue code, with (competency, weight, level) they develop.
const MAJORS: &[(&str, &[(&str, f32, u8)])] = &[
    (
        "080901",
        &[
            ("programming", 1.0, 5),
            ("algorithms", 0.9, 5),
            ("java", 0.7, 4),
            ("cpp", 0.8, 4),
            ("python", 0.6, 4),
            ("database", 0.8, 4),
            ("sql", 0.7, 4),
            ("operating-systems", 0.8, 4),
            ("networking", 0.6, 3),
            ("software-design", 0.7, 4),
            ("oop", 0.7, 4),
            ("mathematics", 0.8, 4),
            ("debugging", 0.6, 4),
            ("english", 0.5, 3),
            ("teamwork", 0.5, 3),
        ],
    ),
    (
        "080902",
        &[
            ("programming", 1.0, 5),
            ("software-design", 1.0, 5),
            ("requirements", 0.9, 4),
            ("testing", 0.9, 4),
            ("java", 0.9, 5),
            ("javascript", 0.6, 4),
            ("python", 0.5, 3),
            ("oop", 0.9, 5),
            ("debugging", 0.9, 5),
            ("dev-tools", 0.8, 4),
            ("config-management", 0.7, 4),
            ("case-tools", 0.6, 4),
            ("prototyping", 0.8, 4),
            ("database", 0.7, 4),
            ("sql", 0.7, 4),
            ("tech-docs", 0.7, 4),
            ("api", 0.7, 4),
            ("project-management", 0.5, 3),
            ("teamwork", 0.6, 4),
            ("communication", 0.5, 3),
            ("english", 0.5, 3),
            ("algorithms", 0.6, 4),
        ],
    ),
    (
        "080903",
        &[
            ("networking", 1.0, 5),
            ("operating-systems", 0.8, 4),
            ("cyber-security", 0.6, 4),
            ("security-operations", 0.6, 4),
            ("system-support", 0.8, 4),
            ("programming", 0.6, 3),
            ("cloud", 0.5, 3),
            ("tech-docs", 0.5, 3),
        ],
    ),
    (
        "080904K",
        &[
            ("cyber-security", 1.0, 5),
            ("security-operations", 0.9, 5),
            ("encryption", 0.9, 5),
            ("security-law", 0.8, 4),
            ("networking", 0.8, 4),
            ("operating-systems", 0.7, 4),
            ("programming", 0.6, 4),
            ("mathematics", 0.6, 4),
        ],
    ),
    (
        "080911TK",
        &[
            ("cyber-security", 1.0, 5),
            ("encryption", 0.9, 5),
            ("security-law", 0.8, 4),
            ("security-operations", 0.8, 4),
            ("networking", 0.8, 4),
            ("programming", 0.6, 4),
            ("data-analysis", 0.4, 3),
        ],
    ),
    (
        "080905",
        &[
            ("iot", 1.0, 5),
            ("embedded", 0.9, 4),
            ("electronics", 0.7, 4),
            ("networking", 0.7, 4),
            ("cpp", 0.7, 4),
            ("programming", 0.7, 4),
            ("cloud", 0.4, 3),
        ],
    ),
    (
        "080906",
        &[
            ("multimedia", 1.0, 5),
            ("ui-design", 0.9, 4),
            ("web", 0.8, 4),
            ("javascript", 0.7, 4),
            ("programming", 0.6, 3),
            ("computer-vision", 0.4, 3),
        ],
    ),
    (
        "080910T",
        &[
            ("data-analysis", 1.0, 5),
            ("statistics", 0.9, 5),
            ("machine-learning", 0.8, 4),
            ("python", 0.9, 5),
            ("sql", 0.8, 4),
            ("database", 0.7, 4),
            ("data-models", 0.8, 4),
            ("data-quality", 0.7, 4),
            ("cloud", 0.6, 4),
            ("business-intelligence", 0.5, 3),
            ("mathematics", 0.7, 4),
            ("programming", 0.7, 4),
        ],
    ),
    (
        "080717T",
        &[
            ("machine-learning", 1.0, 5),
            ("deep-learning", 0.9, 5),
            ("computer-vision", 0.8, 4),
            ("nlp", 0.8, 4),
            ("python", 0.9, 5),
            ("mathematics", 0.9, 5),
            ("statistics", 0.7, 4),
            ("algorithms", 0.8, 4),
            ("programming", 0.8, 4),
        ],
    ),
    (
        "080907T",
        &[
            ("machine-learning", 0.9, 4),
            ("deep-learning", 0.7, 4),
            ("computer-vision", 0.6, 4),
            ("embedded", 0.6, 4),
            ("python", 0.8, 4),
            ("mathematics", 0.8, 4),
            ("algorithms", 0.7, 4),
            ("programming", 0.8, 4),
        ],
    ),
    (
        "080909T",
        &[
            ("electronics", 0.9, 4),
            ("embedded", 0.8, 4),
            ("cpp", 0.8, 4),
            ("programming", 0.8, 4),
            ("operating-systems", 0.6, 4),
            ("networking", 0.5, 3),
            ("algorithms", 0.6, 4),
        ],
    ),
    (
        "080912T",
        &[
            ("multimedia", 0.9, 4),
            ("web", 0.9, 4),
            ("javascript", 0.8, 4),
            ("ui-design", 0.7, 4),
            ("data-analysis", 0.4, 3),
            ("communication", 0.6, 4),
        ],
    ),
    (
        "080701",
        &[
            ("electronics", 1.0, 5),
            ("embedded", 0.8, 4),
            ("cpp", 0.6, 4),
            ("mathematics", 0.8, 4),
            ("programming", 0.5, 3),
            ("iot", 0.4, 3),
        ],
    ),
    (
        "080703",
        &[
            ("networking", 0.9, 5),
            ("electronics", 0.8, 4),
            ("mathematics", 0.8, 4),
            ("iot", 0.5, 3),
            ("programming", 0.5, 3),
        ],
    ),
    ("080714T", &[("electronics", 0.9, 5), ("embedded", 0.7, 4), ("mathematics", 0.8, 4), ("programming", 0.5, 3)]),
    (
        "120102",
        &[
            ("database", 0.8, 4),
            ("sql", 0.7, 4),
            ("requirements", 0.8, 4),
            ("data-analysis", 0.7, 4),
            ("business-intelligence", 0.7, 4),
            ("project-management", 0.7, 4),
            ("programming", 0.5, 3),
            ("communication", 0.6, 4),
        ],
    ),
    (
        "071201",
        &[
            ("statistics", 1.0, 5),
            ("data-analysis", 0.9, 5),
            ("mathematics", 0.9, 5),
            ("python", 0.6, 4),
            ("sql", 0.4, 3),
            ("machine-learning", 0.5, 3),
            ("spreadsheets", 0.6, 4),
        ],
    ),
    (
        "070101",
        &[
            ("mathematics", 1.0, 5),
            ("algorithms", 0.6, 4),
            ("statistics", 0.6, 4),
            ("programming", 0.4, 3),
            ("analytical-thinking", 0.8, 5),
        ],
    ),
    (
        "120203K",
        &[
            ("accounting", 1.0, 5),
            ("financial-analysis", 0.9, 5),
            ("spreadsheets", 0.8, 4),
            ("statistics", 0.4, 3),
            ("communication", 0.5, 3),
            ("security-law", 0.1, 2),
        ],
    ),
    (
        "120202",
        &[
            ("marketing", 1.0, 5),
            ("communication", 0.9, 5),
            ("data-analysis", 0.4, 3),
            ("spreadsheets", 0.5, 3),
            ("teamwork", 0.7, 4),
        ],
    ),
    (
        "120801",
        &[
            ("marketing", 0.8, 4),
            ("web", 0.6, 3),
            ("data-analysis", 0.5, 3),
            ("database", 0.4, 3),
            ("communication", 0.7, 4),
            ("business-intelligence", 0.4, 3),
        ],
    ),
    ("050201", &[("english", 1.0, 6), ("communication", 0.9, 5), ("tech-docs", 0.4, 3), ("teamwork", 0.6, 4)]),
    (
        "510201",
        &[
            ("programming", 0.8, 3),
            ("database", 0.7, 3),
            ("sql", 0.6, 3),
            ("networking", 0.6, 3),
            ("web", 0.6, 3),
            ("system-support", 0.6, 3),
            ("operating-systems", 0.5, 3),
        ],
    ),
    (
        "510203",
        &[
            ("programming", 0.9, 3),
            ("java", 0.8, 3),
            ("javascript", 0.7, 3),
            ("testing", 0.7, 3),
            ("debugging", 0.7, 3),
            ("database", 0.6, 3),
            ("sql", 0.6, 3),
            ("dev-tools", 0.6, 3),
            ("web", 0.6, 3),
        ],
    ),
    (
        "510209",
        &[
            ("machine-learning", 0.7, 3),
            ("python", 0.8, 3),
            ("computer-vision", 0.5, 3),
            ("data-analysis", 0.6, 3),
            ("programming", 0.6, 3),
        ],
    ),
];

/// Micro-majors: (id, Chinese, English, hours, competencies developed).
const MICRO_MAJORS: &[(&str, &str, &str, u32, &[(&str, f32, u8)])] = &[
    (
        "mm-ai",
        "人工智能微专业",
        "AI micro-major",
        160,
        &[
            ("machine-learning", 1.0, 4),
            ("deep-learning", 0.9, 4),
            ("python", 0.7, 4),
            ("computer-vision", 0.5, 3),
            ("nlp", 0.5, 3),
        ],
    ),
    (
        "mm-big-data",
        "大数据分析微专业",
        "big data analytics micro-major",
        160,
        &[
            ("data-analysis", 1.0, 4),
            ("statistics", 0.7, 4),
            ("sql", 0.8, 4),
            ("data-quality", 0.7, 4),
            ("business-intelligence", 0.6, 3),
        ],
    ),
    (
        "mm-cloud",
        "云计算微专业",
        "cloud computing micro-major",
        120,
        &[("cloud", 1.0, 4), ("operating-systems", 0.6, 3), ("networking", 0.5, 3), ("system-support", 0.6, 3)],
    ),
    (
        "mm-security",
        "网络安全微专业",
        "cyber security micro-major",
        160,
        &[
            ("cyber-security", 1.0, 4),
            ("security-operations", 0.9, 4),
            ("encryption", 0.7, 4),
            ("security-law", 0.7, 4),
        ],
    ),
    (
        "mm-testing",
        "软件测试微专业",
        "software testing micro-major",
        96,
        &[("testing", 1.0, 4), ("debugging", 0.8, 4), ("config-management", 0.6, 3), ("tech-docs", 0.5, 3)],
    ),
    (
        "mm-fullstack",
        "Web 全栈开发微专业",
        "full-stack web micro-major",
        160,
        &[("web", 1.0, 4), ("javascript", 0.9, 4), ("api", 0.7, 4), ("database", 0.6, 3), ("ui-design", 0.5, 3)],
    ),
    (
        "mm-iot",
        "嵌入式与物联网微专业",
        "embedded and IoT micro-major",
        160,
        &[("embedded", 1.0, 4), ("iot", 0.9, 4), ("cpp", 0.7, 4), ("electronics", 0.5, 3)],
    ),
    (
        "mm-database",
        "数据库管理微专业",
        "database administration micro-major",
        96,
        &[("database", 1.0, 4), ("sql", 0.9, 4), ("data-migration", 0.8, 4), ("data-models", 0.7, 4)],
    ),
    (
        "mm-software-eng",
        "软件工程实践微专业",
        "software engineering practice micro-major",
        128,
        &[
            ("software-design", 0.9, 4),
            ("requirements", 0.8, 4),
            ("prototyping", 0.8, 4),
            ("case-tools", 0.6, 3),
            ("dev-tools", 0.7, 4),
            ("project-management", 0.5, 3),
        ],
    ),
    (
        "mm-python",
        "Python 程序设计微专业",
        "Python programming micro-major",
        64,
        &[("python", 1.0, 4), ("programming", 0.8, 3), ("algorithms", 0.5, 3), ("debugging", 0.5, 3)],
    ),
];

const REGIONS: &[&str] = &["北京", "上海", "广东", "浙江", "江苏", "四川", "湖北", "陕西", "山东", "辽宁"];

/// A small deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 > 1.0 - p
    }
}

/// The generated demo.
pub struct EmploymentDemo {
    /// The quads of the demo graph.
    pub quads: Vec<Quad>,
    /// The demo graph as Turtle.
    pub turtle: String,
    /// Synthetic graduates, one JSON object a line.
    pub graduates: String,
}

struct Out {
    graph: GraphName,
    quads: Vec<Quad>,
}

impl Out {
    fn add(&mut self, s: &NamedNode, p: NamedNodeRef<'_>, o: impl Into<Term>) {
        self.quads.push(Quad::new(s.clone(), p, o, self.graph.clone()));
    }
    fn lang(&mut self, s: &NamedNode, p: NamedNodeRef<'_>, text: &str, lang: &str) {
        self.add(s, p, Literal::new_language_tagged_literal_unchecked(text, lang));
    }
    fn typed(&mut self, s: &NamedNode, p: NamedNodeRef<'_>, text: String, datatype: NamedNodeRef<'_>) {
        self.add(s, p, Literal::new_typed_literal(text, datatype));
    }
    fn qualified(
        &mut self,
        holder: &NamedNode,
        comp: &NamedNode,
        essential: Option<bool>,
        weight: Option<f32>,
        level: u8,
    ) {
        let quads = crate::table::qualified_quads(holder, comp, essential, weight, level, &self.graph);
        self.quads.extend(quads);
    }
}

fn problem(what: String) -> ImportError {
    ImportError::Invalid {
        path: "employment demo".into(),
        diagnostics: vec![
            tupu_graph::Diagnostic::violation(tupu_graph::DiagnosticCode::InvalidInput, what)
                .with_hint("the demo's tables name a concept the datasets do not have; fix the table"),
        ],
    }
}

fn label(quads: &[Quad], node: &NamedNode, lang: &str) -> Option<String> {
    quads.iter().find_map(|q| match &q.object {
        Term::Literal(l)
            if q.subject == NamedOrBlankNode::from(node.clone())
                && q.predicate == skos::PREF_LABEL
                && l.language() == Some(lang) =>
        {
            Some(l.value().to_owned())
        }
        _ => None,
    })
}

/// Generates the demo from the datasets folder (ESCO v1.1.1, CSCO 2022, the majors).
pub fn employment_demo(datasets: &Path) -> Result<EmploymentDemo, ImportError> {
    let scratch = tupu_graph::graph_iri("scratch")?;
    let esco = crate::esco::convert_esco_csv(&datasets.join("esco-v1.1.1"), &scratch)?.quads;
    let (csco, _) = crate::cn::convert_csco(&datasets.join("csco2022/csco22.csv"), &scratch)?;
    let (majors, _) = crate::cn::convert_cn_majors(&datasets.join("cn-majors/majors.json"), &scratch)?;
    let graph = tupu_graph::graph_iri("employment-demo")?;
    let mut out = Out { graph: GraphName::NamedNode(graph), quads: Vec::new() };
    let ns = |path: &str| NamedNode::new_unchecked(format!("{DEMO_NS}{path}"));

    // ESCO: skills and occupations by English label.
    let mut by_label: HashMap<String, NamedNode> = HashMap::new();
    let mut is_skill: BTreeSet<NamedNode> = BTreeSet::new();
    for q in &esco {
        if let (NamedOrBlankNode::NamedNode(s), Term::Literal(l)) = (&q.subject, &q.object) {
            if q.predicate == skos::PREF_LABEL {
                by_label.insert(l.value().to_owned(), s.clone());
            }
        }
        if q.predicate == rdf::TYPE && q.object == tupu::COMPETENCY.into() {
            if let NamedOrBlankNode::NamedNode(s) = &q.subject {
                is_skill.insert(s.clone());
            }
        }
    }
    let find = |name: &str| {
        by_label.get(name).cloned().ok_or_else(|| problem(format!("no ESCO concept is labelled '{name}'")))
    };

    // The framework.
    let framework = ns("framework");
    out.add(&framework, rdf::TYPE, tupu::FRAMEWORK);
    out.lang(&framework, skos::PREF_LABEL, "数字与信息技术能力图谱（演示）", "zh");
    out.lang(&framework, skos::PREF_LABEL, "Digital and ICT competency map (demo)", "en");
    out.add(
        &framework,
        tupu::SOURCE,
        Literal::new_simple_literal("ESCO v1.1.1, CSCO 2022, the national catalogue of majors"),
    );

    // The competency map and its ESCO skills.
    let mut skill_to_comp: HashMap<NamedNode, NamedNode> = HashMap::new();
    let mut included_skills: BTreeMap<NamedNode, String> = BTreeMap::new();
    for &(id, zh, en, skills) in COMPETENCIES {
        let c = ns(&format!("competency/{id}"));
        out.add(&c, rdf::TYPE, tupu::COMPETENCY);
        out.lang(&c, skos::PREF_LABEL, zh, "zh");
        out.lang(&c, skos::PREF_LABEL, en, "en");
        out.add(&c, skos::NOTATION, Literal::new_simple_literal(id));
        for (i, name) in skills.iter().enumerate() {
            let s = find(name)?;
            if !is_skill.contains(&s) {
                return Err(problem(format!("'{name}' is not an ESCO skill")));
            }
            out.add(&c, if i == 0 { skos::EXACT_MATCH } else { skos::CLOSE_MATCH }, s.clone());
            skill_to_comp.insert(s.clone(), c.clone());
            included_skills.insert(s, (*name).to_owned());
        }
    }
    for (s, name) in &included_skills {
        out.add(s, rdf::TYPE, tupu::COMPETENCY);
        out.lang(s, skos::PREF_LABEL, name, "en");
    }

    // ESCO occupations of the demo with their links to the included skills, and the CSCO
    // occupations (with the groups above them) that map to them.
    let mut links: HashMap<NamedNode, Vec<(NamedNode, bool)>> = HashMap::new();
    let mut essential_of: HashMap<NamedNode, bool> = HashMap::new();
    for q in &esco {
        if q.predicate == tupu::ESSENTIAL {
            if let (NamedOrBlankNode::NamedNode(s), Term::Literal(l)) = (&q.subject, &q.object) {
                essential_of.insert(s.clone(), l.value() == "true");
            }
        }
    }
    for q in &esco {
        if q.predicate == tupu::QUALIFIED_REQUIREMENT {
            if let (NamedOrBlankNode::NamedNode(occ), Term::NamedNode(qn)) = (&q.subject, &q.object) {
                let skill = NamedNode::new_unchecked(format!(
                    "http://data.europa.eu/esco/skill/{}",
                    tupu_graph::local_name(qn.as_str())
                ));
                links.entry(occ.clone()).or_default().push((skill, essential_of.get(qn).copied().unwrap_or(true)));
            }
        }
    }
    let csco_node = |code: &str| NamedNode::new_unchecked(format!("{}{code}", crate::cn::CSCO_NS));
    let mut csco_needed: BTreeSet<String> = BTreeSet::new();
    let mut requirements_of: BTreeMap<String, BTreeMap<NamedNode, bool>> = BTreeMap::new();
    let mut english_of: HashMap<String, String> = HashMap::new();
    for &(code, esco_name, _) in OCCUPATIONS {
        let occ = find(esco_name)?;
        out.add(&occ, rdf::TYPE, tupu::OCCUPATION);
        out.lang(&occ, skos::PREF_LABEL, esco_name, "en");
        let mut derived: BTreeMap<NamedNode, bool> = BTreeMap::new();
        for (skill, essential) in links.get(&occ).map(Vec::as_slice).unwrap_or_default() {
            if let Some(c) = skill_to_comp.get(skill) {
                let q = NamedNode::new_unchecked(crate::esco::requirement_iri(occ.as_str(), skill.as_str()));
                out.add(&occ, tupu::REQUIRES_COMPETENCY, skill.clone());
                out.add(&occ, tupu::QUALIFIED_REQUIREMENT, q.clone());
                out.add(&q, rdf::TYPE, tupu::COMPETENCY_REQUIREMENT);
                out.add(&q, tupu::COMPETENCY_PROP, skill.clone());
                out.typed(&q, tupu::ESSENTIAL, essential.to_string(), xsd::BOOLEAN);
                *derived.entry(c.clone()).or_default() |= *essential;
            }
        }
        if derived.is_empty() {
            return Err(problem(format!("{esco_name} requires none of the map's skills")));
        }
        let csco = csco_node(code);
        out.add(&csco, skos::CLOSE_MATCH, occ.clone());
        english_of.insert(code.to_owned(), esco_name.to_owned());
        requirements_of.insert(code.to_owned(), derived);
        // The code and the groups above it.
        let parts: Vec<&str> = code.split('-').collect();
        csco_needed.insert(code.to_owned());
        csco_needed.insert(format!("{}-00-00-00", parts[0]));
        csco_needed.insert(format!("{}-{}-00-00", parts[0], parts[1]));
        csco_needed.insert(format!("{}-{}-{}-00", parts[0], parts[1], parts[2]));
    }
    let csco_nodes: BTreeSet<NamedNode> = csco_needed.iter().map(|c| csco_node(c)).collect();
    for q in &csco {
        let NamedOrBlankNode::NamedNode(s) = &q.subject else { continue };
        let keep = q.predicate == rdf::TYPE
            || q.predicate == skos::PREF_LABEL
            || q.predicate == skos::NOTATION
            || q.predicate == tupu::DIGITAL
            || q.predicate == tupu::GREEN
            || (q.predicate == skos::BROADER && matches!(&q.object, Term::NamedNode(o) if csco_nodes.contains(o)));
        if csco_nodes.contains(s) && keep {
            out.quads.push(Quad::new(s.clone(), q.predicate.clone(), q.object.clone(), out.graph.clone()));
        }
    }
    // (The CSCO rows carry their English titles from the importer's bundled table.)
    for (code, derived) in &requirements_of {
        let occ = csco_node(code);
        for (c, essential) in derived {
            out.qualified(&occ, c, Some(*essential), None, 0);
        }
    }

    // Majors and micro-majors.
    let comp = |id: &str| -> Result<NamedNode, ImportError> {
        COMPETENCIES
            .iter()
            .any(|c| c.0 == id)
            .then(|| ns(&format!("competency/{id}")))
            .ok_or_else(|| problem(format!("no competency '{id}' in the map")))
    };
    let english_majors: HashMap<&str, &str> = [
        ("080901", "Computer Science and Technology"),
        ("080902", "Software Engineering"),
        ("080903", "Network Engineering"),
        ("080904K", "Information Security"),
        ("080911TK", "Cyberspace Security"),
        ("080905", "Internet of Things Engineering"),
        ("080906", "Digital Media Technology"),
        ("080910T", "Data Science and Big Data Technology"),
        ("080717T", "Artificial Intelligence"),
        ("080907T", "Intelligence Science and Technology"),
        ("080909T", "Electronic and Computer Engineering"),
        ("080912T", "New Media Technology"),
        ("080701", "Electronic Information Engineering"),
        ("080703", "Communication Engineering"),
        ("080714T", "Electronic Information Science and Technology"),
        ("120102", "Information Management and Information Systems"),
        ("071201", "Statistics"),
        ("070101", "Mathematics and Applied Mathematics"),
        ("120203K", "Accounting"),
        ("120202", "Marketing"),
        ("120801", "E-commerce"),
        ("050201", "English"),
        ("510201", "Computer Application Technology"),
        ("510203", "Software Technology"),
        ("510209", "Applied Artificial Intelligence Technology"),
    ]
    .into_iter()
    .collect();
    for &(code, profile) in MAJORS {
        let m = NamedNode::new_unchecked(format!("{}{code}", crate::cn::CN_MAJOR_NS));
        let from_catalogue: Vec<&Quad> =
            majors.iter().filter(|q| q.subject == NamedOrBlankNode::from(m.clone())).collect();
        if from_catalogue.is_empty() {
            return Err(problem(format!("no major {code} in the catalogue")));
        }
        for q in from_catalogue {
            out.quads.push(Quad::new(q.subject.clone(), q.predicate.clone(), q.object.clone(), out.graph.clone()));
        }
        if let Some(en) = english_majors.get(code) {
            out.lang(&m, skos::PREF_LABEL, en, "en");
        }
        for &(id, weight, level) in profile {
            out.qualified(&m, &comp(id)?, None, Some(weight), level);
        }
    }
    for &(id, zh, en, hours, profile) in MICRO_MAJORS {
        let m = ns(&format!("micro-major/{id}"));
        out.add(&m, rdf::TYPE, tupu::MICRO_MAJOR);
        out.lang(&m, skos::PREF_LABEL, zh, "zh");
        out.lang(&m, skos::PREF_LABEL, en, "en");
        out.typed(&m, tupu::LEARNING_MINUTES, (hours * 60).to_string(), xsd::DECIMAL);
        for &(c, weight, level) in profile {
            out.qualified(&m, &comp(c)?, None, Some(weight), level);
        }
    }

    // Synthetic posts: each an instance of a demo occupation, asking for its essential
    // competencies and about half of its optional ones, at levels 2–5.
    let mut rng = Rng(2026);
    let total: u32 = OCCUPATIONS.iter().map(|o| o.2).sum();
    let csco_quads = out.quads.clone();
    for i in 0..120 {
        let mut pick = rng.below(u64::from(total)) as u32;
        let &(code, _, _) = OCCUPATIONS
            .iter()
            .find(|o| {
                if pick < o.2 {
                    true
                } else {
                    pick -= o.2;
                    false
                }
            })
            .unwrap_or(&OCCUPATIONS[0]);
        let occ = csco_node(code);
        let post = ns(&format!("post/p{i:03}"));
        let region = REGIONS[rng.below(REGIONS.len() as u64) as usize];
        let zh = label(&csco_quads, &occ, "zh").unwrap_or_default();
        let en = english_of.get(code).cloned().unwrap_or_default();
        out.add(&post, rdf::TYPE, tupu::POST);
        out.lang(&post, skos::PREF_LABEL, &format!("{zh}（{region}）"), "zh");
        out.lang(&post, skos::PREF_LABEL, &format!("{en} ({region})"), "en");
        out.add(&post, tupu::OCCUPATION_PROP, occ.clone());
        out.add(
            &post,
            NamedNodeRef::new_unchecked("https://schema.org/totalJobPlaces"),
            Literal::new_typed_literal((1 + rng.below(8)).to_string(), xsd::INTEGER),
        );
        out.add(
            &post,
            NamedNodeRef::new_unchecked("https://schema.org/addressRegion"),
            Literal::new_simple_literal(region),
        );
        out.add(
            &post,
            NamedNodeRef::new_unchecked("https://schema.org/datePosted"),
            Literal::new_typed_literal(format!("2026-{:02}-{:02}", 1 + rng.below(10), 1 + rng.below(28)), xsd::DATE),
        );
        for (c, essential) in &requirements_of[code] {
            if *essential || rng.chance(0.5) {
                let level = 2 + rng.below(4) as u8;
                out.qualified(&post, c, Some(*essential), None, level);
            }
        }
    }

    // Synthetic graduates: a major each, with one or two extra competencies.
    let mut graduates = String::new();
    let institutions = ["示范大学", "理工学院", "财经大学", "职业技术学院", "师范大学"];
    for i in 0..300 {
        let (code, _) = MAJORS[rng.below(MAJORS.len() as u64) as usize];
        let mut extra = Vec::new();
        for _ in 0..1 + rng.below(2) {
            let (id, _, _, _) = COMPETENCIES[rng.below(COMPETENCIES.len() as u64) as usize];
            if !extra.iter().any(|e: &serde_json::Value| e["id"] == id) {
                extra.push(serde_json::json!({"id": id, "level": 2 + rng.below(3), "strength": 0.8}));
            }
        }
        let record = serde_json::json!({
            "id": format!("g{i:03}"),
            "major": code,
            "institution": institutions[rng.below(institutions.len() as u64) as usize],
            "region": REGIONS[rng.below(REGIONS.len() as u64) as usize],
            "competencies": extra,
        });
        graduates.push_str(&record.to_string());
        graduates.push('\n');
    }

    // Graduate cohorts of 2026: each major at one to three of the institutions, 40 to 400
    // graduates each. Counts only: the supply side of the supply–demand report.
    let campuses = [
        ("示范大学", "Model University", "北京"),
        ("理工学院", "Institute of Technology", "广东"),
        ("财经大学", "University of Finance", "上海"),
        ("职业技术学院", "Vocational College", "四川"),
        ("师范大学", "Normal University", "湖北"),
    ];
    for &(code, _) in MAJORS {
        let m = NamedNode::new_unchecked(format!("{}{code}", crate::cn::CN_MAJOR_NS));
        let major_zh = label(&out.quads, &m, "zh").unwrap_or_default();
        let first = rng.below(campuses.len() as u64) as usize;
        for j in 0..1 + rng.below(3) as usize {
            let (zh, en, region) = campuses[(first + j) % campuses.len()];
            let cohort = ns(&format!("cohort/{code}-{}-2026", (first + j) % campuses.len()));
            out.add(&cohort, rdf::TYPE, tupu::GRADUATE_COHORT);
            out.lang(&cohort, skos::PREF_LABEL, &format!("{zh}{major_zh}专业2026届"), "zh");
            out.lang(
                &cohort,
                skos::PREF_LABEL,
                &format!("{en}, {} graduates of 2026", english_majors.get(code).copied().unwrap_or(code)),
                "en",
            );
            out.add(&cohort, tupu::PROGRAMME, m.clone());
            out.add(&cohort, tupu::INSTITUTION, Literal::new_simple_literal(zh));
            out.add(
                &cohort,
                NamedNodeRef::new_unchecked("https://schema.org/addressRegion"),
                Literal::new_simple_literal(region),
            );
            out.typed(&cohort, tupu::GRADUATION_YEAR, "2026".into(), xsd::INTEGER);
            out.typed(&cohort, tupu::GRADUATE_COUNT, (40 + 10 * rng.below(37)).to_string(), xsd::INTEGER);
        }
    }

    let mut quads = out.quads;
    quads.sort_by(|a, b| a.to_string().cmp(&b.to_string()));
    quads.dedup();
    let mut serializer = RdfSerializer::from_format(RdfFormat::Turtle);
    for (prefix, iri) in [
        ("tupu", "https://w3id.org/tupu/ns#"),
        ("skos", "http://www.w3.org/2004/02/skos/core#"),
        ("schema", "https://schema.org/"),
        ("xsd", "http://www.w3.org/2001/XMLSchema#"),
        ("demo", DEMO_NS),
        ("csco", crate::cn::CSCO_NS),
        ("major", crate::cn::CN_MAJOR_NS),
        ("escoskill", "http://data.europa.eu/esco/skill/"),
        ("escoocc", "http://data.europa.eu/esco/occupation/"),
    ] {
        serializer = serializer.with_prefix(prefix, iri).map_err(|e| problem(e.to_string()))?;
    }
    let mut writer = serializer.for_writer(Vec::new());
    for q in &quads {
        writer
            .serialize_triple(Triple::new(q.subject.clone(), q.predicate.clone(), q.object.clone()).as_ref())
            .map_err(|e| problem(e.to_string()))?;
    }
    let bytes = writer.finish().map_err(|e| problem(e.to_string()))?;
    let header = "# Employment demo of Tupu: generated by tupu_ingest::employment_demo from ESCO v1.1.1, CSCO 2022\n\
                  # and the national catalogue of majors (see ontologies/README.md). Do not edit by hand.\n";
    let turtle = format!("{header}{}", String::from_utf8(bytes).map_err(|e| problem(e.to_string()))?);
    Ok(EmploymentDemo { quads, turtle, graduates })
}
