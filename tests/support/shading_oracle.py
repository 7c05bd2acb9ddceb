"""The colour matplotlib gives each value, and where that colour is defined.

matplotlib colours a value ``x`` with entry ``floor(N * norm(x))`` of an
N-entry colormap (``under`` below 0, ``over`` at N and above, except that
``norm(x) == 1`` takes entry N - 1; ``bad`` where the value is masked).

* ``Normalize`` (linear) uses only IEEE-754 ``+ - * /``, which round the same
  way on every CPU: the colour of every value is defined, and ours must be
  matplotlib's byte for byte.
* ``LogNorm`` and ``SymLogNorm`` go through numpy's ``log10`` / ``log``, whose
  last bits depend on the CPU (numpy's own SIMD kernels with AVX512_SKX,
  glibc's otherwise; see ../shared/FIELD-NOTES.md), and ours through the wasm
  libm. The colour of a value is *defined* when every ``log`` within
  ``LOG_ULPS`` ulps of the correctly rounded one gives the same entry through
  matplotlib's own float operations (each rounded op is monotone, so the
  corners of that box bound every outcome). Where the entries differ (a value
  on a colour threshold, to within the libm's last bits), any of them is
  accepted, and nothing else; everywhere else the colour must be
  matplotlib's exactly. A value exactly equal to vmin or vmax is defined too:
  ``f(x) - f(vmin)`` is 0 and the ratio is 1 whatever ``f`` rounds to.

The oracle checks itself: the entry this machine's matplotlib picked must be
one of the possible ones (else ``LOG_ULPS`` is too small for this CPU).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import matplotlib.colors as mc
import mpmath
import numpy as np

U = 2.0**-53  # unit roundoff of float64
LOG_ULPS = 5  # 4 ulps (numpy's SIMD kernels' documented bound) + 1 for rounding the exact value


@dataclass
class ShadeCheck:
    """Result of :func:`compare_colours`."""

    near_threshold: int  # pixels whose entry depends on the log's last bits (any possible one accepted)
    neighbour_used: int  # ... of which ours took another possible entry than this machine's matplotlib
    exact: int  # pixels required to equal matplotlib exactly (and that did)


def _is_linear(norm):
    return type(norm) is mc.Normalize


def _cr_log(x: float, base10: bool) -> float:
    """The correctly rounded log10 / ln of a float."""
    with mpmath.workdps(40):
        v = mpmath.log10(x) if base10 else mpmath.log(x)
        return float(v)


def _shift(v, ulps):
    """v moved by `ulps` ulps (array or float)."""
    v = np.asarray(v, dtype=np.float64)
    step = np.inf if ulps > 0 else -np.inf
    for _ in range(abs(ulps)):
        v = np.nextafter(v, step)
    return v


def _entries(t, n):
    """Colormap entry of position t = norm(x) * N, matplotlib's rules
    (-1 = under, n = over, -2 = bad)."""
    t = np.asarray(t, dtype=np.float64)
    e = np.where(t == n, n - 1, np.floor(np.where(np.isfinite(t), t, 0.0)))
    e = np.where(t < 0, -1, np.where(t > n, n, e))  # (t == n: entry n - 1, above)
    return np.where(np.isnan(t), -2, e).astype(np.int64)


def _corner_positions(norm, n, x):
    """Position norm(x) * N for every corner of the box of log results within
    LOG_ULPS ulps of the correctly rounded ones, in matplotlib's operation
    order: an array (corners, len(x)). A libm is a function: equal arguments
    get the same result, so their perturbations are tied."""
    vmin, vmax = float(norm.vmin), float(norm.vmax)
    signs = (-LOG_ULPS, LOG_ULPS)
    out = []
    if isinstance(norm, mc.LogNorm):
        lx = np.array([_cr_log(v, True) for v in x])
        l0, l1 = _cr_log(vmin, True), _cr_log(vmax, True)
        for dx in signs:
            for d0 in signs:
                for d1 in signs:
                    fx, f0, f1 = _shift(lx, dx), _shift(l0, d0), _shift(l1, d1)
                    out.append(((fx - f0) / (f1 - f0)) * n)
        return np.array(out)
    # SymLogNorm, matplotlib 3.11 SymmetricalLogTransform:
    # sign(v) * lt * (adj - log(lt) / log(base) + log|v| / log(base)), v * adj inside
    trf = norm._trf
    lt, base = float(trf.linthresh), float(trf.base)
    adj = float(trf.linscale) / (1.0 - 1.0 / base)
    a0, a1, ax = abs(vmin), abs(vmax), np.abs(x)
    lx = np.array([_cr_log(v, False) if v > lt else 0.0 for v in ax])
    l0 = _cr_log(a0, False) if a0 > lt else 0.0
    l1 = _cr_log(a1, False) if a1 > lt else 0.0
    llt, lb = _cr_log(lt, False), _cr_log(base, False)

    def f(v, logs, llt_, lb_):
        with np.errstate(invalid="ignore"):
            outside = np.sign(v) * lt * (adj - llt_ / lb_ + logs / lb_)
        return np.where(np.abs(v) <= lt, v * adj, outside)

    lx_shifted = {d: _shift(lx, d) for d in signs}
    for dx in signs:
        for d0 in signs:
            for d1 in signs:
                if a1 == a0 and d1 != d0:
                    continue
                for dlt in signs:
                    for db in signs:
                        llt_, lb_ = float(_shift(llt, dlt)), float(_shift(lb, db))
                        # |x| equal to |vmin|, |vmax|: the same log result
                        dxs = np.where(ax == a0, d0, np.where(ax == a1, d1, dx))
                        logs = np.where(dxs > 0, lx_shifted[LOG_ULPS], lx_shifted[-LOG_ULPS])
                        fx = f(x, logs, llt_, lb_)
                        f0 = float(f(np.array([vmin]), np.array([float(_shift(l0, d0))]), llt_, lb_)[0])
                        f1 = float(f(np.array([vmax]), np.array([float(_shift(l1, d1))]), llt_, lb_)[0])
                        out.append(((fx - f0) / (f1 - f0)) * n)
    return np.array(out)


def _prefilter_bound(norm, n, values):
    """A generous bound on |float position - exact position| (cheap, float):
    values farther than this from every threshold need no corner check."""
    vmin, vmax = float(norm.vmin), float(norm.vmax)
    if isinstance(norm, mc.LogNorm):
        f = lambda v: np.log10(np.asarray(v, dtype=np.float64))  # noqa: E731
        err = lambda fv: 64 * U * (np.abs(fv) + 1.0)  # noqa: E731
    else:
        lt = float(norm._trf.linthresh)

        def f(v):
            return norm._trf.transform(np.atleast_1d(np.asarray(v, dtype=np.float64)))

        def err(fv):
            return 64 * U * (np.abs(fv) + lt * (1.0 + abs(math.log(lt))))

    with np.errstate(divide="ignore", invalid="ignore"):
        fx, (f0, f1) = f(values).reshape(np.shape(values)), f([vmin, vmax])
        t = (fx - f0) / (f1 - f0) * n
        bound = n * (err(fx) + err(f0) + err(f1) + U * np.abs(fx - f0)) / abs(f1 - f0) * 4 + 8 * U * np.abs(t)
    return t, bound


def possible_entries(values, norm, n):
    """(lo, hi): the lowest and highest colormap entry any log within
    LOG_ULPS ulps gives each value (-1 under, n over, -2 bad); lo == hi
    where the colour is defined."""
    values = np.asarray(values, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mpl = _entries(np.ma.filled(norm(np.ma.masked_invalid(values)).astype(np.float64), np.nan) * n, n)
    lo, hi = mpl.copy(), mpl.copy()
    if _is_linear(norm) or float(norm.vmin) == float(norm.vmax):
        return lo, hi  # no libm involved / matplotlib fills 0: defined
    t, bound = _prefilter_bound(norm, n, values)
    with np.errstate(invalid="ignore"):
        cand = np.isfinite(t) & (np.abs(t - np.round(t)) <= bound) & (np.round(t) >= 0) & (np.round(t) <= n)
    cand &= (values != float(norm.vmin)) & (values != float(norm.vmax))
    idx = np.nonzero(cand)
    if len(idx[0]):
        corners = _entries(_corner_positions(norm, n, values[idx]), n)
        lo[idx], hi[idx] = corners.min(axis=0), corners.max(axis=0)
        off = (mpl[idx] < lo[idx]) | (mpl[idx] > hi[idx])
        if off.any():
            k = int(np.argmax(off))
            raise AssertionError(
                f"oracle: this machine's matplotlib gives value {values[idx][k]!r} entry {mpl[idx][k]}, outside "
                f"the entries {lo[idx][k]}..{hi[idx][k]} of logs within {LOG_ULPS} ulps (raise LOG_ULPS?)")
    return lo, hi


def compare_colours(ours, values, cmap, norm, what, alpha_tolerant=False):
    """Check RGBA ``ours`` (same layout as ``values``, HxWx4) against
    matplotlib's ``cmap(norm(masked_invalid(values)), bytes=True)``: exact
    wherever the colour is defined, one of the possible entries elsewhere
    (see module docs). With ``alpha_tolerant`` (a canvas read back: it
    stores premultiplied alpha), RGB of pixels with 0 < alpha < 255 may
    differ by that round trip, and RGB of alpha-0 pixels is not compared.
    """
    values = np.asarray(values, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        ref = cmap(norm(np.ma.masked_invalid(values)), bytes=True)
    assert ours.shape == ref.shape, f"{what}: shape {ours.shape} != {ref.shape}"
    lo, hi = possible_entries(values, norm, cmap.N)
    near = lo != hi

    def differs(a, b):
        d = a.astype(int) - b.astype(int)
        if not alpha_tolerant:
            return np.any(d != 0, axis=-1)
        alpha = b[..., 3].astype(int)
        rgb_tol = np.where(alpha == 0, 255, np.where(alpha == 255, 0, -(-255 // np.maximum(alpha, 1))))
        return (d[..., 3] != 0) | np.any(np.abs(d[..., :3]) > rgb_tol[..., None], axis=-1)

    bad = differs(ours, ref) & ~near
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise AssertionError(
            f"{what}: {int(bad.sum())} pixels differ from matplotlib where the colour is defined, first at "
            f"(row {i}, col {j}): value {values[i, j]!r}, ours {ours[i, j].tolist()}, "
            f"matplotlib {ref[i, j].tolist()}")
    used = 0
    if near.any():
        o = ours[near]
        ok = np.zeros(len(o), dtype=bool)
        for e in range(int((lo[near]).min()), int(hi[near].max()) + 1):
            inside = (lo[near] <= e) & (e <= hi[near])
            colour = cmap(np.full(len(o), e, dtype=np.int64), bytes=True)
            ok |= inside & ~differs(o, colour)
        if not ok.all():
            m = int(np.argmin(ok))
            i, j = np.argwhere(near)[m]
            raise AssertionError(
                f"{what}: at (row {i}, col {j}) value {values[i, j]!r} sits on a colour threshold: ours "
                f"{ours[i, j].tolist()} is none of entries {lo[i, j]}..{hi[i, j]}")
        used = int(np.count_nonzero(differs(o, ref[near])))
    return ShadeCheck(int(near.sum()), used, int((~near).sum()))
