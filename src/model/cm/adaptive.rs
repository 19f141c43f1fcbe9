//! Learned maps: context → probability ([`StateMap`]), probability refinement ([`Apm`]),
//! a chain of state-selected refinements ([`Chain`]), and the logistic mixer ([`Mixer`]).
//! Integer arithmetic throughout.

use super::kernels;
use crate::model::logistic::{LIMIT, Logistic};
use crate::model::table::{Words, prefetch};

/// 65536·2 / (2n + 3): the step size after n updates, 1/(n + 1.5).
fn reciprocals() -> [u32; 1024] {
    std::array::from_fn(|n| 131_072 / (2 * n as u32 + 3))
}

/// A table of adaptive probabilities, each with its own count: the n-th update moves the
/// probability 1/(n + 1.5) of the way to the bit (the running average of what was seen,
/// i.e. the sequential estimate of a Bernoulli parameter), until n reaches `limit`, after
/// which the rate stays at 1/(limit + 1.5) so old data is slowly forgotten.
///
/// Contract: `p(i)` then `update(i, bit)` with the same `i`.
#[derive(Clone)]
#[cfg_attr(test, derive(PartialEq, Debug))]
pub struct StateMap {
    /// 22-bit probability << 10 | 10-bit count; a large map's lookups are random, so it
    /// lives in the memory of a hashed table.
    t: Words,
    limit: u32,
    rec: [u32; 1024],
}

impl StateMap {
    /// `n` entries, all starting at `init(i)` (16-bit P(1)).
    pub fn new(n: usize, limit: u32, init: impl Fn(usize) -> u32) -> Self {
        StateMap {
            t: Words::from_fn(n, |i| (init(i).clamp(1, 65535) << 16) & !1023),
            limit: limit.min(1023),
            rec: reciprocals(),
        }
    }

    /// 16-bit P(1) of entry `i`.
    #[inline]
    pub fn p(&self, i: usize) -> u32 {
        self.t.get(i) >> 16
    }

    /// Start loading entry `i` ([`prefetch`]).
    #[inline]
    pub fn prefetch(&self, i: usize) {
        self.t.prefetch(i);
    }

    /// Put entry `i` back to what it is in `from` (a map of the same size).
    #[inline]
    pub fn restore_entry(&mut self, from: &StateMap, i: usize) {
        self.t.set(i, from.t.get(i));
    }

    /// Become `from` (a map of the same size) without allocating.
    pub fn copy_from(&mut self, from: &StateMap) {
        self.t.copy_from(&from.t);
        self.limit = from.limit;
    }

    /// Learn `bit` at entry `i`.
    #[inline]
    pub fn update(&mut self, i: usize, bit: bool) {
        let e = self.t.get(i);
        let n = e & 1023;
        let p = i64::from(e >> 10);
        let target = if bit { (1i64 << 22) - 1 } else { 0 };
        let p = p + (((target - p) * i64::from(self.rec[n as usize])) >> 16);
        let n = if n < self.limit { n + 1 } else { n };
        self.t.set(i, ((p as u32) << 10) | n);
    }
}

/// Adaptive probability map (secondary estimation): refines a probability given a small
/// context by interpolating between 33 learned points along the stretched axis.
///
/// Contract: `refine(p, cx)` then `update(bit)`.
#[derive(Clone)]
#[cfg_attr(test, derive(PartialEq, Debug))]
pub struct Apm {
    t: Vec<u16>,
    index: usize,
    rate: u32,
}

impl Apm {
    /// `contexts` contexts; `rate` is the shift of each update (higher: slower).
    pub fn new(contexts: usize, rate: u32, lg: &Logistic) -> Self {
        let row: Vec<u16> = (0..33).map(|j| lg.squash((j - 16) * 128) as u16).collect();
        let t = row.repeat(contexts);
        Apm { t, index: 0, rate }
    }

    /// The entry the next [`Apm::update`] writes.
    #[inline]
    pub fn index(&self) -> usize {
        self.index
    }

    /// Become `from` again (an APM of the same size) where only `entries` were
    /// updated since.
    pub fn restore(&mut self, from: &Apm, entries: &[u32]) {
        for &i in entries {
            self.t[i as usize] = from.t[i as usize];
        }
        self.index = from.index;
        self.rate = from.rate;
    }

    /// Start loading context `cx`'s row (its 66 bytes span at most two cache lines),
    /// so the miss overlaps other work before [`Apm::refine`] reads it.
    #[inline]
    pub fn prefetch(&self, cx: usize) {
        prefetch(&self.t, cx * 33);
        prefetch(&self.t, cx * 33 + 32);
    }

