//! Coding one block: fit the model, code the bytes, frame the result.

use crate::coder;
use crate::error::{Error, Result};
use crate::filter;
use crate::format::{BLOCK_MODELED, BLOCK_MODELED_X86, BLOCK_STORED, BlockHeader, varint};
use crate::model::Model;

/// One block ready to be written.
pub(crate) struct EncodedBlock {
    pub frame: BlockHeader,
    /// Block data: `params_len:varint params payload` for a modeled block, the original
    /// bytes for a stored one.
    pub data: Vec<u8>,
    /// Bytes of `data` that are model parameters and their length prefix.
    pub params_bytes: usize,
    /// The model's ideal code length for the block's bytes.
    pub ideal_bits: f64,
    /// A latent-variable model's figures.
    pub latent: Option<coder::LatentStats>,
}

/// Fit `model` to `raw` and code it; store the block instead if coding would expand it.
/// When `filters` are on, the model takes them and the block looks like x86 code, it is also coded
/// after the x86 filter, and the smaller of the two is kept (a tie keeps the plain one).
/// `seal` lays out a range-coded payload ([`coder::Seal`]).
pub(crate) fn encode(
    model: &dyn Model,
    raw: &[u8],
    filters: bool,
    seal: coder::Seal,
) -> Result<EncodedBlock> {
    debug_assert!(!raw.is_empty());
    let crc = crc32fast::hash(raw);
    let plain = encode_as(model, raw, raw, BLOCK_MODELED, crc, seal)?;
    let candidate = filters && model.filters() && filter::x86::likely(raw);
    if plain.frame.kind == BLOCK_STORED || !candidate {
        return Ok(plain);
    }
    let mut filtered = raw.to_vec();
    filter::x86::encode(&mut filtered);
    let x86 = encode_as(model, &filtered, raw, BLOCK_MODELED_X86, crc, seal)?;
    Ok(if x86.data.len() < plain.data.len() {
        x86
    } else {
        plain
    })
}

/// Code `input` (`raw`, or `raw` filtered) as a block of `kind`, or store `raw`.
fn encode_as(
    model: &dyn Model,
    input: &[u8],
    raw: &[u8],
    kind: u8,
    crc: u32,
    seal: coder::Seal,
) -> Result<EncodedBlock> {
    let mut params = Vec::new();
    let predictor = model.fit(input, &mut params)?;
    let coded = coder::encode_sealed(predictor, input, seal)?;
    let mut data = Vec::with_capacity(params.len() + coded.payload.len() + 4);
    varint::write(&mut data, params.len() as u64);
    data.extend_from_slice(&params);
    let params_bytes = data.len();
    data.extend_from_slice(&coded.payload);
    let raw_len = raw.len() as u64;
    if data.len() as u64 >= raw_len {
        return Ok(EncodedBlock {
            frame: BlockHeader {
                kind: BLOCK_STORED,
                raw_len,
                data_len: raw_len,
                crc,
            },
            data: raw.to_vec(),
            params_bytes: 0,
            ideal_bits: coded.ideal_bits,
            latent: coded.latent,
        });
    }
    Ok(EncodedBlock {
        frame: BlockHeader {
            kind,
            raw_len,
            data_len: data.len() as u64,
            crc,
        },
        data,
        params_bytes,
        ideal_bits: coded.ideal_bits,
        latent: coded.latent,
    })
}

/// Decode one block's data (appending to `out`) and check its CRC.
pub(crate) fn decode(
    model: &dyn Model,
    frame: &BlockHeader,
    data: &[u8],
    index: u64,
    out: &mut Vec<u8>,
    seal: coder::Seal,
) -> Result<()> {
    let start = out.len();
    let raw_len = usize::try_from(frame.raw_len).map_err(|_| Error::corrupt("block too large"))?;
    // Address space only: the pages are touched as bytes are decoded.
    reserve(out, frame.raw_len)?;
    if frame.kind == BLOCK_STORED {
        out.extend_from_slice(data);
    } else {
        let mut input = data;
        let params_len = varint::read(&mut input).map_err(|e| e.in_block(index))?;
        if params_len > input.len() as u64 {
            return Err(Error::bad_params("model parameters longer than the block").in_block(index));
        }
        let (params, payload) = input.split_at(params_len as usize);
        let predictor = model.load(params, raw_len).map_err(|e| e.in_block(index))?;
        coder::decode_sealed(predictor, payload, raw_len, out, seal)
            .map_err(|e| e.in_block(index))?;
        if frame.kind == BLOCK_MODELED_X86 {
            filter::x86::decode(&mut out[start..]);
        }
    }
    if out.len() - start != raw_len {
        return Err(Error::bad_payload("block decoded to the wrong length").in_block(index));
    }
    let got = crc32fast::hash(&out[start..]);
    if got != frame.crc {
        return Err(Error::Checksum {
            block: index,
            expected: frame.crc,
            got,
        });
    }
    Ok(())
}

/// Make room for `n` more bytes in `v` without aborting if the allocator refuses.
pub(crate) fn reserve(v: &mut Vec<u8>, n: u64) -> Result<()> {
    usize::try_from(n)
        .ok()
        .and_then(|n| v.try_reserve_exact(n).ok())
        .ok_or_else(|| {
            Error::Io(std::io::Error::new(
                std::io::ErrorKind::OutOfMemory,
                format!("cannot allocate {n} bytes for a block"),
            ))
        })
}
