// The deposit pool (core/parallel.js) on the built wasm in node: its workers
// run in-process (BandWorker behind a fake Worker that answers on a later
// turn, like a real one), so what is tested is the protocol, the split, the
// assembly and the cancelling; the real workers are tested in Chromium
// (tests/test_parallel_browser.py). Oracle: frb.deposit of the same view.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { BANDS_AHEAD, BandWorker, CHUNKS_IN_FLIGHT, DepositPool, splitRows, workerCount } from "../../lite/js/core/parallel.js";

const gen = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "ytlite", "_generated");
const built = fs.existsSync(path.join(gen, "ytlite_pixelizer_bg.wasm"));

async function glue() {
  const px = await import(path.join(gen, "ytlite_pixelizer.js"));
  px.initSync({ module: fs.readFileSync(path.join(gen, "ytlite_pixelizer_bg.wasm")) });
  return px;
}

// A Worker stand-in: BandWorker answering asynchronously, messages structured-cloned both ways as a
// Worker's are (what is copied is copied, what is transferred is detached on the sender's side);
// `kill()` makes it die like a trapped worker.
function fakeSpawn(px, log = []) {
  return () => {
    const w = {
      worker: new BandWorker(px), dead: false,
      postMessage(message, transfer = []) {
        log.push(message.type === "band" ? `band ${message.row0}-${message.row1}` : message.type);
        if (message.type === "init") return;
        const msg = structuredClone(message, { transfer });
        setTimeout(() => {
          if (w.dead) return;
          const out = w.worker.handle(msg);
          if (out) w.onmessage({ data: structuredClone(out.reply, { transfer: out.transfer }) });
        }, 0);
      },
      kill() { w.dead = true; w.onerror({ message: "RuntimeError: unreachable" }); },
      terminate() { w.dead = true; },
    };
    return w;
  };
}

// An AMR-like mesh: a 16 x 16 coarse grid over [0, 1]^2 with every cell of its
// lower-left quarter refined twice (4 x 4 children), in grid order; values vary.
function amrMesh() {
  const px = [], py = [], pdx = [], pdy = [], v = [];
  const add = (x, y, h) => { px.push(x); py.push(y); pdx.push(h); pdy.push(h); v.push(Math.sin(7 * x) + Math.cos(5 * y) * 3 + x * y); };
  for (let j = 0; j < 16; j++) {
    for (let i = 0; i < 16; i++) {
      const h = 1 / 32;
      if (i < 8 && j < 8) {
        for (let b = 0; b < 4; b++) for (let a = 0; a < 4; a++) add(i / 16 + (a + 0.5) / 64, j / 16 + (b + 0.5) / 64, h / 4);
      } else add((i + 0.5) / 16, (j + 0.5) / 16, h);
    }
  }
  return { px: Float64Array.from(px), py: Float64Array.from(py), pdx: Float64Array.from(pdx), pdy: Float64Array.from(pdy),
    values: Float64Array.from(v) };
}

// The mesh as the pipeline holds it: in wasm, compacted (the workers get its parts()).
function meshOf(px, m, compact = true) {
  const mesh = new px.VariableMesh(m.px, m.py, m.pdx, m.pdy, m.values);
  if (compact) mesh.compact();
  return mesh;
}

function single(px, m, r) {
  const mesh = new px.VariableMesh(m.px, m.py, m.pdx, m.pdy, m.values);
  const frb = new px.FixedResolutionBuffer(r.width, r.height);
  const [x0, x1, y0, y1] = r.view;
  if (r.periodic) frb.depositPeriodic(mesh, x0, x1, y0, y1, r.antialias, r.period[0], r.period[1]);
  else frb.deposit(mesh, x0, x1, y0, y1, r.antialias);
  const out = frb.valuesCopy();
  frb.free();
  mesh.free();
  return out;
}

const sameBits = (a, b) => a.length === b.length
  && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;

