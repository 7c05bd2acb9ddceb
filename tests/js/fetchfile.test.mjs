// The page's file reading (lite/js/core/fetchfile.js, core/slicefile.js's
// FS files): progress text, streamed and base64 bytes landing in h5wasm's
// FS exactly, a short download refused, and loadSlice into the wasm mesh
// equal to the plain-array read (the built wasm and h5wasm in node).
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { base64ToFS, openSlice, progressText, streamToFS } from "../../lite/js/core/fetchfile.js";
import { fsFile, fsFileFromBytes, loadSlice, openSliceFile } from "../../lite/js/core/slicefile.js";

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const gen = path.join(root, "ytlite", "_generated");
const built = fs.existsSync(path.join(gen, "h5wasm.js")) && fs.existsSync(path.join(gen, "ytlite_pixelizer_bg.wasm"));
const demo = path.join(root, "_build", "content", "data", "amr_demo_slice.h5");

async function h5wasm() {
  const h5 = new Function(`${fs.readFileSync(path.join(gen, "h5wasm.js"), "utf8")}\n;return h5wasm;`)();
  await h5.ready;
  return h5;
}

test("progress: whole MB from 10 MB up, one decimal below, no total when unknown", () => {
  assert.equal(progressText("big.h5", 45e6, 300e6), "Reading big.h5: 45 of 300 MB");
  assert.equal(progressText("big.h5", 300.4e6, 300.4e6), "Reading big.h5: 300 of 300 MB");
  assert.equal(progressText("s.h5", 0.31e6, 1.8e6), "Reading s.h5: 0.3 of 1.8 MB");
  assert.equal(progressText("s.h5", 2e6, 1.8e6), "Reading s.h5: 1.8 of 1.8 MB"); // (never beyond the total)
  assert.equal(progressText("s.h5", 12.4e6), "Reading s.h5: 12 MB");
});

// a Response whose body arrives in `pieces`, with the headers given
function responseOf(bytes, pieces, headers = {}) {
  const size = Math.ceil(bytes.length / pieces);
  const body = new ReadableStream({
    start(controller) {
      for (let i = 0; i < bytes.length; i += size) controller.enqueue(bytes.slice(i, i + size));
      controller.close();
    },
  });
  return new Response(body, { headers });
}

test("a streamed body lands in the FS byte for byte, with progress; short or unknown lengths", { skip: !built && "not built" }, async () => {
  const h5 = await h5wasm();
  const bytes = Uint8Array.from({ length: 100003 }, (_, i) => (i * 7919) % 251);
  const seen = [];
  const p = await streamToFS(h5, responseOf(bytes, 7, { "Content-Length": String(bytes.length) }), "a.h5",
    { onProgress: (got, total) => seen.push([got, total]) });
  assert.deepEqual(h5.FS.readFile(p), bytes);
  assert.equal(seen.at(-1)[0], bytes.length);
  assert.ok(seen.length >= 7 && seen.every(([, total]) => total === bytes.length));
  assert.ok(seen.every(([got], i) => i === 0 || got >= seen[i - 1][0]));
  h5.FS.unlink(p);
  // no Content-Length: the file grows as needed
  const q = await streamToFS(h5, responseOf(bytes, 3), "b.h5");
  assert.deepEqual(h5.FS.readFile(q), bytes);
  h5.FS.unlink(q);
  // fewer bytes than announced: an error naming the file, and nothing left in the FS
  const before = h5.FS.readdir("/").length;
  await assert.rejects(streamToFS(h5, responseOf(bytes.slice(0, 5000), 2, { "Content-Length": "9000" }), "cut.h5"),
    /cut\.h5: the download stopped after 5000 of 9000 bytes/);
  assert.equal(h5.FS.readdir("/").length, before);
});

