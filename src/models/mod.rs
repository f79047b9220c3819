//! Classifiers on sparse rows.
//!
//! Every algorithm fits a [`LinearModel`]: one weight vector and intercept per output, and a [`Link`] that
//! turns decision values into scores. Prediction is therefore one code path for all of them; the algorithm
//! only matters at fit time, and [`ModelParams::fit_multiclass`] / [`ModelParams::fit_multilabel`] are the
//! one place where it is chosen.
//!
//! | algorithm | what | scores |
//! |---|---|---|
//! | `logreg` | multinomial logistic regression, L2 (L-BFGS) | class probabilities (softmax) |
//! | `svm` | linear SVM, squared hinge loss, L2, one-vs-rest (dual coordinate descent, as LIBLINEAR) | decision values (margins) |
//! | `nb` | multinomial naive Bayes | class probabilities |
//! | `cnb` | complement naive Bayes | normalized complement log-likelihoods |
//! | `linfa-logistic` | linfa-logistic's multinomial regression on a dense, capped feature subset (reference) | class probabilities |
//!
//! Multi-label heads fit one binary model per label (one-vs-rest) and predict every label whose score passes
//! [`Link::threshold`].

pub mod linear;
pub mod linfa_ref;
pub mod logistic;
pub mod naive_bayes;
pub mod svm;
pub mod threshold;

pub use linear::{LinearModel, Link};
pub use threshold::ThresholdRule;

use crate::error::{Error, Result};
use crate::sparse::CsrMatrix;
use ndarray::Array1;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The model types detente can fit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Algorithm {
    LogReg,
    Svm,
    Nb,
    Cnb,
    LinfaLogistic,
}

impl Algorithm {
    /// All algorithms, in the order benchmarks list them.
    pub const ALL: [Algorithm; 5] = [
        Algorithm::LogReg,
        Algorithm::Svm,
        Algorithm::Nb,
        Algorithm::Cnb,
        Algorithm::LinfaLogistic,
    ];

    /// The name used on the command line and in model files.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::LogReg => "logreg",
            Algorithm::Svm => "svm",
            Algorithm::Nb => "nb",
            Algorithm::Cnb => "cnb",
            Algorithm::LinfaLogistic => "linfa-logistic",
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Algorithm {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Algorithm::ALL
            .into_iter()
            .find(|a| a.name() == s)
            .ok_or_else(|| Error::param("algorithm", s, "logreg, svm, nb, cnb or linfa-logistic"))
    }
}

/// Hyper-parameters of a classifier. Build with [`ModelParams::new`], which sets the algorithm's defaults.
///
/// | name | default | meaning | range |
/// |---|---|---|---|
/// | `c` | logreg 10, svm 1, linfa-logistic 10 | inverse L2 regularization strength | > 0 |
/// | `alpha` | nb 0.01, cnb 0.3 | additive (Lidstone) smoothing | > 0 |
/// | `max_iter` | logreg 200, svm 1000, linfa-logistic 100 | iteration cap of the solver | ≥ 1 |
/// | `tol` | logreg 1e-4, svm 0.1, linfa-logistic 1e-4 | stopping tolerance of the solver | > 0 |
/// | `dense_features` | 2000 | linfa-logistic only: features kept (highest document frequency) | ≥ 1 |
/// | `seed` | 42 | seeds every random choice (svm's coordinate order) | any |
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelParams {
    pub algorithm: Algorithm,
    pub c: f64,
    pub alpha: f64,
    pub max_iter: usize,
    pub tol: f64,
    pub dense_features: usize,
    pub seed: u64,
}

impl ModelParams {
    /// The defaults for `algorithm`.
    pub fn new(algorithm: Algorithm) -> Self {
        let (c, alpha, max_iter, tol) = match algorithm {
            Algorithm::LogReg => (10.0, 0.0, 200, 1e-4),
            Algorithm::Svm => (1.0, 0.0, 1000, 0.1),
            Algorithm::Nb => (0.0, 0.01, 0, 0.0),
            Algorithm::Cnb => (0.0, 0.3, 0, 0.0),
            Algorithm::LinfaLogistic => (10.0, 0.0, 100, 1e-4),
        };
        ModelParams {
            algorithm,
            c,
            alpha,
            max_iter,
            tol,
            dense_features: 2000,
            seed: 42,
        }
    }

    pub fn c(mut self, c: f64) -> Self {
        self.c = c;
        self
    }

    pub fn alpha(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
        self
    }

    pub fn max_iter(mut self, max_iter: usize) -> Self {
        self.max_iter = max_iter;
        self
    }

    pub fn tol(mut self, tol: f64) -> Self {
        self.tol = tol;
        self
    }

    pub fn dense_features(mut self, n: usize) -> Self {
        self.dense_features = n;
        self
    }

    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Checks every parameter the algorithm uses.
    pub fn check(&self) -> Result<()> {
        let positive = |name, v: f64| {
            if v > 0.0 && v.is_finite() {
                Ok(())
            } else {
                Err(Error::param(name, v, "a finite number > 0"))
            }
        };
        match self.algorithm {
            Algorithm::Nb | Algorithm::Cnb => positive("alpha", self.alpha),
            Algorithm::LogReg | Algorithm::Svm | Algorithm::LinfaLogistic => {
                positive("C", self.c)?;
                positive("tol", self.tol)?;
                if self.max_iter == 0 {
                    return Err(Error::param("max_iter", 0, "at least 1"));
                }
                if self.dense_features == 0 {
                    return Err(Error::param("dense_features", 0, "at least 1"));
                }
                Ok(())
            }
        }
    }

