//! The reference deposit ("aggregate" stage): [`pixelize_cartesian`], a
//! line-by-line port of yt 4.4.3's
//! `yt.utilities.lib.pixelization_routines.pixelize_cartesian` that
//! rasterizes cells into a `height x width` buffer of f64, with its exact
//! contract.
//!
//! # Contract (`pixelize_cartesian`, yt 4.4.3, `line_width = 0`)
//!
//! Inputs: `buff` (row-major, `height` rows by `width` columns, *not*
//! initialised by this function; yt's callers and
//! [`crate::FixedResolutionBuffer`] fill it with NaN first), cell arrays
//! `px, py, pdx, pdy, data` (pdx/pdy are HALF widths), `bounds = [x_min,
//! x_max, y_min, y_max]`, `antialias`, `period = [period_x, period_y]`,
//! `check_period`.
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
//!   twice at the same place;
//!   [`crate::FixedResolutionBuffer::deposit_periodic`] therefore requires
//!   positive periods.)
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
//! input). [`crate::FixedResolutionBuffer::deposit`] runs the same
//! arithmetic reorganised for speed on validated meshes and bounds (rows
//! outer, precomputed overlaps, small-cell paths, block culling): see
//! [`crate::deposit`]; the results are bit-identical.

use crate::bounds::{fmax, fmin, Bounds};
use crate::error::{Error, Result};

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

#[cfg(test)]
mod tests {
    use super::*;

    fn unit() -> Bounds {
        Bounds::new(0.0, 1.0, 0.0, 1.0)
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * b.abs().max(1.0)
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
    fn length_errors() {
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
}
