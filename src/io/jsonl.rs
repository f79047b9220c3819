//! JSON lines: one JSON object per line.
//!
//! Accepts any file or stream where each non-blank line is a JSON object. The text is the string field
//! named by [`ReadOptions::text_field`] (it may be empty). Each label field may be a string, a number, a
//! boolean (a single label, [`LabelValue::One`]) or a list of strings, numbers and booleans (a multi-label
//! field, [`LabelValue::Many`], possibly empty). Blank lines are skipped; a leading byte-order mark, CRLF
//! line ends, invalid UTF-8 (replaced by U+FFFD and counted) and NUL characters (read as spaces) are
//! accepted. Other fields are ignored.

use super::text::{Lines, NON_EMPTY_LABEL, nul_chars_to_space};
use super::{Document, LabelValue, ReadOptions, ReadReport};
use crate::error::{Error, Result};
use rayon::prelude::*;
use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::{Map, Value};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

const LABEL_TYPES: &str = "a string, a number or a list of them";

/// Bytes of lines that [`read`] gathers before parsing them in parallel. (In tests, a few lines, so that
/// the tests read files of many blocks.)
const PARSE_BLOCK: usize = if cfg!(test) { 64 } else { 1 << 20 };

/// Reads the JSON-lines file `path`, handing each document to `sink` in file order.
///
/// The lines are gathered in blocks of about [`PARSE_BLOCK`] bytes and each block's lines are parsed in
/// parallel; documents, and the first error, come in file order as with [`read_from`], which reads streams
/// line by line so that a document is handed on as soon as its line arrives.
pub fn read(
    path: &Path,
    options: &ReadOptions,
    sink: &mut dyn FnMut(Document) -> Result<()>,
) -> Result<ReadReport> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut lines = Lines::new(BufReader::with_capacity(1 << 16, file));
    let mut report = ReadReport {
        files: 1,
        ..ReadReport::default()
    };
    // A block's lines, one after the other, and each one's (number, end in `text`, replaced).
    let (mut text, mut spans) = (String::new(), Vec::<(usize, usize, bool)>::new());
    loop {
        text.clear();
        spans.clear();
        // A read error ends the block: the lines before it are handed on first, as line by line.
        let mut stop = None;
        while text.len() < PARSE_BLOCK {
            match lines.next_line() {
                Ok(Some(line)) if line.text.trim().is_empty() => {}
                Ok(Some(line)) => {
                    text.push_str(&line.text);
                    spans.push((line.number, text.len(), line.replaced));
                }
                Ok(None) => {
                    stop = Some(Ok(()));
                    break;
                }
                Err(e) => {
                    stop = Some(Err(Error::io(path, e)));
                    break;
                }
            }
        }
        let docs: Vec<Result<Document>> = (0..spans.len())
            .into_par_iter()
            .map(|i| {
                let (number, end, _) = spans[i];
                let start = i.checked_sub(1).map_or(0, |i| spans[i].1);
                parse_line(&text[start..end], number, path, options)
            })
            .collect();
        for (doc, &(_, _, replaced)) in docs.into_iter().zip(&spans) {
            hand_on(doc?, replaced, &mut report, sink)?;
        }
        if let Some(stop) = stop {
            return stop.map(|()| report);
        }
    }
}

/// Reads JSON lines from `reader` (a file, standard input, ...); `name` is the path given in documents
/// and errors, e.g. `-` or `<stdin>`.
pub fn read_from(
    reader: impl BufRead,
    name: &Path,
    options: &ReadOptions,
    sink: &mut dyn FnMut(Document) -> Result<()>,
) -> Result<ReadReport> {
    let mut report = ReadReport {
        files: 1,
        ..ReadReport::default()
    };
    let mut lines = Lines::new(reader);
    while let Some(line) = lines.next_line().map_err(|e| Error::io(name, e))? {
        if line.text.trim().is_empty() {
            continue;
        }
        let doc = parse_line(&line.text, line.number, name, options)?;
        hand_on(doc, line.replaced, &mut report, sink)?;
    }
    Ok(report)
}

