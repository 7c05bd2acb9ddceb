// ytlite's slice viewer as an anywidget (the _esm of ytlite.SliceViewer;
// bundled by esbuild into ytlite/_generated/widget.js). A thin host: it
// reads the dataset's file itself when Python names one it can reach
// (`_source`), else turns the model's binary buffers into arrays; gets the
// page's one pixelizer runtime from the shared assets model; mounts the Viewer.

import { isShippedCopy } from "./core/conventions.js";
import { base64ToFS, deviceBytes, loadH5wasm, openSlice, progressText, siteRoot } from "./core/fetchfile.js";
import { wasmGeometry } from "./core/pipeline.js";
import { loadRuntime } from "./core/runtime.js";
import { loadSlice, openSliceFile } from "./core/slicefile.js";
import { stackSource } from "./core/stack.js";
import { parseTour } from "./core/tour.js";
import { TourPlayer } from "./ui/tourplayer.js";
import { Viewer } from "./ui/viewer.js";

function float64s(dataView, what) {
  if (!dataView || dataView.byteLength % 8 !== 0) {
    throw new Error(`${what}: ${dataView ? dataView.byteLength : 0} bytes is not float64 data`);
  }
  if (dataView.byteOffset % 8 === 0) {
    return new Float64Array(dataView.buffer, dataView.byteOffset, dataView.byteLength / 8);
  }
  return new Float64Array(dataView.buffer.slice(dataView.byteOffset, dataView.byteOffset + dataView.byteLength));
}

const bytes = (dv) => new Uint8Array(dv.buffer, dv.byteOffset, dv.byteLength);

// The wasm module and colormap tables travel once per page, in one shared
// model that every viewer refers to.
async function runtimeOf(model) {
  const ref = model.get("_assets"); // "IPY_MODEL_<id>" (ipywidgets' widget_serialization)
  const assets = await model.widget_manager.get_model(ref.replace(/^IPY_MODEL_/, ""));
  return loadRuntime({
    key: ref,
    wasm: bytes(assets.get("pixelizer_wasm")),
    colormapIndex: assets.get("colormap_index"),
    colormapTables: bytes(assets.get("colormap_tables")),
  });
}

function meshFrom(state, units, what = "") {
  const fields = {};
  for (const [name, dv] of Object.entries(state.fields)) fields[name] = float64s(dv, `${what}field ${name}`);
  return {
    px: float64s(state.px, `${what}px`), py: float64s(state.py, `${what}py`),
    pdx: float64s(state.pdx, `${what}pdx`), pdy: float64s(state.pdy, `${what}pdy`), fields, units,
  };
}

// The site's files, as JupyterLite serves them to the page: `path` is
// relative to the drive's root (what the kernel sees under /drive).
const encodePath = (path) => path.split("/").map(encodeURIComponent).join("/");

// Whether the drive's copy of `path` is the file shipped with the site (its
// static listing has it, same time and size) and not one in the browser's
// storage (uploaded, dropped, written by Python), which takes precedence.
async function shippedWithSite(root, path, size, mtimeMs) {
  const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "";
  const url = new URL(`api/contents/${dir ? `${encodePath(dir)}/` : ""}all.json`, root);
  const response = await fetch(url).catch(() => null);
  if (!response?.ok) return false;
  const listing = await response.json().catch(() => null);
  const entry = listing?.content?.find?.((e) => e.path === path);
  return isShippedCopy(entry, path, size, mtimeMs);
}

