//! 2D Ising configurations: a Wolff cluster sampler whose output is a multi-image PBM
//! stream, with the exact entropy of Kaufman's solution ([`super::onsager::Torus`]).
//!
//! Model: L×L square lattice, periodic in both directions, J = 1, no field,
//! p(σ) = e^{−E(σ)/T} / Z with E = −Σ_⟨ij⟩ σ_i σ_j over the 2L² bonds.
//!
//! Sampler (deterministic for a seed: one ChaCha8 stream per temperature):
//! - Wolff cluster updates: a uniform seed site, neighbours of the same spin joined with
//!   probability 1 − e^{−2/T}, the cluster flipped. The join test compares the top 53
//!   bits of a 64-bit draw with an integer threshold `round((1 − e^{−2/T}) · 2^53)`,
//!   computed once with the portable `exp` of the corpus module, so the same seed gives
//!   the same configurations on every machine. A uniform site is
//!   `(x · N) >> 64` for a 64-bit draw x (exact integer arithmetic).
//! - Time is counted in *sweeps*: a fixed number of Wolff updates that flips N = L²
//!   spins on average, so a sweep costs about the same at every temperature. (The number
//!   is fixed from the mean cluster size measured during thermalisation; ending a sweep
//!   when N spins have been flipped would be a stopping rule that depends on the
//!   clusters, and it biases the recorded states by O(1/N).)
//! - A hot start, [`THERMALISE`] sweeps of thermalisation, then a pilot run of [`PILOT`]
//!   sweeps recording the energy and |M| after each sweep, from which the integrated
//!   autocorrelation times τ_E and τ_|M| are estimated (Sokal's window: the smallest W
//!   with W ≥ 6 τ(W)). Samples are then recorded every `spacing` =
//!   max(2, ⌈[`SPACING_TAUS`] · max(τ_E, τ_|M|)⌉) sweeps.
//! - Before each recorded sample all spins are flipped with probability ½ (an exact
//!   symmetry of p; without it the sign of M would hardly ever change at low T).
//!
//! Output: per configuration a PBM P4 image, `P4\n{L} {L}\n` followed by L rows of
//! ⌈L/8⌉ bytes, most significant bit first, spin +1 = bit 0 (padding bits 0). The
//! images are concatenated, which netpbm reads as a sequence of images.
//!
//! Entropy: the S configurations are independent draws (up to the residual correlation
//! left after `spacing` sweeps, which the τ measurement keeps small), so the file's
//! entropy is S · L² · s_L(T) bits with Kaufman's s_L. The headers are the same for
//! every sample: they carry no information and are not counted. The self-information of
//! the file is Σ (E_i / T + ln Z) / ln 2 over its configurations.

use rand_chacha::ChaCha8Rng;
use rand_core::RngCore;

use super::Generated;
use super::dist;
use super::onsager::Torus;

/// T_c = 2 / ln(1 + √2), as a literal (the sampler uses no platform logarithm).
pub const CRITICAL_TEMPERATURE: f64 = 2.269_185_314_213_022;

/// Side of the default suite's lattices.
pub const DEFAULT_SIDE: usize = 64;
/// Configurations per file in the default suite.
pub const DEFAULT_SAMPLES: usize = 1000;
/// Temperatures of the default suite.
pub const DEFAULT_TEMPERATURES: [f64; 6] = [1.5, 2.0, CRITICAL_TEMPERATURE, 2.5, 3.0, 4.0];

/// Sweeps from the hot start before anything is measured.
pub const THERMALISE: usize = 500;
/// Sweeps of the pilot run that measures the autocorrelation times.
pub const PILOT: usize = 4000;
/// Recorded samples are this many τ_int apart (at least).
pub const SPACING_TAUS: f64 = 5.0;

const SALT_ISING: u64 = 0x15_1e6c_0de5_0004;

