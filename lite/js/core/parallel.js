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
//   {type: "mesh", mesh, field, layout}                     a new mesh holding a field's values: its
//                                                           VariableMesh partsLayout() (the arrays' lengths)
//   {type: "part", mesh, name, offset, values}              then each array of its parts (compact: ~18
//                                                           bytes a cell) a chunk at a time
//   {type: "meshDone", mesh}                                and the mesh is complete
//   {type: "values", mesh, field, offset, values}           another field's values, a chunk at a time
//   {type: "band", job, mesh, field, view, width, height, row0, row1, antialias, periodic, period}
//   {type: "spare", buffer}                                 a band's buffer back, to fill again
// (worker -> main):
//   {type: "band", job, row0, row1, values}                 values transferred (a view of a reused
//                                                           buffer)
//   {type: "returned", buffer}                              a chunk's buffer back, copied into wasm memory
//   {type: "error", job?, message}                          a band (or a mesh, job null) failed
// Buffers go back and forth (no fresh memory per band or per image: fresh
// memory costs page faults, as much as the copy itself). A mesh or a field
// goes to a worker through a few buffers of CHUNK values, each sent again
// once the worker gives it back: a whole array in one message would stay in
// the worker's memory, beside its wasm copy, until its thread's next full
// garbage collection (detaching it there does not free it: the message
// holds it), which an idle worker may not run for long.

// Bands per worker in one image: enough for balance and quick cancelling,
// few enough that each band's fixed cost (culling, a message) stays small.
export const BANDS_PER_WORKER = 4;
// Bands sent to a worker ahead of its replies: it starts the next one while
// the main thread takes the last one in (no idle gap of a message's round trip).
export const BANDS_AHEAD = 2;
// Values per message (of 8 bytes; as many smaller ones) when a mesh or a
// field goes to the workers, and buffers of that size in flight per worker:
// the copies in flight stay small.
export const CHUNK = 1 << 20;
export const CHUNKS_IN_FLIGHT = 3;

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

