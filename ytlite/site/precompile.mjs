// Compile the Python a kernel imports at start to .pyc, INSIDE the site's own
// Pyodide running in node, so the bytecode's magic number and cache tag are the
// runtime's by construction (the build host's CPython is another version).
//
//   node precompile.mjs PYODIDE_DIR PACKAGES_JSON IMPORTS_JSON
//
// PYODIDE_DIR: a site's static/pyodide/ (pyodide.mjs, python_stdlib.zip, the
// wheels and a pyodide-lock.json naming them). PACKAGES_JSON: the lock
// packages to install; IMPORTS_JSON: the modules to import (what the kernel
// imports while it starts, plus what the first completion imports). Every
// module then in sys.modules is compiled:
//   - python_stdlib.zip: foo.pyc INSTEAD of foo.py (as Pyodide's CDN build
//     ships its stdlib; the other modules keep their source);
//   - each wheel: pkg/__pycache__/foo.cpython-314.pyc next to foo.py (kept,
//     for tracebacks and IPython's `??`).
// The pycs are unchecked-hash pycs (PEP 552): valid whatever the files' mtimes.
// Files are rewritten in place (write to a temporary name, then rename); the
// caller recomputes the lock's sha256 values. Prints one JSON summary line.
import path from "node:path";

const [pyodideDir, packagesJson, importsJson] = process.argv.slice(2);
if (!importsJson) {
  console.error("usage: node precompile.mjs PYODIDE_DIR PACKAGES_JSON IMPORTS_JSON");
  process.exit(2);
}
const dir = path.resolve(pyodideDir);
const { loadPyodide } = await import(path.join(dir, "pyodide.mjs"));
const py = await loadPyodide({ indexURL: dir + "/", stdout: () => {}, stderr: (s) => console.error(s) });
await py.loadPackage(JSON.parse(packagesJson), { messageCallback: () => {}, errorCallback: (m) => console.error(m) });
py.FS.mkdirTree("/site");
py.FS.mount(py.FS.filesystems.NODEFS, { root: dir }, "/site");
py.globals.set("IMPORTS", JSON.parse(importsJson));
const summary = py.runPython(`
import importlib, importlib.util, json, os, sys, zipfile
from importlib._bootstrap_external import _code_to_hash_pyc

failed = []
for name in IMPORTS.to_py():
    try:
        importlib.import_module(name)
    except BaseException as exc:  # a module that needs the browser: compile what was imported
        failed.append(f"{name}: {exc!r}"[:200])

STDLIB = next(p for p in sys.path if p.endswith(".zip")) + "/"
SITE_PACKAGES = next(p for p in sys.path if p.endswith("site-packages")) + "/"
imported = {m.__file__ for m in list(sys.modules.values()) if isinstance(getattr(m, "__file__", None), str)}
tag = sys.implementation.cache_tag


def pyc(source, filename):
    code = compile(source, filename, "exec", dont_inherit=True)
    return _code_to_hash_pyc(code, importlib.util.source_hash(source), checked=False)


def entry(name, like):
    info = zipfile.ZipInfo(name, like.date_time)
    info.compress_type = zipfile.ZIP_DEFLATED  # (writestr of a bare ZipInfo would store it uncompressed)
    info.external_attr = like.external_attr
    return info


def rewrite(path, prefix, beside_source):
    compiled = 0
    tmp = path + ".tmp"
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            name = info.filename
            if not (name.endswith(".py") and prefix + name in imported):
                zout.writestr(info, data)
                continue
            code = pyc(data, prefix + name)
            compiled += 1
            if beside_source:
                zout.writestr(info, data)
                folder, base = os.path.split(name)
                zout.writestr(entry(f"{folder}/__pycache__/{base[:-3]}.{tag}.pyc".lstrip("/"), info), code)
            else:
                zout.writestr(entry(name[:-3] + ".pyc", info), code)
    os.replace(tmp, path)
    return compiled


counts = {"python_stdlib.zip": rewrite("/site/python_stdlib.zip", STDLIB, beside_source=False)}
for f in sorted(os.listdir("/site")):
    if f.endswith(".whl"):
        counts[f] = rewrite("/site/" + f, SITE_PACKAGES, beside_source=True)
json.dumps({"magic": importlib.util.MAGIC_NUMBER.hex(), "cache_tag": tag, "modules": len(imported),
            "compiled": counts, "import_failures": failed})
`);
console.log(summary);
