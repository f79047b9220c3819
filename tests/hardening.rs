//! Bad input, end to end: each row of the README's "Bad input" table has a test here (or, where named there,
//! in the reader's own tests). Every fixture is written by the test into a temporary folder.

use assert_cmd::Command;
use detente::model::Model;
use std::cell::Cell;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tempfile::TempDir;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_detente")
}

fn detente() -> Command {
    Command::new(bin())
}

fn news() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/news.jsonl")
}

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Runs `cmd`, which must fail with exit code 1 and an error naming every one of `expected`; returns
/// stderr.
fn fails(cmd: &mut Command, expected: &[&str]) -> String {
    failed(cmd.output().unwrap(), expected)
}

/// The output of a command that must have failed as [`fails`] says.
fn failed(out: std::process::Output, expected: &[&str]) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "exit code; stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let error = stderr
        .lines()
        .find(|l| l.starts_with("error: "))
        .unwrap_or_else(|| panic!("no error line in {stderr}"));
    for e in expected {
        assert!(error.contains(e), "`{e}` missing from: {error}");
    }
    stderr
}

/// Runs `cmd`, which must succeed; returns (stdout, stderr).
fn succeeds(cmd: &mut Command) -> (String, String) {
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    (String::from_utf8_lossy(&out.stdout).into_owned(), stderr)
}

fn train(data: &Path, output: &Path, extra: &[&str]) -> Command {
    let mut cmd = detente();
    cmd.args(["train", "--min-df", "1", "--data"])
        .arg(data)
        .arg("--output")
        .arg(output)
        .args(extra);
    cmd
}

/// A model of the news fixture's `topic` field.
fn topic_model(dir: &Path) -> PathBuf {
    let model = dir.join("topic.detente");
    succeeds(&mut train(
        &news(),
        &model,
        &["--quiet", "--label-field", "topic"],
    ));
    model
}

fn predict(model: &Path) -> Command {
    let mut cmd = detente();
    cmd.args(["predict", "--model"]).arg(model);
    cmd
}

/// Whether this process runs as root, for whom permission bits do not apply.
fn is_root(dir: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let probe = write(dir, ".uid-probe", b"");
    std::fs::metadata(probe).unwrap().uid() == 0
}

/// The `detente` binary run as an unprivileged user: as root through `setpriv` (then `dir` is opened to
/// others), otherwise directly. `None` when running as root without `setpriv`.
fn unprivileged(dir: &Path) -> Option<Command> {
    use std::os::unix::fs::PermissionsExt;
    if !is_root(dir) {
        return Some(detente());
    }
    let setpriv = ["/usr/bin/setpriv", "/bin/setpriv"]
        .into_iter()
        .find(|p| Path::new(p).exists())?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut cmd = Command::new(setpriv);
    cmd.args([
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "--",
        bin(),
    ]);
    Some(cmd)
}

#[test]
fn missing_files_are_named() {
    let dir = TempDir::new().unwrap();
    let model = topic_model(dir.path());
    let absent = dir.path().join("absent.jsonl");
    let out = dir.path().join("m.detente");
    let no_such = "No such file or directory";
    fails(&mut train(&absent, &out, &[]), &["absent.jsonl", no_such]);
    // Without a known extension the file is still reported missing, not of an unknown format.
    fails(
        &mut train(&dir.path().join("absent-corpus"), &out, &[]),
        &["absent-corpus", no_such],
    );
    fails(
        predict(&model).arg(dir.path().join("absent.txt")),
        &["absent.txt", no_such],
    );
    fails(
        detente()
            .args(["predict", "--model"])
            .arg(dir.path().join("absent.detente"))
            .write_stdin("text"),
        &["absent.detente", no_such],
    );
    fails(
        detente()
            .args(["eval", "--model"])
            .arg(&model)
            .arg("--data")
            .arg(&absent),
        &["absent.jsonl", no_such],
    );
    fails(
        detente()
            .arg("inspect")
            .arg(dir.path().join("absent.detente")),
        &["absent.detente", no_such],
    );
}

