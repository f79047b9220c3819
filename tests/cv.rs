//! End-to-end tests of `detente cv`, `detente train --search` and `--class-weight`, on the news fixture and on
//! corpora generated here (no network, no ../shared).

use assert_cmd::Command;
use detente::cv::assign_folds;
use detente::io::ReadOptions;
use detente::model::Corpus;
use predicates::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

fn detente() -> Command {
    Command::new(env!("CARGO_BIN_EXE_detente"))
}

fn news() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/news.jsonl")
}

/// Runs `cmd`, which must succeed, and parses its standard output as one JSON value.
fn json_of(cmd: &mut Command) -> Value {
    let out = cmd.assert().success().get_output().stdout.clone();
    serde_json::from_slice(&out).expect("JSON on stdout")
}

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

/// `detente cv --format json` on the news fixture, two heads, with extra flags.
/// `detente eval --format json` of `model` on `data`.
fn eval_json(model: &Path, data: &Path) -> Value {
    json_of(
        detente()
            .args(["eval", "--quiet", "--format", "json", "--model"])
            .arg(model)
            .arg("--data")
            .arg(data),
    )
}

fn cv_news(extra: &[&str]) -> Command {
    cv_news_as("json", extra)
}

fn cv_news_as(format: &str, extra: &[&str]) -> Command {
    let mut cmd = detente();
    cmd.args([
        "cv",
        "--quiet",
        "--min-df",
        "1",
        "--label-field",
        "topic",
        "--label-field",
        "tone",
        "--format",
        format,
        "--data",
    ])
    .arg(news())
    .args(extra);
    cmd
}

