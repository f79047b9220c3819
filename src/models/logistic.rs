//! Logistic regression with an L2 penalty on sparse rows, solved by L-BFGS.
//!
//! The objective is scikit-learn's `LogisticRegression(solver="lbfgs")` one. With `K` outputs, weights
//! `W` (`K × d`), intercepts `b` (not penalized) and rows `xᵢ` with labels `yᵢ`:
//!
//! ```text
//! f(W, b) = ½ ‖W‖²  +  C · Σᵢ ℓ(W xᵢ + b, yᵢ)
//!
//! multinomial (K = classes): ℓ(z, y) = log Σₖ exp(zₖ) − z_y
//! binary      (K = 1):       ℓ(z, y) = log(1 + exp(−s·z)),  s = +1 if y is true, −1 otherwise
//! ```
//!
//! With row weights `sᵢ` (class weights, see [`super::ClassWeight`]) the data term is `C · Σᵢ sᵢ ℓ(…)`, as
//! scikit-learn's `sample_weight`; the stopping test below then uses `Σᵢ sᵢ` for `n`, as scikit-learn does.
//!
//! The multinomial model keeps `K` full weight vectors, as scikit-learn does: the softmax is invariant
//! to adding the same vector to every class, and the penalty picks the unique minimum-norm solution.
//!
//! Parameters (see [`ModelParams`]): `c`, `max_iter` (L-BFGS iterations) and `tol`: the solver stops
//! when `max |∇f| ≤ tol · C · n` (`n` rows) — scikit-learn's criterion, which bounds the gradient of
//! `f / (C·n)`, the mean loss plus its scaled penalty, so `tol` means what it means there — or when an
//! iteration lowers `f` by less than `64 ε |f|` (scikit-learn's `ftol`), or after `max_iter`
//! iterations. Running out of iterations is not an error: the last iterate is returned, as
//! scikit-learn does (with a warning).
//!
//! # How it is computed
//!
//! Parameters are one `f64` vector: `W` feature-major (`θ[j·K + k]`, matching [`LinearModel`]'s
//! layout, so a sparse row reads one contiguous block per stored feature), then `b`.
//!
//! - The margins `zᵢ = W xᵢ + b` of all rows are kept between iterations. Each iteration computes the
//!   margins `X p` of the search direction once; the line search then evaluates `f(θ + αp)` and its
//!   slope from `z + α·Xp` in `O(n·K)` work without touching the sparse data. Margins are computed
//!   from a copy of `X` whose entries are sorted by column within each chunk of rows, so that a chunk
//!   sweeps the weights once in increasing order instead of jumping around them for every row.
//! - The gradient `W + C·Xᵀ R` (with `R` the per-row loss derivatives) is computed from a transposed
//!   (column-major) copy of `X`: each feature's gradient block is a sum over that feature's rows, in
//!   row order, computed by one task. No per-thread `K × d` buffers are needed.
//! - The L-BFGS memory (10 pairs) is used in compact form through the Gram matrix of its vectors (see
//!   `History`) and stored in `f32`; weights, gradients and every sum are `f64`.
//! - Every parallel reduction works on fixed-size chunks (of rows, features or vector entries) whose
//!   partial results are added in chunk order, so the fitted model is bit-identical whatever the
//!   number of threads.

use super::{Binary, LinearModel, Link, ModelParams};
use crate::error::{Error, Result};
use crate::sparse::CsrMatrix;
use rayon::prelude::*;
use std::collections::VecDeque;

/// Rows per parallel task in the per-row passes. Fixed, so that sums do not depend on the thread count.
const ROW_CHUNK: usize = 512;
// Rows within a chunk are numbered by `u16` in [`Blocks`].
const _: () = assert!(ROW_CHUNK <= 1 << 16);
/// Features per parallel task in the gradient pass.
const FEATURE_CHUNK: usize = 1024;
/// Vector entries per parallel task in the L-BFGS vector algebra.
const VECTOR_CHUNK: usize = 1 << 15;
/// Correction pairs kept by L-BFGS (scipy's default, which scikit-learn uses).
const MEMORY: usize = 10;
/// Relative decrease of the objective below which the solver stops (scikit-learn's `ftol`).
const REL_DECREASE: f64 = 64.0 * f64::EPSILON;

/// Fits a multinomial (softmax) logistic regression: `y[i]` is the class (`0..n_classes`) of row `i`.
///
/// A class without rows gets zero weights and a low intercept; a row without entries still counts
/// through the intercepts.
pub fn fit_multinomial(
    x: &CsrMatrix,
    y: &[u32],
    n_classes: usize,
    p: &ModelParams,
) -> Result<LinearModel> {
    fit_multinomial_weighted(x, y, n_classes, None, p)
}

/// [`fit_multinomial`] with a weight per row: row `i`'s loss is multiplied by `weights[i]`; `None` weighs
/// every row 1.
pub fn fit_multinomial_weighted(
    x: &CsrMatrix,
    y: &[u32],
    n_classes: usize,
    weights: Option<&[f64]>,
    p: &ModelParams,
) -> Result<LinearModel> {
    check_inputs(x, y.len(), weights, p)?;
    if let Some(&bad) = y.iter().find(|&&k| k as usize >= n_classes) {
        return Err(Error::param(
            "class id",
            bad,
            format!("below the number of classes ({n_classes})"),
        ));
    }
    let problem = Problem::new(x, y.to_vec(), weights, n_classes, Loss::Softmax, p.c);
    let theta = minimize(&problem, p.max_iter, p.tol);
    let (d, k) = (x.ncols(), n_classes);
    let rows = (0..k)
        .map(|c| ((0..d).map(|j| theta[j * k + c]).collect(), theta[d * k + c]))
        .collect();
    Ok(LinearModel::from_rows(rows, Link::Softmax))
}

