// The viewer: toolbar, title, image with axes and colorbar, mesh overlay,
// read-out. It reads and writes a store with the anywidget model's shape
// (the widget's model, or a plain store on a page without Python) and draws
// every frame itself, at most once per animation frame.

import { formatNumber, prettyUnits } from "../core/format.js";
import { Pipeline } from "../core/pipeline.js";
import { imageSize } from "../core/conventions.js";
import { panBy, pointAt, recentre, zoomAbout } from "../core/view.js";
import { buildControls } from "./controls.js";
import { drawFigure, drawMesh, fieldLabel, figureLayout, fitScale } from "./figure.js";
import { bindGestures } from "./interaction.js";
import { ensureStyles } from "./styles.js";

const SAVE_DELAY_MS = 150;
// No new view for this long: the view rests (every deposit worker at work again).
const REST_MS = 60; // after a gesture: one kernel message, not one per frame
// After the last frame, the PNG kept with the notebook. Each one makes the
// notebook re-render the output (see widget.js), so only once the view rests.
const SNAPSHOT_DELAY_MS = 1500;
// While the view moves (a new view within MOVE_GAP_MS of the last), an exact
// image the workers would take longer than MOVING_EXACT_MS to make is not
// begun: the next move would cancel it, and workers busy on every core of a
// small machine take the page's frames (bench/parallel.py, 10 M cells, 2
// cores: panning at 45 frames/s with the workers depositing each move). It
// is begun once no new view came for MOVE_GAP_MS, or at once when a drag or
// pinch is let go; previews meanwhile. A drag or pinch under way (a pointer
// down) moves from its first move on: more moves follow, so that move's image
// is not begun either (on a 50 M-cell slice it kept both cores of a small
// machine for the drag's first ~100 ms). (A gap of 40 ms was too short: on a
// busy page the moves of a drag came 45-60 ms apart, each began an image, and
// those images slowed the moves further.)
const MOVING_EXACT_MS = 33;
const MOVE_GAP_MS = 100;
const NO_DATA = "no data in view";
const RENDER_KEYS = ["field", "depth", "view", "resolution", "antialias", "periodic", "period", "cmap", "scale", "vmin",
  "vmax", "linthresh", "length_unit", "show_mesh", "info"];

const sameBytes = (a, b) => !!a && !!b && a.length === b.length && a.every((x, i) => x === b[i]);
let instances = 0; // per bundle instance (anywidget loads one per model): a re-used viewer keeps its number
const make = (tag, cls) => Object.assign(document.createElement(tag), { className: cls });

