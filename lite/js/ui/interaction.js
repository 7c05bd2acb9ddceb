// One gesture state machine for the image canvas. It turns pointer, wheel
// and key events into intents, in fractions of the canvas; the viewer
// turns intents into views:
//   drag            -> pan(dfx, dfy)        (incremental, as the pointer moves)
//   two pointers    -> zoom(fx, fy, factor) + pan (pinch, about the midpoint)
//   wheel/trackpad  -> zoom(fx, fy, factor) (ctrl+wheel: a trackpad pinch)
//   double-click    -> recentre(fx, fy)
//   double-tap      -> zoom(fx, fy, 2)      (a finger: zoom in about the point)
//   tap / click     -> tap(fx, fy)          (a press released without moving:
//                      the value under the finger or the pointer, kept shown)
//   keys (focused)  -> arrows pan 10 %, + / - zoom, 0 or Home reset,
//                      PageUp / PageDown or ] / [ move through a stack's depth
//   hover / leave   -> hover(fx, fy) / leave()
// and end() once a gesture is over (to tell the kernel the final view), and
// rest() too when it was a drag or a pinch let go (the view rests now).
// Returns {dispose(), busy()}: busy while a pointer is down.

import { wheelPixels, wheelZoomFactor } from "../core/view.js";

const DRAG_THRESHOLD_PX = 3;
const KEY_PAN = 0.1;
const KEY_ZOOM = 1.25;
const DOUBLE_TAP_MS = 350;
const DOUBLE_TAP_PX = 30;
const DOUBLE_TAP_ZOOM = 2;

