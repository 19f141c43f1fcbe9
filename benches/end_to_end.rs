//! Whole-stream throughput through the public API, one thread:
//! `compress/<model>/<input>` and `decompress/<model>/<input>` for every built-in model
//! at levels 1 and 6 (`cm-l1`, `cm-l6`, `iid`) on a 1 MB text slice (the start of
//! bible.txt when ../shared/corpora is there, else generated text). Throughput is in
//! original bytes.

mod common;

use criterion::{Criterion, criterion_group, criterion_main};

fn bench(c: &mut Criterion) {
    let (name, text) = common::text_1mb();
    for (label, options) in common::models() {
        common::compress_and_decompress(c, &label, name, &text, &options);
    }
}

criterion_group! {
    name = benches;
    config = common::criterion(5);
    targets = bench
}
criterion_main!(benches);
