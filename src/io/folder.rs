//! Folder per class: `corpus/<class>/<document file>`, the layout of 20 Newsgroups.
//!
//! Accepts a directory whose sub-directories are the classes. Each regular file directly inside a class
//! folder is one document: its whole contents are the text (`line` 0), the class folder's name is its
//! label, in the one label field `label`. Classes, then files, come in byte order of their names, so two
//! runs read the same sequence. Hidden entries (names starting with `.`, such as macOS `._*` files), files
//! at the top level and folders nested inside class folders are skipped; symbolic links are followed. A
//! leading byte-order mark, CRLF line ends, invalid UTF-8 (replaced by U+FFFD and counted) and NUL bytes
//! (read as spaces) are accepted.

use super::text::{decode_text, only_label_field};
use super::{Document, LabelValue, ReadOptions, ReadReport};
use crate::error::{Error, Result};
use rayon::prelude::*;
use std::ffi::OsString;
use std::fs::{self, FileType};
use std::path::{Path, PathBuf};

/// Reads the folder corpus `path`, handing each document to `sink`, class by class.
pub fn read(
    path: &Path,
    options: &ReadOptions,
    sink: &mut dyn FnMut(Document) -> Result<()>,
) -> Result<ReadReport> {
    only_label_field(path, options, "folder")?;
    let mut report = ReadReport::default();
    for (class, class_path, _) in entries(path)?
        .into_iter()
        .filter(|(_, _, kind)| kind.is_dir())
    {
        let label = class.to_string_lossy().into_owned();
        let files: Vec<_> = entries(&class_path)?
            .into_iter()
            .filter(|(_, _, kind)| kind.is_file())
            .collect();
        if files.is_empty() {
            return Err(Error::Parse {
                path: class_path,
                line: 0,
                message: "class folder has no documents (each class needs at least one file; hidden files \
                          are skipped)"
                    .into(),
            });
        }
        // A class's files are read and decoded in parallel (reading is mostly the kernel copying pages, so
        // two cores read a folder of small files almost twice as fast), then handed on in name order.
        let texts: Vec<Result<(String, bool)>> = files
            .par_iter()
            .map(|(_, file, _)| {
                let bytes = fs::read(file).map_err(|e| Error::io(file, e))?;
                Ok(decode_text(bytes))
            })
            .collect();
        for ((_, file, _), text) in files.into_iter().zip(texts) {
            let (text, replaced) = text?;
            report.documents += 1;
            report.files += 1;
            report.replaced_non_utf8 += usize::from(replaced);
            sink(Document {
                text,
                path: file,
                line: 0,
                labels: vec![LabelValue::One(label.clone()); options.label_fields.len()],
            })?;
        }
    }
    Ok(report)
}

