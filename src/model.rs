//! The whole pipeline as one value: analyzer and TF-IDF vectorizer, one or more heads, and provenance.
//!
//! A [`Model`] is what `detente train` writes and every other verb reads. Each [`Head`] classifies one label
//! field (`topic`, `tone`, …) from the same TF-IDF vector, so a document is analyzed and vectorized once
//! whatever the number of heads.

use crate::analyzer::{Analyzer, AnalyzerConfig};
use crate::cv::SearchRecord;
use crate::error::{Error, Result};
use crate::format;
use crate::io::{self, LabelValue, ReadOptions, ReadReport};
use crate::metrics::{self, MultiLabelReport, SingleLabelReport};
use crate::models::{LinearModel, Link, ModelParams, ThresholdRule, threshold};
use crate::sparse::{CsrMatrix, SparseRow};
use crate::tfidf::{TfidfParams, TfidfVectorizer};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

/// Labeled documents gathered from one or more inputs, ready for training or evaluation.
#[derive(Clone, Debug, Default)]
pub struct Corpus {
    pub texts: Vec<String>,
    /// `labels[i][f]`: document i's value of label field f.
    pub labels: Vec<Vec<LabelValue>>,
    /// The label fields, in the order of each document's `labels`.
    pub label_fields: Vec<String>,
    pub sources: Vec<Source>,
}

/// Where training or evaluation documents came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    pub path: String,
    pub format: String,
    pub documents: usize,
    /// Documents that were not valid UTF-8 and had bytes replaced.
    pub replaced_non_utf8: usize,
}

impl Corpus {
    /// Reads every path with the same options, in order.
    pub fn read(paths: &[PathBuf], options: &ReadOptions) -> Result<Corpus> {
        let mut corpus = Corpus {
            label_fields: options.label_fields.clone(),
            ..Corpus::default()
        };
        for path in paths {
            let format = match options.format {
                Some(f) => f,
                None => io::Format::detect(path)?,
            };
            let report: ReadReport = io::read_documents(path, options, &mut |doc| {
                corpus.texts.push(doc.text);
                corpus.labels.push(doc.labels);
                Ok(())
            })?;
            corpus.sources.push(Source {
                path: path.display().to_string(),
                format: format.name().into(),
                documents: report.documents,
                replaced_non_utf8: report.replaced_non_utf8,
            });
        }
        Ok(corpus)
    }

    pub fn len(&self) -> usize {
        self.texts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }

    fn text_refs(&self) -> Vec<&str> {
        self.texts.iter().map(String::as_str).collect()
    }

    /// The documents `rows`, in that order, with the same label fields and sources.
    pub fn subset(&self, rows: &[usize]) -> Corpus {
        Corpus {
            texts: rows.iter().map(|&i| self.texts[i].clone()).collect(),
            labels: rows.iter().map(|&i| self.labels[i].clone()).collect(),
            label_fields: self.label_fields.clone(),
            sources: self.sources.clone(),
        }
    }

    /// The labels of field `f` of every document, a list each (a single label is a list of one), or `None`
    /// where the document has no value for the field.
    fn field_labels(&self, f: usize) -> impl Iterator<Item = Option<&[String]>> + '_ {
        self.labels.iter().map(move |doc| match &doc[f] {
            LabelValue::One(label) => Some(std::slice::from_ref(label)),
            LabelValue::Many(labels) => Some(labels.as_slice()),
            LabelValue::Missing => None,
        })
    }

    /// The documents that have a value for field `f`, and those values.
    fn labeled_rows(&self, f: usize) -> (Vec<usize>, Vec<&[String]>) {
        self.field_labels(f)
            .enumerate()
            .filter_map(|(i, labels)| labels.map(|l| (i, l)))
            .unzip()
    }

    fn field_is_multi_label(&self, f: usize) -> bool {
        self.labels
            .iter()
            .any(|doc| matches!(doc[f], LabelValue::Many(_)))
    }
}

