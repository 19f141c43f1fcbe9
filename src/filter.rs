//! Filters: reversible transforms of a block's bytes before a model sees them, each
//! with its own block kind in the stream (`docs/FORMAT.md`), chosen per block by coding
//! the block both ways and keeping the smaller.
//!
//! [`x86`]: relative call and jump targets of x86 and x86-64 code made absolute, so that
//! the many calls of one function read as the same four bytes.

/// The x86 call/jump filter (block kind 3).
///
/// In x86 code `E8 rel32` is a call and `E9 rel32` a jump, `rel32` (little-endian) being
/// the target minus the address of the next instruction. The filter scans the block from
/// its start; at an `E8` or `E9` byte at offset `i` with four bytes after it, it takes
/// them as an operand and goes on at `i + 5` (at any other byte, at `i + 1`). An operand
/// whose last byte is `00` or `FF` (a displacement within ±16 MiB) has its low 25 bits
/// `d` replaced by `(d + i + 5) mod 2^25`, and its top byte by `00` or `FF` as bit 24 of
/// the result says; the inverse subtracts instead. Where the scan stops depends only on
/// the bytes it stops at, which no direction changes (only the operands it skips), and
/// the map is a bijection of the 25-bit values that keeps the form of the top byte, so
/// `decode(encode(x)) == x` for every block, code or not.
pub mod x86 {
    /// Bits of a displacement the filter rewrites; the top byte repeats bit 24.
    const BITS: u32 = 25;
    const MASK: u32 = (1 << BITS) - 1;

    /// Rewrite the operand at `buf[i + 1..i + 5]` with `f(low 25 bits)` if its top byte
    /// is `00` or `FF`.
    #[inline]
    fn convert(buf: &mut [u8], i: usize, f: impl Fn(u32, u32) -> u32) -> bool {
        if !matches!(buf[i + 4], 0x00 | 0xFF) {
            return false;
        }
        let operand = u32::from_le_bytes([buf[i + 1], buf[i + 2], buf[i + 3], buf[i + 4]]);
        // The offset of the next instruction, modulo 2^25 (blocks may be larger).
        let next = ((i + 5) as u64 & u64::from(MASK)) as u32;
        let v = f(operand & MASK, next) & MASK;
        // Sign-extend from 25 bits: the top byte becomes 00 or FF again.
        let out = ((v << (32 - BITS)) as i32 >> (32 - BITS)) as u32;
        buf[i + 1..i + 5].copy_from_slice(&out.to_le_bytes());
        true
    }

    fn scan(buf: &mut [u8], f: impl Fn(u32, u32) -> u32 + Copy) -> usize {
        let mut converted = 0;
        let mut i = 0;
        while i + 5 <= buf.len() {
            if matches!(buf[i], 0xE8 | 0xE9) {
                converted += usize::from(convert(buf, i, f));
                i += 5;
            } else {
                i += 1;
            }
        }
        converted
    }

    /// Make the relative targets of `buf` absolute (in place); returns how many.
    pub fn encode(buf: &mut [u8]) -> usize {
        scan(buf, |d, next| d.wrapping_add(next))
    }

    /// Undo [`encode`] (in place).
    pub fn decode(buf: &mut [u8]) -> usize {
        scan(buf, |a, next| a.wrapping_sub(next))
    }

    /// Whether `block` looks enough like x86 code to be worth coding both ways: at least
    /// one candidate instruction per 256 bytes, and 16 in all. (Random bytes give one per
    /// 16 KiB; code, one per 30 to 100 bytes.) The choice itself is measured.
    pub fn likely(block: &[u8]) -> bool {
        let mut candidates = 0usize;
        let mut i = 0;
        while i + 5 <= block.len() {
            if matches!(block[i], 0xE8 | 0xE9) {
                candidates += usize::from(matches!(block[i + 4], 0x00 | 0xFF));
                i += 5;
            } else {
                i += 1;
            }
        }
        candidates >= 16 && candidates * 256 >= block.len()
    }
}

#[cfg(test)]
mod tests {
    use super::x86;

    #[test]
    fn calls_to_one_target_become_the_same_bytes() {
        // Three calls to offset 0x1000 from different places.
        let mut code = vec![0x90u8; 64];
        for at in [0usize, 20, 40] {
            let rel = (0x1000i64 - (at as i64 + 5)) as i32;
            code[at] = 0xE8;
            code[at + 1..at + 5].copy_from_slice(&rel.to_le_bytes());
        }
        let original = code.clone();
        assert_eq!(x86::encode(&mut code), 3);
        for at in [0usize, 20, 40] {
            assert_eq!(code[at + 1..at + 5], 0x1000u32.to_le_bytes());
        }
        assert_eq!(x86::decode(&mut code), 3);
        assert_eq!(code, original);
    }
}
