//! End-to-end tests of the `detente` binary on small fixtures written here (no network, no ../shared).

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

fn detente() -> Command {
    Command::new(env!("CARGO_BIN_EXE_detente"))
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Runs `cmd`, which must succeed, and parses its standard output as one JSON value.
fn json_of(cmd: &mut Command) -> Value {
    let out = cmd.assert().success().get_output().stdout.clone();
    serde_json::from_slice(&out).expect("JSON on stdout")
}

/// Trains a two-head model (topic, tone) on the news fixture and returns its path.
fn train_news(dir: &TempDir, extra: &[&str]) -> PathBuf {
    let model = dir.path().join("news.detente");
    detente()
        .args([
            "train",
            "--quiet",
            "--min-df",
            "1",
            "--label-field",
            "topic",
            "--label-field",
            "tone",
        ])
        .arg("--data")
        .arg(fixture("news.jsonl"))
        .arg("--output")
        .arg(&model)
        .args(extra)
        .assert()
        .success();
    model
}

#[test]
fn train_predict_eval_inspect_round_trip() {
    let dir = TempDir::new().unwrap();
    let model = train_news(&dir, &[]);

    let article = dir.path().join("article.txt");
    std::fs::write(
        &article,
        "The two armies agreed to a ceasefire and signed a peace accord.",
    )
    .unwrap();
    detente()
        .args(["predict", "--model"])
        .arg(&model)
        .arg(&article)
        .assert()
        .success()
        .stdout(predicate::str::contains("tone").and(predicate::str::contains("reconciliation")));

    let out = detente()
        .args(["predict", "--format", "jsonl", "--top-k", "2", "--model"])
        .arg(&model)
        .write_stdin(
            "Shares rose as the bank reported higher profits.\nTroops shelled the border.\n",
        )
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let lines: Vec<Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["input"], "stdin:1");
    assert_eq!(lines[0]["heads"]["topic"]["label"], "economy");
    assert_eq!(lines[1]["heads"]["tone"]["label"], "escalation");
    assert_eq!(
        lines[1]["heads"]["tone"]["top"].as_array().unwrap().len(),
        2
    );

    let report = json_of(
        detente()
            .args(["eval", "--quiet", "--format", "json", "--model"])
            .arg(&model)
            .arg("--data")
            .arg(fixture("news.jsonl")),
    );
    for head in ["topic", "tone"] {
        let accuracy = report["heads"][head]["accuracy"].as_f64().unwrap();
        assert!(accuracy > 0.9, "{head}: training accuracy {accuracy}");
        assert!(report["heads"][head]["macro_f1"].is_f64());
        assert!(report["heads"][head]["confusion"].is_array());
    }

    let info = json_of(detente().args(["inspect", "--format", "json"]).arg(&model));
    assert!(info["vocabulary_size"].as_u64().unwrap() > 50);
    assert_eq!(info["heads"][1]["name"], "tone");
    assert_eq!(info["heads"][1]["labels"].as_array().unwrap().len(), 3);
}

#[test]
fn every_algorithm_trains_and_predicts() {
    let dir = TempDir::new().unwrap();
    for algorithm in ["logreg", "svm", "nb", "cnb", "linfa-logistic"] {
        let model = train_news(&dir, &["--algorithm", algorithm]);
        detente()
            .args(["predict", "--format", "json", "--model"])
            .arg(&model)
            .write_stdin("The striker scored and the team won the league.\n")
            .assert()
            .success()
            .stdout(predicate::str::contains("\"sports\""));
    }
}

#[test]
fn a_list_field_makes_a_multi_label_head() {
    let dir = TempDir::new().unwrap();
    let model = dir.path().join("tags.detente");
    detente()
        .args([
            "train",
            "--quiet",
            "--min-df",
            "1",
            "--label-field",
            "tags",
            "--data",
        ])
        .arg(fixture("news.jsonl"))
        .arg("--output")
        .arg(&model)
        .assert()
        .success();
    let report = json_of(
        detente()
            .args(["eval", "--quiet", "--format", "json", "--model"])
            .arg(&model)
            .arg("--data")
            .arg(fixture("news.jsonl")),
    );
    assert_eq!(report["heads"]["tags"]["kind"], "multi-label");
    assert!(report["heads"]["tags"]["micro_f1"].as_f64().unwrap() > 0.8);
}

