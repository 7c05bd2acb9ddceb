//! # ytlite-pixelizer
//!
//! Rust core of *ytlite*: turns a yt AMR slice/projection (a "variable mesh"
//! of rectangular cells) into an RGBA image in the browser, reproducing yt
//! 4.4.3 + matplotlib. Two separate stages (datashader style), so a colormap
//! or normalization change re-runs only the cheap second one:
//!
//! 1. **Deposit** ([`FixedResolutionBuffer::deposit`]): cells -> f64 buffer,
//!    bit-for-bit port of yt's `pixelize_cartesian`
//!    (see [`reference`](mod@reference) for the exact contract).
//! 2. **Shade** ([`FixedResolutionBuffer::shade`]): f64 buffer ->
//!    [`Normalization`] (matplotlib `Normalize` / `LogNorm` / `SymLogNorm`)
//!    -> [`Colormap`] (matplotlib `Colormap.__call__(..., bytes=True)`) ->
//!    RGBA8.
//!
//! ## Conventions
//! * Cells: `px, py` centres, `pdx, pdy` **half** widths (yt's convention);
//!   cell `i` covers `[px-pdx, px+pdx] x [py-pdy, py+pdy]`.
//! * Value buffer: `height` rows x `width` columns, row-major, **row 0 at
//!   `y_min`** (yt/matplotlib `origin="lower"`); uncovered pixels are NaN.
//! * RGBA buffer: same size, **row 0 at the top (`y_max`)**, i.e. flipped,
//!   ready for `new ImageData(rgbaView, width, height)` + `putImageData`.
//! * Antialiased deposition gives the area-weighted *sum* of overlapping
//!   cells in pixel units (no division by covered area), exactly like yt.
//!
//! ## Performance design (results unchanged, bit for bit)
//! * **Deposit** ([`deposit`]): yt's arithmetic with rows outer / columns
//!   inner, per-cell column overlaps and per-row overlaps precomputed,
//!   zero-contribution rows/columns trimmed, branch-free paths for cells
//!   spanning at most 1x1, 2x2 or 4x4 pixels, `f64x2` SIMD rows in wasm,
//!   and **culling** through a two-level index of bounding boxes of
//!   consecutive cells (64 cells, 64 x 64 cells) built when the mesh is
//!   validated ([`variable_mesh`]): cells are never reordered, so a zoomed
//!   view costs about the cells it shows, not the whole mesh. No per-frame
//!   allocation.
//! * **Shade** ([`shade`]): every pixel gets a colour *code* (LUT entry,
//!   under, over or bad); codes are cached with the deposit generation, the
//!   resolved normalization and the colormap size, so a colormap-only
//!   change is a table gather. Codes are computed without per-pixel
//!   `log10`: exact per-rank thresholds found by bisection on the f64 bit
//!   patterns with the shading formula itself (cached per normalization),
//!   guard bands around every threshold where the formula is evaluated
//!   directly, and a bucket table over the bit patterns of `[vmin, vmax]`.
//! * **Automatic limits** ([`auto_limits`]): one SIMD min/max pass, cached
//!   per deposit ([`FixedResolutionBuffer::value_range`]).
//! * **Mesh memory**: the JS constructor / `setValues` take ownership of the
//!   copies wasm-bindgen makes (no second copy): ~1.02x the raw f64 bytes
//!   including the culling index (~1.3 %), 40.5 bytes per cell.
//!   `mesh.compact()` ([`VariableMesh::compact`]) then holds the *same f64
//!   values* in ~17.6 bytes per cell on AMR slices (13.6 with f32 values):
//!   tables of the distinct `px`, `py` and `(pdx, pdy)` values with a `u32`
//!   / `u32` / `u8` index per cell, values in f32 only when every one is
//!   exactly an f32; no value is recomputed, so the deposits are the same
//!   bits (exact by construction; the deposit is monomorphised per storage,
//!   the f64 instance unchanged). Meshes it would not shrink (more than 256
//!   width pairs, more than `n / 4 + 16` distinct centres) keep f64 arrays.
//!
//! Because of those caches, `frb.values()` must be treated as read-only.
//!
//! ## Modules
//! Each module uses only the ones listed before it (no cycle):
//! * [`error`]: [`Error`], [`Result`], [`MAX_DIMENSION`];
//! * [`bounds`]: the view rectangle [`Bounds`] and yt's `fmin`/`fmax`;
//! * [`auto_limits`]: [`value_range`], the min/max scan for automatic limits;
//! * [`variable_mesh`]: the cells ([`VariableMesh`]), their storage (f64
//!   arrays or compact) and their culling index;
//! * [`mesh_builder`]: [`MeshBuilder`], a mesh filled a slice at a time
//!   (a file being read), compact as the cells come;
//! * [`colormap`], [`normalization`]: the matplotlib-compatible shade stage;
//! * [`reference`](mod@reference): [`pixelize_cartesian`], the reference
//!   port of yt's loop, and the deposit contract;
//! * [`cost`]: the cells a deposit of a view will visit (from the index);
//! * [`deposit`], [`shade`]: the fast paths, bit-identical to the reference
//!   and to the definition of shading;
//! * [`preview`](mod@preview): previews of a view from exact images of others
//!   (their values, or their colour codes);
//! * [`fixed_resolution_buffer`]: [`FixedResolutionBuffer`], which runs them
//!   on reused buffers with their caches, and [`RowBand`], one band of rows
//!   of its deposit.
//!
//! ## Errors
//! Every fallible operation returns [`Error`] (clear `Display` messages); no
//! input makes this crate panic. The wasm layer turns errors into JS
//! exceptions (`Error` objects carrying the same message).
//!
//! ## JavaScript API (wasm-bindgen, `--target web`)
//! ```text
//! new VariableMesh(px, py, pdx, pdy, values)   // Float64Arrays; throws on invalid input
//! VariableMesh.withLength(n)                   // zero-filled, fill via the views below
//! mesh.pxView() / pyView() / pdxView() / pdyView() / valuesView() -> Float64Array (no copy)
//! mesh.geometryView("px" | "py" | "pdx" | "pdy") -> Float64Array read-only view (keeps it validated)
//! mesh.setValues(values)                       // switch field, same geometry
//! mesh.validate()                              // optional: re-check geometry now
//! mesh.len() -> number ; mesh.extent() -> Float64Array [xmin, xmax, ymin, ymax]
//! mesh.cellsInView(xMin, xMax, yMin, yMax, periodX?, periodY?) -> number  // what a deposit will visit
//! mesh.compact() -> number                     // in place, after filling; returns bytesPerCell
//! mesh.bytesPerCell -> number                  // arrays + tables + culling index, per cell
//! mesh.geometryKind -> "f64"|"table" ; mesh.valuesKind -> "f64"|"f32"
//! mesh.geometryCopy(name) -> Float64Array      // "px"|"py"|"pdx"|"pdy"|"values", decoded copy
//! mesh.parts() -> {kind, compacted, ...typed arrays}   // copies, for another instance
//! VariableMesh.fromParts(parts)                // the same mesh (storage, deposits) here
//! mesh.partsLayout() -> parts() with the arrays' lengths (and valuesKind) for the arrays
//! mesh.partView(name) -> typed array           // a part, no copy ("xIndex", "values", ...)
//! new PartsBuilder(layout)                     // a partsLayout(): the arrays allocated here
//! partsBuilder.view(name) -> typed array       // writable: the part, written a chunk at a time
//! partsBuilder.finish() -> VariableMesh        // = fromParts(the parts written)
//! mesh.ySplits(k) -> Float64Array              // k - 1 heights: k strips of about as many cells
//! mesh.stripMask(lo, hi, periodY) -> Uint8Array   // 1 for the cells rows inside lo < y < hi need
//! mesh.stripRuns(lo, hi, periodY, most) -> Uint32Array | undefined  // those cells as [start, end) runs
//! mesh.subset(mask) -> VariableMesh            // those cells, in order, stored alike (a worker's strip)
//!
//! new MeshBuilder(n)                           // a mesh filled a chunk at a time, compact as it comes
//! builder.put("px"|"py"|"pdx"|"pdy", offset, chunk)  // in that order, consecutive chunks from 0
//! builder.compact -> bool                      // the cells so far held compact
//! builder.finish() -> VariableMesh             // = filled f64 arrays + compact(); values 0
//!
//! new FixedResolutionBuffer(width, height)     // 1..=8192 each
//! frb.deposit(mesh, xMin, xMax, yMin, yMax, antialias)
//! frb.depositPeriodic(mesh, xMin, xMax, yMin, yMax, antialias, periodX, periodY)
//! frb.values() -> Float64Array view (read-only) ; frb.valuesCopy() -> Float64Array copy
//! frb.rowsForWriting(row0, row1) -> Float64Array view of those rows, to store a worker's band
//!                                   into (a new deposit: caches dropped)
//! frb.valueRange(log) -> Float64Array [min, max]      // throws if no valid value
//! frb.shade(colormap, normalization) -> Float64Array [vmin, vmax] used
//! frb.shadeDirect(colormap, normalization)     // same, by the definition (slow; for tests)
//! frb.rgba() -> Uint8ClampedArray view (width*height*4, row 0 = top)
//! frb.width, frb.height
//!
//! new RowBand()                                // one band of rows; buffers grow once, then reused
//! band.depositRows(mesh, xMin, xMax, yMin, yMax, width, height, row0, row1, antialias)
//! band.depositRowsPeriodic(mesh, xMin, xMax, yMin, yMax, width, height, row0, row1,
//!                          antialias, periodX, periodY)
//! band.values() -> Float64Array view (read-only) ; band.valuesCopy() -> Float64Array copy
//! band.valueAt(mesh, xMin, xMax, yMin, yMax, width, height, row, col, antialias[, periodX, periodY])
//!                     -> number    // one pixel of that image (a read-out): its cells only
//! band.width, band.height, band.row0, band.row1
//!
//! new Previews()                              // exact images kept to make previews from (`preview` module)
//! previews.remember(frb, xMin, xMax, yMin, yMax)  // frb's values: the exact image of that view
//! previews.rememberOverview(values, width, height, xMin, xMax, yMin, yMax) -> bool  // a wider one
//! previews.covers(xMin, xMax, yMin, yMax) -> bool ; previews.clear() ; previews.hasImages
//! frb.drawPreview(previews, xMin, xMax, yMin, yMax) -> bool   // the values: a preview (a new deposit)
//! frb.shadePreview(previews, xMin, xMax, yMin, yMax, colormap, norm) -> Float64Array [vmin, vmax, colours]
//!                                   // drawPreview + shade's pixels, from kept colour codes (values not made)
//! frb.preparePreview(previews, colormap, norm) -> bool  // those codes made now (at rest), an image a call; true: all made
//!
//! new Colormap(lut)                            // Uint8Array, 4*N bytes, N >= 2
//! cmap.setBad(r,g,b,a) / setUnder(r,g,b,a) / setOver(r,g,b,a) ; cmap.length
//!
//! Normalization.linear(vmin?, vmax?)           // undefined or NaN => automatic
//! Normalization.log(vmin?, vmax?)
//! Normalization.symlog(vmin, vmax, linthresh)  // linscale = 1, base = 10
//! Normalization.symlogWithScale(vmin, vmax, linthresh, linscale, base)
//! norm.scale -> "linear"|"log"|"symlog" ; norm.vmin / norm.vmax -> number|undefined
//! ```
//! **Row bands** (for splitting one image between workers): `depositRows`
//! gives exactly rows `row0..row1` of the image `frb.deposit` /
//! `depositPeriodic` would give for a `width x height` buffer over the same
//! bounds (and periods, antialias), bit for bit: pixel `(i, j)` with `row0
//! <= i < row1` spans `[px_dx*j + xMin, px_dx*(j+1) + xMin] x [px_dy*i +
//! yMin, px_dy*(i+1) + yMin]` with `px_dx = (xMax - xMin) / width`, `px_dy
//! = (yMax - yMin) / height` (the *whole* image's grid) and holds yt's
//! `pixelize_cartesian` value (cells in input order, the `1e-6` tests), NaN
//! where no cell deposited. `values()` has `(row1 - row0) * width` values,
//! row-major, its row `k` being image row `row0 + k` (row 0 of the image at
//! `yMin`), so the bands of a split of `0..height` concatenated in row
//! order are `frb.values()`. Requires `1 <= width, height <= 8192` and
//! `0 <= row0 < row1 <= height`: an empty band throws (split into at most
//! `height` bands). Throws, changing nothing, on any invalid input (the
//! messages of `deposit`). Splitting the *cells* between workers would not
//! be exact (a pixel's sum depends on the cells' order).
//!
//! **Compact meshes** (for memory: one mesh per Web Worker). Fill the mesh
//! as before (`withLength(n)` + views, or the constructor), then
//! `mesh.compact()`: it validates the geometry (throwing its errors), converts
//! the storage in place and returns `bytesPerCell` (~17.6 on AMR slices
//! instead of ~40.5; ~13.6 when every value is exactly an f32, as
//! `extract --float32` writes them); idempotent. Every deposit of the mesh
//! (`deposit`, `depositPeriodic`, `RowBand` bands) is then bit for bit what
//! it was, and `extent()` the same. The mesh chooses its storage:
//! `geometryKind` is `"table"` when the tables are smaller than the arrays,
//! else it stays `"f64"`; `valuesKind` is `"f32"` only when every value
//! survives `f32` exactly (NaN payloads included). A `"table"` geometry is
//! read-only: `pxView()` .. `pdyView()` throw (an `Error` naming
//! `geometryCopy`), and `geometryCopy(name)` returns a decoded Float64Array
//! copy (any storage; also `"values"`). Switching fields keeps working:
//! `setValues(values)` on a compacted mesh stores them as f32 when every one
//! is exactly an f32, else as f64 (never a lost bit); `valuesView()` turns
//! f32 values back into f64 ones (exactly) and returns the usual writable
//! view (call `compact()` again after writing to shrink them back).
//! `mesh.parts()` returns a plain object of typed-array copies (structured-
//! clonable, the arrays transferable): `{kind: "f64", compacted, px, py, pdx,
//! pdy, values}` or `{kind: "table", compacted, xTable, xIndex (Uint32Array),
//! yTable, yIndex (Uint32Array), pdxTable, pdyTable, pdIndex (Uint8Array),
//! values}`, `values` a Float64Array or a Float32Array;
//! `VariableMesh.fromParts(parts)` in any instance of the module rebuilds the
//! identical mesh (same storage, same deposits), one copy of each array into
//! its memory, checking every invariant (indices inside their tables, finite
//! centres, half widths >= 0, lengths; throws `invalid mesh parts: ...`).
//! The same a piece at a time, with no whole copy of any array outside the
//! two instances (a deposit worker's copy): `mesh.partsLayout()` (the parts
//! with each array but `pdxTable`/`pdyTable` given as its length) makes a
//! `PartsBuilder` there, each array goes from `mesh.partView(name)` here to
//! `builder.view(name)` there in chunks, and `builder.finish()` checks and
//! returns the mesh `fromParts` would.
//!
//! **Views** (`*View()`, `values()`, `rgba()`) alias wasm linear memory: they
//! become detached (length 0) whenever wasm memory grows, which can happen on
//! any allocation (creating a mesh or buffer, `valuesCopy`, errors...).
//! Re-acquire them after such calls; never keep them across frames. Writing
//! geometry through the mesh views marks the mesh for re-validation before
//! the next deposit.

