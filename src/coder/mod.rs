//! Entropy coding: the only module that talks to `constriction`.
//!
//! Models speak in fixed-point probabilities with [`PRECISION`] = 16 bits: a byte
//! distribution is a [`Categorical`] whose frequencies sum to 2^16, a binary decision is a
//! [`Bit`] holding P(1) in units of 2^-16. This module turns such predictions into bits:
//!
//! | prediction | coder | used by |
//! |---|---|---|
//! | one fixed [`Categorical`] for a whole block | ANS stack, symbols pushed in reverse, table lookup on decode | [`Predictor::Static`] (i.i.d.) |
//! | a [`Categorical`] per byte, updated after each byte | range coder (queue) | [`Predictor::Bytes`] |
//! | a [`Bit`] per binary decision, 8 per byte, MSB first | range coder (queue) | [`Predictor::Bits`] |
//! | a prior, posterior and likelihood per segment | ANS stack, bits-back | [`Predictor::Latent`] |
//!
//! Encoding and decoding of the adaptive paths go through one generic loop each
//! ([`drive_bytes`], [`drive_bits`]) that calls the model in the same order on both
//! sides, so the two cannot drift apart.
//!
//! Payloads are sequences of little-endian `u32` words. The coders have no end marker
//! and no integrity check of their own: every decode loop is bounded by the block length
//! stored in the container, and the container checks a CRC of the decoded block. The
//! range decoder also stops as soon as it asks for words past the end of its payload
//! (a stream from the encoder never does, see [`PayloadWords`]), so a damaged or forged
//! block cannot make it produce more than about 2^17 bytes per payload word, and a
//! payload with words left over after the last symbol is rejected.

use std::borrow::Borrow;
use std::num::NonZeroU32;

use constriction::Queue;
use constriction::backends::{IntoReadWords, ReadWords};
use constriction::stream::model::{DecoderModel, EncoderModel, EntropyModel};
use constriction::stream::queue::{DefaultRangeEncoder, RangeDecoder};
use constriction::stream::stack::DefaultAnsCoder;
use constriction::stream::{Decode, Encode};

mod predictor;

pub use predictor::{BitModel, ByteModel, LatentModel, Predictor};

use crate::error::{Error, Result};

/// Bits of fixed-point precision of every probability handed to the coders.
pub const PRECISION: usize = 16;
/// Probability one in fixed point: frequencies of a [`Categorical`] sum to this.
pub const ONE: u32 = 1 << PRECISION;
/// Interleaved ANS stacks of a static block (byte i is coded on stack i % LANES).
pub const LANES: usize = 4;

/// A distribution over the 256 byte values in 16-bit fixed point.
///
/// Frequencies sum to exactly [`ONE`]; a byte with frequency 0 cannot be coded. At least
/// two bytes must have non-zero frequency (the coders cannot represent probability one:
/// a block made of one repeated byte is handled by the model without coding anything).
#[derive(Clone, Debug)]
pub struct Categorical {
    freq: [u32; 256],
    cdf: [u32; 257],
    lookup: Option<Box<[u8]>>,
}

impl Categorical {
    /// Build from frequencies that sum to [`ONE`] with at least two non-zero entries.
    ///
    /// # Errors
    /// [`Error::Corrupt`] if the frequencies do not form such a distribution (this is
    /// also how a damaged table read from a stream is rejected).
    pub fn from_frequencies(freq: [u32; 256]) -> Result<Self> {
        let mut cdf = [0u32; 257];
        let mut acc: u64 = 0;
        let mut nonzero = 0;
        for (s, &f) in freq.iter().enumerate() {
            cdf[s] = acc.min(u64::from(ONE)) as u32;
            acc += u64::from(f);
            nonzero += usize::from(f != 0);
        }
        if acc != u64::from(ONE) {
            return Err(Error::corrupt(format!(
                "probability table sums to {acc}, not {ONE}"
            )));
        }
        if nonzero < 2 {
            return Err(Error::corrupt(
                "probability table has fewer than two symbols",
            ));
        }
        cdf[256] = ONE;
        Ok(Categorical {
            freq,
            cdf,
            lookup: None,
        })
    }

