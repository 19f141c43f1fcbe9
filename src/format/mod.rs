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

pub mod varint;

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
}

impl Header {
    /// Serialize, including the header checksum.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(32 + self.settings.len());
        out.extend_from_slice(&MAGIC);
        out.push(VERSION);
        out.push(if self.content_size.is_some() {
            FLAG_CONTENT_SIZE
        } else {
            0
        });
        out.push(self.model);
        out.push(self.level);
        varint::write(&mut out, self.block_size);
        varint::write(&mut out, self.settings.len() as u64);
        out.extend_from_slice(&self.settings);
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
        let mut rec = Recorder {
            inner: r,
            seen: Vec::new(),
        };
        let mut magic = [0u8; 4];
        let got = read_up_to(&mut rec, &mut magic)?;
        if got == 0 {
            return Ok(None);
        }
        if got < 4 || magic != MAGIC {
            return Err(Error::BadMagic);
        }
        let mut fixed = [0u8; 4];
        read_exact(&mut rec, &mut fixed, "stream header")?;
        let [version, flags, model, level] = fixed;
        if version != VERSION {
            return Err(Error::UnsupportedVersion(version));
        }
        if flags & !FLAG_CONTENT_SIZE != 0 {
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
        Ok(Some(Header {
            model,
            level,
            block_size,
            settings,
            content_size,
        }))
    }

    /// Serialized size in bytes.
    pub fn encoded_len(&self) -> usize {
        self.to_bytes().len()
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
