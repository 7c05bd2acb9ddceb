// yt save_as_dataset slices and projections read in the browser, with no
// Python: h5wasm (the HDF5 C library in wasm) reads the file, and the cells
// go straight into the viewer's mesh. The same checks and messages as
// ytlite/_hdf5.py and ytlite/dataset.py (the kernel's and CPython's path).
//
// Layout (yt 4): root attributes (container_type, axis, coord, domain edges,
// length_unit(_units), current_time(_units), periodicity ...) and a group
// /grid of 1-D datasets px, py, pdx, pdy (cell centres and half widths in
// the image plane) and one per field, each with a "units" attribute.

import {
  allPositive as allValuesPositive, attrNumber, attributeClassRead, AXIS_NAMES, defaultField, defaultScale, GEOMETRY_DATASETS, gridDatasetProblem,
  globalHeapThatHangs, IMAGE_X_AXIS, IMAGE_Y_AXIS, incompleteFileProblem, numberLayoutProblem, REFINEMENT_LEVEL,
  refinementLevel, siteChoices, SUPERBLOCK_SEARCH_BYTES, superblockEnd, tooBigToLoad,
} from "./conventions.js";
import { free } from "./buffers.js";
import { attributeLayouts, attributeTypeProblems, datasetLayout, datasetStorage, superblockSizes } from "./h5datatype.js";

export class SliceFileError extends Error {}

// Values read from a dataset at a time: a few MB, so reading never holds a
// second whole copy of an array (h5wasm's heap and the JS side both see one
// slice of it), and a multiple of the dataset's HDF5 chunks when it has any.
const READ_VALUES = 1 << 20;
// Bytes HDF5 reads at least from a contiguous dataset (its sieve buffer, 64 KB by default).
const SIEVE = 1 << 16;
// Bytes of values a paged file (pagedfile.js) fetches at a time, each read by HDF5 in slices of
// READ_VALUES: about a 32nd of the file, a power of two from 4 to 32 MB. The pieces pagedfile.js keeps
// to read into (3: one read, one arriving, one spare) are the page's garbage once the file is closed,
// until its next collection, which may come long after a load: a 300 MB file in 32 MB pieces peaked at
// 540 MB and held 150 MB more than it kept once collected; in 8 MB pieces 453 MB and 31 MB
// (bench/bigfile.py, kiosk). A big file still takes few requests (3.6 GB: 112 of 32 MB). (Responses of
// under ~20 MB are also copied by DevTools when it watches the page's network, as Playwright does: the
// benchmarks' kiosk runs go over the DevTools pipe with nothing watching, bench/cdp_pipe.py.)
export function fetchBytesFor(size) {
  let bytes = 4 << 20;
  while (bytes < 32 << 20 && bytes * 2 * 32 <= size) bytes *= 2;
  return bytes;
}