#[test]
fn folder_csv_and_fasttext_corpora_train() {
    let dir = TempDir::new().unwrap();
    let corpus: Vec<(String, String)> = std::fs::read_to_string(fixture("news.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (
                v["text"].as_str().unwrap().to_string(),
                v["topic"].as_str().unwrap().to_string(),
            )
        })
        .collect();

    let folder = dir.path().join("folder");
    for (i, (text, topic)) in corpus.iter().enumerate() {
        std::fs::create_dir_all(folder.join(topic)).unwrap();
        std::fs::write(folder.join(topic).join(format!("{i}")), text).unwrap();
    }
    let csv = dir.path().join("news.csv");
    let mut w = String::from("body,topic\n");
    let mut ft = String::new();
    for (text, topic) in &corpus {
        w.push_str(&format!("\"{}\",{topic}\n", text.replace('"', "\"\"")));
        ft.push_str(&format!("__label__{topic} {text}\n"));
    }
    std::fs::write(&csv, w).unwrap();
    let fasttext = dir.path().join("news.ft");
    std::fs::write(&fasttext, ft).unwrap();

    for (data, fields) in [
        (&folder, vec![]),
        (&csv, vec!["--text-field", "body", "--label-field", "topic"]),
        (&fasttext, vec![]),
    ] {
        let model = dir.path().join("m.detente");
        detente()
            .args(["train", "--quiet", "--min-df", "1", "--data"])
            .arg(data)
            .args(&fields)
            .arg("--output")
            .arg(&model)
            .assert()
            .success();
        detente()
            .args(["predict", "--model"])
            .arg(&model)
            .write_stdin("The central bank held rates and shares rose.")
            .assert()
            .success()
            .stdout(predicate::str::contains("economy"));
    }
}

#[test]
fn bad_inputs_name_what_and_where_and_exit_1() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("m.detente");
    let train = |data: &Path, fields: &[&str]| {
        let mut cmd = detente();
        cmd.args(["train", "--quiet", "--data"])
            .arg(data)
            .args(fields)
            .arg("--output")
            .arg(&out);
        cmd.assert().failure().code(1)
    };

    train(&dir.path().join("nope.jsonl"), &[]).stderr(predicate::str::contains("nope.jsonl"));

    let bad = dir.path().join("bad.jsonl");
    std::fs::write(
        &bad,
        "{\"text\": \"a b\", \"label\": \"x\"}\n{\"text\": oops}\n",
    )
    .unwrap();
    train(&bad, &[]).stderr(predicate::str::contains("bad.jsonl:2"));

    let missing = dir.path().join("missing.jsonl");
    std::fs::write(
        &missing,
        "{\"text\": \"a b\", \"label\": \"x\"}\n{\"text\": \"c d\"}\n",
    )
    .unwrap();
    train(&missing, &[])
        .stderr(predicate::str::contains("missing.jsonl:2").and(predicate::str::contains("label")));

    let single = dir.path().join("single.jsonl");
    std::fs::write(
        &single,
        "{\"text\": \"a b\", \"label\": \"x\"}\n{\"text\": \"c d\", \"label\": \"x\"}\n",
    )
    .unwrap();
    train(&single, &[]).stderr(predicate::str::contains("only one class"));

    let empty = dir.path().join("empty.jsonl");
    std::fs::write(&empty, "").unwrap();
    train(&empty, &[]).stderr(predicate::str::contains("no documents"));

    assert!(!out.exists(), "no model is written when training fails");

    let garbage = dir.path().join("garbage.detente");
    std::fs::write(&garbage, b"this is not a model").unwrap();
    detente()
        .args(["predict", "--model"])
        .arg(&garbage)
        .write_stdin("text")
        .assert()
        .failure()
        .code(1)
        .stderr(predicate::str::contains("not a usable detente model"));

    detente()
        .args(["train", "--bogus"])
        .assert()
        .failure()
        .code(2);
}

#[test]
fn eval_refuses_an_unknown_head() {
    let dir = TempDir::new().unwrap();
    let model = train_news(&dir, &[]);
    detente()
        .args(["eval", "--quiet", "--head", "sentiment", "--model"])
        .arg(&model)
        .arg("--data")
        .arg(fixture("news.jsonl"))
        .assert()
        .failure()
        .code(1)
        .stderr(
            predicate::str::contains("no head `sentiment`")
                .and(predicate::str::contains("topic, tone")),
        );
}

#[test]
fn the_same_data_and_seed_give_the_same_model_file() {
    let dir = TempDir::new().unwrap();
    // The training time is part of the file; SOURCE_DATE_EPOCH pins it.
    let pinned = |seed: &str| {
        let model = dir.path().join(format!("pinned-{seed}.detente"));
        detente()
            .env("SOURCE_DATE_EPOCH", "1700000000")
            .args([
                "train",
                "--quiet",
                "--min-df",
                "1",
                "--label-field",
                "topic",
                "--seed",
                seed,
                "--data",
            ])
            .arg(fixture("news.jsonl"))
            .arg("--output")
            .arg(&model)
            .assert()
            .success();
        std::fs::read(model).unwrap()
    };
    assert_eq!(pinned("7"), pinned("7"));
}

