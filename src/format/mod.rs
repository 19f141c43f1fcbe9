//! The container: stream header, blocks, trailer (see `docs/FORMAT.md`).
//!
//! ```text
//! stream  = header block* end-block trailer
//! header  = "KRFT" version:u8 flags:u8 model:u8 level:u8 block_size:varint
//!           settings_len:varint settings [content_size:varint] header_crc:u32le
//! block   = kind:u8 (1 modeled, 2 stored) raw_len:varint data_len:varint crc:u32le data
//! end     = kind:u8 (0)
//! trailer = content_size:varint content_crc:u32le
//! ```
//!
//! Every size read from a stream is bounded before anything is allocated for it.

mod index;
pub mod varint;

pub use index::{INDEX_MAGIC, Index};

use std::io::Read;

use crate::error::{Error, Result};

/// The first four bytes of every kraft stream.
pub const MAGIC: [u8; 4] = *b"KRFT";
/// The container version this build writes and reads.
pub const VERSION: u8 = 1;
/// Largest block size a stream may declare (1 GiB).
pub const MAX_BLOCK_SIZE: u64 = 1 << 30;
/// Largest model settings field a stream may declare.
pub const MAX_SETTINGS: u64 = 1 << 16;

const FLAG_CONTENT_SIZE: u8 = 1;
const FLAG_PRIOR: u8 = 2;

/// Block kinds.
pub const BLOCK_END: u8 = 0;
/// A block coded by the stream's model.
pub const BLOCK_MODELED: u8 = 1;
/// A block stored as is (when the model would expand it).
pub const BLOCK_STORED: u8 = 2;
/// A block coded by the stream's model after the x86 filter ([`crate::filter::x86`]).
pub const BLOCK_MODELED_X86: u8 = 3;

/// The stream header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// Id of the model that coded the blocks.
    pub model: u8,
    /// Level the stream was written at (1..=9).
    pub level: u8,
    /// Largest number of original bytes in one block.
    pub block_size: u64,
    /// The model's stream-level settings.
    pub settings: Vec<u8>,
    /// Total original size, when it was known before compressing.
    pub content_size: Option<u64>,
    /// The id of the trained prior ([`crate::Prior`]) the model learned before every
    /// block, if any: decoding needs the same prior.
    pub prior: Option<u64>,
}

impl Header {
    /// Serialize, including the header checksum.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(32 + self.settings.len());
        out.extend_from_slice(&MAGIC);
        out.push(VERSION);
        out.push(
            (u8::from(self.content_size.is_some()) * FLAG_CONTENT_SIZE)
                | (u8::from(self.prior.is_some()) * FLAG_PRIOR),
        );
        out.push(self.model);
        out.push(self.level);
        varint::write(&mut out, self.block_size);
        varint::write(&mut out, self.settings.len() as u64);
        out.extend_from_slice(&self.settings);
        if let Some(id) = self.prior {
            out.extend_from_slice(&id.to_le_bytes());
        }
        if let Some(n) = self.content_size {
            varint::write(&mut out, n);
        }
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }

    /// Read a header from `r`, checking magic, version, bounds and checksum.
    ///
    /// Returns `Ok(None)` if `r` is at its end before the first byte (no further stream).
    pub fn read_from<R: Read>(r: &mut R) -> Result<Option<Header>> {
        match Start::read_from(r)? {
            None => Ok(None),
            Some(Start::Stream(h)) => Ok(Some(h)),
            Some(Start::Small(_)) => Err(Error::corrupt(
                "a compact frame where a stream was expected",
            )),
            Some(Start::Index(_)) => Err(Error::corrupt("an index where a stream was expected")),
        }
    }

    /// Read the rest of a header whose magic bytes are read.
    fn read_after<R: Read>(r: &mut R) -> Result<Header> {
        let mut rec = Recorder {
            inner: r,
            seen: MAGIC.to_vec(),
        };
        let mut fixed = [0u8; 4];
        read_exact(&mut rec, &mut fixed, "stream header")?;
        let [version, flags, model, level] = fixed;
        if version != VERSION {
            return Err(Error::UnsupportedVersion {
                found: version,
                supported: VERSION,
            });
        }
        if flags & !(FLAG_CONTENT_SIZE | FLAG_PRIOR) != 0 {
            return Err(Error::corrupt(format!("unknown header flags {flags:#04x}")));
        }
        let block_size = varint::read_from(&mut rec)?;
        if block_size == 0 || block_size > MAX_BLOCK_SIZE {
            return Err(Error::corrupt(format!(
                "block size {block_size} out of range"
            )));
        }
        let settings_len = varint::read_from(&mut rec)?;
        if settings_len > MAX_SETTINGS {
            return Err(Error::corrupt("model settings too long"));
        }
        let mut settings = vec![0u8; settings_len as usize];
        read_exact(&mut rec, &mut settings, "stream header")?;
        let prior = if flags & FLAG_PRIOR != 0 {
            let mut id = [0u8; 8];
            read_exact(&mut rec, &mut id, "stream header")?;
            Some(u64::from_le_bytes(id))
        } else {
            None
        };
        let content_size = if flags & FLAG_CONTENT_SIZE != 0 {
            Some(varint::read_from(&mut rec)?)
        } else {
            None
        };
        let got = crc32fast::hash(&rec.seen);
        let mut crc = [0u8; 4];
        read_exact(rec.inner, &mut crc, "stream header")?;
        let expected = u32::from_le_bytes(crc);
        if expected != got {
            return Err(Error::HeaderChecksum { expected, got });
        }
        if !(1..=9).contains(&level) {
            return Err(Error::corrupt(format!("level {level} out of range")));
        }
        Ok(Header {
            model,
            level,
            block_size,
            settings,
            content_size,
            prior,
        })
    }

    /// Serialized size in bytes.
    pub fn encoded_len(&self) -> usize {
        self.to_bytes().len()
    }
}

