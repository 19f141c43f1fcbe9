//! Reading a stream's structure without decoding it: [`inspect`] (what `kraft info`
//! shows) and [`list_blocks`] (what `kraft list` shows) walk the frames, checking sizes
//! and order but not block contents.

use std::io::{self, Read};

use crate::error::{CorruptKind, Error, Result};
use crate::format::{BlockHeader, Header, Small, Start, Trailer};

/// What a stream declared and what was checked, per stream read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamInfo {
    /// The stream header.
    pub header: Header,
    /// Blocks decoded.
    pub blocks: u64,
    /// Blocks that were stored rather than modeled.
    pub stored_blocks: u64,
    /// Modeled blocks coded after a filter (the x86 filter).
    pub filtered_blocks: u64,
    /// Compressed bytes of the stream, header to trailer.
    pub compressed_bytes: u64,
    /// Original bytes.
    pub content_size: u64,
    /// CRC-32 of the original bytes (checked); for a compact frame read by [`inspect`],
    /// the value stored (which a prior changes).
    pub crc: u32,
    /// The stream is a compact frame (`docs/FORMAT.md`).
    pub compact: bool,
    /// A block index follows the stream (its bytes are in `compressed_bytes`).
    pub indexed: bool,
    /// The stream was coded with a trained prior (whose id `header.prior` holds, when
    /// known: a compact frame does not record it).
    pub uses_prior: bool,
}

/// An index follows the stream it describes: it must list that stream's blocks. Its
/// bytes count as the stream's.
pub(crate) fn attach_index(streams: &mut [StreamInfo], index: &crate::format::Index) -> Result<()> {
    let last = streams
        .last_mut()
        .filter(|s| !s.compact && !s.indexed)
        .ok_or_else(|| Error::corrupt("an index that follows no stream"))?;
    if index.blocks.len() as u64 != last.blocks
        || index.content_size() != last.content_size
        || index.header_len != last.header.encoded_len() as u64
    {
        return Err(Error::corrupt(
            "damaged index: it does not describe the stream before it",
        ));
    }
    last.compressed_bytes += index.to_bytes().len() as u64;
    last.indexed = true;
    Ok(())
}

/// The next stream header; bytes after a complete stream that do not start one are
/// [`Error::TrailingGarbage`], with their offset.
pub(crate) fn read_header<R: Read>(
    r: &mut R,
    first: bool,
    done: &[StreamInfo],
) -> Result<Option<Start>> {
    match Start::read_from(r) {
        Err(Error::BadMagic) if !first => Err(Error::TrailingGarbage {
            offset: done.iter().map(|s| s.compressed_bytes).sum(),
        }),
        other => other,
    }
}

/// Blocks are cut at the block size, so only the last block of a stream is shorter.
/// Returns whether this block is short.
pub(crate) fn check_block_order(
    short_seen: bool,
    frame: &BlockHeader,
    header: &Header,
    index: u64,
) -> Result<bool> {
    if short_seen {
        return Err(Error::Corrupt {
            block: Some(index),
            kind: CorruptKind::Container,
            what: "a block follows a block shorter than the block size".into(),
        });
    }
    Ok(frame.raw_len < header.block_size)
}

/// Walk the frames of every stream in `r` without decoding any block: what `kraft info`
/// shows. Sizes and structure are checked; block contents and checksums are not (use
/// [`crate::Decoder`] for that).
///
/// # Errors
/// A damaged or truncated container.
pub fn inspect<R: Read>(r: R) -> Result<Vec<StreamInfo>> {
    walk(r, None)
}

/// Where one block is: what `kraft list` shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockInfo {
    /// The stream it is in (counting from 0, compact frames included).
    pub stream: usize,
    /// Its index in the stream.
    pub block: u64,
    /// Block kind ([`crate::format::BLOCK_MODELED`], `BLOCK_STORED`, `BLOCK_MODELED_X86`).
    pub kind: u8,
    /// Offset of its first original byte in the whole decoded output.
    pub original_offset: u64,
    /// Original bytes.
    pub original_bytes: u64,
    /// Offset of its frame in the input.
    pub compressed_offset: u64,
    /// Its frame and data bytes (for a compact frame, the whole frame).
    pub compressed_bytes: u64,
    /// The CRC-32 its frame states (for a compact frame, the check as stored).
    pub crc: u32,
}

