//! End-to-end tests of `detente bench` on the news fixture and small files written here. Nothing here
//! asserts a timing: times are only checked to be positive.

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

fn detente() -> Command {
    Command::new(env!("CARGO_BIN_EXE_detente"))
}

fn news() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/news.jsonl")
}

/// A held-out test file for the news fixture's `topic` field, one document per topic and one more.
fn news_test(dir: &TempDir) -> PathBuf {
    let path = dir.path().join("test.jsonl");
    std::fs::write(
        &path,
        concat!(
            r#"{"text": "Artillery fire hit the border town as troops advanced.", "topic": "defense"}"#,
            "\n",
            r#"{"text": "The foreign minister recalled the ambassador after the talks failed.", "topic": "diplomacy"}"#,
            "\n",
            r#"{"text": "The central bank raised interest rates as inflation climbed.", "topic": "economy"}"#,
            "\n",
            r#"{"text": "The team won the championship final in extra time.", "topic": "sports"}"#,
            "\n",
            r#"{"text": "Shares fell after the bank reported lower profits.", "topic": "economy"}"#,
            "\n",
        ),
    )
    .unwrap();
    path
}

/// `detente bench` on the news fixture's topics with `extra` flags.
fn bench(dir: &TempDir, extra: &[&str]) -> Command {
    let mut cmd = detente();
    cmd.args(["bench", "--label-field", "topic", "--min-df", "1"])
        .arg("--train")
        .arg(news())
        .arg("--test")
        .arg(news_test(dir))
        .args(extra);
    cmd
}

fn json_of(cmd: &mut Command) -> Value {
    let out = cmd.assert().success().get_output().stdout.clone();
    serde_json::from_slice(&out).expect("JSON on stdout")
}

#[test]
fn text_table_lists_every_algorithm_by_default_with_progress_on_stderr() {
    let dir = TempDir::new().unwrap();
    let out = bench(&dir, &[]).assert().success().get_output().clone();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with("algorithm"), "{stdout}");
    for header in [
        "accuracy",
        "macro-F1",
        "train s",
        "predict docs/s",
        "model size",
        "peak memory",
    ] {
        assert!(lines[0].contains(header), "{header} missing: {stdout}");
    }
    let names: Vec<&str> = lines[1..6]
        .iter()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(names, ["logreg", "svm", "nb", "cnb", "linfa-logistic"]);
    // Columns are aligned: every row as long as the header, or shorter only by trailing blanks.
    let width = lines[0].len();
    assert!(lines[1..6].iter().all(|l| l.len() == width), "{stdout}");
    assert!(stdout.contains("(24 documents)") && stdout.contains("(5 documents)"));
    assert!(stdout.contains("best: "));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("[1/5] logreg") && stderr.contains("[5/5] linfa-logistic"));
}

#[test]
fn markdown_table_keeps_the_order_asked_for() {
    let dir = TempDir::new().unwrap();
    let out = bench(
        &dir,
        &["--algorithms", "nb,svm", "--format", "markdown", "--quiet"],
    )
    .assert()
    .success()
    .stderr("")
    .get_output()
    .stdout
    .clone();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[0].starts_with("| algorithm | accuracy | macro-F1 |"));
    assert!(lines[1].starts_with("|:---|---:|"));
    assert!(lines[2].starts_with("| nb | ") && lines[3].starts_with("| svm | "));
    assert!(lines.iter().all(|l| l.ends_with('|')));
}

#[test]
fn json_holds_scores_sizes_and_a_confusion_matrix_and_is_deterministic_apart_from_timings() {
    let dir = TempDir::new().unwrap();
    let run = || {
        json_of(&mut bench(
            &dir,
            &["--algorithms", "svm,cnb", "--format", "json", "-q"],
        ))
    };
    let first = run();
    let results = first["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["algorithm"], "svm");
    assert_eq!(results[1]["algorithm"], "cnb");
    for r in results {
        assert_eq!(r["train_documents"], 24);
        assert_eq!(r["test_documents"], 5);
        let accuracy = r["accuracy"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&accuracy));
        assert!(r["train_seconds"].as_f64().unwrap() > 0.0);
        assert!(r["predict_docs_per_second"].as_f64().unwrap() > 0.0);
        assert!(r["model_bytes"].as_u64().unwrap() > 0);
        if cfg!(target_os = "linux") {
            assert!(r["peak_rss_bytes"].as_u64().unwrap() > 0);
        }
        let classes = r["classes"].as_array().unwrap();
        let labels: Vec<&str> = classes
            .iter()
            .map(|c| c["label"].as_str().unwrap())
            .collect();
        assert_eq!(labels, ["defense", "diplomacy", "economy", "sports"]);
        let confusion = r["confusion"].as_array().unwrap();
        assert_eq!(confusion.len(), 4);
        let total: u64 = confusion
            .iter()
            .flat_map(|row| row.as_array().unwrap())
            .map(|n| n.as_u64().unwrap())
            .sum();
        assert_eq!(total, 5);
        let diagonal: u64 = (0..4).map(|k| confusion[k][k].as_u64().unwrap()).sum();
        assert!((accuracy - diagonal as f64 / 5.0).abs() < 1e-12);
    }
    let best = first["best"].as_str().unwrap();
    assert!(best == "svm" || best == "cnb");

    let timeless = |v: &Value| {
        let mut v = v.clone();
        for r in v["results"].as_array_mut().unwrap() {
            let r = r.as_object_mut().unwrap();
            for key in [
                "train_seconds",
                "predict_seconds",
                "predict_docs_per_second",
                "peak_rss_bytes",
            ] {
                r.remove(key);
            }
        }
        v
    };
    assert_eq!(timeless(&first), timeless(&run()));
}

