//! TODO(helper): TF-IDF vectorizer.
use crate::analyzer::Analyzer;
use crate::error::Result;
use crate::sparse::CsrMatrix;

#[derive(Clone, Debug, PartialEq)]
pub enum DocFreq {
    Count(usize),
    Fraction(f64),
}

#[derive(Clone, Debug, PartialEq)]
pub struct TfidfParams {
    pub min_df: DocFreq,
    pub max_df: DocFreq,
    pub max_features: Option<usize>,
    pub sublinear_tf: bool,
    pub norm: bool,
}

pub struct TfidfVectorizer {
    pub analyzer: Analyzer,
    pub terms: Vec<String>,
    pub idf: Vec<f32>,
}

impl TfidfParams {
    pub fn fit_transform(
        &self,
        _analyzer: Analyzer,
        _texts: &[&str],
    ) -> Result<(TfidfVectorizer, CsrMatrix)> {
        todo!()
    }
}
impl TfidfVectorizer {
    pub fn transform(&self, _texts: &[&str]) -> CsrMatrix {
        todo!()
    }
}
