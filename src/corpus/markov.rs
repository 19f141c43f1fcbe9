//! `markov2.txt`: an order-2 Markov chain over 16 printable characters.

use super::Generated;
use super::dist::{self, Dist};

/// The chain's alphabet: space, newline and 14 frequent English letters.
pub(super) const ALPHABET: &[u8; 16] = b" \netaoinshrdlcum";

const K: usize = ALPHABET.len();
const SALT: u64 = 0x3a4b_5c6d_7e8f_0004;

/// Transition weights are `u^SPARSITY + FLOOR`, `u` uniform: `u^(1/α)` is the small-α
/// limit of a Dirichlet(α) component (up to a common factor), so each row puts most of
/// its mass on a few successors; the floor keeps every transition possible, which makes
/// the chain on pairs primitive (any pair reaches any pair in exactly two steps).
pub(super) const SPARSITY: u32 = 10;
/// See [`SPARSITY`].
pub(super) const FLOOR: f64 = 1e-3;

/// Stop the power iteration when the L1 change of π is below this.
const TOLERANCE: f64 = 1e-15;
const MAX_ITERATIONS: usize = 1_000_000;

/// The chain: one transition row per pair context `a·16 + b`, and its stationary law.
pub(super) struct Markov2 {
    /// P(· | a b) for context `a·16 + b`.
    pub(super) rows: Vec<Dist>,
    /// Stationary distribution over pairs, π(ab), from power iteration.
    #[cfg_attr(not(test), allow(dead_code))] // checked by the tests
    pub(super) pi: Vec<f64>,
    /// π as a sampling distribution, for the first two symbols.
    pub(super) start: Dist,
    /// π's first-symbol marginal, for a one-symbol file.
    pub(super) first: Dist,
    /// Entropy rate h = Σ_ab π(ab) H(P(· | ab)), bits per symbol.
    pub(super) rate: f64,
    /// Power-iteration steps taken.
    #[cfg_attr(not(test), allow(dead_code))] // checked by the tests
    pub(super) iterations: usize,
}

impl Markov2 {
    pub(super) fn new(seed: u64) -> Self {
        let mut rng = dist::rng(seed, SALT);
        let rows: Vec<Dist> = (0..K * K)
            .map(|_| {
                let w: Vec<f64> = (0..K)
                    .map(|_| {
                        // u^SPARSITY by repeated multiplication (`powi` is not portable).
                        let u = dist::uniform(&mut rng);
                        (0..SPARSITY).fold(1.0, |acc, _| acc * u) + FLOOR
                    })
                    .collect();
                Dist::from_weights(&w)
            })
            .collect();
        // Power iteration on the pair chain ab → bc, starting from uniform.
        let mut pi = vec![1.0 / (K * K) as f64; K * K];
        let mut next = vec![0.0; K * K];
        let mut iterations = 0;
        while iterations < MAX_ITERATIONS {
            iterations += 1;
            next.iter_mut().for_each(|x| *x = 0.0);
            for (ab, row) in rows.iter().enumerate() {
                let b = ab % K;
                for c in 0..K {
                    next[b * K + c] += pi[ab] * row.p[c];
                }
            }
            let total: f64 = next.iter().sum();
            let mut change = 0.0;
            for (x, y) in pi.iter_mut().zip(&next) {
                let y = y / total;
                change += (y - *x).abs();
                *x = y;
            }
            if change < TOLERANCE {
                break;
            }
        }
        let rate = pi.iter().zip(&rows).map(|(p, r)| p * r.entropy()).sum();
        let start = Dist::from_weights(&pi);
        let first: Vec<f64> = (0..K)
            .map(|a| pi[a * K..(a + 1) * K].iter().sum())
            .collect();
        let first = Dist::from_weights(&first);
        Self {
            rows,
            pi,
            start,
            first,
            rate,
            iterations,
        }
    }

    /// E[−log2 p(X_1..X_n)] with (X_1, X_2) drawn from π: H(X_1, X_2) + (n − 2)·h.
    pub(super) fn entropy(&self, n: usize) -> f64 {
        match n {
            0 => 0.0,
            1 => self.first.entropy(),
            _ => self.start.entropy() + (n - 2) as f64 * self.rate,
        }
    }

    pub(super) fn generate(&self, seed: u64, n: usize) -> Generated {
        let mut rng = dist::rng(seed, SALT.rotate_left(32));
        let mut data = Vec::with_capacity(n);
        let mut info = 0.0;
        match n {
            0 => {}
            1 => {
                let a = self.first.sample(&mut rng);
                info += self.first.cost[a];
                data.push(ALPHABET[a]);
            }
            _ => {
                let ab = self.start.sample(&mut rng);
                info += self.start.cost[ab];
                let (mut a, mut b) = (ab / K, ab % K);
                data.push(ALPHABET[a]);
                data.push(ALPHABET[b]);
                for _ in 2..n {
                    let row = &self.rows[a * K + b];
                    let c = row.sample(&mut rng);
                    info += row.cost[c];
                    data.push(ALPHABET[c]);
                    (a, b) = (b, c);
                }
            }
        }
        Generated {
            name: "markov2.txt".into(),
            data,
            entropy_bits: self.entropy(n),
            self_information_bits: info,
            description: format!(
                "order-2 Markov chain over 16 characters (space, newline, 14 letters), \
                 seeded sparse transition rows, started from the stationary pair \
                 distribution; entropy rate h = {:.6} bits/byte, \
                 entropy = H(X1,X2) + (N-2)h",
                self.rate
            ),
        }
    }
}
