// The toolbar: every setting a user changes without typing Python. Each
// control writes the store (the widget's model) and follows it, so Python
// and the toolbar stay in step both ways.

import { SCALES } from "../core/conventions.js";

export const RESOLUTIONS = [256, 384, 512, 768, 1024, 1536, 2048];
let datalistCount = 0;

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "class") node.className = v;
    else if (k === "dataset") Object.assign(node.dataset, v);
    else if (k in node && k !== "list") node[k] = v; // (input.list is read-only: an attribute)
    else node.setAttribute(k, v);
  }
  node.append(...children);
  return node;
}

// A button with an icon (for the eye; hidden from screen readers) and a label.
function button(cls, icon, label, title) {
  return el("button", { type: "button", class: cls, title },
    el("span", { class: "ytlite-icon", "aria-hidden": "true", textContent: icon }), label);
}

// "" -> null (automatic); a finite number -> it; anything else -> undefined (invalid)
export function parseLimit(text) {
  const t = text.trim();
  if (t === "" || t.toLowerCase() === "auto") return null;
  const v = Number(t.replace(/×10\^?/, "e").replace("−", "-"));
  return Number.isFinite(v) ? v : undefined;
}

// A number as an input shows it: short but round-tripping to the same float
// when typed back unchanged is not needed (the input is only read when edited).
const showLimit = (v) => (v == null ? "" : String(Number(v.toPrecision(6))));

