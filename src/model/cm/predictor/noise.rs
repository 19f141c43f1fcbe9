//! Noise: where the model has coded a whole window no better than 8 bits a byte
//! (compressed or encrypted data, random numbers), the next bytes are coded flat, as
//! 8 bits of probability ½ each, and the model takes them into its history and its
//! match index without evaluating or learning anything else; cheap tests on those bytes
//! say when they stop looking like noise, and the full model takes over again.
//!
//! Contract ([`crate::model::BitModel::flat`]): with block flag byte 2, bit 3, the full
//! model adds each bit's cost ([`Noise::cost`]) and ends each byte with
//! [`Noise::coded`]; once a window of [`WINDOW`] bytes has cost at least [`ENTER`] per
//! byte with no match in progress, the model is *flat*. Each flat byte ends with
//! [`Noise::flat_byte`], which says whether the next is flat too: not once a match is
//! found, once the byte's order-1 and order-2 successors predicted it more than
//! [`HITS`] times in a window, once a window's byte counts are further from uniform than
//! [`SQUARES`], nor after a stretch of flat bytes ([`STRETCH_MIN`], doubling up to
//! [`STRETCH_MAX`] while each full window after one still costs [`ENTER`]), which the
//! full model codes one window of to check. Both sides run this same integer code.

/// Bytes of a window.
pub(super) const WINDOW: u32 = 4096;
/// The cost (in 1/256 bit a byte) at or above which a window is noise: 7.98 bits.
pub(super) const ENTER: u32 = 8 * 256 - 5;
/// Successor predictions (order 1 and 2 together) in a flat window that end noise: a
/// window of random bytes makes about 32 (2·4096/256, standard deviation 5.6).
const HITS: u32 = 80;
/// Σ count² over a flat window's byte values that ends noise: about 69,600 for random
/// bytes (standard deviation about 360); 74,000 is a byte distribution of Rényi entropy
/// about 7.9 bits.
const SQUARES: u32 = 74_000;
/// The first stretch of flat bytes before the full model checks, and the longest.
pub(super) const STRETCH_MIN: u32 = 64 << 10;
pub(super) const STRETCH_MAX: u32 = 1 << 20;

static COSTS: std::sync::OnceLock<Vec<u16>> = std::sync::OnceLock::new();

/// Cost in 1/256 bit of a bit coded with probability `(i << 4) + 8` / 2^16, for each `i`
/// below 4096: 256·(16 − log2 p), with log2 by repeated squaring in integers.
fn costs() -> Vec<u16> {
    (0..4096u64)
        .map(|i| {
            let p = (i << 4) + 8;
            let int = 63 - u64::from(p.leading_zeros());
            // p / 2^int in 1.32 fixed point, in [1, 2).
            let mut m = (p << 32) >> int;
            let mut frac = 0u64;
            for b in (0..8).rev() {
                m = ((u128::from(m) * u128::from(m)) >> 32) as u64;
                if m >= 2 << 32 {
                    m >>= 1;
                    frac |= 1 << b;
                }
            }
            ((16 - int) * 256 - frac) as u16
        })
        .collect()
}

/// The noise state of one block's model.
#[derive(Clone)]
#[cfg_attr(test, derive(PartialEq, Debug))]
pub(super) struct Noise {
    pub(super) on: bool,
    /// Coding flat.
    pub(super) flat: bool,
    cost_of: &'static [u16],
    /// This window's bytes and (full) their cost, in 1/256 bit.
    bytes: u32,
    cost: u32,
    /// Flat: Σ count² and successor hits of this window, the counts, each byte's last
    /// successor and each pair's.
    squares: u32,
    hits: u32,
    counts: Vec<u16>,
    after1: Vec<u8>,
    after2: Vec<u8>,
    /// Flat bytes left before the full model checks; the stretch after the next check.
    left: u32,
    stretch: u32,
}

impl Noise {
    pub(super) fn new(on: bool) -> Noise {
        let n = |len: usize| if on { len } else { 0 };
        Noise {
            on,
            flat: false,
            cost_of: COSTS.get_or_init(costs),
            bytes: 0,
            cost: 0,
            squares: 0,
            hits: 0,
            counts: vec![0; n(256)],
            after1: vec![0; n(256)],
            after2: vec![0; n(65536)],
            left: 0,
            stretch: STRETCH_MIN,
        }
    }

    /// The full model coded a bit to which it gave probability `p` (16 bits).
    #[inline]
    pub(super) fn cost(&mut self, p: u32) {
        self.cost += u32::from(self.cost_of[(p.min(65535) >> 4) as usize]);
    }

    /// The full model coded a byte; `matching`: a match is in progress. Becomes flat at
    /// the end of a window that was noise.
    #[inline]
    pub(super) fn coded(&mut self, matching: bool) {
        self.bytes += 1;
        if self.bytes < WINDOW {
            return;
        }
        if self.cost >= ENTER * WINDOW && !matching {
            self.flat = true;
            self.left = self.stretch;
            self.start_window();
        } else {
            self.stretch = STRETCH_MIN;
        }
        self.bytes = 0;
        self.cost = 0;
    }

