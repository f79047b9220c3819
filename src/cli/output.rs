//! Writing predictions as text, JSON, JSON lines, CSV or TSV.

use super::args::PredictFormat;
use super::style::{Palette, paint};
use detente::explain::{Explanation, TermContribution};
use detente::model::{HeadPrediction, Model};
use detente::tone::ArticleTone;
use serde_json::{Map, Value, json};
use std::io::{self, Write};

/// Decodes bytes as every reader does (byte-order mark skipped, CRLF as LF, invalid UTF-8 replaced, NUL
/// as space), without the trailing line end.
pub fn text_of(bytes: Vec<u8>) -> String {
    let (mut text, _) = detente::io::decode_text(bytes);
    while text.ends_with(['\n', '\r']) {
        text.pop();
    }
    text
}

/// What every record holds, known before the first one: it makes the CSV header.
#[derive(Clone, Debug)]
pub struct Layout {
    /// Each head's name and whether it is multi-label, in the model's order.
    pub heads: Vec<(String, bool)>,
    /// The head whose article-level tone is reported, if any.
    pub tone_head: Option<String>,
    /// Best labels shown per head.
    pub top_k: usize,
    /// Terms shown each way per explained label.
    pub explain: Option<usize>,
}

impl Layout {
    pub fn new(model: &Model, top_k: usize, explain: Option<usize>) -> Layout {
        Layout {
            heads: model
                .heads()
                .iter()
                .map(|h| (h.name.clone(), h.multi_label))
                .collect(),
            tone_head: detente::tone::tone_head(model).map(|h| h.name.clone()),
            top_k,
            explain,
        }
    }

    /// The CSV header: `input`; per head `HEAD`, `HEAD_score`, `HEAD_2`, `HEAD_2_score` … up to top-k, with
    /// --explain `HEAD_toward`, `HEAD_against`; for the tone head `HEAD_article`, `HEAD_article_score`,
    /// `HEAD_eventfulness`.
    fn header(&self) -> Vec<String> {
        let mut columns = vec!["input".to_string()];
        for (head, _) in &self.heads {
            columns.push(head.clone());
            columns.push(format!("{head}_score"));
            for rank in 2..=self.top_k {
                columns.push(format!("{head}_{rank}"));
                columns.push(format!("{head}_{rank}_score"));
            }
            if self.explain.is_some() {
                columns.push(format!("{head}_toward"));
                columns.push(format!("{head}_against"));
            }
            if self.tone_head.as_ref() == Some(head) {
                columns.push(format!("{head}_article"));
                columns.push(format!("{head}_article_score"));
                columns.push(format!("{head}_eventfulness"));
            }
        }
        columns
    }
}

/// The explanations of one document (with `--explain`).
#[derive(Clone, Debug, Default)]
pub struct Explained {
    /// Per head, in the model's order: its explained labels.
    pub heads: Vec<Vec<Explanation>>,
    /// One per evidence sentence of the article tone, in the order of `ArticleTone::evidence`.
    pub evidence: Vec<Explanation>,
}

/// One document's predictions.
pub struct Record<'a> {
    pub input: &'a str,
    pub heads: &'a [HeadPrediction],
    pub article: Option<&'a ArticleTone>,
    pub explained: Option<&'a Explained>,
}

enum Sink<W: Write> {
    Stream(W),
    Table(Box<csv::Writer<W>>),
}

/// Writes one record per document in the chosen format; `finish` closes a JSON array and makes sure a CSV
/// file has its header even without records.
pub struct PredictionWriter<W: Write> {
    sink: Sink<W>,
    format: PredictFormat,
    layout: Layout,
    palette: Palette,
    written: usize,
}

/// A CSV error as the I/O error it wraps, so that a closed pipe stays recognizable.
fn csv_error(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("writing CSV: {other:?}")),
    }
}

