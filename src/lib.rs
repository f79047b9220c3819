//! detente: offline text classification with TF-IDF features and linear models.
//!
//! Data flows one way: text → [`analyzer::Analyzer`] (segment, lowercase, stop words, stem, n-grams) → term ids
//! of the [`tfidf::TfidfVectorizer`] → sparse TF-IDF rows ([`sparse::CsrMatrix`]) → a
//! [`models::LinearModel`] per head → labels. Only the vocabulary touches strings.
//!
//! - [`io`] reads corpora (JSON lines, CSV/TSV, a folder per class, fastText) into [`io::Document`]s.
//! - [`model::Model`] is the whole pipeline: vectorizer, one [`model::Head`] per label field (single- or
//!   multi-label), and provenance. [`model::Model::train`], [`model::Model::predict`],
//!   [`model::Model::evaluate`], [`model::Model::save`] / [`model::Model::load`].
//! - [`models::ModelParams`] chooses and configures the classifier (`svm`, `logreg`, `nb`, `cnb`,
//!   `linfa-logistic`); it implements linfa's `Fit` on a sparse dataset, and the fitted
//!   [`models::LinearModel`] implements linfa's `Predict`.
//! - [`cv`] cross-validates a whole pipeline and searches its parameters.
//! - [`explain`] tells which terms pushed a head toward or away from a label.
//! - [`metrics`] scores predictions; [`mod@format`] is the model file container.
//! - [`mod@bench`] measures algorithms against each other on one split; [`plot`] draws SVG charts of results.
//!
//! The library never prints or exits; the `detente` binary owns the command line.
//!
//! # Example
//!
//! ```
//! use detente::io::LabelValue;
//! use detente::model::{Corpus, Model, TrainOptions};
//! use detente::models::{Algorithm, ModelParams};
//! use detente::tfidf::{DocFreq, TfidfParams};
//!
//! let labeled = [
//!     ("troops shelled the border villages", "escalation"),
//!     ("the army attacked the rebel convoy", "escalation"),
//!     ("the leaders signed a ceasefire agreement", "reconciliation"),
//!     ("the ministers agreed to restore relations", "reconciliation"),
//! ];
//! let corpus = Corpus {
//!     texts: labeled.iter().map(|(t, _)| t.to_string()).collect(),
//!     labels: labeled.iter().map(|(_, l)| vec![LabelValue::One(l.to_string())]).collect(),
//!     label_fields: vec!["tone".into()],
//!     sources: Vec::new(),
//! };
//! let options = TrainOptions {
//!     tfidf: TfidfParams { min_df: DocFreq::Count(1), ..TfidfParams::default() },
//!     ..TrainOptions::new(ModelParams::new(Algorithm::LogReg))
//! };
//! let model = Model::train(&corpus, &options)?;
//! let predictions = model.predict(&["a ceasefire agreement was signed"], 2);
//! assert_eq!(predictions[0][0].labels[0].label, "reconciliation");
//! # Ok::<(), detente::Error>(())
//! ```

pub mod analyzer;
pub mod article;
pub mod bench;
pub mod cv;
pub mod error;
pub mod explain;
pub mod format;
mod grams;
pub mod io;
pub mod memory;
pub mod metrics;
pub mod model;
pub mod models;
pub mod plot;
mod porter2;
pub mod sparse;
pub mod stopwords;
pub mod tfidf;
pub mod tone;

pub use error::{Error, Result};
