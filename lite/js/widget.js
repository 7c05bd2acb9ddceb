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
  try {
    const runtime = await runtimeOf(model);
    viewer = new Viewer(el, model, runtime, meshOf(model), { snapshots: true });
  } catch (err) {
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
  };
}

export default { render };
