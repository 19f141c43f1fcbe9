//! Portable sampling: a seeded ChaCha8 stream, categorical distributions sampled by
//! inverse CDF on a 2^-53 grid, and logarithms computed with basic IEEE operations only.
//!
//! Everything that decides which bytes are generated uses only `+ − × ÷`, `ceil`,
//! `round` and bit manipulation, which IEEE 754 specifies exactly; `f64::ln`, `exp` and
//! `powf` come from the platform's libm and may differ in the last bit between systems,
//! so they are not used. The same seed therefore gives the same bytes everywhere.

use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

/// 2^53: the number of points of the uniform grid.
const GRID: u64 = 1 << 53;

/// The random stream of one source: ChaCha8 seeded from `seed ^ salt`.
pub(super) fn rng(seed: u64, salt: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed ^ salt)
}

/// Uniform on [0, 1): `(x >> 11) · 2^-53` for the next 64-bit output `x`.
pub(super) fn uniform(rng: &mut ChaCha8Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / GRID as f64)
}

/// A categorical distribution over `0..n`, sampled by inverse CDF.
///
/// Built from weights `w`: the cumulative sums `c_i = (w_0 + … + w_i) / Σw` (the last
/// set to 1) are rounded up to the grid of multiples of 2^-53, and a sample is the first
/// `i` with `u < c_i` for `u` uniform on that grid. The probabilities stored in
/// [`Dist::p`] are the differences of the rounded `c_i`: exactly the probabilities with
/// which [`Dist::sample`] draws each symbol, so entropies computed from them are the
/// entropies of what is generated, not of an approximation.
#[derive(Clone, Debug)]
pub(super) struct Dist {
    /// Rounded cumulative distribution in units of 2^-53; the last entry is 2^53.
    cum: Vec<u64>,
    /// Exact sampling probabilities (dyadic, so exactly representable).
    pub(super) p: Vec<f64>,
    /// −log2 p_i in bits (infinite where p_i = 0).
    pub(super) cost: Vec<f64>,
}

impl Dist {
    /// From non-negative finite weights with a positive sum.
    pub(super) fn from_weights(w: &[f64]) -> Self {
        assert!(!w.is_empty(), "empty distribution");
        assert!(
            w.iter().all(|x| x.is_finite() && *x >= 0.0),
            "weights must be finite and non-negative"
        );
        let total: f64 = w.iter().sum();
        assert!(total > 0.0, "weights sum to zero");
        let mut cum = Vec::with_capacity(w.len());
        let mut acc = 0.0;
        for (i, &x) in w.iter().enumerate() {
            acc += x;
            let c = if i + 1 == w.len() {
                1.0
            } else {
                (acc / total).min(1.0)
            };
            // c · 2^53 is exact (a power-of-two scaling), so u = k·2^-53 < c ⇔ k < ceil(c·2^53).
            cum.push((c * GRID as f64).ceil() as u64);
        }
        let mut prev = 0;
        let mut p = Vec::with_capacity(w.len());
        let mut cost = Vec::with_capacity(w.len());
        for &c in &cum {
            let count = c - prev;
            prev = c;
            p.push(count as f64 / GRID as f64);
            cost.push(if count == 0 {
                f64::INFINITY
            } else {
                53.0 - log2(count as f64)
            });
        }
        Self { cum, p, cost }
    }

    /// Number of symbols.
    pub(super) fn len(&self) -> usize {
        self.p.len()
    }

    /// Draw one symbol: the first `i` with `u < c_i`, `u = (x >> 11) · 2^-53`.
    pub(super) fn sample(&self, rng: &mut ChaCha8Rng) -> usize {
        let k = rng.next_u64() >> 11;
        self.cum.partition_point(|&c| c <= k)
    }

    /// Entropy H = Σ p_i (−log2 p_i), in bits.
    pub(super) fn entropy(&self) -> f64 {
        self.p
            .iter()
            .zip(&self.cost)
            .filter(|(p, _)| **p > 0.0)
            .map(|(p, c)| p * c)
            .sum()
    }

    /// Mean of any per-symbol quantity.
    pub(super) fn mean(&self, f: impl Fn(usize) -> f64) -> f64 {
        (0..self.len())
            .filter(|&i| self.p[i] > 0.0)
            .map(|i| self.p[i] * f(i))
            .sum()
    }

    /// Varentropy Var[−log2 p(X)], in bits²: the variance of one symbol's code length.
    #[cfg(test)]
    pub(super) fn varentropy(&self) -> f64 {
        let h = self.entropy();
        self.mean(|i| (self.cost[i] - h) * (self.cost[i] - h))
    }
}

/// ln 2 split for exact products with small integers: `LN2_HI` has 32 trailing zero
/// bits, so `k · LN2_HI` is exact for |k| < 2^20 (fdlibm's constants).
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);