#[test]
fn report_folder_holds_charts_html_markdown_and_json() {
    let dir = TempDir::new().unwrap();
    let report = dir.path().join("report");
    bench(&dir, &["--algorithms", "logreg,nb", "-q", "--report"])
        .arg(&report)
        .assert()
        .success();
    let read = |name: &str| std::fs::read_to_string(report.join(name)).unwrap();
    let scatter = read("accuracy-vs-training-time.svg");
    assert!(scatter.starts_with("<svg") && scatter.contains("logreg") && scatter.contains("nb"));
    let bars = read("per-class-f1.svg");
    for label in ["defense", "diplomacy", "economy", "sports"] {
        assert!(bars.contains(label), "{label} missing from the F1 chart");
    }
    let json: Value = serde_json::from_str(&read("results.json")).unwrap();
    let best = json["best"].as_str().unwrap();
    let confusion = read(&format!("confusion-{best}.svg"));
    assert!(confusion.starts_with("<svg") && confusion.contains("sports"));
    let html = read("report.html");
    for svg in ["accuracy-vs-training-time.svg", "per-class-f1.svg"] {
        assert!(html.contains(&format!("src=\"{svg}\"")));
    }
    assert!(html.contains(&format!("confusion-{best}.svg")) && html.contains("<td>logreg</td>"));
    let md = read("report.md");
    assert!(md.contains("](per-class-f1.svg)") && md.contains("| logreg |"));
}

#[test]
fn multi_label_field_is_benchmarked_without_a_confusion_matrix() {
    let dir = TempDir::new().unwrap();
    let report = dir.path().join("report");
    let v = json_of(
        detente()
            .args(["bench", "--label-field", "tags", "--min-df", "1", "-q"])
            .args(["--algorithms", "svm", "--format", "json", "--report"])
            .arg(&report)
            .arg("--train")
            .arg(news())
            .arg("--test")
            .arg(news()),
    );
    let r = &v["results"][0];
    assert_eq!(r["multi_label"], true);
    assert!(r["micro_f1"].is_number() && r["confusion"].is_null());
    let md = std::fs::read_to_string(report.join("report.md")).unwrap();
    assert!(md.contains("No confusion matrix"));
    assert!(report.join("per-class-f1.svg").exists());
}

#[test]
fn unknown_algorithm_is_a_usage_error_listing_the_valid_names() {
    let dir = TempDir::new().unwrap();
    bench(&dir, &["--algorithms", "svm,foo"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("foo").and(predicate::str::contains(
                "logreg, svm, nb, cnb, linfa-logistic",
            )),
        );
}

#[test]
fn missing_data_is_named_before_anything_is_trained() {
    let dir = TempDir::new().unwrap();
    detente()
        .args(["bench", "--label-field", "topic", "--train"])
        .arg(news())
        .arg("--test")
        .arg(dir.path().join("no-such-test.jsonl"))
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("no-such-test.jsonl")
                .and(predicate::str::contains("[1/").not()),
        );
}

#[test]
fn a_failing_algorithm_is_named_with_its_error_and_fails_the_run() {
    let dir = TempDir::new().unwrap();
    let one_class = dir.path().join("one.jsonl");
    std::fs::write(
        &one_class,
        "{\"text\": \"troops shelled the town\", \"label\": \"war\"}\n{\"text\": \"the army attacked\", \"label\": \"war\"}\n",
    )
    .unwrap();
    detente()
        .args(["bench", "--algorithms", "nb", "--train"])
        .arg(&one_class)
        .arg("--test")
        .arg(&one_class)
        .assert()
        .code(1)
        .stdout("")
        .stderr(
            predicate::str::contains("nb failed")
                .and(predicate::str::contains("only one class"))
                .and(predicate::str::contains("1 of 1 algorithms failed")),
        );
}

#[test]
fn worker_refuses_a_file_that_is_not_a_job() {
    let dir = TempDir::new().unwrap();
    let job = dir.path().join("job.json");
    std::fs::write(&job, "{\"train\": 3}").unwrap();
    detente()
        .args(["bench-worker", "--job"])
        .arg(&job)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("not a bench job"));
}
