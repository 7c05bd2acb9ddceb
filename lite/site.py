"""Build the offline JupyterLite site for ytlite.

The site works with no network at run time: every file (the JupyterLab/Notebook
apps, the Pyodide runtime, every kernel-side wheel, the contents) is served from
the site's own origin.  At build time only the npm registry (for Pyodide) and
PyPI (for the pure-Python kernel wheels) are used, at pinned versions, and
everything fetched is cached under ``cache_dir``.

Public API
----------
``build_site(output_dir, content_dir, extra_wheels, cache_dir, log=print)``
    Build (or reuse from cache) the site and write it into ``output_dir``
    (which is replaced as a whole).
``static_dir(output_dir)`` / ``STATIC_SUBDIR``
    Where build.py may drop extra static assets (e.g. ``static/ytlite/...``)
    after ``build_site`` returned.
``ensure_npm_modules(cache_dir, log)``
    ``npm ci`` of lite/package-lock.json (cached by its hash) -> node_modules.
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

Requires (in the Python running the build): the packages pinned in
``lite/requirements.txt``; ``node``/``npm`` on PATH; ``pip``.
"""

from __future__ import annotations

import email.parser
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Callable, Iterable, Sequence

__all__ = [
    "build_site",
    "ensure_npm_modules",
    "static_dir",
    "notebook_url",
    "lab_url",
    "STATIC_SUBDIR",
    "KERNEL_WHEELS",
    "PYODIDE_NPM_VERSION",
    "REQUIREMENTS_TXT",
    "LITE_DIR",
]

LITE_DIR = Path(__file__).resolve().parent
#: pinned Python requirements of the *build* environment (also lite/requirements.txt)
REQUIREMENTS_TXT = LITE_DIR / "requirements.txt"
#: npm inputs (pyodide pinned in package.json + package-lock.json)
PACKAGE_JSON = LITE_DIR / "package.json"
PACKAGE_LOCK = LITE_DIR / "package-lock.json"

PYODIDE_NPM_VERSION = "314.0.7"  # Python 3.14.2; must match package.json
PYODIDE_PYTHON = "3.14"

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

#: bump to invalidate every cached site
_SITE_FORMAT = "1"

Log = Callable[[str], None]


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


def build_site(
    output_dir: Path,
    content_dir: Path,
    extra_wheels: Sequence[Path],
    cache_dir: Path,
    log: Log = print,
    *,
    preload_extra_wheels: bool = True,
    apps: Sequence[str] | None = None,
) -> None:
    """Build the offline JupyterLite site into ``output_dir`` (replaced).

    - ``content_dir``: every file below it shows up in the file browser and is
      readable from the kernel relative to the notebook (hidden files,
      ``__pycache__`` and ``*.pyc`` are skipped).
    - ``extra_wheels``: pure-Python (``*-none-any``) wheels importable in the
      kernel without ``%pip install``; they may depend on each other and on
      the kernel wheels (ipywidgets, anywidget, psygnal, comm, ...). A wheel
      with the same project name as a kernel wheel replaces it.
    - ``cache_dir``: downloads (npm, PyPI) keyed by version, and whole built
      sites keyed by a hash of every input; a re-run with nothing changed
      only copies the cached site into ``output_dir``.
    - ``preload_extra_wheels``: also install the extra wheels while Pyodide
      boots (otherwise they are loaded at their first ``import``).
    - ``apps``: JupyterLite apps to include (default: all of them: lab,
      notebooks, tree, edit, repl, consoles).
    """
    t0 = time.monotonic()
    output_dir = Path(output_dir).resolve()
    content_dir = Path(content_dir).resolve()
    cache_dir = Path(cache_dir).resolve()
    extra_wheels = [Path(w).resolve() for w in extra_wheels]
    cache_dir.mkdir(parents=True, exist_ok=True)

    if not content_dir.is_dir():
        raise FileNotFoundError(f"content_dir {content_dir} is not a folder")
    _check_output_dir(output_dir, [content_dir, cache_dir, LITE_DIR, *extra_wheels])
    for whl in extra_wheels:
        _check_pure_wheel(whl)
    _check_build_env(log)

    key = _site_key(content_dir, extra_wheels, preload_extra_wheels, apps)
    sites = cache_dir / "sites"
    cached = sites / key
    if (cached / ".complete").is_file():
        os.utime(cached)  # most recently used
        log(f"[lite] site up to date (cache {key[:12]})")
    else:
        pyodide_pkg = _ensure_pyodide_npm(cache_dir, log)
        wheels = _ensure_pypi_wheels(cache_dir, pyodide_pkg, log)
        with tempfile.TemporaryDirectory(prefix="build-", dir=cache_dir) as tmp:
            tmp = Path(tmp)
            built = tmp / "site"
            _build(
                built,
                tmp / "lite",
                content_dir,
                pyodide_pkg,
                wheels,
                extra_wheels,
                cache_dir,
                preload_extra_wheels,
                apps,
                log,
            )
            (built / ".complete").write_text(key + "\n")
            sites.mkdir(parents=True, exist_ok=True)
            shutil.rmtree(cached, ignore_errors=True)
            built.rename(cached)
            # keep the 3 most recently built sites
            old = sorted(sites.iterdir(), key=lambda p: p.stat().st_mtime, reverse=True)[3:]
            for p in old:
                shutil.rmtree(p, ignore_errors=True)

    _replace_tree(cached, output_dir)
    (output_dir / ".complete").unlink(missing_ok=True)
    log(f"[lite] site ready in {output_dir} ({time.monotonic() - t0:.1f}s)")


