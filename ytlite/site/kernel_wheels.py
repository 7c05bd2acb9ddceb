"""Make the Pyodide kernel start sooner: rewrite its wheels at build time.

Where the kernel's start-up time goes, and what each change below gave, is
measured in docs/coldstart.md. In short, most of the ~17 s of Python in the
kernel worker is CPython compiling the .py sources it imports (Pyodide's npm
stdlib and every PyPI wheel ship no .pyc), importing prompt_toolkit that a
kernel never uses, and importing jedi before anyone asks for a completion.

``stage_wheel(src, dest)``
    Copy a kernel wheel into the site, rewriting the two that need it:
    pyodide-kernel gets two more entries in its start-up mocks (below), and
    jedi loses the third-party type stubs (requests, six, django, ... none of
    which the site ships; 1126 of its 1880 files, most of its unzip time).
``precompile(pyodide_dir, packages, log, imports=STARTUP_IMPORTS)``
    Run ``precompile.mjs`` in node: the site's own Pyodide imports what the
    kernel imports at start and compiles exactly those modules to .pyc (the
    stdlib's in place of their source, the wheels' beside it). Run after the
    lock is written; the caller then recomputes its sha256 values.

Both are checked loudly: a pyodide-kernel or jedi release whose files are laid
out differently fails the build instead of silently losing the gain.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Callable, Sequence

from ._steps import Log

HERE = Path(__file__).resolve().parent
PRECOMPILE_MJS = HERE / "precompile.mjs"

#: what the kernel imports while it starts (pyodide_kernel's __init__ imports
#: IPython and the rest), what ytlite's first cells import, and what the first
#: Tab completion imports (jedi is loaded lazily, see _LAZY_MOCKS)
STARTUP_IMPORTS = (
    "micropip", "piplite", "pyodide_kernel",
    "ytlite", "ytlite.viewer", "ytlite._linking", "anywidget", "ipywidgets",
    "jedi", "jedi.api.classes", "jedi.api.helpers",
)

#: jedi folders never used by the site's completions (third-party stubs)
JEDI_DROPPED = ("jedi/third_party/typeshed/third_party/", "jedi/third_party/django-stubs/")
#: jedi lists this folder at its first completion: keep it, empty
JEDI_KEPT_EMPTY = "jedi/third_party/typeshed/third_party/"

KERNEL_MOCKS_FILE = "pyodide_kernel/mocks.py"
KERNEL_MOCKS_ANCHOR = "\ndef apply_mocks"
KERNEL_MOCKS_LIST = "ALL_MOCKS = ["

# Appended to pyodide_kernel/mocks.py, whose apply_mocks() runs first thing in
# pyodide_kernel/__init__, before IPython is imported.
_LAZY_MOCKS = '''

# --- added by ytlite's site build (ytlite/site/kernel_wheels.py): start-up time ---


def mock_ipython_embed():
    """IPython/__init__ imports IPython.terminal.embed only to re-export embed(),
    and that pulls in prompt_toolkit (116 modules) that a kernel never uses.
    A stand-in whose embed() imports the real one when called."""
    embed_mod = types.ModuleType("IPython.terminal.embed")

    def embed(*args, **kwargs):
        del sys.modules["IPython.terminal.embed"]
        from IPython.terminal.embed import embed as real_embed

        return real_embed(*args, **kwargs)

    embed_mod.embed = embed
    sys.modules["IPython.terminal.embed"] = embed_mod


class _LazyJedi(types.ModuleType):
    """Stands in for jedi in IPython.core.completer until the first completion
    (importing jedi and parso costs ~1.3 s of every start otherwise)."""

    def __getattr__(self, name):
        import importlib

        real = importlib.import_module("jedi")
        import jedi.api.classes  # noqa: F401  (what IPython's completer imports with jedi)
        import jedi.api.helpers  # noqa: F401
        import IPython.core.completer as completer

        real.settings.case_insensitive_completion = False  # (as IPython sets it)
        completer.jedi = real
        return getattr(real, name)


def mock_lazy_jedi():
    """Import IPython's completer with jedi blocked, then hand it a lazy jedi."""
    saved = sys.modules.get("jedi")
    sys.modules["jedi"] = None
    try:
        import IPython.core.completer as completer
    finally:
        if saved is None:
            del sys.modules["jedi"]
        else:
            sys.modules["jedi"] = saved
    completer.jedi = _LazyJedi("jedi")
    completer.JEDI_INSTALLED = True