// A file named by Python's `_source` ({path, name, size, mtime_ms[, cells]})
// read in the page: the site's copy a piece at a time by HTTP ranges (or a
// streamed fetch into h5wasm's FS where the server sends only whole files),
// or the browser's stored copy into the FS; then one dataset at a time into
// the wasm mesh. Any failure throws with what happened.
async function readSource(entry, runtime, fieldNames, report, store) {
  const { path, name } = entry;
  const app = globalThis.jupyterapp;
  const root = siteRoot();
  if (!app?.serviceManager?.contents || !root) throw new Error("this page is not a JupyterLite app: it cannot read the drive");
  const h5wasm = await loadH5wasm(new URL("view/h5wasm.js", root)); // (the kiosk's copy: one file on the site)
  const contents = app.serviceManager.contents;
  const model = await contents.get(path, { content: false }).catch((err) => {
    throw new Error(`${path} is not in the drive (${err?.message ?? err})`);
  });
  if (Date.parse(model.last_modified) !== entry.mtime_ms || (model.size || 0) !== entry.size) {
    throw new Error(`${path} changed since Python read it`);
  }
  const onProgress = (received, total) => report(progressText(name, received, total));
  report(progressText(name, 0, entry.size));
  let file;
  if (await shippedWithSite(root, path, entry.size, entry.mtime_ms)) {
    // (by ranges where the server serves them: the page never holds the whole file)
    file = await openSlice(h5wasm, new URL(`files/${encodePath(path)}`, root), name, { size: entry.size, onProgress });
  } else {
    const stored = await contents.get(path, { content: true, format: "base64" });
    if (stored.format !== "base64" || typeof stored.content !== "string") {
      throw new Error(`${path}: the browser's storage holds it as ${stored.format}, not binary`);
    }
    file = openSliceFile(h5wasm, base64ToFS(h5wasm, stored.content, name, { onProgress }), name);
  }
  const slice = await loadSlice(file, {
    geometry: wasmGeometry(runtime.px), fields: fieldNames, inUse: runtime.memoryBytes(),
    available: deviceBytes(),
    // (a file read a piece at a time says its bytes as they come: openSlice's onProgress)
    progress: file.paged ? null : (done, total) => report(`Reading ${name}: arrays ${done} of ${total} into the viewer`),
  });
  // the page read what Python read (same cells, the fields Python offers)
  const missing = fieldNames.filter((f) => !(f in slice.mesh.fields));
  if ((entry.cells != null && slice.numCells !== entry.cells) || missing.length) {
    slice.mesh.free();
    throw new Error(`${name} in the page differs from what Python read`
      + (missing.length ? ` (no ${missing.join(", ")})` : ` (${slice.numCells} cells, not ${entry.cells})`));
  }
  addFieldScales(store, slice.fieldScales, fieldNames);
  return slice.mesh;
}

// The usual scales of the fields Python has not scanned (ytlite.load scans the sign of the field shown
// first only: the others' would be a read of every field in the kernel before the page reads them again),
// from the page's own read (the same rule, conventions.js: defaultScale), added to field_scales for the
// toolbar's field switch and told to Python; the scales Python sent are kept.
function addFieldScales(store, scales, fieldNames) {
  const known = store.get("field_scales") ?? {};
  const added = Object.fromEntries(Object.entries(scales).filter(([f]) => fieldNames.includes(f) && !(f in known)));
  if (!Object.keys(added).length) return;
  store.set("field_scales", { ...known, ...added });
  store.save_changes();
}

// The page could not read the file: Python sends the arrays instead (then "reload").
function fallBack(store, err) {
  const message = String(err?.message ?? err);
  store.send({ type: "source-failed", message });
  return Object.assign(new Error(`${message}; Python is sending the cells instead ...`), { fallback: true });
}

// What the Viewer draws: from `_source`, read in the page (a mesh arriving,
// or a stack whose slices are read when first shown, a few kept); else the
// model's buffers, every depth's cells with the model (sent once), so moving
// through the depth never asks the kernel for anything.
function meshOf(model, runtime, store) {
  const units = model.get("field_units");
  const coords = model.get("depth_coords") ?? [];
  const fieldNames = Object.keys(model.get("fields"));
  const files = model.get("_source")?.files ?? [];
  if (files.length) {
    const read = (i, report) => readSource(files[i], runtime, fieldNames, report, store).catch((err) => {
      throw fallBack(store, err);
    });
    if (!coords.length) return { pending: (report) => read(0, report), fieldNames, units };
    return {
      stack: stackSource({ coords, cacheSize: 8, load: read, dispose: (mesh) => mesh.free?.() }),
      fieldNames, units,
    };
  }
  if (!coords.length) return meshFrom({ px: model.get("px"), py: model.get("py"), pdx: model.get("pdx"),
    pdy: model.get("pdy"), fields: model.get("fields") }, units);
  const meshes = model.get("depth_meshes");
  return {
    stack: stackSource({ coords, cacheSize: coords.length, load: (i) => meshFrom(meshes[i], units, `slice ${i}: `) }),
    fieldNames, units,
  };
}