// HDF5's error stack (h5wasm's throwing error handler: "HDF5-DIAG: ... #000: ... in H5Aread(): can't
// synchronously read data ... #018: ... (): ran off end of input buffer ...") as one line: the
// outermost failure and its innermost cause, as h5py says it.
export function hdf5Reason(e) {
  const text = String(e?.message ?? e);
  const steps = [...text.matchAll(/#\d+: .*? in [\w.]+\(\): (.*)/g)].map((m) => m[1].trim());
  if (!steps.length) return text.split("\n")[0];
  const first = steps[0].charAt(0).toUpperCase() + steps[0].slice(1);
  return steps.length > 1 ? `${first} (${steps[steps.length - 1]})` : first;
}
// A wasm trap in h5wasm (RuntimeError: memory access out of bounds, ...): its memory can no longer
// be trusted, so it reads nothing more (h5wasm leaks a little on every error it throws, and a few
// thousand failed files in one page end in such a trap: tests/support/fuzz.py found it).
const BROKEN = Symbol.for("ytlite.h5wasmBroken");
const trapped = (e) => e instanceof WebAssembly.RuntimeError || e?.cause instanceof WebAssembly.RuntimeError;
const brokenError = (name, h5wasm) => new SliceFileError(
  `${name}: cannot be read: the HDF5 reader crashed on ${h5wasm[BROKEN]}; reload the page to read files again`);

function damagedError(name, e, h5wasm = null) {
  if (h5wasm && trapped(e)) {
    h5wasm[BROKEN] ??= `${name} (${e.message ?? e})`;
    return brokenError(name, h5wasm);
  }
  return new SliceFileError(`${name}: not an HDF5 file, or truncated or damaged (${hdf5Reason(e)})`);
}
// Numbers files in h5wasm's FS: several may be arriving at once (a stack's
// neighbours, two viewers of one file), from several copies of this module
// (anywidget loads one bundle per widget) writing into the page's one h5wasm.
const FS_FILES = Symbol.for("ytlite.fsFiles");

// A file written into h5wasm's in-memory FS as its bytes arrive (a streamed
// fetch, a file from the browser's storage, the kernel's own file system):
// preallocated to `size` when known, so the chunks land in place with no
// regrowth and no second copy of the whole file.
//   const f = fsFile(h5wasm, name, size); f.write(chunk) ...; const path = f.finish();
// or f.discard() on failure. openSliceFile(h5wasm, path, name) then owns the path.
export function fsFile(h5wasm, name, size = 0) {
  const FS = h5wasm.FS;
  FS[FS_FILES] = (FS[FS_FILES] ?? 0) + 1;
  const path = `/ytlite-${FS[FS_FILES]}-${String(name).replace(/[^A-Za-z0-9_.-]/g, "_")}`;
  const stream = FS.open(path, "w+");
  let position = 0, open = true;
  if (size > 0) {
    try {
      FS.ftruncate(stream.fd, size);
    } catch (e) {
      FS.close(stream);
      FS.unlink(path);
      throw new SliceFileError(`${name}: no memory for its ${size} bytes (${e?.message ?? e})`);
    }
  }
  const file = {
    path,
    get written() { return position; },
    write(chunk) {
      FS.write(stream, chunk, 0, chunk.length, position);
      position += chunk.length;
    },
    // the file is complete: fewer bytes than announced (a compressed response) are cut off
    finish() {
      if (FS.stat(path).size !== position) FS.ftruncate(stream.fd, position);
      FS.close(stream);
      open = false;
      return path;
    },
    // the stream closed, the file kept (its bytes written whole by FS.writeFile instead)
    release() {
      if (open) FS.close(stream);
      open = false;
    },
    discard() {
      if (open) FS.close(stream);
      open = false;
      try { FS.unlink(path); } catch { /* already gone */ }
    },
  };
  return file;
}

// Bytes already in memory (a file from the user's disk, the kernel's copy)
// into h5wasm's FS; `canOwn`: the FS keeps `bytes` itself instead of a copy.
export function fsFileFromBytes(h5wasm, bytes, name, { canOwn = false } = {}) {
  const file = fsFile(h5wasm, name);
  file.release(); // (its stream left open was a file descriptor lost per file: 4096 files, and no more)
  h5wasm.FS.writeFile(file.path, bytes, { canOwn });
  return file.path;
}

// An open yt slice file in h5wasm's FS: its root attributes and, for every
// 1-D numeric dataset in /grid, its length and units, read from the HDF5
// metadata alone. Values are read only when asked, a slice at a time
// (chunks, read). close() closes the file and removes it from the FS.
// The bytes of a file in h5wasm's in-memory FS, without a copy (MEMFS keeps them as one array).
function fsBytes(h5wasm, path) {
  const node = h5wasm.FS.lookupPath(path).node;
  const contents = node.contents;
  if (contents instanceof Uint8Array) return contents.subarray(0, node.usedBytes ?? contents.length);
  return h5wasm.FS.readFile(path);
}

// conventions.globalHeapThatHangs of a file in h5wasm's FS: on its bytes, or,
// for a file read over HTTP a piece at a time (rangefile.js), by its own scan.
function heapThatHangs(h5wasm, path) {
  const node = h5wasm.FS.lookupPath(path).node;
  return typeof node.heapThatHangs === "function" ? node.heapThatHangs() : globalHeapThatHangs(fsBytes(h5wasm, path));
}

// conventions.incompleteFileProblem of a file in h5wasm's FS, from its first bytes: 4 KB, and as far
// as a superblock after a user block may be only when none is found there (a paged file comes here on
// every open tried before HDF5 has all the metadata it asks for: reading a MB each time fetched it);
// null when they cannot be read (a paged file's bytes not fetched yet: the read records them, and the
// open is tried again once they are).
function incompleteProblem(h5wasm, path) {
  const FS = h5wasm.FS;
  let stream = null;
  try {
    const size = FS.stat(path).size;
    stream = FS.open(path, "r");
    const read = (n) => {
      const head = new Uint8Array(Math.min(size, n));
      return head.subarray(0, FS.read(stream, head, 0, head.length, 0));
    };
    let end = superblockEnd(read(4096));
    if (end === null && size > 4096) end = superblockEnd(read(SUPERBLOCK_SEARCH_BYTES));
    return incompleteFileProblem(size, end);
  } catch {
    return null;
  } finally {
    if (stream) FS.close(stream);
  }
}

// The layouts of numbers the datasets of a file declare (h5datatype.js), read through h5wasm's FS (a file
// in memory, or one read by ranges: a few small reads). layoutOf(ds) -> a layout, or null when it cannot be
// read (nothing to say: the reader goes on as before); close() when done.
function layoutReader(h5wasm, path, fileId) {
  const FS = h5wasm.FS;
  let stream = null, sizes;
  const read = (position, length) => {
    const b = new Uint8Array(length);
    return b.subarray(0, FS.read(stream, b, 0, length, position));
  };
  // (an object reference is the address of the object's header)
  const addressOf = (objPath) => {
    stream ??= FS.open(path, "r");
    sizes ??= superblockSizes(read);
    const ref = h5wasm.Module.create_object_reference(fileId, objPath);
    return Array.from(ref).reduceRight((v, byte) => v * 256 + byte, 0);
  };
  // what `parse` (h5datatype.js) reads of the header of the dataset `ds`, or null when it cannot be read
  const fromHeader = (parse, ds) => {
    try {
      return parse(read, addressOf(ds.path), sizes);
    } catch (e) {
      if (trapped(e)) throw e;
      return null;
    }
  };
  const ofAttributes = (parse, objPath) => {
    try {
      return parse(read, addressOf(objPath), sizes);
    } catch (e) {
      if (trapped(e)) throw e;
      return {};
    }
  };
  return {
    layoutOf: (ds) => fromHeader(datasetLayout, ds),
    // where its values lie (datasetStorage), or null
    storageOf: (ds) => fromHeader(datasetStorage, ds),
    // {name: layout} of the attributes of the object at `objPath` kept in its header
    attributeLayoutsOf: (objPath) => ofAttributes(attributeLayouts, objPath),
    // {name: problem} of those whose number type HDF5 calls damaged (h5datatype.js: unusedBitsProblem)
    attributeTypeProblemsOf: (objPath) => ofAttributes(attributeTypeProblems, objPath),
    close() {
      if (stream) FS.close(stream);
      stream = null;
    },
  };
}

// An attribute's value, or undefined when it cannot be read (a damaged value, a name not UTF-8),
// as in ytlite._hdf5. h5wasm's json_value does not say when HDF5 failed to read it (it returns
// whatever was in memory), so the value is first read here into zeroed memory and HDF5's status
// checked. (Not h5wasm's throwing error handler: an error thrown out of HDF5 skips its clean-up,
// leaking a file descriptor per failed open, and traps after a few thousand: the fuzzer found it.)
function readableAttr(h5wasm, fileId, objName, attrs, key) {
  const M = h5wasm.Module;
  try {
    const meta = M.get_attribute_metadata(fileId, objName, key);
    if (!attributeClassRead(meta.type)) return undefined; // (a class yt does not write: not read, as in ytlite._hdf5)
    if (meta.shape) {
      const nbytes = meta.size * meta.total_size;
      const ptr = M._malloc(Math.max(1, nbytes));
      if (!ptr) return undefined;
      try {
        M.HEAPU8.fill(0, ptr, ptr + nbytes);
        if (M.get_attribute_data(fileId, objName, key, BigInt(ptr)) < 0) return undefined;
        if (meta.vlen) M.reclaim_vlen_memory(fileId, objName, key, BigInt(ptr));
      } finally {
        M._free(ptr);
      }
    }
    return attrs[key].json_value;
  } catch (e) {
    if (trapped(e)) throw e;
    return undefined;
  }
}

// A dataset's "units" attribute as text ("" when absent or unreadable, as in ytlite._hdf5).
function unitsOf(h5wasm, ds) {
  let names;
  try { names = Object.keys(ds.attrs); } catch (e) { if (trapped(e)) throw e; return ""; }
  if (!names.includes("units")) return "";
  const value = readableAttr(h5wasm, ds.file_id, ds.path, ds.attrs, "units");
  return value === undefined ? "" : String(value);
}

// HDF5 prints its error stack to stderr for every call that fails (its default handler: h5wasm's
// throwing one is not used, see readableAttr), the expected failures too: each miss of a paged file
// (bytes not fetched yet: pagedfile.js fetches them and runs the step again) printed ~20 lines of
// warnings in the browser's console, 2655 lines in the node tests. Every failure the readers meet is
// said in their own message, naming the file; so HDF5's stderr goes to a device that only counts what
// it is sent (once per h5wasm), which says when a call h5wasm does not check failed: a link
// table listed in part (a damaged name ends HDF5's iteration, and h5wasm returns the names before it:
// a field dropped without a word, where h5py refuses the file; the readers' fuzzer found it).
const ERRORS = Symbol.for("ytlite.hdf5Errors");
function quietHdf5(h5wasm) {
  if (h5wasm[ERRORS] !== undefined) return;
  h5wasm[ERRORS] = null; // (no count, and stderr as it was, where the device cannot be made)
  const FS = h5wasm.FS;
  const errors = { bytes: 0 };
  try {
    FS.createDevice("/dev", "ytlite-hdf5-errors", null, () => { errors.bytes += 1; });
    FS.close(FS.streams[2]);
    FS.open("/dev/ytlite-hdf5-errors", "w"); // (the lowest descriptor free: 2)
  } catch {
    return;
  }
  h5wasm[ERRORS] = errors;
}

// The names of the links of `group` (an h5wasm Group or File), all of them, or an error: HDF5
// reported a failure while listing them (`path`: what to call the group).
function allLinks(h5wasm, group, path) {
  const errors = h5wasm[ERRORS];
  const before = errors?.bytes;
  const names = group.keys();
  if (errors && errors.bytes !== before) throw new Error(`the links of ${path} cannot all be listed (a damaged name)`);
  return names;
}

export class SliceFile {
  // `paged`: the file is a pagedfile.js node (fetched a piece at a time), which close() gives back
  constructor(h5wasm, path, name, { paged = null } = {}) {
    this.name = name;
    this.path = path;
    this.h5wasm = h5wasm;
    this.paged = paged;
    this.fetchBytes = fetchBytesFor(paged?.size ?? 0); // (a paged file's: tests make it small)
    this.attrs = {};
    this.datasets = {}; // key -> {length, units, type}
    try {
      const hang = heapThatHangs(h5wasm, path);
      if (hang !== null) {
        throw damagedError(name, `global heap at byte ${hang} holds an object HDF5 cannot get past (it would read it for ever)`);
      }
      if (h5wasm[BROKEN]) throw brokenError(name, h5wasm);
      quietHdf5(h5wasm);
      try {
        this.file = new h5wasm.File(path, "r");
        // (h5wasm gives a file of id -1 where HDF5 could not open it: its next call said only "error - name
        // not defined!")
        if (!(this.file.file_id >= 0)) throw new Error("HDF5 cannot open it");
      } catch (e) {
        // (shorter than its superblock says: cut short, or still arriving)
        const incomplete = trapped(e) ? null : incompleteProblem(h5wasm, path);
        if (incomplete) throw new SliceFileError(`${name}: ${incomplete}`);
        throw damagedError(name, e, h5wasm);
      }
      let grid, problem = null;
      const layouts = layoutReader(h5wasm, path, this.file.file_id);
      try {
        // A root attribute whose type holds a number type with more unused bits than used: HDF5 in h5py
        // then opens none of the root attributes, and h5wasm read the others (the readers' fuzzer, seed 57:
        // a string's characters made 2^31 + 1 bytes): a damaged file in both.
        const [unusual, unusualType] = Object.entries(layouts.attributeTypeProblemsOf("/"))[0] ?? [];
        if (unusual !== undefined) throw new Error(`the root attribute ${unusual}'s type holds ${unusualType}`);
        // (a number attribute of another layout than IEEE 754's or whole integers': damaged, so unreadable)
        const attrLayouts = layouts.attributeLayoutsOf("/");
        for (const key of Object.keys(this.file.attrs)) {
          const value = numberLayoutProblem(key, attrLayouts[key] ?? null) === null
            ? readableAttr(h5wasm, this.file.file_id, "/", this.file.attrs, key) : undefined;
          if (value !== undefined) this.attrs[key] = value;
        }
        allLinks(h5wasm, this.file, "/"); // (as h5py lists them: a damaged table is a damaged file)
        grid = this.file.get("grid");
        if (grid && grid.type === "Group") {
          const { H5T_FLOAT } = h5wasm.Module.H5T_class_t;
          // every dataset's declared shape, type and layout, in name order, before any value is read
          for (const key of [...allLinks(h5wasm, grid, "/grid")].sort()) {
            const ds = grid.get(key);
            // An object HDF5 cannot open (its header damaged: h5py cannot open it either) is a damaged file, not
            // left out, which would drop a field without a word; HDF5 2.0 may take such a header for a group's,
            // whose links then cannot be listed (the readers' fuzzer found both).
            // (thrown to the catch below, which says the file is damaged and why)
            if (ds === null || ds === undefined) throw new Error(`grid/${key} cannot be opened`);
            if (ds.type === "Group") {
              try { ds.keys(); } catch (e) { if (trapped(e)) throw e; throw new Error(`grid/${key} cannot be opened`); }
            }
            if (ds.type !== "Dataset") continue; // (groups, dangling links: not read)
            const meta = ds.metadata;
            problem = gridDatasetProblem(key, meta.shape, meta.type, meta.size) ?? numberLayoutProblem(key, layouts.layoutOf(ds));
            if (problem) break;
            this.datasets[key] = {
              length: Number(meta.shape[0]), units: unitsOf(h5wasm, ds), chunks: meta.chunks, ds,
              float64: meta.type === H5T_FLOAT.value && meta.size === 8 && meta.littleEndian,
              itemSize: meta.size, storage: paged ? layouts.storageOf(ds) : null,
            };
          }
        }
      } catch (e) {
        throw damagedError(name, e, h5wasm);
      } finally {
        layouts.close();
      }
      if (!grid || grid.type !== "Group") {
        throw new SliceFileError(`${name}: no /grid group, so not a yt save_as_dataset slice or projection`);
      }
      if (!Object.keys(this.attrs).length) {
        // yt writes many root attributes; h5wasm skips ones it cannot decode without a word
        throw damagedError(name, "no root attribute could be read");
      }
      if (problem) throw new SliceFileError(`${name}: ${problem}`);
    } catch (e) {
      if (paged) this.closeFile(); // (a paged file is read again once HDF5 has the bytes it missed)
      else this.close();
      throw e;
    }
  }

  get keys() {
    return Object.keys(this.datasets);
  }

  get units() {
    return Object.fromEntries(Object.entries(this.datasets).map(([k, d]) => [k, d.units]));
  }

  get lengths() {
    return Object.fromEntries(Object.entries(this.datasets).map(([k, d]) => [k, d.length]));
  }

  // Values read at a time from dataset `key`: a few MB, a multiple of its HDF5 chunks when it has any.
  stepOf(key) {
    const d = this.datasets[key];
    const chunk = d.chunks?.length === 1 && d.chunks[0] > 0 ? Number(d.chunks[0]) : 0;
    return chunk ? Math.max(chunk, Math.floor(READ_VALUES / chunk) * chunk) : READ_VALUES;
  }

  // fn(values, offset) for consecutive slices of dataset `key` (float64 or
  // not: float32 and integer values come as their own typed arrays), of its
  // values [from, to) (default: all). A float64 slice is a view of h5wasm's
  // memory, valid during fn only.
  chunks(key, fn, from = 0, to = null) {
    const d = this.datasets[key];
    if (!d) throw new SliceFileError(`${this.name}: no dataset grid/${key}`);
    if (!this.file) throw new SliceFileError(`${this.name}: the file is closed`);
    const step = this.stepOf(key), end = to ?? d.length;
    const cannotRead = (e) => (trapped(e) ? damagedError(this.name, e, this.h5wasm)
      : damagedError(this.name, `grid/${key} cannot be read: ${hdf5Reason(e)}`));
    const M = this.h5wasm.Module;
    if (d.float64 && typeof M?.get_dataset_data === "function") {
      // Straight from HDF5 into one reused buffer in h5wasm's memory (what
      // Dataset.slice does, less the JS copy it makes of every slice: those
      // copies are garbage the page would hold until the next collection).
      const ptr = M._malloc(Math.max(1, Math.min(step, end - from)) * 8);
      if (!ptr) throw cannotRead("no memory in h5wasm for a slice of it");
      try {
        for (let start = from; start < end; start += step) {
          const count = Math.min(end, start + step) - start;
          let status;
          try {
            status = M.get_dataset_data(this.file.file_id, d.ds.path, [BigInt(count)], [BigInt(start)], [1n], BigInt(ptr));
          } catch (e) {
            throw cannotRead(e);
          }
          if (typeof status === "number" && status < 0) throw cannotRead(`HDF5 error ${status}`);
          fn(new Float64Array(M.HEAPU8.buffer, ptr, count), start);
        }
      } finally {
        M._free(ptr);
      }
      return;
    }
    for (let start = from; start < end; start += step) {
      const stop = Math.min(end, start + step);
      let values;
      try {
        values = d.length <= step ? d.ds.value : d.ds.slice([[start, stop]]);
      } catch (e) {
        throw cannotRead(e);
      }
      fn(values, start);
    }
  }

  // chunks(key, fn), for a paged file (pagedfile.js) with each slice's bytes
  // fetched first (the next one while this one is read) and given back once
  // read: the bytes of a contiguous dataset (yt's files) are known to lie in
  // one place; any other's are HDF5's to find, so the whole file comes in
  // first. A file in the FS: chunks(key, fn) itself.
  async chunksAsync(key, fn) {
    const paged = this.paged, d = this.datasets[key];
    if (!paged || !d) return this.chunks(key, fn);
    const place = d.storage;
    if (!place || (place.address !== null && (place.size !== d.length * d.itemSize || place.address + place.size > paged.size))) {
      await paged.ensure(0, paged.size);
      return paged.retry(() => this.chunks(key, fn));
    }
    const step = this.stepOf(key);
    // (values fetched at a time: several read steps, fetchBytesFor, few requests of a big file)
    const span = step * Math.max(1, Math.floor(this.fetchBytes / (step * d.itemSize)));
    const bytesOf = (start) => {
      if (place.address === null || start >= d.length) return null; // (never written: the fill value, no bytes)
      const from = place.address + start * d.itemSize, stop = place.address + place.size;
      // (HDF5 reads at least 64 KB of a contiguous dataset at a time, within its bytes: its sieve buffer)
      return [from, Math.min(stop, Math.max(place.address + Math.min(d.length, start + span) * d.itemSize, from + SIEVE))];
    };
    let next = bytesOf(0) && paged.ensure(...bytesOf(0));
    for (let first = 0; first < d.length; first += span) {
      const here = bytesOf(first);
      await next;
      next = bytesOf(first + span) && paged.ensure(...bytesOf(first + span));
      next?.catch?.(() => {}); // (its failure is met when it is awaited)
      for (let start = first; start < Math.min(d.length, first + span); start += step) {
        await paged.retry(() => this.chunks(key, fn, start, Math.min(d.length, start + step, first + span)));
      }
      if (here) paged.drop(...here);
    }
  }

  // The values of `key` as float64: into `target()` (a Float64Array of the
  // dataset's length, e.g. a view of wasm memory, asked for afresh each
  // slice since views die when wasm memory grows) or a new Float64Array.
  read(key, target = null) {
    const [out, each] = this.reader(key, target);
    this.chunks(key, each);
    return out();
  }

  // read(key, target) through chunksAsync
  async readAsync(key, target = null) {
    const [out, each] = this.reader(key, target);
    await this.chunksAsync(key, each);
    return out();
  }

  reader(key, target) {
    const out = target ?? (() => { const a = new Float64Array(this.datasets[key].length); return () => a; })();
    const each = (values, offset) => {
      const into = out();
      if (values instanceof BigInt64Array || values instanceof BigUint64Array) {
        for (let i = 0; i < values.length; i++) into[offset + i] = Number(values[i]);
      } else {
        into.set(values, offset);
      }
    };
    return [out, each];
  }

  // HDF5's file closed (not the bytes: a paged file's step is run again)
  closeFile() {
    try { this.file?.close(); } catch { /* already failing */ }
    this.file = null;
  }

  close() {
    this.closeFile();
    if (this.paged) {
      this.paged.discard();
      return;
    }
    // The file's bytes (h5wasm's in-memory FS holds them as one array of its own) freed now, not at the
    // page's next garbage collection: a file of hundreds of MB would otherwise still be there when the
    // deposit workers get their copies of the mesh, at the load's peak.
    try {
      const { contents } = this.h5wasm.FS.lookupPath(this.path).node;
      if (contents instanceof Uint8Array) free(contents);
    } catch { /* already gone */ }
    try { this.h5wasm.FS.unlink(this.path); } catch { /* already gone */ }
  }
}

export function openSliceFile(h5wasm, path, name) {
  return new SliceFile(h5wasm, path, name);
}

// openSliceFile of a paged file (pagedfile.js): opened again until HDF5 has
// every byte of metadata it asks for (then discarded if it cannot be read;
// the error's `unreachable` says why when the source failed, not the file).
export async function openPagedSliceFile(h5wasm, paged, name) {
  try {
    return await paged.retry(() => new SliceFile(h5wasm, paged.path, name, { paged }), (file) => file.closeFile());
  } catch (e) {
    paged.discard();
    if (paged.unreachable && e instanceof Error) e.unreachable = paged.unreachable;
    throw e;
  }
}

// The checks of the declared layout, from the metadata alone, in the order
// and with the messages of ytlite._hdf5.check_layout: the four geometry
// datasets, one length, at least one cell, and (when `fields` is given) a
// load that fits in memory (conventions.tooBigToLoad: `inUse`, the viewer's
// wasm memory in use; `available`, the device's memory, when the browser
// says: fetchfile.js's deviceBytes). -> the number of cells
export function checkLayout(name, lengths, { fields = null, inUse = 0, available = null } = {}) {
  const missing = ["px", "py", "pdx", "pdy"].filter((k) => !Object.hasOwn(lengths, k));
  if (missing.length) throw new SliceFileError(`${name}: /grid lacks ${missing.join(", ")}`);
  const n = lengths.px;
  for (const key of Object.keys(lengths).sort()) {
    if (lengths[key] !== n) throw new SliceFileError(`${name}: grid/${key} has ${lengths[key]} values but grid/px has ${n}`);
  }
  if (n === 0) throw new SliceFileError(`${name}: the slice has no cells`);
  const tooBig = fields === null ? null : tooBigToLoad(name, n, fields, inUse, available);
  if (tooBig) throw new SliceFileError(tooBig);
  return n;
}

// A pass over a file's values gives its result for a file in the FS (HDF5 reads it synchronously), a
// promise of it for a paged file (pagedfile.js: the bytes are fetched first): the page awaits either,
// the kernel's Python awaits the promise with run_sync (a paged file is opened only where it can).
export const eachChunk = (file, key, fn) => (file.paged ? file.chunksAsync(key, fn) : file.chunks(key, fn));
export const readValues = (file, key) => (file.paged ? file.readAsync(key) : file.read(key));
const andThen = (value, fn) => (value instanceof Promise ? value.then(fn) : fn(value));

// The cell checks, a slice of values at a time (the kernel never holds a
// whole array for them): centres finite, half widths positive and finite.
export function checkCellsStreamed(file) {
  const from = (i) => (i < CELL_CHECKS.length ? andThen(checkedChunks(file, ...CELL_CHECKS[i]), () => from(i + 1)) : undefined);
  return from(0);
}

// eachChunk(file, key, fn) and, for a geometry array, its cell check (the error thrown once the array is
// read): the kernel checks an array of the cells as Python first reads it, not at ytlite.load (which reads
// no geometry). `fn` may be null: the check alone.
export function eachCheckedChunk(file, key, fn) {
  const check = CELL_CHECKS.find(([k]) => k === key);
  return check ? checkedChunks(file, ...check, fn) : eachChunk(file, key, fn ?? (() => {}));
}

// eachChunk(file, key, fn) with every value checked by `ok` (all counted, for the message, which is thrown
// once the array is read); `fn` gets the slices until a bad value was seen.
function checkedChunks(file, key, ok, what, fn = null) {
  const check = cellCheck(file, key, ok, what, fn);
  return andThen(eachChunk(file, key, check.each), check.done);
}

function cellCheck(file, key, ok, what, fn) {
  let count = 0, first = -1, firstValue;
  return {
    each(values, offset) {
      // (a slice with no bad value is let go by a loop of its own: `ok` called on every value took
      // ~1 s of a 50 M-cell slice's load)
      if (allPass(values, ok)) {
        if (!count && fn) fn(values, offset);
        return;
      }
      for (let i = 0; i < values.length; i++) {
        const v = Number(values[i]);
        if (!ok(v)) { count += 1; if (first < 0) { first = offset + i; firstValue = v; } }
      }
      if (!count && fn) fn(values, offset);
    },
    done() {
      if (count) throw cellError(file.name, key, count, what, first, firstValue);
    },
  };
}

// Whether no value of `key` is <= 0 (NaN allowed): the field's usual scale is log.
export function allPositive(file, key) {
  let positive = true;
  return andThen(eachChunk(file, key, (values) => { positive &&= allValuesPositive(values); }), () => positive);
}

// [xmin, xmax, ymin, ymax] of the cell edges, a slice at a time.
export function cellExtent(file) {
  const b = [Infinity, -Infinity, Infinity, -Infinity];
  const edges = ([c, d, lo]) => andThen(readValues(file, d), (half) => eachChunk(file, c, (values, offset) => {
    for (let i = 0; i < values.length; i++) {
      const v = Number(values[i]), w = half[offset + i];
      b[lo] = Math.min(b[lo], v - w);
      b[lo + 1] = Math.max(b[lo + 1], v + w);
    }
  }));
  return andThen(edges(["px", "pdx", 0]), () => andThen(edges(["py", "pdy", 2]), () => b));
}

// bytes (Uint8Array) of an HDF5 file -> {attrs, arrays: {name: Float64Array}, units: {name: string}}
// (everything at once; the viewer's hosts use loadSlice instead)
export function readSliceFile(h5wasm, bytes, name) {
  const file = openSliceFile(h5wasm, fsFileFromBytes(h5wasm, bytes, name), name);
  try {
    const arrays = {};
    for (const key of file.keys) arrays[key] = file.read(key);
    return { attrs: file.attrs, arrays, units: file.units };
  } finally {
    file.close();
  }
}

// Where loadSlice puts the cell geometry, a slice of an array at a time:
// plain Float64Arrays here (tests, node); the viewer's hosts pass
// pipeline.js's wasmGeometry, which builds the pixelizer's mesh from the
// slices, compact as they come. geometry(n) -> {put(key, values, offset)
// (px, py, pdx, pdy in that order), finish() -> the mesh ({px..pdy, ...}),
// extent() (after finish: [xmin, xmax, ymin, ymax] of the cell edges), free(),
// and optionally values() (a fresh view of the mesh's values to read a field
// into) and lend(fields, name) (that field's fields[name] then read from the
// mesh: pipeline.js's lendField)}.
export function arrayGeometry(n) {
  const arrays = { px: new Float64Array(n), py: new Float64Array(n), pdx: new Float64Array(n), pdy: new Float64Array(n) };
  return {
    put: (key, values, offset) => { arrays[key].set(values, offset); },
    finish: () => arrays,
    extent: () => cellEdges(arrays),
    free() {},
  };
}

const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0));

