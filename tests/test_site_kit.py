"""The site kit as a user meets it: the installable wheel (dist/, made by
``build.py test`` / ``build.py wheel``) installed in a fresh venv, and
``ytlite site build`` run there with a PATH holding nothing but that venv (no
cargo, node or npm) on a folder of a notebook and a slice file."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT

DIST = ROOT / "dist"
WHEELS = sorted(DIST.glob("ytlite-*-py3-none-any.whl"))
pytestmark = pytest.mark.skipif(not WHEELS, reason="no dist/ytlite-*.whl: run python3 build.py wheel (or test)")

LESSON = {
    "cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
               "source": ["import ytlite\n", 'ds = ytlite.load("data/my_slice.h5")\n', 'ds.plot("density")']}],
    "metadata": {"kernelspec": {"display_name": "Python (Pyodide)", "language": "python", "name": "python"}},
    "nbformat": 4, "nbformat_minor": 5,
}


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    """A fresh venv with the wheel installed (its dependencies at the versions
    of the test venv, so pip takes them from its cache)."""
    root = tmp_path_factory.mktemp("fresh")
    subprocess.run([sys.executable, "-m", "venv", root / "venv"], check=True)
    frozen = subprocess.run([sys.executable, "-m", "pip", "freeze"], capture_output=True, text=True, check=True).stdout
    (root / "constraints.txt").write_text("\n".join(line for line in frozen.splitlines() if "==" in line) + "\n")
    subprocess.run([root / "venv" / "bin" / "python", "-m", "pip", "install", "-q", "--disable-pip-version-check",
                    "-c", root / "constraints.txt", WHEELS[-1]], check=True)
    return root / "venv"


def ytlite(venv, *args, home):
    """``ytlite ARGS`` with nothing on PATH but the venv, and a home (so a cache) of its own."""
    env = {"PATH": str(venv / "bin"), "HOME": str(home), "LANG": "C.UTF-8"}
    return subprocess.run([venv / "bin" / "ytlite", *map(str, args)], capture_output=True, text=True, env=env,
                          timeout=600)


@pytest.fixture(scope="module")
def course(tmp_path_factory, demo_dir):
    folder = tmp_path_factory.mktemp("course")
    (folder / "data").mkdir()
    (folder / "data" / "my_slice.h5").write_bytes((demo_dir / "amr_demo_slice.h5").read_bytes())
    (folder / "lesson.ipynb").write_text(json.dumps(LESSON))
    return folder


@pytest.fixture(scope="module")
def built(venv, course, tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    out = course.parent / "course_site"
    done = ytlite(venv, "site", "build", course, "-o", out, home=home)
    assert done.returncode == 0, done.stdout + done.stderr
    return out, done.stdout + done.stderr, home


def test_the_venv_has_no_build_tools(venv):
    for tool in ("cargo", "node", "npm", "wasm-bindgen"):
        assert not (venv / "bin" / tool).exists()
    env = {"PATH": str(venv / "bin")}
    found = subprocess.run([venv / "bin" / "python", "-c", "import shutil; print([shutil.which(t) for t in "
                            "('cargo', 'node', 'npm')])"], capture_output=True, text=True, env=env, check=True)
    assert found.stdout.strip() == "[None, None, None]"


def test_a_folder_becomes_a_site_with_python_alone(built, course):
    out, log, _ = built
    assert (out / "files" / "lesson.ipynb").is_file()
    assert (out / "files" / "data" / "my_slice.h5").is_file()
    assert json.loads((out / "view" / "datasets.json").read_text()) == ["data/my_slice.h5"]
    gallery = (out / "gallery" / "index.html").read_text()
    assert 'data-file="data/my_slice.h5"' in gallery and "lesson.ipynb" in gallery
    assert (out / "gallery" / "thumbs" / "data_my_slice.png").is_file()
    lock = json.loads((out / "static" / "pyodide" / "pyodide-lock.json").read_text())
    assert "ytlite" in lock["packages"] and "://" not in lock["packages"]["ytlite"]["file_name"]
    assert f"{out}" in log and "MB" in log
    assert not [p for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.")]  # no work folder left


@pytest.mark.parametrize("case", ["no folder", "a folder that is not a site", "a damaged data file"])
def test_bad_input_says_what_and_keeps_the_site(built, venv, course, tmp_path, case):
    out, _, home = built
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    if case == "no folder":
        done = ytlite(venv, "site", "build", tmp_path / "nowhere", "-o", out, home=home)
        says = "nowhere: no such folder"
    elif case == "a folder that is not a site":
        precious = tmp_path / "thesis"
        precious.mkdir()
        (precious / "chapter1.tex").write_text("keep me")
        done = ytlite(venv, "site", "build", course, "-o", precious, home=home)
        says = "not a site: choose another output folder"
        assert (precious / "chapter1.tex").read_text() == "keep me" and len(list(precious.iterdir())) == 1
    else:
        broken = tmp_path / "broken"
        (broken / "data").mkdir(parents=True)
        (broken / "data" / "bad.h5").write_bytes(b"not an HDF5 file")
        done = ytlite(venv, "site", "build", broken, "-o", out, home=home)
        says = "bad.h5: cannot read it as HDF5"
    assert done.returncode == 2, done.stdout + done.stderr
    (line,) = [entry for entry in done.stderr.splitlines() if entry.startswith("ytlite site: error:")]
    assert says in line
    assert "Traceback" not in done.stderr
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before  # the site as it was
