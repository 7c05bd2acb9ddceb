// The colormap library: every table generated at build time from matplotlib,
// cmyt and yt (ytlite/_generated/colormaps.{json,bin}), as wasm Colormap
// objects made on first use and kept.

export class ColormapLibrary {
  // `index`: {colormaps: {name: {offset, n, bad, under, over}}}; `tables`: Uint8Array
  constructor(px, index, tables) {
    this.px = px;
    this.entries = index.colormaps;
    this.tables = tables;
    this.cache = new Map();
  }

  names() {
    return Object.keys(this.entries).sort((a, b) => a.localeCompare(b));
  }

  has(name) {
    return Object.hasOwn(this.entries, name);
  }

  entry(name) {
    const e = this.entries[name];
    if (!e) throw new Error(`unknown colormap ${JSON.stringify(name)}`);
    return e;
  }

  // RGBA bytes of the table (4 per entry).
  table(name) {
    const e = this.entry(name);
    return this.tables.subarray(e.offset, e.offset + 4 * e.n);
  }

  // The wasm Colormap (bad / under / over colours set as matplotlib's).
  get(name) {
    if (!this.cache.has(name)) {
      const e = this.entry(name);
      const cmap = new this.px.Colormap(this.table(name));
      cmap.setBad(...e.bad);
      cmap.setUnder(...e.under);
      cmap.setOver(...e.over);
      this.cache.set(name, cmap);
    }
    return this.cache.get(name);
  }

  // "viridis" <-> "viridis_r", if the other one exists.
  reversed(name) {
    const other = name.endsWith("_r") ? name.slice(0, -2) : `${name}_r`;
    return this.has(other) ? other : null;
  }

  // Names matching a search string (case-insensitive; all when empty).
  search(query) {
    const q = query.trim().toLowerCase();
    return this.names().filter((n) => n.toLowerCase().includes(q));
  }

  free() {
    for (const c of this.cache.values()) c.free();
    this.cache.clear();
  }
}
