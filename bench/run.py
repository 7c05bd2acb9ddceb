#!/usr/bin/env python3
"""Benchmark of ytlite's Rust/wasm pixelizer: wasm in headless Chromium vs the
same engine natively vs yt + matplotlib in CPython, on the real slices and on
synthetic 1 M / 10 M cell AMR slices.

    .venv/bin/python bench/run.py            # full run (~10-15 min on 2 cores)
    .venv/bin/python bench/run.py --quick    # smoke test (< ~60 s)

See bench/README.md for what every column means.
"""

from __future__ import annotations

import argparse
import http.server
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))
import synthetic  # noqa: E402
from support.browser import CHROMIUM, CHROMIUM_ARGS, QuietHandler, StaticServer  # noqa: E402

SLICES = ROOT.parent / "shared" / "data" / "slices"
GENERATED = ROOT / "ytlite" / "_generated"
PAGE = HERE / "page"
CACHE = synthetic.CACHE
RAW = CACHE / "raw"
CARGO_TARGET = CACHE / "target"

FULL = dict(sizes=[512, 1024, 2048], zooms=[1, 4, 16, 64], synthetic=[1_000_000, 10_000_000],
            real="all", min_reps=3, max_reps=15, budget=2.0, passes=2)
QUICK = dict(sizes=[1024], zooms=[1, 16], synthetic=[1_000_000],
             real=["ramses_blast3d_z0.5_slice"], min_reps=3, max_reps=5, budget=0.3, passes=1)

TARGET_REAL_MS = 4.0
TARGET_1M_MS = 10.0
TARGET_CMAP_MS = 2.0
TARGET_SPEEDUP = 8.0
TARGET_10M_ZOOM_MS = 10.0
# issue 17's for the real slices (on 2 cores; the frame above is the page's one thread)
TARGET_REAL_MS_17 = 3.0
TARGET_SPEEDUP_REAL_17 = 10.0
TARGET_MEM_RATIO = 1.2
# profiling-only kinds (1x zoom rows): the automatic-limit scan alone
# (timed as the shade part), and a plain (not antialiased) deposit
PROFILE_KINDS = ["range", "fill"]


def log(msg: str) -> None:
    print(msg, flush=True)


def best_pass(old, new):
    """The result (a dict of medians) of the pass with the lower total."""
    return new if old is None or new["total"] < old["total"] else old


# ---------------------------------------------------------------------------
# meshes


@dataclass
class Mesh:
    name: str
    path: Path
    field: str
    n: int = 0
    extent: tuple = ()
    centre: tuple = ()
    arrays: dict = field(default_factory=dict, repr=False)

    def load(self):
        import h5py

        if not self.arrays:
            with h5py.File(self.path, "r") as f:
                g = f["grid"]
                self.arrays = {k: np.ascontiguousarray(g[src][()], dtype="<f8") for k, src in
                               (("px", "px"), ("py", "py"), ("pdx", "pdx"), ("pdy", "pdy"),
                                ("values", self.field))}
        a = self.arrays
        self.n = a["px"].size
        self.extent = (float((a["px"] - a["pdx"]).min()), float((a["px"] + a["pdx"]).max()),
                       float((a["py"] - a["pdy"]).min()), float((a["py"] + a["pdy"]).max()))
        self.centre = centre_of_interest(a)
        return a

    def unload(self):
        self.arrays = {}

    def export_raw(self) -> Path:
        """Raw f64 files for the browser and the native runner (cached)."""
        d = RAW / self.name
        st = self.path.stat()
        stamp = f"{self.path} {st.st_size} {st.st_mtime_ns} {self.field}"
        if (d / "stamp").exists() and (d / "stamp").read_text() == stamp:
            return d
        d.mkdir(parents=True, exist_ok=True)
        for k, arr in self.arrays.items():
            arr.astype("<f8").tofile(d / f"{k}.f64")
        (d / "stamp").write_text(stamp)
        return d


def centre_of_interest(a) -> tuple:
    """The finest cell closest to the median of the finest cells: always on a
    refined (interesting) feature, e.g. on a shock ring rather than its centre."""
    area = a["pdx"] * a["pdy"]
    fine = area <= area.min() * (1 + 1e-9)
    fx, fy = a["px"][fine], a["py"][fine]
    mx, my = np.median(fx), np.median(fy)
    i = int(np.argmin((fx - mx) ** 2 + (fy - my) ** 2))
    return float(fx[i]), float(fy[i])


