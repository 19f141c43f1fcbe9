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
//! **Coding** ([`LatentModel`](crate::model::LatentModel)): for each segment, the encoder *decodes* m from the ANS
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

use super::iid::read_table;
use super::{Categorical, Model, ONE, Predictor, ids};
use crate::error::{Error, Result};
use crate::format::varint;

mod em;
mod fitted;

use em::{choose_components, em, fit};
use fitted::{Fitted, naive_tail};

/// Most components a block may use.
pub const MAX_COMPONENTS: usize = 16;
/// Longest fixed segment, in bytes.
pub const MAX_SEGMENT: usize = 1 << 16;
/// A line segment also ends after this many bytes without a newline.
const MAX_LINE: usize = 4096;

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
    /// The mixture model with its defaults: segments are lines, the number of
    /// components is chosen per block, bits-back is on.
    pub fn new() -> Self {
        Self::default()
    }

    /// How a block is cut into segments (fixed sizes: 1 to [`MAX_SEGMENT`] bytes).
    #[must_use]
    pub fn segment(mut self, segment: Segment) -> Self {
        self.segment = segment;
        self
    }

    /// The number of components (1 to [`MAX_COMPONENTS`]), or `None` to choose it per
    /// block by description length.
    #[must_use]
    pub fn components(mut self, components: Option<usize>) -> Self {
        self.components = components;
        self
    }

    /// Bits-back coding (on) or the naive path that codes each segment's component.
    #[must_use]
    pub fn bits_back(mut self, on: bool) -> Self {
        self.bits_back = on;
        self
    }

    /// Check the ranges.
    ///
    /// # Errors
    /// [`Error::InvalidOption`] for a fixed segment outside 1..=65536 bytes or a
    /// component count outside 1..=16.
    pub fn validate(&self) -> Result<()> {
        if let Segment::Fixed(n) = self.segment {
            if !(1..=MAX_SEGMENT).contains(&n) {
                return Err(Error::InvalidOption(format!(
                    "segment size {n} (must be 1 to {MAX_SEGMENT} bytes)"
                )));
            }
        }
        if let Some(m) = self.components {
            if !(1..=MAX_COMPONENTS).contains(&m) {
                return Err(Error::InvalidOption(format!(
                    "{m} components (must be 1 to {MAX_COMPONENTS})"
                )));
            }
        }
        Ok(())
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
        let m = Mixture {
            segment,
            components,
            bits_back,
        };
        m.validate().map_err(|_| bad())?;
        Ok(m)
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
        // A value built outside `Options` (`compress_with`, `Encoder::with_model`) is
        // checked here, before its settings could reach a stream.
        self.validate()?;
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
            Segment::Fixed(n) => block_size.div_ceil(n.max(1)),
        };
        self.memory(block_size) + segments * (8 + 4 * MAX_COMPONENTS + 48)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::LatentModel;

    #[test]
    fn settings_round_trip() {
        for model in [
            Mixture::default(),
            Mixture::new()
                .segment(Segment::Fixed(64))
                .components(Some(3))
                .bits_back(false),
            Mixture::new()
                .segment(Segment::Fixed(MAX_SEGMENT))
                .components(Some(16)),
        ] {
            assert_eq!(Mixture::from_settings(&model.settings()).unwrap(), model);
        }
        assert!(Mixture::from_settings(&[]).is_err());
        assert!(Mixture::from_settings(&[2, 0, 1]).is_err());
        assert!(Mixture::from_settings(&[0, 17, 1]).is_err());
        assert!(
            Mixture::new()
                .segment(Segment::Fixed(0))
                .validate()
                .is_err()
        );
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