/// What the sampler did at one temperature.
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    /// Side L.
    pub side: usize,
    /// Temperature.
    pub temperature: f64,
    /// Integrated autocorrelation time of the energy, in sweeps (pilot run).
    pub tau_energy: f64,
    /// Integrated autocorrelation time of |M|, in sweeps (pilot run).
    pub tau_abs_m: f64,
    /// Sweeps between recorded samples.
    pub spacing: usize,
    /// Wolff updates per sweep.
    pub updates_per_sweep: usize,
    /// Total energy of each recorded configuration.
    pub energies: Vec<i64>,
    /// Magnetisation Σσ of each recorded configuration.
    pub magnetisations: Vec<i64>,
    /// The PBM stream.
    pub data: Vec<u8>,
}

/// The lattice: bit 1 is spin −1.
struct Lattice {
    side: usize,
    bits: Vec<u8>,
    stack: Vec<u32>,
    threshold: u64,
}

impl Lattice {
    fn new(side: usize, t: f64, rng: &mut ChaCha8Rng) -> Lattice {
        let n = side * side;
        let bits = (0..n).map(|_| (rng.next_u64() >> 63) as u8).collect();
        // 1 − e^{−2/T} on the 2^-53 grid, with the portable exp.
        let p = 1.0 - dist::exp(-2.0 / t);
        let threshold = (p * (1u64 << 53) as f64).round() as u64;
        Lattice {
            side,
            bits,
            stack: Vec::with_capacity(n),
            threshold,
        }
    }

    /// One Wolff update; returns the cluster size.
    fn wolff(&mut self, rng: &mut ChaCha8Rng) -> usize {
        let l = self.side;
        let n = l * l;
        let seed = ((u128::from(rng.next_u64()) * n as u128) >> 64) as usize;
        let s0 = self.bits[seed];
        self.bits[seed] ^= 1;
        self.stack.clear();
        self.stack.push(seed as u32);
        let mut size = 1;
        while let Some(i) = self.stack.pop() {
            let i = i as usize;
            let (r, c) = (i / l, i % l);
            let nbrs = [
                r * l + (c + 1) % l,
                r * l + (c + l - 1) % l,
                ((r + 1) % l) * l + c,
                ((r + l - 1) % l) * l + c,
            ];
            for j in nbrs {
                if self.bits[j] == s0 && (rng.next_u64() >> 11) < self.threshold {
                    self.bits[j] ^= 1;
                    self.stack.push(j as u32);
                    size += 1;
                }
            }
        }
        size
    }

    /// `updates` Wolff updates; returns the spins flipped.
    fn sweep(&mut self, rng: &mut ChaCha8Rng, updates: usize) -> usize {
        (0..updates).map(|_| self.wolff(rng)).sum()
    }

    /// (E, M): E = −Σ_⟨ij⟩ σ_i σ_j, M = Σ σ_i.
    fn measure(&self) -> (i64, i64) {
        let l = self.side;
        let spin = |r: usize, c: usize| 1 - 2 * i64::from(self.bits[(r % l) * l + c % l]);
        let (mut e, mut m) = (0i64, 0i64);
        for r in 0..l {
            for c in 0..l {
                let s = spin(r, c);
                e -= s * (spin(r, c + 1) + spin(r + 1, c));
                m += s;
            }
        }
        (e, m)
    }

    fn write_pbm(&self, out: &mut Vec<u8>) {
        let l = self.side;
        out.extend_from_slice(format!("P4\n{l} {l}\n").as_bytes());
        for row in self.bits.chunks(l) {
            for chunk in row.chunks(8) {
                let mut byte = 0u8;
                for (k, &b) in chunk.iter().enumerate() {
                    byte |= b << (7 - k);
                }
                out.push(byte);
            }
        }
    }
}

