"""Where things are: the repository, the built site (YTLITE_SITE: another
built site, e.g. one built into /tmp), the demo data as built by build.py,
the real slices beside the repository, and tests/artifacts/ (pictures for
people, not committed)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SITE = Path(os.environ.get("YTLITE_SITE", ROOT / "_site")).resolve()
BUILT_DATA = ROOT / "_build" / "content" / "data"
SHARED_SLICES = ROOT.parent / "shared" / "data" / "slices"
REAL_SLICES = sorted(SHARED_SLICES.glob("*.h5")) if SHARED_SLICES.is_dir() else []
ARTIFACTS = ROOT / "tests" / "artifacts"


def real_slice(name: str) -> Path:
    """The real slice ``name``, or skip the test if it is not present."""
    path = SHARED_SLICES / name
    if not path.exists():
        pytest.skip(f"real data not present: {path}")
    return path