// `!(a < b)` is used deliberately throughout so that NaN fails validation.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

pub mod auto_limits;
pub mod bounds;
pub mod colormap;
pub mod cost;
pub mod deposit;
pub mod error;
pub mod fixed_resolution_buffer;
pub mod mesh_builder;
pub mod normalization;
pub mod preview;
pub mod reference;
pub mod shade;
#[cfg(test)]
mod testing;
pub mod variable_mesh;

pub use auto_limits::value_range;
pub use bounds::Bounds;
pub use colormap::Colormap;
pub use cost::cells_in_view;
pub use error::{Error, Result, MAX_DIMENSION};
pub use fixed_resolution_buffer::{FixedResolutionBuffer, RowBand};
pub use mesh_builder::MeshBuilder;
pub use normalization::{Normalization, ResolvedNormalization, Scale};
pub use preview::Previews;
pub use reference::pixelize_cartesian;
pub use variable_mesh::VariableMesh;

#[cfg(target_arch = "wasm32")]
mod wasm {
    //! wasm-bindgen wrappers: thin, every error becomes a JS exception.
    use js_sys::{Float64Array, Uint8ClampedArray};
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;

    use crate::{Bounds, Error};

    fn js(e: Error) -> JsError {
        JsError::new(&e.to_string())
    }

