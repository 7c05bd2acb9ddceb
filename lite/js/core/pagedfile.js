// A big slice file read in the page without ever holding all of it (issue
// 17): a node of h5wasm's FS that holds only the pieces of the file fetched
// so far, from an asynchronous source (the site's copy by HTTP ranges, or a
// file the user gave: Blob.slice). HDF5 reads synchronously, so a read of
// bytes not there fails (EIO) and says what was missing; the caller fetches
// it and runs the same step again (`retry`). Values of contiguous datasets
// (yt's own files) are fetched ahead of HDF5's reads, a slice at a time, and
// dropped once read (`ensure`, `drop`): the file's metadata and the slice
// being read are all that is ever held, where streamToFS holds the file.
//
// Global heaps: HDF5 can read a damaged global heap collection for ever
// (conventions.globalHeapThatHangs). Every piece is scanned for collections
// before HDF5 may read it, each collection found checked on its own bytes
// (fetched when they go past the piece): HDF5 can only read what is here, so
// it never meets one unchecked. (The whole file's check, for a file in the
// FS, also looks at collections in bytes HDF5 never reads.)

import { globalHeapThatHangs } from "./conventions.js";
import { free } from "./buffers.js";
import { collectionSize } from "./rangefile.js";
import { SliceFileError } from "./slicefile.js";

const BLOCK = 1 << 20; // bytes fetched around a read HDF5 missed (its metadata lies in a few places)
// Pieces of values (slicefile.js fetches 4-32 MB at a time: fetchBytesFor) are read into buffers used again once dropped,
// not new ones: a dropped buffer is garbage until the thread's next collection even once detached
// (measured in Chromium: 300 MB fetched in 32 MB ranges into new buffers, each detached once read, left
// +330 MB behind; into one reused one, +6 MB).
const POOLED = 4 << 20; // pieces from this size up go back to the pool
const POOL = 3; // buffers kept (one read, one arriving, one spare)
const MAX_RETRIES = 64; // steps run again after a miss, per step: past that the file is not read so
const FS_FILES = Symbol.for("ytlite.fsFiles"); // (slicefile.js's numbering of FS names, shared)
const EIO = 29;

// source(start, end, buffer) -> Promise<Uint8Array> of bytes [start, end) of a Blob (a file the user
// gave), read into `buffer` when given (as rangeSource: a body read by a BYOB reader).
export function blobSource(blob) {
  return async (start, end, buffer = null) => bodyOf(new Response(blob.slice(start, end)), end - start, buffer);
}

// source(start, end, buffer) of `url` by HTTP ranges (into `buffer`, an ArrayBuffer of at least
// end - start bytes, when given); `expect`: the validators (ETag, Last-Modified) of the file's first
// answer: another value is another file, an error.
export function rangeSource(url, size, expect = {}) {
  return async (start, end, buffer = null) => {
    let response;
    try {
      // (not kept in the browser's HTTP cache: a big file's cached ranges made a later read of the same
      // file slower, not faster: the page's read of a 3.6 GB slice the kernel had read took 37.5 s, 27.8 s
      // with no-store)
      response = await fetch(url, { headers: { Range: `bytes=${start}-${end - 1}` }, cache: "no-store" });
    } catch (e) {
      throw new SliceFileError(`the request for bytes ${start}-${end - 1} failed (${e?.message ?? e})`);
    }
    const range = response.headers.get("Content-Range") ?? "";
    for (const [header, value] of Object.entries(expect ?? {})) {
      const now = response.headers.get(header);
      if (value && now && now !== value) {
        response.body?.cancel().catch(() => {});
        throw new SliceFileError(`the site's copy changed while it was read (its ${header} was ${value}, now ${now})`);
      }
    }
    const bytes = response.status === 206 ? await bodyOf(response, end - start, buffer) : null;
    if (!bytes || bytes.length !== end - start || range !== `bytes ${start}-${end - 1}/${size}`) {
      if (!bytes) response.body?.cancel().catch(() => {});
      throw new SliceFileError(`the server answered ${response.status} ${response.statusText} with ${bytes?.length ?? "other"} bytes`
        + ` (${range || "no Content-Range"}) to a request for bytes ${start}-${end - 1} of ${size}`);
    }
    return bytes;
  };
}

