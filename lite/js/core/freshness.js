// Notebooks that never go stale (a site built with storage = "keep"): the
// site builder stamps every notebook it ships with the version it is
// (metadata.ytlite.shipped, a hash of the teacher's file) and lists the
// stamps in ytlite-notebooks.json at the site's root. A visitor's saved copy
// keeps the stamp of the version it was made from, so a copy whose stamp is
// not the site's is older than the site's notebook. Pure functions; the
// JupyterLab host is ../jupyterlab.js. The names are the site builder's
// (ytlite/site/__init__.py: SHIPPED_LIST, SHIPPED_STAMP).

export const SHIPPED_LIST = "ytlite-notebooks.json";

/** The version a notebook (its JSON) was made from, or null (not a site notebook). */
export function shippedStamp(notebook) {
  const stamp = notebook?.metadata?.ytlite?.shipped;
  return typeof stamp === "string" && stamp ? stamp : null;
}

/**
 * Whether the open notebook at `path` is a copy of an older version of the
 * site's notebook: the site ships a notebook at that path (its stamp in
 * `shipped`, the parsed ytlite-notebooks.json) and the open one carries
 * another stamp, or none (a copy made before stamps existed is older too).
 */
export function isStaleCopy(path, notebook, shipped) {
  const current = shipped?.notebooks?.[path];
  if (typeof current !== "string") return false;  // not one the site ships
  return shippedStamp(notebook) !== current;
}

/** Where the visitor's copy of `path` goes so the site's version can take its place: "NAME (mine).ipynb", or "(mine 2)", ... when taken. */
export function mineName(path, taken) {
  const slash = path.lastIndexOf("/");
  const dir = path.slice(0, slash + 1);
  const file = path.slice(slash + 1);
  const dot = file.lastIndexOf(".");
  const [stem, ext] = dot > 0 ? [file.slice(0, dot), file.slice(dot)] : [file, ""];
  for (let k = 1; ; k++) {
    const candidate = `${dir}${stem} (mine${k === 1 ? "" : ` ${k}`})${ext}`;
    if (!taken.has(candidate)) return candidate;
  }
}

/** The notice's words: `mine` is where the visitor's copy would go. */
export function staleMessage(path, mine) {
  const base = (p) => p.slice(p.lastIndexOf("/") + 1);
  return `${base(path)} has changed on the site since you saved your copy. `
    + `Get the site's version, and yours is kept beside it as ${base(mine)}.`;
}
