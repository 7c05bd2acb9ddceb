"""Extract a slice or an on-axis projection of any dataset yt can load.

Native CPython only (needs yt, numpy, h5py: ``pip install "ytlite[extract]"``; mpi4py under MPI)::

    python -m ytlite extract DATASET --axis z --coord 0.5 --fields density temperature \\
        [--projection [--weight FIELD]] [--float32] [--compress] -o OUT.h5

or a depth stack, N slices at the centres of N equal bins along the axis::

    python -m ytlite extract DATASET --axis z --stack N --fields ... [--force] -o OUTDIR

The output is yt's own ``save_as_dataset`` HDF5 of ``ds.slice(axis, coord)``
or ``ds.proj(fields, axis, weight_field=weight)``: ``yt.load(OUT)`` opens it
and so does ``ytlite.load(OUT)`` (docs/data-format.md lists what ytlite reads).

* ``float32``: the requested field datasets are stored as float32 (cell
  positions and widths stay float64); ``compress``: gzip (with the shuffle
  filter) on every dataset in ``/grid`` (yt's own "grid" fields: cell
  positions, widths and values). Either is a rewrite of yt's file, dataset by
  dataset, with every attribute kept.
* The file is written under a temporary name in the output directory and
  renamed onto ``out`` only when complete: a failure never leaves a partial
  ``out`` and never touches an existing one.
* A stack (:func:`extract_stack`) is a folder ``OUTDIR`` of ``slice_000.h5,
  ...`` (each exactly what a single slice writes) and ``stack.json``
  (:mod:`ytlite.stack` reads it). It is made in a temporary folder beside
  ``OUTDIR`` and renamed onto it at the end; a previous stack there is
  replaced, anything else only with ``force``.
* Under ``mpirun -n N`` it calls ``yt.enable_parallelism()``: every rank runs
  the same selection (yt splits the projection's work across the ranks and
  sums it), rank 0 alone writes, and the file is renamed into place only after
  every rank has reported success. A rank that dies makes mpirun fail; rank 0
  then removes its temporary file and ``out`` is not created.

Nothing here is imported by ``import ytlite`` (which must work in Pyodide
without numpy or yt): yt is imported inside :func:`extract`.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

from ._conventions import AXIS_NAMES, GEOMETRY_DATASETS

AXES = {"x": 0, "y": 1, "z": 2, "0": 0, "1": 1, "2": 2}
# Environment variables set by MPI launchers (Open MPI; MPICH/Hydra and PMI-based ones; MVAPICH).
_MPI_SIZE_VARS = ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "MV2_COMM_WORLD_SIZE")
_MPI_RANK_VARS = ("OMPI_COMM_WORLD_RANK", "PMI_RANK", "MV2_COMM_WORLD_RANK")
FLOAT32_TINY, FLOAT32_MAX = 1.1754943508222875e-38, 3.4028234663852886e38


class ExtractError(Exception):
    """A bad input or a failed extraction, with a message meant for the user."""


class _Interrupted(BaseException):
    pass


# -- MPI ------------------------------------------------------------------------


def _env_int(names, default):
    for var in names:
        try:
            return int(os.environ[var])
        except (KeyError, ValueError):
            continue
    return default


def launched_ranks() -> int:
    """How many MPI ranks the launcher started (1 when not under mpirun)."""
    return max(1, _env_int(_MPI_SIZE_VARS, 1))


def launched_rank() -> int:
    """This process's MPI rank as the launcher set it (0 when not under mpirun)."""
    return _env_int(_MPI_RANK_VARS, 0)


class _Serial:
    rank, size = 0, 1

    def agree(self, ok: bool, message: str = "") -> tuple[bool, str]:
        return ok, message


class _MPI:
    """The agreement steps between ranks, on a communicator of our own (not yt's)."""

    def __init__(self):
        from mpi4py import MPI

        self.MPI = MPI
        self.comm = MPI.COMM_WORLD.Dup()
        self.rank, self.size = self.comm.rank, self.comm.size

    def agree(self, ok: bool, message: str = "") -> tuple[bool, str]:
        """Whether every rank is ``ok``; if not, the first failing rank's message.

        Waits with a polled non-blocking reduction, so that Python signal
        handlers run meanwhile (mpirun sends SIGTERM when another rank dies)."""
        import numpy as np

        send, recv = np.array([1 if ok else 0], dtype="i4"), np.zeros(1, dtype="i4")
        request = self.comm.Iallreduce(send, recv, op=self.MPI.MIN)
        while not request.Test():
            time.sleep(0.002)
        if recv[0]:
            return True, ""
        messages = self.comm.allgather(None if ok else (self.rank, message))
        rank, msg = next(m for m in messages if m is not None)
        return False, msg if rank == 0 else f"(on MPI rank {rank}) {msg}"