/// Counts `doc` (read from a line with bytes `replaced` or not) in `report` and hands it to `sink`.
fn hand_on(
    doc: Document,
    replaced: bool,
    report: &mut ReadReport,
    sink: &mut dyn FnMut(Document) -> Result<()>,
) -> Result<()> {
    report.documents += 1;
    report.replaced_non_utf8 += usize::from(replaced);
    sink(doc)
}

fn parse_line(text: &str, line: usize, path: &Path, options: &ReadOptions) -> Result<Document> {
    // Only the fields the document needs are built; the others are checked and skipped. A line this
    // refuses is parsed again whole, to say what is wrong with it.
    let mut object = match wanted_fields(text, options) {
        Ok(object) => object,
        Err(_) => whole_object(text, line, path, options)?,
    };
    // Labels first: the text is then moved out of the object, and a field may be both.
    let labels = options
        .label_fields
        .iter()
        .map(|field| label(&object, field, path, line, options.partial_labels))
        .collect::<Result<Vec<_>>>()?;
    let text = take_text(&mut object, &options.text_field, path, line)?;
    Ok(Document {
        text,
        path: path.to_path_buf(),
        line,
        labels,
    })
}

/// Every field of the JSON object `text`, or the error that says why it is not one.
fn whole_object(
    text: &str,
    line: usize,
    path: &Path,
    options: &ReadOptions,
) -> Result<Map<String, Value>> {
    let parse_error = |message: String| Error::Parse {
        path: path.to_path_buf(),
        line,
        message,
    };
    let value: Value = serde_json::from_str(text).map_err(|e| {
        // serde_json counts lines within the parsed string, always 1 here: keep only the column.
        let message = e.to_string();
        let message = match message.rfind(" at line ") {
            Some(at) => format!("{} (column {})", &message[..at], e.column()),
            None => message,
        };
        parse_error(format!("invalid JSON: {message}"))
    })?;
    match value {
        Value::Object(object) => Ok(object),
        other => Err(parse_error(format!(
            "expected a JSON object such as {{\"{}\": \"...\"}}, found {}",
            options.text_field,
            describe(&other)
        ))),
    }
}

/// The text field and the label fields of the JSON object `text`, the others skipped without being
/// built; as `serde_json::from_str::<Value>` would give them (for a key given twice, the last value).
/// An error for anything but a well-formed JSON object.
fn wanted_fields(text: &str, options: &ReadOptions) -> serde_json::Result<Map<String, Value>> {
    let mut de = serde_json::Deserializer::from_str(text);
    let object = de.deserialize_map(WantedFields(options))?;
    de.end()?;
    Ok(object)
}

struct WantedFields<'a>(&'a ReadOptions);

impl WantedFields<'_> {
    fn wants(&self, key: &str) -> bool {
        key == self.0.text_field || self.0.label_fields.iter().any(|f| f == key)
    }
}

impl<'de> Visitor<'de> for WantedFields<'_> {
    type Value = Map<String, Value>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<KeyText<'de>>()? {
            let key: &str = &key.0;
            if self.wants(key) {
                object.insert(key.to_owned(), map.next_value::<Value>()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(object)
    }
}

/// A key, borrowed from the line when it holds no escape.
struct KeyText<'de>(std::borrow::Cow<'de, str>);

impl<'de> Deserialize<'de> for KeyText<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Key;
        impl<'de> Visitor<'de> for Key {
            type Value = KeyText<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> std::result::Result<Self::Value, E> {
                Ok(KeyText(s.into()))
            }
            fn visit_str<E>(self, s: &str) -> std::result::Result<Self::Value, E> {
                Ok(KeyText(s.to_owned().into()))
            }
        }
        d.deserialize_str(Key)
    }
}

fn take_text(
    object: &mut Map<String, Value>,
    field: &str,
    path: &Path,
    line: usize,
) -> Result<String> {
    match object.remove(field) {
        Some(Value::String(text)) => Ok(nul_chars_to_space(text)),
        Some(other) => Err(Error::FieldType {
            path: path.to_path_buf(),
            line,
            field: field.to_string(),
            expected: "a string",
            found: describe(&other),
        }),
        None => Err(Error::MissingField {
            path: path.to_path_buf(),
            line,
            field: field.to_string(),
        }),
    }
}

