"""The build's rewrite of the kernel's wheels (ytlite/site/kernel_wheels.py): what it
changes in the built site, and that a kernel wheel laid out differently fails
the build loudly (the browser test test_the_kernel_starts_from_bytecode_...
shows the kernel using the result)."""

from __future__ import annotations

import hashlib
import json
import zipfile

import pytest

from support.paths import SITE

from ytlite.site import kernel_wheels

PYO = SITE / "static" / "pyodide"
built = pytest.mark.skipif(not (PYO / "pyodide-lock.json").is_file(), reason="site not built")


def _wheel(name):
    (path,) = PYO.glob(name)
    return zipfile.ZipFile(path)


@built
def test_the_site_ships_the_rewritten_kernel_wheels_with_their_sha256():
    lock = json.loads((PYO / "pyodide-lock.json").read_text())
    for entry in lock["packages"].values():
        f = PYO / entry["file_name"]
        if f.is_file():
            assert hashlib.sha256(f.read_bytes()).hexdigest() == entry["sha256"], f.name
    with _wheel("pyodide_kernel-*.whl") as zf:
        mocks = zf.read("pyodide_kernel/mocks.py").decode()
    compile(mocks, "mocks.py", "exec")
    assert mocks.index("ALL_MOCKS += [mock_ipython_embed, mock_lazy_jedi]") < mocks.index("\ndef apply_mocks")
    with _wheel("jedi-*.whl") as zf:
        names = zf.namelist()
    assert not any(n.startswith(kernel_wheels.JEDI_DROPPED) and n != kernel_wheels.JEDI_KEPT_EMPTY for n in names)
    assert kernel_wheels.JEDI_KEPT_EMPTY in names and "jedi/third_party/typeshed/stdlib/3/builtins.pyi" in names
    # compiled: the stdlib modules the kernel imports (pyc instead of py), the wheels' beside their source
    with zipfile.ZipFile(PYO / "python_stdlib.zip") as zf:
        names = set(zf.namelist())
    assert "json/__init__.pyc" in names and "json/__init__.py" not in names
    assert "this.py" in names and "this.pyc" not in names  # never imported at start: left as source
    with _wheel("ipython-*.whl") as zf:
        names = set(zf.namelist())
        head = zf.read("IPython/core/__pycache__/interactiveshell.cpython-314.pyc")[:8]
    assert "IPython/core/interactiveshell.py" in names
    assert int.from_bytes(head[4:8], "little") == 1  # unchecked-hash pyc (PEP 552)
    with _wheel("prompt_toolkit-*.whl") as zf:  # not imported at start any more (lazy IPython.embed)
        assert not any("__pycache__" in n for n in zf.namelist())


def _fake_wheel(path, files):
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return path


def test_a_kernel_wheel_laid_out_otherwise_fails_the_build_loudly(tmp_path):
    renamed = _fake_wheel(tmp_path / "pyodide_kernel-9.0.0-py3-none-any.whl",
                          {"pyodide_kernel/mocks.py": "MOCKS = []\ndef run_mocks(): pass\n"})
    with pytest.raises(RuntimeError, match="a new pyodide-kernel"):
        kernel_wheels.stage_wheel(renamed, tmp_path / "out.whl")
    moved = _fake_wheel(tmp_path / "pyodide_kernel-9.0.1-py3-none-any.whl", {"pyodide_kernel/__init__.py": ""})
    with pytest.raises(RuntimeError, match="has no pyodide_kernel/mocks.py"):
        kernel_wheels.stage_wheel(moved, tmp_path / "out.whl")
    jedi = _fake_wheel(tmp_path / "jedi-1.0.0-py3-none-any.whl", {"jedi/__init__.py": ""})
    with pytest.raises(RuntimeError, match="typeshed/third_party"):
        kernel_wheels.stage_wheel(jedi, tmp_path / "out.whl")
    other = _fake_wheel(tmp_path / "six-1.0.0-py3-none-any.whl", {"six.py": "x = 1\n"})
    kernel_wheels.stage_wheel(other, tmp_path / "six.whl")
    assert (tmp_path / "six.whl").read_bytes() == other.read_bytes()
