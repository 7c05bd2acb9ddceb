//! Fast deposition used by [`crate::FixedResolutionBuffer`]: the same
//! arithmetic as the reference port [`crate::reference::pixelize_cartesian`]
//! (bit-identical results), organised for speed.
//!
//! # Why it is exact
//! * Cells are visited in input order (the per-pixel result depends on the
//!   order of the cells touching it, nothing else).
//! * Within one cell image, yt loops over columns `j` (outer) and rows `i`
//!   (inner); every pixel is touched once per cell image, so the traversal
//!   order inside a cell does not matter. Here rows are outer and columns
//!   inner (contiguous memory).
//! * `overlap1` depends only on `j`, `overlap2` only on `i`: per cell image
//!   we precompute `o1[j] = overlap1` and `d1[j] = dsp * overlap1` (yt's
//!   `(dsp * overlap1) * overlap2` keeps its order: `d1[j] * overlap2`), and
//!   per row `overlap2`. Pixel edges are precomputed per frame with yt's
//!   expressions (`lx[j] = px_dx * j + x_min`, `rxpx = lx[j + 1]`, same for
//!   y). Columns with `overlap1 < 0` get `o1 = -1` so that the product test
//!   `o1 * overlap2 < 1e-6` skips them (`overlap2 >= 0` and never NaN for
//!   finite cells and validated bounds), exactly like yt's `continue`.
//!   No heap allocation per frame: the edge and overlap arrays are scratch
//!   space owned by the buffer.
//! * Rows/columns whose products are all below the threshold are trimmed
//!   before the loops: with `max2 = max(overlap2)` over the rows, a column
//!   with `o1 * max2 < 1e-6` has `o1 * overlap2 < 1e-6` in every row
//!   (rounding is monotone, `o1 >= 0`), so yt would skip all its pixels;
//!   likewise a row with `max(o1) * overlap2 < 1e-6`. This removes yt's
//!   bonus column/row (overlap 0) from the loops. Conversely a row with
//!   `min(o1) * overlap2 >= 1e-6` has no product below the threshold and is
//!   updated without the per-pixel test (the interior of large cells).
//! * Small cell images take branch-free paths: a single pixel (`1 x 1`:
//!   yt's three tests then the update), or a fixed `2 x 2` / `4 x 4` window
//!   (when it fits in the image) where columns/rows past the cell or with a
//!   negative overlap get an overlap of 0: every product there is `0 <
//!   1e-6`, so those pixels are rewritten with their own bits (no change),
//!   exactly as yt's `continue`s leave them. A cell one column/row wider
//!   than the window (yt's bonus column/row of a cell whose edge falls on a
//!   pixel edge: 4 pixels + 1 is the most common cell in real slices) still
//!   takes the window when every product of that extra column/row is
//!   `< 1e-6` (same argument as the trimming above, with the maxima of the
//!   overlaps clamped at 0); otherwise the general path. With wasm SIMD128 a row is
//!   updated two pixels at a time (`f64x2`), selecting per lane between the
//!   old value and `(NaN ? 0 : old) + d1 * overlap2`: the same IEEE
//!   operations as the scalar code, so the same bits.
//! * Culling (see [`crate::variable_mesh`]): a block of consecutive cells is
//!   skipped only if no cell in it (nor any of its periodic images) can pass
//!   yt's per-cell view test. For the unshifted image the box test uses the
//!   same expressions as the cell test (exact); for shifted periodic images
//!   the box is widened by a relative margin of 1e-12 (conservative).
//!
//! * Row bands ([`crate::RowBand`]): the rows `row0..row1` of the image are
//!   computed on the *global* pixel grid (pixel edges, `lc..rc` / `lr..rr`
//!   and yt's tests from the whole view and the whole `width x height`),
//!   cells in input order; each cell image's rows `lr..rr` are clamped to
//!   the band, and the fixed windows are taken only when they fit in the
//!   band. A pixel's updates depend only on its own column and row
//!   overlaps (the trimming maxima over the band's rows bound the products
//!   of those rows just as well), so every pixel of the band gets the bits
//!   the whole deposit gives it. Blocks whose rows cannot reach the band
//!   are culled (`band_may_pass`: exact for the unshifted image, the
//!   periodic margin otherwise). Splitting the *cells* instead would not be
//!   exact (a pixel's sum is in cell order).
//!
//! Tested against [`crate::reference::pixelize_cartesian`] bit for bit on
//! random meshes (coherent and random cell order, zero widths, NaN values,
//! views inside/across/outside the data, antialiased or not, periodic or
//! not), and against yt itself by `tests/test_wasm_parity.py`.
//!
//! Inputs are assumed validated (finite cell geometry, bounds accepted by
//! [`crate::bounds::Bounds::validate`]);
//! [`crate::reference::pixelize_cartesian`] remains the reference for
//! arbitrary inputs.

