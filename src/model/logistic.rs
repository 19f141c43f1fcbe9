//! The logistic domain, shared by the bit models (`cm`, `grid`): `stretch(p) = ln(p / (1 − p))` and its inverse `squash`.
//!
//! Probabilities are 16-bit (`0..=65535` for 0..1); the stretched domain is fixed-point
//! with 256 units per nat, clamped to `−2047..=2047` (±8 nats). The tables are built
//! with basic IEEE arithmetic only (see [`exp`]), so every machine computes the same
//! values, and the model that uses them is bit-exact across machines.

/// e^x for |x| ≤ 9 from basic IEEE operations only (+, −, ×, ÷ are correctly rounded
/// everywhere, unlike a platform's `exp`): Taylor series of e^(x/32), squared 5 times.
fn exp(x: f64) -> f64 {
    let y = x / 32.0;
    let mut term = 1.0;
    let mut sum = 1.0;
    for k in 1..=16 {
        term = term * y / f64::from(k);
        sum += term;
    }
    for _ in 0..5 {
        sum *= sum;
    }
    sum
}

/// Largest magnitude of a stretched value.
pub const LIMIT: i32 = 2047;

/// Lookup tables for squash and stretch.
#[cfg_attr(test, derive(PartialEq, Debug))]
pub struct Logistic {
    squash: Box<[u16; 4096]>,
    stretch: Box<[i16]>,
    fast: Box<[i16; 4096]>,
    /// stretch(squash(x)) for every stretched x: what a mixer's output is once it has
    /// been a probability, from a table small enough to stay in L1.
    round_trip: Box<[i16; 4096]>,
}

impl Logistic {
    /// Build both tables.
    pub fn new() -> Self {
        let mut squash = Box::new([0u16; 4096]);
        for (i, s) in squash.iter_mut().enumerate() {
            let x = f64::from(i as i32 - 2048) / 256.0;
            let p = 65536.0 / (1.0 + exp(-x));
            *s = (p + 0.5).clamp(1.0, 65535.0) as u16;
        }
        // stretch(p) = the largest x with squash(x) ≤ p (the inverse of squash).
        let mut stretch = vec![0i16; 65536].into_boxed_slice();
        let mut x = 0usize;
        for (p, s) in stretch.iter_mut().enumerate() {
            while x < 4095 && usize::from(squash[x + 1]) <= p {
                x += 1;
            }
            *s = (x as i32 - 2048).clamp(-LIMIT, LIMIT) as i16;
        }
        // The fast table: one entry per 16 probabilities (8 KiB, stays in L1), taken at
        // the middle of each bucket.
        let mut fast = Box::new([0i16; 4096]);
        for (i, f) in fast.iter_mut().enumerate() {
            *f = stretch[i * 16 + 8];
        }
        let mut round_trip = Box::new([0i16; 4096]);
        for (x, r) in round_trip.iter_mut().enumerate() {
            *r = stretch[usize::from(squash[x])];
        }
        Logistic {
            squash,
            stretch,
            fast,
            round_trip,
        }
    }

    /// 16-bit probability of a stretched value (clamped to ±2047).
    #[inline]
    pub fn squash(&self, x: i32) -> u32 {
        u32::from(self.squash[(x.clamp(-LIMIT, LIMIT) + 2048) as usize])
    }

    /// Stretched value of a 16-bit probability at 12-bit resolution (fast).
    #[inline]
    pub fn stretch12(&self, p: u32) -> i32 {
        i32::from(self.fast[(p >> 4) as usize & 4095])
    }

    /// `stretch(squash(x))`, exactly, for a stretched value `x` (clamped to ±2047).
    #[inline]
    pub fn stretch_squash(&self, x: i32) -> i32 {
        i32::from(self.round_trip[(x.clamp(-LIMIT, LIMIT) + 2048) as usize])
    }

    /// Stretched value of a 16-bit probability.
    #[inline]
    pub fn stretch(&self, p: u32) -> i32 {
        i32::from(self.stretch[p as usize & 0xffff])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_follow_the_logistic_curve() {
        let l = Logistic::new();
        for x in (-2047..=2047).step_by(7) {
            let exact = 65536.0 / (1.0 + (-(x as f64) / 256.0).exp());
            let got = l.squash(x) as f64;
            assert!((got - exact).abs() <= 0.5 + 1e-9, "x={x}: {got} vs {exact}");
        }
        for p in (30..65500).step_by(97) {
            let exact = ((p as f64) / (65536.0 - p as f64)).ln() * 256.0;
            // One unit of x moves p by p(1−p)/256: at the tails several p share an x.
            let slack = 1.0 + 256.0 / (p as f64 * (65536.0 - p as f64) / 65536.0);
            assert!((l.stretch(p) as f64 - exact).abs() <= slack, "p={p}");
        }
        assert!((-2100..2100).all(|x| l.stretch_squash(x) == l.stretch(l.squash(x))));
        // Monotone.
        assert!((-2047..2047).all(|x| l.squash(x) <= l.squash(x + 1)));
        assert!((0..65535).all(|p| l.stretch(p) <= l.stretch(p + 1)));
    }
}
