//! The image buffer [`FixedResolutionBuffer`]: deposits a [`VariableMesh`]
//! into reused f64 values and shades them into RGBA8, with the caches that
//! make a frame cheap.
//!
//! * **Deposit** ([`FixedResolutionBuffer::deposit`],
//!   [`deposit_periodic`](FixedResolutionBuffer::deposit_periodic)): checks
//!   the bounds ([`Bounds::validate`]) and the mesh, resets the values to
//!   NaN and runs the fast path [`crate::deposit`], bit-identical to the
//!   reference port of yt's loop, [`crate::reference::pixelize_cartesian`]
//!   (see [`crate::reference`] for the exact contract).
//! * **A band of rows** ([`RowBand::deposit_rows`],
//!   [`deposit_rows_periodic`](RowBand::deposit_rows_periodic)): the rows
//!   `row0..row1` of the same image, bit for bit, in a buffer of their own
//!   (what a worker computes when the image is split into row bands).
//! * **Shade** ([`FixedResolutionBuffer::shade`]): resolves automatic limits
//!   with [`crate::auto_limits::value_range`] (cached per deposit), then maps
//!   every value to a colour through cached colour codes and exact
//!   thresholds ([`crate::shade`]), exactly like
//!   [`FixedResolutionBuffer::shade_direct`] (the definition).

use std::cell::Cell;

use crate::auto_limits::value_range;
use crate::bounds::Bounds;
use crate::colormap::Colormap;
use crate::error::{try_filled, Error, Result, MAX_DIMENSION};
use crate::normalization::{Normalization, ResolvedNormalization, Scale};
use crate::preview::Previews;
use crate::shade::{NormKey, Thresholds};
use crate::variable_mesh::VariableMesh;

fn check_periods(period_x: f64, period_y: f64) -> Result<()> {
    for (axis, value) in [("x", period_x), ("y", period_y)] {
        if !(value.is_finite() && value > 0.0) {
            return Err(Error::InvalidPeriod { axis, value });
        }
    }
    Ok(())
}

/// The image's values, starting on a 64-byte boundary of memory whatever
/// else was allocated before them: the wasm deposit's speed depended on
/// where the buffer landed (about 5 % at 1024², measured in node).
#[derive(Debug, Clone)]
struct AlignedValues {
    storage: Vec<f64>,
    start: usize,
    len: usize,
}

impl AlignedValues {
    fn new(len: usize) -> Result<Self> {
        let storage = try_filled(len + 7, f64::NAN, "the value buffer")?;
        let start = (8 - (storage.as_ptr() as usize / 8) % 8) % 8;
        Ok(AlignedValues { storage, start, len })
    }
}

impl std::ops::Deref for AlignedValues {
    type Target = [f64];
    fn deref(&self) -> &[f64] {
        &self.storage[self.start..self.start + self.len]
    }
}