export class Viewer {
  // data: one mesh {px, py, pdx, pdy: Float64Array (or wasmMesh, see core/pipeline.js), fields: {name:
  // Float64Array}, units: {name: string}}; or one mesh still arriving {pending: (report) => Promise<mesh>,
  // fieldNames, units} (report(text): what the loading note says meanwhile); or a stack {stack:
  // core/stack.js source of such meshes, fieldNames, units}, shown at store "depth". The viewer owns
  // them: destroy() frees them (mesh.free(), stack.clear()).
  // options: {snapshots: keep store._snapshot (PNG) up to date, fill: the figure fills its container's
  // width and height (the exhibit; else it fits the width and is never enlarged), toolbarHost: an element of
  // the page's to put the toolbar in (a side panel) rather than above the figure, hidpi: deposit and draw at the
  // screen's devicePixelRatio (crisp on high-DPI screens; the frame's width and height are then device pixels), dropFile}
  constructor(el, store, runtime, data, options = {}) {
    this.store = store;
    this.runtime = runtime;
    this.stack = data.stack ?? null;
    this.data = this.stack || data.pending ? null : data; // the mesh drawn (the current depth's, for a stack)
    this.units = data.units;
    this.meshDepth = -1;
    this.options = options;
    this.pipeline = new Pipeline(runtime);
    this.cache = {};
    this.frameCount = 0;
    this.raf = 0;
    this.limits = null;

    ensureStyles(el);
    this.root = make("div", "ytlite-viewer");
    this.root.dataset.instance = String(++instances);
    this.toolbar = buildControls({
      store, colormaps: runtime.colormaps, fields: data.fieldNames ?? Object.keys(data.fields),
      lengthUnits: store.get("length_units"),
      depth: this.stack ? { count: this.stack.count, label: (i) => this.depthLabel(i) } : null,
      actions: {
        currentLimits: () => this.limits,
        reset: () => this.setView(store.get("domain"), true),
        fullscreen: () => (document.fullscreenElement ? document.exitFullscreen() : this.root.requestFullscreen?.()),
        downloadPng: () => this.downloadPng(),
      },
    });
    this.title = make("div", "ytlite-title");
    this.caption = make("div", "ytlite-caption"); // a tour stop's words (text), when one plays
    this.stage = make("div", "ytlite-stage");
    this.axesCanvas = make("canvas", "ytlite-axes");
    this.canvas = make("canvas", "ytlite-image");
    this.canvas.tabIndex = 0; // keyboard pan/zoom when focused
    this.canvas.setAttribute("role", "img"); // (its aria-label says what it shows: describeView)
    this.meshCanvas = make("canvas", "ytlite-mesh");
    this.note = make("div", "ytlite-note");
    this.note.textContent = NO_DATA;
    this.errorBox = make("div", "ytlite-error");
    this.readout = make("div", "ytlite-readout");
    this.readout.setAttribute("aria-live", "polite"); // a tap's value is read out by screen readers too
    // the figure at its own pixel size, scaled as a whole to fit (see fit())
    this.figure = make("div", "ytlite-figure");
    this.figure.append(this.axesCanvas, this.canvas, this.meshCanvas, this.note, this.errorBox);
    this.stage.append(this.figure);
    this.root.append(this.title, this.caption, this.stage, this.readout);
    // (options.toolbarHost: the toolbar in a panel of the page's, beside the figure; else above it)
    if (options.toolbarHost) {
      this.toolbar.element.classList.add("ytlite-panel");
      ensureStyles(options.toolbarHost);
      options.toolbarHost.replaceChildren(this.toolbar.element);
    } else {
      this.root.prepend(this.toolbar.element);
    }
    el.append(this.root);

    if (this.data) this.pipeline.setMesh(data);
    else if (data.pending) this.awaitMesh(data.pending);
    if (this.stack) this.stack.onProgress = (i, text) => { if (i === this.depth() && i !== this.meshDepth) this.showLoading(text); };
    this.gestures = bindGestures(this.canvas, {
      pan: (dfx, dfy) => this.setView(panBy(this.view(), dfx, dfy, store.get("domain"))),
      zoom: (fx, fy, f) => this.setView(zoomAbout(this.view(), fx, fy, f, store.get("domain"))),
      recentre: (fx, fy) => this.setView(recentre(this.view(), fx, fy, store.get("domain"))),
      reset: () => this.setView(store.get("domain")),
      depth: (step) => this.stepDepth(step),
      hover: (fx, fy) => this.showReadout(fx, fy),
      tap: (fx, fy) => { this.pinned = this.showReadout(fx, fy); },
      leave: () => { this.readout.textContent = this.pinned ?? ""; },
      end: () => this.saveSoon(),
      rest: () => this.restNow(), // (a drag let go: its exact image begun now, not MOVE_GAP_MS later)
      wheelEnabled: () => !!store.get("wheel_zoom"),
    });
    if (options.dropFile) this.acceptDrops(options.dropFile);
    this.onResize = () => this.fit();
    this.resizeObserver = typeof ResizeObserver === "undefined" ? null : new ResizeObserver(this.onResize);
    document.addEventListener("fullscreenchange", this.onResize);
    this.onChange = () => this.schedule();
    store.on(RENDER_KEYS.map((k) => `change:${k}`).join(" "), this.onChange);
    this.schedule();
  }

  view() {
    return this.store.get("view");
  }

  // Files dropped on the viewer go to `open(file)` (-> a message to show).
  acceptDrops(open) {
    const hasFile = (e) => [...(e.dataTransfer?.types ?? [])].includes("Files");
    this.root.addEventListener("dragover", (e) => {
      if (!hasFile(e)) return;
      e.preventDefault(); // (and keeps JupyterLab from taking the file)
      e.stopPropagation();
      this.root.classList.add("ytlite-dropping");
    });
    this.root.addEventListener("dragleave", () => this.root.classList.remove("ytlite-dropping"));
    this.root.addEventListener("drop", async (e) => {
      this.root.classList.remove("ytlite-dropping");
      const file = e.dataTransfer?.files?.[0];
      if (!file) return;
      e.preventDefault();
      e.stopPropagation();
      try {
        this.note.textContent = await open(file);
        this.note.style.display = "block";
      } catch (err) {
        this.showError(`could not open ${file.name}: ${err?.message ?? err}`);
      }
    });
  }

