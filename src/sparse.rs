//! Sparse rows: the representation every stage after the vocabulary works on.
//!
//! [`CsrMatrix`] stores documents as compressed sparse rows of `f32` values with `u32` column (term) ids.
//! It implements linfa's [`Records`] so that detente's models fit into linfa's `Fit`/`Predict` traits.

use linfa::dataset::Records;
use ndarray::Array2;
use serde::{Deserialize, Serialize};

/// A row-compressed sparse matrix. Column ids within a row are strictly increasing.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CsrMatrix {
    indptr: Vec<usize>,
    indices: Vec<u32>,
    values: Vec<f32>,
    ncols: usize,
}

/// One row of a [`CsrMatrix`]: parallel slices of column ids and values.
#[derive(Clone, Copy, Debug)]
pub struct SparseRow<'a> {
    pub indices: &'a [u32],
    pub values: &'a [f32],
}

impl SparseRow<'_> {
    /// Dot product with a dense vector indexed by column id.
    #[inline]
    pub fn dot(&self, dense: &[f64]) -> f64 {
        self.indices
            .iter()
            .zip(self.values)
            .map(|(&j, &v)| dense[j as usize] * v as f64)
            .sum()
    }

    /// Squared Euclidean norm.
    #[inline]
    pub fn norm_sq(&self) -> f64 {
        self.values.iter().map(|&v| v as f64 * v as f64).sum()
    }

    /// Number of stored entries.
    #[inline]
    pub fn nnz(&self) -> usize {
        self.indices.len()
    }
}

/// Entries of a wave of [`CsrMatrix::from_blocks`]: 64 MB of matrix. A smaller matrix is filled in one
/// wave; a larger one hands memory back every 64 MB or so, at about 0.01 s each time.
const WAVE_ENTRIES: usize = 8 << 20;

impl CsrMatrix {
    /// An empty matrix with `ncols` columns and no rows.
    pub fn new(ncols: usize) -> Self {
        CsrMatrix {
            indptr: vec![0],
            indices: Vec::new(),
            values: Vec::new(),
            ncols,
        }
    }

    /// Appends a row. `indices` must be strictly increasing and below `ncols`.
    pub fn push_row(&mut self, indices: &[u32], values: &[f32]) {
        debug_assert_eq!(indices.len(), values.len());
        debug_assert!(indices.windows(2).all(|w| w[0] < w[1]));
        debug_assert!(indices.iter().all(|&j| (j as usize) < self.ncols));
        self.indices.extend_from_slice(indices);
        self.values.extend_from_slice(values);
        self.indptr.push(self.indices.len());
    }

    /// Appends all rows of `other`, which must have the same number of columns.
    pub fn append(&mut self, other: &CsrMatrix) {
        assert_eq!(self.ncols, other.ncols, "appending rows of another width");
        let offset = self.indices.len();
        self.indices.extend_from_slice(&other.indices);
        self.values.extend_from_slice(&other.values);
        self.indptr
            .extend(other.indptr[1..].iter().map(|&p| p + offset));
    }

    /// Stacks `parts`, each of `ncols` columns, one under another. Each part is copied straight into its
    /// place in the result, in parallel, so no array grows (and is copied again) along the way.
    pub fn concat(ncols: usize, parts: Vec<CsrMatrix>) -> Self {
        let sizes: Vec<(usize, usize)> = parts
            .iter()
            .map(|p| {
                assert_eq!(p.ncols, ncols, "stacking rows of another width");
                (p.nrows(), p.nnz())
            })
            .collect();
        Self::from_blocks(ncols, parts, &sizes, |part, ends, indices, values| {
            ends.copy_from_slice(&part.indptr[1..]);
            indices.copy_from_slice(&part.indices);
            values.copy_from_slice(&part.values);
        })
    }

    /// Builds a matrix from blocks of consecutive rows, filled in parallel straight into the final arrays,
    /// so no per-block matrix is built and then copied. `sizes[b]` is block b's (rows, entries);
    /// `fill(block, ends, indices, values)` gets block b's item (dropped when it returns, which frees it
    /// as the matrix fills) and writes each row's end, counted from the block's first entry, into `ends`
    /// and the entries into `indices` and `values`, which have exactly the block's sizes.
    ///
    /// The blocks are filled in waves of about [`WAVE_ENTRIES`] entries, in order, and what the blocks of a
    /// wave held is handed back to the system ([`crate::memory::release`]) before the next wave: the
    /// allocator would otherwise keep it, and the blocks and the matrix would be resident together.
    pub fn from_blocks<T, F>(
        ncols: usize,
        blocks: Vec<T>,
        sizes: &[(usize, usize)],
        fill: F,
    ) -> Self
    where
        T: Send,
        F: Fn(T, &mut [usize], &mut [u32], &mut [f32]) + Sync,
    {
        Self::from_blocks_in_waves(ncols, blocks, sizes, WAVE_ENTRIES, fill)
    }

