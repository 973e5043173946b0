//! Full-text search with graph-aware boosts, facets and snippets, and type-ahead.
//!
//! A query's text becomes one disjunction of term queries over the fields (BM25 in each):
//! its jieba words in `name` (×3), `body` (×1) and `context` (×0.7), its CJK bigrams (or the
//! lone character of a one-character run) in `grams`, and the whole text as a code (×5).
//! Filters (kind, level, language, subject, resource type, a node's neighbourhood) are
//! required clauses that do not score; boosts are constant scores added for resources
//! aligned to the given node or its equivalents (3), to its neighbours (1.5) and to a
//! learner's ready points (2).
//! Cost: one pass over the postings of the query's terms, plus the collectors (top k with
//! offset, count, facet counts) over the matching documents.

use std::collections::BTreeMap;

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, ConstScoreQuery, Occur, Query, RegexQuery, TermQuery};
use tantivy::schema::{Facet, IndexRecordOption, Value};
use tantivy::{DocAddress, Searcher, TantivyDocument, Term};

use super::analysis::{self, is_cjk};
use super::document::Alignment;
use super::matches::MatchSpec;
use super::snippet::Highlighter;
use super::{Fields, SearchError, SearchIndex};
use crate::snapshot::{NodeId, NodeKind, Relation, Snapshot};

/// What to search for.
#[derive(Clone, Debug, Default)]
pub struct SearchRequest {
    /// The query text (Chinese, English or mixed; codes too).
    pub text: String,
    /// Only these kinds (all when empty).
    pub kinds: Vec<NodeKind>,
    /// Only this node's neighbourhood (itself, its prerequisites and dependents, related,
    /// broader and narrower nodes, and the resources aligned to any of them); resources
    /// aligned to it rank first.
    pub node: Option<NodeId>,
    /// Only these school grades (all when empty).
    pub levels: Vec<u8>,
    /// Only these languages, e.g. `zh` (all when empty).
    pub langs: Vec<String>,
    /// Only these subjects (all when empty).
    pub subjects: Vec<String>,
    /// Only these resource types (all when empty).
    pub resource_types: Vec<String>,
    /// Knowledge points the learner is ready to learn: resources aligned to them rank higher.
    pub ready: Vec<NodeId>,
    /// Leave out the document of this IRI (a resource being linked does not find itself).
    pub exclude: Option<String>,
    /// Page size.
    pub limit: usize,
    /// Hits to skip.
    pub offset: usize,
}

/// A node the hit is aligned to.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct AlignedNode {
    /// IRI.
    pub iri: String,
    /// Local name.
    pub id: String,
    /// Label.
    pub label: String,
    /// `teaches` or `assesses`.
    pub relation: String,
    /// Confidence in [0, 1].
    pub confidence: f32,
}

/// One result.
#[derive(Clone, Debug, serde::Serialize)]
pub struct SearchHit {
    /// IRI.
    pub iri: String,
    /// Local name.
    pub id: String,
    /// Kind.
    pub kind: NodeKind,
    /// Label (Chinese first, then English).
    pub label: String,
    /// BM25 plus boosts.
    pub score: f32,
    /// The best matching passage, matched words in `<b>`, HTML-escaped.
    pub snippet: String,
    /// School grade.
    pub level: Option<u8>,
    /// Resource type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    /// For a resource: the nodes it teaches or assesses.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub aligned: Vec<AlignedNode>,
}

/// Counts of the matching documents by facet value.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Facets {
    /// By kind.
    pub kind: BTreeMap<String, u64>,
    /// By school grade.
    pub level: BTreeMap<String, u64>,
    /// By language.
    pub lang: BTreeMap<String, u64>,
    /// By subject.
    pub subject: BTreeMap<String, u64>,
    /// By resource type.
    #[serde(rename = "type")]
    pub resource_type: BTreeMap<String, u64>,
}

