//! Compression options and the model registry.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::format::MAX_BLOCK_SIZE;
use crate::model::{BUILTIN_MODELS, Cm, Grid, Iid, Mixture, Model, ids};
use crate::prior::Prior;

/// The level used when none is given.
pub const DEFAULT_LEVEL: u8 = 6;
/// The model used when none is given.
pub const DEFAULT_MODEL: &str = "cm";
/// Block size when none is given and the model states none ([`Model::block_size`]): 4 MiB.
pub const DEFAULT_BLOCK_SIZE: usize = 4 << 20;

/// The model [`Options`] code with: a built-in model by name (the command line's form,
/// built at the options' level), or a built-in model's own value, which carries its
/// settings.
///
/// Every `&str` and every built-in model converts into one, so
/// [`Options::model`] takes either:
///
/// ```
/// use kraft::model::{Cm, Mixture, Segment};
/// let by_name = kraft::Options::new().model("cm").level(9);
/// let typed = kraft::Options::new().model(Cm::new(9));
/// assert_eq!(by_name.get_level(), typed.get_level());
/// let mixture = kraft::Options::new().model(Mixture::new().segment(Segment::Fixed(64)).components(Some(3)));
/// assert_eq!(mixture.get_model(), "mixture");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ModelSpec {
    /// A built-in model by name ([`crate::BUILTIN_MODELS`]), at [`Options::level`].
    Named(String),
    /// [`Cm`] with its level.
    Cm(Cm),
    /// [`Iid`].
    Iid(Iid),
    /// [`Mixture`] with its segmentation, components and bits-back choice.
    Mixture(Mixture),
    /// [`Grid`] with its level and raw width.
    Grid(Grid),
}

impl From<&str> for ModelSpec {
    fn from(name: &str) -> Self {
        ModelSpec::Named(name.to_string())
    }
}

impl From<String> for ModelSpec {
    fn from(name: String) -> Self {
        ModelSpec::Named(name)
    }
}

impl From<&String> for ModelSpec {
    fn from(name: &String) -> Self {
        ModelSpec::Named(name.clone())
    }
}

impl From<Cm> for ModelSpec {
    fn from(m: Cm) -> Self {
        ModelSpec::Cm(m)
    }
}

impl From<Iid> for ModelSpec {
    fn from(m: Iid) -> Self {
        ModelSpec::Iid(m)
    }
}

impl From<Mixture> for ModelSpec {
    fn from(m: Mixture) -> Self {
        ModelSpec::Mixture(m)
    }
}

impl From<Grid> for ModelSpec {
    fn from(m: Grid) -> Self {
        ModelSpec::Grid(m)
    }
}

impl ModelSpec {
    /// The model's name.
    pub fn name(&self) -> &str {
        match self {
            ModelSpec::Named(name) => name,
            ModelSpec::Cm(_) => "cm",
            ModelSpec::Iid(_) => "iid",
            ModelSpec::Mixture(_) => "mixture",
            ModelSpec::Grid(_) => "grid",
        }
    }
}

/// How to compress: model, level, block size.
///
/// The model is chosen by name and level (`.model("cm").level(9)`, the command line's
/// form) or given as a value that carries its own settings (`.model(Cm::new(9))`,
/// `.model(Mixture::new().segment(..))`, `.model(Grid::new(6).width(1728))`): see
/// [`ModelSpec`].
///
/// ```
/// let opts = kraft::Options::new().model("iid").level(9).block_size(1 << 20);
/// assert_eq!(opts.get_level(), 9);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    model: ModelSpec,
    level: u8,
    block_size: Option<usize>,
    content_size: Option<u64>,
    threads: usize,
    filters: bool,
    prior: Option<Prior>,
    compact: bool,
    index: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            model: ModelSpec::Named(DEFAULT_MODEL.to_string()),
            level: DEFAULT_LEVEL,
            block_size: None,
            content_size: None,
            threads: 1,
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
        self.model = ModelSpec::Named(prior.model_name());
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

    /// Select the model: a built-in one by name (see [`crate::BUILTIN_MODELS`]) or a
    /// built-in model's value with its settings ([`ModelSpec`]).
    pub fn model(mut self, model: impl Into<ModelSpec>) -> Self {
        self.model = model.into();
        self
    }

    /// Level 1 (fastest) to 9 (strongest), for a model chosen by name and for a `cm` or
    /// `grid` value given (which takes this level, keeping its other settings); `iid`
    /// and `mixture` have none.
    pub fn level(mut self, level: u8) -> Self {
        self.level = level;
        self.model = match self.model {
            ModelSpec::Cm(_) => ModelSpec::Cm(Cm::new(level)),
            ModelSpec::Grid(g) => ModelSpec::Grid(g.level(level)),
            other => other,
        };
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

    /// The number of threads.
    pub fn get_threads(&self) -> usize {
        self.threads
    }

    /// The selected model's name.
    pub fn get_model(&self) -> &str {
        self.model.name()
    }

    /// The selected model, as given.
    pub fn get_model_spec(&self) -> &ModelSpec {
        &self.model
    }

    /// The level in force: a `cm` or `grid` value's own, else the one set.
    pub fn get_level(&self) -> u8 {
        match &self.model {
            ModelSpec::Cm(m) => m.level().unwrap_or(self.level),
            ModelSpec::Grid(m) => m.level().unwrap_or(self.level),
            _ => self.level,
        }
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
        match &self.model {
            ModelSpec::Mixture(m) => m.validate()?,
            ModelSpec::Grid(g) => g.validate()?,
            _ => {}
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
        let m = match &self.model {
            ModelSpec::Mixture(m) => m.clone(),
            _ => Mixture::new(),
        };
        m.validate()?;
        Ok(m)
    }

    /// Build the selected built-in model.
    ///
    /// # Errors
    /// [`Error::UnknownModelName`] if no built-in model has that name.
    pub fn build_model(&self) -> Result<Box<dyn Model>> {
        if let Some(prior) = &self.prior {
            // The prior's model takes its settings from the prior; a level, from the
            // options (`cm`).
            if matches!(self.model, ModelSpec::Mixture(_) | ModelSpec::Grid(_)) {
                return Err(Error::InvalidOption(format!(
                    "a {} value with settings of its own cannot take a prior: the prior's model takes the prior's settings",
                    self.model.name()
                )));
            }
            return prior.model_for(self.model.name(), self.get_level());
        }
        let name = match &self.model {
            ModelSpec::Named(name) => name,
            ModelSpec::Cm(m) => return Ok(Box::new(m.clone())),
            ModelSpec::Iid(m) => return Ok(Box::new(*m)),
            ModelSpec::Mixture(m) => {
                m.validate()?;
                return Ok(Box::new(m.clone()));
            }
            ModelSpec::Grid(m) => {
                m.validate()?;
                return Ok(Box::new(m.clone()));
            }
        };
        let entry = BUILTIN_MODELS
            .iter()
            .find(|m| m.name == name)
            .ok_or_else(|| Error::UnknownModelName(name.clone()))?;
        Ok(match entry.id {
            ids::CM => Box::new(Cm::new(self.level)),
            ids::IID => Box::new(Iid),
            ids::MIXTURE => Box::new(Mixture::new()),
            ids::GRID => Box::new(Grid::new(self.level)),
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