  setCaption(text) {
    this.caption.textContent = text ?? ""; // (text, never HTML)
    this.caption.style.display = text ? "" : "none";
  }

  // The loading note (on the empty view): what is arriving, or why it did not.
  showLoading(text) {
    this.note.textContent = text;
    this.note.style.display = "block";
  }

  // One mesh arriving (read in the page): the note says how far it got; a
  // failure says what happened (err.fallback: someone else is bringing the
  // cells, a note rather than an error).
  awaitMesh(pending) {
    this.showLoading("loading the cells ...");
    pending((text) => { if (!this.data && !this.destroyed) this.showLoading(text); }).then((mesh) => {
      if (this.destroyed) { mesh.free?.(); return; }
      this.pipeline.setMesh(mesh);
      this.data = mesh;
      this.schedule();
    }, (err) => {
      if (this.destroyed) return;
      const message = String(err?.message ?? err);
      if (err?.fallback) this.showLoading(message);
      else this.showError(message);
    });
  }

  depth() {
    return this.stack ? Math.min(this.stack.count - 1, Math.max(0, Math.trunc(this.store.get("depth") ?? 0))) : 0;
  }

  stepDepth(step) {
    if (!this.stack) return;
    this.store.set("depth", Math.min(this.stack.count - 1, Math.max(0, this.depth() + step)));
    this.saveSoon();
  }

  depthLabel(i) {
    const info = this.store.get("info") ?? {};
    const units = info.coord?.[1] ?? "code_length";
    const value = this.stack.coords[i];
    const shown = units === "code_length"
      ? `${formatNumber(value * this.unitScale())} ${this.store.get("length_unit")}` : `${formatNumber(value)} ${prettyUnits(units)}`;
    return `${info.axis ?? "depth"} = ${shown} (${i + 1}/${this.stack.count})`;
  }

  // The current depth's mesh in the pipeline: true when it is there; else
  // it starts loading it (the last picture stays meanwhile) and redraws then.
  ensureDepth() {
    const depth = this.depth();
    if (depth === this.meshDepth) return true;
    const mesh = this.stack.peek(depth);
    if (mesh) {
      this.pipeline.setMesh(mesh);
      this.data = mesh;
      this.meshDepth = depth;
      this.stack.pin(depth); // (never evicted, so never freed, while drawn)
      this.stack.prefetch(depth);
      return true;
    }
    this.note.textContent = `loading ${this.depthLabel(depth)} ...`;
    this.note.style.display = "block";
    this.stack.load(depth).then(() => this.schedule(), (err) => {
      if (this.depth() !== depth || this.destroyed) return;
      if (err?.fallback) this.showLoading(String(err.message));
      else this.showError(`${this.depthLabel(depth)}: ${err?.message ?? err}`);
    });
    return false;
  }

  setView(view, save = false) {
    this.store.set("view", view);
    if (save) this.saveSoon();
  }

  saveSoon() {
    clearTimeout(this.saveTimer);
    this.saveTimer = setTimeout(() => this.store.save_changes(), SAVE_DELAY_MS);
  }

  schedule() {
    if (!this.raf) this.raf = requestAnimationFrame(() => { this.raf = 0; this.draw(); });
  }