def view_for(mesh: Mesh, zoom: float) -> list:
    ex0, ex1, ey0, ey1 = mesh.extent
    cx, cy = mesh.centre
    vw, vh = (ex1 - ex0) / zoom, (ey1 - ey0) / zoom
    x0 = min(max(cx - vw / 2, ex0), ex1 - vw)
    y0 = min(max(cy - vh / 2, ey0), ey1 - vh)
    return [x0, x0 + vw, y0, y0 + vh]


def view_stats(a, view, w, h, chunk=1 << 21):
    """(cells processed by the deposit loop, pixel visits of its inner loop),
    following yt's pixelize_cartesian exactly (no periodicity)."""
    x0, x1, y0, y1 = view
    ipx, ipy = w / (x1 - x0), h / (y1 - y0)
    n_view, visits = 0, 0
    for s in range(0, a["px"].size, chunk):
        px, py, pdx, pdy = (a[k][s:s + chunk] for k in ("px", "py", "pdx", "pdy"))
        vis = ~((px + pdx < x0) | (px - pdx > x1) | (py + pdy < y0) | (py - pdy > y1))
        px, py, pdx, pdy = px[vis], py[vis], pdx[vis], pdy[vis]
        n_view += int(vis.sum())
        lc = np.maximum((px - pdx - x0) * ipx, 0).astype(np.int64)
        rc = np.minimum((px + pdx - x0) * ipx + 1, w).astype(np.int64)
        lr = np.maximum((py - pdy - y0) * ipy, 0).astype(np.int64)
        rr = np.minimum((py + pdy - y0) * ipy + 1, h).astype(np.int64)
        visits += int(np.sum(np.maximum(rc - lc, 0) * np.maximum(rr - lr, 0)))
    return n_view, visits


def discover_meshes(cfg) -> list:
    meshes = []
    if SLICES.is_dir():
        import h5py

        for p in sorted(SLICES.glob("*.h5")):
            if cfg["real"] != "all" and p.stem not in cfg["real"]:
                continue
            with h5py.File(p, "r") as f:
                fields = list(f["grid"].keys())
            fld = "density" if "density" in fields else "phi" if "phi" in fields else None
            if fld:
                meshes.append(Mesh(p.stem, p, fld))
    else:
        log(f"[bench] no real slices at {SLICES}: synthetic meshes only")
    for t in cfg["synthetic"]:
        meshes.append(Mesh(f"synthetic_{t // 1_000_000}M", synthetic.ensure(t), "density"))
    return meshes


def colormap_entry(name):
    index = json.loads((GENERATED / "colormaps.json").read_text())["colormaps"][name]
    lut = (GENERATED / "colormaps.bin").read_bytes()[index["offset"]:index["offset"] + 4 * index["n"]]
    return index, lut


# ---------------------------------------------------------------------------
# (a) wasm in headless Chromium


class _Handler(QuietHandler):
    routes = {"/page/": PAGE, "/gen/": GENERATED, "/data/": RAW}
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".mjs": "text/javascript", ".js": "text/javascript",
                      ".wasm": "application/wasm", ".json": "application/json",
                      ".f64": "application/octet-stream", ".bin": "application/octet-stream"}

    def translate_path(self, path):
        path = urllib.parse.unquote(urllib.parse.urlsplit(path).path)
        for prefix, root in self.routes.items():
            if path.startswith(prefix):
                p = (root / path[len(prefix):]).resolve()
                if p == root.resolve() or root.resolve() in p.parents:
                    return str(p)
        return "/nonexistent"

    def end_headers(self):
        # cross-origin isolation => 5 us performance.now() resolution
        self.send_header("Cross-Origin-Opener-Policy", "same-origin")
        self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
        self.send_header("Cache-Control", "no-store")
        super().end_headers()


