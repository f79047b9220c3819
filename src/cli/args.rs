//! The command line as clap sees it. Values are checked and turned into library types by each verb.

use clap::{Args, Parser, Subcommand, ValueEnum};
use detente::cv::Axis;
use detente::models::ClassWeight;
use std::path::PathBuf;

/// Offline text classification: TF-IDF features and linear models, trained on your corpora.
#[derive(Parser, Debug)]
#[command(name = "detente", version, about, propagate_version = true, after_help = GLOBAL_NOTES)]
pub struct Cli {
    /// When to color text output: `auto` colors a terminal unless NO_COLOR is set (and not empty).
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

const GLOBAL_NOTES: &str = "\
Exit status:
  0  success
  1  a data or model error (unreadable input, a bad record, a damaged model, a failed write)
  2  a usage error (an unknown flag, a missing or malformed value)

Environment:
  NO_COLOR  when set and not empty, no colors (unless --color always)
  SOURCE_DATE_EPOCH  training time recorded in a model (seconds), for byte-identical files

Progress bars and spinners go to stderr when it is a terminal; otherwise long steps print one status line each.
`--quiet` silences both.";

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Train a model on labeled documents.
    #[command(after_help = TRAIN_EXAMPLES)]
    Train(Box<TrainArgs>),
    /// Classify documents: files, records of JSONL/CSV files, or stdin.
    #[command(after_help = PREDICT_EXAMPLES)]
    Predict(PredictArgs),
    /// Cross-validate training settings: mean and spread of accuracy and F1 over stratified folds.
    #[command(
        after_help = CV_EXAMPLES,
        mut_arg("output", |a| a.required(false).hide(true))
    )]
    Cv(Box<CvArgs>),
    /// Evaluate a model on labeled documents: accuracy, F1 per class, confusion matrix.
    #[command(after_help = EVAL_EXAMPLES)]
    Eval(EvalArgs),
    /// Show a model's heads, labels, vocabulary, parameters, provenance and most telling terms.
    #[command(after_help = INSPECT_EXAMPLES)]
    Inspect(InspectArgs),
    /// Compare algorithms on a train/test split: accuracy, macro-F1, training time, throughput, size, memory.
    #[command(after_help = BENCH_EXAMPLES)]
    Bench(Box<BenchArgs>),
    /// Internal: measure one algorithm of `detente bench` in its own process.
    #[command(hide = true)]
    BenchWorker(BenchWorkerArgs),
    /// Print a shell completion script: bash, zsh, fish, elvish or powershell.
    #[command(after_help = COMPLETIONS_EXAMPLES)]
    Completions(CompletionsArgs),
    /// Print the manual page (roff) on stdout, or write one page per verb into a folder.
    #[command(after_help = MAN_EXAMPLES)]
    Man(ManArgs),
}

const COMPLETIONS_EXAMPLES: &str = "\
Examples:
  detente completions bash > ~/.local/share/bash-completion/completions/detente
  detente completions zsh > ~/.zfunc/_detente        (with fpath+=(~/.zfunc) before compinit)
  detente completions fish > ~/.config/fish/completions/detente.fish";

const MAN_EXAMPLES: &str = "\
Examples:
  detente man | man -l -
  detente man --dir /usr/local/share/man/man1     (detente.1, detente-train.1, detente-predict.1, ...)";

