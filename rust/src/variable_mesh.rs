//! The data to pixelize: a flat list of axis-aligned rectangular cells, as
//! produced by a yt slice or projection (`px`, `py`, `pdx`, `pdy`, field).
//!
//! Mirrors yt's "variable mesh" (`YTSlice`/`YTQuadTreeProj` data fed to
//! `FixedResolutionBuffer`): cell `i` is the rectangle
//! `[px[i] - pdx[i], px[i] + pdx[i]] x [py[i] - pdy[i], py[i] + pdy[i]]`.
//! **`pdx`/`pdy` are HALF widths** (yt stores `0.5 * dx`; on the shipped
//! slices `sum(4 * pdx * pdy)` equals the domain area).
//!
//! Validation rules (checked at construction, by [`VariableMesh::validate`],
//! and lazily before deposition if the geometry was mutated in place):
//! * all five arrays have the same length, which is at least 1;
//! * `px`, `py` are finite;
//! * `pdx`, `pdy` are finite and `>= 0`. Zero half-widths are allowed: with
//!   antialiasing such a cell never deposits (its overlap is 0, below yt's
//!   `1e-6` threshold); without antialiasing it behaves like a point sample
//!   and sets the single pixel column/row containing it (yt's behaviour).
//! * field values are unconstrained: NaN and ±inf are deposited like yt
//!   does (NaN propagates into the pixels it touches).
//!
//! # Culling index
//! Validation also builds a two-level index of bounding boxes over
//! *consecutive* cells in input order (cells are never reordered: the
//! deposit result depends on their order): level 1 = blocks of
//! [`BLOCK`] cells, level 2 = groups of [`BLOCK`] level-1 blocks. Each box is
//! `[min(px - pdx), max(px + pdx), min(py - pdy), max(py + pdy)]` computed
//! with the same expressions as the deposit's per-cell view test, so a box
//! test that rejects a block is exact (every cell in it would have been
//! rejected by yt's test). yt slices come grid by grid / in octree order,
//! so blocks are spatially compact and a zoomed view visits only the blocks
//! it overlaps; for cells in random order it degrades to a linear scan.
//! Memory: 32 bytes per 64 cells (+ 1/64 of that), i.e. ~1.3 % of the
//! 40 bytes per cell of the five arrays.
//!
//! # Compact storage ([`VariableMesh::compact`])
//! A mesh starts as five f64 arrays (40 bytes per cell). `compact()` keeps
//! the *same f64 values*, bit for bit, in less memory; nothing is
//! recomputed by a formula, so the deposit reads exactly the numbers it read
//! before and gives the same bits (exact by construction):
//! * **geometry** ([`TableGeometry`]): a table of the distinct `(pdx, pdy)`
//!   pairs (one per refinement level on AMR slices) with a `u8` index per
//!   cell, and for `px` and for `py` a table of their distinct values (by
//!   bit pattern: `-0.0` and `0.0` are different entries) with a `u32` index
//!   per cell: 9 bytes per cell plus the tables. Kept only if there are at
//!   most 256 pairs and at most `n / 4 + 16` distinct centres (`px` and `py`
//!   together), and if the result is smaller than the f64 arrays; every
//!   cell is then decoded once and compared bit for bit with the f64 arrays
//!   (a mismatch, impossible by construction, would keep the f64 arrays).
//!   Otherwise the geometry stays as f64 arrays.
//! * **values**: `f32` when every value survives the round trip
//!   `v as f32 as f64` bit for bit (files written with `extract --float32`;
//!   NaN payloads included), else `f64`. After `compact()`, new values
//!   ([`VariableMesh::set_values`]) are stored the same way;
//!   [`VariableMesh::values_mut`] (a writable f64 view) turns f32 values back
//!   into f64 ones (exactly) until the next `compact()`.
//!
//! The culling index is untouched (the decoded cells are the same numbers,
//! so the boxes are the same). A compact geometry is read-only: there is no
//! f64 array to hand out ([`VariableMesh::px`] and the `*_mut` accessors
//! return [`Error::NotStoredAsF64`]); [`VariableMesh::array_copy`] decodes a
//! copy. [`VariableMesh::to_parts`] / [`VariableMesh::from_parts`] move the
//! storage as it is (for another wasm instance: a worker). The deposit is
//! generic over the storage ([`GeometrySource`], [`ValueSource`]): one
//! monomorphised instance per representation, the f64 one the same code as
//! before.

use std::cell::{Cell, Ref, RefCell};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::error::{try_filled, Error, Result};

/// A set of rectangular cells with one field value per cell.
#[derive(Debug, Clone)]
pub struct VariableMesh {
    geometry: Geometry,
    values: Values,
    /// `true` once [`VariableMesh::compact`] was called: new values are then
    /// stored as f32 when that is exact.
    compacted: bool,
    /// `false` once mutable access to the geometry was handed out; the
    /// geometry is then re-validated before it is used.
    geometry_valid: Cell<bool>,
    /// Culling index (valid whenever `geometry_valid` is true).
    index: RefCell<BlockIndex>,
}

#[derive(Debug, Clone)]
enum Geometry {
    F64 {
        px: Vec<f64>,
        py: Vec<f64>,
        pdx: Vec<f64>,
        pdy: Vec<f64>,
    },
    Table(TableGeometry),
}

#[derive(Debug, Clone)]
enum Values {
    F64(Vec<f64>),
    F32(Vec<f32>),
}

/// Compact geometry (see the module docs): cell `p` is
/// `px = x_table[x_index[p]]`, `py = y_table[y_index[p]]`,
/// `(pdx, pdy) = pd_table[pd_index[p]]`, the very f64 values the mesh was
/// filled with.
#[derive(Debug, Clone)]
pub struct TableGeometry {
    x_table: Vec<f64>,
    x_index: Vec<u32>,
    y_table: Vec<f64>,
    y_index: Vec<u32>,
    pd_table: Vec<[f64; 2]>,
    pd_index: Vec<u8>,
}

/// Most `(pdx, pdy)` pairs a compact geometry holds (`u8` index).
pub const MAX_PAIRS: usize = 256;

/// The geometry of a mesh as the deposit reads it.
#[derive(Debug, Clone, Copy)]
pub enum GeometryRef<'a> {
    F64(F64Geometry<'a>),
    Table(TableCells<'a>),
}

/// The values of a mesh as the deposit reads them.
#[derive(Debug, Clone, Copy)]
pub enum ValuesRef<'a> {
    F64(&'a [f64]),
    F32(&'a [f32]),
}

/// Geometry held as four f64 arrays of equal length.
#[derive(Debug, Clone, Copy)]
pub struct F64Geometry<'a> {
    pub px: &'a [f64],
    pub py: &'a [f64],
    pub pdx: &'a [f64],
    pub pdy: &'a [f64],
}

/// The slices of a [`TableGeometry`] (indices checked against the tables
/// when the geometry was built or validated).
#[derive(Debug, Clone, Copy)]
pub struct TableCells<'a> {
    pub x_table: &'a [f64],
    pub x_index: &'a [u32],
    pub y_table: &'a [f64],
    pub y_index: &'a [u32],
    pub pd_table: &'a [[f64; 2]],
    pub pd_index: &'a [u8],
}

/// Cell geometry, read cell by cell (the deposit's and the index's input):
/// one monomorphised deposit per implementation.
#[allow(clippy::len_without_is_empty)]
pub trait GeometrySource: Copy {
    /// Number of cells.
    fn len(self) -> usize;
    /// Whether every per-cell array has `len()` entries (always, for a
    /// mesh's geometry: the deposit checks it up front so that the
    /// compiler can drop the per-cell bounds checks).
    fn consistent(self) -> bool;
    /// `(px, py, pdx, pdy)` of cell `p < len()`, the stored f64 bits.
    fn cell(self, p: usize) -> (f64, f64, f64, f64);
    /// `(py, pdy)` of cell `p < len()` (the passes that need only the
    /// heights read only those).
    fn y_of(self, p: usize) -> (f64, f64);
}

/// Field values, read cell by cell.
#[allow(clippy::len_without_is_empty)]
pub trait ValueSource: Copy {
    /// Number of values.
    fn len(self) -> usize;
    /// Value of cell `p < len()` as f64 (exact).
    fn value(self, p: usize) -> f64;
}

impl GeometrySource for F64Geometry<'_> {
    #[inline(always)]
    fn len(self) -> usize {
        self.px.len()
    }
    #[inline(always)]
    fn consistent(self) -> bool {
        let n = self.px.len();
        self.py.len() == n && self.pdx.len() == n && self.pdy.len() == n
    }
    #[inline(always)]
    fn cell(self, p: usize) -> (f64, f64, f64, f64) {
        (self.px[p], self.py[p], self.pdx[p], self.pdy[p])
    }
    #[inline(always)]
    fn y_of(self, p: usize) -> (f64, f64) {
        (self.py[p], self.pdy[p])
    }
}

impl GeometrySource for TableCells<'_> {
    #[inline(always)]
    fn len(self) -> usize {
        self.x_index.len()
    }
    #[inline(always)]
    fn consistent(self) -> bool {
        let n = self.x_index.len();
        self.y_index.len() == n && self.pd_index.len() == n
    }
    #[inline(always)]
    fn cell(self, p: usize) -> (f64, f64, f64, f64) {
        let [dx, dy] = self.pd_table[self.pd_index[p] as usize];
        (self.x_table[self.x_index[p] as usize], self.y_table[self.y_index[p] as usize], dx, dy)
    }
    #[inline(always)]
    fn y_of(self, p: usize) -> (f64, f64) {
        (self.y_table[self.y_index[p] as usize], self.pd_table[self.pd_index[p] as usize][1])
    }
}

impl ValueSource for &[f64] {
    #[inline(always)]
    fn len(self) -> usize {
        <[f64]>::len(self)
    }
    #[inline(always)]
    fn value(self, p: usize) -> f64 {
        self[p]
    }
}

