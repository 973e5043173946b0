//! [`MatchIndex`]: the competency profiles of one snapshot, ready for matching.
//!
//! Built once per snapshot version. O(N + E) in the nodes and the requirement, development and
//! competency edges of the snapshot.
//!
//! - **Requirement profiles** of occupations and posts (`tupu:requiresCompetency` with its
//!   qualification): each requirement's importance is
//!   `(1 if essential else 0.5) × weight × idf(c)`, normalised to sum to 1 per holder, where
//!   `idf(c) = ln((1 + H) / (1 + df(c))) + 0.1` over the H holders and the df(c) of them that
//!   require c: a competency nearly every occupation asks for (communication, teamwork) counts
//!   for little next to a specific one.
//! - **Development profiles** of majors, micro-majors and courses (`tupu:develops`): the
//!   abilities a holder of the programme brings, at the programme's weight and level.
//! - **Neighbours** of each competency, for partial credit: `skos:exactMatch` (full credit),
//!   `skos:closeMatch` (0.8), the broader concept and `tupu:relatedTo` (0.5), narrower concepts
//!   (0.3, when it has at most 64) and competencies supported by a shared knowledge point (0.3).

use std::collections::HashMap;

use tupu_graph::{Edge, NodeId, NodeKind, Relation, Snapshot};

use super::names::Names;
use super::sparse::{Cell, Matcher, Profile, Rule};

/// Share of a score lost when every essential requirement is missing.
pub const ESSENTIAL_PENALTY: f32 = 0.5;
/// Importance of an optional requirement relative to an essential one.
pub const OPTIONAL_FACTOR: f32 = 0.5;
/// Share of their weight at which an occupation with no requirements and no exact or close
/// mapping takes the requirements that most occupations of a group it maps to by
/// `skos:broadMatch` share (a CSCO occupation's ISCO-08 unit group, whose members are ESCO's
/// occupations): see [`MatchIndex::inherited_from`].
pub const GROUP_FACTOR: f32 = 0.6;

/// How a competency credits another one.
#[derive(Copy, Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    /// The same competency.
    Direct,
    /// `skos:exactMatch` (another framework's same competency).
    ExactMatch,
    /// `skos:closeMatch`.
    CloseMatch,
    /// The required competency is broader than one held.
    Narrower,
    /// The required competency is narrower than one held.
    Broader,
    /// `tupu:relatedTo`.
    Related,
    /// Both are supported by a knowledge point.
    SharedKnowledgePoint,
}

impl Via {
    /// Credit factor of the relation.
    pub fn factor(self) -> f32 {
        match self {
            Via::Direct | Via::ExactMatch => 1.0,
            Via::CloseMatch => 0.8,
            Via::Narrower | Via::Related => 0.5,
            Via::Broader | Via::SharedKnowledgePoint => 0.3,
        }
    }

    /// English and Chinese names.
    pub fn names(self) -> (&'static str, &'static str) {
        match self {
            Via::Direct => ("held", "已具备"),
            Via::ExactMatch => ("same competency in another framework", "其他框架中的相同能力"),
            Via::CloseMatch => ("nearly the same competency", "相近能力"),
            Via::Narrower => ("a more specific competency", "更具体的能力"),
            Via::Broader => ("a broader competency", "更宽泛的能力"),
            Via::Related => ("a related competency", "相关能力"),
            Via::SharedKnowledgePoint => ("a competency sharing knowledge points", "共享知识点的能力"),
        }
    }
}

/// Where the evidence of an ability comes from.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Stated with the graduate (a competency listed in the request).
    Stated,
    /// Developed by a programme taken (a major, micro-major or course).
    Programme,
    /// A learner's mastery of the competency itself.
    Mastery,
    /// A learner's mastery of the knowledge points that support the competency (see
    /// [`mastery_abilities`](super::mastery_abilities)).
    KnowledgePoints,
}

impl Source {
    /// English and Chinese names.
    pub fn names(self) -> (&'static str, &'static str) {
        match self {
            Source::Stated => ("stated with the graduate", "申报的能力"),
            Source::Programme => ("developed by a programme taken", "所修专业或课程培养的能力"),
            Source::Mastery => ("the learner's mastery of the competency", "学习者对该能力的掌握度"),
            Source::KnowledgePoints => {
                ("the learner's mastery of the knowledge points supporting it", "学习者对支撑该能力的知识点的掌握度")
            }
        }
    }