    /// The uniform distribution over all 256 bytes.
    pub fn uniform() -> Self {
        Self::from_frequencies([ONE / 256; 256]).expect("uniform table is valid")
    }

    /// Add a 2^16-entry quantile → symbol table so decoding is a lookup (64 KiB).
    pub fn with_lookup(mut self) -> Self {
        let mut table = vec![0u8; ONE as usize].into_boxed_slice();
        for s in 0..256 {
            let (lo, hi) = (self.cdf[s] as usize, self.cdf[s + 1] as usize);
            table[lo..hi].fill(s as u8);
        }
        self.lookup = Some(table);
        self
    }

    /// Frequency of `byte` in units of 2^-16.
    #[inline]
    pub fn frequency(&self, byte: u8) -> u32 {
        self.freq[usize::from(byte)]
    }

    /// All 256 frequencies.
    pub fn frequencies(&self) -> &[u32; 256] {
        &self.freq
    }

    /// Ideal code length of `byte` in bits, −log2 q(byte) (infinite if q(byte) = 0).
    #[inline]
    pub fn cost_bits(&self, byte: u8) -> f64 {
        f64::from(PRECISION as u32) - f64::from(self.frequency(byte)).log2()
    }

    #[inline]
    fn symbol_at(&self, quantile: u32) -> u8 {
        match &self.lookup {
            Some(table) => table[quantile as usize],
            None => (self.cdf[1..].partition_point(|&c| c <= quantile)) as u8,
        }
    }
}

impl EntropyModel<PRECISION> for Categorical {
    type Symbol = u8;
    type Probability = u32;
}

impl EncoderModel<PRECISION> for Categorical {
    #[inline]
    fn left_cumulative_and_probability(
        &self,
        symbol: impl Borrow<u8>,
    ) -> Option<(u32, NonZeroU32)> {
        let s = usize::from(*symbol.borrow());
        NonZeroU32::new(self.freq[s]).map(|p| (self.cdf[s], p))
    }
}

impl DecoderModel<PRECISION> for Categorical {
    #[inline]
    fn quantile_function(&self, quantile: u32) -> (u8, u32, NonZeroU32) {
        let s = self.symbol_at(quantile);
        let p = self.freq[usize::from(s)];
        // The table always holds a symbol whose interval contains the quantile, and that
        // interval is non-empty by construction.
        (
            s,
            self.cdf[usize::from(s)],
            NonZeroU32::new(p).unwrap_or(NonZeroU32::MIN),
        )
    }
}

/// One binary decision: P(bit = 1) in units of 2^-16, kept in `1..=65535`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bit(u32);

impl Bit {
    /// Clamp a prediction into the codable range `1..=65535`.
    #[inline]
    pub fn new(p1: u32) -> Bit {
        Bit(p1.clamp(1, ONE - 1))
    }

    /// P(bit = 1) in units of 2^-16.
    #[inline]
    pub fn p1(self) -> u32 {
        self.0
    }

    /// Ideal code length of `bit` in bits.
    #[inline]
    pub fn cost_bits(self, bit: bool) -> f64 {
        let p = if bit { self.0 } else { ONE - self.0 };
        f64::from(PRECISION as u32) - f64::from(p).log2()
    }
}

impl EntropyModel<PRECISION> for Bit {
    type Symbol = bool;
    type Probability = u32;
}

impl EncoderModel<PRECISION> for Bit {
    #[inline]
    fn left_cumulative_and_probability(
        &self,
        symbol: impl Borrow<bool>,
    ) -> Option<(u32, NonZeroU32)> {
        let p0 = ONE - self.0;
        if *symbol.borrow() {
            NonZeroU32::new(self.0).map(|p| (p0, p))
        } else {
            NonZeroU32::new(p0).map(|p| (0, p))
        }
    }
}

impl DecoderModel<PRECISION> for Bit {
    #[inline]
    fn quantile_function(&self, quantile: u32) -> (bool, u32, NonZeroU32) {
        let p0 = ONE - self.0;
        if quantile < p0 {
            (false, 0, NonZeroU32::new(p0).unwrap_or(NonZeroU32::MIN))
        } else {
            (true, p0, NonZeroU32::new(self.0).unwrap_or(NonZeroU32::MIN))
        }
    }
}

