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
//! - **Templates**: nested prefixes of the list (4, 6, 10, 12, 18 and 22 causal
//!   neighbours in the image's interior, more near a wrapped edge), each hashed with its
//!   presence pattern into a table of bit counts; the KT estimate (n1 + ½)/(n + 1) of
//!   each is stretched and mixed by two logistic mixers whose weight sets are selected
//!   by the counts of the two largest templates and by the position class with the four
//!   nearest neighbours; an APM refines the average.
//!
//! Everything the decoder repeats is integer arithmetic. Call contract
//! ([`super::BitModel`]): `p1()`, then `update(bit)`, eight times a byte.

use std::sync::OnceLock;

use super::cm::adaptive::Apm;
use super::cm::logistic::Logistic;
use super::{BitModel, Model, Predictor, ids};
use crate::error::{Error, Result};

/// Widest image (PBM header or `--width`) handled as pixels: 2^20.
pub const MAX_WIDTH: usize = 1 << 20;

/// Rows kept of the image being coded (the templates reach 3 rows up).
const RING: usize = 4;
/// First rows of each image kept for vertical wrap-around.
const SAVED: usize = 3;
/// Reach of the neighbour list: |dr|, |dc| ≤ 3.
const REACH: i64 = 3;
/// Squared distance cut of each template.
const CUTS: [i64; 6] = [2, 4, 5, 8, 10, 13];
/// Largest PBM header (bytes) before it is given up as not a header.
const MAX_HEADER: usize = 64;

/// Block parameter flags.
const FLAG_WRAP: u8 = 1;
const FLAG_RAW: u8 = 2;

/// The `grid` model.
#[derive(Clone, Debug)]
pub struct Grid {
    level: u8,
    width: Option<usize>,
}

impl Grid {
    /// `grid` at `level` (1..=9); `width`: code the input as a raw bit grid of that many
    /// pixels a row (no PBM parsing).
    pub fn new(level: u8, width: Option<usize>) -> Grid {
        Grid {
            level: level.clamp(1, 9),
            width,
        }
    }

