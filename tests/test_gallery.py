"""The gallery's thumbnails (ytlite/site/gallery.py: thumbnail, cached_thumbnail,
build_gallery) on CPython: each is yt's pixelize_cartesian of the file,
coloured by matplotlib, with the viewer's first choices worked out here from
the file itself (h5py), not from ytlite; the cache follows the files' content."""

from __future__ import annotations

import io
import json
import shutil

import cmyt  # noqa: F401  registers cmyt.* in matplotlib
import h5py
import matplotlib
import matplotlib.colors
import numpy as np
import pytest
from PIL import Image
from yt.utilities.lib.pixelization_routines import pixelize_cartesian

from support.paths import BUILT_DATA, REAL_SLICES

IMAGE_AXES = {0: (1, 2), 1: (2, 0), 2: (0, 1)}  # yt's cartesian (x_axis, y_axis) per slice axis
GEOMETRY = {"px", "py", "pdx", "pdy", "pz", "pdz", "weight_field"}


@pytest.fixture(scope="module")
def gallery():
    from ytlite.site import gallery

    return gallery


def expected_thumbnail(path, size=256):
    """What the viewer first shows of the file, drawn by yt and matplotlib:
    density (else the first field), log when no value is <= 0 (else symlog,
    linthresh 1/1000 of the largest magnitude), cmyt.arbre, the whole domain,
    limits from the image (log: positive values), `size` pixels on the longer side."""
    with h5py.File(path, "r") as f:
        g = f["grid"]
        fields = sorted(k for k in g if k not in GEOMETRY)
        field = "density" if "density" in fields else fields[0]
        px, py, pdx, pdy, values = (g[k][()].astype("f8") for k in ("px", "py", "pdx", "pdy", field))
        xa, ya = IMAGE_AXES[int(f.attrs["axis"])]
        left, right = f.attrs["domain_left_edge"], f.attrs["domain_right_edge"]
    bounds = (float(left[xa]), float(right[xa]), float(left[ya]), float(right[ya]))
    w, h = bounds[1] - bounds[0], bounds[3] - bounds[2]
    shape = (int(np.floor(size * h / w + 0.5)), size) if w >= h else (size, int(np.floor(size * w / h + 0.5)))
    buff = np.full(shape, np.nan)
    pixelize_cartesian(buff, px, py, pdx, pdy, values, bounds, antialias=1, period=None, check_period=0)
    scale = "symlog" if np.any(values <= 0) else "log"
    finite = buff[np.isfinite(buff)]
    if scale == "log":
        norm = matplotlib.colors.LogNorm(finite[finite > 0].min(), finite[finite > 0].max())
    else:
        big = np.abs(finite).max()
        norm = matplotlib.colors.SymLogNorm(big / 1000, linscale=1.0, vmin=finite.min(), vmax=finite.max(), base=10)
    rgba = matplotlib.colormaps["cmyt.arbre"](norm(np.ma.masked_invalid(buff)), bytes=True)[::-1]
    return rgba, field, scale


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
        want, field, scale = expected_thumbnail(path)
        got = decoded(png)
        assert got.shape == want.shape, path.name
        np.testing.assert_array_equal(got, want, err_msg=path.name)
        assert (meta["field"], meta["scale"], meta["cmap"]) == (field, scale, "cmyt.arbre"), path.name
        assert (meta["height"], meta["width"]) == want.shape[:2]
        assert len(np.unique(got.reshape(-1, 4), axis=0)) > 10, f"{path.name}: a flat picture"


def test_a_stack_shows_its_middle_slice(gallery):
    stack = BUILT_DATA / "real" / "ramses_blast3d_z_stack"
    if not (stack / "stack.json").exists():
        pytest.skip("no demo stack in the built content")
    files = json.loads((stack / "stack.json").read_text())["files"]
    png, meta = gallery.thumbnail(stack / "stack.json")
    assert (meta["depth"], meta["count"]) == (len(files) // 2, len(files))
    want, _, _ = expected_thumbnail(stack / files[len(files) // 2])
    np.testing.assert_array_equal(decoded(png), want)
    # and it is not what a neighbour looks like
    assert not np.array_equal(decoded(png), expected_thumbnail(stack / files[0])[0])


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
        np.testing.assert_array_equal(decoded(thumb.read_bytes()), expected_thumbnail(f)[0])
    assert "../notebooks/index.html?path=tour.ipynb" in page
    assert page.count("../notebooks/index.html?path=tour.ipynb") == 1  # the other: a new notebook
    assert "paste the lines below into a new notebook" in page
    assert "http://" not in page and "https://" not in page  # nothing from elsewhere
    cached = sorted(cache.iterdir())
    assert len(cached) == 2

    # a rebuild draws nothing again ...
    import yt.utilities.lib.pixelization_routines as routines

    def fail(*args, **kwargs):
        raise AssertionError("drawn again")

    with monkeypatch.context() as patched:
        patched.setattr(routines, "pixelize_cartesian", fail)
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
