//! Throughput of the coders and the i.i.d. model, end to end.
//!
//! `compress/iid/<source>` and `decompress/iid/<source>` code 4 MiB through the public
//! API (one block, one thread); `coder/static_ans` isolates the entropy coder.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

/// Deterministic skewed i.i.d. bytes (about 5 bits/byte) and a text-like mix.
fn sources() -> Vec<(&'static str, Vec<u8>)> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let n = 4 << 20;
    let skewed: Vec<u8> = (0..n)
        .map(|_| {
            // Geometric-ish: count trailing zeros of a random word, folded into 0..=255.
            let r = next();
            ((r.trailing_zeros() * 8 + (r >> 58) as u32 % 8) % 256) as u8
        })
        .collect();
    let words: &[&[u8]] = &[
        b"the ",
        b"of ",
        b"entropy ",
        b"model ",
        b"and ",
        b"code ",
        b"bits\n",
    ];
    let mut text = Vec::with_capacity(n);
    while text.len() < n {
        text.extend_from_slice(words[(next() % words.len() as u64) as usize]);
    }
    text.truncate(n);
    vec![("skewed", skewed), ("text", text)]
}

fn bench(c: &mut Criterion) {
    let options = kraft::Options::new().model("iid").block_size(8 << 20);
    for (name, data) in sources() {
        let mut g = c.benchmark_group("compress/iid");
        g.throughput(Throughput::Bytes(data.len() as u64));
        g.sample_size(20);
        g.bench_with_input(BenchmarkId::from_parameter(name), &data, |b, d| {
            b.iter(|| kraft::compress(d, &options).unwrap())
        });
        g.finish();
        let packed = kraft::compress(&data, &options).unwrap();
        let mut g = c.benchmark_group("decompress/iid");
        g.throughput(Throughput::Bytes(data.len() as u64));
        g.sample_size(20);
        g.bench_with_input(BenchmarkId::from_parameter(name), &packed, |b, p| {
            b.iter(|| kraft::decompress(p).unwrap())
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