    /// NaN or undefined -> automatic limit.
    fn auto(v: Option<f64>) -> Option<f64> {
        v.filter(|x| !x.is_nan())
    }

    /// Cells of a yt slice/projection (`pdx`/`pdy` are half widths).
    #[wasm_bindgen(js_name = VariableMesh)]
    pub struct JsVariableMesh {
        inner: crate::VariableMesh,
    }

    #[wasm_bindgen(js_class = VariableMesh)]
    impl JsVariableMesh {
        /// Copy and validate the arrays (equal, non-zero lengths; finite
        /// centres; finite half-widths >= 0; any values).
        #[wasm_bindgen(constructor)]
        ///
        /// The arrays arrive as owned `Vec`s: wasm-bindgen's copy of each
        /// JS array *is* the mesh storage (peak memory 1x the raw bytes).
        pub fn new(
            px: Vec<f64>,
            py: Vec<f64>,
            pdx: Vec<f64>,
            pdy: Vec<f64>,
            values: Vec<f64>,
        ) -> Result<JsVariableMesh, JsError> {
            crate::VariableMesh::new(px, py, pdx, pdy, values)
                .map(|inner| JsVariableMesh { inner })
                .map_err(js)
        }

        /// Zero-filled mesh of `n` cells, to fill through the views.
        #[wasm_bindgen(js_name = withLength)]
        pub fn with_length(n: usize) -> Result<JsVariableMesh, JsError> {
            crate::VariableMesh::with_len(n)
                .map(|inner| JsVariableMesh { inner })
                .map_err(js)
        }

        /// Replace the field values (same length), keeping the geometry.
        #[wasm_bindgen(js_name = setValues)]
        pub fn set_values(&mut self, values: Vec<f64>) -> Result<(), JsError> {
            self.inner.set_values_vec(values).map_err(js)
        }

        /// Validate the geometry now (otherwise done lazily by deposit).
        pub fn validate(&self) -> Result<(), JsError> {
            self.inner.validate().map_err(js)
        }

        /// `validate`, unless the geometry is known unchanged since the last
        /// check (no writable geometry view handed out since): a field's new
        /// values need no check, and rebuilding the culling index of a
        /// 50 M-cell mesh took ~0.8 s of its load.
        #[wasm_bindgen(js_name = ensureValid)]
        pub fn ensure_valid(&self) -> Result<(), JsError> {
            self.inner.ensure_valid().map_err(js)
        }

        /// Number of cells.
        #[allow(clippy::len_without_is_empty)]
        pub fn len(&self) -> usize {
            self.inner.len()
        }

        /// `[xmin, xmax, ymin, ymax]` of the cell edges.
        pub fn extent(&self) -> Result<Vec<f64>, JsError> {
            self.inner.extent().map(|e| e.to_vec()).map_err(js)
        }

        /// Cells a deposit of this view visits (at most; `cost` module):
        /// `periodX, periodY` > 0 count the periodic images too.
        #[allow(non_snake_case)]
        #[wasm_bindgen(js_name = cellsInView)]
        pub fn cells_in_view(
            &self,
            xMin: f64,
            xMax: f64,
            yMin: f64,
            yMax: f64,
            periodX: Option<f64>,
            periodY: Option<f64>,
        ) -> Result<f64, JsError> {
            let period = periodX.zip(periodY);
            crate::cells_in_view(&self.inner, Bounds::new(xMin, xMax, yMin, yMax), period.map(|(x, y)| [x, y]))
                .map(|n| n as f64)
                .map_err(js)
        }

        /// Read-only view of one geometry array, `"px"`, `"py"`, `"pdx"` or
        /// `"pdy"` (no copy; invalidated when wasm memory grows): reading
        /// the cells through it keeps the mesh validated, unlike the
        /// writable views below. Throws on a compacted geometry
        /// (`geometryCopy` then).
        #[wasm_bindgen(js_name = geometryView)]
        pub fn geometry_view(&self, name: &str) -> Result<Float64Array, JsError> {
            let a = match name {
                "px" => self.inner.px(),
                "py" => self.inner.py(),
                "pdx" => self.inner.pdx(),
                "pdy" => self.inner.pdy(),
                _ => return Err(JsError::new(&format!("no geometry array \"{name}\" (px, py, pdx or pdy)"))),
            }
            .map_err(js)?;
            Ok(unsafe { Float64Array::view(a) })
        }

        /// Writable view of `px` (invalidated when wasm memory grows); throws
        /// on a compacted geometry (no f64 array: `geometryCopy("px")`).
        #[wasm_bindgen(js_name = pxView)]
        pub fn px_view(&mut self) -> Result<Float64Array, JsError> {
            let s = self.inner.px_mut().map_err(js)?;
            Ok(unsafe { Float64Array::view_mut_raw(s.as_mut_ptr(), s.len()) })
        }
        /// Writable view of `py` (invalidated when wasm memory grows); throws
        /// on a compacted geometry.
        #[wasm_bindgen(js_name = pyView)]
        pub fn py_view(&mut self) -> Result<Float64Array, JsError> {
            let s = self.inner.py_mut().map_err(js)?;
            Ok(unsafe { Float64Array::view_mut_raw(s.as_mut_ptr(), s.len()) })
        }
        /// Writable view of `pdx` (half widths; invalidated when memory
        /// grows); throws on a compacted geometry.
        #[wasm_bindgen(js_name = pdxView)]
        pub fn pdx_view(&mut self) -> Result<Float64Array, JsError> {
            let s = self.inner.pdx_mut().map_err(js)?;
            Ok(unsafe { Float64Array::view_mut_raw(s.as_mut_ptr(), s.len()) })
        }
        /// Writable view of `pdy` (half widths; invalidated when memory
        /// grows); throws on a compacted geometry.
        #[wasm_bindgen(js_name = pdyView)]
        pub fn pdy_view(&mut self) -> Result<Float64Array, JsError> {
            let s = self.inner.pdy_mut().map_err(js)?;
            Ok(unsafe { Float64Array::view_mut_raw(s.as_mut_ptr(), s.len()) })
        }
        /// Writable view of the values (invalidated when memory grows).
        /// Values held as f32 (compacted) are turned back into f64 first.
        #[wasm_bindgen(js_name = valuesView)]
        pub fn values_view(&mut self) -> Result<Float64Array, JsError> {
            let s = self.inner.values_mut().map_err(js)?;
            Ok(unsafe { Float64Array::view_mut_raw(s.as_mut_ptr(), s.len()) })
        }