/// What starts at the current position: a stream or a compact frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Start {
    /// A stream header (blocks and a trailer follow).
    Stream(Header),
    /// A compact frame's head (its data and check follow).
    Small(Small),
    /// A block index of the stream before it (read whole, checked).
    Index(Index),
}

impl Start {
    /// Read what starts here: `Ok(None)` at the end of `r`.
    ///
    /// # Errors
    /// [`Error::BadMagic`] for anything that is neither; a damaged header.
    pub fn read_from<R: Read>(r: &mut R) -> Result<Option<Start>> {
        let mut magic = [0u8; 2];
        let got = read_up_to(r, &mut magic)?;
        if got == 0 {
            return Ok(None);
        }
        if got < 2 {
            return Err(Error::BadMagic);
        }
        if magic == SMALL_MAGIC {
            return Small::read_after(r).map(|s| Some(Start::Small(s)));
        }
        if magic != MAGIC[..2] {
            return Err(Error::BadMagic);
        }
        let mut rest = [0u8; 2];
        if read_up_to(r, &mut rest)? < 2 {
            return Err(Error::BadMagic);
        }
        if rest == MAGIC[2..] {
            Header::read_after(r).map(|h| Some(Start::Stream(h)))
        } else if rest == INDEX_MAGIC[2..] {
            Index::read_after(r).map(|i| Some(Start::Index(i)))
        } else {
            Err(Error::BadMagic)
        }
    }
}

/// The first two bytes of a compact frame.
pub const SMALL_MAGIC: [u8; 2] = [0xB5, 0x4B];
/// The most content a compact frame holds: 64 KiB.
pub const SMALL_MAX: u64 = 64 << 10;

/// A compact frame: the whole of a small input as one block, in at most 12 bytes of
/// framing (`docs/FORMAT.md`).
///
/// ```text
/// small = B5 4B desc:u8 lengths:varint data check:u32le
/// desc  = level (bits 0-3) | model (bits 4-5: 0 iid, 1 cm, 2 grid) << 4
///         | prior (bit 6) | x86 filter (bit 7)
/// lengths = raw_len * (raw_len + 1) / 2 + data_len     (data_len <= raw_len)
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Small {
    /// Model id ([`crate::model::ids`]: `iid`, `cm` or `grid`).
    pub model: u8,
    /// The level (the settings of `cm` and `grid`).
    pub level: u8,
    /// Coded with a trained prior: the check then includes the prior's id.
    pub prior: bool,
    /// Block kind: [`BLOCK_MODELED`], [`BLOCK_MODELED_X86`] or [`BLOCK_STORED`]
    /// (`data_len == raw_len`).
    pub kind: u8,
    /// Original bytes, at most [`SMALL_MAX`].
    pub raw_len: u64,
    /// Bytes of data (as a block's).
    pub data_len: u64,
}

impl Small {
    /// The model ids a compact frame can name, in the order of their codes.
    const MODELS: [u8; 3] = [1, 2, 4];