    /// The refined 16-bit probability of `p` in context `cx`.
    #[cfg(test)]
    #[inline]
    pub fn refine(&mut self, lg: &Logistic, p: u32, cx: usize) -> u32 {
        self.refine_stretched(lg.stretch(p), cx)
    }

    /// [`Apm::refine`] of the probability whose stretched value is `st`.
    #[inline]
    pub fn refine_stretched(&mut self, st: i32, cx: usize) -> u32 {
        let s = st + 2048; // 1..=4095
        let lo = (s >> 7) as usize;
        let w = (s & 127) as u32;
        let base = cx * 33 + lo;
        // Remember the nearer point; it is the one updated.
        self.index = base + usize::from(w >= 64);
        (u32::from(self.t[base]) * (128 - w) + u32::from(self.t[base + 1]) * w) >> 7
    }

    /// Learn `bit` at the point used last.
    #[inline]
    pub fn update(&mut self, bit: bool) {
        let t = &mut self.t[self.index];
        let target: i32 = if bit { 65535 } else { 0 };
        let v = i32::from(*t);
        *t = (v + ((target - v) >> self.rate)).clamp(16, 65519) as u16;
    }
}

/// A chain of indirect secondary estimators: link k refines the prediction of the links
/// before it by a weight pair selected by context k's bit-history state,
/// x_k = clamp(w_{k,s,0}·x_{k−1} + w_{k,s,1}·256), starting from the stretched order-0
/// prediction, each pair learned online on its own coding cost. Where a state says
/// little, its pair stays near (1, 0) and passes the prediction on; the last link's
/// output is one mixer input that has seen each of its contexts in order.
///
/// Contract per bit: `predict` then `update(bit)`.
#[derive(Clone)]
#[cfg_attr(test, derive(PartialEq, Debug))]
pub struct Chain {
    /// Weight pairs, 256 per link (one per state), 16.16 fixed point.
    w: Vec<[i32; 2]>,
    /// Per link, for the update: the pair used, its input and its output.
    at: Vec<u32>,
    input: Vec<i32>,
    output: Vec<i32>,
}

/// Largest weight magnitude of a chain link (65536 = 1): products with 12-bit inputs
/// stay in i32.
const CHAIN_LIMIT: i32 = 8 << 16;

impl Chain {
    /// A chain of `links` links, each passing its input on unchanged.
    pub fn new(links: usize) -> Chain {
        Chain {
            w: vec![[1 << 16, 0]; links * 256],
            at: vec![0; links],
            input: vec![0; links],
            output: vec![0; links],
        }
    }

    /// The chain's output (stretched, ±2047) for the stretched prediction `first` and
    /// each link's context state, in link order.
    #[inline]
    pub fn predict(&mut self, first: i32, states: impl Iterator<Item = u8>) -> i32 {
        let mut x = first;
        for (k, s) in states.enumerate() {
            let at = k * 256 + usize::from(s);
            let [w0, w1] = self.w[at];
            self.at[k] = at as u32;
            self.input[k] = x;
            x = ((w0 * x + w1 * 256) >> 16).clamp(-LIMIT, LIMIT);
            self.output[k] = x;
        }
        x
    }

    /// Each link's pair learns `bit`: w += x·err / 2^14 with the link's 16-bit error.
    #[inline]
    pub fn update(&mut self, lg: &Logistic, bit: bool) {
        let target = i32::from(bit) << 16;
        for k in 0..self.at.len() {
            let err = target - lg.squash(self.output[k]) as i32;
            let w = &mut self.w[self.at[k] as usize];
            w[0] = (w[0] + ((self.input[k] * err) >> 14)).clamp(-CHAIN_LIMIT, CHAIN_LIMIT);
            w[1] = (w[1] + (err >> 6)).clamp(-CHAIN_LIMIT, CHAIN_LIMIT);
        }
    }

    /// The number of links.
    pub fn len(&self) -> usize {
        self.at.len()
    }

    /// Become `from` (a chain of the same length) without allocating.
    pub fn copy_from(&mut self, from: &Chain) {
        self.w.copy_from_slice(&from.w);
        self.at.copy_from_slice(&from.at);
        self.input.copy_from_slice(&from.input);
        self.output.copy_from_slice(&from.output);
    }
}

/// Errors (12-bit) below this leave the weights alone, unless set with `with_skip`.
const SKIP_ERROR: i32 = 40;

/// Largest weight magnitude (65536 = 1): products with 12-bit inputs stay in i32.
const WEIGHT_LIMIT: i32 = (1 << 19) - 1;

