//! Normalization ("shade" stage, part 1): data value -> `[0, 1]`, matching
//! matplotlib 3.x `Normalize`, `LogNorm` and `SymLogNorm` in f64, applied to
//! `np.ma.masked_invalid(buffer)` (what `imshow` feeds its norm).
//!
//! # Limits
//! Each of `vmin`/`vmax` is either explicit or *automatic* (`None`; in the
//! JS API `undefined` or `NaN`). Automatic limits are resolved at shade time
//! from the deposited buffer: min/max over its finite values (for `Log`:
//! finite and `> 0`). If no such value exists, resolving fails with
//! [`Error::NoValidData`] rather than producing a blank image.
//!
//! Validation (at construction for explicit limits, again after resolving):
//! limits must be finite (`±inf` is an error); `vmin <= vmax` (`vmin > vmax`
//! is an error, as in matplotlib); for `Log`, `0 < vmin` and `0 < vmax`; for
//! `SymLog`, `linthresh > 0`, `linscale > 0` finite and `base > 1` finite.
//!
//! # Transform (value `x`, resolved `vmin`, `vmax`)
//! * non-finite `x` (NaN, ±inf) -> masked ("bad" colour), for all scales;
//! * `vmin == vmax` -> `0.0` for every finite `x` (matplotlib's
//!   `result.fill(0)` / `np.full_like(value, 0)`; even `x <= 0` under Log);
//! * Linear: `(x - vmin) / (vmax - vmin)` (not clipped; values outside map
//!   to the under/over colours);
//! * Log: `(log10(x) - log10(vmin)) / (log10(vmax) - log10(vmin))`; `x <= 0`
//!   gives NaN/-inf -> masked (bad), like `LogNorm` (nonpositive="mask");
//! * SymLog (`linthresh`, `linscale` = 1, `base` = 10 by default):
//!   `linscale_adj = linscale / (1 - 1/base)`, `log_base = ln(base)`,
//!   `f(v) = v * linscale_adj` if `|v| <= linthresh`, else
//!   `sign(v) * linthresh * (linscale_adj - ln(linthresh)/log_base + ln|v|/log_base)`
//!   (matplotlib 3.11 `SymmetricalLogTransform`, same operation order);
//!   `t = (f(x) - f(vmin)) / (f(vmax) - f(vmin))`, masked if not finite.

use crate::error::{Error, Result};

/// The scale of a normalization.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scale {
    Linear,
    Log,
    SymLog {
        linthresh: f64,
        linscale: f64,
        base: f64,
    },
}

impl Scale {
    /// `"linear"`, `"log"` or `"symlog"`.
    pub fn name(&self) -> &'static str {
        match self {
            Scale::Linear => "linear",
            Scale::Log => "log",
            Scale::SymLog { .. } => "symlog",
        }
    }
}

/// A normalization with explicit or automatic limits (see module docs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Normalization {
    scale: Scale,
    vmin: Option<f64>,
    vmax: Option<f64>,
}

/// `None` and `Some(NaN)` both mean automatic; `Some(±inf)` is an error.
fn limit(name: &str, v: Option<f64>) -> Result<Option<f64>> {
    match v {
        None => Ok(None),
        Some(x) if x.is_nan() => Ok(None),
        Some(x) if x.is_infinite() => Err(Error::InvalidNormalization(format!(
            "{name} = {x} is not finite (use NaN/undefined for an automatic limit)"
        ))),
        Some(x) => Ok(Some(x)),
    }
}

impl Normalization {
    /// Generic constructor; validates everything that can be validated
    /// before seeing the data.
    pub fn new(scale: Scale, vmin: Option<f64>, vmax: Option<f64>) -> Result<Self> {
        let vmin = limit("vmin", vmin)?;
        let vmax = limit("vmax", vmax)?;
        if let Scale::SymLog {
            linthresh,
            linscale,
            base,
        } = scale
        {
            if !(linthresh.is_finite() && linthresh > 0.0) {
                return Err(Error::InvalidNormalization(format!(
                    "symlog linthresh = {linthresh} must be finite and > 0"
                )));
            }
            if !(linscale.is_finite() && linscale > 0.0) {
                return Err(Error::InvalidNormalization(format!(
                    "symlog linscale = {linscale} must be finite and > 0"
                )));
            }
            if !(base.is_finite() && base > 1.0) {
                return Err(Error::InvalidNormalization(format!(
                    "symlog base = {base} must be finite and > 1"
                )));
            }
        }
        let n = Normalization { scale, vmin, vmax };
        n.check_limits(vmin, vmax)?;
        Ok(n)
    }