/// The non-hidden entries of `dir` with their file type (through symbolic links), sorted by name.
///
/// The type comes with the directory listing on most file systems; only symbolic links, and entries whose
/// type the listing leaves out, cost a `stat` each.
fn entries(dir: &Path) -> Result<Vec<(OsString, PathBuf, FileType)>> {
    let mut entries = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let name = entry.file_name();
        if name.as_encoded_bytes().first() == Some(&b'.') {
            continue;
        }
        let path = entry.path();
        let kind = match entry.file_type() {
            Ok(kind) if !kind.is_symlink() => kind,
            _ => fs::metadata(&path)
                .map_err(|e| Error::io(&path, e))?
                .file_type(),
        };
        entries.push((name, path, kind));
    }
    // `OsString` orders by bytes on Unix, the documented order.
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::super::text::testing::{collect, corpus, count, one, options, write};
    use super::*;
    use tempfile::TempDir;

    fn names(docs: &[Document], root: &Path) -> Vec<String> {
        docs.iter()
            .map(|d| {
                d.path
                    .strip_prefix(root)
                    .expect("inside the corpus")
                    .to_string_lossy()
                    .into_owned()
            })
            .collect()
    }

    #[test]
    fn reads_classes_and_files_in_byte_order() {
        let dir = TempDir::new().expect("temp dir");
        let root = dir.path();
        write(root, "sports/b", b"second");
        write(root, "sports/B", b"first");
        write(root, "sports/a10", b"third");
        write(root, "Politics/x", b"\xEF\xBB\xBFbom\r\nand crlf\r\n");
        write(root, "sports/.hidden", b"skipped");
        write(root, "sports/._b", b"skipped");
        write(root, ".git/config", b"skipped");
        write(root, "README", b"skipped");
        write(root, "sports/nested/deep", b"skipped");
        let (docs, report) = collect(root, &options("text", &["label"])).expect("reads");
        assert_eq!(
            names(&docs, root),
            vec!["Politics/x", "sports/B", "sports/a10", "sports/b"]
        );
        assert_eq!(
            report,
            ReadReport {
                documents: 4,
                files: 4,
                replaced_non_utf8: 0
            }
        );
        assert_eq!(docs[0].text, "bom\nand crlf\n");
        assert_eq!(docs[0].labels, vec![one("Politics")]);
        assert_eq!(docs[0].line, 0);
        assert_eq!(docs[1].labels, vec![one("sports")]);
        assert_eq!(docs[1].text, "first");
    }

    #[test]
    fn unlabeled_reading_has_no_labels() {
        let dir = TempDir::new().expect("temp dir");
        write(dir.path(), "c/d", b"text");
        let (docs, _) = collect(dir.path(), &options("text", &[])).expect("reads");
        assert!(docs[0].labels.is_empty());
    }

    #[test]
    fn invalid_utf8_and_nul_bytes() {
        let dir = TempDir::new().expect("temp dir");
        write(dir.path(), "c/latin1", b"caf\xE9");
        write(dir.path(), "c/nul", b"a\0b");
        let (docs, report) = collect(dir.path(), &options("text", &["label"])).expect("reads");
        assert_eq!(docs[0].text, "caf\u{FFFD}");
        assert_eq!(docs[1].text, "a b");
        assert_eq!(report.replaced_non_utf8, 1);
    }

    #[test]
    fn empty_files_are_documents() {
        let dir = TempDir::new().expect("temp dir");
        write(dir.path(), "c/empty", b"");
        let (docs, _) = collect(dir.path(), &options("text", &["label"])).expect("reads");
        assert_eq!(docs[0].text, "");
    }

    #[test]
    fn class_folder_without_files_is_an_error() {
        let dir = TempDir::new().expect("temp dir");
        write(dir.path(), "a/doc", b"text");
        write(dir.path(), "b/._doc", b"hidden");
        match collect(dir.path(), &options("text", &["label"])) {
            Err(Error::Parse {
                path,
                line,
                message,
            }) => {
                assert_eq!(path, dir.path().join("b"));
                assert_eq!(line, 0);
                assert!(
                    message.starts_with("class folder has no documents"),
                    "{message}"
                );
            }
            other => panic!("expected a parse error, got {other:?}"),
        }
    }

    #[test]
    fn other_label_fields_are_refused() {
        let dir = TempDir::new().expect("temp dir");
        write(dir.path(), "a/doc", b"text");
        match collect(dir.path(), &options("text", &["label", "topic"])) {
            Err(Error::Parse {
                line: 0, message, ..
            }) => assert_eq!(
                message,
                "a folder corpus has one label field, `label`; got `topic`"
            ),
            other => panic!("expected a parse error, got {other:?}"),
        }
    }

    #[test]
    fn no_class_folders_is_an_empty_corpus() {
        let dir = TempDir::new().expect("temp dir");
        write(dir.path(), "top-level.txt", b"not in a class");
        match collect(dir.path(), &options("text", &["label"])) {
            Err(Error::EmptyCorpus { path }) => assert_eq!(path, dir.path()),
            other => panic!("expected an empty corpus, got {other:?}"),
        }
    }

    #[test]
    fn missing_folder_is_an_io_error() {
        let dir = TempDir::new().expect("temp dir");
        let path = dir.path().join("absent");
        let mut opts = options("text", &["label"]);
        opts.format = Some(super::super::Format::Folder);
        match collect(&path, &opts) {
            Err(Error::Io { path: p, .. }) => assert_eq!(p, path),
            other => panic!("expected an I/O error, got {other:?}"),
        }
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_are_followed_and_dangling_ones_are_io_errors() {
        let dir = TempDir::new().expect("temp dir");
        let target = write(dir.path(), "elsewhere/doc", b"linked");
        let corpus = dir.path().join("corpus");
        fs::create_dir_all(corpus.join("c")).expect("mkdir");
        std::os::unix::fs::symlink(&target, corpus.join("c/doc")).expect("symlink");
        std::os::unix::fs::symlink(
            target.parent().expect("parent"),
            corpus.join("linked-class"),
        )
        .expect("symlink");
        let (docs, _) = collect(&corpus, &options("text", &["label"])).expect("reads");
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].text, "linked");
        assert_eq!(docs[1].labels, vec![one("linked-class")]);

        let dangling = corpus.join("c/gone");
        std::os::unix::fs::symlink(dir.path().join("nowhere"), &dangling).expect("symlink");
        match collect(&corpus, &options("text", &["label"])) {
            Err(Error::Io { path, .. }) => assert_eq!(path, dangling),
            other => panic!("expected an I/O error, got {other:?}"),
        }
    }

    #[test]
    fn real_corpora() {
        if let Some(path) = corpus("20news-bydate/train") {
            let report = count(&path, &options("text", &["label"])).expect("20news reads");
            assert_eq!(report.documents, 11_314);
            assert_eq!(report.files, 11_314);
            assert!(report.replaced_non_utf8 > 0);
        }
    }
}
