#!/usr/bin/env python3
"""ytlite's one build entry point.

    python3 build.py serve [--port 8000]   set up, build the site, serve it on 127.0.0.1
    python3 build.py build                 set up and build the site into _site/
    python3 build.py wheel                 set up and build the installable wheel into dist/ (then: ytlite site build)
    python3 build.py test                  set up, build, run every test (Rust, Python, browser)

Set-up installs what is missing: Debian packages (when run as root; otherwise
it prints the apt-get line and stops), a local venv (.venv) with pinned Python
packages, pinned npm packages, and the wasm-bindgen CLI matching the crate's
wasm-bindgen exactly (cached under ~/.cache/ytlite). Every step prints what it
does and how long it took.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import time
from pathlib import Path

import ytlite
from ytlite.site import _steps
from ytlite.site._steps import cached_dir, printer, run

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BUILD = ROOT / "_build"
SITE = ROOT / "_site"
GENERATED = ROOT / "ytlite" / "_generated"
RUST = ROOT / "rust"
CACHE = Path(os.environ.get("YTLITE_CACHE", Path.home() / ".cache" / "ytlite"))
SHARED_SLICES = ROOT.parent / "shared" / "data" / "slices"
SHARED_DATA = ROOT.parent / "shared" / "data"
# The depth stack shipped in the site (content/data/real/NAME/), made from the
# shared RAMSES output with `ytlite.extract` when that output is present.
DEMO_STACK = {
    "name": "ramses_blast3d_z_stack",
    "dataset": "ramses_blast3d/output_00003/info_00003.txt",
    "axis": "z", "n": 8, "fields": ["density", "temperature", "pressure", "velocity_x"],
}

# Debian packages: the wasm32 Rust toolchain (rustc-web ships std sources for
# -Zbuild-std; lld gives wasm-ld), Chromium for the browser tests, Open MPI for
# `mpirun -n N python -m ytlite extract` (mpi4py's wheel loads its libmpi).
APT_PACKAGES = {
    "rustc-web": "/usr/bin/rustc",
    "cargo-web": "/usr/bin/cargo",
    "rust-web-src": "/usr/lib/rustlib/src/rust/library",
    "lld": "/usr/bin/wasm-ld",
    "chromium": "/usr/bin/chromium",
    "openmpi-bin": "/usr/bin/mpirun.openmpi",
    "libopenmpi-dev": "/usr/lib/x86_64-linux-gnu/openmpi/include/mpi.h",
}
WASM_TARGET = "wasm32-unknown-unknown"
# numpy's runtime dispatch without these takes the path of a CPU without AVX512
NO_AVX512 = "AVX512F AVX512_SKX"
CRATE_LIB = "ytlite_pixelizer"


log = printer("build")


def step(what: str) -> _steps.step:
    """``with step("doing x"):`` logs the step and how long it took."""
    return _steps.step(what, log)


# --------------------------------------------------------------------------
# set-up (runs under any python3; then re-executes inside the venv)


def ensure_debian_packages() -> None:
    missing = [pkg for pkg, path in APT_PACKAGES.items() if not Path(path).exists()]
    for tool in ("node", "npm", "cargo"):
        if shutil.which(tool) is None:
            missing.append({"node": "nodejs", "npm": "npm", "cargo": "cargo"}[tool])
    if not missing:
        return
    line = f"apt-get update && apt-get install -y {' '.join(missing)}"
    if os.geteuid() != 0:
        sys.exit(f"[build] missing Debian packages. Run as root:\n    {line}")
    with step(f"installing Debian packages: {' '.join(missing)}"):
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        run(["apt-get", "update", "-qq"], env=env)
        run(["apt-get", "install", "-y", "-qq", *missing], env=env)


def requirements_hash() -> str:
    h = hashlib.sha256()
    for name in ("requirements.txt", "lite/requirements.txt"):
        p = ROOT / name
        if p.exists():
            h.update(p.read_bytes())
    return h.hexdigest()


def ensure_venv() -> Path:
    python = VENV / "bin" / "python"
    stamp = VENV / ".requirements-sha256"
    if python.exists() and stamp.exists() and stamp.read_text() == requirements_hash():
        return python
    with step("creating the Python venv (.venv) with pinned packages"):
        if not python.exists():
            run([sys.executable, "-m", "venv", VENV])
        run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r", ROOT / "requirements.txt"])
        stamp.write_text(requirements_hash())
    return python


def reexec_in_venv(python: Path) -> None:
    if Path(sys.prefix).resolve() != VENV.resolve():
        os.execv(str(python), [str(python), str(Path(__file__).resolve()), *sys.argv[1:]])


# --------------------------------------------------------------------------
# build steps (inside the venv)


def crate_wasm_bindgen_version() -> str:
    lock = (RUST / "Cargo.lock").read_text()
    blocks = lock.split("[[package]]")
    for block in blocks:
        if 'name = "wasm-bindgen"\n' in block:
            return block.split('version = "', 1)[1].split('"', 1)[0]
    sys.exit("[build] rust/Cargo.lock has no wasm-bindgen package")


def ensure_wasm_bindgen() -> Path:
    version = crate_wasm_bindgen_version()
    root = CACHE / f"wasm-bindgen-cli-{version}"
    exe = root / "bin" / "wasm-bindgen"
    if exe.exists():
        return exe
    with step(f"installing wasm-bindgen-cli {version} (must equal the crate's wasm-bindgen; compiles, a few minutes)"):
        cmd = ["cargo", "install", "wasm-bindgen-cli", "--version", f"={version}", "--root", root]
        # --locked first; if its lock names a dependency version the registry
        # no longer serves, resolve afresh (the CLI version itself stays pinned).
        if run([*cmd, "--locked"], check=False).returncode != 0:
            log("locked install failed; retrying with freshly resolved dependencies")
            run(cmd)
    return exe


def build_wasm() -> None:
    with step("compiling the Rust pixelizer to wasm32 (Debian rustc-web, -Zbuild-std)"):
        env = dict(
            os.environ,
            RUSTC="/usr/bin/rustc",
            RUSTC_BOOTSTRAP="1",
            CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER="wasm-ld",
            CARGO_TARGET_DIR=str(RUST / "target" / "wasm"),
            RUSTFLAGS="-C target-feature=+simd128",
        )
        run(["/usr/bin/cargo", "build", "--release", "--locked", "--target", WASM_TARGET,
             "-Zbuild-std=std,panic_abort"], cwd=RUST, env=env)
    wasm = RUST / "target" / "wasm" / WASM_TARGET / "release" / f"{CRATE_LIB}.wasm"
    with step("generating JS bindings (wasm-bindgen --target web) into ytlite/_generated"):
        GENERATED.mkdir(parents=True, exist_ok=True)
        run([ensure_wasm_bindgen(), "--target", "web", "--no-typescript", "--out-dir", GENERATED, wasm])


def generate_colormaps() -> None:
    """Every colormap registered in matplotlib once yt is imported: matplotlib's
    own, cmyt's and yt's (with their _r variants), as RGBA tables."""
    with step("generating colormap tables from matplotlib, cmyt and yt"):
        import cmyt  # registers cmyt.* colormaps in matplotlib
        import matplotlib
        import numpy as np
        import yt
        import yt.visualization.color_maps  # noqa: F401  registers yt's colormaps

        index, chunks, offset = {}, [], 0
        for name in sorted(matplotlib.colormaps):
            cmap = matplotlib.colormaps[name]
            table = np.ascontiguousarray(cmap(np.arange(cmap.N), bytes=True), dtype=np.uint8)

            def special(rgba):  # the same float->byte rule as cmap(..., bytes=True)
                return [int(v) for v in (np.asarray(rgba, dtype=float) * 255).astype(np.uint8)]

            index[name] = {
                "offset": offset, "n": int(cmap.N),
                "bad": special(cmap.get_bad()), "under": special(cmap.get_under()),
                "over": special(cmap.get_over()),
            }
            chunks.append(table.tobytes())
            offset += table.nbytes
        GENERATED.mkdir(parents=True, exist_ok=True)
        (GENERATED / "colormaps.bin").write_bytes(b"".join(chunks))
        meta = {"source": f"matplotlib {matplotlib.__version__}, cmyt {cmyt.__version__}, yt {yt.__version__}",
                "colormaps": index}
        (GENERATED / "colormaps.json").write_text(json.dumps(meta, separators=(",", ":")))
        log(f"{len(index)} colormaps, {offset // 1024} KiB")


LENGTH_UNITS = ("nm", "um", "mm", "cm", "m", "km", "Rsun", "au", "ly", "pc", "kpc", "Mpc", "Gpc")


def generate_length_units() -> None:
    """{unit: its length in cm} from unyt, for the viewer's axis unit choice."""
    import unyt

    table = {u: float(unyt.unyt_quantity(1.0, u).to("cm").v) for u in LENGTH_UNITS}
    (GENERATED / "length_units.json").write_text(json.dumps(table))


