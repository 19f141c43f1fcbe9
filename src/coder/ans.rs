//! Static models on interleaved ANS stacks: the `iid` payload.

use super::*;

pub(super) fn encode_static(model: &Categorical, data: &[u8]) -> Result<Coded> {
    let mut counts = [0u64; 256];
    for &b in data {
        counts[usize::from(b)] += 1;
    }
    let mut ideal = 0.0;
    for (s, &c) in counts.iter().enumerate() {
        if c > 0 {
            if model.frequency(s as u8) == 0 {
                return Err(impossible());
            }
            ideal += c as f64 * model.cost_bits(s as u8);
        }
    }
    // LANES interleaved ANS stacks (byte i goes to stack i % LANES) so that the CPU
    // overlaps their dependency chains; each is a stack, so bytes are pushed last to first.
    let mut ans: [DefaultAnsCoder; LANES] = std::array::from_fn(|_| DefaultAnsCoder::new());
    let whole = data.len() - data.len() % LANES;
    for (i, &b) in data.iter().enumerate().skip(whole).rev() {
        ans[i % LANES]
            .encode_symbol(b, model)
            .map_err(|_| impossible())?;
    }
    let [a0, a1, a2, a3] = &mut ans;
    for quad in data[..whole].chunks_exact(LANES).rev() {
        a3.encode_symbol(quad[3], model).map_err(|_| impossible())?;
        a2.encode_symbol(quad[2], model).map_err(|_| impossible())?;
        a1.encode_symbol(quad[1], model).map_err(|_| impossible())?;
        a0.encode_symbol(quad[0], model).map_err(|_| impossible())?;
    }
    let lanes: Vec<Vec<u32>> = ans
        .into_iter()
        .map(|a| a.into_compressed().unwrap_or_else(|e| match e {}))
        .collect();
    let mut words = Vec::with_capacity(LANES + lanes.iter().map(Vec::len).sum::<usize>());
    for lane in &lanes[..LANES - 1] {
        words.push(lane.len() as u32);
    }
    for lane in &lanes {
        words.extend_from_slice(lane);
    }
    Ok(Coded {
        payload: words_to_bytes(&words),
        ideal_bits: ideal,
        latent: None,
    })
}

pub(super) fn decode_static(
    model: &Categorical,
    payload: &[u8],
    len: usize,
    out: &mut Vec<u8>,
) -> Result<()> {
    let model = if !model.has_lookup() && len >= 1 << 14 {
        &model.clone().with_lookup()
    } else {
        model
    };
    let words = words(payload)?;
    if words.len() < LANES - 1 {
        return Err(Error::bad_payload("ANS payload is too short"));
    }
    let (lens, mut rest) = words.split_at(LANES - 1);
    let mut lanes: [&[u32]; LANES] = [&[]; LANES];
    for (lane, &n) in lanes.iter_mut().zip(lens) {
        if n as usize > rest.len() {
            return Err(Error::bad_payload("ANS lane length out of range"));
        }
        (*lane, rest) = rest.split_at(n as usize);
    }
    lanes[LANES - 1] = rest;
    let mut ans = Vec::with_capacity(LANES);
    for lane in lanes {
        ans.push(
            DefaultAnsCoder::from_compressed_slice(lane)
                .map_err(|_| Error::bad_payload("ANS payload ends in a zero word"))?,
        );
    }
    let [a0, a1, a2, a3] = &mut ans[..] else {
        unreachable!("LANES is 4")
    };
    let bad = |_| Error::bad_payload("ANS decoder error");
    let start = out.len();
    for _ in 0..len / LANES {
        let b0 = a0.decode_symbol(model).map_err(bad)?;
        let b1 = a1.decode_symbol(model).map_err(bad)?;
        let b2 = a2.decode_symbol(model).map_err(bad)?;
        let b3 = a3.decode_symbol(model).map_err(bad)?;
        out.extend_from_slice(&[b0, b1, b2, b3]);
    }
    for i in out.len() - start..len {
        out.push(ans[i % LANES].decode_symbol(model).map_err(bad)?);
    }
    if ans.iter().any(|a| !a.is_empty()) {
        return Err(Error::bad_payload(
            "ANS payload has data left after the last symbol",
        ));
    }
    Ok(())
}
