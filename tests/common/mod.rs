//! Helpers shared by the test files: deterministic data. Not every test file uses every
//! helper.
#![allow(dead_code)]

/// `n` deterministic pseudo-random bytes (xorshift64 from `seed`): incompressible.
pub fn noise(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}
