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
//! has a branch change at `±linthresh`; every other operation (subtraction,
//! division, multiplication, truncation) is correctly rounded, hence
//! monotone. So the computed `r` can only be non-monotone between values
//! whose true `log10` / `ln` differ by less than ~2 ulps of the result (or,
//! at the symlog junction, by the error of the log branch), i.e. within a
//! few thousand ulps of each other (|log| <= 745 gives ulp <= 2^-42, so a
//! relative distance <= ~2^-40). Every threshold therefore has a *guard
//! band* of `2^20` ulps on each side (~`1e-10` relative, >100x that bound):
//! a pixel inside a guard band is computed with the formula itself (and
//! memoized: repeated values such as `vmin`/`vmax` themselves sit exactly
//! on a threshold); outside, its rank is the `r` with `T[r] <= x < T[r + 1]`,
//! which is exact (a value outside the band that disagreed would form a
//! non-monotone pair with the bisection's transition point, farther apart
//! than any such pair can be).
//!
//! # Per pixel
//! 0. (wasm) the *colour run*: two pixels at a time are
//!    tested against the guard-free interval `[G_hi[r], G_lo[r + 1])` of
//!    the code found last (every value in it has that code), or against
//!    the exact bits of the last value found on a guard band (plateaus at
//!    `vmin` / `vmax`, which sit on thresholds) or of a NaN run; a hit is
//!    two comparisons and the stores. In rows where fewer than half the
//!    pairs hit (noisy images) the test costs more than it saves, so the
//!    next 8 rows skip it.
//! 1. (Log / SymLog) the *bucket table*: the keys (f64 bit patterns mapped
//!    to integers in value order) of `[T[2], T[N + 2]]` (i.e. `vmin` to just
//!    above `vmax`) are cut into at most 65536 buckets of `2^shift`
//!    consecutive keys. A bucket lying entirely inside one guard-free
//!    interval `[G_hi[r], G_lo[r + 1])` stores that rank's code, so every
//!    value in it has exactly that code; the others (containing a guard
//!    band, or reaching outside the finite domain) are marked mixed. A hit
//!    costs a few integer operations and one load (in wasm two pixels at a
//!    time, keys and buckets in `i64x2`). Values outside the table (under,
//!    over, NaN, ±inf, `x <= 0` for Log) or in mixed buckets go on:
//! 2. if the value lies in the guard-free interval of the last rank found by
//!    step 3 (two comparisons), that rank's code;
//! 3. otherwise: NaN, ±inf and (Log) `x <= 0` are bad, as in the formula;
//!    else a 1024-entry memo keyed by the value's bits (values often repeat
//!    exactly, e.g. `vmin` / `vmax` themselves, which lie *on* thresholds);
//!    else the rank is estimated (Log: `a * log2(x) + b` with a polynomial
//!    `log2`; Linear: the linear formula; SymLog: binary search over `T`)
//!    and corrected exactly against `T`; inside a guard band the formula
//!    itself is evaluated.
//!
//! `vmin == vmax` maps every finite value to code 0 (matplotlib), without
//! thresholds. The table and thresholds take ~0.05 ms to build in wasm (256
//! colours), once per normalization / limits / `N`.

use crate::error::{try_filled, Result};
use crate::normalization::{ResolvedNormalization, Scale};

/// Colours by code (only the first `N + 3` are meaningful); 65536 entries
/// so that a `u16` code needs no bounds check.
pub(crate) type Lut = [u32; 1 << 16];

/// Guard band half-width, in ulps (f64 keys).
const GUARD: u64 = 1 << 20;

/// Monotone map f64 (not NaN) -> u64 (`-0 < +0`).
#[inline(always)]
fn key(x: f64) -> u64 {
    let b = x.to_bits();
    let mask = ((b as i64) >> 63) as u64;
    b ^ (mask | (1 << 63))
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
    /// Bucket table (Log / SymLog): bucket `b` holds the keys
    /// `(base + b) << shift ..= ((base + b + 1) << shift) - 1`; its entry is
    /// the code shared by all of them (no guard band inside), or `MIXED`.
    table: Vec<u16>,
    shift: u32,
    base: u64,
    /// Guard-free interval `[lo, hi)` of each code `0..N + 2` (colours,
    /// under, over; empty for codes that have none): every value in it has
    /// that code.
    code_lo: Vec<f64>,
    code_hi: Vec<f64>,
}

