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
//! - Every outer iteration shuffles all the rows into a fresh order, drawn from a `ChaCha8Rng` seeded with
//!   [`ModelParams::seed`](super::ModelParams), and visits the active ones in that order, so a fit is
//!   deterministic. The order does not depend on the problem, so [`fit_many`] fits several problems in one
//!   pass over the rows and gives each the model it would get alone; its blocks of problems draw each
//!   pass's order once and share it.
//! - It stops when the projected gradients `PG_i` of one pass all lie within `tol` of each other
//!   (`max PG − min PG ≤ tol`) over the full set of coordinates, or after `max_iter` passes.
//! - Shrinking: a coordinate stuck at a bound whose gradient pushes it further out (`α_i = 0` and
//!   `G_i > max PG` of the previous pass, or `α_i = U` and `G_i < min PG`) is dropped from the passes.
//!   Once the remaining ones converge, all coordinates are restored and checked again, so shrinking changes
//!   the speed, not the answer.
//! - The default `tol` is 0.5, looser than LIBLINEAR's 0.1 for the same criterion: in 5-fold
//!   cross-validation on the training splits of 20 Newsgroups, NYT-CAP and R8 (`detente cv --folds 5
//!   --tol T`), mean accuracy at 0.5 was that of 0.1 within 0.0005 (0.9350 and 0.9346, 0.8027 and
//!   0.8029, 0.9728 and 0.9727); at 1.0 it fell by 0.0015 on 20 Newsgroups. Trained on each whole
//!   split, the median class stops after 6, 8 and 6 passes at 0.5, against 10, 12 and 9 at 0.1.
//! - `w` is kept in `f32` (the sums and `α` in `f64`): the solver's time goes into reading weights at
//!   random, and half the bytes keep twice the features in cache.
//! - Nothing in the random visiting order lets the processor guess what comes next, so the solver asks
//!   for it: a row's state and bounds 8 visits ahead, its entries 2 ahead, and in each dot product the
//!   weight 64 entries ahead. The prefetches change no result, only the time (`BENCHMARKS.md` has the
//!   figures).

use super::{Binary, BinaryProblem, ModelParams};
use crate::error::Result;
use crate::sparse::{CsrMatrix, prefetch};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use std::sync::{Arc, Mutex};

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
    let problem = BinaryProblem {
        y: y.to_vec(),
        weights: weights.map(<[f64]>::to_vec),
    };
    fit_many(x, std::slice::from_ref(&problem), p, Loss::SquaredHinge).map(one)
}

/// [`fit_binary`] with a choice of loss.
pub fn fit_binary_with_loss(
    x: &CsrMatrix,
    y: &[bool],
    p: &ModelParams,
    loss: Loss,
) -> Result<Binary> {
    let problem = BinaryProblem {
        y: y.to_vec(),
        weights: None,
    };
    fit_many(x, std::slice::from_ref(&problem), p, loss).map(one)
}

fn one(mut models: Vec<Binary>) -> Binary {
    models.pop().expect("one problem gives one model")
}

/// Fits one SVM per problem, all on the rows of `x` (one-vs-rest: one problem per class).
///
/// Each model is exactly the one [`fit_binary_weighted`] gives for its problem alone: the problems share the
/// order in which rows are visited, drawn from the seed, and nothing else. Sharing it lets one pass over the
/// rows serve several problems at once: a row's entries are read once, and the weights of all the problems
/// in a block sit side by side, one cache line per feature, so the dot products and updates of a block are
/// a few vector instructions per entry rather than one cache miss per entry and problem. Blocks run in
/// parallel; the result depends neither on the blocking nor on the number of threads.
pub fn fit_many(
    x: &CsrMatrix,
    problems: &[BinaryProblem],
    p: &ModelParams,
    loss: Loss,
) -> Result<Vec<Binary>> {
    let models = fit_many_f32(x, problems, p, loss)?;
    Ok(models
        .into_iter()
        .map(|(w, b)| (w.into_iter().map(f64::from).collect(), b))
        .collect())
}