/// Gated logistic mixers over one shared input vector: output j is
/// p_j = squash(Σ_i w_{j,s_j,i}·x_i), where s_j is the value of mixer j's selecting
/// context, so each mixer keeps one weight vector per value of its context. Weights are
/// learned online by gradient descent on coding cost: w += η·x·(bit − p_j).
///
/// Contract per bit: `add` each input (the same number every bit), `mix(selects)`,
/// then `update(bit)`.
#[derive(Clone)]
#[cfg_attr(test, derive(PartialEq, Debug))]
pub struct Mixer {
    n: usize,
    tables: Vec<Vec<i32>>,
    x: Vec<i32>,
    nx: usize,
    bases: Vec<usize>,
    dots: Vec<i32>,
    ps: Vec<u32>,
    rate: i32,
    /// Extra rate at the start, decaying as 1/(1 + updates/2^12).
    boost: i32,
    updates: u32,
    /// Errors below this leave the weights alone.
    skip: i32,
}

impl Mixer {
    /// `n` inputs; one mixer per entry of `contexts` (its number of weight vectors);
    /// learning rate `rate` (η ≈ rate/1024); weights start at `initial_weight` (65536 = 1).
    pub fn new(n: usize, contexts: &[usize], rate: i32, initial_weight: i32) -> Self {
        let k = contexts.len();
        Mixer {
            n,
            tables: contexts
                .iter()
                .map(|&c| vec![initial_weight; n * c])
                .collect(),
            x: vec![0; n],
            nx: 0,
            bases: vec![0; k],
            dots: vec![0; k],
            ps: vec![32768; k],
            rate,
            boost: 0,
            updates: 0,
            skip: SKIP_ERROR,
        }
    }

    /// The number of inputs.
    pub fn inputs(&self) -> usize {
        self.n
    }

    /// The number of weight vectors of each mixer.
    pub fn sets(&self) -> Vec<usize> {
        self.tables.iter().map(|t| t.len() / self.n).collect()
    }

    /// Learn faster at the start: the rate is `rate + boost / (1 + updates / 4096)`.
    pub fn with_boost(mut self, boost: i32) -> Self {
        self.boost = boost;
        self
    }

    /// Leave the weights alone when the (12-bit) error is below `skip` (default 40): a
    /// prediction that close teaches little, and skipping saves time.
    pub fn with_skip(mut self, skip: i32) -> Self {
        self.skip = skip;
        self
    }

    /// The weight rows the last [`Mixer::mix`] selected, one per set (the rows the next
    /// update may change).
    #[inline]
    pub fn selected(&self) -> &[usize] {
        &self.bases
    }

    /// Become `from` again (a mixer of the same shape) where only the weight rows
    /// `rows` name were updated since: entry `i` is a row of set `i % sets`.
    pub fn restore(&mut self, from: &Mixer, rows: &[u32]) {
        let k = self.tables.len();
        let n = self.n;
        for (i, &base) in rows.iter().enumerate() {
            let (j, base) = (i % k, base as usize);
            self.tables[j][base..base + n].copy_from_slice(&from.tables[j][base..base + n]);
        }
        let Mixer {
            n: _,
            tables: _,
            x,
            nx,
            bases,
            dots,
            ps,
            rate,
            boost,
            updates,
            skip,
        } = from;
        self.x.copy_from_slice(x);
        self.nx = *nx;
        self.bases.copy_from_slice(bases);
        self.dots.copy_from_slice(dots);
        self.ps.copy_from_slice(ps);
        self.rate = *rate;
        self.boost = *boost;
        self.updates = *updates;
        self.skip = *skip;
    }

    /// Add one stretched input.
    #[inline]
    pub fn add(&mut self, x: i32) {
        debug_assert!(self.nx < self.n);
        self.x[self.nx] = x;
        self.nx += 1;
    }

    /// Mix; mixer j uses weight vector `selects[j]`. Returns the stretched outputs.
    #[inline]
    pub fn mix(&mut self, lg: &Logistic, selects: &[usize]) -> &[i32] {
        debug_assert_eq!(self.nx, self.n);
        let n = self.n;
        for (j, &sel) in selects.iter().enumerate() {
            let base = sel * n;
            self.bases[j] = base;
            let w = &self.tables[j][base..base + n];
            // |x| < 2^11 and |w| < 2^19: each product fits i32 and so does the sum of the
            // products pre-shifted by 8 (for any n below 2^9).
            let dot = kernels::dot(&self.x, w);
            let d = (dot >> 8).clamp(-LIMIT, LIMIT);
            self.dots[j] = d;
            self.ps[j] = lg.squash(d);
        }
        &self.dots
    }