impl ValueSource for &[f32] {
    #[inline(always)]
    fn len(self) -> usize {
        <[f32]>::len(self)
    }
    #[inline(always)]
    fn value(self, p: usize) -> f64 {
        self[p] as f64
    }
}

impl GeometryRef<'_> {
    /// Number of cells.
    pub fn len(&self) -> usize {
        match *self {
            GeometryRef::F64(g) => g.len(),
            GeometryRef::Table(g) => g.len(),
        }
    }
    /// Always `false` for a mesh's geometry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl TableGeometry {
    /// The slices the deposit reads.
    pub fn cells(&self) -> TableCells<'_> {
        TableCells {
            x_table: &self.x_table,
            x_index: &self.x_index,
            y_table: &self.y_table,
            y_index: &self.y_index,
            pd_table: &self.pd_table,
            pd_index: &self.pd_index,
        }
    }

    /// Heap bytes held.
    fn bytes(&self) -> usize {
        8 * (self.x_table.len() + self.y_table.len())
            + 4 * (self.x_index.len() + self.y_index.len())
            + 16 * self.pd_table.len()
            + self.pd_index.len()
    }

    /// The compact form of f64 arrays (validated, equal lengths), or `None`
    /// when it does not apply (more than [`MAX_PAIRS`] pairs, more than
    /// `n / 4 + 16` distinct centres, or not smaller than the arrays).
    fn build(g: F64Geometry<'_>) -> Result<Option<TableGeometry>> {
        let n = g.len();
        let (Some(pd_table), Some(pd_index)) = ({
            let mut pairs: Vec<[f64; 2]> = Vec::new();
            let mut map: HashMap<(u64, u64), u8, Mix> = HashMap::default();
            let mut index = Vec::new();
            index.try_reserve_exact(n).map_err(|_| alloc("the compact mesh's width index", n))?;
            let mut last: Option<((u64, u64), u8)> = None;
            let mut ok = true;
            for p in 0..n {
                let key = (g.pdx[p].to_bits(), g.pdy[p].to_bits());
                let i = match last {
                    Some((k, i)) if k == key => i,
                    _ => {
                        let i = match map.get(&key) {
                            Some(&i) => i,
                            None => {
                                if pairs.len() >= MAX_PAIRS {
                                    ok = false;
                                    break;
                                }
                                let i = pairs.len() as u8;
                                map.try_reserve(1).map_err(|_| alloc("the compact mesh's width table", 64))?;
                                map.insert(key, i);
                                pairs.push([g.pdx[p], g.pdy[p]]);
                                i
                            }
                        };
                        last = Some((key, i));
                        i
                    }
                };
                index.push(i);
            }
            if ok { (Some(pairs), Some(index)) } else { (None, None) }
        }) else {
            return Ok(None);
        };
        let cap = (n / 4 + 16).min(u32::MAX as usize);
        let Some((x_table, x_index)) = distinct(g.px, cap, "the compact mesh's px")? else {
            return Ok(None);
        };
        let Some((y_table, y_index)) = distinct(g.py, cap - x_table.len(), "the compact mesh's py")? else {
            return Ok(None);
        };
        let t = TableGeometry { x_table, x_index, y_table, y_index, pd_table, pd_index };
        if t.bytes() >= 32 * n {
            return Ok(None);
        }
        // exact by construction; checked anyway, cell by cell, bit for bit
        let c = t.cells();
        let same = |a: f64, b: f64| a.to_bits() == b.to_bits();
        for p in 0..n {
            let (x, y, dx, dy) = c.cell(p);
            let (ex, ey, edx, edy) = g.cell(p);
            if !(same(x, ex) && same(y, ey) && same(dx, edx) && same(dy, edy)) {
                return Ok(None);
            }
        }
        Ok(Some(t))
    }

    /// Check the invariants of a geometry given as parts (lengths, indices
    /// inside their tables, finite centres, finite half widths `>= 0`).
    fn validate(&self, n: usize) -> Result<()> {
        let bad = |m: String| Err(Error::InvalidParts(m));
        for (what, len) in [("yIndex", self.y_index.len()), ("pdIndex", self.pd_index.len())] {
            if len != n {
                return bad(format!("{what} has {len} entries, xIndex {n}: one per cell each"));
            }
        }
        if self.pd_table.len() > MAX_PAIRS {
            return bad(format!("{} (pdx, pdy) pairs: at most {MAX_PAIRS}", self.pd_table.len()));
        }
        for (what, table, index) in [("x", &self.x_table, &self.x_index), ("y", &self.y_table, &self.y_index)] {
            if let Some((k, &v)) = table.iter().enumerate().find(|(_, v)| !v.is_finite()) {
                return bad(format!("{what}Table[{k}] = {v} is not a finite cell centre"));
            }
            if let Some((p, &i)) = index.iter().enumerate().find(|(_, &i)| i as usize >= table.len()) {
                return bad(format!("{what}Index[{p}] = {i} is outside {what}Table ({} entries)", table.len()));
            }
        }
        for (k, &[dx, dy]) in self.pd_table.iter().enumerate() {
            if !(dx.is_finite() && dx >= 0.0 && dy.is_finite() && dy >= 0.0) {
                return bad(format!("pdxTable[{k}] = {dx}, pdyTable[{k}] = {dy}: half widths must be finite and >= 0"));
            }
        }
        if let Some((p, &i)) = self.pd_index.iter().enumerate().find(|(_, &i)| i as usize >= self.pd_table.len()) {
            return bad(format!("pdIndex[{p}] = {i} is outside pdxTable/pdyTable ({} entries)", self.pd_table.len()));
        }
        Ok(())
    }
}

fn alloc(what: &'static str, n: usize) -> Error {
    Error::AllocationFailed { what, bytes: n.saturating_mul(8) }
}

/// The distinct values of `a` by bit pattern (in order of first
/// appearance) and each element's index in that table; `None` if there are
/// more than `cap`.
fn distinct(a: &[f64], cap: usize, what: &'static str) -> Result<Option<(Vec<f64>, Vec<u32>)>> {
    let mut map: HashMap<u64, u32, Mix> = HashMap::default();
    let mut table: Vec<f64> = Vec::new();
    let mut index: Vec<u32> = Vec::new();
    index.try_reserve_exact(a.len()).map_err(|_| alloc(what, a.len() / 2))?;
    let mut last: Option<(u64, u32)> = None;
    for &v in a {
        let bits = v.to_bits();
        let i = match last {
            Some((b, i)) if b == bits => i,
            _ => {
                let i = match map.get(&bits) {
                    Some(&i) => i,
                    None => {
                        if table.len() >= cap {
                            return Ok(None);
                        }
                        let i = table.len() as u32;
                        map.try_reserve(1).map_err(|_| alloc(what, 2 * table.len()))?;
                        table.try_reserve(1).map_err(|_| alloc(what, table.len()))?;
                        map.insert(bits, i);
                        table.push(v);
                        i
                    }
                };
                last = Some((bits, i));
                i
            }
        };
        index.push(i);
    }
    table.shrink_to_fit();
    Ok(Some((table, index)))
}

/// Hasher of f64 bit patterns (splitmix64's finaliser: every input bit
/// reaches the low bits, which a bare multiply would not for the zero low
/// mantissa bits of dyadic positions).
#[derive(Default)]
pub(crate) struct MixHasher(u64);

impl Hasher for MixHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(b as u64);
        }
    }
    fn write_u64(&mut self, x: u64) {
        let mut z = self.0.rotate_left(23).wrapping_add(x).wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        self.0 = z ^ (z >> 31);
    }
}

pub(crate) type Mix = BuildHasherDefault<MixHasher>;

/// Does every value survive `v as f32 as f64` bit for bit?
fn f32_exact(values: &[f64]) -> bool {
    values.iter().all(|&v| ((v as f32) as f64).to_bits() == v.to_bits())
}

fn to_f32(values: &[f64]) -> Result<Vec<f32>> {
    let mut out = Vec::new();
    out.try_reserve_exact(values.len())
        .map_err(|_| Error::AllocationFailed { what: "the mesh's f32 values", bytes: values.len() * 4 })?;
    out.extend(values.iter().map(|&v| v as f32));
    Ok(out)
}

fn to_f64(values: &[f32]) -> Result<Vec<f64>> {
    let mut out = Vec::new();
    out.try_reserve_exact(values.len())
        .map_err(|_| Error::AllocationFailed { what: "the mesh's values", bytes: values.len() * 8 })?;
    out.extend(values.iter().map(|&v| v as f64));
    Ok(out)
}

/// The storage of a mesh, moved as it is (see [`VariableMesh::to_parts`]).
#[derive(Debug, Clone, PartialEq)]
pub struct MeshParts {
    pub geometry: GeometryParts,
    pub values: ValueParts,
    /// Whether [`VariableMesh::compact`] was called on the mesh.
    pub compacted: bool,
}

/// Geometry parts: the f64 arrays, or the tables and indices of a
/// [`TableGeometry`] (`pdx_table[k], pdy_table[k]` = pair `k`).
#[derive(Debug, Clone, PartialEq)]
pub enum GeometryParts {
    F64 {
        px: Vec<f64>,
        py: Vec<f64>,
        pdx: Vec<f64>,
        pdy: Vec<f64>,
    },
    Table {
        x_table: Vec<f64>,
        x_index: Vec<u32>,
        y_table: Vec<f64>,
        y_index: Vec<u32>,
        pdx_table: Vec<f64>,
        pdy_table: Vec<f64>,
        pd_index: Vec<u8>,
    },
}

/// Value parts.
#[derive(Debug, Clone, PartialEq)]
pub enum ValueParts {
    F64(Vec<f64>),
    F32(Vec<f32>),
}

/// Cells per level-1 block, and level-1 blocks per level-2 block.
pub const BLOCK: usize = 64;

/// Bounding boxes `[x_lo, x_hi, y_lo, y_hi]` of consecutive cells (see the
/// module docs).
#[derive(Debug, Clone, Default)]
pub struct BlockIndex {
    /// Boxes of cells `BLOCK*b .. BLOCK*(b+1)`.
    pub level1: Vec<[f64; 4]>,
    /// Boxes of level-1 blocks `BLOCK*g .. BLOCK*(g+1)`.
    pub level2: Vec<[f64; 4]>,
}

