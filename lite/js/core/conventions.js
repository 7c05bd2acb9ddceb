// The rules the front end and Python must agree on, written once in
// JavaScript. Their twin is ytlite/_conventions.py (the same rules, the same
// names in snake_case); tests/test_conventions.py runs both, in node and in
// CPython, on one table of edge cases. Change a rule in both files and in
// that table.
//
// Every rule here is defined by IEEE arithmetic alone (+ - * /, comparisons,
// exact exponent extraction), never by a transcendental function's last bit,
// so both languages give the same answer on any CPU. No imports, no DOM.

export const AXIS_NAMES = ["x", "y", "z"];
// yt's image-plane axes for a slice/projection along an axis (cartesian)
export const IMAGE_X_AXIS = { 0: 1, 1: 2, 2: 0 };
export const IMAGE_Y_AXIS = { 0: 2, 1: 0, 2: 1 };

// Datasets of /grid that are cell geometry, not fields.
export const GEOMETRY_DATASETS = ["px", "py", "pdx", "pdy", "pz", "pdz", "weight_field"];
// Fields derived from the cells themselves (not stored in the file).
export const REFINEMENT_LEVEL = "refinement_level";
export const DERIVED_FIELDS = [REFINEMENT_LEVEL];

export const SCALES = ["linear", "log", "symlog"];

// A root attribute's value as a number: a number (h5wasm gives 64-bit integers as BigInt), null
// for anything else (a boolean, a string, an array: Number() would take some of those).
export function attrNumber(value) {
  if (typeof value === "bigint") return Number(value);
  return typeof value === "number" ? value : null;
}

// The integer nearest x, halves up (Math.round; Python's round takes halves to even).
export const roundHalfUp = (x) => Math.round(x);

// Image size in pixels for a view [x_min, x_max, y_min, y_max]: square
// pixels, the longer side `resolution`, the shorter resolution * short / long
// (in that order) rounded half up, at least 1.
export function imageSize(view, resolution) {
  const w = view[1] - view[0], h = view[3] - view[2];
  if (w >= h) return [resolution, Math.max(1, roundHalfUp((resolution * h) / w))];
  return [Math.max(1, roundHalfUp((resolution * w) / h)), resolution];
}

const usableWidth = (w) => w > 0 && Number.isFinite(w);

// e with r = m * 2**e, 1 <= m < 2, exactly (Math.log2 may be off by one
// near a power of two: 2 ** e is exact, so the comparisons settle it).
function exponentOf(r) {
  let e = Math.floor(Math.log2(r));
  if (2 ** e > r) e -= 1;
  else if (2 ** (e + 1) <= r) e += 1;
  return e;
}

// The refinement level of a cell `width` wide below a coarsest cell
// `coarsest` wide: k for coarsest / 2**k; a ratio between powers of two goes
// to the nearer one in the geometric sense (r = m * 2**e: e + 1 when
// m * m >= 2, else e). NaN when the width is not positive and finite or the
// ratio overflows.
export function levelOf(coarsest, width) {
  if (!usableWidth(width)) return NaN;
  const r = coarsest / width;
  if (!Number.isFinite(r) || !(r > 0)) return NaN;
  const e = exponentOf(r);
  const m = r / 2 ** e;
  return m * m >= 2 ? e + 1 : e;
}

// Each cell's level: 0 for the coarsest cell in the file (the largest
// positive finite half width; 1 if there is none), +1 per halving.
export function refinementLevel(pdx) {
  let coarsest = 0;
  for (const w of pdx) if (usableWidth(w) && w > coarsest) coarsest = w;
  if (coarsest === 0) coarsest = 1;
  return Float64Array.from(pdx, (w) => levelOf(coarsest, w));
}

// Whether no value is <= 0 (NaN does not count against it).
export function allPositive(values) {
  // (an indexed loop: for-of over a typed array took ~10 ns a value, 0.5 s of a 50 M-cell slice's load)
  for (let i = 0, n = values.length; i < n; i++) if (values[i] <= 0) return false;
  return true;
}

