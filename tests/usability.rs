//! End-to-end tests of the usability features: progress, explanations, plots, shell integration, colors and
//! output formats. Terminal behaviour is tested under a pseudo-terminal made by util-linux `script`.

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

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("datasets/examples")
        .join(name)
}

fn stdout_of(cmd: &mut Command) -> String {
    String::from_utf8(cmd.assert().success().get_output().stdout.clone()).unwrap()
}

fn json_of(cmd: &mut Command) -> Value {
    serde_json::from_str(&stdout_of(cmd)).expect("JSON on stdout")
}

/// Trains a model on the news fixture with the given label fields and returns its path.
fn train(dir: &TempDir, fields: &[&str], extra: &[&str]) -> PathBuf {
    let model = dir.path().join(format!("{}.detente", fields.join("-")));
    let mut cmd = detente();
    cmd.args(["train", "--quiet", "--min-df", "1", "--data"])
        .arg(fixture("news.jsonl"))
        .arg("--output")
        .arg(&model)
        .args(extra);
    for field in fields {
        cmd.args(["--label-field", field]);
    }
    cmd.assert().success();
    model
}

/// Runs `command` (a shell command line) with a pseudo-terminal as stdin, stdout and stderr, and returns
/// what the terminal received; `None` where util-linux `script` is missing.
fn on_terminal(command: &str, env: &[(&str, &str)]) -> Option<String> {
    let mut cmd = std::process::Command::new("script");
    cmd.args(["-qec", command, "/dev/null"])
        .env("TERM", "xterm")
        .env_remove("NO_COLOR");
    for (key, value) in env {
        cmd.env(key, value);
    }
    match cmd.output() {
        Ok(out) => {
            assert!(out.status.success(), "{command}: {out:?}");
            Some(String::from_utf8_lossy(&out.stdout).into_owned())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("util-linux `script` is missing: terminal checks skipped");
            None
        }
        Err(e) => panic!("running script: {e}"),
    }
}

fn quoted(path: &Path) -> String {
    format!("'{}'", path.display())
}

fn lines_file(dir: &TempDir, n: usize) -> PathBuf {
    let path = dir.path().join("lines.txt");
    let text: String = (0..n)
        .map(|i| format!("Troops shelled the border villages, report {i}\n"))
        .collect();
    std::fs::write(&path, text).unwrap();
    path
}

// 1. Progress

#[test]
fn long_steps_print_status_lines_off_a_terminal_and_nothing_when_quiet() {
    let dir = TempDir::new().unwrap();
    let model = dir.path().join("m.detente");
    let train = |quiet: bool| {
        let mut cmd = detente();
        cmd.args(["train", "--min-df", "1", "--label-field", "topic"])
            .args(["--label-field", "tone", "--data"])
            .arg(fixture("news.jsonl"))
            .arg("--output")
            .arg(&model);
        if quiet {
            cmd.arg("--quiet");
        }
        String::from_utf8(cmd.assert().success().get_output().stderr.clone()).unwrap()
    };
    let stderr = train(false);
    for line in [
        "read 24 documents from",
        "vectorizing 24 documents",
        "fitting head `topic` (1/2) with svm",
        "fitting head `tone` (2/2) with svm",
    ] {
        assert!(stderr.contains(line), "{line:?} in {stderr}");
    }
    assert!(
        !stderr.contains('\r') && !stderr.contains('\u{1b}'),
        "plain lines only"
    );
    assert_eq!(train(true), "");

    let eval = |quiet: bool| {
        let mut cmd = detente();
        cmd.args(["eval", "--model"])
            .arg(&model)
            .arg("--data")
            .arg(fixture("news.jsonl"));
        if quiet {
            cmd.arg("--quiet");
        }
        String::from_utf8(cmd.assert().success().get_output().stderr.clone()).unwrap()
    };
    assert_eq!(eval(false), "evaluating on 24 documents\n");
    assert_eq!(eval(true), "");

    // predict writes to stdout for pipelines; off a terminal its stderr stays for errors.
    detente()
        .args(["predict", "--lines", "--format", "jsonl", "--model"])
        .arg(&model)
        .pipe_stdin(lines_file(&dir, 2100))
        .unwrap()
        .assert()
        .success()
        .stderr("");
}

