// Tours: an ordered list of views, played one after the other (an exhibit's
// attract loop, a lecturer's walk through a dataset). Pure functions: what
// a tour file may say (parseTour) and what is on screen at a time t
// (tourAt); the hosts (ui/tourplayer.js) turn that into store changes.
//
// A tour file (JSON, made by ytlite's viewer.tour() or by hand):
//   {"format": "ytlite-tour", "title": "...", "stops": [
//     {"file": "data/x.h5",            the dataset (a site path; default: the stop before's)
//      "field": "density", "cmap": "cmyt.arbre", "scale": "log",   (default: the dataset's own first choice)
//      "view": [x_min, x_max, y_min, y_max],   code_length (default: the dataset's first view)
//      "depth": 3,                      a stack's slice (default 0)
//      "caption": "...",                text (shown as text, never HTML)
//      "dwell": 6,                      seconds it stays (default 6)
//      "transition": 2}]}               seconds of the move to it from the stop before (default 2)
// Timeline: stop 0 from t = 0 for its dwell; then for each next stop its
// transition (pan and zoom eased from the view before, a stack's depth
// swept through its slices; a new dataset, field, colormap or scale cuts
// at the start of the move) and its dwell; then it starts again (looped).
// Every stop's own view is reached exactly (t = 1 gives b, not a sum).

export const TOUR_FORMAT = "ytlite-tour";
export const DEFAULT_DWELL_S = 6;
export const DEFAULT_TRANSITION_S = 2;
const SCALE_NAMES = ["linear", "log", "symlog"];
const TEXT_KEYS = ["file", "field", "cmap", "scale", "caption"];
const MAX_STOPS = 1000;
const MAX_SECONDS = 86400;

export class TourError extends Error {}

const isView = (v) => Array.isArray(v) && v.length === 4 && v.every((x) => typeof x === "number" && Number.isFinite(x))
  && v[0] < v[1] && v[2] < v[3];

// A tour's JSON (text or parsed) -> {title, stops: [{file, field, cmap,
// scale, view, depth, caption, dwell, transition}]} with the defaults
// filled in where they do not depend on the dataset (null: the dataset's
// own choice); `name` names it in errors. Throws TourError saying what is
// wrong and where.
export function parseTour(json, name = "the tour") {
  let tour = json;
  if (typeof json === "string") {
    try {
      tour = JSON.parse(json);
    } catch (err) {
      throw new TourError(`${name}: not a tour (not valid JSON: ${err.message})`);
    }
  }
  if (!tour || typeof tour !== "object" || tour.format !== TOUR_FORMAT) {
    throw new TourError(`${name}: not a tour (no "format": "${TOUR_FORMAT}")`);
  }
  const { stops } = tour;
  if (!Array.isArray(stops) || stops.length === 0) throw new TourError(`${name}: a tour needs a list of stops`);
  if (stops.length > MAX_STOPS) throw new TourError(`${name}: ${stops.length} stops (at most ${MAX_STOPS})`);
  let file = null;
  const out = stops.map((stop, i) => {
    const where = `${name}, stop ${i + 1}`;
    if (!stop || typeof stop !== "object" || Array.isArray(stop)) throw new TourError(`${where}: not an object`);
    for (const key of TEXT_KEYS) {
      if (stop[key] != null && typeof stop[key] !== "string") throw new TourError(`${where}: ${key} must be text`);
    }
    file = stop.file ?? file;
    if (!file) throw new TourError(`${where}: which dataset? (the first stop needs "file")`);
    if (stop.scale != null && !SCALE_NAMES.includes(stop.scale)) {
      throw new TourError(`${where}: scale must be one of ${SCALE_NAMES.join(", ")}, not ${JSON.stringify(stop.scale)}`);
    }
    if (stop.view != null && !isView(stop.view)) {
      throw new TourError(`${where}: view must be 4 finite numbers [x_min, x_max, y_min, y_max] with min < max`);
    }
    if (stop.depth != null && !(Number.isInteger(stop.depth) && stop.depth >= 0)) {
      throw new TourError(`${where}: depth must be a slice number (0, 1, ...)`);
    }
    const seconds = (key, fallback, min) => {
      const v = stop[key] ?? fallback;
      if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > MAX_SECONDS) {
        throw new TourError(`${where}: ${key} must be a number of seconds from ${min} to ${MAX_SECONDS}`);
      }
      return v;
    };
    return {
      file, field: stop.field ?? null, cmap: stop.cmap ?? null, scale: stop.scale ?? null,
      view: stop.view ? stop.view.slice() : null, depth: stop.depth ?? 0, caption: stop.caption ?? "",
      dwell: seconds("dwell", DEFAULT_DWELL_S, 0.1), transition: seconds("transition", DEFAULT_TRANSITION_S, 0),
    };
  });
  return { title: typeof tour.title === "string" ? tour.title : "", stops: out };
}

