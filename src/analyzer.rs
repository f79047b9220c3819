//! Text analysis: text → terms, as a chain of one-job stages in a fixed order.
//!
//! # Stages, in order
//!
//! 1. **Segmentation.** Unicode word segmentation (UAX #29, `unicode-segmentation`'s `unicode_words`).
//!    Punctuation, symbols and whitespace are dropped; a word keeps inner apostrophes and periods
//!    ("zürich's", "e.g"), and a number keeps its decimal point ("3.14"). Every token holds at least one
//!    letter or digit and never holds whitespace.
//! 2. **Lowercasing** (if `lowercase`). ASCII tokens take a byte-wise fast path; others get full Unicode
//!    lowercasing, including Greek final sigma.
//! 3. **Stop-word removal.** Tokens equal to a stop word are dropped. The list is matched against the
//!    *lowercased, unstemmed* token, so a list of ordinary words works whatever the stemmer. With
//!    `lowercase` off, "The" is not matched by "the".
//! 4. **Stemming** (if `stemmer` is set): Snowball via `rust-stemmers`. Snowball expects lowercase
//!    input, so stemming with `lowercase` off leaves capitalised words mostly unstemmed. English words
//!    that are ASCII without capitals, up to 48 bytes, go through the `porter2` module instead: the same
//!    algorithm and the same stems, several times faster.
//! 5. **Word n-grams** for n = 1..=`word_ngrams`, from the tokens left after stages 3–4, joined by a single
//!    space. Removed stop words do not break an n-gram ("the cat of the hat" with English stop words gives
//!    the bigram "cat hat"), as in scikit-learn. Emitted as all unigrams in text order, then all bigrams, …
//! 6. **Character n-grams** (if `char_ngrams = Some((min, max))`), scikit-learn's `char_wb` scheme: each
//!    token of stage 3 (lowercased, stop words removed, **not stemmed**, because stems would hide exactly
//!    the morphology character n-grams are meant to capture) is padded with one space on each side and
//!    cut into n-grams for n = min..=max; a padded word shorter than n is emitted whole, once.
//!    Every character n-gram is prefixed with [`CHAR_NGRAM_PREFIX`] (`#`). Segmentation never puts `#`
//!    in a token (it is a word boundary and not alphanumeric), so a character n-gram can never equal a
//!    word term: "cat" the word and "#cat" the trigram are different terms.
//!
//! # Parameters ([`AnalyzerConfig`])
//!
//! | name | default | meaning | range |
//! |---|---|---|---|
//! | `lowercase` | `true` | lowercase tokens (stage 2) | |
//! | `stop_words` | `None` | [`StopWords::None`], the built-in [`StopWords::English`] list, or [`StopWords::Custom`] words (stored in the model) | |
//! | `stemmer` | `None` | Snowball language ([`Language`]) or no stemming | any of [`Language::ALL`] |
//! | `word_ngrams` | `1` | longest word n-gram | `1..=`[`MAX_WORD_NGRAMS`] |
//! | `char_ngrams` | `None` | `(min, max)` character n-gram lengths, or off | `1 <= min <= max <=` [`MAX_CHAR_NGRAM`] |
//!
//! The whole [`AnalyzerConfig`] is saved in the model, so prediction analyzes text exactly as training did.
//!
//! # Allocation
//!
//! [`Analyzer::for_each_term`] works in a caller-owned [`Scratch`]. Once its buffers have grown and its
//! stem cache has seen the corpus's words, analysis allocates nothing: terms are emitted as `&str`
//! slices of scratch buffers.
//!
//! # Speed
//!
//! Segmentation takes a byte-wise path on ASCII text that gives exactly `unicode_words`'s words (see
//! `for_each_word`; tests compare the two on every short ASCII string and on random mixed text). The
//! vectorizer uses stages 1–3 and 4 separately, so that it can cache and count words as integers.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::path::Path;
use std::str::FromStr;
use unicode_segmentation::UnicodeSegmentation;

/// Longest word n-gram accepted by [`AnalyzerConfig::check`].
pub const MAX_WORD_NGRAMS: usize = 10;
/// Longest character n-gram accepted by [`AnalyzerConfig::check`].
pub const MAX_CHAR_NGRAM: usize = 20;
/// Marks character n-gram terms; never part of a word token.
pub const CHAR_NGRAM_PREFIX: char = '#';

// The stem cache is cleared once it holds this many words, bounding memory on open-ended input.
const STEM_CACHE_LIMIT: usize = 200_000;
// Longer tokens (base64 blobs, URLs run together) are stemmed without caching: they rarely repeat and
// would make the cache's memory unbounded in bytes.
const STEM_CACHE_MAX_WORD: usize = 48;

/// Which stop words to remove (stage 3).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum StopWords {
    /// Keep every token.
    #[default]
    None,
    /// The built-in list, [`crate::stopwords::ENGLISH`].
    English,
    /// The user's own words, lowercase. Stored in the model, so the file is read only at training time.
    Custom(Vec<String>),
}

impl StopWords {
    /// Reads a stop-word file: one word per line; blank lines and everything from `#` to the end of a
    /// line are ignored; words are trimmed and lowercased, sorted and deduplicated.
    pub fn from_file(path: impl AsRef<Path>) -> Result<StopWords> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Ok(StopWords::from_lines(&text))
    }

    /// Parses the contents of a stop-word file (see [`StopWords::from_file`]).
    pub fn from_lines(text: &str) -> StopWords {
        let mut words: Vec<String> = text
            .lines()
            .map(|line| line.split('#').next().unwrap_or("").trim())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        words.sort();
        words.dedup();
        StopWords::Custom(words)
    }

    fn words(&self) -> Vec<&str> {
        match self {
            StopWords::None => Vec::new(),
            StopWords::English => crate::stopwords::ENGLISH.to_vec(),
            StopWords::Custom(words) => words.iter().map(String::as_str).collect(),
        }
    }
}

/// Stemming languages: every algorithm `rust-stemmers` 1.x provides. Names are lowercase English
/// ("english", "french", …) in [`FromStr`], [`Display`](fmt::Display) and serde.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Arabic,
    Danish,
    Dutch,
    English,
    Finnish,
    French,
    German,
    Greek,
    Hungarian,
    Italian,
    Norwegian,
    Portuguese,
    Romanian,
    Russian,
    Spanish,
    Swedish,
    Tamil,
    Turkish,
}

