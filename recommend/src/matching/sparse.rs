//! Sparse competency vectors and the top-k matcher over them.
//!
//! A [`Profile`] is a sparse vector over dense competency indices: each [`Cell`] says how
//! strongly (`value`), at which level and, for a requirement, whether it is essential. A
//! [`Matcher`] holds the target profiles (posts, occupations, graduates) as an inverted index
//! (competency → targets that mention it) and scores one query against all targets by walking
//! only the postings of the query's competencies:
//!
//! ```text
//!   query  q = {c1: .9, c4: .5}          postings   c1 → [(p0, .4), (p2, .3)]
//!                                                  c4 → [(p2, .7)]
//!   acc[p0] += .9·.4     acc[p2] += .9·.3 + .5·.7      (p1 is never touched)
//! ```
//!
//! The score matrix is never materialised: a batch keeps one accumulator of length
//! `targets` per worker thread (rayon) and hands each query's top k to a callback as soon as it
//! is known. Cost per query: O(Σ df(c) over the query's competencies + T) for T targets; memory
//! O(nnz + T · threads). A batch takes the most frequent competencies from dense matrices
//! instead of their postings (see `DenseHead`).

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use rayon::prelude::*;

/// One entry of a sparse competency vector.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Cell {
    /// Dense competency index.
    pub comp: u32,
    /// Strength: a requirement's normalised importance, or an ability in [0, 1].
    pub value: f32,
    /// Proficiency level 1–8, 0 when not given.
    pub level: u8,
    /// For requirements: essential (true) or optional.
    pub essential: bool,
}

/// A sparse vector, cells sorted by competency, one cell per competency.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Profile {
    cells: Vec<Cell>,
}

impl Profile {
    /// A profile from cells in any order; of two cells on one competency the stronger is kept.
    pub fn new(mut cells: Vec<Cell>) -> Self {
        cells.sort_by(|a, b| a.comp.cmp(&b.comp).then(b.value.total_cmp(&a.value)));
        cells.dedup_by_key(|c| c.comp);
        Self { cells }
    }

    /// The cells, sorted by competency.
    pub fn cells(&self) -> &[Cell] {
        &self.cells
    }

    /// The cell of `comp`, if any. O(log n).
    pub fn get(&self, comp: u32) -> Option<&Cell> {
        self.cells.binary_search_by_key(&comp, |c| c.comp).ok().map(|i| &self.cells[i])
    }

    /// Number of essential cells.
    pub fn essentials(&self) -> usize {
        self.cells.iter().filter(|c| c.essential).count()
    }

    /// The same profile scaled to unit Euclidean length (unchanged when all zero).
    pub fn unit(mut self) -> Self {
        let norm = self.cells.iter().map(|c| c.value * c.value).sum::<f32>().sqrt();
        if norm > 0.0 {
            for c in &mut self.cells {
                c.value /= norm;
            }
        }
        self
    }

    /// The same profile with values scaled to sum to 1 (unchanged when all zero).
    pub fn normalised(mut self) -> Self {
        let total: f32 = self.cells.iter().map(|c| c.value).sum();
        if total > 0.0 {
            for c in &mut self.cells {
                c.value /= total;
            }
        }
        self
    }
}

/// How a query cell and a target cell combine.
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum Rule {
    /// Dot product of the two values (cosine when both profiles are unit vectors).
    Dot,
    /// Query = abilities, target = requirements with values summing to 1: each requirement
    /// contributes `value × ability × min(1, level reached / level required)`, and the sum is
    /// multiplied by `1 − penalty × (missing essentials / essentials)`, where an essential
    /// requirement is missing when its credit is zero.
    Requirements {
        /// Share of the score lost when every essential requirement is missing.
        penalty: f32,
    },
    /// Query = requirements with values summing to 1, target = abilities: the same score as
    /// [`Rule::Requirements`] seen from the other side (post → graduates).
    Abilities {
        /// As in [`Rule::Requirements`].
        penalty: f32,
    },
}

/// Credit of an ability cell for a requirement cell, in [0, 1]: the ability times the share of
/// the required level reached (1 when either level is unknown).
#[inline]
pub fn credit(ability: &Cell, requirement: &Cell) -> f32 {
    let level = if requirement.level == 0 || ability.level == 0 || ability.level >= requirement.level {
        1.0
    } else {
        f32::from(ability.level) / f32::from(requirement.level)
    };
    ability.value.min(1.0) * level
}

impl Rule {
    #[inline]
    fn term(self, query: &Cell, target: &Cell) -> (f32, bool) {
        match self {
            Rule::Dot => (query.value * target.value, false),
            Rule::Requirements { .. } => {
                let c = credit(query, target);
                (target.value * c, target.essential && c > 0.0)
            }
            Rule::Abilities { .. } => {
                let c = credit(target, query);
                (query.value * c, query.essential && c > 0.0)
            }
        }
    }

    /// Whether [`Rule::finish`] multiplies the sum by a factor in [0, 1], so that a score is
    /// positive only where its sum is and never exceeds it: true for a penalty in [0, 1].
    fn bounded(self) -> bool {
        match self {
            Rule::Dot => true,
            Rule::Requirements { penalty } | Rule::Abilities { penalty } => (0.0..=1.0).contains(&penalty),
        }
    }

    #[inline]
    fn finish(self, sum: f32, met: u32, essentials: u32) -> f32 {
        match self {
            Rule::Dot => sum,
            Rule::Requirements { penalty } | Rule::Abilities { penalty } => {
                if essentials == 0 {
                    sum
                } else {
                    let missing = (essentials - met.min(essentials)) as f32 / essentials as f32;
                    sum * (1.0 - penalty * missing)
                }
            }
        }
    }
}

/// A scored target.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Scored {
    /// Index of the target.
    pub target: u32,
    /// Its score.
    pub score: f32,
}

impl Eq for Scored {}

impl Ord for Scored {
    /// Better first: higher score, then lower index.
    fn cmp(&self, other: &Self) -> Ordering {
        other.score.total_cmp(&self.score).then(self.target.cmp(&other.target))
    }
}