/// [`inspect`], and every block's place, without decoding any.
///
/// # Errors
/// As [`inspect`].
pub fn list_blocks<R: Read>(r: R) -> Result<(Vec<StreamInfo>, Vec<BlockInfo>)> {
    let mut blocks = Vec::new();
    let streams = walk(r, Some(&mut blocks))?;
    Ok((streams, blocks))
}

fn walk<R: Read>(mut r: R, mut list: Option<&mut Vec<BlockInfo>>) -> Result<Vec<StreamInfo>> {
    let mut out: Vec<StreamInfo> = Vec::new();
    // Where the current stream starts, in the input and in the output.
    let (mut at, mut original) = (0u64, 0u64);
    while let Some(start) = read_header(&mut r, out.is_empty(), &out)? {
        if let Some(last) = out.last() {
            if !matches!(start, Start::Index(_)) {
                at += last.compressed_bytes;
                original += last.content_size;
            }
        }
        let header = match start {
            Start::Index(index) => {
                attach_index(&mut out, &index)?;
                continue;
            }
            Start::Stream(header) => header,
            Start::Small(small) => {
                let skipped = io::copy(&mut (&mut r).take(small.data_len), &mut io::sink())?;
                if skipped != small.data_len {
                    return Err(Error::Truncated("compact frame"));
                }
                let check = Small::read_check(&mut r)?;
                if let (Some(list), true) = (list.as_deref_mut(), small.raw_len > 0) {
                    list.push(BlockInfo {
                        stream: out.len(),
                        block: 0,
                        kind: small.kind,
                        original_offset: original,
                        original_bytes: small.raw_len,
                        compressed_offset: at,
                        compressed_bytes: small.encoded_len() as u64 + small.data_len,
                        crc: check,
                    });
                }
                out.push(StreamInfo {
                    header: small.header(None),
                    blocks: u64::from(small.raw_len > 0),
                    stored_blocks: u64::from(small.kind == crate::format::BLOCK_STORED),
                    filtered_blocks: u64::from(small.kind == crate::format::BLOCK_MODELED_X86),
                    compressed_bytes: small.encoded_len() as u64 + small.data_len,
                    content_size: small.raw_len,
                    crc: check,
                    compact: true,
                    indexed: false,
                    uses_prior: small.prior,
                });
                continue;
            }
        };
        let mut info = StreamInfo {
            compressed_bytes: header.encoded_len() as u64,
            header,
            blocks: 0,
            stored_blocks: 0,
            filtered_blocks: 0,
            content_size: 0,
            crc: 0,
            compact: false,
            indexed: false,
            uses_prior: false,
        };
        info.uses_prior = info.header.prior.is_some();
        let mut short = false;
        while let Some(frame) = BlockHeader::read_from(&mut r, info.header.block_size)
            .map_err(|e| e.in_block(info.blocks))?
        {
            short = check_block_order(short, &frame, &info.header, info.blocks)?;
            if let Some(list) = list.as_deref_mut() {
                list.push(BlockInfo {
                    stream: out.len(),
                    block: info.blocks,
                    kind: frame.kind,
                    original_offset: original + info.content_size,
                    original_bytes: frame.raw_len,
                    compressed_offset: at + info.compressed_bytes,
                    compressed_bytes: frame.encoded_len() as u64 + frame.data_len,
                    crc: frame.crc,
                });
            }
            let skipped = io::copy(&mut (&mut r).take(frame.data_len), &mut io::sink())?;
            if skipped != frame.data_len {
                return Err(Error::Corrupt {
                    block: Some(info.blocks),
                    kind: CorruptKind::Container,
                    what: "stream ends inside a block".into(),
                });
            }
            info.compressed_bytes += frame.encoded_len() as u64 + frame.data_len;
            info.content_size += frame.raw_len;
            info.blocks += 1;
            info.stored_blocks += u64::from(frame.kind == crate::format::BLOCK_STORED);
            info.filtered_blocks += u64::from(frame.kind == crate::format::BLOCK_MODELED_X86);
        }
        let trailer = Trailer::read_from(&mut r)?;
        trailer.check_size(&info.header, info.content_size)?;
        info.compressed_bytes += trailer.encoded_len() as u64;
        info.crc = trailer.crc;
        out.push(info);
    }
    if out.is_empty() {
        return Err(Error::Truncated("input is empty"));
    }
    Ok(out)
}
