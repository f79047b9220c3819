//! detente: offline text classification (TODO overview).

pub mod analyzer;
pub mod error;
pub mod io;
pub mod models;
pub mod sparse;
pub mod stopwords;
pub mod tfidf;

pub use error::{Error, Result};