    /// Output `j` of the last mix as a 16-bit probability.
    #[inline]
    pub fn p(&self, j: usize) -> u32 {
        self.ps[j]
    }

    /// Train the weight vectors used last toward `bit`.
    #[inline]
    pub fn update(&mut self, bit: bool) {
        let n = self.n;
        let rate = self.rate + self.boost / (1 + (self.updates >> 12) as i32);
        self.updates = self.updates.saturating_add(1);
        for j in 0..self.tables.len() {
            let err = ((i32::from(bit) << 16) - self.ps[j] as i32) >> 4; // 12-bit error
            // A prediction this close to the bit teaches nothing worth the time.
            if err.abs() < self.skip {
                continue;
            }
            let e = err * rate;
            let base = self.bases[j];
            kernels::train(
                &mut self.tables[j][base..base + n],
                &self.x,
                e,
                WEIGHT_LIMIT,
            );
        }
        self.nx = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A naive f64 reference of the StateMap rule: p_n = running mean with prior ½ and
    /// weight 1.5. The integer map must follow it closely.
    #[test]
    fn statemap_follows_the_running_mean() {
        let mut sm = StateMap::new(1, 1023, |_| 32768);
        let mut reference = 0.5f64;
        let bits = [true, true, false, true, true, true, false, true, true, true];
        for (n, &b) in bits.iter().cycle().take(300).enumerate() {
            let got = sm.p(0) as f64 / 65536.0;
            assert!(
                (got - reference).abs() < 0.002,
                "step {n}: {got} vs {reference}"
            );
            sm.update(0, b);
            reference += (f64::from(u8::from(b)) - reference) / (n as f64 + 1.5);
        }
        assert!((sm.p(0) as f64 / 65536.0 - 0.8).abs() < 0.02);
    }

    #[test]
    fn mixer_learns_to_trust_the_good_input() {
        let lg = Logistic::new();
        let mut m = Mixer::new(2, &[1], 6, 1 << 14);
        let mut x: u32 = 1;
        let mut cost = 0.0;
        for i in 0..20000 {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let bit = x >> 31 == 1;
            // Input 0 knows the bit (p = 0.9 toward it), input 1 is noise.
            m.add(if bit { 563 } else { -563 });
            m.add(((x >> 7) & 1023) as i32 - 512);
            m.mix(&lg, &[0]);
            if i > 10000 {
                let p = m.p(0) as f64 / 65536.0;
                cost -= if bit { p.log2() } else { (1.0 - p).log2() };
            }
            m.update(bit);
        }
        assert!(cost / 9999.0 < 0.2, "{} bits/bit", cost / 9999.0);
    }

    /// A fresh chain passes its input on; a link whose state always sees a 1 learns to
    /// raise the prediction, and the other states of that link stay as they were.
    #[test]
    fn chain_starts_as_identity_and_learns_per_state() {
        let lg = Logistic::new();
        for x in [-2047, -300, 0, 5, 1200, 2047] {
            assert_eq!(Chain::new(3).predict(x, [0u8, 7, 255].into_iter()), x);
        }
        let mut c = Chain::new(2);
        let before = c.predict(0, [9u8, 4].into_iter());
        for _ in 0..500 {
            c.predict(0, [9u8, 4].into_iter());
            c.update(&lg, true);
        }
        let after = c.predict(0, [9u8, 4].into_iter());
        assert!(before == 0 && after > 1000, "{before} -> {after}");
        assert_eq!(c.predict(-100, [8u8, 3].into_iter()), -100);
        // Driven on against its input, a weight reaches its limit and stops there, and
        // the output (far beyond ±2047 unclamped) stops at the limit too.
        for _ in 0..300_000 {
            c.predict(2047, [9u8, 4].into_iter());
            c.update(&lg, false);
        }
        assert!(c.w.iter().flatten().all(|w| w.abs() <= CHAIN_LIMIT));
        assert!(c.w.iter().flatten().any(|&w| w == -CHAIN_LIMIT));
        assert_eq!(c.predict(2047, [9u8, 4].into_iter()), -LIMIT);
    }

    #[test]
    fn apm_starts_as_identity_and_learns() {
        let lg = Logistic::new();
        let mut a = Apm::new(1, 6, &lg);
        for p in [1000u32, 20000, 32768, 50000, 64000] {
            let r = a.refine(&lg, p, 0);
            assert!(
                (r as i64 - p as i64).abs() < (p.min(65536 - p) / 20 + 40) as i64,
                "{p} -> {r}"
            );
        }
        for _ in 0..2000 {
            a.refine(&lg, 32768, 0);
            a.update(true);
        }
        assert!(a.refine(&lg, 32768, 0) > 60000);
    }
}
