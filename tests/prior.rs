//! Trained priors and compact frames: exact round trips, the framing bound, and every
//! way a prior can be missing, wrong or damaged.

use std::io::Read;

use kraft::{Decoder, Error, Options, Prior};
use proptest::prelude::*;

/// Records of one kind: JSON-like lines that share keys and differ in values.
fn records(n: usize, seed: u64) -> Vec<Vec<u8>> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let names = [
        "decimal",
        "group",
        "percentSign",
        "exponential",
        "nan",
        "infinity",
    ];
    (0..n)
        .map(|i| {
            let mut r = format!("{{\"locale\": \"l{i}\", \"numbers\": {{");
            for name in names {
                let v = next() % 1000;
                r.push_str(&format!("\"{name}\": \"{v}\", "));
            }
            r.push_str("\"system\": \"latn\"}}\n");
            r.into_bytes()
        })
        .collect()
}

fn decode_with(packed: &[u8], prior: Option<&Prior>) -> kraft::Result<Vec<u8>> {
    let mut dec = Decoder::new(packed);
    if let Some(p) = prior {
        dec = dec.prior(p);
    }
    let mut out = Vec::new();
    dec.read_all(&mut out)?;
    Ok(out)
}

#[test]
fn priors_of_cm_iid_and_mixture_round_trip_and_shrink_records() {
    let train = records(200, 1);
    let test = records(30, 2);
    for (model, level) in [("cm", 1), ("cm", 6), ("cm", 9), ("iid", 6), ("mixture", 6)] {
        let opts = Options::new().model(model).level(level);
        let prior = Prior::train(&train, &opts).unwrap();
        let with = opts.clone().prior(&prior);
        let (mut cold, mut warm) = (0, 0);
        for r in &test {
            let packed = kraft::compress(r, &with).unwrap();
            assert_eq!(
                decode_with(&packed, Some(&prior)).unwrap(),
                *r,
                "{model} {level}"
            );
            warm += packed.len();
            cold += kraft::compress(r, &opts).unwrap().len();
        }
        // cm learns the records' structure from the samples; iid and mixture save their
        // tables.
        let bound = if model == "cm" { 0.5 } else { 0.8 };
        assert!(
            (warm as f64) < bound * cold as f64,
            "{model} {level}: {warm} with the prior, {cold} without"
        );
    }
}

#[test]
fn large_inputs_with_a_prior_are_streams_of_many_blocks() {
    let prior = Prior::train(&records(50, 3), &Options::new().level(2)).unwrap();
    let data: Vec<u8> = records(3000, 4).concat();
    assert!(data.len() > 100 << 10);
    let opts = Options::new().level(2).prior(&prior).block_size(40 << 10);
    let packed = kraft::compress(&data, &opts).unwrap();
    let info = kraft::inspect(&packed[..]).unwrap();
    assert!(!info[0].compact && info[0].blocks > 2);
    assert_eq!(info[0].header.prior, Some(prior.id()));
    assert_eq!(decode_with(&packed, Some(&prior)).unwrap(), data);
    // Blocks decode in parallel with the same prior.
    let mut out = Vec::new();
    Decoder::new(&packed[..])
        .prior(&prior)
        .threads(3)
        .read_to_end(&mut out)
        .unwrap();
    assert_eq!(out, data);
}

#[test]
fn the_streaming_encoder_and_decoder_take_a_prior() {
    use std::io::Write;
    let prior = Prior::train(&records(100, 21), &Options::new().level(2)).unwrap();
    let opts = Options::new().level(2).prior(&prior).block_size(10_000);
    let data: Vec<u8> = records(400, 22).concat();
    let mut enc = kraft::Encoder::new(Vec::new(), &opts).unwrap();
    for piece in data.chunks(777) {
        enc.write_all(piece).unwrap();
    }
    let packed = enc.finish().unwrap();
    assert_eq!(
        packed,
        kraft::compress(&data, &opts).unwrap(),
        "one code path"
    );
    let mut out = Vec::new();
    Decoder::new(&packed[..])
        .prior(&prior)
        .read_to_end(&mut out)
        .unwrap();
    assert_eq!(out, data);
    // The same prior from its file decodes it too, in a fresh decoder each time.
    let again = Prior::from_bytes(&prior.to_bytes()).unwrap();
    for _ in 0..2 {
        let mut out = Vec::new();
        Decoder::new(&packed[..])
            .prior(&again)
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, data);
    }
}

