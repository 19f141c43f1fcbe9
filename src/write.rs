//! Streaming compression: [`Encoder`].

use std::io::{self, Write};

use crate::block;
use crate::error::{Error, Result};
use crate::format::{BLOCK_STORED, Header, SMALL_MAX, Small, Trailer};
use crate::model::Model;
use crate::options::Options;
use crate::report::Stats;

/// The state of a stream being written, independent of who owns the model and writer.
///
/// Full blocks wait in `ready` until there is one per thread; then they are coded at
/// once, one thread each, and written in order. Block boundaries depend only on the
/// block size, so the output is the same for any number of threads.
pub(crate) struct Core {
    /// The stream header, until the first block is written (an input that ends
    /// within [`SMALL_MAX`] bytes in one block gets a compact frame instead).
    header: Option<Vec<u8>>,
    /// The compact frame's model, level and prior, when the options allow one.
    small: Option<(u8, u8, Option<u64>)>,
    /// The block index written after the trailer, when the options ask for one.
    index: Option<crate::format::Index>,
    block_size: usize,
    threads: usize,
    content_size: Option<u64>,
    filters: bool,
    pending: Vec<u8>,
    ready: Vec<Vec<u8>>,
    crc: crc32fast::Hasher,
    stats: Stats,
    poisoned: bool,
    /// The trailer is written: the stream is complete.
    finished: bool,
}

impl Core {
    /// Validate options and prepare the stream header (written with the first block).
    pub(crate) fn start(options: &Options, model: &dyn Model) -> Result<Core> {
        options.validate()?;
        let block_size = options.block_size_for(model);
        let header = Header {
            model: model.id(),
            // A model that carries its own level (cm, grid) is written at that level.
            level: model.level().unwrap_or(options.get_level()),
            block_size: block_size as u64,
            settings: model.settings(),
            content_size: options.get_content_size(),
            prior: options.get_prior().map(crate::Prior::id),
        };
        let small = (options.get_compact()
            && Small::allowed(header.model, &header.settings, header.level))
        .then_some((header.model, header.level, header.prior));
        let header = header.to_bytes();
        Ok(Core {
            index: options.get_index().then(|| crate::format::Index {
                header_len: header.len() as u64,
                blocks: Vec::new(),
            }),
            header: Some(header),
            small,
            block_size,
            threads: options.get_threads(),
            content_size: options.get_content_size(),
            filters: options.get_filters(),
            pending: Vec::new(),
            ready: Vec::new(),
            crc: crc32fast::Hasher::new(),
            stats: Stats::default(),
            poisoned: false,
            finished: false,
        })
    }

    /// Buffer as much of `buf` as fits the current block; code blocks when enough are full.
    pub(crate) fn write<W: Write>(
        &mut self,
        w: &mut W,
        model: &dyn Model,
        buf: &[u8],
    ) -> Result<usize> {
        if self.poisoned {
            return Err(poisoned());
        }
        let room = self.block_size - self.pending.len();
        let n = room.min(buf.len());
        let len = self.pending.len();
        if self.pending.capacity() < len + n {
            // Double as data arrives, but never past one block.
            let cap = (2 * self.pending.capacity())
                .max(len + n)
                .max(1 << 16)
                .min(self.block_size);
            self.pending.reserve_exact(cap - len);
        }
        self.pending.extend_from_slice(&buf[..n]);
        if self.pending.len() == self.block_size {
            self.ready.push(std::mem::take(&mut self.pending));
            if self.ready.len() >= self.threads {
                self.code_ready(w, model)?;
            }
        }
        Ok(n)
    }

    pub(crate) fn write_all<W: Write>(
        &mut self,
        w: &mut W,
        model: &dyn Model,
        mut buf: &[u8],
    ) -> Result<()> {
        while !buf.is_empty() {
            let n = self.write(w, model, buf)?;
            buf = &buf[n..];
        }
        Ok(())
    }

