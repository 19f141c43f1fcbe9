//! The mixers' inner loops (a dot product, a weight update), built twice: for the
//! target's baseline and, on x86-64, for AVX2, chosen at run time. Both builds compile
//! the same integer expressions (32-bit products and sums that cannot overflow, and
//! clamps), so they return the same values on every input: the output is the same
//! bytes with and without AVX2 (tests below, and `tests/golden.rs`).

use std::sync::atomic::{AtomicBool, Ordering};

/// Set by tests to run the baseline build where AVX2 is there.
static BASELINE_ONLY: AtomicBool = AtomicBool::new(false);

/// Run the baseline build even where AVX2 is there (`false` undoes it).
#[doc(hidden)]
pub fn baseline_only(on: bool) {
    BASELINE_ONLY.store(on, Ordering::Relaxed);
}

#[cfg(target_arch = "x86_64")]
#[inline]
fn avx2() -> bool {
    std::arch::is_x86_feature_detected!("avx2") && !BASELINE_ONLY.load(Ordering::Relaxed)
}

/// Σ (x_i·w_i) >> 8 over the pairs: |x| < 2^11 and |w| < 2^19, so each product fits an
/// i32, and so does the sum for fewer than 2^9 pairs.
#[inline(always)]
fn dot_body(x: &[i32], w: &[i32]) -> i32 {
    x.iter().zip(w).map(|(&x, &w)| (x * w) >> 8).sum()
}

/// w_i ← clamp(w_i + (x_i·e) >> 14, ±limit): |x| < 2^11 and |e| < 2^20 keep x·e in an
/// i32.
#[inline(always)]
fn train_body(w: &mut [i32], x: &[i32], e: i32, limit: i32) {
    for (w, &x) in w.iter_mut().zip(x) {
        *w = (*w + ((x * e) >> 14)).clamp(-limit, limit);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn dot_avx2(x: &[i32], w: &[i32]) -> i32 {
    dot_body(x, w)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn train_avx2(w: &mut [i32], x: &[i32], e: i32, limit: i32) {
    train_body(w, x, e, limit)
}

/// Σ (x_i·w_i) >> 8 (see [`dot_body`] for the bounds the callers keep).
#[inline]
pub(super) fn dot(x: &[i32], w: &[i32]) -> i32 {
    #[cfg(target_arch = "x86_64")]
    if avx2() {
        // SAFETY: the CPU has AVX2 (checked just above), the one requirement of
        // calling a function built with it; the function itself is safe code.
        #[allow(unsafe_code)]
        return unsafe { dot_avx2(x, w) };
    }
    dot_body(x, w)
}

/// w_i ← clamp(w_i + (x_i·e) >> 14, ±limit) (see [`train_body`]).
#[inline]
pub(super) fn train(w: &mut [i32], x: &[i32], e: i32, limit: i32) {
    #[cfg(target_arch = "x86_64")]
    if avx2() {
        // SAFETY: as in `dot`: AVX2 is there, and the function is safe code.
        #[allow(unsafe_code)]
        return unsafe { train_avx2(w, x, e, limit) };
    }
    train_body(w, x, e, limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both builds agree on every length up to 70 (every remainder of the vector
    /// width) and at the extremes of the stated bounds.
    #[test]
    fn both_builds_give_the_same_values() {
        let mut s = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
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
                        0 | 1 => (1 << 19) - 1,
                        _ => (next() % (1 << 20)) as i32 - (1 << 19) + 1,
                    })
                    .collect();
                let e = (next() % (1 << 21)) as i32 - (1 << 20) + 1;
                let base_dot = dot_body(&x, &w);
                let (mut wa, mut wb) = (w.clone(), w.clone());
                train_body(&mut wa, &x, e, (1 << 19) - 1);
                #[cfg(target_arch = "x86_64")]
                if std::arch::is_x86_feature_detected!("avx2") {
                    #[allow(unsafe_code)]
                    // SAFETY: AVX2 is there (checked above).
                    let fast = unsafe { dot_avx2(&x, &w) };
                    assert_eq!(fast, base_dot, "dot, n = {n}");
                    #[allow(unsafe_code)]
                    // SAFETY: as above.
                    unsafe {
                        train_avx2(&mut wb, &x, e, (1 << 19) - 1)
                    };
                    assert_eq!(wa, wb, "train, n = {n}");
                }
                assert_eq!(dot(&x, &w), base_dot);
                let _ = &mut wb;
            }
        }
    }
}
