//! `mixture`: a latent-variable model fitted by EM and coded with bits-back.
//!
//! The block is cut into segments (lines, or fixed-size pieces) and each segment is
//! modelled as drawn from one of M i.i.d. byte distributions:
//! p(segment) = Σ_m π_m Π_i p_m(x_i).
//!
//! **Fit** (encoder only): a seeded k-means++ choice of M segments starts the
//! components (each the segment's byte histogram blended with the block's); EM then
//! alternates the E-step (responsibilities r_sm = q(m | segment s), an `ndarray` matrix)
//! and the M-step (π and the components re-estimated with a Dirichlet prior, so no byte
//! of the block gets probability zero). M is given or chosen (`auto`) by total
//! description length: −log2 p(x) under the quantized model plus the parameters' bits.
//!
//! **Coding** ([`LatentModel`]): for each segment, the encoder *decodes* m from the ANS
//! stack with the posterior q(m | segment), *encodes* the segment with component m, and
//! *encodes* m with π; the net cost is −log2 p(segment) + KL(q ‖ p(m | segment)), the
//! negative ELBO — here q is the exact posterior up to 16-bit quantization. The decoder
//! reproduces q exactly: it is computed from the stored 16-bit tables with IEEE basic
//! operations only (products, exact power-of-two rescaling, one division and `floor`).
//! The stack starts empty, so the segments the encoder meets first (the block's last
//! ones) are coded naively until they have put 64 bits on the stack; their cost over
//! bits-back is the report's `initial_bits`. With bits-back off, every segment is naive.
//!
//! **Parameters** per block: M − 1 (one byte; 255: a block of one repeated byte follows),
//! where the naive segments start (varint), then π (when M > 1) and the M components as
//! i.i.d. tables.
//! **Memory**: the responsibilities (4·M bytes per segment) while fitting; the tables
//! and a 64 KiB decoding lookup per component while coding.

use ndarray::Array2;
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

use super::iid::{quantize, read_table, write_table};
use super::{Categorical, LatentModel, Model, ONE, Predictor, ids};
use crate::error::{Error, Result};
use crate::format::varint;

/// Most components a block may use.
pub const MAX_COMPONENTS: usize = 16;
/// Longest fixed segment, in bytes.
pub const MAX_SEGMENT: usize = 1 << 16;
/// A line segment also ends after this many bytes without a newline.
const MAX_LINE: usize = 4096;
/// Bits the naive tail puts on the stack before bits-back starts.
const INITIAL_BITS: f64 = 64.0;
/// M tried by `auto`, in order; the search stops once two in a row do not improve.
/// (M = 1 is the i.i.d. model, coded as a two-component mixture that never uses its
/// second component.)
const CANDIDATES: &[usize] = &[1, 2, 3, 4, 6, 8, 12, 16];
/// Most EM iterations per fit.
const ITERATIONS: usize = 30;
/// Segments the choice of M looks at.
const SAMPLE: usize = 8192;
/// Dirichlet pseudo-count per byte of the block, per component.
const ALPHA: f64 = 0.02;
/// Seed of the k-means++ initialisation.
const SEED: u64 = 0x6b72_6166_745f_6d78;

/// How a block is cut into segments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Segment {
    /// Newline-terminated records (also ended after 4096 bytes).
    Lines,
    /// Pieces of this many bytes (1..=65536); the last may be shorter.
    Fixed(usize),
}

impl Segment {
    fn ends(self, segment: &[u8]) -> bool {
        match self {
            Segment::Lines => segment.last() == Some(&b'\n') || segment.len() >= MAX_LINE,
            Segment::Fixed(n) => segment.len() >= n,
        }
    }

    /// Start offsets of the segments of `data`, and `data.len()` at the end.
    fn cuts(self, data: &[u8]) -> Vec<usize> {
        let mut cuts = vec![0];
        let mut start = 0;
        for i in 0..data.len() {
            if self.ends(&data[start..=i]) {
                start = i + 1;
                cuts.push(start);
            }
        }
        if start < data.len() {
            cuts.push(data.len());
        }
        cuts
    }
}

/// The mixture model's settings: segmentation, number of components (`None`: chosen per
/// block), and whether bits-back is on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mixture {
    segment: Segment,
    components: Option<usize>,
    bits_back: bool,
}

impl Default for Mixture {
    fn default() -> Self {
        Mixture {
            segment: Segment::Lines,
            components: None,
            bits_back: true,
        }
    }
}

