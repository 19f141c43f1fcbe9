//! The contract between a model and the coder: how a fitted model states its
//! probabilities ([`Predictor`]) and the traits of adaptive and latent-variable models.
//! The coder owns it; models (`crate::model`) implement it.

use super::Categorical;

/// How a fitted model states its probabilities to the coder.
#[non_exhaustive]
pub enum Predictor {
    /// Every byte of the block is this byte: nothing is coded.
    Constant(u8),
    /// One fixed distribution for every byte (semi-static, order 0). Coded with an ANS
    /// stack and decoded by table lookup: the fastest path.
    Static(Box<Categorical>),
    /// A distribution over the next byte given all earlier bytes of the block,
    /// p(x_n | x_<n); told each byte after it is coded. Range coded.
    Bytes(Box<dyn ByteModel>),
    /// Each byte as 8 binary decisions, most significant bit first:
    /// p(b_i | b_<i, x_<n); told each bit after it is coded. Range coded.
    Bits(Box<dyn BitModel>),
    /// A latent-variable model p(segment) = Σ_z p(z) p(segment | z), coded with
    /// bits-back on an ANS stack: the net cost of a segment is the negative ELBO.
    Latent(Box<dyn LatentModel>),
}

/// A latent-variable model for bits-back coding.
///
/// The block is cut into segments by [`LatentModel::segment_ends`] (decided from the
/// segment's own bytes, so the decoder finds the same cuts; the block's end also ends a
/// segment). For each segment the encoder *decodes* a latent value z from the stack with
/// the posterior q(z | segment), *encodes* the segment with p(x | z), then *encodes* z
/// with the prior p(z); the decoder runs this backwards and gets the posterior's bits
/// back. Latent values are bytes (at most 256 of them).
pub trait LatentModel: Send {
    /// The prior p(z).
    fn prior(&self) -> &Categorical;
    /// The posterior q(z | segment) (any distribution works; the closer to the true
    /// posterior, the closer the cost is to −log2 p(segment)).
    fn posterior(&self, segment: &[u8]) -> Categorical;
    /// p(next byte | z, the segment's bytes so far).
    fn likelihood(&self, z: u8, prefix: &[u8]) -> &Categorical;
    /// Whether a segment whose bytes so far are `segment` ends here.
    fn segment_ends(&self, segment: &[u8]) -> bool;
    /// Segments starting at or after this offset in the block are coded naively (the
    /// posterior's most probable z, no bits back). The encoder codes segments last to
    /// first, so these are the first ones it codes: they put bits on the empty stack
    /// for the posterior decodes of the others to take. `usize::MAX` (the default):
    /// none; `0`: every segment (bits-back off).
    fn naive_from(&self) -> usize {
        usize::MAX
    }
    /// How many latent values the model really uses (for reports); by default those
    /// the prior allows.
    fn components(&self) -> usize {
        self.prior()
            .frequencies()
            .iter()
            .filter(|&&f| f > 0)
            .count()
    }
}

/// An adaptive model over whole bytes: `predict`, then `update` with the byte coded.
pub trait ByteModel: Send {
    /// Distribution of the next byte. Every byte that can occur must have non-zero
    /// frequency.
    fn predict(&mut self) -> &Categorical;
    /// Learn the byte that was coded.
    fn update(&mut self, byte: u8);
}

/// An adaptive model over binary decisions (the bits of each byte, MSB first):
/// `p1`, then `update` with the bit coded.
///
/// At each byte boundary the coder first asks [`BitModel::run`]: a model that is sure
/// of the next bytes (a long match) may state them, and they are coded as one decision
/// (these bytes, or not); then [`BitModel::run_result`] tells it which. On a hit the
/// bytes are not coded bit by bit; on a miss (and when there is no run) the byte is.
pub trait BitModel: Send {
    /// P(next bit = 1) in units of 2^-16; clamped into `1..=65535` by the coder.
    fn p1(&mut self) -> u32;
    /// Learn the bit that was coded.
    fn update(&mut self, bit: bool);
    /// At a byte boundary, with `left` bytes of the block to come: the bytes the model
    /// predicts next, appended to the empty `run` (1 to `left` of them), and P(they
    /// come), in units of 2^-16; or `None` (the default) to code the next byte bit by bit.
    fn run(&mut self, _left: usize, _run: &mut Vec<u8>) -> Option<u32> {
        None
    }
    /// Whether the `run` just stated came (`hit`): on a hit, the model learns those
    /// bytes and the coder goes on after them.
    fn run_result(&mut self, _hit: bool, _run: &[u8]) {}
    /// At a byte boundary (when no run was stated, or it did not come): whether the
    /// model has nothing better than ½ for each bit of the next byte; the coder then
    /// codes its 8 bits so and hands the byte to [`BitModel::flat_byte`] instead of
    /// asking `p1` and calling `update`.
    fn flat(&mut self) -> bool {
        false
    }
    /// The byte coded flat.
    fn flat_byte(&mut self, _byte: u8) {}
}