    /// Code the last blocks and write the end marker and trailer.
    pub(crate) fn finish<W: Write>(&mut self, w: &mut W, model: &dyn Model) -> Result<Stats> {
        if self.finished {
            return Ok(self.stats.clone());
        }
        if self.poisoned {
            return Err(poisoned());
        }
        if !self.pending.is_empty() {
            self.ready.push(std::mem::take(&mut self.pending));
        }
        if let (Some(_), Some(small)) = (&self.header, self.small) {
            let raw: usize = self.ready.iter().map(Vec::len).sum();
            if self.ready.len() <= 1 && raw as u64 <= SMALL_MAX {
                return self.finish_small(w, model, small);
            }
        }
        self.code_ready(w, model)?;
        if let Some(n) = self.content_size {
            if n != self.stats.raw_bytes {
                self.poisoned = true;
                return Err(Error::InvalidOption(format!(
                    "declared content size {n} but {} bytes were written",
                    self.stats.raw_bytes
                )));
            }
        }
        self.write_header(w)?;
        let trailer = Trailer {
            content_size: self.stats.raw_bytes,
            crc: self.crc.clone().finalize(),
        };
        let mut buf = Vec::with_capacity(16);
        trailer.write_with_end(&mut buf);
        if let Some(index) = &self.index {
            buf.extend_from_slice(&index.to_bytes());
        }
        // Nothing may follow the trailer, and a trailer that failed to go out in full is
        // never written again after part of it.
        self.poisoned = true;
        w.write_all(&buf)?;
        w.flush()?;
        self.stats.container_bytes += buf.len() as u64;
        self.finished = true;
        Ok(self.stats.clone())
    }

    /// Write the whole input, at most one block of at most [`SMALL_MAX`] bytes, as a
    /// compact frame.
    fn finish_small<W: Write>(
        &mut self,
        w: &mut W,
        model: &dyn Model,
        (model_id, level, prior): (u8, u8, Option<u64>),
    ) -> Result<Stats> {
        // Nothing may follow, and nothing is written twice.
        self.poisoned = true;
        let raw = self.ready.pop().unwrap_or_default();
        if let Some(n) = self.content_size {
            if n != raw.len() as u64 {
                return Err(Error::InvalidOption(format!(
                    "declared content size {n} but {} bytes were written",
                    raw.len()
                )));
            }
        }
        let crc = crc32fast::hash(&raw);
        let mut small = Small {
            model: model_id,
            level,
            prior: prior.is_some(),
            kind: BLOCK_STORED,
            raw_len: raw.len() as u64,
            data_len: 0,
        };
        let mut data = Vec::new();
        let s = &mut self.stats;
        if !raw.is_empty() {
            let block = block::encode(model, &raw, self.filters, crate::coder::Seal::Tight)?;
            small.kind = block.frame.kind;
            small.data_len = block.frame.data_len;
            s.params_bytes = block.params_bytes as u64;
            s.payload_bytes = (block.data.len() - block.params_bytes) as u64;
            s.ideal_bits = block.ideal_bits;
            s.latent = block.latent;
            s.blocks = 1;
            s.stored_blocks = u64::from(block.frame.kind == BLOCK_STORED);
            data = block.data;
        }
        let mut out = Vec::with_capacity(data.len() + 12);
        small.write_head(&mut out);
        out.extend_from_slice(&data);
        out.extend_from_slice(&Small::check(crc, prior).to_le_bytes());
        w.write_all(&out)?;
        w.flush()?;
        s.raw_bytes = raw.len() as u64;
        s.container_bytes = (out.len() - data.len()) as u64;
        self.header = None;
        self.finished = true;
        Ok(self.stats.clone())
    }

    /// Write the stream header if it is not written yet.
    fn write_header<W: Write>(&mut self, w: &mut W) -> Result<()> {
        if let Some(bytes) = self.header.take() {
            w.write_all(&bytes)?;
            self.stats.container_bytes += bytes.len() as u64;
        }
        Ok(())
    }

    fn code_ready<W: Write>(&mut self, w: &mut W, model: &dyn Model) -> Result<()> {
        if self.ready.is_empty() {
            return Ok(());
        }
        let result = self.code_blocks(w, model);
        if result.is_err() {
            self.poisoned = true;
        }
        result
    }

