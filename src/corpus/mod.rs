//! Synthetic corpora: deterministic sources whose exact entropy is known.
//!
//! On real data nobody knows the entropy, so a compressor can only be compared with
//! other compressors and with the empirical entropies of [`mod@crate::report`]. On data
//! drawn from a known source it can be compared with the truth: E[−log2 p(X)], the
//! expected code length of the best possible code for that source, which no compressor
//! beats on average. Each [`Generated`] file carries that figure
//! ([`Generated::entropy_bits`]) and the code length the true source gives this very
//! sample ([`Generated::self_information_bits`]), which is what an ideal coder knowing
//! the source would spend on it.
//!
//! | file | source | bits per byte (default seed) |
//! |---|---|---|
//! | `iid-skewed.bin` | i.i.d. bytes, Zipf(1.25) over a seeded permutation of 0..=255 | 5.05 |
//! | `bernoulli-0.1.bin` | 8 i.i.d. bits per byte, P(1) = 0.1 | 8·h(0.1) ≈ 3.75 |
//! | `uniform.bin` | uniform i.i.d. bytes | 8 |
//! | `markov2.txt` | order-2 Markov chain over 16 characters, stationary start | ≈ 2.03 |
//! | `text-like.txt` | i.i.d. Zipf(1.1) pseudo-words with i.i.d. separators | ≈ 2.12 |
//! | `mixture.txt` | 8-byte segments from one of 4 overlapping i.i.d. components over 16 letters | ≈ 3.67 |
//! | `ising-64-T*.pbm` | 2D Ising configurations at six temperatures ([`ising`], [`generate_ising`]) | 0.44–7.15 |
//!
//! Everything is a function of `(seed, size)` only: each source draws from its own
//! ChaCha8 stream, categorical distributions are sampled by inverse CDF on a 2^-53
//! grid, and every number that decides a sample is computed with basic IEEE operations
//! (no platform `ln`/`exp`/`pow`), so the bytes are the same on every machine. The
//! probabilities used for the entropies are exactly those the sampler draws with.
//!
//! ```
//! let files = kraft::corpus::generate_all(kraft::corpus::DEFAULT_SEED, 1 << 14);
//! for f in &files {
//!     let bpb = f.entropy_bits / f.data.len() as f64;
//!     assert!(bpb > 0.0 && bpb <= 8.0, "{}", f.name);
//! }
//! ```
//!
//! The files and their `MANIFEST.tsv` are written by [`write_suite`] (the CLI's
//! `kraft corpus gen DIR`), and read back by [`read_manifest`] and [`lookup`];
//! `corpora/README.md` describes the sources and the manifest.

mod dist;
mod iid;
pub mod ising;
mod manifest;
mod markov;
mod mixture;
pub mod onsager;
mod text;

use std::path::Path;

pub use manifest::ManifestEntry;

/// One generated file.
#[derive(Clone, Debug, PartialEq)]
pub struct Generated {
    /// File name, e.g. `iid-skewed.bin`.
    pub name: String,
    /// The file's contents.
    pub data: Vec<u8>,
    /// Exact expected code length of a sample of this length from the true source,
    /// E[−log2 p(X)], in bits.
    pub entropy_bits: f64,
    /// −log2 p(x) of this very sample under the true source, in bits.
    pub self_information_bits: f64,
    /// One line (no tabs or newlines) saying what the source is.
    pub description: String,
}

/// Seed of the reference suite.
pub const DEFAULT_SEED: u64 = 1;

/// Default approximate size of each file, in bytes (1 MiB). Every file has exactly this
/// size except `text-like.txt`, which has a whole number of (word, separator) pairs.
pub const DEFAULT_SIZE: usize = 1 << 20;

/// All built-in sources, about `size` bytes each; deterministic for `(seed, size)`.
pub fn generate_all(seed: u64, size: usize) -> Vec<Generated> {
    vec![
        iid::Skewed::new(seed).generate(seed, size),
        iid::bernoulli(seed, size),
        iid::uniform(seed, size),
        markov::Markov2::new(seed).generate(seed, size),
        text::TextLike::new(seed).generate(seed, size),
        mixture::MixtureSource::new(seed).generate(seed, size),
    ]
}

