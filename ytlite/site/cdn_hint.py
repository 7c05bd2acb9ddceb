"""Kernel-side help for the packages a default site leaves to Pyodide's CDN.

Shipped by the site build (jupyterlite.py) as the module of a small boot wheel (``ytlite-cdn-hint``)
together with ``packages.json`` (the CDN's address and which imports it
serves) and an IPython start-up file (a wheel data file that Pyodide installs
under ``sys.prefix/etc/ipython/startup/``), so it is in place when the kernel
starts, before the first cell runs. It does two things:

* Before every cell the kernel loads the packages the cell imports
  (``pyodide.loadPackagesFromImports``). When one of them comes from the CDN
  and the CDN has not answered yet in this kernel, it is first asked once for
  a HEAD of a small file, with a short timeout: a browser that is offline, or
  on a network that drops packets, then fails within seconds instead of
  waiting for its own connection timeout, and the packages the site serves
  itself are still loaded.
* A ``ModuleNotFoundError`` of such a package that reaches the user says what
  is missing, why (the CDN cannot be reached, or the error the package manager
  gave) and how to build a site that has it offline.

Nothing here changes the import system: a package that is not installed is
still not found (``importlib.util.find_spec`` still gives None); only the
error shown at the end of a cell gains the explanation.
"""

from __future__ import annotations

import json
import re
import sys
from importlib import resources

#: how long the CDN may take to answer the first HEAD (it answers in well under a second)
PROBE_TIMEOUT_MS = 4000
#: the file asked for (small, always there for this Pyodide version)
PROBE_FILE = "pyodide-lock.json"

_config = json.loads(resources.files(__name__).joinpath("packages.json").read_text())
#: e.g. https://cdn.jsdelivr.net/pyodide/v314.0.7/full/
CDN_URL: str = _config["cdn_url"]
CDN_HOST: str = CDN_URL.split("://", 1)[-1].split("/", 1)[0]
#: import name -> package name, for every package the site leaves to the CDN
CDN_IMPORTS: dict = _config["cdn_imports"]
#: import name -> package name, for the packages the site serves itself
SITE_IMPORTS: dict = _config["site_imports"]
#: how to build a site that has them (a sentence)
OFFLINE_BUILD: str = _config["offline_build"]

#: package name -> why it was not loaded (what the user is told)
failures: dict = {}
_cdn_answered = False
#: Pyodide's own note on a missing package it knows of ("... is included in the
#: Pyodide distribution, but it is not installed ... micropip.install"): wrong here
_PYODIDE_NOTE = "included in the Pyodide distribution"


def imported_packages(code: str, table: dict) -> list:
    """The packages of ``table`` that ``code`` imports at its top level (as
    Pyodide's package loader sees them), not loaded yet."""
    from pyodide.code import find_imports

    try:
        names = find_imports(code)
    except SyntaxError:
        return []
    loaded = _loaded_packages()
    packages = {table[n.split(".")[0]] for n in names if n.split(".")[0] in table}
    return sorted(p for p in packages if p not in loaded)


def _loaded_packages() -> set:
    from pyodide_js import loadedPackages

    return set(loadedPackages.object_keys())


async def cdn_answers() -> tuple:
    """(True, "") when the CDN answers a HEAD in time, else (False, why)."""
    from js import AbortSignal, Object, fetch
    from pyodide.ffi import JsException, to_js

    options = to_js({"method": "HEAD", "cache": "no-store", "signal": AbortSignal.timeout(PROBE_TIMEOUT_MS)},
                    dict_converter=Object.fromEntries)
    try:
        response = await fetch(CDN_URL + PROBE_FILE, options)
    except JsException as exc:
        name = getattr(exc, "name", "")
        if name in ("TimeoutError", "AbortError"):
            return False, f"no answer within {PROBE_TIMEOUT_MS / 1000:g} s"
        return False, str(getattr(exc, "message", "") or exc)
    if not response.ok:
        return False, f"it answered HTTP {response.status}"
    return True, ""


def _wrap_loader(load):
    """The kernel's per-cell package loader, made to fail fast when the CDN is unreachable."""
    from js import Object, console
    from pyodide.ffi import create_proxy, to_js
    from pyodide_js import loadPackage

    async def load_packages_from_imports(code, *args):
        global _cdn_answered
        wanted = imported_packages(code, CDN_IMPORTS)
        if wanted and not _cdn_answered:
            ok, why = await cdn_answers()
            if not ok:
                for package in wanted:
                    failures[package] = ("unreachable", why)
                ours = imported_packages(code, SITE_IMPORTS)
                if ours:
                    await loadPackage(to_js(ours))
                return None
            _cdn_answered = True
        # The package manager reports a failed download only to the console:
        # keep what it says for the error the user will see.
        loading = [None]

        def on_error(message):
            console.error(message)
            started = re.match(r"The following error occurred while loading (\S+):", str(message))
            if started:
                loading[0] = started.group(1)
            elif loading[0]:
                failures[loading[0]] = ("failed", str(message))

        callback = create_proxy(on_error)
        try:
            result = await load(code, to_js({"checkIntegrity": True, "errorCallback": callback},
                                             dict_converter=Object.fromEntries))
        finally:
            callback.destroy()
        loaded = _loaded_packages()
        for package in wanted:
            if package in loaded:
                failures.pop(package, None)
        return result

    return load_packages_from_imports


def message(import_name: str) -> str | None:
    """What to tell the user when ``import_name`` is not found (None: not a CDN package)."""
    top = (import_name or "").split(".")[0]
    package = CDN_IMPORTS.get(top)
    if package is None:
        return None
    kind, why = failures.get(package, ("unseen", ""))
    offline = f"For a site where {package} works offline, {OFFLINE_BUILD}"
    if kind == "unreachable":
        return (f"{package} is not part of this offline site: it comes from Pyodide's package CDN ({CDN_HOST}), "
                f"which this browser cannot reach ({why}). {offline}")
    if kind == "failed":
        return (f"{package} is not part of this offline site: it comes from Pyodide's package CDN ({CDN_HOST}), "
                f"and loading it failed: {why}. {offline}")
    return (f"{package} is not part of this offline site: it comes from Pyodide's package CDN ({CDN_HOST}) "
            f"and is loaded when a cell's own code imports it, which was not the case here (run `import {top}` "
            f"in a cell first). {offline}")


def _on_module_not_found(shell, etype, value, tb, tb_offset=None):
    """IPython's custom exception handler: the usual traceback, with the explanation as a note."""
    text = message(getattr(value, "name", None))
    if text is not None:
        notes = [n for n in getattr(value, "__notes__", []) if _PYODIDE_NOTE not in n]
        value.__notes__ = [*notes, text]
    shell.showtraceback((etype, value, tb), tb_offset=tb_offset)


def install(shell=None) -> None:
    """Hook both into the running kernel (called by the IPython start-up file)."""
    if shell is None:
        from IPython import get_ipython

        shell = get_ipython()
    kernel_module = sys.modules.get("pyodide_kernel.kernel")
    if kernel_module is not None and hasattr(kernel_module, "_load_packages_from_imports"):
        kernel_module._load_packages_from_imports = _wrap_loader(kernel_module._load_packages_from_imports)
    else:  # another kernel layout: the message still comes, after the browser's own timeout
        from js import console

        console.warn("ytlite-cdn-hint: pyodide_kernel.kernel._load_packages_from_imports not found; "
                     "CDN packages load without the reachability check")
    if shell is not None:
        shell.set_custom_exc((ModuleNotFoundError,), _on_module_not_found)
