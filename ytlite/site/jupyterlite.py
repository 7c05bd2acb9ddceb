"""The offline JupyterLite site: apps, Pyodide core, kernel wheels, lock, contents.

The site works with no network at run time: every file (the JupyterLab/Notebook
apps, the Pyodide runtime, every kernel-side wheel, the contents) is served from
the site's own origin.  At build time only the npm registry (for Pyodide) and
PyPI (for the pure-Python kernel wheels) are used, at pinned versions, and
everything fetched is cached under ``cache_dir``.

Public API
----------
``kernel_kit(cache_dir, extra_wheels, log)``
    The kernel's half of a site (Pyodide core, kernel wheels with their .pyc,
    their lock), made once with npm and node; an installed ytlite ships one.
``build_site(output_dir, content_dir, kit=KIT, cache_dir=..., log=print, pyodide_dist=None)``
    Build (or reuse from cache) the site and write it into ``output_dir``
    (which is replaced as a whole), with Python alone given a kit.
``static_dir(output_dir)`` / ``STATIC_SUBDIR``
    Where build.py may drop extra static assets (e.g. ``static/ytlite/...``)
    after ``build_site`` returned.
``ensure_npm_modules(cache_dir, log)``
    ``npm ci`` of lite/package-lock.json (cached by its hash) -> node_modules.
    (The pins this build reads, lite/requirements.txt and lite/package*.json,
    are the checkout's: ``PINS_DIR``.)
``notebook_url(base, path)`` / ``lab_url(base, path)``
    URLs that open a content notebook directly.
``KERNEL_WHEELS``, ``PYODIDE_NPM_VERSION``, ``REQUIREMENTS_TXT``
    The pinned versions.

How extra wheels become importable
----------------------------------
Each kernel-side wheel (the kernel's own, ipywidgets/anywidget/psygnal/comm and
every ``extra_wheels`` entry) is copied next to the Pyodide runtime in
``static/pyodide/`` and given an entry in the rewritten ``pyodide-lock.json``
(sha256 recomputed, ``imports`` from the wheel's top-level names, ``depends``
from its ``Requires-Dist``).  The kernel setting
``loadPyodideOptions.packages`` lists them, so Pyodide installs them while it
boots (before the first cell runs); in addition the kernel runs
``pyodide.loadPackagesFromImports`` on every cell, so anything in the lock is
also found lazily by a plain ``import``.  No ``%pip install`` is needed.

Pyodide's own packages (numpy, h5py, unyt, yt, ...)
---------------------------------------------------
Every other entry of Pyodide's lock (its 357 packages) is added too, so that
``import yt`` in a cell loads yt and its dependencies at the version this
Pyodide was built with. By default they point at Pyodide's CDN (absolute
``file_name`` URLs, which Pyodide 314 fetches as they are, with the lock's
sha256 as the request's integrity): nothing of it is fetched until a cell
imports one of them, and the site itself stays whole offline. The boot wheel
``ytlite-cdn-hint`` (``ytlite/site/cdn_hint.py``) makes such an import fail within
seconds when the CDN is unreachable, saying what is missing and how to get it.
With ``pyodide_dist`` (a folder or tarball of Pyodide's full distribution, the
same version), they are copied into the site instead and it needs no network
for them either.

Requires (in the Python running the build): the packages pinned in
``lite/requirements.txt``; ``node``/``npm`` on PATH; ``pip``.
"""

from __future__ import annotations

import email.parser
import hashlib
import json
import lzma
import os
import re
import shutil
import sys
import tarfile
import tempfile
import time
import zipfile
import zlib
from pathlib import Path
from typing import Iterable, Sequence

from . import kernel_wheels
from ._steps import Log, cached_dir, run

__all__ = [
    "build_site",
    "kernel_kit",
    "default_cache",
    "ensure_npm_modules",
    "static_dir",
    "notebook_url",
    "lab_url",
    "STATIC_SUBDIR",
    "KERNEL_WHEELS",
    "PYODIDE_NPM_VERSION",
    "REQUIREMENTS_TXT",
    "PINS_DIR",
]

HERE = Path(__file__).resolve().parent
#: the pinned versions (pip and npm), in the checkout's lite/
PINS_DIR = HERE.parents[1] / "lite"
#: pinned Python requirements of the *build* environment (also lite/requirements.txt)
REQUIREMENTS_TXT = PINS_DIR / "requirements.txt"
#: npm inputs (pyodide pinned in package.json + package-lock.json)
PACKAGE_JSON = PINS_DIR / "package.json"
PACKAGE_LOCK = PINS_DIR / "package-lock.json"

PYODIDE_NPM_VERSION = "314.0.7"  # Python 3.14.2; must match package.json
PYODIDE_PYTHON = "3.14"
#: Pyodide's package CDN for exactly this version: the default site's lock
#: points every package of Pyodide's distribution it does not serve itself here
PYODIDE_CDN_URL = f"https://cdn.jsdelivr.net/pyodide/v{PYODIDE_NPM_VERSION}/full/"
#: where a user gets the full distribution for ``pyodide_dist``
PYODIDE_RELEASE_URL = f"https://github.com/pyodide/pyodide/releases/tag/{PYODIDE_NPM_VERSION}"
PYODIDE_DIST_HELP = (
    f"--pyodide-dist takes Pyodide {PYODIDE_NPM_VERSION}'s full distribution: the release tarball "
    f"pyodide-{PYODIDE_NPM_VERSION}.tar.bz2 from {PYODIDE_RELEASE_URL}, or the folder it unpacks to "
    "(pyodide-lock.json beside every .whl/.zip it lists)"
)
#: told to the user in the kernel when a CDN package cannot be had
OFFLINE_BUILD_HINT = (
    "build it with `ytlite site build FOLDER --pyodide-dist PATH` (in a checkout of ytlite: "
    "`python3 build.py build --pyodide-dist PATH`), PATH being "
    f"pyodide-{PYODIDE_NPM_VERSION}.tar.bz2 (Pyodide's full distribution, from {PYODIDE_RELEASE_URL}) "
    "or the folder it unpacks to."
)
#: the boot wheel explaining a missing CDN package (cdn_hint.py)
CDN_HINT_SOURCE = HERE / "cdn_hint.py"
CDN_HINT_NAME = "ytlite-cdn-hint"
CDN_HINT_VERSION = "1.0"

