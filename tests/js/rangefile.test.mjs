// The kernel's reads of a site's file by HTTP ranges (lite/js/core/rangefile.js):
// the windowed global heap check says what the whole file's check says, and a
// file read through a range node of h5wasm's FS (the fetch faked from the
// bytes) gives the same metadata and values as the file copied in, fetching
// only what HDF5 asks for; a failed fetch is named.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { globalHeapThatHangs } from "../../lite/js/core/conventions.js";
import { heapThatHangsBy, rangeFile } from "../../lite/js/core/rangefile.js";
import { fsFileFromBytes, openSliceFile } from "../../lite/js/core/slicefile.js";

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const gen = path.join(root, "ytlite", "_generated");
const built = fs.existsSync(path.join(gen, "h5wasm.js"));
const demo = path.join(root, "_build", "content", "data", "amr_demo_slice.h5");

async function h5wasm() {
  const h5 = new Function(`${fs.readFileSync(path.join(gen, "h5wasm.js"), "utf8")}\n;return h5wasm;`)();
  await h5.ready;
  return h5;
}

// A buffer of random bytes with global heap collections planted: good ones, ones
// that hang (a free-space object of size 0), across window edges, and damaged headers.
function planted(seed, size) {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const bytes = new Uint8Array(size).map(() => Math.floor(rnd() * 256));
  const put = (at, csize, hangs) => {
    if (at + csize > size) return;
    bytes.set([0x47, 0x43, 0x4f, 0x4c, 1, 0, 0, 0], at);
    for (let k = 0; k < 8; k++) bytes[at + 8 + k] = Math.floor(csize / 256 ** k) % 256;
    let p = at + 16;
    for (let obj = 1; p + 32 < at + csize - 64; obj++) { // objects of 16 bytes of data
      bytes.fill(0, p, p + 16);
      bytes[p] = obj; bytes[p + 8] = 16;
      p += 32;
    }
    bytes.fill(0, p, p + 16); // the free space: index 0, its size (0: the hang)
    const free = hangs ? 0 : at + csize - p;
    for (let k = 0; k < 8; k++) bytes[p + 8 + k] = Math.floor(free / 256 ** k) % 256;
  };
  for (let i = 0; i < 6; i++) put(Math.floor(rnd() * (size - 5000)), 4096 + Math.floor(rnd() * 3000), rnd() < 0.4);
  bytes.set([0x47, 0x43, 0x4f, 0x4c], size - 3 - 4); // (a signature with no room for its header)
  return bytes;
}

test("the windowed global heap check finds what the whole file's check finds", () => {
  for (let seed = 1; seed <= 40; seed++) {
    const bytes = planted(seed, 20000 + seed * 997);
    const whole = globalHeapThatHangs(bytes);
    for (const window of [5, 64, 1000, 4097, 8192, 1 << 20]) {
      assert.equal(heapThatHangsBy((a, b) => bytes.slice(a, b), bytes.length, window), whole, `seed ${seed}, window ${window}`);
    }
  }
  // and the planted cases cover both answers
  const answers = new Set(Array.from({ length: 40 }, (_, i) => globalHeapThatHangs(planted(i + 1, 20000 + (i + 1) * 997)) === null));
  assert.deepEqual([...answers].sort(), [false, true]);
});

test("a range node of h5wasm's FS reads the file as its copy does", { skip: !built || !fs.existsSync(demo) }, async () => {
  const h5 = await h5wasm();
  const bytes = new Uint8Array(fs.readFileSync(demo));
  const copy = openSliceFile(h5, fsFileFromBytes(h5, bytes, "demo.h5"), "demo.h5");
  const fetched = [];
  const get = (start, end) => { fetched.push([start, end]); return bytes.slice(start, end); };
  const file = rangeFile(h5, "unused", bytes.length, "demo.h5", { get, block: 4096, blocks: 4 });
  const lazy = openSliceFile(h5, file.path, "demo.h5");
  try {
    assert.deepEqual(lazy.attrs, copy.attrs);
    assert.deepEqual(lazy.lengths, copy.lengths);
    assert.deepEqual(lazy.units, copy.units);
    const before = file.fetched;
    assert.deepEqual(lazy.read("density"), copy.read("density"));
    assert.ok(file.fetched - before < bytes.length, "one field: not the whole file"); // (the heap check read it once)
    for (const key of lazy.keys) assert.deepEqual(lazy.read(key), copy.read(key), key);
    assert.equal(file.requests, fetched.length);
  } finally {
    lazy.close();
    copy.close();
  }
  assert.throws(() => h5.FS.stat(file.path)); // (closing unlinks it)
  // a fetch that fails: HDF5 sees an I/O error, the file says why
  let calls = 0;
  const failing = rangeFile(h5, "unused", bytes.length, "demo.h5", {
    heapChecked: true, block: 4096,
    get: (a, b) => { if (++calls > 3) throw new Error("the server answered 404"); return bytes.slice(a, b); },
  });
  assert.throws(() => { const f = openSliceFile(h5, failing.path, "demo.h5"); try { for (const k of f.keys) f.read(k); } finally { f.close(); } },
    /demo\.h5: /);
  assert.match(failing.unreachable, /404/);
});
