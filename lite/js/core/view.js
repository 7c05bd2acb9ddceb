// View maths. A view is [x_min, x_max, y_min, y_max] in code length; a
// position inside it is given as fractions (fx from the left, fy from the
// top, as on screen). Every function returns a new view and never an
// invalid one: finite, min < max, not more than MAX_ZOOM_OUT times the
// domain, not so small that a pixel is below float resolution.

export const MAX_ZOOM_OUT = 4; // times the domain's size
const MIN_RELATIVE_WIDTH = 1e-12; // of the domain: far above float64 resolution

export function viewSize(view) {
  return [view[1] - view[0], view[3] - view[2]];
}

export function viewCentre(view) {
  return [(view[0] + view[1]) / 2, (view[2] + view[3]) / 2];
}

// The data point under the fractions (fx, fy) of a view.
export function pointAt(view, fx, fy) {
  const [w, h] = viewSize(view);
  return [view[0] + fx * w, view[3] - fy * h];
}

// The view is kept at a sane size relative to the domain and with its
// centre no farther than a domain size outside of it (so it cannot be
// lost off-screen).
export function clampView(view, domain) {
  const [dw, dh] = viewSize(domain);
  let [w, h] = viewSize(view);
  let [cx, cy] = viewCentre(view);
  if (![w, h, cx, cy].every(Number.isFinite) || !(w > 0 && h > 0)) return domain.slice();
  const ratio = h / w;
  const maxW = MAX_ZOOM_OUT * Math.max(dw, dh / ratio);
  const minW = MIN_RELATIVE_WIDTH * Math.max(dw, dh / ratio);
  if (w > maxW) { w = maxW; h = w * ratio; }
  if (w < minW) { w = minW; h = w * ratio; }
  cx = Math.min(Math.max(cx, domain[0] - dw), domain[1] + dw);
  cy = Math.min(Math.max(cy, domain[2] - dh), domain[3] + dh);
  return [cx - w / 2, cx + w / 2, cy - h / 2, cy + h / 2];
}

// Zoom by `factor` (> 1 zooms in) keeping the point at (fx, fy) still.
export function zoomAbout(view, fx, fy, factor, domain) {
  if (!(factor > 0) || !Number.isFinite(factor)) return view.slice();
  const [x, y] = pointAt(view, fx, fy);
  const [w, h] = viewSize(view).map((s) => s / factor);
  const x0 = x - fx * w, y1 = y + fy * h;
  const next = [x0, x0 + w, y1 - h, y1];
  return domain ? clampView(next, domain) : next;
}

// Move the view by (dfx, dfy) of its size, as when the image is dragged by
// that fraction of the canvas (dragging right shows what was on the left).
export function panBy(view, dfx, dfy, domain) {
  const [w, h] = viewSize(view);
  const dx = -dfx * w, dy = dfy * h;
  const next = [view[0] + dx, view[1] + dx, view[2] + dy, view[3] + dy];
  return domain ? clampView(next, domain) : next;
}

// Centre the view on the point at (fx, fy), keeping its size.
export function recentre(view, fx, fy, domain) {
  const [x, y] = pointAt(view, fx, fy);
  const [w, h] = viewSize(view);
  const next = [x - w / 2, x + w / 2, y - h / 2, y + h / 2];
  return domain ? clampView(next, domain) : next;
}

// Wheel delta in pixels, whatever the device reports (deltaMode 0: pixels,
// 1: lines, 2: pages).
export function wheelPixels(deltaY, deltaMode, pageHeight = 800) {
  if (deltaMode === 1) return deltaY * 16;
  if (deltaMode === 2) return deltaY * pageHeight;
  return deltaY;
}

// Zoom factor for a wheel movement of `pixels` (negative = away from the
// user = zoom in); a trackpad pinch arrives as a ctrl+wheel with small
// deltas and zooms faster.
export function wheelZoomFactor(pixels, pinch = false) {
  const rate = pinch ? 0.01 : 0.002;
  return Math.exp(-Math.max(-500, Math.min(500, pixels)) * rate);
}