/// Σ −log2 q over many probabilities without a logarithm per symbol: the product of the
/// probabilities is kept as a float whose exponent is moved to an integer now and then.
#[derive(Clone, Copy, Debug)]
struct Ideal {
    product: f64,
    exponent: i64,
}

impl Ideal {
    fn new() -> Self {
        Ideal {
            product: 1.0,
            exponent: 0,
        }
    }

    /// Multiply in a probability of `numerator` / 2^16.
    #[inline]
    fn add(&mut self, numerator: u32) {
        self.product *= f64::from(numerator);
        self.exponent -= PRECISION as i64;
        if self.product > 1e280 {
            let bits = self.product.to_bits();
            let e = ((bits >> 52) & 0x7ff) as i64 - 1023;
            self.product = f64::from_bits((bits & !(0x7ff << 52)) | (1023 << 52));
            self.exponent += e;
        }
    }

    /// The code length in bits.
    fn bits(self) -> f64 {
        -(self.product.log2() + self.exponent as f64)
    }
}

/// The result of coding one block's symbols.
#[derive(Clone, Debug, Default)]
pub struct Coded {
    /// The compressed words as little-endian bytes.
    pub payload: Vec<u8>,
    /// The model's ideal code length for the block, Σ −log2 q(x_n | x_<n), in bits.
    pub ideal_bits: f64,
    /// For a latent-variable model: its figures against the bounds.
    pub latent: Option<LatentStats>,
}

/// How a range-coded payload is laid out and ends (ANS payloads are the same in both).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Seal {
    /// Little-endian words, sealed with one or two words (stream blocks).
    #[default]
    Words,
    /// Big-endian words, sealed with the fewest bytes that fix a point of the final
    /// interval, the decoder taking missing bytes as zeros (compact frames: 0–4 bytes
    /// of sealing instead of 4–8).
    Tight,
}

/// Encode `data` with the predictor a model produced for it.
///
/// # Errors
/// [`Error::InvalidOption`] if the model gave zero probability to a byte that occurs.
pub fn encode(predictor: Predictor, data: &[u8]) -> Result<Coded> {
    encode_sealed(predictor, data, Seal::Words)
}

/// [`encode`] with the range payload laid out as `seal` says.
///
/// # Errors
/// As [`encode`].
pub fn encode_sealed(predictor: Predictor, data: &[u8], seal: Seal) -> Result<Coded> {
    match predictor {
        Predictor::Constant(b) => {
            if data.iter().any(|&x| x != b) {
                return Err(impossible());
            }
            Ok(Coded::default())
        }
        Predictor::Static(model) => encode_static(&model, data),
        Predictor::Bytes(mut model) => {
            let mut enc = DefaultRangeEncoder::new();
            let mut ideal = Ideal::new();
            let mut it = data.iter();
            drive_bytes(model.as_mut(), data.len(), |q| {
                let b = *it.next().expect("driver asks for exactly len bytes");
                ideal.add(q.frequency(b));
                enc.encode_symbol(b, q).map_err(|_| impossible())?;
                Ok(b)
            })?;
            finish_queue(enc, ideal.bits(), seal)
        }
        Predictor::Latent(model) => encode_latent(model.as_ref(), data),
        Predictor::Bits(mut model) => {
            let mut enc = DefaultRangeEncoder::new();
            let mut ideal = Ideal::new();
            let mut it = data.iter();
            let mut cur = 0u8;
            let mut pos = 8;
            drive_bits(model.as_mut(), data.len(), |p| {
                if pos == 8 {
                    cur = *it.next().expect("driver asks for exactly 8·len bits");
                    pos = 0;
                }
                let bit = (cur >> (7 - pos)) & 1 == 1;
                pos += 1;
                ideal.add(if bit { p.p1() } else { ONE - p.p1() });
                enc.encode_symbol(bit, p).map_err(|_| impossible())?;
                Ok(bit)
            })?;
            finish_queue(enc, ideal.bits(), seal)
        }
    }
}

/// Decode `len` bytes from `payload` with the predictor the model rebuilt from its
/// parameters. The output is appended to `out`.
///
/// # Errors
/// [`Error::Corrupt`] if the payload is not a valid coded stream for this model.
pub fn decode(predictor: Predictor, payload: &[u8], len: usize, out: &mut Vec<u8>) -> Result<()> {
    decode_sealed(predictor, payload, len, out, Seal::Words)
}

