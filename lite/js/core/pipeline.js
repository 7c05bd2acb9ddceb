// The two cached stages (datashader style) over one mesh held in wasm memory:
//   deposit: cells -> float64 image   (field, view, size, antialias, periodic)
//   shade:   normalize + colormap -> RGBA  (colormap, scale, limits)
// Each stage reruns only when one of its inputs changed: a colormap change
// re-shades without depositing again, a pan re-deposits and re-shades.
// No DOM here: the result is drawn by whoever asked (a canvas, a PNG).
//
// Big meshes (when the exact image of a view costs more than a frame): the
// deposit runs in workers (core/parallel.js: row bands, exact), a preview
// (made in wasm from the exact images of other views: rust/src/preview.rs)
// stands in while it runs, and the exact image replaces it as soon as it
// is there. What a deposit costs is predicted before it
// runs (predict: the cells it will visit, from the mesh's culling index,
// times per-cell and per-pixel costs calibrated on this machine's deposits).

import { autoLinthresh, SCALES } from "./conventions.js";
import { Cancelled, DepositPool, workerCount } from "./parallel.js";

// The most a deposit may cost on the main thread (ms): a frame (16 ms) less
// shading and drawing. Costlier views are deposited in workers.
export const FRAME_BUDGET_MS = 8;
// The most pixels a preview has: a bigger image's preview is made smaller and
// drawn scaled (a preview costs the page's thread about 5 ms per 1024²).
export const PREVIEW_PIXELS = 1 << 20;
// Deposit cost on this thread before any is measured (ns; bench/run.py: 18.4
// per cell in view, ~1-4 per pixel): scaled by what the deposits then take.
const COST = { nsPerCell: 20, nsPerPixel: 4 };

// Inputs of each stage, in the order they make its cache key.
const DEPOSIT_INPUTS = ["view", "width", "height", "antialias", "periodic", "period"];
const SHADE_INPUTS = ["cmap", "scale", "vmin", "vmax", "linthresh"];
const key = (state, names) => names.map((n) => JSON.stringify(state[n] ?? null)).join("|");

// Where slicefile.js's loadSlice puts a file's cell geometry: a wasm mesh of
// `n` cells built a slice of an array at a time (rust/src/mesh_builder.rs),
// compact as the cells come: wasm memory never holds the geometry as f64
// arrays (40 bytes a cell; compact, about 9 bytes a cell and the tables).
// Its `mesh` ({wasmMesh, px..pdy}) goes to Pipeline.setMesh; free() releases
// the wasm memory when the mesh is no longer shown.
export function wasmGeometry(px) {
  return (n) => {
    let builder = new px.MeshBuilder(n);
    let mesh = null;
    const data = {};
    return {
      // (any typed array of numbers: wasm-bindgen copies it into wasm memory as f64s)
      put(key, values, offset) { builder.put(key, offset, values); },
      finish() {
        mesh = builder.finish();
        builder.free();
        builder = null;
        data.wasmMesh = mesh;
        // px..pdy: getters of arrays to read (for whoever reads the cells, e.g. an export): views of wasm
        // memory valid until its next allocation, or decoded copies
        for (const key of ["px", "py", "pdx", "pdy"]) {
          Object.defineProperty(data, key, { enumerable: true, get: () => geometryArray(mesh, key) });
        }
        return data;
      },
      extent: () => mesh.extent(),
      // (after finish) a fresh writable view of the mesh's values, all 0 until a field's are read into it;
      // and the field read so made fields[name] (lendField)
      values: () => mesh.valuesView(),
      lend: (fields, name) => lendField(fields, name, mesh),
      free() {
        builder?.free();
        builder = null;
        mesh?.free();
        mesh = null;
      },
    };
  };
}

// One geometry array of a mesh, to read: a view of wasm memory (valid until
// the next allocation there), or a decoded copy when the mesh is compacted.
function geometryArray(mesh, name) {
  return mesh.geometryKind === "f64" ? mesh.geometryView(name) : mesh.geometryCopy(name);
}

