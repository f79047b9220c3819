//! Classifiers on sparse rows.
//!
//! Every algorithm fits a [`LinearModel`]: one weight vector and intercept per output, and a [`Link`] that
//! turns decision values into scores. Prediction is therefore one code path for all of them; the algorithm
//! only matters at fit time, and [`ModelParams::fit_multiclass`] / [`ModelParams::fit_multilabel`] are the
//! one place where it is chosen.
//!
//! | algorithm | what | scores |
//! |---|---|---|
//! | `logreg` | multinomial logistic regression, L2 (L-BFGS) | class probabilities (softmax) |
//! | `svm` | linear SVM, squared hinge loss, L2, one-vs-rest (dual coordinate descent, as LIBLINEAR) | decision values (margins) |
//! | `nb` | multinomial naive Bayes | class probabilities |
//! | `cnb` | complement naive Bayes | normalized complement log-likelihoods |
//! | `linfa-logistic` | linfa-logistic's multinomial regression on a dense, capped feature subset (reference) | class probabilities |
//!
//! Multi-label heads fit one binary model per label (one-vs-rest) and predict every label whose score passes
//! [`Link::threshold`].
//!
//! # Class weights
//!
//! `logreg` and `svm` can weigh classes ([`ClassWeight`]): a class of weight `w` counts as if each of its
//! documents were there `w` times, which makes mistakes on a rare class cost more and raises its recall.
//!
//! - Single-label heads: every training document's loss is multiplied by the weight of its class, in the
//!   softmax of `logreg` and in every one-vs-rest problem of `svm` (its `C` becomes `C · w`). With two classes
//!   this is exactly scikit-learn's `LinearSVC(class_weight=…)` / LIBLINEAR's `-wi`; with more, LIBLINEAR
//!   scales only the positive class's `C` in each one-vs-rest problem, while detente also weighs the
//!   negatives by their own classes, so that both algorithms minimize the same weighted loss.
//! - Multi-label heads: each label's binary problem weighs its positive documents by the label's weight and
//!   the others by 1; `balanced` balances each binary problem on its own (`n / (2 · positives)` and
//!   `n / (2 · negatives)`), as `OneVsRestClassifier(LinearSVC(class_weight="balanced"))` would.
//! - `nb`, `cnb` and `linfa-logistic` refuse class weights.

pub mod linear;
pub mod linfa_ref;
pub mod logistic;
pub mod naive_bayes;
pub mod svm;
pub mod threshold;

pub use linear::{LinearModel, Link};
pub use threshold::ThresholdRule;

use crate::error::{Error, Result};
use crate::sparse::CsrMatrix;
use ndarray::Array1;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The model types detente can fit. Serialized under the names the command line uses (in JSON; model
/// files store the variant's index).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Algorithm {
    #[serde(rename = "logreg")]
    LogReg,
    #[serde(rename = "svm")]
    Svm,
    #[serde(rename = "nb")]
    Nb,
    #[serde(rename = "cnb")]
    Cnb,
    #[serde(rename = "linfa-logistic")]
    LinfaLogistic,
}

impl Algorithm {
    /// All algorithms, in the order benchmarks list them.
    pub const ALL: [Algorithm; 5] = [
        Algorithm::LogReg,
        Algorithm::Svm,
        Algorithm::Nb,
        Algorithm::Cnb,
        Algorithm::LinfaLogistic,
    ];

    /// The name used on the command line and in model files.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::LogReg => "logreg",
            Algorithm::Svm => "svm",
            Algorithm::Nb => "nb",
            Algorithm::Cnb => "cnb",
            Algorithm::LinfaLogistic => "linfa-logistic",
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Algorithm {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Algorithm::ALL
            .into_iter()
            .find(|a| a.name() == s)
            .ok_or_else(|| Error::param("algorithm", s, "logreg, svm, nb, cnb or linfa-logistic"))
    }
}