test("a file bigger than the device's memory is refused before its first byte, or as it grows past it", { skip: !built && "not built" }, async () => {
  const h5 = await h5wasm();
  const bytes = Uint8Array.from({ length: 3000 }, (_, i) => i % 256);
  const before = h5.FS.readdir("/").length;
  await assert.rejects(streamToFS(h5, responseOf(bytes, 3, { "Content-Length": "3000" }), "big.h5", { limit: 2999 }), (err) => {
    assert.equal(err.constructor.name, "SliceFileError");
    assert.match(err.message, /^big\.h5: 1 MB, more than the 1 MB of memory this device has; make a smaller file with `ytlite extract`/);
    return true;
  });
  let seen = 0;
  await assert.rejects(streamToFS(h5, responseOf(bytes, 3), "grows.h5", { limit: 1500, onProgress: (got) => { seen = got; } }),
    /^Error: grows\.h5: 1 MB and more, more than the 1 MB of memory this device has/);
  assert.ok(seen <= 1500, seen); // (the chunk that went past was the last one read)
  assert.equal(h5.FS.readdir("/").length, before);
  const p = await streamToFS(h5, responseOf(bytes, 3, { "Content-Length": "3000" }), "fits.h5", { limit: 3000 });
  assert.deepEqual(h5.FS.readFile(p), bytes);
  h5.FS.unlink(p);
});

test("base64 from the browser's storage decodes a piece at a time into the FS", { skip: !built && "not built" }, async () => {
  const h5 = await h5wasm();
  for (const n of [0, 1, 2, 3, 5 * (1 << 20) + 2]) {
    const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) % 256);
    const text = Buffer.from(bytes).toString("base64");
    const p = base64ToFS(h5, text, `b${n}.h5`);
    assert.deepEqual(h5.FS.readFile(p), bytes, `${n} bytes`);
    h5.FS.unlink(p);
  }
  assert.throws(() => base64ToFS(h5, "@@@@", "bad.h5"), /bad\.h5: the stored file is not valid base64/);
});

test("two files of one name arriving at once do not share an FS path", { skip: !built && "not built" }, async () => {
  const h5 = await h5wasm();
  const a = fsFile(h5, "same.h5", 4), b = fsFile(h5, "same.h5", 4);
  assert.notEqual(a.path, b.path);
  a.discard();
  b.discard();
});

test("loadSlice into the wasm mesh equals the plain read; the file is gone after", { skip: (!built || !fs.existsSync(demo)) && "not built" }, async () => {
  const h5 = await h5wasm();
  const glue = await import(path.join(gen, "ytlite_pixelizer.js"));
  glue.initSync({ module: fs.readFileSync(path.join(gen, "ytlite_pixelizer_bg.wasm")) });
  const { LENT, wasmGeometry } = await import("../../lite/js/core/pipeline.js");
  const bytes = new Uint8Array(fs.readFileSync(demo));
  const read = async (geometry) => {
    const p = await streamToFS(h5, responseOf(bytes, 4), "demo.h5");
    const steps = [];
    const slice = await loadSlice(openSliceFile(h5, p, "demo.h5"), { geometry, progress: (d, t) => steps.push([d, t]) });
    assert.throws(() => h5.FS.stat(p)); // closed and unlinked
    return { slice, steps };
  };
  const plain = await read(undefined);
  const { slice, steps } = await read(wasmGeometry(glue));
  assert.deepEqual(steps.at(-1), [6, 6]); // px, py, pdx, pdy, density, temperature
  assert.ok(slice.mesh.wasmMesh && slice.mesh.wasmMesh.len() === plain.slice.numCells);
  // built compact as the slices came (rust/src/mesh_builder.rs), never as f64 arrays: the same cells
  assert.equal(slice.mesh.wasmMesh.geometryKind, "table");
  for (const k of ["px", "py", "pdx", "pdy"]) assert.deepEqual(slice.mesh[k], plain.slice.mesh[k], k);
  for (const f of Object.keys(plain.slice.mesh.fields)) assert.deepEqual(slice.mesh.fields[f], plain.slice.mesh.fields[f], f);
  // the field shown first went straight into the mesh's values: no array of the page's own (a getter of a copy)
  assert.deepEqual(Object.keys(slice.mesh.fields), Object.keys(plain.slice.mesh.fields));
  assert.equal(slice.mesh.fields[LENT].name, "density");
  assert.ok(Object.getOwnPropertyDescriptor(slice.mesh.fields, "density").get);
  assert.ok(Object.getOwnPropertyDescriptor(slice.mesh.fields, "temperature").value instanceof Float64Array);
  assert.deepEqual(new Float64Array(slice.mesh.wasmMesh.valuesView()), plain.slice.mesh.fields.density);
  assert.deepEqual(slice.fieldScales, { density: "log", temperature: "log", refinement_level: "linear" });
  assert.deepEqual(slice.domain, plain.slice.domain);
  slice.mesh.free();
  slice.mesh.free(); // (twice is harmless)
});