/// Fits a binary logistic regression: positive decision values mean `y[i] == true`.
pub fn fit_binary(x: &CsrMatrix, y: &[bool], p: &ModelParams) -> Result<Binary> {
    fit_binary_weighted(x, y, None, p)
}

/// [`fit_binary`] with a weight per row, as [`fit_multinomial_weighted`].
pub fn fit_binary_weighted(
    x: &CsrMatrix,
    y: &[bool],
    weights: Option<&[f64]>,
    p: &ModelParams,
) -> Result<Binary> {
    check_inputs(x, y.len(), weights, p)?;
    let labels = y.iter().map(|&t| t as u32).collect();
    let problem = Problem::new(x, labels, weights, 1, Loss::Sigmoid, p.c);
    let mut theta = minimize(&problem, p.max_iter, p.tol);
    let intercept = theta[x.ncols()];
    theta.truncate(x.ncols());
    Ok((theta, intercept))
}

fn check_inputs(
    x: &CsrMatrix,
    n_targets: usize,
    weights: Option<&[f64]>,
    p: &ModelParams,
) -> Result<()> {
    super::check_binary(x, n_targets, weights, p)?;
    if let Some(i) = (0..x.nrows()).find(|&i| x.row(i).values.iter().any(|v| !v.is_finite())) {
        return Err(Error::param(
            "features",
            format!("a non-finite value in row {i}"),
            "finite feature values",
        ));
    }
    Ok(())
}

#[derive(Clone, Copy)]
enum Loss {
    /// `K` outputs, label = class id.
    Softmax,
    /// One output, label 1 (positive) or 0.
    Sigmoid,
}

/// `X` stored by column: for feature `j`, the rows holding it (increasing) and their values.
struct Columns {
    indptr: Vec<usize>,
    rows: Vec<u32>,
    values: Vec<f32>,
}

impl Columns {
    fn new(x: &CsrMatrix) -> Self {
        let mut indptr = vec![0usize; x.ncols() + 1];
        for row in x.rows() {
            for &j in row.indices {
                indptr[j as usize + 1] += 1;
            }
        }
        for j in 0..x.ncols() {
            indptr[j + 1] += indptr[j];
        }
        let mut next = indptr.clone();
        let mut rows = vec![0u32; x.nnz()];
        let mut values = vec![0f32; x.nnz()];
        for (i, row) in x.rows().enumerate() {
            for (&j, &v) in row.indices.iter().zip(row.values) {
                let slot = &mut next[j as usize];
                rows[*slot] = i as u32;
                values[*slot] = v;
                *slot += 1;
            }
        }
        Columns {
            indptr,
            rows,
            values,
        }
    }
}

/// The entries of each chunk of `ROW_CHUNK` rows, sorted by column (then row): `(column, row in the
/// chunk, value)`. Within a row, entries keep the CSR (increasing column) order, so margins computed
/// from blocks add up in the same order as from rows.
struct Blocks {
    chunk_ptr: Vec<usize>,
    entries: Vec<(u32, u16, f32)>,
}

impl Blocks {
    fn new(x: &CsrMatrix) -> Self {
        let mut chunk_ptr = vec![0];
        let mut entries = Vec::with_capacity(x.nnz());
        for start in (0..x.nrows()).step_by(ROW_CHUNK) {
            let first = entries.len();
            for i in start..x.nrows().min(start + ROW_CHUNK) {
                let row = x.row(i);
                let local = (i - start) as u16;
                entries.extend(
                    row.indices
                        .iter()
                        .zip(row.values)
                        .map(|(&j, &v)| (j, local, v)),
                );
            }
            entries[first..].sort_by_key(|&(j, local, _)| (j, local));
            chunk_ptr.push(entries.len());
        }
        Blocks { chunk_ptr, entries }
    }
}

/// The data of one fit and the passes over it. Vectors indexed by row hold `K` values per row.
struct Problem<'a> {
    x: &'a CsrMatrix,
    columns: Columns,
    blocks: Blocks,
    y: Vec<u32>,
    /// Row weights; `None` is all ones (kept apart so that unweighted fits do not change by a bit).
    weights: Option<Vec<f64>>,
    k: usize,
    loss: Loss,
    c: f64,
}

impl<'a> Problem<'a> {
    fn new(
        x: &'a CsrMatrix,
        y: Vec<u32>,
        weights: Option<&[f64]>,
        k: usize,
        loss: Loss,
        c: f64,
    ) -> Self {
        Problem {
            x,
            columns: Columns::new(x),
            blocks: Blocks::new(x),
            y,
            weights: weights.map(<[f64]>::to_vec),
            k,
            loss,
            c,
        }
    }

    /// `Σᵢ sᵢ`: the number of rows when they are not weighted.
    fn total_weight(&self) -> f64 {
        self.weights
            .as_ref()
            .map_or(self.x.nrows() as f64, |w| w.iter().sum())
    }

    /// The weights of the rows of chunk `chunk` (of `ROW_CHUNK` rows), if rows are weighted.
    fn chunk_weights(&self, chunk: usize) -> Option<&[f64]> {
        self.weights.as_ref().map(|w| {
            let start = chunk * ROW_CHUNK;
            &w[start..w.len().min(start + ROW_CHUNK)]
        })
    }