impl Language {
    /// Every language, in alphabetical order (for `--help` and validation messages).
    pub const ALL: [Language; 18] = [
        Language::Arabic,
        Language::Danish,
        Language::Dutch,
        Language::English,
        Language::Finnish,
        Language::French,
        Language::German,
        Language::Greek,
        Language::Hungarian,
        Language::Italian,
        Language::Norwegian,
        Language::Portuguese,
        Language::Romanian,
        Language::Russian,
        Language::Spanish,
        Language::Swedish,
        Language::Tamil,
        Language::Turkish,
    ];

    /// The lowercase English name, as accepted by [`FromStr`].
    pub fn name(self) -> &'static str {
        match self {
            Language::Arabic => "arabic",
            Language::Danish => "danish",
            Language::Dutch => "dutch",
            Language::English => "english",
            Language::Finnish => "finnish",
            Language::French => "french",
            Language::German => "german",
            Language::Greek => "greek",
            Language::Hungarian => "hungarian",
            Language::Italian => "italian",
            Language::Norwegian => "norwegian",
            Language::Portuguese => "portuguese",
            Language::Romanian => "romanian",
            Language::Russian => "russian",
            Language::Spanish => "spanish",
            Language::Swedish => "swedish",
            Language::Tamil => "tamil",
            Language::Turkish => "turkish",
        }
    }

    /// All names, comma-separated: "arabic, danish, …, turkish".
    pub fn names() -> String {
        Language::ALL.map(Language::name).join(", ")
    }

    /// Parses a stemmer setting as a user types it: a language name, or "none" for no stemming.
    pub fn parse_stemmer(s: &str) -> Result<Option<Language>> {
        if s.trim().eq_ignore_ascii_case("none") {
            Ok(None)
        } else {
            s.parse().map(Some)
        }
    }

    fn algorithm(self) -> rust_stemmers::Algorithm {
        use rust_stemmers::Algorithm as A;
        match self {
            Language::Arabic => A::Arabic,
            Language::Danish => A::Danish,
            Language::Dutch => A::Dutch,
            Language::English => A::English,
            Language::Finnish => A::Finnish,
            Language::French => A::French,
            Language::German => A::German,
            Language::Greek => A::Greek,
            Language::Hungarian => A::Hungarian,
            Language::Italian => A::Italian,
            Language::Norwegian => A::Norwegian,
            Language::Portuguese => A::Portuguese,
            Language::Romanian => A::Romanian,
            Language::Russian => A::Russian,
            Language::Spanish => A::Spanish,
            Language::Swedish => A::Swedish,
            Language::Tamil => A::Tamil,
            Language::Turkish => A::Turkish,
        }
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Language {
    type Err = Error;

    fn from_str(s: &str) -> Result<Language> {
        let wanted = s.trim();
        Language::ALL
            .into_iter()
            .find(|l| l.name().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| {
                Error::param("stemmer", s, format!("one of: none, {}", Language::names()))
            })
    }
}

/// The analyzer's settings, saved in the model. See the module docs for the table of parameters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalyzerConfig {
    pub lowercase: bool,
    pub stop_words: StopWords,
    pub stemmer: Option<Language>,
    pub word_ngrams: usize,
    pub char_ngrams: Option<(usize, usize)>,
}

impl Default for AnalyzerConfig {
    fn default() -> Self {
        AnalyzerConfig {
            lowercase: true,
            stop_words: StopWords::None,
            stemmer: None,
            word_ngrams: 1,
            char_ngrams: None,
        }
    }
}

impl AnalyzerConfig {
    /// Checks the n-gram ranges.
    pub fn check(&self) -> Result<()> {
        if !(1..=MAX_WORD_NGRAMS).contains(&self.word_ngrams) {
            return Err(Error::param(
                "word_ngrams",
                self.word_ngrams,
                format!("an integer in 1..={MAX_WORD_NGRAMS}"),
            ));
        }
        if let Some((lo, hi)) = self.char_ngrams
            && !(1 <= lo && lo <= hi && hi <= MAX_CHAR_NGRAM)
        {
            return Err(Error::param(
                "char_ngrams",
                format!("{lo}..{hi}"),
                format!("min..max with 1 <= min <= max <= {MAX_CHAR_NGRAM}"),
            ));
        }
        Ok(())
    }
}

/// A small, fast, non-cryptographic string hasher (multiply-rotate over 8-byte words, with a final
/// avalanche so that hashbrown's use of both high and low bits works). Hash flooding is not a concern
/// for an offline tool whose keys come from the user's own corpus.
#[derive(Clone, Copy, Default)]
pub(crate) struct FastHasher(u64);

pub(crate) type FastBuild = BuildHasherDefault<FastHasher>;

const HASH_K: u64 = 0x9e37_79b9_7f4a_7c15;

impl FastHasher {
    #[inline]
    fn mix(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(23) ^ word).wrapping_mul(HASH_K);
    }
}

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.mix(u64::from_le_bytes([
                c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7],
            ]));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            // The length byte keeps "ab" and "ab\0" apart.
            last[7] ^= rest.len() as u8;
            self.mix(u64::from_le_bytes(last));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.mix(i as u64);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.mix(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h
    }
}

/// Hash of a string with [`FastHasher`] (the same value a `HashMap<str, _, FastBuild>` would use,
/// minus the `str` terminator byte; only used by detente's own tables).
#[inline]
pub(crate) fn hash_str(s: &str) -> u64 {
    let mut h = FastHasher::default();
    h.write(s.as_bytes());
    h.finish()
}

/// A built analyzer: the config plus its stop-word set and stemmer.
pub struct Analyzer {
    config: AnalyzerConfig,
    stop: HashSet<Box<str>, FastBuild>,
    stemmer: Option<rust_stemmers::Stemmer>,
}

impl Clone for Analyzer {
    fn clone(&self) -> Self {
        Analyzer {
            config: self.config.clone(),
            stop: self.stop.clone(),
            stemmer: self
                .config
                .stemmer
                .map(|l| rust_stemmers::Stemmer::create(l.algorithm())),
        }
    }
}

impl fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Analyzer")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl PartialEq for Analyzer {
    fn eq(&self, other: &Self) -> bool {
        self.config == other.config
    }
}

/// Reusable per-thread buffers for [`Analyzer::for_each_term`]. One `Scratch` may serve several
/// analyzers; its stem cache resets itself when the stemming language changes.
#[derive(Default, Debug)]
pub struct Scratch {
    pub(crate) lower: String,
    // Tokens after stop-word removal, joined by single spaces so that a word n-gram is one slice.
    plain: String,
    plain_spans: Vec<(usize, usize)>,
    stemmed: String,
    stemmed_spans: Vec<(usize, usize)>,
    // token → stem, `None` when the stemmer leaves the token unchanged (saves a copy).
    stems: HashMap<Box<str>, Option<Box<str>>, FastBuild>,
    stems_for: Option<Language>,
    pub(crate) char_grams: CharGrams,
    /// A document's terms, for the vectorizer's batched vocabulary look-ups.
    pub(crate) batch: TermBatch,
    /// The vectorizer's per-thread cache of word ids, and a document's word ids and n-gram nodes.
    pub(crate) tokens: crate::grams::TokenCache,
    pub(crate) doc_tokens: crate::grams::Tokens,
    pub(crate) word_ids: Vec<u32>,
    pub(crate) nodes: Vec<u32>,
    /// The count of each distinct term of a document.
    pub(crate) runs: Vec<u32>,
}

