//! Long-match runs: when the match model has predicted every byte of a long stretch,
//! the next [`RUN`] bytes it predicts are coded as one decision (they come, or not),
//! so redundant data (zeros, a repeated file) costs one decision per run instead of a
//! full model evaluation per bit.
//!
//! Contract ([`crate::model::BitModel::run`]): at a byte boundary, once the match has
//! held for [`RUN_FROM`] bytes, `run` states the next bytes (the match's continuation,
//! copied the way an LZ77 match overlaps itself) and P(hit) from an adaptive
//! probability per length bucket; `run_result` learns the outcome, and on a hit the
//! model takes the bytes into its history without learning them (its tables, maps,
//! mixers and the match index are not updated for them). A miss ends the credit: the
//! match must hold [`RUN_FROM`] bytes again before the next run. Both sides run this
//! same integer code.

use super::Predictor;

/// Bytes coded by one run decision (fewer at the block's end).
pub(super) const RUN: usize = 256;
/// Bytes the match must have predicted right in a row before a run is tried (below
/// this, runs cost more than they save on the corpora: the model stops learning where
/// the matches of text and images still end early).
pub(super) const RUN_FROM: usize = 512;
/// Buckets of the hit probability: ⌊log2 credit⌋, 9..=20.
const BUCKETS: usize = 21;
/// 1.0 for the hit probabilities.
const P_ONE: u32 = 1 << 22;
/// Most updates a bucket's rate counts down from: the rate settles at 1/LIMIT.
const LIMIT: u32 = 1023;

/// The run state of one block's model.
#[derive(Clone, Copy)]
#[cfg_attr(test, derive(PartialEq, Debug))]
pub(super) struct Runs {
    pub(super) on: bool,
    /// Bytes the match has predicted right in a row (since it was found, with the length
    /// it was found with, or since a run missed).
    pub(super) credit: usize,
    /// P(hit) per bucket (2^22 = 1) and its update count.
    p: [u32; BUCKETS],
    n: [u32; BUCKETS],
    /// The bucket of the run stated last.
    asked: usize,
}

impl Runs {
    pub(super) fn new(on: bool) -> Runs {
        Runs {
            on,
            credit: 0,
            p: [P_ONE / 2; BUCKETS],
            n: [0; BUCKETS],
            asked: 0,
        }
    }

    fn bucket(&self) -> usize {
        (self.credit.max(1).ilog2() as usize).min(BUCKETS - 1)
    }

    fn learn(&mut self, hit: bool) {
        let b = self.asked;
        let target = if hit { i64::from(P_ONE) } else { 0 };
        let p = i64::from(self.p[b]);
        let n = i64::from(self.n[b]);
        // An average over the first outcomes, then a moving one.
        self.p[b] = (p + (target - p) * 2 / (2 * n + 3)).clamp(0, i64::from(P_ONE)) as u32;
        self.n[b] = (self.n[b] + 1).min(LIMIT);
    }
}

impl Predictor {
    /// The next bytes the match predicts (at most `left` and [`RUN`]) and P(they come)
    /// in 2^-16, once the match has held for [`RUN_FROM`] bytes; else `None`.
    pub fn run(&mut self, left: usize, run: &mut Vec<u8>) -> Option<u32> {
        if !self.runs.on || self.m.len == 0 || self.runs.credit < RUN_FROM || self.bitpos != 0 {
            return None;
        }
        let pos = self.hist.len();
        let ptr = self.m.ptr;
        debug_assert!(ptr < pos);
        for i in 0..RUN.min(left) {
            let j = ptr + i;
            run.push(if j < pos { self.hist[j] } else { run[j - pos] });
        }
        self.runs.asked = self.runs.bucket();
        Some((self.runs.p[self.runs.asked] >> 6).clamp(1, 65535))
    }

    /// Learn whether the run came; on a hit, take its bytes into the history and move
    /// the match past them.
    pub fn run_result(&mut self, hit: bool, run: &[u8]) {
        self.runs.learn(hit);
        if !hit {
            self.runs.credit = 0;
            return;
        }
        for &b in run {
            self.note_byte(b);
        }
        let m = &mut self.m;
        m.ptr += run.len();
        m.len = (m.len + run.len()).min(65535);
        m.misses = m.misses.checked_shl(run.len() as u32).unwrap_or(0);
        m.expected = u32::from(self.hist[m.ptr]) | 256;
        self.runs.credit += run.len();
        self.byte_contexts();
        self.find_slots();
    }
}

#[cfg(test)]
mod tests {
    use super::super::Predictor;
    use crate::coder::{Decision, drive_bits};
    use crate::model::cm::{Bits, Config};

    /// Copies of a random record with a byte changed every 600 to 1,500 bytes.
    fn near_repeats() -> Vec<u8> {
        let mut x = 0x1234_5678_9abc_def1u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let base: Vec<u8> = (0..8192).map(|_| next() as u8).collect();
        let mut data = Vec::new();
        for copy in 0..40 {
            let mut rec = base.clone();
            let mut at = (copy * 131) % 700;
            while at < rec.len() {
                rec[at] ^= 0x5a;
                at += 600 + next() as usize % 900;
            }
            data.extend_from_slice(&rec);
        }
        data
    }

    #[test]
    fn runs_hit_and_miss_and_the_decoder_follows() {
        let mut config = Config::for_level(6);
        config.runs = true;
        let data = near_repeats();
        let mut enc = Bits(Predictor::new(&config, data.len()));
        let (mut hits, mut misses, mut decisions) = (0, 0, Vec::new());
        let (mut at, mut pos) = (0usize, 0u32);
        drive_bits(&mut enc, data.len(), |d| {
            let bit = match d {
                Decision::Bit(_) => {
                    let bit = (data[at] >> (7 - pos)) & 1 == 1;
                    pos += 1;
                    if pos == 8 {
                        (at, pos) = (at + 1, 0);
                    }
                    bit
                }
                Decision::Run(_, run) => {
                    let hit = data[at..].starts_with(run);
                    if hit {
                        at += run.len();
                        hits += 1;
                    } else {
                        misses += 1;
                    }
                    hit
                }
            };
            decisions.push(bit);
            Ok(bit)
        })
        .unwrap();
        assert!(hits >= 20 && misses >= 5, "{hits} hits, {misses} misses");
        // A decoder given the same decisions rebuilds the bytes and ends in the same state.
        let mut dec = Bits(Predictor::new(&config, data.len()));
        let mut given = decisions.into_iter();
        let (mut out, mut cur, mut bits) = (Vec::new(), 0u8, 0);
        drive_bits(&mut dec, data.len(), |d| {
            let bit = given.next().expect("as many decisions");
            match d {
                Decision::Bit(_) => {
                    cur = (cur << 1) | u8::from(bit);
                    bits += 1;
                    if bits == 8 {
                        out.push(cur);
                        bits = 0;
                    }
                }
                Decision::Run(_, run) if bit => out.extend_from_slice(run),
                Decision::Run(..) => {}
            }
            Ok(bit)
        })
        .unwrap();
        assert_eq!(out, data);
        assert!(given.next().is_none());
        assert!(enc.0 == dec.0, "the same state on both sides");
    }
}
