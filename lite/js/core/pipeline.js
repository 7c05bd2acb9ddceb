// The two cached stages (datashader style) over one mesh held in wasm memory:
//   deposit: cells -> float64 image   (field, view, size, antialias, periodic)
//   shade:   normalize + colormap -> RGBA  (colormap, scale, limits)
// Each stage reruns only when one of its inputs changed: a colormap change
// re-shades without depositing again, a pan re-deposits and re-shades.
// No DOM here: the result is drawn by whoever asked (a canvas, a PNG).

import { autoLinthresh, SCALES } from "./conventions.js";

// Inputs of each stage, in the order they make its cache key.
const DEPOSIT_INPUTS = ["view", "width", "height", "antialias", "periodic", "period"];
const SHADE_INPUTS = ["cmap", "scale", "vmin", "vmax", "linthresh"];
const key = (state, names) => names.map((n) => JSON.stringify(state[n] ?? null)).join("|");

// Where slicefile.js's loadSlice puts a file's cell geometry: straight into
// a wasm mesh of `n` cells, a dataset at a time through its views (no whole
// JS copy of any array). Its `mesh` ({wasmMesh, px..pdy}) goes to Pipeline.setMesh;
// free() releases the wasm memory when the mesh is no longer shown.
export function wasmGeometry(px) {
  return (n) => {
    const mesh = px.VariableMesh.withLength(n);
    const views = { px: () => mesh.pxView(), py: () => mesh.pyView(), pdx: () => mesh.pdxView(), pdy: () => mesh.pdyView() };
    let freed = false;
    // px..pdy: getters of fresh views (for whoever reads the cells, e.g. an export), valid until
    // the next allocation in wasm
    const data = { wasmMesh: mesh };
    for (const key of Object.keys(views)) Object.defineProperty(data, key, { enumerable: true, get: views[key] });
    return {
      view: (key) => views[key](),
      mesh: data,
      free() { if (!freed) { freed = true; mesh.free(); } },
    };
  };
}

export class Pipeline {
  constructor(runtime) {
    this.px = runtime.px;
    this.colormaps = runtime.colormaps;
    this.mesh = null;
    this.ownsMesh = false;
    this.frb = null;
    this.norm = null; // the normalization that shaded the current image
    this.fieldKey = null;
    this.depositKey = null;
    this.shadeKey = null;
    this.result = null;
  }

  // Cell geometry: Float64Arrays {px, py, pdx, pdy} of one length n > 0,
  // copied once into a wasm mesh of the pipeline's own, or {wasmMesh, n}: a
  // mesh already filled in place (wasmGeometry below), used as it is and
  // left to its owner to free. The values come with useField.
  setMesh(data) {
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
    this.fieldKey = this.depositKey = this.shadeKey = null;
  }

  // The mesh's cell geometry as views of wasm memory (valid until the next
  // allocation in wasm: take them just before use), for the mesh overlay.
  geometry() {
    const m = this.mesh;
    return m ? { px: m.pxView(), py: m.pyView(), pdx: m.pdxView(), pdy: m.pdyView() } : null;
  }

  // The values of field `name` (Float64Array, one per cell); copied into
  // the mesh only when the field changed. Validates the whole mesh (NaN or
  // negative widths are errors here, before any image is made).
  useField(name, values) {
    if (name === this.fieldKey) return;
    if (!this.mesh) throw new Error("no mesh: call setMesh first");
    if (values.length !== this.n) {
      throw new Error(`field ${name} has ${values.length} values but the mesh has ${this.n} cells`);
    }
    this.fieldKey = null;
    this.mesh.valuesView().set(values);
    this.mesh.validate();
    this.fieldKey = name;
    this.depositKey = this.shadeKey = null;
  }