    /// Whether the evidence comes from a learner's mastery vector.
    pub fn is_mastery(self) -> bool {
        matches!(self, Source::Mastery | Source::KnowledgePoints)
    }
}

/// Largest number of narrower concepts through which a broad concept credits them.
const MAX_NARROWER: usize = 64;

/// An ability before expansion: a competency held at a strength and level.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Ability {
    /// The competency.
    pub competency: NodeId,
    /// Strength in [0, 1] (a mastery probability, or 1 for evidence taken at face value).
    pub strength: f32,
    /// Level reached, 1–8, 0 when unknown.
    pub level: u8,
    /// Where the evidence comes from.
    pub source: Source,
}

/// A cell of an expanded ability profile, with the held ability it comes from.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Held {
    /// The cell: a competency credited at a value and level.
    pub cell: Cell,
    /// How the held competency credits the cell's.
    pub via: Via,
    /// The held competency.
    pub from: NodeId,
    /// Where the evidence of the held competency comes from.
    pub source: Source,
}

/// A requirement given inline.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Requirement {
    /// The competency.
    pub competency: NodeId,
    /// Essential or optional.
    pub essential: bool,
    /// Level required, 1–8, 0 when not given.
    pub level: u8,
    /// Weight in [0, 1].
    pub weight: f32,
}

/// Where an index reads an occupation's texts beyond its labels (alternative labels,
/// definitions), which the snapshot does not hold.
pub type TextSource = std::sync::Arc<dyn Fn(&Snapshot, NodeId) -> Vec<String> + Send + Sync>;

/// An optional [`TextSource`] that can be printed.
#[derive(Clone, Default)]
struct Texts(Option<TextSource>);

impl std::fmt::Debug for Texts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() { "Texts(source)" } else { "Texts(none)" })
    }
}

/// The index of the latest snapshot, rebuilt when the version changes.
#[derive(Debug, Default)]
pub struct IndexCache {
    index: arc_swap::ArcSwapOption<MatchIndex>,
    texts: Texts,
}

impl IndexCache {
    /// A cache whose indexes read each occupation's texts beyond its labels (alternative
    /// labels, definitions) from `texts`, for [`MatchIndex::with_texts`].
    pub fn with_texts(texts: impl Fn(&Snapshot, NodeId) -> Vec<String> + Send + Sync + 'static) -> Self {
        Self { index: arc_swap::ArcSwapOption::empty(), texts: Texts(Some(std::sync::Arc::new(texts))) }
    }

    /// The index of `snapshot`, built once per snapshot version.
    pub fn get(&self, snapshot: &Snapshot) -> std::sync::Arc<MatchIndex> {
        if let Some(index) = self.index.load_full() {
            if index.version() == snapshot.version() {
                return index;
            }
        }
        let index = std::sync::Arc::new(MatchIndex::with_texts(snapshot, self.texts.0.clone()));
        self.index.store(Some(index.clone()));
        index
    }
}

/// The competency profiles of one snapshot. See the module documentation.
#[derive(Debug)]
pub struct MatchIndex {
    version: u64,
    dense: Vec<u32>,
    competencies: Vec<NodeId>,
    idf: Vec<f32>,
    neighbours: Vec<Vec<(u32, Via)>>,
    /// Occupations and posts with at least one requirement.
    holders: Vec<NodeId>,
    holder_of: HashMap<NodeId, u32>,
    requirements: Vec<Profile>,
    /// Majors, micro-majors and courses with at least one developed competency.
    programmes: Vec<NodeId>,
    programme_of: HashMap<NodeId, u32>,
    developments: Vec<Vec<Ability>>,
    expanded_programmes: Vec<Profile>,
    by_requirements: Matcher,
    by_similarity: Matcher,
    /// The holder index of each target of `by_similarity`: the occupations only.
    similar: Vec<u32>,
    similarity: Vec<Profile>,
    grading: Grading,
    /// Built on first use, from the snapshot it is asked with and `texts`: only related
    /// occupations read names, and reading the texts costs a store scan per occupation.
    names: std::sync::OnceLock<Names>,
    texts: Texts,
    /// Occupations without requirements of their own that take those of the occupations they
    /// map to, with the mapping's factor.
    inherited: HashMap<NodeId, Vec<(NodeId, f32)>>,
    /// The shared requirements of each group an inheriting occupation maps to by
    /// `skos:broadMatch` (see [`group_requirements`]), found once per snapshot version.
    group_edges: HashMap<NodeId, Vec<Edge>>,
    by_programme: Matcher,
}