test("splitRows: consecutive, even, never empty; workerCount: 1..cap", () => {
  assert.deepEqual(splitRows(10, 3), [[0, 3], [3, 6], [6, 10]]);
  assert.deepEqual(splitRows(2, 8), [[0, 1], [1, 2]]); // more bands asked than rows: one row each
  assert.deepEqual(splitRows(1, 16), [[0, 1]]);
  for (const [h, k] of [[1024, 8], [17, 5], [3, 3], [5, 1]]) {
    const bands = splitRows(h, k);
    assert.equal(bands[0][0], 0);
    assert.equal(bands.at(-1)[1], h);
    for (let i = 0; i < bands.length; i++) {
      assert.ok(bands[i][1] > bands[i][0]);
      if (i) assert.equal(bands[i][0], bands[i - 1][1]);
    }
  }
  assert.equal(workerCount(undefined), 1);
  assert.equal(workerCount(2), 2);
  assert.equal(workerCount(64), 4);
  assert.equal(workerCount(64, { cap: 8 }), 8);
});

test("pool: the bands put together are frb.deposit's image, bit for bit", { skip: !built && "wasm not built" }, async () => {
  const px = await glue();
  const m = amrMesh();
  const cases = [
    { view: [0, 1, 0, 1], width: 64, height: 64 },
    { view: [0.1, 0.7, 0.05, 0.55], width: 97, height: 31 }, // odd sizes
    { view: [0.2, 0.3, 0.2, 0.3], width: 13, height: 5 }, // fewer rows than bands: one row each
    { view: [0.2, 0.9, 0.1, 0.4], width: 40, height: 1 }, // one row, more workers than rows
    { view: [-0.3, 0.7, 0.6, 1.6], width: 50, height: 50, periodic: true, period: [1, 1] },
    { view: [0, 1, 0, 1], width: 33, height: 65, antialias: false },
  ];
  for (const [size, chunk] of [[1, undefined], [2, 100], [3, 1000], [4, 7]]) { // (meshes sent in chunks of `chunk` cells)
    const log = [];
    const pool = new DepositPool({ spawn: fakeSpawn(px, log), module: null, size, chunk, px });
    pool.setMesh(meshOf(px, m, size % 2 === 0), "v", 1); // (compacted or not; the domain's period)
    pool.setValues("v"); // (the same values again, read from the mesh in chunks)
    let rows = 0;
    for (const c of cases) {
      const r = { antialias: true, periodic: false, period: null, ...c };
      const got = await pool.deposit(r);
      assert.ok(sameBits(got, single(px, m, r)), `K=${size} ${JSON.stringify(c)}`);
      rows += r.height;
    }
    // a strip of the mesh per worker, about one copy between them; few rows (across strips) on the page
    const cells = pool.strips.map((strip) => strip.cells || m.px.length);
    assert.equal(cells.length, size);
    if (size > 1) {
      // (cells in a spatial order: each strip's cells as a few runs, no mask of a byte a cell)
      assert.ok(pool.strips.every((s) => s.runs && !s.mask && s.runs.length / 2 <= m.px.length / 16), `K=${size}`);
      assert.ok(cells.every((c) => c < m.px.length * 0.8), `${cells} of ${m.px.length}`);
      // (1.08-1.15x without the strips' overlap; with it, this small mesh's cells crowd along the splits)
      assert.ok(cells.reduce((a, b) => a + b) < m.px.length * 1.4, `${cells} of ${m.px.length}`);
    }
    // a row across two strips is inside one as held (STRIP_OVERLAP): the page deposits only the 1-row
    // image's row, taller than the overlap (and exact, above)
    assert.equal(pool.stats.rowsHere, size > 1 ? 1 : 0);
    // the arrays went through a few buffers per worker, each sent again once given back
    const chunks = log.filter((l) => l === "part" || l === "values").length / size;
    assert.ok(chunks >= (chunk === 7 ? 100 : 2), `${chunks} chunks`);
    assert.ok(pool.stats.chunkBuffers >= 1 && pool.stats.chunkBuffers <= CHUNKS_IN_FLIGHT, `${pool.stats.chunkBuffers} buffers`);
    for (const slot of pool.workers) assert.equal(slot.buffers, 0); // (all let go once sent)
    pool.terminate();
  }
});