def _communicator(yt):
    ranks = launched_ranks()
    if ranks <= 1:
        return _Serial()
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        raise ExtractError(f"started with {ranks} MPI ranks, but mpi4py is not installed "
                           "(pip install mpi4py)") from None
    if not yt.enable_parallelism(suppress_logging=True):
        raise ExtractError(f"started with {ranks} MPI ranks, but yt could not enable parallelism")
    return _MPI()


# -- inputs ---------------------------------------------------------------------


def _check_output(out) -> Path:
    out = Path(out)
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise ExtractError(f"output directory {str(parent)!r} does not exist")
    if out.is_dir():
        raise ExtractError(f"output {str(out)!r} is a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ExtractError(f"output directory {str(parent)!r} is not writable")
    return out


def _axis(axis) -> int:
    key = str(axis).strip().lower()
    if key not in AXES:
        raise ExtractError(f"bad axis {axis!r}: use x, y or z (or 0, 1, 2)")
    return AXES[key]


def _load(yt, dataset):
    if hasattr(dataset, "field_info") and hasattr(dataset, "domain_left_edge"):
        return dataset  # already a yt dataset
    path = str(dataset)
    if not os.path.exists(path):
        raise ExtractError(f"cannot load {path!r}: no such file or directory")
    try:
        return yt.load(path)
    except Exception as exc:  # yt raises many kinds (YTUnidentifiedDataType, OSError, ...)
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ExtractError(f"yt cannot load {path!r}: {reason}") from None


def _available_fields(ds) -> str:
    """The mesh fields of a dataset, as ``type,name``: on disk first, then yt's derived ones."""
    on_disk = {f for f in ds.field_list if _sampling(ds, f) != "particle"}
    derived = [f for f in ds.derived_field_list
               if f not in on_disk and f[0] not in ("index", "deposit") and _sampling(ds, f) != "particle"]
    text = "on disk: " + (", ".join(",".join(f) for f in sorted(on_disk)) or "none")
    if derived:
        shown = ", ".join(",".join(f) for f in derived[:60])
        more = f", ... ({len(derived) - 60} more)" if len(derived) > 60 else ""
        text += f"; derived by yt: {shown}{more}"
    return text


def _sampling(ds, field) -> str:
    try:
        return ds.field_info[field].sampling_type
    except KeyError:
        return ""


def _field(ds, name, what="field"):
    """``density``, ``gas,density`` or ``("gas", "density")`` -> yt's field tuple."""
    from yt.utilities.exceptions import YTFieldNotFound

    key = name
    if isinstance(name, str):
        parts = [p.strip() for p in name.split(",")]
        if len(parts) > 2 or not all(parts):
            raise ExtractError(f"bad {what} name {name!r}: use NAME or TYPE,NAME (e.g. gas,density)")
        key = tuple(parts) if len(parts) == 2 else parts[0]
    try:
        finfo = ds._get_field_info(key)
    except (YTFieldNotFound, KeyError, ValueError, TypeError):
        shown = ",".join(key) if isinstance(key, tuple) else key
        raise ExtractError(f"unknown {what} {shown!r} in {ds}; available mesh fields {_available_fields(ds)}") from None
    if finfo.sampling_type == "particle":
        raise ExtractError(f"{what} {','.join(finfo.name)!r} is a particle field: slices and projections "
                           f"need mesh fields; available mesh fields {_available_fields(ds)}")
    return finfo.name


def _coord(ds, axis, coord) -> float:
    """The slice position along ``axis`` in code_length (default: the domain centre)."""
    left = float(ds.domain_left_edge[axis].to("code_length"))
    right = float(ds.domain_right_edge[axis].to("code_length"))
    name = AXIS_NAMES[axis]
    if coord is None:
        return float(ds.domain_center[axis].to("code_length"))
    try:
        if isinstance(coord, tuple):
            value = float(ds.quan(float(coord[0]), coord[1]).to("code_length"))
        elif isinstance(coord, str):
            parts = coord.split(None, 1)
            value = float(parts[0]) if len(parts) == 1 else float(ds.quan(float(parts[0]), parts[1]).to("code_length"))
        else:
            value = float(coord)
    except Exception as exc:
        raise ExtractError(f"bad coord {coord!r}: a number in code_length, or 'VALUE UNIT' ({exc})") from None
    if not math.isfinite(value) or not left <= value <= right:
        raise ExtractError(f"coord {name} = {value:g} code_length is outside the domain, "
                           f"which spans {left:g} to {right:g} along {name}")
    return value


# -- output ---------------------------------------------------------------------


def parse_region(region=None, center=None, width=None):
    """The image-plane rectangle ``(x0, x1, y0, y1)`` (code_length) of ``--region
    x0,x1,y0,y1`` or ``--center X,Y --width W[,H]`` (H = W when absent), None when
    neither is given; an ExtractError for anything else (both, or either alone of
    center and width, numbers that are not finite, an empty or inverted rectangle)."""
    if region is None and center is None and width is None:
        return None
    if region is not None and (center is not None or width is not None):
        raise ExtractError("give either --region or --center with --width, not both")
    if region is None and (center is None or width is None):
        raise ExtractError("--center and --width go together (--center X,Y --width W[,H])")

    def numbers(text, option, counts):
        parts = [p for p in str(text).replace(" ", ",").split(",") if p]
        try:
            values = [float(p) for p in parts]
        except ValueError:
            values = None
        if values is None or len(values) not in counts:
            raise ExtractError(f"{option} {text!r}: expected {' or '.join(map(str, counts))} numbers separated by commas")
        if not all(map(math.isfinite, values)):
            raise ExtractError(f"{option} {text!r}: every number must be finite")
        return values

    if region is not None:
        x0, x1, y0, y1 = numbers(region, "--region", (4,))
    else:
        (cx, cy), size = numbers(center, "--center", (2,)), numbers(width, "--width", (1, 2))
        w, h = size[0], size[-1]
        if not (w > 0 and h > 0):
            raise ExtractError(f"--width {width!r}: the width and height must be positive")
        x0, x1, y0, y1 = cx - w / 2, cx + w / 2, cy - h / 2, cy + h / 2
    if not (x0 < x1 and y0 < y1):
        raise ExtractError(f"region x {x0:g}..{x1:g}, y {y0:g}..{y1:g} is empty or inverted: "
                           "give x0 < x1 and y0 < y1 (--region x0,x1,y0,y1)")
    return (x0, x1, y0, y1)


def region_mask(px, py, pdx, pdy, region):
    """Which cells overlap the rectangle ``region`` (x0, x1, y0, y1): a cell covers
    ``[px - pdx, px + pdx] x [py - pdy, py + pdy]`` and must share an area with it
    (touching its edge is not enough)."""
    x0, x1, y0, y1 = region
    return (px + pdx > x0) & (px - pdx < x1) & (py + pdy > y0) & (py - pdy < y1)


def _check_float32(values, name):
    """Refuse float32 where it would change a field beyond rounding: finite
    values past float32's range (they become inf), or values below its normal
    range (subnormal or 0) that are not negligible next to the field's largest
    magnitude (relative size over 2**-24, float32's own resolution)."""
    import numpy as np

    a = np.abs(np.asarray(values, dtype="f8"))
    a = a[np.isfinite(a)]
    if not a.size:
        return
    over = a > FLOAT32_MAX
    under = (a != 0) & (a < FLOAT32_TINY) & (a >= a.max() * 2.0**-24)
    for bad, what in ((over, "above"), (under, "below")):
        if bad.any():
            raise ExtractError(
                f"--float32: field {name!r} has {int(bad.sum())} values {what} float32's range "
                f"({FLOAT32_TINY:.3g} to {FLOAT32_MAX:.3g} in magnitude; e.g. {float(a[bad][0]):.6g}): "
                "they would become inf or lose their precision: write float64 (drop --float32)"
            )


def rewrite(src_path, dst_path, field_names, float32, compress, attrs=None, region=None):
    """Copy yt's file, dataset by dataset with every attribute: the requested
    fields as float32 if asked, every /grid dataset gzip-compressed if asked
    (the cell positions and widths are very regular: they shrink 10-100x);
    ``attrs``: file attributes added or replaced on the way; ``region``
    (x0, x1, y0, y1): only the cells overlapping it (:func:`region_mask`),
    recorded in the attribute ``ytlite_region``."""
    import h5py
    import numpy as np

    with h5py.File(src_path, "r") as src, h5py.File(dst_path, "w") as dst:
        dst.attrs.update(src.attrs)
        dst.attrs.update(attrs or {})
        keep = None
        if region is not None:
            grid = src["grid"]
            keep = region_mask(*(grid[k][()] for k in ("px", "py", "pdx", "pdy")), region)
            if not keep.any():
                x0, x1, y0, y1 = region
                raise ExtractError(f"the region x {x0:g}..{x1:g}, y {y0:g}..{y1:g} (code_length) holds no cell "
                                   f"of the {'slice' if src.attrs.get('container_type') == 'slice' else 'projection'}"
                                   f" (its cells span x {float(np.min(grid['px'][()] - grid['pdx'][()])):g}.."
                                   f"{float(np.max(grid['px'][()] + grid['pdx'][()])):g}, y "
                                   f"{float(np.min(grid['py'][()] - grid['pdy'][()])):g}.."
                                   f"{float(np.max(grid['py'][()] + grid['pdy'][()])):g})")
            dst.attrs["ytlite_region"] = np.asarray(region, dtype="f8")

        def copy(name, obj):
            if isinstance(obj, h5py.Group):
                dst.require_group(name).attrs.update(obj.attrs)
                return
            leaf = name.rsplit("/", 1)[-1]
            convert = float32 and leaf in field_names
            cut = keep is not None and name.startswith("grid/") and obj.shape == keep.shape
            if not name.startswith("grid/") or obj.ndim != 1 or not (convert or compress or cut):
                src.copy(obj, dst, name=name)
                return
            values = obj[()][keep] if cut else obj[()]
            if convert:
                _check_float32(values, leaf)
                values = values.astype("<f4")
            opts = {}
            if compress and values.size:
                opts = {"compression": "gzip", "compression_opts": 4, "shuffle": True,
                        "chunks": (min(values.size, 1 << 16),)}
            out = dst.create_dataset(name, data=np.ascontiguousarray(values), **opts)
            out.attrs.update(obj.attrs)

        src.visititems(copy)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _fsync(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _on_signal(signum, frame):
    raise _Interrupted(signal.Signals(signum).name)


def _commit(comm, ok: bool, message: str = "") -> tuple[bool, str]:
    """The last agreement: every rank finished. Only then is the file renamed."""
    return comm.agree(ok, message)


def _write(obj, out: Path, names, float32, compress, comm, log, shown=None, region=None) -> int:
    """Rank 0 writes a temporary file beside ``out``; all ranks agree; rank 0 renames.

    ``shown``: the name given in messages (default ``out``)."""
    shown = out if shown is None else shown
    tmp_files = []
    ok, message = True, ""
    previous = {}
    if comm.rank == 0 and threading.current_thread() is threading.main_thread():
        # mpirun ends the other ranks with SIGTERM when one dies: clean up first
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            previous[sig] = signal.signal(sig, _on_signal)
    try:
        if comm.rank == 0:
            try:
                # ".h5" last: save_as_dataset appends it to any other name
                fd, raw = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp.h5")
                os.close(fd)
                tmp_files.append(raw)
                log(f"writing {shown} (yt save_as_dataset{', float32' if float32 else ''}"
                    f"{', gzip' if compress else ''}{', the region only' if region else ''})")
                obj.save_as_dataset(raw, fields=list(names))
                final = raw
                if float32 or compress or region:
                    fd, final = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp.h5")
                    os.close(fd)
                    tmp_files.append(final)
                    rewrite(raw, final, {f[1] for f in names}, float32, compress, region=region)
                os.chmod(final, 0o666 & ~_umask())  # mkstemp made it 0600
                _fsync(final)
            except ExtractError as exc:
                ok, message = False, str(exc)
            except _Interrupted:
                raise
            except Exception as exc:  # h5py/OS errors: reported by every rank
                ok, message = False, f"writing {shown} failed: {type(exc).__name__}: {exc}"
        ok, message = _commit(comm, ok, message)
        if not ok:
            raise ExtractError(message)
        if comm.rank == 0:
            os.replace(final, out)
            tmp_files.remove(final)
            return os.path.getsize(out)
        return 0
    except _Interrupted as exc:
        why = " (under mpirun: another rank failed?)" if comm.size > 1 else ""
        raise ExtractError(f"interrupted by {exc}{why}; {shown} was not written") from None
    finally:
        for path in tmp_files:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
        for sig, handler in previous.items():
            signal.signal(sig, handler)


# -- the extraction ---------------------------------------------------------------


def _stderr(msg: str) -> None:
    print(f"[ytlite extract] {msg}", file=sys.stderr, flush=True)


def _stage(comm, fn):
    """Run a step on every rank; all agree on the outcome (the first failing rank's message)."""
    try:
        result, ok, message = fn(), True, ""
    except ExtractError as exc:
        result, ok, message = None, False, str(exc)
    ok, message = comm.agree(ok, message)
    if not ok:
        raise ExtractError(message)
    return result


#: what to run when yt is missing (`ytlite extract`, ytlite.toml's [make] tables need it)
INSTALL_EXTRACT = 'pip install "ytlite[extract]"'


def import_yt():
    """yt, or an :class:`ExtractError` saying it is missing and how to install it
    (``ytlite site build`` and the viewer need no yt; making slice files does)."""
    try:
        import yt
    except ModuleNotFoundError as exc:
        if exc.name != "yt":
            raise
        raise ExtractError(f"making slice files needs yt, which is not installed: {INSTALL_EXTRACT}") from None
    return yt


def _start(yt_log_level, log):
    """Import yt, set its log level, join the MPI ranks: (yt, comm, log of this rank)."""
    yt = import_yt()

    if yt_log_level is not None:
        yt.set_log_level(yt_log_level)
    comm = _communicator(yt)
    say = log
    if comm.rank != 0:
        say = lambda msg: None  # noqa: E731
        warnings.filterwarnings("ignore")  # rank 0 shows yt's warnings once
    if comm.size > 1:
        say(f"MPI: {comm.size} ranks (yt parallelism enabled)")
    return yt, comm, say


def _field_args(fields) -> list:
    if isinstance(fields, str):
        fields = [fields]
    fields = list(fields)
    if not fields:
        raise ExtractError("no fields given")
    return fields


def _check_fields(ds, fields) -> list:
    """The requested fields as yt's field tuples (cartesian datasets only), deduplicated."""
    geometry = str(getattr(ds.geometry, "value", ds.geometry))  # an enum in yt 4.2+
    if geometry != "cartesian":
        raise ExtractError(f"{ds}: geometry {geometry!r}; ytlite draws cartesian slices and projections only")
    names = [_field(ds, f) for f in fields]
    seen = {}
    for f in names:
        if f[1] in GEOMETRY_DATASETS:
            raise ExtractError(f"field {','.join(f)!r}: its name clashes with the cell geometry datasets "
                               f"({', '.join(GEOMETRY_DATASETS)})")
        if f[1] in seen and seen[f[1]] != f:
            raise ExtractError(f"fields {','.join(seen[f[1]])!r} and {','.join(f)!r} would both be "
                               f"saved as grid/{f[1]}: give one of them")
        seen[f[1]] = f
    return list(dict.fromkeys(names))


def _compute(ds, names, ax, c, projection=False, wfield=None):
    """yt's slice (or projection), every array computed: (the object, its number of cells)."""
    if projection:
        obj = ds.proj(names, ax, weight_field=wfield)
    else:
        obj = ds.slice(ax, c)
    # Every rank computes every array here (projections are collective):
    # writing then only reads cached values, on rank 0 alone.
    for f in (*obj._container_fields, *names):
        obj[f]
    ncells = len(obj["px"])
    if ncells == 0:
        where = "" if projection else f" at {AXIS_NAMES[ax]} = {c:g}"
        raise ExtractError(f"the {'projection' if projection else 'slice'}{where} has no cells")
    return obj, ncells


def extract(dataset, axis="z", coord=None, fields=("density",), projection=False, weight=None,
            float32=False, compress=False, out=None, log=_stderr, yt_log_level=None,
            stack=None, force=False, region=None, center=None, width=None) -> dict:
    """Slice (or project) ``dataset`` (a path, or a loaded yt dataset) along ``axis`` and save it to ``out``.

    Returns a summary: ``output, kind, axis, coord, fields, units, cells,
    bytes, seconds, ranks, float32, compress`` (``bytes`` is the file size;
    on MPI ranks other than 0 it is 0). Raises :class:`ExtractError` with a
    message meant for the user on any bad input or failure. ``log`` receives
    the progress messages (rank 0 only); ``yt_log_level``, if given, is set
    with ``yt.set_log_level`` (the output and axis are checked before yt is
    imported, so those mistakes are reported at once).

    ``stack=N``: a depth stack of N slices into the folder ``out`` instead
    (:func:`extract_stack`; ``force`` applies to it).

    ``region`` ("x0,x1,y0,y1" or 4 numbers), or ``center`` ("X,Y") with
    ``width`` ("W" or "W,H"), in code_length in the image plane: only the cells
    overlapping that rectangle are written (:func:`parse_region`), so a slice
    too big for the browser can be made small enough.
    """
    rect = parse_region(_text(region), _text(center), _text(width))
    if stack is not None:
        if projection:
            raise ExtractError("--stack makes slices: it cannot be combined with --projection")
        if coord is not None:
            try:
                n = _stack_count(stack)
            except ExtractError:
                n = "N"
            raise ExtractError(f"--stack places its slices itself (at the centres of {n} equal bins "
                               "along the axis): drop --coord")
        if weight is not None:
            raise ExtractError("--weight applies to projections only, and --stack makes slices")
        return extract_stack(dataset, axis=axis, n=stack, fields=fields, float32=float32, compress=compress,
                             out=out, force=force, log=log, yt_log_level=yt_log_level, region=rect)
    start = time.perf_counter()
    if out is None:
        raise ExtractError("no output file given (-o OUT.h5)")
    fields = _field_args(fields)
    if weight is not None and not projection:
        raise ExtractError("--weight applies to projections only (add --projection)")

    out = _check_output(out)
    ax = _axis(axis)
    yt, comm, say = _start(yt_log_level, log)

    say(f"loading {dataset}")
    ds = _stage(comm, lambda: _load(yt, dataset))

    def check_inputs():
        names = _check_fields(ds, fields)
        wfield = _field(ds, weight, "weight field") if weight is not None else None
        c = None if projection else _coord(ds, ax, coord)
        return names, wfield, c

    names, wfield, c = _stage(comm, check_inputs)
    if projection and coord is not None:
        say("note: --coord is ignored by a projection (it integrates through the whole domain)")
    shown = ", ".join(",".join(f) for f in names)
    if projection:
        weighted = f", weighted by {','.join(wfield)}" if wfield else ""
        say(f"projecting {shown} along {AXIS_NAMES[ax]}{weighted}")
    else:
        say(f"slicing {shown} at {AXIS_NAMES[ax]} = {c:g} code_length")

    obj, ncells = _stage(comm, lambda: _compute(ds, names, ax, c, projection, wfield))
    units = {f[1]: str(obj[f].units) for f in names}
    field_names = [f[1] for f in names]
    nbytes = _write(obj, out, names, float32, compress, comm, say, region=rect)
    if rect is not None and comm.rank == 0:
        ncells = _cells_written(out)
    summary = {
        "output": str(out),
        "kind": "projection" if projection else "slice",
        "axis": AXIS_NAMES[ax],
        "coord": c,
        "fields": field_names,
        "units": units,
        "weight": ",".join(wfield) if wfield else None,
        "cells": ncells,
        "bytes": nbytes,
        "seconds": time.perf_counter() - start,
        "ranks": comm.size,
        "rank": comm.rank,
        "float32": bool(float32),
        "compress": bool(compress),
        "region": list(rect) if rect is not None else None,
    }
    return summary


def _cells_written(path) -> int:
    import h5py

    with h5py.File(path, "r") as f:
        return int(f["grid/px"].shape[0])


def _text(value):
    """An option as the command line gives it: a list or tuple of numbers becomes "a,b,..."."""
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return value


# -- depth stacks ---------------------------------------------------------------------


def _is_stack_folder(path: Path) -> bool:
    """Whether ``path`` is a folder holding a ytlite stack.json (a previous stack, replaced without --force)."""
    from .stack import STACK_FILE, STACK_FORMAT

    if path.is_symlink() or not path.is_dir():
        return False
    try:
        meta = json.loads((path / STACK_FILE).read_text())
    except (OSError, ValueError):
        return False
    return isinstance(meta, dict) and meta.get("format") == STACK_FORMAT


def _check_stack_output(out, force) -> Path:
    out = Path(out)
    if out.name in ("", ".", ".."):
        raise ExtractError(f"bad output folder {str(out)!r}: give the stack's own folder name (-o OUTDIR)")
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise ExtractError(f"output directory {str(parent)!r} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ExtractError(f"output directory {str(parent)!r} is not writable")
    if (out.exists() or out.is_symlink()) and not force and not _is_stack_folder(out):
        what = "a folder" if out.is_dir() else "a file"
        raise ExtractError(f"output {str(out)!r} exists and is not a ytlite stack ({what} without a ytlite "
                           "stack.json): choose another -o, or pass --force to replace it")
    return out


def _stack_count(n) -> int:
    if isinstance(n, str) and n.strip().isdigit():
        n = int(n)
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ExtractError(f"--stack {n}: the number of slices must be a positive integer")
    return n


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        try:
            path.unlink()
        except FileNotFoundError:
            pass


def _replace_folder(tmp: Path, out: Path) -> None:
    """Rename ``tmp`` onto ``out``. An existing ``out`` is first renamed aside
    (and put back if the second rename fails), then removed: ``out`` is never
    partial, though for a moment between the two renames it is absent."""
    old = None
    if out.exists() or out.is_symlink():
        old = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.", suffix=".old"))
        old.rmdir()
        os.rename(out, old)
    try:
        os.rename(tmp, out)
    except BaseException:
        if old is not None:
            os.rename(old, out)
        raise
    if old is not None:
        _remove(old)


def _dataset_name(dataset) -> str:
    if hasattr(dataset, "field_info"):
        return os.path.basename(str(getattr(dataset, "parameter_filename", None) or dataset))
    return os.path.basename(os.path.normpath(str(dataset)))


def stack_coords(left: float, right: float, n: int) -> list:
    """The centres of ``n`` equal bins from ``left`` to ``right``."""
    return [left + (i + 0.5) * (right - left) / n for i in range(n)]


def extract_stack(dataset, axis="z", n=8, fields=("density",), float32=False, compress=False, out=None,
                  force=False, log=_stderr, yt_log_level=None, region=None) -> dict:
    """``n`` slices of ``dataset`` along ``axis`` at the centres of ``n`` equal
    bins across the domain, into the folder ``out`` (see :mod:`ytlite.stack`).

    Each slice goes through the same path as a single slice (under MPI: every
    rank computes it, rank 0 writes). The folder is made under a temporary
    name beside ``out`` and renamed onto it once every file is complete: a
    failure never leaves a partial ``out`` and never touches an existing one.
    ``out`` may be a previous stack (it is replaced); anything else there is
    refused unless ``force``. Returns a summary like :func:`extract`'s, with
    ``kind`` ``"stack"``, ``coords``, ``files`` (the slice file names),
    ``cells`` (all slices) and ``bytes`` (all files, stack.json included).
    """
    from .stack import STACK_FILE, STACK_FORMAT, STACK_VERSION

    start = time.perf_counter()
    if out is None:
        raise ExtractError("no output folder given (-o OUTDIR)")
    n = _stack_count(n)
    fields = _field_args(fields)
    out = _check_stack_output(out, force)
    ax = _axis(axis)
    name = AXIS_NAMES[ax]
    yt, comm, say = _start(yt_log_level, log)

    say(f"loading {dataset}")
    ds = _stage(comm, lambda: _load(yt, dataset))
    names = _stage(comm, lambda: _check_fields(ds, fields))

    def positions():
        left = float(ds.domain_left_edge[ax].to("code_length"))
        right = float(ds.domain_right_edge[ax].to("code_length"))
        coords = stack_coords(left, right, n)
        if any(not b > a for a, b in zip(coords, coords[1:])):
            raise ExtractError(f"--stack {n}: too many slices for the domain along {name} "
                               f"({left:g} to {right:g}): their positions would not all differ")
        return coords

    coords = _stage(comm, positions)
    files = [f"slice_{i:03d}.h5" for i in range(n)]
    shown = ", ".join(",".join(f) for f in names)
    say(f"stack of {n} slices of {shown} along {name} at {name} = {coords[0]:g} ... {coords[-1]:g} code_length "
        f"into {out}")

    tmp = None
    previous = {}
    if comm.rank == 0 and threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            previous[sig] = signal.signal(sig, _on_signal)
    try:
        def make_folder():
            if comm.rank != 0:
                return None
            try:
                return Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp"))
            except OSError as exc:
                raise ExtractError(f"cannot make a temporary folder beside {out}: {exc}") from None

        tmp = _stage(comm, make_folder)
        cells, nbytes, units = 0, 0, {}
        for i, (c, fname) in enumerate(zip(coords, files)):
            obj, ncells = _stage(comm, lambda: _compute(ds, names, ax, c))
            if not units:
                units = {f[1]: str(obj[f].units) for f in names}
            target = (tmp if tmp is not None else out) / fname
            size = _write(obj, target, names, float32, compress, comm, lambda m: None, shown=out / fname, region=region)
            del obj
            if region is not None and comm.rank == 0:
                ncells = _cells_written(target)
            cells += ncells
            nbytes += size
            say(f"slice {i + 1}/{n}: {name} = {c:g} code_length, {ncells} cells, {size} bytes")

        ok, message = True, ""
        if comm.rank == 0:
            meta = {"format": STACK_FORMAT, "version": STACK_VERSION, "axis": ax, "axis_name": name,
                    "coords": coords, "coord_units": "code_length", "files": files,
                    "fields": [f[1] for f in names], "dataset": _dataset_name(dataset)}
            try:
                path = tmp / STACK_FILE
                path.write_text(json.dumps(meta, indent=1) + "\n")
                os.chmod(path, 0o666 & ~_umask())
                _fsync(path)
                nbytes += path.stat().st_size
                os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp made it 0700
                _fsync(tmp)
            except OSError as exc:
                ok, message = False, f"writing {out / STACK_FILE} failed: {type(exc).__name__}: {exc}"
        ok, message = _commit(comm, ok, message)
        if not ok:
            raise ExtractError(message)
        if comm.rank == 0:
            try:
                _replace_folder(tmp, out)
            except OSError as exc:
                raise ExtractError(f"renaming the finished stack onto {out} failed: {exc}") from None
            tmp = None
            say(f"wrote {out}/{STACK_FILE}")
    except _Interrupted as exc:
        why = " (under mpirun: another rank failed?)" if comm.size > 1 else ""
        raise ExtractError(f"interrupted by {exc}{why}; {out} was not written") from None
    except ExtractError as exc:
        msg = str(exc)
        if msg.startswith("interrupted by") and "; " in msg:  # from _write: name the stack, not the slice
            msg = msg.rsplit("; ", 1)[0]
        if not msg.endswith(f"{out} was not written"):
            msg = f"{msg}; {out} was not written"
        raise ExtractError(msg) from None
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return {
        "output": str(out),
        "kind": "stack",
        "axis": name,
        "coord": None,
        "coords": coords,
        "fields": [f[1] for f in names],
        "units": units,
        "weight": None,
        "files": files,
        "cells": cells,
        "bytes": nbytes if comm.rank == 0 else 0,
        "seconds": time.perf_counter() - start,
        "ranks": comm.size,
        "rank": comm.rank,
        "float32": bool(float32),
        "compress": bool(compress),
    }


def format_summary(s: dict) -> str:
    storage = "float32" if s["float32"] else "float64"
    if s["compress"]:
        storage += ", gzip"
    ranks = f" on {s['ranks']} MPI ranks" if s["ranks"] > 1 else ""
    if s["kind"] == "stack":
        coords = s["coords"]
        n = len(coords)
        where = f"{s['axis']} = {coords[0]:g}" + (f" to {coords[-1]:g}" if n > 1 else "")
        return (f"wrote {s['output']}: stack of {n} slice{'s' if n != 1 else ''} along {s['axis']} "
                f"({where} code_length), {s['cells']} cells in all, fields {', '.join(s['fields'])} ({storage}), "
                f"{n} slice files + stack.json, {s['bytes']} bytes, {s['seconds']:.2f} s{ranks}")
    where = f" at {s['axis']} = {s['coord']:g}" if s["kind"] == "slice" else f" along {s['axis']}"
    weight = f" weighted by {s['weight']}" if s.get("weight") else ""
    if s.get("region"):
        x0, x1, y0, y1 = s["region"]
        weight += f", region x {x0:g}..{x1:g}, y {y0:g}..{y1:g}"
    return (f"wrote {s['output']}: {s['kind']}{where}{weight}, {s['cells']} cells, "
            f"fields {', '.join(s['fields'])} ({storage}), {s['bytes']} bytes, "
            f"{s['seconds']:.2f} s" + ranks)
