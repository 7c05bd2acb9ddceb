// The kiosk page (view/index.html): the full viewer with no Python at all.
// It opens a slice or projection from the site (?file=...) or from the
// user's disk (file picker or drag and drop), reads it with h5wasm straight
// into the pixelizer's mesh, and keeps the view state in the URL so a link
// reopens the exact view. A thin host over the same core as the widget.
// "Share as one file" saves the view and its data as one HTML file that
// opens from disk with no server (core/standalone.js, ./standalone.js).
// It opens on the site's start view (site.json, from ytlite.toml), never on
// an empty page, and lists the datasets by their titles. With ?exhibit it is
// an exhibit (a museum, a lecture hall): no file picker, no sharing, no
// links away, the figure filling the screen, title and caption in large
// type, big touch targets, and after a while with no input it returns to
// its start view.

import { deviceBytes, loadH5wasm, openSlice, progressText } from "./core/fetchfile.js";
import { wasmGeometry } from "./core/pipeline.js";
import { loadRuntime } from "./core/runtime.js";
import { lengthUnitChoices, REFINEMENT_LEVEL } from "./core/conventions.js";
import { loadSlice } from "./core/slicefile.js";
import { stackSource } from "./core/stack.js";
import { buildStandaloneHtml } from "./core/standalone.js";
import { createStore } from "./core/store.js";
import { parseTour, TourError } from "./core/tour.js";
import { decodeState, encodeState, throttled, URL_WRITE_MS } from "./core/urlstate.js";
import { fillResolution } from "./ui/figure.js";
import { TourPlayer } from "./ui/tourplayer.js";
import { Viewer } from "./ui/viewer.js";

const $ = (sel) => document.querySelector(sel);
const URL_KEYS = ["field", "depth", "view", "cmap", "scale", "vmin", "vmax", "linthresh", "resolution", "length_unit", "show_mesh"];

