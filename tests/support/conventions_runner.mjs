// Runs lite/js/core/conventions.js on cases read as JSON from stdin:
// [[rule, [args...]], ...] -> [result, ...] on stdout (tests/test_conventions.py
// runs the same cases through ytlite/_conventions.py). Non-finite numbers
// travel as {"$num": "NaN" | "Infinity" | "-Infinity"} both ways; typed
// arrays come back as plain arrays.
import * as conventions from "../../lite/js/core/conventions.js";

const decode = (v) => {
  if (Array.isArray(v)) return v.map(decode);
  if (v && typeof v === "object") {
    if ("$num" in v) return Number(v.$num);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decode(x)]));
  }
  return v;
};
const encode = (v) => {
  if (typeof v === "number" && !Number.isFinite(v)) return { $num: String(v) };
  if (ArrayBuffer.isView(v)) return Array.from(v, encode);
  if (Array.isArray(v)) return v.map(encode);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, encode(x)]));
  return v;
};

let input = "";
for await (const chunk of process.stdin) input += chunk;
const out = decode(JSON.parse(input)).map(([rule, args]) => {
  const value = conventions[rule];
  if (value === undefined) return { error: `no rule ${rule} in conventions.js` };
  try {
    return { value: encode(typeof value === "function" ? value(...args) : value) };
  } catch (e) {
    return { error: String(e?.message ?? e) };
  }
});
process.stdout.write(JSON.stringify(out));
