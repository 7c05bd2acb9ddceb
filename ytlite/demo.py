"""Build ytlite's demo data with yt: an analytic AMR model, sliced and projected.

Run natively (needs yt and numpy)::

    python -m ytlite.demo OUTPUT_DIR

The model: a supernova remnant in a clumpy interstellar medium, in a cube
40 pc on a side centred on the origin (so the domain is [-20, 20] pc, not
[0, 1]). Density in g/cm^3 at position r (pc from the centre):

* background ``rho0 = 1e-24`` with a gentle gradient along x (factor 3 across
  the box);
* inside the remnant (``|r| < R = 9 pc``) the gas is evacuated to ``0.05 rho0``;
* a swept-up shell at ``R``: a Gaussian bump of height ``20 rho0`` and width
  ``0.4 pc``;
* three cold clouds: Gaussian clumps of 30-100 ``rho0``, 1-2.5 pc wide.

Temperature: the gas is near pressure equilibrium, ``T = 8000 K * rho0 / rho``,
plus a hot interior (``1e6 K``) inside the shell.

AMR: a 32^3 root grid and three levels of refinement by 2. A block of 8^3
cells is refined (into one 16^3 child grid) when the density anywhere in it
varies by more than 20 % between neighbouring cells, i.e. exactly where the
field varies: along the shell and around the clouds. Grids nest properly
because each child block lies inside one parent grid.

It writes, with yt's ``save_as_dataset``:

* ``amr_demo_slice.h5``: the slice at z = 0.1 pc (density, temperature);
* ``amr_demo_proj.h5``: the projection of density along z (g/cm^2).
"""

from __future__ import annotations

import sys
from pathlib import Path

BOX = 40.0  # pc
ROOT = 32
LEVELS = 3  # refinement levels above the root grid
BLOCK = 8  # parent cells per block edge; a refined block becomes a 16^3 grid
THRESHOLD = 0.2  # relative density jump between neighbours that triggers refinement
SLICE_Z = 0.1  # pc; off every cell face so each cell is cut once

RHO0 = 1e-24
SHELL_RADIUS = 9.0
SHELL_WIDTH = 0.4
CLOUDS = [  # centre (pc), width (pc), contrast
    ((-11.0, 6.0, 0.5), 2.5, 30.0),
    ((4.0, -13.0, -1.0), 1.5, 100.0),
    ((12.0, 10.0, 1.5), 1.0, 60.0),
]


def density(x, y, z):
    import numpy as np

    r = np.sqrt(x * x + y * y + z * z)
    rho = RHO0 * 3.0 ** ((x + BOX / 2) / BOX)
    rho = np.where(r < SHELL_RADIUS, 0.05 * RHO0, rho)
    rho = rho + 20 * RHO0 * np.exp(-(((r - SHELL_RADIUS) / SHELL_WIDTH) ** 2))
    for (cx, cy, cz), width, contrast in CLOUDS:
        d2 = (x - cx) ** 2 + (y - cy) ** 2 + (z - cz) ** 2
        rho = rho + contrast * RHO0 * np.exp(-d2 / (2 * width * width))
    return rho


def temperature(x, y, z, rho):
    import numpy as np

    r = np.sqrt(x * x + y * y + z * z)
    return 8000.0 * RHO0 / rho + np.where(r < SHELL_RADIUS, 1e6, 0.0)


def _cell_centres(left, dx, n):
    import numpy as np

    c = [left[i] + (np.arange(n[i]) + 0.5) * dx for i in range(3)]
    return np.meshgrid(*c, indexing="ij")


def _needs_refinement(rho):
    import numpy as np

    jumps = [np.abs(np.diff(np.log(rho), axis=a)).max() for a in range(3)]
    return max(jumps) > np.log1p(THRESHOLD)


def build_grids():
    """The AMR hierarchy as yt ``load_amr_grids`` grid dictionaries."""
    import numpy as np

    left0 = np.full(3, -BOX / 2)
    grids = []

    def make_grid(level, left, n):
        dx = BOX / (ROOT * 2**level)
        x, y, z = _cell_centres(left, dx, n)
        rho = density(x, y, z)
        grids.append({
            "level": level,
            "left_edge": left.copy(),
            "right_edge": left + dx * np.asarray(n),
            "dimensions": np.asarray(n, dtype="int64"),
            "density": (rho, "g/cm**3"),
            "temperature": (temperature(x, y, z, rho), "K"),
        })
        return rho

    make_grid(0, left0, (ROOT,) * 3)
    parents = [(left0, ROOT)]  # (left edge, cells per side) of grids at the current level
    for level in range(LEVELS):
        dx = BOX / (ROOT * 2**level)
        children = []
        for left, n in parents:
            for i in range(0, n, BLOCK):
                for j in range(0, n, BLOCK):
                    for k in range(0, n, BLOCK):
                        block_left = left + dx * np.array([i, j, k])
                        # one halo cell each side so jumps at block faces count
                        x, y, z = _cell_centres(block_left - dx, dx, (BLOCK + 2,) * 3)
                        if _needs_refinement(density(x, y, z)):
                            children.append(block_left)
        parents = []
        for block_left in children:
            make_grid(level + 1, block_left, (2 * BLOCK,) * 3)
            parents.append((block_left, 2 * BLOCK))
    return grids


def make_demo_data(output_dir) -> list[Path]:
    import numpy as np
    import yt

    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    grids = build_grids()
    bbox = np.array([[-BOX / 2, BOX / 2]] * 3)
    ds = yt.load_amr_grids(
        grids, [ROOT] * 3, bbox=bbox, length_unit="pc",
        periodicity=(False, False, False), unit_system="cgs",
    )
    slice_path = output_dir / "amr_demo_slice.h5"
    proj_path = output_dir / "amr_demo_proj.h5"
    sl = ds.slice(2, ds.quan(SLICE_Z, "pc"))
    sl.save_as_dataset(str(slice_path), fields=[("gas", "density"), ("gas", "temperature")])
    pr = ds.proj(("gas", "density"), 2)
    pr.save_as_dataset(str(proj_path), fields=[("gas", "density")])
    return [slice_path, proj_path]


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m ytlite.demo OUTPUT_DIR")
    for path in make_demo_data(sys.argv[1]):
        print(path)