impl MatchIndex {
    /// Indexes `snapshot`, occupations' names from their labels alone.
    pub fn new(snapshot: &Snapshot) -> Self {
        Self::with_texts(snapshot, None)
    }

    /// Indexes `snapshot`, occupations' names from their labels and `texts` (alternative labels
    /// and definitions, which the snapshot does not hold; see [`Names`]).
    pub fn with_texts(snapshot: &Snapshot, texts: Option<TextSource>) -> Self {
        let n = snapshot.node_count();
        let mut dense = vec![u32::MAX; n];
        let competencies: Vec<NodeId> = snapshot.nodes_of_kind(NodeKind::Competency).collect();
        for (i, &c) in competencies.iter().enumerate() {
            dense[c.index()] = i as u32;
        }
        let neighbours = neighbours(snapshot, &competencies, &dense);

        let has_own =
            |o: NodeId| snapshot.out(o, Relation::RequiresCompetency).iter().any(|e| dense[e.node.index()] != u32::MAX);
        let mut holders = Vec::new();
        for kind in [NodeKind::Occupation, NodeKind::Post] {
            holders.extend(snapshot.nodes_of_kind(kind).filter(|&o| has_own(o)));
        }
        // Holders with requirements of their own; then occupations that take theirs through a
        // mapping (exact or close; failing those, the shared requirements of a broader group
        // of another framework), which count in neither idf nor grading.
        let own = holders.len();
        let mut inherited: HashMap<NodeId, Vec<(NodeId, f32)>> = HashMap::new();
        let mut group_edges: HashMap<NodeId, Vec<Edge>> = HashMap::new();
        for o in snapshot.nodes_of_kind(NodeKind::Occupation).filter(|&o| !has_own(o)) {
            let mut sources: Vec<(NodeId, f32)> =
                [(Relation::ExactMatch, 1.0), (Relation::CloseMatch, Via::CloseMatch.factor())]
                    .into_iter()
                    .flat_map(|(relation, factor)| snapshot.out(o, relation).iter().map(move |e| (e.node, factor)))
                    .filter(|&(source, _)| snapshot.kind(source) == NodeKind::Occupation && has_own(source))
                    .collect();
            if sources.is_empty() {
                for e in snapshot.out(o, Relation::BroadMatch).iter().filter(|e| !has_own(e.node)) {
                    let shared = group_edges.entry(e.node).or_insert_with(|| group_requirements(snapshot, e.node));
                    if !shared.is_empty() {
                        sources.push((e.node, GROUP_FACTOR));
                    }
                }
            }
            if !sources.is_empty() {
                holders.push(o);
                inherited.insert(o, sources);
            }
        }
        let mut df = vec![0u32; competencies.len()];
        for &h in &holders[..own] {
            for e in snapshot.out(h, Relation::RequiresCompetency) {
                if let Some(&d) = dense.get(e.node.index()).filter(|&&d| d != u32::MAX) {
                    df[d as usize] += 1;
                }
            }
        }
        let total = holders.len() as f32;
        let idf: Vec<f32> = df.iter().map(|&d| ((1.0 + total) / (1.0 + d as f32)).ln() + 0.1).collect();

        let grading = Grading::new(snapshot, &competencies, &holders[..own], &df, &dense);
        let mut requirements = Vec::with_capacity(holders.len());
        let mut similarity = Vec::with_capacity(holders.len());
        for &h in &holders {
            let mut cells = Vec::new();
            for (e, _) in requirement_edges(snapshot, h, inherited.get(&h).map(Vec::as_slice), &group_edges) {
                let d = dense[e.node.index()];
                if d == u32::MAX {
                    continue;
                }
                cells.push(Cell {
                    comp: d,
                    value: importance(e.essential, e.weight) * idf[d as usize],
                    level: e.level,
                    essential: e.essential,
                });
            }
            let profile = Profile::new(cells);
            similarity.push(similarity_vector(&profile, &neighbours, &grading, &idf));
            requirements.push(profile.normalised());
        }
        let holder_of = holders.iter().enumerate().map(|(i, &h)| (h, i as u32)).collect();

        let mut programmes = Vec::new();
        let mut developments = Vec::new();
        for kind in [NodeKind::Major, NodeKind::MicroMajor, NodeKind::Course] {
            for p in snapshot.nodes_of_kind(kind) {
                let abilities: Vec<Ability> = snapshot
                    .out(p, Relation::Develops)
                    .iter()
                    .filter(|e| dense[e.node.index()] != u32::MAX)
                    .map(|e| Ability {
                        competency: e.node,
                        strength: e.weight,
                        level: e.level,
                        source: Source::Programme,
                    })
                    .collect();
                if !abilities.is_empty() {
                    programmes.push(p);
                    developments.push(abilities);
                }
            }
        }
        let programme_of = programmes.iter().enumerate().map(|(i, &p)| (p, i as u32)).collect();

        let mut index = Self {
            version: snapshot.version(),
            dense,
            competencies,
            idf,
            neighbours,
            holders,
            holder_of,
            requirements,
            programmes,
            programme_of,
            developments,
            expanded_programmes: Vec::new(),
            by_requirements: Matcher::new(Rule::Dot, 0, &[]),
            by_similarity: Matcher::new(Rule::Dot, 0, &[]),
            similar: Vec::new(),
            similarity,
            grading,
            names: std::sync::OnceLock::new(),
            texts: Texts(texts),
            inherited,
            group_edges,
            by_programme: Matcher::new(Rule::Dot, 0, &[]),
        };
        let c = index.competencies.len();
        index.expanded_programmes = index.developments.iter().map(|a| index.expand(a)).collect();
        index.by_requirements = Matcher::new(Rule::Requirements { penalty: ESSENTIAL_PENALTY }, c, &index.requirements);
        // Only occupations are related occupations: posts, which may be many more, stay out.
        index.similar = (0..index.holders.len() as u32)
            .filter(|&i| snapshot.kind(index.holders[i as usize]) == NodeKind::Occupation)
            .collect();
        let occupations: Vec<Profile> = index.similar.iter().map(|&i| index.similarity[i as usize].clone()).collect();
        index.by_similarity = Matcher::new(Rule::Dot, c, &occupations);
        index.by_programme =
            Matcher::new(Rule::Abilities { penalty: ESSENTIAL_PENALTY }, c, &index.expanded_programmes);
        index
    }

