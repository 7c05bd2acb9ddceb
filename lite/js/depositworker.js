// The deposit worker's host (core/parallel.js: BandWorker): a classic
// worker, bundled by build.py into one script that the page starts from a
// blob URL (so it needs no file of its own on any host).
import { initSync } from "ytlite-pixelizer";
import * as glue from "ytlite-pixelizer";
import { BandWorker } from "./core/parallel.js";

let worker = null;
self.onmessage = (e) => {
  const msg = e.data;
  if (msg.type === "init") {
    try {
      initSync({ module: msg.module });
      worker = new BandWorker(glue);
    } catch (err) {
      self.postMessage({ type: "error", job: null, message: `could not start the pixelizer: ${err?.message ?? err}` });
    }
    return;
  }
  if (!worker) return; // (init failed: said once)
  const out = worker.handle(msg);
  if (out) self.postMessage(out.reply, out.transfer);
};