/// [`decode`] of a payload laid out as `seal` says.
///
/// # Errors
/// As [`decode`].
pub fn decode_sealed(
    predictor: Predictor,
    payload: &[u8],
    len: usize,
    out: &mut Vec<u8>,
    seal: Seal,
) -> Result<()> {
    let words;
    let payload = match seal {
        Seal::Words => payload,
        Seal::Tight if matches!(predictor, Predictor::Bits(_) | Predictor::Bytes(_)) => {
            words = tight_to_words(payload);
            &words[..]
        }
        Seal::Tight => payload,
    };
    match predictor {
        Predictor::Constant(b) => {
            if !payload.is_empty() {
                return Err(Error::corrupt("payload present for a constant block"));
            }
            out.resize(out.len() + len, b);
            Ok(())
        }
        Predictor::Static(model) => decode_static(&model, payload, len, out),
        Predictor::Bytes(mut model) => {
            let mut dec = range_decoder(payload, seal)?;
            drive_bytes(model.as_mut(), len, |q| {
                let b = dec.decode_symbol(q).map_err(range_error)?;
                out.push(b);
                Ok(b)
            })?;
            range_finished(dec)
        }
        Predictor::Latent(model) => decode_latent(model.as_ref(), payload, len, out),
        Predictor::Bits(mut model) => {
            let mut dec = range_decoder(payload, seal)?;
            let mut cur = 0u8;
            let mut pos = 0;
            drive_bits(model.as_mut(), len, |p| {
                let bit = dec.decode_symbol(p).map_err(range_error)?;
                cur = (cur << 1) | u8::from(bit);
                pos += 1;
                if pos == 8 {
                    out.push(cur);
                    pos = 0;
                }
                Ok(bit)
            })?;
            range_finished(dec)
        }
    }
}

/// The one loop both directions of [`Predictor::Bytes`] run: ask the model, code one
/// byte (encode or decode, in `code`), tell the model what it was.
pub fn drive_bytes<M, F>(model: &mut M, len: usize, mut code: F) -> Result<()>
where
    M: ByteModel + ?Sized,
    F: FnMut(&Categorical) -> Result<u8>,
{
    for _ in 0..len {
        let byte = code(model.predict())?;
        model.update(byte);
    }
    Ok(())
}

/// The one loop both directions of [`Predictor::Bits`] run: 8 decisions per byte, most
/// significant bit first; each is predicted, coded (in `code`), then learned.
pub fn drive_bits<M, F>(model: &mut M, len: usize, mut code: F) -> Result<()>
where
    M: BitModel + ?Sized,
    F: FnMut(Bit) -> Result<bool>,
{
    for _ in 0..len {
        for _ in 0..8 {
            let bit = code(Bit::new(model.p1()))?;
            model.update(bit);
        }
    }
    Ok(())
}

fn encode_static(model: &Categorical, data: &[u8]) -> Result<Coded> {
    let mut counts = [0u64; 256];
    for &b in data {
        counts[usize::from(b)] += 1;
    }
    let mut ideal = 0.0;
    for (s, &c) in counts.iter().enumerate() {
        if c > 0 {
            if model.frequency(s as u8) == 0 {
                return Err(impossible());
            }
            ideal += c as f64 * model.cost_bits(s as u8);
        }
    }
    // LANES interleaved ANS stacks (byte i goes to stack i % LANES) so that the CPU
    // overlaps their dependency chains; each is a stack, so bytes are pushed last to first.
    let mut ans: [DefaultAnsCoder; LANES] = std::array::from_fn(|_| DefaultAnsCoder::new());
    let whole = data.len() - data.len() % LANES;
    for (i, &b) in data.iter().enumerate().skip(whole).rev() {
        ans[i % LANES]
            .encode_symbol(b, model)
            .map_err(|_| impossible())?;
    }
    let [a0, a1, a2, a3] = &mut ans;
    for quad in data[..whole].chunks_exact(LANES).rev() {
        a3.encode_symbol(quad[3], model).map_err(|_| impossible())?;
        a2.encode_symbol(quad[2], model).map_err(|_| impossible())?;
        a1.encode_symbol(quad[1], model).map_err(|_| impossible())?;
        a0.encode_symbol(quad[0], model).map_err(|_| impossible())?;
    }
    let lanes: Vec<Vec<u32>> = ans
        .into_iter()
        .map(|a| a.into_compressed().unwrap_or_else(|e| match e {}))
        .collect();
    let mut words = Vec::with_capacity(LANES + lanes.iter().map(Vec::len).sum::<usize>());
    for lane in &lanes[..LANES - 1] {
        words.push(lane.len() as u32);
    }
    for lane in &lanes {
        words.extend_from_slice(lane);
    }
    Ok(Coded {
        payload: words_to_bytes(&words),
        ideal_bits: ideal,
        latent: None,
    })
}

