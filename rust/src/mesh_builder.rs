//! A mesh filled a chunk at a time, stored compact as the cells arrive
//! ([`MeshBuilder`]): a file read a slice at a time never has its geometry
//! as f64 arrays in memory (5 x 8 bytes a cell), only the compact form
//! (about 9 bytes a cell plus the tables, see [`crate::variable_mesh`]).
//!
//! # Contract
//! * The arrays come in the order `px`, `py`, `pdx`, `pdy`, each from cell
//!   0 in consecutive chunks (`offset` = the cells of that array received so
//!   far); anything else is an error that names what was expected. (`pdy`
//!   last: a cell's width pair needs its `pdx`.)
//! * Every value is checked as it arrives, with the messages of
//!   [`crate::VariableMesh::validate`]: centres finite, half widths finite
//!   and `>= 0`.
//! * [`MeshBuilder::finish`] returns the mesh that filling f64 arrays and
//!   calling [`crate::VariableMesh::compact`] would give: the same tables in
//!   the same order (first appearance), the same indices, the same choice
//!   between a compact and an f64 geometry (at most
//!   [`crate::variable_mesh::MAX_PAIRS`] width pairs, at most `n / 4 + 16`
//!   distinct centres, smaller than the arrays), so the same deposits bit
//!   for bit. When the cells turn out not to compact (too many distinct
//!   values), what was received is decoded into f64 arrays, exactly, and
//!   the rest is stored there.
//! * Its values are all 0 (f64), to be set with the field
//!   ([`crate::VariableMesh::set_values`] or the writable view); the mesh is
//!   marked compacted, so f32-exact values are stored as f32.

use std::collections::HashMap;

use crate::error::{try_filled, Error, Result};
use crate::variable_mesh::{GeometryParts, MeshParts, Mix, ValueParts, VariableMesh, MAX_PAIRS};

/// The arrays, in the order they must come.
pub const ARRAYS: [&str; 4] = ["px", "py", "pdx", "pdy"];

/// Builds a [`VariableMesh`] of `n` cells array by array (see the module
/// docs).
#[derive(Debug)]
pub struct MeshBuilder {
    n: usize,
    /// Cells received of each of [`ARRAYS`].
    received: [usize; 4],
    storage: Storage,
}

#[derive(Debug)]
enum Storage {
    Table(Box<Tables>),
    F64([Vec<f64>; 4]),
}

/// The compact form while it is built.
#[derive(Debug)]
struct Tables {
    /// Most distinct centres, `px` and `py` together.
    cap: usize,
    x: Distinct<u32>,
    y: Distinct<u32>,
    /// Distinct `pdx` values (while `pdx` arrives, `pd_index` holds indices
    /// into this table; as `pdy` arrives, indices of pairs).
    pdx: Distinct<u8>,
    pairs: HashMap<(u8, u64), u8, Mix>,
    pd_table: Vec<[f64; 2]>,
    pd_index: Vec<u8>,
}

/// A table of distinct f64 values (by bit pattern, in order of first
/// appearance) and each cell's index in it.
#[derive(Debug)]
struct Distinct<I> {
    map: HashMap<u64, I, Mix>,
    table: Vec<f64>,
    index: Vec<I>,
    last: Option<(u64, I)>,
}

impl<I: Copy + TryFrom<usize>> Distinct<I> {
    fn new() -> Self {
        Distinct { map: HashMap::default(), table: Vec::new(), index: Vec::new(), last: None }
    }

    /// The index of `v` (added if new), or `None` when the table would get
    /// more than `cap` entries.
    #[inline(always)]
    fn find(&mut self, v: f64, cap: usize, what: &'static str) -> Result<Option<I>> {
        let bits = v.to_bits();
        if let Some((b, i)) = self.last {
            if b == bits {
                return Ok(Some(i));
            }
        }
        let i = match self.map.get(&bits) {
            Some(&i) => i,
            None => {
                if self.table.len() >= cap {
                    return Ok(None);
                }
                let Ok(i) = I::try_from(self.table.len()) else { return Ok(None) };
                self.map.try_reserve(1).map_err(|_| alloc(what, 2 * self.table.len()))?;
                self.table.try_reserve(1).map_err(|_| alloc(what, self.table.len()))?;
                self.map.insert(bits, i);
                self.table.push(v);
                i
            }
        };
        self.last = Some((bits, i));
        Ok(Some(i))
    }
}