/// Hyper-parameters of a classifier. Build with [`ModelParams::new`], which sets the algorithm's defaults.
///
/// | name | default | meaning | range |
/// |---|---|---|---|
/// | `c` | logreg 10, svm 1, linfa-logistic 10 | inverse L2 regularization strength | > 0 |
/// | `alpha` | nb 0.01, cnb 0.3 | additive (Lidstone) smoothing | > 0 |
/// | `max_iter` | logreg 200, svm 1000, linfa-logistic 100 | iteration cap of the solver | ≥ 1 |
/// | `tol` | logreg 1e-4, svm 0.5, linfa-logistic 1e-4 | stopping tolerance of the solver | > 0 |
/// | `dense_features` | 2000 | linfa-logistic only: features kept (highest document frequency) | ≥ 1 |
/// | `seed` | 42 | seeds every random choice (svm's coordinate order) | any |
/// | `class_weight` | none | logreg and svm only: weights of the classes in the loss ([`ClassWeight`]) | weights > 0 |
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelParams {
    pub algorithm: Algorithm,
    pub c: f64,
    pub alpha: f64,
    pub max_iter: usize,
    pub tol: f64,
    pub dense_features: usize,
    pub seed: u64,
    pub class_weight: ClassWeight,
}

/// How much each class counts in the loss of `logreg` and `svm` (see the module docs for how it applies).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClassWeight {
    /// Every document counts once.
    #[default]
    None,
    /// Weights inversely proportional to class frequency: `n / (k · n_c)` for `n` documents, `k` classes and
    /// `n_c` documents of class `c` (scikit-learn's `class_weight="balanced"`), so that every class weighs as
    /// much as an average one.
    Balanced,
    /// A weight per label name; labels not listed weigh 1.
    Explicit(Vec<(String, f64)>),
}

impl ClassWeight {
    /// The weight of each class for a single-label problem, from the class names and their training
    /// documents; `None` when every weight is 1. A class without documents weighs 1 (it has nothing to
    /// weigh).
    pub fn single_label(&self, labels: &[String], counts: &[usize]) -> Option<Vec<f64>> {
        match self {
            ClassWeight::None => None,
            ClassWeight::Balanced => {
                let n: usize = counts.iter().sum();
                let present = counts.iter().filter(|&&c| c > 0).count();
                Some(
                    counts
                        .iter()
                        .map(|&c| {
                            if c == 0 {
                                1.0
                            } else {
                                n as f64 / (present * c) as f64
                            }
                        })
                        .collect(),
                )
            }
            ClassWeight::Explicit(_) => Some(labels.iter().map(|l| self.weight_of(l)).collect()),
        }
    }

    /// The (positive, negative) weights of each label's binary problem in a multi-label head of `n`
    /// documents, `counts[c]` of which carry label `c`; `None` when every weight is 1.
    pub fn multi_label(
        &self,
        labels: &[String],
        counts: &[usize],
        n: usize,
    ) -> Option<Vec<(f64, f64)>> {
        match self {
            ClassWeight::None => None,
            ClassWeight::Balanced => Some(
                counts
                    .iter()
                    .map(|&pos| {
                        let half = |m: usize| {
                            if m == 0 {
                                1.0
                            } else {
                                n as f64 / (2 * m) as f64
                            }
                        };
                        (half(pos), half(n - pos))
                    })
                    .collect(),
            ),
            ClassWeight::Explicit(_) => {
                Some(labels.iter().map(|l| (self.weight_of(l), 1.0)).collect())
            }
        }
    }

    /// The explicit weight of `label`: its listed weight, or 1.
    fn weight_of(&self, label: &str) -> f64 {
        match self {
            ClassWeight::Explicit(list) => list
                .iter()
                .find(|(l, _)| l == label)
                .map_or(1.0, |(_, w)| *w),
            _ => 1.0,
        }
    }

    /// The labels of an explicit list, in its order (none for the other kinds).
    pub fn listed_labels(&self) -> impl Iterator<Item = &str> {
        let list = match self {
            ClassWeight::Explicit(list) => list.as_slice(),
            _ => &[],
        };
        list.iter().map(|(l, _)| l.as_str())
    }

    /// Every listed weight is a finite number > 0 and no label is listed twice.
    pub fn check(&self) -> Result<()> {
        if let ClassWeight::Explicit(list) = self {
            if list.is_empty() {
                return Err(Error::param(
                    "class weight",
                    "an empty list",
                    "`balanced`, `none` or LABEL=WEIGHT,…",
                ));
            }
            for (k, (label, w)) in list.iter().enumerate() {
                if !(w.is_finite() && *w > 0.0) {
                    return Err(Error::param(
                        "class weight",
                        format!("{label}={w}"),
                        "a weight that is a finite number > 0",
                    ));
                }
                if list[..k].iter().any(|(l, _)| l == label) {
                    return Err(Error::param(
                        "class weight",
                        label,
                        "each label listed once",
                    ));
                }
            }
        }
        Ok(())
    }
}

