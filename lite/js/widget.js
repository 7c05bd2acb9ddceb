// ytlite slice viewer (anywidget front end). Bundled by esbuild (build.py)
// into ytlite/_generated/widget.js, the widget's _esm.
//
// The mesh lives once in wasm memory; every frame runs two cached stages:
//   deposit: cells -> float64 image       (pan, zoom, field, size changes)
//   shade:   normalize + colormap -> RGBA (colormap, scale, limit changes)
// and draws the RGBA view of wasm memory straight onto the canvas.
// Nothing here is fetched: the pixelizer's glue and wasm arrive as widget state.

import { formatNumber, prettyUnits } from "./core/format.js";
import { axisTicks, colorbarTicks, placeTicks } from "./core/ticks.js";

const TICK_FONT = "11px sans-serif";
const LABEL_FONT = "12px sans-serif";
const MARGIN = { left: 64, right: 16, top: 8, bottom: 44 };
const COLORBAR = { gap: 14, width: 18, labels: 78 };

// One pixelizer instance per glue source, shared by every widget on the page.
const pixelizers = new Map();

function loadPixelizer(source, wasmBytes) {
  if (!pixelizers.has(source)) {
    pixelizers.set(source, (async () => {
      const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
      try {
        const mod = await import(/* webpackIgnore: true */ url);
        await mod.default({ module_or_path: wasmBytes });
        return mod;
      } finally {
        URL.revokeObjectURL(url);
      }
    })());
  }
  return pixelizers.get(source);
}

function bytesOf(dataView) {
  return new Uint8Array(dataView.buffer, dataView.byteOffset, dataView.byteLength);
}

function float64sOf(dataView) {
  if (!dataView || dataView.byteLength % 8 !== 0) {
    throw new Error(`mesh array of ${dataView ? dataView.byteLength : 0} bytes is not float64 data`);
  }
  if (dataView.byteOffset % 8 === 0) {
    return new Float64Array(dataView.buffer, dataView.byteOffset, dataView.byteLength / 8);
  }
  return new Float64Array(dataView.buffer.slice(dataView.byteOffset, dataView.byteOffset + dataView.byteLength));
}

class Viewer {
  constructor(model, el, px) {
    this.model = model;
    this.px = px;
    this.mesh = null;
    this.frb = null;
    this.colormaps = new Map();
    this.dirty = { mesh: true, values: true, buffer: true, deposit: true, shade: true };
    this.raf = 0;
    this.limits = null;
    this.frameCount = 0;

    this.root = document.createElement("div");
    this.root.className = "ytlite-viewer";
    this.root.style.cssText = "font: 12px sans-serif; color: #222; display: inline-block; position: relative; user-select: none;";
    this.titleEl = document.createElement("div");
    this.titleEl.style.cssText = "font-weight: 600; margin: 0 0 4px 64px;";
    this.stage = document.createElement("div");
    this.stage.style.cssText = "position: relative;";
    this.frameCanvas = document.createElement("canvas");
    this.frameCanvas.className = "ytlite-axes";
    this.frameCanvas.style.cssText = "position: absolute; left: 0; top: 0; pointer-events: none;";
    this.canvas = document.createElement("canvas");
    this.canvas.className = "ytlite-image";
    this.canvas.style.cssText = `position: absolute; left: ${MARGIN.left}px; top: ${MARGIN.top}px; cursor: grab; touch-action: none; background: repeating-conic-gradient(#eee 0 25%, #fff 0 50%) 0 0 / 16px 16px;`;
    this.errorEl = document.createElement("div");
    this.errorEl.className = "ytlite-error";
    this.errorEl.style.cssText = `position: absolute; left: ${MARGIN.left}px; top: ${MARGIN.top}px; right: 0; padding: 8px; background: #fde8e8; color: #8a1c1c; border: 1px solid #e0a0a0; white-space: pre-wrap; display: none;`;
    this.readout = document.createElement("div");
    this.readout.className = "ytlite-readout";
    this.readout.style.cssText = "margin: 2px 0 0 64px; min-height: 1.3em; font-family: monospace; color: #444;";
    this.stage.append(this.frameCanvas, this.canvas, this.errorEl);
    this.root.append(this.titleEl, this.stage, this.readout);
    el.append(this.root);

    this.bindInteraction();
    this.bindModel();
    this.schedule();
  }

