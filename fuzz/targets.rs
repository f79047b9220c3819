//! The fuzz targets, shared by the libFuzzer harness (`fuzz/fuzz_targets/*.rs`, run with `cargo fuzz`) and
//! the stable-Rust driver (`examples/fuzz.rs`), together with the valid inputs they start from.
//!
//! Each target feeds arbitrary bytes to one entry point that reads untrusted data and checks what must hold
//! whatever the bytes: no panic (the harness catches it), every document and every error naming a line
//! that exists, reports that add up, and a model that loads being usable (it predicts, lists its top
//! terms, and re-encodes to an image that decodes to the same bytes).

use detente::analyzer::{AnalyzerConfig, Language, StopWords};
use detente::io::{self, Document, LabelValue, ReadOptions};
use detente::model::{Corpus, Model, TrainOptions};
use detente::models::{Algorithm, ModelParams};
use detente::tfidf::{DocFreq, TfidfParams};
use detente::{Error, format, tone};
use std::path::Path;
use std::sync::OnceLock;

/// Every target, by name.
pub const TARGETS: [&str; 6] = ["model", "jsonl", "csv", "tsv", "fasttext", "text"];

/// Runs target `name` on `data`; panics on an unknown name or when an invariant fails. Returns whether
/// the input was accepted (a model loaded, a corpus read without error).
pub fn run(name: &str, data: &[u8]) -> bool {
    match name {
        "model" => model(data),
        "jsonl" => reader(Reader::Jsonl, data),
        "csv" => reader(Reader::Csv, data),
        "tsv" => reader(Reader::Tsv, data),
        "fasttext" => reader(Reader::FastText, data),
        "text" => text(data),
        other => panic!("unknown fuzz target {other}"),
    }
}

const NAME: &str = "fuzz-input";

/// A model file image: decoded as is, then with its length and checksum fields made consistent with
/// the bytes, so that mutations reach the manifest and the blocks instead of stopping at the checksum.
pub fn model(data: &[u8]) -> bool {
    let mut loaded = false;
    if let Ok(model) = Model::from_bytes(data, Path::new(NAME)) {
        exercise(&model);
        loaded = true;
    }
    if let Some(fixed) = with_consistent_header(data)
        && let Ok(model) = Model::from_bytes(&fixed, Path::new(NAME))
    {
        exercise(&model);
        loaded = true;
    }
    loaded
}

/// `data` with the header's payload length and CRC-32 rewritten to match the payload, if it has a header.
pub fn with_consistent_header(data: &[u8]) -> Option<Vec<u8>> {
    const HEADER: usize = 24;
    if data.len() < HEADER || data[..8] != format::MAGIC {
        return None;
    }
    let mut fixed = data.to_vec();
    let payload_len = (data.len() - HEADER) as u64;
    fixed[12..20].copy_from_slice(&payload_len.to_le_bytes());
    let crc = crc32fast::hash(&data[HEADER..]);
    fixed[20..24].copy_from_slice(&crc.to_le_bytes());
    Some(fixed)
}

/// Uses a model that loaded as every verb would, and checks that it re-encodes stably.
fn exercise(model: &Model) {
    let texts = [
        "Troops shelled the border and the talks collapsed.",
        "",
        "Leaders signed a ceasefire.\n\nThe accord ends the war. Markets rose",
    ];
    for heads in model.predict(&texts, 3) {
        assert_eq!(heads.len(), model.heads().len());
        for (p, head) in heads.iter().zip(model.heads()) {
            assert!(head.multi_label || p.labels.len() == 1);
            assert!(p.top.len() <= 3.min(head.labels.len()));
        }
    }
    for head in model.heads() {
        let terms = model.top_terms(head, 3);
        assert_eq!(terms.len(), head.labels.len());
    }
    if let Some(head) = tone::tone_head(model) {
        let article = tone::article_tone(model, head, texts[2], &tone::ToneRule::default());
        assert!(article.evidence.len() <= article.sentences.len());
    }
    let bytes = model.to_bytes().expect("a loaded model encodes");
    let again = Model::from_bytes(&bytes, Path::new(NAME)).expect("a re-encoded model loads");
    assert_eq!(
        again.to_bytes().expect("encodes"),
        bytes,
        "re-encoding is stable"
    );
}