use crate::bounds::{fmax, fmin, Bounds};
use crate::error::{try_filled, Result};
use crate::variable_mesh::{BlockIndex, GeometryRef, GeometrySource, ValueSource, ValuesRef, VariableMesh, BLOCK};

/// Per-frame scratch space, owned by the buffer (no allocation per frame).
#[derive(Debug, Clone, Default)]
pub(crate) struct Scratch {
    lx: Vec<f64>,
    ly: Vec<f64>,
    o1: Vec<f64>,
    d1: Vec<f64>,
    o2: Vec<f64>,
}

impl Scratch {
    /// Grow (never shrink) to fit a `width x height` image; allocates only
    /// when a dimension exceeds every earlier one.
    pub(crate) fn ensure(&mut self, width: usize, height: usize) -> Result<()> {
        fn grow(v: &mut Vec<f64>, len: usize) -> Result<()> {
            if v.len() < len {
                v.try_reserve_exact(len - v.len()).map_err(|_| crate::error::Error::AllocationFailed {
                    what: "the deposit scratch",
                    bytes: len.saturating_mul(8),
                })?;
                v.resize(len, 0.0);
            }
            Ok(())
        }
        grow(&mut self.lx, width + 1)?;
        grow(&mut self.ly, height + 1)?;
        grow(&mut self.o1, width)?;
        grow(&mut self.d1, width)?;
        grow(&mut self.o2, height)
    }

    pub(crate) fn new(width: usize, height: usize) -> Result<Self> {
        Ok(Scratch {
            lx: try_filled(width + 1, 0.0, "the deposit scratch")?,
            ly: try_filled(height + 1, 0.0, "the deposit scratch")?,
            o1: try_filled(width, 0.0, "the deposit scratch")?,
            d1: try_filled(width, 0.0, "the deposit scratch")?,
            o2: try_filled(height, 0.0, "the deposit scratch")?,
        })
    }
}


/// Does an axis interval `[lo, hi]` (a box of cells) possibly pass yt's
/// cell test for one of the shifts?
#[inline(always)]
fn axis_may_pass(lo: f64, hi: f64, vmin: f64, vmax: f64, shifts: &[f64]) -> bool {
    // Unshifted image: yt's test `x + dx < vmin || x - dx > vmax` with the
    // same expressions: exact.
    if !(hi < vmin) && !(lo > vmax) {
        return true;
    }
    for &s in shifts {
        let m = 1e-12 * (lo.abs() + hi.abs() + s.abs()) + f64::MIN_POSITIVE;
        if !(hi + s + m < vmin) && !(lo + s - m > vmax) {
            return true;
        }
    }
    false
}

/// Does an interval `[lo, hi]` (a box of cells, along y or x) possibly pass
/// yt's cell test for one of the shifts *and* reach one of the pixels
/// `band[0]..band[1]` of the `n` along that axis (`ipx`: pixels per unit)?
/// A cell image's rows are `lr..rr` with `lr = int(max((yl -
/// y_min) * ipx_dy, 0))`, `rr = int(min((yr - y_min) * ipx_dy + 1,
/// height))`, both nondecreasing in `yl` / `yr` (rounding is monotone; the
/// columns likewise): the box's own `lr`/`rr` from `lo` / `hi` bound every
/// cell's, so for the unshifted image (same expressions as the cell test,
/// see [`crate::variable_mesh`]) the test is exact; shifted images get the
/// relative margin of [`axis_may_pass`].
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn band_may_pass(
    lo: f64,
    hi: f64,
    vmin: f64,
    vmax: f64,
    shifts: &[f64],
    ipx: f64,
    n: usize,
    band: [usize; 2],
) -> bool {
    let reaches = |lo: f64, hi: f64| {
        let lr = fmax((lo - vmin) * ipx, 0.0) as i64;
        let rr = fmin((hi - vmin) * ipx + 1.0, n as f64) as i64;
        lr < band[1] as i64 && rr > band[0] as i64
    };
    if !(hi < vmin) && !(lo > vmax) && reaches(lo, hi) {
        return true;
    }
    for &s in shifts {
        let m = 1e-12 * (lo.abs() + hi.abs() + s.abs()) + f64::MIN_POSITIVE;
        let (l, h) = (lo + s - m, hi + s + m);
        if !(h < vmin) && !(l > vmax) && reaches(l, h) {
            return true;
        }
    }
    false
}

/// `x as usize` for `x` in `[0, 2^52)` (rounded toward zero). In wasm
/// without a float-to-integer conversion: V8 compiles wasm's saturating
/// conversions to several instructions with checks, and `trunc` + the 2^52
/// shift are two instructions and a subtraction (node, 1 M cells at full
/// view: 23.3 -> 21.3 ms). Natively the conversion itself is faster (x86's
/// `roundsd` path took 19 -> 23 ms there).
#[inline(always)]
fn index_of(x: f64) -> usize {
    #[cfg(target_arch = "wasm32")]
    {
        trunc_by_shift(x)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        x as usize
    }
}