// What the viewer needs from an open slice file, read one dataset at a time:
// the geometry into `geometry(n)`'s views (the wasm mesh), each field into
// a Float64Array of its own (the field switch needs them all; the one shown
// first straight into a wasm mesh's values, geometry's values/lend), the checks
// and messages of ytlite.SliceDataset, then the file closed. `fields`: only
// these are read (default: all). `progress(done, total)` after each
// dataset, between which the page may repaint.
// -> sliceFromRaw's result; its mesh {n, fields, units, ...geometry, free()}.
export async function loadSlice(file, { geometry = arrayGeometry, fields: wanted = null, progress = null, inUse = 0, available = null } = {}) {
  const { name, attrs } = file;
  let target = null;
  try {
    const fieldList = file.keys.filter((k) => !GEOMETRY_DATASETS.includes(k)).sort();
    const read = wanted ? fieldList.filter((f) => wanted.includes(f)) : fieldList;
    // (nothing is allocated before the memory the load needs is known to fit)
    const n = checkLayout(name, file.lengths, { fields: read.length, inUse, available });
    const total = 4 + read.length;
    let done = 0;
    const step = async () => {
      done += 1;
      if (progress) { progress(done, total); await nextTask(); }
    };
    target = geometry(n);
    for (const [key, ok, what] of CELL_CHECKS) {
      // checked a slice at a time as the cells go into the mesh
      await checkedChunks(file, key, ok, what, (values, offset) => target.put(key,
        values instanceof BigInt64Array || values instanceof BigUint64Array ? Float64Array.from(values, Number) : values, offset));
      await step();
    }
    const meshData = target.finish();
    const axis = checkAxis(name, attrs);
    if (!fieldList.length) throw new SliceFileError(`${name}: no fields, only cell positions`);
    const fields = {}, fieldUnits = {}, scales = {};
    // (a site's chosen scale is for the field it chose to show first)
    const chosen = siteChoices(attrs), first = defaultField(fieldList, chosen.field ?? null);
    // (the field shown first read straight into a wasm mesh's values, where the geometry is one: the page
    // then holds no array of its own for it, pipeline.js: lendField)
    const intoMesh = target.values && read.includes(first) ? first : null;
    for (const f of read) {
      let values;
      if (f === intoMesh) {
        await file.readAsync(f, target.values);
        target.lend(fields, f);
        values = target.values();
      } else {
        values = fields[f] = await file.readAsync(f);
      }
      fieldUnits[f] = file.datasets[f].units;
      scales[f] = defaultScale(f, allValuesPositive(values), f === first ? chosen.scale ?? null : null);
      await step();
    }
    // the level: from the widths, made when first shown (it is not in the file)
    let level = null;
    Object.defineProperty(fields, REFINEMENT_LEVEL, {
      // (read through the mesh's getter: a compact mesh's pdx is a decoded copy)
      enumerable: true, get: () => (level ??= refinementLevel(meshData.pdx)),
    });
    fieldUnits[REFINEMENT_LEVEL] = "";
    scales[REFINEMENT_LEVEL] = defaultScale(REFINEMENT_LEVEL, true);
    const slice = describe(name, attrs, axis, n, fieldList, target.extent);
    const owned = target;
    target = null;
    // (assigned onto the geometry's own object: a wasm mesh's px..pdy are getters of fresh arrays)
    const mesh = Object.assign(meshData, { n, fields, units: fieldUnits, free: () => owned.free() });
    return { ...slice, fieldScales: scales, mesh };
  } catch (e) {
    target?.free();
    throw e;
  } finally {
    file.close();
  }
}