    /// Whether a stream of `model` with `settings` at `level` fits a compact frame.
    pub fn allowed(model: u8, settings: &[u8], level: u8) -> bool {
        (1..=9).contains(&level)
            && match model {
                1 => settings.is_empty(),
                2 | 4 => settings == [level],
                _ => false,
            }
    }

    /// The model settings the frame stands for.
    pub fn settings(&self) -> Vec<u8> {
        if self.model == 1 {
            Vec::new()
        } else {
            vec![self.level]
        }
    }

    /// The value stored in place of the content's CRC-32: with a prior, XORed with the
    /// low 32 bits of the prior's id, so that it checks only with that prior.
    pub fn check(crc: u32, prior: Option<u64>) -> u32 {
        crc ^ prior.map_or(0, |id| id as u32)
    }

    /// Serialize the head (everything before the data).
    pub fn write_head(&self, out: &mut Vec<u8>) {
        let code = Small::MODELS
            .iter()
            .position(|&m| m == self.model)
            .expect("a model a compact frame can name") as u8;
        out.extend_from_slice(&SMALL_MAGIC);
        out.push(
            self.level
                | code << 4
                | u8::from(self.prior) << 6
                | u8::from(self.kind == BLOCK_MODELED_X86) << 7,
        );
        varint::write(out, self.raw_len * (self.raw_len + 1) / 2 + self.data_len);
    }

    /// Read the head after the magic bytes.
    fn read_after<R: Read + ?Sized>(r: &mut R) -> Result<Small> {
        let mut desc = [0u8; 1];
        read_exact(r, &mut desc, "compact frame")?;
        let [desc] = desc;
        let level = desc & 15;
        let code = usize::from(desc >> 4 & 3);
        if !(1..=9).contains(&level) || code >= Small::MODELS.len() {
            return Err(Error::corrupt(format!(
                "compact frame descriptor {desc:#04x}"
            )));
        }
        let t = varint::read_from(r)?;
        // Both lengths at most SMALL_MAX: checked before any arithmetic on t.
        if t > SMALL_MAX * (SMALL_MAX + 1) / 2 + SMALL_MAX {
            return Err(Error::corrupt("compact frame lengths out of range"));
        }
        // raw_len is the largest n with n(n+1)/2 <= t.
        let mut raw_len = ((8 * u128::from(t) + 1).isqrt() as u64 - 1) / 2;
        while raw_len * (raw_len + 1) / 2 > t {
            raw_len -= 1;
        }
        let data_len = t - raw_len * (raw_len + 1) / 2;
        if raw_len > SMALL_MAX || data_len > raw_len {
            return Err(Error::corrupt(format!(
                "compact frame lengths {raw_len}, {data_len} out of range"
            )));
        }
        let x86 = desc & 0x80 != 0;
        let kind = if raw_len > 0 && data_len == raw_len {
            if x86 {
                return Err(Error::corrupt("a stored compact frame with the x86 filter"));
            }
            BLOCK_STORED
        } else if x86 {
            BLOCK_MODELED_X86
        } else {
            BLOCK_MODELED
        };
        if raw_len == 0 && desc & 0x80 != 0 {
            return Err(Error::corrupt("an empty compact frame with the x86 filter"));
        }
        Ok(Small {
            model: Small::MODELS[code],
            level,
            prior: desc & 0x40 != 0,
            kind,
            raw_len,
            data_len,
        })
    }

    /// Read the check after the data.
    pub fn read_check<R: Read + ?Sized>(r: &mut R) -> Result<u32> {
        let mut crc = [0u8; 4];
        read_exact(r, &mut crc, "compact frame check")?;
        Ok(u32::from_le_bytes(crc))
    }

    /// The stream header the frame stands for.
    pub fn header(&self, prior: Option<u64>) -> Header {
        Header {
            model: self.model,
            level: self.level,
            block_size: self.raw_len.max(1),
            settings: self.settings(),
            content_size: Some(self.raw_len),
            prior,
        }
    }

    /// Bytes of framing: head and check.
    pub fn encoded_len(&self) -> usize {
        let mut v = Vec::with_capacity(12);
        self.write_head(&mut v);
        v.len() + 4
    }
}

/// The frame of one block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockHeader {
    /// [`BLOCK_MODELED`] or [`BLOCK_STORED`].
    pub kind: u8,
    /// Original bytes in the block.
    pub raw_len: u64,
    /// Bytes of block data that follow the frame.
    pub data_len: u64,
    /// CRC-32 of the original bytes.
    pub crc: u32,
}

