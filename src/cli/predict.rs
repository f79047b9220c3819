//! `detente predict`: streams documents through the model in batches and writes each batch's predictions
//! before reading more, so memory stays flat on endless input.

use super::UsageError;
use super::args::{PredictArgs, PredictFormat};
use super::output::{self, Explained, Layout, PredictionWriter, Record};
use super::progress::{Progress, Task};
use super::train::read_options;
use anyhow::{Context, Result};
use detente::explain;
use detente::io::{self, Document, Format, ReadOptions};
use detente::model::{HeadPrediction, Model};
use detente::tone::{self, ArticleTone, ToneRule};
use rayon::prelude::*;
use std::io::{BufRead, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

/// Documents classified together; large enough to keep both cores busy, small enough to stream.
const BATCH: usize = 1024;

pub fn run(args: PredictArgs) -> Result<()> {
    let model = super::load_model(args.model.as_deref())?;
    let options = read_options(&args.input, Vec::new(), false)?;
    let top_k = args.top_k.unwrap_or(match args.format {
        PredictFormat::Csv | PredictFormat::Tsv => 1,
        _ => 3,
    });
    let layout = Layout::new(&model, top_k, args.explain);
    let stdout = std::io::stdout();
    // Progress only when the predictions go elsewhere than the terminal that would show it.
    let progress = Progress::new(args.quiet || stdout.is_terminal());
    let color = super::style::stdout();
    let mut batcher = Batcher {
        model: &model,
        top_k,
        explain: args.explain,
        ids: Vec::with_capacity(BATCH),
        texts: Vec::with_capacity(BATCH),
        writer: PredictionWriter::new(
            std::io::BufWriter::new(stdout.lock()),
            args.format,
            layout,
            color,
        ),
        progress,
        counter: None,
    };
    let inputs = if args.inputs.is_empty() {
        vec![PathBuf::from("-")]
    } else {
        args.inputs.clone()
    };
    for input in &inputs {
        if input.as_os_str() == "-" {
            read_stdin(&args, &options, &mut batcher)?;
        } else {
            read_path(input, &options, &mut batcher)?;
        }
    }
    batcher.flush()?;
    drop(batcher.counter.take());
    batcher
        .writer
        .finish()
        .map_err(|e| detente::Error::io("standard output", e))?;
    Ok(())
}

struct Batcher<'m, W: Write> {
    model: &'m Model,
    top_k: usize,
    explain: Option<usize>,
    ids: Vec<String>,
    texts: Vec<String>,
    writer: PredictionWriter<W>,
    progress: Progress,
    /// The live count of documents, started with the second batch so that short runs never show one.
    counter: Option<Task>,
}