// What the viewer needs from a read file: the mesh, its fields and units,
// the domain and the axes (yt's choices), as ytlite.SliceDataset has them.
export function sliceFromRaw(raw, name) {
  const { attrs, arrays, units } = raw;
  const n = checkLayout(name, Object.fromEntries(Object.entries(arrays).map(([k, v]) => [k, v.length])));
  for (const [key, ok, what] of CELL_CHECKS) checkValues(name, key, arrays[key], ok, what);
  const axis = checkAxis(name, attrs);
  const fieldList = Object.keys(arrays).filter((k) => !GEOMETRY_DATASETS.includes(k)).sort();
  if (!fieldList.length) throw new SliceFileError(`${name}: no fields, only cell positions`);
  const fields = {}, fieldUnits = {};
  for (const f of fieldList) { fields[f] = arrays[f]; fieldUnits[f] = units[f] ?? ""; }
  fields[REFINEMENT_LEVEL] = refinementLevel(arrays.pdx);
  fieldUnits[REFINEMENT_LEVEL] = "";
  const slice = describe(name, attrs, axis, n, fieldList, () => cellEdges(arrays));
  return { ...slice, mesh: { px: arrays.px, py: arrays.py, pdx: arrays.pdx, pdy: arrays.pdy, n, fields, units: fieldUnits } };
}