#: relative folder of the site that holds static assets; build.py may add
#: its own sub-folders (e.g. ``static/ytlite``) after ``build_site``
STATIC_SUBDIR = "static"
#: Pyodide runtime + all kernel wheels + pyodide-lock.json live here
PYODIDE_SUBDIR = f"{STATIC_SUBDIR}/pyodide"

#: files copied from the npm pyodide package
PYODIDE_CORE_FILES = (
    "pyodide.mjs",
    "pyodide.asm.mjs",
    "pyodide.asm.wasm",
    "python_stdlib.zip",
)

#: pure-Python packages from Pyodide's own lock that the kernel needs; they are
#: fetched from PyPI at exactly the version the lock names
LOCK_PACKAGES_FROM_PYPI = (
    "micropip",
    "ipython",
    "asttokens",
    "decorator",
    "executing",
    "matplotlib-inline",
    "prompt-toolkit",
    "pure-eval",
    "pygments",
    "six",
    "stack-data",
    "traitlets",
    "wcwidth",
    "jedi",
    "parso",
    "typing-extensions",  # anywidget
)

#: kernel-side wheels not in Pyodide's lock, pinned, from PyPI
KERNEL_WHEELS = {
    "comm": "0.2.3",
    "ipywidgets": "8.1.9",
    "anywidget": "0.11.0",
    "psygnal": "0.16.1",
}

#: front-end (federated) extensions that must be in the build environment,
#: with the Python distribution that ships them
REQUIRED_LABEXTENSIONS = {
    "@jupyterlite/pyodide-kernel-extension": "jupyterlite-pyodide-kernel",
    "@jupyter-widgets/jupyterlab-manager": "jupyterlab_widgets",
    "anywidget": "anywidget",
}

#: wheels shipped inside the pyodide-kernel labextension (static/pypi)
KERNEL_EXTENSION_WHEELS = ("piplite", "pyodide-kernel", "ipykernel", "widgetsnbextension")

#: packages installed while Pyodide boots (the kernel then skips its own
#: sequential ``piplite.install`` of each of these)
BOOT_PACKAGES = (
    "micropip",
    "piplite",
    "ipykernel",
    "comm",
    "pyodide-kernel",
    "jedi",
    "ipython",
)

PLUGIN_ID = "@jupyterlite/pyodide-kernel-extension:kernel"

#: extra file types: make sure binary data is transferred as base64 to the kernel
EXTRA_FILE_TYPES = {
    "hdf5": {
        "name": "hdf5",
        "fileFormat": "base64",
        "mimeTypes": ["application/x-hdf5"],
        "extensions": [".h5", ".hdf5", ".hdf", ".he5"],
    },
    "npy": {
        "name": "npy",
        "fileFormat": "base64",
        "mimeTypes": ["application/octet-stream"],
        "extensions": [".npy", ".npz", ".bin", ".dat", ".raw"],
    },
}

#: JupyterLab settings defaults for every app: a notebook whose metadata has no
#: kernelspec would otherwise open a blocking "Select Kernel" dialog
SETTINGS_OVERRIDES = {
    "@jupyterlab/notebook-extension:tracker": {"autoStartDefaultKernel": True},
}

#: contents regexes (matched against "/relative/path") never copied into the
#: site; jupyterlite's defaults would also drop build/, dist/, lib/, untitled.*
IGNORE_CONTENTS = (
    r"/\.",  # hidden files/folders (jupyter_server refuses to index them)
    r"/__pycache__/",
    r"\.pyc$",
    r"doit\.db$",
)

#: font formats of JupyterLab's build/ that only pre-2016 browsers use
LEGACY_FONT_SUFFIXES = (".eot", ".svg", ".ttf", ".woff")

#: bump to invalidate every cached site
_SITE_FORMAT = "1"



# --------------------------------------------------------------------- API ---


def static_dir(output_dir: Path) -> Path:
    """The site's static folder: build.py may add ``<static_dir>/ytlite/...``."""
    return Path(output_dir) / STATIC_SUBDIR


def notebook_url(base: str, path: str) -> str:
    """URL opening a notebook of content_dir (relative path) in Notebook 7 UI."""
    from urllib.parse import quote

    return f"{base.rstrip('/')}/notebooks/index.html?path={quote(path)}"


def lab_url(base: str, path: str) -> str:
    """URL opening a notebook of content_dir (relative path) in JupyterLab UI."""
    from urllib.parse import quote

    return f"{base.rstrip('/')}/lab/index.html?path={quote(path)}"


def default_cache() -> Path:
    """Where downloads, kits and built sites are kept: $YTLITE_CACHE/site, by
    default ~/.cache/ytlite/site."""
    return Path(os.environ.get("YTLITE_CACHE", Path.home() / ".cache" / "ytlite")) / "site"


#: ytlite's prebuilt JupyterLab extension (build.py bundles lite/js/jupyterlab.js into it)
LABEXTENSION = Path(__file__).resolve().parents[1] / "_generated" / "labextension"

#: what a visitor's changes to the site's files become (build_site's ``storage``)
STORAGE = ("keep", "fresh")

#: what kernel_kit leaves in a kit folder
KIT_PYODIDE = "pyodide"  # the core files, every kernel wheel and their pyodide-lock.json
KIT_SOURCE_LOCK = "source-lock.json"  # Pyodide's own lock (its CDN's packages)
KIT_INFO = "kit.json"  # {"format", "pyodide", "boot": [packages installed while Pyodide boots]}
_KIT_FORMAT = "1"


