//! `detente eval`.

use super::args::{EvalArgs, ReportFormat};
use super::status;
use super::train::read_options;
use anyhow::Result;
use detente::metrics::ClassScores;
use detente::model::{Corpus, Evaluation, HeadReport};
use serde_json::{Map, Value, json};
use std::io::Write;

pub fn run(args: EvalArgs) -> Result<()> {
    let model = super::load_model(args.model.as_deref())?;
    let heads = if args.head.is_empty() {
        model.head_names()
    } else {
        args.head.clone()
    };
    for head in &heads {
        model.head(head)?;
    }
    let corpus = Corpus::read(
        &args.data,
        &read_options(&args.input, heads, args.partial_labels)?,
    )?;
    status(
        args.quiet,
        format_args!("evaluating on {} documents", corpus.len()),
    );
    let evaluations = model.evaluate(&corpus)?;
    let mut out = super::stdout();
    match args.format {
        ReportFormat::Json => {
            let heads: Map<String, Value> = evaluations
                .iter()
                .map(|e| (e.head.clone(), to_json(e)))
                .collect();
            serde_json::to_writer_pretty(&mut out, &json!({ "heads": heads }))?;
            writeln!(out)?;
        }
        ReportFormat::Text => {
            for e in &evaluations {
                write_text(&mut out, e)?;
            }
        }
    }
    out.flush()?;
    Ok(())
}

fn to_json(e: &Evaluation) -> Value {
    let mut v = serde_json::to_value(&e.report).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut v {
        let kind = match e.report {
            HeadReport::Single(_) => "single-label",
            HeadReport::Multi(_) => "multi-label",
        };
        map.insert("kind".into(), json!(kind));
        map.insert("unseen_labels".into(), json!(e.unseen_labels));
    }
    v
}

fn write_text(out: &mut impl Write, e: &Evaluation) -> std::io::Result<()> {
    match &e.report {
        HeadReport::Single(r) => {
            writeln!(
                out,
                "head `{}` (single-label), {} documents",
                e.head, r.documents
            )?;
            writeln!(out, "  accuracy     {:.4}", r.accuracy)?;
            writeln!(out, "  macro-F1     {:.4}", r.macro_f1)?;
            writeln!(out, "  weighted F1  {:.4}", r.weighted_f1)?;
            write_unseen(out, e)?;
            write_classes(out, &r.classes)?;
            writeln!(
                out,
                "\n  confusion matrix (rows: true label, columns: predicted, numbered as above)"
            )?;
            let width = r
                .confusion
                .iter()
                .flatten()
                .max()
                .map_or(1, |m| m.to_string().len())
                .max(r.confusion.len().to_string().len());
            write!(out, "  {:>4}", "")?;
            for k in 1..=r.confusion.len() {
                write!(out, " {k:>width$}")?;
            }
            writeln!(out)?;
            for (t, row) in r.confusion.iter().enumerate() {
                write!(out, "  {:>4}", t + 1)?;
                for n in row {
                    write!(out, " {n:>width$}")?;
                }
                writeln!(out)?;
            }
        }
        HeadReport::Multi(r) => {
            writeln!(
                out,
                "head `{}` (multi-label), {} documents",
                e.head, r.documents
            )?;
            writeln!(out, "  micro-F1         {:.4}", r.micro_f1)?;
            writeln!(out, "  micro-precision  {:.4}", r.micro_precision)?;
            writeln!(out, "  micro-recall     {:.4}", r.micro_recall)?;
            writeln!(out, "  macro-F1         {:.4}", r.macro_f1)?;
            writeln!(out, "  exact match      {:.4}", r.subset_accuracy)?;
            write_unseen(out, e)?;
            write_classes(out, &r.classes)?;
        }
    }
    writeln!(out)
}

fn write_unseen(out: &mut impl Write, e: &Evaluation) -> std::io::Result<()> {
    if !e.unseen_labels.is_empty() {
        writeln!(
            out,
            "  labels the model never saw in training (counted as missed): {}",
            e.unseen_labels.join(", ")
        )?;
    }
    Ok(())
}

fn write_classes(out: &mut impl Write, classes: &[ClassScores]) -> std::io::Result<()> {
    let width = classes
        .iter()
        .map(|c| c.label.len())
        .max()
        .unwrap_or(5)
        .max(5);
    writeln!(
        out,
        "\n  {:>4}  {:<width$}  precision  recall      F1  support",
        "#", "label"
    )?;
    for (k, c) in classes.iter().enumerate() {
        writeln!(
            out,
            "  {:>4}  {:<width$}  {:>9.4}  {:>6.4}  {:>6.4}  {:>7}",
            k + 1,
            c.label,
            c.precision,
            c.recall,
            c.f1,
            c.support
        )?;
    }
    Ok(())
}
