//! Any bytes given to the container parser alone (`kraft info`): the stream header, block
//! frames and trailer, without decoding any block. Fast, so it covers the size checks of
//! every field many times over; the decoder with a memory limit must agree that a stream
//! the parser refuses is refused.
#![no_main]

use std::io::Read;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let parsed = kraft::inspect(data);
    let mut out = Vec::new();
    let decoded = kraft::Decoder::new(data)
        .memory_limit(Some(8 << 20))
        .read_to_end(&mut out);
    if parsed.is_err() {
        assert!(decoded.is_err(), "the parser refuses what the decoder accepts");
    }
});