        /// Convert the storage in place to its compact form (same deposits,
        /// bit for bit; see the crate doc); validates the geometry first.
        /// Idempotent. Returns `bytesPerCell`.
        pub fn compact(&mut self) -> Result<f64, JsError> {
            self.inner.compact().map_err(js)
        }

        /// Bytes held per cell (arrays, tables, culling index) / cells.
        #[wasm_bindgen(getter, js_name = bytesPerCell)]
        pub fn bytes_per_cell(&self) -> f64 {
            self.inner.bytes_per_cell()
        }

        /// `"f64"` (four Float64Arrays) or `"table"` (compacted).
        #[wasm_bindgen(getter, js_name = geometryKind)]
        pub fn geometry_kind(&self) -> String {
            self.inner.geometry_kind().to_string()
        }

        /// `"f64"` or `"f32"` (compacted, every value exactly an f32).
        #[wasm_bindgen(getter, js_name = valuesKind)]
        pub fn values_kind(&self) -> String {
            self.inner.values_kind().to_string()
        }

        /// A decoded copy of `"px"`, `"py"`, `"pdx"`, `"pdy"` or
        /// `"values"` (whatever the storage), as a Float64Array.
        #[wasm_bindgen(js_name = geometryCopy)]
        pub fn geometry_copy(&self, name: &str) -> Result<Vec<f64>, JsError> {
            self.inner.array_copy(name).map_err(js)
        }

        /// The storage as it is, one typed-array copy per array (to post
        /// to a worker, transferable): `{kind: "f64", compacted, px, py,
        /// pdx, pdy, values}` or `{kind: "table", compacted, xTable,
        /// xIndex, yTable, yIndex, pdxTable, pdyTable, pdIndex, values}`
        /// (`values`: a Float64Array or a Float32Array). Validates first.
        pub fn parts(&self) -> Result<js_sys::Object, JsError> {
            self.parts_object(false)
        }

        /// `parts()` with every array but the (small) `pdxTable` and
        /// `pdyTable` given as its length, plus `valuesKind`: what a
        /// `PartsBuilder` in another instance needs before the arrays
        /// arrive a piece at a time (`partView`). Validates first.
        #[wasm_bindgen(js_name = partsLayout)]
        pub fn parts_layout(&self) -> Result<js_sys::Object, JsError> {
            self.parts_object(true)
        }

        /// A view (no copy; invalidated when wasm memory grows; read it,
        /// do not write it) of the part `name` of `parts()` (all but
        /// `pdxTable` and `pdyTable`, which `partsLayout()` holds).
        #[wasm_bindgen(js_name = partView)]
        pub fn part_view(&self, name: &str) -> Result<JsValue, JsError> {
            use crate::variable_mesh::{GeometryRef, ValuesRef};
            use js_sys::{Float32Array, Uint32Array, Uint8Array};
            // (safe while no allocation happens before the view is used: the caller copies it at once)
            let view: JsValue = unsafe {
                match (self.inner.geometry(), name) {
                    (_, "values") => match self.inner.values_ref() {
                        ValuesRef::F64(v) => Float64Array::view(v).into(),
                        ValuesRef::F32(v) => Float32Array::view(v).into(),
                    },
                    (GeometryRef::F64(g), "px") => Float64Array::view(g.px).into(),
                    (GeometryRef::F64(g), "py") => Float64Array::view(g.py).into(),
                    (GeometryRef::F64(g), "pdx") => Float64Array::view(g.pdx).into(),
                    (GeometryRef::F64(g), "pdy") => Float64Array::view(g.pdy).into(),
                    (GeometryRef::Table(t), "xTable") => Float64Array::view(t.x_table).into(),
                    (GeometryRef::Table(t), "xIndex") => Uint32Array::view(t.x_index).into(),
                    (GeometryRef::Table(t), "yTable") => Float64Array::view(t.y_table).into(),
                    (GeometryRef::Table(t), "yIndex") => Uint32Array::view(t.y_index).into(),
                    (GeometryRef::Table(t), "pdIndex") => Uint8Array::view(t.pd_index).into(),
                    _ => return Err(js(Error::InvalidParts(format!(
                        "no part {name:?} to view in a mesh of {} geometry", self.inner.geometry_kind())))),
                }
            };
            Ok(view)
        }

        fn parts_object(&self, layout: bool) -> Result<js_sys::Object, JsError> {
            use crate::variable_mesh::{GeometryRef, ValuesRef};
            use js_sys::{Float32Array, Object, Reflect, Uint32Array, Uint8Array};
            self.inner.ensure_valid().map_err(js)?;
            let o = Object::new();
            let set = |k: &str, v: &JsValue| {
                Reflect::set(&o, &JsValue::from_str(k), v).map(|_| ()).map_err(|_| JsError::new("parts(): cannot set a property"))
            };
            // (a copy of an array, or in a layout its length: the copy is made only when wanted)
            let part = |k: &str, len: usize, copy: &dyn Fn() -> JsValue| {
                set(k, &if layout { JsValue::from_f64(len as f64) } else { copy() })
            };
            set("kind", &JsValue::from_str(self.inner.geometry_kind()))?;
            set("compacted", &JsValue::from_bool(self.inner.is_compacted()))?;
            match self.inner.geometry() {
                GeometryRef::F64(g) => {
                    for (k, v) in [("px", g.px), ("py", g.py), ("pdx", g.pdx), ("pdy", g.pdy)] {
                        part(k, v.len(), &|| Float64Array::from(v).into())?;
                    }
                }
                GeometryRef::Table(t) => {
                    part("xTable", t.x_table.len(), &|| Float64Array::from(t.x_table).into())?;
                    part("xIndex", t.x_index.len(), &|| Uint32Array::from(t.x_index).into())?;
                    part("yTable", t.y_table.len(), &|| Float64Array::from(t.y_table).into())?;
                    part("yIndex", t.y_index.len(), &|| Uint32Array::from(t.y_index).into())?;
                    let pdx: Vec<f64> = t.pd_table.iter().map(|p| p[0]).collect();
                    let pdy: Vec<f64> = t.pd_table.iter().map(|p| p[1]).collect();
                    set("pdxTable", &Float64Array::from(&pdx[..]).into())?;
                    set("pdyTable", &Float64Array::from(&pdy[..]).into())?;
                    part("pdIndex", t.pd_index.len(), &|| Uint8Array::from(t.pd_index).into())?;
                }
            }
            match self.inner.values_ref() {
                ValuesRef::F64(v) => part("values", v.len(), &|| Float64Array::from(v).into())?,
                ValuesRef::F32(v) => part("values", v.len(), &|| Float32Array::from(v).into())?,
            }
            if layout {
                set("valuesKind", &JsValue::from_str(self.inner.values_kind()))?;
            }
            Ok(o)
        }

