//! Writing predictions as text, JSON or JSON lines.

use super::args::PredictFormat;
use detente::model::HeadPrediction;
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

/// Writes one record per document in the chosen format; `finish` closes a JSON array.
pub struct PredictionWriter<W: Write> {
    out: W,
    format: PredictFormat,
    written: usize,
}

impl<W: Write> PredictionWriter<W> {
    pub fn new(out: W, format: PredictFormat) -> Self {
        PredictionWriter {
            out,
            format,
            written: 0,
        }
    }

    pub fn write(
        &mut self,
        input: &str,
        heads: &[HeadPrediction],
        article: Option<&ArticleTone>,
        top_k: usize,
    ) -> io::Result<()> {
        match self.format {
            PredictFormat::Text => self.write_text(input, heads, article, top_k)?,
            PredictFormat::Jsonl => {
                serde_json::to_writer(&mut self.out, &record(input, heads, article, top_k))?;
                self.out.write_all(b"\n")?;
            }
            PredictFormat::Json => {
                self.out
                    .write_all(if self.written == 0 { b"[\n" } else { b",\n" })?;
                serde_json::to_writer_pretty(&mut self.out, &record(input, heads, article, top_k))?;
            }
        }
        self.written += 1;
        Ok(())
    }

    /// One line per head; the tone head, when the input was read as an article, as its article tone with the
    /// evidence sentences below it.
    fn write_text(
        &mut self,
        input: &str,
        heads: &[HeadPrediction],
        article: Option<&ArticleTone>,
        top_k: usize,
    ) -> io::Result<()> {
        writeln!(self.out, "{input}")?;
        let width = heads.iter().map(|h| h.head.len()).max().unwrap_or(0);
        for head in heads {
            if let Some(a) = article.filter(|a| a.head == head.head) {
                self.write_article(a, width)?;
                continue;
            }
            let chosen: Vec<String> = head
                .labels
                .iter()
                .map(|l| format!("{} ({:.3})", l.label, l.score))
                .collect();
            let chosen = if chosen.is_empty() {
                "(no label)".to_string()
            } else {
                chosen.join(", ")
            };
            write!(self.out, "  {:<width$}  {chosen}", head.head)?;
            if top_k > 1 {
                let top: Vec<String> = head
                    .top
                    .iter()
                    .map(|l| format!("{} {:.3}", l.label, l.score))
                    .collect();
                write!(self.out, "    [top: {}]", top.join(" | "))?;
            }
            writeln!(self.out)?;
        }
        Ok(())
    }

    fn write_article(&mut self, a: &ArticleTone, width: usize) -> io::Result<()> {
        writeln!(
            self.out,
            "  {:<width$}  {} (article score {:+.2}, eventfulness {:.2}, {} sentences)",
            a.head,
            a.label,
            a.score,
            a.eventfulness,
            a.sentences.len()
        )?;
        for &i in &a.evidence {
            let s = &a.sentences[i];
            let role = format!("{:?}", s.role).to_lowercase();
            writeln!(
                self.out,
                "  {:<width$}    {role:<8} {:<14} {}",
                "", s.label, s.text
            )?;
        }
        Ok(())
    }

    pub fn finish(mut self) -> io::Result<()> {
        if self.format == PredictFormat::Json {
            self.out
                .write_all(if self.written == 0 { b"[]\n" } else { b"\n]\n" })?;
        }
        self.out.flush()
    }
}

/// `{"input": ..., "heads": {HEAD: {"label": ..., "score": ..., "top": [...]}}}`; multi-label heads also carry
/// `"labels"`, every label past the threshold (`label` is the best of them, or null).
fn record(
    input: &str,
    heads: &[HeadPrediction],
    article: Option<&ArticleTone>,
    top_k: usize,
) -> Value {
    let mut map = Map::new();
    for head in heads {
        let best = head.labels.first();
        let mut h = json!({
            "label": best.map(|l| l.label.as_str()),
            "score": best.map(|l| l.score),
            "top": head.top.iter().take(top_k).map(|l| json!({"label": l.label, "score": l.score})).collect::<Vec<_>>(),
        });
        if head.multi_label {
            h["labels"] = head
                .labels
                .iter()
                .map(|l| json!({"label": l.label, "score": l.score}))
                .collect();
        }
        map.insert(head.head.clone(), h);
    }
    let mut record = json!({"input": input, "heads": map});
    if let Some(a) = article {
        record["article_tone"] = json!({
            "label": a.label,
            "score": a.score,
            "eventfulness": a.eventfulness,
            "sentences": a.sentences.len(),
            "evidence": a.evidence.iter().map(|&i| {
                let s = &a.sentences[i];
                json!({
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
                })
            }).collect::<Vec<_>>(),
        });
    }
    record
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
}