    /// The snapshot version indexed.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Number of competencies.
    pub fn competency_count(&self) -> usize {
        self.competencies.len()
    }

    /// The dense index of a competency node.
    pub fn dense(&self, node: NodeId) -> Option<u32> {
        self.dense.get(node.index()).copied().filter(|&d| d != u32::MAX)
    }

    /// The node of a dense competency index.
    pub fn competency(&self, dense: u32) -> NodeId {
        self.competencies[dense as usize]
    }

    /// The idf of a dense competency.
    pub fn idf(&self, dense: u32) -> f32 {
        self.idf[dense as usize]
    }

    /// Occupations and posts that require at least one competency.
    pub fn holders(&self) -> &[NodeId] {
        &self.holders
    }

    /// Majors, micro-majors and courses that develop at least one competency.
    pub fn programmes(&self) -> &[NodeId] {
        &self.programmes
    }

    /// The requirement profile of an occupation or post (importances summing to 1).
    pub fn requirements(&self, holder: NodeId) -> Option<&Profile> {
        self.holder_of.get(&holder).map(|&i| &self.requirements[i as usize])
    }

    /// The abilities a programme develops.
    pub fn developments(&self, programme: NodeId) -> Option<&[Ability]> {
        self.programme_of.get(&programme).map(|&i| self.developments[i as usize].as_slice())
    }

    /// The neighbours of a dense competency, with how they credit it.
    pub fn neighbours(&self, dense: u32) -> &[(u32, Via)] {
        &self.neighbours[dense as usize]
    }

    /// Abilities as a query vector: each held competency at `strength`, and each neighbour at
    /// `strength × factor` (the best source wins). O(Σ neighbours).
    pub fn expand(&self, abilities: &[Ability]) -> Profile {
        Profile::new(self.sources(abilities).into_values().map(|held| held.cell).collect())
    }