// A chunk's buffer back to the main thread, its values copied into wasm memory.
const returned = (values) => ({ reply: { type: "returned", buffer: values.buffer }, transfer: [values.buffer] });

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
        case "mesh": return this.startMesh(msg);
        case "part": return this.setPart(msg);
        case "meshDone": return this.finishMesh(msg);
        case "values": return this.setValues(msg);
        case "band": return this.deposit(msg);
        case "spare": this.spares.push(msg.buffer); return null;
        default: throw new Error(`unknown message ${JSON.stringify(msg.type)}`);
      }
    } catch (err) {
      return { reply: { type: "error", job: msg.job ?? null, message: String(err?.message ?? err) }, transfer: [] };
    }
  }

  // A new mesh: its arrays allocated in wasm memory at their lengths, filled as the parts arrive.
  startMesh({ mesh, field, layout }) {
    this.mesh?.free();
    this.builder?.free();
    this.mesh = this.builder = null;
    this.meshId = this.field = null;
    this.builder = new this.px.PartsBuilder(layout);
    this.building = { mesh, field };
    return null;
  }

  setPart({ mesh, name, offset, values }) {
    if (this.builder && mesh === this.building.mesh) this.builder.view(name).set(values, offset);
    return returned(values); // (or a part of a mesh no longer wanted: nothing to do)
  }

  finishMesh({ mesh }) {
    if (!this.builder || mesh !== this.building.mesh) return null;
    const builder = this.builder;
    this.builder = null;
    try {
      this.mesh = builder.finish(); // (checks every invariant)
    } finally {
      builder.free();
    }
    this.meshId = mesh;
    this.field = this.building.field;
    return null;
  }

  setValues({ mesh, field, offset, values }) {
    if (mesh !== this.meshId) throw new Error("the field's mesh is not this worker's");
    this.field = null;
    this.mesh.valuesView().set(values, offset);
    const end = offset + values.length;
    if (end === this.mesh.len()) { // the last chunk
      this.mesh.validate();
      this.field = field;
    }
    return returned(values);
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
  constructor({ spawn, module, size, chunk = CHUNK, inFlight = CHUNKS_IN_FLIGHT }) {
    this.size = size;
    this.active = size; // workers new bands go to (setActive)
    this.chunk = chunk;
    this.inFlight = inFlight;
    this.meshId = 0;
    this.field = null;
    this.jobs = 0;
    this.job = null; // the image being made: {id, request, queue, pending, out, resolve, reject}
    this.broken = null; // why the pool cannot be used any more (a worker died)
    // images asked for, cancelled before done, bands deposited; the most chunk buffers one worker had at once
    this.stats = { images: 0, cancelled: 0, bands: 0, chunkBuffers: 0 };
    this.workers = [];
    for (let i = 0; i < size; i++) {
      const w = spawn();
      // sent: bands not answered yet; tasks: messages and array copies still to send (bands wait for
      // them); pool: chunk buffers back from the worker; buffers: how many this worker has
      const slot = { worker: w, sent: 0, tasks: [], pool: [], buffers: 0 };
      w.onmessage = (e) => this.received(slot, e.data);
      w.onerror = (e) => this.fail(`a deposit worker stopped: ${e?.message ?? e}`);
      w.postMessage({ type: "init", module });
      this.workers.push(slot);
    }
  }

  // A new mesh (a wasm VariableMesh holding the values of `field`, kept
  // alive until the next setMesh): its parts (compact when the mesh is)
  // copied to every worker a chunk at a time, from the mesh's own memory.
  setMesh(mesh, field) {
    this.cancel();
    this.meshId += 1;
    const layout = mesh.partsLayout(), id = this.meshId;
    const names = layout.kind === "table" ? ["xTable", "xIndex", "yTable", "yIndex", "pdIndex", "values"]
      : ["px", "py", "pdx", "pdy", "values"];
    for (const slot of this.workers) {
      slot.tasks = [{ message: { type: "mesh", mesh: id, field, layout } },
        ...names.map((name) => ({ type: "part", mesh: id, name, offset: 0, length: layout[name], source: () => mesh.partView(name) })),
        { message: { type: "meshDone", mesh: id } }];
      this.pump(slot);
    }
    this.field = field;
  }

  // The mesh given to setMesh is about to be freed: nothing more of it is sent.
  forgetMesh() {
    this.cancel();
    for (const slot of this.workers) slot.tasks = [];
  }

  // Another field's values (a Float64Array, one per cell) for the workers' copies.
  setValues(field, values) {
    this.cancel();
    for (const slot of this.workers) {
      slot.tasks = slot.tasks.filter((t) => t.type !== "values"); // (a field no longer wanted)
      slot.tasks.push({ type: "values", mesh: this.meshId, field, offset: 0, length: values.length, source: () => values });
      this.pump(slot);
    }
    this.field = field;
  }

  // Send what a worker is owed, as far as its chunk buffers go (a buffer
  // the worker gives back sends the next chunk); then its bands.
  pump(slot) {
    while (slot.tasks.length) {
      const task = slot.tasks[0];
      if (task.message) {
        slot.worker.postMessage(task.message);
        slot.tasks.shift();
        continue;
      }
      if (task.offset >= task.length) {
        slot.tasks.shift();
        continue;
      }
      let buffer = slot.pool.pop();
      if (!buffer) {
        if (slot.buffers >= this.inFlight) return;
        buffer = new ArrayBuffer(this.chunk * 8);
        slot.buffers += 1;
        this.stats.chunkBuffers = Math.max(this.stats.chunkBuffers, slot.buffers);
      }
      let source;
      try {
        source = task.source(); // (a fresh view: wasm memory may have grown since)
      } catch {
        // (the mesh was freed before all of it went: a newer one follows, forgetMesh having said so)
        slot.tasks = [];
        slot.pool.push(buffer);
        return;
      }
      const count = Math.min(task.length - task.offset, Math.floor(buffer.byteLength / source.BYTES_PER_ELEMENT));
      const values = new source.constructor(buffer, 0, count);
      values.set(source.subarray(task.offset, task.offset + count));
      slot.worker.postMessage({ type: task.type, mesh: task.mesh, field: task.field, name: task.name, offset: task.offset, values }, [buffer]);
      task.offset += count;
    }
    slot.buffers -= slot.pool.length; // (all sent: the buffers back already are let go)
    slot.pool = [];
    this.feed();
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
      while (slot.sent < BANDS_AHEAD && job.queue.length > 0 && !slot.tasks.length) {
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
    if (msg.type === "returned") { // a chunk copied: its buffer takes the next one, if there is one
      if (slot.tasks.length) {
        slot.pool.push(msg.buffer);
        this.pump(slot);
      } else {
        slot.buffers -= 1; // (let go: nothing more to send)
      }
      return;
    }
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
