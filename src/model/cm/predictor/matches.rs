//! The match models: the longest earlier occurrence of the recent bytes predicts the
//! next, and for DNA the inverted repeat (the reverse complement, read backwards).

use super::mix64;
use crate::model::cm::adaptive::StateMap;
use crate::model::logistic::Logistic;
use crate::model::table::Words;

/// Match model: the longest earlier occurrence of the recent bytes predicts the next.
#[derive(Clone)]
#[cfg_attr(test, derive(PartialEq, Debug))]
pub(super) struct Match {
    pub(super) table: Words,
    pub(super) mask: usize,
    pub(super) min_len: usize,
    pub(super) ptr: usize,
    pub(super) len: usize,
    pub(super) expected: u32,
    /// The last 16 predictions, a 1 for each miss (tolerant matching only).
    pub(super) misses: u32,
    /// Misses among the last 16 predictions a match survives (0: none).
    pub(super) tolerance: u32,
    pub(super) sm: StateMap,
    pub(super) sm_index: Option<usize>,
}

impl Match {
    /// Length bucket 0..=31 (0: no match).
    #[inline]
    pub(super) fn bucket(&self) -> usize {
        match self.len {
            0 => 0,
            l if l < 16 => l,
            l => (16 + (l - 16) / 16).min(31),
        }
    }

    /// The two mixer inputs while the expected byte agrees with the bits so far
    /// (a learned probability per length and bit, and a fixed confidence), else zeros.
    #[inline]
    pub(super) fn predict(&mut self, lg: &Logistic, c0: u32, bitpos: u32) -> (i32, i32) {
        if self.expected != 0 && (self.expected >> (8 - bitpos)) == c0 {
            let bit = (self.expected >> (7 - bitpos)) & 1;
            let recent = (self.misses & 0xffff).count_ones().div_ceil(2).min(7) as usize;
            let idx = (recent * 32 + self.bucket()) * 2 + bit as usize;
            self.sm_index = Some(idx);
            let x = lg.stretch(self.sm.p(idx));
            let strength = (self.bucket() as i32 * 32).min(1024);
            (x, if bit == 1 { strength } else { -strength })
        } else {
            self.sm_index = None;
            (0, 0)
        }
    }

    /// Follow the match past the byte just coded: `agrees` when it was the expected one.
    /// Returns whether the match goes on.
    #[inline]
    pub(super) fn follow(&mut self, agrees: bool) -> bool {
        self.misses = (self.misses << 1) | u32::from(!agrees);
        if agrees {
            self.len = (self.len + 1).min(65535);
            true
        } else if self.tolerance > 0
            && self.len >= 16
            && (self.misses & 0xffff).count_ones() <= self.tolerance
        {
            true
        } else {
            self.len = 0;
            self.misses = 0;
            false
        }
    }

    /// Become `from` again (a model of the same shape) where only the index entries at
    /// `slots` were written since.
    pub(super) fn restore(&mut self, from: &Match, slots: &[u32]) {
        for &s in slots {
            self.table.set(s as usize, from.table.get(s as usize));
        }
        let Match {
            table: _,
            mask,
            min_len,
            ptr,
            len,
            expected,
            misses,
            tolerance,
            sm,
            sm_index,
        } = from;
        self.mask = *mask;
        self.min_len = *min_len;
        self.ptr = *ptr;
        self.len = *len;
        self.expected = *expected;
        self.misses = *misses;
        self.tolerance = *tolerance;
        self.sm.copy_from(sm);
        self.sm_index = *sm_index;
    }

    pub(super) fn new(bits: u32, min_len: usize, tolerance: u32) -> Match {
        Match {
            misses: 0,
            tolerance,
            table: Words::new(1 << bits),
            mask: (1 << bits) - 1,
            min_len,
            ptr: 0,
            len: 0,
            expected: 0,
            sm: StateMap::new(512, 1023, |i| if i & 1 == 1 { 60000 } else { 5536 }),
            sm_index: None,
        }
    }
}

/// DNA: the complementary base (a↔t, c↔g, either case); other bytes map to themselves.
#[inline]
fn complement(b: u8) -> u8 {
    match b {
        b'a' => b't',
        b't' => b'a',
        b'c' => b'g',
        b'g' => b'c',
        b'A' => b'T',
        b'T' => b'A',
        b'C' => b'G',
        b'G' => b'C',
        other => other,
    }
}

/// DNA repeats carry point mutations: a match on a DNA block survives while at most this
/// many of its last 16 predictions missed (once it is 16 bases long).
pub(super) const DNA_TOLERANCE: u32 = 12;

/// Inverted-repeat model for DNA: when the last `k` bases read backwards and
/// complemented occurred earlier, the strand continues as the complement of the base
/// before that occurrence, walking it backwards.
#[derive(Clone)]
#[cfg_attr(test, derive(PartialEq, Debug))]
pub(super) struct Reverse {
    /// The model state, as for forward matches (`ptr` walks backwards).
    pub(super) m: Match,
    /// The last 32 bases, 2 bits each, newest lowest.
    pub(super) forward: u64,
    /// The reverse complement of the last `k` bases, 2 bits each, newest complemented
    /// base highest.
    pub(super) reverse: u64,
}

impl Reverse {
    /// Shortest inverted repeat followed, in bases (at most 32).
    pub(super) const K: usize = 16;

    #[inline]
    pub(super) fn code(b: u8) -> u64 {
        match b.to_ascii_lowercase() {
            b'c' => 1,
            b'g' => 2,
            b't' => 3,
            _ => 0,
        }
    }

    /// Follow the strand past the last byte of `hist`; returns the index entry written.
    pub(super) fn update(&mut self, hist: &[u8]) -> Option<usize> {
        let mut written = None;
        let k = self.m.min_len;
        let pos1 = hist.len();
        let byte = hist[pos1 - 1];
        let c = Self::code(byte);
        let mask = (1u64 << (2 * k)) - 1;
        self.forward = (self.forward << 2) | c;
        self.reverse = (self.reverse >> 2) | ((3 - c) << (2 * (k - 1)));
        let m = &mut self.m;
        if m.len > 0 {
            if m.ptr > 0 && m.follow(complement(hist[m.ptr]) == byte) {
                m.ptr -= 1;
            } else {
                m.len = 0;
                m.misses = 0;
            }
        }
        if pos1 >= k {
            if m.len == 0 {
                let slot = mix64(self.reverse ^ 0x5eed) as usize & m.mask;
                let end = m.table.get(slot) as usize;
                if end > k {
                    let start = end - k;
                    // hist[start + i] must be the complement of hist[pos1 - 1 - i].
                    let mut l = 0;
                    while l < 400 && start + l < pos1 && l < pos1 {
                        if hist[start + l] != complement(hist[pos1 - 1 - l]) {
                            break;
                        }
                        l += 1;
                    }
                    if l >= k {
                        m.len = l;
                        m.ptr = start - 1;
                    }
                }
            }
            let slot = mix64((self.forward & mask) ^ 0x5eed) as usize & m.mask;
            m.table.set(slot, pos1 as u32);
            written = Some(slot);
        }
        m.expected = if m.len > 0 {
            u32::from(complement(hist[m.ptr])) | 256
        } else {
            0
        };
        written
    }
}
