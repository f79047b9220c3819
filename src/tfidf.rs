//! TF-IDF vectorizer: terms → sparse, L2-normalized rows over a vocabulary fitted on the training data.
//!
//! # Formulas (as implemented)
//!
//! For a document d, a term t of the vocabulary, n training documents and df(t) the number of training
//! documents containing t:
//!
//! - tf(t, d) = count(t, d), or 1 + ln(count(t, d)) with `sublinear_tf`;
//! - idf(t) = ln((1 + n) / (1 + df(t))) + 1 (smooth IDF), computed once at fit time, stored in the model
//!   as `f32`, and never recomputed from the documents being transformed;
//! - w(t, d) = tf(t, d) · idf(t), rounded to `f32`;
//! - with `norm`, each row is divided by its Euclidean norm (computed in `f64`); a row with no known
//!   term stays empty.
//!
//! These are scikit-learn's `TfidfVectorizer(smooth_idf=True, norm="l2")` formulas; tests compare with
//! its numbers. Terms absent from the vocabulary are ignored.
//!
//! # Vocabulary
//!
//! Term ids are assigned in sorted (byte, i.e. code point) order of the terms that survive the filters,
//! so a vocabulary depends only on the corpus and the parameters, never on thread count or hashing.
//! Filters, in order: `min_df` ≤ df(t) ≤ `max_df` (a fraction f means f · n documents), then
//! `max_features` keeps the terms with the highest total count over the corpus, ties going to the
//! term that sorts first.
//!
//! # Parameters ([`TfidfParams`])
//!
//! | name | default | meaning | range |
//! |---|---|---|---|
//! | `min_df` | `Count(1)` | drop terms in fewer documents | count ≥ 1, or fraction in [0, 1] |
//! | `max_df` | `Fraction(1.0)` | drop terms in more documents | count ≥ 1, or fraction in [0, 1] |
//! | `max_features` | `None` | keep only this many most frequent terms | ≥ 1 |
//! | `sublinear_tf` | `false` | tf = 1 + ln(count) instead of count | |
//! | `norm` | `true` | L2-normalize each row | |
//!
//! # Speed and determinism
//!
//! Word n-grams are handled as integers, never as joined strings (see `grams.rs`): a word gets an id,
//! and an n-gram is the pair (id of its first n − 1 words, id of its last word). Fitting runs in fixed
//! chunks of consecutive documents, in parallel, a batch of chunks at a time: each chunk interns its
//! tokens; the batch's new distinct tokens are stemmed once each; each chunk counts its n-grams under
//! chunk-local pair ids; the batch's chunks are then merged in order into global ids and their
//! chunk-local tables emptied for the next batch's chunks (allocated a few times per fit, not for every
//! chunk), so that memory holds one batch's tokens, not the corpus's. Then the
//! document frequencies are known, strings built only for the terms within the `min_df`/`max_df`
//! bounds, sorted, and the training rows written straight into the training matrix from the chunks'
//! counts. Transforming maps each token to its word id through a per-thread cache
//! (so a token is stemmed once per thread) and looks n-grams up by pairs in an index built from the
//! vocabulary once the text transformed, over all calls, would pay for building it (8 bytes per term:
//! one large batch, or a few of a stream); until then, and for character n-grams, terms are looked up by
//! string in an open-addressing index over the vocabulary. A word that would make joining ambiguous (it is
//! empty or holds a space, which UAX #29 and some stemmers can produce) sends the fit, or the one
//! document being transformed, to the string path: the terms and numbers are the same either way.
//! Nothing is allocated per token; a row is built by sorting its term ids, never through a
//! vocabulary-sized dense vector. Every row is computed by the same sequential code whatever the thread
//! count, so output is identical with 1 or many threads.

use crate::analyzer::{Analyzer, AnalyzerConfig, Scratch, TermBatch, hash_str};
use crate::error::{Error, Result};
use crate::format::{Block, TextBlock, refuse, thorough};
use crate::grams::{NONE, PairTable, StrTable, UNSAFE, WordIndex, pair, safe_word};
use crate::sparse::CsrMatrix;
use rayon::prelude::*;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::ops::Range;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{LazyLock, Mutex, OnceLock};

thread_local! {
    static THREAD_SCRATCH: std::cell::RefCell<(Scratch, Vec<u32>, Vec<f32>)> = Default::default();
}

// Documents per parallel work unit. Fixed, so that the work split is the same on every machine.
const FIT_CHUNK: usize = 512;

/// Terms per parallel piece when the fitted vocabulary's text is gathered.
const VOCABULARY_PIECE: usize = 8192;
const TRANSFORM_CHUNK: usize = 256;
// `transform` builds the integer index of word n-grams once it has been given at least this many bytes of
// text per vocabulary term, over all its calls (building costs roughly what the index saves on that much
// text).
const INDEX_BYTES_PER_TERM: usize = 8;

/// A document-frequency bound: an absolute number of documents or a fraction of the corpus.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum DocFreq {
    Count(usize),
    Fraction(f64),
}

impl DocFreq {
    fn check(self, name: &'static str) -> Result<()> {
        let ok = match self {
            DocFreq::Count(c) => c >= 1,
            DocFreq::Fraction(f) => (0.0..=1.0).contains(&f),
        };
        if ok {
            Ok(())
        } else {
            Err(Error::param(
                name,
                self,
                "a document count >= 1 or a fraction in [0, 1]",
            ))
        }
    }

    // A bound in documents; kept fractional, as scikit-learn compares df with `fraction * n` unrounded.
    fn documents(self, n_docs: usize) -> f64 {
        match self {
            DocFreq::Count(c) => c as f64,
            DocFreq::Fraction(f) => f * n_docs as f64,
        }
    }
}

impl fmt::Display for DocFreq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DocFreq::Count(c) => write!(f, "{c}"),
            DocFreq::Fraction(x) => write!(f, "{x:?}"),
        }
    }
}

/// "5" is a count; "0.5" and "1.0" (anything with a point or exponent) are fractions.
impl FromStr for DocFreq {
    type Err = Error;

    fn from_str(s: &str) -> Result<DocFreq> {
        let t = s.trim();
        let parsed = if t.bytes().all(|b| b.is_ascii_digit()) {
            t.parse().ok().map(DocFreq::Count)
        } else {
            t.parse().ok().map(DocFreq::Fraction)
        };
        match parsed {
            Some(d) => d.check("document frequency").map(|()| d),
            None => Err(Error::param(
                "document frequency",
                s,
                "a document count >= 1 (\"5\") or a fraction in [0, 1] (\"0.5\")",
            )),
        }
    }
}

/// Vectorizer settings; see the module docs for the table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TfidfParams {
    pub min_df: DocFreq,
    pub max_df: DocFreq,
    pub max_features: Option<usize>,
    pub sublinear_tf: bool,
    pub norm: bool,
}

impl Default for TfidfParams {
    fn default() -> Self {
        TfidfParams {
            min_df: DocFreq::Count(1),
            max_df: DocFreq::Fraction(1.0),
            max_features: None,
            sublinear_tf: false,
            norm: true,
        }
    }
}

/// One chunk's term counts: rows of (local term id, count), sorted by local id.
struct ChunkCounts {
    terms: Vocabulary,
    hashes: Vec<u64>,
    indptr: Vec<usize>,
    ids: Vec<u32>,
    counts: Vec<u32>,
}

impl TfidfParams {
    /// Checks each parameter's range.
    pub fn check(&self) -> Result<()> {
        self.min_df.check("min_df")?;
        self.max_df.check("max_df")?;
        if self.max_features == Some(0) {
            return Err(Error::param("max_features", 0, "at least 1"));
        }
        Ok(())
    }

    /// Fits the vocabulary and IDF on `texts` and returns the vectorizer with the training matrix
    /// (one row per text, equal to what [`TfidfVectorizer::transform`] gives for the same texts).
    pub fn fit_transform(
        &self,
        analyzer: Analyzer,
        texts: &[&str],
    ) -> Result<(TfidfVectorizer, CsrMatrix)> {
        let counted = self.count(&analyzer, &mut FitTexts::Borrowed(texts))?;
        self.finish(analyzer, counted)
    }

    /// [`fit_transform`](Self::fit_transform) on texts it owns, with the same result: each batch of
    /// texts is freed as soon as its terms are counted, so that the texts and the counts are never all
    /// held together, and what counting freed is handed back to the system
    /// ([`crate::memory::release`]) before the vocabulary and the matrix are built.
    pub fn fit_transform_owned(
        &self,
        analyzer: Analyzer,
        texts: Vec<String>,
    ) -> Result<(TfidfVectorizer, CsrMatrix)> {
        let counted = self.count(&analyzer, &mut FitTexts::Owned { texts, freed: 0 })?;
        crate::memory::release();
        self.finish(analyzer, counted)
    }

    /// Checks the parameters against the number of documents and counts every text's terms.
    fn count(&self, analyzer: &Analyzer, texts: &mut FitTexts<'_>) -> Result<Fitting> {
        self.check()?;
        let n_docs = texts.len();
        if n_docs == 0 {
            return Err(Error::param(
                "documents",
                0,
                "at least one document to fit on",
            ));
        }
        let (min_docs, max_docs) = (self.min_df.documents(n_docs), self.max_df.documents(n_docs));
        if max_docs < min_docs {
            return Err(Error::param(
                "max_df",
                self.max_df,
                format!(
                    "at least min_df ({}) in documents, for {n_docs} documents",
                    self.min_df
                ),
            ));
        }

        let counted = count_words(
            analyzer,
            texts,
            (min_docs, max_docs),
            self.max_features.is_some(),
        );
        if counted.distinct == 0 {
            return Err(Error::param(
                "documents",
                format!("{n_docs} documents"),
                "at least one term: the documents are empty, or hold only punctuation or stop words",
            ));
        }
        Ok(Fitting {
            counted,
            n_docs,
            bounds: (min_docs, max_docs),
        })
    }

    /// Builds the vocabulary, IDF and training matrix from a fit's counts.
    fn finish(&self, analyzer: Analyzer, fitting: Fitting) -> Result<(TfidfVectorizer, CsrMatrix)> {
        let Fitting {
            counted:
                Counted {
                    all,
                    df,
                    total,
                    rows,
                    ..
                },
            n_docs,
            bounds: (min_docs, max_docs),
        } = fitting;

        let mut kept: Vec<u32> = (0..df.len() as u32)
            .filter(|&t| (min_docs..=max_docs).contains(&(df[t as usize] as f64)))
            .collect();
        if kept.is_empty() {
            return Err(Error::param(
                "min_df/max_df",
                format!("min_df={} max_df={}", self.min_df, self.max_df),
                format!(
                    "bounds that keep at least one term ({n_docs} documents): lower min_df or raise max_df"
                ),
            ));
        }
        let by_term = |a: &u32, b: &u32| all.term(*a).cmp(all.term(*b));
        if let Some(limit) = self.max_features
            && kept.len() > limit
        {
            kept.par_sort_unstable_by(|a, b| {
                total[*b as usize]
                    .cmp(&total[*a as usize])
                    .then_with(|| by_term(a, b))
            });
            kept.truncate(limit);
        }
        // Sorted by the first eight bytes as a big-endian integer first: zero-padded, they order like
        // the strings, so most comparisons need no string.
        let prefix = |t: u32| {
            let s = all.term(t).as_bytes();
            let mut k = [0u8; 8];
            k[..s.len().min(8)].copy_from_slice(&s[..s.len().min(8)]);
            u64::from_be_bytes(k)
        };
        let mut keyed: Vec<(u64, u32)> = kept.iter().map(|&t| (prefix(t), t)).collect();
        keyed.par_sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| by_term(&a.1, &b.1)));
        let kept: Vec<u32> = keyed.into_iter().map(|k| k.1).collect();

        let mut tmp_to_id = vec![u32::MAX; df.len()];
        for (id, &t) in kept.iter().enumerate() {
            tmp_to_id[t as usize] = id as u32;
        }
        let idf: Vec<f32> = kept
            .par_iter()
            .map(|&t| smooth_idf(n_docs, df[t as usize] as usize))
            .collect();
        // The kept terms' text (each a cache miss away in `all`).
        let vocab = Vocabulary::written(&kept, |&t, text| text.push_str(all.term(t)));
        drop(all);
        // Indexed below, beside the matrix, which does not need the index.
        let mut vectorizer = TfidfVectorizer {
            analyzer,
            params: self.clone(),
            vocab,
            idf: idf.into(),
            words: OnceLock::new(),
            transformed: Transformed::default(),
        };

        // Built in place, each chunk's counts freed once its rows are written; the vocabulary's index,
        // which the matrix does not need, is built beside it.
        let kept = |tmp: u32| tmp != u32::MAX && tmp_to_id[tmp as usize] != u32::MAX;
        let (index, matrix) = rayon::join(
            || vectorizer.vocab.index(),
            || {
                let sizes: Vec<(usize, usize)> = rows
                    .par_iter()
                    .map(|r| {
                        (
                            r.indptr.len() - 1,
                            r.ids.iter().filter(|&&t| kept(t)).count(),
                        )
                    })
                    .collect();
                CsrMatrix::from_blocks(
                    vectorizer.vocabulary_size(),
                    rows,
                    &sizes,
                    |rows, ends, indices, values| {
                        vectorizer.chunk_rows(&rows, &tmp_to_id, ends, indices, values)
                    },
                )
            },
        );
        let index = index.map_err(|e| Error::param("vocabulary", e, "unique terms"))?;
        vectorizer.vocab.set_index(index);
        // The chunks' counts, freed one by one as the matrix was filled, as large as the matrix: what
        // comes next (fitting a model on it) should not find them still held.
        crate::memory::release();
        Ok((vectorizer, matrix))
    }
}