export function buildControls({ store, colormaps, fields, lengthUnits, actions, depth = null }) {
  const listId = `ytlite-cmaps-${++datalistCount}`;
  const c = {
    field: el("select", { class: "ytlite-field", title: "field (switching picks its usual scale and automatic limits)" },
      ...fields.map((f) => el("option", { value: f, textContent: f }))),
    cmap: el("input", { type: "search", class: "ytlite-cmap", title: "colormap (type to search)", list: listId,
      spellcheck: false }),
    cmapList: el("datalist", { id: listId }, ...colormaps.names().map((n) => el("option", { value: n }))),
    reversed: el("input", { type: "checkbox", class: "ytlite-reversed", title: "reversed colormap" }),
    scale: el("select", { class: "ytlite-scale", title: "colour scale" },
      ...SCALES.map((s) => el("option", { value: s, textContent: s }))),
    linthresh: el("input", { type: "text", class: "ytlite-linthresh", placeholder: "auto", title: "symlog linear threshold" }),
    vmin: el("input", { type: "text", class: "ytlite-vmin", placeholder: "auto", title: "lower limit (empty: from the view)" }),
    vmax: el("input", { type: "text", class: "ytlite-vmax", placeholder: "auto", title: "upper limit (empty: from the view)" }),
    lock: el("input", { type: "checkbox", class: "ytlite-lock", title: "keep the current limits while panning" }),
    resolution: el("select", { class: "ytlite-resolution", title: "image resolution (longer side, pixels)" },
      ...RESOLUTIONS.map((r) => el("option", { value: String(r), textContent: `${r}px` }))),
    unit: el("select", { class: "ytlite-unit", title: "length unit of the axes" },
      ...Object.keys(lengthUnits).map((u) => el("option", { value: u, textContent: u }))),
    reset: button("ytlite-reset", "⟲", "Reset", "show the whole domain (0)"),
    mesh: button("ytlite-mesh", "▦", "Mesh", "draw the AMR cell edges"),
    wheel: button("ytlite-wheel", "⇳", "Wheel zoom", "zoom with the mouse wheel (off: the wheel scrolls the page)"),
    fullscreen: button("ytlite-fullscreen", "⤢", "Full screen", "fill the screen with the figure"),
    png: button("ytlite-png", "⤓", "PNG", "save the current view as PNG"),
  };
  const linthreshLabel = el("label", {}, "linthresh", c.linthresh);
  // a stack: move through the depth (PageUp / PageDown on the image too)
  const depthControl = depth && el("label", { class: "ytlite-depth-control" }, "depth",
    (c.depth = el("input", { type: "range", class: "ytlite-depth", min: "0", max: String(depth.count - 1), step: "1",
      title: "slice of the stack (PageUp / PageDown on the image)" })),
    (c.depthLabel = el("span", { class: "ytlite-depth-label" })));
  // grouped as a person thinks of them: which data, which colours, which view, save it (data · colour · view · save)
  const group = (name, ...children) => el("div", { class: "ytlite-group", role: "group", "aria-label": name }, ...children);
  const bar = el("div", { class: "ytlite-toolbar" },
    group("data", el("label", {}, "field", c.field), el("label", {}, "unit", c.unit)),
    group("colour", el("label", {}, "cmap", c.cmap, c.cmapList), el("label", {}, c.reversed, "rev."),
      el("label", {}, "scale", c.scale), linthreshLabel,
      el("label", {}, "min", c.vmin), el("label", {}, "max", c.vmax), el("label", {}, c.lock, "lock")),
    group("view", el("label", {}, "res.", c.resolution), c.reset, c.mesh, c.wheel, c.fullscreen),
    group("save", c.png));
  if (depthControl) bar.firstChild.prepend(depthControl);

  const commit = (changes) => {
    for (const [k, v] of Object.entries(changes)) store.set(k, v);
    store.save_changes();
  };

  // UI <- store
  const sync = () => {
    c.field.value = store.get("field");
    if (document.activeElement !== c.cmap) c.cmap.value = store.get("cmap");
    c.reversed.checked = store.get("cmap").endsWith("_r");
    c.reversed.disabled = colormaps.reversed(store.get("cmap")) === null;
    c.scale.value = store.get("scale");
    linthreshLabel.style.display = store.get("scale") === "symlog" ? "" : "none";
    for (const name of ["vmin", "vmax", "linthresh"]) {
      if (document.activeElement !== c[name]) {
        c[name].value = showLimit(store.get(name));
        c[name].classList.remove("ytlite-invalid");
      }
    }
    c.lock.checked = store.get("vmin") != null && store.get("vmax") != null;
    const resolution = String(store.get("resolution"));
    if (![...c.resolution.options].some((o) => o.value === resolution)) { // (one the page chose to fit its room)
      c.resolution.append(el("option", { value: resolution, textContent: `${resolution}px` }));
    }
    c.resolution.value = resolution;
    c.unit.value = store.get("length_unit");
    c.mesh.setAttribute("aria-pressed", String(!!store.get("show_mesh")));
    c.wheel.setAttribute("aria-pressed", String(!!store.get("wheel_zoom")));
    if (depth) {
      c.depth.value = String(store.get("depth") ?? 0);
      c.depthLabel.textContent = depth.label(Number(c.depth.value));
    }
  };
  const events = "change:field change:cmap change:scale change:vmin change:vmax change:linthresh change:resolution "
    + "change:length_unit change:show_mesh change:wheel_zoom change:depth";
  store.on(events, sync);
  sync();

  // UI -> store
  // A new field gets its usual scale and automatic limits (as yt's plots
  // keep them per field): density's limits mean nothing for a velocity.
  c.field.addEventListener("change", () => {
    const field = c.field.value, scale = store.get("field_scales")?.[field];
    commit({ field, ...(scale ? { scale } : {}), vmin: null, vmax: null, linthresh: null });
  });
  const setCmap = () => {
    const name = c.cmap.value.trim();
    if (colormaps.has(name)) {
      c.cmap.classList.remove("ytlite-invalid");
      commit({ cmap: name });
    } else {
      c.cmap.classList.toggle("ytlite-invalid", name !== "");
    }
  };
  c.cmap.addEventListener("input", setCmap);
  c.cmap.addEventListener("change", setCmap);
  c.cmap.addEventListener("blur", () => { c.cmap.value = store.get("cmap"); c.cmap.classList.remove("ytlite-invalid"); });
  c.reversed.addEventListener("change", () => {
    const other = colormaps.reversed(store.get("cmap"));
    if (other) commit({ cmap: other });
  });
  c.scale.addEventListener("change", () => commit({ scale: c.scale.value }));
  for (const name of ["vmin", "vmax", "linthresh"]) {
    c[name].addEventListener("change", () => {
      const v = parseLimit(c[name].value);
      const bad = v === undefined || (name === "linthresh" && v !== null && !(v > 0));
      c[name].classList.toggle("ytlite-invalid", bad);
      if (!bad) commit({ [name]: v });
    });
  }
  c.lock.addEventListener("change", () => {
    const limits = actions.currentLimits();
    if (c.lock.checked && limits) commit({ vmin: limits.vmin, vmax: limits.vmax });
    else commit({ vmin: null, vmax: null });
  });
  c.resolution.addEventListener("change", () => commit({ resolution: Number(c.resolution.value) }));
  if (depth) {
    c.depth.addEventListener("input", () => store.set("depth", Number(c.depth.value))); // drawn at once
    c.depth.addEventListener("change", () => commit({ depth: Number(c.depth.value) })); // told once, at the end
  }
  c.unit.addEventListener("change", () => commit({ length_unit: c.unit.value }));
  c.reset.addEventListener("click", () => actions.reset());
  c.mesh.addEventListener("click", () => commit({ show_mesh: !store.get("show_mesh") }));
  c.wheel.addEventListener("click", () => commit({ wheel_zoom: !store.get("wheel_zoom") }));
  c.fullscreen.addEventListener("click", () => actions.fullscreen());
  c.png.addEventListener("click", () => actions.downloadPng());
  return { element: bar, controls: c, sync, dispose: () => store.off(events, sync) };
}

