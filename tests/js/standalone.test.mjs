import assert from "node:assert/strict";
import { test } from "node:test";
import { gunzipSync } from "node:zlib";

import {
  ENCODINGS, PAYLOAD_ELEMENT_ID, StandaloneError, buildStandaloneHtml, escapeInlineScript, readStandalonePayload,
} from "../../lite/js/core/standalone.js";

// What the HTML parser does with the text of a <script> element: it ends at
// the first "</script", whatever surrounds it (the file is valid only if
// that is the element's real end).
function scriptTexts(html) {
  const out = [];
  const open = /<script\b([^>]*)>/gi;
  let m;
  while ((m = open.exec(html))) {
    const start = m.index + m[0].length;
    const end = html.toLowerCase().indexOf("</script", start);
    assert.ok(end >= 0, "unterminated script element");
    out.push({ attrs: m[1], text: html.slice(start, end) });
    open.lastIndex = end;
  }
  return out;
}

const SPECIAL = [0, -0, 1e-310, -5e-324, 1.7976931348623157e308, NaN, Infinity, -Infinity, 0.1 + 0.2, -1 / 3];

function sample() {
  // a field that is a view into a larger buffer (as h5wasm's arrays can be)
  const big = new Float64Array(20).map((_, i) => i * 1.5);
  return {
    px: Float64Array.from([0.25, 0.75, 0.5, 0.125, 0.875, 0.3, 0.7, 0.1, 0.9, 0.6]),
    py: new Float64Array(10).fill(0.5),
    pdx: new Float64Array(10).fill(0.125),
    pdy: new Float64Array(10).fill(0.5),
    fields: { density: Float64Array.from(SPECIAL), temperature: big.subarray(5, 15), refinement_level: new Float64Array(10) },
    units: { density: "g/cm**3", temperature: "K", refinement_level: "" },
  };
}

const STATE = {
  field: "density", cmap: "viridis", scale: "log", view: [0.1 + 0.2, 1 / 3, -2.5e-17, 0.75], vmin: 1e-3, vmax: null,
  linthresh: null, resolution: 384, domain: [0, 1, 0, 1], info: { name: "a <b> & c.h5", kind: "slice" },
  length_units: { code_length: 1, pc: 3.2407792894443648e-19 }, length_unit: "pc", show_mesh: true,
  frame: { count: 3 }, error: "old error", // host keys: left out
};
const WASM = Uint8Array.from([0, 97, 115, 109, 1, 0, 0, 0, 255]);
const TABLES = Uint8Array.from([1, 2, 3, 4, 250, 251, 252, 253]);

function build(overrides = {}) {
  return buildStandaloneHtml({
    script: "globalThis.ran = true;", wasm: WASM,
    colormapIndex: { colormaps: { viridis: { offset: 0, n: 2, bad: [0, 0, 0, 0], under: [1, 2, 3, 4], over: [5, 6, 7, 8] } } },
    colormapTables: TABLES, state: STATE, mesh: sample(),
    fields: ["density", "temperature"], title: "a <b> & c.h5 — density", ...overrides,
  });
}

const payloadText = async (html) => scriptTexts(await html)[0].text;