// A field whose values only a wasm mesh holds (no array of the page's own:
// 8 bytes a cell less, 60 MB for a 7.5 M-cell slice): fields[name] is a
// getter of a copy decoded from the mesh, exactly (its f64 values, or f32
// ones that all were f32s), and fields[LENT] says which field and mesh.
// The field read first from a file goes straight into its mesh (loadSlice,
// wasmGeometry's values/lend); the pipeline lends a field it copies into its
// mesh (useField) and puts the array back, made again from the mesh, before
// the mesh's values change or another mesh is shown (giveBackField).
export const LENT = Symbol.for("ytlite.lentField");

// fields[name] (a plain property, or none yet) made the lent getter; false for a getter of its own (a
// derived field keeps its array).
export function lendField(fields, name, mesh) {
  const own = Object.getOwnPropertyDescriptor(fields, name);
  if (own && (!("value" in own) || !own.writable || !own.configurable)) return false;
  // (a copy in JS memory: decoded in wasm it would raise the page's wasm memory, never given back)
  const decoded = () => new Float64Array(mesh.partView("values"));
  Object.defineProperty(fields, name, { get: decoded, enumerable: true, configurable: true });
  Object.defineProperty(fields, LENT, { value: { name, mesh, decoded }, configurable: true, writable: true });
  return true;
}

// The lent field's array made again from its mesh and put back; `gone`: the mesh goes with its data (the
// viewer closes), a getter that says so instead.
export function giveBackField(fields, { gone = false } = {}) {
  const lent = fields?.[LENT];
  if (!lent) return;
  fields[LENT] = null;
  const { name, decoded } = lent;
  if (Object.getOwnPropertyDescriptor(fields, name)?.get !== decoded) return; // (replaced meanwhile)
  Object.defineProperty(fields, name, gone
    ? { enumerable: true, configurable: true, get: () => { throw new Error(`the values of ${name} went with the viewer that held them`); } }
    : { value: decoded(), enumerable: true, configurable: true, writable: true });
}

// What a preview of `state` is shaded with: the last exact image's `limits`
// ({vmin, vmax, linthresh}) where the state's own are automatic.
function previewShading(state, limits) {
  return {
    ...state, vmin: state.vmin ?? limits.vmin, vmax: state.vmax ?? limits.vmax,
    linthresh: state.linthresh ?? limits.linthresh,
  };
}

// Whether a preview shaded so can take the kept images' colour codes (frb.shadePreview): not when a symlog
// linthresh is left to be found from the preview's own values.
const fromCodes = (shaded) => !(shaded.scale === "symlog" && shaded.linthresh == null);

export class Pipeline {
  constructor(runtime) {
    this.px = runtime.px;
    this.colormaps = runtime.colormaps;
    this.mesh = null;
    this.ownsMesh = false;
    this.frb = null;
    this.norm = null; // the normalization that shaded the current image
    this.fieldKey = null;
    this.fields = null; // the data's fields, of which the mesh may hold one (LENT)
    this.depositKey = null;
    this.shadeKey = null;
    this.result = null;
    this.workers = runtime.workers ?? null; // {module, spawn, count, budgetMs}, where the page can start workers
    this.pool = null; // DepositPool, started with the first view that needs it
    this.meshGeneration = 0; // which mesh and field the pool holds: (meshGeneration, fieldKey)
    this.poolMesh = -1;
    this.poolField = null;
    this.exactImages = 0; // exact images of this mesh made so far (here or in workers)
    this.poolDue = false; // the mesh's first image was made here: the workers are to get the mesh (ensurePool)
    this.previews = new runtime.px.Previews();
    this.costScale = 1; // measured / predicted cost of this thread's deposits
    this.warm = false; // this thread has deposited once (its first deposit calibrates nothing)
    this.made = null; // where the image in the buffer was deposited: "main" or "workers"
    this.band = null; // a RowBand for exact values read out under a preview
  }

