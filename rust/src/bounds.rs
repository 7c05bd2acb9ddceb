//! The view rectangle [`Bounds`] (with its validation) and yt's
//! `fmin`/`fmax`, shared by the reference deposit ([`crate::reference`]) and
//! the fast one ([`crate::deposit`]).

use crate::error::{Error, Result};

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validate_accepts_and_rejects() {
        assert!(Bounds::new(0.0, 1.0, -2.0, 3.0).validate(4, 4).is_ok());
        for b in crate::testing::invalid_bounds() {
            let e = b.validate(4, 4).unwrap_err();
            assert!(matches!(e, Error::InvalidBounds { .. }), "{b:?}");
        }
    }

    #[test]
    fn fmin_fmax_pick_the_second_argument_on_nan() {
        assert_eq!(fmax(1.0, 2.0), 2.0);
        assert_eq!(fmin(1.0, 2.0), 1.0);
        assert_eq!(fmax(f64::NAN, 2.0), 2.0);
        assert_eq!(fmin(f64::NAN, 2.0), 2.0);
        assert!(fmax(2.0, f64::NAN).is_nan());
        assert!(fmin(2.0, f64::NAN).is_nan());
    }
}