#[test]
fn a_terminal_shows_a_live_count_for_long_predictions_only() {
    let dir = TempDir::new().unwrap();
    let model = train(&dir, &["topic"], &[]);
    let exe = env!("CARGO_BIN_EXE_detente");
    let out = dir.path().join("out.jsonl");
    let command = |input: &Path, quiet: &str| {
        format!(
            "{exe} predict {quiet} --lines --format jsonl --model {} < {} > {}",
            quoted(&model),
            quoted(input),
            quoted(&out)
        )
    };
    let long = lines_file(&dir, 3000);
    let Some(screen) = on_terminal(&command(&long, ""), &[]) else {
        return;
    };
    assert!(screen.contains("classified"), "{screen:?}");
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 3000);
    let screen = on_terminal(&command(&long, "--quiet"), &[]).unwrap();
    assert!(!screen.contains("classified"), "{screen:?}");
    let short = dir.path().join("short.txt");
    std::fs::write(&short, "one line\n").unwrap();
    let screen = on_terminal(&command(&short, ""), &[]).unwrap();
    assert_eq!(screen, "", "a short run shows nothing");
}

// 2. Explanations

#[test]
fn explanations_name_the_terms_behind_each_label_and_add_up() {
    let dir = TempDir::new().unwrap();
    let model = train(&dir, &["topic", "tone"], &["--algorithm", "logreg"]);
    let text = "Troops shelled the border and the army attacked the rebels.";
    let records = json_of(
        detente()
            .args(["predict", "--format", "json", "--whole", "--explain", "3"])
            .args(["--top-k", "10", "--model"])
            .arg(&model)
            .write_stdin(text),
    );
    let heads = &records[0]["heads"];
    for head in ["topic", "tone"] {
        let explanations = heads[head]["explanations"].as_array().unwrap();
        assert_eq!(explanations.len(), 1, "{head}");
        let e = &explanations[0];
        assert_eq!(e["label"], heads[head]["label"], "{head}");
        assert_eq!(e["chosen"], true);
        assert_eq!(e["measure"], "log-odds-vs-others");
        let toward: Vec<f64> = e["toward"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["contribution"].as_f64().unwrap())
            .collect();
        let against: Vec<f64> = e["against"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["contribution"].as_f64().unwrap())
            .collect();
        assert!(!toward.is_empty() && toward.len() <= 3 && against.len() <= 3);
        assert!(toward.windows(2).all(|w| w[0] >= w[1]) && toward.iter().all(|&c| c > 0.0));
        assert!(against.windows(2).all(|w| w[0] <= w[1]) && against.iter().all(|&c| c < 0.0));
        for t in e["toward"].as_array().unwrap() {
            let product = t["weight"].as_f64().unwrap() * t["tfidf"].as_f64().unwrap();
            assert!((product - t["contribution"].as_f64().unwrap()).abs() < 1e-6);
        }
        // The measure is ln p(label) minus the mean ln p of the other labels, from the head's own scores.
        let top = heads[head]["top"].as_array().unwrap();
        let ln_p: Vec<f64> = top
            .iter()
            .map(|l| l["score"].as_f64().unwrap().ln())
            .collect();
        let expected = ln_p[0] - ln_p[1..].iter().sum::<f64>() / (ln_p.len() - 1) as f64;
        let value = e["value"].as_f64().unwrap();
        assert!(
            (value - expected).abs() < 1e-3,
            "{head}: {value} vs {expected}"
        );
    }
    // With every term listed, bias and contributions add up to the measure.
    let all = json_of(
        detente()
            .args([
                "predict",
                "--format",
                "json",
                "--whole",
                "--explain",
                "1000",
                "--model",
            ])
            .arg(&model)
            .write_stdin(text),
    );
    let e = &all[0]["heads"]["topic"]["explanations"][0];
    let sum: f64 = ["toward", "against"]
        .iter()
        .flat_map(|side| e[side].as_array().unwrap())
        .map(|t| t["contribution"].as_f64().unwrap())
        .sum();
    let (value, bias) = (e["value"].as_f64().unwrap(), e["bias"].as_f64().unwrap());
    assert!(
        (bias + sum - value).abs() < 1e-4,
        "{bias} + {sum} vs {value}"
    );

    let text_out = stdout_of(
        detente()
            .args(["predict", "--explain", "2", "--model"])
            .arg(&model)
            .arg(example("liaison-office.txt")),
    );
    assert!(
        text_out.contains("toward ") && text_out.contains("against "),
        "{text_out}"
    );
}

