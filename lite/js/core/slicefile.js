// yt save_as_dataset slices and projections read in the browser, with no
// Python: h5wasm (the HDF5 C library in wasm) reads the file, and the cells
// go straight into the viewer's mesh. The same checks and messages as
// ytlite/_hdf5.py and ytlite/dataset.py (the kernel's and CPython's path).
//
// Layout (yt 4): root attributes (container_type, axis, coord, domain edges,
// length_unit(_units), current_time(_units), periodicity ...) and a group
// /grid of 1-D datasets px, py, pdx, pdy (cell centres and half widths in
// the image plane) and one per field, each with a "units" attribute.

export const AXIS_NAMES = ["x", "y", "z"];
// yt's image-plane axes for a slice/projection along an axis (cartesian)
const IMAGE_X_AXIS = { 0: 1, 1: 2, 2: 0 };
const IMAGE_Y_AXIS = { 0: 2, 1: 0, 2: 1 };
export const GEOMETRY_DATASETS = ["px", "py", "pdx", "pdy", "pz", "pdz", "weight_field"];
export const REFINEMENT_LEVEL = "refinement_level";

export class SliceFileError extends Error {}

// bytes (Uint8Array) of an HDF5 file -> {attrs, arrays: {name: Float64Array}, units: {name: string}}
export function readSliceFile(h5wasm, bytes, name) {
  const path = `/ytlite-${name.replace(/[^A-Za-z0-9_.-]/g, "_")}`;
  const damaged = (e) => new SliceFileError(`${name}: not an HDF5 file, or truncated or damaged (${e?.message ?? e})`);
  h5wasm.FS.writeFile(path, bytes);
  let file;
  try {
    try {
      file = new h5wasm.File(path, "r");
    } catch (e) {
      throw damaged(e);
    }
    let grid;
    const attrs = {}, arrays = {}, units = {};
    try {
      for (const key of Object.keys(file.attrs)) attrs[key] = file.attrs[key].json_value;
      grid = file.get("grid");
      if (grid && grid.type === "Group") {
        for (const key of grid.keys()) {
          const ds = grid.get(key);
          if (!ds || ds.type !== "Dataset" || ds.shape.length !== 1) continue;
          const value = ds.value;
          if (typeof value === "string" || !value || value.length === undefined) continue;
          arrays[key] = value instanceof Float64Array ? value : Float64Array.from(value, Number);
          const u = ds.attrs.units;
          units[key] = u ? String(u.json_value) : "";
        }
      }
    } catch (e) {
      throw damaged(e);
    }
    if (!grid || grid.type !== "Group") {
      throw new SliceFileError(`${name}: no /grid group, so not a yt save_as_dataset slice or projection`);
    }
    if (!Object.keys(attrs).length) {
      // yt writes many root attributes; h5wasm skips ones it cannot decode without a word
      throw damaged("no root attribute could be read");
    }
    return { attrs, arrays, units };
  } finally {
    try { file?.close(); } catch { /* already failing */ }
    h5wasm.FS.unlink(path);
  }
}

// What the viewer needs from a read file: the mesh, its fields and units,
// the domain and the axes (yt's choices), as ytlite.SliceDataset has them.
export function sliceFromRaw(raw, name) {
  const { attrs, arrays, units } = raw;
  const missing = ["px", "py", "pdx", "pdy"].filter((k) => !(k in arrays));
  if (missing.length) throw new SliceFileError(`${name}: /grid lacks ${missing.join(", ")}`);
  const n = arrays.px.length;
  for (const [key, values] of Object.entries(arrays)) {
    if (values.length !== n) throw new SliceFileError(`${name}: grid/${key} has ${values.length} values but grid/px has ${n}`);
  }
  if (n === 0) throw new SliceFileError(`${name}: the slice has no cells`);
  checkCells(name, arrays);
  const axis = Number(attrs.axis);
  if (!("axis" in attrs) || !Number.isInteger(axis)) {
    throw new SliceFileError(`${name}: root attribute 'axis' missing or not an integer`);
  }
  if (!(axis in IMAGE_X_AXIS)) throw new SliceFileError(`${name}: axis ${axis} is not 0, 1 or 2`);
  const fieldList = Object.keys(arrays).filter((k) => !GEOMETRY_DATASETS.includes(k)).sort();
  if (!fieldList.length) throw new SliceFileError(`${name}: no fields, only cell positions`);
  const xa = IMAGE_X_AXIS[axis], ya = IMAGE_Y_AXIS[axis];
  const domain = domainBounds(attrs, arrays, xa, ya);
  const containerType = String(attrs.container_type ?? "slice");
  const kind = containerType === "slice" ? "slice" : "projection";
  const fields = {}, fieldUnits = {};
  for (const f of fieldList) { fields[f] = arrays[f]; fieldUnits[f] = units[f] ?? ""; }
  fields[REFINEMENT_LEVEL] = refinementLevel(arrays.pdx);
  fieldUnits[REFINEMENT_LEVEL] = "";
  const periodicity = Array.isArray(attrs.periodicity) ? attrs.periodicity : [false, false, false];
  return {
    name, numCells: n, fieldList, domain,
    period: [domain[1] - domain[0], domain[3] - domain[2]],
    periodic: [!!periodicity[xa], !!periodicity[ya]],
    lengthUnit: [Number(attrs.length_unit ?? 1), String(attrs.length_unit_units ?? "code_length")],
    defaultField: fieldList.includes("density") ? "density" : fieldList[0],
    mesh: { px: arrays.px, py: arrays.py, pdx: arrays.pdx, pdy: arrays.pdy, fields, units: fieldUnits },
    info: {
      name, kind, axis: AXIS_NAMES[axis], x_axis: AXIS_NAMES[xa], y_axis: AXIS_NAMES[ya],
      coord: kind === "slice" && attrs.coord != null ? [Number(attrs.coord), String(attrs.coord_units ?? "code_length")] : null,
      time: attrs.current_time != null ? [Number(attrs.current_time), String(attrs.current_time_units ?? "code_time")] : null,
    },
  };
}

