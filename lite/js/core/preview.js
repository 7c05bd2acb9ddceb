// Previews while the view moves, when the exact image of each view costs
// more than a frame: the image of a view made, nearest pixel, from exact
// images of other views the viewer already has (the newest one, and the one
// that showed the most of the data), the finest one wherever several cover
// a pixel; NaN (the "bad" colour) where none does. A preview is only ever
// shown while the exact image of its view is being made (core/pipeline.js).
//
// Pixel grids as everywhere here: image row 0 at y_min, pixel (i, j) spans
// [x0 + j dx, x0 + (j + 1) dx] x [y0 + i dy, y0 + (i + 1) dy].

const area = ([x0, x1, y0, y1]) => (x1 - x0) * (y1 - y0);

export class PreviewSource {
  constructor() {
    this.newest = null; // {view, width, height, values}
    this.widest = null;
  }

  // An exact image (its values are kept, not copied: do not change them).
  remember(view, width, height, values) {
    const image = { view: [...view], width, height, values };
    this.newest = image;
    if (!this.widest || area(view) >= area(this.widest.view)) this.widest = image;
  }

  clear() {
    this.newest = this.widest = null;
  }

  has() {
    return this.newest !== null;
  }

  // Fill `out` (Float64Array width*height) with the preview of `view`;
  // false when no image is remembered.
  render(view, width, height, out) {
    const sources = [this.newest, this.widest].filter((s, i, all) => s && all.indexOf(s) === i);
    if (sources.length === 0) return false;
    // finest pixels first
    sources.sort((a, b) => area(a.view) / (a.width * a.height) - area(b.view) / (b.width * b.height));
    const [x0, x1, y0, y1] = view;
    const dx = (x1 - x0) / width, dy = (y1 - y0) / height;
    const maps = sources.map((s) => {
      const sdx = (s.view[1] - s.view[0]) / s.width;
      const cols = new Int32Array(width);
      for (let j = 0; j < width; j++) {
        const c = Math.floor((x0 + (j + 0.5) * dx - s.view[0]) / sdx);
        cols[j] = c >= 0 && c < s.width ? c : -1;
      }
      return { s, cols, sdy: (s.view[3] - s.view[2]) / s.height };
    });
    const filled = new Uint8Array(width);
    out.fill(NaN);
    for (let i = 0; i < height; i++) {
      filled.fill(0);
      const y = y0 + (i + 0.5) * dy;
      const row = i * width;
      for (const { s, cols, sdy } of maps) {
        const r = Math.floor((y - s.view[2]) / sdy);
        if (!(r >= 0 && r < s.height)) continue;
        const src = s.values, base = r * s.width;
        for (let j = 0; j < width; j++) {
          const c = cols[j];
          if (c < 0 || filled[j]) continue;
          out[row + j] = src[base + c];
          filled[j] = 1;
        }
      }
    }
    return true;
  }
}
