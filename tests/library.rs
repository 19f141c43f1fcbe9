//! Library round trips, bounds and error handling.

use std::io::Write;

use kraft::{Error, Options};
use proptest::prelude::*;

fn roundtrip(data: &[u8], options: &Options) -> Vec<u8> {
    let packed = kraft::compress(data, options).unwrap();
    assert_eq!(kraft::decompress(&packed).unwrap(), data);
    packed
}

#[test]
fn edge_inputs_round_trip() {
    let all: Vec<u8> = (0..=255).collect();
    for data in [&b""[..], b"x", &[7u8; 100_000], &all, &all.repeat(300)] {
        roundtrip(data, &Options::default());
        roundtrip(data, &Options::new().model("iid"));
        roundtrip(data, &Options::new().model("iid").block_size(1000));
    }
}

#[test]
fn one_repeated_byte_costs_no_payload() {
    let data = vec![b'a'; 1 << 20];
    let r = kraft::report(&data, &Options::new().model("iid")).unwrap();
    assert_eq!(r.payload_bits, 0);
    assert!(r.achieved_bits <= 8 * 48, "{} bits", r.achieved_bits);
}

/// Skewed i.i.d. bytes from a fixed generator: p(k) ∝ 0.97^k over all 256 values.
fn skewed(n: usize, seed: u64) -> Vec<u8> {
    let weights: Vec<f64> = (0..256).map(|k| 0.97f64.powi(k)).collect();
    let total: f64 = weights.iter().sum();
    let mut cdf = Vec::with_capacity(256);
    let mut acc = 0.0;
    for w in &weights {
        acc += w / total;
        cdf.push(acc);
    }
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let u = (x >> 11) as f64 / (1u64 << 53) as f64;
            cdf.partition_point(|&c| c < u).min(255) as u8
        })
        .collect()
}

/// The acceptance bound of the i.i.d. model: on 1 MB of i.i.d. data, achieved bits are
/// at most N·H0·1.001 plus the header, the table is at most 600 bytes, and the coder
/// loses less than 0.1% against the model's ideal code length.
#[test]
fn iid_reaches_the_empirical_entropy() {
    let data = skewed(1_000_000, 42);
    let r = kraft::report(&data, &Options::new().model("iid")).unwrap();
    let n = data.len() as f64;
    let h0 = kraft::report::empirical_entropies(&data)[0];
    assert_eq!(r.blocks, 1);
    assert!(
        r.params_bits <= 8 * 600,
        "table {} bytes",
        r.params_bits / 8
    );
    assert!(
        (r.payload_bits as f64) <= n * h0 * 1.001,
        "payload {} bits, N·H0 = {}",
        r.payload_bits,
        n * h0
    );
    assert!(
        r.coder_overhead_percent < 0.1,
        "{}%",
        r.coder_overhead_percent
    );
    // The ideal code length of the quantized model is itself within 0.01% of N·H0.
    assert!(r.model_ideal_bits <= n * h0 * 1.0001);
    assert!(r.model_ideal_bits >= n * h0 - 1e-6);
    let packed = roundtrip(&data, &Options::new().model("iid"));
    assert_eq!(8 * packed.len() as u64, r.achieved_bits);
}

#[test]
fn table_for_all_256_symbols_is_small() {
    let data: Vec<u8> = (0..=255u8).cycle().take(1 << 16).collect();
    let r = kraft::report(&data, &Options::new().model("iid")).unwrap();
    assert!(r.params_bits / 8 <= 600);
}

#[test]
fn declared_size_mismatch_is_an_error() {
    let opts = Options::default().content_size(Some(10));
    let mut enc = kraft::Encoder::new(Vec::new(), &opts).unwrap();
    enc.write_all(b"short").unwrap();
    assert!(matches!(enc.finish(), Err(Error::InvalidOption(_))));
}

#[test]
fn bad_options_are_rejected() {
    assert!(matches!(
        kraft::compress(b"x", &Options::default().level(0)),
        Err(Error::InvalidOption(_))
    ));
    assert!(matches!(
        kraft::compress(b"x", &Options::default().level(10)),
        Err(Error::InvalidOption(_))
    ));
    assert!(matches!(
        kraft::compress(b"x", &Options::default().block_size(0)),
        Err(Error::InvalidOption(_))
    ));
    assert!(matches!(
        kraft::compress(b"x", &Options::default().model("nope")),
        Err(Error::UnknownModelName(_))
    ));
}