impl<W: Write> PredictionWriter<W> {
    /// `color` applies to text output only.
    pub fn new(out: W, format: PredictFormat, layout: Layout, color: bool) -> Self {
        let sink = match format {
            PredictFormat::Csv | PredictFormat::Tsv => Sink::Table(Box::new(
                csv::WriterBuilder::new()
                    .delimiter(if format == PredictFormat::Tsv {
                        b'\t'
                    } else {
                        b','
                    })
                    .from_writer(out),
            )),
            _ => Sink::Stream(out),
        };
        PredictionWriter {
            sink,
            format,
            layout,
            palette: Palette::new(color && format == PredictFormat::Text),
            written: 0,
        }
    }

    pub fn write(&mut self, record: &Record<'_>) -> io::Result<()> {
        match &mut self.sink {
            Sink::Table(table) => {
                if self.written == 0 {
                    table
                        .write_record(self.layout.header())
                        .map_err(csv_error)?;
                }
                table
                    .write_record(row(&self.layout, record))
                    .map_err(csv_error)?;
            }
            Sink::Stream(out) => match self.format {
                PredictFormat::Jsonl => {
                    serde_json::to_writer(&mut *out, &to_json(record, self.layout.top_k))?;
                    out.write_all(b"\n")?;
                }
                PredictFormat::Json => {
                    out.write_all(if self.written == 0 { b"[\n" } else { b",\n" })?;
                    serde_json::to_writer_pretty(&mut *out, &to_json(record, self.layout.top_k))?;
                }
                _ => write_text(out, record, self.layout.top_k, &self.palette)?,
            },
        }
        self.written += 1;
        Ok(())
    }

    pub fn finish(self) -> io::Result<()> {
        match self.sink {
            Sink::Table(mut table) => {
                if self.written == 0 {
                    table
                        .write_record(self.layout.header())
                        .map_err(csv_error)?;
                }
                table.flush()
            }
            Sink::Stream(mut out) => {
                if self.format == PredictFormat::Json {
                    out.write_all(if self.written == 0 { b"[]\n" } else { b"\n]\n" })?;
                }
                out.flush()
            }
        }
    }
}

/// Figures in CSV cells: enough digits for a spreadsheet, no float noise.
fn cell(x: f64) -> String {
    format!("{x:.6}")
}

/// `term +0.123; term -0.045` (a CSV cell, or a line of text).
fn terms(list: &[TermContribution], separator: &str) -> String {
    list.iter()
        .map(|t| format!("{} {:+.3}", t.term, t.contribution))
        .collect::<Vec<_>>()
        .join(separator)
}

/// One CSV row, in the columns of [`Layout::header`]. A multi-label head's cell lists every predicted label,
/// `; `-separated (its score is the best one's); its explanation is that of its best label.
fn row(layout: &Layout, record: &Record<'_>) -> Vec<String> {
    let mut cells = vec![record.input.to_string()];
    for (h, (name, _)) in layout.heads.iter().enumerate() {
        let head = record.heads.iter().find(|p| &p.head == name);
        let labels = head.map_or(&[][..], |p| p.labels.as_slice());
        cells.push(
            labels
                .iter()
                .map(|l| l.label.as_str())
                .collect::<Vec<_>>()
                .join("; "),
        );
        cells.push(labels.first().map_or(String::new(), |l| cell(l.score)));
        for rank in 2..=layout.top_k {
            let other = head.and_then(|p| p.top.get(rank - 1));
            cells.push(other.map_or(String::new(), |l| l.label.clone()));
            cells.push(other.map_or(String::new(), |l| cell(l.score)));
        }
        if layout.explain.is_some() {
            let e = record
                .explained
                .and_then(|x| x.heads.get(h))
                .and_then(|e| e.first());
            cells.push(e.map_or(String::new(), |e| terms(&e.toward, "; ")));
            cells.push(e.map_or(String::new(), |e| terms(&e.against, "; ")));
        }
        if layout.tone_head.as_ref() == Some(name) {
            let a = record.article;
            cells.push(a.map_or(String::new(), |a| a.label.to_string()));
            cells.push(a.map_or(String::new(), |a| cell(a.score)));
            cells.push(a.map_or(String::new(), |a| cell(a.eventfulness)));
        }
    }
    cells
}

