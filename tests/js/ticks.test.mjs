import assert from "node:assert/strict";
import { test } from "node:test";

import { axisTicks, colorbarTicks, logTicks, niceTicks, placeTicks, symlogTicks } from "../../lite/js/core/ticks.js";

test("niceTicks: round steps of 1, 2, 2.5 or 5 times a power of ten, inside the range", () => {
  assert.deepEqual(niceTicks(0, 1, 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(-20, 20, 4), [-20, -10, 0, 10, 20]);
  assert.deepEqual(niceTicks(0.5, 0.5), [0.5]);
  assert.deepEqual(niceTicks(-0.35, 0.35, 5), [-0.2, 0, 0.2]);
  assert.deepEqual(niceTicks(-0.35, 0.35, 7), [-0.3, -0.2, -0.1, 0, 0.1, 0.2, 0.3]);
  for (const [lo, hi] of [[-3.7, 5.1], [1e5 - 1, 1e5 + 1], [-2e-3, -1e-3], [0.1, 0.7], [1e-300, 3e-300]]) {
    const t = niceTicks(lo, hi, 5);
    assert.ok(t.length >= 2 && t.length <= 7, `${lo}..${hi}: ${t}`);
    assert.ok(t.every((v) => v >= lo - 1e-12 * Math.abs(lo) && v <= hi + 1e-12 * Math.abs(hi)), `${lo}..${hi}: ${t}`);
    const step = t[1] - t[0];
    const mant = step / 10 ** Math.floor(Math.log10(step));
    assert.ok([1, 2, 2.5, 5].some((m) => Math.abs(mant - m) < 1e-9), `step ${step}`);
  }
});

test("niceTicks gives no float noise (0.30000000000000004) and an exact 0", () => {
  for (const v of niceTicks(-0.7, 0.7, 7)) assert.ok(String(v).length <= 5, String(v));
  assert.ok(niceTicks(-1, 1, 4).includes(0));
  assert.ok(Object.is(niceTicks(-1, 1, 4).find((v) => v === 0), 0));
});

test("axisTicks: fewer ticks when labels would overlap", () => {
  const wide = (v) => 60;  // every label 60 px wide
  const t = axisTicks(0, 100, 200, true, wide);
  assert.ok(t.length * 70 <= 200, String(t));
  assert.ok(axisTicks(0, 100, 800, true, wide).length > t.length);
  const v = axisTicks(0, 1, 100, false, wide);
  assert.ok(v.length * 16 <= 100, String(v));
});

test("logTicks: powers of ten, thinned to at most 7", () => {
  assert.deepEqual(logTicks(1, 1000), [1, 10, 100, 1000]);
  // a decade or two: 1-2-5 steps
  assert.deepEqual(logTicks(3e-25, 4e-24), [5e-25, 1e-24, 2e-24]);
  assert.deepEqual(logTicks(1, 60), [1, 2, 5, 10, 20, 50]);
  assert.deepEqual(logTicks(0.37, 4.1e3), [1, 10, 100, 1000]);
  assert.deepEqual(logTicks(1e-3, 4.1e4), [1e-3, 1e-1, 10, 1e3]);
  const t = logTicks(1e-30, 1e30);
  assert.ok(t.length <= 7 && t.every((v) => v >= 1e-30 && v <= 1e30));
  // within one decade: 1-2-5 when two of them fit, else round linear ticks
  assert.deepEqual(logTicks(2, 7), [2, 5]);
  const inner = logTicks(2.1, 4.9);
  assert.ok(inner.length >= 2 && inner.every((v) => v >= 2 && v <= 7), String(inner));
  assert.deepEqual(logTicks(-1, 10), []);
});

test("symlogTicks: 0 and the decades at or above linthresh on both sides, symmetric", () => {
  assert.deepEqual(symlogTicks(-100, 100, 1), [-100, -10, -1, 0, 1, 10, 100]);
  assert.deepEqual(symlogTicks(-1e3, 4.1e4, 0.05), [-100, -1, 0, 1, 100, 1e4]);
  assert.deepEqual(symlogTicks(5, 5000, 1), [10, 100, 1000]);
  assert.deepEqual(symlogTicks(-5000, -5, 1), [-1000, -100, -10]);
  for (const [x, lt] of [[1e6, 1e-3], [7.5, 0.01], [1e12, 1]]) {
    const t = symlogTicks(-x, x, lt);
    assert.ok(t.length <= 9, String(t));
    assert.deepEqual(t.map((v) => (v === 0 ? 0 : -v)).reverse(), t, `symmetric: ${t}`);
    assert.ok(t.includes(0));
  }
  // no decade in range (all inside the linear part): round linear ticks
  const lin = symlogTicks(-0.3, 0.3, 1);
  assert.ok(lin.includes(0) && lin.length >= 3 && lin.every((v) => Math.abs(v) <= 0.3), String(lin));
});

test("colorbarTicks picks by scale", () => {
  assert.deepEqual(colorbarTicks("log", 1, 100), [1, 10, 100]);
  assert.deepEqual(colorbarTicks("symlog", -10, 10, 1), [-10, -1, 0, 1, 10]);
  assert.deepEqual(colorbarTicks("linear", 0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
});

test("placeTicks keeps the ticks on the bar, none closer than the gap", () => {
  const placed = placeTicks([0, 1, 2, 3, 4], [-0.1, 0.0, 0.5, 0.51, 1.2], 100, 12);
  assert.deepEqual(placed, [{ value: 1, u: 0 }, { value: 2, u: 0.5 }]);
  assert.deepEqual(placeTicks([1], [NaN], 100), []);
  assert.deepEqual(placeTicks([7], [1 + 1e-12], 100), [{ value: 7, u: 1 }]);
});