    /// [`Self::from_blocks`] with waves of `wave_entries` entries.
    fn from_blocks_in_waves<T, F>(
        ncols: usize,
        blocks: Vec<T>,
        sizes: &[(usize, usize)],
        wave_entries: usize,
        fill: F,
    ) -> Self
    where
        T: Send,
        F: Fn(T, &mut [usize], &mut [u32], &mut [f32]) + Sync,
    {
        use rayon::prelude::*;
        assert_eq!(blocks.len(), sizes.len(), "one size per block");
        let (nrows, nnz) = sizes
            .iter()
            .fold((0, 0), |(r, e), &(rows, entries)| (r + rows, e + entries));
        let mut m = CsrMatrix {
            indptr: vec![0; nrows + 1],
            indices: vec![0; nnz],
            values: vec![0.0; nnz],
            ncols,
        };
        let mut parts = Vec::with_capacity(sizes.len());
        let (mut ends, mut indices, mut values) =
            (&mut m.indptr[1..], &mut m.indices[..], &mut m.values[..]);
        let mut base = 0;
        for &(rows, entries) in sizes {
            let (e, rest_e) = std::mem::take(&mut ends).split_at_mut(rows);
            let (i, rest_i) = std::mem::take(&mut indices).split_at_mut(entries);
            let (v, rest_v) = std::mem::take(&mut values).split_at_mut(entries);
            parts.push((base, e, i, v));
            (ends, indices, values) = (rest_e, rest_i, rest_v);
            base += entries;
        }
        let mut work = blocks.into_iter().zip(parts).peekable();
        while work.peek().is_some() {
            let mut entries = 0;
            let mut wave = Vec::new();
            while entries < wave_entries
                && let Some(item) = work.next()
            {
                let (_, (_, _, indices, _)) = &item;
                entries += indices.len();
                wave.push(item);
            }
            wave.into_par_iter()
                .for_each(|(block, (base, ends, indices, values))| {
                    fill(block, ends, indices, values);
                    ends.iter_mut().for_each(|end| *end += base);
                });
            if work.peek().is_some() {
                crate::memory::release();
            }
        }
        debug_assert!(m.indptr.windows(2).all(|w| w[0] <= w[1]));
        m
    }

    /// Builds a matrix from dense rows, keeping the non-zero entries (for tests and small problems).
    pub fn from_dense(dense: &Array2<f64>) -> Self {
        let mut m = CsrMatrix::new(dense.ncols());
        let (mut idx, mut val) = (Vec::new(), Vec::new());
        for row in dense.rows() {
            idx.clear();
            val.clear();
            for (j, &v) in row.iter().enumerate() {
                if v != 0.0 {
                    idx.push(j as u32);
                    val.push(v as f32);
                }
            }
            m.push_row(&idx, &val);
        }
        m
    }

    /// The dense form of the matrix, or of the given columns only, in that order.
    pub fn to_dense(&self, columns: Option<&[u32]>) -> Array2<f64> {
        let width = columns.map_or(self.ncols, |c| c.len());
        let mut position = vec![usize::MAX; self.ncols];
        match columns {
            Some(cols) => cols
                .iter()
                .enumerate()
                .for_each(|(k, &j)| position[j as usize] = k),
            None => position.iter_mut().enumerate().for_each(|(k, p)| *p = k),
        }
        let mut dense = Array2::zeros((self.nrows(), width));
        for (i, row) in self.rows().enumerate() {
            for (&j, &v) in row.indices.iter().zip(row.values) {
                let k = position[j as usize];
                if k != usize::MAX {
                    dense[[i, k]] = v as f64;
                }
            }
        }
        dense
    }

    /// A new matrix made of the given rows, in that order.
    pub fn select_rows(&self, rows: &[usize]) -> CsrMatrix {
        let mut m = CsrMatrix::new(self.ncols);
        for &i in rows {
            let r = self.row(i);
            m.push_row(r.indices, r.values);
        }
        m
    }

    pub fn nrows(&self) -> usize {
        self.indptr.len() - 1
    }

    pub fn ncols(&self) -> usize {
        self.ncols
    }

    /// Number of stored entries.
    pub fn nnz(&self) -> usize {
        self.indices.len()
    }

    /// Row `i`.
    #[inline]
    pub fn row(&self, i: usize) -> SparseRow<'_> {
        let (start, end) = (self.indptr[i], self.indptr[i + 1]);
        SparseRow {
            indices: &self.indices[start..end],
            values: &self.values[start..end],
        }
    }

    /// Starts loading where row `i` lies (its two `indptr` entries) into the cache, without waiting for it.
    #[inline]
    pub(crate) fn prefetch_bounds(&self, i: usize) {
        prefetch(&self.indptr[i]);
    }

    /// Starts loading the beginning of row `i`'s entries into the cache, without waiting for them. Best
    /// called once [`prefetch_bounds`](Self::prefetch_bounds) has had time to bring in where they lie.
    #[inline]
    pub(crate) fn prefetch_entries(&self, i: usize) {
        let start = self.indptr[i];
        // One past the end for an empty last row: a prefetch reads nothing, wherever it points.
        prefetch(self.indices.as_ptr().wrapping_add(start));
        prefetch(self.values.as_ptr().wrapping_add(start));
    }

    /// All rows in order.
    pub fn rows(&self) -> impl ExactSizeIterator<Item = SparseRow<'_>> + '_ {
        (0..self.nrows()).map(move |i| self.row(i))
    }
}

