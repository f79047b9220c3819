//! Article-level tone: an article's tone from the tones of its sentences.
//!
//! An article is split into sentences ([`article::split`], which also marks the headline and the lead), each
//! sentence is classified by the model's tone head, and the sentence scores are combined. For sentence i with role
//! weight rᵢ ([`ToneRule`]: headline, lead, body; sentences of fewer than [`MIN_WORDS`] words, such as a wire
//! service's sign-off, weigh 0) and tone probabilities p_esc, p_neu, p_rec:
//!
//! - eventfulness eᵢ = 1 − p_neu: how much the sentence reports an act of conflict or cooperation at all;
//! - direction sᵢ = p_rec − p_esc, in [−1, 1];
//! - weight wᵢ = rᵢ · eᵢ: neutral sentences count less, the headline and lead more;
//! - article **score** S = Σ wᵢ sᵢ / Σ wᵢ, in [−1, 1] (conciliatory minus escalatory; 0 when no weight);
//! - article **eventfulness** E = Σ wᵢ / Σ rᵢ, the weighted share of event content;
//! - **label**: `neutral` when E < [`ToneRule::min_eventfulness`], otherwise `reconciliation` when S > 0 and
//!   `escalation` when S ≤ 0;
//! - **evidence**: the three sentences with the largest wᵢ, in article order.
//!
//! The default weights and threshold were chosen on an article-level evaluation of real news
//! (`datasets/news/article-eval.jsonl`, see `examples/article_eval.rs`); a tone head that is not a
//! logistic regression gives margins, which are turned into probabilities with a softmax first.

use crate::article::{self, Role};
use crate::model::{Head, Model};
use crate::models::Link;
use serde::{Deserialize, Serialize};

/// Sentences with fewer words than this carry no weight (sign-offs like "REUTER", table fragments).
pub const MIN_WORDS: usize = 3;

/// The three tone labels a tone head must have.
pub const LABELS: [&str; 3] = ["escalation", "neutral", "reconciliation"];

/// How sentence tones combine into an article's tone (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ToneRule {
    pub headline_weight: f64,
    pub lead_weight: f64,
    pub body_weight: f64,
    /// Below this weighted share of event content, the article is neutral.
    pub min_eventfulness: f64,
}

impl Default for ToneRule {
    fn default() -> Self {
        ToneRule {
            headline_weight: 3.0,
            lead_weight: 2.0,
            body_weight: 1.0,
            min_eventfulness: 0.4,
        }
    }
}

impl ToneRule {
    /// rᵢ for a sentence of this role.
    pub fn role_weight(&self, role: Role) -> f64 {
        match role {
            Role::Headline => self.headline_weight,
            Role::Lead => self.lead_weight,
            Role::Body => self.body_weight,
        }
    }
}

/// One sentence's tone and its weight in the article.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SentenceTone {
    pub index: usize,
    pub role: Role,
    pub text: String,
    /// The sentence's own label.
    pub label: &'static str,
    /// Probabilities of escalation, neutral and reconciliation.
    pub probabilities: [f64; 3],
    /// rᵢ: the weight of the sentence's role (0 for sentences under [`MIN_WORDS`] words).
    pub role_weight: f64,
    /// wᵢ = rᵢ · (1 − p_neu).
    pub weight: f64,
}

/// An article's tone with the sentences behind it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ArticleTone {
    /// The tone head that scored the sentences (empty when built by [`combine`] alone).
    pub head: String,
    pub label: &'static str,
    /// Conciliatory minus escalatory, in [−1, 1].
    pub score: f64,
    /// Weighted share of event content, in [0, 1].
    pub eventfulness: f64,
    /// Indices into `sentences` of the (up to) three sentences that weighed most, in article order.
    pub evidence: Vec<usize>,
    pub sentences: Vec<SentenceTone>,
}

/// The model's tone head: the head named `tone` if it has the three tone labels, else the first head that does.
pub fn tone_head(model: &Model) -> Option<&Head> {
    let is_tone = |h: &&Head| !h.multi_label && h.labels.iter().map(String::as_str).eq(LABELS);
    let mut candidates = model.heads().iter().filter(is_tone);
    let first = candidates.next()?;
    Some(
        std::iter::once(first)
            .chain(candidates)
            .find(|h| h.name == "tone")
            .unwrap_or(first),
    )
}