impl PartialOrd for Scored {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Keeps `s` among the best `k` of `heap` (a max-heap on [`Scored`]'s order, so its top is
/// the worst kept).
fn keep(heap: &mut BinaryHeap<Scored>, s: Scored, k: usize) {
    if heap.len() < k {
        heap.push(s);
    } else if heap.peek().is_some_and(|worst| s < *worst) {
        heap.pop();
        heap.push(s);
    }
}

/// The best `k` positive scores offered, kept in a heap, with the score a newcomer must reach.
struct TopK {
    heap: BinaryHeap<Scored>,
    floor: f32,
    k: usize,
}

impl TopK {
    fn new(k: usize) -> Self {
        Self { heap: BinaryHeap::with_capacity(k + 1), floor: 0.0, k }
    }

    /// Keeps `score` for `target` if it is positive and among the best `k` so far.
    fn offer(&mut self, target: u32, score: f32) {
        if score > 0.0 && score >= self.floor {
            keep(&mut self.heap, Scored { target, score }, self.k);
            if self.heap.len() == self.k {
                self.floor = self.heap.peek().map_or(0.0, |worst| worst.score);
            }
        }
    }

    /// Offers a dense run of scores, of targets `first`, `first + 1`, …
    ///
    /// First the largest score of each chunk of [`SCAN_CHUNK`] (a vectorised maximum); the
    /// `k`-th largest of those is a floor for the `k`-th best score (`k` chunks each hold a
    /// score at least that high), so only the chunks that reach it, about `k` of them, are
    /// looked at score by score.
    fn offer_all(&mut self, scores: &[f32], first: usize) {
        if self.k == 0 {
            return;
        }
        let maxima: Vec<f32> = scores.chunks(SCAN_CHUNK).map(chunk_max).collect();
        let floor = if maxima.len() > self.k {
            let mut order = maxima.clone();
            let (_, kth, _) = order.select_nth_unstable_by(self.k - 1, |a, b| b.total_cmp(a));
            *kth
        } else {
            0.0
        };
        for (c, chunk) in scores.chunks(SCAN_CHUNK).enumerate() {
            let max = maxima[c];
            if !(max > 0.0 && max >= floor.max(self.floor)) {
                continue;
            }
            for (j, &score) in chunk.iter().enumerate() {
                self.offer((first + c * SCAN_CHUNK + j) as u32, score);
            }
        }
    }

    /// Best first.
    fn into_sorted(self) -> Vec<Scored> {
        let mut out = self.heap.into_vec();
        out.sort();
        out
    }
}

/// Scores a scan of [`best_k`] looks at together.
const SCAN_CHUNK: usize = 64;

/// The largest of `scores` (at least 0), eight lanes at a time so that it vectorises.
fn chunk_max(scores: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    let mut eights = scores.chunks_exact(8);
    for eight in &mut eights {
        for (lane, &s) in lanes.iter_mut().zip(eight) {
            *lane = if s > *lane { s } else { *lane };
        }
    }
    let rest = eights.remainder().iter().copied();
    lanes.into_iter().chain(rest).fold(0.0, |m, s| if s > m { s } else { m })
}

/// Calls `f(position, score)` for each positive score of `scores` at or above `floor`, in
/// order. Eight scores are tested at once (a comparison that vectorises, with no branch per
/// score), so that a scan where few reach the floor costs little more than reading it.
fn for_each_reaching(scores: &[f32], floor: f32, mut f: impl FnMut(usize, f32)) {
    let reaches = |s: f32| s > 0.0 && s >= floor;
    let mut eights = scores.chunks_exact(8);
    for (e, eight) in (&mut eights).enumerate() {
        let Ok(eight) = <&[f32; 8]>::try_from(eight) else { unreachable!("chunks of 8") };
        if eight.iter().fold(false, |any, &s| any | reaches(s)) {
            for (j, &s) in eight.iter().enumerate() {
                if reaches(s) {
                    f(e * 8 + j, s);
                }
            }
        }
    }
    let done = scores.len() - eights.remainder().len();
    for (j, &s) in eights.remainder().iter().enumerate() {
        if reaches(s) {
            f(done + j, s);
        }
    }
}

/// `b` rows of `w` sums at the start of rows of [`HEAD_TILE`] in `buffer`.
fn tile_rows(buffer: &mut [f32], b: usize, w: usize) -> ndarray::ArrayViewMut2<'_, f32> {
    let shape = ndarray::ShapeBuilder::strides((b, w), (HEAD_TILE, 1));
    ndarray::ArrayViewMut2::from_shape(shape, &mut buffer[..b * HEAD_TILE]).expect("b rows of HEAD_TILE")
}

/// The best `k` positive scores of a dense score vector (target = position), best first.
fn best_k(scores: &[f32], k: usize) -> Vec<Scored> {
    let mut top = TopK::new(k);
    top.offer_all(scores, 0);
    top.into_sorted()
}

/// Targets as an inverted index. See the module documentation.
#[derive(Clone, Debug)]
pub struct Matcher {
    rule: Rule,
    targets: usize,
    offsets: Vec<u32>,
    posting_target: Vec<u32>,
    posting_cell: Vec<Cell>,
    /// `posting_cell[i].value`, packed for the dot-product loop.
    posting_value: Vec<f32>,
    essentials: Vec<u32>,
    /// `posting_cell[i].essential` as 0 or 1, packed for the requirements loop.
    posting_essential: Vec<u8>,
    /// Per competency: whether any of its postings gives a level.
    levelled: Vec<bool>,
    /// When scores are found sums first (see [`Matcher::sums_first`]): per target, its
    /// essential competencies, at `essential_comps[essential_offsets[t]..essential_offsets[t + 1]]`
    /// (see [`Matcher::met`]), two bytes each so that a target's usually fit one cache line;
    /// empty otherwise.
    essential_offsets: Vec<u32>,
    essential_comps: Vec<u16>,
    /// The most frequent competencies as dense matrices for batches (see [`DenseHead`]), when
    /// they pay.
    head: Option<DenseHead>,
}

/// The competencies that most targets mention, as dense matrices, for batches under
/// [`Rule::Dot`] and [`Rule::Requirements`]: a block of queries gets the head's part of all its
/// scores from matrix products (ndarray's `general_mat_mul`, vectorised for the CPU it runs
/// on), and walks postings for its other competencies only. With skewed competency
/// frequencies a few dozen competencies carry most postings, and one multiply-add in a matrix
/// product costs a small fraction of one scattered add.
///
/// Under the requirements rule the head holds only competencies for which no target gives a
/// level, so that a query cell's credit is the same for every target: the sum is the product
/// of the queries' credits with the targets' values. The essentials met are counted for the
/// few targets whose sums can still reach the top k (see [`Matcher::offer_counted`]).
///
/// Sums are the same terms in another order (and fused multiply-adds), so scores may differ
/// from [`Matcher::score_pair`] in the last bits.
#[derive(Clone, Debug)]
struct DenseHead {
    /// Per competency: its row in the matrices, or `u32::MAX` when not in the head.
    row: Vec<u32>,
    /// Head competencies.
    rows: usize,
    /// `rows × targets`, row-major: target `t`'s value on the head competency of row `h` at
    /// `h · targets + t` (0 where the target does not mention it).
    values: Vec<f32>,
    /// Tiles of [`HEAD_TILE`] targets.
    tiles: usize,
    /// Per competency `c` and tile `j`: where `c`'s postings in tile `j` start, at
    /// `c · (tiles + 1) + j` (postings are sorted by target; the last entry is the end).
    tile_starts: Vec<u32>,
    /// Per posting: its target's position within its tile.
    local: Vec<u16>,
}

/// Cost of one scattered posting add, in multiply-adds of a matrix product (from profiles of
/// `tupu match` on 10^4 posts: about 1.7 ns against 0.04 ns; the head found is flat around
/// the optimum, 50 and 90 gave the same time).
const SCATTER_PER_MAC: f64 = 50.0;

/// Fewest targets, and queries in a block, for which [`DenseHead`] is used.
const HEAD_MIN_TARGETS: usize = 1_024;
const HEAD_MIN_QUERIES: usize = 8;

/// Targets per tile of [`Matcher::top_k_head`] (a power of two): a block's sums over a tile
/// ([`BLOCK`] queries × 16 KiB) stay in the second-level cache while the
/// postings of the queries' other competencies are added into them. On the peers' 10^4 posts,
/// 4,096 targets in blocks of 32 queries were about 5% faster than 2,048 in blocks of 64 or
/// 8,192 in blocks of 16 (fewer, longer runs of postings per tile).
const HEAD_TILE: usize = 4_096;

/// Most head competencies, and most memory for the head's matrices.
const HEAD_MAX_ROWS: usize = 256;
const HEAD_MAX_BYTES: usize = 256 << 20;

impl DenseHead {
    /// The head that minimises the expected cost per query, if any: a competency in the head
    /// costs `targets` multiply-adds per matrix for every query; out of it, it costs its
    /// postings for the queries that mention it, assumed as frequent among queries as among
    /// targets. Only [`Rule::Dot`], and [`Rule::Requirements`] when its scores are found sums
    /// first (`sums_first`, see [`Matcher::sums_first`]), have one.
    fn choose(
        rule: Rule,
        sums_first: bool,
        offsets: &[u32],
        targets: &[Profile],
        postings: &[u32],
        cells: &[Cell],
    ) -> Option<Self> {
        let requirements = match rule {
            Rule::Dot => false,
            Rule::Requirements { .. } if sums_first => true,
            Rule::Requirements { .. } | Rule::Abilities { .. } => return None,
        };
        let t = targets.len();
        if t < HEAD_MIN_TARGETS {
            return None;
        }
        let comps = offsets.len() - 1;
        let range = |c: usize| offsets[c] as usize..offsets[c + 1] as usize;
        let df = |c: usize| range(c).len() as f64;
        // Under the requirements rule a competency with a level somewhere stays out.
        let eligible = |c: usize| !requirements || cells[range(c)].iter().all(|cell| cell.level == 0);
        let mut by_df: Vec<usize> = (0..comps).filter(|&c| df(c) > 0.0 && eligible(c)).collect();
        by_df.sort_by(|&a, &b| df(b).total_cmp(&df(a)).then(a.cmp(&b)));
        let max_rows = HEAD_MAX_ROWS.min(HEAD_MAX_BYTES / (4 * t)).min(by_df.len());
        let nnz: f64 = targets.iter().map(|p| p.cells().len() as f64).sum::<f64>() / t as f64;
        // Expected postings a query walks on competency c: P(query has c) · df(c).
        let total_df = postings.len() as f64;
        let walked = |c: usize| nnz * df(c) / total_df * df(c);
        let mut rows = 0;
        while rows < max_rows && walked(by_df[rows]) * SCATTER_PER_MAC > t as f64 {
            rows += 1;
        }
        if rows == 0 {
            return None;
        }
        let mut row = vec![u32::MAX; comps];
        let mut values = vec![0.0f32; rows * t];
        for (h, &c) in by_df[..rows].iter().enumerate() {
            row[c] = h as u32;
            for (&target, cell) in postings[range(c)].iter().zip(&cells[range(c)]) {
                values[h * t + target as usize] = cell.value;
            }
        }
        let tiles = t.div_ceil(HEAD_TILE);
        let mut tile_starts = Vec::with_capacity(comps * (tiles + 1));
        for c in 0..comps {
            let targets = &postings[range(c)];
            for j in 0..tiles {
                tile_starts.push(offsets[c] + targets.partition_point(|&i| (i as usize) < j * HEAD_TILE) as u32);
            }
            tile_starts.push(offsets[c + 1]);
        }
        let local = postings.iter().map(|&i| (i as usize % HEAD_TILE) as u16).collect();
        Some(Self { row, rows, values, tiles, tile_starts, local })
    }