    /// Build from stream settings (one byte: the level).
    ///
    /// # Errors
    /// [`Error::Corrupt`] for anything but one byte in 1..=9.
    pub fn from_settings(settings: &[u8]) -> Result<Grid> {
        match settings {
            [l @ 1..=9] => Ok(Grid::new(*l, None)),
            _ => Err(Error::corrupt("grid settings must be one level byte 1..=9")),
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

    /// Parameters: one flag byte (bit 0 wrap-around, bit 1 raw grid), then for a raw
    /// grid the width as 4 bytes little-endian.
    fn fit(&self, block: &[u8], params: &mut Vec<u8>) -> Result<Predictor> {
        let start = params.len();
        let mut flags = 0u8;
        if let Some(w) = self.width {
            if w == 0 || w > MAX_WIDTH {
                return Err(Error::InvalidOption(format!(
                    "width {w} (must be 1 to {MAX_WIDTH})"
                )));
            }
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
            .ok_or_else(|| Error::corrupt("grid block parameters missing"))?;
        if flags & !(FLAG_WRAP | FLAG_RAW) != 0 {
            return Err(Error::corrupt("grid: unknown flags"));
        }
        let raw = if flags & FLAG_RAW != 0 {
            let bytes: [u8; 4] = rest
                .try_into()
                .map_err(|_| Error::corrupt("grid: raw width must be 4 bytes"))?;
            let w = u32::from_le_bytes(bytes) as usize;
            if w == 0 || w > MAX_WIDTH {
                return Err(Error::corrupt("grid: raw width out of range"));
            }
            Some(w)
        } else {
            if !rest.is_empty() {
                return Err(Error::corrupt("grid: extra block parameters"));
            }
            None
        };
        Ok(Predictor::Bits(Box::new(GridBits::new(
            len,
            raw,
            flags & FLAG_WRAP != 0,
            self.level,
        ))))
    }

    /// 16 MiB.
    fn block_size(&self) -> usize {
        16 << 20
    }

    fn memory(&self, block_size: usize) -> usize {
        let bits = 8 * block_size.max(1);
        CUTS.iter()
            .enumerate()
            .map(|(j, _)| 8usize << table_bits(j, bits))
            .sum::<usize>()
            + (8 << GENERIC_BITS)
            + (1 << 20)
    }
}

/// log2 of the table entries of template `j` for a block of `bits` bits.
fn table_bits(j: usize, bits: usize) -> u32 {
    let want = (bits.max(1) * 2).next_power_of_two().trailing_zeros();
    let cap = [14, 16, 18, 20, 22, 22][j];
    want.clamp(10, cap)
}

const GENERIC_BITS: u32 = 16;

/// What a PBM header parse found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Parse {
    /// Still a valid prefix.
    More,
    /// Not a header.
    Invalid,
    /// A complete header: plain (`P1`) or not, width, height.
    Done { plain: bool, w: usize, h: u64 },
}

/// Incremental PBM header parser: `P1` or `P4`, whitespace (and `#` comments to the end
/// of the line), width, whitespace or comments, height, one whitespace byte.
#[derive(Clone, Debug, Default)]
struct HeaderParser {
    len: usize,
    plain: bool,
    stage: u8,
    comment: bool,
    w: u64,
    h: u64,
    digits: u8,
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

impl HeaderParser {
    fn push(&mut self, b: u8) -> Parse {
        self.len += 1;
        if self.len > MAX_HEADER {
            return Parse::Invalid;
        }
        if self.comment {
            if b == b'\n' || b == b'\r' {
                self.comment = false;
            }
            return Parse::More;
        }
        match self.stage {
            0 if b == b'P' => self.stage = 1,
            1 if b == b'4' || b == b'1' => {
                self.plain = b == b'1';
                self.stage = 2;
            }
            // At least one separator after the magic.
            2 if is_space(b) => self.stage = 3,
            2 | 3 | 5 if b == b'#' => {
                self.comment = true;
                if self.stage == 2 {
                    self.stage = 3;
                }
            }
            3 | 5 if is_space(b) => {}
            3 | 4 | 5 | 6 if b.is_ascii_digit() => {
                let v = if self.stage <= 4 {
                    &mut self.w
                } else {
                    &mut self.h
                };
                if self.stage == 3 || self.stage == 5 {
                    self.stage += 1;
                    self.digits = 0;
                }
                self.digits += 1;
                if self.digits > 9 {
                    return Parse::Invalid;
                }
                *v = *v * 10 + u64::from(b - b'0');
            }
            4 if is_space(b) => self.stage = 5,
            4 if b == b'#' => {
                self.comment = true;
                self.stage = 5;
            }
            6 if is_space(b) => {
                if self.w as usize > MAX_WIDTH {
                    return Parse::Invalid;
                }
                return Parse::Done {
                    plain: self.plain,
                    w: self.w as usize,
                    h: self.h,
                };
            }
            _ => return Parse::Invalid,
        }
        Parse::More
    }
}

/// Whether opposite edges of the images in `block` agree about as often as adjacent
/// rows and columns do (periodic data, e.g. a torus), from the P4 images at the start
/// of the block or, for a raw grid, its rows.
fn detect_wrap(block: &[u8], raw: Option<usize>) -> bool {
    // Mismatches across the wrap and between adjacent lines, and how many pairs each.
    let (mut wrap, mut adj, mut pairs_wrap, mut pairs_adj) = (0u64, 0u64, 0u64, 0u64);
    let pixel = |img: &[u8], rb: usize, r: usize, c: usize| img[r * rb + c / 8] >> (7 - c % 8) & 1;
    let mut tally = |img: &[u8], w: usize, h: usize, vertical: bool| {
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
        let mut pos = 0;
        while pos < block.len().min(SAMPLE) {
            let mut p = HeaderParser::default();
            let mut done = None;
            for (i, &b) in block[pos..].iter().enumerate() {
                match p.push(b) {
                    Parse::More => {}
                    Parse::Invalid => break,
                    Parse::Done { plain, w, h } => {
                        done = Some((plain, w, h, i + 1));
                        break;
                    }
                }
            }
            let Some((false, w, h, hl)) = done else { break };
            let size = (h as usize).saturating_mul(w.div_ceil(8));
            let start = pos + hl;
            if w == 0 || h == 0 || size > block.len() - start {
                break;
            }
            tally(&block[start..start + size], w, h as usize, true);
            pos = start + size;
        }
    }
    pairs_wrap > 0 && wrap * pairs_adj * 10 <= adj * pairs_wrap * 11 + pairs_adj
}

#[inline]
fn mix64(mut x: u64) -> u64 {
    x ^= x >> 31;
    x = x.wrapping_mul(0x7fb5_d329_728e_a185);
    x ^= x >> 27;
    x = x.wrapping_mul(0x81da_def4_bc2d_d44d);
    x ^ (x >> 33)
}

/// Bit counts (n0, n1) per context, packed in a u64; predicts the KT estimate.
struct Counts {
    t: Vec<u64>,
    shift: u32,
    limit: u32,
}

impl Counts {
    fn new(bits: u32, limit: u32) -> Counts {
        Counts {
            t: vec![0; 1 << bits],
            shift: 64 - bits,
            limit,
        }
    }

    #[inline]
    fn index(&self, key: u64) -> usize {
        (mix64(key) >> self.shift) as usize
    }

    /// 16-bit P(1) = (n1 + ½)/(n + 1), and n.
    #[inline]
    fn p(&self, i: usize) -> (u32, u32) {
        let e = self.t[i];
        let (n0, n1) = (e as u32, (e >> 32) as u32);
        let n = n0 + n1;
        let p = ((u64::from(2 * n1 + 1) << 16) / u64::from(2 * n + 2)) as u32;
        (p.clamp(1, 65535), n)
    }

    #[inline]
    fn update(&mut self, i: usize, bit: bool) {
        let e = self.t[i];
        let (mut n0, mut n1) = (e as u32, (e >> 32) as u32);
        if bit {
            n1 += 1;
        } else {
            n0 += 1;
        }
        if n0 + n1 > self.limit {
            n0 = n0.div_ceil(2);
            n1 = n1.div_ceil(2);
        }
        self.t[i] = u64::from(n0) | u64::from(n1) << 32;
    }
}

/// Logistic mixers over one input vector, each with weight sets selected by a context;
/// weights (65536 = 1) learn w += η x (bit − p) with η decaying per weight set from
/// `RATE_HI` to `RATE_LO` (in 2^-24 units per stretched unit and 16-bit error).
struct Mixer {
    n: usize,
    w: Vec<Vec<i32>>,
    seen: Vec<Vec<u32>>,
    x: Vec<i32>,
    sel: Vec<usize>,
    dot: Vec<i32>,
    p: Vec<u32>,
}

const RATE_LO: i64 = 96;
const RATE_HI: i64 = 1600;

impl Mixer {
    fn new(n: usize, sets: &[usize], init: i32) -> Mixer {
        Mixer {
            n,
            w: sets.iter().map(|&s| vec![init; s * n]).collect(),
            seen: sets.iter().map(|&s| vec![0; s]).collect(),
            x: vec![0; n],
            sel: vec![0; sets.len()],
            dot: vec![0; sets.len()],
            p: vec![32768; sets.len()],
        }
    }

    fn mix(&mut self, lg: &Logistic, sel: &[usize]) {
        for (j, &s) in sel.iter().enumerate() {
            self.sel[j] = s;
            let w = &self.w[j][s * self.n..(s + 1) * self.n];
            let dot: i64 = self
                .x
                .iter()
                .zip(w)
                .map(|(&x, &w)| i64::from(x) * i64::from(w))
                .sum();
            let d = (dot >> 16).clamp(-2047, 2047) as i32;
            self.dot[j] = d;
            self.p[j] = lg.squash(d);
        }
    }

    fn update(&mut self, bit: bool) {
        for j in 0..self.w.len() {
            let s = self.sel[j];
            let err = (i64::from(bit) << 16) - i64::from(self.p[j]);
            let seen = &mut self.seen[j][s];
            let rate = RATE_LO + (RATE_HI - RATE_LO) * 256 / (256 + i64::from(*seen));
            *seen = seen.saturating_add(1);
            let w = &mut self.w[j][s * self.n..(s + 1) * self.n];
            for (w, &x) in w.iter_mut().zip(&self.x) {
                let d = (i64::from(x) * err * rate) >> 24;
                *w = (i64::from(*w) + d).clamp(-(1 << 22), 1 << 22) as i32;
            }
        }
    }
}

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
        }
    }