const MIXED: u16 = u16::MAX;
const TABLE_MAX: u64 = 1 << 16;

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
        let mut th = Thresholds {
            key: NormKey::new(res, n),
            t,
            g_lo,
            g_hi,
            table: Vec::new(),
            shift: 0,
            base: 0,
            code_lo: Vec::new(),
            code_hi: Vec::new(),
        };
        th.code_lo = try_filled(n + 2, f64::INFINITY, "the shading thresholds")?;
        th.code_hi = try_filled(n + 2, f64::NEG_INFINITY, "the shading thresholds")?;
        for r in 1..=n + 2 {
            let c = rank_to_code(r, n) as usize;
            if th.g_hi[r] < th.g_lo[r + 1] {
                th.code_lo[c] = th.g_hi[r];
                th.code_hi[c] = th.g_lo[r + 1];
            }
        }
        if res.scale() != Scale::Linear && n + 2 < MIXED as usize {
            th.build_table(n)?;
        }
        Ok(th)
    }

    /// Bucket table over `[T[2], T[N + 2]]` (the `vmin..vmax` range) in
    /// key space, at most `TABLE_MAX` buckets.
    fn build_table(&mut self, n: usize) -> Result<()> {
        let (a, b) = (self.t[2], self.t[n + 2]);
        if !(a.is_finite() && b.is_finite() && a < b) {
            return Ok(());
        }
        let (ka, kb) = (key(a), key(b));
        let mut shift = 0;
        while (kb >> shift) - (ka >> shift) + 1 > TABLE_MAX {
            shift += 1;
        }
        let base = ka >> shift;
        let len = ((kb >> shift) - base + 1) as usize;
        let mut table = try_filled(len, MIXED, "the shading table")?;
        // Each rank's guard-free key interval [key(g_hi[r]), key(g_lo[r + 1]))
        // gives its code to the buckets lying entirely inside it (bucket b
        // holds the keys (base + b) << shift ..= ((base + b + 1) << shift) - 1);
        // the others stay mixed. (A fill per rank: this is rebuilt whenever
        // the limits change, i.e. on every frame of a pan.)
        let ceil_div = |k: u64| (k >> shift) + u64::from(k & ((1u64 << shift) - 1) != 0);
        for r in 0..=n + 3 {
            let (lo, hi) = (key(self.g_hi[r]), key(self.g_lo[r + 1]));
            if lo >= hi {
                continue;
            }
            // first bucket starting at or after `lo`; end: buckets ending below `hi`
            let first = ceil_div(lo).max(base) - base;
            let end = ((hi >> shift).max(base) - base).min(len as u64);
            if first < end {
                table[first as usize..end as usize].fill(rank_to_code(r, n));
            }
        }
        table.push(MIXED); // index `len`: everything outside the table
        self.table = table;
        self.shift = shift;
        self.base = base;
        Ok(())
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
    /// Direct-mapped memo of the codes found by `classify`, keyed by the
    /// f64 bits (`u64::MAX`, a NaN, = empty: never looked up).
    memo: Vec<(u64, u16)>,
}

const MEMO: usize = 1024;

impl Bracket {
    fn new() -> Self {
        Bracket {
            lo: f64::INFINITY,
            hi: f64::NEG_INFINITY,
            code: 0,
            memo: vec![(u64::MAX, 0); MEMO],
        }
    }
}

