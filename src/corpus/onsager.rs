//! Exact thermodynamics of the 2D Ising model (square lattice, J = 1, k_B = 1, no field).
//!
//! - [`Torus`]: Kaufman's closed form of the partition function of an L×L torus
//!   (periodic in both directions), its energy and its entropy per spin.
//! - [`onsager`]: Onsager's infinite-lattice free energy, energy and entropy per spin.
//!
//! These numbers only feed the manifest and the reports (what a sample's entropy is),
//! never a decision of the sampler, so the platform's `ln`/`exp` are used freely here.
//!
//! # Kaufman's formula
//!
//! With K = β = 1/T and the dual coupling K* defined by sinh 2K · sinh 2K* = 1,
//!
//! ```text
//! Z = ½ (2 sinh 2K)^(N/2) (Z1 + Z2 + Z3 + Z4),     N = L²
//! Z1 = Π_{r odd}  2 cosh(L γ_r / 2)     Z2 = Π_{r odd}  2 sinh(L γ_r / 2)
//! Z3 = Π_{r even} 2 cosh(L γ_r / 2)     Z4 = Π_{r even} 2 sinh(L γ_r / 2)
//! ```
//!
//! with r over 0..2L (the L odd or the L even values), γ_r ≥ 0 from
//! cosh γ_r = cosh 2K cosh 2K* − cos(π r / L) = cosh 2K coth 2K − cos(π r / L), except
//! γ_0 = 2(K − K*), which changes sign at T_c: above T_c it is negative and Z4 < 0.
//! Each Z_i is held as (sign, ln |Z_i|) and the four are added as a signed log-sum, so
//! nothing overflows at low T and the near-cancellation of Z4 at T_c costs nothing.
//!
//! The energy per spin is u = −(1/N) ∂ ln Z / ∂K, computed analytically: for each factor
//! f = 2 cosh(Lγ/2) or 2 sinh(Lγ/2), ∂f/∂K = L γ' · (sinh or cosh)(Lγ/2), with
//! γ' = ∂γ/∂K = c'(K) / sinh γ for c(K) = cosh²2K / sinh 2K, c' = 2 cosh 2K (sinh²2K − 1)
//! / sinh²2K, and γ_0' = 2 + 2 / sinh 2K. The sinh factor of γ_0 (which may vanish at
//! T_c) is differentiated as a product, Z4' ∋ (Z4 / f_0) · f_0', so no 0·∞ appears. Then
//! s = (ln Z / N + K u) / ln 2 bits per spin (S = ln Z + β⟨E⟩).

use std::f64::consts::{LN_2, PI};

/// Critical temperature 2 / ln(1 + √2) = 2.269185314…
pub fn critical_temperature() -> f64 {
    2.0 / (1.0 + 2f64.sqrt()).ln()
}

/// A signed number held as (sign, ln |x|).
#[derive(Clone, Copy, Debug)]
struct Signed {
    sign: f64,
    log: f64,
}

/// Σ sign_i e^{log_i} as (sign, log), relative to the largest term.
fn signed_sum(terms: &[Signed]) -> Signed {
    let max = terms
        .iter()
        .filter(|t| t.sign != 0.0)
        .map(|t| t.log)
        .fold(f64::NEG_INFINITY, f64::max);
    if max == f64::NEG_INFINITY {
        return Signed {
            sign: 0.0,
            log: f64::NEG_INFINITY,
        };
    }
    let s: f64 = terms
        .iter()
        .filter(|t| t.sign != 0.0)
        .map(|t| t.sign * (t.log - max).exp())
        .sum();
    Signed {
        sign: s.signum(),
        log: max + s.abs().ln(),
    }
}

/// ln(2 cosh x), stable for any x.
fn ln_2cosh(x: f64) -> f64 {
    let a = x.abs();
    a + (-2.0 * a).exp().ln_1p()
}

/// ln|2 sinh x| (−∞ at 0), stable for any x.
fn ln_2sinh_abs(x: f64) -> f64 {
    let a = x.abs();
    if a == 0.0 {
        return f64::NEG_INFINITY;
    }
    // 2 sinh a = e^a (1 − e^{−2a}); for small a use the direct form.
    if a < 0.5 {
        (2.0 * a.sinh()).ln()
    } else {
        a + (-(-2.0 * a).exp()).ln_1p()
    }
}