test("pool: a newer image cancels the older one between bands; errors say why", { skip: !built && "wasm not built" }, async () => {
  const px = await glue();
  const m = amrMesh();
  const log = [];
  const pool = new DepositPool({ spawn: fakeSpawn(px, log), module: null, size: 2, px });
  const mesh = meshOf(px, m);
  pool.setMesh(mesh, "v");
  const a = { view: [0, 1, 0, 1], width: 64, height: 64, antialias: true };
  const b = { view: [0.2, 0.6, 0.2, 0.6], width: 64, height: 64, antialias: true };
  // (no band goes to a worker before its copy of the mesh is complete)
  assert.ok(sameBits(await pool.deposit(b), single(px, m, b)));
  assert.ok(log.indexOf("meshDone") < log.findIndex((l) => l.startsWith("band")));
  log.length = 0;
  const first = pool.deposit(a);
  assert.equal(pool.busy(), true);
  const second = pool.deposit(b);
  await assert.rejects(first, (err) => err.cancelled === true);
  assert.ok(sameBits(await second, single(px, m, b)));
  // of the first image only the bands already sent were (BANDS_AHEAD per worker), not all 8
  const bands = log.filter((l) => l.startsWith("band"));
  assert.equal(bands.length, 2 * BANDS_AHEAD + 8, bands.join(", "));
  assert.equal(pool.busy(), false);

  // a bad view: the worker's message, and the pool still works
  await assert.rejects(pool.deposit({ ...a, view: [1, 0, 0, 1] }), /x_min|bounds/i);
  assert.ok(sameBits(await pool.deposit(a), single(px, m, a)));
  // a new field: the next image uses it
  const doubled = m.values.map((x) => 2 * x);
  mesh.valuesView().set(doubled); // (the page's mesh holds the field shown: its rows across strips are made here)
  mesh.compact();
  pool.setValues("w");
  assert.ok(sameBits(await pool.deposit(a), single(px, { ...m, values: doubled }, a)));
  pool.terminate();
});

test("pool: a worker that dies fails the image with a message, and the pool says it is broken", { skip: !built && "wasm not built" }, async () => {
  const px = await glue();
  const m = amrMesh();
  const workers = [];
  const spawn = fakeSpawn(px);
  const pool = new DepositPool({ spawn: () => { const w = spawn(); workers.push(w); return w; }, module: null, size: 2, px });
  pool.setMesh(meshOf(px, m), "v");
  const pending = pool.deposit({ view: [0, 1, 0, 1], width: 32, height: 32, antialias: true });
  workers[1].kill();
  await assert.rejects(pending, /a deposit worker stopped: RuntimeError: unreachable/);
  await assert.rejects(pool.deposit({ view: [0, 1, 0, 1], width: 32, height: 32 }), /worker stopped/);
  assert.ok(pool.broken);
  pool.terminate();
});

test("pool: a mesh a worker cannot hold is said at the next image", { skip: !built && "wasm not built" }, async () => {
  const px = await glue();
  const pool = new DepositPool({ spawn: fakeSpawn(px), module: null, size: 1, px });
  const m = amrMesh();
  // (parts as a damaged page or a bug could send them: the worker's PartsBuilder checks every invariant)
  const mesh = meshOf(px, m, false), parts = mesh.parts(), layout = mesh.partsLayout();
  parts.pdx[3] = NaN;
  pool.setMesh({ partsLayout: () => layout, partView: (name) => parts[name] }, "v");
  await new Promise((r) => setTimeout(r, 10));
  await assert.rejects(pool.deposit({ view: [0, 1, 0, 1], width: 8, height: 8 }), /a deposit worker: cell half-width pdx\[3\] = NaN must be finite/);
  pool.terminate();
});

