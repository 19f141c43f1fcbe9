//! `grid`: a 2D context-mixing model for bilevel images (PBM streams, raw bit grids).
//!
//! The input is read as it is coded, so the decoder, which sees the same history, parses
//! it the same way:
//!
//! - **PBM** (`P4` binary, `P1` plain), one image or many concatenated: header bytes
//!   are coded bytewise with a small adaptive context (the byte at the same place of
//!   the previous header, the last byte); raster bits are pixels. In `P1` a byte is a
//!   pixel when its first seven bits are those of `'0'`/`'1'`: its last bit is coded by
//!   the pixel model. Anything that is not a valid header (odd headers, comments where
//!   they are not expected, garbage, a block that starts inside an image) is coded as
//!   generic bytes until a header parses again, so every input round-trips.
//! - **Raw bit grids** (`--width W`, stored in the block parameters): every row is
//!   ⌈W/8⌉ bytes, most significant bit first, with no header (fax pages such as Calgary
//!   `pic`: W = 1728).
//!
//! Pixel model, for the pixel at (r, c) in raster order:
//!
//! - **Neighbours** come from one list of offsets ordered by distance (W, N, E, S, NW,
//!   NE, …, out to distance √13). An offset is *present* when its pixel is inside the
//!   image and already coded; otherwise it is absent, and absent positions are part of
//!   the context (a pixel of the first row has its own contexts, not ones with fake
//!   zeros above it).
//! - **Wrap-around** (a block parameter, chosen by the encoder by comparing how often
//!   opposite edges agree with how often adjacent columns and rows agree): positions
//!   are taken modulo the image's width and height, so on a torus the last column sees
//!   column 0 of its own row (E) and the last rows see rows 0, 1, … below them: the
//!   neighbours the physics has, wherever they are already decoded.
//! - **Spin-flip symmetry**: contexts and pixel are complemented together when the
//!   first present neighbour (W, else N, …) is 1, so a pattern and its negative share
//!   statistics (exact for the Ising model; harmless elsewhere).
//! - **Templates**: nested prefixes of the list (4, 6, 10, 18 and 22 causal
//!   neighbours in the image's interior, more near a wrapped edge), each hashed with its
//!   presence pattern into a table of bit counts (n0, n1).
//! - **Estimates**: each template's probability is smoothed toward the next smaller
//!   one's, p_j = (n1 + α p_{j−1}) / (n + α) with α = 8 (a Dirichlet prior centred on
//!   the parent), so a large context seen a few times starts from what the smaller one
//!   knows instead of from ½: this is what lets 22-neighbour contexts help without
//!   diluting the statistics.
//! - **Phase**: templates from the second on also see which value is the majority of
//!   the image so far (when it leads by more than 1/8 of the pixels), relative to the
//!   orientation: below T_c a pattern means one thing inside the dominant phase and
//!   another inside a minority domain.
//! - **Mixing**: the stretched estimates go to two logistic mixers, one with weight
//!   sets selected by the counts of the two largest templates, one by the position
//!   class, the four nearest neighbours and the majority; their outputs are averaged in
//!   the logistic domain.
//!   Weights are 32-bit fractions and updates are rounded to nearest: at low
//!   temperatures nearly every pixel is predicted at p ≈ 0.995, and an update rounded
//!   toward −∞ (an arithmetic shift) drifts the weights by a unit each pixel.
//!
//! Everything the decoder repeats is integer arithmetic. Call contract
//! ([`super::BitModel`]): `p1()`, then `update(bit)`, eight times a byte.

use std::sync::OnceLock;

use super::logistic::Logistic;
use super::table::{Table, mix64};
use super::{BitModel, Model, Predictor, ids};
use crate::error::{Error, Result};
use crate::pbm::{HeaderParser, Parse, scan_pbm};

mod bits;
mod mixer;

pub use crate::pbm::{MAX_WIDTH, looks_like_pbm};
use bits::GridBits;
use mixer::Mixer;

/// Rows kept of the image being coded (the templates reach 3 rows up).
const RING: usize = 4;
/// First rows of each image kept for vertical wrap-around.
const SAVED: usize = 3;
/// Reach of the neighbour list: |dr|, |dc| ≤ 3.
const REACH: i64 = 3;
/// Squared distance cut of each template.
const CUTS: [i64; 5] = [2, 4, 5, 10, 13];

/// Block parameter flags.
const FLAG_WRAP: u8 = 1;
const FLAG_RAW: u8 = 2;

