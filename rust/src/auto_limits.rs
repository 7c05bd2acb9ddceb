//! Automatic limits: [`value_range`], the min/max scan over a deposited
//! buffer that resolves a normalization's automatic `vmin`/`vmax` (one SIMD
//! pass in wasm, branch-free lanes natively).

use crate::error::{Error, Result};

/// Min and max over the finite values of `values` (and `> 0` if `log`).
pub fn value_range(values: &[f64], log: bool) -> Result<(f64, f64)> {
    let (lo, hi) = min_max(values, log);
    if lo <= hi {
        Ok((lo, hi))
    } else {
        Err(Error::NoValidData { log })
    }
}

/// `(min, max)` of `values` (length a multiple of 4) ignoring NaN, and for
/// the minimum (`LOG`) the values `<= 0`; infinities are included.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
fn fast_min_max<const LOG: bool>(values: &[f64]) -> (f64, f64) {
    use core::arch::wasm32::*;
    let inf = f64x2_splat(f64::INFINITY);
    let zero = f64x2_splat(0.0);
    let (mut lo0, mut lo1, mut hi0, mut hi1) = (inf, inf, f64x2_splat(f64::NEG_INFINITY), f64x2_splat(f64::NEG_INFINITY));
    for k in 0..values.len() / 4 {
        // SAFETY: 4k + 3 < len for k < len / 4; unaligned loads are allowed.
        let (a, b) = unsafe {
            (
                v128_load(values.as_ptr().add(4 * k) as *const v128),
                v128_load(values.as_ptr().add(4 * k + 2) as *const v128),
            )
        };
        hi0 = f64x2_pmax(hi0, a);
        hi1 = f64x2_pmax(hi1, b);
        let (a, b) = if LOG {
            (v128_bitselect(a, inf, f64x2_gt(a, zero)), v128_bitselect(b, inf, f64x2_gt(b, zero)))
        } else {
            (a, b)
        };
        lo0 = f64x2_pmin(lo0, a);
        lo1 = f64x2_pmin(lo1, b);
    }
    let l = f64x2_pmin(lo0, lo1);
    let h = f64x2_pmax(hi0, hi1);
    (
        f64x2_extract_lane::<0>(l).min(f64x2_extract_lane::<1>(l)),
        f64x2_extract_lane::<0>(h).max(f64x2_extract_lane::<1>(h)),
    )
}