fn merge(a: [f64; 4], b: [f64; 4]) -> [f64; 4] {
    [a[0].min(b[0]), a[1].max(b[1]), a[2].min(b[2]), a[3].max(b[3])]
}

const EMPTY_BOX: [f64; 4] = [f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY];

impl BlockIndex {
    fn build<G: GeometrySource>(g: G) -> Result<Self> {
        let n = g.len();
        let nb1 = n.div_ceil(BLOCK);
        let nb2 = nb1.div_ceil(BLOCK);
        let mut level1 = try_filled(nb1, EMPTY_BOX, "the culling index")?;
        let mut level2 = try_filled(nb2, EMPTY_BOX, "the culling index")?;
        for (b, bx) in level1.iter_mut().enumerate() {
            let lo = b * BLOCK;
            let hi = (lo + BLOCK).min(n);
            let mut e = EMPTY_BOX;
            for p in lo..hi {
                let (x, y, dx, dy) = g.cell(p);
                e = merge(e, [x - dx, x + dx, y - dy, y + dy]);
            }
            *bx = e;
        }
        for (g, bx) in level2.iter_mut().enumerate() {
            let lo = g * BLOCK;
            let hi = (lo + BLOCK).min(nb1);
            *bx = level1[lo..hi].iter().fold(EMPTY_BOX, |a, b| merge(a, *b));
        }
        Ok(BlockIndex { level1, level2 })
    }

    fn bytes(&self) -> usize {
        32 * (self.level1.len() + self.level2.len())
    }
}

/// A strip `(lo, hi)` must be an interval.
fn strip_interval(lo: f64, hi: f64) -> Result<()> {
    if lo.is_nan() || hi.is_nan() || !(lo < hi) {
        return Err(Error::InvalidParts(format!("a strip from y = {lo} to {hi}: not an interval")));
    }
    Ok(())
}

/// The cells [`VariableMesh::strip_mask`] keeps, as runs `[start, end)` in
/// increasing order, calling `run(start, end)` for each: cell `p` is kept
/// when one of its images `oysp + s` (`s` in `shifts`) meets `(lo, hi)`:
/// `ysp + dysp > lo && ysp - dysp < hi`. A block of the culling index is
/// decided from its box (`[min(y - dy), max(y + dy)]` of its cells, the same
/// f64 expressions; `dy >= 0`, so `y - dy <= y + dy`) where that is exact:
/// strictly inside the strip, every cell is kept by its image `s = 0`; a box
/// that ends at or below `lo`, or starts at or above `hi`, keeps none by that
/// image; by an image shifted by `s != 0` (periodic), none when the shifted
/// box misses the strip by more than `2e-15 (|b0| + |b1| + |s|)`, which
/// bounds the rounding of `(y + s) ± dy` against `(y ± dy) + s` (each at most
/// ~3 ulps of those magnitudes, plus the box's own sum). The pool cuts its
/// strips with the domain's period whether the view is periodic or not (the
/// checkbox may change), so that case is the common one: without it, half a
/// 100 M-cell slice went cell by cell, 5 images each, ~0.2 s a strip. The
/// other blocks go cell by cell, reading only their heights (every cell: ~0.7
/// s a strip of a 100 M-cell slice; a yt slice's cells come grid by grid, or
/// in octree order, so nearly every block is decided and the runs are few).
/// Stops, returning false, when `run` does.
fn strip_runs_of<G: GeometrySource>(
    g: G,
    index: &BlockIndex,
    lo: f64,
    hi: f64,
    shifts: &[f64],
    mut run: impl FnMut(usize, usize) -> bool,
) -> bool {
    let n = g.len();
    // (no cell of a box [b0, b1] kept by any image: shift 0 exactly, the others with the margin above)
    let misses = |b0: f64, b1: f64| {
        shifts.iter().all(|&s| {
            if s == 0.0 {
                return b1 <= lo || b0 >= hi;
            }
            let margin = 2e-15 * (b0.abs() + b1.abs() + s.abs());
            (b1 + s) + margin <= lo || (b0 + s) - margin >= hi
        })
    };
    let mut open: Option<usize> = None; // the start of the run being extended
    let mut kept = |p: usize, keep: bool, open: &mut Option<usize>| -> bool {
        match (*open, keep) {
            (None, true) => *open = Some(p),
            (Some(start), false) => {
                *open = None;
                return run(start, p);
            }
            _ => {}
        }
        true
    };
    for (b, bx) in index.level1.iter().enumerate() {
        let (first, last) = ((b * BLOCK).min(n), ((b + 1) * BLOCK).min(n));
        if bx[2] > lo && bx[3] < hi {
            if !kept(first, true, &mut open) {
                return false;
            }
        } else if misses(bx[2], bx[3]) {
            if !kept(first, false, &mut open) {
                return false;
            }
        } else {
            for p in first..last {
                let (oysp, dysp) = g.y_of(p);
                let keep = shifts.iter().any(|&s| {
                    let ysp = oysp + s;
                    ysp + dysp > lo && ysp - dysp < hi
                });
                if !kept(p, keep, &mut open) {
                    return false;
                }
            }
        }
    }
    if let Some(start) = open {
        return run(start, n);
    }
    true
}

impl VariableMesh {
    /// Build a mesh from owned arrays, validating them.
    pub fn new(
        px: Vec<f64>,
        py: Vec<f64>,
        pdx: Vec<f64>,
        pdy: Vec<f64>,
        values: Vec<f64>,
    ) -> Result<Self> {
        let mesh = VariableMesh {
            geometry: Geometry::F64 { px, py, pdx, pdy },
            values: Values::F64(values),
            compacted: false,
            geometry_valid: Cell::new(false),
            index: RefCell::new(BlockIndex::default()),
        };
        mesh.validate()?;
        Ok(mesh)
    }

    /// Build a mesh by copying slices, validating them.
    pub fn from_slices(
        px: &[f64],
        py: &[f64],
        pdx: &[f64],
        pdy: &[f64],
        values: &[f64],
    ) -> Result<Self> {
        // Validate lengths before copying anything.
        check_lengths(px.len(), py.len(), pdx.len(), pdy.len(), values.len())?;
        let copy = |s: &[f64], what| -> Result<Vec<f64>> {
            let mut v = Vec::new();
            v.try_reserve_exact(s.len()).map_err(|_| Error::AllocationFailed {
                what,
                bytes: s.len().saturating_mul(8),
            })?;
            v.extend_from_slice(s);
            Ok(v)
        };
        Self::new(
            copy(px, "px")?,
            copy(py, "py")?,
            copy(pdx, "pdx")?,
            copy(pdy, "pdy")?,
            copy(values, "values")?,
        )
    }

    /// A mesh of `n` cells with all positions, half-widths and values 0, to
    /// be filled in place through the `*_mut` accessors (e.g. JS typed-array
    /// views). The geometry is re-validated before the next deposition.
    pub fn with_len(n: usize) -> Result<Self> {
        if n == 0 {
            return Err(Error::EmptyMesh);
        }
        Ok(VariableMesh {
            geometry: Geometry::F64 {
                px: try_filled(n, 0.0, "px")?,
                py: try_filled(n, 0.0, "py")?,
                pdx: try_filled(n, 0.0, "pdx")?,
                pdy: try_filled(n, 0.0, "pdy")?,
            },
            values: Values::F64(try_filled(n, 0.0, "values")?),
            compacted: false,
            geometry_valid: Cell::new(false),
            index: RefCell::new(BlockIndex::default()),
        })
    }

    /// Check all invariants listed in the module docs (and rebuild the
    /// culling index).
    pub fn validate(&self) -> Result<()> {
        let values_len = self.values_ref().len();
        match &self.geometry {
            Geometry::F64 { px, py, pdx, pdy } => {
                check_lengths(px.len(), py.len(), pdx.len(), pdy.len(), values_len)?;
                for (axis, a) in [("px", px), ("py", py)] {
                    if let Some((index, &value)) = a.iter().enumerate().find(|(_, v)| !v.is_finite()) {
                        return Err(Error::NonFinitePosition { axis, index, value });
                    }
                }
                for (axis, a) in [("pdx", pdx), ("pdy", pdy)] {
                    // `!(v >= 0.0)` also catches NaN.
                    if let Some((index, &value)) = a
                        .iter()
                        .enumerate()
                        .find(|(_, v)| !(v.is_finite() && **v >= 0.0))
                    {
                        return Err(Error::InvalidHalfWidth { axis, index, value });
                    }
                }
            }
            Geometry::Table(t) => {
                let n = t.x_index.len();
                if n == 0 {
                    return Err(Error::EmptyMesh);
                }
                t.validate(n)?;
                if values_len != n {
                    return Err(Error::LengthMismatch { what: "values", expected: n, actual: values_len });
                }
            }
        }
        // Free the old index before building the new one (peak memory).
        *self.index.borrow_mut() = BlockIndex::default();
        let index = match self.geometry() {
            GeometryRef::F64(g) => BlockIndex::build(g)?,
            GeometryRef::Table(g) => BlockIndex::build(g)?,
        };
        *self.index.borrow_mut() = index;
        self.geometry_valid.set(true);
        Ok(())
    }

