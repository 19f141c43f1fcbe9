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
#[cfg(feature = "fast")]
mod fast;
mod grid;
pub(crate) mod iid;
pub(crate) mod logistic;
pub mod mixture;
mod table;

pub use crate::coder::{
    Bit, BitModel, ByteModel, Categorical, LatentModel, ONE, PRECISION, Predictor,
};
pub use cm::Cm;

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

/// A built-in model: its id in streams, its name (for `Options::model` and `--model`),
/// and how a decoder builds it from a stream's settings.
pub struct BuiltinModel {
    /// The id stored in the stream header ([`ids`]).
    pub id: u8,
    /// The name.
    pub name: &'static str,
    /// The model a stream's settings describe.
    pub from_settings: fn(&[u8]) -> Result<Box<dyn Model>>,
}

/// kraft's own models: the one table that names and numbers them.
pub const BUILTIN_MODELS: &[BuiltinModel] = &[
    BuiltinModel {
        id: ids::CM,
        name: "cm",
        from_settings: |s| Ok(Box::new(Cm::from_settings(s)?)),
    },
    BuiltinModel {
        id: ids::IID,
        name: "iid",
        from_settings: |s| {
            if !s.is_empty() {
                return Err(crate::Error::bad_params("iid takes no settings"));
            }
            Ok(Box::new(Iid))
        },
    },
    BuiltinModel {
        id: ids::MIXTURE,
        name: "mixture",
        from_settings: |s| Ok(Box::new(Mixture::from_settings(s)?)),
    },
    BuiltinModel {
        id: ids::GRID,
        name: "grid",
        from_settings: |s| Ok(Box::new(Grid::from_settings(s)?)),
    },
];

/// Name of a model id, for display: a built-in model's name, else `model #id`.
pub fn model_name(id: u8) -> String {
    BUILTIN_MODELS
        .iter()
        .find(|m| m.id == id)
        .map_or_else(|| format!("model #{id}"), |m| m.name.to_string())
}
