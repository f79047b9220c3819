//! A benchmark as an aligned text table, a Markdown table, JSON, or a report folder: `report.html` and
//! `report.md` with the table, the per-class F1 table and three SVG charts (accuracy against training time,
//! per-class F1 of every algorithm, confusion matrix of the best), plus `results.json`.

use super::{Bench, Outcome};
use crate::error::{Error, Result};
use crate::plot::{self, Point, Series};
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Column headers of the results table.
const HEADERS: [&str; 7] = [
    "algorithm",
    "accuracy",
    "macro-F1",
    "train s",
    "predict docs/s",
    "model size",
    "peak memory",
];

/// The cells of one outcome's row, formatted for people.
fn row(o: &Outcome) -> [String; 7] {
    [
        o.algorithm.clone(),
        format!("{:.4}", o.accuracy),
        format!("{:.4}", o.macro_f1),
        seconds(o.train_seconds),
        thousands(o.predict_docs_per_second.round() as u64),
        bytes(o.model_bytes),
        o.peak_rss_bytes.map_or("n/a".into(), bytes),
    ]
}

/// Seconds with three decimals under one second, two above.
fn seconds(s: f64) -> String {
    if s < 1.0 {
        format!("{s:.3}")
    } else {
        format!("{s:.2}")
    }
}

/// `1234567` as `1,234,567`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// A byte count in binary units: `900 B`, `12.5 KiB`, `3.2 MiB`, `1.1 GiB`.
fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// What the numbers are: the data, the accuracy used for multi-label heads, how times were taken.
fn summary(bench: &Bench) -> String {
    let first = bench.results.first();
    let documents = |n: Option<usize>| n.map_or(String::new(), |n| format!(" ({n} documents)"));
    let mut text = format!(
        "train: {}{}; test: {}{}; label field `{}`",
        bench.train.join(", "),
        documents(first.map(|o| o.train_documents)),
        bench.test.join(", "),
        documents(first.map(|o| o.test_documents)),
        bench.label_field,
    );
    let classes = bench.labels().len();
    if classes > 0 {
        let _ = write!(text, ", {classes} classes");
    }
    if first.is_some_and(|o| o.multi_label) {
        text.push_str(
            " (multi-label: accuracy counts a document right when its whole label set is)",
        );
    }
    let _ = write!(text, "; seed {}", bench.seed);
    text
}

