//! The x86 filter: exact round trips on any bytes (code, not code, adversarial), the
//! conversion it promises on calls, and blocks that it never makes larger.

use kraft::Options;
use kraft::filter::x86;
use proptest::prelude::*;

/// Bytes rich in what the filter looks at: opcodes E8/E9, top bytes 00/FF.
fn x86ish() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![
            3 => Just(0xE8u8),
            2 => Just(0xE9u8),
            3 => Just(0x00u8),
            3 => Just(0xFFu8),
            4 => any::<u8>(),
        ],
        0..600,
    )
}

fn round_trip(data: &[u8]) {
    let mut b = data.to_vec();
    let n = x86::encode(&mut b);
    assert_eq!(
        x86::decode(&mut b),
        n,
        "both directions convert the same operands"
    );
    assert_eq!(b, data);
}

proptest! {
    #[test]
    fn any_bytes_round_trip(data in x86ish()) {
        round_trip(&data);
    }

    #[test]
    fn random_bytes_round_trip(data in prop::collection::vec(any::<u8>(), 0..2000)) {
        round_trip(&data);
    }
}

#[test]
fn adversarial_blocks_round_trip() {
    // Opcodes in the last four bytes (no whole operand), runs of opcodes, operands at the
    // edges of the ±16 MiB range in either direction of the wrap.
    let mut cases: Vec<Vec<u8>> = vec![
        vec![],
        vec![0xE8],
        vec![0xE8, 0, 0, 0],
        vec![0xE8, 0xFF, 0xFF, 0xFF, 0xFF],
        vec![0xE9; 64],
        [vec![0x90; 7], vec![0xE8, 0xFF, 0xFF]].concat(),
    ];
    for v in [
        0u32,
        1,
        0x00FF_FFFF,
        0xFF00_0000,
        0xFFFF_FFFF,
        0x0080_0000,
        0xFF80_0000,
    ] {
        for pad in 0..6 {
            let mut b = vec![0x90u8; pad];
            b.push(0xE8);
            b.extend_from_slice(&v.to_le_bytes());
            b.extend_from_slice(&[0xE8, 0x00]);
            cases.push(b);
        }
    }
    for case in &cases {
        round_trip(case);
    }
    // Offsets beyond 2^25 (blocks up to 1 GiB): calls every 997 bytes in 40 MiB.
    let mut big = vec![0x90u8; 40 << 20];
    let mut at = 3;
    while at + 5 <= big.len() {
        big[at] = 0xE8;
        big[at + 1..at + 5].copy_from_slice(
            &((at as u32).wrapping_mul(2_654_435_761) & 0x01FF_FFFF
                | if at % 2 == 0 { 0xFF00_0000 } else { 0 })
            .to_le_bytes(),
        );
        at += 997;
    }
    round_trip(&big);
}

/// x86-like code: calls and jumps to a few hundred functions from everywhere, between
/// runs of other instruction bytes.
fn code(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let functions: Vec<usize> = (0..300).map(|_| (next() as usize) % n).collect();
    let filler: &[&[u8]] = &[
        &[0x55],
        &[0x48, 0x89, 0xe5],
        &[0x8b, 0x45, 0xfc],
        &[0x83, 0xc4, 0x10],
        &[0x5d, 0xc3],
        &[0x48, 0x8b, 0x07],
    ];
    let mut out = Vec::with_capacity(n + 16);
    while out.len() < n {
        let r = next();
        if r % 5 == 0 {
            let target = functions[(r >> 8) as usize % functions.len()];
            let rel = target as i64 - (out.len() as i64 + 5);
            out.push(if r % 3 == 0 { 0xE9 } else { 0xE8 });
            out.extend_from_slice(&(rel as i32).to_le_bytes());
        } else {
            out.extend_from_slice(filler[(r >> 16) as usize % filler.len()]);
        }
    }
    out.truncate(n);
    out
}

#[test]
fn calls_compress_smaller_filtered_and_round_trip() {
    let data = code(200_000, 7);
    assert!(x86::likely(&data));
    for level in [1u8, 6] {
        let opts = Options::new().level(level);
        let with = kraft::compress(&data, &opts).unwrap();
        let without = kraft::compress(&data, &opts.clone().filters(false)).unwrap();
        assert_eq!(kraft::decompress(&with).unwrap(), data);
        assert_eq!(kraft::inspect(&with[..]).unwrap()[0].filtered_blocks, 1);
        assert_eq!(kraft::inspect(&without[..]).unwrap()[0].filtered_blocks, 0);
        // Calls to a few hundred functions from everywhere: absolute targets repeat.
        assert!(
            with.len() * 100 <= without.len() * 97,
            "level {level}: {} filtered, {} not",
            with.len(),
            without.len()
        );
    }
}

#[test]
fn the_filter_never_makes_a_block_larger() {
    // Code, and data that is not code but has as many opcode-like bytes: the stream is
    // never larger than without the filter, nor than the filtered bytes coded as such.
    let mut fake = Vec::new();
    let mut x = 99u64;
    while fake.len() < 100_000 {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        fake.push(if x >> 60 < 3 { 0xE8 } else { (x >> 32) as u8 });
        if x >> 62 == 0 {
            fake.extend_from_slice(&[(x >> 20) as u8, (x >> 28) as u8, 0x13, 0xFF]);
        }
    }
    assert!(x86::likely(&fake), "the decoy must look like code");
    let mut kept_plain = 0;
    for (name, data) in [("code", code(100_000, 3)), ("decoy", fake)] {
        for level in [1u8, 6] {
            let opts = Options::new().level(level);
            let with = kraft::compress(&data, &opts).unwrap();
            let without = kraft::compress(&data, &opts.clone().filters(false)).unwrap();
            let mut f = data.clone();
            x86::encode(&mut f);
            let forced = kraft::compress(&f, &opts.clone().filters(false)).unwrap();
            assert_eq!(kraft::decompress(&with).unwrap(), data, "{name}");
            assert!(with.len() <= without.len(), "{name} -l{level}");
            // One varint byte of slack: the two codings' lengths may differ in size.
            assert!(with.len() <= forced.len() + 1, "{name} -l{level}");
            kept_plain += usize::from(kraft::inspect(&with[..]).unwrap()[0].filtered_blocks == 0);
        }
    }
    assert!(
        kept_plain >= 1,
        "the decoy must be kept unfiltered at some level"
    );
}
