//! The entropy report: achieved bits against the bounds.
//!
//! For a block of N bytes the report gives the empirical order-k entropies H0..H4
//! (plug-in estimates: the code length, per byte, of the best *semi-static* order-k
//! model of this very data, not counting the cost of describing that model, so an
//! adaptive model can beat them on real data and no model that pays for its parameters
//! reaches them on small data), the model's ideal code length Σ −log2 q(x_n | …)
//! (its cross-entropy with the data), and what was actually written, split into
//! container, parameters and payload.

use serde::Serialize;

/// Highest context order of the empirical entropies in a report.
pub const MAX_ORDER: usize = 4;

/// Empirical conditional entropies H(X_n | X_{n-k}..X_{n-1}) of `data`, k = 0..=4, in bits
/// per byte. The first k bytes are conditioned on the shorter context they have.
pub fn empirical_entropies(data: &[u8]) -> [f64; MAX_ORDER + 1] {
    let mut h = [0.0; MAX_ORDER + 1];
    if data.is_empty() {
        return h;
    }
    let n = data.len() as f64;
    // Order 0 and 1 with direct tables.
    let mut c0 = [0u64; 256];
    for &b in data {
        c0[usize::from(b)] += 1;
    }
    h[0] = (n * n.log2() - c0.iter().map(|&c| xlogx(c)).sum::<f64>()) / n;
    let mut c1 = vec![0u64; 256 * 257];
    let mut prev = 256usize; // "no context yet"
    for &b in data {
        c1[prev * 256 + usize::from(b)] += 1;
        prev = usize::from(b);
    }
    h[1] = conditional(&c1, 256) / n;
    // Orders 2..4: sort (context, symbol) keys, count runs.
    let mut keys: Vec<u64> = Vec::with_capacity(data.len());
    for (k, hk) in h.iter_mut().enumerate().skip(2) {
        keys.clear();
        let mut ctx: u64 = 0;
        for (i, &b) in data.iter().enumerate() {
            // Context: the last k bytes, plus how many exist (so short ones are distinct).
            let avail = i.min(k) as u64;
            let mask = if k == 8 {
                u64::MAX
            } else {
                (1u64 << (8 * k)) - 1
            };
            keys.push((avail << 40) | ((ctx & mask) << 8) | u64::from(b));
            ctx = (ctx << 8) | u64::from(b);
        }
        keys.sort_unstable();
        let mut bits = 0.0;
        let mut i = 0;
        while i < keys.len() {
            let ctx_key = keys[i] >> 8;
            let mut j = i;
            let mut inner = 0.0;
            while j < keys.len() && keys[j] >> 8 == ctx_key {
                let sym = keys[j];
                let start = j;
                while j < keys.len() && keys[j] == sym {
                    j += 1;
                }
                inner += xlogx((j - start) as u64);
            }
            bits += xlogx((j - i) as u64) - inner;
            i = j;
        }
        *hk = bits / n;
    }
    h
}

/// Σ_ctx [n_ctx log n_ctx − Σ_x n_ctx,x log n_ctx,x] for a dense table of rows of `width`.
fn conditional(counts: &[u64], width: usize) -> f64 {
    counts
        .chunks(width)
        .map(|row| {
            let total: u64 = row.iter().sum();
            xlogx(total) - row.iter().map(|&c| xlogx(c)).sum::<f64>()
        })
        .sum()
}

fn xlogx(c: u64) -> f64 {
    if c == 0 {
        0.0
    } else {
        let c = c as f64;
        c * c.log2()
    }
}

/// The pixels of a PBM stream (bilevel images, `P4` or `P1`) and the mean-field
/// baseline: the code length of independent pixels at each image's own density.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Pixels {
    /// Complete images found (from the start of the input, back to back).
    pub images: u64,
    /// Pixels in them (headers and padding bits not counted).
    pub pixels: u64,
    /// Pixels that are 1 (black; spin −1 in the Ising corpora).
    pub ones: u64,
    /// Σ over images of n_i · h(k_i / n_i), bits: n_i pixels of which k_i are 1, h the
    /// binary entropy. For spins this is Σ L² h((1 − m_i)/2) with m_i the image's
    /// magnetisation per spin: independent spins at the sample's magnetisation (the
    /// mean-field product distribution), not counting the cost of sending each m_i.
    pub mean_field_bits: f64,
    /// n · h(k / n) over all images together: one density for the whole stream.
    pub global_mean_field_bits: f64,
}