// The root attributes ytlite.SliceDataset checks, in its order and with its messages. -> the axis
function checkAxis(name, attrs) {
  const axis = attrNumber(attrs.axis);
  if (!Number.isInteger(axis)) throw new SliceFileError(`${name}: root attribute 'axis' missing or not an integer`);
  if (!(axis in IMAGE_X_AXIS)) throw new SliceFileError(`${name}: axis ${axis} is not 0, 1 or 2`);
  if (attrNumber(attrs.length_unit ?? 1) === null) {
    throw new SliceFileError(`${name}: root attribute 'length_unit' is not a number`);
  }
  return axis;
}

// (cellExtent: () => [xmin, xmax, ymin, ymax] of the cell edges, asked for only when the file has no domain)
function describe(name, attrs, axis, n, fieldList, cellExtent) {
  const xa = IMAGE_X_AXIS[axis], ya = IMAGE_Y_AXIS[axis];
  const domain = domainBounds(attrs, cellExtent, xa, ya);
  const containerType = String(attrs.container_type ?? "slice");
  const kind = containerType === "slice" ? "slice" : "projection";
  const periodicity = Array.isArray(attrs.periodicity) && attrs.periodicity.length === 3 ? attrs.periodicity : [false, false, false];
  return {
    name, numCells: n, fieldList, domain,
    period: [domain[1] - domain[0], domain[3] - domain[2]],
    periodic: [!!periodicity[xa], !!periodicity[ya]],
    lengthUnit: [attrNumber(attrs.length_unit ?? 1), String(attrs.length_unit_units ?? "code_length")],
    defaultField: defaultField(fieldList, siteChoices(attrs).field ?? null),
    defaultCmap: siteChoices(attrs).cmap ?? null, // (a site's choice; the host checks it is a colormap it has)
    defaultView: siteChoices(attrs).view ?? domain, // (a site's first view, else the whole domain)
    info: {
      name, kind, axis: AXIS_NAMES[axis], x_axis: AXIS_NAMES[xa], y_axis: AXIS_NAMES[ya],
      coord: kind === "slice" && attrs.coord != null ? [Number(attrs.coord), String(attrs.coord_units ?? "code_length")] : null,
      time: attrs.current_time != null ? [Number(attrs.current_time), String(attrs.current_time_units ?? "code_time")] : null,
    },
  };
}