#[test]
fn unreadable_folders_and_files_are_named() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new().unwrap();
    if unprivileged(dir.path()).is_none() {
        eprintln!("skipped: running as root without setpriv");
        return;
    }
    let corpus = dir.path().join("corpus");
    write(&corpus, "a/1", "wheat grain harvest");
    write(&corpus, "b/1", "goal match team");
    let class = corpus.join("b");
    std::fs::set_permissions(&class, std::fs::Permissions::from_mode(0o000)).unwrap();
    let out = dir.path().join("m.detente");
    let mut cmd = unprivileged(dir.path()).unwrap();
    cmd.args(["train", "--data"])
        .arg(&corpus)
        .arg("--output")
        .arg(&out);
    fails(&mut cmd, &["corpus/b", "Permission denied"]);
    std::fs::set_permissions(&class, std::fs::Permissions::from_mode(0o755)).unwrap();

    let secret = write(dir.path(), "secret.jsonl", "{\"text\": \"a\"}\n");
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
    let mut cmd = unprivileged(dir.path()).unwrap();
    cmd.arg("predict").arg(&secret);
    fails(&mut cmd, &["secret.jsonl", "Permission denied"]);
}

#[test]
fn class_folder_without_files() {
    let dir = TempDir::new().unwrap();
    let corpus = dir.path().join("corpus");
    write(&corpus, "a/1", "wheat grain");
    write(&corpus, "b/.hidden", "goal match");
    fails(
        &mut train(&corpus, &dir.path().join("m.detente"), &[]),
        &["corpus/b: class folder has no documents"],
    );
}

#[test]
fn empty_files() {
    let dir = TempDir::new().unwrap();
    let model = topic_model(dir.path());
    let out = dir.path().join("m.detente");
    for name in ["empty.jsonl", "empty.csv", "empty.tsv", "empty.ft"] {
        let empty = write(dir.path(), name, "");
        fails(&mut train(&empty, &out, &[]), &[name, "no documents found"]);
    }
    // Only blank lines, a byte-order mark or a header: still no documents.
    let blank = write(dir.path(), "blank.jsonl", "\u{feff}\n  \r\n\n");
    fails(
        &mut train(&blank, &out, &[]),
        &["blank.jsonl: no documents found"],
    );
    let header = write(dir.path(), "header.csv", "text,label\r\n");
    fails(
        &mut train(&header, &out, &[]),
        &["header.csv: no documents found"],
    );
    assert!(!out.exists());
    // To predict, an empty record file holds nothing to classify, while an empty plain file is one
    // (empty) document.
    fails(
        predict(&model).arg(dir.path().join("empty.jsonl")),
        &["empty.jsonl: no documents found"],
    );
    let empty_txt = write(dir.path(), "empty.txt", "");
    let (stdout, _) = succeeds(predict(&model).arg(&empty_txt).args(["--format", "jsonl"]));
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    // Empty stdin: nothing to classify, nothing written.
    let (stdout, _) = succeeds(predict(&model).write_stdin(""));
    assert_eq!(stdout, "");
}

#[test]
fn malformed_json_line() {
    let dir = TempDir::new().unwrap();
    let bad = write(
        dir.path(),
        "bad.jsonl",
        "{\"text\": \"a b\", \"label\": \"x\"}\n\n{\"text\": \"c\", \"label\": \"y\"\n",
    );
    fails(
        &mut train(&bad, &dir.path().join("m.detente"), &[]),
        &["bad.jsonl:3: invalid JSON", "(column "],
    );
    let array = write(dir.path(), "array.jsonl", "[\"text\", \"label\"]\n");
    fails(
        &mut train(&array, &dir.path().join("m.detente"), &[]),
        &["array.jsonl:1: expected a JSON object", "found an array"],
    );
}

#[test]
fn missing_null_and_mistyped_fields() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("m.detente");
    let ok = "{\"text\": \"a b\", \"label\": \"x\"}\n";
    for (i, (second, expected)) in [
        ("{\"label\": \"y\"}", "missing field `text`"),
        (
            "{\"text\": null, \"label\": \"y\"}",
            "field `text` should be a string, found null",
        ),
        (
            "{\"text\": 7, \"label\": \"y\"}",
            "field `text` should be a string, found a number (7)",
        ),
        ("{\"text\": \"c\"}", "missing field `label`"),
        (
            "{\"text\": \"c\", \"label\": null}",
            "field `label` should be a string, a number or a list of them, found null",
        ),
        ("{\"text\": \"c\", \"label\": {}}", "found an object"),
        (
            "{\"text\": \"c\", \"label\": \"\"}",
            "should be a non-empty label",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let name = format!("f{i}.jsonl");
        let path = write(dir.path(), &name, format!("{ok}{second}\n"));
        fails(
            &mut train(&path, &out, &[]),
            &[&format!("{name}:2: "), expected],
        );
    }
    // With --partial-labels a missing or null label is no error: that head skips the document.
    let partial = write(
        dir.path(),
        "partial.jsonl",
        format!(
            "{ok}{{\"text\": \"c d\", \"label\": \"y\"}}\n{{\"text\": \"e\", \"label\": null}}\n"
        ),
    );
    succeeds(&mut train(&partial, &out, &["--quiet", "--partial-labels"]));
    // CSV: an empty label cell; fastText: a line without a label.
    let csv = write(dir.path(), "c.csv", "text,label\na b,x\nc d,\n");
    fails(
        &mut train(&csv, &out, &[]),
        &["c.csv:3: ", "field `label`", "an empty cell"],
    );
    let ft = write(dir.path(), "c.ft", "__label__x a b\nno label here\n");
    fails(
        &mut train(&ft, &out, &[]),
        &["c.ft:2: missing field `label`"],
    );
}