// The scale a field is usually shown with (as yt chooses): linear for the
// level, else log when every value is positive, else symlog.
export function defaultScale(name, positive, chosen = null) {
  if (SCALES.includes(chosen)) return chosen; // a site's choice (siteChoices)
  if (DERIVED_FIELDS.includes(name)) return "linear";
  return positive ? "log" : "symlog";
}

// The field shown first: a site's choice when the file has it, else density
// when there is one, else the first in sorted order.
export function defaultField(fieldList, chosen = null) {
  const names = [...fieldList].sort();
  if (chosen !== null && names.includes(chosen)) return chosen;
  if (names.includes("density")) return "density";
  return names.length ? names[0] : null;
}

// The file attributes a site build writes from ytlite.toml (field, cmap,
// scale, view): what the viewer shows first, in a notebook and on the kiosk.
export const SITE_CHOICE_ATTRS = { field: "ytlite_field", cmap: "ytlite_cmap", scale: "ytlite_scale", view: "ytlite_view" };

// {field, cmap, scale: string; view: [x_min, x_max, y_min, y_max]} of a
// file's attributes: the text ones that are non-empty strings, the view when
// it is 4 finite numbers with min < max (anything else is no choice).
export function siteChoices(attrs) {
  const out = {};
  if (!attrs || typeof attrs !== "object" || Array.isArray(attrs)) return out;
  for (const [key, attr] of Object.entries(SITE_CHOICE_ATTRS)) {
    const value = attrs[attr];
    if (key === "view") {
      const view = viewOrNone(value);
      if (view !== null) out[key] = view;
    } else if (typeof value === "string" && value) out[key] = value;
  }
  return out;
}

// `value` as a view [x_min, x_max, y_min, y_max] (4 finite numbers, min <
// max on both axes), or null when it is not one.
export function viewOrNone(value) {
  if (value === null || typeof value !== "object" || typeof value.length !== "number" || value.length !== 4) return null;
  const view = Array.from(value);
  if (!view.every((v) => typeof v === "number" && Number.isFinite(v))) return null;
  return view[0] < view[1] && view[2] < view[3] ? view : null;
}

// {unit: value of one code_length in it} for the units that make sense for
// a domain of size max(period) (spanning 1e-3 to 1e6 of them), always with
// code_length and the dataset's own unit; `cmPerUnit`: {unit: its length in
// cm} (from unyt, at build time), in the order the choices are listed.
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

// The automatic symlog linthresh: 1/1000 of the largest magnitude shown, or
// 1 when that is 0 or not finite.
export function autoLinthresh(vmin, vmax) {
  const big = Math.max(Math.abs(vmin), Math.abs(vmax));
  return big > 0 && Number.isFinite(big) ? big / 1000 : 1;
}

// A time as JupyterLite's contents listing writes it (ISO 8601 with a zone)
// in whole milliseconds since 1970 (Date.parse, which gives the drive's
// last_modified); null when it is not such a time.
export function listingTimeMs(text) {
  if (typeof text !== "string" || !/(Z|[+-]\d\d:\d\d)$/.test(text)) return null;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : null;
}

// Whether the drive's file `path` (`size` bytes, modified at `mtimeMs`) is
// the file shipped with the site: its static listing's `entry` names the
// same path, size and time (an upload or rewrite of the same name differs).
export function isShippedCopy(entry, path, size, mtimeMs) {
  if (!entry || typeof entry !== "object") return false;
  return entry.path === path && entry.size === size && listingTimeMs(entry.last_modified) === mtimeMs;
}

// -- what a file may declare, and what a load of it needs --

// HDF5's datatype classes (H5T_class_t: h5wasm's metadata.type, h5py's get_class()), by number.
export const H5T_CLASSES = ["integer", "float", "time", "string", "bitfield", "opaque", "compound", "reference", "enum",
  "variable-length", "array"];
