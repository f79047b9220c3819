//! `detente inspect`.

use super::args::{InspectArgs, ReportFormat};
use anyhow::Result;
use detente::model::Model;
use serde_json::json;
use std::io::Write;

pub fn run(args: InspectArgs) -> Result<()> {
    let model = Model::load(&args.model)?;
    let meta = model.metadata();
    let vectorizer = model.vectorizer();
    let mut out = std::io::stdout().lock();
    let heads: Vec<_> = model
        .heads()
        .iter()
        .map(|h| (h, model.top_terms(h, args.top_terms)))
        .collect();
    match args.format {
        ReportFormat::Json => {
            let heads: Vec<_> = heads
                .iter()
                .map(|(h, terms)| {
                    json!({
                        "name": h.name,
                        "kind": if h.multi_label { "multi-label" } else { "single-label" },
                        "link": format!("{:?}", h.model.link()).to_lowercase(),
                        "labels": h.labels.iter().zip(&h.label_counts).zip(terms).map(|((l, n), t)| json!({
                            "label": l,
                            "training_documents": n,
                            "top_terms": t.iter().map(|(term, w)| json!({"term": term, "weight": w})).collect::<Vec<_>>(),
                        })).collect::<Vec<_>>(),
                    })
                })
                .collect();
            let report = json!({
                "file": args.model.display().to_string(),
                "heads": heads,
                "vocabulary_size": vectorizer.vocabulary_size(),
                "analyzer": vectorizer.analyzer().config(),
                "tfidf": vectorizer.params(),
                "params": meta.params,
                "metadata": meta,
            });
            serde_json::to_writer_pretty(&mut out, &report)?;
            writeln!(out)?;
        }
        ReportFormat::Text => {
            writeln!(out, "model {}", args.model.display())?;
            writeln!(
                out,
                "  trained by detente {} at {} (Unix time) on {} documents, text field `{}`",
                meta.detente_version, meta.created_unix, meta.documents, meta.text_field
            )?;
            for s in &meta.sources {
                writeln!(
                    out,
                    "  data: {} [{}], {} documents",
                    s.path, s.format, s.documents
                )?;
            }
            let p = &meta.params;
            writeln!(
                out,
                "  algorithm {}: C {}, alpha {}, max_iter {}, tol {}, seed {}",
                p.algorithm, p.c, p.alpha, p.max_iter, p.tol, p.seed
            )?;
            writeln!(out, "  analyzer: {:?}", vectorizer.analyzer().config())?;
            writeln!(out, "  tf-idf: {:?}", vectorizer.params())?;
            writeln!(out, "  vocabulary: {} terms", vectorizer.vocabulary_size())?;
            for (h, terms) in &heads {
                writeln!(
                    out,
                    "\nhead `{}` ({}, {} labels)",
                    h.name,
                    if h.multi_label {
                        "multi-label"
                    } else {
                        "single-label"
                    },
                    h.labels.len()
                )?;
                for ((label, n), t) in h.labels.iter().zip(&h.label_counts).zip(terms) {
                    let list: Vec<&str> = t.iter().map(|(term, _)| term.as_str()).collect();
                    writeln!(out, "  {label} ({n} docs): {}", list.join(", "))?;
                }
            }
        }
    }
    out.flush()?;
    Ok(())
}