// The viewer's store over the model. What the browser changes reaches Python
// in one custom message per save, not through ipywidgets' update throttle:
// that throttle waits for a status reply JupyterLite's kernel does not
// attribute to the update, and drops what it merged meanwhile (changes made
// while a cell runs were lost). Python applies the state without echoing it.
//
// Listeners go through the current view's model (anywidget's proxy, which
// drops them when that view goes): the store keeps its own list and moves
// them to the next view's model when that view adopts the viewer (below).
function modelStore(initialModel) {
  const dirty = new Set();
  const listeners = []; // [event, callback]
  let model = null;
  const markDirty = (name) => dirty.add(name);
  const store = {
    get: (name) => model.get(name),
    set(name, value) {
      model.set(name, value);
      dirty.add(name);
    },
    on(event, cb) {
      listeners.push([event, cb]);
      model.on(event, cb);
    },
    off(event, cb) {
      const i = listeners.findIndex(([e, c]) => e === event && c === cb);
      if (i >= 0) listeners.splice(i, 1);
      model.off(event, cb);
    },
    save_changes() {
      if (!dirty.size) return;
      const state = {}, binary = [], buffers = [];
      for (const name of dirty) {
        const v = model.get(name);
        if (v instanceof DataView) {
          binary.push(name);
          buffers.push(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
        } else {
          state[name] = v;
        }
      }
      dirty.clear();
      // as JSON text: Pyodide's kernel turns a JSON null into its own jsnull, not None
      model.send({ type: "state", json: JSON.stringify(state), binary }, undefined, buffers);
    },
    send: (...args) => model.send(...args),
    // listen through another view's model from now on
    attach(next) {
      if (model) for (const [event, cb] of listeners) model.off(event, cb);
      model = next;
      if (model) for (const [event, cb] of listeners) model.on(event, cb);
    },
    dispose() {
      store.attach(null);
      listeners.length = 0;
    },
  };
  store.attach(initialModel);
  store.on("ytlite:local-change", markDirty); // set by a ViewerLink in the browser
  return store;
}

function fail(el, model, err) {
  const msg = document.createElement("div");
  msg.className = "ytlite-error";
  msg.style.cssText = "padding: 8px; background: #fde8e8; color: #8a1c1c; display: block;";
  msg.textContent = `ytlite viewer could not start: ${err && err.message ? err.message : err}`;
  el.append(msg);
  model.set("error", msg.textContent);
  model.save_changes();
}

// A running viewer: its DOM, its store and the model listeners it needs.
async function startViewer(model, el) {
  const store = modelStore(model);
  let runtime;
  // A file dropped on the viewer goes to Python, which keeps it beside the
  // notebook, reads it and sends the new cells (then "reload", below).
  const options = {
    snapshots: true,
    dropFile: async (file) => {
      const bytes = await file.arrayBuffer();
      store.send({ type: "open", name: file.name }, undefined, [bytes]);
      return `opening ${file.name} (${(bytes.byteLength / 1e6).toFixed(1)} MB) ...`;
    },
  };
  const record = { viewer: null, store, owner: null, timer: 0 };
  try {
    runtime = await runtimeOf(model);
    record.viewer = new Viewer(el, store, runtime, meshOf(model, runtime, store), options);
  } catch (err) {
    store.dispose();
    fail(el, model, err);
    return null;
  }
  store.on("msg:custom", async (msg) => {
    const viewer = record.viewer;
    if (msg?.type === "opening") { // another dataset's state follows: stop drawing these cells
      viewer.destroy();
    } else if (msg?.type === "reload") { // ... and has arrived: a new viewer in the same place
      const parent = viewer.root.parentElement;
      viewer.destroy();
      viewer.root.remove();
      try {
        record.viewer = new Viewer(parent, store, runtime, meshOf(store, runtime, store), options);
      } catch (err) {
        fail(parent, store, err);
      }
    } else if (msg?.type === "play-tour") { // viewer.play(tour): every stop of this viewer's dataset
      record.player?.stop();
      const tour = parseTour(msg.tour, "the tour");
      const host = {
        store: () => store, file: () => tour.stops[0].file, defaults: () => ({ view: store.get("domain"), field: store.get("field") }),
        open: async (file) => { throw new Error(`this viewer shows one dataset, not ${file}`); },
        caption: (text) => record.viewer.setCaption(text),
        failed: (message) => record.viewer.showError(message),
      };
      const reducedMotion = !!globalThis.matchMedia?.("(prefers-reduced-motion: reduce)").matches;
      record.player = new TourPlayer(tour, host, {
        loop: !!msg.loop, reducedMotion, onEnd: () => { record.player = null; store.save_changes(); },
      }).start();
      const stop = () => {
        if (!record.player) return;
        record.player.stop();
        record.player = null;
        record.viewer.setCaption("");
        store.save_changes();
      };
      viewer.canvas.addEventListener("pointerdown", stop, { once: true }); // (a gesture takes over)
    } else if (msg?.type === "open-error") {
      viewer.showError(`could not open the file: ${msg.message}`);
    } else if (msg?.type === "png") { // Python asks for pictures it cannot draw itself (save_png(axes=False))
      try {
        const png = await viewer.pngBytes(msg.axes !== false);
        store.send({ type: "png", id: msg.id }, undefined, [png.buffer]);
      } catch (err) {
        store.send({ type: "png", id: msg.id, error: String(err.message ?? err) });
      }
    }
  });
  record.destroy = () => {
    record.viewer.destroy();
    store.dispose();
  };
  return record;
}

// Viewers alive on this page, per model. JupyterLab re-renders a widget's
// output on every update_display (each PNG snapshot kept for the saved
// notebook): either it disposes the output and renders a new one, or
// jupyterlab_widgets makes a new view in the same place and never removes
// the old one. A new viewer each time would flash, drop a gesture in
// progress, redo the deposit (and, in the second case, leak the old viewer);
// instead the new view adopts the viewer the old view leaves behind. A second
// display of the same widget still gets a viewer of its own.
const live = new Map(); // the model's _key -> Set of records
const ORPHAN_GRACE_MS = 3000; // a released viewer waits this long for a new view to adopt it

function whenConnected(el, signal) {
  return new Promise((resolve) => {
    if (el.isConnected) return resolve(true);
    // a MutationObserver runs before the next paint: the swap never shows
    const observer = new MutationObserver(() => {
      if (el.isConnected) { observer.disconnect(); resolve(true); }
    });
    observer.observe(document, { childList: true, subtree: true });
    signal?.addEventListener("abort", () => { observer.disconnect(); resolve(false); });
  });
}

function adopt(record, model, el, owner) {
  clearTimeout(record.timer);
  record.owner = owner;
  record.store.attach(model);
  el.append(record.viewer.root); // as it was: no redraw (a redraw would make a new snapshot)
  record.viewer.fit(); // to its new container (and watch that one)
}

async function mount(key, running, model, el, owner, signal) {
  // the old output was disposed first: its viewer waits, released
  const released = [...running].find((r) => r.owner === null);
  if (released) return adopt(released, model, el, owner);
  if (running.size) {
    // the old view stays until the new one is on the page, then leaves it
    if (!(await whenConnected(el, signal))) return undefined;
    const left = [...running].find((r) => !r.viewer.root.isConnected);
    if (left) return adopt(left, model, el, owner);
  }
  const record = await startViewer(model, el);
  if (!record) return undefined;
  record.owner = owner;
  running.add(record);
  if (signal?.aborted) release(key, running, owner);
  return undefined;
}

function release(key, running, owner) {
  for (const record of running) {
    if (record.owner !== owner) continue;
    record.owner = null;
    record.timer = setTimeout(() => {
      if (record.owner !== null) return;
      running.delete(record);
      record.destroy();
      if (!running.size) live.delete(key);
    }, ORPHAN_GRACE_MS);
  }
}

async function render({ model, el, signal }) {
  // anywidget hands each view its own proxy of the model: key by the model's id
  const key = model.get("_key");
  let running = live.get(key);
  if (!running) live.set(key, (running = new Set()));
  const owner = {};
  const first = running.size === 0;
  const mounting = mount(key, running, model, el, owner, signal);
  // A first view starts its viewer before returning; a new view of a live
  // viewer adopts it once the page has swapped the views, after this returns.
  if (first) await mounting;
  return () => release(key, running, owner);
}

export default { render };