    /// Number of weights (the intercepts follow them in the parameter vector).
    fn n_weights(&self) -> usize {
        self.x.ncols() * self.k
    }

    /// Loss of one row at margins `z`; its derivative with respect to `z` goes to `dz`.
    #[inline]
    fn row_loss(&self, z: &[f64], label: u32, dz: &mut [f64]) -> f64 {
        match self.loss {
            Loss::Softmax => {
                let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let mut sum = 0.0;
                for (d, &zk) in dz.iter_mut().zip(z) {
                    *d = (zk - max).exp();
                    sum += *d;
                }
                let inv = 1.0 / sum;
                dz.iter_mut().for_each(|d| *d *= inv);
                dz[label as usize] -= 1.0;
                max + sum.ln() - z[label as usize]
            }
            Loss::Sigmoid => {
                let s = if label == 1 { 1.0 } else { -1.0 };
                let m = s * z[0];
                // log(1 + e^−m) and σ(−m), written so that neither exponential can overflow.
                let (loss, sig_neg) = if m > 0.0 {
                    let e = (-m).exp();
                    (e.ln_1p(), e / (1.0 + e))
                } else {
                    let e = m.exp();
                    (e.ln_1p() - m, 1.0 / (1.0 + e))
                };
                dz[0] = -s * sig_neg;
                loss
            }
        }
    }

    /// `out[i] = V xᵢ + v_b` for a parameter vector `v` (weights then intercepts).
    fn margins(&self, v: &[f64], out: &mut [f64]) {
        let k = self.k;
        let (w, b) = v.split_at(self.n_weights());
        out.par_chunks_mut(ROW_CHUNK * k)
            .enumerate()
            .for_each(|(chunk, out)| {
                for zi in out.chunks_exact_mut(k) {
                    zi.copy_from_slice(b);
                }
                let span = self.blocks.chunk_ptr[chunk]..self.blocks.chunk_ptr[chunk + 1];
                for &(j, local, xv) in &self.blocks.entries[span] {
                    let (j, local, xv) = (j as usize, local as usize, xv as f64);
                    let zi = &mut out[local * k..(local + 1) * k];
                    for (z, &wk) in zi.iter_mut().zip(&w[j * k..(j + 1) * k]) {
                        *z += xv * wk;
                    }
                }
            });
    }

    /// `(Σᵢ ℓ(zᵢ + α dzᵢ), Σᵢ ⟨∂ℓ/∂z, dzᵢ⟩)`: the data term along a line and its slope.
    fn along_line(&self, z: &[f64], dz: &[f64], alpha: f64) -> (f64, f64) {
        let k = self.k;
        let parts: Vec<(f64, f64)> = z
            .par_chunks(ROW_CHUNK * k)
            .zip(dz.par_chunks(ROW_CHUNK * k))
            .zip(self.y.par_chunks(ROW_CHUNK))
            .enumerate()
            .map(|(chunk, ((z, dz), y))| {
                let weights = self.chunk_weights(chunk);
                let (mut zt, mut g) = (vec![0.0; k], vec![0.0; k]);
                let (mut loss, mut slope) = (0.0, 0.0);
                for (i, ((zi, dzi), &label)) in
                    z.chunks_exact(k).zip(dz.chunks_exact(k)).zip(y).enumerate()
                {
                    for ((t, &a), &d) in zt.iter_mut().zip(zi).zip(dzi) {
                        *t = a + alpha * d;
                    }
                    let l = self.row_loss(&zt, label, &mut g);
                    let s = g.iter().zip(dzi).map(|(a, b)| a * b).sum::<f64>();
                    match weights {
                        None => {
                            loss += l;
                            slope += s;
                        }
                        Some(w) => {
                            loss += w[i] * l;
                            slope += w[i] * s;
                        }
                    }
                }
                (loss, slope)
            })
            .collect();
        parts
            .iter()
            .fold((0.0, 0.0), |(l, s), &(a, b)| (l + a, s + b))
    }

    /// Writes `C·∂ℓ/∂zᵢ` for every row to `r` and returns the data term `Σᵢ ℓ(zᵢ)` and the intercepts'
    /// gradient `Σᵢ C·∂ℓ/∂zᵢ`.
    fn residuals(&self, z: &[f64], r: &mut [f64]) -> (f64, Vec<f64>) {
        let k = self.k;
        let parts: Vec<(f64, Vec<f64>)> = z
            .par_chunks(ROW_CHUNK * k)
            .zip(r.par_chunks_mut(ROW_CHUNK * k))
            .zip(self.y.par_chunks(ROW_CHUNK))
            .enumerate()
            .map(|(chunk, ((z, r), y))| {
                let weights = self.chunk_weights(chunk);
                let mut sum = vec![0.0; k];
                let mut loss = 0.0;
                for (i, ((zi, ri), &label)) in z
                    .chunks_exact(k)
                    .zip(r.chunks_exact_mut(k))
                    .zip(y)
                    .enumerate()
                {
                    let l = self.row_loss(zi, label, ri);
                    let scale = match weights {
                        None => {
                            loss += l;
                            self.c
                        }
                        Some(w) => {
                            loss += w[i] * l;
                            self.c * w[i]
                        }
                    };
                    for (s, g) in sum.iter_mut().zip(ri.iter_mut()) {
                        *g *= scale;
                        *s += *g;
                    }
                }
                (loss, sum)
            })
            .collect();
        let mut total = vec![0.0; k];
        let mut loss = 0.0;
        for (l, s) in &parts {
            loss += l;
            total.iter_mut().zip(s).for_each(|(t, v)| *t += v);
        }
        (loss, total)
    }

