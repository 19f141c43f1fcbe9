//! Golden files: streams written by each format version decode forever, and the exact
//! bytes written today are pinned, for every model. A change to a model's coding shows
//! here first: it needs a new format version, block kind or block flag, never a silent
//! change of what old files decode to.
//!
//! The level 6 text streams were written before the 64 MiB blocks of levels 4–9, with
//! 16 MiB blocks, which the pinning tests ask for explicitly. A stream today's encoder
//! no longer writes (its data now gets a new flag) moves to [`earlier`], which decodes
//! it still.

use kraft::Options;

const TEXT: &[u8] = include_bytes!("golden/v1-iid.txt");
const V1_IID: &[u8] = include_bytes!("golden/v1-iid.kft");
const CM_TEXT: &[u8] = include_bytes!("golden/v1-cm.txt");
const RECORDS: &[u8] = include_bytes!("golden/v1-cm-records.bin");
const PBM: &[u8] = include_bytes!("golden/v1-grid.pbm");
const X86: &[u8] = include_bytes!("golden/v1-x86.bin");
const RANDOM: &[u8] = include_bytes!("golden/v1-random.bin");
const DNA: &[u8] = include_bytes!("golden/v1-dna.txt");
/// `v1-cm.txt`, 12,288 random bytes, `v1-cm.txt` again.
const NOISY: &[u8] = include_bytes!("golden/v1-noise.bin");