/// Binary entropy of `k` ones among `n`, times `n`, in bits.
fn nh(k: u64, n: u64) -> f64 {
    if n == 0 {
        return 0.0;
    }
    xlogx(n) - xlogx(k) - xlogx(n - k)
}

/// The images of `data` read as a PBM stream, if it starts with one.
pub fn pbm_pixels(data: &[u8]) -> Option<Pixels> {
    let images = crate::pbm::scan_pbm(data);
    if images.is_empty() {
        return None;
    }
    let (mut pixels, mut ones, mut mf) = (0u64, 0u64, 0.0);
    for img in &images {
        let n = (img.width as u64).saturating_mul(img.height);
        pixels += n;
        ones += img.ones;
        mf += nh(img.ones, n);
    }
    Some(Pixels {
        images: images.len() as u64,
        pixels,
        ones,
        mean_field_bits: mf,
        global_mean_field_bits: nh(ones, pixels),
    })
}

/// What an encoder wrote, split the way the entropy report needs it.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Stats {
    /// Original bytes.
    pub raw_bytes: u64,
    /// Container bytes: stream header, block frames, end marker and trailer.
    pub container_bytes: u64,
    /// Model parameter bytes stored in block data (with their length prefixes).
    pub params_bytes: u64,
    /// Entropy-coded payload bytes (and the original bytes of stored blocks).
    pub payload_bytes: u64,
    /// The model's ideal code length Σ −log2 q(x_n | …) over all bytes, in bits.
    pub ideal_bits: f64,
    /// Number of blocks.
    pub blocks: u64,
    /// Blocks kept as stored because the model would have expanded them.
    pub stored_blocks: u64,
    /// A latent-variable model's figures (bits-back against its bounds), summed over
    /// blocks.
    pub latent: Option<crate::coder::LatentStats>,
}

impl Stats {
    /// Total compressed bytes.
    pub fn compressed_bytes(&self) -> u64 {
        self.container_bytes + self.params_bytes + self.payload_bytes
    }
}

/// Achieved bits against the entropy bounds for one input.
///
/// Serialized as the `--json` output of `kraft report`; every field is documented in
/// `docs/REPORT.md`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// Model name.
    pub model: String,
    /// Level.
    pub level: u8,
    /// Original bytes, N.
    pub bytes: u64,
    /// Empirical order-0..4 entropies, bits per byte (`h[k]`).
    pub empirical_entropy_bpb: [f64; MAX_ORDER + 1],
    /// The model's ideal code length Σ −log2 q(x_n | …), bits.
    pub model_ideal_bits: f64,
    /// Everything written, bits (= header_bits + payload_bits).
    pub achieved_bits: u64,
    /// Container and model parameters, bits.
    pub header_bits: u64,
    /// Container framing only (stream header, block frames, trailer), bits.
    pub container_bits: u64,
    /// Model parameters (e.g. the i.i.d. table), bits.
    pub params_bits: u64,
    /// Entropy-coded payload, bits.
    pub payload_bits: u64,
    /// payload_bits − model_ideal_bits: what the entropy coder lost.
    pub coder_overhead_bits: f64,
    /// coder_overhead_bits as a percentage of model_ideal_bits.
    pub coder_overhead_percent: f64,
    /// H0·N, bits: the bound for a semi-static order-0 model.
    pub h0_bound_bits: f64,
    /// achieved_bits − H0·N.
    pub gap_to_h0_bits: f64,
    /// achieved_bits / N.
    pub bits_per_byte: f64,
    /// Blocks written.
    pub blocks: u64,
    /// Blocks stored uncoded because the model would have expanded them.
    pub stored_blocks: u64,
    /// Exact entropy of the source in bits, when known (generated corpora).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_entropy_bits: Option<f64>,
    /// A latent-variable model's figures (`mixture`): `segments`, `components`,
    /// `log_likelihood_bits`, `neg_elbo_bits`, `naive_bits`, `initial_bits`.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub latent: Option<crate::coder::LatentStats>,
    /// For a PBM stream: its pixels and the mean-field baseline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pixels: Option<Pixels>,
    /// Coded against a trained prior: what the same model wrote without it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prior: Option<PriorSavings>,
}