/// The `grid` model: `Grid::new(level)` codes PBM images (and other input as one row);
/// `.width(pixels)` codes the input as a raw bit grid of that many pixels a row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grid {
    level: u8,
    width: Option<usize>,
    /// Samples (PBM images) coded before every block: a trained prior's.
    primer: Option<std::sync::Arc<Vec<u8>>>,
}

impl Grid {
    /// `grid` at `level` (1..=9).
    pub fn new(level: u8) -> Grid {
        Grid {
            level: level.clamp(1, 9),
            width: None,
            primer: None,
        }
    }

    /// The same model learning `samples` before every block (a trained prior): a
    /// stream written this way decodes only with the same samples.
    pub(crate) fn with_primer(mut self, samples: std::sync::Arc<Vec<u8>>) -> Grid {
        self.primer = Some(samples);
        self
    }

    /// Bytes learned before each block.
    fn primed_len(&self) -> usize {
        self.primer.as_ref().map_or(0, |p| p.len())
    }

    /// The same model at another level.
    #[must_use]
    pub fn level(mut self, level: u8) -> Grid {
        self.level = level.clamp(1, 9);
        self
    }

    /// Code the input as a raw bit grid of `pixels` a row (rows of ⌈pixels/8⌉ bytes,
    /// no header; 1 to [`MAX_WIDTH`]), or `None` to parse PBM (the default).
    #[must_use]
    pub fn width(mut self, pixels: Option<usize>) -> Grid {
        self.width = pixels;
        self
    }

    /// The raw width, if any.
    pub fn raw_width(&self) -> Option<usize> {
        self.width
    }

    /// Check the raw width's range.
    ///
    /// # Errors
    /// [`Error::InvalidOption`] for a width of 0 or above [`MAX_WIDTH`].
    pub fn validate(&self) -> Result<()> {
        match self.width {
            Some(w) if w == 0 || w > MAX_WIDTH => Err(Error::InvalidOption(format!(
                "width {w} (must be 1 to {MAX_WIDTH})"
            ))),
            _ => Ok(()),
        }
    }

    /// Build from stream settings (one byte: the level).
    ///
    /// # Errors
    /// [`Error::Corrupt`] for anything but one byte in 1..=9.
    pub fn from_settings(settings: &[u8]) -> Result<Grid> {
        match settings {
            [l @ 1..=9] => Ok(Grid::new(*l)),
            _ => Err(Error::bad_params(
                "grid settings must be one level byte 1..=9",
            )),
        }
    }
}

impl Model for Grid {
    fn id(&self) -> u8 {
        ids::GRID
    }

    fn name(&self) -> &str {
        "grid"
    }

    fn settings(&self) -> Vec<u8> {
        vec![self.level]
    }

    fn level(&self) -> Option<u8> {
        Some(self.level)
    }

    /// Parameters: one flag byte (bit 0 wrap-around, bit 1 raw grid), then for a raw
    /// grid the width as 4 bytes little-endian.
    fn fit(&self, block: &[u8], params: &mut Vec<u8>) -> Result<Predictor> {
        let start = params.len();
        let mut flags = 0u8;
        self.validate()?;
        if self.width.is_some() {
            flags |= FLAG_RAW;
        }
        if detect_wrap(block, self.width) {
            flags |= FLAG_WRAP;
        }
        params.push(flags);
        if let Some(w) = self.width {
            params.extend_from_slice(&(w as u32).to_le_bytes());
        }
        let p = self.load(&params[start..], block.len())?;
        Ok(p)
    }

    fn load(&self, params: &[u8], len: usize) -> Result<Predictor> {
        let (&flags, rest) = params
            .split_first()
            .ok_or_else(|| Error::bad_params("grid block parameters missing"))?;
        if flags & !(FLAG_WRAP | FLAG_RAW) != 0 {
            return Err(Error::bad_params("grid: unknown flags"));
        }
        let raw = if flags & FLAG_RAW != 0 {
            let bytes: [u8; 4] = rest
                .try_into()
                .map_err(|_| Error::bad_params("grid: raw width must be 4 bytes"))?;
            let w = u32::from_le_bytes(bytes) as usize;
            if w == 0 || w > MAX_WIDTH {
                return Err(Error::bad_params("grid: raw width out of range"));
            }
            Some(w)
        } else {
            if !rest.is_empty() {
                return Err(Error::bad_params("grid: extra block parameters"));
            }
            None
        };
        let mut bits = GridBits::new(
            len + self.primed_len(),
            raw,
            flags & FLAG_WRAP != 0,
            self.level,
        );
        if let Some(samples) = &self.primer {
            bits.prime(samples, raw);
        }
        Ok(Predictor::Bits(Box::new(bits)))
    }

