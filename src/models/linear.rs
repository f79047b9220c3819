//! The fitted form of every detente classifier: a linear function of the sparse features per output.

use crate::format::{Block, refusal, thorough};
use crate::sparse::{CsrMatrix, SparseRow};
use linfa::traits::PredictInplace;
use ndarray::Array1;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// How decision values become scores.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Link {
    /// Scores are class probabilities: the softmax of the decision values.
    Softmax,
    /// Each output is an independent probability: the logistic function of its decision value.
    Sigmoid,
    /// Scores are the decision values themselves (SVM margins); positive means "in the class".
    Margin,
}

impl Link {
    /// The score above which a multi-label head predicts a label.
    pub fn threshold(self) -> f64 {
        match self {
            Link::Softmax | Link::Sigmoid => 0.5,
            Link::Margin => 0.0,
        }
    }
}

/// `n_outputs` linear functions over `n_features` features.
///
/// Weights are stored feature-major (`n_outputs` consecutive weights per feature), so scoring a sparse
/// row reads one contiguous block of weights per stored feature. When many features have all their
/// weights zero, as in a head trained on part of a multi-head model's documents (a solver leaves the
/// weights of features it never saw at zero), only the non-zero blocks are stored, with a map from
/// feature to block: that is chosen whenever it makes the model smaller.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Parts")]
pub struct LinearModel {
    n_features: usize,
    n_outputs: usize,
    weights: Block<f32>,
    /// Empty, or for each feature the index of its block in `weights` ([`ZERO_ROW`] for none).
    rows: Block<u32>,
    intercepts: Vec<f32>,
    link: Link,
}

/// In a [`LinearModel`]'s row map: the feature's weights are all zero.
const ZERO_ROW: u32 = u32::MAX;

// The fields as read from a model file, checked before they become a model.
#[derive(Deserialize)]
struct Parts {
    n_features: usize,
    n_outputs: usize,
    weights: Block<f32>,
    rows: Block<u32>,
    intercepts: Vec<f32>,
    link: Link,
}

impl TryFrom<Parts> for LinearModel {
    type Error = String;
    fn try_from(p: Parts) -> Result<Self, String> {
        LinearModel::checked(p).map_err(refusal)
    }
}

impl LinearModel {
    fn checked(p: Parts) -> Result<Self, String> {
        if p.intercepts.len() != p.n_outputs {
            return Err(format!(
                "{} intercepts for {} outputs",
                p.intercepts.len(),
                p.n_outputs
            ));
        }
        let stored = if p.rows.is_empty() {
            p.n_features
        } else if p.rows.len() == p.n_features {
            p.weights.len().checked_div(p.n_outputs).unwrap_or(0)
        } else {
            return Err(format!(
                "a row map of {} entries for {} features",
                p.rows.len(),
                p.n_features
            ));
        };
        if stored.checked_mul(p.n_outputs) != Some(p.weights.len()) {
            return Err(format!(
                "{} weights for {stored} stored features and {} outputs",
                p.weights.len(),
                p.n_outputs
            ));
        }
        let outside = |&&r: &&u32| r != ZERO_ROW && r as usize >= stored;
        if let Some(&r) = p.rows.iter().filter(|_| thorough()).find(outside) {
            return Err(format!("the row map points at row {r} of {stored}"));
        }
        Ok(LinearModel {
            n_features: p.n_features,
            n_outputs: p.n_outputs,
            weights: p.weights,
            rows: p.rows,
            intercepts: p.intercepts,
            link: p.link,
        })
    }
}

impl LinearModel {
    /// Builds a model from one `(weights, intercept)` pair per output, the weights in `f64` or `f32`
    /// ([`Weight`]). All weight vectors have the same length.
    pub fn from_rows<W: Weight>(rows: Vec<(Vec<W>, f64)>, link: Link) -> Self {
        let n_outputs = rows.len();
        let n_features = rows.first().map_or(0, |(w, _)| w.len());
        assert!(
            rows.iter().all(|(w, _)| w.len() == n_features),
            "weight vectors of different lengths"
        );
        let mut dense = vec![0f32; n_features * n_outputs];
        // Feature by feature, in parallel: each feature's row gathers one weight per output.
        dense
            .par_chunks_mut(n_outputs.max(1))
            .enumerate()
            .for_each(|(j, row)| {
                for (slot, (w, _)) in row.iter_mut().zip(&rows) {
                    *slot = w[j].to_f32();
                }
            });
        let intercepts = rows.iter().map(|&(_, b)| b as f32).collect();
        let (weights, rows) = compact(dense, n_outputs);
        LinearModel {
            n_features,
            n_outputs,
            weights: weights.into(),
            rows: rows.into(),
            intercepts,
            link,
        }
    }

