//! Unsigned LEB128 integers: 7 bits a byte, least significant first, high bit = more.
//!
//! At most 10 bytes; overlong or overflowing encodings are rejected so that every value
//! has exactly one encoding.

use std::io::Read;

use crate::error::{Error, Result};

/// Append `v`.
pub fn write(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Read one value from the front of `input`, advancing it.
pub fn read(input: &mut &[u8]) -> Result<u64> {
    let mut it = input.iter();
    let v = decode(|| it.next().copied().ok_or(Error::Truncated("varint")))?;
    *input = it.as_slice();
    Ok(v)
}

/// Read one value from a reader.
pub fn read_from<R: Read + ?Sized>(r: &mut R) -> Result<u64> {
    decode(|| {
        let mut b = [0u8; 1];
        super::read_exact(r, &mut b, "varint")?;
        Ok(b[0])
    })
}

fn decode(mut next: impl FnMut() -> Result<u8>) -> Result<u64> {
    let mut v: u64 = 0;
    for i in 0..10 {
        let b = next()?;
        let bits = u64::from(b & 0x7f);
        if i == 9 && b > 1 {
            return Err(Error::corrupt("varint overflows 64 bits"));
        }
        v |= bits << (7 * i);
        if b & 0x80 == 0 {
            if i > 0 && b == 0 {
                return Err(Error::corrupt("overlong varint"));
            }
            return Ok(v);
        }
    }
    Err(Error::corrupt("varint longer than 10 bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_edges() {
        for v in [
            0,
            1,
            127,
            128,
            300,
            16383,
            16384,
            u32::MAX as u64,
            u64::MAX - 1,
            u64::MAX,
        ] {
            let mut buf = Vec::new();
            write(&mut buf, v);
            let mut s = &buf[..];
            assert_eq!(read(&mut s).unwrap(), v);
            assert!(s.is_empty());
            assert_eq!(read_from(&mut &buf[..]).unwrap(), v);
        }
    }

    #[test]
    fn rejects_bad_encodings() {
        assert!(read(&mut &[0x80u8, 0x00][..]).is_err()); // overlong zero
        assert!(read(&mut &[0xffu8; 10][..]).is_err()); // overflow
        assert!(read(&mut &[0x80u8][..]).is_err()); // truncated
        let mut max = vec![0xffu8; 9];
        max.push(0x01);
        assert_eq!(read(&mut &max[..]).unwrap(), u64::MAX);
    }
}
