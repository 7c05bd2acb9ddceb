// The kiosk page's view state in its URL, so a link reopens the exact view:
// ?file=data/x.h5&field=density&cmap=viridis&scale=log&view=x0,x1,y0,y1
//  &vmin=..&vmax=..&linthresh=..&res=512&unit=pc&mesh=1&depth=3 (a stack's slice)
// Numbers are written with the shortest text that reads back as the same
// float64 (JS's own Number -> string), so a round trip is exact.

const NUMBER_KEYS = ["vmin", "vmax", "linthresh"];
const TEXT_KEYS = ["file", "field", "cmap", "scale", "unit"];

export function encodeState(state) {
  const p = new URLSearchParams();
  for (const k of TEXT_KEYS) if (state[k]) p.set(k, state[k]);
  if (state.view) p.set("view", state.view.map(String).join(","));
  for (const k of NUMBER_KEYS) if (state[k] != null) p.set(k, String(state[k]));
  if (state.resolution) p.set("res", String(state.resolution));
  if (state.depth != null) p.set("depth", String(state.depth));
  if (state.mesh) p.set("mesh", "1");
  return p.toString();
}

// -> {state, problems}: what could be read, and a message per parameter that could not
export function decodeState(search) {
  const p = new URLSearchParams(search);
  const state = {}, problems = [];
  for (const k of TEXT_KEYS) if (p.get(k)) state[k] = p.get(k);
  if (p.has("view")) {
    const v = p.get("view").split(",").map(Number);
    if (v.length === 4 && v.every(Number.isFinite) && v[0] < v[1] && v[2] < v[3]) state.view = v;
    else problems.push(`view=${p.get("view")}: expected x_min,x_max,y_min,y_max with min < max`);
  }
  for (const k of NUMBER_KEYS) {
    if (!p.has(k)) continue;
    const v = Number(p.get(k));
    if (p.get(k) !== "" && Number.isFinite(v) && (k !== "linthresh" || v > 0)) state[k] = v;
    else problems.push(`${k}=${p.get(k)}: not a ${k === "linthresh" ? "positive " : ""}number`);
  }
  if (p.has("res")) {
    const r = Number(p.get("res"));
    if (Number.isInteger(r) && r >= 16 && r <= 4096) state.resolution = r;
    else problems.push(`res=${p.get("res")}: expected a whole number of pixels from 16 to 4096`);
  }
  if (p.get("mesh") === "1") state.mesh = true;
  if (p.has("depth")) {
    const d = Number(p.get("depth"));
    if (p.get("depth") !== "" && Number.isInteger(d) && d >= 0) state.depth = d;
    else problems.push(`depth=${p.get("depth")}: expected a slice number (0, 1, ...)`);
  }
  return { state, problems };
}

// How often the address bar may follow the state. A pan changes the view
// every frame, and history.replaceState on each cost ~0.8 ms of a 1024²
// frame's page thread (a real slice in Chromium, its profiler); browsers
// also refuse it when called that often (Chrome ignores calls past 200 in
// 10 s, Safari throws past 100 in 30 s), so the link kept an older view.
// At most one write per 500 ms is 60 per 30 s.
export const URL_WRITE_MS = 500;

// `write` (which reads the latest state itself) run at once when its last
// run is `ms` or more ago, else once, `ms` after it: a burst of requests
// gives at most one write per `ms` and always ends with one after its last
// request. -> {request(), flush() (a write waiting runs now), cancel(),
// pending}. (`clock`: now, setTimeout and clearTimeout, for tests.)
export function throttled(write, ms, clock = {}) {
  const now = clock.now ?? (() => performance.now());
  const set = clock.setTimeout ?? ((f, t) => setTimeout(f, t));
  const clear = clock.clearTimeout ?? ((id) => clearTimeout(id));
  let last = -Infinity, timer = null;
  const run = () => {
    timer = null;
    last = now();
    write();
  };
  return {
    request() {
      if (timer !== null) return; // (the write waiting will read this state too)
      const wait = last + ms - now();
      if (wait <= 0) run();
      else timer = set(run, wait);
    },
    flush() {
      if (timer === null) return;
      clear(timer);
      run();
    },
    cancel() {
      if (timer !== null) clear(timer);
      timer = null;
    },
    get pending() {
      return timer !== null;
    },
  };
}