  // Cell geometry: Float64Arrays {px, py, pdx, pdy} of one length n > 0,
  // copied once into a wasm mesh of the pipeline's own, or {wasmMesh, n}: a
  // mesh already filled in place (wasmGeometry below), used as it is and
  // left to its owner to free. The values come with useField.
  setMesh(data) {
    if (this.fields?.[LENT]?.mesh === this.mesh) giveBackField(this.fields); // (read from the mesh that goes)
    this.fields = null;
    this.pool?.forgetMesh(); // (it copies the mesh to its workers from the mesh itself)
    if (this.ownsMesh) this.mesh?.free();
    this.mesh = null;
    if (data.wasmMesh) {
      this.mesh = data.wasmMesh;
      this.ownsMesh = false;
      this.n = this.mesh.len();
    } else {
      const { px, py, pdx, pdy } = data;
      const n = px.length;
      for (const [name, a] of Object.entries({ py, pdx, pdy })) {
        if (a.length !== n) throw new Error(`${name} has ${a.length} values but px has ${n}`);
      }
      const mesh = this.px.VariableMesh.withLength(n); // throws for n == 0
      // Views die when wasm memory grows: take each just before use.
      mesh.pxView().set(px);
      mesh.pyView().set(py);
      mesh.pdxView().set(pdx);
      mesh.pdyView().set(pdy);
      this.mesh = mesh;
      this.ownsMesh = true;
      this.n = n;
    }
    this.fieldKey = this.depositKey = this.shadeKey = this.predicted = null;
    this.meshGeneration += 1;
    this.exactImages = 0;
    this.previews.clear();
  }

  // The mesh's cell geometry, for the mesh overlay: views of wasm memory
  // (valid until the next allocation in wasm: take them just before use), or
  // decoded copies of a compacted mesh.
  geometry() {
    const m = this.mesh;
    if (!m) return null;
    // (read-only: the writable views would make it validate again)
    const g = (name) => geometryArray(m, name);
    return { px: g("px"), py: g("py"), pdx: g("pdx"), pdy: g("pdy") };
  }

  // The field `name` of `fields` (the data's {name: values}, a typed array
  // of one value per cell each); copied into the mesh only when the field
  // changed (not at all when the mesh holds it already: fields[LENT]).
  // Validates the mesh's geometry unless it is known unchanged since it was
  // (NaN or negative widths are errors here, before any image is made). The
  // mesh then holds the field's values exactly, so the page lets go of its
  // own array (lendField) until another field or mesh is used.
  useField(name, fields) {
    if (name === this.fieldKey) return;
    if (!this.mesh) throw new Error("no mesh: call setMesh first");
    const lent = fields[LENT];
    const held = lent?.name === name && lent.mesh === this.mesh; // (read straight into this mesh)
    const values = held ? null : fields[name];
    if (!held && !values) throw new Error(`no field ${JSON.stringify(name)}; fields: ${Object.keys(fields).join(", ")}`);
    if (!held && values.length !== this.n) {
      throw new Error(`field ${name} has ${values.length} values but the mesh has ${this.n} cells`);
    }
    this.fieldKey = null; // (until the mesh holds the field, valid)
    if (!held) {
      if (lent?.mesh === this.mesh) giveBackField(fields); // (the mesh's values are another field's: made its array again)
      this.mesh.valuesView().set(values);
    }
    // (the geometry checked where it may have changed; a field's values need no check)
    this.mesh.ensureValid();
    // Exact in less memory (rust/src/variable_mesh.rs): tables of the distinct positions and widths with an
    // index per cell, values in f32 when they all are f32s; the same deposits, bit for bit. The workers get
    // this form (parts()): ~18 bytes a cell instead of 40. (No memory to spare for its tables: it stays as it is,
    // valid either way.)
    try {
      this.mesh.compact();
    } catch (err) {
      console.warn(`the mesh stays uncompacted: ${err?.message ?? err}`);
    }
    this.fieldKey = name;
    if (!held) lendField(fields, name, this.mesh);
    this.fields = fields;
    // (the workers read their values from this mesh as they go: any still to go when the field changed
    // are sent again, all of them, with the field they are)
    if (this.pool?.sending()) this.poolField = null;
    this.depositKey = this.shadeKey = null;
    this.previews.clear();
  }