    /// The postings of `comp` in tile `j`.
    fn tile(&self, comp: u32, j: usize) -> std::ops::Range<usize> {
        let at = comp as usize * (self.tiles + 1) + j;
        self.tile_starts[at] as usize..self.tile_starts[at + 1] as usize
    }

    /// The head row of `comp`, if it is in the head.
    fn row(&self, comp: u32) -> Option<usize> {
        self.row.get(comp as usize).filter(|&&r| r != u32::MAX).map(|&r| r as usize)
    }
}

/// Targets per tile of [`Matcher::top_k_full`]: a tile's accumulators (128 KiB) stay in the
/// second-level cache while the postings of a block of queries are added into them.
const TILE: usize = 16_384;

/// Queries scored together, tile by tile, by [`Matcher::top_k_batch`].
const BLOCK: usize = 32;

/// Per-thread working memory of a [`Matcher`].
#[derive(Clone, Debug, Default)]
pub struct Scratch {
    acc: Vec<f32>,
    met: Vec<u32>,
    touched: Vec<u32>,
    /// One byte per competency: 1 for the query's competencies with a positive value (see
    /// [`Matcher::met`]); all 0 between queries.
    held: Vec<u8>,
    /// Chunks of sums [`Matcher::offer_counted`] counts from first.
    best_chunks: Vec<u32>,
    /// A block's head values (queries × head rows), and its sums (queries × a tile).
    head_queries: Vec<f32>,
    head_scores: Vec<f32>,
}

impl Matcher {
    /// Indexes `targets` over `competencies` dense indices. O(nnz + competencies).
    pub fn new(rule: Rule, competencies: usize, targets: &[Profile]) -> Self {
        let mut offsets = vec![0u32; competencies + 1];
        for t in targets {
            for c in t.cells() {
                offsets[c.comp as usize + 1] += 1;
            }
        }
        for i in 0..competencies {
            offsets[i + 1] += offsets[i];
        }
        let nnz = offsets[competencies] as usize;
        let mut cursor = offsets.clone();
        let mut posting_target = vec![0u32; nnz];
        let filler = Cell { comp: 0, value: 0.0, level: 0, essential: false };
        let mut posting_cell = vec![filler; nnz];
        for (i, t) in targets.iter().enumerate() {
            for c in t.cells() {
                let slot = &mut cursor[c.comp as usize];
                posting_target[*slot as usize] = i as u32;
                posting_cell[*slot as usize] = *c;
                *slot += 1;
            }
        }
        // Each competency's postings are in target order (targets are visited in order).
        let (mut essential_offsets, mut essential_comps) = (Vec::new(), Vec::new());
        let sums_first =
            matches!(rule, Rule::Requirements { .. }) && rule.bounded() && competencies <= usize::from(u16::MAX) + 1;
        if sums_first {
            essential_offsets.push(0);
            for t in targets {
                essential_comps.extend(t.cells().iter().filter(|c| c.essential).map(|c| c.comp as u16));
                essential_offsets.push(essential_comps.len() as u32);
            }
        }
        let essentials = targets.iter().map(|t| t.essentials() as u32).collect();
        let posting_value: Vec<f32> = posting_cell.iter().map(|c| c.value).collect();
        let posting_essential = posting_cell.iter().map(|c| u8::from(c.essential)).collect();
        let levelled = (0..competencies)
            .map(|c| posting_cell[offsets[c] as usize..offsets[c + 1] as usize].iter().any(|cell| cell.level > 0))
            .collect();
        let head = DenseHead::choose(rule, sums_first, &offsets, targets, &posting_target, &posting_cell);
        Self {
            rule,
            targets: targets.len(),
            offsets,
            posting_target,
            posting_cell,
            posting_value,
            essentials,
            posting_essential,
            levelled,
            essential_offsets,
            essential_comps,
            head,
        }
    }

    /// Number of targets.
    pub fn len(&self) -> usize {
        self.targets
    }