  bindModel() {
    const on = (names, flags) => {
      for (const n of names) this.model.on(`change:${n}`, () => { Object.assign(this.dirty, flags); this.schedule(); });
    };
    on(["px", "py", "pdx", "pdy"], { mesh: true, deposit: true, shade: true });
    on(["values"], { values: true, deposit: true, shade: true });
    on(["width", "height"], { buffer: true, deposit: true, shade: true });
    on(["view", "antialias", "periodic", "period"], { deposit: true, shade: true });
    on(["cmap", "scale", "vmin", "vmax", "linthresh"], { shade: true });
    on(["title", "units", "x_label", "y_label"], {});
  }

  schedule() {
    if (!this.raf) this.raf = requestAnimationFrame(() => { this.raf = 0; this.render(); });
  }

  // -- the two stages -------------------------------------------------------
  render() {
    const m = this.model;
    const t0 = performance.now();
    let tDeposit = t0;
    try {
      if (this.dirty.mesh || this.dirty.values) {
        const values = float64sOf(m.get("values"));
        if (this.dirty.mesh || !this.mesh) {
          this.mesh?.free();
          this.mesh = null;
          // Allocate once in wasm memory and copy each array straight in.
          // (Views die when wasm memory grows, so take each just before use.)
          const mesh = this.px.VariableMesh.withLength(values.length);
          try {
            for (const [name, view] of [["px", "pxView"], ["py", "pyView"], ["pdx", "pdxView"], ["pdy", "pdyView"]]) {
              const data = float64sOf(m.get(name));
              if (data.length !== values.length) {
                throw new Error(`${name} has ${data.length} values but the field has ${values.length}`);
              }
              mesh[view]().set(data);
            }
            mesh.valuesView().set(values);
            mesh.validate();
          } catch (err) {
            mesh.free();
            throw err;
          }
          this.mesh = mesh;
        } else {
          this.mesh.setValues(values);
        }
        this.dirty.mesh = this.dirty.values = false;
      }
      if (this.dirty.buffer || !this.frb) {
        this.frb?.free();
        this.frb = null;
        this.frb = new this.px.FixedResolutionBuffer(m.get("width"), m.get("height"));
        this.dirty.buffer = false;
      }
      const [x0, x1, y0, y1] = m.get("view");
      if (this.dirty.deposit) {
        if (m.get("periodic")) {
          const [periodX, periodY] = m.get("period");
          this.frb.depositPeriodic(this.mesh, x0, x1, y0, y1, m.get("antialias"), periodX, periodY);
        } else {
          this.frb.deposit(this.mesh, x0, x1, y0, y1, m.get("antialias"));
        }
        this.dirty.deposit = false;
        this.dirty.shade = true;
      }
      tDeposit = performance.now();
      if (this.dirty.shade) {
        const { norm, linthresh } = this.normalization();
        let limits;
        try {
          limits = this.frb.shade(this.colormap(m.get("cmap")), norm);
        } catch (err) {
          norm.free();
          throw err;
        }
        // kept with the image it shaded: the colorbar places its ticks with it
        this.norm?.free();
        this.norm = norm;
        this.limits = { vmin: limits[0], vmax: limits[1], linthresh };
        this.dirty.shade = false;
      }
      const w = this.frb.width, h = this.frb.height;
      if (this.canvas.width !== w || this.canvas.height !== h) {
        this.canvas.width = w;
        this.canvas.height = h;
      }
      // A fresh view each frame: wasm memory growth detaches older views.
      this.canvas.getContext("2d").putImageData(new ImageData(this.frb.rgba(), w, h), 0, 0);
      const t1 = performance.now();
      this.drawFrame();
      this.showError("");
      this.frameCount += 1;
      this.report({
        view: [x0, x1, y0, y1], width: w, height: h,
        vmin: this.limits.vmin, vmax: this.limits.vmax, linthresh: this.limits.linthresh ?? null,
        scale: m.get("scale"), cmap: m.get("cmap"), field: m.get("field"),
        deposit_and_shade_ms: t1 - t0, deposit_ms: tDeposit - t0, count: this.frameCount,
      });
    } catch (err) {
      // Keep the last good image; say what went wrong.
      this.showError(String(err && err.message ? err.message : err));
    }
  }