  // Run what is needed for `state` (view, width, height, antialias,
  // periodic, period, cmap, scale, vmin, vmax, linthresh; null limits are
  // automatic: from the image in view, log counting positive values only).
  // Returns {width, height, limits: {vmin, vmax, linthresh} | null, empty,
  // deposited (now), made ("main" or "workers": where the image was
  // deposited), depositMs, shadeMs}; `rgba()` then gives the pixels.
  render(state) {
    if (this.fieldKey === null) throw new Error("no field: call useField first");
    const t0 = performance.now();
    const dkey = this.depositKeyOf(state);
    let deposited = false;
    if (dkey !== this.depositKey) {
      const predicted = this.predict(state);
      // (not calibrated by: this thread's first deposit, made by code not yet compiled in full, nor one
      // into a buffer just made, whose memory is touched for the first time: the kiosk's first image
      // took 31 ms against 3.2 predicted, so every later one went to the workers)
      const cold = !this.warm || this.frb?.width !== state.width || this.frb?.height !== state.height;
      this.deposit(state);
      if (!cold) this.calibrate(predicted, performance.now() - t0);
      this.warm = true;
      this.depositKey = dkey;
      this.made = "main";
      this.shadeKey = null;
      deposited = true;
      this.exactImages += 1;
      // (an exact image a preview can be made from, once workers are in use or about to be)
      if (this.pool || this.poolDue) this.previews.remember(this.frb, ...state.view);
    }
    const t1 = performance.now();
    const skey = key(state, SHADE_INPUTS);
    if (skey !== this.shadeKey) {
      this.result = this.shade(state);
      this.shadeKey = skey;
    }
    const t2 = performance.now();
    this.shown = this.frb;
    return { ...this.result, deposited, made: this.made, depositMs: t1 - t0, shadeMs: t2 - t1 };
  }

  depositKeyOf(state) {
    return `${this.fieldKey}|${key(state, DEPOSIT_INPUTS)}`;
  }

  // True when the image of `state` is deposited (exact) and only shading may be left.
  hasDeposit(state) {
    return this.fieldKey !== null && this.depositKeyOf(state) === this.depositKey;
  }

  // What depositing `state` costs: {cells} it visits (at most), {pixels},
  // and {ms} predicted on this thread.
  predict(state) {
    // (asked twice a frame, by wantsWorkers and render: the index is walked once)
    const dkey = this.depositKeyOf(state);
    if (this.predicted?.key === dkey) return { ...this.predicted, ms: this.predicted.unscaled * this.costScale };
    const [x0, x1, y0, y1] = state.view;
    const cells = state.periodic ? this.mesh.cellsInView(x0, x1, y0, y1, state.period[0], state.period[1])
      : this.mesh.cellsInView(x0, x1, y0, y1);
    const pixels = state.width * state.height;
    const unscaled = (cells * COST.nsPerCell + pixels * COST.nsPerPixel) / 1e6;
    this.predicted = { key: dkey, cells, pixels, unscaled };
    return { cells, pixels, unscaled, ms: unscaled * this.costScale };
  }

  calibrate(predicted, ms) {
    if (!(predicted.unscaled >= 0.5)) return; // (too short to measure)
    const ratio = Math.min(5, Math.max(0.2, ms / predicted.unscaled));
    this.costScale = 0.7 * this.costScale + 0.3 * ratio;
  }

  // True when `state`'s exact image should be made in workers (it costs
  // more than FRAME_BUDGET_MS here, and workers can be started). Not a
  // mesh's first image while the workers do not hold the mesh: giving it to
  // them (its strips cut and copied, each worker's mesh built) costs more
  // than the image does here, so it is made here and `poolDue` says the
  // workers are to get the mesh next (ensurePool): a 50 M-cell slice's first
  // image came ~3 s sooner.
  wantsWorkers(state) {
    if (!this.workers || this.pool?.broken || this.hasDeposit(state)) return false;
    if (!(this.predict(state).ms > (this.workers.budgetMs ?? FRAME_BUDGET_MS))) return false; // (tests set 0: all in workers)
    if (this.exactImages === 0 && this.poolMesh !== this.meshGeneration) {
      this.poolDue = true;
      return false;
    }
    return true;
  }