/// A page of results.
#[derive(Clone, Debug, serde::Serialize)]
pub struct SearchResults {
    /// Number of matching documents.
    pub total: usize,
    /// Graph version the index reflected.
    pub version: u64,
    /// The page.
    pub hits: Vec<SearchHit>,
    /// Facet counts over every match.
    pub facets: Facets,
}

/// A type-ahead suggestion.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Suggestion {
    /// IRI.
    pub iri: String,
    /// Local name.
    pub id: String,
    /// Kind.
    pub kind: NodeKind,
    /// Label.
    pub label: String,
}

/// The CJK bigrams of a text (a lone CJK character stands for itself) and its other words,
/// lower-cased, each once, in order of first appearance.
pub fn query_grams(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut run: Vec<char> = Vec::new();
    let mut word = String::new();
    let flush_run = |run: &mut Vec<char>, out: &mut Vec<String>| {
        match run.len() {
            0 => {}
            1 => out.push(run[0].to_string()),
            _ => out.extend(run.windows(2).map(|w| w.iter().collect::<String>())),
        }
        run.clear();
    };
    for c in text.chars() {
        if is_cjk(c) {
            if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            run.push(c);
        } else {
            flush_run(&mut run, &mut out);
            if c.is_alphanumeric() {
                word.extend(c.to_lowercase());
            } else if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
        }
    }
    flush_run(&mut run, &mut out);
    if !word.is_empty() {
        out.push(word);
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|t| seen.insert(t.clone()));
    out
}

pub(crate) fn term_query(field: tantivy::schema::Field, text: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(Term::from_field_text(field, text), IndexRecordOption::WithFreqs))
}

fn boosted(query: Box<dyn Query>, boost: f32) -> (Occur, Box<dyn Query>) {
    (Occur::Should, Box::new(BoostQuery::new(query, boost)))
}

/// Weights of the fields in a text query.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FieldWeights {
    pub name: f32,
    pub grams: f32,
    pub body: f32,
    pub context: f32,
    pub code: f32,
}

impl FieldWeights {
    pub(crate) const SEARCH: FieldWeights = FieldWeights { name: 3.0, grams: 1.0, body: 1.0, context: 0.7, code: 5.0 };
}

/// The terms of a text in each field, with their weights: its jieba words in `name`, `body`
/// and `context`, its CJK bigrams (or lone characters) in `grams`, and the whole text as a
/// code. Empty when the text has no word or gram.
pub(crate) fn text_terms(f: &Fields, text: &str, w: FieldWeights) -> Vec<(Term, f32)> {
    let words = analysis::unique_terms(&mut analysis::words_analyzer(), text);
    let grams = query_grams(text);
    if words.is_empty() && grams.is_empty() {
        return Vec::new();
    }
    let mut terms: Vec<(Term, f32)> = Vec::new();
    for word in &words {
        terms.push((Term::from_field_text(f.name, word), w.name));
        terms.push((Term::from_field_text(f.body, word), w.body));
        terms.push((Term::from_field_text(f.context, word), w.context));
    }
    for gram in &grams {
        terms.push((Term::from_field_text(f.grams, gram), w.grams));
    }
    let code = text.trim().to_lowercase();
    if !code.is_empty() && !code.contains(char::is_whitespace) {
        terms.push((Term::from_field_text(f.code, &code), w.code));
    }
    terms
}

/// The scoring disjunction of weighted terms: a flat union of boosted term queries, which
/// tantivy's top-k collection prunes with block-max WAND. `None` when there is no term.
fn terms_query(terms: &[(Term, f32)]) -> Option<Box<dyn Query>> {
    let clauses: Vec<(Occur, Box<dyn Query>)> = terms
        .iter()
        .map(|(term, weight)| boosted(Box::new(TermQuery::new(term.clone(), IndexRecordOption::WithFreqs)), *weight))
        .collect();
    (!clauses.is_empty()).then(|| Box::new(BooleanQuery::new(clauses)) as Box<dyn Query>)
}

/// The scoring disjunction of a text over the fields; `None` when the text has no term.
pub(crate) fn text_query(f: &Fields, text: &str, w: FieldWeights) -> Option<Box<dyn Query>> {
    terms_query(&text_terms(f, text, w))
}