/// `x as usize` for `x` in `[0, 2^52)`: `trunc(x) + 2^52` is exact (an
/// integer below 2^53) and holds that integer in its mantissa's low bits.
#[inline(always)]
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn trunc_by_shift(x: f64) -> usize {
    const SHIFT: f64 = 4503599627370496.0; // 2^52
    ((x.trunc() + SHIFT).to_bits() - SHIFT.to_bits()) as usize
}

/// `buff[i * width + j] += d1[j] * o2` where `o1[j] * o2 >= 1e-6`
/// (NaN pixels become 0 first), i.e. yt's antialiased inner loop.
#[inline(always)]
fn aa_row(row: &mut [f64], o1: &[f64], d1: &[f64], o2: f64) {
    let n = row.len().min(o1.len()).min(d1.len());
    let (row, o1, d1) = (&mut row[..n], &o1[..n], &d1[..n]);
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        use core::arch::wasm32::*;
        let pairs = n / 2;
        let o2v = f64x2_splat(o2);
        let thr = f64x2_splat(1.0e-6);
        for k in 0..pairs {
            // SAFETY: 2k + 1 < n for every k < n / 2; unaligned v128
            // loads/stores are allowed in wasm.
            unsafe {
                let rp = row.as_mut_ptr().add(2 * k) as *mut v128;
                let v = v128_load(rp);
                let a = v128_load(o1.as_ptr().add(2 * k) as *const v128);
                let d = v128_load(d1.as_ptr().add(2 * k) as *const v128);
                let skip = f64x2_lt(f64x2_mul(a, o2v), thr);
                let nan = f64x2_ne(v, v);
                let v0 = v128_andnot(v, nan);
                let nv = f64x2_add(v0, f64x2_mul(d, o2v));
                v128_store(rp, v128_bitselect(v, nv, skip));
            }
        }
        if n % 2 == 1 {
            let k = n - 1;
            if !(o1[k] * o2 < 1.0e-6) {
                let v = row[k];
                row[k] = if v.is_nan() { 0.0 } else { v } + d1[k] * o2;
            }
        }
    }
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    {
        for k in 0..n {
            if o1[k] * o2 < 1.0e-6 {
                continue;
            }
            let v = row[k];
            row[k] = if v.is_nan() { 0.0 } else { v } + d1[k] * o2;
        }
    }
}

/// [`aa_row`] where every product `o1[k] * o2` is known to be `>= 1e-6`
/// (no pixel skipped): `buff[k] = (NaN ? 0 : buff[k]) + d1[k] * o2`.
#[inline(always)]
fn aa_row_all(row: &mut [f64], d1: &[f64], o2: f64) {
    let n = row.len().min(d1.len());
    let (row, d1) = (&mut row[..n], &d1[..n]);
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        use core::arch::wasm32::*;
        let pairs = n / 2;
        let o2v = f64x2_splat(o2);
        for k in 0..pairs {
            // SAFETY: 2k + 1 < n for every k < n / 2; unaligned v128
            // loads/stores are allowed in wasm.
            unsafe {
                let rp = row.as_mut_ptr().add(2 * k) as *mut v128;
                let v = v128_load(rp);
                let d = v128_load(d1.as_ptr().add(2 * k) as *const v128);
                let v0 = v128_andnot(v, f64x2_ne(v, v));
                v128_store(rp, f64x2_add(v0, f64x2_mul(d, o2v)));
            }
        }
        if n % 2 == 1 {
            let v = row[n - 1];
            row[n - 1] = if v.is_nan() { 0.0 } else { v } + d1[n - 1] * o2;
        }
    }
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    {
        for (v, &d) in row.iter_mut().zip(d1) {
            *v = if v.is_nan() { 0.0 } else { *v } + d * o2;
        }
    }
}