  // The exact image of `state` made in workers: a Promise that settles when
  // it is deposited here (then render(state) only shades); rejected with
  // Cancelled when a newer one is asked for or the mesh or field changed.
  depositInWorkers(state) {
    this.ensurePool(state.period);
    const dkey = this.depositKeyOf(state), generation = this.meshGeneration;
    const predicted = this.predict(state);
    const t0 = performance.now();
    const { view, width, height, antialias, periodic, period } = state;
    return this.pool.deposit({ view, width, height, antialias, periodic, period }).then((values) => {
      if (generation !== this.meshGeneration || dkey !== this.depositKeyOf(state)) throw new Cancelled();
      // (the cost measured in the workers too: else a scale once too high, from this thread's first
      // deposits before the engine was compiled in full, sent every later image to the workers for good)
      this.calibrate(predicted, this.pool.lastDepositMs);
      this.frbOfSize(width, height).rowsForWriting(0, height).set(values);
      this.depositKey = dkey;
      this.made = "workers";
      this.shadeKey = null;
      this.exactImages += 1;
      this.previews.remember(this.frb, ...view);
      return { ms: performance.now() - t0 };
    });
  }

  // True when an overview is worth making now: workers in use and idle, and
  // no exact image covers `domain` (a link opened on a zoomed view: moving out
  // would show nothing of the data in its previews).
  wantsOverview(domain) {
    return !!this.pool && !this.pool.broken && !this.pool.busy() && this.previews.hasImages
      && !this.previews.covers(...domain);
  }

  // The exact image of `request` ({view: the domain, width, height,
  // antialias, periodic, period}) made by the workers and kept for previews
  // only (the widest image); rejected with Cancelled by any newer image.
  depositOverview(request) {
    this.ensurePool(request.period);
    const generation = this.meshGeneration, field = this.fieldKey;
    const { view, width, height, antialias, periodic, period } = request;
    return this.pool.deposit({ view, width, height, antialias, periodic, period }).then((values) => {
      if (generation === this.meshGeneration && field === this.fieldKey) {
        this.previews.rememberOverview(values, width, height, ...view);
      }
    });
  }

  // The workers, holding this pipeline's mesh and field (`period`: the
  // domain's, whose periodic images their strips of the mesh hold).
  ensurePool(period = null) {
    if (!this.pool) {
      const { spawn, module, count } = this.workers;
      try {
        // (a strip of the mesh per worker, core/parallel.js: about one copy between them)
        this.pool = new DepositPool({ spawn, module, size: workerCount(count), px: this.px });
      } catch (err) { // (a page that may not start workers: every image is made here)
        this.workers = null;
        throw new Error(`could not start the deposit workers (${err?.message ?? err}); drawing on the page itself`);
      }
    }
    this.poolDue = false;
    const periodY = period?.[1] ?? NaN;
    if (this.poolMesh !== this.meshGeneration || (Number.isFinite(periodY) && periodY !== this.pool.periodY)) {
      this.pool.setMesh(this.mesh, this.fieldKey, periodY); // (each worker's strip, with the field's values, from it)
      this.poolMesh = this.meshGeneration;
      this.poolField = this.fieldKey;
    }
    if (this.poolField !== this.fieldKey) {
      // (read from the mesh's own values as they go: the page holds no other copy of them)
      this.pool.setValues(this.fieldKey);
      this.poolField = this.fieldKey;
    }
  }

  // True when renderPreview can make one (an exact image seen, its limits known).
  canPreview(limits) {
    return !!limits && !!this.previews?.hasImages;
  }

