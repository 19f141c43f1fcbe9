//! The block index: what a seeking reader needs to find any original offset of a
//! stream without decoding the blocks before it (`docs/FORMAT.md`).
//!
//! ```text
//! index = "KRIX" header_len:varint count:varint (raw_len:varint packed_len:varint)*
//!         crc:u32le index_len:u32le "KRIX"
//! ```
//!
//! It follows the trailer of the stream it describes. `packed_len` is a block's frame
//! and data; `crc` is the CRC-32 of every index byte before it; `index_len` is the whole
//! index's length, so that a reader finds it from the end of a file.

use std::io::Read;

use super::{read_exact, varint};
use crate::error::{Error, Result};

/// The first and last four bytes of an index.
pub const INDEX_MAGIC: [u8; 4] = *b"KRIX";

/// Most blocks an index may list: one per byte of a 1 TiB stream of 1-byte blocks is
/// more than any stream has; the bound keeps a damaged count from allocating.
const MAX_BLOCKS: u64 = 1 << 32;

/// Where each block of a stream is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Index {
    /// Bytes of the stream header: the first block starts there.
    pub header_len: u64,
    /// Each block's original length and its frame and data length, in order.
    pub blocks: Vec<(u64, u64)>,
}

impl Index {
    /// Serialize, magic to magic.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(16 + 6 * self.blocks.len());
        out.extend_from_slice(&INDEX_MAGIC);
        varint::write(&mut out, self.header_len);
        varint::write(&mut out, self.blocks.len() as u64);
        for &(raw, packed) in &self.blocks {
            varint::write(&mut out, raw);
            varint::write(&mut out, packed);
        }
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        let len = out.len() + 8;
        out.extend_from_slice(&(len as u32).to_le_bytes());
        out.extend_from_slice(&INDEX_MAGIC);
        out
    }

    /// Parse a whole index (as [`Index::to_bytes`] writes it).
    ///
    /// # Errors
    /// [`Error::Corrupt`] naming what is wrong with a damaged index.
    pub fn from_bytes(bytes: &[u8]) -> Result<Index> {
        let bad = |what: &str| Error::corrupt(format!("damaged index: {what}"));
        let body = bytes
            .strip_prefix(&INDEX_MAGIC)
            .ok_or_else(|| bad("no magic at its start"))?;
        let mut r = body;
        let index = Index::read_after(&mut r)?;
        if !r.is_empty() {
            return Err(bad("bytes after its end"));
        }
        Ok(index)
    }

    /// Read the rest of an index whose first magic is read.
    pub(crate) fn read_after<R: Read + ?Sized>(r: &mut R) -> Result<Index> {
        let bad = |what: &str| Error::corrupt(format!("damaged index: {what}"));
        let mut seen = INDEX_MAGIC.to_vec();
        let field = |r: &mut R, seen: &mut Vec<u8>| -> Result<u64> {
            let v = varint::read_from(r)?;
            varint::write(seen, v);
            Ok(v)
        };
        let header_len = field(r, &mut seen)?;
        let count = field(r, &mut seen)?;
        if count > MAX_BLOCKS {
            return Err(bad("too many blocks"));
        }
        let mut blocks = Vec::new();
        for _ in 0..count {
            let raw = field(r, &mut seen)?;
            let packed = field(r, &mut seen)?;
            blocks.push((raw, packed));
        }
        let mut tail = [0u8; 12];
        read_exact(r, &mut tail, "index")?;
        let crc = u32::from_le_bytes(tail[..4].try_into().expect("4 bytes"));
        if crc != crc32fast::hash(&seen) {
            return Err(bad("checksum mismatch"));
        }
        let len = u32::from_le_bytes(tail[4..8].try_into().expect("4 bytes"));
        if len as usize != seen.len() + 12 || tail[8..] != INDEX_MAGIC {
            return Err(bad("its length or closing magic is wrong"));
        }
        Ok(Index { header_len, blocks })
    }

    /// Total original bytes (saturating: a damaged index cannot overflow it).
    pub fn content_size(&self) -> u64 {
        self.blocks.iter().fold(0u64, |n, b| n.saturating_add(b.0))
    }

    /// Total frame and data bytes of the blocks (saturating).
    pub fn packed_size(&self) -> u64 {
        self.blocks.iter().fold(0u64, |n, b| n.saturating_add(b.1))
    }
}
