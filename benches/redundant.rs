//! Redundant data through cm, one thread: `compress/<level>/<input>` and
//! `decompress/<level>/<input>` for 64 MiB of zeros and for one random MiB repeated 64
//! times, at levels 1 and 6 (long-match runs, noise coded flat), and 8 MiB of random
//! bytes (noise coded flat; the block is then stored). Throughput is in original bytes.

mod common;
/// The tests' deterministic data (`noise`).
#[path = "../tests/common/mod.rs"]
mod data;

use criterion::{Criterion, criterion_group, criterion_main};

fn inputs() -> Vec<(&'static str, Vec<u8>)> {
    let chunk = data::noise(1 << 20, 0x2545_f491_4f6c_dd1d);
    let random = data::noise(8 << 20, 0x9e37_79b9_7f4a_7c15);
    vec![
        ("zeros-64MiB", vec![0; 64 << 20]),
        ("random-1MiB-x64", chunk.repeat(64)),
        ("random-8MiB", random),
    ]
}

fn bench(c: &mut Criterion) {
    for (name, data) in inputs() {
        for level in [1u8, 6] {
            let options = kraft::Options::new().level(level);
            common::compress_and_decompress(c, &format!("cm-l{level}"), name, &data, &options);
        }
    }
}

criterion_group! {
    name = benches;
    config = common::criterion(20);
    targets = bench
}
criterion_main!(benches);
