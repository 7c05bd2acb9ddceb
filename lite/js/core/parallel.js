// Exact deposits off the main thread: an image split into row bands, each
// band deposited by a Web Worker with its own wasm instance and its own copy
// of the mesh (no SharedArrayBuffer: works on any static host, in
// JupyterLite and from a file:// share).
//
// Why row bands and not cells: yt's value of a pixel is a sum over the cells
// touching it in the file's order, so splitting the *cells* between workers
// changes the sums' order (not exact); a band of *rows* computed on the
// whole image's pixel grid (`RowBand.depositRows`, see rust/src/lib.rs) is
// the same rows of the whole deposit bit for bit. The bands put together are
// the single-thread image, byte for byte.
//
// Both sides of the protocol live here (one place for it):
//   BandWorker   - the worker side: messages in, replies out (lite/js/depositworker.js
//                  is its thin host; node tests run it in-process)
//   DepositPool  - the main-thread side: K workers, one image at a time split into
//                  more bands than workers (so a late worker does not hold the frame
//                  up and a newer image cancels an older one between bands), the
//                  bands assembled into one Float64Array (row 0 at y_min)
//
// Messages (main -> worker):
//   {type: "init", module}                                  a compiled WebAssembly.Module
//   {type: "mesh", mesh, field, parts}                      a mesh and a field's values: VariableMesh
//                                                           parts() (compact: ~18 bytes a cell), transferred
//   {type: "values", mesh, field, offset, values}           another field's values, in chunks of CHUNK
//   {type: "band", job, mesh, field, view, width, height, row0, row1, antialias, periodic, period}
//   {type: "spare", buffer}                                 a band's buffer back, to fill again
// (worker -> main):
//   {type: "band", job, row0, row1, values}                 values transferred (a view of a reused
//                                                           buffer)
//   {type: "error", job?, message}                          a band (or a mesh, job null) failed
// Buffers go back and forth (no fresh memory per band or per image: fresh
// memory costs page faults, as much as the copy itself).

import { free } from "./buffers.js";

// Bands per worker in one image: enough for balance and quick cancelling,
// few enough that each band's fixed cost (culling, a message) stays small.
export const BANDS_PER_WORKER = 4;
// Bands sent to a worker ahead of its replies: it starts the next one while
// the main thread takes the last one in (no idle gap of a message's round trip).
export const BANDS_AHEAD = 2;
// Values per message when a field goes to the workers: the copies in flight
// stay small (a whole copy per worker at once would add as much again).
export const CHUNK = 1 << 20;

// `parts` consecutive bands [row0, row1) covering 0..height, as even as
// whole rows allow; never an empty band (at most `height` bands).
export function splitRows(height, parts) {
  const k = Math.max(1, Math.min(height, Math.floor(parts)));
  const bands = [];
  for (let i = 0; i < k; i++) bands.push([Math.floor((i * height) / k), Math.floor(((i + 1) * height) / k)]);
  return bands;
}

// The most memory the workers' copies of a mesh may take together: each
// worker holds a whole copy (no SharedArrayBuffer), so a big mesh gets fewer
// workers rather than exhaust the machine.
export const COPIES_BUDGET = 2 ** 31;

// How many workers: the CPU's threads (navigator.hardwareConcurrency), at
// most `cap`, and at most as many copies of a mesh of `meshBytes` as fit in
// `budget`; at least 1 (off the main thread even on one core).
export function workerCount(hardwareConcurrency, { cap = 4, meshBytes = 0, budget = COPIES_BUDGET } = {}) {
  const n = Math.floor(Number(hardwareConcurrency) || 1);
  const fit = meshBytes > 0 ? Math.floor(budget / meshBytes) : Infinity;
  return Math.max(1, Math.min(cap, n, fit));
}

// -- worker side --------------------------------------------------------------

export class BandWorker {
  // px: the pixelizer glue (already instantiated in this worker)
  constructor(px) {
    this.px = px;
    this.mesh = null;
    this.meshId = null;
    this.field = null;
    this.band = new px.RowBand();
    this.spares = []; // ArrayBuffers sent back by the main thread
  }

