//! Noise coded flat (cm flag byte 2, bit 3): after a window the model coded at 8 bits a
//! byte, bytes cost ½ a bit each and no model evaluation, until they stop looking
//! random. Every way a flat stretch can start and end decodes exactly, and what follows
//! noise is modeled as well as ever.

mod common;

use common::{cm_flags, noise, roundtrip};
use kraft::Options;

/// The second cm flag byte of every modeled block of a stream (0 where there is one).
fn second_flags(data: &[u8], options: &Options) -> Vec<u8> {
    cm_flags(data, options).iter().map(|f| f.1).collect()
}

const NOISE: u8 = 8;
/// Bit 4 of the second flag byte: the third APM (text blocks at levels 6–7).
const APM3: u8 = 16;

/// Words drawn at random: text of about 2.6 bits a byte that a model learns.
fn text(n: usize, seed: u64) -> Vec<u8> {
    let words = [
        "entropy ", "model ", "bits ", "the ", "of ", "kraft\n", "coder ", "mixing ",
    ];
    let mut x = seed;
    let mut out = Vec::new();
    while out.len() < n {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        out.extend_from_slice(words[(x >> 33) as usize % words.len()].as_bytes());
    }
    out.truncate(n);
    out
}

/// Text, noise, text again, the first noise again and new noise: the flat stretches end
/// at the text (its byte counts and successors) and at the old noise (a match), and the
/// text after noise costs what it costs on its own.
#[test]
fn noise_between_text_costs_its_length_and_the_text_as_before() {
    let t = text(100_000, 1);
    let t2 = text(100_000, 3);
    let r = noise(300_000, 2);
    let mut data = t.clone();
    data.extend_from_slice(&r);
    data.extend_from_slice(&t2);
    data.extend_from_slice(&r);
    data.extend(noise(100_000, 4));
    for level in [1, 6, 9] {
        let o = Options::new().level(level);
        let flags = second_flags(&data, &o);
        assert!(
            !flags.is_empty() && flags.iter().all(|f| f & NOISE != 0),
            "level {level}: noise flagged: {flags:?}"
        );
        let size = roundtrip(&data, &o);
        let texts = roundtrip(&t, &o) + roundtrip(&t2, &o);
        // The noise at 8 bits a byte plus 0.5%, its repeat almost free, the texts as
        // when coded alone (the second is a little dearer: it starts after noise).
        let bound = r.len() + 100_000 + 2_000 + texts + texts / 20;
        assert!(size <= bound, "level {level}: {size} > {bound}");
    }
}

/// Random bytes, then bytes of a skewed distribution (Rényi entropy 7.64 bits), then
/// bytes each a function of the one before: the model must take over from flat coding
/// for both and code them below 8 bits.
#[test]
fn data_that_stops_looking_random_is_modeled_again() {
    let r = noise(200_000, 5);
    let skewed: Vec<u8> = noise(200_000, 6).iter().map(|&b| b % 200).collect();
    let mut chained = noise(200_000, 7);
    for i in 1..chained.len() {
        if i % 4 != 0 {
            chained[i] = chained[i - 1].wrapping_mul(5).wrapping_add(1);
        }
    }
    let o = Options::new().level(6);
    let alone = roundtrip(&r, &o);
    let mut data = r.clone();
    data.extend_from_slice(&skewed);
    let with_skewed = roundtrip(&data, &o) - alone;
    // log2 200 = 7.64 bits a byte: 191,000 bytes; within 1.5% of that.
    assert!(with_skewed < 194_000, "{with_skewed}");
    let mut data = r;
    data.extend_from_slice(&chained);
    let with_chained = roundtrip(&data, &o) - alone;
    // A quarter of the bytes random, the rest predictable: 2 bits a byte and a little.
    assert!(with_chained < 60_000, "{with_chained}");
}

/// Flat stretches that block ends cut, that run to their end (the model checks a window
/// in full, then the stretch doubles), noise of little more than a window, and a match
/// that appears while flat: all decode exactly, and noise costs at most its length plus
/// 0.5%.
#[test]
fn flat_stretches_end_anywhere_and_decode_exactly() {
    // Text, then noise of 900,000 bytes (stretches of 64, 128, 256 and 512 KiB), three
    // times: blocks of 1 MiB and of 300,001 bytes cut stretches anywhere.
    let mut data = Vec::new();
    let mut random = 0;
    for k in 0..3 {
        data.extend(text(100_000, 20 + k));
        data.extend(noise(900_000, 30 + k));
        random += 900_000;
    }
    for (block, level) in [(None, 6), (Some(1 << 20), 6), (Some(300_001), 1)] {
        let mut o = Options::new().level(level);
        if let Some(b) = block {
            o = o.block_size(b);
        }
        let flags = second_flags(&data, &o);
        // (Blocks of noise alone are stored.)
        assert!(
            !flags.is_empty() && flags.iter().all(|&f| f & NOISE != 0),
            "{block:?}: {flags:?}"
        );
        let size = roundtrip(&data, &o);
        // The text costs under 3 bits a byte.
        let bound = random + random / 200 + 3 * 300_000 / 8;
        assert!(size <= bound, "{block:?}: {size} > {bound}");
    }
    // Text, 6,000 random bytes (one aligned window of them), text: flagged, exact.
    let mut short = text(8_192, 9);
    short.extend(noise(6_000, 10));
    short.extend(text(10_000, 11));
    let o = Options::new().level(6);
    // A text block at level 6: the third APM too.
    assert_eq!(second_flags(&short, &o), [NOISE | APM3]);
    roundtrip(&short, &o);
    // Noise in which a stretch of 5,000 earlier bytes recurs every 70,000 bytes.
    let base = noise(1 << 20, 12);
    let mut data = base.clone();
    for k in 0..20 {
        let at = 50_000 * k;
        data.extend_from_slice(&base[at..at + 5_000]);
        data.extend(noise(65_000, 100 + k as u64));
    }
    let size = roundtrip(&data, &o);
    let fresh = base.len() + 20 * 65_000;
    assert!(size <= fresh + fresh / 200, "{size} > {fresh}");
}

/// Text and data that only look noisy byte by byte get no flag.
#[test]
fn blocks_without_a_uniform_window_are_not_flagged() {
    let o = Options::new().level(6);
    assert!(
        second_flags(&text(1 << 20, 13), &o)
            .iter()
            .all(|f| f & NOISE == 0)
    );
    let skewed: Vec<u8> = noise(1 << 20, 14).iter().map(|&b| b % 200).collect();
    assert!(second_flags(&skewed, &o).iter().all(|f| f & NOISE == 0));
}
