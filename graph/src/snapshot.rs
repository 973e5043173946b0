//! The compiled, read-only view of the graph that the algorithms run on.
//!
//! A [`Snapshot`] numbers every typed node densely (`NodeId` 0..n), keeps its IRI, kind, labels
//! and the attributes the recommender needs, and stores every relation as compressed sparse rows
//! in both directions. It is immutable: a commit compiles a new one and swaps it in whole, so a
//! reader holding an `Arc<Snapshot>` sees one consistent version for as long as it likes.
//!
//! Useful for: neighbourhood walks, closures, fringes, matching: anything that touches many
//! nodes per request. Not useful for: literal values other than the few attributes compiled in
//! (ask the store with SPARQL), or anything that must see an uncommitted change.

use rustc_hash::FxHashMap as HashMap;
use std::fmt;
use std::sync::Arc;

mod persist;

/// Dense index of a node in one snapshot. Valid only for the snapshot that issued it.
#[derive(Copy, Clone, Eq, PartialEq, Hash, Ord, PartialOrd, Debug, serde::Serialize, serde::Deserialize)]
pub struct NodeId(u32);

impl NodeId {
    /// The node with dense index `index`.
    ///
    /// # Panics
    /// If `index` does not fit in 32 bits.
    #[inline]
    pub fn new(index: usize) -> Self {
        Self(u32::try_from(index).expect("more than 2^32 nodes"))
    }

    /// The dense index of this node.
    #[inline]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Interned string of a snapshot (thread, topic, domain, subject, framework names).
#[derive(Copy, Clone, Eq, PartialEq, Hash, Ord, PartialOrd, Debug, serde::Serialize, serde::Deserialize)]
pub struct Sym(u32);

impl Sym {
    /// Dense index of the symbol.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// The class of a node, one per node (the most specific Tupu class it is typed with).
#[derive(Copy, Clone, Eq, PartialEq, Ord, PartialOrd, Hash, Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    /// `tupu:KnowledgePoint`
    KnowledgePoint,
    /// `tupu:Competency`
    Competency,
    /// `tupu:Course`
    Course,
    /// `tupu:Major`
    Major,
    /// `tupu:MicroMajor`
    MicroMajor,
    /// `tupu:Occupation`
    Occupation,
    /// `tupu:Post`
    Post,
    /// `tupu:Resource`
    Resource,
    /// `tupu:Framework`
    Framework,
}

impl NodeKind {
    /// Every kind, in a stable order.
    pub const ALL: [NodeKind; 9] = [
        NodeKind::KnowledgePoint,
        NodeKind::Competency,
        NodeKind::Course,
        NodeKind::Major,
        NodeKind::MicroMajor,
        NodeKind::Occupation,
        NodeKind::Post,
        NodeKind::Resource,
        NodeKind::Framework,
    ];

    /// Local name of the class in the Tupu namespace, e.g. `KnowledgePoint`.
    pub fn class_name(self) -> &'static str {
        match self {
            NodeKind::KnowledgePoint => "KnowledgePoint",
            NodeKind::Competency => "Competency",
            NodeKind::Course => "Course",
            NodeKind::Major => "Major",
            NodeKind::MicroMajor => "MicroMajor",
            NodeKind::Occupation => "Occupation",
            NodeKind::Post => "Post",
            NodeKind::Resource => "Resource",
            NodeKind::Framework => "Framework",
        }
    }

    /// Snake-case name used in JSON, e.g. `knowledge_point`.
    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::KnowledgePoint => "knowledge_point",
            NodeKind::Competency => "competency",
            NodeKind::Course => "course",
            NodeKind::Major => "major",
            NodeKind::MicroMajor => "micro_major",
            NodeKind::Occupation => "occupation",
            NodeKind::Post => "post",
            NodeKind::Resource => "resource",
            NodeKind::Framework => "framework",
        }
    }

    /// Precedence when a node carries several Tupu types: the lower, the more specific.
    pub(crate) fn precedence(self) -> u8 {
        match self {
            NodeKind::KnowledgePoint => 0,
            NodeKind::Post => 1,
            NodeKind::Occupation => 2,
            NodeKind::MicroMajor => 3,
            NodeKind::Major => 4,
            NodeKind::Course => 5,
            NodeKind::Resource => 6,
            NodeKind::Competency => 7,
            NodeKind::Framework => 8,
        }
    }
}

