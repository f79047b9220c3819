//! `detente train`.

use super::args::{AnalysisArgs, Cli, InputArgs, TrainArgs};
use super::progress::Progress;
use super::status;
use anyhow::{Context, Result};
use clap::CommandFactory;
use clap::error::ErrorKind;
use detente::analyzer::{AnalyzerConfig, Language, StopWords};
use detente::cv::{self, Grid};
use detente::io::{Format, ReadOptions};
use detente::model::{Corpus, Model, TrainOptions, TrainStep};
use detente::models::{Algorithm, ModelParams, ThresholdRule};
use detente::tfidf::{DocFreq, TfidfParams};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Folds of the cross-validation behind `--search` when `--folds` is not given.
pub const SEARCH_FOLDS: usize = 3;

pub fn run(args: TrainArgs) -> Result<()> {
    let options = train_options(&args, "train").map_err(super::flag_error)?;
    let grid = search_grid(&args, &options, "train");
    if args.folds.is_some() && grid.is_empty() {
        usage_error(
            "train",
            "--folds sets the cross-validation of --search: give --search too, or run `detente cv`",
        );
    }
    let output = args
        .output
        .as_deref()
        .context("--output is required: where to write the model")?;
    let started = Instant::now();
    let corpus = read_corpus(&args)?;
    let documents = corpus.len();
    let model = if grid.is_empty() {
        let training = Progress::new(args.quiet).spinner("training", false);
        let model = Model::train_owned(corpus, &options, &mut |step| {
            training.stage(step_message(step, &options))
        })?;
        drop(training);
        model
    } else {
        let folds = args.folds.map_or(SEARCH_FOLDS, |k| k as usize);
        let candidates = grid.candidates().len();
        status(
            args.quiet,
            format_args!(
                "searching {candidates} candidates by {folds}-fold cross-validation ({} fits)",
                candidates * folds
            ),
        );
        let outcome = cv::search(
            &corpus,
            &options,
            &grid,
            folds,
            args.seed,
            &mut super::cv::fold_status(args.quiet, started),
        )
        .context("parameter search")?;
        if !args.quiet {
            // Like every status line: a stderr that cannot be written loses the table, not the model.
            let mut err = std::io::stderr().lock();
            let _ = super::cv::write_search_table(&mut err, &outcome.record, "");
        }
        Model::train_owned(corpus, &outcome.options, &mut |_| {})?.with_search(outcome.record)
    };
    for head in model.heads() {
        status(
            args.quiet,
            format_args!(
                "head `{}`: {} labels{}",
                head.name,
                head.labels.len(),
                if head.multi_label {
                    ", multi-label"
                } else {
                    ""
                }
            ),
        );
    }
    model.save(output)?;
    status(
        args.quiet,
        format_args!(
            "trained {} on {} documents, {} features, in {:.1}s; wrote {}",
            options.model.algorithm,
            documents,
            model.vectorizer().vocabulary_size(),
            started.elapsed().as_secs_f64(),
            output.display()
        ),
    );
    Ok(())
}

/// Reads the training data `args` name, with a status line per source.
pub fn read_corpus(args: &TrainArgs) -> Result<Corpus> {
    let read = read_options(&args.input, args.label_field.clone(), args.partial_labels)?;
    let reading = Progress::new(args.quiet).spinner("reading the training data", false);
    let corpus = Corpus::read(&args.data, &read)?;
    drop(reading);
    for source in &corpus.sources {
        let replaced = match source.replaced_non_utf8 {
            0 => String::new(),
            n => format!(" ({n} not valid UTF-8: bytes replaced)"),
        };
        status(
            args.quiet,
            format_args!(
                "read {} documents from {} [{}]{replaced}",
                source.documents, source.path, source.format
            ),
        );
    }
    Ok(corpus)
}

/// The grid of `--search`, checked against the algorithm; a usage error (exit 2) of `verb` otherwise.
pub fn search_grid(args: &TrainArgs, options: &TrainOptions, verb: &str) -> Grid {
    Grid::new(args.search.clone())
        .and_then(|grid| grid.check(options.model.algorithm).map(|()| grid))
        .unwrap_or_else(|e| usage_error(verb, e))
}

/// Exits with clap's usage error (status 2) for `verb`: flags that cannot go together, which clap's
/// declarations cannot express.
pub fn usage_error(verb: &str, message: impl std::fmt::Display) -> ! {
    let mut cli = Cli::command();
    cli.build();
    let message = message.to_string();
    match cli.find_subcommand_mut(verb) {
        Some(command) => command.error(ErrorKind::ArgumentConflict, message).exit(),
        None => cli.error(ErrorKind::ArgumentConflict, message).exit(),
    }
}

