//! The grid model's mixers: a few logistic mixers over one vector of template
//! estimates, each with weight sets chosen by a context.

use crate::model::logistic::Logistic;

/// Logistic mixers over one input vector, each with weight sets selected by a context;
/// weights (2^32 = 1) learn w += η x (bit − p), rounded to nearest, with η decaying
/// per weight set from `hi` to `lo` (η = rate / 2^16 per nat of input).
pub(super) struct Mixer {
    pub(super) n: usize,
    pub(super) w: Vec<Vec<i64>>,
    pub(super) seen: Vec<Vec<u32>>,
    pub(super) x: Vec<i32>,
    pub(super) sel: Vec<usize>,
    pub(super) dot: Vec<i32>,
    pub(super) p: Vec<u32>,
}

/// Mixer learning rates: from `RATE_HI` for a new weight set down to `RATE_LO`, halfway
/// after `DECAY` updates. Inputs near ±5 nats (low temperatures) make every step large,
/// so the settled rate is small.
const RATE_LO: i64 = 16;
const RATE_HI: i64 = 400;
const DECAY: i64 = 4096;

impl Mixer {
    pub(super) fn new(n: usize, sets: &[usize], init: i64) -> Mixer {
        Mixer {
            n,
            w: sets.iter().map(|&s| vec![init; s * n]).collect(),
            seen: sets.iter().map(|&s| vec![0; s]).collect(),
            x: vec![0; n],
            sel: vec![0; sets.len()],
            dot: vec![0; sets.len()],
            p: vec![32768; sets.len()],
        }
    }

    pub(super) fn mix(&mut self, lg: &Logistic, sel: &[usize]) {
        for (j, &s) in sel.iter().enumerate() {
            self.sel[j] = s;
            let w = &self.w[j][s * self.n..(s + 1) * self.n];
            let dot: i64 = self
                .x
                .iter()
                .zip(w)
                .map(|(&x, &w)| (i64::from(x) * w) >> 16)
                .sum();
            let d = (dot >> 16).clamp(-2047, 2047) as i32;
            self.dot[j] = d;
            self.p[j] = lg.squash(d);
        }
    }

    pub(super) fn update(&mut self, bit: bool) {
        let (lo, hi) = (RATE_LO, RATE_HI);
        for j in 0..self.w.len() {
            let s = self.sel[j];
            let err = (i64::from(bit) << 16) - i64::from(self.p[j]);
            let seen = &mut self.seen[j][s];
            let rate = lo + (hi - lo) * DECAY / (DECAY + i64::from(*seen));
            *seen = seen.saturating_add(1);
            let w = &mut self.w[j][s * self.n..(s + 1) * self.n];
            for (w, &x) in w.iter_mut().zip(&self.x) {
                let d = (i64::from(x) * err * rate + (1 << 7)) >> 8;
                *w = (*w + d).clamp(-(1 << 38), 1 << 38);
            }
        }
    }
}
