//! Bounded resources: what a stream declares can never make the decoder take more memory
//! or time than its data backs up, or more memory than `Decoder::memory_limit` allows.
//!
//! Forged streams are rebuilt with valid checksums (header CRC, frame fields), so they get
//! past every integrity check that comes before decoding.

use std::io::Read;
use std::time::Duration;

mod forge;

use forge::*;
use kraft::format::Header;
use kraft::{Decoder, Error, Options};

#[test]
fn a_forged_huge_block_with_little_data_fails_fast() {
    // The adaptive models' range decoder stops when it asks for words the payload does not
    // have, so a forged 1 GiB block fails after a few hundred KiB of output at most.
    for level in [1u8, 6] {
        let forged = forged_block("cm", level, 1 << 30);
        assert!(forged.len() < 8192);
        let (err, produced, took) = decode(&forged, None);
        let err = err.unwrap_or_else(|| panic!("cm -l{level}: forged block accepted"));
        assert!(
            matches!(
                err,
                Error::Corrupt { block: Some(0), .. } | Error::Checksum { block: 0, .. }
            ),
            "cm -l{level}: {err}"
        );
        assert_eq!(produced, 0, "nothing of a bad block is returned");
        assert!(
            took < Duration::from_secs(3),
            "cm -l{level}: took {took:?} to reject a forged 1 GiB block"
        );
    }
}

#[test]
fn forged_blocks_of_the_ans_models_are_rejected() {
    // The ANS decoders (i.i.d., mixture) have no early stop: a stack that has run empty
    // legitimately yields a run of the first symbol at no cost. A forged block is decoded
    // to its declared length, within one block's memory, and then rejected by its checks.
    for model in ["iid", "mixture"] {
        let (err, produced, _) = decode(&forged_block(model, 6, 64 << 20), None);
        let err = err.expect("a forged block must not decode");
        assert!(
            matches!(
                err,
                Error::Corrupt { block: Some(0), .. } | Error::Checksum { block: 0, .. }
            ),
            "{model}: {err}"
        );
        assert_eq!(produced, 0);
    }
}

#[test]
fn the_range_decoder_stops_at_the_end_of_its_payload() {
    let data = text(1 << 16);
    let packed =
        kraft::compress(&data, &Options::new().compact(false).model("cm").level(1)).unwrap();
    let mut p = parse(&packed);
    let (frame, payload) = &mut p.blocks[0];
    // Keep the parameters (a varint length and its bytes) and two words of the payload.
    let params = payload[0] as usize + 1;
    payload.truncate(params + 8);
    frame.data_len = payload.len() as u64;
    let (err, _, took) = decode(&build(&p), None);
    let err = err.expect("a truncated payload must not decode");
    assert!(
        err.to_string()
            .contains("coded data ends before the block does"),
        "{err}"
    );
    assert!(took < Duration::from_secs(1), "{took:?}");
}

#[test]
fn payload_words_left_after_the_last_symbol_are_rejected() {
    let data = text(1 << 12);
    let packed =
        kraft::compress(&data, &Options::new().compact(false).model("cm").level(1)).unwrap();
    let mut p = parse(&packed);
    let (frame, payload) = &mut p.blocks[0];
    // One extra word may be read as the padding past the end; two cannot.
    payload.extend_from_slice(&[0; 8]);
    frame.data_len += 8;
    let (err, _, _) = decode(&build(&p), None);
    let err = err.expect("trailing words must be refused");
    assert!(
        err.to_string().contains("data left after the last symbol"),
        "{err}"
    );
}

#[test]
fn a_block_larger_than_the_declared_content_is_refused_before_decoding() {
    let data = text(1 << 12);
    let packed = kraft::compress(
        &data,
        &Options::new()
            .compact(false)
            .model("cm")
            .content_size(Some(4096)),
    )
    .unwrap();
    let mut p = parse(&packed);
    p.header.content_size = Some(100);
    let (err, produced, _) = decode(&build(&p), None);
    assert!(matches!(err, Some(Error::Content(_))), "{err:?}");
    assert_eq!(produced, 0);
}

