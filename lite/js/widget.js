// ytlite's slice viewer as an anywidget (the _esm of ytlite.SliceViewer;
// bundled by esbuild into ytlite/_generated/widget.js). A thin host: it
// turns the model's binary buffers into arrays, gets the page's one
// pixelizer runtime from the shared assets model, and mounts the Viewer.

import { loadRuntime } from "./core/runtime.js";
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

function meshOf(model) {
  const fields = {};
  for (const [name, dv] of Object.entries(model.get("fields"))) fields[name] = float64s(dv, `field ${name}`);
  return {
    px: float64s(model.get("px"), "px"), py: float64s(model.get("py"), "py"),
    pdx: float64s(model.get("pdx"), "pdx"), pdy: float64s(model.get("pdy"), "pdy"),
    fields, units: model.get("field_units"),
  };
}

// The viewer's store over the model. What the browser changes reaches Python
// in one custom message per save, not through ipywidgets' update throttle:
// that throttle waits for a status reply JupyterLite's kernel does not
// attribute to the update, and drops what it merged meanwhile (changes made
// while a cell runs were lost). Python applies the state without echoing it.
function modelStore(model) {
  const dirty = new Set();
  const markDirty = (name) => dirty.add(name);
  model.on("ytlite:local-change", markDirty); // set by a ViewerLink in the browser
  return {
    get: (name) => model.get(name),
    set(name, value) {
      model.set(name, value);
      dirty.add(name);
    },
    on: (event, cb) => model.on(event, cb),
    off: (event, cb) => model.off(event, cb),
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
    dispose: () => model.off("ytlite:local-change", markDirty),
  };
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

async function render({ model, el }) {
  let viewer;
  const store = modelStore(model);
  try {
    const runtime = await runtimeOf(model);
    viewer = new Viewer(el, store, runtime, meshOf(model), { snapshots: true });
  } catch (err) {
    store.dispose();
    fail(el, model, err);
    return undefined;
  }
  // Python asks for pictures it cannot draw itself (save_png(axes=False)).
  const onMessage = async (msg) => {
    if (msg?.type !== "png") return;
    try {
      const png = await viewer.pngBytes(msg.axes !== false);
      model.send({ type: "png", id: msg.id }, undefined, [png.buffer]);
    } catch (err) {
      model.send({ type: "png", id: msg.id, error: String(err.message ?? err) });
    }
  };
  model.on("msg:custom", onMessage);
  return () => {
    model.off("msg:custom", onMessage);
    viewer.destroy();
    store.dispose();
  };
}

export default { render };