    /// The gradient `∇f = (W + Xᵀ R, Σᵢ Rᵢ)` from the residuals `R` (already scaled by `C`).
    fn gradient(&self, theta: &[f64], r: &[f64], intercept_grad: &[f64], g: &mut [f64]) {
        let k = self.k;
        let cols = &self.columns;
        let (gw, gb) = g.split_at_mut(self.n_weights());
        gw.par_chunks_mut(FEATURE_CHUNK * k)
            .zip(theta[..self.n_weights()].par_chunks(FEATURE_CHUNK * k))
            .enumerate()
            .for_each(|(chunk, (gw, w))| {
                gw.copy_from_slice(w);
                for (f, gj) in gw.chunks_exact_mut(k).enumerate() {
                    let j = chunk * FEATURE_CHUNK + f;
                    let span = cols.indptr[j]..cols.indptr[j + 1];
                    for (&i, &xv) in cols.rows[span.clone()].iter().zip(&cols.values[span]) {
                        let i = i as usize;
                        let xv = xv as f64;
                        for (gk, &rk) in gj.iter_mut().zip(&r[i * k..(i + 1) * k]) {
                            *gk += xv * rk;
                        }
                    }
                }
            });
        gb.copy_from_slice(intercept_grad);
    }
}

/// Minimizes the objective from `θ = 0` and returns `θ` (weights feature-major, then intercepts).
fn minimize(problem: &Problem<'_>, max_iter: usize, tol: f64) -> Vec<f64> {
    let k = problem.k;
    let n_w = problem.n_weights();
    let dim = n_w + k;
    let rows_k = problem.x.nrows() * k;

    let mut theta = vec![0.0; dim];
    let mut z = vec![0.0; rows_k];
    let mut dz = vec![0.0; rows_k];
    let mut r = vec![0.0; rows_k];
    let mut g = vec![0.0; dim];
    let mut g_old = vec![0.0; dim];
    let mut direction = vec![0.0; dim];
    let mut history = History::default();

    let (loss, gb) = problem.residuals(&z, &mut r);
    problem.gradient(&theta, &r, &gb, &mut g);
    let mut f = problem.c * loss;
    let gtol = tol * problem.c * problem.total_weight();
    let mut ww = 0.0; // ‖W‖², kept so the line search knows the penalty in closed form

    for iter in 0..max_iter {
        if max_abs(&g) <= gtol {
            break;
        }
        history.direction(&g, &mut direction);
        let mut slope0 = dot(&g, &direction);
        if slope0.is_nan() || slope0 >= 0.0 {
            // Not a descent direction (can happen after rounding on nearly flat problems).
            history.clear();
            direction.iter_mut().zip(&g).for_each(|(d, &gi)| *d = -gi);
            slope0 = -dot(&g, &g);
        }
        problem.margins(&direction, &mut dz);
        let wp = dot(&theta[..n_w], &direction[..n_w]);
        let pp = dot(&direction[..n_w], &direction[..n_w]);
        let phi = |alpha: f64| {
            let (loss, slope) = problem.along_line(&z, &dz, alpha);
            let f = problem.c * loss + 0.5 * (ww + alpha * (2.0 * wp + alpha * pp));
            (f, problem.c * slope + wp + alpha * pp)
        };
        // The first direction is the raw gradient, whose scale says nothing about a good step.
        let alpha0 = if iter == 0 || history.is_empty() {
            1.0 / dot(&direction, &direction).sqrt()
        } else {
            1.0
        };
        let Some((alpha, f_new)) = line_search(phi, f, slope0, alpha0) else {
            if history.is_empty() {
                break;
            }
            history.clear();
            continue;
        };

        axpy(alpha, &direction, &mut theta);
        axpy(alpha, &dz, &mut z);
        ww += alpha * (2.0 * wp + alpha * pp);
        std::mem::swap(&mut g, &mut g_old);
        let (loss, gb) = problem.residuals(&z, &mut r);
        problem.gradient(&theta, &r, &gb, &mut g);

        // The correction pair s = αp, y = g − g_old is stored in f32: it only shapes the search
        // direction, and halving its size halves the memory traffic of the two passes over it.
        let (mut s, mut y) = history.spare(dim);
        s.par_chunks_mut(VECTOR_CHUNK)
            .zip(direction.par_chunks(VECTOR_CHUNK))
            .for_each(|(s, p)| {
                s.iter_mut()
                    .zip(p)
                    .for_each(|(s, &p)| *s = (alpha * p) as f32)
            });
        y.par_chunks_mut(VECTOR_CHUNK)
            .zip(
                g.par_chunks(VECTOR_CHUNK)
                    .zip(g_old.par_chunks(VECTOR_CHUNK)),
            )
            .for_each(|(y, (g, o))| {
                for ((y, &g), &o) in y.iter_mut().zip(g).zip(o) {
                    *y = (g - o) as f32;
                }
            });
        history.push(s, y, &g);

        let decrease = f - f_new;
        f = problem.c * loss + 0.5 * ww;
        if decrease <= REL_DECREASE * f.abs().max(f_new.abs()).max(1.0) {
            break;
        }
    }
    theta
}