/// [`fit_many`] with each model's weights as the solver keeps them, in `f32` (exactly the values
/// [`fit_many`] gives, which widens them): half the memory for a [`LinearModel`](super::LinearModel),
/// which stores `f32`.
pub(crate) fn fit_many_f32(
    x: &CsrMatrix,
    problems: &[BinaryProblem],
    p: &ModelParams,
    loss: Loss,
) -> Result<Vec<(Vec<f32>, f64)>> {
    check(x, problems, p)?;
    let orders = PassOrders::new(x.nrows(), p.seed);
    let blocks: Vec<Vec<(Vec<f32>, f64)>> = if problems.len() == 1 {
        vec![solve::<1>(x, problems, p, loss, &orders)]
    } else {
        problems
            .par_chunks(LANES)
            .map(|block| solve::<LANES>(x, block, p, loss, &orders))
            .collect()
    };
    Ok(blocks.into_iter().flatten().collect())
}

/// How many problems share a pass of [`fit_many`] (the last block may hold fewer).
///
/// Measured on two hosts, the models being the same whatever the blocking:
/// - AMD EPYC, 2 cores, best of 7 in-process fits on 2 threads: one lane 0.78 s, two 0.45 s, three 0.46 s,
///   four 0.44 s on 20 Newsgroups (20 classes, 366,052 features); on NYT-CAP (28 classes) two lanes
///   0.093 s, three and four 0.100 s, one 0.134 s. (Before the solver's prefetches, four lanes had been
///   slower than two: 0.85 s against 0.6 s.)
/// - Intel Xeon, 2 cores (2 MiB of L2 cache each), medians of 7 or 9 in-process fits in alternation,
///   four runs: two lanes 0.761, 0.719, 0.721 and 0.616 s, four 0.587, 0.609, 0.605 and 0.496 s on
///   20 Newsgroups (three 0.769 s, five 0.722 s, eight 0.731 s); on NYT-CAP two lanes 0.168, 0.157 and
///   0.134 s, four 0.147, 0.134 and 0.124 s.
///
/// Four lanes of `f32` weights take 16 bytes per feature (5.9 MB on 20 Newsgroups): each entry of a row
/// still reads one cache line of weights, and a row is read once for four problems instead of two.
const LANES: usize = 4;

/// Bytes of visiting orders that [`PassOrders`] keeps for the blocks to share.
const SHARED_ORDERS_BYTES: usize = 32 << 20;

/// The order in which [`solve`] visits the rows in each pass: the rows shuffled afresh from the previous
/// pass's order by a `ChaCha8Rng` seeded with the fit's seed, the same for every block of problems. Each
/// order is drawn once and shared by the blocks, for the first passes (as many as [`SHARED_ORDERS_BYTES`]
/// hold); a block that goes on past those draws the rest itself, from the generator's state after them,
/// so that every block visits the rows in the same orders as one fitted alone.
struct PassOrders {
    n: usize,
    shared: usize,
    // The generator, and the orders drawn so far.
    drawn: Mutex<(ChaCha8Rng, Vec<Arc<[u32]>>)>,
}

impl PassOrders {
    fn new(n: usize, seed: u64) -> PassOrders {
        PassOrders::sharing(n, seed, (SHARED_ORDERS_BYTES / (4 * n.max(1))).max(1))
    }

    /// Orders of which the first `shared` (at least 1) are shared.
    fn sharing(n: usize, seed: u64, shared: usize) -> PassOrders {
        PassOrders {
            n,
            shared: shared.max(1),
            drawn: Mutex::new((ChaCha8Rng::seed_from_u64(seed), Vec::new())),
        }
    }

    /// The order of pass `pass` (from 0) if it is shared.
    fn get(&self, pass: usize) -> Option<Arc<[u32]>> {
        if pass >= self.shared {
            return None;
        }
        let mut drawn = self.drawn.lock().unwrap_or_else(|e| e.into_inner());
        let (rng, orders) = &mut *drawn;
        while orders.len() <= pass {
            let mut order = match orders.last() {
                Some(last) => last.to_vec(),
                None => (0..self.n as u32).collect(),
            };
            order.shuffle(rng);
            orders.push(order.into());
        }
        Some(orders[pass].clone())
    }

    /// The generator and the order after the shared passes, to draw the next ones from.
    fn rest(&self) -> (ChaCha8Rng, Vec<u32>) {
        let last = self
            .get(self.shared - 1)
            .expect("the last shared pass is shared");
        let drawn = self.drawn.lock().unwrap_or_else(|e| e.into_inner());
        (drawn.0.clone(), last.to_vec())
    }
}

/// How many rows ahead of the one being visited [`solve`] asks for a row's state and bounds
/// ([`PREFETCH_FAR`]) and for its entries ([`PREFETCH_NEAR`]). Measured on 20 Newsgroups and NYT-CAP, the
/// fit took about as long with (4, 1), (8, 2), (16, 4) and (32, 8), all far less than with no prefetch.
const PREFETCH_FAR: usize = 8;
const PREFETCH_NEAR: usize = 2;

