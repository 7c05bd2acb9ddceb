"""Read yt ``save_as_dataset`` HDF5 files without numpy.

Two backends give the same result, a :class:`RawSliceFile`: the file's root
attributes, and the length and units of every 1-D numeric dataset in
``/grid``, with a reader for the values.

* In Pyodide, h5wasm (the HDF5 C library compiled to wasm, see ``_runtime``)
  through the front end's own reader (``lite/js/core/slicefile.js``, bundled),
  in the worker's JavaScript realm, only while Python reads from it: the
  site's copy a piece at a time by HTTP ranges, as the page reads it
  (``pagedfile.js``, its fetches awaited with ``run_sync``), else the file
  copied into h5wasm's in-memory file system a few MB at a time. Loading
  reads the metadata, checks the cells and scans each field's sign a slice
  of values at a time in JavaScript, then frees what it held; no array
  becomes Python objects until Python asks for numbers (``read``), and then
  only that array, from the file brought in again (checked unchanged).
* On CPython, h5py (what yt itself uses), everything at load.

The file layout written by yt 4 for slices and projections: root attributes
(``container_type``, ``axis``, ``coord``, domain edges, ``unit_registry_json``,
``current_time`` ...) and a group ``/grid`` of 1-D datasets ``px, py, pdx, pdy``
(cell centres and half-widths in the image plane) plus one dataset per field,
each with a ``units`` attribute.
"""

from __future__ import annotations

import json
import math
import os
import weakref
from array import array
from dataclasses import dataclass, field

from . import _conventions as conventions
from . import _drive, _runtime



class SliceFileError(ValueError):
    """The file is not a readable yt slice/projection dataset."""


@dataclass
class RawSliceFile:
    """What a backend read: ``attrs`` and, per dataset key of ``/grid``, its
    number of values (``lengths``) and unit string (``units``); ``reader``
    gives the values (see :class:`ArrayReader`); ``source`` says where the
    page can read the same file (``None``: it cannot)."""

    attrs: dict
    lengths: dict[str, int] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    reader: object = None
    source: dict | None = None
    #: where the bytes came from: "site" (the site's own copy, over HTTP),
    #: "drive" (JupyterLite's drive), "disk" (CPython)
    read_from: str = "disk"


class ArrayReader:
    """Values already read (h5py, or yt's arrays: numpy is there): the reader
    interface over a dict of arrays, its checks vectorized (tens of millions
    of cells are checked in a second, not in tens)."""

    holds_values = True  # (a field's sign is a vectorized pass over memory, not a read)

    def __init__(self, arrays: dict):
        self._arrays = arrays

    def read(self, key) -> array:
        return self._arrays[key]

    def _numpy(self, key):
        import numpy as np

        return np.frombuffer(self._arrays[key], dtype=np.float64)

    def all_positive(self, key) -> bool:
        # (conventions.all_positive: no value <= 0, NaN not counted against it)
        return not bool((self._numpy(key) <= 0).any())

    def check_cells(self, filename) -> None:
        """Centres finite, half widths positive and finite: anything else would
        draw a silently wrong picture (the front end's reader checks the same,
        with the same message)."""
        import numpy as np

        for key, what in (("px", "finite"), ("py", "finite"), ("pdx", "positive and finite"),
                          ("pdy", "positive and finite")):
            values = self._numpy(key)
            ok = np.isfinite(values)
            if key in ("pdx", "pdy"):
                ok &= values > 0
            if not ok.all():
                bad = np.flatnonzero(~ok)
                raise SliceFileError(f"{filename}: grid/{key} has {bad.size} value(s) that are not {what} "
                                     f"(first at cell {bad[0]}: {_show(float(values[bad[0]]))})")

    def extent(self):
        px, py, pdx, pdy = (self._numpy(k) for k in ("px", "py", "pdx", "pdy"))
        return (float((px - pdx).min()), float((px + pdx).max()), float((py - pdy).min()), float((py + pdy).max()))


