//! TODO(helper)
use super::{Binary, LinearModel};
use crate::sparse::CsrMatrix;
pub fn fit_multinomial(_x: &CsrMatrix, _y: &[u32], _n_classes: usize, _alpha: f64) -> LinearModel {
    todo!()
}
pub fn fit_complement(_x: &CsrMatrix, _y: &[u32], _n_classes: usize, _alpha: f64) -> LinearModel {
    todo!()
}
pub fn fit_binary(_x: &CsrMatrix, _y: &[bool], _alpha: f64, _complement: bool) -> Binary {
    todo!()
}
