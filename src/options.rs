//! Compression options and the model registry.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::format::MAX_BLOCK_SIZE;
use crate::model::{BUILTIN_MODELS, Cm, Grid, Iid, Mixture, Model, Segment, ids};
use crate::prior::Prior;

/// The level used when none is given.
pub const DEFAULT_LEVEL: u8 = 6;
/// The model used when none is given.
pub const DEFAULT_MODEL: &str = "cm";
/// Block size when none is given and the model states none ([`Model::block_size`]): 4 MiB.
pub const DEFAULT_BLOCK_SIZE: usize = 4 << 20;

/// How to compress: model, level, block size.
///
/// ```
/// let opts = kraft::Options::new().model("iid").level(9).block_size(1 << 20);
/// assert_eq!(opts.get_level(), 9);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    model: String,
    level: u8,
    block_size: Option<usize>,
    content_size: Option<u64>,
    threads: usize,
    segment: Segment,
    components: Option<usize>,
    bits_back: bool,
    width: Option<usize>,
    filters: bool,
    prior: Option<Prior>,
    compact: bool,
    index: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            model: DEFAULT_MODEL.to_string(),
            level: DEFAULT_LEVEL,
            block_size: None,
            content_size: None,
            threads: 1,
            segment: Segment::Lines,
            components: None,
            bits_back: true,
            width: None,
            filters: true,
            prior: None,
            compact: true,
            index: false,
        }
    }
}

impl Options {
    /// The defaults: model `cm`, level 6, block size chosen by the model, one thread.
    pub fn new() -> Self {
        Self::default()
    }

    /// Try the filters ([`crate::filter`]) on blocks that look like code, for models
    /// that take them (`cm`), keeping a filtered block only when it codes smaller
    /// (default on).
    pub fn filters(mut self, on: bool) -> Self {
        self.filters = on;
        self
    }

    /// Whether the filters are tried.
    pub fn get_filters(&self) -> bool {
        self.filters
    }

    /// Code against a trained prior ([`Prior`]): the model becomes the prior's, and
    /// every block is coded after what the prior learned. The stream records the
    /// prior's id, and only a [`crate::Decoder`] given the same prior decodes it.
    pub fn prior(mut self, prior: &Prior) -> Self {
        self.model = prior.model_name();
        self.prior = Some(prior.clone());
        self
    }

    /// No prior (the default).
    pub fn no_prior(mut self) -> Self {
        self.prior = None;
        self
    }

    /// The prior in use, if any.
    pub fn get_prior(&self) -> Option<&Prior> {
        self.prior.as_ref()
    }

    /// Write an input that ends within 64 KiB as one compact frame (at most 12 bytes of
    /// framing, `docs/FORMAT.md`) rather than a stream (default on; `iid`, `cm` and
    /// `grid`). Decoders read both.
    pub fn compact(mut self, on: bool) -> Self {
        self.compact = on;
        self
    }

    /// Write a block index after the stream (`docs/FORMAT.md`), so that
    /// [`crate::Seekable`] reads any range decoding only the blocks it covers (default
    /// off; a few bytes per block). An input written as a compact frame has none.
    pub fn index(mut self, on: bool) -> Self {
        self.index = on;
        self
    }

    /// Whether a block index is written.
    pub fn get_index(&self) -> bool {
        self.index
    }

    /// Whether small inputs get a compact frame.
    pub fn get_compact(&self) -> bool {
        self.compact
    }

    /// Select a built-in model by name (see [`crate::BUILTIN_MODELS`]).
    pub fn model(mut self, name: &str) -> Self {
        self.model = name.to_string();
        self
    }

    /// Level 1 (fastest) to 9 (strongest).
    pub fn level(mut self, level: u8) -> Self {
        self.level = level;
        self
    }

    /// Original bytes per independent block (1 byte to 1 GiB).
    pub fn block_size(mut self, bytes: usize) -> Self {
        self.block_size = Some(bytes);
        self
    }

    /// Declare the total input size up front; it is stored in the header and checked
    /// when the stream is finished.
    pub fn content_size(mut self, bytes: Option<u64>) -> Self {
        self.content_size = bytes;
        self
    }

    /// Code up to `n` blocks at once, one thread each (0 or 1: one thread). The output
    /// does not depend on `n`.
    pub fn threads(mut self, n: usize) -> Self {
        self.threads = n.max(1);
        self
    }

    /// `mixture`: how a block is cut into segments (default: lines).
    pub fn segment(mut self, segment: Segment) -> Self {
        self.segment = segment;
        self
    }

    /// `mixture`: the number of components, or `None` to choose it per block by
    /// description length (the default).
    pub fn components(mut self, components: Option<usize>) -> Self {
        self.components = components;
        self
    }

    /// `mixture`: bits-back coding (default) or the naive path.
    pub fn bits_back(mut self, on: bool) -> Self {
        self.bits_back = on;
        self
    }

    /// Code the input as a raw bit grid of `pixels` a row (rows of ⌈pixels/8⌉ bytes, no
    /// header); used by the `grid` model.
    pub fn width(mut self, pixels: Option<usize>) -> Self {
        self.width = pixels;
        self
    }

    /// The raw grid width, if any.
    pub fn get_width(&self) -> Option<usize> {
        self.width
    }

    /// The number of threads.
    pub fn get_threads(&self) -> usize {
        self.threads
    }

    /// The selected model's name.
    pub fn get_model(&self) -> &str {
        &self.model
    }

