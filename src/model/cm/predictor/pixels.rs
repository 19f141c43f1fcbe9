//! Pixel contexts (block flag byte 2, bit 1): each bit as a pixel of a bilevel image
//! whose rows are the detected record length, most significant bit leftmost (fax pages,
//! raw bitmaps). Its neighbours are the pixels coded before it in its row and the
//! pixels around it in the two rows above: two causal templates, each indexing an
//! adaptive probability directly, as the `grid` model's do. Byte contexts see the same
//! rows only as whole bytes hashed with the partial byte, which is too specific to learn
//! a pixel's neighbourhood.
//!
//! Contract, per byte: [`Pixels::rows`] the rows above the next byte; per bit,
//! [`Pixels::inputs`] (two mixer inputs), then [`Pixels::update`].

use crate::model::cm::adaptive::{Mixer, StateMap};
use crate::model::logistic::Logistic;

/// Entries of the small template (4 pixels to the left, 5 above, 3 two above) and of
/// the large one (6, 7 and 3).
const SMALL: usize = 1 << 12;
const LARGE: usize = 1 << 16;

/// The memory of the part.
pub(crate) const MEMORY: usize = (SMALL + LARGE) * 4;

/// The two templates' probabilities and where the next byte's pixels are.
#[derive(Clone)]
#[cfg_attr(test, derive(PartialEq, Debug))]
pub(super) struct Pixels {
    /// The bytes before, at and after the next byte's place one row above (bits 23..0,
    /// leftmost pixel first) and two rows above.
    above: u32,
    above2: u32,
    small: StateMap,
    large: StateMap,
    /// The entries the last inputs came from.
    at: (usize, usize),
}

impl Pixels {
    pub(super) fn new() -> Pixels {
        Pixels {
            above: 0,
            above2: 0,
            small: StateMap::new(SMALL, 1023, |_| 32768),
            large: StateMap::new(LARGE, 1023, |_| 32768),
            at: (0, 0),
        }
    }

    /// The rows above the next byte of `hist` for rows of `row` bytes (0: none known,
    /// and the rows above are blank).
    pub(super) fn rows(&mut self, hist: &[u8], row: usize) {
        let pos = hist.len();
        let byte = |back: usize, d: isize| -> u32 {
            let i = pos as isize - back as isize + d;
            if row > 0 && back <= pos && i >= 0 && (i as usize) < pos {
                u32::from(hist[i as usize])
            } else {
                0
            }
        };
        let three = |back: usize| byte(back, -1) << 16 | byte(back, 0) << 8 | byte(back, 1);
        self.above = three(row);
        self.above2 = three(2 * row);
    }

    /// The inputs for the bit at `bitpos` (0: leftmost) after the partial byte `c0`
    /// (with its leading one bit), the last byte being `c1`.
    #[inline]
    pub(super) fn inputs(
        &mut self,
        lg: &Logistic,
        c0: u32,
        c1: u32,
        bitpos: u32,
        mixer: &mut Mixer,
    ) {
        let k = bitpos;
        // The pixels to the left, the nearest in bit 0.
        let left = (c1 << k) | (c0 & ((1 << k) - 1));
        // The pixel above this one is bit 15 − k of `above`.
        let (a, b) = (self.above, self.above2);
        let up2 = (b >> (14 - k)) & 7;
        let small = (left & 0xf) | ((a >> (13 - k)) & 0x1f) << 4 | up2 << 9;
        let large = (left & 0x3f) | ((a >> (12 - k)) & 0x7f) << 6 | up2 << 13;
        self.at = (small as usize, large as usize);
        mixer.add(lg.stretch12(self.small.p(self.at.0)));
        mixer.add(lg.stretch12(self.large.p(self.at.1)));
    }

    /// The entries the last inputs came from learn `bit`.
    #[inline]
    pub(super) fn update(&mut self, bit: bool) {
        self.small.update(self.at.0, bit);
        self.large.update(self.at.1, bit);
    }

    /// The entries the next [`Pixels::update`] writes, as one index space (the small
    /// template's, then the large one's).
    pub(super) fn entries(&self) -> [u32; 2] {
        [self.at.0 as u32, (SMALL + self.at.1) as u32]
    }

    /// Become `from` again where only the `written` entries ([`Pixels::entries`]) were
    /// learned since.
    pub(super) fn restore(&mut self, from: &Pixels, written: &[u32]) {
        for &i in written {
            let i = i as usize;
            if i < SMALL {
                self.small.restore_entry(&from.small, i);
            } else {
                self.large.restore_entry(&from.large, i - SMALL);
            }
        }
        self.above = from.above;
        self.above2 = from.above2;
        self.at = from.at;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rows above are the bytes one and two rows back around the next byte's place
    /// (blank before the first row and when no row length is known), and the templates
    /// read the pixels next to the current one.
    #[test]
    fn rows_and_templates_read_the_neighbours() {
        let hist: Vec<u8> = (1..=20).collect();
        let mut p = Pixels::new();
        p.rows(&hist, 8);
        // The next byte is at 20: one row up 12 (value 13), two rows up 4 (value 5).
        assert_eq!(p.above, 12 << 16 | 13 << 8 | 14);
        assert_eq!(p.above2, 4 << 16 | 5 << 8 | 6);
        p.rows(&hist, 0);
        assert_eq!((p.above, p.above2), (0, 0));
        p.rows(&hist, 15);
        assert_eq!(p.above2, 0, "two rows up is before the start");
        // A blank page but for a pixel right above the first bit.
        p.above = 0x80 << 8;
        p.above2 = 0;
        let lg = Logistic::new();
        let mut m = Mixer::new(2, &[1], 6, 8192);
        p.inputs(&lg, 1, 0, 0, &mut m);
        // Above the current pixel: bit 2 of the 5 above (bits 4..8 of the small index).
        assert_eq!(p.at.0, 0b00100 << 4);
        assert_eq!(p.at.1, 0b0001000 << 6);
        // At the fourth pixel of a byte, after pixels 1, 0, 1 and a last byte ending in
        // 1, 1, 0: the left pixels nearest first; above, the pixel over this one (bit 12)
        // and the one right of it (bit 11); two rows above, the one left of it (bit 13).
        p.above = 1 << 12 | 1 << 11;
        p.above2 = 1 << 13;
        let mut m = Mixer::new(2, &[1], 6, 8192);
        p.inputs(&lg, 0b1101, 0b0000_0110, 3, &mut m);
        let left = 0b0110 << 3 | 0b101;
        assert_eq!(p.at.0, (left & 0xf) | 0b00110 << 4 | 0b100 << 9);
        assert_eq!(p.at.1, (left & 0x3f) | 0b0001100 << 6 | 0b100 << 13);
    }
}
