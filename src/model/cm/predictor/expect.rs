//! Expected bytes (block flag byte 2, bit 0): for each hashed context, the byte that
//! followed it last and how many times in a row it did. A bit history states what
//! followed a context one bit at a time, its counts discounted; this states the whole
//! byte, and how sure a run has made it, which is what a long, deterministic context
//! (source text, tables, code) knows best.
//!
//! Contract, per byte: [`Expect::learn`] the byte just coded under the contexts it
//! followed (not the bytes of a long-match run, which the model does not learn), then
//! [`Expect::locate`] the next byte's contexts (their entries start loading); per bit,
//! [`Expect::inputs`] (one mixer input per context) and [`Expect::update`]. Encoder and
//! decoder run the same integer code.

use crate::model::cm::adaptive::{Mixer, StateMap};
use crate::model::logistic::Logistic;
use crate::model::table::Words;

/// Run counts from this one up share a map entry.
const RUNS: usize = 16;
/// Map entries per context: run count, expected bit and bit position.
const PER_CONTEXT: usize = RUNS * 2 * 8;
/// Log2 of the most entries a table has.
pub(crate) const MAX_BITS: u32 = 22;

/// log2 of the entries for a block of `len` bytes and `contexts` hashed contexts: about
/// one entry per context per byte, from 2^12 to 2^[`MAX_BITS`].
pub(crate) fn table_bits(len: usize, contexts: usize) -> u32 {
    (len.max(1) * contexts.max(1))
        .next_power_of_two()
        .trailing_zeros()
        .clamp(12, MAX_BITS)
}

/// The memory of the part for `contexts` contexts and 2^`bits` entries.
pub(crate) fn memory(contexts: usize, bits: u32) -> usize {
    (4 << bits) + contexts * PER_CONTEXT * 4
}

/// Each context's expected byte and the maps that learn what it is worth.
#[derive(Clone)]
#[cfg_attr(test, derive(PartialEq, Debug))]
pub(super) struct Expect {
    /// Entries `check << 24 | byte << 16 | run`, `run` in 1..=255 (0: empty).
    table: Words,
    mask: usize,
    /// Each context's entry.
    at: Vec<usize>,
    /// What each context's entry held when it was read (0: empty or another context's).
    held: Vec<u32>,
    /// Whether `held` has been read since `locate` (the read waits for the first bit,
    /// so that the loads `locate` started overlap the byte's end).
    read: bool,
    /// The map entry each context's input came from (`usize::MAX`: none).
    used: Vec<usize>,
    sm: StateMap,
}

impl Expect {
    /// For `contexts` hashed contexts, with 2^`bits` entries.
    pub(super) fn new(contexts: usize, bits: u32) -> Expect {
        Expect {
            table: Words::new(1 << bits),
            mask: (1 << bits) - 1,
            at: vec![0; contexts],
            held: vec![0; contexts],
            read: true,
            used: vec![usize::MAX; contexts],
            sm: StateMap::new(contexts * PER_CONTEXT, 1023, |_| 32768),
        }
    }

    /// The entries [`Expect::learn`] writes are the ones [`Expect::locate`] found: a
    /// journal of these is a journal of every write to the table.
    pub(super) fn entries(&self) -> &[usize] {
        &self.at
    }

    /// Put table entry `i` back to what it is in `from`.
    pub(super) fn restore_entry(&mut self, from: &Expect, i: usize) {
        self.table.set(i, from.table.get(i));
    }

    /// Become `from` again, once the table entries written are put back.
    pub(super) fn restore_rest(&mut self, from: &Expect) {
        self.at.copy_from_slice(&from.at);
        self.held.copy_from_slice(&from.held);
        self.read = from.read;
        self.used.copy_from_slice(&from.used);
        self.sm.copy_from(&from.sm);
    }

    /// `byte` followed the located contexts, whose hashes are `hashes`.
    pub(super) fn learn(&mut self, hashes: &[u64], byte: u8) {
        for (&at, &h) in self.at.iter().zip(hashes) {
            let check = (h >> 56) as u32;
            let e = self.table.get(at);
            let same = e & 0xff != 0 && e >> 24 == check && (e >> 16) & 0xff == u32::from(byte);
            let run = if same { ((e & 0xff) + 1).min(255) } else { 1 };
            self.table
                .set(at, check << 24 | u32::from(byte) << 16 | run);
        }
    }

    /// Find the entries of the next byte's contexts, `hashes`, and start loading them.
    pub(super) fn locate(&mut self, hashes: &[u64]) {
        for (at, &h) in self.at.iter_mut().zip(hashes) {
            *at = (h >> 8) as usize & self.mask;
            self.table.prefetch(*at);
        }
        self.read = false;
    }

