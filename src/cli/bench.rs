//! `detente bench`, and the hidden `bench-worker` verb that measures one algorithm.
//!
//! Each algorithm runs in a child process (this same binary, `bench-worker --job FILE`) so that the peak
//! memory it reports is its own and not the largest of all algorithms so far. The parent reads both splits
//! once first, so that bad paths and bad records are reported before anything is trained, then runs the
//! children one after another (never side by side: they would disturb each other's timings).

use super::args::{BenchArgs, BenchFormat, BenchWorkerArgs};
use super::progress::Progress;
use super::train::{analysis_options, read_options};
use anyhow::{Context, Result, bail};
use detente::bench::{self, Bench, Job, Outcome, report};
use detente::io::Format;
use detente::model::Corpus;
use detente::models::{Algorithm, ModelParams, ThresholdRule};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

pub fn run(args: BenchArgs) -> Result<()> {
    let (analyzer, tfidf) = analysis_options(&args.analysis).map_err(super::flag_error)?;
    let mut algorithms: Vec<Algorithm> = Vec::new();
    for name in &args.algorithms {
        let algorithm: Algorithm = name.parse()?;
        if !algorithms.contains(&algorithm) {
            algorithms.push(algorithm);
        }
    }
    let read = read_options(
        &args.input,
        vec![args.label_field.clone()],
        args.partial_labels,
    )?;
    let progress = Progress::new(args.quiet);
    for (split, paths) in [("training", &args.train), ("test", &args.test)] {
        let reading = progress.spinner(format!("reading the {split} data"), false);
        let corpus = Corpus::read(paths, &read)?;
        drop(reading);
        if corpus.is_empty() {
            bail!("the {split} data ({}) holds no documents", joined(paths));
        }
        progress.status(format_args!(
            "read {} {split} documents from {}",
            corpus.len(),
            joined(paths)
        ));
    }

    let work = tempfile::Builder::new()
        .prefix("detente-bench-")
        .tempdir()
        .context("creating a temporary folder for the models")?;
    let exe =
        std::env::current_exe().context("finding the detente binary to run each algorithm")?;
    let format: Option<Format> = read.format;
    let mut results = Vec::new();
    let mut failed = Vec::new();
    let bar = progress.bar("benchmarking", algorithms.len() as u64);
    for (i, &algorithm) in algorithms.iter().enumerate() {
        let step = format!("[{}/{}] {algorithm}", i + 1, algorithms.len());
        if progress.is_live() {
            bar.stage(format!("{algorithm}: training and evaluating"));
        } else {
            progress.status(format_args!("{step}: training and evaluating"));
        }
        let job = Job {
            train: args.train.clone(),
            test: args.test.clone(),
            format,
            text_field: args.input.text_field.clone(),
            label_field: args.label_field.clone(),
            partial_labels: args.partial_labels,
            analyzer: analyzer.clone(),
            tfidf: tfidf.clone(),
            model: ModelParams::new(algorithm).seed(args.seed),
            threshold: ThresholdRule::default(),
            model_path: work.path().join(format!("{algorithm}.detente")),
        };
        match run_child(&exe, &job, work.path().join(format!("{algorithm}.json")))? {
            Ok(outcome) => {
                bar.status(format_args!(
                    "{step}: accuracy {:.4}, macro-F1 {:.4}, trained in {:.2} s, {:.0} docs/s",
                    outcome.accuracy,
                    outcome.macro_f1,
                    outcome.train_seconds,
                    outcome.predict_docs_per_second
                ));
                // The model has been measured; a large one need not wait for the end to leave the disk.
                let _ = std::fs::remove_file(&job.model_path);
                results.push(outcome);
            }
            Err(why) => {
                bar.suspend(|| super::to_stderr(format_args!("error: {why}")));
                failed.push(algorithm.name());
            }
        }
        bar.inc(1);
    }
    drop(bar);

    let bench = Bench {
        train: args.train.iter().map(|p| p.display().to_string()).collect(),
        test: args.test.iter().map(|p| p.display().to_string()).collect(),
        label_field: args.label_field.clone(),
        seed: args.seed,
        results,
    };
    if !bench.results.is_empty() {
        // The report first: a reader that closes stdout early (`| head`) must not cost the report.
        if let Some(dir) = &args.report {
            let files = report::write_report(&bench, dir)?;
            progress.status(format_args!(
                "wrote {} files to {}: open {}",
                files.len(),
                dir.display(),
                dir.join("report.html").display()
            ));
        }
        let mut out = super::stdout();
        match args.format {
            BenchFormat::Text => out.write_all(report::text_table(&bench).as_bytes())?,
            BenchFormat::Markdown => out.write_all(report::markdown_table(&bench).as_bytes())?,
            BenchFormat::Json => {
                serde_json::to_writer_pretty(&mut out, &report::to_json(&bench))?;
                writeln!(out)?;
            }
        }
        out.flush()?;
    }
    if !failed.is_empty() {
        bail!(
            "{} of {} algorithms failed: {}",
            failed.len(),
            algorithms.len(),
            failed.join(", ")
        );
    }
    Ok(())
}

/// Runs one job in a child process. The outer error is ours (the child could not be started, or answered
/// nonsense); the inner one is the child's failure, with its exit status and stderr.
fn run_child(
    exe: &std::path::Path,
    job: &Job,
    job_path: PathBuf,
) -> Result<std::result::Result<Outcome, String>> {
    std::fs::write(&job_path, serde_json::to_vec(job)?)
        .with_context(|| format!("writing {}", job_path.display()))?;
    let output = Command::new(exe)
        .arg("bench-worker")
        .arg("--job")
        .arg(&job_path)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("starting {}", exe.display()))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let stderr = stderr.trim();
        let stderr = stderr.strip_prefix("error: ").unwrap_or(stderr);
        let algorithm = job.model.algorithm;
        return Ok(Err(if stderr.is_empty() {
            format!(
                "{algorithm} failed ({}) with nothing on stderr",
                output.status
            )
        } else {
            format!("{algorithm} failed ({}): {stderr}", output.status)
        }));
    }
    let outcome = serde_json::from_slice(&output.stdout).with_context(|| {
        format!(
            "reading the results of {}: not the JSON bench-worker writes",
            job.model.algorithm
        )
    })?;
    Ok(Ok(outcome))
}

/// The hidden verb: runs the job in `--job FILE` and prints its outcome as JSON on stdout.
pub fn worker(args: BenchWorkerArgs) -> Result<()> {
    let text = std::fs::read(&args.job)
        .with_context(|| format!("reading the bench job {}", args.job.display()))?;
    let job: Job = serde_json::from_slice(&text)
        .with_context(|| format!("{}: not a bench job", args.job.display()))?;
    let outcome = bench::run(&job)?;
    let mut out = super::stdout();
    serde_json::to_writer(&mut out, &outcome)?;
    writeln!(out)?;
    out.flush()?;
    Ok(())
}

fn joined(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
