//! Forging streams for the limit tests: parse a real stream into its parts, change
//! what they declare, and build it again with valid checksums, so the forgery gets past
//! every integrity check that comes before decoding. Shared by `limits.rs` and
//! `bounds.rs`; not every test file uses every helper.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use kraft::format::{BlockHeader, Header, Trailer};
use kraft::{Decoder, Error, Options};

/// A parsed single-stream file: header, blocks (frame and data), trailer.
pub struct Parsed {
    pub header: Header,
    pub blocks: Vec<(BlockHeader, Vec<u8>)>,
    pub trailer: Trailer,
}

pub fn parse(stream: &[u8]) -> Parsed {
    let mut r = stream;
    let header = Header::read_from(&mut r).unwrap().unwrap();
    let mut blocks = Vec::new();
    while let Some(frame) = BlockHeader::read_from(&mut r, header.block_size).unwrap() {
        let (data, rest) = r.split_at(frame.data_len as usize);
        blocks.push((frame, data.to_vec()));
        r = rest;
    }
    let trailer = Trailer::read_from(&mut r).unwrap();
    assert!(r.is_empty());
    Parsed {
        header,
        blocks,
        trailer,
    }
}

pub fn build(p: &Parsed) -> Vec<u8> {
    let mut out = p.header.to_bytes();
    for (frame, data) in &p.blocks {
        frame.write(&mut out);
        out.extend_from_slice(data);
    }
    p.trailer.write_with_end(&mut out);
    out
}

pub fn text(n: usize) -> Vec<u8> {
    let words = ["entropy ", "model ", "bits ", "the ", "of ", "kraft\n"];
    let mut x = 12345u64;
    let mut out = Vec::with_capacity(n + 8);
    while out.len() < n {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        out.extend_from_slice(words[(x >> 33) as usize % words.len()].as_bytes());
    }
    out.truncate(n);
    out
}

/// Decode everything, returning the error (if any), the bytes produced and the time taken.
pub fn decode(stream: &[u8], limit: Option<u64>) -> (Option<Error>, usize, Duration) {
    let start = Instant::now();
    let mut out = Vec::new();
    let err = Decoder::new(stream)
        .memory_limit(limit)
        .read_all(&mut out)
        .err();
    (err, out.len(), start.elapsed())
}

/// A real stream of 4 KiB whose header and frame then claim a block of `claim` bytes.
pub fn forged_block(model: &str, level: u8, claim: u64) -> Vec<u8> {
    let packed = kraft::compress(
        &text(4096),
        &Options::new().compact(false).model(model).level(level),
    )
    .unwrap();
    let mut p = parse(&packed);
    assert_eq!(p.blocks.len(), 1);
    p.header.block_size = claim;
    p.header.content_size = None;
    p.blocks[0].0.raw_len = claim;
    p.trailer.content_size = claim;
    build(&p)
}

/// A stream of `model` at `level` whose first block keeps its parameters but has
/// `payload` in place of its coded data (lengths fixed up).
pub fn with_payload(model: &str, level: u8, payload: impl Fn(usize) -> Vec<u8>) -> Vec<u8> {
    let data = if model == "grid" {
        let mut v = b"P4\n64 64\n".to_vec();
        v.extend((0..64 * 8).map(|i| (i * 37 % 251) as u8));
        v
    } else {
        text(4096)
    };
    let packed = kraft::compress(
        &data,
        &Options::new().compact(false).model(model).level(level),
    )
    .unwrap();
    let mut p = parse(&packed);
    let (frame, block) = &mut p.blocks[0];
    assert_eq!(frame.kind, kraft::format::BLOCK_MODELED, "{model}");
    let mut r = &block[..];
    let params_len = kraft::format::varint::read(&mut r).unwrap() as usize;
    let head = block.len() - r.len() + params_len;
    let coded = block.len() - head;
    block.truncate(head);
    block.extend_from_slice(&payload(coded));
    frame.data_len = block.len() as u64;
    build(&p)
}