fn facet_terms(f: &Fields, dimension: &str, values: impl IntoIterator<Item = String>) -> Vec<Term> {
    values.into_iter().map(|v| Term::from_facet(f.facets, &Facet::from_path([dimension, v.as_str()]))).collect()
}

fn any_of(terms: &[Term]) -> Box<dyn Query> {
    let clauses: Vec<(Occur, Box<dyn Query>)> = terms
        .iter()
        .map(|t| (Occur::Should, Box::new(TermQuery::new(t.clone(), IndexRecordOption::Basic)) as Box<dyn Query>))
        .collect();
    Box::new(BooleanQuery::new(clauses))
}

fn facet_filter(f: &Fields, dimension: &str, values: impl IntoIterator<Item = String>) -> Option<Box<dyn Query>> {
    let terms = facet_terms(f, dimension, values);
    (!terms.is_empty()).then(|| any_of(&terms))
}

/// A node's neighbourhood for the `node` filter: itself, its direct prerequisites and
/// dependents, and the nodes related, built on, broader or narrower.
pub(crate) fn neighbourhood(snapshot: &Snapshot, node: NodeId) -> Vec<NodeId> {
    let mut out = vec![node];
    for relation in [Relation::Requires, Relation::BuildsOn, Relation::RelatedTo, Relation::Broader, Relation::PartOf] {
        out.extend(snapshot.out(node, relation).iter().map(|e| e.node));
        out.extend(snapshot.inc(node, relation).iter().map(|e| e.node));
    }
    out.sort_unstable();
    out.dedup();
    out
}

fn stored_str(doc: &TantivyDocument, field: tantivy::schema::Field) -> Option<&str> {
    doc.get_first(field).and_then(|v| v.as_str())
}

impl SearchIndex {
    pub(crate) fn fields(&self) -> &Fields {
        &self.inner.fields
    }

    pub(crate) fn searcher(&self) -> Searcher {
        self.inner.reader.searcher()
    }