/// Buffers of stage 6.
#[derive(Default, Debug)]
pub(crate) struct CharGrams {
    padded: String,
    char_starts: Vec<usize>,
    gram: String,
}

impl CharGrams {
    /// Stage 6 for one token: calls `emit` with its character n-grams, n = `min_n..=max_n`.
    #[inline]
    pub(crate) fn each(
        &mut self,
        token: &str,
        (min_n, max_n): (usize, usize),
        mut emit: impl FnMut(&str),
    ) {
        let CharGrams {
            padded,
            char_starts,
            gram,
        } = self;
        padded.clear();
        padded.push(' ');
        padded.push_str(token);
        padded.push(' ');
        char_starts.clear();
        char_starts.extend(padded.char_indices().map(|(i, _)| i));
        char_starts.push(padded.len());
        let len = char_starts.len() - 1;
        for n in min_n..=max_n {
            if len <= n {
                emit_char_gram(gram, padded, &mut emit);
                break;
            }
            for i in 0..=len - n {
                emit_char_gram(gram, &padded[char_starts[i]..char_starts[i + n]], &mut emit);
            }
        }
    }
}

/// Terms copied into one buffer with their hashes, so that a caller can look many up at once (the
/// look-ups' memory accesses then overlap instead of waiting on each other).
#[derive(Default, Debug)]
pub(crate) struct TermBatch {
    text: String,
    ends: Vec<usize>,
    pub(crate) hashes: Vec<u64>,
}

impl TermBatch {
    pub(crate) fn clear(&mut self) {
        self.text.clear();
        self.ends.clear();
        self.hashes.clear();
    }

    #[inline]
    pub(crate) fn push(&mut self, term: &str) {
        self.text.push_str(term);
        self.ends.push(self.text.len());
        self.hashes.push(hash_str(term));
    }

    #[inline]
    pub(crate) fn term(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.text[start..self.ends[i]]
    }
}

impl Analyzer {
    /// Checks `config` and builds the stop-word set and stemmer.
    pub fn new(config: AnalyzerConfig) -> Result<Analyzer> {
        config.check()?;
        let mut stop: HashSet<Box<str>, FastBuild> = HashSet::default();
        for w in config.stop_words.words() {
            if w.contains('\'') {
                stop.insert(w.replace('\'', "\u{2019}").into_boxed_str());
            }
            stop.insert(w.into());
        }
        let stemmer = config
            .stemmer
            .map(|l| rust_stemmers::Stemmer::create(l.algorithm()));
        Ok(Analyzer {
            config,
            stop,
            stemmer,
        })
    }

    pub fn config(&self) -> &AnalyzerConfig {
        &self.config
    }

    /// Stages 1–3: calls `f` with every token of `text`, lowercased (if configured), stop words removed.
    #[inline]
    pub(crate) fn for_each_token(&self, text: &str, lower: &mut String, mut f: impl FnMut(&str)) {
        if self.config.lowercase && text.is_ascii() {
            // Lowercasing ASCII letters changes no word boundary, so an ASCII text is lowercased
            // whole (one pass, no copy per word) and then segmented.
            let text = if text.bytes().any(|b| b.is_ascii_uppercase()) {
                lower.clear();
                lower.push_str(text);
                lower.make_ascii_lowercase();
                &**lower
            } else {
                text
            };
            ascii_words(text, &mut |token, _| {
                if self.stop.is_empty() || !self.stop.contains(token) {
                    f(token);
                }
            });
            return;
        }
        for_each_word(text, |word, ascii| {
            let token = if !self.config.lowercase {
                word
            } else if ascii {
                if word.bytes().any(|b| b.is_ascii_uppercase()) {
                    lower.clear();
                    lower.push_str(word);
                    lower.make_ascii_lowercase();
                    &**lower
                } else {
                    word
                }
            } else {
                lowercase(word, &mut *lower)
            };
            if self.stop.is_empty() || !self.stop.contains(token) {
                f(token);
            }
        });
    }

    /// Stage 4 for one token, uncached: its stem, or the token itself without a stemmer.
    #[inline]
    pub fn stem<'a>(&self, token: &'a str) -> std::borrow::Cow<'a, str> {
        match &self.stemmer {
            Some(stemmer) => self.fast_stem(token).unwrap_or_else(|| stemmer.stem(token)),
            None => std::borrow::Cow::Borrowed(token),
        }
    }

    /// The stem of `token` by [`crate::porter2`] (the same as rust-stemmers' English, faster) when
    /// stemming is English and the token is one it handles.
    #[inline]
    fn fast_stem<'a>(&self, token: &'a str) -> Option<std::borrow::Cow<'a, str>> {
        match self.config.stemmer {
            Some(Language::English) => crate::porter2::stem(token),
            _ => None,
        }
    }

    /// Calls `emit` with every term of `text`, in the order given in the module docs.
    pub fn for_each_term<F: FnMut(&str)>(&self, text: &str, scratch: &mut Scratch, mut emit: F) {
        let Scratch {
            lower,
            plain,
            plain_spans,
            stemmed,
            stemmed_spans,
            stems,
            stems_for,
            char_grams,
            ..
        } = scratch;

        // Stages 1–3.
        plain.clear();
        plain_spans.clear();
        self.for_each_token(text, lower, |token| push_token(plain, plain_spans, token));

        // Stage 4.
        let (words, spans) = match &self.stemmer {
            None => (&*plain, &*plain_spans),
            Some(stemmer) => {
                if *stems_for != self.config.stemmer {
                    stems.clear();
                    *stems_for = self.config.stemmer;
                }
                stemmed.clear();
                stemmed_spans.clear();
                for &(start, end) in plain_spans.iter() {
                    let token = &plain[start..end];
                    if let Some(cached) = stems.get(token) {
                        push_token(stemmed, stemmed_spans, cached.as_deref().unwrap_or(token));
                        continue;
                    }
                    let stem = self.fast_stem(token).unwrap_or_else(|| stemmer.stem(token));
                    push_token(stemmed, stemmed_spans, &stem);
                    if token.len() <= STEM_CACHE_MAX_WORD {
                        if stems.len() >= STEM_CACHE_LIMIT {
                            stems.clear();
                        }
                        let changed = (*stem != *token).then(|| Box::<str>::from(&*stem));
                        stems.insert(token.into(), changed);
                    }
                }
                (&*stemmed, &*stemmed_spans)
            }
        };

        // Stage 5.
        for n in 1..=self.config.word_ngrams.min(spans.len()) {
            for window in spans.windows(n) {
                emit(&words[window[0].0..window[n - 1].1]);
            }
        }

        // Stage 6.
        if let Some(range) = self.config.char_ngrams {
            for &(start, end) in plain_spans.iter() {
                char_grams.each(&plain[start..end], range, &mut emit);
            }
        }
    }

    /// All terms of `text`, in emission order (for tests and explanations; allocates).
    pub fn terms(&self, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        self.for_each_term(text, &mut Scratch::default(), |t| out.push(t.to_string()));
        out
    }
}