/// Small cell image (`rc - lc <= W + 1`, `rr - lr <= W + 1`, the `W x W`
/// window inside the buffer: global rows `lr..lr + W` within the band whose
/// first row `row0` is row 0 of `buff`): branch-free over the whole window. Columns/rows
/// past the cell, and columns/rows with a negative overlap, get an overlap of
/// 0, so every product `o1 * o2` there is `0 < 1e-6` and the pixel is left
/// untouched (rewritten with its own bits), exactly like yt's `continue`s.
/// A column (row) `W` past the window (typically yt's bonus column, overlap
/// ~0) is allowed only if all its products are `< 1e-6` (the trimming
/// argument of the module docs, with the maxima over the clamped
/// overlaps); otherwise returns `false` and nothing was written.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn aa_small<const W: usize>(
    buff: &mut [f64],
    width: usize,
    row0: usize,
    lc: usize,
    lr: usize,
    nc: usize,
    nr: usize,
    lx: &[f64],
    ly: &[f64],
    xl: f64,
    xr: f64,
    yl: f64,
    yr: f64,
    ipx_dx: f64,
    ipx_dy: f64,
    dsp: f64,
) -> bool {
    // clamped overlaps of the window's columns / rows (0 past the cell)
    let mut o1 = [0.0f64; W];
    let mut d1 = [0.0f64; W];
    let mut o2 = [0.0f64; W];
    let lxw = &lx[lc..lc + W + 1];
    let lyw = &ly[lr..lr + W + 1];
    for k in 0..W {
        let o = (fmin(lxw[k + 1], xr) - fmax(lxw[k], xl)) * ipx_dx;
        let o = if k < nc && o >= 0.0 { o } else { 0.0 };
        o1[k] = o;
        d1[k] = dsp * o;
        let q = (fmin(lyw[k + 1], yr) - fmax(lyw[k], yl)) * ipx_dy;
        o2[k] = if k < nr && q >= 0.0 { q } else { 0.0 };
    }
    if nc > W || nr > W {
        // clamped overlap of the extra column / row (0 if absent); every
        // product of the extra column (row) must be < 1e-6: compare with
        // the largest overlap of the rows (columns) of the cell image
        let ox = if nc > W {
            let j = lc + W;
            let o = (fmin(lx[j + 1], xr) - fmax(lx[j], xl)) * ipx_dx;
            if o >= 0.0 { o } else { 0.0 }
        } else {
            0.0
        };
        let oy = if nr > W {
            let i = lr + W;
            let q = (fmin(ly[i + 1], yr) - fmax(ly[i], yl)) * ipx_dy;
            if q >= 0.0 { q } else { 0.0 }
        } else {
            0.0
        };
        let mut max1 = ox;
        let mut max2 = oy;
        for k in 0..W {
            max1 = fmax(o1[k], max1);
            max2 = fmax(o2[k], max2);
        }
        if !(ox * max2 < 1.0e-6) || !(max1 * oy < 1.0e-6) {
            return false;
        }
    }
    for (r, &q) in o2.iter().enumerate() {
        let start = (lr + r - row0) * width + lc;
        aa_row(&mut buff[start..start + W], &o1, &d1, q);
    }
    true
}