#[test]
fn missing_and_wrong_priors_are_named_in_errors() {
    let opts = Options::new().level(3);
    let prior = Prior::train(&records(40, 5), &opts).unwrap();
    let other = Prior::train(&records(40, 6), &opts).unwrap();
    assert_ne!(prior.id(), other.id());
    let record = &records(1, 7)[0];
    let data: Vec<u8> = records(2000, 8).concat();

    // A stream records the id: both errors name it.
    let stream = kraft::compress(&data, &opts.clone().prior(&prior)).unwrap();
    match decode_with(&stream, None) {
        Err(e @ Error::PriorMissing { id }) => {
            assert_eq!(id, prior.id());
            assert!(e.to_string().contains(&prior.id_hex()), "{e}");
        }
        other => panic!("expected PriorMissing, got {other:?}"),
    }
    match decode_with(&stream, Some(&other)) {
        Err(e @ Error::PriorMismatch { stream, given }) => {
            assert_eq!((stream, given), (prior.id(), other.id()));
            assert!(e.to_string().contains(&prior.id_hex()), "{e}");
        }
        other => panic!("expected PriorMismatch, got {other:?}"),
    }

    // A compact frame checks the prior without recording it.
    let small = kraft::compress(record, &opts.clone().prior(&prior)).unwrap();
    assert!(small.starts_with(&kraft::format::SMALL_MAGIC));
    assert!(matches!(
        decode_with(&small, None),
        Err(Error::PriorUnnamed)
    ));
    match decode_with(&small, Some(&other)) {
        Err(e @ Error::Corrupt { .. }) => {
            assert!(e.to_string().contains("another prior"), "{e}")
        }
        Err(Error::Checksum { .. }) => {}
        other => panic!("a wrong prior must fail, got {other:?}"),
    }
    assert_eq!(decode_with(&small, Some(&prior)).unwrap(), *record);

    // A prior for another model than the options'.
    let iid = Prior::train(&records(40, 5), &Options::new().model("iid")).unwrap();
    assert!(matches!(
        kraft::compress(record, &Options::new().prior(&iid).model("cm")),
        Err(Error::PriorModel { .. })
    ));
    // Streams without a prior decode whether or not one is given.
    let plain = kraft::compress(&data, &opts).unwrap();
    assert_eq!(decode_with(&plain, Some(&prior)).unwrap(), data);
}