    /// Whether there are no targets.
    pub fn is_empty(&self) -> bool {
        self.targets == 0
    }

    /// The rule.
    pub fn rule(&self) -> Rule {
        self.rule
    }

    /// Fresh working memory for one thread.
    pub fn scratch(&self) -> Scratch {
        Scratch {
            acc: vec![0.0; self.targets],
            met: vec![0; self.targets],
            touched: Vec::new(),
            held: vec![0; self.offsets.len() - 1],
            best_chunks: Vec::new(),
            head_queries: Vec::new(),
            head_scores: Vec::new(),
        }
    }

    /// The `k` best targets for `query` with a positive score, best first (ties: lower index).
    /// Reuses `scratch`, which is left clean.
    pub fn top_k(&self, query: &Profile, k: usize, scratch: &mut Scratch) -> Vec<Scored> {
        if scratch.acc.len() != self.targets {
            *scratch = self.scratch();
        }
        if self.sums_first() && self.full_scan_pays(query) {
            return self.top_k_sums_first(query, k, scratch);
        }
        if self.tiled_scan_pays(query) {
            return self.top_k_full(&[query], k, scratch).pop().unwrap_or_default();
        }
        if let Rule::Dot = self.rule
            && self.full_scan_pays(query)
        {
            return self.top_k_dense_dot(query, k, &mut scratch.acc);
        }
        let Scratch { acc, met, touched, .. } = scratch;
        for q in query.cells() {
            let c = q.comp as usize;
            let (Some(&start), Some(&end)) = (self.offsets.get(c), self.offsets.get(c + 1)) else { continue };
            let (start, end) = (start as usize, end as usize);
            for (&t, cell) in self.posting_target[start..end].iter().zip(&self.posting_cell[start..end]) {
                let (add, hit) = self.rule.term(q, cell);
                let slot = &mut acc[t as usize];
                if *slot == 0.0 && met[t as usize] == 0 {
                    touched.push(t);
                }
                *slot += add;
                met[t as usize] += u32::from(hit);
            }
        }
        let query_essentials = query.essentials() as u32;
        let mut heap: BinaryHeap<Scored> = BinaryHeap::with_capacity(k + 1);
        for &t in touched.iter() {
            let i = t as usize;
            let essentials = match self.rule {
                Rule::Abilities { .. } => query_essentials,
                _ => self.essentials[i],
            };
            let score = self.rule.finish(acc[i], met[i], essentials);
            acc[i] = 0.0;
            met[i] = 0;
            if score > 0.0 {
                keep(&mut heap, Scored { target: t, score }, k);
            }
        }
        touched.clear();
        let mut out = heap.into_vec();
        out.sort();
        out
    }

    /// [`Matcher::top_k`] of each of `queries`, those that [`Matcher::tiled_scan_pays`] for
    /// scored together tile by tile.
    fn top_k_block(&self, queries: &[Profile], k: usize, scratch: &mut Scratch) -> Vec<Vec<Scored>> {
        if scratch.acc.len() != self.targets {
            *scratch = self.scratch();
        }
        if let Some(head) = &self.head
            && queries.len() >= HEAD_MIN_QUERIES
        {
            // One copy of the loop per rule, with the other rule's branches compiled out.
            return match self.rule {
                Rule::Requirements { .. } => self.top_k_head::<true>(head, queries, k, scratch),
                _ => self.top_k_head::<false>(head, queries, k, scratch),
            };
        }
        let full: Vec<&Profile> = queries.iter().filter(|q| self.tiled_scan_pays(q)).collect();
        let mut full = self.top_k_full(&full, k, scratch).into_iter();
        queries
            .iter()
            .map(|q| if self.tiled_scan_pays(q) { full.next().unwrap_or_default() } else { self.top_k(q, k, scratch) })
            .collect()
    }

    /// [`Matcher::top_k`] of a block of queries with a [`DenseHead`], a tile of
    /// [`HEAD_TILE`] targets at a time: the head's part of the tile's sums from a matrix
    /// product into a queries × tile block that stays in the second-level cache, then each
    /// query's other competencies' postings in the tile added into its row, then a scan of the
    /// row into the query's best `k` (under the requirements rule, with the essentials met
    /// counted only where a sum can still reach it: [`Matcher::offer_counted`]).
    /// O(queries · (head · targets + other postings)).
    fn top_k_head<const REQUIREMENTS: bool>(
        &self,
        head: &DenseHead,
        queries: &[Profile],
        k: usize,
        scratch: &mut Scratch,
    ) -> Vec<Vec<Scored>> {
        let (t, h, b) = (self.targets, head.rows, queries.len());
        let counted = self.sums_first();
        let Scratch { head_queries, head_scores, held, best_chunks, .. } = scratch;
        head_queries.clear();
        head_queries.resize(b * h, 0.0);
        // Per query, its cells outside the head.
        let mut tail: Vec<Vec<Cell>> = Vec::with_capacity(b);
        for (i, query) in queries.iter().enumerate() {
            let mut rest = Vec::new();
            for q in query.cells() {
                if let Some(r) = head.row(q.comp) {
                    // The credit of the query cell, the same for every target (no target
                    // gives a head competency a level).
                    head_queries[i * h + r] = if REQUIREMENTS { credit(q, &Cell { level: 0, ..*q }) } else { q.value };
                } else if (q.comp as usize) < self.offsets.len() - 1 {
                    rest.push(*q);
                }
            }
            tail.push(rest);
        }
        // One row of HEAD_TILE per query (the last tile's rows are only partly used); sized
        // once per scratch, and a product overwrites what it covers.
        if head_scores.len() < b * HEAD_TILE {
            head_scores.resize(b * HEAD_TILE, 0.0);
        }
        let a = ndarray::ArrayView2::from_shape((b, h), &head_queries[..]).expect("b × h values");
        let values = ndarray::ArrayView2::from_shape((h, t), &head.values[..]).expect("h × t values");
        let mut tops: Vec<TopK> = (0..b).map(|_| TopK::new(k)).collect();
        for j in 0..head.tiles {
            let start = j * HEAD_TILE;
            let end = (start + HEAD_TILE).min(t);
            let w = end - start;
            let columns = ndarray::Slice::from(start..end);
            let mut sums = tile_rows(head_scores, b, w);
            ndarray::linalg::general_mat_mul(1.0, &a, &values.slice_axis(ndarray::Axis(1), columns), 0.0, &mut sums);
            let rows = head_scores[..b * HEAD_TILE].chunks_exact_mut(HEAD_TILE);
            for (((sums, top), rest), query) in rows.zip(tops.iter_mut()).zip(&tail).zip(queries) {
                // A fixed-size row indexed by a position masked to the tile: no bounds checks.
                let Ok(sums) = <&mut [f32; HEAD_TILE]>::try_from(sums) else { unreachable!("rows are HEAD_TILE long") };
                for q in rest {
                    let range = head.tile(q.comp, j);
                    let local = &head.local[range.clone()];
                    if REQUIREMENTS && (q.level == 0 || !self.levelled[q.comp as usize]) {
                        // No level can change the credit: it is the ability, the same for
                        // every target.
                        let c = credit(q, &Cell { level: 0, ..*q });
                        for (&i, &v) in local.iter().zip(&self.posting_value[range]) {
                            sums[i as usize & (HEAD_TILE - 1)] += v * c;
                        }
                    } else if REQUIREMENTS {
                        for (&i, cell) in local.iter().zip(&self.posting_cell[range]) {
                            sums[i as usize & (HEAD_TILE - 1)] += self.rule.term(q, cell).0;
                        }
                    } else {
                        let value = q.value;
                        for (&i, &v) in local.iter().zip(&self.posting_value[range]) {
                            sums[i as usize & (HEAD_TILE - 1)] += value * v;
                        }
                    }
                }
                if REQUIREMENTS && counted {
                    self.hold(query, held, 1);
                    self.offer_counted(top, &mut sums[..w], start, held, best_chunks);
                    self.hold(query, held, 0);
                } else {
                    top.offer_all(&sums[..w], start);
                }
            }
        }
        tops.into_iter().map(TopK::into_sorted).collect()
    }