fn decode_static(model: &Categorical, payload: &[u8], len: usize, out: &mut Vec<u8>) -> Result<()> {
    let model = if model.lookup.is_none() && len >= 1 << 14 {
        &model.clone().with_lookup()
    } else {
        model
    };
    let words = words(payload)?;
    if words.len() < LANES - 1 {
        return Err(Error::corrupt("ANS payload is too short"));
    }
    let (lens, mut rest) = words.split_at(LANES - 1);
    let mut lanes: [&[u32]; LANES] = [&[]; LANES];
    for (lane, &n) in lanes.iter_mut().zip(lens) {
        if n as usize > rest.len() {
            return Err(Error::corrupt("ANS lane length out of range"));
        }
        (*lane, rest) = rest.split_at(n as usize);
    }
    lanes[LANES - 1] = rest;
    let mut ans = Vec::with_capacity(LANES);
    for lane in lanes {
        ans.push(
            DefaultAnsCoder::from_compressed_slice(lane)
                .map_err(|_| Error::corrupt("ANS payload ends in a zero word"))?,
        );
    }
    let [a0, a1, a2, a3] = &mut ans[..] else {
        unreachable!("LANES is 4")
    };
    let bad = |_| Error::corrupt("ANS decoder error");
    let start = out.len();
    for _ in 0..len / LANES {
        let b0 = a0.decode_symbol(model).map_err(bad)?;
        let b1 = a1.decode_symbol(model).map_err(bad)?;
        let b2 = a2.decode_symbol(model).map_err(bad)?;
        let b3 = a3.decode_symbol(model).map_err(bad)?;
        out.extend_from_slice(&[b0, b1, b2, b3]);
    }
    for i in out.len() - start..len {
        out.push(ans[i % LANES].decode_symbol(model).map_err(bad)?);
    }
    if ans.iter().any(|a| !a.is_empty()) {
        return Err(Error::corrupt(
            "ANS payload has data left after the last symbol",
        ));
    }
    Ok(())
}

/// Cut `data` into segments where the model says they end (and at the end).
fn segments<'a, M: LatentModel + ?Sized>(model: &M, data: &'a [u8]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 0..data.len() {
        if model.segment_ends(&data[start..=i]) {
            out.push(&data[start..=i]);
            start = i + 1;
        }
    }
    if start < data.len() {
        out.push(&data[start..]);
    }
    out
}

/// What bits-back coding of one block achieved against its bounds, in bits.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct LatentStats {
    /// Segments coded.
    pub segments: u64,
    /// Latent values the model uses (the most in any block).
    pub components: u64,
    /// −log2 p(x) under the model: Σ over segments of −log2 Σ_z p(z) p(segment | z).
    pub log_likelihood_bits: f64,
    /// The negative evidence lower bound with the coder's posterior q:
    /// Σ_z q(z | segment) (−log2 p(z) p(segment | z) + log2 q(z | segment)).
    pub neg_elbo_bits: f64,
    /// The naive path's cost: the most probable z under q, coded with the prior, then the
    /// segment with it.
    pub naive_bits: f64,
    /// What coding the last segments naively (to put the first bits on the stack) cost
    /// over bits-back: Σ −log2 q(ẑ | segment) over those segments.
    pub initial_bits: f64,
}

