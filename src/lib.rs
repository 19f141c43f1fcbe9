//! # kraft: lossless compression with learned entropy models
//!
//! A compressor is a probability model plus an entropy coder. If a model assigns
//! probability q(x) to the data, an ideal coder spends −log2 q(x) bits; no code beats the
//! entropy on average, and the excess is the KL divergence between the source and the
//! model. kraft codes with fitted models and reports, for every input, how close it came
//! to those bounds.
//!
//! ## Which model should I use?
//!
//! | data | model | why |
//! |---|---|---|
//! | text, source code, binaries, tables: real data | `cm` (the default) | context mixing: the strongest; ~0.4 MB/s at level 6 |
//! | bytes with a skewed distribution and no structure, or when speed matters most | `iid` | semi-static order 0: ~200 MB/s, reaches N·H0 plus a ≤ 547-byte table |
//! | bilevel images: PBM files, fax pages, spin configurations (`--width W` for headerless rows) | `grid` | 2D causal contexts; the CLI picks it for PBM input |
//! | your own idea of the data | implement [`model::Model`] | container, checksums, coding and report come for free |
//!
//! ## One-shot and streaming
//!
//! ```
//! let data = b"to be or not to be, that is the question".repeat(3000);
//! let iid = kraft::Options::new().model("iid");
//! let packed = kraft::compress(&data, &iid)?;
//! assert_eq!(kraft::decompress(&packed)?, data);
//!
//! // What was written against the bounds, without writing anything.
//! let report = kraft::report(&data, &iid)?;
//! assert!(report.coder_overhead_percent < 0.1);
//! assert_eq!(report.achieved_bits, 8 * packed.len() as u64);
//!
//! // The default model (context mixing) sees the repetition.
//! let cm = kraft::compress(&data, &kraft::Options::default())?;
//! assert!(cm.len() < packed.len() / 50);
//! # Ok::<(), kraft::Error>(())
//! ```
//!
//! Streaming: [`Encoder`] wraps any [`std::io::Write`], [`Decoder`] any [`std::io::Read`].
//!
//! ## Layout
//! - [`model`]: the [`model::Model`] trait and the built-in models;
//! - `coder`: entropy coding with `constriction` (ANS and range coding);
//! - [`filter`]: reversible transforms before a model (the x86 call filter);
//! - [`format`](mod@format): the container (header, blocks, checksums; `docs/FORMAT.md`);
//! - [`report`](mod@report): empirical entropies and the achieved-bits report;
//! - [`corpus`]: synthetic sources with exactly known entropy.

// `unsafe` is in one file, `model/fast.rs`, compiled with the `fast` feature only.
#![cfg_attr(not(feature = "fast"), forbid(unsafe_code))]
#![cfg_attr(feature = "fast", deny(unsafe_code))]
#![deny(missing_docs)]

mod block;
pub mod coder;
pub mod corpus;
mod error;
pub mod filter;
pub mod format;
mod inspect;
pub mod model;
mod options;
mod pbm;
mod prior;
mod read;
pub mod report;
mod seek;
mod train;
mod write;

pub use error::{CorruptKind, Error, Result};
pub use inspect::{BlockInfo, StreamInfo, inspect, list_blocks};
pub use model::{BUILTIN_MODELS, BuiltinModel, model_name};
pub use options::{DEFAULT_BLOCK_SIZE, DEFAULT_LEVEL, DEFAULT_MODEL, ModelSpec, Options, Registry};
pub use prior::{DEFAULT_PRIOR_SIZE, MAX_PRIOR_BODY, PRIOR_MAGIC, PRIOR_VERSION, Prior};
pub use read::{DEFAULT_MEMORY_LIMIT, Decoder, decoder_memory};
pub use report::{Report, Stats};
pub use seek::Seekable;
pub use write::Encoder;

/// Compress `data` with the built-in model and level in `options`.
///
/// # Errors
/// [`Error::InvalidOption`] or [`Error::UnknownModelName`] for bad options.
pub fn compress(data: &[u8], options: &Options) -> Result<Vec<u8>> {
    compress_with(data, options, options.build_model()?.as_ref())
}

/// Compress `data` with any [`model::Model`].
///
/// # Errors
/// Invalid options, or an error of the model.
pub fn compress_with(data: &[u8], options: &Options, model: &dyn model::Model) -> Result<Vec<u8>> {
    compress_stats(data, options, model).map(|(v, _)| v)
}

/// [`compress`], also returning what was written where ([`Stats`]: container,
/// parameters, payload, the model's ideal code length): with
/// [`report::empirical_entropies`] it makes a [`Report`] without compressing again.
///
/// # Errors
/// As [`compress`].
pub fn compress_with_stats(data: &[u8], options: &Options) -> Result<(Vec<u8>, Stats)> {
    compress_stats(data, options, options.build_model()?.as_ref())
}

fn compress_stats(
    data: &[u8],
    options: &Options,
    model: &dyn model::Model,
) -> Result<(Vec<u8>, Stats)> {
    // Unless the options declare it, the size is declared when the data is one block, as
    // the command line does for an input it has read to the end before the header.
    let one_block = data.len() <= options.block_size_for(model);
    let declared = options
        .get_content_size()
        .or(one_block.then_some(data.len() as u64));
    let options = options.clone().content_size(declared);
    let mut out = Vec::new();
    let mut core = write::Core::start(&options, model)?;
    core.write_all(&mut out, model, data)?;
    let stats = core.finish(&mut out, model)?;
    Ok((out, stats))
}

/// Decompress a kraft stream (or several concatenated) held in memory.
///
/// # Errors
/// Any damage to the stream: [`Error::BadMagic`], [`Error::Truncated`],
/// [`Error::Checksum`], [`Error::Corrupt`], …
pub fn decompress(data: &[u8]) -> Result<Vec<u8>> {
    decompress_with(data, &Registry::builtin())
}

/// Decompress with the models in `registry` (for streams written by your own models).
///
/// # Errors
/// As [`decompress`], and [`Error::UnknownModel`] for ids not in `registry`.
pub fn decompress_with(data: &[u8], registry: &Registry) -> Result<Vec<u8>> {
    let mut dec = Decoder::with_registry(data, registry.clone());
    let mut out = Vec::new();
    dec.read_all(&mut out)?;
    Ok(out)
}

/// Compress `data` in memory and report achieved bits against the entropy bounds;
/// nothing is written anywhere.
///
/// # Errors
/// As [`compress`].
pub fn report(data: &[u8], options: &Options) -> Result<Report> {
    let model = options.build_model()?;
    report_with(data, options, model.as_ref())
}

/// [`report()`] for any model.
///
/// # Errors
/// As [`compress_with`].
pub fn report_with(data: &[u8], options: &Options, model: &dyn model::Model) -> Result<Report> {
    let (_, stats) = compress_stats(data, options, model)?;
    let h = report::empirical_entropies(data);
    let mut r = Report::new(model.name(), options.get_level(), h, &stats);
    r.pixels = report::pbm_pixels(data);
    if let Some(prior) = options.get_prior() {
        let cold = options.clone().no_prior();
        let (_, c) = compress_stats(data, &cold, cold.build_model()?.as_ref())?;
        let cold_bits = 8 * c.compressed_bytes();
        r.prior = Some(report::PriorSavings {
            id: prior.id_hex(),
            prior_bytes: prior.body_len() as u64,
            cold_achieved_bits: cold_bits,
            cold_ideal_bits: c.ideal_bits,
            saved_bits: cold_bits as i64 - r.achieved_bits as i64,
        });
    }
    Ok(r)
}
