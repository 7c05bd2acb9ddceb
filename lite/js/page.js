// The kiosk page (view/index.html): the full viewer with no Python at all.
// It opens a slice or projection from the site (?file=...) or from the
// user's disk (file picker or drag and drop), reads it with h5wasm straight
// into the pixelizer's mesh, and keeps the view state in the URL so a link
// reopens the exact view. A thin host over the same core as the widget.

import { loadRuntime } from "./core/runtime.js";
import { defaultScale, lengthUnitChoices, readSliceFile, sliceFromRaw } from "./core/slicefile.js";
import { stackSource } from "./core/stack.js";
import { createStore } from "./core/store.js";
import { decodeState, encodeState } from "./core/urlstate.js";
import { Viewer } from "./ui/viewer.js";

const $ = (sel) => document.querySelector(sel);
const URL_KEYS = ["field", "depth", "view", "cmap", "scale", "vmin", "vmax", "linthresh", "resolution", "length_unit", "show_mesh"];

async function fetchBytes(url, what) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${what}: ${response.status} ${response.statusText} (${url})`);
  return new Uint8Array(await response.arrayBuffer());
}

// h5wasm (5.7 MB of script with its wasm inside) is parsed while everything
// else downloads, not before: a classic script added now, awaited when needed.
function loadH5wasm() {
  return new Promise((resolve, reject) => {
    const script = Object.assign(document.createElement("script"), { src: "h5wasm.js", async: true });
    script.onload = () => globalThis.h5wasm.ready.then(() => resolve(globalThis.h5wasm), reject);
    script.onerror = () => reject(new Error("h5wasm.js (the HDF5 reader) could not be loaded"));
    document.head.append(script);
  });
}

async function assets() {
  const h5wasm = loadH5wasm();
  const [index, tables, cmPerUnit] = await Promise.all([
    fetch("colormaps.json").then((r) => r.json()),
    fetchBytes("colormaps.bin", "colormap tables"),
    fetch("length_units.json").then((r) => r.json()),
  ]);
  const runtime = await loadRuntime({
    key: "page", wasm: new URL("ytlite_pixelizer_bg.wasm", location.href), colormapIndex: index, colormapTables: tables,
  });
  await h5wasm;
  return { runtime, cmPerUnit };
}

class Kiosk {
  constructor() {
    this.ready = assets();
    this.viewer = null;
    this.status = $("#status");
  }

  say(text, isError = false) {
    this.status.textContent = text;
    this.status.className = isError ? "error" : "";
  }

  async openUrl(file, urlState = {}) {
    this.say(`loading ${file} ...`);
    const url = new URL(file, new URL("../files/", location.href));
    if (file.endsWith("stack.json")) return this.showStack(url, file, { ...urlState, file });
    const bytes = await fetchBytes(url, file);
    return this.show(bytes, file.split("/").pop(), { ...urlState, file });
  }

  // A stack: its index, then each slice fetched and read when first shown
  // (and its neighbours just after), a few kept in memory.
  async showStack(url, file, urlState) {
    const index = await fetch(url).then((r) => {
      if (!r.ok) throw new Error(`${file}: ${r.status} ${r.statusText} (${url})`);
      return r.json();
    });
    if (index.format !== "ytlite-stack" || !Array.isArray(index.files) || !Array.isArray(index.coords)
        || index.files.length !== index.coords.length || !index.files.length) {
      throw new Error(`${file}: not a ytlite stack index (format, files and coords of one length)`);
    }
    const depth = Math.min(index.files.length - 1, urlState.depth ?? 0);
    await this.ready; // (h5wasm)
    const read = async (i) => {
      const name = index.files[i];
      const bytes = await fetchBytes(new URL(name, url), `${file}: slice ${i}`);
      return sliceFromRaw(readSliceFile(globalThis.h5wasm, bytes, name), name);
    };
    const first = await read(depth);
    const stack = stackSource({
      coords: index.coords, cacheSize: 8,
      load: async (i) => {
        const slice = i === depth ? first : await read(i);
        const missing = first.fieldList.filter((f) => !slice.fieldList.includes(f));
        if (missing.length) throw new Error(`${index.files[i]} lacks ${missing.join(", ")}`);
        return slice.mesh;
      },
    });
    const name = file.split("/").slice(-2, -1)[0] ?? file;
    await this.show(null, name, { ...urlState, depth }, { slice: first, stack });
  }

  async openLocal(fileObject) {
    this.say(`reading ${fileObject.name} ...`);
    const bytes = new Uint8Array(await fileObject.arrayBuffer());
    await this.show(bytes, fileObject.name, {}); // not in the site: the URL cannot name it
  }

  async show(bytes, name, urlState, stacked = null) {
    const t0 = performance.now();
    const { runtime, cmPerUnit } = await this.ready;
    const slice = stacked ? stacked.slice : sliceFromRaw(readSliceFile(globalThis.h5wasm, bytes, name), name);
    const field = urlState.field && urlState.field in slice.mesh.fields ? urlState.field : slice.defaultField;
    const fieldScales = Object.fromEntries(Object.entries(slice.mesh.fields).map(([f, v]) => [f, defaultScale(f, v)]));
    const lengthUnits = lengthUnitChoices(slice.lengthUnit, slice.period, cmPerUnit);
    const unit = slice.lengthUnit[1] in lengthUnits ? slice.lengthUnit[1] : "code_length";
    const store = createStore({
      field, field_scales: fieldScales, info: stacked ? { ...slice.info, name } : slice.info, domain: slice.domain, view: urlState.view ?? slice.domain,
      resolution: urlState.resolution ?? 512, antialias: true, periodic: false, period: slice.period,
      cmap: urlState.cmap && runtime.colormaps.has(urlState.cmap) ? urlState.cmap : "cmyt.arbre",
      scale: urlState.scale ?? fieldScales[field], vmin: urlState.vmin ?? null, vmax: urlState.vmax ?? null,
      linthresh: urlState.linthresh ?? null, length_units: lengthUnits,
      length_unit: urlState.unit && urlState.unit in lengthUnits ? urlState.unit : unit,
      show_mesh: !!urlState.mesh, wheel_zoom: true, frame: {}, error: "", depth: urlState.depth ?? 0,
    });
    this.viewer?.destroy();
    const host = $("#viewer");
    host.replaceChildren();
    const data = stacked ? { stack: stacked.stack, fieldNames: Object.keys(slice.mesh.fields), units: slice.mesh.units }
      : slice.mesh;
    this.viewer = new Viewer(host, store, runtime, data);
    this.file = urlState.file ?? null;
    const toUrl = () => this.writeUrl(store);
    store.on(URL_KEYS.map((k) => `change:${k}`).join(" "), toUrl);
    toUrl();
    document.title = `${name} — ytlite`;
    this.say(`${name}: ${stacked ? `${stacked.stack.count} slices, ` : ""}${slice.numCells.toLocaleString("en")} cells${stacked ? " in this one" : ""}, fields ${slice.fieldList.join(", ")} `
      + `(read in ${(performance.now() - t0).toFixed(0)} ms)`);
  }

  writeUrl(store) {
    if (!this.file) { history.replaceState(null, "", location.pathname); return; }
    const s = (k) => store.get(k);
    const query = encodeState({
      file: this.file, field: s("field"), cmap: s("cmap"), scale: s("scale"), view: s("view"), vmin: s("vmin"),
      vmax: s("vmax"), linthresh: s("linthresh"), resolution: s("resolution"), unit: s("length_unit"), mesh: s("show_mesh"),
      depth: this.viewer?.stack ? s("depth") : null,
    });
    history.replaceState(null, "", `${location.pathname}?${query}`);
  }
}

async function main() {
  const kiosk = new Kiosk();
  const fail = (err) => kiosk.say(String(err?.message ?? err), true);
  const { state, problems } = decodeState(location.search);
  // the site's datasets, listed at build time
  fetch("datasets.json").then((r) => r.json()).then((list) => {
    const select = $("#datasets");
    for (const file of list) select.append(new Option(file, file));
    if (state.file) select.value = state.file;
    select.addEventListener("change", () => select.value && kiosk.openUrl(select.value).catch(fail));
  }).catch(fail);
  $("#open").addEventListener("change", (e) => e.target.files[0] && kiosk.openLocal(e.target.files[0]).catch(fail));
  document.addEventListener("dragover", (e) => { e.preventDefault(); document.body.classList.add("dropping"); });
  document.addEventListener("dragleave", () => document.body.classList.remove("dropping"));
  document.addEventListener("drop", (e) => {
    e.preventDefault();
    document.body.classList.remove("dropping");
    const file = e.dataTransfer?.files?.[0];
    if (file) kiosk.openLocal(file).catch(fail);
  });
  if (state.file) {
    await kiosk.openUrl(state.file, state).catch(fail);
    if (problems.length) kiosk.say(`ignored in the link: ${problems.join("; ")}`, true);
  } else {
    kiosk.say("open a file from the list, from your disk, or drop one here");
  }
  globalThis.ytliteKiosk = kiosk; // for tests and the console
}

main();
