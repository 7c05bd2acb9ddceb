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