#[inline]
fn push_token(buf: &mut String, spans: &mut Vec<(usize, usize)>, token: &str) {
    if !buf.is_empty() {
        buf.push(' ');
    }
    let start = buf.len();
    buf.push_str(token);
    spans.push((start, buf.len()));
}

#[inline]
fn emit_char_gram<F: FnMut(&str)>(gram: &mut String, slice: &str, emit: &mut F) {
    gram.clear();
    gram.push(CHAR_NGRAM_PREFIX);
    gram.push_str(slice);
    emit(gram);
}

/// Stage 1: calls `f` with every word of `text`, exactly the words of `unicode_words`, and whether the
/// word is ASCII.
///
/// ASCII stretches take a byte-wise path. On ASCII, UAX #29 reduces to: letters, digits and `_` join;
/// `:` `.` `'` join two letters; `,` `;` `.` `'` join two digits; every other byte breaks; a segment is a
/// word if it holds a letter or digit. Text around non-ASCII characters goes to `unicode_words`, cut at
/// *split bytes*: an ASCII byte of none of the classes above (space, newline, punctuation) whose
/// neighbours are ASCII, and for a space, whose next byte is not a space. UAX #29 breaks on both sides of such a byte, and no rule looks across it (its
/// neighbours are not Extend or Format characters, which the rules skip), so the words on either side
/// do not depend on the other side. Tests check this against `unicode_words` itself.
fn for_each_word<'a>(text: &'a str, mut f: impl FnMut(&'a str, bool)) {
    let bytes = text.as_bytes();
    let n = bytes.len();
    // A space also joins the spaces after it (WB3d), and a combining mark after those.
    let split = |p: usize| {
        class(bytes[p]) == OTHER
            && (p == 0 || bytes[p - 1].is_ascii())
            && (p + 1 == n
                || (bytes[p + 1].is_ascii() && (bytes[p] != b' ' || bytes[p + 1] != b' ')))
    };
    if text.is_ascii() {
        ascii_words(text, &mut f);
        return;
    }
    let mut pos = 0;
    while pos < n {
        let Some(offset) = bytes[pos..].iter().position(|b| !b.is_ascii()) else {
            ascii_words(&text[pos..], &mut f);
            return;
        };
        let first = pos + offset;
        let start = match (pos..first).rev().find(|&p| split(p)) {
            Some(p) => {
                ascii_words(&text[pos..p], &mut f);
                p + 1
            }
            None => pos,
        };
        let end = (first + 1..n).find(|&p| split(p)).unwrap_or(n);
        for word in text[start..end].unicode_words() {
            f(word, word.is_ascii());
        }
        pos = end + 1;
    }
}

// Word-break classes of ASCII bytes, as far as the fast path needs them.
const OTHER: u8 = 0;
const LETTER: u8 = 1;
const DIGIT: u8 = 2;
const UNDERSCORE: u8 = 3;
const MID_LETTER: u8 = 4; // :
const MID_NUM: u8 = 5; // , ;
const MID_BOTH: u8 = 6; // . '

const CLASS: [u8; 128] = {
    let mut t = [OTHER; 128];
    let mut b = 0;
    while b < 128 {
        t[b] = match b as u8 {
            b'a'..=b'z' | b'A'..=b'Z' => LETTER,
            b'0'..=b'9' => DIGIT,
            b'_' => UNDERSCORE,
            b':' => MID_LETTER,
            b',' | b';' => MID_NUM,
            b'.' | b'\'' => MID_BOTH,
            _ => OTHER,
        };
        b += 1;
    }
    t
};

#[inline]
fn class(b: u8) -> u8 {
    if b.is_ascii() {
        CLASS[b as usize]
    } else {
        OTHER
    }
}

/// The words of an ASCII text (see [`for_each_word`]). Word bytes (letters, digits, `_`) are found 64 at a
/// time, as bit masks ([`WordBytes`]), so that a word's start and end cost a bit scan each rather than a
/// branch per byte; only the byte after a run of word bytes is looked at one by one, to see whether it
/// joins the run to the next.
#[inline]
fn ascii_words<'a>(text: &'a str, f: &mut impl FnMut(&'a str, bool)) {
    let b = text.as_bytes();
    let n = b.len();
    let mut bytes = WordBytes::new(b);
    let mut i = 0;
    loop {
        i = bytes.next(i, true);
        if i >= n {
            return;
        }
        let start = i;
        loop {
            i = bytes.next(i + 1, false);
            // `b[i]` ends the run; it joins the run to the next one between two letters or two digits.
            if i + 1 < n && joins(b[i - 1], b[i], b[i + 1]) {
                i += 1;
                continue;
            }
            break;
        }
        // A run of underscores alone holds no letter or digit.
        if b[start] != b'_' || b[start..i].iter().any(|&c| c != b'_') {
            f(&text[start..i], true);
        }
    }
}

/// Whether ASCII byte `mid` joins the bytes on either side into one word: `:` between two letters, `,` and
/// `;` between two digits, `.` and `'` between two of either. One table look-up, as most bytes after a
/// word are spaces and a branch on each class would often be mispredicted.
#[inline]
fn joins(prev: u8, mid: u8, next: u8) -> bool {
    const CLASSES: usize = MID_BOTH as usize + 1;
    const JOINS: [bool; CLASSES * CLASSES * CLASSES] = {
        let mut t = [false; CLASSES * CLASSES * CLASSES];
        let mut k = 0;
        while k < t.len() {
            let (prev, mid, next) = (
                (k / (CLASSES * CLASSES)) as u8,
                ((k / CLASSES) % CLASSES) as u8,
                (k % CLASSES) as u8,
            );
            t[k] = match mid {
                MID_LETTER => prev == LETTER && next == LETTER,
                MID_NUM => prev == DIGIT && next == DIGIT,
                MID_BOTH => prev == next && (prev == LETTER || prev == DIGIT),
                _ => false,
            };
            k += 1;
        }
        t
    };
    let class = |b: u8| CLASS[b as usize] as usize;
    JOINS[(class(prev) * CLASSES + class(mid)) * CLASSES + class(next)]
}