#[test]
fn damaged_streams_give_typed_errors() {
    let data = skewed(50_000, 3);
    let packed = kraft::compress(&data, &Options::new().model("iid").compact(false)).unwrap();
    assert!(matches!(kraft::decompress(b""), Err(Error::Truncated(_))));
    assert!(matches!(
        kraft::decompress(b"PK\x03\x04 not kraft"),
        Err(Error::BadMagic)
    ));
    let mut v = packed.clone();
    v[4] = 99;
    assert!(matches!(
        kraft::decompress(&v),
        Err(Error::UnsupportedVersion { found: 99, .. })
    ));
    let mut v = packed.clone();
    v[6] = 77; // model id: caught by the header checksum
    assert!(matches!(
        kraft::decompress(&v),
        Err(Error::HeaderChecksum { .. })
    ));
    // A payload byte in the middle of the only block.
    let mut v = packed.clone();
    let mid = v.len() / 2;
    v[mid] ^= 0x10;
    match kraft::decompress(&v) {
        Err(Error::Checksum { block: 0, .. }) | Err(Error::Corrupt { block: Some(0), .. }) => {}
        other => panic!("expected a block-0 error, got {other:?}"),
    }
    for cut in [1, 5, 12, packed.len() / 2, packed.len() - 1] {
        assert!(kraft::decompress(&packed[..cut]).is_err(), "cut at {cut}");
    }
    // Trailing garbage after a complete stream.
    let mut v = packed.clone();
    v.extend_from_slice(b"junk");
    assert!(kraft::decompress(&v).is_err());
}

#[test]
fn unknown_model_id_is_reported() {
    struct Other;
    impl kraft::model::Model for Other {
        fn id(&self) -> u8 {
            250
        }
        fn name(&self) -> &str {
            "other"
        }
        fn fit(&self, _: &[u8], _: &mut Vec<u8>) -> kraft::Result<kraft::model::Predictor> {
            Ok(kraft::model::Predictor::Static(Box::new(
                kraft::model::Categorical::uniform(),
            )))
        }
        fn load(&self, _: &[u8], _: usize) -> kraft::Result<kraft::model::Predictor> {
            self.fit(&[], &mut Vec::new())
        }
    }
    let packed = kraft::compress_with(b"some bytes to code", &Options::default(), &Other).unwrap();
    assert!(matches!(
        kraft::decompress(&packed),
        Err(Error::UnknownModel(250))
    ));
}

/// A byte-wise adaptive model through the generic driver: order-1 counts.
struct Order1 {
    counts: Vec<[u32; 256]>,
    prev: usize,
    dist: kraft::model::Categorical,
}

impl kraft::model::ByteModel for Order1 {
    fn predict(&mut self) -> &kraft::model::Categorical {
        let row = &self.counts[self.prev];
        let total: u64 = row.iter().map(|&c| u64::from(c)).sum();
        // Spread 2^16 over counts (+1 each), exactly.
        let mut freq = [0u32; 256];
        let mut left = 65536u64 - 256;
        let mut acc = 0u64;
        for (s, f) in freq.iter_mut().enumerate() {
            let share = left * u64::from(row[s]) / total.max(1);
            *f = 1 + share as u32;
            acc += share;
        }
        left -= acc;
        freq[0] += left as u32;
        self.dist = kraft::model::Categorical::from_frequencies(freq).unwrap();
        &self.dist
    }
    fn update(&mut self, byte: u8) {
        self.counts[self.prev][usize::from(byte)] += 1;
        self.prev = usize::from(byte);
    }
}

struct Order1Model;
impl kraft::model::Model for Order1Model {
    fn id(&self) -> u8 {
        201
    }
    fn name(&self) -> &str {
        "order1"
    }
    fn fit(&self, _: &[u8], _: &mut Vec<u8>) -> kraft::Result<kraft::model::Predictor> {
        self.load(&[], 0)
    }
    fn load(&self, _: &[u8], _: usize) -> kraft::Result<kraft::model::Predictor> {
        Ok(kraft::model::Predictor::Bytes(Box::new(Order1 {
            counts: vec![[0; 256]; 256],
            prev: 0,
            dist: kraft::model::Categorical::uniform(),
        })))
    }
}