#[test]
fn csv_column_errors() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("m.detente");
    let wide = write(dir.path(), "wide.csv", "text,label\na,x\nb,y,z\n");
    fails(
        &mut train(&wide, &out, &[]),
        &["wide.csv:3: expected 2 fields as in the header, found 3"],
    );
    let narrow = write(dir.path(), "narrow.tsv", "text\tlabel\r\na\tx\r\nb\r\n");
    fails(
        &mut train(&narrow, &out, &[]),
        &["narrow.tsv:3: expected 2 fields as in the header, found 1"],
    );
    let unknown = write(dir.path(), "unknown.csv", "body,label\na,x\n");
    fails(
        &mut train(&unknown, &out, &[]),
        &["unknown.csv:1: no column `text`; the header has: body, label"],
    );
    fails(
        &mut train(
            &news(),
            &out,
            &["--label-field", "topic", "--input-format", "csv"],
        ),
        &["news.jsonl:"],
    );
    let tsv_as_csv = write(dir.path(), "tabs.csv", "text\tlabel\na\tx\n");
    fails(&mut train(&tsv_as_csv, &out, &[]), &["--input-format tsv"]);
}

/// Invalid UTF-8, a byte-order mark, CRLF line ends and NUL bytes are read as the text they damage: the
/// same words give the same vocabulary and weights, and the same predictions.
#[test]
fn invalid_utf8_bom_crlf_and_nul_read_as_text() {
    let dir = TempDir::new().unwrap();
    let clean = "text,label\nwheat grain harvest,farm\ngoal match team,sport\ngrain prices,farm\nteam wins,sport\n";
    // A byte-order mark, CRLF, a NUL between words, and a byte that is never UTF-8 standing alone
    // (replaced by U+FFFD, which is no word).
    let damaged = b"\xef\xbb\xbftext,label\r\nwheat\0grain harvest,farm\r\ngoal match team,sport\r\ngrain \xff prices,farm\r\nteam wins,sport\r\n";
    let a = write(dir.path(), "clean.csv", clean);
    let b = write(dir.path(), "damaged.csv", damaged);
    let (ma, mb) = (dir.path().join("a.detente"), dir.path().join("b.detente"));
    succeeds(&mut train(&a, &ma, &[]));
    let (_, stderr) = succeeds(&mut train(&b, &mb, &[]));
    assert!(
        stderr.contains("read 4 documents from")
            && stderr.contains("(1 not valid UTF-8: bytes replaced)"),
        "{stderr}"
    );
    let learned = |m: &Path| {
        let (stdout, _) = succeeds(detente().arg("inspect").arg(m).args(["--format", "json"]));
        let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        (v["heads"].to_string(), v["vocabulary_size"].clone())
    };
    assert_eq!(learned(&ma), learned(&mb));
    // Plain files and stdin follow the same rules.
    let text = write(
        dir.path(),
        "doc.txt",
        b"\xef\xbb\xbfwheat\0grain\r\nharvest \xff\r\n",
    );
    let (p1, _) = succeeds(
        predict(&ma)
            .arg(&text)
            .args(["--format", "jsonl", "--top-k", "2"]),
    );
    let (p2, _) = succeeds(
        predict(&ma)
            .args(["--whole", "--format", "jsonl", "--top-k", "2"])
            .write_stdin("wheat grain\nharvest"),
    );
    let scores = |s: &str| {
        let v: serde_json::Value = serde_json::from_str(s.lines().next().unwrap()).unwrap();
        v["heads"].to_string()
    };
    assert_eq!(scores(&p1), scores(&p2));
}

