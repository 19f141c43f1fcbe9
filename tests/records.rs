//! Trained priors on the small-record sets of ../shared/records: each test file coded on
//! its own against a prior trained on the set's train/ split comes back exactly, and the
//! sum is at most 0.67 × what zstd -19 writes with a dictionary trained on the same split
//! (../shared/ANCHORS.md), at the default level with priors of at most 1 MiB.

use std::path::{Path, PathBuf};

use kraft::{Decoder, Options, Prior};

/// The record sets, or None (with a message) when they are absent outside CI.
fn shared() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/records");
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{} is missing: CI needs the record sets", dir.display());
    }
    eprintln!("{} is missing: skipped", dir.display());
    None
}

fn files(dir: &Path) -> Vec<Vec<u8>> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    names.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

/// Σ of the test files' sizes under zstd -19 -D with a dictionary from
/// `zstd --train train/*` (../shared/ANCHORS.md).
const ZSTD_WITH_DICTIONARY: [(&str, u64); 4] = [
    ("json-cldr", 71_689),
    ("text-copyright", 53_920),
    ("code-python", 40_732),
    ("bin-tzif", 12_771),
];

#[test]
fn records_with_a_trained_prior_beat_zstd_with_its_dictionary_by_a_third() {
    let Some(root) = shared() else { return };
    let options = Options::new();
    for (set, zstd) in ZSTD_WITH_DICTIONARY {
        let train = files(&root.join(set).join("train"));
        let test = files(&root.join(set).join("test"));
        let prior = Prior::train_within(&train, &options, 1 << 20).unwrap();
        assert!(
            prior.to_bytes().len() <= 1 << 20,
            "{set}: the prior is at most 1 MiB"
        );
        let prior = Prior::from_bytes(&prior.to_bytes()).unwrap();
        let with = options.clone().prior(&prior);
        let mut total = 0u64;
        for record in &test {
            let packed = kraft::compress(record, &with).unwrap();
            let mut out = Vec::new();
            Decoder::new(&packed[..])
                .prior(&prior)
                .read_all(&mut out)
                .unwrap();
            assert_eq!(&out, record, "{set}: a record round-trips");
            total += packed.len() as u64;
        }
        assert!(
            total as f64 <= 0.67 * zstd as f64,
            "{set}: {total} bytes with the prior, zstd -19 -D {zstd}"
        );
    }
}
