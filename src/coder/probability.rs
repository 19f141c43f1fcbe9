//! The probability types the coders take: a categorical distribution over bytes and a
//! binary one, both with 16-bit frequencies.

use super::*;

/// A distribution over the 256 byte values in 16-bit fixed point.
///
/// Frequencies sum to exactly [`ONE`]; a byte with frequency 0 cannot be coded. At least
/// two bytes must have non-zero frequency (the coders cannot represent probability one:
/// a block made of one repeated byte is handled by the model without coding anything).
#[derive(Clone, Debug)]
pub struct Categorical {
    freq: [u32; 256],
    cdf: [u32; 257],
    lookup: Option<Box<[u8]>>,
}

impl Categorical {
    /// Build from frequencies that sum to [`ONE`] with at least two non-zero entries.
    ///
    /// # Errors
    /// [`Error::Corrupt`] if the frequencies do not form such a distribution (this is
    /// also how a damaged table read from a stream is rejected).
    pub fn from_frequencies(freq: [u32; 256]) -> Result<Self> {
        let mut cdf = [0u32; 257];
        let mut acc: u64 = 0;
        let mut nonzero = 0;
        for (s, &f) in freq.iter().enumerate() {
            cdf[s] = acc.min(u64::from(ONE)) as u32;
            acc += u64::from(f);
            nonzero += usize::from(f != 0);
        }
        if acc != u64::from(ONE) {
            return Err(Error::bad_payload(format!(
                "probability table sums to {acc}, not {ONE}"
            )));
        }
        if nonzero < 2 {
            return Err(Error::bad_payload(
                "probability table has fewer than two symbols",
            ));
        }
        cdf[256] = ONE;
        Ok(Categorical {
            freq,
            cdf,
            lookup: None,
        })
    }

    /// The uniform distribution over all 256 bytes.
    pub fn uniform() -> Self {
        Self::from_frequencies([ONE / 256; 256]).expect("uniform table is valid")
    }

    /// Whether decoding is a table lookup ([`Categorical::with_lookup`]).
    pub fn has_lookup(&self) -> bool {
        self.lookup.is_some()
    }

    /// Add a 2^16-entry quantile → symbol table so decoding is a lookup (64 KiB).
    pub fn with_lookup(mut self) -> Self {
        let mut table = vec![0u8; ONE as usize].into_boxed_slice();
        for s in 0..256 {
            let (lo, hi) = (self.cdf[s] as usize, self.cdf[s + 1] as usize);
            table[lo..hi].fill(s as u8);
        }
        self.lookup = Some(table);
        self
    }

    /// Frequency of `byte` in units of 2^-16.
    #[inline]
    pub fn frequency(&self, byte: u8) -> u32 {
        self.freq[usize::from(byte)]
    }

    /// All 256 frequencies.
    pub fn frequencies(&self) -> &[u32; 256] {
        &self.freq
    }

    /// Ideal code length of `byte` in bits, −log2 q(byte) (infinite if q(byte) = 0).
    #[inline]
    pub fn cost_bits(&self, byte: u8) -> f64 {
        f64::from(PRECISION as u32) - f64::from(self.frequency(byte)).log2()
    }

    #[inline]
    fn symbol_at(&self, quantile: u32) -> u8 {
        match &self.lookup {
            Some(table) => table[quantile as usize],
            None => (self.cdf[1..].partition_point(|&c| c <= quantile)) as u8,
        }
    }
}

impl EntropyModel<PRECISION> for Categorical {
    type Symbol = u8;
    type Probability = u32;
}

impl EncoderModel<PRECISION> for Categorical {
    #[inline]
    fn left_cumulative_and_probability(
        &self,
        symbol: impl Borrow<u8>,
    ) -> Option<(u32, NonZeroU32)> {
        let s = usize::from(*symbol.borrow());
        NonZeroU32::new(self.freq[s]).map(|p| (self.cdf[s], p))
    }
}

impl DecoderModel<PRECISION> for Categorical {
    #[inline]
    fn quantile_function(&self, quantile: u32) -> (u8, u32, NonZeroU32) {
        let s = self.symbol_at(quantile);
        let p = self.freq[usize::from(s)];
        // The table always holds a symbol whose interval contains the quantile, and that
        // interval is non-empty by construction.
        (
            s,
            self.cdf[usize::from(s)],
            NonZeroU32::new(p).unwrap_or(NonZeroU32::MIN),
        )
    }
}

/// One binary decision: P(bit = 1) in units of 2^-16, kept in `1..=65535`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bit(u32);

impl Bit {
    /// Clamp a prediction into the codable range `1..=65535`.
    #[inline]
    pub fn new(p1: u32) -> Bit {
        Bit(p1.clamp(1, ONE - 1))
    }

    /// P(bit = 1) in units of 2^-16.
    #[inline]
    pub fn p1(self) -> u32 {
        self.0
    }

    /// Ideal code length of `bit` in bits.
    #[inline]
    pub fn cost_bits(self, bit: bool) -> f64 {
        let p = if bit { self.0 } else { ONE - self.0 };
        f64::from(PRECISION as u32) - f64::from(p).log2()
    }
}

impl EntropyModel<PRECISION> for Bit {
    type Symbol = bool;
    type Probability = u32;
}

impl EncoderModel<PRECISION> for Bit {
    #[inline]
    fn left_cumulative_and_probability(
        &self,
        symbol: impl Borrow<bool>,
    ) -> Option<(u32, NonZeroU32)> {
        let p0 = ONE - self.0;
        if *symbol.borrow() {
            NonZeroU32::new(self.0).map(|p| (p0, p))
        } else {
            NonZeroU32::new(p0).map(|p| (0, p))
        }
    }
}

impl DecoderModel<PRECISION> for Bit {
    #[inline]
    fn quantile_function(&self, quantile: u32) -> (bool, u32, NonZeroU32) {
        let p0 = ONE - self.0;
        if quantile < p0 {
            (false, 0, NonZeroU32::new(p0).unwrap_or(NonZeroU32::MIN))
        } else {
            (true, p0, NonZeroU32::new(self.0).unwrap_or(NonZeroU32::MIN))
        }
    }
}