#[test]
fn binary_files() {
    let dir = TempDir::new().unwrap();
    let model = topic_model(dir.path());
    let binary = std::fs::read(&model).unwrap();
    // A binary file in a folder corpus is a document with its invalid bytes replaced, and is counted.
    let corpus = dir.path().join("corpus");
    write(&corpus, "a/1", "wheat grain harvest");
    write(&corpus, "a/2", &binary);
    write(&corpus, "b/1", "goal match team");
    let (_, stderr) = succeeds(&mut train(&corpus, &dir.path().join("m.detente"), &[]));
    assert!(
        stderr.contains("(1 not valid UTF-8: bytes replaced)"),
        "{stderr}"
    );
    // In a record format it fails at its first line.
    let as_jsonl = write(dir.path(), "model.jsonl", &binary);
    fails(
        &mut train(&as_jsonl, &dir.path().join("m.detente"), &[]),
        &["model.jsonl:1: "],
    );
    // A model given as data, or data given as a model, is named as such.
    fails(
        &mut train(&model, &dir.path().join("m.detente"), &[]),
        &["topic.detente", "cannot tell the format"],
    );
    fails(
        predict(&news()).write_stdin("text"),
        &["news.jsonl: not a usable detente model"],
    );
    // To predict, a binary plain file is one document like any other.
    let (stdout, _) = succeeds(predict(&model).arg(&model).args(["--format", "jsonl"]));
    assert_eq!(stdout.lines().count(), 1);
}

/// A generated article of at least `bytes` bytes: sentences of news words, in paragraphs.
fn article(bytes: usize) -> String {
    let words = [
        "troops",
        "shelled",
        "border",
        "villages",
        "talks",
        "ceasefire",
        "markets",
        "rose",
        "the",
        "central",
        "bank",
        "held",
        "rates",
        "leaders",
        "signed",
        "accord",
        "grain",
        "wheat",
    ];
    let mut text = String::with_capacity(bytes + 200);
    let mut state = 7u64;
    while text.len() < bytes {
        for i in 0..15 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let word = words[(state >> 33) as usize % words.len()];
            text.push_str(word);
            text.push_str(if i == 14 { ". " } else { " " });
        }
        if state.is_multiple_of(8) {
            text.push_str("\n\n");
        }
    }
    text
}

#[test]
fn a_50_mb_document() {
    let dir = TempDir::new().unwrap();
    let model = topic_model(dir.path());
    let big = write(dir.path(), "big.txt", article(50 << 20));
    let (stdout, _) = succeeds(predict(&model).arg(&big).args(["--format", "jsonl"]));
    assert_eq!(stdout.lines().count(), 1, "one document");
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(v["input"], big.display().to_string());
}

#[test]
fn empty_documents() {
    let dir = TempDir::new().unwrap();
    let model = topic_model(dir.path());
    // Empty texts are documents: they train (adding no terms) and are classified.
    let some = write(
        dir.path(),
        "some.jsonl",
        "{\"text\": \"\", \"label\": \"x\"}\n{\"text\": \"wheat grain\", \"label\": \"x\"}\n{\"text\": \"goal\", \"label\": \"y\"}\n",
    );
    succeeds(&mut train(
        &some,
        &dir.path().join("m.detente"),
        &["--quiet"],
    ));
    let records = write(
        dir.path(),
        "r.jsonl",
        "{\"text\": \"\"}\n{\"text\": \"   \"}\n",
    );
    let (stdout, _) = succeeds(predict(&model).arg(&records).args(["--format", "jsonl"]));
    assert_eq!(stdout.lines().count(), 2);
    // Only empty texts: no vocabulary to learn.
    let none = write(
        dir.path(),
        "none.jsonl",
        "{\"text\": \"\", \"label\": \"x\"}\n{\"text\": \"...\", \"label\": \"y\"}\n",
    );
    fails(
        &mut train(&none, &dir.path().join("m.detente"), &[]),
        &["at least one term", "the documents are empty"],
    );
    // Blank lines of a one-document-per-line stream are no documents; numbering keeps counting them.
    let (stdout, _) = succeeds(
        predict(&model)
            .args(["--lines", "--format", "jsonl"])
            .write_stdin("wheat prices\n\n   \nthe match\n"),
    );
    let inputs: Vec<String> = stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["input"].to_string())
        .collect();
    assert_eq!(inputs, ["\"stdin:1\"", "\"stdin:4\""]);
}

