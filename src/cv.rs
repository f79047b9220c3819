//! Cross-validation of the whole pipeline, and the parameter search built on it.
//!
//! [`cross_validate`] splits a corpus into k folds and, for each fold, trains on the other k − 1 exactly as
//! [`Model::train`] would (the vectorizer's vocabulary and IDF come from the training folds only, so nothing
//! leaks from the held-out fold) and scores the held-out fold. Each head's metrics are then summarized over
//! the folds by their mean and sample standard deviation.
//!
//! # Folds
//!
//! [`assign_folds`] stratifies on the first label field: documents are grouped by their label (for a
//! multi-label field, the first label a document lists; documents without a label form a group of their
//! own), each group is shuffled with a `ChaCha8Rng` seeded with the seed, the groups are laid end to end in
//! label order and dealt to folds in turn. Every fold then holds each label's share of the corpus to within
//! one document, and fold sizes differ by at most one. Folds are computed once, so every candidate of a
//! search is scored on the same splits.
//!
//! # Search
//!
//! [`search`] scores every combination of a [`Grid`] of parameter values by k-fold cross-validation and picks
//! the one with the highest mean macro-F1 over the folds (averaged over the heads when there are several);
//! ties go to the first candidate in grid order. Candidates that share the text analysis and TF-IDF
//! settings share each fold's vectorizer. Everything runs one fold and one candidate at a time, each fit
//! parallel inside, so the results do not depend on the number of threads.

use crate::error::{Error, Result};
use crate::io::LabelValue;
use crate::metrics;
use crate::model::{self, Corpus, HeadReport, Model, Outcome, TrainOptions};
use crate::models::Algorithm;
use crate::tfidf::DocFreq;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

/// The fold (`0..folds`) of each document of `corpus`, stratified on its first label field (see the
/// module docs).
pub fn assign_folds(corpus: &Corpus, folds: usize, seed: u64) -> Result<Vec<usize>> {
    let n = corpus.len();
    if folds < 2 || folds > n {
        return Err(Error::param(
            "folds",
            folds,
            format!("between 2 and the number of documents ({n})"),
        ));
    }
    let mut strata: BTreeMap<Option<&str>, Vec<usize>> = BTreeMap::new();
    for (i, doc) in corpus.labels.iter().enumerate() {
        strata.entry(stratum(doc.first())).or_default().push(i);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut fold_of = vec![0; n];
    let mut position = 0;
    for docs in strata.values_mut() {
        docs.shuffle(&mut rng);
        for &i in docs.iter() {
            fold_of[i] = position % folds;
            position += 1;
        }
    }
    Ok(fold_of)
}

/// The label a document is stratified by: its label, the first of its labels, or none.
fn stratum(value: Option<&LabelValue>) -> Option<&str> {
    match value? {
        LabelValue::One(label) => Some(label),
        LabelValue::Many(labels) => labels.first().map(String::as_str),
        LabelValue::Missing => None,
    }
}

/// The smallest group of the stratification: its label (`None`: documents without one) and size. Fewer
/// documents than folds means some folds have none of them to test on.
pub fn smallest_stratum(corpus: &Corpus) -> Option<(Option<String>, usize)> {
    let mut strata: BTreeMap<Option<&str>, usize> = BTreeMap::new();
    for doc in &corpus.labels {
        *strata.entry(stratum(doc.first())).or_default() += 1;
    }
    strata
        .into_iter()
        .min_by_key(|&(_, count)| count)
        .map(|(label, count)| (label.map(str::to_string), count))
}

/// One metric over the folds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub mean: f64,
    /// Sample standard deviation over the folds (denominator k − 1).
    pub std: f64,
    /// The value in each fold, in fold order.
    pub folds: Vec<f64>,
}

impl Summary {
    fn of(folds: Vec<f64>) -> Summary {
        let (mean, std) = metrics::mean_std(&folds);
        Summary { mean, std, folds }
    }
}