// Smooth start and end (cubic), exactly 0 at 0 and 1 at 1.
export function ease(t) {
  if (t <= 0) return 0;
  if (t >= 1) return 1;
  return t < 0.5 ? 4 * t * t * t : 1 - (-2 * t + 2) ** 3 / 2;
}

// The view a fraction s (0..1, already eased) of the way from a to b:
// the centre moves evenly and the size changes by a constant factor per
// step (a zoom looks even), so a zoom-in while panning does not overshoot.
// s = 0 gives a and s = 1 gives b, exactly.
export function viewBetween(a, b, s) {
  if (s <= 0) return a.slice();
  if (s >= 1) return b.slice();
  const lerp = (x, y) => x + (y - x) * s;
  const cx = lerp((a[0] + a[1]) / 2, (b[0] + b[1]) / 2), cy = lerp((a[2] + a[3]) / 2, (b[2] + b[3]) / 2);
  const w = (a[1] - a[0]) * ((b[1] - b[0]) / (a[1] - a[0])) ** s;
  const h = (a[3] - a[2]) * ((b[3] - b[2]) / (a[3] - a[2])) ** s;
  return [cx - w / 2, cx + w / 2, cy - h / 2, cy + h / 2];
}

// The length of one pass of the tour (seconds): every dwell, and every
// transition but the first stop's (the loop's way back to stop 0 is the
// first stop's transition, taken when the tour starts again).
export function tourLength(tour) {
  return tour.stops.reduce((sum, s, i) => sum + s.dwell + (i > 0 ? s.transition : 0), 0)
    + (tour.stops.length > 1 ? tour.stops[0].transition : 0);
}

// What the tour shows at time t (seconds from its start; it loops):
// {index: the stop shown or being moved to, from: the stop before (null
// when resting), s: eased progress of the move (1 at rest), view (null:
// the dataset's first view, resolved by the host with `views`), depth,
// and the stop's file, field, cmap, scale, caption}. `views(stop)`: the
// stop's view with the dataset's default filled in (the host knows the
// dataset); `reducedMotion`: moves are cuts (prefers-reduced-motion).
export function tourAt(tour, t, { views = (stop) => stop.view, reducedMotion = false } = {}) {
  const { stops } = tour;
  const length = tourLength(tour);
  let u = length > 0 ? ((t % length) + length) % length : 0;
  // the order of one pass: stop 0's dwell, then (transition, dwell) of 1..n-1, then the way back to 0
  for (let i = 0; i < stops.length; i++) {
    const stop = stops[i];
    if (i > 0) {
      if (u < stop.transition) return moving(stops[i - 1], stop, i, u / stop.transition);
      u -= stop.transition;
    }
    if (u < stop.dwell) return resting(stop, i);
    u -= stop.dwell;
  }
  return stops.length > 1 ? moving(stops[stops.length - 1], stops[0], 0, u / stops[0].transition) : resting(stops[0], 0);

  function resting(stop, index) {
    return { ...pick(stop), index, from: null, s: 1, view: views(stop), depth: stop.depth };
  }
  function moving(a, b, index, p) {
    const s = reducedMotion ? 1 : ease(p);
    const va = views(a), vb = views(b);
    // another dataset: nothing to move between (cut); else pan and zoom, and sweep the depth
    const same = a.file === b.file && va && vb;
    return {
      ...pick(b), index, from: reducedMotion || !same ? null : index === 0 ? stops.length - 1 : index - 1, s,
      view: same ? viewBetween(va, vb, s) : vb,
      depth: same ? Math.round(a.depth + (b.depth - a.depth) * s) : b.depth,
    };
  }
}

const pick = (stop) => ({ file: stop.file, field: stop.field, cmap: stop.cmap, scale: stop.scale, caption: stop.caption });

// The stops' times: when each stop's move starts and when it rests (for
// tests and for a host that seeks to a stop).
export function stopTimes(tour) {
  const out = [];
  let t = 0;
  tour.stops.forEach((stop, i) => {
    const moveStart = t;
    if (i > 0) t += stop.transition;
    out.push({ index: i, moveStart, restStart: t, restEnd: t + stop.dwell });
    t += stop.dwell;
  });
  return out;
}