#[test]
fn a_corpus_with_one_class() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("m.detente");
    let single = write(
        dir.path(),
        "single.jsonl",
        "{\"text\": \"a b\", \"label\": \"x\"}\n{\"text\": \"c d\", \"label\": \"x\"}\n",
    );
    fails(
        &mut train(&single, &out, &[]),
        &["label field `label` has only one class (x); a classifier needs at least two"],
    );
    let corpus = dir.path().join("corpus");
    write(&corpus, "only/1", "a b");
    write(&corpus, "only/2", "c d");
    fails(&mut train(&corpus, &out, &[]), &["only one class (only)"]);
    let empty_lists = write(
        dir.path(),
        "lists.jsonl",
        "{\"text\": \"a b\", \"label\": []}\n{\"text\": \"c d\", \"label\": []}\n",
    );
    fails(
        &mut train(&empty_lists, &out, &[]),
        &["only one class (no labels at all)"],
    );
    assert!(!out.exists());
}

#[test]
fn labels_the_model_never_saw() {
    let dir = TempDir::new().unwrap();
    let model = topic_model(dir.path());
    let eval = write(
        dir.path(),
        "eval.jsonl",
        "{\"text\": \"Storms flooded the valley.\", \"topic\": \"weather\"}\n{\"text\": \"The central bank held rates.\", \"topic\": \"economy\"}\n",
    );
    let mut cmd = detente();
    cmd.args(["eval", "--quiet", "--model"])
        .arg(&model)
        .arg("--data")
        .arg(&eval);
    let (stdout, _) = succeeds(&mut cmd);
    assert!(
        stdout.contains("labels the model never saw in training (counted as missed): weather"),
        "{stdout}"
    );
    let (stdout, _) = succeeds(cmd.args(["--format", "json"]));
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        v["heads"]["topic"]["unseen_labels"],
        serde_json::json!(["weather"])
    );
    assert_eq!(v["heads"]["topic"]["documents"], 2);
}

#[test]
fn unknown_head_names() {
    let dir = TempDir::new().unwrap();
    let model = topic_model(dir.path());
    fails(
        detente()
            .args(["eval", "--head", "sentiment", "--model"])
            .arg(&model)
            .arg("--data")
            .arg(news()),
        &["the model has no head `sentiment`; it has: topic"],
    );
    fails(
        &mut train(
            &news(),
            &dir.path().join("m.detente"),
            &["--label-field", "topic", "--head-algorithm", "tone=nb"],
        ),
        &["no head `tone`; it has: topic"],
    );
}

#[test]
fn unwritable_outputs() {
    let dir = TempDir::new().unwrap();
    let model = topic_model(dir.path());
    let args = ["--quiet", "--label-field", "topic"];
    fails(
        &mut train(&news(), &dir.path().join("no-such-folder/m.detente"), &args),
        &["no-such-folder", "No such file or directory"],
    );
    let folder = dir.path().join("a-folder");
    std::fs::create_dir(&folder).unwrap();
    fails(
        &mut train(&news(), &folder, &args),
        &["a-folder", "Is a directory"],
    );
    fails(
        &mut train(&news(), &model.join("m.detente"), &args),
        &["topic.detente", "Not a directory"],
    );
    // Nothing is left behind by the failed saves.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != ".uid-probe")
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    // A read-only folder, for a user the permission bits apply to.
    if let Some(mut as_user) = unprivileged(dir.path()) {
        as_user
            .args([
                "train",
                "--quiet",
                "--min-df",
                "1",
                "--label-field",
                "topic",
                "--data",
            ])
            .arg(news())
            .arg("--output")
            .arg(dir.path().join("m.detente"));
        fails(&mut as_user, &["Permission denied"]);
    }
    // Standard output on a full disk.
    let full = || {
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap()
    };
    for verb in [
        &["predict", "--lines"][..],
        &["inspect"],
        &["eval", "--quiet", "--data"],
    ] {
        let mut cmd = std::process::Command::new(bin());
        cmd.args(verb).stdin(Stdio::null());
        match verb[0] {
            "eval" => cmd.arg(news()).arg("--model").arg(&model),
            "inspect" => cmd.arg(&model),
            _ => cmd
                .arg("--model")
                .arg(&model)
                .stdin(std::fs::File::open(news()).unwrap()),
        };
        failed(
            cmd.stdout(full()).output().unwrap(),
            &["standard output: No space left on device"],
        );
    }
}

