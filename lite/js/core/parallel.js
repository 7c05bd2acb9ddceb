// Exact deposits off the main thread: an image split into row bands, each
// band deposited by a Web Worker with its own wasm instance and its own copy
// of the cells its rows need (no SharedArrayBuffer: works on any static
// host, in JupyterLite and from a file:// share).
//
// Why row bands and not cells: yt's value of a pixel is a sum over the cells
// touching it in the file's order, so splitting the *cells* between workers
// changes the sums' order (not exact); a band of *rows* computed on the
// whole image's pixel grid (`RowBand.depositRows`, see rust/src/lib.rs) is
// the same rows of the whole deposit bit for bit. The bands put together are
// the single-thread image, byte for byte.
//
// Strips: worker k holds only the cells of a strip of heights (`ySplits`:
// as many cells in each; `stripRuns`, else `stripMask`: the cells whose extent, or a periodic
// image's, meets it, gathered in the file's order as they are sent), so the
// workers hold about one copy of the mesh between them, not one each. A row lying inside
// a strip (less a margin for the plain fill's rounding, `stripOfRow`) gets
// from the strip's cells the whole mesh's bits (rust/src/variable_mesh.rs,
// `strip_mask`). A worker holds the cells of a little more than its strip
// (STRIP_OVERLAP), so that a row across two strips lies inside one of them
// as held and is deposited there too: on a 50 M-cell slice one such row,
// deposited on the page, took 12-24 ms of the page's thread as each move
// began. Only a row taller than the overlap (a view many times the cells'
// height) is deposited here, on the page's own mesh; a strip with no cell
// gives empty pixels (NaN).
//
// Both sides of the protocol live here (one place for it):
//   BandWorker   - the worker side: messages in, replies out (lite/js/depositworker.js
//                  is its thin host; node tests run it in-process)
//   DepositPool  - the main-thread side: K workers, a strip each, one image at a
//                  time split into more bands than workers (so a newer image cancels
//                  an older one between bands), the bands assembled into one
//                  Float64Array (row 0 at y_min)
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
//   {type: "band", job, row0, row1, values, ms}             values transferred (a view of a reused
//                                                           buffer); ms: the deposit's time there
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
// the copies in flight stay small (they are the page's garbage once sent:
// 8 MB chunks made the 7.5 M-cell kiosk load peak 25 MB higher than 2 MB).
export const CHUNK = 1 << 18;
export const CHUNKS_IN_FLIGHT = 3;
// How far past its strip (a fraction of the cells' height, above and below)
// a worker holds cells: a row across two strips is inside one strip as held
// in every view up to ~STRIP_OVERLAP * height rows tall the cells' height
// (4x it at 512 rows). Each strip holds more cells for it: 1/128 gave +1.6 %
// (10 M-cell synthetic slice) to +3.2 % (1 M) a strip; 1/64, +3.2 to +7.5 %,
// made the 1 M-cell exact image in K = 2 workers ~10 % slower.
export const STRIP_OVERLAP = 1 / 128;

// `parts` consecutive bands [row0, row1) covering 0..height, as even as
// whole rows allow; never an empty band (at most `height` bands).
export function splitRows(height, parts) {
  const k = Math.max(1, Math.min(height, Math.floor(parts)));
  const bands = [];
  for (let i = 0; i < k; i++) bands.push([Math.floor((i * height) / k), Math.floor(((i + 1) * height) / k)]);
  return bands;
}

// How many workers: the CPU's threads (navigator.hardwareConcurrency), at
// most `cap`; at least 1 (off the main thread even on one core). (Their
// strips hold about one copy of the mesh between them, whatever their number.)
export function workerCount(hardwareConcurrency, { cap = 4 } = {}) {
  const n = Math.floor(Number(hardwareConcurrency) || 1);
  return Math.max(1, Math.min(cap, n));
}

// The strip holding row `i` of an image of `height` rows over heights
// [y0, y1] whole, or whole once shifted by a period (`strips.period`,
// when the strips cover one period), its index in `strips` ([{lo, hi,
// heldLo, heldHi}], increasing: the heights it is given, and those its
// worker holds the cells of, around them), or -1: a row outside every strip
// as held (across two, taller than the overlap). The row's edges are the
// deposit's own expressions; the margin is far above the rounding of a
// plain fill's row range and of a period's shift (rust/src/variable_mesh.rs,
// `strip_mask`; `strips.scale`: the heights the mesh's cells span).
export function stripOfRow(strips, y0, y1, height, i) {
  const period = strips.period ?? NaN;
  const pxdy = (y1 - y0) / height;
  const margin = 1e-12 * (Math.abs(y0) + Math.abs(y1) + (y1 - y0) + 2 * (Number.isFinite(period) ? period : 0) + (strips.scale ?? 0));
  const a = pxdy * i + y0, b = pxdy * (i + 1) + y0;
  const shifts = Number.isFinite(period) ? [0, -period, period] : [0];
  // (its own strip first; a row across two, the strip that holds the cells it needs)
  for (const [lo, hi] of [["lo", "hi"], ["heldLo", "heldHi"]]) {
    for (const shift of shifts) {
      for (let k = 0; k < strips.length; k++) {
        const strip = strips[k], l = strip[lo] ?? strip.lo, h = strip[hi] ?? strip.hi;
        if (a - shift >= l + margin && b - shift <= h - margin) return k;
      }
    }
  }
  return -1;
}