test("pool: a mesh in no spatial order gets its strips as masks (runs would be longer), the same bits", { skip: !built && "wasm not built" }, async () => {
  const px = await glue();
  const ordered = amrMesh(), n = ordered.px.length;
  // (a fixed shuffle: every cell far from the one before it)
  const order = Array.from({ length: n }, (_, i) => (i * 761) % n);
  assert.equal(new Set(order).size, n);
  const m = Object.fromEntries(Object.entries(ordered).map(([k, a]) => [k, Float64Array.from(order, (i) => a[i])]));
  for (const period of [NaN, 1]) {
    const pool = new DepositPool({ spawn: fakeSpawn(px), module: null, size: 2, chunk: 50, px });
    pool.setMesh(meshOf(px, m), "v", period);
    for (const r of [{ view: [0, 1, 0, 1], width: 64, height: 64 }, { view: [0.1, 0.7, 0.05, 0.55], width: 97, height: 31 }]) {
      const want = { antialias: true, periodic: false, period: null, ...r };
      assert.ok(sameBits(await pool.deposit(want), single(px, m, want)), JSON.stringify(r));
    }
    assert.ok(pool.strips.every((s) => s.mask && !s.runs), `period ${period}`);
    pool.terminate();
  }
});

test("pool: strips without cells are empty pixels; a periodic image of another period than the strips' is made here, exact", { skip: !built && "wasm not built" }, async () => {
  const px = await glue();
  const m = amrMesh();
  const log = [];
  const pool = new DepositPool({ spawn: fakeSpawn(px, log), module: null, size: 3, px });
  const mesh = meshOf(px, m);
  mesh.ySplits = () => new Float64Array([1.5, 2.5]); // (strips above the cells: no cell in two of them)
  pool.setMesh(mesh, "v"); // (no period: strips from -Infinity to Infinity)
  const r = { view: [0, 1, -0.5, 3], width: 24, height: 70, antialias: true };
  assert.ok(sameBits(await pool.deposit(r), single(px, m, r)));
  assert.deepEqual(pool.strips.map((s) => s.empty), [false, true, true]);
  assert.equal(log.filter((l) => l === "mesh").length, 1); // (only the strip with cells went to a worker)
  // the strips were made with no period: a periodic image is deposited here, whole
  const before = pool.stats.rowsHere;
  const p = { ...r, view: [-0.5, 1.5, -0.5, 1.5], periodic: true, period: [2, 2] };
  assert.ok(sameBits(await pool.deposit(p), single(px, m, p)));
  assert.equal(pool.stats.rowsHere - before, p.height);
  pool.terminate();
});

test("pipeline: a field switched while the mesh still goes to the workers: its values go again, the image exact", { skip: !built && "wasm not built" }, async () => {
  // (the workers' values are read from the page's mesh as they go: a switch there meanwhile would leave the
  // workers holding another field's values under this field's name)
  const px = await glue();
  const { Pipeline } = await import("../../lite/js/core/pipeline.js");
  const m = amrMesh();
  const b = m.values.map((x) => 1 - 3 * x);
  const p = new Pipeline({ px, colormaps: null, workers: { spawn: fakeSpawn(px), module: null, count: 2 } });
  p.setMesh({ px: m.px, py: m.py, pdx: m.pdx, pdy: m.pdy });
  const fields = { a: m.values.slice(), b };
  p.useField("a", fields);
  p.ensurePool();
  assert.ok(p.pool.sending());
  p.useField("b", fields); // (the mesh's values are b's while the rest of its parts go)
  await new Promise((resolve) => setTimeout(resolve, 30));
  p.useField("a", fields);
  p.ensurePool();
  const r = { view: [0, 1, 0, 1], width: 64, height: 64, antialias: true, periodic: false, period: null };
  assert.ok(sameBits(await p.pool.deposit(r), single(px, m, r)));
  assert.ok(p.pool.stats.rowsHere < r.height / 4); // (the workers made the image)
  p.free();
});