fn alloc(what: &'static str, n: usize) -> Error {
    Error::AllocationFailed { what, bytes: n.saturating_mul(8) }
}

fn reserve<T>(v: &mut Vec<T>, n: usize, what: &'static str) -> Result<()> {
    v.try_reserve_exact(n)
        .map_err(|_| Error::AllocationFailed { what, bytes: n.saturating_mul(std::mem::size_of::<T>()) })
}

impl MeshBuilder {
    /// A builder of a mesh of `n >= 1` cells; reserves the compact indices
    /// (9 bytes a cell).
    pub fn new(n: usize) -> Result<Self> {
        if n == 0 {
            return Err(Error::EmptyMesh);
        }
        let mut t = Tables {
            cap: (n / 4 + 16).min(u32::MAX as usize),
            x: Distinct::new(),
            y: Distinct::new(),
            pdx: Distinct::new(),
            pairs: HashMap::default(),
            pd_table: Vec::new(),
            pd_index: Vec::new(),
        };
        reserve(&mut t.x.index, n, "the compact mesh's px index")?;
        reserve(&mut t.y.index, n, "the compact mesh's py index")?;
        reserve(&mut t.pd_index, n, "the compact mesh's width index")?;
        Ok(MeshBuilder { n, received: [0; 4], storage: Storage::Table(Box::new(t)) })
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Always `false` (a builder has at least one cell).
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Whether the cells received so far are held compact.
    pub fn is_compact(&self) -> bool {
        matches!(self.storage, Storage::Table(_))
    }

    /// The next cells `offset..offset + chunk.len()` of array `name` (one
    /// of [`ARRAYS`], in that order; see the module docs).
    pub fn put(&mut self, name: &str, offset: usize, chunk: &[f64]) -> Result<()> {
        let Some(a) = ARRAYS.iter().position(|&k| k == name) else {
            return Err(Error::UnknownArray(name.to_string()));
        };
        let order = |m: String| Err(Error::MeshBuild(m));
        if let Some(k) = (0..a).find(|&k| self.received[k] < self.n) {
            return order(format!(
                "{name} came before all of {} ({} of {} cells): the arrays come px, py, pdx, pdy",
                ARRAYS[k], self.received[k], self.n
            ));
        }
        if offset != self.received[a] {
            return order(format!(
                "{name} at cell {offset}, expected at cell {} (consecutive chunks from cell 0)",
                self.received[a]
            ));
        }
        if chunk.len() > self.n - offset {
            return Err(Error::LengthMismatch { what: ARRAYS[a], expected: self.n, actual: offset + chunk.len() });
        }
        // the checks of VariableMesh::validate, with the cell's index
        let axis = ARRAYS[a];
        for (i, &v) in chunk.iter().enumerate() {
            let bad = if a < 2 { !v.is_finite() } else { !(v.is_finite() && v >= 0.0) };
            if bad {
                let index = offset + i;
                return Err(if a < 2 {
                    Error::NonFinitePosition { axis, index, value: v }
                } else {
                    Error::InvalidHalfWidth { axis, index, value: v }
                });
            }
        }
        let fits = match &mut self.storage {
            Storage::Table(t) => t.put(a, offset, chunk)?,
            Storage::F64(arrays) => {
                arrays[a][offset..offset + chunk.len()].copy_from_slice(chunk);
                true
            }
        };
        if !fits {
            // (nothing of this chunk was stored: decoded what came before, then it)
            self.decode_to_f64()?;
            if let Storage::F64(arrays) = &mut self.storage {
                arrays[a][offset..offset + chunk.len()].copy_from_slice(chunk);
            }
        }
        self.received[a] += chunk.len();
        Ok(())
    }

    /// Turn the compact form into f64 arrays: what was received decoded
    /// (the very values put), the rest 0.
    fn decode_to_f64(&mut self) -> Result<()> {
        let Storage::Table(t) = &self.storage else { return Ok(()) };
        let n = self.n;
        let mut arrays = [
            try_filled(n, 0.0, "px")?,
            try_filled(n, 0.0, "py")?,
            try_filled(n, 0.0, "pdx")?,
            try_filled(n, 0.0, "pdy")?,
        ];
        let [rx, ry, rdx, rdy] = self.received;
        for (p, &i) in t.x.index[..rx].iter().enumerate() {
            arrays[0][p] = t.x.table[i as usize];
        }
        for (p, &i) in t.y.index[..ry].iter().enumerate() {
            arrays[1][p] = t.y.table[i as usize];
        }
        // pd_index: pairs for the cells with a pdy, pdx indices after them
        for (p, &i) in t.pd_index[..rdx].iter().enumerate() {
            let i = i as usize;
            if p < rdy {
                arrays[2][p] = t.pd_table[i][0];
                arrays[3][p] = t.pd_table[i][1];
            } else {
                arrays[2][p] = t.pdx.table[i];
            }
        }
        self.storage = Storage::F64(arrays);
        Ok(())
    }

    /// The mesh (see the module docs), once every array is complete.
    pub fn finish(mut self) -> Result<VariableMesh> {
        if let Some(k) = (0..4).find(|&k| self.received[k] < self.n) {
            return Err(Error::MeshBuild(format!(
                "{} has {} of {} cells: every array must be complete",
                ARRAYS[k], self.received[k], self.n
            )));
        }
        let n = self.n;
        if let Storage::Table(t) = &self.storage {
            let bytes = 8 * (t.x.table.len() + t.y.table.len()) + 4 * 2 * n + 16 * t.pd_table.len() + n;
            if bytes >= 32 * n {
                // not smaller than the arrays (tiny meshes): f64, as compact() decides
                self.decode_to_f64()?;
            }
        }
        let values = ValueParts::F64(try_filled(n, 0.0, "values")?);
        let geometry = match self.storage {
            Storage::F64([px, py, pdx, pdy]) => GeometryParts::F64 { px, py, pdx, pdy },
            Storage::Table(mut t) => {
                t.x.table.shrink_to_fit();
                t.y.table.shrink_to_fit();
                GeometryParts::Table {
                    x_table: t.x.table,
                    x_index: t.x.index,
                    y_table: t.y.table,
                    y_index: t.y.index,
                    pdx_table: t.pd_table.iter().map(|p| p[0]).collect(),
                    pdy_table: t.pd_table.iter().map(|p| p[1]).collect(),
                    pd_index: t.pd_index,
                }
            }
        };
        VariableMesh::from_parts(MeshParts { geometry, values, compacted: true })
    }
}

impl Tables {
    /// Store a chunk of array `a` (checked, in order); `false` (nothing
    /// stored) when the cells no longer compact.
    fn put(&mut self, a: usize, offset: usize, chunk: &[f64]) -> Result<bool> {
        match a {
            0 | 1 => {
                let (d, other) = if a == 0 { (&mut self.x, self.y.table.len()) } else { (&mut self.y, self.x.table.len()) };
                let cap = self.cap - other.min(self.cap);
                let start = d.index.len();
                for &v in chunk {
                    match d.find(v, cap, "the compact mesh's centres")? {
                        Some(i) => d.index.push(i),
                        None => {
                            d.index.truncate(start);
                            return Ok(false);
                        }
                    }
                }
            }
            2 => {
                let start = self.pd_index.len();
                for &v in chunk {
                    // (more than MAX_PAIRS distinct pdx: more than MAX_PAIRS pairs)
                    match self.pdx.find(v, MAX_PAIRS, "the compact mesh's widths")? {
                        Some(i) => self.pd_index.push(i),
                        None => {
                            self.pd_index.truncate(start);
                            return Ok(false);
                        }
                    }
                }
            }
            _ => {
                let mut last: Option<((u8, u64), u8)> = None;
                for (k, &v) in chunk.iter().enumerate() {
                    let p = offset + k;
                    let key = (self.pd_index[p], v.to_bits());
                    let i = match last {
                        Some((l, i)) if l == key => i,
                        _ => {
                            let i = match self.pairs.get(&key) {
                                Some(&i) => i,
                                None => {
                                    if self.pd_table.len() >= MAX_PAIRS {
                                        // undo this chunk's pairs (back to pdx indices)
                                        for q in offset..p {
                                            let dx = self.pd_table[self.pd_index[q] as usize][0];
                                            self.pd_index[q] = self.pdx.map[&dx.to_bits()];
                                        }
                                        return Ok(false);
                                    }
                                    let i = self.pd_table.len() as u8;
                                    self.pairs.try_reserve(1).map_err(|_| alloc("the compact mesh's width table", 64))?;
                                    self.pairs.insert(key, i);
                                    self.pd_table.push([self.pdx.table[key.0 as usize], v]);
                                    i
                                }
                            };
                            last = Some((key, i));
                            i
                        }
                    };
                    self.pd_index[p] = i;
                }
            }
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FixedResolutionBuffer;

    /// xorshift64*: deterministic test data.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    /// An AMR-like mesh: levels 0..levels of a unit square, cells of a few
    /// sizes, optionally with every centre jittered (distinct: no compaction).
    fn amr(rng: &mut Rng, n: usize, levels: u32, jitter: bool) -> [Vec<f64>; 4] {
        let mut a: [Vec<f64>; 4] = Default::default();
        for _ in 0..n {
            let l = rng.below(levels as u64) as i32;
            let cells = 1u64 << (l + 2);
            let h = 0.5 / cells as f64;
            let (i, j) = (rng.below(cells), rng.below(cells));
            let mut x = (2 * i + 1) as f64 * h;
            if jitter {
                x += (rng.below(1000) as f64) * 1e-9;
            }
            a[0].push(x);
            a[1].push((2 * j + 1) as f64 * h);
            a[2].push(h);
            a[3].push(h * if l % 3 == 2 { 0.5 } else { 1.0 });
        }
        a
    }

    /// Filled in chunks of random sizes.
    fn built(a: &[Vec<f64>; 4], rng: &mut Rng, max_chunk: usize) -> Result<VariableMesh> {
        let n = a[0].len();
        let mut b = MeshBuilder::new(n)?;
        for (k, name) in ARRAYS.iter().enumerate() {
            let mut at = 0;
            while at < n {
                let len = (1 + rng.below(max_chunk as u64) as usize).min(n - at);
                b.put(name, at, &a[k][at..at + len])?;
                at += len;
            }
        }
        b.finish()
    }

    /// The old way: f64 arrays, then compact().
    fn compacted(a: &[Vec<f64>; 4]) -> VariableMesh {
        let n = a[0].len();
        let mut m = VariableMesh::new(a[0].clone(), a[1].clone(), a[2].clone(), a[3].clone(), vec![0.0; n]).unwrap();
        m.compact().unwrap();
        m
    }

    /// The same geometry storage (the values are the field's, set later).
    fn same_parts(a: &VariableMesh, b: &VariableMesh) {
        assert_eq!(a.to_parts().unwrap().geometry, b.to_parts().unwrap().geometry);
        assert_eq!(a.geometry_kind(), b.geometry_kind());
    }

    #[test]
    fn same_mesh_as_compact_after_the_arrays() {
        let mut rng = Rng(0x1234_5678_9abc_def1);
        for (n, levels, jitter, chunk) in [
            (1, 1, false, 1),
            (3, 2, false, 2),
            (40, 3, false, 7),
            (1000, 4, false, 1000),
            (5000, 6, false, 333),
            (5000, 6, false, 1),
            (5000, 6, true, 999),
            (20000, 8, false, 4096),
        ] {
            let a = amr(&mut rng, n, levels, jitter);
            let m = built(&a, &mut rng, chunk).unwrap();
            same_parts(&m, &compacted(&a));
            assert!(m.is_compacted());
            if n >= 1000 {
                assert_eq!(m.geometry_kind(), if jitter { "f64" } else { "table" }, "n={n} jitter={jitter}");
            }
        }
    }

    #[test]
    fn falls_back_to_f64_at_each_array() {
        let mut rng = Rng(7);
        // too many distinct px / py / pdx / pairs, each found mid-array
        let n = 4000;
        let base = amr(&mut rng, n, 5, false);
        for which in 0..4 {
            let mut a = base.clone();
            for p in n / 2..n {
                match which {
                    0 => a[0][p] = p as f64 * 1e-6,
                    1 => a[1][p] = p as f64 * 1e-6,
                    2 => a[2][p] = 1e-3 + (p % 300) as f64 * 1e-7,
                    _ => a[3][p] = 1e-3 + (p % 300) as f64 * 1e-7,
                }
            }
            for chunk in [1, 97, 4000] {
                let m = built(&a, &mut rng, chunk).unwrap();
                assert_eq!(m.geometry_kind(), "f64", "array {which}");
                same_parts(&m, &compacted(&a));
            }
        }
    }

    #[test]
    fn deposits_the_same_bits() {
        let mut rng = Rng(99);
        let a = amr(&mut rng, 3000, 5, false);
        let values: Vec<f64> = (0..3000).map(|i| (i as f64 * 0.37).sin() + 2.0).collect();
        let mut m = built(&a, &mut rng, 256).unwrap();
        m.set_values(&values).unwrap();
        let old = VariableMesh::new(a[0].clone(), a[1].clone(), a[2].clone(), a[3].clone(), values).unwrap();
        for view in [[0.0, 1.0, 0.0, 1.0], [0.3, 0.55, 0.21, 0.4]] {
            let mut f1 = FixedResolutionBuffer::new(97, 61).unwrap();
            let mut f2 = FixedResolutionBuffer::new(97, 61).unwrap();
            let b = crate::Bounds::new(view[0], view[1], view[2], view[3]);
            f1.deposit(&m, b, true).unwrap();
            f2.deposit(&old, b, true).unwrap();
            let bits = |f: &FixedResolutionBuffer| f.values().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&f1), bits(&f2));
        }
    }