/// How many entries ahead of the one being added [`dot_lanes`] asks for a weight. Measured on
/// 20 Newsgroups (rows of about 300 entries, weights of 2.9 MB), the fit took 6–8 % less time with 40, 64
/// and 128 than with no prefetch, and about as long with 8.
const PREFETCH_WEIGHTS: usize = 64;

/// Every lane's dot product of the weights `w` with one row (`indices`, `values`).
///
/// The weights are read at random and most reads miss the cache. The processor overlaps only the misses
/// of the next few dozen entries; asking for weights [`PREFETCH_WEIGHTS`] entries ahead overlaps more.
/// The sums are taken entry by entry in the row's order, as without the prefetch.
#[inline]
fn dot_lanes<const B: usize>(w: &[[f32; B]], indices: &[u32], values: &[f32]) -> [f64; B] {
    let mut dot = [0f64; B];
    let mut add = |j: u32, v: f32| {
        let wj = &w[j as usize];
        let v = v as f64;
        for k in 0..B {
            dot[k] += wj[k] as f64 * v;
        }
    };
    let ahead = &indices[PREFETCH_WEIGHTS.min(indices.len())..];
    for ((&j, &v), &next) in indices.iter().zip(values).zip(ahead) {
        prefetch(&w[next as usize]);
        add(j, v);
    }
    let done = ahead.len();
    for (&j, &v) in indices[done..].iter().zip(&values[done..]) {
        add(j, v);
    }
    dot
}

/// What [`solve`] keeps per row, for each of its `B` lanes: the dual variable, the diagonal term and
/// upper bound that the row's C gives, whether the label is +1 (bit k of `positive`) and whether the row
/// is shrunk out of the passes (bit k of `shrunk`); and the row's squared norm.
#[derive(Clone, Copy)]
struct RowState<const B: usize> {
    alpha: [f64; B],
    diag: [f64; B],
    upper: [f64; B],
    norm: f64,
    positive: u8,
    shrunk: u8,
}

fn check(x: &CsrMatrix, problems: &[BinaryProblem], p: &ModelParams) -> Result<()> {
    problems.iter().try_for_each(|problem| {
        super::check_binary(x, problem.y.len(), problem.weights.as_deref(), p)
    })
}

