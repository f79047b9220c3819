//! Linear support vector machine: L2-regularized squared hinge loss, solved by dual coordinate descent.
//!
//! This is the `svm` algorithm, the model of scikit-learn's `LinearSVC` with its defaults
//! (`penalty='l2', loss='squared_hinge', dual=True, intercept_scaling=1`) and of LIBLINEAR's `-s 1 -B 1`.
//!
//! # Objective
//!
//! With labels `y_i ∈ {−1, +1}` and every row extended by a constant feature of value 1, so that
//! `x̄_i = [x_i, 1]` and `w̄ = [w, b]` (the intercept `b` is regularized like any weight, as LIBLINEAR's bias):
//!
//! ```text
//! primal:  min_w̄  ½‖w̄‖² + C Σ_i max(0, 1 − y_i w̄ᵀx̄_i)²
//! dual:    min_α  ½ αᵀQ̄α − Σ_i α_i   subject to 0 ≤ α_i ≤ U
//!          Q̄ = Q + D,  Q_ij = y_i y_j x̄_iᵀx̄_j,  D_ii = 1/(2C),  U = ∞
//! ```
//!
//! The hinge loss (`max(0, 1 − y_i w̄ᵀx̄_i)`, not squared) is the same dual with `D_ii = 0` and `U = C`;
//! [`fit_binary_with_loss`] offers it.
//!
//! Weighted rows ([`fit_binary_weighted`], for class weights) replace `C` by `C_i = C · s_i` in row `i`'s
//! loss term, hence in its `D_ii` or `U_i`, as LIBLINEAR does for its per-class weights.
//!
//! # Solver
//!
//! Dual coordinate descent (Hsieh, Chang, Lin, Keerthi, Sundararajan, 2008, "A Dual Coordinate Descent
//! Method for Large-scale Linear SVM"). It keeps `w̄ = Σ_i α_i y_i x̄_i`, so that the partial gradient
//! `G_i = y_i w̄ᵀx̄_i − 1 + D_ii α_i` costs one sparse dot product, and minimizes the dual exactly in one
//! coordinate at a time: `α_i ← min(max(α_i − G_i / Q̄_ii, 0), U)`, then `w̄ += (α_i_new − α_i_old) y_i x̄_i`.
//!
//! - Every outer iteration visits the active coordinates in a fresh random order, drawn from a
//!   `ChaCha8Rng` seeded with [`ModelParams::seed`](super::ModelParams), so a fit is deterministic.
//! - It stops when the projected gradients `PG_i` of one pass all lie within `tol` of each other
//!   (`max PG − min PG ≤ tol`) over the full set of coordinates, or after `max_iter` passes.
//! - Shrinking: a coordinate stuck at a bound whose gradient pushes it further out (`α_i = 0` and
//!   `G_i > max PG` of the previous pass, or `α_i = U` and `G_i < min PG`) is dropped from the passes.
//!   Once the remaining ones converge, all coordinates are restored and checked again, so shrinking changes
//!   the speed, not the answer.

use super::{Binary, ModelParams};
use crate::error::{Error, Result};
use crate::sparse::CsrMatrix;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

/// The loss of a linear SVM.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Loss {
    /// `max(0, 1 − y wᵀx)²`: the default, differentiable, as `LinearSVC(loss='squared_hinge')`.
    SquaredHinge,
    /// `max(0, 1 − y wᵀx)`: the classic SVM, as `LinearSVC(loss='hinge')`.
    Hinge,
}

/// Fits a squared-hinge linear SVM separating the rows with `y[i] == true` (label +1) from the others (−1).
///
/// Returns the weights over `x`'s columns and the intercept. Uses `p.c`, `p.tol`, `p.max_iter` and `p.seed`.
pub fn fit_binary(x: &CsrMatrix, y: &[bool], p: &ModelParams) -> Result<Binary> {
    fit_binary_with_loss(x, y, p, Loss::SquaredHinge)
}