/// How a training step reads in a status line.
fn step_message(step: TrainStep<'_>, options: &TrainOptions) -> String {
    match step {
        TrainStep::Vectorizing { documents } => format!("vectorizing {documents} documents"),
        TrainStep::Fitting { head, index, heads } => {
            let algorithm = options
                .head_models
                .iter()
                .find(|(h, _)| h == head)
                .map_or(&options.model, |(_, p)| p)
                .algorithm;
            format!(
                "fitting head `{head}` ({}/{heads}) with {algorithm}",
                index + 1
            )
        }
        _ => "training".into(),
    }
}

pub fn read_options(
    input: &InputArgs,
    label_fields: Vec<String>,
    partial_labels: bool,
) -> Result<ReadOptions> {
    Ok(ReadOptions {
        format: input
            .input_format
            .as_deref()
            .map(str::parse::<Format>)
            .transpose()?,
        text_field: input.text_field.clone(),
        label_fields,
        partial_labels,
    })
}

/// The training options the flags describe; `verb` names the command in usage errors.
pub fn train_options(args: &TrainArgs, verb: &str) -> Result<TrainOptions> {
    let algorithm: Algorithm = args.algorithm.parse()?;
    let mut model = ModelParams::new(algorithm).seed(args.seed);
    if let Some(weights) = &args.class_weight {
        if !matches!(algorithm, Algorithm::LogReg | Algorithm::Svm) {
            usage_error(
                verb,
                format!(
                    "--class-weight needs --algorithm logreg or svm; {algorithm} has no class weights"
                ),
            );
        }
        model = model.class_weight(weights.clone());
    }
    if let Some(c) = args.c {
        model = model.c(c);
    }
    if let Some(alpha) = args.alpha {
        model = model.alpha(alpha);
    }
    if let Some(n) = args.max_iter {
        model = model.max_iter(n);
    }
    if let Some(tol) = args.tol {
        model = model.tol(tol);
    }
    if let Some(n) = args.dense_features {
        model = model.dense_features(n);
    }
    model.check()?;
    let (analyzer, tfidf) = analysis_options(&args.analysis)?;
    let threshold = match args.threshold.as_str() {
        "auto" => ThresholdRule::CrossValidated {
            folds: args.threshold_folds,
        },
        "natural" => ThresholdRule::Natural,
        score => ThresholdRule::Fixed(
            score
                .parse()
                .ok()
                .filter(|t: &f64| t.is_finite())
                .with_context(|| {
                    format!("invalid --threshold `{score}`: expected auto, natural or a number")
                })?,
        ),
    };
    let head_models = args
        .head_algorithm
        .iter()
        .map(|spec| {
            let (head, algorithm) = spec.split_once('=').with_context(|| {
                format!("invalid --head-algorithm `{spec}`: expected HEAD=ALGORITHM")
            })?;
            let params = ModelParams::new(algorithm.parse()?).seed(args.seed);
            Ok((head.to_string(), params))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(TrainOptions {
        analyzer,
        tfidf,
        model,
        head_models,
        threshold,
        created_unix: created_unix()?,
        text_field: args.input.text_field.clone(),
    })
}

/// The analyzer and vectorizer settings the flags describe.
pub fn analysis_options(a: &AnalysisArgs) -> Result<(AnalyzerConfig, TfidfParams)> {
    let stop_words = match a.stop_words.as_str() {
        "none" => StopWords::None,
        "english" => StopWords::English,
        file => StopWords::from_file(file)?,
    };
    let stemmer = Language::parse_stemmer(&a.stemmer)?;
    let char_ngrams = match a.char_ngrams.as_str() {
        "none" => None,
        range => {
            let parsed = range
                .split_once('-')
                .and_then(|(lo, hi)| Some((lo.trim().parse().ok()?, hi.trim().parse().ok()?)));
            Some(parsed.with_context(|| {
                format!("invalid --char-ngrams `{range}`: expected MIN-MAX (e.g. 2-5) or none")
            })?)
        }
    };
    let analyzer = AnalyzerConfig {
        lowercase: !a.no_lowercase,
        stop_words,
        stemmer,
        word_ngrams: a.ngrams,
        char_ngrams,
    };
    analyzer.check()?;
    let tfidf = TfidfParams {
        min_df: a.min_df.parse::<DocFreq>()?,
        max_df: a.max_df.parse::<DocFreq>()?,
        max_features: a.max_features,
        sublinear_tf: !a.no_sublinear_tf,
        norm: !a.no_norm,
    };
    tfidf.check()?;
    Ok((analyzer, tfidf))
}

/// The training time to record: `SOURCE_DATE_EPOCH` when set (reproducible builds), else now.
fn created_unix() -> Result<u64> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(s) => s
            .trim()
            .parse()
            .with_context(|| format!("SOURCE_DATE_EPOCH `{s}` is not a number of seconds")),
        Err(_) => Ok(SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())),
    }
}