    /// The culling index (see the module docs); validates first if needed.
    pub(crate) fn block_index(&self) -> Result<Ref<'_, BlockIndex>> {
        self.ensure_valid()?;
        Ok(self.index.borrow())
    }

    /// Validate only if the geometry may have changed since the last check.
    pub fn ensure_valid(&self) -> Result<()> {
        if self.geometry_valid.get() {
            Ok(())
        } else {
            self.validate()
        }
    }

    /// Store `values` (already of the right length): as f32 when the mesh
    /// was compacted and that is exact, else as they are.
    fn store_values(&mut self, values: Vec<f64>) -> Result<()> {
        self.values = if self.compacted && f32_exact(&values) {
            // free the old values first (peak memory)
            self.values = Values::F64(Vec::new());
            Values::F32(to_f32(&values)?)
        } else {
            Values::F64(values)
        };
        Ok(())
    }

    fn check_values_len(&self, len: usize) -> Result<()> {
        if len != self.len() {
            return Err(Error::LengthMismatch {
                what: "values (must match the number of cells)",
                expected: self.len(),
                actual: len,
            });
        }
        Ok(())
    }

    /// Replace the field values, keeping the geometry (switching fields).
    /// On a compacted mesh they are stored as f32 when every value is
    /// exactly an f32, else as f64 (never losing a bit).
    pub fn set_values(&mut self, values: &[f64]) -> Result<()> {
        self.check_values_len(values.len())?;
        match &mut self.values {
            Values::F64(v) if !self.compacted => {
                v.copy_from_slice(values);
                Ok(())
            }
            _ => {
                let mut v = Vec::new();
                v.try_reserve_exact(values.len())
                    .map_err(|_| Error::AllocationFailed { what: "values", bytes: values.len() * 8 })?;
                v.extend_from_slice(values);
                self.store_values(v)
            }
        }
    }

    /// Replace the field values by an owned vector (no copy, unless a
    /// compacted mesh stores them as f32), keeping the geometry.
    pub fn set_values_vec(&mut self, values: Vec<f64>) -> Result<()> {
        self.check_values_len(values.len())?;
        self.store_values(values)
    }

    /// Number of cells (always >= 1).
    pub fn len(&self) -> usize {
        self.geometry().len()
    }

    /// Always `false`: empty meshes are rejected at construction.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `[x_min, x_max, y_min, y_max]` of the cell *edges*
    /// (`min(px - pdx)`, `max(px + pdx)`, ...). Validates first.
    pub fn extent(&self) -> Result<[f64; 4]> {
        let index = self.block_index()?;
        Ok(index.level2.iter().fold(EMPTY_BOX, |a, b| merge(a, *b)))
    }

    /// The geometry as stored (what the deposit reads).
    pub fn geometry(&self) -> GeometryRef<'_> {
        match &self.geometry {
            Geometry::F64 { px, py, pdx, pdy } => GeometryRef::F64(F64Geometry { px, py, pdx, pdy }),
            Geometry::Table(t) => GeometryRef::Table(t.cells()),
        }
    }

    /// The values as stored.
    pub fn values_ref(&self) -> ValuesRef<'_> {
        match &self.values {
            Values::F64(v) => ValuesRef::F64(v),
            Values::F32(v) => ValuesRef::F32(v),
        }
    }

    /// `"f64"` (four f64 arrays) or `"table"` ([`TableGeometry`]).
    pub fn geometry_kind(&self) -> &'static str {
        match self.geometry {
            Geometry::F64 { .. } => "f64",
            Geometry::Table(_) => "table",
        }
    }

    /// `"f64"` or `"f32"`.
    pub fn values_kind(&self) -> &'static str {
        match self.values {
            Values::F64(_) => "f64",
            Values::F32(_) => "f32",
        }
    }

    /// Whether [`VariableMesh::compact`] was called.
    pub fn is_compacted(&self) -> bool {
        self.compacted
    }

    /// Heap bytes held per cell: the cell arrays, their tables and the
    /// culling index, divided by the number of cells (today's f64 storage:
    /// ~40.5).
    pub fn bytes_per_cell(&self) -> f64 {
        let g = match &self.geometry {
            Geometry::F64 { px, py, pdx, pdy } => 8 * (px.len() + py.len() + pdx.len() + pdy.len()),
            Geometry::Table(t) => t.bytes(),
        };
        let v = match &self.values {
            Values::F64(v) => 8 * v.len(),
            Values::F32(v) => 4 * v.len(),
        };
        let i = self.index.borrow().bytes();
        (g + v + i) as f64 / self.len().max(1) as f64
    }

    /// Convert the storage in place to its compact form (see the module
    /// docs), validating the geometry first; the deposits stay bit for bit
    /// the same. Idempotent. Returns [`VariableMesh::bytes_per_cell`].
    pub fn compact(&mut self) -> Result<f64> {
        self.ensure_valid()?;
        if let Geometry::F64 { px, py, pdx, pdy } = &self.geometry {
            let g = F64Geometry { px, py, pdx, pdy };
            if let Some(t) = TableGeometry::build(g)? {
                // same numbers, so the same culling index: kept as it is
                self.geometry = Geometry::Table(t);
            }
        }
        self.compacted = true;
        if let Values::F64(v) = &self.values {
            if f32_exact(v) {
                let f = to_f32(v)?;
                self.values = Values::F32(f);
            }
        }
        Ok(self.bytes_per_cell())
    }

    fn f64_geometry(&self, what: &'static str) -> Result<F64Geometry<'_>> {
        match self.geometry() {
            GeometryRef::F64(g) => Ok(g),
            GeometryRef::Table(_) => Err(Error::NotStoredAsF64 {
                what,
                held: "as a table of distinct values and an index per cell",
            }),
        }
    }

    /// `px` as stored; an error if the geometry is compact.
    pub fn px(&self) -> Result<&[f64]> {
        Ok(self.f64_geometry("px")?.px)
    }
    /// `py` as stored; an error if the geometry is compact.
    pub fn py(&self) -> Result<&[f64]> {
        Ok(self.f64_geometry("py")?.py)
    }
    /// `pdx` as stored; an error if the geometry is compact.
    pub fn pdx(&self) -> Result<&[f64]> {
        Ok(self.f64_geometry("pdx")?.pdx)
    }
    /// `pdy` as stored; an error if the geometry is compact.
    pub fn pdy(&self) -> Result<&[f64]> {
        Ok(self.f64_geometry("pdy")?.pdy)
    }
    /// The values as stored in f64; an error if they are held as f32
    /// ([`VariableMesh::array_copy`] decodes them).
    pub fn values(&self) -> Result<&[f64]> {
        match self.values_ref() {
            ValuesRef::F64(v) => Ok(v),
            ValuesRef::F32(_) => Err(Error::NotStoredAsF64 { what: "values", held: "as f32 (exactly)" }),
        }
    }

    /// A decoded f64 copy of `"px"`, `"py"`, `"pdx"`, `"pdy"` or
    /// `"values"`, whatever the storage.
    pub fn array_copy(&self, name: &str) -> Result<Vec<f64>> {
        let n = self.len();
        let k = match name {
            "px" => 0,
            "py" => 1,
            "pdx" => 2,
            "pdy" => 3,
            "values" => 4,
            _ => return Err(Error::UnknownArray(name.to_string())),
        };
        let mut out = Vec::new();
        out.try_reserve_exact(n).map_err(|_| Error::AllocationFailed { what: "a copy of a mesh array", bytes: n * 8 })?;
        if k == 4 {
            match self.values_ref() {
                ValuesRef::F64(v) => out.extend_from_slice(v),
                ValuesRef::F32(v) => out.extend(v.iter().map(|&x| x as f64)),
            }
            return Ok(out);
        }
        fn pick(c: (f64, f64, f64, f64), k: usize) -> f64 {
            [c.0, c.1, c.2, c.3][k]
        }
        match self.geometry() {
            GeometryRef::F64(g) => out.extend_from_slice([g.px, g.py, g.pdx, g.pdy][k]),
            GeometryRef::Table(g) => out.extend((0..n).map(|p| pick(g.cell(p), k))),
        }
        Ok(out)
    }

    /// Mutable geometry access; marks the geometry for re-validation. An
    /// error if the geometry is compact (read-only).
    pub fn px_mut(&mut self) -> Result<&mut [f64]> {
        self.f64_geometry_mut("px").map(|g| g.0)
    }
    pub fn py_mut(&mut self) -> Result<&mut [f64]> {
        self.f64_geometry_mut("py").map(|g| g.1)
    }
    pub fn pdx_mut(&mut self) -> Result<&mut [f64]> {
        self.f64_geometry_mut("pdx").map(|g| g.2)
    }
    pub fn pdy_mut(&mut self) -> Result<&mut [f64]> {
        self.f64_geometry_mut("pdy").map(|g| g.3)
    }

    #[allow(clippy::type_complexity)]
    fn f64_geometry_mut(
        &mut self,
        what: &'static str,
    ) -> Result<(&mut [f64], &mut [f64], &mut [f64], &mut [f64])> {
        match &mut self.geometry {
            Geometry::F64 { px, py, pdx, pdy } => {
                self.geometry_valid.set(false);
                Ok((&mut px[..], &mut py[..], &mut pdx[..], &mut pdy[..]))
            }
            Geometry::Table(_) => Err(Error::NotStoredAsF64 {
                what,
                held: "as a table of distinct values and an index per cell",
            }),
        }
    }

    /// Mutable access to the values as f64 (no validation needed: any f64
    /// is fine). Values held as f32 are turned back into f64 first (exactly;
    /// they stay f64 until the next [`VariableMesh::compact`] or
    /// [`VariableMesh::set_values`]).
    pub fn values_mut(&mut self) -> Result<&mut [f64]> {
        if let Values::F32(v) = &self.values {
            let f = to_f64(v)?;
            self.values = Values::F64(f);
        }
        match &mut self.values {
            Values::F64(v) => Ok(v),
            Values::F32(_) => Err(Error::NotStoredAsF64 { what: "values", held: "as f32" }), // unreachable
        }
    }

    /// Mark the geometry as possibly modified behind Rust's back (used by
    /// the wasm layer when it hands out writable typed-array views).
    pub fn invalidate_geometry(&self) {
        self.geometry_valid.set(false);
    }

    /// A copy of the storage as it is (the f64 arrays or the compact
    /// tables and indices, f64 or f32 values), to rebuild an identical mesh
    /// with [`VariableMesh::from_parts`]. Validates first.
    pub fn to_parts(&self) -> Result<MeshParts> {
        self.ensure_valid()?;
        fn copy<T: Copy>(s: &[T]) -> Result<Vec<T>> {
            let mut v = Vec::new();
            v.try_reserve_exact(s.len()).map_err(|_| Error::AllocationFailed {
                what: "a copy of the mesh's parts",
                bytes: std::mem::size_of_val(s),
            })?;
            v.extend_from_slice(s);
            Ok(v)
        }
        let geometry = match self.geometry() {
            GeometryRef::F64(g) => GeometryParts::F64 {
                px: copy(g.px)?,
                py: copy(g.py)?,
                pdx: copy(g.pdx)?,
                pdy: copy(g.pdy)?,
            },
            GeometryRef::Table(t) => GeometryParts::Table {
                x_table: copy(t.x_table)?,
                x_index: copy(t.x_index)?,
                y_table: copy(t.y_table)?,
                y_index: copy(t.y_index)?,
                pdx_table: t.pd_table.iter().map(|p| p[0]).collect(),
                pdy_table: t.pd_table.iter().map(|p| p[1]).collect(),
                pd_index: copy(t.pd_index)?,
            },
        };
        let values = match self.values_ref() {
            ValuesRef::F64(v) => ValueParts::F64(copy(v)?),
            ValuesRef::F32(v) => ValueParts::F32(copy(v)?),
        };
        Ok(MeshParts { geometry, values, compacted: self.compacted })
    }

    /// The cells that can reach the rows of a strip `lo < y < hi` of any
    /// image: those whose y extent (`py - pdy`, `py + pdy`, the deposit's
    /// own expressions), or that of their image shifted by `s` = `±period_y`
    /// or `±2 period_y` (when `period_y` is finite and not 0), meets it:
    /// `py + s + pdy > lo && py + s - pdy < hi` (an infinite `lo` or `hi`: no
    /// bound on that side). In a deposit, a cell changes a pixel of row `i`
    /// only if its extent (a periodic deposit: shifted by 0 or `±period_y`)
    /// meets the row's (antialiased: `yr > ly[i]` and `yl < ly[i + 1]`
    /// exactly; plain fill: the same up to the rounding of its row range), so
    /// for a row lying inside the strip, or inside it shifted by
    /// `±period_y`, with a margin for that rounding
    /// (`lite/js/core/parallel.js`: `stripOfRow`), the cells kept, in their
    /// order, give every pixel the bits the whole mesh gives it. Returns one
    /// flag per cell (1: kept).
    pub fn strip_mask(&self, lo: f64, hi: f64, period_y: f64) -> Result<Vec<u8>> {
        self.ensure_valid()?;
        strip_interval(lo, hi)?; // (before the mask is allocated)
        let mut mask = try_filled(self.len(), 0u8, "a strip of the mesh")?;
        self.each_strip_run(lo, hi, period_y, |start, end| {
            mask[start..end].fill(1);
            true
        })?;
        Ok(mask)
    }

    /// The cells [`VariableMesh::strip_mask`] keeps as runs: `[start0, end0,
    /// start1, end1, ...]` (`[start, end)` each, increasing, never adjacent),
    /// or `None` when there would be more than `most` runs (cells in no
    /// spatial order: the mask is then the smaller form).
    pub fn strip_runs(&self, lo: f64, hi: f64, period_y: f64, most: usize) -> Result<Option<Vec<u32>>> {
        if u32::try_from(self.len()).is_err() {
            return Ok(None); // (cell numbers past u32: the mask)
        }
        let mut runs: Vec<u32> = Vec::new();
        let complete = self.each_strip_run(lo, hi, period_y, |start, end| {
            if runs.len() >= 2 * most {
                return false;
            }
            runs.extend([start as u32, end as u32]);
            true
        })?;
        Ok(complete.then_some(runs))
    }

    /// `strip_runs_of` over this mesh, its images those of `period_y` (none
    /// unless finite and non-zero); `(lo, hi)` must be an interval.
    fn each_strip_run(&self, lo: f64, hi: f64, period_y: f64, run: impl FnMut(usize, usize) -> bool) -> Result<bool> {
        strip_interval(lo, hi)?;
        let all = [0.0, period_y, -period_y, 2.0 * period_y, -2.0 * period_y];
        let shifts: &[f64] = if period_y.is_finite() && period_y != 0.0 { &all } else { &all[..1] };
        let index = self.block_index()?;
        Ok(match self.geometry() {
            GeometryRef::F64(g) => strip_runs_of(g, &index, lo, hi, shifts, run),
            GeometryRef::Table(t) => strip_runs_of(t, &index, lo, hi, shifts, run),
        })
    }

    /// The mesh of the cells `mask` keeps (non-zero; [`VariableMesh::strip_mask`]),
    /// in their order, stored as this one is (its tables kept whole): what a
    /// deposit worker that computes only a strip's rows needs. No cell kept:
    /// [`Error::EmptyMesh`].
    pub fn subset(&self, mask: &[u8]) -> Result<VariableMesh> {
        self.ensure_valid()?;
        if mask.len() != self.len() {
            return Err(Error::InvalidParts(format!("a mask of {} cells for a mesh of {}", mask.len(), self.len())));
        }
        let kept = mask.iter().filter(|&&m| m != 0).count();
        fn pick<T: Copy>(s: &[T], mask: &[u8], kept: usize) -> Result<Vec<T>> {
            let mut v = Vec::new();
            v.try_reserve_exact(kept).map_err(|_| Error::AllocationFailed {
                what: "a strip of the mesh",
                bytes: kept.saturating_mul(std::mem::size_of::<T>()),
            })?;
            v.extend(s.iter().zip(mask).filter(|(_, &m)| m != 0).map(|(&x, _)| x));
            Ok(v)
        }
        let geometry = match self.geometry() {
            GeometryRef::F64(g) => GeometryParts::F64 {
                px: pick(g.px, mask, kept)?,
                py: pick(g.py, mask, kept)?,
                pdx: pick(g.pdx, mask, kept)?,
                pdy: pick(g.pdy, mask, kept)?,
            },
            GeometryRef::Table(t) => GeometryParts::Table {
                x_table: t.x_table.to_vec(),
                x_index: pick(t.x_index, mask, kept)?,
                y_table: t.y_table.to_vec(),
                y_index: pick(t.y_index, mask, kept)?,
                pdx_table: t.pd_table.iter().map(|p| p[0]).collect(),
                pdy_table: t.pd_table.iter().map(|p| p[1]).collect(),
                pd_index: pick(t.pd_index, mask, kept)?,
            },
        };
        let values = match self.values_ref() {
            ValuesRef::F64(v) => ValueParts::F64(pick(v, mask, kept)?),
            ValuesRef::F32(v) => ValueParts::F32(pick(v, mask, kept)?),
        };
        VariableMesh::from_parts(MeshParts { geometry, values, compacted: self.compacted })
    }

    /// `k - 1` heights that split the cells' centres into `k` strips of
    /// about as many cells each (a histogram of 4096 bins over the centres'
    /// range: the bins' edges; fewer when the centres take fewer places),
    /// increasing: where the deposit workers' strips of rows meet. At most
    /// 4095 (a `k` past 4096 is taken as 4096).
    pub fn y_splits(&self, k: usize) -> Result<Vec<f64>> {
        self.ensure_valid()?;
        const BINS: usize = 4096;
        let n = self.len();
        // (the histogram over the cells' edges, which the culling index has: every centre lies in
        // them, and a pass over the cells for their centres' range is saved, ~0.3 s of a 50 M-cell
        // slice's page thread)
        let [_, _, lo, hi] = self.extent()?;
        if k < 2 || !(lo < hi) {
            return Ok(Vec::new());
        }
        let width = (hi - lo) / BINS as f64;
        let counts = self.centre_histogram(lo, width, BINS)?;
        if counts.iter().filter(|&&c| c > 0).count() < 2 {
            return Ok(Vec::new()); // (every centre in one bin: no height splits them)
        }
        let k = k.min(BINS); // (no more strips than bins: and no allocation of an absurd size asked for)
        let mut splits = Vec::with_capacity(k - 1);
        let (mut seen, mut want) = (0usize, 1usize);
        for (b, c) in counts.iter().enumerate() {
            seen += c;
            while want < k && seen * k >= want * n {
                let edge = lo + width * (b + 1) as f64;
                if b + 1 < BINS && splits.last().map_or(true, |&last| edge > last) {
                    splits.push(edge);
                }
                want += 1;
            }
        }
        Ok(splits)
    }

    /// How many cell centres fall in each of `bins` bins of `width` from `lo`
    /// (bin `min(trunc((py - lo) / width), bins - 1)`). A block of the culling
    /// index whose box lies in one bin has every centre there (a centre lies in
    /// its cell's edges, and the bin is monotone in `py`: a correctly rounded
    /// subtraction and division by a positive width, then truncation): its
    /// cells are counted at once; the others one by one, reading only `py`.
    pub(crate) fn centre_histogram(&self, lo: f64, width: f64, bins: usize) -> Result<Vec<usize>> {
        let mut counts = try_filled(bins, 0usize, "a histogram of the cells")?;
        let index = self.block_index()?;
        fn fill<G: GeometrySource>(g: G, index: &BlockIndex, counts: &mut [usize], lo: f64, width: f64) {
            let (n, last_bin) = (g.len(), counts.len() - 1);
            let bin = |y: f64| (((y - lo) / width) as usize).min(last_bin);
            for (b, bx) in index.level1.iter().enumerate() {
                let (first, last) = ((b * BLOCK).min(n), ((b + 1) * BLOCK).min(n));
                let b0 = bin(bx[2]);
                if b0 == bin(bx[3]) {
                    counts[b0] += last - first;
                } else {
                    for p in first..last {
                        counts[bin(g.y_of(p).0)] += 1;
                    }
                }
            }
        }
        if bins > 0 {
            match self.geometry() {
                GeometryRef::F64(g) => fill(g, &index, &mut counts, lo, width),
                GeometryRef::Table(t) => fill(t, &index, &mut counts, lo, width),
            }
        }
        Ok(counts)
    }

    /// Rebuild a mesh from [`MeshParts`] (no copy of the arrays): the same
    /// representation, hence the same deposits. Checks every invariant
    /// (lengths, indices inside their tables, finite centres, half widths
    /// `>= 0`) and builds the culling index.
    pub fn from_parts(parts: MeshParts) -> Result<Self> {
        let MeshParts { geometry, values, compacted } = parts;
        let geometry = match geometry {
            GeometryParts::F64 { px, py, pdx, pdy } => Geometry::F64 { px, py, pdx, pdy },
            GeometryParts::Table { x_table, x_index, y_table, y_index, pdx_table, pdy_table, pd_index } => {
                if pdx_table.len() != pdy_table.len() {
                    return Err(Error::InvalidParts(format!(
                        "pdxTable has {} entries, pdyTable {}: one pair per entry",
                        pdx_table.len(),
                        pdy_table.len()
                    )));
                }
                if pdx_table.len() > MAX_PAIRS {
                    return Err(Error::InvalidParts(format!(
                        "{} (pdx, pdy) pairs: at most {MAX_PAIRS}",
                        pdx_table.len()
                    )));
                }
                let pd_table = pdx_table.iter().zip(&pdy_table).map(|(&a, &b)| [a, b]).collect();
                Geometry::Table(TableGeometry { x_table, x_index, y_table, y_index, pd_table, pd_index })
            }
        };
        let values = match values {
            ValueParts::F64(v) => Values::F64(v),
            ValueParts::F32(v) => Values::F32(v),
        };
        let mesh = VariableMesh {
            geometry,
            values,
            compacted,
            geometry_valid: Cell::new(false),
            index: RefCell::new(BlockIndex::default()),
        };
        mesh.validate()?;
        Ok(mesh)
    }
}

