//! cm's two hottest parts on their own, for the criterion benches of `benches/cm_parts.rs`
//! (through [`crate::model::cm::parts`]): the table lookups and the mixers, driven as
//! coding drives them, with every context group the level allows turned on.

use super::{Config, Predictor};

impl Predictor {
    /// Find the slots of every hashed context of `config` for both nibbles of each byte
    /// of `data`, as coding it would, without predicting or learning anything else:
    /// the history and the context hashes follow the bytes. Returns a checksum of the
    /// slots found.
    pub(crate) fn lookups_only(config: &Config, data: &[u8]) -> u64 {
        let mut p = Predictor::new(config, data.len());
        let mut sum = 0u64;
        for &byte in data {
            p.c0 = 0x10 | u32::from(byte >> 4);
            p.bitpos = 4;
            p.find_slots();
            sum = p.slots.iter().fold(sum, |s, &x| s.wrapping_add(x as u64));
            p.c0 = 1;
            p.bitpos = 0;
            p.note_byte(byte);
            p.byte_contexts();
            p.find_slots();
            sum = p.slots.iter().fold(sum, |s, &x| s.wrapping_add(x as u64));
        }
        sum
    }

    /// The mixers of `config` (both layers, with their weight sets) mixing one bit per
    /// entry of `bits` and learning it: `inputs` holds each bit's stretched inputs, one
    /// per mixer input, and `selects` each bit's weight-set choices (modulo each
    /// set's size). Returns a checksum of the outputs.
    pub(crate) fn mixers_only(
        config: &Config,
        inputs: &[i32],
        selects: &[usize],
        bits: &[bool],
    ) -> u64 {
        let mut p = Predictor::new(config, 1);
        let lg = p.lg;
        let n = p.mixer.inputs();
        let sizes = p.mixer.sets();
        let top = p.final_mixer.sets()[0];
        // Each set's choices reduced to its size beforehand, and the inputs and choices
        // walked in turn: the loop holds the mixers' work and little else.
        let picks: Vec<Vec<usize>> = sizes
            .iter()
            .chain([&top])
            .map(|&size| selects.iter().map(|&s| s % size).collect())
            .collect();
        let mut sel = vec![0; sizes.len()];
        let mut sum = 0u64;
        let (mut xi, mut si) = (0, 0);
        for &bit in bits {
            for _ in 0..n {
                p.mixer.add(inputs[xi]);
                xi = if xi + 1 == inputs.len() { 0 } else { xi + 1 };
            }
            for (s, pick) in sel.iter_mut().zip(&picks) {
                *s = pick[si];
            }
            for &x in p.mixer.mix(lg, &sel) {
                p.final_mixer.add(x);
            }
            p.final_mixer.add(256);
            p.final_mixer.mix(lg, &[picks[sizes.len()][si]]);
            si = if si + 1 == selects.len() { 0 } else { si + 1 };
            sum = sum.wrapping_add(u64::from(p.final_mixer.p(0)));
            p.mixer.update(bit);
            p.final_mixer.update(bit);
        }
        sum
    }
}