// The byte sizes read of each numeric class (h5wasm has no float16).
export const NUMBER_SIZES = { integer: [1, 2, 4, 8], float: [4, 8] };
// The classes of attributes read (yt writes numbers, strings and booleans, an enum): any other is absent,
// unreadable, in both readers (h5py's HDF5 crashed reading a damaged one whose string became a sequence).
export const ATTRIBUTE_CLASSES = ["integer", "float", "string", "enum"];

// Whether an attribute of this H5T_class_t is read (ATTRIBUTE_CLASSES).
export function attributeClassRead(typeClass) {
  return Number.isInteger(typeClass) && typeClass >= 0 && typeClass < H5T_CLASSES.length
    && ATTRIBUTE_CLASSES.includes(H5T_CLASSES[typeClass]);
}

// What is wrong with a dataset of /grid as declared (shape: lengths, null
// for a null dataspace; typeClass: H5T_class_t; size: bytes per value), null
// if it can be read: a 1-D array of float32, float64 or integer numbers.
export function gridDatasetProblem(key, shape, typeClass, size) {
  if (!Array.isArray(shape) || shape.length !== 1) {
    const how = !Array.isArray(shape) ? "null" : shape.length === 0 ? "scalar" : shape.join("x");
    return `grid/${key} is not a 1-D array (shape ${how})`;
  }
  const name = typeClass >= 0 && typeClass < H5T_CLASSES.length ? H5T_CLASSES[typeClass] : `class ${typeClass}`;
  if (Object.hasOwn(NUMBER_SIZES, name) && NUMBER_SIZES[name].includes(size)) return null;
  const what = Object.hasOwn(NUMBER_SIZES, name) ? `${size}-byte ${name}` : name;
  return `grid/${key} holds ${what} values, not float32, float64 or integer numbers`;
}

// The layouts of the numbers read (IEEE 754 binary32 and binary64; integers using all their bits), by class and
// byte size: HDF5 lets a datatype declare others (another exponent bias or size, bits left over), which h5py
// converts (or refuses) and h5wasm reads as raw IEEE / two's complement numbers. A real file never has one; a
// damaged datatype message does (the readers' fuzzer found it): both readers refuse it, with this rule.
export const NUMBER_LAYOUTS = {
  float: {
    4: { offset: 0, precision: 32, sign: 31, epos: 23, esize: 8, mpos: 0, msize: 23, ebias: 127, norm: "implied" },
    8: { offset: 0, precision: 64, sign: 63, epos: 52, esize: 11, mpos: 0, msize: 52, ebias: 1023, norm: "implied" },
  },
  integer: Object.fromEntries([1, 2, 4, 8].map((n) => [n, { offset: 0, precision: 8 * n }])),
};
// The words a message uses for each property of a layout.
export const LAYOUT_WORDS = {
  order: "byte order", offset: "bit offset", precision: "precision", sign: "sign bit", epos: "exponent position",
  esize: "exponent size", mpos: "mantissa position", msize: "mantissa size", ebias: "exponent bias",
  norm: "mantissa normalization",
};