#[test]
fn memory_limit_refuses_streams_that_could_need_more() {
    let data = text(1 << 16);
    for (model, level) in [
        ("cm", 1u8),
        ("cm", 6),
        ("cm", 9),
        ("iid", 6),
        ("mixture", 6),
    ] {
        let packed = kraft::compress(
            &data,
            &Options::new().compact(false).model(model).level(level),
        )
        .unwrap();
        let header = Header::read_from(&mut &packed[..]).unwrap().unwrap();
        let built = kraft::Registry::builtin()
            .build(header.model, &header.settings)
            .unwrap();
        let needed = kraft::decoder_memory(&header, built.as_ref());
        // At least the three buffers of one block; content size 64 KiB bounds the block.
        assert!(needed >= 3 * data.len() as u64, "{model}: {needed}");
        let (err, produced, _) = decode(&packed, Some(needed - 1));
        match err {
            Some(Error::MemoryLimit { needed: n, limit }) => {
                assert_eq!((n, limit), (needed, needed - 1));
            }
            other => panic!("{model} -l{level}: expected a memory-limit error, got {other:?}"),
        }
        assert_eq!(produced, 0);
        let (err, produced, _) = decode(&packed, Some(needed));
        assert!(err.is_none(), "{model}: {err:?}");
        assert_eq!(produced, data.len());
    }
}

#[test]
fn the_limit_applies_to_what_the_header_declares() {
    // A forged header that declares 1 GiB blocks is refused under a 256 MiB limit before
    // a single block is read, whatever follows it.
    let packed = kraft::compress(b"tiny", &Options::new().compact(false).model("iid")).unwrap();
    let mut p = parse(&packed);
    p.header.block_size = 1 << 30;
    p.header.content_size = None;
    let (err, _, _) = decode(&build(&p), Some(256 << 20));
    match err {
        Some(Error::MemoryLimit { needed, .. }) => assert!(needed >= 3 << 30),
        other => panic!("expected a memory-limit error, got {other:?}"),
    }
}

#[test]
fn a_decompression_bomb_streams_within_the_limit() {
    // 256 MiB of zeros in 1 MiB blocks: a stream of a few KiB that expands 10^4-fold. It is
    // decoded one block at a time under a 4 MiB limit, read through a small buffer.
    let total = 256usize << 20;
    let block = 1usize << 20;
    let mut enc = kraft::Encoder::new(
        Vec::new(),
        &Options::new().compact(false).model("iid").block_size(block),
    )
    .unwrap();
    let zeros = vec![0u8; block];
    for _ in 0..total / block {
        std::io::Write::write_all(&mut enc, &zeros).unwrap();
    }
    let packed = enc.finish().unwrap();
    assert!(packed.len() < 8192, "{} bytes", packed.len());
    let mut dec = Decoder::new(&packed[..]).memory_limit(Some(4 << 20));
    let mut buf = vec![0u8; 1 << 16];
    let mut seen = 0usize;
    loop {
        let n = dec.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        assert!(buf[..n].iter().all(|&b| b == 0));
        seen += n;
    }
    assert_eq!(seen, total);
}

#[test]
fn compress_memory_counts_threads_and_blocks() {
    let one = Options::new()
        .compact(false)
        .level(6)
        .compress_memory()
        .unwrap();
    let two = Options::new()
        .compact(false)
        .level(6)
        .threads(2)
        .compress_memory()
        .unwrap();
    assert_eq!(two, 2 * one);
    let small = Options::new()
        .compact(false)
        .level(6)
        .content_size(Some(1000))
        .compress_memory()
        .unwrap();
    assert!(small < one);
    // Five blocks of buffers: cm also codes a block that looks like x86 code filtered.
    assert!(one >= 5 * (16 << 20));
    // Fitting a mixture holds M responsibilities per segment; a line may be one byte.
    let lines = Options::new()
        .compact(false)
        .model("mixture")
        .compress_memory()
        .unwrap();
    let pieces = Options::new()
        .compact(false)
        .model(kraft::model::Mixture::new().segment(kraft::model::Segment::Fixed(64)))
        .compress_memory()
        .unwrap();
    assert!(lines >= 64 * (4 << 20), "{lines}");
    assert!(pieces < lines / 16, "{pieces}");
}