/// The L-BFGS memory in compact form: the last pairs `sᵢ = θᵢ₊₁ − θᵢ`, `yᵢ = ∇fᵢ₊₁ − ∇fᵢ`, their
/// inner products with each other and with the current gradient.
///
/// The two-loop recursion only needs inner products, so it runs on coefficients over these vectors
/// (the "vector-free" L-BFGS of Chen, Wang and Zhou, 2014): per iteration, one pass over memory computes
/// the new inner products and one builds the direction, where the plain recursion makes four passes per
/// pair. On text problems with millions of weights this was the most expensive step of an iteration.
#[derive(Default)]
struct History {
    /// `s₀, y₀, s₁, y₁, …`, oldest first: vector `2i` is `sᵢ`, `2i + 1` is `yᵢ`.
    basis: VecDeque<Vec<f32>>,
    /// `gram[a][b] = ⟨basis[a], basis[b]⟩`.
    gram: VecDeque<VecDeque<f64>>,
    /// `⟨basis[a], g⟩` for the current gradient `g`.
    with_g: VecDeque<f64>,
    spare: Option<(Vec<f32>, Vec<f32>)>,
}

impl History {
    fn is_empty(&self) -> bool {
        self.basis.is_empty()
    }

    fn clear(&mut self) {
        self.basis.clear();
        self.gram.clear();
        self.with_g.clear();
    }

    /// Two buffers of length `dim` for the next pair, reusing the oldest pair's when memory is full.
    fn spare(&mut self, dim: usize) -> (Vec<f32>, Vec<f32>) {
        if self.basis.len() >= 2 * MEMORY
            && let (Some(s), Some(y)) = (self.basis.pop_front(), self.basis.pop_front())
        {
            for _ in 0..2 {
                self.gram.pop_front();
                self.with_g.pop_front();
            }
            for row in &mut self.gram {
                row.drain(..2);
            }
            return (s, y);
        }
        self.spare
            .take()
            .unwrap_or_else(|| (vec![0.0; dim], vec![0.0; dim]))
    }

    /// Records the step `s`, the gradient change `y` and the new gradient `g`. The pair is kept only
    /// when the curvature `⟨s, y⟩` is positive enough for the update to stay positive definite (the
    /// objective is strictly convex, so this only fails through rounding).
    fn push(&mut self, s: Vec<f32>, y: Vec<f32>, g: &[f64]) {
        let n_old = self.basis.len();
        let vectors: Vec<&[f32]> = self
            .basis
            .iter()
            .map(Vec::as_slice)
            .chain([s.as_slice(), y.as_slice()])
            .collect();
        let dots = fused_dots(&vectors, &s, &y, g);
        let (sy, yy) = (dots[n_old][1], dots[n_old + 1][1]);
        if sy > f64::EPSILON * yy && sy > 0.0 {
            for (row, d) in self.gram.iter_mut().zip(&dots) {
                row.push_back(d[0]);
                row.push_back(d[1]);
            }
            self.gram.push_back(dots.iter().map(|d| d[0]).collect());
            self.gram.push_back(dots.iter().map(|d| d[1]).collect());
            self.with_g = dots.iter().map(|d| d[2]).collect();
            self.basis.push_back(s);
            self.basis.push_back(y);
        } else {
            self.with_g = dots[..n_old].iter().map(|d| d[2]).collect();
            self.spare = Some((s, y));
        }
    }

    /// `out = −H g`, the two-loop recursion on coefficients; `out = −g` without history.
    fn direction(&self, g: &[f64], out: &mut [f64]) {
        let n = self.basis.len();
        // q = Σ_b delta[b]·basis[b] + delta[n]·g, starting from q = g.
        let mut delta = vec![0.0; n + 1];
        delta[n] = 1.0;
        let dot_q = |a: usize, delta: &[f64]| {
            delta[..n]
                .iter()
                .zip(&self.gram[a])
                .map(|(d, v)| d * v)
                .sum::<f64>()
                + delta[n] * self.with_g[a]
        };
        let rho = |i: usize| 1.0 / self.gram[2 * i][2 * i + 1];
        let mut alpha = [0.0; MEMORY];
        for i in (0..n / 2).rev() {
            alpha[i] = rho(i) * dot_q(2 * i, &delta);
            delta[2 * i + 1] -= alpha[i];
        }
        if n > 0 {
            let gamma = self.gram[n - 2][n - 1] / self.gram[n - 1][n - 1];
            delta.iter_mut().for_each(|d| *d *= gamma);
        }
        for (i, a) in alpha.iter().enumerate().take(n / 2) {
            let beta = rho(i) * dot_q(2 * i + 1, &delta);
            delta[2 * i] += a - beta;
        }
        let basis: Vec<&[f32]> = self.basis.iter().map(Vec::as_slice).collect();
        out.par_chunks_mut(VECTOR_CHUNK)
            .enumerate()
            .for_each(|(c, out)| {
                let range = c * VECTOR_CHUNK..c * VECTOR_CHUNK + out.len();
                for (o, &gi) in out.iter_mut().zip(&g[range.clone()]) {
                    *o = -delta[n] * gi;
                }
                for (b, &d) in basis.iter().zip(&delta) {
                    for (o, &v) in out.iter_mut().zip(&b[range.clone()]) {
                        *o -= d * v as f64;
                    }
                }
            });
    }
}