/// A head's cross-validated scores.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HeadScores {
    pub head: String,
    pub multi_label: bool,
    /// Single-label: share of documents whose label is right. Multi-label: share whose label set is
    /// exactly right (scikit-learn's `accuracy_score` on label sets).
    pub accuracy: Summary,
    pub macro_f1: Summary,
    pub weighted_f1: Summary,
    /// Multi-label heads only.
    pub micro_f1: Option<Summary>,
    /// The report of the out-of-fold predictions pooled over the folds: each document predicted once, by
    /// the model that did not see it (scikit-learn's `cross_val_predict` then `classification_report`).
    /// Per-class figures of rare classes are steadier pooled than averaged over folds.
    pub pooled: HeadReport,
}

/// The result of [`cross_validate`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CvReport {
    pub folds: usize,
    pub seed: u64,
    pub documents: usize,
    /// The label field the folds are stratified on.
    pub stratified_on: String,
    pub heads: Vec<HeadScores>,
}

impl CvReport {
    /// The score a search ranks by, per fold: macro-F1, averaged over the heads.
    fn fold_scores(&self) -> Vec<f64> {
        (0..self.folds)
            .map(|f| {
                self.heads.iter().map(|h| h.macro_f1.folds[f]).sum::<f64>()
                    / self.heads.len().max(1) as f64
            })
            .collect()
    }
}

/// The metrics of one head in one fold: accuracy, macro-F1, weighted F1, micro-F1 (multi-label).
type FoldScores = (f64, f64, f64, Option<f64>);

fn fold_scores(report: &HeadReport) -> FoldScores {
    match report {
        HeadReport::Single(r) => (r.accuracy, r.macro_f1, r.weighted_f1, None),
        HeadReport::Multi(r) => (
            r.subset_accuracy,
            r.macro_f1,
            metrics::weighted_f1(&r.classes),
            Some(r.micro_f1),
        ),
    }
}

/// Cross-validates the pipeline `options` describes on `corpus` with `folds` folds drawn with `seed` (see
/// the module docs). `progress` is called after each fold.
pub fn cross_validate(
    corpus: &Corpus,
    options: &TrainOptions,
    folds: usize,
    seed: u64,
    progress: &mut dyn FnMut(SearchProgress),
) -> Result<CvReport> {
    Model::check_training(corpus, options)?;
    let mut reports = score(corpus, std::slice::from_ref(options), folds, seed, progress)?;
    // One report per candidate, and there is one candidate.
    Ok(reports.remove(0))
}

/// A parameter that `--search` can vary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SearchParam {
    C,
    Alpha,
    MaxIter,
    Tol,
    DenseFeatures,
    MinDf,
    MaxDf,
    MaxFeatures,
    Ngrams,
}

impl SearchParam {
    pub const ALL: [SearchParam; 9] = [
        SearchParam::C,
        SearchParam::Alpha,
        SearchParam::MaxIter,
        SearchParam::Tol,
        SearchParam::DenseFeatures,
        SearchParam::MinDf,
        SearchParam::MaxDf,
        SearchParam::MaxFeatures,
        SearchParam::Ngrams,
    ];

