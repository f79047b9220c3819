//! Why a head chose a label: each term's share of the decision.
//!
//! Every head is linear: it gives label k the decision value zₖ = bₖ + Σⱼ wⱼₖ·xⱼ, where xⱼ is the TF-IDF
//! value of term j in the document and wⱼₖ the term's weight for label k. What is explained depends on how
//! the head turns decision values into scores ([`Link`]):
//!
//! - **One-vs-rest heads** (SVM margins, sigmoid probabilities of multi-label heads): each label has its own
//!   classifier, and zₖ itself says how far the document leans toward label k. Term j contributes
//!   cⱼ = wⱼₖ·xⱼ, and zₖ = bₖ + Σⱼ cⱼ. The measure is the margin (SVM) or the log-odds of label k (sigmoid).
//! - **Softmax heads** (`logreg`, `nb`, `cnb`, `linfa-logistic`): probabilities depend only on differences
//!   between labels (adding the same amount to every label's weight for a term changes nothing), so a raw
//!   weight says nothing by itself. The measure is label k's log-odds against the other labels,
//!   ln pₖ − mean_{m≠k} ln pₘ = zₖ − mean_{m≠k} zₘ; term j contributes cⱼ = (wⱼₖ − mean_{m≠k} wⱼₘ)·xⱼ, the
//!   bias is bₖ − mean_{m≠k} bₘ.
//!
//! Either way the bias and the contributions of all the document's terms add up exactly to the measure
//! ([`Explanation::value`]): a positive cⱼ pushed toward the label, a negative one against it. Terms are shown
//! as the vocabulary holds them (lowercased and stemmed by default, `a b` for a bigram).

use crate::model::{Head, HeadPrediction, Model};
use crate::models::Link;
use crate::sparse::SparseRow;
use serde::Serialize;

/// What [`Explanation::value`] measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Measure {
    /// An SVM's signed margin for the label.
    Margin,
    /// The log-odds of the label's own (sigmoid) probability.
    LogOdds,
    /// ln pₖ minus the mean of ln pₘ over the other labels (softmax heads).
    LogOddsVsOthers,
}

impl Measure {
    fn of(link: Link) -> Measure {
        match link {
            Link::Margin => Measure::Margin,
            Link::Sigmoid => Measure::LogOdds,
            Link::Softmax => Measure::LogOddsVsOthers,
        }
    }

    /// How the measure reads in prose.
    pub fn describe(self) -> &'static str {
        match self {
            Measure::Margin => "margin",
            Measure::LogOdds => "log-odds",
            Measure::LogOddsVsOthers => "log-odds against the other labels",
        }
    }
}

/// One term's part in a decision.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TermContribution {
    pub term: String,
    /// xⱼ: the term's TF-IDF value in the document.
    pub tfidf: f32,
    /// The term's weight for the label (centered on the other labels for softmax heads).
    pub weight: f32,
    /// cⱼ = weight · tfidf.
    pub contribution: f64,
}

/// Why a head scored one label as it did (see the module docs for the formulas).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Explanation {
    pub label: String,
    /// Whether the head predicted this label.
    pub chosen: bool,
    pub measure: Measure,
    /// The measure: bias plus the contributions of all the document's terms.
    pub value: f64,
    /// The part of the measure no term carries (the intercept).
    pub bias: f64,
    /// The terms with the largest positive contributions, largest first.
    pub toward: Vec<TermContribution>,
    /// The terms with the most negative contributions, most negative first.
    pub against: Vec<TermContribution>,
}

/// Explains label `k` of `head` for the vectorized document `row`, with the `n` strongest terms each way.
pub fn explain_label(
    model: &Model,
    head: &Head,
    row: SparseRow<'_>,
    k: usize,
    n: usize,
) -> Explanation {
    let linear = &head.model;
    let outputs = linear.n_outputs();
    let softmax = linear.link() == Link::Softmax && outputs > 1;
    // The weight of term j toward k: its own, or centered on the mean of the other labels' weights.
    let effective = |own: f32, all: &dyn Fn(usize) -> f32| -> f32 {
        if softmax {
            let others: f64 = (0..outputs)
                .filter(|&m| m != k)
                .map(|m| all(m) as f64)
                .sum();
            (own as f64 - others / (outputs - 1) as f64) as f32
        } else {
            own
        }
    };
    let bias = effective(linear.intercept(k), &|m| linear.intercept(m)) as f64;
    let mut terms: Vec<TermContribution> = row
        .indices
        .iter()
        .zip(row.values)
        .filter(|&(&j, _)| (j as usize) < linear.n_features())
        .map(|(&j, &x)| {
            let j = j as usize;
            let weight = effective(linear.weight(j, k), &|m| linear.weight(j, m));
            TermContribution {
                term: model.vectorizer().term(j as u32).to_string(),
                tfidf: x,
                weight,
                contribution: weight as f64 * x as f64,
            }
        })
        .collect();
    let value = bias + terms.iter().map(|t| t.contribution).sum::<f64>();
    // Largest first; ties by term, so the output does not depend on the vocabulary's order.
    terms.sort_by(|a, b| {
        b.contribution
            .total_cmp(&a.contribution)
            .then_with(|| a.term.cmp(&b.term))
    });
    let toward = terms
        .iter()
        .take_while(|t| t.contribution > 0.0)
        .take(n)
        .cloned()
        .collect();
    let against = terms
        .iter()
        .rev()
        .take_while(|t| t.contribution < 0.0)
        .take(n)
        .cloned()
        .collect();
    Explanation {
        label: head.labels[k].clone(),
        chosen: false,
        measure: Measure::of(linear.link()),
        value,
        bias,
        toward,
        against,
    }
}