#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Args, Debug)]
pub struct ManArgs {
    /// Write detente.1 and a page per verb (detente-VERB.1) into this folder instead of printing detente.1.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

const TRAIN_EXAMPLES: &str = "\
Examples:
  detente train --data ../shared/corpora/nyt-cap/train.jsonl --label-field label --output nyt.detente
  detente train --data ../shared/corpora/20news-bydate/train --output 20news.detente
  detente train --data ../shared/corpora/r8/r8-train-all-terms.txt --input-format tsv \\
      --text-field Example --label-field Class --output r8.detente
  detente train --data ../shared/corpora/reuters21578/train.jsonl --label-field labels --output reuters.detente
  detente train --data ../shared/corpora/nyt-cap/train.jsonl --label-field label --search C=0.1,0.3,1 \\
      --search min-df=1,2 --output nyt.detente       (picks C and min-df by 3-fold cross-validation)
  detente train --data ../shared/corpora/tone/case2021/data.jsonl --partial-labels \\
      --class-weight balanced --output case2021.detente";

const CV_EXAMPLES: &str = "\
Examples:
  detente cv --data ../shared/corpora/r8/r8-train-all-terms.txt --input-format tsv \\
      --text-field Example --label-field Class --folds 5
  detente cv --data ../shared/corpora/nyt-cap/train.jsonl --label-field label --search C=0.1,1,10 --format json";

const PREDICT_EXAMPLES: &str = "\
Examples:
  detente predict article.txt                      (the built-in news model: topic and tone)
  detente predict --format json article.txt
  detente predict --model nyt.detente article.txt
  cat article.txt | detente predict                (an article: it has a blank line)
  cat titles.txt | detente predict --lines         (one document per line, whatever the text)
  printf 'Senate passes budget\\nStocks fall\\n' | detente predict --model nyt.detente --format jsonl
  detente predict --model nyt.detente --top-k 3 --format json ../shared/corpora/nyt-cap/test.jsonl
  detente predict --explain 5 article.txt          (the terms that pushed each head toward its label, and against)
  detente predict --model nyt.detente --format csv ../shared/corpora/nyt-cap/test.jsonl > predictions.csv";

const EVAL_EXAMPLES: &str = "\
Examples:
  detente eval --model nyt.detente --data ../shared/corpora/nyt-cap/test.jsonl
  detente eval --model 20news.detente --data ../shared/corpora/20news-bydate/test --format json
  detente eval --model nyt.detente --data ../shared/corpora/nyt-cap/test.jsonl --plot nyt-plots";

const INSPECT_EXAMPLES: &str = "\
Examples:
  detente inspect nyt.detente
  detente inspect nyt.detente --top-terms 20 --format json";

const BENCH_EXAMPLES: &str = "\
Examples:
  detente bench --train ../shared/corpora/r8/r8-train-all-terms.txt --test ../shared/corpora/r8/r8-test-all-terms.txt \\
      --input-format tsv --text-field Example --label-field Class --report r8-report
  detente bench --train ../shared/corpora/nyt-cap/train.jsonl --test ../shared/corpora/nyt-cap/test.jsonl \\
      --algorithms svm,cnb --format markdown";

/// Where documents come from and which fields to use.
#[derive(Args, Debug, Clone)]
pub struct InputArgs {
    /// Input format; by default from the extension (.jsonl .csv .tsv .ft) or `folder` for a directory.
    #[arg(long, value_name = "FORMAT", value_parser = ["jsonl", "csv", "tsv", "folder", "fasttext"])]
    pub input_format: Option<String>,
    /// JSON field or CSV/TSV column holding the text.
    #[arg(long, default_value = "text", value_name = "NAME")]
    pub text_field: String,
}

#[derive(Args, Debug)]
pub struct TrainArgs {
    /// Labeled training data (file or folder); repeat to combine several.
    #[arg(long, required = true, value_name = "PATH")]
    pub data: Vec<PathBuf>,
    /// Label field or column; repeat for several heads over one vectorizer. A field holding lists makes a
    /// multi-label head. Folder and fastText corpora have one field, `label`.
    #[arg(long, default_value = "label", value_name = "NAME")]
    pub label_field: Vec<String>,
    #[command(flatten)]
    pub input: InputArgs,
    /// A document may lack some label fields (missing or null in JSON, an empty cell, a fastText line without
    /// labels): each head then trains on (or is evaluated on) the documents that have its field.
    #[arg(long)]
    pub partial_labels: bool,
    /// Where to write the model (atomically).
    #[arg(long, short, value_name = "MODEL", required = true)]
    pub output: Option<PathBuf>,
    /// Model type.
    #[arg(long, default_value = "svm", value_parser = ["logreg", "svm", "nb", "cnb", "linfa-logistic"])]
    pub algorithm: String,
    /// Another model type for one head, e.g. `tone=logreg` (with that type's default parameters and
    /// --seed); repeat for several heads.
    #[arg(long, value_name = "HEAD=ALGORITHM")]
    pub head_algorithm: Vec<String>,
    /// Inverse regularization strength (logreg, svm, linfa-logistic). Default: logreg 10, svm 1,
    /// linfa-logistic 10.
    #[arg(long = "C", visible_alias = "c", value_name = "C")]
    pub c: Option<f64>,
    /// Smoothing of naive Bayes. Default: nb 0.01, cnb 0.3.
    #[arg(long, value_name = "ALPHA")]
    pub alpha: Option<f64>,
    /// Iteration cap of the solver.
    #[arg(long, value_name = "N")]
    pub max_iter: Option<usize>,
    /// Stopping tolerance of the solver.
    #[arg(long, value_name = "TOL")]
    pub tol: Option<f64>,
    /// linfa-logistic only: number of features densified (the most frequent).
    #[arg(long, value_name = "N")]
    pub dense_features: Option<usize>,
    /// Threshold of multi-label heads: `auto` (chosen by cross-validation on the training data to maximize
    /// micro-F1), `natural` (SVM margin 0, probability 0.5), or a score.
    #[arg(long, default_value = "auto", value_name = "auto|natural|SCORE")]
    pub threshold: String,
    /// Folds of the cross-validation behind `--threshold auto`.
    #[arg(long, default_value_t = 3, value_name = "K")]
    pub threshold_folds: usize,
    /// Seed of every random choice; the same data, parameters and seed give the same model file.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    #[command(flatten)]
    pub analysis: AnalysisArgs,
    /// Print nothing on stderr but errors.
    #[arg(long, short)]
    pub quiet: bool,
    /// Class weights (logreg and svm; not heads given another --head-algorithm): `balanced` weighs each
    /// class n / (classes × its documents); `LABEL=W,…` weighs the labels listed (others 1). Raises the
    /// recall of rare classes.
    #[arg(long, value_name = "balanced|LABEL=W,…", value_parser = parse_class_weight, help_heading = "Model selection")]
    pub class_weight: Option<ClassWeight>,
    /// Try every combination of these values and keep the best by cross-validated macro-F1; repeat for
    /// several parameters. NAME: C, alpha, max-iter, tol, dense-features, min-df, max-df, max-features,
    /// ngrams.
    #[arg(long, value_name = "NAME=V1,V2,…", value_parser = parse_search, help_heading = "Model selection")]
    pub search: Vec<Axis>,
    /// Folds of the cross-validation: of --search (default 3), or of `detente cv` (default 5).
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u32).range(2..), help_heading = "Model selection")]
    pub folds: Option<u32>,
}