    /// Linear `Normalize(vmin, vmax)`.
    pub fn linear(vmin: Option<f64>, vmax: Option<f64>) -> Result<Self> {
        Self::new(Scale::Linear, vmin, vmax)
    }

    /// `LogNorm(vmin, vmax)` (base 10).
    pub fn log(vmin: Option<f64>, vmax: Option<f64>) -> Result<Self> {
        Self::new(Scale::Log, vmin, vmax)
    }

    /// `SymLogNorm(linthresh, linscale=1, vmin, vmax, base=10)`.
    pub fn symlog(vmin: Option<f64>, vmax: Option<f64>, linthresh: f64) -> Result<Self> {
        Self::symlog_with(vmin, vmax, linthresh, 1.0, 10.0)
    }

    /// `SymLogNorm(linthresh, linscale, vmin, vmax, base)`.
    pub fn symlog_with(
        vmin: Option<f64>,
        vmax: Option<f64>,
        linthresh: f64,
        linscale: f64,
        base: f64,
    ) -> Result<Self> {
        Self::new(
            Scale::SymLog {
                linthresh,
                linscale,
                base,
            },
            vmin,
            vmax,
        )
    }

    pub fn scale(&self) -> Scale {
        self.scale
    }
    /// Explicit vmin, or `None` if automatic.
    pub fn vmin(&self) -> Option<f64> {
        self.vmin
    }
    /// Explicit vmax, or `None` if automatic.
    pub fn vmax(&self) -> Option<f64> {
        self.vmax
    }

    fn check_limits(&self, vmin: Option<f64>, vmax: Option<f64>) -> Result<()> {
        if self.scale == Scale::Log {
            for (name, v) in [("vmin", vmin), ("vmax", vmax)] {
                if let Some(v) = v {
                    if v <= 0.0 {
                        return Err(Error::InvalidNormalization(format!(
                            "log scale needs {name} > 0, got {v}"
                        )));
                    }
                }
            }
        }
        if let (Some(lo), Some(hi)) = (vmin, vmax) {
            if lo > hi {
                return Err(Error::InvalidNormalization(format!(
                    "vmin ({lo}) must be <= vmax ({hi})"
                )));
            }
        }
        Ok(())
    }

    /// Resolve automatic limits from `data` (the deposited buffer).
    pub fn resolve(&self, data: &[f64]) -> Result<ResolvedNormalization> {
        self.resolve_with(|log| crate::auto_limits::value_range(data, log))
    }

    /// Resolve automatic limits with `range(log)` giving the data's
    /// `value_range` (called only if a limit is automatic).
    pub(crate) fn resolve_with(
        &self,
        range: impl FnOnce(bool) -> Result<(f64, f64)>,
    ) -> Result<ResolvedNormalization> {
        let (vmin, vmax) = match (self.vmin, self.vmax) {
            (Some(lo), Some(hi)) => (lo, hi),
            (lo, hi) => {
                let (dlo, dhi) = range(self.scale == Scale::Log)?;
                (lo.unwrap_or(dlo), hi.unwrap_or(dhi))
            }
        };
        self.check_limits(Some(vmin), Some(vmax))?;
        ResolvedNormalization::new(self.scale, vmin, vmax)
    }
}

/// A normalization with concrete limits, ready to map values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ResolvedNormalization {
    scale: Scale,
    vmin: f64,
    vmax: f64,
    t_vmin: f64,
    t_range: f64,
    // symlog constants
    linthresh: f64,
    linscale_adj: f64,
    log_base: f64,
    log_linthresh_term: f64,
}

impl ResolvedNormalization {
    fn new(scale: Scale, vmin: f64, vmax: f64) -> Result<Self> {
        let mut r = ResolvedNormalization {
            scale,
            vmin,
            vmax,
            t_vmin: 0.0,
            t_range: 1.0,
            linthresh: 1.0,
            linscale_adj: 1.0,
            log_base: 1.0,
            log_linthresh_term: 0.0,
        };
        if let Scale::SymLog {
            linthresh,
            linscale,
            base,
        } = scale
        {
            r.linthresh = linthresh;
            r.linscale_adj = linscale / (1.0 - 1.0 / base);
            r.log_base = base.ln();
            r.log_linthresh_term = r.linscale_adj - linthresh.ln() / r.log_base;
        }
        if vmin != vmax && scale != Scale::Linear {
            let t_vmin = r.transform(vmin);
            let t_vmax = r.transform(vmax);
            if !(t_vmin.is_finite() && t_vmax.is_finite()) {
                return Err(Error::InvalidNormalization(format!(
                    "invalid vmin ({vmin}) or vmax ({vmax}) for a {} scale",
                    scale.name()
                )));
            }
            r.t_vmin = t_vmin;
            r.t_range = t_vmax - t_vmin;
        }
        Ok(r)
    }

