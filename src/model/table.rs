//! Memory and hashing shared by the models with large hashed tables (`cm`, `grid`).

/// A 64-bit mixing function (a bijection): spreads every input bit over the output, so
/// any slice of the result can index a table.
#[inline]
pub(crate) fn mix64(mut x: u64) -> u64 {
    x ^= x >> 31;
    x = x.wrapping_mul(0x7fb5_d329_728e_a185);
    x ^= x >> 27;
    x = x.wrapping_mul(0x81da_def4_bc2d_d44d);
    x ^ (x >> 33)
}

/// Start loading the cache line that holds `s[i]` (nothing if `i` is out of bounds): a
/// hint that lets a miss the model knows of in advance overlap other work. It changes no
/// value, so output is the same with it and without (and without the `fast` feature it
/// does nothing).
#[inline(always)]
pub(crate) fn prefetch<T>(s: &[T], i: usize) {
    #[cfg(feature = "fast")]
    if let Some(x) = s.get(i) {
        super::fast::prefetch(x);
    }
    #[cfg(not(feature = "fast"))]
    let _ = (s, i);
}

/// A large table of 32-bit words (a match model's index), zeroed, in the memory of a
/// [`Table`]: its lookups are as random as the bytes'.
#[derive(Clone)]
#[cfg_attr(test, derive(PartialEq, Debug))]
pub(crate) struct Words(Table);

impl Words {
    /// `n` zero words.
    pub(crate) fn new(n: usize) -> Words {
        Words(Table::new(n * 4))
    }

    /// `n` words, word `i` being `f(i)`.
    pub(crate) fn from_fn(n: usize, f: impl Fn(usize) -> u32) -> Words {
        let mut w = Words::new(n);
        for (i, b) in w.0.chunks_exact_mut(4).enumerate() {
            b.copy_from_slice(&f(i).to_le_bytes());
        }
        w
    }

    /// Become `from` (of the same length) without allocating.
    pub(crate) fn copy_from(&mut self, from: &Words) {
        self.0.copy_from_slice(&from.0);
    }

    /// Word `i`.
    #[inline]
    pub(crate) fn get(&self, i: usize) -> u32 {
        let b = &self.0[i * 4..i * 4 + 4];
        u32::from_le_bytes([b[0], b[1], b[2], b[3]])
    }

    /// Set word `i` to `v`.
    #[inline]
    pub(crate) fn set(&mut self, i: usize, v: u32) {
        self.0[i * 4..i * 4 + 4].copy_from_slice(&v.to_le_bytes());
    }

    /// Start loading word `i` ([`prefetch`]).
    #[inline]
    pub(crate) fn prefetch(&self, i: usize) {
        prefetch(&self.0, i * 4);
    }
}

/// Zeroed memory for a large hashed table: from 2 MiB up an anonymous mapping backed by
/// huge pages where the system allows (lookups are random, and with 4 KiB pages nearly
/// each one also misses the TLB), else (or if mapping fails) a plain vector.
pub(crate) enum Table {
    Mapped(memmap2::MmapMut),
    Plain(Vec<u8>),
}

impl Table {
    pub(crate) fn new(bytes: usize) -> Table {
        if bytes >= 1 << 21 {
            if let Ok(m) = memmap2::MmapMut::map_anon(bytes) {
                #[cfg(target_os = "linux")]
                let _ = m.advise(memmap2::Advice::HugePage);
                return Table::Mapped(m);
            }
        }
        Table::Plain(vec![0; bytes])
    }
}

impl Clone for Table {
    fn clone(&self) -> Table {
        let mut t = Table::new(self.len());
        t.copy_from_slice(self);
        t
    }
}

impl std::ops::Deref for Table {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Table::Mapped(m) => m,
            Table::Plain(v) => v,
        }
    }
}

impl std::ops::DerefMut for Table {
    fn deref_mut(&mut self) -> &mut [u8] {
        match self {
            Table::Mapped(m) => m,
            Table::Plain(v) => v,
        }
    }
}

#[cfg(test)]
impl PartialEq for Table {
    fn eq(&self, other: &Table) -> bool {
        **self == **other
    }
}

#[cfg(test)]
impl std::fmt::Debug for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Table({} bytes)", self.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A prefetch changes nothing it is given, at any index (the last element, past
    /// the end, far past it, an empty slice), and a table of words reads back what was
    /// set, at its ends too.
    #[test]
    fn prefetch_is_only_a_hint_and_words_read_back() {
        let v: Vec<u32> = (0..1000).collect();
        for i in [0, 1, 999, 1000, 4096, usize::MAX / 8, usize::MAX] {
            prefetch(&v, i);
        }
        prefetch::<u8>(&[], 0);
        assert!(v.iter().enumerate().all(|(i, &x)| x == i as u32));
        let t = Table::new(4 << 20);
        prefetch(&t, t.len() - 1);
        prefetch(&t, t.len());
        assert!(t.iter().all(|&b| b == 0));
        let n = 1 << 20;
        let mut w = Words::new(n);
        for (i, v) in [(0, 7u32), (1, u32::MAX), (n - 1, 0x0102_0304)] {
            w.set(i, v);
            w.prefetch(i);
            assert_eq!(w.get(i), v);
        }
        assert_eq!(w.get(2), 0);
    }
}