impl fmt::Display for ClassWeight {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClassWeight::None => f.write_str("none"),
            ClassWeight::Balanced => f.write_str("balanced"),
            ClassWeight::Explicit(list) => {
                for (k, (label, w)) in list.iter().enumerate() {
                    let sep = if k == 0 { "" } else { "," };
                    write!(f, "{sep}{label}={w}")?;
                }
                Ok(())
            }
        }
    }
}

impl FromStr for ClassWeight {
    type Err = Error;

    /// `none`, `balanced`, or `LABEL=WEIGHT,LABEL=WEIGHT,…` (the last `=` of an item separates the weight,
    /// so a label may hold `=` but not `,`).
    fn from_str(s: &str) -> Result<Self> {
        let weights = match s.trim() {
            "none" => ClassWeight::None,
            "balanced" => ClassWeight::Balanced,
            list => ClassWeight::Explicit(
                list.split(',')
                    .map(|item| {
                        let parsed = item.rsplit_once('=').and_then(|(label, w)| {
                            let label = label.trim();
                            let w = w.trim().parse::<f64>().ok()?;
                            (!label.is_empty()).then(|| (label.to_string(), w))
                        });
                        parsed.ok_or_else(|| {
                            Error::param(
                                "class weight",
                                item,
                                "`balanced`, `none` or LABEL=WEIGHT,… (e.g. `sports=2,health=0.5`)",
                            )
                        })
                    })
                    .collect::<Result<_>>()?,
            ),
        };
        weights.check()?;
        Ok(weights)
    }
}

impl ModelParams {
    /// The defaults for `algorithm`.
    pub fn new(algorithm: Algorithm) -> Self {
        let (c, alpha, max_iter, tol) = match algorithm {
            Algorithm::LogReg => (10.0, 0.0, 200, 1e-4),
            Algorithm::Svm => (1.0, 0.0, 1000, 0.5),
            Algorithm::Nb => (0.0, 0.01, 0, 0.0),
            Algorithm::Cnb => (0.0, 0.3, 0, 0.0),
            Algorithm::LinfaLogistic => (10.0, 0.0, 100, 1e-4),
        };
        ModelParams {
            algorithm,
            c,
            alpha,
            max_iter,
            tol,
            dense_features: 2000,
            seed: 42,
            class_weight: ClassWeight::None,
        }
    }

    pub fn c(mut self, c: f64) -> Self {
        self.c = c;
        self
    }

    pub fn alpha(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
        self
    }

    pub fn max_iter(mut self, max_iter: usize) -> Self {
        self.max_iter = max_iter;
        self
    }

    pub fn tol(mut self, tol: f64) -> Self {
        self.tol = tol;
        self
    }

    pub fn dense_features(mut self, n: usize) -> Self {
        self.dense_features = n;
        self
    }

    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    pub fn class_weight(mut self, class_weight: ClassWeight) -> Self {
        self.class_weight = class_weight;
        self
    }

    /// Checks every parameter the algorithm uses.
    pub fn check(&self) -> Result<()> {
        let positive = |name, v: f64| {
            if v > 0.0 && v.is_finite() {
                Ok(())
            } else {
                Err(Error::param(name, v, "a finite number > 0"))
            }
        };
        self.class_weight.check()?;
        if self.class_weight != ClassWeight::None
            && !matches!(self.algorithm, Algorithm::LogReg | Algorithm::Svm)
        {
            return Err(Error::param(
                "class weight",
                format!("{} with {}", self.class_weight, self.algorithm),
                "no class weights: only logreg and svm weigh classes",
            ));
        }
        match self.algorithm {
            Algorithm::Nb | Algorithm::Cnb => positive("alpha", self.alpha),
            Algorithm::LogReg | Algorithm::Svm | Algorithm::LinfaLogistic => {
                positive("C", self.c)?;
                positive("tol", self.tol)?;
                if self.max_iter == 0 {
                    return Err(Error::param("max_iter", 0, "at least 1"));
                }
                if self.dense_features == 0 {
                    return Err(Error::param("dense_features", 0, "at least 1"));
                }
                Ok(())
            }
        }
    }