    /// The weights of feature `j < n_features` (one per output), or `None` if they are all zero.
    #[inline]
    fn row(&self, j: usize) -> Option<&[f32]> {
        let r = match self.rows.get(j) {
            None => j,
            Some(&ZERO_ROW) => return None,
            Some(&r) => r as usize,
        };
        // Checked: a model loaded without thorough checks may map a feature outside the weights.
        self.weights
            .get(r * self.n_outputs..(r + 1) * self.n_outputs)
    }

    pub fn n_features(&self) -> usize {
        self.n_features
    }

    pub fn n_outputs(&self) -> usize {
        self.n_outputs
    }

    pub fn link(&self) -> Link {
        self.link
    }

    /// The weight of feature `j` for output `k`.
    pub fn weight(&self, j: usize, k: usize) -> f32 {
        assert!(j < self.n_features, "feature {j} of {}", self.n_features);
        self.row(j).map_or(0.0, |w| w[k])
    }

    pub fn intercept(&self, k: usize) -> f32 {
        self.intercepts[k]
    }

    /// Decision values of one row, written to `out` (length `n_outputs`). Features beyond the model's are ignored.
    pub fn decision(&self, x: SparseRow<'_>, out: &mut [f64]) {
        for (o, &b) in out.iter_mut().zip(&self.intercepts) {
            *o = b as f64;
        }
        for (&j, &v) in x.indices.iter().zip(x.values) {
            let j = j as usize;
            if j >= self.n_features {
                continue;
            }
            let Some(w) = self.row(j) else { continue };
            for (o, &wk) in out.iter_mut().zip(w) {
                *o += wk as f64 * v as f64;
            }
        }
    }

    /// Scores of one row: decision values passed through the link (probabilities, or margins for SVMs).
    pub fn scores(&self, x: SparseRow<'_>, out: &mut [f64]) {
        self.decision(x, out);
        match self.link {
            Link::Softmax => {
                let max = out.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let mut sum = 0.0;
                for o in out.iter_mut() {
                    *o = (*o - max).exp();
                    sum += *o;
                }
                out.iter_mut().for_each(|o| *o /= sum);
            }
            Link::Sigmoid => out.iter_mut().for_each(|o| *o = 1.0 / (1.0 + (-*o).exp())),
            Link::Margin => {}
        }
    }

    /// The highest-scoring output of each row.
    pub fn predict(&self, x: &CsrMatrix) -> Vec<usize> {
        (0..x.nrows())
            .into_par_iter()
            .map_init(
                || vec![0f64; self.n_outputs],
                |buf, i| {
                    self.decision(x.row(i), buf);
                    argmax(buf)
                },
            )
            .collect()
    }
}

/// A weight as a solver gives it, stored as `f32` in a [`LinearModel`].
pub trait Weight: Copy + Send + Sync {
    fn to_f32(self) -> f32;
}

impl Weight for f64 {
    #[inline]
    fn to_f32(self) -> f32 {
        self as f32
    }
}

/// For solvers that compute in `f32` (svm): their weights go into the model without a wider copy.
impl Weight for f32 {
    #[inline]
    fn to_f32(self) -> f32 {
        self
    }
}

/// Feature-major `dense` weights as stored: unchanged with an empty row map, or without their all-zero
/// rows and with a row map when that takes fewer bytes.
fn compact(dense: Vec<f32>, n_outputs: usize) -> (Vec<f32>, Vec<u32>) {
    if n_outputs == 0 {
        return (dense, Vec::new());
    }
    let n_features = dense.len() / n_outputs;
    let zero = dense
        .chunks_exact(n_outputs)
        .filter(|w| w.iter().all(|&v| v == 0.0))
        .count();
    // The map costs one u32 per feature; dropping the zero rows saves n_outputs f32 each.
    if zero * n_outputs <= n_features || n_features >= ZERO_ROW as usize {
        return (dense, Vec::new());
    }
    let mut weights = Vec::with_capacity((n_features - zero) * n_outputs);
    let rows = dense
        .chunks_exact(n_outputs)
        .map(|w| {
            if w.iter().all(|&v| v == 0.0) {
                ZERO_ROW
            } else {
                weights.extend_from_slice(w);
                (weights.len() / n_outputs - 1) as u32
            }
        })
        .collect();
    (weights, rows)
}

/// Index of the largest value (the first one on ties).
pub fn argmax(values: &[f64]) -> usize {
    let mut best = 0;
    for (k, &v) in values.iter().enumerate() {
        if v > values[best] {
            best = k;
        }
    }
    best
}