#[derive(Clone, Copy)]
enum Reader {
    Jsonl,
    Csv,
    Tsv,
    FastText,
}

/// The label fields a reader input asks for, chosen by its first byte.
const LABEL_SETS: [&[&str]; 4] = [&[], &["label"], &["label", "topics"], &["text", "label"]];

/// A corpus file: the first byte picks the options (label fields, partial labels), the rest is the file.
fn reader(kind: Reader, data: &[u8]) -> bool {
    let Some((&options_byte, input)) = data.split_first() else {
        return false;
    };
    let options = ReadOptions {
        format: None,
        text_field: "text".into(),
        label_fields: LABEL_SETS[usize::from(options_byte & 3)]
            .iter()
            .map(|f| f.to_string())
            .collect(),
        partial_labels: options_byte & 4 != 0,
    };
    // Lines as a reader counts them: a last line without a line end still counts.
    let lines = input.iter().filter(|&&b| b == b'\n').count() + 1;
    let name = Path::new(NAME);
    let mut documents = 0;
    let mut sink = |doc: Document| {
        documents += 1;
        assert_eq!(doc.path, name);
        assert!(
            (1..=lines).contains(&doc.line),
            "line {} of {lines}",
            doc.line
        );
        assert!(!doc.text.contains('\0'), "NUL bytes read as spaces");
        assert_eq!(doc.labels.len(), options.label_fields.len());
        for label in &doc.labels {
            match label {
                LabelValue::One(l) => assert!(!l.is_empty() && !l.contains('\0')),
                LabelValue::Many(ls) => assert!(ls.iter().all(|l| !l.is_empty())),
                LabelValue::Missing => assert!(options.partial_labels),
            }
        }
        Ok(())
    };
    let result = match kind {
        Reader::Jsonl => io::jsonl::read_from(input, name, &options, &mut sink),
        Reader::Csv => io::csv::read_from(input, name, b',', &options, &mut sink),
        Reader::Tsv => io::csv::read_from(input, name, b'\t', &options, &mut sink),
        Reader::FastText => io::fasttext::read_from(input, name, &options, &mut sink),
    };
    match result {
        Ok(report) => {
            assert_eq!(report.documents, documents);
            assert!(report.replaced_non_utf8 <= documents);
            true
        }
        Err(err) => {
            assert!(!err.to_string().is_empty());
            if let Error::Parse { line, .. }
            | Error::MissingField { line, .. }
            | Error::FieldType { line, .. } = err
            {
                assert!(line <= lines, "error at line {line} of {lines}");
            }
            false
        }
    }
}

/// Arbitrary bytes as a document: decoded as a plain file is, then analyzed, vectorized, classified by
/// every head and read as an article, by two small models with different analyzers.
fn text(data: &[u8]) -> bool {
    let (text, _) = io::decode_text(data.to_vec());
    assert!(!text.contains('\0'));
    for model in models() {
        let predictions = model.predict(&[text.as_str()], 2);
        assert_eq!(predictions[0].len(), model.heads().len());
        if let Some(head) = tone::tone_head(model) {
            let article = tone::article_tone(model, head, &text, &tone::ToneRule::default());
            assert!(article.score.is_finite() && (-1.0..=1.0).contains(&article.score));
        }
    }
    true
}

/// The news fixture of the integration tests.
const NEWS: &str = include_str!("../tests/fixtures/news.jsonl");

/// The fixture's documents (every `step`-th one) with the label fields `fields`.
fn news_corpus(fields: &[&str], partial: bool, step: usize) -> Corpus {
    let options = ReadOptions {
        label_fields: fields.iter().map(|f| f.to_string()).collect(),
        partial_labels: partial,
        ..ReadOptions::default()
    };
    let mut corpus = Corpus {
        label_fields: options.label_fields.clone(),
        ..Corpus::default()
    };
    io::jsonl::read_from(
        NEWS.as_bytes(),
        Path::new("news.jsonl"),
        &options,
        &mut |doc| {
            if (doc.line - 1) % step == 0 {
                let mut labels = doc.labels;
                // Partial labels: the first head learns from every other document only.
                if partial && doc.line % 2 == 0 {
                    labels[0] = LabelValue::Missing;
                }
                corpus.texts.push(doc.text);
                corpus.labels.push(labels);
            }
            Ok(())
        },
    )
    .expect("the fixture reads");
    corpus
}

