//! Fitting (encoder only): a seeded k-means++ start, EM to convergence, and the
//! number of components chosen by description length.

use ndarray::Array2;
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

use super::Segment;
use super::fitted::Fitted;
use crate::error::Result;
use crate::model::Categorical;
use crate::model::iid::quantize;

/// M tried by `auto`, in order; the search stops once two in a row do not improve.
/// (M = 1 is the i.i.d. model, coded as a two-component mixture that never uses its
/// second component.)
pub(super) const CANDIDATES: &[usize] = &[1, 2, 3, 4, 6, 8, 12, 16];
/// Most EM iterations per fit.
pub(super) const ITERATIONS: usize = 30;
/// Segments the choice of M looks at.
pub(super) const SAMPLE: usize = 8192;
/// Dirichlet pseudo-count per byte of the block, per component.
pub(super) const ALPHA: f64 = 0.02;
/// Seed of the k-means++ initialisation.
pub(super) const SEED: u64 = 0x6b72_6166_745f_6d78;

/// The result of EM before quantization.
pub(super) struct Estimate {
    pi: Vec<f64>,
    p: Vec<[f64; 256]>,
}

impl Estimate {
    /// Quantize into a coder model (16-bit tables over the block's bytes).
    pub(super) fn into_model(self, segment: Segment) -> Result<Fitted> {
        let table = |p: &[f64; 256]| {
            let counts: [u64; 256] = std::array::from_fn(|b| {
                if p[b] > 0.0 {
                    (p[b] * 1e9).ceil() as u64
                } else {
                    0
                }
            });
            quantize(&counts)
        };
        let mut components: Vec<Categorical> = Vec::with_capacity(self.p.len());
        for p in &self.p {
            components.push(Categorical::from_frequencies(table(p))?.with_lookup());
        }
        if self.pi.len() == 1 {
            return Fitted::single(components.remove(0), segment, usize::MAX);
        }
        let counts: [u64; 256] = std::array::from_fn(|z| {
            self.pi
                .get(z)
                .map_or(0, |&pi| ((pi * 1e9).ceil() as u64).max(1))
        });
        Fitted::new(quantize(&counts), components, segment, usize::MAX)
    }
}

/// Fit the mixture to `block` (`None` for a block of one repeated byte).
pub(super) fn fit(block: &[u8], segment: Segment, components: Option<usize>) -> Option<Estimate> {
    let mut present = [false; 256];
    for &b in block {
        present[usize::from(b)] = true;
    }
    if present.iter().filter(|&&p| p).count() < 2 {
        return None;
    }
    let cuts = segment.cuts(block);
    let segments = cuts.len() - 1;
    let m = match components {
        Some(m) => m,
        None => choose_components(block, &cuts, &present, segment),
    };
    Some(em(block, &cuts, &present, m.min(segments.max(1))))
}

/// The number of components with the smallest description length, judged on a sample
/// of at most `SAMPLE` evenly spaced segments (payload scaled to the whole block).
pub(super) fn choose_components(
    block: &[u8],
    cuts: &[usize],
    present: &[bool; 256],
    segment: Segment,
) -> usize {
    let segments = cuts.len() - 1;
    let step = segments.div_ceil(SAMPLE).max(1);
    let mut sample = Vec::new();
    let mut sample_cuts = vec![0];
    for s in (0..segments).step_by(step) {
        sample.extend_from_slice(&block[cuts[s]..cuts[s + 1]]);
        sample_cuts.push(sample.len());
    }
    let scale = block.len() as f64 / sample.len() as f64;
    let mut best = (f64::INFINITY, 1);
    let mut worse = 0;
    for &m in CANDIDATES.iter().filter(|&&m| m < sample_cuts.len()) {
        let Ok(model) = em(&sample, &sample_cuts, present, m).into_model(segment) else {
            continue;
        };
        let (payload, table) = description_length(&model, &sample, &sample_cuts);
        let cost = payload * scale + table;
        if cost < best.0 {
            best = (cost, m);
            worse = 0;
        } else {
            worse += 1;
            if worse >= 2 {
                break;
            }
        }
    }
    best.1
}

/// −log2 p(x) under the quantized model, and the bits of its tables.
pub(super) fn description_length(model: &Fitted, block: &[u8], cuts: &[usize]) -> (f64, f64) {
    let m = model.components.len();
    let lp: Vec<[f64; 256]> = model
        .components
        .iter()
        .map(|c| std::array::from_fn(|b| -c.cost_bits(b as u8)))
        .collect();
    let lpi: Vec<f64> = (0..m).map(|z| -model.prior.cost_bits(z as u8)).collect();
    let mut bits = 0.0;
    let mut l = vec![0.0; m];
    for w in cuts.windows(2) {
        for z in 0..m {
            l[z] = lpi[z]
                + block[w[0]..w[1]]
                    .iter()
                    .map(|&b| lp[z][usize::from(b)])
                    .sum::<f64>();
        }
        let top = l.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        bits -= top + l.iter().map(|&x| (x - top).exp2()).sum::<f64>().log2();
    }
    let mut params = Vec::new();
    model.write_params(&mut params);
    (bits, 8.0 * params.len() as f64)
}

