//! detente: offline text classification (overview written once the pieces are merged).

pub mod analyzer;
pub mod error;
pub mod format;
pub mod io;
pub mod metrics;
pub mod model;
pub mod models;
pub mod sparse;
pub mod stopwords;
pub mod tfidf;

pub use error::{Error, Result};