    /// Fits a single-label model: `y[i]` is the class of row `i`, an index into `labels`, the class names
    /// (which explicit class weights refer to).
    pub fn fit_multiclass(
        &self,
        x: &CsrMatrix,
        y: &[u32],
        labels: &[String],
    ) -> Result<LinearModel> {
        let n_classes = labels.len();
        self.check()?;
        check_shapes(x, y.len(), n_classes)?;
        check_labels(y.iter(), n_classes)?;
        let mut counts = vec![0usize; n_classes];
        y.iter().for_each(|&k| counts[k as usize] += 1);
        // Each row weighs as much as its class.
        let row_weights: Option<Vec<f64>> = self
            .class_weight
            .single_label(labels, &counts)
            .map(|w| y.iter().map(|&k| w[k as usize]).collect());
        let row_weights = row_weights.as_deref();
        match self.algorithm {
            Algorithm::LogReg => {
                logistic::fit_multinomial_weighted(x, y, n_classes, row_weights, self)
            }
            Algorithm::Svm => {
                let problems: Vec<BinaryProblem> = (0..n_classes)
                    .map(|c| BinaryProblem {
                        y: y.iter().map(|&k| k as usize == c).collect(),
                        weights: row_weights.map(<[f64]>::to_vec),
                    })
                    .collect();
                self.one_vs_rest(x, &problems, Link::Margin)
            }
            Algorithm::Nb => Ok(naive_bayes::fit_multinomial(x, y, n_classes, self.alpha)),
            Algorithm::Cnb => Ok(naive_bayes::fit_complement(x, y, n_classes, self.alpha)),
            Algorithm::LinfaLogistic => linfa_ref::fit_multiclass(x, y, n_classes, self),
        }
    }

    /// Fits a multi-label model: `y[i]` lists the classes of row `i` (possibly none), indices into `labels`.
    /// One binary model per class.
    pub fn fit_multilabel(
        &self,
        x: &CsrMatrix,
        y: &[Vec<u32>],
        labels: &[String],
    ) -> Result<LinearModel> {
        let n_classes = labels.len();
        self.check()?;
        check_shapes(x, y.len(), n_classes)?;
        check_labels(y.iter().flatten(), n_classes)?;
        let link = match self.algorithm {
            Algorithm::Svm => Link::Margin,
            _ => Link::Sigmoid,
        };
        let mut counts = vec![0usize; n_classes];
        y.iter().flatten().for_each(|&k| counts[k as usize] += 1);
        let class_weights = self.class_weight.multi_label(labels, &counts, y.len());
        let problems: Vec<BinaryProblem> = (0..n_classes)
            .map(|c| {
                let target: Vec<bool> = y
                    .iter()
                    .map(|labels| labels.contains(&(c as u32)))
                    .collect();
                let weights = class_weights.as_ref().map(|w| {
                    let (pos, neg) = w[c];
                    target.iter().map(|&t| if t { pos } else { neg }).collect()
                });
                BinaryProblem { y: target, weights }
            })
            .collect();
        self.one_vs_rest(x, &problems, link)
    }

    /// Fits one binary model per problem (one-vs-rest), in parallel; the result does not depend on the
    /// number of threads. svm's problems share their passes over the rows ([`svm::fit_many`]); the other
    /// algorithms fit a problem per task.
    fn one_vs_rest(
        &self,
        x: &CsrMatrix,
        problems: &[BinaryProblem],
        link: Link,
    ) -> Result<LinearModel> {
        if self.algorithm == Algorithm::Svm {
            let per_class = svm::fit_many_f32(x, problems, self, svm::Loss::SquaredHinge)?;
            return Ok(LinearModel::from_rows(per_class, link));
        }
        let per_class = problems
            .par_iter()
            .map(|problem| {
                let (y, weights) = (&problem.y[..], problem.weights.as_deref());
                match self.algorithm {
                    Algorithm::LogReg => logistic::fit_binary_weighted(x, y, weights, self),
                    Algorithm::Svm => unreachable!("svm fits its problems together, above"),
                    Algorithm::Nb => Ok(naive_bayes::fit_binary(x, y, self.alpha, false)),
                    Algorithm::Cnb => Ok(naive_bayes::fit_binary(x, y, self.alpha, true)),
                    Algorithm::LinfaLogistic => linfa_ref::fit_binary(x, y, self),
                }
            })
            .collect::<Result<Vec<Binary>>>()?;
        Ok(LinearModel::from_rows(per_class, link))
    }
}

