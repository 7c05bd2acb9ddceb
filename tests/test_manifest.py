"""ytlite.toml (ytlite/site/manifest.py): each mistake is one line naming the
file, the line and the key; broken notebooks are named too; and what the
manifest says reaches the gallery."""

from __future__ import annotations

import json
import shutil

import pytest

from support.paths import ROOT
from ytlite.site.manifest import ManifestError, check_notebooks, read_manifest


@pytest.fixture
def folder(tmp_path, demo_dir):
    (tmp_path / "data").mkdir()
    shutil.copyfile(demo_dir / "amr_demo_slice.h5", tmp_path / "data" / "x.h5")
    (tmp_path / "lesson.ipynb").write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return tmp_path


def manifest(folder, text):
    (folder / "ytlite.toml").write_text(text)
    return read_manifest(folder)


def test_no_manifest_is_the_defaults(folder):
    m = read_manifest(folder)
    assert m.start is None and m.datasets == {} and m.title


def test_a_good_manifest(folder):
    (folder / "data" / "stack").mkdir()
    (folder / "data" / "stack" / "stack.json").write_text("{}")
    m = manifest(folder, '''
[site]
title = "Lesson 3"
start = "lesson.ipynb"

[datasets."data/x.h5"]
title = "A remnant"
caption = "Gas density."
field = "temperature"
cmap = "viridis"
scale = "linear"

[datasets."data/stack"]
title = "Depth"
''')
    assert (m.title, m.start) == ("Lesson 3", "lesson.ipynb")
    assert m.datasets["data/x.h5"] == {"title": "A remnant", "caption": "Gas density.", "field": "temperature",
                                       "cmap": "viridis", "scale": "linear"}
    assert m.datasets["data/stack/stack.json"] == {"title": "Depth"}  # (a stack: as the gallery lists it)


@pytest.mark.parametrize("tour, says", [
    (None, "ytlite.toml, line 2: [exhibit] tour: no file 'tours/t.json' in"),
    ("{not json", "[exhibit] tour: tours/t.json is not valid JSON"),
    ('{"format": "ytlite-tour", "stops": []}', "[exhibit] tour: tours/t.json is not a tour"),
    ('{"format": "ytlite-tour", "stops": [{"file": "data/x.h5"}, {"file": "data/y.h5"}]}',
     "[exhibit] tour: tours/t.json, stop 2: 'data/y.h5' is not a dataset of the site"),
])
def test_an_exhibit_tour_that_cannot_play_is_named(folder, tour, says):
    if tour is not None:
        (folder / "tours").mkdir()
        (folder / "tours" / "t.json").write_text(tour)
    with pytest.raises(ManifestError) as err:
        manifest(folder, '[exhibit]\ntour = "tours/t.json"\n')
    assert says in str(err.value), str(err.value)


def test_a_good_exhibit_table(folder):
    (folder / "tours").mkdir()
    (folder / "tours" / "t.json").write_text('{"format": "ytlite-tour", "stops": [{"file": "data/x.h5"}, {"view": [0, 1, 0, 1]}]}')
    m = manifest(folder, '[exhibit]\nstart = "data/x.h5"\nidle = 12.5\nhome = true\ntour = "tours/t.json"\n')
    assert m.exhibit == {"start": "data/x.h5", "idle": 12.5, "home": True, "tour": "tours/t.json"}
    assert read_manifest(folder.parent).exhibit == {"start": None, "idle": 90, "home": False, "tour": None}