/// Name, stream, original, the options that write exactly these bytes today, model id.
type Golden = (&'static str, &'static [u8], &'static [u8], Options, u8);

fn goldens() -> Vec<Golden> {
    let l6_16m = Options::new().level(6).block_size(16 << 20);
    vec![
        (
            "v1-iid",
            V1_IID,
            TEXT,
            Options::new().model("iid").level(6),
            1,
        ),
        (
            "v1-cm1",
            include_bytes!("golden/v1-cm1.kft"),
            CM_TEXT,
            Options::new().level(1),
            2,
        ),
        (
            "v1-cm6-apm3",
            include_bytes!("golden/v1-cm6-apm3.kft"),
            CM_TEXT,
            l6_16m.clone(),
            2,
        ),
        (
            "v1-cm9-chain",
            include_bytes!("golden/v1-cm9-chain.kft"),
            CM_TEXT,
            Options::new().level(9),
            2,
        ),
        (
            "v1-cm6-records-pixels",
            include_bytes!("golden/v1-cm6-records-pixels.kft"),
            RECORDS,
            l6_16m.clone(),
            2,
        ),
        (
            "v1-cm6-stored",
            include_bytes!("golden/v1-cm6-stored.kft"),
            RANDOM,
            l6_16m.clone(),
            2,
        ),
        (
            "v1-cm6-noise",
            include_bytes!("golden/v1-cm6-noise.kft"),
            NOISY,
            Options::new().level(6),
            2,
        ),
        (
            "v1-cm6-dna",
            include_bytes!("golden/v1-cm6-dna.kft"),
            DNA,
            l6_16m,
            2,
        ),
        (
            "v1-cm1-blocks",
            include_bytes!("golden/v1-cm1-blocks.kft"),
            CM_TEXT,
            Options::new()
                .level(1)
                .block_size(2048)
                .content_size(Some(CM_TEXT.len() as u64)),
            2,
        ),
        (
            "v1-cm6-x86-pixels",
            include_bytes!("golden/v1-cm6-x86-pixels.kft"),
            X86,
            Options::new().level(6),
            2,
        ),
        (
            "v1-mixture",
            include_bytes!("golden/v1-mixture.kft"),
            CM_TEXT,
            Options::new().model("mixture"),
            3,
        ),
        (
            "v1-grid",
            include_bytes!("golden/v1-grid.kft"),
            PBM,
            Options::new().model("grid"),
            4,
        ),
    ]
}

/// Streams that earlier builds wrote and today's no longer does, which must still decode:
/// name, stream, original.
fn earlier() -> Vec<(&'static str, &'static [u8], &'static [u8])> {
    vec![
        // cm level 9 with one flag byte, from before expected bytes.
        ("v1-cm9", include_bytes!("golden/v1-cm9.kft"), CM_TEXT),
        // cm level 6 on binary data with one flag byte, from before pixel contexts.
        (
            "v1-cm6-records",
            include_bytes!("golden/v1-cm6-records.kft"),
            RECORDS,
        ),
        ("v1-cm6-x86", include_bytes!("golden/v1-cm6-x86.kft"), X86),
        // cm level 6 on text, from before column contexts at level 6.
        ("v1-cm6", include_bytes!("golden/v1-cm6.kft"), CM_TEXT),
        // cm level 6 on text with column contexts, from before the third APM.
        (
            "v1-cm6-column",
            include_bytes!("golden/v1-cm6-column.kft"),
            CM_TEXT,
        ),
        // cm level 9 with expected bytes, from before the state chain.
        (
            "v1-cm9-expect",
            include_bytes!("golden/v1-cm9-expect.kft"),
            CM_TEXT,
        ),
    ]
}

#[test]
fn golden_v1_decodes() {
    let earlier = earlier()
        .into_iter()
        .map(|(name, stream, original)| (name, stream, original, Options::new(), 2));
    for (name, stream, original, _, model) in goldens().into_iter().chain(earlier) {
        assert_eq!(kraft::decompress(stream).unwrap(), original, "{name}");
        for threads in [2, 3] {
            let mut out = Vec::new();
            kraft::Decoder::new(stream)
                .threads(threads)
                .read_all(&mut out)
                .unwrap();
            assert_eq!(out, original, "{name}, {threads} threads");
        }
        let info = kraft::inspect(stream).unwrap();
        assert_eq!(info.len(), 1, "{name}");
        assert_eq!(info[0].header.model, model, "{name}");
        assert_eq!(info[0].content_size, original.len() as u64, "{name}");
        assert_eq!(info[0].compressed_bytes, stream.len() as u64, "{name}");
    }
}

#[test]
fn golden_v1_bytes_are_stable() {
    for (name, stream, original, options, _) in goldens() {
        // The v1 goldens are streams; small inputs get a compact frame unless told not to.
        let written = kraft::compress(original, &options.clone().compact(false)).unwrap();
        let first = written.iter().zip(stream).position(|(a, b)| a != b);
        assert!(
            written == stream,
            "{name}: {} bytes written, {} pinned, first difference at {first:?}",
            written.len(),
            stream.len()
        );
    }
}

/// The cm flag bytes of a one-block stream's block: the first, and the second or 0.
fn cm_flags(stream: &[u8]) -> (u8, u8) {
    let mut r = stream;
    let header = kraft::format::Header::read_from(&mut r).unwrap().unwrap();
    let frame = kraft::format::BlockHeader::read_from(&mut r, header.block_size)
        .unwrap()
        .unwrap();
    assert_ne!(frame.kind, kraft::format::BLOCK_STORED);
    match r[0] {
        1 => {
            assert_eq!(r[1] & 128, 0, "bit 7 announces a second byte");
            (r[1], 0)
        }
        2 => {
            assert_eq!(r[1] & 128, 128, "two bytes need bit 7 of the first");
            (r[1] & 127, r[2])
        }
        n => panic!("{n} bytes of cm parameters"),
    }
}

#[test]
fn the_goldens_cover_each_block_kind_and_cm_context_group() {
    let all = goldens();
    let find = |n: &str| all.iter().find(|g| g.0 == n).unwrap().1;
    let info = |n: &str| kraft::inspect(find(n)).unwrap().remove(0);
    // Block kinds 1 (modeled), 2 (stored), 3 (x86), and a stream of several blocks.
    assert_eq!(info("v1-cm6-x86-pixels").filtered_blocks, 1);
    assert_eq!(info("v1-cm6-stored").stored_blocks, 1);
    assert!(info("v1-cm1-blocks").blocks >= 3);
    let cm6 = info("v1-cm6-apm3");
    assert_eq!((cm6.stored_blocks, cm6.filtered_blocks), (0, 0));
    // Every cm flag: word 1, sparse 2, record 4, primer 8, column 16, DNA 32; and of
    // the second byte, expected bytes 1, pixels 2, the state chain 4, noise 8 and the
    // third APM 16. Level 9 before
    // expected bytes, and binary blocks at level 6 before pixels, had one byte; level 9
    // before the state chain had expected bytes only.
    let (text, apm3) = cm_flags(find("v1-cm6-apm3"));
    assert_eq!((text & (1 | 8 | 16), apm3), (1 | 8 | 16, 16), "{text:#x}");
    let (records, pixels) = cm_flags(find("v1-cm6-records-pixels"));
    assert_eq!((records & (2 | 4), pixels), (2 | 4, 2), "{records:#x}");
    assert_eq!(records & 8, 0, "{records:#x}");
    let (column, second) = cm_flags(find("v1-cm9-chain"));
    assert_eq!((column & 16, second), (16, 1 | 4), "{column:#x}");
    let (_, noise) = cm_flags(find("v1-cm6-noise"));
    assert_eq!(noise & 8, 8, "{noise:#x}");
    let (dna, _) = cm_flags(find("v1-cm6-dna"));
    assert_eq!(dna & 32, 32, "{dna:#x}");
    assert_eq!(text | records | column | dna, 0x3f);
    let earlier = earlier();
    let old = |n: &str| earlier.iter().find(|g| g.0 == n).unwrap().1;
    let (before, none) = cm_flags(old("v1-cm9"));
    assert_eq!((before & 16, none), (16, 0), "{before:#x}");
    let (before, none) = cm_flags(old("v1-cm6-records"));
    assert_eq!((before & 4, none), (4, 0), "{before:#x}");
    let (before, none) = cm_flags(old("v1-cm6"));
    assert_eq!((before & (1 | 16), none), (1, 0), "{before:#x}");
    let (before, none) = cm_flags(old("v1-cm6-column"));
    assert_eq!((before & (1 | 16), none), (1 | 16, 0), "{before:#x}");
    let (before, expect) = cm_flags(old("v1-cm9-expect"));
    assert_eq!((before & 16, expect), (16, 1), "{before:#x}");
}

/// The samples the golden priors were trained on: the lines of `v1-cm.txt`.
fn prior_samples() -> Vec<&'static [u8]> {
    CM_TEXT
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect()
}