    fn code_blocks<W: Write>(&mut self, w: &mut W, model: &dyn Model) -> Result<()> {
        let blocks = std::mem::take(&mut self.ready);
        let filters = self.filters;
        let coded: Vec<Result<block::EncodedBlock>> = if blocks.len() == 1 {
            vec![block::encode(
                model,
                &blocks[0],
                self.filters,
                crate::coder::Seal::Words,
            )]
        } else {
            std::thread::scope(|scope| {
                let handles: Vec<_> = blocks
                    .iter()
                    .map(|raw| {
                        scope.spawn(move || {
                            block::encode(model, raw, filters, crate::coder::Seal::Words)
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| match h.join() {
                        Ok(r) => r,
                        Err(panic) => std::panic::resume_unwind(panic),
                    })
                    .collect()
            })
        };
        for (raw, block) in blocks.iter().zip(coded) {
            let block = block?;
            self.write_header(w)?;
            let mut frame = Vec::with_capacity(24);
            block.frame.write(&mut frame);
            w.write_all(&frame)?;
            w.write_all(&block.data)?;
            if let Some(index) = &mut self.index {
                index
                    .blocks
                    .push((raw.len() as u64, (frame.len() + block.data.len()) as u64));
            }
            self.crc.update(raw);
            let s = &mut self.stats;
            s.raw_bytes += raw.len() as u64;
            s.container_bytes += frame.len() as u64;
            s.params_bytes += block.params_bytes as u64;
            s.payload_bytes += (block.data.len() - block.params_bytes) as u64;
            s.ideal_bits += block.ideal_bits;
            if let Some(l) = &block.latent {
                s.latent.get_or_insert_with(Default::default).add(l);
            }
            s.blocks += 1;
            s.stored_blocks += u64::from(block.frame.kind == BLOCK_STORED);
        }
        Ok(())
    }
}

fn poisoned() -> Error {
    Error::Io(io::Error::other(
        "encoder failed earlier or was finished; the stream is closed",
    ))
}

/// Compresses everything written to it into `W`.
///
/// Data is cut into independent blocks of [`Options::block_size_for`] bytes; memory is
/// one block plus the model's working set, per thread ([`Options::threads`]). Call [`Encoder::finish`] at the end: it codes
/// the last block and writes the trailer. An encoder dropped without `finish` leaves a
/// stream that decoders reject as truncated; it never ends silently short.
///
/// ```
/// use std::io::Write;
/// let mut enc = kraft::Encoder::new(Vec::new(), &kraft::Options::default())?;
/// enc.write_all(b"hello hello hello")?;
/// let packed = enc.finish()?;
/// assert_eq!(kraft::decompress(&packed)?, b"hello hello hello");
/// # Ok::<(), kraft::Error>(())
/// ```
pub struct Encoder<W: Write> {
    inner: W,
    model: Box<dyn Model>,
    core: Core,
}

impl<W: Write> Encoder<W> {
    /// Start a stream with the built-in model chosen by `options`.
    ///
    /// # Errors
    /// Invalid options or an unknown model name (the header is written with the first block, or as a compact frame at the end).
    pub fn new(inner: W, options: &Options) -> Result<Self> {
        let model = options.build_model()?;
        Self::with_model(inner, options, model)
    }

    /// Start a stream with any [`Model`] (the model name in `options` is not used; the
    /// block size is, and the level unless the model carries its own, as `cm` and
    /// `grid` do).
    ///
    /// # Errors
    /// Invalid options.
    pub fn with_model(inner: W, options: &Options, model: Box<dyn Model>) -> Result<Self> {
        let core = Core::start(options, model.as_ref())?;
        Ok(Encoder { inner, model, core })
    }

    /// What has been written so far.
    pub fn stats(&self) -> &Stats {
        &self.core.stats
    }

    /// The underlying writer.
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// The underlying writer, mutably (writing to it corrupts the stream).
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.inner
    }

    /// Code the last block, write the trailer and flush, keeping the writer (for an
    /// encoder held by reference); writing afterwards is an error, and calling it again
    /// (or [`Encoder::finish`]) writes nothing more. Returns the final [`Stats`].
    ///
    /// # Errors
    /// As [`Encoder::finish`].
    pub fn try_finish(&mut self) -> Result<Stats> {
        self.core.finish(&mut self.inner, self.model.as_ref())
    }

    /// Give back the writer as it is: a complete stream after [`Encoder::try_finish`],
    /// a truncated one (which decoders reject) before.
    pub fn into_inner(self) -> W {
        self.inner
    }

    /// Code the last block, write the trailer, flush, and return the writer.
    ///
    /// # Errors
    /// An I/O error, or a declared content size that differs from what was written.
    pub fn finish(self) -> Result<W> {
        self.finish_with_stats().map(|(w, _)| w)
    }

    /// Like [`Encoder::finish`], also returning the final [`Stats`].
    ///
    /// # Errors
    /// As [`Encoder::finish`].
    pub fn finish_with_stats(mut self) -> Result<(W, Stats)> {
        let stats = self.core.finish(&mut self.inner, self.model.as_ref())?;
        Ok((self.inner, stats))
    }
}

impl<W: Write> Write for Encoder<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(self.core.write(&mut self.inner, self.model.as_ref(), buf)?)
    }

    /// Flushes the underlying writer; a partly filled block stays buffered so that
    /// block boundaries do not depend on how the input was written.
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
