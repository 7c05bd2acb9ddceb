// Getting a slice file's bytes into h5wasm's in-memory FS in the page, with
// progress and without a second whole copy: a streamed fetch whose chunks
// land in a FS file preallocated to the announced length (the kiosk, and
// the widget for files shipped with the site), or a file kept in the
// browser's storage by JupyterLite (uploaded, dropped, written by Python),
// decoded from its base64 a piece at a time. And h5wasm itself, loaded once
// per page from the site when first needed.

import { formatBytes } from "./conventions.js";
import { blobSource, pagedFile, rangeSource } from "./pagedfile.js";
import { fsFile, openPagedSliceFile, openSliceFile, SliceFileError } from "./slicefile.js";

const MB = 1e6;

// Bytes of memory the device has, as the browser says (navigator.deviceMemory:
// GiB, rounded down; Chromium's, up to 16 here), else null: the most a file
// in the page (streamToFS) and a slice's arrays (slicefile.js's loadSlice,
// `available`) may take.
export function deviceBytes() {
  const gib = globalThis.navigator?.deviceMemory;
  return gib > 0 ? gib * 2 ** 30 : null;
}

// "Reading NAME: 45 of 300 MB" (whole MB from 10 MB up, else one decimal);
// without a known total: "Reading NAME: 45 MB".
export function progressText(name, received, total = 0) {
  const big = Math.max(received, total) >= 10 * MB;
  const mb = (bytes) => (big ? String(Math.round(bytes / MB)) : (bytes / MB).toFixed(1));
  return total > 0 ? `Reading ${name}: ${mb(Math.min(received, total))} of ${mb(total)} MB`
    : `Reading ${name}: ${mb(received)} MB`;
}

// A response's body into h5wasm's FS as it arrives -> the FS path.
// `onProgress(received, total)` after each chunk; `size`: the expected
// length when the caller knows it better than the response (its
// Content-Length is absent, or counts compressed bytes).
export async function streamToFS(h5wasm, response, name, { onProgress = null, size = 0, limit = deviceBytes() } = {}) {
  const announced = Number(response.headers.get("Content-Length")) || 0;
  const encoded = !!response.headers.get("Content-Encoding"); // (Content-Length then counts the compressed bytes)
  const total = size || (encoded ? 0 : announced);
  // (a file bigger than the device: refused before its first byte, or as soon as it grows past it)
  const tooBig = (bytes) => limit !== null && bytes > limit && new SliceFileError(
    `${name}: ${formatBytes(bytes)}${bytes === total ? "" : " and more"}, more than the ${formatBytes(limit)} of memory this device has; `
    + "make a smaller file with `ytlite extract` and a sub-region (--region x0,x1,y0,y1) or fewer --fields");
  if (tooBig(total)) {
    response.body?.cancel().catch(() => {});
    throw tooBig(total);
  }
  const file = fsFile(h5wasm, name, total);
  try {
    if (!response.body) { // (no streams: the whole body at once)
      file.write(new Uint8Array(await response.arrayBuffer()));
      if (tooBig(file.written)) throw tooBig(file.written);
    } else {
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        file.write(value);
        if (tooBig(file.written)) {
          reader.cancel().catch(() => {});
          throw tooBig(file.written);
        }
        onProgress?.(file.written, total);
      }
    }
    if (total && file.written < total) {
      throw new Error(`${name}: the download stopped after ${file.written} of ${total} bytes`);
    }
    onProgress?.(file.written, total || file.written);
    return file.finish();
  } catch (err) {
    file.discard();
    throw err;
  }
}

// Fetch `url` into h5wasm's FS -> the FS path; a failure says what happened.
export async function fetchToFS(h5wasm, url, name, options = {}) {
  let response;
  try {
    response = await fetch(url);
  } catch (err) {
    throw new Error(`${name}: could not be fetched (${err?.message ?? err}) from ${url}`);
  }
  if (!response.ok) throw new Error(`${name}: ${response.status} ${response.statusText} (${url})`);
  return streamToFS(h5wasm, response, name, options);
}

