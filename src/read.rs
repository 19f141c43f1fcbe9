//! Streaming decompression: [`Decoder`].

use std::collections::VecDeque;
use std::io::{self, Read};

use crate::block;
use crate::error::{CorruptKind, Error, Result};
use crate::format::{BlockHeader, Header, Small, Start, Trailer};
use crate::inspect::{StreamInfo, attach_index, check_block_order, read_header};
use crate::model::Model;
use crate::options::Registry;

enum State {
    /// Before a stream header; `first` is true before the first one.
    Start {
        first: bool,
    },
    /// Inside a stream.
    Body(Box<Body>),
    Done,
    Failed,
}

struct Body {
    header: Header,
    model: Box<dyn Model>,
    crc: crc32fast::Hasher,
    total: u64,
    blocks: u64,
    stored: u64,
    filtered: u64,
    compressed: u64,
    /// A block shorter than the block size was read: it must be the last.
    short: bool,
    /// Original bytes of the blocks read so far (decoded or not).
    read: u64,
    /// Blocks decoded at once.
    threads: usize,
}

/// Decompresses a kraft stream (or several concatenated) read from `R`.
///
/// The decoder keeps no read buffer of its own and never reads past the bytes it
/// decodes: give it a [`std::io::BufRead`] (a `BufReader<File>`, a byte slice) and it
/// reads through that buffer; give it an unbuffered reader and it reads what it needs,
/// block by block. [`Decoder::single_stream`] stops after one stream, leaving the rest.
///
/// Every block is checked against its CRC before any of its bytes are returned, and the
/// stream's length and CRC against its trailer before end of file is reported, so a
/// reader that reaches `Ok(0)` has received exactly the original data. Memory: at most
/// [`decoder_memory`] of each stream (the model's working set and three blocks' worth of
/// buffers) per block in flight ([`Decoder::threads`]), whatever the stream's length;
/// [`Decoder::memory_limit`] refuses streams that would need more before anything is
/// allocated for them.
///
/// ```
/// use std::io::Read;
/// let packed = kraft::compress(b"streaming", &kraft::Options::default())?;
/// let mut out = String::new();
/// kraft::Decoder::new(&packed[..]).read_to_string(&mut out)?;
/// assert_eq!(out, "streaming");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Decoder<R: Read> {
    inner: R,
    registry: Registry,
    state: State,
    /// Decoded, checked blocks not yet read, in order; `pos` is the offset in the first.
    ready: VecDeque<Vec<u8>>,
    pos: usize,
    /// An error found in a block after those in `ready`: reported once they are read.
    deferred: Option<Error>,
    streams: Vec<StreamInfo>,
    memory_limit: Option<u64>,
    threads: usize,
    prior: Option<crate::Prior>,
    /// Stop after the first stream or compact frame ([`Decoder::single_stream`]).
    single: bool,
}

impl<R: Read> Decoder<R> {
    /// Decode with kraft's built-in models.
    pub fn new(inner: R) -> Self {
        Self::with_registry(inner, Registry::builtin())
    }

    /// Decode with the models in `registry`.
    pub fn with_registry(inner: R, registry: Registry) -> Self {
        Decoder {
            inner,
            registry,
            state: State::Start { first: true },
            ready: VecDeque::new(),
            pos: 0,
            deferred: None,
            streams: Vec::new(),
            memory_limit: Some(DEFAULT_MEMORY_LIMIT),
            threads: 1,
            prior: None,
            single: false,
        }
    }

    /// Decode one stream (or compact frame) and stop after its last byte, leaving
    /// whatever follows in the reader ([`Decoder::into_inner`]): for a kraft stream
    /// inside another format. The decoder reads exactly the stream's bytes, so with a
    /// [`std::io::BufRead`] reader nothing after them is consumed. A block index after
    /// the stream is not read (it is left in the reader too).
    #[must_use]
    pub fn single_stream(mut self) -> Self {
        self.single = true;
        self
    }

