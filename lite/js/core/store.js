// A tiny state store with the anywidget model's shape (get / set / on /
// off / save_changes), so the viewer runs the same with no Python at all
// (the plain page) as inside a notebook widget.

export function createStore(initial = {}) {
  const state = { ...initial };
  const listeners = new Map(); // "change:name" -> Set(callback)
  return {
    get: (name) => state[name],
    set(name, value) {
      const changes = typeof name === "object" ? name : { [name]: value };
      for (const [k, v] of Object.entries(changes)) {
        if (Object.is(state[k], v)) continue;
        state[k] = v;
        for (const cb of listeners.get(`change:${k}`) ?? []) cb();
      }
    },
    on(event, cb) {
      for (const name of event.split(" ")) {
        if (!listeners.has(name)) listeners.set(name, new Set());
        listeners.get(name).add(cb);
      }
    },
    off(event, cb) {
      for (const name of event.split(" ")) listeners.get(name)?.delete(cb);
    },
    save_changes() {},
    send() {},
    snapshot: () => ({ ...state }),
  };
}
