//! Naive Bayes on non-negative feature values (counts or TF-IDF): multinomial (`nb`) and complement (`cnb`).
//!
//! Both are linear in the features, so both fit a [`LinearModel`]; they follow scikit-learn's
//! `MultinomialNB(fit_prior=True)` and `ComplementNB(norm=False)`.
//!
//! # Multinomial (`nb`)
//!
//! With `N_cj = Σ_{i ∈ c} x_ij` the total of feature `j` over the rows of class `c`, `N_c = Σ_j N_cj`,
//! `n` features, `n_c` rows in class `c` out of `m`, and smoothing `α`:
//!
//! ```text
//! feature_log_prob[c][j] = ln((N_cj + α) / (N_c + α n))
//! class_log_prior[c]     = ln(n_c / m)
//! decision[c](x)         = Σ_j x_j feature_log_prob[c][j] + class_log_prior[c]
//! ```
//!
//! The decision values are the joint log-likelihoods; [`Link::Softmax`] turns them into the posterior
//! class probabilities (scikit-learn's `predict_proba`).
//!
//! # Complement (`cnb`)
//!
//! Each class is described by the feature totals of all *other* classes (Rennie et al., 2003):
//!
//! ```text
//! N̄_cj                   = Σ_{k ≠ c} N_kj
//! feature_log_prob[c][j] = −ln((N̄_cj + α) / Σ_l (N̄_cl + α))
//! decision[c](x)         = Σ_j x_j feature_log_prob[c][j]
//! ```
//!
//! A class scores high when the document is unlikely under its complement. There is no prior (scikit-learn
//! adds none when there are two classes or more). The scores are the softmax of the decision values, as
//! scikit-learn's `predict_proba`: normalized, not calibrated probabilities.
//!
//! # Binary heads
//!
//! [`fit_binary`] fits class-versus-rest as one linear function whose value is the log-odds
//! `ln P(in | x) / P(out | x)`: the "in" decision minus the "out" decision of a two-class model. For two
//! classes the complement of one class is the other, so complement NB's log-odds is multinomial NB's
//! without the prior term: `Σ_j x_j (ln θ_in,j − ln θ_out,j)`, with `θ_c,j = (N_cj + α) / (N_c + α n)`.
//!
//! # Edge cases
//!
//! - A class with no rows gets the log prior [`EMPTY_CLASS_LOG_PRIOR`] (`−1e30`) rather than `ln 0 = −∞`,
//!   in both variants: it is never predicted and gets probability 0, which is what scikit-learn does by
//!   never seeing the class, while every weight and score stays finite (and serializable). A binary head
//!   whose class has no rows thus has the intercept `−1e30`; one where every row is in the class, `+1e30`.
//! - `α` below `1e-10` is raised to `1e-10` (as scikit-learn without `force_alpha`), so logarithms stay finite.
//! - Feature values are expected to be non-negative; a negative total is treated as 0.
//! - Rows labelled `n_classes` or above are ignored: the caller validates labels.

use super::{Binary, LinearModel, Link};
use crate::sparse::CsrMatrix;

/// The log prior given to a class without training rows: far below any reachable decision value, yet finite.
pub const EMPTY_CLASS_LOG_PRIOR: f64 = -1e30;

/// The smallest smoothing used, so that `ln(N_cj + α)` stays finite.
const MIN_ALPHA: f64 = 1e-10;

/// Fits multinomial naive Bayes. `y[i]` is the class (`0..n_classes`) of row `i`.
pub fn fit_multinomial(x: &CsrMatrix, y: &[u32], n_classes: usize, alpha: f64) -> LinearModel {
    let alpha = alpha.max(MIN_ALPHA);
    let n_features = x.ncols() as f64;
    let (mut counts, rows_per_class) = feature_totals(x, y, n_classes);
    let n_rows: usize = rows_per_class.iter().sum();
    let rows = counts
        .iter_mut()
        .zip(&rows_per_class)
        .map(|(n_cj, &n_c)| {
            let denominator = (n_cj.iter().sum::<f64>() + alpha * n_features).ln();
            for v in n_cj.iter_mut() {
                *v = (*v + alpha).ln() - denominator;
            }
            (std::mem::take(n_cj), log_prior(n_c, n_rows))
        })
        .collect();
    LinearModel::from_rows(rows, Link::Softmax)
}

