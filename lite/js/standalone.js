// The host inside a shared one-file view (core/standalone.js makes the
// file): it reads the view state, the mesh and the assets embedded in the
// document and mounts the same viewer as the kiosk page and the widget.
// Nothing is fetched: the file works from disk (file://) with no network.
// Bundled by esbuild (build.py: bundle_frontend) into view/ytlite-standalone.js,
// which the kiosk page inlines into each file it saves.

import { loadRuntime } from "./core/runtime.js";
import { REFINEMENT_LEVEL, refinementLevel } from "./core/conventions.js";
import { PAYLOAD_ELEMENT_ID, readStandalonePayload } from "./core/standalone.js";
import { createStore } from "./core/store.js";
import { Viewer } from "./ui/viewer.js";

async function main() {
  const status = document.getElementById("ytlite-standalone-status");
  try {
    const element = document.getElementById(PAYLOAD_ELEMENT_ID);
    if (!element) throw new Error("this file holds no ytlite view (no data element)");
    const { state, mesh, derived, wasm, colormapIndex, colormapTables } = await readStandalonePayload(element.textContent);
    // made from the cells, as the file readers make them (so not stored)
    for (const name of derived) {
      if (name !== REFINEMENT_LEVEL) throw new Error(`this file asks for a derived field ${name} this code cannot make`);
      mesh.fields[name] = refinementLevel(mesh.pdx);
      mesh.units[name] = "";
    }
    const runtime = await loadRuntime({ key: "standalone", wasm, colormapIndex, colormapTables });
    const store = createStore({ ...state, depth: 0, frame: {}, error: "" });
    const viewer = new Viewer(document.getElementById("viewer"), store, runtime, mesh);
    globalThis.ytliteStandalone = { store, viewer }; // for tests and the console
  } catch (err) {
    status.textContent = `could not show this view: ${err?.message ?? err}`;
    status.className = "error";
  }
}

main();
