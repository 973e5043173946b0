//! Highlighted snippets: the passage of a stored text with the most query words, the words in
//! `<b>`, HTML-escaped.
//!
//! A query word made of CJK characters is highlighted wherever those characters occur (as
//! jieba's search mode indexes the words inside longer words: 分数加减法 holds 分数, 加减 and
//! 加减法); any other query word is highlighted where a word of the text, lower-cased and
//! stemmed as the index does, equals it. Overlapping highlights merge, and the window of at
//! most `max_chars` characters that starts at a highlight and holds the most highlights is
//! shown (with a little text before it). No segmentation runs at query time, and tantivy's
//! own snippet generator, which expects tokens in increasing offsets and panics on jieba's
//! overlapping ones, is not used. Cost: linear in the text per query word.

use std::collections::HashSet;
use std::ops::Range;

use tantivy::tokenizer::{Language, LowerCaser, SimpleTokenizer, Stemmer, TextAnalyzer, TokenStream as _};

use super::analysis::is_cjk;

/// Characters of context shown before the first highlight of a window.
const LEAD: usize = 12;

/// Makes snippets for one query.
pub(crate) struct Highlighter {
    /// Query words of CJK characters, found as substrings.
    cjk: Vec<String>,
    /// Other query words, found as analysed words.
    words: HashSet<String>,
    analyzer: TextAnalyzer,
}

impl Highlighter {
    /// A highlighter of `terms` (the query's analysed words).
    pub(crate) fn new(terms: impl IntoIterator<Item = String>) -> Self {
        let (cjk, words): (Vec<String>, Vec<String>) =
            terms.into_iter().filter(|t| !t.is_empty()).partition(|t| t.chars().all(is_cjk));
        let analyzer = TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(LowerCaser)
            .filter(Stemmer::new(Language::English))
            .build();
        Highlighter { cjk, words: words.into_iter().collect(), analyzer }
    }

    /// The merged byte ranges of `text` that are query words, in order.
    fn highlights(&mut self, text: &str) -> Vec<Range<usize>> {
        let mut ranges: Vec<Range<usize>> = Vec::new();
        for term in &self.cjk {
            ranges.extend(text.match_indices(term.as_str()).map(|(at, m)| at..at + m.len()));
        }
        if !self.words.is_empty() && text.chars().any(|c| c.is_alphanumeric() && !is_cjk(c)) {
            let mut stream = self.analyzer.token_stream(text);
            while stream.advance() {
                let token = stream.token();
                if self.words.contains(&token.text)
                    && token.offset_from < token.offset_to
                    && token.offset_to <= text.len()
                {
                    ranges.push(token.offset_from..token.offset_to);
                }
            }
        }
        ranges.sort_unstable_by_key(|r| (r.start, r.end));
        let mut merged: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
        for r in ranges {
            match merged.last_mut() {
                Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
                _ => merged.push(r),
            }
        }
        merged
    }

    /// The snippet of `text` as HTML; empty when no query word is in it.
    pub(crate) fn snippet(&mut self, text: &str, max_chars: usize) -> String {
        let highlights = self.highlights(text);
        if highlights.is_empty() {
            return String::new();
        }
        let window = window(text, &highlights, max_chars.max(1));
        let mut html = String::with_capacity(window.len() + 16 * highlights.len());
        let mut at = window.start;
        for h in &highlights {
            let (start, end) = (h.start.max(window.start), h.end.min(window.end));
            if start >= end {
                continue;
            }
            escape_into(&mut html, &text[at..start]);
            html.push_str("<b>");
            escape_into(&mut html, &text[start..end]);
            html.push_str("</b>");
            at = end;
        }
        escape_into(&mut html, &text[at..window.end]);
        html
    }
}

/// The byte range of at most `max_chars` characters of `text` holding the most highlights:
/// the whole text when short enough, otherwise a window starting `LEAD` characters before
/// one of the highlights, ending on a character boundary.
fn window(text: &str, highlights: &[Range<usize>], max_chars: usize) -> Range<usize> {
    let bounds: Vec<usize> = text.char_indices().map(|(i, _)| i).chain(std::iter::once(text.len())).collect();
    let chars = bounds.len() - 1;
    if chars <= max_chars {
        return 0..text.len();
    }
    let char_at = |byte: usize| bounds.partition_point(|&b| b < byte);
    let mut best = (0usize, 0usize);
    for (i, h) in highlights.iter().enumerate() {
        let first = char_at(h.start).saturating_sub(LEAD);
        let last = (first + max_chars).min(chars);
        let count = highlights[i..].iter().take_while(|g| char_at(g.end) <= last).count();
        if count > best.1 {
            best = (first, count);
        }
    }
    let first = best.0.min(chars - max_chars);
    bounds[first]..bounds[first + max_chars]
}

fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::analysis;

    fn highlighter(query: &str) -> Highlighter {
        Highlighter::new(analysis::unique_terms(&mut analysis::words_analyzer(), query))
    }

    #[test]
    fn overlapping_words_merge_into_one_highlight() {
        let mut h = highlighter("加减法");
        assert_eq!(h.snippet("学习分数加减法的规则", 160), "学习分数<b>加减法</b>的规则");
        let mut h = highlighter("分数 加减");
        assert_eq!(h.snippet("分数加减法", 160), "<b>分数加减</b>法");
    }

    #[test]
    fn words_inside_words_and_repeated_text_keep_the_snippet_inside_the_text() {
        // Search-mode sub-words overlap the words that hold them (tantivy's generator panics
        // on this text); every highlight must fall inside the text and the window.
        let text = "方形统材".repeat(60);
        for query in ["方形", "统材", "方", "形统", "方形统材"] {
            let mut h = highlighter(query);
            for max in [1, 3, 7, 40, 160] {
                let html = h.snippet(&text, max);
                let plain = html.replace("<b>", "").replace("</b>", "");
                assert!(plain.chars().count() <= max, "{query} {max}: {html}");
                assert!(text.contains(&plain), "{query} {max}: {html}");
            }
        }
    }

    #[test]
    fn the_window_is_where_the_words_are_and_text_is_escaped() {
        let text = format!("{}<b>Triangles</b> area & angle{}", "filler ".repeat(50), " tail".repeat(50));
        let mut h = highlighter("triangle angle");
        let html = h.snippet(&text, 40);
        assert!(html.contains("&lt;b&gt;<b>Triangles</b>&lt;/b&gt; area &amp; <b>angle</b>"), "{html}");
        assert!(!html.contains("tail tail tail tail tail tail"), "{html}");
        assert_eq!(h.snippet("nothing here", 40), "");
    }
}