  // Normalization for the current settings. Limits left unset (None in
  // Python) are automatic: the wasm side takes them from the image in view,
  // as yt does (for log, only positive values count) and shade() returns the
  // limits it used.
  normalization() {
    const m = this.model;
    const N = this.px.Normalization;
    const vmin = m.get("vmin") ?? undefined, vmax = m.get("vmax") ?? undefined;
    switch (m.get("scale")) {
      case "linear": return { norm: N.linear(vmin, vmax), linthresh: null };
      case "log": return { norm: N.log(vmin, vmax), linthresh: null };
      case "symlog": {
        let linthresh = m.get("linthresh") ?? null;
        if (linthresh === null) {
          const [lo, hi] = this.frb.valueRange(false);
          const big = Math.max(Math.abs(vmin ?? lo), Math.abs(vmax ?? hi));
          linthresh = big > 0 ? big / 1000 : 1;
        }
        return { norm: N.symlog(vmin ?? NaN, vmax ?? NaN, linthresh), linthresh };
      }
      default: throw new Error(`unknown scale ${m.get("scale")}`);
    }
  }

  colormap(name) {
    if (!this.colormaps.has(name)) {
      const entry = this.model.get("_colormap_index").colormaps[name];
      if (!entry) throw new Error(`unknown colormap ${name}`);
      const table = bytesOf(this.model.get("_colormap_tables"));
      const cmap = new this.px.Colormap(table.subarray(entry.offset, entry.offset + 4 * entry.n));
      cmap.setBad(...entry.bad);
      cmap.setUnder(...entry.under);
      cmap.setOver(...entry.over);
      this.colormaps.set(name, cmap);
    }
    return this.colormaps.get(name);
  }

  // -- reporting ------------------------------------------------------------
  report(frame) {
    this.canvas.dataset.frame = JSON.stringify(frame);
    clearTimeout(this.reportTimer);
    this.reportTimer = setTimeout(() => {
      this.model.set("frame", frame);
      this.model.set("error", "");
      this.model.save_changes();
    }, 100);
  }

  showError(message) {
    this.errorEl.textContent = message;
    this.errorEl.style.display = message ? "block" : "none";
    this.canvas.dataset.error = message;
    if (message) {
      clearTimeout(this.reportTimer);
      this.model.set("error", message);
      this.model.save_changes();
    }
  }