#: HEAD's kernel before issue 17, for bench/bigfile.py's "before": the file
#: copied into h5wasm at ``load`` (the site's copy as one whole body first) and
#: kept there, open, until the dataset goes. Off: the file is in the kernel
#: only while Python reads from it.
KEEP_FILE = False
#: Off: HEAD's kernel before the paged reads, for bench/bigfile.py's "before":
#: the site's copy copied in whole at ``load`` and later read by synchronous
#: range requests.
PAGED = True


class _H5wasmReader:
    """The file in the worker's h5wasm (a ``SliceFile`` of slicefile.js) only
    while Python reads from it: ``load`` reads the metadata and scans the
    sign of the field shown first (its default scale) in one opening, then
    closes it and frees what it held (``loaded``); the cells are checked as
    Python first reads them (``check_cells``); a later read (an array, a
    scale not known) brings the file back, reads what is asked and frees it
    once the cell has run (a timer: the reads of one cell share one opening).
    "In h5wasm" is, for a file the site serves by HTTP ranges, a node of its
    FS that holds only the bytes HDF5 reads, a piece at a time: fetched as
    the page fetches them (``pagedfile.js``, awaited with ``run_sync``), else
    by synchronous requests (``rangefile.js``; where ``run_sync`` cannot be
    used, and never at ``load``); otherwise a copy (``_drive.copy_into``).
    A file changed since ``load`` (another size or time) is an error, never
    other data read in its place."""

    def __init__(self, rt, path, name, stamp, js_file, read_from, pieces):
        self._rt, self._path, self._name, self._stamp = rt, path, name, stamp
        self._file, self.read_from, self._pieces = js_file, read_from, pieces
        # the site copy's validators (ETag, Last-Modified) when it is first read by ranges
        self._expect = pieces.expect if pieces is not None else None
        self.by_ranges = pieces is not None  # (the last opening reads by HTTP ranges, not a copy)
        self._positive = {}  # key -> all_positive, scanned while the file was in
        self.openings = 1  # (how many times the file came in: tests, benches)
        self.fetched = 0  # bytes read by ranges, in all (counted as each opening ends)
        self._no_ranges = False  # (reading by ranges failed once: copies from then on)
        self._reading = 0  # reads under way (a paged file's await lets timers run: not freed under them)
        self._free_after = False  # (the cell's timer came while a read was under way)

    def _with_file(self, fn):
        """``fn(the open SliceFile)`` (its reads through ``_settled``). When
        reading the site's copy by ranges fails (a request failed, the server
        stopped serving ranges), once more from the file copied in, and by
        copies from then on."""
        from pyodide.ffi import JsException

        js_file, pieces = self._open(), self._pieces
        try:
            return self._reads(js_file, fn)
        except JsException as exc:
            failure = _unreachable(exc, pieces)
            if failure is None or "changed" in failure:
                raise _range_error(exc, failure, self._name) from None
        self._no_ranges = True
        self._release(js_file)
        js_file = self._open()
        try:
            return self._reads(js_file, fn)
        except JsException as exc:
            raise _js_error(exc, self._name) from None

    def _reads(self, js_file, fn):
        self._reading += 1
        try:
            return fn(js_file)
        finally:
            self._reading -= 1
            if self._free_after and not self._reading:
                self._free_after = False
                self._release_later(js_file)

    def _open(self):
        """The open SliceFile: the one in h5wasm, else the file brought in again
        (the same file: same size and time as at ``load``)."""
        if self._file is not None:
            return self._file
        try:
            now = _drive.stamp(self._path)
        except OSError as exc:
            raise SliceFileError(f"{self._name}: cannot be read again ({exc}); it was loaded from {self._path}") from None
        if now != self._stamp:
            raise SliceFileError(
                f"{self._name}: changed since ytlite.load read it ({self._stamp[0]} bytes then, {now[0]} now"
                f"{'' if now[0] != self._stamp[0] else ', another modification time'}): load it again")
        js_file, _, self._pieces = _bring_in(self._rt, self._path, self._name, self._stamp[0], self._expect, True,
                                             ranges=not self._no_ranges)
        self._file = js_file
        self.openings += 1
        self.by_ranges = self._pieces is not None
        if self._pieces is not None and self._expect is None:
            self._expect = self._pieces.expect  # (the site copy's validators: later openings expect them)
        if not KEEP_FILE:
            self._release_later(js_file)
        return js_file

    def _release_later(self, js_file):
        """Freed once the cell has run: at the next turn of the worker's event
        loop, or, when that turn comes while a read awaits its bytes, after it."""
        from js import setTimeout
        from pyodide.ffi import create_once_callable

        def free():
            if self._reading:
                self._free_after = True
            else:
                self._release(js_file)

        setTimeout(create_once_callable(free), 0)

    def _release(self, js_file):
        pieces, copy = None, None
        if self._file is js_file:
            self._file, pieces, self._pieces = None, self._pieces, None
        if pieces is not None:
            self.fetched += pieces.fetched
        elif js_file.file and not js_file.paged:  # (a copy: its bytes, to give back at once)
            copy = self._rt.h5wasm.FS.lookupPath(js_file.path).node.contents
        js_file.close()  # (closes the HDF5 file and unlinks the FS copy or range node)
        # the memory given back now, not at the worker's next garbage collection
        if pieces is not None:
            pieces.discard()
        elif copy is not None:
            self._rt.slicefile.free(copy)

    def loaded(self) -> None:
        """``load`` is done (what it scans, scanned while the file was in): the file freed."""
        if not KEEP_FILE and self._file is not None:
            self._release(self._file)

    @property
    def in_kernel(self) -> bool:
        """Whether the file is in the worker's h5wasm now."""
        return self._file is not None

    def read(self, key) -> array:
        return self._with_file(lambda f: self._read(f, key))

    def _read(self, js_file, key) -> array:
        """The values of ``key``: float64 ones a slice at a time from h5wasm's
        memory straight into the Python array (no whole JS copy of it left to
        the worker's collector); others through the reader's conversion."""
        from js import Reflect
        from pyodide.ffi import create_proxy

        info = Reflect.get(js_file.datasets, key)
        checked = self._rt.slicefile.eachCheckedChunk  # (an array of the cells checked as it is read)
        if not info.float64:
            if key in ("px", "py", "pdx", "pdy"):  # (the check alone, a pass of its own: the values converted next)
                _settled(checked, js_file, key, None)
            values = _settled(self._rt.slicefile.readValues, js_file, key)
            out = array("d", [0.0]) * values.length
            values.assign_to(out)  # one copy, JS -> Python
            return out
        out = array("d", [0.0]) * int(info.length)
        view = memoryview(out)

        def take(values, offset):
            values.assign_to(view[offset:offset + values.length])

        fn = create_proxy(take)
        try:
            _settled(checked, js_file, key, fn)
        finally:
            fn.destroy()
        return out

    def all_positive(self, key) -> bool:
        if key not in self._positive:
            self._positive[key] = bool(self._with_file(lambda f: _settled(self._rt.slicefile.allPositive, f, key)))
        return self._positive[key]

    def check_cells(self, filename) -> None:
        """Nothing read at ``load``: each array of the cells is checked as
        Python first reads it (``_read``, ``extent``), with the message the
        check at load gave, and a page that reads the file itself checks the
        cells it reads. (Checking at ``load`` read the whole geometry, which
        a plot by the page never needs from the kernel: 1.6 GB of a 50 M-cell
        slice, ~4 s of the notebook's 15 s to its first image.)"""

    def extent(self):
        def edges(f):
            _settled(self._rt.slicefile.checkCellsStreamed, f)
            return _settled(self._rt.slicefile.cellExtent, f)

        return tuple(float(v) for v in self._with_file(edges))

    def close(self):
        if self._file is not None:
            self._release(self._file)


