//! `detente cv`: cross-validation of training settings, and the tables `train --search` and `inspect` share.

use super::args::{CvArgs, ReportFormat};
use super::eval::write_classes;
use super::status;
use super::train::{read_corpus, search_grid, train_options, usage_error};
use anyhow::{Context, Result};
use detente::cv::{self, CvReport, HeadScores, SearchProgress, SearchRecord, Summary};
use detente::model::HeadReport;
use serde_json::{Map, Value, json};
use std::io::Write;
use std::time::Instant;

/// Folds of `detente cv` when `--folds` is not given.
pub const CV_FOLDS: usize = 5;

pub fn run(args: CvArgs) -> Result<()> {
    let CvArgs {
        train: args,
        format,
    } = args;
    if args.output.is_some() {
        usage_error(
            "cv",
            "cv writes no model: train one with `detente train --output`",
        );
    }
    let options = train_options(&args, "cv").map_err(super::flag_error)?;
    let grid = search_grid(&args, &options, "cv");
    let folds = args.folds.map_or(CV_FOLDS, |k| k as usize);
    let started = Instant::now();
    let corpus = read_corpus(&args)?;
    if let Some((label, n)) = cv::smallest_stratum(&corpus)
        && n < folds
    {
        let label = label.map_or("documents without a label".to_string(), |l| {
            format!("label `{l}`")
        });
        status(
            args.quiet,
            format_args!(
                "warning: {label} has only {n} documents, fewer than the {folds} folds: some folds test none"
            ),
        );
    }
    let mut progress = fold_status(args.quiet, started);
    let (report, search) = if grid.is_empty() {
        let report = cv::cross_validate(&corpus, &options, folds, args.seed, &mut progress)
            .context("cross-validation")?;
        (report, None)
    } else {
        let outcome = cv::search(&corpus, &options, &grid, folds, args.seed, &mut progress)
            .context("cross-validation")?;
        let chosen = outcome.record.chosen;
        (
            outcome.reports[chosen].clone(),
            Some((outcome.record, outcome.reports)),
        )
    };
    let algorithm = options.model.algorithm.name();
    let mut out = super::stdout();
    match format {
        ReportFormat::Json => {
            let mut value = report_json(&report, algorithm);
            if let (Some((record, reports)), Value::Object(map)) = (&search, &mut value) {
                map.insert("search".into(), search_json(record, reports));
            }
            serde_json::to_writer_pretty(&mut out, &value)?;
            writeln!(out)?;
        }
        ReportFormat::Text => {
            if let Some((record, _)) = &search {
                write_search_table(&mut out, record, "")?;
                let chosen = &record.candidates[record.chosen];
                let values: Vec<String> = record
                    .parameters
                    .iter()
                    .zip(&chosen.values)
                    .map(|(p, v)| format!("{p}={v}"))
                    .collect();
                writeln!(out, "\nthe best candidate, {}:", values.join(" "))?;
            }
            write_report(&mut out, &report, algorithm)?;
        }
    }
    out.flush()?;
    Ok(())
}

/// A progress callback printing a status line after each fold (nothing when quiet).
pub fn fold_status(quiet: bool, started: Instant) -> impl FnMut(SearchProgress) {
    move |p: SearchProgress| {
        status(
            quiet,
            format_args!(
                "fold {}/{} done ({:.1}s)",
                p.fold,
                p.folds,
                started.elapsed().as_secs_f64()
            ),
        )
    }
}

/// The candidates of a search and their scores, the chosen one marked; each line starts with `indent`.
pub fn write_search_table(
    out: &mut impl Write,
    record: &SearchRecord,
    indent: &str,
) -> std::io::Result<()> {
    writeln!(
        out,
        "{indent}search: {} candidates, {}-fold cross-validation (seed {}), ranked by mean {}",
        record.candidates.len(),
        record.folds,
        record.seed,
        record.metric
    )?;
    let widths: Vec<usize> = record
        .parameters
        .iter()
        .enumerate()
        .map(|(k, p)| {
            record
                .candidates
                .iter()
                .map(|c| c.values[k].len())
                .chain([p.len()])
                .max()
                .unwrap_or(1)
        })
        .collect();
    write!(out, "{indent}")?;
    for (p, w) in record.parameters.iter().zip(&widths) {
        write!(out, "  {p:>w$}")?;
    }
    writeln!(out, "  macro-F1     std")?;
    for (k, c) in record.candidates.iter().enumerate() {
        write!(out, "{indent}")?;
        for (v, w) in c.values.iter().zip(&widths) {
            write!(out, "  {v:>w$}")?;
        }
        let mark = if k == record.chosen {
            "  <- chosen"
        } else {
            ""
        };
        writeln!(out, "  {:>8.4}  {:>6.4}{mark}", c.mean, c.std)?;
    }
    Ok(())
}