def ensure_npm_modules(cache_dir: Path, log: Log = print) -> Path:
    """``npm ci`` lite/package-lock.json (cached) and return its node_modules."""
    return _ensure_pyodide_npm(Path(cache_dir).resolve(), log).parent


# -------------------------------------------------------------- internals ---


def _run(cmd: list[str], log: Log, **kw) -> None:
    log("[lite] $ " + " ".join(str(c) for c in cmd))
    proc = subprocess.run(
        [str(c) for c in cmd],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **kw,
    )
    if proc.returncode != 0:
        log(proc.stdout[-8000:])
        raise RuntimeError(f"command failed ({proc.returncode}): {cmd[:4]}...")


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


def _site_key(content_dir, extra_wheels, preload, apps) -> str:
    from importlib import metadata

    h = hashlib.sha256()
    h.update(_SITE_FORMAT.encode())
    h.update(Path(__file__).read_bytes())
    for f in (PACKAGE_JSON, PACKAGE_LOCK, REQUIREMENTS_TXT):
        h.update(f.read_bytes() if f.is_file() else b"-")
    h.update(json.dumps([preload, list(apps or []), sys.prefix]).encode())
    # the build env: versions of every installed distribution
    dists = sorted(
        f"{d.metadata['Name']}=={d.version}" for d in metadata.distributions() if d.metadata["Name"]
    )
    h.update("\n".join(dists).encode())
    for w in extra_wheels:
        h.update(w.name.encode())
        h.update(_sha256(w).encode())
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
    root = cache_dir / "npm" / lock_key
    pkg = root / "node_modules" / "pyodide"
    if (root / ".complete").is_file() and (pkg / "pyodide.mjs").is_file():
        return pkg
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    shutil.copy2(PACKAGE_JSON, root / "package.json")
    shutil.copy2(PACKAGE_LOCK, root / "package-lock.json")
    npm = shutil.which("npm")
    if not npm:
        raise RuntimeError("npm not found on PATH (needed once to fetch pyodide)")
    _run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--omit=dev"], log, cwd=root)
    version = json.loads((pkg / "package.json").read_text())["version"]
    if version != PYODIDE_NPM_VERSION:
        raise RuntimeError(f"npm installed pyodide {version}, expected {PYODIDE_NPM_VERSION}")
    (root / ".complete").write_text(version)
    return pkg


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
            _run(
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


def _build(
    site: Path,
    lite: Path,
    content_dir: Path,
    pyodide_pkg: Path,
    pypi_wheels: dict[str, Path],
    extra_wheels: list[Path],
    cache_dir: Path,
    preload_extra_wheels: bool,
    apps: Sequence[str],
    log: Log,
) -> None:
    """Stage a throw-away lite dir (so the repo's lite/ stays clean and no
    stale .jupyterlite.doit.db can skip a merge), then ``jupyter lite build``."""
    lite.mkdir(parents=True)
    pyo = lite / PYODIDE_SUBDIR
    pyo.mkdir(parents=True)
    for f in PYODIDE_CORE_FILES:
        shutil.copy2(pyodide_pkg / f, pyo / f)

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
        shutil.copy2(p, pyo / p.name)
        info = infos[n]
        if n in src_lock["packages"] and p.parent == cache_dir / "wheels":
            # keep Pyodide's own imports/depends, but our file + sha256
            entry = dict(src_lock["packages"][n])
            entry.update(file_name=p.name, sha256=_sha256(p))
            missing = [d for d in entry["depends"] if _canon(d) not in available]
            if missing:
                raise RuntimeError(f"{n} depends on {missing}, not shipped")
        else:
            deps = _depends(info["requires"], available - {n}, p.name, log)
            entry = _lock_entry(n, info, p.name, _sha256(p), deps)
        packages[n] = entry
    lock = {"info": src_lock["info"], "packages": packages}
    (pyo / "pyodide-lock.json").write_text(json.dumps(lock, indent=1, sort_keys=True))
    log(f"[lite] pyodide-lock.json: {len(packages)} packages: {', '.join(sorted(packages))}")

    boot = list(BOOT_PACKAGES)
    if preload_extra_wheels:
        boot += [n for n in extra_names if n not in boot]

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
        },
    }
    (lite / "jupyter-lite.json").write_text(json.dumps(lite_json, indent=2))
    config = {
        "LiteBuildConfig": {
            "ignore_contents": list(IGNORE_CONTENTS),
            "extra_file_types": EXTRA_FILE_TYPES,
            "no_sourcemaps": True,
        },
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
    _run(cmd, log, cwd=lite, env=env)
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
        f = pyo / entry["file_name"]
        if not f.is_file() or _sha256(f) != entry["sha256"]:
            problems.append(f"lock entry {entry['name']}: bad file {f.name}")
    for f in PYODIDE_CORE_FILES + ("pyodide-lock.json",):
        if not (pyo / f).is_file():
            problems.append(f"missing static/pyodide/{f}")
    for name in REQUIRED_LABEXTENSIONS:
        if not (site / "extensions" / name / "package.json").is_file():
            problems.append(f"labextension {name} missing from site")
    n_files = 0
    for p in content_dir.rglob("*"):
        rel = p.relative_to(content_dir).as_posix()
        if p.is_file() and not any(re.search(rx, "/" + rel) for rx in IGNORE_CONTENTS):
            n_files += 1
            if not (site / "files" / rel).is_file():
                problems.append(f"content {rel} missing from site")
    if problems:
        raise RuntimeError("site verification failed:\n  " + "\n  ".join(problems))
    log(f"[lite] verified: {len(lock['packages'])} kernel wheels, {n_files} content files")
