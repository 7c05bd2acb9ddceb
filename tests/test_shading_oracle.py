"""The shading oracle itself (tests/support/shading_oracle.py) on cases whose answer
is known analytically: where a colour depends on the log's last bits and where
it does not."""

from __future__ import annotations

import matplotlib
import matplotlib.colors as mc
import numpy as np
import pytest

from support.shading_oracle import compare_colours, possible_entries


def test_log_decades_are_thresholds_and_their_neighbours_are_not():
    # LogNorm(1, 1e8) over 8 entries: the thresholds are the decades exactly
    norm = mc.LogNorm(1.0, 1e8)
    x = np.array([10.0, 1e3, 1e7, 10.0 * (1 + 1e-9), 1e3 * (1 - 1e-9), 5.0, 1.0, 1e8, 0.5, 2e8, -1.0, np.nan])
    lo, hi = possible_entries(x, norm, 8)
    assert lo.tolist() == [0, 2, 6, 1, 2, 0, 0, 7, -1, 8, -2, -2]
    assert hi.tolist() == [1, 3, 7, 1, 2, 0, 0, 7, -1, 8, -2, -2]


def test_linear_has_no_tolerance():
    norm = mc.Normalize(0.0, 8.0)
    x = np.array([1.0, np.nextafter(1.0, 0), 3.0, 8.0, 0.0])
    lo, hi = possible_entries(x, norm, 8)
    assert (lo == hi).all() and lo.tolist() == [1, 0, 3, 7, 0]


def test_symlog_symmetric_zero_is_defined():
    # |vmin| == |vmax|: f(vmin) == -f(vmax) on any libm, so 0 sits exactly at N/2
    norm = mc.SymLogNorm(1e-3, vmin=-7.5, vmax=7.5, base=10)
    x = np.array([0.0, -1e-20, 1e-20, 7.5, -7.5])
    lo, hi = possible_entries(x, norm, 256)
    assert (lo == hi).all(), (lo, hi)
    assert lo.tolist()[:3] == [128, 128, 128]


def test_compare_colours_accepts_only_the_possible_entries():
    cmap = matplotlib.colormaps["viridis"].resampled(8)
    norm = mc.LogNorm(1.0, 1e8)
    x = np.array([[10.0, 5.0, 1e7]])
    ref = cmap(norm(x), bytes=True)
    assert compare_colours(ref, x, cmap, norm, "same").near_threshold == 2
    other = ref.copy()
    other[0, 0] = cmap(np.array([0]), bytes=True)[0]  # 10 -> entry 0: the other neighbour
    assert compare_colours(other, x, cmap, norm, "neighbour").neighbour_used == 1
    other[0, 0] = cmap(np.array([2]), bytes=True)[0]  # not a neighbour
    with pytest.raises(AssertionError, match="sits on a colour threshold"):
        compare_colours(other, x, cmap, norm, "far")
    wrong = ref.copy()
    wrong[0, 1, 0] ^= 1  # 5.0: defined, one byte off
    with pytest.raises(AssertionError, match="where the colour is defined"):
        compare_colours(wrong, x, cmap, norm, "defined")