    /// The name on the command line, as the training flag without its dashes.
    pub fn name(self) -> &'static str {
        match self {
            SearchParam::C => "C",
            SearchParam::Alpha => "alpha",
            SearchParam::MaxIter => "max-iter",
            SearchParam::Tol => "tol",
            SearchParam::DenseFeatures => "dense-features",
            SearchParam::MinDf => "min-df",
            SearchParam::MaxDf => "max-df",
            SearchParam::MaxFeatures => "max-features",
            SearchParam::Ngrams => "ngrams",
        }
    }

    /// Every name, for messages.
    pub fn names() -> String {
        SearchParam::ALL.map(SearchParam::name).join(", ")
    }

    /// The algorithms whose fit the parameter changes (`None`: all, as for the text analysis).
    fn algorithms(self) -> Option<&'static [Algorithm]> {
        use Algorithm::*;
        match self {
            SearchParam::C | SearchParam::MaxIter | SearchParam::Tol => {
                Some(&[LogReg, Svm, LinfaLogistic])
            }
            SearchParam::Alpha => Some(&[Nb, Cnb]),
            SearchParam::DenseFeatures => Some(&[LinfaLogistic]),
            SearchParam::MinDf
            | SearchParam::MaxDf
            | SearchParam::MaxFeatures
            | SearchParam::Ngrams => None,
        }
    }

    /// Checks that `value` is a valid value of the parameter.
    fn check_value(self, value: &str) -> Result<()> {
        let positive_number = |name| match value.parse::<f64>() {
            Ok(v) if v.is_finite() && v > 0.0 => Ok(()),
            _ => Err(Error::param(name, value, "a finite number > 0")),
        };
        let count = |name| match value.parse::<usize>() {
            Ok(v) if v >= 1 => Ok(()),
            _ => Err(Error::param(name, value, "a whole number >= 1")),
        };
        match self {
            SearchParam::C => positive_number("C"),
            SearchParam::Alpha => positive_number("alpha"),
            SearchParam::Tol => positive_number("tol"),
            SearchParam::MaxIter => count("max-iter"),
            SearchParam::DenseFeatures => count("dense-features"),
            SearchParam::MaxFeatures => count("max-features"),
            SearchParam::Ngrams => count("ngrams"),
            SearchParam::MinDf | SearchParam::MaxDf => value.parse::<DocFreq>().map(|_| ()),
        }
    }

    /// Sets the parameter to `value` (already checked) in `options`.
    fn apply(self, options: &mut TrainOptions, value: &str) -> Result<()> {
        self.check_value(value)?;
        // Checked above, so these parses succeed; the fallbacks are never used.
        let number = || value.parse::<f64>().unwrap_or(f64::NAN);
        let count = || value.parse::<usize>().unwrap_or(0);
        match self {
            SearchParam::C => options.model.c = number(),
            SearchParam::Alpha => options.model.alpha = number(),
            SearchParam::Tol => options.model.tol = number(),
            SearchParam::MaxIter => options.model.max_iter = count(),
            SearchParam::DenseFeatures => options.model.dense_features = count(),
            SearchParam::MaxFeatures => options.tfidf.max_features = Some(count()),
            SearchParam::Ngrams => options.analyzer.word_ngrams = count(),
            SearchParam::MinDf => options.tfidf.min_df = value.parse()?,
            SearchParam::MaxDf => options.tfidf.max_df = value.parse()?,
        }
        Ok(())
    }
}

impl fmt::Display for SearchParam {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for SearchParam {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let s = s.trim();
        SearchParam::ALL
            .into_iter()
            .find(|p| p.name() == s || (*p == SearchParam::C && s == "c"))
            .ok_or_else(|| {
                Error::param(
                    "search parameter",
                    format!("`{s}`"),
                    format!("one of {}", SearchParam::names()),
                )
            })
    }
}

/// One parameter of a grid and the values to try, in order.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    pub param: SearchParam,
    /// As written, each checked.
    pub values: Vec<String>,
}

impl FromStr for Axis {
    type Err = Error;

    /// `NAME=V1,V2,…`, e.g. `C=0.1,1,10`.
    fn from_str(s: &str) -> Result<Self> {
        let (name, values) = s.split_once('=').ok_or_else(|| {
            Error::param(
                "search",
                format!("`{s}`"),
                format!(
                    "NAME=V1,V2,… (e.g. C=0.1,1,10) with NAME one of {}",
                    SearchParam::names()
                ),
            )
        })?;
        let param: SearchParam = name.parse()?;
        let values: Vec<String> = values.split(',').map(|v| v.trim().to_string()).collect();
        for v in &values {
            param.check_value(v)?;
        }
        Ok(Axis { param, values })
    }
}

