// The figure around the image: frame, axis ticks and labels in the chosen
// length unit, the colorbar with its ticks and label. Draws on a 2D canvas.

import { colorbarPixels } from "../core/colorbar.js";
import { formatNumber, prettyUnits } from "../core/format.js";
import { axisTicks, colorbarTicks, placeTicks } from "../core/ticks.js";

const TICK_FONT = "11px system-ui, sans-serif";
const LABEL_FONT = "12px system-ui, sans-serif";
export const MARGIN = { left: 64, right: 16, top: 8, bottom: 44 };
export const COLORBAR = { gap: 14, width: 18, labels: 92 };

// Pixel layout of a figure for a width x height image.
export function figureLayout(width, height) {
  const barLeft = MARGIN.left + width + COLORBAR.gap;
  return {
    width: barLeft + COLORBAR.width + COLORBAR.labels,
    height: MARGIN.top + height + MARGIN.bottom,
    image: { left: MARGIN.left, top: MARGIN.top, width, height },
    bar: { left: barLeft, top: MARGIN.top, width: COLORBAR.width, height },
  };
}

// The resolution (pixels along the view's longer side, as imageSize takes
// it) whose whole figure fits `available` {width, height} (CSS pixels):
// the exhibit's figure fills the screen with a deposit at its own size.
export function fillResolution(available, view, min = 128, max = 4096) {
  const extra = figureLayout(0, 0);
  const w = available.width - extra.width, h = available.height - extra.height;
  const aspect = (view[1] - view[0]) / (view[3] - view[2]); // width / height
  const longer = aspect >= 1 ? Math.min(w, h * aspect) : Math.min(h, w / aspect);
  return Number.isFinite(longer) ? Math.max(min, Math.min(max, Math.floor(longer))) : min;
}

// How much to scale a figure (CSS, not a new deposit) to fit the space it
// has: shrink to the available width (a narrow notebook, a phone), never
// enlarge, except in full screen where it fills the screen (both sides).
// Unknown space (0: not laid out yet) leaves it as it is.
export function fitScale(figure, available, fill = false) {
  const kw = available.width > 0 ? available.width / figure.width : 1;
  const kh = fill && available.height > 0 ? available.height / figure.height : Infinity;
  const k = Math.min(kw, kh);
  if (!Number.isFinite(k) || k <= 0) return 1;
  return fill ? k : Math.min(1, k);
}

