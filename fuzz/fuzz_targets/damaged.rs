//! A valid stream damaged behind its header: the fuzzer's first byte picks a model, the
//! next ones are the original, the rest are (position, xor) pairs applied to the
//! compressed stream after its first 16 bytes. Decoding must fail cleanly or give back
//! exactly the original.
#![no_main]

use kraft::Options;
use kraft::model::Segment;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let split = rest.len() * 2 / 3;
    let (original, damage) = rest.split_at(split);
    let options = match pick % 6 {
        0 => Options::new().model("iid"),
        1 => Options::new().model("cm").level(1),
        2 => Options::new().model("cm").level(6).block_size(256),
        3 => Options::new().model("mixture"),
        4 => Options::new().model(
            kraft::model::Mixture::new()
                .segment(Segment::Fixed(5))
                .bits_back(false),
        ),
        _ => Options::new().model("grid"),
    };
    let Ok(mut packed) = kraft::compress(original, &options) else {
        return;
    };
    if packed.len() <= 16 {
        return;
    }
    let body = packed.len() - 16;
    for pair in damage.chunks_exact(3) {
        let at = 16 + (usize::from(u16::from_le_bytes([pair[0], pair[1]])) % body);
        packed[at] ^= pair[2];
    }
    if let Ok(out) = kraft::decompress(&packed) {
        assert_eq!(out, original);
    }
});
