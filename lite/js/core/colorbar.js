// Colorbar pixels: the colormap's own table, entry N - 1 at the top, one
// entry per row band, as matplotlib's colorbar draws it.

// RGBA of a `width` x `height` bar for an N-entry table (4 bytes each).
export function colorbarPixels(table, n, width, height) {
  const out = new Uint8ClampedArray(4 * width * height);
  for (let row = 0; row < height; row++) {
    const k = Math.min(n - 1, Math.floor(((height - 1 - row + 0.5) / height) * n));
    const colour = table.subarray(4 * k, 4 * k + 4);
    for (let col = 0; col < width; col++) out.set(colour, 4 * (row * width + col));
  }
  return out;
}