ALL_MOCKS += [mock_ipython_embed, mock_lazy_jedi]
'''


def _rewrite_zip(src: Path, dest: Path, edit: Callable[[str, bytes], bytes | None], extra: dict[str, bytes]) -> None:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = edit(info.filename, zin.read(info))
            if data is not None:
                zout.writestr(info, data)
        for name, data in extra.items():
            zout.writestr(zipfile.ZipInfo(name), data)


def _patch_kernel_mocks(name: str, data: bytes) -> bytes:
    if name != KERNEL_MOCKS_FILE:
        return data
    text = data.decode("utf-8")
    if KERNEL_MOCKS_ANCHOR not in text or KERNEL_MOCKS_LIST not in text:
        raise RuntimeError(
            f"{KERNEL_MOCKS_FILE} has no {KERNEL_MOCKS_ANCHOR.strip()!r} / {KERNEL_MOCKS_LIST!r}: "
            "a new pyodide-kernel? update ytlite/site/kernel_wheels.py"
        )
    i = text.index(KERNEL_MOCKS_ANCHOR)
    return (text[:i] + _LAZY_MOCKS + text[i:]).encode("utf-8")


def _slim_jedi(name: str, data: bytes) -> bytes | None:
    return None if name.startswith(JEDI_DROPPED) else data


def stage_wheel(src: Path, dest: Path) -> None:
    """Copy a kernel wheel to ``dest``, rewriting pyodide-kernel's and jedi's."""
    project = src.name.split("-")[0].lower().replace("_", "-")
    if project == "pyodide-kernel":
        with zipfile.ZipFile(src) as zf:
            if KERNEL_MOCKS_FILE not in zf.namelist():
                raise RuntimeError(f"{src.name} has no {KERNEL_MOCKS_FILE}: update ytlite/site/kernel_wheels.py")
        _rewrite_zip(src, dest, _patch_kernel_mocks, {})
    elif project == "jedi":
        with zipfile.ZipFile(src) as zf:
            if not any(n.startswith(JEDI_KEPT_EMPTY) for n in zf.namelist()):
                raise RuntimeError(f"{src.name} has no {JEDI_KEPT_EMPTY}: update ytlite/site/kernel_wheels.py")
        _rewrite_zip(src, dest, _slim_jedi, {JEDI_KEPT_EMPTY: b""})
    else:
        shutil.copy2(src, dest)


def precompile(pyodide_dir: Path, packages: dict, log: Log, imports: Sequence[str] = STARTUP_IMPORTS) -> dict:
    """Compile what the kernel imports at start, in place (see precompile.mjs).
    ``packages``: the lock entries of the wheels served from ``pyodide_dir``;
    of ``imports``, those whose package is among them are imported."""
    available = {name for entry in packages.values() for name in entry["imports"]}
    imports = [m for m in imports if m.split(".")[0] in available]
    node = shutil.which("node")
    if not node:
        raise RuntimeError("node not found on PATH (the build compiles the kernel's Python with it)")
    proc = subprocess.run(
        [node, PRECOMPILE_MJS, pyodide_dir, json.dumps(sorted(packages)), json.dumps(imports)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"precompiling the kernel's Python failed:\n{proc.stderr[-4000:]}")
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    if summary["import_failures"]:
        raise RuntimeError(f"precompile: the kernel's start-up imports failed in node: {summary['import_failures']}")
    n = sum(summary["compiled"].values())
    log(f"[lite] compiled {n} modules to .pyc inside Pyodide ({summary['cache_tag']}, magic {summary['magic']}): "
        f"stdlib {summary['compiled']['python_stdlib.zip']}, wheels {n - summary['compiled']['python_stdlib.zip']}")
    return summary
