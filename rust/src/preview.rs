//! Previews while the view moves: when the exact image of a view costs more
//! than a frame (a big mesh), the front end shows, until the exact image is
//! there, the image of the new view made from exact images of other views it
//! already has. A preview is never the picture at rest: it stands in while
//! the exact one is made (off the main thread, in row bands).
//!
//! [`Previews`] keeps two exact images: the **newest** one and the
//! **widest** one (the largest view area seen since the last
//! [`clear`](Previews::clear), typically the whole domain). A preview pixel
//! takes, nearest pixel, the value of the image whose pixel under its centre
//! is the **finest** (smallest area) among those covering it, and NaN (the
//! "bad" colour) where none covers it. Pixel grids as in the deposit: pixel
//! `(i, j)` of a `width x height` image of `bounds` spans `[x_min + j dx,
//! x_min + (j + 1) dx] x [y_min + i dy, y_min + (i + 1) dy]`, row 0 at
//! `y_min`; its centre is looked up in the source's grid.
//!
//! No allocation per preview: the images' buffers are reused when the next
//! image has the same size.

use crate::bounds::Bounds;
use crate::error::{try_filled, Error, Result, MAX_DIMENSION};
use crate::normalization::ResolvedNormalization;
use crate::shade::{shade_codes, Lut, NormKey, Thresholds};

#[derive(Debug, Clone)]
struct Image {
    bounds: Bounds,
    width: usize,
    height: usize,
    values: Vec<f64>,
    /// The colour codes of `values` under `codes_key` (see
    /// [`Previews::render_codes`]); empty until asked for.
    codes: Vec<u16>,
    codes_key: Option<NormKey>,
}

impl Image {
    fn area(&self) -> f64 {
        (self.bounds.x_max - self.bounds.x_min) * (self.bounds.y_max - self.bounds.y_min)
    }
    fn pixel_area(&self) -> f64 {
        self.area() / (self.width * self.height) as f64
    }
}

/// The exact images previews are made from (see the module docs).
#[derive(Debug, Clone, Default)]
pub struct Previews {
    newest: Option<Image>,
    /// `None` while the newest image is also the widest.
    widest: Option<Image>,
    /// A buffer no image uses any more.
    spare: Vec<f64>,
    /// Per source, the source column under each preview column's centre
    /// (`usize::MAX`: none); reused from preview to preview.
    columns: [Vec<usize>; 2],
    /// Pixels `shade_codes` writes beside an image's codes (not shown).
    scratch: Vec<u32>,
}

const NONE: usize = usize::MAX;

/// The index of the cell of a grid starting at `lo` with cells `step` wide
/// that holds `x`, if one of `n` does.
fn cell(x: f64, lo: f64, step: f64, n: usize) -> usize {
    let c = ((x - lo) / step).floor();
    if c >= 0.0 && c < n as f64 {
        c as usize
    } else {
        NONE
    }
}

/// The row of `s` (an image and one array of its pixels) under height `y`, if `s` has one there.
fn row_of<'a, T>(s: Option<(&Image, &'a [T])>, y: f64) -> Option<&'a [T]> {
    let (s, pixels) = s?;
    let r = cell(y, s.bounds.y_min, (s.bounds.y_max - s.bounds.y_min) / s.height as f64, s.height);
    (r != NONE).then(|| &pixels[r * s.width..(r + 1) * s.width])
}

/// The finest first of the newest and widest image (the first is `Some`
/// whenever either is).
fn finest_first<'a>(newest: Option<&'a Image>, widest: Option<&'a Image>) -> [Option<&'a Image>; 2] {
    match (newest, widest) {
        (Some(a), Some(b)) if b.pixel_area() < a.pixel_area() => [Some(b), Some(a)],
        (a, b) => [a, b],
    }
}

/// `out` (`height` rows of `width`, already filled with "none") given, per
/// pixel, the pixel under its centre of the finest source covering it
/// (`sources`: finest first, each an image and one array of its pixels).
fn sample<T: Copy>(
    columns: &mut [Vec<usize>; 2],
    sources: [Option<(&Image, &[T])>; 2],
    out: &mut [T],
    width: usize,
    bounds: Bounds,
) {
    let height = out.len() / width;
    let dx = (bounds.x_max - bounds.x_min) / width as f64;
    let dy = (bounds.y_max - bounds.y_min) / height as f64;
    for (s, cols) in sources.iter().zip(columns.iter_mut()) {
        cols.clear();
        if let Some((s, _)) = s {
            let sdx = (s.bounds.x_max - s.bounds.x_min) / s.width as f64;
            cols.extend((0..width).map(|j| cell(bounds.x_min + (j as f64 + 0.5) * dx, s.bounds.x_min, sdx, s.width)));
        }
    }
    let [fine_cols, coarse_cols] = &*columns;
    for (i, row) in out.chunks_exact_mut(width).enumerate() {
        let y = bounds.y_min + (i as f64 + 0.5) * dy;
        match (row_of(sources[0], y), row_of(sources[1], y)) {
            (Some(fine), Some(coarse)) => {
                for ((v, &f), &c) in row.iter_mut().zip(fine_cols).zip(coarse_cols) {
                    if f != NONE {
                        *v = fine[f];
                    } else if c != NONE {
                        *v = coarse[c];
                    }
                }
            }
            (Some(src), None) | (None, Some(src)) => {
                let cols = if row_of(sources[0], y).is_some() { fine_cols } else { coarse_cols };
                for (v, &c) in row.iter_mut().zip(cols) {
                    if c != NONE {
                        *v = src[c];
                    }
                }
            }
            (None, None) => {}
        }
    }
}