def copy_h5wasm() -> None:
    """h5wasm's single-file bundle goes inside the ytlite wheel (the kernel reads HDF5 with it)."""
    node_modules = npm_modules()
    src = node_modules / "h5wasm"
    shutil.copyfile(src / "dist" / "iife" / "h5wasm.js", GENERATED / "h5wasm.js")
    shutil.copyfile(src / "LICENSE.txt", GENERATED / "h5wasm-LICENSE.txt")


#: What lite/js/ imports from outside itself, by the bare names its modules
#: use (esbuild aliases): lite/js reads as a library whose inputs are named here.
FRONT_END_INPUTS = {
    "ytlite-pixelizer": GENERATED / "ytlite_pixelizer.js",  # wasm-bindgen's glue
    # lite/js/depositworker.js bundled (bundle_frontend, first) into one classic script, imported as text
    "ytlite-deposit-worker": GENERATED / "deposit-worker.txt",
}


def esbuild(entry: str, outfile: Path, *flags: str) -> None:
    """Bundle lite/js/<entry> (an ES module and what it imports) into one file."""
    node_modules = npm_modules()
    aliases = [f"--alias:{name}={path}" for name, path in FRONT_END_INPUTS.items()]
    run([node_modules / ".bin" / "esbuild", ROOT / "lite" / "js" / entry, "--bundle", "--target=es2020",
         "--log-level=warning", *aliases, *(flags or ("--format=esm",)), f"--outfile={outfile}"])


