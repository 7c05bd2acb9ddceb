//! Test helpers shared by the modules' unit tests (compiled for tests only).

use crate::bounds::Bounds;

/// xorshift64*: a small deterministic generator of f64 in [0, 1).
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545F4914F6CDD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `n` random cells `[px, py, pdx, pdy, values]` over about `[0, 1]^2`:
/// on a coarse grid in input order (`coherent`, like yt's grid-by-grid
/// slices) or at random places; half widths of 5 refinement levels (`pdx`
/// all 0 if `zero_dx`), 2 % NaN values.
pub(crate) fn random_cells(rng: &mut Rng, n: usize, coherent: bool, zero_dx: bool) -> [Vec<f64>; 5] {
    let (mut px, mut py, mut pdx, mut pdy, mut v) = (vec![], vec![], vec![], vec![], vec![]);
    for p in 0..n {
        let (x, y) = if coherent {
            let s = (n as f64).sqrt().ceil() as usize;
            ((p % s) as f64 / s as f64, (p / s) as f64 / s as f64)
        } else {
            (rng.next(), rng.next())
        };
        px.push(x);
        py.push(y);
        let lvl = (rng.next() * 5.0) as i32;
        pdx.push(0.5f64.powi(lvl + 2) * if zero_dx { 0.0 } else { 1.0 });
        pdy.push(0.5f64.powi(lvl + 2));
        v.push(if rng.next() < 0.02 { f64::NAN } else { rng.next() * 10.0 - 2.0 });
    }
    [px, py, pdx, pdy, v]
}

/// View bounds every deposit must refuse: reversed, empty, NaN, infinite,
/// wider than f64 can hold, or with a pixel width that is not normal.
pub(crate) fn invalid_bounds() -> [Bounds; 7] {
    [
        Bounds::new(1.0, 0.0, 0.0, 1.0),
        Bounds::new(0.0, 0.0, 0.0, 1.0),
        Bounds::new(0.0, 1.0, 1.0, 1.0),
        Bounds::new(f64::NAN, 1.0, 0.0, 1.0),
        Bounds::new(0.0, f64::INFINITY, 0.0, 1.0),
        Bounds::new(-f64::MAX, f64::MAX, 0.0, 1.0),
        Bounds::new(0.0, 1e-320, 0.0, 1.0),
    ]
}