@pytest.mark.parametrize("text, says", [
    ('[site]\ntitel = "x"\n', "ytlite.toml, line 2: unknown key 'titel' in [site] (did you mean 'title'?)"),
    ('[site]\ntitle = "x"\n\n[datasets."data/x.h5"]\ncaptoin = "y"\n',
     "ytlite.toml, line 5: unknown key 'captoin' in [datasets.\"data/x.h5\"] (did you mean 'caption'?)"),
    ('[sites]\ntitle = "x"\n', "ytlite.toml, line 1: unknown table or key 'sites' (did you mean [site]?)"),
    ('[site]\ntitle = 3\n', "ytlite.toml, line 2: [site] title must be a str, got int 3"),
    ('[site]\nstart = "nowhere.ipynb"\n', "ytlite.toml, line 2: start notebook 'nowhere.ipynb' is not in"),
    ('[datasets."data/missing.h5"]\ntitle = "y"\n',
     "ytlite.toml, line 1: [datasets.\"data/missing.h5\"]: no data file or stack 'data/missing.h5' in"),
    ('[datasets."data/x.h5"]\ncmap = "no-such-map"\n', "ytlite.toml, line 2: [datasets.\"data/x.h5\"] cmap: unknown colormap"),
    ('[datasets."data/x.h5"]\nscale = "loog"\n',
     "ytlite.toml, line 2: [datasets.\"data/x.h5\"] scale must be one of linear, log, symlog, got 'loog'"),
    ('[site\ntitle = "x"\n', "ytlite.toml: not valid TOML"),
    ('[site]\nstorage = "forever"\n', "ytlite.toml, line 2: [site] storage must be one of keep, fresh, got 'forever'"),
    ('title = "x"\n', "ytlite.toml, line 1: unknown table or key 'title'"),
    ('[datasets."data/x.h5"]\nview = [0, 1, 1, 0]\n',
     "ytlite.toml, line 2: [datasets.\"data/x.h5\"] view must be 4 numbers [x_min, x_max, y_min, y_max] with min < max"),
    ('[datasets."data/x.h5"]\nview = [0, 1, 0]\n', "view must be 4 numbers"),
    ('[datasets."data/x.h5"]\nview = "0,1,0,1"\n', "ytlite.toml, line 2: [datasets.\"data/x.h5\"] view must be a list"),
    ('[exhibit]\nstart = "data/nope.h5"\n', "ytlite.toml, line 2: [exhibit] start: no data file or stack 'data/nope.h5'"),
    ('[exhibit]\nidle = 0\n', "ytlite.toml, line 2: [exhibit] idle must be a number of seconds from 1 to 86400"),
    ('[exhibit]\nidel = 5\n', "ytlite.toml, line 2: unknown key 'idel' in [exhibit] (did you mean 'idle'?)"),
    ('[exhibit]\nhome = "yes"\n', "ytlite.toml, line 2: [exhibit] home must be a bool"),
])
def test_each_mistake_names_the_line_and_the_key(folder, text, says):
    with pytest.raises(ManifestError) as err:
        manifest(folder, text)
    message = str(err.value)
    assert says in message and "\n" not in message
    assert message.startswith(str(folder / "ytlite.toml"))


@pytest.mark.parametrize("content, says", [("{not json", "not valid JSON"), ('{"cells": 3}', "no list of cells"),
                                           (b"\xff\xfe", "not valid JSON")])
def test_a_broken_notebook_is_named(folder, content, says):
    nb = folder / "sub" / "broken.ipynb"
    nb.parent.mkdir()
    nb.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(ManifestError, match=f"broken.ipynb: not a notebook \\({says}"):
        check_notebooks(folder)


def test_the_gallery_shows_what_the_manifest_says(folder, tmp_path_factory):
    from ytlite.site import gallery

    m = manifest(folder, '[site]\ntitle = "Lesson <3>"\n\n[datasets."data/x.h5"]\ntitle = "A remnant"\n'
                         'caption = "Gas & dust."\nfield = "temperature"\ncmap = "viridis"\nscale = "linear"\n')
    site, cache = tmp_path_factory.mktemp("site"), tmp_path_factory.mktemp("cache")
    gallery.build_gallery(site, folder, cache, lambda m: None, manifest=m, start_notebook="lesson.ipynb")
    page = (site / "gallery" / "index.html").read_text()
    assert "<h1>Lesson &lt;3&gt;</h1>" in page and "<h2>A remnant</h2>" in page
    assert '<p class="caption">Gas &amp; dust.</p>' in page
    assert "field=temperature" in page and "cmap=viridis" in page and "scale=linear" in page
    assert "temperature (linear)" in page
    png, meta = gallery.thumbnail(folder / "data" / "x.h5", field="temperature", cmap="viridis", scale="linear")
    assert (site / "gallery" / "thumbs" / "data_x.png").read_bytes() == png
    assert (meta["field"], meta["cmap"], meta["scale"]) == ("temperature", "viridis", "linear")


def test_a_field_the_file_does_not_have(folder, tmp_path_factory):
    from ytlite.site import gallery

    m = manifest(folder, '[datasets."data/x.h5"]\nfield = "densty"\n')
    with pytest.raises(ManifestError, match="data/x.h5.*densty"):
        gallery.build_gallery(tmp_path_factory.mktemp("site"), folder, tmp_path_factory.mktemp("c"), lambda m: None,
                              manifest=m)


# -- datasets made at build time from raw outputs ---------------------------------------------