def bundle_frontend() -> None:
    """lite/js/ (ES modules) -> ytlite/_generated/: widget.js (one file for
    anywidget), link.js, slicefile.js (the kernel's reader), and kiosk/ (the
    kiosk page, ytlite.site.kiosk copies it into a site)."""
    with step("bundling the front end (esbuild): lite/js/ -> ytlite/_generated/ (widget, link, reader, kiosk)"):
        # first: the deposit workers' script, which the others carry as text (core/runtime.js);
        # import.meta.url: the glue's default wasm address, unused (workers get the compiled module)
        esbuild("depositworker.js", GENERATED / "deposit-worker.txt", "--format=iife",
                "--define:import.meta.url=undefined")
        for entry in ("widget.js", "link.js"):  # the viewer's and ytlite.link's anywidget modules
            esbuild(entry, GENERATED / entry)
        # the kernel reads files with the front end's own reader (one set of checks and messages)
        # (and the site's files by HTTP ranges: kernel.js)
        esbuild("kernel.js", GENERATED / "slicefile.js", "--format=iife", "--global-name=ytliteSlicefile")
        kiosk = GENERATED / "kiosk"
        shutil.rmtree(kiosk, ignore_errors=True)
        kiosk.mkdir()
        # the page, and the viewer its "Share as one file" inlines into each file it saves
        for entry, bundle in (("page.js", "ytlite-view.js"), ("standalone.js", "ytlite-standalone.js")):
            esbuild(entry, kiosk / bundle)
        shutil.copyfile(ROOT / "lite" / "view.html", kiosk / "index.html")
        bundle_labextension()