    /// The postings range of dense competency `comp` (empty when out of range).
    fn postings(&self, comp: u32) -> std::ops::Range<usize> {
        let c = comp as usize;
        match (self.offsets.get(c), self.offsets.get(c + 1)) {
            (Some(&start), Some(&end)) => start as usize..end as usize,
            _ => 0..0,
        }
    }

    /// Whether scores are found sums first, essentials counted only where they can matter
    /// ([`Matcher::offer_counted`]): under [`Rule::Requirements`] with a penalty in [0, 1], so
    /// that no score exceeds its sum, over at most 65,536 competencies (two bytes each in the
    /// targets' lists of essentials). Otherwise the essentials met are counted with the sums.
    fn sums_first(&self) -> bool {
        !self.essential_offsets.is_empty()
    }

    /// Marks (`mark` 1) or unmarks (0) in `held` the competencies of `query` with a positive
    /// value: those whose credit is positive for any requirement, so that an essential
    /// requirement on one of them is met (a level short of the required one still earns a
    /// share, see [`credit`]).
    fn hold(&self, query: &Profile, held: &mut [u8], mark: u8) {
        for q in query.cells() {
            if let Some(slot) = held.get_mut(q.comp as usize)
                && q.value > 0.0
            {
                *slot = mark;
            }
        }
    }

    /// Target `t`'s essential requirements met by the query marked in `held`
    /// ([`Matcher::hold`]): the count [`Rule::term`] gives. O(essentials of `t`).
    #[inline]
    fn met(&self, t: usize, held: &[u8]) -> u32 {
        let comps = &self.essential_comps[self.essential_offsets[t] as usize..self.essential_offsets[t + 1] as usize];
        comps.iter().map(|&c| u32::from(held[c as usize])).sum()
    }

    /// Offers targets `first, first + 1, …` with requirement sums `sums` to `top`, under
    /// [`Rule::Requirements`] with a penalty in [0, 1], the query marked in `held`. Zeroes the sums
    /// it counts first.
    ///
    /// A score never exceeds its sum (the factor is between 1 − penalty and 1), so only a
    /// target whose sum reaches the best `k` so far needs its essentials counted
    /// ([`Matcher::met`]). To raise that floor at once, the largest sum of each of the `k`
    /// chunks of [`SCAN_CHUNK`] with the largest maxima is counted first: `k` distinct targets
    /// among the best sums. Then the chunks whose maximum reaches the floor are scanned eight
    /// sums at a time for those that reach it. On the peers' data (10^4 posts, the employment
    /// rule, top 10) about 290 targets a graduate, 3%, are counted.
    fn offer_counted(&self, top: &mut TopK, sums: &mut [f32], first: usize, held: &[u8], chunks: &mut Vec<u32>) {
        let k = top.k;
        if k == 0 {
            return;
        }
        let offer = |top: &mut TopK, at: usize, sum: f32| {
            let t = first + at;
            top.offer(t as u32, self.rule.finish(sum, self.met(t, held), self.essentials[t]));
        };
        let maxima: Vec<f32> = sums.chunks(SCAN_CHUNK).map(chunk_max).collect();
        chunks.clear();
        chunks
            .extend((0..maxima.len() as u32).filter(|&c| maxima[c as usize] > 0.0 && maxima[c as usize] >= top.floor));
        if chunks.len() > k {
            chunks.select_nth_unstable_by(k - 1, |&a, &b| maxima[b as usize].total_cmp(&maxima[a as usize]));
        }
        for &c in chunks.iter().take(k) {
            let from = c as usize * SCAN_CHUNK;
            let to = (from + SCAN_CHUNK).min(sums.len());
            let chunk = &mut sums[from..to];
            let Some(j) = chunk.iter().position(|&s| s == maxima[c as usize]) else { continue };
            let sum = std::mem::take(&mut chunk[j]);
            offer(top, from + j, sum);
        }
        for (c, chunk) in sums.chunks(SCAN_CHUNK).enumerate() {
            if !(maxima[c] > 0.0 && maxima[c] >= top.floor) {
                continue;
            }
            for_each_reaching(chunk, top.floor, |j, sum| offer(top, c * SCAN_CHUNK + j, sum));
        }
    }

    /// [`Matcher::top_k`] under [`Rule::Requirements`] with a penalty in [0, 1] when the
    /// query's postings reach a good share of the targets: the sums alone first, a
    /// branch-free multiply-add over all postings into the whole accumulator (a level is read
    /// only on competencies where some target gives one), then [`Matcher::offer_counted`],
    /// which counts the essentials met only where they can matter. The same terms in the same
    /// order as the general path, so the same scores. Leaves the scratch clean.
    /// O(postings + targets).
    fn top_k_sums_first(&self, query: &Profile, k: usize, scratch: &mut Scratch) -> Vec<Scored> {
        let Scratch { acc, held, best_chunks, .. } = scratch;
        for q in query.cells() {
            let range = self.postings(q.comp);
            let targets = &self.posting_target[range.clone()];
            if q.level == 0 || !self.levelled[q.comp as usize] {
                let c = credit(q, &Cell { level: 0, ..*q });
                for (&t, &w) in targets.iter().zip(&self.posting_value[range]) {
                    acc[t as usize] += w * c;
                }
            } else {
                for (&t, cell) in targets.iter().zip(&self.posting_cell[range]) {
                    acc[t as usize] += self.rule.term(q, cell).0;
                }
            }
        }
        self.hold(query, held, 1);
        let mut top = TopK::new(k);
        self.offer_counted(&mut top, acc, 0, held, best_chunks);
        self.hold(query, held, 0);
        acc.fill(0.0);
        top.into_sorted()
    }

    /// Whether `query` is scored faster by [`Matcher::top_k_full`]: its postings reach an
    /// eighth of the targets, so that tracking the targets it touches costs more than one scan
    /// of all of them. Never for [`Rule::Abilities`], whose essentials are the query's.
    fn full_scan_pays(&self, query: &Profile) -> bool {
        if matches!(self.rule, Rule::Abilities { .. }) {
            return false;
        }
        let postings: usize = query.cells().iter().map(|q| self.postings(q.comp).len()).sum();
        postings >= self.targets / 8
    }

    /// Whether `query` goes to [`Matcher::top_k_full`]: a full scan pays and the rule is not
    /// the cosine rule, whose full scan ([`Matcher::top_k_dense_dot`]) needs no tiles.
    fn tiled_scan_pays(&self, query: &Profile) -> bool {
        !matches!(self.rule, Rule::Dot) && !self.sums_first() && self.full_scan_pays(query)
    }

