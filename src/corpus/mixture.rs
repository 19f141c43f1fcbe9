//! `mixture.txt`: 8-byte segments, each drawn i.i.d. from one of four overlapping
//! components over 16 letters, the component chosen i.i.d. from π.

use super::Generated;
use super::dist::{self, Dist};

/// The letters the components draw from.
pub(super) const ALPHABET: &[u8; 16] = b"abcdefghijklmnop";
/// Bytes per segment.
pub(super) const SEGMENT: usize = 8;
/// Mixing weights of the components.
const WEIGHTS: [f64; 4] = [0.4, 0.3, 0.2, 0.1];
/// Component weights over the letters are `u^SHARPNESS + OVERLAP`, `u` uniform: a few
/// letters dominate each component, and every letter stays possible in every one, so a
/// short segment often fits several components (the posterior is uncertain).
const SHARPNESS: u32 = 3;
const OVERLAP: f64 = 0.08;
const SALT: u64 = 0x6d69_7874_7572_0006;

/// The source: π and the four components.
pub(super) struct MixtureSource {
    pub(super) prior: Dist,
    pub(super) components: Vec<Dist>,
}

impl MixtureSource {
    pub(super) fn new(seed: u64) -> Self {
        let mut rng = dist::rng(seed, SALT);
        let components = (0..WEIGHTS.len())
            .map(|_| {
                let w: Vec<f64> = (0..ALPHABET.len())
                    .map(|_| {
                        let u = dist::uniform(&mut rng);
                        (0..SHARPNESS).fold(1.0, |acc, _| acc * u) + OVERLAP
                    })
                    .collect();
                Dist::from_weights(&w)
            })
            .collect();
        MixtureSource {
            prior: Dist::from_weights(&WEIGHTS),
            components,
        }
    }

    /// p(m) Π p_m(x_i) for each component m.
    fn joint(&self, seg: &[usize]) -> Vec<f64> {
        (0..self.components.len())
            .map(|m| {
                seg.iter()
                    .fold(self.prior.p[m], |acc, &x| acc * self.components[m].p[x])
            })
            .collect()
    }

    /// Exact E[−log2 p(X)] for a segment of `len` letters: p(x) depends only on how many
    /// times each letter occurs, so the sum runs over the compositions of `len` into 16
    /// counts, each weighted by its number of orderings.
    pub(super) fn segment_entropy(&self, len: usize) -> f64 {
        let m = self.components.len();
        let mut factorial = vec![1.0f64; len + 1];
        for i in 1..=len {
            factorial[i] = factorial[i - 1] * i as f64;
        }
        // Depth-first over letters: `prod[m]` is Π p_m(letter)^count so far, `ways` the
        // multinomial coefficient so far (len! / Π count!).
        fn walk(
            src: &MixtureSource,
            letter: usize,
            left: usize,
            prod: &[f64],
            ways: f64,
            factorial: &[f64],
        ) -> f64 {
            if letter == ALPHABET.len() - 1 {
                // The last letter takes what is left.
                let mut p = 0.0;
                for (z, &pz) in prod.iter().enumerate() {
                    let mut q = pz;
                    for _ in 0..left {
                        q *= src.components[z].p[letter];
                    }
                    p += src.prior.p[z] * q;
                }
                let ways = ways / factorial[left];
                return if p > 0.0 {
                    -ways * p * dist::log2(p)
                } else {
                    0.0
                };
            }
            let mut sum = 0.0;
            let mut next = prod.to_vec();
            for c in 0..=left {
                sum += walk(
                    src,
                    letter + 1,
                    left - c,
                    &next,
                    ways / factorial[c],
                    factorial,
                );
                for (z, q) in next.iter_mut().enumerate() {
                    *q *= src.components[z].p[letter];
                }
            }
            sum
        }
        walk(self, 0, len, &vec![1.0; m], factorial[len], &factorial)
    }

    pub(super) fn generate(&self, seed: u64, size: usize) -> Generated {
        let mut rng = dist::rng(seed, SALT ^ 0xffff);
        let mut data = Vec::with_capacity(size);
        let mut self_information = 0.0;
        let mut waste = 0.0;
        let mut seg = Vec::with_capacity(SEGMENT);
        while data.len() < size {
            let len = SEGMENT.min(size - data.len());
            let m = self.prior.sample(&mut rng);
            seg.clear();
            for _ in 0..len {
                seg.push(self.components[m].sample(&mut rng));
            }
            data.extend(seg.iter().map(|&x| ALPHABET[x]));
            let joint = self.joint(&seg);
            let p: f64 = joint.iter().sum();
            self_information -= dist::log2(p);
            // The naive coder sends the most probable component and loses its posterior
            // uncertainty, −log2 q(m̂ | segment).
            let best = joint.iter().copied().fold(0.0, f64::max);
            waste -= dist::log2(best / p);
        }
        let full = size / SEGMENT;
        let rest = size % SEGMENT;
        let mut entropy = full as f64 * self.segment_entropy(SEGMENT);
        if rest > 0 {
            entropy += self.segment_entropy(rest);
        }
        Generated {
            name: "mixture.txt".into(),
            data,
            entropy_bits: entropy,
            self_information_bits: self_information,
            description: format!(
                "{SEGMENT}-byte segments from a mixture of 4 overlapping i.i.d. components over 16 letters, pi = 0.4/0.3/0.2/0.1; naive coding wastes {waste:.1} bits (sum of -log2 q(m|segment) for the most probable m, true model)"
            ),
        }
    }
}