RAW = ROOT.parent / "shared" / "data"
RAMSES = RAW / "ramses_blast3d" / "output_00003" / "info_00003.txt"
AMREX = next(iter(sorted((RAW / "amrex_adv3d").glob("plt*"))), RAW / "amrex_adv3d" / "plt")
needs_raw = pytest.mark.skipif(not (RAMSES.exists() and AMREX.exists()), reason="no raw outputs in ../shared/data")


def same_file(a, b):
    """Two save_as_dataset files with the same arrays and attributes (a site's copy is gzip-compressed)."""
    import h5py
    import numpy as np

    with h5py.File(a, "r") as fa, h5py.File(b, "r") as fb:
        names = []
        fa.visit(names.append)
        other = []
        fb.visit(other.append)
        assert sorted(names) == sorted(other)
        for n in [None, *names]:
            oa, ob = (fa, fb) if n is None else (fa[n], fb[n])
            # (unit_registry_json lists every unit the writing process's yt had met: it depends on what ran before)
            attrs = [{k: str(v) for k, v in o.attrs.items() if k != "unit_registry_json"} for o in (oa, ob)]
            assert attrs[0] == attrs[1], n
            if isinstance(oa, h5py.Dataset):
                np.testing.assert_array_equal(oa[()], ob[()], err_msg=n)


@needs_raw
def test_datasets_made_from_raw_outputs_are_extracts_files(tmp_path, demo_dir):
    from ytlite.extract import extract
    from ytlite.site import build

    folder = tmp_path / "course"
    (folder / "raw").mkdir(parents=True)
    shutil.copytree(RAMSES.parent, folder / "raw" / RAMSES.parent.name)  # a raw output inside the folder
    (folder / "lesson.ipynb").write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    (folder / "ytlite.toml").write_text(f'''
[make."data/blast_z.h5"]
from = "raw/{RAMSES.parent.name}/{RAMSES.name}"
axis = "z"
coord = 0.25
fields = ["density", "pressure"]

[make."data/adv_proj.h5"]
from = "{AMREX}"
axis = "y"
projection = true
fields = ["phi"]
float32 = true

[make."data/blast_stack"]
from = "raw/{RAMSES.parent.name}/{RAMSES.name}"
axis = "x"
stack = 3

[datasets."data/blast_z.h5"]
title = "The blast, made at build time"
''')
    lines = []
    out = build(folder, tmp_path / "site", kit=_kit(), cache=tmp_path / "cache", log=lines.append)
    files = out / "files" / "data"
    reference = tmp_path / "reference"
    reference.mkdir()
    quiet = dict(log=lambda m: None, yt_log_level=40)
    extract(str(RAMSES), axis="z", coord="0.25", fields=["density", "pressure"], out=str(reference / "z.h5"), **quiet)
    extract(str(AMREX), axis="y", projection=True, fields=["phi"], float32=True, out=str(reference / "p.h5"), **quiet)
    extract(str(RAMSES), axis="x", stack=3, out=str(reference / "stack"), **quiet)
    same_file(files / "blast_z.h5", reference / "z.h5")
    same_file(files / "adv_proj.h5", reference / "p.h5")
    for f in sorted((reference / "stack").glob("*.h5")):
        same_file(files / "blast_stack" / f.name, f)
    assert json.loads((files / "blast_stack" / "stack.json").read_text())["files"] == \
        json.loads((reference / "stack" / "stack.json").read_text())["files"]
    assert not (out / "files" / "raw").exists()  # the raw output is what they are made of, not content
    assert "<h2>The blast, made at build time</h2>" in (out / "gallery" / "index.html").read_text()
    assert any("making 3 datasets" in m for m in lines)

    # a rebuild extracts nothing again
    import ytlite.extract as ex

    lines.clear()
    calls = []
    original = ex.extract

    def counting(*a, **k):
        calls.append(a)
        return original(*a, **k)

    ex.extract = counting
    try:
        build(folder, tmp_path / "site", kit=_kit(), cache=tmp_path / "cache", log=lines.append)
    finally:
        ex.extract = original
    assert calls == []


def _kit():
    from ytlite.site import jupyterlite

    kits = sorted((jupyterlite.default_cache() / "kits").glob("*/kit.json"), key=lambda p: p.stat().st_mtime)
    if not kits:
        pytest.skip("no kernel kit in the build cache: run python3 build.py build")
    return kits[-1].parent


