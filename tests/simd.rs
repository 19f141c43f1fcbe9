//! The mixers' AVX2 build and their baseline build write the same streams: cm at levels
//! 1, 6 and 9 on text, binary records and x86-like code, compressed both ways in one
//! process (its own test binary, as the switch is process-wide), and each stream
//! decodes with the other build.

mod common;

use kraft::model::cm::kernels;
use kraft::{Options, compress, decompress};

fn inputs() -> Vec<(&'static str, Vec<u8>)> {
    let text: Vec<u8> = b"It was the best of times, it was the worst of times; and so on. "
        .iter()
        .cycle()
        .take(40_000)
        .copied()
        .chain(common::noise(2_000, 7).iter().map(|b| b'a' + b % 26))
        .collect();
    let records: Vec<u8> = (0u32..6_000)
        .flat_map(|i| [(i % 251) as u8, (i / 7) as u8, 0, 0xff, (i * 13) as u8, 1])
        .collect();
    let code: Vec<u8> = (0u32..8_000)
        .flat_map(|i| [0xe8, (i * 40) as u8, (i >> 3) as u8, 0, 0, 0x48, 0x89, 0xc7])
        .collect();
    vec![("text", text), ("records", records), ("code", code)]
}

#[test]
fn avx2_and_baseline_mixers_write_the_same_stream() {
    for (name, data) in inputs() {
        for level in [1, 6, 9] {
            let options = Options::new().model("cm").level(level);
            kernels::baseline_only(false);
            let fast = compress(&data, &options).unwrap();
            kernels::baseline_only(true);
            let baseline = compress(&data, &options).unwrap();
            assert!(
                fast == baseline,
                "{name}, level {level}: the streams differ"
            );
            // Each decodes with the other build.
            assert_eq!(decompress(&fast).unwrap(), data);
            kernels::baseline_only(false);
            assert_eq!(decompress(&baseline).unwrap(), data);
        }
    }
}
