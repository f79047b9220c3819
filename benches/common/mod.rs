//! Fixtures shared by the criterion benches: a synthetic labeled corpus generated here (deterministic, no
//! corpus text copied), and the real corpora read from `$DETENTE_DATA` (default `../shared/corpora`) when
//! that directory exists.

#![allow(dead_code)] // each bench uses a different part

use detente::analyzer::{AnalyzerConfig, Language, StopWords};
use detente::io::{Format, LabelValue, ReadOptions, read_documents};
use detente::tfidf::{DocFreq, TfidfParams};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// A labeled corpus, with what is known about it by construction.
pub struct Corpus {
    pub name: String,
    pub texts: Vec<String>,
    pub labels: Vec<u32>,
    pub n_classes: usize,
    /// Words per text as generated (`None` for a real corpus).
    pub words: Option<Vec<usize>>,
}

impl Corpus {
    pub fn refs(&self) -> Vec<&str> {
        self.texts.iter().map(String::as_str).collect()
    }

    pub fn bytes(&self) -> u64 {
        self.texts.iter().map(|t| t.len() as u64).sum()
    }

    /// The first `n` documents.
    pub fn head(&self, n: usize) -> Corpus {
        let n = n.min(self.texts.len());
        Corpus {
            name: format!("{}[..{n}]", self.name),
            texts: self.texts[..n].to_vec(),
            labels: self.labels[..n].to_vec(),
            n_classes: self.n_classes,
            words: self.words.as_ref().map(|w| w[..n].to_vec()),
        }
    }
}

/// The command line's default analysis: English stemming, word 1–2-grams, no stop words.
pub fn cli_analyzer() -> AnalyzerConfig {
    AnalyzerConfig {
        lowercase: true,
        stop_words: StopWords::None,
        stemmer: Some(Language::English),
        word_ngrams: 2,
        char_ngrams: None,
    }
}

/// The command line's default TF-IDF settings: min_df 2, sublinear TF, L2 norm.
pub fn cli_tfidf() -> TfidfParams {
    TfidfParams {
        min_df: DocFreq::Count(2),
        sublinear_tf: true,
        ..TfidfParams::default()
    }
}

/// `n_docs` news-like texts in four classes. Words are made of syllables; each class draws a third of its
/// words from its own topic list and the rest from a shared Zipf-like list, so the classes are learnable
/// but overlap. Words are lowercase ASCII letters separated by single spaces, with a period every few
/// words, so every word is one token and a text of n words has n unigrams and n − 1 bigrams.
pub fn synthetic(n_docs: usize, seed: u64) -> Corpus {
    const SYLLABLES: [&str; 16] = [
        "ka", "lo", "ment", "ri", "ta", "ne", "sor", "vi", "pa", "dun", "ge", "mo", "tre", "lis",
        "ba", "xo",
    ];
    let mut state = seed | 1;
    let mut next = move |bound: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % bound
    };
    let mut word = |i: u64| {
        let mut w = String::new();
        let mut k = i + 7;
        while k > 0 {
            w.push_str(SYLLABLES[(k % 16) as usize]);
            k /= 16;
        }
        w
    };
    let shared: Vec<String> = (0..3000).map(&mut word).collect();
    let topics: Vec<Vec<String>> = (0..4)
        .map(|c| (0..300).map(|i| word(10_000 + c * 1000 + i)).collect())
        .collect();
    let (mut texts, mut labels, mut words) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..n_docs {
        let class = next(4) as usize;
        let n = 20 + next(260) as usize;
        let mut text = String::new();
        for i in 0..n {
            if i > 0 {
                text.push_str(if next(9) == 0 { ". " } else { " " });
            }
            if next(3) == 0 {
                text.push_str(&topics[class][next(300) as usize]);
            } else {
                // Zipf-like: small ranks far more often.
                let r = next(3000);
                text.push_str(&shared[(r * r / 3000) as usize]);
            }
        }
        texts.push(text);
        labels.push(class as u32);
        words.push(n);
    }
    Corpus {
        name: format!("synthetic-{n_docs}"),
        texts,
        labels,
        n_classes: 4,
        words: Some(words),
    }
}

/// The corpora directory: `$DETENTE_DATA`, else `../shared/corpora`; `None` (with a note on stderr) when
/// it does not exist, so that the corpus benches are skipped.
pub fn data_root() -> Option<PathBuf> {
    let root =
        PathBuf::from(std::env::var("DETENTE_DATA").unwrap_or_else(|_| "../shared/corpora".into()));
    if root.is_dir() {
        Some(root)
    } else {
        eprintln!(
            "no corpora at {} (set DETENTE_DATA): skipping the corpus benches",
            root.display()
        );
        None
    }
}

/// A single-label corpus file or folder under the data root, its labels numbered in sorted order.
pub fn read_corpus(
    name: &str,
    relative: &str,
    format: Option<Format>,
    text_field: &str,
    label_field: &str,
) -> Option<Corpus> {
    let path = data_root()?.join(relative);
    let options = ReadOptions {
        format,
        text_field: text_field.into(),
        label_fields: vec![label_field.into()],
        partial_labels: false,
    };
    let (mut texts, mut names) = (Vec::new(), Vec::new());
    read_documents(&path, &options, &mut |doc| {
        texts.push(doc.text);
        match &doc.labels[0] {
            LabelValue::One(l) => names.push(l.clone()),
            other => panic!("{}: not a single label: {other:?}", path.display()),
        }
        Ok(())
    })
    .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let mut ids: BTreeMap<String, u32> = names.iter().map(|l| (l.clone(), 0)).collect();
    for (i, id) in ids.values_mut().enumerate() {
        *id = i as u32;
    }
    Some(Corpus {
        name: name.into(),
        labels: names.iter().map(|l| ids[l]).collect(),
        n_classes: ids.len(),
        texts,
        words: None,
    })
}

/// R8's training split: 5,485 documents, 8 classes (counts from the corpus's PROVENANCE.md).
pub fn r8_train() -> Option<Corpus> {
    let c = read_corpus(
        "r8-train",
        "r8/r8-train-all-terms.txt",
        Some(Format::Tsv),
        "Example",
        "Class",
    )?;
    assert_eq!((c.texts.len(), c.n_classes), (5485, 8), "R8 train changed");
    Some(c)
}

/// NYT-CAP's training split: 24,846 headlines and summaries.
pub fn nyt_cap_train() -> Option<Corpus> {
    let c = read_corpus(
        "nyt-cap-train",
        "nyt-cap/train.jsonl",
        None,
        "text",
        "label",
    )?;
    assert_eq!(c.texts.len(), 24_846, "NYT-CAP train changed");
    Some(c)
}