fn parse_class_weight(s: &str) -> Result<ClassWeight, String> {
    s.parse().map_err(|e: detente::Error| e.to_string())
}

fn parse_search(s: &str) -> Result<Axis, String> {
    s.parse().map_err(|e: detente::Error| e.to_string())
}

#[derive(Args, Debug)]
pub struct CvArgs {
    #[command(flatten)]
    pub train: TrainArgs,
    /// Output format of the report on stdout.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
}

/// Text analysis and TF-IDF settings (saved in the model).
#[derive(Args, Debug, Clone)]
pub struct AnalysisArgs {
    /// Keep the case of words.
    #[arg(long, help_heading = "Text analysis")]
    pub no_lowercase: bool,
    /// Stop words removed before stemming: `none`, `english` (built in), or a file with one word per line.
    #[arg(
        long,
        default_value = "none",
        value_name = "LIST|FILE",
        help_heading = "Text analysis"
    )]
    pub stop_words: String,
    /// Snowball stemmer: arabic, danish, dutch, english, finnish, french, german, greek, hungarian, italian,
    /// norwegian, portuguese, romanian, russian, spanish, swedish, tamil, turkish; or `none`.
    #[arg(
        long,
        default_value = "english",
        value_name = "LANGUAGE",
        help_heading = "Text analysis"
    )]
    pub stemmer: String,
    /// Word n-grams of lengths 1 to N.
    #[arg(
        long,
        default_value_t = 2,
        value_name = "N",
        help_heading = "Text analysis"
    )]
    pub ngrams: usize,
    /// Character n-grams within words, e.g. `2-5`; `none` for no character n-grams.
    #[arg(
        long,
        default_value = "none",
        value_name = "MIN-MAX",
        help_heading = "Text analysis"
    )]
    pub char_ngrams: String,
    /// Drop terms in fewer documents than this: a count (`2`) or a fraction of documents (`0.001`).
    #[arg(
        long,
        default_value = "2",
        value_name = "N|FRACTION",
        help_heading = "TF-IDF"
    )]
    pub min_df: String,
    /// Drop terms in more documents than this: a count or a fraction (`0.5`).
    #[arg(
        long,
        default_value = "1.0",
        value_name = "N|FRACTION",
        help_heading = "TF-IDF"
    )]
    pub max_df: String,
    /// Keep only the N most frequent terms.
    #[arg(long, value_name = "N", help_heading = "TF-IDF")]
    pub max_features: Option<usize>,
    /// Use raw term counts instead of 1 + ln(count).
    #[arg(long, help_heading = "TF-IDF")]
    pub no_sublinear_tf: bool,
    /// Do not L2-normalize document vectors.
    #[arg(long, help_heading = "TF-IDF")]
    pub no_norm: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PredictFormat {
    /// One block per document, aligned, for reading.
    Text,
    /// One JSON array of records.
    Json,
    /// One JSON record per line.
    Jsonl,
    /// Comma-separated values with a header row, for spreadsheets.
    Csv,
    /// Tab-separated values with a header row.
    Tsv,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
}