  // -- one frame ---------------------------------------------------------
  draw() {
    const s = this.store;
    const t0 = performance.now();
    try {
      if (this.stack && !this.ensureDepth()) return;
      if (!this.data) return; // (still arriving: the note says so)
      if (this.note.textContent !== NO_DATA) this.note.textContent = NO_DATA; // (after "loading ...")
      const field = s.get("field");
      this.pipeline.useField(field, this.data.fields); // (setMesh, at a new depth, made it copy them again)
      const view = this.view();
      // (options.hidpi: the deposit at the screen's own pixels, devicePixelRatio per CSS pixel, so the
      // picture is crisp on a high-DPI screen; the figure keeps its size in CSS pixels)
      const dpr = this.pixelRatio();
      const [width, height] = imageSize(view, Math.round(s.get("resolution") * dpr));
      const state = {
        view, width, height, antialias: s.get("antialias"), periodic: s.get("periodic"), period: s.get("period"),
        cmap: s.get("cmap"), scale: s.get("scale"), vmin: s.get("vmin"), vmax: s.get("vmax"),
        linthresh: s.get("linthresh"),
      };
      // A view whose exact image costs more than a frame: made in workers,
      // and a preview meanwhile (none yet: the last picture stays).
      let r;
      // (a drag or pinch under way: its first move too, until the view rests under the held pointer)
      const moving = this.moved(state) || (!!this.gestures?.busy() && this.restedKey !== this.movedKey);
      if (this.pipeline.wantsWorkers(state)) {
        const preview = this.pipeline.canPreview(this.limits);
        if (preview && moving && this.exactMs(state) > MOVING_EXACT_MS) this.exactAtRest();
        else this.depositInWorkers(state);
        r = preview ? this.pipeline.renderPreview(state, this.limits) : null;
        if (!r) return;
        this.previewsSoon(0); // (the next previews from kept codes, once they are made)
      } else {
        if (this.working) this.pipeline.pool?.cancel(); // (an older view's image, no longer wanted)
        r = this.pipeline.render(state);
      }
      this.state = state;
      this.limits = r.limits;
      const layout = figureLayout(width / dpr, height / dpr);
      layout.dpr = dpr;
      this.placeStage(layout);
      // A fresh view of wasm memory each frame: memory growth detaches older ones.
      const image = new ImageData(this.pipeline.rgba(), r.width, r.height);
      const ctx = this.canvas.getContext("2d");
      if (r.width === width && r.height === height) {
        ctx.putImageData(image, 0, 0);
      } else { // a preview made smaller (core/pipeline.js PREVIEW_PIXELS): drawn scaled, cells kept sharp
        this.previewCanvas ??= document.createElement("canvas");
        const pc = this.previewCanvas;
        if (pc.width !== r.width || pc.height !== r.height) Object.assign(pc, { width: r.width, height: r.height });
        this.previewCanvas.getContext("2d").putImageData(image, 0, 0);
        ctx.imageSmoothingEnabled = false;
        ctx.drawImage(this.previewCanvas, 0, 0, width, height);
      }
      const t1 = performance.now();
      this.drawFigure(layout, view);
      this.drawMeshOverlay(view, width, height);
      this.note.style.display = r.empty ? "block" : "none";
      this.showTitle();
      this.describe(view);
      this.showError("");
      this.frameCount += 1;
      this.report({
        view, width, height, field, cmap: s.get("cmap"), scale: s.get("scale"),
        vmin: r.limits?.vmin ?? null, vmax: r.limits?.vmax ?? null, linthresh: r.limits?.linthresh ?? null,
        depth: this.stack ? this.meshDepth : null, empty: r.empty, deposited: r.deposited, deposit_ms: r.depositMs, shade_ms: r.shadeMs,
        frame_ms: t1 - t0, count: this.frameCount, preview: !!r.preview, made: r.made,
        worker_ms: r.made === "workers" ? this.workerMs : null,
      });
      if (this.pipeline.poolDue) this.poolSoon(state);
    } catch (err) {
      // Keep the last good image; say what went wrong.
      this.showError(String(err && err.message ? err.message : err));
    }
  }

  // True while the view moves: `state` (or the view it redraws) came within
  // MOVE_GAP_MS of the new view before it, and no rest has come since.
  moved(state) {
    const key = this.pipeline.depositKeyOf(state), now = performance.now();
    if (key !== this.movedKey) {
      this.moving = now - (this.movedAt ?? -Infinity) < MOVE_GAP_MS;
      this.movedKey = key;
      this.movedAt = now;
    } else if (now - this.movedAt >= MOVE_GAP_MS) {
      this.moving = false;
    }
    return this.moving;
  }

  // What the workers' exact image of `state` should take (ms): the last one's, else the predicted cost
  // shared between them.
  exactMs(state) {
    return this.workerMs ?? this.pipeline.predict(state).ms / (this.pipeline.pool?.size ?? 1);
  }

