//! Redundant data through cm, one thread: `compress/<level>/<input>` and
//! `decompress/<level>/<input>` for 64 MiB of zeros and for one random MiB repeated 64
//! times, at levels 1 and 6 (long-match runs, noise coded flat), and 8 MiB of random
//! bytes (noise coded flat; the block is then stored). Throughput is in original bytes.

mod common;

use criterion::{Criterion, criterion_group, criterion_main};

fn inputs() -> Vec<(&'static str, Vec<u8>)> {
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let mut noise = |n: usize| -> Vec<u8> {
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect()
    };
    let chunk = noise(1 << 20);
    let random = noise(8 << 20);
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
