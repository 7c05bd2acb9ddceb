//! Deposition ("aggregate" stage): rasterize a [`VariableMesh`] into a
//! `height x width` buffer of f64, exactly like yt 4.4.3's
//! `yt.utilities.lib.pixelization_routines.pixelize_cartesian`.
//!
//! # Contract (`pixelize_cartesian`, yt 4.4.3, `line_width = 0`)
//!
//! Inputs: `buff` (row-major, `height` rows by `width` columns, *not*
//! initialised by this function; yt's callers and [`FixedResolutionBuffer`]
//! fill it with NaN first), cell arrays `px, py, pdx, pdy, data` (pdx/pdy are
//! HALF widths), `bounds = [x_min, x_max, y_min, y_max]`, `antialias`,
//! `period = [period_x, period_y]`, `check_period`.
//!
//! * Orientation: `buff[i][j]` is row `i` (y) and column `j` (x). **Row 0 is
//!   at `y_min`** (bottom of the image, matplotlib `origin="lower"`); column
//!   0 at `x_min`.
//! * Pixel size: `px_dx = (x_max - x_min) / width`, `px_dy = (y_max - y_min)
//!   / height`, `ipx_dx = 1 / px_dx`, `ipx_dy = 1 / px_dy`. Pixel `(i, j)`
//!   spans `[px_dx*j + x_min, px_dx*(j+1) + x_min] x [px_dy*i + y_min,
//!   px_dy*(i+1) + y_min]` (these exact expressions are used).
//! * Cells are processed in input order. For each cell, with
//!   `check_period`, one extra periodic image per axis is considered: if
//!   `px - pdx < x_min` the image shifted by `+period_x`, else if
//!   `px + pdx > x_max` the image shifted by `-period_x` (same for y). The
//!   loops are x-image outer, y-image inner, so a cell crossing a corner is
//!   deposited up to 4 times. (Quirk kept: yt passes `period_x = 0` when
//!   `period=None`, so `check_period` without a period deposits edge cells
//!   twice at the same place; [`FixedResolutionBuffer::deposit_periodic`]
//!   therefore requires positive periods.)
//! * An image `(xsp, ysp)` is skipped when `xsp + pdx < x_min` or
//!   `xsp - pdx > x_max` (same for y): strict comparisons, so a cell whose
//!   edge touches the view edge is still processed.
//! * Pixel ranges (`int()` truncates towards zero):
//!   `lc = int(max((xsp - pdx - x_min) * ipx_dx, 0))`,
//!   `rc = int(min((xsp + pdx - x_min) * ipx_dx + 1, width))`, columns
//!   `lc..rc` (the `+1` is yt's "bonus column"); same for rows `lr..rr`.
//! * Antialiased: per row `overlap2 = (min(rypx, ysp + pdy) - max(lypx, ysp -
//!   pdy)) * ipx_dy`, row skipped if `< 0`; per column `overlap1 = (min(rxpx,
//!   xsp + pdx) - max(lxpx, xsp - pdx)) * ipx_dx`, skipped if `< 0`; then
//!   **skipped if `overlap1 * overlap2 < 1e-6`** (so zero or tiny overlaps
//!   neither touch nor "cover" the pixel; a cell covering less than 1e-6 of a
//!   pixel's area is dropped); otherwise a NaN pixel becomes 0 and
//!   `buff += (value * overlap1) * overlap2`. The result is the
//!   area-weighted sum of the cells (NOT divided by the covered area: a pixel
//!   straddling the data edge gets `value * covered_fraction`).
//! * Not antialiased: `buff = value` for every pixel in `lr..rr x lc..rc`
//!   (last cell in input order wins; the bonus row/column means a cell also
//!   overwrites the pixel just past its right/top edge, later cells fix it).
//! * Pixels touched by no cell keep their initial value (NaN).
//!
//! All arithmetic is f64 in the same order as the Cython source, so results
//! are bit-identical with yt on IEEE-754 hardware without FMA contraction.
//! Unlike the Cython code, this function never performs out-of-range
//! accesses or panics, whatever the inputs (NaN, infinities, empty view).
//!
//! [`pixelize_cartesian`] is the straightforward reference port (any
//! input). [`FixedResolutionBuffer::deposit`] runs the same arithmetic
//! reorganised for speed on validated meshes and bounds (rows outer,
//! precomputed overlaps, small-cell paths, block culling): see
//! [`crate::deposit`]; the results are bit-identical.