impl fmt::Display for NodeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A typed relation between two nodes. Symmetric relations are compiled in both directions.
#[derive(Copy, Clone, Eq, PartialEq, Hash, Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// `A tupu:requires B`: B is a prerequisite of A.
    Requires,
    /// `A tupu:buildsOn B`.
    BuildsOn,
    /// `tupu:relatedTo` (symmetric).
    RelatedTo,
    /// `tupu:confusableWith` (symmetric).
    ConfusableWith,
    /// `A tupu:extends B`.
    Extends,
    /// Knowledge point `tupu:supports` competency (weighted).
    Supports,
    /// Course, major or micro-major `tupu:develops` competency (weighted, levelled).
    Develops,
    /// Occupation or post `tupu:requiresCompetency` competency (essential or optional).
    RequiresCompetency,
    /// Resource `tupu:teaches` node.
    Teaches,
    /// Resource `tupu:assesses` node.
    Assesses,
    /// `A skos:broader B` (also compiled from `B skos:narrower A`).
    Broader,
    /// `A schema:isPartOf B`.
    PartOf,
    /// `skos:exactMatch` (symmetric).
    ExactMatch,
    /// `skos:closeMatch` (symmetric).
    CloseMatch,
    /// `A skos:broadMatch B`: B, in another framework, is broader than A (a CSCO occupation's
    /// ISCO-08 unit group).
    BroadMatch,
    /// Post `tupu:occupation` occupation.
    OccupationOf,
    /// `A dcterms:isReplacedBy B`: A was deprecated in favour of B (a deprecation with a
    /// replacement, a merge, a split). See [`Snapshot::replacements`].
    ReplacedBy,
}

impl Relation {
    /// Number of relations.
    pub const COUNT: usize = 17;

    /// Every relation, in a stable order (the order of the enum).
    pub const ALL: [Relation; Relation::COUNT] = [
        Relation::Requires,
        Relation::BuildsOn,
        Relation::RelatedTo,
        Relation::ConfusableWith,
        Relation::Extends,
        Relation::Supports,
        Relation::Develops,
        Relation::RequiresCompetency,
        Relation::Teaches,
        Relation::Assesses,
        Relation::Broader,
        Relation::PartOf,
        Relation::ExactMatch,
        Relation::CloseMatch,
        Relation::BroadMatch,
        Relation::OccupationOf,
        Relation::ReplacedBy,
    ];

    /// Snake-case name used in JSON, e.g. `requires`.
    pub fn as_str(self) -> &'static str {
        match self {
            Relation::Requires => "requires",
            Relation::BuildsOn => "builds_on",
            Relation::RelatedTo => "related_to",
            Relation::ConfusableWith => "confusable_with",
            Relation::Extends => "extends",
            Relation::Supports => "supports",
            Relation::Develops => "develops",
            Relation::RequiresCompetency => "requires_competency",
            Relation::Teaches => "teaches",
            Relation::Assesses => "assesses",
            Relation::Broader => "broader",
            Relation::PartOf => "part_of",
            Relation::ExactMatch => "exact_match",
            Relation::CloseMatch => "close_match",
            Relation::BroadMatch => "broad_match",
            Relation::OccupationOf => "occupation",
            Relation::ReplacedBy => "replaced_by",
        }
    }

    /// Whether `A r B` implies `B r A`; such relations are compiled in both directions.
    pub fn is_symmetric(self) -> bool {
        matches!(self, Relation::RelatedTo | Relation::ConfusableWith | Relation::ExactMatch | Relation::CloseMatch)
    }

    #[inline]
    fn slot(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Relation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One adjacency entry: the node at the other end and the qualification of the edge.
#[derive(Copy, Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Edge {
    /// The node at the other end.
    pub node: NodeId,
    /// Weight in [0, 1]; 1 when the edge is not qualified.
    pub weight: f32,
    /// Proficiency level 1–8, 0 when not given.
    pub level: u8,
    /// For `RequiresCompetency`: essential (true) or optional (false). True otherwise.
    pub essential: bool,
}

/// The target cognitive level of a knowledge point.
#[derive(Copy, Clone, Eq, PartialEq, Hash, Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MasteryLevel {
    /// Recognise and recall.
    Know,
    /// Explain in one's own words.
    Understand,
    /// Carry out fluently.
    Master,
    /// Use in new situations.
    Apply,
}

impl MasteryLevel {
    /// Parses the vocabulary's literal (`know`, `understand`, `master`, `apply`).
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "know" => Some(MasteryLevel::Know),
            "understand" => Some(MasteryLevel::Understand),
            "master" => Some(MasteryLevel::Master),
            "apply" => Some(MasteryLevel::Apply),
            _ => None,
        }
    }

    /// The vocabulary's literal.
    pub fn as_str(self) -> &'static str {
        match self {
            MasteryLevel::Know => "know",
            MasteryLevel::Understand => "understand",
            MasteryLevel::Master => "master",
            MasteryLevel::Apply => "apply",
        }
    }
}

/// Bayesian Knowledge Tracing parameters of a knowledge point.
#[derive(Copy, Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BktParams {
    /// Probability of mastery before any evidence.
    pub prior: f32,
    /// Probability of moving to mastery at each practice opportunity.
    pub learn: f32,
    /// Probability of a wrong answer despite mastery.
    pub slip: f32,
    /// Probability of a right answer without mastery.
    pub guess: f32,
    /// Probability of losing mastery at each practice opportunity (0 in textbook BKT).
    #[serde(default)]
    pub forget: f32,
}