/// Fits complement naive Bayes. `y[i]` is the class (`0..n_classes`) of row `i`.
pub fn fit_complement(x: &CsrMatrix, y: &[u32], n_classes: usize, alpha: f64) -> LinearModel {
    let alpha = alpha.max(MIN_ALPHA);
    let n_features = x.ncols() as f64;
    let (mut counts, rows_per_class) = feature_totals(x, y, n_classes);
    let mut all = vec![0f64; x.ncols()];
    for n_cj in &counts {
        for (a, &v) in all.iter_mut().zip(n_cj) {
            *a += v;
        }
    }
    let total: f64 = all.iter().sum();
    let rows = counts
        .iter_mut()
        .zip(&rows_per_class)
        .map(|(n_cj, &n_c)| {
            let class_total: f64 = n_cj.iter().sum();
            let denominator = ((total - class_total).max(0.0) + alpha * n_features).ln();
            for (v, &a) in n_cj.iter_mut().zip(&all) {
                *v = denominator - ((a - *v).max(0.0) + alpha).ln();
            }
            let intercept = if n_c == 0 { EMPTY_CLASS_LOG_PRIOR } else { 0.0 };
            (std::mem::take(n_cj), intercept)
        })
        .collect();
    LinearModel::from_rows(rows, Link::Softmax)
}

/// Fits a two-class naive Bayes (rows with `y[i] == true` against the others) as the log-odds
/// `ln P(in | x) / P(out | x)`; positive means "in". `complement` chooses `cnb` over `nb`.
pub fn fit_binary(x: &CsrMatrix, y: &[bool], alpha: f64, complement: bool) -> Binary {
    let alpha = alpha.max(MIN_ALPHA);
    let n_features = x.ncols() as f64;
    let labels: Vec<u32> = y.iter().map(|&yi| u32::from(yi)).collect();
    let (mut counts, rows_per_class) = feature_totals(x, &labels, 2);
    let (out, inside) = counts.split_at_mut(1);
    let (out, inside) = (&out[0], &mut inside[0]);
    let den_in = (inside.iter().sum::<f64>() + alpha * n_features).ln();
    let den_out = (out.iter().sum::<f64>() + alpha * n_features).ln();
    for (w, &o) in inside.iter_mut().zip(out) {
        *w = ((*w + alpha).ln() - den_in) - ((o + alpha).ln() - den_out);
    }
    let (n_out, n_in) = (rows_per_class[0], rows_per_class[1]);
    let n_rows = n_out + n_in;
    let intercept = if n_in == 0 {
        EMPTY_CLASS_LOG_PRIOR
    } else if n_out == 0 {
        -EMPTY_CLASS_LOG_PRIOR
    } else if complement {
        0.0
    } else {
        log_prior(n_in, n_rows) - log_prior(n_out, n_rows)
    };
    (std::mem::take(inside), intercept)
}

/// `N_cj` for every class (one dense vector over the features each) and the number of rows of each class.
fn feature_totals(x: &CsrMatrix, y: &[u32], n_classes: usize) -> (Vec<Vec<f64>>, Vec<usize>) {
    let mut counts = vec![vec![0f64; x.ncols()]; n_classes];
    let mut rows_per_class = vec![0usize; n_classes];
    for (row, &c) in x.rows().zip(y) {
        let c = c as usize;
        let Some(n_cj) = counts.get_mut(c) else {
            continue;
        };
        rows_per_class[c] += 1;
        for (&j, &v) in row.indices.iter().zip(row.values) {
            n_cj[j as usize] += v as f64;
        }
    }
    for v in counts.iter_mut().flatten() {
        *v = v.max(0.0);
    }
    (counts, rows_per_class)
}

