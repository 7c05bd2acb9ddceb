import assert from "node:assert/strict";
import { test } from "node:test";

import { stackSource } from "../../lite/js/core/stack.js";

test("each depth loads once, at first use, and stays cached up to the limit", async () => {
  const calls = [];
  const s = stackSource({ coords: [0.1, 0.2, 0.3, 0.4], cacheSize: 2, load: (i) => { calls.push(i); return { id: i }; } });
  assert.equal(s.count, 4);
  assert.equal(s.peek(0), null);
  const [a, b] = await Promise.all([s.load(0), s.load(0)]);
  assert.equal(a, b);
  assert.deepEqual(calls, [0]);
  assert.equal(s.peek(0), a);
  await s.load(1);
  await s.load(2); // evicts 0, the least recently used
  assert.deepEqual(s.cached(), [1, 2]);
  assert.equal(s.peek(0), null);
  s.peek(1); // 1 is now the most recent
  await s.load(3);
  assert.deepEqual(s.cached(), [1, 3]);
  assert.deepEqual(calls, [0, 1, 2, 3]);
});

test("a failed load is reported and tried again next time", async () => {
  let fail = true;
  const s = stackSource({ coords: [0, 1], load: async (i) => { if (fail) throw new Error(`slice ${i}: truncated`); return { i }; } });
  await assert.rejects(s.load(1), /slice 1: truncated/);
  fail = false;
  assert.deepEqual(await s.load(1), { i: 1 });
});

test("prefetch loads the neighbours; depths outside the stack are errors", async () => {
  const calls = [];
  const s = stackSource({ coords: [0, 1, 2], load: (i) => { calls.push(i); return { i }; } });
  s.prefetch(0);
  await s.load(1);
  assert.deepEqual(calls, [1]);
  for (const bad of [-1, 3, 1.5, NaN]) assert.throws(() => s.peek(bad), RangeError);
  assert.throws(() => stackSource({ coords: [], load: () => ({}) }), /at least one slice/);
});

test("a mesh leaving the cache is disposed, never the pinned one; clear() disposes the rest", async () => {
  const disposed = [];
  const s = stackSource({ coords: [0, 1, 2, 3], cacheSize: 2, load: (i) => ({ i }), dispose: (m) => disposed.push(m.i) });
  await s.load(0);
  s.pin(0); // shown: stays although least recently used
  await s.load(1);
  await s.load(2);
  assert.deepEqual(disposed, [1]);
  assert.deepEqual(s.cached().sort(), [0, 2]);
  const seen = [];
  s.onProgress = (i, text) => seen.push([i, text]);
  const t = stackSource({ coords: [0, 1], load: (i, report) => { report(`reading ${i}`); return { i }; } });
  t.onProgress = (i, text) => seen.push([i, text]);
  await t.load(1);
  assert.deepEqual(seen, [[1, "reading 1"]]);
  s.clear();
  assert.deepEqual(disposed.sort(), [0, 1, 2]);
  assert.deepEqual(s.cached(), []);
});