    /// The selected level.
    pub fn get_level(&self) -> u8 {
        self.level
    }

    /// The declared content size.
    pub fn get_content_size(&self) -> Option<u64> {
        self.content_size
    }

    /// The block size given explicitly, if any.
    pub fn get_block_size(&self) -> Option<usize> {
        self.block_size
    }

    /// The block size in force for `model`: the explicit one, else the model's choice.
    pub fn block_size_for(&self, model: &dyn Model) -> usize {
        self.block_size.unwrap_or_else(|| model.block_size())
    }

    /// The most memory compressing with these options can take, in bytes: per thread,
    /// the model's working set while fitting and coding ([`Model::fit_memory`]) and
    /// three blocks' worth of buffers (the block being filled or coded, its coded data,
    /// a stored copy), two more for a model that takes filters (the filtered copy and
    /// its coded data). A block is the block size in force, or the declared content
    /// size if smaller.
    ///
    /// # Errors
    /// [`Error::UnknownModelName`] if no built-in model has the selected name.
    pub fn compress_memory(&self) -> Result<u64> {
        let model = self.build_model()?;
        let block = self.block_size_for(model.as_ref()) as u64;
        let block = self.content_size.map_or(block, |n| block.min(n)).max(1);
        let buffers = if self.filters && model.filters() {
            5
        } else {
            3
        };
        Ok(self.threads as u64 * (model.fit_memory(block as usize) as u64 + buffers * block))
    }

    /// Check ranges.
    ///
    /// # Errors
    /// [`Error::InvalidOption`] naming the option that is out of range.
    pub fn validate(&self) -> Result<()> {
        if !(1..=9).contains(&self.level) {
            return Err(Error::InvalidOption(format!(
                "level {} (must be 1 to 9)",
                self.level
            )));
        }
        let bs = self.block_size.unwrap_or(DEFAULT_BLOCK_SIZE) as u64;
        if bs == 0 || bs > MAX_BLOCK_SIZE {
            return Err(Error::InvalidOption(format!(
                "block size {bs} (must be 1 byte to 1 GiB)"
            )));
        }
        Ok(())
    }

    /// The `mixture` model these options describe.
    pub(crate) fn mixture(&self) -> Result<Mixture> {
        Mixture::new(self.segment, self.components, self.bits_back)
    }

    /// Build the selected built-in model.
    ///
    /// # Errors
    /// [`Error::UnknownModelName`] if no built-in model has that name.
    pub fn build_model(&self) -> Result<Box<dyn Model>> {
        if let Some(prior) = &self.prior {
            return prior.model_for(&self.model, self.level);
        }
        let entry = BUILTIN_MODELS
            .iter()
            .find(|m| m.name == self.model)
            .ok_or_else(|| Error::UnknownModelName(self.model.clone()))?;
        Ok(match entry.id {
            ids::CM => Box::new(Cm::new(self.level)),
            ids::IID => Box::new(Iid),
            ids::MIXTURE => Box::new(self.mixture()?),
            ids::GRID => Box::new(Grid::new(self.level, self.width)),
            other => unreachable!("built-in model id {other} has no options"),
        })
    }
}

/// The first model id for models outside kraft.
const FIRST_USER_ID: u8 = 128;

type Ctor = Arc<dyn Fn(&[u8]) -> Result<Box<dyn Model>> + Send + Sync>;

/// Which model to build for each id found in a stream.
///
/// [`Registry::builtin`] knows kraft's own models; [`Registry::register`] adds models
/// from outside the crate.
#[derive(Clone)]
pub struct Registry {
    ctors: HashMap<u8, Ctor>,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut ids: Vec<_> = self.ctors.keys().collect();
        ids.sort();
        f.debug_struct("Registry").field("ids", &ids).finish()
    }
}

impl Default for Registry {
    fn default() -> Self {
        Self::builtin()
    }
}

impl Registry {
    /// kraft's own models.
    pub fn builtin() -> Self {
        let mut r = Registry {
            ctors: HashMap::new(),
        };
        for m in BUILTIN_MODELS {
            r.ctors.insert(m.id, Arc::new(m.from_settings));
        }
        r
    }

    /// Add the constructor for model `id`; it receives the stream's
    /// [`Model::settings`]. Ids 128..=255 are for models outside kraft (`docs/FORMAT.md`).
    ///
    /// # Errors
    /// [`Error::InvalidOption`] for an id below 128 (kraft's own) or one already
    /// registered: a registry never silently changes what a stream decodes to.
    pub fn register<F>(&mut self, id: u8, ctor: F) -> Result<()>
    where
        F: Fn(&[u8]) -> Result<Box<dyn Model>> + Send + Sync + 'static,
    {
        if id < FIRST_USER_ID {
            return Err(Error::InvalidOption(format!(
                "model id {id} is kraft's own; models outside kraft take 128 to 255"
            )));
        }
        if self.ctors.contains_key(&id) {
            return Err(Error::InvalidOption(format!(
                "model id {id} is registered already"
            )));
        }
        self.ctors.insert(id, Arc::new(ctor));
        Ok(())
    }

    /// Build the model for `id` with `settings`.
    ///
    /// # Errors
    /// [`Error::UnknownModel`] for an id nobody registered; the constructor's error for
    /// settings it rejects.
    pub fn build(&self, id: u8, settings: &[u8]) -> Result<Box<dyn Model>> {
        let ctor = self.ctors.get(&id).ok_or(Error::UnknownModel(id))?;
        ctor(settings)
    }
}
