//! TODO(helper)
use super::{Binary, ModelParams};
use crate::error::Result;
use crate::sparse::CsrMatrix;
pub fn fit_binary(_x: &CsrMatrix, _y: &[bool], _p: &ModelParams) -> Result<Binary> {
    todo!()
}