/// The attributes of a node that algorithms need; everything else stays in the store.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NodeAttrs {
    /// School grade where the node is first taught.
    pub grade: Option<u8>,
    /// Position in the curriculum's teaching order.
    pub sequence: Option<u32>,
    /// Difficulty in [0, 1].
    pub difficulty: Option<f32>,
    /// Typical learning time in minutes.
    pub learning_minutes: Option<f32>,
    /// Target cognitive level.
    pub mastery_level: Option<MasteryLevel>,
    /// Learning thread (strand).
    pub thread: Option<Sym>,
    /// Topic.
    pub topic: Option<Sym>,
    /// Domain code.
    pub domain: Option<Sym>,
    /// Subject.
    pub subject: Option<Sym>,
    /// Resource type (lesson, exercise, ...).
    pub resource_type: Option<Sym>,
    /// Fitted BKT parameters, when some were stored.
    pub bkt: Option<BktParams>,
    /// Fitted weight, in log-odds, of the learner's ability on answers to the node
    /// (`tupu:bktAbility`), when one was stored.
    pub bkt_ability: Option<f32>,
    /// Fitted half-life, in days, of the node's mastery between practices
    /// (`tupu:bktHalfLife`), when one was stored.
    pub bkt_half_life: Option<f32>,
}

/// A language-tagged label.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Label {
    /// BCP 47 language tag, empty when the literal has none.
    pub lang: Box<str>,
    /// The text.
    pub text: Box<str>,
}

/// Compressed sparse rows: `targets[offsets[i]..offsets[i+1]]` are node i's neighbours.
#[derive(Clone, Debug, Default, PartialEq)]
struct Csr {
    offsets: Vec<u32>,
    edges: Vec<Edge>,
}

impl Csr {
    /// Builds rows from unsorted `(from, edge)` pairs with a counting sort: O(n + m).
    fn build(node_count: usize, pairs: &[(NodeId, Edge)]) -> Self {
        let mut offsets = vec![0u32; node_count + 1];
        for (from, _) in pairs {
            offsets[from.index() + 1] += 1;
        }
        for i in 0..node_count {
            offsets[i + 1] += offsets[i];
        }
        let mut cursor = offsets.clone();
        let filler = Edge { node: NodeId(0), weight: 0.0, level: 0, essential: false };
        let mut edges = vec![filler; pairs.len()];
        for (from, edge) in pairs {
            let slot = &mut cursor[from.index()];
            edges[*slot as usize] = *edge;
            *slot += 1;
        }
        // Deterministic neighbour order, whatever order the store returned.
        for i in 0..node_count {
            edges[offsets[i] as usize..offsets[i + 1] as usize].sort_unstable_by_key(|e| e.node);
        }
        Self { offsets, edges }
    }

    #[inline]
    fn row(&self, node: NodeId) -> &[Edge] {
        let i = node.index();
        match (self.offsets.get(i), self.offsets.get(i + 1)) {
            (Some(&start), Some(&end)) => &self.edges[start as usize..end as usize],
            _ => &[],
        }
    }
}

/// A compiled, immutable version of the graph. See the module documentation.
///
/// Two snapshots are equal when every part is: version, nodes in the same order with their
/// IRIs, kinds, labels, attributes and frameworks, symbols, and every row of every relation.
#[derive(Debug, PartialEq)]
pub struct Snapshot {
    version: u64,
    iris: Vec<Arc<str>>,
    kinds: Vec<NodeKind>,
    labels: Vec<Arc<[Label]>>,
    attrs: Vec<NodeAttrs>,
    frameworks: Vec<Option<Sym>>,
    symbols: Vec<Box<str>>,
    by_iri: HashMap<Arc<str>, NodeId>,
    by_local: HashMap<Arc<str>, LocalName>,
    forward: Vec<Csr>,
    backward: Vec<Csr>,
    topo: Vec<NodeId>,
    depth: Vec<u32>,
    replacements: Replacements,
}

#[derive(Copy, Clone, Debug, PartialEq)]
enum LocalName {
    Unique(NodeId),
    Ambiguous,
}

/// Why an id given by a caller does not name a node.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// No node has this IRI or local name.
    #[error("no node has the IRI or local name '{0}'")]
    Unknown(String),
    /// Several nodes share this local name; the full IRI is needed.
    #[error("several nodes have the local name '{0}': give the full IRI")]
    Ambiguous(String),
}

/// The local name of an IRI: what follows its last `#` or `/`.
pub fn local_name(iri: &str) -> &str {
    // `#` and `/` are ASCII, so a byte search lands on a character boundary.
    match iri.as_bytes().iter().rposition(|&b| b == b'#' || b == b'/') {
        Some(i) => &iri[i + 1..],
        None => iri,
    }
}

impl Snapshot {
    /// The empty snapshot (version 0).
    pub fn empty() -> Self {
        SnapshotBuilder::new().build(0)
    }

