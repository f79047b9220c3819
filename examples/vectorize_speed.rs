//! Vectorizing throughput: megabytes of input text per CPU second for `fit_transform` and `transform`
//! with the command line's default analysis settings (English stemming, word 1–2-grams, min_df 2,
//! sublinear TF, L2), and a hash of what they produce, so that a speed-up can be shown to change nothing.
//!
//! `transform` is timed twice on each fitted vectorizer: its first call (`transform, 1st`) also builds the
//! vectorizer's integer index of word n-grams and fills each thread's cache of stemmed tokens, once per
//! vectorizer; the second (`transform`) is what every later batch costs, as when `predict` reads a stream.
//!
//! ```text
//! RAYON_NUM_THREADS=1 cargo run --release --example vectorize_speed -- [PATH] [--repeats N]
//!     [--input-format FORMAT] [--text-field FIELD]
//! ```
//!
//! PATH defaults to `$DETENTE_DATA/20news-bydate/train` (`DETENTE_DATA` defaults to `../shared/corpora`).
//! MB/s is input bytes (UTF-8, as read) divided by the process's CPU time (user + system, all threads), so
//! other work on a busy machine does not count; the median of the repeats is printed.

use detente::analyzer::{Analyzer, AnalyzerConfig, Language, StopWords};
use detente::io::{Format, ReadOptions, read_documents};
use detente::tfidf::{DocFreq, TfidfParams};
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

fn main() -> anyhow::Result<()> {
    // Closed output (`... | head -2`) ends the run quietly, as it does the command line's.
    match run() {
        Err(err)
            if err.chain().any(|cause| {
                cause
                    .downcast_ref::<std::io::Error>()
                    .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            Ok(())
        }
        result => result,
    }
}

fn run() -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let mut path = None;
    let mut repeats = 5usize;
    let mut options = ReadOptions::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .ok_or_else(|| anyhow::anyhow!("{name} needs a value"))
        };
        match arg.as_str() {
            "--repeats" => repeats = value("--repeats")?.parse()?,
            "--input-format" => options.format = Some(value("--input-format")?.parse::<Format>()?),
            "--text-field" => options.text_field = value("--text-field")?,
            _ if arg.starts_with("--") => anyhow::bail!("unknown option {arg}"),
            _ => path = Some(PathBuf::from(arg)),
        }
    }
    let path = path.unwrap_or_else(|| {
        let root = std::env::var("DETENTE_DATA").unwrap_or_else(|_| "../shared/corpora".into());
        PathBuf::from(root).join("20news-bydate/train")
    });

    let mut texts = Vec::new();
    read_documents(&path, &options, &mut |doc| {
        texts.push(doc.text);
        Ok(())
    })?;
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let bytes: usize = refs.iter().map(|t| t.len()).sum();
    let mb = bytes as f64 / 1e6;
    let threads = rayon::current_num_threads();
    writeln!(
        out,
        "{}: {} documents, {mb:.2} MB; {threads} thread(s), {repeats} repeats",
        path.display(),
        refs.len()
    )?;

    let config = AnalyzerConfig {
        lowercase: true,
        stop_words: StopWords::None,
        stemmer: Some(Language::English),
        word_ngrams: 2,
        char_ngrams: None,
    };
    let params = TfidfParams {
        min_df: DocFreq::Count(2),
        sublinear_tf: true,
        ..TfidfParams::default()
    };

    let mut fit_runs = Vec::new();
    let mut first_runs = Vec::new();
    let mut transform_runs = Vec::new();
    let mut hashes = None;
    for _ in 0..repeats {
        let (cpu, wall, (vectorizer, train)) = measure(|| {
            params
                .fit_transform(Analyzer::new(config.clone()).unwrap(), &refs)
                .unwrap()
        });
        fit_runs.push((cpu, wall));
        let (cpu, wall, test) = measure(|| vectorizer.transform(&refs));
        first_runs.push((cpu, wall));
        let (cpu, wall, again) = measure(|| vectorizer.transform(&refs));
        transform_runs.push((cpu, wall));
        assert!(again == test, "a second transform gave other rows");
        let h = (
            fnv(&postcard::to_stdvec(&vectorizer)?),
            fnv(&postcard::to_stdvec(&train)?),
            fnv(&postcard::to_stdvec(&test)?),
            vectorizer.vocabulary_size(),
            train.nnz(),
        );
        assert!(
            hashes.is_none_or(|prev| prev == h),
            "output changed between repeats"
        );
        hashes = Some(h);
    }
    let (vocab, train, test, terms, nnz) = hashes.expect("at least one repeat");
    writeln!(out, "vocabulary {terms} terms, training matrix nnz {nnz}")?;
    writeln!(
        out,
        "hashes: vectorizer {vocab:016x}  fit_transform {train:016x}  transform {test:016x}"
    )?;
    for (name, runs) in [
        ("fit_transform", &mut fit_runs),
        ("transform, 1st", &mut first_runs),
        ("transform", &mut transform_runs),
    ] {
        runs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (cpu, wall) = runs[runs.len() / 2];
        writeln!(
            out,
            "{name:<14} {:>6.1} MB/CPU-s  (median CPU {cpu:.3}s, wall {wall:.3}s, {:.1} MB/s wall; CPU min {:.3}s max {:.3}s)",
            mb / cpu,
            mb / wall,
            runs[0].0,
            runs[runs.len() - 1].0,
        )?;
    }
    Ok(())
}

/// Runs `f`, returning the process CPU seconds and wall seconds it took, and its result.
fn measure<T>(f: impl FnOnce() -> T) -> (f64, f64, T) {
    let (cpu0, wall0) = (cpu_seconds(), Instant::now());
    let out = f();
    (cpu_seconds() - cpu0, wall0.elapsed().as_secs_f64(), out)
}

/// User + system CPU time of the whole process (every thread).
fn cpu_seconds() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_PROCESS_CPUTIME_ID is always available on Linux.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_PROCESS_CPUTIME_ID) failed");
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

/// FNV-1a, 64 bits: a stable fingerprint of serialized output.
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}