/// Exact thermodynamics of an L×L Ising torus at one temperature.
#[derive(Clone, Copy, Debug)]
pub struct Torus {
    /// Side L.
    pub side: usize,
    /// Temperature T (J = k_B = 1).
    pub temperature: f64,
    /// ln Z.
    pub ln_z: f64,
    /// Mean energy per spin, u = ⟨E⟩ / N (E = −Σ_⟨ij⟩ s_i s_j over the 2N bonds).
    pub energy: f64,
    /// Entropy per spin, bits: (ln Z / N + u / T) / ln 2.
    pub entropy: f64,
}

impl Torus {
    /// Kaufman's solution for side `side` ≥ 2 at temperature `t` > 0.
    ///
    /// # Panics
    /// If `side < 2` or `t` is not positive and finite.
    pub fn new(side: usize, t: f64) -> Torus {
        assert!(side >= 2, "the torus needs L ≥ 2");
        assert!(t.is_finite() && t > 0.0, "temperature {t}");
        let l = side as f64;
        let n = l * l;
        let k = 1.0 / t;
        let s2k = (2.0 * k).sinh();
        let c2k = (2.0 * k).cosh();
        // K* from tanh K* = e^{−2K}: K* = atanh(e^{−2K}).
        let kstar = (-2.0 * k).exp().atanh();
        // c(K) = cosh 2K coth 2K and its derivative.
        let c = c2k * c2k / s2k;
        let dc = 2.0 * c2k * (s2k * s2k - 1.0) / (s2k * s2k);
        // Per factor: ln|f|, sign of f, and f'/f (or, for the sinh of γ_0, f' itself
        // relative to the rest of the product; see below).
        let mut z = [Signed {
            sign: 1.0,
            log: 0.0,
        }; 4];
        // Σ_r f_r'/f_r for each Z_i, excluding the γ_0 sinh factor of Z4.
        let mut dlog = [0.0f64; 4];
        // The γ_0 sinh factor of Z4: its value (sign, ln) and its derivative (sign, ln).
        let mut z4_rest = Signed {
            sign: 1.0,
            log: 0.0,
        };
        let mut f0 = Signed {
            sign: 1.0,
            log: 0.0,
        };
        let mut df0 = Signed {
            sign: 1.0,
            log: 0.0,
        };
        for r in 0..2 * side {
            let (gamma, dgamma) = if r == 0 {
                (2.0 * (k - kstar), 2.0 + 2.0 / s2k)
            } else {
                let ch = c - (PI * r as f64 / l).cos();
                let g = ch.acosh();
                (g, dc / g.sinh())
            };
            let x = l * gamma / 2.0;
            let dx = l * dgamma / 2.0;
            let (cosh_i, sinh_i) = if r % 2 == 1 { (0, 1) } else { (2, 3) };
            // cosh factor: f'/f = dx tanh x.
            z[cosh_i].log += ln_2cosh(x);
            dlog[cosh_i] += dx * x.tanh();
            // sinh factor: f'/f = dx coth x.
            let ls = ln_2sinh_abs(x);
            if r == 0 {
                f0 = Signed {
                    sign: x.signum(),
                    log: ls,
                };
                // f0' = 2 dx cosh x.
                df0 = Signed {
                    sign: dx.signum(),
                    log: ln_2cosh(x) + dx.abs().ln(),
                };
            } else {
                z[sinh_i].log += ls;
                z4_rest.log += if sinh_i == 3 { ls } else { 0.0 };
                dlog[sinh_i] += dx / x.tanh();
            }
        }
        // Z4 = f0 · rest; the other even sinh factors were added to z[3] too.
        z[3].sign = f0.sign;
        z[3].log += f0.log;
        let total = signed_sum(&z);
        assert!(total.sign > 0.0, "Z ≤ 0 at L = {side}, T = {t}");
        let prefactor = -LN_2 + n / 2.0 * (2.0 * s2k).ln();
        let ln_z = prefactor + total.log;
        // ∂ ln Z/∂K = N coth 2K + Σ_i Z_i' / Z.
        let mut terms: Vec<Signed> = (0..3)
            .filter(|&i| dlog[i] != 0.0)
            .map(|i| Signed {
                sign: z[i].sign * dlog[i].signum(),
                log: z[i].log + dlog[i].abs().ln(),
            })
            .collect();
        // Z4' = f0' · rest + Z4 · Σ_{r≠0} f_r'/f_r.
        terms.push(Signed {
            sign: df0.sign,
            log: df0.log + z4_rest.log,
        });
        if dlog[3] != 0.0 && f0.sign != 0.0 {
            terms.push(Signed {
                sign: f0.sign * dlog[3].signum(),
                log: z[3].log + dlog[3].abs().ln(),
            });
        }
        let dz = signed_sum(&terms);
        let dlnz = n * c2k / s2k + dz.sign * (dz.log - total.log).exp();
        let energy = -dlnz / n;
        let entropy = (ln_z / n + k * energy) / LN_2;
        Torus {
            side,
            temperature: t,
            ln_z,
            energy,
            entropy,
        }
    }