def bundle_labextension() -> None:
    """lite/js/jupyterlab.js -> ytlite/_generated/labextension/: a prebuilt
    federated JupyterLab extension (package.json + static/remoteEntry.<hash>.js,
    the hash so a rebuilt site is never served a browser's old copy), which
    ytlite.site.jupyterlite puts into every site it builds."""
    out = GENERATED / "labextension"
    shutil.rmtree(out, ignore_errors=True)
    (out / "static").mkdir(parents=True)
    entry = out / "static" / "remoteEntry.js"
    esbuild("jupyterlab.js", entry, "--format=iife")
    digest = hashlib.sha256(entry.read_bytes()).hexdigest()[:16]
    entry = entry.rename(entry.with_name(f"remoteEntry.{digest}.js"))
    package = {"name": "ytlite-site", "version": ytlite.__version__, "private": True,
               "description": "ytlite's notices in a JupyterLite site (lite/js/jupyterlab.js)",
               "jupyterlab": {"_build": {"load": f"static/{entry.name}", "extension": "./extension"}}}
    (out / "package.json").write_text(json.dumps(package, indent=1))


def npm_modules() -> Path:
    """node_modules of lite/package-lock.json (esbuild, h5wasm, pyodide), installed once."""
    from ytlite.site import jupyterlite

    return jupyterlite.ensure_npm_modules(CACHE / "site", log)


#: what the kernel's copy of ytlite leaves out of the package: the site kit
#: and what only it uses, and the native CPython engine host (the kernel needs none of it)
KERNEL_WHEEL_DROPS = ("ytlite/site/", "ytlite/_generated/kit/", "ytlite/_generated/kiosk/",
                      "ytlite/_generated/labextension/", "ytlite/_generated/starter/", "ytlite/_native_engine.py")


def build_wheel(out: Path) -> Path:
    """The installable ytlite wheel (pyproject.toml: the package with its
    site kit and whatever ytlite/_generated/ holds now) into ``out``."""
    shutil.rmtree(out, ignore_errors=True)
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
         "--disable-pip-version-check", "-w", out, ROOT])
    # setuptools leaves build/ and *.egg-info behind in the source tree
    shutil.rmtree(ROOT / "build", ignore_errors=True)
    (wheel,) = out.glob("ytlite-*.whl")
    return wheel


