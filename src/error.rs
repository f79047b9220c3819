//! The library's one error type. Every variant says what went wrong and where (file, line, field), so a
//! user can fix the input without reading code.

use std::path::PathBuf;

/// Errors from reading corpora, fitting models and loading model files.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An operating-system error on a file or stream.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A line or record that is not in the expected format; `line` 0 is about the whole file or folder.
    #[error("{}: {message}", at(path, *line))]
    Parse {
        path: PathBuf,
        line: usize,
        message: String,
    },
    /// A record lacks a field that was asked for.
    #[error("{}:{line}: missing field `{field}`", path.display())]
    MissingField {
        path: PathBuf,
        line: usize,
        field: String,
    },
    /// A field holds a value of the wrong type.
    #[error("{}:{line}: field `{field}` should be {expected}, found {found}", path.display())]
    FieldType {
        path: PathBuf,
        line: usize,
        field: String,
        expected: &'static str,
        found: String,
    },
    /// A corpus (file, folder or all inputs together) holds no documents.
    #[error("{}: no documents found", path.display())]
    EmptyCorpus { path: PathBuf },
    /// A head would have fewer than two classes.
    #[error("label field `{head}` has only one class ({label}); a classifier needs at least two")]
    SingleClass { head: String, label: String },
    /// A parameter outside its range.
    #[error("invalid value {value} for {name}: expected {expected}")]
    InvalidParam {
        name: &'static str,
        value: String,
        expected: String,
    },
    /// A file that is not a detente model, or one that is damaged.
    #[error("{}: not a usable detente model: {reason}", path.display())]
    BadModel { path: PathBuf, reason: String },
    /// A model written by a newer detente.
    #[error(
        "{}: model format version {found} is newer than this detente reads (up to {supported}); upgrade detente",
        path.display()
    )]
    NewerModel {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    /// A head name that the model does not have.
    #[error("the model has no head `{head}`; it has: {available}")]
    UnknownHead { head: String, available: String },
    /// An error raised inside linfa.
    #[error(transparent)]
    Linfa(#[from] linfa::Error),
}

/// Shorthand for results with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// `path:line`, or the path alone for line 0 (a whole file or folder).
fn at(path: &std::path::Path, line: usize) -> String {
    match line {
        0 => path.display().to_string(),
        line => format!("{}:{line}", path.display()),
    }
}

impl Error {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// Shorthand for [`Error::InvalidParam`].
    pub fn param(name: &'static str, value: impl ToString, expected: impl Into<String>) -> Self {
        Error::InvalidParam {
            name,
            value: value.to_string(),
            expected: expected.into(),
        }
    }
}
