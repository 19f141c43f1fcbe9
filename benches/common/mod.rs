//! Inputs shared by the benches (a 1 MB text slice, a skewed i.i.d. megabyte) and the
//! compress and decompress pair of groups every whole-stream bench runs.

// Each bench uses some of these.
#![allow(dead_code)]

use std::path::Path;
use std::time::Duration;

/// The benches' criterion settings: 10 samples (cm is slow), 1 s of warm-up, and
/// `seconds` of measuring.
pub fn criterion(seconds: u64) -> criterion::Criterion {
    criterion::Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(seconds))
}

/// One megabyte (10^6 bytes).
pub const MB: usize = 1_000_000;

/// A 1 MB text slice and its name in bench ids: the start of `bible.txt` from the
/// public corpora when `../shared/corpora` is there (`text-1MB`), else the generated
/// text-like source (`gentext-1MB`).
pub fn text_1mb() -> (&'static str, Vec<u8>) {
    let bible = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora/large/bible.txt");
    match std::fs::read(&bible) {
        Ok(mut data) if data.len() >= MB => {
            data.truncate(MB);
            ("text-1MB", data)
        }
        _ => {
            eprintln!(
                "{} not found: benching the generated text-like source instead",
                bible.display()
            );
            let mut data = generated("text-like.txt", MB + 4096);
            data.truncate(MB);
            ("gentext-1MB", data)
        }
    }
}

/// A generated source of `size` bytes (about 5.05 bits/byte for `iid-skewed.bin`).
pub fn generated(name: &str, size: usize) -> Vec<u8> {
    kraft::corpus::generate_all(kraft::corpus::DEFAULT_SEED, size)
        .into_iter()
        .find(|g| g.name == name)
        .unwrap_or_else(|| panic!("no generated source {name}"))
        .data
}

/// Every built-in model at levels 1 and 6, labelled as `kraft bench` does (`cm-l6`;
/// `iid` for a model the level does not change).
pub fn models() -> Vec<(String, kraft::Options)> {
    let mut out = Vec::new();
    for name in kraft::BUILTIN_MODELS.iter().map(|m| m.name) {
        let settings = |level| {
            kraft::Options::new()
                .model(name)
                .level(level)
                .build_model()
                .map(|m| m.settings())
                .ok()
        };
        if settings(1) == settings(9) {
            out.push((name.to_string(), kraft::Options::new().model(name)));
        } else {
            for level in [1, 6] {
                out.push((
                    format!("{name}-l{level}"),
                    kraft::Options::new().model(name).level(level),
                ));
            }
        }
    }
    out
}

/// `compress/<label>/<name>` and `decompress/<label>/<name>` for `data` under `options`,
/// in original bytes per second, after checking the round trip.
pub fn compress_and_decompress(
    c: &mut criterion::Criterion,
    label: &str,
    name: &str,
    data: &[u8],
    options: &kraft::Options,
) {
    use criterion::Throughput;
    let packed = kraft::compress(data, options).unwrap();
    assert_eq!(kraft::decompress(&packed).unwrap(), data);
    let mut g = c.benchmark_group(format!("compress/{label}"));
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.bench_function(name, |b| b.iter(|| kraft::compress(data, options).unwrap()));
    g.finish();
    let mut g = c.benchmark_group(format!("decompress/{label}"));
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.bench_function(name, |b| b.iter(|| kraft::decompress(&packed).unwrap()));
    g.finish();
}
