// The kiosk page (view/index.html): the full viewer with no Python at all.
// It opens a slice or projection from the site (?file=...) or from the
// user's disk (file picker or drag and drop), reads it with h5wasm straight
// into the pixelizer's mesh, and keeps the view state in the URL so a link
// reopens the exact view. A thin host over the same core as the widget.

import { loadRuntime } from "./core/runtime.js";
import { defaultScale, lengthUnitChoices, readSliceFile, sliceFromRaw } from "./core/slicefile.js";
import { createStore } from "./core/store.js";
import { decodeState, encodeState } from "./core/urlstate.js";
import { Viewer } from "./ui/viewer.js";

const $ = (sel) => document.querySelector(sel);
const URL_KEYS = ["field", "view", "cmap", "scale", "vmin", "vmax", "linthresh", "resolution", "length_unit", "show_mesh"];

async function fetchBytes(url, what) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${what}: ${response.status} ${response.statusText} (${url})`);
  return new Uint8Array(await response.arrayBuffer());
}

async function assets() {
  const [index, tables, cmPerUnit] = await Promise.all([
    fetch("colormaps.json").then((r) => r.json()),
    fetchBytes("colormaps.bin", "colormap tables"),
    fetch("length_units.json").then((r) => r.json()),
  ]);
  const runtime = await loadRuntime({
    key: "page", wasm: new URL("ytlite_pixelizer_bg.wasm", location.href), colormapIndex: index, colormapTables: tables,
  });
  await globalThis.h5wasm.ready;
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
    const bytes = await fetchBytes(new URL(file, new URL("../files/", location.href)), file);
    await this.show(bytes, file.split("/").pop(), { ...urlState, file });
  }

  async openLocal(fileObject) {
    this.say(`reading ${fileObject.name} ...`);
    const bytes = new Uint8Array(await fileObject.arrayBuffer());
    await this.show(bytes, fileObject.name, {}); // not in the site: the URL cannot name it
  }

  async show(bytes, name, urlState) {
    const t0 = performance.now();
    const { runtime, cmPerUnit } = await this.ready;
    const slice = sliceFromRaw(readSliceFile(globalThis.h5wasm, bytes, name), name);
    const field = urlState.field && urlState.field in slice.mesh.fields ? urlState.field : slice.defaultField;
    const fieldScales = Object.fromEntries(Object.entries(slice.mesh.fields).map(([f, v]) => [f, defaultScale(f, v)]));
    const lengthUnits = lengthUnitChoices(slice.lengthUnit, slice.period, cmPerUnit);
    const unit = slice.lengthUnit[1] in lengthUnits ? slice.lengthUnit[1] : "code_length";
    const store = createStore({
      field, field_scales: fieldScales, info: slice.info, domain: slice.domain, view: urlState.view ?? slice.domain,
      resolution: urlState.resolution ?? 512, antialias: true, periodic: false, period: slice.period,
      cmap: urlState.cmap && runtime.colormaps.has(urlState.cmap) ? urlState.cmap : "cmyt.arbre",
      scale: urlState.scale ?? fieldScales[field], vmin: urlState.vmin ?? null, vmax: urlState.vmax ?? null,
      linthresh: urlState.linthresh ?? null, length_units: lengthUnits,
      length_unit: urlState.unit && urlState.unit in lengthUnits ? urlState.unit : unit,
      show_mesh: !!urlState.mesh, wheel_zoom: true, frame: {}, error: "",
    });
    this.viewer?.destroy();
    const host = $("#viewer");
    host.replaceChildren();
    this.viewer = new Viewer(host, store, runtime, slice.mesh);
    this.file = urlState.file ?? null;
    const toUrl = () => this.writeUrl(store);
    store.on(URL_KEYS.map((k) => `change:${k}`).join(" "), toUrl);
    toUrl();
    document.title = `${name} — ytlite`;
    this.say(`${name}: ${slice.numCells.toLocaleString("en")} cells, fields ${slice.fieldList.join(", ")} `
      + `(read in ${(performance.now() - t0).toFixed(0)} ms)`);
  }

  writeUrl(store) {
    if (!this.file) { history.replaceState(null, "", location.pathname); return; }
    const s = (k) => store.get(k);
    const query = encodeState({
      file: this.file, field: s("field"), cmap: s("cmap"), scale: s("scale"), view: s("view"), vmin: s("vmin"),
      vmax: s("vmax"), linthresh: s("linthresh"), resolution: s("resolution"), unit: s("length_unit"), mesh: s("show_mesh"),
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