/// Integrated autocorrelation time τ = ½ + Σ_{t=1}^{W} ρ(t) of a series, with Sokal's
/// automatic window (the smallest W ≥ 6 τ(W)). Basic float operations in a fixed order
/// only, so it is the same on every machine.
pub fn tau_int(x: &[i64]) -> f64 {
    let n = x.len();
    if n < 4 {
        return 0.5;
    }
    let mean = x.iter().map(|&v| v as f64).sum::<f64>() / n as f64;
    let d: Vec<f64> = x.iter().map(|&v| v as f64 - mean).collect();
    let c0 = d.iter().map(|v| v * v).sum::<f64>() / n as f64;
    if c0 == 0.0 {
        return 0.5;
    }
    let mut tau = 0.5;
    for t in 1..n / 2 {
        let ct = d[..n - t]
            .iter()
            .zip(&d[t..])
            .map(|(a, b)| a * b)
            .sum::<f64>()
            / (n - t) as f64;
        tau += ct / c0;
        if t as f64 >= 6.0 * tau {
            break;
        }
    }
    tau.max(0.5)
}

/// Sample `samples` configurations of the `side`×`side` torus at temperature `t`.
///
/// # Panics
/// If `side < 2` or `t` is not in (0.05, 1000].
pub fn sample(seed: u64, side: usize, t: f64, samples: usize) -> Run {
    assert!(side >= 2, "side {side}");
    assert!(t > 0.05 && t <= 1000.0, "temperature {t}");
    let mut rng = dist::rng(seed, SALT_ISING ^ t.to_bits().rotate_left(17) ^ side as u64);
    let mut lat = Lattice::new(side, t, &mut rng);
    let n = side * side;
    // Thermalise with sweeps of N flipped spins; the second half measures the mean
    // cluster size, which fixes the Wolff updates per sweep from then on (a fixed
    // count: stopping on a condition of the clusters would bias the recorded states).
    let (mut updates, mut flipped) = (0usize, 0usize);
    for i in 0..THERMALISE {
        let mut f = 0;
        while f < n {
            f += lat.wolff(&mut rng);
            if i >= THERMALISE / 2 {
                updates += 1;
            }
        }
        if i >= THERMALISE / 2 {
            flipped += f;
        }
    }
    let per_sweep = (n * updates).div_ceil(flipped.max(1)).max(1);
    let (mut es, mut ms) = (Vec::with_capacity(PILOT), Vec::with_capacity(PILOT));
    for _ in 0..PILOT {
        lat.sweep(&mut rng, per_sweep);
        let (e, m) = lat.measure();
        es.push(e);
        ms.push(m.abs());
    }
    let (tau_energy, tau_abs_m) = (tau_int(&es), tau_int(&ms));
    let spacing = ((SPACING_TAUS * tau_energy.max(tau_abs_m)).ceil() as usize).max(2);
    let row = side.div_ceil(8);
    let mut data = Vec::with_capacity(samples * (side * row + 16));
    let mut energies = Vec::with_capacity(samples);
    let mut magnetisations = Vec::with_capacity(samples);
    for _ in 0..samples {
        for _ in 0..spacing {
            lat.sweep(&mut rng, per_sweep);
        }
        if rng.next_u64() >> 63 == 1 {
            lat.bits.iter_mut().for_each(|b| *b ^= 1);
        }
        let (e, m) = lat.measure();
        energies.push(e);
        magnetisations.push(m);
        lat.write_pbm(&mut data);
    }
    Run {
        side,
        temperature: t,
        tau_energy,
        tau_abs_m,
        spacing,
        updates_per_sweep: per_sweep,
        energies,
        magnetisations,
        data,
    }
}

/// The file name of a run: `ising-{L}-T{t:.3}.pbm`.
pub fn file_name(side: usize, t: f64) -> String {
    format!("ising-{side}-T{t:.3}.pbm")
}

