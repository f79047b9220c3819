//! fastText's supervised format: `__label__a __label__b text of the document`.
//!
//! Accepts any file or stream where each non-blank line starts with zero or more whitespace-separated
//! tokens beginning with `__label__` (the labels), followed by the text (the rest of the line, possibly
//! empty). The one label field is `label`: one label gives [`LabelValue::One`], several give
//! [`LabelValue::Many`]. When labels are asked for, a line without any is an error; unlabeled reading
//! (no label fields) drops the labels of lines that have them. Only leading tokens are labels: a
//! `__label__` token after the first word of text is text. Blank lines are skipped; a leading byte-order
//! mark, CRLF line ends, invalid UTF-8 (replaced by U+FFFD and counted) and NUL bytes (read as spaces)
//! are accepted.

use super::text::{Lines, NON_EMPTY_LABEL, only_label_field};
use super::{Document, LabelValue, ReadOptions, ReadReport};
use crate::error::{Error, Result};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

const PREFIX: &str = "__label__";

/// Reads the fastText file `path`, handing each document to `sink` in file order.
pub fn read(
    path: &Path,
    options: &ReadOptions,
    sink: &mut dyn FnMut(Document) -> Result<()>,
) -> Result<ReadReport> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    read_from(BufReader::with_capacity(1 << 16, file), path, options, sink)
}

/// Reads fastText lines from `reader` (a file, standard input, ...); `name` is the path given in
/// documents and errors, e.g. `-` or `<stdin>`.
pub fn read_from(
    reader: impl BufRead,
    name: &Path,
    options: &ReadOptions,
    sink: &mut dyn FnMut(Document) -> Result<()>,
) -> Result<ReadReport> {
    only_label_field(name, options, "fastText")?;
    let mut report = ReadReport {
        files: 1,
        ..ReadReport::default()
    };
    let mut lines = Lines::new(reader);
    while let Some(line) = lines.next_line().map_err(|e| Error::io(name, e))? {
        if line.text.trim().is_empty() {
            continue;
        }
        let (labels, text) = split_labels(&line.text);
        let labels = if options.label_fields.is_empty() {
            Vec::new()
        } else {
            let value = label_value(labels, name, line.number, options.partial_labels)?;
            vec![value; options.label_fields.len()]
        };
        report.documents += 1;
        report.replaced_non_utf8 += usize::from(line.replaced);
        sink(Document {
            text: text.to_string(),
            path: name.to_path_buf(),
            line: line.number,
            labels,
        })?;
    }
    Ok(report)
}

/// The leading `__label__` tokens (with the prefix, for error messages) and the text after them.
fn split_labels(line: &str) -> (Vec<&str>, &str) {
    let mut labels = Vec::new();
    let mut rest = line.trim_start();
    while rest.starts_with(PREFIX) {
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        labels.push(&rest[..end]);
        rest = rest[end..].trim_start();
    }
    (labels, rest)
}

fn label_value(tokens: Vec<&str>, path: &Path, line: usize, partial: bool) -> Result<LabelValue> {
    if tokens.is_empty() && partial {
        return Ok(LabelValue::Missing);
    }
    if tokens.is_empty() {
        return Err(Error::MissingField {
            path: path.to_path_buf(),
            line,
            field: "label".into(),
        });
    }
    let mut labels = Vec::with_capacity(tokens.len());
    for token in tokens {
        match token.strip_prefix(PREFIX) {
            Some(label) if !label.is_empty() => labels.push(label.to_string()),
            _ => {
                return Err(Error::FieldType {
                    path: path.to_path_buf(),
                    line,
                    field: "label".into(),
                    expected: NON_EMPTY_LABEL,
                    found: format!("`{PREFIX}` with nothing after it"),
                });
            }
        }
    }
    Ok(match <[String; 1]>::try_from(labels) {
        Ok([label]) => LabelValue::One(label),
        Err(labels) => LabelValue::Many(labels),
    })
}