    /// Runs a search; labels and alignments are read in `snapshot`.
    ///
    /// Two passes: the top hits by score (block-max WAND over the text's terms when nothing
    /// else scores or filters), and the exact total and facet counts as bitset operations over
    /// every match ([`super::matches`]), so that neither pass scores every matching document.
    pub fn search(&self, snapshot: &Snapshot, request: &SearchRequest) -> Result<SearchResults, SearchError> {
        let f = *self.fields();
        let version = self.version();
        let searcher = self.searcher();
        let terms = text_terms(&f, &request.text, FieldWeights::SEARCH);
        let Some(text) = terms_query(&terms) else {
            return Ok(SearchResults { total: 0, version, hits: Vec::new(), facets: Facets::default() });
        };
        let mut spec = MatchSpec { any: terms.iter().map(|(t, _)| t.clone()).collect(), ..MatchSpec::default() };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, text.box_clone())];
        let filters = [
            facet_terms(&f, "kind", request.kinds.iter().map(|k| k.as_str().to_owned())),
            facet_terms(&f, "level", request.levels.iter().map(u8::to_string)),
            facet_terms(&f, "lang", request.langs.iter().cloned()),
            facet_terms(&f, "subject", request.subjects.iter().cloned()),
            facet_terms(&f, "type", request.resource_types.iter().cloned()),
        ];
        for filter in filters.into_iter().filter(|t| !t.is_empty()) {
            clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(any_of(&filter), 0.0))));
            spec.all_of.push(filter);
        }
        if let Some(node) = request.node {
            // The node's equivalents (what it replaces, its exact matches) count as the node.
            let same: Vec<NodeId> = std::iter::once(node).chain(snapshot.equivalents(node)).collect();
            let mut near = neighbourhood(snapshot, node);
            near.extend(&same[1..]);
            near.sort_unstable();
            near.dedup();
            let mut within: Vec<Term> = Vec::new();
            for &n in &near {
                let iri = snapshot.iri(n);
                within.push(Term::from_field_text(f.iri, iri));
                within.push(Term::from_field_text(f.aligned, iri));
                let boost = if same.contains(&n) { 3.0 } else { 1.5 };
                clauses.push((Occur::Should, Box::new(ConstScoreQuery::new(term_query(f.aligned, iri), boost))));
            }
            clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(any_of(&within), 0.0))));
            spec.all_of.push(within);
        }
        for &n in &request.ready {
            let q = term_query(f.aligned, snapshot.iri(n));
            clauses.push((Occur::Should, Box::new(ConstScoreQuery::new(q, 2.0))));
        }
        if let Some(iri) = &request.exclude {
            clauses.push((Occur::MustNot, term_query(f.iri, iri)));
            spec.none.push(Term::from_field_text(f.iri, iri));
        }
        let query: Box<dyn Query> = if clauses.len() == 1 { text } else { Box::new(BooleanQuery::new(clauses)) };
        let limit = request.limit.max(1);
        let top = searcher.search(&*query, &TopDocs::with_limit(limit).and_offset(request.offset).order_by_score())?;
        let matched = self.inner.matches.count(&searcher, &spec, f.facets)?;

        let mut counts = Facets::default();
        for (path, count) in matched.facets {
            let [dimension, value] = path.as_slice() else { continue };
            let target = match dimension.as_str() {
                "kind" => &mut counts.kind,
                "level" => &mut counts.level,
                "lang" => &mut counts.lang,
                "subject" => &mut counts.subject,
                "type" => &mut counts.resource_type,
                _ => continue,
            };
            target.insert(value.clone(), count);
        }
        let total = usize::try_from(matched.total).unwrap_or(usize::MAX);
        // The query's words are its terms in `name`.
        let mut highlighter = Highlighter::new(
            terms
                .iter()
                .filter(|(t, _)| t.field() == f.name)
                .filter_map(|(t, _)| t.value().as_str().map(str::to_owned)),
        );
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            let Some(node) = stored_str(&doc, f.iri).and_then(|iri| snapshot.node_by_iri(iri)) else { continue };
            let texts = |field| doc.get_all(field).filter_map(|v| v.as_str()).collect::<Vec<_>>().join(" ");
            let mut snippet = highlighter.snippet(&texts(f.body), 160);
            if snippet.is_empty() {
                snippet = highlighter.snippet(&texts(f.name), 150);
            }
            hits.push(self.hit(snapshot, node, score, snippet, &doc));
        }
        Ok(SearchResults { total, version, hits, facets: counts })
    }

    fn hit(&self, snapshot: &Snapshot, node: NodeId, score: f32, snippet: String, doc: &TantivyDocument) -> SearchHit {
        let f = self.fields();
        let alignments: Vec<Alignment> =
            stored_str(doc, f.alignments).and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default();
        let aligned = alignments
            .into_iter()
            .filter_map(|a| {
                let n = snapshot.node_by_iri(&a.node)?;
                Some(AlignedNode {
                    iri: a.node,
                    id: snapshot.local_name(n).to_owned(),
                    label: snapshot.label(n, None).to_owned(),
                    relation: a.relation,
                    confidence: a.confidence,
                })
            })
            .collect();
        let attrs = snapshot.attrs(node);
        SearchHit {
            iri: snapshot.iri(node).to_owned(),
            id: snapshot.local_name(node).to_owned(),
            kind: snapshot.kind(node),
            label: snapshot.label(node, None).to_owned(),
            score,
            snippet,
            level: attrs.grade.or_else(|| doc.get_first(f.level).and_then(|v| v.as_u64()).map(|l| l as u8)),
            resource_type: attrs.resource_type.map(|s| snapshot.symbol(s).to_owned()),
            aligned,
        }
    }

    /// Type-ahead on node labels: the nodes whose labels contain every CJK bigram of `text`
    /// and its words, the last word as a prefix. Resources are left out unless `kinds` asks
    /// for them.
    pub fn suggest(
        &self,
        snapshot: &Snapshot,
        text: &str,
        kinds: &[NodeKind],
        limit: usize,
    ) -> Result<Vec<Suggestion>, SearchError> {
        let f = *self.fields();
        let grams = query_grams(text);
        let Some((last, rest)) = grams.split_last() else { return Ok(Vec::new()) };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> =
            rest.iter().map(|g| (Occur::Must, term_query(f.grams, g))).collect();
        if last.chars().any(is_cjk) {
            clauses.push((Occur::Must, term_query(f.grams, last)));
        } else {
            let pattern = format!("{}.*", regex_escape(last));
            clauses.push((Occur::Must, Box::new(RegexQuery::from_pattern(&pattern, f.grams)?)));
        }
        if kinds.is_empty() {
            clauses.push((Occur::MustNot, term_query(f.kind, NodeKind::Resource.as_str())));
        } else if let Some(filter) = facet_filter(&f, "kind", kinds.iter().map(|k| k.as_str().to_owned())) {
            clauses.push((Occur::Must, filter));
        }
        let searcher = self.searcher();
        let top: Vec<(f32, DocAddress)> =
            searcher.search(&BooleanQuery::new(clauses), &TopDocs::with_limit(limit.max(1)).order_by_score())?;
        let mut out = Vec::with_capacity(top.len());
        for (_, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            if let Some(node) = stored_str(&doc, f.iri).and_then(|iri| snapshot.node_by_iri(iri)) {
                out.push(Suggestion {
                    iri: snapshot.iri(node).to_owned(),
                    id: snapshot.local_name(node).to_owned(),
                    kind: snapshot.kind(node),
                    label: snapshot.label(node, None).to_owned(),
                });
            }
        }
        Ok(out)
    }
}

