"""The picture a canvas must show, computed natively: yt's own
``pixelize_cartesian`` over the file's cells (``expected_values``; over the
cells' refinement levels: ``level_values``), matplotlib's norm with yt's
automatic limits (``auto_norm``), and ``compare``: a canvas against that,
pixel for pixel, exact wherever the colour is defined (shading_oracle.py);
``compare_thumbnail``: a gallery thumbnail against the viewer's first picture
of the file, worked out here from the file itself (h5py), not from ytlite."""

from __future__ import annotations

import h5py
import matplotlib
import matplotlib.colors
import matplotlib.image
import numpy as np
from yt.utilities.lib.pixelization_routines import pixelize_cartesian

from support.paths import ARTIFACTS
from support.shading_oracle import compare_colours


def expected_values(path, field, bounds, width, height):
    """The float image yt's own pixelizer makes of the same cells and view (row 0 = y_min)."""
    with h5py.File(path, "r") as f:
        g = f["grid"]
        px, py, pdx, pdy, values = (g[k][()].astype("f8") for k in ("px", "py", "pdx", "pdy", field))
    buff = np.full((height, width), np.nan)
    pixelize_cartesian(buff, px, py, pdx, pdy, values, tuple(bounds), antialias=1, period=None, check_period=0)
    return buff


def level_values(path, field, bounds, width, height):
    """yt's pixelizer over the cells' refinement levels (ytlite's derived field
    ``refinement_level``, itself checked against yt's grid_level in
    test_dataset.py); ``expected_values``' signature, for compare(expected=)."""
    import ytlite

    assert field == "refinement_level", field
    ds = ytlite.load(path)
    px, py, pdx, pdy = (np.frombuffer(getattr(ds, k)) for k in ("px", "py", "pdx", "pdy"))
    buff = np.full((height, width), np.nan)
    pixelize_cartesian(buff, px, py, pdx, pdy, np.frombuffer(ds["refinement_level"]), tuple(bounds),
                       antialias=1, period=None, check_period=0)
    return buff


def auto_norm(buff, scale, linthresh=None, limits=None):
    """matplotlib's norm with yt's automatic limits (log: positive values only),
    or the explicit ``limits``; symlog with the viewer's linthresh."""
    finite = buff[np.isfinite(buff)]
    if scale == "log":
        finite = finite[finite > 0]
    vmin, vmax = limits if limits is not None else (finite.min(), finite.max())
    if scale == "log":
        return matplotlib.colors.LogNorm(vmin, vmax)
    if scale == "symlog":
        return matplotlib.colors.SymLogNorm(linthresh, linscale=1.0, vmin=vmin, vmax=vmax, base=10)
    return matplotlib.colors.Normalize(vmin, vmax)


def compare(run, tag, frame, got, path, field, cmap, scale="log", expected_view=None, limits=None,
            expected=expected_values):
    """The canvas is yt + matplotlib's image of the same view, pixel for pixel:
    exact wherever the colour is defined (see tests/support/shading_oracle.py).
    ``expected(path, field, bounds, width, height)`` makes the float image
    (default: the file's field through yt's pixelizer); ``run``: anything with
    a ``screenshot(tag)``, taken when the pictures differ."""
    if expected_view is not None:
        np.testing.assert_allclose(frame["view"], expected_view, rtol=0, atol=1e-12)
    assert (frame["field"], frame["cmap"], frame["scale"]) == (field, cmap, scale), tag
    buff = expected(path, field, frame["view"], frame["width"], frame["height"])
    norm = auto_norm(buff, scale, frame.get("linthresh"), limits)
    # the same automatic limits as yt's image: the deposit is bit-identical
    assert [frame["vmin"], frame["vmax"]] == [float(norm.vmin), float(norm.vmax)], tag
    assert np.isfinite(buff).mean() > 0.5, f"{tag}: the view is mostly empty; not a useful comparison"
    try:
        return compare_colours(got[::-1], buff, matplotlib.colormaps[cmap], norm, tag, alpha_tolerant=True)
    except AssertionError:
        shot = run.screenshot(tag)
        want = matplotlib.colormaps[cmap](norm(np.ma.masked_invalid(buff)), bytes=True)[::-1]
        matplotlib.image.imsave(ARTIFACTS / f"{tag}-expected.png", want)
        matplotlib.image.imsave(ARTIFACTS / f"{tag}-got.png", got)
        print(f"screenshot: {shot}")
        raise


IMAGE_AXES = {0: (1, 2), 1: (2, 0), 2: (0, 1)}  # yt's cartesian (x_axis, y_axis) per slice axis
GEOMETRY = {"px", "py", "pdx", "pdy", "pz", "pdz", "weight_field"}


def expected_thumbnail(path, size=256, cmap="cmyt.arbre", field=None, scale=None):
    """What the viewer first shows of the file, drawn by yt and matplotlib:
    ``field`` (default: density, else the first field), ``scale`` (default: log
    when no value is <= 0, else symlog, linthresh 1/1000 of the largest
    magnitude), ``cmap``, the whole domain, limits from the image (log: positive
    values), ``size`` pixels on the longer side. Returns (values, top row first;
    norm; colormap; field; scale)."""
    import cmyt  # noqa: F401  registers cmyt.* in matplotlib

    with h5py.File(path, "r") as f:
        g = f["grid"]
        fields = sorted(k for k in g if k not in GEOMETRY)
        field = field or ("density" if "density" in fields else fields[0])
        px, py, pdx, pdy, values = (g[k][()].astype("f8") for k in ("px", "py", "pdx", "pdy", field))
        xa, ya = IMAGE_AXES[int(f.attrs["axis"])]
        left, right = f.attrs["domain_left_edge"], f.attrs["domain_right_edge"]
    bounds = (float(left[xa]), float(right[xa]), float(left[ya]), float(right[ya]))
    w, h = bounds[1] - bounds[0], bounds[3] - bounds[2]
    shape = (int(np.floor(size * h / w + 0.5)), size) if w >= h else (size, int(np.floor(size * w / h + 0.5)))
    buff = np.full(shape, np.nan)
    pixelize_cartesian(buff, px, py, pdx, pdy, values, bounds, antialias=1, period=None, check_period=0)
    scale = scale or ("symlog" if np.any(values <= 0) else "log")
    finite = buff[np.isfinite(buff)]
    if scale == "log":
        norm = matplotlib.colors.LogNorm(finite[finite > 0].min(), finite[finite > 0].max())
    elif scale == "symlog":
        big = np.abs(finite).max()
        norm = matplotlib.colors.SymLogNorm(big / 1000, linscale=1.0, vmin=finite.min(), vmax=finite.max(), base=10)
    else:
        norm = matplotlib.colors.Normalize(finite.min(), finite.max())
    return buff[::-1], norm, matplotlib.colormaps[cmap], field, scale


def compare_thumbnail(got, path, what, cmap="cmyt.arbre", field=None, scale=None):
    """``got`` (RGBA, top row first) is yt + matplotlib's :func:`expected_thumbnail`
    of the file, exact wherever the colour is defined (shading_oracle.py).
    Returns (field, scale) the oracle chose."""
    values, norm, colormap, field, scale = expected_thumbnail(path, cmap=cmap, field=field, scale=scale)
    compare_colours(got, values, colormap, norm, what)
    return field, scale