    fn set(&mut self, bit: u8) {
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
    Layout {
        offsets,
        prefix,
        interior,
    }
}

struct GridBits {
    lg: &'static Logistic,
    lay: &'static Layout,
    wrap: bool,
    mode: Mode,
    c0: u32,
    bitpos: u32,
    hist: u32,
    parser: HeaderParser,
    header: Vec<u8>,
    prev_header: Vec<u8>,
    img: Image,
    row_byte: usize,
    generic: Counts,
    tables: Vec<Counts>,
    idx: Vec<usize>,
    mixer: Mixer,
    apm: Apm,
    apm_p: u32,
    p_mix: u32,
    pending: Pending,
    flip: bool,
    templates: usize,
}

impl GridBits {
    fn new(len: usize, raw: Option<usize>, wrap: bool, level: u8) -> GridBits {
        static LOGISTIC: OnceLock<Logistic> = OnceLock::new();
        static LAYOUT: OnceLock<Layout> = OnceLock::new();
        let lg = LOGISTIC.get_or_init(Logistic::new);
        let lay = LAYOUT.get_or_init(layout);
        let templates = if level <= 3 { 4 } else { CUTS.len() };
        let bits = 8 * len.max(1);
        let tables = (0..templates)
            .map(|j| Counts::new(table_bits(j, bits), 1 << 20))
            .collect();
        let n_inputs = templates + 1;
        let mut g = GridBits {
            lg,
            lay,

            wrap,
            mode: Mode::Header,
            c0: 1,
            bitpos: 0,
            hist: 0,
            parser: HeaderParser::default(),
            header: Vec::new(),
            prev_header: Vec::new(),
            img: Image::new(0, Some(0)),
            row_byte: 0,
            generic: Counts::new(GENERIC_BITS, 255),
            tables,
            idx: vec![0; templates],
            mixer: Mixer::new(n_inputs, &[64, 8 * 16], 65536 * 3 / 10),
            apm: Apm::new(8 << 9, 6, lg),
            apm_p: 32768,
            p_mix: 32768,
            pending: Pending::Generic(0),
            flip: false,
            templates,
        };
        if let Some(w) = raw {
            g.img = Image::new(w, None);
            g.mode = Mode::Binary;
        }
        g
    }

