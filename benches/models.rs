//! Training each algorithm on TF-IDF rows, and predicting with a trained model (vectorizing included),
//! over the synthetic corpus and, when present, R8. linfa-logistic, which densifies its input, trains on
//! a smaller, capped problem so that it finishes. Each iteration asserts the model's or prediction's
//! shape.

mod common;

use common::Corpus;
use criterion::{Criterion, criterion_group, criterion_main};
use detente::analyzer::Analyzer;
use detente::io::LabelValue;
use detente::model::{self, Model, TrainOptions};
use detente::models::{Algorithm, ModelParams};
use detente::sparse::CsrMatrix;

/// Documents and dense columns of the linfa-logistic problem.
const LINFA_DOCS: usize = 600;
const LINFA_FEATURES: usize = 300;

fn train(c: &mut Criterion, corpus: &Corpus) {
    let fit = |corpus: &Corpus| -> CsrMatrix {
        common::cli_tfidf()
            .fit_transform(
                Analyzer::new(common::cli_analyzer()).unwrap(),
                &corpus.refs(),
            )
            .unwrap()
            .1
    };
    let x = fit(corpus);
    let small = corpus.head(LINFA_DOCS);
    let x_small = fit(&small);

    let mut group = c.benchmark_group("train");
    for algorithm in Algorithm::ALL {
        let (params, x, data) = match algorithm {
            Algorithm::LinfaLogistic => (
                ModelParams::new(algorithm).dense_features(LINFA_FEATURES),
                &x_small,
                &small,
            ),
            _ => (ModelParams::new(algorithm), &x, corpus),
        };
        let names: Vec<String> = (0..data.n_classes).map(|k| format!("class{k}")).collect();
        group.bench_function(format!("{algorithm}/{}", data.name), |b| {
            b.iter(|| {
                let m = params.fit_multiclass(x, &data.labels, &names).unwrap();
                assert_eq!((m.n_outputs(), m.n_features()), (data.n_classes, x.ncols()));
            })
        });
    }
    group.finish();
}

fn predict(c: &mut Criterion, train: &Corpus, test: &Corpus) {
    let corpus = model::Corpus {
        texts: train.texts.clone(),
        labels: train
            .labels
            .iter()
            .map(|l| vec![LabelValue::One(format!("class{l}"))])
            .collect(),
        label_fields: vec!["label".into()],
        sources: Vec::new(),
    };
    let options = TrainOptions {
        analyzer: common::cli_analyzer(),
        tfidf: common::cli_tfidf(),
        ..TrainOptions::new(ModelParams::new(Algorithm::Svm))
    };
    let model = Model::train(&corpus, &options).unwrap();
    let texts = test.refs();
    let mut group = c.benchmark_group("predict");
    group.throughput(criterion::Throughput::Bytes(test.bytes()));
    group.bench_function(format!("svm/{}", test.name), |b| {
        b.iter(|| {
            let predictions = model.predict(&texts, 1);
            assert_eq!(predictions.len(), texts.len());
            assert!(predictions.iter().all(|p| p[0].labels.len() == 1));
        })
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    let synthetic = common::synthetic(2000, 1);
    train(c, &synthetic);
    predict(c, &synthetic, &common::synthetic(1000, 2));
    if let Some(r8) = common::r8_train() {
        train(c, &r8);
        let (fit, held_out) = (r8.head(4000), {
            let mut rest = r8.head(r8.texts.len());
            rest.texts.drain(..4000);
            rest.labels.drain(..4000);
            rest.name = "r8-train[4000..]".into();
            rest
        });
        predict(c, &fit, &held_out);
    }
}

criterion_group! {
    name = models;
    config = Criterion::default().sample_size(10);
    targets = benches
}
criterion_main!(models);
