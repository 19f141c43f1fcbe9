//! The PBM image format (netpbm `P1` and `P4`), as far as kraft reads it: an incremental
//! header parser, and a scan of the images at the start of a buffer. The `grid` model
//! parses its blocks with it, and the report counts pixels with it.

/// Whether `data` starts like a PBM image (`P1` or `P4` and a separator): the inputs for
/// which the command line picks `grid` when no model is given.
pub fn looks_like_pbm(data: &[u8]) -> bool {
    matches!(data, [b'P', b'1' | b'4', c, ..] if is_space(*c) || *c == b'#')
}

/// Widest image (PBM header or `--width`) handled as pixels: 2^20.
pub const MAX_WIDTH: usize = 1 << 20;

/// Largest PBM header (bytes) before it is given up as not a header.
const MAX_HEADER: usize = 64;

/// What a PBM header parse found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Parse {
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
pub(crate) struct HeaderParser {
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
    pub(crate) fn push(&mut self, b: u8) -> Parse {
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
            3..=6 if b.is_ascii_digit() => {
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

/// One image of a PBM stream, as found by [`scan_pbm`].
pub(crate) struct PbmImage<'a> {
    pub(crate) width: usize,
    pub(crate) height: u64,
    /// Pixels that are 1 (black; spin −1).
    pub(crate) ones: u64,
    /// The packed rows of a `P4` image.
    pub(crate) raster: Option<&'a [u8]>,
}

/// The complete images at the start of `data`, read as a PBM stream (`P4` and `P1`
/// images back to back, the way the model parses them); stops at the first thing that
/// is not a complete image.
pub(crate) fn scan_pbm(data: &[u8]) -> Vec<PbmImage<'_>> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < data.len() {
        let mut p = HeaderParser::default();
        let mut done = None;
        for (i, &b) in data[pos..].iter().enumerate() {
            match p.push(b) {
                Parse::More => {}
                Parse::Invalid => break,
                Parse::Done { plain, w, h } => {
                    done = Some((plain, w, h, pos + i + 1));
                    break;
                }
            }
        }
        let Some((plain, w, h, start)) = done else {
            break;
        };
        let pixels = (w as u64).saturating_mul(h);
        if plain {
            let (mut seen, mut ones, mut end) = (0u64, 0u64, start);
            for &b in &data[start..] {
                if seen == pixels {
                    break;
                }
                end += 1;
                if b == b'0' || b == b'1' {
                    seen += 1;
                    ones += u64::from(b == b'1');
                }
            }
            if seen < pixels {
                break;
            }
            out.push(PbmImage {
                width: w,
                height: h,
                ones,
                raster: None,
            });
            pos = end;
        } else {
            let rb = w.div_ceil(8);
            let size = (h as usize).saturating_mul(rb);
            if size > data.len() - start {
                break;
            }
            let raster = &data[start..start + size];
            let mut ones = 0u64;
            if rb > 0 {
                for row in raster.chunks(rb) {
                    for (k, &b) in row.iter().enumerate() {
                        let valid = (w - 8 * k).min(8);
                        ones += u64::from((b >> (8 - valid)).count_ones());
                    }
                }
            }
            out.push(PbmImage {
                width: w,
                height: h,
                ones,
                raster: Some(raster),
            });
            pos = start + size;
        }
    }
    out
}
