//! Probability models: what kraft knows about data.
//!
//! A compressor is a probability model plus an entropy coder. Every model in kraft, and
//! any model a user of the library writes, implements [`Model`]: for each block of input
//! it is first *fitted* (a semi-static model estimates parameters and writes them to the
//! block header; an adaptive model writes nothing), then it hands the coder a
//! [`Predictor`], the form in which it will state its probabilities. The container, the
//! checksums, the entropy coding and the entropy report come for free.
//!
//! | model | kind | predictor | parameters in the block header |
//! |---|---|---|---|
//! | [`Iid`] (`iid`) | semi-static, order 0 | [`Predictor::Static`] | quantized byte frequencies |
//! | [`Cm`] (`cm`) | adaptive, context mixing | [`Predictor::Bits`] | which context groups are on |
//! | [`Grid`] (`grid`) | adaptive, 2D contexts for bilevel images | [`Predictor::Bits`] | wrap-around flag, raw width |
//! | your own | adaptive, byte-wise | [`Predictor::Bytes`] with a [`ByteModel`] | whatever `fit` writes |
//! | your own | adaptive, bit-wise (context mixing) | [`Predictor::Bits`] with a [`BitModel`] | whatever `fit` writes |
//! | your own | latent variable, bits-back | [`Predictor::Latent`] with a [`LatentModel`] | whatever `fit` writes |
//!
//! Call contract, encoder side: `let p = model.fit(block, &mut params)?;` then the coder
//! runs `p` over the block. Decoder side: `let p = model.load(&params, len)?;` and the coder
//! runs `p` to rebuild the block. `load` must return a predictor that makes exactly the
//! predictions `fit`'s did, in the same order: anything it computes must be bit-exact
//! (integers, or floats in a fixed order of basic operations).
//!
//! # Example: a model of your own
//!
//! ```
//! use kraft::model::{BitModel, Model, Predictor};
//! use kraft::{Options, Registry};
//!
//! /// Order-0 bitwise model: one adaptive probability per node of the byte's binary tree.
//! struct Tree { p: [u32; 256], node: usize }
//!
//! impl BitModel for Tree {
//!     fn p1(&mut self) -> u32 { self.p[self.node] }
//!     fn update(&mut self, bit: bool) {
//!         let p = &mut self.p[self.node];
//!         if bit { *p += (65536 - *p) >> 4 } else { *p -= *p >> 4 }
//!         self.node = if self.node >= 128 { 1 } else { 2 * self.node + bit as usize };
//!     }
//! }
//!
//! struct TreeModel;
//! impl Model for TreeModel {
//!     fn id(&self) -> u8 { 200 }
//!     fn name(&self) -> &str { "tree" }
//!     fn fit(&self, _block: &[u8], _params: &mut Vec<u8>) -> kraft::Result<Predictor> {
//!         self.load(&[], 0)
//!     }
//!     fn load(&self, _params: &[u8], _len: usize) -> kraft::Result<Predictor> {
//!         Ok(Predictor::Bits(Box::new(Tree { p: [32768; 256], node: 1 })))
//!     }
//! }
//!
//! let data = b"abracadabra, abracadabra, abracadabra".repeat(20);
//! let packed = kraft::compress_with(&data, &Options::default(), &TreeModel)?;
//! let mut registry = Registry::builtin();
//! registry.register(200, |_settings| Ok(Box::new(TreeModel)))?;
//! // kraft's own ids, and ids taken already, are refused.
//! assert!(registry.register(2, |_settings| Ok(Box::new(TreeModel))).is_err());
//! assert!(registry.register(200, |_settings| Ok(Box::new(TreeModel))).is_err());
//! assert_eq!(kraft::decompress_with(&packed, &registry)?, data);
//! assert!(packed.len() < data.len() / 2);
//! # Ok::<(), kraft::Error>(())
//! ```

pub mod cm;
mod grid;
pub(crate) mod iid;
pub mod mixture;
mod table;

pub use crate::coder::{Bit, Categorical, ONE, PRECISION};
pub use cm::Cm;
pub(crate) use grid::scan_pbm;
pub use grid::{Grid, MAX_WIDTH as GRID_MAX_WIDTH, looks_like_pbm};
pub use iid::Iid;
pub use mixture::{Mixture, Segment};

use crate::error::Result;

/// A model family, as named in the container by its id.
///
/// Implementations must be deterministic: the same block and settings give the same
/// parameters and predictions on every machine.
pub trait Model: Send + Sync {
    /// The id stored in the stream header. Ids 1..=127 are kraft's own; 128..=255 are
    /// free for models outside the crate (register them in a [`crate::Registry`] to
    /// decode).
    fn id(&self) -> u8;

    /// Short name, as given to `--model`.
    fn name(&self) -> &str;

    /// Stream-level settings (e.g. a level), stored once in the stream header and given
    /// back to the registry's constructor when decoding.
    fn settings(&self) -> Vec<u8> {
        Vec::new()
    }

    /// Encoder side: fit the model to `block` (a first pass, for semi-static models),
    /// append its parameters to `params`, and return the predictor for the coder.
    ///
    /// # Errors
    /// Whatever the model cannot handle; built-in models accept any input.
    fn fit(&self, block: &[u8], params: &mut Vec<u8>) -> Result<Predictor>;

    /// Decoder side: rebuild from `params` the predictor that [`Model::fit`] returned
    /// for a block of `len` bytes.
    ///
    /// # Errors
    /// [`crate::Error::Corrupt`] if `params` are not valid for this model.
    fn load(&self, params: &[u8], len: usize) -> Result<Predictor>;

    /// Original bytes per block when the user gives no block size. Larger blocks give
    /// adaptive models more history; the block size fixes the output, so it must not
    /// depend on anything but the model and its settings.
    fn block_size(&self) -> usize {
        crate::DEFAULT_BLOCK_SIZE
    }

    /// Memory the predictor needs while coding a block of `block_size` bytes, in bytes
    /// (for `kraft info` and the documented bounds). Zero means "negligible".
    fn memory(&self, _block_size: usize) -> usize {
        0
    }

    /// Memory [`Model::fit`] needs for a block of `block_size` bytes, in bytes, coding
    /// included (for `--memory-limit` when compressing). The default: what
    /// [`Model::memory`] states.
    fn fit_memory(&self, block_size: usize) -> usize {
        self.memory(block_size)
    }

    /// Whether the encoder tries the filters ([`crate::filter`]) on this model's blocks,
    /// coding a block that looks like code both ways and keeping the smaller. A decoder
    /// undoes a filter on any model's blocks.
    fn filters(&self) -> bool {
        false
    }

    /// The level the model's settings carry, for models whose settings are a level
    /// (`cm`, `grid`): the encoder writes it in the header, and a decoder goes by the
    /// settings.
    fn level(&self) -> Option<u8> {
        None
    }
}

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
pub trait BitModel: Send {
    /// P(next bit = 1) in units of 2^-16; clamped into `1..=65535` by the coder.
    fn p1(&mut self) -> u32;
    /// Learn the bit that was coded.
    fn update(&mut self, bit: bool);
}

/// Built-in model ids, as stored in the container.
pub mod ids {
    /// [`super::Iid`].
    pub const IID: u8 = 1;
    /// [`super::Cm`].
    pub const CM: u8 = 2;
    /// [`super::Mixture`].
    pub const MIXTURE: u8 = 3;
    /// [`super::Grid`].
    pub const GRID: u8 = 4;
}

/// Names of the built-in models, as accepted by `--model`.
pub const BUILTIN: &[&str] = &["cm", "iid", "mixture", "grid"];
