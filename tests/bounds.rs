//! The stated decoding bounds (docs/RELIABILITY.md), checked on families of crafted
//! streams: every one decodes or fails within the time bound, under an address-space
//! limit of the decoder memory `kraft info` states for it.

mod forge;

use std::time::{Duration, Instant};

use forge::*;
use kraft::Options;

/// Decode `file` with `kraft test` under an address-space limit of `limit` bytes;
/// whether it succeeded, and how long it took.
fn kraft_test_under(file: &std::path::Path, limit: u64) -> (bool, Duration) {
    let start = Instant::now();
    let out = std::process::Command::new("bash")
        .args([
            "-c",
            &format!("ulimit -v {}; exec \"$0\" test -q \"$1\"", limit / 1024),
            env!("CARGO_BIN_EXE_kraft"),
        ])
        .arg(file)
        .output()
        .expect("run kraft test");
    let took = start.elapsed();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.code().is_some(),
        "{}: killed: {err}",
        file.display()
    );
    assert_ne!(
        out.status.code(),
        Some(101),
        "{}: panicked: {err}",
        file.display()
    );
    if !out.status.success() {
        assert!(err.starts_with("kraft: "), "{}: {err}", file.display());
        assert!(
            !err.contains("memory allocation"),
            "{}: {err}",
            file.display()
        );
    }
    (out.status.success(), took)
}

/// The most bytes a range decoder produces past the end of its payload: one zero word
/// (32 bits) at the models' most confident, 2^-16 from certainty, is at most
/// 32 / log2(65536 / 65535) = 1,453,632 binary decisions.
const PAST_END_BYTES: u64 = 1_453_632 / 8;

/// The same with cm's long-match runs (block flag bit 6), where one decision can stand
/// for 256 bytes.
const PAST_END_RUN_BYTES: u64 = 1_453_632 * 256;

/// The stated decode-time bound (docs/RELIABILITY.md): 1 s, plus 30 µs per byte
/// decoded (cm level 9, the slowest model, decodes about 0.1 MB/s): the output, and for
/// a damaged range-coded block what it decodes past its payload's end
/// ([`PAST_END_BYTES`]), plus 40 ns per byte an ANS block declares (decoded to its
/// length before its checks). No term per block.
fn bound(decoded: u64, ans_declared: u64) -> Duration {
    Duration::from_secs(1)
        + Duration::from_micros(30) * decoded as u32
        + Duration::from_nanos(40 * ans_declared)
}

/// What `kraft info` states a stream needs to decode (the most of its streams), within
/// the default limit (a stream that needs more is refused); the default limit for one
/// whose frames do not parse.
fn stated_memory(stream: &[u8]) -> u64 {
    let stated = kraft::inspect(stream).ok().and_then(|streams| {
        streams
            .iter()
            .map(|s| {
                let h = &s.header;
                kraft::Registry::builtin()
                    .build(h.model, &h.settings)
                    .ok()
                    .map(|m| kraft::decoder_memory(h, m.as_ref()))
            })
            .collect::<Option<Vec<u64>>>()
            .and_then(|v| v.into_iter().max())
    });
    stated.map_or(kraft::DEFAULT_MEMORY_LIMIT, |n| {
        n.min(kraft::DEFAULT_MEMORY_LIMIT)
    })
}

/// Address space the process itself takes besides a stream's decoder memory: the
/// binary, its libraries, thread stacks and allocator arenas.
const PROCESS: u64 = 160 << 20;

