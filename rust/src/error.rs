//! Error type shared by every stage, and the image size limit
//! [`MAX_DIMENSION`] its messages state. The wasm layer converts an error
//! into a JS `Error` whose `message` is the `Display` text below.

use std::fmt;

/// Largest accepted image width or height.
pub const MAX_DIMENSION: usize = 8192;

/// Every way an operation of this crate can fail. No function of this crate
/// panics on bad input; it returns one of these instead.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// A mesh was created with zero cells.
    EmptyMesh,
    /// Two arrays that must have the same length do not.
    LengthMismatch {
        what: &'static str,
        expected: usize,
        actual: usize,
    },
    /// A cell centre (`px`/`py`) is NaN or infinite.
    NonFinitePosition {
        axis: &'static str,
        index: usize,
        value: f64,
    },
    /// A cell half-width (`pdx`/`pdy`) is NaN, infinite or negative.
    InvalidHalfWidth {
        axis: &'static str,
        index: usize,
        value: f64,
    },
    /// Image width or height is 0 or larger than [`MAX_DIMENSION`].
    InvalidDimensions { width: usize, height: usize },
    /// A band of rows `row0..row1` that is empty or not inside an image of
    /// `height` rows.
    InvalidRows { row0: usize, row1: usize, height: usize },
    /// A pixel's column outside the image (`col0 < col1 <= width` required).
    InvalidColumns { col0: usize, col1: usize, width: usize },
    /// Memory for a buffer could not be allocated.
    AllocationFailed { what: &'static str, bytes: usize },
    /// View bounds are not finite, not increasing, or give a degenerate
    /// pixel size.
    InvalidBounds {
        x_min: f64,
        x_max: f64,
        y_min: f64,
        y_max: f64,
        reason: &'static str,
    },
    /// A period is not finite and strictly positive.
    InvalidPeriod { axis: &'static str, value: f64 },
    /// No value in the buffer can be used to derive automatic limits.
    NoValidData { log: bool },
    /// Normalization limits or parameters are invalid.
    InvalidNormalization(String),
    /// The colour lookup table is malformed.
    InvalidColormap(String),
    /// An array of the mesh was asked for as f64 storage while the mesh
    /// holds it in compact form (see [`crate::variable_mesh`]).
    NotStoredAsF64 { what: &'static str, held: &'static str },
    /// The parts given to rebuild a mesh are inconsistent.
    InvalidParts(String),
    /// A mesh array was asked for by a name that is not one of `px`, `py`,
    /// `pdx`, `pdy`, `values`.
    UnknownArray(String),
    /// A [`crate::MeshBuilder`] was given its arrays out of order, or
    /// finished before every array was complete.
    MeshBuild(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::EmptyMesh => write!(f, "the mesh has no cells (all arrays are empty)"),
            Error::LengthMismatch {
                what,
                expected,
                actual,
            } => write!(
                f,
                "length mismatch for {what}: expected {expected} elements, got {actual}"
            ),
            Error::NonFinitePosition { axis, index, value } => write!(
                f,
                "cell centre {axis}[{index}] = {value} is not a finite number"
            ),
            Error::InvalidHalfWidth { axis, index, value } => write!(
                f,
                "cell half-width {axis}[{index}] = {value} must be finite and >= 0"
            ),
            Error::InvalidDimensions { width, height } => write!(
                f,
                "invalid image size {width}x{height}: width and height must be between 1 and {}",
                MAX_DIMENSION
            ),
            Error::InvalidRows { row0, row1, height } => write!(
                f,
                "invalid row band [{row0}, {row1}) of an image {height} rows high: \
                 row0 < row1 <= height is required (an empty band is refused)"
            ),
            Error::InvalidColumns { col0, col1, width } => write!(
                f,
                "invalid columns [{col0}, {col1}) of an image {width} columns wide: \
                 col0 < col1 <= width is required"
            ),
            Error::AllocationFailed { what, bytes } => {
                write!(f, "could not allocate {bytes} bytes for {what}")
            }
            Error::InvalidBounds {
                x_min,
                x_max,
                y_min,
                y_max,
                reason,
            } => write!(
                f,
                "invalid view bounds (x: [{x_min}, {x_max}], y: [{y_min}, {y_max}]): {reason}"
            ),
            Error::InvalidPeriod { axis, value } => write!(
                f,
                "invalid period along {axis}: {value} (must be finite and > 0)"
            ),
            Error::NoValidData { log: false } => write!(
                f,
                "cannot determine automatic limits: the buffer holds no finite value \
                 (is the view outside the data?)"
            ),
            Error::NoValidData { log: true } => write!(
                f,
                "cannot determine automatic limits for a log scale: the buffer holds no \
                 finite value > 0 (use a linear or symlog scale for data <= 0)"
            ),
            Error::InvalidNormalization(msg) => write!(f, "invalid normalization: {msg}"),
            Error::InvalidColormap(msg) => write!(f, "invalid colormap: {msg}"),
            Error::NotStoredAsF64 { what, held } => write!(
                f,
                "the mesh holds {what} {held}, not as an f64 array (it was compacted): \
                 there is nothing to view or write in place; read a decoded copy \
                 (geometryCopy(\"{what}\")) or build a new mesh"
            ),
            Error::InvalidParts(msg) => write!(f, "invalid mesh parts: {msg}"),
            Error::MeshBuild(msg) => write!(f, "building a mesh: {msg}"),
            Error::UnknownArray(name) => write!(
                f,
                "unknown mesh array \"{name}\": one of \"px\", \"py\", \"pdx\", \"pdy\", \"values\""
            ),
        }
    }
}

impl std::error::Error for Error {}

/// Result alias used throughout the crate.
pub type Result<T> = std::result::Result<T, Error>;

/// Allocate a vector of `len` copies of `value`, reporting failure instead of
/// aborting.
pub(crate) fn try_filled<T: Clone>(len: usize, value: T, what: &'static str) -> Result<Vec<T>> {
    let bytes = len.saturating_mul(std::mem::size_of::<T>());
    let mut v = Vec::new();
    v.try_reserve_exact(len)
        .map_err(|_| Error::AllocationFailed { what, bytes })?;
    v.resize(len, value);
    Ok(v)
}
