//! Tokenizing: `Analyzer::for_each_term` with the command line's default analysis, over the synthetic
//! corpus and, when present, real corpora. Each iteration asserts the number of terms produced.

mod common;

use common::Corpus;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use detente::analyzer::{Analyzer, Scratch};
use std::hint::black_box;

fn tokenize(c: &mut Criterion, corpus: &Corpus, expected_terms: usize) {
    let analyzer = Analyzer::new(common::cli_analyzer()).unwrap();
    let mut group = c.benchmark_group("analyzer");
    group.throughput(Throughput::Bytes(corpus.bytes()));
    group.bench_function(&corpus.name, |b| {
        let mut scratch = Scratch::default();
        b.iter(|| {
            let mut terms = 0usize;
            for text in &corpus.texts {
                analyzer.for_each_term(text, &mut scratch, |t| {
                    black_box(t);
                    terms += 1;
                });
            }
            assert_eq!(terms, expected_terms, "{}", corpus.name);
        })
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    let synthetic = common::synthetic(2000, 1);
    // Every generated word is one token: n words give n unigrams and n - 1 bigrams.
    let expected: usize = synthetic
        .words
        .as_ref()
        .unwrap()
        .iter()
        .map(|&n| 2 * n - 1)
        .sum();
    tokenize(c, &synthetic, expected);

    for corpus in [common::r8_train(), common::nyt_cap_train()]
        .into_iter()
        .flatten()
    {
        // Counted once through the allocating `terms`, outside the measured loop.
        let analyzer = Analyzer::new(common::cli_analyzer()).unwrap();
        let expected = corpus.texts.iter().map(|t| analyzer.terms(t).len()).sum();
        tokenize(c, &corpus, expected);
    }
}

criterion_group! {
    name = analyzer;
    config = Criterion::default().sample_size(10);
    targets = benches
}
criterion_main!(analyzer);