export function bindGestures(canvas, h) {
  const pointers = new Map(); // id -> {x, y}
  let mode = "idle"; // idle | pressing | dragging | pinching
  let start = null, last = null, pinch = null;
  let lastTap = null; // a finger's last tap {t, x, y}: a second one soon after, near it, is a double-tap

  const frac = (x, y) => {
    const r = canvas.getBoundingClientRect();
    return [(x - r.left) / r.width, (y - r.top) / r.height, r];
  };
  const pinchState = () => {
    const [a, b] = [...pointers.values()];
    return { d: Math.hypot(a.x - b.x, a.y - b.y), x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
  };

  const onDown = (e) => {
    if (e.button !== undefined && e.button !== 0 && e.pointerType === "mouse") return;
    try {
      canvas.setPointerCapture?.(e.pointerId); // keep the drag when the pointer leaves the canvas
    } catch {
      // a pointer the browser no longer tracks: the gesture works without capture
    }
    pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    if (pointers.size === 1) {
      mode = "pressing";
      start = last = { x: e.clientX, y: e.clientY };
    } else if (pointers.size === 2) {
      mode = "pinching";
      pinch = pinchState();
    }
  };

  const onMove = (e) => {
    const [fx, fy, r] = frac(e.clientX, e.clientY);
    if (e.pointerType === "mouse" || pointers.size === 0) h.hover(fx, fy);
    if (!pointers.has(e.pointerId)) return;
    pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    if (mode === "pressing" && Math.hypot(e.clientX - start.x, e.clientY - start.y) >= DRAG_THRESHOLD_PX) {
      mode = "dragging";
      canvas.classList.add("ytlite-dragging");
    }
    if (mode === "dragging") {
      h.pan((e.clientX - last.x) / r.width, (e.clientY - last.y) / r.height);
      last = { x: e.clientX, y: e.clientY };
    } else if (mode === "pinching" && pointers.size === 2 && !pinchFrame) {
      // both fingers usually move in one event batch: apply them together
      pinchFrame = requestAnimationFrame(pinchStep);
    }
  };

  // The content under the old midpoint follows the fingers to the new one and
  // scales by their change of distance: pan first, then zoom about the new midpoint.
  let pinchFrame = 0;
  const pinchStep = () => {
    pinchFrame = 0;
    if (mode !== "pinching" || pointers.size !== 2) return;
    const now = pinchState();
    const [mx, my, r] = frac(now.x, now.y);
    h.pan((now.x - pinch.x) / r.width, (now.y - pinch.y) / r.height);
    if (pinch.d > 0 && now.d > 0) h.zoom(mx, my, now.d / pinch.d);
    pinch = now;
  };
  const flushPinch = () => {
    if (!pinchFrame) return;
    cancelAnimationFrame(pinchFrame);
    pinchStep();
  };

  const onUp = (e) => {
    if (!pointers.has(e.pointerId)) return;
    flushPinch();
    pointers.delete(e.pointerId);
    if (pointers.size === 1) { // pinch -> drag with the remaining finger
      const [p] = pointers.values();
      mode = "dragging";
      last = p;
      return;
    }
    if (pointers.size === 0) {
      const moved = mode === "dragging" || mode === "pinching";
      if (mode === "pressing" && e.type === "pointerup") {
        const [fx, fy] = frac(e.clientX, e.clientY);
        const now = e.timeStamp;
        if (e.pointerType === "touch" && lastTap && now - lastTap.t < DOUBLE_TAP_MS
            && Math.hypot(e.clientX - lastTap.x, e.clientY - lastTap.y) < DOUBLE_TAP_PX) {
          lastTap = null;
          h.zoom(fx, fy, DOUBLE_TAP_ZOOM);
          h.end();
        } else {
          lastTap = e.pointerType === "touch" ? { t: now, x: e.clientX, y: e.clientY } : null;
          h.tap?.(fx, fy);
        }
      }
      mode = "idle";
      canvas.classList.remove("ytlite-dragging");
      if (moved) {
        h.end();
        h.rest?.();
      }
    }
  };

  const onWheel = (e) => {
    if (!h.wheelEnabled()) return; // the page scrolls instead
    e.preventDefault();
    const [fx, fy, r] = frac(e.clientX, e.clientY);
    h.zoom(fx, fy, wheelZoomFactor(wheelPixels(e.deltaY, e.deltaMode, r.height), e.ctrlKey));
    h.end();
  };

  const onDblClick = (e) => {
    if (e.sourceCapabilities?.firesTouchEvents) return; // (a finger's double-tap: zoomed in already, above)
    const [fx, fy] = frac(e.clientX, e.clientY);
    h.recentre(fx, fy);
    h.end();
  };

  const onKey = (e) => {
    const act = {
      ArrowLeft: () => h.pan(KEY_PAN, 0), ArrowRight: () => h.pan(-KEY_PAN, 0),
      ArrowUp: () => h.pan(0, KEY_PAN), ArrowDown: () => h.pan(0, -KEY_PAN),
      "+": () => h.zoom(0.5, 0.5, KEY_ZOOM), "=": () => h.zoom(0.5, 0.5, KEY_ZOOM),
      "-": () => h.zoom(0.5, 0.5, 1 / KEY_ZOOM), _: () => h.zoom(0.5, 0.5, 1 / KEY_ZOOM),
      0: () => h.reset(), Home: () => h.reset(),
      PageUp: () => h.depth?.(1), PageDown: () => h.depth?.(-1), "]": () => h.depth?.(1), "[": () => h.depth?.(-1),
    }[e.key];
    if (!act || e.altKey || e.metaKey || e.ctrlKey) return;
    e.preventDefault();
    act();
    h.end();
  };

  const onLeave = () => h.leave();
  const listeners = [
    ["pointerdown", onDown], ["pointermove", onMove], ["pointerup", onUp], ["pointercancel", onUp],
    ["wheel", onWheel, { passive: false }], ["dblclick", onDblClick], ["keydown", onKey], ["pointerleave", onLeave],
  ];
  for (const [type, fn, opts] of listeners) canvas.addEventListener(type, fn, opts);
  return {
    dispose: () => {
      cancelAnimationFrame(pinchFrame);
      for (const [type, fn, opts] of listeners) canvas.removeEventListener(type, fn, opts);
    },
    busy: () => pointers.size > 0,
  };
}
