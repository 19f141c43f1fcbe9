//! Training a prior on samples ([`Prior::train`]): what each model keeps of them.

use crate::error::{Error, Result};
use crate::model::{ids, iid, mixture};
use crate::options::Options;
use crate::prior::{DEFAULT_PRIOR_SIZE, Prior};

impl Prior {
    /// Train a prior for the model and level of `options` on `samples`, within
    /// [`DEFAULT_PRIOR_SIZE`].
    ///
    /// # Errors
    /// [`Error::UnknownModelName`] for a model that takes no prior (models outside
    /// kraft), [`Error::InvalidOption`] for bad options.
    pub fn train<S: AsRef<[u8]>>(samples: &[S], options: &Options) -> Result<Prior> {
        Prior::train_within(samples, options, DEFAULT_PRIOR_SIZE)
    }

    /// [`Prior::train`] keeping a `cm` or `grid` prior's samples within `size` bytes.
    ///
    /// The samples are taken whole, without exact duplicates; when they do not fit, an
    /// evenly spread subset is kept (every k-th sample, in the order given), and they
    /// are learned in that order, so the last given are remembered best.
    ///
    /// # Errors
    /// As [`Prior::train`].
    pub fn train_within<S: AsRef<[u8]>>(
        samples: &[S],
        options: &Options,
        size: usize,
    ) -> Result<Prior> {
        options.validate()?;
        let level = options.get_level();
        match options.get_model() {
            "cm" => Prior::build(ids::CM, level, choose(samples, size)),
            "iid" => {
                let freq = iid::Trained::train(samples.iter().map(AsRef::as_ref));
                let mut body = Vec::new();
                iid::write_table(&freq, &mut body);
                Prior::build(ids::IID, level, body)
            }
            "mixture" => {
                let samples: Vec<&[u8]> = samples.iter().map(AsRef::as_ref).collect();
                let body = mixture::Trained::train(&samples, &options.mixture()?)?;
                Prior::build(ids::MIXTURE, level, body)
            }
            "grid" => Prior::build(ids::GRID, level, choose(samples, size)),
            other => Err(Error::UnknownModelName(other.to_string())),
        }
    }
}

/// The samples a `cm` prior keeps: without exact duplicates, all of them if they fit
/// in `size` bytes, else every k-th (the smallest k that fits, then filled up with the
/// samples skipped, in order, while they fit), concatenated in the order given.
fn choose<S: AsRef<[u8]>>(samples: &[S], size: usize) -> Vec<u8> {
    let mut seen = std::collections::HashSet::new();
    let unique: Vec<&[u8]> = samples
        .iter()
        .map(AsRef::as_ref)
        .filter(|s| !s.is_empty() && seen.insert(*s))
        .collect();
    let total: usize = unique.iter().map(|s| s.len()).sum();
    let mut keep = vec![total <= size; unique.len()];
    if total > size {
        let mut k = total.div_ceil(size.max(1)).max(1);
        loop {
            let picked: usize = unique.iter().step_by(k).map(|s| s.len()).sum();
            if picked <= size || k >= unique.len() {
                break;
            }
            k += 1;
        }
        let mut used = 0;
        for (i, s) in unique.iter().enumerate().step_by(k) {
            if used + s.len() <= size {
                keep[i] = true;
                used += s.len();
            }
        }
        for (i, s) in unique.iter().enumerate() {
            if !keep[i] && used + s.len() <= size {
                keep[i] = true;
                used += s.len();
            }
        }
    }
    let mut out = Vec::with_capacity(total.min(size));
    for (s, k) in unique.iter().zip(&keep) {
        if *k {
            out.extend_from_slice(s);
        }
    }
    out
}