async function fetchBytes(url, what) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${what}: ${response.status} ${response.statusText} (${url})`);
  return new Uint8Array(await response.arrayBuffer());
}

async function assets() {
  // h5wasm (5.7 MB of script with its wasm inside) is parsed while everything
  // else downloads, not before: a classic script added now, awaited when needed.
  const h5wasm = loadH5wasm(new URL("h5wasm.js", location.href));
  const [index, tables, cmPerUnit] = await Promise.all([
    fetch("colormaps.json").then((r) => r.json()),
    fetchBytes("colormaps.bin", "colormap tables"),
    fetch("length_units.json").then((r) => r.json()),
  ]);
  const runtime = await loadRuntime({
    key: "page", wasm: new URL("ytlite_pixelizer_bg.wasm", location.href), colormapIndex: index, colormapTables: tables,
  });
  return { runtime, cmPerUnit, colormapIndex: index, colormapTables: tables, h5wasm: await h5wasm };
}

const MB = (bytes) => `${(bytes / 1e6).toFixed(bytes < 1e7 ? 2 : 1)} MB`;
const fileSafe = (text) => text.replace(/\.(h5|hdf5)$/i, "").replace(/[^A-Za-z0-9_.-]+/g, "_");

class Kiosk {
  // index: the site's site.json ({title, start, datasets: [{path, title, caption}], exhibit: {idle, home}})
  constructor(index, { exhibit = false } = {}) {
    this.ready = assets();
    this.viewer = null;
    this.status = $("#status");
    this.index = index;
    this.exhibit = exhibit;
  }

  about(file) {
    return this.index.datasets.find((d) => d.path === file) ?? null;
  }

  say(text, isError = false) {
    this.status.textContent = text;
    this.status.className = isError ? "error" : "";
  }

  async openUrl(file, urlState = {}) {
    this.readStart = performance.now();
    this.say(`loading ${file} ...`);
    const url = new URL(file, new URL("../files/", location.href));
    if (file.endsWith("stack.json")) return this.showStack(url, file, { ...urlState, file });
    const name = file.split("/").pop();
    const { h5wasm } = await this.ready;
    try {
      const opened = await openSlice(h5wasm, url, file, { onProgress: (got, total) => this.progress(name, got, total) });
      return await this.show(await this.read(opened, name), name, { ...urlState, file });
    } finally {
      this.viewer?.schedule(); // (the picture shown meanwhile gets its own note back, if the new one failed)
    }
  }

  // While a file arrives: the status line, and the note of the viewer shown (if any).
  progress(name, received, total) {
    const text = progressText(name, received, total);
    this.say(text);
    if (this.viewer && !this.viewer.stack) this.viewer.showLoading(text);
  }

  // An open slice file (fetchfile.js's openSlice) -> the slice, its cells
  // straight into a wasm mesh (one dataset at a time; the file closed after).
  async read(file, name, report = (text) => this.say(text)) {
    const { runtime } = await this.ready;
    return loadSlice(file, {
      geometry: wasmGeometry(runtime.px), inUse: runtime.memoryBytes(), available: deviceBytes(),
      // (a file read a piece at a time says its bytes as they come: openSlice's onProgress)
      progress: file.paged ? null : (done, total) => report(`Reading ${name}: arrays ${done} of ${total}`),
    });
  }

  // A stack: its index, then each slice fetched and read when first shown
  // (and its neighbours just after), a few kept in memory.
  async showStack(url, file, urlState) {
    const index = await fetch(url).then((r) => {
      if (!r.ok) throw new Error(`${file}: ${r.status} ${r.statusText} (${url})`);
      return r.json();
    });
    if (index.format !== "ytlite-stack" || !Array.isArray(index.files) || !Array.isArray(index.coords)
        || index.files.length !== index.coords.length || !index.files.length) {
      throw new Error(`${file}: not a ytlite stack index (format, files and coords of one length)`);
    }
    const depth = Math.min(index.files.length - 1, urlState.depth ?? 0);
    const { h5wasm } = await this.ready;
    const read = async (i, report = (text) => this.say(text)) => {
      const name = index.files[i];
      const onProgress = (got, total) => report(progressText(name, got, total));
      const opened = await openSlice(h5wasm, new URL(name, url), `${file}: slice ${i}`, { onProgress });
      return this.read(opened, name, report);
    };
    const first = await read(depth);
    let firstUnused = first; // (its mesh is shown first; read again if evicted and asked for later)
    const stack = stackSource({
      coords: index.coords, cacheSize: 8, dispose: (mesh) => mesh.free(),
      load: async (i, report) => {
        let slice = i === depth ? firstUnused : null;
        if (slice) firstUnused = null;
        else slice = await read(i, report);
        const missing = first.fieldList.filter((f) => !slice.fieldList.includes(f));
        if (missing.length) { slice.mesh.free(); throw new Error(`${index.files[i]} lacks ${missing.join(", ")}`); }
        return slice.mesh;
      },
    });
    const name = file.split("/").slice(-2, -1)[0] ?? file;
    await this.show(first, name, { ...urlState, depth }, { slice: first, stack });
  }

  async openLocal(fileObject) {
    const { h5wasm } = await this.ready;
    const name = fileObject.name;
    this.readStart = performance.now();
    this.progress(name, 0, fileObject.size);
    try {
      // (read a piece at a time from the user's disk: the page never holds the whole file)
      const opened = await openSlice(h5wasm, fileObject, name, { onProgress: (got, total) => this.progress(name, got, total) });
      await this.show(await this.read(opened, name), name, {}); // not in the site: the URL cannot name it
    } finally {
      this.viewer?.schedule(); // (see openUrl)
    }
  }

  // slice: what read() gave (the cells already in wasm memory)
  async show(slice, name, urlState, stacked = null) {
    const t0 = this.readStart ?? performance.now(); // (from the first byte asked for)
    const { runtime, cmPerUnit } = await this.ready;
    if (stacked) slice = stacked.slice;
    const field = urlState.field && urlState.field in slice.mesh.fields ? urlState.field : slice.defaultField;
    const fieldScales = slice.fieldScales;
    const lengthUnits = lengthUnitChoices(slice.lengthUnit, slice.period, cmPerUnit);
    const unit = slice.lengthUnit[1] in lengthUnits ? slice.lengthUnit[1] : "code_length";
    const view = urlState.view ?? slice.defaultView;
    const store = createStore({
      field, field_scales: fieldScales, info: stacked ? { ...slice.info, name } : slice.info, domain: slice.domain, view,
      resolution: urlState.resolution ?? 512, antialias: true, periodic: false, period: slice.period,
      cmap: [urlState.cmap, slice.defaultCmap].find((c) => c && runtime.colormaps.has(c)) ?? "cmyt.arbre",
      scale: urlState.scale ?? fieldScales[field], vmin: urlState.vmin ?? null, vmax: urlState.vmax ?? null,
      linthresh: urlState.linthresh ?? null, length_units: lengthUnits,
      length_unit: urlState.unit && urlState.unit in lengthUnits ? urlState.unit : unit,
      show_mesh: !!urlState.mesh, wheel_zoom: true, frame: {}, error: "", depth: urlState.depth ?? 0,
    });
    // title and caption first: the exhibit's figure takes the room they leave
    const about = this.about(urlState.file ?? null);
    $("#dataset-title").textContent = about?.title ?? name; // (text, never HTML: captions are data)
    $("#caption").textContent = about?.caption ?? "";
    this.viewer?.destroy();
    const host = $("#viewer");
    host.replaceChildren();
    const data = stacked ? { stack: stacked.stack, fieldNames: Object.keys(slice.mesh.fields), units: slice.mesh.units }
      : slice.mesh;
    this.viewer = new Viewer(host, store, runtime, data, { fill: this.exhibit, hidpi: true, toolbarHost: this.exhibit ? null : $("#controls") });
    this.store = store;
    this.name = name;
    this.file = urlState.file ?? null;
    this.startState = { view, field, cmap: store.get("cmap"), scale: store.get("scale"), depth: store.get("depth") };
    this.datasetDefaults = { view: slice.defaultView, field: slice.defaultField }; // (a tour's stop without them)
    this.fitting = urlState.resolution == null; // (a link's resolution is kept as it is, and one chosen in the toolbar)
    store.on("change:resolution", () => { if (!this.filling) this.fitting = false; });
    if (this.fitting) {
      this.fillScreen();
      requestAnimationFrame(() => this.fillScreen()); // (again once the page around it is laid out)
    }
    if ($("#datasets")) $("#datasets").value = this.file ?? "";
    for (const b of document.querySelectorAll("#exhibit-bar [data-file]")) b.setAttribute("aria-current", String(b.dataset.file === this.file));
    // (at most one write per URL_WRITE_MS: a pan changes the view every frame)
    this.urlWrites?.cancel(); // (the dataset before: its last state is no longer this page's)
    const urlWrites = this.urlWrites = throttled(() => this.writeUrl(store, urlWrites), URL_WRITE_MS);
    store.on(URL_KEYS.map((k) => `change:${k}`).join(" "), () => urlWrites.request());
    urlWrites.request();
    document.title = `${name} — ytlite`;
    this.say(`${name}: ${stacked ? `${stacked.stack.count} slices, ` : ""}${slice.numCells.toLocaleString("en")} cells${stacked ? " in this one" : ""}, fields ${slice.fieldList.join(", ")} `
      + `(read in ${(performance.now() - t0).toFixed(0)} ms)`);
  }

  // The view shown and its data as one HTML file (saved as a download):
  // the standalone viewer's code, the wasm, the colormap tables and the
  // decoded cells with every field of the file; of a stack, the slice
  // shown. -> the message to show.
  async shareAsOneFile() {
    const { viewer, store } = this;
    if (!viewer || !store) {
      throw new Error("nothing to share yet: open a dataset first (from the list, from your disk, or drop a file here)");
    }
    this.say("making the file ...");
    const { colormapIndex, colormapTables } = await this.ready;
    let mesh = viewer.data, info = store.get("info") ?? {}, name = this.name, what = name;
    if (viewer.stack) {
      const depth = viewer.depth(), count = viewer.stack.count;
      mesh = await viewer.stack.load(depth); // (the slice shown: loaded, or about to be)
      // one slice of it, at its own depth
      info = { ...info, name: `${name} (slice ${depth + 1} of ${count})`,
        coord: [viewer.stack.coords[depth], info.coord?.[1] ?? "code_length"] };
      name = `${name}_slice${depth}`;
      what = `slice ${depth + 1} of ${count} of the stack ${this.name} (only that one)`;
    }
    if (!mesh) throw new Error("nothing to share yet: the data is still arriving");
    // The cells copied now: views of a wasm mesh die when its memory grows, and a
    // stack's mesh may leave the cache (freed) while the file is made.
    const names = Object.keys(mesh.fields).filter((f) => f !== REFINEMENT_LEVEL);
    const cells = {
      px: mesh.px.slice(), py: mesh.py.slice(), pdx: mesh.pdx.slice(), pdy: mesh.pdy.slice(), units: { ...mesh.units },
      fields: Object.fromEntries(names.map((f) => [f, mesh.fields[f]])),
    };
    const [script, wasm] = await Promise.all([
      fetch("ytlite-standalone.js").then((r) => {
        if (!r.ok) throw new Error(`the standalone viewer (ytlite-standalone.js): ${r.status} ${r.statusText}`);
        return r.text();
      }),
      fetchBytes("ytlite_pixelizer_bg.wasm", "the pixelizer"),
    ]);
    const field = store.get("field");
    const html = await buildStandaloneHtml({
      script, wasm, colormapIndex, colormapTables, mesh: cells, derived: [REFINEMENT_LEVEL],
      state: { ...store.snapshot(), info }, title: `${info.name ?? name} — ${field} — ytlite`,
      note: `${what}: a view shared from the ytlite viewer, with its data inside this file (works offline)`,
    });
    const filename = `${fileSafe(name)}_${fileSafe(field)}.html`;
    const blob = new Blob([html], { type: "text/html" });
    const a = Object.assign(document.createElement("a"), { href: URL.createObjectURL(blob), download: filename });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 60000);
    return `saved ${filename} (${MB(blob.size)}): this view of ${what}, ${names.length} fields; `
      + "it opens from disk in any browser, with no server and no network";
  }

  // The figure takes the room it has: the resolution whose whole figure fits
  // the exhibit's screen (again when the window changes size), or on the
  // page the width of its column and the height of the window below its top.
  fillScreen() {
    const { viewer, store } = this;
    if (!viewer || !this.fitting) return;
    const host = $("#viewer");
    const room = this.exhibit ? viewer.figureSpace()
      : { width: host.clientWidth, height: Math.max(240, window.innerHeight - host.getBoundingClientRect().top - 96) };
    const resolution = fillResolution(room, store.get("view"));
    this.filling = true;
    if (resolution !== store.get("resolution")) store.set("resolution", resolution);
    this.filling = false;
  }

  // Back to what the exhibit first showed: its start dataset at its first
  // view, field, colormap and scale (after a visitor left).
  async returnToStart() {
    const { file: start, urlState } = this.start ?? {};
    if (!start) return;
    if (this.file !== start) {
      await this.openUrl(start, urlState);
      return;
    }
    const { store, startState } = this;
    for (const [key, value] of Object.entries(startState)) store.set(key, value);
    for (const key of ["vmin", "vmax", "linthresh"]) store.set(key, null);
    this.viewer.pinned = null;
    this.viewer.readout.textContent = "";
  }

  // A tour: `source` a site path (a .json file of the site) or the tour's
  // JSON itself (a short one, in a link). Checked before it plays: its
  // colormaps too. -> the parsed tour.
  async loadTour(source) {
    let text = source, name = "the tour in the link";
    if (!source.trimStart().startsWith("{")) {
      name = source;
      const r = await fetch(new URL(source, new URL("../files/", location.href)));
      if (!r.ok) throw new TourError(`${source}: ${r.status} ${r.statusText}`);
      text = await r.text();
    }
    const tour = parseTour(text, name);
    const { runtime } = await this.ready;
    tour.stops.forEach((stop, i) => {
      if (stop.cmap && !runtime.colormaps.has(stop.cmap)) throw new TourError(`${name}, stop ${i + 1}: no colormap ${stop.cmap}`);
    });
    return tour;
  }

  // Plays `tour` (loop: again and again, the exhibit's attract loop; else
  // once, resting on its last stop). Any input stops it (stopTour).
  playTour(tour, { loop = true } = {}) {
    this.stopTour();
    const host = {
      store: () => this.store, file: () => this.file, defaults: () => this.datasetDefaults,
      open: (file) => this.openUrl(file),
      caption: (text) => { $("#caption").textContent = text || (this.about(this.file)?.caption ?? ""); },
      failed: (message) => this.say(message, true),
    };
    const reducedMotion = !!globalThis.matchMedia?.("(prefers-reduced-motion: reduce)").matches;
    this.player = new TourPlayer(tour, host, { loop, reducedMotion, onEnd: () => this.stopTour() }).start();
    document.body.dataset.tour = "playing"; // (what tests and styles can see)
  }

  stopTour() {
    if (!this.player) return;
    this.player.stop();
    this.player = null;
    delete document.body.dataset.tour;
  }

  // The address bar: the state of `store` (through `writes`, core/urlstate.js throttled).
  writeUrl(store, writes) {
    if (this.exhibit) return; // (an exhibit's address stays its start: a reload starts it afresh)
    const s = (k) => store.get(k);
    const query = this.file ? encodeState({
      file: this.file, field: s("field"), cmap: s("cmap"), scale: s("scale"), view: s("view"), vmin: s("vmin"),
      vmax: s("vmax"), linthresh: s("linthresh"), resolution: s("resolution"), unit: s("length_unit"), mesh: s("show_mesh"),
      depth: this.viewer?.stack ? s("depth") : null,
    }) : "";
    try {
      history.replaceState(null, "", query ? `${location.pathname}?${query}` : location.pathname);
    } catch {
      writes.request(); // (refused, as Safari does when called too often: once more, later)
    }
  }
}

// The exhibit: nothing a visitor can do leaves it or breaks it (no menu, no
// selection, no page zoom, no files, no links), and after `idle` seconds
// with no input it returns to its start view.
function lockDown(kiosk) {
  document.body.classList.add("exhibit");
  $("header")?.remove(); // (file picker, sharing, links away: not in the page at all)
  document.querySelector('meta[name="viewport"]').content = "width=device-width, initial-scale=1, maximum-scale=1, user-scalable=no";
  const stop = (e) => e.preventDefault();
  for (const type of ["contextmenu", "selectstart", "dragstart", "gesturestart", "drop", "dragover"]) document.addEventListener(type, stop);
  document.addEventListener("touchmove", (e) => { if (e.touches.length > 1) e.preventDefault(); }, { passive: false });
  const bar = $("#exhibit-bar");
  const button = (text, onClick, data = {}) => {
    const b = Object.assign(document.createElement("button"), { type: "button", textContent: text });
    Object.assign(b.dataset, data);
    b.addEventListener("click", onClick);
    bar.append(b);
  };
  button("Start view", () => kiosk.returnToStart());
  if (kiosk.index.datasets.length > 1) {
    for (const d of kiosk.index.datasets) button(d.title, () => kiosk.openUrl(d.path).catch((e) => kiosk.say(String(e.message ?? e), true)), { file: d.path });
  }
  let timer = 0;
  const idleMs = 1000 * (kiosk.index.exhibit?.idle ?? 90);
  const idle = async () => {
    await kiosk.returnToStart();
    if (kiosk.attract) kiosk.playTour(kiosk.attract, { loop: true });
  };
  const touched = () => { // (any input: the idle time starts again; main() stops a tour playing)
    clearTimeout(timer);
    timer = setTimeout(() => idle().catch((e) => kiosk.say(String(e.message ?? e), true)), idleMs);
  };
  for (const type of ["pointerdown", "keydown", "wheel"]) document.addEventListener(type, touched, { capture: true, passive: true });
  touched();
}

async function main() {
  const params = new URLSearchParams(location.search);
  const { state, problems } = decodeState(location.search);
  const exhibit = params.has("exhibit");
  let index = { title: "", start: null, datasets: [], exhibit: {} };
  let failure = null;
  try {
    const r = await fetch("site.json");
    if (!r.ok) throw new Error(`the site's list of datasets (site.json): ${r.status} ${r.statusText}`);
    index = await r.json();
  } catch (err) {
    failure = err;
  }
  // light or dark: ?theme=dark|light, else the system's choice; an exhibit is dark unless told otherwise
  const theme = params.get("theme");
  const dark = theme ? theme === "dark" : exhibit || !!globalThis.matchMedia?.("(prefers-color-scheme: dark)").matches;
  document.body.classList.toggle("dark", dark);
  const kiosk = new Kiosk(index, { exhibit });
  globalThis.ytliteKiosk = kiosk; // for tests and the console
  // (the address bar taken, to copy the link, or the page left, within URL_WRITE_MS of a change:
  // the address is the last state at once)
  for (const type of ["blur", "pagehide"]) window.addEventListener(type, () => kiosk.urlWrites?.flush());
  // the figure takes the room it has, again whenever that changes (the window, a caption's lines)
  window.addEventListener("resize", () => kiosk.fillScreen());
  if (exhibit && typeof ResizeObserver !== "undefined") new ResizeObserver(() => kiosk.fillScreen()).observe($("#viewer"));
  const fail = (err) => kiosk.say(String(err?.message ?? err), true);
  if (failure) fail(failure);
  if (index.title) $("#site-title").textContent = index.title;
  if (exhibit) {
    lockDown(kiosk);
  } else {
    if (matchMedia("(max-width: 800px)").matches) $("#panel").open = false; // (a phone: the figure first, the controls a tap away)
    const select = $("#datasets");
    for (const d of index.datasets) select.append(new Option(d.title, d.path));
    select.addEventListener("change", () => select.value && kiosk.openUrl(select.value).catch(fail));
    $("#share").addEventListener("click", () => kiosk.shareAsOneFile().then((m) => kiosk.say(m), fail));
    $("#open").addEventListener("change", (e) => e.target.files[0] && kiosk.openLocal(e.target.files[0]).catch(fail));
    document.addEventListener("dragover", (e) => { e.preventDefault(); document.body.classList.add("dropping"); });
    document.addEventListener("dragleave", () => document.body.classList.remove("dropping"));
    document.addEventListener("drop", (e) => {
      e.preventDefault();
      document.body.classList.remove("dropping");
      const file = e.dataTransfer?.files?.[0];
      if (file) kiosk.openLocal(file).catch(fail);
    });
  }
  // a tour: in the link (?tour=PATH or its JSON), else the exhibit's attract tour (played when idle)
  const tourSource = params.get("tour");
  let tour = null, tourError = null;
  if (tourSource ?? index.exhibit?.tour) {
    tour = await kiosk.loadTour(tourSource ?? index.exhibit.tour).catch((e) => { tourError = e; return null; });
  }
  if (exhibit) kiosk.attract = tour;
  // a visitor's touch, key or wheel stops a tour at once: the first touch hands them the controls
  for (const type of ["pointerdown", "keydown", "wheel"]) document.addEventListener(type, () => kiosk.stopTour(), { capture: true, passive: true });
  const file = state.file ?? (tourSource && tour ? tour.stops[0].file : null) ?? index.start; // (never an empty page)
  kiosk.start = { file, urlState: state }; // (where an exhibit returns)
  if (file) {
    await kiosk.openUrl(file, state).catch(fail);
    if (problems.length) kiosk.say(`ignored in the link: ${problems.join("; ")}`, true);
    if (tourSource && tour) kiosk.playTour(tour, { loop: exhibit });
  } else if (!failure) {
    kiosk.say("open a file from your disk, or drop one here");
  }
  if (tourError) fail(tourError); // (after the dataset's own messages: the tour is what could not be had)
}

main();
