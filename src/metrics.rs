//! Evaluation metrics for single-label and multi-label heads.
//!
//! Definitions (as in scikit-learn's `classification_report`): for a class c with tp, fp, fn,
//! precision = tp / (tp + fp), recall = tp / (tp + fn), F1 = 2·p·r / (p + r), each 0 when its denominator is 0.
//! Macro-F1 averages F1 over classes that occur in the truth or the predictions; weighted F1 weights each
//! class's F1 by its support. Micro-F1 (multi-label) pools tp, fp and fn over all classes first.

use serde::Serialize;

/// Precision, recall, F1 and support of one class.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClassScores {
    pub label: String,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Number of documents whose truth has this class.
    pub support: usize,
}

/// The evaluation of a single-label head.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SingleLabelReport {
    pub documents: usize,
    pub accuracy: f64,
    pub macro_f1: f64,
    pub weighted_f1: f64,
    pub classes: Vec<ClassScores>,
    /// `confusion[t][p]`: documents of true class t predicted as p, in the order of `classes`.
    pub confusion: Vec<Vec<usize>>,
}

/// The evaluation of a multi-label head.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MultiLabelReport {
    pub documents: usize,
    pub micro_precision: f64,
    pub micro_recall: f64,
    pub micro_f1: f64,
    pub macro_f1: f64,
    /// Share of documents whose predicted label set equals the true one.
    pub subset_accuracy: f64,
    pub classes: Vec<ClassScores>,
}

fn ratio(num: usize, den: usize) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

fn scores(label: &str, tp: usize, fp: usize, fn_: usize) -> ClassScores {
    let precision = ratio(tp, tp + fp);
    let recall = ratio(tp, tp + fn_);
    let f1 = if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    };
    ClassScores {
        label: label.to_string(),
        precision,
        recall,
        f1,
        support: tp + fn_,
    }
}

/// Mean F1 over the classes that were true or predicted at least once.
fn macro_f1(classes: &[ClassScores], predicted: &[usize]) -> f64 {
    let present: Vec<f64> = classes
        .iter()
        .zip(predicted)
        .filter(|(c, p)| c.support > 0 || **p > 0)
        .map(|(c, _)| c.f1)
        .collect();
    if present.is_empty() {
        0.0
    } else {
        present.iter().sum::<f64>() / present.len() as f64
    }
}

/// Scores single-label predictions. `truth` and `predicted` hold indices into `labels`.
pub fn single_label(labels: &[String], truth: &[usize], predicted: &[usize]) -> SingleLabelReport {
    assert_eq!(truth.len(), predicted.len(), "one prediction per document");
    let k = labels.len();
    let mut confusion = vec![vec![0usize; k]; k];
    for (&t, &p) in truth.iter().zip(predicted) {
        confusion[t][p] += 1;
    }
    let correct: usize = (0..k).map(|c| confusion[c][c]).sum();
    let predicted_count: Vec<usize> = (0..k)
        .map(|c| confusion.iter().map(|row| row[c]).sum())
        .collect();
    let classes: Vec<ClassScores> = (0..k)
        .map(|c| {
            let tp = confusion[c][c];
            let support: usize = confusion[c].iter().sum();
            scores(&labels[c], tp, predicted_count[c] - tp, support - tp)
        })
        .collect();
    let n = truth.len();
    let weighted_f1 =
        classes.iter().map(|c| c.f1 * c.support as f64).sum::<f64>() / n.max(1) as f64;
    SingleLabelReport {
        documents: n,
        accuracy: ratio(correct, n),
        macro_f1: macro_f1(&classes, &predicted_count),
        weighted_f1,
        classes,
        confusion,
    }
}

/// Scores multi-label predictions: each document's true and predicted label sets, as indices into `labels`.
pub fn multi_label(
    labels: &[String],
    truth: &[Vec<usize>],
    predicted: &[Vec<usize>],
) -> MultiLabelReport {
    assert_eq!(truth.len(), predicted.len(), "one prediction per document");
    let k = labels.len();
    let (mut tp, mut fp, mut fn_) = (vec![0usize; k], vec![0usize; k], vec![0usize; k]);
    let mut exact = 0;
    for (t, p) in truth.iter().zip(predicted) {
        for &c in p {
            if t.contains(&c) {
                tp[c] += 1;
            } else {
                fp[c] += 1;
            }
        }
        for &c in t {
            if !p.contains(&c) {
                fn_[c] += 1;
            }
        }
        let mut ts = t.clone();
        let mut ps = p.clone();
        ts.sort_unstable();
        ps.sort_unstable();
        if ts == ps {
            exact += 1;
        }
    }
    let classes: Vec<ClassScores> = (0..k)
        .map(|c| scores(&labels[c], tp[c], fp[c], fn_[c]))
        .collect();
    let predicted_count: Vec<usize> = (0..k).map(|c| tp[c] + fp[c]).collect();
    let pooled = scores("", tp.iter().sum(), fp.iter().sum(), fn_.iter().sum());
    MultiLabelReport {
        documents: truth.len(),
        micro_precision: pooled.precision,
        micro_recall: pooled.recall,
        micro_f1: pooled.f1,
        macro_f1: macro_f1(&classes, &predicted_count),
        subset_accuracy: ratio(exact, truth.len()),
        classes,
    }
}

