//! Exact totals and facet counts of a search without scoring every match.
//!
//! The documents a search matches are, per segment, a bitset: the OR of the postings of its
//! text terms, AND the OR of each filter's terms, AND NOT the excluded terms, AND the segment's
//! live documents. The total is that bitset's popcount, and each facet value's count is the
//! popcount of the matches AND that value's documents. Scoring then only has to find the top
//! hits, which tantivy does with block-max WAND without visiting every match.
//!
//! Postings of dense terms (at least one document in 64 of the segment) and of every facet
//! value are kept as bitsets in a bounded cache, least recently used out, as Lucene's query
//! cache keeps its filters' document sets: a query over common words then costs a word-wise OR
//! of `max_doc / 64` words per term instead of decoding each of its postings again. Segments
//! are immutable, so a bitset stays true for its segment (deletions are applied through the
//! live-document mask, itself cached per segment and deletion stamp); entries of merged-away
//! segments age out.
//!
//! Cost per segment: `O(max_doc / 64)` words per cached term and facet value, plus the postings
//! of the sparse terms. No crate offers this over tantivy's postings; the bitsets are plain
//! `u64` words.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use tantivy::schema::{Facet, Field, IndexRecordOption};
use tantivy::{COLLECT_BLOCK_BUFFER_LEN, DocId, DocSet, Opstamp, Searcher, SegmentReader, TERMINATED, Term};

use tantivy::index::{InvertedIndexReader, SegmentId};
use tantivy::postings::TermInfo;

use super::SearchError;

/// The documents a search matches, as terms.
#[derive(Clone, Debug, Default)]
pub(crate) struct MatchSpec {
    /// A document matches if it has any of these terms...
    pub any: Vec<Term>,
    /// ...and, for each group, any term of the group...
    pub all_of: Vec<Vec<Term>>,
    /// ...and none of these.
    pub none: Vec<Term>,
}

/// Counts of the matching documents: the total and, per facet path (`["kind", "resource"]`),
/// the number of matches with that facet.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct MatchCounts {
    pub total: u64,
    pub facets: BTreeMap<Vec<String>, u64>,
}

type Bits = Arc<Vec<u64>>;

/// Bytes of bitsets the cache keeps at most.
const CACHE_BYTES: usize = 256 * 1024 * 1024;

/// A term is cached as a bitset when it is in at least one document in this many.
const DENSE: u64 = 64;

#[derive(Default)]
struct CacheState {
    terms: HashMap<(SegmentId, Field, Vec<u8>), (Bits, u64)>,
    facets: HashMap<SegmentId, Arc<Vec<(Vec<String>, Bits)>>>,
    alive: HashMap<SegmentId, (Option<Opstamp>, Bits)>,
    bytes: usize,
    tick: u64,
}

/// The bitset cache of one index.
#[derive(Default)]
pub(crate) struct MatchCache {
    state: Mutex<CacheState>,
}

fn io(e: std::io::Error) -> SearchError {
    SearchError::Index(e.into())
}

fn words(max_doc: DocId) -> usize {
    (max_doc as usize).div_ceil(64)
}

fn set(bits: &mut [u64], doc: DocId) {
    bits[(doc >> 6) as usize] |= 1u64 << (doc & 63);
}

/// ORs the postings of a term (its `info` in `inverted`) into `bits`.
fn or_postings(inverted: &InvertedIndexReader, info: &TermInfo, bits: &mut [u64]) -> Result<(), SearchError> {
    let mut postings = inverted.read_postings_from_terminfo(info, IndexRecordOption::Basic).map_err(io)?;
    let mut buffer = [0 as DocId; COLLECT_BLOCK_BUFFER_LEN];
    if postings.doc() == TERMINATED {
        return Ok(());
    }
    loop {
        let n = postings.fill_buffer(&mut buffer);
        for &doc in &buffer[..n] {
            set(bits, doc);
        }
        if n < COLLECT_BLOCK_BUFFER_LEN {
            return Ok(());
        }
    }
}

fn facet_bytes(values: &[(Vec<String>, Bits)]) -> usize {
    values.iter().map(|(_, b)| b.len() * 8).sum()
}

fn popcount(bits: &[u64]) -> u64 {
    bits.iter().map(|w| u64::from(w.count_ones())).sum()
}

fn and_popcount(a: &[u64], b: &[u64]) -> u64 {
    a.iter().zip(b).map(|(x, y)| u64::from((x & y).count_ones())).sum()
}