/// Bytes of owned texts freed between two hand-backs to the system ([`crate::memory::release`]) while
/// counting. A text is a small block in the allocator's heaps: freed, it would stay resident, and the
/// counts, which grow as the texts shrink, come from fresh mappings, so without these hand-backs the
/// texts' memory would count in the peak until the counting is done. Each hand-back of this much takes
/// about 0.01 s.
/// (In tests, every batch, so that the tests take this path.)
const RELEASE_TEXTS: usize = if cfg!(test) { 1 } else { 64 << 20 };

/// The texts of a fit: borrowed, or owned and freed a batch at a time once counted (with the bytes freed
/// since the last hand-back).
enum FitTexts<'a> {
    Borrowed(&'a [&'a str]),
    Owned { texts: Vec<String>, freed: usize },
}

impl FitTexts<'_> {
    fn len(&self) -> usize {
        match self {
            FitTexts::Borrowed(texts) => texts.len(),
            FitTexts::Owned { texts, .. } => texts.len(),
        }
    }

    fn batch(&self, range: Range<usize>) -> Vec<&str> {
        match self {
            FitTexts::Borrowed(texts) => texts[range].to_vec(),
            FitTexts::Owned { texts, .. } => texts[range].iter().map(String::as_str).collect(),
        }
    }

    /// Frees the texts of `range` if they are owned; they are not read again. Every [`RELEASE_TEXTS`]
    /// bytes, hands the freed memory back to the system.
    fn release(&mut self, range: Range<usize>) {
        if let FitTexts::Owned { texts, freed } = self {
            for text in &mut texts[range] {
                *freed += text.capacity();
                *text = String::new();
            }
            if *freed >= RELEASE_TEXTS {
                crate::memory::release();
                *freed = 0;
            }
        }
    }
}

/// A fit between counting and building: the counts, the number of documents and the document-frequency
/// bounds in documents.
struct Fitting {
    counted: Counted,
    n_docs: usize,
    bounds: (f64, f64),
}

/// The terms of a fit with their counts: provisional ("tmp") ids index `all` (their strings), `df` and
/// `total` (which may be empty when `max_features` is not set). Holds every term seen, or only those
/// within the document-frequency bounds.
struct Counted {
    all: Vocabulary,
    df: Vec<u32>,
    total: Vec<u64>,
    // Per fitting chunk.
    rows: Vec<Rows>,
    // Distinct terms seen, including those left out.
    distinct: usize,
    // Counted by string ([`count_strings`]), at least from some batch on, rather than by integer keys.
    #[cfg_attr(not(test), allow(dead_code))]
    by_string: bool,
}

/// A fitting chunk's documents as rows of (tmp id or `u32::MAX` for a dropped term, count).
#[derive(Default)]
struct Rows {
    indptr: Vec<usize>,
    ids: Vec<u32>,
    counts: ByteCounts,
}

/// The counts of a list of entries, one byte each: what a fit holds per document and term until the
/// matrix is built, which is as large as the matrix. Most terms occur a few times in a document; a count
/// of [`ByteCounts::ASIDE`] or more is kept aside, with its entry, and its byte reads `ASIDE`.
#[derive(Default, Debug, Clone, PartialEq)]
struct ByteCounts {
    bytes: Vec<u8>,
    // (entry, count) of every count of at least ASIDE, by entry.
    aside: Vec<(u32, u32)>,
}

impl ByteCounts {
    const ASIDE: u8 = u8::MAX;

    /// Appends an entry with count `count`.
    fn push(&mut self, count: u32) {
        if count < Self::ASIDE as u32 {
            self.bytes.push(count as u8);
        } else {
            self.aside.push((self.bytes.len() as u32, count));
            self.bytes.push(Self::ASIDE);
        }
    }

    /// Adds one to the count of `entry`.
    #[inline]
    fn add_one(&mut self, entry: usize) {
        let byte = &mut self.bytes[entry];
        if *byte < Self::ASIDE - 1 {
            *byte += 1;
            return;
        }
        let at = self.aside.partition_point(|&(e, _)| e < entry as u32);
        if *byte == Self::ASIDE {
            self.aside[at].1 += 1;
        } else {
            *byte = Self::ASIDE;
            self.aside.insert(at, (entry as u32, Self::ASIDE as u32));
        }
    }

    fn aside_count(&self, entry: usize) -> u32 {
        let at = self.aside.partition_point(|&(e, _)| e < entry as u32);
        self.aside[at].1
    }

    /// The counts of `entries`, in order.
    fn range(&self, entries: Range<usize>) -> impl Iterator<Item = u32> + '_ {
        let start = entries.start;
        self.bytes[entries]
            .iter()
            .enumerate()
            .map(move |(k, &byte)| match byte {
                Self::ASIDE => self.aside_count(start + k),
                byte => byte as u32,
            })
    }

    /// Copies the count of entry `from` to entry `to` (`to ≤ from`, in a pass that keeps some entries in
    /// order), its count kept aside into `aside` if large; [`Self::truncate`] then ends the pass.
    #[inline]
    fn move_entry(&mut self, from: usize, to: usize, aside: &mut Vec<(u32, u32)>) {
        let byte = self.bytes[from];
        if byte == Self::ASIDE {
            aside.push((to as u32, self.aside_count(from)));
        }
        self.bytes[to] = byte;
    }

    /// Ends a pass of [`Self::move_entry`]: keeps the first `len` entries, with the counts set aside
    /// during the pass.
    fn truncate(&mut self, len: usize, aside: Vec<(u32, u32)>) {
        self.bytes.truncate(len);
        self.aside = aside;
    }

    fn clear(&mut self) {
        self.bytes.clear();
        self.aside.clear();
    }

    fn shrink_to_fit(&mut self) {
        self.bytes.shrink_to_fit();
        self.aside.shrink_to_fit();
    }
}

impl FromIterator<u32> for ByteCounts {
    fn from_iter<I: IntoIterator<Item = u32>>(counts: I) -> Self {
        let mut out = ByteCounts::default();
        counts.into_iter().for_each(|count| out.push(count));
        out
    }
}

/// Counts the terms of `texts[start..]` by string, a batch of `batch_docs` at a time (each chunk of a
/// batch interns its terms; owned texts are freed once their batch is counted), after `chunks`, the
/// string counts of `texts[..start]`; then merges all the chunks in order. The general path;
/// [`count_words`] gives the same counts faster when it applies, and hands over to this one when it
/// stops applying.
fn count_strings(
    analyzer: &Analyzer,
    texts: &mut FitTexts<'_>,
    start: usize,
    batch_docs: usize,
    mut chunks: Vec<ChunkCounts>,
) -> Counted {
    let n = texts.len();
    let mut from = start;
    while from < n {
        let range = from..(from + batch_docs).min(n);
        let batch = texts.batch(range.clone());
        let counted: Vec<ChunkCounts> = batch
            .par_chunks(FIT_CHUNK)
            .map_init(Scratch::default, |scratch, chunk| {
                count_chunk(analyzer, chunk, scratch, |analyzer, text, scratch, emit| {
                    analyzer.for_each_term(text, scratch, emit)
                })
            })
            .collect();
        drop(batch);
        chunks.extend(counted);
        texts.release(range.clone());
        from = range.end;
    }
    let (all, df, total, maps) = merge_chunks(&mut chunks);
    let rows = chunks
        .iter()
        .zip(&maps)
        .map(|(chunk, map)| Rows {
            indptr: chunk.indptr.clone(),
            ids: chunk.ids.iter().map(|&local| map[local as usize]).collect(),
            counts: chunk.counts.iter().copied().collect(),
        })
        .collect();
    Counted {
        all,
        distinct: df.len(),
        df,
        total,
        rows,
        by_string: true,
    }
}

/// A chunk counted by integer keys (its word n-grams, merged: their nodes are global, see [`ChunkGrams`],
/// and its character n-grams, if any) as [`count_chunk`] counts it by string: each document's terms by
/// their text. The order of a document's terms differs, which changes no count.
fn chunk_by_string(
    grams: &ChunkGrams,
    chars: Option<&ChunkCounts>,
    words: &StrTable,
    levels: &[PairTable],
    max_n: usize,
) -> ChunkCounts {
    let mut out = ChunkCounts {
        terms: Vocabulary::default(),
        hashes: Vec::new(),
        indptr: vec![0],
        ids: Vec::new(),
        counts: Vec::new(),
    };
    let (mut text, mut doc) = (String::new(), Vec::<(u32, u32)>::new());
    for (d, spans) in grams.ends.windows(max_n + 1).step_by(max_n).enumerate() {
        doc.clear();
        for (level, w) in spans.windows(2).enumerate() {
            for (&node, count) in grams.keys[w[0]..w[1]]
                .iter()
                .zip(grams.counts.range(w[0]..w[1]))
            {
                text.clear();
                gram_text(words, levels, level, node, &mut text);
                doc.push((out.terms.intern(&text, hash_str(&text)), count));
            }
        }
        if let Some(chars) = chars {
            let (a, b) = (chars.indptr[d], chars.indptr[d + 1]);
            for (&local, &count) in chars.ids[a..b].iter().zip(&chars.counts[a..b]) {
                let term = chars.terms.term(local);
                doc.push((out.terms.intern(term, chars.hashes[local as usize]), count));
            }
        }
        doc.sort_unstable_by_key(|&(id, _)| id);
        for run in doc.chunk_by(|a, b| a.0 == b.0) {
            out.ids.push(run[0].0);
            out.counts.push(run.iter().map(|&(_, count)| count).sum());
        }
        out.indptr.push(out.ids.len());
    }
    out.hashes = (0..out.terms.len() as u32)
        .map(|id| hash_str(out.terms.term(id)))
        .collect();
    out
}

/// Merges chunks' string counts in chunk order into provisional ids: the strings, df and total of each,
/// and for each chunk the map from its ids to provisional ids.
#[allow(clippy::type_complexity)]
fn merge_chunks(chunks: &mut [ChunkCounts]) -> (Vocabulary, Vec<u32>, Vec<u64>, Vec<Vec<u32>>) {
    // Sized for the worst case (no term shared between chunks), so the table never grows.
    let mut all = Vocabulary::with_capacity(chunks.iter().map(|c| c.terms.len()).sum());
    let (mut df, mut total) = (Vec::<u32>::new(), Vec::<u64>::new());
    let mut local_to_tmp: Vec<Vec<u32>> = Vec::with_capacity(chunks.len());
    for chunk in chunks {
        let terms = std::mem::take(&mut chunk.terms);
        let hashes = std::mem::take(&mut chunk.hashes);
        let mut map: Vec<u32> = Vec::with_capacity(terms.len());
        for (block, hashes) in hashes.chunks(64).enumerate() {
            all.touch(hashes);
            for (k, &hash) in hashes.iter().enumerate() {
                map.push(all.intern(terms.term((block * 64 + k) as u32), hash));
            }
        }
        df.resize(all.len(), 0);
        total.resize(all.len(), 0);
        for (&local, &count) in chunk.ids.iter().zip(&chunk.counts) {
            let t = map[local as usize] as usize;
            df[t] += 1;
            total[t] += count as u64;
        }
        local_to_tmp.push(map);
    }
    (all, df, total, local_to_tmp)
}

/// Counts the terms that `terms` gives for each text of a chunk, interning them by string.
fn count_chunk(
    analyzer: &Analyzer,
    texts: &[&str],
    scratch: &mut Scratch,
    terms: impl Fn(&Analyzer, &str, &mut Scratch, &mut dyn FnMut(&str)),
) -> ChunkCounts {
    let mut out = ChunkCounts {
        terms: Vocabulary::default(),
        hashes: Vec::new(),
        indptr: vec![0],
        ids: Vec::new(),
        counts: Vec::new(),
    };
    let mut doc: Vec<u32> = Vec::new();
    let mut batch = std::mem::take(&mut scratch.batch);
    for text in texts {
        doc.clear();
        batch.clear();
        terms(analyzer, text, scratch, &mut |term| batch.push(term));
        out.terms.touch(&batch.hashes);
        doc.extend(
            batch
                .hashes
                .iter()
                .enumerate()
                .map(|(i, &hash)| out.terms.intern(batch.term(i), hash)),
        );
        doc.sort_unstable();
        for run in doc.chunk_by(|a, b| a == b) {
            out.ids.push(run[0]);
            out.counts.push(run.len() as u32);
        }
        out.indptr.push(out.ids.len());
    }
    scratch.batch = batch;
    out.hashes = (0..out.terms.len() as u32)
        .map(|id| hash_str(out.terms.term(id)))
        .collect();
    out
}