  // -> {reply, transfer} or null (nothing to say)
  handle(msg) {
    try {
      switch (msg.type) {
        case "mesh": return this.setMesh(msg);
        case "values": return this.setValues(msg);
        case "band": return this.deposit(msg);
        case "spare": this.spares.push(msg.buffer); return null;
        default: throw new Error(`unknown message ${JSON.stringify(msg.type)}`);
      }
    } catch (err) {
      return { reply: { type: "error", job: msg.job ?? null, message: String(err?.message ?? err) }, transfer: [] };
    }
  }

  setMesh({ mesh, field, parts }) {
    this.mesh?.free();
    this.mesh = null;
    this.meshId = this.field = null;
    try {
      this.mesh = this.px.VariableMesh.fromParts(parts); // (checks every invariant)
    } finally {
      for (const a of Object.values(parts)) if (ArrayBuffer.isView(a)) free(a); // (copied into wasm memory)
    }
    this.meshId = mesh;
    this.field = field;
    return null;
  }

  setValues({ mesh, field, offset, values }) {
    if (mesh !== this.meshId) throw new Error("the field's mesh is not this worker's");
    this.field = null;
    this.mesh.valuesView().set(values, offset);
    const end = offset + values.length;
    free(values); // (copied into wasm memory)
    if (end === this.mesh.len()) { // the last chunk
      this.mesh.validate();
      this.field = field;
    }
    return null;
  }

  deposit(m) {
    if (m.mesh !== this.meshId || m.field !== this.field) throw new Error("this worker has another mesh or field");
    const [x0, x1, y0, y1] = m.view;
    if (m.periodic) {
      this.band.depositRowsPeriodic(this.mesh, x0, x1, y0, y1, m.width, m.height, m.row0, m.row1, !!m.antialias,
        m.period[0], m.period[1]);
    } else {
      this.band.depositRows(this.mesh, x0, x1, y0, y1, m.width, m.height, m.row0, m.row1, !!m.antialias);
    }
    const band = this.band.values();
    const n = band.length;
    let buffer = this.spares.pop();
    if (!buffer || buffer.byteLength < n * 8) buffer = new ArrayBuffer(n * 8 + 64 * 1024); // (room for a longer band)
    const values = new Float64Array(buffer, 0, n);
    values.set(band); // out of wasm memory, transferred
    return { reply: { type: "band", job: m.job, row0: m.row0, row1: m.row1, values }, transfer: [buffer] };
  }
}

// -- main-thread side ---------------------------------------------------------

export class Cancelled extends Error {
  constructor() {
    super("a newer image was asked for");
    this.cancelled = true;
  }
}

export class DepositPool {
  // spawn(): a Worker (or anything with postMessage, onmessage, onerror,
  // terminate) running BandWorker; module: the compiled pixelizer; size: K.
  // chunk: values per message when a field is sent (CHUNK; tests use small ones)
  constructor({ spawn, module, size, chunk = CHUNK }) {
    this.size = size;
    this.active = size; // workers new bands go to (setActive)
    this.chunk = chunk;
    this.meshId = 0;
    this.field = null;
    this.jobs = 0;
    this.job = null; // the image being made: {id, request, queue, pending, out, resolve, reject}
    this.broken = null; // why the pool cannot be used any more (a worker died)
    this.stats = { images: 0, cancelled: 0, bands: 0 }; // asked for, cancelled before done, deposited
    this.workers = [];
    for (let i = 0; i < size; i++) {
      const w = spawn();
      const slot = { worker: w, sent: 0 }; // sent: bands not answered yet
      w.onmessage = (e) => this.received(slot, e.data);
      w.onerror = (e) => this.fail(`a deposit worker stopped: ${e?.message ?? e}`);
      w.postMessage({ type: "init", module });
      this.workers.push(slot);
    }
  }

