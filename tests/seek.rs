//! Indexed streams: any range read through the index equals the slice of the original,
//! across block boundaries; damaged indexes are clear errors; streams without one say so
//! and still decode from the start.

use std::io::Cursor;

use kraft::{Error, Options, Prior, Seekable};

fn data(n: usize) -> Vec<u8> {
    let mut x = 0x2545_f491_4f6c_dd1du64;
    (0..n)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if i % 3 == 0 {
                (x >> 56) as u8
            } else {
                b"indexed "[i % 8]
            }
        })
        .collect()
}

#[test]
fn random_ranges_equal_the_slices_of_the_original() {
    let original = data(300_000);
    for opts in [
        Options::new().model("iid").block_size(10_000).index(true),
        Options::new().level(1).block_size(40_000).index(true),
    ] {
        let packed = kraft::compress(&original, &opts).unwrap();
        // An indexed stream is still a stream.
        assert_eq!(kraft::decompress(&packed).unwrap(), original);
        let info = kraft::inspect(&packed[..]).unwrap();
        assert!(info[0].indexed && info[0].compressed_bytes == packed.len() as u64);
        let mut s = Seekable::new(Cursor::new(&packed)).unwrap();
        assert_eq!(s.len(), original.len() as u64);
        let mut x = 7u64;
        for _ in 0..60 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let start = (x >> 33) % (original.len() as u64 + 10);
            let len = (x >> 13) % 50_000;
            let got = s.read_range(start, len).unwrap();
            let a = (start as usize).min(original.len());
            let b = (start + len).min(original.len() as u64) as usize;
            assert_eq!(got, &original[a..b], "{start}+{len}");
        }
        // Exactly at block boundaries, and the whole.
        for (start, len) in [
            (0, 1),
            (9_999, 2),
            (10_000, 10_000),
            (39_999, 40_002),
            (0, 300_000),
        ] {
            let got = s.read_range(start, len).unwrap();
            assert_eq!(got, &original[start as usize..(start + len) as usize]);
        }
        assert!(s.read_range(300_000, 10).unwrap().is_empty());
    }
}

#[test]
fn streams_without_an_index_say_so() {
    let original = data(50_000);
    for opts in [
        Options::new().level(1).block_size(10_000),
        Options::new().level(1),
    ] {
        let packed = kraft::compress(&original, &opts).unwrap();
        assert!(matches!(
            Seekable::new(Cursor::new(&packed)),
            Err(Error::NoIndex)
        ));
    }
    // Two indexed streams laid end to end are not one indexed stream.
    let one = kraft::compress(
        &original,
        &Options::new().level(1).block_size(9_000).index(true),
    )
    .unwrap();
    let two = [one.clone(), one.clone()].concat();
    assert!(matches!(
        Seekable::new(Cursor::new(&two)),
        Err(Error::NoIndex)
    ));
    assert_eq!(
        kraft::decompress(&two).unwrap(),
        [&original[..], &original].concat()
    );
    assert!(matches!(
        Seekable::new(Cursor::new(b"")),
        Err(Error::NoIndex)
    ));
}

#[test]
fn damaged_indexes_are_clear_errors() {
    let original = data(60_000);
    let packed = kraft::compress(
        &original,
        &Options::new().model("iid").block_size(7_000).index(true),
    )
    .unwrap();
    let index_len = u32::from_le_bytes(
        packed[packed.len() - 8..packed.len() - 4]
            .try_into()
            .unwrap(),
    ) as usize;
    for i in packed.len() - index_len..packed.len() {
        for flip in [0x01u8, 0x80] {
            let mut bad = packed.clone();
            bad[i] ^= flip;
            match Seekable::new(Cursor::new(&bad)) {
                Err(Error::Corrupt { .. } | Error::NoIndex | Error::Truncated(_)) => {}
                Err(e) => panic!("byte {i}: unexpected {e}"),
                Ok(mut s) => {
                    // Only a change the checks cannot see may open; reads stay exact.
                    let got = s.read_range(0, 60_000);
                    assert!(got.is_err() || got.unwrap() == original, "byte {i}");
                }
            }
            // The sequential decoder checks the index against the stream too.
            if let Ok(out) = kraft::decompress(&bad) {
                assert_eq!(out, original, "byte {i}");
            }
        }
    }
    // An index that lies about where blocks are (its checksum recomputed): the first
    // two blocks' lengths swapped. Reading where the second block then starts fails.
    let mut idx = kraft::format::Index::from_bytes(&packed[packed.len() - index_len..]).unwrap();
    assert_ne!(
        idx.blocks[0].1, idx.blocks[1].1,
        "the blocks code to different sizes"
    );
    let (a, b) = (idx.blocks[0].1, idx.blocks[1].1);
    idx.blocks[0].1 = b;
    idx.blocks[1].1 = a;
    let forged = [&packed[..packed.len() - index_len], &idx.to_bytes()[..]].concat();
    let mut s = Seekable::new(Cursor::new(&forged)).unwrap();
    assert!(s.read_range(7_000, 10).is_err());
    assert!(
        kraft::decompress(&forged).is_ok(),
        "the blocks themselves are intact"
    );
}

