// "Share as one file": a view and its data as ONE self-contained HTML file
// that opens from disk (file://) in a browser with no server and no network.
// The file holds the viewer's code (lite/js/standalone.js, bundled), the
// pixelizer's wasm, the colormap tables, the view state and the decoded mesh
// (px, py, pdx, pdy and each field as little-endian float64), in one JSON
// element the embedded code reads back with readStandalonePayload. Binary
// items are base64 text of their bytes, gzip-compressed first ("encoding":
// "gzip", with the browser's own CompressionStream: the file is then about
// half the size) or not ("none", where the browser has no CompressionStream).
// No HDF5 reader goes in (h5wasm is 5.7 MB): the cells are already decoded.
// Pure functions (no DOM): tested in node (tests/js/standalone.test.mjs).

export const STANDALONE_FORMAT = "ytlite-standalone";
export const STANDALONE_VERSION = 1;
export const PAYLOAD_ELEMENT_ID = "ytlite-standalone-data";
const GEOMETRY = ["px", "py", "pdx", "pdy"];

// The store keys that make the view (everything else is the host's).
export const STANDALONE_STATE_KEYS = ["field", "field_scales", "info", "domain", "view", "resolution", "antialias",
  "periodic", "period", "cmap", "scale", "vmin", "vmax", "linthresh", "length_units", "length_unit", "show_mesh",
  "wheel_zoom"];

export class StandaloneError extends Error {}

// Float64Array bytes as stored: little-endian whatever the machine (typed
// arrays use the platform's order, so a big-endian one goes through DataView).
const LITTLE_ENDIAN = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f;

function float64Bytes(values) {
  const array = values instanceof Float64Array ? values : Float64Array.from(values);
  if (LITTLE_ENDIAN) return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  const out = new Uint8Array(array.length * 8);
  const view = new DataView(out.buffer);
  array.forEach((v, i) => view.setFloat64(8 * i, v, true));
  return out;
}

export function bytesToBase64(bytes) {
  const chunks = [];
  const STEP = 0x8000; // (String.fromCharCode takes its arguments on the stack)
  for (let i = 0; i < bytes.length; i += STEP) chunks.push(String.fromCharCode(...bytes.subarray(i, i + STEP)));
  return btoa(chunks.join(""));
}