// What is wrong with the layout a dataset of /grid declares for its numbers (`layout`: {cls: "float" |
// "integer", size, order: "little" | "big" | "vax" | ..., offset, precision} and for floats sign, epos, esize,
// mpos, msize, ebias, norm: "implied" | "msb set" | "none"; null when it could not be read: nothing to say),
// null when it is a standard one (NUMBER_LAYOUTS, either byte order).
export function numberLayoutProblem(key, layout) {
  if (layout === null || typeof layout !== "object" || Array.isArray(layout)) return null;
  const want = Object.hasOwn(NUMBER_LAYOUTS, layout.cls) && Object.hasOwn(NUMBER_LAYOUTS[layout.cls], layout.size)
    ? NUMBER_LAYOUTS[layout.cls][layout.size] : null;
  if (want === null) return null; // (another class or size: gridDatasetProblem says so)
  const show = (v) => (v === null || v === undefined ? "none" : String(v));
  const odd = ["little", "big"].includes(layout.order) ? [] : [`byte order ${show(layout.order)}`];
  for (const [k, v] of Object.entries(want)) if (layout[k] !== v) odd.push(`${LAYOUT_WORDS[k]} ${show(layout[k])}, not ${show(v)}`);
  if (!odd.length) return null;
  const what = layout.cls === "float" ? "IEEE 754 numbers" : "integers";
  return `grid/${key} declares ${layout.size}-byte ${layout.cls} values in a layout other than ${what} (${odd.join(", ")}): a damaged file`;
}

// The wasm32 address space: everything the viewer draws lives in it.
export const WASM_ADDRESS_SPACE = 4 * 2 ** 30;
// Bytes per cell the viewer's wasm memory holds at least: its compact mesh, a cell's indices into the
// tables of centres and widths (4 + 4 + 1) and the shown values (float64: any field may be switched to).
export const VIEWER_BYTES_PER_CELL = 17;
// Bytes per cell of each array a host holds beside the viewer (float64).
export const ARRAY_BYTES_PER_CELL = 8;

// Bytes the viewer's wasm memory needs for `cells` cells, at least (a mesh
// that does not compact needs more, and says so when it cannot have it).
export function viewerBytes(cells) {
  return cells * VIEWER_BYTES_PER_CELL;
}

// Bytes of the slice as float64 arrays: px, py, pdx, pdy, every field and the
// level (CPython's ytlite.load holds them; the page, about the file it reads
// plus the fields it keeps for the field switch).
export function arraysBytes(cells, fields) {
  return cells * (ARRAY_BYTES_PER_CELL * (5 + fields));
}

// Bytes for a message, rounded up to whole MB (whole GB from 10 GB).
export function formatBytes(n) {
  return n < 1e10 ? `${Math.ceil(n / 1e6)} MB` : `${Math.ceil(n / 1e9)} GB`;
}

// The message refusing a load that cannot be held, null when it can. Two
// checks: viewerBytes against wasm32's address space less `inUse` (the
// viewer's wasm memory in use); then, when `available` is known (the
// machine's free memory on CPython, the device's memory in a browser),
// arraysBytes against it.
export function tooBigToLoad(name, cells, fields, inUse = 0, available = null) {
  const wasm = WASM_ADDRESS_SPACE - Math.max(0, inUse);
  let problem, remedy;
  if (viewerBytes(cells) > wasm) {
    problem = `need ${formatBytes(viewerBytes(cells))} in the viewer, more than the ${formatBytes(Math.max(0, wasm))} `
      + `a wasm32 viewer can hold (4 GiB less ${formatBytes(Math.max(0, inUse))} in use)`;
    remedy = ""; // (every cell is in the viewer, whatever the fields)
  } else if (available !== null && available !== undefined && arraysBytes(cells, fields) > available) {
    problem = `need ${formatBytes(arraysBytes(cells, fields))} as float64 arrays, more than the `
      + `${formatBytes(Math.max(0, available))} of memory available`;
    remedy = " or fewer --fields";
  } else {
    return null;
  }
  return `${name}: ${cells} cells with ${fields} field(s) ${problem}; `
    + `make a smaller file with \`ytlite extract\` and a sub-region (--region x0,x1,y0,y1)${remedy}`;
}

