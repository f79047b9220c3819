//! CSV and TSV: a header line naming the columns, then one record per document.
//!
//! Accepts delimited text with a header. The text is the column named by [`ReadOptions::text_field`]; each
//! label field is a column holding one label per record ([`LabelValue::One`]; an empty cell is an error).
//! Every record must have as many fields as the header. With `,` (CSV) fields may be quoted with `"`,
//! including fields spanning several lines; with a tab (TSV) quotes are ordinary characters, since TSV
//! files commonly hold bare `"`. Blank lines are skipped; a leading byte-order mark, CRLF line ends,
//! invalid UTF-8 (replaced by U+FFFD and counted) and NUL bytes (read as spaces) are accepted.

use super::text::{NON_EMPTY_LABEL, crlf_to_lf, decode_field, skip_bom};
use super::{Document, LabelValue, ReadOptions, ReadReport};
use crate::error::{Error, Result};
use csv::{ByteRecord, ErrorKind, ReaderBuilder};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::rc::Rc;

/// Reads the delimited file `path` (`delimiter` is `b','` for CSV, `b'\t'` for TSV), handing each
/// document to `sink` in file order.
pub fn read(
    path: &Path,
    delimiter: u8,
    options: &ReadOptions,
    sink: &mut dyn FnMut(Document) -> Result<()>,
) -> Result<ReadReport> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    read_from(file, path, delimiter, options, sink)
}

/// Reads delimited records from `reader` (a file, standard input, ...; it need not be buffered); `name` is
/// the path given in documents and errors, e.g. `-` or `<stdin>`.
pub fn read_from(
    reader: impl Read,
    name: &Path,
    delimiter: u8,
    options: &ReadOptions,
    sink: &mut dyn FnMut(Document) -> Result<()>,
) -> Result<ReadReport> {
    let mut report = ReadReport {
        files: 1,
        ..ReadReport::default()
    };
    let line_ends = Rc::new(RefCell::new(LineEnds::default()));
    let reader = WatchLineEnds {
        inner: skip_bom(reader).map_err(|e| Error::io(name, e))?,
        offset: 0,
        line_ends: Rc::clone(&line_ends),
    };
    let line_of =
        |pos: Option<&csv::Position>| pos.map_or(0, |p| line_ends.borrow_mut().line_at(p.byte()));
    let to_error = |e: csv::Error| {
        let line = line_of(e.position());
        csv_error(e, line, name)
    };
    let mut records = ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(false)
        .quoting(delimiter != b'\t')
        .buffer_capacity(1 << 16)
        .from_reader(reader);
    let header = records.byte_headers().map_err(to_error)?.clone();
    if header.is_empty() {
        return Ok(report);
    }
    let columns: Vec<String> = header
        .iter()
        .map(|h| String::from_utf8_lossy(h).into_owned())
        .collect();
    let column = |field: &String| column_index(&columns, field, delimiter, name);
    let text_column = column(&options.text_field)?;
    let label_columns = options
        .label_fields
        .iter()
        .map(|field| column(field).map(|i| (field, i)))
        .collect::<Result<Vec<_>>>()?;

    let mut record = ByteRecord::new();
    while records.read_byte_record(&mut record).map_err(to_error)? {
        let line = line_of(record.position());
        // `flexible(false)` guarantees every record has the header's length; `get` just avoids a panic path.
        let cell = |i: usize| record.get(i).unwrap_or_default();
        let (text, mut replaced) = decode_field(cell(text_column));
        let mut labels = Vec::with_capacity(label_columns.len());
        for &(field, i) in &label_columns {
            if cell(i).is_empty() && options.partial_labels {
                labels.push(LabelValue::Missing);
                continue;
            }
            if cell(i).is_empty() {
                return Err(Error::FieldType {
                    path: name.to_path_buf(),
                    line,
                    field: field.clone(),
                    expected: NON_EMPTY_LABEL,
                    found: "an empty cell".into(),
                });
            }
            let (label, label_replaced) = decode_field(cell(i));
            replaced |= label_replaced;
            labels.push(LabelValue::One(label));
        }
        report.documents += 1;
        report.replaced_non_utf8 += usize::from(replaced);
        sink(Document {
            text: crlf_to_lf(text),
            path: name.to_path_buf(),
            line,
            labels,
        })?;
    }
    Ok(report)
}

