//! What a `cm` model learns before a block: the built-in primer for text, or a trained
//! prior's samples. The primed state is learned once per configuration and table shape
//! and kept; blocks get copies of it, and small blocks a used copy put back by a journal
//! of what the block before wrote.

use super::{Bits, Config, PRIMER, looks_like_dna, looks_like_text, predictor};
use crate::model::BitModel;

/// Models of at most this many bytes (without a prior) are kept, fresh or primed, for
/// the next block of the same shape, and small blocks reuse a copy put back by what the
/// block before wrote ([`Primer`]): many small blocks or streams pay for setting up a
/// model and learning the primer once, and each block after that what it touches.
pub(super) const PRIMED_MAX: usize = 16 << 20;

/// What a primed model is a copy of: the level, the block's flags (the first byte, the
/// second or 0) and the table sizes.
pub(super) type PrimedKey = (u8, [u8; 2], predictor::Shape);

/// Samples a model learns before every block: what a trained `cm` prior holds. The
/// model is sized for the samples and the block, and the state the samples leave is
/// learned once per configuration and table shape. A large block gets a copy of it; a
/// small one (a record) a copy that was used before and is put back by the entries its
/// block wrote ([`predictor::Predictor::restore`]), so a record costs what it touches,
/// not the size of the model.
pub(crate) struct Primer {
    pub(super) text: Vec<u8>,
    /// Sized for the block alone (the built-in primer, no samples): the model of a
    /// block without a prior.
    pub(super) exact: bool,
    /// What the samples look like (as a block would be judged): DNA, text.
    pub(super) dna: bool,
    pub(super) text_like: bool,
    /// The primed models of the last keys (two for the built-in primer, whose blocks
    /// may be text or binary; one for a prior, whose blocks all take its samples'
    /// context groups), the latest first.
    pub(super) cache: std::sync::Mutex<Vec<(PrimedKey, std::sync::Arc<predictor::Predictor>)>>,
    /// Journaled copies of the primed model that coded a small block, to be restored.
    pub(super) pool: std::sync::Mutex<Vec<(PrimedKey, predictor::Predictor)>>,
}

impl std::fmt::Debug for Primer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Primer")
            .field("bytes", &self.text.len())
            .finish()
    }
}

impl Primer {
    /// Blocks of at most this many bytes share one model shape.
    const SMALL: usize = 64 << 10;

    pub(crate) fn new(text: Vec<u8>) -> Primer {
        Primer {
            exact: false,
            dna: looks_like_dna(&text),
            text_like: looks_like_text(&text),
            text,
            cache: std::sync::Mutex::new(Vec::new()),
            pool: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// No samples, and models sized for their block alone: the models of blocks coded
    /// without a prior (primed with the built-in primer when the flags say so), kept
    /// for the next small block of the same shape.
    pub(super) fn builtin() -> Primer {
        Primer {
            exact: true,
            ..Primer::new(Vec::new())
        }
    }

    /// The samples.
    pub(crate) fn text(&self) -> &[u8] {
        &self.text
    }

    /// The length the model is sized for with a block of `len` bytes: the samples and
    /// the block, rounded up (small blocks all to [`Self::SMALL`]) so that blocks of
    /// similar length share one primed state.
    pub(super) fn shape_len(&self, len: usize) -> usize {
        if self.exact {
            return len;
        }
        self.text.len() + len.max(Self::SMALL).next_power_of_two()
    }

    /// The primed model for `key`: learned here, or the one learned before.
    pub(super) fn primed(
        &self,
        config: &Config,
        key: PrimedKey,
        shape_len: usize,
    ) -> std::sync::Arc<predictor::Predictor> {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = cache.iter().position(|(k, _)| *k == key) {
            let hit = cache.remove(i);
            let p = hit.1.clone();
            cache.insert(0, hit);
            return p;
        }
        // Learned under the lock: threads that need it wait for one to learn it.
        let mut p = predictor::Predictor::new(config, shape_len);
        if key.1[0] & super::flag::PRIMER != 0 {
            p.prime(PRIMER);
        }
        p.prime(&self.text);
        let p = std::sync::Arc::new(p);
        cache.insert(0, (key, p.clone()));
        cache.truncate(if self.exact { 2 } else { 1 });
        // Copies of a model no longer kept cannot be restored.
        let kept: Vec<PrimedKey> = cache.iter().map(|(k, _)| *k).collect();
        self.pool
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|(k, _)| kept.contains(k));
        p
    }

    /// A model for a block of `len` bytes that has learned the built-in primer (when
    /// `flags[0]` bit 3 says so) and then the samples.
    pub(super) fn model(
        self: &std::sync::Arc<Self>,
        config: &Config,
        level: u8,
        flags: [u8; 2],
        len: usize,
    ) -> Box<dyn BitModel> {
        let shape_len = self.shape_len(len);
        let key = (level, flags, predictor::Shape::of(config, shape_len));
        let primed = self.primed(config, key, shape_len);
        if len > Self::SMALL {
            let mut p = (*primed).clone();
            p.reserve(len);
            return Box::new(Bits(p));
        }
        let used = {
            let mut pool = self.pool.lock().unwrap_or_else(|e| e.into_inner());
            let at = pool.iter().position(|(k, _)| *k == key);
            at.map(|i| pool.swap_remove(i).1)
        };
        let mut p = match used {
            Some(mut p) => {
                p.restore(&primed);
                p
            }
            None => primed.journaled_copy(),
        };
        p.reserve(len);
        Box::new(Pooled {
            p: Some(p),
            key,
            home: self.clone(),
        })
    }
}

/// A journaled copy of a prior's primed model, given back to the prior when its block
/// is done.
pub(super) struct Pooled {
    p: Option<predictor::Predictor>,
    key: PrimedKey,
    home: std::sync::Arc<Primer>,
}

impl BitModel for Pooled {
    #[inline]
    fn p1(&mut self) -> u32 {
        self.p.as_mut().expect("in use").p1()
    }
    #[inline]
    fn update(&mut self, bit: bool) {
        self.p.as_mut().expect("in use").update(bit)
    }
    #[inline]
    fn run(&mut self, left: usize, run: &mut Vec<u8>) -> Option<u32> {
        self.p.as_mut().expect("in use").run(left, run)
    }
    fn run_result(&mut self, hit: bool, run: &[u8]) {
        self.p.as_mut().expect("in use").run_result(hit, run)
    }
    #[inline]
    fn flat(&mut self) -> bool {
        self.p.as_ref().expect("in use").flat()
    }
    fn flat_byte(&mut self, byte: u8) {
        self.p.as_mut().expect("in use").flat_byte(byte)
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        if let Some(p) = self.p.take() {
            let mut pool = self.home.pool.lock().unwrap_or_else(|e| e.into_inner());
            // As many as have been in use at once: one per thread coding with the prior.
            if pool.len() < 64 {
                pool.push((self.key, p));
            }
        }
    }
}
