//! `detente eval`.

use super::args::{EvalArgs, ReportFormat};
use super::progress::Progress;
use super::style::{Palette, paint};
use super::train::read_options;
use anyhow::{Context, Result};
use detente::metrics::ClassScores;
use detente::model::{Corpus, Evaluation, HeadReport};
use detente::plot;
use serde_json::{Map, Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};

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
    let progress = Progress::new(args.quiet);
    let reading = progress.spinner(format!("reading {}", joined(&args.data)), false);
    let corpus = Corpus::read(
        &args.data,
        &read_options(&args.input, heads, args.partial_labels)?,
    )?;
    drop(reading);
    let evaluating = progress.spinner(format!("evaluating on {} documents", corpus.len()), true);
    let evaluations = model.evaluate(&corpus)?;
    drop(evaluating);
    // The plots first: a reader that closes stdout early (`| head`) must not cost them.
    if let Some(dir) = &args.plot {
        let drawing = progress.spinner(format!("drawing plots into {}", dir.display()), false);
        let written = write_plots(dir, &evaluations, &super::model_name(args.model.as_deref()))?;
        drop(drawing);
        for line in written.notes {
            progress.status(format_args!("{line}"));
        }
        progress.status(format_args!(
            "wrote {} to {}",
            written.files.join(", "),
            dir.display()
        ));
    }
    let palette = Palette::new(super::style::stdout());
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
                write_text(&mut out, e, &palette)?;
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

fn write_text(out: &mut impl Write, e: &Evaluation, palette: &Palette) -> std::io::Result<()> {
    match &e.report {
        HeadReport::Single(r) => {
            let title = format!(
                "head `{}` (single-label), {} documents",
                e.head, r.documents
            );
            writeln!(out, "{}", paint(palette.heading, &title))?;
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
            let title = format!("head `{}` (multi-label), {} documents", e.head, r.documents);
            writeln!(out, "{}", paint(palette.heading, &title))?;
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

pub(crate) fn write_classes(out: &mut impl Write, classes: &[ClassScores]) -> std::io::Result<()> {
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

fn joined(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// What `write_plots` wrote, and anything the user should know about it.
struct Plots {
    files: Vec<String>,
    notes: Vec<String>,
}

/// Draws each head's charts into `dir` (created if needed): `HEAD-confusion.svg` for single-label heads,
/// `HEAD-classes.svg` (precision, recall and F1 per class, with each class's support) for all, and a PNG of
/// each when a system font is available to draw its text.
fn write_plots(dir: &Path, evaluations: &[Evaluation], model: &str) -> Result<Plots> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut plots = Plots {
        files: Vec::new(),
        notes: Vec::new(),
    };
    let renderer = png_renderer()
        .map_err(|why| plots.notes.push(why.into()))
        .ok();
    let mut save = |name: String, svg: String| -> Result<()> {
        let safe: String = name
            .chars()
            .map(|c| {
                if c.is_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let path = dir.join(format!("{safe}.svg"));
        detente::format::write_atomic(&path, svg.as_bytes())?;
        plots.files.push(format!("{safe}.svg"));
        if let Some(renderer) = &renderer {
            let png = renderer
                .render(&svg, 2.0)
                .with_context(|| format!("rendering {} as PNG", path.display()))?;
            detente::format::write_atomic(&dir.join(format!("{safe}.png")), &png)?;
            plots.files.push(format!("{safe}.png"));
        }
        Ok(())
    };
    for e in evaluations {
        let (classes, documents, summary) = match &e.report {
            HeadReport::Single(r) => (
                &r.classes,
                r.documents,
                format!("accuracy {:.3}, macro-F1 {:.3}", r.accuracy, r.macro_f1),
            ),
            HeadReport::Multi(r) => (
                &r.classes,
                r.documents,
                format!("micro-F1 {:.3}, macro-F1 {:.3}", r.micro_f1, r.macro_f1),
            ),
        };
        let subtitle = format!(
            "{model}, head `{}`: {documents} documents, {summary}",
            e.head
        );
        if let HeadReport::Single(r) = &e.report {
            let labels: Vec<String> = r.classes.iter().map(|c| c.label.clone()).collect();
            let svg = plot::confusion_heatmap(&subtitle, &labels, &r.confusion)?;
            save(format!("{}-confusion", e.head), svg)?;
        }
        let categories: Vec<String> = classes
            .iter()
            .map(|c| format!("{} ({})", c.label, c.support))
            .collect();
        let series = [
            ("precision", classes.iter().map(|c| c.precision).collect()),
            ("recall", classes.iter().map(|c| c.recall).collect()),
            ("F1", classes.iter().map(|c| c.f1).collect()),
        ]
        .map(|(name, values)| plot::Series {
            name: name.into(),
            values,
        });
        let svg = plot::grouped_bars(
            &subtitle,
            "precision, recall and F1 per class; (n) = documents of the class",
            &categories,
            &series,
        )?;
        save(format!("{}-classes", e.head), svg)?;
    }
    Ok(plots)
}

/// The PNG renderer, or why there is none.
#[cfg(feature = "png")]
fn png_renderer() -> Result<plot::PngRenderer, &'static str> {
    plot::PngRenderer::with_system_fonts()
        .ok_or("no system font found to draw text with: SVG charts only, no PNG")
}

#[cfg(not(feature = "png"))]
fn png_renderer() -> Result<NoPng, &'static str> {
    Err("this detente was built without PNG support (cargo feature `png`): SVG charts only")
}

/// Stands in for the renderer in a build without PNG support; it cannot exist.
#[cfg(not(feature = "png"))]
enum NoPng {}

#[cfg(not(feature = "png"))]
impl NoPng {
    fn render(&self, _svg: &str, _scale: f32) -> std::io::Result<Vec<u8>> {
        match *self {}
    }
}