  // A preview of `state` (rust/src/preview.rs) shaded with `limits` (the
  // last exact image's {vmin, vmax, linthresh}) where the state's own are
  // automatic: render()'s result with preview: true, or null when there is
  // nothing to make one from.
  renderPreview(state, limits) {
    if (!this.canPreview(limits)) return null;
    const t0 = performance.now();
    // (a buffer of its own, so the exact image stays; at most PREVIEW_PIXELS, drawn scaled: a big screen's
    // previews cost no more than a 1024² one)
    const f = Math.max(1, Math.ceil(Math.sqrt((state.width * state.height) / PREVIEW_PIXELS)));
    const w = Math.ceil(state.width / f), h = Math.ceil(state.height / f);
    if (this.previewFrb?.width !== w || this.previewFrb?.height !== h) {
      this.previewFrb?.free();
      this.previewFrb = null;
      this.previewFrb = new this.px.FixedResolutionBuffer(w, h);
    }
    const shaded = previewShading(state, limits);
    let result;
    if (!fromCodes(shaded)) {
      this.previewFrb.drawPreview(this.previews, ...state.view);
      result = this.shade(shaded, this.previewFrb, "previewNorm");
    } else {
      // The preview's pixels from the colour codes the kept images keep for these limits (frb.shadePreview:
      // those of drawPreview + shade, bit for bit): the view moves, its limits stay, so no shading per frame.
      const { norm, linthresh } = this.normalization(shaded, this.previewFrb); // (explicit limits: no values read)
      let out;
      try {
        out = this.previewFrb.shadePreview(this.previews, ...state.view, this.colormaps.get(shaded.cmap), norm);
      } catch (err) {
        norm.free();
        throw err;
      }
      this.replaceNorm(norm, "previewNorm");
      this.shown = this.previewFrb;
      result = { width: w, height: h, limits: { vmin: out[0], vmax: out[1], linthresh }, empty: out[2] === 0 };
    }
    return { ...result, preview: true, made: "preview", deposited: false, depositMs: 0, shadeMs: performance.now() - t0 };
  }

  // The colour codes renderPreview will take from the kept images for
  // `limits` (the exact image's, just drawn), made now, while the view rests:
  // else the first preview of the next move makes them (a few ms an image,
  // in one frame). One image a call (a short task); true when all are made.
  preparePreviews(state, limits) {
    if (!this.canPreview(limits)) return true;
    const shaded = previewShading(state, limits);
    if (!fromCodes(shaded)) return true; // (renderPreview shades those itself)
    this.previewFrb ??= new this.px.FixedResolutionBuffer(1, 1); // (its size is renderPreview's to set)
    const { norm } = this.normalization(shaded, this.previewFrb);
    try {
      return this.previewFrb.preparePreview(this.previews, this.colormaps.get(shaded.cmap), norm);
    } finally {
      norm.free();
    }
  }

  frbOfSize(width, height) {
    if (!this.frb || this.frb.width !== width || this.frb.height !== height) {
      this.frb?.free();
      this.frb = null;
      this.frb = new this.px.FixedResolutionBuffer(width, height);
    }
    return this.frb;
  }

  deposit(state) {
    this.frbOfSize(state.width, state.height);
    const [x0, x1, y0, y1] = state.view;
    if (state.periodic) {
      const [periodX, periodY] = state.period;
      this.frb.depositPeriodic(this.mesh, x0, x1, y0, y1, !!state.antialias, periodX, periodY);
    } else {
      this.frb.deposit(this.mesh, x0, x1, y0, y1, !!state.antialias);
    }
  }

  // True when the image holds no value the scale can show (panned off the
  // data, all NaN, or log with nothing > 0).
  hasNoData(scale, frb = this.frb) {
    try {
      frb.valueRange(scale === "log");
      return false;
    } catch {
      return true;
    }
  }