// The rows of an image by where they are deposited: {bands: [[row0, row1]] per strip (about
// `perStrip` of them for a strip's rows), here: [[row0, row1]] the rows across strips}.
export function planRows(strips, y0, y1, height, perStrip) {
  const runs = []; // [k, row0, row1]
  for (let i = 0; i < height; i++) {
    const k = stripOfRow(strips, y0, y1, height, i);
    const last = runs[runs.length - 1];
    if (last && last[0] === k && last[2] === i) last[2] = i + 1;
    else runs.push([k, i, i + 1]);
  }
  const bands = strips.map(() => []), here = [];
  const rowsOf = strips.map((_, k) => runs.filter((r) => r[0] === k).reduce((n, r) => n + r[2] - r[1], 0));
  for (const [k, r0, r1] of runs) {
    if (k < 0) { here.push([r0, r1]); continue; }
    const parts = Math.max(1, Math.round((perStrip * (r1 - r0)) / rowsOf[k]));
    for (const [a, b] of splitRows(r1 - r0, parts)) bands[k].push([r0 + a, r0 + b]);
  }
  return { bands, here };
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
    if (end === this.mesh.len()) { // the last chunk (the geometry, checked when the mesh was made, is the same)
      this.mesh.ensureValid();
      this.field = field;
    }
    return returned(values);
  }

  deposit(m) {
    if (m.mesh !== this.meshId || m.field !== this.field) throw new Error("this worker has another mesh or field");
    const [x0, x1, y0, y1] = m.view;
    const t0 = performance.now();
    if (m.periodic) {
      this.band.depositRowsPeriodic(this.mesh, x0, x1, y0, y1, m.width, m.height, m.row0, m.row1, !!m.antialias,
        m.period[0], m.period[1]);
    } else {
      this.band.depositRows(this.mesh, x0, x1, y0, y1, m.width, m.height, m.row0, m.row1, !!m.antialias);
    }
    const ms = performance.now() - t0;
    const band = this.band.values();
    const n = band.length;
    let buffer = this.spares.pop();
    if (!buffer || buffer.byteLength < n * 8) buffer = new ArrayBuffer(n * 8 + 64 * 1024); // (room for a longer band)
    const values = new Float64Array(buffer, 0, n);
    values.set(band); // out of wasm memory, transferred
    return { reply: { type: "band", job: m.job, row0: m.row0, row1: m.row1, values, ms }, transfer: [buffer] };
  }
}

// -- main-thread side ---------------------------------------------------------

export class Cancelled extends Error {
  constructor() {
    super("a newer image was asked for");
    this.cancelled = true;
  }
}

// The runs of cells a strip keeps, in order: its `runs` ([start, end) pairs: the mesh gives them where its
// cells come in a spatial order, as a yt slice's do: a few runs, where a mask is a byte a cell, which
// took ~0.5 s of the page's thread to copy out of wasm memory for a strip of a 100 M-cell slice), else
// found in its `mask` by the typed array's own indexOf. -> next(): [start, end] of the next run, or null.
function keptRuns(strip) {
  if (strip.runs) {
    const runs = strip.runs;
    let r = 0;
    return () => (r < runs.length ? [runs[r++], runs[r++]] : null);
  }
  const mask = strip.mask;
  let end = 0;
  return () => {
    const at = mask.indexOf(1, end);
    if (at < 0) return null;
    end = mask.indexOf(0, at);
    if (end < 0) end = mask.length;
    return [at, end];
  };
}

