//! Colour lookup ("shade" stage, part 2): normalized value -> RGBA8, exactly
//! like matplotlib's `Colormap.__call__(x, bytes=True)` for float input.
//!
//! The lookup table holds `N >= 2` RGBA8 entries (`lut.len() == 4 * N`),
//! typically generated with `cmap(np.arange(cmap.N), bytes=True)`.
//! Special colours default to matplotlib's: bad = `(0, 0, 0, 0)`
//! (transparent), under = first entry, over = last entry.
//!
//! Mapping of a normalized value `x` (f64), in this order:
//! 1. `xa = x * N`; if `xa == N` then `xa = N - 1` (so `x == 1.0` maps to
//!    the last entry, not "over");
//! 2. `xa < 0` -> under; `xa >= N` -> over (so `-inf` -> under, `+inf` ->
//!    over, exactly as matplotlib does for *unmasked* input);
//! 3. NaN -> bad (bad takes precedence, as in matplotlib);
//! 4. otherwise entry `trunc(xa)`.
//!
//! Note the shading pipeline masks non-finite *data* values (and invalid
//! log/symlog transforms) before this step, like `imshow` does with
//! `safe_masked_invalid`, so NaN/±inf data always end up "bad"; see
//! [`crate::normalization`].

use crate::error::{Error, Result};

/// An RGBA8 lookup table plus bad/under/over colours.
#[derive(Debug, Clone, PartialEq)]
pub struct Colormap {
    lut: Vec<[u8; 4]>,
    bad: [u8; 4],
    under: [u8; 4],
    over: [u8; 4],
}

impl Colormap {
    /// Build from a flat RGBA8 table (`4 * N` bytes, `N >= 2`).
    pub fn new(lut: &[u8]) -> Result<Self> {
        if !lut.len().is_multiple_of(4) {
            return Err(Error::InvalidColormap(format!(
                "the lookup table must hold RGBA quadruplets (length a multiple of 4), got {} bytes",
                lut.len()
            )));
        }
        let n = lut.len() / 4;
        if n < 2 {
            return Err(Error::InvalidColormap(format!(
                "the lookup table needs at least 2 colours, got {n}"
            )));
        }
        let mut entries = Vec::new();
        entries.try_reserve_exact(n).map_err(|_| Error::AllocationFailed {
            what: "the colormap",
            bytes: lut.len(),
        })?;
        entries.extend(lut.chunks_exact(4).map(|c| [c[0], c[1], c[2], c[3]]));
        let under = entries[0];
        let over = entries[n - 1];
        Ok(Colormap {
            lut: entries,
            bad: [0, 0, 0, 0],
            under,
            over,
        })
    }

    /// Number of entries `N`.
    pub fn len(&self) -> usize {
        self.lut.len()
    }

    /// Always `false` (N >= 2).
    pub fn is_empty(&self) -> bool {
        self.lut.is_empty()
    }

    pub fn set_bad(&mut self, rgba: [u8; 4]) {
        self.bad = rgba;
    }
    pub fn set_under(&mut self, rgba: [u8; 4]) {
        self.under = rgba;
    }
    pub fn set_over(&mut self, rgba: [u8; 4]) {
        self.over = rgba;
    }
    /// Entry `k` of the table (`k < N`; the last entry otherwise).
    pub fn entry(&self, k: usize) -> [u8; 4] {
        self.lut[k.min(self.lut.len() - 1)]
    }
    pub fn bad(&self) -> [u8; 4] {
        self.bad
    }
    pub fn under(&self) -> [u8; 4] {
        self.under
    }
    pub fn over(&self) -> [u8; 4] {
        self.over
    }

    /// Map one normalized value (see module docs).
    #[inline]
    pub fn map(&self, x: f64) -> [u8; 4] {
        let n = self.lut.len();
        let nf = n as f64;
        let mut xa = x * nf;
        if xa == nf {
            xa = nf - 1.0;
        }
        if xa.is_nan() {
            self.bad
        } else if xa < 0.0 {
            self.under
        } else if xa >= nf {
            self.over
        } else {
            // 0 <= xa < N: truncation gives a valid index.
            self.lut[(xa as usize).min(n - 1)]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmap4() -> Colormap {
        // 4 entries: grey levels 0, 1, 2, 3
        Colormap::new(&[0, 0, 0, 255, 1, 1, 1, 255, 2, 2, 2, 255, 3, 3, 3, 255]).unwrap()
    }

    #[test]
    fn rejects_bad_tables() {
        assert!(matches!(Colormap::new(&[]), Err(Error::InvalidColormap(_))));
        assert!(matches!(Colormap::new(&[1, 2, 3, 4]), Err(Error::InvalidColormap(_))));
        assert!(matches!(Colormap::new(&[1, 2, 3, 4, 5]), Err(Error::InvalidColormap(_))));
        assert_eq!(Colormap::new(&[0; 12]).unwrap().len(), 3);
    }

    #[test]
    fn matplotlib_indexing() {
        let c = cmap4();
        assert_eq!(c.map(0.0), [0, 0, 0, 255]);
        assert_eq!(c.map(-0.0), [0, 0, 0, 255]);
        assert_eq!(c.map(0.2499999), [0, 0, 0, 255]);
        assert_eq!(c.map(0.25), [1, 1, 1, 255]);
        assert_eq!(c.map(0.74), [2, 2, 2, 255]);
        assert_eq!(c.map(0.999999), [3, 3, 3, 255]);
        // exactly 1 -> last entry (not over)
        assert_eq!(c.map(1.0), [3, 3, 3, 255]);
    }

    #[test]
    fn under_over_bad() {
        let mut c = cmap4();
        // defaults: under = first, over = last, bad = transparent
        assert_eq!(c.map(-1e-300), [0, 0, 0, 255]);
        assert_eq!(c.map(1.0000001), [3, 3, 3, 255]);
        assert_eq!(c.map(f64::NAN), [0, 0, 0, 0]);
        c.set_under([10, 0, 0, 255]);
        c.set_over([0, 10, 0, 255]);
        c.set_bad([0, 0, 10, 128]);
        assert_eq!(c.map(-1e-300), [10, 0, 0, 255]);
        assert_eq!(c.map(-0.0), [0, 0, 0, 255]);
        assert_eq!(c.map(1.0), [3, 3, 3, 255]);
        assert_eq!(c.map(1.0000001), [0, 10, 0, 255]);
        assert_eq!(c.map(f64::INFINITY), [0, 10, 0, 255]);
        assert_eq!(c.map(f64::NEG_INFINITY), [10, 0, 0, 255]);
        assert_eq!(c.map(f64::NAN), [0, 0, 10, 128]);
    }

    #[test]
    fn odd_sizes() {
        let c = Colormap::new(&[0, 0, 0, 0, 9, 9, 9, 9, 7, 7, 7, 7]).unwrap();
        assert_eq!(c.map(0.34), [9, 9, 9, 9]); // 1.02 -> 1
        assert_eq!(c.map(0.333), [0, 0, 0, 0]); // 0.999 -> 0
        assert_eq!(c.map(0.99999), [7, 7, 7, 7]);
    }
}