#[test]
fn unwritable_stderr_does_not_panic() {
    let full = || {
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap()
    };
    let dir = TempDir::new().unwrap();
    let status = std::process::Command::new(bin())
        .args(["train", "--min-df", "1", "--label-field", "topic", "--data"])
        .arg(news())
        .arg("--output")
        .arg(dir.path().join("m.detente"))
        .stderr(full())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(0), "status lines lost, work done");
    let status = std::process::Command::new(bin())
        .args(["predict", "--model"])
        .arg(dir.path().join("absent.detente"))
        .stdin(Stdio::null())
        .stderr(full())
        .status()
        .unwrap();
    assert_eq!(
        status.code(),
        Some(1),
        "the error is lost, not the exit code"
    );
}

/// `detente … | head -1`: the reader goes away after one line; detente stops quietly with exit code 0.
#[test]
fn closed_stdout_exits_quietly() {
    let dir = TempDir::new().unwrap();
    let model = topic_model(dir.path());
    let lines = write(
        dir.path(),
        "lines.txt",
        "wheat prices rose\n".repeat(200_000),
    );
    for verb in [
        &["predict", "--lines"][..],
        &["inspect"],
        &["eval", "--data"],
    ] {
        let mut cmd = std::process::Command::new(bin());
        cmd.args(verb);
        match verb[0] {
            "predict" => cmd
                .arg("--model")
                .arg(&model)
                .stdin(std::fs::File::open(&lines).unwrap()),
            "inspect" => cmd
                .arg(&model)
                .arg("--top-terms")
                .arg("100000")
                .stdin(Stdio::null()),
            _ => cmd
                .arg(news())
                .arg("--quiet")
                .arg("--model")
                .arg(&model)
                .stdin(Stdio::null()),
        };
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(!first.is_empty(), "{verb:?}");
        // The pipe's reading end is closed here, when the reader is dropped.
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{verb:?}: {stderr}");
        assert_eq!(stderr, "", "{verb:?}");
    }
}

/// A damaged copy of a model file is refused, naming the file and the damage.
#[test]
fn damaged_model_files_are_refused() {
    let dir = TempDir::new().unwrap();
    let model = topic_model(dir.path());
    let good = std::fs::read(&model).unwrap();
    let variants: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "truncated",
            good[..good.len() / 2].to_vec(),
            "truncated or damaged",
        ),
        (
            "short",
            good[..12].to_vec(),
            "the file is truncated (12 bytes, header needs 24)",
        ),
        (
            "flipped",
            {
                let mut b = good.clone();
                b[good.len() / 2] ^= 0x04;
                b
            },
            "checksum mismatch: the file is damaged",
        ),
        (
            "magic",
            {
                let mut b = good.clone();
                b[0] = b'X';
                b
            },
            "it does not start with the detente magic number",
        ),
        (
            "newer",
            {
                let mut b = good.clone();
                b[8..12].copy_from_slice(&99u32.to_le_bytes());
                b
            },
            "model format version 99 is newer than this detente reads (up to {}); upgrade detente",
        ),
        (
            "terabytes",
            {
                let mut b = good.clone();
                b[12..20].copy_from_slice(&(1u64 << 42).to_le_bytes());
                b
            },
            "the header declares 4398046511104 payload bytes",
        ),
        (
            "longer",
            {
                let mut b = good.clone();
                b.extend_from_slice(b"trailing");
                b
            },
            "the file goes on after",
        ),
        ("empty", Vec::new(), "the file is empty"),
    ];
    for (name, bytes, reason) in variants {
        let reason = reason.replace("{}", &detente::format::FORMAT_VERSION.to_string());
        let path = write(dir.path(), &format!("{name}.detente"), bytes);
        let what = if name == "newer" {
            ""
        } else {
            "not a usable detente model: "
        };
        fails(
            predict(&path).write_stdin("wheat"),
            &[&format!("{name}.detente: {what}"), &reason],
        );
    }
    // Not a file at all: a folder, a device that never ends.
    fails(predict(dir.path()).write_stdin("x"), &["Is a directory"]);
    fails(
        predict(Path::new("/dev/zero")).write_stdin("x"),
        &["/dev/zero: not a usable detente model: it does not start with the detente magic number"],
    );
}

// Peak bytes allocated by the current thread, for checking what loading a model file allocates.
thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

struct PerThread;

unsafe impl std::alloc::GlobalAlloc for PerThread {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        let _ = LIVE.try_with(|live| {
            live.set(live.get() + layout.size() as isize);
            let _ = PEAK.try_with(|peak| peak.set(peak.get().max(live.get())));
        });
        unsafe { std::alloc::System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        let _ = LIVE.try_with(|live| live.set(live.get() - layout.size() as isize));
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: PerThread = PerThread;

/// The most `f` allocated on this thread at once, beyond what was allocated before.
fn peak_allocation<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(base));
    let value = f();
    (value, (PEAK.with(Cell::get) - base).max(0) as usize)
}

