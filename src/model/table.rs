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