// The offset of a global heap collection of an HDF5 file (`data`: its bytes) holding a free-space
// object of size 0, or of a size that wraps around (HDF5 1.14, h5py's, loops for ever on reading any
// string kept there), or an object whose size runs past the collection's end (HDF5 2.0, h5wasm's,
// loops for ever: the readers' fuzzer found both); null when there is none (every "GCOL" signature of
// version 1 and a size of at least 4 KB that fits: objects of index (2 bytes), reference count
// (2), 4 reserved, size (8, little-endian), data padded to 8; index 0 is the free space).
export function globalHeapThatHangs(data) {
  const bytes = data instanceof Uint8Array ? data : Uint8Array.from(data);
  const u64 = (i) => { let v = 0; for (let k = 7; k >= 0; k--) v = v * 256 + bytes[i + k]; return v; };
  const end = bytes.length;
  for (let at = indexOfGcol(bytes, 0); at >= 0; at = indexOfGcol(bytes, at + 4)) {
    const size = at + 16 <= end ? u64(at + 8) : 0;
    if (bytes[at + 4] !== 1 || size < 4096 || size > end - at) continue;
    for (let p = at + 16, stop = at + size; p + 16 <= stop;) {
      const index = bytes[p] + 256 * bytes[p + 1], obj = u64(p + 8);
      if (index === 0 && (obj === 0 || obj >= 2 ** 52)) return at;
      if (index !== 0 && obj > stop - p - 16) return at;
      p += index === 0 ? obj : 16 + Math.ceil(obj / 8) * 8;
    }
  }
  return null;
}

function indexOfGcol(bytes, from) {
  for (let i = bytes.indexOf(0x47, from); i >= 0 && i + 3 < bytes.length; i = bytes.indexOf(0x47, i + 1)) {
    if (bytes[i + 1] === 0x43 && bytes[i + 2] === 0x4f && bytes[i + 3] === 0x4c) return i;
  }
  return -1;
}

// The HDF5 superblock: at 0, or at 512, 1024, 2048 ... after a user block (HDF5 looks no further than this).
export const SUPERBLOCK_SEARCH_BYTES = 2 ** 20 + 64;
const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

// Where an HDF5 file's data ends as its superblock declares it (its end-of-file address: from the
// file's start, a user block included, as HDF5 writes it), from the file's first bytes `head` (up to
// SUPERBLOCK_SEARCH_BYTES of them); null when no superblock is found there or it does not say (an
// undefined address, a size of addresses HDF5 does not write, 2**53 bytes or more). The address's place
// (the format specification 3.0): two addresses after the base address, which is 24 and 28 bytes from
// the signature in versions 0 and 1, 12 in versions 2 and 3.
export function superblockEnd(head) {
  const bytes = head instanceof Uint8Array ? head : Uint8Array.from(head);
  for (let at = 0; at + 16 <= bytes.length && at <= 2 ** 20; at = at ? at * 2 : 512) {
    if (!HDF5_SIGNATURE.every((v, i) => bytes[at + i] === v)) continue;
    const version = bytes[at + 8];
    let size, baseAt;
    if (version <= 1) [size, baseAt] = [bytes[at + 13], at + (version === 0 ? 24 : 28)];
    else if (version <= 3) [size, baseAt] = [bytes[at + 9], at + 12];
    else return null;
    const eofAt = baseAt + 2 * size;
    if (![2, 4, 8].includes(size) || eofAt + size > bytes.length) return null;
    let eof = 0, ones = true;
    for (let k = size - 1; k >= 0; k--) { eof = eof * 256 + bytes[eofAt + k]; ones &&= bytes[eofAt + k] === 255; }
    return ones || !(eof < 2 ** 53) ? null : eof; // (all bits set: undefined)
  }
  return null;
}

// The message for a file of `size` bytes whose superblock says its data end at `end` (superblockEnd)
// when it is shorter: cut short, or still arriving (JupyterLab uploads a file a MB at a time and lists
// it after the first); null when it is not (or `end` is null).
export function incompleteFileProblem(size, end) {
  if (end === null || end === undefined || !(size < end)) return null;
  return `incomplete: it has ${size} of its ${end} bytes (still being uploaded, copied or `
    + "written? load it again once it is complete)";
}