/// Everything `train` needs besides the data.
#[derive(Clone, Debug)]
pub struct TrainOptions {
    pub analyzer: AnalyzerConfig,
    pub tfidf: TfidfParams,
    pub model: ModelParams,
    /// Heads fitted with other parameters than `model`, by head name.
    pub head_models: Vec<(String, ModelParams)>,
    /// How multi-label heads choose their threshold.
    pub threshold: ThresholdRule,
    /// Seconds since the Unix epoch to record as the training time (pass `SOURCE_DATE_EPOCH` for
    /// reproducible files).
    pub created_unix: u64,
    /// The text field or column the documents were read from (recorded in the metadata).
    pub text_field: String,
}

impl TrainOptions {
    /// Options that fit `model` on the library's default analysis and TF-IDF settings, one set of
    /// parameters for every head, the default threshold rule, training time 0 and text field `text`;
    /// change any field with struct update syntax.
    pub fn new(model: ModelParams) -> TrainOptions {
        TrainOptions {
            analyzer: AnalyzerConfig::default(),
            tfidf: TfidfParams::default(),
            model,
            head_models: Vec::new(),
            threshold: ThresholdRule::default(),
            created_unix: 0,
            text_field: "text".into(),
        }
    }
}

/// One classifier over the shared features: a label field and its labels.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Head {
    pub name: String,
    /// Several labels per document (one-vs-rest, thresholded) rather than exactly one.
    pub multi_label: bool,
    pub labels: Vec<String>,
    /// Training documents per label.
    pub label_counts: Vec<usize>,
    pub model: LinearModel,
    /// Multi-label heads predict every label whose score is above this.
    pub threshold: f64,
    /// How `threshold` was chosen.
    pub threshold_rule: ThresholdRule,
    /// The classifier's parameters.
    pub params: ModelParams,
}

impl Head {
    /// This head's prediction for one vectorized document, with its `top_k` best labels.
    pub fn predict(&self, row: SparseRow<'_>, top_k: usize) -> HeadPrediction {
        let mut scores = vec![0.0; self.labels.len()];
        self.model.scores(row, &mut scores);
        let mut order: Vec<usize> = (0..scores.len()).collect();
        order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
        let scored = |k: usize| LabelScore {
            label: self.labels[k].clone(),
            score: scores[k],
        };
        let labels = if self.multi_label {
            order
                .iter()
                .take_while(|&&k| scores[k] > self.threshold)
                .map(|&k| scored(k))
                .collect()
        } else {
            vec![scored(order[0])]
        };
        HeadPrediction {
            head: self.name.clone(),
            multi_label: self.multi_label,
            labels,
            top: order.iter().take(top_k).map(|&k| scored(k)).collect(),
        }
    }
}

/// How a model was made.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    pub detente_version: String,
    pub created_unix: u64,
    pub sources: Vec<Source>,
    pub text_field: String,
    pub documents: usize,
    pub params: ModelParams,
    /// The parameter search that chose `params` (and the analysis settings), when there was one.
    pub search: Option<SearchRecord>,
}

/// A trained pipeline: vectorizer, heads and metadata.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(try_from = "ModelParts")]
pub struct Model {
    vectorizer: TfidfVectorizer,
    heads: Vec<Head>,
    metadata: Metadata,
}

// The fields as read from a model file, checked against each other before they become a model: each
// part checks itself, but a damaged file can still pair a head with the wrong vocabulary or labels.
#[derive(Deserialize)]
struct ModelParts {
    vectorizer: TfidfVectorizer,
    heads: Vec<Head>,
    metadata: Metadata,
}

impl TryFrom<ModelParts> for Model {
    type Error = String;
    fn try_from(p: ModelParts) -> std::result::Result<Self, String> {
        let terms = p.vectorizer.vocabulary_size();
        for head in &p.heads {
            let problem = if head.labels.len() < 2 {
                Some(format!("fewer than two labels ({})", head.labels.len()))
            } else if head.model.n_outputs() != head.labels.len() {
                Some(format!(
                    "{} labels but {} outputs",
                    head.labels.len(),
                    head.model.n_outputs()
                ))
            } else if head.label_counts.len() != head.labels.len() {
                Some(format!(
                    "{} labels but {} label counts",
                    head.labels.len(),
                    head.label_counts.len()
                ))
            } else if head.model.n_features() != terms {
                Some(format!(
                    "weights for {} features over a vocabulary of {terms} terms",
                    head.model.n_features()
                ))
            } else {
                None
            };
            if let Some(problem) = problem {
                return Err(format::refusal(format!(
                    "head `{}` has {problem}",
                    head.name
                )));
            }
        }
        if p.heads.is_empty() {
            return Err(format::refusal("the model has no heads".into()));
        }
        Ok(Model {
            vectorizer: p.vectorizer,
            heads: p.heads,
            metadata: p.metadata,
        })
    }
}