def kernel_kit(
    cache_dir: Path,
    extra_wheels: Sequence[Path] = (),
    log: Log = print,
    *,
    preload_extra_wheels: bool = True,
    kernel_speedups: bool = True,
) -> Path:
    """The kernel's half of a site, made once (cached under ``cache_dir`` by a
    hash of every input) and returned as a folder (see ``KIT_*``): the
    Pyodide core from npm, every kernel wheel (PyPI at the pinned versions,
    the pyodide-kernel extension's own, ``extra_wheels``) and their lock, with
    the .pyc of what the kernel imports at start compiled inside this Pyodide
    (``kernel_speedups``). This is the part that needs npm and node; a
    site is then built from the kit with Python alone (:func:`build_site`).

    - ``extra_wheels``: pure-Python (``*-none-any``) wheels importable in the
      kernel without ``%pip install``; they may depend on each other and on
      the kernel wheels (ipywidgets, anywidget, psygnal, comm, ...). A wheel
      with the same project name as a kernel wheel replaces it.
    - ``preload_extra_wheels``: also install the extra wheels while Pyodide
      boots (otherwise they are loaded at their first ``import``).
    - ``kernel_speedups``: rewrite the kernel's wheels for a faster start
      (kernel_wheels.py: .pyc compiled inside Pyodide, lazy jedi and
      IPython.embed, slim jedi); off gives JupyterLite's kernel as it comes
      (the baseline of bench/coldstart.py).
    """
    cache_dir = Path(cache_dir).resolve()
    extra_wheels = [Path(w).resolve() for w in extra_wheels]
    for whl in extra_wheels:
        _check_pure_wheel(whl)
    _check_build_env(log)
    h = hashlib.sha256(_KIT_FORMAT.encode())
    for f in (Path(__file__), Path(kernel_wheels.__file__), kernel_wheels.PRECOMPILE_MJS, PACKAGE_JSON, PACKAGE_LOCK):
        h.update(f.read_bytes())
    h.update(json.dumps([preload_extra_wheels, kernel_speedups, _environment()]).encode())
    for w in extra_wheels:
        h.update(w.name.encode() + _sha256(w).encode())
    kit = cache_dir / "kits" / h.hexdigest()
    if (kit / ".complete").is_file():
        log(f"[lite] kernel kit up to date (cache {kit.name[:12]})")
    pyodide_pkg = _ensure_pyodide_npm(cache_dir, log)

    def make(tmp: Path) -> None:
        wheels = _ensure_pypi_wheels(cache_dir, pyodide_pkg, log)
        _make_kit(tmp, pyodide_pkg, wheels, extra_wheels, cache_dir, preload_extra_wheels, kernel_speedups, log)

    return cached_dir(kit, make, keep=3)


def build_site(
    output_dir: Path,
    content_dir: Path,
    extra_wheels: Sequence[Path] = (),
    cache_dir: Path | None = None,
    log: Log = print,
    *,
    kit: Path | None = None,
    preload_extra_wheels: bool = True,
    apps: Sequence[str] | None = None,
    kernel_speedups: bool = True,
    pyodide_dist: Path | None = None,
    storage: str = "keep",
) -> None:
    """Build the offline JupyterLite site into ``output_dir`` (replaced).

    - ``content_dir``: every file below it shows up in the file browser and is
      readable from the kernel relative to the notebook (hidden files,
      ``__pycache__`` and ``*.pyc`` are skipped).
    - ``kit``: a kernel kit (:func:`kernel_kit`, or the one an installed ytlite
      ships); without, one is made here from ``extra_wheels``,
      ``preload_extra_wheels`` and ``kernel_speedups`` (see there).
    - ``cache_dir``: whole built sites keyed by a hash of every input; a
      re-run with nothing changed only copies the cached site into
      ``output_dir``.
    - ``apps``: JupyterLite apps to include (default: all of them: lab,
      notebooks, tree, edit, repl, consoles).
    - ``pyodide_dist``: Pyodide's full distribution (the same version: a folder
      with pyodide-lock.json and every file it lists, or the release tarball);
      its packages are then served by the site itself instead of Pyodide's CDN
      (see "Pyodide's own packages" above).
    - ``storage``: "keep" (JupyterLite's default: what a visitor saves stays
      in their browser) or "fresh" (kept in memory only: every visit starts
      from the site's files).
    """
    t0 = time.monotonic()
    output_dir = Path(output_dir).resolve()
    content_dir = Path(content_dir).resolve()
    cache_dir = Path(cache_dir or default_cache()).resolve()
    cache_dir.mkdir(parents=True, exist_ok=True)
    if not content_dir.is_dir():
        raise FileNotFoundError(f"content_dir {content_dir} is not a folder")
    if kit is None:
        kit = kernel_kit(cache_dir, extra_wheels, log, preload_extra_wheels=preload_extra_wheels,
                         kernel_speedups=kernel_speedups)
    elif extra_wheels:
        raise ValueError("extra_wheels go into the kernel kit (kernel_kit), not beside a kit")
    kit = Path(kit).resolve()
    _check_kit(kit)
    _check_output_dir(output_dir, [content_dir, cache_dir, HERE, kit])
    _check_build_env(log)
    if pyodide_dist is not None:
        pyodide_dist = _check_pyodide_dist_path(pyodide_dist)

    if storage not in STORAGE:
        raise ValueError(f"storage must be one of {', '.join(STORAGE)}, got {storage!r}")
    key = _distribution_key(_site_key(content_dir, kit, apps, storage), pyodide_dist)
    cached = cache_dir / "sites" / key
    if (cached / ".complete").is_file():
        log(f"[lite] site up to date (cache {key[:12]})")

    def make(tmp: Path) -> None:
        dist = None
        if pyodide_dist is not None:  # (checked now: a bad one fails before the long part)
            dist = _pyodide_dist_folder(pyodide_dist, cache_dir, log)
            _distribution_lock(dist, json.loads((kit / KIT_SOURCE_LOCK).read_text()))
        with tempfile.TemporaryDirectory(prefix="build-", dir=cache_dir) as lite:
            _build(tmp, Path(lite) / "lite", content_dir, kit, cache_dir, apps, log, pyodide_dist=dist, storage=storage)

    cached_dir(cached, make, keep=3)  # (the 3 most recently built sites)
    _replace_tree(cached, output_dir)
    (output_dir / ".complete").unlink(missing_ok=True)
    log(f"[lite] site ready in {output_dir} ({time.monotonic() - t0:.1f}s)")