/// `x = m · 2^e` with `m` in [√½, √2): returns `(e, ln m)`.
///
/// `ln m = 2 atanh t`, `t = (m − 1)/(m + 1)`, |t| ≤ 0.172, summed to 14 odd terms
/// (remainder < 1e-19).
fn split_log(x: f64) -> (i64, f64) {
    assert!(x > 0.0 && x.is_finite(), "logarithm of {x}");
    let (m, mut e) = if x < f64::MIN_POSITIVE {
        // Subnormal: scale into the normal range first.
        (x * (1u64 << 54) as f64, -54i64)
    } else {
        (x, 0)
    };
    let bits = m.to_bits();
    e += ((bits >> 52) & 0x7ff) as i64 - 1023;
    let mut m = f64::from_bits((bits & ((1u64 << 52) - 1)) | (1023u64 << 52)); // in [1, 2)
    if m > std::f64::consts::SQRT_2 {
        m *= 0.5;
        e += 1;
    }
    let t = (m - 1.0) / (m + 1.0);
    let t2 = t * t;
    // Horner from the smallest term: Σ_{k=0}^{13} t^(2k) / (2k + 1).
    let mut s = 0.0;
    for k in (0..14).rev() {
        s = s * t2 + 1.0 / (2 * k + 1) as f64;
    }
    (e, 2.0 * t * s)
}

/// Natural logarithm of a positive finite `x`, from basic IEEE operations only;
/// accurate to a few ulp.
#[cfg(test)]
pub(super) fn ln(x: f64) -> f64 {
    let (e, l) = split_log(x);
    e as f64 * LN2_HI + (e as f64 * LN2_LO + l)
}

/// Base-2 logarithm of a positive finite `x`, from basic IEEE operations only; exact for
/// powers of two.
pub(super) fn log2(x: f64) -> f64 {
    let (e, l) = split_log(x);
    e as f64 + l / std::f64::consts::LN_2
}

/// e^x for `x` in [-700, 700], from basic IEEE operations only.
///
/// `x = k ln 2 + r`, |r| ≤ 0.35, Taylor series of e^r to 22 terms, times 2^k.
pub(super) fn exp(x: f64) -> f64 {
    assert!((-700.0..=700.0).contains(&x), "exp of {x}");
    let k = (x / std::f64::consts::LN_2).round();
    let r = (x - k * LN2_HI) - k * LN2_LO;
    let mut s = 1.0;
    for n in (1..=22).rev() {
        s = 1.0 + s * r / n as f64;
    }
    s * f64::from_bits(((1023 + k as i64) as u64) << 52)
}

/// x^y for positive `x`, as e^(y ln x).
pub(super) fn pow(x: f64, y: f64) -> f64 {
    let (e, l) = split_log(x);
    exp(y * (e as f64 * LN2_HI + (e as f64 * LN2_LO + l)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_and_exps_match_libm() {
        for &x in &[
            1e-300,
            1e-20,
            0.001,
            0.1,
            0.5,
            0.72,
            std::f64::consts::FRAC_1_SQRT_2,
            std::f64::consts::SQRT_2,
            1.0,
            1.0000001,
            1.5,
            2.0,
            3.0,
            10.0,
            255.0,
            4000.0,
            1e20,
            1e300,
            5e-324,
        ] {
            let (a, b) = (ln(x), x.ln());
            assert!(
                (a - b).abs() <= 4e-16 * b.abs().max(1.0),
                "ln {x}: {a} vs {b}"
            );
        }
        for &x in &[-700.0, -20.0, -1.1, -0.3, 0.0, 0.3, 1.0, 2.5, 50.0, 700.0] {
            let (a, b) = (exp(x), x.exp());
            assert!((a - b).abs() <= 1e-15 * b, "exp {x}: {a} vs {b}");
        }
        let (a, b) = (pow(1234.0, -1.1), 1234f64.powf(-1.1));
        assert!((a - b).abs() <= 1e-14 * b);
        for e in -60..60 {
            assert_eq!(log2(2f64.powi(e)), f64::from(e));
        }
        assert!((log2(10.0) - 10f64.log2()).abs() < 1e-15);
    }

    #[test]
    fn dist_is_exact_on_the_grid() {
        let d = Dist::from_weights(&[1.0, 0.0, 2.0, 1.0]);
        assert_eq!(d.p, vec![0.25, 0.0, 0.5, 0.25]);
        assert_eq!(d.cum.last(), Some(&GRID));
        assert!((d.entropy() - 1.5).abs() < 1e-15);
        let mut r = rng(7, 0);
        let mut counts = [0usize; 4];
        for _ in 0..4000 {
            counts[d.sample(&mut r)] += 1;
        }
        assert_eq!(counts[1], 0);
        assert!(counts[2] > 1800 && counts[2] < 2200, "{counts:?}");
        let total: f64 = Dist::from_weights(&[0.9, 0.1]).p.iter().sum();
        assert_eq!(total, 1.0);
    }
}