impl Previews {
    pub fn new() -> Self {
        Self::default()
    }

    /// Forget every image (a new mesh or field).
    pub fn clear(&mut self) {
        self.newest = None;
        self.widest = None;
        self.spare = Vec::new();
    }

    /// True when there is an image to make previews from.
    pub fn has_images(&self) -> bool {
        self.newest.is_some()
    }

    /// Keep `values` (`height` rows of `width`, row 0 at `y_min`), the exact
    /// image of `bounds`, as the newest image (and the widest, if its view is
    /// larger than the widest one's). On error nothing changes.
    pub fn remember(&mut self, values: &[f64], width: usize, height: usize, bounds: Bounds) -> Result<()> {
        if width == 0 || height == 0 || width > MAX_DIMENSION || height > MAX_DIMENSION {
            return Err(Error::InvalidDimensions { width, height });
        }
        bounds.validate(width, height)?;
        let n = width * height;
        if values.len() != n {
            return Err(Error::LengthMismatch { what: "a preview image's values", expected: n, actual: values.len() });
        }
        let mut buffer = std::mem::take(&mut self.spare);
        if buffer.len() != n {
            drop(buffer); // (freed before the new one is allocated)
            buffer = try_filled(n, 0.0, "a preview image")?;
        }
        buffer.copy_from_slice(values);
        let image = Image { bounds, width, height, values: buffer, codes: Vec::new(), codes_key: None };
        let old_newest = self.newest.take();
        // the widest so far: the widest, or the old newest when it was the widest too
        let (widest, other) = match self.widest.take() {
            Some(w) => (Some(w), old_newest),
            None => (old_newest, None),
        };
        if let Some(o) = other {
            self.spare = o.values;
        }
        match widest {
            // (an equal one does not replace it: a pan keeps the first view, often the whole domain)
            Some(w) if w.area() >= image.area() => self.widest = Some(w),
            Some(w) => self.spare = w.values,
            None => {}
        }
        self.newest = Some(image);
        Ok(())
    }

    /// Keep `values`, the exact image of `bounds` (typically the whole
    /// domain, made once the view rests so that any later view has a
    /// preview), as the widest image if it is wider than the widest one;
    /// the newest image stays. False (nothing kept) when it is not wider.
    pub fn remember_overview(&mut self, values: &[f64], width: usize, height: usize, bounds: Bounds) -> Result<bool> {
        let widest = self.widest.as_ref().or(self.newest.as_ref()).map_or(0.0, Image::area);
        if self.newest.is_none() || (bounds.x_max - bounds.x_min) * (bounds.y_max - bounds.y_min) <= widest {
            return Ok(false);
        }
        let newest = self.newest.take();
        let old_widest = self.widest.take();
        let result = self.remember(values, width, height, bounds);
        // (remember made it the newest and the widest: the newest goes back, the old widest's buffer is spare)
        let overview = self.newest.take();
        self.newest = newest;
        match result {
            Ok(()) => {
                self.widest = overview;
                if let Some(w) = old_widest {
                    self.spare = w.values;
                }
                Ok(true)
            }
            Err(e) => {
                self.widest = old_widest;
                Err(e)
            }
        }
    }

    /// True when an image covers all of `bounds`.
    pub fn covers(&self, bounds: Bounds) -> bool {
        [self.newest.as_ref(), self.widest.as_ref()].into_iter().flatten().any(|s| {
            s.bounds.x_min <= bounds.x_min
                && s.bounds.x_max >= bounds.x_max
                && s.bounds.y_min <= bounds.y_min
                && s.bounds.y_max >= bounds.y_max
        })
    }

