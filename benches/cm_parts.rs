//! cm's two hottest parts on their own (`kraft::model::cm::parts`):
//! `cm/lookups/l<level>/<input>` finds the table slots of every hashed context for both
//! nibbles of each byte (throughput in input bytes); `cm/mixers/l<level>` mixes and
//! learns bits with the level's two mixer layers (throughput in bits, 8 per byte
//! coded). The whole model's predict/update loop is `model/cm-<level>/…` in `models`.

mod common;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kraft::model::cm::parts;

fn bench(c: &mut Criterion) {
    let (name, text) = common::text_1mb();
    let quarter = &text[..text.len() / 4];
    let quarter_name = name.replace("1MB", "250KB");
    let mut g = c.benchmark_group("cm/lookups");
    g.throughput(Throughput::Bytes(quarter.len() as u64));
    for level in [1, 6, 9] {
        g.bench_function(format!("l{level}/{quarter_name}"), |b| {
            b.iter(|| parts::lookups(level, quarter))
        });
    }
    g.finish();

    // Inputs as the model gives them: stretched probabilities, mostly confident.
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let inputs: Vec<i32> = (0..4099).map(|_| (next() % 4095) as i32 - 2047).collect();
    let selects: Vec<usize> = (0..4097).map(|_| next() as usize).collect();
    let bits: Vec<bool> = (0..1 << 18).map(|_| next() % 5 == 0).collect();
    let mut g = c.benchmark_group("cm/mixers");
    g.throughput(Throughput::Elements(bits.len() as u64));
    for level in [1, 6, 9] {
        g.bench_function(format!("l{level}"), |b| {
            b.iter(|| parts::mixers(level, &inputs, &selects, &bits))
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = common::criterion(3);
    targets = bench
}
criterion_main!(benches);