def build_kernel_wheel() -> Path:
    """ytlite as the kernel gets it: the installable wheel without the site
    kit (KERNEL_WHEEL_DROPS) and without the dependencies only the kit has."""
    import base64
    import email.parser
    import zipfile

    with step("building the ytlite wheel for the kernel"):
        full = build_wheel(BUILD / "wheels" / "full")
        kernel = BUILD / "wheels" / full.name
        kept = {}
        with zipfile.ZipFile(full) as zf:
            for info in zf.infolist():
                if not info.filename.startswith(KERNEL_WHEEL_DROPS) and not info.filename.endswith("/RECORD"):
                    kept[info.filename] = zf.read(info)
        (meta_name,) = [n for n in kept if n.endswith(".dist-info/METADATA")]
        meta = email.parser.Parser().parsestr(kept[meta_name].decode())
        requires = meta.get_all("Requires-Dist") or []
        del meta["Requires-Dist"]
        from packaging.requirements import Requirement

        for req in requires:  # the kernel's own: anywidget, traitlets (no extras, no site kit)
            if Requirement(req).name in KERNEL_REQUIRES:
                meta["Requires-Dist"] = req
        kept[meta_name] = meta.as_string().encode()
        record = meta_name.replace("METADATA", "RECORD")
        lines = [f"{n},sha256={base64.urlsafe_b64encode(hashlib.sha256(d).digest()).rstrip(b'=').decode()},{len(d)}"
                 for n, d in kept.items()]
        kept[record] = ("\n".join([*lines, f"{record},,"]) + "\n").encode()
        with zipfile.ZipFile(kernel, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in kept.items():
                zf.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
        log(f"{kernel.name}: {kernel.stat().st_size // 1024} KiB (the installable wheel: {full.stat().st_size // 1024} KiB)")
        return kernel


#: the kernel's copy of ytlite depends on these only (pyproject.toml's first ones)
KERNEL_REQUIRES = ("anywidget", "traitlets")


def make_demo_data(data_dir: Path) -> None:
    """The demo slice/projection, made with yt from ytlite/demo.py's model (cached)."""
    source = (ROOT / "ytlite" / "demo.py").read_bytes()
    key = hashlib.sha256(source).hexdigest()[:16]
    cached = CACHE / f"demo-data-{key}"
    if not (cached / ".complete").is_file():
        with step("making the demo AMR slice and projection with yt"):
            cached_dir(cached, lambda tmp: run([sys.executable, "-m", "ytlite.demo", tmp], cwd=ROOT))
    data_dir.mkdir(parents=True, exist_ok=True)
    for f in cached.glob("*.h5"):
        shutil.copyfile(f, data_dir / f.name)


def make_demo_stack(real_dir: Path) -> None:
    """The demo depth stack (DEMO_STACK: 8 slices of the RAMSES blast along z,
    float64, uncompressed) into real_dir/NAME, made in-process with
    ytlite.extract.extract_stack; cached under CACHE, keyed by the parameters,
    the extraction code, yt's version and the input files' sizes and times."""
    import importlib.metadata
    import warnings

    source = SHARED_DATA / DEMO_STACK["dataset"]
    if not source.exists():
        log(f"no RAMSES output at {source}: the demo stack is left out")
        return
    h = hashlib.sha256(json.dumps(DEMO_STACK, sort_keys=True).encode())
    h.update(importlib.metadata.version("yt").encode())
    for p in ("extract.py", "stack.py"):
        h.update((ROOT / "ytlite" / p).read_bytes())
    for f in sorted(source.parent.iterdir()):
        st = f.stat()
        h.update(f"{f.name}:{st.st_size}:{st.st_mtime_ns};".encode())
    cached = CACHE / f"demo-stack-{h.hexdigest()[:16]}" / DEMO_STACK["name"]
    if not (cached / "stack.json").exists():  # (extract_stack renames the folder into place when complete)
        with step(f"making the demo depth stack ({DEMO_STACK['n']} slices along {DEMO_STACK['axis']}) with yt"):
            from ytlite.extract import extract_stack

            cached.parent.mkdir(parents=True, exist_ok=True)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # yt's RAMSES temperature-without-cooling-tables warning
                summary = extract_stack(source, axis=DEMO_STACK["axis"], n=DEMO_STACK["n"],
                                        fields=DEMO_STACK["fields"], out=cached, force=True,
                                        log=lambda m: None, yt_log_level=40)
            log(f"{summary['cells']} cells, {summary['bytes'] // 1024} KiB")
    real_dir.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(real_dir / DEMO_STACK["name"], ignore_errors=True)
    shutil.copytree(cached, real_dir / DEMO_STACK["name"])
    log(f"added the depth stack {DEMO_STACK['name']}/ ({DEMO_STACK['n']} slices)")


#: `ytlite site init`'s dataset, made here with yt and shipped in the wheel (an installed ytlite needs no yt)
STARTER_DATA = GENERATED / "starter" / "amr_demo_slice.h5"


def generate_starter_data() -> None:
    """STARTER_DATA: the demo slice (make_demo_data), gzip + shuffle (extract.rewrite, as a site ships it)."""
    import tempfile

    from ytlite.extract import rewrite

    with step("the starter's dataset (the demo slice) -> ytlite/_generated/starter/"):
        with tempfile.TemporaryDirectory() as tmp:
            make_demo_data(Path(tmp))
            STARTER_DATA.parent.mkdir(parents=True, exist_ok=True)
            rewrite(Path(tmp) / STARTER_DATA.name, STARTER_DATA, set(), float32=False, compress=True)
        log(f"{STARTER_DATA.stat().st_size // 1024} KiB")


def stage_content(content: Path) -> None:
    with step("staging notebooks and data"):
        shutil.rmtree(content, ignore_errors=True)
        shutil.copytree(ROOT / "content", content)
        make_demo_data(content / "data")
        # content/real_data.ipynb tours the real slices; they are not in the
        # repository (shared data beside the clone), so it ships only with them.
        if SHARED_SLICES.is_dir():
            real = sorted(SHARED_SLICES.glob("*.h5"))
            (content / "data" / "real").mkdir(parents=True, exist_ok=True)
            for f in real:
                shutil.copyfile(f, content / "data" / "real" / f.name)
            log(f"added {len(real)} real slices from {SHARED_SLICES} (real_data.ipynb)")
        else:
            (content / "real_data.ipynb").unlink()
            log(f"no real slices at {SHARED_SLICES}: real_data.ipynb left out")
        make_demo_stack(content / "data" / "real")


def build_frontend_and_kit(pyodide_dist=None) -> Path:
    """Everything ytlite/_generated/ holds but the kit, the kernel's wheel of
    ytlite, and the kernel kit made with it (returned)."""
    from ytlite.site import jupyterlite

    build_wasm()
    generate_colormaps()
    generate_length_units()
    copy_h5wasm()
    bundle_frontend()
    generate_starter_data()
    wheel = build_kernel_wheel()
    with step("the kernel kit: Pyodide, the kernel's wheels, their .pyc (npm, node)"):
        return jupyterlite.kernel_kit(CACHE / "site", [wheel], log)


def build_all(pyodide_dist: Path | None = None) -> Path:
    """The site of content/ (with the demo data) into _site/; returns the kit."""
    import ytlite.site

    t0 = time.perf_counter()
    kit = build_frontend_and_kit()
    stage_content(BUILD / "content")
    ytlite.site.build(BUILD / "content", SITE, kit=kit, cache=CACHE, log=log, pyodide_dist=pyodide_dist)
    log(f"everything built in {time.perf_counter() - t0:.1f} s")
    report_site_size(SITE)
    return kit


def report_site_size(site: Path) -> None:
    """What a visitor's browser may download: the site's size and its biggest
    folders (docs/coldstart.md says what is in them and why)."""
    sizes: dict[str, int] = {}
    total = 0
    for f in site.rglob("*"):
        if f.is_file():
            n = f.stat().st_size
            total += n
            top = f.relative_to(site).parts
            key = "/".join(top[:2]) + "/" if len(top) > 2 else (top[0] + "/" if len(top) == 2 else top[0])
            sizes[key] = sizes.get(key, 0) + n
    biggest = sorted(sizes.items(), key=lambda kv: -kv[1])[:6]
    log(f"site size {total / 1e6:.1f} MB: " + ", ".join(f"{k} {v / 1e6:.1f}" for k, v in biggest))
    log("cold-start figures (kiosk, notebook kernel idle and first image, vs plain JupyterLite): "
        ".venv/bin/python bench/coldstart.py   (where the time goes: add --profile)")


# --------------------------------------------------------------------------
# commands


def cmd_serve(args) -> None:
    build_all(args.pyodide_dist)
    from ytlite.site.serve import site_server

    server = site_server(SITE, args.port)  # (byte ranges too, as static hosts: the viewer reads big files so)
    log(f"serving {SITE} at http://127.0.0.1:{args.port}/  (Ctrl-C to stop)")
    log(f"demo notebook: http://127.0.0.1:{args.port}/notebooks/index.html?path=demo.ipynb")
    log(f"kiosk page (no Python): http://127.0.0.1:{args.port}/view/")
    log(f"the site's datasets: http://127.0.0.1:{args.port}/gallery/")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


def cmd_build(args) -> None:
    build_all(args.pyodide_dist)


def cmd_wheel(args) -> None:
    """dist/ytlite-<version>-py3-none-any.whl: the package with everything
    prebuilt, the kernel kit included, so that `pip install` of it and
    `ytlite site build` make a site with Python alone."""
    wheel = dist_wheel(build_frontend_and_kit())
    log(f"then, anywhere with Python: pip install dist/{wheel.name} && ytlite site build FOLDER -o _site")


def dist_wheel(kit: Path) -> Path:
    """The installable wheel, ``kit`` inside, into dist/ (see cmd_wheel)."""
    with step("the installable wheel: dist/"):
        shutil.rmtree(GENERATED / "kit", ignore_errors=True)
        shutil.copytree(kit, GENERATED / "kit")
        (GENERATED / "kit" / ".complete").unlink(missing_ok=True)
        try:
            wheel = build_wheel(BUILD / "wheels" / "dist")
        finally:
            shutil.rmtree(GENERATED / "kit", ignore_errors=True)  # (the checkout's builds pass their kit)
        shutil.rmtree(ROOT / "dist", ignore_errors=True)
        (ROOT / "dist").mkdir()
        shutil.copyfile(wheel, ROOT / "dist" / wheel.name)
        log(f"dist/{wheel.name}: {wheel.stat().st_size / 1e6:.1f} MB")
    return ROOT / "dist" / wheel.name


def cmd_test(args) -> None:
    dist_wheel(build_all(args.pyodide_dist))  # (tests/test_site_kit.py installs it in a fresh venv)
    failures = []
    with step("Rust unit tests (cargo test)"):
        if run(["cargo", "test", "--release", "--locked"], cwd=RUST, check=False).returncode != 0:
            failures.append("cargo test")
    with step("front-end unit tests (node --test tests/js/)"):
        if run(["node", "--test", ROOT / "tests" / "js"], cwd=ROOT, check=False).returncode != 0:
            failures.append("node --test")
    with step("Python and browser tests (pytest)"):
        code = run([sys.executable, "-m", "pytest", "-q", "-ra", *args.pytest_args], cwd=ROOT, check=False).returncode
        if code != 0:
            failures.append(f"pytest (exit {code})")
    # The shading oracles must not depend on the CPU: numpy's log10 takes its
    # own SIMD path on AVX512 machines and glibc's elsewhere. Run the parity
    # module again with that path switched off (where this CPU has it).
    if not args.pytest_args:
        with step("wasm parity again with NPY_DISABLE_CPU_FEATURES (numpy's non-AVX512 path)"):
            env = dict(os.environ, NPY_DISABLE_CPU_FEATURES=NO_AVX512)
            code = run([sys.executable, "-m", "pytest", "-q", "tests/test_wasm_parity.py"], cwd=ROOT, env=env,
                       check=False).returncode
            if code != 0:
                failures.append(f"pytest with NPY_DISABLE_CPU_FEATURES={NO_AVX512} (exit {code})")
    if failures:
        sys.exit(f"[build] FAILED: {', '.join(failures)}")
    log("all tests passed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("serve", help="build the site and serve it on 127.0.0.1")
    p.add_argument("--port", type=int, default=int(os.environ.get("YTLITE_PORT", 8000)))
    p.set_defaults(func=cmd_serve)
    builds = [p, sub.add_parser("build", help="build the site into _site/")]
    builds[-1].set_defaults(func=cmd_build)
    sub.add_parser("wheel", help="build the installable ytlite wheel (kernel kit included) into dist/").set_defaults(
        func=cmd_wheel)
    p = sub.add_parser("test", help="build, then run every test")
    p.add_argument("pytest_args", nargs="*", help="extra arguments for pytest")
    p.set_defaults(func=cmd_test)
    for p in (*builds, p):
        p.add_argument("--pyodide-dist", type=Path, metavar="PATH",
                       help="Pyodide's full distribution (pyodide-314.0.7.tar.bz2 or the folder it unpacks to): "
                            "numpy, h5py, yt, ... then come from the site itself instead of Pyodide's CDN, "
                            "so they work offline too")
    args = parser.parse_args()

    ensure_debian_packages()
    reexec_in_venv(ensure_venv())
    args.func(args)


if __name__ == "__main__":
    main()