impl<W: Write> Batcher<'_, W> {
    fn push(&mut self, id: String, text: String) -> detente::Result<()> {
        self.ids.push(id);
        self.texts.push(text);
        if self.texts.len() >= BATCH {
            self.flush()?;
            match &self.counter {
                Some(counter) => counter.inc(BATCH as u64),
                None => {
                    let counter = self
                        .progress
                        .counter("classified", "documents", BATCH as u64);
                    self.counter = Some(counter);
                }
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> detente::Result<()> {
        let model = self.model;
        let texts: Vec<&str> = self.texts.iter().map(String::as_str).collect();
        let x = model.vectorize(&texts);
        let tone_head = tone::tone_head(model);
        let (explain, top_k) = (self.explain, self.top_k.max(1));
        let results: Vec<(Vec<HeadPrediction>, Option<ArticleTone>, Option<Explained>)> = (0..x
            .nrows())
            .into_par_iter()
            .map(|i| {
                let row = x.row(i);
                let heads = model.predict_row(row, top_k);
                // A model with a tone head also reads each input as an article, sentence by sentence.
                let article = tone_head
                    .map(|head| tone::article_tone(model, head, texts[i], &ToneRule::default()));
                let explained = explain.map(|n| Explained {
                    heads: model
                        .heads()
                        .iter()
                        .zip(&heads)
                        .map(|(head, p)| explain::explain_prediction(model, head, row, p, n))
                        .collect(),
                    evidence: match (tone_head, &article) {
                        (Some(head), Some(a)) => a
                            .evidence
                            .iter()
                            .map(|&s| {
                                let s = &a.sentences[s];
                                explain::explain_text(model, head, &s.text, s.label, n)
                            })
                            .collect(),
                        _ => Vec::new(),
                    },
                });
                (heads, article, explained)
            })
            .collect();
        for (id, (heads, article, explained)) in self.ids.iter().zip(&results) {
            let record = Record {
                input: id,
                heads,
                article: article.as_ref(),
                explained: explained.as_ref(),
            };
            self.writer
                .write(&record)
                .map_err(|e| detente::Error::io("standard output", e))?;
        }
        self.ids.clear();
        self.texts.clear();
        Ok(())
    }

    fn push_document(&mut self, doc: Document) -> detente::Result<()> {
        let id = match doc.line {
            0 => doc.path.display().to_string(),
            line => format!("{}:{line}", doc.path.display()),
        };
        self.push(id, doc.text)
    }
}

/// A record file or folder is read record by record; any other file is one document.
fn read_path<W: Write>(
    path: &Path,
    options: &ReadOptions,
    batcher: &mut Batcher<'_, W>,
) -> Result<()> {
    if options.format.is_some() || path.is_dir() || Format::detect(path).is_ok() {
        io::read_documents(path, options, &mut |doc| batcher.push_document(doc))?;
    } else {
        let bytes = std::fs::read(path).map_err(|e| detente::Error::io(path, e))?;
        batcher.push(path.display().to_string(), output::text_of(bytes))?;
    }
    Ok(())
}

fn read_stdin<W: Write>(
    args: &PredictArgs,
    options: &ReadOptions,
    batcher: &mut Batcher<'_, W>,
) -> Result<()> {
    let name = Path::new("stdin");
    let stdin = std::io::stdin().lock();
    let mut sink = |doc: Document| batcher.push_document(doc);
    match options.format {
        Some(Format::Jsonl) => {
            io::jsonl::read_from(stdin, name, options, &mut sink)?;
        }
        Some(Format::Csv) => {
            io::csv::read_from(stdin, name, b',', options, &mut sink)?;
        }
        Some(Format::Tsv) => {
            io::csv::read_from(stdin, name, b'\t', options, &mut sink)?;
        }
        Some(Format::FastText) => {
            io::fasttext::read_from(stdin, name, options, &mut sink)?;
        }
        Some(Format::Folder) => {
            return Err(
                UsageError("--input-format folder needs a folder, not stdin".into()).into(),
            );
        }
        None => {
            let mut reader = stdin;
            let mut head = Vec::new();
            let whole = match (args.whole, args.lines) {
                (true, _) => true,
                (_, true) => false,
                _ => looks_like_one_document(&mut reader, &mut head).context("reading stdin")?,
            };
            let mut reader = std::io::Cursor::new(head).chain(reader);
            if whole {
                let mut bytes = Vec::new();
                reader.read_to_end(&mut bytes).context("reading stdin")?;
                batcher.push("stdin".into(), output::text_of(bytes))?;
            } else {
                let mut line = Vec::new();
                let mut number = 0;
                loop {
                    line.clear();
                    if reader
                        .read_until(b'\n', &mut line)
                        .context("reading stdin")?
                        == 0
                    {
                        break;
                    }
                    number += 1;
                    // A blank line is no document, as in JSON lines and fastText files.
                    let text = output::text_of(std::mem::take(&mut line));
                    if !text.trim().is_empty() {
                        batcher.push(format!("stdin:{number}"), text)?;
                    }
                }
            }
        }
    }
    Ok(())
}

/// How much of stdin is read to decide between one document and one per line.
const SNIFF_LIMIT: usize = 64 * 1024;

/// Reads up to [`SNIFF_LIMIT`] bytes of `reader` into `head` (stopping early once decided) and tells
/// whether they look like one document: a blank line with text both before and after it, as between
/// an article's headline and body or between paragraphs. A stream of one document per line has none.
fn looks_like_one_document(reader: &mut impl Read, head: &mut Vec<u8>) -> std::io::Result<bool> {
    let mut chunk = [0u8; 8192];
    while head.len() < SNIFF_LIMIT {
        let n = match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        head.extend_from_slice(&chunk[..n]);
        if has_inner_blank_line(head) {
            return Ok(true);
        }
    }
    Ok(has_inner_blank_line(head))
}

/// Whether `text` has a blank (empty or whitespace-only) line between two lines with text. The last
/// line counts only if it ends with a newline or holds text, so a partly read line is never taken for
/// blank.
fn has_inner_blank_line(text: &[u8]) -> bool {
    let blank = |line: &[u8]| line.iter().all(u8::is_ascii_whitespace);
    let (mut seen_text, mut gap) = (false, false);
    for line in text.split(|&b| b == b'\n') {
        if blank(line) {
            gap = seen_text;
        } else if gap {
            return true;
        } else {
            seen_text = true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blank_line_between_text_makes_one_document() {
        assert!(has_inner_blank_line(b"Headline\n\nBody.\n"));
        assert!(has_inner_blank_line(b"Headline\r\n \t\r\nBody"));
        assert!(!has_inner_blank_line(b"one\ntwo\nthree\n"));
        assert!(!has_inner_blank_line(b"\n\none\ntwo\n\n\n"));
        assert!(!has_inner_blank_line(b""));
    }

    #[test]
    fn sniffing_keeps_every_byte_it_read() {
        let text = format!("{}\n\nafter the limit\n", "x\n".repeat(SNIFF_LIMIT));
        let mut reader = text.as_bytes();
        let mut head = Vec::new();
        assert!(!looks_like_one_document(&mut reader, &mut head).unwrap());
        assert!(head.len() >= SNIFF_LIMIT);
        let mut all = head.clone();
        all.extend_from_slice(reader);
        assert_eq!(all, text.as_bytes());
        let mut head = Vec::new();
        assert!(looks_like_one_document(&mut "a\n\nb".as_bytes(), &mut head).unwrap());
        assert_eq!(head, b"a\n\nb");
    }
}