/// Generate all sources and write each file into `dir` (created if missing), plus
/// `MANIFEST.tsv` describing them; return what was written.
///
/// # Errors
/// Any I/O error creating `dir` or writing the files.
pub fn write_suite(dir: &Path, seed: u64, size: usize) -> std::io::Result<Vec<Generated>> {
    let files = generate_all(seed, size);
    manifest::write(dir, &files)?;
    Ok(files)
}

/// The 2D Ising files ([`ising`]): one multi-image PBM per temperature of
/// [`ising::DEFAULT_TEMPERATURES`], `samples` configurations of `side`×`side` each.
pub fn generate_ising(seed: u64, side: usize, samples: usize) -> Vec<Generated> {
    ising::generate_suite(seed, side, samples)
}

/// Write `files` into `dir` (created if missing) with their `MANIFEST.tsv`.
///
/// # Errors
/// Any I/O error, or a tab or newline in a name or description.
pub fn write_files(dir: &Path, files: &[Generated]) -> std::io::Result<()> {
    manifest::write(dir, files)
}

/// Parse a `MANIFEST.tsv` written by [`write_suite`].
///
/// The first line must be the header
/// `file\tbytes\tsha256\tentropy_bits\tself_information_bits\tdescription`; blank lines
/// are ignored.
///
/// # Errors
/// I/O errors, and [`std::io::ErrorKind::InvalidData`] (naming the line) for a missing
/// header, a wrong number of fields, or a field that does not parse.
pub fn read_manifest(path: &Path) -> std::io::Result<Vec<ManifestEntry>> {
    manifest::read(path)
}