    fn start_window(&mut self) {
        self.bytes = 0;
        self.squares = 0;
        self.hits = 0;
        self.counts.fill(0);
    }

    /// A flat byte `byte` was coded after the bytes `c2` (the last two, the latest
    /// lowest); `matching`: the match model found a match. Whether the next byte is flat.
    #[inline]
    pub(super) fn flat_byte(&mut self, byte: u8, c2: u16, matching: bool) -> bool {
        let c1 = usize::from(c2 & 0xff);
        let hits =
            u32::from(self.after1[c1] == byte) + u32::from(self.after2[usize::from(c2)] == byte);
        self.after1[c1] = byte;
        self.after2[usize::from(c2)] = byte;
        self.hits += hits;
        let n = &mut self.counts[usize::from(byte)];
        self.squares += 2 * u32::from(*n) + 1;
        *n += 1;
        self.bytes += 1;
        self.left -= 1;
        let mut more = !matching && self.hits <= HITS;
        if self.bytes == WINDOW {
            more &= self.squares < SQUARES;
            self.start_window();
        }
        if !more {
            self.stretch = STRETCH_MIN;
        } else if self.left == 0 {
            self.stretch = (self.stretch * 2).min(STRETCH_MAX);
            more = false;
        }
        if !more {
            self.flat = false;
            self.bytes = 0;
            self.cost = 0;
        }
        more
    }
}

/// Whether `block` has a window of [`WINDOW`] bytes (at a multiple of it) whose byte
/// counts look uniform (Σ count² below 72,000): where noise may pay. The encoder sets
/// the flag for such blocks only.
pub(crate) fn may_have_noise(block: &[u8]) -> bool {
    block.chunks_exact(WINDOW as usize).any(|w| {
        let mut counts = [0u32; 256];
        let mut squares = 0;
        for &b in w {
            squares += 2 * counts[usize::from(b)] + 1;
            counts[usize::from(b)] += 1;
        }
        squares < 72_000
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_are_minus_log2_p_in_256ths_of_a_bit() {
        let c = costs();
        for (i, &got) in c.iter().enumerate() {
            let p = ((i << 4) + 8) as f64 / 65536.0;
            let want = -p.log2() * 256.0;
            assert!(
                (f64::from(got) - want).abs() <= 1.01,
                "{i}: {got} vs {want}"
            );
        }
        assert_eq!(c[2048], 256);
    }

    fn random(n: usize, seed: u64) -> Vec<u8> {
        let mut x = seed;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect()
    }

    /// Random bytes stay flat for the whole stretch; a byte distribution of lower
    /// entropy, successors that repeat, or a match each end it within a window.
    #[test]
    fn flat_bytes_end_where_the_data_stops_looking_random() {
        let start = || {
            let mut n = Noise::new(true);
            n.flat = true;
            n.left = n.stretch;
            n
        };
        let run = |n: &mut Noise, data: &[u8]| {
            let mut c2 = 0u16;
            data.iter()
                .position(|&b| {
                    let more = n.flat_byte(b, c2, false);
                    c2 = (c2 << 8) | u16::from(b);
                    !more
                })
                .map(|i| i + 1)
        };
        let mut n = start();
        assert_eq!(run(&mut n, &random(1 << 20, 7)), Some(STRETCH_MIN as usize));
        assert_eq!(n.stretch, 2 * STRETCH_MIN);
        // Bytes below 200 only: Rényi entropy log2 200 = 7.64 bits.
        let skewed: Vec<u8> = random(1 << 16, 9).iter().map(|&b| b % 200).collect();
        let mut n = start();
        assert_eq!(run(&mut n, &skewed), Some(WINDOW as usize));
        assert_eq!(n.stretch, STRETCH_MIN);
        // Every byte a function of the one before (but uniform on its own).
        let mut chained = random(1 << 16, 11);
        for i in 1..chained.len() {
            if i % 4 != 0 {
                chained[i] = chained[i - 1].wrapping_mul(5).wrapping_add(1);
            }
        }
        let mut n = start();
        assert!(run(&mut n, &chained).unwrap() < 400);
        let mut n = start();
        assert!(n.flat_byte(1, 0, false));
        assert!(!n.flat_byte(2, 1, true));
        assert!(!n.flat);
    }

    #[test]
    fn blocks_with_a_uniform_window_are_flagged() {
        let mut text = b"the quick brown fox jumps over the lazy dog. ".repeat(2000);
        assert!(!may_have_noise(&text));
        assert!(!may_have_noise(&random(4095, 3)));
        text.extend(random(8192, 5));
        assert!(may_have_noise(&text));
    }
}