// gather(into): the next `into.length` values of `source()` (a fresh view each time: wasm memory may
// have grown) of the cells `strip` keeps, from where the last call stopped, a run of kept cells at a
// time (a loop over every cell took 1.5 s of the page's thread before a 50 M-cell slice's first image).
function gatherer(strip, source) {
  const next = keptRuns(strip);
  let at = 0, end = 0; // the run of kept cells being copied: at..end
  return (into) => {
    const from = source();
    for (let j = 0; j < into.length;) {
      if (at >= end) {
        const run = next();
        if (!run) throw new Error(`a strip keeps fewer cells than its parts were given`);
        [at, end] = run;
      }
      const n = Math.min(end - at, into.length - j);
      into.set(from.subarray(at, at + n), j);
      j += n;
      at += n;
    }
  };
}

// The cells a strip keeps: its runs' lengths, or its mask's bytes (0 or 1) by a plain loop (reduce's call
// a byte took ~60 ms a strip of a 10 M-cell slice, before the first image).
function countKept(strip) {
  let n = 0;
  if (strip.runs) {
    for (let r = 0; r < strip.runs.length; r += 2) n += strip.runs[r + 1] - strip.runs[r];
    return n;
  }
  const mask = strip.mask;
  for (let i = 0, len = mask.length; i < len; i++) n += mask[i];
  return n;
}

// The most runs a strip is given as (beyond, its mask): as many bytes as half a mask's.
const mostRuns = (cells) => Math.ceil(cells / 16);

export class DepositPool {
  // spawn(): a Worker (or anything with postMessage, onmessage, onerror,
  // terminate) running BandWorker; module: the compiled pixelizer; size: K;
  // px: the pixelizer's glue here (the rows across strips are deposited on
  // the page). chunk: values per message when a field is sent (CHUNK; tests
  // use small ones)
  constructor({ spawn, module, size, px = null, chunk = CHUNK, inFlight = CHUNKS_IN_FLIGHT }) {
    this.size = size;
    this.px = px;
    this.chunk = chunk;
    this.inFlight = inFlight;
    this.meshId = 0;
    this.mesh = null; // the page's mesh (its rows across strips are deposited here)
    this.strips = null; // [{lo, hi, heldLo, heldHi, mask, cells, empty}], one per worker (fewer when the cells take few heights)
    this.periodY = NaN; // the period the strips' periodic images were taken with
    this.band = null; // a RowBand for the rows deposited here
    this.field = null;
    this.jobs = 0;
    this.job = null; // the image being made: {id, request, queues, pending, out, resolve, reject}
    this.broken = null; // why the pool cannot be used any more (a worker died)
    // images asked for, cancelled before done, bands deposited (by workers; rows here), the most chunk
    // buffers one worker had at once
    this.stats = { images: 0, cancelled: 0, bands: 0, rowsHere: 0, chunkBuffers: 0 };
    this.workers = [];
    for (let i = 0; i < size; i++) {
      const w = spawn();
      // sent: bands not answered yet; tasks: messages, array copies and steps still to do (bands wait
      // for them); pool: chunk buffers back from the worker; buffers: how many this worker has
      const slot = { worker: w, index: i, sent: 0, tasks: [], pool: [], buffers: 0, strip: null };
      w.onmessage = (e) => this.received(slot, e.data);
      w.onerror = (e) => this.fail(`a deposit worker stopped: ${e?.message ?? e}`);
      w.postMessage({ type: "init", module });
      this.workers.push(slot);
    }
  }

