//! Byte-level rules shared by every reader: a UTF-8 byte-order mark is skipped, CRLF line ends lose their
//! `\r`, invalid UTF-8 is replaced by U+FFFD (and reported, never an error), and NUL bytes become spaces.

use super::ReadOptions;
use crate::error::{Error, Result};
use std::borrow::Cow;
use std::io::{self, BufRead, Read};
use std::path::Path;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The `expected` of a [`Error::FieldType`] for an empty label.
pub(super) const NON_EMPTY_LABEL: &str = "a non-empty label";

/// One physical line, without its line end.
pub(super) struct Line<'a> {
    /// 1-based.
    pub number: usize,
    pub text: Cow<'a, str>,
    /// Whether invalid UTF-8 was replaced.
    pub replaced: bool,
}

/// Splits a stream into lines, reusing one buffer so that a long line costs one allocation, not one per line.
pub(super) struct Lines<R> {
    reader: R,
    buf: Vec<u8>,
    number: usize,
}

impl<R: BufRead> Lines<R> {
    pub fn new(reader: R) -> Self {
        Lines {
            reader,
            buf: Vec::new(),
            number: 0,
        }
    }

    /// The next line, or `None` at the end of the stream.
    pub fn next_line(&mut self) -> io::Result<Option<Line<'_>>> {
        self.buf.clear();
        if self.reader.read_until(b'\n', &mut self.buf)? == 0 {
            return Ok(None);
        }
        self.number += 1;
        let mut bytes = &mut self.buf[..];
        if let Some(rest) = bytes.strip_suffix(b"\n") {
            let len = rest.len();
            bytes = &mut bytes[..len];
        }
        if let Some(rest) = bytes.strip_suffix(b"\r") {
            let len = rest.len();
            bytes = &mut bytes[..len];
        }
        if self.number == 1 && bytes.starts_with(BOM) {
            bytes = &mut bytes[BOM.len()..];
        }
        nul_to_space(bytes);
        let text = String::from_utf8_lossy(bytes);
        let replaced = matches!(text, Cow::Owned(_));
        Ok(Some(Line {
            number: self.number,
            text,
            replaced,
        }))
    }
}

/// A reader that yields `reader`'s bytes without a leading byte-order mark.
pub(super) fn skip_bom<R: Read>(mut reader: R) -> io::Result<io::Chain<io::Cursor<Vec<u8>>, R>> {
    let mut head = Vec::with_capacity(BOM.len());
    // `take` + `read_to_end` keeps reading until it has 3 bytes: one `read` on a pipe may return fewer.
    (&mut reader)
        .take(BOM.len() as u64)
        .read_to_end(&mut head)?;
    if head == BOM {
        head.clear();
    }
    Ok(io::Cursor::new(head).chain(reader))
}

/// NUL is one byte in UTF-8 and never part of a longer sequence, so replacing it byte-wise is safe.
fn nul_to_space(bytes: &mut [u8]) {
    for b in bytes.iter_mut().filter(|b| **b == 0) {
        *b = b' ';
    }
}

/// Replaces NUL characters (e.g. from a JSON `\u0000` escape) with spaces.
pub(super) fn nul_chars_to_space(s: String) -> String {
    if s.contains('\0') {
        s.replace('\0', " ")
    } else {
        s
    }
}

/// Decodes one field: lossy UTF-8, NUL as space. Returns whether invalid UTF-8 was replaced.
pub(super) fn decode_field(bytes: &[u8]) -> (String, bool) {
    let (text, replaced) = match String::from_utf8_lossy(bytes) {
        Cow::Borrowed(s) => (s.to_owned(), false),
        Cow::Owned(s) => (s, true),
    };
    (nul_chars_to_space(text), replaced)
}

/// Decodes a whole file as a document's text, with the rules every reader applies: a leading byte-order
/// mark skipped, CRLF as LF, invalid UTF-8 replaced by U+FFFD, NUL as space. Returns the text and whether
/// invalid UTF-8 was replaced.
pub fn decode_text(mut bytes: Vec<u8>) -> (String, bool) {
    if bytes.starts_with(BOM) {
        bytes.drain(..BOM.len());
    }
    nul_to_space(&mut bytes);
    let (text, replaced) = match String::from_utf8(bytes) {
        Ok(s) => (s, false),
        Err(e) => (String::from_utf8_lossy(e.as_bytes()).into_owned(), true),
    };
    (crlf_to_lf(text), replaced)
}