impl Mixture {
    /// A mixture model.
    ///
    /// # Errors
    /// [`Error::InvalidOption`] for a fixed segment outside 1..=65536 bytes or a
    /// component count outside 1..=16.
    pub fn new(segment: Segment, components: Option<usize>, bits_back: bool) -> Result<Self> {
        if let Segment::Fixed(n) = segment {
            if !(1..=MAX_SEGMENT).contains(&n) {
                return Err(Error::InvalidOption(format!(
                    "segment size {n} (must be 1 to {MAX_SEGMENT} bytes)"
                )));
            }
        }
        if let Some(m) = components {
            if !(1..=MAX_COMPONENTS).contains(&m) {
                return Err(Error::InvalidOption(format!(
                    "{m} components (must be 1 to {MAX_COMPONENTS})"
                )));
            }
        }
        Ok(Mixture {
            segment,
            components,
            bits_back,
        })
    }

    /// Rebuild from the stream header's settings.
    ///
    /// # Errors
    /// [`Error::Corrupt`] for settings this version does not write.
    pub fn from_settings(settings: &[u8]) -> Result<Self> {
        let bad = || Error::bad_params("mixture settings are not valid");
        let mut input = settings;
        let (&kind, rest) = input.split_first().ok_or_else(bad)?;
        input = rest;
        let segment = match kind {
            0 => Segment::Lines,
            1 => {
                let n = varint::read(&mut input)?;
                Segment::Fixed(usize::try_from(n).map_err(|_| bad())?)
            }
            _ => return Err(bad()),
        };
        let [m, b] = input else {
            return Err(bad());
        };
        let components = match *m {
            0 => None,
            m => Some(usize::from(m)),
        };
        let bits_back = match *b {
            0 => false,
            1 => true,
            _ => return Err(bad()),
        };
        Mixture::new(segment, components, bits_back).map_err(|_| bad())
    }
}

impl Mixture {
    /// The fitted model stored in parameters after `M − 1` (`m1`) and the naive offset:
    /// π (unless one component) and the M tables.
    fn tables(&self, m1: u8, mut input: &[u8], naive_from: usize) -> Result<Fitted> {
        let m = usize::from(m1) + 1;
        if m > MAX_COMPONENTS {
            return Err(Error::bad_params("mixture has too many components"));
        }
        let prior_freq = if m == 1 {
            [0; 256]
        } else {
            read_table(&mut input)?
        };
        if m > 1 && (prior_freq[m..].iter().any(|&f| f != 0) || prior_freq[..m].contains(&0)) {
            return Err(Error::bad_params("mixture prior does not match its size"));
        }
        let mut components = Vec::with_capacity(m);
        for _ in 0..m {
            components.push(Categorical::from_frequencies(read_table(&mut input)?)?.with_lookup());
        }
        if !input.is_empty() {
            return Err(Error::bad_params("trailing bytes after the mixture tables"));
        }
        if m == 1 {
            Fitted::single(components.remove(0), self.segment, naive_from)
        } else {
            Fitted::new(prior_freq, components, self.segment, naive_from)
        }
    }
}

/// A mixture fitted once to a prior's samples (over every byte value, so that any
/// record can be coded): each block is coded with its π and components, and its
/// parameters are only where the naive tail starts.
#[derive(Clone, Debug)]
pub(crate) struct Trained {
    mixture: Mixture,
    /// `M − 1`, then π (unless one component) and the M tables, as a block's
    /// parameters hold them after the naive offset.
    tables: Vec<u8>,
}

impl Trained {
    /// Fit to `samples` (each cut into segments on its own) with `mixture`'s settings;
    /// returns the prior body: the settings (length first), then the tables.
    pub(crate) fn train(samples: &[&[u8]], mixture: &Mixture) -> Result<Vec<u8>> {
        let mut block = Vec::new();
        let mut cuts = vec![0];
        for s in samples {
            for w in mixture.segment.cuts(s).windows(2) {
                cuts.push(block.len() + w[1]);
            }
            block.extend_from_slice(s);
        }
        if block.is_empty() {
            // No samples: one segment of every byte value once.
            block = (0..=255).collect();
            cuts = vec![0, 256];
        }
        let present = [true; 256];
        let m = match mixture.components {
            Some(m) => m,
            None => choose_components(&block, &cuts, &present, mixture.segment),
        };
        let fitted =
            em(&block, &cuts, &present, m.min(cuts.len() - 1)).into_model(mixture.segment)?;
        let mut params = Vec::new();
        fitted.write_params(&mut params);
        // Drop the naive offset the block parameters would carry after M − 1.
        let mut rest = &params[1..];
        varint::read(&mut rest)?;
        let settings = mixture.settings();
        let mut body = Vec::new();
        varint::write(&mut body, settings.len() as u64);
        body.extend_from_slice(&settings);
        body.push(params[0]);
        body.extend_from_slice(rest);
        Ok(body)
    }