    /// Version number: 0 for the empty store, +1 at every commit.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.iris.len()
    }

    /// Every node id, in index order.
    pub fn nodes(&self) -> impl ExactSizeIterator<Item = NodeId> + '_ {
        (0..self.iris.len()).map(NodeId::new)
    }

    /// Every node of one kind, in index order.
    pub fn nodes_of_kind(&self, kind: NodeKind) -> impl Iterator<Item = NodeId> + '_ {
        self.nodes().filter(move |&n| self.kinds[n.index()] == kind)
    }

    /// Finds a node by full IRI or, when it is unambiguous, by local name.
    pub fn resolve(&self, id: &str) -> Result<NodeId, ResolveError> {
        if let Some(&node) = self.by_iri.get(id) {
            return Ok(node);
        }
        match self.by_local.get(id) {
            Some(LocalName::Unique(node)) => Ok(*node),
            Some(LocalName::Ambiguous) => Err(ResolveError::Ambiguous(id.to_owned())),
            None => Err(ResolveError::Unknown(id.to_owned())),
        }
    }

    /// Finds a node by full IRI only.
    pub fn node_by_iri(&self, iri: &str) -> Option<NodeId> {
        self.by_iri.get(iri).copied()
    }

    /// The node's IRI.
    pub fn iri(&self, node: NodeId) -> &str {
        &self.iris[node.index()]
    }

    /// The node's IRI as a shared string.
    pub fn iri_arc(&self, node: NodeId) -> &Arc<str> {
        &self.iris[node.index()]
    }

    /// The node's local name (see [`local_name`]).
    pub fn local_name(&self, node: NodeId) -> &str {
        local_name(self.iri(node))
    }

    /// The node's kind.
    pub fn kind(&self, node: NodeId) -> NodeKind {
        self.kinds[node.index()]
    }

    /// The node's labels as shared with later snapshots.
    pub(crate) fn labels_shared(&self, node: NodeId) -> &Arc<[Label]> {
        &self.labels[node.index()]
    }

    /// Every preferred label of the node (`skos:prefLabel`, else `rdfs:label`).
    pub fn labels(&self, node: NodeId) -> &[Label] {
        &self.labels[node.index()]
    }

    /// The label in `lang`, chosen in this order: a label in the requested language (compared
    /// by primary subtag, ignoring case: `zh-Hans` matches `zh` and `zh-CN`), else English, else
    /// Chinese, else the first label, else the local name. A language no label has falls back.
    pub fn label(&self, node: NodeId, lang: Option<&str>) -> &str {
        let labels = &self.labels[node.index()];
        fn primary(tag: &str) -> &str {
            tag.split('-').next().unwrap_or(tag)
        }
        let find = |l: &str| labels.iter().find(|x| primary(&x.lang).eq_ignore_ascii_case(primary(l)));
        lang.and_then(find)
            .or_else(|| find("en"))
            .or_else(|| find("zh"))
            .or_else(|| labels.first())
            .map_or_else(|| self.local_name(node), |l| &l.text)
    }

    /// The node's compiled attributes.
    pub fn attrs(&self, node: NodeId) -> &NodeAttrs {
        &self.attrs[node.index()]
    }

    /// The named graph (framework) where the node's type was asserted.
    pub fn framework(&self, node: NodeId) -> Option<&str> {
        self.frameworks[node.index()].map(|s| self.symbol(s))
    }

    /// The text of an interned symbol.
    pub fn symbol(&self, sym: Sym) -> &str {
        &self.symbols[sym.index()]
    }

    /// The symbol for a text, if any node uses it.
    pub fn find_symbol(&self, text: &str) -> Option<Sym> {
        self.symbols.iter().position(|s| &**s == text).map(|i| Sym(i as u32))
    }

    /// Number of interned symbols (symbol indices are below it).
    pub fn symbol_count(&self) -> usize {
        self.symbols.len()
    }

    /// Edges leaving `node` by `relation` (for `Requires`: its direct prerequisites, deepest
    /// first; other rows are in node order).
    #[inline]
    pub fn out(&self, node: NodeId, relation: Relation) -> &[Edge] {
        self.forward[relation.slot()].row(node)
    }

    /// Edges entering `node` by `relation` (for `Requires`: the nodes that directly require it).
    #[inline]
    pub fn inc(&self, node: NodeId, relation: Relation) -> &[Edge] {
        self.backward[relation.slot()].row(node)
    }

    /// Direct prerequisites of `node`.
    pub fn prerequisites(&self, node: NodeId) -> impl ExactSizeIterator<Item = NodeId> + '_ {
        self.out(node, Relation::Requires).iter().map(|e| e.node)
    }

    /// Nodes that directly require `node`.
    pub fn dependents(&self, node: NodeId) -> impl ExactSizeIterator<Item = NodeId> + '_ {
        self.inc(node, Relation::Requires).iter().map(|e| e.node)
    }

    /// Number of edges of a relation (symmetric relations count each direction).
    pub fn edge_count(&self, relation: Relation) -> usize {
        self.forward[relation.slot()].edges.len()
    }

    /// Every node in an order where prerequisites come before the nodes that require them.
    pub fn topological_order(&self) -> &[NodeId] {
        &self.topo
    }

    /// Length of the longest chain of prerequisites below `node` (0 for a node with none).
    pub fn depth(&self, node: NodeId) -> u32 {
        self.depth[node.index()]
    }

    /// The nodes that replace `node` now: the ends of its `replaced_by` chains (nodes not
    /// replaced themselves), in id order; empty when `node` is not replaced. A learner's
    /// mastery of `node` and the resources aligned to it count for these nodes.
    ///
    /// ```text
    ///   a ──replaced_by──▶ b ──replaced_by──▶ c        replacements(a) = replacements(b) = [c]
    ///   s ──replaced_by──▶ p, q                       replacements(s) = [p, q]   (a split)
    /// ```
    pub fn replacements(&self, node: NodeId) -> &[NodeId] {
        self.replacements.forward.get(&node).map_or(&[], |r| r)
    }

    /// The nodes whose `replaced_by` chains end at `node` (what [`Snapshot::replacements`]
    /// maps to it), in id order; empty for most nodes.
    pub fn replaced(&self, node: NodeId) -> &[NodeId] {
        self.replacements.backward.get(&node).map_or(&[], |r| r)
    }

    /// The nodes that stand for the same thing as `node` in another version: those it
    /// replaces ([`Snapshot::replaced`]), then its direct exact matches (`skos:exactMatch`).
    /// A learner's evidence and the resources aligned to them count for `node` too.
    pub fn equivalents(&self, node: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        self.replaced(node).iter().copied().chain(self.out(node, Relation::ExactMatch).iter().map(|e| e.node))
    }
}