#[test]
fn a_user_byte_model_gets_a_file_and_a_report() {
    let data = b"abababababcbcbcbcabababab".repeat(400);
    let packed = kraft::compress_with(&data, &Options::default(), &Order1Model).unwrap();
    let mut reg = kraft::Registry::builtin();
    reg.register(201, |_| Ok(Box::new(Order1Model))).unwrap();
    assert_eq!(kraft::decompress_with(&packed, &reg).unwrap(), data);
    let r = kraft::report_with(&data, &Options::default(), &Order1Model).unwrap();
    assert_eq!(r.achieved_bits, 8 * packed.len() as u64);
    // Range coder: within 0.1% of the model's ideal code length plus its flush words.
    assert!(
        r.coder_overhead_bits < r.model_ideal_bits * 0.001 + 64.0,
        "{r:?}"
    );
    assert!(r.bits_per_byte < 1.0);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_bytes_round_trip(data in proptest::collection::vec(any::<u8>(), 0..5000), bs in 1usize..3000) {
        let packed = kraft::compress(&data, &Options::new().model("iid").block_size(bs)).unwrap();
        prop_assert_eq!(kraft::decompress(&packed).unwrap(), data);
    }

    #[test]
    fn skewed_bytes_round_trip(data in proptest::collection::vec(prop_oneof![9 => Just(b'a'), 1 => any::<u8>()], 0..20000)) {
        let packed = kraft::compress(&data, &Options::default()).unwrap();
        prop_assert_eq!(kraft::decompress(&packed).unwrap(), data);
    }

    #[test]
    fn damaged_streams_never_panic(data in proptest::collection::vec(any::<u8>(), 1..3000), pos in any::<prop::sample::Index>(), bit in 0u8..8) {
        let mut packed = kraft::compress(&data, &Options::new().model("iid")).unwrap();
        let i = pos.index(packed.len());
        packed[i] ^= 1 << bit;
        // Either an error or, when the flip hit a bit that does not matter, the original.
        if let Ok(out) = kraft::decompress(&packed) {
            prop_assert_eq!(out, data);
        }
    }
}

/// Two overlapping components over {a, b}, segments of 8 bytes: a latent-variable model
/// coded with bits-back through the generic driver.
struct Mixture {
    prior: kraft::model::Categorical,
    comps: [kraft::model::Categorical; 2],
}

const P_A: [f64; 2] = [0.8, 0.3];

fn component(p_a: f64) -> kraft::model::Categorical {
    // 'a' and 'b' share all but 254 units; every other byte keeps one unit.
    let mass = 65536 - 254;
    let mut f = [1u32; 256];
    f[usize::from(b'a')] = (p_a * mass as f64).round() as u32;
    f[usize::from(b'b')] = mass - f[usize::from(b'a')];
    kraft::model::Categorical::from_frequencies(f).unwrap()
}

impl Mixture {
    fn new() -> Self {
        let mut prior = [0u32; 256];
        prior[0] = 32768;
        prior[1] = 32768;
        Mixture {
            prior: kraft::model::Categorical::from_frequencies(prior).unwrap(),
            comps: [component(P_A[0]), component(P_A[1])],
        }
    }

    /// −log2 p(segment) under the model's own quantized probabilities.
    fn neg_log2_marginal(&self, seg: &[u8]) -> f64 {
        let like = |z: usize| -> f64 {
            seg.iter()
                .map(|&b| f64::from(self.comps[z].frequency(b)) / 65536.0)
                .product()
        };
        -(0.5 * like(0) + 0.5 * like(1)).log2()
    }
}

impl kraft::model::LatentModel for Mixture {
    fn prior(&self) -> &kraft::model::Categorical {
        &self.prior
    }
    fn posterior(&self, segment: &[u8]) -> kraft::model::Categorical {
        let like = |z: usize| -> f64 {
            segment
                .iter()
                .map(|&b| f64::from(self.comps[z].frequency(b)))
                .map(|f| f.ln())
                .sum()
        };
        let (l0, l1) = (like(0), like(1));
        let q0 = 1.0 / (1.0 + (l1 - l0).exp());
        let f0 = ((q0 * 65536.0).round() as u32).clamp(1, 65535);
        let mut f = [0u32; 256];
        f[0] = f0;
        f[1] = 65536 - f0;
        kraft::model::Categorical::from_frequencies(f).unwrap()
    }
    fn likelihood(&self, z: u8, _prefix: &[u8]) -> &kraft::model::Categorical {
        &self.comps[usize::from(z)]
    }
    fn segment_ends(&self, segment: &[u8]) -> bool {
        segment.len() == 8
    }
}

struct MixtureModel;
impl kraft::model::Model for MixtureModel {
    fn id(&self) -> u8 {
        202
    }
    fn name(&self) -> &str {
        "toy-mixture"
    }
    fn fit(&self, _: &[u8], _: &mut Vec<u8>) -> kraft::Result<kraft::model::Predictor> {
        self.load(&[], 0)
    }
    fn load(&self, _: &[u8], _: usize) -> kraft::Result<kraft::model::Predictor> {
        Ok(kraft::model::Predictor::Latent(Box::new(Mixture::new())))
    }
}