/// A fitting chunk's tokens (stages 1–3), by chunk-local token id, and its character n-gram counts.
struct ChunkTokens {
    tokens: StrTable,
    words: Vec<u32>,
    ends: Vec<usize>,
    chars: Option<ChunkCounts>,
}

/// A fitting chunk's word n-grams: for n ≥ 2, the keys of the chunk's n-gram nodes by node (key: (node of
/// the first n − 1 words, last word), where a 1-gram node is the global word id), and per document the
/// distinct (node, count) of its n-grams, level by level (level n − 1 holds the n-grams), each level in
/// order of first occurrence: document d's level l is `keys[ends[d · L + l]..ends[d · L + l + 1]]` for L
/// levels. Once merged, `levels` is emptied and the nodes of `keys` are global.
struct ChunkGrams {
    levels: Vec<Vec<u64>>,
    ends: Vec<usize>,
    keys: Vec<u32>,
    counts: ByteCounts,
}

/// Counts word n-grams by integer keys (see [`crate::grams`]): tokens are interned per chunk, each
/// distinct token is stemmed once, and an n-gram is counted under its (prefix, word) key; strings are
/// built only for the terms whose document frequency is within `bounds` (in documents). Gives the same
/// counts as [`count_strings`]. A batch that holds a word not safe for integer keys ([`safe_word`]) hands
/// over to [`count_strings`]: the batches counted so far are turned into string counts
/// ([`chunk_by_string`]) and that batch and the rest are counted by string. Owned texts are freed once
/// their batch is counted.
/// Total counts (for `max_features` only) are left empty unless `totals`: they would take 8 bytes per
/// distinct n-gram.
fn count_words(
    analyzer: &Analyzer,
    texts: &mut FitTexts<'_>,
    bounds: (f64, f64),
    totals: bool,
) -> Counted {
    let config = analyzer.config();
    let max_n = config.word_ngrams;

    let mut tokens = StrTable::default();
    let mut words = StrTable::default();
    let mut token_word: Vec<u32> = Vec::new();
    let mut levels: Vec<PairTable> = vec![PairTable::default(); max_n.saturating_sub(1)];
    let mut df: Vec<Vec<u32>> = vec![Vec::new(); max_n];
    let mut total: Vec<Vec<u64>> = vec![Vec::new(); max_n];
    // Per chunk, its documents' (level << 32 | global node, count), with `levels` emptied.
    let mut grams: Vec<ChunkGrams> = Vec::new();
    let mut char_chunks: Vec<ChunkCounts> = Vec::new();
    // Tables reused from chunk to chunk and freed with the counting: the n-gram tables (one set per chunk
    // being counted at a time, see `GramScratch`) and the token tables (one per chunk of a batch).
    let scratches: Mutex<Vec<GramScratch>> = Mutex::default();
    let token_tables: Mutex<Vec<StrTable>> = Mutex::default();

    // A batch of chunks at a time: only one batch's tokens and chunk-local n-gram tables are held besides
    // the batch being merged. Ids are given in chunk order whatever the batch size, so the batch size (and the
    // thread count it follows) changes nothing in the output. Merging a batch into the global tables is
    // sequential, so it runs beside the counting of the next batch, which shares no state with it.
    let batch_docs = FIT_CHUNK * 2 * rayon::current_num_threads().max(2);
    // Counts a batch: its n-gram tables, and the number of distinct words known once it is counted.
    let mut count_batch = |batch: &[&str]| -> Option<(Vec<ChunkGrams>, usize)> {
        // Tokens of each chunk, and its character n-grams.
        let mut chunks: Vec<ChunkTokens> = batch
            .par_chunks(FIT_CHUNK)
            .map_init(Scratch::default, |scratch, chunk| {
                let pooled = token_tables.lock().ok().and_then(|mut t| t.pop());
                tokenize_chunk(analyzer, chunk, scratch, pooled.unwrap_or_default())
            })
            .collect();

        // Global tokens, in order of first appearance; each chunk's map to them.
        let token_maps: Vec<Vec<u32>> = chunks
            .iter()
            .map(|chunk| {
                (0..chunk.tokens.len() as u32)
                    .map(|local| {
                        let t = chunk.tokens.get_str(local);
                        tokens.intern(t)
                    })
                    .collect()
            })
            .collect();
        // The chunks' token tables, emptied for the next batch's chunks.
        if let Ok(mut tables) = token_tables.lock() {
            for chunk in &mut chunks {
                let mut table = std::mem::take(&mut chunk.tokens);
                table.clear();
                tables.push(table);
            }
        }

        // Each new distinct token stemmed once; stems interned as words.
        let first_new = token_word.len() as u32;
        let stems: Vec<Option<String>> = (first_new..tokens.len() as u32)
            .into_par_iter()
            .map(|id| match analyzer.stem(tokens.get_str(id)) {
                std::borrow::Cow::Borrowed(_) => None,
                std::borrow::Cow::Owned(stem) => Some(stem),
            })
            .collect();
        for (k, stem) in stems.iter().enumerate() {
            let word = stem
                .as_deref()
                .unwrap_or(tokens.get_str(first_new + k as u32));
            if !safe_word(word) {
                return None;
            }
            token_word.push(words.intern(word));
        }
        drop(stems);

        // Word n-grams of each chunk, by chunk-local node ids.
        let n_words = words.len();
        let batch_grams: Vec<ChunkGrams> = chunks
            .par_iter()
            .zip(&token_maps)
            .map(|(chunk, map)| {
                // (A poisoned lock only means a fresh scratch.)
                let pooled = scratches.lock().ok().and_then(|mut s| s.pop());
                let mut scratch = pooled.unwrap_or_default();
                let grams =
                    count_chunk_grams(chunk, map, &token_word, n_words, max_n, &mut scratch);
                if let Ok(mut scratches) = scratches.lock() {
                    scratches.push(scratch);
                }
                grams
            })
            .collect();
        // The batch's tokens are no longer needed: only the character n-gram counts are kept.
        drop(token_maps);
        char_chunks.extend(chunks.into_iter().filter_map(|c| c.chars));

        Some((batch_grams, n_words))
    };
    // Per level above the words, a chunk's df and total by chunk-local node (see `merge_batch`).
    let (mut local_df, mut local_total) = (
        vec![Vec::<u32>::new(); max_n.saturating_sub(1)],
        vec![Vec::<u64>::new(); max_n.saturating_sub(1)],
    );
    let mut merge_batch = |(mut batch_grams, n_words): (Vec<ChunkGrams>, usize)| {
        // Merge the nodes into global ids, level by level, count df and total, and turn the keys
        // into global ones.
        df[0].resize(n_words, 0);
        if totals {
            total[0].resize(n_words, 0);
        }
        for chunk in &mut batch_grams {
            let chunk_levels = std::mem::take(&mut chunk.levels);
            let mut maps: Vec<Vec<u32>> = Vec::with_capacity(chunk_levels.len());
            for (k, local) in chunk_levels.iter().enumerate() {
                let keys: Vec<u64> = local
                    .iter()
                    .map(|&key| {
                        let (prefix, word) = ((key >> 32) as u32, key as u32);
                        let prefix = if k == 0 {
                            prefix
                        } else {
                            maps[k - 1][prefix as usize]
                        };
                        pair(prefix, word)
                    })
                    .collect();
                let mut map = Vec::new();
                levels[k].intern_all(&keys, &mut map);
                df[k + 1].resize(levels[k].len(), 0);
                if totals {
                    total[k + 1].resize(levels[k].len(), 0);
                }
                maps.push(map);
            }
            // Above the words, the chunk's df and total are counted by chunk-local node (in tables as
            // small as the chunk) and added to the global ones node by node, not entry by entry.
            for (k, map) in maps.iter().enumerate() {
                local_df[k].clear();
                local_df[k].resize(map.len(), 0);
                if totals {
                    local_total[k].clear();
                    local_total[k].resize(map.len(), 0);
                }
            }
            for (span, w) in chunk.ends.windows(2).enumerate() {
                let level = span % max_n;
                let keys = &mut chunk.keys[w[0]..w[1]];
                let counts = chunk.counts.range(w[0]..w[1]);
                match (level, totals) {
                    (0, false) => keys.iter().for_each(|&word| df[0][word as usize] += 1),
                    (0, true) => {
                        for (&word, count) in keys.iter().zip(counts) {
                            df[0][word as usize] += 1;
                            total[0][word as usize] += count as u64;
                        }
                    }
                    (_, false) => {
                        let (map, local) = (&maps[level - 1], &mut local_df[level - 1]);
                        for key in keys.iter_mut() {
                            local[*key as usize] += 1;
                            *key = map[*key as usize];
                        }
                    }
                    (_, true) => {
                        let map = &maps[level - 1];
                        let (local, local_total) =
                            (&mut local_df[level - 1], &mut local_total[level - 1]);
                        for (key, count) in keys.iter_mut().zip(counts) {
                            local[*key as usize] += 1;
                            local_total[*key as usize] += count as u64;
                            *key = map[*key as usize];
                        }
                    }
                }
            }
            for (k, map) in maps.iter().enumerate() {
                for (&g, &d) in map.iter().zip(&local_df[k]) {
                    df[k + 1][g as usize] += d;
                }
                if totals {
                    for (&g, &t) in map.iter().zip(&local_total[k]) {
                        total[k + 1][g as usize] += t;
                    }
                }
            }
        }
        grams.extend(batch_grams);
    };
    let (mut counted, mut from, n) = (None, 0, texts.len());
    while from < n {
        let range = from..(from + batch_docs).min(n);
        let batch = texts.batch(range.clone());
        let merge = &mut merge_batch;
        let (_, next) = rayon::join(|| counted.take().map(merge), || count_batch(&batch));
        drop(batch);
        // A word integer keys cannot hold: the rest, from this batch on, is counted by string.
        let Some(next) = next else { break };
        counted = Some(next);
        texts.release(range.clone());
        from = range.end;
    }
    if let Some(batch) = counted {
        merge_batch(batch);
    }
    drop((tokens, token_word));
    if from < n {
        let chunks = grams
            .par_iter()
            .enumerate()
            .map(|(c, chunk)| chunk_by_string(chunk, char_chunks.get(c), &words, &levels, max_n))
            .collect();
        drop((grams, char_chunks, levels, words));
        return count_strings(analyzer, texts, from, batch_docs, chunks);
    }

    // Character n-grams, merged by string.
    let chars = (!char_chunks.is_empty()).then(|| merge_chunks(&mut char_chunks));

    // Provisional ids and strings of every term seen.
    let (mut all_df, mut all_total) = (Vec::new(), Vec::new());
    let mut tmp: Vec<Vec<u32>> = Vec::with_capacity(max_n);
    // (level, node) of each term within bounds, by provisional id.
    let mut within: Vec<(u32, u32)> = Vec::new();
    let mut distinct = 0;
    for level in 0..max_n {
        let mut ids = Vec::with_capacity(df[level].len());
        for g in 0..df[level].len() {
            if df[level][g] > 0 {
                distinct += 1;
            }
            if !(bounds.0..=bounds.1).contains(&(df[level][g] as f64)) {
                ids.push(u32::MAX);
                continue;
            }
            ids.push(all_df.len() as u32);
            within.push((level as u32, g as u32));
            all_df.push(df[level][g]);
            if totals {
                all_total.push(total[level][g]);
            }
        }
        tmp.push(ids);
    }
    // Their strings (each word a cache miss away).
    let mut all = Vocabulary::written(&within, |&(level, g), text| {
        gram_text(&words, &levels, level as usize, g, text)
    });
    drop(within);
    let char_tmp: Vec<u32> = match &chars {
        Some((terms, cdf, ctotal, _)) => (0..terms.len() as u32)
            .map(|c| {
                distinct += 1;
                let d = cdf[c as usize];
                if !(bounds.0..=bounds.1).contains(&(d as f64)) {
                    return u32::MAX;
                }
                all.push(terms.term(c));
                all_df.push(d);
                if totals {
                    all_total.push(ctotal[c as usize]);
                }
                (all_df.len() - 1) as u32
            })
            .collect(),
        None => Vec::new(),
    };

    // Rows in provisional ids, without the terms out of bounds; each chunk's counts are turned into
    // rows in place (or, with character n-grams, freed once copied). The n-gram tables are no longer
    // needed.
    drop((levels, df, total, words));
    let char_maps = chars.map(|c| c.3);
    let rows = grams
        .into_par_iter()
        .enumerate()
        .map(|(c, chunk)| {
            let ChunkGrams {
                ends,
                mut keys,
                mut counts,
                ..
            } = chunk;
            let chars = char_chunks.get(c).zip(char_maps.as_ref());
            if chars.is_none() {
                let mut indptr = Vec::with_capacity(ends.len() / max_n + 1);
                indptr.push(0);
                let (mut kept, mut aside) = (0, Vec::new());
                for (d, doc) in ends[1..].chunks(max_n).enumerate() {
                    let mut start = ends[d * max_n];
                    for (level, &end) in doc.iter().enumerate() {
                        for i in start..end {
                            let t = tmp[level][keys[i] as usize];
                            if t != u32::MAX {
                                // kept ≤ i: nothing unread is overwritten.
                                keys[kept] = t;
                                counts.move_entry(i, kept, &mut aside);
                                kept += 1;
                            }
                        }
                        start = end;
                    }
                    indptr.push(kept);
                }
                keys.truncate(kept);
                counts.truncate(kept, aside);
                keys.shrink_to_fit();
                counts.shrink_to_fit();
                return Rows {
                    indptr,
                    ids: keys,
                    counts,
                };
            }
            let mut rows = Rows {
                indptr: vec![0],
                ..Rows::default()
            };
            for (d, doc) in ends[1..].chunks(max_n).enumerate() {
                let mut start = ends[d * max_n];
                for (level, &end) in doc.iter().enumerate() {
                    for (&g, count) in keys[start..end].iter().zip(counts.range(start..end)) {
                        let t = tmp[level][g as usize];
                        if t != u32::MAX {
                            rows.ids.push(t);
                            rows.counts.push(count);
                        }
                    }
                    start = end;
                }
                if let Some((chars, maps)) = chars {
                    let (a, b) = (chars.indptr[d], chars.indptr[d + 1]);
                    for (&local, &count) in chars.ids[a..b].iter().zip(&chars.counts[a..b]) {
                        let t = char_tmp[maps[c][local as usize] as usize];
                        if t != u32::MAX {
                            rows.ids.push(t);
                            rows.counts.push(count);
                        }
                    }
                }
                rows.indptr.push(rows.ids.len());
            }
            rows.ids.shrink_to_fit();
            rows.counts.shrink_to_fit();
            rows
        })
        .collect();
    Counted {
        all,
        df: all_df,
        total: all_total,
        rows,
        distinct,
        by_string: false,
    }
}

