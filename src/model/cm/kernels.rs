//! The mixers' inner loops: a dot product and a weight update. With the `fast` feature
//! they run an AVX2 build where the CPU has one (`model::fast`); both builds compile
//! these same integer expressions (32-bit products and sums that cannot overflow, and
//! clamps), so they return the same values on every input, and the output is the same
//! bytes with and without AVX2 (tests below and in `tests/simd.rs`).

/// Run the baseline build even where AVX2 is there (`false` undoes it): for tests that
/// compare the two. Without the `fast` feature there is only the baseline.
#[doc(hidden)]
pub fn baseline_only(on: bool) {
    #[cfg(feature = "fast")]
    crate::model::fast::baseline_only(on);
    #[cfg(not(feature = "fast"))]
    let _ = on;
}

/// Σ (x_i·w_i) >> 8 over the pairs: |x| < 2^11 and |w| < 2^19, so each product fits an
/// i32, and so does the sum for fewer than 2^9 pairs.
#[inline(always)]
pub(crate) fn dot_body(x: &[i32], w: &[i32]) -> i32 {
    x.iter().zip(w).map(|(&x, &w)| (x * w) >> 8).sum()
}

/// w_i ← clamp(w_i + (x_i·e) >> 14, ±limit): |x| < 2^11 and |e| < 2^20 keep x·e in an
/// i32.
#[inline(always)]
pub(crate) fn train_body(w: &mut [i32], x: &[i32], e: i32, limit: i32) {
    for (w, &x) in w.iter_mut().zip(x) {
        *w = (*w + ((x * e) >> 14)).clamp(-limit, limit);
    }
}

/// [`dot_body`], in the fastest build the CPU runs.
#[inline]
pub(super) fn dot(x: &[i32], w: &[i32]) -> i32 {
    #[cfg(feature = "fast")]
    if let Some(d) = crate::model::fast::dot(x, w) {
        return d;
    }
    dot_body(x, w)
}

/// [`train_body`], in the fastest build the CPU runs.
#[inline]
pub(super) fn train(w: &mut [i32], x: &[i32], e: i32, limit: i32) {
    #[cfg(feature = "fast")]
    if crate::model::fast::train(w, x, e, limit).is_some() {
        return;
    }
    train_body(w, x, e, limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The build the CPU runs agrees with the baseline on every length up to 70 (every
    /// remainder of the vector width) and at the extremes of the stated bounds.
    #[test]
    fn both_builds_give_the_same_values() {
        let mut s = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        let limit = (1 << 19) - 1;
        for n in 0..70 {
            for round in 0..40 {
                let x: Vec<i32> = (0..n)
                    .map(|_| match round % 4 {
                        0 => 2047,
                        1 => -2047,
                        _ => (next() % 4095) as i32 - 2047,
                    })
                    .collect();
                let w: Vec<i32> = (0..n)
                    .map(|_| match round % 4 {
                        0 | 1 => limit,
                        _ => (next() % (1 << 20)) as i32 - limit,
                    })
                    .collect();
                let e = (next() % (1 << 21)) as i32 - (1 << 20) + 1;
                assert_eq!(dot(&x, &w), dot_body(&x, &w), "dot, n = {n}");
                let (mut fast, mut base) = (w.clone(), w);
                train(&mut fast, &x, e, limit);
                train_body(&mut base, &x, e, limit);
                assert_eq!(fast, base, "train, n = {n}");
            }
        }
    }
}