  // The view moves: the image being made (of an older view) is let go, and the exact image of the view
  // is begun once no new one came for MOVE_GAP_MS (a redraw then: the view rests).
  exactAtRest() {
    if (this.working) {
      this.pipeline.pool?.cancel();
      this.working = null;
    }
    clearTimeout(this.restTimer);
    const key = this.movedKey;
    this.restTimer = setTimeout(() => {
      this.restTimer = 0;
      if (this.destroyed || this.movedKey !== key) return; // (a newer view: its own draw decides)
      this.moving = false;
      this.restedKey = key;
      this.schedule();
    }, MOVE_GAP_MS);
  }

  // The view rests now (a drag or pinch let go): the exact image put off while it moved is begun, and
  // that of the last move's view, if it is still to be drawn, is not put off.
  restNow() {
    this.moving = false;
    this.movedAt = -Infinity;
    if (this.restTimer) {
      clearTimeout(this.restTimer);
      this.restTimer = 0;
      this.schedule();
    }
  }

  // The exact image of `state` from the workers, then a redraw (which finds
  // it deposited); one at a time: a newer view cancels an older one.
  depositInWorkers(state) {
    const key = this.pipeline.depositKeyOf(state);
    if (this.working === key) return;
    this.working = key;
    let made;
    try {
      made = this.pipeline.depositInWorkers(state);
    } catch (err) { // (no workers on this page: the pipeline now draws every view here)
      this.working = null;
      console.warn(String(err?.message ?? err));
      this.schedule();
      return;
    }
    made.then(({ ms }) => {
      if (this.working === key) this.working = null;
      this.workerMs = ms;
      if (this.destroyed) return;
      // drawn now (not at the next animation frame: that would add up to a frame to every exact image)
      if (!this.raf) this.draw();
      this.overviewSoon(state);
      this.previewsSoon();
    }, (err) => {
      if (this.working === key) this.working = null;
      if (err?.cancelled || this.destroyed) return;
      // (workers that cannot run: the pipeline stops asking for them and this view is made here)
      if (this.pipeline.pool?.broken) this.schedule();
      else this.showError(String(err?.message ?? err));
    });
  }

  // A big mesh's first image was made here (core/pipeline.js wantsWorkers): the workers get the mesh
  // once it is on the screen (a task of its own, after this frame is painted), and an overview for
  // previews when that image does not show the whole domain.
  poolSoon(state) {
    if (this.poolTimer) return;
    // (the next animation frame's paint first, then a task; a viewer destroyed meanwhile: nothing)
    this.poolTimer = requestAnimationFrame(() => { this.poolTimer = setTimeout(() => {
      this.poolTimer = 0;
      if (this.destroyed || !this.pipeline.poolDue) return;
      try {
        this.pipeline.ensurePool(state.period);
      } catch (err) { // (no workers on this page: every view is made here)
        console.warn(String(err?.message ?? err));
        return;
      }
      this.overviewSoon(state);
    }, 0); });
  }

  // The kept images' colour codes for the limits previews are shaded with
  // (core/pipeline.js preparePreviews), made in tasks of their own, an image
  // a task (a few ms each), once the page is free: after an exact image is
  // drawn (`delay`: when the view has rested), or as soon as a move's
  // previews need them. Until they are made, previews are shaded each frame.
  previewsSoon(delay = REST_MS) {
    if (this.prepareTimer) return; // (one at a time: it takes the limits of its own time)
    let tasks = 0;
    const step = () => {
      this.prepareTimer = 0;
      if (this.destroyed || !this.state) return;
      try {
        if (!this.pipeline.preparePreviews(this.state, this.limits) && ++tasks < 2) this.prepareTimer = setTimeout(step, 0);
      } catch (err) {
        console.warn(`previews not prepared: ${err?.message ?? err}`);
      }
    };
    this.prepareTimer = setTimeout(step, delay);
  }

  // Once an exact image is there and the workers are idle: the whole domain's
  // exact image for previews, when none covers it yet (see core/pipeline.js).
  overviewSoon(state) {
    const domain = this.store.get("domain");
    if (!domain || !this.pipeline.wantsOverview(domain)) return;
    const [width, height] = imageSize(domain, Math.max(state.width, state.height));
    this.pipeline.depositOverview({ ...state, view: domain, width, height }).then(() => this.previewsSoon(), (err) => {
      if (!err?.cancelled) console.warn(`no overview for previews: ${err?.message ?? err}`);
    });
  }

