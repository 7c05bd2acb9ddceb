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

test("fillResolution: the largest figure that fits the room, for wide, tall and square views", async () => {
  const { fillResolution, figureLayout } = await import("../../lite/js/ui/figure.js");
  const { imageSize } = await import("../../lite/js/core/conventions.js");
  for (const view of [[0, 1, 0, 1], [0, 2, 0, 1], [0, 1, 0, 3], [-0.25, 0.125, 0.375, 0.75]]) {
    for (const room of [{ width: 1280, height: 700 }, { width: 390, height: 600 }, { width: 2000, height: 300 }]) {
      const r = fillResolution(room, view);
      const fits = (res) => { const l = figureLayout(...imageSize(view, res)); return l.width <= room.width && l.height <= room.height; };
      assert.ok(fits(r), `${r} for ${view} in ${JSON.stringify(room)}`);
      assert.ok(!fits(r + 2), `${r} + 2 would fit too: not the largest`);
    }
  }
  assert.equal(fillResolution({ width: 0, height: 0 }, [0, 1, 0, 1]), 128); // (no room yet: the smallest)
  assert.equal(fillResolution({ width: 1e6, height: 1e6 }, [0, 1, 0, 1]), 4096);
});
