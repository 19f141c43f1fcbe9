//! Long-match runs (cm block flag bit 6): redundant data is coded as one decision per
//! run, and every adversarial way a long match can end or waver decodes exactly.

mod common;

use common::{cm_flags, noise, roundtrip};
use kraft::Options;

/// The cm block flags of every block of a stream.
fn flags(data: &[u8], options: &Options) -> Vec<u8> {
    cm_flags(data, options).iter().map(|f| f.0).collect()
}

#[test]
fn a_repeated_random_chunk_costs_about_one_chunk() {
    let chunk = noise(256 << 10, 7);
    let data = chunk.repeat(16);
    // (Level 9 needs more memory to decode than the default limit allows.)
    for level in [1, 6] {
        let o = Options::new().level(level);
        assert!(
            flags(&data, &o).iter().all(|f| f & 64 != 0),
            "level {level}: runs on"
        );
        let size = roundtrip(&data, &o);
        // The chunk itself, and for the other 15 copies a few hundred bytes.
        assert!(
            size <= chunk.len() + chunk.len() / 100,
            "level {level}: {size}"
        );
    }
}

#[test]
fn zeros_cost_almost_nothing() {
    let data = vec![0u8; 8 << 20];
    for level in [1, 6] {
        let size = roundtrip(&data, &Options::new().level(level));
        assert!(size < 200, "level {level}: {size}");
    }
}

#[test]
fn a_match_that_breaks_after_a_million_bytes() {
    // A stretch of 200 KiB, then its copy repeated for a million bytes, then one byte
    // changed, then the repeat again, then random bytes: the run that holds the change
    // misses, and the runs start again after it.
    let x = noise(200 << 10, 11);
    let mut data = x.clone();
    while data.len() < x.len() + 1_000_000 {
        data.push(x[data.len() % x.len()]);
    }
    data.push(data[data.len() - x.len()] ^ 0x55);
    for _ in 0..300_000 {
        data.push(data[data.len() - x.len()]);
    }
    data.extend(noise(50_000, 13));
    let o = Options::new().level(6);
    assert!(flags(&data, &o)[0] & 64 != 0);
    let size = roundtrip(&data, &o);
    assert!(size < x.len() + 50_000 + 8_000, "{size}");
}

#[test]
fn alternating_near_repeats_decode_exactly() {
    // Copies of a 4 KiB record, each with a byte changed every 600 to 1,500 bytes at
    // shifting places: runs start deep in a copy and miss where a change falls in them.
    let base = noise(4096, 17);
    let mut data = noise(2048, 19).repeat(2);
    let mut x = 5u64;
    for copy in 0..100 {
        let mut rec = base.clone();
        let mut at = (copy * 37) % 600;
        while at < rec.len() {
            rec[at] ^= 1 + (x % 255) as u8;
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
            at += 600 + (x >> 40) as usize % 900;
        }
        data.extend_from_slice(&rec);
        // Now and then an exact copy, so that long runs happen too.
        if copy % 7 == 0 {
            data.extend_from_slice(&base);
        }
    }
    for level in [6, 9] {
        let o = Options::new().level(level);
        assert!(flags(&data, &o)[0] & 64 != 0, "level {level}");
        let size = roundtrip(&data, &o);
        assert!(
            size < data.len() / 8,
            "level {level}: {size} of {}",
            data.len()
        );
    }
}

#[test]
fn blocks_without_long_repeats_keep_their_flags() {
    // Text without a repeat of 1 KiB, and random data: no runs, the streams as before.
    let words = [
        "entropy ", "model ", "bits ", "the ", "of ", "kraft\n", "coder ",
    ];
    let mut x = 99u64;
    let mut text = Vec::new();
    while text.len() < 3 << 20 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        text.extend_from_slice(words[(x >> 33) as usize % words.len()].as_bytes());
    }
    let o = Options::new().level(1);
    assert!(flags(&text, &o).iter().all(|f| f & 64 == 0));
    assert!(flags(&noise(3 << 20, 3), &o).iter().all(|f| f & 64 == 0));
    assert!(
        flags(&noise(3 << 20, 3), &Options::new().level(6))
            .iter()
            .all(|f| f & 64 == 0)
    );
    // Small blocks (a model within 16 MiB) never take runs, repeats or not.
    let small = noise(4096, 5).repeat(8);
    assert!(flags(&small, &o).iter().all(|f| f & 64 == 0));
}