    /// Like [`MatchIndex::expand`], with the held ability behind each cell.
    pub fn sources(&self, abilities: &[Ability]) -> HashMap<u32, Held> {
        let mut cells: HashMap<u32, Held> = HashMap::new();
        let mut put = |comp: u32, value: f32, level: u8, via: Via, a: &Ability| {
            let held =
                Held { cell: Cell { comp, value, level, essential: false }, via, from: a.competency, source: a.source };
            let entry = cells.entry(comp).or_insert(Held { cell: Cell { value: 0.0, level: 0, ..held.cell }, ..held });
            if value > entry.cell.value {
                *entry = held;
            }
        };
        for a in abilities {
            let Some(d) = self.dense(a.competency) else { continue };
            let strength = a.strength.clamp(0.0, 1.0);
            put(d, strength, a.level, Via::Direct, a);
            for &(other, via) in &self.neighbours[d as usize] {
                put(other, strength * via.factor(), a.level, via, a);
            }
        }
        cells
    }

    /// A requirement profile for requirements given inline (a post not in the graph), weighted
    /// as the holders' profiles are.
    pub fn requirement_profile(&self, requirements: &[Requirement]) -> Profile {
        let cells = requirements
            .iter()
            .filter_map(|r| {
                let d = self.dense(r.competency)?;
                Some(Cell {
                    comp: d,
                    value: importance(r.essential, r.weight) * self.idf[d as usize],
                    level: r.level,
                    essential: r.essential,
                })
            })
            .collect();
        Profile::new(cells).normalised()
    }

    /// The matcher of abilities against every holder's requirements (graduate → posts).
    pub fn by_requirements(&self) -> &Matcher {
        &self.by_requirements
    }

    /// The matcher of requirements against every programme's abilities (occupation → majors).
    pub fn by_programme(&self) -> &Matcher {
        &self.by_programme
    }

    /// The matcher of occupation similarity (occupation → related occupations), over the
    /// occupations' similarity vectors: its targets are [`MatchIndex::similar_occupation`]s.
    pub fn by_similarity(&self) -> &Matcher {
        &self.by_similarity
    }

    /// The occupation at a matcher index of [`MatchIndex::by_similarity`].
    pub fn similar_occupation(&self, index: u32) -> NodeId {
        self.holders[self.similar[index as usize] as usize]
    }

    /// A holder's unit similarity vector.
    pub fn similarity_vector(&self, holder: NodeId) -> Option<&Profile> {
        self.holder_of.get(&holder).map(|&i| &self.similarity[i as usize])
    }

    /// The occupations whose requirements `holder` takes, with the factor on their weights
    /// ([`Via::ExactMatch`] 1, [`Via::CloseMatch`] 0.8); failing those, the groups it maps to by
    /// `skos:broadMatch` whose member occupations share requirements, at [`GROUP_FACTOR`] of
    /// the shared ones; empty for a holder with requirements of its own.
    pub fn inherited_from(&self, holder: NodeId) -> &[(NodeId, f32)] {
        self.inherited.get(&holder).map_or(&[], Vec::as_slice)
    }

    /// The requirements of `holder` as matching reads them, each with the occupation it is
    /// taken from when the holder inherits them (see [`MatchIndex::inherited_from`]).
    pub fn requirement_edges(&self, snapshot: &Snapshot, holder: NodeId) -> Vec<(Edge, Option<NodeId>)> {
        requirement_edges(snapshot, holder, self.inherited.get(&holder).map(Vec::as_slice), &self.group_edges)
    }

    /// The cosine of two holders' names (tf-idf of the words of their labels and texts, see
    /// [`Names`]) and the words they share, most telling first; 0 and none when either has no
    /// requirements. The first call builds the names of every holder from `snapshot`, the one
    /// indexed.
    pub fn name_similarity(&self, snapshot: &Snapshot, a: NodeId, b: NodeId) -> (f32, Vec<&str>) {
        let names = self.names.get_or_init(|| {
            let texts = |node: NodeId| self.texts.0.as_ref().map_or_else(Vec::new, |texts| texts(snapshot, node));
            Names::new(snapshot, &self.holders, &texts)
        });
        match (self.holder_of.get(&a), self.holder_of.get(&b)) {
            (Some(&a), Some(&b)) => names.similarity(a, b),
            _ => (0.0, Vec::new()),
        }
    }

