// The page's reads of big files a piece at a time (lite/js/core/pagedfile.js,
// slicefile.js's chunksAsync): a file read through a paged node of h5wasm's
// FS (its source faked from the file's bytes) gives the metadata, cells and
// fields the file copied in gives, bit for bit, while holding only its
// metadata and a slice or two of values; a global heap collection that would
// hang HDF5 is refused before HDF5 may read it; a failing source is named.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { globalHeapThatHangs } from "../../lite/js/core/conventions.js";
import { blobSource, pagedFile } from "../../lite/js/core/pagedfile.js";
import { fetchBytesFor, fsFileFromBytes, loadSlice, openPagedSliceFile, openSliceFile } from "../../lite/js/core/slicefile.js";

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const gen = path.join(root, "ytlite", "_generated");
const built = fs.existsSync(path.join(gen, "h5wasm.js"));
const shared = path.join(root, "..", "shared", "data", "slices");
const files = [
  path.join(root, "_build", "content", "data", "amr_demo_slice.h5"),
  ...(fs.existsSync(shared) ? fs.readdirSync(shared).filter((f) => f.endsWith(".h5")).map((f) => path.join(shared, f)) : []),
].filter((f) => fs.existsSync(f));

let module = null;
async function h5wasm() {
  if (!module) {
    module = new Function(`${fs.readFileSync(path.join(gen, "h5wasm.js"), "utf8")}\n;return h5wasm;`)();
    await module.ready;
  }
  return module;
}

// an asynchronous source over `bytes`, counting what it serves and the buffers its answers are in (the
// one it is handed, as rangeSource reads into it, else a new one)
function fake(bytes, { fail = null } = {}) {
  const log = { requests: [], calls: 0, handed: 0, buffers: new Set() };
  const source = async (a, b, buffer = null) => {
    log.calls += 1;
    if (fail && fail(a, b, log.calls)) throw new Error("the server answered 404 Not Found");
    log.requests.push([a, b]);
    await new Promise((resolve) => setTimeout(resolve, 0));
    const out = buffer ? new Uint8Array(buffer, 0, b - a) : new Uint8Array(b - a);
    out.set(bytes.subarray(a, b));
    log.handed += buffer ? 1 : 0;
    log.buffers.add(out.buffer);
    return out;
  };
  return { source, log };
}

const same = (a, b, what) => {
  assert.equal(a.length, b.length, what);
  assert.ok(Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength)), what);
};

test("values are fetched in pieces of about a 32nd of the file, 4 to 32 MB, the pieces kept to read into held small", () => {
  const MB = 1 << 20;
  assert.equal(fetchBytesFor(0), 4 * MB);
  assert.equal(fetchBytesFor(100e6), 4 * MB);
  assert.equal(fetchBytesFor(256 * MB - 1), 4 * MB);
  assert.equal(fetchBytesFor(256 * MB), 8 * MB);
  assert.equal(fetchBytesFor(300e6), 8 * MB); // (the 7.5 M-cell slice: 3 pieces kept are 8% of it, not 32%)
  assert.equal(fetchBytesFor(600e6), 16 * MB);
  assert.equal(fetchBytesFor(3.6e9), 32 * MB); // (112 requests for the 50 M-cell, 5-field slice)
  for (let size = 1e5; size < 1e11; size *= 1.7) {
    const bytes = fetchBytesFor(size);
    assert.ok(bytes >= 4 * MB && bytes <= 32 * MB && (bytes & (bytes - 1)) === 0, `${size}: ${bytes}`);
    assert.ok(bytes === 4 * MB || 3 * bytes <= size / 10, `${size}: 3 pieces of ${bytes} are more than a tenth of it`);
  }
});