def _check_kit(kit: Path) -> None:
    try:
        info = json.loads((kit / KIT_INFO).read_text())
    except (OSError, ValueError) as exc:
        raise FileNotFoundError(f"{kit} is not a kernel kit (no readable {KIT_INFO}: {exc})") from None
    if info.get("format") != _KIT_FORMAT or info.get("pyodide") != PYODIDE_NPM_VERSION:
        raise ValueError(f"the kernel kit {kit} is of another ytlite (format {info.get('format')}, Pyodide "
                         f"{info.get('pyodide')}); this one needs format {_KIT_FORMAT}, Pyodide {PYODIDE_NPM_VERSION}")


def ensure_npm_modules(cache_dir: Path, log: Log = print) -> Path:
    """``npm ci`` lite/package-lock.json (cached) and return its node_modules."""
    return _ensure_pyodide_npm(Path(cache_dir).resolve(), log).parent


# -------------------------------------------------------------- internals ---


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _canon(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _prefix() -> Path:
    return Path(sys.prefix)


def _labextensions_dir() -> Path:
    return _prefix() / "share" / "jupyter" / "labextensions"


def _check_build_env(log: Log) -> None:
    """The front-end extensions come from the build venv: check they are there
    and that the widget front-ends match the kernel-side versions."""
    from importlib import metadata

    missing = [n for n in REQUIRED_LABEXTENSIONS if not (_labextensions_dir() / n / "package.json").is_file()]
    if missing:
        raise RuntimeError(
            f"labextensions {missing} not found in {_labextensions_dir()}: "
            f"pip install -r {REQUIREMENTS_TXT}"
        )
    for dist in ("jupyterlite-core", "jupyterlite-pyodide-kernel", "jupyter-server"):
        try:
            metadata.version(dist)
        except metadata.PackageNotFoundError:
            raise RuntimeError(f"{dist} not installed: pip install -r {REQUIREMENTS_TXT}") from None
    for dist in ("anywidget", "ipywidgets"):
        have = metadata.version(dist)
        if have != KERNEL_WHEELS[dist]:
            log(f"[lite] WARNING: build env has {dist} {have}, kernel gets {KERNEL_WHEELS[dist]}")


def _check_pure_wheel(whl: Path) -> None:
    if not whl.is_file() or whl.suffix != ".whl":
        raise FileNotFoundError(f"not a wheel: {whl}")
    if not whl.name.endswith("-none-any.whl"):
        raise ValueError(f"{whl.name}: only pure-Python (*-none-any) wheels can be served")


def _tree_digest(root: Path, h: "hashlib._Hash") -> None:
    for p in sorted(root.rglob("*")):
        if p.is_file():
            rel = p.relative_to(root).as_posix()
            st = p.stat()
            h.update(f"{rel}\0{st.st_size}\0".encode())
            h.update(_sha256(p).encode())


def _environment() -> list[str]:
    """The build environment: every installed distribution and its version
    (the labextensions and kernel-extension wheels come from it)."""
    from importlib import metadata

    return sorted(f"{d.metadata['Name']}=={d.version}" for d in metadata.distributions() if d.metadata["Name"])


def _site_key(content_dir: Path, kit: Path, apps, storage) -> str:
    h = hashlib.sha256(_SITE_FORMAT.encode())
    h.update(Path(__file__).read_bytes())
    h.update(json.dumps([list(apps or []), sys.prefix, _environment(), storage]).encode())
    _tree_digest(kit, h)
    _tree_digest(LABEXTENSION, h)
    _tree_digest(content_dir, h)
    return h.hexdigest()


def _check_output_dir(output_dir: Path, inputs: list[Path]) -> None:
    """output_dir is deleted and rewritten: refuse anything that looks wrong."""
    if (output_dir / ".git").exists() or output_dir == Path(output_dir.anchor):
        raise ValueError(f"refusing to replace {output_dir}")
    for p in inputs:
        if p == output_dir or output_dir in p.parents:
            raise ValueError(f"output_dir {output_dir} would delete input {p}")


def _replace_tree(src: Path, dest: Path) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(src, dest)


def _ensure_pyodide_npm(cache_dir: Path, log: Log) -> Path:
    """``npm ci`` the pinned pyodide into cache_dir/npm/<lock hash>; return the
    pyodide package folder."""
    lock_key = hashlib.sha256(PACKAGE_JSON.read_bytes() + PACKAGE_LOCK.read_bytes()).hexdigest()[:16]

    def make(root: Path) -> None:
        shutil.copy2(PACKAGE_JSON, root / "package.json")
        shutil.copy2(PACKAGE_LOCK, root / "package-lock.json")
        npm = shutil.which("npm")
        if not npm:
            raise RuntimeError("npm not found on PATH (needed once to fetch pyodide)")
        run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--omit=dev"], log, cwd=root)
        version = json.loads((root / "node_modules" / "pyodide" / "package.json").read_text())["version"]
        if version != PYODIDE_NPM_VERSION:
            raise RuntimeError(f"npm installed pyodide {version}, expected {PYODIDE_NPM_VERSION}")

    return cached_dir(cache_dir / "npm" / lock_key, make) / "node_modules" / "pyodide"


def _ensure_pypi_wheels(cache_dir: Path, pyodide_pkg: Path, log: Log) -> dict[str, Path]:
    """Download every pinned pure-Python kernel wheel (cached by name==version)."""
    lock = json.loads((pyodide_pkg / "pyodide-lock.json").read_text())
    pins: dict[str, str] = {}
    for name in LOCK_PACKAGES_FROM_PYPI:
        entry = lock["packages"][name]
        if not entry["file_name"].endswith("-none-any.whl"):
            raise RuntimeError(f"{name} is not pure Python in the pyodide lock")
        pins[name] = entry["version"]
    pins.update(KERNEL_WHEELS)

    wheel_dir = cache_dir / "wheels"
    wheel_dir.mkdir(parents=True, exist_ok=True)

    def find(name: str, version: str) -> Path | None:
        stem = re.sub(r"[-_.]+", "_", name).lower()
        for p in wheel_dir.glob("*.whl"):
            parts = p.name.split("-")
            if parts[0].lower().replace(".", "_") == stem and parts[1] == version:
                return p
        return None

    missing = [f"{n}=={v}" for n, v in pins.items() if find(n, v) is None]
    if missing:
        with tempfile.TemporaryDirectory(dir=cache_dir) as tmp:
            run(
                [
                    sys.executable, "-m", "pip", "download", "--no-deps",
                    "--only-binary=:all:", "--python-version", PYODIDE_PYTHON,
                    "--implementation", "py", "--abi", "none", "--platform", "any",
                    "--disable-pip-version-check", "-d", tmp, *missing,
                ],
                log,
            )
            for p in Path(tmp).glob("*.whl"):
                shutil.move(str(p), wheel_dir / p.name)
    out = {}
    for n, v in pins.items():
        p = find(n, v)
        if p is None:
            raise RuntimeError(f"wheel {n}=={v} not downloaded")
        out[_canon(n)] = p
    return out


def _wheel_info(whl: Path) -> dict:
    """name, version, top-level import names and Requires-Dist of a wheel."""
    with zipfile.ZipFile(whl) as zf:
        names = zf.namelist()
        dist_info = next(n.split("/")[0] for n in names if n.split("/")[0].endswith(".dist-info") and n.endswith("/METADATA"))
        meta = email.parser.Parser().parsestr(zf.read(f"{dist_info}/METADATA").decode("utf-8"))
        top_level = None
        if f"{dist_info}/top_level.txt" in names:
            top_level = [t.strip() for t in zf.read(f"{dist_info}/top_level.txt").decode().split() if t.strip()]
    if not top_level:
        tops = set()
        for n in names:
            first = n.split("/")[0]
            if first.endswith((".dist-info", ".data")):
                continue
            if "/" in n:
                tops.add(first)
            elif n.endswith(".py"):
                tops.add(n[:-3])
        top_level = sorted(tops)
    top_level = sorted({t.split("/")[0] for t in top_level if t})
    return {
        "name": meta["Name"],
        "version": meta["Version"],
        "imports": top_level,
        "requires": meta.get_all("Requires-Dist") or [],
    }


def _depends(requires: Iterable[str], available: set[str], who: str, log: Log) -> list[str]:
    from packaging.requirements import Requirement

    env = {
        "python_version": PYODIDE_PYTHON,
        "python_full_version": "3.14.2",
        "sys_platform": "emscripten",
        "platform_system": "Emscripten",
        "platform_machine": "wasm32",
        "os_name": "posix",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "extra": "",
    }
    deps = []
    for raw in requires:
        req = Requirement(raw)
        if req.marker and not req.marker.evaluate(env):
            continue
        name = _canon(req.name)
        if name in available:
            deps.append(name)
        elif name not in ("jupyterlab-widgets",):  # front-end only data package
            log(f"[lite] WARNING: {who} requires {raw!r}, which the site does not ship")
    return sorted(set(deps))


def _lock_entry(name_key: str, info: dict, file_name: str, sha: str, depends: list[str]) -> dict:
    return {
        "name": info["name"],
        "version": info["version"],
        "file_name": file_name,
        "install_dir": "site",
        "sha256": sha,
        "package_type": "package",
        "imports": info["imports"],
        "depends": depends,
        "unvendored_tests": False,
        "shared_library": False,
    }


def _make_kit(
    kit: Path,
    pyodide_pkg: Path,
    pypi_wheels: dict[str, Path],
    extra_wheels: list[Path],
    cache_dir: Path,
    preload_extra_wheels: bool,
    kernel_speedups: bool,
    log: Log,
) -> None:
    """The kernel kit's files (see kernel_kit) into ``kit``."""
    pyo = kit / KIT_PYODIDE
    pyo.mkdir(parents=True)
    for f in PYODIDE_CORE_FILES:
        shutil.copy2(pyodide_pkg / f, pyo / f)
    shutil.copy2(pyodide_pkg / "pyodide-lock.json", kit / KIT_SOURCE_LOCK)
    src_lock = json.loads((pyodide_pkg / "pyodide-lock.json").read_text())

    # all kernel wheels by canonical name; later sources win
    wheels: dict[str, Path] = dict(pypi_wheels)
    ext_pypi = _labextensions_dir() / "@jupyterlite" / "pyodide-kernel-extension" / "static" / "pypi"
    for p in sorted(ext_pypi.glob("*.whl")):
        n = _canon(p.name.split("-")[0])
        if n in KERNEL_EXTENSION_WHEELS:
            # several widgetsnbextension stubs: keep the highest (4.0.999)
            wheels[n] = p
    extra_names = []
    for w in extra_wheels:
        info = _wheel_info(w)
        n = _canon(info["name"])
        if n in wheels:
            log(f"[lite] extra wheel {w.name} replaces {wheels[n].name}")
        wheels[n] = w
        extra_names.append(n)

    infos = {n: _wheel_info(p) for n, p in wheels.items()}
    available = set(wheels)
    packages = {}
    for n, p in sorted(wheels.items()):
        if kernel_speedups:
            kernel_wheels.stage_wheel(p, pyo / p.name)  # (pyodide-kernel and jedi rewritten)
        else:
            shutil.copy2(p, pyo / p.name)
        info = infos[n]
        if n in src_lock["packages"] and p.parent == cache_dir / "wheels":
            # keep Pyodide's own imports/depends, but our file + sha256
            entry = dict(src_lock["packages"][n])
            entry.update(file_name=p.name, sha256=_sha256(pyo / p.name))
            missing = [d for d in entry["depends"] if _canon(d) not in available]
            if missing:
                raise RuntimeError(f"{n} depends on {missing}, not shipped")
        else:
            deps = _depends(info["requires"], available - {n}, p.name, log)
            entry = _lock_entry(n, info, p.name, _sha256(pyo / p.name), deps)
        packages[n] = entry
    lock = {"info": src_lock["info"], "packages": packages}
    log(f"[lite] pyodide-lock.json: {len(packages)} packages: {', '.join(sorted(packages))}")

    boot = list(BOOT_PACKAGES)
    if preload_extra_wheels:
        boot += [n for n in extra_names if n not in boot]

    # .pyc of everything the kernel imports at start, compiled by this very
    # Pyodide (in node); the rewritten files get their new sha256 in the lock
    if kernel_speedups:
        (pyo / "pyodide-lock.json").write_text(json.dumps(lock, indent=1, sort_keys=True))
        kernel_wheels.precompile(pyo, packages, log)
        for entry in packages.values():
            entry["sha256"] = _sha256(pyo / entry["file_name"])
    (pyo / "pyodide-lock.json").write_text(json.dumps(lock, indent=1, sort_keys=True))
    (kit / KIT_INFO).write_text(json.dumps({"format": _KIT_FORMAT, "pyodide": PYODIDE_NPM_VERSION, "boot": boot}))


def _build(
    site: Path,
    lite: Path,
    content_dir: Path,
    kit: Path,
    cache_dir: Path,
    apps: Sequence[str],
    log: Log,
    *,
    pyodide_dist: Path | None = None,
    storage: str = "keep",
) -> None:
    """Stage a throw-away lite dir (so no stale .jupyterlite.doit.db can skip
    a merge) with the kit's Pyodide, then ``jupyter lite build``."""
    lite.mkdir(parents=True)
    pyo = lite / PYODIDE_SUBDIR
    shutil.copytree(kit / KIT_PYODIDE, pyo)
    lock = json.loads((pyo / "pyodide-lock.json").read_text())
    src_lock = json.loads((kit / KIT_SOURCE_LOCK).read_text())
    boot = json.loads((kit / KIT_INFO).read_text())["boot"]

    # Every other package of Pyodide's distribution: at its CDN, or copied
    # from pyodide_dist (none of it is imported at start)
    boot += _add_distribution_packages(lock, pyo, src_lock, pyodide_dist, log)
    (pyo / "pyodide-lock.json").write_text(json.dumps(lock, indent=1, sort_keys=True))

    config_data = {}
    if storage == "fresh":  # nothing a visitor changes is kept: every visit starts from the site's files
        config_data = {"enableMemoryStorage": True, "contentsStorageDrivers": ["memoryStorageDriver"]}
    lite_json = {
        "jupyter-lite-schema-version": 0,
        "jupyter-config-data": {
            "appName": "ytlite",
            "exposeAppInBrowser": True,
            "litePluginSettings": {
                PLUGIN_ID: {
                    "disablePyPIFallback": True,
                    "loadPyodideOptions": {"packages": boot},
                }
            },
            **config_data,
        },
    }
    (lite / "jupyter-lite.json").write_text(json.dumps(lite_json, indent=2))
    # ytlite's own extension (the stale-notebook notice): a local prebuilt one,
    # which the build copies into extensions/ and lists in jupyter-lite.json
    if not (LABEXTENSION / "package.json").is_file():
        raise FileNotFoundError(f"{LABEXTENSION}/package.json missing: the front end was not built (python3 build.py build)")
    own = lite / "labextensions"
    shutil.copytree(LABEXTENSION, own / json.loads((LABEXTENSION / "package.json").read_text())["name"])
    config = {
        "LiteBuildConfig": {
            "ignore_contents": list(IGNORE_CONTENTS),
            "extra_file_types": EXTRA_FILE_TYPES,
            "no_sourcemaps": True,
        },
        "FederatedExtensionAddon": {"extra_labextensions_path": [str(own)]},
    }
    (lite / "jupyter_lite_config.json").write_text(json.dumps(config, indent=2))
    (lite / "overrides.json").write_text(json.dumps(SETTINGS_OVERRIDES, indent=2))

    cmd = [
        sys.executable, "-m", "jupyterlite_core", "build",
        "--lite-dir", lite,
        "--output-dir", site,
        f"--LiteBuildConfig.cache_dir={cache_dir / 'jupyterlite-cache'}",
        "--contents", content_dir,
    ]
    for app in apps or ():
        cmd += ["--apps", app]
    env = dict(os.environ)
    env.pop("JUPYTERLITE_PYODIDE_URL", None)
    env.pop("JUPYTERLITE_OUTPUT_DIR", None)
    env.pop("JUPYTERLITE_DIR", None)
    run(cmd, log, cwd=lite, env=env)
    # Font Awesome's pre-woff2 formats: 2.8 MB no browser of the last 8 years
    # asks for (the CSS lists woff2 first, and every one of them reads it)
    dropped = [f for f in (site / "build").glob("fa-*") if f.suffix in LEGACY_FONT_SUFFIXES]
    for f in dropped:
        f.unlink()
    log(f"[lite] dropped {len(dropped)} legacy font files (kept {len(list((site / 'build').glob('fa-*.woff2')))} woff2)")
    _verify_site(site, lock, content_dir, log)


def _verify_site(site: Path, lock: dict, content_dir: Path, log: Log) -> None:
    """Fail the build on the traps we know about."""
    cfg = json.loads((site / "jupyter-lite.json").read_text())["jupyter-config-data"]
    kernel = cfg.get("litePluginSettings", {}).get(PLUGIN_ID, {})
    problems = []
    if kernel.get("pyodideUrl") != f"./{PYODIDE_SUBDIR}/pyodide.mjs":
        problems.append(f"pyodideUrl is {kernel.get('pyodideUrl')!r}")
    if not kernel.get("disablePyPIFallback"):
        problems.append("jupyter-lite.json was not merged (disablePyPIFallback missing)")
    pyo = site / PYODIDE_SUBDIR
    for entry in lock["packages"].values():
        if entry["file_name"].startswith(PYODIDE_CDN_URL):
            continue  # Pyodide's own package at its CDN (its sha256 is Pyodide's)
        f = pyo / entry["file_name"]
        if not f.is_file() or _sha256(f) != entry["sha256"]:
            problems.append(f"lock entry {entry['name']}: bad file {f.name}")
    for f in PYODIDE_CORE_FILES + ("pyodide-lock.json",):
        if not (pyo / f).is_file():
            problems.append(f"missing static/pyodide/{f}")
    for name in REQUIRED_LABEXTENSIONS:
        if not (site / "extensions" / name / "package.json").is_file():
            problems.append(f"labextension {name} missing from site")
    own = json.loads((LABEXTENSION / "package.json").read_text())["name"]
    if own not in {e.get("name") for e in cfg.get("federated_extensions", [])}:
        problems.append(f"ytlite's labextension {own} not listed in jupyter-lite.json")
    n_files = 0
    for p in content_dir.rglob("*"):
        rel = p.relative_to(content_dir).as_posix()
        if p.is_file() and not any(re.search(rx, "/" + rel) for rx in IGNORE_CONTENTS):
            n_files += 1
            if not (site / "files" / rel).is_file():
                problems.append(f"content {rel} missing from site")
    if problems:
        raise RuntimeError("site verification failed:\n  " + "\n  ".join(problems))
    at_cdn = sum(e["file_name"].startswith(PYODIDE_CDN_URL) for e in lock["packages"].values())
    log(f"[lite] verified: {len(lock['packages']) - at_cdn} packages served by the site, {at_cdn} at Pyodide's CDN, "
        f"{n_files} content files")


# ------------------------------------------------ Pyodide's own packages ---


def _check_pyodide_dist_path(path: Path) -> Path:
    path = Path(path).expanduser().resolve()
    if not path.exists():
        raise FileNotFoundError(f"--pyodide-dist {path}: no such file or folder. {PYODIDE_DIST_HELP}")
    tar_name = path.name.endswith((".tar", ".tar.bz2", ".tbz2", ".tar.gz", ".tgz", ".tar.xz"))
    if path.is_file() and not tar_name and not tarfile.is_tarfile(path):
        raise ValueError(f"--pyodide-dist {path}: neither a folder nor a tar archive. {PYODIDE_DIST_HELP}")
    return path


def _distribution_key(key: str, pyodide_dist: Path | None) -> str:
    """The site cache key, with what decides the Pyodide packages: the kernel
    hint's source, and the distribution's files by name, size and mtime (their
    contents are hashed when a site is built from them)."""
    h = hashlib.sha256(key.encode())
    h.update(CDN_HINT_SOURCE.read_bytes())
    if pyodide_dist is not None:
        files = [pyodide_dist] if pyodide_dist.is_file() else sorted(p for p in pyodide_dist.rglob("*") if p.is_file())
        for p in files:
            st = p.stat()
            h.update(f"{p}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
    return h.hexdigest()


def _pyodide_dist_folder(path: Path, cache_dir: Path, log: Log) -> Path:
    """The folder that holds the distribution's pyodide-lock.json: ``path``
    itself or its ``pyodide/`` sub-folder; a tarball is unpacked (once) into
    the cache first."""
    if path.is_file():
        path = _unpack_pyodide_tarball(path, cache_dir, log)
    for folder in (path, path / "pyodide"):
        if (folder / "pyodide-lock.json").is_file():
            return folder
    raise ValueError(f"--pyodide-dist {path}: no pyodide-lock.json in it (nor in pyodide/), "
                     f"so not a Pyodide distribution. {PYODIDE_DIST_HELP}")


def _unpack_pyodide_tarball(tarball: Path, cache_dir: Path, log: Log) -> Path:
    st = tarball.stat()
    key = hashlib.sha256(f"{tarball}\0{st.st_size}\0{st.st_mtime_ns}".encode()).hexdigest()[:16]
    root = cache_dir / "pyodide-dist" / key
    if not (root / ".complete").is_file():
        log(f"[lite] unpacking {tarball} ({st.st_size / 1e6:.0f} MB) into {root}")

    def make(partial: Path) -> None:
        try:
            # (streamed: bz2 has no random access; regular files only, each inside the folder)
            with tarfile.open(tarball, "r|*") as tar:
                for member in tar:
                    if not member.isfile():
                        continue
                    parts = [p for p in member.name.split("/") if p not in ("", ".")]
                    if member.name.startswith("/") or ".." in parts:
                        raise ValueError(f"--pyodide-dist {tarball}: member {member.name!r} points outside the archive")
                    dest = partial.joinpath(*parts)
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    with tar.extractfile(member) as src, open(dest, "wb") as out:
                        shutil.copyfileobj(src, out, 1 << 20)
        except (tarfile.TarError, EOFError, OSError, zlib.error, lzma.LZMAError) as exc:  # (damaged .gz/.xz: not TarError)
            raise ValueError(f"--pyodide-dist {tarball}: cannot unpack it ({exc}); a truncated download? "
                             f"{PYODIDE_DIST_HELP}") from None

    return cached_dir(root, make, keep=2)  # (the 2 most recently unpacked distributions)


def _distribution_lock(dist: Path, src_lock: dict) -> dict:
    """The distribution's pyodide-lock.json, checked against the Pyodide the
    site runs (npm pyodide@PYODIDE_NPM_VERSION: same platform, ABI, Python, and
    the same version of every package both list) and against its own files
    (each present, with the sha256 the lock gives)."""
    where = f"--pyodide-dist {dist}"
    try:
        lock = json.loads((dist / "pyodide-lock.json").read_text())
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"{where}: pyodide-lock.json is not readable JSON ({exc})") from None
    if not isinstance(lock, dict) or not isinstance(lock.get("info"), dict) or not isinstance(lock.get("packages"), dict):
        raise ValueError(f"{where}: pyodide-lock.json has no 'info' and 'packages': not a Pyodide lock file")
    v = PYODIDE_NPM_VERSION
    differences = []
    try:
        version = json.loads((dist / "package.json").read_text()).get("version")
    except (OSError, ValueError, AttributeError):
        version = None  # (a folder of wheels need not have it)
    if version is not None and version != v:
        differences.append(f"package.json says version {version}")
    want = src_lock["info"]
    differences += [f"its lock says {k} {lock['info'].get(k)!r} where {v} has {want[k]!r}"
                    for k in sorted(want) if lock["info"].get(k) != want[k]]
    for name, entry in sorted(lock["packages"].items()):
        ours = src_lock["packages"].get(name)
        if ours is not None and isinstance(entry, dict) and entry.get("version") != ours["version"]:
            differences.append(f"{name} is {entry.get('version')} there, {ours['version']} in {v}")
    if differences:
        shown = "; ".join(differences[:6]) + (f"; ... ({len(differences) - 6} more)" if len(differences) > 6 else "")
        raise ValueError(f"{where} is not Pyodide {v}'s distribution (the site runs npm pyodide@{v}): {shown}. "
                         f"{PYODIDE_DIST_HELP}")
    problems = []
    for name, entry in sorted(lock["packages"].items()):
        file_name = entry.get("file_name") if isinstance(entry, dict) else None
        if (not isinstance(file_name, str) or not file_name or "://" in file_name or file_name.startswith("/")
                or ".." in file_name.split("/")):
            problems.append(f"{name}: file_name {file_name!r} is not a file of the distribution")
            continue
        f = dist / file_name
        if not f.is_file():
            problems.append(f"{file_name} is missing")
            continue
        sha = _sha256(f)
        if sha != entry.get("sha256"):
            problems.append(f"{file_name} is damaged (its sha256 is {sha[:16]}..., the lock says {str(entry.get('sha256'))[:16]}...)")
    if problems:
        shown = "; ".join(problems[:8]) + (f"; ... ({len(problems) - 8} more)" if len(problems) > 8 else "")
        raise ValueError(f"{where}: {len(problems)} of the {len(lock['packages'])} packages its pyodide-lock.json "
                         f"lists are missing or damaged: {shown}. (A partial download, or the pyodide-core tarball? "
                         f"{PYODIDE_DIST_HELP})")
    return lock


def _check_lock_closure(packages: dict, what: str) -> None:
    """Every dependency of every entry is in the lock (Pyodide would fail at the first import otherwise)."""
    names = {_canon(n) for n in packages}
    missing = sorted({f"{n} needs {d}" for n, e in packages.items() for d in e.get("depends", []) if _canon(d) not in names})
    if missing:
        raise ValueError(f"{what}: {len(missing)} dependencies are not in it: {', '.join(missing[:8])}"
                         + (" ..." if len(missing) > 8 else ""))


def _add_distribution_packages(lock: dict, pyo: Path, src_lock: dict, pyodide_dist: Path | None, log: Log) -> list:
    """Add to ``lock`` every package of Pyodide's distribution the site does
    not serve itself (the site's own entries win). Default: at Pyodide's CDN
    (absolute ``file_name``, Pyodide's sha256), plus the ``ytlite-cdn-hint``
    boot wheel; with ``pyodide_dist``: copied into ``pyo`` from there.
    Returns the packages to add to the boot list."""
    packages = lock["packages"]
    served = set(packages)
    if pyodide_dist is None:
        for name, entry in src_lock["packages"].items():
            if name not in served:
                packages[name] = {**entry, "file_name": PYODIDE_CDN_URL + entry["file_name"]}
        _check_lock_closure(packages, f"Pyodide {PYODIDE_NPM_VERSION}'s lock with the site's packages")
        hint = _cdn_hint_wheel(pyo, packages, served)
        info = _wheel_info(hint)
        packages[_canon(info["name"])] = _lock_entry(_canon(info["name"]), info, hint.name, _sha256(hint), [])
        log(f"[lite] pyodide-lock.json: {len(packages) - len(served) - 1} more packages of Pyodide's at {PYODIDE_CDN_URL}"
            f" (loaded when a cell imports them), and {hint.name}")
        return [_canon(info["name"])]
    dist_lock = _distribution_lock(pyodide_dist, src_lock)
    size = 0
    for name, entry in dist_lock["packages"].items():
        if name in served:
            continue
        dest = pyo / entry["file_name"]
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(pyodide_dist / entry["file_name"], dest)
        size += dest.stat().st_size
        packages[name] = dict(entry)
    _check_lock_closure(packages, f"the pyodide-lock.json of --pyodide-dist {pyodide_dist} with the site's packages")
    log(f"[lite] pyodide-lock.json: {len(packages) - len(served)} more packages of Pyodide's, served by the site "
        f"({size / 1e6:.0f} MB from {pyodide_dist})")
    return []


def _cdn_hint_wheel(pyo: Path, packages: dict, served: set) -> Path:
    """The boot wheel of cdn_hint.py: the module, what it needs to know
    (the CDN, which imports it serves and which the site serves), and an
    IPython start-up file (a wheel data file, installed by Pyodide under
    sys.prefix) that installs it before the first cell. Byte-for-byte the
    same for the same inputs (fixed timestamps)."""
    cdn_imports, site_imports = {}, {}
    for name, entry in sorted(packages.items()):
        table = site_imports if name in served else cdn_imports
        for imp in entry.get("imports", []):
            table.setdefault(imp, entry["name"])
    for imp in site_imports:  # the site's package wins an import name both have
        cdn_imports.pop(imp, None)
    config = {"cdn_url": PYODIDE_CDN_URL, "cdn_imports": cdn_imports, "site_imports": site_imports,
              "offline_build": OFFLINE_BUILD_HINT}
    module = CDN_HINT_NAME.replace("-", "_")
    stem = f"{module}-{CDN_HINT_VERSION}"
    startup = ("# Installed by ytlite's site build (ytlite/site/jupyterlite.py, cdn_hint.py): explain a missing\n"
               "# package of Pyodide's CDN where the user sees it, and fail fast when the CDN is unreachable.\n"
               f"__import__({module!r}).install()\n")
    files = {
        f"{module}/__init__.py": CDN_HINT_SOURCE.read_bytes(),
        f"{module}/packages.json": json.dumps(config, indent=1, sort_keys=True).encode(),
        f"{stem}.data/data/etc/ipython/startup/00-{CDN_HINT_NAME}.py": startup.encode(),
        f"{stem}.dist-info/METADATA": (f"Metadata-Version: 2.1\nName: {CDN_HINT_NAME}\nVersion: {CDN_HINT_VERSION}\n"
                                       "Summary: why a package of Pyodide's CDN is missing (ytlite site)\n").encode(),
        f"{stem}.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: ytlite ytlite/site/jupyterlite.py\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        f"{stem}.dist-info/top_level.txt": f"{module}\n".encode(),
    }
    record = "".join(f"{n},sha256={_urlsafe_b64_sha256(d)},{len(d)}\n" for n, d in files.items())
    files[f"{stem}.dist-info/RECORD"] = (record + f"{stem}.dist-info/RECORD,,\n").encode()
    whl = pyo / f"{stem}-py3-none-any.whl"
    with zipfile.ZipFile(whl, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
    return whl


def _urlsafe_b64_sha256(data: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