def _settled(fn, *args):
    """``fn(*args)`` of the kernel's JavaScript, its promise awaited (a paged
    file's reads fetch first) with ``run_sync``, which such a file is opened
    only where it can be used (``_bring_in``); a JS error raised as the
    ``JsException`` it is."""
    from pyodide.ffi import run_sync

    js = _runtime.runtime().slicefile
    out = js.outcome(fn, *args)
    if hasattr(out, "__await__"):  # (a JS promise comes to Python as a future)
        out = run_sync(out)
    if not out.ok:
        js.rethrow(out.error)
    return out.value


def _unreachable(exc, pieces) -> str | None:
    """Why the site's copy could not be read (a request failed, another file),
    when that, not the file, failed: the error's or the range file's word."""
    why = getattr(exc, "unreachable", None) or (pieces.unreachable if pieces is not None else None)
    return str(why) if why else None  # (JS null comes as a falsy JsNull, not None)


def _js_error(exc, name) -> SliceFileError:
    message = str(getattr(exc, "message", exc))
    return SliceFileError(message if message.startswith(f"{name}: ") else f"{name}: {message}")


def _show(v):
    """A number as JS's String() writes it (the same message from both readers)."""
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return repr(int(v)) if v == int(v) and abs(v) < 1e21 else repr(v)