/// Which bytes of an ASCII text are word bytes (letters, digits, `_`), read as a bit mask per block of 64
/// bytes, the block last read kept.
struct WordBytes<'a> {
    bytes: &'a [u8],
    // Start of the block whose mask is `mask` (bit k: byte `block + k`); `usize::MAX` before the first.
    block: usize,
    mask: u64,
}

impl<'a> WordBytes<'a> {
    fn new(bytes: &'a [u8]) -> WordBytes<'a> {
        WordBytes {
            bytes,
            block: usize::MAX,
            mask: 0,
        }
    }

    /// The first position from `from` on whose byte is a word byte (`word`) or is not (`!word`), or the
    /// text's length if there is none.
    #[inline]
    fn next(&mut self, mut from: usize, word: bool) -> usize {
        let n = self.bytes.len();
        while from < n {
            let block = from & !63;
            if block != self.block {
                self.block = block;
                self.mask = block_mask(&self.bytes[block..n.min(block + 64)]);
            }
            // Past the end of the text, the mask holds non-word bytes.
            let wanted = if word { self.mask } else { !self.mask };
            let found = wanted & (u64::MAX << (from - block));
            if found != 0 {
                return n.min(block + found.trailing_zeros() as usize);
            }
            from = block + 64;
        }
        n
    }
}

/// The word-byte mask of up to 64 ASCII bytes (bit k for byte k), eight bytes at a time: each test is a
/// byte-wise comparison done with one addition, exact because no byte has its top bit set.
#[inline]
fn block_mask(bytes: &[u8]) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Bytes in lo..=hi: adding 0x80 - lo sets the top bit from lo up; adding 0x7f - hi, from above hi.
    let within = |x: u64, lo: u8, hi: u8| {
        x.wrapping_add((0x80 - lo as u64) * ONES)
            & !x.wrapping_add((0x7f - hi as u64) * ONES)
            & HIGH
    };
    let mut mask = 0u64;
    for (k, eight) in bytes.chunks(8).enumerate() {
        let mut word = [0u8; 8];
        word[..eight.len()].copy_from_slice(eight);
        let x = u64::from_le_bytes(word);
        let high = within(x, b'a', b'z')
            | within(x, b'A', b'Z')
            | within(x, b'0', b'9')
            | within(x, b'_', b'_');
        // The top bit of each byte gathered into the low eight bits, byte k to bit k.
        let bits = (high >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56;
        mask |= bits << (8 * k);
    }
    mask
}

/// Stage 2: `word` lowercased, borrowing `word` itself when it has nothing to lowercase.
fn lowercase<'a>(word: &'a str, buf: &'a mut String) -> &'a str {
    if word.is_ascii() {
        if !word.bytes().any(|b| b.is_ascii_uppercase()) {
            return word;
        }
        buf.clear();
        buf.push_str(word);
        buf.make_ascii_lowercase();
        return buf;
    }
    // Titlecase letters (ǅ) are not `is_uppercase` yet do lowercase, hence the full test.
    let changes = |c: char| {
        let mut lower = c.to_lowercase();
        lower.next() != Some(c) || lower.next().is_some()
    };
    if !word.chars().any(changes) {
        return word;
    }
    buf.clear();
    let mut prev_cased = false;
    let mut chars = word.chars().peekable();
    while let Some(c) = chars.next() {
        // Σ is ς at the end of a word; `char::to_lowercase` alone cannot know where the word ends.
        if c == 'Σ' && prev_cased && !chars.peek().is_some_and(|n| n.is_alphabetic()) {
            buf.push('ς');
        } else {
            buf.extend(c.to_lowercase());
        }
        prev_cased = c.is_alphabetic();
    }
    buf
}

/// Deterministic test texts shared by the analyzer's and the vectorizer's tests: news-like English with
/// inflections, numbers, joiners (`it's`, `e.g.`, `3.14`, `a_b`), mixed case, other scripts, and the corner
/// cases of segmentation (combining marks after a space, no-break spaces, Hebrew quotes, `#`, NUL).
#[cfg(test)]
pub(crate) mod testing {
    use super::{AnalyzerConfig, Language, StopWords};

    const WORDS: [&str; 40] = [
        "the",
        "The",
        "THE",
        "of",
        "and",
        "a",
        "in",
        "to",
        "is",
        "it",
        "running",
        "runs",
        "ran",
        "connected",
        "connections",
        "happily",
        "cats",
        "cat",
        "houses",
        "housing",
        "generously",
        "troops",
        "shelled",
        "border",
        "villages",
        "ceasefire",
        "agreement",
        "signed",
        "leaders",
        "ministry",
        "sanctions",
        "Missile",
        "tests",
        "Government",
        "talks",
        "fire",
        "overnight",
        "rebels",
        "attacked",
        "convoy",
    ];
    const ODD: [&str; 44] = [
        "1999",
        "3.14",
        "1,000",
        "42nd",
        "it's",
        "don’t",
        "e.g.",
        "U.S.",
        "foo_bar",
        "_init",
        "a:b",
        "x.y.z",
        "12;34",
        "7'8",
        "café",
        "Zürich's",
        "naïve",
        "ΟΔΟΣ",
        "σοφος",
        "Straße",
        "İstanbul",
        "Привет",
        "日本語",
        "🎉",
        "ǅemal",
        "ÉCOLE",
        " \u{345}",
        "\u{202f}",
        "a\u{202f}b",
        "\u{301}",
        "x\u{200d}",
        "a\u{ad}b",
        "\u{5d0}\"\u{5d0}",
        "#tag",
        "C#",
        "\u{3000}",
        "\u{fffd}",
        "\u{0}",
        "\u{64b}",
        "كتاب",
        "Ω\u{301}",
        "1\u{2007}000",
        "ｆｕｌｌ",
        "__",
    ];
    const SEPARATORS: [&str; 16] = [
        " ", " ", " ", " ", "  ", "\n", "\r\n", "\t", ", ", ". ", "; ", " - ", "(", ")\"", "'", "",
    ];

