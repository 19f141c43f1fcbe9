//! Each built-in model's own work, without the coder: `model/<model>/predict-update/<input>`
//! runs an adaptive model's predictions and updates over the input (8 per byte for a
//! bitwise model), as the coder would; `model/<model>/fit/<input>` times a semi-static
//! model's fit (its only per-byte work). Throughput is in input bytes.

mod common;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use kraft::model::Predictor;

/// Feed `data` through a fitted predictor's predict/update loop; returns a checksum of
/// the predictions so nothing is optimised away.
fn drive(p: Predictor, data: &[u8]) -> u64 {
    let mut sum = 0u64;
    match p {
        Predictor::Bits(mut m) => {
            for &byte in data {
                for i in (0..8).rev() {
                    sum = sum.wrapping_add(u64::from(m.p1()));
                    m.update((byte >> i) & 1 == 1);
                }
            }
        }
        Predictor::Bytes(mut m) => {
            for &byte in data {
                sum = sum.wrapping_add(u64::from(m.predict().frequency(byte)));
                m.update(byte);
            }
        }
        _ => {}
    }
    sum
}

fn bench(c: &mut Criterion) {
    let (name, text) = common::text_1mb();
    // Adaptive models are slow (context mixing: well under 1 MB/s): a quarter of the slice.
    let quarter = &text[..text.len() / 4];
    let quarter_name = name.replace("1MB", "250KB");
    for (label, options) in common::models() {
        let model = options.build_model().unwrap();
        let mut params = Vec::new();
        let kind = model.fit(quarter, &mut params).unwrap();
        let mut g = c.benchmark_group(format!("model/{label}"));
        match kind {
            Predictor::Bits(_) | Predictor::Bytes(_) => {
                g.throughput(Throughput::Bytes(quarter.len() as u64));
                g.bench_function(format!("predict-update/{quarter_name}"), |b| {
                    b.iter_batched(
                        || {
                            let mut params = Vec::new();
                            model.fit(quarter, &mut params).unwrap()
                        },
                        |p| drive(p, quarter),
                        BatchSize::PerIteration,
                    )
                });
            }
            _ => {
                g.throughput(Throughput::Bytes(text.len() as u64));
                g.bench_function(format!("fit/{name}"), |b| {
                    b.iter(|| {
                        let mut params = Vec::new();
                        model.fit(&text, &mut params).unwrap()
                    })
                });
            }
        }
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = common::criterion(3);
    targets = bench
}
criterion_main!(benches);
