//! Readers for labeled and unlabeled corpora.
//!
//! | format | recognized by | text | labels |
//! |---|---|---|---|
//! | JSON lines | `.jsonl`, `.ndjson`, `.json` | `--text-field` (default `text`) | each `--label-field`: a string or number (single label), or a list (multi-label) |
//! | CSV / TSV | `.csv`, `.tsv` | the column named by `--text-field` | the columns named by `--label-field` |
//! | folder per class | a directory | each file's contents | the sub-folder name, field `label` |
//! | fastText | `.ft`, `.fasttext` | the line after its `__label__` tokens | field `label`: one label, or a list when a line has several |
//!
//! Readers stream: they hand each [`Document`] to a callback and keep nothing.

pub mod csv;
pub mod fasttext;
pub mod folder;
pub mod jsonl;
mod text;

pub use text::decode_text;

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Input formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Format {
    Jsonl,
    Csv,
    Tsv,
    Folder,
    FastText,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Jsonl => "jsonl",
            Format::Csv => "csv",
            Format::Tsv => "tsv",
            Format::Folder => "folder",
            Format::FastText => "fasttext",
        }
    }

    /// The format a path implies: a directory is a folder corpus, a file is known by its extension. A path
    /// that does not exist is an [`Error::Io`].
    pub fn detect(path: &Path) -> Result<Format> {
        // A missing or unreachable path is reported as such, not as an unknown format.
        let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
        if meta.is_dir() {
            return Ok(Format::Folder);
        }
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("jsonl" | "ndjson" | "json") => Ok(Format::Jsonl),
            Some("csv") => Ok(Format::Csv),
            Some("tsv" | "tab") => Ok(Format::Tsv),
            Some("ft" | "fasttext") => Ok(Format::FastText),
            _ => Err(Error::Parse {
                path: path.to_path_buf(),
                line: 0,
                message: "cannot tell the format from the file name; pass --input-format \
                          jsonl|csv|tsv|folder|fasttext"
                    .into(),
            }),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        [
            Format::Jsonl,
            Format::Csv,
            Format::Tsv,
            Format::Folder,
            Format::FastText,
        ]
        .into_iter()
        .find(|f| f.name() == s)
        .ok_or_else(|| Error::param("input format", s, "jsonl, csv, tsv, folder or fasttext"))
    }
}

/// The value of one label field of one document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LabelValue {
    /// A single label (string, or a number written as a string).
    One(String),
    /// A list of labels, possibly empty: the field belongs to a multi-label head.
    Many(Vec<String>),
    /// No value: the field is missing or null (JSON), the cell empty (CSV), or the line has no label (fastText).
    /// Only produced with [`ReadOptions::partial_labels`]; the document then does not count for that field's head.
    Missing,
}

/// One document as read: its text, where it came from, and one [`LabelValue`] per requested label field.
#[derive(Clone, Debug, PartialEq)]
pub struct Document {
    pub text: String,
    /// The file it came from.
    pub path: PathBuf,
    /// 1-based line (JSONL, CSV, fastText) or 0 when the document is a whole file.
    pub line: usize,
    /// In the order of [`ReadOptions::label_fields`].
    pub labels: Vec<LabelValue>,
}

/// What to read.
#[derive(Clone, Debug)]
pub struct ReadOptions {
    /// `None`: from the path (see [`Format::detect`]).
    pub format: Option<Format>,
    /// JSON field or CSV column holding the text.
    pub text_field: String,
    /// Fields holding labels; empty for unlabeled input. Folder and fastText corpora have one, `label`.
    pub label_fields: Vec<String>,
    /// A document may lack a label field ([`LabelValue::Missing`]) instead of that being an error.
    pub partial_labels: bool,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            format: None,
            text_field: "text".into(),
            label_fields: Vec::new(),
            partial_labels: false,
        }
    }
}

/// Counts gathered while reading.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadReport {
    pub documents: usize,
    pub files: usize,
    /// Documents whose bytes were not valid UTF-8: invalid sequences were replaced by U+FFFD.
    pub replaced_non_utf8: usize,
}

impl ReadReport {
    /// Adds another report's counts to this one.
    pub fn merge(&mut self, other: &ReadReport) {
        self.documents += other.documents;
        self.files += other.files;
        self.replaced_non_utf8 += other.replaced_non_utf8;
    }
}

/// Reads every document of `path`, handing each to `sink` in file order. A sink error stops the reading.
pub fn read_documents(
    path: &Path,
    options: &ReadOptions,
    sink: &mut dyn FnMut(Document) -> Result<()>,
) -> Result<ReadReport> {
    let format = match options.format {
        Some(f) => f,
        None => Format::detect(path)?,
    };
    if format != Format::Folder && !path.is_file() {
        let source = std::fs::metadata(path)
            .err()
            .unwrap_or_else(|| std::io::Error::other("not a regular file"));
        return Err(Error::io(path, source));
    }
    let report = match format {
        Format::Jsonl => jsonl::read(path, options, sink)?,
        Format::Csv => csv::read(path, b',', options, sink)?,
        Format::Tsv => csv::read(path, b'\t', options, sink)?,
        Format::Folder => folder::read(path, options, sink)?,
        Format::FastText => fasttext::read(path, options, sink)?,
    };
    if report.documents == 0 {
        return Err(Error::EmptyCorpus {
            path: path.to_path_buf(),
        });
    }
    Ok(report)
}