// Centres finite, half widths positive and finite: anything else would draw
// a silently wrong picture (ytlite.dataset._check_cells says the same).
const positive = (v) => v > 0 && Number.isFinite(v);
// Whether every value of a slice (floating point) passes `ok`, one of the two checks above: a plain loop
// each, no call per value (x * 0 is 0 for a finite x, NaN for the others). Other arrays (integers,
// BigInt64Array): the values one by one.
function allPass(values, ok) {
  if (!(values instanceof Float64Array || values instanceof Float32Array)) return false;
  const n = values.length;
  if (ok === Number.isFinite) {
    let zero = 0;
    for (let i = 0; i < n; i++) zero += values[i] * 0;
    return zero === 0;
  }
  if (ok === positive) {
    for (let i = 0; i < n; i++) if (!(values[i] > 0 && values[i] < Infinity)) return false;
    return true;
  }
  return false;
}
const CELL_CHECKS = [["px", Number.isFinite, "finite"], ["py", Number.isFinite, "finite"],
  ["pdx", positive, "positive and finite"], ["pdy", positive, "positive and finite"]];

const cellError = (name, key, count, what, first, value) => new SliceFileError(
  `${name}: grid/${key} has ${count} value(s) that are not ${what} (first at cell ${first}: ${String(value)})`);