    /// Start an image after a complete header.
    fn start_image(&mut self, plain: bool, w: usize, h: u64) {
        self.prev_header = std::mem::take(&mut self.header);
        self.parser = HeaderParser::default();
        if w == 0 || h == 0 {
            return;
        }
        if self.img.w != w {
            self.img = Image::new(w, Some(h));
        } else {
            self.img.h = Some(h);
            self.img.r = 0;
            self.img.c = 0;
        }
        self.row_byte = 0;
        self.mode = if plain { Mode::Plain } else { Mode::Binary };
    }

    fn end_image(&mut self) {
        self.mode = Mode::Header;
        self.img.r = 0;
        self.img.c = 0;
    }

    /// Neighbour values and presence, in list order, for the current pixel.
    fn neighbours(&self) -> (u64, u64) {
        let img = &self.img;
        let (r, c, w) = (img.r as i64, img.c as i64, img.w as i64);
        let h = img.h.map(|h| h as i64);
        let inside = r >= REACH && c >= REACH && c + REACH < w && h.is_none_or(|h| r + REACH < h);
        let mut val = 0u64;
        if inside {
            let present = self.lay.interior;
            let mut m = present;
            while m != 0 {
                let i = m.trailing_zeros() as usize;
                m &= m - 1;
                let (dr, dc, _) = self.lay.offsets[i];
                val |= u64::from(img.get((r + dr) as u64, (c + dc) as usize)) << i;
            }
            return (val, present);
        }
        let mut present = 0u64;
        for (i, &(dr, dc, _)) in self.lay.offsets.iter().enumerate() {
            let (mut rr, mut cc) = (r + dr, c + dc);
            if self.wrap {
                cc = cc.rem_euclid(w);
                if let Some(h) = h {
                    rr = rr.rem_euclid(h);
                }
            } else if cc < 0 || cc >= w || h.is_some_and(|h| rr >= h) {
                continue;
            }
            if rr < 0 || !(rr < r || (rr == r && cc < c)) {
                continue;
            }
            // Rows more than RING back are only reachable as the saved first rows.
            if rr + (RING as i64) <= r && rr >= SAVED as i64 {
                continue;
            }
            present |= 1 << i;
            val |= u64::from(img.get(rr as u64, cc as usize)) << i;
        }
        (val, present)
    }

    fn predict_pixel(&mut self) -> u32 {
        let (mut val, present) = self.neighbours();
        // The first present neighbour decides the orientation.
        let first = present.trailing_zeros();
        self.flip = first < 64 && val >> first & 1 == 1;
        if self.flip {
            val ^= present;
        }
        let lg = self.lg;
        let mut counts = [0u32; CUTS.len()];
        for j in 0..self.templates {
            let m = if self.lay.prefix[j] >= 64 {
                u64::MAX
            } else {
                (1u64 << self.lay.prefix[j]) - 1
            };
            let key =
                (val & m) ^ (present & m).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (j as u64) << 58;
            let t = &self.tables[j];
            let i = t.index(key);
            self.idx[j] = i;
            let (p, n) = t.p(i);
            counts[j] = n;
            self.mixer.x[j] = lg.stretch(p);
        }
        self.mixer.x[self.templates] = 256;
        let bucket = |n: u32| match n {
            0 => 0,
            1 => 1,
            2 => 2,
            3..=4 => 3,
            5..=8 => 4,
            9..=16 => 5,
            17..=64 => 6,
            _ => 7,
        };
        let t = self.templates;
        let sel0 = bucket(counts[t - 1]) * 8 + bucket(counts[t - 2]);
        let interior = present == self.lay.interior;
        let class = usize::from(!interior)
            + 2 * usize::from(self.img.r == 0)
            + 4 * usize::from(present & !self.lay.interior != 0);
        // W, N, NW, NE (list positions 0, 1, 4, 5).
        let near = (val & 3 | (val >> 2) & 12) as usize;
        let sel1 = class * 16 + near;
        self.mixer.mix(lg, &[sel0, sel1]);
        let s = (self.mixer.dot[0] + self.mixer.dot[1]) / 2;
        let p = lg.squash(s);
        self.p_mix = p;
        let cx = class << 9 | (val & 0x1ff) as usize;
        self.apm_p = self.apm.refine(lg, p, cx);
        let p = (p + 3 * self.apm_p) / 4;
        let p = p.clamp(1, 65535);
        if self.flip { 65536 - p } else { p }
    }