#[test]
fn prior_files_round_trip_and_damage_is_a_clear_error() {
    for model in ["cm", "iid", "mixture"] {
        let prior =
            Prior::train_within(&records(30, 9), &Options::new().model(model), 2000).unwrap();
        let bytes = prior.to_bytes();
        let back = Prior::from_bytes(&bytes).unwrap();
        assert_eq!(back, prior);
        assert_eq!(back.id(), prior.id());
        assert_eq!(back.to_bytes(), bytes);
        if model == "cm" {
            assert!(prior.body_len() <= 2000, "{}", prior.body_len());
        }
        // Every single-byte change and every truncation is refused, never a panic.
        for i in 0..bytes.len() {
            for flip in [0x01u8, 0x80] {
                let mut bad = bytes.clone();
                bad[i] ^= flip;
                assert!(
                    matches!(Prior::from_bytes(&bad), Err(Error::BadPrior(_))),
                    "{model}: byte {i} ^ {flip:#x} accepted"
                );
            }
        }
        for cut in 0..bytes.len() {
            assert!(matches!(
                Prior::from_bytes(&bytes[..cut]),
                Err(Error::BadPrior(_))
            ));
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(matches!(
            Prior::from_bytes(&longer),
            Err(Error::BadPrior(_))
        ));
    }
    // Not a prior at all: a kraft stream, nothing, text.
    let stream = kraft::compress(b"not a prior", &Options::new()).unwrap();
    for foreign in [&stream[..], b"", b"KRFP", b"hello world, this is text"] {
        match Prior::from_bytes(foreign) {
            Err(e @ Error::BadPrior(_)) => assert!(!e.to_string().is_empty()),
            other => panic!("{foreign:?}: {other:?}"),
        }
    }
    // A damaged body with a recomputed checksum: the id no longer matches.
    let prior = Prior::train_within(&records(30, 9), &Options::new(), 2000).unwrap();
    let mut bad = prior.to_bytes();
    let n = bad.len();
    bad[10] ^= 1;
    let crc = crc32fast::hash(&bad[..n - 4]);
    bad[n - 4..].copy_from_slice(&crc.to_le_bytes());
    match Prior::from_bytes(&bad) {
        Err(Error::BadPrior(what)) => assert!(what.contains("id"), "{what}"),
        other => panic!("{other:?}"),
    }
    // A model kraft does not have takes no prior.
    assert!(matches!(
        Prior::train(&records(3, 1), &Options::new().model("lzma")),
        Err(Error::UnknownModelName(_))
    ));
}

#[test]
fn a_grid_prior_learns_images_of_a_kind() {
    // 32x32 Ising configurations at the critical temperature: trained on 60, each of 20
    // others coded alone.
    let images = |n: usize, seed: u64| -> Vec<Vec<u8>> {
        let (g, _) = kraft::corpus::ising::generate(seed, 32, 2.269185314213022, n);
        g.data.chunks(9 + 128).map(<[u8]>::to_vec).collect()
    };
    let train = images(60, 1);
    let test = images(20, 2);
    let prior = Prior::train(&train, &Options::new().model("grid").level(6)).unwrap();
    assert_eq!(prior.model_name(), "grid");
    assert_eq!(Prior::from_bytes(&prior.to_bytes()).unwrap(), prior);
    let (mut cold, mut warm) = (0, 0);
    for image in &test {
        let plain = kraft::compress(image, &Options::new().model("grid")).unwrap();
        let packed = kraft::compress(image, &Options::new().prior(&prior)).unwrap();
        assert_eq!(decode_with(&packed, Some(&prior)).unwrap(), *image);
        assert!(decode_with(&packed, None).is_err());
        cold += plain.len();
        warm += packed.len();
    }
    eprintln!("grid prior: {warm} bytes with it, {cold} without");
    assert!(
        warm * 100 < cold * 85,
        "{warm} with the prior, {cold} without"
    );
}

#[test]
fn a_cm_prior_keeps_its_samples_within_the_size() {
    let train = records(500, 11);
    let total: usize = train.iter().map(Vec::len).sum();
    for size in [0, 1, 500, 10_000, total, total + 1] {
        let prior = Prior::train_within(&train, &Options::new(), size).unwrap();
        assert!(prior.body_len() <= size, "{size}: {}", prior.body_len());
        if size >= total {
            assert_eq!(prior.body_len(), total, "everything fits");
        }
        // Whole samples only, from the set.
        let s = prior.samples();
        let mut at = 0;
        while at < s.len() {
            let next = train
                .iter()
                .find(|r| s[at..].starts_with(r))
                .unwrap_or_else(|| panic!("{size}: not a sample at {at}"));
            at += next.len();
        }
    }
    // Exact duplicates are kept once.
    let twice: Vec<Vec<u8>> = train.iter().chain(&train).cloned().collect();
    let prior = Prior::train_within(&twice, &Options::new(), usize::MAX).unwrap();
    assert_eq!(prior.body_len(), total);
}

/// Framing: every byte of a compact frame that is not the model's parameters or its
/// payload.
fn framing(data: &[u8], opts: &Options) -> u64 {
    let (packed, stats) = kraft::compress_with_stats(data, opts).unwrap();
    assert_eq!(stats.compressed_bytes(), packed.len() as u64);
    stats.container_bytes
}

#[test]
fn compact_frames_take_at_most_12_bytes_of_framing_up_to_64_kib() {
    let prior = Prior::train(&records(50, 12), &Options::new().level(1)).unwrap();
    let text: Vec<u8> = records(1000, 13).concat();
    let mut noise = vec![0u8; 70_000];
    let mut x = 1u32;
    for b in &mut noise {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        *b = (x >> 24) as u8;
    }
    for len in [0usize, 1, 2, 100, 127, 2000, 16_383, 16_384, 65_535, 65_536] {
        for (name, opts, data) in [
            ("cm", Options::new().level(1), &text),
            ("cm prior", Options::new().level(1).prior(&prior), &text),
            ("iid", Options::new().model("iid"), &text),
            ("stored", Options::new().level(1), &noise),
        ] {
            let data = &data[..len];
            let packed = kraft::compress(data, &opts).unwrap();
            assert!(
                packed.starts_with(&kraft::format::SMALL_MAGIC),
                "{name} {len}"
            );
            let f = framing(data, &opts);
            assert!(f <= 12, "{name}, {len} bytes: {f} bytes of framing");
            assert_eq!(
                decode_with(&packed, opts.get_prior()).unwrap(),
                data,
                "{name} {len}"
            );
            let info = kraft::inspect(&packed[..]).unwrap();
            assert!(info[0].compact);
            assert_eq!(info[0].content_size, len as u64);
            assert_eq!(info[0].compressed_bytes, packed.len() as u64);
        }
    }
    // A byte more is a stream; so is anything with compact frames turned off.
    let packed = kraft::compress(&text[..65_537], &Options::new().level(1)).unwrap();
    assert!(packed.starts_with(&kraft::format::MAGIC));
    let packed = kraft::compress(&text[..100], &Options::new().compact(false)).unwrap();
    assert!(packed.starts_with(&kraft::format::MAGIC));
    // A 1-byte input: 9 bytes in all.
    assert_eq!(kraft::compress(b"x", &Options::new()).unwrap().len(), 9);
}

#[test]
fn compact_frames_and_streams_concatenate() {
    let a = records(3, 14).concat();
    let b = records(2000, 15).concat();
    let parts = [
        kraft::compress(&a, &Options::new()).unwrap(),
        kraft::compress(&b, &Options::new().level(2)).unwrap(),
        kraft::compress(b"", &Options::new()).unwrap(),
        kraft::compress(&a, &Options::new().model("iid")).unwrap(),
    ];
    assert!(parts[0].starts_with(&kraft::format::SMALL_MAGIC));
    assert!(parts[1].starts_with(&kraft::format::MAGIC));
    let all = parts.concat();
    let expected = [&a[..], &b, b"", &a].concat();
    assert_eq!(kraft::decompress(&all).unwrap(), expected);
    assert_eq!(kraft::inspect(&all[..]).unwrap().len(), 4);
    // Garbage after a compact frame is named as such.
    let mut junk = parts[0].clone();
    junk.extend_from_slice(b"junk");
    assert!(matches!(
        kraft::decompress(&junk),
        Err(Error::TrailingGarbage { offset }) if offset == parts[0].len() as u64
    ));
}

#[test]
fn damaged_compact_frames_fail_or_decode_exactly() {
    let prior = Prior::train(&records(50, 16), &Options::new().level(1)).unwrap();
    let record = records(4, 17).concat();
    for opts in [
        Options::new().level(1),
        Options::new().level(1).prior(&prior),
        Options::new().model("iid"),
    ] {
        let packed = kraft::compress(&record, &opts).unwrap();
        for i in 0..packed.len() {
            for flip in [0x01u8, 0x10, 0x80] {
                let mut bad = packed.clone();
                bad[i] ^= flip;
                if let Ok(out) = decode_with(&bad, opts.get_prior()) {
                    assert_eq!(
                        out, record,
                        "byte {i} ^ {flip:#x} decoded to something else"
                    );
                }
            }
        }
        for cut in 0..packed.len() {
            assert!(
                decode_with(&packed[..cut], opts.get_prior()).is_err(),
                "cut at {cut}"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Any samples, any record: coded with a prior trained on the samples, the record
    /// comes back exactly, and only with that prior.
    #[test]
    fn any_record_round_trips_with_any_prior(
        samples in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 0..12),
        record in prop::collection::vec(any::<u8>(), 0..3000),
        level in 1u8..=3,
        model in prop::sample::select(vec!["cm", "iid", "mixture"]),
    ) {
        let opts = Options::new().model(model).level(level);
        let prior = Prior::train(&samples, &opts).unwrap();
        let again = Prior::from_bytes(&prior.to_bytes()).unwrap();
        let packed = kraft::compress(&record, &opts.clone().prior(&prior)).unwrap();
        prop_assert_eq!(decode_with(&packed, Some(&again)).unwrap(), record.clone());
        prop_assert!(decode_with(&packed, None).is_err());
        // And as a stream of small blocks.
        let blocks = opts.clone().prior(&prior).compact(false).block_size(700);
        let packed = kraft::compress(&record, &blocks).unwrap();
        prop_assert_eq!(decode_with(&packed, Some(&again)).unwrap(), record);
    }
}

#[test]
fn a_compact_frame_head_with_huge_lengths_is_refused() {
    // B5 4B, a cm level-1 descriptor, then the largest varint there is.
    let mut v = vec![0xB5, 0x4B, 0x11];
    v.extend_from_slice(&[0xff; 9]);
    v.push(0x01);
    v.extend_from_slice(&[0; 8]);
    assert!(matches!(kraft::decompress(&v), Err(Error::Corrupt { .. })));
    assert!(kraft::inspect(&v[..]).is_err());
    // Just past the largest pair of lengths.
    let max = 65_536u64 * 65_537 / 2 + 65_536;
    let mut v = vec![0xB5, 0x4B, 0x11];
    kraft::format::varint::write(&mut v, max + 1);
    assert!(matches!(kraft::decompress(&v), Err(Error::Corrupt { .. })));
}
