import assert from "node:assert/strict";
import { test } from "node:test";

import { COLORBAR, figureLayout, fitScale, MARGIN } from "../../lite/js/ui/figure.js";

test("figureLayout puts the image inside the margins and the colorbar beside it", () => {
  const l = figureLayout(512, 256);
  assert.deepEqual(l.image, { left: MARGIN.left, top: MARGIN.top, width: 512, height: 256 });
  assert.equal(l.bar.left, MARGIN.left + 512 + COLORBAR.gap);
  assert.equal(l.width, l.bar.left + COLORBAR.width + COLORBAR.labels);
  assert.equal(l.height, MARGIN.top + 256 + MARGIN.bottom);
});

test("fitScale shrinks to a narrow container and never enlarges there", () => {
  const fig = { width: 800, height: 600 };
  assert.equal(fitScale(fig, { width: 400, height: 0 }), 0.5);
  assert.equal(fitScale(fig, { width: 1600, height: 0 }), 1);
  assert.equal(fitScale(fig, { width: 800, height: 0 }), 1);
});

test("fitScale fills the screen in full screen, limited by the tighter side", () => {
  const fig = { width: 800, height: 600 };
  assert.equal(fitScale(fig, { width: 1600, height: 900 }, true), 1.5);
  assert.equal(fitScale(fig, { width: 1200, height: 1800 }, true), 1.5);
  assert.equal(fitScale(fig, { width: 400, height: 900 }, true), 0.5);
});

test("fitScale leaves the figure alone when the space is unknown or absurd", () => {
  const fig = { width: 800, height: 600 };
  for (const available of [{ width: 0, height: 0 }, { width: -5, height: 0 }, { width: NaN, height: NaN }]) {
    assert.equal(fitScale(fig, available), 1);
  }
  assert.equal(fitScale(fig, { width: 0, height: 0 }, true), 1);
  assert.equal(fitScale({ width: 0, height: 0 }, { width: 400, height: 0 }), 1);
});