/// Parameter values to try: every combination of its axes' values (their Cartesian product). No axis
/// means one candidate, the base options.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Grid {
    axes: Vec<Axis>,
}

impl Grid {
    /// A grid over `axes`; each parameter may appear once.
    pub fn new(axes: Vec<Axis>) -> Result<Grid> {
        for (k, axis) in axes.iter().enumerate() {
            if axes[..k].iter().any(|a| a.param == axis.param) {
                return Err(Error::param(
                    "search",
                    format!("`{}` given twice", axis.param),
                    format!(
                        "each parameter once, with all its values: {}=V1,V2,…",
                        axis.param
                    ),
                ));
            }
        }
        Ok(Grid { axes })
    }

    pub fn axes(&self) -> &[Axis] {
        &self.axes
    }

    pub fn is_empty(&self) -> bool {
        self.axes.is_empty()
    }

    /// Checks that every parameter changes the fit of `algorithm`, the one the grid's values apply to
    /// (`C` means nothing to naive Bayes, `alpha` nothing to an SVM).
    pub fn check(&self, algorithm: Algorithm) -> Result<()> {
        for axis in &self.axes {
            if let Some(algorithms) = axis.param.algorithms()
                && !algorithms.contains(&algorithm)
            {
                let names: Vec<&str> = algorithms.iter().map(|a| a.name()).collect();
                return Err(Error::param(
                    "search parameter",
                    format!("`{}`", axis.param),
                    format!(
                        "a parameter of {algorithm} (`{}` applies to {})",
                        axis.param,
                        names.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Every combination of values, in grid order: the first axis varies slowest.
    pub fn candidates(&self) -> Vec<Vec<String>> {
        self.axes.iter().fold(vec![Vec::new()], |partial, axis| {
            partial
                .iter()
                .flat_map(|prefix| {
                    axis.values.iter().map(move |v| {
                        let mut c = prefix.clone();
                        c.push(v.clone());
                        c
                    })
                })
                .collect()
        })
    }

    /// `base` with a candidate's values (one per axis, in axis order) applied.
    pub fn apply(&self, base: &TrainOptions, values: &[String]) -> Result<TrainOptions> {
        let mut options = base.clone();
        for (axis, value) in self.axes.iter().zip(values) {
            axis.param.apply(&mut options, value)?;
        }
        Ok(options)
    }
}

/// A parameter search as the model file records it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SearchRecord {
    pub folds: usize,
    pub seed: u64,
    /// What candidates were ranked by.
    pub metric: String,
    /// The names of the parameters searched, in grid order.
    pub parameters: Vec<String>,
    /// Every candidate, in grid order.
    pub candidates: Vec<Candidate>,
    /// The index of the chosen candidate in `candidates`.
    pub chosen: usize,
}

/// One candidate of a search and its cross-validated score.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// One value per parameter, as written.
    pub values: Vec<String>,
    /// Mean of the per-fold scores.
    pub mean: f64,
    /// Their sample standard deviation.
    pub std: f64,
}

/// The result of [`search`].
#[derive(Clone, Debug)]
pub struct SearchOutcome {
    /// The candidates, their scores and the choice.
    pub record: SearchRecord,
    /// The base options with the chosen values.
    pub options: TrainOptions,
    /// Each candidate's full cross-validation report, in grid order.
    pub reports: Vec<CvReport>,
}

/// Where a search is: `fold` folds of `folds` done for every candidate.
#[derive(Clone, Copy, Debug)]
pub struct SearchProgress {
    pub fold: usize,
    pub folds: usize,
}

/// Scores every candidate of `grid` applied to `base` by `folds`-fold cross-validation and picks the best
/// (see the module docs). Every candidate's options are checked before anything is fitted.
pub fn search(
    corpus: &Corpus,
    base: &TrainOptions,
    grid: &Grid,
    folds: usize,
    seed: u64,
    progress: &mut dyn FnMut(SearchProgress),
) -> Result<SearchOutcome> {
    grid.check(base.model.algorithm)?;
    let values = grid.candidates();
    let options = values
        .iter()
        .map(|v| {
            let o = grid.apply(base, v)?;
            Model::check_training(corpus, &o)?;
            Ok(o)
        })
        .collect::<Result<Vec<_>>>()?;
    let reports = score(corpus, &options, folds, seed, progress)?;
    let candidates: Vec<Candidate> = values
        .into_iter()
        .zip(&reports)
        .map(|(values, report)| {
            let (mean, std) = metrics::mean_std(&report.fold_scores());
            Candidate { values, mean, std }
        })
        .collect();
    // The first of the best: a later candidate must score strictly higher to replace it.
    let chosen = (1..candidates.len()).fold(0, |best, c| {
        if candidates[c].mean > candidates[best].mean {
            c
        } else {
            best
        }
    });
    let chosen_options = options[chosen].clone();
    Ok(SearchOutcome {
        record: SearchRecord {
            folds,
            seed,
            metric: if corpus.label_fields.len() > 1 {
                "macro-F1, mean over heads".into()
            } else {
                "macro-F1".into()
            },
            parameters: grid
                .axes
                .iter()
                .map(|a| a.param.name().to_string())
                .collect(),
            candidates,
            chosen,
        },
        options: chosen_options,
        reports,
    })
}

/// Cross-validates each of `options` on the same folds; one report per entry, in order.
fn score(
    corpus: &Corpus,
    options: &[TrainOptions],
    folds: usize,
    seed: u64,
    progress: &mut dyn FnMut(SearchProgress),
) -> Result<Vec<CvReport>> {
    let fold_of = assign_folds(corpus, folds, seed)?;

    // Candidates that differ only in classifier parameters share each fold's vectorizer.
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (c, o) in options.iter().enumerate() {
        match groups.iter_mut().find(|g| {
            let first = &options[g[0]];
            first.analyzer == o.analyzer && first.tfidf == o.tfidf
        }) {
            Some(group) => group.push(c),
            None => groups.push(vec![c]),
        }
    }

    // scores[candidate][head][fold], pooled[candidate][head]
    let n_heads = corpus.label_fields.len();
    let mut scores: Vec<Vec<Vec<FoldScores>>> = vec![vec![Vec::new(); n_heads]; options.len()];
    let mut pooled: Vec<Vec<Outcome>> = vec![vec![Outcome::default(); n_heads]; options.len()];
    let mut multi_label = vec![false; n_heads];
    let mut labels: Vec<BTreeSet<String>> = vec![BTreeSet::new(); n_heads];
    for fold in 0..folds {
        let (test_rows, train_rows): (Vec<usize>, Vec<usize>) =
            (0..corpus.len()).partition(|&i| fold_of[i] == fold);
        let train = corpus.subset(&train_rows);
        let test = corpus.subset(&test_rows);
        let test_texts: Vec<&str> = test.texts.iter().map(String::as_str).collect();
        for group in &groups {
            let (vectorizer, x) = model::fit_vectorizer(&train, &options[group[0]])?;
            let x_test = vectorizer.transform(&test_texts);
            for &c in group {
                // Heads come in the order of the label fields.
                let heads = model::fit_heads(&train, &options[c], &x)?;
                for (h, head) in heads.iter().enumerate() {
                    multi_label[h] = head.multi_label;
                    labels[h].extend(head.labels.iter().cloned());
                    let (truth, predicted) = model::head_outcome(head, &test, h, &x_test)?;
                    let (report, _) =
                        model::head_report(&head.labels, head.multi_label, &truth, &predicted);
                    scores[c][h].push(fold_scores(&report));
                    pooled[c][h].0.extend(truth);
                    pooled[c][h].1.extend(predicted);
                }
            }
        }
        progress(SearchProgress {
            fold: fold + 1,
            folds,
        });
    }

    let labels: Vec<Vec<String>> = labels
        .into_iter()
        .map(|l| l.into_iter().collect())
        .collect();
    Ok(scores
        .into_iter()
        .zip(pooled)
        .map(|(per_head, pooled)| CvReport {
            folds,
            seed,
            documents: corpus.len(),
            stratified_on: corpus.label_fields[0].clone(),
            heads: per_head
                .into_iter()
                .zip(pooled)
                .enumerate()
                .map(|(h, (f, (truth, predicted)))| HeadScores {
                    head: corpus.label_fields[h].clone(),
                    multi_label: multi_label[h],
                    accuracy: Summary::of(f.iter().map(|s| s.0).collect()),
                    macro_f1: Summary::of(f.iter().map(|s| s.1).collect()),
                    weighted_f1: Summary::of(f.iter().map(|s| s.2).collect()),
                    micro_f1: multi_label[h]
                        .then(|| Summary::of(f.iter().map(|s| s.3.unwrap_or(0.0)).collect())),
                    pooled: model::head_report(&labels[h], multi_label[h], &truth, &predicted).0,
                })
                .collect(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus(labels: &[&str]) -> Corpus {
        Corpus {
            texts: labels.iter().map(|l| format!("text about {l}")).collect(),
            labels: labels
                .iter()
                .map(|l| vec![LabelValue::One(l.to_string())])
                .collect(),
            label_fields: vec!["label".into()],
            sources: Vec::new(),
        }
    }

    #[test]
    fn folds_are_stratified_balanced_and_seeded() {
        // 12 a, 6 b, 3 c: every fold of 3 gets 4 a, 2 b, 1 c.
        let labels: Vec<&str> = (0..21)
            .map(|i| match i % 7 {
                0..=3 => "a",
                4 | 5 => "b",
                _ => "c",
            })
            .collect();
        let c = corpus(&labels);
        let folds = assign_folds(&c, 3, 7).unwrap();
        for f in 0..3 {
            for (label, want) in [("a", 4), ("b", 2), ("c", 1)] {
                let n = (0..21)
                    .filter(|&i| folds[i] == f && labels[i] == label)
                    .count();
                assert_eq!(n, want, "fold {f}, label {label}");
            }
        }
        assert_eq!(folds, assign_folds(&c, 3, 7).unwrap());
        assert_ne!(folds, assign_folds(&c, 3, 8).unwrap());
        assert!(assign_folds(&c, 1, 7).is_err());
        assert!(assign_folds(&c, 22, 7).is_err());
        assert_eq!(smallest_stratum(&c), Some((Some("c".into()), 3)));
    }

    #[test]
    fn grid_is_the_product_in_order() {
        let grid = Grid::new(vec![
            "C=0.1,1".parse().unwrap(),
            "min-df=1,2,0.01".parse().unwrap(),
        ])
        .unwrap();
        let c = grid.candidates();
        assert_eq!(c.len(), 6);
        assert_eq!(c[0], ["0.1", "1"]);
        assert_eq!(c[1], ["0.1", "2"]);
        assert_eq!(c[5], ["1", "0.01"]);
        assert_eq!(Grid::default().candidates(), vec![Vec::<String>::new()]);
    }

    #[test]
    fn bad_search_specs_are_refused() {
        for bad in [
            "gamma=1,2",
            "C=",
            "C=0",
            "C=abc",
            "C",
            "max-iter=1.5",
            "min-df=-1",
            "ngrams=0",
        ] {
            assert!(bad.parse::<Axis>().is_err(), "{bad}");
        }
        let twice = vec!["C=1".parse().unwrap(), "c=2".parse().unwrap()];
        assert!(Grid::new(twice).is_err());
        let c = Grid::new(vec!["C=1,2".parse().unwrap()]).unwrap();
        assert!(c.check(Algorithm::Svm).is_ok());
        assert!(c.check(Algorithm::Nb).is_err());
        let alpha = Grid::new(vec!["alpha=0.1".parse().unwrap()]).unwrap();
        assert!(alpha.check(Algorithm::Svm).is_err());
    }
}