/// A header with the given fields and a valid checksum.
fn header_bytes(flags: u8, model: u8, level: u8, block_size: u64, settings_len: u64) -> Vec<u8> {
    let mut out = b"KRFT".to_vec();
    out.extend_from_slice(&[kraft::format::VERSION, flags, model, level]);
    kraft::format::varint::write(&mut out, block_size);
    kraft::format::varint::write(&mut out, settings_len);
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

#[test]
fn extreme_header_and_frame_values_are_refused_before_allocating() {
    let iid = 1u8;
    for (what, bytes) in [
        ("block size 0", header_bytes(0, iid, 6, 0, 0)),
        (
            "block size over 1 GiB",
            header_bytes(0, iid, 6, (1 << 30) + 1, 0),
        ),
        ("block size 2^64 - 1", header_bytes(0, iid, 6, u64::MAX, 0)),
        (
            "settings over 64 KiB",
            header_bytes(0, iid, 6, 1 << 20, (1 << 16) + 1),
        ),
        (
            "settings 2^64 - 1",
            header_bytes(0, iid, 6, 1 << 20, u64::MAX),
        ),
        ("level 0", header_bytes(0, iid, 0, 1 << 20, 0)),
        ("level 10", header_bytes(0, iid, 10, 1 << 20, 0)),
        ("unknown flags", header_bytes(0x80, iid, 6, 1 << 20, 0)),
        ("unknown model", header_bytes(0, 99, 6, 1 << 20, 0)),
    ] {
        let (err, produced, took) = decode(&bytes, None);
        assert!(err.is_some(), "{what}: accepted");
        assert_eq!(produced, 0);
        assert!(took < Duration::from_secs(1), "{what}: {took:?}");
    }
    // Frames: a valid header with 1 MiB blocks, then one bad frame each.
    let head = header_bytes(0, iid, 6, 1 << 20, 0);
    let frame = |kind: u8, raw: u64, data: u64| {
        let mut out = head.clone();
        out.push(kind);
        kraft::format::varint::write(&mut out, raw);
        kraft::format::varint::write(&mut out, data);
        out.extend_from_slice(&[0; 4]);
        out
    };
    for (what, bytes) in [
        ("empty block", frame(1, 0, 0)),
        ("block over the block size", frame(1, (1 << 20) + 1, 10)),
        ("block of 2^64 - 1", frame(1, u64::MAX, 10)),
        ("data longer than the block", frame(1, 100, 101)),
        ("stored data of another length", frame(2, 100, 99)),
        ("data of 2^64 - 1", frame(1, 1 << 20, u64::MAX)),
        ("unknown block kind", frame(7, 100, 10)),
        (
            "declared data that is not there",
            frame(1, 1 << 20, 1 << 20),
        ),
    ] {
        let (err, produced, took) = decode(&bytes, None);
        assert!(err.is_some(), "{what}: accepted");
        assert_eq!(produced, 0);
        assert!(took < Duration::from_secs(1), "{what}: {took:?}");
    }
    // A varint of more than ten bytes.
    let mut long = b"KRFT".to_vec();
    long.extend_from_slice(&[kraft::format::VERSION, 0, iid, 6]);
    long.extend_from_slice(&[0xff; 16]);
    assert!(decode(&long, None).0.is_some());
}

/// 4.5 GiB of generated bytes (a skewed order-0 source of 3.25 bits a byte), compressed to
/// a temporary file with the size declared up front, within 1% of that entropy, decoded back
/// and compared by CRC-32 and length. Run by hand: `cargo test --release --test limits --
/// --ignored` (about two minutes and 2 GB of disk).
#[test]
#[ignore = "4.5 GiB through the coder; run by hand"]
fn streams_over_4_gib_round_trip() {
    use std::io::{BufReader, BufWriter, Write};
    let total: u64 = (9 << 30) / 2;
    let chunk = |i: u64, buf: &mut [u8]| {
        let mut x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        for b in buf.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // 16 equally likely slots: e 4/16, t and a 2/16, eight letters 1/16 each,
            // H = 4/16·2 + 2·(2/16)·3 + 8·(1/16)·4 = 3.25 bits.
            *b = b"eeeettaaoinshrdl"[(x >> 60) as usize];
        }
    };
    let file = tempfile::tempfile().unwrap();
    let opts = Options::new()
        .compact(false)
        .model("iid")
        .content_size(Some(total));
    let mut enc = kraft::Encoder::new(BufWriter::new(file), &opts).unwrap();
    let mut buf = vec![0u8; 1 << 20];
    let mut crc = crc32fast::Hasher::new();
    for i in 0..total / buf.len() as u64 {
        chunk(i, &mut buf);
        crc.update(&buf);
        enc.write_all(&buf).unwrap();
    }
    let want = crc.finalize();
    let mut file = enc.finish().unwrap().into_inner().unwrap();
    let bits_per_byte = file.metadata().unwrap().len() as f64 * 8.0 / total as f64;
    assert!(
        (3.25 * 0.99..3.25 * 1.01).contains(&bits_per_byte),
        "{bits_per_byte:.4} bits a byte for a 3.25-bit source"
    );
    std::io::Seek::rewind(&mut file).unwrap();

    let mut dec = Decoder::new(BufReader::new(file));
    let mut crc = crc32fast::Hasher::new();
    let mut seen = 0u64;
    loop {
        let n = dec.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        crc.update(&buf[..n]);
        seen += n as u64;
    }
    assert_eq!(seen, total);
    assert_eq!(crc.finalize(), want);
    let info = &dec.streams()[0];
    assert_eq!(info.content_size, total);
    assert_eq!(info.header.content_size, Some(total));
    assert_eq!(info.blocks, total.div_ceil(4 << 20));
}

