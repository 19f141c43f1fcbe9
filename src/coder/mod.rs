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
//! Payloads are sequences of little-endian `u32` words (in compact frames, big-endian
//! words ending in a tight seal: [`Seal`]). The coders have no end marker
//! and no integrity check of their own: every decode loop is bounded by the block length
//! stored in the container, and the container checks a CRC of the decoded block. The
//! range decoder also stops as soon as it asks for words past the end of its payload
//! (a stream from the encoder never does; `range::PayloadWords`), so a damaged or forged
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

mod ans;
mod latent;
mod predictor;
mod probability;
mod range;

pub use latent::LatentStats;
pub use predictor::{BitModel, ByteModel, LatentModel, Predictor};
pub use probability::{Bit, Categorical};

use ans::{decode_static, encode_static};
use latent::{decode_latent, encode_latent};
use range::{finish_queue, range_decoder, range_error, range_finished, tight_to_words};

use crate::error::{Error, Result};

/// Bits of fixed-point precision of every probability handed to the coders.
pub const PRECISION: usize = 16;
/// Probability one in fixed point: frequencies of a [`Categorical`] sum to this.
pub const ONE: u32 = 1 << PRECISION;
/// Interleaved ANS stacks of a static block (byte i is coded on stack i % LANES).
pub const LANES: usize = 4;

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
/// [`Error::Model`] if the model gave zero probability to a byte that occurs.
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
            let (mut at, mut pos) = (0usize, 0u32);
            drive_bits(model.as_mut(), data.len(), |d| {
                let (bit, p) = match d {
                    Decision::Bit(p) => {
                        let bit = (data[at] >> (7 - pos)) & 1 == 1;
                        pos += 1;
                        if pos == 8 {
                            (at, pos) = (at + 1, 0);
                        }
                        (bit, p)
                    }
                    Decision::Run(p, run) => {
                        let hit = data[at..].starts_with(run);
                        if hit {
                            at += run.len();
                        }
                        (hit, p)
                    }
                };
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
                return Err(Error::bad_payload("payload present for a constant block"));
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
            drive_bits(model.as_mut(), len, |d| match d {
                Decision::Bit(p) => {
                    let bit = dec.decode_symbol(p).map_err(range_error)?;
                    cur = (cur << 1) | u8::from(bit);
                    pos += 1;
                    if pos == 8 {
                        out.push(cur);
                        pos = 0;
                    }
                    Ok(bit)
                }
                Decision::Run(p, run) => {
                    let hit = dec.decode_symbol(p).map_err(range_error)?;
                    if hit {
                        out.extend_from_slice(run);
                    }
                    Ok(hit)
                }
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

/// A binary decision [`drive_bits`] hands its coder.
pub enum Decision<'a> {
    /// The next bit of a byte.
    Bit(Bit),
    /// Whether the next bytes are these (1: they are), at a byte boundary.
    Run(Bit, &'a [u8]),
}

/// The one loop both directions of [`Predictor::Bits`] run: at each byte boundary a
/// run the model states ([`BitModel::run`]) as one decision, and otherwise (or when the
/// run does not come) 8 decisions for the byte, most significant bit first; each is
/// predicted, coded (in `code`, which returns the decision's value), then learned; or,
/// where the model says the byte is flat ([`BitModel::flat`]), coded with probability ½
/// each and handed to the model whole.
///
/// # Errors
/// The coder's, and [`Error::Model`] for a run of no bytes or past the block's end.
pub fn drive_bits<M, F>(model: &mut M, len: usize, mut code: F) -> Result<()>
where
    M: BitModel + ?Sized,
    F: FnMut(Decision<'_>) -> Result<bool>,
{
    let mut run = Vec::new();
    let mut left = len;
    while left > 0 {
        run.clear();
        if let Some(p) = model.run(left, &mut run) {
            if run.is_empty() || run.len() > left {
                return Err(Error::Model(format!(
                    "a run of {} bytes with {left} left",
                    run.len()
                )));
            }
            let hit = code(Decision::Run(Bit::new(p), &run))?;
            model.run_result(hit, &run);
            if hit {
                left -= run.len();
                continue;
            }
        }
        if model.flat() {
            let mut byte = 0u8;
            for _ in 0..8 {
                let bit = code(Decision::Bit(Bit::new(ONE / 2)))?;
                byte = (byte << 1) | u8::from(bit);
            }
            model.flat_byte(byte);
            left -= 1;
            continue;
        }
        for _ in 0..8 {
            let bit = code(Decision::Bit(Bit::new(model.p1())))?;
            model.update(bit);
        }
        left -= 1;
    }
    Ok(())
}

fn impossible() -> Error {
    Error::Model("the model gave zero probability to a byte that occurs".into())
}

fn words_to_bytes(words: &[u32]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

fn words(payload: &[u8]) -> Result<Vec<u32>> {
    if payload.len() % 4 != 0 {
        return Err(Error::bad_payload("payload length is not a multiple of 4"));
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