        /// One byte per cell, 1 for the cells a deposit of rows inside the
        /// strip `lo < y < hi` needs (with their periodic images by
        /// `periodY`; `VariableMesh::strip_mask`): `subset(mask)` is a
        /// deposit worker's mesh for such rows (`lite/js/core/parallel.js`).
        #[wasm_bindgen(js_name = stripMask)]
        pub fn strip_mask(&self, lo: f64, hi: f64, period_y: f64) -> Result<Vec<u8>, JsError> {
            self.inner.strip_mask(lo, hi, period_y).map_err(js)
        }

        /// The cells `stripMask` keeps as runs, `[start0, end0, start1,
        /// end1, ...]` (`[start, end)`, increasing, never adjacent), or
        /// `undefined` past `most` runs (cells in no spatial order: the mask
        /// is the smaller form then). A yt slice's strip: a few runs, where
        /// its mask is a byte per cell.
        #[wasm_bindgen(js_name = stripRuns)]
        pub fn strip_runs(&self, lo: f64, hi: f64, period_y: f64, most: usize) -> Result<Option<Vec<u32>>, JsError> {
            self.inner.strip_runs(lo, hi, period_y, most).map_err(js)
        }

        /// A new mesh of the cells `mask` keeps (non-zero), in their order,
        /// stored as this one is. Free it when done.
        pub fn subset(&self, mask: &[u8]) -> Result<JsVariableMesh, JsError> {
            self.inner.subset(mask).map(|inner| JsVariableMesh { inner }).map_err(js)
        }

        /// `k - 1` heights splitting the cells' centres into `k` strips of
        /// about as many cells each (fewer where the centres take few places).
        #[wasm_bindgen(js_name = ySplits)]
        pub fn y_splits(&self, k: usize) -> Result<Vec<f64>, JsError> {
            self.inner.y_splits(k).map_err(js)
        }

        /// Rebuild, in this wasm instance, the mesh `parts()` described (in
        /// this or another instance): the same storage, the same deposits.
        /// One copy of each array into wasm memory; every invariant checked
        /// (throws on inconsistent parts).
        #[wasm_bindgen(js_name = fromParts)]
        pub fn from_parts(parts: &JsValue) -> Result<JsVariableMesh, JsError> {
            parts_to_mesh(parts).map(|inner| JsVariableMesh { inner }).map_err(js)
        }
    }

    /// A mesh filled a chunk at a time (`mesh_builder` module): a file
    /// read a slice at a time goes into the compact form without ever
    /// being f64 arrays in wasm memory.
    #[wasm_bindgen(js_name = MeshBuilder)]
    pub struct JsMeshBuilder {
        inner: Option<crate::MeshBuilder>,
    }

    #[wasm_bindgen(js_class = MeshBuilder)]
    impl JsMeshBuilder {
        /// A builder of `n >= 1` cells (reserves the compact indices).
        #[wasm_bindgen(constructor)]
        pub fn new(n: usize) -> Result<JsMeshBuilder, JsError> {
            crate::MeshBuilder::new(n).map(|b| JsMeshBuilder { inner: Some(b) }).map_err(js)
        }

        /// The next cells `offset..` of `name` ("px", "py", "pdx", "pdy",
        /// in that order, consecutive chunks from cell 0); checked as they
        /// come (finite centres, finite half widths >= 0).
        pub fn put(&mut self, name: &str, offset: usize, chunk: &[f64]) -> Result<(), JsError> {
            self.builder()?.put(name, offset, chunk).map_err(js)
        }

        /// Whether the cells received so far are held compact.
        #[wasm_bindgen(getter)]
        pub fn compact(&self) -> bool {
            self.inner.as_ref().is_some_and(|b| b.is_compact())
        }

        /// The mesh (every array complete); the builder is then spent.
        pub fn finish(&mut self) -> Result<JsVariableMesh, JsError> {
            self.builder()?;
            let b = self.inner.take().ok_or_else(|| JsError::new("building a mesh: already finished"))?;
            b.finish().map(|inner| JsVariableMesh { inner }).map_err(js)
        }

        fn builder(&mut self) -> Result<&mut crate::MeshBuilder, JsError> {
            self.inner.as_mut().ok_or_else(|| JsError::new("building a mesh: already finished"))
        }
    }

    /// Reads the object `parts()` makes (see `fromParts`).
    fn parts_to_mesh(parts: &JsValue) -> Result<crate::VariableMesh, Error> {
        crate::VariableMesh::from_parts(parts_from_js(parts, false)?)
    }

    /// The parts `parts` (as `mesh.parts()` gives them) describes, copied
    /// into wasm memory; with `lengths`, an array may be given as its length
    /// instead (`partsLayout()`: zeros, written later through
    /// `PartsBuilder.view`).
    fn parts_from_js(parts: &JsValue, lengths: bool) -> Result<crate::variable_mesh::MeshParts, Error> {
        use crate::variable_mesh::{GeometryParts, MeshParts, ValueParts};
        use js_sys::{Float32Array, Reflect, Uint32Array, Uint8Array};
        let bad = |m: String| Error::InvalidParts(m);
        if !parts.is_object() {
            return Err(bad("expected the object mesh.parts() returns".into()));
        }
        let get = |k: &str| Reflect::get(parts, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED);
        // one copy into wasm memory (or zeros of a length), failing cleanly if memory runs out
        macro_rules! vec_of {
            ($k:expr, $ty:ty, $arr:ty, $name:expr) => {{
                let v = get($k);
                let (len, array) = match v.as_f64() {
                    Some(n) if lengths => {
                        if !(n >= 0.0 && n.fract() == 0.0 && n <= u32::MAX as f64) {
                            return Err(bad(format!("parts.{} must be a {} or a length (a whole number >= 0), not {n}", $k, $name)));
                        }
                        (n as usize, None)
                    }
                    _ => {
                        let a = v.dyn_into::<$arr>().map_err(|_| bad(format!("parts.{} must be a {}", $k, $name)))?;
                        (a.length() as usize, Some(a))
                    }
                };
                let mut out: Vec<$ty> = Vec::new();
                out.try_reserve_exact(len).map_err(|_| Error::AllocationFailed {
                    what: "a mesh part",
                    bytes: len.saturating_mul(std::mem::size_of::<$ty>()),
                })?;
                out.resize(len, Default::default());
                if let Some(a) = array {
                    a.copy_to(&mut out);
                }
                out
            }};
        }
        let compacted = get("compacted");
        let compacted = compacted.as_bool().ok_or_else(|| bad("parts.compacted must be a boolean".into()))?;
        let kind = get("kind").as_string().unwrap_or_default();
        let values = {
            let v = get("values");
            let f32_length = lengths && v.as_f64().is_some() && get("valuesKind").as_string().as_deref() == Some("f32");
            if v.is_instance_of::<Float32Array>() || f32_length {
                ValueParts::F32(vec_of!("values", f32, Float32Array, "Float32Array"))
            } else {
                ValueParts::F64(vec_of!("values", f64, Float64Array, "Float64Array or a Float32Array"))
            }
        };
        let geometry = match kind.as_str() {
            "f64" => GeometryParts::F64 {
                px: vec_of!("px", f64, Float64Array, "Float64Array"),
                py: vec_of!("py", f64, Float64Array, "Float64Array"),
                pdx: vec_of!("pdx", f64, Float64Array, "Float64Array"),
                pdy: vec_of!("pdy", f64, Float64Array, "Float64Array"),
            },
            "table" => GeometryParts::Table {
                x_table: vec_of!("xTable", f64, Float64Array, "Float64Array"),
                x_index: vec_of!("xIndex", u32, Uint32Array, "Uint32Array"),
                y_table: vec_of!("yTable", f64, Float64Array, "Float64Array"),
                y_index: vec_of!("yIndex", u32, Uint32Array, "Uint32Array"),
                pdx_table: vec_of!("pdxTable", f64, Float64Array, "Float64Array"),
                pdy_table: vec_of!("pdyTable", f64, Float64Array, "Float64Array"),
                pd_index: vec_of!("pdIndex", u8, Uint8Array, "Uint8Array"),
            },
            _ => return Err(bad(format!("parts.kind must be \"f64\" or \"table\", not \"{kind}\""))),
        };
        Ok(MeshParts { geometry, values, compacted })
    }

