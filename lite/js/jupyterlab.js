// The site's JupyterLab extension (a thin host, for JupyterLite's lab and
// notebook apps): when the notebook a visitor opens is their saved copy of
// an older version of the site's notebook, a notice says so, with one click
// to get the site's version (the copy kept beside it, core/freshness.js).
// Bundled by build.py as a prebuilt federated extension: a container
// (window._JUPYTERLAB[name] with init/get, the protocol JupyterLab loads
// extensions by) around one plugin that imports nothing from JupyterLab, so
// it needs no share scope and no @jupyterlab/builder.

import { isStaleCopy, mineName, SHIPPED_LIST, staleMessage } from "./core/freshness.js";

const NAME = "ytlite-site";  // = package.json's name (build.py writes both)
const TAKE = "ytlite:take-site-version";

async function shippedList(app) {
  const url = new URL(SHIPPED_LIST, new URL(app.serviceManager.serverSettings.baseUrl, location.href));
  try {
    const response = await fetch(url, { cache: "no-store" });
    return response.ok ? await response.json() : null;
  } catch {
    return null;  // a site without the list (an older build): nothing to say
  }
}

async function takenNames(contents, path) {
  const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "";
  const listing = await contents.get(dir, { content: true });
  return new Set(listing.content.map((m) => m.path));
}

const plugin = {
  id: `${NAME}:notebook-freshness`,
  description: "Says when a saved notebook is older than the site's, with one click to get the site's version.",
  autoStart: true,
  activate(app) {
    const contents = app.serviceManager.contents;
    const shipped = shippedList(app);
    const checked = new WeakSet();
    const openDocs = new Map();  // path -> the widget showing it (to save it first)

    app.commands.addCommand(TAKE, {
      label: "Get the site's version",
      execute: async ({ path }) => {
        const widget = openDocs.get(path);
        if (widget?.context?.model?.dirty) await widget.context.save();  // nothing of theirs is lost
        const mine = mineName(path, await takenNames(contents, path));
        // the saved copy moves aside; the path then shows the site's file again
        await contents.rename(path, mine);
        if (location.pathname.includes("/notebooks/")) {  // the notebook app, one document a page: this one shows the site's
          const url = new URL(location.href);
          url.searchParams.set("path", path);
          location.assign(url);
        } else {
          await app.commands.execute("docmanager:open", { path });
        }
      },
    });

    async function check(widget) {
      const context = widget?.context;
      if (!context || checked.has(widget) || !context.path.endsWith(".ipynb")) return;
      checked.add(widget);
      await context.ready;
      const list = await shipped;
      const path = context.path;
      const stale = isStaleCopy(path, context.model.toJSON(), list);
      document.body.dataset.ytliteChecked = path;  // (what the browser tests wait for)
      if (!stale) return;
      openDocs.set(path, widget);
      const mine = mineName(path, await takenNames(contents, path));
      await app.commands.execute("apputils:notify", {
        message: staleMessage(path, mine),
        type: "warning",
        options: { autoClose: false, actions: [{ label: "Get the site's version", commandId: TAKE, args: { path } }] },
      });
    }

    const checkCurrent = () => check(app.shell.currentWidget).catch((e) => console.warn("ytlite:", e));
    app.shell.currentChanged?.connect(checkCurrent);
    app.restored.then(checkCurrent);
  },
};

globalThis._JUPYTERLAB = globalThis._JUPYTERLAB || {};
globalThis._JUPYTERLAB[NAME] = {
  init: () => {},
  get: async (module) => {
    if (module !== "./extension") throw new Error(`${NAME} has no module ${module}`);
    return () => ({ __esModule: true, default: [plugin] });
  },
};
