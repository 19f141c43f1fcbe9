//! Entropy-coder throughput, with models too simple to matter:
//! `coder/static-ans/{encode,decode}/skewed-1MB` (one fixed 256-symbol distribution, the
//! i.i.d. path) and `coder/range-binary/{encode,decode}/skewed-1MB` (8 adaptive binary
//! decisions per byte from an order-0 bit tree, the context-mixing path). Throughput is
//! in input bytes.

mod common;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kraft::model::{BitModel, Model, Predictor};

/// Order-0 bitwise model: one adaptive probability per node of the byte's binary tree.
struct Tree {
    p: [u32; 256],
    node: usize,
}

impl Tree {
    fn new() -> Box<Tree> {
        Box::new(Tree {
            p: [1 << 15; 256],
            node: 1,
        })
    }
}

impl BitModel for Tree {
    fn p1(&mut self) -> u32 {
        self.p[self.node]
    }
    fn update(&mut self, bit: bool) {
        let p = &mut self.p[self.node];
        if bit {
            *p += (65536 - *p) >> 5;
        } else {
            *p -= *p >> 5;
        }
        self.node = if self.node >= 128 {
            1
        } else {
            2 * self.node + usize::from(bit)
        };
    }
}

fn bench(c: &mut Criterion) {
    let data = common::generated("iid-skewed.bin", common::MB);
    let id = "skewed-1MB";

    // Static categorical (ANS): the model's table comes from the i.i.d. model's fit.
    let mut params = Vec::new();
    let Ok(Predictor::Static(table)) = kraft::model::Iid.fit(&data, &mut params) else {
        panic!("iid fits a static table");
    };
    let coded = kraft::coder::encode(Predictor::Static(table.clone()), &data).unwrap();
    let mut g = c.benchmark_group("coder/static-ans");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.bench_function(format!("encode/{id}"), |b| {
        b.iter(|| kraft::coder::encode(Predictor::Static(table.clone()), &data).unwrap())
    });
    g.bench_function(format!("decode/{id}"), |b| {
        b.iter(|| {
            let p = kraft::model::Iid.load(&params, data.len()).unwrap();
            let mut out = Vec::with_capacity(data.len());
            kraft::coder::decode(p, &coded.payload, data.len(), &mut out).unwrap();
            out
        })
    });
    g.finish();

    // Adaptive binary (range coder).
    let coded = kraft::coder::encode(Predictor::Bits(Tree::new()), &data).unwrap();
    let mut g = c.benchmark_group("coder/range-binary");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.bench_function(format!("encode/{id}"), |b| {
        b.iter(|| kraft::coder::encode(Predictor::Bits(Tree::new()), &data).unwrap())
    });
    g.bench_function(format!("decode/{id}"), |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(data.len());
            kraft::coder::decode(
                Predictor::Bits(Tree::new()),
                &coded.payload,
                data.len(),
                &mut out,
            )
            .unwrap();
            assert_eq!(out.len(), data.len());
            out
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = common::criterion(3);
    targets = bench
}
criterion_main!(benches);