/// Look for `MANIFEST.tsv` in the directory of `file` and return its entry for the
/// file's name, if there is a readable manifest with such an entry. The file itself is
/// not read: compare [`ManifestEntry::bytes`] and [`ManifestEntry::sha256`] to be sure
/// it is the file the manifest describes.
pub fn lookup(file: &Path) -> Option<ManifestEntry> {
    manifest::lookup(file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::empirical_entropies;

    const N: usize = 256 << 10;

    fn by_name<'a>(files: &'a [Generated], name: &str) -> &'a Generated {
        files.iter().find(|g| g.name == name).unwrap()
    }

    #[test]
    fn deterministic_and_seeded() {
        let a = generate_all(DEFAULT_SEED, 1 << 14);
        let b = generate_all(DEFAULT_SEED, 1 << 14);
        let c = generate_all(DEFAULT_SEED + 1, 1 << 14);
        assert_eq!(a, b);
        assert_eq!(a.len(), c.len());
        for (x, y) in a.iter().zip(&c) {
            assert_eq!(x.name, y.name);
            assert_ne!(x.data, y.data, "{}", x.name);
        }
        // A shorter file is a prefix of a longer one for the fixed-length sources.
        let d = generate_all(DEFAULT_SEED, 1 << 12);
        for (x, y) in a.iter().zip(&d).take(4) {
            assert_eq!(&x.data[..y.data.len()], &y.data[..], "{}", x.name);
        }
    }

    /// Pins the output: a change here changes every published corpus.
    #[test]
    fn golden_hashes() {
        let files = generate_all(DEFAULT_SEED, 4096);
        let got: Vec<(&str, String)> = files
            .iter()
            .map(|g| (g.name.as_str(), manifest::sha256_hex(&g.data)))
            .collect();
        let want = [
            (
                "iid-skewed.bin",
                "a96f66550781b2f58658f3954e300609d2dbbd439c93ae80ccbf564d9304df4f",
            ),
            (
                "bernoulli-0.1.bin",
                "40a2028b449e2eb6d529fb0517ce1d8c0734fd23a2e4771acbda2b2c5c73a517",
            ),
            (
                "uniform.bin",
                "be483df99d94f0b3f7ca939312e02b1765fc6a3cb362e83bf22208e4e22a8e1c",
            ),
            (
                "markov2.txt",
                "19b0720eee744c6da121f46db50906f4e8c06975b753c3af643c7652a731d2f8",
            ),
            (
                "text-like.txt",
                "788bd7081b0ff6af9c82fd0ad35afe913f256ca2946d590a6eecb53cd6ba5dc7",
            ),
            (
                "mixture.txt",
                "f9d838938a5c80875045362148c1802d3f1bb5880335c40140e0ecedf9ec4199",
            ),
        ];
        assert_eq!(got.len(), want.len());
        for ((name, hash), (wname, whash)) in got.iter().zip(want) {
            assert_eq!((*name, hash.as_str()), (wname, whash));
        }
    }

    #[test]
    fn sizes_and_edge_cases() {
        for size in [0, 1, 2, 3, 100] {
            for g in generate_all(3, size) {
                if g.name == "text-like.txt" {
                    assert!(g.data.len() <= size + 40, "{} {}", g.name, g.data.len());
                } else {
                    assert_eq!(g.data.len(), size, "{}", g.name);
                }
                assert!(g.entropy_bits.is_finite() && g.entropy_bits >= 0.0);
                assert!(g.self_information_bits.is_finite());
                if g.data.is_empty() {
                    assert_eq!(g.entropy_bits, 0.0);
                }
            }
        }
        let files = generate_all(DEFAULT_SEED, N);
        let t = by_name(&files, "text-like.txt");
        assert!(t.data.len().abs_diff(N) < N / 100, "{}", t.data.len());
    }

    /// −log2 p(x) of a sample fluctuates around its mean E[−log2 p(X)] = entropy_bits.
    /// For i.i.d. symbols the standard deviation is exactly √(n·V), V the varentropy of
    /// one symbol; 5σ is exceeded with probability below 1e-6, and is well under 1% here.
    /// For the Markov chain the terms are dependent: the π-weighted varentropy of the
    /// rows is ≈ 2 bits² and the chain mixes in a few steps, so σ is of the order of
    /// √(N·2) ≈ 700 bits ≈ 0.14% at 256 KiB, and the 1% bound is about 7σ (at 1 MiB the
    /// relative spread halves).
    #[test]
    fn self_information_near_entropy() {
        let files = generate_all(DEFAULT_SEED, N);
        for g in &files {
            let diff = g.self_information_bits - g.entropy_bits;
            assert!(
                diff.abs() < 0.01 * g.entropy_bits,
                "{}: {} vs {}",
                g.name,
                g.self_information_bits,
                g.entropy_bits
            );
        }
        let sigma = |g: &Generated, n: f64, v: f64| {
            let d = g.self_information_bits - g.entropy_bits;
            let s = (n * v).sqrt();
            assert!(d.abs() < 5.0 * s, "{}: {d} bits off, σ = {s}", g.name);
        };
        let skewed = iid::Skewed::new(DEFAULT_SEED);
        sigma(
            by_name(&files, "iid-skewed.bin"),
            N as f64,
            skewed.dist.varentropy(),
        );
        sigma(
            by_name(&files, "bernoulli-0.1.bin"),
            8.0 * N as f64,
            iid::bernoulli_dist().varentropy(),
        );
        let t = text::TextLike::new(DEFAULT_SEED);
        sigma(
            by_name(&files, "text-like.txt"),
            t.pairs_for(N) as f64,
            t.word.varentropy() + t.sep.varentropy(),
        );
        let u = by_name(&files, "uniform.bin");
        assert_eq!(u.self_information_bits, u.entropy_bits);
        assert_eq!(u.entropy_bits, 8.0 * N as f64);
    }

    /// For i.i.d. bytes the plug-in H0 satisfies N·H0 = −log2 p(x) − N·KL(p̂ ‖ p) with
    /// p̂ the empirical distribution, so H0 ≤ self-information / N, and 2N ln2 · KL is
    /// about χ² with (256 − 1) degrees of freedom: below 255 + 5√510 except with
    /// probability < 1e-5. With the 5σ bound on the self-information this puts the true
    /// rate within a computed slack of H0. Sources with memory have an entropy rate far
    /// below H0 (the mixture, whose memory ends with each 8-byte segment, less far).
    #[test]
    fn entropy_against_empirical_order0() {
        let files = generate_all(DEFAULT_SEED, N);
        let kl_max = (255.0 + 5.0 * 510f64.sqrt()) / (2.0 * N as f64 * std::f64::consts::LN_2);
        for g in &files {
            let n = g.data.len() as f64;
            let rate = g.entropy_bits / n;
            let info = g.self_information_bits / n;
            let h0 = empirical_entropies(&g.data)[0];
            // Variance of one byte's −log2 p, for the i.i.d. sources.
            let v = match g.name.as_str() {
                "iid-skewed.bin" => iid::Skewed::new(DEFAULT_SEED).dist.varentropy(),
                "bernoulli-0.1.bin" => 8.0 * iid::bernoulli_dist().varentropy(),
                "uniform.bin" => 0.0,
                // Memory only within 8-byte segments: below H0, by less.
                "mixture.txt" => {
                    assert!(rate < h0 - 0.05, "{}: {rate} vs H0 {h0}", g.name);
                    continue;
                }
                _ => {
                    assert!(rate < h0 - 1.0, "{}: {rate} vs H0 {h0}", g.name);
                    continue;
                }
            };
            assert!(h0 <= info + 1e-12, "{}: H0 {h0} > {info}", g.name);
            assert!(info - h0 < kl_max, "{}: H0 {h0}, {info}", g.name);
            let slack = kl_max + 5.0 * (v / n).sqrt();
            assert!((rate - h0).abs() < slack, "{}: {rate} vs H0 {h0}", g.name);
        }
    }

    /// The reference suite at its default size: each sample's information content is
    /// within 0.2% of its source's entropy, and so is the empirical order-0 entropy of
    /// the i.i.d. sources. Prints the figures (`cargo test --release --lib
    /// default_suite_summary -- --nocapture`).
    #[test]
    fn default_suite_summary() {
        for g in generate_all(DEFAULT_SEED, DEFAULT_SIZE) {
            let n = g.data.len() as f64;
            let h = empirical_entropies(&g.data);
            let rate = g.entropy_bits / n;
            assert!(
                (g.self_information_bits / n - rate).abs() <= 0.002 * rate,
                "{}",
                g.name
            );
            if g.name.starts_with("iid")
                || g.name.starts_with("bernoulli")
                || g.name == "uniform.bin"
            {
                assert!(
                    (h[0] - rate).abs() <= 0.002 * rate,
                    "{}: H0 {}",
                    g.name,
                    h[0]
                );
            }
            println!(
                "{:18} {:8} bytes  {:.6} bits/byte  self-info {:.6}  H0 {:.6}  H1 {:.6}  H2 {:.6}",
                g.name,
                g.data.len(),
                g.entropy_bits / n,
                g.self_information_bits / n,
                h[0],
                h[1],
                h[2]
            );
            println!("    {}", g.description);
            println!(
                "{}",
                String::from_utf8_lossy(&g.data[..300.min(g.data.len())])
            );
        }
    }

    #[test]
    fn markov_rate_matches_empirical_h2() {
        let m = markov::Markov2::new(DEFAULT_SEED);
        assert!(
            m.iterations < 10_000,
            "power iteration took {}",
            m.iterations
        );
        // π is stationary: Σ_a π(ab) P(c | ab) = π(bc).
        let k = markov::ALPHABET.len();
        for bc in 0..k * k {
            let (b, c) = (bc / k, bc % k);
            let flow: f64 = (0..k)
                .map(|a| m.pi[a * k + b] * m.rows[a * k + b].p[c])
                .sum();
            assert!(
                (flow - m.pi[bc]).abs() < 1e-15,
                "{bc}: {flow} vs {}",
                m.pi[bc]
            );
        }
        assert!(m.rate > 1.5 && m.rate < 2.5, "rate {}", m.rate);
        let g = m.generate(DEFAULT_SEED, 1 << 20);
        let h2 = empirical_entropies(&g.data)[2];
        assert!(
            (h2 - m.rate).abs() < 0.01 * m.rate,
            "h = {}, empirical H2 = {h2}",
            m.rate
        );
    }

    #[test]
    fn text_parses_back_into_pairs() {
        let t = text::TextLike::new(DEFAULT_SEED);
        let mut vocab = std::collections::HashMap::new();
        for (i, w) in t.words.iter().enumerate() {
            assert!(!w.is_empty() && w.iter().all(u8::is_ascii_lowercase));
            assert!(vocab.insert(w.as_slice(), i).is_none(), "duplicate word");
        }
        assert_eq!(vocab.len(), text::VOCABULARY);
        let g = t.generate(DEFAULT_SEED, 64 << 10);
        let mut info = 0.0;
        let mut pairs = 0;
        let mut rest = g.data.as_slice();
        while !rest.is_empty() {
            let wl = rest.iter().take_while(|b| b.is_ascii_lowercase()).count();
            let sl = rest[wl..]
                .iter()
                .take_while(|b| !b.is_ascii_lowercase())
                .count();
            let w = vocab[&rest[..wl]];
            let s = text::SEPARATORS
                .iter()
                .position(|s| s.0.as_bytes() == &rest[wl..wl + sl])
                .unwrap();
            info += t.word.cost[w] + t.sep.cost[s];
            pairs += 1;
            rest = &rest[wl + sl..];
        }
        assert_eq!(pairs, t.pairs_for(64 << 10));
        assert!((info - g.self_information_bits).abs() < 1e-6 * info);
    }

    #[test]
    fn suite_and_manifest_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("suite");
        let files = write_suite(&sub, 5, 3000).unwrap();
        let entries = read_manifest(&sub.join("MANIFEST.tsv")).unwrap();
        assert_eq!(entries.len(), files.len());
        for (g, e) in files.iter().zip(&entries) {
            assert_eq!(e, &ManifestEntry::of(g));
            let on_disk = std::fs::read(sub.join(&e.name)).unwrap();
            assert_eq!(on_disk, g.data);
            assert_eq!(e.sha256, manifest::sha256_hex(&on_disk));
            assert_eq!(lookup(&sub.join(&g.name)).as_ref(), Some(e));
        }
        assert_eq!(lookup(&sub.join("absent.bin")), None);
        assert_eq!(lookup(&dir.path().join("iid-skewed.bin")), None);

        let manifest = std::fs::read_to_string(sub.join("MANIFEST.tsv")).unwrap();
        let bad = |text: &str| {
            let p = dir.path().join("bad.tsv");
            std::fs::write(&p, text).unwrap();
            let e = read_manifest(&p).unwrap_err();
            assert_eq!(e.kind(), std::io::ErrorKind::InvalidData, "{text:?}");
        };
        let header = manifest.lines().next().unwrap();
        let row = manifest.lines().nth(1).unwrap();
        bad("");
        bad(&format!("{row}\n"));
        bad(&format!("{header}\n{row}\textra\n"));
        bad(&format!("{header}\na\t1\t00\t1\t1\td\n"));
        bad(&format!("{header}\n{}\n", row.replacen('\t', "\tx", 1)));
        bad(&format!(
            "{header}\n{}\n",
            row.replace("\t3000\t", "\t-1\t")
        ));
        let nan = row
            .split('\t')
            .enumerate()
            .map(|(i, f)| if i == 3 { "NaN" } else { f });
        bad(&format!(
            "{header}\n{}\n",
            nan.collect::<Vec<_>>().join("\t")
        ));
        let p = dir.path().join("ok.tsv");
        std::fs::write(&p, format!("{header}\n\n{row}\n\n")).unwrap();
        assert_eq!(read_manifest(&p).unwrap().len(), 1);
    }
}