    /// Fits a single-label model: `y[i]` is the class (`0..n_classes`) of row `i`.
    pub fn fit_multiclass(
        &self,
        x: &CsrMatrix,
        y: &[u32],
        n_classes: usize,
    ) -> Result<LinearModel> {
        self.check()?;
        check_shapes(x, y.len(), n_classes)?;
        check_labels(y.iter(), n_classes)?;
        match self.algorithm {
            Algorithm::LogReg => logistic::fit_multinomial(x, y, n_classes, self),
            Algorithm::Svm => one_vs_rest(n_classes, Link::Margin, |c| {
                let target: Vec<bool> = y.iter().map(|&k| k as usize == c).collect();
                svm::fit_binary(x, &target, self)
            }),
            Algorithm::Nb => Ok(naive_bayes::fit_multinomial(x, y, n_classes, self.alpha)),
            Algorithm::Cnb => Ok(naive_bayes::fit_complement(x, y, n_classes, self.alpha)),
            Algorithm::LinfaLogistic => linfa_ref::fit_multiclass(x, y, n_classes, self),
        }
    }

    /// Fits a multi-label model: `y[i]` lists the classes of row `i` (possibly none). One binary model per class.
    pub fn fit_multilabel(
        &self,
        x: &CsrMatrix,
        y: &[Vec<u32>],
        n_classes: usize,
    ) -> Result<LinearModel> {
        self.check()?;
        check_shapes(x, y.len(), n_classes)?;
        check_labels(y.iter().flatten(), n_classes)?;
        let link = match self.algorithm {
            Algorithm::Svm => Link::Margin,
            _ => Link::Sigmoid,
        };
        one_vs_rest(n_classes, link, |c| {
            let target: Vec<bool> = y
                .iter()
                .map(|labels| labels.contains(&(c as u32)))
                .collect();
            match self.algorithm {
                Algorithm::LogReg => logistic::fit_binary(x, &target, self),
                Algorithm::Svm => svm::fit_binary(x, &target, self),
                Algorithm::Nb => Ok(naive_bayes::fit_binary(x, &target, self.alpha, false)),
                Algorithm::Cnb => Ok(naive_bayes::fit_binary(x, &target, self.alpha, true)),
                Algorithm::LinfaLogistic => linfa_ref::fit_binary(x, &target, self),
            }
        })
    }
}

fn check_shapes(x: &CsrMatrix, n_targets: usize, n_classes: usize) -> Result<()> {
    if x.nrows() != n_targets {
        return Err(Error::param(
            "targets",
            n_targets,
            format!("one target per row ({} rows)", x.nrows()),
        ));
    }
    if x.nrows() == 0 {
        return Err(Error::param("rows", 0, "at least one training document"));
    }
    if n_classes < 2 {
        return Err(Error::param("classes", n_classes, "at least 2"));
    }
    Ok(())
}

fn check_labels<'a>(mut labels: impl Iterator<Item = &'a u32>, n_classes: usize) -> Result<()> {
    match labels.find(|&&k| k as usize >= n_classes) {
        Some(&k) => Err(Error::param(
            "class",
            k,
            format!("a class id below {n_classes}"),
        )),
        None => Ok(()),
    }
}

/// A binary model: weights over the features and an intercept. Positive decision values mean "in the class".
pub type Binary = (Vec<f64>, f64);

/// Fits one binary model per class in parallel; the result does not depend on the number of threads.
fn one_vs_rest<F>(n_classes: usize, link: Link, fit: F) -> Result<LinearModel>
where
    F: Fn(usize) -> Result<Binary> + Sync + Send,
{
    let per_class = (0..n_classes)
        .into_par_iter()
        .map(fit)
        .collect::<Result<Vec<Binary>>>()?;
    Ok(LinearModel::from_rows(per_class, link))
}

/// linfa's `Fit` for single-label targets: `ModelParams` on a sparse dataset gives a [`LinearModel`].
impl linfa::traits::Fit<CsrMatrix, Array1<usize>, Error> for ModelParams {
    type Object = LinearModel;

    fn fit(&self, dataset: &linfa::DatasetBase<CsrMatrix, Array1<usize>>) -> Result<LinearModel> {
        let y: Vec<u32> = dataset.targets.iter().map(|&k| k as u32).collect();
        let n_classes = y.iter().max().map_or(0, |&m| m as usize + 1);
        self.fit_multiclass(&dataset.records, &y, n_classes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use linfa::prelude::*;
    use ndarray::array;

    #[test]
    fn models_fit_and_predict_through_linfa_traits() {
        let x = CsrMatrix::from_dense(&array![
            [1.0, 0.0, 0.0],
            [0.9, 0.1, 0.0],
            [0.0, 1.0, 0.0],
            [0.1, 0.9, 0.0],
            [0.0, 0.0, 1.0],
            [0.0, 0.1, 0.9]
        ]);
        let dataset = DatasetBase::new(x, array![0usize, 0, 1, 1, 2, 2]);
        for algorithm in Algorithm::ALL {
            let model = ModelParams::new(algorithm)
                .dense_features(3)
                .fit(&dataset)
                .unwrap();
            // Qualified: the inherent `LinearModel::predict` on a bare matrix would shadow the trait method.
            let predicted: Array1<usize> = Predict::predict(&model, &dataset);
            assert_eq!(predicted, dataset.targets, "{algorithm}");
        }
    }
}
