import assert from "node:assert/strict";
import { test } from "node:test";

import { decodeState, encodeState } from "../../lite/js/core/urlstate.js";

test("a view state survives the URL exactly", () => {
  const state = {
    file: "data/real/ramses blast.h5", field: "velocity_x", cmap: "RdBu_r", scale: "symlog", unit: "kpc",
    view: [0.1 + 0.2, 1 / 3, -2.5e-17, 7.000000000000001], vmin: -1e-300, vmax: 123456.789, linthresh: 0.1,
    resolution: 768, mesh: true, depth: 3,
  };
  const { state: back, problems } = decodeState(`?${encodeState(state)}`);
  assert.deepEqual(problems, []);
  assert.deepEqual(back, state);
});

test("automatic limits and defaults stay out of the URL", () => {
  assert.equal(encodeState({ file: "a.h5", vmin: null, vmax: null, mesh: false }), "file=a.h5");
  assert.deepEqual(decodeState("?file=a.h5").state, { file: "a.h5" });
});

test("bad parameters are named, the rest still applies", () => {
  const { state, problems } = decodeState("?file=a.h5&view=1,0,0,1&vmin=abc&linthresh=-1&res=9&vmax=5");
  assert.deepEqual(state, { file: "a.h5", vmax: 5 });
  assert.equal(problems.length, 4);
  for (const [bad, i] of [["view=1,0,0,1", 0], ["vmin=abc", 1], ["linthresh=-1", 2], ["res=9", 3]]) {
    assert.ok(problems[i].startsWith(bad), problems[i]);
  }
  assert.deepEqual(decodeState("?view=0,1,0,NaN").state, {});
  assert.deepEqual(decodeState("?vmin=").state, {});
  assert.deepEqual(decodeState("?depth=-1").problems.length, 1);
  assert.deepEqual(decodeState("?depth=0").state, { depth: 0 });
});