test("a paged file reads what the file copied in reads, holding only its metadata and a slice or two", { skip: !built || !files.length }, async () => {
  const h5 = await h5wasm();
  for (const file of files) {
    const name = path.basename(file);
    const bytes = new Uint8Array(fs.readFileSync(file));
    const whole = await loadSlice(openSliceFile(h5, fsFileFromBytes(h5, bytes, name), name));
    const { source, log } = fake(bytes);
    // (small slices and blocks: many of each even in these small files)
    // (pieces of a slice of values, 64 KB here, read into buffers used again once dropped)
    const paged = pagedFile(h5, source, bytes.length, name, { block: 4096, first: bytes.slice(0, 4096), pooled: 8192 * 8 });
    let most = 0;
    const opened = await openPagedSliceFile(h5, paged, name);
    for (const d of Object.values(opened.datasets)) {
      assert.ok(d.storage && d.storage.address !== null, `${name}: yt writes contiguous datasets`);
    }
    opened.stepOf = () => 8192; // (HDF5 reads 64 KB at least: its sieve buffer)
    opened.fetchBytes = 8192 * 8;
    const chunks = opened.chunks.bind(opened);
    opened.chunks = (...args) => { most = Math.max(most, paged.held); return chunks(...args); };
    const read = await loadSlice(opened);
    assert.deepEqual(read.attrs ?? null, whole.attrs ?? null);
    assert.deepEqual(read.fieldList, whole.fieldList, name);
    assert.deepEqual(read.domain, whole.domain, name);
    assert.deepEqual(read.fieldScales, whole.fieldScales, name);
    for (const key of ["px", "py", "pdx", "pdy"]) same(read.mesh[key], whole.mesh[key], `${name} ${key}`);
    for (const key of read.fieldList) same(read.mesh.fields[key], whole.mesh.fields[key], `${name} ${key}`);
    // what it held: the metadata and at most two slices of values (and the blocks around the metadata)
    const metadata = bytes.length - Object.values(opened.datasets).reduce((s, d) => s + d.storage.size, 0);
    assert.ok(most <= metadata + 2 * 8192 * 8 + 8 * 4096, `${name}: held ${most} bytes (metadata ${metadata})`);
    // only what is read is fetched: not pz, pdz, weight_field (each byte once, but for a block's ends)
    const unread = Object.entries(opened.datasets).filter(([k]) => ["pz", "pdz", "weight_field"].includes(k))
      .reduce((s, [, d]) => s + d.storage.size, 0);
    assert.ok(paged.fetched <= bytes.length - unread + 16 * 4096, `${name}: fetched ${paged.fetched} of ${bytes.length}`);
    assert.equal(paged.held, 0, "closed: nothing held");
    assert.throws(() => h5.FS.stat(paged.path), undefined, "closed: unlinked");
    assert.ok(log.requests.length > 4);
    // the slices of values read into a few buffers, used again and again: not a new buffer each (garbage
    // until the next collection, even once detached)
    const spans = log.requests.filter(([a, b]) => b - a >= 8192 * 8).length;
    if (spans > 4) {
      assert.ok(log.handed >= spans - 3, `${name}: ${log.handed} of ${spans} slices read into a used buffer`);
      assert.ok(log.buffers.size <= log.requests.length - spans + 3, `${name}: ${log.buffers.size} buffers for ${log.requests.length} requests`);
    }
    whole.mesh.free();
    read.mesh.free();
  }
});

test("a global heap collection that would hang HDF5 is refused before HDF5 reads it, wherever it lies", { skip: !built || !files.length }, async () => {
  const h5 = await h5wasm();
  const bytes = new Uint8Array(fs.readFileSync(files[0]));
  // a collection whose free-space object has size 0 (HDF5 would loop on it), planted in the metadata at
  // the start, across a block's edge, and in a dataset's values (read: the values' bytes are scanned too)
  const plant = (at) => {
    const out = bytes.slice();
    const csize = 4096;
    out.set([0x47, 0x43, 0x4f, 0x4c, 1, 0, 0, 0], at);
    for (let k = 0; k < 8; k++) out[at + 8 + k] = Math.floor(csize / 256 ** k) % 256;
    out.fill(0, at + 16, at + 32); // (index 0: the free space, of size 0)
    assert.equal(globalHeapThatHangs(out.subarray(at, at + csize)), 0);
    return out;
  };
  // (where px's values are: the pages' reader finds it so)
  const probe = await openPagedSliceFile(h5, pagedFile(h5, fake(bytes).source, bytes.length, "probe.h5"), "probe.h5");
  const px = probe.datasets.px.storage.address;
  probe.close();
  for (const at of [600, 4096 - 2, px + 1000]) {
    const planted = plant(at);
    const { source } = fake(planted);
    const paged = pagedFile(h5, source, planted.length, "planted.h5", { block: 4096 });
    await assert.rejects(async () => {
      const file = await openPagedSliceFile(h5, paged, "planted.h5");
      const s = await loadSlice(file);
      s.mesh.free();
    }, new RegExp(`planted\\.h5: not an HDF5 file, or truncated or damaged \\(global heap at byte ${at} holds an object HDF5 cannot get past`), `at ${at}`);
  }
});