/// Line ends inside a document's text (a whole file, a quoted CSV field) are normalized so that the same
/// text saved on Windows and on Unix reads the same.
pub(super) fn crlf_to_lf(s: String) -> String {
    if s.contains("\r\n") {
        s.replace("\r\n", "\n")
    } else {
        s
    }
}

/// Folder and fastText corpora have a single label field, `label`: refuses any other.
pub(super) fn only_label_field(path: &Path, options: &ReadOptions, kind: &str) -> Result<()> {
    match options.label_fields.iter().find(|f| *f != "label") {
        Some(field) => Err(Error::Parse {
            path: path.to_path_buf(),
            line: 0,
            message: format!("a {kind} corpus has one label field, `label`; got `{field}`"),
        }),
        None => Ok(()),
    }
}

/// Fixtures and collectors for the readers' tests.
#[cfg(test)]
pub(super) mod testing {
    use super::super::{Document, LabelValue, ReadOptions, ReadReport, read_documents};
    use crate::error::Result;
    use std::path::{Path, PathBuf};

    /// Writes `bytes` to `dir/name`, creating parent folders.
    pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create fixture folder");
        }
        std::fs::write(&path, bytes).expect("write fixture");
        path
    }

    /// A single label.
    pub fn one(label: &str) -> LabelValue {
        LabelValue::One(label.into())
    }

    /// Options with the given text field and label fields.
    pub fn options(text_field: &str, label_fields: &[&str]) -> ReadOptions {
        ReadOptions {
            format: None,
            text_field: text_field.into(),
            label_fields: label_fields.iter().map(|f| f.to_string()).collect(),
            partial_labels: false,
        }
    }

    /// Reads `path` through [`read_documents`], keeping every document.
    pub fn collect(path: &Path, options: &ReadOptions) -> Result<(Vec<Document>, ReadReport)> {
        let mut docs = Vec::new();
        let report = read_documents(path, options, &mut |doc| {
            docs.push(doc);
            Ok(())
        })?;
        Ok((docs, report))
    }

    /// Where the shared corpora live; `None` (and the test skips itself) on a machine without them.
    pub fn corpus(relative: &str) -> Option<PathBuf> {
        let path = Path::new("/work/shared/corpora").join(relative);
        path.exists().then_some(path)
    }

    /// Counts the documents of `path` without keeping them.
    pub fn count(path: &Path, options: &ReadOptions) -> Result<ReadReport> {
        read_documents(path, options, &mut |_| Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8]) -> Vec<(usize, String, bool)> {
        let mut lines = Lines::new(input);
        let mut out = Vec::new();
        while let Some(line) = lines.next_line().expect("in-memory read") {
            out.push((line.number, line.text.into_owned(), line.replaced));
        }
        out
    }

    #[test]
    fn lines_strip_bom_crlf_and_nul() {
        let got = lines(b"\xEF\xBB\xBFa\r\nb\0c\n\nd\xFFe");
        assert_eq!(
            got,
            vec![
                (1, "a".to_string(), false),
                (2, "b c".to_string(), false),
                (3, String::new(), false),
                (4, "d\u{FFFD}e".to_string(), true),
            ]
        );
    }

    #[test]
    fn bom_only_skipped_at_start() {
        let got = lines(b"a\n\xEF\xBB\xBFb\n");
        assert_eq!(got[1].1, "\u{FEFF}b");
    }

    #[test]
    fn skip_bom_handles_short_and_bom_inputs() {
        for (input, want) in [
            (&b""[..], &b""[..]),
            (b"a", b"a"),
            (b"\xEF\xBB", b"\xEF\xBB"),
            (b"\xEF\xBB\xBF", b""),
            (b"\xEF\xBB\xBFxy", b"xy"),
        ] {
            let mut out = Vec::new();
            skip_bom(input)
                .and_then(|mut r| r.read_to_end(&mut out))
                .expect("in-memory read");
            assert_eq!(out, want);
        }
    }

    #[test]
    fn decode_text_rules() {
        let (text, replaced) = decode_text(b"\xEF\xBB\xBFcaf\xE9\r\nx\0y".to_vec());
        assert_eq!(text, "caf\u{FFFD}\nx y");
        assert!(replaced);
        let (text, replaced) = decode_text("ok\n".as_bytes().to_vec());
        assert_eq!(text, "ok\n");
        assert!(!replaced);
    }
}
