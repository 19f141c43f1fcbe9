//! Helpers shared by the test files: deterministic data. Not every test file uses every
//! helper.
#![allow(dead_code)]

/// `n` deterministic pseudo-random bytes (xorshift64 from `seed`): incompressible.
pub fn noise(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// Compress `data` with `options`, decompress and compare: the compressed size.
pub fn roundtrip(data: &[u8], options: &kraft::Options) -> usize {
    let packed = kraft::compress(data, options).unwrap();
    assert_eq!(kraft::decompress(&packed).unwrap(), data);
    packed.len()
}

/// The cm flag bytes of every modeled block of `data` written as a stream with
/// `options`: the first (bit 7, which announces the second, cleared) and the second, or
/// 0 where there is one.
pub fn cm_flags(data: &[u8], options: &kraft::Options) -> Vec<(u8, u8)> {
    let packed = kraft::compress(data, &options.clone().compact(false)).unwrap();
    let (_, blocks) = kraft::list_blocks(&packed[..]).unwrap();
    blocks
        .iter()
        .filter(|b| b.kind == kraft::format::BLOCK_MODELED)
        .map(|b| {
            let mut r = &packed[b.compressed_offset as usize..];
            kraft::format::BlockHeader::read_from(&mut r, u64::MAX)
                .unwrap()
                .unwrap();
            // The parameter length, then one flag byte or two.
            assert_eq!(
                usize::from(r[0]),
                1 + usize::from(r[1] >> 7),
                "cm parameters"
            );
            (r[1] & 127, if r[0] == 2 { r[2] } else { 0 })
        })
        .collect()
}
