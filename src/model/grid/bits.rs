//! The `grid` bit predictor: the image state as pixels arrive, the causal
//! neighbourhood, and the mixing of its templates' counts.

use super::*;

/// The predictor for one block: follows the stream (header bytes, raster bits, padding)
/// and predicts each bit, pixels with the 2D model. Contract: `p1()`, then `update(bit)`.
/// Memory: the count tables (sized by the block, at most 2^18 entries of 4 bytes per
/// template), a 64 K-entry table for other bytes, and 7 rows of the current image.
pub(super) struct GridBits {
    pub(super) lg: &'static Logistic,
    pub(super) lay: &'static Layout,
    pub(super) wrap: bool,
    pub(super) mode: Mode,
    pub(super) c0: u32,
    pub(super) bitpos: u32,
    pub(super) hist: u32,
    pub(super) parser: HeaderParser,
    pub(super) header: Vec<u8>,
    pub(super) prev_header: Vec<u8>,
    pub(super) img: Image,
    pub(super) row_byte: usize,
    pub(super) generic: Counts,
    pub(super) tables: Vec<Counts>,
    pub(super) idx: Vec<usize>,
    pub(super) mixer: Mixer,
    pub(super) p_mix: u32,
    pub(super) pending: Pending,
    pub(super) flip: bool,
    pub(super) templates: usize,
    pub(super) ps: [u32; CUTS.len()],
}

impl GridBits {
    pub(super) fn new(len: usize, raw: Option<usize>, wrap: bool, level: u8) -> GridBits {
        static LOGISTIC: OnceLock<Logistic> = OnceLock::new();
        static LAYOUT: OnceLock<Layout> = OnceLock::new();
        let lg = LOGISTIC.get_or_init(Logistic::new);
        let lay = LAYOUT.get_or_init(layout);
        let templates = if level <= 3 { 3 } else { CUTS.len() };
        let bits = 8 * len.max(1);
        let tables = (0..templates)
            .map(|j| Counts::new(table_bits(j, bits), COUNT_LIMIT))
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
            generic: Counts::new(GENERIC_BITS, 1023),
            tables,
            idx: vec![0; templates],
            mixer: Mixer::new(n_inputs, &[64, 8 * 16 * 3], (1i64 << 32) / templates as i64),
            p_mix: 32768,
            pending: Pending::Generic(0),
            flip: false,
            templates,
            ps: [32768; CUTS.len()],
        };
        if let Some(w) = raw {
            g.img = Image::new(w, None);
            g.mode = Mode::Binary;
        }
        g
    }

    /// Learn `samples` (PBM images) as if they had been coded, read as a stream (between
    /// images); then, for a raw grid of `raw` pixels a row, start it.
    pub(super) fn prime(&mut self, samples: &[u8], raw: Option<usize>) {
        if raw.is_some() {
            self.img = Image::new(0, Some(0));
            self.mode = Mode::Header;
        }
        for &byte in samples {
            for i in (0..8).rev() {
                self.p1();
                self.update((byte >> i) & 1 == 1);
            }
        }
        if let Some(w) = raw {
            self.img = Image::new(w, None);
            self.mode = Mode::Binary;
            self.row_byte = 0;
        }
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
            self.img.seen = 0;
            self.img.ones = 0;
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
            // Every causal offset is inside and no other is decoded: read the ring rows
            // directly.
            let ring = RING as i64;
            let base: [usize; RING] =
                std::array::from_fn(|k| (((r - k as i64) % ring) * w) as usize);
            for &(i, back, dc) in &self.lay.causal {
                val |= u64::from(img.ring[base[back] + (c + dc) as usize]) << i;
            }
            return (val, self.lay.interior);
        }
        let mut present = 0u64;
        for (i, &(dr, dc, _)) in self.lay.offsets.iter().enumerate() {
            let (mut rr, mut cc) = (r + dr, c + dc);
            if self.wrap {
                if cc < 0 {
                    cc += w;
                } else if cc >= w {
                    cc -= w;
                }
                if !(0..w).contains(&cc) {
                    cc = cc.rem_euclid(w);
                }
                if let Some(h) = h {
                    if rr >= h {
                        rr -= h;
                    } else if rr < 0 {
                        rr += h;
                    }
                    if !(0..h).contains(&rr) {
                        rr = rr.rem_euclid(h);
                    }
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
        // Which value is the majority of the image so far, relative to the orientation
        // (2: neither): inside a minority domain the neighbours mislead.
        let (ones, seen) = (self.img.ones, self.img.seen);
        let lead = (2 * ones).abs_diff(seen);
        let majority = if lead * MAJORITY_MARGIN <= seen {
            2
        } else {
            u64::from((2 * ones > seen) != self.flip)
        };
        // Each template's estimate is smoothed toward the next smaller one's:
        // p_j = (n1 + α p_{j−1}) / (n + α), a Dirichlet prior centred on the parent, so a
        // rarely seen large context starts from what the smaller one knows.
        // All indices first, so the (cache-missing) loads can overlap.
        for j in 0..self.templates {
            let m = if self.lay.prefix[j] >= 64 {
                u64::MAX
            } else {
                (1u64 << self.lay.prefix[j]) - 1
            };
            let key = (val & m)
                ^ (present & m).wrapping_mul(0x9e37_79b9_7f4a_7c15)
                ^ (j as u64) << 58
                ^ if j >= MAJORITY_FROM {
                    majority << 56
                } else {
                    0
                };
            self.idx[j] = self.tables[j].index(key);
        }
        let mut seen = [(0u32, 0u32); CUTS.len()];
        for (j, s) in seen.iter_mut().enumerate().take(self.templates) {
            *s = self.tables[j].counts(self.idx[j]);
        }
        let mut parent = 32768u32;
        for j in 0..self.templates {
            let (n0, n1) = seen[j];
            // n1 ≤ COUNT_LIMIT keeps the numerator below 2^32.
            let p = ((n1 << 16) + ALPHA * parent) / (n0 + n1 + ALPHA);
            let p = p.clamp(1, 65535);
            parent = p;
            counts[j] = n0 + n1;
            self.ps[j] = p;
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
        let interior = present == self.lay.interior;
        let class = usize::from(!interior)
            + 2 * usize::from(self.img.r == 0)
            + 4 * usize::from(present & !self.lay.interior != 0);
        // W, N, NW, NE (list positions 0, 1, 4, 5).
        let near = (val & 3 | (val >> 2) & 12) as usize;
        let sel0 = bucket(counts[t - 1]) * 8 + bucket(counts[t - 2]);
        let sel1 = (class * 16 + near) * 3 + majority as usize;
        self.mixer.mix(lg, &[sel0, sel1]);
        // The two mixers' average, in the logistic domain.
        let p = lg.squash((self.mixer.dot[0] + self.mixer.dot[1]) / 2);
        self.p_mix = p;
        let p = p.clamp(1, 65535);
        if self.flip { 65536 - p } else { p }
    }

    fn update_pixel(&mut self, bit: bool) {
        let b = bit ^ self.flip;
        for j in 0..self.templates {
            self.tables[j].update(self.idx[j], b);
        }
        self.mixer.update(b);
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
                // The header's own last byte, not the raster's.
                let last = if at > 0 {
                    u64::from(self.hist & 0xff)
                } else {
                    0x100
                };
                1 << 60 | (at.min(63) as u64) << 40 | prev << 28 | last << 9 | u64::from(self.c0)
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
        self.generic.p(i)
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
