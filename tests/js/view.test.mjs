import assert from "node:assert/strict";
import { test } from "node:test";

import {
  clampView, MAX_ZOOM_OUT, panBy, pointAt, recentre, viewCentre, viewSize, wheelPixels, wheelZoomFactor,
  zoomAbout,
} from "../../lite/js/core/view.js";
import { imageSize } from "../../lite/js/core/conventions.js";

const DOMAIN = [-20, 20, -10, 10];
const close = (a, b, what) => a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < 1e-12, `${what}: ${a} vs ${b}`));

test("zoomAbout keeps the point under the cursor still", () => {
  for (const [fx, fy] of [[0.5, 0.5], [0.1, 0.9], [1, 0], [0.3, 0.25]]) {
    for (const f of [2, 0.5, 1.25]) {
      const v = zoomAbout(DOMAIN, fx, fy, f);
      close(pointAt(v, fx, fy), pointAt(DOMAIN, fx, fy), `f=${f} at (${fx}, ${fy})`);
      close(viewSize(v), viewSize(DOMAIN).map((s) => s / f), "size");
    }
  }
  assert.deepEqual(zoomAbout(DOMAIN, 0.5, 0.5, 0), DOMAIN);
  assert.deepEqual(zoomAbout(DOMAIN, 0.5, 0.5, NaN), DOMAIN);
});

test("panBy moves with the drag: right shows what was on the left, down shows what was above", () => {
  close(panBy(DOMAIN, 0.25, 0), [-30, 10, -10, 10], "right");
  close(panBy(DOMAIN, 0, 0.5), [-20, 20, 0, 20], "down");
});

test("recentre puts the clicked point in the middle", () => {
  const v = recentre(DOMAIN, 0.75, 0.25);
  close(viewCentre(v), [10, 5], "centre");
  close(viewSize(v), [40, 20], "size kept");
});

test("clampView: no further out than MAX_ZOOM_OUT domains, never lost, never degenerate", () => {
  const far = clampView(zoomAbout(DOMAIN, 0.5, 0.5, 1e-6), DOMAIN);
  assert.ok(viewSize(far)[0] <= MAX_ZOOM_OUT * 40 * (1 + 1e-12), String(far));
  close([viewSize(far)[1] / viewSize(far)[0]], [0.5], "aspect kept");
  const deep = clampView(zoomAbout(DOMAIN, 0.5, 0.5, 1e30), DOMAIN);
  assert.ok(viewSize(deep)[0] > 0 && deep[0] < deep[1] && deep[2] < deep[3], String(deep));
  const lost = clampView([1e6, 1e6 + 40, 0, 20], DOMAIN);
  assert.ok(viewCentre(lost)[0] <= 20 + 40, String(lost));
  assert.deepEqual(clampView([0, NaN, 0, 1], DOMAIN), DOMAIN);
  assert.deepEqual(clampView([1, 0, 0, 1], DOMAIN), DOMAIN);
});

test("imageSize: square pixels, the longer side the resolution (the rule of ytlite._conventions.image_size; both: tests/test_conventions.py)", () => {
  assert.deepEqual(imageSize(DOMAIN, 512), [512, 256]);
  assert.deepEqual(imageSize([0, 1, 0, 8], 512), [64, 512]);
  assert.deepEqual(imageSize([0, 1e-9, 0, 1], 512), [1, 512]);
});

test("wheel deltas in lines and pages become pixels; zoom in for negative deltas", () => {
  assert.equal(wheelPixels(3, 1), 48);
  assert.equal(wheelPixels(1, 2, 600), 600);
  assert.equal(wheelPixels(-120, 0), -120);
  assert.ok(wheelZoomFactor(-100) > 1 && wheelZoomFactor(100) < 1);
  assert.ok(Math.abs(wheelZoomFactor(-100) * wheelZoomFactor(100) - 1) < 1e-15);
  assert.ok(wheelZoomFactor(-10, true) > wheelZoomFactor(-10, false)); // a pinch zooms faster
  assert.ok(Number.isFinite(wheelZoomFactor(-1e9)) && wheelZoomFactor(-1e9) < 10); // bounded
});
