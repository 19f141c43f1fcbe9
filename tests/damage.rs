//! Damaged compressed files, many of them: every model's real `.kft` output is mutated
//! (bit flips, truncations, spliced pieces of other files, garbage, overwritten runs)
//! and decoded. Each must decode to exactly the original or fail with an error — never
//! panic — and within a second.

use std::time::{Duration, Instant};

use kraft::Options;
use kraft::model::Segment;

/// xorshift64: deterministic, so a failure names a reproducible case.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn text(n: usize, rng: &mut Rng) -> Vec<u8> {
    let words: [&[u8]; 8] = [
        b"entropy ",
        b"model ",
        b"the ",
        b"bits ",
        b"of ",
        b"code\n",
        b"a ",
        b"mixture ",
    ];
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        out.extend_from_slice(words[rng.below(words.len())]);
    }
    out.truncate(n);
    out
}

fn binary(n: usize, rng: &mut Rng) -> Vec<u8> {
    (0..n)
        .map(|i| {
            if i % 7 == 0 {
                rng.next() as u8
            } else {
                (i / 5) as u8
            }
        })
        .collect()
}

fn pbm(rng: &mut Rng) -> Vec<u8> {
    let mut out = Vec::new();
    for _ in 0..3 {
        out.extend_from_slice(b"P4\n16 16\n");
        out.extend((0..32).map(|_| rng.next() as u8 & 0x0f));
    }
    out
}

/// Originals and their compressed forms, one or more per model.
fn samples() -> Vec<(&'static str, Vec<u8>, Vec<u8>)> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let cases: Vec<(&'static str, Vec<u8>, Options)> = vec![
        (
            "iid text",
            text(3000, &mut rng),
            Options::new().model("iid"),
        ),
        (
            "iid blocks",
            binary(3000, &mut rng),
            Options::new().model("iid").block_size(700),
        ),
        (
            "cm-1 binary",
            binary(1200, &mut rng),
            Options::new().model("cm").level(1),
        ),
        (
            "cm-6 binary",
            binary(1200, &mut rng),
            Options::new().model("cm").level(6).block_size(500),
        ),
        (
            "mixture lines",
            text(3000, &mut rng),
            Options::new().model("mixture"),
        ),
        (
            "mixture fixed",
            binary(3000, &mut rng),
            Options::new().model(
                kraft::model::Mixture::new()
                    .segment(Segment::Fixed(16))
                    .bits_back(false),
            ),
        ),
        ("grid", pbm(&mut rng), Options::new().model("grid")),
    ];
    cases
        .into_iter()
        .map(|(name, data, options)| {
            let packed = kraft::compress(&data, &options).unwrap();
            assert_eq!(kraft::decompress(&packed).unwrap(), data, "{name}");
            (name, data, packed)
        })
        .collect()
}

fn mutate(packed: &[u8], other: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut bad = packed.to_vec();
    match rng.below(7) {
        0 | 1 => {
            // One to three bit flips.
            for _ in 0..=rng.below(3) {
                let at = rng.below(bad.len());
                bad[at] ^= 1 << rng.below(8);
            }
        }
        2 => bad.truncate(rng.below(bad.len())),
        3 => {
            // A piece of another file spliced in.
            let at = rng.below(bad.len());
            let from = rng.below(other.len());
            let n = 1 + rng.below(64.min(other.len() - from));
            bad.splice(
                at..(at + n).min(bad.len()),
                other[from..from + n].iter().copied(),
            );
        }
        4 => {
            // A run overwritten with 0x00 or 0xff (extreme varints and lengths).
            let at = rng.below(bad.len());
            let fill = if rng.next() & 1 == 0 { 0 } else { 0xff };
            let end = (at + 1 + rng.below(12)).min(bad.len());
            bad[at..end].fill(fill);
        }
        5 => {
            // Garbage after a valid prefix.
            let keep = rng.below(bad.len());
            bad.truncate(keep);
            bad.extend((0..rng.below(200)).map(|_| rng.next() as u8));
        }
        _ => {
            // A byte of the first 40 (the header) set to a random value.
            let at = rng.below(bad.len().min(40));
            bad[at] = rng.next() as u8;
        }
    }
    bad
}

#[test]
fn damaged_files_error_or_decode_exactly_and_fast() {
    let samples = samples();
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let rounds = 21_000;
    let mut errors = 0;
    for i in 0..rounds {
        let (name, data, packed) = &samples[i % samples.len()];
        let other = &samples[(i / samples.len()) % samples.len()].2;
        let bad = mutate(packed, other, &mut rng);
        let start = Instant::now();
        let result = kraft::decompress(&bad);
        let took = start.elapsed();
        assert!(
            took < Duration::from_secs(1),
            "case {i} ({name}): {took:?} to decode {} bytes",
            bad.len()
        );
        match result {
            Ok(out) => assert_eq!(&out, data, "case {i} ({name}) decoded to other bytes"),
            Err(_) => errors += 1,
        }
    }
    // Nearly every mutation must be caught (the rest decode to the original exactly).
    assert!(errors > rounds * 9 / 10, "{errors} errors in {rounds}");
}