/// Checks the inputs of one binary problem of an iterative solver (svm, logreg): `C` and `tol` finite and
/// positive, a target per row of `x` and, if given, a finite positive weight per row.
fn check_binary(
    x: &CsrMatrix,
    n_targets: usize,
    weights: Option<&[f64]>,
    p: &ModelParams,
) -> Result<()> {
    let positive = |v: f64| v.is_finite() && v > 0.0;
    if !positive(p.c) {
        return Err(Error::param("C", p.c, "a finite number > 0"));
    }
    if !positive(p.tol) {
        return Err(Error::param("tol", p.tol, "a finite number > 0"));
    }
    if x.nrows() != n_targets {
        return Err(Error::param(
            "targets",
            n_targets,
            format!("one target per row ({} rows)", x.nrows()),
        ));
    }
    if let Some(w) = weights {
        if w.len() != n_targets {
            return Err(Error::param(
                "row weights",
                w.len(),
                format!("one weight per row ({} rows)", x.nrows()),
            ));
        }
        if let Some(bad) = w.iter().find(|&&v| !positive(v)) {
            return Err(Error::param("row weight", bad, "a finite number > 0"));
        }
    }
    Ok(())
}

fn check_shapes(x: &CsrMatrix, n_targets: usize, n_classes: usize) -> Result<()> {
    if x.nrows() != n_targets {
        return Err(Error::param(
            "targets",
            n_targets,
            format!("one target per row ({} rows)", x.nrows()),
        ));
    }
    if x.nrows() == 0 {
        return Err(Error::param("rows", 0, "at least one training document"));
    }
    if n_classes < 2 {
        return Err(Error::param("classes", n_classes, "at least 2"));
    }
    Ok(())
}

fn check_labels<'a>(mut labels: impl Iterator<Item = &'a u32>, n_classes: usize) -> Result<()> {
    match labels.find(|&&k| k as usize >= n_classes) {
        Some(&k) => Err(Error::param(
            "class",
            k,
            format!("a class id below {n_classes}"),
        )),
        None => Ok(()),
    }
}

/// One binary problem of a one-vs-rest fit: a target per row (`true` is the positive class) and,
/// optionally, a weight per row that multiplies the row's loss term (its `C`).
#[derive(Clone, Debug)]
pub struct BinaryProblem {
    pub y: Vec<bool>,
    pub weights: Option<Vec<f64>>,
}

/// A binary model: weights over the features and an intercept. Positive decision values mean "in the class".
pub type Binary = (Vec<f64>, f64);

/// linfa's `Fit` for single-label targets: `ModelParams` on a sparse dataset gives a [`LinearModel`]. Classes
/// are named by their ids (`0`, `1`, …), also for explicit class weights.
impl linfa::traits::Fit<CsrMatrix, Array1<usize>, Error> for ModelParams {
    type Object = LinearModel;