export function base64ToBytes(text, what = "data") {
  let binary;
  try {
    binary = atob(text);
  } catch {
    throw new StandaloneError(`${what}: not base64`);
  }
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

function bytesToFloat64(bytes, what) {
  if (bytes.length % 8) throw new StandaloneError(`${what}: ${bytes.length} bytes is not a whole number of float64`);
  if (LITTLE_ENDIAN) return new Float64Array(bytes.buffer);
  const view = new DataView(bytes.buffer);
  return Float64Array.from({ length: bytes.length / 8 }, (_, i) => view.getFloat64(8 * i, true));
}

export const ENCODINGS = ["gzip", "none"];

async function pipe(bytes, transform) {
  const stream = new Blob([bytes]).stream().pipeThrough(transform);
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

// bytes -> base64 text, gzip-compressed first for "gzip"
async function pack(bytes, encoding) {
  return bytesToBase64(encoding === "gzip" ? await pipe(bytes, new CompressionStream("gzip")) : bytes);
}

async function unpack(text, encoding, what) {
  const bytes = base64ToBytes(text, what);
  if (encoding !== "gzip") return bytes;
  try {
    return await pipe(bytes, new DecompressionStream("gzip"));
  } catch (e) {
    throw new StandaloneError(`${what}: damaged (${e?.message ?? e})`);
  }
}

const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

// JavaScript put inside <script>...</script>: the HTML parser ends the
// element at the first "</script" wherever it is (in a string, a comment),
// and "<!--" there changes how it looks for that end. Both are rewritten to
// text meaning the same to JavaScript in strings, template literals, regular
// expressions and comments ("\/" is "/", "\x3C" is "<"); in plain code
// neither can occur.
export function escapeInlineScript(code) {
  return code.replace(/<\/(script)/gi, "<\\/$1").replace(/<!--/g, "\\x3C!--");
}

// -> (a promise of) the file's text. `script`: the bundled lite/js/standalone.js;
// `wasm`: the pixelizer's bytes; `colormapIndex`, `colormapTables`: the tables
// (JSON index, Uint8Array); `state`: the store's view state (STANDALONE_STATE_KEYS
// are kept); `mesh`: {px, py, pdx, pdy, fields: {name: Float64Array}, units};
// `fields`: the names to embed (default: all); `derived`: fields left out
// because the file's code makes them from the cells (refinement_level);
// `title`, `note`: shown text; `encoding`: "gzip" (where the browser can) or "none".
export async function buildStandaloneHtml({ script, wasm, colormapIndex, colormapTables, state, mesh, fields = null,
  derived = [], title = "ytlite view", note = "",
  encoding = typeof CompressionStream === "function" ? "gzip" : "none" }) {
  if (!ENCODINGS.includes(encoding)) throw new StandaloneError(`unknown encoding ${encoding} (${ENCODINGS.join(", ")})`);
  if (typeof script !== "string" || !script) throw new StandaloneError("no viewer code to embed");
  if (!(wasm instanceof Uint8Array) || !wasm.length) throw new StandaloneError("no pixelizer wasm to embed");
  if (!mesh || !mesh.px) throw new StandaloneError("nothing to share: no data is loaded");
  const names = fields ?? Object.keys(mesh.fields).filter((f) => !derived.includes(f));
  if (!names.length) throw new StandaloneError("nothing to share: no field chosen");
  const n = mesh.px.length;
  const arrays = {};
  for (const key of GEOMETRY) {
    if (mesh[key]?.length !== n) throw new StandaloneError(`${key} has ${mesh[key]?.length} values but px has ${n}`);
    arrays[key] = await pack(float64Bytes(mesh[key]), encoding);
  }
  const fieldData = {}, units = {};
  for (const name of names) {
    const values = mesh.fields[name];
    if (!values) throw new StandaloneError(`no field ${JSON.stringify(name)} in the data`);
    if (values.length !== n) throw new StandaloneError(`field ${name} has ${values.length} values but px has ${n}`);
    fieldData[name] = await pack(float64Bytes(values), encoding);
    units[name] = mesh.units?.[name] ?? "";
  }
  const kept = Object.fromEntries(STANDALONE_STATE_KEYS.filter((k) => state[k] !== undefined).map((k) => [k, state[k]]));
  if (!(kept.field in fieldData) && !derived.includes(kept.field)) {
    throw new StandaloneError(`the field shown (${kept.field}) is not among those embedded`);
  }
  const payload = {
    format: STANDALONE_FORMAT, version: STANDALONE_VERSION, encoding, state: kept,
    mesh: { cells: n, ...arrays, fields: fieldData, units, derived },
    assets: { wasm: await pack(wasm, encoding), colormapIndex, colormapTables: await pack(colormapTables, encoding) },
  };
  // "<" only occurs inside JSON strings, where \u003c reads back the same
  const json = JSON.stringify(payload).replace(/</g, "\\u003c");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="ytlite (${STANDALONE_FORMAT} ${STANDALONE_VERSION})">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="data:,">
<style>
  body { font: 13px system-ui, sans-serif; margin: 12px; color: #222; }
  #ytlite-standalone-status { color: #555; margin: 0 0 8px; }
  #ytlite-standalone-status.error { color: #8a1c1c; background: #fde8e8; padding: 2px 6px; }
</style>
</head>
<body>
<p id="ytlite-standalone-status">${escapeHtml(note || "loading the viewer ...")}</p>
<div id="viewer"></div>
<script type="application/json" id="${PAYLOAD_ELEMENT_ID}">${json}</script>
<script type="module">${escapeInlineScript(script)}</script>
</body>
</html>
`;
}

// The JSON text of the payload element -> (a promise of) {state, mesh,
// derived, wasm, colormapIndex, colormapTables}, with the arrays decoded (the
// `derived` fields are the reader's to make); clear errors for a damaged file.
export async function readStandalonePayload(text) {
  let payload;
  try {
    payload = JSON.parse(text);
  } catch (e) {
    throw new StandaloneError(`the data in this file is damaged (not JSON: ${e.message})`);
  }
  if (payload?.format !== STANDALONE_FORMAT) throw new StandaloneError("this file holds no ytlite view");
  if (payload.version !== STANDALONE_VERSION) {
    throw new StandaloneError(`this file is ytlite view format ${payload.version}; this code reads ${STANDALONE_VERSION}`);
  }
  const { encoding } = payload;
  if (!ENCODINGS.includes(encoding)) throw new StandaloneError(`unknown encoding ${encoding} in this file`);
  if (encoding === "gzip" && typeof DecompressionStream !== "function") {
    throw new StandaloneError("this browser cannot unpack the data (it lacks DecompressionStream: "
      + "Chrome and Edge 80, Firefox 113, Safari 16.4 or later have it)");
  }
  const m = payload.mesh ?? {};
  const mesh = { fields: {}, units: { ...(m.units ?? {}) } };
  const cells = m.cells;
  const decode = async (text, what) => {
    if (typeof text !== "string") throw new StandaloneError(`the data in this file lacks ${what}`);
    const values = bytesToFloat64(await unpack(text, encoding, what), what);
    if (values.length !== cells) throw new StandaloneError(`${what} has ${values.length} values, not ${cells}`);
    return values;
  };
  for (const key of GEOMETRY) mesh[key] = await decode(m[key], key);
  for (const [name, text] of Object.entries(m.fields ?? {})) mesh.fields[name] = await decode(text, `field ${name}`);
  const derived = Array.isArray(m.derived) ? m.derived.map(String) : [];
  const state = payload.state ?? {};
  if (!(state.field in mesh.fields) && !derived.includes(state.field)) {
    throw new StandaloneError(`the data in this file lacks the field shown (${state.field})`);
  }
  const a = payload.assets ?? {};
  if (typeof a.wasm !== "string" || typeof a.colormapTables !== "string" || !a.colormapIndex?.colormaps) {
    throw new StandaloneError("the viewer's assets in this file are incomplete");
  }
  return {
    state, mesh, derived, wasm: await unpack(a.wasm, encoding, "wasm"), colormapIndex: a.colormapIndex,
    colormapTables: await unpack(a.colormapTables, encoding, "colormap tables"),
  };
}