#[test]
fn article_tone_evidence_sentences_carry_their_own_terms() {
    let records = json_of(
        detente()
            .args(["predict", "--format", "json", "--explain", "4"])
            .arg(example("liaison-office.txt")),
    );
    let evidence = records[0]["article_tone"]["evidence"].as_array().unwrap();
    assert!(!evidence.is_empty());
    for sentence in evidence {
        let e = &sentence["explanation"];
        assert_eq!(e["label"], sentence["label"], "{sentence}");
        assert_eq!(e["chosen"], true);
        let terms = e["toward"].as_array().unwrap();
        assert!(!terms.is_empty() && terms.len() <= 4);
    }
    assert_ne!(
        evidence[0]["explanation"]["toward"], evidence[1]["explanation"]["toward"],
        "each sentence is explained on its own"
    );
    // In text, each evidence sentence is followed by its terms.
    let text = stdout_of(
        detente()
            .args(["predict", "--explain", "3"])
            .arg(example("liaison-office.txt")),
    );
    let lines: Vec<&str> = text.lines().collect();
    let first = lines
        .iter()
        .position(|l| l.contains("North Korea withdrew"))
        .unwrap();
    assert!(
        lines[first + 1].trim_start().starts_with("toward "),
        "{text}"
    );
    assert!(
        lines[first + 2].trim_start().starts_with("against "),
        "{text}"
    );
}

// 3. Plots

#[test]
fn eval_plot_draws_each_head() {
    let dir = TempDir::new().unwrap();
    let model = train(&dir, &["topic", "tags"], &[]);
    let plots = dir.path().join("plots");
    let stderr = detente()
        .args(["eval", "--model"])
        .arg(&model)
        .arg("--data")
        .arg(fixture("news.jsonl"))
        .arg("--plot")
        .arg(&plots)
        .assert()
        .success()
        .get_output()
        .stderr
        .clone();
    let stderr = String::from_utf8(stderr).unwrap();
    let svg = |name: &str| std::fs::read_to_string(plots.join(name)).unwrap();
    let confusion = svg("topic-confusion.svg");
    assert!(confusion.starts_with("<svg"));
    for label in ["defense", "diplomacy", "economy", "sports"] {
        assert!(confusion.contains(label), "{label}");
    }
    let classes = svg("topic-classes.svg");
    for text in ["precision", "recall", "F1", "defense ("] {
        assert!(classes.contains(text), "{text}");
    }
    assert!(svg("tags-classes.svg").contains("military ("));
    assert!(
        !plots.join("tags-confusion.svg").exists(),
        "a multi-label head has no confusion matrix"
    );
    let png = plots.join("topic-confusion.png");
    if cfg!(feature = "png") && !stderr.contains("no system font") {
        let bytes = std::fs::read(&png).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        assert!(plots.join("tags-classes.png").exists());
    } else {
        assert!(!png.exists());
        assert!(stderr.contains("SVG charts only"), "{stderr}");
    }
    assert!(stderr.contains("wrote topic-confusion.svg"), "{stderr}");
}

// 6. Shell integration

