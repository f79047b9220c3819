//! The fitted form of every detente classifier: a linear function of the sparse features per output.

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
/// Weights are stored feature-major (`weights[j * n_outputs + k]`), so scoring a sparse row reads one
/// contiguous block of `n_outputs` weights per stored feature.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LinearModel {
    n_features: usize,
    n_outputs: usize,
    weights: Vec<f32>,
    intercepts: Vec<f32>,
    link: Link,
}

impl LinearModel {
    /// Builds a model from one `(weights, intercept)` pair per output. All weight vectors have the same length.
    pub fn from_rows(rows: Vec<(Vec<f64>, f64)>, link: Link) -> Self {
        let n_outputs = rows.len();
        let n_features = rows.first().map_or(0, |(w, _)| w.len());
        let mut weights = vec![0f32; n_features * n_outputs];
        for (k, (w, _)) in rows.iter().enumerate() {
            assert_eq!(w.len(), n_features, "weight vectors of different lengths");
            for (j, &v) in w.iter().enumerate() {
                weights[j * n_outputs + k] = v as f32;
            }
        }
        let intercepts = rows.iter().map(|&(_, b)| b as f32).collect();
        LinearModel {
            n_features,
            n_outputs,
            weights,
            intercepts,
            link,
        }
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
        self.weights[j * self.n_outputs + k]
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
            let w = &self.weights[j * self.n_outputs..(j + 1) * self.n_outputs];
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
}
