"""The site kit as a user meets it: the installable wheel (dist/, made by
``build.py test`` / ``build.py wheel``) installed in a fresh venv, and
``ytlite site init`` / ``build`` run there with a PATH holding nothing but
that venv (no cargo, node or npm; no yt, matplotlib or cmyt: those are the
extra ``ytlite[extract]``'s): a starter folder, to which a notebook, a slice
file and its manifest entry are added; the gallery's thumbnails against yt +
matplotlib's picture (computed here, in the test venv); the starter's
publishing workflow run as written."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from support.paths import ROOT

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


def run_ytlite(venv, *args, home):
    """``ytlite ARGS`` with nothing on PATH but the venv, and a home (so a cache) of its own."""
    env = {"PATH": str(venv / "bin"), "HOME": str(home), "LANG": "C.UTF-8"}
    return subprocess.run([venv / "bin" / "ytlite", *map(str, args)], capture_output=True, text=True, env=env,
                          timeout=600)


MANIFEST_ENTRY = '''
[datasets."data/my_slice.h5"]
title = "My own slice"
caption = "The slice this test made, with a caption in plain words."
cmap = "viridis"
'''


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    return tmp_path_factory.mktemp("home")


@pytest.fixture(scope="module")
def course(venv, home, tmp_path_factory, demo_dir):
    """``ytlite site init``, then the user's own notebook, slice and manifest entry."""
    folder = tmp_path_factory.mktemp("work") / "course"
    done = run_ytlite(venv, "site", "init", folder, home=home)
    assert done.returncode == 0, done.stdout + done.stderr
    (folder / "data" / "my_slice.h5").write_bytes((demo_dir / "amr_demo_slice.h5").read_bytes())
    (folder / "mine.ipynb").write_text(json.dumps(LESSON))
    with open(folder / "ytlite.toml", "a") as f:
        f.write(MANIFEST_ENTRY)
    return folder


def test_init_writes_a_starter_and_replaces_nothing(course, venv, home):
    for name in ("lesson.ipynb", "ytlite.toml", ".github/workflows/site.yml", "data/amr_demo_slice.h5"):
        assert (course / name).is_file(), name
    import ytlite

    ds = ytlite.load(course / "data" / "amr_demo_slice.h5")
    assert ds.field_list == ["density", "temperature"] and ds.num_cells > 1000
    before = (course / "ytlite.toml").read_text()
    again = run_ytlite(venv, "site", "init", course, home=home)
    assert again.returncode == 2 and "already has lesson.ipynb" in again.stderr, again.stderr
    assert (course / "ytlite.toml").read_text() == before


@pytest.fixture(scope="module")
def built(venv, course, home):
    out = course.parent / "course_site"
    done = run_ytlite(venv, "site", "build", course, "-o", out, home=home)
    assert done.returncode == 0, done.stdout + done.stderr
    return out, done.stdout + done.stderr, home


def test_the_venv_has_no_build_tools(venv):
    for tool in ("cargo", "node", "npm", "wasm-bindgen"):
        assert not (venv / "bin" / tool).exists()
    env = {"PATH": str(venv / "bin")}
    found = subprocess.run([venv / "bin" / "python", "-c", "import shutil; print([shutil.which(t) for t in "
                            "('cargo', 'node', 'npm')])"], capture_output=True, text=True, env=env, check=True)
    assert found.stdout.strip() == "[None, None, None]"


def test_the_venv_has_no_yt_nor_matplotlib(venv):
    """The wheel's own dependencies: none of yt's (the extra ytlite[extract]), and
    wasmtime, which draws the gallery's thumbnails."""
    code = ("import importlib.util, json; print(json.dumps({n: importlib.util.find_spec(n) is not None for n in "
            "('yt', 'matplotlib', 'cmyt', 'unyt', 'sympy', 'wasmtime', 'h5py', 'numpy', 'PIL')}))")
    found = subprocess.run([venv / "bin" / "python", "-c", code], capture_output=True, text=True,
                           env={"PATH": str(venv / "bin")}, check=True)
    assert json.loads(found.stdout) == {"yt": False, "matplotlib": False, "cmyt": False, "unyt": False,
                                        "sympy": False, "wasmtime": True, "h5py": True, "numpy": True, "PIL": True}
    shown = subprocess.run([venv / "bin" / "python", "-m", "pip", "show", "-q", "yt"], capture_output=True, text=True)
    assert shown.returncode != 0 and "not found" in shown.stderr


def test_the_thumbnails_are_yts_picture(built, course):
    """Drawn in the venv without yt by ytlite's own pixelizer, each thumbnail is yt's
    pixelize_cartesian of the file coloured by matplotlib in the manifest's colormap
    (exact wherever the colour is defined: support/shading_oracle.py)."""
    import io

    import numpy as np
    from PIL import Image

    from support.oracle import compare_thumbnail

    out = built[0]
    for name, cmap in (("my_slice", "viridis"), ("amr_demo_slice", "cmyt.arbre")):  # (the starter's manifest: arbre)
        got = np.asarray(Image.open(io.BytesIO((out / "gallery" / "thumbs" / f"data_{name}.png").read_bytes())))
        assert got.shape[2] == 4 and len(np.unique(got.reshape(-1, 4), axis=0)) > 10, name
        field, scale = compare_thumbnail(got, course / "data" / f"{name}.h5", name, cmap=cmap)
        assert (field, scale) == ("density", "log")