/// What a trained prior saved: the same data, model and level without it.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct PriorSavings {
    /// The prior's id (16 hexadecimal digits).
    pub id: String,
    /// Bytes of the prior's body (a `cm` prior's samples).
    pub prior_bytes: u64,
    /// Everything written without the prior, bits.
    pub cold_achieved_bits: u64,
    /// The model's ideal code length without the prior, bits.
    pub cold_ideal_bits: f64,
    /// cold_achieved_bits − achieved_bits.
    pub saved_bits: i64,
}

impl Report {
    /// Assemble a report from the data's entropies and what an encoder wrote.
    pub fn new(model: &str, level: u8, entropies: [f64; MAX_ORDER + 1], stats: &Stats) -> Report {
        let n = stats.raw_bytes;
        let container_bits = 8 * stats.container_bytes;
        let params_bits = 8 * stats.params_bytes;
        let payload_bits = 8 * stats.payload_bytes;
        let header_bits = container_bits + params_bits;
        let achieved_bits = header_bits + payload_bits;
        let overhead = payload_bits as f64 - stats.ideal_bits;
        let h0_bound_bits = entropies[0] * n as f64;
        Report {
            model: model.to_string(),
            level,
            bytes: n,
            empirical_entropy_bpb: entropies,
            model_ideal_bits: stats.ideal_bits,
            achieved_bits,
            header_bits,
            container_bits,
            params_bits,
            payload_bits,
            coder_overhead_bits: overhead,
            coder_overhead_percent: if stats.ideal_bits > 0.0 {
                100.0 * overhead / stats.ideal_bits
            } else {
                0.0
            },
            h0_bound_bits,
            gap_to_h0_bits: achieved_bits as f64 - h0_bound_bits,
            bits_per_byte: if n > 0 {
                achieved_bits as f64 / n as f64
            } else {
                0.0
            },
            blocks: stats.blocks,
            stored_blocks: stats.stored_blocks,
            source_entropy_bits: None,
            latent: stats.latent,
            pixels: None,
            prior: None,
        }
    }