/// Stages 1–3 of a chunk, interning tokens; stage 6 counted by string when configured.
fn tokenize_chunk(
    analyzer: &Analyzer,
    texts: &[&str],
    scratch: &mut Scratch,
    tokens: StrTable,
) -> ChunkTokens {
    let mut out = ChunkTokens {
        tokens,
        words: Vec::new(),
        ends: Vec::with_capacity(texts.len()),
        chars: None,
    };
    let Scratch {
        lower, doc_tokens, ..
    } = scratch;
    for text in texts {
        doc_tokens.clear();
        analyzer.for_each_token(text, lower, |token| doc_tokens.push(token));
        out.tokens.intern_all(doc_tokens, &mut out.words);
        out.ends.push(out.words.len());
    }
    if let Some(range) = analyzer.config().char_ngrams {
        out.chars = Some(count_chunk(
            analyzer,
            texts,
            scratch,
            |analyzer, text, scratch, emit| {
                let Scratch {
                    lower, char_grams, ..
                } = scratch;
                analyzer.for_each_token(text, lower, |token| {
                    char_grams.each(token, range, &mut *emit)
                });
            },
        ));
    }
    out
}

/// What counting a chunk's n-grams works in besides its result, kept from chunk to chunk so that its
/// tables are allocated and grown a few times per fit rather than for every chunk (fresh memory costs a
/// page fault per page).
#[derive(Default)]
struct GramScratch {
    // Per level above the words, the n-gram nodes of the chunk being counted.
    tables: Vec<PairTable>,
    // Per level, per node: the stamp of the last document it was seen in and its entry in `keys`, so
    // that a document's n-grams are counted without sorting. Stamps go on from chunk to chunk: an entry
    // left by an earlier chunk never carries the current document's.
    seen: Vec<Vec<(u32, u32)>>,
    stamp: u32,
    // The chunk's entries, as in [`ChunkGrams`], copied out once the chunk is counted.
    keys: Vec<u32>,
    counts: ByteCounts,
    words: Vec<u32>,
    nodes: Vec<u32>,
    pairs: Vec<u64>,
}

/// The word n-grams of a chunk's documents by chunk-local nodes (see [`ChunkGrams`]); `token_word` gives
/// word ids below `n_words`.
fn count_chunk_grams(
    chunk: &ChunkTokens,
    token_map: &[u32],
    token_word: &[u32],
    n_words: usize,
    max_n: usize,
    scratch: &mut GramScratch,
) -> ChunkGrams {
    let GramScratch {
        tables,
        seen,
        stamp,
        keys,
        counts,
        words,
        nodes,
        pairs,
    } = scratch;
    tables.resize_with(max_n.saturating_sub(1), PairTable::default);
    tables.iter_mut().for_each(PairTable::clear);
    seen.resize_with(max_n, Vec::new);
    if seen[0].len() < n_words {
        seen[0].resize(n_words, (0, 0));
    }
    if *stamp > u32::MAX - chunk.ends.len() as u32 {
        seen.iter_mut().for_each(|s| s.fill((0, 0)));
        *stamp = 0;
    }
    keys.clear();
    counts.clear();
    let mut ends = Vec::with_capacity(chunk.ends.len() * max_n + 1);
    ends.push(0);
    let count = |seen: &mut Vec<(u32, u32)>,
                 keys: &mut Vec<u32>,
                 counts: &mut ByteCounts,
                 doc: u32,
                 id: u32| {
        if seen.len() <= id as usize {
            seen.resize(id as usize + 1, (0, 0));
        }
        let entry = &mut seen[id as usize];
        if entry.0 == doc {
            counts.add_one(entry.1 as usize);
        } else {
            *entry = (doc, keys.len() as u32);
            keys.push(id);
            counts.push(1);
        }
    };
    let mut start = 0;
    for &end in &chunk.ends {
        *stamp += 1;
        let doc = *stamp;
        words.clear();
        words.extend(
            chunk.words[start..end]
                .iter()
                .map(|&t| token_word[token_map[t as usize] as usize]),
        );
        start = end;
        for &w in words.iter() {
            count(&mut seen[0], keys, counts, doc, w);
        }
        ends.push(keys.len());
        nodes.clear();
        nodes.extend_from_slice(words);
        for (k, table) in tables.iter_mut().enumerate() {
            let n = nodes.len().saturating_sub(1);
            pairs.clear();
            pairs.extend((0..n).map(|i| pair(nodes[i], words[i + k + 1])));
            nodes.clear();
            table.intern_all(pairs, nodes);
            for &node in nodes.iter() {
                count(&mut seen[k + 1], keys, counts, doc, node);
            }
            ends.push(keys.len());
        }
    }
    // Held until the merge: copied out at their size.
    ChunkGrams {
        levels: tables.iter().map(|t| t.keys().to_vec()).collect(),
        ends,
        keys: keys.to_vec(),
        counts: counts.clone(),
    }
}

/// Appends the words of node `id` of `level` (0: a word) to `out`, joined by spaces.
fn gram_text(words: &StrTable, levels: &[PairTable], level: usize, id: u32, out: &mut String) {
    if level == 0 {
        out.push_str(words.get_str(id));
        return;
    }
    let key = levels[level - 1].key(id);
    gram_text(words, levels, level - 1, (key >> 32) as u32, out);
    out.push(' ');
    out.push_str(words.get_str(key as u32));
}

/// 1 + ln(count), from a table for small counts (the same values: the table is filled by the same
/// expression).
#[inline]
fn sublinear_tf(count: usize) -> f64 {
    static SMALL: LazyLock<[f64; 256]> =
        LazyLock::new(|| std::array::from_fn(|c| 1.0 + (c as f64).ln()));
    match SMALL.get(count) {
        Some(&tf) => tf,
        None => 1.0 + (count as f64).ln(),
    }
}

fn smooth_idf(n_docs: usize, df: usize) -> f32 {
    (((1 + n_docs) as f64 / (1 + df) as f64).ln() + 1.0) as f32
}

/// Terms in id order, stored as one string, with an open-addressing index from term to id. Used both
/// to intern terms while counting and as the fitted vocabulary.
#[derive(Default, Clone)]
struct Vocabulary {
    text: TextBlock,
    ends: Block<u64>,
    // Each slot packs (low 32 bits of the term's hash) << 32 | id, or is EMPTY. The slot of a term is
    // chosen by the top bits of its hash; the stored low bits reject most mismatches without touching
    // the term text, which is usually a cache miss away.
    slots: Block<u64>,
    shift: u32,
}

const EMPTY: u64 = u64::MAX;

impl Vocabulary {
    #[inline]
    fn len(&self) -> usize {
        self.ends.len()
    }

    #[inline]
    fn term(&self, id: u32) -> &str {
        let id = id as usize;
        let start = id.checked_sub(1).map_or(0, |i| self.ends[i] as usize);
        // Checked slicing: in a damaged model loaded without thorough checks, a bad bound gives an
        // empty term (which matches nothing) rather than a panic.
        self.text.get(start..self.ends[id] as usize).unwrap_or("")
    }

    /// An empty vocabulary whose index holds `n` terms without growing.
    fn with_capacity(n: usize) -> Vocabulary {
        let size = (n * 2).max(16).next_power_of_two();
        Vocabulary {
            slots: vec![EMPTY; size].into(),
            shift: 64 - size.trailing_zeros(),
            ..Vocabulary::default()
        }
    }

    /// Appends a term without indexing it (see [`Self::index`]).
    fn push(&mut self, term: &str) {
        self.text.to_mut().push_str(term);
        let end = self.text.len() as u64;
        self.ends.to_mut().push(end);
    }

    /// The terms of `pieces` in order, each piece a run of terms written one after the other and their
    /// lengths; not indexed (see [`Self::index`]).
    fn from_pieces(pieces: Vec<(String, Vec<usize>)>) -> Vocabulary {
        let bytes = pieces.iter().map(|p| p.0.len()).sum();
        let terms = pieces.iter().map(|p| p.1.len()).sum();
        let (mut text, mut ends) = (String::with_capacity(bytes), Vec::with_capacity(terms));
        for (piece, lens) in pieces {
            let mut end = text.len();
            text.push_str(&piece);
            ends.extend(lens.into_iter().map(|len| {
                end += len;
                end as u64
            }));
        }
        let mut vocab = Vocabulary {
            ends: ends.into(),
            ..Vocabulary::default()
        };
        *vocab.text.to_mut() = text;
        vocab
    }

    /// The terms that `write` appends to a string for each item, in order; not indexed (see
    /// [`Self::index`]). Written in parallel pieces of [`VOCABULARY_PIECE`] items, then joined.
    fn written<T: Sync>(items: &[T], write: impl Fn(&T, &mut String) + Sync) -> Vocabulary {
        let pieces: Vec<(String, Vec<usize>)> = items
            .par_chunks(VOCABULARY_PIECE)
            .map(|piece| {
                let mut text = String::new();
                let lens = piece
                    .iter()
                    .map(|item| {
                        let start = text.len();
                        write(item, &mut text);
                        text.len() - start
                    })
                    .collect();
                (text, lens)
            })
            .collect();
        Vocabulary::from_pieces(pieces)
    }

    /// Rebuilds the index for the current terms; fails on a duplicate term.
    #[cfg(test)]
    fn build_index(&mut self) -> std::result::Result<(), String> {
        let index = self.index()?;
        self.set_index(index);
        Ok(())
    }

    /// Takes `(slots, shift)` from [`Self::index`] as this vocabulary's index.
    fn set_index(&mut self, (slots, shift): (Vec<u64>, u32)) {
        self.slots = slots.into();
        self.shift = shift;
    }

    /// The index of the current terms, as its slots and shift, built without touching `self`'s (so that it
    /// can be built beside other work that reads the vocabulary); fails on a duplicate term. The terms are
    /// hashed in parallel, then placed in id order, the same places as interning them one by one would
    /// give. The home slots of a block of terms are loaded before any is placed, so that their cache
    /// misses overlap.
    fn index(&self) -> std::result::Result<(Vec<u64>, u32), String> {
        const BLOCK: usize = 16;
        let size = (self.len() * 2).max(16).next_power_of_two();
        let shift = 64 - size.trailing_zeros();
        let mut slots = vec![EMPTY; size];
        let hashes: Vec<u64> = (0..self.len() as u32)
            .into_par_iter()
            .map(|id| hash_str(self.term(id)))
            .collect();
        for (block, hashes) in hashes.chunks(BLOCK).enumerate() {
            std::hint::black_box(
                hashes
                    .iter()
                    .fold(0, |acc, &h| acc ^ slots[(h >> shift) as usize]),
            );
            for (k, &hash) in hashes.iter().enumerate() {
                let id = (block * BLOCK + k) as u32;
                match self.find_in(&slots, shift, self.term(id), hash) {
                    Ok(_) => return Err(format!("duplicate term {:?}", self.term(id))),
                    Err(slot) => slots[slot] = pack(hash, id),
                }
            }
        }
        Ok((slots, shift))
    }