/// Dual coordinate descent for up to `B` problems ("lanes") at once; lane `k` is `problems[k]`, lanes past
/// the last problem stay idle. Every per-problem quantity is an array of `B` lanes.
fn solve<const B: usize>(
    x: &CsrMatrix,
    problems: &[BinaryProblem],
    p: &ModelParams,
    loss: Loss,
    orders: &PassOrders,
) -> Vec<(Vec<f32>, f64)> {
    debug_assert!(problems.len() <= B && B <= 8);
    let n = x.nrows();
    let ncols = x.ncols();

    // Everything the solver reads and writes per row besides its entries, side by side: one or two cache
    // lines per row visited (112 bytes for four lanes) rather than one per array.
    let mut rows = vec![
        RowState::<B> {
            alpha: [0.0; B],
            diag: [0.0; B],
            upper: [f64::INFINITY; B],
            norm: 0.0,
            positive: 0,
            shrunk: 0,
        };
        n
    ];
    for (i, (state, r)) in rows.iter_mut().zip(x.rows()).enumerate() {
        // ‖x̄_i‖², the constant bias feature included.
        state.norm = r.norm_sq() + 1.0;
        for (k, problem) in problems.iter().enumerate() {
            state.positive |= u8::from(problem.y[i]) << k;
            let c = problem.weights.as_ref().map_or(p.c, |w| p.c * w[i]);
            match loss {
                Loss::SquaredHinge => state.diag[k] = 0.5 / c,
                Loss::Hinge => state.upper[k] = c,
            }
        }
    }

    // Row j of `w` holds every lane's weight of feature j. Weights are stored as f32, half the memory of f64
    // and so twice the features in cache (the solver waits on these random reads), and computed with in f64.
    let mut w = vec![[0f32; B]; ncols];
    let mut bias = [0f64; B];
    let mut n_shrunk = [0usize; B];
    // Bit k of `running`: lane k has not converged. Computed in u16: with 8 problems, `1u8 << 8` would
    // overflow.
    let mut running = ((1u16 << problems.len()) - 1) as u8;
    // Past the shared passes, this block's own generator and order.
    let mut own: Option<(ChaCha8Rng, Vec<u32>)> = None;

    // Shrinking thresholds: the extreme projected gradients of the previous pass (±∞: shrink nothing).
    let mut pg_max_old = [f64::INFINITY; B];
    let mut pg_min_old = [f64::NEG_INFINITY; B];

    for pass in 0..p.max_iter {
        if running == 0 {
            break;
        }
        let shared = orders.get(pass);
        let order: &[u32] = match &shared {
            Some(order) => order,
            None => {
                let (rng, order) = own.get_or_insert_with(|| orders.rest());
                order.shuffle(rng);
                order
            }
        };
        let mut pg_max = [f64::NEG_INFINITY; B];
        let mut pg_min = [f64::INFINITY; B];

        for (t, &i) in order.iter().enumerate() {
            // The rows come in random order, so nothing brings the next ones into the cache: the loads of
            // a row's state, of where its entries lie and of its entries would each wait on memory, one
            // after another. Asking for them a few rows ahead, each once the previous one has arrived,
            // overlaps that wait with the work on the rows in between.
            if let Some(&ahead) = order.get(t + PREFETCH_FAR) {
                prefetch(&rows[ahead as usize]);
                x.prefetch_bounds(ahead as usize);
            }
            if let Some(&ahead) = order.get(t + PREFETCH_NEAR) {
                x.prefetch_entries(ahead as usize);
            }
            let i = i as usize;
            let state = &mut rows[i];
            let lanes = running & !state.shrunk;
            if lanes == 0 {
                continue;
            }
            let row = x.row(i);
            let dot = dot_lanes(&w, row.indices, row.values);

            let mut step = [0f64; B];
            let mut moved = false;
            for k in 0..B {
                if lanes & (1 << k) == 0 {
                    continue;
                }
                // Times the label sign: exact, as multiplying by ±1 is.
                let signed = |v: f64| {
                    if state.positive & (1 << k) != 0 {
                        v
                    } else {
                        -v
                    }
                };
                let a = state.alpha[k];
                let g = signed(dot[k] + bias[k]) - 1.0 + state.diag[k] * a;
                let pg = if a == 0.0 {
                    if g > pg_max_old[k] {
                        state.shrunk |= 1 << k;
                        n_shrunk[k] += 1;
                        continue;
                    }
                    g.min(0.0)
                } else if a >= state.upper[k] {
                    if g < pg_min_old[k] {
                        state.shrunk |= 1 << k;
                        n_shrunk[k] += 1;
                        continue;
                    }
                    g.max(0.0)
                } else {
                    g
                };
                pg_max[k] = pg_max[k].max(pg);
                pg_min[k] = pg_min[k].min(pg);

                // A zero projected gradient means the coordinate is already optimal.
                if pg.abs() > 1e-12 {
                    let new = (a - g / (state.norm + state.diag[k]))
                        .max(0.0)
                        .min(state.upper[k]);
                    state.alpha[k] = new;
                    step[k] = signed(new - a);
                    moved = true;
                }
            }
            if moved {
                for (&j, &v) in row.indices.iter().zip(row.values) {
                    let wj = &mut w[j as usize];
                    let v = v as f64;
                    for k in 0..B {
                        wj[k] = (wj[k] as f64 + step[k] * v) as f32;
                    }
                }
                for k in 0..B {
                    bias[k] += step[k];
                }
            }
        }

        for k in 0..problems.len() {
            if running & (1 << k) == 0 {
                continue;
            }
            if pg_max[k] - pg_min[k] <= p.tol {
                if n_shrunk[k] == 0 {
                    running &= !(1 << k);
                } else {
                    // The shrunk problem has converged: check every coordinate again before stopping.
                    rows.iter_mut().for_each(|r| r.shrunk &= !(1 << k));
                    n_shrunk[k] = 0;
                    pg_max_old[k] = f64::INFINITY;
                    pg_min_old[k] = f64::NEG_INFINITY;
                }
                continue;
            }
            // A threshold on the wrong side of zero would shrink coordinates that still have to move.
            pg_max_old[k] = if pg_max[k] <= 0.0 {
                f64::INFINITY
            } else {
                pg_max[k]
            };
            pg_min_old[k] = if pg_min[k] >= 0.0 {
                f64::NEG_INFINITY
            } else {
                pg_min[k]
            };
        }
    }

    (0..problems.len())
        .map(|k| {
            let weights = w.iter().map(|lanes| lanes[k]).collect();
            (weights, bias[k])
        })
        .collect()
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
    fn blocks_past_the_shared_orders_visit_the_rows_as_with_them() {
        // Every block draws past the first shared pass here; tol 0 makes them run many passes.
        let (x, y) = small_problem();
        let negated: Vec<bool> = y.iter().map(|&v| !v).collect();
        let problems = [
            BinaryProblem {
                y: y.clone(),
                weights: None,
            },
            BinaryProblem {
                y: negated,
                weights: None,
            },
        ];
        let p = params().tol(0.0).max_iter(50);
        let all = PassOrders::new(x.nrows(), p.seed);
        let shared = solve::<2>(&x, &problems, &p, Loss::SquaredHinge, &all);
        for first in [1, 2, 7] {
            let few = PassOrders::sharing(x.nrows(), p.seed, first);
            let drawn = solve::<2>(&x, &problems, &p, Loss::SquaredHinge, &few);
            assert_eq!(drawn, shared, "{first} shared passes");
        }
        // The orders themselves: the shared ones, then those drawn from the generator's state after them.
        let few = PassOrders::sharing(x.nrows(), p.seed, 3);
        let (mut rng, mut order) = few.rest();
        order.shuffle(&mut rng);
        assert_eq!(Some(order.into()), all.get(3));
    }

    #[test]
    fn problems_fitted_together_get_the_models_they_get_alone() {
        let (x, y) = small_problem();
        let flipped: Vec<bool> = y.iter().map(|&t| !t).collect();
        let third = vec![true, false, false, true, false, true, false, false];
        let weights: Vec<f64> = (0..8).map(|i| 0.5 + i as f64 / 4.0).collect();
        // A full block of LANES problems and a block of one, with and without row weights.
        let mut problems = vec![
            BinaryProblem {
                y: y.clone(),
                weights: None,
            },
            BinaryProblem {
                y: flipped.clone(),
                weights: Some(weights.clone()),
            },
            BinaryProblem {
                y: third.clone(),
                weights: None,
            },
        ];
        for k in problems.len()..=LANES {
            problems.push(BinaryProblem {
                y: (0..8).map(|i| (i + k) % 3 == 0).collect(),
                weights: (k % 2 == 0).then(|| weights.iter().rev().copied().collect()),
            });
        }
        assert_eq!(problems.len(), LANES + 1);
        let p = params().tol(1e-3);
        for loss in [Loss::SquaredHinge, Loss::Hinge] {
            let alone: Vec<(Vec<f32>, f64)> = problems
                .chunks(1)
                .flat_map(|one| solve::<1>(&x, one, &p, loss, &PassOrders::new(x.nrows(), p.seed)))
                .collect();
            for threads in [1, 2] {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap();
                let together = pool
                    .install(|| fit_many_f32(&x, &problems, &p, loss))
                    .unwrap();
                assert_eq!(together, alone, "{loss:?} on {threads} thread(s)");
            }
        }
        assert_eq!(
            fit_binary_weighted(&x, &flipped, Some(&weights), &p).unwrap(),
            fit_many(&x, &problems, &p, Loss::SquaredHinge).unwrap()[1]
        );
        let short = BinaryProblem {
            y: third[1..].to_vec(),
            weights: None,
        };
        assert!(fit_many(&x, &[problems[0].clone(), short], &p, Loss::SquaredHinge).is_err());
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

    #[test]
    fn one_vs_rest_is_the_model_of_the_widened_weights() {
        // The f32 weights that one-vs-rest hands to the model directly are the f64 ones fit_many gives,
        // narrowed: the same model either way.
        let (x, _) = small_problem();
        let y = [0u32, 0, 1, 1, 2, 2, 1, 0];
        let p = params().tol(1e-3);
        let problems: Vec<BinaryProblem> = (0..3)
            .map(|c| BinaryProblem {
                y: y.iter().map(|&k| k == c).collect(),
                weights: None,
            })
            .collect();
        let widened = fit_many(&x, &problems, &p, Loss::SquaredHinge).unwrap();
        assert!(widened.iter().all(|(w, _)| w.iter().any(|&v| v != 0.0)));
        let labels = ["a", "b", "c"].map(String::from);
        let model = p.fit_multiclass(&x, &y, &labels).unwrap();
        assert_eq!(
            model,
            crate::models::LinearModel::from_rows(widened, crate::models::Link::Margin)
        );
    }
}
