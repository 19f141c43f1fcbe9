//! Range-coded payloads: the encoder's seals (stream words, and the tight seal of
//! compact frames) and the decoder's word source, which stops at the payload's end.

use super::*;

pub(super) fn finish_queue(enc: DefaultRangeEncoder, ideal_bits: f64, seal: Seal) -> Result<Coded> {
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
pub(super) fn tight_to_words(payload: &[u8]) -> Vec<u8> {
    payload
        .chunks(4)
        .flat_map(|c| {
            let mut w = [0u8; 4];
            w[..c.len()].copy_from_slice(c);
            u32::from_be_bytes(w).to_le_bytes()
        })
        .collect()
}

/// The payload of a range-coded block as the decoder's word source.
///
/// The encoder's stream is its renormalization words plus one or two sealing words; the
/// decoder reads two words to start and then one per renormalization, the same ones at
/// the same symbols. So decoding a stream from the encoder asks for at most one word past
/// the end, and has read every word when the last symbol is out. Asking for more means
/// the payload was damaged or forged: the read fails and decoding stops there.
pub(super) struct PayloadWords<'a> {
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
pub(super) struct PastEnd;

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

pub(super) type PayloadDecoder<'a> = RangeDecoder<u32, u64, PayloadWords<'a>>;

pub(super) fn range_decoder(payload: &[u8], seal: Seal) -> Result<PayloadDecoder<'_>> {
    // Every block has symbols, and the encoder seals them with at least one word (a
    // tight seal may need none).
    if payload.is_empty() && seal == Seal::Words {
        return Err(Error::bad_payload("range-coded payload is empty"));
    }
    if payload.len() % 4 != 0 {
        return Err(Error::bad_payload("payload length is not a multiple of 4"));
    }
    RangeDecoder::from_compressed(PayloadWords {
        bytes: payload,
        past_end: 0,
        max_past_end: match seal {
            Seal::Words => MAX_PAST_END,
            Seal::Tight => 2,
        },
    })
    .map_err(|_| Error::bad_payload("range coder payload too short"))
}

pub(super) fn range_error<E: std::fmt::Debug>(e: constriction::CoderError<E, PastEnd>) -> Error {
    match e {
        constriction::CoderError::Backend(PastEnd) => {
            Error::bad_payload("coded data ends before the block does")
        }
        constriction::CoderError::Frontend(_) => Error::bad_payload("range decoder error"),
    }
}

pub(super) fn range_finished(dec: PayloadDecoder<'_>) -> Result<()> {
    if !dec.into_raw_parts().0.bytes.is_empty() {
        return Err(Error::bad_payload(
            "range coder payload has data left after the last symbol",
        ));
    }
    Ok(())
}