/// Support-weighted mean F1 over `classes` (scikit-learn's `average="weighted"`, also for multi-label);
/// 0 without support.
pub fn weighted_f1(classes: &[ClassScores]) -> f64 {
    let support: usize = classes.iter().map(|c| c.support).sum();
    classes.iter().map(|c| c.f1 * c.support as f64).sum::<f64>() / support.max(1) as f64
}

/// The mean of `values` and their sample standard deviation (denominator n − 1, the spread one would
/// expect between repetitions; 0 for fewer than two values).
pub fn mean_std(values: &[f64]) -> (f64, f64) {
    let n = values.len();
    if n == 0 {
        return (0.0, 0.0);
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return (mean, 0.0);
    }
    let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1) as f64;
    (mean, var.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| s.to_string()).collect()
    }

    // Expected values computed with scikit-learn 1.9.1:
    // y_true = [0, 0, 1, 1, 2, 2], y_pred = [0, 1, 1, 1, 2, 0]
    // accuracy_score -> 0.6666666666666666
    // f1_score(average=None) -> [0.5, 0.8, 0.6666666666666666]
    // f1_score(average="macro") -> 0.6555555555555556; average="weighted" -> 0.6555555555555556
    #[test]
    fn single_label_matches_scikit_learn() {
        let r = single_label(
            &names(&["a", "b", "c"]),
            &[0, 0, 1, 1, 2, 2],
            &[0, 1, 1, 1, 2, 0],
        );
        assert!((r.accuracy - 2.0 / 3.0).abs() < 1e-12);
        let f1: Vec<f64> = r.classes.iter().map(|c| c.f1).collect();
        for (got, want) in f1.iter().zip([0.5, 0.8, 0.6666666666666666]) {
            assert!((got - want).abs() < 1e-12);
        }
        assert!((r.macro_f1 - 0.6555555555555556).abs() < 1e-12);
        assert!((r.weighted_f1 - 0.6555555555555556).abs() < 1e-12);
        assert_eq!(
            r.confusion,
            vec![vec![1, 1, 0], vec![0, 2, 0], vec![1, 0, 1]]
        );
    }

    // scikit-learn 1.9.1, with MultiLabelBinarizer over classes [0, 1, 2]:
    // truth [[0], [0, 1], [], [2]], predicted [[0], [1], [1], []]
    // f1_score(average="micro") -> 0.5714285714285714, precision 0.6666666666666666, recall 0.5
    #[test]
    fn multi_label_micro_f1_matches_scikit_learn() {
        let truth = vec![vec![0], vec![0, 1], vec![], vec![2]];
        let predicted = vec![vec![0], vec![1], vec![1], vec![]];
        let r = multi_label(&names(&["a", "b", "c"]), &truth, &predicted);
        assert!((r.micro_f1 - 0.5714285714285714).abs() < 1e-12);
        assert!((r.micro_precision - 2.0 / 3.0).abs() < 1e-12);
        assert!((r.micro_recall - 0.5).abs() < 1e-12);
        assert_eq!(r.subset_accuracy, 0.25);
        // f1_score(average="weighted") -> 0.5 (F1 per class 2/3, 2/3, 0; supports 2, 1, 1)
        assert!((weighted_f1(&r.classes) - 0.5).abs() < 1e-12);
    }

    // numpy: np.mean([0.8, 0.85, 0.9]) = 0.85, np.std([0.8, 0.85, 0.9], ddof=1) = 0.05
    #[test]
    fn mean_and_sample_standard_deviation() {
        let (mean, std) = mean_std(&[0.8, 0.85, 0.9]);
        assert!((mean - 0.85).abs() < 1e-12);
        assert!((std - 0.05).abs() < 1e-12);
        assert_eq!(mean_std(&[0.7]), (0.7, 0.0));
        assert_eq!(mean_std(&[]), (0.0, 0.0));
    }
}