/// [`fit_binary`] with a weight per row: row `i`'s loss term is multiplied by `weights[i]` (so its `C`
/// becomes `C · weights[i]`); `None` weighs every row 1.
pub fn fit_binary_weighted(
    x: &CsrMatrix,
    y: &[bool],
    weights: Option<&[f64]>,
    p: &ModelParams,
) -> Result<Binary> {
    solve(x, y, weights, p, Loss::SquaredHinge)
}

/// [`fit_binary`] with a choice of loss.
pub fn fit_binary_with_loss(
    x: &CsrMatrix,
    y: &[bool],
    p: &ModelParams,
    loss: Loss,
) -> Result<Binary> {
    solve(x, y, None, p, loss)
}

fn solve(
    x: &CsrMatrix,
    y: &[bool],
    weights: Option<&[f64]>,
    p: &ModelParams,
    loss: Loss,
) -> Result<Binary> {
    if !(p.c > 0.0 && p.c.is_finite()) {
        return Err(Error::param("C", p.c, "a finite number > 0"));
    }
    if !(p.tol > 0.0 && p.tol.is_finite()) {
        return Err(Error::param("tol", p.tol, "a finite number > 0"));
    }
    if y.len() != x.nrows() {
        return Err(Error::param(
            "targets",
            y.len(),
            format!("one target per row ({} rows)", x.nrows()),
        ));
    }
    if let Some(w) = weights {
        if w.len() != y.len() {
            return Err(Error::param(
                "row weights",
                w.len(),
                format!("one weight per row ({} rows)", y.len()),
            ));
        }
        if let Some(bad) = w.iter().find(|v| !(v.is_finite() && **v > 0.0)) {
            return Err(Error::param("row weight", bad, "a finite number > 0"));
        }
    }
    // Each row's C, and from it the diagonal term and upper bound of its dual variable.
    let row_c = |i: usize| weights.map_or(p.c, |w| p.c * w[i]);
    let (diag, upper): (Vec<f64>, Vec<f64>) = (0..x.nrows())
        .map(|i| match loss {
            Loss::SquaredHinge => (0.5 / row_c(i), f64::INFINITY),
            Loss::Hinge => (0.0, row_c(i)),
        })
        .unzip();

    let n = x.nrows();
    let ncols = x.ncols();
    // The last slot of `w` is the bias weight, whose feature is the constant 1.
    let mut w = vec![0f64; ncols + 1];
    let mut alpha = vec![0f64; n];
    let sign: Vec<f64> = y.iter().map(|&yi| if yi { 1.0 } else { -1.0 }).collect();
    let q_diag: Vec<f64> = x
        .rows()
        .zip(&diag)
        .map(|(r, d)| r.norm_sq() + 1.0 + d)
        .collect();
    let mut order: Vec<usize> = (0..n).collect();
    let mut active = n;
    let mut rng = ChaCha8Rng::seed_from_u64(p.seed);

    // Shrinking thresholds: the extreme projected gradients of the previous pass (±∞: shrink nothing).
    let mut pg_max_old = f64::INFINITY;
    let mut pg_min_old = f64::NEG_INFINITY;

    for _ in 0..p.max_iter {
        order[..active].shuffle(&mut rng);
        let mut pg_max = f64::NEG_INFINITY;
        let mut pg_min = f64::INFINITY;

        let mut s = 0;
        while s < active {
            let i = order[s];
            let row = x.row(i);
            let yi = sign[i];
            let (feat_w, bias_w) = w.split_at_mut(ncols);
            let g = yi * (row.dot(feat_w) + bias_w[0]) - 1.0 + diag[i] * alpha[i];

            let pg = if alpha[i] == 0.0 {
                if g > pg_max_old {
                    active -= 1;
                    order.swap(s, active);
                    continue;
                }
                g.min(0.0)
            } else if alpha[i] >= upper[i] {
                if g < pg_min_old {
                    active -= 1;
                    order.swap(s, active);
                    continue;
                }
                g.max(0.0)
            } else {
                g
            };
            pg_max = pg_max.max(pg);
            pg_min = pg_min.min(pg);

            // A zero projected gradient means the coordinate is already optimal.
            if pg.abs() > 1e-12 {
                let old = alpha[i];
                alpha[i] = (old - g / q_diag[i]).max(0.0).min(upper[i]);
                let step = (alpha[i] - old) * yi;
                for (&j, &v) in row.indices.iter().zip(row.values) {
                    feat_w[j as usize] += step * v as f64;
                }
                bias_w[0] += step;
            }
            s += 1;
        }

        if pg_max - pg_min <= p.tol {
            if active == n {
                break;
            }
            // The shrunk problem has converged: check every coordinate again before stopping.
            active = n;
            pg_max_old = f64::INFINITY;
            pg_min_old = f64::NEG_INFINITY;
            continue;
        }
        // A threshold on the wrong side of zero would shrink coordinates that still have to move.
        pg_max_old = if pg_max <= 0.0 { f64::INFINITY } else { pg_max };
        pg_min_old = if pg_min >= 0.0 {
            f64::NEG_INFINITY
        } else {
            pg_min
        };
    }

    let b = w.pop().unwrap_or(0.0);
    Ok((w, b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::Algorithm;
    use ndarray::array;

    fn params() -> ModelParams {
        ModelParams::new(Algorithm::Svm)
    }

    fn decision(x: &CsrMatrix, (w, b): &Binary) -> Vec<f64> {
        x.rows().map(|r| r.dot(w) + b).collect()
    }

    /// A small non-separable problem: 8 rows, 4 features, values exactly representable in f32.
    fn small_problem() -> (CsrMatrix, Vec<bool>) {
        let x = CsrMatrix::from_dense(&array![
            [1.0, 0.0, 0.5, 0.0],
            [0.75, 0.25, 0.0, 0.0],
            [0.0, 1.0, 0.0, 0.5],
            [0.0, 0.5, 0.25, 1.0],
            [0.5, 0.5, 0.0, 0.0],
            [0.0, 0.0, 1.0, 0.25],
            [1.0, 0.0, 0.0, 1.0],
            [0.25, 0.0, 0.75, 0.0],
        ]);
        let y = vec![true, true, false, false, true, false, false, true];
        (x, y)
    }

    #[test]
    fn matches_sklearn_linear_svc_on_a_small_problem() {
        // Computed with scikit-learn 1.9.1:
        //   X = [[1,0,.5,0],[.75,.25,0,0],[0,1,0,.5],[0,.5,.25,1],[.5,.5,0,0],[0,0,1,.25],[1,0,0,1],[.25,0,.75,0]]
        //   y = [1,1,0,0,1,0,0,1]
        //   m = LinearSVC(C=1.0, tol=1e-8, max_iter=100000, intercept_scaling=1, dual=True).fit(X, y)
        //   m.coef_, m.intercept_
        let expected_w = [
            0.6914198556574233,
            -0.1225833760556106,
            -0.17350422597368578,
            -1.5287148912968784,
        ];
        let expected_b = 0.24802493032744533;
        let (x, y) = small_problem();
        let p = params().c(1.0).tol(1e-8).max_iter(100_000);
        let (w, b) = fit_binary(&x, &y, &p).unwrap();
        for (got, want) in w.iter().zip(expected_w) {
            assert!((got - want).abs() < 1e-6, "w = {w:?}, want {expected_w:?}");
        }
        assert!((b - expected_b).abs() < 1e-6, "b = {b}, want {expected_b}");
    }

    #[test]
    fn row_weights_match_sklearn_class_weights() {
        // scikit-learn 1.9.1, on small_problem():
        //   LinearSVC(C=1.0, tol=1e-8, max_iter=100000, intercept_scaling=1, dual=True,
        //             class_weight={0: 1.0, 1: 3.0}).fit(X, y)
        // With two classes every row's C is C times its class's weight, as here.
        let expected_w = [
            0.6923338466674911,
            -0.13573439115412206,
            -0.07895981474413659,
            -1.76032886675242,
        ];
        let expected_b = 0.4776396407692328;
        let (x, y) = small_problem();
        let weights: Vec<f64> = y.iter().map(|&t| if t { 3.0 } else { 1.0 }).collect();
        let p = params().c(1.0).tol(1e-8).max_iter(100_000);
        let (w, b) = fit_binary_weighted(&x, &y, Some(&weights), &p).unwrap();
        for (got, want) in w.iter().zip(expected_w) {
            assert!((got - want).abs() < 1e-6, "w = {w:?}, want {expected_w:?}");
        }
        assert!((b - expected_b).abs() < 1e-6, "b = {b}, want {expected_b}");
        // Unit weights are no weights, to the bit.
        let ones = vec![1.0; y.len()];
        assert_eq!(
            fit_binary_weighted(&x, &y, Some(&ones), &p).unwrap(),
            fit_binary(&x, &y, &p).unwrap()
        );
        assert!(fit_binary_weighted(&x, &y, Some(&ones[1..]), &p).is_err());
        assert!(fit_binary_weighted(&x, &y, Some(&[0.0; 8]), &p).is_err());
    }

    #[test]
    fn separable_data_is_classified_perfectly() {
        let x = CsrMatrix::from_dense(&array![
            [2.0, 0.0, 0.1],
            [1.5, 0.2, 0.0],
            [1.0, 0.0, 0.3],
            [0.0, 2.0, 0.1],
            [0.1, 1.5, 0.0],
            [0.0, 1.0, 0.2],
        ]);
        let y = [true, true, true, false, false, false];
        let model = fit_binary(&x, &y, &params()).unwrap();
        for (d, &yi) in decision(&x, &model).iter().zip(&y) {
            assert_eq!(*d > 0.0, yi, "decision {d} for a row labelled {yi}");
        }
    }

    #[test]
    fn same_seed_gives_identical_weights() {
        let (x, y) = small_problem();
        let p = params().tol(1e-3).seed(7);
        let a = fit_binary(&x, &y, &p).unwrap();
        let b = fit_binary(&x, &y, &p).unwrap();
        assert_eq!(a, b);
        // Another seed visits coordinates in another order but reaches the same optimum.
        let c = fit_binary(&x, &y, &p.clone().seed(8).tol(1e-8).max_iter(100_000)).unwrap();
        let d = fit_binary(&x, &y, &p.clone().tol(1e-8).max_iter(100_000)).unwrap();
        for (u, v) in c.0.iter().zip(&d.0) {
            assert!((u - v).abs() < 1e-6);
        }
    }

    #[test]
    fn empty_row_and_all_negative_target_do_not_panic() {
        let x = CsrMatrix::from_dense(&array![[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]);
        let (w, b) = fit_binary(&x, &[false, false, false], &params()).unwrap();
        assert!(w.iter().all(|v| v.is_finite()) && b < 0.0);
        let model = fit_binary(&x, &[true, false, true], &params()).unwrap();
        assert!(decision(&x, &model).iter().all(|d| d.is_finite()));
    }

    #[test]
    fn hinge_loss_separates_separable_data() {
        let x = CsrMatrix::from_dense(&array![[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.8]]);
        let y = [true, true, false, false];
        let model = fit_binary_with_loss(&x, &y, &params().c(10.0), Loss::Hinge).unwrap();
        for (d, &yi) in decision(&x, &model).iter().zip(&y) {
            assert_eq!(*d > 0.0, yi);
        }
    }

    #[test]
    fn rejects_non_positive_c() {
        let (x, y) = small_problem();
        assert!(fit_binary(&x, &y, &params().c(0.0)).is_err());
        assert!(fit_binary(&x, &y[1..], &params()).is_err());
    }
}