    /// The model a prior body holds.
    ///
    /// # Errors
    /// [`Error::Corrupt`] for a body that is not one [`Trained::train`] writes.
    pub(crate) fn from_body(body: &[u8]) -> Result<Trained> {
        let mut input = body;
        let n = varint::read(&mut input)?;
        let n = usize::try_from(n)
            .ok()
            .filter(|&n| n <= input.len())
            .ok_or_else(|| Error::bad_params("mixture settings longer than the prior"))?;
        let (settings, tables) = input.split_at(n);
        let mixture = Mixture::from_settings(settings)?;
        let (&m1, rest) = tables
            .split_first()
            .ok_or_else(|| Error::bad_params("a prior without mixture tables"))?;
        let fitted = mixture.tables(m1, rest, 0)?;
        if fitted.components[0].frequencies().contains(&0) {
            return Err(Error::bad_params(
                "a trained mixture must cover every byte value",
            ));
        }
        Ok(Trained {
            mixture,
            tables: tables.to_vec(),
        })
    }

    /// The stream settings of the mixture.
    pub(crate) fn settings(&self) -> Vec<u8> {
        self.mixture.settings()
    }

    fn fitted(&self, naive_from: usize) -> Result<Fitted> {
        self.mixture
            .tables(self.tables[0], &self.tables[1..], naive_from)
    }
}

impl Model for Trained {
    fn id(&self) -> u8 {
        ids::MIXTURE
    }

    fn name(&self) -> &str {
        "mixture"
    }

    fn settings(&self) -> Vec<u8> {
        self.mixture.settings()
    }

    fn fit(&self, block: &[u8], params: &mut Vec<u8>) -> Result<Predictor> {
        let mut model = self.fitted(0)?;
        model.naive_from = if self.mixture.bits_back {
            naive_tail(&model, block)
        } else {
            0
        };
        varint::write(params, model.naive_from as u64);
        Ok(Predictor::Latent(Box::new(model)))
    }

    fn load(&self, params: &[u8], len: usize) -> Result<Predictor> {
        let mut input = params;
        let naive_from = varint::read(&mut input)?;
        if !input.is_empty() {
            return Err(Error::bad_params("trailing bytes after the naive offset"));
        }
        let naive_from = usize::try_from(naive_from)
            .ok()
            .filter(|&n| n <= len)
            .ok_or_else(|| Error::bad_params("mixture naive tail starts after the block"))?;
        Ok(Predictor::Latent(Box::new(self.fitted(naive_from)?)))
    }

    fn block_size(&self) -> usize {
        self.mixture.block_size()
    }

    fn memory(&self, block_size: usize) -> usize {
        self.mixture.memory(block_size)
    }

    fn fit_memory(&self, block_size: usize) -> usize {
        self.mixture.fit_memory(block_size)
    }
}

impl Model for Mixture {
    fn id(&self) -> u8 {
        ids::MIXTURE
    }

    fn name(&self) -> &str {
        "mixture"
    }

    fn settings(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match self.segment {
            Segment::Lines => out.push(0),
            Segment::Fixed(n) => {
                out.push(1);
                varint::write(&mut out, n as u64);
            }
        }
        out.push(self.components.unwrap_or(0) as u8);
        out.push(u8::from(self.bits_back));
        out
    }

    fn fit(&self, block: &[u8], params: &mut Vec<u8>) -> Result<Predictor> {
        let fit = fit(block, self.segment, self.components);
        let Some(fitted) = fit else {
            // One repeated byte: nothing to code.
            params.extend_from_slice(&[255, block[0]]);
            return Ok(Predictor::Constant(block[0]));
        };
        let mut model = fitted.into_model(self.segment)?;
        model.naive_from = if self.bits_back {
            naive_tail(&model, block)
        } else {
            0
        };
        model.write_params(params);
        Ok(Predictor::Latent(Box::new(model)))
    }

