import assert from "node:assert/strict";
import { test } from "node:test";

import { formatNumber, prettyUnits } from "../../lite/js/core/format.js";

test("prettyUnits writes unyt's powers as superscripts", () => {
  assert.equal(prettyUnits("g/cm**3"), "g/cm³");
  assert.equal(prettyUnits("cm**(-2)"), "cm⁻²");
  assert.equal(prettyUnits("erg/(cm**3*s)"), "erg/(cm³·s)");
  assert.equal(prettyUnits("K*cm**-12"), "K·cm⁻¹²");
  assert.equal(prettyUnits("dimensionless"), "");
  assert.equal(prettyUnits(""), "");
  assert.equal(prettyUnits(undefined), "");
});

test("formatNumber: plain in [1e-3, 1e4), powers of ten outside", () => {
  const cases = [
    [0, "0"], [1, "1"], [-2.5, "-2.5"], [0.001, "0.001"], [1234.56, "1235"], [9999, "9999"],
    [1e4, "10⁴"], [1e-4, "10⁻⁴"], [-1e4, "−10⁴"], [2.5e-7, "2.5×10⁻⁷"], [6.02e23, "6.02×10²³"],
    [1.0001e10, "10¹⁰"], [0.1 + 0.2, "0.3"],
  ];
  for (const [v, want] of cases) assert.equal(formatNumber(v), want, `formatNumber(${v})`);
});

test("formatNumber never prints a long float tail", () => {
  for (let i = -40; i <= 40; i++) {
    const v = 1.23456789 * 10 ** (i / 4);
    assert.ok(formatNumber(v).length <= 10, `${v} -> ${formatNumber(v)}`);
  }
});

test("formatNumber of non-finite values says so", () => {
  assert.equal(formatNumber(NaN), "NaN");
  assert.equal(formatNumber(Infinity), "∞");
  assert.equal(formatNumber(-Infinity), "−∞");
});