#[derive(Args, Debug)]
pub struct PredictArgs {
    /// The model file; without it, the built-in news model (topic and tone).
    #[arg(long, short, value_name = "MODEL")]
    pub model: Option<PathBuf>,
    /// Files to classify: a plain file is one document; .jsonl/.csv/.tsv/.ft files and folders hold one
    /// per record. `-` or nothing reads stdin: one document if its first 64 KiB hold a blank line between
    /// two lines of text (an article), otherwise one document per line (see --whole, --lines,
    /// --input-format).
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Read all of stdin as one document.
    #[arg(long, conflicts_with = "lines")]
    pub whole: bool,
    /// Read stdin as one document per line, even if it holds blank lines.
    #[arg(long)]
    pub lines: bool,
    #[command(flatten)]
    pub input: InputArgs,
    /// Show the K best labels of each head with their scores. Default: 3, or 1 for csv and tsv (K > 1 adds
    /// the columns HEAD_2, HEAD_2_score, ...).
    #[arg(long, value_name = "K")]
    pub top_k: Option<usize>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PredictFormat::Text)]
    pub format: PredictFormat,
    /// For each head's label, the N terms that pushed most toward it and the N that pushed most against it
    /// (weight × TF-IDF); for article tone, each evidence sentence's own terms.
    #[arg(long, value_name = "N")]
    pub explain: Option<usize>,
    /// No progress display on stderr (shown only on a terminal, for inputs of more than 1,024 documents
    /// whose predictions do not go to the terminal).
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Args, Debug)]
pub struct EvalArgs {
    /// The model file; without it, the built-in news model (topic and tone).
    #[arg(long, short, value_name = "MODEL")]
    pub model: Option<PathBuf>,
    /// Labeled evaluation data; repeat to combine several.
    #[arg(long, required = true, value_name = "PATH")]
    pub data: Vec<PathBuf>,
    /// Heads to evaluate (each read from the field of the same name); default: all.
    #[arg(long, value_name = "NAME")]
    pub head: Vec<String>,
    #[command(flatten)]
    pub input: InputArgs,
    /// A document may lack some label fields (missing or null in JSON, an empty cell, a fastText line without
    /// labels): each head then trains on (or is evaluated on) the documents that have its field.
    #[arg(long)]
    pub partial_labels: bool,
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
    /// Also draw each head's results into this folder: HEAD-confusion.svg (single-label heads) and
    /// HEAD-classes.svg (precision, recall and F1 per class), each with a PNG when a system font is found.
    #[arg(long, value_name = "DIR")]
    pub plot: Option<PathBuf>,
    /// Print nothing on stderr but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Args, Debug)]
pub struct InspectArgs {
    /// The model file; without it, the built-in news model.
    #[arg(value_name = "MODEL")]
    pub model: Option<PathBuf>,
    /// Terms listed per label.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub top_terms: usize,
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BenchFormat {
    Text,
    Markdown,
    Json,
}

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Labeled training data (file or folder); repeat to combine several.
    #[arg(long, required = true, value_name = "PATH")]
    pub train: Vec<PathBuf>,
    /// Labeled test data (file or folder); repeat to combine several.
    #[arg(long, required = true, value_name = "PATH")]
    pub test: Vec<PathBuf>,
    /// Label field or column. A field holding lists makes a multi-label head.
    #[arg(long, default_value = "label", value_name = "NAME")]
    pub label_field: String,
    #[command(flatten)]
    pub input: InputArgs,
    /// A document may lack the label field: training and scoring then use the documents that have it.
    #[arg(long)]
    pub partial_labels: bool,
    /// Algorithms to compare, comma-separated or repeated, in the order of the table.
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "LIST",
        default_value = "logreg,svm,nb,cnb,linfa-logistic",
        value_parser = ["logreg", "svm", "nb", "cnb", "linfa-logistic"]
    )]
    pub algorithms: Vec<String>,
    /// Seed of every random choice.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Output format of the results table on stdout.
    #[arg(long, value_enum, default_value_t = BenchFormat::Text)]
    pub format: BenchFormat,
    /// Also write a report folder: report.html and report.md with the tables and SVG charts, results.json.
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,
    #[command(flatten)]
    pub analysis: AnalysisArgs,
    /// Print nothing on stderr but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Args, Debug)]
pub struct BenchWorkerArgs {
    /// The job, as JSON (written by `detente bench`).
    #[arg(long, value_name = "FILE")]
    pub job: PathBuf,
}