fn train(corpus: &Corpus, algorithm: Algorithm, analyzer: AnalyzerConfig) -> Model {
    let options = TrainOptions {
        analyzer,
        tfidf: TfidfParams {
            min_df: DocFreq::Count(1),
            ..TfidfParams::default()
        },
        ..TrainOptions::new(ModelParams::new(algorithm))
    };
    Model::train(corpus, &options).expect("the fixture trains")
}

/// Models trained on the fixture with every algorithm, single- and multi-label heads, and a head trained
/// on part of the documents; the last one with stop words, stemming, word and character n-grams. Those of
/// the `text` target see every document; model seeds see every third, which keeps their images (and each
/// fuzz input) small.
fn train_models(step: usize) -> Vec<Model> {
    let all = news_corpus(&["topic", "tone", "tags"], false, step);
    let mut models: Vec<Model> = Algorithm::ALL
        .into_iter()
        .map(|a| train(&all, a, AnalyzerConfig::default()))
        .collect();
    let rich = AnalyzerConfig {
        stop_words: StopWords::English,
        stemmer: Some(Language::English),
        word_ngrams: 2,
        char_ngrams: Some((2, 4)),
        ..AnalyzerConfig::default()
    };
    models.push(train(
        &news_corpus(&["tone", "tags"], true, step),
        Algorithm::LogReg,
        rich,
    ));
    models
}

/// The models of the `text` target, trained once: the default analyzer, and the richest one. The
/// algorithms differ only in their weights, which do not change how text is read.
pub fn models() -> &'static [Model] {
    static MODELS: OnceLock<Vec<Model>> = OnceLock::new();
    MODELS.get_or_init(|| {
        let mut models = train_models(1);
        models.drain(1..models.len() - 1);
        models
    })
}

/// Valid inputs of `target` for mutation to start from.
pub fn seeds(target: &str) -> Vec<Vec<u8>> {
    let labeled = |options: u8, text: &str| {
        let mut input = vec![options];
        input.extend_from_slice(text.as_bytes());
        input
    };
    match target {
        "model" => train_models(3)
            .iter()
            .map(|m| m.to_bytes().expect("encodes"))
            .collect(),
        "jsonl" => vec![
            labeled(1, NEWS),
            labeled(
                6,
                "\u{feff}{\"text\": \"a\\u0000b\", \"label\": 3, \"topics\": [\"x\", true]}\r\n\n{\"text\": \"\", \"label\": null}\n",
            ),
            labeled(3, "{\"text\": \"caf\u{e9}\", \"label\": \"x\"}\n[1, 2]\n{\"text\": oops}"),
        ],
        "csv" => vec![
            labeled(
                2,
                "id,label,text,topics\r\n1,pos,good film,a\r\n\r\n2,neg,\"bad, \"\"very\"\"\r\nbad\",b\r\n",
            ),
            labeled(5, "\u{feff}text,label\n,x\nhello,\nb,y,z\n"),
        ],
        "tsv" => vec![
            labeled(1, "label\ttext\nearn\tsaid \"hello\nacq\t\"quoted\" start\r\n"),
            labeled(3, "text\tlabel\ttopics\na\tb\tc\n\td\n"),
        ],
        "fasttext" => vec![
            labeled(
                1,
                "\u{feff}__label__pos great film\r\n\n__label__a  __label__b\tboth __label__c here\n__label__x\n",
            ),
            labeled(5, "no label\n__label__ text\n__label__a x\0y\n"),
        ],
        "text" => vec![
            NEWS.as_bytes().to_vec(),
            "Ceasefire holds\r\n\r\nThe two sides signed an accord. \"We will talk,\" he said.\u{0}\n"
                .as_bytes()
                .to_vec(),
            "Ünïcödé: 東京で会談、停戦合意。 مرحبا بالعالم! 🇺🇦 e\u{301} \u{200b}\u{feff}"
                .as_bytes()
                .to_vec(),
        ],
        other => panic!("unknown fuzz target {other}"),
    }
}
