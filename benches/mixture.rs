//! The mixture model: EM fitting and bits-back coding throughput on the generated
//! mixture source (1 MiB of 8-byte segments from four overlapping components).
//!
//! `mixture/fit` runs the fit alone (k-means++ start, EM, quantization, the naive
//! tail); `compress/mixture` and `decompress/mixture` go through the public API with a
//! fixed M = 4 (`…-auto` also chooses M), bits-back on.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kraft::model::{Mixture, Model, Segment};

fn source() -> Vec<u8> {
    kraft::corpus::generate_all(kraft::corpus::DEFAULT_SEED, 1 << 20)
        .into_iter()
        .find(|g| g.name == "mixture.txt")
        .expect("the suite has a mixture source")
        .data
}

fn bench(c: &mut Criterion) {
    let data = source();
    let bytes = Throughput::Bytes(data.len() as u64);
    let mut g = c.benchmark_group("mixture");
    g.throughput(bytes.clone());
    g.sample_size(10);
    let model = Mixture::new()
        .segment(Segment::Fixed(8))
        .components(Some(4));
    g.bench_function("fit/m4", |b| {
        b.iter(|| {
            let mut params = Vec::new();
            model.fit(&data, &mut params).unwrap();
            params.len()
        })
    });
    g.finish();
    for (name, components) in [("m4", Some(4)), ("auto", None)] {
        let options = kraft::Options::new().model(
            Mixture::new()
                .segment(Segment::Fixed(8))
                .components(components),
        );
        let mut g = c.benchmark_group("compress/mixture");
        g.throughput(bytes.clone());
        g.sample_size(10);
        g.bench_function(name, |b| {
            b.iter(|| kraft::compress(&data, &options).unwrap())
        });
        g.finish();
        let packed = kraft::compress(&data, &options).unwrap();
        let mut g = c.benchmark_group("decompress/mixture");
        g.throughput(bytes.clone());
        g.sample_size(10);
        g.bench_function(name, |b| b.iter(|| kraft::decompress(&packed).unwrap()));
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