    /// Whether a dense competency is graded: so many holders require it that its weight, not
    /// its presence, tells them apart (see [`GRADED_SHARE`]).
    pub fn is_graded(&self, dense: u32) -> bool {
        self.grading.graded.get(dense as usize).copied().unwrap_or(false)
    }

    /// The holder at a matcher index of [`MatchIndex::by_requirements`].
    pub fn holder(&self, index: u32) -> NodeId {
        self.holders[index as usize]
    }

    /// The programme at a matcher index of [`MatchIndex::by_programme`].
    pub fn programme(&self, index: u32) -> NodeId {
        self.programmes[index as usize]
    }

    /// The expanded ability vector of a programme.
    pub fn programme_profile(&self, programme: NodeId) -> Option<&Profile> {
        self.programme_of.get(&programme).map(|&i| &self.expanded_programmes[i as usize])
    }
}

/// Share of the similarity of two occupations carried by their graded requirements, when both
/// have some; the specific requirements carry the rest.
///
/// A competency is *graded* when at least half of the holders that require anything of its
/// framework require it, there are at least [`GRADED_MIN_HOLDERS`] of them, and its framework
/// has at least [`GRADED_MIN_COMPETENCIES`] such competencies. O*NET rates the same 35 skills
/// and 33 knowledge areas for every occupation, so their presence says nothing and their weight
/// says much. ESCO has no such competency (its most required skill is asked for by a fraction
/// of occupations). Weighed against O*NET's own list of related occupations
/// (`benches/examples/related_eval.rs`), an even split beat either part alone and every split
/// from 0.3 to 0.7 came within 0.01.
pub const GRADED_SHARE: f32 = 0.5;
/// Fewest holders requiring a framework's competencies for any of them to be graded: below
/// that a mean weight means little.
pub const GRADED_MIN_HOLDERS: usize = 50;
/// Fewest graded competencies in a framework for them to be graded: the correlation of a
/// handful of weights means little, and of one weight nothing.
pub const GRADED_MIN_COMPETENCIES: usize = 10;

/// The graded competencies of a snapshot and their mean weights.
#[derive(Debug, Default)]
struct Grading {
    /// By dense competency.
    graded: Vec<bool>,
    /// By dense competency: its framework's number in `lists`.
    framework: Vec<u32>,
    /// By dense competency: the mean weight over the holders that require at least one graded
    /// competency of its framework, 0 where absent; 0 for a competency not graded.
    mean: Vec<f32>,
    /// By framework number: its graded competencies, in dense order.
    lists: Vec<Vec<u32>>,
}

impl Grading {
    fn new(snapshot: &Snapshot, competencies: &[NodeId], holders: &[NodeId], df: &[u32], dense: &[u32]) -> Self {
        let mut numbers: HashMap<Option<&str>, u32> = HashMap::new();
        let framework: Vec<u32> = competencies
            .iter()
            .map(|&c| {
                let next = numbers.len() as u32;
                *numbers.entry(snapshot.framework(c)).or_insert(next)
            })
            .collect();
        let frameworks = numbers.len();
        let dense_of = |n: NodeId| dense.get(n.index()).copied().filter(|&d| d != u32::MAX);
        // The frameworks of a holder's requirements, graded ones only or all.
        let frameworks_of = |h: NodeId, graded: Option<&[bool]>, out: &mut Vec<u32>| {
            out.clear();
            out.extend(
                snapshot
                    .out(h, Relation::RequiresCompetency)
                    .iter()
                    .filter_map(|e| dense_of(e.node))
                    .filter(|&d| graded.is_none_or(|g| g[d as usize]))
                    .map(|d| framework[d as usize]),
            );
            out.sort_unstable();
            out.dedup();
        };
        let mut seen = Vec::new();
        let mut holders_of = vec![0usize; frameworks];
        for &h in holders {
            frameworks_of(h, None, &mut seen);
            for &f in &seen {
                holders_of[f as usize] += 1;
            }
        }
        let mut graded: Vec<bool> = (0..df.len())
            .map(|c| {
                let of = holders_of[framework[c] as usize];
                of >= GRADED_MIN_HOLDERS && 2 * df[c] as usize >= of
            })
            .collect();
        let mut lists = vec![Vec::new(); frameworks];
        for c in (0..df.len() as u32).filter(|&c| graded[c as usize]) {
            lists[framework[c as usize] as usize].push(c);
        }
        for list in lists.iter_mut().filter(|l| l.len() < GRADED_MIN_COMPETENCIES) {
            for &c in list.iter() {
                graded[c as usize] = false;
            }
            list.clear();
        }
        let mut mean = vec![0.0f32; df.len()];
        let mut with_grades = vec![0usize; frameworks];
        for &h in holders {
            for e in snapshot.out(h, Relation::RequiresCompetency) {
                if let Some(d) = dense_of(e.node).filter(|&d| graded[d as usize]) {
                    mean[d as usize] += e.weight;
                }
            }
            frameworks_of(h, Some(&graded), &mut seen);
            for &f in &seen {
                with_grades[f as usize] += 1;
            }
        }
        for (c, m) in mean.iter_mut().enumerate() {
            *m /= with_grades[framework[c] as usize].max(1) as f32;
        }
        Self { graded, framework, mean, lists }
    }
}