    /// 16 MiB.
    fn block_size(&self) -> usize {
        16 << 20
    }

    fn memory(&self, block_size: usize) -> usize {
        let bits = 8 * (block_size + self.primed_len()).max(1);
        CUTS.iter()
            .enumerate()
            .map(|(j, _)| 4usize << table_bits(j, bits))
            .sum::<usize>()
            + (4 << GENERIC_BITS)
            + (1 << 20)
    }
}

/// log2 of the table entries of template `j` for a block of `bits` bits.
fn table_bits(j: usize, bits: usize) -> u32 {
    let want = (bits.max(1) * 2).next_power_of_two().trailing_zeros();
    let cap = [12, 14, 16, 18, 18][j];
    want.clamp(10, cap)
}

const GENERIC_BITS: u32 = 16;

/// Whether opposite edges of the images in `block` agree about as often as adjacent
/// rows and columns do (periodic data, e.g. a torus), from the P4 images at the start
/// of the block or, for a raw grid, its rows.
fn detect_wrap(block: &[u8], raw: Option<usize>) -> bool {
    // Mismatches across the wrap and between adjacent lines, and how many pairs each.
    let (mut wrap, mut adj, mut pairs_wrap, mut pairs_adj) = (0u64, 0u64, 0u64, 0u64);
    let pixel = |img: &[u8], rb: usize, r: usize, c: usize| img[r * rb + c / 8] >> (7 - c % 8) & 1;
    let mut tally = |img: &[u8], w: usize, h: usize, vertical: bool| {
        if w == 0 || h == 0 {
            return;
        }
        let rb = w.div_ceil(8);
        if w >= 3 {
            for r in 0..h {
                wrap += u64::from(pixel(img, rb, r, 0) != pixel(img, rb, r, w - 1));
                adj += u64::from(pixel(img, rb, r, 0) != pixel(img, rb, r, 1));
            }
            pairs_wrap += h as u64;
            pairs_adj += h as u64;
        }
        if vertical && h >= 3 {
            for c in 0..w {
                wrap += u64::from(pixel(img, rb, 0, c) != pixel(img, rb, h - 1, c));
                adj += u64::from(pixel(img, rb, 0, c) != pixel(img, rb, 1, c));
            }
            pairs_wrap += w as u64;
            pairs_adj += w as u64;
        }
    };
    const SAMPLE: usize = 1 << 20;
    if let Some(w) = raw {
        let rb = w.div_ceil(8);
        let h = block.len().min(SAMPLE) / rb;
        tally(&block[..h * rb], w, h, false);
    } else {
        for img in scan_pbm(&block[..block.len().min(SAMPLE)]) {
            if let Some(raster) = img.raster {
                tally(raster, img.width, img.height as usize, true);
            }
        }
    }
    pairs_wrap > 0 && wrap * pairs_adj * 10 <= adj * pairs_wrap * 11 + pairs_adj
}

/// Bit counts (n0, n1) per context, 16 bits each (both halved when their sum passes
/// `limit`), in a hashed table.
struct Counts {
    t: Table,
    shift: u32,
    limit: u32,
}

impl Counts {
    fn new(bits: u32, limit: u32) -> Counts {
        Counts {
            t: Table::new(4 << bits),
            shift: 64 - bits,
            limit: limit.min(65534),
        }
    }

    #[inline]
    fn index(&self, key: u64) -> usize {
        (mix64(key) >> self.shift) as usize
    }

    /// (n0, n1).
    #[inline]
    fn counts(&self, i: usize) -> (u32, u32) {
        let b = &self.t[4 * i..4 * i + 4];
        let e = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        (e & 0xffff, e >> 16)
    }

    /// 16-bit P(1) = (n1 + 1/8)/(n + 1/4): a sparse prior, for header bytes, which are
    /// nearly always the same from one image to the next.
    #[inline]
    fn p(&self, i: usize) -> u32 {
        let (n0, n1) = self.counts(i);
        let p = ((8 * n1 + 1) << 16) / (8 * (n0 + n1) + 2);
        p.clamp(1, 65535)
    }

    #[inline]
    fn update(&mut self, i: usize, bit: bool) {
        let (mut n0, mut n1) = self.counts(i);
        if bit {
            n1 += 1;
        } else {
            n0 += 1;
        }
        if n0 + n1 > self.limit {
            n0 = n0.div_ceil(2);
            n1 = n1.div_ceil(2);
        }
        let e = n0 | n1 << 16;
        self.t[4 * i..4 * i + 4].copy_from_slice(&e.to_le_bytes());
    }
}

