//! The i.i.d. (order-0, semi-static) model.

use super::{Categorical, Model, ONE, Predictor, ids};
use crate::error::{Error, Result};
use crate::format::varint;

/// Bytes independent and identically distributed: q(x_1..x_N) = Π q(x_n).
///
/// Fit: count the bytes of the block and quantize the empirical distribution to 16-bit
/// frequencies (every byte that occurs keeps non-zero mass; rounding is corrected where
/// it costs the fewest bits). Parameters: the table of present bytes and their
/// frequencies, ≤ 547 bytes for all 256 byte values. Coding: ANS with one static table,
/// decoded by a 64 KiB lookup table. Memory: O(1) beyond the block.
///
/// The code length is within a few thousandths of a percent of N·H0 (the empirical
/// order-0 entropy of the block) plus the table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Iid;

impl Model for Iid {
    fn id(&self) -> u8 {
        ids::IID
    }

    fn name(&self) -> &str {
        "iid"
    }

    fn fit(&self, block: &[u8], params: &mut Vec<u8>) -> Result<Predictor> {
        let counts = byte_counts(block);
        let freq = quantize(&counts);
        write_table(&freq, params);
        predictor(freq)
    }

    fn load(&self, params: &[u8], _len: usize) -> Result<Predictor> {
        let mut input = params;
        let freq = read_table(&mut input)?;
        if !input.is_empty() {
            return Err(Error::bad_params("trailing bytes after the i.i.d. table"));
        }
        predictor(freq)
    }

    fn memory(&self, _block_size: usize) -> usize {
        // Frequency table, cumulative table and the decoder's lookup table.
        2 * 257 * 4 + ONE as usize
    }
}

/// `iid` with a trained table (a prior's): each block is coded with that table, and then
/// its parameters are empty, or with a table of its own, as plain `iid` writes it,
/// whichever the counts say costs fewer bits.
#[derive(Clone, Debug)]
pub(crate) struct Trained {
    freq: [u32; 256],
}

impl Trained {
    /// A model with the table `freq`, in which every byte value must be present.
    pub(crate) fn new(freq: [u32; 256]) -> Result<Trained> {
        if freq.contains(&0) {
            return Err(Error::bad_params(
                "a trained i.i.d. table must give every byte a frequency",
            ));
        }
        Ok(Trained { freq })
    }

    /// The table trained on `samples`: their byte counts, plus one of each value so that
    /// every record can be coded.
    pub(crate) fn train<'a>(samples: impl IntoIterator<Item = &'a [u8]>) -> [u32; 256] {
        let mut counts = [1u64; 256];
        for s in samples {
            for &b in s {
                counts[usize::from(b)] += 1;
            }
        }
        quantize(&counts)
    }
}

/// Bits to code bytes with `counts` under `freq` (every counted byte present in it).
fn cost(counts: &[u64; 256], freq: &[u32; 256]) -> f64 {
    (0..256)
        .filter(|&s| counts[s] > 0)
        .map(|s| counts[s] as f64 * (f64::from(ONE) / f64::from(freq[s])).log2())
        .sum()
}

impl Model for Trained {
    fn id(&self) -> u8 {
        ids::IID
    }

    fn name(&self) -> &str {
        "iid"
    }

    fn fit(&self, block: &[u8], params: &mut Vec<u8>) -> Result<Predictor> {
        let counts = byte_counts(block);
        let own = quantize(&counts);
        let mut table = Vec::new();
        write_table(&own, &mut table);
        // A block of one byte value costs only its table (nothing is coded).
        let single = counts.iter().filter(|&&c| c > 0).count() <= 1;
        let own_bits = if single { 0.0 } else { cost(&counts, &own) } + 8.0 * table.len() as f64;
        if cost(&counts, &self.freq) <= own_bits {
            return predictor(self.freq);
        }
        params.extend_from_slice(&table);
        predictor(own)
    }

    fn load(&self, params: &[u8], len: usize) -> Result<Predictor> {
        if params.is_empty() {
            return predictor(self.freq);
        }
        Iid.load(params, len)
    }

    fn memory(&self, block_size: usize) -> usize {
        Iid.memory(block_size)
    }
}

/// How often each byte value occurs in `block`.
fn byte_counts(block: &[u8]) -> [u64; 256] {
    let mut counts = [0u64; 256];
    for &b in block {
        counts[usize::from(b)] += 1;
    }
    counts
}

fn predictor(freq: [u32; 256]) -> Result<Predictor> {
    let present: Vec<usize> = (0..256).filter(|&s| freq[s] != 0).collect();
    match present.len() {
        0 => Ok(Predictor::Constant(0)),
        1 => Ok(Predictor::Constant(present[0] as u8)),
        _ => Ok(Predictor::Static(Box::new(Categorical::from_frequencies(
            freq,
        )?))),
    }
}

