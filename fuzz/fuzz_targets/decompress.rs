//! Any bytes given to `kraft::decompress`: an error or some output, never a panic, a
//! hang or an unbounded allocation. Seed with real `.kft` files (fuzz/README.md).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = kraft::decompress(data);
});
