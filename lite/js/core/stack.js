// A stack of slices along one axis (a ytlite stack: stack.json + one yt
// slice file per depth) as the viewer sees it: `count` depths at `coords`,
// each mesh loaded on first use and kept in a small cache, so moving through
// the depth is instant once a slice has been seen and memory stays bounded.
//
//   const s = stackSource({coords, load: (i, report) => mesh or Promise<mesh>, cacheSize, dispose});
//   s.peek(i)      -> the mesh if loaded, else null
//   s.load(i)      -> Promise<mesh> (one load per depth at a time; errors not cached)
//   s.prefetch(i)  -> start loading the neighbours of i
//   s.pin(i)       -> the mesh shown: never evicted while pinned
//   s.onProgress = (i, text) => ...   what `report(text)` of a load says
//   s.clear()      -> drop (and dispose) every mesh
// `dispose(mesh)` runs for a mesh leaving the cache (e.g. to free its wasm memory).

export function stackSource({ coords, load, cacheSize = 6, dispose = null }) {
  if (!Array.isArray(coords) || coords.length === 0) throw new Error("a stack needs at least one slice");
  const count = coords.length;
  const loaded = new Map(); // depth -> mesh, in order of use (oldest first)
  const pending = new Map(); // depth -> Promise
  let cleared = false; // (a load finishing after clear() is disposed at once)
  const check = (i) => {
    if (!Number.isInteger(i) || i < 0 || i >= count) throw new RangeError(`depth ${i} is outside 0..${count - 1}`);
  };
  let pinned = -1;
  const touch = (i, mesh) => {
    loaded.delete(i);
    loaded.set(i, mesh);
    while (loaded.size > Math.max(1, cacheSize)) {
      const oldest = [...loaded.keys()].find((j) => j !== pinned && j !== i);
      if (oldest === undefined) break;
      const gone = loaded.get(oldest);
      loaded.delete(oldest);
      dispose?.(gone);
    }
  };
  const source = {
    count, coords,
    peek(i) {
      check(i);
      const mesh = loaded.get(i);
      if (mesh) touch(i, mesh);
      return mesh ?? null;
    },
    load(i) {
      check(i);
      if (loaded.has(i)) return Promise.resolve(source.peek(i));
      if (!pending.has(i)) {
        const report = (text) => source.onProgress?.(i, text);
        const p = Promise.resolve().then(() => load(i, report)).then((mesh) => {
          pending.delete(i);
          if (cleared) { dispose?.(mesh); return mesh; }
          touch(i, mesh);
          return mesh;
        }, (err) => {
          pending.delete(i);
          throw err;
        });
        pending.set(i, p);
      }
      return pending.get(i);
    },
    prefetch(i) {
      for (const j of [i + 1, i - 1]) {
        if (j >= 0 && j < count && !loaded.has(j)) source.load(j).catch(() => {}); // (shown when asked for)
      }
    },
    pin(i) {
      check(i);
      pinned = i;
    },
    onProgress: null,
    clear() {
      cleared = true;
      for (const mesh of loaded.values()) dispose?.(mesh);
      loaded.clear();
    },
    cached: () => [...loaded.keys()],
  };
  return source;
}