/// Quantize counts to frequencies summing to [`ONE`] (or a single 1 for one symbol, all
/// zero for none), minimising the code length Σ c_s·(−log2 f_s) of the counted data.
pub(crate) fn quantize(counts: &[u64; 256]) -> [u32; 256] {
    let mut freq = [0u32; 256];
    let total: u64 = counts.iter().sum();
    let present = counts.iter().filter(|&&c| c > 0).count();
    if present <= 1 {
        if let Some(s) = counts.iter().position(|&c| c > 0) {
            freq[s] = 1;
        }
        return freq;
    }
    let scale = f64::from(ONE) / total as f64;
    let mut sum: i64 = 0;
    for s in 0..256 {
        if counts[s] > 0 {
            freq[s] = ((counts[s] as f64 * scale).round() as u32).max(1);
            sum += i64::from(freq[s]);
        }
    }
    // Fix the sum one unit at a time where it costs the counted data the fewest bits.
    while sum != i64::from(ONE) {
        let grow = sum < i64::from(ONE);
        let mut best: Option<(f64, usize)> = None;
        for s in 0..256 {
            let (c, f) = (counts[s] as f64, f64::from(freq[s]));
            if counts[s] == 0 || (!grow && freq[s] <= 1) {
                continue;
            }
            // Bits the data costs more after the change (negative: saves).
            let delta = if grow {
                c * (f / (f + 1.0)).log2()
            } else {
                c * (f / (f - 1.0)).log2()
            };
            if best.is_none_or(|(d, _)| delta < d) {
                best = Some((delta, s));
            }
        }
        let (_, s) = best.expect("a present symbol can always change");
        if grow {
            freq[s] += 1;
            sum += 1;
        } else {
            freq[s] -= 1;
            sum -= 1;
        }
    }
    freq
}

/// Table layout: `k−1` (one byte, k = number of present bytes), then the present bytes
/// (k bytes when k ≤ 32, else a 32-byte bitmap), then for k ≥ 2 each present byte's
/// frequency minus one as a varint, in byte order.
pub(crate) fn write_table(freq: &[u32; 256], out: &mut Vec<u8>) {
    let present: Vec<u8> = (0..=255u8).filter(|&s| freq[usize::from(s)] != 0).collect();
    if present.is_empty() {
        // Empty block: an empty table.
        return;
    }
    out.push((present.len() - 1) as u8);
    if present.len() <= 32 {
        out.extend_from_slice(&present);
    } else {
        let mut bitmap = [0u8; 32];
        for &s in &present {
            bitmap[usize::from(s / 8)] |= 1 << (s % 8);
        }
        out.extend_from_slice(&bitmap);
    }
    if present.len() >= 2 {
        for &s in &present {
            varint::write(out, u64::from(freq[usize::from(s)] - 1));
        }
    }
}

pub(crate) fn read_table(input: &mut &[u8]) -> Result<[u32; 256]> {
    let mut freq = [0u32; 256];
    let Some((&k1, rest)) = input.split_first() else {
        return Ok(freq);
    };
    *input = rest;
    let k = usize::from(k1) + 1;
    let present: Vec<u8> = if k <= 32 {
        let list = take(input, k)?;
        if list.windows(2).any(|w| w[0] >= w[1]) {
            return Err(Error::bad_params("i.i.d. table symbols out of order"));
        }
        list.to_vec()
    } else {
        let bitmap = take(input, 32)?;
        let list: Vec<u8> = (0..=255u8)
            .filter(|&s| bitmap[usize::from(s / 8)] & (1 << (s % 8)) != 0)
            .collect();
        if list.len() != k {
            return Err(Error::bad_params(
                "i.i.d. table bitmap disagrees with its count",
            ));
        }
        list
    };
    if k == 1 {
        freq[usize::from(present[0])] = 1;
        return Ok(freq);
    }
    for &s in &present {
        let f = varint::read(input)?;
        if f >= u64::from(ONE) {
            return Err(Error::bad_params("i.i.d. table frequency out of range"));
        }
        freq[usize::from(s)] = f as u32 + 1;
    }
    Ok(freq)
}

fn take<'a>(input: &mut &'a [u8], n: usize) -> Result<&'a [u8]> {
    if input.len() < n {
        return Err(Error::bad_params("i.i.d. table ends early"));
    }
    let (head, rest) = input.split_at(n);
    *input = rest;
    Ok(head)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantized_table_sums_to_one_and_keeps_rare_symbols() {
        let mut counts = [0u64; 256];
        counts[0] = 10_000_000;
        counts[1] = 1;
        counts[200] = 3;
        let f = quantize(&counts);
        assert_eq!(f.iter().map(|&x| u64::from(x)).sum::<u64>(), u64::from(ONE));
        assert!(f[1] >= 1 && f[200] >= 1);
    }

    #[test]
    fn table_round_trips_for_every_size() {
        for k in 1..=256usize {
            let mut counts = [0u64; 256];
            for (i, c) in counts.iter_mut().enumerate().take(k) {
                *c = (i as u64 * 7919) % 1000 + 1;
            }
            let f = quantize(&counts);
            let mut buf = Vec::new();
            write_table(&f, &mut buf);
            assert!(buf.len() <= 547, "{k} symbols: {} bytes", buf.len());
            let mut input = &buf[..];
            assert_eq!(read_table(&mut input).unwrap(), f);
            assert!(input.is_empty());
        }
    }
}
