//! The x86 filter on arbitrary bytes: encoding then decoding gives them back, and both
//! directions convert the same operands. Then the bytes with calls woven in (so that the
//! block looks like code) go through cm, which tries the filter and keeps the smaller
//! coding: the stream must decode to them exactly, on one thread and on two.
#![no_main]

use kraft::Options;
use kraft::filter::x86;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut b = data.to_vec();
    let n = x86::encode(&mut b);
    assert_eq!(x86::decode(&mut b), n);
    assert_eq!(b, data);
    if data.len() < 64 {
        return;
    }
    let mut code = Vec::with_capacity(data.len() * 3);
    for (i, chunk) in data.chunks(3).enumerate() {
        code.push(0xE8);
        code.extend_from_slice(&[(i * 7) as u8, (i >> 5) as u8, 0, 0]);
        code.extend_from_slice(chunk);
    }
    let packed = kraft::compress(&code, &Options::new().level(1).block_size(4096)).unwrap();
    assert_eq!(kraft::decompress(&packed).unwrap(), code);
    let mut out = Vec::new();
    kraft::Decoder::new(&packed[..])
        .threads(2)
        .read_all(&mut out)
        .unwrap();
    assert_eq!(out, code);
});