/// The requirement edges of a holder, each with the occupation it is taken from: its own
/// (none), or, for an occupation that inherits through `sources` (mapped occupations or groups,
/// and their factors), theirs, a group's from `group_edges`, with their weights times the factor
/// (where two give the same competency, the profile keeps the larger).
fn requirement_edges(
    snapshot: &Snapshot,
    holder: NodeId,
    sources: Option<&[(NodeId, f32)]>,
    group_edges: &HashMap<NodeId, Vec<Edge>>,
) -> Vec<(Edge, Option<NodeId>)> {
    match sources {
        None => snapshot.out(holder, Relation::RequiresCompetency).iter().map(|e| (*e, None)).collect(),
        Some(sources) => sources
            .iter()
            .flat_map(|&(source, factor)| {
                let own = snapshot.out(source, Relation::RequiresCompetency);
                let edges = if own.is_empty() { group_edges.get(&source).map_or(&[][..], Vec::as_slice) } else { own };
                edges.iter().map(move |e| (Edge { weight: e.weight * factor, ..*e }, Some(source)))
            })
            .collect(),
    }
}

/// The requirements that at least half of the occupations directly below `group`
/// (`skos:broader`) with requirements share: each at its mean weight over those that require
/// it, essential when at least half of those hold it essential, at the highest level any asks.
/// Empty when no occupation below it has requirements.
fn group_requirements(snapshot: &Snapshot, group: NodeId) -> Vec<Edge> {
    let members: Vec<NodeId> = snapshot
        .inc(group, Relation::Broader)
        .iter()
        .map(|e| e.node)
        .filter(|&m| {
            snapshot.kind(m) == NodeKind::Occupation && !snapshot.out(m, Relation::RequiresCompetency).is_empty()
        })
        .collect();
    // Per competency: how many require it, their summed weight, how many hold it essential,
    // the highest level.
    let mut shared: std::collections::BTreeMap<NodeId, (usize, f32, usize, u8)> = std::collections::BTreeMap::new();
    for &m in &members {
        for e in snapshot.out(m, Relation::RequiresCompetency) {
            let slot = shared.entry(e.node).or_default();
            slot.0 += 1;
            slot.1 += e.weight;
            slot.2 += usize::from(e.essential);
            slot.3 = slot.3.max(e.level);
        }
    }
    shared
        .into_iter()
        .filter(|&(_, (count, ..))| 2 * count >= members.len())
        .map(|(node, (count, weight, essential, level))| Edge {
            node,
            weight: weight / count as f32,
            level,
            essential: 2 * essential >= count,
        })
        .collect()
}

/// A requirement's importance before idf.
fn importance(essential: bool, weight: f32) -> f32 {
    if essential { weight } else { OPTIONAL_FACTOR * weight }
}