fn label(
    object: &Map<String, Value>,
    field: &str,
    path: &Path,
    line: usize,
    partial: bool,
) -> Result<LabelValue> {
    if partial && object.get(field).is_none_or(Value::is_null) {
        return Ok(LabelValue::Missing);
    }
    let Some(value) = object.get(field) else {
        return Err(Error::MissingField {
            path: path.to_path_buf(),
            line,
            field: field.to_string(),
        });
    };
    let wrong = |expected: &'static str, found: String| Error::FieldType {
        path: path.to_path_buf(),
        line,
        field: field.to_string(),
        expected,
        found,
    };
    match value {
        Value::Array(items) => items
            .iter()
            .map(|item| match scalar_label(item) {
                Some(label) if label.is_empty() => Err(wrong(
                    NON_EMPTY_LABEL,
                    "a list containing an empty string".into(),
                )),
                Some(label) => Ok(label),
                None => Err(wrong(
                    LABEL_TYPES,
                    format!("a list containing {}", describe(item)),
                )),
            })
            .collect::<Result<Vec<_>>>()
            .map(LabelValue::Many),
        _ => match scalar_label(value) {
            Some(label) if label.is_empty() => {
                Err(wrong(NON_EMPTY_LABEL, "an empty string".into()))
            }
            Some(label) => Ok(LabelValue::One(label)),
            None => Err(wrong(LABEL_TYPES, describe(value))),
        },
    }
}