fn write_report(out: &mut impl Write, r: &CvReport, algorithm: &str) -> std::io::Result<()> {
    writeln!(
        out,
        "{}-fold cross-validation of {algorithm} on {} documents, stratified on `{}` (seed {})",
        r.folds, r.documents, r.stratified_on, r.seed
    )?;
    for h in &r.heads {
        let (documents, classes) = match &h.pooled {
            HeadReport::Single(p) => (p.documents, &p.classes),
            HeadReport::Multi(p) => (p.documents, &p.classes),
        };
        writeln!(
            out,
            "\nhead `{}` ({}), {documents} documents",
            h.head,
            if h.multi_label {
                "multi-label"
            } else {
                "single-label"
            }
        )?;
        write!(out, "  {:<12} {:>6}  {:>6}", "", "mean", "std")?;
        for f in 1..=r.folds {
            write!(out, "  {:>6}", format!("fold {f}"))?;
        }
        writeln!(out)?;
        for (name, s) in metrics(h) {
            write!(out, "  {name:<12} {:>6.4}  {:>6.4}", s.mean, s.std)?;
            for v in &s.folds {
                write!(out, "  {v:>6.4}")?;
            }
            writeln!(out)?;
        }
        writeln!(
            out,
            "\n  out-of-fold predictions of all folds together, per label:"
        )?;
        write_classes(out, classes)?;
    }
    Ok(())
}

/// A head's metrics with their display names, in display order.
fn metrics(h: &HeadScores) -> Vec<(&'static str, &Summary)> {
    let accuracy = if h.multi_label {
        "exact match"
    } else {
        "accuracy"
    };
    let mut list = vec![
        (accuracy, &h.accuracy),
        ("macro-F1", &h.macro_f1),
        ("weighted F1", &h.weighted_f1),
    ];
    if let Some(micro) = &h.micro_f1 {
        list.push(("micro-F1", micro));
    }
    list
}

fn heads_json(r: &CvReport) -> Value {
    let heads: Map<String, Value> = r
        .heads
        .iter()
        .map(|h| {
            let mut v = json!({
                "kind": if h.multi_label { "multi-label" } else { "single-label" },
                "accuracy": h.accuracy,
                "macro_f1": h.macro_f1,
                "weighted_f1": h.weighted_f1,
            });
            if let (Some(micro), Value::Object(map)) = (&h.micro_f1, &mut v) {
                map.insert("micro_f1".into(), json!(micro));
            }
            if let Value::Object(map) = &mut v {
                map.insert("pooled".into(), json!(h.pooled));
            }
            (h.head.clone(), v)
        })
        .collect();
    Value::Object(heads)
}

fn report_json(r: &CvReport, algorithm: &str) -> Value {
    json!({
        "algorithm": algorithm,
        "folds": r.folds,
        "seed": r.seed,
        "documents": r.documents,
        "stratified_on": r.stratified_on,
        "heads": heads_json(r),
    })
}

fn search_json(record: &SearchRecord, reports: &[CvReport]) -> Value {
    let candidates: Vec<Value> = record
        .candidates
        .iter()
        .zip(reports)
        .map(|(c, r)| {
            let values: Map<String, Value> = record
                .parameters
                .iter()
                .zip(&c.values)
                .map(|(p, v)| (p.clone(), json!(v)))
                .collect();
            json!({ "values": values, "mean": c.mean, "std": c.std, "heads": heads_json(r) })
        })
        .collect();
    json!({
        "metric": record.metric,
        "parameters": record.parameters,
        "candidates": candidates,
        "chosen": record.chosen,
    })
}