    /// Analyzer settings that between them exercise every stage.
    pub(crate) fn configs() -> Vec<AnalyzerConfig> {
        vec![
            AnalyzerConfig::default(),
            // The command line's defaults.
            AnalyzerConfig {
                stemmer: Some(Language::English),
                word_ngrams: 2,
                ..AnalyzerConfig::default()
            },
            AnalyzerConfig {
                stop_words: StopWords::English,
                stemmer: Some(Language::English),
                word_ngrams: 3,
                char_ngrams: Some((2, 4)),
                ..AnalyzerConfig::default()
            },
            AnalyzerConfig {
                lowercase: false,
                stop_words: StopWords::Custom(vec!["the".into(), "it's".into(), "cat".into()]),
                stemmer: Some(Language::French),
                word_ngrams: 2,
                char_ngrams: Some((1, 3)),
            },
            AnalyzerConfig {
                stemmer: Some(Language::Arabic),
                word_ngrams: 4,
                ..AnalyzerConfig::default()
            },
        ]
    }

    /// `n` texts of 0 to about 120 words; the same `seed` gives the same texts.
    pub(crate) fn texts(n: usize, seed: u64) -> Vec<String> {
        texts_with(n, seed, true)
    }

    /// As [`texts`], with or without the words that hold a space (a space followed by a combining
    /// mark) or that a stemmer may reduce to one (an Arabic diacritic alone).
    pub(crate) fn texts_with(n: usize, seed: u64, spaced_words: bool) -> Vec<String> {
        let mut state = seed | 1;
        let mut next = move |bound: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % bound as u64) as usize
        };
        (0..n)
            .map(|_| {
                let len = next(120);
                let mut text = String::new();
                for _ in 0..len {
                    match next(10) {
                        0 => {
                            let odd = ODD[next(ODD.len())];
                            if spaced_words || !(odd.starts_with(' ') || odd == "\u{64b}") {
                                text.push_str(odd);
                            }
                        }
                        // Made-up words, so that the vocabulary has a long tail.
                        1 => {
                            for _ in 0..1 + next(3) {
                                text.push_str(
                                    ["ka", "lo", "ment", "ing", "ed", "s", "tion", "pre"][next(8)],
                                );
                            }
                        }
                        _ => text.push_str(WORDS[next(WORDS.len())]),
                    }
                    text.push_str(SEPARATORS[next(SEPARATORS.len())]);
                }
                text
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analyzer(config: AnalyzerConfig) -> Analyzer {
        Analyzer::new(config).unwrap()
    }

    fn words_only() -> Analyzer {
        analyzer(AnalyzerConfig {
            lowercase: false,
            ..AnalyzerConfig::default()
        })
    }

    /// The analyzer as its module docs define it, written the plain way: every stage a separate pass
    /// over owned strings, segmentation straight from `unicode_words`, no caches.
    fn reference_terms(config: &AnalyzerConfig, text: &str) -> Vec<String> {
        let mut stop: HashSet<String> = HashSet::new();
        for w in config.stop_words.words() {
            stop.insert(w.replace('\'', "\u{2019}"));
            stop.insert(w.to_string());
        }
        let stemmer = config
            .stemmer
            .map(|l| rust_stemmers::Stemmer::create(l.algorithm()));
        let plain: Vec<String> = text
            .unicode_words()
            .map(|w| {
                if config.lowercase {
                    lowercase(w, &mut String::new()).to_string()
                } else {
                    w.to_string()
                }
            })
            .filter(|t| !stop.contains(t))
            .collect();
        let words: Vec<String> = plain
            .iter()
            .map(|t| {
                stemmer
                    .as_ref()
                    .map_or(t.clone(), |s| s.stem(t).into_owned())
            })
            .collect();
        let mut out = Vec::new();
        for n in 1..=config.word_ngrams {
            for window in words.windows(n) {
                out.push(window.join(" "));
            }
        }
        if let Some((min_n, max_n)) = config.char_ngrams {
            for token in &plain {
                let padded: Vec<char> = format!(" {token} ").chars().collect();
                for n in min_n..=max_n {
                    if padded.len() <= n {
                        out.push(format!("#{}", padded.iter().collect::<String>()));
                        break;
                    }
                    for gram in padded.windows(n) {
                        out.push(format!("#{}", gram.iter().collect::<String>()));
                    }
                }
            }
        }
        out
    }

    #[test]
    fn terms_match_the_reference_pipeline() {
        let texts = testing::texts(300, 7);
        let mut scratch = Scratch::default();
        for config in testing::configs() {
            let a = analyzer(config.clone());
            for text in &texts {
                let mut got = Vec::new();
                a.for_each_term(text, &mut scratch, |t| got.push(t.to_string()));
                assert_eq!(
                    got,
                    reference_terms(&config, text),
                    "{config:?} on {text:?}"
                );
            }
        }
    }

    fn words_of(text: &str) -> Vec<&str> {
        let mut out = Vec::new();
        for_each_word(text, |w, ascii| {
            assert_eq!(ascii, w.is_ascii());
            out.push(w)
        });
        out
    }

    // Every ASCII string of up to 5 bytes over an alphabet with one byte of each word-break class
    // (and of the classes that look alike), then random longer ones.
    #[test]
    fn ascii_segmentation_equals_unicode_words() {
        let alphabet = b"aZ1_:.',;\" \n\r\t-#\x0b\x00";
        let mut text = Vec::new();
        let mut counter = [0usize; 6];
        for len in 0..=5 {
            counter.iter_mut().for_each(|c| *c = 0);
            loop {
                text.clear();
                text.extend(counter[..len].iter().map(|&i| alphabet[i]));
                let s = std::str::from_utf8(&text).unwrap();
                assert_eq!(words_of(s), s.unicode_words().collect::<Vec<_>>(), "{s:?}");
                // Next string of this length.
                let mut k = 0;
                while k < len && counter[k] + 1 == alphabet.len() {
                    counter[k] = 0;
                    k += 1;
                }
                if k == len {
                    break;
                }
                counter[k] += 1;
            }
        }
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..200_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 24) as usize;
            let s: String = (0..len)
                .map(|i| alphabet[((state >> (i * 2 % 60)) as usize + i) % alphabet.len()] as char)
                .collect();
            assert_eq!(words_of(&s), s.unicode_words().collect::<Vec<_>>(), "{s:?}");
        }
    }

    // The masks' word bytes are the word-break classes' (letters, digits, `_`), for every ASCII byte at
    // every position of a block and of a shorter tail.
    #[test]
    fn block_masks_mark_the_word_classes() {
        for b in 0..128u8 {
            let word = matches!(CLASS[b as usize], LETTER | DIGIT | UNDERSCORE);
            for len in [1, 7, 8, 9, 63, 64] {
                let expected = if word { u64::MAX >> (64 - len) } else { 0 };
                assert_eq!(block_mask(&vec![b; len]), expected, "byte {b}, {len} bytes");
            }
        }
    }