/// A model file image around `payload` with a correct length and checksum.
fn image(payload: &[u8]) -> Vec<u8> {
    let mut bytes = detente::format::MAGIC.to_vec();
    bytes.extend_from_slice(&detente::format::FORMAT_VERSION.to_le_bytes());
    bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    bytes.extend_from_slice(payload);
    bytes
}

/// LEB128, as postcard writes lengths and counts.
fn varint(mut value: u64) -> Vec<u8> {
    let mut out = Vec::new();
    while value >= 0x80 {
        out.push(value as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
    out
}

/// A length claiming 2^42 bytes in the header, as the manifest's length, or anywhere in the manifest
/// (where postcard keeps the lengths of strings and lists), behind a correct header and checksum: each
/// file is refused or loads, having allocated little more than its own size.
#[test]
fn a_length_field_claiming_terabytes_allocates_nothing_of_it() {
    let dir = TempDir::new().unwrap();
    let model = dir.path().join("m.detente");
    succeeds(&mut train(
        &news(),
        &model,
        &["--quiet", "--label-field", "topic", "--label-field", "tags"],
    ));
    let good = std::fs::read(&model).unwrap();
    let tera = 1u64 << 42;
    let bound = |len: usize| 3 * len + (2 << 20);

    let mut header_claim = good.clone();
    header_claim[12..20].copy_from_slice(&tera.to_le_bytes());
    let manifest_claim = image(&tera.to_le_bytes());
    for (name, bytes) in [("header", header_claim), ("manifest", manifest_claim)] {
        let path = write(dir.path(), name, &bytes);
        let (result, peak) = peak_allocation(|| Model::load(&path));
        let err = result.unwrap_err().to_string();
        assert!(err.contains("not a usable detente model"), "{name}: {err}");
        assert!(peak <= bound(bytes.len()), "{name}: {peak} bytes allocated");
    }

    let manifest_len = u64::from_le_bytes(good[24..32].try_into().unwrap()) as usize;
    let claim = varint(tera);
    let (mut refused, mut loaded) = (0, 0);
    for at in 32..32 + manifest_len {
        let mut bytes = good.clone();
        let end = (at + claim.len()).min(bytes.len());
        bytes[at..end].copy_from_slice(&claim[..end - at]);
        let crc = crc32fast::hash(&bytes[24..]);
        bytes[20..24].copy_from_slice(&crc.to_le_bytes());
        let (result, peak) = peak_allocation(|| Model::from_bytes(&bytes, Path::new("m")));
        assert!(
            peak <= bound(bytes.len()),
            "claim at byte {at}: {peak} bytes allocated for a file of {}",
            bytes.len()
        );
        match result {
            Ok(_) => loaded += 1,
            Err(e) => {
                assert!(
                    e.to_string().contains("m: not a usable detente model: "),
                    "{e}"
                );
                refused += 1;
            }
        }
    }
    assert!(
        refused > manifest_len / 2,
        "refused {refused}, loaded {loaded}"
    );
}

/// The same data, parameters and seed give a byte-identical model file whatever the number of threads,
/// for every algorithm, with a multi-label head whose threshold is cross-validated.
#[test]
fn model_files_are_byte_identical_across_thread_counts() {
    let dir = TempDir::new().unwrap();
    for algorithm in ["svm", "logreg", "nb", "cnb", "linfa-logistic"] {
        let bytes = |threads: &str| {
            let out = dir.path().join(format!("{algorithm}-{threads}.detente"));
            let mut cmd = train(
                &news(),
                &out,
                &[
                    "--quiet",
                    "--algorithm",
                    algorithm,
                    "--label-field",
                    "topic",
                    "--label-field",
                    "tags",
                    "--seed",
                    "11",
                ],
            );
            cmd.env("RAYON_NUM_THREADS", threads)
                .env("SOURCE_DATE_EPOCH", "1700000000");
            succeeds(&mut cmd);
            std::fs::read(out).unwrap()
        };
        let one = bytes("1");
        assert_eq!(one, bytes("2"), "{algorithm}: 1 vs 2 threads");
        assert_eq!(one, bytes("3"), "{algorithm}: 1 vs 3 threads");
    }
}

/// A corpus whose model takes a moment to write: many distinct terms, many classes.
fn big_corpus(dir: &Path) -> PathBuf {
    let mut text = String::new();
    let mut state = 1u64;
    for doc in 0..3000 {
        text.push_str("{\"text\": \"");
        for _ in 0..60 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let word = (state >> 40) % 150_000;
            text.push_str(&format!("w{word:x} "));
        }
        text.push_str(&format!("\", \"label\": \"c{}\"}}\n", doc % 12));
    }
    write(dir, "big.jsonl", text)
}

/// `detente train` killed at any moment leaves the target holding the old model or the new one, never
/// part of one. Temporary files (`.NAME.XXXXXX.tmp` beside the target) may be left by a kill.
#[test]
fn killing_train_never_leaves_a_partial_model() {
    let dir = TempDir::new().unwrap();
    let corpus = big_corpus(dir.path());
    let target = dir.path().join("m.detente");
    let old = std::fs::read(topic_model(dir.path())).unwrap();
    let run = || {
        let mut cmd = std::process::Command::new(bin());
        cmd.args([
            "train",
            "--quiet",
            "--algorithm",
            "nb",
            "--ngrams",
            "1",
            "--min-df",
            "1",
        ])
        .arg("--data")
        .arg(&corpus)
        .arg("--output")
        .arg(&target)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .stderr(Stdio::null());
        cmd
    };
    // The complete run, for the new model's bytes and the time a run takes.
    std::fs::write(&target, &old).unwrap();
    let started = Instant::now();
    assert!(run().status().unwrap().success());
    let full = started.elapsed();
    let new = std::fs::read(&target).unwrap();
    assert!(
        new.len() > 4 << 20,
        "a model big enough to take a moment to write"
    );
    let temporary = |dir: &Path| -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".m.detente.") && n.ends_with(".tmp"))
            .collect()
    };
    let (mut saw_old, mut saw_new, mut during_write) = (0, 0, 0);
    for i in 0u64..16 {
        std::fs::write(&target, &old).unwrap();
        let mut child = run().spawn().unwrap();
        if i % 2 == 0 {
            // Spread over the whole run, a little past its usual length.
            std::thread::sleep(full.mul_f64((i + 1) as f64 / 14.0));
        } else {
            // While the temporary file is being written: as soon as it appears, plus a little.
            let deadline = Instant::now() + full * 3;
            while temporary(dir.path()).is_empty() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_micros(200));
            }
            std::thread::sleep(Duration::from_millis(i / 2));
        }
        let _ = child.kill();
        child.wait().unwrap();
        let now = std::fs::read(&target).unwrap();
        if now == old {
            saw_old += 1;
        } else if now == new {
            saw_new += 1;
        } else {
            panic!(
                "kill {i}: the target holds {} bytes, neither model",
                now.len()
            );
        }
        Model::load(&target).expect("the target always loads");
        // A temporary file left behind means the kill landed while the new model was being written.
        let left = temporary(dir.path());
        if !left.is_empty() {
            during_write += 1;
        }
        for leftover in left {
            std::fs::remove_file(dir.path().join(leftover)).unwrap();
        }
    }
    eprintln!(
        "{during_write} of 16 kills while the temporary file existed; target then old {saw_old}, new {saw_new}"
    );
    // Otherwise the test would not have exercised what it is about.
    assert!(
        saw_old > 0 && during_write > 0,
        "old {saw_old}, new {saw_new}, during the write {during_write}"
    );
}