class Browser:
    def __init__(self):
        from playwright.sync_api import sync_playwright

        self.server = StaticServer(PAGE, _Handler)  # (the routes decide what is served)
        self.url = f"{self.server.url}/page/index.html"
        self.pw = sync_playwright().start()
        self.browser = self.pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        self.ctx = None
        self.page = None
        self.errors = []

    def open(self):
        """A fresh page (fresh wasm instance): returns the page's init info."""
        self.close_page()
        self.ctx = self.browser.new_context(viewport={"width": 2200, "height": 2200})
        self.page = self.ctx.new_page()
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(self.url)
        self.page.wait_for_function("window.benchReady !== undefined")
        return self.page.evaluate("window.benchReady")

    def load_mesh(self, name, mode):
        return self.page.evaluate("([n, m]) => bench.loadMesh(n, m)", [name, mode])

    def run_case(self, **kw):
        return self.page.evaluate("(a) => bench.runCase(a)", kw)

    def close_page(self):
        if self.ctx is not None:
            try:
                self.page.evaluate("bench.freeAll()")
            except Exception:
                pass
            self.ctx.close()
            self.ctx = self.page = None

    def close(self):
        self.close_page()
        self.browser.close()
        self.pw.stop()
        self.server.close()


# ---------------------------------------------------------------------------
# (b) native


def build_native() -> Path:
    t0 = time.perf_counter()
    env = {**os.environ, "CARGO_TARGET_DIR": str(CARGO_TARGET)}
    subprocess.run(["cargo", "build", "--release", "--quiet", "--example", "bench_native"],
                   cwd=ROOT / "rust", env=env, check=True)
    log(f"[bench] native runner built in {time.perf_counter() - t0:.1f} s")
    return CARGO_TARGET / "release" / "examples" / "bench_native"


def write_luts() -> list:
    lines = []
    (CACHE / "luts").mkdir(parents=True, exist_ok=True)
    for name in ("viridis", "magma"):
        e, lut = colormap_entry(name)
        p = CACHE / "luts" / f"{name}.lut"
        p.write_bytes(lut)
        lines.append(f"cmap {name} {p} " + " ".join(str(v) for v in (*e["bad"], *e["under"], *e["over"])))
    return lines


def run_native(binary, lut_lines, mesh, raw_dir, cases, cfg, progress):
    """cases: list of (case_id, w, h, kind, view). Returns {case_id: result}, load ms."""
    spec = [*lut_lines, f"mesh {mesh.name} {raw_dir}"]
    for cid, w, h, kind, view in cases:
        spec.append(f"case {cid} {mesh.name} {w} {h} {kind} " + " ".join(repr(float(v)) for v in view)
                    + f" {cfg['min_reps']} {cfg['max_reps']} {cfg['budget']}")
    spec_path = CACHE / "native_spec.txt"
    spec_path.write_text("\n".join(spec) + "\n")
    out, load_ms = {}, None
    proc = subprocess.Popen([str(binary), str(spec_path)], stdout=subprocess.PIPE, text=True)
    for line in proc.stdout:
        f = line.split()
        if f[0] == "mesh":
            load_ms = float(f[3])
        elif f[0] == "case":
            out[f[1]] = dict(reps=int(f[2]), total=float(f[3]), deposit=float(f[4]), shade=float(f[5]),
                             checksum=int(f[6]))
            progress(f[1], out[f[1]])
    if proc.wait() != 0:
        raise RuntimeError(f"native runner failed ({proc.returncode})")
    return out, load_ms


# ---------------------------------------------------------------------------
# (c) yt + matplotlib


def run_yt(a, w, h, view, cfg, cmap):
    from matplotlib.colors import LogNorm
    from yt.utilities.lib.pixelization_routines import pixelize_cartesian

    px, py, pdx, pdy, vals = (a[k] for k in ("px", "py", "pdx", "pdy", "values"))

    def frame():
        t0 = time.perf_counter()
        buff = np.full((h, w), np.nan)
        pixelize_cartesian(buff, px, py, pdx, pdy, vals, tuple(view), antialias=1, period=None,
                           check_period=0)
        t1 = time.perf_counter()
        fin = buff[np.isfinite(buff) & (buff > 0)]
        if fin.size:
            norm = LogNorm(fin.min(), fin.max())
            rgba = np.ascontiguousarray(cmap(norm(np.ma.masked_invalid(buff)), bytes=True)[::-1])
        t2 = time.perf_counter()
        return (t2 - t0) * 1e3, (t1 - t0) * 1e3, (t2 - t1) * 1e3

    first = frame()
    if first[0] < 200:
        frame()
    res = []
    start = time.perf_counter()
    while len(res) < cfg["max_reps"] and not (len(res) >= cfg["min_reps"]
                                              and time.perf_counter() - start > cfg["budget"]):
        res.append(frame())
    r = np.array(res)
    return dict(reps=len(res), total=float(np.median(r[:, 0])), deposit=float(np.median(r[:, 1])),
                shade=float(np.median(r[:, 2])))