/// The `replaced_by` chains of a snapshot, resolved to their ends once per snapshot.
#[derive(Debug, Default, PartialEq)]
struct Replacements {
    /// Replaced node → the nodes at the ends of its chains.
    forward: HashMap<NodeId, Box<[NodeId]>>,
    /// Node at the end of chains → the replaced nodes whose chains end there.
    backward: HashMap<NodeId, Box<[NodeId]>>,
}

impl Replacements {
    /// Follows every replaced node's chains (depth first, each node once per start) to the
    /// nodes that are not replaced. A chain that only loops (`a → b → a`) has no end and
    /// replaces nothing; a node on a loop with an exit resolves to the exit's end.
    /// O(R · L) for R replaced nodes and chains of L nodes; nothing for a graph without
    /// replacements.
    fn resolve(n: usize, replaced_by: &Csr) -> Self {
        let mut out = Self::default();
        let mut backward: HashMap<NodeId, Vec<NodeId>> = HashMap::default();
        let mut seen: rustc_hash::FxHashSet<NodeId> = rustc_hash::FxHashSet::default();
        let mut stack = Vec::new();
        for i in 0..n {
            let start = NodeId::new(i);
            if replaced_by.row(start).is_empty() {
                continue;
            }
            seen.clear();
            seen.insert(start);
            stack.clear();
            stack.extend(replaced_by.row(start).iter().map(|e| e.node));
            let mut ends = Vec::new();
            while let Some(x) = stack.pop() {
                if !seen.insert(x) {
                    continue;
                }
                let row = replaced_by.row(x);
                if row.is_empty() {
                    ends.push(x);
                } else {
                    stack.extend(row.iter().map(|e| e.node));
                }
            }
            if ends.is_empty() {
                continue;
            }
            ends.sort_unstable();
            // Starts come in id order, so each backward row is sorted.
            for &end in &ends {
                backward.entry(end).or_default().push(start);
            }
            out.forward.insert(start, ends.into_boxed_slice());
        }
        out.backward = backward.into_iter().map(|(k, v)| (k, v.into_boxed_slice())).collect();
        out
    }
}

/// Builds a [`Snapshot`] from nodes and edges; the store's compiler and the benchmarks'
/// generators both go through it.
///
/// ```
/// use tupu_graph::{NodeKind, Relation, SnapshotBuilder};
///
/// let mut b = SnapshotBuilder::new();
/// let add = b.node("https://example.org/add", NodeKind::KnowledgePoint);
/// let count = b.node("https://example.org/count", NodeKind::KnowledgePoint);
/// b.edge(Relation::Requires, add, count, 1.0);
/// let snapshot = b.build(1);
/// assert_eq!(snapshot.prerequisites(add).collect::<Vec<_>>(), vec![count]);
/// assert_eq!(snapshot.resolve("count"), Ok(count));
/// ```
#[derive(Debug, Default)]
pub struct SnapshotBuilder {
    iris: Vec<Arc<str>>,
    kinds: Vec<NodeKind>,
    labels: Vec<Vec<Label>>,
    shared_labels: Vec<Option<Arc<[Label]>>>,
    attrs: Vec<NodeAttrs>,
    frameworks: Vec<Option<Sym>>,
    symbols: Vec<Box<str>>,
    symbol_ids: HashMap<Box<str>, Sym>,
    by_iri: HashMap<Arc<str>, NodeId>,
    edges: Vec<Vec<(NodeId, Edge)>>,
}

