//! The decision threshold of multi-label heads, chosen by cross-validation on the training data.
//!
//! One-vs-rest classifiers trained on rare labels are conservative: with the natural threshold (margin 0 for an
//! SVM, probability 0.5 otherwise) they miss many true labels. [`cross_validated`] fits the head on k−1 folds,
//! scores the held-out fold, and does so for every fold, so that every training document gets a score per label
//! from a model that did not see it. The threshold is then the one that maximizes micro-F1 over those
//! out-of-fold scores: the pairs (score, is-true-label) are sorted by score and swept once, and the threshold is
//! placed halfway between the last score kept and the next one. On Reuters-21578 this takes micro-F1 from 0.83
//! to about 0.87 (see the README).

use super::ModelParams;
use crate::error::{Error, Result};
use crate::sparse::CsrMatrix;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// How a multi-label head decides which labels to predict.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum ThresholdRule {
    /// The link's natural threshold (margin 0, probability 0.5).
    Natural,
    /// A fixed score threshold.
    Fixed(f64),
    /// Chosen by k-fold cross-validation on the training data to maximize micro-F1.
    CrossValidated { folds: usize },
}

impl Default for ThresholdRule {
    fn default() -> Self {
        ThresholdRule::CrossValidated { folds: 3 }
    }
}

/// The threshold maximizing micro-F1 of out-of-fold scores (see the module docs). `y` holds indices into
/// `labels`.
pub fn cross_validated(
    params: &ModelParams,
    x: &CsrMatrix,
    y: &[Vec<u32>],
    labels: &[String],
    folds: usize,
) -> Result<f64> {
    let n_classes = labels.len();
    let n = x.nrows();
    if folds < 2 || folds > n {
        return Err(Error::param(
            "threshold folds",
            folds,
            format!("between 2 and the number of documents ({n})"),
        ));
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(params.seed));
    let mut pairs: Vec<(f64, bool)> = Vec::with_capacity(n * n_classes);
    let mut scores = vec![0.0; n_classes];
    for fold in 0..folds {
        let (held, kept): (Vec<usize>, Vec<usize>) = (0..n).partition(|&r| r % folds == fold);
        let held: Vec<usize> = held.iter().map(|&r| order[r]).collect();
        let mut kept: Vec<usize> = kept.iter().map(|&r| order[r]).collect();
        kept.sort_unstable();
        let train_y: Vec<Vec<u32>> = kept.iter().map(|&i| y[i].clone()).collect();
        let model = params.fit_multilabel(&x.select_rows(&kept), &train_y, labels)?;
        for &i in &held {
            model.scores(x.row(i), &mut scores);
            pairs.extend(
                scores
                    .iter()
                    .enumerate()
                    .map(|(k, &s)| (s, y[i].contains(&(k as u32)))),
            );
        }
    }
    Ok(best_threshold(pairs))
}

/// The threshold t maximizing micro-F1 of the rule `score > t` over `(score, is_true)` pairs.
fn best_threshold(mut pairs: Vec<(f64, bool)>) -> f64 {
    pairs.sort_by(|a, b| b.0.total_cmp(&a.0));
    let positives = pairs.iter().filter(|p| p.1).count();
    let (mut tp, mut fp) = (0usize, 0usize);
    // Predicting nothing: F1 = 0; the threshold then sits above the highest score.
    let mut best = (0.0, pairs.first().map_or(0.0, |p| p.0 + 1.0));
    let mut i = 0;
    while i < pairs.len() {
        let score = pairs[i].0;
        while i < pairs.len() && pairs[i].0 == score {
            if pairs[i].1 {
                tp += 1
            } else {
                fp += 1
            }
            i += 1;
        }
        let f1 = 2.0 * tp as f64 / (2 * tp + fp + (positives - tp)) as f64;
        if f1 > best.0 {
            let next = pairs.get(i).map_or(score - 1.0, |p| p.0);
            best = (f1, (score + next) / 2.0);
        }
    }
    best.1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sweep_finds_the_threshold_that_maximizes_micro_f1() {
        // Sorted: 0.9 T, 0.8 T, 0.4 F, 0.3 T, 0.1 F. Keeping the top two: F1 = 4/5; top four: 6/7 (best).
        let pairs = vec![
            (0.3, true),
            (0.9, true),
            (0.1, false),
            (0.8, true),
            (0.4, false),
        ];
        assert!((best_threshold(pairs) - 0.2).abs() < 1e-12);
    }

    #[test]
    fn without_positives_the_threshold_predicts_nothing() {
        let t = best_threshold(vec![(0.5, false), (-1.0, false)]);
        assert!(t > 0.5);
    }
}