#[test]
fn partial_labels_let_heads_train_on_different_documents() {
    let dir = TempDir::new().unwrap();
    let mixed = dir.path().join("mixed.jsonl");
    let lines: Vec<String> = std::fs::read_to_string(fixture("news.jsonl"))
        .unwrap()
        .lines()
        .enumerate()
        .map(|(i, l)| {
            let mut v: Value = serde_json::from_str(l).unwrap();
            // Even lines keep only their topic, odd lines only their tone (null).
            let drop = if i % 2 == 0 { "tone" } else { "topic" };
            if i % 4 == 1 {
                v[drop] = Value::Null;
            } else {
                v.as_object_mut().unwrap().remove(drop);
            }
            v.to_string()
        })
        .collect();
    std::fs::write(&mixed, lines.join("\n")).unwrap();
    let model = dir.path().join("m.detente");
    let train = |partial: bool| {
        let mut cmd = detente();
        cmd.args([
            "train",
            "--quiet",
            "--min-df",
            "1",
            "--label-field",
            "topic",
            "--label-field",
            "tone",
            "--data",
        ])
        .arg(&mixed)
        .arg("--output")
        .arg(&model);
        if partial {
            cmd.arg("--partial-labels");
        }
        cmd.assert()
    };
    train(false)
        .failure()
        .code(1)
        .stderr(predicate::str::contains(
            "mixed.jsonl:1: missing field `tone`",
        ));
    train(true).success();
    let info = json_of(detente().args(["inspect", "--format", "json"]).arg(&model));
    for head in info["heads"].as_array().unwrap() {
        let trained: u64 = head["labels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["training_documents"].as_u64().unwrap())
            .sum();
        assert_eq!(trained, 12, "{}", head["name"]);
    }
    let report = json_of(
        detente()
            .args([
                "eval",
                "--quiet",
                "--partial-labels",
                "--format",
                "json",
                "--model",
            ])
            .arg(&model)
            .arg("--data")
            .arg(&mixed),
    );
    assert_eq!(report["heads"]["topic"]["documents"], 12);
    assert_eq!(report["heads"]["tone"]["documents"], 12);
}

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("datasets/examples")
        .join(name)
}

/// The built-in news model reads the example articles as an analyst would.
#[test]
fn the_built_in_model_reads_articles_as_an_analyst_would() {
    const INTERNATIONAL: [&str; 3] = [
        "International Affairs and Foreign Aid",
        "Defense",
        "Foreign Trade",
    ];
    for (file, tone, international) in [
        ("liaison-office.txt", "escalation", true),
        ("joint-office.txt", "reconciliation", true),
        ("ceasefire.txt", "reconciliation", true),
        ("earnings.txt", "neutral", false),
        ("baseball.txt", "neutral", false),
    ] {
        let records = json_of(
            detente()
                .args(["predict", "--format", "json"])
                .arg(example(file)),
        );
        let record = &records[0];
        let article = &record["article_tone"];
        assert_eq!(article["label"], tone, "{file}: {article}");
        let score = article["score"].as_f64().unwrap();
        assert!((-1.0..=1.0).contains(&score), "{file}: score {score}");
        let evidence = article["evidence"].as_array().unwrap();
        assert!(!evidence.is_empty() && evidence.len() <= 3, "{file}");
        let topic = record["heads"]["topic"]["label"].as_str().unwrap();
        assert_eq!(
            INTERNATIONAL.contains(&topic),
            international,
            "{file}: topic {topic}"
        );
    }
}

#[test]
fn stdin_is_one_article_or_one_document_per_line() {
    let article = std::fs::read_to_string(example("liaison-office.txt")).unwrap();
    let from_file = json_of(detente().args([
        "predict",
        "--format",
        "json",
        example("liaison-office.txt").to_str().unwrap(),
    ]));
    // An article (a blank line between headline and body) piped in reads as the file does.
    for args in [&["predict", "-"][..], &["predict"], &["predict", "--whole"]] {
        let piped = json_of(
            detente()
                .args(args)
                .args(["--format", "json"])
                .write_stdin(article.clone()),
        );
        assert_eq!(piped[0]["input"], "stdin");
        assert_eq!(piped[0]["heads"], from_file[0]["heads"], "{args:?}");
        assert_eq!(piped[0]["article"], from_file[0]["article"], "{args:?}");
    }
    detente()
        .args(["predict"])
        .write_stdin(article.clone())
        .assert()
        .success()
        .stdout(predicate::str::contains("tone   escalation (article score"));

    // Lines without a blank line between them, or --lines: one document per line.
    let records = |args: &[&str], input: &str| {
        let out = detente()
            .args(["predict", "--format", "jsonl"])
            .args(args)
            .write_stdin(input.to_string())
            .assert()
            .success();
        String::from_utf8(out.get_output().stdout.clone())
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["input"].clone())
            .collect::<Vec<_>>()
    };
    let titles = "Senate passes budget\nStocks fall\nRain in Seoul\n\n";
    assert_eq!(
        records(&[], titles).len(),
        3,
        "a trailing blank line is not a paragraph break, nor a document"
    );
    assert_eq!(records(&[], titles)[1], "stdin:2");
    assert_eq!(
        records(&["--lines"], &article).len(),
        article.lines().filter(|l| !l.trim().is_empty()).count()
    );
    assert_eq!(records(&["--whole"], titles), vec!["stdin"]);
    detente()
        .args(["predict", "--whole", "--lines"])
        .write_stdin("x")
        .assert()
        .code(2);
    detente().args(["inspect"]).assert().success().stdout(
        predicate::str::contains("(built-in news model)")
            .and(predicate::str::contains("head `tone`")),
    );
}