#[test]
fn an_indexed_stream_coded_with_a_prior_seeks_with_it() {
    let samples: Vec<Vec<u8>> = (0..40).map(|i| data(2_000 + i)).collect();
    let prior = Prior::train(&samples, &Options::new().level(2)).unwrap();
    let original = data(100_000);
    let opts = Options::new()
        .level(2)
        .prior(&prior)
        .block_size(20_000)
        .index(true);
    let packed = kraft::compress(&original, &opts).unwrap();
    assert!(matches!(
        Seekable::new(Cursor::new(&packed)),
        Err(Error::PriorMissing { .. })
    ));
    let mut s = Seekable::with_prior(Cursor::new(&packed), &prior).unwrap();
    assert_eq!(
        s.read_range(45_000, 30_000).unwrap(),
        &original[45_000..75_000]
    );
}

#[test]
fn listed_blocks_are_where_the_index_says_and_tile_the_output() {
    let original = data(120_000);
    let indexed = kraft::compress(
        &original,
        &Options::new().model("iid").block_size(9_000).index(true),
    )
    .unwrap();
    let small = kraft::compress(&original[..500], &Options::new().level(1)).unwrap();
    let file = [small.clone(), indexed.clone()].concat();
    let (streams, blocks) = kraft::list_blocks(&file[..]).unwrap();
    assert_eq!(streams.len(), 2);
    assert_eq!(blocks.len(), 1 + 14);
    assert_eq!(blocks[0].compressed_offset, 0);
    assert_eq!(blocks[0].compressed_bytes, small.len() as u64);
    // Original offsets tile the output; each frame parses where it is said to be.
    let mut next = 0;
    for b in &blocks {
        assert_eq!(b.original_offset, next);
        next += b.original_bytes;
        if b.stream == 1 {
            let mut r = &file[b.compressed_offset as usize..];
            let frame = kraft::format::BlockHeader::read_from(&mut r, 9_000)
                .unwrap()
                .unwrap();
            assert_eq!(frame.raw_len, b.original_bytes);
            assert_eq!(
                frame.encoded_len() as u64 + frame.data_len,
                b.compressed_bytes
            );
            assert_eq!(frame.crc, b.crc);
        }
    }
    assert_eq!(next, 500 + original.len() as u64);
    // The same places the index records.
    let n = indexed.len();
    let len = u32::from_le_bytes(indexed[n - 8..n - 4].try_into().unwrap()) as usize;
    let index = kraft::format::Index::from_bytes(&indexed[n - len..]).unwrap();
    let mut at = small.len() as u64 + index.header_len;
    for (b, &(raw, packed)) in blocks[1..].iter().zip(&index.blocks) {
        assert_eq!(
            (b.compressed_offset, b.original_bytes, b.compressed_bytes),
            (at, raw, packed)
        );
        at += packed;
    }
}

#[test]
fn an_index_with_huge_lengths_is_refused_without_overflow() {
    let original = data(30_000);
    let plain =
        kraft::compress(&original, &Options::new().model("iid").block_size(10_000)).unwrap();
    for blocks in [
        vec![(1, u64::MAX), (1, u64::MAX)],
        vec![(u64::MAX, 5), (u64::MAX, 5), (u64::MAX, 5)],
    ] {
        let index = kraft::format::Index {
            header_len: 17,
            blocks,
        };
        let forged = [&plain[..], &index.to_bytes()[..]].concat();
        assert!(matches!(
            Seekable::new(Cursor::new(&forged)),
            Err(Error::NoIndex)
        ));
        assert!(matches!(
            kraft::decompress(&forged),
            Err(Error::Corrupt { .. })
        ));
        assert!(kraft::inspect(&forged[..]).is_err());
    }
}