/// The golden priors, as trained today from [`prior_samples`], and their files.
fn golden_priors() -> [(kraft::Prior, &'static [u8]); 2] {
    let samples = prior_samples();
    let cm = kraft::Prior::train_within(&samples, &Options::new().level(6), 4096).unwrap();
    let iid = kraft::Prior::train(&samples, &Options::new().model("iid")).unwrap();
    [
        (cm, include_bytes!("golden/v1-prior-cm.kfp")),
        (iid, include_bytes!("golden/v1-prior-iid.kfp")),
    ]
}

#[test]
fn golden_priors_read_and_train_to_the_same_bytes() {
    for (trained, file) in golden_priors() {
        let read = kraft::Prior::from_bytes(file).unwrap();
        assert_eq!(read, trained, "{}", read.model_name());
        assert_eq!(
            trained.to_bytes(),
            file,
            "{}: training drifted",
            read.model_name()
        );
    }
    let [(cm, _), (iid, _)] = golden_priors();
    assert_eq!(cm.id_hex(), "b323d619d811e47f");
    assert_eq!(iid.id_hex(), "e7c64f1e6d636cbc");
}

/// Name, stream, original, the options that write it today (none for a frame today's
/// encoder no longer writes, which must still decode), the prior to decode it with.
type Case<'a> = (
    &'a str,
    &'a [u8],
    &'a [u8],
    Option<Options>,
    Option<&'a kraft::Prior>,
);

#[test]
fn golden_compact_frames_and_prior_streams_decode_and_are_stable() {
    let [(cm, _), (iid, _)] = golden_priors();
    let record = &TEXT[..600];
    let cases: [Case; 10] = [
        (
            "v1-prior-cm6-column-compact",
            include_bytes!("golden/v1-prior-cm6-column-compact.kft"),
            record,
            Some(Options::new().level(6).prior(&cm)),
            Some(&cm),
        ),
        (
            "v1-prior-cm2-stream",
            include_bytes!("golden/v1-prior-cm2-stream.kft"),
            record,
            Some(
                Options::new()
                    .level(2)
                    .prior(&cm)
                    .compact(false)
                    .block_size(256),
            ),
            Some(&cm),
        ),
        (
            "v1-prior-iid-compact",
            include_bytes!("golden/v1-prior-iid-compact.kft"),
            record,
            Some(Options::new().prior(&iid)),
            Some(&iid),
        ),
        (
            "v1-compact-cm6-apm3",
            include_bytes!("golden/v1-compact-cm6-apm3.kft"),
            record,
            Some(Options::new().level(6)),
            None,
        ),
        (
            "v1-compact-iid",
            include_bytes!("golden/v1-compact-iid.kft"),
            record,
            Some(Options::new().model("iid")),
            None,
        ),
        (
            "v1-compact-stored",
            include_bytes!("golden/v1-compact-stored.kft"),
            &RANDOM[..100],
            Some(Options::new().level(6)),
            None,
        ),
        (
            "v1-compact-empty",
            include_bytes!("golden/v1-compact-empty.kft"),
            b"",
            Some(Options::new().level(6)),
            None,
        ),
        // Frames of level 6 text from before its column contexts, and from before its
        // third APM.
        (
            "v1-compact-cm6-column",
            include_bytes!("golden/v1-compact-cm6-column.kft"),
            record,
            None,
            None,
        ),
        (
            "v1-prior-cm6-compact",
            include_bytes!("golden/v1-prior-cm6-compact.kft"),
            record,
            None,
            Some(&cm),
        ),
        (
            "v1-compact-cm6",
            include_bytes!("golden/v1-compact-cm6.kft"),
            record,
            None,
            None,
        ),
    ];
    for (name, stream, original, options, prior) in cases {
        let mut dec = kraft::Decoder::new(stream);
        if let Some(p) = prior {
            dec = dec.prior(p);
        }
        let mut out = Vec::new();
        dec.read_all(&mut out).unwrap();
        assert_eq!(out, original, "{name}");
        if let Some(options) = options {
            let written = kraft::compress(original, &options).unwrap();
            assert!(written == stream, "{name}: the bytes written changed");
        }
        let info = kraft::inspect(stream).unwrap();
        assert_eq!(info[0].compact, name.contains("compact"), "{name}");
        assert_eq!(info[0].uses_prior, prior.is_some(), "{name}");
        if prior.is_some() {
            assert!(kraft::decompress(stream).is_err(), "{name} needs its prior");
        }
    }
}