/// The document's name, then one line per head: its label(s) and score, the best labels in an aligned
/// column. The tone head, when the input was read as an article, shows its article tone with the evidence
/// sentences below it. With --explain, `toward` and `against` lines follow each label.
fn write_text(
    out: &mut impl Write,
    record: &Record<'_>,
    top_k: usize,
    palette: &Palette,
) -> io::Result<()> {
    writeln!(out, "{}", paint(palette.heading, record.input))?;
    let width = record
        .heads
        .iter()
        .map(|h| h.head.chars().count())
        .max()
        .unwrap_or(0);
    let indent = " ".repeat(width + 4);
    // Chosen labels as plain text (for widths) and painted.
    let chosen: Vec<(String, String)> = record
        .heads
        .iter()
        .map(|head| {
            if head.labels.is_empty() {
                let none = "(no label)";
                return (none.to_string(), paint(palette.dim, none));
            }
            let plain = head
                .labels
                .iter()
                .map(|l| format!("{} ({:.3})", l.label, l.score))
                .collect::<Vec<_>>()
                .join(", ");
            let painted = head
                .labels
                .iter()
                .map(|l| {
                    format!(
                        "{} {}",
                        paint(palette.label, &l.label),
                        paint(palette.dim, &format!("({:.3})", l.score))
                    )
                })
                .collect::<Vec<_>>()
                .join(", ");
            (plain, painted)
        })
        .collect();
    let is_article = |head: &HeadPrediction| record.article.filter(|a| a.head == head.head);
    let column = record
        .heads
        .iter()
        .zip(&chosen)
        .filter(|(h, _)| is_article(h).is_none())
        .map(|(_, (plain, _))| plain.chars().count())
        .max()
        .unwrap_or(0);
    for (h, head) in record.heads.iter().enumerate() {
        let explained = record.explained.and_then(|x| x.heads.get(h));
        if let Some(a) = is_article(head) {
            write_article(out, a, record.explained, width, palette)?;
            continue;
        }
        let (plain, painted) = &chosen[h];
        write!(out, "  {:<width$}  {painted}", head.head)?;
        if top_k > 1 {
            let top: Vec<String> = head
                .top
                .iter()
                .map(|l| format!("{} {:.3}", l.label, l.score))
                .collect();
            let pad = column.saturating_sub(plain.chars().count());
            write!(
                out,
                "{:pad$}    {}",
                "",
                paint(palette.dim, &format!("[top: {}]", top.join(" | ")))
            )?;
        }
        writeln!(out)?;
        for e in explained.into_iter().flatten() {
            let name = (head.multi_label || !e.chosen).then_some(e.label.as_str());
            write_explanation(out, e, name, &indent, palette)?;
        }
    }
    Ok(())
}