/// EM for `m` components from a seeded k-means++ start.
pub(super) fn em(block: &[u8], cuts: &[usize], present: &[bool; 256], m: usize) -> Estimate {
    let segments = cuts.len() - 1;
    let n_present = present.iter().filter(|&&p| p).count() as f64;
    let mut global = [0f64; 256];
    for &b in block {
        global[usize::from(b)] += 1.0;
    }
    let global: [f64; 256] = std::array::from_fn(|b| global[b] / block.len() as f64);
    let mut p: Vec<[f64; 256]> = kmeans_pp(block, cuts, m)
        .into_iter()
        .map(|s| {
            let seg = &block[cuts[s]..cuts[s + 1]];
            let mut h = [0f64; 256];
            for &b in seg {
                h[usize::from(b)] += 1.0 / seg.len() as f64;
            }
            std::array::from_fn(|b| {
                if present[b] {
                    0.5 * h[b] + 0.5 * global[b] + 1e-6
                } else {
                    0.0
                }
            })
        })
        .collect();
    let mut pi = vec![1.0 / m as f64; m];
    let mut resp = Array2::<f32>::zeros((segments, m));
    let mut previous = f64::NEG_INFINITY;
    for _ in 0..ITERATIONS {
        for pz in p.iter_mut() {
            let t: f64 = pz.iter().sum();
            pz.iter_mut().for_each(|x| *x /= t);
        }
        let lp: Vec<[f64; 256]> = p
            .iter()
            .map(|pz| std::array::from_fn(|b| if pz[b] > 0.0 { pz[b].ln() } else { 0.0 }))
            .collect();
        let lpi: Vec<f64> = pi.iter().map(|x| x.ln()).collect();
        // E-step.
        let mut loglik = 0.0;
        let mut l = vec![0.0; m];
        for s in 0..segments {
            let seg = &block[cuts[s]..cuts[s + 1]];
            for z in 0..m {
                l[z] = lpi[z] + seg.iter().map(|&b| lp[z][usize::from(b)]).sum::<f64>();
            }
            let top = l.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let total: f64 = l.iter().map(|&x| (x - top).exp()).sum();
            loglik += top + total.ln();
            for z in 0..m {
                resp[[s, z]] = ((l[z] - top).exp() / total) as f32;
            }
        }
        // M-step with a Dirichlet prior.
        let mut counts = vec![[0f64; 256]; m];
        let mut mass = vec![0f64; m];
        for s in 0..segments {
            let seg = &block[cuts[s]..cuts[s + 1]];
            for z in 0..m {
                let r = f64::from(resp[[s, z]]);
                if r < 1e-7 {
                    continue;
                }
                mass[z] += r;
                for &b in seg {
                    counts[z][usize::from(b)] += r;
                }
            }
        }
        for z in 0..m {
            let total: f64 = counts[z].iter().sum::<f64>() + ALPHA * n_present;
            p[z] = std::array::from_fn(|b| {
                if present[b] {
                    (counts[z][b] + ALPHA) / total
                } else {
                    0.0
                }
            });
            pi[z] = (mass[z] + 1.0) / (segments as f64 + m as f64);
        }
        if loglik - previous < 1e-6 * loglik.abs() {
            break;
        }
        previous = loglik;
    }
    Estimate { pi, p }
}

/// k-means++ seeds among (at most 4096, evenly spaced) segments, by their byte
/// histograms: the first at random, each next with probability ∝ squared distance to the
/// nearest seed so far. Returns segment indices.
pub(super) fn kmeans_pp(block: &[u8], cuts: &[usize], m: usize) -> Vec<usize> {
    let segments = cuts.len() - 1;
    let step = segments.div_ceil(4096).max(1);
    let sample: Vec<usize> = (0..segments).step_by(step).collect();
    let hist = |s: usize| {
        let seg = &block[cuts[s]..cuts[s + 1]];
        let mut h = [0f32; 256];
        for &b in seg {
            h[usize::from(b)] += 1.0 / seg.len() as f32;
        }
        h
    };
    let hists: Vec<[f32; 256]> = sample.iter().map(|&s| hist(s)).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let mut uniform = || (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    let mut chosen = vec![(uniform() * sample.len() as f64) as usize % sample.len()];
    let mut nearest = vec![f64::INFINITY; sample.len()];
    while chosen.len() < m {
        let last = &hists[*chosen.last().expect("one seed")];
        for (i, h) in hists.iter().enumerate() {
            let d: f64 = h
                .iter()
                .zip(last)
                .map(|(a, b)| f64::from(a - b) * f64::from(a - b))
                .sum();
            nearest[i] = nearest[i].min(d);
        }
        let total: f64 = nearest.iter().sum();
        let pick = if total > 0.0 {
            let mut u = uniform() * total;
            let mut pick = sample.len() - 1;
            for (i, &d) in nearest.iter().enumerate() {
                if u < d {
                    pick = i;
                    break;
                }
                u -= d;
            }
            pick
        } else {
            // Every sampled segment looks alike: any will do.
            chosen.len() % sample.len()
        };
        chosen.push(pick);
    }
    chosen.into_iter().map(|i| sample[i]).collect()
}
