//! The reference model: linfa-logistic's logistic regression on a dense subset of the features.
//!
//! linfa-logistic 0.8.1 minimizes (`logistic_loss` / `multi_logistic_loss` in its source)
//!
//! ```text
//! g(W, b) = Σᵢ ℓ(W xᵢ + b, yᵢ) + (α/2) ‖W‖²        (intercept not penalized)
//! ```
//!
//! with the same per-row losses as [`super::logistic`]. detente's objective `½‖W‖² + C Σᵢ ℓ` is `C·g`
//! with `α = 1/C`, so both have the same minimizer and `C` keeps its meaning across algorithms.
//!
//! linfa-logistic only takes dense arrays, so the model sees the `dense_features` columns with the
//! highest document frequency (ties: lower column id first), and fewer when the dense matrix
//! would pass [`DENSE_BYTES`]. Every other feature gets weight zero. Parameters (see [`ModelParams`]):
//! `c`, `max_iter` (linfa's `max_iterations`), `tol` (linfa's `gradient_tolerance`, a bound on the
//! L2 norm of the gradient of `g`), `dense_features`.

use super::{Binary, LinearModel, Link, ModelParams};
use crate::error::{Error, Result};
use crate::sparse::CsrMatrix;
use linfa::DatasetBase;
use linfa::traits::Fit;
use linfa_logistic::{LogisticRegression, MultiLogisticRegression};
use ndarray::Array1;

/// Largest dense matrix built for linfa-logistic (2 GiB of `f64`); beyond it fewer columns are kept.
pub const DENSE_BYTES: usize = 2 << 30;

/// Margin by which a class without training rows stays below every other class's intercept, so that
/// its probability is below `e⁻³⁰` of theirs: linfa never sees that class and has no weights for it.
const ABSENT_CLASS_MARGIN: f64 = 30.0;

/// Fits linfa-logistic's multinomial regression; `y[i]` is the class (`0..n_classes`) of row `i`.
pub fn fit_multiclass(
    x: &CsrMatrix,
    y: &[u32],
    n_classes: usize,
    p: &ModelParams,
) -> Result<LinearModel> {
    check_targets(x, y.len())?;
    if let Some(&bad) = y.iter().find(|&&k| k as usize >= n_classes) {
        return Err(Error::param(
            "class id",
            bad,
            format!("below the number of classes ({n_classes})"),
        ));
    }
    let columns = dense_columns(x, p.dense_features);
    let dataset = DatasetBase::new(
        x.to_dense(Some(&columns)),
        y.iter().map(|&k| k as usize).collect::<Array1<usize>>(),
    );
    let fitted = MultiLogisticRegression::default()
        .alpha(1.0 / p.c)
        .max_iterations(p.max_iter as u64)
        .gradient_tolerance(p.tol)
        .fit(&dataset)
        .map_err(linfa_error)?;

    // linfa numbers the classes it saw in sorted order: column `m` of its parameters is class
    // `fitted.classes()[m]` in ours.
    let (params, intercepts) = (fitted.params(), fitted.intercept());
    let mut rows = vec![(vec![0.0; x.ncols()], f64::NAN); n_classes];
    for (m, &class) in fitted.classes().iter().enumerate() {
        let (w, b) = &mut rows[class];
        for (&j, &v) in columns.iter().zip(params.column(m)) {
            w[j as usize] = v;
        }
        *b = intercepts[m];
    }
    let lowest = intercepts.iter().copied().fold(f64::INFINITY, f64::min);
    for (_, b) in rows.iter_mut().filter(|(_, b)| b.is_nan()) {
        *b = if lowest.is_finite() { lowest } else { 0.0 } - ABSENT_CLASS_MARGIN;
    }
    Ok(LinearModel::from_rows(rows, Link::Softmax))
}

/// Fits linfa-logistic's binary regression: positive decision values mean `y[i] == true`.
///
/// When every row has the same label, linfa-logistic refuses to fit; the model is then constant,
/// with the smoothed base rate `(n_pos + ½) / (n + 1)` as its probability.
pub fn fit_binary(x: &CsrMatrix, y: &[bool], p: &ModelParams) -> Result<Binary> {
    check_targets(x, y.len())?;
    let n_pos = y.iter().filter(|&&t| t).count();
    if n_pos == 0 || n_pos == y.len() {
        let rate = (n_pos as f64 + 0.5) / (y.len() as f64 + 1.0);
        return Ok((vec![0.0; x.ncols()], (rate / (1.0 - rate)).ln()));
    }
    let columns = dense_columns(x, p.dense_features);
    let dataset = DatasetBase::new(
        x.to_dense(Some(&columns)),
        y.iter().copied().collect::<Array1<bool>>(),
    );
    let fitted = LogisticRegression::default()
        .alpha(1.0 / p.c)
        .max_iterations(p.max_iter as u64)
        .gradient_tolerance(p.tol)
        .fit(&dataset)
        .map_err(linfa_error)?;

    // linfa's decision value is positive for its `pos` class, which is whichever label was more
    // frequent, not necessarily `true`.
    let sign = if fitted.labels().pos.class { 1.0 } else { -1.0 };
    let mut w = vec![0.0; x.ncols()];
    for (&j, &v) in columns.iter().zip(fitted.params()) {
        w[j as usize] = sign * v;
    }
    Ok((w, sign * fitted.intercept()))
}