test("loadSlice refuses, before any mesh is made, a file that the page's wasm memory in use leaves no room for", { skip: (!built || !fs.existsSync(demo)) && "not built" }, async () => {
  const h5 = await h5wasm();
  const bytes = new Uint8Array(fs.readFileSync(demo));
  let made = 0;
  const geometry = () => { made += 1; throw new Error("no mesh should be made"); };
  const p = await streamToFS(h5, responseOf(bytes, 4), "demo.h5");
  const file = openSliceFile(h5, p, "demo.h5");
  const n = file.lengths.px;
  // (the page passes its runtime's memoryBytes(): here all but what n cells need in the viewer, less one byte)
  const inUse = 2 ** 32 - n * 17 + 1;
  await assert.rejects(loadSlice(file, { geometry, inUse }), (err) => {
    assert.equal(err.constructor.name, "SliceFileError");
    assert.match(err.message, new RegExp(`^demo.h5: ${n} cells with 2 field\\(s\\) need \\d+ MB in the viewer, more than the \\d+ MB a wasm32 viewer can hold \\(4 GiB less \\d+ MB in use\\); make a smaller file with \`ytlite extract\` and a sub-region`));
    return true;
  });
  assert.equal(made, 0);
  assert.throws(() => h5.FS.stat(p)); // closed and unlinked
  const p2 = await streamToFS(h5, responseOf(bytes, 4), "demo.h5");
  const ok = await loadSlice(openSliceFile(h5, p2, "demo.h5"), { inUse: inUse - 1 }); // (one byte less in use: it fits)
  assert.equal(ok.numCells, n);
  // the device's memory (the page passes its runtime's deviceBytes()): n cells of px..pdy, 2 fields and the level
  // as float64 need n * 56 bytes
  const p3 = await streamToFS(h5, responseOf(bytes, 4), "demo.h5");
  await assert.rejects(loadSlice(openSliceFile(h5, p3, "demo.h5"), { geometry, available: n * 56 - 1 }), (err) => {
    assert.match(err.message, new RegExp(`^demo.h5: ${n} cells with 2 field\\(s\\) need \\d+ MB as float64 arrays, more than the \\d+ MB of memory available; make a smaller file with \`ytlite extract\` and a sub-region \\(--region x0,x1,y0,y1\\) or fewer --fields$`));
    return true;
  });
  assert.equal(made, 0);
  const p4 = await streamToFS(h5, responseOf(bytes, 4), "demo.h5");
  assert.equal((await loadSlice(openSliceFile(h5, p4, "demo.h5"), { available: n * 56 })).numCells, n);
});

test("thousands of bad files in one page: each refused (as incomplete: cut short), no file descriptor lost", { skip: (!built || !fs.existsSync(demo)) && "not built" }, async () => {
  // (each file from bytes used to keep a stream open: after 4,096 files no file could be opened)
  const h5 = await h5wasm();
  const bytes = new Uint8Array(fs.readFileSync(demo)).slice(0, 3000); // truncated
  // (HDF5 prints its own report of each damaged file, 40 lines each, to stderr: not into the test log)
  const write = process.stderr.write;
  process.stderr.write = () => true;
  try {
    for (let i = 0; i < 4200; i++) {
      assert.throws(() => openSliceFile(h5, fsFileFromBytes(h5, bytes, "bad.h5"), "bad.h5"),
        (err) => err.constructor.name === "SliceFileError" && err.message.startsWith(`bad.h5: incomplete: it has 3000 of its ${fs.statSync(demo).size} bytes`));
    }
  } finally {
    process.stderr.write = write;
  }
  const p = fsFileFromBytes(h5, new Uint8Array(fs.readFileSync(demo)), "demo.h5");
  const good = await loadSlice(openSliceFile(h5, p, "demo.h5"));
  assert.ok(good.numCells > 0);
});