/// One generated file: the run at temperature `t` with its exact entropy.
pub fn generate(seed: u64, side: usize, t: f64, samples: usize) -> (Generated, Run) {
    let run = sample(seed, side, t, samples);
    let exact = Torus::new(side, t);
    let n = (side * side) as f64;
    let info: f64 = run
        .energies
        .iter()
        .map(|&e| exact.self_information(e))
        .sum();
    let g = Generated {
        name: file_name(side, t),
        data: run.data.clone(),
        entropy_bits: samples as f64 * n * exact.entropy,
        self_information_bits: info,
        description: format!(
            "2D Ising {side}x{side} torus, J=1, T={t}, {samples} configurations as PBM P4 \
             images (spin +1 = bit 0); Wolff, {} sweeps apart (tau_E = {:.2}, tau_|M| = {:.2} \
             sweeps); exact s_L = {:.8} bits/spin (Kaufman), headers not counted",
            run.spacing, run.tau_energy, run.tau_abs_m, exact.entropy
        ),
    };
    (g, run)
}

/// The default suite: [`DEFAULT_TEMPERATURES`] with `side` and `samples`.
pub fn generate_suite(seed: u64, side: usize, samples: usize) -> Vec<Generated> {
    DEFAULT_TEMPERATURES
        .iter()
        .map(|&t| generate(seed, side, t, samples).0)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn critical_temperature_literal() {
        assert_eq!(
            CRITICAL_TEMPERATURE,
            super::super::onsager::critical_temperature()
        );
    }

    #[test]
    fn pbm_layout_and_determinism() {
        let a = sample(1, 12, 2.5, 5);
        let b = sample(1, 12, 2.5, 5);
        assert_eq!(a, b);
        assert_ne!(a.data, sample(2, 12, 2.5, 5).data);
        let image = 9 + 12 * 2;
        assert_eq!(a.data.len(), 5 * image);
        for (i, img) in a.data.chunks(image).enumerate() {
            assert_eq!(&img[..9], b"P4\n12 12\n");
            // Padding bits are zero; M recomputed from the bits.
            let mut m = 0i64;
            for row in img[9..].chunks(2) {
                assert_eq!(row[1] & 0x0f, 0);
                let ones = row[0].count_ones() + row[1].count_ones();
                m += 12 - 2 * i64::from(ones);
            }
            assert_eq!(m, a.magnetisations[i]);
        }
    }

    /// The sampler's mean energy per spin is within 3 standard errors of Kaufman's exact
    /// u_L (standard error from the samples' spread, inflated by √(2τ) for what
    /// correlation is left between recorded samples).
    #[test]
    fn energy_matches_kaufman() {
        let side = 16;
        let n = (side * side) as f64;
        for &t in &[1.5, 2.0, CRITICAL_TEMPERATURE, 3.0, 4.0] {
            let run = sample(7, side, t, 3000);
            let u: Vec<f64> = run.energies.iter().map(|&e| e as f64 / n).collect();
            let s = u.len() as f64;
            let mean = u.iter().sum::<f64>() / s;
            let var = u.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (s - 1.0);
            let tau = tau_int(&run.energies);
            let se = (var * 2.0 * tau / s).sqrt();
            let exact = Torus::new(side, t).energy;
            assert!(
                (mean - exact).abs() < 3.0 * se,
                "T={t}: {mean} vs {exact} (se {se}, tau {tau}, spacing {})",
                run.spacing
            );
            assert!(tau < 1.5, "T={t}: recorded samples correlated, tau {tau}");
            // The random global flip: both signs of M are recorded.
            let up = run.magnetisations.iter().filter(|&&m| m > 0).count() as f64;
            assert!((up / s - 0.5).abs() < 0.05, "T={t}: {up} of {s} positive");
        }
    }

    #[test]
    fn tau_of_known_series() {
        // Independent draws: τ ≈ ½. A series repeating each value k times: τ ≈ k/2.
        let mut r = dist::rng(3, 0);
        let iid: Vec<i64> = (0..20000).map(|_| (r.next_u64() >> 60) as i64).collect();
        assert!((tau_int(&iid) - 0.5).abs() < 0.05);
        let rep: Vec<i64> = iid.iter().flat_map(|&v| [v; 8]).collect();
        let t = tau_int(&rep);
        assert!((t - 4.0).abs() < 0.5, "{t}");
    }
}