/// A label with its score (a probability, or an SVM margin; see [`Link`]).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LabelScore {
    pub label: String,
    pub score: f64,
}

/// One head's answer for one document.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HeadPrediction {
    pub head: String,
    pub multi_label: bool,
    /// The predicted labels: exactly one for a single-label head, those past the threshold for a multi-label
    /// head (possibly none), best first.
    pub labels: Vec<LabelScore>,
    /// The `top_k` best-scoring labels, best first.
    pub top: Vec<LabelScore>,
}

/// The evaluation of one head.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum HeadReport {
    Single(SingleLabelReport),
    Multi(MultiLabelReport),
}

/// An evaluation: per head, its report and the evaluation labels the model never saw in training.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evaluation {
    pub head: String,
    pub report: HeadReport,
    pub unseen_labels: Vec<String>,
}

/// A step of [`Model::train_observed`], reported as it starts so that a front end can show progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TrainStep<'a> {
    /// Analyzing the documents, building the vocabulary and the TF-IDF matrix.
    Vectorizing { documents: usize },
    /// Fitting head `index` (from 0) of `heads`.
    Fitting {
        head: &'a str,
        index: usize,
        heads: usize,
    },
}

impl Model {
    /// Fits the vectorizer on `corpus` and one head per label field.
    pub fn train(corpus: &Corpus, options: &TrainOptions) -> Result<Model> {
        Model::train_observed(corpus, options, &mut |_| {})
    }

