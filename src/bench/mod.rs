//! Comparing algorithms on one train/test split: accuracy, macro-F1, training time, prediction throughput,
//! model size and peak memory.
//!
//! [`run`] measures one algorithm, in the order a user would live it: read the training data, train
//! (vectorize + fit, timed together as `train_seconds`), save the model file (its size is `model_bytes`),
//! load it back, read the test data, predict every test document (vectorize + predict, timed as
//! `predict_seconds`), then score the predictions. Reading files is not timed. Every algorithm fits its own
//! vectorizer, so each training time includes vectorizing, as it would for a user training that model.
//!
//! Peak memory is the process's peak resident set, so one process should run one [`Job`]: the `detente
//! bench` command runs each in a child process. [`Bench`] gathers the outcomes and [`report`] renders them as
//! tables, charts and a report folder.

pub mod report;

use crate::analyzer::AnalyzerConfig;
use crate::error::{Error, Result};
use crate::io::{Format, ReadOptions};
use crate::metrics::ClassScores;
use crate::model::{Corpus, HeadReport, Model, TrainOptions};
use crate::models::{ModelParams, ThresholdRule};
use crate::tfidf::TfidfParams;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Instant;

/// Everything one algorithm's measurement needs: the data, how to read it, the pipeline settings and where
/// to write the model file.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Job {
    pub train: Vec<PathBuf>,
    pub test: Vec<PathBuf>,
    /// `None`: each file's format from its path.
    pub format: Option<Format>,
    pub text_field: String,
    pub label_field: String,
    pub partial_labels: bool,
    pub analyzer: AnalyzerConfig,
    pub tfidf: TfidfParams,
    pub model: ModelParams,
    pub threshold: ThresholdRule,
    /// Where the trained model is written (and read back from).
    pub model_path: PathBuf,
}

impl Job {
    fn read_options(&self) -> ReadOptions {
        ReadOptions {
            format: self.format,
            text_field: self.text_field.clone(),
            label_fields: vec![self.label_field.clone()],
            partial_labels: self.partial_labels,
        }
    }
}

/// Precision, recall and F1 of one class (as [`ClassScores`], which this can be read back into).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClassResult {
    pub label: String,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub support: usize,
}

impl From<&ClassScores> for ClassResult {
    fn from(c: &ClassScores) -> Self {
        ClassResult {
            label: c.label.clone(),
            precision: c.precision,
            recall: c.recall,
            f1: c.f1,
            support: c.support,
        }
    }
}

/// The measurements of one algorithm.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// The algorithm's command-line name (`logreg`, `svm`, …).
    pub algorithm: String,
    pub params: ModelParams,
    pub train_documents: usize,
    pub test_documents: usize,
    /// Vocabulary size of the fitted vectorizer.
    pub features: usize,
    /// The head predicts a set of labels per document.
    pub multi_label: bool,
    /// Share of test documents predicted exactly right (for a multi-label head: the whole label set).
    pub accuracy: f64,
    pub macro_f1: f64,
    /// Single-label heads: F1 averaged with each class weighted by its support.
    pub weighted_f1: Option<f64>,
    /// Multi-label heads: F1 over all (document, label) decisions pooled.
    pub micro_f1: Option<f64>,
    /// Wall-clock seconds to vectorize the training data and fit the model.
    pub train_seconds: f64,
    /// Wall-clock seconds to vectorize and predict every test document with the reloaded model.
    pub predict_seconds: f64,
    pub predict_docs_per_second: f64,
    /// Size of the saved model file.
    pub model_bytes: u64,
    /// Peak resident memory of the process that ran the job; `None` where the system does not tell.
    pub peak_rss_bytes: Option<u64>,
    /// Per class, in the order of the confusion matrix: the model's labels, then test labels it never saw.
    pub classes: Vec<ClassResult>,
    /// Single-label heads: `confusion[t][p]` documents of true class t predicted as p.
    pub confusion: Option<Vec<Vec<usize>>>,
    /// Test labels the model never saw in training (counted as missed).
    pub unseen_labels: Vec<String>,
}