use std::cell::Cell;

use crate::colormap::Colormap;
use crate::error::{try_filled, Error, Result};
use crate::normalization::{Normalization, ResolvedNormalization};
use crate::shade::{NormKey, Thresholds};
use crate::variable_mesh::VariableMesh;

/// Largest accepted image width or height.
pub const MAX_DIMENSION: usize = 8192;

/// View rectangle in data coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    pub x_min: f64,
    pub x_max: f64,
    pub y_min: f64,
    pub y_max: f64,
}

impl Bounds {
    pub fn new(x_min: f64, x_max: f64, y_min: f64, y_max: f64) -> Self {
        Bounds {
            x_min,
            x_max,
            y_min,
            y_max,
        }
    }

    /// Check that the bounds are finite, increasing and give a finite,
    /// non-zero pixel size for a `width x height` image.
    pub fn validate(&self, width: usize, height: usize) -> Result<()> {
        let err = |reason| Error::InvalidBounds {
            x_min: self.x_min,
            x_max: self.x_max,
            y_min: self.y_min,
            y_max: self.y_max,
            reason,
        };
        if ![self.x_min, self.x_max, self.y_min, self.y_max]
            .iter()
            .all(|v| v.is_finite())
        {
            return Err(err("all bounds must be finite numbers"));
        }
        if !(self.x_min < self.x_max) {
            return Err(err("x_min must be < x_max"));
        }
        if !(self.y_min < self.y_max) {
            return Err(err("y_min must be < y_max"));
        }
        let px_dx = (self.x_max - self.x_min) / width as f64;
        let px_dy = (self.y_max - self.y_min) / height as f64;
        for d in [px_dx, px_dy] {
            if !(d.is_finite() && d > 0.0 && (1.0 / d).is_finite()) {
                return Err(err("the pixel size is not representable (range too large or too small)"));
            }
        }
        Ok(())
    }
}

/// yt's `fp_utils.fmax` (`f0 > f1 ? f0 : f1`; NaN picks `f1`).
#[inline(always)]
pub(crate) fn fmax(f0: f64, f1: f64) -> f64 {
    if f0 > f1 {
        f0
    } else {
        f1
    }
}

/// yt's `fp_utils.fmin` (`f0 < f1 ? f0 : f1`; NaN picks `f1`).
#[inline(always)]
pub(crate) fn fmin(f0: f64, f1: f64) -> f64 {
    if f0 < f1 {
        f0
    } else {
        f1
    }
}

