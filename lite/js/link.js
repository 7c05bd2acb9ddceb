// The anywidget host of ytlite.link (ytlite._linking.ViewerLink): keeps the
// named traits of several viewers' models equal, in the browser, so that
// dragging one moves the others with no kernel round trip. Bundled by
// esbuild into ytlite/_generated/link.js.

// Links `models` on `names`: a change of one model's trait is set on the
// others (set, not save: each viewer tells the kernel itself, after drawing,
// and marks the change as local with "ytlite:local-change"). A change made
// while passing one on is not passed back (no echo). -> unlink()
export function linkModels(models, names) {
  let updating = false;
  const handlers = [];
  for (const source of models) {
    for (const name of names) {
      const fn = () => {
        if (updating) return;
        updating = true;
        try {
          for (const target of models) {
            if (target === source) continue;
            target.set(name, source.get(name));
            target.trigger("ytlite:local-change", name);
          }
        } finally {
          updating = false;
        }
      };
      source.on(`change:${name}`, fn);
      handlers.push([source, name, fn]);
    }
  }
  return () => { for (const [m, name, fn] of handlers) m.off(`change:${name}`, fn); };
}

export default {
  async initialize({ model }) {
    const ids = model.get("viewers").map((ref) => ref.replace(/^IPY_MODEL_/, ""));
    const models = await Promise.all(ids.map((id) => model.widget_manager.get_model(id)));
    return linkModels(models, model.get("names"));
  },
};
