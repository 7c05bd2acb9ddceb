"""The gallery's thumbnails (ytlite/site/gallery.py: thumbnail, cached_thumbnail,
build_gallery) on CPython, drawn by ytlite's own engine (the wasm pixelizer
through wasmtime): each is yt's pixelize_cartesian of the file, coloured by
matplotlib (exact wherever the colour is defined: support/shading_oracle.py),
with the viewer's first choices worked out here from the file itself (h5py),
not from ytlite (support/oracle.py: expected_thumbnail); the cache follows
the files' content and the engine."""

from __future__ import annotations

import io
import json
import shutil

import h5py
import numpy as np
import pytest
from PIL import Image

from support.oracle import compare_thumbnail, expected_thumbnail
from support.paths import BUILT_DATA, REAL_SLICES


@pytest.fixture(scope="module")
def gallery():
    from ytlite.site import gallery

    return gallery


def decoded(png):
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.mode == "RGBA"
    return np.asarray(image)


def sample_files():
    files = list(REAL_SLICES)
    files += [BUILT_DATA / n for n in ("amr_demo_slice.h5", "amr_demo_proj.h5") if (BUILT_DATA / n).exists()]
    if not files:
        pytest.skip("no slices: neither the shared real data nor a built site")
    return files


def test_thumbnails_are_yts_picture_in_the_viewers_first_colours(gallery):
    for path in sample_files():
        png, meta = gallery.thumbnail(path)
        got = decoded(png)
        want, _, _, _, _ = expected_thumbnail(path)
        assert got.shape == want.shape + (4,), path.name
        field, scale = compare_thumbnail(got, path, path.name)
        assert (meta["field"], meta["scale"], meta["cmap"]) == (field, scale, "cmyt.arbre"), path.name
        assert (meta["height"], meta["width"]) == want.shape
        finite = want[np.isfinite(want) & ((want > 0) if scale == "log" else True)]
        assert (meta["vmin"], meta["vmax"]) == (finite.min(), finite.max()), path.name  # the image's own limits
        assert len(np.unique(got.reshape(-1, 4), axis=0)) > 10, f"{path.name}: a flat picture"


def test_the_choices_of_a_manifest(gallery):
    path = sample_files()[0]
    png, meta = gallery.thumbnail(path, cmap="viridis")
    assert meta["cmap"] == "viridis"
    compare_thumbnail(decoded(png), path, f"{path.name} in viridis", cmap="viridis")
    with pytest.raises(ValueError, match="unknown colormap 'no-such-map'"):
        gallery.thumbnail(path, cmap="no-such-map")


@pytest.mark.parametrize("field, scale, want_scale", [
    ("velocity_x", None, "symlog"),  # values of both signs: its usual scale, symlog
    ("velocity_x", "linear", "linear"),
    ("temperature", "symlog", "symlog"),
])
def test_other_fields_and_scales(gallery, field, scale, want_scale):
    path = [p for p in REAL_SLICES if p.name == "ramses_blast3d_z0.5_slice.h5"]
    if not path:
        pytest.skip("no real RAMSES slice beside the repository")
    png, meta = gallery.thumbnail(path[0], field=field, scale=scale)
    assert (meta["field"], meta["scale"]) == (field, want_scale)
    compare_thumbnail(decoded(png), path[0], f"{field} ({want_scale})", field=field, scale=want_scale)


def test_a_stack_shows_its_middle_slice(gallery):
    stack = BUILT_DATA / "real" / "ramses_blast3d_z_stack"
    if not (stack / "stack.json").exists():
        pytest.skip("no demo stack in the built content")
    files = json.loads((stack / "stack.json").read_text())["files"]
    png, meta = gallery.thumbnail(stack / "stack.json")
    assert (meta["depth"], meta["count"]) == (len(files) // 2, len(files))
    compare_thumbnail(decoded(png), stack / files[len(files) // 2], "the stack's middle slice")
    # and it is not what a neighbour looks like
    with pytest.raises(AssertionError, match="pixels differ from matplotlib"):
        compare_thumbnail(decoded(png), stack / files[0], "the stack's first slice")


def test_the_gallery_page_and_its_cache(gallery, tmp_path, monkeypatch):
    sources = sample_files()[:2]
    content = tmp_path / "content"
    (content / "data").mkdir(parents=True)
    for f in sources:
        shutil.copyfile(f, content / "data" / f.name)
    # a notebook that uses the first file only
    (content / "tour.ipynb").write_text(json.dumps({"cells": [{"source": [f'ds = ytlite.load("data/{sources[0].name}")']}]}))
    cache = tmp_path / "cache"
    site = tmp_path / "site"
    gallery.build_gallery(site, content, cache, log=lambda m: None)
    page = (site / "gallery" / "index.html").read_text()
    assert page.count('<article class="dataset"') == 2
    for f in sources:
        assert f'data-file="data/{f.name}"' in page
        thumb = site / "gallery" / "thumbs" / f"data_{f.name.removesuffix('.h5')}.png"
        compare_thumbnail(decoded(thumb.read_bytes()), f, thumb.name)
    assert "../notebooks/index.html?path=tour.ipynb" in page
    assert page.count("../notebooks/index.html?path=tour.ipynb") == 1  # the other: a new notebook
    assert "paste the lines below into a new notebook" in page
    assert "http://" not in page and "https://" not in page  # nothing from elsewhere
    cached = sorted(cache.iterdir())
    assert len(cached) == 2

    # a rebuild draws nothing again ...
    from ytlite import _native_engine

    def fail(*args, **kwargs):
        raise AssertionError("drawn again")

    with monkeypatch.context() as patched:
        patched.setattr(_native_engine, "draw", fail)
        gallery.build_gallery(site, content, cache, log=lambda m: None)
        assert (site / "gallery" / "index.html").read_text() == page
        # ... until a file's content changes (same name, same size)
        changed = content / "data" / sources[1].name
        data = bytearray(changed.read_bytes())
        with h5py.File(changed, "r") as h:
            offset = h["grid"]["px"].id.get_offset()  # a cell centre's bytes (uncompressed dataset)
        if offset is None:
            pytest.skip("compressed file: cannot alter a value in place")
        data[offset] ^= 1
        changed.write_bytes(bytes(data))
        with pytest.raises(AssertionError, match="drawn again"):
            gallery.build_gallery(site, content, cache, log=lambda m: None)
    gallery.build_gallery(site, content, cache, log=lambda m: None)
    assert len(list(cache.iterdir())) == 3