    /// Scale transform (Log / SymLog only).
    #[inline]
    fn transform(&self, v: f64) -> f64 {
        match self.scale {
            Scale::Linear => v,
            Scale::Log => v.log10(),
            Scale::SymLog { .. } => {
                let abs_a = v.abs();
                if abs_a <= self.linthresh {
                    v * self.linscale_adj
                } else {
                    // np.sign(v) * linthresh * (linscale_adj - ln(lt)/lb + ln|v|/lb)
                    (v.signum() * self.linthresh)
                        * (self.log_linthresh_term + abs_a.ln() / self.log_base)
                }
            }
        }
    }

    /// The limits in use `(vmin, vmax)`.
    pub fn limits(&self) -> (f64, f64) {
        (self.vmin, self.vmax)
    }

    pub(crate) fn scale(&self) -> Scale {
        self.scale
    }

    /// `normalize` then the colormap index logic of [`crate::Colormap::map`]
    /// for `n` entries, as a *rank* in `0..=n + 3`, ordered like the value:
    /// `0` = bad (normalized value `-inf`), `1` = under, `2 + k` = entry `k`,
    /// `n + 2` = over, `n + 3` = bad (`+inf` or NaN above). Only for finite
    /// `x` in the scale's domain (`x > 0` for Log) and `vmin != vmax`.
    #[inline]
    pub(crate) fn rank(&self, x: f64, n: usize) -> usize {
        let nf = n as f64;
        let t = match self.scale {
            Scale::Linear => (x - self.vmin) / (self.vmax - self.vmin),
            _ => (self.transform(x) - self.t_vmin) / self.t_range,
        };
        let linear = self.scale == Scale::Linear;
        if t.is_nan() {
            // Linear `(±inf) / inf`; masked later (bad)
            return if x < self.vmin { 0 } else { n + 3 };
        }
        if t == f64::NEG_INFINITY {
            return if linear { 1 } else { 0 };
        }
        if t == f64::INFINITY {
            return if linear { n + 2 } else { n + 3 };
        }
        let mut xa = t * nf;
        if xa == nf {
            xa = nf - 1.0;
        }
        if xa.is_nan() {
            n + 3 // unreachable for finite t
        } else if xa < 0.0 {
            1
        } else if xa >= nf {
            n + 2
        } else {
            2 + (xa as usize).min(n - 1)
        }
    }

    /// A guess of the smallest `x` whose normalized value is `>= t`
    /// (inverse transform; NaN if not available).
    pub(crate) fn inverse_guess(&self, t: f64) -> f64 {
        match self.scale {
            Scale::Linear => self.vmin + (self.vmax - self.vmin) * t,
            Scale::Log => 10f64.powf(self.t_vmin + self.t_range * t),
            Scale::SymLog { .. } => {
                let y = self.t_vmin + self.t_range * t;
                if y.abs() <= self.linthresh * self.linscale_adj {
                    y / self.linscale_adj
                } else {
                    y.signum() * ((y.abs() / self.linthresh - self.log_linthresh_term) * self.log_base).exp()
                }
            }
        }
    }

    /// `(a, b)` such that the rank of `x > 0` is about
    /// `a * log2(x) + b` (Log scale only).
    pub(crate) fn log2_rank_coefficients(&self, n: usize) -> (f64, f64) {
        let nf = n as f64;
        (
            nf * std::f64::consts::LOG10_2 / self.t_range,
            2.0 - nf * self.t_vmin / self.t_range,
        )
    }