    /// −log2 p(σ) in bits of a configuration with energy `e` (total, not per spin):
    /// (β E + ln Z) / ln 2.
    pub fn self_information(&self, e: i64) -> f64 {
        (e as f64 / self.temperature + self.ln_z) / LN_2
    }
}

/// Onsager's infinite lattice at one temperature.
#[derive(Clone, Copy, Debug)]
pub struct Infinite {
    /// −βf: ln Z / N in the limit.
    pub ln_z_per_spin: f64,
    /// Energy per spin.
    pub energy: f64,
    /// Entropy per spin, bits.
    pub entropy: f64,
}

/// Complete elliptic integral of the first kind K(k) = π / (2 AGM(1, √(1 − k²))).
fn elliptic_k(k: f64) -> f64 {
    let mut a = 1.0f64;
    let mut b = (1.0 - k * k).max(0.0).sqrt();
    if b == 0.0 {
        return f64::INFINITY;
    }
    for _ in 0..64 {
        if (a - b).abs() <= 1e-16 * a {
            break;
        }
        let m = (a + b) / 2.0;
        b = (a * b).sqrt();
        a = m;
    }
    PI / (2.0 * a)
}

/// ∫_a^b f by adaptive Simpson to absolute tolerance `tol`.
fn simpson(f: &dyn Fn(f64) -> f64, a: f64, b: f64, tol: f64) -> f64 {
    /// One interval: its ends and midpoint as (x, f(x)), and its Simpson estimate.
    fn rec(
        f: &dyn Fn(f64) -> f64,
        (a, fa): (f64, f64),
        (m, fm): (f64, f64),
        (b, fb): (f64, f64),
        whole: f64,
        tol: f64,
        depth: u32,
    ) -> f64 {
        let (lm, rm) = ((a + m) / 2.0, (m + b) / 2.0);
        let (flm, frm) = (f(lm), f(rm));
        let left = (m - a) / 6.0 * (fa + 4.0 * flm + fm);
        let right = (b - m) / 6.0 * (fm + 4.0 * frm + fb);
        let delta = left + right - whole;
        if depth == 0 || delta.abs() <= 15.0 * tol {
            return left + right + delta / 15.0;
        }
        rec(f, (a, fa), (lm, flm), (m, fm), left, tol / 2.0, depth - 1)
            + rec(f, (m, fm), (rm, frm), (b, fb), right, tol / 2.0, depth - 1)
    }
    let m = (a + b) / 2.0;
    let (fa, fb, fm) = (f(a), f(b), f(m));
    let whole = (b - a) / 6.0 * (fa + 4.0 * fm + fb);
    rec(f, (a, fa), (m, fm), (b, fb), whole, tol, 48)
}