#[test]
fn bits_back_reaches_the_marginal_code_length() {
    let model = Mixture::new();
    let mut x: u64 = 0x1234_5678_9abc_def1;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut data = Vec::new();
    for _ in 0..20_000 {
        let z = usize::from(next() < 0.5);
        for _ in 0..8 {
            data.push(if next() < P_A[z] { b'a' } else { b'b' });
        }
    }
    data.extend_from_slice(b"ab"); // a short last segment, ended by the block
    let marginal: f64 = data.chunks(8).map(|s| model.neg_log2_marginal(s)).sum();
    let options = Options::new().block_size(1 << 20);
    let packed = kraft::compress_with(&data, &options, &MixtureModel).unwrap();
    let mut reg = kraft::Registry::builtin();
    reg.register(202, |_| Ok(Box::new(MixtureModel))).unwrap();
    assert_eq!(kraft::decompress_with(&packed, &reg).unwrap(), data);
    let r = kraft::report_with(&data, &options, &MixtureModel).unwrap();
    // With the exact posterior the net cost is −log2 p(x): within 0.5% plus the
    // first segment's missing bits and the coder's final words.
    assert!(
        (r.payload_bits as f64) < marginal * 1.005 + 64.0,
        "payload {} bits, −log2 p(x) = {marginal:.0}",
        r.payload_bits
    );
    assert!((r.model_ideal_bits - marginal).abs() < marginal * 0.005 + 64.0);
    // Coding the most probable component naively wastes −log2 q(ẑ | segment) per segment;
    // bits-back must win back at least 80% of that waste.
    let naive: f64 = data
        .chunks(8)
        .map(|s| {
            let q = kraft::model::LatentModel::posterior(&model, s);
            let z = if q.frequency(0) >= q.frequency(1) {
                0u8
            } else {
                1
            };
            1.0 + s
                .iter()
                .map(|&b| model.comps[usize::from(z)].cost_bits(b))
                .sum::<f64>()
        })
        .sum();
    let waste = naive - marginal;
    assert!(
        waste > 1_000.0,
        "the components should overlap: waste {waste:.0} bits"
    );
    assert!(
        (r.payload_bits as f64) < naive - 0.8 * waste + 64.0,
        "{} bits vs naive {naive:.0} (waste {waste:.0})",
        r.payload_bits
    );
    // A damaged payload errors or decodes exactly; it never panics.
    for i in (40..packed.len()).step_by(97) {
        let mut v = packed.clone();
        v[i] ^= 0x20;
        if let Ok(out) = kraft::decompress_with(&v, &reg) {
            assert_eq!(out, data);
        }
    }
}

#[test]
fn a_registry_never_replaces_a_model() {
    let mut reg = kraft::Registry::builtin();
    for id in [0u8, 1, 2, 127] {
        assert!(matches!(
            reg.register(id, |_| Ok(Box::new(Order1Model))),
            Err(kraft::Error::InvalidOption(_))
        ));
    }
    reg.register(128, |_| Ok(Box::new(Order1Model))).unwrap();
    assert!(reg.register(128, |_| Ok(Box::new(Order1Model))).is_err());
    // The built-in models are still the ones built.
    assert_eq!(reg.build(2, &[6]).unwrap().name(), "cm");
}

#[test]
fn corruption_says_which_part_of_the_stream_is_wrong() {
    use kraft::CorruptKind;
    let kind = |r: kraft::Result<Vec<u8>>| match r {
        Err(Error::Corrupt { kind, .. }) => Some(kind),
        _ => None,
    };
    let data = b"which part of the stream is wrong? ".repeat(200);
    let opts = Options::new().level(2).compact(false);
    let packed = kraft::compress(&data, &opts).unwrap();
    let mut r = &packed[..];
    let header = kraft::format::Header::read_from(&mut r).unwrap().unwrap();
    let at = packed.len() - r.len();
    let frame = kraft::format::BlockHeader::read_from(&mut r, header.block_size)
        .unwrap()
        .unwrap();
    let data_at = packed.len() - r.len();
    // The container: an unknown block kind.
    let mut v = packed.clone();
    v[at] = 9;
    assert_eq!(kind(kraft::decompress(&v)), Some(CorruptKind::Container));
    // The parameters: a cm flag bit no level allows (bit 7).
    let mut v = packed.clone();
    assert_eq!(v[data_at], 1, "one byte of parameters");
    v[data_at + 1] |= 0x80;
    assert_eq!(kind(kraft::decompress(&v)), Some(CorruptKind::Parameters));
    // The payload: words left over after the last symbol (two zero words appended and
    // the data length grown to cover them; the decoder takes one zero word past the end
    // of a payload, so one alone would still be a valid payload).
    let mut v = packed[..data_at].to_vec();
    let mut f = frame;
    f.data_len += 8;
    let mut fb = Vec::new();
    f.write(&mut fb);
    v.truncate(at);
    v.extend_from_slice(&fb);
    v.extend_from_slice(&packed[data_at..data_at + frame.data_len as usize]);
    v.extend_from_slice(&[0; 8]);
    v.extend_from_slice(&packed[data_at + frame.data_len as usize..]);
    assert_eq!(kind(kraft::decompress(&v)), Some(CorruptKind::Payload));
}
