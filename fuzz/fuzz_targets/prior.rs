//! Trained priors: the fuzzer's bytes are a choice of model and frame, samples, a record
//! and damage. The prior is trained on the samples and read back from its bytes; the
//! record coded with it must come back exactly, and only with it. Then the prior file and
//! the coded record are damaged: reading the prior must fail cleanly or give a prior, and
//! decoding must fail cleanly or give back exactly the record. The raw input is also read
//! as a prior file.
#![no_main]

use kraft::{Decoder, Options, Prior};
use libfuzzer_sys::fuzz_target;

fn decode(packed: &[u8], prior: Option<&Prior>) -> kraft::Result<Vec<u8>> {
    let mut dec = Decoder::new(packed);
    if let Some(p) = prior {
        dec = dec.prior(p);
    }
    let mut out = Vec::new();
    dec.read_all(&mut out)?;
    Ok(out)
}

fuzz_target!(|data: &[u8]| {
    let _ = Prior::from_bytes(data);
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let third = rest.len() / 3;
    let (samples, rest) = rest.split_at(third);
    let (record, damage) = rest.split_at(rest.len() / 2);
    let samples: Vec<&[u8]> = samples.split(|&b| b == b'\n').collect();
    let model = if pick & 1 == 0 { "cm" } else { "iid" };
    let opts = Options::new().model(model).level(1 + (pick >> 1) % 2);
    let Ok(prior) = Prior::train_within(&samples, &opts, 4096) else {
        return;
    };
    let prior = Prior::from_bytes(&prior.to_bytes()).expect("a prior reads back");
    let with = opts.clone().prior(&prior).compact(pick & 4 == 0).block_size(64);
    let packed = kraft::compress(record, &with).expect("any record compresses");
    assert_eq!(decode(&packed, Some(&prior)).expect("decodes with its prior"), record);
    assert!(decode(&packed, None).is_err(), "decoding needs the prior");

    let mut file = prior.to_bytes();
    let mut bad = packed.clone();
    for pair in damage.chunks_exact(3) {
        let at = usize::from(u16::from_le_bytes([pair[0], pair[1]]));
        if pair[2] & 1 == 0 {
            let i = at % file.len();
            file[i] ^= pair[2] | 2;
        } else {
            let i = at % bad.len();
            bad[i] ^= pair[2];
        }
    }
    if let Ok(p) = Prior::from_bytes(&file) {
        if let Ok(out) = decode(&packed, Some(&p)) {
            assert_eq!(out, record);
        }
    }
    if let Ok(out) = decode(&bad, Some(&prior)) {
        assert_eq!(out, record);
    }
});
