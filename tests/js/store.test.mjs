import assert from "node:assert/strict";
import { test } from "node:test";

import { colorbarPixels } from "../../lite/js/core/colorbar.js";
import { createStore } from "../../lite/js/core/store.js";

test("store: get/set/on/off with the anywidget model's shape", () => {
  const s = createStore({ cmap: "viridis", view: [0, 1, 0, 1] });
  const seen = [];
  const cb = () => seen.push(s.get("cmap"));
  s.on("change:cmap change:scale", cb);
  s.set("cmap", "magma");
  s.set("cmap", "magma"); // unchanged: no event
  s.set({ scale: "log", cmap: "inferno" });
  assert.deepEqual(seen, ["magma", "magma", "inferno"]);
  s.off("change:cmap", cb);
  s.set("cmap", "gray");
  assert.deepEqual(seen.length, 3);
  s.save_changes();
  assert.equal(s.get("scale"), "log");
});

test("colorbarPixels: entry N - 1 on top, entry 0 at the bottom, each entry's band proportional", () => {
  const n = 4;
  const table = Uint8Array.from({ length: 4 * n }, (_, i) => (i % 4 === 0 ? i / 4 : 255));
  const px = colorbarPixels(table, n, 2, 8);
  const rowEntry = (row) => px[4 * (row * 2)];
  assert.deepEqual([...Array(8).keys()].map(rowEntry), [3, 3, 2, 2, 1, 1, 0, 0]);
  assert.equal(px[4 * 1], 3); // every column alike
  assert.equal(colorbarPixels(table, n, 1, 1)[0], 2); // one row: the middle entry
});
