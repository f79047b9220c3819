//! Checks detente's English stemmer against rust-stemmers on every distinct token of a corpus tree:
//! every file under PATH (default `$DETENTE_DATA`, else `../shared/corpora`), read as UTF-8 (lossily),
//! lowercased and segmented as the command line's default analysis does. Exits non-zero on the first
//! difference.
//!
//! ```text
//! cargo run --release --example stem_check -- [PATH]
//! ```

use detente::analyzer::{Analyzer, AnalyzerConfig, Language, StopWords};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            files(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let root = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(
                std::env::var("DETENTE_DATA").unwrap_or_else(|_| "../shared/corpora".into()),
            )
        });
    let mut paths = Vec::new();
    files(&root, &mut paths)?;
    paths.sort();
    let tokenizer = Analyzer::new(AnalyzerConfig {
        lowercase: true,
        stop_words: StopWords::None,
        stemmer: None,
        word_ngrams: 1,
        char_ngrams: None,
    })?;
    let stemming = Analyzer::new(AnalyzerConfig {
        stemmer: Some(Language::English),
        ..tokenizer.config().clone()
    })?;
    let oracle = rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::English);
    let mut seen: HashSet<String> = HashSet::new();
    let (mut bytes, mut changed) = (0usize, 0usize);
    for path in &paths {
        let data = std::fs::read(path)?;
        bytes += data.len();
        let text = String::from_utf8_lossy(&data);
        for token in tokenizer.terms(&text) {
            if seen.contains(&token) {
                continue;
            }
            let (ours, theirs) = (stemming.stem(&token), oracle.stem(&token));
            if ours != theirs {
                anyhow::bail!(
                    "{}: stem of {token:?}: detente {ours:?}, rust-stemmers {theirs:?}",
                    path.display()
                );
            }
            changed += usize::from(ours != token.as_str());
            seen.insert(token);
        }
    }
    println!(
        "{} files, {:.1} MB: {} distinct tokens ({} changed by stemming), all stemmed as rust-stemmers does",
        paths.len(),
        bytes as f64 / 1e6,
        seen.len(),
        changed
    );
    Ok(())
}
