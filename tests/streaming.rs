//! The streaming API: `Encoder` and `Decoder` against the one-shot functions, any
//! read and write pattern, concatenated and embedded streams, threads.

use std::io::{Read, Write};

use kraft::Options;

/// Text with some structure: numbers and words, deterministic.
fn sample(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let words = ["alpha ", "beta ", "gamma ", "delta\n", "0123 ", "x "];
    let mut out = Vec::with_capacity(n + 8);
    while out.len() < n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(words[(x % words.len() as u64) as usize].as_bytes());
    }
    out.truncate(n);
    out
}

#[test]
fn streaming_matches_one_shot_and_any_write_pattern() {
    let data = sample(300_000, 7);
    let opts = Options::default()
        .block_size(64 << 10)
        .content_size(Some(data.len() as u64));
    let one_shot = kraft::compress(&data, &opts).unwrap();
    let mut enc = kraft::Encoder::new(Vec::new(), &opts).unwrap();
    for chunk in data.chunks(777) {
        enc.write_all(chunk).unwrap();
    }
    let streamed = enc.finish().unwrap();
    assert_eq!(one_shot, streamed);
    let mut out = Vec::new();
    let mut dec = kraft::Decoder::new(&streamed[..]);
    let mut buf = [0u8; 1000];
    loop {
        let n = dec.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    assert_eq!(out, data);
    assert_eq!(dec.streams()[0].blocks, 5);
}

#[test]
fn concatenated_streams_decode_to_the_concatenation() {
    let mut packed = kraft::compress(b"hello ", &Options::default()).unwrap();
    packed.extend(kraft::compress(b"world", &Options::default()).unwrap());
    assert_eq!(kraft::decompress(&packed).unwrap(), b"hello world");
}

#[test]
fn try_finish_completes_the_stream_and_keeps_the_writer() {
    use std::io::Write;
    let data = b"finish me, then give the writer back".repeat(50);
    let mut enc = kraft::Encoder::new(Vec::new(), &Options::default()).unwrap();
    enc.write_all(&data).unwrap();
    let stats = enc.try_finish().unwrap();
    assert_eq!(stats.raw_bytes, data.len() as u64);
    // Idempotent, and nothing may be written after it.
    assert_eq!(enc.try_finish().unwrap(), stats);
    assert!(enc.write_all(b"more").is_err());
    let packed = enc.into_inner();
    assert_eq!(packed.len() as u64, stats.compressed_bytes());
    assert_eq!(kraft::decompress(&packed).unwrap(), data);
    // Without it, into_inner gives a stream that decoders refuse.
    let mut enc = kraft::Encoder::new(Vec::new(), &Options::default()).unwrap();
    enc.write_all(&data).unwrap();
    assert!(kraft::decompress(&enc.into_inner()).is_err());
}

#[test]
fn decoding_on_several_threads_gives_the_same_bytes_and_errors() {
    let data: Vec<u8> = (0..400_000u32)
        .flat_map(|i| format!("{} ", (i * 7919) % 1000).into_bytes())
        .take(600_000)
        .collect();
    let packed = kraft::compress(&data, &Options::new().level(1).block_size(64 << 10)).unwrap();
    let blocks = kraft::inspect(&packed[..]).unwrap()[0].blocks;
    assert!(blocks >= 9, "{blocks}");
    for threads in [1, 2, 7] {
        let mut out = Vec::new();
        kraft::Decoder::new(&packed[..])
            .threads(threads)
            .read_all(&mut out)
            .unwrap();
        assert_eq!(out, data, "{threads} threads");
        // Small reads too.
        let mut dec = kraft::Decoder::new(&packed[..]).threads(threads);
        let mut small = Vec::new();
        let mut buf = [0u8; 777];
        loop {
            let n = std::io::Read::read(&mut dec, &mut buf).unwrap();
            if n == 0 {
                break;
            }
            small.extend_from_slice(&buf[..n]);
        }
        assert_eq!(small, data, "{threads} threads, small reads");
    }
    // A damaged block in the middle, a stream cut inside a block, a damaged trailer:
    // the blocks before come out, then the error, the same for any thread count, and
    // later reads fail too.
    let mut flipped = packed.clone();
    let at = flipped.len() / 2;
    flipped[at] ^= 0x10;
    let cut = packed[..packed.len() * 2 / 3].to_vec();
    let mut trailer = packed.clone();
    let last = trailer.len() - 1;
    trailer[last] ^= 0x01;
    for bad in [flipped, cut, trailer] {
        let mut expected = None;
        for threads in [1, 2, 7] {
            let mut dec = kraft::Decoder::new(&bad[..]).threads(threads);
            let mut out = Vec::new();
            let err = dec.read_all(&mut out).unwrap_err().to_string();
            assert!(
                data.starts_with(&out),
                "{threads} threads: only checked bytes"
            );
            assert!(out.len() % (64 << 10) == 0 || out.len() == data.len());
            assert!(
                dec.read_all(&mut Vec::new()).is_err(),
                "{threads} threads: failed for good"
            );
            let seen = (out.len(), err);
            match &expected {
                None => expected = Some(seen),
                Some(e) => assert_eq!(&seen, e, "{threads} threads"),
            }
        }
    }
}

#[test]
fn a_single_stream_leaves_what_follows_in_the_reader() {
    let data = sample(200_000, 3);
    let tail = b"the rest of an outer format".to_vec();
    let cases = [
        Options::new().level(1).block_size(64 << 10),
        Options::new().level(1).block_size(64 << 10).index(true),
        Options::new().model("iid"),
    ];
    for (i, opts) in cases.iter().enumerate() {
        let input = if i == 2 { &data[..500] } else { &data[..] };
        let stream = kraft::compress(input, opts).unwrap();
        let mut index_len = 0;
        if opts.get_index() {
            // The index is not part of the stream proper: it stays in the reader.
            let plain = kraft::compress(input, &opts.clone().index(false)).unwrap();
            index_len = stream.len() - plain.len();
            assert!(index_len > 0);
        }
        let mut joined = stream.clone();
        joined.extend_from_slice(&tail);
        // A byte slice, a buffered reader over a cursor (read through its buffer)
        // and a reader that gives one byte at a time.
        let mut out = Vec::new();
        let mut dec = kraft::Decoder::new(&joined[..]).single_stream();
        dec.read_to_end(&mut out).unwrap();
        assert_eq!(out, input, "case {i}");
        let rest = dec.into_inner();
        assert_eq!(rest.len(), tail.len() + index_len, "case {i}");
        assert!(rest.ends_with(&tail));

        let buffered = std::io::BufReader::with_capacity(100, std::io::Cursor::new(&joined));
        let mut dec = kraft::Decoder::new(buffered).single_stream();
        let mut out = Vec::new();
        dec.read_to_end(&mut out).unwrap();
        assert_eq!(out, input, "case {i}, buffered");
        let mut left = Vec::new();
        dec.into_inner().read_to_end(&mut left).unwrap();
        assert_eq!(left.len(), tail.len() + index_len);
        assert!(left.ends_with(&tail));

        let mut dec = kraft::Decoder::new(OneByte(&joined[..])).single_stream();
        let mut out = Vec::new();
        dec.read_to_end(&mut out).unwrap();
        assert_eq!(out, input, "case {i}, one byte a read");
        assert_eq!(dec.into_inner().0.len(), tail.len() + index_len);
    }
    // Without it, what follows a stream is an error, never data.
    let mut joined = kraft::compress(&data, &Options::new().level(1)).unwrap();
    joined.extend_from_slice(&tail);
    assert!(matches!(
        kraft::decompress(&joined),
        Err(kraft::Error::TrailingGarbage { .. })
    ));
}

/// A reader that returns at most one byte a call.
struct OneByte<'a>(&'a [u8]);

impl Read for OneByte<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() || self.0.is_empty() {
            return Ok(0);
        }
        buf[0] = self.0[0];
        self.0 = &self.0[1..];
        Ok(1)
    }
}