#[test]
fn crafted_stream_families_decode_within_the_stated_bounds() {
    let dir = tempfile::tempdir().unwrap();
    let mut cases: Vec<(String, Vec<u8>, Duration)> = Vec::new();
    let tiny = b"the the the the the the the the the the ";
    for level in [1u8, 6, 9] {
        // Many tiny blocks in one stream, and many tiny streams.
        let data = tiny.repeat(250);
        let opts = Options::new()
            .compact(false)
            .level(level)
            .block_size(tiny.len());
        let blocks = kraft::compress(&data, &opts).unwrap();
        cases.push((
            format!("cm{level}-250-blocks"),
            blocks,
            bound(data.len() as u64, 0),
        ));
        let one = kraft::compress(tiny, &Options::new().compact(false).level(level)).unwrap();
        // Blocks of 16 bytes, the smallest that a model codes in practice.
        let small: Vec<u8> = tiny.iter().cycle().take(20_000).copied().collect();
        let opts16 = Options::new().compact(false).level(level).block_size(16);
        cases.push((
            format!("cm{level}-1250-blocks"),
            kraft::compress(&small, &opts16).unwrap(),
            bound(small.len() as u64, 0),
        ));
        cases.push((
            format!("cm{level}-300-streams"),
            one.repeat(300),
            bound(300 * 40, 0),
        ));
        // Empty and all-zero payloads.
        cases.push((
            format!("cm{level}-empty"),
            with_payload("cm", level, |_| Vec::new()),
            bound(4096 + PAST_END_BYTES, 0),
        ));
        cases.push((
            format!("cm{level}-zeros"),
            with_payload("cm", level, |n| vec![0; n]),
            bound(4096 + PAST_END_BYTES, 0),
        ));
        cases.push((
            format!("cm{level}-ones"),
            with_payload("cm", level, |n| vec![0xff; n]),
            bound(4096 + PAST_END_BYTES, 0),
        ));
        // Huge declared blocks backed by 4 KiB.
        for claim in [64u64 << 20, 1 << 30] {
            cases.push((
                format!("cm{level}-claims-{claim}"),
                forged_block("cm", level, claim),
                bound(4096 + PAST_END_BYTES, 0),
            ));
        }
    }
    // A block with long-match runs (4 MiB of zeros), claiming more: past its payload,
    // run after run decodes until the claim or the coder's limit.
    for level in [1u8, 6] {
        let zeros = kraft::compress(&vec![0u8; 4 << 20], &Options::new().level(level)).unwrap();
        for claim in [64u64 << 20, 1 << 30] {
            let mut p = parse(&zeros);
            assert_eq!(p.blocks.len(), 1);
            assert_eq!(
                p.blocks[0].1[1] & 64,
                64,
                "level {level}: a block with runs"
            );
            p.header.block_size = claim;
            p.header.content_size = None;
            p.blocks[0].0.raw_len = claim;
            p.trailer.content_size = claim;
            cases.push((
                format!("cm{level}-runs-claims-{claim}"),
                build(&p),
                bound(claim.min((4 << 20) + PAST_END_RUN_BYTES), 0),
            ));
        }
    }
    for model in ["iid", "mixture"] {
        for claim in [64u64 << 20, 1 << 30] {
            cases.push((
                format!("{model}-claims-{claim}"),
                forged_block(model, 6, claim),
                bound(4096, claim),
            ));
        }
        cases.push((
            format!("{model}-zeros"),
            with_payload(model, 6, |n| vec![0; n]),
            bound(4096, 4096),
        ));
    }
    cases.push((
        "grid-empty".into(),
        with_payload("grid", 9, |_| Vec::new()),
        bound(4096 + PAST_END_BYTES, 0),
    ));
    cases.push((
        "grid-zeros".into(),
        with_payload("grid", 9, |n| vec![0; n]),
        bound(4096 + PAST_END_BYTES, 0),
    ));
    for (name, stream, bound) in &cases {
        let file = dir.path().join(name);
        std::fs::write(&file, stream).unwrap();
        // Under the memory `kraft info` states, plus the process's own: address space,
        // which bounds what can become resident.
        let limit = stated_memory(stream) + PROCESS;
        let (ok, took) = kraft_test_under(&file, limit);
        eprintln!(
            "{name}: {took:?} (bound {bound:?}, address space {} MiB)",
            limit >> 20
        );
        // Only the real streams decode; the forged ones fail (cleanly, checked above).
        assert_eq!(
            ok,
            name.contains("-blocks") || name.contains("-streams"),
            "{name}"
        );
        assert!(took <= *bound, "{name}: {took:?}, bound {bound:?}");
    }
}