  normalization(state, frb = this.frb) {
    const N = this.px.Normalization;
    const vmin = state.vmin ?? undefined, vmax = state.vmax ?? undefined;
    switch (state.scale) {
      case "linear": return { norm: N.linear(vmin, vmax), linthresh: null };
      case "log": return { norm: N.log(vmin, vmax), linthresh: null };
      case "symlog": {
        let linthresh = state.linthresh ?? null;
        if (linthresh === null) {
          const needRange = vmin === undefined || vmax === undefined;
          const [lo, hi] = needRange ? frb.valueRange(false) : [vmin, vmax];
          linthresh = autoLinthresh(vmin ?? lo, vmax ?? hi);
        }
        return { norm: N.symlog(vmin, vmax, linthresh), linthresh };
      }
      default: throw new Error(`unknown scale ${JSON.stringify(state.scale)} (one of ${SCALES.join(", ")})`);
    }
  }

  // Shade `frb` (the image's buffer, or the preview's) for `state`; the
  // normalization used is kept as this[normSlot] (the colorbar's, or the preview's).
  shade(state, frb = this.frb, normSlot = "norm") {
    const cmap = this.colormaps.get(state.cmap);
    const auto = state.vmin == null || state.vmax == null;
    this.shown = frb;
    let made = null;
    let limits;
    try {
      made = this.normalization(state, frb);
      limits = frb.shade(cmap, made.norm);
    } catch (err) {
      made?.norm.free();
      if (!auto || !this.hasNoData(state.scale, frb)) throw err; // a real error: say it
      // Nothing to scale: every pixel is NaN or masked, so any explicit
      // limits shade it all with the colormap's "bad" colour.
      const fallback = state.scale === "log" ? this.px.Normalization.log(1, 10) : this.px.Normalization.linear(0, 1);
      frb.shade(cmap, fallback);
      this.replaceNorm(fallback, normSlot);
      return { width: frb.width, height: frb.height, limits: null, empty: true };
    }
    this.replaceNorm(made.norm, normSlot);
    return {
      width: frb.width, height: frb.height,
      limits: { vmin: limits[0], vmax: limits[1], linthresh: made.linthresh },
      // explicit limits need no scan to shade; an empty view is still said
      empty: auto ? false : this.hasNoData(state.scale, frb),
    };
  }

  replaceNorm(norm, slot = "norm") {
    if (this[slot] !== norm) this[slot]?.free();
    this[slot] = norm;
  }

  // RGBA of the image last shaded (the exact one, or a preview: its size is
  // the result's width and height), top row first: a view of wasm memory,
  // valid until the next allocation in wasm (take it just before drawing).
  rgba() {
    return this.shown.rgba();
  }

  // Where each value lands on the colour scale of the current image (0..1).
  positions(values) {
    const { limits } = this.result;
    if (!limits) return values.map(() => NaN);
    return Array.from(this.norm.positions(Float64Array.from(values), limits.vmin, limits.vmax));
  }

  // The deposited value under pixel (col, row from the top) of `state`'s
  // image, NaN if none: exact even while a preview is shown (then that one
  // pixel's row is deposited here: the cells of one row cost little).
  valueAt(state, col, rowFromTop) {
    const w = state.width, h = state.height;
    if (!(col >= 0 && col < w && rowFromTop >= 0 && rowFromTop < h) || this.fieldKey === null) return NaN;
    const row = h - 1 - rowFromTop; // float image: row 0 at y_min
    if (this.hasDeposit(state)) return this.frb.values()[row * w + col];
    // (that pixel alone, its cells culled along x and y: a whole row of a 50 M-cell slice took ~5-10 ms,
    // at every pointer move over a preview)
    this.band ??= new this.px.RowBand();
    const [x0, x1, y0, y1] = state.view;
    const period = state.periodic ? state.period : [];
    return this.band.valueAt(this.mesh, x0, x1, y0, y1, w, h, row, col, !!state.antialias, ...period);
  }

  free() {
    if (this.fields?.[LENT]?.mesh === this.mesh) giveBackField(this.fields, { gone: true });
    if (this.ownsMesh) this.mesh?.free();
    this.frb?.free();
    this.previewFrb?.free();
    this.norm?.free();
    this.previewNorm?.free();
    this.band?.free();
    this.pool?.terminate();
    this.mesh = this.frb = this.previewFrb = this.norm = this.previewNorm = this.band = this.pool = this.shown = null;
    this.previews.free();
    this.previews = null;
  }
}