/// The inner products of every vector in `vectors` with each of `targets`, in one pass over memory.
/// Sums run over fixed chunks added in order, so they do not depend on the thread count.
fn fused_dots(vectors: &[&[f32]], s: &[f32], y: &[f32], g: &[f64]) -> Vec<[f64; 3]> {
    // Small chunks, so that the three target pieces stay in cache while every vector streams past.
    const CHUNK: usize = 4096;
    let len = g.len();
    let parts: Vec<Vec<[f64; 3]>> = (0..len.div_ceil(CHUNK))
        .into_par_iter()
        .map(|c| {
            let range = c * CHUNK..len.min((c + 1) * CHUNK);
            let (s, y, g) = (&s[range.clone()], &y[range.clone()], &g[range.clone()]);
            vectors
                .iter()
                .map(|v| {
                    // Four interleaved partial sums per product keep the adds from waiting on each other.
                    let v = &v[range.clone()];
                    [
                        lanes_dot(v, s, |t| t as f64),
                        lanes_dot(v, y, |t| t as f64),
                        lanes_dot(v, g, |t| t),
                    ]
                })
                .collect()
        })
        .collect();
    let mut total = vec![[0.0; 3]; vectors.len()];
    for part in &parts {
        for (t, p) in total.iter_mut().zip(part) {
            t.iter_mut().zip(p).for_each(|(t, p)| *t += p);
        }
    }
    total
}

/// A line search for the strong Wolfe conditions (Nocedal & Wright, algorithms 3.5 and 3.6).
/// `phi(α)` returns the objective and its slope at `θ + αp`; `f0`, `d0` are their values at `α = 0`.
/// Returns the accepted step and objective, or `None` when no step decreases the objective enough.
fn line_search(
    mut phi: impl FnMut(f64) -> (f64, f64),
    f0: f64,
    d0: f64,
    alpha0: f64,
) -> Option<(f64, f64)> {
    const C1: f64 = 1e-4;
    const C2: f64 = 0.9;
    const MAX_EVALS: usize = 40;
    let armijo = |a: f64, f: f64| f <= f0 + C1 * a * d0;
    let curvature = |d: f64| d.abs() <= -C2 * d0;

    let (mut lo, mut hi) = ((0.0, f0, d0), None);
    let mut a = alpha0;
    let mut evals = 0;
    // Bracketing: grow the step until the interval [lo, hi] contains an acceptable one.
    while hi.is_none() {
        if evals == MAX_EVALS {
            break;
        }
        evals += 1;
        let (f, d) = phi(a);
        if !f.is_finite() {
            hi = Some((a, f64::INFINITY, f64::NAN));
        } else if !armijo(a, f) || (evals > 1 && f >= lo.1) {
            hi = Some((a, f, d));
        } else if curvature(d) {
            return Some((a, f));
        } else if d >= 0.0 {
            hi = Some(lo);
            lo = (a, f, d);
        } else {
            lo = (a, f, d);
            a *= 2.0;
        }
    }
    // Zoom: shrink the bracket, keeping `lo` the best point that satisfies the Armijo condition.
    if let Some(mut hi) = hi {
        while evals < MAX_EVALS && (hi.0 - lo.0).abs() > 1e-12 * lo.0.abs().max(hi.0.abs()) {
            evals += 1;
            let a = interpolate(lo, hi);
            let (f, d) = phi(a);
            if !f.is_finite() || !armijo(a, f) || f >= lo.1 {
                hi = (a, f, d);
            } else {
                if curvature(d) {
                    return Some((a, f));
                }
                if d * (hi.0 - lo.0) >= 0.0 {
                    hi = lo;
                }
                lo = (a, f, d);
            }
        }
    }
    // Out of evaluations: a step with sufficient decrease is still progress.
    (lo.0 > 0.0 && lo.1 < f0).then_some((lo.0, lo.1))
}

/// The minimizer of the cubic through two points with slopes, kept away from the ends of the
/// interval; the midpoint when the cubic is of no use.
fn interpolate((a, fa, da): (f64, f64, f64), (b, fb, db): (f64, f64, f64)) -> f64 {
    let (left, right) = (a.min(b), a.max(b));
    let margin = 0.1 * (right - left);
    let d1 = da + db - 3.0 * (fa - fb) / (a - b);
    let disc = d1 * d1 - da * db;
    if disc.is_finite() && disc >= 0.0 {
        let d2 = (b - a).signum() * disc.sqrt();
        let x = b - (b - a) * (db + d2 - d1) / (db - da + 2.0 * d2);
        if x.is_finite() && x > left + margin && x < right - margin {
            return x;
        }
    }
    0.5 * (a + b)
}

/// `⟨v, t⟩` with four interleaved partial sums, which keep the adds from waiting on each other.
#[inline]
fn lanes_dot<T: Copy>(v: &[f32], t: &[T], to_f64: impl Fn(T) -> f64) -> f64 {
    let mut acc = [0.0; 4];
    let (vs, ts) = (v.chunks_exact(4), t.chunks_exact(4));
    for (lane, (&x, &t)) in vs.remainder().iter().zip(ts.remainder()).enumerate() {
        acc[lane] += x as f64 * to_f64(t);
    }
    for (x, t) in vs.zip(ts) {
        for lane in 0..4 {
            acc[lane] += x[lane] as f64 * to_f64(t[lane]);
        }
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3])
}

/// `⟨a, b⟩`, summed in fixed chunks so that the result does not depend on the thread count.
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let parts: Vec<f64> = a
        .par_chunks(VECTOR_CHUNK)
        .zip(b.par_chunks(VECTOR_CHUNK))
        .map(|(a, b)| a.iter().zip(b).map(|(x, y)| x * y).sum())
        .collect();
    parts.iter().sum()
}