#[test]
fn cv_reports_mean_and_spread_of_each_metric_per_head() {
    let report = json_of(&mut cv_news(&["--folds", "3"]));
    assert_eq!(report["folds"], 3);
    assert_eq!(report["documents"], 24);
    assert_eq!(report["stratified_on"], "topic");
    for head in ["topic", "tone"] {
        let h = &report["heads"][head];
        assert_eq!(h["kind"], "single-label");
        for metric in ["accuracy", "macro_f1", "weighted_f1"] {
            let folds = numbers(&h[metric]["folds"]);
            assert_eq!(folds.len(), 3, "{head} {metric}");
            let mean = folds.iter().sum::<f64>() / 3.0;
            let var = folds.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 2.0;
            assert!(close(h[metric]["mean"].as_f64().unwrap(), mean));
            assert!(close(h[metric]["std"].as_f64().unwrap(), var.sqrt()));
        }
        // Out-of-fold predictions: every document is predicted exactly once.
        let support: u64 = h["pooled"]["classes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["support"].as_u64().unwrap())
            .sum();
        assert_eq!(support, 24);
    }
    // The fixture's 4 topics have 5-7 documents each: stratified folds of 8 documents hold 1 or 2 of each,
    // so no fold can miss a topic.
    let topic_support = |label: &str| {
        report["heads"]["topic"]["pooled"]["classes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["label"] == label)
            .unwrap()["support"]
            .clone()
    };
    assert_eq!(topic_support("sports"), 5);

    // Text: a table per head with the mean, the spread and each fold.
    cv_news_as("text", &["--folds", "4"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("4-fold cross-validation of svm on 24 documents")
                .and(predicate::str::contains(
                    "head `tone` (single-label), 24 documents",
                ))
                .and(predicate::str::contains("fold 4"))
                .and(predicate::str::contains("weighted F1")),
        );
}

#[test]
fn cv_scores_multi_label_heads_with_micro_f1() {
    let report = json_of(
        detente()
            .args([
                "cv", "--quiet", "--min-df", "1", "--folds", "3", "--format", "json",
            ])
            .args(["--label-field", "tags", "--data"])
            .arg(news()),
    );
    let h = &report["heads"]["tags"];
    assert_eq!(h["kind"], "multi-label");
    for metric in ["accuracy", "macro_f1", "weighted_f1", "micro_f1"] {
        assert_eq!(numbers(&h[metric]["folds"]).len(), 3, "{metric}");
    }
    assert_eq!(h["pooled"]["documents"], 24);
}

#[test]
fn cv_is_deterministic_and_independent_of_the_thread_count() {
    let run = |threads: &str, seed: &str| {
        let mut cmd = cv_news(&["--folds", "3", "--seed", seed]);
        cmd.env("RAYON_NUM_THREADS", threads);
        cmd.assert().success().get_output().stdout.clone()
    };
    let one = run("1", "42");
    assert_eq!(one, run("2", "42"));
    assert_eq!(one, run("1", "42"));
    assert_ne!(one, run("1", "7"), "another seed draws other folds");
}

/// Writes the documents of `corpus` whose fold is (or is not) `fold` as JSON lines with `topic` and `tone`.
fn write_split(corpus: &Corpus, folds: &[usize], fold: usize, held_out: bool, path: &Path) {
    let mut text = String::new();
    for i in (0..corpus.len()).filter(|&i| (folds[i] == fold) == held_out) {
        let label = |f: usize| match &corpus.labels[i][f] {
            detente::io::LabelValue::One(l) => l.clone(),
            other => panic!("unexpected label {other:?}"),
        };
        let doc = serde_json::json!({"text": corpus.texts[i], "topic": label(0), "tone": label(1)});
        text.push_str(&doc.to_string());
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
}

#[test]
fn each_fold_is_the_whole_pipeline_trained_without_the_held_out_documents() {
    // No leakage: fold k's scores are those of `train` on the other folds (vocabulary and IDF included)
    // and `eval` on fold k.
    let report = json_of(&mut cv_news(&["--folds", "3", "--seed", "5"]));
    let corpus = Corpus::read(
        &[news()],
        &ReadOptions {
            format: None,
            text_field: "text".into(),
            label_fields: vec!["topic".into(), "tone".into()],
            partial_labels: false,
        },
    )
    .unwrap();
    let folds = assign_folds(&corpus, 3, 5).unwrap();
    let dir = TempDir::new().unwrap();
    for fold in 0..3 {
        let (train, test) = (
            dir.path().join("train.jsonl"),
            dir.path().join("test.jsonl"),
        );
        write_split(&corpus, &folds, fold, false, &train);
        write_split(&corpus, &folds, fold, true, &test);
        let model = dir.path().join("fold.detente");
        detente()
            .args(["train", "--quiet", "--min-df", "1", "--seed", "5"])
            .args(["--label-field", "topic", "--label-field", "tone", "--data"])
            .arg(&train)
            .arg("--output")
            .arg(&model)
            .assert()
            .success();
        let eval = eval_json(&model, &test);
        for head in ["topic", "tone"] {
            for metric in ["accuracy", "macro_f1", "weighted_f1"] {
                let cv = numbers(&report["heads"][head][metric]["folds"])[fold];
                let direct = eval["heads"][head][metric].as_f64().unwrap();
                assert!(
                    close(cv, direct),
                    "fold {fold} {head} {metric}: cv {cv}, train+eval {direct}"
                );
            }
        }
    }
}

#[test]
fn train_search_picks_the_best_cross_validated_macro_f1_and_records_it() {
    let dir = TempDir::new().unwrap();
    let model = dir.path().join("searched.detente");
    detente()
        .args([
            "train",
            "--label-field",
            "topic",
            "--search",
            "C=0.01,1",
            "--search",
            "min-df=1,2",
            "--data",
        ])
        .arg(news())
        .arg("--output")
        .arg(&model)
        .assert()
        .success()
        .stderr(
            predicate::str::contains("search: 4 candidates, 3-fold cross-validation")
                .and(predicate::str::contains("<- chosen")),
        );
    let inspect = json_of(detente().args(["inspect", "--format", "json"]).arg(&model));
    let search = &inspect["metadata"]["search"];
    assert_eq!(search["folds"], 3);
    assert_eq!(search["parameters"], serde_json::json!(["C", "min-df"]));
    let candidates = search["candidates"].as_array().unwrap();
    let values: Vec<Vec<&str>> = candidates
        .iter()
        .map(|c| {
            c["values"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect()
        })
        .collect();
    assert_eq!(
        values,
        [["0.01", "1"], ["0.01", "2"], ["1", "1"], ["1", "2"]],
        "grid order: the first parameter varies slowest"
    );

    // Each candidate's score is what `detente cv` reports for its settings.
    let means: Vec<f64> = candidates
        .iter()
        .map(|c| c["mean"].as_f64().unwrap())
        .collect();
    for (v, mean) in values.iter().zip(&means) {
        let cv = json_of(
            detente()
                .args(["cv", "--quiet", "--format", "json", "--folds", "3"])
                .args(["--label-field", "topic", "--C", v[0], "--min-df", v[1]])
                .arg("--data")
                .arg(news()),
        );
        let macro_f1 = cv["heads"]["topic"]["macro_f1"]["mean"].as_f64().unwrap();
        assert!(
            close(macro_f1, *mean),
            "{v:?}: cv {macro_f1}, search {mean}"
        );
    }
    // `cv --search` scores the same grid on the same folds.
    let grid = json_of(
        detente()
            .args(["cv", "--quiet", "--format", "json", "--folds", "3"])
            .args([
                "--label-field",
                "topic",
                "--search",
                "C=0.01,1",
                "--search",
                "min-df=1,2",
            ])
            .arg("--data")
            .arg(news()),
    );
    assert_eq!(grid["search"]["chosen"], search["chosen"]);
    for (c, mean) in grid["search"]["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .zip(&means)
    {
        assert!(close(c["mean"].as_f64().unwrap(), *mean));
    }
    // The choice is the first of the best, and the model is trained with it.
    let best = means.iter().cloned().fold(f64::MIN, f64::max);
    let chosen = means.iter().position(|&m| m == best).unwrap();
    assert_eq!(search["chosen"], chosen);
    assert_eq!(
        inspect["params"]["c"].as_f64().unwrap(),
        values[chosen][0].parse::<f64>().unwrap()
    );
    assert_eq!(
        inspect["tfidf"]["min_df"]["Count"].as_u64().unwrap(),
        values[chosen][1].parse::<u64>().unwrap()
    );
    detente()
        .arg("inspect")
        .arg(&model)
        .assert()
        .success()
        .stdout(
            predicate::str::contains("search: 4 candidates")
                .and(predicate::str::contains("<- chosen")),
        );
}

#[test]
fn bad_search_and_class_weight_flags_are_usage_errors() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("m.detente");
    let train = |flags: &[&str]| {
        let mut cmd = detente();
        cmd.args(["train", "--quiet", "--label-field", "topic", "--data"])
            .arg(news())
            .arg("--output")
            .arg(&out)
            .args(flags);
        cmd.assert().failure().code(2)
    };
    train(&["--search", "gamma=1,2"]).stderr(
        predicate::str::contains("gamma")
            .and(predicate::str::contains("C, alpha, max-iter, tol"))
            .and(predicate::str::contains("ngrams")),
    );
    train(&["--search", "C=0.1,lots"]).stderr(predicate::str::contains("lots"));
    train(&["--search", "ngrams=1.5"]).stderr(predicate::str::contains("1.5"));
    train(&["--search", "C=1", "--search", "C=2"]).stderr(predicate::str::contains("twice"));
    train(&["--algorithm", "nb", "--search", "C=1,2"])
        .stderr(predicate::str::contains("`C` applies to logreg, svm"));
    train(&["--folds", "3"]).stderr(predicate::str::contains("--search"));
    train(&["--search", "C=1,2", "--folds", "1"]);
    for algorithm in ["nb", "cnb", "linfa-logistic"] {
        train(&["--algorithm", algorithm, "--class-weight", "balanced"])
            .stderr(predicate::str::contains("logreg or svm"));
    }
    train(&["--class-weight", "sports=heavy"]).stderr(predicate::str::contains("sports=heavy"));
    train(&["--class-weight", "sports=-1"]).stderr(predicate::str::contains("> 0"));
    assert!(!out.exists());

    // A label no head has is a data error, named with the labels there are.
    detente()
        .args([
            "train",
            "--quiet",
            "--label-field",
            "topic",
            "--class-weight",
            "sport=2",
        ])
        .arg("--data")
        .arg(news())
        .arg("--output")
        .arg(&out)
        .assert()
        .failure()
        .code(1)
        .stderr(predicate::str::contains("`sport`").and(predicate::str::contains("sports")));
    detente()
        .args(["cv", "--quiet", "--output"])
        .arg(&out)
        .arg("--data")
        .arg(news())
        .assert()
        .failure()
        .code(2);
    detente()
        .args([
            "cv",
            "--quiet",
            "--label-field",
            "topic",
            "--folds",
            "25",
            "--data",
        ])
        .arg(news())
        .assert()
        .failure()
        .code(1)
        .stderr(predicate::str::contains("number of documents (24)"));
}

/// A two-class corpus, 95% `common` and 5% `rare`, of 12-word documents over a shared vocabulary: each
/// word is one of its class's 8 telltale words with probability 0.3, one of the other class's with
/// probability 0.08, and otherwise one of 60 words both classes use.
fn imbalanced(n: usize, seed: u64, path: &Path) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut text = String::new();
    for i in 0..n {
        let (label, own, other) = if i % 20 == 0 {
            ("rare", 'r', 'c')
        } else {
            ("common", 'c', 'r')
        };
        let words: Vec<String> = (0..12)
            .map(|_| {
                let u: f64 = rng.r#gen();
                if u < 0.3 {
                    format!("{own}{}", rng.gen_range(0..8))
                } else if u < 0.38 {
                    format!("{other}{}", rng.gen_range(0..8))
                } else {
                    format!("w{}", rng.gen_range(0..60))
                }
            })
            .collect();
        text.push_str(&serde_json::json!({"text": words.join(" "), "label": label}).to_string());
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
}

#[test]
fn balanced_class_weights_raise_the_recall_of_a_rare_class() {
    let dir = TempDir::new().unwrap();
    let (train, test) = (
        dir.path().join("train.jsonl"),
        dir.path().join("test.jsonl"),
    );
    imbalanced(1000, 1, &train);
    imbalanced(1000, 2, &test);
    let model = dir.path().join("m.detente");
    let rare_recall = |flags: &[&str]| {
        detente()
            .args([
                "train", "--quiet", "--min-df", "1", "--ngrams", "1", "--data",
            ])
            .arg(&train)
            .arg("--output")
            .arg(&model)
            .args(flags)
            .assert()
            .success();
        let eval = eval_json(&model, &test);
        let classes = eval["heads"]["label"]["classes"]
            .as_array()
            .unwrap()
            .clone();
        let rare = classes.iter().find(|c| c["label"] == "rare").unwrap();
        assert_eq!(rare["support"], 50);
        rare["recall"].as_f64().unwrap()
    };
    for algorithm in ["svm", "logreg"] {
        let plain = rare_recall(&["--algorithm", algorithm]);
        let balanced = rare_recall(&["--algorithm", algorithm, "--class-weight", "balanced"]);
        // Balanced weights here are 1000 / (2 × 50) = 10 for `rare` and 1000 / (2 × 950) ≈ 0.53 for `common`.
        let explicit = rare_recall(&["--algorithm", algorithm, "--class-weight", "rare=19"]);
        eprintln!(
            "{algorithm}: rare recall {plain} unweighted, {balanced} balanced, {explicit} rare=19"
        );
        assert!(
            balanced >= plain + 0.2,
            "{algorithm}: rare recall {plain} unweighted, {balanced} balanced"
        );
        assert!(
            explicit >= plain + 0.2,
            "{algorithm}: rare recall {plain} unweighted, {explicit} with rare=19"
        );
    }
    detente()
        .arg("inspect")
        .arg(&model)
        .assert()
        .success()
        .stdout(predicate::str::contains("class weight rare=19"));
}