    fn update_pixel(&mut self, bit: bool) {
        let b = bit ^ self.flip;
        for j in 0..self.templates {
            self.tables[j].update(self.idx[j], b);
        }
        self.mixer.update(b);
        self.apm.update(b);
        self.img.set(u8::from(bit));
    }

    /// Advance past a pixel.
    fn next_pixel(&mut self) {
        self.img.c += 1;
        if self.img.c == self.img.w {
            self.img.c = 0;
            self.img.r += 1;
        }
    }

    fn generic_key(&self) -> u64 {
        match self.mode {
            Mode::Header => {
                let at = self.header.len();
                let prev = self.prev_header.get(at).map_or(0x1ff, |&b| u64::from(b));
                1 << 60
                    | (at.min(63) as u64) << 40
                    | prev << 28
                    | u64::from(self.hist & 0xffff) << 9
                    | u64::from(self.c0)
            }
            Mode::Plain => {
                2 << 60
                    | u64::from(self.img.c == 0) << 40
                    | u64::from(self.hist & 0xffff) << 9
                    | u64::from(self.c0)
            }
            Mode::Binary => 3 << 60 | u64::from(self.bitpos),
        }
    }
}

impl BitModel for GridBits {
    fn p1(&mut self) -> u32 {
        let pixel = match self.mode {
            Mode::Binary => self.row_byte * 8 + (self.bitpos as usize) < self.img.w,
            Mode::Plain => self.bitpos == 7 && self.c0 == 0x98,
            Mode::Header => false,
        };
        if pixel {
            self.pending = Pending::Pixel;
            return self.predict_pixel();
        }
        let i = self.generic.index(self.generic_key());
        self.pending = Pending::Generic(i);
        self.generic.p(i).0
    }

    fn update(&mut self, bit: bool) {
        match self.pending {
            Pending::Pixel => {
                self.update_pixel(bit);
                if self.mode == Mode::Binary {
                    self.next_pixel();
                }
            }
            Pending::Generic(i) => self.generic.update(i, bit),
        }
        self.c0 = self.c0 << 1 | u32::from(bit);
        self.bitpos += 1;
        if self.bitpos < 8 {
            return;
        }
        let byte = (self.c0 & 0xff) as u8;
        self.c0 = 1;
        self.bitpos = 0;
        self.hist = self.hist << 8 | u32::from(byte);
        match self.mode {
            Mode::Header => {
                self.header.push(byte);
                match self.parser.push(byte) {
                    Parse::More => {}
                    Parse::Invalid => {
                        self.parser = HeaderParser::default();
                        self.header.clear();
                        if byte == b'P' {
                            self.header.push(byte);
                            self.parser.push(byte);
                        }
                    }
                    Parse::Done { plain, w, h } => self.start_image(plain, w, h),
                }
            }
            Mode::Binary => {
                self.row_byte += 1;
                if self.row_byte == self.img.w.div_ceil(8) {
                    self.row_byte = 0;
                    // Padding bits did not advance the pixel position.
                    if self.img.c != 0 {
                        self.img.c = 0;
                        self.img.r += 1;
                    }
                    if self.img.h.is_some_and(|h| self.img.r >= h) {
                        self.end_image();
                    }
                }
            }
            Mode::Plain => {
                if byte == b'0' || byte == b'1' {
                    self.next_pixel();
                    if self.img.h.is_some_and(|h| self.img.r >= h) {
                        self.end_image();
                    }
                }
            }
        }
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
        assert_eq!(sizes, [4, 6, 10, 12, 18, 22]);
    }
}