impl SnapshotBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self { edges: vec![Vec::new(); Relation::COUNT], ..Self::default() }
    }

    /// Adds a node, or returns the existing one with this IRI (keeping the more specific kind).
    pub fn node(&mut self, iri: &str, kind: NodeKind) -> NodeId {
        if let Some(&id) = self.by_iri.get(iri) {
            let current = &mut self.kinds[id.index()];
            if kind.precedence() < current.precedence() {
                *current = kind;
            }
            return id;
        }
        let id = NodeId::new(self.iris.len());
        let iri: Arc<str> = Arc::from(iri);
        self.by_iri.insert(iri.clone(), id);
        self.iris.push(iri);
        self.kinds.push(kind);
        self.labels.push(Vec::new());
        self.shared_labels.push(None);
        self.attrs.push(NodeAttrs::default());
        self.frameworks.push(None);
        id
    }

    /// Adds a node whose IRI is already shared (as in an earlier snapshot): no copy of it.
    pub(crate) fn node_shared(&mut self, iri: &Arc<str>, kind: NodeKind) -> NodeId {
        if let Some(&id) = self.by_iri.get(&**iri) {
            return id;
        }
        let id = NodeId::new(self.iris.len());
        self.by_iri.insert(iri.clone(), id);
        self.iris.push(iri.clone());
        self.kinds.push(kind);
        self.labels.push(Vec::new());
        self.shared_labels.push(None);
        self.attrs.push(NodeAttrs::default());
        self.frameworks.push(None);
        id
    }

    /// Sets a node's labels at once (copied from an earlier snapshot).
    pub(crate) fn set_labels(&mut self, node: NodeId, labels: &Arc<[Label]>) {
        self.labels[node.index()].clear();
        self.shared_labels[node.index()] = Some(labels.clone());
    }

    /// The node with this IRI, if it was added.
    pub fn get(&self, iri: &str) -> Option<NodeId> {
        self.by_iri.get(iri).copied()
    }

    /// Number of nodes added so far.
    pub fn node_count(&self) -> usize {
        self.iris.len()
    }

    /// Interns a string.
    pub fn symbol(&mut self, text: &str) -> Sym {
        if let Some(&s) = self.symbol_ids.get(text) {
            return s;
        }
        let s = Sym(self.symbols.len() as u32);
        self.symbols.push(text.into());
        self.symbol_ids.insert(text.into(), s);
        s
    }

    /// Adds a label.
    pub fn label(&mut self, node: NodeId, lang: &str, text: &str) {
        if let Some(shared) = self.shared_labels[node.index()].take() {
            self.labels[node.index()] = shared.to_vec();
        }
        self.labels[node.index()].push(Label { lang: lang.into(), text: text.into() });
    }

    /// Whether the node has no label yet.
    pub(crate) fn has_no_label(&self, node: NodeId) -> bool {
        self.labels[node.index()].is_empty() && self.shared_labels[node.index()].as_ref().is_none_or(|l| l.is_empty())
    }

    /// Adds one directed adjacency entry as it is, without the reverse of a symmetric relation
    /// (for copying the rows of an earlier snapshot, which hold both directions already).
    pub(crate) fn raw_edge(&mut self, relation: Relation, from: NodeId, edge: Edge) {
        self.edges[relation.slot()].push((from, edge));
    }

    /// Mutable access to the node's attributes.
    pub fn attrs_mut(&mut self, node: NodeId) -> &mut NodeAttrs {
        &mut self.attrs[node.index()]
    }

    /// Records the named graph where the node was typed.
    pub fn framework(&mut self, node: NodeId, graph: &str) {
        let sym = self.symbol(graph);
        self.frameworks[node.index()] = Some(sym);
    }

    /// Adds an unqualified edge with a weight.
    pub fn edge(&mut self, relation: Relation, from: NodeId, to: NodeId, weight: f32) {
        self.qualified_edge(relation, from, Edge { node: to, weight, level: 0, essential: true });
    }

    /// Adds an edge with its full qualification.
    pub fn qualified_edge(&mut self, relation: Relation, from: NodeId, edge: Edge) {
        self.edges[relation.slot()].push((from, edge));
        if relation.is_symmetric() && from != edge.node {
            self.edges[relation.slot()].push((edge.node, Edge { node: from, ..edge }));
        }
    }

    /// Compiles the snapshot: CSR rows in both directions, the local-name index, a
    /// topological order of prerequisites and prerequisite depths. O(n + m log d).
    pub fn build(self, version: u64) -> Snapshot {
        let n = self.iris.len();
        let forward = self
            .edges
            .into_iter()
            .map(|mut pairs| {
                // Duplicate edges (asserted in two graphs, or both directions of a symmetric
                // one) collapse to one, keeping the first qualification.
                pairs.sort_by_key(|(from, e)| (*from, e.node));
                pairs.dedup_by_key(|(from, e)| (*from, e.node));
                Csr::build(n, &pairs)
            })
            .collect();
        Snapshot {
            version,
            iris: self.iris,
            kinds: self.kinds,
            labels: self
                .labels
                .into_iter()
                .zip(self.shared_labels)
                .map(|(own, shared)| shared.unwrap_or_else(|| Arc::from(own)))
                .collect(),
            attrs: self.attrs,
            frameworks: self.frameworks,
            symbols: self.symbols,
            by_iri: self.by_iri,
            forward,
            ..Snapshot::underived()
        }
        .derive()
    }
}

impl Snapshot {
    /// A snapshot whose parts are all empty, to be filled in and then [derived](Self::derive).
    fn underived() -> Snapshot {
        Snapshot {
            version: 0,
            iris: Vec::new(),
            kinds: Vec::new(),
            labels: Vec::new(),
            attrs: Vec::new(),
            frameworks: Vec::new(),
            symbols: Vec::new(),
            by_iri: HashMap::default(),
            by_local: HashMap::default(),
            forward: Vec::new(),
            backward: Vec::new(),
            topo: Vec::new(),
            depth: Vec::new(),
            replacements: Replacements::default(),
        }
    }