#[test]
fn completions_cover_every_shell_and_verb() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = stdout_of(detente().args(["completions", shell]));
        for word in ["predict", "eval", "completions", "explain", "plot"] {
            assert!(script.contains(word), "{shell}: {word}");
        }
        assert!(!script.contains("bench-worker"), "{shell}: hidden verb");
    }
    let dir = TempDir::new().unwrap();
    let bash = dir.path().join("detente.bash");
    std::fs::write(&bash, stdout_of(detente().args(["completions", "bash"]))).unwrap();
    match std::process::Command::new("bash")
        .arg("-n")
        .arg(&bash)
        .status()
    {
        Ok(status) => assert!(status.success(), "the bash script parses"),
        Err(_) => eprintln!("no bash: syntax check skipped"),
    }
    detente().args(["completions", "tcsh"]).assert().code(2);
}

#[test]
fn man_pages_document_verbs_exit_status_and_environment() {
    let page = stdout_of(detente().arg("man"));
    assert!(
        page.starts_with(".ie") || page.contains(".TH detente 1"),
        "{page}"
    );
    for text in [
        ".SH \"EXIT STATUS\"",
        ".SH \"ENVIRONMENT\"",
        "NO_COLOR",
        "detente\\-predict(1)",
    ] {
        assert!(page.contains(text), "{text}");
    }
    let dir = TempDir::new().unwrap();
    detente()
        .args(["man", "--dir"])
        .arg(dir.path())
        .assert()
        .success();
    for verb in [
        "train",
        "predict",
        "eval",
        "inspect",
        "bench",
        "completions",
        "man",
    ] {
        let sub = std::fs::read_to_string(dir.path().join(format!("detente-{verb}.1"))).unwrap();
        assert!(sub.contains(".TH detente-"), "{verb}");
    }
    let predict = std::fs::read_to_string(dir.path().join("detente-predict.1")).unwrap();
    assert!(predict.contains(".SH \"EXAMPLES\"") && predict.contains("\\-\\-explain"));
    assert!(!dir.path().join("detente-bench-worker.1").exists());
}

#[test]
fn exit_status_is_0_1_or_2() {
    detente().arg("--version").assert().code(0);
    detente().args(["predict", "--bogus"]).assert().code(2);
    detente()
        .args(["predict", "--format", "xml"])
        .assert()
        .code(2);
    detente()
        .args(["predict", "--input-format", "folder"])
        .write_stdin("x")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("needs a folder"));
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("m.detente");
    let train = |flags: &[&str]| {
        let mut cmd = detente();
        cmd.args(["train", "--quiet", "--data"])
            .arg(fixture("news.jsonl"))
            .arg("--output")
            .arg(&out)
            .args(flags);
        cmd.assert()
    };
    // Flags that parse but make no sense are usage errors too; a file that cannot be read is not.
    train(&["--threshold", "often"])
        .code(2)
        .stderr(predicate::str::contains("--threshold"));
    train(&["--C=-1"])
        .code(2)
        .stderr(predicate::str::contains("C"));
    train(&["--char-ngrams", "5-2"]).code(2);
    train(&["--min-df", "lots"]).code(2);
    train(&["--stop-words", "/no/such/list.txt"])
        .code(1)
        .stderr(predicate::str::contains("/no/such/list.txt"));
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, "{\"text\": oops}\n").unwrap();
    detente()
        .args(["eval", "--data"])
        .arg(&bad)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("bad.jsonl:1"));
}

