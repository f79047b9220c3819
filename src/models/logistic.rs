//! TODO(helper)
use super::{Binary, LinearModel, ModelParams};
use crate::error::Result;
use crate::sparse::CsrMatrix;
pub fn fit_multinomial(
    _x: &CsrMatrix,
    _y: &[u32],
    _n_classes: usize,
    _p: &ModelParams,
) -> Result<LinearModel> {
    todo!()
}
pub fn fit_binary(_x: &CsrMatrix, _y: &[bool], _p: &ModelParams) -> Result<Binary> {
    todo!()
}