    /// The report as aligned text for a terminal.
    pub fn to_text(&self) -> String {
        use std::fmt::Write;
        let n = self.bytes.max(1) as f64;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "model               {} (level {})",
            self.model, self.level
        );
        let _ = writeln!(s, "bytes               {}", self.bytes);
        let _ = writeln!(
            s,
            "empirical entropy   bits/byte, bound for a semi-static order-k model (model cost not counted)"
        );
        for (k, h) in self.empirical_entropy_bpb.iter().enumerate() {
            let _ = writeln!(s, "  H{k}                {h:>10.4}  = {:>14.0} bits", h * n);
        }
        if let Some(e) = self.source_entropy_bits {
            let _ = writeln!(
                s,
                "source entropy      {:>10.4}  = {e:>14.0} bits (exact, generator)",
                e / n
            );
        }
        let _ = writeln!(
            s,
            "model ideal         {:>10.4}  = {:>14.0} bits (cross-entropy, Σ −log2 q)",
            self.model_ideal_bits / n,
            self.model_ideal_bits
        );
        let _ = writeln!(
            s,
            "achieved            {:>10.4}  = {:>14} bits ({} bytes)",
            self.bits_per_byte,
            self.achieved_bits,
            self.achieved_bits / 8
        );
        let _ = writeln!(
            s,
            "  header            {:>14} bits (container {}, parameters {})",
            self.header_bits, self.container_bits, self.params_bits
        );
        let _ = writeln!(s, "  payload           {:>14} bits", self.payload_bits);
        let _ = writeln!(
            s,
            "coder overhead      {:>14.1} bits ({:.4}% of ideal)",
            self.coder_overhead_bits, self.coder_overhead_percent
        );
        let _ = writeln!(
            s,
            "gap to H0·N         {:>14.1} bits ({:+.4} bits/byte)",
            self.gap_to_h0_bits,
            self.gap_to_h0_bits / n
        );
        if let Some(p) = &self.prior {
            let _ = writeln!(
                s,
                "prior               {} ({} bytes): model ideal and achieved above are under it",
                p.id, p.prior_bytes
            );
            let _ = writeln!(
                s,
                "  without it        {:>10.4}  = {:>14} bits achieved ({:.0} ideal)",
                p.cold_achieved_bits as f64 / n,
                p.cold_achieved_bits,
                p.cold_ideal_bits
            );
            let _ = writeln!(
                s,
                "  saved             {:>14} bits ({:.1}% of what was written without it)",
                p.saved_bits,
                100.0 * p.saved_bits as f64 / p.cold_achieved_bits.max(1) as f64
            );
        }
        if let Some(l) = &self.latent {
            let header = self.header_bits as f64;
            let _ = writeln!(
                s,
                "latent variables    {} segments, {} components (most in a block)",
                l.segments, l.components
            );
            for (name, bits, what) in [
                (
                    "−log2 p(x)",
                    l.log_likelihood_bits,
                    "marginal likelihood, the bound",
                ),
                (
                    "−ELBO",
                    l.neg_elbo_bits,
                    "bits-back's rate with the coder's posterior",
                ),
                (
                    "naive",
                    l.naive_bits,
                    "most probable component, no bits back",
                ),
            ] {
                let _ = writeln!(
                    s,
                    "  {name:<16}  {:>10.4}  = {bits:>14.0} bits + header ({what})",
                    (bits + header) / n
                );
            }
            let _ = writeln!(
                s,
                "  initial bits      {:>14.1} bits (the last segments coded naively to start the stack)",
                l.initial_bits
            );
        }
        let _ = writeln!(
            s,
            "blocks              {} ({} stored)",
            self.blocks, self.stored_blocks
        );
        if let Some(px) = &self.pixels {
            let n = px.pixels.max(1) as f64;
            let _ = writeln!(
                s,
                "pixels              {} in {} image(s), {} ones; bits per pixel:",
                px.pixels, px.images, px.ones
            );
            let _ = writeln!(
                s,
                "  achieved          {:>10.5}  = {:>14} bits",
                self.achieved_bits as f64 / n,
                self.achieved_bits
            );
            if let Some(e) = self.source_entropy_bits {
                let _ = writeln!(
                    s,
                    "  exact entropy     {:>10.5}  = {e:>14.0} bits (achieved / exact = {:.4})",
                    e / n,
                    self.achieved_bits as f64 / e
                );
            }
            let _ = writeln!(
                s,
                "  mean field        {:>10.5}  = {:>14.0} bits (independent pixels at each image's density)",
                px.mean_field_bits / n,
                px.mean_field_bits
            );
            let _ = writeln!(
                s,
                "  global density    {:>10.5}  = {:>14.0} bits (one density for all)",
                px.global_mean_field_bits / n,
                px.global_mean_field_bits
            );
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Naive reference: count (context string, symbol) pairs in a map.
    fn naive(data: &[u8], k: usize) -> f64 {
        use std::collections::HashMap;
        let mut pair: HashMap<(Vec<u8>, u8), u64> = HashMap::new();
        let mut ctx: HashMap<Vec<u8>, u64> = HashMap::new();
        for i in 0..data.len() {
            let c = data[i.saturating_sub(k)..i].to_vec();
            *pair.entry((c.clone(), data[i])).or_default() += 1;
            *ctx.entry(c).or_default() += 1;
        }
        let n = data.len() as f64;
        let mut bits = 0.0;
        for ((c, _), &m) in &pair {
            bits += m as f64 * (ctx[c] as f64 / m as f64).log2();
        }
        bits / n
    }

    #[test]
    fn matches_naive_reference() {
        let mut x: u32 = 12345;
        let data: Vec<u8> = (0..5000)
            .map(|_| {
                x = x.wrapping_mul(1103515245).wrapping_add(12345);
                b"aabbbcd \n"[(x >> 16) as usize % 9]
            })
            .collect();
        let h = empirical_entropies(&data);
        for (k, hk) in h.iter().enumerate() {
            assert!((hk - naive(&data, k)).abs() < 1e-9, "order {k}");
        }
        assert!(h.windows(2).all(|w| w[1] <= w[0] + 1e-12));
    }

    #[test]
    fn constant_and_empty() {
        assert_eq!(empirical_entropies(b""), [0.0; 5]);
        assert_eq!(empirical_entropies(&[7u8; 100]), [0.0; 5]);
    }
}