impl LatentStats {
    /// Add another block's figures.
    pub fn add(&mut self, other: &LatentStats) {
        self.segments += other.segments;
        self.components = self.components.max(other.components);
        self.log_likelihood_bits += other.log_likelihood_bits;
        self.neg_elbo_bits += other.neg_elbo_bits;
        self.naive_bits += other.naive_bits;
        self.initial_bits += other.initial_bits;
    }
}

/// −log2 p(z) p(segment | z) in bits.
fn joint_bits<M: LatentModel + ?Sized>(model: &M, z: u8, seg: &[u8]) -> f64 {
    let mut bits = model.prior().cost_bits(z);
    for i in 0..seg.len() {
        bits += model.likelihood(z, &seg[..i]).cost_bits(seg[i]);
    }
    bits
}

/// The most probable value of `q` (the first, on ties).
fn most_probable(q: &Categorical) -> u8 {
    let f = q.frequencies();
    (0..256).fold(0, |best, s| if f[s] > f[best] { s } else { best }) as u8
}

/// Bits-back encoding: segments last to first, so that the decoder meets them in order.
/// Segments that start at or after [`LatentModel::naive_from`] are coded naively: the
/// most probable z under the posterior, then the segment, then z with the prior.
fn encode_latent<M: LatentModel + ?Sized>(model: &M, data: &[u8]) -> Result<Coded> {
    let mut ans = DefaultAnsCoder::new();
    let mut ideal = 0.0;
    let mut stats = LatentStats {
        components: model.components() as u64,
        ..LatentStats::default()
    };
    let naive_from = model.naive_from();
    let segs = segments(model, data);
    let mut end = data.len();
    for seg in segs.into_iter().rev() {
        let start = end - seg.len();
        end = start;
        let q = model.posterior(seg);
        // The figures of the report: exact sums over every z the prior allows.
        let mut joint = [f64::INFINITY; 256];
        let mut lowest = f64::INFINITY;
        for z in 0..=255u8 {
            if model.prior().frequency(z) > 0 {
                joint[usize::from(z)] = joint_bits(model, z, seg);
                lowest = lowest.min(joint[usize::from(z)]);
            }
        }
        let mut marginal = 0.0;
        let mut elbo = 0.0;
        for z in 0..=255u8 {
            let j = joint[usize::from(z)];
            if j.is_finite() {
                marginal += (lowest - j).exp2();
            }
            let qz = f64::from(q.frequency(z)) / f64::from(ONE);
            if qz > 0.0 {
                elbo += qz * (j - q.cost_bits(z));
            }
        }
        let best = most_probable(&q);
        stats.segments += 1;
        stats.log_likelihood_bits += lowest - marginal.log2();
        stats.neg_elbo_bits += elbo;
        stats.naive_bits += joint[usize::from(best)];
        let z = if start >= naive_from {
            stats.initial_bits += q.cost_bits(best);
            best
        } else {
            let z = ans
                .decode_symbol(&q)
                .map_err(|_| Error::InvalidOption("posterior cannot be decoded".into()))?;
            ideal -= q.cost_bits(z);
            z
        };
        for i in (0..seg.len()).rev() {
            let p = model.likelihood(z, &seg[..i]);
            ideal += p.cost_bits(seg[i]);
            ans.encode_symbol(seg[i], p).map_err(|_| impossible())?;
        }
        ideal += model.prior().cost_bits(z);
        ans.encode_symbol(z, model.prior())
            .map_err(|_| impossible())?;
    }
    let words = ans.into_compressed().unwrap_or_else(|e| match e {});
    Ok(Coded {
        payload: words_to_bytes(&words),
        ideal_bits: ideal,
        latent: Some(stats),
    })
}

/// Bits-back decoding: z from the prior, the segment from p(x | z), then z back onto
/// the stack with the posterior.
fn decode_latent<M: LatentModel + ?Sized>(
    model: &M,
    payload: &[u8],
    len: usize,
    out: &mut Vec<u8>,
) -> Result<()> {
    let bad = |_| Error::corrupt("bits-back payload is not valid");
    let mut ans = DefaultAnsCoder::from_compressed(words(payload)?)
        .map_err(|_| Error::corrupt("ANS payload ends in a zero word"))?;
    let start = out.len();
    while out.len() - start < len {
        let z = ans.decode_symbol(model.prior()).map_err(bad)?;
        let seg_start = out.len();
        loop {
            let b = ans
                .decode_symbol(model.likelihood(z, &out[seg_start..]))
                .map_err(bad)?;
            out.push(b);
            if out.len() - start == len || model.segment_ends(&out[seg_start..]) {
                break;
            }
        }
        if seg_start - start < model.naive_from() {
            let q = model.posterior(&out[seg_start..]);
            ans.encode_symbol(z, &q)
                .map_err(|_| Error::corrupt("latent value impossible under the posterior"))?;
        }
    }
    if !ans.is_empty() {
        return Err(Error::corrupt("bits-back payload has data left over"));
    }
    Ok(())
}