/// A holder's vector for occupation similarity, in two parts of unit length each:
///
/// - its **specific** requirements, idf-weighted, plus, at a quarter of their weight, the
///   broader concepts of each (so two occupations asking for different skills of one group are
///   a little alike);
/// - when it requires a graded competency, its **graded** requirements: each graded
///   competency of the same framework, its weight less its mean over the holders, 0 where
///   not required. The weight is
///   the grade: essential or optional is not counted again (O*NET's essential is a threshold
///   on the same rating, and counting it made the list of related occupations worse). The dot
///   product of two such parts is the correlation of their grades: two occupations are alike
///   when they ask for more of the same things than most do.
///
/// With both parts, they are scaled by √[`GRADED_SHARE`] and √(1 − [`GRADED_SHARE`]), so that
/// the dot product of two vectors weighs the two cosines by the share.
fn similarity_vector(profile: &Profile, neighbours: &[Vec<(u32, Via)>], grading: &Grading, idf: &[f32]) -> Profile {
    let mut specific: HashMap<u32, f32> = HashMap::new();
    let mut graded: HashMap<u32, f32> = HashMap::new();
    for c in profile.cells() {
        if grading.graded[c.comp as usize] {
            let weight = c.value / idf[c.comp as usize] / importance(c.essential, 1.0);
            graded.insert(c.comp, weight);
            continue;
        }
        *specific.entry(c.comp).or_default() += c.value;
        for &(other, via) in &neighbours[c.comp as usize] {
            if (via == Via::Narrower || via == Via::ExactMatch) && !grading.graded[other as usize] {
                *specific.entry(other).or_default() += 0.25 * c.value;
            }
        }
    }
    let cells = |values: HashMap<u32, f32>, scale: f32| -> Vec<Cell> {
        let part = Profile::new(
            values.into_iter().map(|(comp, value)| Cell { comp, value, level: 0, essential: false }).collect(),
        )
        .unit();
        part.cells().iter().map(|c| Cell { value: c.value * scale, ..*c }).collect()
    };
    if graded.is_empty() {
        return Profile::new(cells(specific, 1.0));
    }
    let mut frameworks: Vec<u32> = graded.keys().map(|&c| grading.framework[c as usize]).collect();
    frameworks.sort_unstable();
    frameworks.dedup();
    let graded: HashMap<u32, f32> = frameworks
        .iter()
        .flat_map(|&f| &grading.lists[f as usize])
        .map(|&c| (c, graded.get(&c).copied().unwrap_or(0.0) - grading.mean[c as usize]))
        .collect();
    if specific.is_empty() {
        return Profile::new(cells(graded, 1.0));
    }
    let mut all = cells(specific, (1.0 - GRADED_SHARE).sqrt());
    all.extend(cells(graded, GRADED_SHARE.sqrt()));
    Profile::new(all)
}

fn neighbours(s: &Snapshot, competencies: &[NodeId], dense: &[u32]) -> Vec<Vec<(u32, Via)>> {
    let d = |n: NodeId| dense.get(n.index()).copied().filter(|&x| x != u32::MAX);
    let mut out: Vec<Vec<(u32, Via)>> = vec![Vec::new(); competencies.len()];
    for (i, &c) in competencies.iter().enumerate() {
        let mut list = Vec::new();
        for (relation, via) in [
            (Relation::ExactMatch, Via::ExactMatch),
            (Relation::CloseMatch, Via::CloseMatch),
            (Relation::RelatedTo, Via::Related),
        ] {
            list.extend(s.out(c, relation).iter().filter_map(|e| d(e.node)).map(|o| (o, via)));
        }
        // Holding c credits its broader concept (c is narrower than what is required).
        list.extend(s.out(c, Relation::Broader).iter().filter_map(|e| d(e.node)).map(|o| (o, Via::Narrower)));
        let narrower = s.inc(c, Relation::Broader);
        if narrower.len() <= MAX_NARROWER {
            list.extend(narrower.iter().filter_map(|e| d(e.node)).map(|o| (o, Via::Broader)));
        }
        for kp in s.inc(c, Relation::Supports) {
            list.extend(
                s.out(kp.node, Relation::Supports)
                    .iter()
                    .filter_map(|e| d(e.node))
                    .map(|o| (o, Via::SharedKnowledgePoint)),
            );
        }
        // The strongest relation to each other competency.
        list.retain(|&(o, _)| o != i as u32);
        list.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.factor().total_cmp(&a.1.factor())));
        list.dedup_by_key(|x| x.0);
        out[i] = list;
    }
    out
}