/// Where the line ends (`\r` and `\n`) are among the bytes the CSV parser has read and not yet passed.
///
/// The csv crate's own line numbers point at the line where the previous record ended when line ends are
/// CRLF or blank lines precede a record; errors and documents must name the line where a record starts.
#[derive(Default)]
struct LineEnds {
    /// `\n` bytes dropped from `pending`.
    passed_newlines: usize,
    /// (offset, byte) of each `\r` or `\n` at or after the last asked position.
    pending: VecDeque<(u64, u8)>,
}

impl LineEnds {
    /// The 1-based line of the record the parser started reading at byte `start`: the parser's position
    /// may sit on the previous record's `\n` (after its `\r`) or on blank lines, which it skips.
    fn line_at(&mut self, start: u64) -> usize {
        while let Some(&(offset, byte)) = self.pending.front() {
            if offset >= start {
                break;
            }
            self.passed_newlines += usize::from(byte == b'\n');
            self.pending.pop_front();
        }
        // The line ends right at `start` are those the parser skips before the record's first byte.
        let skipped = (start..)
            .zip(&self.pending)
            .take_while(|&(expected, &(offset, _))| offset == expected)
            .filter(|&(_, &(_, byte))| byte == b'\n')
            .count();
        let newlines = self.passed_newlines + skipped;
        newlines + 1
    }
}

/// Passes bytes through to the CSV parser, noting where the line ends are.
struct WatchLineEnds<R> {
    inner: R,
    offset: u64,
    line_ends: Rc<RefCell<LineEnds>>,
}

impl<R: Read> Read for WatchLineEnds<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut line_ends = self.line_ends.borrow_mut();
        for (i, &byte) in buf[..n].iter().enumerate() {
            if byte == b'\n' || byte == b'\r' {
                line_ends.pending.push_back((self.offset + i as u64, byte));
            }
        }
        self.offset += n as u64;
        Ok(n)
    }
}

/// The first column named `field`, or an error listing the columns there are.
fn column_index(columns: &[String], field: &str, delimiter: u8, path: &Path) -> Result<usize> {
    if let Some(i) = columns.iter().position(|c| c == field) {
        return Ok(i);
    }
    let mut message = format!(
        "no column `{field}`; the header has: {}",
        columns.join(", ")
    );
    // A one-column header holding the other delimiter is almost always a TSV read as CSV or the reverse.
    if let [only] = columns {
        if delimiter != b'\t' && only.contains('\t') {
            message
                .push_str(" (the header holds tabs: is this a TSV file? use --input-format tsv)");
        } else if delimiter == b'\t' && only.contains(',') {
            message
                .push_str(" (the header holds commas: is this a CSV file? use --input-format csv)");
        }
    }
    Err(Error::Parse {
        path: path.to_path_buf(),
        line: 1,
        message,
    })
}