    /// [`Model::train`], telling `observe` each step as it starts.
    pub fn train_observed(
        corpus: &Corpus,
        options: &TrainOptions,
        observe: &mut dyn FnMut(TrainStep<'_>),
    ) -> Result<Model> {
        let targets = Model::checked_targets(corpus, options)?;
        observe(TrainStep::Vectorizing {
            documents: corpus.len(),
        });
        let fitted = fit_vectorizer(corpus, options)?;
        let (sources, documents) = (corpus.sources.clone(), corpus.len());
        Model::fit_heads_observed(targets, fitted, sources, documents, options, observe)
    }

    /// [`Model::train_observed`] on a corpus it consumes, with the same result: the texts and labels are
    /// freed as soon as they have served (the labels once each head's targets are collected, the texts once
    /// their terms are counted), so that training never holds them beside the TF-IDF matrix. `detente
    /// train` uses it.
    pub fn train_owned(
        corpus: Corpus,
        options: &TrainOptions,
        observe: &mut dyn FnMut(TrainStep<'_>),
    ) -> Result<Model> {
        let targets = Model::checked_targets(&corpus, options)?;
        let documents = corpus.len();
        observe(TrainStep::Vectorizing { documents });
        let Corpus {
            texts,
            labels,
            sources,
            ..
        } = corpus;
        drop(labels);
        let analyzer = Analyzer::new(options.analyzer.clone())?;
        let fitted = options.tfidf.fit_transform_owned(analyzer, texts)?;
        Model::fit_heads_observed(targets, fitted, sources, documents, options, observe)
    }

    /// The model of a fitted vectorizer and its training matrix: one head per target, fitted in order.
    fn fit_heads_observed(
        targets: Vec<HeadTargets>,
        (vectorizer, x): (TfidfVectorizer, CsrMatrix),
        sources: Vec<Source>,
        documents: usize,
        options: &TrainOptions,
        observe: &mut dyn FnMut(TrainStep<'_>),
    ) -> Result<Model> {
        let heads = targets.len();
        let heads = targets
            .into_iter()
            .enumerate()
            .map(|(index, targets)| {
                observe(TrainStep::Fitting {
                    head: &targets.name,
                    index,
                    heads,
                });
                targets.fit(&x, options)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Model {
            vectorizer,
            heads,
            metadata: Metadata {
                detente_version: env!("CARGO_PKG_VERSION").into(),
                created_unix: options.created_unix,
                sources,
                text_field: options.text_field.clone(),
                documents,
                params: options.model.clone(),
                search: None,
            },
        })
    }

    /// Checks what [`Model::train`] would refuse before any fitting: an empty corpus, no label field, a
    /// label field with a single class, bad parameters, a per-head algorithm for an unknown head, and
    /// class weights for labels that no head has.
    pub fn check_training(corpus: &Corpus, options: &TrainOptions) -> Result<()> {
        Model::checked_targets(corpus, options).map(|_| ())
    }

    /// [`Model::check_training`], giving each head's targets when everything is in order.
    fn checked_targets(corpus: &Corpus, options: &TrainOptions) -> Result<Vec<HeadTargets>> {
        if corpus.is_empty() {
            return Err(Error::EmptyCorpus {
                path: PathBuf::from(
                    corpus
                        .sources
                        .first()
                        .map_or("(no input)", |s| s.path.as_str()),
                ),
            });
        }
        if corpus.label_fields.is_empty() {
            return Err(Error::param(
                "label fields",
                "none",
                "at least one --label-field",
            ));
        }
        options.model.check()?;
        for (head, params) in &options.head_models {
            if !corpus.label_fields.contains(head) {
                return Err(Error::UnknownHead {
                    head: head.clone(),
                    available: corpus.label_fields.join(", "),
                });
            }
            params.check()?;
        }
        Analyzer::new(options.analyzer.clone())?;
        options.tfidf.check()?;
        let targets = (0..corpus.label_fields.len())
            .map(|f| HeadTargets::new(corpus, f))
            .collect::<Result<Vec<_>>>()?;
        // An explicit weight for a label that no head weighing classes with `options.model` has is a typo.
        let weighted: Vec<&HeadTargets> = targets
            .iter()
            .filter(|t| !options.head_models.iter().any(|(h, _)| *h == t.name))
            .collect();
        if let Some(unknown) = options
            .model
            .class_weight
            .listed_labels()
            .find(|l| !weighted.iter().any(|t| t.labels.iter().any(|k| k == l)))
        {
            let known: Vec<String> = weighted
                .iter()
                .map(|t| format!("`{}`: {}", t.name, t.labels.join(", ")))
                .collect();
            return Err(Error::param(
                "class weight",
                format!("label `{unknown}`"),
                format!("a label of the training data ({})", known.join("; ")),
            ));
        }
        Ok(targets)
    }

    /// Records the parameter search that chose this model's settings.
    pub fn with_search(mut self, search: SearchRecord) -> Model {
        self.metadata.search = Some(search);
        self
    }

    pub fn heads(&self) -> &[Head] {
        &self.heads
    }

    pub fn head(&self, name: &str) -> Result<&Head> {
        self.heads
            .iter()
            .find(|h| h.name == name)
            .ok_or_else(|| Error::UnknownHead {
                head: name.into(),
                available: self.head_names().join(", "),
            })
    }

    pub fn head_names(&self) -> Vec<String> {
        self.heads.iter().map(|h| h.name.clone()).collect()
    }

    pub fn vectorizer(&self) -> &TfidfVectorizer {
        &self.vectorizer
    }

    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    /// TF-IDF rows of `texts`, in order.
    pub fn vectorize(&self, texts: &[&str]) -> CsrMatrix {
        self.vectorizer.transform(texts)
    }

    /// Every head's prediction for every text, in order.
    pub fn predict(&self, texts: &[&str], top_k: usize) -> Vec<Vec<HeadPrediction>> {
        let x = self.vectorize(texts);
        (0..x.nrows())
            .into_par_iter()
            .map(|i| self.predict_row(x.row(i), top_k))
            .collect()
    }

    /// Every head's prediction for one vectorized document.
    pub fn predict_row(&self, row: SparseRow<'_>, top_k: usize) -> Vec<HeadPrediction> {
        self.heads
            .iter()
            .map(|head| head.predict(row, top_k))
            .collect()
    }

    /// Scores the model's predictions on a labeled corpus. `corpus.label_fields` name the heads to evaluate.
    pub fn evaluate(&self, corpus: &Corpus) -> Result<Vec<Evaluation>> {
        evaluate_heads(&self.heads, corpus, &self.vectorize(&corpus.text_refs()))
    }

    /// For each label of `head`, the `n` terms with the largest weights toward it.
    ///
    /// Softmax models are invariant to adding the same amount to every class's weight for a term, so their
    /// weights are centered across classes first; that makes "toward this class" comparable between classes.
    pub fn top_terms(&self, head: &Head, n: usize) -> Vec<Vec<(String, f32)>> {
        let model = &head.model;
        let k = model.n_outputs();
        let center = model.link() == Link::Softmax;
        let mut per_class: Vec<Vec<(u32, f32)>> = vec![Vec::new(); k];
        for j in 0..model.n_features() {
            let mean = if center {
                (0..k).map(|c| model.weight(j, c)).sum::<f32>() / k as f32
            } else {
                0.0
            };
            for (c, list) in per_class.iter_mut().enumerate() {
                list.push((j as u32, model.weight(j, c) - mean));
            }
        }
        per_class
            .into_iter()
            .map(|mut list| {
                let n = n.min(list.len());
                if n == 0 {
                    return Vec::new();
                }
                list.select_nth_unstable_by(n - 1, |a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                list.truncate(n);
                list.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                list.into_iter()
                    .map(|(j, w)| (self.vectorizer.term(j).to_string(), w))
                    .collect()
            })
            .collect()
    }

    /// Writes the model to `path` atomically.
    pub fn save(&self, path: &Path) -> Result<()> {
        format::save(path, self)
    }

    /// Reads a model file.
    pub fn load(path: &Path) -> Result<Model> {
        format::decode(format::read_file(path)?, path)
    }

    /// Decodes a model file image; `name` is used in error messages.
    pub fn from_bytes(bytes: &[u8], name: &Path) -> Result<Model> {
        format::decode(bytes.to_vec(), name)
    }

    /// Decodes a model image that lasts as long as the program, such as one compiled in with
    /// `include_bytes!`, borrowing its large arrays in place instead of copying them; see
    /// [`format::decode_static`], also for when to skip the checksum. Borrowing needs the image to
    /// start at an address that is a multiple of 8; otherwise the arrays are copied.
    pub fn from_static(bytes: &'static [u8], name: &Path, verify_checksum: bool) -> Result<Model> {
        format::decode_static(bytes, name, verify_checksum)
    }

    /// The model file image, as [`Model::save`] writes it.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        format::encode(self)
    }
}

/// The vectorizer fitted on `corpus` and the corpus's TF-IDF rows.
pub(crate) fn fit_vectorizer(
    corpus: &Corpus,
    options: &TrainOptions,
) -> Result<(TfidfVectorizer, CsrMatrix)> {
    let analyzer = Analyzer::new(options.analyzer.clone())?;
    options.tfidf.fit_transform(analyzer, &corpus.text_refs())
}

/// One head per label field of `corpus`, fitted on `x`, the corpus's TF-IDF rows.
pub(crate) fn fit_heads(
    corpus: &Corpus,
    options: &TrainOptions,
    x: &CsrMatrix,
) -> Result<Vec<Head>> {
    (0..corpus.label_fields.len())
        .map(|f| HeadTargets::new(corpus, f)?.fit(x, options))
        .collect()
}

/// Scores `heads` on a labeled corpus whose TF-IDF rows are `x`; `corpus.label_fields` name the heads.
pub(crate) fn evaluate_heads(
    heads: &[Head],
    corpus: &Corpus,
    x: &CsrMatrix,
) -> Result<Vec<Evaluation>> {
    (0..corpus.label_fields.len())
        .map(|f| {
            let head = find_head(heads, &corpus.label_fields[f])?;
            let (truth, predicted) = head_outcome(head, corpus, f, x)?;
            let (report, unseen_labels) =
                head_report(&head.labels, head.multi_label, &truth, &predicted);
            Ok(Evaluation {
                head: head.name.clone(),
                report,
                unseen_labels,
            })
        })
        .collect()
}

fn find_head<'a>(heads: &'a [Head], name: &str) -> Result<&'a Head> {
    heads
        .iter()
        .find(|h| h.name == name)
        .ok_or_else(|| Error::UnknownHead {
            head: name.into(),
            available: heads
                .iter()
                .map(|h| h.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// True and predicted labels, one list per document.
pub(crate) type Outcome = (Vec<Vec<String>>, Vec<Vec<String>>);

/// The true labels of field `f` of the documents of `corpus` that have it, and `head`'s predictions for
/// them from `x`, the corpus's TF-IDF rows. A single-label head refuses a document with several labels.
pub(crate) fn head_outcome(
    head: &Head,
    corpus: &Corpus,
    f: usize,
    x: &CsrMatrix,
) -> Result<Outcome> {
    let field = &corpus.label_fields[f];
    let (rows, values) = corpus.labeled_rows(f);
    if !head.multi_label
        && let Some(k) = values.iter().position(|t| t.len() != 1)
    {
        return Err(Error::Parse {
            path: PathBuf::from(
                corpus
                    .sources
                    .first()
                    .map_or("(input)", |s| s.path.as_str()),
            ),
            line: 0,
            message: format!(
                "document {} has {} labels in `{field}`, but head `{field}` is single-label",
                rows[k] + 1,
                values[k].len()
            ),
        });
    }
    let truth = values.into_iter().map(<[String]>::to_vec).collect();
    let predicted = rows
        .par_iter()
        .map(|&i| {
            let p = head.predict(x.row(i), 0);
            p.labels.into_iter().map(|ls| ls.label).collect()
        })
        .collect();
    Ok((truth, predicted))
}

/// The report of a head whose labels are `labels` from true and predicted label lists; true labels
/// outside `labels` still count, appended after them (and returned as the second value), never predicted.
pub(crate) fn head_report(
    labels: &[String],
    multi_label: bool,
    truth: &[Vec<String>],
    predicted: &[Vec<String>],
) -> (HeadReport, Vec<String>) {
    let mut labels = labels.to_vec();
    let mut unseen = Vec::new();
    let mut index: BTreeMap<String, usize> = labels
        .iter()
        .enumerate()
        .map(|(k, l)| (l.clone(), k))
        .collect();
    let mut ids = |doc: &[String], labels: &mut Vec<String>| -> Vec<usize> {
        doc.iter()
            .map(|l| {
                *index.entry(l.clone()).or_insert_with(|| {
                    labels.push(l.clone());
                    unseen.push(l.clone());
                    labels.len() - 1
                })
            })
            .collect()
    };
    let truth: Vec<Vec<usize>> = truth.iter().map(|t| ids(t, &mut labels)).collect();
    let predicted: Vec<Vec<usize>> = predicted.iter().map(|p| ids(p, &mut labels)).collect();
    let report = if multi_label {
        HeadReport::Multi(metrics::multi_label(&labels, &truth, &predicted))
    } else {
        // A single-label head predicts exactly one label, and `head_outcome` checked the truth.
        let first = |v: &[Vec<usize>]| v.iter().map(|l| l[0]).collect::<Vec<_>>();
        HeadReport::Single(metrics::single_label(
            &labels,
            &first(&truth),
            &first(&predicted),
        ))
    };
    (report, unseen)
}

/// One label field's labels and the label ids of the documents that have the field, before fitting.
struct HeadTargets {
    name: String,
    multi_label: bool,
    labels: Vec<String>,
    /// The documents (rows of the training matrix) labeled for this head, in order.
    rows: Vec<usize>,
    /// One list per entry of `rows`.
    targets: Vec<Vec<u32>>,
}

impl HeadTargets {
    /// Collects the labels of field `f`; a field with fewer than two labels cannot make a classifier.
    fn new(corpus: &Corpus, f: usize) -> Result<HeadTargets> {
        let name = corpus.label_fields[f].clone();
        let multi_label = corpus.field_is_multi_label(f);
        let distinct: HashSet<&str> = corpus
            .field_labels(f)
            .flatten()
            .flatten()
            .map(String::as_str)
            .collect();
        let mut labels: Vec<String> = distinct.into_iter().map(str::to_owned).collect();
        labels.sort_unstable();
        if labels.len() < 2 {
            return Err(Error::SingleClass {
                head: name,
                label: labels
                    .first()
                    .cloned()
                    .unwrap_or_else(|| "no labels at all".into()),
            });
        }
        let index: HashMap<&str, u32> = labels
            .iter()
            .enumerate()
            .map(|(k, l)| (l.as_str(), k as u32))
            .collect();
        let (rows, values) = corpus.labeled_rows(f);
        let targets: Vec<Vec<u32>> = values
            .into_iter()
            .map(|doc| doc.iter().map(|l| index[l.as_str()]).collect())
            .collect();
        Ok(HeadTargets {
            name,
            multi_label,
            labels,
            rows,
            targets,
        })
    }

    fn fit(self, x: &CsrMatrix, options: &TrainOptions) -> Result<Head> {
        let HeadTargets {
            name,
            multi_label,
            labels,
            rows,
            targets,
        } = self;
        let params = options
            .head_models
            .iter()
            .find(|(head, _)| *head == name)
            .map_or(&options.model, |(_, p)| p);
        // Heads trained on part of the documents (partial labels) see only their rows.
        let subset;
        let x = if rows.len() == x.nrows() {
            x
        } else {
            subset = x.select_rows(&rows);
            &subset
        };
        let mut label_counts = vec![0usize; labels.len()];
        targets
            .iter()
            .flatten()
            .for_each(|&k| label_counts[k as usize] += 1);
        let (model, threshold) = if multi_label {
            let model = params.fit_multilabel(x, &targets, &labels)?;
            let threshold = match options.threshold {
                ThresholdRule::Natural => model.link().threshold(),
                ThresholdRule::Fixed(t) => t,
                ThresholdRule::CrossValidated { folds } => {
                    threshold::cross_validated(params, x, &targets, &labels, folds)?
                }
            };
            (model, threshold)
        } else {
            let y: Vec<u32> = targets.iter().map(|t| t[0]).collect();
            let model = params.fit_multiclass(x, &y, &labels)?;
            let threshold = model.link().threshold();
            (model, threshold)
        };
        Ok(Head {
            name,
            multi_label,
            labels,
            label_counts,
            model,
            threshold,
            threshold_rule: options.threshold,
            params: params.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{Algorithm, ModelParams};
    use crate::tfidf::DocFreq;

    fn tiny(texts: &[&str]) -> Model {
        let corpus = Corpus {
            texts: texts.iter().map(|t| t.to_string()).collect(),
            labels: (0..texts.len())
                .map(|i| vec![LabelValue::One(format!("c{}", i % 2))])
                .collect(),
            label_fields: vec!["topic".into()],
            sources: Vec::new(),
        };
        let options = TrainOptions {
            tfidf: TfidfParams {
                min_df: DocFreq::Count(1),
                ..TfidfParams::default()
            },
            ..TrainOptions::new(ModelParams::new(Algorithm::Nb))
        };
        Model::train(&corpus, &options).unwrap()
    }

    /// Each part of a model checks itself when it loads; these damages pass every part's checks (and
    /// the checksum, written anew) and are caught only by checking the parts against each other.
    #[test]
    fn a_model_whose_parts_disagree_is_refused() {
        let good = tiny(&["wheat grain", "goal match", "grain prices", "match team"]);
        let other = tiny(&["a b c", "d e f g", "h", "i j"]);
        let refused = |model: Model| {
            Model::from_bytes(&model.to_bytes().unwrap(), Path::new("m"))
                .unwrap_err()
                .to_string()
        };
        let mut m = good.clone();
        m.heads[0].labels.push("c2".into());
        m.heads[0].label_counts.push(0);
        assert!(refused(m).contains("head `topic` has 3 labels but 2 outputs"));
        let mut m = good.clone();
        m.heads[0].label_counts.pop();
        assert!(refused(m).contains("2 labels but 1 label counts"));
        let mut m = good.clone();
        m.heads = other.heads.clone();
        let message = refused(m);
        assert!(
            message.contains("has weights for 10 features over a vocabulary of 6 terms"),
            "{message}"
        );
        let mut m = good.clone();
        m.heads.clear();
        assert!(refused(m).contains("the model has no heads"));
        assert!(Model::from_bytes(&good.to_bytes().unwrap(), Path::new("m")).is_ok());
    }
}