@pytest.mark.parametrize("table, says", [
    ('[make."data/a.h5"]\naxis = "z"\n', 'line 1: [make."data/a.h5"] needs from'),
    ('[make."data/a.h5"]\nfrom = "nowhere/info.txt"\n', 'line 2: [make."data/a.h5"] from: \'nowhere/info.txt\' does not exist'),
    ('[make."data/a"]\nfrom = "lesson.ipynb"\n', "a made file's name ends in .h5"),
    ('[make."data/x.h5"]\nfrom = "lesson.ipynb"\n', "'data/x.h5' is already in the folder"),
    ('[make."data/a.h5"]\nfrom = "lesson.ipynb"\nstack = "8"\n', 'line 3: [make."data/a.h5"] stack must be a int, got str'),
    ('[make."data/a.h5"]\nfrom = "lesson.ipynb"\nprojektion = true\n', "did you mean 'projection'?"),
])
def test_make_mistakes(folder, table, says):
    with pytest.raises(ManifestError) as err:
        manifest(folder, table)
    assert says.replace("\\", "") in str(err.value)


def test_a_raw_output_yt_cannot_load_is_named(folder, tmp_path):
    from ytlite.site import build

    (folder / "junk").mkdir()
    (folder / "junk" / "info_00001.txt").write_text("not a simulation")
    manifest(folder, '[make."data/a.h5"]\nfrom = "junk/info_00001.txt"\n')
    with pytest.raises(ManifestError, match=r'\[make."data/a.h5"\]: .*junk/info_00001.txt'):
        build(folder, tmp_path / "site", kit=_kit(), cache=tmp_path / "cache", log=lambda m: None)
    assert not (tmp_path / "site").exists()


def test_the_manifests_choices_reach_ds_plot_and_the_kiosks_reader(folder, tmp_path):
    """A site build writes [datasets."..."]'s field, cmap and scale into the
    shipped file; ytlite.load (the notebook) and slicefile.js (the kiosk) both
    show them first, the same rule in both (ytlite/_conventions.py: site_choices)."""
    import subprocess

    import ytlite
    from ytlite.site import build

    original = ytlite.load(folder / "data" / "x.h5")
    assert (original.default_field(), original.default_cmap()) == ("density", ytlite.DEFAULT_COLORMAP)
    manifest(folder, '[datasets."data/x.h5"]\nfield = "temperature"\ncmap = "viridis"\nscale = "linear"\n'
                     'view = [0.25, 0.5, 0, 0.125]\n')
    site = build(folder, tmp_path / "site", kit=_kit(), cache=tmp_path / "cache", log=lambda m: None)
    shipped = site / "files" / "data" / "x.h5"
    ds = ytlite.load(shipped)
    assert (ds.default_field(), ds.default_cmap(), ds.default_scale("temperature")) == ("temperature", "viridis", "linear")
    assert ds.default_scale("density") == original.default_scale("density")  # (the choice is for its field)
    viewer = ds.plot()
    assert (viewer.field, viewer.cmap, viewer.scale) == ("temperature", "viridis", "linear")
    assert viewer.view == ds.default_view() == [0.25, 0.5, 0.0, 0.125] and original.default_view() == list(original.domain_bounds)
    assert ds.plot("density").scale == "log"
    runner = ROOT / "tests" / "support" / "slicefile_runner.mjs"
    out = json.loads(subprocess.run(["node", runner, shipped], capture_output=True, text=True, check=True).stdout)
    summary = out[0]["summary"]
    assert (summary["defaultField"], summary["defaultCmap"]) == ("temperature", "viridis")
    assert summary["scales"]["temperature"] == "linear" and summary["scales"]["density"] == "log"
    # the data themselves are unchanged
    assert list(ds["temperature"]) == list(original["temperature"]) and list(ds.px) == list(original.px)


def test_make_without_yt_says_what_to_install_before_any_work(folder, tmp_path):
    """A [make] table needs yt, the extra ytlite[extract]: where yt is not installed
    the build stops with one line naming the table and the install command, before
    any work (no site, no cache)."""
    from support.without import run_without

    kit = _kit()
    (folder / "raw").mkdir()
    (folder / "raw" / "info_00001.txt").write_text("a raw output")
    manifest(folder, '[make."data/a.h5"]\nfrom = "raw/info_00001.txt"\n')
    code = f"""
from pathlib import Path
from ytlite.site import build
from ytlite.site.manifest import ManifestError
try:
    build(Path({str(folder)!r}), Path({str(tmp_path / "site")!r}), kit=Path({str(kit)!r}),
          cache=Path({str(tmp_path / "cache")!r}), log=lambda m: None)
except ManifestError as exc:
    print(exc)
"""
    done = run_without(("yt",), code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        'ytlite.toml: [make."data/a.h5"]: making slice files needs yt, which is not installed: '
        'pip install "ytlite[extract]"']
    assert not (tmp_path / "site").exists() and not (tmp_path / "cache").exists()