    /// The top `k` of each of `queries` that [`Matcher::tiled_scan_pays`] for, by accumulators
    /// over all targets, a tile of [`TILE`] targets at a time: for each tile, each query adds
    /// the tile's part of each of its competencies' postings (a branch-free multiply-add where
    /// levels cannot change a credit), then one scan of the tile keeps the query's best `k`.
    /// The same terms are added in the same order as on the general path, so scores are
    /// identical to the last bit. The scan skips a target whose sum is already below the
    /// query's `k`-th best score when the rule never raises a sum ([`Rule::bounded`]). The
    /// scratch is left zeroed. O(postings + targets) per query.
    fn top_k_full(&self, queries: &[&Profile], k: usize, scratch: &mut Scratch) -> Vec<Vec<Scored>> {
        let t = self.targets;
        let mut heaps: Vec<BinaryHeap<Scored>> = queries.iter().map(|_| BinaryHeap::with_capacity(k + 1)).collect();
        let mut floors = vec![0.0f32; queries.len()];
        let bounded = self.rule.bounded();
        // Per query and competency: how far into its postings the tiles so far have read.
        let mut cursors: Vec<usize> =
            queries.iter().flat_map(|q| q.cells().iter().map(|c| self.postings(c.comp).start)).collect();
        for start in (0..t).step_by(TILE) {
            let end = (start + TILE).min(t);
            let acc = &mut scratch.acc[..end - start];
            let met = &mut scratch.met[..end - start];
            let mut cursor = cursors.iter_mut();
            for (query, (heap, floor)) in queries.iter().zip(heaps.iter_mut().zip(floors.iter_mut())) {
                for q in query.cells() {
                    let Some(at) = cursor.next() else { break };
                    *at = self.add_postings(q, *at..self.postings(q.comp).end, start..end, acc, met);
                }
                for (j, (slot, hits)) in acc.iter_mut().zip(met.iter_mut()).enumerate() {
                    let (sum, hits) = (std::mem::take(slot), std::mem::take(hits));
                    // A score never exceeds its sum (see `Rule::bounded`): most targets stop here.
                    if bounded && !(sum > 0.0 && sum >= *floor) {
                        continue;
                    }
                    let i = start + j;
                    let score = self.rule.finish(sum, hits, self.essentials[i]);
                    if score > 0.0 && score >= *floor {
                        keep(heap, Scored { target: i as u32, score }, k);
                        if heap.len() == k {
                            *floor = heap.peek().map_or(0.0, |worst| worst.score);
                        }
                    }
                }
            }
        }
        heaps
            .into_iter()
            .map(|heap| {
                let mut out = heap.into_vec();
                out.sort();
                out
            })
            .collect()
    }

    /// Adds `q`'s terms with the postings in `range` that fall in the tile of targets `tile`
    /// into the tile's accumulators, and returns where the postings of the next tile start
    /// (postings are sorted by target).
    fn add_postings(
        &self,
        q: &Cell,
        range: std::ops::Range<usize>,
        tile: std::ops::Range<usize>,
        acc: &mut [f32],
        met: &mut [u32],
    ) -> usize {
        let (from, start, end) = (range.start, tile.start, tile.end);
        let targets = &self.posting_target[range.clone()];
        match self.rule {
            Rule::Requirements { .. } if q.level == 0 || !self.levelled[q.comp as usize] => {
                // No level can change the credit: it is the ability, the same for every target.
                let c = credit(q, &Cell { level: 0, ..*q });
                let hit = u8::from(c > 0.0);
                let cells = self.posting_value[range.clone()].iter().zip(&self.posting_essential[range.clone()]);
                for (n, (&i, (&w, &e))) in targets.iter().zip(cells).enumerate() {
                    if i as usize >= end {
                        return from + n;
                    }
                    acc[i as usize - start] += w * c;
                    met[i as usize - start] += u32::from(e & hit);
                }
            }
            _ => {
                for (n, (&i, cell)) in targets.iter().zip(&self.posting_cell[range.clone()]).enumerate() {
                    if i as usize >= end {
                        return from + n;
                    }
                    let (add, hit) = self.rule.term(q, cell);
                    acc[i as usize - start] += add;
                    met[i as usize - start] += u32::from(hit);
                }
            }
        }
        range.end
    }

    /// [`Matcher::top_k`] for [`Rule::Dot`] when the query's postings reach a good share of the
    /// targets: a branch-free multiply-add over the packed posting values into the whole
    /// accumulator, then one scan of it that keeps the best `k` and leaves it zeroed. Same
    /// arithmetic, in the same order, as the general path. O(postings + targets).
    fn top_k_dense_dot(&self, query: &Profile, k: usize, acc: &mut [f32]) -> Vec<Scored> {
        for q in query.cells() {
            let range = self.postings(q.comp);
            let value = q.value;
            for (&t, &w) in self.posting_target[range.clone()].iter().zip(&self.posting_value[range]) {
                acc[t as usize] += value * w;
            }
        }
        let top = best_k(acc, k);
        acc.fill(0.0);
        top
    }

    /// The top `k` of every query, computed on rayon's threads in chunks and handed to `sink`
    /// (query index, its top k) in query order, one chunk at a time: memory stays at one
    /// scratch per thread and one chunk of results. Also counts how often each target was
    /// recommended.
    pub fn top_k_batch(&self, queries: &[Profile], k: usize, mut sink: impl FnMut(usize, Vec<Scored>)) -> Exposure {
        let mut exposure = Exposure::new(self.targets);
        const CHUNK: usize = 4_096;
        // One scratch per worker thread for the whole batch (a fresh one per rayon job would
        // be zeroed again each time).
        let scratches: Vec<std::sync::Mutex<Scratch>> =
            (0..rayon::current_num_threads().max(1)).map(|_| std::sync::Mutex::new(Scratch::default())).collect();
        for (chunk_index, chunk) in queries.chunks(CHUNK).enumerate() {
            let results: Vec<Vec<Scored>> = chunk
                .par_chunks(BLOCK)
                .map(|block| {
                    let slot = rayon::current_thread_index().unwrap_or(0) % scratches.len();
                    let mut scratch = scratches[slot].lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                    self.top_k_block(block, k, &mut scratch)
                })
                .flatten_iter()
                .collect();
            for (i, top) in results.into_iter().enumerate() {
                exposure.record(&top);
                sink(chunk_index * CHUNK + i, top);
            }
        }
        exposure
    }