/// Onsager's solution at temperature `t` > 0:
///
/// ```text
/// −βf = ln(2 cosh 2K) + (1/π) ∫_0^{π/2} ln ½(1 + √(1 − κ² sin²φ)) dφ,   κ = 2 sinh 2K / cosh² 2K
/// u   = −coth 2K · [1 + (2/π)(2 tanh² 2K − 1) K(κ)]
/// ```
///
/// (the integral by adaptive Simpson to 1e-14; K(κ) by the arithmetic-geometric mean).
pub fn onsager(t: f64) -> Infinite {
    let k = 1.0 / t;
    let (s, c) = ((2.0 * k).sinh(), (2.0 * k).cosh());
    let kappa = (2.0 * s / (c * c)).min(1.0);
    let f = |phi: f64| {
        let x = kappa * phi.sin();
        (0.5 * (1.0 + (1.0 - x * x).max(0.0).sqrt())).ln()
    };
    let integral = simpson(&f, 0.0, PI / 2.0, 1e-14);
    let ln_z_per_spin = (2.0 * c).ln() + integral / PI;
    let th = s / c;
    let coef = 2.0 * th * th - 1.0;
    // At T_c the coefficient vanishes and K(κ) diverges (logarithmically): the product
    // tends to 0.
    let ek = elliptic_k(kappa);
    let singular = if coef == 0.0 || ek.is_infinite() {
        0.0
    } else {
        coef * ek
    };
    let energy = -(c / s) * (1.0 + 2.0 / PI * singular);
    Infinite {
        ln_z_per_spin,
        energy,
        entropy: (ln_z_per_spin + k * energy) / LN_2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (ln Z, ⟨E⟩/N) by enumerating all 2^(L²) states of the L×L torus.
    fn brute(side: usize, t: f64) -> (f64, f64) {
        let n = side * side;
        let k = 1.0 / t;
        let emin = -2.0 * n as f64;
        let (mut z, mut ez) = (0.0f64, 0.0f64);
        for state in 0u32..(1 << n) {
            let spin = |r: usize, c: usize| {
                if state >> ((r % side) * side + c % side) & 1 == 1 {
                    -1i32
                } else {
                    1
                }
            };
            let mut e = 0i32;
            for r in 0..side {
                for c in 0..side {
                    e -= spin(r, c) * (spin(r, c + 1) + spin(r + 1, c));
                }
            }
            let w = (-k * (f64::from(e) - emin)).exp();
            z += w;
            ez += w * f64::from(e);
        }
        (z.ln() - k * emin, ez / z / n as f64)
    }

    /// (ln Z, ⟨E⟩/N) from the row transfer matrix: Z = Tr T^L with
    /// T[a][b] = exp(K (Σ_i a_i a_{i+1} + Σ_i a_i b_i)), and
    /// ∂ ln Z/∂K = L Tr(T' T^{L−1}) / Tr T^L, T' the elementwise product of T and the
    /// exponent's coefficient. Entries are scaled by e^{−2LK} to stay in range.
    fn transfer(side: usize, t: f64) -> (f64, f64) {
        let m = 1usize << side;
        let k = 1.0 / t;
        let spin = |a: usize, i: usize| if a >> (i % side) & 1 == 1 { -1.0 } else { 1.0 };
        let mut tm = vec![0.0f64; m * m];
        let mut dt = vec![0.0f64; m * m];
        for a in 0..m {
            let horiz: f64 = (0..side).map(|i| spin(a, i) * spin(a, i + 1)).sum();
            for b in 0..m {
                let vert: f64 = (0..side).map(|i| spin(a, i) * spin(b, i)).sum();
                let e = horiz + vert;
                tm[a * m + b] = (k * (e - 2.0 * side as f64)).exp();
                dt[a * m + b] = tm[a * m + b] * e;
            }
        }
        let mul = |x: &[f64], y: &[f64]| {
            let mut out = vec![0.0f64; m * m];
            for i in 0..m {
                for l in 0..m {
                    let xv = x[i * m + l];
                    for j in 0..m {
                        out[i * m + j] += xv * y[l * m + j];
                    }
                }
            }
            out
        };
        let mut p = tm.clone(); // T^(L−1)
        for _ in 2..side {
            p = mul(&p, &tm);
        }
        let full = mul(&p, &tm);
        let tr = |x: &[f64]| (0..m).map(|i| x[i * m + i]).sum::<f64>();
        let z = tr(&full);
        let dz = side as f64 * tr(&mul(&dt, &p));
        // Undo the scaling of e^{−2LK} per factor, L factors: −2NK.
        let n = (side * side) as f64;
        let ln_z = z.ln() + 2.0 * n * k;
        // d/dK of the scaled Tr is (dlnZ − 2N)·Z_scaled; dz was computed with unscaled
        // derivative coefficients, so it is exactly Z_scaled · ∂ ln Z/∂K.
        (ln_z, -(dz / z) / n)
    }

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * a.abs().max(b.abs()).max(1e-300)
    }

    const TEMPS: [f64; 9] = [0.5, 1.0, 1.5, 2.0, 2.269185314213022, 2.3, 2.5, 3.0, 4.0];

    /// Kaufman's ln Z, energy and entropy at (side, t) against a reference ln Z and u.
    fn agrees(side: usize, t: f64, ln_z: f64, u: f64) {
        let k = Torus::new(side, t);
        assert!(
            close(k.ln_z, ln_z, 1e-12),
            "L={side} T={t}: {} vs {ln_z}",
            k.ln_z
        );
        assert!(
            close(k.energy, u, 1e-10),
            "L={side} T={t}: {} vs {u}",
            k.energy
        );
        let s = (ln_z / (side * side) as f64 + u / t) / LN_2;
        assert!(
            close(k.entropy, s, 1e-9),
            "L={side} T={t}: {} vs {s}",
            k.entropy
        );
    }

    #[test]
    fn kaufman_matches_enumeration() {
        for side in 2..=4 {
            for &t in &TEMPS {
                let (ln_z, u) = brute(side, t);
                agrees(side, t, ln_z, u);
            }
        }
    }

    #[test]
    fn kaufman_matches_transfer_matrix() {
        for side in 5..=8 {
            for &t in &[1.0, 1.5, 2.269185314213022, 2.5, 4.0] {
                let (ln_z, u) = transfer(side, t);
                agrees(side, t, ln_z, u);
            }
        }
    }

    /// The analytic derivative against a central difference of ln Z (step 1e-5 in K:
    /// truncation error ~ h² ln Z''' ≈ 1e-10 relative, rounding ~ 1e-16 / 1e-5).
    #[test]
    fn energy_is_the_derivative_of_ln_z() {
        for &side in &[16usize, 64] {
            for &t in &TEMPS {
                let h = 1e-5;
                let n = (side * side) as f64;
                let k = 1.0 / t;
                let up = Torus::new(side, 1.0 / (k + h)).ln_z;
                let down = Torus::new(side, 1.0 / (k - h)).ln_z;
                let u = -(up - down) / (2.0 * h) / n;
                let e = Torus::new(side, t).energy;
                assert!((u - e).abs() < 1e-8, "L={side} T={t}: {e} vs {u}");
            }
        }
    }

    /// ANCHORS.md's exact s_64 and Onsager's s, bits per spin, to their 5 digits.
    #[test]
    fn published_values() {
        let tc = critical_temperature();
        assert!((tc - 2.269185314213022).abs() < 1e-14);
        for (t, s64, sinf) in [
            (1.5, 0.05538, 0.05514),
            (2.0, 0.22099, 0.22075),
            (tc, 0.43619, 0.44214),
            (2.5, 0.63036, 0.63036),
            (3.0, 0.78403, 0.78403),
        ] {
            let k = Torus::new(64, t);
            assert!((k.entropy - s64).abs() < 6e-6, "T={t}: s_64 {}", k.entropy);
            let o = onsager(t);
            assert!((o.entropy - sinf).abs() < 6e-6, "T={t}: s {}", o.entropy);
        }
        // At T_c: u = −√2 exactly on the infinite lattice.
        assert!((onsager(tc).energy + 2f64.sqrt()).abs() < 1e-9);
        // Far from T_c the torus converges fast to the infinite lattice, except for the
        // choice between the two ordered phases below T_c: one bit per configuration.
        for &t in &[1.0, 1.5, 3.5, 4.0] {
            let (a, b) = (Torus::new(256, t), onsager(t));
            let phases = if t < tc { 1.0 / 65536.0 } else { 0.0 };
            let d = a.entropy - phases - b.entropy;
            assert!(d.abs() < 1e-9, "T={t}: {d}");
            assert!((a.energy - b.energy).abs() < 1e-9, "T={t}");
        }
        // Limits: ln 2 per spin at high T; the two ground states at low T.
        assert!((Torus::new(8, 1e6).entropy - 1.0).abs() < 1e-5);
        let cold = Torus::new(8, 0.05);
        assert!((cold.entropy * 64.0 - 1.0).abs() < 1e-9, "{}", cold.entropy);
    }
}