/// Faithful port of yt 4.4.3 `pixelize_cartesian` (see the module docs for
/// the exact contract). `buff` is row-major `height x width`, row 0 at
/// `y_min`. Only lengths are validated here (bounds, positions and periods
/// are used as given, like yt); the function never panics.
#[allow(clippy::too_many_arguments)]
pub fn pixelize_cartesian(
    buff: &mut [f64],
    width: usize,
    height: usize,
    px: &[f64],
    py: &[f64],
    pdx: &[f64],
    pdy: &[f64],
    data: &[f64],
    bounds: Bounds,
    antialias: bool,
    period: [f64; 2],
    check_period: bool,
) -> Result<()> {
    let n = px.len();
    for (what, len) in [("py", py.len()), ("pdx", pdx.len()), ("pdy", pdy.len()), ("data", data.len())] {
        if len != n {
            return Err(Error::LengthMismatch {
                what,
                expected: n,
                actual: len,
            });
        }
    }
    let expected = width.checked_mul(height).ok_or(Error::InvalidDimensions { width, height })?;
    if buff.len() != expected {
        return Err(Error::LengthMismatch {
            what: "buff (width * height)",
            expected,
            actual: buff.len(),
        });
    }
    if width == 0 || height == 0 {
        return Ok(());
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
    let w = width as i64;
    let h = height as i64;

    for p in 0..n {
        let oxsp = px[p];
        let oysp = py[p];
        let dxsp = pdx[p];
        let dysp = pdy[p];
        let dsp = data[p];
        // Image shifts: index 0 is the cell itself, index 1 the optional
        // periodic copy (None == yt's 999 sentinel).
        let mut xshift = [Some(0.0), None];
        let mut yshift = [Some(0.0), None];
        if check_period {
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
        }
        let mut overlap1: f64;
        let mut overlap2: f64 = 1.0;
        for xs in xshift.iter().flatten() {
            let xsp = oxsp + xs;
            if (xsp + dxsp < x_min) || (xsp - dxsp > x_max) {
                continue;
            }
            for ys in yshift.iter().flatten() {
                let ysp = oysp + ys;
                if (ysp + dysp < y_min) || (ysp - dysp > y_max) {
                    continue;
                }
                // `as i64` truncates towards zero like C's (int) cast and
                // saturates (NaN -> 0) instead of being UB; the clamps below
                // are no-ops for any input yt itself handles.
                let lc = (fmax((xsp - dxsp - x_min) * ipx_dx, 0.0) as i64).clamp(0, w);
                let lr = (fmax((ysp - dysp - y_min) * ipx_dy, 0.0) as i64).clamp(0, h);
                let rc = (fmin((xsp + dxsp - x_min) * ipx_dx + 1.0, width as f64) as i64).clamp(0, w);
                let rr = (fmin((ysp + dysp - y_min) * ipx_dy + 1.0, height as f64) as i64).clamp(0, h);
                if lc >= rc {
                    continue;
                }
                for i in lr..rr {
                    let lypx = px_dy * (i as f64) + y_min;
                    let rypx = px_dy * ((i + 1) as f64) + y_min;
                    if antialias {
                        overlap2 = (fmin(rypx, ysp + dysp) - fmax(lypx, ysp - dysp)) * ipx_dy;
                    }
                    if overlap2 < 0.0 {
                        continue;
                    }
                    let start = (i as usize) * width;
                    let row = match buff.get_mut(start..start + width) {
                        Some(r) => r,
                        None => continue, // unreachable: i < height
                    };
                    let cols = match row.get_mut(lc as usize..rc as usize) {
                        Some(c) => c,
                        None => continue, // unreachable: 0 <= lc < rc <= width
                    };
                    if antialias {
                        for (k, pix) in cols.iter_mut().enumerate() {
                            let j = lc + k as i64;
                            let lxpx = px_dx * (j as f64) + x_min;
                            let rxpx = px_dx * ((j + 1) as f64) + x_min;
                            overlap1 = (fmin(rxpx, xsp + dxsp) - fmax(lxpx, xsp - dxsp)) * ipx_dx;
                            if overlap1 < 0.0 {
                                continue;
                            }
                            if overlap1 * overlap2 < 1.0e-6 {
                                continue;
                            }
                            if pix.is_nan() {
                                *pix = 0.0;
                            }
                            *pix += (dsp * overlap1) * overlap2;
                        }
                    } else {
                        cols.fill(dsp);
                    }
                }
            }
        }
    }
    Ok(())
}

/// Min and max over the finite values of `values` (and `> 0` if `log`).
pub fn value_range(values: &[f64], log: bool) -> Result<(f64, f64)> {
    let (lo, hi) = crate::shade::min_max(values, log);
    if lo <= hi {
        Ok((lo, hi))
    } else {
        Err(Error::NoValidData { log })
    }
}

/// Cached `value_range` of one deposit: `(generation, log, range)`.
type RangeCache = Cell<Option<(u64, bool, Option<(f64, f64)>)>>;

/// A `width x height` image: the deposited f64 values plus an RGBA8 buffer,
/// both allocated once at construction and reused for every frame (with the
/// scratch space of the deposit and the shading caches).
///
/// * [`values`](Self::values): row-major, `height` rows of `width`, **row 0
///   at `y_min`** (yt's orientation), NaN where no cell deposited.
/// * [`rgba`](Self::rgba): row-major RGBA8, **row 0 at the TOP (`y_max`)**,
///   i.e. the values flipped vertically, ready for `ImageData` /
///   `putImageData`.
///
/// Caches (all invalidated by the next deposit): the automatic-limit scans
/// (one per log/linear), the colour code of every pixel with the
/// normalization and colormap size it was computed for, and the threshold
/// table of the last normalization (see [`crate::shade`]). The values must
/// therefore only be changed through `deposit*`.
#[derive(Debug, Clone)]
pub struct FixedResolutionBuffer {
    width: usize,
    height: usize,
    values: Vec<f64>,
    /// RGBA8 pixels stored as native-endian `u32` (bytes r, g, b, a).
    rgba: Vec<u32>,
    scratch: crate::deposit::Scratch,
    /// Incremented by every deposit.
    generation: u64,
    ranges: [RangeCache; 2],
    /// Colour code per pixel (row 0 at `y_min`), valid for `codes_key`.
    codes: Vec<u16>,
    codes_key: Option<(u64, NormKey)>,
    thresholds: Option<Thresholds>,
    lut: Box<crate::shade::Lut>,
}

impl FixedResolutionBuffer {
    /// Allocate a buffer; `1 <= width, height <= MAX_DIMENSION`. Values
    /// start as NaN and RGBA as transparent black.
    pub fn new(width: usize, height: usize) -> Result<Self> {
        if width == 0 || height == 0 || width > MAX_DIMENSION || height > MAX_DIMENSION {
            return Err(Error::InvalidDimensions { width, height });
        }
        let n = width * height; // <= 2^26, no overflow
        Ok(FixedResolutionBuffer {
            width,
            height,
            values: try_filled(n, f64::NAN, "the value buffer")?,
            rgba: try_filled(n, 0u32, "the RGBA buffer")?,
            scratch: crate::deposit::Scratch::new(width, height)?,
            generation: 0,
            ranges: [Cell::new(None), Cell::new(None)],
            codes: try_filled(n, 0u16, "the colour codes")?,
            codes_key: None,
            thresholds: None,
            lut: {
                let v = try_filled(1 << 16, 0u32, "the colour table")?;
                v.into_boxed_slice().try_into().map_err(|_| Error::AllocationFailed {
                    what: "the colour table",
                    bytes: 1 << 18,
                })?
            },
        })
    }

    pub fn width(&self) -> usize {
        self.width
    }
    pub fn height(&self) -> usize {
        self.height
    }

    /// Reset to NaN and deposit `mesh` without periodicity (yt
    /// `check_period=0`).
    pub fn deposit(&mut self, mesh: &VariableMesh, bounds: Bounds, antialias: bool) -> Result<()> {
        self.deposit_impl(mesh, bounds, antialias, [0.0, 0.0], false)
    }

    /// Reset to NaN and deposit `mesh` with periodic images (yt
    /// `check_period=1`, `period=(period_x, period_y)`); both periods must
    /// be finite and > 0 (typically the domain widths).
    pub fn deposit_periodic(
        &mut self,
        mesh: &VariableMesh,
        bounds: Bounds,
        antialias: bool,
        period_x: f64,
        period_y: f64,
    ) -> Result<()> {
        for (axis, value) in [("x", period_x), ("y", period_y)] {
            if !(value.is_finite() && value > 0.0) {
                return Err(Error::InvalidPeriod { axis, value });
            }
        }
        self.deposit_impl(mesh, bounds, antialias, [period_x, period_y], true)
    }

    fn deposit_impl(
        &mut self,
        mesh: &VariableMesh,
        bounds: Bounds,
        antialias: bool,
        period: [f64; 2],
        check_period: bool,
    ) -> Result<()> {
        bounds.validate(self.width, self.height)?;
        let index = mesh.block_index()?;
        self.generation += 1;
        self.values.fill(f64::NAN);
        crate::deposit::deposit(
            &mut self.values,
            self.width,
            self.height,
            &mut self.scratch,
            &index,
            mesh.px(),
            mesh.py(),
            mesh.pdx(),
            mesh.pdy(),
            mesh.values(),
            bounds,
            antialias,
            period,
            check_period,
        );
        Ok(())
    }

    /// Deposited values (row 0 at `y_min`).
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// Min/max of the finite (and, if `log`, positive) deposited values
    /// (cached until the next deposit).
    pub fn value_range(&self, log: bool) -> Result<(f64, f64)> {
        let slot = &self.ranges[log as usize];
        let range = match slot.get() {
            Some((g, l, r)) if g == self.generation && l == log => r,
            _ => {
                let r = value_range(&self.values, log).ok();
                slot.set(Some((self.generation, log, r)));
                r
            }
        };
        range.ok_or(Error::NoValidData { log })
    }

    /// "Shade" stage: map the deposited values through `norm` and `cmap`
    /// into the RGBA buffer (flipped: row 0 = top = `y_max`). Automatic
    /// limits are resolved from the current values. Returns the limits
    /// actually used `(vmin, vmax)`. On error the RGBA buffer is unchanged.
    ///
    /// Exactly `cmap.map(norm.normalize(v))` per pixel (bad if masked),
    /// computed with cached colour codes and exact thresholds (see
    /// [`crate::shade`]).
    pub fn shade(&mut self, cmap: &Colormap, norm: &Normalization) -> Result<(f64, f64)> {
        let resolved = norm.resolve_with(|log| self.value_range(log))?;
        let n = cmap.len();
        let w = self.width;
        if n + 3 > u16::MAX as usize + 1 {
            // too many colours for u16 codes
            return Ok(self.fill_direct(cmap, &resolved));
        }
        let lut = &mut self.lut;
        for k in 0..n {
            lut[k] = u32::from_ne_bytes(cmap.entry(k));
        }
        lut[n] = u32::from_ne_bytes(cmap.under());
        lut[n + 1] = u32::from_ne_bytes(cmap.over());
        lut[n + 2] = u32::from_ne_bytes(cmap.bad());
        let key = (self.generation, NormKey::new(&resolved, n));
        if self.codes_key == Some(key) {
            crate::shade::gather(&self.codes, &mut self.rgba, w, &self.lut);
            return Ok(resolved.limits());
        }
        let (vmin, vmax) = resolved.limits();
        let th = if vmin == vmax {
            None
        } else {
            if self.thresholds.as_ref().map(|t| t.key()) != Some(key.1) {
                self.thresholds = None; // free first
                self.thresholds = Some(Thresholds::new(&resolved, n)?);
            }
            self.thresholds.as_ref()
        };
        crate::shade::shade_codes(&self.values, &mut self.codes, &mut self.rgba, w, &self.lut, &resolved, th, n);
        self.codes_key = Some(key);
        Ok(resolved.limits())
    }

    /// [`Self::shade`] by the definition: every pixel through
    /// [`crate::ResolvedNormalization::normalize`] and [`Colormap::map`], no
    /// codes, thresholds or tables. Slow; the reference the fast path is
    /// tested against (also in wasm, where its SIMD loop runs).
    pub fn shade_direct(&mut self, cmap: &Colormap, norm: &Normalization) -> Result<(f64, f64)> {
        let resolved = norm.resolve_with(|log| self.value_range(log))?;
        Ok(self.fill_direct(cmap, &resolved))
    }

    /// The pixel-by-pixel fill of [`Self::shade_direct`] with limits
    /// already resolved; returns them.
    fn fill_direct(&mut self, cmap: &Colormap, resolved: &ResolvedNormalization) -> (f64, f64) {
        self.codes_key = None;
        let w = self.width;
        for (src_row, dst_row) in self.values.chunks_exact(w).zip(self.rgba.chunks_exact_mut(w).rev()) {
            for (v, px) in src_row.iter().zip(dst_row.iter_mut()) {
                let c = match resolved.normalize(*v) {
                    Some(t) => cmap.map(t),
                    None => cmap.bad(),
                };
                *px = u32::from_ne_bytes(c);
            }
        }
        resolved.limits()
    }

    /// Test helper: replace the values as if deposited.
    #[cfg(test)]
    pub(crate) fn set_values_for_test(&mut self, values: &[f64]) {
        self.values.copy_from_slice(values);
        self.generation += 1;
    }

    /// RGBA8 pixels, row 0 at the top (`y_max`).
    pub fn rgba(&self) -> &[u8] {
        // SAFETY: any u32 is 4 valid bytes; same allocation, 4x the length.
        unsafe { std::slice::from_raw_parts(self.rgba.as_ptr() as *const u8, self.rgba.len() * 4) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mesh(cells: &[(f64, f64, f64, f64, f64)]) -> VariableMesh {
        let c = |k: usize| cells.iter().map(|c| [c.0, c.1, c.2, c.3, c.4][k]).collect::<Vec<_>>();
        VariableMesh::new(c(0), c(1), c(2), c(3), c(4)).unwrap()
    }

    fn unit() -> Bounds {
        Bounds::new(0.0, 1.0, 0.0, 1.0)
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * b.abs().max(1.0)
    }

    #[test]
    fn single_cell_full_pixel() {
        // 2x2 image of [0,1]^2; one cell exactly covering pixel (0,0).
        let mut frb = FixedResolutionBuffer::new(2, 2).unwrap();
        frb.deposit(&mesh(&[(0.25, 0.25, 0.25, 0.25, 3.0)]), unit(), true).unwrap();
        let v = frb.values();
        assert!(close(v[0], 3.0));
        // neighbours: overlap 0 => skipped (< 1e-6) => stay NaN
        assert!(v[1].is_nan() && v[2].is_nan() && v[3].is_nan());
    }

    #[test]
    fn cell_covering_half_a_pixel() {
        let mut frb = FixedResolutionBuffer::new(1, 1).unwrap();
        // cell [0,0.5]x[0,1] in a single pixel [0,1]^2
        frb.deposit(&mesh(&[(0.25, 0.5, 0.25, 0.5, 4.0)]), unit(), true).unwrap();
        assert!(close(frb.values()[0], 2.0));
        // quarter pixel
        frb.deposit(&mesh(&[(0.25, 0.25, 0.25, 0.25, 4.0)]), unit(), true).unwrap();
        assert!(close(frb.values()[0], 1.0));
        // two halves sum to the average
        frb.deposit(
            &mesh(&[(0.25, 0.5, 0.25, 0.5, 4.0), (0.75, 0.5, 0.25, 0.5, 2.0)]),
            unit(),
            true,
        )
        .unwrap();
        assert!(close(frb.values()[0], 3.0));
    }

    #[test]
    fn tiny_overlap_is_dropped() {
        // cell covering 1e-7 of the pixel area: below yt's 1e-6 threshold
        let mut frb = FixedResolutionBuffer::new(1, 1).unwrap();
        frb.deposit(&mesh(&[(0.5, 0.5, 0.5e-7, 0.5, 4.0)]), unit(), true).unwrap();
        assert!(frb.values()[0].is_nan());
        // without antialiasing it is deposited
        frb.deposit(&mesh(&[(0.5, 0.5, 0.5e-7, 0.5, 4.0)]), unit(), false).unwrap();
        assert_eq!(frb.values()[0], 4.0);
    }

    #[test]
    fn orientation_and_non_square() {
        // 4 wide x 2 high, bounds x [-2,2], y [10,12]; a cell in the top-right pixel
        let b = Bounds::new(-2.0, 2.0, 10.0, 12.0);
        let mut frb = FixedResolutionBuffer::new(4, 2).unwrap();
        frb.deposit(&mesh(&[(1.5, 11.5, 0.5, 0.5, 7.0)]), b, true).unwrap();
        let v = frb.values();
        // row 1 (y in [11,12]) col 3 (x in [1,2])
        for (k, val) in v.iter().enumerate() {
            if k == 4 + 3 {
                assert!(close(*val, 7.0));
            } else {
                assert!(val.is_nan(), "pixel {k} = {val}");
            }
        }
        // shading flips: the top row of the image is row 1 of values
        let cmap = Colormap::new(&[0, 0, 0, 255, 255, 255, 255, 255]).unwrap();
        let norm = Normalization::linear(None, None).unwrap();
        assert_eq!(frb.shade(&cmap, &norm).unwrap(), (7.0, 7.0));
        let rgba = frb.rgba();
        assert_eq!(&rgba[3 * 4..4 * 4], &[0, 0, 0, 255]); // top-right pixel, vmin==vmax -> 0
        assert_eq!(&rgba[0..4], &[0, 0, 0, 0]); // bad = transparent
        assert_eq!(&rgba[(4 + 3) * 4..(4 + 4) * 4], &[0, 0, 0, 0]);
    }

    #[test]
    fn non_antialiased_last_wins_and_bonus_column() {
        let mut frb = FixedResolutionBuffer::new(4, 1).unwrap();
        // cell [0,0.5] covers pixels 0,1 exactly, bonus column 2 gets it too
        frb.deposit(&mesh(&[(0.25, 0.5, 0.25, 0.5, 1.0)]), unit(), false).unwrap();
        let v = frb.values();
        assert_eq!(v[0], 1.0);
        assert_eq!(v[1], 1.0);
        assert_eq!(v[2], 1.0); // yt's bonus column
        assert!(v[3].is_nan());
        // a later cell overwrites
        frb.deposit(
            &mesh(&[(0.25, 0.5, 0.25, 0.5, 1.0), (0.75, 0.5, 0.25, 0.5, 2.0)]),
            unit(),
            false,
        )
        .unwrap();
        assert_eq!(frb.values(), &[1.0, 1.0, 2.0, 2.0]);
        // in the other order the first cell's bonus column wins
        frb.deposit(
            &mesh(&[(0.75, 0.5, 0.25, 0.5, 2.0), (0.25, 0.5, 0.25, 0.5, 1.0)]),
            unit(),
            false,
        )
        .unwrap();
        assert_eq!(frb.values(), &[1.0, 1.0, 1.0, 2.0]);
    }

    #[test]
    fn nan_values_propagate_and_uncovered_stay_nan() {
        let mut frb = FixedResolutionBuffer::new(2, 1).unwrap();
        frb.deposit(&mesh(&[(0.25, 0.5, 0.25, 0.5, f64::NAN)]), unit(), true).unwrap();
        assert!(frb.values()[0].is_nan());
        assert!(frb.values()[1].is_nan());
        assert!(matches!(frb.value_range(false), Err(Error::NoValidData { log: false })));
    }

    #[test]
    fn view_partly_outside_domain() {
        // data on [0,1]; view [-1,1] with 2 pixels: left pixel uncovered
        let mut frb = FixedResolutionBuffer::new(2, 1).unwrap();
        let b = Bounds::new(-1.0, 1.0, 0.0, 1.0);
        frb.deposit(&mesh(&[(0.5, 0.5, 0.5, 0.5, 5.0)]), b, true).unwrap();
        assert!(frb.values()[0].is_nan());
        assert!(close(frb.values()[1], 5.0));
        // view [-0.5, 1.5]: both pixels half covered => 2.5 each
        let b = Bounds::new(-0.5, 1.5, 0.0, 1.0);
        frb.deposit(&mesh(&[(0.5, 0.5, 0.5, 0.5, 5.0)]), b, true).unwrap();
        assert!(close(frb.values()[0], 2.5));
        assert!(close(frb.values()[1], 2.5));
    }

    #[test]
    fn periodic_images() {
        // domain [0,1], period 1; cell [0.9,1.1] (crosses right edge) value 1
        let m = mesh(&[(1.0, 0.5, 0.1, 0.5, 1.0)]);
        let mut frb = FixedResolutionBuffer::new(10, 1).unwrap();
        frb.deposit(&m, unit(), true).unwrap();
        assert!(frb.values()[0].is_nan());
        assert!(close(frb.values()[9], 1.0));
        frb.deposit_periodic(&m, unit(), true, 1.0, 1.0).unwrap();
        // wrapped image [-0.1, 0.1] covers pixel 0
        assert!(close(frb.values()[0], 1.0));
        assert!(close(frb.values()[9], 1.0));
        for k in 1..9 {
            assert!(frb.values()[k].is_nan());
        }
        // corner cell: deposited in all four corners
        let m = mesh(&[(0.0, 0.0, 0.05, 0.05, 8.0)]);
        let mut frb = FixedResolutionBuffer::new(10, 10).unwrap();
        frb.deposit_periodic(&m, unit(), true, 1.0, 1.0).unwrap();
        let v = frb.values();
        for (i, j) in [(0, 0), (0, 9), (9, 0), (9, 9)] {
            assert!(close(v[i * 10 + j], 2.0), "corner {i},{j} = {}", v[i * 10 + j]);
        }
        assert_eq!(v.iter().filter(|x| !x.is_nan()).count(), 4);
    }

    #[test]
    fn yt_quirk_check_period_without_period_doubles_edge_cells() {
        let mut buff = vec![f64::NAN; 2];
        pixelize_cartesian(
            &mut buff, 2, 1, &[0.0], &[0.5], &[0.5], &[0.5], &[1.0], unit(), true, [0.0, 0.0], true,
        )
        .unwrap();
        // the cell [-0.5,0.5] fully covers pixel 0 ([0,0.5]) and is deposited
        // twice (image + zero-shift "periodic" copy)
        assert!(close(buff[0], 2.0));
        assert!(buff[1].is_nan());
    }

    #[test]
    fn error_cases() {
        assert!(matches!(FixedResolutionBuffer::new(0, 5), Err(Error::InvalidDimensions { .. })));
        assert!(matches!(FixedResolutionBuffer::new(5, 0), Err(Error::InvalidDimensions { .. })));
        assert!(matches!(FixedResolutionBuffer::new(8193, 5), Err(Error::InvalidDimensions { .. })));
        assert!(matches!(FixedResolutionBuffer::new(5, 8193), Err(Error::InvalidDimensions { .. })));
        let m = mesh(&[(0.5, 0.5, 0.5, 0.5, 1.0)]);
        let mut frb = FixedResolutionBuffer::new(4, 4).unwrap();
        for b in [
            Bounds::new(1.0, 0.0, 0.0, 1.0),
            Bounds::new(0.0, 0.0, 0.0, 1.0),
            Bounds::new(0.0, 1.0, 1.0, 1.0),
            Bounds::new(f64::NAN, 1.0, 0.0, 1.0),
            Bounds::new(0.0, f64::INFINITY, 0.0, 1.0),
            Bounds::new(-f64::MAX, f64::MAX, 0.0, 1.0),
            Bounds::new(0.0, 1e-320, 0.0, 1.0),
        ] {
            let e = frb.deposit(&m, b, true).unwrap_err();
            assert!(matches!(e, Error::InvalidBounds { .. }), "{b:?}");
        }
        for (px, py) in [(0.0, 1.0), (-1.0, 1.0), (f64::NAN, 1.0), (1.0, f64::INFINITY)] {
            let e = frb.deposit_periodic(&m, unit(), true, px, py).unwrap_err();
            assert!(matches!(e, Error::InvalidPeriod { .. }));
            assert!(e.to_string().contains("period"));
        }
        let mut buff = vec![0.0; 3];
        assert!(matches!(
            pixelize_cartesian(&mut buff, 2, 2, &[0.0], &[0.0], &[0.0], &[0.0], &[0.0], unit(), true, [0.0; 2], false),
            Err(Error::LengthMismatch { .. })
        ));
        assert!(matches!(
            pixelize_cartesian(&mut buff, 3, 1, &[0.0], &[0.0, 1.0], &[0.0], &[0.0], &[0.0], unit(), true, [0.0; 2], false),
            Err(Error::LengthMismatch { what: "py", .. })
        ));
    }

    #[test]
    fn raw_pixelize_never_panics_on_garbage() {
        let vals = [0.0, -1.0, 1.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1e300, -1e300, 1e-300];
        let mut buff = vec![f64::NAN; 3 * 2];
        for &a in &vals {
            for &b in &vals {
                let bounds = Bounds::new(a, b, b, a);
                for aa in [true, false] {
                    pixelize_cartesian(
                        &mut buff, 3, 2, &[a, b], &[b, a], &[a, 0.5], &[b, 0.5], &[a, b], bounds, aa, [a, b], true,
                    )
                    .unwrap();
                }
            }
        }
    }

    #[test]
    fn value_range_log_and_linear() {
        assert_eq!(value_range(&[f64::NAN, -2.0, 0.0, 3.0, f64::INFINITY], false).unwrap(), (-2.0, 3.0));
        assert_eq!(value_range(&[f64::NAN, -2.0, 0.0, 3.0, 5.0], true).unwrap(), (3.0, 5.0));
        assert!(matches!(value_range(&[-1.0, 0.0], true), Err(Error::NoValidData { log: true })));
    }

    #[test]
    fn zero_width_cell_point_sample() {
        let mut frb = FixedResolutionBuffer::new(4, 1).unwrap();
        frb.deposit(&mesh(&[(0.6, 0.5, 0.0, 0.5, 9.0)]), unit(), false).unwrap();
        assert_eq!(frb.values()[2], 9.0);
        assert_eq!(frb.values().iter().filter(|v| !v.is_nan()).count(), 1);
    }
}