def _bring_in(rt, path: str, name: str, size: int, expect=None, heap_checked=False, ranges=True, sync_ranges=True):
    """The file opened in the worker's h5wasm -> (a SliceFile of slicefile.js,
    where the bytes come from, its pieces' source or None). A file the site
    serves by ranges is read there, the bytes HDF5 asks for: a piece at a time
    with ``run_sync`` awaiting the fetches (``openSlice``: the page's own
    paged reading) where it can be used, else (with ``sync_ranges``) by
    synchronous requests (``rangefile.js``: the server says it serves ranges);
    any other file is copied into h5wasm's FS a chunk at a time
    (``_drive.copy_into``). ``expect``: the site copy's validators at ``load``
    (others: another file); ``heap_checked``: this file passed the global heap
    check at ``load`` (not scanned again by ``rangefile.js``; a paged file's
    pieces are checked as they come). Reading by ranges that fails while the
    file is opened because of the server (not the file): the copy instead."""
    from pyodide.ffi import JsException, can_run_sync, to_js
    from js import Object

    url = None if KEEP_FILE or not ranges else _drive.site_copy_url(path)
    if url is not None and PAGED and can_run_sync():
        options = to_js({"size": size, "expect": expect}, dict_converter=Object.fromEntries)
        try:
            js_file = _open_site_copy(rt, url, name, options)
        except JsException as exc:
            failure = _unreachable(exc, None)
            if failure is None or "changed" in failure:
                raise _range_error(exc, failure, name) from None
        else:
            return js_file, "site", js_file.paged or None  # (JS null: not paged, the whole file streamed in)
        url = None  # (the server failed a range: a copy, by a plain request or from the drive)
    probe = rt.slicefile.rangeProbe(url, size) if url is not None and sync_ranges else None
    if probe is not None:
        options = to_js({"expect": probe if expect is None else expect, "heapChecked": heap_checked}, dict_converter=Object.fromEntries)
        pieces = rt.slicefile.rangeFile(rt.h5wasm, url, size, name, options)
        try:
            return rt.slicefile.openSliceFile(rt.h5wasm, pieces.path, name), "site", pieces
        except JsException as exc:
            pieces.discard()
            failure = _unreachable(exc, pieces)
            if failure is None or "changed" in failure:
                raise _range_error(exc, failure, name) from None

    def new_sink():
        try:
            return rt.slicefile.fsFile(rt.h5wasm, name, size)
        except JsException as exc:
            raise _js_error(exc, name) from None

    sink, read_from = _drive.copy_into(new_sink, path, size, streamed=not KEEP_FILE)
    try:
        fs_path = sink.finish()
    except BaseException:
        sink.discard()
        raise
    try:
        return rt.slicefile.openSliceFile(rt.h5wasm, fs_path, name), read_from, None
    except JsException as exc:
        raise _js_error(exc, name) from None