    /// One input per context for bit `bitpos` after the partial byte `c0` (with its
    /// leading one bit): while the context's expected byte agrees with `c0`, the learned
    /// worth of its next bit for its run count (stretched, so signed), and else 0.
    #[inline]
    pub(super) fn inputs(
        &mut self,
        lg: &Logistic,
        hashes: &[u64],
        c0: u32,
        bitpos: u32,
        mixer: &mut Mixer,
    ) {
        if !self.read {
            for ((held, &at), &h) in self.held.iter_mut().zip(&self.at).zip(hashes) {
                let e = self.table.get(at);
                *held = if e & 0xff != 0 && e >> 24 == (h >> 56) as u32 {
                    e & 0x00ff_ffff
                } else {
                    0
                };
            }
            self.read = true;
        }
        let bitpos = bitpos as usize;
        for (i, (&e, used)) in self.held.iter().zip(&mut self.used).enumerate() {
            let byte = (e >> 16) | 256;
            if e != 0 && byte >> (8 - bitpos) == c0 {
                let bit = ((byte >> (7 - bitpos)) & 1) as usize;
                let run = (e & 0xff) as usize;
                let idx = i * PER_CONTEXT + ((run.min(RUNS) - 1) * 2 + bit) * 8 + bitpos;
                *used = idx;
                mixer.add(lg.stretch12(self.sm.p(idx)));
            } else {
                *used = usize::MAX;
                mixer.add(0);
            }
        }
    }

    /// The maps the last inputs came from learn `bit`.
    pub(super) fn update(&mut self, bit: bool) {
        for &idx in &self.used {
            if idx != usize::MAX {
                self.sm.update(idx, bit);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A context's entry counts the run of one following byte, starts again at 1 for
    /// another byte, stays at 255, and a context whose check differs reads nothing.
    #[test]
    fn runs_count_restart_and_saturate() {
        let mut e = Expect::new(1, 12);
        let h = [0xab00_0000_0000_1200u64];
        for _ in 0..300 {
            e.locate(&h);
            e.learn(&h, b'x');
        }
        e.locate(&h);
        let at = e.entries()[0];
        assert_eq!(e.table.get(at), 0xab << 24 | u32::from(b'x') << 16 | 255);
        e.learn(&h, b'y');
        assert_eq!(e.table.get(at) & 0xff_ffff, u32::from(b'y') << 16 | 1);
        e.learn(&h, b'y');
        assert_eq!(e.table.get(at) & 0xff, 2);
        // Another context in the same entry: its check differs, so it is not expected.
        let other = [0xcd00_0000_0000_1200u64];
        let lg = Logistic::new();
        let mut m = Mixer::new(1, &[1], 6, 8192);
        e.locate(&other);
        e.inputs(&lg, &other, 1, 0, &mut m);
        assert_eq!(e.held[0], 0);
        assert_eq!(e.used[0], usize::MAX);
        e.learn(&other, b'z');
        assert_eq!(e.table.get(at), 0xcd << 24 | u32::from(b'z') << 16 | 1);
    }

    /// While a context's expected byte agrees with the partial byte, its input comes
    /// from the map entry of its run, next bit and position, and the map learns there;
    /// once a bit disagrees, the input is 0 for the rest of the byte.
    #[test]
    fn inputs_follow_the_expected_byte_until_it_disagrees() {
        let mut e = Expect::new(2, 12);
        let h = [0x1100_0000_0000_0100u64, 0x2200_0000_0000_0200];
        let lg = Logistic::new();
        for _ in 0..3 {
            e.locate(&h);
            e.learn(&h, 0b1010_0000);
        }
        e.locate(&h);
        let mut m = Mixer::new(2, &[1], 6, 8192);
        // Bit 0 of 0b1010_0000 is 1, after run 3: entry ((3 − 1) · 2 + 1) · 8 + 0.
        e.inputs(&lg, &h, 1, 0, &mut m);
        assert_eq!(e.used, [(2 * 2 + 1) * 8, PER_CONTEXT + (2 * 2 + 1) * 8]);
        let before = e.sm.p(e.used[0]);
        e.update(true);
        assert!(
            e.sm.p((2 * 2 + 1) * 8) > before,
            "the map learns the agreeing bit"
        );
        // Bit 1 (0) after the partial byte 1: entry ((3 − 1) · 2 + 0) · 8 + 1.
        let mut m = Mixer::new(2, &[1], 6, 8192);
        e.inputs(&lg, &h, 0b11, 1, &mut m);
        assert_eq!(e.used, [(2 * 2) * 8 + 1, PER_CONTEXT + (2 * 2) * 8 + 1]);
        // The partial byte 0b10 + 1 (a 1 where 0 was expected): no input.
        let mut m = Mixer::new(2, &[1], 6, 8192);
        e.inputs(&lg, &h, 0b111, 2, &mut m);
        assert_eq!(e.used, [usize::MAX, usize::MAX]);
    }
}
