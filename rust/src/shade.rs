//! Fast, exact shading used by [`crate::FixedResolutionBuffer::shade`].
//!
//! # Colour codes
//! Shading a pixel means: value -> [`crate::ResolvedNormalization::normalize`]
//! -> [`crate::Colormap::map`]. For a colormap of `N` entries the result is
//! one of `N + 3` *codes*: `0..N` (LUT entry), `N` (under), `N + 1` (over),
//! `N + 2` (bad). The code of every pixel is kept (`u16` per pixel) with the
//! key it was computed for (deposit generation, scale, resolved limits,
//! `N`), so a colormap-only change with the same `N` is a table gather
//! (`rgba = lut[code]`, the LUT extended with under/over/bad).
//!
//! # Exact thresholds (no per-pixel `log10`)
//! For finite `x` in the scale's domain (`x > 0` for Log, all finite `x`
//! otherwise) and `vmin != vmax`, the code is a non-decreasing function of
//! `x` once bad is split into "bad low" (normalized `-inf`) and "bad high":
//! its *rank* `r(x)` in `0..=N + 3` (see `ResolvedNormalization::rank`,
//! which is the shading formula itself). Per (scale, limits, `N`) we find,
//! for every `r` in `1..=N + 3`, the threshold `T[r]` = the smallest f64 `x`
//! with `r(x) >= r`, by galloping + bisection over the f64 bit patterns
//! (ordered as integers) starting from the analytic inverse, evaluating the
//! exact formula. Those `N + 3` thresholds are cached across calls.
//!
//! `log10` / `ln` are not guaranteed monotone to the last bit, and symlog
//! has a branch change at `±linthresh`, so `r` could differ from an ideally
//! monotone step function within a few ulps of a step. Every threshold
//! therefore has a *guard band* of `2^24` ulps on each side (~`1e-9`
//! relative, far wider than those rounding effects, ~`1e-12`): a pixel
//! inside a guard band is computed with the exact formula; outside, its rank
//! is the `r` with `T[r] <= x < T[r + 1]`, which is exact.
//!
//! Per pixel: if the value lies in the guard-free interval of the previous
//! pixel's rank (`[G_hi[r], G_lo[r + 1])`, two comparisons) its code is
//! reused; otherwise the rank is estimated (Log: `a * log2(x) + b` with a
//! polynomial `log2`; Linear: the linear formula; SymLog: binary search)
//! and corrected exactly against `T`. NaN, ±inf and (Log) `x <= 0` are bad,
//! as in the formula. `vmin == vmax` maps every finite value to code 0.

use crate::error::{try_filled, Result};
use crate::normalization::{ResolvedNormalization, Scale};

/// Guard band half-width, in ulps (f64 keys).
const GUARD: u64 = 1 << 24;

/// Monotone map f64 (not NaN) -> u64 (`-0 < +0`).
#[inline]
fn key(x: f64) -> u64 {
    let b = x.to_bits();
    if b >> 63 == 1 {
        !b
    } else {
        b | (1 << 63)
    }
}

#[inline]
fn from_key(k: u64) -> f64 {
    if k >> 63 == 1 {
        f64::from_bits(k & !(1 << 63))
    } else {
        f64::from_bits(!k)
    }
}

/// The cache key of a threshold table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct NormKey {
    scale: Scale,
    vmin: f64,
    vmax: f64,
    n: usize,
}

impl NormKey {
    pub(crate) fn new(res: &ResolvedNormalization, n: usize) -> Self {
        let (vmin, vmax) = res.limits();
        NormKey {
            scale: res.scale(),
            vmin,
            vmax,
            n,
        }
    }
}

/// Thresholds and guard bands (indices `0..=N + 4`; `t[0]` = domain
/// minimum, `t[N + 4]` = `+inf`).
#[derive(Debug, Clone)]
pub(crate) struct Thresholds {
    key: NormKey,
    t: Vec<f64>,
    g_lo: Vec<f64>,
    g_hi: Vec<f64>,
}

impl Thresholds {
    pub(crate) fn key(&self) -> NormKey {
        self.key
    }

