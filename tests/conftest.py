"""Shared fixtures: the demo data (as built by build.py) and the real slices."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# (YTLITE_SITE: run the browser tests on another built site, e.g. one built into /tmp)
SITE = Path(os.environ.get("YTLITE_SITE", ROOT / "_site")).resolve()
BUILT_DATA = ROOT / "_build" / "content" / "data"
SHARED_SLICES = ROOT.parent / "shared" / "data" / "slices"
REAL_SLICES = sorted(SHARED_SLICES.glob("*.h5")) if SHARED_SLICES.is_dir() else []
ARTIFACTS = ROOT / "tests" / "artifacts"


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory) -> Path:
    """Directory with amr_demo_slice.h5 and amr_demo_proj.h5."""
    if (BUILT_DATA / "amr_demo_slice.h5").exists():
        return BUILT_DATA
    from ytlite.demo import make_demo_data

    out = tmp_path_factory.mktemp("demo")
    make_demo_data(out)
    return out


@pytest.fixture(scope="session")
def demo_slice(demo_dir):
    import ytlite

    return ytlite.load(demo_dir / "amr_demo_slice.h5")


def real_slice(name: str) -> Path:
    path = SHARED_SLICES / name
    if not path.exists():
        pytest.skip(f"real data not present: {path}")
    return path
