// Reads slice files with the front end's reader (lite/js/core/slicefile.js)
// and the h5wasm build the site ships (ytlite/_generated/h5wasm.js, the same
// IIFE the kernel evaluates), for tests/test_readers.py:
//
//   node tests/support/slicefile_runner.mjs FILE...   -> JSON [{file, error} | {file, summary}]

import { readFileSync } from "node:fs";
import { basename } from "node:path";

import { fsFileFromBytes, loadSlice, openSliceFile } from "../../lite/js/core/slicefile.js";

const source = readFileSync(new URL("../../ytlite/_generated/h5wasm.js", import.meta.url), "utf8");
const h5wasm = new Function(`${source}\n;return h5wasm;`)();
await h5wasm.ready;

const out = [];
for (const file of process.argv.slice(2)) {
  const name = basename(file);
  try {
    // the pages' path: the file in h5wasm's FS, read a dataset at a time (here into plain arrays)
    const s = await loadSlice(openSliceFile(h5wasm, fsFileFromBytes(h5wasm, new Uint8Array(readFileSync(file)), name), name));
    const sum = (a) => a.reduce((x, y) => x + y, 0);
    out.push({
      file, summary: {
        numCells: s.numCells, fieldList: s.fieldList, domain: s.domain, info: s.info, lengthUnit: s.lengthUnit,
        units: s.mesh.units, sums: Object.fromEntries(Object.entries(s.mesh.fields).map(([k, v]) => [k, sum(v)])),
        pdxSum: sum(s.mesh.pdx), scales: s.fieldScales, defaultField: s.defaultField, defaultCmap: s.defaultCmap,
      },
    });
  } catch (err) {
    out.push({ file, error: String(err.message ?? err), kind: err.constructor.name });
  }
}
process.stdout.write(JSON.stringify(out));