    /// The score of one pair by a direct merge of the two sorted vectors: the definition the
    /// index must agree with. O(|query| + |target|).
    pub fn score_pair(rule: Rule, query: &Profile, target: &Profile) -> f32 {
        let (mut sum, mut met) = (0.0f32, 0u32);
        let (a, b) = (query.cells(), target.cells());
        let (mut i, mut j) = (0, 0);
        while i < a.len() && j < b.len() {
            match a[i].comp.cmp(&b[j].comp) {
                Ordering::Less => i += 1,
                Ordering::Greater => j += 1,
                Ordering::Equal => {
                    let (add, hit) = rule.term(&a[i], &b[j]);
                    sum += add;
                    met += u32::from(hit);
                    i += 1;
                    j += 1;
                }
            }
        }
        let essentials = match rule {
            Rule::Abilities { .. } => query.essentials(),
            _ => target.essentials(),
        } as u32;
        rule.finish(sum, met, essentials)
    }
}

/// How evenly targets are recommended across a batch: each target's count of appearances in
/// the top-k lists.
#[derive(Clone, Debug)]
pub struct Exposure {
    counts: Vec<u32>,
    lists: usize,
}

/// Summary of an [`Exposure`].
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ExposureReport {
    /// Top-k lists produced.
    pub lists: usize,
    /// Recommendations made (sum of list lengths).
    pub recommendations: u64,
    /// Targets recommended at least once.
    pub targets_recommended: usize,
    /// Share of all targets recommended at least once.
    pub coverage: f64,
    /// Gini coefficient of the counts over all targets: 0 when every target is recommended
    /// equally often, near 1 when a few take every slot.
    pub gini: f64,
    /// Largest share of all recommendations that one target took.
    pub top_share: f64,
}

impl Exposure {
    /// No recommendation yet over `targets` targets.
    pub fn new(targets: usize) -> Self {
        Self { counts: vec![0; targets], lists: 0 }
    }

    /// Counts one top-k list.
    pub fn record(&mut self, top: &[Scored]) {
        self.lists += 1;
        for s in top {
            self.counts[s.target as usize] += 1;
        }
    }

    /// Adds the counts of another batch over the same targets.
    pub fn merge(&mut self, other: &Exposure) {
        self.lists += other.lists;
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
    }

    /// Per-target counts.
    pub fn counts(&self) -> &[u32] {
        &self.counts
    }

    /// The summary. O(T log T).
    pub fn report(&self) -> ExposureReport {
        let n = self.counts.len();
        let total: u64 = self.counts.iter().map(|&c| u64::from(c)).sum();
        let mut sorted: Vec<u64> = self.counts.iter().map(|&c| u64::from(c)).collect();
        sorted.sort_unstable();
        let gini = if total == 0 || n == 0 {
            0.0
        } else {
            // G = Σ (2i − n − 1) x_i / (n Σ x), i from 1, x ascending.
            let weighted: f64 =
                sorted.iter().enumerate().map(|(i, &x)| (2.0 * (i as f64 + 1.0) - n as f64 - 1.0) * x as f64).sum();
            weighted / (n as f64 * total as f64)
        };
        let recommended = self.counts.iter().filter(|&&c| c > 0).count();
        ExposureReport {
            lists: self.lists,
            recommendations: total,
            targets_recommended: recommended,
            coverage: if n == 0 { 0.0 } else { recommended as f64 / n as f64 },
            gini,
            top_share: if total == 0 { 0.0 } else { sorted.last().copied().unwrap_or(0) as f64 / total as f64 },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(cells: &[(u32, f32, u8, bool)]) -> Profile {
        Profile::new(
            cells.iter().map(|&(comp, value, level, essential)| Cell { comp, value, level, essential }).collect(),
        )
    }

    /// Profiles from a small linear congruential generator: `count` profiles of up to `cells`
    /// cells over `comps` competencies, with levels and essential flags.
    fn random_profiles(seed: u64, count: usize, comps: u32, cells: usize) -> Vec<Profile> {
        let mut state = seed;
        let mut next = move || {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as u32
        };
        (0..count)
            .map(|_| {
                let n = next() as usize % (cells + 1);
                Profile::new(
                    (0..n)
                        .map(|_| Cell {
                            comp: next() % comps,
                            value: (next() % 1000 + 1) as f32 / 1000.0,
                            level: (next() % 9) as u8,
                            essential: next() % 3 != 0,
                        })
                        .collect(),
                )
            })
            .collect()
    }

    /// Asserts that `top` is a best-`k` list for scores `truth` (per target) up to `eps`: each
    /// entry's score is its target's, and the score at each rank is the true one at that rank.
    fn assert_best_k(top: &[Scored], truth: &[f32], k: usize, eps: f32) {
        let mut best: Vec<Scored> = truth
            .iter()
            .enumerate()
            .map(|(t, &score)| Scored { target: t as u32, score })
            .filter(|s| s.score > 0.0)
            .collect();
        best.sort();
        best.truncate(k);
        assert_eq!(top.len(), best.len());
        for (got, want) in top.iter().zip(&best) {
            assert!((got.score - truth[got.target as usize]).abs() <= eps, "{got:?}: {}", truth[got.target as usize]);
            assert!((got.score - want.score).abs() <= eps, "{got:?} at the rank of {want:?}");
        }
        let mut seen: Vec<u32> = top.iter().map(|s| s.target).collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), top.len());
    }

    #[test]
    fn a_dense_head_gives_the_definitions_scores() {
        // Skewed competency frequencies, as in real postings: a few competencies carry most
        // postings. The frequent ones give no level in targets (else the requirements rule
        // keeps them out of the head); the others keep their random levels.
        let skew = |profiles: Vec<Profile>, levels: bool| -> Vec<Profile> {
            profiles
                .into_iter()
                .map(|p| {
                    Profile::new(
                        p.cells()
                            .iter()
                            .map(|c| {
                                let comp = (c.comp * c.comp) / 400;
                                Cell { comp, level: if comp < 40 && !levels { 0 } else { c.level }, ..*c }
                            })
                            .collect(),
                    )
                })
                .collect()
        };
        // More targets than a tile holds: the last tile is partly used.
        let targets = skew(random_profiles(3, HEAD_TILE + 952, 400, 30), false);
        let queries = skew(random_profiles(5, 3 * BLOCK + 9, 400, 50), true);
        let unit = |p: &[Profile]| p.iter().map(|p| p.clone().unit()).collect::<Vec<_>>();
        let requirements = |p: &[Profile]| p.iter().map(|p| p.clone().normalised()).collect::<Vec<_>>();
        for (rule, targets, queries) in [
            (Rule::Dot, unit(&targets), unit(&queries)),
            (Rule::Requirements { penalty: 0.5 }, requirements(&targets), queries.clone()),
            (Rule::Requirements { penalty: 1.5 }, requirements(&targets), queries.clone()),
        ] {
            let matcher = Matcher::new(rule, 400, &targets);
            if rule.bounded() {
                let head = matcher.head.as_ref().expect("a head pays on skewed competencies");
                assert!(head.rows > 0 && head.rows < 400, "{} head rows", head.rows);
            } else {
                // A penalty above 1 can make a score exceed its sum: no head, whose
                // requirements scan counts essentials only where a sum can reach the top k.
                assert!(matcher.head.is_none());
            }
            let mut batch: Vec<Vec<Scored>> = vec![Vec::new(); queries.len()];
            matcher.top_k_batch(&queries, 10, |i, top| batch[i] = top);
            for (q, top) in queries.iter().zip(&batch) {
                let truth: Vec<f32> = targets.iter().map(|t| Matcher::score_pair(rule, q, t)).collect();
                assert_best_k(top, &truth, 10, 1e-5);
                // One query alone walks postings: the same list up to rounding.
                assert_best_k(&matcher.top_k(q, 10, &mut matcher.scratch()), &truth, 10, 1e-5);
            }
        }
        // No head: too few targets; the other direction (post → graduates); uniform
        // frequencies, where nothing is frequent enough to pay.
        assert!(Matcher::new(Rule::Dot, 400, &targets[..HEAD_MIN_TARGETS - 1]).head.is_none());
        assert!(Matcher::new(Rule::Abilities { penalty: 0.5 }, 400, &targets).head.is_none());
        let flat = random_profiles(9, 3_000, 5_000, 30);
        assert!(Matcher::new(Rule::Dot, 5_000, &flat).head.is_none());
        // Levels everywhere: the requirements rule keeps every competency out of the head.
        let levelled = skew(random_profiles(3, 3_000, 400, 30), true);
        let rows = Matcher::new(Rule::Requirements { penalty: 0.5 }, 400, &levelled).head.map_or(0, |h| h.rows);
        assert_eq!(rows, 0);
    }