fn finish_queue(enc: DefaultRangeEncoder, ideal_bits: f64, seal: Seal) -> Result<Coded> {
    let payload = match seal {
        Seal::Words => words_to_bytes(&enc.into_compressed().unwrap_or_else(|e| match e {})),
        Seal::Tight => tight_seal(enc),
    };
    Ok(Coded {
        payload,
        ideal_bits,
        latent: None,
    })
}

/// The encoder's words big-endian, then the fewest leading bytes of a point `x` of the
/// final interval `[lower, lower + range)` whose other bytes are zero (the decoder reads
/// missing bytes, and up to two words past the end, as zeros). Words held back for a
/// carry are written as constriction's own seal writes them.
fn tight_seal(enc: DefaultRangeEncoder) -> Vec<u8> {
    use constriction::stream::queue::EncoderSituation;
    let (bulk, state, situation) = enc.into_raw_parts();
    let (lower, range) = (u128::from(state.lower()), u128::from(state.range().get()));
    if range == u128::from(u64::MAX) {
        // No symbol was coded.
        return Vec::new();
    }
    let inverted = matches!(situation, EncoderSituation::Inverted(..));
    let (x, keep) = (0..=8u32)
        .find_map(|keep| {
            let m = 1u128 << (8 * (8 - keep));
            let x = lower.div_ceil(m) * m;
            // Past 2^64 the carry goes into the held-back words, which only exist
            // when the encoder is inverted.
            (x - lower < range && (x < 1 << 64 || inverted)).then_some((x, keep))
        })
        .expect("keeping all 8 bytes fixes the point lower itself");
    let mut words = bulk;
    if let EncoderSituation::Inverted(n, first) = situation {
        let carry = x >= 1 << 64;
        words.push(if carry { first.wrapping_add(1) } else { first });
        let fill = if carry { 0 } else { u32::MAX };
        words.extend(std::iter::repeat_n(fill, n.get() - 1));
    }
    let mut out: Vec<u8> = words.iter().flat_map(|w| w.to_be_bytes()).collect();
    out.extend_from_slice(&(x as u64).to_be_bytes()[..keep as usize]);
    out
}

/// A tightly sealed payload as the little-endian words the decoder reads: big-endian
/// words, the last one completed with zero bytes.
fn tight_to_words(payload: &[u8]) -> Vec<u8> {
    payload
        .chunks(4)
        .flat_map(|c| {
            let mut w = [0u8; 4];
            w[..c.len()].copy_from_slice(c);
            u32::from_be_bytes(w).to_le_bytes()
        })
        .collect()
}

fn impossible() -> Error {
    Error::InvalidOption("the model gave zero probability to a byte that occurs".into())
}

fn words_to_bytes(words: &[u32]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

/// The payload of a range-coded block as the decoder's word source.
///
/// The encoder's stream is its renormalization words plus one or two sealing words; the
/// decoder reads two words to start and then one per renormalization, the same ones at
/// the same symbols. So decoding a stream from the encoder asks for at most one word past
/// the end, and has read every word when the last symbol is out. Asking for more means
/// the payload was damaged or forged: the read fails and decoding stops there.
struct PayloadWords<'a> {
    bytes: &'a [u8],
    past_end: u32,
    max_past_end: u32,
}

/// Words a decoder may ask for beyond the payload: after at least one symbol the encoder
/// seals with one or two words (constriction's `seal`), so a decoder of its stream reads
/// at most one word past the end.
const MAX_PAST_END: u32 = 1;

/// The range decoder read past the end of its payload.
#[derive(Debug)]
struct PastEnd;

