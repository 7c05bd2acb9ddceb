// Reads slice files with the front end's reader (lite/js/core/slicefile.js)
// and the h5wasm build the site ships (ytlite/_generated/h5wasm.js, the same
// IIFE the kernel evaluates), for tests/test_readers.py and the fuzzer
// (tests/support/fuzz.py):
//
//   node tests/support/slicefile_runner.mjs FILE...   -> JSON [{file, error} | {file, summary}]
//   node tests/support/slicefile_runner.mjs --jsonl   -> FILE per line on stdin; one JSON line per
//        file on stdout as soon as it is read: {file, error, kind} | {file, cells, crc: {key: crc32
//        of its float64 bytes}}
//   ... --paged: the page's reads of big files instead (lite/js/core/pagedfile.js: the file fetched a
//        piece at a time, here from its bytes, in blocks of 64 KB so that even small files take many)

import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { createInterface } from "node:readline";

import { pagedFile } from "../../lite/js/core/pagedfile.js";
import { fsFileFromBytes, loadSlice, openPagedSliceFile, openSliceFile } from "../../lite/js/core/slicefile.js";

const source = readFileSync(new URL("../../ytlite/_generated/h5wasm.js", import.meta.url), "utf8");
const h5wasm = new Function(`${source}\n;return h5wasm;`)();
await h5wasm.ready;

// the pages' path: the file in h5wasm's FS, read a dataset at a time (here into plain arrays)
const whole = (file, name) => loadSlice(openSliceFile(h5wasm, fsFileFromBytes(h5wasm, new Uint8Array(readFileSync(file)), name), name));
// the pages' path for big files: fetched a piece at a time (pagedfile.js) as by HTTP ranges
async function paged(file, name) {
  const bytes = new Uint8Array(readFileSync(file));
  const source = async (a, b) => bytes.slice(a, b);
  return loadSlice(await openPagedSliceFile(h5wasm, pagedFile(h5wasm, source, bytes.length, name, { block: 1 << 16 }), name));
}
const load = process.argv.includes("--paged") ? paged : whole;
const failure = (file, err) => ({ file, error: String(err?.message ?? err), kind: err?.constructor?.name ?? typeof err });

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
// zlib's crc32 of the array's bytes (little-endian float64, as Python's array('d') on this machine)
function crc32(values) {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

if (process.argv.includes("--jsonl")) {
  for await (const file of createInterface({ input: process.stdin })) {
    if (!file) continue;
    let line;
    try {
      const s = await load(file, basename(file));
      const crc = {};
      for (const key of ["px", "py", "pdx", "pdy"]) crc[key] = crc32(s.mesh[key]);
      for (const key of s.fieldList) crc[key] = crc32(s.mesh.fields[key]);
      line = { file, cells: s.numCells, crc };
    } catch (err) {
      line = failure(file, err);
    }
    process.stdout.write(`${JSON.stringify(line)}\n`);
    // h5wasm trapped: this process reads nothing more (exit 75: the caller starts another)
    if (line.error?.includes("the HDF5 reader crashed")) process.exit(75);
  }
} else {
  const out = [];
  for (const file of process.argv.slice(2).filter((a) => a !== "--paged")) {
    try {
      const s = await load(file, basename(file));
      const sum = (a) => a.reduce((x, y) => x + y, 0);
      out.push({
        file, summary: {
          numCells: s.numCells, fieldList: s.fieldList, domain: s.domain, info: s.info, lengthUnit: s.lengthUnit,
          units: s.mesh.units, sums: Object.fromEntries(Object.entries(s.mesh.fields).map(([k, v]) => [k, sum(v)])),
          pdxSum: sum(s.mesh.pdx), scales: s.fieldScales, defaultField: s.defaultField, defaultCmap: s.defaultCmap,
        },
      });
    } catch (err) {
      out.push(failure(file, err));
    }
  }
  process.stdout.write(JSON.stringify(out));
}