  // Run what is needed for `state` (view, width, height, antialias,
  // periodic, period, cmap, scale, vmin, vmax, linthresh; null limits are
  // automatic: from the image in view, log counting positive values only).
  // Returns {width, height, limits: {vmin, vmax, linthresh} | null, empty,
  // depositMs, shadeMs}; `rgba()` then gives the pixels.
  render(state) {
    if (this.fieldKey === null) throw new Error("no field: call useField first");
    const t0 = performance.now();
    const dkey = `${this.fieldKey}|${key(state, DEPOSIT_INPUTS)}`;
    let deposited = false;
    if (dkey !== this.depositKey) {
      this.deposit(state);
      this.depositKey = dkey;
      this.shadeKey = null;
      deposited = true;
    }
    const t1 = performance.now();
    const skey = key(state, SHADE_INPUTS);
    if (skey !== this.shadeKey) {
      this.result = this.shade(state);
      this.shadeKey = skey;
    }
    const t2 = performance.now();
    return { ...this.result, deposited, depositMs: t1 - t0, shadeMs: t2 - t1 };
  }

  deposit(state) {
    const { width, height } = state;
    if (!this.frb || this.frb.width !== width || this.frb.height !== height) {
      this.frb?.free();
      this.frb = null;
      this.frb = new this.px.FixedResolutionBuffer(width, height);
    }
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
  hasNoData(scale) {
    try {
      this.frb.valueRange(scale === "log");
      return false;
    } catch {
      return true;
    }
  }

  normalization(state) {
    const N = this.px.Normalization;
    const vmin = state.vmin ?? undefined, vmax = state.vmax ?? undefined;
    switch (state.scale) {
      case "linear": return { norm: N.linear(vmin, vmax), linthresh: null };
      case "log": return { norm: N.log(vmin, vmax), linthresh: null };
      case "symlog": {
        let linthresh = state.linthresh ?? null;
        if (linthresh === null) {
          const needRange = vmin === undefined || vmax === undefined;
          const [lo, hi] = needRange ? this.frb.valueRange(false) : [vmin, vmax];
          linthresh = autoLinthresh(vmin ?? lo, vmax ?? hi);
        }
        return { norm: N.symlog(vmin, vmax, linthresh), linthresh };
      }
      default: throw new Error(`unknown scale ${JSON.stringify(state.scale)} (one of ${SCALES.join(", ")})`);
    }
  }

  shade(state) {
    const cmap = this.colormaps.get(state.cmap);
    const auto = state.vmin == null || state.vmax == null;
    let made = null;
    let limits;
    try {
      made = this.normalization(state);
      limits = this.frb.shade(cmap, made.norm);
    } catch (err) {
      made?.norm.free();
      if (!auto || !this.hasNoData(state.scale)) throw err; // a real error: say it
      // Nothing to scale: every pixel is NaN or masked, so any explicit
      // limits shade it all with the colormap's "bad" colour.
      const fallback = state.scale === "log" ? this.px.Normalization.log(1, 10) : this.px.Normalization.linear(0, 1);
      this.frb.shade(cmap, fallback);
      this.replaceNorm(fallback);
      return { width: this.frb.width, height: this.frb.height, limits: null, empty: true };
    }
    this.replaceNorm(made.norm);
    return {
      width: this.frb.width, height: this.frb.height,
      limits: { vmin: limits[0], vmax: limits[1], linthresh: made.linthresh },
      // explicit limits need no scan to shade; an empty view is still said
      empty: auto ? false : this.hasNoData(state.scale),
    };
  }

  replaceNorm(norm) {
    if (this.norm !== norm) this.norm?.free();
    this.norm = norm;
  }

  // RGBA of the image, top row first: a view of wasm memory, valid until
  // the next allocation in wasm (take it just before drawing).
  rgba() {
    return this.frb.rgba();
  }

  // Where each value lands on the colour scale of the current image (0..1).
  positions(values) {
    const { limits } = this.result;
    if (!limits) return values.map(() => NaN);
    return Array.from(this.norm.positions(Float64Array.from(values), limits.vmin, limits.vmax));
  }

  // The deposited value under pixel (col, row from the top), NaN if none.
  valueAt(col, rowFromTop) {
    const w = this.frb.width, h = this.frb.height;
    if (!(col >= 0 && col < w && rowFromTop >= 0 && rowFromTop < h)) return NaN;
    return this.frb.values()[(h - 1 - rowFromTop) * w + col]; // float image: row 0 at y_min
  }

  free() {
    if (this.ownsMesh) this.mesh?.free();
    this.frb?.free();
    this.norm?.free();
    this.mesh = this.frb = this.norm = null;
  }
}