    /// Doubles the index for terms known to be unique.
    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(16);
        self.shift = 64 - size.trailing_zeros();
        let mut slots = vec![EMPTY; size];
        for id in 0..self.len() as u32 {
            let hash = hash_str(self.term(id));
            let mut slot = (hash >> self.shift) as usize;
            while slots[slot] != EMPTY {
                slot = (slot + 1) & (size - 1);
            }
            slots[slot] = pack(hash, id);
        }
        self.slots = slots.into();
    }

    /// Checks a vocabulary read from a model file: an index whose size is a power of two with room to
    /// spare and, if [`thorough`], term bounds that cut the text at character boundaries. The index
    /// entries themselves are checked where they are used (`find` ignores an id beyond the terms).
    fn check_loaded(&mut self) -> std::result::Result<(), String> {
        let mut start = 0;
        for (id, &end) in self.ends.iter().enumerate().filter(|_| thorough()) {
            let end = usize::try_from(end).unwrap_or(usize::MAX);
            if end < start || end > self.text.len() || !self.text.is_char_boundary(end) {
                return Err(format!("term {id} ends at byte {end}, outside its text"));
            }
            start = end;
        }
        let size = self.slots.len();
        if !size.is_power_of_two() || size < 2 * self.len() {
            return Err(format!(
                "a term index of {size} slots for {} terms",
                self.len()
            ));
        }
        self.shift = 64 - size.trailing_zeros();
        Ok(())
    }

    /// The id of `term`, or the empty slot where it would go.
    #[inline]
    fn find(&self, term: &str, hash: u64) -> std::result::Result<u32, usize> {
        self.find_in(&self.slots, self.shift, term, hash)
    }

    /// [`Self::find`] in the index `slots` (with its `shift`) of this vocabulary's terms.
    #[inline]
    fn find_in(
        &self,
        slots: &[u64],
        shift: u32,
        term: &str,
        hash: u64,
    ) -> std::result::Result<u32, usize> {
        let mask = slots.len() - 1;
        let mut slot = (hash >> shift) as usize;
        // Bounded, so that an index without an empty slot (only in a damaged file) cannot hang.
        for _ in 0..slots.len() {
            let entry = slots[slot];
            if entry == EMPTY {
                return Err(slot);
            }
            let id = entry as u32;
            if (entry >> 32) as u32 == hash as u32
                && (id as usize) < self.len()
                && self.term(id) == term
            {
                return Ok(id);
            }
            slot = (slot + 1) & mask;
        }
        Err(slot)
    }

    #[inline]
    fn id(&self, term: &str) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        self.find(term, hash_str(term)).ok()
    }

    /// Loads, for every hash, its home slot and then the bounds and first byte of the term found there,
    /// in three passes of independent loads: the cache misses of a document's look-ups then overlap
    /// instead of being paid one after another inside `find`. Only a hint; results do not depend on it.
    fn touch(&self, hashes: &[u64]) {
        if self.slots.is_empty() {
            return;
        }
        let home = |h: u64| self.slots[(h >> self.shift) as usize];
        let candidate = |h: u64| {
            let entry = home(h);
            (entry != EMPTY && (entry >> 32) as u32 == h as u32).then_some(entry as u32 as usize)
        };
        let start = |id: usize| match id {
            0 => Some(0),
            _ => self.ends.get(id - 1).copied(),
        };
        let mut sink = hashes.iter().fold(0, |acc, &h| acc ^ home(h));
        for &h in hashes {
            if let Some(id) = candidate(h) {
                sink ^= self.ends.get(id).copied().unwrap_or(0) ^ start(id).unwrap_or(0);
            }
        }
        for &h in hashes {
            if let Some(at) = candidate(h).and_then(start) {
                sink ^= self.text.as_bytes().get(at as usize).copied().unwrap_or(0) as u64;
            }
        }
        std::hint::black_box(sink);
    }

    /// The id of `term`, adding it if new. Ids are u32: beyond 2^32 - 1 terms (over 100 GB of
    /// memory) they would wrap.
    #[inline]
    fn intern(&mut self, term: &str, hash: u64) -> u32 {
        // Keeps the load factor at or below 1/2, so probe sequences stay short.
        if (self.len() + 1) * 2 > self.slots.len() {
            self.grow();
        }
        match self.find(term, hash) {
            Ok(id) => id,
            Err(slot) => {
                let id = self.len() as u32;
                self.push(term);
                self.slots.to_mut()[slot] = pack(hash, id);
                id
            }
        }
    }
}

#[inline]
fn pack(hash: u64, id: u32) -> u64 {
    (hash << 32) | id as u64
}

/// A fitted vectorizer: analyzer, parameters, vocabulary and IDF. Serializes (serde) as its analyzer
/// config, parameters, vocabulary blocks and IDF.
#[derive(Clone)]
pub struct TfidfVectorizer {
    analyzer: Analyzer,
    params: TfidfParams,
    vocab: Vocabulary,
    idf: Block<f32>,
    // The word n-gram terms by integer keys; built from `vocab` once enough text has been transformed.
    words: OnceLock<WordIndex>,
    // Bytes of text given to `transform` so far.
    transformed: Transformed,
}

/// A count of bytes that a shared vectorizer adds to; a clone starts from the count of the original.
#[derive(Default)]
struct Transformed(AtomicUsize);

impl Transformed {
    /// Adds `bytes` and returns the new count.
    fn add(&self, bytes: usize) -> usize {
        self.0
            .fetch_add(bytes, Ordering::Relaxed)
            .saturating_add(bytes)
    }
}

impl Clone for Transformed {
    fn clone(&self) -> Self {
        Transformed(AtomicUsize::new(self.0.load(Ordering::Relaxed)))
    }
}

impl TfidfVectorizer {
    /// One row per text, in order. Parallel; the result does not depend on the number of threads.
    pub fn transform(&self, texts: &[&str]) -> CsrMatrix {
        // Building the integer index of word n-grams costs about as much as looking up a few bytes
        // of text per term by string: worth it for a large batch or a stream of batches (as `predict`
        // reads its input), not for a handful of texts. Once the text given so far, this batch's
        // included, would have paid for it, it is built, and the rest of the stream uses it.
        let bytes: usize = texts.iter().map(|t| t.len()).sum();
        let integer_keys =
            self.transformed.add(bytes) >= INDEX_BYTES_PER_TERM * self.vocabulary_size();
        self.transform_with(texts, integer_keys)
    }

    /// [`Self::transform`], with word n-grams looked up by integer keys or, if `integer_keys` is false
    /// and the index is not built yet, by string. The rows are the same either way.
    fn transform_with(&self, texts: &[&str], integer_keys: bool) -> CsrMatrix {
        if integer_keys {
            self.word_index();
        }
        let parts: Vec<CsrMatrix> = texts
            .par_chunks(TRANSFORM_CHUNK)
            .map(|chunk| {
                // Each thread keeps its buffers and its token cache from chunk to chunk and from call
                // to call: a cold cache means stemming every distinct token again. Nothing below
                // calls into rayon, so the borrow is never taken twice on one thread.
                THREAD_SCRATCH.with(|cell| {
                    let (scratch, indices, values) = &mut *cell.borrow_mut();
                    let mut part = CsrMatrix::new(self.vocabulary_size());
                    for text in chunk {
                        self.transform_one(text, scratch, indices, values);
                        part.push_row(indices, values);
                    }
                    part
                })
            })
            .collect();
        CsrMatrix::concat(self.vocabulary_size(), parts)
    }

    /// The row of one text, written into `indices` (strictly increasing term ids) and `values`.
    /// Allocates nothing once the buffers have grown. Word n-grams are looked up by integer keys once
    /// [`Self::transform`] has built their index, by string before.
    pub fn transform_one(
        &self,
        text: &str,
        scratch: &mut Scratch,
        indices: &mut Vec<u32>,
        values: &mut Vec<f32>,
    ) {
        indices.clear();
        values.clear();
        let by_integers = match self.words.get() {
            Some(index) => self.word_terms(text, index, scratch, indices),
            None => false,
        };
        if !by_integers {
            indices.clear();
            self.string_terms(text, scratch, indices);
        }
        indices.sort_unstable();
        // Run-length encode in place: `kept` entries of `indices` are final.
        let runs = &mut scratch.runs;
        runs.clear();
        let (mut kept, mut i) = (0, 0);
        while i < indices.len() {
            let id = indices[i];
            let run = indices[i..].iter().take_while(|&&j| j == id).count();
            indices[kept] = id;
            runs.push(run as u32);
            kept += 1;
            i += run;
        }
        indices.truncate(kept);
        self.touch_idf(indices.iter().copied());
        values.extend(
            indices
                .iter()
                .zip(runs.iter())
                .map(|(&id, &run)| self.weight(id, run as usize)),
        );
        self.normalize(values);
    }

    fn word_index(&self) -> &WordIndex {
        self.words.get_or_init(|| {
            WordIndex::build(
                self.vocab.len(),
                |id| self.vocab.term(id),
                self.analyzer.config().word_ngrams,
            )
        })
    }

    /// Pushes the term ids of `text` onto `ids`, looking word n-grams up by integer keys (see
    /// [`crate::grams`]) and character n-grams by string. Returns false, having pushed only part, when a
    /// word is not safe for integer keys: the caller then uses [`Self::string_terms`].
    fn word_terms(
        &self,
        text: &str,
        index: &WordIndex,
        scratch: &mut Scratch,
        ids: &mut Vec<u32>,
    ) -> bool {
        let analyzer = &self.analyzer;
        let char_ngrams = analyzer.config().char_ngrams;
        let Scratch {
            lower,
            tokens,
            doc_tokens,
            word_ids,
            nodes,
            batch,
            char_grams,
            ..
        } = scratch;
        word_ids.clear();
        batch.clear();
        doc_tokens.clear();
        analyzer.for_each_token(text, lower, |token| {
            doc_tokens.push(token);
            if let Some(range) = char_ngrams {
                char_grams.each(token, range, |gram| batch.push(gram));
            }
        });
        let mut safe = true;
        let stem = |token: &str| {
            let stem = analyzer.stem(token);
            if safe_word(&stem) {
                index.word(&stem)
            } else {
                UNSAFE
            }
        };
        tokens.words(index, doc_tokens, stem, |(word, unigram)| {
            safe &= word != UNSAFE;
            word_ids.push(word);
            if unigram != NONE {
                ids.push(unigram);
            }
        });
        if !safe {
            return false;
        }
        index.ngram_terms(word_ids, analyzer.config().word_ngrams, nodes, ids);
        self.find_batch(batch, ids);
        true
    }

    /// Pushes the term ids of `text` onto `ids`, looking every term up by its string.
    fn string_terms(&self, text: &str, scratch: &mut Scratch, ids: &mut Vec<u32>) {
        let mut batch = std::mem::take(&mut scratch.batch);
        batch.clear();
        self.analyzer
            .for_each_term(text, scratch, |term| batch.push(term));
        self.find_batch(&batch, ids);
        scratch.batch = batch;
    }

    fn find_batch(&self, batch: &TermBatch, ids: &mut Vec<u32>) {
        if self.vocab.slots.is_empty() || batch.hashes.is_empty() {
            return;
        }
        self.vocab.touch(&batch.hashes);
        for (i, &hash) in batch.hashes.iter().enumerate() {
            if let Ok(id) = self.vocab.find(batch.term(i), hash) {
                ids.push(id);
            }
        }
    }

    /// Rows of a fitting chunk, from its counts, with the same arithmetic as `transform_one`, written
    /// into slices sized for them (see [`CsrMatrix::from_blocks`]).
    fn chunk_rows(
        &self,
        rows: &Rows,
        tmp_to_id: &[u32],
        ends: &mut [usize],
        indices: &mut [u32],
        values: &mut [f32],
    ) {
        // (id << 32 | count): one integer to sort.
        let mut pairs: Vec<u64> = Vec::new();
        let mut end = 0;
        for (w, row_end) in rows.indptr.windows(2).zip(ends) {
            pairs.clear();
            pairs.extend(
                rows.ids[w[0]..w[1]]
                    .iter()
                    .zip(rows.counts.range(w[0]..w[1]))
                    .filter(|&(&tmp, _)| tmp != u32::MAX)
                    .map(|(&tmp, count)| ((tmp_to_id[tmp as usize] as u64) << 32) | count as u64)
                    .filter(|&p| p >> 32 != u32::MAX as u64),
            );
            pairs.sort_unstable();
            self.touch_idf(pairs.iter().map(|&p| (p >> 32) as u32));
            let start = end;
            end += pairs.len();
            for ((&p, index), value) in pairs
                .iter()
                .zip(&mut indices[start..end])
                .zip(&mut values[start..end])
            {
                let id = (p >> 32) as u32;
                *index = id;
                *value = self.weight(id, p as u32 as usize);
            }
            self.normalize(&mut values[start..end]);
            *row_end = end;
        }
        debug_assert_eq!(end, indices.len());
    }