def _open_site_copy(rt, url, name, options):
    """slicefile.js's ``openSlice`` of the site's copy, awaited: a paged file
    where the server answers ranges, else the whole file streamed in."""
    return _settled(rt.slicefile.openSlice, rt.h5wasm, url, name, options)


def _range_error(exc, failure, name) -> SliceFileError:
    """A failure reading a file by ranges: the request's own reason when one failed
    (HDF5 only saw an I/O error), else what HDF5 said."""
    if failure:
        return SliceFileError(f"{name}: the site's copy could not be read ({failure})")
    return _js_error(exc, name)


def _read_with_h5wasm(path: str, name: str) -> RawSliceFile:
    """In Pyodide: the front end's reader (lite/js/core/slicefile.js, bundled),
    so the kernel and the kiosk page say the same of the same file. The file
    goes into h5wasm's FS a chunk at a time, for as long as Python reads from
    it (``_H5wasmReader``)."""
    from js import JSON

    rt = _runtime.runtime()
    stamp = _drive.stamp(path)
    # (by ranges at load only a piece at a time, awaited, its pieces read into reused buffers: the
    # synchronous requests' answers would stay in the worker, about twice the file, until its next
    # collection; else a copy, given back at once when the load is done)
    js_file, read_from, pieces = _bring_in(rt, path, name, stamp[0], sync_ranges=False)
    reader = _H5wasmReader(rt, path, name, stamp, js_file, read_from, pieces)
    try:
        return RawSliceFile(attrs=json.loads(JSON.stringify(js_file.attrs)), lengths=js_file.lengths.to_py(),
                            units=js_file.units.to_py(), reader=reader, source=_drive.drive_source(path),
                            read_from=read_from)
    except BaseException:
        reader.close()
        raise


