//! TODO(helper): text analysis chain.
use crate::error::Result;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum StopWords {
    None,
    English,
    Custom(Vec<String>),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AnalyzerConfig {
    pub lowercase: bool,
    pub stop_words: StopWords,
    pub stemmer: Option<String>,
    pub word_ngrams: usize,
    pub char_ngrams: Option<(usize, usize)>,
}

#[derive(Clone, Debug)]
pub struct Analyzer {
    config: AnalyzerConfig,
}

#[derive(Default)]
pub struct Scratch {}

impl Analyzer {
    pub fn new(config: AnalyzerConfig) -> Result<Self> {
        Ok(Analyzer { config })
    }
    pub fn config(&self) -> &AnalyzerConfig {
        &self.config
    }
    pub fn for_each_term(&self, _text: &str, _scratch: &mut Scratch, _emit: &mut dyn FnMut(&str)) {
        todo!()
    }
}
