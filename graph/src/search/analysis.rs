//! Text analysis shared by indexing, search and linking.
//!
//! Two analysers, registered on the index under [`WORDS`] and [`GRAMS`]:
//! - **words**: jieba's search-mode segmentation (a long word also yields the shorter words
//!   inside it: 分数加减法 → 分数, 加减, 加减法, 分数加减法), tokens without a letter or digit
//!   dropped, a few function words dropped, lower-cased, English stemmed (Snowball);
//! - **grams**: every CJK character and every pair of adjacent CJK characters, and every other
//!   run of letters and digits as one lower-cased word, so that a one- or two-character query
//!   finds the labels containing it whatever jieba made of them.
//!
//! Both run in time linear in the text (jieba's dynamic programme is linear in the sentence).

use std::sync::LazyLock;

use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, Stemmer, TextAnalyzer, Token, TokenStream, Tokenizer,
};
use tantivy_jieba::jieba_rs::Jieba;

/// Name of the word analyser in the index's tokenizer registry.
pub(crate) const WORDS: &str = "tupu_words";
/// Name of the character n-gram analyser in the index's tokenizer registry.
pub(crate) const GRAMS: &str = "tupu_grams";

static JIEBA: LazyLock<Jieba> = LazyLock::new(Jieba::new);

/// Function words that carry no topic (Chinese particles and the commonest English ones).
const STOPWORDS: &[&str] = &[
    "的", "了", "和", "与", "及", "或", "是", "在", "把", "被", "个", "这", "那", "之", "等", "a", "an", "and", "the",
    "of", "to", "in", "for", "on", "with", "or", "is", "are",
];

/// Whether a character is a CJK ideograph.
pub fn is_cjk(c: char) -> bool {
    matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3400}'..='\u{4dbf}' | '\u{f900}'..='\u{faff}' | '\u{20000}'..='\u{2a6df}')
}

/// The word analyser.
pub(crate) fn words_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(WordTokenizer)
        .filter(RemoveLongFilter::limit(48))
        .filter(LowerCaser)
        .filter(Stemmer::new(Language::English))
        .build()
}

/// The character n-gram analyser.
pub(crate) fn grams_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(GramTokenizer).filter(RemoveLongFilter::limit(48)).filter(LowerCaser).build()
}

/// The terms an analyser makes of `text`, in order, duplicates kept.
pub(crate) fn terms(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

/// The terms of `text`, each once, in first-seen order.
pub(crate) fn unique_terms(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut out = terms(analyzer, text);
    let mut seen = std::collections::HashSet::new();
    out.retain(|t| seen.insert(t.clone()));
    out
}

/// Segments text into words with jieba (search mode).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct WordTokenizer;

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = VecTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        let mut tokens = Vec::new();
        for word in JIEBA.cut_for_search(text, true) {
            if !word.word.chars().any(char::is_alphanumeric) || STOPWORDS.contains(&word.word) {
                continue;
            }
            tokens.push(Token {
                offset_from: word.byte_start,
                offset_to: word.byte_end,
                position: tokens.len(),
                text: word.word.to_owned(),
                position_length: 1,
            });
        }
        VecTokenStream::new(tokens)
    }
}

/// CJK unigrams and bigrams, other alphanumeric runs as words.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct GramTokenizer;

impl Tokenizer for GramTokenizer {
    type TokenStream<'a> = VecTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        let mut tokens = Vec::new();
        let push = |from: usize, to: usize, tokens: &mut Vec<Token>| {
            let position = tokens.len();
            tokens.push(Token {
                offset_from: from,
                offset_to: to,
                position,
                text: text[from..to].to_owned(),
                position_length: 1,
            });
        };
        let mut previous_cjk: Option<usize> = None;
        let mut word_start: Option<usize> = None;
        for (i, c) in text.char_indices() {
            let end = i + c.len_utf8();
            if is_cjk(c) {
                if let Some(start) = word_start.take() {
                    push(start, i, &mut tokens);
                }
                push(i, end, &mut tokens);
                if let Some(p) = previous_cjk {
                    push(p, end, &mut tokens);
                }
                previous_cjk = Some(i);
            } else {
                previous_cjk = None;
                if c.is_alphanumeric() {
                    word_start.get_or_insert(i);
                } else if let Some(start) = word_start.take() {
                    push(start, i, &mut tokens);
                }
            }
        }
        if let Some(start) = word_start {
            push(start, text.len(), &mut tokens);
        }
        VecTokenStream::new(tokens)
    }
}

/// A token stream over tokens made up front.
#[derive(Debug)]
pub(crate) struct VecTokenStream {
    tokens: Vec<Token>,
    next: usize,
}

impl VecTokenStream {
    fn new(tokens: Vec<Token>) -> Self {
        Self { tokens, next: 0 }
    }
}

impl TokenStream for VecTokenStream {
    fn advance(&mut self) -> bool {
        if self.next < self.tokens.len() {
            self.next += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(analyzer: &mut TextAnalyzer, text: &str, expected: &[&str]) {
        assert_eq!(terms(analyzer, text), expected, "analysing {text:?}");
    }

    #[test]
    fn words_segment_chinese_and_stem_english() {
        let mut words = words_analyzer();
        let got = terms(&mut words, "分数加减法");
        assert!(got.contains(&"分数".to_owned()) && got.contains(&"加减法".to_owned()), "{got:?}");
        assert_eq!(terms(&mut words, "Counting FRACTIONS"), terms(&mut words, "count fraction"));
        assert_eq!(terms(&mut words, "the areas of triangles"), terms(&mut words, "area triangle"));
        assert_eq!(terms(&mut words, "the areas of triangles").len(), 2);
    }

    #[test]
    fn grams_make_unigrams_and_bigrams_of_cjk_runs() {
        check(&mut grams_analyzer(), "三角形 Area", &["三", "角", "三角", "形", "角形", "area"]);
        check(&mut grams_analyzer(), "x2加y", &["x2", "加", "y"]);
    }
}