impl MatchCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, CacheState> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Counts the matches of `spec` in `searcher`, with facet counts for every facet value of
    /// `facet_field`.
    pub(crate) fn count(
        &self,
        searcher: &Searcher,
        spec: &MatchSpec,
        facet_field: Field,
    ) -> Result<MatchCounts, SearchError> {
        let mut counts = MatchCounts::default();
        let live: Vec<_> = searcher.segment_readers().iter().map(SegmentReader::segment_id).collect();
        for reader in searcher.segment_readers() {
            let mut matches = vec![0u64; words(reader.max_doc())];
            for term in &spec.any {
                self.or_term(reader, term, &mut matches)?;
            }
            for group in &spec.all_of {
                let mut within = vec![0u64; matches.len()];
                for term in group {
                    self.or_term(reader, term, &mut within)?;
                }
                matches.iter_mut().zip(&within).for_each(|(m, w)| *m &= w);
            }
            if !spec.none.is_empty() {
                let mut out = vec![0u64; matches.len()];
                for term in &spec.none {
                    self.or_term(reader, term, &mut out)?;
                }
                matches.iter_mut().zip(&out).for_each(|(m, o)| *m &= !o);
            }
            if let Some(alive) = self.alive(reader) {
                matches.iter_mut().zip(alive.iter()).for_each(|(m, a)| *m &= a);
            }
            counts.total += popcount(&matches);
            // Few matching words: count over those words only.
            let nonzero: Vec<u32> =
                matches.iter().enumerate().filter(|(_, w)| **w != 0).map(|(i, _)| i as u32).collect();
            let sparse = nonzero.len() * 8 < matches.len();
            for (path, bits) in self.facets(reader, facet_field)?.iter() {
                let n = if sparse {
                    nonzero.iter().map(|&i| u64::from((matches[i as usize] & bits[i as usize]).count_ones())).sum()
                } else {
                    and_popcount(&matches, bits)
                };
                if n > 0 {
                    *counts.facets.entry(path.clone()).or_default() += n;
                }
            }
        }
        self.evict(&live);
        Ok(counts)
    }

    /// ORs `term`'s documents into `bits`: from the cache for a dense term (made on first use),
    /// from its postings otherwise.
    fn or_term(&self, reader: &SegmentReader, term: &Term, bits: &mut [u64]) -> Result<(), SearchError> {
        let inverted = reader.inverted_index(term.field())?;
        let Some(info) = inverted.get_term_info(term).map_err(io)? else { return Ok(()) };
        if u64::from(info.doc_freq) * DENSE < u64::from(reader.max_doc()) {
            return or_postings(&inverted, &info, bits);
        }
        let key = (reader.segment_id(), term.field(), term.serialized_value_bytes().to_vec());
        let cached = {
            let mut state = self.lock();
            state.tick += 1;
            let tick = state.tick;
            state.terms.get_mut(&key).map(|(b, used)| {
                *used = tick;
                b.clone()
            })
        };
        let cached = match cached {
            Some(b) => b,
            None => {
                let mut fresh = vec![0u64; words(reader.max_doc())];
                or_postings(&inverted, &info, &mut fresh)?;
                let fresh = Arc::new(fresh);
                let mut state = self.lock();
                state.tick += 1;
                let tick = state.tick;
                state.bytes += fresh.len() * 8;
                if let Some((old, _)) = state.terms.insert(key, (fresh.clone(), tick)) {
                    state.bytes -= old.len() * 8;
                }
                fresh
            }
        };
        bits.iter_mut().zip(cached.iter()).for_each(|(b, c)| *b |= c);
        Ok(())
    }

    /// The facet values (`dimension/value`) of a segment with their documents.
    fn facets(&self, reader: &SegmentReader, field: Field) -> Result<Arc<Vec<(Vec<String>, Bits)>>, SearchError> {
        let id = reader.segment_id();
        if let Some(values) = self.lock().facets.get(&id) {
            return Ok(values.clone());
        }
        let inverted = reader.inverted_index(field)?;
        let mut values = Vec::new();
        let mut stream = inverted.terms().stream().map_err(io)?;
        while stream.advance() {
            let Ok(facet) = Facet::from_encoded(stream.key().to_vec()) else { continue };
            let path: Vec<String> = facet.to_path().into_iter().map(str::to_owned).collect();
            // Each value is indexed with its ancestors (`/kind` above `/kind/resource`): only
            // the values are counted.
            if path.len() != 2 {
                continue;
            }
            let mut bits = vec![0u64; words(reader.max_doc())];
            or_postings(&inverted, stream.value(), &mut bits)?;
            values.push((path, Arc::new(bits)));
        }
        let values = Arc::new(values);
        let mut state = self.lock();
        state.bytes += facet_bytes(&values);
        if let Some(old) = state.facets.insert(id, values.clone()) {
            state.bytes -= facet_bytes(&old);
        }
        Ok(values)
    }

    /// The live documents of a segment with deletions (`None` when all are live).
    fn alive(&self, reader: &SegmentReader) -> Option<Bits> {
        let alive = reader.alive_bitset()?;
        let id = reader.segment_id();
        let stamp = reader.delete_opstamp();
        let mut state = self.lock();
        if let Some((s, bits)) = state.alive.get(&id)
            && *s == stamp
        {
            return Some(bits.clone());
        }
        let mut bits = vec![0u64; words(reader.max_doc())];
        for doc in 0..reader.max_doc() {
            if alive.is_alive(doc) {
                set(&mut bits, doc);
            }
        }
        let bits = Arc::new(bits);
        state.alive.insert(id, (stamp, bits.clone()));
        Some(bits)
    }

    /// Drops the entries of segments no longer searched, then the least recently used terms
    /// while the cache holds more than its bound.
    fn evict(&self, live: &[SegmentId]) {
        let mut state = self.lock();
        let state = &mut *state;
        let before = state.terms.len() + state.facets.len() + state.alive.len();
        state.terms.retain(|(id, _, _), _| live.contains(id));
        state.facets.retain(|id, _| live.contains(id));
        state.alive.retain(|id, _| live.contains(id));
        if state.terms.len() + state.facets.len() + state.alive.len() != before {
            state.bytes = state.terms.values().map(|(b, _)| b.len() * 8).sum::<usize>()
                + state.facets.values().map(|v| facet_bytes(v)).sum::<usize>();
        }
        if state.bytes <= CACHE_BYTES {
            return;
        }
        let mut by_use: Vec<(u64, (SegmentId, Field, Vec<u8>))> =
            state.terms.iter().map(|(k, (_, used))| (*used, k.clone())).collect();
        by_use.sort_unstable_by_key(|(used, _)| *used);
        for (_, key) in by_use {
            if state.bytes <= CACHE_BYTES / 2 {
                break;
            }
            if let Some((b, _)) = state.terms.remove(&key) {
                state.bytes -= b.len() * 8;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use tantivy::collector::{Count, FacetCollector};
    use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};

    use super::*;
    use crate::search::query::{FieldWeights, text_terms};
    use crate::search::{IndexDocument, SearchIndex};
    use crate::snapshot::NodeKind;

    const WORDS: &[&str] = &["分数", "加法", "三角形", "面积", "fraction", "triangle", "area", "口诀", "乘法", "rare"];

    /// A corpus in three commits, the later ones replacing some earlier documents (deletions),
    /// with dense words, sparse words (`rare`) and every facet.
    fn index() -> SearchIndex {
        let index = SearchIndex::in_memory().unwrap();
        let doc = |i: usize, round: usize| {
            let pick = |k: usize| WORDS[(i * 7 + k * 13 + round) % (WORDS.len() - 1)];
            let mut body = vec![pick(1).to_owned(), pick(2).to_owned()];
            if i % 97 == 0 {
                body.push("rare".to_owned());
            }
            IndexDocument {
                iri: format!("https://example.org/d{i}"),
                kind: Some([NodeKind::KnowledgePoint, NodeKind::Resource, NodeKind::Occupation][(i + round) % 3]),
                names: vec![pick(0).to_owned()],
                body,
                codes: vec![format!("C{i}")],
                langs: [if i % 3 == 0 { "en" } else { "zh" }.to_owned()].into(),
                level: Some((i % 6) as u8 + 1),
                subject: Some(["mathematics", "chinese"][i % 2].to_owned()),
                resource_type: (i % 5 == 0).then(|| "exercise".to_owned()),
                ..IndexDocument::default()
            }
        };
        index.add_documents((0..2_000).map(|i| doc(i, 0)), 1).unwrap();
        index.add_documents((1_500..3_000).map(|i| doc(i, 1)), 2).unwrap();
        index.add_documents((0..3_000).step_by(7).map(|i| doc(i, 2)), 3).unwrap();
        index
    }

    /// The counts as tantivy's own collectors give them, scoring every match.
    fn reference(index: &SearchIndex, spec: &MatchSpec) -> MatchCounts {
        let any = |terms: &[Term]| -> Box<dyn Query> {
            Box::new(BooleanQuery::new(
                terms
                    .iter()
                    .map(|t| (Occur::Should, Box::new(TermQuery::new(t.clone(), IndexRecordOption::Basic)) as _))
                    .collect(),
            ))
        };
        let mut clauses = vec![(Occur::Must, any(&spec.any))];
        clauses.extend(spec.all_of.iter().map(|g| (Occur::Must, any(g))));
        clauses.extend(spec.none.iter().map(|t| (Occur::MustNot, any(std::slice::from_ref(t)))));
        let mut facets = FacetCollector::for_field("facets");
        for dimension in ["/kind", "/level", "/lang", "/subject", "/type"] {
            facets.add_facet(dimension);
        }
        let searcher = index.searcher();
        let (total, counts) = searcher.search(&BooleanQuery::new(clauses), &(Count, facets)).unwrap();
        let mut out = MatchCounts { total: total as u64, ..MatchCounts::default() };
        for dimension in ["/kind", "/level", "/lang", "/subject", "/type"] {
            for (facet, n) in counts.get(dimension) {
                out.facets.insert(facet.to_path().into_iter().map(str::to_owned).collect(), n);
            }
        }
        out
    }

    #[test]
    fn totals_and_facet_counts_equal_tantivys_collectors_over_segments_with_deletions() {
        let index = index();
        let f = *index.fields();
        let searcher = index.searcher();
        assert!(searcher.segment_readers().len() > 1, "the corpus spans several segments");
        assert!(searcher.segment_readers().iter().any(SegmentReader::has_deletes), "some documents are deleted");
        let cache = MatchCache::default();
        let facet = |d: &str, v: &str| Term::from_facet(f.facets, &Facet::from_path([d, v]));
        let texts = ["分数", "三角形面积", "fraction area", "rare", "乘法口诀", "c42", "口", "nothing"];
        let mut checked = 0;
        for (i, text) in texts.iter().enumerate() {
            let any: Vec<Term> = text_terms(&f, text, FieldWeights::SEARCH).into_iter().map(|(t, _)| t).collect();
            let specs = [
                MatchSpec { any: any.clone(), ..MatchSpec::default() },
                MatchSpec {
                    any: any.clone(),
                    all_of: vec![
                        vec![facet("kind", "resource"), facet("kind", "occupation")],
                        vec![facet("lang", "zh")],
                    ],
                    ..MatchSpec::default()
                },
                MatchSpec {
                    any: any.clone(),
                    none: vec![Term::from_field_text(f.iri, &format!("https://example.org/d{}", i * 3))],
                    ..MatchSpec::default()
                },
            ];
            for spec in &specs {
                // Twice: once filling the cache, once reading it.
                for _ in 0..2 {
                    assert_eq!(cache.count(&searcher, spec, f.facets).unwrap(), reference(&index, spec), "{text}");
                }
                checked += 1;
            }
        }
        assert_eq!(checked, 24);
        // Merged into one segment, the index counts the same.
        let spec = MatchSpec {
            any: text_terms(&f, "三角形 area", FieldWeights::SEARCH).into_iter().map(|(t, _)| t).collect(),
            ..MatchSpec::default()
        };
        let before = cache.count(&searcher, &spec, f.facets).unwrap();
        assert!(index.merge_segments().unwrap() > 1);
        assert_eq!(index.segments(), 1);
        let merged = index.searcher();
        assert_eq!(cache.count(&merged, &spec, f.facets).unwrap(), before);
        assert_eq!(before, reference(&index, &spec));
        let state = cache.lock();
        assert!(!state.terms.is_empty(), "dense terms are cached");
        assert!(state.bytes > 0);
    }

    #[test]
    fn an_index_of_many_commits_merges_into_one_segment_while_its_own_merges_run() {
        let index = SearchIndex::in_memory().unwrap();
        for round in 0..30u64 {
            let docs = (0..50).map(|i| IndexDocument {
                iri: format!("https://example.org/r{round}/{i}"),
                names: vec![format!("分数 {round} {i}")],
                ..IndexDocument::default()
            });
            index.add_documents(docs, round + 1).unwrap();
        }
        assert!(index.merge_segments().unwrap() > 1);
        assert_eq!(index.segments(), 1);
        assert_eq!(index.searcher().num_docs(), 1_500);
    }
}