    /// Reads the IDF of the terms `ids` ahead of [`Self::weight`]: these reads are cache misses, and
    /// independent ones overlap, where between the logarithms of `weight` they would wait one by one.
    #[inline]
    fn touch_idf(&self, ids: impl Iterator<Item = u32>) {
        std::hint::black_box(ids.fold(0, |acc, id| acc ^ self.idf[id as usize].to_bits()));
    }

    #[inline]
    fn weight(&self, id: u32, count: usize) -> f32 {
        let tf = if self.params.sublinear_tf {
            sublinear_tf(count)
        } else {
            count as f64
        };
        (tf * self.idf[id as usize] as f64) as f32
    }

    fn normalize(&self, values: &mut [f32]) {
        if !self.params.norm {
            return;
        }
        let norm = values
            .iter()
            .map(|&v| v as f64 * v as f64)
            .sum::<f64>()
            .sqrt();
        if norm > 0.0 {
            values
                .iter_mut()
                .for_each(|v| *v = (*v as f64 / norm) as f32);
        }
    }

    /// Number of terms; also the number of columns of every matrix this vectorizer produces.
    pub fn vocabulary_size(&self) -> usize {
        self.vocab.len()
    }

    /// The term with id `id` (panics if `id >= vocabulary_size()`).
    pub fn term(&self, id: u32) -> &str {
        self.vocab.term(id)
    }

    /// The id of `term`, if it is in the vocabulary.
    pub fn id(&self, term: &str) -> Option<u32> {
        self.vocab.id(term)
    }

    /// The stored IDF of term `id` (panics if `id >= vocabulary_size()`).
    pub fn idf(&self, id: u32) -> f32 {
        self.idf[id as usize]
    }

    pub fn analyzer(&self) -> &Analyzer {
        &self.analyzer
    }

    pub fn params(&self) -> &TfidfParams {
        &self.params
    }
}

impl PartialEq for TfidfVectorizer {
    fn eq(&self, other: &Self) -> bool {
        self.analyzer == other.analyzer
            && self.params == other.params
            && self.vocab.text == other.vocab.text
            && self.vocab.ends == other.vocab.ends
            && self.idf == other.idf
    }
}

impl fmt::Debug for TfidfVectorizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TfidfVectorizer")
            .field("analyzer", self.analyzer.config())
            .field("params", &self.params)
            .field("vocabulary_size", &self.vocabulary_size())
            .finish_non_exhaustive()
    }
}

// The serialized form: the vocabulary's text, term ends and index as stored, so that loading rebuilds
// nothing (in a model file they are blocks, borrowed in place from a compiled-in model).
#[derive(Serialize)]
struct ReprOut<'a> {
    analyzer: &'a AnalyzerConfig,
    params: &'a TfidfParams,
    text: &'a TextBlock,
    ends: &'a Block<u64>,
    slots: &'a Block<u64>,
    idf: &'a Block<f32>,
}

#[derive(Deserialize)]
struct ReprIn {
    analyzer: AnalyzerConfig,
    params: TfidfParams,
    text: TextBlock,
    ends: Block<u64>,
    slots: Block<u64>,
    idf: Block<f32>,
}