/// Deposit (see the module docs) the rows `rows[0]..rows[1]` of the global
/// `width x height` image into `buff` (`rows[1] - rows[0]` rows of `width`;
/// `buff` row `k` is global row `rows[0] + k`), which already holds its
/// initial values; only the columns `cols[0]..cols[1]` of those rows (the
/// others keep their values: a fixed window reaching past `cols[1]` gives
/// those columns an overlap of 0, rewriting them with their own bits).
/// `BAND` is false for the whole image (`rows =
/// [0, height]`, `cols = [0, width]`): a separate instance in which the
/// band's clamps and offsets are constants and vanish; call it directly
/// (not through a function pointer) so that the caller's constant arguments
/// propagate. A pixel's updates depend only on its own column's and row's
/// overlaps, so clamping the columns is exact for the same reason as the
/// rows (the trimming maxima over fewer columns bound their products just
/// as well).
#[allow(clippy::too_many_arguments)]
pub(crate) fn deposit<const BAND: bool, G: GeometrySource, V: ValueSource>(
    buff: &mut [f64],
    width: usize,
    height: usize,
    rows: [usize; 2],
    cols: [usize; 2],
    scratch: &mut Scratch,
    index: &BlockIndex,
    geometry: G,
    data: V,
    bounds: Bounds,
    antialias: bool,
    period: [f64; 2],
    check_period: bool,
) {
    let n = geometry.len();
    if data.len() != n || !geometry.consistent() {
        return; // unreachable: the mesh guarantees equal lengths
    }
    let [row0, row1] = if BAND { rows } else { [0, height] };
    let [col0, col1] = if BAND { cols } else { [0, width] };
    if rows != [row0, row1]
        || cols != [col0, col1]
        || !(row0 < row1 && row1 <= height)
        || !(col0 < col1 && col1 <= width)
        || buff.len() != width * (row1 - row0)
        || scratch.lx.len() < width + 1
        || scratch.o1.len() < width
        || scratch.d1.len() < width
        || scratch.o2.len() < height
        || scratch.ly.len() < height + 1
    {
        return; // unreachable: the buffer checked the rows and owns matching scratch space
    }
    let Bounds {
        x_min,
        x_max,
        y_min,
        y_max,
    } = bounds;
    let [period_x, period_y] = period;
    let px_dx = (x_max - x_min) / (width as f64);
    let px_dy = (y_max - y_min) / (height as f64);
    let ipx_dx = 1.0 / px_dx;
    let ipx_dy = 1.0 / px_dy;
    let wf = width as f64;
    let hf = height as f64;
    for (j, e) in scratch.lx[..=width].iter_mut().enumerate() {
        *e = px_dx * (j as f64) + x_min;
    }
    // only the band's row edges are ever read (rows lr..rr lie in the band)
    for (i, e) in scratch.ly[..=height].iter_mut().enumerate().take(row1 + 1).skip(row0) {
        *e = px_dy * (i as f64) + y_min;
    }
    let Scratch { lx, ly, o1, d1, o2: o2s } = scratch;
    let (lx, ly) = (&lx[..=width], &ly[..=height]);

    let xs_all = [period_x, -period_x];
    let ys_all = [period_y, -period_y];
    let (xs_extra, ys_extra): (&[f64], &[f64]) = if check_period {
        (&xs_all, &ys_all)
    } else {
        (&[], &[])
    };
    let band = BAND;
    // (a band of some columns only: its boxes culled along x as along y)
    let some_cols = BAND && cols != [0, width];
    let box_may_pass = |b: &[f64; 4]| {
        (if some_cols {
            band_may_pass(b[0], b[1], x_min, x_max, xs_extra, ipx_dx, width, cols)
        } else {
            axis_may_pass(b[0], b[1], x_min, x_max, xs_extra)
        }) && if band {
                band_may_pass(b[2], b[3], y_min, y_max, ys_extra, ipx_dy, height, rows)
            } else {
                axis_may_pass(b[2], b[3], y_min, y_max, ys_extra)
            }
    };

    // One image (xsp, ysp) of a cell that passed yt's view test;
    // `cols_ready`: o1/d1 already hold this x image's column overlaps.
    let mut image = |xsp: f64, ysp: f64, dxsp: f64, dysp: f64, dsp: f64, cols_ready: &mut bool, buff: &mut [f64]| {
        let lc = index_of(fmin(fmax((xsp - dxsp - x_min) * ipx_dx, 0.0), wf));
        let lr = index_of(fmin(fmax((ysp - dysp - y_min) * ipx_dy, 0.0), hf));
        let rc = index_of(fmax(fmin((xsp + dxsp - x_min) * ipx_dx + 1.0, wf), 0.0));
        let rr = index_of(fmax(fmin((ysp + dysp - y_min) * ipx_dy + 1.0, hf), 0.0));
        // the band's rows only (each pixel's update depends on its own row
        // and column overlaps, never on the other rows)
        let (lr, rr) = if BAND { (lr.max(row0), rr.min(row1)) } else { (lr, rr) };
        let (lc, rc) = if BAND { (lc.max(col0), rc.min(col1)) } else { (lc, rc) };
        if lc >= rc || lr >= rr {
            return;
        }
        let nc = rc - lc;
        if antialias && nc == 1 && rr - lr == 1 {
            // one pixel: yt's tests in its order, then the update
            let o2 = (fmin(ly[lr + 1], ysp + dysp) - fmax(ly[lr], ysp - dysp)) * ipx_dy;
            let o1 = (fmin(lx[lc + 1], xsp + dxsp) - fmax(lx[lc], xsp - dxsp)) * ipx_dx;
            if o2 < 0.0 || o1 < 0.0 || o1 * o2 < 1.0e-6 {
                return;
            }
            let pix = &mut buff[(lr - row0) * width + lc];
            let v = *pix;
            *pix = if v.is_nan() { 0.0 } else { v } + (dsp * o1) * o2;
        } else if antialias
            && nc <= 5
            && rr - lr <= 5
            && lc + 2 <= width
            && lr + 2 <= row1
            && ((nc <= 3
                && rr - lr <= 3
                && aa_small::<2>(
                    buff, width, row0, lc, lr, nc, rr - lr, lx, ly, xsp - dxsp, xsp + dxsp, ysp - dysp,
                    ysp + dysp, ipx_dx, ipx_dy, dsp,
                ))
                || (lc + 4 <= width
                    && lr + 4 <= row1
                    && aa_small::<4>(
                        buff, width, row0, lc, lr, nc, rr - lr, lx, ly, xsp - dxsp, xsp + dxsp,
                        ysp - dysp, ysp + dysp, ipx_dx, ipx_dy, dsp,
                    )))
        {
            // deposited by a fixed window
        } else if antialias {
            if !*cols_ready {
                // overlap1 per column (depends on the x image only)
                let xl = xsp - dxsp;
                let xr = xsp + dxsp;
                for k in 0..nc {
                    let j = lc + k;
                    let o = (fmin(lx[j + 1], xr) - fmax(lx[j], xl)) * ipx_dx;
                    if o < 0.0 {
                        o1[k] = -1.0;
                        d1[k] = 0.0;
                    } else {
                        o1[k] = o;
                        d1[k] = dsp * o;
                    }
                }
                *cols_ready = true;
            }
            // overlap2 per row, and its maximum
            let yl = ysp - dysp;
            let yr = ysp + dysp;
            let mut max2 = -1.0f64;
            for i in lr..rr {
                let o2 = (fmin(ly[i + 1], yr) - fmax(ly[i], yl)) * ipx_dy;
                o2s[i - lr] = o2;
                max2 = fmax(o2, max2);
            }
            if !(max2 >= 0.0) {
                return;
            }
            // Trim columns whose products are all < 1e-6: for o >= 0
            // rounding is monotone, o1 * o2 <= o1 * max2 (and the -1
            // sentinel gives products <= 0).
            let (mut k0, mut k1) = (0, nc);
            while k0 < k1 && o1[k0] * max2 < 1.0e-6 {
                k0 += 1;
            }
            while k1 > k0 && o1[k1 - 1] * max2 < 1.0e-6 {
                k1 -= 1;
            }
            if k0 == k1 {
                return;
            }
            let mut max1 = -1.0f64;
            let mut min1 = f64::INFINITY;
            for &o in &o1[k0..k1] {
                max1 = fmax(o, max1);
                min1 = fmin(o, min1);
            }
            for i in lr..rr {
                let o2 = o2s[i - lr];
                // yt: `overlap2 < 0` -> skip the row; a row whose
                // products are all < 1e-6 is skipped too (same result)
                if o2 < 0.0 || max1 * o2 < 1.0e-6 {
                    continue;
                }
                let start = (i - row0) * width + lc;
                if min1 * o2 >= 1.0e-6 {
                    // no product below the threshold (same monotonicity
                    // argument): the row without yt's skip test
                    aa_row_all(&mut buff[start + k0..start + k1], &d1[k0..k1], o2);
                } else {
                    aa_row(&mut buff[start + k0..start + k1], &o1[k0..k1], &d1[k0..k1], o2);
                }
            }
        } else {
            for i in lr..rr {
                let start = (i - row0) * width;
                buff[start + lc..start + rc].fill(dsp);
            }
        }
    };

    let mut cell = |p: usize, buff: &mut [f64]| {
        let (oxsp, oysp, dxsp, dysp) = geometry.cell(p);
        let dsp = data.value(p);
        if !check_period {
            let xsp = oxsp + 0.0;
            let ysp = oysp + 0.0;
            if (xsp + dxsp < x_min) || (xsp - dxsp > x_max) || (ysp + dysp < y_min) || (ysp - dysp > y_max) {
                return;
            }
            image(xsp, ysp, dxsp, dysp, dsp, &mut false, buff);
            return;
        }
        let mut xshift = [Some(0.0), None];
        let mut yshift = [Some(0.0), None];
        if oxsp - dxsp < x_min {
            xshift[1] = Some(period_x);
        } else if oxsp + dxsp > x_max {
            xshift[1] = Some(-period_x);
        }
        if oysp - dysp < y_min {
            yshift[1] = Some(period_y);
        } else if oysp + dysp > y_max {
            yshift[1] = Some(-period_y);
        }
        for xs in xshift.iter().flatten() {
            let xsp = oxsp + xs;
            if (xsp + dxsp < x_min) || (xsp - dxsp > x_max) {
                continue;
            }
            let mut cols_ready = false;
            for ys in yshift.iter().flatten() {
                let ysp = oysp + ys;
                if (ysp + dysp < y_min) || (ysp - dysp > y_max) {
                    continue;
                }
                image(xsp, ysp, dxsp, dysp, dsp, &mut cols_ready, buff);
            }
        }
    };

    for (g, b2) in index.level2.iter().enumerate() {
        if !box_may_pass(b2) {
            continue;
        }
        let b1_lo = g * BLOCK;
        let b1_hi = (b1_lo + BLOCK).min(index.level1.len());
        for b in b1_lo..b1_hi {
            if !box_may_pass(&index.level1[b]) {
                continue;
            }
            let lo = b * BLOCK;
            let hi = (lo + BLOCK).min(n);
            for p in lo..hi {
                cell(p, buff);
            }
        }
    }
}

