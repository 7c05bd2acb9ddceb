"""Extract a slice or an on-axis projection of any dataset yt can load.

Native CPython only (needs yt, numpy, h5py; mpi4py under MPI)::

    python -m ytlite extract DATASET --axis z --coord 0.5 --fields density temperature \\
        [--projection [--weight FIELD]] [--float32] [--compress] -o OUT.h5

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
* Under ``mpirun -n N`` it calls ``yt.enable_parallelism()``: every rank runs
  the same selection (yt splits the projection's work across the ranks and
  sums it), rank 0 alone writes, and the file is renamed into place only after
  every rank has reported success. A rank that dies makes mpirun fail; rank 0
  then removes its temporary file and ``out`` is not created.

Nothing here is imported by ``import ytlite`` (which must work in Pyodide
without numpy or yt): yt is imported inside :func:`extract`.
"""

from __future__ import annotations

import math
import os
import signal
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

AXES = {"x": 0, "y": 1, "z": 2, "0": 0, "1": 1, "2": 2}
AXIS_NAMES = ("x", "y", "z")
# Datasets in /grid that are geometry, not field values (never converted).
GEOMETRY = ("px", "py", "pz", "pdx", "pdy", "pdz", "weight_field")
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


def _rewrite(src_path, dst_path, field_names, float32, compress):
    """Copy yt's file, dataset by dataset with every attribute: the requested
    fields as float32 if asked, every /grid dataset gzip-compressed if asked
    (the cell positions and widths are very regular: they shrink 10-100x)."""
    import h5py
    import numpy as np

    with h5py.File(src_path, "r") as src, h5py.File(dst_path, "w") as dst:
        dst.attrs.update(src.attrs)

        def copy(name, obj):
            if isinstance(obj, h5py.Group):
                dst.require_group(name).attrs.update(obj.attrs)
                return
            leaf = name.rsplit("/", 1)[-1]
            convert = float32 and leaf in field_names
            if not name.startswith("grid/") or obj.ndim != 1 or not (convert or compress):
                src.copy(obj, dst, name=name)
                return
            values = obj[()]
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


def _write(obj, out: Path, names, float32, compress, comm, log) -> int:
    """Rank 0 writes a temporary file beside ``out``; all ranks agree; rank 0 renames."""
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
                log(f"writing {out} (yt save_as_dataset{', float32' if float32 else ''}"
                    f"{', gzip' if compress else ''})")
                obj.save_as_dataset(raw, fields=list(names))
                final = raw
                if float32 or compress:
                    fd, final = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp.h5")
                    os.close(fd)
                    tmp_files.append(final)
                    _rewrite(raw, final, {f[1] for f in names}, float32, compress)
                os.chmod(final, 0o666 & ~_umask())  # mkstemp made it 0600
                _fsync(final)
            except ExtractError as exc:
                ok, message = False, str(exc)
            except _Interrupted:
                raise
            except Exception as exc:  # h5py/OS errors: reported by every rank
                ok, message = False, f"writing {out} failed: {type(exc).__name__}: {exc}"
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
        raise ExtractError(f"interrupted by {exc}{why}; {out} was not written") from None
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


def extract(dataset, axis="z", coord=None, fields=("density",), projection=False, weight=None,
            float32=False, compress=False, out=None, log=_stderr, yt_log_level=None) -> dict:
    """Slice (or project) ``dataset`` (a path, or a loaded yt dataset) along ``axis`` and save it to ``out``.

    Returns a summary: ``output, kind, axis, coord, fields, units, cells,
    bytes, seconds, ranks, float32, compress`` (``bytes`` is the file size;
    on MPI ranks other than 0 it is 0). Raises :class:`ExtractError` with a
    message meant for the user on any bad input or failure. ``log`` receives
    the progress messages (rank 0 only); ``yt_log_level``, if given, is set
    with ``yt.set_log_level`` (the output and axis are checked before yt is
    imported, so those mistakes are reported at once).
    """
    start = time.perf_counter()
    if out is None:
        raise ExtractError("no output file given (-o OUT.h5)")
    if isinstance(fields, str):
        fields = [fields]
    fields = list(fields)
    if not fields:
        raise ExtractError("no fields given")
    if weight is not None and not projection:
        raise ExtractError("--weight applies to projections only (add --projection)")

    comm = _Serial()
    say = log

    def stage(fn):
        """Run a validation step on every rank; all agree on the outcome."""
        try:
            result, ok, message = fn(), True, ""
        except ExtractError as exc:
            result, ok, message = None, False, str(exc)
        ok, message = comm.agree(ok, message)
        if not ok:
            raise ExtractError(message)
        return result

    out = _check_output(out)
    ax = _axis(axis)
    import yt

    if yt_log_level is not None:
        yt.set_log_level(yt_log_level)
    comm = _communicator(yt)
    if comm.rank != 0:
        say = lambda msg: None  # noqa: E731
        warnings.filterwarnings("ignore")  # rank 0 shows yt's warnings once
    if comm.size > 1:
        say(f"MPI: {comm.size} ranks (yt parallelism enabled)")

    say(f"loading {dataset}")
    ds = stage(lambda: _load(yt, dataset))

    def check_inputs():
        geometry = str(getattr(ds.geometry, "value", ds.geometry))  # an enum in yt 4.2+
        if geometry != "cartesian":
            raise ExtractError(f"{ds}: geometry {geometry!r}; ytlite draws cartesian slices and projections only")
        names = [_field(ds, f) for f in fields]
        seen = {}
        for f in names:
            if f[1] in GEOMETRY:
                raise ExtractError(f"field {','.join(f)!r}: its name clashes with the cell geometry datasets "
                                   f"({', '.join(GEOMETRY)})")
            if f[1] in seen and seen[f[1]] != f:
                raise ExtractError(f"fields {','.join(seen[f[1]])!r} and {','.join(f)!r} would both be "
                                   f"saved as grid/{f[1]}: give one of them")
            seen[f[1]] = f
        names = list(dict.fromkeys(names))
        wfield = _field(ds, weight, "weight field") if weight is not None else None
        c = None if projection else _coord(ds, ax, coord)
        return names, wfield, c

    names, wfield, c = stage(check_inputs)
    if projection and coord is not None:
        say("note: --coord is ignored by a projection (it integrates through the whole domain)")
    shown = ", ".join(",".join(f) for f in names)
    if projection:
        weighted = f", weighted by {','.join(wfield)}" if wfield else ""
        say(f"projecting {shown} along {AXIS_NAMES[ax]}{weighted}")
    else:
        say(f"slicing {shown} at {AXIS_NAMES[ax]} = {c:g} code_length")

    def compute():
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

    obj, ncells = stage(compute)
    units = {f[1]: str(obj[f].units) for f in names}
    field_names = [f[1] for f in names]
    nbytes = _write(obj, out, names, float32, compress, comm, say)
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
    }
    return summary


def format_summary(s: dict) -> str:
    where = f" at {s['axis']} = {s['coord']:g}" if s["kind"] == "slice" else f" along {s['axis']}"
    weight = f" weighted by {s['weight']}" if s.get("weight") else ""
    storage = "float32" if s["float32"] else "float64"
    if s["compress"]:
        storage += ", gzip"
    return (f"wrote {s['output']}: {s['kind']}{where}{weight}, {s['cells']} cells, "
            f"fields {', '.join(s['fields'])} ({storage}), {s['bytes']} bytes, "
            f"{s['seconds']:.2f} s" + (f" on {s['ranks']} MPI ranks" if s["ranks"] > 1 else ""))