    // Texts longer than the 64-byte blocks the word bytes are read in, with words and joins across
    // the blocks' edges, at every offset.
    #[test]
    fn ascii_segmentation_across_blocks_equals_unicode_words() {
        let alphabet = b"abcdefghijklmnopqrstuvwxyzABC0123456789_:.',; \n-";
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut text = String::new();
        for _ in 0..3_000 {
            text.clear();
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = 60 + (state % 200) as usize;
            for _ in 0..len {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                // Mostly letters and digits, so that runs of word bytes often reach a block's edge.
                let pick = (state >> 11) as usize;
                let c = if pick.is_multiple_of(4) {
                    alphabet[pick / 4 % alphabet.len()]
                } else {
                    alphabet[pick / 4 % 36]
                };
                text.push(c as char);
            }
            for start in [0, 1, 7, 63] {
                let s = &text[start.min(text.len())..];
                assert_eq!(words_of(s), s.unicode_words().collect::<Vec<_>>(), "{s:?}");
            }
        }
        let long = "x".repeat(200) + "'s " + &"9".repeat(130) + "." + &"1".repeat(70);
        assert_eq!(words_of(&long), long.unicode_words().collect::<Vec<_>>());
    }

    // Mixed text: non-ASCII characters of every class that could interact with their ASCII neighbours
    // (combining marks, format characters, joiners, other spaces, Hebrew, Katakana, regional indicators,
    // no-break spaces, MidLetter and MidNum characters outside ASCII) among ASCII of every class.
    #[test]
    fn mixed_segmentation_equals_unicode_words() {
        let pieces = [
            "a",
            "Z",
            "1",
            "_",
            ":",
            ".",
            "'",
            ",",
            ";",
            "\"",
            " ",
            "\n",
            "\r",
            "\t",
            "-",
            "#",
            "\u{301}",
            "\u{345}",
            "\u{ad}",
            "\u{200d}",
            "\u{200b}",
            "\u{3000}",
            "\u{a0}",
            "\u{202f}",
            "\u{2007}",
            "\u{5d0}",
            "\u{30a2}",
            "\u{1f1fa}",
            "\u{1f600}",
            "\u{b7}",
            "\u{2019}",
            "\u{ff0c}",
            "é",
            "ß",
            "Σ",
            "\u{661}",
            "\u{fe0f}",
            "\u{85}",
            "\u{2028}",
            "日",
        ];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..300_000 {
            let mut s = String::new();
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = state % 16;
            for _ in 0..len {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                // Mostly ASCII, as in real text.
                let i = if state.is_multiple_of(3) {
                    state >> 8
                } else {
                    state >> 8 & 15
                };
                s.push_str(pieces[i as usize % pieces.len()]);
            }
            assert_eq!(words_of(&s), s.unicode_words().collect::<Vec<_>>(), "{s:?}");
        }
        for text in super::testing::texts(200, 3) {
            assert_eq!(words_of(&text), text.unicode_words().collect::<Vec<_>>());
        }
    }

    #[test]
    fn segmentation_keeps_unicode_words_and_drops_punctuation() {
        assert_eq!(
            words_only().terms("Zürich's café — naïve!"),
            ["Zürich's", "café", "naïve"]
        );
        assert_eq!(
            words_only().terms("Καλημέρα κόσμε, Привет мир."),
            ["Καλημέρα", "κόσμε", "Привет", "мир"]
        );
        assert_eq!(
            words_only().terms("pi is 3.14, not 3,000; it's 42nd-best (e.g. C#)"),
            [
                "pi", "is", "3.14", "not", "3,000", "it's", "42nd", "best", "e.g", "C"
            ]
        );
    }

    #[test]
    fn segmentation_survives_odd_input() {
        let a = words_only();
        assert!(a.terms("").is_empty());
        assert!(a.terms("?!… — ### \u{0} \t\n").is_empty());
        assert_eq!(a.terms("a\u{0}b"), ["a", "b"]);
        assert_eq!(a.terms("\u{feff}x\u{fffd}y"), ["x", "y"]);
        let huge = "word ".repeat(100_000);
        assert_eq!(a.terms(&huge).len(), 100_000);
        let all = analyzer(AnalyzerConfig {
            stop_words: StopWords::English,
            stemmer: Some(Language::English),
            word_ngrams: 3,
            char_ngrams: Some((1, 5)),
            ..AnalyzerConfig::default()
        });
        for text in [
            "",
            " ",
            "\u{0}",
            "ǅ Σ ΣΣ İ ß 🎉 \u{301}",
            &"x".repeat(100_000),
        ] {
            all.terms(text);
        }
    }

    #[test]
    fn lowercase_has_ascii_and_unicode_paths() {
        let a = analyzer(AnalyzerConfig::default());
        assert_eq!(a.terms("HeLLo WORLD"), ["hello", "world"]);
        assert_eq!(
            a.terms("ÉCOLE Straße ΟΔΟΣ ΣΟΦΟΣ İstanbul Привет"),
            [
                "école",
                "straße",
                "οδος",
                "σοφος",
                "i\u{307}stanbul",
                "привет"
            ]
        );
        for word in ["ΟΔΟΣ", "ΣΟΦΟΣ", "ΑΣ", "Σ", "ÀÉÎ", "ǅemal"] {
            assert_eq!(lowercase(word, &mut String::new()), word.to_lowercase());
        }
    }

    #[test]
    fn english_stop_words_are_removed_after_lowercasing() {
        let a = analyzer(AnalyzerConfig {
            stop_words: StopWords::English,
            ..AnalyzerConfig::default()
        });
        assert_eq!(
            a.terms("The cat and THE hat: it's what you’re in"),
            ["cat", "hat"]
        );
    }

    #[test]
    fn stop_words_from_a_user_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stop.txt");
        std::fs::write(&path, "# my list\nCat\n\n  hat  # trailing comment\ncat\n").unwrap();
        let stop = StopWords::from_file(&path).unwrap();
        assert_eq!(stop, StopWords::Custom(vec!["cat".into(), "hat".into()]));
        let a = analyzer(AnalyzerConfig {
            stop_words: stop,
            ..AnalyzerConfig::default()
        });
        assert_eq!(a.terms("the Cat in the hat"), ["the", "in", "the"]);