/// A stdin stream of documents is classified as it arrives: the first prediction comes out long before
/// the stream ends.
#[test]
fn predict_streams_stdin() {
    let dir = TempDir::new().unwrap();
    let model = topic_model(dir.path());
    let mut child = std::process::Command::new(bin())
        .args(["predict", "--lines", "--format", "jsonl", "--model"])
        .arg(&model)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // Two batches' worth of lines; the stream then stays open.
    stdin
        .write_all("wheat prices rose\n".repeat(2048).as_bytes())
        .unwrap();
    stdin.flush().unwrap();
    // Read on another thread, so that a predict that waits for the end of the stream fails the test
    // instead of hanging it.
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut first = String::new();
        stdout.read_line(&mut first).unwrap();
        tx.send(first).unwrap();
        let mut rest = String::new();
        stdout.read_to_string(&mut rest).unwrap();
        rest
    });
    let first = match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(first) => first,
        Err(_) => {
            let _ = child.kill();
            panic!("no prediction while the stream is open: predict does not stream");
        }
    };
    assert!(first.starts_with("{\"input\":\"stdin:1\""), "{first}");
    drop(stdin);
    let rest = reader.join().unwrap();
    assert_eq!(rest.lines().count(), 2047);
    assert!(child.wait().unwrap().success());
}
