//! The mixture model: exact round trips for any input and segmentation, bits-back
//! against the true model of a generated mixture source, and damaged input.

use kraft::Options;
use kraft::model::{Mixture, Segment};
use proptest::prelude::*;

fn mixture(segment: Segment, components: Option<usize>, bits_back: bool) -> Options {
    Options::new().model(
        Mixture::new()
            .segment(segment)
            .components(components)
            .bits_back(bits_back),
    )
}

fn roundtrip(data: &[u8], options: &Options) -> Vec<u8> {
    let packed = kraft::compress(data, options).unwrap();
    assert_eq!(kraft::decompress(&packed).unwrap(), data);
    packed
}

/// The generated mixture source (see `kraft::corpus`), 256 KiB.
fn source() -> kraft::corpus::Generated {
    kraft::corpus::generate_all(kraft::corpus::DEFAULT_SEED, 256 << 10)
        .into_iter()
        .find(|g| g.name == "mixture.txt")
        .expect("the suite has a mixture source")
}

/// The naive path's waste under the true model, as the generator states it.
fn naive_waste(g: &kraft::corpus::Generated) -> f64 {
    let tail = g
        .description
        .split("wastes ")
        .nth(1)
        .expect("description states the waste");
    tail.split(' ').next().unwrap().parse().unwrap()
}

#[test]
fn bits_back_reaches_the_true_code_length() {
    let g = source();
    let on = mixture(Segment::Fixed(8), None, true);
    let packed = roundtrip(&g.data, &on);
    let report = kraft::report(&g.data, &on).unwrap();
    let latent = report.latent.expect("mixture reports its latent figures");
    assert_eq!(latent.components, 4, "the source has four components");
    let achieved = 8.0 * packed.len() as f64;
    assert_eq!(achieved as u64, report.achieved_bits);
    let header = report.header_bits as f64;
    // Within 1% of the exact code length under the true model, plus the header.
    assert!(
        achieved <= 1.01 * (g.self_information_bits + header),
        "{achieved} bits vs {} + {header}",
        g.self_information_bits
    );
    // Within 0.5% of the model's own −ELBO plus header and initial bits.
    let bound = latent.neg_elbo_bits + header + latent.initial_bits;
    assert!(
        (achieved - bound).abs() <= 0.005 * bound,
        "{achieved} vs {bound}"
    );
    // Smaller than the i.i.d. model.
    let iid = kraft::compress(&g.data, &Options::new().model("iid")).unwrap();
    assert!(
        packed.len() < iid.len(),
        "{} vs iid {}",
        packed.len(),
        iid.len()
    );
    // Bits-back earns at least 80% of the naive path's waste.
    let off = roundtrip(&g.data, &mixture(Segment::Fixed(8), None, false));
    let saved = 8.0 * (off.len() as f64 - packed.len() as f64);
    let waste = naive_waste(&g);
    assert!(saved >= 0.8 * waste, "saved {saved} of {waste} bits");
}

#[test]
fn components_and_segments_are_honoured() {
    let g = source();
    for (segment, m) in [
        (Segment::Lines, Some(1)),
        (Segment::Fixed(64), Some(2)),
        (Segment::Fixed(3), Some(16)),
    ] {
        let options = mixture(segment, m, true);
        roundtrip(&g.data[..20_000], &options);
        let report = kraft::report(&g.data[..20_000], &options).unwrap();
        assert_eq!(report.latent.unwrap().components, m.unwrap() as u64);
    }
}

#[test]
fn edge_inputs_round_trip() {
    let text = b"one line\nanother line\n\n\nlast without newline".to_vec();
    for data in [
        &b"x"[..],
        &[7u8; 1000],
        &text,
        &(0..=255).collect::<Vec<u8>>(),
    ] {
        for bits_back in [true, false] {
            for segment in [Segment::Lines, Segment::Fixed(1), Segment::Fixed(64)] {
                roundtrip(data, &mixture(segment, None, bits_back));
            }
        }
    }
}

#[test]
fn damaged_files_error_or_decode_exactly() {
    let g = source();
    let data = &g.data[..30_000];
    let packed = kraft::compress(data, &mixture(Segment::Fixed(8), Some(4), true)).unwrap();
    let mut x: u64 = 12345;
    for i in 0..400 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let mut bad = packed.clone();
        if i % 4 == 0 {
            bad.truncate((x as usize) % packed.len());
        } else {
            let at = (x as usize >> 8) % bad.len();
            bad[at] ^= 1 << (x % 8);
        }
        if let Ok(out) = kraft::decompress(&bad) {
            assert_eq!(out, data, "damage {i} decoded to different bytes");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn any_input_and_segmentation_round_trips(
        data in proptest::collection::vec(prop_oneof![Just(b'\n'), any::<u8>(), 97u8..100], 0..3000),
        fixed in prop_oneof![Just(0usize), 1usize..200],
        components in prop_oneof![Just(None), (1usize..6).prop_map(Some)],
        bits_back in any::<bool>(),
    ) {
        let segment = if fixed == 0 { Segment::Lines } else { Segment::Fixed(fixed) };
        let options = mixture(segment, components, bits_back);
        let packed = kraft::compress(&data, &options).unwrap();
        prop_assert_eq!(kraft::decompress(&packed).unwrap(), data);
    }
}
