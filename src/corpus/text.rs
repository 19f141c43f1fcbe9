//! `text-like.txt`: i.i.d. Zipf-distributed pseudo-words with i.i.d. separators.

use std::collections::HashSet;

use super::Generated;
use super::dist::{self, Dist};

/// Number of distinct pseudo-words.
pub(super) const VOCABULARY: usize = 4000;
/// Zipf exponent of the word distribution: p(rank r) ∝ r^-s.
pub(super) const ZIPF_EXPONENT: f64 = 1.1;
/// Separators and their weights. Non-empty, distinct and free of letters, so the text
/// splits back into (word, separator) pairs uniquely: a word is a maximal run of
/// letters, a separator the maximal run of non-letters after it.
pub(super) const SEPARATORS: &[(&str, f64)] = &[
    (" ", 0.80),
    (", ", 0.08),
    (". ", 0.06),
    (".\n", 0.04),
    ("\n", 0.02),
];

const SALT: u64 = 0x7e47_11ce_0bad_0005;

/// Word-length weights for lengths `MIN_LENGTH`, `MIN_LENGTH + 1`, …
const LENGTHS: &[f64] = &[
    3.0, 8.0, 12.0, 14.0, 14.0, 13.0, 11.0, 9.0, 7.0, 5.0, 3.0, 1.0,
];
const MIN_LENGTH: usize = 2;
/// Rank key of a word: its length plus a uniform jitter of this width, so frequent words
/// tend to be short without being sorted strictly by length.
const RANK_JITTER: f64 = 4.0;
const VOWELS: &[u8] = b"aeiouy";
const VOWEL_WEIGHTS: &[f64] = &[82.0, 127.0, 70.0, 75.0, 28.0, 20.0];
const CONSONANTS: &[u8] = b"bcdfghjklmnpqrstvwxz";
const CONSONANT_WEIGHTS: &[f64] = &[
    15.0, 28.0, 43.0, 22.0, 20.0, 61.0, 2.0, 8.0, 40.0, 24.0, 67.0, 19.0, 1.0, 60.0, 63.0, 91.0,
    10.0, 24.0, 2.0, 1.0,
];

/// The source: a vocabulary ranked by length plus jitter, and the two distributions.
pub(super) struct TextLike {
    /// Distinct lowercase pseudo-words; index = Zipf rank − 1 (shorter words tend to come
    /// first).
    pub(super) words: Vec<Vec<u8>>,
    /// Distribution over `words`.
    pub(super) word: Dist,
    /// Distribution over [`SEPARATORS`].
    pub(super) sep: Dist,
}

impl TextLike {
    pub(super) fn new(seed: u64) -> Self {
        let mut rng = dist::rng(seed, SALT);
        let length = Dist::from_weights(LENGTHS);
        let vowel = Dist::from_weights(VOWEL_WEIGHTS);
        let consonant = Dist::from_weights(CONSONANT_WEIGHTS);
        let mut seen = HashSet::with_capacity(VOCABULARY);
        let mut words = Vec::with_capacity(VOCABULARY);
        while words.len() < VOCABULARY {
            // Alternate mostly between consonants and vowels, like syllables.
            let len = length.sample(&mut rng) + MIN_LENGTH;
            let mut is_vowel = dist::uniform(&mut rng) < 0.35;
            let mut w = Vec::with_capacity(len);
            for _ in 0..len {
                w.push(if is_vowel {
                    VOWELS[vowel.sample(&mut rng)]
                } else {
                    CONSONANTS[consonant.sample(&mut rng)]
                });
                let stay = if is_vowel { 0.25 } else { 0.15 };
                if dist::uniform(&mut rng) >= stay {
                    is_vowel = !is_vowel;
                }
            }
            if seen.insert(w.clone()) {
                words.push(w);
            }
        }
        // Frequent words tend to be short: rank by length plus jitter (a stable sort, so
        // ties keep the order of generation).
        let mut keyed: Vec<(f64, Vec<u8>)> = words
            .into_iter()
            .map(|w| (w.len() as f64 + RANK_JITTER * dist::uniform(&mut rng), w))
            .collect();
        keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
        let words: Vec<Vec<u8>> = keyed.into_iter().map(|(_, w)| w).collect();
        let zipf: Vec<f64> = (1..=VOCABULARY)
            .map(|r| dist::pow(r as f64, -ZIPF_EXPONENT))
            .collect();
        let seps: Vec<f64> = SEPARATORS.iter().map(|s| s.1).collect();
        Self {
            words,
            word: Dist::from_weights(&zipf),
            sep: Dist::from_weights(&seps),
        }
    }

    /// Expected bytes of one (word, separator) pair.
    pub(super) fn mean_pair_bytes(&self) -> f64 {
        self.word.mean(|i| self.words[i].len() as f64)
            + self.sep.mean(|i| SEPARATORS[i].0.len() as f64)
    }

    /// Number of pairs for a file of about `size` bytes.
    pub(super) fn pairs_for(&self, size: usize) -> usize {
        (size as f64 / self.mean_pair_bytes()).round() as usize
    }

    pub(super) fn generate(&self, seed: u64, size: usize) -> Generated {
        let k = self.pairs_for(size);
        let mut rng = dist::rng(seed, SALT.rotate_left(32));
        let mut data = Vec::with_capacity(size + 64);
        let mut info = 0.0;
        for _ in 0..k {
            let w = self.word.sample(&mut rng);
            let s = self.sep.sample(&mut rng);
            info += self.word.cost[w] + self.sep.cost[s];
            data.extend_from_slice(&self.words[w]);
            data.extend_from_slice(SEPARATORS[s].0.as_bytes());
        }
        let (hw, hs) = (self.word.entropy(), self.sep.entropy());
        Generated {
            name: "text-like.txt".into(),
            data,
            entropy_bits: k as f64 * (hw + hs),
            self_information_bits: info,
            description: format!(
                "{k} i.i.d. (word, separator) pairs: {VOCABULARY} distinct pseudo-words, \
                 Zipf(s = {ZIPF_EXPONENT}) with shorter words tending to be more frequent, H(word) = \
                 {hw:.6} bits; separators ' ' ', ' '. ' '.\\n' '\\n', H(sep) = {hs:.6} \
                 bits; entropy = K(H(word) + H(sep))"
            ),
        }
    }
}