// The slice file at `url`, or a File the user gave, opened in h5wasm -> an
// open SliceFile (slicefile.js; loadSlice reads it). Read a piece at a time
// where that can be (pagedfile.js: a File; a server that answers a range
// request with its range): the page then never holds the whole file, only
// its metadata and the slice of values being read. Else (a server that sends
// the whole file) streamed into the FS (streamToFS, `options` for it).
// `options.size`: the length the file must have; `options.expect`: the
// validators (ETag, Last-Modified) of an earlier read of the same URL, which
// must not have changed. An error of the source, not of the file (a failed
// request, another length, a changed file), carries `unreachable`: why.
export async function openSlice(h5wasm, what, name, options = {}) {
  if (typeof Blob !== "undefined" && what instanceof Blob) {
    const paged = pagedFile(h5wasm, blobSource(what), what.size, name, { onProgress: options.onProgress });
    return openPagedSliceFile(h5wasm, paged, name);
  }
  const unreachable = (message, why = message) => Object.assign(new SliceFileError(`${name}: ${message}`), { unreachable: why });
  let response;
  try {
    response = await fetch(what, { headers: { Range: `bytes=0-${PROBE - 1}` } });
  } catch (err) {
    throw unreachable(`could not be fetched (${err?.message ?? err}) from ${what}`);
  }
  for (const [header, value] of Object.entries(options.expect ?? {})) {
    const now = response.headers.get(header);
    if (value && now && now !== value) {
      response.body?.cancel().catch(() => {});
      throw unreachable(`the site's copy changed (its ${header} was ${value}, now ${now})`);
    }
  }
  const whole = /^bytes 0-(\d+)\/(\d+)$/.exec(response.headers.get("Content-Range") ?? "");
  if (response.status === 206 && whole && !response.headers.get("Content-Encoding")) {
    const size = Number(whole[2]);
    if (options.size && size !== options.size) {
      response.body?.cancel().catch(() => {});
      throw unreachable(`the site's copy has ${size} bytes, not the ${options.size} expected (${what})`);
    }
    const first = new Uint8Array(await response.arrayBuffer());
    if (first.length !== Math.min(size, PROBE) || Number(whole[1]) !== first.length - 1) {
      throw unreachable(`the server sent ${first.length} bytes for bytes 0-${whole[1]} (${what})`);
    }
    const expect = { ETag: response.headers.get("ETag"), "Last-Modified": response.headers.get("Last-Modified") };
    const paged = pagedFile(h5wasm, rangeSource(what, size, expect), size, name, { first, onProgress: options.onProgress });
    paged.expect = expect; // (a later read of the same URL checks them: openSlice's options.expect)
    return openPagedSliceFile(h5wasm, paged, name);
  }
  // (a range it cannot be read by, compressed or of another shape, or none at all: an empty file's 416)
  if (response.status === 206 || response.status === 416) {
    response.body?.cancel().catch(() => {});
    return openSliceFile(h5wasm, await fetchToFS(h5wasm, what, name, options), name);
  }
  if (!response.ok) throw unreachable(`${response.status} ${response.statusText} (${what})`);
  return openSliceFile(h5wasm, await streamToFS(h5wasm, response, name, options), name);
}
const PROBE = 1 << 20; // bytes asked for first: where HDF5's metadata mostly is

// base64 text -> h5wasm's FS, a piece at a time (the decoded bytes are
// never held twice) -> the FS path.
export function base64ToFS(h5wasm, text, name, { onProgress = null } = {}) {
  const clean = text.replace(/\s+/g, "");
  const size = Math.floor((clean.length * 3) / 4) - (clean.endsWith("==") ? 2 : clean.endsWith("=") ? 1 : 0);
  const file = fsFile(h5wasm, name, size);
  try {
    const PIECE = 4 * (1 << 20); // characters: a multiple of 4, so each piece decodes alone
    for (let start = 0; start < clean.length; start += PIECE) {
      const binary = atob(clean.slice(start, start + PIECE));
      const bytes = new Uint8Array(binary.length);
      for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
      file.write(bytes);
      onProgress?.(file.written, size);
    }
    return file.finish();
  } catch (err) {
    file.discard();
    throw err.name === "InvalidCharacterError" ? new Error(`${name}: the stored file is not valid base64`) : err;
  }
}

// The site's root URL on a JupyterLite page (its jupyter-config-data, as
// JupyterLite's PageConfig has it), or null on any other page.
export function siteRoot(doc = globalThis.document) {
  const el = doc?.getElementById?.("jupyter-config-data");
  if (!el) return null;
  try {
    const base = JSON.parse(el.textContent).baseUrl;
    return base ? new URL(base, doc.location.href) : null;
  } catch {
    return null;
  }
}

// h5wasm (5.7 MB of script with its wasm inside): one classic <script> per
// page, from the site (never the network beyond it), awaited when needed.
const H5WASM = Symbol.for("ytlite.h5wasm");

export function loadH5wasm(url) {
  if (!globalThis[H5WASM]) {
    globalThis[H5WASM] = new Promise((resolve, reject) => {
      if (globalThis.h5wasm?.ready) { globalThis.h5wasm.ready.then(() => resolve(globalThis.h5wasm), reject); return; }
      const script = Object.assign(document.createElement("script"), { src: String(url), async: true });
      script.onload = () => globalThis.h5wasm.ready.then(() => resolve(globalThis.h5wasm), reject);
      script.onerror = () => reject(new Error(`the HDF5 reader (${url}) could not be loaded`));
      document.head.append(script);
    }).catch((err) => {
      delete globalThis[H5WASM]; // (tried again next time)
      throw err;
    });
  }
  return globalThis[H5WASM];
}
