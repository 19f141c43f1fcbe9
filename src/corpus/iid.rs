//! Memoryless sources: skewed i.i.d. bytes, Bernoulli bits, uniform bytes.

use super::Generated;
use super::dist::{self, Dist};

/// Zipf exponent of `iid-skewed.bin`, chosen so that H ≈ 5 bits per byte.
pub(super) const SKEWED_EXPONENT: f64 = 1.25;

/// Stream salts: each source draws from its own ChaCha8 stream.
const SALT_SKEWED: u64 = 0x1d5e_3c0b_7a11_0001;
const SALT_BERNOULLI: u64 = 0xbe51_0a5c_2e77_0002;
const SALT_UNIFORM: u64 = 0x0f1a_7b3d_94c5_0003;

/// `iid-skewed.bin`: the byte distribution and the byte value of each rank.
pub(super) struct Skewed {
    /// Distribution over ranks 0..256: p(k) ∝ (k + 1)^-s.
    pub(super) dist: Dist,
    /// Byte value of rank k (a seeded permutation of 0..=255).
    pub(super) byte: [u8; 256],
}

impl Skewed {
    pub(super) fn new(seed: u64) -> Self {
        let w: Vec<f64> = (1..=256)
            .map(|k| dist::pow(k as f64, -SKEWED_EXPONENT))
            .collect();
        let dist = Dist::from_weights(&w);
        let mut rng = dist::rng(seed, SALT_SKEWED);
        // Fisher–Yates with j = floor(u · (i + 1)): uses only next_u64.
        let mut byte = [0u8; 256];
        for (i, b) in byte.iter_mut().enumerate() {
            *b = i as u8;
        }
        for i in (1..256).rev() {
            let j = ((dist::uniform(&mut rng) * (i + 1) as f64) as usize).min(i);
            byte.swap(i, j);
        }
        Self { dist, byte }
    }

    pub(super) fn generate(&self, seed: u64, n: usize) -> Generated {
        // A second stream for the samples, so the permutation does not shift them.
        let mut rng = dist::rng(seed, SALT_SKEWED.rotate_left(32));
        let mut data = Vec::with_capacity(n);
        let mut info = 0.0;
        for _ in 0..n {
            let k = self.dist.sample(&mut rng);
            info += self.dist.cost[k];
            data.push(self.byte[k]);
        }
        let h = self.dist.entropy();
        Generated {
            name: "iid-skewed.bin".into(),
            data,
            entropy_bits: n as f64 * h,
            self_information_bits: info,
            description: format!(
                "i.i.d. bytes, Zipf p(k) ∝ k^-{SKEWED_EXPONENT} over ranks k = 1..256 \
                 mapped to byte values by a seeded permutation; H = {h:.6} bits/byte"
            ),
        }
    }
}

/// Probability of a 1 bit in `bernoulli-0.1.bin` (before rounding to the 2^-53 grid).
const BERNOULLI_P1: f64 = 0.1;

/// `bernoulli-0.1.bin`: the bit distribution (symbol 1 = bit set).
pub(super) fn bernoulli_dist() -> Dist {
    Dist::from_weights(&[1.0 - BERNOULLI_P1, BERNOULLI_P1])
}

/// `bernoulli-0.1.bin`: 8 i.i.d. bits per byte, most significant first.
pub(super) fn bernoulli(seed: u64, n: usize) -> Generated {
    let d = bernoulli_dist();
    let mut rng = dist::rng(seed, SALT_BERNOULLI);
    let mut data = Vec::with_capacity(n);
    let mut info = 0.0;
    for _ in 0..n {
        let mut byte = 0u8;
        for _ in 0..8 {
            let bit = d.sample(&mut rng);
            info += d.cost[bit];
            byte = (byte << 1) | bit as u8;
        }
        data.push(byte);
    }
    let h = d.entropy();
    Generated {
        name: "bernoulli-0.1.bin".into(),
        data,
        entropy_bits: 8.0 * n as f64 * h,
        self_information_bits: info,
        description: format!(
            "8 i.i.d. bits per byte (MSB first), P(1) = {BERNOULLI_P1}; \
             H = {:.6} bits/byte",
            8.0 * h
        ),
    }
}

/// `uniform.bin`: uniform i.i.d. bytes (the little-endian bytes of the ChaCha8 stream);
/// incompressible, exactly 8 bits per byte.
pub(super) fn uniform(seed: u64, n: usize) -> Generated {
    use rand_core::RngCore;
    let mut rng = dist::rng(seed, SALT_UNIFORM);
    let mut data = Vec::with_capacity(n + 8);
    while data.len() < n {
        data.extend_from_slice(&rng.next_u64().to_le_bytes());
    }
    data.truncate(n);
    Generated {
        name: "uniform.bin".into(),
        data,
        entropy_bits: 8.0 * n as f64,
        self_information_bits: 8.0 * n as f64,
        description: "uniform i.i.d. bytes, incompressible; H = 8 bits/byte".into(),
    }
}
