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

/// The memory of one block's noise state: the byte counts and the successor tables
/// (the cost table is shared).
pub(crate) const MEMORY: usize = 256 * 2 + 256 + 65536;

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

    /// As at the block's start: primed text is learned, not coded, and does not count.
    pub(super) fn restart(&mut self) {
        self.flat = false;
        self.bytes = 0;
        self.cost = 0;
        self.left = 0;
        self.stretch = STRETCH_MIN;
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

    /// A predictor that notes which bytes it was given flat.
    struct Watch {
        p: super::super::Predictor,
        bits: usize,
        flat: Vec<usize>,
    }

    impl crate::model::BitModel for Watch {
        fn p1(&mut self) -> u32 {
            self.p.p1()
        }
        fn update(&mut self, bit: bool) {
            self.bits += 1;
            self.p.update(bit)
        }
        fn flat(&mut self) -> bool {
            self.p.flat()
        }
        fn flat_byte(&mut self, byte: u8) {
            self.flat.push(self.bits / 8);
            self.bits += 8;
            self.p.flat_byte(byte)
        }
    }

    /// The stretches of consecutive flat bytes: (first, length).
    fn stretches(flat: &[usize]) -> Vec<(usize, usize)> {
        let mut out: Vec<(usize, usize)> = Vec::new();
        for &at in flat {
            match out.last_mut() {
                Some((first, len)) if *first + *len == at => *len += 1,
                _ => out.push((at, 1)),
            }
        }
        out
    }

    /// Through the coder's loop: text, 3.2 MiB of noise, text, the start of the noise
    /// again, new noise with a piece of the first inside it. The model goes flat one
    /// window into the noise, checks after stretches of 64 KiB doubling to 1 MiB, leaves
    /// within a window of the text, never goes flat on text or on a repeat, and leaves
    /// at a repeat; a decoder given the same decisions ends in the same state.
    #[test]
    fn a_predictor_goes_flat_on_noise_and_back_and_the_decoder_follows() {
        let text = b"a model that learns from the data it codes, bit by bit. ".repeat(1800);
        let noise = random(3_300_000, 21);
        let mut data = text.clone();
        data.extend_from_slice(&noise);
        let text2_at = data.len();
        data.extend_from_slice(&text[..60_000]);
        let copy_at = data.len();
        data.extend_from_slice(&noise[..20_000]);
        let noise2_at = data.len();
        data.extend(random(200_000, 22));
        let piece_at = data.len();
        data.extend_from_slice(&noise[500_000..520_000]);
        data.extend(random(50_000, 23));
        let mut config = crate::model::cm::Config::for_level(6);
        config.noise = true;
        let watch = || Watch {
            p: super::super::Predictor::new(&config, data.len()),
            bits: 0,
            flat: Vec::new(),
        };
        let mut enc = watch();
        let mut decisions = Vec::new();
        let mut bit_at = 0usize;
        crate::coder::drive_bits(&mut enc, data.len(), |d| {
            let crate::coder::Decision::Bit(_) = d else {
                panic!("no runs without flag bit 6")
            };
            let bit = (data[bit_at / 8] >> (7 - bit_at % 8)) & 1 == 1;
            bit_at += 1;
            decisions.push(bit);
            Ok(bit)
        })
        .unwrap();
        let s = stretches(&enc.flat);
        let noise_at = text.len();
        // The first window wholly in the noise enters.
        let first = noise_at.div_ceil(WINDOW as usize) * WINDOW as usize + WINDOW as usize;
        assert_eq!(s[0].0, first, "{s:?}");
        let lens: Vec<usize> = s.iter().map(|x| x.1).collect();
        let k = 64 << 10;
        assert_eq!(lens[..6], [k, 2 * k, 4 * k, 8 * k, 16 * k, 16 * k], "{s:?}");
        // Between stretches, one window coded in full.
        for w in s[..6].windows(2) {
            assert_eq!(w[0].0 + w[0].1 + WINDOW as usize, w[1].0, "{s:?}");
        }
        // The last stretch in the noise ends within a window of the text.
        let ends: Vec<usize> = s.iter().map(|x| x.0 + x.1).collect();
        let last = s.iter().rposition(|x| x.0 < text2_at).unwrap();
        assert!(
            ends[last] > text2_at - WINDOW as usize && ends[last] <= text2_at + WINDOW as usize,
            "{s:?}"
        );
        // No flat byte in the first text, the second (after its first window) or the
        // repeated start of the noise.
        let full = text2_at + WINDOW as usize..noise2_at;
        assert!(
            enc.flat
                .iter()
                .all(|&at| at >= noise_at && !full.contains(&at)),
            "{s:?}"
        );
        assert!(copy_at > full.start);
        // The new noise goes flat, and the stretch the piece of the old one falls in ends
        // within it.
        let at_piece = s
            .iter()
            .find(|x| x.0 >= noise2_at && x.0 < piece_at && x.0 + x.1 > piece_at)
            .unwrap();
        let end = at_piece.0 + at_piece.1;
        assert!(end > piece_at && end < piece_at + 100, "{s:?}");
        // 97% of the noise was flat.
        let in_noise = enc.flat.iter().filter(|&&at| at < text2_at).count();
        assert!(in_noise * 100 > 97 * noise.len(), "{in_noise}");
        let mut dec = watch();
        let mut given = decisions.into_iter();
        let mut out = Vec::new();
        let (mut cur, mut n) = (0u8, 0);
        crate::coder::drive_bits(&mut dec, data.len(), |_| {
            let bit = given.next().expect("as many decisions");
            cur = (cur << 1) | u8::from(bit);
            n += 1;
            if n == 8 {
                out.push(cur);
                n = 0;
            }
            Ok(bit)
        })
        .unwrap();
        assert!(given.next().is_none());
        assert!(out == data, "the decoder's bytes");
        assert_eq!(dec.flat, enc.flat);
        assert!(enc.p == dec.p, "the same state on both sides");
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