// A response's body (`length` bytes expected) -> Uint8Array: read straight into one buffer where the
// browser can (a BYOB reader), so no piece of it is garbage the page holds until its next collection
// (arrayBuffer() gathers pieces first): `into` (an ArrayBuffer of at least `length` bytes: the file's
// pool, below) or a new one; more bytes than expected: null.
async function bodyOf(response, length, into = null) {
  let reader = null;
  try { reader = response.body?.getReader({ mode: "byob" }); } catch { /* (no byte stream) */ }
  if (!reader) return new Uint8Array(await response.arrayBuffer());
  let buffer = into ?? new ArrayBuffer(length), at = 0;
  while (at < length) {
    const { done, value } = await reader.read(new Uint8Array(buffer, at, length - at));
    if (value) buffer = value.buffer; // (the buffer read into comes back as a new object, done or not)
    if (done) break;
    at += value.length;
  }
  if (at === length) {
    const { done } = await reader.read(new Uint8Array(1));
    if (!done) { reader.cancel().catch(() => {}); return null; }
  }
  return new Uint8Array(buffer, 0, at);
}

// The file (`size` bytes, read by `source`) as a node of h5wasm's FS holding what was fetched ->
// {path, size, fetched (bytes, in all), requests, held (bytes now), unreachable, retry(step),
// ensure(start, end), drop(start, end), discard()}. `first`: bytes [0, first.length) already fetched (a probe's answer);
// `onProgress(fetched, size)` after each fetch.
export function pagedFile(h5wasm, source, size, name, { first = null, block = BLOCK, onProgress = null, pooled = POOLED } = {}) {
  const FS = h5wasm.FS;
  FS[FS_FILES] = (FS[FS_FILES] ?? 0) + 1;
  const path = `/ytlite-${FS[FS_FILES]}-${String(name).replace(/[^A-Za-z0-9_.-]/g, "_")}`;
  const pieces = []; // {start, end, bytes}, sorted, never overlapping
  const misses = []; // [start, end) HDF5 asked for and did not get, since the step began
  const checked = new Set(); // global heap collections checked (their addresses)
  let failure = null; // why the file cannot be read (a fetch failed, a collection that hangs)
  // (`unreachable`: why the source gave no bytes, a request that failed or another file: the file may
  // be readable another way, where a damaged one is not)
  const file = { path, size, fetched: 0, requests: 0, unreachable: null, get held() { return pieces.reduce((s, p) => s + p.bytes.length, 0); } };

  // index of the first piece whose end is past `at`
  const after = (at) => {
    let lo = 0, hi = pieces.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (pieces[mid].end <= at) lo = mid + 1; else hi = mid; }
    return lo;
  };
  // the gaps of [start, end): [[a, b], ...]
  const gaps = (start, end) => {
    const out = [];
    let at = start;
    for (let i = after(start); at < end && i < pieces.length && pieces[i].start < end; i++) {
      if (pieces[i].start > at) out.push([at, pieces[i].start]);
      at = Math.max(at, pieces[i].end);
    }
    if (at < end) out.push([at, end]);
    return out;
  };
  // bytes [start, end) into `into` (all there: checked by the caller)
  const copy = (into, start, end) => {
    for (let i = after(start); i < pieces.length && pieces[i].start < end; i++) {
      const p = pieces[i], a = Math.max(start, p.start), b = Math.min(end, p.end);
      into.set(p.bytes.subarray(a - p.start, b - p.start), a - start);
    }
  };

  const pool = []; // ArrayBuffers of dropped pieces, to read new ones into
  const get = async (start, end) => {
    file.requests += 1;
    let bytes;
    const at = end - start >= pooled ? pool.findIndex((b) => b.byteLength >= end - start) : -1;
    try {
      bytes = await source(start, end, at >= 0 ? pool.splice(at, 1)[0] : null);
    } catch (e) {
      failure ??= file.unreachable = String(e?.message ?? e);
      throw new SliceFileError(`${name}: could not be read (${failure})`);
    }
    if (bytes.length !== end - start) {
      failure ??= file.unreachable = `${bytes.length} bytes came for bytes ${start}-${end - 1}`;
      throw new SliceFileError(`${name}: could not be read (${failure})`);
    }
    file.fetched += bytes.length;
    onProgress?.(file.fetched, size);
    return bytes;
  };
  // every gap of [start, end) fetched, scanned and checked, then put where HDF5 can read it (a gap at a
  // time, looked up afresh: checking one may have fetched bytes of the next)
  const fill = async (start, end) => {
    start = Math.max(0, start);
    end = Math.min(size, end);
    for (let gap; (gap = gaps(start, end)[0]);) {
      if (failure) throw new SliceFileError(`${name}: could not be read (${failure})`);
      const [a, b] = gap;
      const bytes = await get(a, b);
      await checkHeaps(a, bytes);
      pieces.splice(after(a), 0, { start: a, end: b, bytes });
    }
  };
  // fills one after the other (a step's misses, a slice fetched ahead): never two fetches of one gap
  let queue = Promise.resolve();
  let probed = queue; // (the probe's bytes placed: below)
  const serial = (start, end) => {
    const done = queue.then(() => fill(start, end));
    queue = done.catch(() => {});
    return done;
  };
  // Before bytes [a, a + bytes.length) go where HDF5 can read them: every global heap collection whose
  // signature starts in them, or crosses their edges into bytes here, checked on its own bytes (those
  // past the new bytes fetched into the file first, themselves checked the same way). A collection
  // across an edge into bytes not here yet is checked when they come.
  const checkHeaps = async (a, bytes) => {
    const b = a + bytes.length;
    const byteAt = (pos) => {
      if (pos >= a && pos < b) return bytes[pos - a];
      const i = after(pos), p = pieces[i];
      return p && p.start <= pos ? p.bytes[pos - p.start] : -1;
    };
    const isSignature = (pos) => byteAt(pos) === 0x47 && byteAt(pos + 1) === 0x43 && byteAt(pos + 2) === 0x4f && byteAt(pos + 3) === 0x4c;
    // (values hold a 'G' every 256 bytes or so: one not followed by "COL" is let go here, without
    // byteAt's lookups. The scan is most of what is left, ~0.6 ns a byte: a plain loop and a 4-byte
    // word test were no faster in V8)
    const n = bytes.length;
    for (let i = bytes.indexOf(0x47); i >= 0 && i + 3 < n; i = bytes.indexOf(0x47, i + 1)) {
      if (bytes[i + 1] === 0x43 && bytes[i + 2] === 0x4f && bytes[i + 3] === 0x4c) await checkCollection(a + i, a, bytes);
    }
    // (checking may have brought the bytes next to these: the edges looked at until nothing is new)
    for (let fresh = true; fresh;) {
      fresh = false;
      for (const pos of [a - 3, a - 2, a - 1, b - 3, b - 2, b - 1]) {
        if (pos >= 0 && !checked.has(pos) && isSignature(pos)) {
          await checkCollection(pos, a, bytes);
          fresh = true;
        }
      }
    }
  };
  const checkCollection = async (at, a, bytes) => {
    checked.add(at);
    if (at + 16 > size) return;
    const csize = collectionSize(await readAround(at, at + 16, a, bytes), at, size);
    if (!csize) return;
    if (globalHeapThatHangs(await readAround(at, at + csize, a, bytes)) !== null) {
      failure = `global heap at byte ${at} holds an object HDF5 cannot get past (it would read it for ever)`;
      throw new SliceFileError(`${name}: not an HDF5 file, or truncated or damaged (${failure})`);
    }
  };
  // bytes [from, to) from the new bytes (at `a`) and the pieces, what neither holds fetched into the
  // file first (and checked in turn)
  const readAround = async (from, to, a, bytes) => {
    const b = a + bytes.length;
    for (const [x, y] of gaps(from, to)) {
      if (x < a) await fill(x, Math.min(y, a));
      if (y > b) await fill(Math.max(x, b), y);
    }
    const out = new Uint8Array(to - from);
    copy(out, from, to);
    const lo = Math.max(from, a), hi = Math.min(to, b);
    if (lo < hi) out.set(bytes.subarray(lo - a, hi - a), lo - from);
    return out;
  };

  const node = FS.createFile("/", path.slice(1), {}, true, false);
  node.contents = null;
  Object.defineProperty(node, "usedBytes", { get: () => size });
  node.heapThatHangs = () => null; // (checked as each piece arrives, above)
  node.stream_ops = {
    ...node.stream_ops,
    read(stream, buffer, offset, length, position) {
      if (position >= size) return 0;
      const end = Math.min(size, position + length);
      if (gaps(position, end).length) {
        misses.push([position, end]);
        throw new FS.ErrnoError(EIO); // (the step is run again once these bytes are here)
      }
      copy(new Uint8Array(buffer.buffer, buffer.byteOffset + offset, end - position), position, end);
      return end - position;
    },
    write() { throw new FS.ErrnoError(EIO); },
    mmap() { throw new FS.ErrnoError(EIO); },
  };

  Object.assign(file, {
    // `step()` (synchronous: HDF5 reading) run until it read only bytes that were here: after a
    // miss, the blocks around what it missed are fetched and it runs again (`undo(result)` first,
    // when it went through without them: a reader that skips what it cannot read).
    async retry(step, undo = null) {
      // (the probe's bytes in first, or its failure; not the fills queued since, such as the next slice
      // of values fetched ahead while this one is read)
      await probed;
      for (let attempt = 0; ; attempt++) {
        misses.length = 0;
        let result, error = null;
        try { result = step(); } catch (e) { error = e; }
        if (!misses.length || failure) {
          if (error) throw failure ? new SliceFileError(`${name}: could not be read (${failure})`) : error;
          return result;
        }
        if (!error) undo?.(result);
        if (attempt >= MAX_RETRIES) {
          throw new SliceFileError(`${name}: could not be read a piece at a time (HDF5 still missed bytes after ${MAX_RETRIES} fetches)`);
        }
        const wanted = misses.splice(0);
        for (const [start, end] of wanted) await serial(Math.floor(start / block) * block, Math.ceil(end / block) * block);
      }
    },
    // bytes [start, end) fetched (and checked) before HDF5 reads them
    ensure: (start, end) => serial(start, end),
    // the pieces wholly inside [start, end) given back (values read: HDF5 will not read them again)
    drop(start, end) {
      for (let i = after(start); i < pieces.length && pieces[i].start < end;) {
        const p = pieces[i];
        if (p.start >= start && p.end <= end) {
          pieces.splice(i, 1);
          const whole = p.bytes.byteOffset === 0 && p.bytes.buffer.byteLength >= pooled;
          if (whole && pool.length < POOL) pool.push(p.bytes.buffer);
          else free(p.bytes);
        } else {
          i += 1;
        }
      }
    },
    discard() {
      // (a piece read into a pooled buffer may view only its start: the whole buffer freed)
      for (const p of pieces.splice(0)) free(p.bytes.byteOffset === 0 ? new Uint8Array(p.bytes.buffer) : p.bytes);
      for (const buffer of pool.splice(0)) free(new Uint8Array(buffer));
      try { FS.unlink(path); } catch { /* already gone */ }
    },
  });
  if (first?.length) {
    // (the probe's bytes, checked like any others before anything reads them)
    const bytes = first.length > size ? first.subarray(0, size) : first;
    queue = probed = queue.then(async () => {
      file.fetched += bytes.length;
      await checkHeaps(0, bytes);
      pieces.splice(0, 0, { start: 0, end: bytes.length, bytes });
    });
    queue.catch(() => {}); // (its failure is the first step's)
  }
  return file;
}