/// Asks the processor to bring the cache line holding `p` into its caches, and goes on without waiting:
/// a hint that reads nothing the program sees and cannot fault, whatever `p` points to. It does nothing
/// on processors other than x86-64.
#[inline(always)]
pub(crate) fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch only moves a cache line; it neither reads into the program nor faults, even on an
    // address outside every allocation.
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>(p.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

impl Records for CsrMatrix {
    type Elem = f32;

    fn nsamples(&self) -> usize {
        self.nrows()
    }

    fn nfeatures(&self) -> usize {
        self.ncols
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn dense_round_trip_keeps_values_and_shape() {
        let dense = array![[0.0, 1.5, 0.0], [2.0, 0.0, -1.0], [0.0, 0.0, 0.0]];
        let m = CsrMatrix::from_dense(&dense);
        assert_eq!((m.nrows(), m.ncols(), m.nnz()), (3, 3, 3));
        assert_eq!(m.to_dense(None), dense);
        assert_eq!(
            m.to_dense(Some(&[2, 0])),
            array![[0.0, 0.0], [-1.0, 2.0], [0.0, 0.0]]
        );
    }

    #[test]
    fn concat_equals_appending() {
        let part = |rows: &[&[(u32, f32)]]| {
            let mut m = CsrMatrix::new(5);
            for row in rows {
                let (i, v): (Vec<u32>, Vec<f32>) = row.iter().copied().unzip();
                m.push_row(&i, &v);
            }
            m
        };
        let parts = vec![
            part(&[&[(0, 1.0), (3, 2.0)], &[]]),
            part(&[]),
            part(&[&[(4, 0.5)], &[(1, 1.5), (2, 2.5), (4, 3.5)]]),
        ];
        let mut appended = CsrMatrix::new(5);
        for p in &parts {
            appended.append(p);
        }
        let stacked = CsrMatrix::concat(5, parts);
        assert_eq!(stacked, appended);
        assert_eq!((stacked.nrows(), stacked.nnz()), (4, 6));
        assert_eq!(CsrMatrix::concat(5, Vec::new()), CsrMatrix::new(5));
    }

    #[test]
    fn from_blocks_equals_rows_pushed_in_order() {
        // Blocks of rows (column, value), one of them empty and some rows empty.
        let blocks: Vec<Vec<Vec<(u32, f32)>>> = vec![
            vec![vec![(0, 1.0), (3, 2.0)], vec![]],
            vec![],
            vec![vec![(1, -1.0)], vec![(0, 0.5), (2, 4.0), (3, 8.0)], vec![]],
        ];
        let mut expected = CsrMatrix::new(4);
        for row in blocks.iter().flatten() {
            let (idx, val): (Vec<u32>, Vec<f32>) = row.iter().copied().unzip();
            expected.push_row(&idx, &val);
        }
        let sizes: Vec<(usize, usize)> = blocks
            .iter()
            .map(|b| (b.len(), b.iter().map(Vec::len).sum()))
            .collect();
        let fill = |block: Vec<Vec<(u32, f32)>>,
                    ends: &mut [usize],
                    indices: &mut [u32],
                    values: &mut [f32]| {
            let mut end = 0;
            for (row, row_end) in block.iter().zip(ends) {
                for &(j, v) in row {
                    (indices[end], values[end]) = (j, v);
                    end += 1;
                }
                *row_end = end;
            }
        };
        let m = CsrMatrix::from_blocks(4, blocks.clone(), &sizes, fill);
        assert_eq!(m, expected);
        assert_eq!((m.nrows(), m.nnz()), (5, 6));
        // Limits of 1 and 2 entries (two waves: the empty block joins the next one) and of 3 and 6 (one
        // wave: the blocks are added whole, whatever the limit).
        for wave in [1, 2, 3, 6] {
            let m = CsrMatrix::from_blocks_in_waves(4, blocks.clone(), &sizes, wave, fill);
            assert_eq!(m, expected, "waves of {wave} entries");
        }
    }

    #[test]
    fn append_and_select_rows_keep_row_contents() {
        let a = CsrMatrix::from_dense(&array![[1.0, 0.0], [0.0, 2.0]]);
        let mut b = CsrMatrix::from_dense(&array![[3.0, 4.0]]);
        b.append(&a);
        assert_eq!(b.to_dense(None), array![[3.0, 4.0], [1.0, 0.0], [0.0, 2.0]]);
        assert_eq!(
            b.select_rows(&[2, 0]).to_dense(None),
            array![[0.0, 2.0], [3.0, 4.0]]
        );
        assert_eq!(b.row(0).dot(&[1.0, 10.0]), 43.0);
        assert_eq!(b.row(0).norm_sq(), 25.0);
    }
}