# ---------------------------------------------------------------------------
# reporting


def fmt(v, width=7):
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-".rjust(width)
    if v >= 1000:
        s = f"{v:.0f}"
    elif v >= 100:
        s = f"{v:.1f}"
    elif v >= 10:
        s = f"{v:.2f}"
    else:
        s = f"{v:.3f}"
    return s.rjust(width)


def fmt_n(n):
    if n >= 1e6:
        return f"{n / 1e6:.2f}M"
    if n >= 1e3:
        return f"{n / 1e3:.1f}k"
    return str(n)


def nnls_fit(X, y, names):
    """Least squares with non-negative coefficients (drop negative ones, refit)."""
    active = list(range(X.shape[1]))
    while True:
        coef, *_ = np.linalg.lstsq(X[:, active], y, rcond=None)
        if (coef >= 0).all() or len(active) == 1:
            break
        active.pop(int(np.argmin(coef)))
    full = np.zeros(X.shape[1])
    full[active] = np.maximum(coef, 0)
    pred = X @ full
    r2 = 1 - np.sum((y - pred) ** 2) / max(np.sum((y - y.mean()) ** 2), 1e-300)
    return dict(zip(names, full)), r2, pred


def report(rows, meshes_info, mem, env, cfg, args, started):
    lines = []
    p = lines.append
    p("")
    p("=" * 100)
    p("ytlite pixelizer benchmark" + (" (--quick)" if args.quick else ""))
    p(f"  browser: {env.get('userAgent', '?')}")
    p(f"  crossOriginIsolated={env.get('crossOriginIsolated')}  performance.now() step="
      f"{env.get('timerResolutionMs', float('nan')) * 1e3:.1f} us  cores={os.cpu_count()}  "
      f"python {platform.python_version()}  {platform.machine()}")
    p(f"  load average at start {env.get('loadavg_start')}, at end {tuple(round(x, 2) for x in os.getloadavg())} "
      f"(other processes on the machine add noise)")
    p(f"  medians over {cfg['min_reps']}..{cfg['max_reps']} frames per case (after warm-up), "
      f"budget {cfg['budget']} s per case, the better of {cfg['passes']} pass(es) per case and engine; "
      f"times in ms")
    p("")
    p("meshes:")
    for m in meshes_info:
        p(f"  {m['name']:<28} {m['n']:>9} cells  field {m['field']:<8} extent "
          f"[{m['extent'][0]:.4g}, {m['extent'][1]:.4g}] x [{m['extent'][2]:.4g}, {m['extent'][3]:.4g}]  "
          f"zoom centre ({m['centre'][0]:.5g}, {m['centre'][1]:.5g})")
    p("")
    hdr = (f"{'mesh':<26} {'size':>5} {'zoom':>4} {'in view':>8} | {'wasm':>7} {'pan':>7} {'cmap':>7} | "
           f"{'native':>7} {'pan':>7} {'cmap':>7} | {'yt':>7} {'yt cmap':>7} | {'(c)/(a)':>7} {'(a)/(b)':>7}")
    p(hdr)
    p("-" * len(hdr))
    last = None
    for r in rows:
        if last is not None and r["mesh"] != last:
            p("")
        last = r["mesh"]
        a, b, c = r["wasm"], r["native"], r["yt"]
        ca = c["total"] / a["frame"]["total"] if c else None
        ab = a["frame"]["computeMs"] / b["frame"]["total"] if b else None
        p(f"{r['mesh']:<26} {r['w']:>5} {r['zoom']:>3}x {fmt_n(r['n_view']):>8} | "
          f"{fmt(a['frame']['total'])} {fmt(a['pan']['total'])} {fmt(a['cmap']['total'])} | "
          f"{fmt(b['frame']['total'] if b else None)} {fmt(b['pan']['total'] if b else None)} "
          f"{fmt(b['cmap']['total'] if b else None)} | "
          f"{fmt(c['total'] if c else None)} {fmt(c['shade'] if c else None)} | "
          f"{(f'{ca:.2f}x' if ca else '-'):>7} {(f'{ab:.2f}x' if ab else '-'):>7}")
    p("")
    p("breakdown of the 'frame' column (medians, ms) and deposit work:")
    hdr2 = (f"{'mesh':<26} {'size':>5} {'zoom':>4} | {'w.dep':>7} {'w.shade':>7} {'w.draw':>7} | "
            f"{'n.dep':>7} {'n.shade':>7} | {'yt.dep':>7} {'yt.shd':>7} | {'cells':>7} {'visits':>8} "
            f"{'reps w/n/yt':>11} {'same rgba':>9}")
    p(hdr2)
    p("-" * len(hdr2))
    last = None
    for r in rows:
        if last is not None and r["mesh"] != last:
            p("")
        last = r["mesh"]
        a, b, c = r["wasm"]["frame"], (r["native"] or {}).get("frame"), r["yt"]
        same = "-" if not b else ("yes" if a["checksum"] == b["checksum"] else "NO")
        p(f"{r['mesh']:<26} {r['w']:>5} {r['zoom']:>3}x | {fmt(a['deposit'])} {fmt(a['shade'])} "
          f"{fmt(a['draw'])} | {fmt(b['deposit'] if b else None)} {fmt(b['shade'] if b else None)} | "
          f"{fmt(c['deposit'] if c else None)} {fmt(c['shade'] if c else None)} | "
          f"{fmt_n(r['n_total']):>7} {fmt_n(r['visits']):>8} "
          f"{a['reps']:>3}/{b['reps'] if b else '-':>2}/{c['reps'] if c else '-':>2}   {same:>9}")

    # ---- mesh loading / memory
    p("")
    p("mesh load into wasm (fresh page each; raw = 5 arrays x n x 8 bytes; memory = growth of "
      "WebAssembly.Memory, i.e. its high-water mark):")
    p(f"{'mesh':<26} {'cells':>9} {'raw MB':>8} | {'fetch ms':>8} | {'new VariableMesh':>17} {'mem/raw':>7} | "
      f"{'withLength+views':>17} {'mem/raw':>7} | {'native from_slices ms':>21}")
    for m in mem:
        c, v = m.get("construct"), m.get("views")
        p(f"{m['name']:<26} {m['n']:>9} {m['raw'] / 1e6:>8.1f} | {v['fetchMs']:>8.1f} | "
          f"{(fmt(c['loadMs']) + ' ms') if c else '-':>17} {(c['memGrowth'] / m['raw']) if c else float('nan'):>7.2f} | "
          f"{fmt(v['loadMs']) + ' ms':>17} {v['memGrowth'] / m['raw']:>7.2f} | "
          f"{fmt(m.get('native_load_ms')):>21}")

    # ---- targets
    p("")
    p("targets (wasm in headless Chromium, 2 cores):")
    targets = []

    def target(ok, text):
        targets.append(ok)
        p(f"  {'PASS' if ok else 'MISS' if ok is not None else 'n/a '}  {text}")

    def worst(sel, kinds=("frame", "pan")):
        vals = [(r["wasm"][k]["total"], r, k) for r in rows if sel(r) for k in kinds]
        return max(vals, key=lambda t: t[0]) if vals else None

    real_names = {m["name"] for m in meshes_info if not m["name"].startswith("synthetic")}
    w = worst(lambda r: r["w"] == 1024 and r["mesh"] in real_names)
    if w:
        target(w[0] <= TARGET_REAL_MS, f"1024² pan/zoom frame (deposit+shade+draw) on the real slices "
               f"<= {TARGET_REAL_MS} ms: worst median {w[0]:.2f} ms ({w[1]['mesh']} {w[1]['zoom']}x {w[2]})")
    else:
        target(None, "1024² frame on the real slices: no real slice")
    real_sp = [(r["yt"]["total"] / r["wasm"]["frame"]["total"], r) for r in rows
               if r["w"] == 1024 and r["yt"] and r["mesh"] in real_names]
    if w and real_sp:
        s, r = min(real_sp, key=lambda t: t[0])
        target(w[0] <= TARGET_REAL_MS_17 and s >= TARGET_SPEEDUP_REAL_17,
               f"issue 17: 1024² frame on the real slices <= {TARGET_REAL_MS_17:g} ms and >= "
               f"{TARGET_SPEEDUP_REAL_17:g}x yt+matplotlib: worst median {w[0]:.2f} ms, smallest ratio {s:.1f}x "
               f"({r['mesh']} {r['zoom']}x)")
    w = worst(lambda r: r["w"] == 1024 and r["mesh"] == "synthetic_1M")
    if w:
        target(w[0] <= TARGET_1M_MS, f"1024² pan/zoom frame on the 1 M-cell slice <= {TARGET_1M_MS} ms: "
               f"worst median {w[0]:.2f} ms ({w[1]['zoom']}x {w[2]})")
    w = worst(lambda r: r["w"] == 1024, kinds=("cmap",))
    if w:
        target(w[0] <= TARGET_CMAP_MS, f"1024² colormap-only change (shade+draw) <= {TARGET_CMAP_MS} ms: "
               f"worst median {w[0]:.2f} ms ({w[1]['mesh']} {w[1]['zoom']}x)")
    sp = [(r["yt"]["total"] / r["wasm"]["frame"]["total"], r) for r in rows if r["w"] == 1024 and r["yt"]]
    if sp:
        s, r = min(sp, key=lambda t: t[0])
        target(s >= TARGET_SPEEDUP, f">= {TARGET_SPEEDUP:g}x faster than yt+matplotlib at 1024²: "
               f"smallest ratio {s:.1f}x ({r['mesh']} {r['zoom']}x), median ratio "
               f"{np.median([t[0] for t in sp]):.1f}x")
    m10 = [m for m in mem if m["name"] == "synthetic_10M"]
    if m10:
        m = m10[0]
        target(True, f"10 M-cell slice loads into wasm: withLength+views {m['views']['loadMs']:.0f} ms"
               + (f", new VariableMesh {m['construct']['loadMs']:.0f} ms" if m.get("construct") else "")
               + f" (fetch over 127.0.0.1 {m['views']['fetchMs']:.0f} ms, not included)")
        w = worst(lambda r: r["w"] == 1024 and r["mesh"] == "synthetic_10M" and r["zoom"] >= 16)
        if w:
            target(w[0] <= TARGET_10M_ZOOM_MS, f"10 M-cell slice, zoomed-in (>= 16x) 1024² frames <= "
                   f"{TARGET_10M_ZOOM_MS} ms: worst median {w[0]:.2f} ms ({w[1]['zoom']}x {w[2]})")
    else:
        target(None, "10 M-cell slice: not run (--quick)")
    if mem:
        worst_v = max(mem, key=lambda m: m["views"]["memGrowth"] / m["raw"])
        big = max(mem, key=lambda m: m["n"])
        target(big["views"]["memGrowth"] / big["raw"] <= TARGET_MEM_RATIO,
               f"mesh memory in wasm <= {TARGET_MEM_RATIO}x raw f64 bytes (withLength + views, {big['name']}): "
               f"{big['views']['memGrowth'] / big['raw']:.3f}x (worst mesh {worst_v['name']}: "
               f"{worst_v['views']['memGrowth'] / worst_v['raw']:.3f}x)")
        if big.get("construct"):
            r = big["construct"]["memGrowth"] / big["raw"]
            target(r <= TARGET_MEM_RATIO, f"mesh memory in wasm <= {TARGET_MEM_RATIO}x raw (new VariableMesh(...) "
                   f"constructor, {big['name']}): high-water {r:.3f}x")

    # ---- profile
    p("")
    p("profile (where the time goes):")
    for eng, key in (("wasm", "wasm"), ("native", "native")):
        sel = [r for r in rows if r[key]]
        if len(sel) < 4:
            continue
        X = np.array([[r["n_total"], r["n_view"], r["visits"], r["w"] * r["w"]] for r in sel], dtype=float)
        y = np.array([r[key]["frame"]["deposit"] for r in sel])
        names = ["per cell (total)", "per cell in view", "per pixel visit", "per image pixel"]
        coef, r2, _ = nnls_fit(X, y * 1e6, names)  # ns
        p(f"  {eng} deposit_ms ~ " + " + ".join(f"{v:.2f} ns {k}" for k, v in coef.items())
          + f"   (non-negative least squares over {len(sel)} cases, R²={r2:.3f})")
        sh = np.array([r[key]["frame"]["shade"] / (r["w"] * r["w"]) * 1e6 for r in sel])
        p(f"  {eng} shade: median {np.median(sh):.2f} ns/pixel (range {sh.min():.2f}..{sh.max():.2f})")
        prof = [r for r in sel if all(k in r[key] for k in PROFILE_KINDS)]
        if prof:
            def per_px(k, part):
                return np.median([r[key][k][part] / (r["w"] * r["w"]) * 1e6 for r in prof])
            scan, shade = per_px('range', 'shade'), per_px('frame', 'shade')
            p(f"  {eng} shade split (1x rows, ns/pixel): auto-limit scan {scan:.2f} + colour codes and "
              f"colours {shade - scan:.2f} = {shade:.2f}; a colormap change (codes kept) {per_px('cmap', 'shade'):.2f}")
            p(f"  {eng} deposit (1x rows, ns/pixel): antialiased {per_px('frame', 'deposit'):.2f}, "
              f"plain fill {per_px('fill', 'deposit'):.2f}")
        if key == "wasm":
            dr = np.array([r["wasm"]["frame"]["draw"] / (r["w"] * r["w"]) * 1e6 for r in sel])
            p(f"  wasm putImageData: median {np.median(dr):.2f} ns/pixel")
    # share of the frame at 1024²
    s1024 = [r for r in rows if r["w"] == 1024]
    if s1024:
        p("  1024² 'frame' split (wasm, median over cases): "
          + ", ".join(f"{k} {np.median([r['wasm']['frame'][k] / r['wasm']['frame']['total'] for r in s1024]) * 100:.0f}%"
                      for k in ("deposit", "shade", "draw")))
    big = [r for r in rows if r["mesh"] == "synthetic_10M" and r["w"] == 1024]
    if big:
        p("  synthetic_10M at 1024² (wasm deposit vs cells in view):  "
          + "  ".join(f"{r['zoom']}x: {r['wasm']['frame']['deposit']:.1f} ms / {fmt_n(r['n_view'])} cells"
                      for r in big))
    p("")
    p(f"total benchmark time {time.perf_counter() - started:.0f} s")
    text = "\n".join(lines)
    print(text, flush=True)
    return text


