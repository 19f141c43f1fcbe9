//! cm's hottest parts on their own, for `benches/cm_parts.rs`: not an API, and free to
//! change with the model.

use super::Config;
use super::predictor::Predictor;

/// The table lookups of `level` over `data` (both nibbles of every byte, every hashed
/// context; no prediction or learning): a checksum of the slots found.
pub fn lookups(level: u8, data: &[u8]) -> u64 {
    Predictor::lookups_only(&Config::for_level(level), data)
}

/// The mixers of `level` (both layers) mixing and learning one bit per entry of `bits`,
/// with inputs and weight-set choices taken in turn from `inputs` and `selects`: a
/// checksum of the outputs.
pub fn mixers(level: u8, inputs: &[i32], selects: &[usize], bits: &[bool]) -> u64 {
    Predictor::mixers_only(&Config::for_level(level), inputs, selects, bits)
}
