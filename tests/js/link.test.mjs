import assert from "node:assert/strict";
import { test } from "node:test";

import { linkModels } from "../../lite/js/link.js";

// A model as anywidget gives it: get/set, change events fired by set, trigger.
function fakeModel(state) {
  const listeners = {}, triggered = [];
  return {
    state, triggered,
    get: (k) => state[k],
    set(k, v) {
      if (state[k] === v) return;
      state[k] = v;
      for (const fn of listeners[`change:${k}`] ?? []) fn();
    },
    on: (ev, fn) => { (listeners[ev] ??= []).push(fn); },
    off: (ev, fn) => { listeners[ev] = (listeners[ev] ?? []).filter((f) => f !== fn); },
    trigger: (ev, arg) => triggered.push([ev, arg]),
    count: (ev) => (listeners[ev] ?? []).length,
  };
}

test("a change of one linked viewer is set on the others, marked local, and not echoed back", () => {
  const a = fakeModel({ view: [0, 1, 0, 1], cmap: "viridis" });
  const b = fakeModel({ view: [0, 1, 0, 1], cmap: "magma" });
  const c = fakeModel({ view: [0, 1, 0, 1], cmap: "inferno" });
  linkModels([a, b, c], ["view"]);
  const moved = [0.5, 1.5, 0, 1];
  a.set("view", moved);
  assert.equal(b.get("view"), moved);
  assert.equal(c.get("view"), moved);
  assert.deepEqual(b.triggered, [["ytlite:local-change", "view"]]);
  assert.deepEqual(a.triggered, []); // the source is not told of its own change
  b.set("cmap", "gray"); // not linked
  assert.equal(a.get("cmap"), "viridis");
});

test("unlinking removes every handler", () => {
  const a = fakeModel({ view: 1 }), b = fakeModel({ view: 1 });
  const unlink = linkModels([a, b], ["view", "cmap"]);
  assert.equal(a.count("change:view"), 1);
  unlink();
  assert.equal(a.count("change:view") + b.count("change:cmap"), 0);
  a.set("view", 2);
  assert.equal(b.get("view"), 1);
});