    /// Fill `out` (`height` rows of `width`) with the preview of `bounds`;
    /// false (and `out` all NaN) when there is no image.
    pub fn render(&mut self, out: &mut [f64], width: usize, height: usize, bounds: Bounds) -> bool {
        debug_assert_eq!(out.len(), width * height);
        out.fill(f64::NAN);
        let sources = finest_first(self.newest.as_ref(), self.widest.as_ref());
        if sources[0].is_none() {
            return false;
        }
        sample(&mut self.columns, sources.map(|s| s.map(|s| (s, &s.values[..]))), out, width, bounds);
        true
    }

    /// True when there is a kept image and every one has its colour codes
    /// under `res` for `n` colours (made by [`Self::prepare_codes`]).
    pub(crate) fn codes_ready(&self, res: &ResolvedNormalization, n: usize) -> bool {
        let key = Some(NormKey::new(res, n));
        self.newest.is_some() && [self.newest.as_ref(), self.widest.as_ref()].into_iter().flatten().all(|i| i.codes_key == key)
    }

    /// Fill `out` (`height` rows of `width`) with the colour codes of the
    /// preview of `bounds` under `res` for `n` colours (see
    /// [`crate::shade`]): exactly the codes of [`Self::render`]'s values,
    /// since a preview pixel is a kept image's pixel and its code is that
    /// pixel's code. The kept images' codes are made beforehand, an image a
    /// call, by [`Self::prepare_codes`] (never here: a preview frame stays
    /// short), so a preview costs a copy of codes, not a shading. False
    /// (`out` untouched) when they are not all made, or there is no image.
    pub(crate) fn render_codes(
        &mut self,
        out: &mut [u16],
        width: usize,
        height: usize,
        bounds: Bounds,
        res: &ResolvedNormalization,
        n: usize,
    ) -> Result<bool> {
        debug_assert_eq!(out.len(), width * height);
        if !self.codes_ready(res, n) {
            return Ok(false);
        }
        out.fill((n + 2) as u16); // bad
        let sources = finest_first(self.newest.as_ref(), self.widest.as_ref());
        if sources[0].is_none() {
            return Ok(false);
        }
        sample(&mut self.columns, sources.map(|s| s.map(|s| (s, &s.codes[..]))), out, width, bounds);
        Ok(true)
    }

