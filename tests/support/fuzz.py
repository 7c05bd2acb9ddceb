"""A seeded fuzzer of the two slice-file readers: ytlite.load (h5py on
CPython) and the front end's slicefile.js (h5wasm, in node). Used by
tests/test_fuzz_readers.py (a fixed seed, under a minute) and bench/fuzz.py
(as long as asked).

Cases are mutations of source files (the real slices, a small good file made
here): bytes (bit flips, truncation, zeroed and swapped blocks) and, through
h5py, the structure (root and ``units`` attributes of other types and shapes,
datasets of other types and shapes, declared lengths inflated over what is
stored, gzip bombs). Every case goes through both readers, each a worker
process fed many files (one JSON line back per file), under a time limit per
file. What must hold (:func:`judge`): no crash (a Python exception other
than ``SliceFileError``, a JS error other than slicefile.js's, a worker that
dies), no hang, every refusal names the file, and the same verdict from both:
both accept with the same cells and the same values (crc32 of every array
as float64), or both refuse. The front end's reader also reads each case as
the page reads big files, a piece at a time (pagedfile.js), which must say
what its read of the whole file says (:func:`judge_paged`).

    python tests/support/fuzz.py --worker    # the Python side: FILE per line on stdin
"""

from __future__ import annotations

import json
import os
import queue
import random
import subprocess
import sys
import threading
import time
import zlib
from array import array
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
JS_RUNNER = ROOT / "tests" / "support" / "slicefile_runner.mjs"
GEOMETRY = ("px", "py", "pdx", "pdy")
RESTART = 75  # a worker's exit status asking for a fresh process (slicefile_runner.mjs, after h5wasm trapped)


# -- the cases -----------------------------------------------------------------------------------


def small_good_file(path: Path) -> Path:
    """A small valid slice (8 cells, two fields, chunked and gzip so the filters are fuzzed too)."""
    import h5py
    import numpy as np

    px = np.array([0.25, 0.75, 0.25, 0.75, 0.5625, 0.6875, 0.5625, 0.6875])
    py = np.array([0.25, 0.25, 0.75, 0.75, 0.5625, 0.5625, 0.6875, 0.6875])
    half = np.array([0.25, 0.25, 0.25, 0.25, 0.0625, 0.0625, 0.0625, 0.0625])
    with h5py.File(path, "w") as f:
        for k, v in {"axis": 2, "container_type": "slice", "coord": 0.5, "coord_units": "code_length",
                     "domain_left_edge": [0.0, 0.0, 0.0], "domain_right_edge": [1.0, 1.0, 1.0],
                     "length_unit": 3.0e18, "length_unit_units": "cm", "current_time": 1.5,
                     "current_time_units": "code_time", "periodicity": [True, True, False]}.items():
            f.attrs[k] = v
        for k, v in {"px": px, "py": py, "pdx": half, "pdy": half, "pz": np.full(8, 0.5), "pdz": half,
                     "density": np.arange(1.0, 9.0), "velocity_x": np.linspace(-1, 1, 8)}.items():
            ds = f.create_dataset(f"grid/{k}", data=v, chunks=(4,), compression="gzip", shuffle=True)
            ds.attrs["units"] = "g/cm**3" if k == "density" else "code_length"
    return path


ODD_VALUES = [  # what an attribute may become
    "2", "", "x" * 300, b"\xff\xfe", 2 ** 40, -1, 3, 0, 1.5, float("nan"), float("inf"), True, [2], [], [[0.0, 1.0]],
    [1.0, 2.0], [0.0, 0.0, 0.0], [float("nan")] * 3, [1.0, 0.0, 1.0], ["a", "b", "c"], [True, False, True],
    [2 ** 62, 1, 1], [-1.0, -1.0, -1.0],
]
ROOT_ATTRS = ("axis", "container_type", "coord", "coord_units", "domain_left_edge", "domain_right_edge",
              "length_unit", "length_unit_units", "current_time", "current_time_units", "periodicity",
              "ytlite_field", "ytlite_cmap", "ytlite_scale")