#[test]
fn colors_only_on_a_terminal_and_never_with_no_color() {
    let article = example("liaison-office.txt");
    let piped = stdout_of(detente().args(["predict", "--explain", "2"]).arg(&article));
    assert!(!piped.contains('\u{1b}'), "no colors in a pipe");
    let forced = stdout_of(
        detente()
            .args(["--color", "always", "predict", "--explain", "2"])
            .arg(&article),
    );
    assert!(forced.contains("\u{1b}["));
    let exe = env!("CARGO_BIN_EXE_detente");
    let command = format!("{exe} predict --explain 2 {}", quoted(&article));
    let Some(screen) = on_terminal(&command, &[]) else {
        return;
    };
    assert!(screen.contains("\u{1b}["), "a terminal gets colors");
    let screen = on_terminal(&command, &[("NO_COLOR", "1")]).unwrap();
    assert!(!screen.contains('\u{1b}'), "NO_COLOR: {screen:?}");
    let screen = on_terminal(
        &format!("{exe} --color never predict {}", quoted(&article)),
        &[],
    )
    .unwrap();
    assert!(!screen.contains('\u{1b}'));
}

// 7. Output formats

#[test]
fn csv_and_tsv_have_a_header_and_quote_what_needs_it() {
    let dir = TempDir::new().unwrap();
    let model = train(&dir, &["topic", "tone"], &[]);
    let odd = dir.path().join("a, \"quoted\" name.txt");
    std::fs::write(&odd, "The striker scored and the team won the league.").unwrap();
    let csv_text = stdout_of(
        detente()
            .args(["predict", "--format", "csv", "--model"])
            .arg(&model)
            .arg(&odd)
            .arg(fixture("news.jsonl")),
    );
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header,
        [
            "input",
            "topic",
            "topic_score",
            "tone",
            "tone_score",
            "tone_article",
            "tone_article_score",
            "tone_eventfulness"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1 + 24);
    assert_eq!(&rows[0][0], odd.display().to_string());
    assert_eq!(&rows[0][1], "sports");
    assert!(rows[0][2].parse::<f64>().is_ok());
    assert!(rows[1][0].ends_with("news.jsonl:1"));

    let tsv = stdout_of(
        detente()
            .args([
                "predict",
                "--format",
                "tsv",
                "--top-k",
                "2",
                "--explain",
                "2",
                "--model",
            ])
            .arg(&model)
            .write_stdin("Troops shelled the border.\nShares rose.\n"),
    );
    let lines: Vec<Vec<&str>> = tsv.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(
        &lines[0][..7],
        [
            "input",
            "topic",
            "topic_score",
            "topic_2",
            "topic_2_score",
            "topic_toward",
            "topic_against"
        ]
    );
    assert!(lines.iter().all(|l| l.len() == lines[0].len()));
    assert_eq!(lines[1][0], "stdin:1");
    assert!(
        lines[1][5].contains(" +"),
        "terms with their contributions: {}",
        lines[1][5]
    );

    // No documents: the header alone.
    let empty = stdout_of(
        detente()
            .args(["predict", "--format", "csv", "--lines", "--model"])
            .arg(&model)
            .write_stdin(""),
    );
    assert_eq!(empty.lines().count(), 1);
}

#[test]
fn json_jsonl_and_aligned_text() {
    let dir = TempDir::new().unwrap();
    let model = train(&dir, &["topic", "tags"], &[]);
    let input = "Troops shelled the border.\nShares rose as profits grew.\n";
    let array = json_of(
        detente()
            .args(["predict", "--format", "json", "--model"])
            .arg(&model)
            .write_stdin(input),
    );
    assert_eq!(array.as_array().unwrap().len(), 2);
    let jsonl = stdout_of(
        detente()
            .args(["predict", "--format", "jsonl", "--model"])
            .arg(&model)
            .write_stdin(input),
    );
    let records: Vec<Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records, array.as_array().unwrap().clone());
    assert!(records[0]["heads"]["tags"]["labels"].is_array());

    let text = stdout_of(
        detente()
            .args(["predict", "--model"])
            .arg(&model)
            .write_stdin(input),
    );
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "stdin:1");
    let (topic, tags) = (lines[1], lines[2]);
    assert!(
        topic.starts_with("  topic ") && tags.starts_with("  tags  "),
        "{text}"
    );
    assert_eq!(
        topic.find("[top:"),
        tags.find("[top:"),
        "the best labels line up:\n{text}"
    );
}
