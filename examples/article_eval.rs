//! Article-level tone evaluation on real news (`datasets/news/article-eval.jsonl`).
//!
//! ```sh
//! cargo run --release --example article_eval -- MODEL [EVAL_JSONL] [DATA_ROOT]
//! ```
//!
//! Reads each annotated Reuters-21578 article by id from DATA_ROOT (default `../shared/corpora`), scores its
//! sentences with the model's tone head once, and compares ways of combining them: the whole text classified at
//! once, the headline alone, the plain mean of sentence probabilities, and the weighted rule of `detente::tone`
//! over a grid of role weights and thresholds. The grid's choice is evaluated by 2-fold cross-validation over the
//! articles (choose on one half, score on the other), so its figure is not tuned on the articles it reports.

use anyhow::{Context, Result, bail};
use detente::model::Model;
use detente::tone::{self, LABELS, SentenceTone, ToneRule};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

struct Article {
    tone: usize,
    whole: usize,
    sentences: Vec<SentenceTone>,
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let model_path = args
        .first()
        .context("usage: article_eval MODEL [EVAL_JSONL] [DATA_ROOT]")?;
    let eval_path = args
        .get(1)
        .map_or("datasets/news/article-eval.jsonl", String::as_str);
    let root = PathBuf::from(args.get(2).map_or("../shared/corpora", String::as_str));
    let model = Model::load(model_path.as_ref())?;
    let head = tone::tone_head(&model).context("the model has no tone head")?;
    let h = model
        .heads()
        .iter()
        .position(|x| x.name == head.name)
        .unwrap_or(0);