/// Explains a head's prediction for `row`: each predicted label or, when a multi-label head predicted
/// none, its best-scoring label (marked not chosen).
pub fn explain_prediction(
    model: &Model,
    head: &Head,
    row: SparseRow<'_>,
    prediction: &HeadPrediction,
    n: usize,
) -> Vec<Explanation> {
    let index = |label: &str| head.labels.iter().position(|l| l == label);
    let chosen: Vec<usize> = prediction
        .labels
        .iter()
        .filter_map(|l| index(&l.label))
        .collect();
    if chosen.is_empty() {
        let best = prediction.top.first().and_then(|l| index(&l.label));
        let best = best.unwrap_or_else(|| {
            let mut scores = vec![0.0; head.labels.len()];
            head.model.decision(row, &mut scores);
            crate::models::linear::argmax(&scores)
        });
        return vec![explain_label(model, head, row, best, n)];
    }
    chosen
        .into_iter()
        .map(|k| Explanation {
            chosen: true,
            ..explain_label(model, head, row, k, n)
        })
        .collect()
}

/// Explains label `label` of `head` for `text` (vectorized here), e.g. one sentence of an article.
pub fn explain_text(model: &Model, head: &Head, text: &str, label: &str, n: usize) -> Explanation {
    let x = model.vectorize(&[text]);
    let k = head.labels.iter().position(|l| l == label).unwrap_or(0);
    let mut scores = vec![0.0; head.labels.len()];
    head.model.decision(x.row(0), &mut scores);
    Explanation {
        chosen: crate::models::linear::argmax(&scores) == k,
        ..explain_label(model, head, x.row(0), k, n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::LabelValue;
    use crate::model::{Corpus, TrainOptions};
    use crate::models::{Algorithm, ModelParams};
    use crate::tfidf::{DocFreq, TfidfParams};

    fn model(algorithm: Algorithm) -> Model {
        let labeled = [
            ("troops shelled the border villages", "escalation"),
            ("the army attacked the rebel convoy", "escalation"),
            ("rebels attacked the army at the border", "escalation"),
            ("the leaders signed a ceasefire agreement", "reconciliation"),
            (
                "the ministers agreed to restore relations",
                "reconciliation",
            ),
            (
                "the rebels signed an agreement with the army",
                "reconciliation",
            ),
            ("the ministry published its annual report", "neutral"),
            ("the report said the border was quiet", "neutral"),
        ];
        let corpus = Corpus {
            texts: labeled.iter().map(|(t, _)| t.to_string()).collect(),
            labels: labeled
                .iter()
                .map(|(_, l)| vec![LabelValue::One(l.to_string())])
                .collect(),
            label_fields: vec!["tone".into()],
            sources: Vec::new(),
        };
        let options = TrainOptions {
            tfidf: TfidfParams {
                min_df: DocFreq::Count(1),
                ..TfidfParams::default()
            },
            ..TrainOptions::new(ModelParams::new(algorithm))
        };
        Model::train(&corpus, &options).unwrap()
    }

    #[test]
    fn contributions_add_up_to_the_measure() {
        for algorithm in [Algorithm::LogReg, Algorithm::Svm, Algorithm::Cnb] {
            let model = model(algorithm);
            let head = &model.heads()[0];
            let text = "the army shelled the rebels after the ceasefire agreement";
            let x = model.vectorize(&[text]);
            let mut z = vec![0.0; 3];
            head.model.decision(x.row(0), &mut z);
            for k in 0..3 {
                let e = explain_label(&model, head, x.row(0), k, usize::MAX);
                let all: f64 = e
                    .toward
                    .iter()
                    .chain(&e.against)
                    .map(|t| t.contribution)
                    .sum();
                assert!((e.bias + all - e.value).abs() < 1e-5, "{algorithm}");
                let expected = if algorithm == Algorithm::Svm {
                    z[k]
                } else {
                    z[k] - (z.iter().sum::<f64>() - z[k]) / 2.0
                };
                assert!(
                    (e.value - expected).abs() < 1e-4,
                    "{algorithm} label {k}: {} vs {expected}",
                    e.value
                );
            }
        }
    }

    #[test]
    fn the_strongest_terms_come_first_and_point_the_right_way() {
        let model = model(Algorithm::LogReg);
        let head = &model.heads()[0];
        let e = explain_text(&model, head, "troops shelled the border", "escalation", 2);
        assert!(e.chosen);
        assert_eq!(e.measure, Measure::LogOddsVsOthers);
        assert!(e.toward.len() <= 2 && e.against.len() <= 2);
        assert!(e.toward.iter().any(|t| t.term.starts_with("shell")));
        assert!(
            e.toward
                .windows(2)
                .all(|w| w[0].contribution >= w[1].contribution)
        );
        assert!(e.toward.iter().all(|t| t.contribution > 0.0));
        assert!(e.against.iter().all(|t| t.contribution < 0.0));
        let p = &model.predict_row(model.vectorize(&["troops shelled the border"]).row(0), 1)[0];
        let explained = explain_prediction(
            &model,
            head,
            model.vectorize(&["troops shelled the border"]).row(0),
            p,
            3,
        );
        assert_eq!(explained.len(), 1);
        assert_eq!(explained[0].label, p.labels[0].label);
    }
}