/// The results as an aligned table with a line saying what was measured.
pub fn text_table(bench: &Bench) -> String {
    let rows: Vec<[String; 7]> = bench.results.iter().map(row).collect();
    let widths: Vec<usize> = (0..HEADERS.len())
        .map(|c| {
            rows.iter()
                .map(|r| r[c].chars().count())
                .chain([HEADERS[c].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    let mut line = |cells: &[String]| {
        let mut text = String::new();
        for (c, cell) in cells.iter().enumerate() {
            if c == 0 {
                let _ = write!(text, "{cell:<width$}", width = widths[c]);
            } else {
                let _ = write!(text, "  {cell:>width$}", width = widths[c]);
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(&HEADERS.map(String::from));
    for r in &rows {
        line(r);
    }
    let _ = writeln!(out, "\n{}", summary(bench));
    if let Some(best) = bench.best() {
        let _ = writeln!(
            out,
            "best: {} (accuracy {:.4}, macro-F1 {:.4})",
            best.algorithm, best.accuracy, best.macro_f1
        );
    }
    out
}

/// Escapes the characters that would end a Markdown table cell or start markup.
fn md(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('<', "&lt;")
}

/// The results as a Markdown table.
pub fn markdown_table(bench: &Bench) -> String {
    let mut out = format!("| {} |\n", HEADERS.join(" | "));
    out.push_str("|:---|");
    out.push_str(&"---:|".repeat(HEADERS.len() - 1));
    out.push('\n');
    for o in &bench.results {
        let cells = row(o).map(|c| md(&c));
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    out
}

/// The benchmark as JSON: the data, the best algorithm, and every outcome in full (per-class scores and,
/// for single-label heads, the confusion matrix).
pub fn to_json(bench: &Bench) -> Value {
    json!({
        "train": bench.train,
        "test": bench.test,
        "label_field": bench.label_field,
        "seed": bench.seed,
        "best": bench.best().map(|o| o.algorithm.clone()),
        "results": bench.results,
    })
}

/// Chart file names in a report folder.
const SCATTER_SVG: &str = "accuracy-vs-training-time.svg";
const F1_SVG: &str = "per-class-f1.svg";

fn confusion_svg(algorithm: &str) -> String {
    format!("confusion-{algorithm}.svg")
}

/// Writes the report folder `dir` (created if needed) and returns the files written.
pub fn write_report(bench: &Bench, dir: &Path) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut written = Vec::new();
    let mut write = |name: &str, contents: &str| -> Result<()> {
        let path = dir.join(name);
        std::fs::write(&path, contents).map_err(|e| Error::io(&path, e))?;
        written.push(path);
        Ok(())
    };
    let chart_error = |name: &str, e: std::io::Error| Error::io(dir.join(name), e);

    let points: Vec<Point> = bench
        .results
        .iter()
        .map(|o| Point {
            label: o.algorithm.clone(),
            x: o.train_seconds,
            y: o.accuracy,
        })
        .collect();
    let scatter = plot::scatter_log_x(
        "Accuracy against training time",
        "training seconds (vectorize + fit), log scale",
        "accuracy",
        (0.0, 1.0),
        &points,
    )
    .map_err(|e| chart_error(SCATTER_SVG, e))?;
    write(SCATTER_SVG, &scatter)?;

    let labels = bench.labels();
    let series: Vec<Series> = bench
        .results
        .iter()
        .map(|o| Series {
            name: o.algorithm.clone(),
            values: labels
                .iter()
                .map(|l| {
                    o.classes
                        .iter()
                        .find(|c| &c.label == l)
                        .map_or(0.0, |c| c.f1)
                })
                .collect(),
        })
        .collect();
    let bars = plot::grouped_bars("F1 per class", "F1", &labels, &series)
        .map_err(|e| chart_error(F1_SVG, e))?;
    write(F1_SVG, &bars)?;

    let best = bench.best();
    let confusion = match best {
        Some(o) => match &o.confusion {
            Some(matrix) => {
                let name = confusion_svg(&o.algorithm);
                let labels: Vec<String> = o.classes.iter().map(|c| c.label.clone()).collect();
                let svg = plot::confusion_heatmap(
                    &format!("Confusion matrix of {} (the most accurate)", o.algorithm),
                    &labels,
                    matrix,
                )
                .map_err(|e| chart_error(&name, e))?;
                write(&name, &svg)?;
                Some(name)
            }
            None => None,
        },
        None => None,
    };

    write(
        "report.md",
        &markdown_report(bench, &labels, confusion.as_deref()),
    )?;
    write(
        "report.html",
        &html_report(bench, &labels, confusion.as_deref()),
    )?;
    let json = serde_json::to_string_pretty(&to_json(bench)).map_err(|e| Error::Parse {
        path: dir.join("results.json"),
        line: 0,
        message: e.to_string(),
    })?;
    write("results.json", &(json + "\n"))?;
    Ok(written)
}

/// Notes under the table: what each column measures.
const METHOD: &str = "Each algorithm ran in its own process with its default parameters: read the training \
data, vectorize it and fit (timed: *train s*), save the model (*model size* is the file), load it back, read the \
test data, vectorize and predict every test document (timed: *predict docs/s*). *Peak memory* is the peak \
resident set of that process, data included. Times are wall-clock on this machine and vary from run to run; \
everything else is deterministic for the same data, options and seed.";

/// F1 of each class (rows) by each algorithm (columns).
fn per_class_rows(bench: &Bench, labels: &[String]) -> Vec<(String, usize, Vec<String>)> {
    labels
        .iter()
        .map(|label| {
            let support = bench
                .results
                .iter()
                .find_map(|o| o.classes.iter().find(|c| &c.label == label))
                .map_or(0, |c| c.support);
            let f1 = bench
                .results
                .iter()
                .map(|o| {
                    o.classes
                        .iter()
                        .find(|c| &c.label == label)
                        .map_or("–".into(), |c| format!("{:.3}", c.f1))
                })
                .collect();
            (label.clone(), support, f1)
        })
        .collect()
}

fn markdown_report(bench: &Bench, labels: &[String], confusion: Option<&str>) -> String {
    let mut out = format!("# detente bench: `{}`\n\n", md(&bench.label_field));
    let _ = writeln!(out, "{}\n", md(&summary(bench)));
    out.push_str(&markdown_table(bench));
    let _ = writeln!(out, "\n{METHOD}\n");
    if let Some(best) = bench.best() {
        let _ = writeln!(
            out,
            "Most accurate: **{}** (accuracy {:.4}, macro-F1 {:.4}).\n",
            best.algorithm, best.accuracy, best.macro_f1
        );
    }
    let _ = writeln!(
        out,
        "## Accuracy against training time\n\n![Accuracy against training time]({SCATTER_SVG})\n"
    );
    let _ = writeln!(out, "## F1 per class\n\n![F1 per class]({F1_SVG})\n");
    let names: Vec<&str> = bench.results.iter().map(|o| o.algorithm.as_str()).collect();
    let _ = writeln!(out, "| class | support | {} |", names.join(" | "));
    let _ = writeln!(out, "|:---|---:|{}", "---:|".repeat(names.len()));
    for (label, support, f1) in per_class_rows(bench, labels) {
        let _ = writeln!(out, "| {} | {support} | {} |", md(&label), f1.join(" | "));
    }
    if let (Some(name), Some(best)) = (confusion, bench.best()) {
        let _ = writeln!(
            out,
            "\n## Confusion matrix of {}\n\n![Confusion matrix of {}]({name})",
            best.algorithm, best.algorithm
        );
    } else if bench.best().is_some() {
        let _ = writeln!(out, "\n{NO_CONFUSION}");
    }
    out
}

/// Why a multi-label benchmark has no confusion matrix.
const NO_CONFUSION: &str = "No confusion matrix: a multi-label head predicts a set of labels per document, so its \
errors do not pair one true label with one predicted label.";

/// Escapes text for HTML content and attributes.
fn html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn html_report(bench: &Bench, labels: &[String], confusion: Option<&str>) -> String {
    let mut out =
        String::from("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    let _ = writeln!(
        out,
        "<title>detente bench: {}</title>",
        html(&bench.label_field)
    );
    out.push_str(
        "<style>\nbody { font-family: sans-serif; max-width: 72em; margin: 2em auto; padding: 0 1em; color: #222; }\n\
         table { border-collapse: collapse; margin: 1em 0; }\n\
         th, td { padding: 0.25em 0.8em; border-bottom: 1px solid #ddd; }\n\
         th { text-align: left; } td.n { text-align: right; font-variant-numeric: tabular-nums; }\n\
         tr.best td { font-weight: bold; }\n\
         img { max-width: 100%; display: block; margin: 1em 0; }\n\
         .note { color: #555; max-width: 60em; }\n</style>\n</head>\n<body>\n",
    );
    let _ = writeln!(
        out,
        "<h1>detente bench: <code>{}</code></h1>\n<p>{}</p>",
        html(&bench.label_field),
        html(&summary(bench))
    );
    out.push_str("<table>\n<tr>");
    for h in HEADERS {
        let _ = write!(out, "<th>{}</th>", html(h));
    }
    out.push_str("</tr>\n");
    let best = bench.best().map(|o| o.algorithm.as_str());
    for o in &bench.results {
        let class = if Some(o.algorithm.as_str()) == best {
            " class=\"best\""
        } else {
            ""
        };
        let _ = write!(out, "<tr{class}>");
        for (c, cell) in row(o).iter().enumerate() {
            let align = if c == 0 { "" } else { " class=\"n\"" };
            let _ = write!(out, "<td{align}>{}</td>", html(cell));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
    let method = METHOD.replace('*', "");
    let _ = writeln!(out, "<p class=\"note\">{}</p>", html(&method));
    let _ = writeln!(
        out,
        "<h2>Accuracy against training time</h2>\n<img src=\"{SCATTER_SVG}\" alt=\"Accuracy against training time\">"
    );
    let _ = writeln!(
        out,
        "<h2>F1 per class</h2>\n<img src=\"{F1_SVG}\" alt=\"F1 per class of every algorithm\">"
    );
    out.push_str("<table>\n<tr><th>class</th><th>support</th>");
    for o in &bench.results {
        let _ = write!(out, "<th>{}</th>", html(&o.algorithm));
    }
    out.push_str("</tr>\n");
    for (label, support, f1) in per_class_rows(bench, labels) {
        let _ = write!(
            out,
            "<tr><td>{}</td><td class=\"n\">{support}</td>",
            html(&label)
        );
        for v in f1 {
            let _ = write!(out, "<td class=\"n\">{v}</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
    if let (Some(name), Some(best)) = (confusion, bench.best()) {
        let _ = writeln!(
            out,
            "<h2>Confusion matrix of {0}</h2>\n<img src=\"{1}\" alt=\"Confusion matrix of {0}\">",
            html(&best.algorithm),
            html(name)
        );
    } else if bench.best().is_some() {
        let _ = writeln!(out, "<p class=\"note\">{}</p>", html(NO_CONFUSION));
    }
    out.push_str("</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_easily() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(bytes(900), "900 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(3 * 1024 * 1024), "3.0 MiB");
    }

    #[test]
    fn markup_in_labels_is_escaped() {
        assert_eq!(md("a|b<c"), "a\\|b&lt;c");
        assert_eq!(html("<a & \"b\">"), "&lt;a &amp; &quot;b&quot;&gt;");
    }
}