fn csv_error(error: csv::Error, line: usize, path: &Path) -> Error {
    let message = match error.kind() {
        ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("expected {expected_len} fields as in the header, found {len}"),
        _ => error.to_string(),
    };
    match error.into_kind() {
        ErrorKind::Io(source) => Error::io(path, source),
        _ => Error::Parse {
            path: path.to_path_buf(),
            line,
            message,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::super::text::testing::{collect, corpus, count, one, options, write};
    use super::super::{Format, read_documents};
    use super::*;
    use tempfile::TempDir;

    fn read_csv(content: &[u8], opts: &ReadOptions) -> Result<(Vec<Document>, ReadReport)> {
        let dir = TempDir::new().expect("temp dir");
        let path = write(dir.path(), "c.csv", content);
        collect(&path, opts)
    }

    #[test]
    fn reads_columns_by_name() {
        let (docs, report) = read_csv(
            b"id,label,text,topic\n1,pos,good film,a\n\n2,7,\"bad, \"\"very\"\" bad\",b\n",
            &options("text", &["topic", "label"]),
        )
        .expect("reads");
        assert_eq!(
            report,
            ReadReport {
                documents: 2,
                files: 1,
                replaced_non_utf8: 0
            }
        );
        assert_eq!(docs[0].text, "good film");
        assert_eq!(docs[0].line, 2);
        assert_eq!(docs[0].labels, vec![one("a"), one("pos")]);
        assert_eq!(docs[1].text, "bad, \"very\" bad");
        assert_eq!(docs[1].line, 4);
        assert_eq!(docs[1].labels, vec![one("b"), one("7")]);
    }

    #[test]
    fn quoted_field_with_newlines_reports_its_first_line() {
        let (docs, _) = read_csv(
            b"text,label\r\n\"two\r\nlines\",x\r\nnext,y\r\n",
            &options("text", &["label"]),
        )
        .expect("reads");
        assert_eq!(docs[0].text, "two\nlines");
        assert_eq!(docs[0].line, 2);
        assert_eq!(docs[1].text, "next");
        assert_eq!(docs[1].line, 4);
        assert_eq!(docs[1].labels, vec![one("y")]);
    }

    #[test]
    fn bom_and_crlf_are_accepted() {
        let (docs, _) = read_csv(
            b"\xEF\xBB\xBFtext,label\r\nhello,x\r\n",
            &options("text", &["label"]),
        )
        .expect("reads");
        assert_eq!(docs[0].text, "hello");
        assert_eq!(docs[0].labels, vec![one("x")]);
    }

    #[test]
    fn tsv_keeps_bare_quotes() {
        let dir = TempDir::new().expect("temp dir");
        let path = write(
            dir.path(),
            "c.tsv",
            b"Class\tExample\r\nearn\tsaid \"hello\r\nacq\t\"quoted\" start\n",
        );
        let (docs, _) = collect(&path, &options("Example", &["Class"])).expect("reads");
        assert_eq!(docs[0].text, "said \"hello");
        assert_eq!(docs[1].text, "\"quoted\" start");
        assert_eq!(docs[1].line, 3);
        assert_eq!(docs[1].labels, vec![one("acq")]);
    }

    #[test]
    fn wrong_column_count_names_the_line() {
        let dir = TempDir::new().expect("temp dir");
        let path = write(dir.path(), "c.csv", b"text,label\na,x\nb,y,z\n");
        match collect(&path, &options("text", &["label"])) {
            Err(Error::Parse {
                path: p,
                line,
                message,
            }) => {
                assert_eq!((p, line), (path, 3));
                assert_eq!(message, "expected 2 fields as in the header, found 3");
            }
            other => panic!("expected a parse error, got {other:?}"),
        }
    }

    #[test]
    fn line_numbers_survive_crlf_blank_lines_and_long_records() {
        // Regression: the csv crate's positions named the previous record's line with CRLF line ends.
        let long = "many\r\nlines ".repeat(30_000);
        let input =
            format!("text,label\r\n\r\na,x\r\n\"{long}\",y\r\n\r\n\r\nb,z\r\nc,w,extra\r\n");
        let dir = TempDir::new().expect("temp dir");
        let path = write(dir.path(), "c.csv", input.as_bytes());
        let mut lines = Vec::new();
        let result = read(&path, b',', &options("text", &["label"]), &mut |doc| {
            lines.push(doc.line);
            Ok(())
        });
        // The long record spans lines 4 to 30,004; two blank lines follow.
        assert_eq!(lines, vec![3, 4, 30_007]);
        match result {
            Err(Error::Parse { line, .. }) => assert_eq!(line, 30_008),
            other => panic!("expected a parse error, got {other:?}"),
        }
    }

    #[test]
    fn unknown_column_lists_the_header() {
        match read_csv(b"body,label\na,x\n", &options("text", &["label"])) {
            Err(Error::Parse {
                line: 1, message, ..
            }) => {
                assert_eq!(message, "no column `text`; the header has: body, label")
            }
            other => panic!("expected a parse error, got {other:?}"),
        }
        match read_csv(b"text,label\na,x\n", &options("text", &["topic"])) {
            Err(Error::Parse {
                line: 1, message, ..
            }) => {
                assert!(message.starts_with("no column `topic`;"), "{message}")
            }
            other => panic!("expected a parse error, got {other:?}"),
        }
    }

    #[test]
    fn tsv_read_as_csv_gets_a_hint() {
        match read_csv(b"text\tlabel\na\tx\n", &options("text", &["label"])) {
            Err(Error::Parse {
                line: 1, message, ..
            }) => {
                assert!(message.contains("--input-format tsv"), "{message}")
            }
            other => panic!("expected a parse error, got {other:?}"),
        }
    }

    #[test]
    fn empty_label_cell_is_an_error() {
        match read_csv(b"text,label\na,x\nb,\n", &options("text", &["label"])) {
            Err(Error::FieldType {
                line,
                field,
                expected,
                ..
            }) => {
                assert_eq!((line, field.as_str()), (3, "label"));
                assert_eq!(expected, NON_EMPTY_LABEL);
            }
            other => panic!("expected a field type error, got {other:?}"),
        }
    }

    #[test]
    fn empty_text_cell_is_a_document() {
        let (docs, _) = read_csv(b"text,label\n,x\n", &options("text", &["label"])).expect("reads");
        assert_eq!(docs[0].text, "");
    }

    #[test]
    fn invalid_utf8_is_replaced_and_counted() {
        let (docs, report) = read_csv(
            b"text,label,unused\ncaf\xE9,x,ok\nok,\xFF,ok\nok,x,\xFF\n",
            &options("text", &["label"]),
        )
        .expect("reads");
        assert_eq!(docs[0].text, "caf\u{FFFD}");
        assert_eq!(docs[1].labels, vec![one("\u{FFFD}")]);
        // Bytes in a column nobody reads are not replaced, so that record is not counted.
        assert_eq!(report.replaced_non_utf8, 2);
    }

    #[test]
    fn nul_bytes_read_as_spaces() {
        let (docs, _) = read_csv(b"text\na\0b\n", &options("text", &[])).expect("reads");
        assert_eq!(docs[0].text, "a b");
    }

    #[test]
    fn empty_file_or_header_only_is_an_empty_corpus() {
        for content in [&b""[..], b"\xEF\xBB\xBF", b"text,label\n"] {
            match read_csv(content, &options("text", &["label"])) {
                Err(Error::EmptyCorpus { .. }) => {}
                other => panic!("expected an empty corpus, got {other:?}"),
            }
        }
    }

    #[test]
    fn missing_file_is_an_io_error() {
        let dir = TempDir::new().expect("temp dir");
        let path = dir.path().join("absent.csv");
        match collect(&path, &options("text", &[])) {
            Err(Error::Io { path: p, .. }) => assert_eq!(p, path),
            other => panic!("expected an I/O error, got {other:?}"),
        }
    }

    #[test]
    fn read_from_a_stream_uses_its_name() {
        let input: &[u8] = b"\xEF\xBB\xBFtext\nhello\n";
        let mut docs = Vec::new();
        let report = read_from(
            input,
            Path::new("-"),
            b',',
            &options("text", &[]),
            &mut |d| {
                docs.push(d);
                Ok(())
            },
        )
        .expect("reads");
        assert_eq!(report.documents, 1);
        assert_eq!(docs[0].path, Path::new("-"));
    }

    #[test]
    fn real_corpora() {
        if let Some(path) = corpus("r8/r8-train-all-terms.txt") {
            let mut opts = options("Example", &["Class"]);
            opts.format = Some(Format::Tsv);
            let report = count(&path, &opts).expect("r8 reads");
            assert_eq!(report.documents, 5_485);
            let mut classes = std::collections::BTreeSet::new();
            read_documents(&path, &opts, &mut |doc| {
                classes.insert(format!("{:?}", doc.labels[0]));
                Ok(())
            })
            .expect("r8 reads");
            assert_eq!(classes.len(), 8);
        }
    }
}