  // the screen's pixels per CSS pixel the figure is drawn at (1 unless options.hidpi)
  pixelRatio() {
    return this.options.hidpi ? Math.min(3, Math.max(1, globalThis.devicePixelRatio || 1)) : 1;
  }

  // Canvases sized: backing stores in device pixels (layout.dpr per CSS pixel), CSS sizes in CSS pixels.
  placeStage(layout) {
    const { image, dpr = 1 } = layout;
    const deviceW = Math.round(image.width * dpr), deviceH = Math.round(image.height * dpr);
    for (const c of [this.canvas, this.meshCanvas]) {
      if (c.width !== deviceW || c.height !== deviceH) {
        c.width = deviceW;
        c.height = deviceH;
      }
      Object.assign(c.style, { left: `${image.left}px`, top: `${image.top}px`, width: `${image.width}px`, height: `${image.height}px` });
    }
    const axesW = Math.round(layout.width * dpr), axesH = Math.round(layout.height * dpr);
    if (this.axesCanvas.width !== axesW || this.axesCanvas.height !== axesH) {
      this.axesCanvas.width = axesW;
      this.axesCanvas.height = axesH;
      Object.assign(this.axesCanvas.style, { width: `${layout.width}px`, height: `${layout.height}px` });
    }
    this.figure.style.width = `${layout.width}px`;
    this.figure.style.height = `${layout.height}px`;
    Object.assign(this.note.style, { left: `${image.left + 8}px`, top: `${image.top + 8}px` });
    Object.assign(this.errorBox.style, { left: `${image.left}px`, top: `${image.top}px` });
    // (fit() reads the page's layout: only when the figure's size changed, not every frame;
    // the container's own changes reach it through the ResizeObserver)
    const resized = !this.layout || this.layout.width !== layout.width || this.layout.height !== layout.height;
    this.layout = layout;
    if (resized) this.fit();
  }

  // Scale the figure to the space it has: the container's width (it may be
  // narrower than the figure), or the whole screen in full screen. Gestures
  // measure the canvas on screen, so they follow the scale.
  fit() {
    const layout = this.layout;
    if (!layout) return;
    const parent = this.root.parentElement;
    if (this.resizeObserver && parent !== this.observed) { // the viewer moves when a new view adopts it
      this.resizeObserver.disconnect();
      if (parent) this.resizeObserver.observe(parent);
      this.observed = parent;
    }
    const full = document.fullscreenElement === this.root;
    const k = fitScale(layout, this.figureSpace(), full || !!this.options.fill);
    this.scale = k;
    this.figure.style.transform = k === 1 ? "" : `scale(${k})`;
    this.figure.classList.toggle("ytlite-enlarged", k > 1); // AMR cells stay sharp-edged
    this.stage.style.width = `${layout.width * k}px`;
    this.stage.style.height = `${layout.height * k}px`;
    if (!this.options.toolbarHost) this.toolbar.element.style.maxWidth = `${Math.max(layout.width * k, 420)}px`;
  }

  // The room the figure has (CSS pixels): the screen in full screen; with
  // options.fill its container's width and height (the exhibit); else the
  // container's width (height 0: unbounded).
  figureSpace() {
    const parent = this.root.parentElement;
    const above = this.options.toolbarHost ? 0 : this.toolbar.element.offsetHeight;
    const chrome = above + this.title.offsetHeight + this.caption.offsetHeight + this.readout.offsetHeight + 24;
    if (document.fullscreenElement === this.root) return { width: window.innerWidth - 16, height: window.innerHeight - chrome };
    if (!parent) return { width: 0, height: 0 };
    return { width: parent.clientWidth, height: this.options.fill ? Math.max(0, parent.clientHeight - chrome) : 0 };
  }

  unitScale() {
    const s = this.store;
    return s.get("length_units")[s.get("length_unit")] ?? 1;
  }