#[test]
fn a_range_coded_payload_must_have_a_word() {
    // The encoder seals every non-empty block with at least one word; an empty payload
    // would have the decoder read two words past the end, and is refused.
    for (model, level) in [("cm", 1), ("cm", 6), ("cm", 9), ("grid", 6)] {
        let (err, produced, _) = decode(&with_payload(model, level, |_| Vec::new()), None);
        let err = err.unwrap_or_else(|| panic!("{model} -l{level}: an empty payload decoded"));
        assert!(
            matches!(err, Error::Corrupt { block: Some(0), .. }),
            "{model} -l{level}: {err}"
        );
        assert_eq!(produced, 0);
    }
}

#[test]
fn flips_in_the_sealing_word_decode_exactly_or_fail() {
    // The last word of a range-coded payload only has to fall inside the final interval:
    // a flip in its low bits may decode to the same bytes. The block CRC decides, so the
    // output is the original or an error, never other bytes.
    let data = text(4096);
    for level in [1u8, 6, 9] {
        let packed = kraft::compress(
            &data,
            &Options::new().compact(false).model("cm").level(level),
        )
        .unwrap();
        let p = parse(&packed);
        // The payload ends where the end marker and the trailer begin.
        let end = packed.len() - p.trailer.encoded_len();
        let (mut accepted, mut refused) = (0, 0);
        for byte in end - 4..end {
            for bit in 0..8 {
                let mut bad = packed.clone();
                bad[byte] ^= 1 << bit;
                match kraft::decompress(&bad) {
                    Ok(out) => {
                        assert_eq!(out, data, "-l{level}: byte {byte} bit {bit}");
                        accepted += 1;
                    }
                    Err(_) => refused += 1,
                }
            }
        }
        eprintln!("-l{level}: {accepted} of 32 flips of the sealing word decode to the original");
        assert_eq!(accepted + refused, 32);
        assert!(
            refused > 0,
            "-l{level}: no flip of the last word was caught"
        );
    }
}

#[test]
fn the_settings_level_is_written_and_decides() {
    let data = b"P4\n8 1\n\x5a".repeat(3);
    // A model of level 9 under options of the default level: the header says 9.
    let models: [Box<dyn kraft::model::Model>; 2] = [
        Box::new(kraft::model::Cm::new(9)),
        Box::new(kraft::model::Grid::new(9)),
    ];
    for model in &models {
        let packed =
            kraft::compress_with(&data, &Options::default().compact(false), model.as_ref())
                .unwrap();
        let mut p = parse(&packed);
        assert_eq!(p.header.level, 9, "{}", model.name());
        // A header that says otherwise (as such calls wrote before) still decodes.
        p.header.level = 6;
        let (err, produced, _) = decode(&build(&p), None);
        assert!(err.is_none(), "{}: {err:?}", model.name());
        assert_eq!(produced, data.len());
    }
}

#[test]
fn only_the_last_block_of_a_stream_may_be_short() {
    let data = text(3000);
    let packed = kraft::compress(
        &data,
        &Options::new().compact(false).model("iid").block_size(1000),
    )
    .unwrap();
    let mut p = parse(&packed);
    assert_eq!(p.blocks.len(), 3);
    // Move the last (full) block in front of a short one: every block still checks out.
    let short = kraft::compress(&data[..10], &Options::new().compact(false).model("iid")).unwrap();
    let short = parse(&short).blocks.remove(0);
    p.blocks.insert(0, short);
    p.trailer.content_size += 10;
    p.header.content_size = None;
    let (err, _, _) = decode(&build(&p), None);
    let err = err.expect("a block after a short block must be refused");
    assert!(
        err.to_string().contains("shorter than the block size"),
        "{err}"
    );
    let inspected = kraft::inspect(&build(&p)[..]).unwrap_err();
    assert!(
        inspected
            .to_string()
            .contains("shorter than the block size")
    );
}

#[test]
fn the_decoder_refuses_more_than_its_default_limit_unless_allowed() {
    // Four KiB of level 9 claiming a 64 MiB block: 1.4 GiB to decode, over 1 GiB.
    let forged = forged_block("cm", 9, 64 << 20);
    let mut out = Vec::new();
    let err = Decoder::new(&forged[..]).read_all(&mut out).unwrap_err();
    match err {
        Error::MemoryLimit { needed, limit } => {
            assert_eq!(limit, kraft::DEFAULT_MEMORY_LIMIT);
            assert!(needed > limit);
        }
        other => panic!("expected the memory limit, got {other}"),
    }
    // Real level-9 output of a large input fits under an explicit limit.
    let packed = kraft::compress(&text(4096), &Options::new().compact(false).level(9)).unwrap();
    assert_eq!(kraft::decompress(&packed).unwrap(), text(4096));
}