    /// Normalized value, or `None` if masked (bad colour).
    #[inline]
    pub fn normalize(&self, x: f64) -> Option<f64> {
        if !x.is_finite() {
            return None;
        }
        if self.vmin == self.vmax {
            return Some(0.0);
        }
        match self.scale {
            // Normalize: no masking of the result (only of the input).
            Scale::Linear => Some((x - self.vmin) / (self.vmax - self.vmin)),
            _ => {
                let t = (self.transform(x) - self.t_vmin) / self.t_range;
                if t.is_finite() {
                    Some(t)
                } else {
                    None
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_basic() {
        let n = Normalization::linear(Some(2.0), Some(4.0)).unwrap().resolve(&[]).unwrap();
        assert_eq!(n.normalize(2.0), Some(0.0));
        assert_eq!(n.normalize(3.0), Some(0.5));
        assert_eq!(n.normalize(4.0), Some(1.0));
        assert_eq!(n.normalize(5.0), Some(1.5));
        assert_eq!(n.normalize(0.0), Some(-1.0));
        assert_eq!(n.normalize(f64::NAN), None);
        assert_eq!(n.normalize(f64::INFINITY), None);
        assert_eq!(n.normalize(f64::NEG_INFINITY), None);
    }

    #[test]
    fn auto_limits() {
        let data = [f64::NAN, -1.0, 0.0, 10.0, f64::INFINITY, 100.0];
        let n = Normalization::linear(None, None).unwrap().resolve(&data).unwrap();
        assert_eq!(n.limits(), (-1.0, 100.0));
        let n = Normalization::log(None, None).unwrap().resolve(&data).unwrap();
        assert_eq!(n.limits(), (10.0, 100.0));
        assert_eq!(n.normalize(100.0), Some(1.0));
        assert_eq!(n.normalize(10.0), Some(0.0));
        // NaN means auto, mixed explicit / auto
        let n = Normalization::linear(Some(f64::NAN), Some(50.0)).unwrap().resolve(&data).unwrap();
        assert_eq!(n.limits(), (-1.0, 50.0));
        // mixed limits that end up inverted
        let e = Normalization::linear(Some(200.0), None).unwrap().resolve(&data).unwrap_err();
        assert!(matches!(e, Error::InvalidNormalization(_)));
    }

    #[test]
    fn no_valid_data_is_an_error() {
        let e = Normalization::linear(None, None).unwrap().resolve(&[f64::NAN; 3]).unwrap_err();
        assert_eq!(e, Error::NoValidData { log: false });
        let e = Normalization::log(None, Some(3.0)).unwrap().resolve(&[-1.0, 0.0]).unwrap_err();
        assert_eq!(e, Error::NoValidData { log: true });
        // explicit limits need no data
        Normalization::log(Some(1.0), Some(3.0)).unwrap().resolve(&[]).unwrap();
    }

    #[test]
    fn invalid_limits() {
        assert!(Normalization::linear(Some(2.0), Some(1.0)).is_err());
        assert!(Normalization::linear(Some(f64::INFINITY), Some(1.0)).is_err());
        assert!(Normalization::linear(Some(0.0), Some(f64::NEG_INFINITY)).is_err());
        assert!(Normalization::log(Some(0.0), Some(1.0)).is_err());
        assert!(Normalization::log(Some(-1.0), None).is_err());
        assert!(Normalization::log(None, Some(-1.0)).is_err());
        assert!(Normalization::symlog(None, None, 0.0).is_err());
        assert!(Normalization::symlog(None, None, f64::NAN).is_err());
        assert!(Normalization::symlog_with(None, None, 1.0, 0.0, 10.0).is_err());
        assert!(Normalization::symlog_with(None, None, 1.0, 1.0, 1.0).is_err());
        let msg = Normalization::log(Some(0.0), Some(1.0)).unwrap_err().to_string();
        assert!(msg.contains("vmin > 0"), "{msg}");
    }

    #[test]
    fn log_of_non_positive_is_bad() {
        let n = Normalization::log(Some(1.0), Some(100.0)).unwrap().resolve(&[]).unwrap();
        assert_eq!(n.normalize(-5.0), None);
        assert_eq!(n.normalize(0.0), None);
        assert_eq!(n.normalize(10.0), Some(0.5));
        assert_eq!(n.normalize(1000.0), Some(1.5));
        assert_eq!(n.normalize(0.1), Some(-0.5));
    }

    #[test]
    fn equal_limits_map_to_zero() {
        for norm in [
            Normalization::linear(Some(2.0), Some(2.0)).unwrap(),
            Normalization::log(Some(2.0), Some(2.0)).unwrap(),
            Normalization::symlog(Some(2.0), Some(2.0), 0.1).unwrap(),
        ] {
            let n = norm.resolve(&[]).unwrap();
            assert_eq!(n.normalize(-1.0), Some(0.0));
            assert_eq!(n.normalize(7.0), Some(0.0));
            assert_eq!(n.normalize(f64::NAN), None);
        }
    }

    #[test]
    fn symlog_matches_matplotlib() {
        // matplotlib 3.11: SymLogNorm(0.5, vmin=-3, vmax=3)([-3,-0.5,0,0.2,0.5,1,3])
        let expected = [
            0.0,
            0.2059404946192816,
            0.5,
            0.6176238021522873,
            0.7940595053807185,
            0.8737281638474576,
            1.0,
        ];
        let n = Normalization::symlog(Some(-3.0), Some(3.0), 0.5).unwrap().resolve(&[]).unwrap();
        for (x, e) in [-3.0, -0.5, 0.0, 0.2, 0.5, 1.0, 3.0].iter().zip(expected) {
            let t = n.normalize(*x).unwrap();
            assert!((t - e).abs() <= 1e-15, "{x}: {t} vs {e}");
        }
    }
}