    #[test]
    fn scores_over_several_tiles_equal_the_definition() {
        // More targets than two tiles, few competencies: most queries' postings reach more
        // than an eighth of the targets, so the tiled scan serves them (the cosine rule has
        // its own full scan).
        let targets = random_profiles(7, 2 * TILE + 17, 24, 8);
        let queries = random_profiles(11, BLOCK + 5, 24, 12);
        // (The cosine rule's batches over this many targets take the dense head: see below.)
        for rule in [Rule::Requirements { penalty: 0.5 }, Rule::Requirements { penalty: 1.5 }] {
            let matcher = Matcher::new(rule, 24, &targets);
            let mut batch: Vec<Vec<Scored>> = vec![Vec::new(); queries.len()];
            matcher.top_k_batch(&queries, 7, |i, top| batch[i] = top);
            let mut tiled = 0;
            for (q, top) in queries.iter().zip(&batch) {
                tiled += usize::from(matcher.full_scan_pays(q));
                let mut naive: Vec<Scored> = (0..targets.len())
                    .map(|t| Scored { target: t as u32, score: Matcher::score_pair(rule, q, &targets[t]) })
                    .filter(|s| s.score > 0.0)
                    .collect();
                naive.sort();
                naive.truncate(7);
                assert_eq!(top, &naive);
                assert_eq!(&matcher.top_k(q, 7, &mut matcher.scratch()), top);
            }
            assert!(tiled > queries.len() / 2, "{tiled} of {} queries took the tiled scan", queries.len());
        }
    }

    #[test]
    fn counting_essentials_only_where_a_sum_can_reach_the_top_keeps_ties_and_penalties_exact() {
        // 3,000 targets (a dense head pays) in groups of equal sums whose scores differ only by
        // the essentials met: many ties, and sums that reach the floor without their scores.
        let targets: Vec<Profile> = (0..3_000u32)
            .map(|i| {
                let mut cells: Vec<Cell> =
                    (0..6).map(|c| Cell { comp: c, value: 1.0, level: 0, essential: (i + c) % 3 == 0 }).collect();
                cells.push(Cell { comp: 10 + i % 20, value: 1.0, level: 0, essential: i % 2 == 0 });
                if i % 7 == 0 {
                    cells.push(Cell { comp: 35, value: 0.5, level: 4, essential: true });
                }
                Profile::new(cells).normalised()
            })
            .collect();
        let query = |extra: u32, level: u8| {
            Profile::new(
                (0..4)
                    .chain(10..10 + extra)
                    .chain([35])
                    .map(|c| Cell { comp: c, value: 0.8, level: if c == 35 { level } else { 0 }, essential: false })
                    .collect(),
            )
        };
        let queries: Vec<Profile> = (0..2 * BLOCK as u32).map(|q| query(q % 20, (q % 5) as u8)).collect();
        for penalty in [0.0, 0.5, 1.0] {
            let rule = Rule::Requirements { penalty };
            let matcher = Matcher::new(rule, 40, &targets);
            assert!(matcher.sums_first() && matcher.head.is_some());
            let mut batch: Vec<Vec<Scored>> = vec![Vec::new(); queries.len()];
            matcher.top_k_batch(&queries, 25, |i, top| batch[i] = top);
            for (q, top) in queries.iter().zip(&batch) {
                let mut naive: Vec<Scored> = (0..targets.len())
                    .map(|t| Scored { target: t as u32, score: Matcher::score_pair(rule, q, &targets[t]) })
                    .filter(|s| s.score > 0.0)
                    .collect();
                naive.sort();
                naive.truncate(25);
                // Alone, the same terms in the same order: the same list, ties to the lower index.
                assert_eq!(matcher.top_k(q, 25, &mut matcher.scratch()), naive);
                let truth: Vec<f32> = targets.iter().map(|t| Matcher::score_pair(rule, q, t)).collect();
                assert_best_k(top, &truth, 25, 1e-6);
            }
        }
        // Above 1 the penalty can make a score exceed its sum: counted with the sums instead.
        assert!(!Matcher::new(Rule::Requirements { penalty: 1.5 }, 40, &targets).sums_first());
    }

    #[test]
    fn a_missing_essential_costs_more_than_a_missing_optional() {
        let post = p(&[(0, 0.5, 0, true), (1, 0.5, 0, false)]);
        let rule = Rule::Requirements { penalty: 0.5 };
        let has_essential = Matcher::score_pair(rule, &p(&[(0, 1.0, 0, false)]), &post);
        let has_optional = Matcher::score_pair(rule, &p(&[(1, 1.0, 0, false)]), &post);
        assert_eq!(has_essential, 0.5);
        assert_eq!(has_optional, 0.25);
    }

    #[test]
    fn a_level_below_the_required_one_earns_its_share() {
        let post = p(&[(0, 1.0, 4, false)]);
        let rule = Rule::Requirements { penalty: 0.5 };
        assert_eq!(Matcher::score_pair(rule, &p(&[(0, 1.0, 2, false)]), &post), 0.5);
        assert_eq!(Matcher::score_pair(rule, &p(&[(0, 1.0, 6, false)]), &post), 1.0);
    }

    #[test]
    fn both_directions_give_the_same_score() {
        let post = p(&[(0, 0.6, 3, true), (2, 0.4, 0, false)]);
        let grad = p(&[(0, 0.8, 2, false), (1, 1.0, 0, false)]);
        let forward = Matcher::score_pair(Rule::Requirements { penalty: 0.5 }, &grad, &post);
        let backward = Matcher::score_pair(Rule::Abilities { penalty: 0.5 }, &post, &grad);
        assert_eq!(forward, backward);
        let m = Matcher::new(Rule::Abilities { penalty: 0.5 }, 3, std::slice::from_ref(&grad));
        assert_eq!(m.top_k(&post, 1, &mut m.scratch())[0].score, forward);
    }

    #[test]
    fn exposure_is_even_when_every_target_is_recommended_equally() {
        let mut e = Exposure::new(2);
        e.record(&[Scored { target: 0, score: 1.0 }, Scored { target: 1, score: 0.5 }]);
        let r = e.report();
        assert_eq!((r.coverage, r.gini, r.top_share), (1.0, 0.0, 0.5));
        let mut skewed = Exposure::new(4);
        skewed.record(&[Scored { target: 0, score: 1.0 }]);
        skewed.record(&[Scored { target: 0, score: 1.0 }]);
        assert_eq!(skewed.report().gini, 0.75);
    }
}