/// Code of `x` outside the current bracket; updates the bracket.
#[inline(never)]
fn classify<E: Fn(f64) -> usize>(
    x: f64,
    th: &Thresholds,
    res: &ResolvedNormalization,
    n: usize,
    positive: bool,
    estimate: &E,
    br: &mut Bracket,
) -> u16 {
    let bad = (n + 2) as u16;
    if !x.is_finite() || (positive && !(x > 0.0)) {
        return bad;
    }
    // memo of recent values (exact codes: repeated values, e.g. `vmin` /
    // `vmax` themselves, sit exactly on a threshold, in its guard band)
    let bits = x.to_bits();
    let slot = (bits.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 54) as usize % MEMO;
    if br.memo[slot].0 == bits {
        return br.memo[slot].1;
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
        // guard band: the formula itself
        let code = rank_to_code(res.rank(x, n), n);
        br.memo[slot] = (bits, code);
        return code;
    }
    let code = rank_to_code(r, n);
    br.memo[slot] = (bits, code);
    br.lo = th.g_hi[r];
    br.hi = th.g_lo[r + 1];
    br.code = code;
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
    lut: &Lut,
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

/// The "same colour as the previous pixel pair" shortcut of the wasm
/// shading loop, and whether it pays: rows where fewer than half the pairs
/// hit it (noisy images) cost a mispredicted branch per pair, so after such
/// a row the next `RETRY` rows skip it, then it is tried again.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
struct ColourRun {
    lo: core::arch::wasm32::v128,
    hi: core::arch::wasm32::v128,
    /// The bits of a NaN run; otherwise those of `lo`, inside `[lo, hi)`.
    bits: core::arch::wasm32::v128,
    code: u16,
    hits: usize,
    skip_rows: u32,
    in_use: bool,
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
impl ColourRun {
    const RETRY: u32 = 8;

    /// Starts as a run of the empty pixels' NaN, whose code is `bad`.
    fn new(bad: u16) -> Self {
        use core::arch::wasm32::f64x2_splat;
        ColourRun {
            lo: f64x2_splat(f64::INFINITY),
            hi: f64x2_splat(f64::NEG_INFINITY),
            bits: core::arch::wasm32::i64x2_splat(f64::NAN.to_bits() as i64),
            code: bad,
            hits: 0,
            skip_rows: 0,
            in_use: true,
        }
    }

    /// Use the shortcut in this row?
    fn row_start(&mut self) -> bool {
        self.hits = 0;
        if self.skip_rows > 0 {
            self.skip_rows -= 1;
            self.in_use = false;
        } else {
            self.in_use = true;
        }
        self.in_use
    }

    fn row_end(&mut self, pairs: usize) {
        if self.in_use && self.hits * 2 < pairs {
            self.skip_rows = Self::RETRY;
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
    lut: &Lut,
    res: &ResolvedNormalization,
    th: &Thresholds,
    n: usize,
    positive: bool,
    est: impl Fn(f64) -> usize,
) {
    let mut br = Bracket::new();
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    let mut colour_run = ColourRun::new((n + 2) as u16);
    for (src, (crow, dst)) in values
        .chunks_exact(width)
        .zip(codes.chunks_exact_mut(width).zip(rgba.chunks_exact_mut(width).rev()))
    {
        #[allow(unused_mut)]
        let mut done = 0;
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        {
            // Two pixels at a time. In smooth images neighbouring pixels
            // mostly share a colour, so (while that pays: see `ColourRun`)
            // both are first tested against the guard-free interval of the
            // last code seen: two comparisons, no table. Otherwise keys and
            // buckets in SIMD, then the table; a mixed bucket (or no table:
            // Linear) goes through the bracket / slow path.
            use core::arch::wasm32::*;
            let table: &[u16] = if th.table.is_empty() { &[MIXED] } else { &th.table };
            let sign = u64x2_splat(1 << 63);
            let base = u64x2_splat(th.base);
            let shift = th.shift;
            let last = (table.len() - 1) as u64;
            let ncodes = th.code_lo.len();
            let bad = (n + 2) as u16;
            let use_run = colour_run.row_start();
            let ColourRun { lo, hi, bits, code, hits, .. } = &mut colour_run;
            while done + 2 <= src.len() {
                // SAFETY: done + 1 < src.len() (= crow.len() = dst.len()).
                let x = unsafe { v128_load(src.as_ptr().add(done) as *const v128) };
                // in the run: inside `[lo, hi)`, or the run's bits (NaN runs)
                let same = v128_or(v128_and(f64x2_ge(x, *lo), f64x2_lt(x, *hi)), i64x2_eq(x, *bits));
                if use_run && i64x2_all_true(same) {
                    crow[done] = *code;
                    crow[done + 1] = *code;
                    let colour = lut[*code as usize];
                    dst[done] = colour;
                    dst[done + 1] = colour;
                    *hits += 1;
                    done += 2;
                    continue;
                }
                let mask = i64x2_shr(x, 63);
                let k = v128_xor(x, v128_or(mask, sign));
                let b = i64x2_sub(u64x2_shr(k, shift), base);
                let b0 = (i64x2_extract_lane::<0>(b) as u64).min(last) as usize;
                let b1 = (i64x2_extract_lane::<1>(b) as u64).min(last) as usize;
                let mut c0 = table[b0];
                let mut c1 = table[b1];
                let mut mixed1 = c1 == MIXED;
                if c0 == MIXED || mixed1 {
                    for (c, x) in [(&mut c0, src[done]), (&mut c1, src[done + 1])] {
                        if *c == MIXED {
                            *c = if x >= br.lo && x < br.hi {
                                br.code
                            } else if x.is_nan() {
                                bad
                            } else {
                                classify(x, th, res, n, positive, &est, &mut br)
                            };
                        }
                    }
                }
                if mixed1 {
                    // found in the bracket (a guard-free interval): not
                    // near a threshold after all
                    let x1 = src[done + 1];
                    mixed1 = !(x1 >= br.lo && x1 < br.hi);
                }
                crow[done] = c0;
                crow[done + 1] = c1;
                dst[done] = lut[c0 as usize];
                dst[done + 1] = lut[c1 as usize];
                if use_run && (c1 as usize) < ncodes {
                    *code = c1;
                    let (l, h) = if mixed1 {
                        // a value near a threshold (e.g. vmin / vmax
                        // themselves, often a plateau): the run is that
                        // exact value, `[x, next value)`
                        let x1 = src[done + 1];
                        (x1, from_key(key(x1) + 1))
                    } else {
                        (th.code_lo[c1 as usize], th.code_hi[c1 as usize])
                    };
                    *lo = f64x2_splat(l);
                    *hi = f64x2_splat(h);
                    // (a value of the interval: matching its bits is harmless)
                    *bits = i64x2_splat(l.to_bits() as i64);
                } else if use_run && c1 == bad && src[done + 1].is_nan() {
                    // a run of NaN (no data: e.g. outside the domain)
                    *code = c1;
                    *bits = i64x2_splat(src[done + 1].to_bits() as i64);
                    *lo = f64x2_splat(f64::INFINITY);
                    *hi = f64x2_splat(f64::NEG_INFINITY);
                }
                done += 2;
            }
            colour_run.row_end(src.len() / 2);
        }
        for ((&x, c), d) in src[done..].iter().zip(crow[done..].iter_mut()).zip(dst[done..].iter_mut()) {
            let b = (key(x) >> th.shift).wrapping_sub(th.base) as usize;
            let code = match th.table.get(b) {
                Some(&c) if c != MIXED => c,
                _ => {
                    if x >= br.lo && x < br.hi {
                        br.code
                    } else {
                        classify(x, th, res, n, positive, &est, &mut br)
                    }
                }
            };
            *c = code;
            *d = lut[code as usize];
        }
    }
}

/// `rgba = lut[code]` (flipped rows).
pub(crate) fn gather(codes: &[u16], rgba: &mut [u32], width: usize, lut: &Lut) {
    for (crow, dst) in codes.chunks_exact(width).zip(rgba.chunks_exact_mut(width).rev()) {
        for (&c, d) in crow.iter().zip(dst.iter_mut()) {
            *d = lut[c as usize];
        }
    }
}
