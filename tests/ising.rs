//! The 2D Ising corpus: its manifest carries Kaufman's exact entropy, the files are
//! what `corpus gen` writes, and the sampler's output is pinned.

use kraft::corpus::ising::{self, CRITICAL_TEMPERATURE};
use kraft::corpus::onsager::{Torus, onsager};
use sha2::{Digest, Sha256};

#[test]
fn manifest_has_the_exact_entropy() {
    let dir = tempfile::tempdir().unwrap();
    let files = kraft::corpus::generate_ising(2, 16, 60);
    assert_eq!(files.len(), ising::DEFAULT_TEMPERATURES.len());
    kraft::corpus::write_files(dir.path(), &files).unwrap();
    let entries = kraft::corpus::read_manifest(&dir.path().join("MANIFEST.tsv")).unwrap();
    for (g, &t) in files.iter().zip(&ising::DEFAULT_TEMPERATURES) {
        let e = entries.iter().find(|e| e.name == g.name).unwrap();
        assert_eq!(e.name, ising::file_name(16, t));
        assert_eq!(e.bytes, 60 * (9 + 16 * 2));
        let exact = 60.0 * 256.0 * Torus::new(16, t).entropy;
        assert!((e.entropy_bits - exact).abs() < 1e-9 * exact, "{}", e.name);
        // −log2 p of 60 independent configurations: mean S·N·s, spread √S·σ(E)/T/ln 2,
        // a few percent of the mean here (at T = 1.5 most of it is the sign bit).
        let rel = (e.self_information_bits - e.entropy_bits) / e.entropy_bits;
        assert!(rel.abs() < 0.1, "{}: {rel}", e.name);
        let path = dir.path().join(&e.name);
        assert_eq!(std::fs::read(&path).unwrap(), g.data);
        assert_eq!(kraft::corpus::lookup(&path).as_ref(), Some(e));
    }
}

#[test]
fn sampler_output_is_pinned() {
    // A change here changes every published Ising corpus.
    let run = ising::sample(1, 16, 2.5, 10);
    let hash: String = Sha256::digest(&run.data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(run.data.len(), 10 * (9 + 32));
    assert_eq!(
        hash,
        "70e44138c50fe89112486f566567f8e84061904177b11fea1c30b7dab7c9fcb3"
    );
}

#[test]
fn exact_entropies_of_the_default_suite() {
    // s_64 per temperature (ANCHORS.md to 5 digits; T = 4 computed here), and Onsager's s.
    let want = [
        (1.5, 0.05538, 0.05514),
        (2.0, 0.22099, 0.22075),
        (CRITICAL_TEMPERATURE, 0.43619, 0.44214),
        (2.5, 0.63036, 0.63036),
        (3.0, 0.78403, 0.78403),
        (4.0, 0.89417, 0.89417),
    ];
    for (t, s64, s) in want {
        assert!((Torus::new(64, t).entropy - s64).abs() < 6e-6, "T={t}");
        assert!((onsager(t).entropy - s).abs() < 6e-6, "T={t}");
    }
}