    /// Derives the backward rows, the local-name index, the topological order, the depths
    /// and the replacements from the stored parts (version, IRIs and `by_iri`, kinds, labels,
    /// attributes, frameworks, symbols, and the forward rows of every relation, each row
    /// without duplicate targets), and orders each node's prerequisites deepest first.
    /// O(n + m log d).
    fn derive(mut self) -> Snapshot {
        let n = self.iris.len();
        self.backward = self
            .forward
            .iter()
            .map(|rows| {
                let reversed: Vec<(NodeId, Edge)> = (0..n)
                    .map(NodeId::new)
                    .flat_map(|from| rows.row(from).iter().map(move |e| (e.node, Edge { node: from, ..*e })))
                    .collect();
                Csr::build(n, &reversed)
            })
            .collect();
        let mut by_local: HashMap<Arc<str>, LocalName> = HashMap::with_capacity_and_hasher(n, Default::default());
        for (i, iri) in self.iris.iter().enumerate() {
            let local: Arc<str> = Arc::from(local_name(iri));
            by_local
                .entry(local)
                .and_modify(|e| *e = LocalName::Ambiguous)
                .or_insert(LocalName::Unique(NodeId::new(i)));
        }
        self.by_local = by_local;
        let (topo, depth) = topological_depths(n, &self.forward[Relation::Requires.slot()]);
        self.replacements = Replacements::resolve(n, &self.forward[Relation::ReplacedBy.slot()]);
        // A node's prerequisites are listed deepest first: the most advanced prerequisite is
        // the likeliest not to be mastered, so readiness checks stop early.
        let requires = &mut self.forward[Relation::Requires.slot()];
        for i in 0..n {
            let (start, end) = (requires.offsets[i] as usize, requires.offsets[i + 1] as usize);
            requires.edges[start..end].sort_unstable_by_key(|e| (std::cmp::Reverse(depth[e.node.index()]), e.node));
        }
        self.topo = topo;
        self.depth = depth;
        self
    }
}

