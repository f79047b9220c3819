//! Library-level tests of the whole pipeline on the news fixture.

use detente::analyzer::AnalyzerConfig;
use detente::io::{LabelValue, ReadOptions};
use detente::model::{Corpus, Model, TrainOptions};
use detente::models::{Algorithm, ModelParams};
use detente::tfidf::{DocFreq, TfidfParams};
use std::path::PathBuf;

fn corpus() -> Corpus {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/news.jsonl");
    let options = ReadOptions {
        label_fields: vec!["topic".into(), "tone".into(), "tags".into()],
        ..ReadOptions::default()
    };
    Corpus::read(&[path], &options).unwrap()
}

fn options(algorithm: Algorithm) -> TrainOptions {
    TrainOptions {
        analyzer: AnalyzerConfig {
            word_ngrams: 2,
            ..AnalyzerConfig::default()
        },
        tfidf: TfidfParams {
            min_df: DocFreq::Count(1),
            sublinear_tf: true,
            ..TfidfParams::default()
        },
        ..TrainOptions::new(ModelParams::new(algorithm))
    }
}

#[test]
fn saved_and_loaded_models_predict_identically() {
    let corpus = corpus();
    let texts: Vec<&str> = vec![
        "Troops and tanks massed at the border.",
        "The ministers agreed to resume talks.",
        "Stocks closed higher on strong earnings.",
        "",
    ];
    for algorithm in Algorithm::ALL {
        let model = Model::train(&corpus, &options(algorithm)).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.detente");
        model.save(&path).unwrap();
        let loaded = Model::load(&path).unwrap();
        assert_eq!(
            model.predict(&texts, 3),
            loaded.predict(&texts, 3),
            "{algorithm}"
        );
        assert_eq!(
            model.to_bytes().unwrap(),
            loaded.to_bytes().unwrap(),
            "{algorithm}"
        );
    }
}

#[test]
fn model_bytes_do_not_depend_on_the_number_of_threads() {
    let corpus = corpus();
    for algorithm in Algorithm::ALL {
        let bytes_with = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| {
                    Model::train(&corpus, &options(algorithm))
                        .unwrap()
                        .to_bytes()
                        .unwrap()
                })
        };
        assert_eq!(bytes_with(1), bytes_with(3), "{algorithm}");
    }
}

#[test]
fn a_consumed_corpus_trains_the_model_of_a_borrowed_one() {
    let corpus = corpus();
    for algorithm in Algorithm::ALL {
        let options = options(algorithm);
        let borrowed = Model::train(&corpus, &options).unwrap();
        let mut steps = Vec::new();
        let owned = Model::train_owned(corpus.clone(), &options, &mut |step| {
            steps.push(format!("{step:?}"))
        })
        .unwrap();
        assert_eq!(
            borrowed.to_bytes().unwrap(),
            owned.to_bytes().unwrap(),
            "{algorithm}"
        );
        assert_eq!(steps.len(), 1 + corpus.label_fields.len(), "{steps:?}");
    }
    // What it refuses, it refuses before vectorizing, with the same error.
    let mut single = corpus.clone();
    single.label_fields.truncate(1);
    single.labels = single
        .labels
        .iter()
        .map(|_| vec![LabelValue::One("x".into())])
        .collect();
    let options = options(Algorithm::Svm);
    let mut steps = 0;
    let refused = Model::train_owned(single.clone(), &options, &mut |_| steps += 1).unwrap_err();
    assert_eq!(steps, 0);
    assert_eq!(
        refused.to_string(),
        Model::train(&single, &options).unwrap_err().to_string()
    );
}

#[test]
fn heads_know_their_kind_and_labels() {
    let model = Model::train(&corpus(), &options(Algorithm::Svm)).unwrap();
    let names: Vec<_> = model
        .heads()
        .iter()
        .map(|h| (h.name.as_str(), h.multi_label, h.labels.len()))
        .collect();
    assert_eq!(
        names,
        vec![("topic", false, 4), ("tone", false, 3), ("tags", true, 4)]
    );
    let p = &model.predict(
        &["The two armies exchanged artillery fire at the border."],
        2,
    )[0];
    assert_eq!(p[1].labels[0].label, "escalation");
    assert!(p[2].labels.iter().any(|l| l.label == "military"));
}

#[test]
fn a_head_can_use_its_own_algorithm() {
    let mut opts = options(Algorithm::Svm);
    opts.head_models = vec![("tone".into(), ModelParams::new(Algorithm::LogReg))];
    let model = Model::train(&corpus(), &opts).unwrap();
    let algorithms: Vec<_> = model.heads().iter().map(|h| h.params.algorithm).collect();
    assert_eq!(
        algorithms,
        vec![Algorithm::Svm, Algorithm::LogReg, Algorithm::Svm]
    );
    let tone = &model.predict(&["The ministers agreed to resume talks."], 3)[0][1];
    let total: f64 = tone.top.iter().map(|l| l.score).sum();
    assert!(
        (total - 1.0).abs() < 1e-9,
        "logistic scores are probabilities: {total}"
    );

    opts.head_models = vec![("sentiment".into(), ModelParams::new(Algorithm::LogReg))];
    let err = Model::train(&corpus(), &opts).unwrap_err().to_string();
    assert!(err.contains("no head `sentiment`"), "{err}");
}