    /// Decode up to `n` blocks at once, one thread each (0: one per core); the output
    /// is the same for any `n`. Memory is [`decoder_memory`] per block in flight, and
    /// under a memory limit fewer blocks are decoded at once to fit it (at least one).
    #[must_use]
    pub fn threads(mut self, n: usize) -> Self {
        self.threads = match n {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        self
    }

    /// Refuse any stream whose [`decoder_memory`] is above `bytes` with
    /// [`Error::MemoryLimit`], before building its model or reading its blocks. The
    /// default is [`DEFAULT_MEMORY_LIMIT`]; `None` leaves only the format's own bounds
    /// (blocks of at most 1 GiB: up to 5.2 GiB for `cm` at level 9).
    #[must_use]
    pub fn memory_limit(mut self, bytes: Option<u64>) -> Self {
        self.memory_limit = bytes;
        self
    }

    /// Decode streams coded with `prior` ([`crate::Options::prior`]). A stream that
    /// records another prior's id fails with [`Error::PriorMismatch`]; one that records
    /// none decodes as usual.
    #[must_use]
    pub fn prior(mut self, prior: &crate::Prior) -> Self {
        self.prior = Some(prior.clone());
        self
    }

    /// The streams read to the end so far.
    pub fn streams(&self) -> &[StreamInfo] {
        &self.streams
    }

    /// The underlying reader.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// Give back the underlying reader.
    pub fn into_inner(self) -> R {
        self.inner
    }

    /// Decode the next blocks into `self.ready`; false at the end of all streams. Errors
    /// found after good blocks wait in `self.deferred` until those are read.
    fn advance(&mut self) -> Result<bool> {
        loop {
            match std::mem::replace(&mut self.state, State::Failed) {
                State::Done => {
                    self.state = State::Done;
                    return Ok(false);
                }
                State::Failed => {
                    return Err(Error::Io(io::Error::other(
                        "decoder failed earlier; no more data",
                    )));
                }
                State::Start { first: false } if self.single => {
                    self.state = State::Done;
                    return Ok(false);
                }
                State::Start { first } => match read_header(&mut self.inner, first, &self.streams)?
                {
                    None if first => return Err(Error::Truncated("input is empty")),
                    None => {
                        self.state = State::Done;
                        return Ok(false);
                    }
                    Some(Start::Index(index)) => {
                        attach_index(&mut self.streams, &index)?;
                        self.state = State::Start { first: false };
                    }
                    Some(Start::Small(small)) => {
                        let info = self.small(&small)?;
                        self.streams.push(info);
                        self.state = State::Start { first: false };
                        if !self.ready.is_empty() {
                            return Ok(true);
                        }
                    }
                    Some(Start::Stream(header)) => {
                        let (model, threads) = self.model(&header)?;
                        let compressed = header.encoded_len() as u64;
                        self.state = State::Body(Box::new(Body {
                            header,
                            model,
                            crc: crc32fast::Hasher::new(),
                            total: 0,
                            blocks: 0,
                            stored: 0,
                            filtered: 0,
                            compressed,
                            short: false,
                            read: 0,
                            threads,
                        }));
                    }
                },
                State::Body(mut body) => {
                    // Up to `threads` blocks of this stream: read in order, decoded at
                    // once, checked and queued in order.
                    // An error reading a block comes after the blocks read before it.
                    let mut batch = Vec::new();
                    let mut end = false;
                    let mut read_error = None;
                    while batch.len() < body.threads {
                        let index = body.blocks + batch.len() as u64;
                        let next = BlockHeader::read_from(&mut self.inner, body.header.block_size)
                            .map_err(|e| e.in_block(index))
                            .and_then(|frame| match frame {
                                Some(frame) => {
                                    let data = self.read_data(&mut body, &frame, index)?;
                                    Ok(Some((frame, data, index)))
                                }
                                None => Ok(None),
                            });
                        match next {
                            Ok(Some(block)) => batch.push(block),
                            Ok(None) => {
                                end = true;
                                break;
                            }
                            Err(e) => {
                                read_error = Some(e);
                                break;
                            }
                        }
                    }
                    let decoded = decode_batch(body.model.as_ref(), &batch);
                    for ((frame, _, _), result) in batch.iter().zip(decoded) {
                        match result {
                            Ok(out) => {
                                body.crc.update(&out);
                                body.total += frame.raw_len;
                                body.blocks += 1;
                                body.stored += u64::from(frame.kind == crate::format::BLOCK_STORED);
                                body.filtered +=
                                    u64::from(frame.kind == crate::format::BLOCK_MODELED_X86);
                                body.compressed += frame.encoded_len() as u64 + frame.data_len;
                                self.ready.push_back(out);
                            }
                            Err(e) => return self.fail_after_ready(e),
                        }
                    }
                    if let Some(e) = read_error {
                        return self.fail_after_ready(e);
                    }
                    if end {
                        match finish_stream(&mut self.inner, *body) {
                            Ok(info) => self.streams.push(info),
                            Err(e) => return self.fail_after_ready(e),
                        }
                        self.state = State::Start { first: false };
                    } else {
                        self.state = State::Body(body);
                    }
                    if !self.ready.is_empty() {
                        return Ok(true);
                    }
                }
            }
        }
    }

    /// The model for a stream with `header` (from the registry, or the prior the
    /// header names) and how many of its blocks to decode at once within the memory
    /// limit.
    fn model(&self, header: &Header) -> Result<(Box<dyn Model>, usize)> {
        let model = stream_model(header, &self.registry, self.prior.as_ref())?;
        let mut threads = self.threads.max(1);
        if let Some(limit) = self.memory_limit {
            let needed = decoder_memory(header, model.as_ref());
            if needed > limit {
                return Err(Error::MemoryLimit { needed, limit });
            }
            threads = threads.min(usize::try_from(limit / needed).unwrap_or(usize::MAX));
        }
        Ok((model, threads))
    }

    /// Read and decode a compact frame whose head is read, queueing its content.
    fn small(&mut self, small: &Small) -> Result<StreamInfo> {
        let prior = match (small.prior, &self.prior) {
            (false, _) => None,
            (true, Some(p)) => Some(p.id()),
            (true, None) => return Err(Error::PriorUnnamed),
        };
        let header = small.header(prior);
        let (model, _) = self.model(&header)?;
        let mut data = Vec::new();
        (&mut self.inner)
            .take(small.data_len)
            .read_to_end(&mut data)?;
        if data.len() as u64 != small.data_len {
            return Err(Error::Truncated("compact frame"));
        }
        let check = Small::read_check(&mut self.inner)?;
        let crc = Small::check(check, prior);
        let mut out = Vec::new();
        if small.raw_len > 0 {
            let frame = BlockHeader {
                kind: small.kind,
                raw_len: small.raw_len,
                data_len: small.data_len,
                crc,
            };
            block::decode(model.as_ref(), &frame, &data, 0, &mut out, crate::coder::Seal::Tight)
                .map_err(|e| match (e, prior) {
                    (e @ (Error::Checksum { .. } | Error::Corrupt { .. }), Some(id)) => {
                        let (kind, what) = match e {
                            Error::Corrupt { kind, what, .. } => (kind, what),
                            _ => (CorruptKind::Payload, "checksum mismatch".to_string()),
                        };
                        Error::Corrupt {
                            block: Some(0),
                            kind,
                            what: format!(
                                "{what}: the frame is damaged, or was coded with another prior than {id:016x}"
                            ),
                        }
                    }
                    (e, _) => e,
                })?;
        } else if crc != 0 {
            return Err(Error::Content(format!(
                "content checksum {crc:#010x} of an empty frame{}",
                if prior.is_some() {
                    " (or another prior)"
                } else {
                    ""
                }
            )));
        }
        if !out.is_empty() {
            self.ready.push_back(out);
        }
        Ok(StreamInfo {
            header,
            blocks: u64::from(small.raw_len > 0),
            stored_blocks: u64::from(small.kind == crate::format::BLOCK_STORED),
            filtered_blocks: u64::from(small.kind == crate::format::BLOCK_MODELED_X86),
            compressed_bytes: small.encoded_len() as u64 + small.data_len,
            content_size: small.raw_len,
            crc,
            compact: true,
            indexed: false,
            uses_prior: small.prior,
        })
    }

    /// Fail with `e` (the state stays failed): at once if no good block waits, else once
    /// those are read.
    fn fail_after_ready(&mut self, e: Error) -> Result<bool> {
        if self.ready.is_empty() {
            return Err(e);
        }
        self.deferred = Some(e);
        Ok(true)
    }

    /// Check the next block's frame against the stream and read its data.
    fn read_data(&mut self, body: &mut Body, frame: &BlockHeader, index: u64) -> Result<Vec<u8>> {
        body.short = check_block_order(body.short, frame, &body.header, index)?;
        if let Some(n) = body.header.content_size {
            if body.read + frame.raw_len > n {
                return Err(Error::Content(format!(
                    "more data than the {n} bytes the header declares"
                )));
            }
        }
        body.read += frame.raw_len;
        let mut data = Vec::new();
        // Reserved, not touched: pages become resident only as data arrives.
        block::reserve(&mut data, frame.data_len)?;
        (&mut self.inner)
            .take(frame.data_len)
            .read_to_end(&mut data)?;
        if data.len() as u64 != frame.data_len {
            return Err(Error::Corrupt {
                block: Some(index),
                kind: CorruptKind::Container,
                what: "stream ends inside a block".into(),
            });
        }
        Ok(data)
    }
}

/// Decode every block of `batch`, one thread each when there are several.
fn decode_batch(model: &dyn Model, batch: &[(BlockHeader, Vec<u8>, u64)]) -> Vec<Result<Vec<u8>>> {
    let one = |(frame, data, index): &(BlockHeader, Vec<u8>, u64)| {
        let mut out = Vec::new();
        block::decode(
            model,
            frame,
            data,
            *index,
            &mut out,
            crate::coder::Seal::Words,
        )
        .map(|()| out)
    };
    if batch.len() <= 1 {
        return batch.iter().map(one).collect();
    }
    std::thread::scope(|scope| {
        // A block whose thread cannot be started is decoded here, in turn.
        let handles: Vec<_> = batch
            .iter()
            .map(|b| {
                std::thread::Builder::new()
                    .spawn_scoped(scope, move || one(b))
                    .map_err(|_| b)
            })
            .collect();
        handles
            .into_iter()
            .map(|h| match h {
                Ok(h) => match h.join() {
                    Ok(r) => r,
                    Err(panic) => std::panic::resume_unwind(panic),
                },
                Err(b) => one(b),
            })
            .collect()
    })
}

/// The memory a [`Decoder`] allows a stream by default: 1 GiB, enough for every level of
/// every built-in model but `cm` level 9 on inputs of more than a few MiB (up to
/// 1.43 GiB), which must be allowed explicitly ([`Decoder::memory_limit`],
/// `kraft decompress --memory-limit 2G`), as must streams with larger blocks than the
/// models choose. A small file cannot make a decoder take more without being asked.
pub const DEFAULT_MEMORY_LIMIT: u64 = 1 << 30;

/// The model that decodes a stream with `header`: from the registry, or from the prior
/// the header names.
pub(crate) fn stream_model(
    header: &Header,
    registry: &Registry,
    prior: Option<&crate::Prior>,
) -> Result<Box<dyn Model>> {
    match (header.prior, prior) {
        (None, _) => registry.build(header.model, &header.settings),
        (Some(id), Some(p)) if p.id() == id => p.model_for_stream(header.model, &header.settings),
        (Some(id), Some(p)) => Err(Error::PriorMismatch {
            stream: id,
            given: p.id(),
        }),
        (Some(id), None) => Err(Error::PriorMissing { id }),
    }
}

/// The most memory decoding a stream with `header` can take, in bytes: the working set
/// of `model` (built from the header's settings) for one block, plus three blocks' worth
/// of buffers (the coded block, a word copy of it for the ANS coders, the decoded block).
/// A block is the header's block size, or the declared content size if smaller. The
/// figure does not grow with the stream's length; `kraft info` shows it per file.
pub fn decoder_memory(header: &Header, model: &dyn Model) -> u64 {
    let block = header
        .content_size
        .map_or(header.block_size, |n| header.block_size.min(n))
        .max(1);
    model.memory(block as usize) as u64 + 3 * block
}

fn finish_stream<R: Read>(r: &mut R, body: Body) -> Result<StreamInfo> {
    let trailer = Trailer::read_from(r)?;
    let crc = body.crc.finalize();
    trailer.check_size(&body.header, body.total)?;
    if trailer.crc != crc {
        return Err(Error::Content(format!(
            "content checksum {:#010x}, computed {crc:#010x}",
            trailer.crc
        )));
    }
    Ok(StreamInfo {
        blocks: body.blocks,
        stored_blocks: body.stored,
        filtered_blocks: body.filtered,
        compressed_bytes: body.compressed + trailer.encoded_len() as u64,
        uses_prior: body.header.prior.is_some(),
        header: body.header,
        content_size: body.total,
        crc,
        compact: false,
        indexed: false,
    })
}

impl<R: Read> Decoder<R> {
    /// Make the first queued block one with bytes left to read; false at the end.
    fn fill(&mut self) -> Result<bool> {
        loop {
            match self.ready.front() {
                Some(b) if self.pos < b.len() => return Ok(true),
                Some(_) => {
                    self.ready.pop_front();
                    self.pos = 0;
                }
                None => {
                    if let Some(e) = self.deferred.take() {
                        self.state = State::Failed;
                        return Err(e);
                    }
                    if !self.advance()? {
                        return Ok(false);
                    }
                }
            }
        }
    }

    /// Decode everything that is left into `out`, keeping kraft's typed errors.
    ///
    /// # Errors
    /// Any [`Error`] of the stream: damaged data, unknown model, I/O.
    pub fn read_all(&mut self, out: &mut Vec<u8>) -> Result<()> {
        while self.fill()? {
            let block = self.ready.pop_front().expect("fill leaves a block");
            out.extend_from_slice(&block[self.pos..]);
            self.pos = 0;
        }
        Ok(())
    }
}

impl<R: Read> Read for Decoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() || !self.fill()? {
            return Ok(0);
        }
        let block = self.ready.front().expect("fill leaves a block");
        let n = buf.len().min(block.len() - self.pos);
        buf[..n].copy_from_slice(&block[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}