  drawFigure(layout, view) {
    const s = this.store;
    const info = s.get("info") ?? {};
    const unit = s.get("length_unit");
    const cmap = s.get("cmap");
    const field = s.get("field");
    const ctx = this.axesCanvas.getContext("2d");
    ctx.setTransform(layout.dpr ?? 1, 0, 0, layout.dpr ?? 1, 0, 0); // (drawn in CSS pixels)
    drawFigure(ctx, layout,
      { view, unitScale: this.unitScale(), xLabel: `${info.x_axis ?? "x"} (${unit})`, yLabel: `${info.y_axis ?? "y"} (${unit})` },
      {
        name: cmap, table: this.runtime.colormaps.table(cmap), n: this.runtime.colormaps.entry(cmap).n,
        scale: s.get("scale"), limits: this.limits, positions: (v) => this.pipeline.positions(v),
        label: fieldLabel(field, this.units[field]),
      }, this.cache);
  }

  drawMeshOverlay(view, width, height) {
    const ctx = this.meshCanvas.getContext("2d");
    if (this.store.get("show_mesh")) {
      this.meshCanvas.style.display = "";
      drawMesh(ctx, this.pipeline.geometry(), view, width, height); // (views of the wasm mesh: none allocates meanwhile)
    } else {
      this.meshCanvas.style.display = "none";
    }
  }

  titleText() {
    const s = this.store;
    const info = s.get("info") ?? {};
    const field = s.get("field");
    const scale = this.unitScale();
    const unit = s.get("length_unit");
    const parts = [];
    if (info.name) parts.push(info.name);
    if (info.kind === "projection") parts.push(`projection along ${info.axis}`);
    else if (this.stack) {
      parts.push(`slice at ${this.depthLabel(this.meshDepth >= 0 ? this.meshDepth : this.depth())}`);
    } else if (info.coord != null) {
      const [value, units] = info.coord;
      const shown = units === "code_length" ? `${formatNumber(value * scale)} ${unit}` : `${formatNumber(value)} ${prettyUnits(units)}`;
      parts.push(`slice at ${info.axis} = ${shown}`);
    }
    if (info.time != null) parts.push(`t = ${formatNumber(info.time[0])} ${prettyUnits(info.time[1])}`);
    return { main: fieldLabel(field, this.units[field]), sub: parts.join(" · ") };
  }

  showTitle() {
    const { main, sub } = this.titleText();
    this.title.textContent = main;
    if (sub) {
      const span = make("span", "ytlite-subtitle");
      span.textContent = ` — ${sub}`;
      this.title.append(span);
    }
  }

  // What the image shows, for screen readers (the canvas's label): field and
  // units, dataset, axis and coordinate, the extent of the view.
  describe(view) {
    const info = this.store.get("info") ?? {};
    const scale = this.unitScale(), unit = this.store.get("length_unit");
    const range = (a, b) => `${formatNumber(a * scale)} to ${formatNumber(b * scale)} ${unit}`;
    const { main, sub } = this.titleText();
    const label = `${main}${sub ? `, ${sub}` : ""}; ${info.x_axis ?? "x"} from ${range(view[0], view[1])}, `
      + `${info.y_axis ?? "y"} from ${range(view[2], view[3])}`;
    if (this.canvas.getAttribute("aria-label") !== label) this.canvas.setAttribute("aria-label", label);
  }

  // The value under (fx, fy) of the canvas in the read-out (the deposit's
  // own value at that pixel, with its units); returns the text shown.
  showReadout(fx, fy) {
    const w = this.canvas.width, h = this.canvas.height;
    const col = Math.floor(fx * w), row = Math.floor(fy * h);
    if (!(col >= 0 && col < w && row >= 0 && row < h) || !this.state) return null;
    const [x, y] = pointAt(this.view(), fx, fy);
    const s = this.store;
    const info = s.get("info") ?? {};
    const unit = s.get("length_unit"), scale = this.unitScale();
    const field = s.get("field");
    const value = this.pipeline.valueAt(this.state, col, row);
    const units = prettyUnits(this.units[field]);
    const shown = Number.isNaN(value) ? "no data" : `${formatNumber(value)}${units ? ` ${units}` : ""}`;
    this.readout.textContent = `${info.x_axis ?? "x"} = ${formatNumber(x * scale)} ${unit}, `
      + `${info.y_axis ?? "y"} = ${formatNumber(y * scale)} ${unit}: ${field} = ${shown}`;
    this.readout.dataset.value = String(value); // (the exact number, for tests)
    return this.readout.textContent;
  }