// Draws everything but the image. `axes`: {view, unitScale, xLabel, yLabel};
// `bar`: {table, n, scale, limits, positions(values), label} (limits null:
// no colour scale to show).
export function drawFigure(ctx, layout, axes, bar, cache) {
  const { image, bar: b } = layout;
  ctx.clearRect(0, 0, layout.width, layout.height);
  ctx.strokeStyle = "#333";
  ctx.fillStyle = "#222";
  ctx.lineWidth = 1;
  ctx.strokeRect(image.left - 0.5, image.top - 0.5, image.width + 1, image.height + 1);

  const [x0, x1, y0, y1] = axes.view;
  const s = axes.unitScale;
  ctx.font = TICK_FONT;
  const labelWidth = (v) => ctx.measureText(formatNumber(v)).width;
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (const t of axisTicks(x0 * s, x1 * s, image.width, true, labelWidth)) {
    const x = image.left + ((t / s - x0) / (x1 - x0)) * image.width;
    line(ctx, x, image.top + image.height, x, image.top + image.height + 5);
    ctx.fillText(formatNumber(t), x, image.top + image.height + 7);
  }
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (const t of axisTicks(y0 * s, y1 * s, image.height, false, labelWidth)) {
    const y = image.top + image.height - ((t / s - y0) / (y1 - y0)) * image.height;
    line(ctx, image.left - 5, y, image.left, y);
    ctx.fillText(formatNumber(t), image.left - 7, y);
  }
  ctx.font = LABEL_FONT;
  ctx.textAlign = "center";
  ctx.textBaseline = "bottom";
  ctx.fillText(axes.xLabel, image.left + image.width / 2, layout.height - 2);
  ctx.save();
  ctx.translate(12, image.top + image.height / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textBaseline = "middle";
  ctx.fillText(axes.yLabel, 0, 0);
  ctx.restore();

  // Colorbar: the colormap's own table, top = vmax. Its pixels depend only
  // on the colormap and the height: made once per change, not every frame.
  // (drawn as an image, not put as pixels: drawImage follows the context's
  // transform, so a high-DPI figure scales it with the rest)
  const barKey = `${bar.name}/${b.height}`;
  if (cache.barKey !== barKey) {
    cache.barKey = barKey;
    cache.barCanvas = Object.assign(document.createElement("canvas"), { width: b.width, height: b.height });
    cache.barCanvas.getContext("2d").putImageData(
      new ImageData(colorbarPixels(bar.table, bar.n, b.width, b.height), b.width, b.height), 0, 0);
  }
  ctx.imageSmoothingEnabled = false; // (each colour a band of its own)
  ctx.drawImage(cache.barCanvas, b.left, b.top);
  ctx.strokeRect(b.left - 0.5, b.top - 0.5, b.width + 1, b.height + 1);
  let labelsWidth = 0;
  if (bar.limits) {
    // Tick values from the scale, their places from the normalization that
    // shaded the image (wasm), so each tick sits where the image puts it.
    const { vmin, vmax, linthresh } = bar.limits;
    const values = colorbarTicks(bar.scale, vmin, vmax, linthresh);
    ctx.font = TICK_FONT;
    ctx.textAlign = "left";
    ctx.textBaseline = "middle";
    for (const { value, u } of placeTicks(values, bar.positions(values), b.height)) {
      const y = b.top + b.height - u * b.height;
      line(ctx, b.left + b.width, y, b.left + b.width + 4, y);
      ctx.fillText(formatNumber(value), b.left + b.width + 6, y);
      labelsWidth = Math.max(labelsWidth, ctx.measureText(formatNumber(value)).width);
    }
  }
  ctx.font = LABEL_FONT;
  ctx.save();
  ctx.translate(Math.min(layout.width - 8, b.left + b.width + 6 + labelsWidth + 12), b.top + b.height / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  ctx.fillText(bar.label, 0, 0);
  ctx.restore();
}

function line(ctx, x0, y0, x1, y1) {
  ctx.beginPath();
  ctx.moveTo(x0, y0);
  ctx.lineTo(x1, y1);
  ctx.stroke();
}

// "density (g/cm³)"
export function fieldLabel(field, units) {
  const u = prettyUnits(units);
  return u ? `${field} (${u})` : field;
}

// Draws the edges of the cells in view that are at least `minPx` wide on
// screen (smaller ones would paint the picture black), at most `most`.
export function drawMesh(ctx, mesh, view, width, height, minPx = 4, most = 60000) {
  ctx.clearRect(0, 0, width, height);
  const [x0, x1, y0, y1] = view;
  const sx = width / (x1 - x0), sy = height / (y1 - y0);
  const { px, py, pdx, pdy } = mesh;
  ctx.beginPath();
  let drawn = 0;
  for (let i = 0; i < px.length && drawn < most; i++) {
    const w = 2 * pdx[i] * sx, h = 2 * pdy[i] * sy;
    if (w < minPx || h < minPx) continue;
    const left = (px[i] - pdx[i] - x0) * sx, top = (y1 - py[i] - pdy[i]) * sy;
    if (left > width || top > height || left + w < 0 || top + h < 0) continue;
    ctx.rect(Math.round(left) + 0.5, Math.round(top) + 0.5, Math.round(w), Math.round(h));
    drawn++;
  }
  ctx.strokeStyle = "rgba(0, 0, 0, 0.45)";
  ctx.lineWidth = 1;
  ctx.stroke();
  return drawn;
}
