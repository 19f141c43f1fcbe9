//! The crate's only `unsafe` code, compiled with the `fast` feature (on by default;
//! without it the crate forbids `unsafe` and runs the same arithmetic more slowly, to
//! the same bytes). Two things need it, each measured (BENCHMARKS.md, "criterion"):
//!
//! - a prefetch: the context-mixing models know which table entries the next bit reads
//!   well before they read them, and a prefetch lets those cache misses overlap the
//!   learning in between (most of `cm`'s gain at levels 6 and 9 on inputs whose tables
//!   do not fit in cache);
//! - the mixers' loops built for AVX2, called where the CPU has it (`cm/mixers`: 1.3× at
//!   level 6, 1.6× at level 9).
//!
//! Neither changes a value: a prefetch is a hint, and the AVX2 build compiles the same
//! integer expressions as the baseline (`cm::kernels`).

#![allow(unsafe_code)]

use std::sync::atomic::{AtomicBool, Ordering};

/// Start loading the cache line that holds `x`.
#[inline(always)]
pub(crate) fn prefetch<T>(x: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `_mm_prefetch` needs SSE, which every x86-64 CPU has (it is in the
    // target's baseline). A prefetch is a hint: it never faults, reads nothing into the
    // program and writes nothing, for any address; here the address is that of a live
    // reference besides. Stable Rust has no safe form of it.
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>((x as *const T).cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = x;
}

/// Set by tests to run the baseline build of the kernels where AVX2 is there.
static BASELINE_ONLY: AtomicBool = AtomicBool::new(false);

/// Run the baseline kernels even where AVX2 is there (`false` undoes it).
pub(crate) fn baseline_only(on: bool) {
    BASELINE_ONLY.store(on, Ordering::Relaxed);
}

#[cfg(target_arch = "x86_64")]
#[inline]
fn avx2() -> bool {
    std::arch::is_x86_feature_detected!("avx2") && !BASELINE_ONLY.load(Ordering::Relaxed)
}

/// The AVX2 build of a kernel: `$name(args)` returns `Some` of the kernel `$body`
/// built for AVX2 when the CPU has it, else `None`.
macro_rules! avx2_build {
    ($name:ident, $inner:ident, ($($arg:ident: $ty:ty),*) -> $ret:ty, $body:path) => {
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2")]
        unsafe fn $inner($($arg: $ty),*) -> $ret {
            $body($($arg),*)
        }

        #[inline]
        pub(crate) fn $name($($arg: $ty),*) -> Option<$ret> {
            #[cfg(target_arch = "x86_64")]
            if avx2() {
                // SAFETY: the CPU has AVX2 (checked just above), the one requirement
                // of calling a function built with it; its body is safe code.
                return Some(unsafe { $inner($($arg),*) });
            }
            #[cfg(not(target_arch = "x86_64"))]
            let _ = ($($arg),*);
            None
        }
    };
}

#[cfg(target_arch = "x86_64")]
use crate::model::cm::kernels::{dot_body, train_body};

avx2_build!(dot, dot_avx2, (x: &[i32], w: &[i32]) -> i32, dot_body);
avx2_build!(train, train_avx2, (w: &mut [i32], x: &[i32], e: i32, limit: i32) -> (), train_body);