    /// Compute the table (`vmin != vmax`).
    pub(crate) fn new(res: &ResolvedNormalization, n: usize) -> Result<Self> {
        let positive = res.scale() == Scale::Log;
        let klo = if positive { key(f64::from_bits(1)) } else { key(-f64::MAX) };
        let khi = key(f64::MAX);
        let len = n + 5;
        let mut t = try_filled(len, 0.0, "the shading thresholds")?;
        let mut g_lo = try_filled(len, 0.0, "the shading thresholds")?;
        let mut g_hi = try_filled(len, 0.0, "the shading thresholds")?;
        let dmin = from_key(klo);
        t[0] = dmin;
        g_lo[0] = dmin;
        g_hi[0] = dmin;
        t[n + 4] = f64::INFINITY;
        g_lo[n + 4] = f64::INFINITY;
        g_hi[n + 4] = f64::INFINITY;
        let mut prev = klo;
        for r in 1..=n + 3 {
            let ge = |k: u64| res.rank(from_key(k), n) >= r;
            let guess = if (2..=n + 2).contains(&r) {
                res.inverse_guess((r - 2) as f64 / n as f64)
            } else {
                f64::NAN
            };
            let guess = if guess.is_nan() {
                None
            } else {
                Some(key(guess).clamp(klo, khi).max(prev))
            };
            // first key in [prev, khi] with ge, or khi + 1
            let (lo_v, hi_v) = (prev - 1, khi + 1);
            let (mut lo, mut hi) = (lo_v, hi_v);
            if let Some(g) = guess {
                let mut step = 1u64;
                if ge(g) {
                    hi = g;
                    loop {
                        let c = if hi - lo_v > step { hi - step } else { lo_v };
                        if c == lo_v {
                            break;
                        }
                        if ge(c) {
                            hi = c;
                            step = step.saturating_mul(2);
                        } else {
                            lo = c;
                            break;
                        }
                    }
                } else {
                    lo = g;
                    loop {
                        let c = if hi_v - lo > step { lo + step } else { hi_v };
                        if c == hi_v {
                            break;
                        }
                        if ge(c) {
                            hi = c;
                            break;
                        } else {
                            lo = c;
                            step = step.saturating_mul(2);
                        }
                    }
                }
            }
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if ge(mid) {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            let k = hi; // in [prev, khi + 1]
            prev = k.min(khi);
            if k == klo {
                // the whole domain has rank >= r: no step
                t[r] = dmin;
                g_lo[r] = dmin;
                g_hi[r] = dmin;
            } else if k > khi {
                // no value reaches rank r
                t[r] = f64::INFINITY;
                g_lo[r] = f64::INFINITY;
                g_hi[r] = f64::INFINITY;
            } else {
                t[r] = from_key(k);
                let mut lo_g = from_key(k.saturating_sub(GUARD).max(klo));
                let mut hi_g = from_key((k + GUARD).min(khi + 1));
                // never a signed zero at a band edge (`-0 == +0` in f64)
                if lo_g == 0.0 {
                    lo_g = -f64::from_bits(1);
                }
                if hi_g == 0.0 {
                    hi_g = f64::from_bits(1);
                }
                g_lo[r] = lo_g;
                g_hi[r] = hi_g;
            }
        }
        Ok(Thresholds {
            key: NormKey::new(res, n),
            t,
            g_lo,
            g_hi,
        })
    }
}

/// `rank -> code` (see the module docs).
#[inline(always)]
fn rank_to_code(r: usize, n: usize) -> u16 {
    (if r == 0 || r == n + 3 {
        n + 2
    } else if r == 1 {
        n
    } else if r == n + 2 {
        n + 1
    } else {
        r - 2
    }) as u16
}

/// Polynomial `log2` (|error| < 4e-5 for normal `x > 0`; only an estimate).
#[inline(always)]
fn approx_log2(x: f64) -> f64 {
    let b = x.to_bits();
    let e = ((b >> 52) & 0x7ff) as i64 - 1023;
    let m = f64::from_bits((b & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    let p = -2.786812953867443
        + m * (5.046876044975941
            + m * (-3.49249427987935
                + m * (1.5939013634991297 + m * (-0.4048671744191854 + m * 0.043428907822139526))));
    e as f64 + p
}

/// Per-pixel classifier state: the guard-free interval `[lo, hi)` of the
/// last rank found, and its code.
struct Bracket {
    lo: f64,
    hi: f64,
    code: u16,
}

/// Code of `x` outside the current bracket; updates the bracket.
#[inline(always)]
fn classify(
    x: f64,
    th: &Thresholds,
    res: &ResolvedNormalization,
    n: usize,
    positive: bool,
    estimate: &impl Fn(f64) -> usize,
    br: &mut Bracket,
) -> u16 {
    let bad = (n + 2) as u16;
    if !x.is_finite() || (positive && !(x > 0.0)) {
        return bad;
    }
    let t = &th.t[..n + 5];
    let mut r = estimate(x).min(n + 3);
    while x >= t[r + 1] {
        r += 1;
    }
    while x < t[r] {
        r -= 1;
    }
    if x < th.g_hi[r] || x >= th.g_lo[r + 1] {
        return rank_to_code(res.rank(x, n), n);
    }
    let code = rank_to_code(r, n);
    *br = Bracket {
        lo: th.g_hi[r],
        hi: th.g_lo[r + 1],
        code,
    };
    code
}

/// Compute the codes of `values` into `codes` and the pixels into `rgba`
/// (flipped rows) with `lut` (`N + 3` colours indexed by code).
#[allow(clippy::too_many_arguments)]
pub(crate) fn shade_codes(
    values: &[f64],
    codes: &mut [u16],
    rgba: &mut [u32],
    width: usize,
    lut: &[u32],
    res: &ResolvedNormalization,
    th: Option<&Thresholds>,
    n: usize,
) {
    let bad = (n + 2) as u16;
    let th = match th {
        Some(th) => th,
        None => {
            // vmin == vmax: every finite value -> entry 0
            for (src, (crow, dst)) in values
                .chunks_exact(width)
                .zip(codes.chunks_exact_mut(width).zip(rgba.chunks_exact_mut(width).rev()))
            {
                for ((&x, c), d) in src.iter().zip(crow.iter_mut()).zip(dst.iter_mut()) {
                    let code = if x.is_finite() { 0 } else { bad };
                    *c = code;
                    *d = lut[code as usize];
                }
            }
            return;
        }
    };
    match res.scale() {
        Scale::Log => {
            let (a, b) = res.log2_rank_coefficients(n);
            let est = move |x: f64| {
                let r = a * approx_log2(x) + b;
                // saturating cast (NaN -> 0)
                if r > 0.0 {
                    r as usize
                } else {
                    0
                }
            };
            run(values, codes, rgba, width, lut, res, th, n, true, est);
        }
        Scale::Linear => {
            let (vmin, vmax) = res.limits();
            let s = n as f64 / (vmax - vmin);
            let est = move |x: f64| {
                let r = (x - vmin) * s + 2.0;
                if r > 0.0 {
                    r as usize
                } else {
                    0
                }
            };
            run(values, codes, rgba, width, lut, res, th, n, false, est);
        }
        Scale::SymLog { .. } => {
            let t = &th.t[..n + 5];
            let est = move |x: f64| {
                // number of t[1..=n+3] <= x
                t[1..n + 4].partition_point(|&v| v <= x)
            };
            run(values, codes, rgba, width, lut, res, th, n, false, est);
        }
    }
}

#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn run(
    values: &[f64],
    codes: &mut [u16],
    rgba: &mut [u32],
    width: usize,
    lut: &[u32],
    res: &ResolvedNormalization,
    th: &Thresholds,
    n: usize,
    positive: bool,
    est: impl Fn(f64) -> usize,
) {
    let mut br = Bracket {
        lo: f64::INFINITY,
        hi: f64::NEG_INFINITY,
        code: 0,
    };
    for (src, (crow, dst)) in values
        .chunks_exact(width)
        .zip(codes.chunks_exact_mut(width).zip(rgba.chunks_exact_mut(width).rev()))
    {
        for ((&x, c), d) in src.iter().zip(crow.iter_mut()).zip(dst.iter_mut()) {
            let code = if x >= br.lo && x < br.hi {
                br.code
            } else {
                classify(x, th, res, n, positive, &est, &mut br)
            };
            *c = code;
            *d = lut[code as usize];
        }
    }
}

/// `rgba = lut[code]` (flipped rows).
pub(crate) fn gather(codes: &[u16], rgba: &mut [u32], width: usize, lut: &[u32]) {
    for (crow, dst) in codes.chunks_exact(width).zip(rgba.chunks_exact_mut(width).rev()) {
        for (&c, d) in crow.iter().zip(dst.iter_mut()) {
            *d = lut[c as usize];
        }
    }
}

/// Min/max of the finite (and, if `log`, `> 0`) values; `(+inf, -inf)` if
/// none.
pub(crate) fn min_max(values: &[f64], log: bool) -> (f64, f64) {
    let lower = if log { 0.0 } else { f64::NEG_INFINITY };
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    #[allow(unused_mut)]
    let mut rest = values;
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        use core::arch::wasm32::*;
        let pairs = values.len() / 4;
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
        lo = f64x2_extract_lane::<0>(l).min(f64x2_extract_lane::<1>(l));
        hi = f64x2_extract_lane::<0>(h).max(f64x2_extract_lane::<1>(h));
        rest = &values[4 * pairs..];
    }
    for &v in rest {
        if v > lower && v < f64::INFINITY {
            if v < lo {
                lo = v;
            }
            if v > hi {
                hi = v;
            }
        }
    }
    (lo, hi)
}

#[cfg(test)]
mod tests {
    use crate::{Colormap, FixedResolutionBuffer, Normalization};

    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> f64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            (self.0.wrapping_mul(0x2545F4914F6CDD1D) >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    /// Direct per-pixel evaluation (the definition).
    fn reference(values: &[f64], w: usize, cmap: &Colormap, norm: &Normalization) -> Option<Vec<u8>> {
        let r = norm.resolve(values).ok()?;
        let mut out = vec![0u8; values.len() * 4];
        for (src, dst) in values.chunks_exact(w).zip(out.chunks_exact_mut(4 * w).rev()) {
            for (v, px) in src.iter().zip(dst.chunks_exact_mut(4)) {
                px.copy_from_slice(&match r.normalize(*v) {
                    Some(t) => cmap.map(t),
                    None => cmap.bad(),
                });
            }
        }
        Some(out)
    }

    fn cmap(n: usize) -> Colormap {
        let lut: Vec<u8> = (0..n).flat_map(|k| [(k % 256) as u8, (k / 256) as u8, 7, 255]).collect();
        let mut c = Colormap::new(&lut).unwrap();
        c.set_bad([1, 2, 3, 4]);
        c.set_under([5, 6, 7, 8]);
        c.set_over([9, 10, 11, 12]);
        c
    }

    /// Values chosen to hit thresholds: exact threshold neighbours, limits,
    /// zeros, negatives, subnormals, huge values, NaN, infinities.
    #[test]
    fn fast_shade_matches_direct_evaluation() {
        let mut rng = Rng(12345);
        let (w, h) = (61, 37);
        let mut frb = FixedResolutionBuffer::new(w, h).unwrap();
        let norms = [
            Normalization::log(None, None).unwrap(),
            Normalization::log(Some(1e-3), Some(1e3)).unwrap(),
            Normalization::log(Some(0.999), Some(1.001)).unwrap(),
            Normalization::log(Some(1e-310), Some(1e300)).unwrap(),
            Normalization::log(Some(2.0), Some(2.0)).unwrap(),
            Normalization::linear(None, None).unwrap(),
            Normalization::linear(Some(-1e308), Some(1e308)).unwrap(),
            Normalization::linear(Some(-3.0), Some(7.0)).unwrap(),
            Normalization::linear(Some(1.0), Some(1.0 + 1e-15)).unwrap(),
            Normalization::symlog(None, None, 0.5).unwrap(),
            Normalization::symlog(Some(-100.0), Some(1000.0), 1e-3).unwrap(),
            Normalization::symlog_with(Some(-1.0), Some(5.0), 0.7, 2.5, 3.0).unwrap(),
        ];
        for (case, norm) in norms.iter().enumerate() {
            for n in [2usize, 3, 10, 256, 511, 1000] {
                let c = cmap(n);
                // values around the analytic thresholds of this norm
                let probe = match norm.resolve(&[0.5, 3.0, 50.0]) {
                    Ok(r) => r,
                    Err(_) => continue,
                };
                let mut vals = Vec::with_capacity(w * h);
                while vals.len() < w * h {
                    let k = (rng.next() * (n + 1) as f64) as usize;
                    let g = probe.inverse_guess(k as f64 / n as f64);
                    let x = match (rng.next() * 10.0) as u32 {
                        0 => f64::NAN,
                        1 => [f64::INFINITY, f64::NEG_INFINITY, 0.0, -0.0, 1e-320, -5.0, f64::MAX][(rng.next() * 7.0) as usize],
                        2 => rng.next() * 20.0 - 5.0,
                        3 => 10f64.powf(rng.next() * 40.0 - 20.0),
                        _ => {
                            let d = (rng.next() * 16.0) as i64 - 8;
                            if g.is_finite() {
                                f64::from_bits((g.to_bits() as i64 + d) as u64)
                            } else {
                                rng.next()
                            }
                        }
                    };
                    // runs of equal-ish values, as in deposited images
                    let run = 1 + (rng.next() * 4.0) as usize;
                    for _ in 0..run {
                        vals.push(x);
                    }
                }
                vals.truncate(w * h);
                // deposit a dummy mesh to bump the generation, then inject values
                frb.set_values_for_test(&vals);
                let expected = reference(&vals, w, &c, norm);
                match frb.shade(&c, norm) {
                    Ok(_) => assert_eq!(Some(frb.rgba().to_vec()), expected, "norm {case} n {n}"),
                    Err(_) => assert!(expected.is_none()),
                }
                // cached path (same key): identical
                if expected.is_some() {
                    let again = frb.rgba().to_vec();
                    frb.shade(&c, norm).unwrap();
                    assert_eq!(frb.rgba(), &again[..]);
                }
            }
        }
    }
}