    /// A mesh of another instance rebuilt here from its parts sent a
    /// piece at a time (a deposit worker's copy: no whole copy of any
    /// array in a message, see lite/js/core/parallel.js): made from
    /// `mesh.partsLayout()` there (every array allocated here at its
    /// length), each array written through `view(name)`, then `finish()`
    /// checks every invariant, as `VariableMesh.fromParts` does.
    #[wasm_bindgen(js_name = PartsBuilder)]
    pub struct JsPartsBuilder {
        parts: Option<crate::variable_mesh::MeshParts>,
    }

    #[wasm_bindgen(js_class = PartsBuilder)]
    impl JsPartsBuilder {
        #[wasm_bindgen(constructor)]
        pub fn new(layout: &JsValue) -> Result<JsPartsBuilder, JsError> {
            parts_from_js(layout, true).map(|p| JsPartsBuilder { parts: Some(p) }).map_err(js)
        }

        /// A writable view (no copy; invalidated when wasm memory grows:
        /// write it at once) of the part `name` (as `partView` names it).
        pub fn view(&mut self, name: &str) -> Result<JsValue, JsError> {
            use crate::variable_mesh::{GeometryParts, ValueParts};
            use js_sys::{Float32Array, Uint32Array, Uint8Array};
            let parts = self.parts.as_mut().ok_or_else(|| JsError::new("this PartsBuilder has made its mesh"))?;
            let view: JsValue = unsafe {
                match (&mut parts.geometry, name) {
                    (_, "values") => match &mut parts.values {
                        ValueParts::F64(v) => Float64Array::view_mut_raw(v.as_mut_ptr(), v.len()).into(),
                        ValueParts::F32(v) => Float32Array::view_mut_raw(v.as_mut_ptr(), v.len()).into(),
                    },
                    (GeometryParts::F64 { px: v, .. }, "px")
                    | (GeometryParts::F64 { py: v, .. }, "py")
                    | (GeometryParts::F64 { pdx: v, .. }, "pdx")
                    | (GeometryParts::F64 { pdy: v, .. }, "pdy")
                    | (GeometryParts::Table { x_table: v, .. }, "xTable")
                    | (GeometryParts::Table { y_table: v, .. }, "yTable") => Float64Array::view_mut_raw(v.as_mut_ptr(), v.len()).into(),
                    (GeometryParts::Table { x_index: v, .. }, "xIndex") | (GeometryParts::Table { y_index: v, .. }, "yIndex") => {
                        Uint32Array::view_mut_raw(v.as_mut_ptr(), v.len()).into()
                    }
                    (GeometryParts::Table { pd_index: v, .. }, "pdIndex") => Uint8Array::view_mut_raw(v.as_mut_ptr(), v.len()).into(),
                    _ => return Err(js(Error::InvalidParts(format!("no part {name:?} to write in these parts")))),
                }
            };
            Ok(view)
        }

        /// The mesh (every invariant checked); the builder is then spent.
        pub fn finish(&mut self) -> Result<JsVariableMesh, JsError> {
            let parts = self.parts.take().ok_or_else(|| JsError::new("this PartsBuilder has made its mesh"))?;
            crate::VariableMesh::from_parts(parts).map(|inner| JsVariableMesh { inner }).map_err(js)
        }
    }

    /// Deposited image + RGBA output (both allocated once).
    #[wasm_bindgen(js_name = FixedResolutionBuffer)]
    pub struct JsFixedResolutionBuffer {
        inner: crate::FixedResolutionBuffer,
    }

    #[wasm_bindgen(js_class = FixedResolutionBuffer)]
    impl JsFixedResolutionBuffer {
        /// `width` columns (x) by `height` rows (y), each in 1..=8192.
        #[wasm_bindgen(constructor)]
        pub fn new(width: u32, height: u32) -> Result<JsFixedResolutionBuffer, JsError> {
            crate::FixedResolutionBuffer::new(width as usize, height as usize)
                .map(|inner| JsFixedResolutionBuffer { inner })
                .map_err(js)
        }

        #[wasm_bindgen(getter)]
        pub fn width(&self) -> u32 {
            self.inner.width() as u32
        }

        #[wasm_bindgen(getter)]
        pub fn height(&self) -> u32 {
            self.inner.height() as u32
        }

        /// Reset to NaN and deposit (yt `pixelize_cartesian`, no periodicity).
        #[allow(clippy::too_many_arguments, non_snake_case)]
        pub fn deposit(
            &mut self,
            mesh: &JsVariableMesh,
            xMin: f64,
            xMax: f64,
            yMin: f64,
            yMax: f64,
            antialias: bool,
        ) -> Result<(), JsError> {
            self.inner
                .deposit(&mesh.inner, Bounds::new(xMin, xMax, yMin, yMax), antialias)
                .map_err(js)
        }

        /// Reset to NaN and deposit with periodic images (periods > 0).
        #[allow(clippy::too_many_arguments, non_snake_case)]
        #[wasm_bindgen(js_name = depositPeriodic)]
        pub fn deposit_periodic(
            &mut self,
            mesh: &JsVariableMesh,
            xMin: f64,
            xMax: f64,
            yMin: f64,
            yMax: f64,
            antialias: bool,
            periodX: f64,
            periodY: f64,
        ) -> Result<(), JsError> {
            self.inner
                .deposit_periodic(
                    &mesh.inner,
                    Bounds::new(xMin, xMax, yMin, yMax),
                    antialias,
                    periodX,
                    periodY,
                )
                .map_err(js)
        }

        /// View of the deposited values (row 0 = y_min; no copy;
        /// invalidated when wasm memory grows). Read-only: `shade` caches
        /// data derived from the values until the next deposit.
        pub fn values(&self) -> Float64Array {
            unsafe { Float64Array::view(self.inner.values()) }
        }

        /// Copy of the deposited values.
        #[wasm_bindgen(js_name = valuesCopy)]
        pub fn values_copy(&self) -> Vec<f64> {
            self.inner.values().to_vec()
        }

        /// Make the values a preview of this view from `previews` (a new
        /// deposit, then `shade` as usual); false when it has no image.
        #[allow(non_snake_case)]
        #[wasm_bindgen(js_name = drawPreview)]
        pub fn draw_preview(
            &mut self,
            previews: &mut JsPreviews,
            xMin: f64,
            xMax: f64,
            yMin: f64,
            yMax: f64,
        ) -> Result<bool, JsError> {
            self.inner.preview(&mut previews.inner, Bounds::new(xMin, xMax, yMin, yMax)).map_err(js)
        }