    #[test]
    fn errors_name_what_is_wrong() {
        let mut b = MeshBuilder::new(4).unwrap();
        let e = b.put("py", 0, &[0.0]).unwrap_err().to_string();
        assert!(e.contains("py came before all of px (0 of 4 cells)"), "{e}");
        b.put("px", 0, &[0.0, 1.0]).unwrap();
        let e = b.put("px", 3, &[0.0]).unwrap_err().to_string();
        assert!(e.contains("px at cell 3, expected at cell 2"), "{e}");
        let e = b.put("px", 2, &[0.0, f64::NAN]).unwrap_err();
        assert_eq!(e.to_string(), "cell centre px[3] = NaN is not a finite number");
        let e = b.put("px", 2, &[0.0, 1.0, 2.0]).unwrap_err();
        assert!(matches!(e, Error::LengthMismatch { .. }), "{e}");
        b.put("px", 2, &[0.0, 1.0]).unwrap();
        b.put("py", 0, &[0.0; 4]).unwrap();
        let e = b.put("pdx", 0, &[0.1, -0.1, 0.1, 0.1]).unwrap_err();
        assert_eq!(e.to_string(), "cell half-width pdx[1] = -0.1 must be finite and >= 0");
        assert!(matches!(b.put("pz", 0, &[]), Err(Error::UnknownArray(_))));
        b.put("pdx", 0, &[0.1; 4]).unwrap();
        let b2 = MeshBuilder::new(4).unwrap();
        assert!(b2.finish().unwrap_err().to_string().contains("px has 0 of 4 cells"));
        assert_eq!(MeshBuilder::new(0).unwrap_err(), Error::EmptyMesh);
        let e = b.finish().unwrap_err().to_string();
        assert!(e.contains("pdy has 0 of 4 cells"), "{e}");
    }
}