ODD_DATASETS = [  # (dtype, shape) a dataset may become; the values are the original ones where they fit
    ("f2", None), ("i8", None), ("u1", None), (">f4", None), (">i2", None), ("S4", None), ("bool", None),
    ("compound", None), ("vlen-str", None), ("f8", "2d"), ("f8", "scalar"), ("f8", "empty"), ("f8", "short"),
    ("f8", "long"), ("c16", None),
]
INFLATED = [2 ** 31, 10 ** 10, 2 ** 40, 300 * 2 ** 20]  # declared lengths: all beyond the memory budget


def _values(ds):
    import numpy as np

    try:
        return np.asarray(ds[()], dtype="f8").ravel()
    except Exception:  # noqa: BLE001 -- a damaged source: any numbers will do
        return np.arange(4.0)


def _mutate_bytes(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    b = bytearray(data)
    kind = rng.choice(["flip", "flip_head", "truncate", "zero", "swap", "flip_many"])
    if kind in ("flip", "flip_head", "flip_many"):
        n = rng.randint(1, 4) if kind != "flip_many" else rng.randint(8, 64)
        top = min(len(b), 4096) if kind == "flip_head" else len(b)
        spots = [rng.randrange(top) for _ in range(n)]
        for i in spots:
            b[i] ^= 1 << rng.randrange(8)
        return bytes(b), f"{kind} {n} bit(s) at {spots[:8]}"
    if kind == "truncate":
        cut = rng.randrange(len(b))
        return bytes(b[:cut]), f"truncated to {cut} bytes"
    start, size = rng.randrange(len(b)), rng.choice([1, 8, 64, 512, 4096])
    if kind == "zero":
        b[start:start + size] = bytes(len(b[start:start + size]))
        return bytes(b), f"zeroed {size} bytes at {start}"
    other = rng.randrange(len(b))
    x, y = bytes(b[start:start + size]), bytes(b[other:other + size])
    if len(x) == len(y):
        b[start:start + size], b[other:other + size] = y, x
    return bytes(b), f"swapped {size} bytes at {start} and {other}"


def _mutate_structure(rng: random.Random, path: Path) -> str:
    """Change the file at ``path`` in place with h5py; -> what was done."""
    import h5py
    import numpy as np

    kind = rng.choice(["root_attr", "units_attr", "dataset", "inflate", "inflate_all", "bomb"])
    with h5py.File(path, "a") as f:
        grid = f["grid"]
        keys = sorted(grid)
        if kind == "root_attr":
            name, value = rng.choice(ROOT_ATTRS), rng.choice(ODD_VALUES)
            if rng.random() < 0.2:
                if name in f.attrs:
                    del f.attrs[name]
                return f"root attribute {name} deleted"
            f.attrs[name] = np.bytes_(value) if isinstance(value, bytes) else value
            return f"root attribute {name} = {value!r}"[:200]
        key = rng.choice(keys)
        if kind == "units_attr":
            value = rng.choice(ODD_VALUES)
            grid[key].attrs["units"] = np.bytes_(value) if isinstance(value, bytes) else value
            return f"grid/{key} units = {value!r}"[:200]
        values = _values(grid[key])
        if kind == "dataset":
            dtype, shape = rng.choice(ODD_DATASETS)
            del grid[key]
            if shape == "2d":
                grid[key] = np.resize(values, (2, max(1, len(values) // 2)))
            elif shape == "scalar":
                grid[key] = values[0] if len(values) else 1.0
            elif shape == "empty":
                grid.create_dataset(key, data=h5py.Empty("f8"))
            elif shape in ("short", "long"):
                grid[key] = values[:-1] if shape == "short" else np.append(values, 1.0)
            elif dtype == "compound":
                grid[key] = np.array([(v, 1) for v in values], dtype=[("a", "f8"), ("b", "i4")])
            elif dtype == "vlen-str":
                grid[key] = np.array([str(v) for v in values], dtype=h5py.string_dtype())
            elif dtype == "S4":
                grid[key] = np.array([str(v)[:4].encode() for v in values])
            else:
                with np.errstate(all="ignore"):
                    grid[key] = values.astype(dtype)
            return f"grid/{key} became {dtype} {shape or ''}".strip()
        if kind in ("inflate", "inflate_all"):
            n = rng.choice(INFLATED)
            for k in keys if kind == "inflate_all" else [key]:
                old = _values(grid[k])
                del grid[k]
                ds = grid.create_dataset(k, shape=(n,), chunks=(min(n, 1 << 16),), dtype="f8")
                ds[:len(old)] = old  # (the rest: never written, read as fill values)
            return f"grid/{'*' if kind == 'inflate_all' else key} declared {n} long"
        # a gzip bomb: every dataset beyond the budget, each chunk the same few KB of deflate
        n, chunk = 300 * 2 ** 20, 4 * 2 ** 20
        for k in keys:
            old = _values(grid[k])
            fill = float(old[0]) if len(old) else 1.0
            del grid[k]
            ds = grid.create_dataset(k, shape=(n,), chunks=(chunk,), dtype="f8", compression="gzip")
            block = _bomb_block(fill, chunk)
            for start in range(0, n, chunk):
                ds.id.write_direct_chunk((start,), block)
        return f"gzip bomb: every dataset {n} long"


_BLOCKS: dict = {}


def _bomb_block(value: float, chunk: int) -> bytes:
    import numpy as np

    if (value, chunk) not in _BLOCKS:
        _BLOCKS[(value, chunk)] = zlib.compress(np.full(chunk, value).tobytes(), 9)
    return _BLOCKS[(value, chunk)]


@dataclass
class Case:
    path: Path
    source: str
    what: str


def make_cases(sources, seed: int, count: int, out: Path, start: int = 0) -> list[Case]:
    """``count`` mutated files in ``out`` (case ``start + i`` of ``seed``: the same seed gives the same files)."""
    cases = []
    for i in range(start, start + count):
        rng = random.Random(f"{seed}:{i}")
        src = rng.choice(sources)
        path = out / f"case{i:05d}_{src.stem[:24]}.h5"
        data = src.read_bytes()
        if rng.random() < 0.5:
            mutated, what = _mutate_bytes(rng, data)
            path.write_bytes(mutated)
        else:
            path.write_bytes(data)
            try:
                what = _mutate_structure(rng, path)
            except Exception as exc:  # noqa: BLE001 -- h5py could not make this one: bytes instead
                mutated, what = _mutate_bytes(rng, data)
                path.write_bytes(mutated)
                what += f" (structure change failed: {type(exc).__name__})"
            if rng.random() < 0.25:
                mutated, more = _mutate_bytes(rng, path.read_bytes())
                path.write_bytes(mutated)
                what += f", then {more}"
        cases.append(Case(path, src.name, what))
    return cases


# -- running both readers --------------------------------------------------------------------------


class _Worker:
    """A reader process fed file paths on stdin, one JSON line back per file."""

    def __init__(self, argv, cwd=ROOT, env=None):
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, cwd=cwd, env=env, bufsize=1)
        self.lines: queue.Queue = queue.Queue()
        self.stderr: list[str] = []
        threading.Thread(target=self._pump, args=(self.proc.stdout, self.lines), daemon=True).start()
        threading.Thread(target=lambda: self.stderr.extend(self.proc.stderr), daemon=True).start()

    @staticmethod
    def _pump(stream, q):
        for line in stream:
            q.put(line)
        q.put(None)

    def send(self, paths):
        def write():
            try:
                for p in paths:
                    self.proc.stdin.write(f"{p}\n")
                self.proc.stdin.close()
            except (BrokenPipeError, OSError, ValueError):
                pass
        threading.Thread(target=write, daemon=True).start()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def run_workers(argv, paths, limit: float, env=None) -> dict:
    """{path: result} for every path: the worker's JSON line, or {"hang": seconds} when no line
    came within ``limit`` seconds (the worker is killed and a new one goes on with the rest), or
    {"crash": ...} when the worker died on it."""
    results, todo = {}, [str(p) for p in paths]
    while todo:
        worker = _Worker(argv, env=env)
        worker.send(todo)
        done = 0
        try:
            for path in todo:
                try:
                    line = worker.lines.get(timeout=limit)
                except queue.Empty:
                    results[path] = {"hang": limit}
                    done += 1
                    break
                if line is None:
                    worker.proc.wait()
                    if worker.proc.returncode == RESTART and done:  # (a fresh process asked for, after an answer)
                        break
                    results[path] = {"crash": f"the worker died (exit {worker.proc.returncode}): "
                                              f"{''.join(worker.stderr)[-500:]}"}
                    done += 1
                    break
                result = json.loads(line)
                results[result.pop("file")] = result
                done += 1
        finally:
            worker.kill()
        todo = todo[done:]
    return results


def run_python(paths, limit):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return run_workers([sys.executable, str(Path(__file__).resolve()), "--worker"], paths, limit, env=env)


def run_js(paths, limit):
    return run_workers(["node", str(JS_RUNNER), "--jsonl"], paths, limit)


def run_js_paged(paths, limit):
    """The page's reads of big files (pagedfile.js: a piece at a time), on the same files."""
    return run_workers(["node", str(JS_RUNNER), "--jsonl", "--paged"], paths, limit)


def python_worker() -> None:
    """The Python side: each file through ytlite.load, every array read (as the page reads them)."""
    import ytlite
    from ytlite import _hdf5, dataset
    from ytlite._hdf5 import SliceFileError

    # the wasm32 limit alone, as in the page (the machine's free memory is tested in test_readers.py)
    _hdf5.available_memory = dataset.available_memory = lambda: None
    for line in sys.stdin:
        path = line.rstrip("\n")
        if not path:
            continue
        try:
            ds = ytlite.load(path)
            ds.default_field()
            crc = {k: zlib.crc32(array("d", getattr(ds, k)).tobytes()) for k in GEOMETRY}
            crc.update({k: zlib.crc32(array("d", ds[k]).tobytes()) for k in ds.field_list})
            out = {"file": path, "cells": ds.num_cells, "crc": crc}
        except SliceFileError as exc:
            out = {"file": path, "error": str(exc), "kind": "SliceFileError"}
        except Exception as exc:  # noqa: BLE001 -- a crash, reported as such
            import traceback

            out = {"file": path, "crash": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()[-1500:]}
        print(json.dumps(out), flush=True)


# -- the verdicts ----------------------------------------------------------------------------------


@dataclass
class Report:
    cases: int = 0
    accepted: int = 0
    refused: int = 0
    same_message: int = 0
    library: int = 0  # (library_disagreement: counted, allowed)
    heap_unread: int = 0  # (judge_paged's allowed difference: counted)
    seconds: float = 0.0
    failures: list = field(default_factory=list)

    def summary(self) -> str:
        rate = self.cases / self.seconds if self.seconds else 0.0
        return (f"{self.cases} cases in {self.seconds:.1f} s ({rate:.1f}/s): {self.accepted} read by both, "
                f"{self.refused} refused by both ({self.same_message} with the same message), "
                f"{self.library} where the HDF5 libraries disagree on damaged metadata, "
                f"{self.heap_unread} refused whole for a global heap the pieces never reached (read or refused otherwise), "
                f"{len(self.failures)} failure(s)")


DAMAGED = "not an HDF5 file, or truncated or damaged ("


def library_disagreement(py: dict, js: dict, source: dict | None) -> bool:
    """The one difference allowed: the two readers' HDF5 (2.0.0 in h5py's wheel and in h5wasm,
    called differently) judge damaged *metadata* differently (a heap's free list, a string's
    heap object), one calling the file damaged while the other reads every value exactly as in
    the undamaged source."""
    if not source or "cells" not in source:
        return False
    for refused, read in ((py, js), (js, py)):
        if (refused.get("error", "").split(": ", 1)[-1].startswith(DAMAGED)
                and read.get("cells") == source["cells"] and read.get("crc") == source["crc"]):
            return True
    return False


def _misbehaved(case: Case, who: str, r: dict) -> str | None:
    """A reader's result that is wrong by itself: a hang, a crash, an error not naming the file."""
    if "hang" in r:
        return f"{who} hung (no answer within {r['hang']} s)"
    if "crash" in r:
        return f"{who} crashed: {r['crash']}"
    if "error" in r and (r.get("kind") != "SliceFileError" or "the HDF5 reader crashed" in r["error"]):
        return f"{who} crashed: {r.get('kind')}: {r['error']}"
    if "error" in r and not r["error"].startswith((f"{case.path}: ", f"{case.path.name}: ")):
        return f"{who}'s error does not name the file: {r['error']}"
    return None


def judge(case: Case, py: dict, js: dict) -> str | None:
    """What is wrong with one case's two results, or None."""
    problem = _misbehaved(case, "python", py) or _misbehaved(case, "js", js)
    if problem:
        return problem
    if ("error" in py) != ("error" in js):
        return f"different verdicts: python {_short(py)}; js {_short(js)}"
    if "error" not in py and (py["cells"] != js["cells"] or py["crc"] != js["crc"]):
        return f"both read it, differently: python {_short(py)}; js {_short(js)}"
    return None


HEAP = "global heap at byte "


def judge_paged(case: Case, js: dict, paged: dict) -> str | None:
    """What is wrong with the page's piecewise read of a case against its read of the whole file, or
    None: the same verdict, values and message; the one difference allowed is a global heap
    collection that hangs HDF5 in bytes the piecewise read never fetched (the whole file's check
    looks at every byte, first; the pieces' check at every byte HDF5 can read): the pieces are then
    read, or refused for what HDF5 met first (bench/fuzz.py --seed 14, cases 1823 and 3090)."""
    problem = _misbehaved(case, "paged js", paged)
    if problem:
        return problem
    if "error" in js and HEAP in js["error"]:
        return None
    if ("error" in js) != ("error" in paged):
        return f"different verdicts: js {_short(js)}; paged js {_short(paged)}"
    if "error" in js:
        return None if js["error"] == paged["error"] else f"different messages: js {_short(js)}; paged js {_short(paged)}"
    if js["cells"] != paged["cells"] or js["crc"] != paged["crc"]:
        return f"both read it, differently: js {_short(js)}; paged js {_short(paged)}"
    return None


def _short(r: dict) -> str:
    if "error" in r:
        return f"refused: {r['error'][:300]}"
    return f"read {r['cells']} cells, crc {r['crc']}"


def fuzz(sources, seed: int, count: int, out: Path, limit: float = 20.0, start: int = 0, report=None) -> Report:
    """``count`` cases through both readers; failures as (case, message) in the report."""
    report = report or Report()
    t = time.perf_counter()
    cases = make_cases(sources, seed, count, out, start)
    paths = [c.path for c in cases] + sorted({Path(s) for s in sources})  # (the sources: what an undamaged read gives)
    results = {}
    threads = [threading.Thread(target=lambda who, fn: results.__setitem__(who, fn(paths, limit)), args=a)
               for a in (("py", run_python), ("js", run_js), ("paged", run_js_paged))]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    by_name = {Path(s).name: str(s) for s in sources}
    for c in cases:
        py, js = results["py"][str(c.path)], results["js"][str(c.path)]
        paged = results["paged"][str(c.path)]
        paged_problem = judge_paged(c, js, paged)
        if paged_problem:
            report.failures.append((c, paged_problem))
        report.heap_unread += "error" in js and HEAP in js["error"] and paged.get("error") != js["error"]
        problem = judge(c, py, js)
        report.cases += 1
        if problem and library_disagreement(py, js, results["py"].get(by_name[c.source])):
            report.library += 1
        elif problem:
            report.failures.append((c, problem))
        elif "error" in py:
            report.refused += 1
            report.same_message += py["error"].replace(str(c.path), c.path.name) == js["error"]
        else:
            report.accepted += 1
    report.seconds += time.perf_counter() - t
    return report


if __name__ == "__main__" and sys.argv[1:] == ["--worker"]:
    python_worker()
