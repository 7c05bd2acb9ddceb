// The kernel's JavaScript (ytlite/_generated/slicefile.js, the global
// ytliteSlicefile in the worker): the front end's reader, one set of checks
// and messages with the kiosk, and the site's files read by HTTP ranges: a
// piece at a time as the page reads them (openSlice, awaited by Python's
// run_sync), else by synchronous requests (rangefile.js).

export * from "./core/slicefile.js";
export { openSlice } from "./core/fetchfile.js";
export { free, heapThatHangsBy, rangeFile, rangeProbe, syncRange } from "./core/rangefile.js";

// fn(...args) for Python to wait on: its value, or for a promise (a paged
// file's reads fetch first) a promise that never rejects, of {ok, value} or
// {ok: false, error}; Python's run_sync awaits it and `rethrow`s the error.
// (A rejected promise handed to Pyodide is reported as the cell's error even
// once run_sync has raised it and Python has caught it.)
export function outcome(fn, ...args) {
  let value;
  try {
    value = fn(...args);
  } catch (error) {
    return { ok: false, error };
  }
  return value instanceof Promise ? value.then((v) => ({ ok: true, value: v }), (error) => ({ ok: false, error }))
    : { ok: true, value };
}

export function rethrow(error) {
  throw error;
}