fn regex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if !c.is_alphanumeric() {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A resource aligned to a node, as the index holds it.
#[derive(Clone, Debug, PartialEq)]
pub struct AlignedResource {
    /// The resource.
    pub node: NodeId,
    /// Its type (lesson, exercise, ...).
    pub resource_type: Option<String>,
    /// Its school grade.
    pub level: Option<u8>,
    /// `teaches` or `assesses`.
    pub relation: String,
    /// Confidence of the alignment.
    pub confidence: f32,
}

impl SearchIndex {
    /// Every resource the index knows as aligned to `node` or to a node it replaces or matches
    /// exactly ([`Snapshot::equivalents`]), at most `limit` per node: one term lookup per node in the
    /// `aligned` postings, then the stored alignments of each resource (each resource once).
    pub fn aligned_resources(
        &self,
        snapshot: &Snapshot,
        node: NodeId,
        limit: usize,
    ) -> Result<Vec<AlignedResource>, SearchError> {
        let f = *self.fields();
        let searcher = self.searcher();
        let mut out: Vec<AlignedResource> = Vec::new();
        for aligned_to in std::iter::once(node).chain(snapshot.equivalents(node)) {
            let iri = snapshot.iri(aligned_to);
            let query = term_query(f.aligned, iri);
            let top = searcher.search(&*query, &TopDocs::with_limit(limit.max(1)).order_by_score())?;
            for (_, address) in top {
                let doc: TantivyDocument = searcher.doc(address)?;
                let Some(resource) = stored_str(&doc, f.iri).and_then(|i| snapshot.node_by_iri(i)) else { continue };
                // One term's documents are distinct; later terms may repeat a resource.
                if aligned_to != node && out.iter().any(|r| r.node == resource) {
                    continue;
                }
                let alignments: Vec<Alignment> =
                    stored_str(&doc, f.alignments).and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default();
                let Some(a) = alignments.into_iter().find(|a| a.node == iri) else { continue };
                let attrs = snapshot.attrs(resource);
                out.push(AlignedResource {
                    node: resource,
                    resource_type: attrs.resource_type.map(|s| snapshot.symbol(s).to_owned()),
                    level: attrs.grade.or_else(|| doc.get_first(f.level).and_then(|v| v.as_u64()).map(|l| l as u8)),
                    relation: a.relation,
                    confidence: a.confidence,
                });
            }
        }
        Ok(out)
    }
}