/// [`deposit`] of `mesh` as it is stored: one monomorphised instance per
/// representation (f64 or compact geometry, f64 or f32 values; see
/// [`crate::variable_mesh`]), called directly so that the caller's constant
/// arguments propagate; the f64 instance is the deposit of f64 slices. The
/// mesh must have been validated (its culling index is `index`).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) fn deposit_mesh<const BAND: bool>(
    buff: &mut [f64],
    width: usize,
    height: usize,
    rows: [usize; 2],
    cols: [usize; 2],
    scratch: &mut Scratch,
    index: &BlockIndex,
    mesh: &VariableMesh,
    bounds: Bounds,
    antialias: bool,
    period: [f64; 2],
    check_period: bool,
) {
    use GeometryRef as G;
    use ValuesRef as V;
    match (mesh.geometry(), mesh.values_ref()) {
        (G::F64(g), V::F64(v)) => {
            deposit::<BAND, _, _>(buff, width, height, rows, cols, scratch, index, g, v, bounds, antialias, period, check_period)
        }
        (G::Table(g), V::F64(v)) => {
            deposit::<BAND, _, _>(buff, width, height, rows, cols, scratch, index, g, v, bounds, antialias, period, check_period)
        }
        (G::Table(g), V::F32(v)) => {
            deposit::<BAND, _, _>(buff, width, height, rows, cols, scratch, index, g, v, bounds, antialias, period, check_period)
        }
        (G::F64(g), V::F32(v)) => {
            deposit::<BAND, _, _>(buff, width, height, rows, cols, scratch, index, g, v, bounds, antialias, period, check_period)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::pixelize_cartesian;

    /// What `FixedResolutionBuffer::deposit` / `deposit_periodic` do: check
    /// the bounds and the mesh, reset `buff` to NaN, then the fast deposit.
    #[allow(clippy::too_many_arguments)]
    fn fast(
        buff: &mut [f64],
        w: usize,
        h: usize,
        scratch: &mut Scratch,
        mesh: &VariableMesh,
        b: Bounds,
        aa: bool,
        period: [f64; 2],
        periodic: bool,
    ) {
        b.validate(w, h).unwrap();
        let index = mesh.block_index().unwrap();
        buff.fill(f64::NAN);
        deposit_mesh::<false>(buff, w, h, [0, h], [0, w], scratch, &index, mesh, b, aa, period, periodic);
    }

    use crate::testing::Rng;

    /// The wasm build's float-to-index conversion is `as usize` on the
    /// range the deposit gives it (`[0, width]` or `[0, height]`).
    #[test]
    fn trunc_by_shift_is_as_usize() {
        let mut xs = vec![0.0, -0.0, 0.25, 0.5, 1.0 - f64::EPSILON / 2.0, 1.0, 1.5, 8191.999999, 8192.0, 65535.75];
        xs.extend([(1u64 << 52) as f64 - 1.0, (1u64 << 52) as f64 - 0.5, 1e15 + 0.5]);
        let mut rng = Rng(0x1DE_0F5A_17);
        xs.extend((0..10_000).map(|k| rng.next() * [1.0, 100.0, 8192.0, 1e12][k % 4]));
        for x in xs {
            assert_eq!(trunc_by_shift(x), x as usize, "{x}");
        }
    }

    fn same(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
    }

    /// The fast deposit is bit-identical to the reference port, with and
    /// without antialiasing / periodicity, for cells in coherent and random
    /// order, with views inside, across and outside the data.
    #[test]
    fn fast_deposit_matches_reference() {
        let mut rng = Rng(0x9E3779B97F4A7C15);
        for case in 0..60 {
            let n = 1 + (rng.next() * 3000.0) as usize;
            let [px, py, pdx, pdy, v] = crate::testing::random_cells(&mut rng, n, case % 2 == 0, case % 7 == 0);
            let mesh = VariableMesh::new(px.clone(), py.clone(), pdx.clone(), pdy.clone(), v.clone()).unwrap();
            let (w, h) = (1 + (rng.next() * 70.0) as usize, 1 + (rng.next() * 70.0) as usize);
            let cx = rng.next() * 1.4 - 0.2;
            let cy = rng.next() * 1.4 - 0.2;
            let sz = 0.02 + rng.next() * 1.2;
            let b = Bounds::new(cx - sz / 2.0, cx + sz / 2.0, cy - sz / 3.0, cy + sz / 2.0);
            let mut scratch = Scratch::new(w, h).unwrap();
            let mut buff = vec![0.0; w * h];
            for aa in [true, false] {
                for periodic in [false, true] {
                    let mut r = vec![f64::NAN; w * h];
                    let period = if periodic { [1.0, 1.0] } else { [0.0, 0.0] };
                    pixelize_cartesian(&mut r, w, h, &px, &py, &pdx, &pdy, &v, b, aa, period, periodic).unwrap();
                    fast(&mut buff, w, h, &mut scratch, &mesh, b, aa, period, periodic);
                    assert!(same(&buff, &r), "case {case} aa {aa} periodic {periodic}");
                }
            }
        }
    }

    /// Grids whose cell edges fall on pixel edges (yt's bonus column/row
    /// with overlap ~0: the fixed-window paths with a dropped extra
    /// column/row), and slightly shifted views, against the reference.
    #[test]
    fn aligned_grids_match_reference() {
        for &(n, w, h) in &[(16usize, 64usize, 64usize), (32, 64, 64), (16, 32, 64), (8, 32, 40), (64, 128, 96), (21, 84, 63)] {
            let (mut px, mut py, mut pdx, mut pdy, mut v) = (vec![], vec![], vec![], vec![], vec![]);
            for i in 0..n {
                for j in 0..n {
                    px.push((j as f64 + 0.5) / n as f64);
                    py.push((i as f64 + 0.5) / n as f64);
                    pdx.push(0.5 / n as f64);
                    pdy.push(0.5 / n as f64);
                    v.push(if (i * 7 + j) % 13 == 0 { f64::NAN } else { (i * n + j) as f64 * 0.37 - 3.0 });
                }
            }
            let mesh = VariableMesh::new(px.clone(), py.clone(), pdx.clone(), pdy.clone(), v.clone()).unwrap();
            let mut scratch = Scratch::new(w, h).unwrap();
            let mut buff = vec![0.0; w * h];
            for &(x0, x1, y0, y1) in &[(0.0, 1.0, 0.0, 1.0), (0.25, 0.75, 0.125, 0.625), (1e-9, 1.0, 0.0, 1.0 - 1e-9), (0.1, 0.9, 0.3, 0.7)] {
                let b = Bounds::new(x0, x1, y0, y1);
                for periodic in [false, true] {
                    let mut r = vec![f64::NAN; w * h];
                    let period = if periodic { [1.0, 1.0] } else { [0.0, 0.0] };
                    pixelize_cartesian(&mut r, w, h, &px, &py, &pdx, &pdy, &v, b, true, period, periodic).unwrap();
                    fast(&mut buff, w, h, &mut scratch, &mesh, b, true, period, periodic);
                    assert!(same(&buff, &r), "n {n} {w}x{h} view {x0} {x1} {y0} {y1} periodic {periodic}");
                }
            }
        }
    }

    /// The compact storage (table geometry, f64 or f32 values) deposits the
    /// very bits of the f64 storage and of the reference, whole image and
    /// row bands, antialiased or not, periodic or not; zero widths, NaN and
    /// infinite values included.
    #[test]
    fn compact_mesh_deposits_the_same_bits() {
        use crate::{FixedResolutionBuffer, RowBand};
        let mut rng = Rng(0xC0FFEE);
        let mut kinds = std::collections::BTreeSet::new();
        for case in 0..24 {
            let n = 1 + (rng.next() * 4000.0) as usize;
            let [px, py, pdx, pdy, mut v] = crate::testing::random_cells(&mut rng, n, case % 4 != 3, case % 5 == 0);
            if case % 3 == 1 {
                for x in v.iter_mut() {
                    *x = (*x as f32) as f64;
                }
            }
            if n > 10 {
                v[n / 2] = f64::INFINITY;
                v[n / 3] = f64::NEG_INFINITY;
            }
            let mesh = VariableMesh::new(px.clone(), py.clone(), pdx.clone(), pdy.clone(), v.clone()).unwrap();
            let mut compact = mesh.clone();
            compact.compact().unwrap();
            kinds.insert((compact.geometry_kind(), compact.values_kind()));
            let (w, h) = (1 + (rng.next() * 60.0) as usize, 1 + (rng.next() * 60.0) as usize);
            let cx = rng.next() * 1.4 - 0.2;
            let cy = rng.next() * 1.4 - 0.2;
            let sz = 0.02 + rng.next() * 1.2;
            let b = Bounds::new(cx - sz / 2.0, cx + sz / 2.0, cy - sz / 3.0, cy + sz / 2.0);
            let mut frb = FixedResolutionBuffer::new(w, h).unwrap();
            let mut band = RowBand::new();
            for aa in [true, false] {
                for periodic in [false, true] {
                    let mut r = vec![f64::NAN; w * h];
                    let period = if periodic { [1.0, 1.0] } else { [0.0, 0.0] };
                    pixelize_cartesian(&mut r, w, h, &px, &py, &pdx, &pdy, &v, b, aa, period, periodic).unwrap();
                    for m in [&mesh, &compact] {
                        if periodic {
                            frb.deposit_periodic(m, b, aa, 1.0, 1.0).unwrap();
                        } else {
                            frb.deposit(m, b, aa).unwrap();
                        }
                        assert!(same(frb.values(), &r), "case {case} {} aa {aa} periodic {periodic}", m.geometry_kind());
                        let cut = [0, h / 3, h / 3 + h.div_ceil(2), h];
                        for k in 0..3 {
                            let (r0, r1) = (cut[k], cut[k + 1].max(cut[k] + 1).min(h));
                            if r0 >= r1 {
                                continue;
                            }
                            if periodic {
                                band.deposit_rows_periodic(m, b, w, h, r0, r1, aa, 1.0, 1.0).unwrap();
                            } else {
                                band.deposit_rows(m, b, w, h, r0, r1, aa).unwrap();
                            }
                            assert!(same(band.values(), &r[r0 * w..r1 * w]), "case {case} band {r0}..{r1}");
                        }
                    }
                }
            }
        }
        // the cases reach the table geometry with f64 and f32 values, and the fallback
        for k in [("table", "f64"), ("table", "f32"), ("f64", "f64"), ("f64", "f32")] {
            assert!(kinds.contains(&k), "{k:?} not covered: {kinds:?}");
        }
    }
}
