//! Putting a used copy of a kept model back: the journal of what a block wrote, and
//! the restore that copies back only those entries.

use super::{BUCKET, Predictor};

/// What a copy of a primed model has written into its large tables since it was made
/// (or restored): [`Predictor::restore`] puts back only those entries. Kept for small
/// blocks only, so it stays small.
#[derive(Clone, Default)]
#[cfg_attr(test, derive(PartialEq, Debug))]
pub(super) struct Journal {
    /// Buckets of the shared table (their offsets over [`BUCKET`]).
    pub(super) buckets: Vec<u32>,
    /// Match index entries; the inverted-repeat model's.
    pub(super) matches: Vec<u32>,
    pub(super) reverse: Vec<u32>,
    /// Direct probabilities.
    pub(super) direct: Vec<u32>,
    /// APM entries, per APM.
    pub(super) apm: [Vec<u32>; 3],
    /// The mixers' selected weight rows, one per set for each bit.
    pub(super) mixer: Vec<u32>,
    pub(super) final_mixer: Vec<u32>,
    /// Indirect contexts written (pairs of bytes).
    pub(super) after2: Vec<u32>,
    /// Expected-byte entries.
    pub(super) expect: Vec<u32>,
    /// Pixel-template entries ([`super::pixels::Pixels::entries`]).
    pub(super) pixels: Vec<u32>,
}

impl Predictor {
    /// Whether two models are in the same state, journals aside.
    #[cfg(test)]
    pub fn same_state(&self, other: &Predictor) -> bool {
        let mut a = self.clone();
        let mut b = other.clone();
        a.journal = None;
        b.journal = None;
        a == b
    }

    /// A copy of this model that keeps a journal of what it writes, so that
    /// [`Predictor::restore`] can make it this model again cheaply.
    pub fn journaled_copy(&self) -> Predictor {
        let mut p = self.clone();
        p.journal = Some(Box::default());
        p.journal_current_slots();
        p
    }

    /// The slots found for the current nibble were found before the journal began
    /// (or restarted): the first writes go there.
    fn journal_current_slots(&mut self) {
        if let Some(j) = &mut self.journal {
            j.buckets
                .extend(self.slots.iter().map(|&s| (s / BUCKET) as u32));
        }
    }

    /// Become `from` again, the model this one is a [`Predictor::journaled_copy`] of
    /// (directly or after earlier restores): the large tables by the entries the journal
    /// lists, the rest whole. Afterwards this model predicts exactly as `from` does.
    pub fn restore(&mut self, from: &Predictor) {
        let journal = self.journal.take().expect("restore needs a journaled copy");
        for &b in &journal.buckets {
            let at = b as usize * BUCKET;
            self.table[at..at + BUCKET].copy_from_slice(&from.table[at..at + BUCKET]);
        }
        for &i in &journal.direct {
            self.direct.restore_entry(&from.direct, i as usize);
        }
        for (k, a) in self.apm.iter_mut().enumerate() {
            a.restore(&from.apm[k], &journal.apm[k]);
        }
        self.m.restore(&from.m, &journal.matches);
        if let (Some(ir), Some(from_ir)) = (&mut self.ir, &from.ir) {
            ir.m.restore(&from_ir.m, &journal.reverse);
            ir.forward = from_ir.forward;
            ir.reverse = from_ir.reverse;
        }
        if let (Some(e), Some(from_e)) = (&mut self.expect, &from.expect) {
            for &i in &journal.expect {
                e.restore_entry(from_e, i as usize);
            }
            e.restore_rest(from_e);
        }
        if let (Some(p), Some(from_p)) = (&mut self.pixels, &from.pixels) {
            p.restore(from_p, &journal.pixels);
        }
        // Every other field, named so that a new one cannot be forgotten here.
        let Predictor {
            lg,
            states,
            hist,
            c0,
            bitpos,
            c8,
            c16,
            c24,
            c32,
            word,
            word_start,
            after1,
            after2,
            prev_word,
            prev_word2,
            line_start,
            prev_line_start,
            order0,
            table: _,
            buckets,
            hashes,
            slots,
            nibble_hashes,
            loc,
            sm,
            sm_index,
            chain,
            m: _,
            ir: _,
            direct: _,
            direct_at,
            direct_mask,
            rec,
            mixer,
            selects,
            final_mixer,
            apm: _,
            pr,
            config,
            runs,
            noise,
            expect: _,
            pixels: _,
            journal: _,
        } = from;
        self.lg = lg;
        self.states = states;
        // The copy only appended to the history it shares with `from`.
        debug_assert_eq!(&self.hist[..hist.len()], &hist[..]);
        self.hist.truncate(hist.len());
        self.c0 = *c0;
        self.bitpos = *bitpos;
        self.c8 = *c8;
        self.c16 = *c16;
        self.c24 = *c24;
        self.c32 = *c32;
        self.word = *word;
        self.word_start = *word_start;
        self.after1.copy_from_slice(after1);
        for &i in &journal.after2 {
            self.after2[i as usize] = after2[i as usize];
        }
        self.prev_word = *prev_word;
        self.prev_word2 = *prev_word2;
        self.line_start = *line_start;
        self.prev_line_start = *prev_line_start;
        self.order0.copy_from_slice(order0);
        self.buckets = *buckets;
        self.hashes.copy_from_slice(hashes);
        self.slots.copy_from_slice(slots);
        self.nibble_hashes.copy_from_slice(nibble_hashes);
        self.loc.copy_from_slice(loc);
        self.sm.copy_from(sm);
        self.sm_index.copy_from_slice(sm_index);
        if let (Some(c), Some(from_c)) = (&mut self.chain, chain) {
            c.copy_from(from_c);
        }
        self.direct_at.copy_from_slice(direct_at);
        self.direct_mask = *direct_mask;
        self.rec.clone_from(rec);
        self.mixer.restore(mixer, &journal.mixer);
        self.selects.copy_from_slice(selects);
        self.final_mixer.restore(final_mixer, &journal.final_mixer);
        self.pr = *pr;
        self.runs = *runs;
        self.noise.clone_from(noise);
        debug_assert!(self.config == *config);
        let mut journal = journal;
        journal.buckets.clear();
        journal.matches.clear();
        journal.reverse.clear();
        journal.direct.clear();
        journal.apm.iter_mut().for_each(Vec::clear);
        journal.mixer.clear();
        journal.final_mixer.clear();
        journal.after2.clear();
        journal.expect.clear();
        journal.pixels.clear();
        self.journal = Some(journal);
        self.journal_current_slots();
    }
}