    /// Make the colour codes under `res` (see [`Self::render_codes`]) of
    /// the next kept image that has none yet: at rest, so that the first
    /// preview of the next move does not make them. True when every kept
    /// image has them (one image a call: each call a short task).
    pub(crate) fn prepare_codes(&mut self, res: &ResolvedNormalization, th: Option<&Thresholds>, n: usize, lut: &Lut) -> Result<bool> {
        let key = NormKey::new(res, n);
        let mut images = [self.newest.as_mut(), self.widest.as_mut()].into_iter().flatten();
        let Some(image) = images.find(|image| image.codes_key != Some(key)) else {
            return Ok(true);
        };
        {
            let len = image.values.len();
            image.codes_key = None;
            if image.codes.len() != len {
                image.codes = Vec::new(); // (freed before the new one is allocated)
                image.codes = try_filled(len, 0u16, "a preview image's colour codes")?;
            }
            if self.scratch.len() < len {
                self.scratch = Vec::new();
                self.scratch = try_filled(len, 0u32, "a preview image's colour codes")?;
            }
            shade_codes(&image.values, &mut image.codes, &mut self.scratch[..len], image.width, lut, res, th, n);
            image.codes_key = Some(key);
        }
        Ok(images.all(|image| image.codes_key == Some(key)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(x0: f64, x1: f64, y0: f64, y1: f64) -> Bounds {
        Bounds::new(x0, x1, y0, y1)
    }

    #[test]
    fn the_same_view_gives_the_image_back() {
        let mut p = Previews::new();
        let values: Vec<f64> = (0..12).map(|v| v as f64).collect();
        p.remember(&values, 4, 3, b(0.0, 4.0, 0.0, 3.0)).unwrap();
        let mut out = vec![0.0; 12];
        assert!(p.render(&mut out, 4, 3, b(0.0, 4.0, 0.0, 3.0)));
        assert_eq!(out, values);
    }

    #[test]
    fn a_pan_shifts_and_leaves_nan_where_nothing_was_seen() {
        let mut p = Previews::new();
        let values: Vec<f64> = (0..4).map(|v| v as f64).collect(); // 4 x 1 over [0, 4] x [0, 1]
        p.remember(&values, 4, 1, b(0.0, 4.0, 0.0, 1.0)).unwrap();
        let mut out = vec![0.0; 4];
        assert!(p.render(&mut out, 4, 1, b(1.0, 5.0, 0.0, 1.0)));
        assert_eq!(&out[..3], &[1.0, 2.0, 3.0]);
        assert!(out[3].is_nan());
    }

    #[test]
    fn the_finest_image_wins_where_several_cover_a_pixel() {
        let mut p = Previews::new();
        // widest: the whole [0, 4]^2 at 2 x 2 (value 1 everywhere)
        p.remember(&[1.0; 4], 2, 2, b(0.0, 4.0, 0.0, 4.0)).unwrap();
        // newest: [0, 2]^2 at 4 x 4 (value 2), finer
        p.remember(&[2.0; 16], 4, 4, b(0.0, 2.0, 0.0, 2.0)).unwrap();
        let mut out = vec![0.0; 16];
        p.render(&mut out, 4, 4, b(0.0, 4.0, 0.0, 4.0));
        // the lower-left quarter from the fine image, the rest from the coarse one
        for i in 0..4 {
            for j in 0..4 {
                let want = if i < 2 && j < 2 { 2.0 } else { 1.0 };
                assert_eq!(out[i * 4 + j], want, "pixel ({i}, {j})");
            }
        }
        // a third, smaller image: the widest stays the whole one
        p.remember(&[3.0; 4], 2, 2, b(3.0, 4.0, 3.0, 4.0)).unwrap();
        p.render(&mut out, 4, 4, b(0.0, 4.0, 0.0, 4.0));
        assert_eq!(out[0], 1.0); // (the [0, 2]^2 image is gone: only newest and widest are kept)
        assert_eq!(out[15], 3.0);
        // a wider one replaces the widest
        p.remember(&[5.0; 4], 2, 2, b(-4.0, 8.0, -4.0, 8.0)).unwrap();
        p.render(&mut out, 4, 4, b(0.0, 4.0, 0.0, 4.0));
        assert!(out.iter().all(|&v| v == 5.0));
    }

    #[test]
    fn a_pan_keeps_the_first_view_as_the_widest() {
        let mut p = Previews::new();
        p.remember(&[1.0; 4], 2, 2, b(0.0, 4.0, 0.0, 4.0)).unwrap();
        p.remember(&[2.0; 4], 2, 2, b(1.0, 5.0, 0.0, 4.0)).unwrap(); // panned: the same area
        assert!(p.covers(b(0.0, 4.0, 0.0, 4.0)));
        let mut out = vec![0.0; 4];
        p.render(&mut out, 2, 2, b(-1.0, 3.0, 0.0, 4.0)); // left of both: the first view there
        assert_eq!(out[0], 1.0);
    }

    #[test]
    fn an_overview_becomes_the_widest_and_leaves_the_newest() {
        let mut p = Previews::new();
        assert!(!p.remember_overview(&[1.0; 4], 2, 2, b(0.0, 4.0, 0.0, 4.0)).unwrap()); // (nothing to add it to)
        p.remember(&[2.0; 16], 4, 4, b(1.0, 2.0, 1.0, 2.0)).unwrap(); // a zoomed view first
        assert!(!p.covers(b(0.0, 4.0, 0.0, 4.0)));
        assert!(p.remember_overview(&[1.0; 4], 2, 2, b(0.0, 4.0, 0.0, 4.0)).unwrap());
        assert!(p.covers(b(0.0, 4.0, 0.0, 4.0)));
        let mut out = vec![0.0; 16];
        p.render(&mut out, 4, 4, b(0.0, 4.0, 0.0, 4.0));
        assert!(out.iter().all(|&v| v == 1.0 || v == 2.0) && out.contains(&2.0)); // the zoomed one is still there
        assert!(!p.remember_overview(&[3.0; 4], 2, 2, b(0.0, 4.0, 0.0, 4.0)).unwrap()); // (not wider)
        assert!(p.remember_overview(&[5.0; 4], 2, 2, b(-1.0, 5.0, -1.0, 5.0)).unwrap());
        p.render(&mut out, 4, 4, b(-1.0, 5.0, -1.0, 5.0));
        assert!(out.contains(&5.0) && !out.contains(&1.0));
    }

    #[test]
    fn bad_input_is_refused_and_clear_forgets() {
        let mut p = Previews::new();
        assert!(p.remember(&[1.0; 3], 2, 2, b(0.0, 1.0, 0.0, 1.0)).is_err());
        assert!(p.remember(&[1.0; 4], 2, 2, b(1.0, 0.0, 0.0, 1.0)).is_err());
        assert!(p.remember(&[], 0, 2, b(0.0, 1.0, 0.0, 1.0)).is_err());
        assert!(!p.has_images());
        p.remember(&[1.0; 4], 2, 2, b(0.0, 1.0, 0.0, 1.0)).unwrap();
        assert!(p.has_images());
        p.clear();
        let mut out = vec![0.0; 4];
        assert!(!p.render(&mut out, 2, 2, b(0.0, 1.0, 0.0, 1.0)));
        assert!(out.iter().all(|v| v.is_nan()));
    }
}
