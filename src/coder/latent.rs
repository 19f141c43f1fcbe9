//! Bits-back coding of latent-variable models on one ANS stack.

use super::*;

/// Cut `data` into segments where the model says they end (and at the end).
fn segments<'a, M: LatentModel + ?Sized>(model: &M, data: &'a [u8]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 0..data.len() {
        if model.segment_ends(&data[start..=i]) {
            out.push(&data[start..=i]);
            start = i + 1;
        }
    }
    if start < data.len() {
        out.push(&data[start..]);
    }
    out
}

/// What bits-back coding of one block achieved against its bounds, in bits.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct LatentStats {
    /// Segments coded.
    pub segments: u64,
    /// Latent values the model uses (the most in any block).
    pub components: u64,
    /// −log2 p(x) under the model: Σ over segments of −log2 Σ_z p(z) p(segment | z).
    pub log_likelihood_bits: f64,
    /// The negative evidence lower bound with the coder's posterior q:
    /// Σ_z q(z | segment) (−log2 p(z) p(segment | z) + log2 q(z | segment)).
    pub neg_elbo_bits: f64,
    /// The naive path's cost: the most probable z under q, coded with the prior, then the
    /// segment with it.
    pub naive_bits: f64,
    /// What coding the last segments naively (to put the first bits on the stack) cost
    /// over bits-back: Σ −log2 q(ẑ | segment) over those segments.
    pub initial_bits: f64,
}

impl LatentStats {
    /// Add another block's figures.
    pub fn add(&mut self, other: &LatentStats) {
        self.segments += other.segments;
        self.components = self.components.max(other.components);
        self.log_likelihood_bits += other.log_likelihood_bits;
        self.neg_elbo_bits += other.neg_elbo_bits;
        self.naive_bits += other.naive_bits;
        self.initial_bits += other.initial_bits;
    }
}

/// −log2 p(z) p(segment | z) in bits.
fn joint_bits<M: LatentModel + ?Sized>(model: &M, z: u8, seg: &[u8]) -> f64 {
    let mut bits = model.prior().cost_bits(z);
    for i in 0..seg.len() {
        bits += model.likelihood(z, &seg[..i]).cost_bits(seg[i]);
    }
    bits
}

/// The most probable value of `q` (the first, on ties).
fn most_probable(q: &Categorical) -> u8 {
    let f = q.frequencies();
    (0..256).fold(0, |best, s| if f[s] > f[best] { s } else { best }) as u8
}

/// Bits-back encoding: segments last to first, so that the decoder meets them in order.
/// Segments that start at or after [`LatentModel::naive_from`] are coded naively: the
/// most probable z under the posterior, then the segment, then z with the prior.
pub(super) fn encode_latent<M: LatentModel + ?Sized>(model: &M, data: &[u8]) -> Result<Coded> {
    let mut ans = DefaultAnsCoder::new();
    let mut ideal = 0.0;
    let mut stats = LatentStats {
        components: model.components() as u64,
        ..LatentStats::default()
    };
    let naive_from = model.naive_from();
    let segs = segments(model, data);
    let mut end = data.len();
    for seg in segs.into_iter().rev() {
        let start = end - seg.len();
        end = start;
        let q = model.posterior(seg);
        // The figures of the report: exact sums over every z the prior allows.
        let mut joint = [f64::INFINITY; 256];
        let mut lowest = f64::INFINITY;
        for z in 0..=255u8 {
            if model.prior().frequency(z) > 0 {
                joint[usize::from(z)] = joint_bits(model, z, seg);
                lowest = lowest.min(joint[usize::from(z)]);
            }
        }
        let mut marginal = 0.0;
        let mut elbo = 0.0;
        for z in 0..=255u8 {
            let j = joint[usize::from(z)];
            if j.is_finite() {
                marginal += (lowest - j).exp2();
            }
            let qz = f64::from(q.frequency(z)) / f64::from(ONE);
            if qz > 0.0 {
                elbo += qz * (j - q.cost_bits(z));
            }
        }
        let best = most_probable(&q);
        stats.segments += 1;
        stats.log_likelihood_bits += lowest - marginal.log2();
        stats.neg_elbo_bits += elbo;
        stats.naive_bits += joint[usize::from(best)];
        let z = if start >= naive_from {
            stats.initial_bits += q.cost_bits(best);
            best
        } else {
            let z = ans.decode_symbol(&q).map_err(|_| {
                Error::Model("the posterior cannot be decoded from the stack".into())
            })?;
            ideal -= q.cost_bits(z);
            z
        };
        for i in (0..seg.len()).rev() {
            let p = model.likelihood(z, &seg[..i]);
            ideal += p.cost_bits(seg[i]);
            ans.encode_symbol(seg[i], p).map_err(|_| impossible())?;
        }
        ideal += model.prior().cost_bits(z);
        ans.encode_symbol(z, model.prior())
            .map_err(|_| impossible())?;
    }
    let words = ans.into_compressed().unwrap_or_else(|e| match e {});
    Ok(Coded {
        payload: words_to_bytes(&words),
        ideal_bits: ideal,
        latent: Some(stats),
    })
}

/// Bits-back decoding: z from the prior, the segment from p(x | z), then z back onto
/// the stack with the posterior.
pub(super) fn decode_latent<M: LatentModel + ?Sized>(
    model: &M,
    payload: &[u8],
    len: usize,
    out: &mut Vec<u8>,
) -> Result<()> {
    let bad = |_| Error::bad_payload("bits-back payload is not valid");
    let mut ans = DefaultAnsCoder::from_compressed(words(payload)?)
        .map_err(|_| Error::bad_payload("ANS payload ends in a zero word"))?;
    let start = out.len();
    while out.len() - start < len {
        let z = ans.decode_symbol(model.prior()).map_err(bad)?;
        let seg_start = out.len();
        loop {
            let b = ans
                .decode_symbol(model.likelihood(z, &out[seg_start..]))
                .map_err(bad)?;
            out.push(b);
            if out.len() - start == len || model.segment_ends(&out[seg_start..]) {
                break;
            }
        }
        if seg_start - start < model.naive_from() {
            let q = model.posterior(&out[seg_start..]);
            ans.encode_symbol(z, &q)
                .map_err(|_| Error::bad_payload("latent value impossible under the posterior"))?;
        }
    }
    if !ans.is_empty() {
        return Err(Error::bad_payload("bits-back payload has data left over"));
    }
    Ok(())
}