fn check_targets(x: &CsrMatrix, n_targets: usize) -> Result<()> {
    if x.nrows() != n_targets {
        return Err(Error::param(
            "targets",
            n_targets,
            format!("one target per row ({} rows)", x.nrows()),
        ));
    }
    Ok(())
}

/// The columns given to linfa: the `wanted` ones with the highest document frequency (ties: lower id
/// first), capped so that the dense matrix stays within [`DENSE_BYTES`], returned in increasing order.
fn dense_columns(x: &CsrMatrix, wanted: usize) -> Vec<u32> {
    let mut df = vec![0usize; x.ncols()];
    for row in x.rows() {
        for &j in row.indices {
            df[j as usize] += 1;
        }
    }
    let affordable = (DENSE_BYTES / (8 * x.nrows().max(1))).max(1);
    let mut order: Vec<u32> = (0..x.ncols() as u32).collect();
    order.sort_by_key(|&j| (std::cmp::Reverse(df[j as usize]), j));
    order.truncate(wanted.min(affordable));
    order.sort_unstable();
    order
}

/// linfa-logistic's own error type carries no row or field; keep its message and say where it came from.
fn linfa_error(e: linfa_logistic::error::Error) -> Error {
    use linfa_logistic::error::Error as E;
    match e {
        E::LinfaError(inner) => Error::Linfa(inner),
        E::ArgMinError(inner) => Error::Linfa(linfa::Error::NotConverged(format!(
            "linfa-logistic's L-BFGS solver failed: {inner}"
        ))),
        other => Error::Linfa(linfa::Error::Parameters(format!("linfa-logistic: {other}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{Algorithm, logistic};
    use ndarray::array;

    fn params() -> ModelParams {
        ModelParams::new(Algorithm::LinfaLogistic)
            .c(1.0)
            .tol(1e-8)
            .max_iter(1000)
    }

    #[test]
    fn dense_columns_prefer_frequent_then_lower_ids() {
        let x = CsrMatrix::from_dense(&array![
            [0.0, 1.0, 0.0, 1.0, 1.0],
            [0.0, 1.0, 1.0, 0.0, 1.0],
            [1.0, 1.0, 0.0, 0.0, 0.0]
        ]);
        // Document frequencies: 1, 3, 1, 1, 2.
        assert_eq!(dense_columns(&x, 2), vec![1, 4]);
        assert_eq!(dense_columns(&x, 3), vec![0, 1, 4]);
        assert_eq!(dense_columns(&x, 99).len(), 5);
    }

    /// Here `true` is the minority label, so linfa's positive class is `false` and its weights
    /// must be negated.
    #[test]
    fn binary_sign_follows_true_labels() {
        let x = CsrMatrix::from_dense(&array![
            [1.0, 0.0],
            [0.5, 1.5],
            [0.0, 1.0],
            [2.0, 0.25],
            [0.0, 2.0],
            [0.25, 1.0]
        ]);
        let y = [true, false, false, true, false, false];
        let (w, b) = fit_binary(&x, &y, &params()).unwrap();
        let (w_ours, b_ours) = logistic::fit_binary(&x, &y, &params().tol(1e-10)).unwrap();
        for (a, o) in w.iter().zip(&w_ours) {
            assert!((a - o).abs() < 1e-4, "{w:?} vs {w_ours:?}");
        }
        assert!((b - b_ours).abs() < 1e-4, "{b} vs {b_ours}");
        assert!(w[0] > 0.0);
    }

    #[test]
    fn a_class_without_rows_gets_zero_weights_and_is_never_predicted() {
        let x = CsrMatrix::from_dense(&array![[1.0, 0.0], [0.0, 1.0], [1.5, 0.25], [0.25, 2.0]]);
        let m = fit_multiclass(&x, &[0, 2, 0, 2], 3, &params()).unwrap();
        assert_eq!(m.predict(&x), vec![0, 2, 0, 2]);
        assert_eq!((m.weight(0, 1), m.weight(1, 1)), (0.0, 0.0));
        assert!(m.intercept(1) < m.intercept(0) - 10.0);
    }

    #[test]
    fn binary_with_a_single_label_is_a_constant_model() {
        let x = CsrMatrix::from_dense(&array![[1.0], [2.0], [0.0]]);
        let (w, b) = fit_binary(&x, &[false; 3], &params()).unwrap();
        assert_eq!(w, vec![0.0]);
        // Smoothed base rate 0.5 / 4.
        assert!((b - (0.125f64 / 0.875).ln()).abs() < 1e-12);
    }
}