        let missing = StopWords::from_file(dir.path().join("nope.txt")).unwrap_err();
        assert!(matches!(missing, Error::Io { .. }), "{missing}");
    }

    #[test]
    fn stop_list_is_matched_before_stemming() {
        let a = analyzer(AnalyzerConfig {
            stop_words: StopWords::Custom(vec!["running".into()]),
            stemmer: Some(Language::English),
            ..AnalyzerConfig::default()
        });
        // "running" is removed; "runs" stems to "run" but is not a stop word.
        assert_eq!(a.terms("running runs"), ["run"]);
    }

    #[test]
    fn stemming_english_and_french() {
        let en = analyzer(AnalyzerConfig {
            stemmer: Some(Language::English),
            ..AnalyzerConfig::default()
        });
        assert_eq!(
            en.terms("Connected connections fruitlessly cats"),
            ["connect", "connect", "fruitless", "cat"]
        );
        let fr = analyzer(AnalyzerConfig {
            stemmer: Some(Language::French),
            ..AnalyzerConfig::default()
        });
        assert_eq!(
            fr.terms("Continuellement continuation"),
            ["continuel", "continu"]
        );
    }

    #[test]
    fn stem_cache_gives_the_same_stems_and_follows_language_changes() {
        let en = analyzer(AnalyzerConfig {
            stemmer: Some(Language::English),
            ..AnalyzerConfig::default()
        });
        let de = analyzer(AnalyzerConfig {
            stemmer: Some(Language::German),
            ..AnalyzerConfig::default()
        });
        let mut scratch = Scratch::default();
        let mut run = |a: &Analyzer, text: &str| {
            let mut out = Vec::new();
            a.for_each_term(text, &mut scratch, |t| out.push(t.to_string()));
            out
        };
        let first = run(&en, "houses housing");
        assert_eq!(run(&en, "houses housing"), first);
        assert_eq!(run(&de, "houses housing"), de.terms("houses housing"));
        assert_eq!(run(&en, "houses housing"), first);
    }

    #[test]
    fn language_names_parse_display_and_serde() {
        assert_eq!(Language::ALL.len(), 18);
        for l in Language::ALL {
            assert_eq!(l.to_string().parse::<Language>().unwrap(), l);
            assert_eq!(serde_json::to_string(&l).unwrap(), format!("\"{l}\""));
            // Every language stems without panicking.
            Analyzer::new(AnalyzerConfig {
                stemmer: Some(l),
                ..AnalyzerConfig::default()
            })
            .unwrap()
            .terms("testing stemmers στρατιώτες солдаты");
        }
        assert_eq!("French".parse::<Language>().unwrap(), Language::French);
        assert_eq!(Language::parse_stemmer("none").unwrap(), None);
        let err = "klingon".parse::<Language>().unwrap_err().to_string();
        assert!(err.contains("english") && err.contains("klingon"), "{err}");
    }

    #[test]
    fn word_ngrams_come_in_order_and_span_removed_stop_words() {
        let a = analyzer(AnalyzerConfig {
            stop_words: StopWords::English,
            word_ngrams: 3,
            ..AnalyzerConfig::default()
        });
        assert_eq!(
            a.terms("Cats of the hat eat fish"),
            [
                "cats",
                "hat",
                "eat",
                "fish",
                "cats hat",
                "hat eat",
                "eat fish",
                "cats hat eat",
                "hat eat fish"
            ]
        );
        assert_eq!(a.terms("only"), Vec::<String>::new());
        assert_eq!(a.terms("one word"), ["word"]);
    }

    #[test]
    fn char_ngrams_follow_char_wb_and_never_collide_with_words() {
        let a = analyzer(AnalyzerConfig {
            char_ngrams: Some((2, 4)),
            ..AnalyzerConfig::default()
        });
        // Python: TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4)) on "ab" gives
        // " a", "ab", "b ", " ab", "ab ", " ab " — here each prefixed with '#'.
        assert_eq!(
            a.terms("Ab"),
            ["ab", "# a", "#ab", "#b ", "# ab", "#ab ", "# ab "]
        );
        // A padded word shorter than n is emitted once, whole.
        let b = analyzer(AnalyzerConfig {
            char_ngrams: Some((4, 6)),
            ..AnalyzerConfig::default()
        });
        assert_eq!(b.terms("é"), ["é", "# é "]);

        // No word term ever starts with or contains the prefix, whatever the text.
        let text = "C# #hashtag a#b ##  x#\u{301} Zürich's #café";
        let words = words_only().terms(text);
        assert!(
            words.iter().all(|w| !w.contains(CHAR_NGRAM_PREFIX)),
            "{words:?}"
        );
        let mixed = analyzer(AnalyzerConfig {
            char_ngrams: Some((1, 3)),
            stemmer: Some(Language::English),
            ..AnalyzerConfig::default()
        })
        .terms(text);
        let (chars, words): (Vec<_>, Vec<_>) =
            mixed.iter().partition(|t| t.starts_with(CHAR_NGRAM_PREFIX));
        assert!(!chars.is_empty() && !words.is_empty());
        assert!(words.iter().all(|w| !w.contains(CHAR_NGRAM_PREFIX)));
    }

    #[test]
    fn char_ngrams_use_unstemmed_tokens() {
        let a = analyzer(AnalyzerConfig {
            stemmer: Some(Language::English),
            char_ngrams: Some((5, 5)),
            ..AnalyzerConfig::default()
        });
        assert_eq!(a.terms("cats"), ["cat", "# cats", "#cats "]);
    }

    #[test]
    fn config_checks_ranges_and_round_trips_through_serde() {
        let config = AnalyzerConfig {
            lowercase: false,
            stop_words: StopWords::Custom(vec!["x".into()]),
            stemmer: Some(Language::Russian),
            word_ngrams: 2,
            char_ngrams: Some((2, 5)),
        };
        config.check().unwrap();
        let json = serde_json::to_string(&config).unwrap();
        assert_eq!(
            serde_json::from_str::<AnalyzerConfig>(&json).unwrap(),
            config
        );
        let bytes = postcard::to_stdvec(&config).unwrap();
        assert_eq!(
            postcard::from_bytes::<AnalyzerConfig>(&bytes).unwrap(),
            config
        );

        for bad in [
            AnalyzerConfig {
                word_ngrams: 0,
                ..AnalyzerConfig::default()
            },
            AnalyzerConfig {
                word_ngrams: MAX_WORD_NGRAMS + 1,
                ..AnalyzerConfig::default()
            },
            AnalyzerConfig {
                char_ngrams: Some((0, 3)),
                ..AnalyzerConfig::default()
            },
            AnalyzerConfig {
                char_ngrams: Some((4, 3)),
                ..AnalyzerConfig::default()
            },
        ] {
            assert!(matches!(
                Analyzer::new(bad).unwrap_err(),
                Error::InvalidParam { .. }
            ));
        }
    }
}