/// Min/max of the finite (and, if `log`, `> 0`) values; `(+inf, -inf)` if
/// none.
fn min_max(values: &[f64], log: bool) -> (f64, f64) {
    let lower = if log { 0.0 } else { f64::NEG_INFINITY };
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    let (mut lo, mut hi, rest) = (f64::INFINITY, f64::NEG_INFINITY, values);
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    let (mut lo, mut hi, rest) = {
        use core::arch::wasm32::*;
        let pairs = values.len() / 4;
        // Fast pass: `pmin` / `pmax` keep the accumulator when the value
        // is NaN, so only log's `<= 0` needs masking (to +inf, for the
        // minimum); the maximum over every value equals the maximum over
        // the valid ones unless it is +inf (then, or if the linear minimum
        // is -inf, the exact pass below). (With a positive value present,
        // the largest value is positive.)
        let (l, h) = if log {
            fast_min_max::<true>(&values[..4 * pairs])
        } else {
            fast_min_max::<false>(&values[..4 * pairs])
        };
        if h < f64::INFINITY && l > f64::NEG_INFINITY {
            (l, if l < f64::INFINITY || !log { h } else { f64::NEG_INFINITY }, &values[4 * pairs..])
        } else {
            let low = f64x2_splat(lower);
            let inf = f64x2_splat(f64::INFINITY);
            let ninf = f64x2_splat(f64::NEG_INFINITY);
            let (mut lo0, mut lo1, mut hi0, mut hi1) = (inf, inf, ninf, ninf);
            for k in 0..pairs {
                // SAFETY: 4k + 3 < len for k < len / 4.
                unsafe {
                    let a = v128_load(values.as_ptr().add(4 * k) as *const v128);
                    let b = v128_load(values.as_ptr().add(4 * k + 2) as *const v128);
                    let ma = v128_and(f64x2_gt(a, low), f64x2_lt(a, inf));
                    let mb = v128_and(f64x2_gt(b, low), f64x2_lt(b, inf));
                    lo0 = f64x2_pmin(lo0, v128_bitselect(a, inf, ma));
                    lo1 = f64x2_pmin(lo1, v128_bitselect(b, inf, mb));
                    hi0 = f64x2_pmax(hi0, v128_bitselect(a, ninf, ma));
                    hi1 = f64x2_pmax(hi1, v128_bitselect(b, ninf, mb));
                }
            }
            let l = f64x2_pmin(lo0, lo1);
            let h = f64x2_pmax(hi0, hi1);
            (
                f64x2_extract_lane::<0>(l).min(f64x2_extract_lane::<1>(l)),
                f64x2_extract_lane::<0>(h).max(f64x2_extract_lane::<1>(h)),
                &values[4 * pairs..],
            )
        }
    };
    // Branch-free, 4 independent lanes (vectorizable on native targets).
    let mut l = [lo; 4];
    let mut h = [hi; 4];
    let chunks = rest.chunks_exact(4);
    let tail = chunks.remainder();
    for c in chunks {
        for k in 0..4 {
            let v = c[k];
            let ok = v > lower && v < f64::INFINITY;
            l[k] = if ok && v < l[k] { v } else { l[k] };
            h[k] = if ok && v > h[k] { v } else { h[k] };
        }
    }
    for &v in tail {
        if v > lower && v < f64::INFINITY {
            l[0] = if v < l[0] { v } else { l[0] };
            h[0] = if v > h[0] { v } else { h[0] };
        }
    }
    for k in 0..4 {
        lo = if l[k] < lo { l[k] } else { lo };
        hi = if h[k] > hi { h[k] } else { hi };
    }
    (lo, hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_range_log_and_linear() {
        assert_eq!(value_range(&[f64::NAN, -2.0, 0.0, 3.0, f64::INFINITY], false).unwrap(), (-2.0, 3.0));
        assert_eq!(value_range(&[f64::NAN, -2.0, 0.0, 3.0, 5.0], true).unwrap(), (3.0, 5.0));
        assert!(matches!(value_range(&[-1.0, 0.0], true), Err(Error::NoValidData { log: true })));
    }

    /// `min_max` (4-lane and tail paths) equals a plain scan.
    #[test]
    fn min_max_matches_a_plain_scan() {
        let pool = [f64::NAN, -3.0, -0.0, 0.0, 1e-320, 2.5, 7.0, f64::INFINITY, f64::NEG_INFINITY, -1e300];
        let mut state = 0x2545F4914F6CDD1Du64;
        for len in 0..40 {
            for _ in 0..20 {
                let values: Vec<f64> = (0..len)
                    .map(|_| {
                        state ^= state << 13;
                        state ^= state >> 7;
                        state ^= state << 17;
                        pool[(state % pool.len() as u64) as usize]
                    })
                    .collect();
                for log in [false, true] {
                    let lower = if log { 0.0 } else { f64::NEG_INFINITY };
                    let ok = values.iter().copied().filter(|&v| v > lower && v < f64::INFINITY);
                    let lo = ok.clone().fold(f64::INFINITY, f64::min);
                    let hi = ok.fold(f64::NEG_INFINITY, f64::max);
                    let (l, h) = min_max(&values, log);
                    // equal as numbers (which zero of -0.0 / 0.0 comes out is unspecified)
                    assert_eq!((l, h), (lo, hi), "{values:?} log {log}");
                }
            }
        }
    }
}