test("pipeline: an image made in workers calibrates the cost of this thread's, so a cost once too high comes down", { skip: !built && "wasm not built" }, async () => {
  // (a scale raised by the page's first deposits, before the engine was compiled in full, sent every later
  // image to the workers for good: only this thread's deposits calibrated it, and it made none any more)
  const px = await glue();
  const { Pipeline } = await import("../../lite/js/core/pipeline.js");
  const m = amrMesh();
  const p = new Pipeline({ px, colormaps: null, workers: { spawn: fakeSpawn(px), module: null, count: 2, budgetMs: 8 } });
  p.setMesh({ px: m.px, py: m.py, pdx: m.pdx, pdy: m.pdy });
  p.useField("v", { v: m.values.slice() });
  const state = { view: [0, 1, 0, 1], width: 1024, height: 1024, antialias: true, periodic: false, period: null };
  const unscaled = p.predict(state).unscaled;
  p.costScale = 5 * 8 / unscaled; // (predicted: 5 x the budget)
  p.ensurePool(null); // (else the mesh's first image is made here: the next test)
  assert.ok(p.wantsWorkers(state));
  let scale = p.costScale;
  for (let i = 0; i < 3; i++) {
    await p.depositInWorkers({ ...state, view: [i / 1000, 1 + i / 1000, 0, 1] });
    assert.ok(p.pool.lastDepositMs > 0);
    const expected = 0.7 * scale + 0.3 * Math.min(5, Math.max(0.2, p.pool.lastDepositMs / p.predict({ ...state, view: [i / 1000, 1 + i / 1000, 0, 1] }).unscaled));
    assert.ok(Math.abs(p.costScale - expected) < 1e-9 * expected, [p.costScale, expected]);
    scale = p.costScale;
  }
  p.free();
});

test("pipeline: a big mesh's first image is made here, the workers not holding the mesh yet; then they get it, and the next image is theirs", { skip: !built && "wasm not built" }, async () => {
  const px = await glue();
  const { Pipeline } = await import("../../lite/js/core/pipeline.js");
  const m = amrMesh();
  const { ColormapLibrary } = await import("../../lite/js/core/colormaps.js");
  const colormaps = new ColormapLibrary(px, JSON.parse(fs.readFileSync(path.join(gen, "colormaps.json"), "utf8")),
    new Uint8Array(fs.readFileSync(path.join(gen, "colormaps.bin"))));
  const p = new Pipeline({ px, colormaps, workers: { spawn: fakeSpawn(px), module: null, count: 2, budgetMs: 0 } });
  const state = { view: [0, 1, 0, 1], width: 64, height: 48, antialias: true, periodic: false, period: null,
    cmap: "viridis", scale: "linear", vmin: null, vmax: null, linthresh: null };
  for (let mesh = 0; mesh < 2; mesh++) { // (a second mesh, as a stack's next depth: the same again)
    p.setMesh({ px: m.px, py: m.py, pdx: m.pdx, pdy: m.pdy });
    p.useField("v", { v: m.values.slice() });
    assert.equal(p.wantsWorkers(state), false);
    assert.equal(p.poolDue, true);
    const bandsBefore = p.pool?.stats.bands ?? 0;
    const r = p.render(state);
    assert.equal(r.made, "main");
    assert.ok(p.previews.hasImages); // (kept for the previews of the moves to come)
    // the next view: the workers', once they get the mesh
    const next = { ...state, view: [0.01, 1.01, 0, 1] };
    assert.equal(p.wantsWorkers(next), true);
    p.ensurePool(null);
    assert.equal(p.poolDue, false);
    const values = await p.pool.deposit(next);
    assert.ok(p.pool.stats.bands > bandsBefore);
    const frb = new px.FixedResolutionBuffer(64, 48);
    frb.deposit(p.mesh, ...next.view, true);
    assert.deepEqual(new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
      new Uint8Array(frb.values().buffer, frb.values().byteOffset, frb.values().byteLength));
    frb.free();
  }
  p.free();
});