impl ReadWords<u32, Queue> for PayloadWords<'_> {
    type ReadError = PastEnd;

    #[inline]
    fn read(&mut self) -> std::result::Result<Option<u32>, PastEnd> {
        if let Some((word, rest)) = self.bytes.split_first_chunk::<4>() {
            self.bytes = rest;
            return Ok(Some(u32::from_le_bytes(*word)));
        }
        self.past_end += 1;
        if self.past_end > self.max_past_end {
            return Err(PastEnd);
        }
        Ok(None)
    }

    fn maybe_exhausted(&self) -> bool {
        self.bytes.is_empty()
    }
}

impl<'a> IntoReadWords<u32, Queue> for PayloadWords<'a> {
    type IntoReadWords = Self;

    fn into_read_words(self) -> Self {
        self
    }
}

type PayloadDecoder<'a> = RangeDecoder<u32, u64, PayloadWords<'a>>;

fn range_decoder(payload: &[u8], seal: Seal) -> Result<PayloadDecoder<'_>> {
    // Every block has symbols, and the encoder seals them with at least one word (a
    // tight seal may need none).
    if payload.is_empty() && seal == Seal::Words {
        return Err(Error::corrupt("range-coded payload is empty"));
    }
    if payload.len() % 4 != 0 {
        return Err(Error::corrupt("payload length is not a multiple of 4"));
    }
    RangeDecoder::from_compressed(PayloadWords {
        bytes: payload,
        past_end: 0,
        max_past_end: match seal {
            Seal::Words => MAX_PAST_END,
            Seal::Tight => 2,
        },
    })
    .map_err(|_| Error::corrupt("range coder payload too short"))
}

fn range_error<E: std::fmt::Debug>(e: constriction::CoderError<E, PastEnd>) -> Error {
    match e {
        constriction::CoderError::Backend(PastEnd) => {
            Error::corrupt("coded data ends before the block does")
        }
        constriction::CoderError::Frontend(_) => Error::corrupt("range decoder error"),
    }
}

fn range_finished(dec: PayloadDecoder<'_>) -> Result<()> {
    if !dec.into_raw_parts().0.bytes.is_empty() {
        return Err(Error::corrupt(
            "range coder payload has data left after the last symbol",
        ));
    }
    Ok(())
}

fn words(payload: &[u8]) -> Result<Vec<u32>> {
    if payload.len() % 4 != 0 {
        return Err(Error::corrupt("payload length is not a multiple of 4"));
    }
    Ok(payload
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ideal_matches_a_sum_of_logs() {
        let mut ideal = Ideal::new();
        let mut sum = 0.0;
        let mut x: u32 = 7;
        for _ in 0..1_000_000 {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let p = (x >> 16).max(1);
            ideal.add(p);
            sum += 16.0 - f64::from(p).log2();
        }
        assert!(
            (ideal.bits() - sum).abs() < 1e-6 * sum,
            "{} vs {sum}",
            ideal.bits()
        );
    }

    #[test]
    fn lookup_and_search_agree() {
        let mut freq = [0u32; 256];
        freq[3] = 100;
        freq[7] = ONE - 100 - 5;
        freq[255] = 5;
        let plain = Categorical::from_frequencies(freq).unwrap();
        let fast = plain.clone().with_lookup();
        for q in 0..ONE {
            assert_eq!(plain.quantile_function(q), fast.quantile_function(q));
        }
    }

    #[test]
    fn rejects_bad_tables() {
        assert!(Categorical::from_frequencies([0; 256]).is_err());
        let mut one = [0u32; 256];
        one[0] = ONE;
        assert!(Categorical::from_frequencies(one).is_err());
        let mut big = [ONE / 256; 256];
        big[0] += 1;
        assert!(Categorical::from_frequencies(big).is_err());
    }

    #[test]
    fn bit_intervals_cover_the_range() {
        for p in [1, 2, 100, ONE / 2, ONE - 2, ONE - 1] {
            let b = Bit::new(p);
            let (_, lo0, p0) = b.quantile_function(0);
            let (_, lo1, p1) = b.quantile_function(ONE - 1);
            assert_eq!(lo0, 0);
            assert_eq!(lo1 + p1.get(), ONE);
            assert_eq!(p0.get() + p1.get(), ONE);
        }
    }
}