/// Kahn's algorithm over `requires` rows (node → its prerequisites): returns an order with
/// prerequisites first and each node's longest prerequisite chain. Nodes on a cycle (which
/// validation rejects before any commit) are appended at the end with depth 0.
fn topological_depths(n: usize, requires: &Csr) -> (Vec<NodeId>, Vec<u32>) {
    let mut remaining: Vec<u32> = (0..n).map(|i| requires.row(NodeId::new(i)).len() as u32).collect();
    // Reverse rows: prerequisite → dependents.
    let pairs: Vec<(NodeId, Edge)> = (0..n)
        .flat_map(|i| requires.row(NodeId::new(i)).iter().map(move |e| (e.node, Edge { node: NodeId::new(i), ..*e })))
        .collect();
    let dependents = Csr::build(n, &pairs);
    let mut depth = vec![0u32; n];
    let mut order: Vec<NodeId> = (0..n).filter(|&i| remaining[i] == 0).map(NodeId::new).collect();
    let mut head = 0;
    while head < order.len() {
        let node = order[head];
        head += 1;
        for e in dependents.row(node) {
            let below = depth[node.index()] + 1;
            let d = &mut depth[e.node.index()];
            *d = (*d).max(below);
            let r = &mut remaining[e.node.index()];
            *r -= 1;
            if *r == 0 {
                order.push(e.node);
            }
        }
    }
    if order.len() < n {
        let mut placed = vec![false; n];
        for node in &order {
            placed[node.index()] = true;
        }
        order.extend((0..n).filter(|&i| !placed[i]).map(NodeId::new));
    }
    (order, depth)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain() -> (Snapshot, Vec<NodeId>) {
        let mut b = SnapshotBuilder::new();
        let ids: Vec<NodeId> = ["a", "b", "c", "d"]
            .iter()
            .map(|l| b.node(&format!("https://example.org/x/{l}"), NodeKind::KnowledgePoint))
            .collect();
        // d requires c requires b requires a; d also requires a directly.
        b.edge(Relation::Requires, ids[3], ids[2], 1.0);
        b.edge(Relation::Requires, ids[2], ids[1], 1.0);
        b.edge(Relation::Requires, ids[1], ids[0], 1.0);
        b.edge(Relation::Requires, ids[3], ids[0], 1.0);
        b.edge(Relation::RelatedTo, ids[0], ids[3], 1.0);
        (b.build(7), ids)
    }

    #[test]
    fn rows_in_both_directions() {
        let (s, ids) = chain();
        assert_eq!(s.version(), 7);
        // Deepest prerequisite first.
        let pre: Vec<_> = s.prerequisites(ids[3]).collect();
        assert_eq!(pre, vec![ids[2], ids[0]]);
        let dep: Vec<_> = s.dependents(ids[0]).collect();
        assert_eq!(dep, vec![ids[1], ids[3]]);
        assert_eq!(s.edge_count(Relation::Requires), 4);
    }

    #[test]
    fn symmetric_relations_go_both_ways() {
        let (s, ids) = chain();
        assert_eq!(s.out(ids[3], Relation::RelatedTo)[0].node, ids[0]);
        assert_eq!(s.out(ids[0], Relation::RelatedTo)[0].node, ids[3]);
        assert_eq!(s.edge_count(Relation::RelatedTo), 2);
    }

    #[test]
    fn topological_order_puts_prerequisites_first() {
        let (s, ids) = chain();
        let pos = |n: NodeId| s.topological_order().iter().position(|&x| x == n).unwrap();
        assert!(pos(ids[0]) < pos(ids[1]));
        assert!(pos(ids[1]) < pos(ids[2]));
        assert!(pos(ids[2]) < pos(ids[3]));
        assert_eq!(s.depth(ids[3]), 3);
        assert_eq!(s.depth(ids[0]), 0);
    }

    #[test]
    fn resolves_iris_and_local_names() {
        let mut b = SnapshotBuilder::new();
        let x = b.node("https://a.org/x", NodeKind::KnowledgePoint);
        b.node("https://b.org/x", NodeKind::KnowledgePoint);
        let y = b.node("https://a.org/ns#y", NodeKind::Competency);
        let s = b.build(1);
        assert_eq!(s.resolve("https://a.org/x"), Ok(x));
        assert_eq!(s.resolve("y"), Ok(y));
        assert_eq!(s.resolve("x"), Err(ResolveError::Ambiguous("x".into())));
        assert_eq!(s.resolve("z"), Err(ResolveError::Unknown("z".into())));
    }

    #[test]
    fn duplicate_edges_collapse() {
        let mut b = SnapshotBuilder::new();
        let x = b.node("https://a.org/x", NodeKind::KnowledgePoint);
        let y = b.node("https://a.org/y", NodeKind::KnowledgePoint);
        b.edge(Relation::Requires, x, y, 1.0);
        b.edge(Relation::Requires, x, y, 1.0);
        b.edge(Relation::RelatedTo, x, y, 1.0);
        b.edge(Relation::RelatedTo, y, x, 1.0);
        let s = b.build(1);
        assert_eq!(s.edge_count(Relation::Requires), 1);
        assert_eq!(s.edge_count(Relation::RelatedTo), 2);
    }

    #[test]
    fn labels_fall_back_by_language() {
        let mut b = SnapshotBuilder::new();
        let x = b.node("https://a.org/x", NodeKind::KnowledgePoint);
        let y = b.node("https://a.org/y", NodeKind::KnowledgePoint);
        b.label(x, "en", "addition");
        b.label(x, "zh", "加法");
        let s = b.build(1);
        assert_eq!(s.label(x, Some("en")), "addition");
        assert_eq!(s.label(x, Some("zh-Hans")), "加法");
        // Requested, then English, then Chinese, then any.
        assert_eq!(s.label(x, None), "addition");
        assert_eq!(s.label(x, Some("pt")), "addition");
        assert_eq!(s.label(y, None), "y");
    }

    #[test]
    fn replacement_chains_resolve_to_their_ends() {
        let mut b = SnapshotBuilder::new();
        let ids: Vec<NodeId> = ["a", "b", "c", "s", "p", "q", "x", "y", "z"]
            .iter()
            .map(|l| b.node(&format!("https://example.org/v/{l}"), NodeKind::KnowledgePoint))
            .collect();
        let [a, bb, c, s, p, q, x, y, _] = ids[..] else { unreachable!() };
        // A chain, a split, a loop without an exit, and a loop with one (y → x → y, y → z).
        for (from, to) in [(a, bb), (bb, c), (s, p), (s, q), (x, y), (y, x)] {
            b.edge(Relation::ReplacedBy, from, to, 1.0);
        }
        let looped = b.build(1);
        assert_eq!(looped.replacements(a), [c]);
        assert_eq!(looped.replacements(bb), [c]);
        assert!(looped.replacements(c).is_empty());
        assert_eq!(looped.replaced(c), [a, bb]);
        assert_eq!(looped.replacements(s), [p, q]);
        assert_eq!(looped.replaced(q), [s]);
        assert!(looped.replacements(x).is_empty() && looped.replacements(y).is_empty());
        assert!(looped.replaced(x).is_empty());

        let mut b = SnapshotBuilder::new();
        let [x, y, z] =
            ["x", "y", "z"].map(|l| b.node(&format!("https://example.org/v/{l}"), NodeKind::KnowledgePoint));
        for (from, to) in [(x, y), (y, x), (y, z)] {
            b.edge(Relation::ReplacedBy, from, to, 1.0);
        }
        let exit = b.build(1);
        assert_eq!(exit.replacements(x), [z]);
        assert_eq!(exit.replacements(y), [z]);
        assert_eq!(exit.replaced(z), [x, y]);
    }

    #[test]
    fn local_names_follow_the_last_hash_or_slash() {
        assert_eq!(local_name("https://w3id.org/tupu/chalkbase/kp.gg.三角形.angle_sum"), "kp.gg.三角形.angle_sum");
        assert_eq!(local_name("https://w3id.org/tupu/ns#requires"), "requires");
        assert_eq!(local_name("https://e.org/a#b/c"), "c");
        assert_eq!(local_name("urn:isbn:123"), "urn:isbn:123");
        assert_eq!(local_name("https://e.org/dir/"), "");
    }
}