  // A new mesh (a wasm VariableMesh holding the values of `field`): its
  // parts() copied for every worker (compact when the mesh is), transferred.
  setMesh(mesh, field) {
    this.cancel();
    this.meshId += 1;
    // (Transferred, not copied: a copy would cost the page more memory at its peak. The worker's thread
    // frees a transferred buffer only at its next full garbage collection (detaching it there does not),
    // so a worker holds its copy twice until then: bench/bigfile.py measures both.)
    for (const { worker } of this.workers) {
      const parts = mesh.parts();
      const buffers = Object.values(parts).filter((a) => ArrayBuffer.isView(a)).map((a) => a.buffer);
      worker.postMessage({ type: "mesh", mesh: this.meshId, field, parts }, buffers);
    }
    this.field = field;
  }

  setValues(field, values) {
    this.cancel();
    for (const { worker } of this.workers) {
      for (let offset = 0; offset < values.length; offset += this.chunk) {
        const chunk = values.slice(offset, Math.min(values.length, offset + this.chunk));
        worker.postMessage({ type: "values", mesh: this.meshId, field, offset, values: chunk }, [chunk.buffer]);
      }
    }
    this.field = field;
  }

  // The image of `request` ({view, width, height, antialias, periodic,
  // period}) over the current mesh and field: a Promise of its values
  // (Float64Array, row 0 at y_min), exactly frb.deposit's, valid until the
  // next image is asked for (the array is reused: copy what you keep). A
  // newer deposit() or cancel() rejects it with Cancelled.
  deposit(request) {
    if (this.broken) return Promise.reject(new Error(this.broken));
    if (this.field === null) return Promise.reject(new Error("no field: call setValues first"));
    this.cancel();
    this.stats.images += 1;
    const { width, height } = request;
    const queue = splitRows(height, this.size * BANDS_PER_WORKER);
    return new Promise((resolve, reject) => {
      if (this.out?.length !== width * height) this.out = new Float64Array(width * height);
      this.job = { id: ++this.jobs, request, queue, pending: queue.length, resolve, reject, out: this.out };
      this.feed();
    });
  }

  cancel() {
    const job = this.job;
    if (!job) return;
    this.job = null;
    this.stats.cancelled += 1;
    job.reject(new Cancelled());
  }

  busy() {
    return this.job !== null;
  }

  // Let only the first `n` workers (1..size) take new bands: while the view
  // moves the page's thread draws a preview every frame and needs a core of
  // its own; at rest every worker helps again (the bands not sent yet).
  setActive(n) {
    this.active = Math.max(1, Math.min(this.size, Math.floor(n)));
    this.feed();
  }

  feed() {
    const job = this.job;
    if (!job) return;
    for (const slot of this.workers.slice(0, this.active)) {
      while (slot.sent < BANDS_AHEAD && job.queue.length > 0) {
        const [row0, row1] = job.queue.shift();
        slot.sent += 1;
        const { view, width, height, antialias, periodic, period } = job.request;
        slot.worker.postMessage({
          type: "band", job: job.id, mesh: this.meshId, field: this.field, view, width, height, row0, row1,
          antialias: !!antialias, periodic: !!periodic, period: period ?? null,
        });
      }
    }
  }

  received(slot, msg) {
    if (msg.type === "error" && msg.job == null) { // a mesh or its values could not be held
      this.fail(`a deposit worker: ${msg.message}`);
      return;
    }
    slot.sent -= 1;
    if (msg.type === "band") {
      this.stats.bands += 1;
      slot.back = msg.values; // (its buffer goes back to the worker once copied, below)
    }
    const job = this.job;
    if (job && msg.job === job.id) {
      if (msg.type === "error") {
        this.job = null;
        job.reject(new Error(msg.message));
      } else {
        job.out.set(msg.values, msg.row0 * job.request.width);
        job.pending -= 1;
        if (job.pending === 0) {
          this.job = null;
          job.resolve(job.out);
        }
      }
    } // (else: a band of an image no longer wanted)
    if (slot.back) {
      const { buffer } = slot.back;
      slot.back = null;
      slot.worker.postMessage({ type: "spare", buffer }, [buffer]);
    }
    this.feed();
  }

  fail(message) {
    if (!this.broken) this.broken = message;
    const job = this.job;
    this.job = null;
    job?.reject(new Error(message));
  }

  terminate() {
    this.fail("the deposit workers were stopped");
    for (const { worker } of this.workers) worker.terminate();
    this.workers = [];
  }
}
