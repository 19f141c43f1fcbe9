//! A fitted mixture as the coder runs it: π and the components as 16-bit tables, the
//! posterior q(m | segment) computed bit-exactly on both sides, and bits-back coding
//! of each segment ([`LatentModel`]).

use super::{MAX_COMPONENTS, Segment};
use crate::error::{Error, Result};
use crate::format::varint;
use crate::model::iid::write_table;
use crate::model::{Categorical, LatentModel, ONE};

/// Bits the naive tail puts on the stack before bits-back starts.
const INITIAL_BITS: f64 = 64.0;

/// A fitted mixture, as the coder uses it.
pub(super) struct Fitted {
    /// π as 16-bit frequencies.
    pub(super) prior_freq: [u32; 256],
    pub(super) prior: Categorical,
    pub(super) components: Vec<Categorical>,
    pub(super) segment: Segment,
    pub(super) naive_from: usize,
    /// One component, coded as two copies of it under π = [ONE − 1, 1] (a prior needs two
    /// values); only the one table is stored.
    pub(super) single: bool,
}

impl Fitted {
    /// One component: stored as its table alone.
    pub(super) fn single(
        component: Categorical,
        segment: Segment,
        naive_from: usize,
    ) -> Result<Self> {
        let mut prior_freq = [0u32; 256];
        prior_freq[0] = ONE - 1;
        prior_freq[1] = 1;
        let mut model = Fitted::new(
            prior_freq,
            vec![component.clone(), component],
            segment,
            naive_from,
        )?;
        model.single = true;
        Ok(model)
    }

    /// The stored parameters: M − 1, where the naive tail starts, then π (unless there is
    /// one component) and each component's table.
    pub(super) fn write_params(&self, out: &mut Vec<u8>) {
        let stored = if self.single {
            1
        } else {
            self.components.len()
        };
        out.push((stored - 1) as u8);
        varint::write(out, self.naive_from as u64);
        if !self.single {
            write_table(&self.prior_freq, out);
        }
        for c in &self.components[..stored] {
            write_table(c.frequencies(), out);
        }
    }

    pub(super) fn new(
        prior_freq: [u32; 256],
        components: Vec<Categorical>,
        segment: Segment,
        naive_from: usize,
    ) -> Result<Self> {
        let first = components[0].frequencies();
        // Every component must be able to code every byte any other one can: the
        // posterior may pick any of them.
        if components
            .iter()
            .any(|c| (0..256).any(|b| (c.frequencies()[b] == 0) != (first[b] == 0)))
        {
            return Err(Error::bad_params(
                "mixture components cover different bytes",
            ));
        }
        Ok(Fitted {
            prior: Categorical::from_frequencies(prior_freq)?.with_lookup(),
            prior_freq,
            components,
            segment,
            naive_from,
            single: false,
        })
    }
}

impl LatentModel for Fitted {
    fn prior(&self) -> &Categorical {
        &self.prior
    }

    /// q(m | segment) ∝ π_m Π p_m(x_i) from the 16-bit tables, with IEEE basic
    /// operations only, so encoder and decoder get the same table on every machine;
    /// every component keeps frequency ≥ 1.
    fn posterior(&self, segment: &[u8]) -> Categorical {
        let m = self.components.len();
        let mut w = [0f64; MAX_COMPONENTS];
        for (z, wz) in w.iter_mut().enumerate().take(m) {
            *wz = f64::from(self.prior_freq[z]) / f64::from(ONE);
        }
        const SMALL: f64 = 1.0 / (1u64 << 62) as f64 / (1u64 << 62) as f64; // 2^-124
        const LIFT: f64 = ((1u64 << 62) as f64) * ((1u64 << 62) as f64); // 2^124
        for &b in segment {
            let mut top = 0.0f64;
            for (z, wz) in w.iter_mut().enumerate().take(m) {
                *wz *= f64::from(self.components[z].frequency(b)) / f64::from(ONE);
                top = top.max(*wz);
            }
            if top < SMALL {
                for wz in w.iter_mut().take(m) {
                    *wz *= LIFT;
                }
            }
        }
        let total: f64 = w[..m].iter().sum();
        let mut freq = [0u32; 256];
        let spare = f64::from(ONE - m as u32);
        let mut sum = 0;
        let mut best = 0;
        for z in 0..m {
            freq[z] = (w[z] / total * spare).floor() as u32 + 1;
            sum += freq[z];
            if w[z] > w[best] {
                best = z;
            }
        }
        freq[best] += ONE - sum;
        Categorical::from_frequencies(freq).expect("posterior table is valid")
    }

    fn likelihood(&self, z: u8, _prefix: &[u8]) -> &Categorical {
        &self.components[usize::from(z)]
    }

    fn segment_ends(&self, segment: &[u8]) -> bool {
        self.segment.ends(segment)
    }

    fn naive_from(&self) -> usize {
        self.naive_from
    }

    fn components(&self) -> usize {
        if self.single {
            1
        } else {
            self.components.len()
        }
    }
}

/// Where the naive tail starts: the last segments of the block, as many as it takes to
/// put `INITIAL_BITS` on the stack (all of them if the block is shorter).
pub(super) fn naive_tail(model: &Fitted, block: &[u8]) -> usize {
    let cuts = model.segment.cuts(block);
    let mut bits = 0.0;
    for w in cuts.windows(2).rev() {
        let seg = &block[w[0]..w[1]];
        let q = model.posterior(seg);
        let f = q.frequencies();
        let z = (0..model.components.len()).fold(0, |b, z| if f[z] > f[b] { z } else { b });
        bits += model.prior.cost_bits(z as u8);
        bits += seg
            .iter()
            .map(|&b| model.components[z].cost_bits(b))
            .sum::<f64>();
        if bits >= INITIAL_BITS {
            return w[0];
        }
    }
    0
}
