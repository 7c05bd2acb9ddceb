// The kernel's JavaScript (ytlite/_generated/slicefile.js, the global
// ytliteSlicefile in the worker): the front end's reader, one set of checks
// and messages with the kiosk, and the site's files read by HTTP ranges.

export * from "./core/slicefile.js";
export { free, heapThatHangsBy, rangeFile, rangeProbe, syncRange } from "./core/rangefile.js";