impl BlockHeader {
    /// Serialize.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.push(self.kind);
        varint::write(out, self.raw_len);
        varint::write(out, self.data_len);
        out.extend_from_slice(&self.crc.to_le_bytes());
    }

    /// Serialized size in bytes.
    pub fn encoded_len(&self) -> usize {
        let mut v = Vec::with_capacity(24);
        self.write(&mut v);
        v.len()
    }

    /// Read the next frame; `Ok(None)` at the end marker. Sizes are checked against the
    /// stream's block size so that no later allocation can exceed it.
    pub fn read_from<R: Read>(r: &mut R, block_size: u64) -> Result<Option<BlockHeader>> {
        let mut kind = [0u8; 1];
        read_exact(r, &mut kind, "stream ends before its end marker")?;
        let kind = kind[0];
        match kind {
            BLOCK_END => return Ok(None),
            BLOCK_MODELED | BLOCK_STORED | BLOCK_MODELED_X86 => {}
            k => return Err(Error::corrupt(format!("unknown block kind {k}"))),
        }
        let raw_len = varint::read_from(r)?;
        let data_len = varint::read_from(r)?;
        if raw_len == 0 || raw_len > block_size {
            return Err(Error::corrupt(format!(
                "block length {raw_len} out of range"
            )));
        }
        // A modeled block is never kept if it is larger than storing it would be.
        if data_len > raw_len || (kind == BLOCK_STORED && data_len != raw_len) {
            return Err(Error::corrupt(format!(
                "block data length {data_len} out of range"
            )));
        }
        let mut crc = [0u8; 4];
        read_exact(r, &mut crc, "block header")?;
        Ok(Some(BlockHeader {
            kind,
            raw_len,
            data_len,
            crc: u32::from_le_bytes(crc),
        }))
    }
}

/// The trailer after the end marker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trailer {
    /// Total original bytes.
    pub content_size: u64,
    /// CRC-32 of all original bytes.
    pub crc: u32,
}

impl Trailer {
    /// Serialize, including the end marker that precedes it.
    pub fn write_with_end(&self, out: &mut Vec<u8>) {
        out.push(BLOCK_END);
        varint::write(out, self.content_size);
        out.extend_from_slice(&self.crc.to_le_bytes());
    }

    /// Serialized size in bytes, with the end marker.
    pub fn encoded_len(&self) -> usize {
        let mut v = Vec::with_capacity(16);
        self.write_with_end(&mut v);
        v.len()
    }

    /// Check the trailer and the header against `total`, the original bytes the blocks
    /// hold.
    ///
    /// # Errors
    /// [`Error::Content`] naming the size that disagrees.
    pub fn check_size(&self, header: &Header, total: u64) -> Result<()> {
        if self.content_size != total {
            return Err(Error::Content(format!(
                "trailer says {} bytes, blocks hold {total}",
                self.content_size
            )));
        }
        match header.content_size {
            Some(n) if n != total => Err(Error::Content(format!(
                "header says {n} bytes, blocks hold {total}"
            ))),
            _ => Ok(()),
        }
    }

    /// Read the trailer (the end marker already consumed).
    pub fn read_from<R: Read>(r: &mut R) -> Result<Trailer> {
        let content_size = varint::read_from(r)?;
        let mut crc = [0u8; 4];
        read_exact(r, &mut crc, "trailer")?;
        Ok(Trailer {
            content_size,
            crc: u32::from_le_bytes(crc),
        })
    }
}

/// A reader that keeps what it has read (for the header checksum).
struct Recorder<'a, R> {
    inner: &'a mut R,
    seen: Vec<u8>,
}

impl<R: Read> Read for Recorder<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.seen.extend_from_slice(&buf[..n]);
        Ok(n)
    }
}

/// Fill `buf` as far as the reader goes; returns how many bytes were read.
pub(crate) fn read_up_to<R: Read + ?Sized>(r: &mut R, buf: &mut [u8]) -> Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(filled)
}

/// Fill `buf` exactly or report a truncated stream.
pub(crate) fn read_exact<R: Read + ?Sized>(
    r: &mut R,
    buf: &mut [u8],
    what: &'static str,
) -> Result<()> {
    if read_up_to(r, buf)? < buf.len() {
        return Err(Error::Truncated(what));
    }
    Ok(())
}