    fn load(&self, params: &[u8], len: usize) -> Result<Predictor> {
        let mut input = params;
        let (&m1, rest) = input
            .split_first()
            .ok_or_else(|| Error::bad_params("mixture parameters are empty"))?;
        input = rest;
        if m1 == 255 {
            let [b] = input else {
                return Err(Error::bad_params("mixture constant block is not one byte"));
            };
            return Ok(Predictor::Constant(*b));
        }
        let naive_from = varint::read(&mut input)?;
        let naive_from = usize::try_from(naive_from)
            .ok()
            .filter(|&n| n <= len)
            .ok_or_else(|| Error::bad_params("mixture naive tail starts after the block"))?;
        let model = self.tables(m1, input, naive_from)?;
        Ok(Predictor::Latent(Box::new(model)))
    }

    fn block_size(&self) -> usize {
        4 << 20
    }

    /// The coder's tables: π and up to 16 components, each with a 64 KiB decoding
    /// lookup. (Fitting also holds 4·M bytes of responsibilities per segment.)
    fn memory(&self, _block_size: usize) -> usize {
        (MAX_COMPONENTS + 1) * (ONE as usize + 2 * 257 * 4)
    }

    /// The coder's tables, and per segment its cut, M responsibilities and what the
    /// coder keeps of it (a line may be one byte long).
    fn fit_memory(&self, block_size: usize) -> usize {
        let segments = match self.segment {
            Segment::Lines => block_size,
            Segment::Fixed(n) => block_size.div_ceil(n),
        };
        self.memory(block_size) + segments * (8 + 4 * MAX_COMPONENTS + 48)
    }
}

/// A fitted mixture, as the coder uses it.
struct Fitted {
    /// π as 16-bit frequencies.
    prior_freq: [u32; 256],
    prior: Categorical,
    components: Vec<Categorical>,
    segment: Segment,
    naive_from: usize,
    /// One component, coded as two copies of it under π = [ONE − 1, 1] (a prior needs two
    /// values); only the one table is stored.
    single: bool,
}