/// A string, number or boolean as a label; `None` for null, lists and objects.
fn scalar_label(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(nul_chars_to_space(s.clone())),
        // Integers print as written; other numbers print in serde_json's shortest form (`1.50` → `1.5`).
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

/// A short description of a value for error messages: "null", "a number (3)", "an array", ...
fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("a boolean ({b})"),
        Value::Number(n) => format!("a number ({n})"),
        Value::String(s) if s.is_empty() => "an empty string".into(),
        Value::String(_) => "a string".into(),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::text::testing::{collect, corpus, count, one, options, write};
    use super::*;
    use tempfile::TempDir;

    fn read_str(content: &[u8], opts: &ReadOptions) -> Result<(Vec<Document>, ReadReport)> {
        let dir = TempDir::new().expect("temp dir");
        let path = write(dir.path(), "c.jsonl", content);
        collect(&path, opts)
    }

    #[test]
    fn skipping_unwanted_fields_gives_the_fields_of_a_whole_parse() {
        let opts = options("text", &["label", "tags"]);
        let lines = [
            r#"{"id": 1, "text": "a", "label": "x", "tags": ["p", 2, true]}"#,
            r#"{"nested": {"text": "inner", "a": [1, {"b": null}]}, "text": "outer", "label": 3.50}"#,
            r#"{"te\u0078t": "escaped key", "label": "y", "label": "last wins", "x": "\"text\""}"#,
            r#"{"text": "", "label": null, "tags": [], "n": -1e300, "s": "\ud83d\ude00"}"#,
            r#"  {"label": false, "text": "\u0000 nul"}  "#,
            r#"{}"#,
        ];
        for line in lines {
            let whole = whole_object(line, 1, Path::new("t"), &opts).expect("an object");
            let wanted: Map<String, Value> = whole
                .into_iter()
                .filter(|(k, _)| ["text", "label", "tags"].contains(&k.as_str()))
                .collect();
            assert_eq!(
                wanted_fields(line, &opts).expect("parses"),
                wanted,
                "{line}"
            );
        }
        for bad in [
            r#"{"text": "a",}"#,
            r#"["text"]"#,
            r#"{"text": "a"} x"#,
            "\"s\"",
            "{",
        ] {
            assert!(wanted_fields(bad, &opts).is_err(), "{bad}");
            assert!(
                whole_object(bad, 1, Path::new("t"), &opts).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn reads_text_and_labels_of_every_kind() {
        let input = concat!(
            "{\"text\": \"first doc\", \"label\": \"sports\", \"topics\": [\"a\", 7]}\n",
            "\n",
            "   \n",
            "{\"text\": \"\", \"label\": 12, \"topics\": []}\n",
            "{\"label\": true, \"text\": \"third\", \"topics\": [\"x\"], \"other\": {\"n\": null}}\n",
        );
        let (docs, report) =
            read_str(input.as_bytes(), &options("text", &["label", "topics"])).expect("reads");
        assert_eq!(
            report,
            ReadReport {
                documents: 3,
                files: 1,
                replaced_non_utf8: 0
            }
        );
        assert_eq!(docs[0].text, "first doc");
        assert_eq!(docs[0].line, 1);
        assert_eq!(
            docs[0].labels,
            vec![
                one("sports"),
                LabelValue::Many(vec!["a".into(), "7".into()])
            ]
        );
        assert_eq!(docs[1].text, "");
        assert_eq!(docs[1].line, 4);
        assert_eq!(docs[1].labels, vec![one("12"), LabelValue::Many(vec![])]);
        assert_eq!(docs[2].line, 5);
        assert_eq!(
            docs[2].labels,
            vec![one("true"), LabelValue::Many(vec!["x".into()])]
        );
    }

    #[test]
    fn unlabeled_input_has_no_labels() {
        let (docs, _) = read_str(
            b"{\"body\": \"x\", \"label\": null}\n",
            &options("body", &[]),
        )
        .expect("reads");
        assert_eq!(docs[0].text, "x");
        assert!(docs[0].labels.is_empty());
    }

    #[test]
    fn bom_and_crlf_are_accepted() {
        let (docs, _) = read_str(
            b"\xEF\xBB\xBF{\"text\": \"a\", \"label\": \"x\"}\r\n{\"text\": \"b\", \"label\": \"y\"}\r\n",
            &options("text", &["label"]),
        )
        .expect("reads");
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].text, "b");
        assert_eq!(docs[1].labels, vec![one("y")]);
    }

    #[test]
    fn invalid_utf8_is_replaced_and_counted() {
        let (docs, report) = read_str(
            b"{\"text\": \"caf\xE9\"}\n{\"text\": \"ok\"}\n",
            &options("text", &[]),
        )
        .expect("reads");
        assert_eq!(docs[0].text, "caf\u{FFFD}");
        assert_eq!(report.replaced_non_utf8, 1);
    }

    #[test]
    fn nul_bytes_and_escapes_read_as_spaces() {
        let (docs, _) =
            read_str(b"{\"text\": \"a\0b\\u0000c\"}\0\n", &options("text", &[])).expect("reads");
        assert_eq!(docs[0].text, "a b c");
    }

    #[test]
    fn malformed_line_names_file_and_line() {
        let dir = TempDir::new().expect("temp dir");
        let path = write(
            dir.path(),
            "c.jsonl",
            b"{\"text\": \"a\"}\n\n{\"text\": \"b\"\n",
        );
        match collect(&path, &options("text", &[])) {
            Err(Error::Parse {
                path: p,
                line,
                message,
            }) => {
                assert_eq!(p, path);
                assert_eq!(line, 3);
                assert!(message.starts_with("invalid JSON: "), "{message}");
                assert!(!message.contains("at line"), "{message}");
            }
            other => panic!("expected a parse error, got {other:?}"),
        }
    }

    #[test]
    fn lines_read_in_blocks_come_in_order_and_stop_at_the_first_bad_one() {
        // Hundreds of 64-byte blocks in tests; blank lines, CRLF and a replaced byte among them.
        let mut content = Vec::new();
        for i in 0..2000 {
            match i % 7 {
                0 => content.extend_from_slice(b"\n"),
                1 => content.extend_from_slice(format!("{{\"text\": \"d{i}\"}}\r\n").as_bytes()),
                2 => {
                    content.extend_from_slice(format!("{{\"text\": \"d{i}").as_bytes());
                    content.extend_from_slice(b"\xff\"}\n");
                }
                _ => content.extend_from_slice(format!("{{\"text\": \"d{i}\"}}\n").as_bytes()),
            }
        }
        let (docs, report) = read_str(&content, &options("text", &[])).expect("reads");
        let expected: Vec<usize> = (0..2000).filter(|i| i % 7 != 0).collect();
        assert_eq!(docs.len(), expected.len());
        for (doc, &i) in docs.iter().zip(&expected) {
            assert_eq!(doc.line, i + 1);
            assert!(doc.text.starts_with(&format!("d{i}")), "{}", doc.text);
        }
        assert_eq!(
            report.replaced_non_utf8,
            (0..2000).filter(|i| i % 7 == 2).count()
        );

        // A bad line: the documents before it are handed on, in order, then its error; none after it.
        content.extend_from_slice(b"{\"text\": \"bad\"\n{\"text\": \"after\"}\n");
        let dir = TempDir::new().expect("temp dir");
        let path = write(dir.path(), "c.jsonl", &content);
        let mut seen = Vec::new();
        let result = read(&path, &options("text", &[]), &mut |doc| {
            seen.push(doc.line);
            Ok(())
        });
        assert!(
            matches!(result, Err(Error::Parse { line: 2001, .. })),
            "{result:?}"
        );
        assert_eq!(seen, expected.iter().map(|i| i + 1).collect::<Vec<_>>());
    }

    #[test]
    fn non_object_line_is_a_parse_error() {
        match read_str(b"[\"text\", \"a\"]\n", &options("text", &[])) {
            Err(Error::Parse {
                line: 1, message, ..
            }) => {
                assert!(message.contains("found an array"), "{message}")
            }
            other => panic!("expected a parse error, got {other:?}"),
        }
    }

    #[test]
    fn missing_text_field() {
        match read_str(b"{\"txt\": \"a\"}\n", &options("text", &[])) {
            Err(Error::MissingField { line: 1, field, .. }) => assert_eq!(field, "text"),
            other => panic!("expected a missing field, got {other:?}"),
        }
    }

    #[test]
    fn null_or_mistyped_text_field() {
        for (input, found) in [
            (&b"{\"text\": null}"[..], "null"),
            (b"{\"text\": 3}", "a number (3)"),
            (b"{\"text\": [\"a\"]}", "an array"),
        ] {
            match read_str(input, &options("text", &[])) {
                Err(Error::FieldType {
                    line: 1,
                    field,
                    expected,
                    found: got,
                    ..
                }) => {
                    assert_eq!(field, "text");
                    assert_eq!(expected, "a string");
                    assert_eq!(got, found);
                }
                other => panic!("expected a field type error, got {other:?}"),
            }
        }
    }

    #[test]
    fn missing_label_field() {
        match read_str(
            b"{\"text\": \"a\", \"label\": \"x\"}\n{\"text\": \"b\"}\n",
            &options("text", &["label"]),
        ) {
            Err(Error::MissingField { line: 2, field, .. }) => assert_eq!(field, "label"),
            other => panic!("expected a missing field, got {other:?}"),
        }
    }

    #[test]
    fn partial_labels_turn_missing_and_null_fields_into_missing() {
        let mut opts = options("text", &["topic", "tone"]);
        opts.partial_labels = true;
        let (docs, _) = read_str(
            b"{\"text\": \"a\", \"topic\": \"x\"}\n{\"text\": \"b\", \"topic\": null, \"tone\": \"y\"}\n",
            &opts,
        )
        .unwrap();
        assert_eq!(docs[0].labels, vec![one("x"), LabelValue::Missing]);
        assert_eq!(docs[1].labels, vec![LabelValue::Missing, one("y")]);
        // A mistyped value is still an error.
        assert!(read_str(b"{\"text\": \"a\", \"topic\": {}}\n", &opts).is_err());
    }

    #[test]
    fn mistyped_label_fields() {
        for (label, expected, found) in [
            ("null", LABEL_TYPES, "null"),
            ("{\"a\": 1}", LABEL_TYPES, "an object"),
            ("[\"a\", null]", LABEL_TYPES, "a list containing null"),
            ("[[\"a\"]]", LABEL_TYPES, "a list containing an array"),
            ("[{}]", LABEL_TYPES, "a list containing an object"),
            ("\"\"", NON_EMPTY_LABEL, "an empty string"),
            (
                "[\"a\", \"\"]",
                NON_EMPTY_LABEL,
                "a list containing an empty string",
            ),
        ] {
            let input = format!("{{\"text\": \"a\", \"label\": {label}}}\n");
            match read_str(input.as_bytes(), &options("text", &["label"])) {
                Err(Error::FieldType {
                    line: 1,
                    field,
                    expected: e,
                    found: f,
                    ..
                }) => {
                    assert_eq!(field, "label");
                    assert_eq!((e, f.as_str()), (expected, found), "label {label}");
                }
                other => panic!("label {label}: expected a field type error, got {other:?}"),
            }
        }
    }

    #[test]
    fn empty_file_is_an_empty_corpus() {
        for content in [&b""[..], b"\xEF\xBB\xBF\n  \r\n"] {
            match read_str(content, &options("text", &[])) {
                Err(Error::EmptyCorpus { .. }) => {}
                other => panic!("expected an empty corpus, got {other:?}"),
            }
        }
    }

    #[test]
    fn missing_file_is_an_io_error() {
        let dir = TempDir::new().expect("temp dir");
        let path = dir.path().join("absent.jsonl");
        match collect(&path, &options("text", &[])) {
            Err(Error::Io { path: p, .. }) => assert_eq!(p, path),
            other => panic!("expected an I/O error, got {other:?}"),
        }
    }

    #[test]
    fn sink_error_stops_reading() {
        let dir = TempDir::new().expect("temp dir");
        let path = write(
            dir.path(),
            "c.jsonl",
            b"{\"text\": \"a\"}\n{\"text\": \"b\"}\n",
        );
        let mut seen = 0;
        let result = read(&path, &options("text", &[]), &mut |_| {
            seen += 1;
            Err(Error::EmptyCorpus {
                path: "sink".into(),
            })
        });
        assert!(matches!(result, Err(Error::EmptyCorpus { path }) if path == Path::new("sink")));
        assert_eq!(seen, 1);
    }

    #[test]
    fn read_from_a_stream_uses_its_name() {
        let input: &[u8] = b"{\"text\": \"a\"}\n";
        let mut docs = Vec::new();
        let report = read_from(
            input,
            Path::new("<stdin>"),
            &options("text", &[]),
            &mut |d| {
                docs.push(d);
                Ok(())
            },
        )
        .expect("reads");
        assert_eq!(report.documents, 1);
        assert_eq!(docs[0].path, Path::new("<stdin>"));
    }

    #[test]
    fn long_line_reads() {
        let text = "word ".repeat(2_000_000);
        let input = format!("{{\"text\": \"{text}\", \"label\": \"x\"}}\n");
        let (docs, _) = read_str(input.as_bytes(), &options("text", &["label"])).expect("reads");
        assert_eq!(docs[0].text.len(), text.len());
    }

    #[test]
    fn real_corpora() {
        if let Some(path) = corpus("nyt-cap/train.jsonl") {
            let report = count(&path, &options("text", &["label"])).expect("nyt-cap reads");
            assert_eq!(report.documents, 24_846);
        }
        if let Some(path) = corpus("reuters21578/train.jsonl") {
            let mut many = 0;
            let report = read_documents_checked(&path, &mut |doc| {
                many += usize::from(matches!(doc.labels[0], LabelValue::Many(_)));
            });
            assert_eq!(report.documents, 9_603);
            assert_eq!(many, 9_603);
        }
    }

    fn read_documents_checked(path: &Path, check: &mut dyn FnMut(&Document)) -> ReadReport {
        super::super::read_documents(path, &options("text", &["labels"]), &mut |doc| {
            check(&doc);
            Ok(())
        })
        .expect("reads")
    }
}