/// `y += a·x`.
fn axpy(a: f64, x: &[f64], y: &mut [f64]) {
    y.par_chunks_mut(VECTOR_CHUNK)
        .zip(x.par_chunks(VECTOR_CHUNK))
        .for_each(|(y, x)| y.iter_mut().zip(x).for_each(|(y, &x)| *y += a * x));
}

fn max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0, |m, &x| m.max(x.abs()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{Algorithm, linfa_ref};
    use ndarray::{Array2, array};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn params(c: f64, tol: f64) -> ModelParams {
        ModelParams::new(Algorithm::LogReg)
            .c(c)
            .tol(tol)
            .max_iter(1000)
    }

    /// Three Gaussian-ish blobs in 4 dimensions, 20 rows each, overlapping enough that the optimum is
    /// finite and not trivially separable.
    fn blobs() -> (CsrMatrix, Vec<u32>) {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let centers = [
            [1.0, 0.0, 0.5, 0.0],
            [0.0, 1.0, 0.0, 0.5],
            [0.5, 0.5, 1.0, 1.0],
        ];
        let mut dense = Array2::zeros((60, 4));
        let mut y = Vec::new();
        for i in 0..60 {
            let k = i % 3;
            for j in 0..4 {
                dense[[i, j]] = centers[k][j] + rng.gen_range(-0.8..0.8);
            }
            y.push(k as u32);
        }
        (CsrMatrix::from_dense(&dense), y)
    }

    /// A random sparse problem larger than one row chunk and one feature chunk.
    fn random_sparse(rows: usize, cols: usize, classes: u32) -> (CsrMatrix, Vec<u32>) {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let mut x = CsrMatrix::new(cols);
        let mut y = Vec::new();
        for _ in 0..rows {
            let k = rng.gen_range(0..classes);
            let mut idx: Vec<u32> = (0..20)
                .map(|_| {
                    // Half the entries come from a class-specific band, so the classes are learnable.
                    if rng.gen_bool(0.5) {
                        k * 50 + rng.gen_range(0..50)
                    } else {
                        rng.gen_range(0..cols as u32)
                    }
                })
                .collect();
            idx.sort_unstable();
            idx.dedup();
            let values: Vec<f32> = idx.iter().map(|_| rng.gen_range(0.05..1.0)).collect();
            x.push_row(&idx, &values);
            y.push(k);
        }
        (x, y)
    }

    /// The tiny binary problem whose scikit-learn solutions the tests below paste.
    fn tiny_binary() -> (CsrMatrix, [bool; 10]) {
        let x = CsrMatrix::from_dense(&array![
            [1.0, 0.0, 2.0],
            [0.5, 1.5, 0.0],
            [0.0, 0.0, 0.0],
            [2.0, 1.0, 0.5],
            [0.0, 2.5, 1.0],
            [1.5, 0.0, 0.0],
            [0.25, 0.75, 1.25],
            [2.25, 0.5, 0.0],
            [0.0, 1.0, 0.75],
            [1.0, 1.0, 1.0]
        ]);
        (x, [1, 0, 0, 1, 0, 1, 0, 1, 1, 0].map(|v| v == 1))
    }

    #[test]
    fn binary_matches_sklearn_on_a_tiny_problem() {
        // Computed with scikit-learn 1.9.1:
        //   LogisticRegression(C=1.0, tol=1e-10, max_iter=10000).fit(X, y)
        // on exactly the X and y below; coef_ and intercept_ pasted.
        let expected_w = [0.9425729808153109, -0.5709567346509343, 0.13530422427661093];
        let expected_b = -0.4242272442758757;
        let (x, y) = tiny_binary();
        let (w, b) = fit_binary(&x, &y, &params(1.0, 1e-10)).unwrap();
        for (got, want) in w.iter().zip(expected_w) {
            assert!((got - want).abs() < 1e-6, "{w:?} vs {expected_w:?}");
        }
        assert!((b - expected_b).abs() < 1e-6, "{b} vs {expected_b}");
    }

    #[test]
    fn row_weights_match_sklearn_class_weights() {
        // scikit-learn 1.9.1: LogisticRegression(C=1.0, tol=1e-10, max_iter=10000, class_weight=…).fit(X, y).
        // Binary, class_weight={0: 2.5, 1: 1.0}, on `tiny_binary`:
        let (x, y) = tiny_binary();
        let weights: Vec<f64> = y.iter().map(|&t| if t { 1.0 } else { 2.5 }).collect();
        let (w, b) = fit_binary_weighted(&x, &y, Some(&weights), &params(1.0, 1e-10)).unwrap();
        let expected_w = [1.2228514237668673, -0.6949706023556176, 0.15360096519508806];
        for (got, want) in w.iter().zip(expected_w) {
            assert!((got - want).abs() < 1e-6, "{w:?} vs {expected_w:?}");
        }
        assert!((b - -1.3509585639023312).abs() < 1e-6, "{b}");

        // Multinomial, class_weight="balanced" on y = [0,0,1,1,0,0,2,1,0]: weights 9/15, 9/9, 9/3.
        let x = CsrMatrix::from_dense(&array![
            [1.0, 0.0, 0.5, 0.0],
            [0.75, 0.25, 0.0, 0.0],
            [0.0, 1.0, 0.0, 0.5],
            [0.0, 0.5, 0.25, 1.0],
            [0.5, 0.5, 0.0, 0.0],
            [0.0, 0.0, 1.0, 0.25],
            [1.0, 0.0, 0.0, 1.0],
            [0.25, 0.0, 0.75, 0.0],
            [0.5, 0.25, 0.5, 0.5]
        ]);
        let y = [0u32, 0, 1, 1, 0, 0, 2, 1, 0];
        let class_w = [0.6, 1.0, 3.0];
        let weights: Vec<f64> = y.iter().map(|&k| class_w[k as usize]).collect();
        let m = fit_multinomial_weighted(&x, &y, 3, Some(&weights), &params(1.0, 1e-10)).unwrap();
        let expected = [
            [
                0.0927401996602264,
                -0.042313527692488785,
                0.23645294904764955,
                -0.7233393228514199,
            ],
            [
                -0.8124242070487193,
                0.4337592612323373,
                0.14779031881140878,
                -0.023171846541100882,
            ],
            [
                0.719684007388493,
                -0.3914457335398485,
                -0.3842432678590582,
                0.7465111693925207,
            ],
        ];
        let expected_b = [0.35428247835179105, 0.3318557739564945, -0.6861382523082854];
        for (c, (row, b)) in expected.iter().zip(expected_b).enumerate() {
            for (j, want) in row.iter().enumerate() {
                // Weights are stored as f32.
                let got = m.weight(j, c) as f64;
                assert!((got - want).abs() < 1e-6, "w[{c}][{j}] = {got}");
            }
            assert!((m.intercept(c) as f64 - b).abs() < 1e-6);
        }
    }

    #[test]
    fn multinomial_agrees_with_linfa_logistic_on_a_small_dense_problem() {
        let (x, y) = blobs();
        let ours = fit_multinomial(&x, &y, 3, &params(1.0, 1e-10)).unwrap();
        let linfa_params = ModelParams::new(Algorithm::LinfaLogistic)
            .c(1.0)
            .tol(1e-8)
            .max_iter(1000)
            .dense_features(4);
        let theirs = linfa_ref::fit_multiclass(&x, &y, 3, &linfa_params).unwrap();

        assert_eq!(ours.predict(&x), theirs.predict(&x));
        // Both minimize the same strictly convex objective, so they differ only by where each
        // solver stops (linfa: L2 gradient norm ≤ 1e-8) and by the f32 storage of the weights
        // (relative error 6e-8): 1e-5 on probabilities leaves a wide margin over both.
        let (mut p, mut q) = ([0.0; 3], [0.0; 3]);
        for i in 0..x.nrows() {
            ours.scores(x.row(i), &mut p);
            theirs.scores(x.row(i), &mut q);
            for (a, b) in p.iter().zip(&q) {
                assert!((a - b).abs() < 1e-5, "row {i}: {p:?} vs {q:?}");
            }
        }
    }

    #[test]
    fn fit_is_bit_identical_across_runs_and_thread_counts() {
        let (x, y) = random_sparse(1300, 2500, 4);
        let fit_in = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                let p = params(10.0, 1e-4).max_iter(25);
                let multi = fit_multinomial(&x, &y, 4, &p).unwrap();
                let target: Vec<bool> = y.iter().map(|&k| k == 1).collect();
                let binary = fit_binary(&x, &target, &p).unwrap();
                let raw = minimize(
                    &Problem::new(&x, y.clone(), None, 4, Loss::Softmax, 10.0),
                    25,
                    1e-4,
                );
                (multi, binary, raw)
            })
        };
        let one = fit_in(1);
        let again = fit_in(1);
        let four = fit_in(4);
        let bits = |v: &[f64]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
        assert_eq!(one.0, again.0);
        assert_eq!(one.0, four.0);
        assert_eq!(bits(&one.1.0), bits(&four.1.0));
        assert_eq!(one.1.1.to_bits(), four.1.1.to_bits());
        assert_eq!(bits(&one.2), bits(&again.2));
        assert_eq!(bits(&one.2), bits(&four.2));
        // The fit did learn something, so the comparison is not between two zero models.
        let correct = one
            .0
            .predict(&x)
            .iter()
            .zip(&y)
            .filter(|(a, b)| **a == **b as usize)
            .count();
        assert!(correct > x.nrows() / 2, "{correct} of {}", x.nrows());
    }

    #[test]
    fn empty_rows_and_classes_without_rows_still_fit() {
        let mut x = CsrMatrix::new(3);
        x.push_row(&[0], &[1.0]);
        x.push_row(&[], &[]);
        x.push_row(&[1, 2], &[1.0, 0.5]);
        x.push_row(&[0, 2], &[0.5, 1.0]);
        let y = [0, 1, 1, 0];
        let m = fit_multinomial(&x, &y, 3, &params(10.0, 1e-4)).unwrap();
        let mut s = [0.0; 3];
        for i in 0..x.nrows() {
            m.scores(x.row(i), &mut s);
            assert!(s.iter().all(|v| v.is_finite()));
            assert!(s[2] < 0.01, "class 2 has no rows but scores {s:?}");
        }
        assert_eq!(m.predict(&x), vec![0, 1, 1, 0]);

        let (w, b) = fit_binary(&x, &[false; 4], &params(10.0, 1e-4)).unwrap();
        assert!(w.iter().all(|v| v.is_finite()) && b.is_finite() && b < 0.0);
    }

    #[test]
    fn mismatched_targets_and_bad_class_ids_are_errors() {
        let x = CsrMatrix::from_dense(&array![[1.0], [2.0]]);
        assert!(fit_multinomial(&x, &[0], 2, &params(1.0, 1e-4)).is_err());
        assert!(fit_multinomial(&x, &[0, 2], 2, &params(1.0, 1e-4)).is_err());
        assert!(fit_binary(&x, &[true], &params(1.0, 1e-4)).is_err());
    }
}