    let wanted: Vec<Value> = std::fs::read_to_string(eval_path)?
        .lines()
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    let ids: HashSet<(String, i64)> = wanted
        .iter()
        .map(|w| {
            (
                w["split"].as_str().unwrap_or("").to_string(),
                w["id"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    let mut texts = HashMap::new();
    for split in ["train", "test"] {
        let path = root.join("reuters21578").join(format!("{split}.jsonl"));
        let content = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        for line in content.lines() {
            let row: Value = serde_json::from_str(line)?;
            let key = (split.to_string(), row["id"].as_i64().unwrap_or(-1));
            if ids.contains(&key) {
                texts.insert(key, row["text"].as_str().unwrap_or("").to_string());
            }
        }
    }

    let flat = ToneRule {
        headline_weight: 1.0,
        lead_weight: 1.0,
        body_weight: 1.0,
        min_eventfulness: 0.0,
    };
    let mut articles = Vec::new();
    for w in &wanted {
        let key = (
            w["split"].as_str().unwrap_or("").to_string(),
            w["id"].as_i64().unwrap_or(-1),
        );
        let Some(text) = texts.get(&key) else {
            bail!("article {key:?} not found under {}", root.display())
        };
        let Some(t) = LABELS.iter().position(|l| Some(*l) == w["tone"].as_str()) else {
            bail!("bad tone in {w}")
        };
        let whole = &model.predict(&[text.as_str()], 1)[0][h].labels[0].label;
        let whole = LABELS.iter().position(|l| l == whole).unwrap_or(1);
        let sentences = tone::article_tone(&model, head, text, &flat).sentences;
        articles.push(Article {
            tone: t,
            whole,
            sentences,
        });
    }

    println!(
        "{} articles ({} escalation, {} neutral, {} reconciliation)\n",
        articles.len(),
        count(&articles, 0),
        count(&articles, 1),
        count(&articles, 2)
    );
    println!("{:<52} {:>8} {:>9}", "method", "accuracy", "macro-F1");
    let report = |name: &str, predicted: &[usize]| {
        let (acc, f1) = scores(&articles, predicted);
        println!("{name:<52} {acc:>8.3} {f1:>9.3}");
    };
    report(
        "whole text classified at once",
        &articles.iter().map(|a| a.whole).collect::<Vec<_>>(),
    );
    report(
        "headline (first sentence) only",
        &articles
            .iter()
            .map(|a| a.sentences.first().map_or(1, |s| argmax(&s.probabilities)))
            .collect::<Vec<_>>(),
    );
    report(
        "mean of sentence probabilities",
        &articles
            .iter()
            .map(|a| {
                let mut p = [0.0; 3];
                a.sentences
                    .iter()
                    .for_each(|s| (0..3).for_each(|k| p[k] += s.probabilities[k]));
                argmax(&p)
            })
            .collect::<Vec<_>>(),
    );

    let grid = rule_grid();
    let default = ToneRule::default();
    report(
        &format!("weighted rule, default {}", describe(&default)),
        &predict(&articles, &default),
    );
    // 2-fold cross-validation of choosing the rule from the grid.
    let folds: Vec<usize> = (0..articles.len()).map(|i| i % 2).collect();
    let mut predicted = vec![1; articles.len()];
    for fold in 0..2 {
        let train: Vec<usize> = (0..articles.len()).filter(|&i| folds[i] != fold).collect();
        let best = grid
            .iter()
            .max_by(|a, b| {
                let fa = scores_on(&articles, &predict(&articles, a), &train).1;
                let fb = scores_on(&articles, &predict(&articles, b), &train).1;
                fa.total_cmp(&fb)
            })
            .copied()
            .unwrap_or_default();
        println!("  fold {fold}: chose {}", describe(&best));
        let p = predict(&articles, &best);
        (0..articles.len())
            .filter(|&i| folds[i] == fold)
            .for_each(|i| predicted[i] = p[i]);
    }
    report("weighted rule, chosen by 2-fold CV", &predicted);
    let best_all = grid
        .iter()
        .max_by(|a, b| {
            scores(&articles, &predict(&articles, a))
                .1
                .total_cmp(&scores(&articles, &predict(&articles, b)).1)
        })
        .copied()
        .unwrap_or_default();
    report(
        &format!(
            "weighted rule, best on all (optimistic) {}",
            describe(&best_all)
        ),
        &predict(&articles, &best_all),
    );

    let p = predict(&articles, &ToneRule::default());
    println!(
        "\nconfusion of the default rule (rows: annotated, columns: predicted; esc, neu, rec)"
    );
    for (t, name) in LABELS.iter().enumerate() {
        let row: Vec<usize> = (0..3)
            .map(|k| {
                (0..articles.len())
                    .filter(|&i| articles[i].tone == t && p[i] == k)
                    .count()
            })
            .collect();
        println!("  {name:<15} {:>3} {:>3} {:>3}", row[0], row[1], row[2]);
    }
    Ok(())
}

fn rule_grid() -> Vec<ToneRule> {
    let mut grid = Vec::new();
    for (h, l) in [(1.0, 1.0), (2.0, 1.5), (3.0, 2.0), (5.0, 3.0)] {
        for e in [0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5] {
            grid.push(ToneRule {
                headline_weight: h,
                lead_weight: l,
                body_weight: 1.0,
                min_eventfulness: e,
            });
        }
    }
    grid
}

fn describe(r: &ToneRule) -> String {
    format!(
        "(h {}, l {}, e {})",
        r.headline_weight, r.lead_weight, r.min_eventfulness
    )
}

fn predict(articles: &[Article], rule: &ToneRule) -> Vec<usize> {
    articles
        .iter()
        .map(|a| {
            // Re-weigh the scored sentences under `rule`; sentences too short to count stay at 0.
            let sentences = a
                .sentences
                .iter()
                .map(|s| {
                    let r = if s.role_weight == 0.0 {
                        0.0
                    } else {
                        rule.role_weight(s.role)
                    };
                    SentenceTone {
                        role_weight: r,
                        weight: r * (1.0 - s.probabilities[1]),
                        ..s.clone()
                    }
                })
                .collect();
            let label = tone::combine(sentences, rule).label;
            LABELS.iter().position(|l| *l == label).unwrap_or(1)
        })
        .collect()
}

fn argmax(p: &[f64; 3]) -> usize {
    (0..3).fold(0, |b, k| if p[k] > p[b] { k } else { b })
}

fn count(articles: &[Article], t: usize) -> usize {
    articles.iter().filter(|a| a.tone == t).count()
}

fn scores(articles: &[Article], predicted: &[usize]) -> (f64, f64) {
    scores_on(
        articles,
        predicted,
        &(0..articles.len()).collect::<Vec<_>>(),
    )
}

/// Accuracy and macro-F1 over the articles in `subset`.
fn scores_on(articles: &[Article], predicted: &[usize], subset: &[usize]) -> (f64, f64) {
    let correct = subset
        .iter()
        .filter(|&&i| articles[i].tone == predicted[i])
        .count();
    let f1 = (0..3)
        .map(|k| {
            let tp = subset
                .iter()
                .filter(|&&i| articles[i].tone == k && predicted[i] == k)
                .count() as f64;
            let fp = subset
                .iter()
                .filter(|&&i| articles[i].tone != k && predicted[i] == k)
                .count() as f64;
            let fn_ = subset
                .iter()
                .filter(|&&i| articles[i].tone == k && predicted[i] != k)
                .count() as f64;
            if tp == 0.0 {
                0.0
            } else {
                2.0 * tp / (2.0 * tp + fp + fn_)
            }
        })
        .sum::<f64>()
        / 3.0;
    (correct as f64 / subset.len().max(1) as f64, f1)
}