/// The tone of `text` read as an article, by `head` (which must have the labels of [`LABELS`]).
pub fn article_tone(model: &Model, head: &Head, text: &str, rule: &ToneRule) -> ArticleTone {
    let sentences = article::split(text);
    let texts: Vec<&str> = sentences.iter().map(|s| s.text.as_str()).collect();
    let x = model.vectorize(&texts);
    let mut buf = vec![0.0; head.labels.len()];
    let tones: Vec<SentenceTone> = sentences
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            head.model.scores(x.row(i), &mut buf);
            if head.model.link() != Link::Softmax {
                softmax(&mut buf);
            }
            let p = [buf[0], buf[1], buf[2]];
            let label = LABELS[crate::models::linear::argmax(&p)];
            let words = s.text.split_whitespace().count();
            let r = if words < MIN_WORDS {
                0.0
            } else {
                rule.role_weight(s.role)
            };
            SentenceTone {
                index: s.index,
                role: s.role,
                text: s.text,
                label,
                probabilities: p,
                role_weight: r,
                weight: r * (1.0 - p[1]),
            }
        })
        .collect();
    ArticleTone {
        head: head.name.clone(),
        ..combine(tones, rule)
    }
}

/// Combines scored sentences into the article's tone (the formulas of the module docs).
pub fn combine(sentences: Vec<SentenceTone>, rule: &ToneRule) -> ArticleTone {
    let role_total: f64 = sentences.iter().map(|s| s.role_weight).sum();
    let weight_total: f64 = sentences.iter().map(|s| s.weight).sum();
    let directed: f64 = sentences
        .iter()
        .map(|s| s.weight * (s.probabilities[2] - s.probabilities[0]))
        .sum();
    let score = if weight_total > 0.0 {
        directed / weight_total
    } else {
        0.0
    };
    let eventfulness = if role_total > 0.0 {
        weight_total / role_total
    } else {
        0.0
    };
    let label = if eventfulness < rule.min_eventfulness {
        LABELS[1]
    } else if score > 0.0 {
        LABELS[2]
    } else {
        LABELS[0]
    };
    let mut order: Vec<usize> = (0..sentences.len())
        .filter(|&i| sentences[i].weight > 0.0)
        .collect();
    order.sort_by(|&a, &b| {
        sentences[b]
            .weight
            .total_cmp(&sentences[a].weight)
            .then(a.cmp(&b))
    });
    order.truncate(3);
    order.sort_unstable();
    ArticleTone {
        head: String::new(),
        label,
        score,
        eventfulness,
        evidence: order,
        sentences,
    }
}

fn softmax(values: &mut [f64]) {
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut sum = 0.0;
    for v in values.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    values.iter_mut().for_each(|v| *v /= sum);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sentence(index: usize, role: Role, p: [f64; 3]) -> SentenceTone {
        let rule = ToneRule::default();
        SentenceTone {
            index,
            role,
            text: "three words here".into(),
            label: LABELS[crate::models::linear::argmax(&p)],
            probabilities: p,
            role_weight: rule.role_weight(role),
            weight: rule.role_weight(role) * (1.0 - p[1]),
        }
    }

    #[test]
    fn an_escalatory_headline_outweighs_a_conciliatory_body_sentence() {
        let tone = combine(
            vec![
                sentence(0, Role::Headline, [0.8, 0.1, 0.1]),
                sentence(1, Role::Lead, [0.1, 0.8, 0.1]),
                sentence(2, Role::Body, [0.1, 0.2, 0.7]),
            ],
            &ToneRule::default(),
        );
        // weights: 3·0.9 = 2.7, 2·0.2 = 0.4, 1·0.8 = 0.8; directed: 2.7·(−0.7) + 0.4·0 + 0.8·0.6 = −1.41
        assert!((tone.score - (-1.41 / 3.9)).abs() < 1e-12);
        assert!((tone.eventfulness - 3.9 / 6.0).abs() < 1e-12);
        assert_eq!(tone.label, "escalation");
        assert_eq!(tone.evidence, vec![0, 1, 2]);
    }

    #[test]
    fn mostly_neutral_articles_are_neutral() {
        let mut sentences = vec![sentence(0, Role::Headline, [0.05, 0.9, 0.05])];
        sentences.extend((1..10).map(|i| sentence(i, Role::Body, [0.1, 0.85, 0.05])));
        sentences.push(sentence(10, Role::Body, [0.9, 0.05, 0.05]));
        let tone = combine(sentences, &ToneRule::default());
        assert_eq!(tone.label, "neutral");
        assert!(
            tone.score < 0.0,
            "the one event sentence still gives the direction"
        );
    }

    #[test]
    fn no_sentences_is_neutral_with_score_zero() {
        let tone = combine(Vec::new(), &ToneRule::default());
        assert_eq!(
            (tone.label, tone.score, tone.evidence.len()),
            ("neutral", 0.0, 0)
        );
    }
}
