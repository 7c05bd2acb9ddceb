"""ytlite.toml (ytlite/site/manifest.py): each mistake is one line naming the
file, the line and the key; broken notebooks are named too; and what the
manifest says reaches the gallery."""

from __future__ import annotations

import json
import shutil

import pytest

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
    ('title = "x"\n', "ytlite.toml, line 1: unknown table or key 'title'"),
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