def _to_plain(value):
    """h5py attribute -> JSON-like Python value (what h5wasm's json_value gives)."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, list):
        return [_to_plain(v) for v in value]
    return value


def _readable_attrs(attrs) -> dict:
    """{name: value} of the attributes that can be read: one that cannot (its name not
    UTF-8, its value damaged, its numbers of another layout) is absent, as h5wasm has it (slicefile.js skips it too);
    the list of names itself unreadable is a damaged file (the caller says so)."""
    out = {}
    for key in attrs.keys():
        if isinstance(key, bytes):
            continue
        try:
            tid = attrs.get_id(key).get_type()
            # (a class yt does not write: not read, as in the front end's reader; HDF5 can crash on a damaged one)
            if not conventions.attribute_class_read(tid.get_class()):
                continue
            # (a number of another layout than IEEE 754's or whole integers': damaged, so unreadable, as in
            # the front end's reader; h5py would convert it into another value)
            if conventions.number_layout_problem(key, _layout(tid)):
                continue
            out[key] = _to_plain(attrs[key])
        except (OSError, RuntimeError, KeyError, ValueError, TypeError):
            continue
    return out


def _heap_that_hangs(path) -> int | None:
    """``_conventions.global_heap_that_hangs`` of the file, through a memory map (nothing read into memory)."""
    import mmap

    try:
        with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as m:
            return conventions.global_heap_that_hangs(m)
    except (OSError, ValueError):
        return None  # (an empty file, one mmap cannot map: h5py says what it is)


#: one float64 0, repeated into an array of the length wanted (one allocation, no list)
_ZERO = (0.0,)


def _incomplete(path: str) -> str | None:
    """conventions.incomplete_file_problem of the file at ``path`` (its first bytes), None when its
    superblock cannot say or it cannot be read (the front end's reader says the same). Only once HDF5
    could not open it."""
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as fh:
            head = fh.read(conventions.SUPERBLOCK_SEARCH_BYTES)
    except OSError:
        return None
    return conventions.incomplete_file_problem(size, conventions.superblock_end(head))


def _read_with_h5py(path: str) -> RawSliceFile:
    try:
        import h5py
        import numpy as np
    except ImportError:
        raise RuntimeError("reading HDF5 on native Python needs h5py: pip install h5py") from None
    hang = _heap_that_hangs(path)
    if hang is not None:
        raise SliceFileError(f"{path}: not an HDF5 file, or truncated or damaged (global heap at byte {hang} "
                             f"holds an object HDF5 cannot get past (it would read it for ever))")
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        incomplete = _incomplete(path)
        if incomplete:
            raise SliceFileError(f"{path}: {incomplete}") from None
        raise SliceFileError(f"{path}: not an HDF5 file, or truncated or damaged ({exc})") from None
    with f:
        try:
            attrs = _readable_attrs(f.attrs)
            grid = f["grid"] if "grid" in list(f.keys()) else None  # (listed but not openable: damaged)
        except (OSError, RuntimeError, KeyError) as exc:  # damaged metadata: h5py raises any of these
            raise SliceFileError(f"{path}: not an HDF5 file, or truncated or damaged ({exc})") from None
        if not isinstance(grid, h5py.Group):
            raise SliceFileError(f"{path}: no /grid group, so not a yt save_as_dataset slice or projection")
        if not attrs:  # (the front end's reader says the same: yt writes many root attributes)
            raise SliceFileError(f"{path}: not an HDF5 file, or truncated or damaged (no root attribute could be read)")
        declared = _declared(path, grid)
        raw = RawSliceFile(attrs=attrs, lengths={k: n for k, (n, _) in declared.items()})
        # every shape checked, and the memory the load needs, before any value is read
        check_layout(path, raw.lengths, available=available_memory())
        arrays = {}
        for key, (_, ds) in declared.items():
            if key in conventions.GEOMETRY_DATASETS and key not in ("px", "py", "pdx", "pdy"):
                continue  # (pz, pdz, weight_field: not used, not read, as in the front end's reader)
            # (read by HDF5 straight into the array, converted to float64 there: one copy of the values)
            arrays[key] = values = array("d", _ZERO) * len(ds)
            try:
                ds.read_direct(np.frombuffer(values, dtype="<f8"))
            except (OSError, ValueError, TypeError, RuntimeError) as exc:
                raise SliceFileError(
                    f"{path}: not an HDF5 file, or truncated or damaged (grid/{key} cannot be read: {exc})"
                ) from None
            try:
                raw.units[key] = _readable_attrs(ds.attrs).get("units", "")
            except (OSError, RuntimeError, KeyError, ValueError, TypeError):
                raw.units[key] = ""  # (attributes that cannot be listed: no units, as in h5wasm)
        raw.reader = ArrayReader(arrays)
        return raw


def _declared(path, grid) -> dict:
    """{key: (length, dataset)} of /grid's datasets, in name order, from the
    metadata alone; the first one that is not a 1-D array of numbers is an
    error (``_conventions.grid_dataset_problem``, as the front end's reader)."""
    import h5py

    out = {}
    try:
        keys = sorted(grid.keys())
    except (OSError, RuntimeError, KeyError, ValueError, TypeError) as exc:
        raise SliceFileError(f"{path}: not an HDF5 file, or truncated or damaged ({exc})") from None
    for key in keys:
        try:
            link = grid.get(key, getlink=True)
            if link is None:  # (listed, yet not there: a damaged file, which the fuzzer found; as the front end says)
                raise OSError(f"grid/{key} cannot be opened")
            if not isinstance(link, h5py.HardLink):
                continue  # (soft and external links: not read)
            ds = grid[key]  # (an object that cannot be opened: a damaged file, as in h5wasm)
            if not isinstance(ds, h5py.Dataset):
                continue  # (groups: not read)
            tid = ds.id.get_type()
            shape, type_class, size = ds.shape, tid.get_class(), tid.get_size()
            layout = _layout(tid)
        except (OSError, RuntimeError, KeyError, ValueError, TypeError) as exc:
            raise SliceFileError(f"{path}: not an HDF5 file, or truncated or damaged ({exc})") from None
        problem = (conventions.grid_dataset_problem(key, None if shape is None else list(shape), type_class, size)
                   or conventions.number_layout_problem(key, layout))
        if problem:
            raise SliceFileError(f"{path}: {problem}")
        n = shape[0]
        out[key] = (n if n <= 2 ** 53 else int(float(n)), ds)  # (past 2**53: the double h5wasm holds)
    return out


def _layout(tid) -> dict | None:
    """The layout of the numbers an h5py datatype declares, as
    ``_conventions.number_layout_problem`` takes it (the front end reads the
    same from the file's datatype message: ``lite/js/core/h5datatype.js``);
    None for other classes."""
    import h5py

    t = h5py.h5t
    cls = {t.INTEGER: "integer", t.FLOAT: "float"}.get(tid.get_class())
    if cls is None:
        return None
    order = {t.ORDER_LE: "little", t.ORDER_BE: "big", t.ORDER_VAX: "vax"}.get(tid.get_order(), "reserved")
    out = {"cls": cls, "size": tid.get_size(), "order": order, "offset": tid.get_offset(),
           "precision": tid.get_precision()}
    if cls == "float":
        sign, epos, esize, mpos, msize = tid.get_fields()
        norm = {t.NORM_IMPLIED: "implied", t.NORM_MSBSET: "msb set", t.NORM_NONE: "none"}.get(tid.get_norm(), "reserved")
        try:
            ebias = tid.get_ebias()
        except RuntimeError:  # (HDF5's H5Tget_ebias returns 0 for an error and for a bias of 0; h5py raises on 0)
            ebias = 0
        out.update(sign=sign, epos=epos, esize=esize, mpos=mpos, msize=msize, ebias=ebias, norm=norm)
    return out


def check_layout(name, lengths: dict, fields=None, in_use=0, available=None) -> int:
    """The checks of a file's declared layout, from its metadata alone, in
    the front end's order and with its messages (``slicefile.js``:
    ``checkLayout`` and ``loadSlice``): the four geometry datasets, one
    length, at least one cell, and a load that fits in memory
    (``_conventions.too_big_to_load``; ``fields``: how many fields, by default
    every dataset that is not geometry). -> the number of cells"""
    missing = [k for k in ("px", "py", "pdx", "pdy") if k not in lengths]
    if missing:
        raise SliceFileError(f"{name}: /grid lacks {', '.join(missing)}")
    n = lengths["px"]
    for key in sorted(lengths):
        if lengths[key] != n:
            raise SliceFileError(f"{name}: grid/{key} has {lengths[key]} values but grid/px has {n}")
    if n == 0:
        raise SliceFileError(f"{name}: the slice has no cells")
    if fields is None:
        fields = sum(1 for k in lengths if k not in conventions.GEOMETRY_DATASETS)
    message = conventions.too_big_to_load(name, n, fields, in_use, available)
    if message:
        raise SliceFileError(message)
    return n


def available_memory() -> int | None:
    """Bytes of memory the machine can still give (Linux's MemAvailable, else
    the free physical pages); None where neither can be read, and in Pyodide (its
    numbers describe no machine: the wasm limit is the one that holds)."""
    if _runtime.IN_PYODIDE:
        return None
    try:
        with open("/proc/meminfo", "rb") as f:
            for line in f:
                if line.startswith(b"MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def read_slice_file(path: str) -> RawSliceFile:
    """The file's metadata and a reader of its values (see the module docstring
    for what each backend reads when)."""
    if _runtime.IN_PYODIDE:
        return _read_with_h5wasm(str(path), str(path).rsplit("/", 1)[-1])
    return _read_with_h5py(str(path))


def close_when_gone(owner, raw: RawSliceFile) -> None:
    """Close the reader's open file (Pyodide: free h5wasm's copy, if it is there) when ``owner`` is collected."""
    close = getattr(raw.reader, "close", None)
    if close is not None:
        weakref.finalize(owner, close)