    fn fit(&self, dataset: &linfa::DatasetBase<CsrMatrix, Array1<usize>>) -> Result<LinearModel> {
        let y: Vec<u32> = dataset.targets.iter().map(|&k| k as u32).collect();
        let n_classes = y.iter().max().map_or(0, |&m| m as usize + 1);
        let labels: Vec<String> = (0..n_classes).map(|k| k.to_string()).collect();
        self.fit_multiclass(&dataset.records, &y, &labels)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use linfa::prelude::*;
    use ndarray::array;

    fn names(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn algorithms_serialize_under_their_command_line_names() {
        for a in Algorithm::ALL {
            let json = serde_json::to_string(&a).unwrap();
            assert_eq!(json, format!("\"{}\"", a.name()));
            assert_eq!(serde_json::from_str::<Algorithm>(&json).unwrap(), a);
        }
    }

    #[test]
    fn balanced_class_weights_match_sklearn() {
        // scikit-learn 1.9.1: compute_class_weight("balanced", classes=[0, 1, 2], y=[0,0,0,0,0,1,1,1,2])
        // -> [0.6, 1.0, 3.0]
        let w = ClassWeight::Balanced
            .single_label(&names(&["a", "b", "c"]), &[5, 3, 1])
            .unwrap();
        for (got, want) in w.iter().zip([0.6, 1.0, 3.0]) {
            assert!((got - want).abs() < 1e-12, "{w:?}");
        }
        // A class without documents is not counted among the classes, and weighs 1.
        let w = ClassWeight::Balanced
            .single_label(&names(&["a", "b", "c"]), &[6, 0, 2])
            .unwrap();
        assert_eq!(w, [8.0 / 12.0, 1.0, 2.0]);
        assert_eq!(
            ClassWeight::None.single_label(&names(&["a", "b"]), &[1, 1]),
            None
        );
        // Multi-label: each label's binary problem is balanced on its own.
        let w = ClassWeight::Balanced
            .multi_label(&names(&["a", "b"]), &[2, 5], 10)
            .unwrap();
        assert_eq!(w, [(2.5, 10.0 / 16.0), (1.0, 1.0)]);
    }

    #[test]
    fn class_weights_parse_print_and_check() {
        let w: ClassWeight = "sports=2, health = 0.5".parse().unwrap();
        assert_eq!(
            w,
            ClassWeight::Explicit(vec![("sports".into(), 2.0), ("health".into(), 0.5)])
        );
        assert_eq!(w.to_string(), "sports=2,health=0.5");
        assert_eq!(
            w.single_label(&names(&["arts", "health", "sports"]), &[1, 1, 1]),
            Some(vec![1.0, 0.5, 2.0])
        );
        assert_eq!(
            w.multi_label(&names(&["sports", "arts"]), &[1, 1], 4),
            Some(vec![(2.0, 1.0), (1.0, 1.0)])
        );
        let eq: ClassWeight = "a=b=3".parse().unwrap();
        assert_eq!(eq, ClassWeight::Explicit(vec![("a=b".into(), 3.0)]));
        assert_eq!(
            "balanced".parse::<ClassWeight>().unwrap(),
            ClassWeight::Balanced
        );
        assert_eq!("none".parse::<ClassWeight>().unwrap(), ClassWeight::None);
        for bad in [
            "",
            "sports",
            "sports=",
            "=2",
            "sports=0",
            "sports=inf",
            "a=1,a=2",
            "a=1,",
        ] {
            assert!(bad.parse::<ClassWeight>().is_err(), "{bad:?}");
        }
        for algorithm in [Algorithm::Nb, Algorithm::Cnb, Algorithm::LinfaLogistic] {
            let p = ModelParams::new(algorithm).class_weight(ClassWeight::Balanced);
            assert!(p.check().is_err(), "{algorithm}");
        }
        let p = ModelParams::new(Algorithm::Svm).class_weight(ClassWeight::Balanced);
        assert!(p.check().is_ok());
    }

    #[test]
    fn balanced_weights_move_the_boundary_toward_the_frequent_class() {
        // Nine rows of class 0 around x = 0, one of class 1 at x = 1, and a probe at x = 0.6 between them:
        // unweighted, the frequent class claims the probe; balanced, the rare one does.
        let mut rows = vec![[0.0, 1.0]; 9];
        rows.push([1.0, 1.0]);
        let dense = ndarray::Array2::from_shape_fn((10, 2), |(i, j)| rows[i][j]);
        let x = CsrMatrix::from_dense(&dense);
        let y = [0u32, 0, 0, 0, 0, 0, 0, 0, 0, 1];
        let probe = CsrMatrix::from_dense(&array![[0.6, 1.0]]);
        for algorithm in [Algorithm::LogReg, Algorithm::Svm] {
            let plain = ModelParams::new(algorithm).c(1.0);
            let balanced = plain.clone().class_weight(ClassWeight::Balanced);
            let labels = names(&["frequent", "rare"]);
            let predict =
                |p: &ModelParams| p.fit_multiclass(&x, &y, &labels).unwrap().predict(&probe)[0];
            assert_eq!(predict(&plain), 0, "{algorithm}");
            assert_eq!(predict(&balanced), 1, "{algorithm}");
        }
    }

    #[test]
    fn models_fit_and_predict_through_linfa_traits() {
        let x = CsrMatrix::from_dense(&array![
            [1.0, 0.0, 0.0],
            [0.9, 0.1, 0.0],
            [0.0, 1.0, 0.0],
            [0.1, 0.9, 0.0],
            [0.0, 0.0, 1.0],
            [0.0, 0.1, 0.9]
        ]);
        let dataset = DatasetBase::new(x, array![0usize, 0, 1, 1, 2, 2]);
        for algorithm in Algorithm::ALL {
            let model = ModelParams::new(algorithm)
                .dense_features(3)
                .fit(&dataset)
                .unwrap();
            // Qualified: the inherent `LinearModel::predict` on a bare matrix would shadow the trait method.
            let predicted: Array1<usize> = Predict::predict(&model, &dataset);
            assert_eq!(predicted, dataset.targets, "{algorithm}");
        }
    }
}