/// Templates from this one on also see which value is the image's majority so far.
const MAJORITY_FROM: usize = 1;
/// A majority counts when it leads by more than 1/MAJORITY_MARGIN of the pixels so far.
const MAJORITY_MARGIN: u64 = 8;

/// Prior weight of the parent template's estimate, in counts.
const ALPHA: u32 = 8;
/// Largest n0 + n1 of a template's context before both are halved.
const COUNT_LIMIT: u32 = 65000;

/// What the stream is at the current byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Between images: header or other bytes.
    Header,
    /// P4 raster (or a raw grid): bytes of `row_bytes`, padding bits after `w`.
    Binary,
    /// P1 raster: ASCII digits are pixels.
    Plain,
}

/// How the current bit is predicted (kept for its update).
#[derive(Clone, Copy, Debug)]
enum Pending {
    Generic(usize),
    Pixel,
}

/// The image being coded.
struct Image {
    w: usize,
    /// Height, None for a raw grid.
    h: Option<u64>,
    r: u64,
    c: usize,
    ring: Vec<u8>,
    saved: Vec<u8>,
    /// Pixels coded so far in this image, and how many were 1.
    seen: u64,
    ones: u64,
}

impl Image {
    fn new(w: usize, h: Option<u64>) -> Image {
        Image {
            w,
            h,
            r: 0,
            c: 0,
            ring: vec![0; RING * w],
            saved: vec![0; SAVED * w],
            ones: 0,
            seen: 0,
        }
    }

    fn set(&mut self, bit: u8) {
        self.seen += 1;
        self.ones += u64::from(bit);
        let (r, c, w) = (self.r, self.c, self.w);
        self.ring[(r % RING as u64) as usize * w + c] = bit;
        if r < SAVED as u64 {
            self.saved[r as usize * w + c] = bit;
        }
    }

    fn get(&self, r: u64, c: usize) -> u8 {
        if r + (RING as u64) > self.r {
            self.ring[(r % RING as u64) as usize * self.w + c]
        } else {
            self.saved[r as usize * self.w + c]
        }
    }
}

/// The neighbour offsets (dr, dc), |dr|, |dc| ≤ REACH, by squared distance (W, N, E, S
/// first), and the prefix length of each template.
struct Layout {
    offsets: Vec<(i64, i64, i64)>,
    prefix: [usize; CUTS.len()],
    /// Presence of the offsets at an interior pixel (the causal ones).
    interior: u64,
    /// The causal offsets as (list position, rows back, dc).
    causal: Vec<(usize, usize, i64)>,
}

fn layout() -> Layout {
    let mut offsets = Vec::new();
    for dr in -REACH..=REACH {
        for dc in -REACH..=REACH {
            let d = dr * dr + dc * dc;
            if d > 0 && d <= CUTS[CUTS.len() - 1] {
                offsets.push((dr, dc, d));
            }
        }
    }
    // By distance; within a shell W, N, E, S order (west before north, past first).
    let key = |&(dr, dc, d): &(i64, i64, i64)| {
        let past = dr < 0 || (dr == 0 && dc < 0);
        (d, !past, dr.abs() > dc.abs(), dr, dc)
    };
    offsets.sort_by_key(key);
    assert!(offsets.len() <= 64);
    assert_eq!((offsets[0].0, offsets[0].1), (0, -1));
    assert_eq!((offsets[1].0, offsets[1].1), (-1, 0));
    let mut prefix = [0; CUTS.len()];
    for (j, &cut) in CUTS.iter().enumerate() {
        prefix[j] = offsets.iter().filter(|o| o.2 <= cut).count();
    }
    let interior = offsets
        .iter()
        .enumerate()
        .filter(|(_, (dr, dc, _))| *dr < 0 || (*dr == 0 && *dc < 0))
        .fold(0u64, |m, (i, _)| m | 1 << i);
    let causal = offsets
        .iter()
        .enumerate()
        .filter(|(i, _)| interior >> i & 1 == 1)
        .map(|(i, &(dr, dc, _))| (i, (-dr) as usize, dc))
        .collect();
    Layout {
        offsets,
        prefix,
        interior,
        causal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &[u8]) -> Parse {
        let mut p = HeaderParser::default();
        let mut last = Parse::More;
        for &b in s {
            last = p.push(b);
            if last != Parse::More {
                break;
            }
        }
        last
    }

    #[test]
    fn headers() {
        let done = |plain, w, h| Parse::Done { plain, w, h };
        assert_eq!(parse(b"P4\n64 64\n"), done(false, 64, 64));
        assert_eq!(parse(b"P1 3\t2 "), done(true, 3, 2));
        assert_eq!(
            parse(b"P4\n# made by hand\n1728 2376\n"),
            done(false, 1728, 2376)
        );
        assert_eq!(parse(b"P4 12#x\n 5\r"), done(false, 12, 5));
        assert_eq!(parse(b"P4\n64 64"), Parse::More);
        assert_eq!(parse(b"P5\n"), Parse::Invalid);
        assert_eq!(parse(b"P464"), Parse::Invalid);
        assert_eq!(parse(b"P4 9999999999 1 "), Parse::Invalid);
        assert_eq!(parse(b"P4 2000000 1 "), Parse::Invalid);
        assert_eq!(parse(b"P4 1 1#"), Parse::Invalid);
    }

    #[test]
    fn layout_is_causal_and_nested() {
        let l = layout();
        assert_eq!(l.interior.count_ones(), 22);
        let past = |n: usize| (l.interior & ((1u64 << n) - 1)).count_ones();
        let sizes: Vec<u32> = l.prefix.iter().map(|&n| past(n)).collect();
        assert_eq!(sizes, [4, 6, 10, 18, 22]);
    }
}