#[cfg(test)]
mod tests {
    use super::super::text::testing::{collect, options, write};
    use super::*;
    use tempfile::TempDir;

    fn read_ft(content: &[u8], opts: &ReadOptions) -> Result<(Vec<Document>, ReadReport)> {
        let dir = TempDir::new().expect("temp dir");
        let path = write(dir.path(), "c.ft", content);
        collect(&path, opts)
    }

    #[test]
    fn reads_one_or_several_labels() {
        let (docs, report) = read_ft(
            b"\xEF\xBB\xBF__label__pos great film\r\n\n__label__a  __label__b\tboth __label__c here\r\n__label__x\n",
            &options("text", &["label"]),
        )
        .expect("reads");
        assert_eq!(report.documents, 3);
        assert_eq!(docs[0].text, "great film");
        assert_eq!(docs[0].labels, vec![LabelValue::One("pos".into())]);
        assert_eq!(docs[0].line, 1);
        assert_eq!(docs[1].text, "both __label__c here");
        assert_eq!(
            docs[1].labels,
            vec![LabelValue::Many(vec!["a".into(), "b".into()])]
        );
        assert_eq!(docs[1].line, 3);
        assert_eq!(docs[2].text, "");
        assert_eq!(docs[2].labels, vec![LabelValue::One("x".into())]);
    }

    #[test]
    fn unlabeled_reading_strips_labels() {
        let (docs, _) = read_ft(
            b"__label__a some text\nno label here\n",
            &options("text", &[]),
        )
        .expect("reads");
        assert_eq!(docs[0].text, "some text");
        assert!(docs[0].labels.is_empty());
        assert_eq!(docs[1].text, "no label here");
    }

    #[test]
    fn line_without_label_is_a_missing_field() {
        let dir = TempDir::new().expect("temp dir");
        let path = write(dir.path(), "c.ft", b"__label__a x\nno label\n");
        match collect(&path, &options("text", &["label"])) {
            Err(Error::MissingField {
                path: p,
                line,
                field,
            }) => {
                assert_eq!((p, line, field.as_str()), (path, 2, "label"));
            }
            other => panic!("expected a missing field, got {other:?}"),
        }
    }

    #[test]
    fn bare_prefix_is_an_empty_label() {
        match read_ft(b"__label__ text\n", &options("text", &["label"])) {
            Err(Error::FieldType {
                line: 1, expected, ..
            }) => assert_eq!(expected, NON_EMPTY_LABEL),
            other => panic!("expected a field type error, got {other:?}"),
        }
    }

    #[test]
    fn other_label_fields_are_refused() {
        match read_ft(b"__label__a x\n", &options("text", &["topic"])) {
            Err(Error::Parse {
                line: 0, message, ..
            }) => assert_eq!(
                message,
                "a fastText corpus has one label field, `label`; got `topic`"
            ),
            other => panic!("expected a parse error, got {other:?}"),
        }
    }

    #[test]
    fn invalid_utf8_and_nul_bytes() {
        let (docs, report) = read_ft(
            b"__label__a caf\xE9\n__label__b a\0b\n",
            &options("text", &["label"]),
        )
        .expect("reads");
        assert_eq!(docs[0].text, "caf\u{FFFD}");
        assert_eq!(docs[1].text, "a b");
        assert_eq!(report.replaced_non_utf8, 1);
    }

    #[test]
    fn empty_file_is_an_empty_corpus() {
        match read_ft(b"\n\r\n", &options("text", &["label"])) {
            Err(Error::EmptyCorpus { .. }) => {}
            other => panic!("expected an empty corpus, got {other:?}"),
        }
    }

    #[test]
    fn read_from_a_stream_uses_its_name() {
        let input: &[u8] = b"__label__a x\n";
        let mut docs = Vec::new();
        read_from(
            input,
            Path::new("-"),
            &options("text", &["label"]),
            &mut |d| {
                docs.push(d);
                Ok(())
            },
        )
        .expect("reads");
        assert_eq!(docs[0].path, Path::new("-"));
    }
}