/// `toward` and `against` lines, each term with its contribution; `label` names the label first when the head
/// may explain several.
fn write_explanation(
    out: &mut impl Write,
    e: &Explanation,
    label: Option<&str>,
    indent: &str,
    palette: &Palette,
) -> io::Result<()> {
    if let Some(label) = label {
        let note = if e.chosen { "" } else { ", not chosen" };
        writeln!(
            out,
            "{indent}{} {}",
            paint(palette.label, label),
            paint(
                palette.dim,
                &format!("({} {:+.3}{note})", e.measure.describe(), e.value)
            )
        )?;
    }
    for (name, list, style) in [
        ("toward", &e.toward, palette.toward),
        ("against", &e.against, palette.against),
    ] {
        let listed = if list.is_empty() {
            "(none)".to_string()
        } else {
            list.iter()
                .map(|t| {
                    format!(
                        "{} {}",
                        paint(style, &t.term),
                        paint(palette.dim, &format!("{:+.3}", t.contribution))
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        writeln!(out, "{indent}{name:<8} {listed}")?;
    }
    Ok(())
}

fn write_article(
    out: &mut impl Write,
    a: &ArticleTone,
    explained: Option<&Explained>,
    width: usize,
    palette: &Palette,
) -> io::Result<()> {
    writeln!(
        out,
        "  {:<width$}  {} {}",
        a.head,
        paint(palette.label, a.label),
        paint(
            palette.dim,
            &format!(
                "(article score {:+.2}, eventfulness {:.2}, {} sentences)",
                a.score,
                a.eventfulness,
                a.sentences.len()
            )
        )
    )?;
    // Sentence lines: role (8 columns), label (14), text; a sentence's terms align under its text.
    let under_text = " ".repeat(2 + width + 4 + 9 + 15);
    for (n, &i) in a.evidence.iter().enumerate() {
        let s = &a.sentences[i];
        let role = format!("{:?}", s.role).to_lowercase();
        writeln!(
            out,
            "  {:<width$}    {} {} {}",
            "",
            paint(palette.dim, &format!("{role:<8}")),
            paint(palette.label, &format!("{:<14}", s.label)),
            s.text
        )?;
        if let Some(e) = explained.and_then(|x| x.evidence.get(n)) {
            write_explanation(out, e, None, &under_text, palette)?;
        }
    }
    Ok(())
}

/// `{"input": ..., "heads": {HEAD: {"label": ..., "score": ..., "top": [...]}}}`; multi-label heads also carry
/// `"labels"`, every label past the threshold (`label` is the best of them, or null). With --explain each head
/// has `"explanations"` and each evidence sentence an `"explanation"`.
fn to_json(record: &Record<'_>, top_k: usize) -> Value {
    let mut map = Map::new();
    for (h, head) in record.heads.iter().enumerate() {
        let best = head.labels.first();
        let mut v = json!({
            "label": best.map(|l| l.label.as_str()),
            "score": best.map(|l| l.score),
            "top": head.top.iter().take(top_k).map(|l| json!({"label": l.label, "score": l.score})).collect::<Vec<_>>(),
        });
        if head.multi_label {
            v["labels"] = head
                .labels
                .iter()
                .map(|l| json!({"label": l.label, "score": l.score}))
                .collect();
        }
        if let Some(e) = record.explained.and_then(|x| x.heads.get(h)) {
            v["explanations"] = serde_json::to_value(e).unwrap_or(Value::Null);
        }
        map.insert(head.head.clone(), v);
    }
    let mut value = json!({"input": record.input, "heads": map});
    if let Some(a) = record.article {
        value["article_tone"] = json!({
            "label": a.label,
            "score": a.score,
            "eventfulness": a.eventfulness,
            "sentences": a.sentences.len(),
            "evidence": a.evidence.iter().enumerate().map(|(n, &i)| {
                let s = &a.sentences[i];
                let mut v = json!({
                    "index": s.index,
                    "role": s.role,
                    "text": s.text,
                    "label": s.label,
                    "weight": s.weight,
                    "probabilities": {
                        "escalation": s.probabilities[0],
                        "neutral": s.probabilities[1],
                        "reconciliation": s.probabilities[2],
                    },
                });
                if let Some(e) = record.explained.and_then(|x| x.evidence.get(n)) {
                    v["explanation"] = serde_json::to_value(e).unwrap_or(Value::Null);
                }
                v
            }).collect::<Vec<_>>(),
        });
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_of_replaces_invalid_bytes_and_drops_the_line_end() {
        assert_eq!(
            text_of(b"caf\xe9 au lait\r\n".to_vec()),
            "caf\u{fffd} au lait"
        );
        assert_eq!(text_of(b"plain".to_vec()), "plain");
        assert_eq!(
            text_of(b"\xEF\xBB\xBFa\0b\r\nc\r\n".to_vec()),
            "a b\nc",
            "byte-order mark, NUL and CRLF as in the readers"
        );
    }

    #[test]
    fn the_csv_header_has_a_column_per_rank_and_explanation() {
        let layout = Layout {
            heads: vec![("topic".into(), false), ("tone".into(), false)],
            tone_head: Some("tone".into()),
            top_k: 2,
            explain: Some(3),
        };
        assert_eq!(
            layout.header(),
            [
                "input",
                "topic",
                "topic_score",
                "topic_2",
                "topic_2_score",
                "topic_toward",
                "topic_against",
                "tone",
                "tone_score",
                "tone_2",
                "tone_2_score",
                "tone_toward",
                "tone_against",
                "tone_article",
                "tone_article_score",
                "tone_eventfulness"
            ]
        );
    }
}
