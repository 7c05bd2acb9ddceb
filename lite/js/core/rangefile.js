// A file of the site read by h5wasm in the kernel's Web Worker without a
// copy: a node of h5wasm's FS whose reads are synchronous HTTP range requests
// (allowed in a worker) for the bytes HDF5 asks for, a few small blocks
// cached. The kernel's h5wasm then never holds the file: only the block
// cache and the values being read (issue 17). Used where the server says it
// serves ranges (Accept-Ranges: bytes, no Content-Encoding, the expected
// length); elsewhere the kernel copies the file in (slicefile.js's fsFile).

import { globalHeapThatHangs } from "./conventions.js";
import { SliceFileError } from "./slicefile.js";
import { free } from "./buffers.js";

const BLOCK = 1 << 20; // bytes fetched at a time for small reads (HDF5's metadata, compressed chunks)
const BLOCKS = 8; // blocks kept (least recently used dropped)
const WINDOW = 8 << 20; // bytes scanned at a time for the global heap check
const FS_FILES = Symbol.for("ytlite.fsFiles"); // (slicefile.js's numbering of FS names, shared)
const EIO = 29;

export { free }; // (the kernel's bundle, lite/js/kernel.js, takes it from here)

// One synchronous GET of bytes [start, end) of `url` -> Uint8Array; throws a
// SliceFileError saying what the server did instead. `expect`: the response's
// validators (ETag, Last-Modified) when known: another value is another file.
export function syncRange(url, start, end, size, expect = null) {
  const xhr = new XMLHttpRequest();
  xhr.open("GET", url, false);
  xhr.responseType = "arraybuffer";
  xhr.setRequestHeader("Range", `bytes=${start}-${end - 1}`);
  try {
    xhr.send();
  } catch (e) {
    throw new SliceFileError(`the request for bytes ${start}-${end - 1} failed (${e?.message ?? e})`);
  }
  const got = xhr.response?.byteLength ?? 0;
  const range = xhr.getResponseHeader("Content-Range") ?? "";
  if (xhr.status !== 206 || got !== end - start || range !== `bytes ${start}-${end - 1}/${size}`) {
    throw new SliceFileError(`the server answered ${xhr.status} ${xhr.statusText} with ${got} bytes`
      + ` (${range || "no Content-Range"}) to a request for bytes ${start}-${end - 1} of ${size}`);
  }
  if (expect) {
    for (const [header, value] of Object.entries(expect)) {
      const now = xhr.getResponseHeader(header);
      if (value && now && now !== value) throw new SliceFileError(`the site's copy changed (its ${header} was ${value}, now ${now})`);
    }
  }
  return new Uint8Array(xhr.response);
}

// Whether `url` can be read by ranges: a HEAD request -> {etag, lastModified} or null.
export function rangeProbe(url, size) {
  const xhr = new XMLHttpRequest();
  try {
    xhr.open("HEAD", url, false);
    xhr.setRequestHeader("Cache-Control", "no-cache"); // (the server's answer now, not a cached one)
    xhr.send();
  } catch {
    return null;
  }
  const length = Number(xhr.getResponseHeader("Content-Length"));
  const ranges = /\bbytes\b/i.test(xhr.getResponseHeader("Accept-Ranges") ?? "");
  if (xhr.status !== 200 || !ranges || xhr.getResponseHeader("Content-Encoding") || length !== size) return null;
  return { ETag: xhr.getResponseHeader("ETag"), "Last-Modified": xhr.getResponseHeader("Last-Modified") };
}

