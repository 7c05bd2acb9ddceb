// lite/js/core/h5datatype.js on made-up bytes: what a hostile or damaged file can do to it (the layouts of
// real files against HDF5's own: tests/test_readers.py).
import assert from "node:assert/strict";
import test from "node:test";
import { datasetLayout, datatypeLayout, headerMessages, superblockSizes } from "../../lite/js/core/h5datatype.js";

const reader = (bytes) => (position, length) => bytes.subarray(position, position + length);
const SIZES = { offsets: 8, lengths: 8 };

// A version 1 object header at 0: its messages [type, data bytes], each padded to 8 bytes.
function v1(messages) {
  const body = [];
  for (const [type, data] of messages) {
    const size = Math.ceil(data.length / 8) * 8;
    body.push(type & 255, type >> 8, size & 255, size >> 8, 0, 0, 0, 0, ...data, ...new Array(size - data.length).fill(0));
  }
  const n = body.length;
  return Uint8Array.from([1, 0, messages.length, 0, 1, 0, 0, 0, n & 255, (n >> 8) & 255, 0, 0, 0, 0, 0, 0, ...body]);
}
const u64 = (v) => Array.from({ length: 8 }, (_, k) => Math.floor(v / 2 ** (8 * k)) % 256);
const FLOAT64 = [0x11, 0x20, 0x3f, 0x00, 8, 0, 0, 0, 0, 0, 64, 0, 52, 11, 0, 52, 0xff, 0x03, 0, 0];

test("a version 1 header's datatype message: float64, little-endian, IEEE", () => {
  const bytes = v1([[0x0001, new Array(16).fill(0)], [0x0003, FLOAT64]]);
  assert.deepEqual(datasetLayout(reader(bytes), 0, SIZES), {
    cls: "float", size: 8, order: "little", offset: 0, precision: 64, sign: 63, epos: 52, esize: 11, mpos: 0,
    msize: 52, ebias: 1023, norm: "implied",
  });
});

test("a continuation block that points back at itself ends, with no layout", () => {
  const loop = v1([[0x0010, [...u64(16), ...u64(24)]]]); // (its messages start at 16: itself again)
  assert.equal(headerMessages(reader(loop), 0, SIZES), null);
  assert.equal(datasetLayout(reader(loop), 0, SIZES), null);
});

test("damaged headers and messages give no layout, never an exception", () => {
  let state = 7;
  const random = () => { state = (state * 1103515245 + 12345) % 2 ** 31; return state / 2 ** 31; };
  const good = v1([[0x0003, FLOAT64]]);
  for (let i = 0; i < 3000; i++) {
    const bytes = Uint8Array.from(good);
    for (let k = 0, n = 1 + Math.floor(random() * 6); k < n; k++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
    const cut = random() < 0.2 ? bytes.subarray(0, Math.floor(random() * bytes.length)) : bytes;
    const layout = datasetLayout(reader(cut), 0, SIZES);
    assert.ok(layout === null || typeof layout === "object");
  }
  assert.equal(datasetLayout(reader(new Uint8Array(0)), 0, SIZES), null);
  assert.equal(datasetLayout(reader(good), -1, SIZES), null);
  assert.equal(datasetLayout(reader(good), 2 ** 60, SIZES), null);
  assert.equal(datasetLayout(reader(good), 0, null), null);
  assert.equal(datatypeLayout(Uint8Array.from([0x13, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0])), null); // (a string)
  assert.equal(superblockSizes(reader(new Uint8Array(64))), null);
});