impl ValuesRef<'_> {
    /// Number of values.
    pub fn len(&self) -> usize {
        match *self {
            ValuesRef::F64(v) => v.len(),
            ValuesRef::F32(v) => v.len(),
        }
    }
    /// `true` if there are no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn check_lengths(px: usize, py: usize, pdx: usize, pdy: usize, values: usize) -> Result<()> {
    if px == 0 {
        return Err(Error::EmptyMesh);
    }
    for (what, actual) in [("py", py), ("pdx", pdx), ("pdy", pdy), ("values", values)] {
        if actual != px {
            return Err(Error::LengthMismatch {
                what,
                expected: px,
                actual,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok_mesh() -> VariableMesh {
        VariableMesh::from_slices(&[0.5, 1.5], &[0.5, 0.5], &[0.5, 0.5], &[0.5, 0.5], &[1.0, 2.0])
            .unwrap()
    }

    #[test]
    fn valid_mesh_and_extent() {
        let m = ok_mesh();
        assert_eq!(m.len(), 2);
        assert!(!m.is_empty());
        assert_eq!(m.extent().unwrap(), [0.0, 2.0, 0.0, 1.0]);
    }

    #[test]
    fn rejects_empty() {
        assert_eq!(
            VariableMesh::from_slices(&[], &[], &[], &[], &[]).unwrap_err(),
            Error::EmptyMesh
        );
        assert_eq!(VariableMesh::with_len(0).unwrap_err(), Error::EmptyMesh);
    }

    #[test]
    fn rejects_length_mismatch() {
        let e = VariableMesh::from_slices(&[0.0, 1.0], &[0.0, 1.0], &[0.1], &[0.1, 0.1], &[1.0, 2.0])
            .unwrap_err();
        assert!(matches!(e, Error::LengthMismatch { what: "pdx", expected: 2, actual: 1 }));
        assert!(e.to_string().contains("pdx"));
        let e = VariableMesh::from_slices(&[0.0], &[0.0], &[0.1], &[0.1], &[1.0, 2.0]).unwrap_err();
        assert!(matches!(e, Error::LengthMismatch { what: "values", .. }));
    }

    #[test]
    fn rejects_bad_positions_and_widths() {
        let e = VariableMesh::from_slices(&[f64::NAN], &[0.0], &[0.1], &[0.1], &[1.0]).unwrap_err();
        assert!(matches!(e, Error::NonFinitePosition { axis: "px", index: 0, .. }));
        let e = VariableMesh::from_slices(&[0.0], &[f64::INFINITY], &[0.1], &[0.1], &[1.0])
            .unwrap_err();
        assert!(matches!(e, Error::NonFinitePosition { axis: "py", .. }));
        let e = VariableMesh::from_slices(&[0.0, 0.0], &[0.0, 0.0], &[0.1, -0.1], &[0.1, 0.1], &[1.0, 1.0])
            .unwrap_err();
        assert!(matches!(e, Error::InvalidHalfWidth { axis: "pdx", index: 1, .. }));
        let e = VariableMesh::from_slices(&[0.0], &[0.0], &[0.1], &[f64::NAN], &[1.0]).unwrap_err();
        assert!(matches!(e, Error::InvalidHalfWidth { axis: "pdy", .. }));
        // zero widths and NaN values are allowed
        VariableMesh::from_slices(&[0.0], &[0.0], &[0.0], &[0.0], &[f64::NAN]).unwrap();
    }

    #[test]
    fn y_splits_cut_the_cells_into_strips_of_about_as_many_centres() {
        // (centres spread unevenly: a quarter of the cells in a tenth of the heights)
        let n = 100_000;
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let py: Vec<f64> = (0..n).map(|i| if i % 4 == 0 { 0.9 + 0.1 * next() } else { 0.9 * next() }).collect();
        let pdy: Vec<f64> = (0..n).map(|_| 0.001 + 0.01 * next()).collect();
        let m = VariableMesh::new(vec![0.5; n], py.clone(), vec![0.5; n], pdy, vec![1.0; n]).unwrap();
        for k in 2..6 {
            let splits = m.y_splits(k).unwrap();
            assert_eq!(splits.len(), k - 1, "{splits:?}");
            let edges: Vec<f64> = [f64::NEG_INFINITY].into_iter().chain(splits).chain([f64::INFINITY]).collect();
            for w in edges.windows(2) {
                let count = py.iter().filter(|&&y| y >= w[0] && y < w[1]).count();
                // (off by at most a bin of the histogram: ~1 / 4096 of the heights, ~70 centres at the densest)
                assert!((count as f64 - n as f64 / k as f64).abs() < 200.0, "k = {k}: {count} in {w:?}");
            }
        }
        // every centre at one height: nothing to split
        let flat = VariableMesh::new(vec![0.5; 10], vec![0.5; 10], vec![0.5; 10], vec![0.25; 10], vec![1.0; 10]).unwrap();
        assert!(flat.y_splits(4).unwrap().is_empty());
    }

    /// `strip_mask`, `strip_runs` and `y_splits` decide whole blocks of the culling index
    /// from their boxes: the very flags, runs and histogram of the cell-by-cell rules,
    /// on meshes whose blocks are compact (grid order, a quadtree in Morton
    /// order) or span everything (random order), f64 and table geometry,
    /// strips that cut blocks, hold them, miss them, touch a box's edge, or
    /// are infinite, periodic or not.
    #[test]
    fn strips_and_splits_from_blocks_are_the_cell_by_cell_ones() {
        use crate::testing::{random_cells, Rng};
        fn mask_by_cells(m: &VariableMesh, lo: f64, hi: f64, period: f64) -> Vec<u8> {
            let all = [0.0, period, -period, 2.0 * period, -2.0 * period];
            let shifts: &[f64] = if period.is_finite() && period != 0.0 { &all } else { &all[..1] };
            let cell = |p: usize| match m.geometry() {
                GeometryRef::F64(g) => g.cell(p),
                GeometryRef::Table(t) => t.cell(p),
            };
            (0..m.len())
                .map(|p| {
                    let (_, oy, _, dy) = cell(p);
                    u8::from(shifts.iter().any(|&s| oy + s + dy > lo && oy + s - dy < hi))
                })
                .collect()
        }
        // (the histogram, cell by cell: y_splits cuts where its counts say, tested for balance above)
        fn histogram_by_cells(m: &VariableMesh) -> Option<(f64, f64, Vec<usize>)> {
            const BINS: usize = 4096;
            let [_, _, lo, hi] = m.extent().unwrap();
            if !(lo < hi) {
                return None;
            }
            let width = (hi - lo) / BINS as f64;
            let mut counts = vec![0usize; BINS];
            for p in 0..m.len() {
                let y = match m.geometry() {
                    GeometryRef::F64(g) => g.cell(p).1,
                    GeometryRef::Table(t) => t.cell(p).1,
                };
                counts[(((y - lo) / width) as usize).min(BINS - 1)] += 1;
            }
            Some((lo, width, counts))
        }
        // a quadtree of cells refined near a curve, leaves in Morton order (yt's octree slices)
        fn quadtree(x: f64, y: f64, h: f64, level: u32, out: &mut [Vec<f64>; 5]) {
            let near = ((x - 0.5).powi(2) + (y - 0.45).powi(2)).sqrt() - 0.3;
            if level < 9 && near.abs() < 2.0 * h {
                for (i, j) in [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (1.0, 1.0)] {
                    quadtree(x - h / 2.0 + i * h, y - h / 2.0 + j * h, h / 2.0, level + 1, out);
                }
            } else {
                for (a, v) in out.iter_mut().zip([x, y, h, h, near]) {
                    a.push(v);
                }
            }
        }
        let mut rng = Rng(0x5EED_57A1);
        let mut meshes = Vec::new();
        let mut tree: [Vec<f64>; 5] = Default::default();
        quadtree(0.5, 0.5, 0.5, 0, &mut tree);
        meshes.push(tree);
        for (n, coherent) in [(20_000, true), (20_000, false), (777, true), (1, true)] {
            meshes.push(random_cells(&mut rng, n, coherent, false));
        }
        // rows of thin cells (a block's box inside one bin of the histogram), every other one of no height
        // (kept by a strip only when it lies strictly inside: a strip starting at its height does not keep it)
        let side = 300;
        let grid = |f: &dyn Fn(usize, usize) -> f64| -> Vec<f64> { (0..side * side).map(|p| f(p % side, p / side)).collect() };
        meshes.push([
            grid(&|i, _| (i as f64 + 0.5) / side as f64),
            grid(&|_, j| (j as f64 + 0.5) / side as f64),
            grid(&|_, _| 0.4 / side as f64),
            grid(&|_, j| if j % 2 == 0 { 0.0 } else { 1e-5 }),
            grid(&|i, j| (i * j) as f64),
        ]);
        let mut blocks_decided = 0;
        for [px, py, pdx, pdy, v] in meshes {
            let f64_mesh = VariableMesh::new(px, py, pdx, pdy, v).unwrap();
            let mut table_mesh = f64_mesh.clone();
            table_mesh.compact().unwrap();
            for m in [&f64_mesh, &table_mesh] {
                let [_, _, y0, y1] = m.extent().unwrap();
                let boxes: Vec<f64> = m.block_index().unwrap().level1.iter().flat_map(|b| [b[2], b[3]]).collect();
                let mut cuts = vec![f64::NEG_INFINITY, y0, y1, f64::INFINITY, 0.5, 0.3 + 1e-12, 1.5 / side as f64];
                cuts.extend(boxes.iter().step_by(7).take(20)); // (strips that start or end on a box's edge)
                cuts.extend((0..12).map(|_| y0 - 0.2 + rng.next() * (y1 - y0 + 0.4)));
                for (i, &a) in cuts.iter().enumerate() {
                    for &b in &cuts[i + 1..] {
                        let (lo, hi) = if a < b { (a, b) } else { (b, a) };
                        if !(lo < hi) {
                            continue;
                        }
                        for period in [f64::NAN, 0.0, 1.0, 0.37] {
                            let got = m.strip_mask(lo, hi, period).unwrap();
                            let want = mask_by_cells(m, lo, hi, period);
                            assert_eq!(got, want, "strip {lo}..{hi}, period {period}");
                            // the runs: the same cells, each run as long as it goes
                            let runs = m.strip_runs(lo, hi, period, usize::MAX).unwrap().unwrap();
                            let mut from_runs = vec![0u8; m.len()];
                            for r in runs.chunks(2) {
                                assert!(r[0] < r[1] && (r[1] as usize == m.len() || want[r[1] as usize] == 0));
                                assert!(r[0] == 0 || want[r[0] as usize - 1] == 0);
                                from_runs[r[0] as usize..r[1] as usize].fill(1);
                            }
                            assert_eq!(from_runs, want);
                            let count = runs.len() / 2;
                            if count > 0 {
                                assert_eq!(m.strip_runs(lo, hi, period, count - 1).unwrap(), None);
                                assert_eq!(m.strip_runs(lo, hi, period, count).unwrap(), Some(runs));
                            }
                        }
                        blocks_decided += 1;
                    }
                }
                if let Some((lo, width, counts)) = histogram_by_cells(m) {
                    assert_eq!(m.centre_histogram(lo, width, counts.len()).unwrap(), counts);
                }
            }
        }
        assert!(blocks_decided > 1000);
    }

    /// A periodic image's edge is `(y + s) + dy`, which may round above the
    /// box's `(y + dy) + s`: a strip starting there keeps the cell (the
    /// cell-by-cell rule), which a block decision without its margin would
    /// have dropped.
    #[test]
    fn a_periodic_image_rounding_past_its_box_is_kept() {
        let (y, dy, s) = (0.4596034657377336, 0.14489080729524279, 0.5322345578988633);
        assert!((y + s) + dy > (y + dy) + s); // (the rounding this is about)
        let lo = (y + dy) + s;
        let m = VariableMesh::new(vec![0.5], vec![y], vec![0.1], vec![dy], vec![1.0]).unwrap();
        assert_eq!(m.strip_mask(lo, lo + 0.1, s).unwrap(), [1]);
        assert_eq!(m.strip_runs(lo, lo + 0.1, s, 1).unwrap(), Some(vec![0, 1]));
        // (and just past the image's own edge, none)
        let past = (y + s) + dy;
        assert_eq!(m.strip_mask(past, past + 0.1, s).unwrap(), [0]);
    }

    #[test]
    fn set_values_checks_length() {
        let mut m = ok_mesh();
        m.set_values(&[3.0, 4.0]).unwrap();
        assert_eq!(m.values().unwrap(), &[3.0, 4.0]);
        assert!(matches!(
            m.set_values(&[1.0]).unwrap_err(),
            Error::LengthMismatch { expected: 2, actual: 1, .. }
        ));
    }

    #[test]
    fn in_place_fill_is_revalidated() {
        let mut m = VariableMesh::with_len(1).unwrap();
        m.validate().unwrap();
        m.pdx_mut().unwrap()[0] = -1.0;
        assert!(matches!(m.ensure_valid().unwrap_err(), Error::InvalidHalfWidth { .. }));
        m.pdx_mut().unwrap()[0] = 0.25;
        m.ensure_valid().unwrap();
    }

    // ---- compact storage -------------------------------------------------

    /// A two-level AMR-like mesh over [0, 2] x [0, 1]: a coarse 16 x 8 grid
    /// whose lower-left quarter is refined once (grid by grid, like yt).
    fn amr_cells() -> [Vec<f64>; 5] {
        let (mut px, mut py, mut pdx, mut pdy, mut v) = (vec![], vec![], vec![], vec![], vec![]);
        let d = 0.125;
        for i in 0..8 {
            for j in 0..16 {
                if i < 4 && j < 8 {
                    continue;
                }
                px.push((j as f64 + 0.5) * d);
                py.push((i as f64 + 0.5) * d);
                pdx.push(0.5 * d);
                pdy.push(0.5 * d);
                v.push(((i * 16 + j) as f64 * 0.37).sin() * 10.0);
            }
        }
        let d = d / 2.0;
        for i in 0..8 {
            for j in 0..16 {
                px.push((j as f64 + 0.5) * d);
                py.push((i as f64 + 0.5) * d);
                pdx.push(0.5 * d);
                pdy.push(0.5 * d);
                v.push(((i * 16 + j) as f64 * 0.11).cos());
            }
        }
        [px, py, pdx, pdy, v]
    }

    fn mesh_of(c: &[Vec<f64>; 5]) -> VariableMesh {
        VariableMesh::new(c[0].clone(), c[1].clone(), c[2].clone(), c[3].clone(), c[4].clone()).unwrap()
    }

    fn bits(a: &[f64]) -> Vec<u64> {
        a.iter().map(|x| x.to_bits()).collect()
    }

    /// Every array decodes to the input bits; the culling index is the same.
    fn assert_decodes_to(m: &VariableMesh, c: &[Vec<f64>; 5]) {
        for (k, name) in ["px", "py", "pdx", "pdy", "values"].iter().enumerate() {
            assert_eq!(bits(&m.array_copy(name).unwrap()), bits(&c[k]), "{name}");
        }
        let f = mesh_of(c);
        let (a, b) = (m.block_index().unwrap(), f.block_index().unwrap());
        assert_eq!(a.level1.iter().flatten().map(|x| x.to_bits()).collect::<Vec<_>>(),
                   b.level1.iter().flatten().map(|x| x.to_bits()).collect::<Vec<_>>());
        assert_eq!(m.extent().unwrap(), f.extent().unwrap());
    }

    #[test]
    fn amr_mesh_compacts_exactly() {
        let c = amr_cells();
        let mut m = mesh_of(&c);
        let before = m.bytes_per_cell();
        assert!(before > 40.0 && before < 41.0, "{before}");
        let bpc = m.compact().unwrap();
        assert_eq!((m.geometry_kind(), m.values_kind()), ("table", "f64"));
        assert!(bpc <= 24.0, "{bpc}");
        assert_eq!(bpc, m.bytes_per_cell());
        assert!(m.is_compacted());
        assert_decodes_to(&m, &c);
        // idempotent
        assert_eq!(m.compact().unwrap(), bpc);
        assert_decodes_to(&m, &c);
        // two pairs, 32 + 32 distinct x (coarse and fine centres differ)
        if let GeometryRef::Table(t) = m.geometry() {
            assert_eq!(t.pd_table.len(), 2);
            assert_eq!(t.pd_index.len(), m.len());
        } else {
            unreachable!()
        }
    }

    #[test]
    fn compact_geometry_is_read_only() {
        let c = amr_cells();
        let mut m = mesh_of(&c);
        m.compact().unwrap();
        for e in [m.px().unwrap_err(), m.py().unwrap_err(), m.pdx().unwrap_err(), m.pdy().unwrap_err()] {
            assert!(matches!(e, Error::NotStoredAsF64 { .. }));
        }
        let e = m.px_mut().unwrap_err();
        assert!(e.to_string().contains("geometryCopy(\"px\")"), "{e}");
        assert!(m.pdy_mut().is_err());
        assert!(matches!(m.array_copy("pz").unwrap_err(), Error::UnknownArray(_)));
        // the values stay writable
        m.values_mut().unwrap()[0] = 7.0;
        assert_eq!(m.values().unwrap()[0], 7.0);
        m.validate().unwrap();
    }

    #[test]
    fn f32_values_only_when_exact() {
        let mut c = amr_cells();
        for v in c[4].iter_mut() {
            *v = (*v as f32) as f64;
        }
        c[4][3] = f64::NAN;
        c[4][4] = f64::INFINITY;
        c[4][5] = f64::NEG_INFINITY;
        c[4][6] = -0.0;
        c[4][7] = f32::MIN_POSITIVE as f64 / 8.0; // an f32 subnormal
        let mut m = mesh_of(&c);
        let bpc = m.compact().unwrap();
        assert_eq!((m.geometry_kind(), m.values_kind()), ("table", "f32"));
        assert!(bpc <= 20.0, "{bpc}");
        assert_decodes_to(&m, &c);
        assert!(matches!(m.values().unwrap_err(), Error::NotStoredAsF64 { .. }));
        // each of these is not exactly an f32: the values stay f64
        for bad in [0.1, 1e-50, 1e300, f64::from_bits(0x7FF8_0000_0000_0001), f64::from_bits(0x7FF0_0000_0000_0001),
                    f64::from_bits(f64::NAN.to_bits() | (1 << 63) | 1), 1.0 + f64::EPSILON] {
            let mut c2 = c.clone();
            c2[4][9] = bad;
            let mut m2 = mesh_of(&c2);
            m2.compact().unwrap();
            assert_eq!(m2.values_kind(), "f64", "{bad:?} ({:#x})", bad.to_bits());
            assert_decodes_to(&m2, &c2);
        }
    }

    #[test]
    fn set_values_after_compaction_never_loses_bits() {
        let c = amr_cells();
        let mut m = mesh_of(&c);
        m.compact().unwrap();
        assert_eq!(m.values_kind(), "f64");
        let exact: Vec<f64> = c[4].iter().map(|&v| (v as f32) as f64).collect();
        m.set_values(&exact).unwrap();
        assert_eq!(m.values_kind(), "f32");
        assert_eq!(bits(&m.array_copy("values").unwrap()), bits(&exact));
        // f64 values that are not f32: back to f64 storage, every bit kept
        m.set_values_vec(c[4].clone()).unwrap();
        assert_eq!(m.values_kind(), "f64");
        assert_eq!(bits(m.values().unwrap()), bits(&c[4]));
        m.set_values_vec(exact.clone()).unwrap();
        assert_eq!(m.values_kind(), "f32");
        // a writable f64 view turns f32 values back into f64, exactly
        let v = m.values_mut().unwrap();
        assert_eq!(bits(v), bits(&exact));
        v[0] = 0.1;
        assert_eq!(m.values_kind(), "f64");
        assert_eq!(m.compact().unwrap(), m.bytes_per_cell());
        assert_eq!(m.values_kind(), "f64"); // 0.1 is not an f32
        assert!(m.set_values(&[1.0]).is_err());
        // an uncompacted mesh keeps f64 values
        let mut f = mesh_of(&c);
        f.set_values(&exact).unwrap();
        assert_eq!(f.values_kind(), "f64");
    }

    #[test]
    fn not_compactable_meshes_keep_f64_geometry() {
        // random centres: more distinct values than n / 4 + 16
        let mut rng = crate::testing::Rng(7);
        let c = crate::testing::random_cells(&mut rng, 2000, false, false);
        let mut m = mesh_of(&c);
        m.compact().unwrap();
        assert_eq!(m.geometry_kind(), "f64");
        assert_eq!(bits(m.px().unwrap()), bits(&c[0]));
        assert_decodes_to(&m, &c);
        // more than 256 (pdx, pdy) pairs
        let mut c: [Vec<f64>; 5] = Default::default();
        for k in 0..800 {
            c[0].push((k % 40) as f64 * 0.025 + 0.0125);
            c[1].push((k / 40) as f64 * 0.05 + 0.025);
            c[2].push(0.0125 * (1.0 - (k % 300) as f64 * 1e-9));
            c[3].push(0.025);
            c[4].push(k as f64);
        }
        let mut m = mesh_of(&c);
        m.compact().unwrap();
        assert_eq!(m.geometry_kind(), "f64");
        assert_decodes_to(&m, &c);
        // a single cell: the tables would not be smaller
        let one = [vec![0.5], vec![0.25], vec![0.5], vec![0.25], vec![2.0]];
        let mut m = mesh_of(&one);
        let bpc = m.compact().unwrap();
        assert_eq!((m.geometry_kind(), m.values_kind()), ("f64", "f32"));
        assert_eq!(bpc, (32.0 + 4.0 + 64.0));
        assert_decodes_to(&m, &one);
    }

    #[test]
    fn tricky_bit_patterns_decode_exactly() {
        // -0.0 and 0.0, neighbours one ulp apart, subnormals, zero widths
        let mut c = amr_cells();
        let n = c[0].len();
        let tiny = f64::from_bits(1);
        #[allow(clippy::needless_range_loop)]
        for p in 0..n {
            match p % 7 {
                0 => c[0][p] = -0.0,
                1 => c[0][p] = 0.0,
                2 => c[1][p] = f64::from_bits(0.5f64.to_bits() + 1),
                3 => c[1][p] = tiny,
                4 => c[2][p] = 0.0,
                5 => c[3][p] = 0.0,
                _ => {}
            }
        }
        let mut m = mesh_of(&c);
        m.compact().unwrap();
        assert_eq!(m.geometry_kind(), "table");
        assert_decodes_to(&m, &c);
    }

    #[test]
    fn compact_validates_first() {
        let mut m = VariableMesh::with_len(3).unwrap();
        m.pdx_mut().unwrap()[1] = -1.0;
        assert!(matches!(m.compact().unwrap_err(), Error::InvalidHalfWidth { index: 1, .. }));
        assert!(!m.is_compacted());
        m.pdx_mut().unwrap()[1] = 0.0;
        m.compact().unwrap();
    }

    /// The parts as bit patterns (NaN == NaN).
    fn parts_bits(p: &MeshParts) -> (Vec<Vec<u64>>, bool) {
        let f = |v: &[f64]| bits(v);
        let u = |v: &[u32]| v.iter().map(|&x| x as u64).collect::<Vec<_>>();
        let mut out = match &p.geometry {
            GeometryParts::F64 { px, py, pdx, pdy } => vec![vec![0], f(px), f(py), f(pdx), f(pdy)],
            GeometryParts::Table { x_table, x_index, y_table, y_index, pdx_table, pdy_table, pd_index } => vec![
                vec![1], f(x_table), u(x_index), f(y_table), u(y_index), f(pdx_table), f(pdy_table),
                pd_index.iter().map(|&x| x as u64).collect(),
            ],
        };
        out.push(match &p.values {
            ValueParts::F64(v) => f(v),
            ValueParts::F32(v) => v.iter().map(|x| x.to_bits() as u64 | 1 << 40).collect(),
        });
        (out, p.compacted)
    }

    #[test]
    fn parts_rebuild_the_same_mesh() {
        let c = amr_cells();
        let f32v: Vec<f64> = c[4].iter().map(|&v| (v as f32) as f64).collect();
        let mut cases = vec![mesh_of(&c)];
        let mut m = mesh_of(&c);
        m.compact().unwrap();
        cases.push(m.clone());
        m.set_values(&f32v).unwrap();
        cases.push(m);
        let mut rng = crate::testing::Rng(3);
        let mut r = mesh_of(&crate::testing::random_cells(&mut rng, 500, false, false));
        r.compact().unwrap();
        cases.push(r);
        for m in cases {
            let parts = m.to_parts().unwrap();
            let back = VariableMesh::from_parts(parts.clone()).unwrap();
            assert_eq!(parts_bits(&back.to_parts().unwrap()), parts_bits(&parts));
            assert_eq!((back.geometry_kind(), back.values_kind(), back.is_compacted()),
                       (m.geometry_kind(), m.values_kind(), m.is_compacted()));
            assert_eq!(back.bytes_per_cell(), m.bytes_per_cell());
            for name in ["px", "py", "pdx", "pdy", "values"] {
                assert_eq!(bits(&back.array_copy(name).unwrap()), bits(&m.array_copy(name).unwrap()));
            }
        }
    }

    #[test]
    fn bad_parts_are_errors() {
        let c = amr_cells();
        let mut m = mesh_of(&c);
        m.compact().unwrap();
        let good = m.to_parts().unwrap();
        let with = |f: &dyn Fn(&mut GeometryParts)| {
            let mut p = good.clone();
            f(&mut p.geometry);
            VariableMesh::from_parts(p).unwrap_err().to_string()
        };
        macro_rules! table {
            ($g:ident, $body:expr) => {
                with(&|g: &mut GeometryParts| {
                    if let GeometryParts::Table { .. } = g {
                        #[allow(unused_variables)]
                        let $g = g;
                        $body;
                    }
                })
            };
        }
        let e = table!(g, if let GeometryParts::Table { x_index, .. } = g { x_index[5] = 999 });
        assert!(e.contains("xIndex[5] = 999 is outside xTable"), "{e}");
        let e = table!(g, if let GeometryParts::Table { y_index, .. } = g { y_index.pop(); });
        assert!(e.contains("yIndex has"), "{e}");
        let e = table!(g, if let GeometryParts::Table { pd_index, .. } = g { pd_index[0] = 2 });
        assert!(e.contains("pdIndex[0] = 2 is outside"), "{e}");
        let e = table!(g, if let GeometryParts::Table { x_table, .. } = g { x_table[0] = f64::NAN });
        assert!(e.contains("xTable[0] = NaN is not a finite"), "{e}");
        let e = table!(g, if let GeometryParts::Table { pdy_table, .. } = g { pdy_table[1] = -1.0 });
        assert!(e.contains("half widths must be finite and >= 0"), "{e}");
        let e = table!(g, if let GeometryParts::Table { pdy_table, .. } = g { pdy_table.push(1.0) });
        assert!(e.contains("pdxTable has 2 entries, pdyTable 3"), "{e}");
        let e = table!(g, if let GeometryParts::Table { pdx_table, pdy_table, .. } = g {
            pdx_table.resize(300, 0.1);
            pdy_table.resize(300, 0.1);
        });
        assert!(e.contains("at most 256"), "{e}");
        let e = table!(g, if let GeometryParts::Table { x_index, y_index, pd_index, .. } = g {
            x_index.clear();
            y_index.clear();
            pd_index.clear();
        });
        assert!(e.contains("no cells"), "{e}");
        let mut p = good.clone();
        p.values = ValueParts::F32(vec![1.0; 3]);
        assert!(VariableMesh::from_parts(p).unwrap_err().to_string().contains("values"));
        let p = MeshParts {
            geometry: GeometryParts::F64 { px: vec![0.0], py: vec![f64::INFINITY], pdx: vec![0.1], pdy: vec![0.1] },
            values: ValueParts::F64(vec![1.0]),
            compacted: false,
        };
        assert!(matches!(VariableMesh::from_parts(p).unwrap_err(), Error::NonFinitePosition { axis: "py", .. }));
    }
}
