// Tick values for axes and colorbars. Pure functions: where a tick is drawn
// on a colorbar is the normalization's business (the wasm `positions`), so
// that a tick sits exactly where the image puts its value.

// Round tick values for a linear range lo..hi, about `target` of them.
export function niceTicks(lo, hi, target = 5) {
  const span = hi - lo;
  if (!(span > 0) || !Number.isFinite(span)) return [lo];
  const raw = span / Math.max(1, target);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => span / s <= target + 1) || 10 * mag;
  const ticks = [];
  for (let i = Math.ceil(lo / step); i * step <= hi + step * 1e-9; i++) {
    const v = i * step;
    ticks.push(Math.abs(v) < step * 1e-9 ? 0 : Number(v.toPrecision(12)));
  }
  return ticks;
}

// Ticks for an axis `lengthPx` long whose labels do not overlap;
// `labelWidth(v)` is the width of a label in px (horizontal axes), vertical
// axes need `rowPx` per label.
export function axisTicks(lo, hi, lengthPx, horizontal, labelWidth, rowPx = 16) {
  for (let target = Math.max(2, Math.floor(lengthPx / (horizontal ? 80 : 40))); ; target--) {
    const ticks = niceTicks(lo, hi, target);
    const room = horizontal ? Math.max(...ticks.map(labelWidth)) + 10 : rowPx;
    if (target <= 1 || room * ticks.length <= lengthPx) return ticks;
  }
}

// Every `stride`-th decade so that at most `most` remain.
function thin(decades, most) {
  const every = Math.max(1, Math.ceil(decades.length / most));
  return decades.filter((_, i) => i % every === 0);
}

function decadesBetween(lo, hi) {
  const a = Math.ceil(Math.log10(lo) - 1e-9), b = Math.floor(Math.log10(hi) + 1e-9);
  const out = [];
  for (let e = a; e <= b; e++) out.push(e);
  return out;
}

// Log scale (0 < lo <= hi): powers of ten, at most `most`; a range within
// one decade gets round linear ticks instead.
export function logTicks(lo, hi, most = 7) {
  if (!(lo > 0 && hi >= lo)) return [];
  const decades = decadesBetween(lo, hi);
  if (decades.length >= 3) return thin(decades, most).map((e) => 10 ** e);
  // a decade or two: 1, 2 and 5 times the powers of ten in range
  const ticks = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const v = Number((m * 10 ** e).toPrecision(12));
      if (v >= lo * (1 - 1e-12) && v <= hi * (1 + 1e-12)) ticks.push(v);
    }
  }
  return ticks.length >= 2 ? ticks : niceTicks(lo, hi, 4).filter((v) => v > 0);
}

// Symmetric log scale: 0 (when in range), ±10ᵏ for the decades at or above
// linthresh on each side, thinned alike on both sides so the labels read
// symmetrically; round linear ticks when no decade falls in range.
export function symlogTicks(lo, hi, linthresh, most = 9) {
  if (!(hi >= lo) || !(linthresh > 0)) return [];
  const pos = hi >= linthresh ? decadesBetween(Math.max(lo, linthresh), hi) : [];
  const neg = -lo >= linthresh ? decadesBetween(Math.max(-hi, linthresh), -lo) : [];
  if (pos.length + neg.length === 0) return niceTicks(lo, hi, 5);
  // the same decades on both sides: every stride-th counted from the top one
  const top = Math.max(...pos, ...neg);
  const stride = Math.max(1, Math.ceil((pos.length + neg.length) / Math.max(1, most - 1)));
  const keep = (e) => (top - e) % stride === 0;
  return [
    ...neg.filter(keep).reverse().map((e) => -(10 ** e)),
    ...(lo <= 0 && hi >= 0 ? [0] : []),
    ...pos.filter(keep).map((e) => 10 ** e),
  ];
}

// Tick values for a colorbar of the given scale and limits.
export function colorbarTicks(scale, vmin, vmax, linthresh) {
  if (scale === "log") return logTicks(vmin, vmax);
  if (scale === "symlog") return symlogTicks(vmin, vmax, linthresh);
  return niceTicks(vmin, vmax, 5);
}

// Keep the ticks whose position (0..1 along a bar `lengthPx` long) is on
// the bar, dropping any closer than `minGapPx` to the one kept before it.
export function placeTicks(values, positions, lengthPx, minGapPx = 12) {
  const out = [];
  let last = -Infinity;
  values.forEach((value, i) => {
    const u = positions[i];
    if (!(u >= -1e-9 && u <= 1 + 1e-9)) return;
    const px = Math.min(1, Math.max(0, u)) * lengthPx;
    if (px - last < minGapPx) return;
    out.push({ value, u: Math.min(1, Math.max(0, u)) });
    last = px;
  });
  return out;
}