  // A new mesh (a wasm VariableMesh holding the values of `field`, kept
  // alive until the next setMesh): split into strips of about as many cells
  // (one per worker), each strip's cells (`periodY`: with their periodic
  // images, as a periodic image's rows need them) made into a mesh here, one
  // strip at a time, and copied to its worker a chunk at a time (compact
  // when the mesh is), then freed. One worker: the mesh itself.
  setMesh(mesh, field, periodY = NaN) {
    this.forgetMesh();
    this.meshId += 1;
    this.mesh = mesh;
    this.periodY = periodY;
    const id = this.meshId;
    // The strips: one period up from the cells' lowest edge (a periodic image's rows outside it are
    // inside it shifted by the period), else the whole line; cut where as many cells lie in each.
    let edges = [-Infinity, Infinity], window = NaN, scale = 0, overlap = 0;
    try {
      if (this.size > 1) {
        const [, , e0, e1] = mesh.extent();
        scale = Math.abs(e0) + Math.abs(e1) + (e1 - e0);
        overlap = STRIP_OVERLAP * (e1 - e0);
        window = periodY > 0 && periodY >= e1 - e0 ? periodY : NaN;
        const splits = Array.from(mesh.ySplits(this.size)).filter((y) => !(y <= e0) && !(y >= e0 + window));
        // (a little over one period: the rows along the cells' outer edges are inside too)
        const over = 1e-9 * scale;
        edges = Number.isFinite(window) ? [e0 - over, ...splits, e0 + window + over] : [-Infinity, ...splits, Infinity];
      }
    } catch (err) {
      this.fail(`the mesh could not be split between the deposit workers: ${err?.message ?? err}`);
      return;
    }
    this.strips = Object.assign([], { period: window, scale });
    for (const slot of this.workers) {
      if (slot.index >= edges.length - 1) continue; // (fewer strips than workers: this one idles)
      const lo = edges[slot.index], hi = edges[slot.index + 1];
      const strip = { lo, hi, heldLo: lo - overlap, heldHi: hi + overlap, runs: null, mask: null, cells: 0, empty: false };
      this.strips.push(strip);
      slot.strip = strip;
      slot.tasks = edges.length === 2 ? this.meshTasks(id, field, mesh) : [{ build: () => {
        strip.runs = mesh.stripRuns(strip.heldLo, strip.heldHi, window, mostRuns(mesh.len())) ?? null;
        if (!strip.runs) strip.mask = mesh.stripMask(strip.heldLo, strip.heldHi, window);
        strip.cells = countKept(strip);
        if (strip.cells) return this.meshTasks(id, field, mesh, strip);
        strip.empty = true; // (its rows: empty pixels, here)
        this.emptyRows(slot);
        return [];
      } }];
    }
    // (each worker's strip cut in a task of its own: at 50 M cells a stripMask takes ~0.3 s of the page's
    // thread, and the page may be drawing previews meanwhile)
    for (const slot of this.workers) setTimeout(() => { if (!this.broken && this.meshId === id) this.pump(slot); }, 0);
    this.field = field;
  }

  // The messages that copy `mesh` (its parts, a chunk at a time) to a
  // worker, or only the cells of `strip` (their per-cell parts gathered
  // through its mask, the tables whole): no copy of them is made here.
  meshTasks(id, field, mesh, strip = null) {
    const layout = mesh.partsLayout();
    const names = layout.kind === "table" ? ["xTable", "xIndex", "yTable", "yIndex", "pdIndex", "values"]
      : ["px", "py", "pdx", "pdy", "values"];
    const perCell = ["xIndex", "yIndex", "pdIndex", "values", "px", "py", "pdx", "pdy"];
    const parts = names.map((name) => {
      const source = () => mesh.partView(name);
      if (!strip || !perCell.includes(name)) return { type: "part", mesh: id, name, offset: 0, length: layout[name], source };
      layout[name] = strip.cells;
      return { type: "part", mesh: id, name, offset: 0, length: strip.cells, array: source().constructor,
        gather: gatherer(strip, source) };
    });
    return [{ message: { type: "mesh", mesh: id, field, layout } }, ...parts, { message: { type: "meshDone", mesh: id } }];
  }

  // The mesh given to setMesh is about to be freed: nothing more of it is sent.
  forgetMesh() {
    this.cancel();
    for (const slot of this.workers) {
      slot.tasks = [];
      slot.strip = null;
    }
    this.strips = null;
    this.mesh = null;
  }

  // The mesh's values (another field's, just put there) for the workers'
  // copies: each worker's strip's cells' values, read from the mesh (a
  // fresh view each chunk) and gathered a chunk at a time.
  setValues(field) {
    this.cancel();
    const source = () => this.mesh.partView("values");
    for (const slot of this.workers) {
      if (!slot.strip) continue;
      const strip = slot.strip;
      slot.tasks = slot.tasks.filter((t) => t.type !== "values" && !t.values); // (a field no longer wanted)
      slot.tasks.push({ values: true, build: () => {
        if (strip.empty) return [];
        if (!strip.runs && !strip.mask) return [{ type: "values", mesh: this.meshId, field, offset: 0, length: this.mesh.len(), source }];
        return [{ type: "values", mesh: this.meshId, field, offset: 0, length: strip.cells, array: Float64Array,
          gather: gatherer(strip, source) }];
      } });
      this.pump(slot);
    }
    this.field = field;
  }

