import assert from "node:assert/strict";
import { test } from "node:test";

import { decodeState, encodeState, throttled, URL_WRITE_MS } from "../../lite/js/core/urlstate.js";

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

// a clock the test moves by hand
function fakeClock() {
  const clock = { t: 0, timers: new Map(), next: 1 };
  clock.now = () => clock.t;
  clock.setTimeout = (f, ms) => { const id = clock.next++; clock.timers.set(id, [clock.t + ms, f]); return id; };
  clock.clearTimeout = (id) => clock.timers.delete(id);
  clock.advance = (ms) => {
    const end = clock.t + ms;
    for (;;) {
      const due = [...clock.timers].filter(([, [at]]) => at <= end).sort((a, b) => a[1][0] - b[1][0])[0];
      if (!due) break;
      clock.timers.delete(due[0]);
      clock.t = due[1][0];
      due[1][1]();
    }
    clock.t = end;
  };
  return clock;
}

test("the URL follows a pan at most once per URL_WRITE_MS, and ends on its last view", () => {
  const clock = fakeClock();
  let state = 0;
  const written = [];
  const w = throttled(() => written.push([clock.t, state]), URL_WRITE_MS, clock);
  w.request(); // a change after a quiet time: written at once
  assert.deepEqual(written, [[0, 0]]);
  for (let frame = 1; frame <= 120; frame++) { // 2 s of a pan, a view per frame
    clock.advance(1000 / 60);
    state = frame;
    w.request();
  }
  assert.equal(w.pending, true);
  clock.advance(URL_WRITE_MS);
  assert.equal(w.pending, false);
  assert.deepEqual(written.at(-1)[1], 120); // the last view
  for (let i = 1; i < written.length; i++) assert.ok(written[i][0] - written[i - 1][0] >= URL_WRITE_MS, written);
  assert.ok(written.length <= 2 + (2000 / URL_WRITE_MS), written.length);
  // flush: a write waiting runs now (the page going away); nothing waiting, nothing written
  state = 121;
  w.request();
  assert.equal(w.pending, true);
  w.flush();
  assert.deepEqual(written.at(-1), [clock.t, 121]);
  const n = written.length;
  w.flush();
  assert.equal(written.length, n);
  // cancel: another dataset opened, the old one's write never comes
  state = 122;
  clock.advance(1);
  w.request();
  assert.equal(w.pending, true);
  w.cancel();
  clock.advance(10 * URL_WRITE_MS);
  assert.equal(written.length, n);
});
