//! Whole-stream throughput through the public API, one thread:
//! `compress/<model>/<input>` and `decompress/<model>/<input>` for every built-in model
//! at levels 1 and 6 (`cm-l1`, `cm-l6`, `iid`) on a 1 MB text slice (the start of
//! bible.txt when ../shared/corpora is there, else generated text). Throughput is in
//! original bytes.

mod common;

use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn bench(c: &mut Criterion) {
    let (name, text) = common::text_1mb();
    for (label, options) in common::models() {
        let packed = kraft::compress(&text, &options).unwrap();
        assert_eq!(kraft::decompress(&packed).unwrap(), text);
        let mut g = c.benchmark_group(format!("compress/{label}"));
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| kraft::compress(&text, &options).unwrap())
        });
        g.finish();
        let mut g = c.benchmark_group(format!("decompress/{label}"));
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_function(name, |b| b.iter(|| kraft::decompress(&packed).unwrap()));
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    targets = bench
}
criterion_main!(benches);