def test_a_folder_becomes_a_site_with_python_alone(built, course):
    out, log, _ = built
    for name in ("lesson.ipynb", "mine.ipynb", "data/my_slice.h5", "data/amr_demo_slice.h5"):
        assert (out / "files" / name).is_file(), name
    assert not (out / "files" / ".github").exists()  # hidden: not content
    assert not (out / "files" / "ytlite.toml").exists()  # what the build reads, not what it shows
    index = json.loads((out / "view" / "site.json").read_text())
    assert [d["path"] for d in index["datasets"]] == ["data/amr_demo_slice.h5", "data/my_slice.h5"]
    assert index["datasets"][1]["title"] == "My own slice" and index["start"] == "data/amr_demo_slice.h5"
    gallery = (out / "gallery" / "index.html").read_text()
    assert 'data-file="data/my_slice.h5"' in gallery and "<h2>My own slice</h2>" in gallery
    assert "The slice this test made, with a caption in plain words." in gallery
    assert "<h1>A first look at an AMR simulation</h1>" in gallery and "path=lesson.ipynb" in gallery
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
        done = run_ytlite(venv, "site", "build", tmp_path / "nowhere", "-o", out, home=home)
        says = "nowhere: no such folder"
    elif case == "a folder that is not a site":
        precious = tmp_path / "thesis"
        precious.mkdir()
        (precious / "chapter1.tex").write_text("keep me")
        done = run_ytlite(venv, "site", "build", course, "-o", precious, home=home)
        says = "not a site: choose another output folder"
        assert (precious / "chapter1.tex").read_text() == "keep me" and len(list(precious.iterdir())) == 1
    else:
        broken = tmp_path / "broken"
        (broken / "data").mkdir(parents=True)
        (broken / "data" / "bad.h5").write_bytes(b"not an HDF5 file")
        done = run_ytlite(venv, "site", "build", broken, "-o", out, home=home)
        says = "bad.h5: cannot read it as HDF5"
    assert done.returncode == 2, done.stdout + done.stderr
    (line,) = [entry for entry in done.stderr.splitlines() if entry.startswith("ytlite site: error:")]
    assert says in line
    assert "Traceback" not in done.stderr
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before  # the site as it was


def test_the_starters_workflow_runs_as_written(venv, course, home, tmp_path):
    """Every ``run:`` step of .github/workflows/site.yml, in order, in a copy
    of the folder, with the fresh venv standing in for setup-python and the
    local wheel for the package index."""
    import shutil

    import yaml

    workflow = yaml.safe_load((course / ".github" / "workflows" / "site.yml").read_text())
    steps = workflow["jobs"]["build"]["steps"]
    uses = [s["uses"].split("@")[0] for s in steps if "uses" in s]
    assert uses == ["actions/checkout", "actions/setup-python", "actions/upload-pages-artifact"]
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-pages-artifact"))
    runs = [s["run"] for s in steps if "run" in s]
    assert len(runs) == 2 and "ytlite==0.1.0" in runs[0]
    repo = tmp_path / "checkout"
    shutil.copytree(course, repo)
    env = {"PATH": str(venv / "bin"), "HOME": str(home), "LANG": "C.UTF-8"}
    for command in runs:
        command = command.replace('"ytlite==0.1.0"', str(WHEELS[-1]))  # the wheel stands in for the index
        done = subprocess.run(["/bin/sh", "-ec", command], cwd=repo, env=env, capture_output=True, text=True,
                              timeout=600)
        assert done.returncode == 0, f"{command}: {done.stdout}{done.stderr}"
    site = repo / upload["with"]["path"]
    assert (site / "index.html").is_file() and (site / "gallery" / "index.html").is_file()
    assert (site / "files" / "lesson.ipynb").is_file()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(built, venv):
    """The built site served by the fresh venv's ``python -m http.server``."""
    import time
    import urllib.request

    out = built[0]
    port = free_port()
    server = subprocess.Popen([venv / "bin" / "python", "-m", "http.server", str(port), "--bind", "127.0.0.1",
                               "-d", out], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(url + "/index.html", timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    yield url
    server.terminate()
    server.wait(10)


def test_in_the_browser_the_notebook_gallery_and_kiosk_work_offline(served, browser, course):
    from support.browser import read_canvases
    from support.notebook import NotebookRun
    from support.oracle import compare

    slice_path = course / "data" / "my_slice.h5"
    run = NotebookRun(browser, served, "mine.ipynb")
    try:
        run.run_all(expected_canvases=1)
        assert run.error_outputs() == []
        ((frame, pixels),) = run.canvases()
        # (the manifest's colormap: ds.plot() shows it first)
        compare(run, "site-kit-notebook", frame, pixels, slice_path, "density", "viridis")
        assert run.foreign_requests() == []

        page = run.page
        page.goto(f"{served}/gallery/")
        card = page.locator('article.dataset[data-file="data/my_slice.h5"]')
        assert card.locator("h2").text_content() == "My own slice"
        assert card.locator(".caption").text_content() == "The slice this test made, with a caption in plain words."
        assert card.locator("img.thumb").evaluate("img => img.complete && img.naturalWidth > 0")
        card.locator("a.open-viewer").click()  # the kiosk opens it
        page.wait_for_function("""() => { const c = document.querySelector('canvas.ytlite-image');
            return !!(c && c.dataset.frame); }""", timeout=30000)
        ((kiosk_frame, kiosk_pixels),) = read_canvases(page)
        compare(run, "site-kit-kiosk", kiosk_frame, kiosk_pixels, slice_path, "density", "viridis")
        page.goto(f"{served}/view/?file=data/my_slice.h5")  # no choice in the address: the file's own
        page.wait_for_function("""() => { const c = document.querySelector('canvas.ytlite-image');
            return !!(c && c.dataset.frame); }""", timeout=30000)
        ((kiosk_frame, _),) = read_canvases(page)
        assert (kiosk_frame["field"], kiosk_frame["cmap"], kiosk_frame["scale"]) == ("density", "viridis", "log")
        assert run.foreign_requests() == []
    finally:
        run.close()