# ---------------------------------------------------------------------------


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small subset (CI smoke test, < ~60 s)")
    ap.add_argument("--json", type=Path, help="also write all results as JSON here")
    ap.add_argument("--no-yt", action="store_true", help="skip (c) yt + matplotlib")
    ap.add_argument("--no-native", action="store_true", help="skip (b) native")
    args = ap.parse_args(argv)
    cfg = QUICK if args.quick else FULL
    started = time.perf_counter()
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

    if not (GENERATED / "ytlite_pixelizer_bg.wasm").exists():
        log("[bench] building the wasm module (build.build_wasm())")
        sys.path.insert(0, str(ROOT))
        import build  # noqa: E402

        build.build_wasm()
    meshes = discover_meshes(cfg)
    binary = None if args.no_native else build_native()
    lut_lines = write_luts()
    import matplotlib

    cmap = matplotlib.colormaps["viridis"]

    browser = Browser()
    env = browser.open()
    env["loadavg_start"] = tuple(round(x, 2) for x in os.getloadavg())
    log(f"[bench] chromium ready: isolated={env['crossOriginIsolated']} "
        f"timer={env['timerResolutionMs'] * 1e3:.1f} us")
    rows, meshes_info, mem = [], [], []
    try:
        for mesh in meshes:
            t_mesh = time.perf_counter()
            a = mesh.load()
            raw_dir = mesh.export_raw()
            meshes_info.append(dict(name=mesh.name, n=mesh.n, field=mesh.field, extent=mesh.extent,
                                    centre=mesh.centre))
            log(f"[bench] {mesh.name}: {mesh.n} cells ({mesh.field})")
            # memory/load probes: constructor path in a fresh page, then the
            # views path in the fresh page used for the frames
            m = dict(name=mesh.name, n=mesh.n, raw=5 * 8 * mesh.n)
            browser.open()
            m["construct"] = browser.load_mesh(mesh.name, "construct")
            browser.open()
            m["views"] = browser.load_mesh(mesh.name, "views")
            log(f"  load: construct {m['construct']['loadMs']:.1f} ms "
                f"(mem x{m['construct']['memGrowth'] / m['raw']:.2f}), views {m['views']['loadMs']:.1f} ms "
                f"(mem x{m['views']['memGrowth'] / m['raw']:.2f})")
            # Every case is measured in `passes` passes (each engine in turn,
            # a fresh page each pass) and the pass with the lower median is
            # kept, whole: this shared 2-core VM has bursts of load lasting
            # seconds, which a median within one pass cannot remove.
            mesh_rows = []
            for w in cfg["sizes"]:
                for zoom in cfg["zooms"]:
                    view = view_for(mesh, zoom)
                    n_view, visits = view_stats(a, view, w, w)
                    mesh_rows.append(dict(mesh=mesh.name, w=w, zoom=zoom, view=view, n_total=mesh.n,
                                          n_view=n_view, visits=visits, wasm={}, native={}, yt=None))
            rows += mesh_rows
            for pass_no in range(cfg["passes"]):
                if pass_no:
                    browser.open()
                    browser.load_mesh(mesh.name, "views")
                    log(f"  pass {pass_no + 1} of {cfg['passes']}")
                cases = []
                for i, row in enumerate(mesh_rows):
                    kinds = ["frame", "pan", "cmap"]
                    if row["zoom"] == cfg["zooms"][0]:
                        kinds += PROFILE_KINDS
                    for kind in kinds:
                        res = browser.run_case(w=row["w"], h=row["w"], kind=kind, view=row["view"],
                                               minReps=cfg["min_reps"], maxReps=cfg["max_reps"],
                                               budget=cfg["budget"])
                        row["wasm"][kind] = best_pass(row["wasm"].get(kind), res)
                        cases.append((f"{i}:{kind}", row["w"], row["w"], kind, row["view"]))
                    f = row["wasm"]
                    log(f"  wasm   {row['w']}² {row['zoom']:>2}x  frame {f['frame']['total']:8.3f}"
                        f"  pan {f['pan']['total']:8.3f}  cmap {f['cmap']['total']:8.3f} ms")
                browser.close_page()
                if binary:
                    def progress(cid, res):
                        i, kind = cid.split(":")
                        r = mesh_rows[int(i)]
                        if kind == "frame":
                            log(f"  native {r['w']}² {r['zoom']:>2}x  frame {res['total']:8.3f} ms")
                    native, load_ms = run_native(binary, lut_lines, mesh, raw_dir, cases, cfg, progress)
                    m["native_load_ms"] = min(load_ms, m.get("native_load_ms", load_ms))
                    for cid, res in native.items():
                        i, kind = cid.split(":")
                        r = mesh_rows[int(i)]
                        r["native"][kind] = best_pass(r["native"].get(kind), res)
                if not args.no_yt:
                    for r in mesh_rows:
                        r["yt"] = best_pass(r["yt"], run_yt(a, r["w"], r["w"], r["view"], cfg, cmap))
                        log(f"  yt     {r['w']}² {r['zoom']:>2}x  frame {r['yt']['total']:8.3f} ms")
            for r in mesh_rows:
                r["native"] = r["native"] or None
            mem.append(m)
            mesh.unload()
            log(f"[bench] {mesh.name} done in {time.perf_counter() - t_mesh:.0f} s")
        if browser.errors:
            log(f"[bench] page errors: {browser.errors}")
    finally:
        browser.close()

    text = report(rows, meshes_info, mem, env, cfg, args, started)
    results = dict(env=env, cfg=cfg, meshes=meshes_info, memory=mem, rows=rows, report=text)
    out = args.json or (CACHE / f"results{'-quick' if args.quick else ''}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1, default=float))
    log(f"[bench] results written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