  // -- reporting -----------------------------------------------------------
  report(frame) {
    this.canvas.dataset.frame = JSON.stringify(frame);
    clearTimeout(this.reportTimer);
    this.reportTimer = setTimeout(() => {
      this.store.set("frame", frame);
      this.store.set("error", "");
      this.store.save_changes();
    }, 100);
    if (this.options.snapshots) {
      clearTimeout(this.snapshotTimer);
      this.snapshotTimer = setTimeout(() => this.saveSnapshot(), SNAPSHOT_DELAY_MS);
    }
  }

  showError(message) {
    this.errorBox.textContent = message;
    this.errorBox.style.display = message ? "block" : "none";
    this.canvas.dataset.error = message;
    if (message) {
      clearTimeout(this.reportTimer);
      this.store.set("error", message);
      this.store.save_changes();
    }
  }

  // -- pictures ------------------------------------------------------------
  // The current view as a canvas: with title, axes and colorbar, or the image alone.
  composeCanvas(withAxes = true) {
    if (!withAxes) {
      const c = document.createElement("canvas");
      c.width = this.canvas.width;
      c.height = this.canvas.height;
      c.getContext("2d").drawImage(this.canvas, 0, 0);
      return c;
    }
    // (in the canvases' own device pixels: dpr of them per CSS pixel of the layout)
    const dpr = this.layout?.dpr ?? 1;
    const titleHeight = Math.round(22 * dpr);
    const c = document.createElement("canvas");
    c.width = this.axesCanvas.width;
    c.height = this.axesCanvas.height + titleHeight;
    const ctx = c.getContext("2d");
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, c.width, c.height);
    const left = Math.round(parseFloat(this.canvas.style.left) * dpr);
    const top = Math.round(parseFloat(this.canvas.style.top) * dpr) + titleHeight;
    ctx.drawImage(this.canvas, left, top);
    if (this.store.get("show_mesh")) ctx.drawImage(this.meshCanvas, left, top);
    ctx.drawImage(this.axesCanvas, 0, titleHeight);
    const { main, sub } = this.titleText();
    ctx.fillStyle = "#222";
    ctx.font = `600 ${12 * dpr}px system-ui, sans-serif`;
    ctx.textBaseline = "middle";
    ctx.fillText(sub ? `${main} — ${sub}` : main, left, titleHeight / 2, c.width - left - 4);
    return c;
  }

  pngBytes(withAxes = true) {
    return new Promise((resolve, reject) => {
      this.composeCanvas(withAxes).toBlob((blob) => {
        if (!blob) reject(new Error("the browser could not encode the PNG"));
        else blob.arrayBuffer().then((b) => resolve(new Uint8Array(b)), reject);
      }, "image/png");
    });
  }

  async downloadPng() {
    const bytes = await this.pngBytes(true);
    const a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([bytes], { type: "image/png" }));
    a.download = `${(this.store.get("info")?.name ?? "ytlite").replace(/\.h5$/, "")}_${this.store.get("field")}.png`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  }

  async saveSnapshot() {
    if (this.gestures.busy()) { // a pointer is down: the view is not at rest yet
      this.snapshotTimer = setTimeout(() => this.saveSnapshot(), SNAPSHOT_DELAY_MS);
      return;
    }
    try {
      const bytes = await this.pngBytes(true);
      if (sameBytes(bytes, this.lastSnapshot)) return; // nothing new to keep
      this.lastSnapshot = bytes;
      this.store.set("_snapshot", new DataView(bytes.buffer));
      this.store.save_changes();
    } catch (err) {
      this.showError(`could not keep a picture of the view: ${err.message}`);
    }
  }

  destroy() {
    if (this.destroyed) return;
    this.destroyed = true;
    this.toolbar.dispose();
    if (this.options.toolbarHost) this.toolbar.element.remove();
    cancelAnimationFrame(this.raf);
    clearTimeout(this.reportTimer);
    clearTimeout(this.snapshotTimer);
    clearTimeout(this.saveTimer);
    clearTimeout(this.prepareTimer);
    clearTimeout(this.restTimer);
    this.gestures.dispose();
    this.resizeObserver?.disconnect();
    document.removeEventListener("fullscreenchange", this.onResize);
    this.store.off(RENDER_KEYS.map((k) => `change:${k}`).join(" "), this.onChange);
    this.pipeline.free();
    if (this.stack) this.stack.clear?.();
    else this.data?.free?.();
  }
}