fn log_prior(n_c: usize, n_rows: usize) -> f64 {
    if n_c == 0 {
        EMPTY_CLASS_LOG_PRIOR
    } else {
        (n_c as f64 / n_rows as f64).ln()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    /// 6 documents × 5 features of small counts, 3 classes.
    fn corpus() -> (CsrMatrix, Vec<u32>) {
        let x = CsrMatrix::from_dense(&array![
            [2.0, 1.0, 0.0, 0.0, 1.0],
            [3.0, 0.0, 1.0, 0.0, 0.0],
            [0.0, 2.0, 0.0, 3.0, 0.0],
            [0.0, 1.0, 1.0, 2.0, 0.0],
            [1.0, 0.0, 0.0, 0.0, 4.0],
            [0.0, 0.0, 2.0, 1.0, 3.0],
        ]);
        (x, vec![0, 0, 1, 1, 2, 2])
    }

    /// Unseen documents to score; the last one is empty.
    fn queries() -> CsrMatrix {
        CsrMatrix::from_dense(&array![
            [1.0, 1.0, 0.0, 0.0, 0.0],
            [0.0, 0.0, 1.0, 1.0, 0.0],
            [0.0, 0.0, 0.0, 0.0, 2.0],
            [1.0, 0.0, 1.0, 1.0, 1.0],
            [0.0, 0.0, 0.0, 0.0, 0.0],
        ])
    }

    fn assert_close(got: f64, want: f64, tol: f64, what: &str) {
        assert!((got - want).abs() <= tol, "{what}: got {got}, want {want}");
    }

    fn check_model(
        model: &LinearModel,
        flp: &[[f64; 5]],
        probs: &[[f64; 3]],
        predictions: &[usize],
    ) {
        for (c, row) in flp.iter().enumerate() {
            for (j, &want) in row.iter().enumerate() {
                // Weights are stored as f32.
                assert_close(model.weight(j, c) as f64, want, 1e-6, "feature_log_prob");
            }
        }
        let q = queries();
        let mut out = [0.0; 3];
        for (i, want) in probs.iter().enumerate() {
            model.scores(q.row(i), &mut out);
            for (&got, &want) in out.iter().zip(want) {
                assert_close(got, want, 1e-6, "predict_proba");
            }
        }
        assert_eq!(model.predict(&q), predictions);
    }

    // Expected numbers computed with scikit-learn 1.9.1 on `corpus()` and `queries()` above:
    //   X = [[2,1,0,0,1],[3,0,1,0,0],[0,2,0,3,0],[0,1,1,2,0],[1,0,0,0,4],[0,0,2,1,3]]; y = [0,0,1,1,2,2]
    //   Q = [[1,1,0,0,0],[0,0,1,1,0],[0,0,0,0,2],[1,0,1,1,1],[0,0,0,0,0]]
    //   m = MultinomialNB(alpha=0.5).fit(X, y)   # and ComplementNB(alpha=0.5)
    //   m.feature_log_prob_, m.predict_proba(Q), m.predict(Q)
    // and for the binary heads (class 2 against the rest):
    //   MultinomialNB(alpha=0.5).fit(X, [int(c == 2) for c in y]).predict_proba(Q)[:, 1]   # and ComplementNB
    const MNB_FLP: [[f64; 5]; 3] = [
        [
            -0.6466271649250523,
            -1.9459101490553132,
            -1.9459101490553132,
            -3.044522437723423,
            -1.9459101490553132,
        ],
        [
            -3.1354942159291497,
            -1.1895840668738362,
            -2.0368819272610397,
            -0.737598943130779,
            -3.1354942159291497,
        ],
        [
            -2.197224577336219,
            -3.295836866004329,
            -1.6863989535702286,
            -2.197224577336219,
            -0.5877866649021191,
        ],
    ];
    const MNB_PROBA: [[f64; 3]; 5] = [
        [0.8118010571658381, 0.14355444025152905, 0.04464450258263304],
        [0.07578729538279226, 0.6949795272248113, 0.22923317739239635],
        [
            0.06166716797895353,
            0.005712081722058082,
            0.9326207502989884,
        ],
        [0.2683287079537621, 0.062160102167010976, 0.669511189879227],
        [0.3333333333333333, 0.3333333333333333, 0.3333333333333333],
    ];
    const CNB_FLP: [[f64; 5]; 3] = [
        [
            2.70805020110221,
            1.8607523407150064,
            1.8607523407150064,
            1.241713132308783,
            1.0986122886681098,
        ],
        [
            1.1962507582320256,
            2.662587827025453,
            1.8152899666382492,
            2.662587827025453,
            0.9279867716373464,
        ],
        [
            1.2656663733312759,
            1.466337068793427,
            2.0541237336955462,
            1.2656663733312759,
            2.5649493574615367,
        ],
    ];
    const CNB_PROBA: [[f64; 3]; 5] = [
        [0.6056977315749295, 0.2977985086334021, 0.09650375979166886],
        [0.16130449412545075, 0.6382347531347261, 0.20046075273982286],
        [
            0.04880749094593835,
            0.034696290180330644,
            0.9164962188737311,
        ],
        [
            0.33238979071705377,
            0.24451965870911085,
            0.42309055057383493,
        ],
        [0.3333333333333333, 0.3333333333333333, 0.3333333333333333],
    ];
    const PREDICTIONS: [usize; 5] = [0, 1, 2, 2, 0];
    const MNB_BINARY_PROBA: [f64; 5] = [
        0.030643699002719828,
        0.2214941022280473,
        0.963072714839298,
        0.44735185121372845,
        0.33333333333333337,
    ];
    const CNB_BINARY_PROBA: [f64; 5] = [
        0.05946516537649537,
        0.3626609442060087,
        0.981189038550859,
        0.6181659985974878,
        0.5,
    ];

    #[test]
    fn multinomial_matches_sklearn() {
        let (x, y) = corpus();
        let model = fit_multinomial(&x, &y, 3, 0.5);
        check_model(&model, &MNB_FLP, &MNB_PROBA, &PREDICTIONS);
        assert_close(
            model.intercept(0) as f64,
            (1.0f64 / 3.0).ln(),
            1e-6,
            "class_log_prior",
        );
    }

    #[test]
    fn complement_matches_sklearn() {
        let (x, y) = corpus();
        let model = fit_complement(&x, &y, 3, 0.5);
        check_model(&model, &CNB_FLP, &CNB_PROBA, &PREDICTIONS);
    }

    #[test]
    fn binary_log_odds_match_sklearn_two_class_proba() {
        let (x, y) = corpus();
        let target: Vec<bool> = y.iter().map(|&c| c == 2).collect();
        let q = queries();
        for (complement, want) in [(false, MNB_BINARY_PROBA), (true, CNB_BINARY_PROBA)] {
            let model = LinearModel::from_rows(
                vec![fit_binary(&x, &target, 0.5, complement)],
                Link::Sigmoid,
            );
            let mut out = [0.0];
            for (i, &want) in want.iter().enumerate() {
                model.scores(q.row(i), &mut out);
                assert_close(out[0], want, 1e-6, "P(in)");
            }
        }
    }

    #[test]
    fn class_without_rows_is_never_predicted_and_stays_finite() {
        let (x, y) = corpus();
        let q = queries();
        for complement in [false, true] {
            let model = if complement {
                fit_complement(&x, &y, 4, 0.5)
            } else {
                fit_multinomial(&x, &y, 4, 0.5)
            };
            let proba = if complement { CNB_PROBA } else { MNB_PROBA };
            let mut out = [0.0; 4];
            for (i, want) in proba.iter().enumerate() {
                model.scores(q.row(i), &mut out);
                assert!(out.iter().all(|s| s.is_finite()));
                assert_eq!(out[3], 0.0);
                for (&got, &want) in out.iter().zip(want) {
                    assert_close(got, want, 1e-6, "predict_proba with an empty class");
                }
            }
            assert_eq!(model.predict(&q), PREDICTIONS);

            let (w, b) = fit_binary(&x, &[false; 6], 0.5, complement);
            assert!(w.iter().all(|v| v.is_finite()) && b.is_finite());
            assert!(q.rows().all(|r| r.dot(&w) + b < 0.0));
            let (w, b) = fit_binary(&x, &[true; 6], 0.5, complement);
            assert!(q.rows().all(|r| r.dot(&w) + b > 0.0));
        }
    }
}
