//! `detente inspect`.

use super::args::{InspectArgs, ReportFormat};
use anyhow::Result;
use detente::analyzer::{AnalyzerConfig, StopWords};
use detente::models::{Algorithm, ClassWeight, ModelParams, ThresholdRule};
use detente::tfidf::TfidfParams;
use serde_json::json;
use std::io::Write;

pub fn run(args: InspectArgs) -> Result<()> {
    let model = super::load_model(args.model.as_deref())?;
    let name = super::model_name(args.model.as_deref());
    let meta = model.metadata();
    let vectorizer = model.vectorizer();
    let mut out = super::stdout();
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
                        "params": h.params,
                        "link": format!("{:?}", h.model.link()).to_lowercase(),
                        "threshold": h.multi_label.then_some(h.threshold),
                        "labels": h.labels.iter().zip(&h.label_counts).zip(terms).map(|((l, n), t)| json!({
                            "label": l,
                            "training_documents": n,
                            "top_terms": t.iter().map(|(term, w)| json!({"term": term, "weight": w})).collect::<Vec<_>>(),
                        })).collect::<Vec<_>>(),
                    })
                })
                .collect();
            let report = json!({
                "file": name,
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
            writeln!(out, "model {name}")?;
            writeln!(
                out,
                "  trained by detente {} at {} on {} documents, text field `{}`",
                meta.detente_version,
                utc(meta.created_unix),
                meta.documents,
                meta.text_field
            )?;
            for s in &meta.sources {
                writeln!(
                    out,
                    "  data: {} [{}], {} documents",
                    s.path, s.format, s.documents
                )?;
            }
            writeln!(out, "  algorithm {}", describe_params(&meta.params))?;
            writeln!(
                out,
                "  analyzer: {}",
                describe_analyzer(vectorizer.analyzer().config())
            )?;
            writeln!(out, "  tf-idf: {}", describe_tfidf(vectorizer.params()))?;
            writeln!(out, "  vocabulary: {} terms", vectorizer.vocabulary_size())?;
            if let Some(search) = &meta.search {
                super::cv::write_search_table(&mut out, search, "  ")?;
            }
            for (h, terms) in &heads {
                writeln!(
                    out,
                    "\nhead `{}` ({}, {} labels, {})",
                    h.name,
                    if h.multi_label {
                        "multi-label"
                    } else {
                        "single-label"
                    },
                    h.labels.len(),
                    describe_params(&h.params)
                )?;
                if h.multi_label {
                    let how = match h.threshold_rule {
                        ThresholdRule::Natural => "the model's natural threshold".to_string(),
                        ThresholdRule::Fixed(_) => "fixed at training".to_string(),
                        ThresholdRule::CrossValidated { folds } => {
                            format!("chosen by {folds}-fold cross-validation for micro-F1")
                        }
                    };
                    writeln!(out, "  threshold {:.4}, {how}", h.threshold)?;
                }
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

fn describe_analyzer(c: &AnalyzerConfig) -> String {
    let mut parts = vec![
        if c.lowercase {
            "lowercased"
        } else {
            "case kept"
        }
        .to_string(),
    ];
    parts.push(match &c.stop_words {
        StopWords::None => "no stop words".into(),
        StopWords::English => "English stop words removed".into(),
        StopWords::Custom(words) => format!("{} custom stop words removed", words.len()),
    });
    parts.push(match c.stemmer {
        Some(language) => format!("{language} stemming"),
        None => "no stemming".into(),
    });
    parts.push(format!("word n-grams 1-{}", c.word_ngrams));
    parts.push(match c.char_ngrams {
        Some((lo, hi)) => format!("character n-grams {lo}-{hi}"),
        None => "no character n-grams".into(),
    });
    parts.join(", ")
}

fn describe_params(p: &ModelParams) -> String {
    let knobs = match p.algorithm {
        Algorithm::Nb | Algorithm::Cnb => format!("alpha {}", p.alpha),
        Algorithm::LinfaLogistic => format!(
            "C {}, max_iter {}, tol {}, {} dense features",
            p.c, p.max_iter, p.tol, p.dense_features
        ),
        Algorithm::LogReg | Algorithm::Svm => {
            format!("C {}, max_iter {}, tol {}", p.c, p.max_iter, p.tol)
        }
    };
    let weights = match p.class_weight {
        ClassWeight::None => String::new(),
        ref w => format!(", class weight {w}"),
    };
    format!("{} ({knobs}{weights}, seed {})", p.algorithm, p.seed)
}

fn describe_tfidf(p: &TfidfParams) -> String {
    format!(
        "min_df {}, max_df {}, max_features {}, {} tf, {}",
        p.min_df,
        p.max_df,
        p.max_features.map_or("none".to_string(), |n| n.to_string()),
        if p.sublinear_tf { "sublinear" } else { "raw" },
        if p.norm {
            "L2-normalized"
        } else {
            "not normalized"
        }
    )
}

/// `YYYY-MM-DD HH:MM:SS UTC` for seconds since the Unix epoch (proleptic Gregorian calendar).
fn utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01, counting in 400-year eras that start on March 1st.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn utc_formats_known_instants() {
        assert_eq!(super::utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(super::utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(super::utc(1_700_000_000), "2023-11-14 22:13:20 UTC");
    }
}