        /// A preview of this view from `previews`, shaded (`shadePreview`:
        /// the pixels `drawPreview` then `shade` give, from colour codes the
        /// kept images keep per normalization); returns `[vmin, vmax,
        /// colours]`, colours = pixels the scale can show (0: no data in
        /// view). The values are not made: read the pixels only.
        #[allow(non_snake_case, clippy::too_many_arguments)]
        #[wasm_bindgen(js_name = shadePreview)]
        pub fn shade_preview(
            &mut self,
            previews: &mut JsPreviews,
            xMin: f64,
            xMax: f64,
            yMin: f64,
            yMax: f64,
            colormap: &JsColormap,
            norm: &JsNormalization,
        ) -> Result<Vec<f64>, JsError> {
            self.inner
                .shade_preview(&mut previews.inner, Bounds::new(xMin, xMax, yMin, yMax), &colormap.inner, &norm.inner)
                .map(|(a, b, c)| vec![a, b, c as f64])
                .map_err(js)
        }

        /// The colour codes `shadePreview` takes from the images `previews`
        /// keeps, for this colormap and normalization, made now (at rest):
        /// one image a call; true when all are made.
        #[wasm_bindgen(js_name = preparePreview)]
        pub fn prepare_preview(
            &mut self,
            previews: &mut JsPreviews,
            colormap: &JsColormap,
            norm: &JsNormalization,
        ) -> Result<bool, JsError> {
            self.inner.prepare_preview(&mut previews.inner, &colormap.inner, &norm.inner).map_err(js)
        }

        /// Writable view of rows `row0..row1` of the values, for storing
        /// the same rows deposited by a worker (`RowBand.values()` there):
        /// counts as a new deposit (every cache dropped). Write it at once
        /// (invalidated when wasm memory grows).
        #[wasm_bindgen(js_name = rowsForWriting)]
        pub fn rows_for_writing(&mut self, row0: u32, row1: u32) -> Result<Float64Array, JsError> {
            let rows = self.inner.rows_mut(row0 as usize, row1 as usize).map_err(js)?;
            Ok(unsafe { Float64Array::view_mut_raw(rows.as_mut_ptr(), rows.len()) })
        }

        /// `[min, max]` of finite (and, if `log`, positive) values.
        #[wasm_bindgen(js_name = valueRange)]
        pub fn value_range(&self, log: bool) -> Result<Vec<f64>, JsError> {
            self.inner
                .value_range(log)
                .map(|(a, b)| vec![a, b])
                .map_err(js)
        }

        /// Fill the RGBA buffer in place; returns the `[vmin, vmax]` used.
        pub fn shade(
            &mut self,
            colormap: &JsColormap,
            norm: &JsNormalization,
        ) -> Result<Vec<f64>, JsError> {
            self.inner
                .shade(&colormap.inner, &norm.inner)
                .map(|(a, b)| vec![a, b])
                .map_err(js)
        }

        /// `shade` by the definition, pixel by pixel (slow: a reference for
        /// tests and debugging); same result, same return value.
        #[wasm_bindgen(js_name = shadeDirect)]
        pub fn shade_direct(
            &mut self,
            colormap: &JsColormap,
            norm: &JsNormalization,
        ) -> Result<Vec<f64>, JsError> {
            self.inner
                .shade_direct(&colormap.inner, &norm.inner)
                .map(|(a, b)| vec![a, b])
                .map_err(js)
        }

        /// View of the RGBA8 pixels (row 0 = top; no copy; invalidated when
        /// wasm memory grows): `new ImageData(frb.rgba(), w, h)`.
        pub fn rgba(&self) -> Uint8ClampedArray {
            // `Uint8ClampedArray::view` (js-sys 0.3.107) goes through the
            // generic `&[u8]` cast and yields a plain `Uint8Array`, which
            // `ImageData` rejects; build the clamped view explicitly.
            let rgba = self.inner.rgba();
            let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
            Uint8ClampedArray::new_with_byte_offset_and_length(
                &memory.buffer(),
                rgba.as_ptr() as u32,
                rgba.len() as u32,
            )
        }
    }

    /// Rows `row0..row1` of a `width x height` deposit (see the crate doc:
    /// "Row bands"), in a buffer reused from call to call.
    #[wasm_bindgen(js_name = RowBand)]
    pub struct JsRowBand {
        inner: crate::RowBand,
    }

    #[wasm_bindgen(js_class = RowBand)]
    impl JsRowBand {
        /// An empty band (memory comes with the first deposit).
        #[wasm_bindgen(constructor)]
        #[allow(clippy::new_without_default)]
        pub fn new() -> JsRowBand {
            JsRowBand { inner: crate::RowBand::new() }
        }

        /// Reset to NaN and deposit the rows `row0..row1` of the `width x
        /// height` image (yt `pixelize_cartesian`, no periodicity).
        #[allow(clippy::too_many_arguments, non_snake_case)]
        #[wasm_bindgen(js_name = depositRows)]
        pub fn deposit_rows(
            &mut self,
            mesh: &JsVariableMesh,
            xMin: f64,
            xMax: f64,
            yMin: f64,
            yMax: f64,
            width: u32,
            height: u32,
            row0: u32,
            row1: u32,
            antialias: bool,
        ) -> Result<(), JsError> {
            let b = Bounds::new(xMin, xMax, yMin, yMax);
            let (w, h, r0, r1) = (width as usize, height as usize, row0 as usize, row1 as usize);
            self.inner.deposit_rows(&mesh.inner, b, w, h, r0, r1, antialias).map_err(js)
        }

        /// `depositRows` with periodic images (periods > 0).
        #[allow(clippy::too_many_arguments, non_snake_case)]
        #[wasm_bindgen(js_name = depositRowsPeriodic)]
        pub fn deposit_rows_periodic(
            &mut self,
            mesh: &JsVariableMesh,
            xMin: f64,
            xMax: f64,
            yMin: f64,
            yMax: f64,
            width: u32,
            height: u32,
            row0: u32,
            row1: u32,
            antialias: bool,
            periodX: f64,
            periodY: f64,
        ) -> Result<(), JsError> {
            let b = Bounds::new(xMin, xMax, yMin, yMax);
            let (w, h, r0, r1) = (width as usize, height as usize, row0 as usize, row1 as usize);
            self.inner
                .deposit_rows_periodic(&mesh.inner, b, w, h, r0, r1, antialias, periodX, periodY)
                .map_err(js)
        }

        /// The value of pixel (`row`, `col`) (row 0 at `yMin`) of the `width x
        /// height` image (with periodic images when `periodX`, `periodY` are
        /// given, > 0): that pixel of `FixedResolutionBuffer.deposit`'s (or
        /// `depositPeriodic`'s), bit for bit (NaN: no cell there), visiting only
        /// the cells that may reach it (a read-out, not a whole row).
        #[allow(clippy::too_many_arguments, non_snake_case)]
        #[wasm_bindgen(js_name = valueAt)]
        pub fn value_at(
            &mut self,
            mesh: &JsVariableMesh,
            xMin: f64,
            xMax: f64,
            yMin: f64,
            yMax: f64,
            width: u32,
            height: u32,
            row: u32,
            col: u32,
            antialias: bool,
            periodX: Option<f64>,
            periodY: Option<f64>,
        ) -> Result<f64, JsError> {
            let b = Bounds::new(xMin, xMax, yMin, yMax);
            // (one period given without the other: NaN, refused as a period)
            let period = (periodX.is_some() || periodY.is_some())
                .then(|| [periodX.unwrap_or(f64::NAN), periodY.unwrap_or(f64::NAN)]);
            let (w, h, r, c) = (width as usize, height as usize, row as usize, col as usize);
            self.inner.value_at(&mesh.inner, b, w, h, r, c, antialias, period).map_err(js)
        }

        /// View of the band's values (`(row1 - row0) * width`, row k = image
        /// row `row0 + k`; no copy; invalidated when wasm memory grows).
        pub fn values(&self) -> Float64Array {
            unsafe { Float64Array::view(self.inner.values()) }
        }