impl Serialize for TfidfVectorizer {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        ReprOut {
            analyzer: self.analyzer.config(),
            params: &self.params,
            text: &self.vocab.text,
            ends: &self.vocab.ends,
            slots: &self.vocab.slots,
            idf: &self.idf,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for TfidfVectorizer {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let repr = ReprIn::deserialize(d)?;
        let mut vocab = Vocabulary {
            text: repr.text,
            ends: repr.ends,
            slots: repr.slots,
            shift: 0,
        };
        if vocab.len() != repr.idf.len() {
            return Err(refuse(format!(
                "{} terms but {} IDF values",
                vocab.len(),
                repr.idf.len()
            )));
        }
        vocab.check_loaded().map_err(refuse)?;
        repr.params.check().map_err(refuse)?;
        let analyzer = Analyzer::new(repr.analyzer).map_err(refuse)?;
        Ok(TfidfVectorizer {
            analyzer,
            params: repr.params,
            vocab,
            idf: repr.idf,
            words: OnceLock::new(),
            transformed: Transformed::default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyzer::StopWords;
    use std::collections::BTreeMap;

    // The corpus of the scikit-learn comparisons. Every word has two or more characters and no
    // apostrophe or inner period, so scikit-learn's default token_pattern r"(?u)\b\w\w+\b" and UAX #29
    // segmentation give the same tokens.
    const DOCS: [&str; 5] = [
        "The quick brown fox jumps over the lazy dog",
        "The lazy dog barks and the brown fox runs",
        "Quick quick quick: the brown dog sleeps",
        "An old dog and an old fox, lazy in 2024",
        "Foxes and dogs are not the same animals",
    ];

    fn fit(
        params: &TfidfParams,
        config: AnalyzerConfig,
        docs: &[&str],
    ) -> (TfidfVectorizer, CsrMatrix) {
        params
            .fit_transform(Analyzer::new(config).unwrap(), docs)
            .unwrap()
    }

    fn assert_rows(m: &CsrMatrix, expected: &[&[(u32, f64)]]) {
        assert_eq!(m.nrows(), expected.len());
        for (i, want) in expected.iter().enumerate() {
            let row = m.row(i);
            assert_eq!(
                row.indices,
                want.iter().map(|e| e.0).collect::<Vec<_>>(),
                "row {i}"
            );
            for (&got, &(j, want)) in row.values.iter().zip(*want) {
                assert!(
                    (got as f64 - want).abs() < 1e-6,
                    "row {i} col {j}: {got} vs {want}"
                );
            }
        }
    }

    fn assert_idf(v: &TfidfVectorizer, terms: &[&str], idf: &[f64]) {
        let got: Vec<&str> = (0..v.vocabulary_size() as u32).map(|i| v.term(i)).collect();
        assert_eq!(got, terms);
        for (i, &want) in idf.iter().enumerate() {
            assert!((v.idf(i as u32) as f64 - want).abs() < 1e-6, "idf {i}");
        }
    }

    // Expected numbers: scikit-learn 1.9.1 (numpy 2.4.6),
    //   v = TfidfVectorizer(); X = v.fit_transform(DOCS)
    // printing v.get_feature_names_out(), v.idf_ and X's rows as (column, value) rounded to 9 decimals;
    // the last block is v.transform(["zebra dog dog", "unknown words only"]).
    #[test]
    fn matches_sklearn_defaults() {
        let (v, m) = fit(&TfidfParams::default(), AnalyzerConfig::default(), &DOCS);
        let (a, b, c, d) = (2.098612289, 1.405465108, 1.182321557, 1.693147181);
        assert_idf(
            &v,
            &[
                "2024", "an", "and", "animals", "are", "barks", "brown", "dog", "dogs", "fox",
                "foxes", "in", "jumps", "lazy", "not", "old", "over", "quick", "runs", "same",
                "sleeps", "the",
            ],
            &[
                a, a, b, a, a, a, b, c, a, b, a, a, a, b, a, a, a, d, a, a, a, c,
            ],
        );
        assert_rows(
            &m,
            &[
                &[
                    (6, 0.283423776),
                    (7, 0.238425016),
                    (9, 0.283423776),
                    (12, 0.423202694),
                    (13, 0.283423776),
                    (16, 0.423202694),
                    (17, 0.341437269),
                    (21, 0.476850031),
                ],
                &[
                    (2, 0.288704909),
                    (5, 0.431088375),
                    (6, 0.288704909),
                    (7, 0.242867671),
                    (9, 0.288704909),
                    (13, 0.288704909),
                    (18, 0.431088375),
                    (21, 0.485735342),
                ],
                &[
                    (6, 0.237648455),
                    (7, 0.199917372),
                    (17, 0.858876841),
                    (20, 0.354851902),
                    (21, 0.199917372),
                ],
                &[
                    (0, 0.29281678),
                    (1, 0.58563356),
                    (2, 0.19610281),
                    (7, 0.164967866),
                    (9, 0.19610281),
                    (11, 0.29281678),
                    (13, 0.19610281),
                    (15, 0.58563356),
                ],
                &[
                    (2, 0.257468814),
                    (3, 0.384447265),
                    (4, 0.384447265),
                    (8, 0.384447265),
                    (10, 0.384447265),
                    (14, 0.384447265),
                    (19, 0.384447265),
                    (21, 0.216590883),
                ],
            ],
        );
        let t = v.transform(&["zebra dog dog", "unknown words only"]);
        assert_rows(&t, &[&[(7, 1.0)], &[]]);
    }

    // Expected numbers: scikit-learn 1.9.1,
    //   v = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=2); X = v.fit_transform(DOCS)
    // printed as in `matches_sklearn_defaults`.
    #[test]
    fn matches_sklearn_sublinear_bigrams_min_df_2() {
        let params = TfidfParams {
            min_df: DocFreq::Count(2),
            sublinear_tf: true,
            ..TfidfParams::default()
        };
        let config = AnalyzerConfig {
            word_ngrams: 2,
            ..AnalyzerConfig::default()
        };
        let (v, m) = fit(&params, config, &DOCS);
        let (b, c, d) = (1.405465108, 1.182321557, 1.693147181);
        assert_idf(
            &v,
            &[
                "and",
                "brown",
                "brown fox",
                "dog",
                "fox",
                "lazy",
                "lazy dog",
                "quick",
                "the",
                "the brown",
                "the lazy",
            ],
            &[b, b, d, c, b, b, d, d, c, d, d],
        );
        assert_rows(
            &m,
            &[
                &[
                    (1, 0.294353565),
                    (2, 0.354604256),
                    (3, 0.247619498),
                    (4, 0.294353565),
                    (5, 0.294353565),
                    (6, 0.354604256),
                    (7, 0.354604256),
                    (8, 0.419256256),
                    (10, 0.354604256),
                ],
                &[
                    (0, 0.282374615),
                    (1, 0.282374615),
                    (2, 0.340173357),
                    (3, 0.237542429),
                    (4, 0.282374615),
                    (5, 0.282374615),
                    (6, 0.340173357),
                    (8, 0.402194293),
                    (9, 0.340173357),
                    (10, 0.340173357),
                ],
                &[
                    (1, 0.312221515),
                    (3, 0.262650582),
                    (7, 0.789350125),
                    (8, 0.262650582),
                    (9, 0.376129564),
                ],
                &[
                    (0, 0.519337204),
                    (3, 0.436882828),
                    (4, 0.519337204),
                    (5, 0.519337204),
                ],
                &[(0, 0.765240531), (8, 0.64374446)],
            ],
        );
        assert_rows(
            &v.transform(&["zebra dog dog", "unknown words only"]),
            &[&[(3, 1.0)], &[]],
        );
    }

    #[test]
    fn transform_ignores_unseen_terms_and_keeps_fitted_idf() {
        let (v, m) = fit(&TfidfParams::default(), AnalyzerConfig::default(), &DOCS);
        let idf: Vec<f32> = (0..v.vocabulary_size() as u32).map(|i| v.idf(i)).collect();
        // A batch where "dog" is in every document would give it a different IDF if recomputed.
        let batch = ["dog fox", "dog zebra", "dog", "", "?!"];
        let t = v.transform(&batch);
        assert_eq!((t.nrows(), t.ncols()), (5, v.vocabulary_size()));
        let (dog, fox) = (v.id("dog").unwrap(), v.id("fox").unwrap());
        assert_eq!(v.id("zebra"), None);
        let want = (v.idf(dog) as f64).hypot(v.idf(fox) as f64);
        assert!((t.row(0).values[0] as f64 - v.idf(dog) as f64 / want).abs() < 1e-6);
        assert_eq!(t.row(1).indices, [dog]);
        assert_eq!(t.row(1).values, [1.0]);
        assert_eq!((t.row(3).nnz(), t.row(4).nnz()), (0, 0));
        assert_eq!(
            (0..v.vocabulary_size() as u32)
                .map(|i| v.idf(i))
                .collect::<Vec<_>>(),
            idf
        );
        // Training rows equal the rows transform gives for the training texts.
        assert_eq!(v.transform(&DOCS), m);
    }

    #[test]
    fn no_norm_gives_raw_tf_idf() {
        let params = TfidfParams {
            norm: false,
            ..TfidfParams::default()
        };
        let (v, m) = fit(&params, AnalyzerConfig::default(), &DOCS);
        let quick = v.id("quick").unwrap();
        let row = m.row(2);
        let k = row.indices.iter().position(|&j| j == quick).unwrap();
        assert_eq!(row.values[k], (3.0 * v.idf(quick) as f64) as f32);
    }

    fn synthetic_corpus(n: usize) -> Vec<String> {
        // A small deterministic generator, so the test corpus spans several fitting chunks.
        let words = [
            "alpha", "beta", "Gamma", "delta", "épsilon", "zeta", "ηta", "theta", "iota", "kappa",
            "lambda", "mu",
        ];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        (0..n)
            .map(|i| {
                let len = 3 + i % 17;
                (0..len)
                    .map(|_| {
                        state ^= state << 13;
                        state ^= state >> 7;
                        state ^= state << 17;
                        words[(state % words.len() as u64) as usize]
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
                    + &format!(" doc{}", i % 301)
            })
            .collect()
    }

    #[test]
    fn fit_transform_is_identical_with_1_and_4_threads() {
        let corpus = synthetic_corpus(3 * FIT_CHUNK + 7);
        let texts: Vec<&str> = corpus.iter().map(String::as_str).collect();
        let params = TfidfParams {
            min_df: DocFreq::Count(2),
            max_df: DocFreq::Fraction(0.9),
            max_features: Some(500),
            sublinear_tf: true,
            norm: true,
        };
        let config = AnalyzerConfig {
            word_ngrams: 2,
            char_ngrams: Some((3, 4)),
            stemmer: Some(crate::analyzer::Language::English),
            ..AnalyzerConfig::default()
        };
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                let (v, m) = fit(&params, config.clone(), &texts);
                let t = v.transform(&texts);
                (v, m, t)
            })
        };
        let (v1, m1, t1) = run(1);
        let (v4, m4, t4) = run(4);
        assert_eq!(v1.vocabulary_size(), 500);
        assert_eq!(v1, v4);
        assert_eq!(m1, m4);
        assert_eq!(t1, t4);
        assert_eq!(m1, t1);
    }

    #[test]
    fn a_fit_on_owned_texts_is_the_fit_on_borrowed_ones() {
        let corpus = synthetic_corpus(2 * FIT_CHUNK + 3);
        let texts: Vec<&str> = corpus.iter().map(String::as_str).collect();
        let params = TfidfParams {
            min_df: DocFreq::Count(2),
            sublinear_tf: true,
            ..TfidfParams::default()
        };
        for char_ngrams in [None, Some((2, 3))] {
            let config = AnalyzerConfig {
                word_ngrams: 3,
                char_ngrams,
                ..AnalyzerConfig::default()
            };
            let borrowed = fit(&params, config.clone(), &texts);
            let owned = params
                .fit_transform_owned(Analyzer::new(config).unwrap(), corpus.clone())
                .unwrap();
            assert_eq!(borrowed, owned, "{char_ngrams:?}");
        }
        // The same refusals.
        let analyzer = || Analyzer::new(AnalyzerConfig::default()).unwrap();
        let empty = params.fit_transform_owned(analyzer(), vec!["?!".into(), String::new()]);
        let err = empty.unwrap_err().to_string();
        assert!(err.contains("at least one term"), "{err}");
        assert_eq!(
            err,
            params
                .fit_transform(analyzer(), &["?!", ""])
                .unwrap_err()
                .to_string()
        );
    }

    #[test]
    fn serde_round_trip_gives_identical_transforms() {
        let corpus = synthetic_corpus(700);
        let texts: Vec<&str> = corpus.iter().map(String::as_str).collect();
        let config = AnalyzerConfig {
            stop_words: StopWords::Custom(vec!["mu".into()]),
            word_ngrams: 3,
            ..AnalyzerConfig::default()
        };
        let (v, m) = fit(&TfidfParams::default(), config, &texts);
        let bytes = postcard::to_stdvec(&v).unwrap();
        let back: TfidfVectorizer = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(back, v);
        assert_eq!(back.transform(&texts), m);
        for id in 0..v.vocabulary_size() as u32 {
            assert_eq!(back.id(v.term(id)), Some(id));
        }
        let json = serde_json::to_string(&v).unwrap();
        let back: TfidfVectorizer = serde_json::from_str(&json).unwrap();
        assert_eq!(back.transform(&texts), m);
    }

    #[test]
    fn damaged_model_is_refused() {
        let (v, _) = fit(&TfidfParams::default(), AnalyzerConfig::default(), &DOCS);
        let json: serde_json::Value = serde_json::to_value(&v).unwrap();
        let refused = |change: &dyn Fn(&mut serde_json::Value)| {
            let mut json = json.clone();
            change(&mut json);
            serde_json::from_value::<TfidfVectorizer>(json)
                .unwrap_err()
                .to_string()
        };
        assert!(refused(&|j| j["ends"][0] = 10_000.into()).contains("outside its text"));
        // "ü" is two bytes: an end after its first byte would cut the character.
        assert!(refused(&|j| j["text"] = "ü".into()).contains("outside its text"));
        assert!(refused(&|j| j["idf"] = serde_json::json!([1.0])).contains("IDF values"));
        assert!(refused(&|j| j["slots"] = serde_json::json!([0, 0, 0])).contains("slots"));
        let bytes = crate::format::encode(&v).unwrap();
        let name = std::path::Path::new("v.detente");
        assert_eq!(
            crate::format::decode::<TfidfVectorizer>(bytes.clone(), name).unwrap(),
            v
        );
        let mut damaged = bytes.clone();
        damaged[24 + 8..].fill(0xff);
        let crc = crc32fast::hash(&damaged[24..]);
        damaged[20..24].copy_from_slice(&crc.to_le_bytes());
        assert!(crate::format::decode::<TfidfVectorizer>(damaged, name).is_err());
    }

    #[test]
    fn max_features_keeps_most_frequent_then_first_in_term_order() {
        let docs = ["b b b a", "c c a", "d d d"];
        let params = TfidfParams {
            max_features: Some(2),
            ..TfidfParams::default()
        };
        // Totals: b 3, d 3, a 2, c 2 → b and d.
        let (v, _) = fit(&params, AnalyzerConfig::default(), &docs);
        assert_eq!((v.term(0), v.term(1)), ("b", "d"));
        let params = TfidfParams {
            max_features: Some(3),
            ..TfidfParams::default()
        };
        let (v, _) = fit(&params, AnalyzerConfig::default(), &docs);
        assert_eq!((v.term(0), v.term(1), v.term(2)), ("a", "b", "d"));
    }

    #[test]
    fn document_frequency_bounds_filter_terms() {
        let docs = ["a b", "a c", "a b d"];
        let params = TfidfParams {
            min_df: DocFreq::Count(2),
            max_df: DocFreq::Fraction(0.8),
            ..TfidfParams::default()
        };
        let (v, _) = fit(&params, AnalyzerConfig::default(), &docs);
        assert_eq!(v.vocabulary_size(), 1);
        assert_eq!(v.term(0), "b");
    }

    #[test]
    fn empty_vocabulary_and_bad_bounds_are_clear_errors() {
        let analyzer = || Analyzer::new(AnalyzerConfig::default()).unwrap();
        let strict = TfidfParams {
            min_df: DocFreq::Count(3),
            ..TfidfParams::default()
        };
        let err = strict
            .fit_transform(analyzer(), &["a b", "c d", "e"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("lower min_df or raise max_df"), "{err}");
        let err = TfidfParams::default()
            .fit_transform(analyzer(), &["", "?!"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("at least one term"), "{err}");
        assert!(
            TfidfParams::default()
                .fit_transform(analyzer(), &[])
                .is_err()
        );
        let crossed = TfidfParams {
            min_df: DocFreq::Count(2),
            max_df: DocFreq::Count(1),
            ..TfidfParams::default()
        };
        assert!(crossed.fit_transform(analyzer(), &["a", "a"]).is_err());
        let zero = TfidfParams {
            max_features: Some(0),
            ..TfidfParams::default()
        };
        assert!(zero.check().is_err());
    }

    #[test]
    fn doc_freq_parses_counts_and_fractions() {
        assert_eq!("5".parse::<DocFreq>().unwrap(), DocFreq::Count(5));
        assert_eq!("1".parse::<DocFreq>().unwrap(), DocFreq::Count(1));
        assert_eq!(" 0.5 ".parse::<DocFreq>().unwrap(), DocFreq::Fraction(0.5));
        assert_eq!("1.0".parse::<DocFreq>().unwrap(), DocFreq::Fraction(1.0));
        assert_eq!("1e-3".parse::<DocFreq>().unwrap(), DocFreq::Fraction(0.001));
        for bad in ["0", "1.5", "-1", "-0.5", "NaN", "", "five"] {
            assert!(bad.parse::<DocFreq>().is_err(), "{bad}");
        }
        assert_eq!(DocFreq::Fraction(1.0).to_string(), "1.0");
        assert_eq!(DocFreq::Count(3).to_string(), "3");
        let params = TfidfParams::default();
        let bytes = postcard::to_stdvec(&params).unwrap();
        assert_eq!(postcard::from_bytes::<TfidfParams>(&bytes).unwrap(), params);
    }

    #[test]
    fn transform_one_reuses_buffers_and_sorts_ids() {
        let config = AnalyzerConfig {
            word_ngrams: 2,
            ..AnalyzerConfig::default()
        };
        let (v, m) = fit(&TfidfParams::default(), config, &DOCS);
        let mut scratch = Scratch::default();
        let (mut indices, mut values) = (Vec::new(), Vec::new());
        for (i, text) in DOCS.iter().enumerate() {
            v.transform_one(text, &mut scratch, &mut indices, &mut values);
            assert!(indices.windows(2).all(|w| w[0] < w[1]));
            assert_eq!(indices, m.row(i).indices);
            assert_eq!(values, m.row(i).values);
        }
        v.transform_one("\u{0}\u{0}", &mut scratch, &mut indices, &mut values);
        assert!(indices.is_empty() && values.is_empty());
    }

    type Counts = BTreeMap<String, usize>;
    type Rows = Vec<Vec<(u32, f32)>>;

    /// Term counts of each text, from the analyzer's terms.
    fn reference_counts(analyzer: &Analyzer, texts: &[&str]) -> Vec<Counts> {
        let mut scratch = Scratch::default();
        texts
            .iter()
            .map(|text| {
                let mut counts = Counts::new();
                analyzer.for_each_term(text, &mut scratch, |t| match counts.get_mut(t) {
                    Some(c) => *c += 1,
                    None => {
                        counts.insert(t.to_string(), 1);
                    }
                });
                counts
            })
            .collect()
    }

    /// TF-IDF as the module docs define it, with ordered maps and strings, from the term counts of the
    /// fitting documents: the vocabulary, its IDF, and the rows of `docs` then of `others`.
    fn reference_fit(
        params: &TfidfParams,
        docs: &[Counts],
        others: &[Counts],
    ) -> (Vec<String>, Vec<f32>, Rows, Rows) {
        let mut df: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        for doc in docs {
            for (term, &c) in doc {
                let e = df.entry(term).or_default();
                e.0 += 1;
                e.1 += c;
            }
        }
        let n = docs.len();
        let (lo, hi) = (params.min_df.documents(n), params.max_df.documents(n));
        let mut kept: Vec<(&str, usize, usize)> = df
            .iter()
            .filter(|(_, (d, _))| (lo..=hi).contains(&(*d as f64)))
            .map(|(t, &(d, total))| (*t, d, total))
            .collect();
        if let Some(limit) = params.max_features {
            kept.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(b.0)));
            kept.truncate(limit);
            kept.sort_by(|a, b| a.0.cmp(b.0));
        }
        let terms: Vec<String> = kept.iter().map(|k| k.0.to_string()).collect();
        let idf: Vec<f32> = kept.iter().map(|k| smooth_idf(n, k.1)).collect();
        let ids: BTreeMap<&str, u32> = kept
            .iter()
            .enumerate()
            .map(|(i, k)| (k.0, i as u32))
            .collect();
        let row = |counts: &Counts| {
            let mut row: Vec<(u32, f32)> = counts
                .iter()
                .filter_map(|(t, &c)| {
                    let id = *ids.get(t.as_str())?;
                    let tf = if params.sublinear_tf {
                        1.0 + (c as f64).ln()
                    } else {
                        c as f64
                    };
                    Some((id, (tf * idf[id as usize] as f64) as f32))
                })
                .collect();
            row.sort_by_key(|e| e.0);
            if params.norm {
                let norm = row
                    .iter()
                    .map(|e| e.1 as f64 * e.1 as f64)
                    .sum::<f64>()
                    .sqrt();
                if norm > 0.0 {
                    row.iter_mut()
                        .for_each(|e| e.1 = (e.1 as f64 / norm) as f32);
                }
            }
            row
        };
        let fit_rows = docs.iter().map(row).collect();
        let other_rows = others.iter().map(row).collect();
        (terms, idf, fit_rows, other_rows)
    }

    fn rows_of(m: &CsrMatrix) -> Vec<Vec<(u32, f32)>> {
        m.rows()
            .map(|r| {
                r.indices
                    .iter()
                    .copied()
                    .zip(r.values.iter().copied())
                    .collect()
            })
            .collect()
    }

    // The whole vectorizer, bit for bit, against `reference_fit`, for every analyzer setting of
    // `analyzer::testing::configs` and filters of every kind; any speed-up must keep this passing.
    #[test]
    fn fit_and_transform_match_the_reference_bit_for_bit() {
        // Without words holding a space, fitting counts word n-grams by integer keys; with them, by
        // string. Transforming takes the string path only for the texts that hold one.
        for spaced_words in [false, true] {
            let corpus = crate::analyzer::testing::texts_with(600, 11, spaced_words);
            let held_out = crate::analyzer::testing::texts(150, 12);
            matches_reference(&corpus, &held_out, spaced_words);
        }
    }

    #[test]
    fn a_stream_of_small_batches_builds_the_word_index_once_it_pays() {
        let corpus = synthetic_corpus(400);
        let texts: Vec<&str> = corpus.iter().map(String::as_str).collect();
        let (v, _) = fit(
            &TfidfParams::default(),
            AnalyzerConfig {
                word_ngrams: 2,
                ..AnalyzerConfig::default()
            },
            &texts,
        );
        let by_string = v.clone();
        let pays = INDEX_BYTES_PER_TERM * v.vocabulary_size();
        let batch: Vec<&str> = texts[..40].to_vec();
        let bytes: usize = batch.iter().map(|t| t.len()).sum();
        assert!(
            bytes < pays && pays < 20 * bytes,
            "{bytes} bytes a batch, {pays} to pay"
        );
        let mut given = 0;
        while given < pays {
            assert!(v.words.get().is_none(), "built after {given} bytes");
            assert_eq!(v.transform(&batch), by_string.transform_with(&batch, false));
            given += bytes;
        }
        // The batch that reached the cost built it; the rows are the same.
        assert!(v.words.get().is_some());
        assert_eq!(v.transform(&batch), by_string.transform_with(&batch, false));
        assert!(by_string.words.get().is_none());
    }

    // A chunk counted in a scratch that counted another chunk before, or whose document stamps start
    // again from zero, gives what a fresh scratch gives.
    #[test]
    fn a_reused_gram_scratch_counts_as_a_fresh_one() {
        let analyzer = Analyzer::new(AnalyzerConfig {
            word_ngrams: 3,
            ..AnalyzerConfig::default()
        })
        .unwrap();
        let corpus = synthetic_corpus(300);
        let texts: Vec<&str> = corpus.iter().map(String::as_str).collect();
        let tokenize = |texts: &[&str]| {
            tokenize_chunk(
                &analyzer,
                texts,
                &mut Scratch::default(),
                StrTable::default(),
            )
        };
        let (first, second) = (tokenize(&texts[..150]), tokenize(&texts[150..]));
        // Each chunk's tokens are their own words.
        let own = |chunk: &ChunkTokens| (0..chunk.tokens.len() as u32).collect::<Vec<u32>>();
        let (first_map, second_map) = (own(&first), own(&second));
        let words: Vec<u32> = (0..first_map.len().max(second_map.len()) as u32).collect();
        let count = |chunk: &ChunkTokens, map: &[u32], scratch: &mut GramScratch| {
            let grams = count_chunk_grams(chunk, map, &words, words.len(), 3, scratch);
            (grams.levels, grams.ends, grams.keys, grams.counts)
        };
        let fresh = count(&second, &second_map, &mut GramScratch::default());
        assert!(fresh.3.range(0..fresh.3.bytes.len()).any(|c| c > 1));

        let mut reused = GramScratch::default();
        count(&first, &first_map, &mut reused);
        assert_eq!(count(&second, &second_map, &mut reused), fresh);
        // Stamps about to run out start again from zero: the entries left with the same stamps by the
        // chunk before must not count.
        let mut worn = GramScratch::default();
        count(&first, &first_map, &mut worn);
        worn.stamp = u32::MAX - 5;
        assert_eq!(count(&second, &second_map, &mut worn), fresh);
    }

    #[test]
    fn byte_counts_keep_large_counts_aside() {
        let mut counts: ByteCounts = [1, 254, 255, 70_000, 3].into_iter().collect();
        assert_eq!(counts.aside, [(2, 255), (3, 70_000)]);
        // 254 → 255 sets the entry aside, inserted in entry order before those already aside.
        counts.add_one(1);
        counts.add_one(1);
        counts.add_one(2);
        counts.add_one(0);
        assert_eq!(
            counts.range(0..5).collect::<Vec<_>>(),
            [2, 256, 256, 70_000, 3]
        );
        assert_eq!(counts.aside, [(1, 256), (2, 256), (3, 70_000)]);
        assert_eq!(counts.range(2..4).collect::<Vec<_>>(), [256, 70_000]);
        // Keeping entries 0, 2 and 4 renumbers what is aside.
        let mut aside = Vec::new();
        for (to, from) in [0, 2, 4].into_iter().enumerate() {
            counts.move_entry(from, to, &mut aside);
        }
        counts.truncate(3, aside);
        assert_eq!(counts.range(0..3).collect::<Vec<_>>(), [2, 256, 3]);
        assert_eq!(counts.aside, [(1, 256)]);
    }

    #[test]
    fn counts_of_255_and_more_in_a_document_match_the_reference() {
        // Words and bigrams that occur 254 to 700 times in a document, in chunks whose other terms are
        // partly dropped by min_df, so that the large counts are renumbered as the rows are compacted.
        let mut corpus = crate::analyzer::testing::texts_with(600, 21, false);
        for (i, n) in [254, 255, 256, 700].into_iter().enumerate() {
            let repeated = "peace talks ".repeat(n) + &"sanctions ".repeat(n + i);
            corpus.insert(100 * i + 7, format!("only{i} {repeated} once{i}"));
        }
        let held_out = crate::analyzer::testing::texts(50, 22);
        matches_reference(&corpus, &held_out, false);
    }

    #[test]
    fn a_vocabulary_from_pieces_is_the_one_pushed_term_by_term() {
        let terms = ["a", "bc", "zürich", "d e", "x"];
        let mut pushed = Vocabulary::default();
        terms.iter().for_each(|t| pushed.push(t));
        pushed.build_index().unwrap();
        let pieces = vec![
            ("abc".to_string(), vec![1, 2]),
            (String::new(), vec![]),
            ("zürichd e".to_string(), vec![7, 3]),
            ("x".to_string(), vec![1]),
        ];
        let mut joined = Vocabulary::from_pieces(pieces);
        joined.build_index().unwrap();
        assert_eq!(joined.len(), terms.len());
        for (id, term) in terms.iter().enumerate() {
            assert_eq!(joined.term(id as u32), *term);
            assert_eq!(joined.find(term, hash_str(term)), Ok(id as u32));
        }
        assert_eq!(&*joined.text, &*pushed.text);
        assert_eq!(&*joined.ends, &*pushed.ends);
        assert_eq!(&*joined.slots, &*pushed.slots);
        let mut twice = Vocabulary::from_pieces(vec![("aa".to_string(), vec![1, 1])]);
        assert!(twice.build_index().is_err());
    }

    // Fitting counts a batch of chunks while it merges the previous one: with several batches (one is
    // 2 · FIT_CHUNK · max(threads, 2) documents) the result is still the reference's, on any thread count.
    #[test]
    fn a_fit_of_several_batches_matches_the_reference() {
        let corpus = crate::analyzer::testing::texts(9 * FIT_CHUNK + 5, 13);
        let texts: Vec<&str> = corpus.iter().map(String::as_str).collect();
        let params = TfidfParams {
            min_df: DocFreq::Count(2),
            sublinear_tf: true,
            ..TfidfParams::default()
        };
        let config = AnalyzerConfig {
            word_ngrams: 3,
            stemmer: Some(crate::analyzer::Language::English),
            ..AnalyzerConfig::default()
        };
        let analyzer = Analyzer::new(config.clone()).unwrap();
        let docs = reference_counts(&analyzer, &texts);
        let (terms, idf, fit_rows, _) = reference_fit(&params, &docs, &[]);
        for threads in [1, 2, 3] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let (v, m) = pool.install(|| fit(&params, config.clone(), &texts));
            assert_eq!(v.vocabulary_size(), terms.len(), "{threads} threads");
            for (id, term) in terms.iter().enumerate() {
                assert_eq!(v.term(id as u32), term);
                assert_eq!(v.idf(id as u32).to_bits(), idf[id].to_bits());
            }
            assert_eq!(rows_of(&m), fit_rows, "{threads} threads");
        }
    }

    // A word unsafe for integer keys in a later batch: the batches counted by integer keys are turned into
    // string counts, owned texts already freed. The same fit as the reference, on any thread count (which
    // sets the batch size, so where the hand-over happens), owned or borrowed.
    #[test]
    fn a_hand_over_to_strings_after_some_batches_matches_the_reference() {
        let mut corpus = crate::analyzer::testing::texts_with(5 * FIT_CHUNK, 14, false);
        let spaced = crate::analyzer::testing::texts_with(300, 15, true);
        corpus.extend(spaced.iter().cloned());
        let texts: Vec<&str> = corpus.iter().map(String::as_str).collect();
        let params = TfidfParams {
            min_df: DocFreq::Count(2),
            sublinear_tf: true,
            ..TfidfParams::default()
        };
        for char_ngrams in [None, Some((3, 4))] {
            let config = AnalyzerConfig {
                word_ngrams: 3,
                char_ngrams,
                stemmer: Some(crate::analyzer::Language::English),
                ..AnalyzerConfig::default()
            };
            let analyzer = Analyzer::new(config.clone()).unwrap();
            let docs = reference_counts(&analyzer, &texts);
            let (terms, idf, fit_rows, _) = reference_fit(&params, &docs, &[]);
            assert!(terms.iter().any(|t| t.contains("  ")), "{config:?}");
            for threads in [1, 2, 4] {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap();
                let what = format!("{config:?} on {threads} threads");
                pool.install(|| {
                    let mut owned = FitTexts::Owned {
                        texts: corpus.clone(),
                        freed: 0,
                    };
                    let counted = count_words(&analyzer, &mut owned, (1.0, f64::MAX), false);
                    assert!(counted.by_string, "{what}");
                    let FitTexts::Owned { texts: freed, .. } = owned else {
                        unreachable!()
                    };
                    assert!(freed.iter().all(String::is_empty), "{what}");

                    let borrowed = fit(&params, config.clone(), &texts);
                    let owned = params
                        .fit_transform_owned(Analyzer::new(config.clone()).unwrap(), corpus.clone())
                        .unwrap();
                    assert_eq!(borrowed, owned, "{what}");
                    let (v, m) = borrowed;
                    assert_eq!(v.vocabulary_size(), terms.len(), "{what}");
                    for (id, term) in terms.iter().enumerate() {
                        assert_eq!(v.term(id as u32), term, "{what}");
                        assert_eq!(v.idf(id as u32).to_bits(), idf[id].to_bits(), "{what}");
                    }
                    assert_eq!(rows_of(&m), fit_rows, "{what}");
                });
            }
        }
    }

    fn matches_reference(corpus: &[String], held_out: &[String], spaced_words: bool) {
        let texts: Vec<&str> = corpus.iter().map(String::as_str).collect();
        let other: Vec<&str> = held_out.iter().map(String::as_str).collect();
        let param_sets = [
            TfidfParams::default(),
            TfidfParams {
                min_df: DocFreq::Count(2),
                sublinear_tf: true,
                ..TfidfParams::default()
            },
            TfidfParams {
                min_df: DocFreq::Fraction(0.002),
                max_df: DocFreq::Fraction(0.3),
                max_features: Some(700),
                sublinear_tf: true,
                norm: false,
            },
        ];
        for config in crate::analyzer::testing::configs() {
            let analyzer = Analyzer::new(config.clone()).unwrap();
            let (docs, others) = (
                reference_counts(&analyzer, &texts),
                reference_counts(&analyzer, &other),
            );
            let integer_keys = !count_words(
                &analyzer,
                &mut FitTexts::Borrowed(&texts),
                (1.0, f64::MAX),
                false,
            )
            .by_string;
            if !spaced_words || config.stemmer.is_none() {
                assert_eq!(integer_keys, !spaced_words, "{config:?}");
            }
            for params in &param_sets {
                let (v, m) = fit(params, config.clone(), &texts);
                let (terms, idf, fit_rows, other_rows) = reference_fit(params, &docs, &others);
                let what = format!("{config:?} {params:?}");
                if *params == TfidfParams::default() && spaced_words {
                    // The corner case of word n-grams: a token that holds a space (" \u{345}").
                    assert!(terms.iter().any(|t| t.contains("  ")), "{what}");
                }
                assert_eq!(v.vocabulary_size(), terms.len(), "{what}");
                for (id, term) in terms.iter().enumerate() {
                    assert_eq!(v.term(id as u32), term, "{what}");
                    assert_eq!(v.idf(id as u32).to_bits(), idf[id].to_bits(), "{what}");
                }
                assert_eq!(rows_of(&m), fit_rows, "{what}");
                // By string (the index is not built yet), then by integer keys.
                assert!(v.words.get().is_none());
                assert_eq!(
                    rows_of(&v.transform_with(&other, false)),
                    other_rows,
                    "{what}"
                );
                assert_eq!(
                    rows_of(&v.transform_with(&other, true)),
                    other_rows,
                    "{what}"
                );
                assert!(v.words.get().is_some());
                assert_eq!(v.transform(&texts), m, "{what}");
            }
        }
    }
}