// The file at `url` (`size` bytes) as a read-only node of h5wasm's FS -> the
// file {path, unreachable, requests, fetched, heapThatHangs()}: `unreachable` says why a
// read failed (HDF5 then sees an I/O error and says the file is damaged: the
// caller gives this reason instead). `get(start, end)`: the fetch (tests);
// `heapChecked`: the global heap check was passed by this same file already.
export function rangeFile(h5wasm, url, size, name, { expect = null, get = null, block = BLOCK, blocks = BLOCKS, heapChecked = false } = {}) {
  const FS = h5wasm.FS;
  FS[FS_FILES] = (FS[FS_FILES] ?? 0) + 1;
  const path = `/ytlite-${FS[FS_FILES]}-${String(name).replace(/[^A-Za-z0-9_.-]/g, "_")}`;
  const fetchRange = get ?? ((start, end) => syncRange(url, start, end, size, expect));
  const cache = new Map(); // block index -> bytes (Map order: least recently used first)
  const file = { path, expect, unreachable: null, requests: 0, fetched: 0 };
  const fetchBytes = (start, end) => {
    file.requests += 1;
    file.fetched += end - start;
    try {
      return fetchRange(start, end);
    } catch (e) {
      file.unreachable ??= String(e?.message ?? e);
      throw e;
    }
  };
  const blockAt = (i) => {
    let bytes = cache.get(i);
    if (bytes) {
      cache.delete(i);
    } else {
      bytes = fetchBytes(i * block, Math.min(size, (i + 1) * block));
      if (cache.size >= blocks) {
        const oldest = cache.keys().next().value;
        free(cache.get(oldest));
        cache.delete(oldest);
      }
    }
    cache.set(i, bytes);
    return bytes;
  };
  // bytes [start, end) into `into` (a Uint8Array of that length)
  const readInto = (into, start, end) => {
    if (end - start >= 2 * block) { // (a big read: one request, nothing cached)
      const bytes = fetchBytes(start, end);
      into.set(bytes);
      free(bytes);
      return;
    }
    for (let at = start; at < end;) {
      const i = Math.floor(at / block), bytes = blockAt(i);
      const from = at - i * block, count = Math.min(end - at, bytes.length - from);
      into.set(bytes.subarray(from, from + count), at - start);
      at += count;
    }
  };
  const node = FS.createFile("/", path.slice(1), {}, true, false);
  node.contents = null;
  Object.defineProperty(node, "usedBytes", { get: () => size });
  node.stream_ops = {
    ...node.stream_ops,
    read(stream, buffer, offset, length, position) {
      if (position >= size) return 0;
      const end = Math.min(size, position + length);
      try {
        readInto(new Uint8Array(buffer.buffer, buffer.byteOffset + offset, end - position), position, end);
      } catch {
        throw new FS.ErrnoError(EIO); // (HDF5 says it could not read; file.unreachable says why)
      }
      return end - position;
    },
    write() { throw new FS.ErrnoError(EIO); },
    mmap() { throw new FS.ErrnoError(EIO); },
  };
  file.heapThatHangs = heapChecked ? () => null : () => heapThatHangsBy((start, end) => {
    const out = new Uint8Array(end - start);
    readInto(out, start, end);
    return out;
  }, size);
  node.heapThatHangs = file.heapThatHangs;
  file.discard = () => { try { FS.unlink(path); } catch { /* already gone */ } file.freeCache(); };
  file.freeCache = () => { for (const bytes of cache.values()) free(bytes); cache.clear(); };
  return file;
}

// conventions.globalHeapThatHangs of a file of `size` bytes read by
// `read(start, end)`, a window at a time: each global heap collection found is
// checked on its own bytes, which is what the whole file's check looks at.
export function heapThatHangsBy(read, size, window = WINDOW) {
  for (let w = 0; w < size; w += window) {
    const bytes = read(w, Math.min(size, w + window + 3)); // (+3: a signature across the edge)
    const hang = windowHang(bytes, w, window, size, read);
    free(bytes);
    if (hang !== null) return hang;
  }
  return null;
}

// The size of the global heap collection whose 16-byte header `head` is at byte `at` of a file of
// `size` bytes, or 0 when it is none HDF5 would read as one (conventions.globalHeapThatHangs's test).
export function collectionSize(head, at, size) {
  let csize = 0;
  for (let k = 15; k >= 8; k--) csize = csize * 256 + head[k];
  return head[4] === 1 && csize >= 4096 && csize <= size - at ? csize : 0;
}

function windowHang(bytes, w, window, size, read) {
  for (let i = bytes.indexOf(0x47); i >= 0 && i < window && i + 3 < bytes.length; i = bytes.indexOf(0x47, i + 1)) {
    if (bytes[i + 1] !== 0x43 || bytes[i + 2] !== 0x4f || bytes[i + 3] !== 0x4c) continue;
    const at = w + i;
    if (at + 16 > size) continue;
    const csize = collectionSize(i + 16 <= bytes.length ? bytes.subarray(i, i + 16) : read(at, at + 16), at, size);
    if (!csize) continue;
    const hang = globalHeapThatHangs(i + csize <= bytes.length ? bytes.subarray(i, i + csize) : read(at, at + csize));
    if (hang !== null) return at + hang;
  }
  return null;
}