        /// Copy of the band's values (to transfer to another thread).
        #[wasm_bindgen(js_name = valuesCopy)]
        pub fn values_copy(&self) -> Vec<f64> {
            self.inner.values().to_vec()
        }

        /// Width of the image and of the band's rows (0 before a deposit).
        #[wasm_bindgen(getter)]
        pub fn width(&self) -> u32 {
            self.inner.width() as u32
        }
        /// Height of the whole image (0 before a deposit).
        #[wasm_bindgen(getter)]
        pub fn height(&self) -> u32 {
            self.inner.height() as u32
        }
        /// First image row of the band.
        #[wasm_bindgen(getter)]
        pub fn row0(&self) -> u32 {
            self.inner.row0() as u32
        }
        /// One past the last image row of the band.
        #[wasm_bindgen(getter)]
        pub fn row1(&self) -> u32 {
            self.inner.row1() as u32
        }
    }

    /// The exact images previews are made from (`preview` module).
    #[wasm_bindgen(js_name = Previews)]
    pub struct JsPreviews {
        inner: crate::Previews,
    }

    #[wasm_bindgen(js_class = Previews)]
    impl JsPreviews {
        #[wasm_bindgen(constructor)]
        #[allow(clippy::new_without_default)]
        pub fn new() -> JsPreviews {
            JsPreviews { inner: crate::Previews::new() }
        }

        /// Keep the buffer's values, the exact image of this view (copied).
        #[allow(non_snake_case)]
        pub fn remember(
            &mut self,
            frb: &JsFixedResolutionBuffer,
            xMin: f64,
            xMax: f64,
            yMin: f64,
            yMax: f64,
        ) -> Result<(), JsError> {
            let f = &frb.inner;
            self.inner
                .remember(f.values(), f.width(), f.height(), Bounds::new(xMin, xMax, yMin, yMax))
                .map_err(js)
        }

        /// Keep `values` (`width x height`, row 0 at yMin), the exact image of
        /// this view, as the widest image if it is wider (the newest stays):
        /// an overview, so that any later view has a preview.
        #[allow(clippy::too_many_arguments, non_snake_case)]
        #[wasm_bindgen(js_name = rememberOverview)]
        pub fn remember_overview(
            &mut self,
            values: &[f64],
            width: u32,
            height: u32,
            xMin: f64,
            xMax: f64,
            yMin: f64,
            yMax: f64,
        ) -> Result<bool, JsError> {
            let b = Bounds::new(xMin, xMax, yMin, yMax);
            self.inner.remember_overview(values, width as usize, height as usize, b).map_err(js)
        }

        /// True when an image covers the whole of this view.
        #[allow(non_snake_case)]
        pub fn covers(&self, xMin: f64, xMax: f64, yMin: f64, yMax: f64) -> bool {
            self.inner.covers(Bounds::new(xMin, xMax, yMin, yMax))
        }

        /// Forget every image.
        pub fn clear(&mut self) {
            self.inner.clear();
        }

        #[wasm_bindgen(getter, js_name = hasImages)]
        pub fn has_images(&self) -> bool {
            self.inner.has_images()
        }
    }

    /// RGBA8 lookup table (matplotlib `cmap(np.arange(N), bytes=True)`).
    #[wasm_bindgen(js_name = Colormap)]
    pub struct JsColormap {
        inner: crate::Colormap,
    }

    #[wasm_bindgen(js_class = Colormap)]
    impl JsColormap {
        #[wasm_bindgen(constructor)]
        pub fn new(lut: &[u8]) -> Result<JsColormap, JsError> {
            crate::Colormap::new(lut)
                .map(|inner| JsColormap { inner })
                .map_err(js)
        }

        /// Number of entries N.
        #[wasm_bindgen(getter)]
        pub fn length(&self) -> usize {
            self.inner.len()
        }

        #[wasm_bindgen(js_name = setBad)]
        pub fn set_bad(&mut self, r: u8, g: u8, b: u8, a: u8) {
            self.inner.set_bad([r, g, b, a]);
        }

        #[wasm_bindgen(js_name = setUnder)]
        pub fn set_under(&mut self, r: u8, g: u8, b: u8, a: u8) {
            self.inner.set_under([r, g, b, a]);
        }

        #[wasm_bindgen(js_name = setOver)]
        pub fn set_over(&mut self, r: u8, g: u8, b: u8, a: u8) {
            self.inner.set_over([r, g, b, a]);
        }
    }

    /// Linear / log / symlog normalization; `undefined` or `NaN` limits are
    /// automatic (resolved from the buffer at shade time).
    #[wasm_bindgen(js_name = Normalization)]
    pub struct JsNormalization {
        inner: crate::Normalization,
    }

    #[wasm_bindgen(js_class = Normalization)]
    impl JsNormalization {
        pub fn linear(vmin: Option<f64>, vmax: Option<f64>) -> Result<JsNormalization, JsError> {
            crate::Normalization::linear(auto(vmin), auto(vmax))
                .map(|inner| JsNormalization { inner })
                .map_err(js)
        }

        pub fn log(vmin: Option<f64>, vmax: Option<f64>) -> Result<JsNormalization, JsError> {
            crate::Normalization::log(auto(vmin), auto(vmax))
                .map(|inner| JsNormalization { inner })
                .map_err(js)
        }

        pub fn symlog(
            vmin: Option<f64>,
            vmax: Option<f64>,
            linthresh: f64,
        ) -> Result<JsNormalization, JsError> {
            crate::Normalization::symlog(auto(vmin), auto(vmax), linthresh)
                .map(|inner| JsNormalization { inner })
                .map_err(js)
        }

        #[wasm_bindgen(js_name = symlogWithScale)]
        pub fn symlog_with_scale(
            vmin: Option<f64>,
            vmax: Option<f64>,
            linthresh: f64,
            linscale: f64,
            base: f64,
        ) -> Result<JsNormalization, JsError> {
            crate::Normalization::symlog_with(auto(vmin), auto(vmax), linthresh, linscale, base)
                .map(|inner| JsNormalization { inner })
                .map_err(js)
        }

        /// `"linear"`, `"log"` or `"symlog"`.
        #[wasm_bindgen(getter)]
        pub fn scale(&self) -> String {
            self.inner.scale().name().to_string()
        }

        /// Explicit vmin or `undefined` (automatic).
        #[wasm_bindgen(getter)]
        pub fn vmin(&self) -> Option<f64> {
            self.inner.vmin()
        }

        /// Explicit vmax or `undefined` (automatic).
        #[wasm_bindgen(getter)]
        pub fn vmax(&self) -> Option<f64> {
            self.inner.vmax()
        }

        /// Where each of `values` lands on the colour scale with the limits
        /// `vmin`, `vmax` (those `shade` returned): its normalized value, the
        /// same function `shade` applies (0 at vmin, 1 at vmax, outside for
        /// under/over), NaN where the value is masked (non-finite, or `<= 0`
        /// under log). The colorbar places its ticks with this, so a tick
        /// sits where the image puts its value.
        pub fn positions(&self, values: &[f64], vmin: f64, vmax: f64) -> Result<Vec<f64>, JsError> {
            let resolved = crate::Normalization::new(self.inner.scale(), Some(vmin), Some(vmax))
                .and_then(|n| n.resolve(&[]))
                .map_err(js)?;
            Ok(values.iter().map(|&v| resolved.normalize(v).unwrap_or(f64::NAN)).collect())
        }
    }
}
