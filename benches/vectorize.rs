//! Vectorizing: `TfidfParams::fit_transform` and `TfidfVectorizer::transform` with the command line's
//! default settings, over the synthetic corpus and, when present, real corpora. Each iteration asserts
//! the matrix shape and number of stored entries.

mod common;

use common::Corpus;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use detente::analyzer::Analyzer;

fn vectorize(c: &mut Criterion, corpus: &Corpus) {
    let texts = corpus.refs();
    let params = common::cli_tfidf();
    let fit = || {
        params
            .fit_transform(Analyzer::new(common::cli_analyzer()).unwrap(), &texts)
            .unwrap()
    };
    let (vectorizer, train) = fit();
    let (terms, nnz) = (vectorizer.vocabulary_size(), train.nnz());
    assert_eq!(train.nrows(), texts.len());

    let mut group = c.benchmark_group("vectorize");
    group.throughput(Throughput::Bytes(corpus.bytes()));
    group.bench_function(format!("fit_transform/{}", corpus.name), |b| {
        b.iter(|| {
            let (v, m) = fit();
            assert_eq!(
                (v.vocabulary_size(), m.nrows(), m.nnz()),
                (terms, texts.len(), nnz)
            );
        })
    });
    // Transforming the training texts gives the training matrix, hence the same count.
    group.bench_function(format!("transform/{}", corpus.name), |b| {
        b.iter(|| {
            let m = vectorizer.transform(&texts);
            assert_eq!((m.nrows(), m.nnz()), (texts.len(), nnz));
        })
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    vectorize(c, &common::synthetic(2000, 1));
    for corpus in [common::r8_train(), common::nyt_cap_train()]
        .into_iter()
        .flatten()
    {
        vectorize(c, &corpus);
    }
}

criterion_group! {
    name = vectorize_benches;
    config = Criterion::default().sample_size(10);
    targets = benches
}
criterion_main!(vectorize_benches);