test("openSlice: by ranges where the server answers a range, whole where it does not; an empty file is no HDF5 file", { skip: (!built || !fs.existsSync(demo)) && "not built" }, async () => {
  const h5 = await h5wasm();
  const bytes = new Uint8Array(fs.readFileSync(demo));
  const want = await loadSlice(openSliceFile(h5, fsFileFromBytes(h5, bytes, "demo.h5"), "demo.h5"));
  // a static server's answers to GET url (with or without a Range header), as fetch gives them
  const server = (data, ranges) => async (url, { headers = {} } = {}) => {
    const asked = /^bytes=(\d+)-(\d+)$/.exec(headers.Range ?? "");
    if (!ranges || !asked) return new Response(data, { status: 200, headers: { "Content-Length": String(data.length) } });
    const a = Number(asked[1]), b = Math.min(Number(asked[2]), data.length - 1);
    if (a > b) return new Response(null, { status: 416, headers: { "Content-Range": `bytes */${data.length}` } });
    return new Response(data.slice(a, b + 1), { status: 206, headers: { "Content-Range": `bytes ${a}-${b}/${data.length}` } });
  };
  const saved = globalThis.fetch;
  try {
    for (const ranges of [true, false]) {
      globalThis.fetch = server(bytes, ranges);
      const file = await openSlice(h5, "http://site/files/demo.h5", "demo.h5");
      assert.equal(!!file.paged, ranges);
      const got = await loadSlice(file);
      assert.deepEqual(got.fieldList, want.fieldList);
      for (const key of ["px", "py", "pdx", "pdy"]) assert.deepEqual(got.mesh[key], want.mesh[key], key);
      for (const f of want.fieldList) assert.deepEqual(got.mesh.fields[f], want.mesh.fields[f], f);
    }
    // the source's failures (not the file's) say so: `unreachable`, which the kernel reads a copy on
    const tagged = (message) => (err) => { assert.match(err.message, message); assert.ok(err.unreachable, err.message); return true; };
    const etagged = (etag) => async (url, init) => {
      const r = await server(bytes, true)(url, init);
      return new Response(r.body, { status: r.status, headers: { ...Object.fromEntries(r.headers), ETag: etag } });
    };
    globalThis.fetch = etagged('"one"');
    const first = await openSlice(h5, "http://site/files/demo.h5", "demo.h5");
    assert.deepEqual(first.paged.expect, { ETag: '"one"', "Last-Modified": null });
    first.close();
    assert.ok(await openSlice(h5, "http://site/files/demo.h5", "demo.h5", { expect: { ETag: '"one"' } }));
    globalThis.fetch = etagged('"two"');
    await assert.rejects(openSlice(h5, "http://site/files/demo.h5", "demo.h5", { expect: { ETag: '"one"' } }),
      tagged(/^demo\.h5: the site's copy changed \(its ETag was "one", now "two"\)$/));
    await assert.rejects(openSlice(h5, "http://site/files/demo.h5", "demo.h5", { size: 7 }),
      tagged(/^demo\.h5: the site's copy has \d+ bytes, not the 7 expected/));
    globalThis.fetch = async () => new Response("gone", { status: 503, statusText: "Unavailable" });
    await assert.rejects(openSlice(h5, "http://site/files/demo.h5", "demo.h5"), tagged(/^demo\.h5: 503 Unavailable/));
    globalThis.fetch = async () => { throw new TypeError("Failed to fetch"); };
    await assert.rejects(openSlice(h5, "http://site/files/demo.h5", "demo.h5"), tagged(/^demo\.h5: could not be fetched \(Failed to fetch\)/));
    for (const ranges of [true, false]) { // (an empty file: a range of it cannot be had, 416)
      globalThis.fetch = server(new Uint8Array(0), ranges);
      await assert.rejects(async () => loadSlice(await openSlice(h5, "http://site/files/empty.h5", "empty.h5")),
        /^Error: empty\.h5: not an HDF5 file, or truncated or damaged/);
    }
  } finally {
    globalThis.fetch = saved;
  }
});
