//! TODO(helper): csv reader.
use super::{Document, ReadOptions, ReadReport};
use crate::error::Result;
use std::path::Path;

pub fn read(
    _path: &Path,
    _delimiter: u8,
    _options: &ReadOptions,
    _sink: &mut dyn FnMut(Document) -> Result<()>,
) -> Result<ReadReport> {
    todo!()
}