/// Trains, saves, reloads and evaluates one algorithm as `job` says, timing training and prediction.
///
/// The peak memory recorded is that of the whole process so far: call this once, in a fresh process.
pub fn run(job: &Job) -> Result<Outcome> {
    let read = job.read_options();
    let train = Corpus::read(&job.train, &read)?;
    let options = TrainOptions {
        analyzer: job.analyzer.clone(),
        tfidf: job.tfidf.clone(),
        model: job.model.clone(),
        head_models: Vec::new(),
        threshold: job.threshold,
        // A fixed time keeps the model file, and so its size, the same from run to run.
        created_unix: 0,
        text_field: job.text_field.clone(),
    };
    let train_documents = train.len();
    let started = Instant::now();
    // As `detente train` does: the texts are freed once counted, so the peak memory is the command's.
    let model = Model::train_owned(train, &options, &mut |_| {})?;
    let train_seconds = started.elapsed().as_secs_f64();
    model.save(&job.model_path)?;
    drop(model);
    let model_bytes = std::fs::metadata(&job.model_path)
        .map_err(|e| Error::io(&job.model_path, e))?
        .len();
    let model = Model::load(&job.model_path)?;

    let test = Corpus::read(&job.test, &read)?;
    let texts: Vec<&str> = test.texts.iter().map(String::as_str).collect();
    let started = Instant::now();
    let predictions = model.predict(&texts, 1);
    let predict_seconds = started.elapsed().as_secs_f64();
    debug_assert_eq!(predictions.len(), texts.len());
    drop(predictions);

    let evaluation = model
        .evaluate(&test)?
        .pop()
        .ok_or_else(|| Error::UnknownHead {
            head: job.label_field.clone(),
            available: model.head_names().join(", "),
        })?;
    let (multi_label, accuracy, macro_f1, weighted_f1, micro_f1, classes, confusion) =
        match &evaluation.report {
            HeadReport::Single(r) => (
                false,
                r.accuracy,
                r.macro_f1,
                Some(r.weighted_f1),
                None,
                &r.classes,
                Some(r.confusion.clone()),
            ),
            HeadReport::Multi(r) => (
                true,
                r.subset_accuracy,
                r.macro_f1,
                None,
                Some(r.micro_f1),
                &r.classes,
                None,
            ),
        };
    Ok(Outcome {
        algorithm: job.model.algorithm.name().into(),
        params: job.model.clone(),
        train_documents,
        test_documents: test.len(),
        features: model.vectorizer().vocabulary_size(),
        multi_label,
        accuracy,
        macro_f1,
        weighted_f1,
        micro_f1,
        train_seconds,
        predict_seconds,
        predict_docs_per_second: test.len() as f64 / predict_seconds.max(1e-9),
        model_bytes,
        peak_rss_bytes: peak_rss_bytes(),
        classes: classes.iter().map(ClassResult::from).collect(),
        confusion,
        unseen_labels: evaluation.unseen_labels,
    })
}

/// The peak resident set size of this process (`VmHWM` in `/proc/self/status`), where the system has it.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_vm_hwm(&status)
}

fn parse_vm_hwm(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let mut words = line["VmHWM:".len()..].split_whitespace();
    let value: u64 = words.next()?.parse().ok()?;
    match words.next() {
        Some("kB") => Some(value * 1024),
        _ => None,
    }
}

/// A whole benchmark: the data it ran on and one outcome per algorithm, in the order they were asked for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bench {
    pub train: Vec<String>,
    pub test: Vec<String>,
    pub label_field: String,
    pub seed: u64,
    /// One per algorithm, in the order they were asked for.
    pub results: Vec<Outcome>,
}

impl Bench {
    /// The outcome with the highest accuracy; ties go to the higher macro-F1, then to the first listed.
    pub fn best(&self) -> Option<&Outcome> {
        self.results.iter().reduce(|best, o| {
            let better = o
                .accuracy
                .total_cmp(&best.accuracy)
                .then(o.macro_f1.total_cmp(&best.macro_f1))
                .is_gt();
            if better { o } else { best }
        })
    }

    /// The class labels across all outcomes, in the order of the first outcome that has each.
    pub fn labels(&self) -> Vec<String> {
        let mut labels: Vec<String> = Vec::new();
        for c in self.results.iter().flat_map(|o| &o.classes) {
            if !labels.contains(&c.label) {
                labels.push(c.label.clone());
            }
        }
        labels
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peak_memory_is_read_from_vm_hwm_in_kilobytes() {
        let status = "Name:\tdetente\nVmPeak:\t  300 kB\nVmHWM:\t    2048 kB\nVmRSS:\t 1024 kB\n";
        assert_eq!(parse_vm_hwm(status), Some(2048 * 1024));
        assert_eq!(parse_vm_hwm("Name:\tx\n"), None);
        assert_eq!(parse_vm_hwm("VmHWM:\t12 MB\n"), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn peak_memory_of_this_process_is_known_on_linux() {
        assert!(peak_rss_bytes().is_some_and(|b| b > 0));
    }

    fn outcome(algorithm: &str, accuracy: f64, macro_f1: f64) -> Outcome {
        Outcome {
            algorithm: algorithm.into(),
            params: ModelParams::new(algorithm.parse().unwrap()),
            train_documents: 10,
            test_documents: 4,
            features: 7,
            multi_label: false,
            accuracy,
            macro_f1,
            weighted_f1: Some(macro_f1),
            micro_f1: None,
            train_seconds: 1.0,
            predict_seconds: 0.1,
            predict_docs_per_second: 40.0,
            model_bytes: 100,
            peak_rss_bytes: None,
            classes: Vec::new(),
            confusion: None,
            unseen_labels: Vec::new(),
        }
    }

    #[test]
    fn best_is_most_accurate_then_best_macro_f1_then_first() {
        let bench = |outcomes| Bench {
            train: Vec::new(),
            test: Vec::new(),
            label_field: "label".into(),
            seed: 42,
            results: outcomes,
        };
        let b = bench(vec![
            outcome("nb", 0.8, 0.7),
            outcome("svm", 0.9, 0.6),
            outcome("logreg", 0.9, 0.65),
            outcome("cnb", 0.9, 0.65),
        ]);
        assert_eq!(b.best().unwrap().algorithm, "logreg");
        assert!(bench(Vec::new()).best().is_none());
    }
}