function checkValues(name, key, values, ok, what) {
  let count = 0, first = -1;
  for (let i = 0; i < values.length; i++) {
    if (!ok(values[i])) { count += 1; if (first < 0) first = i; }
  }
  if (count) throw cellError(name, key, count, what, first, values[first]);
}

function domainBounds(attrs, cellExtent, xa, ya) {
  const l = attrs.domain_left_edge, r = attrs.domain_right_edge;
  let b = Array.isArray(l) && Array.isArray(r) ? [l[xa], r[xa], l[ya], r[ya]].map(Number) : null;
  if (!b || !b.every(Number.isFinite) || b[0] >= b[1] || b[2] >= b[3]) b = [...cellExtent()]; // no usable domain attributes
  return b;
}

// [xmin, xmax, ymin, ymax] of the cell edges of Float64Arrays {px, py, pdx, pdy}
// (the wasm mesh's extent() computes the same: min(px - pdx) ...).
function cellEdges({ px, py, pdx, pdy }) {
  const b = [Infinity, -Infinity, Infinity, -Infinity];
  for (let i = 0; i < px.length; i++) {
    b[0] = Math.min(b[0], px[i] - pdx[i]); b[1] = Math.max(b[1], px[i] + pdx[i]);
    b[2] = Math.min(b[2], py[i] - pdy[i]); b[3] = Math.max(b[3], py[i] + pdy[i]);
  }
  return b;
}