  // Whether parts of a mesh or a field's values are still to go to a worker (read from the page's mesh
  // as they go: if its values change meanwhile, the workers' are mixed until sent again).
  sending() {
    return this.workers.some((slot) => slot.tasks.length > 0);
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
      if (task.build) {
        slot.tasks.shift();
        try {
          slot.tasks.unshift(...task.build());
        } catch (err) {
          this.fail(`a deposit worker's strip of the mesh: ${err?.message ?? err}`);
          return;
        }
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
      let values;
      if (task.gather) {
        values = new task.array(buffer, 0, Math.min(task.length - task.offset, Math.floor(buffer.byteLength / task.array.BYTES_PER_ELEMENT)));
        try {
          task.gather(values);
        } catch {
          // (the mesh was freed before all of it went: a newer one follows, forgetMesh having said so)
          slot.tasks = [];
          slot.pool.push(buffer);
          return;
        }
      } else {
        let source;
        try {
          source = task.source(); // (a fresh view: wasm memory may have grown since)
        } catch {
          // (the mesh was freed before all of it went: a newer one follows, forgetMesh having said so)
          slot.tasks = [];
          slot.pool.push(buffer);
          return;
        }
        const n = Math.min(task.length - task.offset, Math.floor(buffer.byteLength / source.BYTES_PER_ELEMENT));
        values = new source.constructor(buffer, 0, n);
        values.set(source.subarray(task.offset, task.offset + n));
      }
      const count = values.length; // (before the buffer goes: then it is detached here)
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
  // newer deposit() or cancel() rejects it with Cancelled. Once resolved,
  // `lastDepositMs` is the time its bands took to deposit, added up (in the
  // workers and here): about what the whole image costs one thread.
  deposit(request) {
    if (this.broken) return Promise.reject(new Error(this.broken));
    if (this.field === null || !this.strips) return Promise.reject(new Error("no mesh or field: call setMesh first"));
    this.cancel();
    this.stats.images += 1;
    const { width, height, view } = request;
    // (a periodic image of another period than the strips were made with: every row here, exact)
    const strips = request.periodic && this.strips.length > 1 && request.period?.[1] !== this.strips.period ? [] : this.strips;
    const { bands, here } = planRows(strips, view[2], view[3], height, BANDS_PER_WORKER);
    const queues = this.workers.map(() => []), empty = [];
    strips.forEach((strip, k) => {
      if (strip.empty) empty.push(...bands[k]);
      else queues[this.workers.findIndex((slot) => slot.strip === strip)] = bands[k];
    });
    return new Promise((resolve, reject) => {
      if (this.out?.length !== width * height) this.out = new Float64Array(width * height);
      const job = { id: ++this.jobs, request, queues, pending: 0, resolve, reject, out: this.out, depositMs: 0 };
      job.pending = queues.reduce((n, q) => n + q.length, 0) + here.length + empty.length;
      this.job = job;
      this.feed();
      // the rows deposited here: those across two strips, and a strip with no cell's (empty pixels)
      try {
        for (const [r0, r1] of empty) job.out.fill(NaN, r0 * width, r1 * width);
        const t0 = performance.now();
        for (const [r0, r1] of here) job.out.set(this.depositHere(request, r0, r1), r0 * width);
        job.depositMs += performance.now() - t0;
      } catch (err) {
        if (this.job === job) this.job = null;
        reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      this.stats.rowsHere += here.reduce((n, [r0, r1]) => n + r1 - r0, 0);
      this.settle(job, here.length + empty.length);
    });
  }

  // Rows row0..row1 of `request`'s image deposited on the page's mesh.
  depositHere({ view: [x0, x1, y0, y1], width, height, antialias, periodic, period }, row0, row1) {
    this.band ??= new this.px.RowBand();
    if (periodic) {
      this.band.depositRowsPeriodic(this.mesh, x0, x1, y0, y1, width, height, row0, row1, !!antialias, period[0], period[1]);
    } else {
      this.band.depositRows(this.mesh, x0, x1, y0, y1, width, height, row0, row1, !!antialias);
    }
    return this.band.values();
  }

  // A worker's strip has no cell: the bands of the image being made that wait for it are empty pixels.
  emptyRows(slot) {
    const job = this.job;
    const queue = job?.queues[slot.index];
    if (!queue?.length) return;
    const { width } = job.request, n = queue.length;
    for (const [r0, r1] of queue.splice(0)) job.out.fill(NaN, r0 * width, r1 * width);
    this.settle(job, n);
  }

  // `done` more bands of `job` in: resolved once all are.
  settle(job, done) {
    job.pending -= done;
    if (job.pending === 0 && this.job === job) {
      this.job = null;
      this.lastDepositMs = job.depositMs;
      job.resolve(job.out);
    }
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

  feed() {
    const job = this.job;
    if (!job) return;
    // (every worker, even while the view moves and the page draws previews: each one's rows are its own,
    // and the image after the last move comes sooner so: 34-36 ms against 45-81 with one worker fewer meanwhile)
    for (const slot of this.workers) {
      const queue = job.queues[slot.index];
      while (slot.sent < BANDS_AHEAD && queue.length > 0 && !slot.tasks.length) {
        const [row0, row1] = queue.shift();
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
        job.depositMs += msg.ms ?? 0;
        this.settle(job, 1);
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
    this.band?.free();
    this.band = null;
  }
}