  // -- axes, colorbar, title -----------------------------------------------
  drawFrame() {
    const m = this.model;
    const w = this.canvas.width, h = this.canvas.height;
    const cbLeft = MARGIN.left + w + COLORBAR.gap;
    const W = cbLeft + COLORBAR.width + COLORBAR.labels, H = MARGIN.top + h + MARGIN.bottom;
    const c = this.frameCanvas;
    if (c.width !== W || c.height !== H) { c.width = W; c.height = H; }
    this.stage.style.width = `${W}px`;
    this.stage.style.height = `${H}px`;
    const ctx = c.getContext("2d");
    ctx.clearRect(0, 0, W, H);
    ctx.strokeStyle = "#333";
    ctx.fillStyle = "#222";
    ctx.lineWidth = 1;
    ctx.strokeRect(MARGIN.left - 0.5, MARGIN.top - 0.5, w + 1, h + 1);

    // Axes in the dataset's length unit.
    const [x0, x1, y0, y1] = m.get("view");
    const [unitValue] = m.get("length_unit");
    ctx.font = TICK_FONT;
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    const labelWidth = (v) => ctx.measureText(formatNumber(v)).width;
    for (const t of axisTicks(x0 * unitValue, x1 * unitValue, w, true, labelWidth)) {
      const x = MARGIN.left + ((t / unitValue - x0) / (x1 - x0)) * w;
      ctx.beginPath(); ctx.moveTo(x, MARGIN.top + h); ctx.lineTo(x, MARGIN.top + h + 5); ctx.stroke();
      ctx.fillText(formatNumber(t), x, MARGIN.top + h + 7);
    }
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (const t of axisTicks(y0 * unitValue, y1 * unitValue, h, false, labelWidth)) {
      const y = MARGIN.top + h - ((t / unitValue - y0) / (y1 - y0)) * h;
      ctx.beginPath(); ctx.moveTo(MARGIN.left - 5, y); ctx.lineTo(MARGIN.left, y); ctx.stroke();
      ctx.fillText(formatNumber(t), MARGIN.left - 7, y);
    }
    ctx.font = LABEL_FONT;
    ctx.textAlign = "center";
    ctx.textBaseline = "bottom";
    ctx.fillText(m.get("x_label"), MARGIN.left + w / 2, H - 2);
    ctx.save();
    ctx.translate(12, MARGIN.top + h / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textBaseline = "middle";
    ctx.fillText(m.get("y_label"), 0, 0);
    ctx.restore();

    // Colorbar: the colormap's own table, top = vmax.
    const { vmin, vmax } = this.limits;
    const bar = this.colorbarImage(ctx, m.get("cmap"), h);
    ctx.putImageData(bar, cbLeft, MARGIN.top);
    ctx.strokeRect(cbLeft - 0.5, MARGIN.top - 0.5, COLORBAR.width + 1, h + 1);
    // Tick values from the scale, their places from the normalization that
    // shaded the image (wasm), so each tick sits where the image puts it.
    const values = colorbarTicks(m.get("scale"), vmin, vmax, this.limits.linthresh);
    const positions = this.norm.positions(Float64Array.from(values), vmin, vmax);
    ctx.font = TICK_FONT;
    ctx.textAlign = "left";
    ctx.textBaseline = "middle";
    for (const { value, u } of placeTicks(values, positions, h)) {
      const y = MARGIN.top + h - u * h;
      ctx.beginPath(); ctx.moveTo(cbLeft + COLORBAR.width, y); ctx.lineTo(cbLeft + COLORBAR.width + 4, y); ctx.stroke();
      ctx.fillText(formatNumber(value), cbLeft + COLORBAR.width + 6, y);
    }
    const units = prettyUnits(m.get("units"));
    this.titleEl.textContent = `${m.get("title")}${units ? ` (${units})` : ""}`;
  }

  // The colorbar's pixels depend only on the colormap and the height: built
  // once per change, not on every pan/zoom frame.
  colorbarImage(ctx, name, h) {
    const key = `${name}/${h}`;
    if (this.colorbar?.key !== key) {
      const entry = this.model.get("_colormap_index").colormaps[name];
      const table = bytesOf(this.model.get("_colormap_tables")).subarray(entry.offset, entry.offset + 4 * entry.n);
      const image = ctx.createImageData(COLORBAR.width, h);
      for (let row = 0; row < h; row++) {
        const k = Math.min(entry.n - 1, Math.floor(((h - 1 - row + 0.5) / h) * entry.n));
        for (let col = 0; col < COLORBAR.width; col++) {
          image.data.set(table.subarray(4 * k, 4 * k + 4), 4 * (row * COLORBAR.width + col));
        }
      }
      this.colorbar = { key, image };
    }
    return this.colorbar.image;
  }

  // -- interaction ------------------------------------------------------------
  viewAt(clientX, clientY) {
    const r = this.canvas.getBoundingClientRect();
    const [x0, x1, y0, y1] = this.model.get("view");
    const fx = (clientX - r.left) / r.width, fy = (clientY - r.top) / r.height;
    return { fx, fy, x: x0 + fx * (x1 - x0), y: y1 - fy * (y1 - y0) };
  }

  setView(view, save) {
    this.model.set("view", view);
    if (save) {
      clearTimeout(this.saveTimer);
      this.saveTimer = setTimeout(() => this.model.save_changes(), 150);
    }
  }

  bindInteraction() {
    const c = this.canvas;
    let drag = null;
    c.addEventListener("pointerdown", (e) => {
      c.setPointerCapture(e.pointerId);
      drag = { x: e.clientX, y: e.clientY, view: this.model.get("view") };
      c.style.cursor = "grabbing";
    });
    c.addEventListener("pointermove", (e) => {
      this.updateReadout(e);
      if (!drag) return;
      const r = c.getBoundingClientRect();
      const [x0, x1, y0, y1] = drag.view;
      const dx = ((e.clientX - drag.x) / r.width) * (x1 - x0);
      const dy = ((e.clientY - drag.y) / r.height) * (y1 - y0);
      this.setView([x0 - dx, x1 - dx, y0 + dy, y1 + dy], false);
    });
    const end = () => {
      if (!drag) return;
      drag = null;
      c.style.cursor = "grab";
      this.setView(this.model.get("view"), true);
    };
    c.addEventListener("pointerup", end);
    c.addEventListener("pointercancel", end);
    c.addEventListener("wheel", (e) => {
      e.preventDefault();
      const { x, y } = this.viewAt(e.clientX, e.clientY);
      const factor = Math.exp(-e.deltaY * 0.002); // > 1 zooms in
      const [x0, x1, y0, y1] = this.model.get("view");
      this.setView([x - (x - x0) / factor, x + (x1 - x) / factor, y - (y - y0) / factor, y + (y1 - y) / factor], true);
    }, { passive: false });
    c.addEventListener("dblclick", () => this.setView(this.model.get("domain"), true));
    c.addEventListener("pointerleave", () => { this.readout.textContent = ""; });
  }

  updateReadout(e) {
    if (!this.frb) return;
    const { fx, fy, x, y } = this.viewAt(e.clientX, e.clientY);
    const w = this.frb.width, h = this.frb.height;
    const col = Math.floor(fx * w), rowFromTop = Math.floor(fy * h);
    if (col < 0 || col >= w || rowFromTop < 0 || rowFromTop >= h) return;
    // The float image is in yt's order: row 0 at y_min.
    const value = this.frb.values()[(h - 1 - rowFromTop) * w + col];
    const [unitValue, unitName] = this.model.get("length_unit");
    const units = prettyUnits(this.model.get("units"));
    const shown = Number.isNaN(value) ? "no data" : `${formatNumber(value)}${units ? " " + units : ""}`;
    this.readout.textContent =
      `${this.model.get("x_label").split(" ")[0]} = ${formatNumber(x * unitValue)} ${unitName}, ` +
      `${this.model.get("y_label").split(" ")[0]} = ${formatNumber(y * unitValue)} ${unitName}: ` +
      `${this.model.get("field")} = ${shown}`;
  }

  destroy() {
    cancelAnimationFrame(this.raf);
    this.mesh?.free();
    this.frb?.free();
    this.norm?.free();
    for (const cmap of this.colormaps.values()) cmap.free();
  }
}

async function render({ model, el }) {
  let viewer;
  try {
    const px = await loadPixelizer(model.get("_pixelizer_js"), bytesOf(model.get("_pixelizer_wasm")));
    viewer = new Viewer(model, el, px);
  } catch (err) {
    const msg = document.createElement("div");
    msg.className = "ytlite-error";
    msg.style.cssText = "padding: 8px; background: #fde8e8; color: #8a1c1c;";
    msg.textContent = `ytlite viewer could not start: ${err && err.message ? err.message : err}`;
    el.append(msg);
    model.set("error", msg.textContent);
    model.save_changes();
    return;
  }
  return () => viewer.destroy();
}

export default { render };