// Centres finite, half widths positive and finite: anything else would draw
// a silently wrong picture (ytlite.dataset._check_cells says the same).
function checkCells(name, arrays) {
  const positive = (v) => v > 0 && Number.isFinite(v);
  for (const [key, ok, what] of [["px", Number.isFinite, "finite"], ["py", Number.isFinite, "finite"],
    ["pdx", positive, "positive and finite"], ["pdy", positive, "positive and finite"]]) {
    const values = arrays[key];
    let count = 0, first = -1;
    for (let i = 0; i < values.length; i++) {
      if (!ok(values[i])) { count += 1; if (first < 0) first = i; }
    }
    if (count) {
      throw new SliceFileError(`${name}: grid/${key} has ${count} value(s) that are not ${what} `
        + `(first at cell ${first}: ${String(values[first])})`);
    }
  }
}

function domainBounds(attrs, arrays, xa, ya) {
  const l = attrs.domain_left_edge, r = attrs.domain_right_edge;
  let b = Array.isArray(l) && Array.isArray(r) ? [l[xa], r[xa], l[ya], r[ya]].map(Number) : null;
  if (!b || !b.every(Number.isFinite) || b[0] >= b[1] || b[2] >= b[3]) {
    // no usable domain attributes: the extent of the cells
    const { px, py, pdx, pdy } = arrays;
    b = [Infinity, -Infinity, Infinity, -Infinity];
    for (let i = 0; i < px.length; i++) {
      b[0] = Math.min(b[0], px[i] - pdx[i]); b[1] = Math.max(b[1], px[i] + pdx[i]);
      b[2] = Math.min(b[2], py[i] - pdy[i]); b[3] = Math.max(b[3], py[i] + pdy[i]);
    }
  }
  return b;
}

// 0 for the coarsest cell in the file, +1 per halving of the width; NaN where
// a width is not positive and finite (ytlite.SliceDataset's refinement_level).
export function refinementLevel(pdx) {
  let coarsest = 0;
  for (const w of pdx) if (w > 0 && Number.isFinite(w) && w > coarsest) coarsest = w;
  if (coarsest === 0) coarsest = 1;
  return Float64Array.from(pdx, (w) => (w > 0 && Number.isFinite(w) ? Math.round(Math.log2(coarsest / w)) : NaN));
}

// The scale a field is usually shown with (as yt chooses): log when every
// finite value is positive, symlog otherwise, linear for the level.
export function defaultScale(name, values) {
  if (name === REFINEMENT_LEVEL) return "linear";
  for (const v of values) if (v <= 0) return "symlog";
  return "log";
}

// {unit: value of one code_length in it} for the units that make sense for
// this domain (spanning 1e-3 to 1e6 of them), always with code_length and the
// dataset's own unit; `cmPerUnit`: {unit: its length in cm} (from unyt, at
// build time). ytlite.viewer.length_unit_choices in Python.
export function lengthUnitChoices(lengthUnit, period, cmPerUnit) {
  const [value, unit] = lengthUnit;
  const out = { code_length: 1 };
  if (unit in cmPerUnit) {
    const codeCm = value * cmPerUnit[unit];
    const size = Math.max(...period);
    for (const [name, cm] of Object.entries(cmPerUnit)) {
      const factor = codeCm / cm;
      if (name === unit || (size * factor >= 1e-3 && size * factor <= 1e6)) out[name] = factor;
    }
  } else if (unit !== "code_length") {
    out[unit] = value;
  }
  return out;
}
