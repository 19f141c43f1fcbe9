//! Reading any range of an indexed stream: [`Seekable`].

use std::io::{Read, Seek, SeekFrom};

use crate::block;
use crate::coder::Seal;
use crate::error::{Error, Result};
use crate::format::{BlockHeader, Header, INDEX_MAGIC, Index, Start, Trailer};
use crate::model::Model;
use crate::options::Registry;
use crate::read::{DEFAULT_MEMORY_LIMIT, decoder_memory, stream_model};

/// A file that is one kraft stream followed by its block index
/// ([`crate::Options::index`]), read at any original offset by decoding only the blocks
/// the range covers.
///
/// ```
/// use std::io::Cursor;
/// let data: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
/// let opts = kraft::Options::new().model("iid").block_size(16 << 10).index(true);
/// let packed = kraft::compress(&data, &opts)?;
/// let mut s = kraft::Seekable::new(Cursor::new(packed))?;
/// assert_eq!(s.len(), 200_000);
/// assert_eq!(s.read_range(100_000, 50)?, &data[100_000..100_050]);
/// # Ok::<(), kraft::Error>(())
/// ```
pub struct Seekable<R> {
    inner: R,
    header: Header,
    model: Box<dyn Model>,
    /// Per block: original offset, stream offset, original length, frame and data length.
    blocks: Vec<(u64, u64, u64, u64)>,
    len: u64,
}

impl<R: Read + Seek> Seekable<R> {
    /// Open `inner`: find the index at its end and read the stream header.
    ///
    /// # Errors
    /// [`Error::NoIndex`] if `inner` does not end with an index, or is not exactly one
    /// stream and its index (read it with [`crate::Decoder`] instead); a damaged index
    /// or header; [`Error::PriorMissing`] for a stream coded with a prior
    /// ([`Seekable::with_prior`]); [`Error::MemoryLimit`] past the default limit.
    pub fn new(inner: R) -> Result<Self> {
        Self::open(inner, None)
    }

    /// [`Seekable::new`] for a stream coded with `prior`.
    ///
    /// # Errors
    /// As [`Seekable::new`].
    pub fn with_prior(inner: R, prior: &crate::Prior) -> Result<Self> {
        Self::open(inner, Some(prior))
    }

    fn open(mut inner: R, prior: Option<&crate::Prior>) -> Result<Self> {
        let end = inner.seek(SeekFrom::End(0))?;
        if end < 8 {
            return Err(Error::NoIndex);
        }
        inner.seek(SeekFrom::End(-8))?;
        let mut tail = [0u8; 8];
        inner.read_exact(&mut tail)?;
        if tail[4..] != INDEX_MAGIC {
            return Err(Error::NoIndex);
        }
        let index_len = u64::from(u32::from_le_bytes(tail[..4].try_into().expect("4 bytes")));
        if index_len > end || index_len < 20 {
            return Err(Error::corrupt("damaged index: its length is out of range"));
        }
        inner.seek(SeekFrom::Start(end - index_len))?;
        let mut bytes = Vec::new();
        (&mut inner).take(index_len).read_to_end(&mut bytes)?;
        let index = Index::from_bytes(&bytes)?;
        inner.seek(SeekFrom::Start(0))?;
        let header = match Start::read_from(&mut inner)? {
            Some(Start::Stream(h)) => h,
            _ => return Err(Error::NoIndex),
        };
        // The file must be exactly the stream the index describes, and its index.
        let trailer = Trailer {
            content_size: index.content_size(),
            crc: 0,
        };
        let whole = index
            .header_len
            .saturating_add(index.packed_size())
            .saturating_add(trailer.encoded_len() as u64 + index_len);
        if index.header_len != header.encoded_len() as u64 || whole != end {
            return Err(Error::NoIndex);
        }
        let model = stream_model(&header, &Registry::builtin(), prior)?;
        let needed = decoder_memory(&header, model.as_ref());
        if needed > DEFAULT_MEMORY_LIMIT {
            return Err(Error::MemoryLimit {
                needed,
                limit: DEFAULT_MEMORY_LIMIT,
            });
        }
        let mut blocks = Vec::with_capacity(index.blocks.len());
        let (mut raw_at, mut at) = (0u64, index.header_len);
        for &(raw, pk) in &index.blocks {
            if raw == 0 || raw > header.block_size {
                return Err(Error::corrupt(
                    "damaged index: a block length is out of range",
                ));
            }
            blocks.push((raw_at, at, raw, pk));
            raw_at += raw;
            at += pk;
        }
        Ok(Seekable {
            inner,
            header,
            model,
            blocks,
            len: raw_at,
        })
    }

    /// Original bytes in the stream.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the stream holds no original bytes.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The stream header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The original bytes `start..start + len` (fewer if the stream ends first),
    /// decoding only the blocks they are in; each block is checked against its CRC.
    ///
    /// # Errors
    /// A damaged block, or a block that is not where the index says.
    pub fn read_range(&mut self, start: u64, len: u64) -> Result<Vec<u8>> {
        let stop = start.saturating_add(len).min(self.len);
        let mut out = Vec::new();
        if start >= stop {
            return Ok(out);
        }
        let first = self.blocks.partition_point(|b| b.0 + b.2 <= start);
        for (i, &(raw_at, at, raw, packed)) in self.blocks.iter().enumerate().skip(first) {
            if raw_at >= stop {
                break;
            }
            let i = i as u64;
            self.inner.seek(SeekFrom::Start(at))?;
            let frame = BlockHeader::read_from(&mut self.inner, self.header.block_size)
                .map_err(|e| e.in_block(i))?
                .ok_or_else(|| {
                    Error::corrupt("damaged index: no block where it says").in_block(i)
                })?;
            if frame.raw_len != raw || frame.encoded_len() as u64 + frame.data_len != packed {
                return Err(Error::corrupt("damaged index: the block differs").in_block(i));
            }
            let mut data = Vec::new();
            (&mut self.inner)
                .take(frame.data_len)
                .read_to_end(&mut data)?;
            if data.len() as u64 != frame.data_len {
                return Err(Error::Truncated("block data"));
            }
            let mut block = Vec::new();
            block::decode(
                self.model.as_ref(),
                &frame,
                &data,
                i,
                &mut block,
                Seal::Words,
            )?;
            let from = start.saturating_sub(raw_at) as usize;
            let to = (stop - raw_at).min(raw) as usize;
            out.extend_from_slice(&block[from..to]);
        }
        Ok(out)
    }
}