impl std::ops::DerefMut for AlignedValues {
    fn deref_mut(&mut self) -> &mut [f64] {
        &mut self.storage[self.start..self.start + self.len]
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
    values: AlignedValues,
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

/// Whether `n` colours, under, over and bad fit in `u16` colour codes.
fn codes_fit(n: usize) -> bool {
    n + 3 <= u16::MAX as usize + 1
}

/// `norm` resolved, when previews can be shaded with it from the colour codes
/// kept images keep: explicit limits (automatic ones come from the preview's
/// own values), `vmin != vmax` (no thresholds), `n` colours fitting codes.
fn preview_codes_normalization(norm: &Normalization, n: usize) -> Option<ResolvedNormalization> {
    let explicit = norm.resolve_with(|_| Err(Error::NoValidData { log: false })).ok()?;
    let (vmin, vmax) = explicit.limits();
    (vmin != vmax && codes_fit(n)).then_some(explicit)
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
            values: AlignedValues::new(n)?,
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
        check_periods(period_x, period_y)?;
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
        // Called here directly (a shared helper function taking the values
        // as a slice made the deposit ~10-20 % slower in wasm, measured in
        // node on the real slices; `RowBand` does the same).
        self.values.fill(f64::NAN);
        crate::deposit::deposit_mesh::<false>(
            &mut self.values,
            self.width,
            self.height,
            [0, self.height],
            [0, self.width],
            &mut self.scratch,
            &index,
            mesh,
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

    /// Rows `row0..row1` of the values, to be overwritten by the caller
    /// with the same rows deposited elsewhere (a [`RowBand`] computed in a
    /// worker: its values are these rows bit for bit). Counts as a new
    /// deposit: every cache (limits, colour codes) is dropped, so shading
    /// after the bands are stored is exactly shading after `deposit`.
    /// `0 <= row0 < row1 <= height`; on error nothing changes.
    pub fn rows_mut(&mut self, row0: usize, row1: usize) -> Result<&mut [f64]> {
        if !(row0 < row1 && row1 <= self.height) {
            return Err(Error::InvalidRows { row0, row1, height: self.height });
        }
        self.generation += 1;
        Ok(&mut self.values[row0 * self.width..row1 * self.width])
    }

    /// Make the values a preview of `bounds` from `previews` (see
    /// [`crate::preview`]): counts as a new deposit (every cache dropped).
    /// False when `previews` has no image (the values are then all NaN).
    pub fn preview(&mut self, previews: &mut Previews, bounds: Bounds) -> Result<bool> {
        bounds.validate(self.width, self.height)?;
        self.generation += 1;
        Ok(previews.render(&mut self.values, self.width, self.height, bounds))
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
        if !codes_fit(n) {
            return Ok(self.fill_direct(cmap, &resolved));
        }
        self.fill_lut(cmap);
        let key = (self.generation, NormKey::new(&resolved, n));
        if self.codes_key == Some(key) {
            crate::shade::gather(&self.codes, &mut self.rgba, w, &self.lut);
            return Ok(resolved.limits());
        }
        let (vmin, vmax) = resolved.limits();
        if vmin != vmax {
            self.make_thresholds(&resolved, n)?;
        }
        let th = if vmin == vmax { None } else { self.thresholds.as_ref() };
        crate::shade::shade_codes(&self.values, &mut self.codes, &mut self.rgba, w, &self.lut, &resolved, th, n);
        self.codes_key = Some(key);
        Ok(resolved.limits())
    }

    /// The colours by code of `cmap` (its `N` entries, under, over, bad).
    fn fill_lut(&mut self, cmap: &Colormap) {
        let n = cmap.len();
        let lut = &mut self.lut;
        for k in 0..n {
            lut[k] = u32::from_ne_bytes(cmap.entry(k));
        }
        lut[n] = u32::from_ne_bytes(cmap.under());
        lut[n + 1] = u32::from_ne_bytes(cmap.over());
        lut[n + 2] = u32::from_ne_bytes(cmap.bad());
    }

    /// `self.thresholds`: those of `resolved` for `n` colours (`vmin != vmax`), kept until another key.
    fn make_thresholds(&mut self, resolved: &ResolvedNormalization, n: usize) -> Result<()> {
        if self.thresholds.as_ref().map(|t| t.key()) != Some(NormKey::new(resolved, n)) {
            self.thresholds = None; // free first
            self.thresholds = Some(Thresholds::new(resolved, n)?);
        }
        Ok(())
    }

    /// The colour codes [`Self::shade_preview`] will take from the images
    /// `previews` keeps, for `cmap` and `norm`, made now (the view at rest)
    /// rather than by the first preview of the next move: one image a call
    /// (a short task each); true when all are made. Nothing to do (true)
    /// where `shade_preview` would take the two steps.
    pub fn prepare_preview(&mut self, previews: &mut Previews, cmap: &Colormap, norm: &Normalization) -> Result<bool> {
        let n = cmap.len();
        let Some(resolved) = preview_codes_normalization(norm, n) else {
            return Ok(true);
        };
        self.fill_lut(cmap);
        self.make_thresholds(&resolved, n)?;
        previews.prepare_codes(&resolved, self.thresholds.as_ref(), n, &self.lut)
    }

    /// A preview of `bounds` from `previews`, shaded with `norm`: the pixels
    /// [`Self::preview`] then [`Self::shade`] give, bit for bit, made from
    /// the colour codes each kept image has for this normalization (made
    /// beforehand by [`Self::prepare_preview`], once per image and
    /// normalization): while the view moves its colour limits stay, so a
    /// preview costs a copy of codes, not a shading. Returns the limits used and how many pixels the scale can
    /// show (finite values, positive ones for log: those not "bad"; 0 when
    /// nothing of the data shows, as `value_range` would say). The
    /// values are not made (they stay as they were: read the pixels only).
    /// Codes not all made yet, automatic limits, `vmin == vmax` or more
    /// colours than `u16` codes hold: the two steps, with the same result.
    pub fn shade_preview(
        &mut self,
        previews: &mut Previews,
        bounds: Bounds,
        cmap: &Colormap,
        norm: &Normalization,
    ) -> Result<(f64, f64, usize)> {
        bounds.validate(self.width, self.height)?;
        let n = cmap.len();
        let bad = (n + 2) as u16;
        // (from codes only when the kept images all have theirs: making them here would make this frame long)
        let resolved = match preview_codes_normalization(norm, n).filter(|r| previews.codes_ready(r, n)) {
            Some(r) => r,
            None => {
                self.preview(previews, bounds)?;
                let (vmin, vmax) = self.shade(cmap, norm)?;
                // (what the codes path counts, by its definition: finite values, positive ones for log)
                let log = norm.scale() == Scale::Log;
                let colours = self.values.iter().filter(|&&v| v.is_finite() && (!log || v > 0.0)).count();
                return Ok((vmin, vmax, colours));
            }
        };
        self.fill_lut(cmap);
        previews.render_codes(&mut self.codes, self.width, self.height, bounds, &resolved, n)?;
        crate::shade::gather(&self.codes, &mut self.rgba, self.width, &self.lut);
        // (the values are not the preview's: nothing cached of them may be used)
        self.generation += 1;
        self.codes_key = None;
        let colours = self.codes.iter().filter(|&&c| c != bad).count();
        let (vmin, vmax) = resolved.limits();
        Ok((vmin, vmax, colours))
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

/// One band of rows of an image: what a worker deposits when the image is
/// split into row bands.
///
/// [`deposit_rows`](Self::deposit_rows) computes the rows `row0..row1` of
/// the `width x height` image that [`FixedResolutionBuffer::deposit`] would
/// make over the same bounds, **bit for bit**: the same global pixel grid
/// (pixel edges from the whole view and the whole `width x height`, yt's
/// `1e-6` tests unchanged), every cell visited in input order, each pixel
/// updated exactly as in the whole deposit (a pixel's value depends only on
/// the cells touching it, in order, and on its own row/column overlaps).
/// So the bands of any split of `0..height`, concatenated in row order,
/// are the whole image's values. Culling skips the blocks of cells that
/// cannot reach the band's rows (exact for the unshifted images, the same
/// argument as [`crate::deposit`]'s view test).
///
/// * [`values`](Self::values): `(row1 - row0)` rows of `width`, row-major;
///   its row `k` is global row `row0 + k` (row 0 of the image at `y_min`);
///   NaN where no cell deposited.
/// * `0 <= row0 < row1 <= height`: an empty band is refused
///   ([`Error::InvalidRows`]), so a caller splitting `height` rows into more
///   bands than rows must use fewer bands (at most one per row).
///
/// Buffers grow to the largest band seen and are reused: no allocation per
/// frame once the size is stable. On error nothing changes.
#[derive(Debug, Clone, Default)]
pub struct RowBand {
    width: usize,
    height: usize,
    row0: usize,
    row1: usize,
    values: Vec<f64>,
    scratch: crate::deposit::Scratch,
}

impl RowBand {
    /// An empty band (no rows, no memory until the first deposit).
    pub fn new() -> Self {
        Self::default()
    }

    /// Width of the image (and of each row of the band).
    pub fn width(&self) -> usize {
        self.width
    }
    /// Height of the whole image the band belongs to.
    pub fn height(&self) -> usize {
        self.height
    }
    /// First global row of the band.
    pub fn row0(&self) -> usize {
        self.row0
    }
    /// One past the last global row of the band.
    pub fn row1(&self) -> usize {
        self.row1
    }

    /// The band's values: `(row1 - row0) x width`, row `k` = global row
    /// `row0 + k` (empty before the first deposit).
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// Reset to NaN and deposit the rows `row0..row1` of the `width x
    /// height` image of `mesh` over `bounds`, without periodicity (the same
    /// rows as [`FixedResolutionBuffer::deposit`]).
    #[allow(clippy::too_many_arguments)]
    pub fn deposit_rows(
        &mut self,
        mesh: &VariableMesh,
        bounds: Bounds,
        width: usize,
        height: usize,
        row0: usize,
        row1: usize,
        antialias: bool,
    ) -> Result<()> {
        self.deposit_impl(mesh, bounds, width, height, [row0, row1], None, antialias, [0.0, 0.0], false)
    }

    /// [`Self::deposit_rows`] with periodic images (the same rows as
    /// [`FixedResolutionBuffer::deposit_periodic`]; periods finite, > 0).
    #[allow(clippy::too_many_arguments)]
    pub fn deposit_rows_periodic(
        &mut self,
        mesh: &VariableMesh,
        bounds: Bounds,
        width: usize,
        height: usize,
        row0: usize,
        row1: usize,
        antialias: bool,
        period_x: f64,
        period_y: f64,
    ) -> Result<()> {
        check_periods(period_x, period_y)?;
        self.deposit_impl(mesh, bounds, width, height, [row0, row1], None, antialias, [period_x, period_y], true)
    }

    /// The value of pixel (`row`, `col`) (row 0 at `y_min`) of the `width x
    /// height` image of `mesh` over `bounds` (with periodic images when
    /// `period` is given: finite, > 0): that pixel of
    /// [`FixedResolutionBuffer::deposit`]'s (or `deposit_periodic`'s) image,
    /// bit for bit (NaN where no cell deposits). Only the cells that may
    /// reach that pixel are visited (culled along x and y), not a whole
    /// row's: a read-out on a 50 M-cell slice. The band's buffers are
    /// reused; its values are then row `row` with only column `col`
    /// deposited.
    #[allow(clippy::too_many_arguments)]
    pub fn value_at(
        &mut self,
        mesh: &VariableMesh,
        bounds: Bounds,
        width: usize,
        height: usize,
        row: usize,
        col: usize,
        antialias: bool,
        period: Option<[f64; 2]>,
    ) -> Result<f64> {
        if let Some([px, py]) = period {
            check_periods(px, py)?;
        }
        let (rows, cols) = ([row, row.saturating_add(1)], [col, col.saturating_add(1)]);
        let shifts = period.unwrap_or([0.0, 0.0]);
        self.deposit_impl(mesh, bounds, width, height, rows, Some(cols), antialias, shifts, period.is_some())?;
        Ok(self.values[col])
    }

    #[allow(clippy::too_many_arguments)]
    fn deposit_impl(
        &mut self,
        mesh: &VariableMesh,
        bounds: Bounds,
        width: usize,
        height: usize,
        rows: [usize; 2],
        cols: Option<[usize; 2]>,
        antialias: bool,
        period: [f64; 2],
        check_period: bool,
    ) -> Result<()> {
        if width == 0 || height == 0 || width > MAX_DIMENSION || height > MAX_DIMENSION {
            return Err(Error::InvalidDimensions { width, height });
        }
        let [row0, row1] = rows;
        if !(row0 < row1 && row1 <= height) {
            return Err(Error::InvalidRows { row0, row1, height });
        }
        let cols = cols.unwrap_or([0, width]);
        if !(cols[0] < cols[1] && cols[1] <= width) {
            return Err(Error::InvalidColumns { col0: cols[0], col1: cols[1], width });
        }
        bounds.validate(width, height)?;
        mesh.block_index()?;
        let n = (row1 - row0) * width; // <= 2^26
        if self.values.capacity() < n {
            self.values
                .try_reserve_exact(n - self.values.len())
                .map_err(|_| Error::AllocationFailed { what: "the band's values", bytes: n * 8 })?;
        }
        self.scratch.ensure(width, height)?;
        self.values.resize(n, f64::NAN);
        (self.width, self.height, self.row0, self.row1) = (width, height, row0, row1);
        // always the band instance (exact for rows = [0, height] too): the
        // whole image's instance keeps a single caller, as fast as before
        let index = mesh.block_index()?;
        self.values.fill(f64::NAN);
        crate::deposit::deposit_mesh::<true>(
            &mut self.values,
            width,
            height,
            rows,
            cols,
            &mut self.scratch,
            &index,
            mesh,
            bounds,
            antialias,
            period,
            check_period,
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_stored_into_a_buffer_shade_like_its_own_deposit() {
        let cells = mesh(&[(0.3, 0.2, 0.3, 0.2, 1.0), (0.6, 0.7, 0.1, 0.3, 5.0), (0.5, 0.5, 0.05, 0.05, -2.0)]);
        let mut whole = FixedResolutionBuffer::new(7, 5).unwrap();
        whole.deposit(&cells, unit(), true).unwrap();
        let cmap = Colormap::new(&[0, 0, 0, 255, 255, 255, 255, 255]).unwrap();
        let norm = Normalization::linear(None, None).unwrap();
        let limits = whole.shade(&cmap, &norm).unwrap();
        let mut stored = FixedResolutionBuffer::new(7, 5).unwrap();
        stored.shade(&cmap, &norm).unwrap_err(); // all NaN: nothing to scale yet
        let mut band = RowBand::new();
        for (r0, r1) in [(0, 2), (2, 3), (3, 5)] {
            band.deposit_rows(&cells, unit(), 7, 5, r0, r1, true).unwrap();
            stored.rows_mut(r0, r1).unwrap().copy_from_slice(band.values());
        }
        assert_eq!(stored.shade(&cmap, &norm).unwrap(), limits); // caches dropped: limits from the new values
        assert_eq!(stored.rgba(), whole.rgba());
        assert!(stored.values().iter().zip(whole.values()).all(|(a, b)| a.to_bits() == b.to_bits()));
        assert!(matches!(stored.rows_mut(3, 3), Err(Error::InvalidRows { .. })));
        assert!(matches!(stored.rows_mut(4, 6), Err(Error::InvalidRows { .. })));
    }

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
    fn error_cases() {
        assert!(matches!(FixedResolutionBuffer::new(0, 5), Err(Error::InvalidDimensions { .. })));
        assert!(matches!(FixedResolutionBuffer::new(5, 0), Err(Error::InvalidDimensions { .. })));
        assert!(matches!(FixedResolutionBuffer::new(8193, 5), Err(Error::InvalidDimensions { .. })));
        assert!(matches!(FixedResolutionBuffer::new(5, 8193), Err(Error::InvalidDimensions { .. })));
        let m = mesh(&[(0.5, 0.5, 0.5, 0.5, 1.0)]);
        let mut frb = FixedResolutionBuffer::new(4, 4).unwrap();
        for b in crate::testing::invalid_bounds() {
            let e = frb.deposit(&m, b, true).unwrap_err();
            assert!(matches!(e, Error::InvalidBounds { .. }), "{b:?}");
        }
        for (px, py) in [(0.0, 1.0), (-1.0, 1.0), (f64::NAN, 1.0), (1.0, f64::INFINITY)] {
            let e = frb.deposit_periodic(&m, unit(), true, px, py).unwrap_err();
            assert!(matches!(e, Error::InvalidPeriod { .. }));
            assert!(e.to_string().contains("period"));
        }
    }

    #[test]
    fn zero_width_cell_point_sample() {
        let mut frb = FixedResolutionBuffer::new(4, 1).unwrap();
        frb.deposit(&mesh(&[(0.6, 0.5, 0.0, 0.5, 9.0)]), unit(), false).unwrap();
        assert_eq!(frb.values()[2], 9.0);
        assert_eq!(frb.values().iter().filter(|v| !v.is_nan()).count(), 1);
    }

    // ---- the fast shading path against the definition

    use crate::testing::Rng;

    /// Direct per-pixel evaluation (the definition).
    fn by_definition(values: &[f64], w: usize, cmap: &Colormap, norm: &Normalization) -> Option<Vec<u8>> {
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

    /// A preview shaded from kept colour codes is the preview's values shaded, byte for byte, and counts
    /// the pixels the scale can show, through changes of limits, scale, colormap size and kept images.
    #[test]
    fn a_preview_shaded_from_codes_is_the_preview_shaded() {
        let mut rng = Rng(0xc0de5);
        let mut previews = Previews::new();
        let image = |rng: &mut Rng, w: usize, h: usize| -> Vec<f64> {
            (0..w * h)
                .map(|_| match (rng.next() * 12.0) as u32 {
                    0 => f64::NAN,
                    1 => [f64::INFINITY, f64::NEG_INFINITY, 0.0, -0.0, -3.0][(rng.next() * 5.0) as usize],
                    2 => rng.next() * 20.0 - 5.0,
                    _ => 10f64.powf(rng.next() * 8.0 - 4.0),
                })
                .collect()
        };
        let norms = [
            Normalization::log(Some(1e-3), Some(1e3)).unwrap(),
            Normalization::log(Some(0.5), Some(40.0)).unwrap(),
            Normalization::linear(Some(-3.0), Some(7.0)).unwrap(),
            Normalization::symlog(Some(-100.0), Some(1000.0), 1e-2).unwrap(),
            Normalization::log(None, None).unwrap(), // (the two steps)
            Normalization::log(Some(2.0), Some(2.0)).unwrap(), // (the two steps)
        ];
        let mut shown = FixedResolutionBuffer::new(1, 1).unwrap();
        let mut want = FixedResolutionBuffer::new(1, 1).unwrap();
        for round in 0..40 {
            if round % 5 == 0 {
                // a new exact image: the newest, sometimes the widest too
                let (w, h) = (5 + (rng.next() * 40.0) as usize, 3 + (rng.next() * 30.0) as usize);
                let (x0, y0) = (rng.next() * 2.0 - 1.0, rng.next() * 2.0 - 1.0);
                let size = 0.2 + rng.next() * if round == 0 { 3.0 } else { 1.0 };
                previews.remember(&image(&mut rng, w, h), w, h, Bounds::new(x0, x0 + size, y0, y0 + size)).unwrap();
            }
            let (w, h) = (1 + (rng.next() * 50.0) as usize, 1 + (rng.next() * 50.0) as usize);
            if shown.width() != w || shown.height() != h {
                shown = FixedResolutionBuffer::new(w, h).unwrap();
                want = FixedResolutionBuffer::new(w, h).unwrap();
            }
            let (x0, y0) = (rng.next() * 3.0 - 1.5, rng.next() * 3.0 - 1.5);
            let size = 0.05 + rng.next() * 2.0;
            let view = Bounds::new(x0, x0 + size, y0, y0 + size);
            let norm = &norms[(rng.next() * norms.len() as f64) as usize];
            let c = cmap([2, 10, 256][(rng.next() * 3.0) as usize]);
            for pass in 0..2 {
                // (twice: the first in two steps, the second from the codes made in between)
                if pass == 1 {
                    for _ in 0..3 {
                        if shown.prepare_preview(&mut previews, &c, norm).unwrap() {
                            break;
                        }
                    }
                }
                want.preview(&mut previews, view).unwrap();
                let expected = want.shade(&c, norm);
                let got = shown.shade_preview(&mut previews, view, &c, norm);
                match expected {
                    Ok((vmin, vmax)) => {
                        let (a, b, colours) = got.unwrap();
                        assert_eq!((a, b), (vmin, vmax), "round {round}");
                        assert_eq!(shown.rgba(), want.rgba(), "round {round}");
                        let log = norm.scale() == Scale::Log;
                        let showable = want.values().iter().filter(|&&v| v.is_finite() && (!log || v > 0.0)).count();
                        assert_eq!(colours, showable, "round {round}");
                    }
                    Err(_) => assert!(got.is_err(), "round {round}"), // (automatic limits, nothing in view)
                }
            }
        }
        // codes made ahead (at rest) are the ones a preview makes: the same pixels
        let (c, norm) = (cmap(256), &norms[1]);
        let view = Bounds::new(-0.3, 0.9, -0.2, 1.0);
        let mut ahead = FixedResolutionBuffer::new(23, 17).unwrap();
        want = FixedResolutionBuffer::new(23, 17).unwrap();
        previews.remember(&image(&mut rng, 30, 20), 30, 20, Bounds::new(-0.5, 0.5, -0.5, 0.5)).unwrap();
        let mut calls = 1;
        while !ahead.prepare_preview(&mut previews, &c, norm).unwrap() {
            calls += 1;
        }
        assert!((1..=3).contains(&calls), "{calls} calls"); // (an image a call, and a last one to say so)
        assert!(ahead.prepare_preview(&mut previews, &c, norm).unwrap()); // (nothing left)
        ahead.shade_preview(&mut previews, view, &c, norm).unwrap();
        want.preview(&mut previews, view).unwrap();
        want.shade(&c, norm).unwrap();
        assert_eq!(ahead.rgba(), want.rgba());
        // no image: every pixel bad, no colour
        let mut empty = Previews::new();
        assert!(shown.prepare_preview(&mut empty, &cmap(256), &norms[0]).unwrap());
        let (_, _, colours) = shown.shade_preview(&mut empty, unit(), &cmap(256), &norms[0]).unwrap();
        assert_eq!(colours, 0);
        assert!(shown.shade_preview(&mut previews, Bounds::new(1.0, 0.0, 0.0, 1.0), &cmap(256), &norms[0]).is_err());
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
                let expected = by_definition(&vals, w, &c, norm);
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

    // ---- row bands: concatenated, bit for bit the whole deposit

    /// `k` bands of `ceil(h / k)` rows (the last shorter, fewer bands if
    /// `k` does not divide evenly into non-empty ones).
    fn split(h: usize, k: usize) -> Vec<(usize, usize)> {
        let step = h.div_ceil(k);
        (0..h).step_by(step).map(|r| (r, (r + step).min(h))).collect()
    }

    fn bits(v: &[f64]) -> Vec<u64> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    /// Deposit every band of `bands` (in a random order, one reused
    /// `RowBand`) and compare their concatenation with `whole`.
    #[allow(clippy::too_many_arguments)]
    fn check_bands(
        band: &mut RowBand,
        m: &VariableMesh,
        b: Bounds,
        w: usize,
        h: usize,
        bands: &[(usize, usize)],
        aa: bool,
        period: Option<[f64; 2]>,
        whole: &[f64],
        what: &str,
    ) {
        let mut out = vec![0u64; w * h];
        let mut order: Vec<usize> = (0..bands.len()).collect();
        order.reverse();
        for &k in &order {
            let (r0, r1) = bands[k];
            match period {
                Some([p, q]) => band.deposit_rows_periodic(m, b, w, h, r0, r1, aa, p, q).unwrap(),
                None => band.deposit_rows(m, b, w, h, r0, r1, aa).unwrap(),
            }
            assert_eq!((band.width(), band.height(), band.row0(), band.row1()), (w, h, r0, r1));
            assert_eq!(band.values().len(), (r1 - r0) * w);
            out[r0 * w..r1 * w].copy_from_slice(&bits(band.values()));
        }
        assert!(out == bits(whole), "{what}: bands {bands:?} differ from the whole image");
    }

    fn random_mesh(rng: &mut Rng, case: usize) -> (VariableMesh, [Vec<f64>; 5]) {
        let n = 1 + (rng.next() * 2500.0) as usize;
        let cells = crate::testing::random_cells(rng, n, case.is_multiple_of(2), case % 7 == 3);
        let [px, py, pdx, pdy, v] = cells.clone();
        (VariableMesh::new(px, py, pdx, pdy, v).unwrap(), cells)
    }

    /// [`random_mesh`], compacted in odd cases (both storages).
    fn random_mesh_compact_every_other(rng: &mut Rng, case: usize) -> VariableMesh {
        let (mut m, _) = random_mesh(rng, case);
        if case % 2 == 1 {
            m.compact().unwrap();
        }
        m
    }

    /// Random meshes (coherent and random order, zero widths, NaN), odd
    /// sizes, views inside/across/outside the data and zoomed, periodic or
    /// not, antialiased or not; K = 1, 2, 3, 7 bands, a band per row, and
    /// uneven splits: the bands equal the whole deposit and the reference.
    #[test]
    fn bands_concatenate_to_the_whole_deposit() {
        let mut rng = Rng(0xB4D5_0F0E_5EED_1234);
        let mut band = RowBand::new();
        for case in 0..40 {
            let (m, [px, py, pdx, pdy, v]) = random_mesh(&mut rng, case);
            let (w, h) = (1 + (rng.next() * 67.0) as usize, 1 + (rng.next() * 67.0) as usize);
            let (cx, cy) = (rng.next() * 1.4 - 0.2, rng.next() * 1.4 - 0.2);
            let sz = if case % 3 == 0 { 0.005 + rng.next() * 0.05 } else { 0.02 + rng.next() * 1.2 };
            let b = Bounds::new(cx - sz / 2.0, cx + sz / 2.0, cy - sz / 3.0, cy + sz / 2.0);
            let mut frb = FixedResolutionBuffer::new(w, h).unwrap();
            let mut splits: Vec<Vec<(usize, usize)>> = [1, 2, 3, 7, h].iter().map(|&k| split(h, k)).collect();
            // an uneven split at random cuts
            let mut cuts: Vec<usize> = (0..3).map(|_| (rng.next() * h as f64) as usize).filter(|&c| c > 0).collect();
            cuts.sort();
            cuts.dedup();
            let mut uneven = vec![];
            let mut prev = 0;
            for c in cuts.into_iter().chain([h]) {
                uneven.push((prev, c));
                prev = c;
            }
            splits.push(uneven);
            for aa in [true, false] {
                for periodic in [false, true] {
                    let period = if periodic { [1.0, 1.0] } else { [0.0, 0.0] };
                    if periodic {
                        frb.deposit_periodic(&m, b, aa, 1.0, 1.0).unwrap();
                    } else {
                        frb.deposit(&m, b, aa).unwrap();
                    }
                    let mut r = vec![f64::NAN; w * h];
                    crate::reference::pixelize_cartesian(&mut r, w, h, &px, &py, &pdx, &pdy, &v, b, aa, period, periodic).unwrap();
                    assert_eq!(bits(frb.values()), bits(&r), "case {case}: whole vs reference");
                    for bands in &splits {
                        let p = if periodic { Some(period) } else { None };
                        check_bands(&mut band, &m, b, w, h, bands, aa, p, frb.values(), &format!("case {case} {w}x{h} aa {aa} periodic {periodic}"));
                    }
                }
            }
        }
    }

    /// `RowBand::value_at` (a read-out's pixel, its cells culled along x and
    /// y): every pixel of random meshes' images (f64 and compact, coherent
    /// and random order, zero widths, NaN), views inside/across/outside the
    /// data and zoomed, periodic or not, antialiased or not, is the whole
    /// deposit's, bit for bit; a pixel outside the image is refused.
    #[test]
    fn a_pixels_value_is_the_whole_deposits() {
        let mut rng = Rng(0x5EED_0F_A_917E1);
        let mut band = RowBand::new();
        for case in 0..30 {
            let m = random_mesh_compact_every_other(&mut rng, case);
            let (w, h) = (1 + (rng.next() * 37.0) as usize, 1 + (rng.next() * 37.0) as usize);
            let (cx, cy) = (rng.next() * 1.4 - 0.2, rng.next() * 1.4 - 0.2);
            let sz = if case % 3 == 0 { 0.005 + rng.next() * 0.05 } else { 0.02 + rng.next() * 1.2 };
            let b = Bounds::new(cx - sz / 2.0, cx + sz / 2.0, cy - sz / 3.0, cy + sz / 2.0);
            let mut frb = FixedResolutionBuffer::new(w, h).unwrap();
            for aa in [true, false] {
                for periodic in [false, true] {
                    if periodic {
                        frb.deposit_periodic(&m, b, aa, 1.0, 1.0).unwrap();
                    } else {
                        frb.deposit(&m, b, aa).unwrap();
                    }
                    for row in 0..h {
                        for col in 0..w {
                            let period = if periodic { Some([1.0, 1.0]) } else { None };
                            let got = band.value_at(&m, b, w, h, row, col, aa, period).unwrap();
                            let want = frb.values()[row * w + col];
                            assert_eq!(got.to_bits(), want.to_bits(), "case {case} {w}x{h} aa {aa} periodic {periodic} ({row}, {col})");
                        }
                    }
                }
            }
            assert!(matches!(band.value_at(&m, b, w, h, 0, w, true, None), Err(Error::InvalidColumns { .. })));
            assert!(matches!(band.value_at(&m, b, w, h, h, 0, true, None), Err(Error::InvalidRows { .. })));
            assert!(matches!(band.value_at(&m, b, w, h, 0, 0, true, Some([0.0, 1.0])), Err(Error::InvalidPeriod { .. })));
        }
    }

    /// A deposit worker's strip (`VariableMesh::strip_mask` + `subset`):
    /// the rows lying inside a strip, or inside it shifted by a period (less
    /// a margin for the plain fill's rounding, as `lite/js/core/parallel.js`
    /// chooses them), deposited from the strip's cells alone are the whole
    /// mesh's rows, bit for bit, for random meshes (f64 and compact), views
    /// (across the domain's edges too), periodic or not, antialiased or not,
    /// strips from `y_splits` over one period and at random heights.
    #[test]
    fn a_strips_cells_give_its_rows_bits() {
        let mut rng = Rng(0x5781_95C0_FFEE_0042);
        let mut band = RowBand::new();
        let (mut inside_rows, mut shifted_rows) = (0usize, 0usize);
        for case in 0..60 {
            let m = random_mesh_compact_every_other(&mut rng, case);
            let (w, h) = (1 + (rng.next() * 50.0) as usize, 2 + (rng.next() * 90.0) as usize);
            let (cx, cy) = (rng.next() * 1.4 - 0.2, rng.next() * 1.4 - 0.2);
            let sz = if case % 3 == 0 { 0.01 + rng.next() * 0.1 } else { 0.05 + rng.next() * 1.5 };
            let b = Bounds::new(cx - sz / 2.0, cx + sz / 2.0, cy - sz / 2.0, cy + sz / 3.0);
            // the strips: one period from the cells' lowest edge, cut where y_splits says (or at random)
            let extent = m.extent().unwrap();
            let (e0, e1) = (extent[2], extent[3]);
            let period = (e1 - e0).max(1.0);
            let mut splits = m.y_splits(2 + case % 4).unwrap();
            if case % 5 == 0 {
                splits = vec![cy - sz * 0.1, cy + rng.next() * sz * 0.2];
            }
            assert!(splits.windows(2).all(|p| p[0] < p[1]), "{splits:?}");
            let edges: Vec<f64> = [e0].into_iter().chain(splits.iter().copied().filter(|&y| y > e0 && y < e0 + period))
                .chain([e0 + period]).collect();
            let mut frb = FixedResolutionBuffer::new(w, h).unwrap();
            for aa in [true, false] {
                for periodic in [false, true] {
                    if periodic {
                        frb.deposit_periodic(&m, b, aa, 1.0, period).unwrap();
                    } else {
                        frb.deposit(&m, b, aa).unwrap();
                    }
                    let whole = bits(frb.values());
                    let px_dy = (b.y_max - b.y_min) / h as f64;
                    let ly = |i: usize| px_dy * i as f64 + b.y_min;
                    let margin = 1e-12 * (b.y_min.abs() + b.y_max.abs() + (b.y_max - b.y_min) + 2.0 * period + e0.abs() + e1.abs() + (e1 - e0));
                    for k in 0..edges.len() - 1 {
                        let (lo, hi) = (edges[k], edges[k + 1]);
                        let inside = |i: usize, j: f64| ly(i) - j * period >= lo + margin && ly(i + 1) - j * period <= hi - margin;
                        let rows: Vec<usize> = (0..h).filter(|&i| [0.0, -1.0, 1.0].iter().any(|&j| inside(i, j))).collect();
                        if rows.is_empty() {
                            continue;
                        }
                        let mask = m.strip_mask(lo, hi, period).unwrap();
                        let strip = if mask.iter().any(|&k| k != 0) { Some(m.subset(&mask).unwrap()) } else { None };
                        for &i in &rows {
                            shifted_rows += usize::from(!inside(i, 0.0));
                            inside_rows += 1;
                            let Some(strip) = &strip else {
                                // (no cell: the row is empty pixels, NaN, which the pool fills itself)
                                assert!(whole[i * w..(i + 1) * w].iter().all(|&v| f64::from_bits(v).is_nan()), "case {case}");
                                continue;
                            };
                            match periodic {
                                true => band.deposit_rows_periodic(strip, b, w, h, i, i + 1, aa, 1.0, period).unwrap(),
                                false => band.deposit_rows(strip, b, w, h, i, i + 1, aa).unwrap(),
                            }
                            assert!(bits(band.values()) == whole[i * w..(i + 1) * w],
                                "case {case}: strip {k} ({lo}, {hi}) row {i} of {w}x{h}, aa {aa}, periodic {periodic}");
                        }
                    }
                }
            }
        }
        assert!(inside_rows > 4000 && shifted_rows > 200, "{inside_rows} rows, {shifted_rows} shifted");
        // the mask's errors
        let m = mesh(&[(0.5, 0.5, 0.5, 0.5, 1.0)]);
        for (lo, hi) in [(1.0, 1.0), (2.0, 1.0), (f64::NAN, 1.0)] {
            assert!(m.strip_mask(lo, hi, 1.0).is_err());
        }
        assert!(m.subset(&[1, 0]).is_err());
        assert_eq!(m.subset(&[0]).unwrap_err(), Error::EmptyMesh);
        assert_eq!(m.strip_mask(0.9, 2.0, f64::NAN).unwrap(), [1]);
        assert_eq!(m.strip_mask(1.0, 2.0, f64::NAN).unwrap(), [0]); // (touching is not meeting)
        assert_eq!(m.strip_mask(1.5, 1.9, 1.0).unwrap(), [1]); // (its image shifted by the period)
        assert_eq!(m.strip_mask(2.5, 2.9, 1.0).unwrap(), [1]); // (and by twice the period)
        assert_eq!(m.strip_mask(3.5, 3.9, 1.0).unwrap(), [0]);
    }

    /// Cell edges on pixel edges (yt's bonus row with overlap ~0, the
    /// fixed-window paths): bands cutting through 2x2 / 4x4 windows.
    #[test]
    fn bands_of_aligned_grids() {
        let mut band = RowBand::new();
        for &(n, w, h) in &[(16usize, 64usize, 64usize), (8, 32, 40), (21, 84, 63), (5, 7, 9)] {
            let mut c = vec![];
            for i in 0..n {
                for j in 0..n {
                    let v = if (i * 7 + j) % 13 == 0 { f64::NAN } else { (i * n + j) as f64 * 0.37 - 3.0 };
                    c.push(((j as f64 + 0.5) / n as f64, (i as f64 + 0.5) / n as f64, 0.5 / n as f64, 0.5 / n as f64, v));
                }
            }
            let m = mesh(&c);
            let mut frb = FixedResolutionBuffer::new(w, h).unwrap();
            for &(x0, x1, y0, y1) in &[(0.0, 1.0, 0.0, 1.0), (0.25, 0.75, 0.125, 0.625), (1e-9, 1.0, 0.0, 1.0 - 1e-9), (-0.3, 1.2, -0.5, 1.1)] {
                let b = Bounds::new(x0, x1, y0, y1);
                for periodic in [false, true] {
                    for aa in [true, false] {
                        if periodic {
                            frb.deposit_periodic(&m, b, aa, 1.0, 1.0).unwrap();
                        } else {
                            frb.deposit(&m, b, aa).unwrap();
                        }
                        for k in [2, 3, 5, 7, h] {
                            let p = if periodic { Some([1.0, 1.0]) } else { None };
                            check_bands(&mut band, &m, b, w, h, &split(h, k), aa, p, frb.values(), &format!("n {n} {w}x{h}"));
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn band_errors_change_nothing() {
        let m = mesh(&[(0.5, 0.5, 0.5, 0.5, 1.0)]);
        let mut band = RowBand::new();
        assert!(band.values().is_empty());
        band.deposit_rows(&m, unit(), 4, 6, 2, 5, true).unwrap();
        let before = bits(band.values());
        assert_eq!(before.len(), 12);
        let rows = |r0, r1, h| Err(Error::InvalidRows { row0: r0, row1: r1, height: h });
        assert_eq!(band.deposit_rows(&m, unit(), 4, 6, 3, 3, true), rows(3, 3, 6));
        assert_eq!(band.deposit_rows(&m, unit(), 4, 6, 4, 2, true), rows(4, 2, 6));
        assert_eq!(band.deposit_rows(&m, unit(), 4, 6, 5, 7, true), rows(5, 7, 6));
        assert_eq!(band.deposit_rows(&m, unit(), 4, 6, 6, 7, false), rows(6, 7, 6));
        let e = band.deposit_rows(&m, unit(), 4, 6, 3, 3, true).unwrap_err().to_string();
        assert!(e.contains("[3, 3)") && e.contains("6 rows") && e.contains("empty band"), "{e}");
        for (w, h) in [(0, 6), (4, 0), (8193, 6), (4, 8193)] {
            let e = band.deposit_rows(&m, unit(), w, h, 0, 1, true).unwrap_err();
            assert_eq!(e, Error::InvalidDimensions { width: w, height: h });
        }
        for b in crate::testing::invalid_bounds() {
            let e = band.deposit_rows(&m, b, 4, 6, 0, 6, true).unwrap_err();
            assert!(matches!(e, Error::InvalidBounds { .. }), "{b:?}");
        }
        for (px, py) in [(0.0, 1.0), (-1.0, 1.0), (f64::NAN, 1.0), (1.0, f64::INFINITY)] {
            let e = band.deposit_rows_periodic(&m, unit(), 4, 6, 0, 6, true, px, py).unwrap_err();
            assert!(matches!(e, Error::InvalidPeriod { .. }));
        }
        // a mesh whose geometry became invalid
        let mut bad = mesh(&[(0.5, 0.5, 0.5, 0.5, 1.0)]);
        bad.px_mut().unwrap()[0] = f64::NAN;
        assert!(band.deposit_rows(&bad, unit(), 4, 6, 0, 6, true).is_err());
        assert_eq!(bits(band.values()), before);
        assert_eq!((band.width(), band.height(), band.row0(), band.row1()), (4, 6, 2, 5));
        // the whole image as one band, then the last row alone
        band.deposit_rows(&m, unit(), 4, 6, 0, 6, true).unwrap();
        assert!(band.values().iter().all(|v| close(*v, 1.0)));
        band.deposit_rows(&m, unit(), 4, 6, 5, 6, true).unwrap();
        assert_eq!(band.values().len(), 4);
    }

    /// Buffers are reused: a band no larger than an earlier one allocates
    /// nothing.
    #[test]
    fn band_buffers_are_reused() {
        let m = mesh(&[(0.5, 0.5, 0.5, 0.5, 1.0)]);
        let mut band = RowBand::new();
        band.deposit_rows(&m, unit(), 64, 64, 0, 32, true).unwrap();
        let p = band.values().as_ptr();
        for (r0, r1) in [(32, 64), (10, 20), (0, 32)] {
            band.deposit_rows(&m, unit(), 64, 64, r0, r1, true).unwrap();
            assert_eq!(band.values().as_ptr(), p);
        }
    }
}