impl PredictInplace<CsrMatrix, Array1<usize>> for LinearModel {
    fn predict_inplace(&self, x: &CsrMatrix, y: &mut Array1<usize>) {
        for (slot, k) in y.iter_mut().zip(self.predict(x)) {
            *slot = k;
        }
    }

    fn default_target(&self, x: &CsrMatrix) -> Array1<usize> {
        Array1::zeros(x.nrows())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn decision_is_weights_dot_row_plus_intercept() {
        let m = LinearModel::from_rows(
            vec![(vec![1.0, 2.0], 0.5), (vec![-1.0, 0.0], 0.0)],
            Link::Margin,
        );
        let x = CsrMatrix::from_dense(&array![[3.0, 1.0], [0.0, 0.0]]);
        let mut out = [0.0; 2];
        m.decision(x.row(0), &mut out);
        assert_eq!(out, [5.5, -3.0]);
        assert_eq!(m.predict(&x), vec![0, 0]);
        assert_eq!(m.weight(1, 0), 2.0);
    }

    #[test]
    fn softmax_scores_sum_to_one_and_keep_order() {
        let m = LinearModel::from_rows(
            vec![(vec![1.0], 0.0), (vec![2.0], 0.0), (vec![0.0], 0.0)],
            Link::Softmax,
        );
        let x = CsrMatrix::from_dense(&array![[1.0]]);
        let mut out = [0.0; 3];
        m.scores(x.row(0), &mut out);
        assert!((out.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(out[1] > out[0] && out[0] > out[2]);
    }

    fn mostly_zero() -> LinearModel {
        // Features 1, 2 and 4 have no non-zero weight in any output.
        let w = |v: [f64; 5]| v.to_vec();
        LinearModel::from_rows(
            vec![
                (w([1.0, 0.0, 0.0, -2.0, 0.0]), 0.25),
                (w([0.0, 0.0, 0.0, 3.0, 0.0]), -0.5),
            ],
            Link::Margin,
        )
    }

    #[test]
    fn zero_rows_are_dropped_when_that_is_smaller_and_scores_do_not_change() {
        let m = mostly_zero();
        assert_eq!(m.weights.len(), 4, "two stored rows of two outputs");
        assert_eq!(&m.rows[..], &[0, ZERO_ROW, ZERO_ROW, 1, ZERO_ROW]);
        assert_eq!(
            (m.weight(0, 0), m.weight(3, 1), m.weight(2, 1)),
            (1.0, 3.0, 0.0)
        );
        let x = CsrMatrix::from_dense(&array![[1.0, 5.0, 5.0, 2.0, 5.0]]);
        let mut out = [0.0; 2];
        m.decision(x.row(0), &mut out);
        assert_eq!(out, [0.25 + 1.0 - 4.0, -0.5 + 6.0]);

        // One zero row of five saves less than the map costs: stored dense.
        let dense = LinearModel::from_rows(
            vec![
                (vec![1.0, 0.0, 2.0, 3.0, 4.0], 0.0),
                (vec![1.0, 0.0, 2.0, 3.0, 4.0], 0.0),
            ],
            Link::Margin,
        );
        assert!(dense.rows.is_empty());
        assert_eq!(dense.weights.len(), 10);
    }

    #[test]
    fn a_model_file_with_inconsistent_weights_is_refused() {
        let m = mostly_zero();
        let path = std::path::Path::new("m.detente");
        let round = crate::format::decode::<LinearModel>(crate::format::encode(&m).unwrap(), path);
        assert_eq!(round.unwrap(), m);
        let parts = |weights: Vec<f32>, rows: Vec<u32>, intercepts: Vec<f32>| Parts {
            n_features: 5,
            n_outputs: 2,
            weights: weights.into(),
            rows: rows.into(),
            intercepts,
            link: Link::Margin,
        };
        let err = |p: Parts| LinearModel::try_from(p).unwrap_err();
        assert!(err(parts(vec![0.0; 9], vec![], vec![0.0; 2])).contains("9 weights"));
        assert!(err(parts(vec![0.0; 10], vec![], vec![0.0; 3])).contains("3 intercepts"));
        assert!(err(parts(vec![0.0; 4], vec![0, 1], vec![0.0; 2])).contains("row map of 2"));
        let far = vec![0, 1, ZERO_ROW, 2, ZERO_ROW];
        assert!(err(parts(vec![0.0; 4], far, vec![0.0; 2])).contains("row 2 of 2"));
    }
}