impl Fitted {
    /// One component: stored as its table alone.
    fn single(component: Categorical, segment: Segment, naive_from: usize) -> Result<Self> {
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
    fn write_params(&self, out: &mut Vec<u8>) {
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

    fn new(
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
fn naive_tail(model: &Fitted, block: &[u8]) -> usize {
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

/// The result of EM before quantization.
struct Estimate {
    pi: Vec<f64>,
    p: Vec<[f64; 256]>,
}

impl Estimate {
    /// Quantize into a coder model (16-bit tables over the block's bytes).
    fn into_model(self, segment: Segment) -> Result<Fitted> {
        let table = |p: &[f64; 256]| {
            let counts: [u64; 256] = std::array::from_fn(|b| {
                if p[b] > 0.0 {
                    (p[b] * 1e9).ceil() as u64
                } else {
                    0
                }
            });
            quantize(&counts)
        };
        let mut components: Vec<Categorical> = Vec::with_capacity(self.p.len());
        for p in &self.p {
            components.push(Categorical::from_frequencies(table(p))?.with_lookup());
        }
        if self.pi.len() == 1 {
            return Fitted::single(components.remove(0), segment, usize::MAX);
        }
        let counts: [u64; 256] = std::array::from_fn(|z| {
            self.pi
                .get(z)
                .map_or(0, |&pi| ((pi * 1e9).ceil() as u64).max(1))
        });
        Fitted::new(quantize(&counts), components, segment, usize::MAX)
    }
}

/// Fit the mixture to `block` (`None` for a block of one repeated byte).
fn fit(block: &[u8], segment: Segment, components: Option<usize>) -> Option<Estimate> {
    let mut present = [false; 256];
    for &b in block {
        present[usize::from(b)] = true;
    }
    if present.iter().filter(|&&p| p).count() < 2 {
        return None;
    }
    let cuts = segment.cuts(block);
    let segments = cuts.len() - 1;
    let m = match components {
        Some(m) => m,
        None => choose_components(block, &cuts, &present, segment),
    };
    Some(em(block, &cuts, &present, m.min(segments.max(1))))
}

/// The number of components with the smallest description length, judged on a sample
/// of at most `SAMPLE` evenly spaced segments (payload scaled to the whole block).
fn choose_components(
    block: &[u8],
    cuts: &[usize],
    present: &[bool; 256],
    segment: Segment,
) -> usize {
    let segments = cuts.len() - 1;
    let step = segments.div_ceil(SAMPLE).max(1);
    let mut sample = Vec::new();
    let mut sample_cuts = vec![0];
    for s in (0..segments).step_by(step) {
        sample.extend_from_slice(&block[cuts[s]..cuts[s + 1]]);
        sample_cuts.push(sample.len());
    }
    let scale = block.len() as f64 / sample.len() as f64;
    let mut best = (f64::INFINITY, 1);
    let mut worse = 0;
    for &m in CANDIDATES.iter().filter(|&&m| m < sample_cuts.len()) {
        let Ok(model) = em(&sample, &sample_cuts, present, m).into_model(segment) else {
            continue;
        };
        let (payload, table) = description_length(&model, &sample, &sample_cuts);
        let cost = payload * scale + table;
        if cost < best.0 {
            best = (cost, m);
            worse = 0;
        } else {
            worse += 1;
            if worse >= 2 {
                break;
            }
        }
    }
    best.1
}

/// −log2 p(x) under the quantized model, and the bits of its tables.
fn description_length(model: &Fitted, block: &[u8], cuts: &[usize]) -> (f64, f64) {
    let m = model.components.len();
    let lp: Vec<[f64; 256]> = model
        .components
        .iter()
        .map(|c| std::array::from_fn(|b| -c.cost_bits(b as u8)))
        .collect();
    let lpi: Vec<f64> = (0..m).map(|z| -model.prior.cost_bits(z as u8)).collect();
    let mut bits = 0.0;
    let mut l = vec![0.0; m];
    for w in cuts.windows(2) {
        for z in 0..m {
            l[z] = lpi[z]
                + block[w[0]..w[1]]
                    .iter()
                    .map(|&b| lp[z][usize::from(b)])
                    .sum::<f64>();
        }
        let top = l.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        bits -= top + l.iter().map(|&x| (x - top).exp2()).sum::<f64>().log2();
    }
    let mut params = Vec::new();
    model.write_params(&mut params);
    (bits, 8.0 * params.len() as f64)
}

/// EM for `m` components from a seeded k-means++ start.
fn em(block: &[u8], cuts: &[usize], present: &[bool; 256], m: usize) -> Estimate {
    let segments = cuts.len() - 1;
    let n_present = present.iter().filter(|&&p| p).count() as f64;
    let mut global = [0f64; 256];
    for &b in block {
        global[usize::from(b)] += 1.0;
    }
    let global: [f64; 256] = std::array::from_fn(|b| global[b] / block.len() as f64);
    let mut p: Vec<[f64; 256]> = kmeans_pp(block, cuts, m)
        .into_iter()
        .map(|s| {
            let seg = &block[cuts[s]..cuts[s + 1]];
            let mut h = [0f64; 256];
            for &b in seg {
                h[usize::from(b)] += 1.0 / seg.len() as f64;
            }
            std::array::from_fn(|b| {
                if present[b] {
                    0.5 * h[b] + 0.5 * global[b] + 1e-6
                } else {
                    0.0
                }
            })
        })
        .collect();
    let mut pi = vec![1.0 / m as f64; m];
    let mut resp = Array2::<f32>::zeros((segments, m));
    let mut previous = f64::NEG_INFINITY;
    for _ in 0..ITERATIONS {
        for pz in p.iter_mut() {
            let t: f64 = pz.iter().sum();
            pz.iter_mut().for_each(|x| *x /= t);
        }
        let lp: Vec<[f64; 256]> = p
            .iter()
            .map(|pz| std::array::from_fn(|b| if pz[b] > 0.0 { pz[b].ln() } else { 0.0 }))
            .collect();
        let lpi: Vec<f64> = pi.iter().map(|x| x.ln()).collect();
        // E-step.
        let mut loglik = 0.0;
        let mut l = vec![0.0; m];
        for s in 0..segments {
            let seg = &block[cuts[s]..cuts[s + 1]];
            for z in 0..m {
                l[z] = lpi[z] + seg.iter().map(|&b| lp[z][usize::from(b)]).sum::<f64>();
            }
            let top = l.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let total: f64 = l.iter().map(|&x| (x - top).exp()).sum();
            loglik += top + total.ln();
            for z in 0..m {
                resp[[s, z]] = ((l[z] - top).exp() / total) as f32;
            }
        }
        // M-step with a Dirichlet prior.
        let mut counts = vec![[0f64; 256]; m];
        let mut mass = vec![0f64; m];
        for s in 0..segments {
            let seg = &block[cuts[s]..cuts[s + 1]];
            for z in 0..m {
                let r = f64::from(resp[[s, z]]);
                if r < 1e-7 {
                    continue;
                }
                mass[z] += r;
                for &b in seg {
                    counts[z][usize::from(b)] += r;
                }
            }
        }
        for z in 0..m {
            let total: f64 = counts[z].iter().sum::<f64>() + ALPHA * n_present;
            p[z] = std::array::from_fn(|b| {
                if present[b] {
                    (counts[z][b] + ALPHA) / total
                } else {
                    0.0
                }
            });
            pi[z] = (mass[z] + 1.0) / (segments as f64 + m as f64);
        }
        if loglik - previous < 1e-6 * loglik.abs() {
            break;
        }
        previous = loglik;
    }
    Estimate { pi, p }
}

/// k-means++ seeds among (at most 4096, evenly spaced) segments, by their byte
/// histograms: the first at random, each next with probability ∝ squared distance to the
/// nearest seed so far. Returns segment indices.
fn kmeans_pp(block: &[u8], cuts: &[usize], m: usize) -> Vec<usize> {
    let segments = cuts.len() - 1;
    let step = segments.div_ceil(4096).max(1);
    let sample: Vec<usize> = (0..segments).step_by(step).collect();
    let hist = |s: usize| {
        let seg = &block[cuts[s]..cuts[s + 1]];
        let mut h = [0f32; 256];
        for &b in seg {
            h[usize::from(b)] += 1.0 / seg.len() as f32;
        }
        h
    };
    let hists: Vec<[f32; 256]> = sample.iter().map(|&s| hist(s)).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let mut uniform = || (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    let mut chosen = vec![(uniform() * sample.len() as f64) as usize % sample.len()];
    let mut nearest = vec![f64::INFINITY; sample.len()];
    while chosen.len() < m {
        let last = &hists[*chosen.last().expect("one seed")];
        for (i, h) in hists.iter().enumerate() {
            let d: f64 = h
                .iter()
                .zip(last)
                .map(|(a, b)| f64::from(a - b) * f64::from(a - b))
                .sum();
            nearest[i] = nearest[i].min(d);
        }
        let total: f64 = nearest.iter().sum();
        let pick = if total > 0.0 {
            let mut u = uniform() * total;
            let mut pick = sample.len() - 1;
            for (i, &d) in nearest.iter().enumerate() {
                if u < d {
                    pick = i;
                    break;
                }
                u -= d;
            }
            pick
        } else {
            // Every sampled segment looks alike: any will do.
            chosen.len() % sample.len()
        };
        chosen.push(pick);
    }
    chosen.into_iter().map(|i| sample[i]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip() {
        for model in [
            Mixture::default(),
            Mixture::new(Segment::Fixed(64), Some(3), false).unwrap(),
            Mixture::new(Segment::Fixed(MAX_SEGMENT), Some(16), true).unwrap(),
        ] {
            assert_eq!(Mixture::from_settings(&model.settings()).unwrap(), model);
        }
        assert!(Mixture::from_settings(&[]).is_err());
        assert!(Mixture::from_settings(&[2, 0, 1]).is_err());
        assert!(Mixture::from_settings(&[0, 17, 1]).is_err());
        assert!(Mixture::new(Segment::Fixed(0), None, true).is_err());
    }

    #[test]
    fn posterior_is_valid_for_long_and_unlikely_segments() {
        let block: Vec<u8> = (0..20_000u32).map(|i| (i % 7 + i % 3) as u8).collect();
        let est = em(
            &block,
            &Segment::Fixed(50).cuts(&block),
            &{
                let mut p = [false; 256];
                block.iter().for_each(|&b| p[usize::from(b)] = true);
                p
            },
            3,
        );
        let model = est.into_model(Segment::Fixed(50)).unwrap();
        for seg in [&block[..], &block[..1], &[0u8; 3000][..]] {
            let q = model.posterior(seg);
            assert_eq!(q.frequencies().iter().sum::<u32>(), ONE);
            assert!(q.frequencies()[..3].iter().all(|&f| f >= 1));
        }
    }
}