#[cfg(test)]
mod diagnose {
    use super::*;

    /// Cost breakdown of a file (`GRID_FILE=path cargo test --release --lib diagnose --
    /// --ignored --nocapture`).
    /// Where a grid file's bits go (`GRID_FILE=x.pbm cargo test --release --lib breakdown
    /// -- --nocapture` prints the table; without it, a generated Ising file): the parts
    /// must add up to what the coder writes.
    #[test]
    fn breakdown() {
        let data = match std::env::var("GRID_FILE") {
            Ok(path) => std::fs::read(&path).unwrap(),
            Err(_) => crate::corpus::generate_ising(1, 32, 40).remove(0).data,
        };
        let wrap = detect_wrap(&data, None);
        let mut g = GridBits::new(data.len(), None, wrap, 6);
        let mut cost = std::collections::BTreeMap::<String, f64>::new();
        let mut images = 0usize;
        for &byte in &data {
            for k in (0..8).rev() {
                let bit = byte >> k & 1 == 1;
                let p = f64::from(g.p1().clamp(1, 65535)) / 65536.0;
                let c = -(if bit { p } else { 1.0 - p }).log2();
                if let Pending::Pixel = g.pending {
                    let b = bit ^ g.flip;
                    let cst = |p: u32| {
                        let p = f64::from(p.clamp(1, 65535)) / 65536.0;
                        -(if b { p } else { 1.0 - p }).log2()
                    };
                    for j in 0..g.templates {
                        *cost.entry(format!("~template {j}")).or_default() += cst(g.ps[j]);
                    }
                    *cost.entry("~mix".into()).or_default() += cst(g.p_mix);
                    *cost.entry("~mix0".into()).or_default() += cst(g.mixer.p[0]);
                    *cost.entry("~mix1".into()).or_default() += cst(g.mixer.p[1]);
                }
                let what = match g.pending {
                    Pending::Generic(_) => "generic".to_string(),
                    Pending::Pixel => {
                        let (r, h) = (g.img.r, g.img.h.unwrap_or(u64::MAX));
                        let row = if r == 0 {
                            "row0"
                        } else if r + 3 >= h {
                            "lastrows"
                        } else {
                            "rows"
                        };
                        let col = if g.img.c == 0 {
                            "col0"
                        } else if g.img.c + 3 >= g.img.w {
                            "lastcols"
                        } else {
                            "cols"
                        };
                        let age = match images {
                            0..=9 => "img<10",
                            10..=99 => "img<100",
                            _ => "img>=100",
                        };
                        format!("{age} {row} {col}")
                    }
                };
                *cost.entry(what).or_default() += c;
                let was = g.mode;
                g.update(bit);
                if was != Mode::Header && g.mode == Mode::Header {
                    images += 1;
                }
            }
        }
        let total: f64 = cost
            .iter()
            .filter(|(k, _)| !k.starts_with('~'))
            .map(|(_, v)| v)
            .sum();
        for (k, v) in &cost {
            println!("{k:32} {v:12.1} bits {:6.2}%", 100.0 * v / total);
        }
        println!("total {total:.1} bits, {images} images, wrap {wrap}");
        let options = crate::Options::new().model("grid").level(6);
        let (_, stats) = crate::compress_with_stats(&data, &options).unwrap();
        let coded = 8.0 * stats.payload_bytes as f64;
        assert!(images > 0);
        assert!(
            (coded - total).abs() <= 0.002 * total + 96.0,
            "the parts add up to {total:.1} bits, the coder wrote {coded}"
        );
    }
}