for (const encoding of ENCODINGS) {
  test(`the view and its data come back bit for bit from the file (${encoding})`, async () => {
    const html = await build({ encoding });
    const scripts = scriptTexts(html);
    assert.equal(scripts.length, 2);
    assert.match(scripts[0].attrs, new RegExp(`type="application/json" id="${PAYLOAD_ELEMENT_ID}"`));
    assert.match(scripts[1].attrs, /type="module"/);
    assert.equal(scripts[1].text, "globalThis.ran = true;");
    const back = await readStandalonePayload(scripts[0].text);
    const mesh = sample();
    for (const key of ["px", "py", "pdx", "pdy"]) assert.deepEqual(back.mesh[key], mesh[key]);
    // Object.is per value: NaN, -0 and subnormals too
    for (const name of ["density", "temperature"]) {
      assert.equal(back.mesh.fields[name].length, 10);
      back.mesh.fields[name].forEach((v, i) => assert.ok(Object.is(v, mesh.fields[name][i]), `${name}[${i}]: ${v}`));
    }
    assert.deepEqual(Object.keys(back.mesh.fields), ["density", "temperature"]); // only those asked for
    assert.deepEqual(back.mesh.units, { density: "g/cm**3", temperature: "K" });
    const { frame, error, ...viewState } = STATE;
    assert.deepEqual(back.state, viewState);
    assert.deepEqual(back.wasm, WASM);
    assert.deepEqual(back.colormapTables, TABLES);
    assert.equal(back.colormapIndex.colormaps.viridis.n, 2);
    // the title is text, not markup
    assert.match(html, /<title>a &#60;b&#62; &#38; c\.h5 — density<\/title>/);
  });
}

test("arrays are stored as little-endian IEEE float64, gzip-compressed or not (what the docs promise)", async () => {
  const plain = JSON.parse(await payloadText(build({ encoding: "none" })));
  const gzip = JSON.parse(await payloadText(build({ encoding: "gzip" })));
  assert.equal(plain.encoding, "none");
  assert.equal(gzip.encoding, "gzip");
  const le = (values) => Buffer.from(new Float64Array(values).buffer); // (node runs little-endian machines)
  assert.deepEqual(Buffer.from(plain.mesh.px, "base64"), le(sample().px));
  assert.deepEqual(gunzipSync(Buffer.from(gzip.mesh.px, "base64")), le(sample().px));
  assert.deepEqual(gunzipSync(Buffer.from(gzip.assets.wasm, "base64")), Buffer.from(WASM));
  // and gzip pays: a smooth field shrinks
  const smooth = { ...sample(), px: new Float64Array(10000).map((_, i) => i / 10000) };
  for (const k of ["py", "pdx", "pdy"]) smooth[k] = new Float64Array(10000).fill(0.5);
  smooth.fields = { density: smooth.px };
  const sizes = await Promise.all(ENCODINGS.map(async (encoding) => (await build({ encoding, mesh: smooth, fields: null })).length));
  assert.ok(sizes[0] < sizes[1] / 2, sizes);
});

test("inlined code cannot end its script element early, and still means the same", async () => {
  const code = [
    'globalThis.out = ["</script><script>alert(1)</script>", `<!-- ${"</SCRIPT >"} -->`,',
    '/<\\/script>/u.test("</script>"), /a<!--b/.test("a<!--b"), /a[</script]+/u.exec("a</s")[0]];',
    "// a comment with </script> and <!-- in it",
  ].join("\n");
  const scripts = scriptTexts(await build({ script: code }));
  assert.equal(scripts.length, 2, "the code split the element");
  assert.ok(!scripts[1].text.includes("<!--"));
  const escaped = scripts[1].text;
  assert.equal(escaped, escapeInlineScript(code));
  const run = (src) => { const g = {}; new Function("globalThis", src)(g); return g.out; };
  assert.deepEqual(run(escaped), run(code));
  assert.deepEqual(run(escaped), ["</script><script>alert(1)</script>", "<!-- </SCRIPT > -->", true, true, "a</s"]);
});

test("nothing loaded, or a field not embedded, is refused with a message", async () => {
  await assert.rejects(build({ mesh: null }),
    (e) => e instanceof StandaloneError && /nothing to share: no data is loaded/.test(e.message));
  await assert.rejects(build({ fields: ["temperature"] }), /the field shown \(density\) is not among those embedded/);
  await assert.rejects(build({ fields: ["pressure"] }), /no field "pressure"/);
  const short = sample();
  short.pdy = short.pdy.subarray(1);
  await assert.rejects(build({ mesh: short }), /pdy has 9 values but px has 10/);
  await assert.rejects(build({ wasm: new Uint8Array() }), /no pixelizer wasm/);
  await assert.rejects(build({ encoding: "brotli" }), /unknown encoding brotli/);
});

test("derived fields are named, not stored, and may be the one shown", async () => {
  const html = build({ fields: null, derived: ["refinement_level"], state: { ...STATE, field: "refinement_level" } });
  const back = await readStandalonePayload(await payloadText(html));
  assert.deepEqual(Object.keys(back.mesh.fields), ["density", "temperature"]);
  assert.deepEqual(back.derived, ["refinement_level"]);
  assert.equal(back.state.field, "refinement_level");
  await assert.rejects(build({ fields: ["density"], state: { ...STATE, field: "refinement_level" } }),
    /the field shown \(refinement_level\) is not among those embedded/);
});

test("a damaged or foreign file says so", async () => {
  const payload = JSON.parse(await payloadText(build()));
  const plain = JSON.parse(await payloadText(build({ encoding: "none" })));
  const read = (p) => readStandalonePayload(typeof p === "string" ? p : JSON.stringify(p));
  const eight = (n) => Buffer.from(new Float64Array(n).buffer).toString("base64");
  await assert.rejects(read("{not json"), /damaged \(not JSON/);
  await assert.rejects(read({ format: "other" }), /holds no ytlite view/);
  await assert.rejects(read({ ...payload, version: 99 }), /format 99; this code reads 1/);
  await assert.rejects(read({ ...payload, encoding: "zstd" }), /unknown encoding zstd in this file/);
  await assert.rejects(read({ ...plain, mesh: { ...plain.mesh, px: eight(3) } }), /px has 3 values, not 10/);
  await assert.rejects(read({ ...plain, mesh: { ...plain.mesh, px: "AAAA" } }), /px: 3 bytes is not a whole number of float64/);
  await assert.rejects(read({ ...payload, mesh: { ...payload.mesh, pdx: undefined } }), /lacks pdx/);
  await assert.rejects(read({ ...payload, mesh: { ...payload.mesh, fields: { temperature: payload.mesh.fields.temperature } } }),
    /lacks the field shown \(density\)/);
  await assert.rejects(read({ ...payload, mesh: { ...payload.mesh, py: "!!!" } }), /py: not base64/);
  await assert.rejects(read({ ...payload, mesh: { ...payload.mesh, py: eight(10) } }), /py: damaged/); // not gzip
  await assert.rejects(read({ ...payload, assets: { wasm: payload.assets.wasm } }), /assets in this file are incomplete/);
});