test("a source that fails: the file says what failed, and nothing is left in the FS", { skip: !built || !files.length }, async () => {
  const h5 = await h5wasm();
  const bytes = new Uint8Array(fs.readFileSync(files[0]));
  const clean = fake(bytes);
  const all = await loadSlice(await openPagedSliceFile(h5, pagedFile(h5, clean.source, bytes.length, "demo.h5", { block: 4096 }), "demo.h5"));
  all.mesh.free();
  const requests = clean.log.calls;
  assert.ok(requests > 6);
  for (const after of [0, 2, Math.floor(requests / 2), requests - 1]) {
    const { source } = fake(bytes, { fail: (a, b, calls) => calls > after });
    const paged = pagedFile(h5, source, bytes.length, "demo.h5", { block: 4096 });
    await assert.rejects(async () => {
      const file = await openPagedSliceFile(h5, paged, "demo.h5");
      const s = await loadSlice(file);
      s.mesh.free();
    }, (err) => {
      assert.match(err.message, /demo\.h5: could not be read \(the server answered 404 Not Found\)/, `after ${after} requests`);
      // (the source failed, not the file: said apart, for the kernel, which reads a copy then; while
      // opening by the error, later by the file)
      if (after === 0) assert.match(err.unreachable, /404/);
      return true;
    });
    assert.match(paged.unreachable, /the server answered 404 Not Found/);
    assert.throws(() => h5.FS.stat(paged.path), undefined, "discarded");
    assert.equal(paged.held, 0);
  }
  // a source that gives fewer bytes than asked
  const short = pagedFile(h5, async (a, b) => bytes.slice(a, Math.min(b, a + 10)), bytes.length, "demo.h5", { block: 4096 });
  await assert.rejects(() => openPagedSliceFile(h5, short, "demo.h5"), /demo\.h5: could not be read \(10 bytes came for bytes 0-4095\)/);
  assert.equal(short.unreachable, "10 bytes came for bytes 0-4095");
  // a file that cannot be read because of what it holds (not its source) is not unreachable
  const damaged = bytes.slice();
  damaged.fill(0, 0, 8); // (no HDF5 signature)
  const refused = pagedFile(h5, fake(damaged).source, damaged.length, "bad.h5", { block: 4096 });
  await assert.rejects(() => openPagedSliceFile(h5, refused, "bad.h5"), (err) => /not an HDF5 file/.test(err.message) && err.unreachable === undefined);
  assert.equal(refused.unreachable, null);
});

test("a file the user gave (a Blob) is read a piece at a time, into the buffer it is handed", { skip: !built || !files.length }, async () => {
  const h5 = await h5wasm();
  const bytes = new Uint8Array(fs.readFileSync(files[0]));
  const source = blobSource(new Blob([bytes]));
  const given = new ArrayBuffer(8192);
  const got = await source(100, 4196, given);
  same(got, bytes.subarray(100, 4196), "bytes 100-4195");
  // (read into the buffer handed over, which a BYOB read moves into the answer: no new one)
  assert.equal(given.byteLength, 0, "the handed buffer was read into");
  assert.equal(got.buffer.byteLength, 8192);
  same(await source(0, 10), bytes.subarray(0, 10), "no buffer handed: a new one");
  const whole = await loadSlice(openSliceFile(h5, fsFileFromBytes(h5, bytes, "demo.h5"), "demo.h5"));
  const paged = pagedFile(h5, source, bytes.length, "demo.h5", { block: 4096, pooled: 4096 });
  const read = await loadSlice(await openPagedSliceFile(h5, paged, "demo.h5"));
  for (const key of ["px", "py", "pdx", "pdy"]) same(read.mesh[key], whole.mesh[key], key);
  for (const key of read.fieldList) same(read.mesh.fields[key], whole.mesh.fields[key], key);
  whole.mesh.free();
  read.mesh.free();
});

test("HDF5 prints nothing while a paged file is read, its misses included (the readers say what fails)", { skip: !built || !files.length }, async () => {
  const h5 = await h5wasm();
  const printed = [];
  const write = process.stderr.write, warn = console.warn, error = console.error;
  process.stderr.write = (s, ...rest) => { printed.push(String(s)); return write.call(process.stderr, s, ...rest); };
  console.warn = console.error = (...a) => printed.push(a.join(" "));
  try {
    const bytes = new Uint8Array(fs.readFileSync(files[0]));
    const { source, log } = fake(bytes);
    const name = path.basename(files[0]);
    const opened = await openPagedSliceFile(h5, pagedFile(h5, source, bytes.length, name, { block: 4096, first: bytes.slice(0, 4096) }), name);
    assert.ok(log.requests.length > 0, "reads HDF5 missed at the opening (each printed a stack before)");
    (await loadSlice(opened)).mesh.free();
    // a damaged file: refused with the readers' own message
    const damaged = bytes.slice(0, 3000);
    assert.throws(() => openSliceFile(h5, fsFileFromBytes(h5, damaged, "damaged.h5"), "damaged.h5"), /damaged\.h5/);
  } finally {
    process.stderr.write = write;
    console.warn = warn;
    console.error = error;
  }
  assert.deepEqual(printed.filter((s) => /HDF5|#0\d\d/.test(s)), []);
});
